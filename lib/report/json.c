/* SPDX-License-Identifier: MIT */
/* NDJSON rendering: one object per report (docs/reports.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "report_priv.h"

static void json_key(FILE *f, const char *key)
{
	fprintf(f, ",\"%s\":", key);
}

static void json_u64(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void json_rate(FILE *f, const char *key, double v)
{
	json_key(f, key);
	pe_json_double(f, v, 3);
}

static void json_drops(FILE *f, const struct pe_counters *c)
{
	int first = 1;

	fputs(",\"drops\":{", f);
	for (unsigned i = PE_DROP_NONE + 1; i < PE_DROP_MAX; i++) {
		if (!c->drops[i])
			continue;
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", pe_drop_name((enum pe_drop)i),
			(unsigned long long)c->drops[i]);
		first = 0;
	}
	fputc('}', f);
	json_u64(f, "drops_total", pe_counters_drops(c));
}

/* The counters and rates every object and every block carries (each field after a comma). */
static void json_view(FILE *f, const struct view *v)
{
	for (unsigned i = 0; i < PE_COUNTERS_N; i++) {
		const struct pe_counter_desc *d = &pe_counter_report_order[i];

		json_u64(f, d->name, pe_counter_get(&v->c, d));
		if (i == PE_CTR_POS_tx_bytes) {
			json_rate(f, "rx_pps", v->r.rx_pps);
			json_rate(f, "tx_pps", v->r.tx_pps);
			json_rate(f, "rx_bps", v->r.rx_bps);
			json_rate(f, "tx_bps", v->r.tx_bps);
			json_rate(f, "drop_pps", v->r.drop_pps);
		} else if (i == PE_CTR_POS_rx_missed) {
			json_u64(f, "tx_dropped", v->c.drops[PE_DROP_TX_FULL]);
		}
	}
	json_drops(f, &v->c);
}

static void json_block(FILE *f, const struct pe_stats_block *b, const struct view *v)
{
	fputs("{\"name\":", f);
	pe_json_string(f, b->name);
	if (b->port != UINT32_MAX)
		json_u64(f, "port", b->port);
	if (b->queue != UINT32_MAX)
		json_u64(f, "queue", b->queue);
	if (b->thread >= 0)
		json_u64(f, "thread", (uint64_t)b->thread);
	json_view(f, v);
	fputc('}', f);
}

static void json_extra(FILE *f, const struct pe_report_kv *extra)
{
	for (; extra && extra->key; extra++) {
		fputc(',', f);
		pe_json_string(f, extra->key);
		fputc(':', f);
		fputs(extra->json_value ? extra->json_value : "null", f);
	}
}

void report_json_object(FILE *f, const char *type, const struct pe_report_meta *meta,
			const struct pe_stats_snapshot *a, const struct pe_stats_snapshot *b,
			int over_run, const struct pe_report_kv *extra)
{
	uint64_t a_ns = a ? a->time_ns : b->time_ns;
	struct view v;

	fprintf(f, "{\"type\":\"%s\",\"schema\":%d,\"service\":", type, PE_REPORT_SCHEMA);
	pe_json_string(f, meta ? meta->service : NULL);
	fputs(",\"name\":", f);
	pe_json_string(f, meta ? meta->name : NULL);
	fputs(",\"mode\":", f);
	pe_json_string(f, meta ? meta->mode : NULL);
	json_key(f, "time");
	pe_json_double(f, report_unix_now(), 6);
	json_key(f, "elapsed_s");
	pe_json_double(f, b->time_ns > a_ns ? (double)(b->time_ns - a_ns) / 1e9 : 0.0, 6);
	report_view_make(a ? &a->total : &report_zero_counters, &b->total, a_ns, b->time_ns,
			 over_run, &v);
	json_view(f, &v);
	fputs(",\"blocks\":[", f);
	for (unsigned i = 0; i < b->n_blocks; i++) {
		report_view_make(report_block_ctrs(a, i), &b->blocks[i].c, a_ns, b->time_ns,
				 over_run, &v);
		if (i)
			fputc(',', f);
		json_block(f, &b->blocks[i], &v);
	}
	fputc(']', f);
	json_extra(f, extra);
	fputs("}\n", f);
}

int pe_report_hist_json(char *buf, size_t len, const struct pe_hist *h, double divisor)
{
	struct pe_hist_summary s;
	double d = divisor > 0 && isfinite(divisor) ? divisor : 1.0;
	char num[7][400];
	int n;

	pe_hist_summarize(h, &s);
	report_fmt_fixed(num[0], sizeof(num[0]), report_finite0(s.mean / d), 3);
	report_fmt_fixed(num[1], sizeof(num[1]), (double)s.min / d, 3);
	report_fmt_fixed(num[2], sizeof(num[2]), (double)s.p50 / d, 3);
	report_fmt_fixed(num[3], sizeof(num[3]), (double)s.p90 / d, 3);
	report_fmt_fixed(num[4], sizeof(num[4]), (double)s.p99 / d, 3);
	report_fmt_fixed(num[5], sizeof(num[5]), (double)s.p999 / d, 3);
	report_fmt_fixed(num[6], sizeof(num[6]), (double)s.max / d, 3);
	n = snprintf(buf, len,
		     "{\"count\":%llu,\"mean\":%s,\"min\":%s,\"p50\":%s,\"p90\":%s,\"p99\":%s,"
		     "\"p999\":%s,\"max\":%s}",
		     (unsigned long long)s.count, num[0], num[1], num[2], num[3], num[4], num[5],
		     num[6]);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}
