/* SPDX-License-Identifier: MIT */
/* lib/load unit tests: payload encoding, pacing arithmetic, loss/reorder accounting on crafted
 * sequences, target parsing, configuration checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "pe_load.h"

#define MS  1000000ull
#define SEC 1000000000ull

/* ---- payload ---- */

static void test_hdr_layout(void **state)
{
	static const uint8_t want[PE_LOAD_HDR_LEN] = {
		0x70, 0x65, 0x4c, 0x44,				/* magic "peLD" */
		0x00, 0x00, 0x01, 0x02,				/* flow 258 */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* seq */
		0x00, 0x00, 0x00, 0x00, 0x3b, 0x9a, 0xca, 0x00, /* ts 1e9 */
		0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x01, /* nonce */
	};
	struct pe_load_hdr h = {.flow = 258,
				.seq = 0x0102030405060708ull,
				.ts_ns = SEC,
				.nonce = 0xdeadbeef00000001ull};
	uint8_t buf[PE_LOAD_HDR_LEN];
	struct pe_load_hdr back;

	(void)state;
	pe_load_hdr_encode(buf, &h);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(pe_load_hdr_decode(buf, sizeof(buf), &back), 0);
	assert_int_equal(back.flow, h.flow);
	assert_true(back.seq == h.seq && back.ts_ns == h.ts_ns && back.nonce == h.nonce);
}

static void test_hdr_rejects(void **state)
{
	struct pe_load_hdr h = {.flow = 1}, back;
	uint8_t buf[PE_LOAD_HDR_LEN];

	(void)state;
	pe_load_hdr_encode(buf, &h);
	assert_int_equal(pe_load_hdr_decode(buf, PE_LOAD_HDR_LEN - 1, &back), -EBADMSG);
	assert_int_equal(pe_load_hdr_decode(buf, 0, &back), -EBADMSG);
	buf[0] ^= 1;
	assert_int_equal(pe_load_hdr_decode(buf, sizeof(buf), &back), -EBADMSG);
}

static void test_payload_pattern(void **state)
{
	uint8_t buf[200];

	(void)state;
	memset(buf, 0, sizeof(buf));
	pe_load_tmpl_fill(buf, sizeof(buf));
	assert_int_equal(buf[0], 0); /* the header part is left alone */
	assert_true(pe_load_payload_ok(buf, sizeof(buf), sizeof(buf)));
	assert_false(pe_load_payload_ok(buf, sizeof(buf) - 1, sizeof(buf))); /* truncated */
	buf[150] ^= 0x10;
	assert_false(pe_load_payload_ok(buf, sizeof(buf), sizeof(buf))); /* altered */
	buf[150] ^= 0x10;
	memset(buf + PE_LOAD_HDR_LEN, 0, 8);
	assert_false(pe_load_payload_ok(buf, sizeof(buf), sizeof(buf))); /* zeroed */
	/* A header-only payload has no pattern to check. */
	assert_true(pe_load_payload_ok(buf, PE_LOAD_HDR_LEN, PE_LOAD_HDR_LEN));
}

/* ---- pacing ---- */

static void test_pace_basic(void **state)
{
	struct pe_pace p;
	uint64_t t0 = 5 * SEC;

	(void)state;
	pe_pace_init(&p, false, 1000, 32, t0);
	assert_int_equal(pe_pace_take(&p, t0, 32), 1); /* packet 0 is due at the start */
	assert_int_equal(pe_pace_take(&p, t0, 32), 0);
	assert_int_equal(pe_pace_wait_ns(&p, t0), MS);
	assert_int_equal(pe_pace_wait_ns(&p, t0 + MS / 2), MS / 2);
	assert_int_equal(pe_pace_take(&p, t0 + MS, 32), 1);
	assert_int_equal(pe_pace_take(&p, t0 + 11 * MS, 32), 10);
	assert_int_equal(pe_pace_take(&p, t0 + 11 * MS + MS / 2, 32), 0);
	assert_int_equal(pe_pace_take(&p, t0 + 12 * MS, 32), 1); /* the half ms was kept */
	/* A late wakeup keeps the schedule: 100 ms late, the 100 packets due are all there, a want
	 * at a time, and none is missed. */
	assert_int_equal(pe_pace_take(&p, t0 + 112 * MS, 64), 64);
	assert_int_equal(pe_pace_take(&p, t0 + 112 * MS, 64), 36);
	assert_int_equal(pe_pace_take(&p, t0 + 112 * MS, 64), 0);
	assert_int_equal(p.missed, 0);
	/* Taken packets that could not be sent are due again. */
	pe_pace_give(&p, 5);
	assert_int_equal(pe_pace_take(&p, t0 + 112 * MS, 64), 5);
	/* The schedule numbers the packets: packet k is due at t0 + k ms. */
	assert_int_equal(p.issued, 113);
	assert_int_equal(pe_pace_due_ns(&p, 0), t0);
	assert_int_equal(pe_pace_due_ns(&p, 112), t0 + 112 * MS);
	assert_int_equal(pe_pace_due_count(&p, t0 + 112 * MS), 113);
	/* A long stall: the backlog beyond the catch-up window (250 ms = 250 packets) is skipped
	 * and counted, and what is left is sent as due. */
	assert_int_equal(pe_pace_take(&p, t0 + 100 * SEC, 1000), 250);
	assert_int_equal(p.missed, 100001 - 113 - 250);
	assert_int_equal(pe_pace_take(&p, t0 + 100 * SEC, 1000), 0);
	/* The clock going backwards owes nothing. */
	assert_int_equal(pe_pace_take(&p, t0, 1000), 0);
}

