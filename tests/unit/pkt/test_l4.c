/* SPDX-License-Identifier: MIT */
/* l4 mode's vector path (pe_pkt_inline.h, SSSE3 + SSE4.1, the path lib/dpdk takes) against the
 * scalar reference, pe_pkt_l4_scalar: byte-identical frames, lengths and verdicts on every frame
 * built here (each EtherType/IHL/protocol/fragment byte through all 256 values at the length
 * boundaries, VLAN and QinQ, IPv6, options, ICMP, runts, every golden frame cut at every length,
 * random mutations), and the vector path taken for the frames it is for. This file is built with
 * -mssse3 -msse4.1 (meson.build), so pe_pkt_l4 below is the vector one. Buffers are exact-size
 * copies: ASan reports any access outside the frame. l2 mode's vector path (SSSE3) likewise against
 * pe_pkt_l2_scalar (test_l2_vec). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pe_pkt.h"
#include "pe_testframes.h"

#if !defined(__SSSE3__) || !defined(__SSE4_1__)
#error "test_l4 must be built with -mssse3 -msse4.1 (its vector path is what it tests)"
#endif

static const uint8_t client_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* How many frames the vector path itself swapped (the rest went to the scalar code). */
static unsigned long vec_taken;

/* One frame through both: pe_pkt_l4 (vector path first) and pe_pkt_l4_scalar, each on its own
 * exact-size copy. Returns whether the vector path took it. */
static int check_frame(const uint8_t *frame, uint32_t n)
{
	uint8_t *a = malloc(n ? n : 1), *b = malloc(n ? n : 1), *c = malloc(n ? n : 1);
	uint32_t la = n, lb = n;
	enum pe_drop ra, rb;
	int took = 0;

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	memcpy(a, frame, n);
	memcpy(b, frame, n);
	memcpy(c, frame, n);
	ra = pe_pkt_l4(a, &la);
	rb = pe_pkt_l4_scalar(b, &lb);
	if (ra != rb || la != lb || memcmp(a, b, n) != 0) {
		for (uint32_t i = 0; i < n; i++)
			if (a[i] != b[i])
				print_error("byte %u: vector %02x, scalar %02x\n", i, a[i], b[i]);
		fail_msg("l4 of a %u-byte frame: vector %s/%u, scalar %s/%u", n, pe_drop_name(ra),
			 la, pe_drop_name(rb), lb);
	}
	if (n >= PE_PKT_L4_VEC_MIN) {
		took = pe_pkt_l4_vec(c);
		/* Declined: untouched. Taken: the scalar's answer. */
		assert_memory_equal(c, took ? b : frame, n);
	}
	vec_taken += (unsigned long)took;
	free(a);
	free(b);
	free(c);
	return took;
}

/* The usual frame: 64-byte UDP (or TCP) over IPv4, untagged, as the benchmark sends. */
static void usual(struct pe_tf *f, uint8_t proto)
{
	pe_tf_init(f);
	pe_tf_eth(f, PE_GOLDEN_MAC, client_mac);
	pe_tf_ip4(f, "198.18.0.1", "198.18.0.2", 64);
	if (proto == 6)
		pe_tf_tcp(f, 40000, 7);
	else
		pe_tf_udp(f, 40001, 7);
	pe_tf_payload(f, "l4 echo", 7);
	pe_tf_finish(f);
	pe_tf_pad(f, 60);
}

/* The frames the vector path is for: it takes them, at every length from its minimum. */
static void test_l4_vec_takes_usual(void **state)
{
	struct pe_tf *f = malloc(sizeof(*f));

	(void)state;
	assert_non_null(f);
	for (uint8_t proto = 6; proto <= 17; proto += 11) {
		usual(f, proto);
		for (uint32_t n = 0; n <= f->len; n++)
			assert_int_equal(check_frame(f->b, n), n >= PE_PKT_L4_VEC_MIN);
		/* a first fragment (MF set, offset 0) still has its ports */
		f->b[f->l3 + 6] = 0x20;
		assert_true(check_frame(f->b, f->len));
	}
	free(f);
}

/* Each byte the vector path classifies on (EtherType, version/IHL, fragment word, protocol)
 * through all 256 values, at the lengths around its minimum and the usual 60. */
static void test_l4_every_class_byte(void **state)
{
	static const uint32_t lens[] = {33, 34, 37, 38, 39, 41, 42, 45, 46, 60};
	static const int at[] = {12, 13, 14, 20, 21, 23};
	struct pe_tf *f = malloc(sizeof(*f));
	uint8_t frame[60];

	(void)state;
	assert_non_null(f);
	usual(f, 17);
	assert_int_equal(f->len, 60);
	for (unsigned k = 0; k < sizeof(at) / sizeof(at[0]); k++)
		for (unsigned v = 0; v < 256; v++)
			for (unsigned l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				memcpy(frame, f->b, 60);
				frame[at[k]] = (uint8_t)v;
				check_frame(frame, lens[l]);
			}
	free(f);
}

/* Tagged, IPv6, options, ICMP, non-first fragments and every golden frame, cut at every length
 * (the scalar code's: the vector path must decline each one it is not for). */
