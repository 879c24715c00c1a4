/* SPDX-License-Identifier: MIT */
/* The golden packet table: requests and their exact expected replies (or drop reasons), built
 * from the protocol rules with the reference builder. Never calls lib/pkt's echo. */
#include <stdlib.h>
#include <string.h>

#include "pe_testframes.h"

const uint8_t PE_GOLDEN_MAC[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t PE_GOLDEN_CLIENT[6] = {0x02, 0, 0, 0, 0, 0x01};

#define OUR4	"198.18.0.2"
#define CLI4	"198.18.0.1"
#define OUR6	"2001:2::2"
#define CLI6	"2001:2::1"
#define CLI6_LL "fe80::1"

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6] = {0};
static const uint8_t foreign_mac[6] = {0x02, 0, 0, 0, 0, 0x99};
static const char hello[] = "hello, pktecho";

/* One IP flow, request or reply: enough to build both directions of an echo. */
struct flow {
	const uint8_t *dmac, *smac;
	unsigned n_vlan;
	uint16_t tpid[3], tci[3];
	int v6;
	const char *src, *dst;
	uint8_t ttl;
	uint8_t l4;	       /* 17 UDP, 6 TCP, 1/58 ICMP echo (type in icmp), other: bare proto */
	uint16_t sport, dport; /* ports, or ICMP id and sequence */
	uint8_t icmp;	       /* ICMP type */
	const void *payload;
	uint32_t plen;
	uint8_t seed;	     /* pattern payload of plen bytes when payload is NULL */
	const uint8_t *opts; /* IPv4 options */
	uint32_t optlen;
	uint32_t pad_to; /* Ethernet padding */
};

static void flow_l2(struct pe_tf *f, const struct flow *fl)
{
	pe_tf_init(f);
	pe_tf_eth(f, fl->dmac, fl->smac);
	for (unsigned i = 0; i < fl->n_vlan; i++)
		pe_tf_vlan(f, fl->tpid[i], fl->tci[i]);
}

static void flow_build(struct pe_tf *f, const struct flow *fl)
{
	flow_l2(f, fl);
	if (fl->v6) {
		pe_tf_ip6(f, fl->src, fl->dst, fl->ttl);
	} else {
		pe_tf_ip4(f, fl->src, fl->dst, fl->ttl);
		if (fl->optlen)
			pe_tf_ip4_opts(f, fl->opts, fl->optlen);
	}
	if (fl->l4 == 17)
		pe_tf_udp(f, fl->sport, fl->dport);
	else if (fl->l4 == 6)
		pe_tf_tcp(f, fl->sport, fl->dport);
	else if (fl->l4 == 1 || fl->l4 == 58)
		pe_tf_icmp(f, fl->icmp, 0, fl->sport, fl->dport);
	else
		pe_tf_proto(f, fl->l4);
	if (fl->payload)
		pe_tf_payload(f, fl->payload, fl->plen);
	else
		pe_tf_pattern(f, fl->plen, fl->seed);
	pe_tf_finish(f);
	pe_tf_pad(f, fl->pad_to);
}

/* The echo of fl in service mode: from our MAC, addresses and ports swapped, a fresh TTL, ICMP
 * echo request turned into a reply, padding gone. */
static struct flow flow_reply(const struct flow *fl, const uint8_t *mac)
{
	struct flow r = *fl;

	r.dmac = fl->smac;
	r.smac = mac;
	r.src = fl->dst;
	r.dst = fl->src;
	r.ttl = 64;
	if (fl->l4 == 17 || fl->l4 == 6) {
		r.sport = fl->dport;
		r.dport = fl->sport;
	}
	if (fl->l4 == 1)
		r.icmp = 0;
	if (fl->l4 == 58)
		r.icmp = 129;
	r.pad_to = 0;
	return r;
}

/* The standard requests: from the client to us. */
static struct flow udp4(const uint8_t *mac)
{
	return (struct flow){.dmac = mac,
			     .smac = PE_GOLDEN_CLIENT,
			     .src = CLI4,
			     .dst = OUR4,
			     .ttl = 64,
			     .l4 = 17,
			     .sport = 40000,
			     .dport = 7,
			     .payload = hello,
			     .plen = sizeof(hello) - 1};
}

static struct flow icmp4(const uint8_t *mac)
{
	return (struct flow){.dmac = mac,
			     .smac = PE_GOLDEN_CLIENT,
			     .src = CLI4,
			     .dst = OUR4,
			     .ttl = 64,
			     .l4 = 1,
			     .icmp = 8,
			     .sport = 0x0abc,
			     .dport = 1,
			     .plen = 56,
			     .seed = 0xa5};
}

static struct flow udp6(const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	fl.v6 = 1;
	fl.src = CLI6;
	fl.dst = OUR6;
	return fl;
}

static struct flow icmp6(const uint8_t *mac)
{
	struct flow fl = icmp4(mac);

	fl.v6 = 1;
	fl.l4 = 58;
	fl.icmp = 128;
	fl.src = CLI6;
	fl.dst = OUR6;
	return fl;
}

/* Request fl and, when the case expects a reply, its echo. */
static void echo(struct pe_golden *g, const struct flow *fl, const uint8_t *mac)
{
	flow_build(&g->req, fl);
	if (g->expect == PE_DROP_NONE) {
		struct flow r = flow_reply(fl, mac);

		flow_build(&g->rep, &r);
	}
}

/* ---- echo cases ---- */

static void b_udp4(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	echo(g, &fl, mac);
}

static void b_udp4_ttl1(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.ttl = 1;
	echo(g, &fl, mac);
}

static void b_udp4_empty(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.payload = NULL;
	fl.plen = 0;
	echo(g, &fl, mac);
}

static void b_udp4_large(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.payload = NULL;
	fl.plen = 1472;
	fl.seed = 3;
	echo(g, &fl, mac);
}

static void b_udp4_padded(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.plen = 4;
	fl.pad_to = 60;
	echo(g, &fl, mac);
}

static void b_udp4_sport(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.sport = 1024;
	echo(g, &fl, mac);
}

static void b_udp4_dport1005(const struct pe_golden_case *c, struct pe_golden *g,
			     const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.dport = 1005;
	echo(g, &fl, mac);
}

static void b_udp4_csum0(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	echo(g, &fl, mac);
	pe_tf_put16(&g->req, (uint32_t)g->req.l4 + 6, 0);
	pe_tf_put16(&g->rep, (uint32_t)g->rep.l4 + 6, 0);
}

/* UDP length shorter than the IP payload: only the UDP datagram is echoed. */
static void b_udp4_short_ulen(const struct pe_golden_case *c, struct pe_golden *g,
			      const uint8_t *mac)
{
	struct flow fl = udp4(mac);
	struct flow r;

	(void)c;
	flow_build(&g->req, &fl);
	pe_tf_put16(&g->req, (uint32_t)g->req.l4 + 4, 8 + 5);
	pe_tf_fix_csums(&g->req);
	r = flow_reply(&fl, mac);
	r.plen = 5;
	flow_build(&g->rep, &r);
}

static void b_udp4_vlan(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.n_vlan = 1;
	fl.tpid[0] = 0x8100;
	fl.tci[0] = 10;
	echo(g, &fl, mac);
}

static void b_udp4_vlan0(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.n_vlan = 1;
	fl.tpid[0] = 0x8100;
	fl.tci[0] = 0x6000; /* priority tag: VID 0, PCP 3 */
	echo(g, &fl, mac);
}

