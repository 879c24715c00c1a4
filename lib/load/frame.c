/* SPDX-License-Identifier: MIT */
/* Ethernet/IPv4|IPv6/UDP frames for the DPDK mode, built and parsed as plain bytes so that the
 * unit tests (and lib/pkt's echo) can check them without DPDK. The UDP checksum is split: the
 * template's constant part is summed once per flow, the 32-byte payload header per packet. */
#include <string.h>
#include <sys/socket.h>

#include "pe_load_frame.h"
#include "pe_pkt.h"

#define ETH_LEN	     14
#define IP4_LEN	     20
#define IP6_LEN	     40
#define UDP_LEN	     8
#define ET_IP4	     0x0800
#define ET_ARP	     0x0806
#define ET_IP6	     0x86dd
#define PROTO_UDP    17
#define PROTO_ICMP6  58
#define ARP_FRAME    60
#define NDP_ICMP_LEN 32 /* NS/NA with one link-layer address option */

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool is_ip6(const struct pe_load_l2 *c)
{
	return c->family == AF_INET6;
}

static uint32_t ip_len(const struct pe_load_l2 *c)
{
	return is_ip6(c) ? 16 : 4;
}

uint32_t pe_load_frame_len(const struct pe_load_l2 *c)
{
	return ETH_LEN + (is_ip6(c) ? IP6_LEN : IP4_LEN) + UDP_LEN + c->size;
}

static void eth_put(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
}

/* IP header at f+14 for a payload of l4_len bytes; returns the L4 offset. */
static uint32_t ip_put(const struct pe_load_l2 *c, uint8_t *f, const uint8_t *src,
		       const uint8_t *dst, uint8_t proto, uint32_t l4_len, uint8_t ttl)
{
	uint8_t *ip = f + ETH_LEN;

	if (is_ip6(c)) {
		memset(ip, 0, IP6_LEN);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4_len);
		ip[6] = proto;
		ip[7] = ttl;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		return ETH_LEN + IP6_LEN;
	}
	memset(ip, 0, IP4_LEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP4_LEN + l4_len));
	put16(ip + 6, 0x4000); /* DF: never fragmented */
	ip[8] = ttl;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, pe_csum_fold(pe_csum_partial(ip, IP4_LEN, 0)));
	return ETH_LEN + IP4_LEN;
}

/* Pseudo-header sum (RFC 768 / RFC 8200 section 8.1). */
static uint32_t pseudo_sum(const struct pe_load_l2 *c, const uint8_t *src, const uint8_t *dst,
			   uint8_t proto, uint32_t l4_len)
{
	uint8_t tail[8] = {0};
	uint32_t sum = pe_csum_partial(src, ip_len(c), 0);

	sum = pe_csum_partial(dst, ip_len(c), sum);
	tail[2] = (uint8_t)(l4_len >> 8);
	tail[3] = (uint8_t)l4_len;
	tail[7] = proto;
	return pe_csum_partial(tail, 8, sum);
}

uint32_t pe_load_frame_tmpl(const struct pe_load_l2 *c, uint32_t flow, uint8_t *buf)
{
	uint32_t udp_len = UDP_LEN + c->size, off, sum;
	uint8_t *udp;

	eth_put(buf, c->dst_mac, c->src_mac, is_ip6(c) ? ET_IP6 : ET_IP4);
	off = ip_put(c, buf, c->src_ip, c->dst_ip, PROTO_UDP, udp_len, 64);
	udp = buf + off;
	put16(udp, (uint16_t)(PE_LOAD_SRC_PORT_BASE + flow));
	put16(udp + 2, c->dst_port);
	put16(udp + 4, (uint16_t)udp_len);
	put16(udp + 6, 0);
	memset(udp + UDP_LEN, 0, PE_LOAD_HDR_LEN < c->size ? PE_LOAD_HDR_LEN : c->size);
	pe_load_tmpl_fill(udp + UDP_LEN, c->size);
	sum = pseudo_sum(c, c->src_ip, c->dst_ip, PROTO_UDP, udp_len);
	sum = pe_csum_partial(udp, UDP_LEN, sum);
	/* The pattern starts at an even offset; an odd tail is the segment's last byte anyway. */
	if (c->size > PE_LOAD_HDR_LEN)
		sum = pe_csum_partial(udp + UDP_LEN + PE_LOAD_HDR_LEN, c->size - PE_LOAD_HDR_LEN,
				      sum);
	return sum;
}

/* The big-endian 16-bit words of v, summed: what the checksum sees of v on the wire. */
static uint64_t words64(uint64_t v)
{
	return (v >> 48) + ((v >> 32) & 0xffff) + ((v >> 16) & 0xffff) + (v & 0xffff);
}

