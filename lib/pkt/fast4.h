/* SPDX-License-Identifier: MIT */
/* The service mode's fast path, private to service.c: an untagged IPv4 UDP or ICMP echo request
 * without options, to our MAC, that passes every check. It only answers "replied" (1) or "not
 * for me" (0): every drop, and every less common valid frame, goes through the full parse, which
 * also names the drop reason. So it must accept only what the full parse accepts, and reply
 * exactly as it would (the golden tests, the property test and the fuzzer hold both to that).
 *
 * The fixed header bytes are judged at once: two 16-byte loads (frame bytes 0-15 and 18-33) are
 * compared under a mask with a template of what they must hold (our MAC, a unicast source MAC,
 * EtherType 0x0800, version 4 with IHL 5, no MF or fragment offset, protocol 1 or 17, our
 * address as destination), in one vector test. The rest is scalar: source MAC, source address,
 * lengths, ports, checksums.
 * Little-endian hosts with GCC vector extensions only; elsewhere the full parse does it all. */
#ifndef PE_FAST4_H
#define PE_FAST4_H

#include "pkt_priv.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
#define PE_FAST4 1
typedef uint8_t pe_u8x16 __attribute__((vector_size(16)));
typedef uint32_t pe_u32x4 __attribute__((vector_size(16)));
typedef uint64_t pe_u64x2 __attribute__((vector_size(16)));
#endif

/* What the fast path reads from the configuration, prepared once per call or per burst. The
 * loop reads it from memory (one operand each), so it holds no registers across frames. Only
 * dport_ok changes on the way (a memo of one bitmap lookup). */
struct pe_fast {
#ifdef PE_FAST4
	pe_u8x16 t0, m0; /* frame bytes 0-15: template and mask */
	pe_u8x16 t1, m1; /* frame bytes 18-33 */
	pe_u8x16 zero;
#endif
#ifdef PE_FAST4_AVX2
	uint8_t t32[32], m32[32]; /* the AVX2 copy: frame bytes 0-31, template and mask */
#endif
	uint32_t ip, bcast; /* with exactly one IPv4 address: it, and its directed broadcast (or
			     * itself when the prefix has none) */
	const struct pe_pkt_cfg *cfg;
	/* Frame bytes 6-13 (source MAC and the EtherType 0x0800 the template test checked) as a
	 * little-endian integer: eth_ours when the source MAC is ours (and then the reply's bytes
	 * 6-13), eth_zero when it is zero. */
	uint64_t eth_ours, eth_zero;
	int multi_ip;	   /* not exactly one IPv4 address: the vector test left them out */
	unsigned good;	   /* PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD when verification is off */
	uint32_t ttl;	   /* the reply's TTL */
	uint32_t dport_ok; /* the last UDP destination port found among the echo ports (wire order)
			    */
	uint64_t inv_ffff; /* pe_csum_ok_nz's constants: the inverse of 0xffff modulo 2^64 */
	uint64_t max_ffff; /* and (2^64 - 1) / 0xffff */
};

