/* SPDX-License-Identifier: MIT */
/* Private to lib/pkt: the parse context, checksum primitives and the per-protocol entry points
 * that service.c dispatches to. */
#ifndef PKT_PRIV_H
#define PKT_PRIV_H

#include "pe_pkt.h"

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h> /* _addcarry_u64, SSE2 */
#endif

/* x86-64 with GCC or clang: pe_pkt_service_burst has a second copy of its loop for CPUs with
 * AVX2 and BMI2 (PE_PKT_ISA_AVX2), compiled with this attribute; the rest stays baseline. */
#if defined(__x86_64__) && defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PE_FAST4_AVX2  1
#define PE_TARGET_AVX2 __attribute__((target("avx2,bmi,bmi2")))
#endif

/* Where the destination MAC points. */
enum pe_mac_class {
	PE_MAC_OURS = 0, /* our unicast MAC (or any unicast MAC in promiscuous mode) */
	PE_MAC_BCAST,	 /* ff:ff:ff:ff:ff:ff */
	PE_MAC_MCAST,	 /* any other group address */
};

/* One frame being parsed: the frame, its received length and where L3 starts. */
struct pe_rx {
	uint8_t *f;
	uint32_t len;
	uint32_t l3;
	enum pe_mac_class mac;
	unsigned hw; /* PE_CSUM_* from the port */
	uint32_t ts; /* IPv4 Timestamp options: the caller's time (pe_pkt.h, PE_PKT_TS_NONE) */
};

/* Checksums are computed in "native" space: native-order 32-bit loads summed into a 64-bit
 * accumulator (no carries to track until 2^32 words), folded with end-around carry. Since 2^16
 * and 2^32 are 1 modulo 0xffff, this gives the byte-swapped (on little endian) 16-bit one's
 * complement sum: what a native 16-bit store writes back correctly, and a right checksum still
 * folds to 0xffff. */
/* acc + v with end-around carry (2^64 is 1 modulo 0xffff: the carry goes back in at the bottom);
 * compilers emit add + adc. */
static inline uint64_t pe_csum_add(uint64_t acc, uint64_t v)
{
	acc += v;
	return acc + (acc < v);
}

/* acc + the k (1..4, a constant once inlined) 8-byte words at p, with one end-around carry: on
 * x86-64 the carries chain through the flags (add, adc with the words as memory operands, adc
 * 0), one instruction a word. */
#if defined(__x86_64__) && defined(__GNUC__)
struct pe_w64 {
	uint64_t w;
} __attribute__((packed, may_alias));
#define PE_W64(p, i) (((const struct pe_w64 *)(const void *)(p))[i].w)
#endif
static inline uint64_t pe_csum_add_words(uint64_t acc, const uint8_t *p, unsigned k)
{
#if defined(__x86_64__) && defined(__GNUC__)
	switch (k) {
	case 1:
		__asm__("add %[w0], %[a]\n\tadc $0, %[a]"
			: [a] "+r"(acc)
			: [w0] "m"(PE_W64(p, 0))
			: "cc");
		break;
	case 2:
		__asm__("add %[w0], %[a]\n\tadc %[w1], %[a]\n\tadc $0, %[a]"
			: [a] "+r"(acc)
			: [w0] "m"(PE_W64(p, 0)), [w1] "m"(PE_W64(p, 1))
			: "cc");
		break;
	case 3:
		__asm__("add %[w0], %[a]\n\tadc %[w1], %[a]\n\tadc %[w2], %[a]\n\tadc $0, %[a]"
			: [a] "+r"(acc)
			: [w0] "m"(PE_W64(p, 0)), [w1] "m"(PE_W64(p, 1)), [w2] "m"(PE_W64(p, 2))
			: "cc");
		break;
	default:
		__asm__("add %[w0], %[a]\n\tadc %[w1], %[a]\n\tadc %[w2], %[a]\n\t"
			"adc %[w3], %[a]\n\tadc $0, %[a]"
			: [a] "+r"(acc)
			: [w0] "m"(PE_W64(p, 0)), [w1] "m"(PE_W64(p, 1)), [w2] "m"(PE_W64(p, 2)),
			  [w3] "m"(PE_W64(p, 3))
			: "cc");
	}
	return acc;
#else
	for (unsigned i = 0; i < k; i++)
		acc = pe_csum_add(acc, pe_ld64(p + 8 * i));
	return acc;
#endif
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The last 2 to 8 bytes of an even-length region of n >= 8 bytes at p (the bytes after its
 * (n - 1) / 8 full words): one 8-byte load ending at the region's end, shifted right past the
 * bytes before them. The shift is a multiple of 16 bits, so every 16-bit word keeps its place
 * modulo 0xffff (2^16 is 1). */
static inline uint64_t pe_csum_tail(const uint8_t *p, uint32_t n)
{
	return pe_ld64(p + n - 8) >> ((0u - 8 * n) & 63);
}
#endif

/* acc + t + the k (3 or 4, a constant once inlined) 8-byte words at p: pe_csum_add_words with
 * one register word first in the same chain (a tail from pe_csum_tail). */
static inline uint64_t pe_csum_add_words_t(uint64_t acc, uint64_t t, const uint8_t *p, unsigned k)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (k == 3)
		__asm__("add %[t], %[a]\n\tadc %[w0], %[a]\n\tadc %[w1], %[a]\n\t"
			"adc %[w2], %[a]\n\tadc $0, %[a]"
			: [a] "+r"(acc)
			: [t] "r"(t), [w0] "m"(PE_W64(p, 0)), [w1] "m"(PE_W64(p, 1)),
			  [w2] "m"(PE_W64(p, 2))
			: "cc");
	else
		__asm__("add %[t], %[a]\n\tadc %[w0], %[a]\n\tadc %[w1], %[a]\n\t"
			"adc %[w2], %[a]\n\tadc %[w3], %[a]\n\tadc $0, %[a]"
			: [a] "+r"(acc)
			: [t] "r"(t), [w0] "m"(PE_W64(p, 0)), [w1] "m"(PE_W64(p, 1)),
			  [w2] "m"(PE_W64(p, 2)), [w3] "m"(PE_W64(p, 3))
			: "cc");
	return acc;
#else
	return pe_csum_add_words(pe_csum_add(acc, t), p, k);
#endif
}

