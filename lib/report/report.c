/* SPDX-License-Identifier: MIT */
/* One schema, three renderings: text lines, NDJSON, Prometheus text exposition. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pe_report.h"

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

/* What one row of a report shows: counts (cumulative, or over the run) and rates. */
struct view {
	struct pe_counters c;
	struct pe_rates r;
};

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

static const struct pe_counters zero_counters;

/* Block i of a snapshot that may be missing (NULL, or fewer blocks): zeros then. */
static const struct pe_counters *block_ctrs(const struct pe_stats_snapshot *s, unsigned i)
{
	return s && i < s->n_blocks ? &s->blocks[i].c : &zero_counters;
}

/* Interval views keep cumulative counts; summary views count over the run (last - first). */
static void view_make(const struct pe_counters *prev, const struct pe_counters *cur,
		      uint64_t prev_ns, uint64_t cur_ns, int over_run, struct view *v)
{
	pe_rates_compute(prev, cur, prev_ns, cur_ns, &v->r);
	if (over_run)
		counters_sub(cur, prev, &v->c);
	else
		v->c = *cur;
}

static double unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double finite0(double v)
{
	return isfinite(v) ? v : 0.0;
}

/* ---------------------------------- JSON ---------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Strings reach JSON from the apps and, through a segment, from another process: JSON text must
 * be UTF-8, so a byte that is not part of a well-formed sequence becomes U+FFFD. */
void pe_json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n;

		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
			} else if (*p < 0x80) {
				fputc(*p, f);
			} else if ((n = utf8_len(p)) != 0) {
				fwrite(p, 1, n, f);
				p += n - 1;
			} else {
				fputs("\\ufffd", f);
			}
		}
	}
	fputc('"', f);
}

/* "%.*f" in the C locale whatever LC_NUMERIC says: printf writes the locale's radix character
 * (a comma in de_DE, possibly several bytes), which JSON does not accept. Without the ' flag the
 * output is [-]digits[radix digits], so any run of other bytes is the radix. */
static void fmt_fixed(char *buf, size_t len, double v, int decimals)
{
	char tmp[400];
	size_t o = 0;

	if (!isfinite(v))
		v = 0.0; /* JSON has no NaN or infinity */
	snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	for (const char *p = tmp; *p && o + 1 < len; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '-')
			buf[o++] = *p;
		else if (o > 0 && buf[o - 1] != '.')
			buf[o++] = '.';
	}
	buf[o] = '\0';
}

void pe_json_double(FILE *f, double v, int decimals)
{
	char buf[400];

	/* JSON has no NaN or infinity: a rate that cannot be computed is 0. */
	fmt_fixed(buf, sizeof(buf), v, decimals);
	fputs(buf, f);
}

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

static void json_object(FILE *f, const char *type, const struct pe_report_meta *meta,
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
	pe_json_double(f, unix_now(), 6);
	json_key(f, "elapsed_s");
	pe_json_double(f, b->time_ns > a_ns ? (double)(b->time_ns - a_ns) / 1e9 : 0.0, 6);
	view_make(a ? &a->total : &zero_counters, &b->total, a_ns, b->time_ns, over_run, &v);
	json_view(f, &v);
	fputs(",\"blocks\":[", f);
	for (unsigned i = 0; i < b->n_blocks; i++) {
		view_make(block_ctrs(a, i), &b->blocks[i].c, a_ns, b->time_ns, over_run, &v);
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
	fmt_fixed(num[0], sizeof(num[0]), finite0(s.mean / d), 3);
	fmt_fixed(num[1], sizeof(num[1]), (double)s.min / d, 3);
	fmt_fixed(num[2], sizeof(num[2]), (double)s.p50 / d, 3);
	fmt_fixed(num[3], sizeof(num[3]), (double)s.p90 / d, 3);
	fmt_fixed(num[4], sizeof(num[4]), (double)s.p99 / d, 3);
	fmt_fixed(num[5], sizeof(num[5]), (double)s.p999 / d, 3);
	fmt_fixed(num[6], sizeof(num[6]), (double)s.max / d, 3);
	n = snprintf(buf, len,
		     "{\"count\":%llu,\"mean\":%s,\"min\":%s,\"p50\":%s,\"p90\":%s,\"p99\":%s,"
		     "\"p999\":%s,\"max\":%s}",
		     (unsigned long long)s.count, num[0], num[1], num[2], num[3], num[4], num[5],
		     num[6]);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* ---------------------------------- text ---------------------------------- */

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
		"[%s %s] RX-packets: %llu TX-packets: %llu Rx-pps: %.0f Tx-pps: %.0f "
		"Rx-bps: %.0f Tx-bps: %.0f RX-missed: %llu RX-nombuf: %llu TX-dropped: %llu ",
		prefix, pe_report_text_safe(label, safe, sizeof(safe)),
		(unsigned long long)v->c.rx_packets, (unsigned long long)v->c.tx_packets,
		finite0(v->r.rx_pps), finite0(v->r.tx_pps), finite0(v->r.rx_bps),
		finite0(v->r.tx_bps), (unsigned long long)v->c.rx_missed,
		(unsigned long long)v->c.rx_nombuf,
		(unsigned long long)v->c.drops[PE_DROP_TX_FULL]);
	text_drops(f, &v->c);
}