#ifdef PE_FAST4
static inline void pe_fast_init(struct pe_fast *fc, const struct pe_pkt_cfg *cfg, int isa)
{
	unsigned prefix = cfg->ip4[0].prefix;
	uint32_t ip = cfg->ip4[0].addr;
	uint32_t bcast = prefix <= 30 ? ip | PE_BE32((uint32_t)(0xffffffffull >> prefix)) : ip;
	int one = cfg->n_ip4 == 1;
	uint64_t mac;

	/* every field is set below: no memset of the whole (a rep stos of 20 words per burst) */
	fc->t0 = fc->m0 = fc->t1 = fc->m1 = fc->zero = (pe_u8x16){0};
	memcpy(&fc->t0, cfg->mac, 6);
	memset(&fc->m0, 0xff, 6);
	fc->m0[6] = 0x01; /* group bit of the source MAC: 0 */
	fc->t0[12] = 0x08;
	fc->m0[12] = 0xff;
	fc->m0[13] = 0xff; /* EtherType 0x0800 */
	fc->t0[14] = 0x45;
	fc->m0[14] = 0xff;	/* version 4, IHL 5 */
	fc->m1[20 - 18] = 0x3f; /* MF and the fragment offset: 0 (DF, reserved: any) */
	fc->m1[21 - 18] = 0xff;
	fc->t1[23 - 18] = 0x01; /* protocol 1 or 17: equal but for bit 4 */
	fc->m1[23 - 18] = 0xef;
	if (one) {
		memcpy((uint8_t *)&fc->t1 + (30 - 18), &ip, 4);
		memset((uint8_t *)&fc->m1 + (30 - 18), 0xff, 4);
	}
	fc->ip = ip;
	fc->bcast = bcast;
	fc->cfg = cfg;
	mac = pe_ld32(cfg->mac) | (uint64_t)pe_ld16(cfg->mac + 4) << 32;
	fc->eth_zero = (uint64_t)PE_BE16(0x0800) << 48;
	fc->eth_ours = mac | fc->eth_zero;
	fc->multi_ip = !one;
	fc->good = cfg->verify_csum ? 0 : PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD;
	fc->ttl = cfg->ttl;
	fc->dport_ok = 0x10000; /* no port yet */
	fc->inv_ffff = 0xfffefffefffeffffull;
	fc->max_ffff = UINT64_MAX / 0xffff;
#ifdef PE_FAST4_AVX2
	/* bytes 0-15 and 18-31 of the two above; the destination address's last two bytes are
	 * compared apart */
	if (isa == PE_PKT_ISA_AVX2) {
		memcpy(fc->t32, &fc->t0, 16);
		memcpy(fc->m32, &fc->m0, 16);
		memset(fc->t32 + 16, 0, 2);
		memset(fc->m32 + 16, 0, 2);
		memcpy(fc->t32 + 18, &fc->t1, 14);
		memcpy(fc->m32 + 18, &fc->m1, 14);
	}
#else
	(void)isa;
#endif
}

/* The template test: zero when frame bytes 0-15 and 18-33 hold what the fast path serves. */
static inline int pe_fast4_tmpl_bad(const struct pe_fast *fc, const uint8_t *f)
{
	pe_u8x16 x0, x1, d;

	memcpy(&x0, f, 16);
	memcpy(&x1, f + 18, 16);
	d = ((x0 ^ fc->t0) & fc->m0) | ((x1 ^ fc->t1) & fc->m1);
#if defined(__SSE2__)
	return _mm_movemask_epi8(_mm_cmpeq_epi8((__m128i)d, (__m128i)fc->zero)) != 0xffff;
#else
	return (((pe_u64x2)d)[0] | ((pe_u64x2)d)[1]) != 0;
#endif
}

#ifdef PE_FAST4_AVX2
/* The template test of the AVX2 copy: frame bytes 0-31 in one load, one XOR, one masked test
 * (vptest). Called only from functions with the same target (service.c). */
static inline PE_TARGET_AVX2 __attribute__((always_inline)) int
pe_fast4_tmpl_bad_avx2(const struct pe_fast *fc, const uint8_t *f)
{
	__m256i d = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)f),
				     _mm256_loadu_si256((const __m256i *)(const void *)fc->t32));

	return !_mm256_testz_si256(d, _mm256_loadu_si256((const __m256i *)(const void *)fc->m32));
}
#endif

/* With more than one address (or none), what the vector test left out: dst is ours, src is
 * neither ours nor a directed broadcast of our prefixes. */
static inline int pe_fast4_addrs_bad(const struct pe_pkt_cfg *cfg, const uint8_t *f)
{
	uint32_t src = pe_ld32(f + 26), dst = pe_ld32(f + 30);

	return !pe_ip4_ours(cfg, dst) || pe_ip4_ours(cfg, src) || pe_ip4_directed_bcast(cfg, src);
}

/* A fresh TTL, and the header checksum updated as RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'),
 * writes it (pe_csum_update16, the full parse's). With m = TTL + 256 * proto and m' = TTL' +
 * 256 * proto, ~m + m' = 0xffff + TTL' - TTL, so HC' is the residue of HC + TTL - TTL' modulo
 * 0xffff in 0..0xfffe (in the native byte order too: a byte swap multiplies by 256 modulo
 * 0xffff). Usually that is HC + TTL - TTL' itself; else fold(w) - 1 for w = HC + TTL + 0x10000 -
 * TTL' (positive, below 2^18, one more modulo 0xffff), where fold(x), the high half of x +
 * rol16(x), is the end-around sum of x's halves: 1..0xffff for x nonzero. */
