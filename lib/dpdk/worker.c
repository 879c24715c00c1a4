/* SPDX-License-Identifier: MIT */
/* The lcore loop: rx_burst, echo every frame in place, compact the replies into the same array,
 * tx_burst on the same port and queue, free what did not go. The mode is resolved once per loop
 * (one specialised copy of the burst code per mode), counters are written once per burst. */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#ifdef __SSE4_1__
#include <smmintrin.h>
#endif

#include "dpdk_priv.h"

int dpdk_quit;

/* Service mode: the time IPv4 Timestamp options get (pe_pkt_echo_at), milliseconds since
 * midnight UT, read every PE_TS_ROUNDS loop rounds (a vDSO clock read, not per packet). */
#define PE_TS_ROUNDS 1024
static __thread uint32_t lcore_ts = PE_PKT_TS_NONE;

static uint32_t clock_ts(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_REALTIME, &t) != 0)
		return PE_PKT_TS_NONE;
	return pe_pkt_ts_of_unix_ms((uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u);
}

/* No false sharing between lcores, checked at build time (this machine has no hardware counters
 * to show it at run time; the scaling run of scripts/bench-dpdk shows the ratio):
 * - each (port, queue) counter block, its seqlock word included, starts a cache line and fills
 *   whole ones, so the blocks of two lcores never share a line (their addresses: dpdk-ring-csum);
 * - each worker's loop state is alone on its lines;
 * - the mempool's per-lcore caches (where rte_mbuf_raw_alloc/free go) are whole lines each. */
_Static_assert(_Alignof(struct pe_stats_block) >= RTE_CACHE_LINE_SIZE &&
		       sizeof(struct pe_stats_block) % RTE_CACHE_LINE_SIZE == 0,
	       "a counter block shares a cache line with its neighbour");
_Static_assert(offsetof(struct pe_stats_block, seq) < RTE_CACHE_LINE_SIZE,
	       "the seqlock word is not in its block's first line");
_Static_assert(_Alignof(struct pe_dpdk_worker) >= RTE_CACHE_LINE_SIZE &&
		       sizeof(struct pe_dpdk_worker) % RTE_CACHE_LINE_SIZE == 0,
	       "a worker's loop state shares a cache line");
_Static_assert(_Alignof(struct rte_mempool_cache) >= RTE_CACHE_LINE_SIZE &&
		       sizeof(struct rte_mempool_cache) % RTE_CACHE_LINE_SIZE == 0,
	       "per-lcore mempool caches share a cache line");

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

/* The one mode dispatch. Every caller passes mode as a constant of its specialised loop (or is
 * out of the fast path), so the switch folds away where it matters. */
static __rte_always_inline enum pe_drop echo_frame(const struct pe_dpdk_rxq *q, uint8_t *frame,
						   uint32_t *len, enum pe_pkt_mode mode)
{
	switch (mode) {
	case PE_MODE_L4:
		return pe_pkt_l4(frame, len);
	case PE_MODE_L2:
		return pe_pkt_l2(frame, len);
	case PE_MODE_SERVICE:
		break;
	}
	return pe_pkt_echo_at(q->cfg, frame, len, lcore_ts);
}

/* A reply longer than its request (pe_pkt.h: an NA, at most PE_PKT_MAX_GROWTH bytes past a frame
 * of at most PE_PKT_GROW_MAX) takes that much of the mbuf's tailroom, which port.c promised the
 * packet core (cfg.tailroom) from the pool's data room; false, counted as no_tailroom, if a PMD
 * left less after all. */
static __rte_noinline bool reply_grows(struct rte_mbuf *m, uint32_t len)
{
	return rte_pktmbuf_append(m, (uint16_t)(len - m->data_len)) != NULL;
}

/* The rare frames: chained mbufs, and tags the PMD stripped. A single stripped tag goes back by
 * TX offload when the port has it; otherwise the tags are pushed back into the frame before the
 * echo, which then keeps them like any tagged frame. Echoes the frame too (out of the fast path).
 */
