/* SPDX-License-Identifier: MIT */
/* lib/report: one report schema for every path (pktecho-dpdk, pktecho, pktecho-load), rendered as
 * human lines with testpmd-familiar names, NDJSON ("type":"interval" / "type":"summary",
 * "schema":1) and Prometheus text exposition (metrics prefixed pktecho_). Input is always a pair
 * of stats snapshots: rates are computed between them. Field list: docs/reports.md. */
#ifndef PE_REPORT_H
#define PE_REPORT_H

#include <stdio.h>

#include "pe_hist.h"
#include "pe_stats.h"

#define PE_REPORT_SCHEMA 1

enum pe_report_fmt {
	PE_REPORT_TEXT = 0,
	PE_REPORT_JSON,
};

/* Parse "text" | "json". 0 or -EINVAL. */
int pe_report_fmt_parse(const char *text, enum pe_report_fmt *fmt);

/* What the report is about; copied into every object. */
struct pe_report_meta {
	const char *service; /* "pktecho-dpdk", "pktecho", "pktecho-load" */
	const char *name;    /* instance name (--stats-name), may be NULL */
	const char *mode;    /* "service", "l4", "epoll", ... may be NULL */
};

/* Extra top-level fields an app appends to a JSON object or a text summary: key and an already
 * formatted JSON value ("0", "true", "\"text\"", "{...}"). Terminated by a {NULL, NULL} entry. */
struct pe_report_kv {
	const char *key;
	const char *json_value;
};

/* One interval: totals and per-block detail between prev and cur.
 * TEXT: a compact line per block and a total line (RX-packets, TX-packets, Rx-pps, Tx-pps,
 * RX-missed, RX-nombuf, TX-dropped, drops). JSON: one line, {"type":"interval",...}. */
int pe_report_interval(FILE *out, enum pe_report_fmt fmt, const struct pe_report_meta *meta,
		       const struct pe_stats_snapshot *prev, const struct pe_stats_snapshot *cur,
		       const struct pe_report_kv *extra);

/* The final report over the whole run (first = snapshot at start, last = at stop); rates are
 * averages over the run. TEXT: a testpmd-like block per port/queue or thread and totals.
 * JSON: one line, {"type":"summary",...}. */
int pe_report_summary(FILE *out, enum pe_report_fmt fmt, const struct pe_report_meta *meta,
		      const struct pe_stats_snapshot *first, const struct pe_stats_snapshot *last,
		      const struct pe_report_kv *extra);

/* Prometheus text exposition (version 0.0.4) of cur: pktecho_rx_packets_total{...} etc., with
 * labels service, name, and port/queue/thread per block, reason for drops. */
int pe_report_prometheus(FILE *out, const struct pe_report_meta *meta,
			 const struct pe_stats_snapshot *cur);

/* JSON helpers for apps that format extra values: a string with escapes (NULL prints null), and
 * a number with the given decimals (NaN and infinities print 0: JSON has neither). */
void pe_json_string(FILE *f, const char *s);
/* Copy in to buf (len > 0 bytes, always terminated, truncated to fit) with control characters
 * as '?': names come from the apps and, through a segment, from other processes, and a line for
 * a terminal must stay one line and carry no escape sequences. Returns buf. */
const char *pe_report_text_safe(const char *in, char *buf, size_t len);
void pe_json_double(FILE *f, double v, int decimals);

/* A latency histogram as a JSON object for an extra field (pktecho-load's "latency_us"):
 * {"count":N,"mean":x,"min":x,"p50":x,"p90":x,"p99":x,"p999":x,"max":x}, values divided by
 * divisor (1000 turns ns into us), 3 decimals. Returns the length, or -ENOSPC if buf is too
 * small (512 bytes always suffice). */
int pe_report_hist_json(char *buf, size_t len, const struct pe_hist *h, double divisor);

/* A tiny Prometheus endpoint: one thread, a listening TCP socket, answering GET /metrics with
 * what fn renders (Content-Type text/plain; version=0.0.4), 404 for other paths, 405 for other
 * methods, 500 if fn returns < 0. fn runs on the server's thread, one request at a time: it must
 * only read shared state (pe_stats_snapshot is safe). */
typedef int (*pe_prom_render_fn)(FILE *out, void *arg);
struct pe_prom_server;
/* host_port: "HOST:PORT", "[V6ADDR]:PORT" or ":PORT" (all addresses); PORT 0 picks a free port.
 * NULL with errno (EINVAL for a bad HOST:PORT, EADDRINUSE, ...). */
struct pe_prom_server *pe_prom_server_start(const char *host_port, pe_prom_render_fn fn, void *arg);
/* The usual render function: a snapshot of stats rendered by pe_report_prometheus with meta.
 * Pass a struct pe_prom_source that outlives the server as arg:
 *   static struct pe_prom_source src = {stats, {"pktecho", name, mode}};
 *   srv = pe_prom_server_start(host_port, pe_prom_render_stats, &src); */
struct pe_prom_source {
	const struct pe_stats *stats;
	struct pe_report_meta meta;
};
int pe_prom_render_stats(FILE *out, void *source);
/* The bound port (useful after PORT 0). */
unsigned pe_prom_server_port(const struct pe_prom_server *srv);
/* Stops the thread and closes the socket. Accepts NULL. */
void pe_prom_server_stop(struct pe_prom_server *srv);

/* JSON object fields, shared by interval and summary (documented in docs/reports.md):
 *   "type", "schema", "service", "name", "mode", "time" (unix seconds, float), "elapsed_s",
 *   "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_pps", "tx_pps", "rx_bps", "tx_bps",
 *   "drop_pps", "rx_nombuf", "rx_missed", "tx_dropped" (= drops.tx_full), "conns_opened",
 *   "conns_closed", "bytes_copied", "drops" {reason: count, only non-zero reasons}, "drops_total",
 *   "blocks": [ {"name", "port"?, "queue"?, "thread"?, same counters and rates, "drops"} ],
 *   then the app's extra fields. Counts in interval objects are cumulative totals; rates are over
 *   the interval. Summary counts are over the run (last - first; equal to the totals when first
 *   was taken at start); "elapsed_s" is the span the rates cover. prev/first may be NULL (then
 *   zeros at cur's time: counts as they are, rates 0). */

#endif
