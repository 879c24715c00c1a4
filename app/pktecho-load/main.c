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

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait for the run to end, printing an interval line every o->interval_s and passing Ctrl-C on. */
static int run_wait(struct pe_load *l, const struct load_opts *o, const struct pe_report_meta *meta)
{
	struct pe_stats_snapshot *prev = NULL, *cur = NULL;
	uint64_t every = (uint64_t)(o->interval_s * 1e9), next = 0;

	if (every) {
		prev = malloc(sizeof(*prev));
		cur = malloc(sizeof(*cur));
		if (!prev || !cur || pe_stats_snapshot(pe_load_stats(l), prev) < 0) {
			free(prev);
			free(cur);
			return -ENOMEM;
		}
		next = prev->time_ns + every;
	}
	while (!pe_load_done(l)) {
		sleep_ms(10);
		if (g_stop)
			pe_load_stop(l);
		if (every && pe_load_now_ns() >= next &&
		    pe_stats_snapshot(pe_load_stats(l), cur) == 0) {
			struct pe_stats_snapshot *t = prev;

			pe_report_interval(stdout, o->fmt, meta, prev, cur, NULL);
			fflush(stdout);
			prev = cur;
			cur = t;
			next += every;
		}
	}
	free(prev);
	free(cur);
	return 0;
}

/* The extra summary fields: the run's parameters and what the payloads tell. */
struct extras {
	char target[160], size[24], rate[32], threads[16], flows[16], lost[24], loss_ratio[32],
		reordered[24], dups[24], corrupt[24], foreign[24], errors[24], wtx[24], wrx[24],
		lat[512];
	struct pe_report_kv kv[17];
};

/* Text summaries print the extra values as they are: make those for people, not parsers. */
static void text_values(struct extras *e, const struct load_opts *o, const char *tgt,
			const struct pe_hist *h)
{
	struct pe_hist_summary q;

	pe_hist_summarize(h, &q);
	snprintf(e->target, sizeof(e->target), "%s", tgt);
	if (o->cfg.rate_max)
		snprintf(e->rate, sizeof(e->rate), "max");
	snprintf(e->lat, sizeof(e->lat),
		 "p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (min %.1f, mean %.1f, "
		 "%llu echoes)",
		 q.p50 / 1e3, q.p90 / 1e3, q.p99 / 1e3, q.p999 / 1e3, q.max / 1e3, q.min / 1e3,
		 q.mean / 1e3, (unsigned long long)q.count);
}

static void extras_build(struct extras *e, const struct load_opts *o,
			 const struct pe_load_result *r)
{
	char tgt[128];
	unsigned i = 0;

	memset(e, 0, sizeof(*e));
	pe_load_target_format(&o->cfg.target, tgt, sizeof(tgt));
	snprintf(e->target, sizeof(e->target), "\"%s\"", tgt);
	snprintf(e->size, sizeof(e->size), "%u", o->cfg.size);
	if (o->cfg.rate_max)
		snprintf(e->rate, sizeof(e->rate), "\"max\"");
	else
		snprintf(e->rate, sizeof(e->rate), "%llu", (unsigned long long)o->cfg.rate);
	snprintf(e->threads, sizeof(e->threads), "%u", o->cfg.threads);
	snprintf(e->flows, sizeof(e->flows), "%u", o->cfg.flows);
	snprintf(e->lost, sizeof(e->lost), "%llu", (unsigned long long)r->lost);
	snprintf(e->loss_ratio, sizeof(e->loss_ratio), "%.6f",
		 r->tx_packets ? (double)r->lost / (double)r->tx_packets : 0.0);
	snprintf(e->reordered, sizeof(e->reordered), "%llu", (unsigned long long)r->reordered);
	snprintf(e->dups, sizeof(e->dups), "%llu", (unsigned long long)r->duplicates);
	snprintf(e->corrupt, sizeof(e->corrupt), "%llu", (unsigned long long)r->corrupt);
	snprintf(e->foreign, sizeof(e->foreign), "%llu", (unsigned long long)r->foreign);
	snprintf(e->errors, sizeof(e->errors), "%llu", (unsigned long long)r->errors);
	snprintf(e->wtx, sizeof(e->wtx), "%llu", (unsigned long long)r->warmup_tx);
	snprintf(e->wrx, sizeof(e->wrx), "%llu", (unsigned long long)r->warmup_rx);
	if (o->fmt == PE_REPORT_TEXT)
		text_values(e, o, tgt, &r->latency);
	else if (pe_report_hist_json(e->lat, sizeof(e->lat), &r->latency, 1e3) < 0)
		snprintf(e->lat, sizeof(e->lat), "null");
	e->kv[i++] = (struct pe_report_kv){"target", e->target};
	e->kv[i++] = (struct pe_report_kv){"size", e->size};
	e->kv[i++] = (struct pe_report_kv){"rate", e->rate};
	e->kv[i++] = (struct pe_report_kv){"threads", e->threads};
	e->kv[i++] = (struct pe_report_kv){"flows", e->flows};
	e->kv[i++] = (struct pe_report_kv){"lost", e->lost};
	e->kv[i++] = (struct pe_report_kv){"loss_ratio", e->loss_ratio};
	e->kv[i++] = (struct pe_report_kv){"reordered", e->reordered};
	e->kv[i++] = (struct pe_report_kv){"duplicates", e->dups};
	e->kv[i++] = (struct pe_report_kv){"corrupt", e->corrupt};
	e->kv[i++] = (struct pe_report_kv){"foreign", e->foreign};
	e->kv[i++] = (struct pe_report_kv){"socket_errors", e->errors};
	e->kv[i++] = (struct pe_report_kv){"warmup_tx", e->wtx};
	e->kv[i++] = (struct pe_report_kv){"warmup_rx", e->wrx};
	e->kv[i++] = (struct pe_report_kv){"latency_us", e->lat};
	e->kv[i] = (struct pe_report_kv){NULL, NULL};
}

static int report_summary(struct pe_load *l, const struct load_opts *o,
			  const struct pe_report_meta *meta)
{
	struct pe_stats_snapshot *first = malloc(sizeof(*first)), *last = malloc(sizeof(*last));
	struct pe_load_result r;
	struct extras e;
	int rc = first && last ? pe_load_result(l, &r) : -ENOMEM;

	if (rc == 0) {
		pe_load_snapshots(l, first, last);
		extras_build(&e, o, &r);
		rc = pe_report_summary(stdout, o->fmt, meta, first, last, e.kv);
		fflush(stdout);
	}
	free(first);
	free(last);
	return rc;
}

static const char *create_error(const struct load_opts *o, int err)
{
	if (o->cfg.stats_name && err == EEXIST)
		return pe_stats_strerror(err);
	if (err == EMFILE || err == ENFILE)
		return "out of file descriptors: each flow is a socket (lower --flows or raise "
		       "ulimit "
		       "-n)";
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
		fprintf(stderr, "pktecho-load: --dpdk: this build has no DPDK (install libdpdk-dev "
				"and rebuild)\n");
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

static int run(const struct load_opts *o)
{
	struct pe_report_meta meta = {.service = "pktecho-load", .name = o->cfg.stats_name};
	struct pe_load *l;
	int rc;

	meta.mode = pe_load_mode(&o->cfg);
	l = pe_load_create(&o->cfg);
	if (!l) {
		fprintf(stderr, "pktecho-load: %s: %s\n", o->target_text, create_error(o, errno));
		return 1;
	}
	rc = pe_load_start(l);
	if (rc == 0)
		rc = run_wait(l, o, &meta);
	if (rc == 0)
		rc = report_summary(l, o, &meta);
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
