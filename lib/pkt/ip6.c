/* SPDX-License-Identifier: MIT */
/* Service mode over IPv6: header, extension-header walk, ICMPv6 echo, UDP echo; NS goes to ndp.c.
 */
#include "pkt_priv.h"

enum {
	NH_HOPOPTS = 0,
	NH_TCP = 6,
	NH_UDP = 17,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_ICMP6 = 58,
	NH_DSTOPTS = 60,
};

/* Extension headers we know but do not serve: ESP, AH, Mobility, HIP, Shim6, experiments. */
static int ext_unsupported(uint8_t nh)
{
	return nh == 50 || nh == 51 || nh == 135 || nh == 139 || nh == 140 || nh == 253 ||
	       nh == 254;
}

/* TLV options of Hop-by-Hop / Destination Options (RFC 8200 4.2): malformed, or an unknown
 * option whose two high bits ask for the packet to be discarded. */
static int ext_opts_bad(const uint8_t *o, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t type = o[i];
		uint32_t olen;

		if (type == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (i + 1 >= n)
			return 1;
		olen = (uint32_t)o[i + 1] + 2;
		if (olen > n - i || (type >> 6) != 0)
			return 1;
		i += olen;
	}
	return 0;
}

/* Walk the extension headers between the fixed header and ip + end, within a count and byte
 * budget. On success *nh is the upper-layer protocol and *pos its offset from ip. */
static enum pe_drop ip6_walk(const uint8_t *ip, uint32_t end, uint8_t *nh_out, uint32_t *pos_out)
{
	uint8_t nh = ip[6];
	uint32_t pos = 40, bytes = 0;

	for (unsigned count = 0;; count++) {
		uint32_t hlen;

		if (nh != NH_HOPOPTS && nh != NH_DSTOPTS && nh != NH_ROUTING && nh != NH_FRAGMENT)
			break;
		if (count == PE_PKT_MAX_EXT_HDRS || (nh == NH_HOPOPTS && count != 0))
			return PE_DROP_IPV6_EXT; /* over budget; Hop-by-Hop only right after the
						    header */
		if (nh == NH_FRAGMENT)
			return PE_DROP_IP_FRAG;
		if (end - pos < 8)
			return PE_DROP_RUNT;
		hlen = ((uint32_t)ip[pos + 1] + 1) * 8;
		bytes += hlen;
		if (hlen > end - pos)
			return PE_DROP_RUNT;
		if (bytes > PE_PKT_MAX_EXT_BYTES)
			return PE_DROP_IPV6_EXT;
		if (nh == NH_ROUTING) {
			/* RH0 is deprecated (RFC 5095); segments left > 0 would ask us to forward.
			 */
			if (ip[pos + 2] == 0 || ip[pos + 3] != 0)
				return PE_DROP_IPV6_EXT;
		} else if (ext_opts_bad(ip + pos + 2, hlen - 2)) {
			return PE_DROP_IPV6_EXT;
		}
		nh = ip[pos];
		pos += hlen;
	}
	if (ext_unsupported(nh))
		return PE_DROP_IPV6_EXT;
	*nh_out = nh;
	*pos_out = pos;
	return PE_DROP_NONE;
}

static void ip6_reply(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint8_t *ip, uint32_t end,
		      uint32_t *len)
{
	pe_pkt_swap_16x2(ip + 8);
	ip[7] = cfg->ttl;
	pe_eth_reply(cfg, rx->f, rx->f + 6);
	*len = rx->l3 + end;
}

/* Pseudo-header (RFC 8200 8.1) without the upper-layer length. */
static uint64_t ip6_pseudo(const uint8_t *ip, uint8_t nh)
{
	return pe_csum_words(ip + 8, 32, PE_BE32(nh));
}

static enum pe_drop icmp6_echo(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint8_t *ip,
			       uint32_t pos, uint32_t end, uint32_t *len)
{
	uint8_t *ic = ip + pos;
	uint32_t n = end - pos;

	if (n < 8)
		return PE_DROP_RUNT;
	if (pe_ld16(ic) != PE_BE16(0x8000)) /* type 128 (echo request), code 0 */
		return PE_DROP_ICMP_TYPE;
	if (cfg->verify_csum &&
	    pe_csum_fold64(pe_csum_words(ic, n, ip6_pseudo(ip, NH_ICMP6) + PE_BE32(n))) != 0xffff)
		return PE_DROP_ICMP_CSUM;
	/* type 129 (echo reply); the address swap leaves the pseudo-header sum unchanged */
	pe_csum_set16(ic + 2, ic, PE_BE16(0x8100));
	ip6_reply(cfg, rx, ip, end, len);
	return PE_DROP_NONE;
}

static enum pe_drop udp6_echo(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint8_t *ip,
			      uint32_t pos, uint32_t end, uint32_t *len)
{
	uint32_t ulen;
	enum pe_drop d =
		pe_udp_echo(cfg, ip + pos, end - pos, ip6_pseudo(ip, NH_UDP), 1, rx->hw, &ulen);

	if (d != PE_DROP_NONE)
		return d;
	if (pos + ulen < end) { /* echo only the UDP datagram */
		end = pos + ulen;
		pe_st16(ip + 4, PE_BE16(end - 40));
	}
	ip6_reply(cfg, rx, ip, end, len);
	return PE_DROP_NONE;
}

static enum pe_drop ip6_addr_check(const struct pe_pkt_cfg *cfg, const struct pe_rx *rx,
				   const uint8_t *ip)
{
	if (!pe_pkt_ip6_src_ok(cfg, ip + 8))
		return PE_DROP_BAD_SRC_IP;
	if (!pkt_ip6_ours(cfg, ip + 24))
		return ip[24] == 0xff ? PE_DROP_DST_MULTICAST : PE_DROP_NOT_OUR_IP;
	if (rx->mac != PE_MAC_OURS)
		return PE_DROP_DST_MULTICAST;
	return PE_DROP_NONE;
}

enum pe_drop pkt_ip6(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t *len)
{
	uint8_t *ip = rx->f + rx->l3;
	uint32_t room = rx->len - rx->l3, end, pos;
	uint8_t nh;
	enum pe_drop d;

	if (room < 40)
		return PE_DROP_RUNT;
	if ((ip[0] >> 4) != 6)
		return PE_DROP_IP_VERSION;
	end = 40 + (uint32_t)pe_be16(ip + 4);
	if (end > room)
		return PE_DROP_IP_LEN;
	d = ip6_walk(ip, end, &nh, &pos);
	if (d != PE_DROP_NONE)
		return d;
	if (nh == NH_ICMP6 && pos < end && ip[pos] == 135) /* neighbour solicitation */
		return pkt_ndp_ns(cfg, rx, pos, end, len);
	d = ip6_addr_check(cfg, rx, ip);
	if (d != PE_DROP_NONE)
		return d;
	if (nh == NH_UDP)
		return udp6_echo(cfg, rx, ip, pos, end, len);
	if (nh == NH_ICMP6)
		return icmp6_echo(cfg, rx, ip, pos, end, len);
	if (nh == NH_TCP)
		return pe_tcp_drop(ip + pos, end - pos);
	return PE_DROP_PROTO;
}
