/* SPDX-License-Identifier: MIT */
/* The frame builder and the independent checksum checker. Deliberately plain: byte-by-byte
 * big-endian arithmetic, no tricks, nothing shared with lib/pkt. */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "pe_testframes.h"

uint32_t pe_tf_sum(const uint8_t *p, size_t n, uint32_t init)
{
	uint64_t s = init;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t pe_tf_csum(const uint8_t *p, size_t n, uint32_t init)
{
	return (uint16_t)~pe_tf_sum(p, n, init);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void pe_tf_init(struct pe_tf *f)
{
	memset(f, 0, sizeof(*f));
	f->l3 = f->l4 = f->nh_off = -1;
}

void pe_tf_put16(struct pe_tf *f, uint32_t off, uint16_t v)
{
	assert(off + 2 <= PE_TF_MAX);
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

void pe_tf_bytes(struct pe_tf *f, const void *p, uint32_t n)
{
	assert(f->len + n <= PE_TF_MAX);
	if (n)
		memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void add8(struct pe_tf *f, uint8_t v)
{
	pe_tf_bytes(f, &v, 1);
}

static void add16(struct pe_tf *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	pe_tf_bytes(f, b, 2);
}

static void add_ip4(struct pe_tf *f, const char *text)
{
	uint8_t a[4];
	int ok = inet_pton(AF_INET, text, a);

	assert(ok == 1);
	(void)ok;
	pe_tf_bytes(f, a, 4);
}

static void add_ip6(struct pe_tf *f, const char *text)
{
	uint8_t a[16];
	int ok = inet_pton(AF_INET6, text, a);

	assert(ok == 1);
	(void)ok;
	pe_tf_bytes(f, a, 16);
}

void pe_tf_eth(struct pe_tf *f, const uint8_t dst[6], const uint8_t src[6])
{
	pe_tf_bytes(f, dst, 6);
	pe_tf_bytes(f, src, 6);
}

void pe_tf_vlan(struct pe_tf *f, uint16_t tpid, uint16_t tci)
{
	add16(f, tpid);
	add16(f, tci);
}

void pe_tf_ethertype(struct pe_tf *f, uint16_t type)
{
	add16(f, type);
}

void pe_tf_arp(struct pe_tf *f, uint16_t op, const uint8_t sha[6], const char *spa,
	       const uint8_t tha[6], const char *tpa)
{
	add16(f, 0x0806);
	f->l3 = (int)f->len;
	add16(f, 1);
	add16(f, 0x0800);
	add8(f, 6);
	add8(f, 4);
	add16(f, op);
	pe_tf_bytes(f, sha, 6);
	add_ip4(f, spa);
	pe_tf_bytes(f, tha, 6);
	add_ip4(f, tpa);
}

void pe_tf_ip4(struct pe_tf *f, const char *src, const char *dst, uint8_t ttl)
{
	add16(f, 0x0800);
	f->l3 = (int)f->len;
	f->ip = 4;
	add8(f, 0x45);
	add8(f, 0);	  /* TOS */
	add16(f, 0);	  /* total length: pe_tf_finish */
	add16(f, 0x1234); /* id */
	add16(f, 0);	  /* flags, fragment offset */
	add8(f, ttl);
	f->nh_off = (int)f->len;
	add8(f, 0);  /* protocol: the L4 call */
	add16(f, 0); /* checksum */
	add_ip4(f, src);
	add_ip4(f, dst);
}

void pe_tf_ip4_opts(struct pe_tf *f, const void *opts, uint32_t n)
{
	pe_tf_bytes(f, opts, n);
	while ((f->len - (uint32_t)f->l3) % 4)
		add8(f, 0);
	f->b[f->l3] = (uint8_t)(0x40 | (f->len - (uint32_t)f->l3) / 4);
}

void pe_tf_ip6(struct pe_tf *f, const char *src, const char *dst, uint8_t hlim)
{
	add16(f, 0x86dd);
	f->l3 = (int)f->len;
	f->ip = 6;
	add16(f, 0x6000);
	add16(f, 0);
	add16(f, 0); /* payload length: pe_tf_finish */
	f->nh_off = (int)f->len;
	add8(f, 59); /* no next header until something follows */
	add8(f, hlim);
	add_ip6(f, src);
	add_ip6(f, dst);
}

void pe_tf_ip6_ext(struct pe_tf *f, uint8_t nh, const void *body, uint32_t n)
{
	uint32_t start = f->len;

	f->b[f->nh_off] = nh;
	f->nh_off = (int)start;
	add8(f, 59);
	add8(f, 0);
	pe_tf_bytes(f, body, n);
	while ((f->len - start) % 8)
		add8(f, 0);
	if (nh != 44) /* the fragment header's second byte is reserved */
		f->b[start + 1] = (uint8_t)((f->len - start) / 8 - 1);
}

static void l4_start(struct pe_tf *f, uint8_t proto)
{
	if (f->nh_off >= 0)
		f->b[f->nh_off] = proto;
	f->l4 = (int)f->len;
	f->l4p = proto;
}

void pe_tf_udp(struct pe_tf *f, uint16_t sport, uint16_t dport)
{
	l4_start(f, 17);
	add16(f, sport);
	add16(f, dport);
	add16(f, 0);
	add16(f, 0);
}

void pe_tf_tcp(struct pe_tf *f, uint16_t sport, uint16_t dport)
{
	static const uint8_t rest[16] = {0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff};

	l4_start(f, 6);
	add16(f, sport);
	add16(f, dport);
	pe_tf_bytes(f, rest, sizeof(rest));
}

void pe_tf_icmp(struct pe_tf *f, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	l4_start(f, f->ip == 6 ? 58 : 1);
	add8(f, type);
	add8(f, code);
	add16(f, 0);
	add16(f, id);
	add16(f, seq);
}

void pe_tf_ns(struct pe_tf *f, const char *target)
{
	pe_tf_icmp(f, 135, 0, 0, 0);
	add_ip6(f, target);
}

void pe_tf_na(struct pe_tf *f, uint8_t flags, const char *target)
{
	pe_tf_icmp(f, 136, 0, 0, 0);
	f->b[f->l4 + 4] = flags;
	add_ip6(f, target);
}

void pe_tf_nd_lla(struct pe_tf *f, uint8_t type, const uint8_t mac[6])
{
	add8(f, type);
	add8(f, 1);
	pe_tf_bytes(f, mac, 6);
}

void pe_tf_proto(struct pe_tf *f, uint8_t proto)
{
	l4_start(f, proto);
}

void pe_tf_payload(struct pe_tf *f, const void *data, uint32_t n)
{
	pe_tf_bytes(f, data, n);
}

void pe_tf_pattern(struct pe_tf *f, uint32_t n, uint8_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		add8(f, (uint8_t)(seed + i * 7));
}

void pe_tf_finish(struct pe_tf *f)
{
	f->l3end = f->len;
	if (f->ip == 4)
		pe_tf_put16(f, (uint32_t)f->l3 + 2, (uint16_t)(f->len - (uint32_t)f->l3));
	if (f->ip == 6)
		pe_tf_put16(f, (uint32_t)f->l3 + 4, (uint16_t)(f->len - (uint32_t)f->l3 - 40));
	if (f->l4p == 17)
		pe_tf_put16(f, (uint32_t)f->l4 + 4, (uint16_t)(f->len - (uint32_t)f->l4));
	pe_tf_fix_csums(f);
}

/* Pseudo-header sum (RFC 768 / RFC 8200 8.1). */
static uint32_t pseudo(const uint8_t *ip, int v, uint8_t proto, uint32_t l4len)
{
	if (v == 4)
		return pe_tf_sum(ip + 12, 8, proto + l4len);
	return pe_tf_sum(ip + 8, 32, proto + (l4len >> 16) + (l4len & 0xffff));
}

void pe_tf_fix_csums(struct pe_tf *f)
{
	uint8_t *ip, *l4;
	uint32_t n, ck_off;
	uint16_t ck;

	if (f->ip == 0)
		return;
	ip = f->b + f->l3;
	if (f->ip == 4) {
		pe_tf_put16(f, (uint32_t)f->l3 + 10, 0);
		pe_tf_put16(f, (uint32_t)f->l3 + 10, pe_tf_csum(ip, (ip[0] & 0xfu) * 4, 0));
	}
	if (f->l4 < 0)
		return;
	l4 = f->b + f->l4;
	n = f->l3end - (uint32_t)f->l4;
	switch (f->l4p) {
	case 1:
	case 58:
		ck_off = 2;
		break;
	case 17:
		ck_off = 6;
		if (get16(l4 + 4) >= 8 && get16(l4 + 4) <= n)
			n = get16(l4 + 4); /* the checksum covers the UDP length only */
		break;
	case 6:
		ck_off = 16;
		break;
	default:
		return;
	}
	pe_tf_put16(f, (uint32_t)f->l4 + ck_off, 0);
	ck = pe_tf_csum(l4, n, f->l4p == 1 ? 0 : pseudo(ip, f->ip, f->l4p, n));
	if (ck == 0 && f->l4p == 17)
		ck = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	pe_tf_put16(f, (uint32_t)f->l4 + ck_off, ck);
}

void pe_tf_pad(struct pe_tf *f, uint32_t n)
{
	while (f->len < n)
		add8(f, 0);
}

/* L4 checksum check: proto, header at l4, n bytes, pseudo-header of ip (version v). */
static bool l4_ok(const uint8_t *ip, int v, uint8_t proto, const uint8_t *l4, uint32_t n)
{
	switch (proto) {
	case 1:
		return n < 4 || pe_tf_csum(l4, n, 0) == 0;
	case 58:
		return n < 4 || pe_tf_csum(l4, n, pseudo(ip, v, proto, n)) == 0;
	case 6:
		return n < 20 || pe_tf_csum(l4, n, pseudo(ip, v, proto, n)) == 0;
	case 17:
		if (n < 8)
			return true;
		if (get16(l4 + 4) < 8 || get16(l4 + 4) > n)
			return false;
		n = get16(l4 + 4);
		if (get16(l4 + 6) == 0)
			return v == 4;
		return pe_tf_csum(l4, n, pseudo(ip, v, proto, n)) == 0;
	}
	return true;
}

static bool ip4_ok(const uint8_t *ip, uint32_t avail)
{
	uint32_t hl, tot;

	if (avail < 20 || (ip[0] >> 4) != 4)
		return true;
	hl = (ip[0] & 0xfu) * 4;
	tot = get16(ip + 2);
	if (hl < 20 || hl > avail || tot < hl || tot > avail)
		return false;
	if (pe_tf_csum(ip, hl, 0) != 0)
		return false;
	if (get16(ip + 6) & 0x3fff) /* a fragment: L4 not checkable alone */
		return true;
	return l4_ok(ip, 4, ip[9], ip + hl, tot - hl);
}

static bool ip6_ok(const uint8_t *ip, uint32_t avail)
{
	uint32_t end, pos = 40;
	uint8_t nh;

	if (avail < 40 || (ip[0] >> 4) != 6)
		return true;
	end = 40 + get16(ip + 4);
	if (end > avail)
		return false;
	nh = ip[6];
	for (int i = 0; i < 64 && (nh == 0 || nh == 43 || nh == 60); i++) {
		if (pos + 8 > end)
			return true;
		uint32_t hlen = (ip[pos + 1] + 1u) * 8;
		if (pos + hlen > end)
			return true;
		nh = ip[pos];
		pos += hlen;
	}
	return l4_ok(ip, 6, nh, ip + pos, end - pos);
}

bool pe_tf_csums_ok(const uint8_t *frame, uint32_t len)
{
	uint32_t off = 12;
	uint16_t et;

	if (len < 14)
		return true;
	et = get16(frame + 12);
	while ((et == 0x8100 || et == 0x88a8 || et == 0x9100) && off + 6 <= len) {
		off += 4;
		et = get16(frame + off);
	}
	off += 2;
	if (et == 0x0800)
		return ip4_ok(frame + off, len - off);
	if (et == 0x86dd)
		return ip6_ok(frame + off, len - off);
	return true;
}

void pe_tf_bench_frame(struct pe_tf *f, const uint8_t dst_mac[6], uint32_t flow, uint8_t proto)
{
	char src[16];

	assert(flow < 254);
	snprintf(src, sizeof(src), "198.19.0.%u", (unsigned)flow + 1);
	pe_tf_init(f);
	pe_tf_eth(f, dst_mac, PE_GOLDEN_CLIENT);
	pe_tf_ip4(f, src, "198.18.0.2", 64);
	if (proto == IPPROTO_ICMP)
		pe_tf_icmp(f, 8, 0, (uint16_t)(flow + 1), 1);
	else
		pe_tf_udp(f, (uint16_t)(40000 + flow), 7);
	pe_tf_pattern(f, 64 - f->len, 1);
	pe_tf_finish(f);
}

FILE *pe_tf_pcap_open(const char *path)
{
	const uint32_t h[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1}; /* v2.4, Ethernet */
	FILE *f = fopen(path, "wb");

	if (f != NULL)
		fwrite(h, sizeof(h), 1, f);
	return f;
}

void pe_tf_pcap_write(FILE *f, const uint8_t *frame, uint32_t len, uint32_t usec)
{
	const uint32_t r[4] = {1, usec, len, len};

	fwrite(r, sizeof(r), 1, f);
	fwrite(frame, len, 1, f);
}