static __rte_noinline enum pe_drop echo_slow(const struct pe_dpdk_rxq *q, struct rte_mbuf *m,
					     enum pe_pkt_mode mode)
{
	uint64_t f = m->ol_flags, tx_flags = 0;
	enum pe_drop r = PE_DROP_NONE;
	uint32_t len;

	if (m->nb_segs != 1)
		return PE_DROP_MULTISEG;
	if (!(f & RTE_MBUF_F_RX_QINQ_STRIPPED) && (q->vlan_hw & PE_VLAN_HW_VLAN)) {
		tx_flags = RTE_MBUF_F_TX_VLAN;
	} else {
		if (f & RTE_MBUF_F_RX_VLAN_STRIPPED)
			r = vlan_push(m, RTE_ETHER_TYPE_VLAN, m->vlan_tci);
		if (r == PE_DROP_NONE && (f & RTE_MBUF_F_RX_QINQ_STRIPPED))
			r = vlan_push(m, RTE_ETHER_TYPE_QINQ, m->vlan_tci_outer);
		if (r != PE_DROP_NONE)
			return r;
	}
	len = m->data_len;
	r = echo_frame(q, rte_pktmbuf_mtod(m, uint8_t *), &len, mode);
	if (r == PE_DROP_NONE && len > m->data_len && !reply_grows(m, len))
		r = PE_DROP_TAILROOM;
	if (r == PE_DROP_NONE) {
		m->ol_flags = (f & PE_KEEP_FLAGS) | tx_flags;
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
	}
	return r;
}

/* The PMD's RX checksum flags as the packet core's PE_CSUM_* bits: GOOD and BAD pass on; UNKNOWN
 * and NONE (the data is intact but the checksum in the frame is not: it would be echoed wrong)
 * become "verify in software". Branch-free. */
static __rte_always_inline uint8_t csum_hw(uint64_t f)
{
	uint64_t ip = f & RTE_MBUF_F_RX_IP_CKSUM_MASK, l4 = f & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	return (uint8_t)((ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD) * PE_CSUM_IP_GOOD |
			 (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD) * PE_CSUM_IP_BAD |
			 (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD) * PE_CSUM_L4_GOOD |
			 (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD) * PE_CSUM_L4_BAD);
}

struct burst_out {
	unsigned n_tx, n_drop;
	uint64_t rx_bytes, tx_bytes;
};

/* One frame: echo it in place and put it in the TX list, or in the drop list with its reason
 * counted. l2 and l4 never change the length, so only the service mode writes it back. */
static __rte_always_inline void echo_one(const struct pe_dpdk_rxq *q, struct rte_mbuf *m,
					 struct rte_mbuf **pkts, struct rte_mbuf **drop,
					 struct burst_out *o, enum pe_pkt_mode mode)
{
	uint64_t f = m->ol_flags;
	uint32_t len = m->data_len;
	enum pe_drop r;

	/* One segment: data_len is the frame length (pkt_len only matters in the slow path). */
	if (unlikely(m->nb_segs != 1 || (f & PE_RX_STRIPPED))) {
		o->rx_bytes += m->pkt_len;
		r = echo_slow(q, m, mode);
		len = m->data_len;
	} else {
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

		o->rx_bytes += len;
		r = echo_frame(q, frame, &len, mode);
		if (likely(r == PE_DROP_NONE)) {
			m->ol_flags = f & PE_KEEP_FLAGS;
			if (mode == PE_MODE_SERVICE) {
				m->data_len = (uint16_t)len;
				m->pkt_len = len;
			}
		}
	}
	if (likely(r == PE_DROP_NONE)) {
		o->tx_bytes += len;
		pkts[o->n_tx++] = m;
	} else {
		pe_ctr_add(&q->st->c.drops[r], 1);
		drop[o->n_drop++] = m;
	}
}

