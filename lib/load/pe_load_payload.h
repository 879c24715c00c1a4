/* SPDX-License-Identifier: MIT */
/* lib/load payloads: every payload starts with a 32-byte header (magic, flow id, sequence number,
 * send time, per-run nonce) followed by a fixed byte pattern, so the echoes of any RFC 862 server
 * (payload returned unchanged) can be matched. Layout: docs/load.md. */
#ifndef PE_LOAD_PAYLOAD_H
#define PE_LOAD_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PE_LOAD_MAGIC	 0x70654c44u /* "peLD" */
#define PE_LOAD_HDR_LEN	 32
#define PE_LOAD_MAX_SIZE 65507 /* the largest UDP/IPv4 payload */

/* The header, big-endian on the wire: magic u32, flow u32, seq u64, ts_ns u64, nonce u64. */
struct pe_load_hdr {
	uint32_t flow;
	uint64_t seq;
	uint64_t ts_ns; /* CLOCK_MONOTONIC when the packet was built */
	uint64_t nonce; /* per run: echoes of another run (or another generator) are not ours */
};

/* Write magic and h into buf[0..PE_LOAD_HDR_LEN). */
void pe_load_hdr_encode(uint8_t *buf, const struct pe_load_hdr *h);
/* Read a header: 0, or -EBADMSG when len is short or the magic is wrong. */
int pe_load_hdr_decode(const uint8_t *buf, size_t len, struct pe_load_hdr *h);
/* Fill buf[PE_LOAD_HDR_LEN..size) with the payload pattern (the header part is left alone). */
void pe_load_tmpl_fill(uint8_t *buf, size_t size);
/* True when len == size and the pattern after the header is intact. */
bool pe_load_payload_ok(const uint8_t *buf, size_t len, size_t size);

#endif
