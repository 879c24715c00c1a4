/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition (version 0.0.4) and the ready-made /metrics source. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pe_config.h"
#include "report_priv.h"

/* Label values escape backslash, double quote and newline (exposition format 0.0.4) and must be
 * UTF-8: a malformed byte becomes U+FFFD, as in JSON. */
static const char *prom_escape(unsigned char c, char tmp[8])
{
	(void)tmp;
	if (c == '\\')
		return "\\\\";
	if (c == '"')
		return "\\\"";
	if (c == '\n')
		return "\\n";
	return NULL;
}

static void prom_label(FILE *f, const char *key, const char *val, int *first)
{
	fprintf(f, "%s%s=\"", *first ? "" : ",", key);
	*first = 0;
	report_emit_utf8(f, val ? val : "", prom_escape, "\xef\xbf\xbd");
	fputc('"', f);
}

/* Instance labels only: service and name. */
static void prom_instance(FILE *f, const struct pe_report_meta *meta, int *first)
{
	fputc('{', f);
	prom_label(f, "service", report_meta_service(meta), first);
	prom_label(f, "name", meta && meta->name ? meta->name : "", first);
}

static void prom_labels(FILE *f, const struct pe_report_meta *meta, const struct pe_stats_block *b,
			const char *reason)
{
	char num[16];
	int first = 1;

	prom_instance(f, meta, &first);
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
	return pe_report_prometheus_gauges(out, meta, cur, NULL, 0);
}

int pe_report_prometheus_gauges(FILE *out, const struct pe_report_meta *meta,
				const struct pe_stats_snapshot *cur,
				const struct pe_report_gauge *g, unsigned n)
{
	int first = 1;

	if (!out || !cur || (n && !g))
		return -EINVAL;
	fputs("# HELP pktecho_info Instance information (value always 1).\n"
	      "# TYPE pktecho_info gauge\npktecho_info",
	      out);
	prom_instance(out, meta, &first);
	prom_label(out, "mode", meta && meta->mode ? meta->mode : "", &first);
	fprintf(out, ",schema=\"%d\",version=\"%s\"} 1\n", PE_REPORT_SCHEMA, PE_VERSION);
	fprintf(out,
		"# HELP pktecho_blocks Counter blocks (DPDK queues or socket threads).\n"
		"# TYPE pktecho_blocks gauge\npktecho_blocks %u\n",
		cur->n_blocks);
	for (unsigned k = 0; k < n; k++) {
		fprintf(out, "# HELP pktecho_%s %s\n# TYPE pktecho_%s gauge\npktecho_%s", g[k].name,
			g[k].help, g[k].name, g[k].name);
		first = 1;
		prom_instance(out, meta, &first);
		fprintf(out, "} %llu\n", (unsigned long long)g[k].value);
	}
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
	/* Every reason on every block from the start, 0 until it occurs: stable series for
	 * dashboards and rate(). (JSON lists only the reasons that occurred.) */
	fputs("# HELP pktecho_drops_total Packets dropped, by reason (docs/reports.md).\n"
	      "# TYPE pktecho_drops_total counter\n",
	      out);
	for (unsigned d = PE_DROP_NONE + 1; d < PE_DROP_MAX; d++) {
		for (unsigned i = 0; i < cur->n_blocks; i++) {
			fputs("pktecho_drops_total", out);
			prom_labels(out, meta, &cur->blocks[i], pe_drop_name((enum pe_drop)d));
			fprintf(out, " %llu\n", (unsigned long long)cur->blocks[i].c.drops[d]);
		}
	}
	return report_finish(out);
}

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
	if (rc == 0) {
		struct pe_report_gauge g[PE_REPORT_GAUGES_MAX];
		unsigned n =
			src->gauges ? src->gauges(g, PE_REPORT_GAUGES_MAX, src->gauges_arg) : 0;

		rc = pe_report_prometheus_gauges(out, &src->meta, snap, g,
						 n < PE_REPORT_GAUGES_MAX ? n
									  : PE_REPORT_GAUGES_MAX);
	}
	free(snap);
	return rc;
}
