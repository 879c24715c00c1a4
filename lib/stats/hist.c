/* SPDX-License-Identifier: MIT */
/* Log-linear latency histogram: bounds, merge, percentiles. */
#include <string.h>

#include "pe_hist.h"

void pe_hist_init(struct pe_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void pe_hist_merge(struct pe_hist *dst, const struct pe_hist *src)
{
	for (unsigned i = 0; i < PE_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum = dst->sum + src->sum < dst->sum ? UINT64_MAX : dst->sum + src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t pe_hist_bucket_low(unsigned i)
{
	unsigned k, sub;

	if (i < PE_HIST_LINEAR)
		return i;
	if (i >= PE_HIST_BUCKETS)
		i = PE_HIST_BUCKETS - 1;
	k = (i - PE_HIST_LINEAR) / PE_HIST_SUB + PE_HIST_SUB_BITS + 1;
	sub = (i - PE_HIST_LINEAR) % PE_HIST_SUB;
	return (uint64_t)(PE_HIST_SUB + sub) << (k - PE_HIST_SUB_BITS);
}

uint64_t pe_hist_bucket_high(unsigned i)
{
	if (i < PE_HIST_LINEAR)
		return i;
	if (i >= PE_HIST_BUCKETS - 1)
		return UINT64_MAX; /* the last bucket also holds everything beyond 2^40 */
	return pe_hist_bucket_low(i + 1) - 1;
}

uint64_t pe_hist_percentile(const struct pe_hist *h, double p)
{
	uint64_t rank, seen = 0;
	double want;

	if (h->count == 0)
		return 0;
	if (!(p > 0.0))
		return h->min;
	if (p >= 100.0)
		return h->max;
	/* The rank-th smallest value, rank = ceil(p% of count), at least 1; the tiny shave keeps
	 * 99.9% of 1000 at rank 999 despite binary rounding. */
	want = p * (double)h->count / 100.0 * (1.0 - 1e-12);
	rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < PE_HIST_BUCKETS; i++) {
		uint64_t lo, hi, mid;

		seen += h->buckets[i];
		if (seen < rank)
			continue;
		lo = pe_hist_bucket_low(i);
		hi = i == PE_HIST_BUCKETS - 1 ? h->max : pe_hist_bucket_high(i);
		mid = lo + (hi - lo) / 2;
		return mid < h->min ? h->min : mid > h->max ? h->max : mid;
	}
	return h->max;
}

double pe_hist_mean(const struct pe_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

void pe_hist_summarize(const struct pe_hist *h, struct pe_hist_summary *out)
{
	out->count = h->count;
	out->mean = pe_hist_mean(h);
	out->min = h->count ? h->min : 0;
	out->p50 = pe_hist_percentile(h, 50.0);
	out->p90 = pe_hist_percentile(h, 90.0);
	out->p99 = pe_hist_percentile(h, 99.0);
	out->p999 = pe_hist_percentile(h, 99.9);
	out->max = h->count ? h->max : 0;
}
