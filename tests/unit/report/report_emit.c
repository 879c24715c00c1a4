/* SPDX-License-Identifier: MIT */
/* Renders reports of two known snapshots for check_report.py, which parses them back.
 * Usage: report_emit interval-json|summary-json|interval-text|summary-text|prom|first-json */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_report.h"

static void add(struct pe_stats_block *b, uint64_t rx, uint64_t tx, uint64_t runt,
		uint64_t udp_csum, uint64_t tx_full)
{
	pe_stats_begin(b);
	pe_ctr_add(&b->c.rx_packets, rx);
	pe_ctr_add(&b->c.rx_bytes, 64 * rx);
	pe_ctr_add(&b->c.tx_packets, tx);
	pe_ctr_add(&b->c.tx_bytes, 64 * tx);
	pe_ctr_add(&b->c.drops[PE_DROP_RUNT], runt);
	pe_ctr_add(&b->c.drops[PE_DROP_UDP_CSUM], udp_csum);
	pe_ctr_add(&b->c.drops[PE_DROP_TX_FULL], tx_full);
	pe_stats_end(b);
}

int main(int argc, char **argv)
{
	struct pe_stats *s = pe_stats_create(2, NULL);
	struct pe_stats_snapshot *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct pe_stats_block *b0, *b1;
	const struct pe_report_meta meta = {.service = "pktecho-test", .name = "inst\"1"};
	static struct pe_hist hist;
	char lat[512];
	const struct pe_report_kv extra[] = {{"lost", "0"}, {"latency_us", lat}, {NULL, NULL}};
	const char *what = argc > 1 ? argv[1] : "";
	int rc = 2;

	if (!s || !a || !b)
		return 1;
	/* 990 round trips of 12.5 us and 10 of 40 us. */
	pe_hist_init(&hist);
	for (int i = 0; i < 1000; i++)
		pe_hist_record(&hist, i < 990 ? 12500 : 40000);
	if (pe_report_hist_json(lat, sizeof(lat), &hist, 1000.0) < 0)
		return 1;
	b0 = pe_stats_block(s, 0);
	b1 = pe_stats_block(s, 1);
	pe_stats_block_label(b0, "p0q0", 0, 0, -1);
	pe_stats_block_label(b1, "we\"ird\\name\n", UINT32_MAX, UINT32_MAX, 1);

	/* Snapshot a at t = 1 s. */
	add(b0, 400, 396, 2, 0, 2);
	add(b1, 100, 100, 0, 0, 0);
	if (pe_stats_snapshot(s, a) < 0)
		return 1;
	a->time_ns = 1000000000ull;

	/* Snapshot b at t = 3 s. */
	add(b0, 600, 594, 2, 2, 2);
	add(b1, 400, 400, 0, 0, 0);
	pe_ctr_set(&b0->c.rx_missed, 7);
	pe_ctr_set(&b0->c.rx_nombuf, 3);
	pe_ctr_add(&b1->c.conns_opened, 3);
	pe_ctr_add(&b1->c.conns_closed, 2);
	pe_ctr_add(&b1->c.bytes_copied, 32000);
	if (pe_stats_snapshot(s, b) < 0)
		return 1;
	b->time_ns = 3000000000ull;

	if (strcmp(what, "interval-json") == 0)
		rc = pe_report_interval(stdout, PE_REPORT_JSON, &meta, a, b, extra);
	else if (strcmp(what, "summary-json") == 0)
		rc = pe_report_summary(stdout, PE_REPORT_JSON, &meta, a, b, extra);
	else if (strcmp(what, "first-json") == 0) /* no previous snapshot: rates 0 */
		rc = pe_report_interval(stdout, PE_REPORT_JSON, NULL, NULL, b, NULL);
	else if (strcmp(what, "interval-text") == 0)
		rc = pe_report_interval(stdout, PE_REPORT_TEXT, &meta, a, b, extra);
	else if (strcmp(what, "summary-text") == 0)
		rc = pe_report_summary(stdout, PE_REPORT_TEXT, &meta, a, b, extra);
	else if (strcmp(what, "prom") == 0)
		rc = pe_report_prometheus(stdout, &meta, b);
	else
		fprintf(stderr, "report_emit: unknown mode '%s'\n", what);
	free(a);
	free(b);
	pe_stats_destroy(s);
	return rc == 0 ? 0 : 1;
}
