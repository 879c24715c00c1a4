/* SPDX-License-Identifier: MIT */
/* lib/report internals shared by its renderers (json.c, text.c, prom.c) and the emitter (emit.c).
 * Not part of the interface. */
#ifndef PE_REPORT_PRIV_H
#define PE_REPORT_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pe_report.h"

/* What one row of a report shows: counts (cumulative, or over the run) and rates. */
struct view {
	struct pe_counters c;
	struct pe_rates r;
};

/* report.c */
extern const struct pe_counters report_zero_counters;
/* Block i of a snapshot that may be missing (NULL, or fewer blocks): zeros then. */
const struct pe_counters *report_block_ctrs(const struct pe_stats_snapshot *s, unsigned i);
/* Interval views keep cumulative counts; summary views count over the run (last - first). */
void report_view_make(const struct pe_counters *prev, const struct pe_counters *cur,
		      uint64_t prev_ns, uint64_t cur_ns, int over_run, struct view *v);
double report_unix_now(void);
/* v, or 0 when it is not finite (JSON has no NaN or infinity). */
double report_finite0(double v);
const char *report_meta_service(const struct pe_report_meta *meta);
/* 0, or -EIO when the stream failed. */
int report_finish(FILE *out);

/* emit.c */
/* Length of the well-formed UTF-8 sequence at p, or 0. */
size_t report_utf8_len(const unsigned char *p);
/* Replacement text for an ASCII byte, or NULL to write it as it is (tmp: room to build one). */
typedef const char *(*report_escape_fn)(unsigned char c, char tmp[8]);
void report_emit_utf8(FILE *f, const char *s, report_escape_fn esc, const char *bad);
void report_fmt_fixed(char *buf, size_t len, double v, int decimals);

/* json.c, text.c */
void report_json_object(FILE *f, const char *type, const struct pe_report_meta *meta,
			const struct pe_stats_snapshot *a, const struct pe_stats_snapshot *b,
			int over_run, const struct pe_report_kv *extra);
void report_text_interval(FILE *f, const struct pe_report_meta *meta,
			  const struct pe_stats_snapshot *prev, const struct pe_stats_snapshot *cur,
			  const struct pe_report_kv *extra);
void report_text_summary(FILE *f, const struct pe_report_meta *meta,
			 const struct pe_stats_snapshot *first,
			 const struct pe_stats_snapshot *last, const struct pe_report_kv *extra);

#endif
