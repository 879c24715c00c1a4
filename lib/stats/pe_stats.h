/* SPDX-License-Identifier: MIT */
/* lib/stats: counters. One cache-aligned block per writer (a DPDK (port, queue) or a socket
 * thread); each block has exactly one writer thread. Readers sum blocks without locks: every
 * counter is a 64-bit word written with relaxed atomic stores, and a per-block sequence number
 * (seqlock) lets a reader take a consistent multi-field snapshot of a block. The blocks can live
 * in a shared-memory segment so that a separate process (pktecho-stat) can read them. */
#ifndef PE_STATS_H
#define PE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pe_drop.h"

#define PE_STATS_MAX_BLOCKS 256
#define PE_STATS_LABEL_LEN  48

/* The counters of one block, defined once: X(name, report_pos, text_label, help) in the order of
 * struct pe_counters, which is the shared-memory layout (version 1: append only, never reorder).
 * Every one is a monotonically increasing count (a Prometheus counter, pktecho_<name>_total).
 * report_pos is its place in JSON objects and telemetry (0 first); text_label its name in text
 * summaries; help the Prometheus HELP text. The struct, the sums, the renderers and telemetry are
 * generated from this list: a new counter is one line here (and its docs, docs/reports.md). */
#define PE_COUNTERS(X)                                                                             \
	X(rx_packets, 0, "RX-packets", "Packets received.")                                        \
	X(rx_bytes, 2, "RX-bytes", "Bytes received.")                                              \
	X(tx_packets, 1, "TX-packets", "Packets transmitted (echoed).")                            \
	X(tx_bytes, 3, "TX-bytes", "Bytes transmitted (echoed).")                                  \
	X(rx_nombuf, 4, "RX-nombuf", "RX mbuf allocation failures (DPDK).")                        \
	X(rx_missed, 5, "RX-missed",                                                               \
	  "Packets dropped by the NIC or vdev before the service saw them (DPDK).")                \
	X(conns_opened, 6, "Conns-opened", "TCP connections accepted (sockets).")                  \
	X(conns_closed, 7, "Conns-closed", "TCP connections closed (sockets).")                    \
	X(bytes_copied, 8, "Bytes-copied",                                                         \
	  "Bytes moved through user space (sockets; zero-copy paths add none).")

#define PE_CTR_FIELD_(name, pos, label, help) uint64_t name;
struct pe_counters {
	PE_COUNTERS(PE_CTR_FIELD_)
	uint64_t drops[PE_DROP_MAX]; /* by enum pe_drop (pe_drop.h: PE_DROP_REASONS) */
};
#undef PE_CTR_FIELD_

#define PE_CTR_COUNT_(name, pos, label, help) +1
enum { PE_COUNTERS_N = 0 PE_COUNTERS(PE_CTR_COUNT_) };
#undef PE_CTR_COUNT_

/* PE_CTR_POS_<name>: a counter's report_pos, for renderers that put other fields after one. */
#define PE_CTR_POS_(name, pos, label, help) PE_CTR_POS_##name = pos,
enum { PE_COUNTERS(PE_CTR_POS_) };
#undef PE_CTR_POS_

/* One counter of the list, for renderers: read it with pe_counter_get. */
struct pe_counter_desc {
	const char *name;	/* "rx_packets": JSON key, telemetry key, Prometheus metric stem */
	const char *text_label; /* "RX-packets" */
	const char *help;
	size_t offset; /* in struct pe_counters */
};
/* The counters in struct (and Prometheus) order, and in report (JSON, telemetry) order. */
extern const struct pe_counter_desc pe_counter_descs[PE_COUNTERS_N];
extern const struct pe_counter_desc pe_counter_report_order[PE_COUNTERS_N];

static inline uint64_t pe_counter_get(const struct pe_counters *c, const struct pe_counter_desc *d)
{
	return *(const uint64_t *)(const void *)((const char *)c + d->offset);
}

/* One writer's block, alone on its cache lines. */
struct pe_stats_block {
	uint64_t seq;	      /* odd while the writer is inside begin/end */
	uint32_t port, queue; /* labels: DPDK port and queue, or UINT32_MAX when not applicable */
	int32_t thread;	      /* label: socket thread index, or -1 */
	char name[PE_STATS_LABEL_LEN]; /* short name for text reports: "p0q1", "thread0", "udp0" */
	struct pe_counters c;
} __attribute__((aligned(64)));

struct pe_stats; /* opaque: the set of blocks, private memory or a shared-memory segment */

/* n_blocks blocks in private memory (shm_name NULL) or in a new shared-memory segment
 * "/pktecho-<shm_name>" (O_EXCL, mode 0600; a stale segment of a dead process is replaced).
 * NULL with errno on failure. */
