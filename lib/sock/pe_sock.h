/* SPDX-License-Identifier: MIT */
/* lib/sock: the socket fallback's echo services. UDP echo (RFC 862) with recvmmsg/sendmmsg
 * batches and the packet core's policy where it applies to sockets; TCP echo with RFC 862
 * semantics (half-close flushed, resets quiet, backpressure by water marks); splice and sendfile
 * zero copy; five IO models (blocking, nonblocking, epoll, sigio, uring) behind one server. */
#ifndef PE_SOCK_H
#define PE_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pe_pkt.h"
#include "pe_stats.h"

#define PE_SOCK_MAX_ADDRS	   16
#define PE_SOCK_MAX_THREADS	   64
#define PE_SOCK_UDP_BUF		   65536 /* a whole IPv4/IPv6 datagram (65507 / 65527 bytes) fits */
#define PE_SOCK_DEFAULT_HIGH_WATER (4u << 20)
#define PE_SOCK_DEFAULT_MAX_BUFFER (64u << 20)

enum pe_io_model {
	PE_IO_BLOCKING = 0, /* a thread per socket or connection, blocking calls */
	PE_IO_NONBLOCKING,  /* each thread busy-polls its sockets with non-blocking calls */
	PE_IO_EPOLL,	    /* the reactor: main loop accepts, sub-loops own sockets (default) */
	PE_IO_SIGIO,	    /* O_ASYNC + F_SETSIG, signals taken with sigtimedwait */
	PE_IO_URING,	    /* io_uring completions (liburing) */
	PE_IO_MODEL_MAX
};

/* "blocking" | "nonblocking" | "epoll" | "sigio" | "uring". 0 or -EINVAL. */
int pe_io_model_parse(const char *text, enum pe_io_model *m);
const char *pe_io_model_name(enum pe_io_model m);
/* False for uring when the build has no liburing. */
bool pe_io_model_available(enum pe_io_model m);

struct pe_sock_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "HOST:PORT" with HOST an IPv4 address, "[IPv6]", "*" or empty (any IPv4 address), or "localhost".
 * PORT 0 lets the kernel choose (read it back with pe_sock_server_addr). 0 or -EINVAL. */
int pe_sock_addr_parse(const char *text, struct pe_sock_addr *a);
/* "127.0.0.1:7" / "[::1]:7" into buf. Returns buf. */
const char *pe_sock_addr_str(const struct pe_sock_addr *a, char *buf, size_t len);

struct pe_sock_sendfile {
	struct pe_sock_addr addr;
	const char *path;
};

struct pe_sock_cfg {
	enum pe_io_model model;
	unsigned threads; /* worker threads (sub-loops) */
	unsigned n_udp, n_tcp, n_sendfile;
	struct pe_sock_addr udp[PE_SOCK_MAX_ADDRS], tcp[PE_SOCK_MAX_ADDRS];
	struct pe_sock_sendfile sendfile[PE_SOCK_MAX_ADDRS];
	bool splice;	    /* TCP echo through a pipe with splice: no user-space copy */
	unsigned max_conns; /* 0: no cap */
	size_t high_water;  /* per-connection pending output that stops reading; resume at half */
	/* Buffer storage of all TCP connections together above which the connections holding the
	 * most (at least the average) stop reading while they have output pending. 0: no cap. */
	size_t max_buffer;
	size_t udp_buf; /* receive buffer per datagram (PE_SOCK_UDP_BUF; smaller only in tests) */
	const struct pe_pkt_cfg *pkt; /* policy: loop ports, source and destination checks */
};

/* Defaults: epoll, 1 thread, high water 4 MiB, max buffer 64 MiB, udp_buf 64 KiB, no addresses. */
void pe_sock_cfg_init(struct pe_sock_cfg *cfg);
/* Stats blocks the server needs: one per worker thread (blocking model: one per UDP thread and
 * one per listener). */
unsigned pe_sock_stats_blocks(const struct pe_sock_cfg *cfg);

