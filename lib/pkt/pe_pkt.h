/* SPDX-License-Identifier: MIT */
/* lib/pkt: the packet core. One pure function over one Ethernet frame: parse with a bounds check
 * before every header access, validate, decide, and rewrite the frame in place into its reply.
 * No allocation, no copy, no syscalls, no DPDK. The DPDK lcores, the tests and the fuzzer call it.
 */
#ifndef PE_PKT_H
#define PE_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pe_drop.h"
#include "pe_ratelimit.h"

#define PE_PKT_MAX_ADDRS   16
#define PE_PKT_DEFAULT_TTL 64
#define PE_PKT_MAX_VLAN	   2
/* IPv6 extension-header walk budget (count and bytes) before the L4 header. */
#define PE_PKT_MAX_EXT_HDRS  8
#define PE_PKT_MAX_EXT_BYTES 256

enum pe_pkt_mode {
	PE_MODE_SERVICE = 0, /* a host: ARP, NDP, ICMP/ICMPv6 and UDP echo; policy enforced */
	PE_MODE_L2,	     /* swap MACs of any frame (benchmark rigs; no policy) */
	PE_MODE_L4,	     /* swap MACs, IPs, UDP/TCP ports like testpmd 5tswap (no policy) */
};

struct pe_pkt_ip4 {
	uint32_t addr;	/* network byte order */
	uint8_t prefix; /* 1..32; used to recognise the directed broadcast */
};

struct pe_pkt_ip6 {
	uint8_t addr[16];
	uint8_t prefix;
};

/* Configuration of the packet core. Build it with pe_pkt_cfg_init() and the setters below; the
 * struct is public so the hot path reads it without calls, but treat it as read-only there. */
struct pe_pkt_cfg {
	enum pe_pkt_mode mode;
	uint8_t mac[6];	  /* our MAC: ARP/NA replies carry it; frames to other unicast MACs drop */
	bool promisc;	  /* accept frames to any destination MAC (l2/l4 modes ignore the MAC) */
	bool verify_csum; /* verify IPv4/ICMP/UDP checksums (true; false only for fuzzing) */
	uint8_t ttl;	  /* TTL / hop limit of echo replies (64) */
	unsigned n_ip4, n_ip6;
	struct pe_pkt_ip4 ip4[PE_PKT_MAX_ADDRS];
	struct pe_pkt_ip6 ip6[PE_PKT_MAX_ADDRS];
	uint8_t echo_ports[65536 / 8]; /* bitmap: UDP destination ports we echo on (default 7) */
	uint8_t loop_ports[65536 / 8]; /* bitmap: UDP source ports refused (7,9,13,17,19,37) */
	/* Reply rate limits per process (pe_ratelimit.h): global (off) and per source prefix
	 * (10000/1000). The services apply them; the packet core itself does not. */
	struct pe_rl_rate reply_limit, source_limit;
	unsigned limit_shares; /* socket service: loop threads sharing the limits (0 = 1) */
	/* NULL, or the limits as the control thread changes them at run time (the two above are
	 * the values at start); the workers follow it once per burst (pe_rl_follow). */
	struct pe_rl_live *live;
	/* The caller's promise: every frame of at most PE_PKT_GROW_MAX bytes it passes has this
	 * many writable bytes after its end (0, the default: none; PE_PKT_MAX_GROWTH lets an NA
	 * grow). */
	uint32_t tailroom;
	/* Which copy of pe_pkt_service_burst's loop runs: PE_PKT_ISA_BASE (x86-64 baseline, SSE2)
	 * or PE_PKT_ISA_AVX2 (AVX2 and BMI2, x86-64 only). pe_pkt_cfg_init picks AVX2 where the
	 * CPU has it; BASE forces the baseline (tests). Both give the same verdicts and bytes. */
	uint8_t isa;
};

enum { PE_PKT_ISA_BASE = 0, PE_PKT_ISA_AVX2 = 1 };

