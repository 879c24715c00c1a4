/* SPDX-License-Identifier: MIT */
/* Counter blocks in private memory or a shared-memory segment, lock-free snapshots, rates. */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "pe_stats.h"
#include "stats_priv.h"

uint64_t pe_stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

size_t stats_map_size(unsigned n_blocks)
{
	return sizeof(struct pe_stats_shm_hdr) + (size_t)n_blocks * sizeof(struct pe_stats_block);
}

void stats_init_blocks(struct pe_stats_block *blocks, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char name[PE_STATS_LABEL_LEN];

		snprintf(name, sizeof(name), "block%u", i);
		memset(&blocks[i], 0, sizeof(blocks[i]));
		pe_stats_block_label(&blocks[i], name, UINT32_MAX, UINT32_MAX, -1);
	}
}

static struct pe_stats *stats_create_private(unsigned n_blocks)
{
	struct pe_stats *s = calloc(1, sizeof(*s));
	size_t len = stats_map_size(n_blocks);
	void *map;

	if (!s)
		return NULL;
	/* Anonymous pages: zeroed, page-aligned, the same layout as a segment. */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		int err = errno;

		free(s);
		errno = err;
		return NULL;
	}
	s->map = map;
	s->map_len = len;
	s->hdr = map;
	s->blocks = (struct pe_stats_block *)((char *)map + sizeof(struct pe_stats_shm_hdr));
	s->n_blocks = n_blocks;
	stats_init_blocks(s->blocks, n_blocks);
	return s;
}

struct pe_stats *pe_stats_create(unsigned n_blocks, const char *shm_name)
{
	if (n_blocks == 0 || n_blocks > PE_STATS_MAX_BLOCKS) {
		errno = EINVAL;
		return NULL;
	}
	if (shm_name)
		return stats_shm_create(n_blocks, shm_name);
	return stats_create_private(n_blocks);
}

void pe_stats_destroy(struct pe_stats *s)
{
	if (!s)
		return;
	if (s->owner)
		stats_shm_release(s);
	if (s->map)
		munmap(s->map, s->map_len);
	free(s);
}

unsigned pe_stats_count(const struct pe_stats *s)
{
	return s ? s->n_blocks : 0;
}

struct pe_stats_block *pe_stats_block(struct pe_stats *s, unsigned i)
{
	return s && i < s->n_blocks ? &s->blocks[i] : NULL;
}

void pe_stats_block_label(struct pe_stats_block *b, const char *name, uint32_t port, uint32_t queue,
			  int32_t thread)
{
	snprintf(b->name, sizeof(b->name), "%s", name ? name : "");
	b->port = port;
	b->queue = queue;
	b->thread = thread;
}

#define PE_CTR_DESC_(n, pos, label, h) {#n, label, h, offsetof(struct pe_counters, n)},
const struct pe_counter_desc pe_counter_descs[PE_COUNTERS_N] = {PE_COUNTERS(PE_CTR_DESC_)};
#undef PE_CTR_DESC_
#define PE_CTR_DESC_(n, pos, label, h) [pos] = {#n, label, h, offsetof(struct pe_counters, n)},
const struct pe_counter_desc pe_counter_report_order[PE_COUNTERS_N] = {PE_COUNTERS(PE_CTR_DESC_)};
#undef PE_CTR_DESC_

/* Copy the counters one 64-bit word at a time, each an atomic load (the writer stores them so). */
static void counters_load(const struct pe_counters *src, struct pe_counters *dst)
{
#define PE_LOAD_(f)			     dst->f = __atomic_load_n(&src->f, __ATOMIC_RELAXED);
#define PE_LOAD_CTR_(name, pos, label, help) PE_LOAD_(name)
	PE_COUNTERS(PE_LOAD_CTR_)
	for (unsigned i = 0; i < PE_DROP_MAX; i++)
		PE_LOAD_(drops[i])
#undef PE_LOAD_CTR_
#undef PE_LOAD_
}

static void counters_add(struct pe_counters *acc, const struct pe_counters *c)
{
#define PE_ADD_(name, pos, label, help) acc->name += c->name;
	PE_COUNTERS(PE_ADD_)
#undef PE_ADD_
	for (unsigned i = 0; i < PE_DROP_MAX; i++)
		acc->drops[i] += c->drops[i];
}

/* A writer holds a block odd only for one burst; a writer preempted there (or killed there) must
 * not hang the reader: give up after a bounded wait. */
#define PE_SNAP_TIMEOUT_NS 250000000ull

static int block_read(const struct pe_stats_block *b, struct pe_stats_block *out)
{
	uint64_t deadline = 0;

	for (unsigned tries = 0;; tries++) {
		uint64_t s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);

		if (!(s1 & 1)) {
			counters_load(&b->c, &out->c);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s1) {
				out->seq = s1;
				break;
			}
		}
		if (tries < 64)
			continue;
		/* Let a preempted writer run; check the clock only now and then. */
		sched_yield();
		if ((tries & 63) == 0) {
			uint64_t now = pe_stats_now_ns();

			if (!deadline)
				deadline = now + PE_SNAP_TIMEOUT_NS;
			else if (now > deadline)
				return -EAGAIN;
		}
	}
	out->port = b->port;
	out->queue = b->queue;
	out->thread = b->thread;
	memcpy(out->name, b->name, sizeof(out->name));
	out->name[sizeof(out->name) - 1] = '\0';
	return 0;
}

int pe_stats_snapshot(const struct pe_stats *s, struct pe_stats_snapshot *snap)
{
	if (!s || !snap)
		return -EINVAL;
	memset(&snap->total, 0, sizeof(snap->total));
	snap->n_blocks = s->n_blocks;
	for (unsigned i = 0; i < s->n_blocks; i++) {
		int rc = block_read(&s->blocks[i], &snap->blocks[i]);

		if (rc < 0)
			return rc;
		counters_add(&snap->total, &snap->blocks[i].c);
	}
	snap->time_ns = pe_stats_now_ns();
	return 0;
}

uint64_t pe_counters_drops(const struct pe_counters *c)
{
	uint64_t sum = 0;

	/* PE_DROP_NONE is "not dropped": never part of the total. */
	for (unsigned i = PE_DROP_NONE + 1; i < PE_DROP_MAX; i++)
		sum += c->drops[i];
	return sum;
}

/* A counter that went backwards (a reset, a replaced block) yields no rate, not a huge one. */
static double rate(uint64_t prev, uint64_t cur, double seconds)
{
	return cur > prev ? (double)(cur - prev) / seconds : 0.0;
}

void pe_rates_compute(const struct pe_counters *prev, const struct pe_counters *cur,
		      uint64_t prev_ns, uint64_t cur_ns, struct pe_rates *out)
{
	memset(out, 0, sizeof(*out));
	if (cur_ns <= prev_ns)
		return;
	out->seconds = (double)(cur_ns - prev_ns) / 1e9;
	out->rx_pps = rate(prev->rx_packets, cur->rx_packets, out->seconds);
	out->tx_pps = rate(prev->tx_packets, cur->tx_packets, out->seconds);
	out->rx_bps = 8.0 * rate(prev->rx_bytes, cur->rx_bytes, out->seconds);
	out->tx_bps = 8.0 * rate(prev->tx_bytes, cur->tx_bytes, out->seconds);
	out->drop_pps = rate(pe_counters_drops(prev), pe_counters_drops(cur), out->seconds);
}
