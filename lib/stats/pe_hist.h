/* SPDX-License-Identifier: MIT */
/* lib/stats: a log-linear latency histogram (HdrHistogram-like). Values are unsigned integers,
 * meant as nanoseconds. Values below 64 have a bucket each (exact); from 64 up, each power-of-two
 * range [2^k, 2^(k+1)) is split into 32 equal sub-buckets, so a bucket is at most 1/32 (3.1%) of
 * its lower bound wide, and a percentile (the bucket's midpoint) is within 1/64 (1.6%) of a value
 * in that bucket. Ranges run up to 2^40 ns (about 18 minutes); larger values land in the last
 * bucket, while min, max, sum and count stay exact.
 *
 * One writer per histogram: record() is O(1), no allocation, no syscall. Threads keep their own
 * histogram and a reader merges them after the writers are done (merge is a plain sum). */
#ifndef PE_HIST_H
#define PE_HIST_H

#include <stdint.h>

#define PE_HIST_SUB_BITS 5
#define PE_HIST_SUB	 (1u << PE_HIST_SUB_BITS) /* 32 sub-buckets per power of two */
#define PE_HIST_LINEAR	 (2u * PE_HIST_SUB)	  /* values 0..63: one bucket each */
#define PE_HIST_MAX_POW	 40			  /* ranges up to 2^40 */
#define PE_HIST_BUCKETS	 (PE_HIST_LINEAR + (PE_HIST_MAX_POW - PE_HIST_SUB_BITS - 1) * PE_HIST_SUB)

struct pe_hist {
	uint64_t count;
	uint64_t sum; /* saturates at UINT64_MAX instead of wrapping */
	uint64_t min; /* UINT64_MAX while empty */
	uint64_t max;
	uint64_t buckets[PE_HIST_BUCKETS];
};

/* Bucket of value v. */
static inline unsigned pe_hist_index(uint64_t v)
{
	unsigned k, idx;

	if (v < PE_HIST_LINEAR)
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v); /* 2^k <= v < 2^(k+1), k >= 6 */
	if (k >= PE_HIST_MAX_POW)
		return PE_HIST_BUCKETS - 1;
	idx = PE_HIST_LINEAR + (k - PE_HIST_SUB_BITS - 1) * PE_HIST_SUB;
	return idx + (unsigned)(v >> (k - PE_HIST_SUB_BITS)) - PE_HIST_SUB;
}

static inline void pe_hist_record(struct pe_hist *h, uint64_t v)
{
	h->buckets[pe_hist_index(v)]++;
	h->count++;
	h->sum = h->sum + v < h->sum ? UINT64_MAX : h->sum + v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* Empty histogram. (A zeroed struct is not empty-ready: min must start at UINT64_MAX.) */
void pe_hist_init(struct pe_hist *h);
/* dst += src. */
void pe_hist_merge(struct pe_hist *dst, const struct pe_hist *src);
/* Smallest and largest value of bucket i (inclusive). */
uint64_t pe_hist_bucket_low(unsigned i);
uint64_t pe_hist_bucket_high(unsigned i);
/* Value at percentile p (0..100): the midpoint of the bucket holding the ceil(p% * count)-th
 * smallest value, clamped to [min, max] (so a constant input gives it back exactly, and p=100 is
 * max). 0 when empty. */
uint64_t pe_hist_percentile(const struct pe_hist *h, double p);
/* Arithmetic mean (exact while sum does not saturate); 0 when empty. */
double pe_hist_mean(const struct pe_hist *h);

struct pe_hist_summary {
	uint64_t count;
	double mean;
	uint64_t min, p50, p90, p99, p999, max; /* min is 0 when empty */
};
void pe_hist_summarize(const struct pe_hist *h, struct pe_hist_summary *out);

#endif
