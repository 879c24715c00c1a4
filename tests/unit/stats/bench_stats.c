/* SPDX-License-Identifier: MIT */
/* Not a test: the cost of the stats hot path and of the readers, for docs and reviews.
 * Run: build/dev/tests/unit/stats/bench_stats */
#include <stdio.h>
#include <stdlib.h>

#include "pe_hist.h"
#include "pe_report.h"
#include "pe_stats.h"

#define BURSTS 20000000u

static double ns_per(uint64_t t0, uint64_t t1, uint64_t n)
{
	return (double)(t1 - t0) / (double)n;
}

/* One burst's accounting as a service does it: begin, five adds, end. */
static void bench_burst(struct pe_stats_block *b)
{
	uint64_t t0 = pe_stats_now_ns();

	for (unsigned i = 0; i < BURSTS; i++) {
		pe_stats_begin(b);
		pe_ctr_add(&b->c.rx_packets, 32);
		pe_ctr_add(&b->c.rx_bytes, 2048);
		pe_ctr_add(&b->c.tx_packets, 31);
		pe_ctr_add(&b->c.tx_bytes, 1984);
		pe_ctr_add(&b->c.drops[PE_DROP_UDP_CSUM], 1);
		pe_stats_end(b);
	}
	printf("burst accounting (begin, 5 adds, end): %.2f ns per burst\n",
	       ns_per(t0, pe_stats_now_ns(), BURSTS));
}

static void bench_hist(void)
{
	struct pe_hist *h = malloc(sizeof(*h));
	uint64_t t0, x = 88172645463325252ull;

	pe_hist_init(h);
	t0 = pe_stats_now_ns();
	for (unsigned i = 0; i < BURSTS; i++) {
		x ^= x << 13; /* xorshift: values spread over many buckets */
		x ^= x >> 7;
		x ^= x << 17;
		pe_hist_record(h, x >> 34);
	}
	printf("pe_hist_record: %.2f ns per value (p99 %llu)\n",
	       ns_per(t0, pe_stats_now_ns(), BURSTS),
	       (unsigned long long)pe_hist_percentile(h, 99));
	free(h);
}

static void bench_readers(unsigned n_blocks)
{
	struct pe_stats *s = pe_stats_create(n_blocks, NULL);
	struct pe_stats_snapshot *snap = malloc(sizeof(*snap));
	const struct pe_report_meta meta = {"bench", "b", "l4"};
	FILE *null = fopen("/dev/null", "w");
	unsigned reps = 200000 / n_blocks;
	uint64_t t0;

	t0 = pe_stats_now_ns();
	for (unsigned i = 0; i < reps; i++)
		pe_stats_snapshot(s, snap);
	printf("pe_stats_snapshot, %3u blocks: %8.0f ns", n_blocks,
	       ns_per(t0, pe_stats_now_ns(), reps));
	snap->blocks[0].c.drops[PE_DROP_RUNT] = 1;
	snap->total.drops[PE_DROP_RUNT] = 1;
	t0 = pe_stats_now_ns();
	for (unsigned i = 0; i < reps / 10 + 1; i++)
		pe_report_prometheus(null, &meta, snap);
	printf("   prometheus render: %8.0f ns\n", ns_per(t0, pe_stats_now_ns(), reps / 10 + 1));
	fclose(null);
	free(snap);
	pe_stats_destroy(s);
}

int main(void)
{
	struct pe_stats *s = pe_stats_create(1, NULL);

	bench_burst(pe_stats_block(s, 0));
	bench_hist();
	bench_readers(1);
	bench_readers(8);
	bench_readers(256);
	pe_stats_destroy(s);
	return 0;
}
