/* SPDX-License-Identifier: MIT */
/* Text rendering: compact interval lines and testpmd-like summary blocks. */
#include <stdio.h>

#include "report_priv.h"

static void text_drops(FILE *f, const struct pe_counters *c)
{
	int first = 1;

	fprintf(f, "drops: %llu", (unsigned long long)pe_counters_drops(c));
	for (unsigned i = PE_DROP_NONE + 1; i < PE_DROP_MAX; i++) {
		if (!c->drops[i])
			continue;
		fprintf(f, "%s%s %llu", first ? " (" : ", ", pe_drop_name((enum pe_drop)i),
			(unsigned long long)c->drops[i]);
		first = 0;
	}
	if (!first)
		fputc(')', f);
}

const char *pe_report_text_safe(const char *in, char *buf, size_t len)
{
	size_t i = 0;

	for (; i < len - 1 && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];

		buf[i] = in[i];
		if (c < 0x20 || c == 0x7f)
			buf[i] = '?';
	}
	buf[i] = '\0';
	return buf;
}

/* One compact interval line: "[label] RX-packets: ... drops: N (reason n, ...)". */
static void text_line(FILE *f, const char *prefix, const char *label, const struct view *v)
{
	char safe[PE_STATS_LABEL_LEN];

	fprintf(f,
		"[%s %s] RX-packets: %llu TX-packets: %llu Rx-pps: %.0f Tx-pps: %.0f Rx-bps: %.0f Tx-bps: %.0f RX-missed: %llu RX-nombuf: %llu TX-dropped: %llu ",
		prefix, pe_report_text_safe(label, safe, sizeof(safe)),
		(unsigned long long)v->c.rx_packets, (unsigned long long)v->c.tx_packets,
		report_finite0(v->r.rx_pps), report_finite0(v->r.tx_pps),
		report_finite0(v->r.rx_bps), report_finite0(v->r.tx_bps),
		(unsigned long long)v->c.rx_missed, (unsigned long long)v->c.rx_nombuf,
		(unsigned long long)v->c.drops[PE_DROP_TX_FULL]);
	text_drops(f, &v->c);
}

static void text_extra_inline(FILE *f, const struct pe_report_kv *extra)
{
	for (; extra && extra->key; extra++)
		fprintf(f, " %s: %s", extra->key, extra->json_value ? extra->json_value : "null");
}

void report_text_interval(FILE *f, const struct pe_report_meta *meta,
			  const struct pe_stats_snapshot *prev, const struct pe_stats_snapshot *cur,
			  const struct pe_report_kv *extra)
{
	uint64_t p_ns = prev ? prev->time_ns : cur->time_ns;
	const char *svc = report_meta_service(meta);
	struct view v;

	/* With one block the total line says it all. */
	for (unsigned i = 0; cur->n_blocks > 1 && i < cur->n_blocks; i++) {
		report_view_make(report_block_ctrs(prev, i), &cur->blocks[i].c, p_ns, cur->time_ns,
				 0, &v);
		text_line(f, svc, cur->blocks[i].name, &v);
		fputc('\n', f);
	}
	report_view_make(prev ? &prev->total : &report_zero_counters, &cur->total, p_ns,
			 cur->time_ns, 0, &v);
	text_line(f, svc, "total", &v);
	text_extra_inline(f, extra);
	fputc('\n', f);
}

/* The counters after the testpmd ones (from conns_opened on, report order) on one line, when any
 * is non-zero: "  Conns-opened: 3            Conns-closed: 3            Bytes-copied: 300". */
static void text_more(FILE *f, const struct pe_counters *c)
{
	unsigned i, any = 0;

	for (i = PE_CTR_POS_conns_opened; i < PE_COUNTERS_N; i++)
		any |= pe_counter_get(c, &pe_counter_report_order[i]) != 0;
	if (!any)
		return;
	fputs("  ", f);
	for (i = PE_CTR_POS_conns_opened; i < PE_COUNTERS_N; i++) {
		const struct pe_counter_desc *d = &pe_counter_report_order[i];

		fprintf(f, i + 1 < PE_COUNTERS_N ? "%s: %-12llu " : "%s: %llu\n", d->text_label,
			(unsigned long long)pe_counter_get(c, d));
	}
}

/* A testpmd-like block of the final statistics. */
static void text_block(FILE *f, const char *title, const struct view *v)
{
	const struct pe_counters *c = &v->c;

	fprintf(f, "  ---------------------- %s ----------------------\n", title);
	fprintf(f, "  RX-packets: %-14llu RX-missed: %-14llu RX-bytes:  %llu\n",
		(unsigned long long)c->rx_packets, (unsigned long long)c->rx_missed,
		(unsigned long long)c->rx_bytes);
	fprintf(f, "  RX-nombuf:  %llu\n", (unsigned long long)c->rx_nombuf);
	fprintf(f, "  TX-packets: %-14llu TX-dropped: %-13llu TX-bytes:  %llu\n",
		(unsigned long long)c->tx_packets, (unsigned long long)c->drops[PE_DROP_TX_FULL],
		(unsigned long long)c->tx_bytes);
	fprintf(f, "  Rx-pps:     %-14.0f Tx-pps:     %.0f\n", report_finite0(v->r.rx_pps),
		report_finite0(v->r.tx_pps));
	fprintf(f, "  Rx-bps:     %-14.0f Tx-bps:     %.0f\n", report_finite0(v->r.rx_bps),
		report_finite0(v->r.tx_bps));
	text_more(f, c);
	fputs("  ", f);
	text_drops(f, c);
	fputc('\n', f);
}

void report_text_summary(FILE *f, const struct pe_report_meta *meta,
			 const struct pe_stats_snapshot *first,
			 const struct pe_stats_snapshot *last, const struct pe_report_kv *extra)
{
	uint64_t f_ns = first ? first->time_ns : last->time_ns;
	char title[96], safe[PE_STATS_LABEL_LEN];
	struct view v;

	for (unsigned i = 0; i < last->n_blocks; i++) {
		report_view_make(report_block_ctrs(first, i), &last->blocks[i].c, f_ns,
				 last->time_ns, 1, &v);
		snprintf(title, sizeof(title), "statistics for %s",
			 pe_report_text_safe(last->blocks[i].name, safe, sizeof(safe)));
		text_block(f, title, &v);
	}
	report_view_make(first ? &first->total : &report_zero_counters, &last->total, f_ns,
			 last->time_ns, 1, &v);
	snprintf(title, sizeof(title), "%s totals over %.3f s", report_meta_service(meta),
		 report_finite0(v.r.seconds));
	text_block(f, title, &v);
	for (; extra && extra->key; extra++)
		fprintf(f, "  %s: %s\n", extra->key,
			extra->json_value ? extra->json_value : "null");
	fputs("  ------------------------------------------------------------------------\n", f);
}
