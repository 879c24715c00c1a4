/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/pkt: every golden case (exact reply bytes or exact drop reason) as its own
 * test, plus configuration parsing, the address policy, checksum helpers, the swap modes on
 * truncated frames, and a property test over random and mutated frames. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "pe_pkt.h"
#include "pe_testframes.h"
#include "pkt_priv.h" /* pkt_service_full: the path without the fast path */

/* Run one frame through pe_pkt_echo on a private copy. */
static enum pe_drop run(const struct pe_pkt_cfg *cfg, const struct pe_tf *req, uint8_t *out,
			uint32_t *len)
{
	memcpy(out, req->b, req->len);
	*len = req->len;
	return pe_pkt_echo(cfg, out, len);
}

static void assert_verdict(enum pe_drop got, enum pe_drop want)
{
	assert_string_equal(pe_drop_name(got), pe_drop_name(want));
}

/* ---- golden cases: one cmocka test each ---- */

static void test_golden(void **state)
{
	const struct pe_golden_case *c = *state;
	struct pe_golden *g = malloc(sizeof(*g));
	uint8_t *out = malloc(PE_TF_MAX + 1);
	uint32_t len;
	enum pe_drop d;

	assert_non_null(g);
	assert_non_null(out);
	pe_golden_make(c, NULL, g);
	d = run(&g->cfg, &g->req, out, &len);
	assert_verdict(d, g->expect);
	if (d == PE_DROP_NONE) {
		/* never longer, but for an NA with the Target LL option (pe_pkt.h) */
		assert_true(len <= g->req.len || (len == g->req.len + PE_PKT_MAX_GROWTH &&
						  strncmp(c->name, "ndp_", 4) == 0));
		assert_int_equal(len, g->rep.len);
		assert_memory_equal(out, g->rep.b, len);
		if (c->mode == PE_MODE_SERVICE)
			assert_true(pe_tf_csums_ok(out, len));
	}
	/* At an odd address (a frame need not be aligned): the same answer, no misaligned access
	 * (UBSan would report one). */
	memcpy(out + 1, g->req.b, g->req.len);
	len = g->req.len;
	assert_verdict(pe_pkt_echo(&g->cfg, out + 1, &len), g->expect);
	if (g->expect == PE_DROP_NONE)
		assert_memory_equal(out + 1, g->rep.b, g->rep.len);
	/* The per-mode entry point gives the same answer as the dispatcher, and the full parse
	 * the same as the fast path. */
	if (c->mode == PE_MODE_SERVICE) {
		memcpy(out, g->req.b, g->req.len);
		len = g->req.len;
		assert_verdict(pe_pkt_service(&g->cfg, out, &len), g->expect);
		memcpy(out, g->req.b, g->req.len);
		len = g->req.len;
		assert_verdict(pkt_service_full(&g->cfg, out, &len, 0), g->expect);
		if (g->expect == PE_DROP_NONE) {
			assert_int_equal(len, g->rep.len);
			assert_memory_equal(out, g->rep.b, len);
		}
	}
	free(out);
	free(g);
}

/* Every drop reason the packet core can produce appears in the golden table. */
static void test_golden_covers_every_reason(void **state)
{
	/* Produced by the services: TX_FULL, MULTISEG, TAILROOM (DPDK), TRUNCATED (sockets),
	 * RATE_LIMIT. */
	static const enum pe_drop not_pkt[] = {PE_DROP_TX_FULL, PE_DROP_MULTISEG, PE_DROP_TRUNCATED,
					       PE_DROP_RATE_LIMIT, PE_DROP_TAILROOM};
	(void)state;
	for (unsigned r = 0; r < PE_DROP_MAX; r++) {
		int found = 0, skip = 0;

		for (unsigned i = 0; i < sizeof(not_pkt) / sizeof(not_pkt[0]); i++)
			skip |= not_pkt[i] == (enum pe_drop)r;
		for (unsigned i = 0; i < pe_golden_count; i++)
			found |= pe_golden_cases[i].expect == (enum pe_drop)r;
		if (!skip && !found)
			fail_msg("no golden case for drop reason %s",
				 pe_drop_name((enum pe_drop)r));
	}
}

/* The golden table itself: unique names, replies only where a reply is expected. */
static void test_golden_table_sane(void **state)
{
	struct pe_golden *g = malloc(sizeof(*g));

	(void)state;
	assert_non_null(g);
	for (unsigned i = 0; i < pe_golden_count; i++) {
		const struct pe_golden_case *c = &pe_golden_cases[i];

		assert_ptr_equal(pe_golden_find(c->name), c);
		pe_golden_make(c, NULL, g);
		assert_true(g->req.len > 0 || c->expect == PE_DROP_RUNT);
		assert_true((g->rep.len > 0) == (c->expect == PE_DROP_NONE));
		if (c->expect == PE_DROP_NONE && c->mode == PE_MODE_SERVICE)
			assert_true(pe_tf_csums_ok(g->req.b, g->req.len));
	}
	assert_null(pe_golden_find("no such case"));
	free(g);
}

/* All service-mode golden cases in one pe_pkt_service_burst call, in each copy of its loop: the
 * same verdicts and bytes as one by one (the cases share one configuration when their udp_ports
 * and promisc agree). */
