/* SPDX-License-Identifier: MIT */
/* The lcore loop: rx_burst, echo every frame in place, compact the replies into the same array,
 * tx_burst on the same port and queue, free what did not go. The mode is resolved once per loop
 * (one specialised copy of the burst code per mode), counters are written once per burst. */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dpdk_priv.h"

int pe_dpdk_quit;

/* How many frames ahead of the one being echoed the loop prefetches. */
#define PE_PREFETCH_AHEAD 3

#define PE_RX_STRIPPED (RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ_STRIPPED)
/* The only flags a received mbuf keeps on its way back out (as testpmd does). */
#define PE_KEEP_FLAGS (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)

static enum pe_drop vlan_push(struct rte_mbuf *m, uint16_t tpid, uint16_t tci)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, 4);

	if (p == NULL)
		return PE_DROP_VLAN_DEPTH; /* no headroom to rebuild the tag stack */
	memmove(p, p + 4, 12);
	p[12] = (uint8_t)(tpid >> 8);
	p[13] = (uint8_t)tpid;
	p[14] = (uint8_t)(tci >> 8);
	p[15] = (uint8_t)tci;
	return PE_DROP_NONE;
}

/* The rare frames: chained mbufs, and tags the PMD stripped. A single stripped tag goes back by
 * TX offload when the port has it (*tx_flags); otherwise the tags are pushed back into the frame
 * before the echo, which then keeps them like any tagged frame. */
static __rte_noinline enum pe_drop prep_slow(struct rte_mbuf *m, uint8_t vlan_hw,
					     uint64_t *tx_flags)
{
	uint64_t f = m->ol_flags;
	enum pe_drop r = PE_DROP_NONE;

	if (m->nb_segs != 1)
		return PE_DROP_MULTISEG;
	if (!(f & RTE_MBUF_F_RX_QINQ_STRIPPED) && (vlan_hw & PE_VLAN_HW_VLAN)) {
		*tx_flags = RTE_MBUF_F_TX_VLAN;
		return PE_DROP_NONE;
	}
	if (f & RTE_MBUF_F_RX_VLAN_STRIPPED)
		r = vlan_push(m, RTE_ETHER_TYPE_VLAN, m->vlan_tci);
	if (r == PE_DROP_NONE && (f & RTE_MBUF_F_RX_QINQ_STRIPPED))
		r = vlan_push(m, RTE_ETHER_TYPE_QINQ, m->vlan_tci_outer);
	return r;
}

static __rte_always_inline enum pe_drop echo_one(const struct pe_pkt_cfg *cfg, uint8_t *frame,
						 uint32_t *len, enum pe_pkt_mode mode)
{
	if (mode == PE_MODE_L4)
		return pe_pkt_l4(frame, len);
	if (mode == PE_MODE_L2)
		return pe_pkt_l2(frame, len);
	return pe_pkt_service(cfg, frame, len);
}

struct burst_out {
	uint16_t n_tx, n_drop;
	uint64_t rx_bytes;
};

/* Echo pkts[0..nb) in place; replies are compacted to the front of pkts (their lengths in lens),
 * the dropped frames go to drop[] with their reason counted. */
static __rte_always_inline void echo_burst(const struct pe_dpdk_rxq *q, struct rte_mbuf **pkts,
					   uint16_t nb, uint32_t *lens, struct rte_mbuf **drop,
					   struct burst_out *out, enum pe_pkt_mode mode)
{
	struct pe_counters *c = &q->st->c;
	uint16_t n_tx = 0, n_drop = 0;
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < nb && i < PE_PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t tx_flags = 0;
		enum pe_drop r = PE_DROP_NONE;
		uint32_t len;