/* l2 and l4 over a burst. They never change a frame's length and drop only runts (before
 * touching them), so the usual frame (one segment, no tags stripped) costs its echo, one byte
 * count (rx = tx) and the loop: no compaction while every frame so far is a reply, no ol_flags
 * store where there is nothing to clear, the loop test once per PE_SWAP_UNROLL frames. */
#define PE_SWAP_UNROLL 4 /* and the pragma below */

/* One segment and no RX flag to clear, in one test where SSE4.1 is there: the 16 bytes from
 * data_off hold nb_segs and ol_flags. */
static __rte_always_inline bool mbuf_plain(const struct rte_mbuf *m)
{
#ifdef __SSE4_1__
	_Static_assert(offsetof(struct rte_mbuf, nb_segs) ==
				       offsetof(struct rte_mbuf, data_off) + 4 &&
			       offsetof(struct rte_mbuf, ol_flags) ==
				       offsetof(struct rte_mbuf, data_off) + 8,
		       "rte_mbuf layout: nb_segs and ol_flags not where mbuf_plain reads them");
	const __m128i one_seg = _mm_setr_epi16(0, 0, 1, 0, 0, 0, 0, 0);
	const __m128i tested = _mm_set_epi64x((long long)~PE_KEEP_FLAGS, 0xffff00000000LL);
	__m128i w = _mm_loadu_si128((const __m128i *)(const void *)&m->data_off);

	return _mm_testz_si128(_mm_xor_si128(w, one_seg), tested);
#else
	return m->nb_segs == 1 && !(m->ol_flags & ~PE_KEEP_FLAGS);
#endif
}

/* One usual frame echoed (true), or false, m untouched: chained, stripped tags, or a runt. */
static __rte_always_inline bool swap_usual(const struct pe_dpdk_rxq *q, struct rte_mbuf *m,
					   uint64_t *bytes, enum pe_pkt_mode mode)
{
	uint64_t n; /* l2 and l4 keep the length: not reloaded after the stores to the frame */
	uint8_t *frame;
	uint32_t len;

	if (unlikely(!mbuf_plain(m))) {
		uint64_t f = m->ol_flags;

		if (m->nb_segs != 1 || (f & PE_RX_STRIPPED))
			return false;
		m->ol_flags = f & PE_KEEP_FLAGS;
	}
	n = m->data_len;
	frame = rte_pktmbuf_mtod(m, uint8_t *);
#if defined(PE_PKT_L4_VEC_MIN) && defined(PE_PKT_L2_VEC_MIN)
	/* pe_pkt_l4's and pe_pkt_l2's vector cases, spelled out so that the length stays in one
	 * register. */
	if (mode == PE_MODE_L4 && likely(n >= PE_PKT_L4_VEC_MIN) && likely(pe_pkt_l4_vec(frame))) {
		*bytes += n;
		return true;
	}
	if (mode == PE_MODE_L2 && likely(n >= PE_PKT_L2_VEC_MIN)) {
		pe_pkt_l2_vec(frame);
		*bytes += n;
		return true;
	}
	/* Not the vector case: take the length from the mbuf again (the barrier keeps gcc from
	 * copying n into a second register in every frame for this rare path). */
	__asm__ volatile("" ::: "memory");
#endif
	len = m->data_len;
	if (unlikely(echo_frame(q, frame, &len, mode) != PE_DROP_NONE))
		return false; /* a runt, untouched */
	*bytes += n;
	return true;
}

/* The first frame that is not usual hands the rest of the burst to the per-frame path
 * (echo_one: replies compacted to the front of pkts, dropped frames to drop[]). With prefetch
 * on, the frame PE_PREFETCH_AHEAD places ahead is prefetched; vdevs have just written the
 * frame, so there it is off (port.c). */