static void test_golden_burst(void **state)
{
	struct pe_golden *g = calloc(pe_golden_count, sizeof(*g));
	uint8_t **frames = calloc(pe_golden_count, sizeof(*frames));
	uint32_t *lens = calloc(pe_golden_count, sizeof(*lens));
	enum pe_drop *verdicts = calloc(pe_golden_count, sizeof(*verdicts));
	unsigned *idx = calloc(pe_golden_count, sizeof(*idx)), n = 0;

	(void)state;
	assert_true(g && frames && lens && verdicts && idx);
	for (unsigned i = 0; i < pe_golden_count; i++) {
		const struct pe_golden_case *c = &pe_golden_cases[i];

		if (c->mode != PE_MODE_SERVICE || c->promisc || c->udp_ports)
			continue;
		pe_golden_make(c, NULL, &g[n]);
		frames[n] = g[n].req.b;
		lens[n] = g[n].req.len;
		idx[n++] = i;
	}
	assert_true(n > 100);
	/* the copy this CPU runs (pe_pkt_cfg_init's choice), then the baseline one */
	for (int round = 0; round < 2; round++) {
		for (unsigned k = 0; k < n && round; k++) {
			/* frames[k] points into g[k].req: made again */
			pe_golden_make(&pe_golden_cases[idx[k]], NULL, &g[k]);
			lens[k] = g[k].req.len;
		}
		if (round)
			g[0].cfg.isa = PE_PKT_ISA_BASE;
		unsigned parsed = pe_pkt_service_burst(&g[0].cfg, frames, lens, NULL, verdicts, n);
		unsigned odd = 0; /* drops and longer replies (NA): the full parse's alone */

		for (unsigned k = 0; k < n; k++) {
			odd += verdicts[k] != PE_DROP_NONE || lens[k] > g[k].req.len;
			if (verdicts[k] != g[k].expect)
				fail_msg("%s (isa %d): %s, expected %s",
					 pe_golden_cases[idx[k]].name, g[0].cfg.isa,
					 pe_drop_name(verdicts[k]), pe_drop_name(g[k].expect));
			if (verdicts[k] == PE_DROP_NONE) {
				assert_int_equal(lens[k], g[k].rep.len);
				assert_memory_equal(frames[k], g[k].rep.b, lens[k]);
			}
		}
		assert_true(odd > 0 && odd <= parsed);
	}
	free(idx);
	free(verdicts);
	free(lens);
	free(frames);
	free(g);
}

/* The golden replies follow our MAC when the caller uses another one (DPDK ports). */
static void test_golden_other_mac(void **state)
{
	static const uint8_t mac[6] = {0x02, 0x70, 0x63, 0x61, 0x70, 0x00};
	struct pe_golden *g = malloc(sizeof(*g));
	uint8_t out[PE_TF_MAX];
	uint32_t len;

	(void)state;
	assert_non_null(g);
	pe_golden_make(pe_golden_find("ndp_ns_multicast"), mac, g);
	assert_verdict(run(&g->cfg, &g->req, out, &len), PE_DROP_NONE);
	assert_int_equal(len, g->rep.len);
	assert_memory_equal(out, g->rep.b, len);
	assert_memory_equal(out + 6, mac, 6);
	free(g);
}

/* ---- configuration ---- */

static void test_cfg_defaults(void **state)
{
	struct pe_pkt_cfg cfg;
	static const uint16_t loop[] = {7, 9, 13, 17, 19, 37};

	(void)state;
	pe_pkt_cfg_init(&cfg);
	assert_int_equal(cfg.mode, PE_MODE_SERVICE);
	assert_int_equal(cfg.ttl, 64);
	assert_true(cfg.verify_csum);
	assert_false(cfg.promisc);
	assert_int_equal(cfg.n_ip4 + cfg.n_ip6, 0);
	for (unsigned p = 0; p < 65536; p++) {
		int want = 0;

		for (unsigned i = 0; i < 6; i++)
			want |= loop[i] == p;
		assert_int_equal(pe_pkt_port_in(cfg.loop_ports, (uint16_t)p), want);
		assert_int_equal(pe_pkt_port_in(cfg.echo_ports, (uint16_t)p), p == 7);
	}
}

static void test_cfg_add_ip(void **state)
{
	struct pe_pkt_cfg cfg;
	static const char *const bad[] = {"",
					  "/24",
					  "198.18.0.1/",
					  "198.18.0.1/0",
					  "198.18.0.1/33",
					  "198.18.0.1/2x",
					  "198.18.0.256",
					  "2001:2::1/129",
					  "2001:2::g",
					  "198.18.0.1/-1",
					  "198.18.0.1 ",
					  "x"};

	(void)state;
	pe_pkt_cfg_init(&cfg);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "198.18.0.2/24"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "198.19.0.2"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "2001:2::2/64"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "fe80::2"), 0);
	assert_int_equal(cfg.n_ip4, 2);
	assert_int_equal(cfg.n_ip6, 2);
	assert_int_equal(cfg.ip4[0].addr, inet_addr("198.18.0.2"));
	assert_int_equal(cfg.ip4[0].prefix, 24);
	assert_int_equal(cfg.ip4[1].prefix, 32);
	assert_int_equal(cfg.ip6[0].prefix, 64);
	assert_int_equal(cfg.ip6[1].prefix, 128);
	assert_int_equal(cfg.ip6[1].addr[0], 0xfe);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pe_pkt_cfg_add_ip(&cfg, bad[i]), -EINVAL);
	for (unsigned i = 2; i < PE_PKT_MAX_ADDRS; i++)
		assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "198.18.1.1"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "198.18.1.1"), -ENOSPC);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "300.1.1.1"), -EINVAL);
	assert_int_equal(cfg.n_ip4, PE_PKT_MAX_ADDRS);
	for (unsigned i = 2; i < PE_PKT_MAX_ADDRS; i++)
		assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "2001:2::9/128"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "2001:2::9"), -ENOSPC);
	assert_int_equal(cfg.n_ip6, PE_PKT_MAX_ADDRS);
}

/* Our addresses become the source of every reply: only unicast host addresses are accepted. */
static void test_cfg_add_ip_not_unicast(void **state)
{
	struct pe_pkt_cfg cfg;
	static const char *const group[] = {
		"224.0.0.1",	 "239.1.2.3/24",     "0.0.0.0",		"0.1.2.3/8",
		"127.0.0.1/8",	 "240.0.0.1",	     "255.255.255.255", "198.18.0.255/24",
		"198.18.0.3/30", "ff02::1",	     "ff05::2/64",	"::",
		"::1",		 "::ffff:198.18.0.2"};
	static const char *const fine[] = {"198.18.0.1/31",
					   "198.18.0.255/32",
					   "198.18.0.254/24",
					   "198.18.0.0/23",
					   "2001:2::ff",
					   "fe80::1/64",
					   "::2"};

	(void)state;
	pe_pkt_cfg_init(&cfg);
	for (unsigned i = 0; i < sizeof(group) / sizeof(group[0]); i++) {
		if (pe_pkt_cfg_add_ip(&cfg, group[i]) != -EADDRNOTAVAIL)
			fail_msg("%s accepted as our address", group[i]);
	}
	assert_int_equal(cfg.n_ip4 + cfg.n_ip6, 0);
	for (unsigned i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		if (pe_pkt_cfg_add_ip(&cfg, fine[i]) != 0)
			fail_msg("%s refused", fine[i]);
	}
}