static void test_l4_other_frames(void **state)
{
	struct pe_tf *f = malloc(sizeof(*f));
	struct pe_golden *g = malloc(sizeof(*g));
	static const uint8_t opt[4] = {1, 1, 1, 0}; /* NOP NOP NOP EOL: IHL 6 */

	(void)state;
	assert_non_null(f);
	assert_non_null(g);
	for (int kind = 0; kind < 9; kind++) {
		pe_tf_init(f);
		pe_tf_eth(f, PE_GOLDEN_MAC, client_mac);
		if (kind == 0 || kind == 1)
			pe_tf_vlan(f, 0x8100, 10);
		if (kind == 1)
			pe_tf_vlan(f, 0x8100, 20);
		if (kind == 2)
			pe_tf_vlan(f, 0x88a8, 30);
		if (kind == 3 || kind == 4)
			pe_tf_ip6(f, "2001:2::1", "2001:2::2", 64);
		else
			pe_tf_ip4(f, "198.18.0.1", "198.18.0.2", 64);
		if (kind == 5)
			pe_tf_ip4_opts(f, opt, sizeof(opt));
		if (kind == 4 || kind == 6)
			pe_tf_tcp(f, 1234, 7);
		else if (kind == 7)
			pe_tf_icmp(f, 8, 0, 1, 2);
		else
			pe_tf_udp(f, 40000, 7);
		pe_tf_payload(f, "other", 5);
		pe_tf_finish(f);
		if (kind == 8)
			pe_tf_put16(f, (uint32_t)f->l3 + 6, 0x0001); /* fragment offset 8 */
		for (uint32_t n = 0; n <= f->len; n++)
			assert_int_equal(check_frame(f->b, n), n >= PE_PKT_L4_VEC_MIN && kind == 6);
	}
	for (unsigned i = 0; i < pe_golden_count; i++) {
		pe_golden_make(&pe_golden_cases[i], NULL, g);
		for (uint32_t n = 0; n <= g->req.len && n < 200; n++)
			check_frame(g->req.b, n);
	}
	free(g);
	free(f);
}

/* Random mutations of the usual frames: one to four bytes of the first 48 set to random or
 * boundary values, at a random length. A fixed seed: the same frames every run. */
static void test_l4_random(void **state)
{
	static const uint8_t edge[] = {0x00, 0x01, 0x05, 0x06, 0x08, 0x11, 0x1f, 0x20,
				       0x3f, 0x40, 0x45, 0x46, 0x4f, 0x81, 0x86, 0x88,
				       0x91, 0xa8, 0xdd, 0xe0, 0xf5, 0xff};
	struct pe_tf *f = malloc(sizeof(*f));
	uint8_t frame[64];
	unsigned long taken = vec_taken;

	(void)state;
	assert_non_null(f);
	srand(12);
	for (unsigned i = 0; i < 200000; i++) {
		usual(f, (i & 1) ? 17 : 6);
		memcpy(frame, f->b, 60);
		memset(frame + 60, 0xee, 4);
		for (int k = rand() % 5; k > 0; k--) {
			int at = rand() % 48;

			frame[at] = (rand() & 1) ? (uint8_t)rand() : edge[rand() % sizeof(edge)];
		}
		check_frame(frame, (uint32_t)(rand() % 3 ? 30 + rand() % 35 : rand() % 65));
	}
	/* a good share of them is the vector path's */
	assert_true(vec_taken - taken > 10000);
	free(f);
}

/* l2 mode's vector path (SSSE3) against pe_pkt_l2_scalar, on exact-size copies of random frames
 * at every length from 0 to 80: the same bytes and verdict, and the vector path for every frame
 * of at least PE_PKT_L2_VEC_MIN bytes. */
static void test_l2_vec(void **state)
{
	(void)state;
	srand(2);
	for (unsigned i = 0; i < 2000; i++)
		for (uint32_t n = 0; n <= 80; n++) {
			uint8_t *a = malloc(n ? n : 1), *b = malloc(n ? n : 1),
				*c = malloc(n ? n : 1);
			uint32_t la = n, lb = n;
			enum pe_drop ra, rb;

			assert_non_null(a);
			assert_non_null(b);
			assert_non_null(c);
			for (uint32_t k = 0; k < n; k++)
				a[k] = (uint8_t)rand();
			memcpy(b, a, n);
			memcpy(c, a, n);
			ra = pe_pkt_l2(a, &la);
			rb = pe_pkt_l2_scalar(b, &lb);
			assert_int_equal(ra, rb);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, n);
			if (n >= PE_PKT_L2_VEC_MIN) {
				pe_pkt_l2_vec(c);
				assert_memory_equal(c, b, n);
			}
			free(a);
			free(b);
			free(c);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l4_vec_takes_usual),
		cmocka_unit_test(test_l4_every_class_byte),
		cmocka_unit_test(test_l4_other_frames),
		cmocka_unit_test(test_l4_random),
		cmocka_unit_test(test_l2_vec),
	};

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("ssse3") || !__builtin_cpu_supports("sse4.1")) {
		printf("test_l4: this CPU has no SSSE3/SSE4.1: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
