/* SPDX-License-Identifier: MIT */
/* UDP flows: one connected socket per flow (its own source port), sendmmsg/recvmmsg batches. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "load_priv.h"

#define RX_ROUNDS 8 /* recvmmsg batches per readiness event: bounded so sending is not starved */

static int udp_open(struct pe_load *l, struct load_flow *f)
{
	const struct pe_load_target *t = &l->cfg.target;

	f->fd = socket(t->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return -errno;
	load_sock_buffers(f->fd, 4 << 20);
	/* connect() picks the source port and filters what we receive to the target's replies. */
	if (connect(f->fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0)
		return -errno;
	return 0;
}

static int udp_worker_init(struct load_worker *w)
{
	size_t slot = w->l->cfg.size + 1; /* +1: a longer echo shows as a length mismatch */
	int rc = load_sock_worker_init(w);

	if (rc < 0)
		return rc;

	w->txm = calloc(PE_LOAD_BATCH, slot);
	w->rxm = calloc(PE_LOAD_BATCH, slot);
	w->txv = calloc(PE_LOAD_BATCH, sizeof(*w->txv));
	w->rxv = calloc(PE_LOAD_BATCH, sizeof(*w->rxv));
	w->txiov = calloc(PE_LOAD_BATCH, sizeof(*w->txiov));
	w->rxiov = calloc(PE_LOAD_BATCH, sizeof(*w->rxiov));
	if (!w->txm || !w->rxm || !w->txv || !w->rxv || !w->txiov || !w->rxiov)
		return -ENOMEM;
	for (unsigned i = 0; i < PE_LOAD_BATCH; i++) {
		memcpy(w->txm + i * slot, w->tmpl, w->l->cfg.size);
		w->txiov[i] =
			(struct iovec){.iov_base = w->txm + i * slot, .iov_len = w->l->cfg.size};
		w->rxiov[i] = (struct iovec){.iov_base = w->rxm + i * slot, .iov_len = slot};
		w->txv[i].msg_hdr.msg_iov = &w->txiov[i];
		w->txv[i].msg_hdr.msg_iovlen = 1;
		w->rxv[i].msg_hdr.msg_iov = &w->rxiov[i];
		w->rxv[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void udp_worker_fini(struct load_worker *w)
{
	load_sock_worker_fini(w);
	free(w->txm);
	free(w->rxm);
	free(w->txv);
	free(w->rxv);
	free(w->txiov);
	free(w->rxiov);
}

static uint32_t udp_send(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now)
{
	int sent;

	for (uint32_t i = 0; i < n; i++)
		load_tx_payload(w, f, w->txiov[i].iov_base, i, f->next_seq + i, now);
	sent = sendmmsg(f->fd, w->txv, n, MSG_DONTWAIT);
	if (sent < 0) {
		/* A full buffer is back-pressure; anything else (ECONNREFUSED from an ICMP port
		 * unreachable, ...) is counted and the packets are not sent. */
		if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
			w->errors++;
		return 0;
	}
	f->next_seq += (uint64_t)sent;
	pe_stats_begin(w->blk);
	pe_ctr_add(&w->blk->c.tx_packets, (uint64_t)sent);
	pe_ctr_add(&w->blk->c.tx_bytes, (uint64_t)sent * w->l->cfg.size);
	pe_stats_end(w->blk);
	return (uint32_t)sent;
}

static void udp_ready(struct load_worker *w, struct load_flow *f, uint32_t events)
{
	size_t slot = w->l->cfg.size + 1;

	for (unsigned round = 0; round < RX_ROUNDS; round++) {
		int n = recvmmsg(f->fd, w->rxv, PE_LOAD_BATCH, MSG_DONTWAIT, NULL);
		uint64_t now = pe_load_now_ns(), bytes = 0;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			w->errors++; /* a pending ICMP error reported on the socket */
			continue;
		}
		for (int i = 0; i < n; i++) {
			load_rx_payload(w, f, w->rxm + (size_t)i * slot, w->rxv[i].msg_len, now);
			bytes += w->rxv[i].msg_len;
		}
		pe_stats_begin(w->blk);
		pe_ctr_add(&w->blk->c.rx_packets, (uint64_t)n);
		pe_ctr_add(&w->blk->c.rx_bytes, bytes);
		pe_stats_end(w->blk);
		if (n < PE_LOAD_BATCH)
			return;
	}
}

const struct load_backend load_backend_udp = {
	.mode = "udp",
	.setup = load_sock_setup,
	.worker_init = udp_worker_init,
	.worker_fini = udp_worker_fini,
	.send = udp_send,
	.poll = load_sock_poll,
	.open_flow = udp_open,
	.ready = udp_ready,
};
