/* SPDX-License-Identifier: MIT */
/* Inline part of lib/pkt, included by pe_pkt.h: unaligned loads and stores, and the two swap-only
 * modes (l2, l4), so that a poll loop inlines them and pays no call per packet. Do not include
 * this file directly. */
#ifndef PE_PKT_INLINE_H
#define PE_PKT_INLINE_H

#include <stdint.h>
#include <string.h>

#define PE_LIKELY(x)   __builtin_expect(!!(x), 1)
#define PE_UNLIKELY(x) __builtin_expect(!!(x), 0)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PE_BE16(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define PE_BE32(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#else
#define PE_BE16(x) ((uint16_t)(x))
#define PE_BE32(x) ((uint32_t)(x))
#endif

/* Native-order loads and stores at any alignment (memcpy: no unaligned-access UB). */
static inline uint16_t pe_ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t pe_ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t pe_ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void pe_st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void pe_st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void pe_st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Big-endian field as a host integer. */
static inline uint16_t pe_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Swap the destination (bytes 0-5) and source (6-11) MACs with two loads and two stores. */
static inline void pe_pkt_swap_mac(uint8_t *f)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t a = pe_ld64(f);     /* bytes 0..7 */
	uint32_t b = pe_ld32(f + 8); /* bytes 8..11 */

	pe_st64(f, (a >> 48) | ((uint64_t)b << 16) | (a << 48)); /* 6,7,8..11,0,1 */
	pe_st32(f + 8, (uint32_t)(a >> 16));			 /* 2..5 */
#else
	uint8_t t[6];

	memcpy(t, f, 6);
	memmove(f, f + 6, 6);
	memcpy(f + 6, t, 6);
#endif
}

/* Swap two adjacent 4-byte fields (IPv4 addresses) or 2-byte fields (ports): a rotation. */
static inline void pe_pkt_swap_4x2(uint8_t *p)
{
	uint64_t v = pe_ld64(p);

	pe_st64(p, v << 32 | v >> 32);
}

static inline void pe_pkt_swap_2x2(uint8_t *p)
{
	uint32_t v = pe_ld32(p);

	pe_st32(p, v << 16 | v >> 16);
}

/* Swap the IPv6 source (p[0..15]) and destination (p[16..31]). */
static inline void pe_pkt_swap_16x2(uint8_t *p)
{
	uint64_t s0 = pe_ld64(p), s1 = pe_ld64(p + 8);
	uint64_t d0 = pe_ld64(p + 16), d1 = pe_ld64(p + 24);

	pe_st64(p, d0);
	pe_st64(p + 8, d1);
	pe_st64(p + 16, s0);
	pe_st64(p + 24, s1);
}

/* EtherType (native-order load) of a VLAN tag: 802.1Q, 802.1ad, or the old QinQ 0x9100. */
static inline int pe_pkt_is_vlan(uint16_t et_native)
{
	return et_native == PE_BE16(0x8100) || et_native == PE_BE16(0x88a8) ||
	       et_native == PE_BE16(0x9100);
}

/* l2 mode: swap the MACs of any frame of at least an Ethernet header. The reference for every
 * frame; pe_pkt_l2 below takes a vector path where it can. */
static inline enum pe_drop pe_pkt_l2_scalar(uint8_t *frame, uint32_t *len)
{
	if (PE_UNLIKELY(*len < 14))
		return PE_DROP_RUNT;
	pe_pkt_swap_mac(frame);
	return PE_DROP_NONE;
}

/* l4 mode, like testpmd's 5tswap: swap MACs, then (bounds permitting) IPv4/IPv6 addresses and
 * UDP/TCP ports behind up to two VLAN tags. Swaps are checksum-neutral, so no checksum changes.
 * Unlike 5tswap, ports of non-first IPv4 fragments are left alone (they would be payload).
 * The reference for every frame; pe_pkt_l4 below takes a vector path for the usual one. */
static inline enum pe_drop pe_pkt_l4_scalar(uint8_t *frame, uint32_t *len)
{
	uint32_t n = *len, off = 12;
	uint16_t et;

	if (PE_UNLIKELY(n < 14))
		return PE_DROP_RUNT;
	pe_pkt_swap_mac(frame);
	et = pe_ld16(frame + 12);
	if (PE_UNLIKELY(et != PE_BE16(0x0800)) && pe_pkt_is_vlan(et)) {
		for (int i = 0; i < 2 && pe_pkt_is_vlan(et); i++) {
			if (off + 6 > n)
				return PE_DROP_NONE;
			off += 4;
			et = pe_ld16(frame + off);
		}
	}
	off += 2;
	if (PE_LIKELY(et == PE_BE16(0x0800))) {
		uint8_t *ip = frame + off;
		uint32_t hl;

		if (PE_UNLIKELY(off + 20 > n))
			return PE_DROP_NONE;
		pe_pkt_swap_4x2(ip + 12);
		hl = (ip[0] & 0xfu) * 4;
		if ((ip[9] == 17 || ip[9] == 6) && hl >= 20 && off + hl + 4 <= n &&
		    (pe_ld16(ip + 6) & PE_BE16(0x1fff)) == 0)
			pe_pkt_swap_2x2(ip + hl);
	} else if (et == PE_BE16(0x86dd)) {
		uint8_t *ip = frame + off;

		if (PE_UNLIKELY(off + 40 > n))
			return PE_DROP_NONE;
		pe_pkt_swap_16x2(ip + 8);
		if ((ip[6] == 17 || ip[6] == 6) && off + 44 <= n)
			pe_pkt_swap_2x2(ip + 40);
	}
	return PE_DROP_NONE;
}