static void test_cfg_ports(void **state)
{
	struct pe_pkt_cfg cfg;
	static const char *const bad[] = {"7,", ",7", "7,,9", "a",     "65536", "10-5",
					  "1-", "-1", "7 ",   "1-2-3", "999999"};

	(void)state;
	pe_pkt_cfg_init(&cfg);
	assert_int_equal(pe_pkt_cfg_set_ports(cfg.echo_ports, "9,1000-1002,65535,0"), 0);
	for (unsigned p = 0; p < 65536; p++)
		assert_int_equal(pe_pkt_port_in(cfg.echo_ports, (uint16_t)p),
				 p == 0 || p == 9 || (p >= 1000 && p <= 1002) || p == 65535);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pe_pkt_cfg_set_ports(cfg.echo_ports, bad[i]), -EINVAL);
		assert_true(pe_pkt_port_in(cfg.echo_ports, 1001)); /* unchanged on error */
	}
	assert_int_equal(pe_pkt_cfg_set_ports(cfg.loop_ports, "0-1023"), 0);
	assert_true(pe_pkt_port_in(cfg.loop_ports, 1023));
	assert_false(pe_pkt_port_in(cfg.loop_ports, 1024));
	assert_int_equal(pe_pkt_cfg_set_ports(cfg.loop_ports, ""), 0); /* the empty set */
	for (unsigned p = 0; p < 65536; p++)
		assert_false(pe_pkt_port_in(cfg.loop_ports, (uint16_t)p));
}

static void test_cfg_mode(void **state)
{
	enum pe_pkt_mode m = PE_MODE_SERVICE;

	(void)state;
	assert_int_equal(pe_pkt_mode_parse("l2", &m), 0);
	assert_int_equal(m, PE_MODE_L2);
	assert_int_equal(pe_pkt_mode_parse("l4", &m), 0);
	assert_int_equal(m, PE_MODE_L4);
	assert_int_equal(pe_pkt_mode_parse("service", &m), 0);
	assert_int_equal(m, PE_MODE_SERVICE);
	assert_int_equal(pe_pkt_mode_parse("L2", &m), -EINVAL);
	assert_int_equal(pe_pkt_mode_parse("", &m), -EINVAL);
	assert_string_equal(pe_pkt_mode_name(PE_MODE_L4), "l4");
	assert_string_equal(pe_pkt_mode_name(PE_MODE_SERVICE), "service");
	assert_string_equal(pe_pkt_mode_name((enum pe_pkt_mode)42), "unknown");
}

static void test_drop_names(void **state)
{
	(void)state;
	for (unsigned r = 0; r < PE_DROP_MAX; r++) {
		assert_int_equal(pe_drop_from_name(pe_drop_name((enum pe_drop)r)), r);
		assert_true(strlen(pe_drop_desc((enum pe_drop)r)) > 0);
	}
	assert_string_equal(pe_drop_name(PE_DROP_LOOP), "loop_refused");
	assert_string_equal(pe_drop_name(PE_DROP_MAX), "unknown");
	assert_int_equal(pe_drop_from_name("nope"), PE_DROP_MAX);
}

/* ---- address policy (A4, A5) ---- */

static void test_src_policy(void **state)
{
	struct pe_pkt_cfg cfg;
	uint8_t a6[16];
	static const char *const bad4[] = {"0.0.0.0",	  "0.9.9.9",	     "127.0.0.1",
					   "127.255.0.9", "224.0.0.1",	     "239.1.2.3",
					   "240.0.0.1",	  "255.255.255.255", "198.18.0.255",
					   "198.18.0.2",  "10.0.255.255",    "10.0.0.1"};
	static const char *const good4[] = {"198.18.0.1",   "198.18.1.255", "10.1.0.255",
					    "10.1.255.255", "1.1.1.1",	    "223.255.255.254"};
	static const char *const bad6[] = {
		"::", "::1", "ff02::1", "ff0e::5", "::ffff:1.2.3.4", "2001:2::2", "fe80::2"};
	static const char *const good6[] = {"2001:2::1", "fe80::1", "::2", "fc00::1"};

	(void)state;
	pe_pkt_cfg_init(&cfg);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "198.18.0.2/24"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "10.0.0.1/16"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "10.1.0.1/31"), 0); /* /31: no broadcast */
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "2001:2::2/64"), 0);
	assert_int_equal(pe_pkt_cfg_add_ip(&cfg, "fe80::2/64"), 0);
	for (unsigned i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++)
		if (pe_pkt_ip4_src_ok(&cfg, inet_addr(bad4[i])))
			fail_msg("%s accepted as a source", bad4[i]);
	for (unsigned i = 0; i < sizeof(good4) / sizeof(good4[0]); i++)
		if (!pe_pkt_ip4_src_ok(&cfg, inet_addr(good4[i])))
			fail_msg("%s refused as a source", good4[i]);
	for (unsigned i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, bad6[i], a6), 1);
		if (pe_pkt_ip6_src_ok(&cfg, a6))
			fail_msg("%s accepted as a source", bad6[i]);
	}
	for (unsigned i = 0; i < sizeof(good6) / sizeof(good6[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, good6[i], a6), 1);
		if (!pe_pkt_ip6_src_ok(&cfg, a6))
			fail_msg("%s refused as a source", good6[i]);
	}
}

/* ---- checksum helpers against the reference ---- */

