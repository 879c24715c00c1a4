/* SPDX-License-Identifier: MIT */
/* Configuration of the packet core: defaults, parsers, and the address policy it implies. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkt_priv.h"

/* Ports of reflecting services (echo, discard, daytime, qotd, chargen, time): replies to them
 * could start an endless echo<->chargen storm (CVE-1999-0103). */
static const uint16_t default_loop_ports[] = {7, 9, 13, 17, 19, 37};

static void port_set(uint8_t bitmap[65536 / 8], unsigned port)
{
	bitmap[port >> 3] |= (uint8_t)(1u << (port & 7));
}

void pe_pkt_cfg_init(struct pe_pkt_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = PE_MODE_SERVICE;
	cfg->verify_csum = true;
	cfg->ttl = PE_PKT_DEFAULT_TTL;
#if defined(PE_FAST4_AVX2)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
	    __builtin_cpu_supports("bmi2"))
		cfg->isa = PE_PKT_ISA_AVX2;
#endif
	port_set(cfg->echo_ports, 7);
	cfg->source_limit = (struct pe_rl_rate){PE_RL_SRC_PPS, PE_RL_SRC_BURST};
	for (size_t i = 0; i < sizeof(default_loop_ports) / sizeof(default_loop_ports[0]); i++)
		port_set(cfg->loop_ports, default_loop_ports[i]);
}

/* Decimal number in [lo, hi] spanning exactly [s, end). */
static int parse_uint(const char *s, const char *end, unsigned long lo, unsigned long hi,
		      unsigned long *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return -EINVAL;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Our own address must be a unicast host address: every reply carries it as its source, and a
 * reply from 0/8, loopback, multicast, class E, the limited broadcast or the directed broadcast
 * of its own prefix (/30 and shorter) would be illegal (RFC 1122 3.2.1.3) or a smurf. */
static int ip4_unicast_host(uint32_t addr_be, unsigned prefix)
{
	uint32_t a = ntohl(addr_be), hostmask = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
	unsigned first = a >> 24;

	if (first == 0 || first == 127 || first >= 224)
		return 0;
	return !(prefix <= 30 && (a & hostmask) == hostmask);
}

/* IPv6: not multicast, unspecified, loopback nor v4-mapped (RFC 4291 2.5.2, 2.5.3, 2.5.5.2). */
static int ip6_unicast_host(const uint8_t a[16])
{
	static const uint8_t zero[16], v4mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (a[0] == 0xff || memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		return 0;
	return !(memcmp(a, zero, 15) == 0 && a[15] <= 1);
}

int pe_pkt_cfg_add_ip(struct pe_pkt_cfg *cfg, const char *text)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int v6 = memchr(text, ':', alen) != NULL;
	unsigned long prefix = v6 ? 128 : 32;

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (slash && parse_uint(slash + 1, slash + strlen(slash), 1, prefix, &prefix) < 0)
		return -EINVAL;
	if (v6) {
		uint8_t a6[16];

		if (inet_pton(AF_INET6, addr, a6) != 1)
			return -EINVAL;
		if (!ip6_unicast_host(a6))
			return -EADDRNOTAVAIL;
		if (cfg->n_ip6 >= PE_PKT_MAX_ADDRS)
			return -ENOSPC;
		memcpy(cfg->ip6[cfg->n_ip6].addr, a6, 16);
		cfg->ip6[cfg->n_ip6].prefix = (uint8_t)prefix;
		cfg->n_ip6++;
	} else {
		struct in_addr in;

		if (inet_pton(AF_INET, addr, &in) != 1)
			return -EINVAL;
		if (!ip4_unicast_host(in.s_addr, (unsigned)prefix))
			return -EADDRNOTAVAIL;
		if (cfg->n_ip4 >= PE_PKT_MAX_ADDRS)
			return -ENOSPC;
		cfg->ip4[cfg->n_ip4].addr = in.s_addr;
		cfg->ip4[cfg->n_ip4].prefix = (uint8_t)prefix;
		cfg->n_ip4++;
	}
	return 0;
}

/* One pass over "7,9,1000-1010"; applies to bitmap when it is not NULL. */
static int ports_walk(const char *list, uint8_t *bitmap)
{
	const char *p = list;

	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *dash = memchr(p, '-', (size_t)(end - p));
		unsigned long lo, hi;

		if (parse_uint(p, dash ? dash : end, 0, 65535, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (dash && (parse_uint(dash + 1, end, lo, 65535, &hi) < 0))
			return -EINVAL;
		for (unsigned long port = lo; bitmap && port <= hi; port++)
			port_set(bitmap, (unsigned)port);
		if (comma && comma[1] == '\0')
			return -EINVAL;
		p = comma ? comma + 1 : end;
	}
	return 0;
}

int pe_pkt_cfg_set_ports(uint8_t bitmap[65536 / 8], const char *list)
{
	/* Validate fully first so that a bad list leaves the bitmap untouched. */
	if (ports_walk(list, NULL) < 0)
		return -EINVAL;
	memset(bitmap, 0, 65536 / 8);
	return ports_walk(list, bitmap);
}

static const char *const mode_names[] = {
	[PE_MODE_SERVICE] = "service",
	[PE_MODE_L2] = "l2",
	[PE_MODE_L4] = "l4",
};

int pe_pkt_mode_parse(const char *text, enum pe_pkt_mode *mode)
{
	for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(text, mode_names[i]) == 0) {
			*mode = (enum pe_pkt_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pe_pkt_mode_name(enum pe_pkt_mode mode)
{
	return (unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode]
									   : "unknown";
}

int pkt_ip6_ours(const struct pe_pkt_cfg *cfg, const uint8_t addr[16])
{
	for (unsigned i = 0; i < cfg->n_ip6; i++)
		if (pe_ip6_eq(cfg->ip6[i].addr, addr))
			return 1;
	return 0;
}

bool pe_pkt_ip4_src_ok(const struct pe_pkt_cfg *cfg, uint32_t addr)
{
	return !pe_ip4_src_bad(cfg, addr);
}

bool pe_pkt_ip6_src_ok(const struct pe_pkt_cfg *cfg, const uint8_t addr[16])
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t loopback[16] = {[15] = 1};

	if (addr[0] == 0xff || pe_ip6_unspec(addr) || pe_ip6_eq(addr, loopback) ||
	    memcmp(addr, v4mapped, sizeof(v4mapped)) == 0)
		return false;
	return !pkt_ip6_ours(cfg, addr);
}
