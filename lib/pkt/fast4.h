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
	uint64_t mac;	    /* our MAC as a 48-bit little-endian integer */
	uint32_t ip, bcast; /* with exactly one IPv4 address: it, and its directed broadcast (or
			     * itself when the prefix has none) */
	int one_ip;
	int verify;
	uint8_t ttl;
};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline void pe_fast_init(struct pe_fast *fc, const struct pe_pkt_cfg *cfg)
{
	unsigned prefix = cfg->ip4[0].prefix;

	fc->cfg = cfg;
	fc->mac = pe_ld32(cfg->mac) | (uint64_t)pe_ld16(cfg->mac + 4) << 32;
	fc->one_ip = cfg->n_ip4 == 1;
	fc->ip = cfg->ip4[0].addr;
	fc->bcast = prefix <= 30 ? fc->ip | PE_BE32((uint32_t)(0xffffffffull >> prefix)) : fc->ip;
	fc->verify = cfg->verify_csum;
	fc->ttl = cfg->ttl;
}

/* dst is ours, src is neither ours nor a directed broadcast of our prefixes. */
static inline int pe_fast4_addrs_ok(const struct pe_fast *fc, uint32_t src, uint32_t dst)
{
	if (PE_LIKELY(fc->one_ip))
		return (dst == fc->ip) & (src != fc->ip) & (src != fc->bcast);
	return pe_ip4_ours(fc->cfg, dst) && !pe_ip4_ours(fc->cfg, src) &&
	       !pe_ip4_directed_bcast(fc->cfg, src);
}

/* UDP: lengths agree, ports allowed, checksum right (or absent); then the ports are swapped. */
static inline int pe_fast4_udp(const struct pe_fast *fc, uint8_t *u, uint32_t n, uint64_t pseudo,
			       unsigned hw)
{
	/* The length compared in wire order: no byte swap needed for an equality. */
	unsigned bad = (unsigned)(pe_ld16(u + 4) != PE_BE16(n)) |
		       (unsigned)!pe_pkt_port_in(fc->cfg->echo_ports, pe_be16(u + 2)) |
		       (unsigned)pe_pkt_udp_sport_loops(fc->cfg, pe_be16(u));

	if (PE_UNLIKELY(bad))
		return 0;
	/* nz: the pseudo-header's protocol 17 is in the sum */
	if (pe_ld16(u + 6) != 0 && PE_LIKELY(fc->verify) && !(hw & PE_CSUM_L4_GOOD) &&
	    PE_UNLIKELY(!pe_csum_ok_nz(pe_csum_words(u, n, pseudo + PE_BE16(n)))))
		return 0;
	pe_pkt_swap_2x2(u);
	return 1;
}

/* ICMP: an echo request with a right checksum becomes the echo reply. */
static inline int pe_fast4_icmp(const struct pe_fast *fc, uint8_t *ic, uint32_t n)
{
	if (PE_UNLIKELY(pe_ld16(ic) != PE_BE16(0x0800)))
		return 0;
	/* nz: the type 8 just checked is in the sum */
	if (PE_LIKELY(fc->verify) && PE_UNLIKELY(!pe_csum_ok_nz(pe_csum_words(ic, n, 0))))
		return 0;
	pe_csum_set16(ic + 2, ic, PE_BE16(0x0000));
	return 1;
}

/* The header checksum after TTL+protocol (the word at IP offset 8) becomes ttl_new: RFC 1624
 * eqn. 3, HC' = ~(~HC + ~m + m'). ck_ttl is the 32-bit word at offset 8 (m low, HC high, native
 * order), so one NOT gives both ~m and ~HC, and their sum is its two halves added. */
static inline uint16_t pe_fast4_ttl_csum(uint32_t ck_ttl, uint32_t ttl_new)
{
	uint32_t inv = ~ck_ttl, s = (inv & 0xffffu) + (inv >> 16) + ttl_new;

	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)~s;
}

/* hw: the port's PE_CSUM_* bits; a BAD one leaves the frame to the full parse, which names it. */
static inline int pe_fast4(const struct pe_fast *fc, uint8_t *f, uint32_t n, unsigned hw,
			   uint32_t *len)
{
	uint64_t a, smac, w1, w2;
	uint32_t tot, src, dst, first, ttl_new;
	uint8_t proto;
	unsigned bad;

	if (PE_UNLIKELY(n < 42))
		return 0;
	a = pe_ld64(f);
	smac = a >> 48 | (uint64_t)pe_ld32(f + 8) << 16;
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
	bad |= (tot < 28) | (tot > n - 14);
	bad |= (first == 0) | (first == 127) | (first >= 224);
	bad |= hw & (PE_CSUM_IP_BAD | PE_CSUM_L4_BAD);
	if (PE_UNLIKELY(bad) || PE_UNLIKELY(!pe_fast4_addrs_ok(fc, src, dst)))
		return 0;
	/* nz: the 0x45 checked above is in the sum */
	if (PE_LIKELY(fc->verify) && !(hw & PE_CSUM_IP_GOOD) &&
	    PE_UNLIKELY(!pe_csum_ok_nz(pe_ip4_hdr_sum(f + 14, 20))))
		return 0;
	proto = (uint8_t)(w2 >> 24);
	if (PE_LIKELY(proto == 17)) {
		if (!pe_fast4_udp(fc, f + 34, tot - 20, (uint64_t)src + dst + PE_BE16(17), hw))
			return 0;
	} else if (proto != 1 || !pe_fast4_icmp(fc, f + 34, tot - 20)) {
		return 0;
	}
	/* The reply: MACs (ours as the source), addresses, a fresh TTL with the checksum patched.
	 */
	pe_st64(f, smac | fc->mac << 48);
	pe_st32(f + 8, (uint32_t)(fc->mac >> 16));
	pe_pkt_swap_4x2(f + 26);
	ttl_new = fc->ttl | (uint32_t)proto << 8;
	pe_st16(f + 22, (uint16_t)ttl_new);
	pe_st16(f + 24, pe_fast4_ttl_csum((uint32_t)(w2 >> 16), ttl_new));
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