static void b_udp4_qinq(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.n_vlan = 2;
	fl.tpid[0] = 0x88a8;
	fl.tci[0] = 100;
	fl.tpid[1] = 0x8100;
	fl.tci[1] = 10;
	echo(g, &fl, mac);
}

static void b_udp4_qinq9100(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.n_vlan = 2;
	fl.tpid[0] = 0x9100;
	fl.tci[0] = 200;
	fl.tpid[1] = 0x8100;
	fl.tci[1] = 20;
	echo(g, &fl, mac);
}

/* IPv4 Record Route (7) and Timestamp (68) options (RFC 791 3.1, RFC 1122 3.2.2.6): the request's
 * options and, for a reply, the reply's (our address / PE_PKT_TS_NONE, the time of calls without
 * a clock, written where there is room, the pointer advanced). */
static const struct opt_case {
	const char *arg;
	uint8_t req[20], rep[20];
	uint32_t n;
	int icmp;
} opt_cases[] = {
	/* room for one address, then a NOP */
	{"rr", {7, 7, 4, 0, 0, 0, 0, 1}, {7, 7, 8, 198, 18, 0, 2, 1}, 8, 0},
	/* room for a second address */
	{"rr2",
	 {7, 11, 8, 198, 18, 0, 9, 0, 0, 0, 0, 1},
	 {7, 11, 12, 198, 18, 0, 9, 198, 18, 0, 2, 1},
	 12,
	 1},
	/* full (pointer beyond the length): as it was */
	{"rr_full", {7, 7, 8, 198, 18, 0, 9, 1}, {7, 7, 8, 198, 18, 0, 9, 1}, 8, 1},
	/* timestamps only, room for two */
	{"ts", {68, 12, 5, 0}, {68, 12, 9, 0, 0x80, 0, 0, 0}, 12, 1},
	/* address and timestamp */
	{"ts_addr", {68, 12, 5, 1}, {68, 12, 13, 1, 198, 18, 0, 2, 0x80, 0, 0, 0}, 12, 0},
	/* prespecified: ours first, then another host's (left for it) */
	{"ts_prespec",
	 {68, 20, 5, 3, 198, 18, 0, 2, 0, 0, 0, 0, 198, 18, 0, 9},
	 {68, 20, 13, 3, 198, 18, 0, 2, 0x80, 0, 0, 0, 198, 18, 0, 9},
	 20,
	 1},
	{"ts_prespec_other", {68, 12, 5, 3, 198, 18, 0, 9}, {68, 12, 5, 3, 198, 18, 0, 9}, 12, 1},
	/* full: the overflow count goes up */
	{"ts_full", {68, 8, 9, 0x20, 1, 2, 3, 4}, {68, 8, 9, 0x30, 1, 2, 3, 4}, 8, 1},
	/* malformed */
	{"rr_ptr3", {7, 7, 3, 0, 0, 0, 0, 1}, {0}, 8, 0},
	{"rr_ptr_cut", {7, 7, 5, 0, 0, 0, 0, 1}, {0}, 8, 0},
	{"rr_len2", {7, 2, 1, 1}, {0}, 4, 0},
	{"rr_twice", {7, 3, 4, 7, 3, 4, 0, 0}, {0}, 8, 0},
	{"ts_len3", {68, 3, 5, 1}, {0}, 4, 1},
	{"ts_ptr4", {68, 8, 4, 0}, {0}, 8, 1},
	{"ts_flag2", {68, 8, 5, 2}, {0}, 8, 1},
	{"ts_addr_cut", {68, 8, 5, 1}, {0}, 8, 1},
	{"ts_overflow", {68, 8, 9, 0xf0, 1, 2, 3, 4}, {0}, 8, 1},
};

static const struct opt_case *opt_case(const char *arg)
{
	for (size_t i = 0; i < sizeof(opt_cases) / sizeof(opt_cases[0]); i++)
		if (strcmp(opt_cases[i].arg, arg) == 0)
			return &opt_cases[i];
	abort();
}

static void b_ip4_rr_ts(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	const struct opt_case *oc = opt_case(c->arg);
	struct flow fl;

	fl = oc->icmp ? icmp4(mac) : udp4(mac);
	fl.opts = oc->req;
	fl.optlen = oc->n;
	flow_build(&g->req, &fl);
	if (g->expect == PE_DROP_NONE) {
		struct flow r = flow_reply(&fl, mac);

		r.opts = oc->rep;
		flow_build(&g->rep, &r);
	}
}

static void b_udp4_promisc(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(foreign_mac);

	(void)c;
	echo(g, &fl, mac);
}

static void b_icmp4(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = icmp4(mac);

	(void)c;
	echo(g, &fl, mac);
}

static void b_icmp4_ttl1(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = icmp4(mac);

	(void)c;
	fl.ttl = 1;
	echo(g, &fl, mac);
}

static void b_icmp4_empty(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = icmp4(mac);

	(void)c;
	fl.plen = 0;
	echo(g, &fl, mac);
}

static void b_icmp4_odd(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = icmp4(mac);

	(void)c;
	fl.plen = 1001;
	fl.ttl = 255;
	echo(g, &fl, mac);
}

static void b_udp6(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp6(mac);

	(void)c;
	echo(g, &fl, mac);
}

static void b_udp6_short_ulen(const struct pe_golden_case *c, struct pe_golden *g,
			      const uint8_t *mac)
{
	struct flow fl = udp6(mac);
	struct flow r;

	(void)c;
	flow_build(&g->req, &fl);
	pe_tf_put16(&g->req, (uint32_t)g->req.l4 + 4, 8 + 3);
	pe_tf_fix_csums(&g->req);
	r = flow_reply(&fl, mac);
	r.plen = 3;
	flow_build(&g->rep, &r);
}

static void b_icmp6(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = icmp6(mac);

	(void)c;
	echo(g, &fl, mac);
}

static void b_icmp6_hlim1(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = icmp6(mac);

	(void)c;
	fl.ttl = 1;
	fl.n_vlan = 1;
	fl.tpid[0] = 0x8100;
	fl.tci[0] = 7;
	echo(g, &fl, mac);
}

/* IPv6 with extension headers in front of L4: hop-by-hop (router alert + PadN), destination
 * options (PadN) and a routing header of type 4 with no segments left; all echoed as they are. */
static void ip6_exts(struct pe_tf *f, const struct flow *fl)
{
	static const uint8_t hbh[] = {5, 2, 0, 0, 1, 0}; /* router alert, PadN(0) */
	static const uint8_t dst[] = {1, 4, 0, 0, 0, 0}; /* PadN(4) */
	static const uint8_t rh[] = {4, 0, 0, 0, 0, 0};	 /* type 4 (SRH), segments left 0 */

	flow_l2(f, fl);
	pe_tf_ip6(f, fl->src, fl->dst, fl->ttl);
	pe_tf_ip6_ext(f, 0, hbh, sizeof(hbh));
	pe_tf_ip6_ext(f, 60, dst, sizeof(dst));
	pe_tf_ip6_ext(f, 43, rh, sizeof(rh));
}

static void b_udp6_ext(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp6(mac), r = flow_reply(&fl, mac);

	(void)c;
	ip6_exts(&g->req, &fl);
	pe_tf_udp(&g->req, fl.sport, fl.dport);
	pe_tf_payload(&g->req, fl.payload, fl.plen);
	pe_tf_finish(&g->req);
	ip6_exts(&g->rep, &r);
	pe_tf_udp(&g->rep, r.sport, r.dport);
	pe_tf_payload(&g->rep, r.payload, r.plen);
	pe_tf_finish(&g->rep);
}