static __rte_always_inline void echo_burst_swap(const struct pe_dpdk_rxq *q, struct rte_mbuf **pkts,
						unsigned nb, struct rte_mbuf **drop,
						struct burst_out *o, enum pe_pkt_mode mode,
						bool prefetch)
{
	unsigned i = 0;
	uint64_t bytes = 0;

	if (prefetch)
		for (unsigned k = 0; k < nb && k < PE_PREFETCH_AHEAD; k++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void *));
	for (const unsigned whole = nb - nb % PE_SWAP_UNROLL; i < whole; i += PE_SWAP_UNROLL) {
#pragma GCC unroll 4
		for (unsigned k = 0; k < PE_SWAP_UNROLL; k++) {
			if (prefetch && i + k + PE_PREFETCH_AHEAD < nb)
				rte_prefetch0(
					rte_pktmbuf_mtod(pkts[i + k + PE_PREFETCH_AHEAD], void *));
			if (unlikely(!swap_usual(q, pkts[i + k], &bytes, mode))) {
				i += k;
				goto rest;
			}
		}
	}
	for (; i < nb; i++) {
		if (prefetch && i + PE_PREFETCH_AHEAD < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PE_PREFETCH_AHEAD], void *));
		if (unlikely(!swap_usual(q, pkts[i], &bytes, mode)))
			break;
	}
rest:
	o->n_tx = i;
	o->rx_bytes = bytes;
	o->tx_bytes = bytes;
	for (; i < nb; i++)
		echo_one(q, pkts[i], pkts, drop, o, mode);
}

/* Every frame of the burst is a reply of lens[i] bytes: written back, the bytes returned. */
static __rte_always_inline uint64_t replies_out(struct rte_mbuf **pkts, const uint32_t *lens,
						unsigned nb, bool clear_flags)
{
	uint64_t bytes = 0;

#pragma GCC unroll 4
	for (unsigned i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = lens[i];

		if (clear_flags)
			m->ol_flags &= PE_KEEP_FLAGS;
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		bytes += len;
	}
	return bytes;
}

/* Service mode over a whole burst: pe_pkt_service_burst prepares the configuration once per
 * burst instead of once per frame, and learns what the PMD's checksum offload found. A burst
 * holding a rare frame (chained, or with tags the PMD stripped) takes the per-frame path instead
 * (which verifies every checksum in software); nothing has been touched yet at that point.
 * When no frame took the packet core's full parse (its return value), every frame is a reply no
 * longer than its request: the mbufs are written back without a test per frame. */
static __rte_always_inline void echo_burst_service(const struct pe_dpdk_rxq *q,
						   struct rte_mbuf **pkts, unsigned nb,
						   struct rte_mbuf **drop, struct burst_out *o)
{
	uint8_t *frames[PE_DPDK_MAX_BURST];
	uint32_t lens[PE_DPDK_MAX_BURST];
	uint8_t hw[PE_DPDK_MAX_BURST];
	enum pe_drop v[PE_DPDK_MAX_BURST];
	uint64_t flags = 0, rx_bytes = 0;
	uint16_t segs_or = 0, segs_and = 1; /* every frame one segment: both stay 1 */
	unsigned full;

#pragma GCC unroll 4
	for (unsigned i = 0; i < nb; i++) {
		const struct rte_mbuf *m = pkts[i];

		segs_or |= m->nb_segs;
		segs_and &= m->nb_segs;
		flags |= m->ol_flags;
		frames[i] = rte_pktmbuf_mtod(m, uint8_t *);
		lens[i] = m->data_len;
		rx_bytes += m->data_len;
		if (q->prefetch)
			rte_prefetch0(frames[i]);
	}
	if (unlikely((segs_or ^ 1) | (segs_and ^ 1) | (flags & PE_RX_STRIPPED))) {
		for (unsigned i = 0; i < nb; i++) /* prefetched above */
			echo_one(q, pkts[i], pkts, drop, o, PE_MODE_SERVICE);
		return;
	}
	o->rx_bytes = rx_bytes;
	/* The PMD's checksum verdicts, when it gave any in this burst (not vdevs, nor ports
	 * without RX checksum offload: they pay one OR per frame for this). */
	if (flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK)) {
		for (unsigned i = 0; i < nb; i++)
			hw[i] = csum_hw(pkts[i]->ol_flags);
		full = pe_pkt_service_burst_at(q->cfg, frames, lens, hw, v, nb, lcore_ts);
	} else {
		full = pe_pkt_service_burst_at(q->cfg, frames, lens, NULL, v, nb, lcore_ts);
	}
	if (likely(full == 0)) {
		if (flags & ~PE_KEEP_FLAGS)
			o->tx_bytes = replies_out(pkts, lens, nb, true);
		else /* no flag to clear in this burst (vdevs) */
			o->tx_bytes = replies_out(pkts, lens, nb, false);
		o->n_tx = nb;
		return;
	}
	for (unsigned i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(lens[i] > m->data_len) && v[i] == PE_DROP_NONE &&
		    !reply_grows(m, lens[i]))
			v[i] = PE_DROP_TAILROOM;
		if (likely(v[i] == PE_DROP_NONE)) {
			m->ol_flags &= PE_KEEP_FLAGS;
			m->data_len = (uint16_t)lens[i];
			m->pkt_len = lens[i];
			o->tx_bytes += lens[i];
			pkts[o->n_tx++] = m;
		} else {
			pe_ctr_add(&q->st->c.drops[v[i]], 1);
			drop[o->n_drop++] = m;
		}
	}
}