static void test_pace_exact_long_run(void **state)
{
	struct pe_pace p;
	uint64_t total = 0, t;

	(void)state;
	/* 3 pps polled every 1 ms for 10 s: 30 packets plus the starting one, none lost to
	 * rounding. */
	pe_pace_init(&p, false, 3, 4, 0);
	for (t = 0; t <= 10 * SEC; t += MS)
		total += pe_pace_take(&p, t, 64);
	assert_int_equal(total, 31);
	/* 10 Mpps polled at an odd step: exact as well. */
	pe_pace_init(&p, false, 10000000, 32, 0);
	total = 0;
	for (t = 0; t <= SEC; t += 1237)
		total += pe_pace_take(&p, t, 64);
	assert_true(total >= 10000000 - 13 && total <= 10000001);
	/* 20 kpps woken late and irregularly (every 3..40 ms, as on a loaded machine): every due
	 * packet is sent, exactly, and the due times match the rate. */
	pe_pace_init(&p, false, 20000, 32, 0);
	total = 0;
	for (t = 0, total = 0; t <= SEC; t += 3 * MS + (t / MS * 7919 % 37) * MS)
		while (pe_pace_take(&p, t, 32) == 32)
			total += 32;
	assert_int_equal(p.missed, 0);
	assert_int_equal(pe_pace_due_count(&p, 2 * SEC), 40001);
	assert_int_equal(pe_pace_due_ns(&p, 40000), 2 * SEC);
}

static void test_pace_limits(void **state)
{
	struct pe_pace p;

	(void)state;
	pe_pace_init(&p, true, 0, 32, 0);
	assert_int_equal(pe_pace_take(&p, 0, 77), 77);
	assert_int_equal(pe_pace_wait_ns(&p, 0), 0);
	assert_int_equal(pe_pace_due_ns(&p, 5), 0); /* unlimited: no schedule */
	pe_pace_init(&p, false, 0, 32, 0); /* rate 0 (a thread with no share): never sends */
	pe_pace_take(&p, 0, 1);
	assert_int_equal(pe_pace_take(&p, 100 * SEC, 77), 0);
	assert_true(pe_pace_wait_ns(&p, 100 * SEC) == UINT64_MAX);
	/* Huge rate and huge idle time: no overflow, the window's worth is due, the rest missed. */
	pe_pace_init(&p, false, 100000000, 32, 0);
	assert_int_equal(pe_pace_take(&p, UINT64_MAX / 2, 1000), 1000);
	assert_true(p.missed > 0);
	/* A low rate's window is at least the burst. */
	pe_pace_init(&p, false, 1, 32, 0);
	assert_int_equal(p.window, 32);
}

static void test_split(void **state)
{
	unsigned w3[] = {1, 1, 1}, w2[] = {3, 1}, w1[] = {5};
	uint64_t sum = 0;

	(void)state;
	assert_int_equal(pe_load_split(10, w3, 3, 0), 3);
	assert_int_equal(pe_load_split(10, w3, 3, 1), 3);
	assert_int_equal(pe_load_split(10, w3, 3, 2), 4);
	assert_int_equal(pe_load_split(1, w3, 3, 0) + pe_load_split(1, w3, 3, 1) +
				 pe_load_split(1, w3, 3, 2),
			 1);
	assert_int_equal(pe_load_split(1000, w2, 2, 0), 750);
	assert_int_equal(pe_load_split(1000, w2, 2, 1), 250);
	assert_int_equal(pe_load_split(7, w1, 1, 0), 7);
	for (unsigned i = 0; i < 3; i++)
		sum += pe_load_split(UINT64_MAX / 2, w3, 3, i);
	assert_true(sum == UINT64_MAX / 2);
}