		if (i + PE_PREFETCH_AHEAD < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PE_PREFETCH_AHEAD], void *));
		bytes += m->pkt_len;
		if (unlikely(m->nb_segs != 1 || (m->ol_flags & PE_RX_STRIPPED)))
			r = prep_slow(m, q->vlan_hw, &tx_flags);
		len = m->data_len;
		if (likely(r == PE_DROP_NONE))
			r = echo_one(q->cfg, rte_pktmbuf_mtod(m, uint8_t *), &len, mode);
		if (likely(r == PE_DROP_NONE)) {
			m->ol_flags = (m->ol_flags & PE_KEEP_FLAGS) | tx_flags;
			m->data_len = (uint16_t)len;
			m->pkt_len = len;
			lens[n_tx] = len;
			pkts[n_tx++] = m;
		} else {
			pe_ctr_add(&c->drops[r], 1);
			drop[n_drop++] = m;
		}
	}
	out->n_tx = n_tx;
	out->n_drop = n_drop;
	out->rx_bytes = bytes;
}

static __rte_always_inline void poll_queue(const struct pe_dpdk_rxq *q, uint16_t burst,
					   enum pe_pkt_mode mode)
{
	struct rte_mbuf *pkts[PE_DPDK_MAX_BURST], *drop[PE_DPDK_MAX_BURST];
	uint32_t lens[PE_DPDK_MAX_BURST];
	struct pe_stats_block *st = q->st;
	struct burst_out o;
	uint64_t tx_bytes = 0;
	uint16_t nb, sent = 0;

	nb = rte_eth_rx_burst(q->port, q->queue, pkts, burst);
	if (unlikely(nb == 0))
		return;
	pe_stats_begin(st);
	echo_burst(q, pkts, nb, lens, drop, &o, mode);
	if (likely(o.n_tx > 0))
		sent = rte_eth_tx_burst(q->port, q->queue, pkts, o.n_tx);
	/* lens[] was filled before tx_burst: a sent mbuf is no longer ours to read. */
	for (uint16_t i = 0; i < sent; i++)
		tx_bytes += lens[i];
	if (unlikely(sent < o.n_tx)) {
		pe_ctr_add(&st->c.drops[PE_DROP_TX_FULL], (uint64_t)(o.n_tx - sent));
		rte_pktmbuf_free_bulk(&pkts[sent], o.n_tx - sent);
	}
	if (o.n_drop > 0)
		rte_pktmbuf_free_bulk(drop, o.n_drop);
	pe_ctr_add(&st->c.rx_packets, nb);
	pe_ctr_add(&st->c.rx_bytes, o.rx_bytes);
	pe_ctr_add(&st->c.tx_packets, sent);
	pe_ctr_add(&st->c.tx_bytes, tx_bytes);
	pe_stats_end(st);
}

static __rte_always_inline void run_loop(const struct pe_dpdk_worker *w, enum pe_pkt_mode mode)
{
	const uint16_t burst = w->burst, n = w->n_rxq;

	while (!__atomic_load_n(&pe_dpdk_quit, __ATOMIC_RELAXED))
		for (uint16_t i = 0; i < n; i++)
			poll_queue(&w->rxq[i], burst, mode);
}

static void loop_l2(const struct pe_dpdk_worker *w)
{
	run_loop(w, PE_MODE_L2);
}

static void loop_l4(const struct pe_dpdk_worker *w)
{
	run_loop(w, PE_MODE_L4);
}

static void loop_service(const struct pe_dpdk_worker *w)
{
	run_loop(w, PE_MODE_SERVICE);
}

int pe_dpdk_worker_main(void *arg)
{
	struct pe_dpdk_worker *w = arg;

	w->thread = pthread_self();
	__atomic_store_n(&w->in_loop, 1, __ATOMIC_RELEASE);
	if (w->mode == PE_MODE_L4)
		loop_l4(w);
	else if (w->mode == PE_MODE_L2)
		loop_l2(w);
	else
		loop_service(w);
	__atomic_store_n(&w->in_loop, 0, __ATOMIC_RELEASE);
	return 0;
}
