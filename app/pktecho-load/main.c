/* SPDX-License-Identifier: MIT */
/* pktecho-load: drive an echo server (ours or any RFC 862 one) and report rate, loss, reordering
 * and round-trip latency in the pktecho report schema. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opts.h"
#include "run.h"
#include "pe_load.h"
#include "pe_report.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void signals_install(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* a closed terminal: a clean stop too */
	signal(SIGPIPE, SIG_IGN);
}

bool run_interrupted(void)
{
	return g_stop != 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* What an interval line adds to the counters: the interval's loss and latency percentiles, from
 * the live buckets (pe_load_live) between this report and the previous one. */
struct interval_state {
	struct pe_load *l;
	enum pe_report_fmt fmt;
	struct pe_load_live prev[2];
};

static void interval_latency(struct pe_report_session *rs, const char *key, bool text,
			     const struct pe_load_live *a, const struct pe_load_live *b)
{
	double p50 = pe_load_live_quantile(a, b, 0.50) / 1e3,
	       p90 = pe_load_live_quantile(a, b, 0.90) / 1e3,
	       p99 = pe_load_live_quantile(a, b, 0.99) / 1e3;
	unsigned long long n = (unsigned long long)(b->count - a->count);
	char v[160];

	if (n == 0)
		snprintf(v, sizeof(v), text ? "-" : "null");
	else if (text)
		snprintf(v, sizeof(v), "p50 %.1f p90 %.1f p99 %.1f", p50, p90, p99);
	else
		snprintf(v, sizeof(v), "{\"count\":%llu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f}", n,
			 p50, p90, p99);
	pe_report_set(rs, key, v);
}

static void interval_extras(struct pe_report_session *rs, bool final, void *arg)
{
	struct interval_state *st = arg;
	struct pe_load_live cur[2];
	bool text = st->fmt == PE_REPORT_TEXT;
	uint64_t tx, rx;
	char v[32];

	if (final)
		return;
	pe_load_live(st->l, false, &cur[0]);
	pe_load_live(st->l, true, &cur[1]);
	tx = cur[0].tx - st->prev[0].tx;
	rx = cur[0].count - st->prev[0].count;
	/* Echoes in flight at either end move between intervals: an estimate, clamped to [0, 1]. */
	snprintf(v, sizeof(v), "%.6f", tx > rx ? (double)(tx - rx) / (double)tx : 0.0);
	pe_report_set(rs, "loss_ratio", v);
	interval_latency(rs, "latency_us", text, &st->prev[0], &cur[0]);
	interval_latency(rs, "latency_corrected_us", text, &st->prev[1], &cur[1]);
	st->prev[0] = cur[0];
	st->prev[1] = cur[1];
}

/* Wait for the run to end, printing an interval line every o->interval_s and passing Ctrl-C on. */
int run_wait(struct pe_load *l, const struct load_opts *o, const struct pe_report_meta *meta)
{
	struct interval_state st = {.l = l, .fmt = o->fmt};
	struct pe_report_session_cfg cfg = {.fmt = o->fmt,
					    .meta = *meta,
					    .interval_s = o->interval_s,
					    .before = interval_extras,
					    .arg = &st};
	struct pe_report_session *rs;

	pe_load_live(l, false, &st.prev[0]);
	pe_load_live(l, true, &st.prev[1]);
	rs = pe_report_open(&cfg, pe_load_stats(l));
	if (!rs)
		return -errno;
	while (!pe_load_done(l)) {
		uint64_t wait = pe_report_wait_ns(rs);

		sleep_ms(wait < 10000000 ? (unsigned)(wait / 1000000) : 10);
		if (g_stop)
			pe_load_stop(l);
		if (pe_report_tick(rs) > 0)
			fflush(stdout);
	}
	pe_report_close(rs); /* the summary is the measured phase's: report_summary */
	return 0;
}

static const char *create_error(const struct load_opts *o, int err)
{
	if (o->cfg.stats_name && err == EEXIST)
		return pe_stats_strerror(err);
	if (err == EMFILE || err == ENFILE)
		return "out of file descriptors: each flow is a socket (lower --flows or raise ulimit -n)";
	if (!o->cfg.dpdk)
		return strerror(err);
	switch (err) {
	case ENODEV:
		return "no such DPDK port (give one with --vdev or a PCI device, and --port)";
	case ENOLINK:
		return "the DPDK port's link stayed down (--link-wait)";
	case EHOSTUNREACH:
		return "no ARP/NDP answer from the target (--dst-mac skips the lookup)";
	default:
		return strerror(err);
	}
}

static struct pe_conf eal_file; /* the `eal` lines of --file, read before the EAL starts */

/* "--dpdk [EAL options] --" in front: initialise the EAL and shift it away. 0 or exit code. */
static int dpdk_front(int *argc, char ***argv, bool *dpdk)
{
	int n;

	static char *v[PE_CONF_MAX_EAL + 512];
	int len = 0, dd;

	*dpdk = *argc > 1 && strcmp((*argv)[1], "--dpdk") == 0;
	if (!*dpdk)
		return 0;
	/* The `eal` lines of our --file options come first, then the command line's. */
	for (dd = 2; dd < *argc && strcmp((*argv)[dd], "--") != 0; dd++)
		;
	eal_file.prog = "pktecho-load";
	eal_file.eal_lines = true;
	if (pe_conf_eal_scan(&eal_file, *argc, *argv, dd) != 0)
		return 2;
	if (*argc + eal_file.eal_argc >= (int)(sizeof(v) / sizeof(v[0]))) {
		fprintf(stderr, "pktecho-load: --dpdk: too many arguments\n");
		return 2;
	}
	v[len++] = (*argv)[1];
	for (int i = 0; i < eal_file.eal_argc; i++)
		v[len++] = eal_file.eal_argv[i];
	for (int i = 2; i < *argc; i++)
		v[len++] = (*argv)[i];
	v[len] = NULL;
	n = pe_load_dpdk_eal_init(len, v);
	if (n == -ENOTSUP) {
		fprintf(stderr,
			"pktecho-load: --dpdk: this build has no DPDK (install libdpdk-dev and rebuild)\n");
		return 2;
	}
	if (n < 0) {
		fprintf(stderr, "pktecho-load: --dpdk: EAL initialisation failed: %s\n",
			strerror(-n));
		return 2;
	}
	*argc = len - n;
	*argv = v + n;
	return 0;
}

/* GET /metrics: the counters (pe_report_prometheus) and the live latency histograms. */
struct prom_source {
	struct pe_prom_source stats;
	const struct pe_load *l;
};

static void prom_histogram(FILE *out, const struct prom_source *src, const char *metric,
			   const char *help, bool corrected)
{
	const char *name = src->stats.meta.name ? src->stats.meta.name : "";
	struct pe_load_live lv;
	uint64_t cum = 0;

	pe_load_live(src->l, corrected, &lv);
	fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", metric, help, metric);
	for (unsigned i = 0; i <= PE_LOAD_LIVE_BOUNDS; i++) {
		cum += lv.buckets[i];
		fprintf(out, "%s_bucket{service=\"pktecho-load\",name=\"%s\",le=\"", metric, name);
		if (i < PE_LOAD_LIVE_BOUNDS)
			fprintf(out, "%g", (double)pe_load_live_le_ns[i] / 1e9);
		else
			fputs("+Inf", out);
		fprintf(out, "\"} %llu\n", (unsigned long long)cum);
	}
	fprintf(out, "%s_sum{service=\"pktecho-load\",name=\"%s\"} %.9f\n", metric, name,
		(double)lv.sum_ns / 1e9);
	fprintf(out, "%s_count{service=\"pktecho-load\",name=\"%s\"} %llu\n", metric, name,
		(unsigned long long)lv.count);
}

static int prom_render(FILE *out, void *arg)
{
	const struct prom_source *src = arg;
	int rc = pe_prom_render_stats(out, (void *)&src->stats);

	if (rc < 0)
		return rc;
	prom_histogram(out, src, "pktecho_load_latency_seconds",
		       "Round-trip time of the echoes, from when each packet was sent.", false);
	prom_histogram(
		out, src, "pktecho_load_latency_corrected_seconds",
		"Round-trip time of the echoes, from when each packet was due (coordinated omission corrected).",
		true);
	return ferror(out) ? -EIO : 0;
}

/* One run at the options' rate: its summary. */
static int run_once(struct pe_load *l, const struct load_opts *o, const struct pe_report_meta *meta)
{
	struct pe_load_result *r = malloc(sizeof(*r));
	struct pe_stats_snapshot *first = malloc(sizeof(*first)), *last = malloc(sizeof(*last));
	int rc = r && first && last ? pe_load_start(l) : -ENOMEM;

	if (rc == 0)
		rc = run_wait(l, o, meta);
	if (rc == 0)
		rc = pe_load_result(l, r);
	if (rc == 0) {
		pe_load_snapshots(l, first, last);
		rc = report_summary(o, meta, first, last, r);
	}
	free(r);
	free(first);
	free(last);
	return rc;
}

static int run(const struct load_opts *o)
{
	struct pe_prom_server *prom = NULL;
	struct prom_source src;
	struct pe_report_meta meta = {.service = "pktecho-load", .name = o->cfg.stats_name};
	struct pe_load *l;
	int rc;

	meta.mode = pe_load_mode(&o->cfg);
	l = pe_load_create(&o->cfg);
	if (!l) {
		fprintf(stderr, "pktecho-load: %s: %s\n", o->target_text, create_error(o, errno));
		return 1;
	}
	src = (struct prom_source){{pe_load_stats(l), meta, NULL, NULL}, l};
	if (o->prometheus) {
		prom = pe_prom_server_start(o->prometheus, prom_render, &src);
		if (!prom) {
			fprintf(stderr, "pktecho-load: --prometheus '%s': %s\n", o->prometheus,
				strerror(errno));
			pe_load_destroy(l);
			return 1;
		}
		fprintf(stderr, "pktecho-load: prometheus port %u\n", pe_prom_server_port(prom));
	}
	rc = o->search ? search_run(l, o, &meta) : run_once(l, o, &meta);
	pe_prom_server_stop(prom);
	if (rc < 0)
		fprintf(stderr, "pktecho-load: %s\n", strerror(-rc));
	pe_load_destroy(l);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct load_opts o;
	bool dpdk;
	int rc = dpdk_front(&argc, &argv, &dpdk);

	if (rc != 0)
		return rc;
	rc = load_opts_parse(argc, argv, dpdk, &o);
	if (rc == 0) {
		signals_install();
		rc = run(&o);
	} else {
		rc = rc < 0 ? 2 : 0;
	}
	if (dpdk)
		pe_load_dpdk_cleanup();
	pe_conf_free(&o.file);
	pe_conf_free(&eal_file);
	return rc;
}