/* ---- accounting ---- */

static void feed(struct pe_flow_acct *a, const uint64_t *seqs, size_t n, uint64_t next_seq)
{
	for (size_t i = 0; i < n; i++)
		pe_flow_acct_rx(a, seqs[i], next_seq);
}

static void test_acct_in_order(void **state)
{
	struct pe_flow_acct a;
	uint64_t s[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

	(void)state;
	pe_flow_acct_init(&a);
	pe_flow_acct_start(&a, 0);
	feed(&a, s, 10, 10);
	pe_flow_acct_stop(&a, 10);
	assert_int_equal(pe_flow_acct_sent(&a, 10), 10);
	assert_int_equal(a.received, 10);
	assert_int_equal(a.reordered, 0);
	assert_int_equal(a.duplicates, 0);
}

static void test_acct_loss_reorder_dup(void **state)
{
	struct pe_flow_acct a;
	/* 3 and 7 lost; 2 overtaken by 4 and 5; 5 duplicated; 8 arrives after 9. */
	uint64_t s[] = {0, 1, 4, 5, 2, 5, 6, 9, 8};

	(void)state;
	pe_flow_acct_init(&a);
	pe_flow_acct_start(&a, 0);
	assert_int_equal(pe_flow_acct_rx(&a, 0, 10), PE_ACCT_NEW);
	assert_int_equal(pe_flow_acct_rx(&a, 1, 10), PE_ACCT_NEW);
	assert_int_equal(pe_flow_acct_rx(&a, 4, 10), PE_ACCT_NEW);
	pe_flow_acct_init(&a);
	pe_flow_acct_start(&a, 0);
	feed(&a, s, sizeof(s) / sizeof(s[0]), 10);
	pe_flow_acct_stop(&a, 10);
	assert_int_equal(a.received, 8);
	assert_int_equal(pe_flow_acct_sent(&a, 10) - a.received, 2); /* lost: 3 and 7 */
	assert_int_equal(a.reordered, 2);			     /* 2 and 8 */
	assert_int_equal(a.duplicates, 1);			     /* the second 5 */
	assert_int_equal(pe_flow_acct_rx(&a, 2, 10), PE_ACCT_DUPLICATE);
	assert_int_equal(pe_flow_acct_rx(&a, 3, 10), PE_ACCT_REORDERED); /* late but first */
}

static void test_acct_warmup_and_end(void **state)
{
	struct pe_flow_acct a;

	(void)state;
	pe_flow_acct_init(&a);
	/* Warm-up: nothing measured yet. */
	assert_int_equal(pe_flow_acct_rx(&a, 0, 5), PE_ACCT_UNMEASURED);
	assert_int_equal(pe_flow_acct_sent(&a, 5), 0);
	pe_flow_acct_start(&a, 5); /* sequences 5.. are measured */
	assert_int_equal(pe_flow_acct_rx(&a, 1, 8), PE_ACCT_UNMEASURED);
	assert_int_equal(pe_flow_acct_rx(&a, 5, 8), PE_ACCT_NEW);
	assert_int_equal(pe_flow_acct_rx(&a, 4, 8), PE_ACCT_UNMEASURED); /* reordered warm-up */
	pe_flow_acct_stop(&a, 8);
	assert_int_equal(pe_flow_acct_sent(&a, 8), 3);
	assert_int_equal(pe_flow_acct_rx(&a, 7, 8), PE_ACCT_NEW);
	assert_int_equal(pe_flow_acct_rx(&a, 8, 8), PE_ACCT_BOGUS); /* never sent */
	assert_int_equal(a.received, 2);
	assert_int_equal(a.reordered, 0);
	/* Stopped during warm-up: nothing was measured. */
	pe_flow_acct_init(&a);
	pe_flow_acct_stop(&a, 100);
	assert_int_equal(pe_flow_acct_sent(&a, 100), 0);
	assert_int_equal(pe_flow_acct_rx(&a, 50, 100), PE_ACCT_UNMEASURED);
}

static void test_acct_window(void **state)
{
	struct pe_flow_acct a;
	uint64_t big = 3 * PE_ACCT_WINDOW;

	(void)state;
	pe_flow_acct_init(&a);
	pe_flow_acct_start(&a, 0);
	assert_int_equal(pe_flow_acct_rx(&a, 0, big + 1), PE_ACCT_NEW);
	/* A jump of more than a window forgets everything behind it... */
	assert_int_equal(pe_flow_acct_rx(&a, big, big + 1), PE_ACCT_NEW);
	/* ...so the oldest is late: counted once as received and reordered. */
	assert_int_equal(pe_flow_acct_rx(&a, 1, big + 1), PE_ACCT_REORDERED);
	assert_int_equal(a.late, 1);
	/* Within the window a slot reused by the jump must read as unseen. */
	assert_int_equal(pe_flow_acct_rx(&a, big - 1, big + 1), PE_ACCT_REORDERED);
	assert_int_equal(pe_flow_acct_rx(&a, big - 1, big + 1), PE_ACCT_DUPLICATE);
	assert_int_equal(pe_flow_acct_rx(&a, big + 1 - PE_ACCT_WINDOW, big + 1), PE_ACCT_REORDERED);
	assert_int_equal(a.late, 1); /* exactly a window behind is still inside it */
	assert_int_equal(a.received, 5);
	/* A small step clears only the slots it passes. */
	assert_int_equal(pe_flow_acct_rx(&a, big - 2, big + 1), PE_ACCT_REORDERED);
	assert_int_equal(a.duplicates, 1);
}

/* ---- targets and configuration ---- */

static void test_target_parse(void **state)
{
	struct pe_load_target t;
	char text[128];

	(void)state;
	assert_int_equal(pe_load_target_parse("udp://198.18.0.2:7", &t), 0);
	assert_int_equal(t.proto, PE_LOAD_UDP);
	assert_int_equal(t.addr.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&t.addr)->sin_port), 7);
	pe_load_target_format(&t, text, sizeof(text));
	assert_string_equal(text, "udp://198.18.0.2:7");
	assert_int_equal(pe_load_target_parse("tcp://[2001:2::2]:65535", &t), 0);
	assert_int_equal(t.proto, PE_LOAD_TCP);
	assert_int_equal(t.addr.ss_family, AF_INET6);
	pe_load_target_format(&t, text, sizeof(text));
	assert_string_equal(text, "tcp://[2001:2::2]:65535");
}

