/* SPDX-License-Identifier: MIT */
/* The service mode's fast path, private to service.c: an untagged IPv4 UDP or ICMP echo request
 * without options, to our MAC, that passes every check. Header fields are read as a few 64-bit
 * words and the checks are combined, so that a valid request costs few instructions and
 * branches. It only answers "replied" (1) or "not for me" (0): every drop, and every less common
 * valid frame, goes through the full parse, which also names the drop reason. So it must accept
 * only what the full parse accepts, and reply exactly as it would (the golden tests run both).
 * Little-endian hosts only; elsewhere the full parse does it all. */
#ifndef PE_FAST4_H
#define PE_FAST4_H

#include "pkt_priv.h"

/* What the fast path reads from the configuration, prepared once per call or per burst. */
struct pe_fast {
	const struct pe_pkt_cfg *cfg;
	uint64_t mac;	     /* our MAC as a 48-bit little-endian integer */
	uint64_t src_bad[4]; /* bitmap by first octet: IPv4 sources never answered (0, 127, 224+) */
	uint32_t ip, bcast;  /* with exactly one IPv4 address: it, and its directed broadcast (or
			      * itself when the prefix has none) */
	int one_ip;
	unsigned good;	  /* PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD when verification is off */
	uint16_t ttl_udp; /* the reply's TTL + protocol word (native order) for UDP */
};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline void pe_fast_init(struct pe_fast *fc, const struct pe_pkt_cfg *cfg)
{
	unsigned prefix = cfg->ip4[0].prefix;

	fc->cfg = cfg;
	fc->mac = pe_ld32(cfg->mac) | (uint64_t)pe_ld16(cfg->mac + 4) << 32;
	fc->src_bad[0] = 1;		     /* 0/8 */
	fc->src_bad[1] = 1ull << (127 - 64); /* 127/8 */
	fc->src_bad[2] = 0;
	fc->src_bad[3] = ~0ull << (224 - 192); /* 224/4, 240/4 */
	fc->one_ip = cfg->n_ip4 == 1;
	fc->ip = cfg->ip4[0].addr;
	fc->bcast = prefix <= 30 ? fc->ip | PE_BE32((uint32_t)(0xffffffffull >> prefix)) : fc->ip;
	fc->good = cfg->verify_csum ? 0 : PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD;
	fc->ttl_udp = (uint16_t)(cfg->ttl | 17u << 8);
}

/* dst is ours, src is neither ours nor a directed broadcast of our prefixes. */
static inline int pe_fast4_addrs_ok(const struct pe_fast *fc, uint32_t src, uint32_t dst)
{
	if (PE_LIKELY(fc->one_ip))
		return (dst == fc->ip) & (src != fc->ip) & (src != fc->bcast);
	return pe_ip4_ours(fc->cfg, dst) && !pe_ip4_ours(fc->cfg, src) &&
	       !pe_ip4_directed_bcast(fc->cfg, src);
}

/* ICMP: an echo request with a right checksum becomes the echo reply. */
static inline int pe_fast4_icmp(uint8_t *ic, uint32_t n, unsigned need)
{
	if (PE_UNLIKELY(pe_ld16(ic) != PE_BE16(0x0800)))
		return 0;
	/* nz: the type 8 just checked is in the sum */
	if (need && PE_UNLIKELY(!pe_csum_ok_nz(pe_csum_words(ic, n, 0))))
		return 0;
	pe_csum_set16(ic + 2, ic, PE_BE16(0x0000));
	return 1;
}

/* One's complement sum of the two 16-bit halves of x, with the end-around carry: the high half
 * of x + rol16(x) (the carry out of the low halves' sum lands in the high half). */
static inline uint32_t pe_fast_fold32(uint32_t x)
{
	return (x + (x << 16 | x >> 16)) >> 16;
}

/* The header checksum after TTL+protocol (the word at IP offset 8) becomes ttl_new: RFC 1624
 * eqn. 3, HC' = ~(~HC + ~m + m'), the same bytes pe_csum_update16 writes. ck_ttl is the 32-bit
 * word at offset 8 (m low, HC high, native order), so one NOT gives both ~m and ~HC. */
static inline uint16_t pe_fast4_ttl_csum(uint32_t ck_ttl, uint32_t ttl_new)
{
	return (uint16_t)~pe_fast_fold32(pe_fast_fold32(~ck_ttl) + ttl_new);
}