static uint32_t rng_state = 0x2545f491u;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_csum_helpers(void **state)
{
	uint8_t buf[1600];

	(void)state;
	for (unsigned iter = 0; iter < 2000; iter++) {
		uint32_t n = rnd() % 1500, off = rnd() % 64, init = rnd() % 0x20000;

		for (uint32_t i = 0; i < n + off; i++)
			buf[i] = (uint8_t)rnd();
		if (iter % 7 == 0)
			memset(buf + off, 0xff, n); /* all-ones data: carries everywhere */
		assert_int_equal(pe_csum_fold(pe_csum_partial(buf + off, n, init)),
				 pe_tf_csum(buf + off, n, init));
	}
	assert_int_equal(pe_csum_fold(pe_csum_partial(buf, 0, 0)), 0xffff);
	assert_int_equal(pe_csum_fold(pe_csum_partial(buf, 0, 0xffffffffu)), 0);
	buf[0] = 0x45;
	assert_int_equal(pe_csum_partial(buf, 1, 0), 0x4500);
}

/* ---- behaviour the golden table does not pin ---- */

static struct pe_golden *golden(const char *name)
{
	struct pe_golden *g = malloc(sizeof(*g));

	assert_non_null(g);
	assert_non_null(pe_golden_find(name));
	pe_golden_make(pe_golden_find(name), NULL, g);
	return g;
}

/* A13: the configured TTL is used, with the IPv4 checksum kept right. */
static void test_ttl_configured(void **state)
{
	struct pe_golden *g = golden("icmp4_echo_ttl1");
	uint8_t out[PE_TF_MAX];
	uint32_t len;

	(void)state;
	g->cfg.ttl = 200;
	assert_verdict(run(&g->cfg, &g->req, out, &len), PE_DROP_NONE);
	assert_int_equal(out[g->rep.l3 + 8], 200);
	assert_true(pe_tf_csums_ok(out, len));
	free(g);
}

/* With verification off (fuzzing), a bad checksum is not looked at but stays bad. */
static void test_verify_off(void **state)
{
	static const char *const names[] = {"ip4_bad_checksum",	 "icmp4_bad_checksum",
					    "udp4_bad_checksum", "icmp6_bad_checksum",
					    "ndp_bad_checksum",	 "udp6_bad_checksum"};

	(void)state;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct pe_golden *g = golden(names[i]);
		uint8_t out[PE_TF_MAX];
		uint32_t len;

		g->cfg.verify_csum = false;
		assert_verdict(run(&g->cfg, &g->req, out, &len), PE_DROP_NONE);
		assert_true(len <= g->req.len);
		/* NDP recomputes its checksum; the echoes carry the error along. */
		assert_int_equal(pe_tf_csums_ok(out, len),
				 strcmp(names[i], "ndp_bad_checksum") == 0);
		free(g);
	}
	/* The IPv6 zero UDP checksum is policy (RFC 8200), not verification. */
	struct pe_golden *g = golden("udp6_checksum_zero");
	uint8_t out[PE_TF_MAX];
	uint32_t len;

	g->cfg.verify_csum = false;
	assert_verdict(run(&g->cfg, &g->req, out, &len), PE_DROP_UDP_CSUM);
	free(g);
}

/* The fast path patches the IPv4 header checksum for the fresh TTL by its own arithmetic (the
 * residue of HC + TTL - TTL' modulo 0xffff, with a rarely taken branch when that leaves
 * 0..0xfffe): every request TTL, header checksums at the edges and spread over the range, and
 * three reply TTLs, against the full parse's RFC 1624 update, through pe_pkt_service and each
 * copy of pe_pkt_service_burst's loop. Verification is off so that any checksum gets to the
 * patch. */
static void test_ttl_patch_every_value(void **state)
{
	static const char *const names[] = {"udp4_echo", "icmp4_echo"};
	static const uint8_t ttls[] = {1, 64, 255};

	(void)state;
	for (unsigned c = 0; c < sizeof(names) / sizeof(names[0]); c++) {
		struct pe_golden *g = golden(names[c]);
		uint32_t l3 = g->req.l3;
		uint8_t isa_max = g->cfg.isa; /* the AVX2 copy too where the CPU has it */

		g->cfg.verify_csum = false;
		for (unsigned k = 0; k < sizeof(ttls); k++) {
			g->cfg.ttl = ttls[k];
			for (unsigned ttl = 0; ttl < 256; ttl++) {
				for (uint32_t hc = 0; hc <= 0xffff;
				     hc += hc < 4 || hc > 0xfffa ? 1 : 251) {
					uint8_t a[PE_TF_MAX], b[PE_TF_MAX], r[PE_TF_MAX];
					uint32_t la = g->req.len, lb = g->req.len;

					memcpy(a, g->req.b, g->req.len);
					a[l3 + 8] = (uint8_t)ttl;
					a[l3 + 10] = (uint8_t)(hc >> 8);
					a[l3 + 11] = (uint8_t)hc;
					memcpy(b, a, g->req.len);
					memcpy(r, a, g->req.len);
					assert_verdict(pe_pkt_service(&g->cfg, a, &la),
						       PE_DROP_NONE);
					assert_verdict(pkt_service_full(&g->cfg, b, &lb, 0),
						       PE_DROP_NONE);
					assert_int_equal(la, lb);
					assert_memory_equal(a, b, la);
					/* both copies of the burst loop */
					for (uint8_t isa = 0; isa <= isa_max; isa++) {
						uint8_t *fr = a;
						enum pe_drop d;

						memcpy(a, r, g->req.len);
						la = g->req.len;
						g->cfg.isa = isa;
						pe_pkt_service_burst(&g->cfg, &fr, &la, NULL, &d,
								     1);
						assert_verdict(d, PE_DROP_NONE);
						assert_int_equal(la, lb);
						assert_memory_equal(a, b, la);
					}
				}
			}
		}
		free(g);
	}
}

