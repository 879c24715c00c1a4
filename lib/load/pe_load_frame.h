/* SPDX-License-Identifier: MIT */
/* lib/load Ethernet frames for the DPDK mode: plain bytes, no DPDK types. */
#ifndef PE_LOAD_FRAME_H
#define PE_LOAD_FRAME_H

#include <stdint.h>

#include "pe_load_payload.h"

#define PE_LOAD_SRC_PORT_BASE 49152 /* flow i sends from UDP port base + i */
#define PE_LOAD_FRAME_MAX     1514  /* frames fit one 2 KiB mbuf and a 1500-byte MTU */

/* The addresses of generated frames. IPv4 addresses sit in the first 4 bytes, network order. */
struct pe_load_l2 {
	uint8_t src_mac[6], dst_mac[6];
	int family; /* AF_INET or AF_INET6 */
	uint8_t src_ip[16], dst_ip[16];
	uint16_t dst_port; /* host order */
	uint32_t size;	   /* UDP payload bytes */
};

enum pe_frame_kind {
	PE_FRAME_OTHER = 0, /* not for us: ignored */
	PE_FRAME_ECHO, /* UDP from the target to one of our flow ports: *flow, *payload, *plen */
	PE_FRAME_ARP_REQUEST, /* who-has our IPv4 address: answer with pe_load_frame_arp */
	PE_FRAME_ARP_REPLY,   /* the target's MAC: in mac */
	PE_FRAME_NDP_NS,      /* solicitation for our IPv6 address: answer with pe_load_frame_na */
	PE_FRAME_NDP_NA,      /* the target's MAC: in mac */
};

/* Ethernet + IPv4/IPv6 + UDP + size bytes. */
uint32_t pe_load_frame_len(const struct pe_load_l2 *c);
/* Flow flow's frame into buf (pe_load_frame_len bytes): headers, IPv4 header checksum, payload
 * pattern, UDP checksum 0. Returns the not-yet-folded checksum sum of everything the UDP checksum
 * covers except the 32-byte payload header: pe_load_frame_stamp adds that per packet. */
uint32_t pe_load_frame_tmpl(const struct pe_load_l2 *c, uint32_t flow, uint8_t *buf);
/* Write h into a copy of the template and set its UDP checksum from the template's sum. */
void pe_load_frame_stamp(const struct pe_load_l2 *c, uint8_t *frame, uint32_t tmpl_sum,
			 const struct pe_load_hdr *h);
/* Classify a received frame (see enum pe_frame_kind). flows: how many flow ports are ours. */
enum pe_frame_kind pe_load_frame_parse(const struct pe_load_l2 *c, uint32_t flows,
				       const uint8_t *frame, uint32_t len, uint32_t *flow,
				       const uint8_t **payload, uint32_t *plen, uint8_t mac[6]);
/* ARP request for the target (req NULL, broadcast) or the reply to req (our MAC for our IP).
 * Returns the frame length (60, padded). buf: at least 60 bytes. */
uint32_t pe_load_frame_arp(const struct pe_load_l2 *c, const uint8_t *req, uint8_t *buf);
/* Neighbour solicitation for the target (to its solicited-node group), or the advertisement
 * answering the solicitation ns for our address. Returns the length; buf: at least 86 bytes. */
uint32_t pe_load_frame_ns(const struct pe_load_l2 *c, uint8_t *buf);
uint32_t pe_load_frame_na(const struct pe_load_l2 *c, const uint8_t *ns, uint8_t *buf);

#endif
