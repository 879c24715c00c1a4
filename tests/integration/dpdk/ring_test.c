/* SPDX-License-Identifier: MIT */
/* net_ring harness for the lcore loop:
 *  - port 0 (flood): the test floods the RX ring with a bounded number of UDP frames carrying
 *    stale RX offload flags while not reading the 63-entry TX ring, so tx_burst comes back short;
 *    then reads every reply: byte-identical to pe_pkt_echo's reply, ol_flags cleared. Before
 *    that, frames with stripped VLAN / QinQ tags must come back tagged, and a chained mbuf is
 *    dropped as multi_segment.
 *  - port 1 (self-loop): one ring is both RX and TX; a few frames circulate until stop.
 * Oracles: counters add up (rx = tx + tx_full), and every mbuf the test allocated is back in its
 * pool after pe_dpdk_stop (no leak, no double free), as is every mbuf of lib/dpdk's own pools.
 * With the argument "csum": one port in service mode gets frames carrying each of the PMD's RX
 * checksum flags (GOOD with a wrong checksum: echoed; BAD with right checksums: dropped and
 * counted; UNKNOWN and NONE: verified in software). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "pe_conf.h"
#include "pe_dpdk.h"

#define FLOOD_PKTS  20000u
#define LOOP_PKTS   256u
#define LOOP_TARGET 50000u /* loop port: packets echoed before the test stops */
#define POOL_SIZE   8191u
#define FRAME_LEN   64u
#define STALE_FLAGS                                                                                \
	(RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_RSS_HASH |       \
	 RTE_MBUF_F_RX_FDIR)

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* A valid Ethernet / IPv4 / UDP datagram 198.18.0.2:40000 -> 198.18.0.1:7, 64 bytes on the wire. */
static void build_frame(uint8_t *f, uint16_t id)
{
	static const uint8_t head[] = {
		0x02, 0,    0, 0,  0,	0x01, 0x02, 0, 0,  0,  0, 0x02, 0x08, 0x00, /* Ethernet */
		0x45, 0,    0, 50, 0,	0,    0x40, 0, 64, 17, 0, 0,		    /* IPv4 */
		198,  18,   0, 2,  198, 18,   0,    1,				    /* src, dst */
		0x9c, 0x40, 0, 7,  0,	30,   0,    0,				    /* UDP */
	};
	uint32_t sum;

	memset(f, 0, FRAME_LEN);
	memcpy(f, head, sizeof(head));
	f[18] = (uint8_t)(id >> 8);
	f[19] = (uint8_t)id;
	for (unsigned i = 0; i < 22; i++)
		f[42 + i] = (uint8_t)(id + i);
	f[24] = f[25] = 0;
	sum = pe_csum_partial(f + 14, 20, 0);
	f[24] = (uint8_t)(pe_csum_fold(sum) >> 8);
	f[25] = (uint8_t)pe_csum_fold(sum);
	/* UDP checksum: pseudo-header (addresses, protocol, length) + header + data. */
	sum = pe_csum_partial(f + 26, 8, 0) + 17 + 30;
	sum = pe_csum_partial(f + 34, 30, sum);
	f[40] = (uint8_t)(pe_csum_fold(sum) >> 8);
	f[41] = (uint8_t)pe_csum_fold(sum);
}

static struct rte_mbuf *make_mbuf(struct rte_mempool *mp, uint16_t id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		return NULL;
	build_frame(rte_pktmbuf_mtod(m, uint8_t *), id);
	m->data_len = m->pkt_len = FRAME_LEN;
	m->ol_flags |= STALE_FLAGS; /* what a PMD leaves on a received mbuf */
	return m;
}

static void check_reply(const struct pe_pkt_cfg *cfg, struct rte_mbuf *m, unsigned *checked)
{
	uint8_t want[FRAME_LEN];
	uint32_t len = FRAME_LEN;
	const uint8_t *got = rte_pktmbuf_mtod(m, const uint8_t *);
	/* The request's IP id is still at offset 18 (the l4 echo swaps only addresses and ports).
	 */
	uint16_t id = (uint16_t)(got[18] << 8 | got[19]);

	build_frame(want, id);
	CHECK(pe_pkt_echo(cfg, want, &len) == PE_DROP_NONE, "reference echo refused the frame");
	CHECK(m->pkt_len == len && m->data_len == len, "reply length %u, want %u", m->pkt_len, len);
	CHECK(memcmp(got, want, len) == 0, "reply %u differs from the reference echo", id);
	CHECK((m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) == 0,
	      "stale ol_flags 0x%llx left on a reply", (unsigned long long)m->ol_flags);
	(*checked)++;
}