/* hw: the port's PE_CSUM_* bits; a BAD one leaves the frame to the full parse, which names it. */
static inline int pe_fast4(const struct pe_fast *fc, uint8_t *f, uint32_t n, unsigned hw,
			   uint32_t *len)
{
	const struct pe_pkt_cfg *cfg = fc->cfg;
	uint64_t a, smac, w1, w2, sd;
	uint32_t tot, src, dst, first, ttl_new, un, sport, dport;
	uint8_t *u = f + 34;
	unsigned bad, good = hw | fc->good;

	if (PE_UNLIKELY(n < 42))
		return 0;
	a = pe_ld64(f);
	smac = pe_ld64(f + 4) >> 16;
	w1 = pe_ld64(f + 12); /* EtherType, version+IHL, TOS, total length, id */
	w2 = pe_ld64(f + 20); /* flags+fragment offset, TTL, protocol, checksum, ... */
	src = pe_ld32(f + 26);
	dst = pe_ld32(f + 30);
	tot = PE_BE16((uint16_t)(w1 >> 32));
	first = src & 0xff;
	/* Destination MAC: the shift drops bytes 6-7, cheaper than masking with a 48-bit constant.
	 */
	bad = ((a ^ fc->mac) << 16 != 0) | (smac == fc->mac) | (smac == 0) |
	      (unsigned)(smac & 1);				     /* group bit of the source */
	bad |= ((w1 & 0xffffff) != 0x450008) | ((w2 & 0xff3f) != 0); /* 0x0800, 0x45; MF, offset */
	bad |= tot - 28 > n - 42;				     /* 28 <= tot <= n - 14 */
	bad |= (unsigned)(fc->src_bad[first >> 6] >> (first & 63)) & 1;
	bad |= hw & (PE_CSUM_IP_BAD | PE_CSUM_L4_BAD);
	if (PE_UNLIKELY(bad) || PE_UNLIKELY(!pe_fast4_addrs_ok(fc, src, dst)))
		return 0;
	sd = (uint64_t)src + dst;
	/* nz: the 0x45 checked above is in the sum */
	if (!(good & PE_CSUM_IP_GOOD) &&
	    PE_UNLIKELY(!pe_csum_ok_nz((uint64_t)(uint32_t)(w1 >> 16) + pe_ld32(f + 18) +
				       (uint32_t)(w2 >> 16) + sd)))
		return 0;
	un = tot - 20;
	if (PE_UNLIKELY((uint8_t)(w2 >> 24) != 17)) {
		if ((uint8_t)(w2 >> 24) != 1 ||
		    !pe_fast4_icmp(u, un, !(fc->good & PE_CSUM_L4_GOOD)))
			return 0;
		ttl_new = fc->cfg->ttl | 1u << 8;
	} else {
		/* UDP: lengths agree (compared in wire order), ports allowed, checksum right (or
		 * absent, or verified by the port); then the ports are swapped. */
		sport = pe_be16(u);
		dport = pe_be16(u + 2);
		bad = (unsigned)(pe_ld16(u + 4) != PE_BE16(un)) |
		      (unsigned)!pe_pkt_port_in(cfg->echo_ports, (uint16_t)dport) |
		      (unsigned)pe_pkt_udp_sport_loops(cfg, (uint16_t)sport);
		/* nz: the pseudo-header's protocol 17 is in the sum */
		if (pe_ld16(u + 6) != 0 && !(good & PE_CSUM_L4_GOOD))
			bad |= !pe_csum_ok_nz(pe_csum_words(u, un, sd + PE_BE16(17) + PE_BE16(un)));
		if (PE_UNLIKELY(bad))
			return 0;
		pe_pkt_swap_2x2(u);
		ttl_new = fc->ttl_udp;
	}
	/* The reply: MACs (ours as the source), addresses, a fresh TTL with the checksum patched.
	 */
	pe_st64(f, smac | fc->mac << 48);
	pe_st32(f + 8, (uint32_t)(fc->mac >> 16));
	pe_st64(f + 26, dst | (uint64_t)src << 32);
	pe_st32(f + 22, ttl_new | (uint32_t)pe_fast4_ttl_csum((uint32_t)(w2 >> 16), ttl_new) << 16);
	*len = 14 + tot;
	return 1;
}
#else
static inline void pe_fast_init(struct pe_fast *fc, const struct pe_pkt_cfg *cfg)
{
	fc->cfg = cfg;
}

static inline int pe_fast4(const struct pe_fast *fc, uint8_t *f, uint32_t n, unsigned hw,
			   uint32_t *len)
{
	return 0;
}
#endif

#endif