static inline uint64_t pe_csum_words(const uint8_t *p, uint32_t n, uint64_t acc)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* An even length of at least 8 (every UDP datagram of an even size, most ICMP): the tail
	 * from one load (pe_csum_tail), the full words in unrolled chains of up to four, no loop
	 * up to 40 bytes. */
	if (PE_LIKELY(n >= 8 && !(n & 1))) {
		uint32_t k = (n - 1) >> 3;
		uint64_t t = pe_csum_tail(p, n);

		acc = pe_csum_add(acc, t);
		for (; k > 4; k -= 4, p += 32)
			acc = pe_csum_add_words(acc, p, 4);
		switch (k) {
		case 4:
			return pe_csum_add_words(acc, p, 4);
		case 3:
			return pe_csum_add_words(acc, p, 3);
		case 2:
			return pe_csum_add_words(acc, p, 2);
		case 1:
			return pe_csum_add_words(acc, p, 1);
		}
		return acc;
	}
#endif
	/* 64-bit loads with end-around carry: this halves the loads and adds of 32-bit words, the
	 * bulk of a short datagram's cost. */
	while (n >= 8) {
		acc = pe_csum_add(acc, pe_ld64(p));
		p += 8;
		n -= 8;
	}
	if (n & 4) {
		acc = pe_csum_add(acc, pe_ld32(p));
		p += 4;
	}
	if (n & 2) {
		acc = pe_csum_add(acc, pe_ld16(p));
		p += 2;
	}
	if (n & 1) {
		uint8_t last[2] = {p[0], 0};

		acc = pe_csum_add(acc, pe_ld16(last));
	}
	return acc;
}

