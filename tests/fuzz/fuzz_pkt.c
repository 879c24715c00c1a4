/* SPDX-License-Identifier: MIT */
/* libFuzzer target for lib/pkt. The first input byte picks the configuration (mode, checksum
 * verification, promiscuous) in its low 4 bits and, in service mode, the port's checksum flags
 * (PE_CSUM_*, through pe_pkt_service_burst) in its high 4 bits; the rest is the frame, copied into
 * a buffer of exactly its size so that ASan reports any access outside [0, len). Asserted on every
 * reply: it is never longer than the request, but for the NA of pe_pkt.h when a frame of at most
 * PE_PKT_GROW_MAX bytes runs a second time with PE_PKT_MAX_GROWTH bytes of room behind it; in
 * service mode it comes from our MAC and carries
 * right IPv4/ICMP/ICMPv6/UDP/TCP checksums when verification is on, and right checksums stay right
 * when it is off (that variant reaches deeper: random bytes rarely carry valid checksums), and IPv4
 * options keep their place, only Record Route and Timestamp being filled in. In
 * service mode the full parse alone must also give exactly the same verdict and bytes as the fast
 * path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_pkt.h"
#include "pe_testframes.h"
#include "pkt_priv.h" /* pkt_service_full */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Selector byte: bits 0-1 mode (0 = service with two IPv4 addresses, 3 = service with one), bit
 * 2 verification off, bit 3 promiscuous. In service mode, flags 0 go in as hw NULL: with one
 * address and verification on, that is pe_pkt_service_burst's usual loop copy. */
#define SEL_NOVERIFY 4
#define SEL_PROMISC  8

/* cfgs: exact-size buffers, no tailroom (ASan sees any access past the frame); grow: the same
 * with PE_PKT_MAX_GROWTH bytes of room behind frames of at most PE_PKT_GROW_MAX bytes; base: cfgs
 * with the baseline copy of pe_pkt_service_burst's loop forced (cfgs run the AVX2 one where the
 * CPU has it), so that every service-mode input goes through both copies. */
static struct pe_pkt_cfg cfgs[16], grow[16], base[16];

static void cfgs_init(void)
{
	static int done;

	if (done)
		return;
	for (unsigned sel = 0; sel < 16; sel++) {
		struct pe_pkt_cfg *cfg = &cfgs[sel];
		unsigned mode = sel & 3;

		pe_golden_cfg(&pe_golden_cases[0], NULL, cfg);
		cfg->mode = mode == 1 ? PE_MODE_L2 : mode == 2 ? PE_MODE_L4 : PE_MODE_SERVICE;
		cfg->verify_csum = !(sel & SEL_NOVERIFY);
		cfg->promisc = sel & SEL_PROMISC;
		/* a second, narrower prefix and a port range reach more of the policy code */
		if (mode == 0)
			pe_pkt_cfg_add_ip(cfg, "203.0.113.9/29");
		pe_pkt_cfg_add_ip(cfg, "fe80::2/64");
		pe_pkt_cfg_set_ports(cfg->echo_ports, "7,1000-1010");
		cfg->tailroom = 0;
		grow[sel] = *cfg;
		grow[sel].tailroom = PE_PKT_MAX_GROWTH;
		base[sel] = *cfg;
		base[sel].isa = PE_PKT_ISA_BASE;
	}
	done = 1;
}