static void test_target_bad(void **state)
{
	static const char *bad[] = {
		"198.18.0.2:7",
		"http://198.18.0.2:7",
		"udp://198.18.0.2",
		"udp://198.18.0.2:0",
		"udp://198.18.0.2:65536",
		"udp://198.18.0.2:-7",
		"udp://:7",
		"udp://2001:2::2:7",
		"udp://[2001:2::2]7",
		"udp://[]:7",
		"udp://198.18.0.2:7x",
		"udp://[2001:2::2:7",
		"udp://198.18.0.2:",
		"",
	};
	struct pe_load_target t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = pe_load_target_parse(bad[i], &t);

		if (rc != -EINVAL)
			fail_msg("'%s' gave %d", bad[i], rc);
	}
	assert_int_equal(pe_load_target_parse(NULL, &t), -EINVAL);
	assert_int_equal(pe_load_target_parse("udp://[zz::1]:7", &t), -ENOENT);
}

static void test_cfg_checks(void **state)
{
	struct pe_load_cfg cfg;

	(void)state;
	pe_load_cfg_init(&cfg);
	assert_int_equal(pe_load_target_parse("udp://127.0.0.1:7", &cfg.target), 0);
	cfg.size = PE_LOAD_HDR_LEN - 1;
	errno = 0;
	assert_null(pe_load_create(&cfg));
	assert_int_equal(errno, EINVAL);
	pe_load_cfg_init(&cfg);
	cfg.threads = 4;
	cfg.flows = 2;
	assert_null(pe_load_create(&cfg));
	assert_int_equal(errno, EINVAL);
	pe_load_cfg_init(&cfg);
	cfg.rate = 0; /* 0 pps without rate_max would never send */
	assert_null(pe_load_create(&cfg));
	pe_load_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_layout),
		cmocka_unit_test(test_hdr_rejects),
		cmocka_unit_test(test_payload_pattern),
		cmocka_unit_test(test_pace_basic),
		cmocka_unit_test(test_pace_exact_long_run),
		cmocka_unit_test(test_pace_limits),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_acct_in_order),
		cmocka_unit_test(test_acct_loss_reorder_dup),
		cmocka_unit_test(test_acct_warmup_and_end),
		cmocka_unit_test(test_acct_window),
		cmocka_unit_test(test_target_parse),
		cmocka_unit_test(test_target_bad),
		cmocka_unit_test(test_cfg_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
