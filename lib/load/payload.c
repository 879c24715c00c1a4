/* SPDX-License-Identifier: MIT */
/* The payload: a big-endian header that identifies the run, flow and sequence, then a pattern
 * that any byte-exact echo returns unchanged. */
#include <errno.h>
#include <string.h>

#include "pe_load_payload.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void pe_load_hdr_encode(uint8_t *buf, const struct pe_load_hdr *h)
{
	put32(buf, PE_LOAD_MAGIC);
	put32(buf + 4, h->flow);
	put64(buf + 8, h->seq);
	put64(buf + 16, h->ts_ns);
	put64(buf + 24, h->nonce);
}

int pe_load_hdr_decode(const uint8_t *buf, size_t len, struct pe_load_hdr *h)
{
	if (len < PE_LOAD_HDR_LEN || get32(buf) != PE_LOAD_MAGIC)
		return -EBADMSG;
	h->flow = get32(buf + 4);
	h->seq = get64(buf + 8);
	h->ts_ns = get64(buf + 16);
	h->nonce = get64(buf + 24);
	return 0;
}

/* Position-dependent and never constant, so a truncated, shifted or zeroed echo shows. */
static uint8_t pattern_at(size_t i)
{
	return (uint8_t)(i * 7u + 0x5au);
}

void pe_load_tmpl_fill(uint8_t *buf, size_t size)
{
	for (size_t i = PE_LOAD_HDR_LEN; i < size; i++)
		buf[i] = pattern_at(i);
}

bool pe_load_payload_ok(const uint8_t *buf, size_t len, size_t size)
{
	if (len != size)
		return false;
	for (size_t i = PE_LOAD_HDR_LEN; i < size; i++)
		if (buf[i] != pattern_at(i))
			return false;
	return true;
}