void pe_load_frame_stamp(const struct pe_load_l2 *c, uint8_t *frame, uint32_t tmpl_sum,
			 const struct pe_load_hdr *h)
{
	uint8_t *udp = frame + ETH_LEN + (is_ip6(c) ? IP6_LEN : IP4_LEN);
	uint64_t sum = tmpl_sum;
	uint16_t csum;

	/* The header's share of the checksum from its fields, not from the bytes: no second pass
	 * over the 32 bytes just written (this is the per-packet cost of the DPDK mode). */
	pe_load_hdr_encode(udp + UDP_LEN, h);
	sum += words64(((uint64_t)PE_LOAD_MAGIC << 32) | h->flow) + words64(h->seq) +
	       words64(h->ts_ns) + words64(h->nonce);
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	csum = pe_csum_fold((uint32_t)sum);
	put16(udp + 6, csum ? csum : 0xffff); /* 0 means "no checksum" on the wire */
}

/* ---- parsing -------------------------------------------------------------------------------- */

static enum pe_frame_kind parse_arp(const struct pe_load_l2 *c, const uint8_t *f, uint32_t len,
				    uint8_t mac[6])
{
	const uint8_t *a = f + ETH_LEN;

	if (is_ip6(c) || len < ETH_LEN + 28 || get16(a) != 1 || get16(a + 2) != ET_IP4 ||
	    a[4] != 6 || a[5] != 4)
		return PE_FRAME_OTHER;
	if (get16(a + 6) == 1 && memcmp(a + 24, c->src_ip, 4) == 0)
		return PE_FRAME_ARP_REQUEST;
	if (get16(a + 6) == 2 && memcmp(a + 14, c->dst_ip, 4) == 0) {
		memcpy(mac, a + 8, 6);
		return PE_FRAME_ARP_REPLY;
	}
	return PE_FRAME_OTHER;
}

static enum pe_frame_kind parse_ndp(const struct pe_load_l2 *c, const uint8_t *f, uint32_t len,
				    uint8_t mac[6])
{
	const uint8_t *icmp = f + ETH_LEN + IP6_LEN;

	if (len < ETH_LEN + IP6_LEN + 24 || f[ETH_LEN + 7] != 255)
		return PE_FRAME_OTHER;
	if (icmp[0] == 135 && memcmp(icmp + 8, c->src_ip, 16) == 0)
		return PE_FRAME_NDP_NS;
	if (icmp[0] != 136 || memcmp(icmp + 8, c->dst_ip, 16) != 0)
		return PE_FRAME_OTHER;
	/* The target link-layer address option if present, else the frame's source. */
	if (len >= ETH_LEN + IP6_LEN + NDP_ICMP_LEN && icmp[24] == 2 && icmp[25] == 1)
		memcpy(mac, icmp + 26, 6);
	else
		memcpy(mac, f + 6, 6);
	return PE_FRAME_NDP_NA;
}

/* UDP between the target and us: the reply of an echo (addresses and ports swapped), or the
 * frame itself sent back by an L2 (MAC swap only) reflector. */
static enum pe_frame_kind parse_udp(const struct pe_load_l2 *c, uint32_t flows, const uint8_t *ip,
				    const uint8_t *udp, const uint8_t *end, uint32_t *flow,
				    const uint8_t **payload, uint32_t *plen)
{
	uint32_t n = ip_len(c), ulen, port;
	const uint8_t *src = is_ip6(c) ? ip + 8 : ip + 12, *dst = src + n;

	if (end - udp < UDP_LEN)
		return PE_FRAME_OTHER;
	ulen = get16(udp + 4);
	if (ulen < UDP_LEN || ulen > (uint32_t)(end - udp))
		return PE_FRAME_OTHER;
	if (memcmp(src, c->dst_ip, n) == 0 && memcmp(dst, c->src_ip, n) == 0 &&
	    get16(udp) == c->dst_port)
		port = get16(udp + 2);
	else if (memcmp(src, c->src_ip, n) == 0 && memcmp(dst, c->dst_ip, n) == 0 &&
		 get16(udp + 2) == c->dst_port)
		port = get16(udp);
	else
		return PE_FRAME_OTHER;
	if (port < PE_LOAD_SRC_PORT_BASE || port - PE_LOAD_SRC_PORT_BASE >= flows)
		return PE_FRAME_OTHER;
	*flow = port - PE_LOAD_SRC_PORT_BASE;
	*payload = udp + UDP_LEN;
	*plen = ulen - UDP_LEN;
	return PE_FRAME_ECHO;
}

