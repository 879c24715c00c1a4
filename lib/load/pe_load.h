/* SPDX-License-Identifier: MIT */
/* lib/load: traffic generation for pktecho-load. Every payload starts with a 32-byte header
 * (magic, flow id, sequence number, send time, per-run nonce) followed by a fixed byte pattern, so
 * the echoes of any RFC 862 server (payload returned unchanged) can be matched: loss, reordering,
 * duplicates, corruption and round-trip latency. Pacing is a token bucket on CLOCK_MONOTONIC.
 * Each thread owns its flows (one socket, hence one source port, per flow). Layout: docs/load.md.
 */
#ifndef PE_LOAD_H
#define PE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pe_hist.h"
#include "pe_stats.h"

#define PE_LOAD_MAGIC	    0x70654c44u /* "peLD" */
#define PE_LOAD_HDR_LEN	    32
#define PE_LOAD_MAX_SIZE    65507 /* the largest UDP/IPv4 payload */
#define PE_LOAD_MAX_THREADS 64
#define PE_LOAD_MAX_FLOWS   4096
#define PE_LOAD_BATCH	    32

/* ---- payload ------------------------------------------------------------------------------ */

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

/* ---- pacing: a token bucket counted in nano-packets --------------------------------------- */

struct pe_pace {
	bool unlimited;
	uint64_t rate;	 /* packets per second (when !unlimited; 0 sends nothing) */
	uint64_t cap;	 /* bucket depth, nano-packets */
	uint64_t credit; /* nano-packets available */
	uint64_t last_ns;
};

/* rate_pps 0 with unlimited false sends nothing; burst is the bucket depth in packets (>= 1).
 * The bucket starts with one packet of credit so that a run does not begin with a burst. */
void pe_pace_init(struct pe_pace *p, bool unlimited, uint64_t rate_pps, uint32_t burst,
		  uint64_t now_ns);
/* Take up to want packets allowed at now_ns; returns how many were taken. */
uint32_t pe_pace_take(struct pe_pace *p, uint64_t now_ns, uint32_t want);
/* Return n taken packets that could not be sent (socket full); never beyond the bucket depth. */
void pe_pace_give(struct pe_pace *p, uint32_t n);
/* Nanoseconds from now_ns until one packet is allowed (0: now; UINT64_MAX: never). */
uint64_t pe_pace_wait_ns(const struct pe_pace *p, uint64_t now_ns);
/* Share of total for part i of n weighted by w[0..n): exact integer split, sums to total. */
uint64_t pe_load_split(uint64_t total, const unsigned *w, unsigned n, unsigned i);

/* ---- per-flow accounting ------------------------------------------------------------------ */

#define PE_ACCT_WINDOW 4096 /* sequences remembered behind the highest seen */

enum pe_acct_verdict {
	PE_ACCT_NEW = 0,    /* first echo of a measured sequence, in order */
	PE_ACCT_REORDERED,  /* first echo of a measured sequence lower than the highest seen */
	PE_ACCT_DUPLICATE,  /* seen before (within the window) */
	PE_ACCT_UNMEASURED, /* sent during warm-up (or never counted): ignored */
	PE_ACCT_BOGUS,	    /* a sequence that was never sent */
};

/* Sequences [first, end) of a flow are measured; below first is warm-up. */
struct pe_flow_acct {
	uint64_t first; /* UINT64_MAX until the measurement starts */
	uint64_t end;	/* UINT64_MAX until it ends */
	uint64_t received, reordered, duplicates, late;
	uint64_t highest; /* highest sequence seen + 1; 0 when none */
	uint64_t win[PE_ACCT_WINDOW / 64];
};

void pe_flow_acct_init(struct pe_flow_acct *a);
void pe_flow_acct_start(struct pe_flow_acct *a, uint64_t first_seq);
void pe_flow_acct_stop(struct pe_flow_acct *a, uint64_t end_seq);
/* Account one echo of seq when next_seq sequences have been sent on the flow. A measured echo too
 * old for the window (late) is counted as received and reordered: it cannot be told from a
 * duplicate, and an echo server does not duplicate. */
enum pe_acct_verdict pe_flow_acct_rx(struct pe_flow_acct *a, uint64_t seq, uint64_t next_seq);
/* Measured packets sent (end - first, 0 before the start). */
uint64_t pe_flow_acct_sent(const struct pe_flow_acct *a, uint64_t next_seq);

/* ---- targets -------------------------------------------------------------------------------- */

enum pe_load_proto {
	PE_LOAD_UDP = 0,
	PE_LOAD_TCP,
};