/* Floods port 0's RX ring without reading its TX ring (so TX fills), then drains the TX ring. */
static unsigned flood(struct rte_mempool *mp, struct rte_ring *rx)
{
	unsigned sent = 0;
	uint64_t deadline = now_ms() + 10000;

	while (sent < FLOOD_PKTS && now_ms() < deadline) {
		struct rte_mbuf *m = make_mbuf(mp, (uint16_t)sent);

		if (m == NULL) {
			sleep_ms(1);
			continue;
		}
		if (rte_ring_enqueue(rx, m) != 0) {
			rte_pktmbuf_free(m);
			sleep_ms(1);
			continue;
		}
		sent++;
	}
	/* Let the worker take everything; the replies that fitted into the TX ring are read once
	 * the workers have stopped (read_replies), so none can still be in flight. */
	while (rte_ring_count(rx) > 0 && now_ms() < deadline)
		sleep_ms(1);
	return sent;
}

static void read_replies(struct rte_ring *tx, const struct pe_pkt_cfg *cfg, unsigned *checked)
{
	for (void *obj = NULL; rte_ring_dequeue(tx, &obj) == 0;) {
		check_reply(cfg, obj, checked);
		rte_pktmbuf_free(obj);
	}
}

/* Tags the PMD stripped come back on the reply (the ring port has no VLAN insert offload, so
 * they are pushed back into the frame); a chained mbuf is dropped as multi_segment. */
static void vlan_want(uint8_t *want, uint32_t *len, uint16_t id, bool qinq)
{
	uint8_t plain[FRAME_LEN];
	uint32_t off = 12;

	build_frame(plain, id);
	memcpy(want, plain, 12);
	if (qinq) {
		memcpy(want + off, "\x88\xa8\x04\x56", 4);
		off += 4;
	}
	memcpy(want + off, "\x81\x00\x01\x23", 4);
	off += 4;
	memcpy(want + off, plain + 12, FRAME_LEN - 12);
	*len = off + FRAME_LEN - 12;
}

static unsigned special_frames(struct rte_mempool *mp, struct rte_ring *rx, struct rte_ring *tx,
			       const struct pe_pkt_cfg *cfg, unsigned *replies)
{
	struct rte_mbuf *v = make_mbuf(mp, 60000), *q = make_mbuf(mp, 60001);
	struct rte_mbuf *m1 = make_mbuf(mp, 60002), *m2 = make_mbuf(mp, 60003);
	uint64_t deadline = now_ms() + 5000;
	unsigned got = 0;

	if (v == NULL || q == NULL || m1 == NULL || m2 == NULL)
		return 0;
	v->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	v->vlan_tci = 0x0123;
	q->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ |
		       RTE_MBUF_F_RX_QINQ_STRIPPED;
	q->vlan_tci = 0x0123;
	q->vlan_tci_outer = 0x0456;
	/* The chain first, without RX flags (as a vdev hands one over): the l2/l4 loop's first test
	 * of a burst must catch it, not the per-frame path a stripped tag before it would lead to.
	 */
	m1->ol_flags &= ~STALE_FLAGS;
	CHECK(rte_pktmbuf_chain(m1, m2) == 0, "cannot chain two mbufs");
	CHECK(rte_ring_enqueue(rx, m1) == 0 && rte_ring_enqueue(rx, v) == 0 &&
		      rte_ring_enqueue(rx, q) == 0,
	      "cannot enqueue the special frames");
	while (got < 2 && now_ms() < deadline) {
		void *obj = NULL;

		if (rte_ring_dequeue(tx, &obj) != 0) {
			sleep_ms(1);
			continue;
		}
		struct rte_mbuf *m = obj;
		uint8_t want[FRAME_LEN + 8];
		uint32_t len;
		bool is_q = got == 1;

		vlan_want(want, &len, (uint16_t)(60000 + got), is_q);
		CHECK(pe_pkt_echo(cfg, want, &len) == PE_DROP_NONE, "reference echo refused a tag");
		CHECK(m->pkt_len == len && memcmp(rte_pktmbuf_mtod(m, uint8_t *), want, len) == 0,
		      "%s: the reply does not carry the stripped tag(s) back",
		      is_q ? "QinQ" : "VLAN");
		CHECK((m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) == 0,
		      "stale ol_flags 0x%llx on a tagged reply", (unsigned long long)m->ol_flags);
		rte_pktmbuf_free(m);
		got++;
	}
	CHECK(got == 2, "%u of 2 tagged replies came back", got);
	*replies = got;
	return 3;
}

