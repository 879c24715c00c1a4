/* SPDX-License-Identifier: MIT */
/* Neighbour Discovery: a Neighbor Solicitation for one of our addresses becomes, in place, the
 * Neighbor Advertisement that answers it (RFC 4861 7.1.1 validation, 7.2.4 reply). */
#include "pkt_priv.h"

#define NS_LEN		  24 /* type, code, checksum, reserved, target */
#define OPT_SLLA	  1
#define OPT_TLLA	  2
#define NA_FLAG_SOLICITED 0x40
#define NA_FLAG_OVERRIDE  0x20

/* ff02::1:ffXX:XXXX for the last three bytes of the target (RFC 4291 2.7.1). */
static int is_solicited_node(const uint8_t *dst, const uint8_t *target)
{
	static const uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

	return memcmp(dst, prefix, sizeof(prefix)) == 0 && memcmp(dst + 13, target + 13, 3) == 0;
}

/* Options must each have a non-zero length and fit (7.1.1); remember the source LL address. */
static enum pe_drop ns_options(const uint8_t *o, uint32_t n, const uint8_t **slla, int *has_slla)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t olen;

		if (n - i < 2 || o[i + 1] == 0)
			return PE_DROP_NDP_INVALID;
		olen = (uint32_t)o[i + 1] * 8;
		if (olen > n - i)
			return PE_DROP_NDP_INVALID;
		if (o[i] == OPT_SLLA) {
			*has_slla = 1;
			if (olen == 8) /* Ethernet: 6-byte address in one 8-byte unit */
				*slla = o + i + 2;
		}
		i += olen;
	}
	return PE_DROP_NONE;
}

/* Source and destination rules for an NS; src :: (DAD) only to the solicited-node group. */
static enum pe_drop ns_addrs(const struct pe_pkt_cfg *cfg, const struct pe_rx *rx,
			     const uint8_t *ip, const uint8_t *target, int has_slla)
{
	const uint8_t *src = ip + 8, *dst = ip + 24;
	int dst_mcast = is_solicited_node(dst, target);

	if (pe_ip6_unspec(src)) {
		if (!dst_mcast || has_slla)
			return PE_DROP_NDP_INVALID;
	} else if (!pe_pkt_ip6_src_ok(cfg, src)) {
		return PE_DROP_BAD_SRC_IP;
	}
	if (!dst_mcast && !pkt_ip6_ours(cfg, dst))
		return dst[0] == 0xff ? PE_DROP_DST_MULTICAST : PE_DROP_NOT_OUR_IP;
	/* A group MAC must be the one the IPv6 group maps to (RFC 2464 7): 33:33 + last 4 bytes. */
	if (rx->mac != PE_MAC_OURS &&
	    (!dst_mcast || rx->f[0] != 0x33 || rx->f[1] != 0x33 || memcmp(rx->f + 2, dst + 12, 4)))
		return PE_DROP_DST_MULTICAST;
	return PE_DROP_NONE;
}

static enum pe_drop ns_validate(const struct pe_pkt_cfg *cfg, const struct pe_rx *rx,
				const uint8_t *ip, uint32_t pos, uint32_t end, const uint8_t **slla)
{
	const uint8_t *ns = ip + pos;
	uint32_t n = end - pos;
	int has_slla = 0;
	enum pe_drop d;

	if (ip[7] != 255 || n < NS_LEN || ns[1] != 0)
		return PE_DROP_NDP_INVALID;
	if (cfg->verify_csum &&
	    pe_csum_fold64(pe_csum_words(
		    ns, n, pe_csum_words(ip + 8, 32, PE_BE32(58)) + PE_BE32(n))) != 0xffff)
		return PE_DROP_ICMP_CSUM;
	if (ns[8] == 0xff) /* target is multicast */
		return PE_DROP_NDP_INVALID;
	d = ns_options(ns + NS_LEN, n - NS_LEN, slla, &has_slla);
	if (d != PE_DROP_NONE)
		return d;
	/* The NA goes to the Source LL address: it must be another host's unicast MAC. */
	if (*slla && (((*slla)[0] & 1) || pe_mac_zero(*slla) || pe_mac_eq(*slla, cfg->mac)))
		return PE_DROP_BAD_SRC_MAC;
	d = ns_addrs(cfg, rx, ip, ns + 8, has_slla);
	if (d != PE_DROP_NONE)
		return d;
	return pkt_ip6_ours(cfg, ns + 8) ? PE_DROP_NONE : PE_DROP_NDP_NOT_OURS;
}

/* Write the NA over the NS: IPv6 header without extension headers, ICMPv6 right after it. The
 * Target LL address option (with Override set, 7.2.4) goes in when the request frame has room
 * for it (it always does when the NS carried a Source LL option), or when the NS went to a
 * multicast address (DAD, or no Source LL option), which requires it, and the caller has given
 * the tailroom to grow the frame by it (pe_pkt.h, PE_PKT_MAX_GROWTH). */
static void na_build(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint8_t *ip,
		     const uint8_t *target_in, const uint8_t *slla, uint32_t *len)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t target[16], src[16], mac[6];
	int dad = pe_ip6_unspec(ip + 8);
	int grow =
		ip[24] == 0xff && cfg->tailroom >= PE_PKT_MAX_GROWTH && rx->len <= PE_PKT_GROW_MAX;
	uint32_t n = rx->len - rx->l3 >= 40 + 32 || grow ? 32 : 24;
	uint8_t *na = ip + 40;

	memcpy(target, target_in, 16);
	memcpy(src, ip + 8, 16);
	memcpy(mac, dad ? all_nodes_mac : slla ? slla : rx->f + 6, 6);

	pe_st32(ip, PE_BE32(0x60000000u)); /* version 6, no traffic class or flow label */
	pe_st16(ip + 4, PE_BE16(n));
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, target, 16);
	memcpy(ip + 24, dad ? all_nodes : src, 16);

	memset(na, 0, 8);
	na[0] = 136;
	/* Override only with the Target LL option (7.2.4); Solicited unless answering DAD. */
	na[4] = (uint8_t)((n == 32 ? NA_FLAG_OVERRIDE : 0) | (dad ? 0 : NA_FLAG_SOLICITED));
	memcpy(na + 8, target, 16);
	if (n == 32) {
		na[24] = OPT_TLLA;
		na[25] = 1;
		memcpy(na + 26, cfg->mac, 6);
	}
	/* NDP is rare: recompute the checksum in full. */
	pe_st16(na + 2, (uint16_t)~pe_csum_fold64(pe_csum_words(
				na, n, pe_csum_words(ip + 8, 32, PE_BE32(58)) + PE_BE32(n))));
	pe_eth_reply(cfg, rx->f, mac);
	*len = rx->l3 + 40 + n;
}

enum pe_drop pkt_ndp_ns(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t pos, uint32_t end,
			uint32_t *len)
{
	uint8_t *ip = rx->f + rx->l3;
	const uint8_t *slla = NULL;
	enum pe_drop d = ns_validate(cfg, rx, ip, pos, end, &slla);
	uint8_t slla_copy[6];

	if (d != PE_DROP_NONE)
		return d;
	if (slla) { /* the NA overwrites the options area */
		memcpy(slla_copy, slla, 6);
		slla = slla_copy;
	}
	na_build(cfg, rx, ip, ip + pos + 8, slla, len);
	return PE_DROP_NONE;
}