static void arp(struct pe_tf *f, const uint8_t *dmac, uint16_t op, const char *spa, const char *tpa)
{
	pe_tf_init(f);
	pe_tf_eth(f, dmac, PE_GOLDEN_CLIENT);
	pe_tf_arp(f, op, PE_GOLDEN_CLIENT, spa, zero_mac, tpa);
	pe_tf_finish(f);
	pe_tf_pad(f, 60);
}

static void arp_reply(struct pe_tf *f, const uint8_t *mac, const char *spa, const char *tpa)
{
	pe_tf_init(f);
	pe_tf_eth(f, PE_GOLDEN_CLIENT, mac);
	pe_tf_arp(f, 2, mac, spa, PE_GOLDEN_CLIENT, tpa);
	pe_tf_finish(f);
}

static void b_arp(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	(void)c;
	arp(&g->req, bcast_mac, 1, CLI4, OUR4);
	arp_reply(&g->rep, mac, OUR4, CLI4);
}

static void b_arp_unicast(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	(void)c;
	arp(&g->req, mac, 1, CLI4, OUR4);
	arp_reply(&g->rep, mac, OUR4, CLI4);
}

static void b_arp_probe(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	(void)c;
	arp(&g->req, bcast_mac, 1, "0.0.0.0", OUR4);
	arp_reply(&g->rep, mac, OUR4, "0.0.0.0");
}

/* NS for target from src to dst (dmac), with a source LL option when slla. */
static void ns(struct pe_tf *f, const uint8_t *dmac, const char *src, const char *dst,
	       const char *target, int slla)
{
	pe_tf_init(f);
	pe_tf_eth(f, dmac, PE_GOLDEN_CLIENT);
	pe_tf_ip6(f, src, dst, 255);
	pe_tf_ns(f, target);
	if (slla)
		pe_tf_nd_lla(f, 1, PE_GOLDEN_CLIENT);
	pe_tf_finish(f);
}

static void na(struct pe_tf *f, const uint8_t *dmac, const uint8_t *mac, const char *dst,
	       uint8_t flags, int tlla)
{
	pe_tf_init(f);
	pe_tf_eth(f, dmac, mac);
	pe_tf_ip6(f, OUR6, dst, 255);
	pe_tf_na(f, flags, OUR6);
	if (tlla)
		pe_tf_nd_lla(f, 2, mac);
	pe_tf_finish(f);
}

static const uint8_t snm_mac[6] = {0x33, 0x33, 0xff, 0, 0, 0x02}; /* ff02::1:ff00:2 */
#define SNM6 "ff02::1:ff00:2"

static void b_ns_mcast(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	(void)c;
	ns(&g->req, snm_mac, CLI6_LL, SNM6, OUR6, 1);
	na(&g->rep, PE_GOLDEN_CLIENT, mac, CLI6_LL, 0x60, 1);
}

static void b_ns_unicast(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	(void)c;
	ns(&g->req, mac, CLI6, OUR6, OUR6, 1);
	na(&g->rep, PE_GOLDEN_CLIENT, mac, CLI6, 0x60, 1);
}

/* NUD probe without a source LL option: no room for a target LL option, so none, and then no
 * override flag (RFC 4861 7.2.4). */
static void b_ns_nud(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	(void)c;
	ns(&g->req, mac, CLI6, OUR6, OUR6, 0);
	na(&g->rep, PE_GOLDEN_CLIENT, mac, CLI6, 0x40, 0);
}

/* DAD for our address: the NA goes to all-nodes, not solicited, with the Target LL option and
 * Override (RFC 4861 7.2.4: required for a multicast NS), 8 bytes longer than the 78-byte probe
 * (the configuration gives the tailroom, pe_golden_cfg). */
static void b_ns_dad(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

	(void)c;
	ns(&g->req, snm_mac, "::", SNM6, OUR6, 0);
	na(&g->rep, all_nodes_mac, mac, "ff02::1", 0x20, 1);
}

/* Address resolution without a Source LL option (multicast, from a unicast address): the NA
 * needs the Target LL option all the same, and grows by it. */
static void b_ns_mcast_no_slla(const struct pe_golden_case *c, struct pe_golden *g,
			       const uint8_t *mac)
{
	(void)c;
	ns(&g->req, snm_mac, CLI6_LL, SNM6, OUR6, 0);
	na(&g->rep, PE_GOLDEN_CLIENT, mac, CLI6_LL, 0x60, 1);
}

/* NS behind a Hop-by-Hop header: the NA is written right after the IPv6 header, without it. */
static void b_ns_hbh(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t pad[6] = {1, 4, 0, 0, 0, 0};
	struct pe_tf *f = &g->req;

	(void)c;
	pe_tf_init(f);
	pe_tf_eth(f, snm_mac, PE_GOLDEN_CLIENT);
	pe_tf_ip6(f, CLI6_LL, SNM6, 255);
	pe_tf_ip6_ext(f, 0, pad, sizeof(pad));
	pe_tf_ns(f, OUR6);
	pe_tf_nd_lla(f, 1, PE_GOLDEN_CLIENT);
	pe_tf_finish(f);
	na(&g->rep, PE_GOLDEN_CLIENT, mac, CLI6_LL, 0x60, 1);
}

/* ICMPv6 echo behind a Destination Options header: echoed with the header. */
static void b_icmp6_dstopt(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t pad[6] = {1, 4, 0, 0, 0, 0};
	struct flow fl = icmp6(mac), r = flow_reply(&fl, mac);
	const struct flow *both[2] = {&fl, &r};
	struct pe_tf *out[2] = {&g->req, &g->rep};

	(void)c;
	for (int i = 0; i < 2; i++) {
		flow_l2(out[i], both[i]);
		pe_tf_ip6(out[i], both[i]->src, both[i]->dst, both[i]->ttl);
		pe_tf_ip6_ext(out[i], 60, pad, sizeof(pad));
		pe_tf_icmp(out[i], both[i]->icmp, 0, both[i]->sport, both[i]->dport);
		pe_tf_pattern(out[i], both[i]->plen, both[i]->seed);
		pe_tf_finish(out[i]);
	}
}

/* ---- other modes ---- */

static void b_l2_lldp(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t lldp_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x0e};

	(void)c;
	pe_tf_init(&g->req);
	pe_tf_eth(&g->req, lldp_mac, PE_GOLDEN_CLIENT);
	pe_tf_ethertype(&g->req, 0x88cc);
	pe_tf_pattern(&g->req, 46, 1);
	pe_tf_init(&g->rep);
	pe_tf_eth(&g->rep, PE_GOLDEN_CLIENT, lldp_mac);
	pe_tf_ethertype(&g->rep, 0x88cc);
	pe_tf_pattern(&g->rep, 46, 1);
}

/* l4 mode: a pure swap, the TTL and everything else untouched, padding kept. */
static void swap_only(struct pe_golden *g, struct flow fl)
{
	struct flow r = fl;

	r.dmac = fl.smac;
	r.smac = fl.dmac;
	r.src = fl.dst;
	r.dst = fl.src;
	if (fl.l4 == 17 || fl.l4 == 6) {
		r.sport = fl.dport;
		r.dport = fl.sport;
	}
	flow_build(&g->req, &fl);
	flow_build(&g->rep, &r);
}

static void b_l4_udp4(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.ttl = 3;
	fl.pad_to = 64;
	swap_only(g, fl);
}

static void b_l4_tcp6_qinq(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp6(mac);

	(void)c;
	fl.l4 = 6;
	fl.n_vlan = 2;
	fl.tpid[0] = 0x88a8;
	fl.tci[0] = 5;
	fl.tpid[1] = 0x8100;
	fl.tci[1] = 6;
	swap_only(g, fl);
}