static void seed_loop(struct rte_mempool *mp, struct rte_ring *loop)
{
	for (unsigned i = 0; i < LOOP_PKTS; i++) {
		struct rte_mbuf *m = make_mbuf(mp, (uint16_t)i);

		if (m != NULL && rte_ring_enqueue(loop, m) != 0)
			rte_pktmbuf_free(m);
	}
}

static const struct pe_counters *block_of(const struct pe_stats_snapshot *s, const char *name)
{
	for (unsigned i = 0; i < s->n_blocks; i++)
		if (strcmp(s->blocks[i].name, name) == 0)
			return &s->blocks[i].c;
	return NULL;
}

static void wait_loop(struct pe_dpdk *d, struct pe_stats_snapshot *s)
{
	uint64_t deadline = now_ms() + 10000;

	while (now_ms() < deadline) {
		const struct pe_counters *c;

		if (pe_stats_snapshot(pe_dpdk_stats(d), s) == 0 &&
		    (c = block_of(s, "p1q0")) != NULL && c->rx_packets >= LOOP_TARGET)
			return;
		sleep_ms(10);
	}
}

static void check_counters(const struct pe_stats_snapshot *s, unsigned sent, unsigned checked)
{
	/* Counted in sent/checked: the 3 special frames (2 tagged replies, 1 chained drop). */
	const struct pe_counters *f = block_of(s, "p0q0"), *l = block_of(s, "p1q0");

	CHECK(f != NULL && l != NULL, "counter blocks p0q0 / p1q0 missing");
	if (f == NULL || l == NULL)
		return;
	CHECK(f->rx_packets == sent, "flood port: rx_packets %llu, sent %u",
	      (unsigned long long)f->rx_packets, sent);
	CHECK(f->tx_packets == checked, "flood port: tx_packets %llu, replies read %u",
	      (unsigned long long)f->tx_packets, checked);
	CHECK(f->drops[PE_DROP_TX_FULL] > 0, "flood port: the TX ring never filled");
	CHECK(f->drops[PE_DROP_MULTISEG] == 1, "flood port: multi_segment %llu, want 1",
	      (unsigned long long)f->drops[PE_DROP_MULTISEG]);
	CHECK(f->tx_packets + f->drops[PE_DROP_TX_FULL] + 1 == f->rx_packets,
	      "flood port: tx %llu + tx_full %llu != rx %llu", (unsigned long long)f->tx_packets,
	      (unsigned long long)f->drops[PE_DROP_TX_FULL], (unsigned long long)f->rx_packets);
	/* Every frame is 64 bytes but the 2-segment chain (128): rx_bytes counts what arrived. */
	CHECK(f->rx_bytes == (uint64_t)(sent + 1) * FRAME_LEN, "flood port: rx_bytes %llu",
	      (unsigned long long)f->rx_bytes);
	CHECK(l->rx_packets >= LOOP_TARGET, "loop port: only %llu packets echoed",
	      (unsigned long long)l->rx_packets);
	CHECK(l->tx_packets + l->drops[PE_DROP_TX_FULL] == l->rx_packets,
	      "loop port: tx + tx_full != rx");
	printf("flood: sent %u, replies %u, tx_full %llu; loop: %llu echoed\n", sent, checked,
	       (unsigned long long)f->drops[PE_DROP_TX_FULL], (unsigned long long)l->rx_packets);
}

static int eal_start(const char *argv0, const char *tag)
{
	char prefix[64];
	char *eal[] = {(char *)argv0, "--no-huge",   "-m",	"256",		 "--no-pci", "-l",
		       "0,1",	      "--log-level", "warning", "--file-prefix", prefix,     NULL};

	snprintf(prefix, sizeof(prefix), "pe-test-%d-%s", (int)getpid(), tag);
	return rte_eal_init((int)RTE_DIM(eal) - 1, eal);
}

/* Both runs end here: rte_eal_cleanup() leaves the --file-prefix directory behind. */
static void eal_end(void)
{
	char run_dir[4096];

	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	CHECK(pe_runtime_dir_remove(run_dir) == 0, "runtime dir %s not removed", run_dir);
}

/* The csum run: each frame, its RX flags, which checksum to break (0 none, 24 IP, 40 UDP) and
 * what must happen. */
