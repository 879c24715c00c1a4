/* SPDX-License-Identifier: MIT */
/* lib/report: one report schema for every path (pktecho-dpdk, pktecho, pktecho-load), rendered as
 * human lines with testpmd-familiar names, NDJSON ("type":"interval" / "type":"summary",
 * "schema":1) and Prometheus text exposition (metrics prefixed pktecho_). Input is always a pair
 * of stats snapshots: rates are computed between them. Field list: docs/reports.md. */
#ifndef PE_REPORT_H
#define PE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
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
/* A gauge a program adds to its Prometheus output (pktecho: conns_active), rendered as
 * pktecho_<name>{service,name} value after pktecho_blocks. */
struct pe_report_gauge {
	const char *name; /* [a-z_]+ */
	const char *help;
	uint64_t value;
};
/* Fills up to max gauges and returns how many. Runs on the endpoint's thread. */
typedef unsigned (*pe_report_gauges_fn)(struct pe_report_gauge *g, unsigned max, void *arg);
#define PE_REPORT_GAUGES_MAX 8
/* pe_report_prometheus with n gauges (g may be NULL when n is 0). */
int pe_report_prometheus_gauges(FILE *out, const struct pe_report_meta *meta,
				const struct pe_stats_snapshot *cur,
				const struct pe_report_gauge *g, unsigned n);

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
/* The syntax check of host_port alone (for option parsing): 0, or -EINVAL when it is not
 * HOST:PORT, [V6ADDR]:PORT or :PORT with PORT in 0..65535. */
int pe_prom_addr_check(const char *host_port);
/* The usual render function: a snapshot of stats rendered by pe_report_prometheus with meta.
 * Pass a struct pe_prom_source that outlives the server as arg:
 *   static struct pe_prom_source src = {stats, {"pktecho", name, mode}};
 *   srv = pe_prom_server_start(host_port, pe_prom_render_stats, &src); */
struct pe_prom_source {
	const struct pe_stats *stats;
	struct pe_report_meta meta;
	pe_report_gauges_fn gauges; /* may be NULL */
	void *gauges_arg;
};
int pe_prom_render_stats(FILE *out, void *source);
/* The bound port (useful after PORT 0). */
unsigned pe_prom_server_port(const struct pe_prom_server *srv);
/* Stops the thread and closes the socket. Accepts NULL. */
void pe_prom_server_stop(struct pe_prom_server *srv);

/* ---- The reporting session: what every program does with its counters, in one place ----
 * It owns the first/previous/current snapshots, the interval timing, the extra fields, the final
 * summary and the Prometheus endpoint. Usage (pktecho, pktecho-dpdk, pktecho-load):
 *
 *   struct pe_report_session_cfg cfg = {.fmt = fmt, .interval_s = 1.0,
 *                                       .meta = {"pktecho", stats_name, mode}};
 *   struct pe_report_session *rs = pe_report_open(&cfg, stats); // takes the first snapshot
 *   if (host_port && pe_report_serve_prometheus(rs, host_port) < 0) ... (errno says why)
 *   while (running) {
 *           pe_report_tick(rs); // an interval report when one is due
 *           ... sleep at most pe_report_wait_ns(rs) ...
 *   }
 *   pe_report_set_u64(rs, "mbufs_leaked", n);     // extra fields, kept until set again
 *   pe_report_finish(rs);                         // stops /metrics, final snapshot, summary
 *   pe_report_close(rs);                          // before the stats are destroyed
 *
 * Everything runs on the caller's thread except the Prometheus render (its own thread, reading
 * snapshots only). The clock is pe_stats_now_ns() (CLOCK_MONOTONIC), the one of snapshots. */
struct pe_report_session;

struct pe_report_session_cfg {
	FILE *out; /* NULL: stdout */
	enum pe_report_fmt fmt;
	struct pe_report_meta meta; /* its strings must outlive the session */
	double interval_s;	    /* an interval report every interval_s seconds (0: none) */
	/* Called before every snapshot taken for a report (final: the summary's), to refresh port
	 * counters or extra fields. May be NULL. */
	void (*before)(struct pe_report_session *rs, bool final, void *arg);
	/* The program's own Prometheus gauges, on the endpoint's thread (arg as above). May be
	 * NULL. Whatever it reads must live until pe_report_stop_prometheus. */
	pe_report_gauges_fn gauges;
	void *arg;
};

/* Takes the first snapshot of stats now (the summary counts from it). NULL with errno. */
struct pe_report_session *pe_report_open(const struct pe_report_session_cfg *cfg,
					 const struct pe_stats *stats);
/* Serve GET /metrics on host_port (see pe_prom_server_start) with the session's stats and meta.
 * 0 or -errno (errno set too). */
int pe_report_serve_prometheus(struct pe_report_session *rs, const char *host_port);
/* Stops the endpoint (before what the gauges read goes away). pe_report_finish does it too. */
void pe_report_stop_prometheus(struct pe_report_session *rs);
/* The endpoint's bound port (0 without one). */
unsigned pe_report_prometheus_port(const struct pe_report_session *rs);
/* Prints an interval report if one is due (then the next is due interval_s later): 1 when it
 * printed one, 0 when none was due (or interval_s is 0), -errno when the snapshot failed. */
int pe_report_tick(struct pe_report_session *rs);
/* Nanoseconds until the next interval report is due (0: now), UINT64_MAX without them. */
uint64_t pe_report_wait_ns(const struct pe_report_session *rs);
/* Restart the totals (pktecho-ctl reset-counters): a new first snapshot, the next interval
 * counted from it too. The exported counters stay monotonic. 0 or -errno. */
int pe_report_restart(struct pe_report_session *rs);
/* What a status request shows (pktecho-ctl status): the hook runs (not final), then a fresh
 * snapshot now, with the session's first snapshot, meta and extra fields (extra may be NULL).
 * Valid until the session's next call; on the session's thread only. 0 or -errno. */
struct pe_report_view {
	const struct pe_report_meta *meta;
	const struct pe_stats_snapshot *first, *now;
	const struct pe_report_kv *extra;
};
int pe_report_peek(struct pe_report_session *rs, struct pe_report_view *v);
/* Stops the endpoint, takes the last snapshot and prints the summary (first to last). 0 or
 * -errno (-EIO when the output failed). */
int pe_report_finish(struct pe_report_session *rs);
/* Stops the endpoint and frees the session. Accepts NULL. */
void pe_report_close(struct pe_report_session *rs);

/* Extra fields, appended to every later report in the order first set (setting a key again
 * replaces its value in place). key is copied. 0, -ENOSPC (too many fields, value too long) or
 * -EINVAL. pe_report_set takes an already formatted JSON value ("12", "{...}", or plain text for
 * a text report); _u64 a number; _str a string, escaped and quoted. */
#define PE_REPORT_EXTRA_MAX	24
#define PE_REPORT_EXTRA_VAL_LEN 512
int pe_report_set(struct pe_report_session *rs, const char *key, const char *json_value);
int pe_report_set_u64(struct pe_report_session *rs, const char *key, uint64_t v);
int pe_report_set_str(struct pe_report_session *rs, const char *key, const char *s);

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
