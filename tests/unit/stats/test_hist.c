/* SPDX-License-Identifier: MIT */
/* lib/stats latency histogram: bucket geometry, percentiles against known distributions within
 * the bucket precision, merge, extremes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pe_hist.h"

/* A percentile is a bucket midpoint: within half a bucket, i.e. 1/64 of the value, of the truth. */
static void assert_close(uint64_t got, uint64_t exact)
{
	double tol = (double)exact / 64.0 + 1.0;

	if (fabs((double)got - (double)exact) > tol)
		fail_msg("percentile %llu, exact %llu (tolerance %.1f)", (unsigned long long)got,
			 (unsigned long long)exact, tol);
}

static struct pe_hist *hist_new(void)
{
	struct pe_hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	pe_hist_init(h);
	return h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The exact p-th percentile of sorted values with the same rank rule: ceil(p% * n). */
static uint64_t exact_pct(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n / 100.0 * (1.0 - 1e-12));

	return sorted[rank ? rank - 1 : 0];
}

static void check_against(const uint64_t *vals, size_t n)
{
	struct pe_hist *h = hist_new();
	uint64_t *sorted = malloc(n * sizeof(*sorted));
	const double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
	long double sum = 0;

	assert_non_null(sorted);
	for (size_t i = 0; i < n; i++) {
		pe_hist_record(h, vals[i]);
		sorted[i] = vals[i];
		sum += vals[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	assert_int_equal(h->count, n);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		assert_close(pe_hist_percentile(h, ps[i]), exact_pct(sorted, n, ps[i]));
	assert_int_equal(pe_hist_percentile(h, 100), sorted[n - 1]);
	assert_int_equal(pe_hist_percentile(h, 0), sorted[0]);
	assert_true(fabs(pe_hist_mean(h) - (double)(sum / n)) < 1e-6 * (double)(sum / n) + 1e-9);
	free(sorted);
	free(h);
}

static void test_bucket_geometry(void **state)
{
	unsigned prev = 0;

	(void)state;
	assert_int_equal(pe_hist_index(0), 0);
	assert_int_equal(pe_hist_index(63), 63);
	assert_int_equal(pe_hist_index(64), 64);
	assert_int_equal(pe_hist_bucket_low(64), 64);
	assert_int_equal(pe_hist_bucket_high(64), 65);
	assert_int_equal(pe_hist_index((1ull << 40) - 1), PE_HIST_BUCKETS - 1);
	assert_int_equal(pe_hist_index(1ull << 40), PE_HIST_BUCKETS - 1);
	assert_int_equal(pe_hist_index(UINT64_MAX), PE_HIST_BUCKETS - 1);
	/* Every bucket: contiguous with the next, at most 1/32 of its lower bound wide. */
	for (unsigned i = 0; i + 1 < PE_HIST_BUCKETS; i++) {
		uint64_t lo = pe_hist_bucket_low(i), hi = pe_hist_bucket_high(i);

		assert_int_equal(pe_hist_index(lo), i);
		assert_int_equal(pe_hist_index(hi), i);
		assert_int_equal(pe_hist_bucket_low(i + 1), hi + 1);
		assert_true(i < PE_HIST_LINEAR || (hi - lo + 1) * 32 <= lo);
	}
	/* Monotone over a dense sweep of small values and a sparse sweep of large ones. */
	for (uint64_t v = 0; v < 200000; v++) {
		unsigned i = pe_hist_index(v);

		assert_true(i >= prev);
		assert_true(pe_hist_bucket_low(i) <= v && v <= pe_hist_bucket_high(i));
		prev = i;
	}
	for (uint64_t v = 200000; v < (1ull << 41); v += v / 7 + 1) {
		unsigned i = pe_hist_index(v);

		assert_true(i >= prev);
		assert_true(pe_hist_bucket_low(i) <= v && v <= pe_hist_bucket_high(i));
		prev = i;
	}
}

static void test_empty(void **state)
{
	struct pe_hist *h = hist_new();
	struct pe_hist_summary s;

	(void)state;
	pe_hist_summarize(h, &s);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.min, 0);
	assert_int_equal(s.p50, 0);
	assert_int_equal(s.p999, 0);
	assert_int_equal(s.max, 0);
	assert_true(s.mean == 0.0);
	free(h);
}

static void test_constant(void **state)
{
	struct pe_hist *h = hist_new();
	struct pe_hist_summary s;

	(void)state;
	for (int i = 0; i < 1000; i++)
		pe_hist_record(h, 123457);
	pe_hist_summarize(h, &s);
	/* Clamped to [min, max]: a constant comes back exactly. */
	assert_int_equal(s.p50, 123457);
	assert_int_equal(s.p90, 123457);
	assert_int_equal(s.p99, 123457);
	assert_int_equal(s.p999, 123457);
	assert_int_equal(s.min, 123457);
	assert_int_equal(s.max, 123457);
	assert_true(s.mean == 123457.0);
	assert_int_equal(s.count, 1000);
	free(h);
}

static void test_uniform(void **state)
{
	size_t n = 1000000;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	assert_non_null(v);
	/* 1..n ns, each once, in a scrambled order (order must not matter). */
	for (size_t i = 0; i < n; i++)
		v[i] = 1 + (i * 7919) % n;
	check_against(v, n);
	/* Uniform 10 us .. 2 ms. */
	for (size_t i = 0; i < n; i++)
		v[i] = 10000 + (i * 104729) % 1990000;
	check_against(v, n);
	free(v);
}

static void test_exponential(void **state)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	assert_non_null(v);
	/* Evenly spaced quantiles of an exponential with mean 50 us, plus a 20 us floor. */
	for (size_t i = 0; i < n; i++)
		v[i] = 20000 + (uint64_t)(-50000.0 * log(1.0 - ((double)i + 0.5) / (double)n));
	check_against(v, n);
	free(v);
}