/* 64-bit accumulator -> 16-bit one's complement sum (not complemented). */
static inline uint16_t pe_csum_fold64(uint64_t acc)
{
	uint32_t hi = (uint32_t)(acc >> 32), s = (uint32_t)acc + hi;

	s += s < hi; /* end-around carry */
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/* Does a checksummed region's accumulator (from pe_csum_words) verify, i.e. fold to 0xffff?
 * Same answer as pe_csum_fold64(acc) == 0xffff, cheaper: folding keeps the value modulo 0xffff
 * and keeps it nonzero, so the fold is 0xffff exactly when acc is a nonzero multiple of 0xffff.
 * 0xffff is odd, so compilers test "% 0xffff == 0" with one multiply by its inverse modulo 2^64
 * and one compare, instead of the fold's dozen shifts and adds. */
static inline int pe_csum_ok(uint64_t acc)
{
	return (acc % 0xffffu == 0) & (acc != 0);
}

/* pe_csum_ok for an accumulator the caller knows is nonzero (it summed a byte already checked to
 * be nonzero, e.g. version+IHL 0x45, the ICMP type 8, or the pseudo-header's protocol 17): the
 * end-around-carry sum of words that are not all zero is never zero. */
static inline int pe_csum_ok_nz(uint64_t acc)
{
	return acc % 0xffffu == 0;
}

/* Sum of an IPv4 header: unrolled for the usual 20 bytes. */
static inline uint64_t pe_ip4_hdr_sum(const uint8_t *ip, uint32_t hl)
{
	if (PE_LIKELY(hl == 20))
		return (uint64_t)pe_ld32(ip) + pe_ld32(ip + 4) + pe_ld32(ip + 8) +
		       pe_ld32(ip + 12) + pe_ld32(ip + 16);
	return pe_csum_words(ip, hl, 0);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word m -> m' (any byte order, as long
 * as all three use the same). */
static inline uint16_t pe_csum_update16(uint16_t hc, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint32_t)(uint16_t)~hc + (uint16_t)~old + new_;

	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)~s;
}

/* Rewrite the 16-bit word at p to v (native order) and patch the checksum at ck. */
static inline void pe_csum_set16(uint8_t *ck, uint8_t *p, uint16_t v)
{
	pe_st16(ck, pe_csum_update16(pe_ld16(ck), pe_ld16(p), v));
	pe_st16(p, v);
}

/* An ICMPv4 echo request (type 8, code 0, checked by the caller) becomes the echo reply. When the
 * reply is all zeros (id 0, sequence 0, no data) its sum is zero and the only checksum that
 * verifies is 0xffff, where RFC 1624's eqn. 3 gives 0x0000; for any other message both verify.
 * So 0x0000 is written as 0xffff (one compare, the branch rare). */
static inline void pe_icmp4_to_reply(uint8_t *ic)
{
	pe_csum_set16(ic + 2, ic, PE_BE16(0x0000));
	if (PE_UNLIKELY(pe_ld16(ic + 2) == 0))
		pe_st16(ic + 2, 0xffff);
}

static inline int pe_mac_eq(const uint8_t *a, const uint8_t *b)
{
	return ((pe_ld32(a) ^ pe_ld32(b)) | (uint32_t)(pe_ld16(a + 4) ^ pe_ld16(b + 4))) == 0;
}

static inline int pe_mac_zero(const uint8_t *a)
{
	return (pe_ld32(a) | pe_ld16(a + 4)) == 0;
}

static inline int pe_ip6_eq(const uint8_t *a, const uint8_t *b)
{
	return ((pe_ld64(a) ^ pe_ld64(b)) | (pe_ld64(a + 8) ^ pe_ld64(b + 8))) == 0;
}

static inline int pe_ip6_unspec(const uint8_t *a)
{
	return (pe_ld64(a) | pe_ld64(a + 8)) == 0;
}

/* Reply source MAC is always ours (also in promiscuous mode); destination is the requester. */
static inline void pe_eth_reply(const struct pe_pkt_cfg *cfg, uint8_t *f, const uint8_t *dst)
{
	uint32_t d0 = pe_ld32(dst);
	uint16_t d1 = pe_ld16(dst + 4);

	pe_st32(f, d0);
	pe_st16(f + 4, d1);
	memcpy(f + 6, cfg->mac, 6);
}

/* Our IPv4 addresses: one of them? (addr in network order) */
static inline int pe_ip4_ours(const struct pe_pkt_cfg *cfg, uint32_t addr)
{
	for (unsigned i = 0; i < cfg->n_ip4; i++)
		if (cfg->ip4[i].addr == addr)
			return 1;
	return 0;
}

/* Directed broadcast of one of our prefixes (host bits all ones; /31 and /32 have none). */
static inline int pe_ip4_directed_bcast(const struct pe_pkt_cfg *cfg, uint32_t addr)
{
	for (unsigned i = 0; i < cfg->n_ip4; i++) {
		unsigned prefix = cfg->ip4[i].prefix;
		uint32_t hostmask = prefix >= 32 ? 0 : 0xffffffffu >> prefix;

		if (prefix <= 30 && addr == (cfg->ip4[i].addr | PE_BE32(hostmask)))
			return 1;
	}
	return 0;
}

