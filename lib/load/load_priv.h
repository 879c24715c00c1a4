/* SPDX-License-Identifier: MIT */
/* lib/load internals shared by the engine (load.c) and its socket backends (udp.c, tcp.c). */
#ifndef LOAD_PRIV_H
#define LOAD_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pe_hist.h"
#include "pe_load.h"

#define LOAD_MAX_WAIT_NS 10000000ull /* re-check the phase (stop, end) at least every 10 ms */
#define LOAD_SPIN_NS	 20000ull    /* a send due sooner than this is waited for by polling */

struct load_flow {
	int fd;
	uint32_t id;
	bool dead;	   /* TCP: the peer closed or reset */
	bool want_out;	   /* TCP: EPOLLOUT armed while output is pending */
	uint64_t next_seq; /* sequences [0, next_seq) have been sent (TCP: queued) */
	struct pe_flow_acct acct;
	/* TCP stream buffers: pending output [tx_off, tx_len), partial input [0, rx_len). */
	uint8_t *txbuf, *rxbuf;
	uint32_t tx_off, tx_len, rx_len, cap;
	uint32_t tmpl_sum; /* DPDK: checksum sum of the frame template in txbuf */
	/* How late each sequence went out against its due time (ns, saturated), indexed by
	 * seq % PE_ACCT_WINDOW: an echo's corrected latency is its latency plus this. */
	uint32_t *lag;
};

struct load_worker {
	struct pe_load *l;
	unsigned index;
	pthread_t tid;
	bool started, joined;
	struct load_flow *flows; /* this worker's slice of l->flows */
	unsigned n_flows, rr;	 /* rr: the next flow to send on */
	int ep;
	struct pe_pace pace;
	uint64_t tx_due_idx; /* schedule number of the first packet the backend's send stamps */
	uint64_t missed_start, missed; /* schedule slips: pace.missed at the start, in the phase */
	uint64_t count_left;	       /* measured packets still to send (UINT64_MAX: no limit) */
	bool measuring, ended, blocked;
	uint64_t t_start, t_end, t_last_rx, drain_deadline;
	uint64_t sent_measured, rx_measured;
	uint64_t corrupt, foreign, errors, warmup_tx, warmup_rx;
	struct pe_stats_block *blk;
	struct pe_hist *lat, *lat_corr; /* from when built; from when due */
	/* pe_load_live's counts: [0] from when built, [1] from when due; tx in live_tx. Only this
	 * thread writes them (relaxed atomic stores); any thread reads them. */
	uint64_t live_tx;
	struct pe_load_live live[2];
	uint8_t *tmpl; /* one payload with the pattern filled in */
	/* UDP batches */
	uint8_t *txm, *rxm; /* PE_LOAD_BATCH buffers each */
	struct mmsghdr *txv, *rxv;
	struct iovec *txiov, *rxiov;
	unsigned done; /* atomic: the thread has finished */
};

struct pe_load {
	struct pe_load_cfg cfg;
	uint64_t nonce;
	struct load_flow *flows;
	struct load_worker *workers;
	struct pe_stats *stats;
	uint64_t t0, warm_end, end;
	uint64_t stop_ns; /* atomic; UINT64_MAX until pe_load_stop */
	const struct load_backend *be;
	struct load_dpdk *dpdk; /* DPDK mode: the port (dpdk.c) */
};

/* A backend drives the flows of one kind (like lib/sock's model_ops). setup opens and connects the
 * flows (after their ids and accounting are set); send commits up to n packets on a flow and
 * returns how many; poll waits at most wait_ns for echoes and accounts them. worker_init and
 * worker_fini (may be NULL) hold per-thread buffers; fini runs after a failed init too. */
struct load_backend {
	const char *mode; /* the stats and report mode: "udp", "tcp", "dpdk" */
	int (*setup)(struct pe_load *l);
	void (*teardown)(struct pe_load *l);
	int (*worker_init)(struct load_worker *w);
	void (*worker_fini)(struct load_worker *w);
	uint32_t (*send)(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now);
	void (*poll)(struct load_worker *w, uint64_t wait_ns);
	/* Socket backends (their setup and poll are load_sock_setup and load_sock_poll): open and
	 * connect one flow; handle a flow's readiness. */
	int (*open_flow)(struct pe_load *l, struct load_flow *f);
	void (*ready)(struct load_worker *w, struct load_flow *f, uint32_t events);
	bool wait_when_blocked; /* a full socket wakes poll (TCP's EPOLLOUT): do not spin on it */
};

extern const struct load_backend load_backend_udp, load_backend_tcp, load_backend_dpdk;

/* Socket backends: open every flow with the backend's open_flow. */
int load_sock_setup(struct pe_load *l);
/* Socket backends: epoll wait on the worker's flows, calling the backend's ready per event. */
void load_sock_poll(struct load_worker *w, uint64_t wait_ns);
/* Socket backends: the worker's epoll set over its flows; fini accepts a failed init. */
int load_sock_worker_init(struct load_worker *w);
void load_sock_worker_fini(struct load_worker *w);

/* Count one echo's latency (ns) in the live buckets of kind k (0: from build, 1: from due). */
void load_live_record(struct load_worker *w, unsigned k, uint64_t ns);

/* Shared by the backends: account one echoed payload of len bytes received at now. */
void load_rx_payload(struct load_worker *w, struct load_flow *f, const uint8_t *buf, size_t len,
		     uint64_t now);
/* The header of f's sequence seq, the i-th packet of the backend's send call, built at now. */
static inline void load_tx_hdr(struct load_worker *w, struct load_flow *f, uint32_t i, uint64_t seq,
			       uint64_t now, struct pe_load_hdr *h)
{
	uint64_t due = pe_pace_due_ns(&w->pace, w->tx_due_idx + i);
	uint64_t lag = due && now > due ? now - due : 0;

	f->lag[seq % PE_ACCT_WINDOW] = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
	*h = (struct pe_load_hdr){.flow = f->id, .seq = seq, .ts_ns = now, .nonce = w->l->nonce};
}
/* Build the payload of f's sequence seq (the i-th of the send call) into buf (size bytes; the
 * pattern is already there). */
void load_tx_payload(struct load_worker *w, struct load_flow *f, uint8_t *buf, uint32_t i,
		     uint64_t seq, uint64_t now);
/* Socket buffers of bytes each way (beyond rmem_max/wmem_max for root). */
void load_sock_buffers(int fd, int bytes);

#endif