/* The one reply longer than its request: the NA answering an NS whose frame has no room for the
 * Target Link-Layer Address option, which RFC 4861 7.2.4 requires when the NS went to a
 * multicast address (a DAD probe; a multicast NS without Source LL option). It is
 * at most PE_PKT_MAX_GROWTH bytes longer (less when the request had Ethernet padding), and only
 * when cfg->tailroom >= PE_PKT_MAX_GROWTH (such an NS frame is at most 86 bytes, below
 * PE_PKT_GROW_MAX); without that room the NA goes without the option and with Override 0, as it
 * must then. Every other reply is never longer. */
#define PE_PKT_MAX_GROWTH 8
#define PE_PKT_GROW_MAX	  128

/* Defaults: service mode, TTL 64, checksums verified, echo port 7, loop ports 7,9,13,17,19,37,
 * no addresses, zero MAC, reply limit off, source limit 10000/1000. */
void pe_pkt_cfg_init(struct pe_pkt_cfg *cfg);
/* Parse "ADDR[/PREFIX]" (IPv4 or IPv6) and add it. 0, or -EINVAL (bad text), -ENOSPC (too many),
 * -EADDRNOTAVAIL (not a unicast host address: replies would carry it as their source; IPv4 0/8,
 * 127/8, 224/4, 240/4, or the directed broadcast of its own /30-or-shorter prefix; IPv6 ::, ::1,
 * ff00::/8, ::ffff:0:0/96). */
int pe_pkt_cfg_add_ip(struct pe_pkt_cfg *cfg, const char *text);
/* Parse "7,9,1000-1010" into the echo-port (or loop-port) bitmap, replacing it. 0 or -EINVAL. */
int pe_pkt_cfg_set_ports(uint8_t bitmap[65536 / 8], const char *list);
/* Parse "service" | "l2" | "l4". 0 or -EINVAL. */
int pe_pkt_mode_parse(const char *text, enum pe_pkt_mode *mode);
const char *pe_pkt_mode_name(enum pe_pkt_mode mode);

/* The 32 bits of a port bitmap that hold port_host's bit, as bit port_host % 32: bit p of the
 * bitmap is bit p % 8 of byte p / 8, so on a little-endian host one 4-byte load is the word. */
static inline uint32_t pe_pkt_port_word(const uint8_t bitmap[65536 / 8], uint16_t port_host)
{
	uint32_t w;

	memcpy(&w, bitmap + ((port_host >> 3) & ~3u), sizeof(w));
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	return w;
}

static inline bool pe_pkt_port_in(const uint8_t bitmap[65536 / 8], uint16_t port_host)
{
	return (pe_pkt_port_word(bitmap, port_host) >> (port_host & 31)) & 1;
}

/* A UDP source port that could be another reflecting service: a loop port (chargen, echo ...),
 * or one of our own echo ports, since the peer may be an echo service configured like us; two
 * echo services answering each other loop forever on one spoofed datagram (FreeBSD inetd refuses
 * the ports of its own services for the same reason). */
static inline int pe_pkt_udp_sport_loops(const struct pe_pkt_cfg *cfg, uint16_t sport)
{
	uint32_t w =
		pe_pkt_port_word(cfg->loop_ports, sport) | pe_pkt_port_word(cfg->echo_ports, sport);

	return (int)((w >> (sport & 31)) & 1) | (int)(sport == 0);
}

/* Echo one frame in place according to cfg->mode.
 * frame/len: the received Ethernet frame (from the destination MAC; no FCS).
 * Returns PE_DROP_NONE when frame now holds the reply and *len its length (never longer than the
 * input but for the NA above, within cfg->tailroom; Ethernet padding beyond the IP length is
 * trimmed), or the reason it must be dropped (the
 * frame may then be partly rewritten and must not be sent). */