/* Service mode: the replies over the worker's reply limits become drops (rate_limited). One
 * clock read per burst; the limiter keys on each reply's destination (the request's source). */
static __rte_noinline void limit_replies(const struct pe_dpdk_rxq *q, struct rte_mbuf **pkts,
					 struct rte_mbuf **drop, struct burst_out *o)
{
	uint64_t now = rte_get_tsc_cycles(), limited = 0;
	unsigned kept = 0;

	for (unsigned i = 0; i < o->n_tx; i++) {
		struct rte_mbuf *m = pkts[i];
		uint64_t key = pe_rl_key_of_reply(rte_pktmbuf_mtod(m, uint8_t *), m->data_len);

		if (likely(pe_rl_allow(q->rl, key, now))) {
			pkts[kept++] = m;
		} else {
			o->tx_bytes -= m->pkt_len;
			drop[o->n_drop++] = m;
			limited++;
		}
	}
	o->n_tx = kept;
	if (limited)
		pe_ctr_add(&q->st->c.drops[PE_DROP_RATE_LIMIT], limited);
}

static __rte_always_inline void poll_queue(const struct pe_dpdk_rxq *q, uint16_t burst,
					   enum pe_pkt_mode mode)
{
	struct rte_mbuf *pkts[PE_DPDK_MAX_BURST], *drop[PE_DPDK_MAX_BURST];
	struct pe_stats_block *st = q->st;
	struct burst_out o = {0, 0, 0, 0};
	uint16_t nb, sent = 0;

	nb = rte_eth_rx_burst(q->port, q->queue, pkts, burst);
	if (unlikely(nb == 0))
		return;
	pe_stats_begin(st);
	if (mode == PE_MODE_SERVICE)
		echo_burst_service(q, pkts, nb, drop, &o);
	else if (q->prefetch)
		echo_burst_swap(q, pkts, nb, drop, &o, mode, true);
	else
		echo_burst_swap(q, pkts, nb, drop, &o, mode, false);
	if (mode == PE_MODE_SERVICE && q->rl != NULL && o.n_tx > 0)
		limit_replies(q, pkts, drop, &o);
	if (likely(o.n_tx > 0))
		sent = rte_eth_tx_burst(q->port, q->queue, pkts, o.n_tx);
	if (unlikely(sent < o.n_tx)) {
		/* Still ours: count their bytes out of tx_bytes, then free them. */
		for (unsigned i = sent; i < o.n_tx; i++)
			o.tx_bytes -= pkts[i]->pkt_len;
		pe_ctr_add(&st->c.drops[PE_DROP_TX_FULL], (uint64_t)(o.n_tx - sent));
		rte_pktmbuf_free_bulk(&pkts[sent], o.n_tx - sent);
	}
	if (o.n_drop > 0)
		rte_pktmbuf_free_bulk(drop, o.n_drop);
	pe_ctr_add(&st->c.rx_packets, nb);
	pe_ctr_add(&st->c.rx_bytes, o.rx_bytes);
	pe_ctr_add(&st->c.tx_packets, sent);
	pe_ctr_add(&st->c.tx_bytes, o.tx_bytes);
	pe_stats_end(st);
}