#if defined(__SSSE3__)
#include <tmmintrin.h>

/* The frame pe_pkt_l2_vec swaps: at least 16 bytes (the MACs and the EtherType, one load). */
#define PE_PKT_L2_VEC_MIN 16u

/* Swap the MACs of a frame of at least PE_PKT_L2_VEC_MIN bytes: one 16-byte load, shuffle and
 * store (SSSE3 pshufb); bytes 12-15 stay. */
static inline void pe_pkt_l2_vec(uint8_t *frame)
{
	const __m128i mac = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15);

	_mm_storeu_si128((__m128i *)frame,
			 _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)frame), mac));
}
#endif

/* l2 mode (pe_pkt_l2_scalar's contract and result), by the vector path where the build has SSSE3
 * and the frame has 16 bytes. */
static inline enum pe_drop pe_pkt_l2(uint8_t *frame, uint32_t *len)
{
#if defined(__SSSE3__)
	if (PE_LIKELY(*len >= PE_PKT_L2_VEC_MIN)) {
		pe_pkt_l2_vec(frame);
		return PE_DROP_NONE;
	}
#endif
	return pe_pkt_l2_scalar(frame, len);
}

#if defined(__SSSE3__) && defined(__SSE4_1__)
#include <smmintrin.h>

/* The frame pe_pkt_l4_vec swaps: untagged IPv4 with IHL 5, UDP or TCP, not a non-first fragment,
 * at least PE_PKT_L4_VEC_MIN bytes (MACs, 20-byte IPv4 header, both ports). */
#define PE_PKT_L4_VEC_MIN 38u

/* l4 of that usual frame in three 16-byte loads, two shuffles and two stores (SSSE3 pshufb,
 * SSE4.1 ptest): bytes 8-23 classify (EtherType, IHL, fragment offset, protocol), bytes 0-15 swap
 * the MACs, bytes 22-37 swap both addresses (26-33) and both ports (34-37). Returns 0, the frame
 * untouched, for any other frame (pe_pkt_l4_scalar's); frame must have PE_PKT_L4_VEC_MIN bytes. */
static inline int pe_pkt_l4_vec(uint8_t *frame)
{
	/* Bytes 8-23 of the usual UDP frame, and which of their bits are tested. */
	const __m128i udp = _mm_setr_epi8(0, 0, 0, 0, 0x08, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 17);
	const __m128i bits =
		_mm_setr_epi8(0, 0, 0, 0, -1, -1, 0x0f, 0, 0, 0, 0, 0, 0x1f, -1, 0, -1);
	const __m128i udp_to_tcp =
		_mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17 ^ 6);
	const __m128i l34 = _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 14, 15, 12, 13);
	__m128i d = _mm_xor_si128(udp, _mm_loadu_si128((const __m128i *)(frame + 8)));

	/* d is opaque from here: else gcc folds the TCP test into (load ^ tcp), keeps the load
	 * alive across the UDP test and copies it in every frame (one instruction of ~20). */
	__asm__("" : "+x"(d));
	if (PE_UNLIKELY(!_mm_testz_si128(d, bits)) &&
	    !_mm_testz_si128(_mm_xor_si128(d, udp_to_tcp), bits))
		return 0;
	pe_pkt_l2_vec(frame);
	_mm_storeu_si128((__m128i *)(frame + 22),
			 _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(frame + 22)), l34));
	return 1;
}
#endif

/* l4 mode (pe_pkt_l4_scalar's contract and result), by the vector path where the build has
 * SSSE3 and SSE4.1 (lib/dpdk: DPDK's -march) and the frame is the usual one. */
static inline enum pe_drop pe_pkt_l4(uint8_t *frame, uint32_t *len)
{
#if defined(__SSSE3__) && defined(__SSE4_1__)
	if (PE_LIKELY(*len >= PE_PKT_L4_VEC_MIN) && PE_LIKELY(pe_pkt_l4_vec(frame)))
		return PE_DROP_NONE;
#endif
	return pe_pkt_l4_scalar(frame, len);
}

#endif
