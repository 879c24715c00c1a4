/* SPDX-License-Identifier: MIT */
/* Unit tests of the reply rate limiter (lib/pkt ratelimit.c): the time is passed in, so every
 * case is exact: bursts, refill, per-prefix independence, the global bucket, shares, the fixed
 * table under many sources, reply keys, option parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "pe_ratelimit.h"

#define HZ 1000000000ull /* nanoseconds */

static uint32_t ip4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static unsigned allowed(struct pe_rl *rl, uint64_t key, unsigned n, uint64_t now)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += pe_rl_allow(rl, key, now);
	return ok;
}

static struct pe_rl *rl_new(const char *global, const char *per_src, unsigned shares)
{
	struct pe_rl *rl = malloc(sizeof(*rl));
	struct pe_rl_rate g, s;

	assert_non_null(rl);
	assert_int_equal(pe_rl_rate_parse(global, &g), 0);
	assert_int_equal(pe_rl_rate_parse(per_src, &s), 0);
	pe_rl_init(rl, &g, &s, shares, HZ);
	return rl;
}

static void test_burst_then_rate(void **state)
{
	struct pe_rl *rl = rl_new("off", "100/10", 1);
	uint64_t k = pe_rl_key4(ip4("198.18.0.1")), t = 5 * HZ;

	(void)state;
	assert_int_equal(allowed(rl, k, 50, t), 10);	       /* the burst, then nothing */
	assert_int_equal(allowed(rl, k, 50, t + HZ / 100), 1); /* 10 ms at 100/s: one */
	assert_int_equal(allowed(rl, k, 50, t + HZ / 100 + HZ / 20), 5);
	assert_int_equal(allowed(rl, k, 50, t + 100 * HZ), 10); /* refilled to the burst only */
	free(rl);
}

static void test_prefixes_independent(void **state)
{
	struct pe_rl *rl = rl_new("off", "100/10", 1);
	uint8_t a6[16], b6[16];

	(void)state;
	assert_int_equal(allowed(rl, pe_rl_key4(ip4("198.18.0.1")), 20, HZ), 10);
	/* Same /24: the same bucket. Another /24: its own. */
	assert_int_equal(allowed(rl, pe_rl_key4(ip4("198.18.0.200")), 20, HZ), 0);
	assert_int_equal(allowed(rl, pe_rl_key4(ip4("198.18.1.1")), 20, HZ), 10);
	inet_pton(AF_INET6, "2001:2::1", a6);
	inet_pton(AF_INET6, "2001:2::ffff:1", b6);
	assert_true(pe_rl_key6(a6) == pe_rl_key6(b6)); /* one /64 */
	assert_int_equal(allowed(rl, pe_rl_key6(a6), 20, HZ), 10);
	assert_int_equal(allowed(rl, pe_rl_key6(b6), 20, HZ), 0);
	inet_pton(AF_INET6, "2001:2:0:1::1", b6);
	assert_int_equal(allowed(rl, pe_rl_key6(b6), 20, HZ), 10);
	free(rl);
}

static void test_global(void **state)
{
	struct pe_rl *rl = rl_new("1000/30", "100/10", 1);
	unsigned ok = 0;

	(void)state;
	/* Ten prefixes of 10 each would be 100; the global burst caps them at 30. */
	for (unsigned i = 0; i < 10; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.%u.1", i);
		ok += allowed(rl, pe_rl_key4(ip4(a)), 10, HZ);
	}
	assert_int_equal(ok, 30);
	free(rl);
	/* Per source off: only the global bucket. */
	rl = rl_new("100/5", "off", 1);
	assert_int_equal(allowed(rl, pe_rl_key4(ip4("198.18.0.1")), 20, HZ), 5);
	assert_int_equal(allowed(rl, 0, 20, HZ + HZ / 50), 2); /* no key: global only */
	free(rl);
	rl = rl_new("off", "off", 1);
	assert_false(pe_rl_enabled(rl));
	free(rl);
}

static void test_shares(void **state)
{
	/* Per process 100/10 over 2 workers: 50/5 each. */
	struct pe_rl *rl = rl_new("off", "100/10", 2);
	uint64_t k = pe_rl_key4(ip4("198.18.0.1"));

	(void)state;
	assert_int_equal(allowed(rl, k, 20, HZ), 5);
	assert_int_equal(allowed(rl, k, 20, HZ + HZ / 10), 5);
	free(rl);
	rl = rl_new("off", "1/1", 8); /* never below one per worker */
	assert_int_equal(allowed(rl, k, 20, HZ), 1);
	free(rl);
}

/* Limits changed at run time: a worker's limiter follows the published generation, takes its
 * share again (as at start: full buckets), and ignores the handoff when nothing changed. */