/* An echo request whose reply is all zeros (type 0, code 0, id 0, sequence 0, no data): the only
 * checksum that verifies is 0xffff (the sum of the message is zero), where RFC 1624's eqn. 3 gives
 * 0x0000. Found by the fuzzer (2026-11-30). Full parse, the fast path of one frame and both copies
 * of the burst loop; a trailing pad past the IPv4 total length is not echoed. */
static void test_icmp_reply_all_zero(void **state)
{
	struct pe_golden *g = golden("icmp4_echo");
	struct pe_tf req;
	uint8_t out[PE_TF_MAX];
	uint32_t len;

	(void)state;
	pe_tf_init(&req);
	pe_tf_eth(&req, PE_GOLDEN_MAC, PE_GOLDEN_CLIENT);
	pe_tf_ip4(&req, "198.18.0.1", "198.18.0.2", 64);
	pe_tf_icmp(&req, 8, 0, 0, 0);
	pe_tf_finish(&req);
	assert_true(pe_tf_csums_ok(req.b, req.len));
	memset(req.b + req.len, 0, 18); /* an Ethernet pad to 60 bytes */
	req.len += 18;
	for (int isa = 0; isa < 3; isa++) {
		struct pe_pkt_cfg cfg = g->cfg;
		uint8_t *f = out;
		enum pe_drop d;

		memcpy(out, req.b, req.len);
		len = req.len;
		if (isa == 0) {
			d = pe_pkt_echo(&cfg, out, &len);
		} else {
			if (isa == 2)
				cfg.isa = PE_PKT_ISA_BASE;
			pe_pkt_service_burst(&cfg, &f, &len, NULL, &d, 1);
		}
		assert_verdict(d, PE_DROP_NONE);
		assert_int_equal(len, 42);
		assert_int_equal(out[34], 0);
		assert_int_equal(pe_be16(out + 36), 0xffff);
		assert_true(pe_tf_csums_ok(out, len));
	}
	free(g);
}

/* Several addresses: each one answers; the directed broadcast of the second prefix is refused. */
static void test_second_address(void **state)
{
	struct pe_golden *g = golden("icmp4_echo");
	uint8_t out[PE_TF_MAX];
	uint32_t len;
	struct pe_tf req;

	(void)state;
	assert_int_equal(pe_pkt_cfg_add_ip(&g->cfg, "203.0.113.7/28"), 0);
	pe_tf_init(&req);
	pe_tf_eth(&req, PE_GOLDEN_MAC, PE_GOLDEN_CLIENT);
	pe_tf_ip4(&req, "203.0.113.1", "203.0.113.7", 64);
	pe_tf_icmp(&req, 8, 0, 1, 2);
	pe_tf_finish(&req);
	assert_verdict(run(&g->cfg, &req, out, &len), PE_DROP_NONE);
	assert_true(pe_tf_csums_ok(out, len));
	pe_tf_init(&req);
	pe_tf_eth(&req, PE_GOLDEN_MAC, PE_GOLDEN_CLIENT);
	pe_tf_ip4(&req, "203.0.113.15", "203.0.113.7", 64);
	pe_tf_icmp(&req, 8, 0, 1, 2);
	pe_tf_finish(&req);
	assert_verdict(run(&g->cfg, &req, out, &len), PE_DROP_BAD_SRC_IP);
	free(g);
}

/* A UDP datagram from one of our own echo ports may come from an echo service configured like
 * us: answering it would start an endless echo<->echo loop, even with the
 * loop-port list emptied. Ports just outside the echo range are answered. IPv4 (fast path and
 * full parse via run) and IPv6. */
/* The port's checksum flags (pe_pkt_service_burst's hw): GOOD skips the verification (a frame
 * with a wrong checksum is echoed, exactly as with verification off), BAD drops without computing
 * (a frame with right checksums is dropped), unknown verifies; ICMP is always verified. The burst
 * (fast path) and the full parse agree on each. */
static void test_hw_csum(void **state)
{
	static const struct {
		const char *name;
		int poke; /* offset from L3 (IP checksum) or L4 (UDP/ICMP checksum) to corrupt, -1
			     none */
		int at_l4;
		unsigned hw;
		enum pe_drop want;
	} cases[] = {
		{"udp4_echo", 10, 0, PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD, PE_DROP_NONE},
		{"udp4_echo", 6, 1, PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD, PE_DROP_NONE},
		{"udp4_echo", 6, 1, PE_CSUM_L4_GOOD, PE_DROP_NONE},
		{"udp4_echo", 10, 0, PE_CSUM_L4_GOOD, PE_DROP_IP_CSUM},
		{"udp4_echo", 6, 1, PE_CSUM_IP_GOOD, PE_DROP_UDP_CSUM},
		{"udp4_echo", -1, 0, PE_CSUM_IP_BAD, PE_DROP_IP_CSUM},
		{"udp4_echo", -1, 0, PE_CSUM_IP_GOOD | PE_CSUM_L4_BAD, PE_DROP_UDP_CSUM},
		{"udp4_echo", 10, 0, 0, PE_DROP_IP_CSUM},
		{"udp4_echo", -1, 0, 0, PE_DROP_NONE},
		{"udp4_echo_vlan", 6, 1, PE_CSUM_L4_GOOD, PE_DROP_NONE},
		{"udp6_echo", 6, 1, PE_CSUM_L4_GOOD, PE_DROP_NONE},
		{"udp6_echo", -1, 0, PE_CSUM_L4_BAD, PE_DROP_UDP_CSUM},
		{"udp6_echo", 6, 1, 0, PE_DROP_UDP_CSUM},
		{"icmp4_echo", 2, 1, PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD, PE_DROP_ICMP_CSUM},
		{"icmp4_echo", -1, 0, PE_CSUM_IP_GOOD | PE_CSUM_L4_BAD, PE_DROP_NONE},
	};
	static struct pe_golden g;
	static struct pe_tf want, full;

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pe_pkt_cfg off;
		uint8_t *frame = g.req.b, hw = (uint8_t)cases[i].hw;
		uint32_t len, wlen, flen;
		enum pe_drop d;

		pe_golden_make(pe_golden_find(cases[i].name), NULL, &g);
		if (cases[i].poke >= 0)
			frame[(cases[i].at_l4 ? g.req.l4 : g.req.l3) + cases[i].poke] ^= 0x5a;
		want = g.req;
		full = g.req;
		off = g.cfg;
		off.verify_csum = false;
		wlen = flen = len = g.req.len;
		pe_pkt_service_burst(&g.cfg, &frame, &len, &hw, &d, 1);
		if (d != cases[i].want)
			fail_msg("case %u (%s): %s, expected %s", i, cases[i].name, pe_drop_name(d),
				 pe_drop_name(cases[i].want));
		assert_int_equal(pkt_service_full(&g.cfg, full.b, &flen, hw), d);
		if (d == PE_DROP_NONE) {
			assert_int_equal(pkt_service_full(&off, want.b, &wlen, 0), PE_DROP_NONE);
			assert_int_equal(len, wlen);
			assert_memory_equal(frame, want.b, len);
			assert_memory_equal(full.b, want.b, len);
		}
	}
}