/* Differential check: the full parse alone (no fast path) says and writes exactly the same. */
static void full_agrees(const struct pe_pkt_cfg *cfg, const uint8_t *in, uint32_t n, uint32_t room,
			unsigned hw, enum pe_drop d, const uint8_t *reply, uint32_t reply_len)
{
	uint8_t *frame = malloc(n + room ? n + room : 1);
	uint32_t len = n;

	if (!frame)
		abort();
	memcpy(frame, in, n);
	if (pkt_service_full(cfg, frame, &len, hw) != d ||
	    (d == PE_DROP_NONE && (len != reply_len || memcmp(frame, reply, len) != 0))) {
		fprintf(stderr, "fast path and full parse disagree\n");
		abort();
	}
	free(frame);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Where a reply's L3 header starts, past its VLAN tags; *et: its EtherType. */
static uint32_t l3_of(const uint8_t *f, uint32_t len, uint16_t *et)
{
	uint32_t off = 12;

	*et = be16(f + 12);
	while ((*et == 0x8100 || *et == 0x88a8 || *et == 0x9100) && off + 6 <= len) {
		off += 4;
		*et = be16(f + off);
	}
	return off + 2;
}

static int ip4_mine(const struct pe_pkt_cfg *cfg, const uint8_t *a)
{
	uint32_t v;

	memcpy(&v, a, 4);
	for (unsigned i = 0; i < cfg->n_ip4; i++)
		if (cfg->ip4[i].addr == v)
			return 1;
	return 0;
}

static int ip6_mine(const struct pe_pkt_cfg *cfg, const uint8_t *a)
{
	for (unsigned i = 0; i < cfg->n_ip6; i++)
		if (memcmp(cfg->ip6[i].addr, a, 16) == 0)
			return 1;
	return 0;
}

/* An independent oracle for the service policy on every reply (docs/packet-core.md): it goes
 * from one of our addresses to a unicast host that is not us (the only group destination is an
 * NA answering DAD, to ff02::1 / 33:33:00:00:00:01), with TTL / hop limit cfg->ttl (255 for
 * NDP), and a UDP reply never goes to a loop port. Returns the broken rule or NULL. */
static const char *policy_broken(const struct pe_pkt_cfg *cfg, const uint8_t *f, uint32_t len)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	uint16_t et;
	uint32_t off = l3_of(f, len, &et);

	if (et == 0x0806) {
		if (len < off + 28 || (f[off + 18] & 1) || memcmp(f, f + off + 18, 6) != 0)
			return "ARP reply not unicast to the target hardware address";
		return ip4_mine(cfg, f + off + 14) ? NULL : "ARP reply for an address not ours";
	}
	if (et == 0x0800) {
		const uint8_t *ip = f + off, *src = ip + 12, *dst = ip + 16;

		if ((f[0] & 1) || dst[0] == 0 || dst[0] == 127 || dst[0] >= 224)
			return "IPv4 reply to a group, zero or loopback address";
		if (!ip4_mine(cfg, src) || ip4_mine(cfg, dst))
			return "IPv4 reply not from us to another host";
		if (ip[8] != cfg->ttl)
			return "IPv4 reply TTL";
		if (ip[9] == 17 &&
		    (pe_pkt_port_in(cfg->loop_ports, be16(ip + (ip[0] & 15) * 4 + 2)) ||
		     pe_pkt_port_in(cfg->echo_ports, be16(ip + (ip[0] & 15) * 4 + 2))))
			return "UDP reply to a loop or echo port";
		return NULL;
	}
	if (et == 0x86dd) {
		const uint8_t *ip = f + off, *src = ip + 8, *dst = ip + 24;
		int na = ip[6] == 58 && len >= off + 41 && ip[40] == 136;
		int dad = na && memcmp(dst, all_nodes, 16) == 0 && f[0] == 0x33 && f[1] == 0x33 &&
			  be16(f + 2) == 0 && be16(f + 4) == 1;

		if (!dad && ((f[0] & 1) || dst[0] == 0xff))
			return "IPv6 reply to a group address";
		if (!ip6_mine(cfg, src) || ip6_mine(cfg, dst))
			return "IPv6 reply not from us to another host";
		if (ip[7] != (na ? 255 : cfg->ttl))
			return "IPv6 reply hop limit";
		if (ip[6] == 17 && len >= off + 44 &&
		    (pe_pkt_port_in(cfg->loop_ports, be16(ip + 42)) ||
		     pe_pkt_port_in(cfg->echo_ports, be16(ip + 42))))
			return "UDP reply to a loop or echo port";
		return NULL;
	}
	return "reply of an EtherType we do not serve";
}

/* IPv4 options in a service-mode reply (RFC 1122 3.2.2.6): the header length of the request,
 * every option of the same type and length in the same place, a Record Route / Timestamp pointer
 * never moved back, everything but those two options byte for byte as it came. req: the request;
 * f: its reply (both start with the same Ethernet and VLAN headers). Returns the broken rule. */
static const char *ip4_opts_broken(const uint8_t *req, const uint8_t *f, uint32_t len)
{
	uint16_t et;
	uint32_t off = l3_of(f, len, &et), hl, i = 20;

	if (et != 0x0800 || len < off + 20)
		return NULL;
	req += off;
	f += off;
	if (req[0] != f[0])
		return "IPv4 reply with another header length";
	hl = (f[0] & 15u) * 4;
	while (i < hl && f[i] != 0) {
		uint32_t olen = f[i] == 1 ? 1 : f[i + 1];

		if (f[i] != req[i] || (olen > 1 && f[i + 1] != req[i + 1]))
			return "IPv4 reply options moved or changed type";
		if (f[i] == 7 || f[i] == 68) {
			if (f[i + 2] < req[i + 2])
				return "IPv4 Record Route / Timestamp pointer moved back";
		} else if (memcmp(f + i, req + i, olen) != 0) {
			return "IPv4 option other than Record Route / Timestamp changed";
		}
		i += olen;
	}
	return NULL;
}

