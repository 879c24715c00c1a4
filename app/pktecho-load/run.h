/* SPDX-License-Identifier: MIT */
/* pktecho-load's parts: one run (main.c), its summary (summary.c), the throughput search
 * (search.c). */
#ifndef PE_LOAD_RUN_H
#define PE_LOAD_RUN_H

#include <stdbool.h>

#include "opts.h"
#include "pe_load.h"
#include "pe_report.h"

/* Wait for the run to end, printing interval lines (o->interval_s) and passing Ctrl-C on. */
int run_wait(struct pe_load *l, const struct load_opts *o, const struct pe_report_meta *meta);
/* True once SIGINT or SIGTERM came. */
bool run_interrupted(void);
/* The summary record of a finished run (r from pe_load_result, first and last from
 * pe_load_snapshots); warnings also on stderr. */
int report_summary(const struct load_opts *o, const struct pe_report_meta *meta,
		   const struct pe_stats_snapshot *first, const struct pe_stats_snapshot *last,
		   const struct pe_load_result *r);
/* Helpers of the summary for the search's trial records: a latency histogram as JSON (null when
 * empty) into buf. */
void latency_json(char *buf, size_t len, const struct pe_hist *h);
/* --search: the trials, their records, the search record and the confirming trial's summary. */
int search_run(struct pe_load *l, const struct load_opts *o, const struct pe_report_meta *meta);

#endif
