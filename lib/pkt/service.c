/* SPDX-License-Identifier: MIT */
/* Service mode: the entry points (fast path from fast4.h first, then the full parse), Ethernet,
 * VLAN and IPv4 with ICMP and UDP echo. IPv6, NDP and ARP are in their own files, called out of
 * line (rarer). */
#include "fast4.h"

#define IPOPT_RR 7  /* Record Route */
#define IPOPT_TS 68 /* Timestamp */

/* Record Route (RFC 791 3.1): length >= 3, pointer >= 4, and a pointer within the option leaves
 * room for a whole address (as Linux's ip_options_compile); beyond the length the route is full. */
static enum pe_drop rr_check(const uint8_t *o, uint32_t olen)
{
	if (olen < 3 || o[2] < 4 || (o[2] <= olen && o[2] + 3u > olen))
		return PE_DROP_IP_OPT_RR;
	return PE_DROP_NONE;
}

/* Timestamp (RFC 791 3.1): length >= 4, pointer >= 5, flag 0 (timestamps), 1 (address and
 * timestamp) or 3 (prespecified addresses); a pointer within the option leaves room for a whole
 * entry; a full option (pointer beyond the length) whose overflow count is already 15 would
 * overflow it: "the original datagram is considered to be in error". */
static enum pe_drop ts_check(const uint8_t *o, uint32_t olen)
{
	unsigned flag;

	if (olen < 4 || o[2] < 5)
		return PE_DROP_IP_OPT_TS;
	flag = o[3] & 0xfu;
	if (flag != 0 && flag != 1 && flag != 3)
		return PE_DROP_IP_OPT_TS;
	if (o[2] <= olen ? o[2] + (flag ? 7u : 3u) > olen : (o[3] >> 4) == 15)
		return PE_DROP_IP_OPT_TS;
	return PE_DROP_NONE;
}

/* IPv4 options: refuse source routing (LSRR 0x83, SSRR 0x89), anything malformed, and a Record
 * Route or Timestamp option that is malformed or comes twice; others (router alert ...) are
 * echoed as they are, Record Route and Timestamp updated (ip4_opts_update). */
static enum pe_drop ip4_opts_check(const uint8_t *o, uint32_t n)
{
	uint32_t i = 0;
	unsigned seen = 0;

	while (i < n) {
		uint8_t type = o[i];
		uint32_t olen;
		enum pe_drop d = PE_DROP_NONE;

		if (type == 0) /* end of list */
			return PE_DROP_NONE;
		if (type == 1) { /* no-op */
			i++;
			continue;
		}
		if (i + 1 >= n)
			return PE_DROP_IP_OPTIONS;
		olen = o[i + 1];
		if (olen < 2 || olen > n - i || type == 0x83 || type == 0x89)
			return PE_DROP_IP_OPTIONS;
		if (type == IPOPT_RR) {
			d = (seen & 1) ? PE_DROP_IP_OPT_RR : rr_check(o + i, olen);
			seen |= 1;
		} else if (type == IPOPT_TS) {
			d = (seen & 2) ? PE_DROP_IP_OPT_TS : ts_check(o + i, olen);
			seen |= 2;
		}
		if (d != PE_DROP_NONE)
			return d;
		i += olen;
	}
	return PE_DROP_NONE;
}

/* One Timestamp option of a reply (checked by ts_check): our address and/or the time at the
 * pointer when there is room (flag 3: only when the prespecified address there is ours), or the
 * overflow count up when it is full. */
static void ts_update(uint8_t *o, uint32_t olen, const uint8_t *ours, uint32_t ts)
{
	unsigned flag = o[3] & 0xfu;
	uint8_t *slot = o + o[2] - 1;
	uint8_t be[4] = {(uint8_t)(ts >> 24), (uint8_t)(ts >> 16), (uint8_t)(ts >> 8), (uint8_t)ts};

	if (o[2] > olen) {
		o[3] = (uint8_t)(o[3] + 0x10);
		return;
	}
	if (flag == 0) {
		memcpy(slot, be, 4);
		o[2] = (uint8_t)(o[2] + 4);
		return;
	}
	if (flag == 3 && memcmp(slot, ours, 4) != 0)
		return;
	memcpy(slot, ours, 4);
	memcpy(slot + 4, be, 4);
	o[2] = (uint8_t)(o[2] + 8);
}

