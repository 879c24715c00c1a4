/* SPDX-License-Identifier: MIT */
/* tests/common: a frame builder and the golden packet table, shared by the lib/pkt unit tests,
 * the fuzzer (seed corpus) and the DPDK golden-packet test over net_pcap.
 *
 * The builder computes lengths and checksums with a plain byte-by-byte reference implementation
 * (pe_tf_csum), independent of lib/pkt's. Expected replies are built with the builder too, from
 * the protocol rules, never by calling lib/pkt.
 *
 * Building a frame:
 *     struct pe_tf f;
 *     pe_tf_init(&f);
 *     pe_tf_eth(&f, PE_GOLDEN_MAC, client_mac);        // destination, source
 *     pe_tf_vlan(&f, 0x8100, 10);                       // optional, repeatable
 *     pe_tf_ip4(&f, "198.18.0.1", "198.18.0.2", 64);    // writes the EtherType too
 *     pe_tf_udp(&f, 40000, 7);
 *     pe_tf_payload(&f, "hello", 5);
 *     pe_tf_finish(&f);                                 // IP/UDP lengths, every checksum
 *     pe_tf_pad(&f, 60);                                // optional Ethernet padding
 * Then f.b[0 .. f.len) is the frame; f.l3 / f.l4 are the header offsets (-1 when absent). To make
 * a broken frame, poke bytes after pe_tf_finish (pe_tf_put16) and call pe_tf_fix_csums if the
 * checksums should stay right.
 *
 * Golden cases (see pe_golden_cases[] below): each case is a name, the packet-core configuration
 * it needs (mode, promisc, UDP echo ports, always the standard addresses PE_GOLDEN_IP4 and
 * PE_GOLDEN_IP6), the request frame, the expected verdict and, for PE_DROP_NONE, the exact
 * expected reply. Typical use (e.g. a DPDK test over net_pcap):
 *     for (unsigned i = 0; i < pe_golden_count; i++) {
 *         struct pe_golden g;
 *         pe_golden_make(&pe_golden_cases[i], port_mac, &g);   // NULL -> PE_GOLDEN_MAC
 *         // configure the service like g.cfg: pktecho-dpdk --mode <pe_pkt_mode_name(g.cfg.mode)>
 *         //   --ip PE_GOLDEN_IP4 --ip PE_GOLDEN_IP6 --udp-ports <case->udp_ports or "7">
 *         //   (--promisc when case->promisc); write g.req to the rx pcap; then expect g.rep in
 *         //   the tx pcap when g.expect == PE_DROP_NONE, nothing and a drops[pe_drop_name(
 *         //   g.expect)] count otherwise.
 *     }
 * Group the cases by configuration (mode, promisc, udp_ports) to run one process per group. */
#ifndef PE_TESTFRAMES_H
#define PE_TESTFRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pe_pkt.h"

#define PE_TF_MAX 9216 /* jumbo frame */

struct pe_tf {
	uint8_t b[PE_TF_MAX];
	uint32_t len;
	int l3, l4;	/* offsets of the L3 and L4 headers, -1 when absent */
	int ip;		/* 4 or 6 when l3 is an IP header, 0 otherwise */
	int nh_off;	/* IPv4: protocol field; IPv6: last "next header" field */
	uint8_t l4p;	/* upper-layer protocol written (IPPROTO_*), 0 for none */
	uint32_t l3end; /* end of the IP datagram (set by pe_tf_finish; padding follows it) */
};

/* Reference Internet checksum: 16-bit big-endian words summed byte by byte, starting from init
 * (a host-order partial sum), folded and complemented. */
uint16_t pe_tf_csum(const uint8_t *p, size_t n, uint32_t init);
/* Sum (not folded) of a region, for pseudo-headers. */
uint32_t pe_tf_sum(const uint8_t *p, size_t n, uint32_t init);

void pe_tf_init(struct pe_tf *f);
void pe_tf_put16(struct pe_tf *f, uint32_t off, uint16_t v);  /* big-endian */
void pe_tf_bytes(struct pe_tf *f, const void *p, uint32_t n); /* append raw bytes */
/* Ethernet destination and source MACs (the EtherType comes with the next layer). */
void pe_tf_eth(struct pe_tf *f, const uint8_t dst[6], const uint8_t src[6]);
void pe_tf_vlan(struct pe_tf *f, uint16_t tpid, uint16_t tci);
void pe_tf_ethertype(struct pe_tf *f, uint16_t type);
/* ARP over Ethernet/IPv4; addresses as dotted text. */
void pe_tf_arp(struct pe_tf *f, uint16_t op, const uint8_t sha[6], const char *spa,
	       const uint8_t tha[6], const char *tpa);
/* IPv4 header (20 bytes, id 0x1234, DF clear); TTL given; protocol set by the L4 call. */
void pe_tf_ip4(struct pe_tf *f, const char *src, const char *dst, uint8_t ttl);
/* Append IPv4 options right after pe_tf_ip4 (padded with EOL to a multiple of 4). */
void pe_tf_ip4_opts(struct pe_tf *f, const void *opts, uint32_t n);
/* IPv6 header (flow label 0), hop limit given. */
void pe_tf_ip6(struct pe_tf *f, const char *src, const char *dst, uint8_t hlim);
/* IPv6 extension header of type nh: body is everything after the next-header and length bytes
 * (fragment header: 6 bytes); padded with zeros to a multiple of 8 bytes. */
