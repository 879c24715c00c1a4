/* SPDX-License-Identifier: MIT */
/* Private to lib/pkt: the parse context, checksum primitives and the per-protocol entry points
 * that service.c dispatches to. */
#ifndef PE_PKT_INTERNAL_H
#define PE_PKT_INTERNAL_H

#include "pe_pkt.h"

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
};

/* Checksums are computed in "native" space: 32-bit native-order loads summed into a 64-bit
 * accumulator, folded with end-around carry. Folding gives the byte-swapped (on little endian)
 * 16-bit one's complement sum, which is what a native 16-bit store writes back correctly, and a
 * right checksum still folds to 0xffff. */
static inline uint64_t pe_csum_words(const uint8_t *p, uint32_t n, uint64_t acc)
{
	while (n >= 16) {
		acc += (uint64_t)pe_ld32(p) + pe_ld32(p + 4) + pe_ld32(p + 8) + pe_ld32(p + 12);
		p += 16;
		n -= 16;
	}
	while (n >= 4) {
		acc += pe_ld32(p);
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		acc += pe_ld16(p);
		p += 2;
		n -= 2;
	}
	if (n) {
		uint8_t last[2] = {p[0], 0};

		acc += pe_ld16(last);
	}
	return acc;
}

/* 64-bit accumulator -> 16-bit one's complement sum (not complemented). */
static inline uint16_t pe_csum_fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint16_t)acc;
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
	uint8_t d[6];

	memcpy(d, dst, 6);
	memcpy(f, d, 6);
	memcpy(f + 6, cfg->mac, 6);
}

/* Address lookups (cfg.c). */
int pe_pkt_ip4_ours(const struct pe_pkt_cfg *cfg, uint32_t addr);
int pe_pkt_ip6_ours(const struct pe_pkt_cfg *cfg, const uint8_t addr[16]);
/* IPv4 destination that is broadcast (limited or directed of our prefixes) or multicast. */
int pe_pkt_ip4_group(const struct pe_pkt_cfg *cfg, uint32_t addr);

/* Per-protocol handlers: each returns the verdict and, on PE_DROP_NONE, sets *len. */
enum pe_drop pe_pkt_arp(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t *len);
enum pe_drop pe_pkt_ip6(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t *len);
/* NS at ip + pos, ICMPv6 ending at ip + end (ip = rx->f + rx->l3). */
enum pe_drop pe_pkt_ndp_ns(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t pos,
			   uint32_t end, uint32_t *len);

/* UDP echo shared by IPv4 and IPv6: u = UDP header, n = bytes up to the end of the IP payload,
 * pseudo = pseudo-header sum without the length. On success swaps the ports and stores the UDP
 * length (which may be below n) in *ulen. */
static inline enum pe_drop pe_udp_echo(const struct pe_pkt_cfg *cfg, uint8_t *u, uint32_t n,
				       uint64_t pseudo, int v6, uint32_t *ulen)
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
	if (PE_UNLIKELY(pe_pkt_port_in(cfg->loop_ports, pe_be16(u))))
		return PE_DROP_LOOP;
	ck = pe_ld16(u + 6);
	if (ck == 0) {
		if (PE_UNLIKELY(v6)) /* RFC 8200 8.1: a zero UDP checksum over IPv6 is discarded */
			return PE_DROP_UDP_CSUM;
	} else if (PE_LIKELY(cfg->verify_csum)) {
		pseudo += v6 ? PE_BE32(ul) : PE_BE16(ul);
		if (PE_UNLIKELY(pe_csum_fold64(pe_csum_words(u, ul, pseudo)) != 0xffff))
			return PE_DROP_UDP_CSUM;
	}
	pe_pkt_swap_2x2(u);
	*ulen = ul;
	return PE_DROP_NONE;
}

#endif