static inline void pe_fast4_ttl(const struct pe_fast *fc, uint8_t *ip)
{
	uint32_t z = pe_ld16(ip + 10) + ip[8] - fc->ttl;

	if (PE_UNLIKELY(z > 0xfffe)) {
		uint32_t w = z + 0x10000;

		z = (w + (w << 16 | w >> 16) - 0x10000u) >> 16;
	}
	pe_st16(ip + 10, (uint16_t)z);
	ip[8] = (uint8_t)fc->ttl;
}

/* pe_csum_ok_nz with its two 64-bit constants read from fc (memory operands, no registers). */
static inline int pe_fast4_csum_ok(const struct pe_fast *fc, uint64_t acc)
{
#if defined(__x86_64__) && defined(__GCC_ASM_FLAG_OUTPUTS__)
	int ok;

	__asm__("imul %[inv], %[a]\n\tcmp %[max], %[a]"
		: [a] "+r"(acc), "=@ccbe"(ok)
		: [inv] "m"(fc->inv_ffff), [max] "m"(fc->max_ffff));
	return ok;
#else
	return acc * fc->inv_ffff <= fc->max_ffff;
#endif
}

/* Out of line, so that the loop keeps no registers for the rare cases: the sum of any other
 * length, and the lookup of a new destination port (remembered in fc->dport_ok when it is an
 * echo port; wire order). */
static __attribute__((noinline, cold)) uint64_t pe_fast4_sum_any(const uint8_t *f, uint32_t off,
								 uint32_t end, uint64_t acc)
{
	return pe_csum_words(f + off, end - off, acc);
}

static __attribute__((noinline, cold)) int pe_fast4_dport_new(struct pe_fast *fc, uint32_t dport)
{
	if (!pe_pkt_port_in(fc->cfg->echo_ports, PE_BE16((uint16_t)dport)))
		return 0;
	fc->dport_ok = dport;
	return 1;
}

/* acc + the sum of frame bytes off to end (pe_csum_words), with one dispatch for the length of
 * a minimum-size frame's datagram: when the length n is even and its tail follows exactly k (3
 * or 4) full words (8k + 2 <= n <= 8k + 8), the tail (pe_csum_tail's load and shift, addressed
 * from the frame: fewer registers) and the words go in one chain, without the general code's
 * dispatch on the length. */
static inline uint64_t pe_fast4_sum(const uint8_t *f, uint32_t off, uint32_t end, uint64_t acc,
				    unsigned k)
{
	uint32_t n = end - off;

	if (PE_LIKELY(((n - 8 * k - 2) & ~6u) == 0))
		return pe_csum_add_words_t(acc, pe_ld64(f + end - 8) >> ((0u - 8 * n) & 63),
					   f + off, k);
	return pe_fast4_sum_any(f, off, end, acc);
}

/* ICMP: an echo request with a right checksum becomes the echo reply. */
static inline int pe_fast4_icmp(const struct pe_fast *fc, uint8_t *f, uint32_t tot, unsigned need)
{
	uint8_t *ic = f + 34;

	if (PE_UNLIKELY(pe_ld16(ic) != PE_BE16(0x0800)))
		return 0;
	/* nz: the type 8 just checked is in the sum */
	if (need && PE_UNLIKELY(!pe_fast4_csum_ok(fc, pe_fast4_sum(f, 34, 14 + tot, 0, 3))))
		return 0;
	pe_icmp4_to_reply(ic);
	return 1;
}

/* After the caller's n >= 42 and template test (pe_fast4_tmpl_bad, or pe_fast4_tmpl_bad_avx2 in
 * the AVX2 copy of the burst loop: isa says which ran). hw: the port's PE_CSUM_* bits; a BAD one
 * leaves the frame to the full parse, which names it. sw_good: fc->good, or 0 where the caller
 * knows checksums are verified; multi_ip: fc->multi_ip, or 0 where it knows there is one address
 * (constants then). Each check leaves by its own branch: on the path that passes them all, a
 * compare and a branch cost less than a set, a widening and an OR. */