void dpdk_worker_limits_on(struct pe_dpdk_worker *w)
{
	for (uint16_t i = 0; i < w->n_rxq; i++)
		w->rxq[i].rl = pe_rl_enabled(&w->rl) ? &w->rl : NULL;
}

/* pktecho-ctl changed the reply limits: this lcore takes its share (rare; ops owns this). */
static __rte_noinline void follow_limits(struct pe_dpdk_worker *w)
{
	pe_rl_refresh(&w->rl, w->live);
	dpdk_worker_limits_on(w);
}

static __rte_always_inline void run_loop(struct pe_dpdk_worker *w, enum pe_pkt_mode mode)
{
	const uint16_t burst = w->burst, n = w->n_rxq;
	uint64_t rounds = 0;

	while (!__atomic_load_n(&dpdk_quit, __ATOMIC_RELAXED)) {
		if (mode == PE_MODE_SERVICE && unlikely(pe_rl_changed(&w->rl, w->live)))
			follow_limits(w); /* one acquire load per round */
		if (mode == PE_MODE_SERVICE && rounds % PE_TS_ROUNDS == 0)
			lcore_ts = clock_ts();
		for (uint16_t i = 0; i < n; i++)
			poll_queue(&w->rxq[i], burst, mode);
		/* The watchdog's proof of life: one store to the lcore's own line per round. */
		__atomic_store_n(&w->heartbeat, ++rounds, __ATOMIC_RELAXED);
	}
}

static void loop_l2(struct pe_dpdk_worker *w)
{
	run_loop(w, PE_MODE_L2);
}

static void loop_l4(struct pe_dpdk_worker *w)
{
	run_loop(w, PE_MODE_L4);
}

static void loop_service(struct pe_dpdk_worker *w)
{
	run_loop(w, PE_MODE_SERVICE);
}

#if defined(__x86_64__) && defined(PE_PKT_L4_VEC_MIN)
/* l4 again, for CPUs with AVX2 (the choice lib/pkt makes once, cfg->isa): the same source in
 * VEX encoding, where a vector test takes its operand from memory and keeps its inputs, about two
 * instructions fewer per frame. Only where the vector l4 path is built (pe_pkt_inline.h). */
#define PE_LOOP_L4_AVX2 1
__attribute__((target("avx2"))) static void loop_l4_avx2(struct pe_dpdk_worker *w)
{
	run_loop(w, PE_MODE_L4);
}
#endif

/* One specialised loop per mode, chosen once per lcore. */
static void (*const loops[])(struct pe_dpdk_worker *) = {
	[PE_MODE_SERVICE] = loop_service,
	[PE_MODE_L2] = loop_l2,
	[PE_MODE_L4] = loop_l4,
};

static void (*loop_for(const struct pe_dpdk_worker *w))(struct pe_dpdk_worker *)
{
#ifdef PE_LOOP_L4_AVX2
	if (w->mode == PE_MODE_L4 && w->n_rxq > 0 && w->rxq[0].cfg->isa == PE_PKT_ISA_AVX2)
		return loop_l4_avx2;
#endif
	return loops[w->mode];
}

int dpdk_worker_main(void *arg)
{
	struct pe_dpdk_worker *w = arg;

	w->thread = pthread_self();
	__atomic_store_n(&w->in_loop, 1, __ATOMIC_RELEASE);
	loop_for(w)(w);
	__atomic_store_n(&w->in_loop, 0, __ATOMIC_RELEASE);
	return 0;
}
