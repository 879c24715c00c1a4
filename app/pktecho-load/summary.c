/* SPDX-License-Identifier: MIT */
/* The summary of a run: the run's parameters, what the payloads tell, and warnings when the
 * generator fell short or nothing echoed (each also one line on stderr). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* The extra summary fields: the run's parameters and what the payloads tell. Values are formatted
 * into one pool; text summaries print them as they are, so those are made for people. */
struct extras {
	char pool[4096];
	size_t used;
	unsigned n;
	struct pe_report_kv kv[24];
};

static void kv_add(struct extras *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kv_add(struct extras *e, const char *key, const char *fmt, ...)
{
	char *at = e->pool + e->used;
	size_t room = sizeof(e->pool) - e->used;
	va_list ap;
	int n;

	if (e->n + 1 >= sizeof(e->kv) / sizeof(e->kv[0]))
		return;
	va_start(ap, fmt);
	n = vsnprintf(at, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return;
	e->used += (size_t)n + 1;
	e->kv[e->n++] = (struct pe_report_kv){key, at};
	e->kv[e->n] = (struct pe_report_kv){NULL, NULL};
}

static void kv_u64(struct extras *e, const char *key, uint64_t v)
{
	kv_add(e, key, "%llu", (unsigned long long)v);
}

void latency_json(char *buf, size_t len, const struct pe_hist *h)
{
	struct pe_hist_summary q;

	pe_hist_summarize(h, &q);
	if (q.count == 0 || pe_report_hist_json(buf, len, h, 1e3) < 0)
		snprintf(buf, len, "null");
}

/* A latency histogram: JSON object, or a line for people; null when nothing echoed. */
static void kv_latency(struct extras *e, const char *key, const struct pe_hist *h,
		       enum pe_report_fmt fmt)
{
	struct pe_hist_summary q;
	char buf[512];

	pe_hist_summarize(h, &q);
	if (q.count == 0)
		kv_add(e, key, "null");
	else if (fmt == PE_REPORT_TEXT)
		kv_add(e, key,
		       "p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (min %.1f, mean %.1f, %llu echoes)",
		       q.p50 / 1e3, q.p90 / 1e3, q.p99 / 1e3, q.p999 / 1e3, q.max / 1e3,
		       q.min / 1e3, q.mean / 1e3, (unsigned long long)q.count);
	else {
		latency_json(buf, sizeof(buf), h);
		kv_add(e, key, "%s", buf);
	}
}

/* Why no echo came back, for the one line on stderr and the warnings. */
static const char *no_echo_reason(const struct pe_load_result *r)
{
	if (r->tx_packets == 0)
		return "nothing was sent";
	if (r->errors > 0)
		return "socket errors (e.g. ICMP port unreachable: nothing listens there)";
	if (r->corrupt > 0)
		return "every echo came back altered (corrupt)";
	if (r->foreign > 0)
		return "only foreign datagrams came back (not our payloads)";
	return "no echo came back within --drain (target down, filtered or not an echo server)";
}

/* The warnings of a run, JSON strings joined by commas into buf; their count. Each also goes to
 * stderr once. */
static unsigned run_warnings(const struct pe_load_result *r, char *buf, size_t len)
{
	char w[2][256];
	unsigned n = 0;
	size_t off = 0;

	buf[0] = '\0';
	if (pe_load_fell_short(r))
		snprintf(
			w[n++], sizeof(w[0]),
			"generator fell short: sent %.0f pps of %llu requested (%llu due packets skipped)",
			pe_load_tx_pps(r), (unsigned long long)r->rate_requested,
			(unsigned long long)r->missed);
	if (r->rx_packets == 0)
		snprintf(w[n++], sizeof(w[0]), "no echoes, latency is null: %s", no_echo_reason(r));
	for (unsigned i = 0; i < n; i++) { /* plain ASCII without quotes: no JSON escapes */
		fprintf(stderr, "pktecho-load: warning: %s\n", w[i]);
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s\"%s\"",
					i ? "," : "", w[i]);
	}
	return n;
}

static void extras_build(struct extras *e, const struct load_opts *o,
			 const struct pe_load_result *r)
{
	bool text = o->fmt == PE_REPORT_TEXT;
	const char *q = text ? "" : "\"";
	char tgt[128], warn[700];
	unsigned nwarn;

	memset(e, 0, sizeof(*e));
	pe_load_target_format(&o->cfg.target, tgt, sizeof(tgt));
	kv_add(e, "target", "%s%s%s", q, tgt, q);
	kv_u64(e, "size", o->cfg.size);
	if (o->cfg.rate_max)
		kv_add(e, "rate", "%smax%s", q, q);
	else
		kv_u64(e, "rate", o->cfg.rate);
	kv_u64(e, "threads", o->cfg.threads);
	kv_u64(e, "flows", o->cfg.flows);
	kv_u64(e, "lost", r->lost);
	kv_add(e, "loss_ratio", "%.6f",
	       r->tx_packets ? (double)r->lost / (double)r->tx_packets : 0.0);
	kv_u64(e, "reordered", r->reordered);
	kv_u64(e, "duplicates", r->duplicates);
	kv_u64(e, "corrupt", r->corrupt);
	kv_u64(e, "foreign", r->foreign);
	kv_u64(e, "socket_errors", r->errors);
	kv_u64(e, "warmup_tx", r->warmup_tx);
	kv_u64(e, "warmup_rx", r->warmup_rx);
	kv_latency(e, "latency_us", &r->latency, o->fmt);
	kv_latency(e, "latency_corrected_us", &r->latency_corrected, o->fmt);
	if (o->cfg.rate_max)
		kv_add(e, "rate_requested", "%s", text ? "max" : "null");
	else
		kv_u64(e, "rate_requested", o->cfg.rate);
	kv_add(e, "send_pps", "%.1f", pe_load_tx_pps(r));
	kv_u64(e, "missed", r->missed);
	nwarn = run_warnings(r, warn, sizeof(warn));
	if (text)
		kv_u64(e, "warnings", nwarn);
	else
		kv_add(e, "warnings", "[%s]", warn);
}

int report_summary(const struct load_opts *o, const struct pe_report_meta *meta,
		   const struct pe_stats_snapshot *first, const struct pe_stats_snapshot *last,
		   const struct pe_load_result *r)
{
	struct extras *e = malloc(sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	extras_build(e, o, r);
	rc = pe_report_summary(stdout, o->fmt, meta, first, last, e->kv);
	fflush(stdout);
	free(e);
	return rc;
}