static void b_l4_icmp4(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = icmp4(mac);

	(void)c;
	swap_only(g, fl); /* ICMP has no ports: addresses swapped, the type stays */
}

/* ---- drops: frames built by the rules, then one field broken ---- */

static void b_runt(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	(void)c;
	pe_tf_init(&g->req);
	pe_tf_bytes(&g->req, mac, 6);
	pe_tf_bytes(&g->req, PE_GOLDEN_CLIENT, 6);
	pe_tf_bytes(&g->req, "\x08", 1);
}

/* The standard UDP request truncated to c->arg bytes of frame... expressed as a number. */
static void b_udp4_cut(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	flow_build(&g->req, &fl);
	g->req.len = (uint32_t)strtoul(c->arg, NULL, 10);
}

/* Source MAC c->arg (a group, zero, or ours when "ours"). */
static void b_src_mac(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	struct flow fl = icmp4(mac);

	fl.smac = strcmp(c->arg, "bcast") == 0	 ? bcast_mac
		  : strcmp(c->arg, "mcast") == 0 ? mcast
		  : strcmp(c->arg, "zero") == 0	 ? zero_mac
						 : mac;
	flow_build(&g->req, &fl);
}

static void b_dst_mac_foreign(const struct pe_golden_case *c, struct pe_golden *g,
			      const uint8_t *mac)
{
	struct flow fl = udp4(foreign_mac);

	(void)c;
	(void)mac;
	flow_build(&g->req, &fl);
}

static void b_vlan3(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	(void)c;
	fl.n_vlan = 3;
	fl.tpid[0] = 0x88a8;
	fl.tpid[1] = 0x8100;
	fl.tpid[2] = 0x8100;
	fl.tci[0] = fl.tci[1] = fl.tci[2] = 1;
	flow_build(&g->req, &fl);
}

static void b_ethertype(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	pe_tf_init(&g->req);
	pe_tf_eth(&g->req, mac, PE_GOLDEN_CLIENT);
	pe_tf_ethertype(&g->req, (uint16_t)strtoul(c->arg, NULL, 16));
	pe_tf_pattern(&g->req, 46, 9);
}

/* ARP request variants: "hlen8", "short", "reply", "gratuitous", "other", "sha_mcast",
 * "spa_bcast", "dst_mcast". */
static void b_arp_bad(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	const char *v = c->arg;
	struct pe_tf *f = &g->req;

	pe_tf_init(f);
	pe_tf_eth(f, strcmp(v, "dst_mcast") == 0 ? mcast : bcast_mac, PE_GOLDEN_CLIENT);
	pe_tf_arp(f, strcmp(v, "reply") == 0 ? 2 : 1,
		  strcmp(v, "sha_mcast") == 0 ? mcast : PE_GOLDEN_CLIENT,
		  strcmp(v, "gratuitous") == 0	? OUR4
		  : strcmp(v, "spa_bcast") == 0 ? "198.18.0.255"
						: CLI4,
		  zero_mac, strcmp(v, "other") == 0 ? "198.18.0.50" : OUR4);
	if (strcmp(v, "hlen8") == 0)
		f->b[f->l3 + 4] = 8;
	if (strcmp(v, "short") == 0)
		f->len = (uint32_t)f->l3 + 20;
	(void)mac;
}

/* IPv4 header variants on the UDP request (checksum fixed unless the checksum is the point). */
static void b_ip4_bad(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);
	struct pe_tf *f = &g->req;
	const char *v = c->arg;
	uint32_t l3;

	flow_build(f, &fl);
	l3 = (uint32_t)f->l3;
	if (strcmp(v, "version") == 0)
		f->b[l3] = 0x65;
	else if (strcmp(v, "ihl4") == 0)
		f->b[l3] = 0x44;
	else if (strcmp(v, "ihl15") == 0)
		f->b[l3] = 0x4f;
	else if (strcmp(v, "len16") == 0)
		pe_tf_put16(f, l3 + 2, 16);
	else if (strcmp(v, "len9000") == 0)
		pe_tf_put16(f, l3 + 2, 9000);
	else if (strcmp(v, "mf") == 0)
		pe_tf_put16(f, l3 + 6, 0x2000);
	else if (strcmp(v, "offset") == 0)
		pe_tf_put16(f, l3 + 6, 0x0010);
	if (strcmp(v, "csum") == 0)
		pe_tf_put16(f, l3 + 10, 0xdead);
	else
		pe_tf_fix_csums(f);
}

static void b_ip4_opt(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t lsrr[] = {0x83, 7, 4, 198, 18, 0, 9, 0};
	static const uint8_t ssrr[] = {0x89, 7, 4, 198, 18, 0, 9, 0};
	static const uint8_t bad_len[] = {7, 1, 0, 0};	/* option length below 2 */
	static const uint8_t overrun[] = {1, 7, 12, 4}; /* option longer than the header */
	struct flow fl = udp4(mac);

	fl.opts = strcmp(c->arg, "lsrr") == 0	? lsrr
		  : strcmp(c->arg, "ssrr") == 0 ? ssrr
		  : strcmp(c->arg, "len1") == 0 ? bad_len
						: overrun;
	fl.optlen = fl.opts == lsrr || fl.opts == ssrr ? 8 : 4;
	flow_build(&g->req, &fl);
}

/* Request from source address c->arg (IPv4 or IPv6 by its text). */
static void b_src_ip(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = strchr(c->arg, ':') ? icmp6(mac) : udp4(mac);

	fl.src = c->arg;
	flow_build(&g->req, &fl);
}

