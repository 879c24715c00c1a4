/* SPDX-License-Identifier: MIT */
/* lib/load: traffic generation for pktecho-load. Each thread owns its flows (one socket, hence one
 * source port, per flow; or one DPDK port), paces them with its token bucket (pe_load_pace.h),
 * stamps payloads (pe_load_payload.h) and accounts their echoes (pe_load_acct.h). The other
 * interfaces of the module: pe_load_target.h, pe_load_frame.h. Layout: docs/load.md. */
#ifndef PE_LOAD_H
#define PE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pe_hist.h"
#include "pe_load_acct.h"
#include "pe_load_frame.h"
#include "pe_load_pace.h"
#include "pe_load_payload.h"
#include "pe_load_search.h"
#include "pe_load_target.h"
#include "pe_stats.h"

#define PE_LOAD_MAX_THREADS 64
#define PE_LOAD_MAX_FLOWS   4096
#define PE_LOAD_BATCH	    32

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

/* The generator's mode for reports: "udp", "tcp" or "dpdk". */
const char *pe_load_mode(const struct pe_load_cfg *cfg);

/* Defaults: size 64, rate 1000 pps, duration 10 s, no warm-up, drain 0.5 s, 1 thread, 1 flow. */
void pe_load_cfg_init(struct pe_load_cfg *cfg);

struct pe_load_result {
	double seconds; /* measured phase */
	uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes;
	uint64_t lost, reordered, duplicates, corrupt, foreign;
	uint64_t errors; /* errors other than a full socket buffer (e.g. ECONNREFUSED) */
	uint64_t warmup_tx, warmup_rx;
	uint64_t missed;	 /* due packets skipped: the generator fell behind its schedule */
	uint64_t rate_requested; /* packets per second asked for; 0 for --rate max */
	double send_seconds;	 /* the sending part of the measured phase */
	/* Round-trip times of the measured echoes, ns, all threads merged: from when the packet was
	 * built (latency) and from when the schedule had it due (latency_corrected: coordinated
	 * omission corrected; equal to latency at --rate max). */
	struct pe_hist latency, latency_corrected;
};

/* The generator fell short of its rate when the achieved send rate is below the requested one by
 * more than this fraction, or when due packets had to be skipped. */
#define PE_LOAD_SHORTFALL 0.01

/* Packets per second sent in the measured phase. */
double pe_load_tx_pps(const struct pe_load_result *r);
/* True when the generator could not send the rate asked of it (the one decision behind the
 * summary's shortfall warning and a search's generator_bound). */
bool pe_load_fell_short(const struct pe_load_result *r);

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
/* Start the threads for a run. The generator runs again after pe_load_result, with the same
 * flows (sequence numbers carry on; echoes of an earlier run count as warm-up). 0 or -errno. */
int pe_load_start(struct pe_load *l);
/* Before pe_load_start: the next run's rate (rate_max: as fast as possible), measured duration
 * and warm-up (the search's trials). */
void pe_load_set_run(struct pe_load *l, bool rate_max, uint64_t rate, uint64_t duration_ns,
		     uint64_t warmup_ns);
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
/* Live latency while a run goes on, for interval lines and Prometheus: every valid echo so far
 * (warm-up and earlier runs included) counted in fixed buckets, le = 1, 2, 5, 10, ... 100000 us
 * (pe_load_live_le_ns) and +Inf, with the count and sum; and the packets sent. Written by each
 * worker alone with relaxed atomic stores, read with atomic loads: safe from any thread. */
#define PE_LOAD_LIVE_BOUNDS 16
extern const uint64_t pe_load_live_le_ns[PE_LOAD_LIVE_BOUNDS];

struct pe_load_live {
	uint64_t tx;				   /* packets sent */
	uint64_t count;				   /* valid echoes */
	uint64_t sum_ns;			   /* of their latencies */
	uint64_t buckets[PE_LOAD_LIVE_BOUNDS + 1]; /* per bucket (not cumulative); last: +Inf */
};

/* All threads' live counts; corrected: latency from when due (latency_corrected_us). */
void pe_load_live(const struct pe_load *l, bool corrected, struct pe_load_live *out);
/* The q-quantile (0..1) of the echoes between two live reads, in ns, interpolated within its
 * bucket (as Prometheus' histogram_quantile); 0 when no echo. */
double pe_load_live_quantile(const struct pe_load_live *a, const struct pe_load_live *b, double q);

/* CLOCK_MONOTONIC in ns. */
uint64_t pe_load_now_ns(void);

#endif