static void test_live(void **state)
{
	struct pe_rl *rl = rl_new("off", "100/10", 2);
	struct pe_rl_live live;
	struct pe_rl_rate g = {0, 0}, s = {100, 10}, r, q;
	uint64_t k = pe_rl_key4(ip4("198.18.0.1"));

	(void)state;
	pe_rl_live_init(&live, &g, &s);
	assert_false(pe_rl_changed(rl, &live));
	assert_false(pe_rl_changed(rl, NULL));
	assert_int_equal(allowed(rl, k, 20, HZ), 5); /* 50/5: its share */
	pe_rl_follow(rl, &live);		     /* nothing new: buckets untouched */
	assert_int_equal(allowed(rl, k, 20, HZ), 0);

	s = (struct pe_rl_rate){1000, 40};
	pe_rl_live_set(&live, NULL, &s);
	assert_true(pe_rl_changed(rl, &live));
	pe_rl_follow(rl, &live);
	assert_false(pe_rl_changed(rl, &live));
	assert_int_equal(allowed(rl, k, 50, HZ), 20); /* 500/20: the new share, a fresh bucket */
	assert_int_equal(allowed(rl, k, 50, HZ + HZ / 10), 20);

	g = (struct pe_rl_rate){10, 2};
	pe_rl_live_set(&live, &g, NULL); /* the global one only: source stays */
	pe_rl_live_get(&live, &r, &q);
	assert_int_equal(r.pps, 10);
	assert_int_equal(q.pps, 1000);
	assert_int_equal(q.burst, 40);
	pe_rl_follow(rl, &live);
	assert_int_equal(allowed(rl, k, 50, 2 * HZ), 1); /* global 5/1 per worker */

	s = (struct pe_rl_rate){0, 0};
	g = s;
	pe_rl_live_set(&live, &g, &s); /* off: the worker stops checking */
	pe_rl_follow(rl, &live);
	assert_false(pe_rl_enabled(rl));
	assert_int_equal(atomic_load(&live.gen), 3);
	free(rl);
}

/* Many sources: the table stays PE_RL_ENTRIES big; a source that keeps sending keeps its entry
 * (it is the most recently used of its set), so a flood from other prefixes does not refill it. */
static void test_table_bounded(void **state)
{
	struct pe_rl *rl = rl_new("off", "100/10", 1);
	uint64_t victim = pe_rl_key4(ip4("198.19.0.1")), t = HZ;

	(void)state;
	assert_int_equal(allowed(rl, victim, 20, t), 10);
	for (uint32_t i = 0; i < 100000; i++) {
		t += 10; /* 10 ns apart: 1 ms in all, 0.1 token for the victim */
		pe_rl_allow(rl, pe_rl_key4(htonl(0x0a000000u | i << 8)), t);
		if (i % 64 == 0)
			assert_false(pe_rl_allow(rl, victim, t));
	}
	free(rl);
}

static void test_reply_key(void **state)
{
	uint8_t f[64] = {0};

	(void)state;
	f[12] = 0x08; /* IPv4: the destination at 14 + 16 */
	memcpy(f + 30, (uint8_t[]){198, 18, 0, 9}, 4);
	assert_true(pe_rl_key_of_reply(f, 60) == pe_rl_key4(ip4("198.18.0.77")));
	assert_int_equal(pe_rl_key_of_reply(f, 30), 0); /* too short */
	memmove(f + 16, f + 12, 40);			/* one VLAN tag in front */
	f[12] = 0x81, f[13] = 0x00;
	assert_true(pe_rl_key_of_reply(f, 64) == pe_rl_key4(ip4("198.18.0.1")));
	f[12] = 0x88, f[13] = 0xcc; /* LLDP: no key */
	assert_int_equal(pe_rl_key_of_reply(f, 64), 0);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {"",  "0",	    "-1",  "1/0",    "10/", "/5",
					  "x", "100000001", "10 ", "10/5/1", "off2"};
	struct pe_rl_rate r;
	char buf[32];

	(void)state;
	assert_int_equal(pe_rl_rate_parse("off", &r), 0);
	assert_string_equal(pe_rl_rate_str(&r, buf, sizeof(buf)), "off");
	assert_int_equal(pe_rl_rate_parse("10000", &r), 0);
	assert_string_equal(pe_rl_rate_str(&r, buf, sizeof(buf)), "10000/1000");
	assert_int_equal(pe_rl_rate_parse("5/1", &r), 0);
	assert_string_equal(pe_rl_rate_str(&r, buf, sizeof(buf)), "5/1");
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pe_rl_rate_parse(bad[i], &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate), cmocka_unit_test(test_prefixes_independent),
		cmocka_unit_test(test_global),		cmocka_unit_test(test_shares),
		cmocka_unit_test(test_table_bounded),	cmocka_unit_test(test_reply_key),
		cmocka_unit_test(test_parse),		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