enum pe_frame_kind pe_load_frame_parse(const struct pe_load_l2 *c, uint32_t flows,
				       const uint8_t *frame, uint32_t len, uint32_t *flow,
				       const uint8_t **payload, uint32_t *plen, uint8_t mac[6])
{
	const uint8_t *ip = frame + ETH_LEN;
	uint16_t type;

	if (len < ETH_LEN)
		return PE_FRAME_OTHER;
	type = get16(frame + 12);
	if (memcmp(frame, c->src_mac, 6) != 0 && !(frame[0] & 1))
		return PE_FRAME_OTHER; /* unicast to another host */
	if (type == ET_ARP)
		return parse_arp(c, frame, len, mac);
	if (type == ET_IP4 && !is_ip6(c) && len >= ETH_LEN + IP4_LEN) {
		uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4, tot = get16(ip + 2);

		if (ip[0] >> 4 != 4 || ihl < IP4_LEN || tot < ihl || ETH_LEN + tot > len ||
		    ip[9] != PROTO_UDP)
			return PE_FRAME_OTHER;
		return parse_udp(c, flows, ip, ip + ihl, ip + tot, flow, payload, plen);
	}
	if (type == ET_IP6 && is_ip6(c) && len >= ETH_LEN + IP6_LEN && ip[0] >> 4 == 6) {
		const uint8_t *l4 = ip + IP6_LEN, *end;

		if (ETH_LEN + IP6_LEN + (uint32_t)get16(ip + 4) > len)
			return PE_FRAME_OTHER;
		end = l4 + get16(ip + 4);
		if (ip[6] == PROTO_ICMP6)
			return parse_ndp(c, frame, (uint32_t)(end - frame), mac);
		if (ip[6] == PROTO_UDP)
			return parse_udp(c, flows, ip, l4, end, flow, payload, plen);
	}
	return PE_FRAME_OTHER;
}

/* ---- ARP and NDP ---------------------------------------------------------------------------- */

uint32_t pe_load_frame_arp(const struct pe_load_l2 *c, const uint8_t *req, uint8_t *buf)
{
	uint8_t *a = buf + ETH_LEN;

	memset(buf, 0, ARP_FRAME);
	eth_put(buf, req ? req + 6 : bcast, c->src_mac, ET_ARP);
	put16(a, 1);
	put16(a + 2, ET_IP4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, req ? 2 : 1);
	memcpy(a + 8, c->src_mac, 6);
	memcpy(a + 14, c->src_ip, 4);
	if (req) {
		memcpy(a + 18, req + ETH_LEN + 8, 6); /* the requester's MAC and IP */
		memcpy(a + 24, req + ETH_LEN + 14, 4);
	} else {
		memcpy(a + 24, c->dst_ip, 4);
	}
	return ARP_FRAME;
}

/* An NS or NA with one link-layer address option (ours). */
static uint32_t ndp_put(const struct pe_load_l2 *c, uint8_t *buf, const uint8_t *dmac,
			const uint8_t *dip, uint8_t type, const uint8_t *target)
{
	uint8_t *icmp = buf + ETH_LEN + IP6_LEN;
	uint32_t sum;

	eth_put(buf, dmac, c->src_mac, ET_IP6);
	ip_put(c, buf, c->src_ip, dip, PROTO_ICMP6, NDP_ICMP_LEN, 255);
	memset(icmp, 0, NDP_ICMP_LEN);
	icmp[0] = type;
	if (type == 136)
		icmp[4] = 0x60; /* solicited, override */
	memcpy(icmp + 8, target, 16);
	icmp[24] = type == 135 ? 1 : 2; /* source / target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, c->src_mac, 6);
	sum = pseudo_sum(c, c->src_ip, dip, PROTO_ICMP6, NDP_ICMP_LEN);
	put16(icmp + 2, pe_csum_fold(pe_csum_partial(icmp, NDP_ICMP_LEN, sum)));
	return ETH_LEN + IP6_LEN + NDP_ICMP_LEN;
}

uint32_t pe_load_frame_ns(const struct pe_load_l2 *c, uint8_t *buf)
{
	uint8_t mac[6] = {0x33, 0x33, 0xff, c->dst_ip[13], c->dst_ip[14], c->dst_ip[15]};
	uint8_t group[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	memcpy(group + 13, c->dst_ip + 13, 3);
	return ndp_put(c, buf, mac, group, 135, c->dst_ip);
}

uint32_t pe_load_frame_na(const struct pe_load_l2 *c, const uint8_t *ns, uint8_t *buf)
{
	return ndp_put(c, buf, ns + 6, ns + ETH_LEN + 8, 136, c->src_ip);
}
