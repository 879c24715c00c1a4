/* SPDX-License-Identifier: MIT */
/* lib/sock internals shared by the IO models: the server, its workers and TCP connections. */
#ifndef PE_SOCK_PRIV_H
#define PE_SOCK_PRIV_H

#include <semaphore.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "pe_reactor.h"
#include "pe_sock.h"

#define PE_UDP_MAX_VLEN	 64
#define UDP_VLEN	 64 /* datagrams per recvmmsg */
#define UDP_BUDGET	 4  /* recvmmsg rounds per readiness event (no starvation of others) */
#define ACCEPT_BUDGET	 64 /* accepts per readiness event */
#define CONN_READ_BUDGET 16 /* reads per service call in edge-like models */
#define SPLICE_PIPE_SIZE (1 << 20) /* pipe capacity asked for --splice */

enum conn_kind { CONN_ECHO, CONN_SPLICE, CONN_SENDFILE };

struct worker;
struct pe_sock_server;

/* One TCP connection. Owned by one worker thread. */
struct conn {
	struct pe_channel ch; /* epoll model */
	struct worker *w;
	struct conn *prev, *next;
	int fd;
	enum conn_kind kind;
	bool eof;	 /* the peer half-closed: no more reading */
	bool paused;	 /* above the high-water mark: not reading until below the low mark */
	bool rd_blocked; /* the last read met EAGAIN (edge-like models re-check otherwise) */
	bool done;	 /* sendfile: the file went out; waiting for the peer's EOF */
	bool pipe_full;	 /* splice: the pipe refused more (out of slots before out of bytes) */
	struct pe_buf in, out;
	size_t held;	    /* buffer storage counted in srv->buffered */
	int pipe_r, pipe_w; /* splice */
	size_t pipe_len, pipe_cap;
	int file_fd; /* sendfile: shared read-only fd, explicit offsets */
	off_t file_off, file_size;
};

#define CONN_DONE (-1)

/* A worker: one thread's sockets and connections (epoll sub-loop, nonblocking or sigio thread). */
struct worker {
	struct pe_sock_server *srv;
	unsigned index;
	struct pe_stats_block *st;
	struct pe_loop *loop;
	struct pe_udp_batch *batch;
	unsigned n_udp, n_lis;
	int udp_fd[PE_SOCK_MAX_ADDRS];
	uint16_t udp_port[PE_SOCK_MAX_ADDRS]; /* bound port (host order) of each UDP socket */
	struct pe_channel udp_ch[PE_SOCK_MAX_ADDRS];
	int lis_fd[2 * PE_SOCK_MAX_ADDRS];
	int lis_sf[2 * PE_SOCK_MAX_ADDRS]; /* -1: echo listener; else sendfile index */
	struct conn *conns;
	pthread_t tid;
	bool started;
	/* The watchdog's proof of life: epoll, the pings this worker's loop ran; the thread
	 * models and uring, the rounds of the worker's loop (each waits at most 100 ms). */
	atomic_uint_fast64_t heartbeat;
	void *impl; /* model data */
};

struct pe_sock_server {
	struct pe_sock_cfg cfg;
	struct pe_stats *stats;
	struct pe_sock_addr bound[3][PE_SOCK_MAX_ADDRS];
	/* First socket of each address, bound at create (port 0 resolved); the first worker (or
	 * the acceptor) takes it over, -1 once taken. */
	int seed[3][PE_SOCK_MAX_ADDRS];
	int file_fd[PE_SOCK_MAX_ADDRS];
	off_t file_size[PE_SOCK_MAX_ADDRS];
	atomic_bool stop;
	atomic_uint_fast64_t conns_active, conns_refused, emfile;
	atomic_uint_fast64_t buffered; /* sum of the connections' held bytes (--max-buffer) */
	struct worker *workers;	       /* cfg.threads of them */
	void *impl;
};

struct model_ops {
	int (*start)(struct pe_sock_server *srv, const char **what);
	void (*stop)(struct pe_sock_server *srv);
	/* Optional: the heartbeats of a model whose threads are not srv->workers (count). */
	unsigned (*heartbeats)(struct pe_sock_server *srv, uint64_t *out, unsigned max);
};