static inline __attribute__((always_inline)) int pe_fast4(struct pe_fast *fc, uint8_t *f,
							  uint32_t n, unsigned hw, unsigned sw_good,
							  int multi_ip, int isa, uint32_t *len)
{
	const struct pe_pkt_cfg *cfg = fc->cfg;
	uint64_t smac;
	uint32_t tot, un, sport, dport;
	uint8_t *u = f + 34;
	unsigned good = hw | sw_good;

	/* Source MAC (its group bit is in the template) neither zero nor ours; source address
	 * class by its first octet; 28 <= total length <= n - 14. */
	smac = pe_ld64(f + 6);
	if (PE_UNLIKELY(smac == fc->eth_ours) || PE_UNLIKELY(smac == fc->eth_zero) ||
	    PE_UNLIKELY(pe_ip4_first_bad[f[26]] | (hw & (PE_CSUM_IP_BAD | PE_CSUM_L4_BAD))))
		return 0;
	tot = pe_be16(f + 16);
	if (PE_UNLIKELY(tot - 28 > n - 42))
		return 0;
	if (PE_UNLIKELY(multi_ip)) {
		if (pe_fast4_addrs_bad(cfg, f))
			return 0;
	} else if (PE_UNLIKELY(pe_ld32(f + 26) == fc->ip) ||
		   PE_UNLIKELY(pe_ld32(f + 26) == fc->bcast) || /* LAND, A4 */
		   (isa == PE_PKT_ISA_AVX2 && PE_UNLIKELY(pe_ld32(f + 30) != fc->ip))) {
		return 0;
	}
	/* nz: the 0x45 checked above is in the sum */
	if (!(good & PE_CSUM_IP_GOOD) &&
	    PE_UNLIKELY(!pe_fast4_csum_ok(fc, pe_csum_add_words(pe_ld32(f + 30), f + 14, 2))))
		return 0;
	un = tot - 20;
	if (PE_UNLIKELY(f[23] != 17)) {
		if (!pe_fast4_icmp(fc, f, tot, !(sw_good & PE_CSUM_L4_GOOD)))
			return 0;
	} else {
		/* UDP: lengths agree (compared in wire order), ports allowed, checksum right (or
		 * absent, or verified by the port); then the ports are swapped. */
		uint16_t unw = PE_BE16(un);

		sport = pe_be16(u);
		if (PE_UNLIKELY(pe_ld16(u + 4) != unw))
			return 0;
		if (PE_UNLIKELY(pe_pkt_udp_sport_loops(cfg, (uint16_t)sport)))
			return 0;
		/* The destination port is looked up once per burst while it stays the same (after
		 * the source port: its rare lookup then finds the bitmap's address in a register).
		 */
		dport = pe_ld16(u + 2); /* wire order */
		if (PE_UNLIKELY(dport != fc->dport_ok) && !pe_fast4_dport_new(fc, dport))
			return 0;
		/* The addresses (bytes 26-33) precede the UDP header: the pseudo-header's are
		 * summed in place, with its protocol and length as the start value (nz: the 17
		 * is in the sum). A zero checksum (none) fails here and is left to the full parse,
		 * which echoes it. */
		if (!(good & PE_CSUM_L4_GOOD) &&
		    PE_UNLIKELY(!pe_fast4_csum_ok(
			    fc, pe_fast4_sum(f, 26, 14 + tot, PE_BE16(17) + unw, 4))))
			return 0;
		pe_pkt_swap_2x2(u);
	}
	/* The reply: MACs (ours as the source), addresses, a fresh TTL with the checksum patched.
	 */
	pe_st64(f, smac); /* bytes 0-5: the source MAC (6-7 overwritten next) */
	pe_st64(f + 6, fc->eth_ours);
	pe_pkt_swap_4x2(f + 26);
	pe_fast4_ttl(fc, f + 14);
	*len = 14 + tot;
	return 1;
}
#else
static inline void pe_fast_init(struct pe_fast *fc, const struct pe_pkt_cfg *cfg, int isa)
{
	fc->cfg = cfg;
}

static inline int pe_fast4_tmpl_bad(const struct pe_fast *fc, const uint8_t *f)
{
	return 1;
}

static inline int pe_fast4(struct pe_fast *fc, uint8_t *f, uint32_t n, unsigned hw,
			   unsigned sw_good, int multi_ip, int isa, uint32_t *len)
{
	return 0;
}
#endif

#endif