struct pe_load_target {
	enum pe_load_proto proto;
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

/* "udp://HOST:PORT" or "tcp://HOST:PORT"; IPv6 in brackets ("udp://[2001:2::2]:7"). HOST is a
 * literal address or a name. 0, -EINVAL (syntax), -ENOENT (name does not resolve). */
int pe_load_target_parse(const char *text, struct pe_load_target *t);
/* "udp://198.18.0.2:7" form of t into buf. */
void pe_load_target_format(const struct pe_load_target *t, char *buf, size_t len);

/* ---- Ethernet frames (the DPDK mode; plain bytes, no DPDK types) ----------------------------- */

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

/* ---- the generator ------------------------------------------------------------------------ */

struct pe_load_cfg {
	struct pe_load_target target;
	uint32_t size; /* payload (UDP) or message (TCP) bytes, PE_LOAD_HDR_LEN..PE_LOAD_MAX_SIZE */
	bool rate_max; /* send as fast as the sockets take it */
	uint64_t rate; /* total packets per second when !rate_max */
	uint64_t count;	      /* stop after this many measured packets in total (0: no limit) */
	uint64_t duration_ns; /* measured phase (0: until pe_load_stop or count) */
	uint64_t warmup_ns;   /* sent and echoed but not counted */
	uint64_t drain_ns;    /* after the last send, wait this long at most for echoes */
	unsigned threads, flows;
	const char *stats_name; /* export the live counters as /pktecho-NAME (NULL: private) */
	/* DPDK mode (after pe_load_dpdk_eal_init): generate frames on an ethdev port, one thread,
	 * UDP targets only. l2's IPs and ports come from the target and --src-ip; its MACs from the
	 * options, else the port's own and ARP/NDP for the target's. */
	bool dpdk;
	uint16_t dpdk_port;
	struct pe_load_l2 l2;
	bool src_mac_set, dst_mac_set;
	uint64_t link_wait_ns; /* wait for the link and the target's MAC (5 s) */
};

/* Defaults: size 64, rate 1000 pps, duration 10 s, no warm-up, drain 0.5 s, 1 thread, 1 flow. */
void pe_load_cfg_init(struct pe_load_cfg *cfg);

struct pe_load_result {
	double seconds; /* measured phase */
	uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes;
	uint64_t lost, reordered, duplicates, corrupt, foreign;
	uint64_t errors; /* errors other than a full socket buffer (e.g. ECONNREFUSED) */
	uint64_t warmup_tx, warmup_rx;
	struct pe_hist
		latency; /* round-trip times of the measured echoes, ns, all threads merged */
};

struct pe_load; /* opaque: flows, threads, counters */

/* Initialise DPDK's EAL from argv (argv[0] is a program name, EAL options up to "--"). Returns
 * how many arguments it took, like rte_eal_init, or -errno; -ENOTSUP in a build without DPDK. */
int pe_load_dpdk_eal_init(int argc, char **argv);
void pe_load_dpdk_cleanup(void);

/* Check cfg, open and connect the flows' sockets (DPDK mode: set the port up, wait for its link
 * and resolve the target's MAC: ENODEV no such port, ENOLINK link down, EHOSTUNREACH no ARP/NDP
 * answer). NULL with errno (EINVAL: bad cfg; ECONNREFUSED
 * and friends: a TCP target that does not accept). */
struct pe_load *pe_load_create(const struct pe_load_cfg *cfg);
void pe_load_destroy(struct pe_load *l); /* accepts NULL; joins threads still running */
/* Start the threads. 0 or -errno. */
int pe_load_start(struct pe_load *l);
/* Ask the threads to stop sending now and drain (safe from any thread, not from a signal
 * handler: set a flag there and call this from the main loop). */
void pe_load_stop(struct pe_load *l);
/* True once every thread has finished its drain. */
bool pe_load_done(const struct pe_load *l);
/* Join the threads and total the run. 0 or -errno. */
int pe_load_result(struct pe_load *l, struct pe_load_result *r);
/* After pe_load_result: the measured phase as a pair of snapshots for pe_report_summary, one
 * block per thread: zero counters at the start, the measured packets and bytes at the end. */
void pe_load_snapshots(const struct pe_load *l, struct pe_stats_snapshot *first,
		       struct pe_stats_snapshot *last);
/* Live counters, one block per thread (all packets, warm-up included), for interval reports. */
const struct pe_stats *pe_load_stats(const struct pe_load *l);
/* CLOCK_MONOTONIC in ns. */
uint64_t pe_load_now_ns(void);

#endif