void pe_tf_ip6_ext(struct pe_tf *f, uint8_t nh, const void *body, uint32_t n);
void pe_tf_udp(struct pe_tf *f, uint16_t sport, uint16_t dport);
void pe_tf_tcp(struct pe_tf *f, uint16_t sport, uint16_t dport);
/* ICMP (v4) or ICMPv6 (by the L3 in use) header with an id/sequence word pair. */
void pe_tf_icmp(struct pe_tf *f, uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
/* ICMPv6 NS / NA with a target (NA flags byte: 0x80 R, 0x40 S, 0x20 O). */
void pe_tf_ns(struct pe_tf *f, const char *target);
void pe_tf_na(struct pe_tf *f, uint8_t flags, const char *target);
/* NDP link-layer address option (1 source, 2 target). */
void pe_tf_nd_lla(struct pe_tf *f, uint8_t type, const uint8_t mac[6]);
/* Any other L4 protocol number with no header (e.g. 47). */
void pe_tf_proto(struct pe_tf *f, uint8_t proto);
void pe_tf_payload(struct pe_tf *f, const void *data, uint32_t n);
/* n bytes of a deterministic pattern seeded by seed. */
void pe_tf_pattern(struct pe_tf *f, uint32_t n, uint8_t seed);
/* Set IPv4 total length / IPv6 payload length, UDP length, and all checksums. */
void pe_tf_finish(struct pe_tf *f);
/* Recompute checksums only (after poking fields), leaving lengths as they are. */
void pe_tf_fix_csums(struct pe_tf *f);
/* Append zero bytes up to total length n (Ethernet padding beyond the IP datagram). */
void pe_tf_pad(struct pe_tf *f, uint32_t n);

/* Independent checker, for property tests and the fuzzer: every IPv4 header, ICMP, ICMPv6, UDP
 * and TCP checksum present in the frame is right (UDP 0 allowed over IPv4 only). A frame with no
 * (parsable) IP header passes. */
bool pe_tf_csums_ok(const uint8_t *frame, uint32_t len);

/* The benchmarks' request: a 64-byte frame (no FCS) to dst_mac and 198.18.0.2, from
 * PE_GOLDEN_CLIENT and 198.19.0.1+flow, IPv4 without options; proto IPPROTO_UDP (source port
 * 40000+flow, destination port 7) or IPPROTO_ICMP (echo request, id flow+1, sequence 1); the
 * rest a pattern payload. flow < 254. */
void pe_tf_bench_frame(struct pe_tf *f, const uint8_t dst_mac[6], uint32_t flow, uint8_t proto);

/* pcap files (version 2.4, Ethernet link type) as net_pcap reads them. NULL and errno on failure.
 */
FILE *pe_tf_pcap_open(const char *path);
/* One record of len bytes with timestamp 1 s + usec. */
void pe_tf_pcap_write(FILE *f, const uint8_t *frame, uint32_t len, uint32_t usec);

/* Standard golden configuration. */
#define PE_GOLDEN_IP4 "198.18.0.2/24"
#define PE_GOLDEN_IP6 "2001:2::2/64"
extern const uint8_t PE_GOLDEN_MAC[6];	  /* 02:00:00:00:00:02, ours by default */
extern const uint8_t PE_GOLDEN_CLIENT[6]; /* 02:00:00:00:00:01 */

struct pe_golden {
	struct pe_pkt_cfg cfg; /* configuration the case expects */
	struct pe_tf req;      /* request frame */
	struct pe_tf rep;      /* expected reply (len 0 when a drop is expected) */
	enum pe_drop expect;   /* expected verdict */
};

struct pe_golden_case {
	const char *name;
	enum pe_pkt_mode mode;
	bool promisc;
	const char *udp_ports; /* NULL: the default "7" */
	enum pe_drop expect;
	/* Builds g->req and, when expect is PE_DROP_NONE, g->rep; mac is our MAC. */
	void (*build)(const struct pe_golden_case *c, struct pe_golden *g, const uint8_t *mac);
	const char *arg; /* parameter of build (which field to break, an address ...) */
};

extern const struct pe_golden_case pe_golden_cases[];
extern const unsigned pe_golden_count;

/* The case's configuration for our MAC mac (NULL: PE_GOLDEN_MAC). */
void pe_golden_cfg(const struct pe_golden_case *c, const uint8_t *mac, struct pe_pkt_cfg *cfg);
/* Configuration, request and expected reply of one case. */
void pe_golden_make(const struct pe_golden_case *c, const uint8_t *mac, struct pe_golden *g);
/* Does the case's reply hold a time (an IPv4 Timestamp option written)? The table has the
 * PE_PKT_TS_NONE of calls without a clock; a running pktecho-dpdk writes the time of day. */
bool pe_golden_clock(const struct pe_golden_case *c);
/* Case by name, NULL when unknown. */
const struct pe_golden_case *pe_golden_find(const char *name);

#endif