/* One round of a worker thread's loop (its heartbeat's only writer): no locked instruction. */
static inline void sock_beat(atomic_uint_fast64_t *hb)
{
	atomic_store_explicit(hb, atomic_load_explicit(hb, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

extern const struct model_ops sock_model_epoll, sock_model_blocking, sock_model_nonblocking,
	sock_model_sigio, sock_model_uring;

/* udp.c */
#define CTRL_LEN 64 /* room for an in_pktinfo or in6_pktinfo and a UDP_GRO/UDP_SEGMENT message */
/* Control message of a reply: leave from the address the request came to (IP_PKTINFO /
 * IPV6_PKTINFO). buf: CTRL_LEN bytes, cmsghdr-aligned. */
void sock_udp_reply_ctrl(const struct msghdr *in, struct msghdr *out, void *buf);
/* The reply limits (pe_ratelimit.h) of one loop thread: its share of cfg's per-process limits. */
void sock_rl_init(struct pe_rl *rl, const struct pe_pkt_cfg *cfg);
/* A message of dgrams datagrams from src may be answered (all or none); reads the clock only
 * when a limit is on. */
bool sock_rl_allow(struct pe_rl *rl, const struct sockaddr *src, uint32_t dgrams);

/* sockets.c */
/* Bind the seed sockets and record the addresses actually bound (port 0 resolved). 0 or -errno;
 * *what names the option of the failing address. */
int sock_bind_seeds(struct pe_sock_server *srv, const char **what);
/* A socket for kind/i: the seed when still there, else a new SO_REUSEPORT one bound to the
 * resolved address. fl: O_NONBLOCK or 0, the socket's blocking mode. fd or -errno. */
int sock_server_socket(struct pe_sock_server *srv, enum pe_sock_kind kind, unsigned i, int fl);
/* Port (host order) of a bound address. */
uint16_t sock_addr_port(const struct pe_sock_addr *a);
/* Options of an accepted TCP connection (TCP_NODELAY). */
void sock_tune_conn(int fd);
/* Accept with the spare-fd trick on EMFILE/ENFILE. fd, or -EAGAIN (nothing more now), -EMFILE
 * (out of fds and no spare: pause the listener), or another -errno to skip. */
int sock_accept(struct pe_sock_server *srv, int lfd, int *spare, int flags);
/* True when a new connection may be kept (counts it), false when --max-conns refuses it. */
bool sock_conn_admit(struct pe_sock_server *srv);

/* conn.c */
int sock_conn_open(struct conn *c, struct worker *w, int fd, int sf_index);
/* Work until the socket would block or budget reads are done. Interest PE_EV_* or CONN_DONE. */
int sock_conn_service(struct conn *c, unsigned budget);
/* Close fds, free buffers, count; unlinks from the worker's list. Does not free c. */
void sock_conn_close(struct conn *c);
void sock_worker_link(struct worker *w, struct conn *c);

/* worker.c: per-thread setup shared by the epoll, nonblocking, sigio and uring workers. */
/* The worker's UDP batch and its own non-blocking SO_REUSEPORT socket of each UDP address. */
int sock_worker_init(struct worker *w);
/* Also a listener of its own in each TCP and sendfile SO_REUSEPORT group (the models without a
 * separate acceptor: the kernel spreads connections over the workers). */
int sock_worker_add_listeners(struct worker *w);
/* Both for every worker of srv (the models whose workers own their listeners). 0 or -errno;
 * the caller's stop releases what was set up. */
int sock_workers_init_owning(struct pe_sock_server *srv);
void sock_worker_fini(struct worker *w);
/* At stop: join a worker whose thread started (it cleans up after itself), or release one that
 * never started, with the spare fd its model kept for it (-1: none). */
void sock_worker_reap(struct worker *w, int spare);

/* model_thread.c: the frame of the models with one thread per worker that owns its sockets and
 * listeners (nonblocking, sigio). The model says how a thread waits and what it must remember. */
struct sock_thread;
struct sock_thread_ops {
	unsigned conn_budget; /* reads per service of a connection */
	/* In the thread, before the start handshake; t->impl is the model's. 0 or -errno. */
	int (*setup)(struct sock_thread *t);
	/* One round: wait for work (or not) and service it. */
	void (*run_once)(struct sock_thread *t);
	/* In the thread at its end, also after a failed setup. */
	void (*fini)(struct sock_thread *t);
	/* Optional: an accepted connection's fd before it opens (0 or -errno: refuse it), and the
	 * fd of one that goes. */
	int (*conn_added)(struct sock_thread *t, int fd, struct conn *c);
	void (*conn_removed)(struct sock_thread *t, int fd);
	/* Optional: fd still holds input after its budget (no new readiness will say so). */
	void (*input_left)(struct sock_thread *t, int fd);
};

struct sock_thread {
	struct worker *w;
	const struct sock_thread_ops *ops;
	void *impl;
	int spare; /* given up when out of fds (the accept trick) */
	uint64_t lis_resume_ns[2 * PE_SOCK_MAX_ADDRS]; /* paused listeners: when to try again */
	sem_t started;				       /* posted once setup is done */
	int setup_rc;
};

int sock_thread_start(struct pe_sock_server *srv, const struct sock_thread_ops *ops,
		      const char **what);
void sock_thread_stop(struct pe_sock_server *srv);
void sock_thread_service_udp(struct sock_thread *t, unsigned i);
void sock_thread_service_listener(struct sock_thread *t, unsigned i);
void sock_thread_service_conn(struct sock_thread *t, struct conn *c);
/* Every UDP socket, listener and connection of the thread. */
void sock_thread_service_all(struct sock_thread *t);
/* The listeners whose pause is over (no readiness is raised for connections already queued). */
void sock_thread_service_paused(struct sock_thread *t);

#endif
