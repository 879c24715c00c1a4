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

/* Wait for the run to end, printing an interval line every o->interval_s and passing Ctrl-C on. */
int run_wait(struct pe_load *l, const struct load_opts *o, const struct pe_report_meta *meta)
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
	struct pe_report_meta meta = {.service = "pktecho-load", .name = o->cfg.stats_name};
	struct pe_load *l;
	int rc;

	meta.mode = pe_load_mode(&o->cfg);
	l = pe_load_create(&o->cfg);
	if (!l) {
		fprintf(stderr, "pktecho-load: %s: %s\n", o->target_text, create_error(o, errno));
		return 1;
	}
	rc = o->search ? search_run(l, o, &meta) : run_once(l, o, &meta);
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