/* RFC 1122 3.2.2.6: Record Route and Timestamp options of a request are updated with this host
 * in its echo reply ("the recorded route will be for the entire round trip"). ip: the reply's
 * header, addresses already swapped (ours is the source); options checked by ip4_opts_check.
 * The header checksum is computed afresh. Out of line: options are rare. */
static __attribute__((noinline)) void ip4_opts_update(uint8_t *ip, uint32_t hl, uint32_t ts)
{
	uint8_t *o = ip + 20;
	uint32_t n = hl - 20, i = 0;

	while (i < n && o[i] != 0) {
		uint32_t olen;

		if (o[i] == 1) {
			i++;
			continue;
		}
		olen = o[i + 1];
		if (o[i] == IPOPT_RR && o[i + 2] <= olen) {
			memcpy(o + i + o[i + 2] - 1, ip + 12, 4);
			o[i + 2] = (uint8_t)(o[i + 2] + 4);
		} else if (o[i] == IPOPT_TS) {
			ts_update(o + i, olen, ip + 12, ts);
		}
		i += olen;
	}
	pe_st16(ip + 10, 0);
	pe_st16(ip + 10, (uint16_t)~pe_csum_fold64(pe_ip4_hdr_sum(ip, hl)));
}

/* Swap addresses, set a fresh TTL, patch the header checksum (RFC 1624), answer from our MAC. */
static inline void ip4_reply(const struct pe_pkt_cfg *cfg, const struct pe_rx *rx, uint32_t hl,
			     uint32_t tot, uint32_t *len)
{
	uint8_t *ip = rx->f + rx->l3;
	uint8_t ttl_proto[2] = {cfg->ttl, ip[9]};

	pe_pkt_swap_4x2(ip + 12);
	pe_csum_set16(ip + 10, ip + 8, pe_ld16(ttl_proto));
	if (PE_UNLIKELY(hl > 20))
		ip4_opts_update(ip, hl, rx->ts);
	pe_eth_reply(cfg, rx->f, rx->f + 6);
	*len = rx->l3 + tot;
}

static inline enum pe_drop icmp4_echo(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint8_t *ip,
				      uint32_t hl, uint32_t tot, uint32_t *len)
{
	uint8_t *ic = ip + hl;
	uint32_t n = tot - hl;

	if (PE_UNLIKELY(n < 8))
		return PE_DROP_RUNT;
	if (PE_UNLIKELY(pe_ld16(ic) != PE_BE16(0x0800))) /* type 8 (echo request), code 0 */
		return PE_DROP_ICMP_TYPE;
	if (PE_LIKELY(cfg->verify_csum) &&
	    PE_UNLIKELY(pe_csum_fold64(pe_csum_words(ic, n, 0)) != 0xffff))
		return PE_DROP_ICMP_CSUM;
	pe_icmp4_to_reply(ic); /* type 0: echo reply */
	ip4_reply(cfg, rx, hl, tot, len);
	return PE_DROP_NONE;
}

static inline enum pe_drop udp4_echo(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint8_t *ip,
				     uint32_t hl, uint32_t tot, uint32_t *len)
{
	uint64_t pseudo = (uint64_t)pe_ld32(ip + 12) + pe_ld32(ip + 16) + PE_BE16(17);
	uint32_t ulen;
	enum pe_drop d = pe_udp_echo(cfg, ip + hl, tot - hl, pseudo, 0, rx->hw, &ulen);

	if (PE_UNLIKELY(d != PE_DROP_NONE))
		return d;
	if (PE_UNLIKELY(hl + ulen < tot)) { /* echo only the UDP datagram (Linux: short_packet) */
		tot = hl + ulen;
		pe_csum_set16(ip + 10, ip + 2, PE_BE16(tot));
	}
	ip4_reply(cfg, rx, hl, tot, len);
	return PE_DROP_NONE;
}

