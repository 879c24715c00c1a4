/* SPDX-License-Identifier: MIT */
/* ARP (RFC 826): answer requests for our IPv4 addresses, unicast to the requester, from our MAC.
 * Probes (sender IP 0.0.0.0, RFC 5227) get the same reply, which defends the address. */
#include "pkt_priv.h"

#define ARP_LEN 28

enum pe_drop pkt_arp(const struct pe_pkt_cfg *cfg, struct pe_rx *rx, uint32_t *len)
{
	uint8_t *a = rx->f + rx->l3, *sha = a + 8, *spa = a + 14, *tha = a + 18, *tpa = a + 24;
	uint32_t room = rx->len - rx->l3;
	uint8_t req_sha[6], req_spa[4], req_tpa[4];

	if (room < 8)
		return PE_DROP_RUNT;
	/* Ethernet (1) / IPv4 (0x0800), 6-byte and 4-byte addresses */
	if (pe_ld32(a) != PE_BE32(0x00010800u) || pe_ld16(a + 4) != PE_BE16(0x0604))
		return PE_DROP_ARP_MALFORMED;
	if (room < ARP_LEN)
		return PE_DROP_RUNT;
	if (pe_ld16(a + 6) != PE_BE16(1) || pe_ld32(spa) == pe_ld32(tpa)) /* gratuitous */
		return PE_DROP_ARP_NOT_REQUEST;
	if ((sha[0] & 1) || pe_mac_zero(sha) || pe_mac_eq(sha, cfg->mac))
		return PE_DROP_BAD_SRC_MAC;
	if (pe_ld32(spa) != 0 && pe_ip4_src_bad(cfg, pe_ld32(spa)))
		return PE_DROP_BAD_SRC_IP;
	if (!pe_ip4_ours(cfg, pe_ld32(tpa)))
		return PE_DROP_ARP_NOT_OURS;
	if (rx->mac == PE_MAC_MCAST) /* requests are broadcast or unicast to us */
		return PE_DROP_DST_MULTICAST;

	memcpy(req_sha, sha, 6);
	memcpy(req_spa, spa, 4);
	memcpy(req_tpa, tpa, 4);
	pe_st16(a + 6, PE_BE16(2));
	memcpy(sha, cfg->mac, 6);
	memcpy(spa, req_tpa, 4);
	memcpy(tha, req_sha, 6);
	memcpy(tpa, req_spa, 4);
	pe_eth_reply(cfg, rx->f, req_sha);
	*len = rx->l3 + ARP_LEN;
	return PE_DROP_NONE;
}