/* ICMP echo to destination c->arg; the MAC follows the address as a sender's stack would. */
static void b_dst_ip(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t v4mc[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	static const uint8_t v6mc[6] = {0x33, 0x33, 0, 0, 0, 1};
	int v6 = strchr(c->arg, ':') != NULL;
	struct flow fl = v6 ? icmp6(mac) : icmp4(mac);

	fl.dst = c->arg;
	if (strcmp(c->arg, "255.255.255.255") == 0 || strcmp(c->arg, "198.18.0.255") == 0)
		fl.dmac = bcast_mac;
	else if (strncmp(c->arg, "224.", 4) == 0)
		fl.dmac = v4mc;
	else if (strncmp(c->arg, "ff02:", 5) == 0)
		fl.dmac = v6mc;
	flow_build(&g->req, &fl);
}

/* Our unicast address, but sent to the broadcast MAC (RFC 1122 3.3.6). */
static void b_dst_bcast_mac(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(bcast_mac);

	(void)c;
	(void)mac;
	flow_build(&g->req, &fl);
}

/* UDP to 224.0.0.1 (fraggle-style). */
static void b_udp_mcast(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t v4mc[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	struct flow fl = udp4(v4mc);

	(void)c;
	(void)mac;
	fl.dst = "224.0.0.1";
	flow_build(&g->req, &fl);
}

/* IPv6 extension-header variants before UDP: "budget" (9 headers), "bytes" (264 bytes),
 * "rh0", "segleft", "frag", "esp", "hbh_late", "opt_discard", "len" (header past the end). */
static void b_ip6_ext(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	static const uint8_t pad[6] = {1, 4, 0, 0, 0, 0};
	static const uint8_t big[262] = {1, 255};
	static const uint8_t rh0[6] = {0, 0, 0, 0, 0, 0};
	static const uint8_t rh_seg[6] = {4, 1, 0, 0, 0, 0};
	static const uint8_t frag[6] = {0, 0x01, 0, 0, 0, 1};	     /* offset 0, M=1 */
	static const uint8_t unknown_opt[6] = {0x9e, 4, 0, 0, 0, 0}; /* action 10: discard */
	struct flow fl = udp6(mac);
	struct pe_tf *f = &g->req;
	const char *v = c->arg;

	flow_l2(f, &fl);
	pe_tf_ip6(f, fl.src, fl.dst, 64);
	if (strcmp(v, "budget") == 0)
		for (int i = 0; i < PE_PKT_MAX_EXT_HDRS + 1; i++)
			pe_tf_ip6_ext(f, 60, pad, sizeof(pad));
	else if (strcmp(v, "bytes") == 0)
		pe_tf_ip6_ext(f, 60, big, sizeof(big));
	else if (strcmp(v, "rh0") == 0)
		pe_tf_ip6_ext(f, 43, rh0, sizeof(rh0));
	else if (strcmp(v, "segleft") == 0)
		pe_tf_ip6_ext(f, 43, rh_seg, sizeof(rh_seg));
	else if (strcmp(v, "frag") == 0)
		pe_tf_ip6_ext(f, 44, frag, sizeof(frag));
	else if (strcmp(v, "hbh_late") == 0) {
		pe_tf_ip6_ext(f, 60, pad, sizeof(pad));
		pe_tf_ip6_ext(f, 0, pad, sizeof(pad));
	} else if (strcmp(v, "opt_discard") == 0)
		pe_tf_ip6_ext(f, 60, unknown_opt, sizeof(unknown_opt));
	if (strcmp(v, "esp") == 0) {
		pe_tf_proto(f, 50);
		pe_tf_pattern(f, 24, 1);
	} else {
		pe_tf_udp(f, fl.sport, fl.dport);
		pe_tf_payload(f, fl.payload, fl.plen);
	}
	pe_tf_finish(f);
	if (strcmp(v, "len") == 0) { /* a destination-options header announced past the end */
		pe_tf_init(f);
		flow_l2(f, &fl);
		pe_tf_ip6(f, fl.src, fl.dst, 64);
		pe_tf_ip6_ext(f, 60, big, sizeof(big));
		pe_tf_finish(f);
		f->len = (uint32_t)f->l3 + 40 + 16;
		pe_tf_put16(f, (uint32_t)f->l3 + 4, 16);
	}
}

static void b_ip6_bad(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp6(mac);
	struct pe_tf *f = &g->req;

	flow_build(f, &fl);
	if (strcmp(c->arg, "version") == 0)
		f->b[f->l3] = 0x40;
	else if (strcmp(c->arg, "len") == 0)
		pe_tf_put16(f, (uint32_t)f->l3 + 4, 2000);
	else if (strcmp(c->arg, "short") == 0)
		f->len = (uint32_t)f->l3 + 30;
}

/* A protocol we do not serve: "tcp4", "tcp6", "gre"; TCP with a bad data offset: "tcp4_doff4",
 * "tcp6_doff15"; a TCP header cut short: "tcp4_short". */
static void b_proto(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = strncmp(c->arg, "tcp6", 4) == 0 ? udp6(mac) : udp4(mac);
	struct pe_tf *f = &g->req;

	fl.l4 = strcmp(c->arg, "gre") == 0 ? 47 : 6;
	fl.dport = 7;
	if (strcmp(c->arg, "tcp4_short") == 0) {
		fl.l4 = 255;
		fl.plen = 12;
	}
	flow_build(f, &fl);
	if (strcmp(c->arg, "tcp4_short") == 0) {
		f->b[f->nh_off] = 6;
		pe_tf_fix_csums(f);
	}
	if (strcmp(c->arg, "tcp4_doff4") == 0 || strcmp(c->arg, "tcp6_doff15") == 0) {
		f->b[f->l4 + 12] = strcmp(c->arg, "tcp4_doff4") == 0 ? 0x40 : 0xf0;
		pe_tf_fix_csums(f);
	}
}

/* ICMP variants: "type0", "type13", "type17", "type5", "type42", "code1", "csum", "short",
 * and ICMPv6 "v6type129", "v6code1", "v6csum", "v6type1". */
static void b_icmp_bad(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	const char *v = c->arg;
	int v6 = strncmp(v, "v6", 2) == 0;
	struct flow fl = v6 ? icmp6(mac) : icmp4(mac);
	struct pe_tf *f = &g->req;

	if (v6)
		v += 2;
	if (strncmp(v, "type", 4) == 0)
		fl.icmp = (uint8_t)strtoul(v + 4, NULL, 10);
	if (strcmp(v, "short") == 0) {
		fl.l4 = 255; /* bare protocol: a 4-byte ICMP stub */
		fl.plen = 4;
	}
	flow_build(f, &fl);
	if (strcmp(v, "short") == 0) {
		f->b[f->nh_off] = v6 ? 58 : 1;
		pe_tf_fix_csums(f);
	}
	if (strcmp(v, "code1") == 0) {
		f->b[f->l4 + 1] = 1;
		pe_tf_fix_csums(f);
	}
	if (strcmp(v, "csum") == 0)
		pe_tf_put16(f, (uint32_t)f->l4 + 2, 0x1234);
}

/* NS variants: "hlim", "code", "short", "target_mcast", "dad_slla", "dad_unicast", "opt0",
 * "not_ours", "csum", "sll_mcast", "mac_mismatch", "src_mcast". */
static void b_ns_bad(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	const char *v = c->arg;
	struct pe_tf *f = &g->req;
	int dad = strncmp(v, "dad", 3) == 0;
	const char *target = strcmp(v, "target_mcast") == 0 ? "ff02::1:ff00:2"
			     : strcmp(v, "not_ours") == 0   ? "2001:2::5"
							    : OUR6;
	const char *dst = strcmp(v, "dad_unicast") == 0 ? OUR6
			  : strcmp(v, "not_ours") == 0	? "ff02::1:ff00:5"
							: SNM6;
	static const uint8_t snm5[6] = {0x33, 0x33, 0xff, 0, 0, 0x05};
	static const uint8_t wrong_mac[6] = {0x33, 0x33, 0xff, 0, 0, 0x07};

	pe_tf_init(f);
	pe_tf_eth(f,
		  strcmp(v, "dad_unicast") == 0	   ? mac
		  : strcmp(v, "not_ours") == 0	   ? snm5
		  : strcmp(v, "mac_mismatch") == 0 ? wrong_mac
						   : snm_mac,
		  PE_GOLDEN_CLIENT);
	pe_tf_ip6(f,
		  dad				? "::"
		  : strcmp(v, "src_mcast") == 0 ? "ff02::5"
						: CLI6_LL,
		  dst, strcmp(v, "hlim") == 0 ? 64 : 255);
	pe_tf_ns(f, target);
	if (!dad || strcmp(v, "dad_slla") == 0)
		pe_tf_nd_lla(f, 1, PE_GOLDEN_CLIENT);
	if (strcmp(v, "sll_mcast") == 0)
		f->b[f->len - 6] = 0x01;
	if (strcmp(v, "opt0") == 0)
		f->b[f->len - 7] = 0;
	if (strcmp(v, "code") == 0)
		f->b[f->l4 + 1] = 1;
	if (strcmp(v, "short") == 0) { /* 20 bytes of ICMPv6: the target is cut */
		f->len = (uint32_t)f->l4 + 20;
	}
	pe_tf_finish(f);
	if (strcmp(v, "csum") == 0)
		pe_tf_put16(f, (uint32_t)f->l4 + 2, 0x1234);
}

/* UDP variants: "len4", "len999", "csum", "port9", "v6csum0", "v6len4". */
static void b_udp_bad(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	const char *v = c->arg;
	int v6 = strncmp(v, "v6", 2) == 0;
	struct flow fl = v6 ? udp6(mac) : udp4(mac);
	struct pe_tf *f = &g->req;

	if (v6)
		v += 2;
	if (strcmp(v, "port9") == 0)
		fl.dport = 9;
	flow_build(f, &fl);
	if (strcmp(v, "len4") == 0)
		pe_tf_put16(f, (uint32_t)f->l4 + 4, 4);
	if (strcmp(v, "len999") == 0)
		pe_tf_put16(f, (uint32_t)f->l4 + 4, 999);
	if (strcmp(v, "csum") == 0)
		pe_tf_put16(f, (uint32_t)f->l4 + 6,
			    (uint16_t)((f->b[f->l4 + 6] << 8 | f->b[f->l4 + 7]) ^ 0x5555));
	if (strcmp(v, "hdrcut") == 0) { /* IP payload of 4 bytes: half a UDP header */
		pe_tf_put16(f, (uint32_t)f->l3 + 2, 24);
		f->len = f->l3end = (uint32_t)f->l3 + 24;
		pe_tf_fix_csums(f);
	}
	if (strcmp(v, "csum0") == 0)
		pe_tf_put16(f, (uint32_t)f->l4 + 6, 0);
}

/* UDP from source port c->arg: the loop guard. */
static void b_loop(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac)
{
	struct flow fl = udp4(mac);

	fl.sport = (uint16_t)strtoul(c->arg, NULL, 10);
	flow_build(&g->req, &fl);
}

#define SVC  PE_MODE_SERVICE
#define OK   PE_DROP_NONE
#define D(x) PE_DROP_##x

bool pe_golden_clock(const struct pe_golden_case *c)
{
	const struct opt_case *oc;

	if (c->build != b_ip4_rr_ts || c->expect != PE_DROP_NONE)
		return false;
	oc = opt_case(c->arg);
	return oc->req[0] == 68 && oc->rep[2] != oc->req[2];
}

const struct pe_golden_case pe_golden_cases[] = {
	/* service mode: replies */
	{"udp4_echo", SVC, false, NULL, OK, b_udp4, NULL},
	{"udp4_echo_ttl1", SVC, false, NULL, OK, b_udp4_ttl1, NULL},
	{"udp4_echo_empty", SVC, false, NULL, OK, b_udp4_empty, NULL},
	{"udp4_echo_1472", SVC, false, NULL, OK, b_udp4_large, NULL},
	{"udp4_echo_padded", SVC, false, NULL, OK, b_udp4_padded, NULL},
	{"udp4_echo_sport1024", SVC, false, NULL, OK, b_udp4_sport, NULL},
	{"udp4_echo_port_range", SVC, false, "7,1000-1010", OK, b_udp4_dport1005, NULL},
	{"udp4_echo_csum0", SVC, false, NULL, OK, b_udp4_csum0, NULL},
	{"udp4_echo_short_udp_len", SVC, false, NULL, OK, b_udp4_short_ulen, NULL},
	{"udp4_echo_vlan", SVC, false, NULL, OK, b_udp4_vlan, NULL},
	{"udp4_echo_priority_tag", SVC, false, NULL, OK, b_udp4_vlan0, NULL},
	{"udp4_echo_qinq", SVC, false, NULL, OK, b_udp4_qinq, NULL},
	{"udp4_echo_qinq_9100", SVC, false, NULL, OK, b_udp4_qinq9100, NULL},
	{"udp4_echo_record_route", SVC, false, NULL, OK, b_ip4_rr_ts, "rr"},
	{"icmp4_echo_record_route", SVC, false, NULL, OK, b_ip4_rr_ts, "rr2"},
	{"icmp4_echo_record_route_full", SVC, false, NULL, OK, b_ip4_rr_ts, "rr_full"},
	{"icmp4_echo_timestamp", SVC, false, NULL, OK, b_ip4_rr_ts, "ts"},
	{"udp4_echo_timestamp_addr", SVC, false, NULL, OK, b_ip4_rr_ts, "ts_addr"},
	{"icmp4_echo_timestamp_prespec", SVC, false, NULL, OK, b_ip4_rr_ts, "ts_prespec"},
	{"icmp4_echo_timestamp_prespec_other", SVC, false, NULL, OK, b_ip4_rr_ts,
	 "ts_prespec_other"},
	{"icmp4_echo_timestamp_full", SVC, false, NULL, OK, b_ip4_rr_ts, "ts_full"},
	{"udp4_echo_promisc", SVC, true, NULL, OK, b_udp4_promisc, NULL},
	{"icmp4_echo", SVC, false, NULL, OK, b_icmp4, NULL},
	{"icmp4_echo_ttl1", SVC, false, NULL, OK, b_icmp4_ttl1, NULL},
	{"icmp4_echo_empty", SVC, false, NULL, OK, b_icmp4_empty, NULL},
	{"icmp4_echo_odd_1001", SVC, false, NULL, OK, b_icmp4_odd, NULL},
	{"udp6_echo", SVC, false, NULL, OK, b_udp6, NULL},
	{"udp6_echo_short_udp_len", SVC, false, NULL, OK, b_udp6_short_ulen, NULL},
	{"udp6_echo_ext_headers", SVC, false, NULL, OK, b_udp6_ext, NULL},
	{"icmp6_echo", SVC, false, NULL, OK, b_icmp6, NULL},
	{"icmp6_echo_hlim1_vlan", SVC, false, NULL, OK, b_icmp6_hlim1, NULL},
	{"arp_request", SVC, false, NULL, OK, b_arp, NULL},
	{"arp_request_unicast", SVC, false, NULL, OK, b_arp_unicast, NULL},
	{"arp_probe", SVC, false, NULL, OK, b_arp_probe, NULL},
	{"ndp_ns_multicast", SVC, false, NULL, OK, b_ns_mcast, NULL},
	{"ndp_ns_unicast", SVC, false, NULL, OK, b_ns_unicast, NULL},
	{"ndp_ns_nud_no_option", SVC, false, NULL, OK, b_ns_nud, NULL},
	{"ndp_ns_dad", SVC, false, NULL, OK, b_ns_dad, NULL},
	{"ndp_ns_multicast_no_option", SVC, false, NULL, OK, b_ns_mcast_no_slla, NULL},
	{"ndp_ns_hop_by_hop", SVC, false, NULL, OK, b_ns_hbh, NULL},
	{"icmp6_echo_dest_options", SVC, false, NULL, OK, b_icmp6_dstopt, NULL},
	/* other modes */
	{"l2_lldp", PE_MODE_L2, false, NULL, OK, b_l2_lldp, NULL},
	{"l4_udp4_padded", PE_MODE_L4, false, NULL, OK, b_l4_udp4, NULL},
	{"l4_tcp6_qinq", PE_MODE_L4, false, NULL, OK, b_l4_tcp6_qinq, NULL},
	{"l4_icmp4", PE_MODE_L4, false, NULL, OK, b_l4_icmp4, NULL},
	{"l2_runt", PE_MODE_L2, false, NULL, D(RUNT), b_runt, NULL},
	{"l4_runt", PE_MODE_L4, false, NULL, D(RUNT), b_runt, NULL},
	/* drops: Ethernet */
	{"runt_13", SVC, false, NULL, D(RUNT), b_runt, NULL},
	{"runt_ip4_header", SVC, false, NULL, D(RUNT), b_udp4_cut, "30"},
	{"ip4_len_beyond_frame", SVC, false, NULL, D(IP_LEN), b_udp4_cut, "38"},
	{"src_mac_broadcast", SVC, false, NULL, D(BAD_SRC_MAC), b_src_mac, "bcast"},
	{"src_mac_multicast", SVC, false, NULL, D(BAD_SRC_MAC), b_src_mac, "mcast"},
	{"src_mac_zero", SVC, false, NULL, D(BAD_SRC_MAC), b_src_mac, "zero"},
	{"src_mac_ours", SVC, false, NULL, D(BAD_SRC_MAC), b_src_mac, "ours"},
	{"dst_mac_foreign", SVC, false, NULL, D(NOT_OUR_MAC), b_dst_mac_foreign, NULL},
	{"vlan_3_tags", SVC, false, NULL, D(VLAN_DEPTH), b_vlan3, NULL},
	{"ethertype_802_3", SVC, false, NULL, D(ETHERTYPE), b_ethertype, "05dc"},
	{"ethertype_lldp", SVC, false, NULL, D(ETHERTYPE), b_ethertype, "88cc"},
	{"ethertype_mpls", SVC, false, NULL, D(ETHERTYPE), b_ethertype, "8847"},
	/* drops: ARP */
	{"arp_hlen8", SVC, false, NULL, D(ARP_MALFORMED), b_arp_bad, "hlen8"},
	{"arp_truncated", SVC, false, NULL, D(RUNT), b_arp_bad, "short"},
	{"arp_reply", SVC, false, NULL, D(ARP_NOT_REQUEST), b_arp_bad, "reply"},
	{"arp_gratuitous", SVC, false, NULL, D(ARP_NOT_REQUEST), b_arp_bad, "gratuitous"},
	{"arp_other_ip", SVC, false, NULL, D(ARP_NOT_OURS), b_arp_bad, "other"},
	{"arp_sha_multicast", SVC, false, NULL, D(BAD_SRC_MAC), b_arp_bad, "sha_mcast"},
	{"arp_spa_broadcast", SVC, false, NULL, D(BAD_SRC_IP), b_arp_bad, "spa_bcast"},
	{"arp_dst_multicast", SVC, false, NULL, D(DST_MULTICAST), b_arp_bad, "dst_mcast"},
	/* drops: IPv4 header */
	{"ip4_version", SVC, false, NULL, D(IP_VERSION), b_ip4_bad, "version"},
	{"ip4_ihl4", SVC, false, NULL, D(IP_HDR_LEN), b_ip4_bad, "ihl4"},
	{"ip4_ihl15", SVC, false, NULL, D(IP_HDR_LEN), b_ip4_bad, "ihl15"},
	{"ip4_len_below_ihl", SVC, false, NULL, D(IP_LEN), b_ip4_bad, "len16"},
	{"ip4_len_9000", SVC, false, NULL, D(IP_LEN), b_ip4_bad, "len9000"},
	{"ip4_bad_checksum", SVC, false, NULL, D(IP_CSUM), b_ip4_bad, "csum"},
	{"ip4_frag_mf", SVC, false, NULL, D(IP_FRAG), b_ip4_bad, "mf"},
	{"ip4_frag_offset", SVC, false, NULL, D(IP_FRAG), b_ip4_bad, "offset"},
	{"ip4_opt_lsrr", SVC, false, NULL, D(IP_OPTIONS), b_ip4_opt, "lsrr"},
	{"ip4_opt_ssrr", SVC, false, NULL, D(IP_OPTIONS), b_ip4_opt, "ssrr"},
	{"ip4_opt_len1", SVC, false, NULL, D(IP_OPTIONS), b_ip4_opt, "len1"},
	{"ip4_opt_overrun", SVC, false, NULL, D(IP_OPTIONS), b_ip4_opt, "overrun"},
	{"ip4_rr_pointer3", SVC, false, NULL, D(IP_OPT_RR), b_ip4_rr_ts, "rr_ptr3"},
	{"ip4_rr_pointer_cut", SVC, false, NULL, D(IP_OPT_RR), b_ip4_rr_ts, "rr_ptr_cut"},
	{"ip4_rr_length2", SVC, false, NULL, D(IP_OPT_RR), b_ip4_rr_ts, "rr_len2"},
	{"ip4_rr_twice", SVC, false, NULL, D(IP_OPT_RR), b_ip4_rr_ts, "rr_twice"},
	{"ip4_ts_length3", SVC, false, NULL, D(IP_OPT_TS), b_ip4_rr_ts, "ts_len3"},
	{"ip4_ts_pointer4", SVC, false, NULL, D(IP_OPT_TS), b_ip4_rr_ts, "ts_ptr4"},
	{"ip4_ts_flag2", SVC, false, NULL, D(IP_OPT_TS), b_ip4_rr_ts, "ts_flag2"},
	{"ip4_ts_address_cut", SVC, false, NULL, D(IP_OPT_TS), b_ip4_rr_ts, "ts_addr_cut"},
	{"ip4_ts_overflow", SVC, false, NULL, D(IP_OPT_TS), b_ip4_rr_ts, "ts_overflow"},
	/* drops: addresses */
	{"src_ip4_zero", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "0.0.0.0"},
	{"src_ip4_this_net", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "0.1.2.3"},
	{"src_ip4_loopback", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "127.0.0.1"},
	{"src_ip4_multicast", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "224.0.0.1"},
	{"src_ip4_class_e", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "240.0.0.1"},
	{"src_ip4_broadcast", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "255.255.255.255"},
	{"src_ip4_directed_bcast", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "198.18.0.255"},
	{"src_ip4_ours_land", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, OUR4},
	{"src_ip6_unspecified", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "::"},
	{"src_ip6_loopback", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "::1"},
	{"src_ip6_multicast", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "ff02::1"},
	{"src_ip6_v4mapped", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, "::ffff:198.18.0.1"},
	{"src_ip6_ours", SVC, false, NULL, D(BAD_SRC_IP), b_src_ip, OUR6},
	{"dst_ip4_foreign", SVC, false, NULL, D(NOT_OUR_IP), b_dst_ip, "198.18.0.99"},
	{"dst_ip6_foreign", SVC, false, NULL, D(NOT_OUR_IP), b_dst_ip, "2001:2::99"},
	{"dst_ip4_directed_bcast_smurf", SVC, false, NULL, D(DST_MULTICAST), b_dst_ip,
	 "198.18.0.255"},
	{"dst_ip4_limited_bcast", SVC, false, NULL, D(DST_MULTICAST), b_dst_ip, "255.255.255.255"},
	{"dst_ip4_multicast", SVC, false, NULL, D(DST_MULTICAST), b_dst_ip, "224.0.0.1"},
	{"dst_ip6_all_nodes", SVC, false, NULL, D(DST_MULTICAST), b_dst_ip, "ff02::1"},
	{"dst_unicast_ip_bcast_mac", SVC, false, NULL, D(DST_MULTICAST), b_dst_bcast_mac, NULL},
	{"dst_udp_multicast_fraggle", SVC, false, NULL, D(DST_MULTICAST), b_udp_mcast, NULL},
	/* drops: IPv6 */
	{"ip6_version", SVC, false, NULL, D(IP_VERSION), b_ip6_bad, "version"},
	{"ip6_payload_len", SVC, false, NULL, D(IP_LEN), b_ip6_bad, "len"},
	{"ip6_short", SVC, false, NULL, D(RUNT), b_ip6_bad, "short"},
	{"ip6_ext_count_budget", SVC, false, NULL, D(IPV6_EXT), b_ip6_ext, "budget"},
	{"ip6_ext_byte_budget", SVC, false, NULL, D(IPV6_EXT), b_ip6_ext, "bytes"},
	{"ip6_routing_type0", SVC, false, NULL, D(IPV6_EXT), b_ip6_ext, "rh0"},
	{"ip6_routing_segments_left", SVC, false, NULL, D(IPV6_EXT), b_ip6_ext, "segleft"},
	{"ip6_fragment", SVC, false, NULL, D(IP_FRAG), b_ip6_ext, "frag"},
	{"ip6_esp", SVC, false, NULL, D(IPV6_EXT), b_ip6_ext, "esp"},
	{"ip6_hop_by_hop_not_first", SVC, false, NULL, D(IPV6_EXT), b_ip6_ext, "hbh_late"},
	{"ip6_option_discard", SVC, false, NULL, D(IPV6_EXT), b_ip6_ext, "opt_discard"},
	{"ip6_ext_past_end", SVC, false, NULL, D(RUNT), b_ip6_ext, "len"},
	/* drops: protocols */
	{"tcp4", SVC, false, NULL, D(PROTO), b_proto, "tcp4"},
	{"tcp6", SVC, false, NULL, D(PROTO), b_proto, "tcp6"},
	{"gre4", SVC, false, NULL, D(PROTO), b_proto, "gre"},
	{"tcp4_data_offset_4", SVC, false, NULL, D(TCP_LEN), b_proto, "tcp4_doff4"},
	{"tcp6_data_offset_15", SVC, false, NULL, D(TCP_LEN), b_proto, "tcp6_doff15"},
	{"tcp4_header_cut", SVC, false, NULL, D(RUNT), b_proto, "tcp4_short"},
	/* drops: ICMP */
	{"icmp4_echo_reply", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "type0"},
	{"icmp4_redirect", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "type5"},
	{"icmp4_timestamp", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "type13"},
	{"icmp4_address_mask", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "type17"},
	{"icmp4_unknown_type", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "type42"},
	{"icmp4_echo_code1", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "code1"},
	{"icmp4_bad_checksum", SVC, false, NULL, D(ICMP_CSUM), b_icmp_bad, "csum"},
	{"icmp4_short", SVC, false, NULL, D(RUNT), b_icmp_bad, "short"},
	{"icmp6_echo_reply", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "v6type129"},
	{"icmp6_dest_unreachable", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "v6type1"},
	{"icmp6_echo_code1", SVC, false, NULL, D(ICMP_TYPE), b_icmp_bad, "v6code1"},
	{"icmp6_bad_checksum", SVC, false, NULL, D(ICMP_CSUM), b_icmp_bad, "v6csum"},
	{"icmp6_short", SVC, false, NULL, D(RUNT), b_icmp_bad, "v6short"},
	/* drops: NDP */
	{"ndp_hop_limit_64", SVC, false, NULL, D(NDP_INVALID), b_ns_bad, "hlim"},
	{"ndp_code1", SVC, false, NULL, D(NDP_INVALID), b_ns_bad, "code"},
	{"ndp_short", SVC, false, NULL, D(NDP_INVALID), b_ns_bad, "short"},
	{"ndp_target_multicast", SVC, false, NULL, D(NDP_INVALID), b_ns_bad, "target_mcast"},
	{"ndp_dad_with_slla", SVC, false, NULL, D(NDP_INVALID), b_ns_bad, "dad_slla"},
	{"ndp_dad_unicast_dst", SVC, false, NULL, D(NDP_INVALID), b_ns_bad, "dad_unicast"},
	{"ndp_option_len0", SVC, false, NULL, D(NDP_INVALID), b_ns_bad, "opt0"},
	{"ndp_bad_checksum", SVC, false, NULL, D(ICMP_CSUM), b_ns_bad, "csum"},
	{"ndp_slla_multicast", SVC, false, NULL, D(BAD_SRC_MAC), b_ns_bad, "sll_mcast"},
	{"ndp_src_multicast", SVC, false, NULL, D(BAD_SRC_IP), b_ns_bad, "src_mcast"},
	{"ndp_mac_not_group_of_dst", SVC, false, NULL, D(DST_MULTICAST), b_ns_bad, "mac_mismatch"},
	{"ndp_target_not_ours", SVC, false, NULL, D(NDP_NOT_OURS), b_ns_bad, "not_ours"},
	/* drops: UDP */
	{"udp4_header_cut", SVC, false, NULL, D(RUNT), b_udp_bad, "hdrcut"},
	{"udp4_len4", SVC, false, NULL, D(UDP_LEN), b_udp_bad, "len4"},
	{"udp4_len999", SVC, false, NULL, D(UDP_LEN), b_udp_bad, "len999"},
	{"udp4_bad_checksum", SVC, false, NULL, D(UDP_CSUM), b_udp_bad, "csum"},
	{"udp4_port_closed", SVC, false, NULL, D(UDP_PORT), b_udp_bad, "port9"},
	{"udp6_checksum_zero", SVC, false, NULL, D(UDP_CSUM), b_udp_bad, "v6csum0"},
	{"udp6_bad_checksum", SVC, false, NULL, D(UDP_CSUM), b_udp_bad, "v6csum"},
	{"udp6_len4", SVC, false, NULL, D(UDP_LEN), b_udp_bad, "v6len4"},
	{"udp_loop_sport7", SVC, false, NULL, D(LOOP), b_loop, "7"},
	{"udp_loop_sport9", SVC, false, NULL, D(LOOP), b_loop, "9"},
	{"udp_loop_sport13", SVC, false, NULL, D(LOOP), b_loop, "13"},
	{"udp_loop_sport17", SVC, false, NULL, D(LOOP), b_loop, "17"},
	{"udp_loop_sport19", SVC, false, NULL, D(LOOP), b_loop, "19"},
	{"udp_loop_sport37", SVC, false, NULL, D(LOOP), b_loop, "37"},
};

const unsigned pe_golden_count = sizeof(pe_golden_cases) / sizeof(pe_golden_cases[0]);

void pe_golden_cfg(const struct pe_golden_case *c, const uint8_t *mac, struct pe_pkt_cfg *cfg)
{
	pe_pkt_cfg_init(cfg);
	cfg->mode = c->mode;
	cfg->promisc = c->promisc;
	memcpy(cfg->mac, mac ? mac : PE_GOLDEN_MAC, 6);
	pe_pkt_cfg_add_ip(cfg, PE_GOLDEN_IP4);
	pe_pkt_cfg_add_ip(cfg, PE_GOLDEN_IP6);
	/* The tests' frame buffers hold PE_TF_MAX bytes: room for an NA to grow */
	cfg->tailroom = PE_PKT_MAX_GROWTH;
	if (c->udp_ports)
		pe_pkt_cfg_set_ports(cfg->echo_ports, c->udp_ports);
}

void pe_golden_make(const struct pe_golden_case *c, const uint8_t *mac, struct pe_golden *g)
{
	if (!mac)
		mac = PE_GOLDEN_MAC;
	pe_golden_cfg(c, mac, &g->cfg);
	pe_tf_init(&g->req);
	pe_tf_init(&g->rep);
	g->expect = c->expect;
	c->build(c, g, mac);
}

const struct pe_golden_case *pe_golden_find(const char *name)
{
	for (unsigned i = 0; i < pe_golden_count; i++)
		if (strcmp(pe_golden_cases[i].name, name) == 0)
			return &pe_golden_cases[i];
	return NULL;
}
