/* SPDX-License-Identifier: MIT */
/* lib/load frames (the DPDK mode's packets, as plain bytes): headers and checksums checked with a
 * plain reference checksum, echoes parsed back, truncation never read past, ARP and NDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "pe_load.h"
#include "pe_pkt.h"

/* RFC 1071 the slow way: the reference the library is checked against. */
static uint16_t ref_sum(const uint8_t *a, size_t n, const uint8_t *b, size_t m)
{
	uint32_t s = 0;
	uint8_t *all = malloc(n + m + 1);

	memcpy(all, a, n);
	if (m)
		memcpy(all + n, b, m);
	all[n + m] = 0;
	for (size_t i = 0; i < n + m; i += 2)
		s += (uint32_t)(all[i] << 8 | all[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	free(all);
	return (uint16_t)s;
}

static void l2_init(struct pe_load_l2 *c, int family, uint32_t size)
{
	static const uint8_t smac[6] = {0x02, 0, 0, 0, 0, 0x01}, dmac[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t s4[4] = {198, 18, 0, 1}, d4[4] = {198, 18, 0, 2};
	static const uint8_t s6[16] = {0x20, 0x01, 0, 2, [15] = 1};
	static const uint8_t d6[16] = {0x20, 0x01, 0, 2, [13] = 0xab, [14] = 0xcd, [15] = 2};

	memset(c, 0, sizeof(*c));
	memcpy(c->src_mac, smac, 6);
	memcpy(c->dst_mac, dmac, 6);
	c->family = family;
	memcpy(c->src_ip, family == AF_INET ? s4 : s6, family == AF_INET ? 4 : 16);
	memcpy(c->dst_ip, family == AF_INET ? d4 : d6, family == AF_INET ? 4 : 16);
	c->dst_port = 7;
	c->size = size;
}

/* Pseudo header + L4 bytes must sum to 0xffff when the L4 checksum is right. */
static void check_l4_sum(const uint8_t *f, int family, uint8_t proto)
{
	bool v6 = family == AF_INET6;
	const uint8_t *ip = f + 14, *l4 = ip + (v6 ? 40 : 20);
	uint32_t l4len = v6 ? (uint32_t)(ip[4] << 8 | ip[5]) : (uint32_t)(ip[2] << 8 | ip[3]) - 20;
	uint8_t ph[40] = {0};
	size_t n = v6 ? 16 : 4;

	memcpy(ph, v6 ? ip + 8 : ip + 12, n);
	memcpy(ph + n, v6 ? ip + 24 : ip + 16, n);
	ph[2 * n + 2] = (uint8_t)(l4len >> 8);
	ph[2 * n + 3] = (uint8_t)l4len;
	ph[2 * n + 7] = proto;
	assert_int_equal(ref_sum(ph, 2 * n + 8, l4, l4len), 0xffff);
}

static void build(const struct pe_load_l2 *c, uint32_t flow, uint64_t seq, uint8_t *f)
{
	/* Values with carries in every 16-bit word, so the per-packet checksum arithmetic is tried.
	 */
	struct pe_load_hdr h = {.flow = flow,
				.seq = seq,
				.ts_ns = 0xfffefdfcfbfaf9f8ull - seq * 7919,
				.nonce = 42 | (seq << 40) | 0xffff00000000ull};
	uint32_t sum = pe_load_frame_tmpl(c, flow, f);

	pe_load_frame_stamp(c, f, sum, &h);
}

static void test_frame_ip4(void **state)
{
	static const uint32_t sizes[] = {32, 33, 64, 101, 1472};
	struct pe_load_l2 c;
	uint8_t f[PE_LOAD_FRAME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		l2_init(&c, AF_INET, sizes[i]);
		assert_int_equal(pe_load_frame_len(&c), 14 + 20 + 8 + sizes[i]);
		for (uint64_t seq = 0; seq < 300; seq += 37) {
			build(&c, 3, seq * 0x0101010101ull, f);
			assert_int_equal(f[12] << 8 | f[13], 0x0800);
			assert_int_equal(ref_sum(f + 14, 20, NULL, 0), 0xffff); /* IPv4 header */
			assert_int_equal(f[14 + 8], 64);			/* TTL */
			assert_int_equal(f[34] << 8 | f[35], PE_LOAD_SRC_PORT_BASE + 3);
			assert_int_equal(f[36] << 8 | f[37], 7);
			check_l4_sum(f, AF_INET, 17);
			assert_true(pe_load_payload_ok(f + 42, sizes[i], sizes[i]));
		}
	}
}

static void test_frame_ip6(void **state)
{
	struct pe_load_l2 c;
	uint8_t f[PE_LOAD_FRAME_MAX];

	(void)state;
	for (uint32_t size = 32; size < 1400; size += 111) {
		l2_init(&c, AF_INET6, size);
		assert_int_equal(pe_load_frame_len(&c), 14 + 40 + 8 + size);
		build(&c, 0, size * 977, f);
		assert_int_equal(f[12] << 8 | f[13], 0x86dd);
		assert_int_equal(f[14 + 6], 17);
		check_l4_sum(f, AF_INET6, 17);
	}
}

/* What an echo server sends back: MACs, IPs and UDP ports swapped (or only the MACs, L2). */
static void reflect(uint8_t *f, int family, bool l2_only)
{
	uint8_t t[16];
	size_t n = family == AF_INET6 ? 16 : 4, ipoff = family == AF_INET6 ? 22 : 26;
	uint8_t *udp = f + (family == AF_INET6 ? 54 : 34);

	memcpy(t, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
	if (l2_only)
		return;
	memcpy(t, f + ipoff, n);
	memcpy(f + ipoff, f + ipoff + n, n);
	memcpy(f + ipoff + n, t, n);
	memcpy(t, udp, 2);
	memcpy(udp, udp + 2, 2);
	memcpy(udp + 2, t, 2);
}

static void test_parse_echo(void **state)
{
	static const int fams[] = {AF_INET, AF_INET6};
	struct pe_load_l2 c;
	uint8_t f[PE_LOAD_FRAME_MAX], mac[6];
	const uint8_t *payload;
	uint32_t flow = 99, plen = 0, len;
	struct pe_load_hdr h;

	(void)state;
	for (int k = 0; k < 2; k++) {
		for (int l2 = 0; l2 < 2; l2++) {
			l2_init(&c, fams[k], 100);
			len = pe_load_frame_len(&c);
			build(&c, 5, 77, f);
			/* Our own frame as it leaves is not an echo to us. */
			assert_int_equal(
				pe_load_frame_parse(&c, 8, f, len, &flow, &payload, &plen, mac),
				PE_FRAME_OTHER);
			reflect(f, fams[k], l2);
			assert_int_equal(
				pe_load_frame_parse(&c, 8, f, len, &flow, &payload, &plen, mac),
				PE_FRAME_ECHO);
			assert_int_equal(flow, 5);
			assert_int_equal(plen, 100);
			assert_int_equal(pe_load_hdr_decode(payload, plen, &h), 0);
			assert_true(h.seq == 77 && h.flow == 5 && (h.nonce & 0xff) == 42);
			/* Flow 5 is not ours when we only have 5 flows. */
			assert_int_equal(
				pe_load_frame_parse(&c, 5, f, len, &flow, &payload, &plen, mac),
				PE_FRAME_OTHER);
		}
	}
}

static void test_parse_truncated(void **state)
{
	struct pe_load_l2 c;
	uint8_t f[PE_LOAD_FRAME_MAX], mac[6];
	const uint8_t *payload;
	uint32_t flow, plen, len;

	(void)state;
	for (int fam = 0; fam < 2; fam++) {
		l2_init(&c, fam ? AF_INET6 : AF_INET, 64);
		len = pe_load_frame_len(&c);
		build(&c, 0, 1, f);
		reflect(f, c.family, false);
		/* Every shorter length, copied to an exact-size buffer so ASan sees any over-read.
		 */
		for (uint32_t n = 0; n < len; n++) {
			uint8_t *g = malloc(n ? n : 1);

			memcpy(g, f, n);
			assert_int_equal(
				pe_load_frame_parse(&c, 1, g, n, &flow, &payload, &plen, mac),
				PE_FRAME_OTHER);
			free(g);
		}
		/* Longer (Ethernet padding) is fine: the IP length rules. */
		assert_int_equal(pe_load_frame_parse(&c, 1, f, len, &flow, &payload, &plen, mac),
				 PE_FRAME_ECHO);
		assert_int_equal(plen, 64);
	}
}

static void test_parse_not_ours(void **state)
{
	struct pe_load_l2 c;
	uint8_t f[PE_LOAD_FRAME_MAX], mac[6];
	const uint8_t *payload;
	uint32_t flow, plen, len;

	(void)state;
	l2_init(&c, AF_INET, 64);
	len = pe_load_frame_len(&c);
	build(&c, 0, 1, f);
	reflect(f, AF_INET, false);
	f[5] ^= 0x10; /* unicast to another MAC */
	assert_int_equal(pe_load_frame_parse(&c, 1, f, len, &flow, &payload, &plen, mac),
			 PE_FRAME_OTHER);
	f[5] ^= 0x10;
	f[35] ^= 1; /* from another source port than the target's */
	assert_int_equal(pe_load_frame_parse(&c, 1, f, len, &flow, &payload, &plen, mac),
			 PE_FRAME_OTHER);
	f[35] ^= 1;
	f[23] = 6; /* TCP */
	assert_int_equal(pe_load_frame_parse(&c, 1, f, len, &flow, &payload, &plen, mac),
			 PE_FRAME_OTHER);
}

/* The peer's view: the same addresses with the roles swapped. */
static void l2_peer(const struct pe_load_l2 *c, struct pe_load_l2 *p)
{
	*p = *c;
	memcpy(p->src_mac, c->dst_mac, 6);
	memcpy(p->dst_mac, c->src_mac, 6);
	memcpy(p->src_ip, c->dst_ip, 16);
	memcpy(p->dst_ip, c->src_ip, 16);
}

static void test_arp(void **state)
{
	struct pe_load_l2 c, peer;
	uint8_t req[64], rep[64], mac[6];
	const uint8_t *payload;
	uint32_t flow, plen;

	(void)state;
	l2_init(&c, AF_INET, 64);
	l2_peer(&c, &peer);
	/* Our request for the target, as the target sees it: a request for its address. */
	assert_int_equal(pe_load_frame_arp(&c, NULL, req), 60);
	assert_memory_equal(req, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(pe_load_frame_parse(&peer, 1, req, 60, &flow, &payload, &plen, mac),
			 PE_FRAME_ARP_REQUEST);
	/* The target answers; we learn its MAC. */
	assert_int_equal(pe_load_frame_arp(&peer, req, rep), 60);
	assert_int_equal(pe_load_frame_parse(&c, 1, rep, 60, &flow, &payload, &plen, mac),
			 PE_FRAME_ARP_REPLY);
	assert_memory_equal(mac, c.dst_mac, 6);
	/* A request for another address is not ours. */
	req[14 + 27] ^= 1;
	assert_int_equal(pe_load_frame_parse(&peer, 1, req, 60, &flow, &payload, &plen, mac),
			 PE_FRAME_OTHER);
}

static void test_ndp(void **state)
{
	struct pe_load_l2 c, peer;
	uint8_t ns[96], na[96], mac[6];
	const uint8_t *payload;
	uint32_t flow, plen, len;

	(void)state;
	l2_init(&c, AF_INET6, 64);
	l2_peer(&c, &peer);
	len = pe_load_frame_ns(&c, ns);
	assert_int_equal(len, 86);
	assert_memory_equal(ns, "\x33\x33\xff\xab\xcd\x02", 6); /* solicited-node group MAC */
	assert_int_equal(ns[14 + 7], 255);
	check_l4_sum(ns, AF_INET6, 58);
	assert_int_equal(pe_load_frame_parse(&peer, 1, ns, len, &flow, &payload, &plen, mac),
			 PE_FRAME_NDP_NS);
	len = pe_load_frame_na(&peer, ns, na);
	check_l4_sum(na, AF_INET6, 58);
	assert_int_equal(pe_load_frame_parse(&c, 1, na, len, &flow, &payload, &plen, mac),
			 PE_FRAME_NDP_NA);
	assert_memory_equal(mac, c.dst_mac, 6);
}

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random frames, nudged towards the paths the parser takes (our MAC, the EtherTypes, IP
 * versions, UDP, the target's addresses and ports): exact-size heap copies so ASan sees any
 * over-read, and an echo's payload always lies inside the frame. */
static void test_parse_random(void **state)
{
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100};
	struct pe_load_l2 c;
	uint64_t x = 0x1234567887654321ull;
	unsigned echoes = 0;

	(void)state;
	for (int fam = 0; fam < 2; fam++) {
		l2_init(&c, fam ? AF_INET6 : AF_INET, 64);
		for (int i = 0; i < 50000; i++) {
			uint8_t f[160], t[PE_LOAD_FRAME_MAX], mac[6];
			uint32_t len = (uint32_t)(rng_next(&x) % sizeof(f)), flow = 0, plen = 0;
			const uint8_t *payload = NULL;
			uint8_t *g;

			for (size_t k = 0; k < sizeof(f); k++)
				f[k] = (uint8_t)rng_next(&x);
			/* A valid echo to borrow a prefix from, sometimes all of it. */
			pe_load_frame_tmpl(&c, (uint32_t)(i % 6), t);
			reflect(t, c.family, i % 3 == 0);
			memcpy(f, t, (size_t)(rng_next(&x) % 2 ? sizeof(f) : rng_next(&x) % 100));
			f[12] = (uint8_t)(types[i % 4] >> 8);
			f[13] = (uint8_t)types[i % 4];
			g = malloc(len ? len : 1);
			memcpy(g, f, len);
			if (pe_load_frame_parse(&c, 4, g, len, &flow, &payload, &plen, mac) ==
			    PE_FRAME_ECHO) {
				echoes++;
				assert_true(flow < 4);
				assert_true(payload >= g && payload + plen <= g + len);
			}
			free(g);
		}
	}
	print_message("random frames: %u parsed as echoes\n", echoes);
}

/* The packet core answers our frames (service mode: checksums and policy checked; l4 and l2
 * reflectors too) and the replies parse back as echoes of the same flow and sequence. */
static void test_through_packet_core(void **state)
{
	static const enum pe_pkt_mode modes[] = {PE_MODE_SERVICE, PE_MODE_L4, PE_MODE_L2};
	struct pe_pkt_cfg *cfg = malloc(sizeof(*cfg));
	struct pe_load_l2 c;
	uint8_t f[PE_LOAD_FRAME_MAX], mac[6];
	const uint8_t *payload;
	uint32_t flow, plen, len;
	struct pe_load_hdr h;

	(void)state;
	for (int fam = 0; fam < 2; fam++) {
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			for (uint32_t size = 32; size <= 1033; size += 1001) {
				l2_init(&c, fam ? AF_INET6 : AF_INET, size);
				pe_pkt_cfg_init(cfg);
				cfg->mode = modes[m];
				memcpy(cfg->mac, c.dst_mac, 6);
				assert_int_equal(pe_pkt_cfg_add_ip(cfg, fam ? "2001:2::ab:cd02/64"
									    : "198.18.0.2/15"),
						 0);
				build(&c, 2, 1000 + size, f);
				len = pe_load_frame_len(&c);
				assert_int_equal(pe_pkt_echo(cfg, f, &len), PE_DROP_NONE);
				assert_int_equal(pe_load_frame_parse(&c, 4, f, len, &flow, &payload,
								     &plen, mac),
						 PE_FRAME_ECHO);
				assert_int_equal(flow, 2);
				assert_true(pe_load_payload_ok(payload, plen, size));
				assert_int_equal(pe_load_hdr_decode(payload, plen, &h), 0);
				assert_true(h.seq == 1000 + size);
			}
		}
	}
	/* Our ARP request and NS are answered by the service with its MAC. */
	for (int fam = 0; fam < 2; fam++) {
		l2_init(&c, fam ? AF_INET6 : AF_INET, 64);
		pe_pkt_cfg_init(cfg);
		memcpy(cfg->mac, c.dst_mac, 6);
		assert_int_equal(
			pe_pkt_cfg_add_ip(cfg, fam ? "2001:2::ab:cd02/64" : "198.18.0.2/15"), 0);
		memset(c.dst_mac, 0, 6);
		len = fam ? pe_load_frame_ns(&c, f) : pe_load_frame_arp(&c, NULL, f);
		assert_int_equal(pe_pkt_echo(cfg, f, &len), PE_DROP_NONE);
		assert_int_equal(pe_load_frame_parse(&c, 1, f, len, &flow, &payload, &plen, mac),
				 fam ? PE_FRAME_NDP_NA : PE_FRAME_ARP_REPLY);
		assert_memory_equal(mac, cfg->mac, 6);
	}
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_ip4),
		cmocka_unit_test(test_frame_ip6),
		cmocka_unit_test(test_parse_echo),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_not_ours),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_ndp),
		cmocka_unit_test(test_through_packet_core),
		cmocka_unit_test(test_parse_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