static const char *meta_service(const struct pe_report_meta *meta)
{
	return meta && meta->service ? meta->service : "pktecho";
}

static void text_extra_inline(FILE *f, const struct pe_report_kv *extra)
{
	for (; extra && extra->key; extra++)
		fprintf(f, " %s: %s", extra->key, extra->json_value ? extra->json_value : "null");
}

static void text_interval(FILE *f, const struct pe_report_meta *meta,
			  const struct pe_stats_snapshot *prev, const struct pe_stats_snapshot *cur,
			  const struct pe_report_kv *extra)
{
	uint64_t p_ns = prev ? prev->time_ns : cur->time_ns;
	const char *svc = meta_service(meta);
	struct view v;

	/* With one block the total line says it all. */
	for (unsigned i = 0; cur->n_blocks > 1 && i < cur->n_blocks; i++) {
		view_make(block_ctrs(prev, i), &cur->blocks[i].c, p_ns, cur->time_ns, 0, &v);
		text_line(f, svc, cur->blocks[i].name, &v);
		fputc('\n', f);
	}
	view_make(prev ? &prev->total : &zero_counters, &cur->total, p_ns, cur->time_ns, 0, &v);
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
	fprintf(f, "  Rx-pps:     %-14.0f Tx-pps:     %.0f\n", finite0(v->r.rx_pps),
		finite0(v->r.tx_pps));
	fprintf(f, "  Rx-bps:     %-14.0f Tx-bps:     %.0f\n", finite0(v->r.rx_bps),
		finite0(v->r.tx_bps));
	text_more(f, c);
	fputs("  ", f);
	text_drops(f, c);
	fputc('\n', f);
}

static void text_summary(FILE *f, const struct pe_report_meta *meta,
			 const struct pe_stats_snapshot *first,
			 const struct pe_stats_snapshot *last, const struct pe_report_kv *extra)
{
	uint64_t f_ns = first ? first->time_ns : last->time_ns;
	char title[96], safe[PE_STATS_LABEL_LEN];
	struct view v;

	for (unsigned i = 0; i < last->n_blocks; i++) {
		view_make(block_ctrs(first, i), &last->blocks[i].c, f_ns, last->time_ns, 1, &v);
		snprintf(title, sizeof(title), "statistics for %s",
			 pe_report_text_safe(last->blocks[i].name, safe, sizeof(safe)));
		text_block(f, title, &v);
	}
	view_make(first ? &first->total : &zero_counters, &last->total, f_ns, last->time_ns, 1, &v);
	snprintf(title, sizeof(title), "%s totals over %.3f s", meta_service(meta),
		 finite0(v.r.seconds));
	text_block(f, title, &v);
	for (; extra && extra->key; extra++)
		fprintf(f, "  %s: %s\n", extra->key,
			extra->json_value ? extra->json_value : "null");
	fputs("  ------------------------------------------------------------------------\n", f);
}

static int finish(FILE *out)
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
		json_object(out, "interval", meta, prev, cur, 0, extra);
	else
		text_interval(out, meta, prev, cur, extra);
	return finish(out);
}

int pe_report_summary(FILE *out, enum pe_report_fmt fmt, const struct pe_report_meta *meta,
		      const struct pe_stats_snapshot *first, const struct pe_stats_snapshot *last,
		      const struct pe_report_kv *extra)
{
	if (!out || !last)
		return -EINVAL;
	if (fmt == PE_REPORT_JSON)
		json_object(out, "summary", meta, first, last, 1, extra);
	else
		text_summary(out, meta, first, last, extra);
	return finish(out);
}

/* ------------------------------- Prometheus ------------------------------- */

/* Label values escape backslash, double quote and newline (exposition format 0.0.4) and must be
 * UTF-8: a malformed byte becomes U+FFFD, as in JSON. */