static void test_small_and_zero(void **state)
{
	uint64_t v[100];

	(void)state;
	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)(i % 50); /* exact region, including 0 */
	check_against(v, 100);
}

/* Tens of seconds keep their precision; beyond the range, max stays exact. */
static void test_large(void **state)
{
	struct pe_hist *h = hist_new();
	uint64_t big = 30ull * 1000000000ull; /* 30 s */

	(void)state;
	for (int i = 0; i < 99; i++)
		pe_hist_record(h, big);
	pe_hist_record(h, 1ull << 50);
	assert_close(pe_hist_percentile(h, 50), big);
	assert_int_equal(pe_hist_percentile(h, 100), 1ull << 50);
	assert_int_equal(h->max, 1ull << 50);
	free(h);
}

static void test_merge(void **state)
{
	struct pe_hist *a = hist_new(), *b = hist_new(), *all = hist_new();

	(void)state;
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t v = 1000 + i * 37 % 500000;

		pe_hist_record(i % 3 ? a : b, v);
		pe_hist_record(all, v);
	}
	pe_hist_merge(a, b);
	assert_int_equal(a->count, all->count);
	assert_int_equal(a->sum, all->sum);
	assert_int_equal(a->min, all->min);
	assert_int_equal(a->max, all->max);
	assert_memory_equal(a->buckets, all->buckets, sizeof(a->buckets));
	/* Merging an empty histogram changes nothing (its min is UINT64_MAX, max 0). */
	pe_hist_init(b);
	pe_hist_merge(a, b);
	assert_int_equal(a->min, all->min);
	assert_int_equal(pe_hist_percentile(a, 99), pe_hist_percentile(all, 99));
	free(a);
	free(b);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_geometry), cmocka_unit_test(test_empty),
		cmocka_unit_test(test_constant),	cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_exponential),	cmocka_unit_test(test_small_and_zero),
		cmocka_unit_test(test_large),		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