static const struct {
	uint64_t flags;
	unsigned poke;
	enum pe_drop want;
} csum_cases[] = {
	{RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD, 24, PE_DROP_NONE},
	{RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD, 40, PE_DROP_NONE},
	{RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD, 0, PE_DROP_IP_CSUM},
	{RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD, 0, PE_DROP_UDP_CSUM},
	{RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN | RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, 24, PE_DROP_IP_CSUM},
	{RTE_MBUF_F_RX_IP_CKSUM_NONE | RTE_MBUF_F_RX_L4_CKSUM_NONE, 40, PE_DROP_UDP_CSUM},
	{RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN | RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, 0, PE_DROP_NONE},
	{RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_NONE, 0, PE_DROP_NONE},
};
#define CSUM_N	RTE_DIM(csum_cases)
#define CSUM_ID 1000u
static struct rte_ether_addr csum_mac; /* the ring port's: ring ports refuse a new one */

static void csum_frame(uint8_t *f, unsigned i)
{
	build_frame(f, (uint16_t)(CSUM_ID + i));
	memcpy(f, csum_mac.addr_bytes, 6);
	if (csum_cases[i].poke)
		f[csum_cases[i].poke] ^= 0x5a;
}

static void csum_replies(struct rte_ring *tx, const struct pe_pkt_cfg *cfg, unsigned *seen)
{
	struct pe_pkt_cfg off = *cfg;
	void *obj = NULL;

	off.verify_csum = false; /* the reference: the same echo, no checksum verified */
	memcpy(off.mac, csum_mac.addr_bytes, 6);
	while (rte_ring_dequeue(tx, &obj) == 0) {
		struct rte_mbuf *m = obj;
		const uint8_t *got = rte_pktmbuf_mtod(m, const uint8_t *);
		unsigned i = (unsigned)(got[18] << 8 | got[19]) - CSUM_ID;
		uint8_t want[FRAME_LEN];
		uint32_t len = FRAME_LEN;

		CHECK(i < CSUM_N && csum_cases[i].want == PE_DROP_NONE, "unexpected reply (id %u)",
		      i + CSUM_ID);
		if (i < CSUM_N) {
			csum_frame(want, i);
			CHECK(pe_pkt_echo(&off, want, &len) == PE_DROP_NONE, "reference refused");
			CHECK(m->data_len == len && memcmp(got, want, len) == 0,
			      "case %u: reply differs from the reference echo", i);
			*seen |= 1u << i;
		}
		CHECK((m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) == 0,
		      "RX checksum flags 0x%llx left on a reply", (unsigned long long)m->ol_flags);
		rte_pktmbuf_free(m);
	}
}