static void prom_label(FILE *f, const char *key, const char *val, int *first)
{
	fprintf(f, "%s%s=\"", *first ? "" : ",", key);
	*first = 0;
	for (const unsigned char *p = (const unsigned char *)(val ? val : ""); *p; p++) {
		size_t n;

		if (*p == '\\' || *p == '"') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p < 0x80) {
			fputc(*p, f);
		} else if ((n = utf8_len(p)) != 0) {
			fwrite(p, 1, n, f);
			p += n - 1;
		} else {
			fputs("\xef\xbf\xbd", f);
		}
	}
	fputc('"', f);
}

static void prom_labels(FILE *f, const struct pe_report_meta *meta, const struct pe_stats_block *b,
			const char *reason)
{
	char num[16];
	int first = 1;

	fputc('{', f);
	prom_label(f, "service", meta_service(meta), &first);
	prom_label(f, "name", meta && meta->name ? meta->name : "", &first);
	prom_label(f, "block", b->name, &first);
	if (b->port != UINT32_MAX) {
		snprintf(num, sizeof(num), "%u", b->port);
		prom_label(f, "port", num, &first);
	}
	if (b->queue != UINT32_MAX) {
		snprintf(num, sizeof(num), "%u", b->queue);
		prom_label(f, "queue", num, &first);
	}
	if (b->thread >= 0) {
		snprintf(num, sizeof(num), "%d", b->thread);
		prom_label(f, "thread", num, &first);
	}
	if (reason)
		prom_label(f, "reason", reason, &first);
	fputc('}', f);
}

int pe_report_prometheus(FILE *out, const struct pe_report_meta *meta,
			 const struct pe_stats_snapshot *cur)
{
	int first = 1;

	if (!out || !cur)
		return -EINVAL;
	fputs("# HELP pktecho_info Instance information (value always 1).\n"
	      "# TYPE pktecho_info gauge\npktecho_info{",
	      out);
	prom_label(out, "service", meta_service(meta), &first);
	prom_label(out, "name", meta && meta->name ? meta->name : "", &first);
	prom_label(out, "mode", meta && meta->mode ? meta->mode : "", &first);
	fprintf(out, ",schema=\"%d\"} 1\n", PE_REPORT_SCHEMA);
	fprintf(out,
		"# HELP pktecho_blocks Counter blocks (DPDK queues or socket threads).\n"
		"# TYPE pktecho_blocks gauge\npktecho_blocks %u\n",
		cur->n_blocks);
	for (size_t m = 0; m < PE_COUNTERS_N; m++) {
		const struct pe_counter_desc *d = &pe_counter_descs[m];

		fprintf(out, "# HELP pktecho_%s_total %s\n# TYPE pktecho_%s_total counter\n",
			d->name, d->help, d->name);
		for (unsigned i = 0; i < cur->n_blocks; i++) {
			fprintf(out, "pktecho_%s_total", d->name);
			prom_labels(out, meta, &cur->blocks[i], NULL);
			fprintf(out, " %llu\n",
				(unsigned long long)pe_counter_get(&cur->blocks[i].c, d));
		}
	}
	/* Reasons that occurred anywhere, for every block: the same series set on each block. */
	fputs("# HELP pktecho_drops_total Packets dropped, by reason (docs/reports.md).\n"
	      "# TYPE pktecho_drops_total counter\n",
	      out);
	for (unsigned d = PE_DROP_NONE + 1; d < PE_DROP_MAX; d++) {
		if (!cur->total.drops[d])
			continue;
		for (unsigned i = 0; i < cur->n_blocks; i++) {
			fputs("pktecho_drops_total", out);
			prom_labels(out, meta, &cur->blocks[i], pe_drop_name((enum pe_drop)d));
			fprintf(out, " %llu\n", (unsigned long long)cur->blocks[i].c.drops[d]);
		}
	}
	return finish(out);
}

/* ------------------------- a ready-made /metrics source ------------------------- */

int pe_prom_render_stats(FILE *out, void *source)
{
	const struct pe_prom_source *src = source;
	struct pe_stats_snapshot *snap;
	int rc;

	if (!out || !src || !src->stats)
		return -EINVAL;
	/* Off the hot path (the endpoint's own thread): a heap snapshot keeps its stack small. */
	snap = malloc(sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	rc = pe_stats_snapshot(src->stats, snap);
	if (rc == 0)
		rc = pe_report_prometheus(out, &src->meta, snap);
	free(snap);
	return rc;
}