static void test_udp_from_echo_port(void **state)
{
	static const struct {
		const char *src, *dst;
		uint16_t sport, dport;
		enum pe_drop want;
	} cases[] = {
		{"198.18.0.1", "198.18.0.2", 1005, 1000, PE_DROP_LOOP},
		{"198.18.0.1", "198.18.0.2", 1000, 1000, PE_DROP_LOOP},
		{"198.18.0.1", "198.18.0.2", 1011, 1000, PE_DROP_NONE},
		{"198.18.0.1", "198.18.0.2", 999, 1010, PE_DROP_NONE},
		{"2001:2::1", "2001:2::2", 1010, 1001, PE_DROP_LOOP},
		{"2001:2::1", "2001:2::2", 40000, 1001, PE_DROP_NONE},
		{"198.18.0.1", "198.18.0.2", 0, 7, PE_DROP_LOOP}, /* port 0: no real peer */
		{"2001:2::1", "2001:2::2", 0, 7, PE_DROP_LOOP},
	};
	struct pe_golden *g = golden("udp4_echo");

	(void)state;
	assert_int_equal(pe_pkt_cfg_set_ports(g->cfg.echo_ports, "7,1000-1010"), 0);
	assert_int_equal(pe_pkt_cfg_set_ports(g->cfg.loop_ports, "19"), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[PE_TF_MAX];
		uint32_t len;
		struct pe_tf req;

		pe_tf_init(&req);
		pe_tf_eth(&req, PE_GOLDEN_MAC, PE_GOLDEN_CLIENT);
		if (strchr(cases[i].src, ':'))
			pe_tf_ip6(&req, cases[i].src, cases[i].dst, 64);
		else
			pe_tf_ip4(&req, cases[i].src, cases[i].dst, 64);
		pe_tf_udp(&req, cases[i].sport, cases[i].dport);
		pe_tf_payload(&req, "loop?", 5);
		pe_tf_finish(&req);
		if (run(&g->cfg, &req, out, &len) != cases[i].want)
			fail_msg("case %u: %u -> %u: want %s", i, cases[i].sport, cases[i].dport,
				 pe_drop_name(cases[i].want));
	}
	free(g);
}

/* l4 mode on truncated frames: swaps what is there, never reads past the end. */
static void test_l4_truncated(void **state)
{
	struct pe_golden *g = golden("udp4_echo_qinq");
	uint8_t *buf;

	(void)state;
	g->cfg.mode = PE_MODE_L4;
	for (uint32_t n = 0; n <= g->req.len; n++) {
		uint32_t len = n;

		buf = malloc(n ? n : 1); /* exact size: ASan sees any overread */
		assert_non_null(buf);
		memcpy(buf, g->req.b, n);
		assert_verdict(pe_pkt_echo(&g->cfg, buf, &len),
			       n < 14 ? PE_DROP_RUNT : PE_DROP_NONE);
		assert_int_equal(len, n);
		if (n >= 14) {
			assert_memory_equal(buf, g->req.b + 6, 6);
			assert_memory_equal(buf + 6, g->req.b, 6);
		}
		free(buf);
	}
	free(g);
}

/* l4 mode leaves the ports of a non-first fragment alone (they are payload). */
static void test_l4_fragment(void **state)
{
	struct pe_golden *g = golden("ip4_frag_offset");
	uint8_t out[PE_TF_MAX];
	uint32_t len;

	(void)state;
	g->cfg.mode = PE_MODE_L4;
	assert_verdict(run(&g->cfg, &g->req, out, &len), PE_DROP_NONE);
	assert_memory_equal(out + g->req.l4, g->req.b + g->req.l4, 4);
	assert_memory_equal(out + g->req.l3 + 12, g->req.b + g->req.l3 + 16, 4);
	free(g);
}

/* Every frame of the golden table, cut at every length, through every mode: exact-size
 * buffers, so ASan reports any read or write outside [0, len). */
static void test_truncations(void **state)
{
	struct pe_golden *g = malloc(sizeof(*g));

	(void)state;
	assert_non_null(g);
	for (unsigned i = 0; i < pe_golden_count; i++) {
		pe_golden_make(&pe_golden_cases[i], NULL, g);
		g->cfg.tailroom = 0; /* exact buffers: no room to grow into */
		for (uint32_t n = 0; n <= g->req.len && n < 200; n++) {
			for (int mode = PE_MODE_SERVICE; mode <= PE_MODE_L4; mode++) {
				uint8_t *buf = malloc(n ? n : 1);
				uint32_t len = n;
				enum pe_drop d;

				assert_non_null(buf);
				memcpy(buf, g->req.b, n);
				g->cfg.mode = (enum pe_pkt_mode)mode;
				d = pe_pkt_echo(&g->cfg, buf, &len);
				assert_true(d < PE_DROP_MAX);
				assert_true(d != PE_DROP_NONE || len <= n);
				free(buf);
			}
		}
	}
	free(g);
}

/* Property: for random and mutated frames, a reply is never longer than the request and carries
 * valid checksums (verification on); with verification off, right checksums stay right. */