enum pe_drop pe_pkt_echo(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len);
/* The time of IPv4 Timestamp options (RFC 791) in service-mode replies: the packet core reads no
 * clock, the caller passes it. ts: milliseconds since midnight UT (pe_pkt_ts_of_unix_ms), or
 * PE_PKT_TS_NONE, RFC 791's "non-standard" value (the high bit set) that the calls without a
 * time (pe_pkt_echo, pe_pkt_service, pe_pkt_service_burst) write. */
#define PE_PKT_TS_NONE 0x80000000u
static inline uint32_t pe_pkt_ts_of_unix_ms(uint64_t unix_ms)
{
	return (uint32_t)(unix_ms % 86400000u);
}
enum pe_drop pe_pkt_echo_at(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len,
			    uint32_t ts);

/* The modes one by one, for loops that dispatch once per burst rather than per packet.
 * pe_pkt_l2(frame, len) and pe_pkt_l4(frame, len) have the same contract as pe_pkt_echo; they
 * are static inline (pe_pkt_inline.h, included below) so that a poll loop inlines them. */
enum pe_drop pe_pkt_service(const struct pe_pkt_cfg *cfg, uint8_t *frame, uint32_t *len);
/* What the receiving port's checksum offload reported for a frame (pe_pkt_service_burst's hw[],
 * from DPDK's RX flags): GOOD skips the software verification, BAD drops the frame without
 * computing (counted as ip_bad_checksum / udp_bad_checksum, at the point of the parse where the
 * checksum is checked); neither (unknown, or "none") verifies in software. IP: the IPv4 header
 * checksum; L4: the UDP checksum, over IPv4 or IPv6 (ICMP is always verified in software). */
enum {
	PE_CSUM_IP_GOOD = 1,
	PE_CSUM_IP_BAD = 2,
	PE_CSUM_L4_GOOD = 4,
	PE_CSUM_L4_BAD = 8,
};
/* Service mode over a burst: exactly pe_pkt_service on each frames[i] (lens[i] in: the frame's
 * length, out: the reply's), verdicts[i] its verdict; the per-call setup is paid once per burst.
 * hw[i]: PE_CSUM_* bits of frames[i]; hw NULL: nothing known (every checksum verified).
 * Returns how many frames took the full parse; 0 means every verdict is PE_DROP_NONE and no
 * reply is longer than its request (a caller's per-burst fast case). */
unsigned pe_pkt_service_burst(const struct pe_pkt_cfg *cfg, uint8_t *const frames[],
			      uint32_t lens[], const uint8_t hw[], enum pe_drop verdicts[],
			      unsigned n);
/* The same with the time of IPv4 Timestamp options (pe_pkt_echo_at). */
unsigned pe_pkt_service_burst_at(const struct pe_pkt_cfg *cfg, uint8_t *const frames[],
				 uint32_t lens[], const uint8_t hw[], enum pe_drop verdicts[],
				 unsigned n, uint32_t ts);

/* Source-address policy shared with the socket fallback: true when addr may receive a reply
 * (a unicast host address that is not zero, loopback, multicast, class E, limited broadcast, a
 * directed broadcast of one of our prefixes, nor one of our own addresses). IPv4 in network order.
 */
bool pe_pkt_ip4_src_ok(const struct pe_pkt_cfg *cfg, uint32_t addr);
bool pe_pkt_ip6_src_ok(const struct pe_pkt_cfg *cfg, const uint8_t addr[16]);

/* Internet checksum helpers (RFC 1071 / RFC 1624), exported for the tests, the load generator and
 * the socket path. Sums are over network-order bytes: pe_csum_partial adds the data's 16-bit
 * big-endian words (an odd last byte is padded with a zero byte) to sum as host integers, and
 * returns the result, not yet folded; chain calls over even-length pieces only. pe_csum_fold
 * folds and complements it: the checksum in host order (store it with htons). A region whose
 * stored checksum is right sums to 0xffff, so pe_csum_fold() of it returns 0. */
uint32_t pe_csum_partial(const void *data, uint32_t len, uint32_t sum);
uint16_t pe_csum_fold(uint32_t sum);

#include "pe_pkt_inline.h"

#endif
