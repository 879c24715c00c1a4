/* SPDX-License-Identifier: MIT */
/* One schema, three renderings (json.c, text.c, prom.c over emit.c): what they share. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "report_priv.h"

int pe_report_fmt_parse(const char *text, enum pe_report_fmt *fmt)
{
	if (text && strcmp(text, "text") == 0)
		*fmt = PE_REPORT_TEXT;
	else if (text && strcmp(text, "json") == 0)
		*fmt = PE_REPORT_JSON;
	else
		return -EINVAL;
	return 0;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void counters_sub(const struct pe_counters *a, const struct pe_counters *b,
			 struct pe_counters *out)
{
#define PE_SUB_(name, pos, label, help) out->name = sub0(a->name, b->name);
	PE_COUNTERS(PE_SUB_)
#undef PE_SUB_
	for (unsigned i = 0; i < PE_DROP_MAX; i++)
		out->drops[i] = sub0(a->drops[i], b->drops[i]);
}

const struct pe_counters report_zero_counters;

/* Block i of a snapshot that may be missing (NULL, or fewer blocks): zeros then. */
const struct pe_counters *report_block_ctrs(const struct pe_stats_snapshot *s, unsigned i)
{
	return s && i < s->n_blocks ? &s->blocks[i].c : &report_zero_counters;
}

/* Interval views keep cumulative counts; summary views count over the run (last - first). */
void report_view_make(const struct pe_counters *prev, const struct pe_counters *cur,
		      uint64_t prev_ns, uint64_t cur_ns, int over_run, struct view *v)
{
	pe_rates_compute(prev, cur, prev_ns, cur_ns, &v->r);
	if (over_run)
		counters_sub(cur, prev, &v->c);
	else
		v->c = *cur;
}

double report_unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double report_finite0(double v)
{
	return isfinite(v) ? v : 0.0;
}

const char *report_meta_service(const struct pe_report_meta *meta)
{
	return meta && meta->service ? meta->service : "pktecho";
}

int report_finish(FILE *out)
{
	return ferror(out) ? -EIO : 0;
}

int pe_report_interval(FILE *out, enum pe_report_fmt fmt, const struct pe_report_meta *meta,
		       const struct pe_stats_snapshot *prev, const struct pe_stats_snapshot *cur,
		       const struct pe_report_kv *extra)
{
	if (!out || !cur)
		return -EINVAL;
	if (fmt == PE_REPORT_JSON)
		report_json_object(out, "interval", meta, prev, cur, 0, extra);
	else
		report_text_interval(out, meta, prev, cur, extra);
	return report_finish(out);
}

int pe_report_summary(FILE *out, enum pe_report_fmt fmt, const struct pe_report_meta *meta,
		      const struct pe_stats_snapshot *first, const struct pe_stats_snapshot *last,
		      const struct pe_report_kv *extra)
{
	if (!out || !last)
		return -EINVAL;
	if (fmt == PE_REPORT_JSON)
		report_json_object(out, "summary", meta, first, last, 1, extra);
	else
		report_text_summary(out, meta, first, last, extra);
	return report_finish(out);
}