static void test_property(void **state)
{
	struct pe_golden *all = calloc(pe_golden_count, sizeof(*all));
	struct pe_tf *t = malloc(sizeof(*t));
	uint8_t *out = malloc(PE_TF_MAX), *out2 = malloc(PE_TF_MAX);
	unsigned replies = 0;

	(void)state;
	assert_non_null(out2);
	assert_non_null(all);
	assert_non_null(t);
	assert_non_null(out);
	for (unsigned i = 0; i < pe_golden_count; i++)
		pe_golden_make(&pe_golden_cases[i], NULL, &all[i]);
	for (unsigned iter = 0; iter < 100000; iter++) {
		unsigned ci = rnd() % pe_golden_count;
		struct pe_golden *g = &all[ci];
		uint32_t n, len, len2;
		enum pe_drop d;

		*t = g->req;
		n = t->len;
		if (iter % 10 == 0) { /* pure noise behind a plausible Ethernet header */
			n = 14 + rnd() % 200;
			for (uint32_t i = 14; i < n; i++)
				t->b[i] = (uint8_t)rnd();
		}
		for (unsigned k = rnd() % 4; k > 0 && n; k--) /* flip bits */
			t->b[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
		if (iter % 10 != 0 && t->l3end && rnd() % 2 == 0)
			pe_tf_fix_csums(t); /* so that the mutation gets past the checksums */
		if (rnd() % 4 == 0 && n)    /* truncate */
			n = rnd() % n;
		g->cfg.mode = PE_MODE_SERVICE;
		g->cfg.verify_csum = rnd() % 4 != 0;
		memcpy(out, t->b, n);
		len = n;
		d = pe_pkt_service(&g->cfg, out, &len);
		/* differential: the full parse alone must say and write exactly the same */
		memcpy(out2, t->b, n);
		len2 = n;
		if (pkt_service_full(&g->cfg, out2, &len2, 0) != d)
			fail_msg("case %s iter %u: fast path and full parse disagree",
				 pe_golden_cases[ci].name, iter);
		if (d != PE_DROP_NONE)
			continue;
		assert_int_equal(len, len2);
		assert_memory_equal(out, out2, len);
		replies++;
		assert_true(len <= n || (len <= n + PE_PKT_MAX_GROWTH && n <= PE_PKT_GROW_MAX &&
					 out[len - 8] == 2 && out[len - 7] == 1)); /* Target LL */
		if (g->cfg.verify_csum || pe_tf_csums_ok(t->b, n))
			if (!pe_tf_csums_ok(out, len))
				fail_msg("case %s iter %u: reply with a bad checksum",
					 pe_golden_cases[ci].name, iter);
	}
	assert_true(replies > 1000);
	free(out2);
	free(out);
	free(t);
	free(all);
}

/* Both copies of pe_pkt_service_burst's loop (PE_PKT_ISA_BASE and, where the CPU has it, the
 * AVX2 one), each with its usual loop (hw NULL, one address, verification on) and the general
 * one (flags, two addresses, verification off), against the full parse alone: the same verdict
 * and bytes for every frame. The frames are the benchmarks' 64-byte requests and golden requests
 * with bits flipped in their first 64 bytes (the fast path's headers), checksums fixed most of
 * the time so that the flips get past them, some cut or padded, each in a buffer of exactly its
 * size (ASan sees any read beyond it). Fails if the copies differ from the full parse. */
static void test_burst_copies(void **state)
{
	enum { B = 32, ROUNDS = 3000 };
	static struct pe_pkt_cfg cfgs[2];
	struct pe_golden *all = calloc(pe_golden_count, sizeof(*all));
	struct pe_tf *t = malloc(sizeof(*t));
	uint8_t *frames[B], *full = malloc(PE_TF_MAX + 8), hw[B];
	uint8_t *req[B];
	uint32_t lens[B], n[B];
	enum pe_drop verdicts[B];
	unsigned replies[2] = {0, 0};
	int isas = 1;

	(void)state;
	assert_true(all && t && full);
	for (unsigned i = 0; i < pe_golden_count; i++)
		pe_golden_make(&pe_golden_cases[i], NULL, &all[i]);
	pe_golden_cfg(pe_golden_find("udp4_echo"), NULL, &cfgs[0]);
	cfgs[0].tailroom = 0; /* exact-size buffers: no room for an NA to grow into */
	cfgs[1] = cfgs[0];
	assert_int_equal(pe_pkt_cfg_add_ip(&cfgs[1], "203.0.113.9/29"), 0);
	assert_int_equal(pe_pkt_cfg_set_ports(cfgs[1].echo_ports, "7,1000-1010"), 0);
#ifdef PE_FAST4_AVX2
	if (cfgs[0].isa == PE_PKT_ISA_AVX2)
		isas = 2;
	else
		print_message("no AVX2 here: the baseline copy alone\n");
#endif
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct pe_pkt_cfg *cfg = &cfgs[r % 2];
		int with_hw = r % 4 >= 2;

		cfg->verify_csum = r % 2 == 0 || rnd() % 4 != 0;
		for (unsigned i = 0; i < B; i++) {
			uint32_t len;

			if (rnd() % 2) {
				pe_tf_bench_frame(t, cfg->mac, rnd() % 64,
						  rnd() % 4 ? IPPROTO_UDP : IPPROTO_ICMP);
			} else {
				*t = all[rnd() % pe_golden_count].req;
			}
			len = t->len;
			for (unsigned k = rnd() % 3; k > 0; k--) /* flips in the headers */
				t->b[rnd() % (len < 64 ? len : 64)] ^= (uint8_t)(1u << (rnd() % 8));
			if (t->l3end && rnd() % 4)
				pe_tf_fix_csums(t);
			if (len > 14 && rnd() % 8 == 0) /* cut */
				len = 14 + rnd() % (len - 13);
			else if (rnd() % 8 == 0 && len + 8 <= PE_TF_MAX) /* Ethernet padding */
				len += rnd() % 9;
			req[i] = malloc(len);
			frames[i] = malloc(len);
			assert_true(req[i] && frames[i]);
			memcpy(req[i], t->b, len);
			n[i] = len;
			hw[i] = with_hw ? (uint8_t)(rnd() % 16) : 0;
		}
		for (int isa = 0; isa < isas; isa++) {
			cfg->isa = (uint8_t)isa;
			for (unsigned i = 0; i < B; i++) {
				memcpy(frames[i], req[i], n[i]);
				lens[i] = n[i];
			}
			unsigned parsed = pe_pkt_service_burst(cfg, frames, lens,
							       with_hw ? hw : NULL, verdicts, B);
			unsigned odd = 0; /* drops and longer replies: the full parse's alone */

			for (unsigned i = 0; i < B; i++) {
				uint32_t flen = n[i];

				odd += verdicts[i] != PE_DROP_NONE || lens[i] > n[i];

				memcpy(full, req[i], n[i]);
				if (pkt_service_full(cfg, full, &flen, with_hw ? hw[i] : 0) !=
					    verdicts[i] ||
				    (verdicts[i] == PE_DROP_NONE &&
				     (flen != lens[i] || memcmp(full, frames[i], flen) != 0)))
					fail_msg(
						"round %u frame %u, isa %d: burst %s, full parse %s",
						r, i, isa, pe_drop_name(verdicts[i]),
						pe_drop_name(
							pkt_service_full(cfg, full, &flen, 0)));
				replies[isa] += verdicts[i] == PE_DROP_NONE;
			}
			if (odd > parsed)
				fail_msg("round %u, isa %d: %u drops, %u full parses returned", r,
					 isa, odd, parsed);
		}
		for (unsigned i = 0; i < B; i++) {
			free(req[i]);
			free(frames[i]);
		}
	}
	for (int isa = 0; isa < isas; isa++)
		assert_true(replies[isa] > ROUNDS * B / 8); /* the fast path did run */
	cfgs[0].isa = cfgs[1].isa = 0;
	free(full);
	free(t);
	free(all);
}