/* Header checks in the order Linux ip_rcv_core makes them, then fragments and options. */
static inline enum pe_drop ip4_check(const struct pe_pkt_cfg *cfg, const uint8_t *ip, uint32_t room,
				     unsigned hw, uint32_t *hl_out, uint32_t *tot_out)
{
	uint32_t hl, tot;

	if (PE_UNLIKELY(room < 20))
		return PE_DROP_RUNT;
	if (PE_UNLIKELY((ip[0] >> 4) != 4))
		return PE_DROP_IP_VERSION;
	hl = (ip[0] & 0xfu) * 4;
	if (PE_UNLIKELY(hl < 20 || hl > room))
		return PE_DROP_IP_HDR_LEN;
	tot = pe_be16(ip + 2);
	if (PE_UNLIKELY(tot < hl || tot > room))
		return PE_DROP_IP_LEN;
	if (PE_UNLIKELY(hw & PE_CSUM_IP_BAD))
		return PE_DROP_IP_CSUM;
	if (PE_LIKELY(cfg->verify_csum) && !(hw & PE_CSUM_IP_GOOD) &&
	    PE_UNLIKELY(pe_csum_fold64(pe_ip4_hdr_sum(ip, hl)) != 0xffff))
		return PE_DROP_IP_CSUM;
	if (PE_UNLIKELY(pe_ld16(ip + 6) & PE_BE16(0x3fff))) /* MF or a fragment offset */
		return PE_DROP_IP_FRAG;
	if (PE_UNLIKELY(hl > 20)) {
		enum pe_drop d = ip4_opts_check(ip + 20, hl - 20);

		if (d != PE_DROP_NONE)
			return d;
	}
	*hl_out = hl;
	*tot_out = tot;
	return PE_DROP_NONE;
}

static inline enum pe_drop ip4_addr_check(const struct pe_pkt_cfg *cfg, const struct pe_rx *rx,
					  const uint8_t *ip)
{
	uint32_t src = pe_ld32(ip + 12), dst = pe_ld32(ip + 16);

	if (PE_UNLIKELY(pe_ip4_src_bad(cfg, src)))
		return PE_DROP_BAD_SRC_IP;
	if (PE_UNLIKELY(!pe_ip4_ours(cfg, dst)))
		return pe_ip4_group(cfg, dst) ? PE_DROP_DST_MULTICAST : PE_DROP_NOT_OUR_IP;
	/* RFC 1122 3.3.6: a unicast IP datagram received via link-layer broadcast is discarded. */
	if (PE_UNLIKELY(rx->mac != PE_MAC_OURS))
		return PE_DROP_DST_MULTICAST;
	return PE_DROP_NONE;
}

static inline enum pe_drop ip4_rx(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t *len)
{
	uint8_t *ip = rx->f + rx->l3;
	uint32_t hl, tot;
	enum pe_drop d = ip4_check(cfg, ip, rx->len - rx->l3, rx->hw, &hl, &tot);

	if (PE_UNLIKELY(d != PE_DROP_NONE))
		return d;
	d = ip4_addr_check(cfg, rx, ip);
	if (PE_UNLIKELY(d != PE_DROP_NONE))
		return d;
	if (PE_LIKELY(ip[9] == 17))
		return udp4_echo(cfg, rx, ip, hl, tot, len);
	if (PE_LIKELY(ip[9] == 1))
		return icmp4_echo(cfg, rx, ip, hl, tot, len);
	if (ip[9] == 6)
		return pe_tcp_drop(ip + hl, tot - hl);
	return PE_DROP_PROTO;
}

/* Source MAC must be a unicast host that is not us: a reply to a group address would storm. */
static inline enum pe_drop eth_check(const struct pe_pkt_cfg *cfg, struct pe_rx *rx)
{
	const uint8_t *f = rx->f;

	if (PE_UNLIKELY((f[6] & 1) || pe_mac_zero(f + 6) || pe_mac_eq(f + 6, cfg->mac)))
		return PE_DROP_BAD_SRC_MAC;
	if (PE_LIKELY(pe_mac_eq(f, cfg->mac))) {
		rx->mac = PE_MAC_OURS;
	} else if (f[0] & 1) {
		static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

		rx->mac = pe_mac_eq(f, bcast) ? PE_MAC_BCAST : PE_MAC_MCAST;
	} else if (cfg->promisc) {
		rx->mac = PE_MAC_OURS;
	} else {
		return PE_DROP_NOT_OUR_MAC;
	}
	return PE_DROP_NONE;
}