struct pe_sock_server;
/* Bind every address (SO_REUSEPORT socket per worker for UDP), then start the threads of the
 * configured IO model; on return the service runs. stats must have pe_sock_stats_blocks() blocks
 * (labelled here). NULL with errno (EADDRINUSE, EACCES, ENOTSUP for uring without liburing...);
 * *what names the failing step for the message. */
struct pe_sock_server *pe_sock_server_create(const struct pe_sock_cfg *cfg, struct pe_stats *stats,
					     const char **what);
/* Stop every thread, close every socket and connection, free. Accepts NULL. */
void pe_sock_server_destroy(struct pe_sock_server *srv);

enum pe_sock_kind { PE_SOCK_UDP, PE_SOCK_TCP, PE_SOCK_SENDFILE };
/* The address actually bound for the i-th address of a kind (the port chosen for port 0). */
int pe_sock_server_addr(const struct pe_sock_server *srv, enum pe_sock_kind kind, unsigned i,
			struct pe_sock_addr *out);

struct pe_sock_info {
	uint64_t conns_active;	/* TCP connections open now */
	uint64_t conns_refused; /* closed at accept: --max-conns or out of file descriptors */
	uint64_t emfile;	/* accept failures for lack of file descriptors (EMFILE/ENFILE) */
	uint64_t buffered;	/* buffer storage held by the TCP connections now (bytes) */
};
/* The watchdog's proof of life: one counter per worker thread that moves while the thread runs
 * its loop: epoll, each call posts a ping that the next call sees answered; the other models,
 * each round of the thread's loop, whose waits are bounded (100 ms), so an idle thread moves it
 * too (blocking: its UDP and accept threads, not the per-connection ones). Count. Main thread
 * only. */
int pe_sock_server_heartbeats(struct pe_sock_server *srv, uint64_t *out, unsigned max);
void pe_sock_server_info(const struct pe_sock_server *srv, struct pe_sock_info *info);

/* ---- UDP echo core (used by every IO model; exported for the tests) ------------------------ */

/* Policy of one received datagram: PE_DROP_NONE to echo, or the reason. src: the sender;
 * msg: the received header (control messages: IP_PKTINFO / IPV6_PKTINFO); flags: msg_flags;
 * local_port: the port it came to (host order; a sender on that same port is another echo
 * service: loop_refused), 0 if unknown. Loopback sources pass (the kernel only delivers them
 * from this host). */
enum pe_drop pe_sock_udp_policy(const struct pe_pkt_cfg *cfg, const struct sockaddr *src,
				const struct msghdr *msg, int flags, uint16_t local_port);

struct pe_udp_batch;
/* Buffers for up to vlen datagrams of buf_size bytes each. NULL with errno. */
struct pe_udp_batch *pe_udp_batch_create(unsigned vlen, size_t buf_size);
void pe_udp_batch_destroy(struct pe_udp_batch *b);
/* One recvmmsg(fd, recv_flags) -> policy -> one sendmmsg of the replies (more only after partial
 * sends). Replies of one batch to the same peer from the same address with the same size go out
 * as one UDP_SEGMENT (GSO) send; a coalesced (UDP_GRO) message is echoed datagram for datagram
 * the same way. Counts into st once per batch (the calling thread must be its one writer).
 * Returns messages received (0 when none), or -errno (-EAGAIN when nothing was ready). */
int pe_sock_udp_echo(struct pe_udp_batch *b, int fd, uint16_t local_port, int recv_flags,
		     const struct pe_pkt_cfg *cfg, struct pe_stats_block *st);
/* Receive coalesced datagrams (UDP_GRO) on a socket served by pe_sock_udp_echo. 0 or -errno
 * (a kernel without it: the datagrams come one by one, nothing else changes). */
int pe_sock_udp_gro_on(int fd);
/* Ask for the destination address of each datagram (IP_PKTINFO / IPV6_RECVPKTINFO). */
int pe_udp_enable_pktinfo(int fd, int family);

#endif