/* The time the caller passes lands in IPv4 Timestamp options (the golden cases have the
 * PE_PKT_TS_NONE of the calls without one): milliseconds since midnight UT, big-endian, through
 * the single-frame and the burst entry points; the header checksum stays right. */
static void test_timestamp_time(void **state)
{
	static const char *const names[] = {"icmp4_echo_timestamp", "udp4_echo_timestamp_addr"};
	const uint32_t ts = pe_pkt_ts_of_unix_ms(1796000000123ull); /* 2026-11-30 00:53:20.123 */
	struct pe_golden *g = malloc(sizeof(*g));

	(void)state;
	assert_non_null(g);
	assert_int_equal(ts, 3200123u);
	assert_int_equal(pe_pkt_ts_of_unix_ms(86400000ull * 3), 0);
	for (unsigned k = 0; k < 2; k++) {
		uint8_t out[PE_TF_MAX];
		uint8_t *frame = out;
		uint32_t len, slot;
		enum pe_drop d;

		pe_golden_make(pe_golden_find(names[k]), NULL, g);
		/* the slot the reply's timestamp goes to: after our address when flag 1 */
		slot = 14 + 20 + 4 + (k ? 4 : 0);
		assert_int_equal(g->rep.b[slot], 0x80);
		memcpy(out, g->req.b, g->req.len);
		len = g->req.len;
		assert_verdict(pe_pkt_echo_at(&g->cfg, out, &len, ts), PE_DROP_NONE);
		assert_int_equal(len, g->rep.len);
		assert_int_equal((uint32_t)out[slot] << 24 | (uint32_t)out[slot + 1] << 16 |
					 (uint32_t)out[slot + 2] << 8 | out[slot + 3],
				 ts);
		assert_true(pe_tf_csums_ok(out, len));
		memcpy(g->rep.b + slot, out + slot, 4); /* the rest as the golden reply */
		assert_memory_equal(out + 26, g->rep.b + 26, len - 26);
		memcpy(out, g->req.b, g->req.len);
		len = g->req.len;
		pe_pkt_service_burst_at(&g->cfg, &frame, &len, NULL, &d, 1, ts);
		assert_verdict(d, PE_DROP_NONE);
		assert_memory_equal(out + 26, g->rep.b + 26, len - 26);
		assert_true(pe_tf_csums_ok(out, len));
	}
	free(g);
}

int main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_golden_covers_every_reason),
		cmocka_unit_test(test_golden_table_sane),
		cmocka_unit_test(test_golden_other_mac),
		cmocka_unit_test(test_golden_burst),
		cmocka_unit_test(test_ttl_patch_every_value),
		cmocka_unit_test(test_cfg_defaults),
		cmocka_unit_test(test_cfg_add_ip),
		cmocka_unit_test(test_cfg_add_ip_not_unicast),
		cmocka_unit_test(test_cfg_ports),
		cmocka_unit_test(test_cfg_mode),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_src_policy),
		cmocka_unit_test(test_csum_helpers),
		cmocka_unit_test(test_ttl_configured),
		cmocka_unit_test(test_verify_off),
		cmocka_unit_test(test_icmp_reply_all_zero),
		cmocka_unit_test(test_second_address),
		cmocka_unit_test(test_udp_from_echo_port),
		cmocka_unit_test(test_hw_csum),
		cmocka_unit_test(test_l4_truncated),
		cmocka_unit_test(test_l4_fragment),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_burst_copies),
		cmocka_unit_test(test_timestamp_time),
	};
	struct CMUnitTest *gold = calloc(pe_golden_count, sizeof(*gold));
	int failed;

	if (!gold)
		return 1;
	for (unsigned i = 0; i < pe_golden_count; i++) {
		gold[i].name = pe_golden_cases[i].name;
		gold[i].test_func = test_golden;
		gold[i].initial_state = (void *)&pe_golden_cases[i];
	}
	failed = _cmocka_run_group_tests("pkt_golden", gold, pe_golden_count, NULL, NULL);
	failed += cmocka_run_group_tests_name("pkt", unit, NULL, NULL);
	free(gold);
	return failed ? 1 : 0;
}