static int run_csum(const char *argv0)
{
	static struct pe_dpdk_conf conf;
	static struct pe_stats_snapshot snap;
	struct rte_ring *rx, *tx;
	struct rte_mempool *mp;
	const struct pe_counters *c = NULL;
	struct pe_dpdk *d;
	unsigned seen = 0, want_seen = 0, n_ip = 0, n_udp = 0;
	uint64_t deadline;

	if (eal_start(argv0, "ringcsum") < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("csum_pool", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rx = rte_ring_create("c_rx", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx = rte_ring_create("c_tx", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (mp == NULL || rx == NULL || tx == NULL ||
	    rte_eth_from_rings("net_ring_csum", &rx, 1, &tx, 1, 0) < 0 ||
	    rte_eth_macaddr_get(0, &csum_mac) != 0) {
		fprintf(stderr, "test setup (pool, rings, ring port) failed\n");
		return 1;
	}
	pe_dpdk_conf_init(&conf);
	if (pe_pkt_cfg_add_ip(&conf.pkt, "198.18.0.1/24") != 0) {
		fprintf(stderr, "cannot add the service address\n");
		return 1;
	}
	d = pe_dpdk_create(&conf);
	if (d == NULL || pe_dpdk_start(d) != 0) {
		fprintf(stderr, "pe_dpdk_create/start failed\n");
		return 1;
	}
	for (unsigned i = 0; i < CSUM_N; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		CHECK(m != NULL, "no mbuf");
		if (m == NULL)
			break;
		csum_frame(rte_pktmbuf_mtod(m, uint8_t *), i);
		m->data_len = m->pkt_len = FRAME_LEN;
		m->ol_flags |= csum_cases[i].flags;
		CHECK(rte_ring_enqueue(rx, m) == 0, "cannot enqueue frame %u", i);
		want_seen |= (csum_cases[i].want == PE_DROP_NONE) << i;
		n_ip += csum_cases[i].want == PE_DROP_IP_CSUM;
		n_udp += csum_cases[i].want == PE_DROP_UDP_CSUM;
	}
	/* Every frame taken in (rx_packets counts the burst after it is echoed): then stop. */
	for (deadline = now_ms() + 10000; now_ms() < deadline; sleep_ms(5))
		if (pe_stats_snapshot(pe_dpdk_stats(d), &snap) == 0 &&
		    (c = block_of(&snap, "p0q0")) != NULL && c->rx_packets >= CSUM_N)
			break;
	CHECK(pe_dpdk_stop(d) == 0, "workers did not stop");
	csum_replies(tx, &conf.pkt, &seen);
	CHECK(pe_stats_snapshot(pe_dpdk_stats(d), &snap) == 0, "snapshot failed");
	c = block_of(&snap, "p0q0");
	CHECK(c != NULL && c->rx_packets == CSUM_N, "rx_packets wrong");
	CHECK(seen == want_seen, "replies 0x%x, want 0x%x", seen, want_seen);
	if (c != NULL) {
		CHECK(c->drops[PE_DROP_IP_CSUM] == n_ip, "ip_bad_checksum %llu, want %u",
		      (unsigned long long)c->drops[PE_DROP_IP_CSUM], n_ip);
		CHECK(c->drops[PE_DROP_UDP_CSUM] == n_udp, "udp_bad_checksum %llu, want %u",
		      (unsigned long long)c->drops[PE_DROP_UDP_CSUM], n_udp);
	}
	/* Each lcore's counter block starts its own cache line (worker.c checks the sizes). */
	for (unsigned b = 0; b < pe_stats_count(pe_dpdk_stats(d)); b++)
		CHECK(((uintptr_t)pe_stats_block(pe_dpdk_stats(d), b) &
		       (RTE_CACHE_LINE_SIZE - 1)) == 0,
		      "counter block %u is not cache-line aligned", b);
	CHECK(pe_dpdk_leaked(d) == 0, "lib/dpdk pools leaked");
	CHECK(rte_mempool_avail_count(mp) == 255, "test pool: %u of 255 mbufs back",
	      rte_mempool_avail_count(mp));
	pe_dpdk_destroy(d);
	eal_end();
	printf("csum: %u replies, %u + %u checksum drops; %s\n", (unsigned)__builtin_popcount(seen),
	       n_ip, n_udp, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct pe_dpdk_conf conf;
	static struct pe_stats_snapshot snap;
	struct rte_ring *rx, *tx, *loop;
	struct rte_mempool *mp;
	struct pe_dpdk *d;
	unsigned sent, checked = 0, extra = 0;

	if (argc > 1 && strcmp(argv[1], "csum") == 0)
		return run_csum(argv[0]);
	if (argc > 1 && strcmp(argv[1], "base") != 0) {
		fprintf(stderr, "usage: %s [csum|base]\n", argv[0]);
		return 2;
	}
	if (eal_start(argv[0], "ring") < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("test_pool", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rx = rte_ring_create("t_rx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx = rte_ring_create("t_tx", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	loop = rte_ring_create("t_loop", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (mp == NULL || rx == NULL || tx == NULL || loop == NULL ||
	    rte_eth_from_rings("net_ring_flood", &rx, 1, &tx, 1, 0) < 0 ||
	    rte_eth_from_ring(loop) < 0) {
		fprintf(stderr, "test setup (pool, rings, ring ports) failed\n");
		return 1;
	}
	pe_dpdk_conf_init(&conf);
	conf.pkt.mode = PE_MODE_L4;
	conf.prefetch = 1; /* ring ports are vdevs: force the prefetching loop under test */
	/* base: the baseline l4 loop, where the CPU would get the AVX2 one (lib/dpdk/worker.c). */
	if (argc > 1)
		conf.pkt.isa = PE_PKT_ISA_BASE;
	/* Seeded before start: the loop ring is single-producer, and then the worker produces. */
	seed_loop(mp, loop);
	d = pe_dpdk_create(&conf);
	if (d == NULL || pe_dpdk_start(d) != 0) {
		fprintf(stderr, "pe_dpdk_create/start failed\n");
		return 1;
	}
	sent = special_frames(mp, rx, tx, &conf.pkt, &extra);
	sent += flood(mp, rx);
	checked += extra;
	wait_loop(d, &snap);
	CHECK(pe_dpdk_stop(d) == 0, "workers did not stop");
	read_replies(tx, &conf.pkt, &checked);
	CHECK(pe_stats_snapshot(pe_dpdk_stats(d), &snap) == 0, "snapshot failed");
	check_counters(&snap, sent, checked);
	CHECK(pe_dpdk_leaked(d) == 0, "lib/dpdk pools leaked");
	CHECK(rte_mempool_avail_count(mp) == POOL_SIZE, "test pool: %u of %u mbufs back",
	      rte_mempool_avail_count(mp), POOL_SIZE);
	pe_dpdk_destroy(d);
	eal_end();
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