/* IPv4 first octets of sources that must never get a reply: 0/8 "this network", 127/8
 * loopback, 224/4 multicast, 240/4 class E with 255.255.255.255 (1 = never). */
#define PE_ONES8 1, 1, 1, 1, 1, 1, 1, 1
static const uint8_t pe_ip4_first_bad[256] = {[0] = 1,	[127] = 1, [224] = PE_ONES8,
					      PE_ONES8, PE_ONES8,  PE_ONES8};
#undef PE_ONES8

/* A source that must never get a reply: a first octet above, a directed broadcast of ours, or
 * ours (LAND). */
static inline int pe_ip4_src_bad(const struct pe_pkt_cfg *cfg, uint32_t addr)
{
	if (pe_ip4_first_bad[PE_BE32(addr) >> 24])
		return 1;
	return pe_ip4_ours(cfg, addr) || pe_ip4_directed_bcast(cfg, addr);
}

/* IPv4 destination that is broadcast (limited or directed of our prefixes) or multicast. */
static inline int pe_ip4_group(const struct pe_pkt_cfg *cfg, uint32_t addr)
{
	uint32_t a = PE_BE32(addr);

	return a == 0xffffffffu || (a >> 28) == 0xe || pe_ip4_directed_bcast(cfg, addr);
}

int pkt_ip6_ours(const struct pe_pkt_cfg *cfg, const uint8_t addr[16]);

/* Service mode without the fast path (service.c), so that the tests can hold both to the same
 * golden answers. */
enum pe_drop pkt_service_full(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len,
			      unsigned hw);

/* Per-protocol handlers: each returns the verdict and, on PE_DROP_NONE, sets *len. */
enum pe_drop pkt_arp(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t *len);
enum pe_drop pkt_ip6(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t *len);
/* NS at ip + pos, ICMPv6 ending at ip + end (ip = rx->f + rx->l3). */
enum pe_drop pkt_ndp_ns(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t pos, uint32_t end,
			uint32_t *len);

/* TCP is not served in service mode: a malformed header is named as such, a sound one is an
 * unsupported protocol. */
static inline enum pe_drop pe_tcp_drop(const uint8_t *t, uint32_t n)
{
	uint32_t doff;

	if (n < 20)
		return PE_DROP_RUNT;
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > n)
		return PE_DROP_TCP_LEN;
	return PE_DROP_PROTO;
}

/* UDP echo shared by IPv4 and IPv6: u = UDP header, n = bytes up to the end of the IP payload,
 * pseudo = pseudo-header sum without the length, hw = the port's PE_CSUM_* bits. On success swaps
 * the ports and stores the UDP length (which may be below n) in *ulen. */
static inline enum pe_drop pe_udp_echo(const struct pe_pkt_cfg *cfg, uint8_t *u, uint32_t n,
				       uint64_t pseudo, int v6, unsigned hw, uint32_t *ulen)
{
	uint32_t ul;
	uint16_t ck;

	if (PE_UNLIKELY(n < 8))
		return PE_DROP_RUNT;
	ul = pe_be16(u + 4);
	if (PE_UNLIKELY(ul < 8 || ul > n))
		return PE_DROP_UDP_LEN;
	if (PE_UNLIKELY(!pe_pkt_port_in(cfg->echo_ports, pe_be16(u + 2))))
		return PE_DROP_UDP_PORT;
	if (PE_UNLIKELY(pe_pkt_udp_sport_loops(cfg, pe_be16(u))))
		return PE_DROP_LOOP;
	ck = pe_ld16(u + 6);
	if (ck == 0) {
		if (PE_UNLIKELY(v6)) /* RFC 8200 8.1: a zero UDP checksum over IPv6 is discarded */
			return PE_DROP_UDP_CSUM;
	} else if (PE_UNLIKELY(hw & PE_CSUM_L4_BAD)) {
		return PE_DROP_UDP_CSUM;
	} else if (PE_LIKELY(cfg->verify_csum) && !(hw & PE_CSUM_L4_GOOD)) {
		pseudo += v6 ? PE_BE32(ul) : PE_BE16(ul);
		if (PE_UNLIKELY(pe_csum_fold64(pe_csum_words(u, ul, pseudo)) != 0xffff))
			return PE_DROP_UDP_CSUM;
	}
	pe_pkt_swap_2x2(u);
	*ulen = ul;
	return PE_DROP_NONE;
}

#endif