/* Walk up to PE_PKT_MAX_VLAN tags; the tags stay in place, so the reply carries them. */
static enum pe_drop vlan_walk(struct pe_rx *rx, uint16_t *et)
{
	uint32_t off = 12;

	for (int depth = 0; pe_pkt_is_vlan(*et); depth++) {
		if (depth == PE_PKT_MAX_VLAN)
			return PE_DROP_VLAN_DEPTH;
		if (off + 6 > rx->len)
			return PE_DROP_RUNT;
		off += 4;
		*et = pe_ld16(rx->f + off);
	}
	rx->l3 = off + 2;
	return PE_DROP_NONE;
}

static enum pe_drop service_other(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint16_t et,
				  uint32_t *len)
{
	enum pe_drop d = vlan_walk(rx, &et);

	if (d != PE_DROP_NONE)
		return d;
	if (et == PE_BE16(0x0800))
		return ip4_rx(cfg, rx, len);
	if (et == PE_BE16(0x86dd))
		return pkt_ip6(cfg, rx, len);
	if (et == PE_BE16(0x0806))
		return pkt_arp(cfg, rx, len);
	return PE_DROP_ETHERTYPE;
}

/* Everything but the fast path: the full parse, which names the drop reason. */
static __attribute__((noinline)) enum pe_drop
service_full(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len, unsigned hw, uint32_t ts)
{
	struct pe_rx rx = {.f = frame, .len = *len, .l3 = 14, .hw = hw, .ts = ts};
	enum pe_drop d;
	uint16_t et;

	if (PE_UNLIKELY(rx.len < 14))
		return PE_DROP_RUNT;
	d = eth_check(cfg, &rx);
	if (PE_UNLIKELY(d != PE_DROP_NONE))
		return d;
	et = pe_ld16(frame + 12);
	if (PE_LIKELY(et == PE_BE16(0x0800)))
		return ip4_rx(cfg, &rx, len);
	return service_other(cfg, &rx, et, len);
}

enum pe_drop pkt_service_full(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len,
			      unsigned hw)
{
	return service_full(cfg, frame, len, hw, PE_PKT_TS_NONE);
}

static enum pe_drop service_one(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len,
				uint32_t ts)
{
	struct pe_fast fc;

	pe_fast_init(&fc, cfg, PE_PKT_ISA_BASE);
	if (PE_LIKELY(*len >= 42) && PE_LIKELY(!pe_fast4_tmpl_bad(&fc, frame)) &&
	    PE_LIKELY(pe_fast4(&fc, frame, *len, 0, fc.good, fc.multi_ip, PE_PKT_ISA_BASE, len)))
		return PE_DROP_NONE;
	return service_full(cfg, frame, len, 0, ts);
}

enum pe_drop pe_pkt_service(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len)
{
	return service_one(cfg, frame, len, PE_PKT_TS_NONE);
}

/* The burst loop, specialised: usual and isa are constants in each copy. In the usual one (no
 * checksum flags from the port, verification on, one IPv4 address) the tests of the others fold
 * away. isa picks the template test (TMPL_BAD): the AVX2 copies are functions compiled for AVX2
 * and BMI2 as a whole (VEX memory operands, shrx), and a function with that target may only be
 * inlined into one with the same, hence one macro for the loop of both (service_burst and
 * service_burst_avx2). The verdicts are PE_DROP_NONE unless the full parse says otherwise;
 * full counts the frames that took it (the return value). */
#define PE_SERVICE_BURST(usual, isa, TMPL_BAD)                                                     \
	do {                                                                                       \
		struct pe_fast fc;                                                                 \
		unsigned full = 0;                                                                 \
                                                                                                   \
		pe_fast_init(&fc, cfg, isa);                                                       \
		for (unsigned i = 0; i < n; i++) /* vector stores, once */                         \
			verdicts[i] = PE_DROP_NONE;                                                \
		for (size_t i = 0; i < n; i++) {                                                   \
			unsigned h = usual || hw == NULL ? 0 : hw[i];                              \
			uint8_t *f = frames[i];                                                    \
			uint32_t len = lens[i];                                                    \
                                                                                                   \
			if (PE_UNLIKELY(len < 42) || PE_UNLIKELY(TMPL_BAD(&fc, f)) ||              \
			    PE_UNLIKELY(!pe_fast4(&fc, f, len, h, usual ? 0 : fc.good,             \
						  usual ? 0 : fc.multi_ip, isa, &lens[i])))        \
				verdicts[i] = service_full(cfg, f, &lens[i], h, ts), full++;       \
		}                                                                                  \
		return full;                                                                       \
	} while (0)

