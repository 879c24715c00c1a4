/* SPDX-License-Identifier: MIT */
/* lib/load internals shared by the engine (load.c) and its socket backends (udp.c, tcp.c). */
#ifndef PE_LOAD_INT_H
#define PE_LOAD_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pe_hist.h"
#include "pe_load.h"

#define LOAD_MAX_WAIT_NS 10000000ull /* re-check the phase (stop, end) at least every 10 ms */

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
	uint64_t count_left; /* measured packets still to send (UINT64_MAX: no limit) */
	bool measuring, ended, blocked;
	uint64_t t_start, t_end, t_last_rx, drain_deadline;
	uint64_t sent_measured, rx_measured;
	uint64_t corrupt, foreign, errors, warmup_tx, warmup_rx;
	struct pe_stats_block *blk;
	struct pe_hist *lat;
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
	uint64_t stop_ns;	/* atomic; UINT64_MAX until pe_load_stop */
	struct load_dpdk *dpdk; /* DPDK mode: the port (dpdk.c) */
};

/* Backends: open and connect one flow's socket; send up to n packets on a flow (returns how many
 * were committed); handle readiness of a flow. */
int load_udp_open(struct pe_load *l, struct load_flow *f);
uint32_t load_udp_send(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now);
void load_udp_ready(struct load_worker *w, struct load_flow *f, uint32_t events);
int load_udp_worker_init(struct load_worker *w);
void load_udp_worker_fini(struct load_worker *w);

int load_tcp_open(struct pe_load *l, struct load_flow *f);
uint32_t load_tcp_send(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now);
void load_tcp_ready(struct load_worker *w, struct load_flow *f, uint32_t events);

int load_dpdk_setup(struct pe_load *l);
void load_dpdk_teardown(struct pe_load *l);
int load_dpdk_flows(struct pe_load *l);
uint32_t load_dpdk_send(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now);
void load_dpdk_poll(struct load_worker *w, uint64_t wait_ns);

/* Shared by the backends: account one echoed payload of len bytes received at now. */
void load_rx_payload(struct load_worker *w, struct load_flow *f, const uint8_t *buf, size_t len,
		     uint64_t now);
/* Build the payload of f's sequence seq into buf (size bytes; the pattern is already there). */
void load_tx_payload(struct load_worker *w, struct load_flow *f, uint8_t *buf, uint64_t seq,
		     uint64_t now);
/* Socket setup shared by UDP and TCP flows. */
void load_sock_buffers(int fd, int bytes);

#endif