/* A reply longer than its request (room: the tailroom given) is the NA of pe_pkt.h: ICMPv6 type
 * 136 with Override set, ending in a Target LL option with our MAC, at most PE_PKT_MAX_GROWTH
 * longer (less when the request had Ethernet padding). */
static const char *growth_broken(const struct pe_pkt_cfg *cfg, const uint8_t *f, uint32_t n,
				 uint32_t len, uint32_t room)
{
	uint16_t et;
	uint32_t off;

	if (len <= n)
		return NULL;
	if (room < PE_PKT_MAX_GROWTH || len > n + PE_PKT_MAX_GROWTH || n > PE_PKT_GROW_MAX)
		return "reply longer than the request beyond the room given";
	off = l3_of(f, len, &et);
	if (et != 0x86dd || len != off + 72 || f[off + 6] != 58 || f[off + 40] != 136 ||
	    !(f[off + 44] & 0x20) || f[off + 64] != 2 || f[off + 65] != 1 ||
	    memcmp(f + off + 66, cfg->mac, 6) != 0)
		return "a longer reply that is not an NA with Override and our Target LL option";
	return NULL;
}

/* One run of the packet core on the frame data[0..n) in a buffer of n + room bytes. */
static void run_one(const struct pe_pkt_cfg *cfg, const uint8_t *data, uint32_t n, uint32_t room,
		    uint8_t hw)
{
	uint8_t *frame = malloc(n + room ? n + room : 1);
	uint32_t len = n;
	enum pe_drop d;

	if (!frame)
		abort();
	memcpy(frame, data, n);
	if (cfg->mode == PE_MODE_SERVICE)
		pe_pkt_service_burst(cfg, &frame, &len, hw ? &hw : NULL, &d, 1);
	else
		d = pe_pkt_echo(cfg, frame, &len);
	if (d >= PE_DROP_MAX) {
		fprintf(stderr, "verdict %d out of range\n", d);
		abort();
	}
	if (cfg->mode == PE_MODE_SERVICE)
		full_agrees(cfg, data, n, room, hw, d, frame, len);
	if (d == PE_DROP_NONE) {
		if (growth_broken(cfg, frame, n, len, room) ||
		    (cfg->mode != PE_MODE_SERVICE && len != n)) {
			fprintf(stderr, "reply of %u bytes for a request of %u: %s\n", len, n,
				growth_broken(cfg, frame, n, len, room));
			abort();
		}
		if (cfg->mode == PE_MODE_SERVICE && memcmp(frame + 6, cfg->mac, 6) != 0) {
			fprintf(stderr, "reply not from our MAC\n");
			abort();
		}
		if (cfg->mode == PE_MODE_SERVICE && policy_broken(cfg, frame, len)) {
			fprintf(stderr, "policy: %s\n", policy_broken(cfg, frame, len));
			abort();
		}
		if (cfg->mode == PE_MODE_SERVICE && ip4_opts_broken(data, frame, len)) {
			fprintf(stderr, "options: %s\n", ip4_opts_broken(data, frame, len));
			abort();
		}
		if (cfg->mode == PE_MODE_SERVICE && !pe_tf_csums_ok(frame, len) &&
		    ((cfg->verify_csum && !(hw & (PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD))) ||
		     pe_tf_csums_ok(data, n))) {
			fprintf(stderr, "reply with a bad checksum\n");
			abort();
		}
	}
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;
	uint32_t n;

	if (size < 1 || size > PE_TF_MAX + 1)
		return 0;
	cfgs_init();
	sel = data[0] & 15;
	n = (uint32_t)size - 1;
	/* hw: the port's PE_CSUM_* bits (service mode) */
	run_one(&cfgs[sel], data + 1, n, 0, (uint8_t)(data[0] >> 4));
	if (cfgs[sel].mode == PE_MODE_SERVICE && cfgs[sel].isa != PE_PKT_ISA_BASE)
		run_one(&base[sel], data + 1, n, 0, (uint8_t)(data[0] >> 4));
	if (cfgs[sel].mode == PE_MODE_SERVICE && n <= PE_PKT_GROW_MAX)
		run_one(&grow[sel], data + 1, n, PE_PKT_MAX_GROWTH, (uint8_t)(data[0] >> 4));
	return 0;
}