static inline __attribute__((always_inline)) unsigned
service_burst(const struct pe_pkt_cfg *cfg, uint8_t *const frames[], uint32_t lens[],
	      const uint8_t hw[], enum pe_drop verdicts[], unsigned n, uint32_t ts, int usual)
{
	PE_SERVICE_BURST(usual, PE_PKT_ISA_BASE, pe_fast4_tmpl_bad);
}

#ifdef PE_FAST4_AVX2
static inline PE_TARGET_AVX2 __attribute__((always_inline)) unsigned
service_burst_avx2(const struct pe_pkt_cfg *cfg, uint8_t *const frames[], uint32_t lens[],
		   const uint8_t hw[], enum pe_drop verdicts[], unsigned n, uint32_t ts, int usual)
{
	PE_SERVICE_BURST(usual, PE_PKT_ISA_AVX2, pe_fast4_tmpl_bad_avx2);
}
#endif

#define PE_BURST_ARGS                                                                              \
	const struct pe_pkt_cfg *cfg, uint8_t *const frames[], uint32_t lens[],                    \
		const uint8_t hw[], enum pe_drop verdicts[], unsigned n, uint32_t ts

static unsigned burst_usual(PE_BURST_ARGS)
{
	return service_burst(cfg, frames, lens, NULL, verdicts, n, ts, 1);
}

static unsigned burst_any(PE_BURST_ARGS)
{
	return service_burst(cfg, frames, lens, hw, verdicts, n, ts, 0);
}

#ifdef PE_FAST4_AVX2
static PE_TARGET_AVX2 unsigned burst_usual_avx2(PE_BURST_ARGS)
{
	return service_burst_avx2(cfg, frames, lens, NULL, verdicts, n, ts, 1);
}

static PE_TARGET_AVX2 unsigned burst_any_avx2(PE_BURST_ARGS)
{
	return service_burst_avx2(cfg, frames, lens, hw, verdicts, n, ts, 0);
}
#endif

unsigned pe_pkt_service_burst_at(const struct pe_pkt_cfg *cfg, uint8_t *const frames[],
				 uint32_t lens[], const uint8_t hw[], enum pe_drop verdicts[],
				 unsigned n, uint32_t ts)
{
	int usual = hw == NULL && cfg->verify_csum && cfg->n_ip4 == 1;

#ifdef PE_FAST4_AVX2
	if (cfg->isa == PE_PKT_ISA_AVX2)
		return (usual ? burst_usual_avx2 : burst_any_avx2)(cfg, frames, lens, hw, verdicts,
								   n, ts);
#endif
	return (usual ? burst_usual : burst_any)(cfg, frames, lens, hw, verdicts, n, ts);
}

unsigned pe_pkt_service_burst(const struct pe_pkt_cfg *cfg, uint8_t *const frames[],
			      uint32_t lens[], const uint8_t hw[], enum pe_drop verdicts[],
			      unsigned n)
{
	return pe_pkt_service_burst_at(cfg, frames, lens, hw, verdicts, n, PE_PKT_TS_NONE);
}

enum pe_drop pe_pkt_echo(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len)
{
	return pe_pkt_echo_at(cfg, frame, len, PE_PKT_TS_NONE);
}

enum pe_drop pe_pkt_echo_at(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len,
			    uint32_t ts)
{
	switch (cfg->mode) {
	case PE_MODE_SERVICE:
		return service_one(cfg, frame, len, ts);
	case PE_MODE_L2:
		return pe_pkt_l2(frame, len);
	case PE_MODE_L4:
		return pe_pkt_l4(frame, len);
	}
	return PE_DROP_PROTO;
}