struct pe_stats *pe_stats_create(unsigned n_blocks, const char *shm_name);
/* Unmaps and (for the owner) unlinks the segment. Accepts NULL. */
void pe_stats_destroy(struct pe_stats *s);
unsigned pe_stats_count(const struct pe_stats *s);
struct pe_stats_block *pe_stats_block(struct pe_stats *s, unsigned i);
/* Label a block (before workers start). port/queue UINT32_MAX and thread -1 mean "none". */
void pe_stats_block_label(struct pe_stats_block *b, const char *name, uint32_t port, uint32_t queue,
			  int32_t thread);

/* Writer side, hot path: wrap each burst's updates in begin/end; add with pe_ctr_add. */
static inline void pe_stats_begin(struct pe_stats_block *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}
static inline void pe_stats_end(struct pe_stats_block *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELEASE);
}
static inline void pe_ctr_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, *ctr + n, __ATOMIC_RELAXED);
}
static inline void pe_ctr_set(uint64_t *ctr, uint64_t v)
{
	__atomic_store_n(ctr, v, __ATOMIC_RELAXED);
}

/* A consistent copy of all blocks and their sum, stamped with CLOCK_MONOTONIC. */
struct pe_stats_snapshot {
	uint64_t time_ns;
	unsigned n_blocks;
	struct pe_counters total;
	struct pe_stats_block blocks[PE_STATS_MAX_BLOCKS];
};

/* Fill snap from s (seqlock retry per block; never blocks the writers). 0 or -errno. */
int pe_stats_snapshot(const struct pe_stats *s, struct pe_stats_snapshot *snap);
/* Sum of drops over all reasons of one counter set. */
uint64_t pe_counters_drops(const struct pe_counters *c);

/* Rates between two snapshots of the same counters (per second). */
struct pe_rates {
	double seconds;
	double rx_pps, tx_pps, rx_bps, tx_bps, drop_pps;
};
void pe_rates_compute(const struct pe_counters *prev, const struct pe_counters *cur,
		      uint64_t prev_ns, uint64_t cur_ns, struct pe_rates *out);

/* CLOCK_MONOTONIC in nanoseconds (the clock of snapshot time_ns). */
uint64_t pe_stats_now_ns(void);

/* ---- Shared-memory export (layout and versioning: docs/reports.md) ---- */

#define PE_STATS_NAME_MAX 63 /* longest shm_name: [A-Za-z0-9._-], not starting with '.' */
/* The rule as every program states it in its --stats-name error. */
#define PE_STATS_NAME_RULE "1..63 of [A-Za-z0-9._-], not starting with '.'"
#define PE_STATS_META_LEN  32

/* 1 when name is a valid --stats-name (the one rule for every program and the control queue). */
int pe_stats_name_valid(const char *name);

enum pe_stats_state {
	PE_STATS_INIT = 0,   /* being created */
	PE_STATS_LIVE = 1,   /* owner running */
	PE_STATS_CLOSED = 2, /* owner called pe_stats_destroy: a clean exit */
};

/* Errors of pe_stats_create with a shm_name (errno):
 *   EEXIST  the segment belongs to a live process
 *   EINVAL  bad name, or the path holds something that is not our segment (other user, wrong
 *           magic or size); it is left alone
 * Stale segments (owner process gone, or its pid reused) are unlinked and replaced silently. */

/* Attach read-only to "/pktecho-<shm_name>" (O_RDONLY, PROT_READ) after validating magic,
 * version and sizes. NULL with errno: ENOENT (no such segment), EINVAL (not a valid segment),
 * EAGAIN (still being created), EACCES (another user's object; root may read any). The blocks of an
 * attached set must not be written. */
struct pe_stats *pe_stats_attach(const char *shm_name);

/* Descriptive fields stored in the header for readers (pktecho-stat, reports). No-op on an
 * attached set. NULLs leave a field unchanged. A segment's service starts as the creating
 * program's name. */
void pe_stats_set_meta(struct pe_stats *s, const char *service, const char *mode);

struct pe_stats_info {
	int shared;	 /* 1 for a segment, 0 for private memory */
	int owner_pid;	 /* creator's pid (0 for private memory) */
	int owner_alive; /* owner process still exists (same pid and start time) */
	enum pe_stats_state state;
	uint64_t start_unix_ns;
	char service[PE_STATS_META_LEN];
	char mode[PE_STATS_META_LEN];
	char name[PE_STATS_NAME_MAX + 1];
};
/* 0 or -EINVAL. Reads the header anew each call: a reader polls it to see its owner exit. */
int pe_stats_info(const struct pe_stats *s, struct pe_stats_info *out);

/* "/dev/shm/pktecho-<shm_name>" into buf for messages. 0 or -EINVAL / -ENAMETOOLONG. */
int pe_stats_shm_path(const char *shm_name, char *buf, size_t len);
/* One-line explanation of an errno from pe_stats_create / pe_stats_attach. */
const char *pe_stats_strerror(int err);

#endif
