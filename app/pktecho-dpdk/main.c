/* SPDX-License-Identifier: MIT */
/* pktecho-dpdk: the poll-mode echo service. Parses our options, initialises the EAL, sets up the
 * ports and lcores (lib/dpdk), reports at each interval and at exit (lib/report), and checks at
 * the end that every mbuf came back to its pool. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "options.h"
#include "pe_ctl.h"
#include "pe_conf.h"
#include "pe_notify.h"
#include "pe_dpdk.h"
#include "pe_report.h"

#define PROG "pktecho-dpdk"

static volatile sig_atomic_t signals_seen;

/* First signal: ask the lcores to leave. Second: the user means it, exit at once. */
static void on_signal(int sig)
{
	if (signals_seen++ > 0)
		_exit(128 + sig);
	pe_dpdk_request_stop();
}

static void signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* a closed terminal or session: a clean stop too */
}

/* Our options follow "--"; everything before it belongs to the EAL. */
static int split_args(int argc, char **argv, int *eal_argc)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			*eal_argc = i;
			return i;
		}
	*eal_argc = argc;
	return argc;
}

/* The EAL goes on when a vdev fails to probe (it logs why); we stop, naming the vdev. The names
 * are taken before rte_eal_init, which rewrites argv. */
#define MAX_VDEVS 16
struct vdevs {
	unsigned n;
	char name[MAX_VDEVS][RTE_ETH_NAME_MAX_LEN];
};

static void vdevs_collect(int eal_argc, char **argv, struct vdevs *v)
{
	v->n = 0;
	for (int i = 1; i < eal_argc && v->n < MAX_VDEVS; i++) {
		const char *arg = NULL;

		if (strcmp(argv[i], "--vdev") == 0 && i + 1 < eal_argc)
			arg = argv[++i];
		else if (strncmp(argv[i], "--vdev=", 7) == 0)
			arg = argv[i] + 7;
		if (arg != NULL)
			snprintf(v->name[v->n++], RTE_ETH_NAME_MAX_LEN, "%.*s",
				 (int)strcspn(arg, ","), arg);
	}
}

static int vdevs_check(const struct vdevs *v)
{
	uint16_t pid;

	for (unsigned i = 0; i < v->n; i++)
		if (rte_eth_dev_get_port_by_name(v->name[i], &pid) != 0) {
			fprintf(stderr,
				PROG
				": --vdev %s: the device did not come up (the PMD's message above says why)\n",
				v->name[i]);
			return -ENODEV;
		}
	return 0;
}

struct run {
	struct app_opts *o;
	struct pe_dpdk *d;
	struct pe_report_session *rs;
	struct pe_ctl *ctl;	  /* --stats-name: the control queue /pktecho-NAME.ctl */
	struct pe_notify notify;  /* the service manager (sd_notify), when it asks */
	struct pe_rl_live limits; /* service mode: the reply limits as pktecho-ctl sets them */
};

/* Before an interval report: the port counters (rx_nombuf, imissed) as they are now. */
static void before_report(struct pe_report_session *rs, bool final, void *arg)
{
	struct run *r = arg;

	if (!final)
		pe_dpdk_poll_ports(r->d);
}

static int prometheus_start(struct run *r)
{
	if (r->o->prometheus == NULL)
		return 0;
	if (pe_report_serve_prometheus(r->rs, r->o->prometheus) != 0) {
		fprintf(stderr, PROG ": --prometheus %s: cannot serve: %s\n", r->o->prometheus,
			strerror(errno));
		return -1;
	}
	fprintf(stderr, PROG ": prometheus: serving port %u, GET /metrics\n",
		pe_report_prometheus_port(r->rs));
	return 0;
}

/* ---- runtime control (pktecho-ctl): polled by the main lcore, never by a worker ---- */

static int ctl_status(void *arg, char *buf, size_t len)
{
	struct run *r = arg;
	struct pe_report_view v;

	if (pe_report_peek(r->rs, &v) != 0)
		return -1;
	return pe_ctl_status_render(buf, len, v.meta, r->o->conf.pkt.live, v.first, v.now, v.extra);
}

/* The report totals restart here; the exported counters stay monotonic (Prometheus). */
static void ctl_reset(void *arg)
{
	struct run *r = arg;

	pe_report_restart(r->rs);
}

static void ctl_stop(void *arg)
{
	pe_dpdk_request_stop();
}

static const struct pe_ctl_ops ctl_ops = {
	.status = ctl_status, .reset_counters = ctl_reset, .stop = ctl_stop};

static int ctl_start(struct run *r)
{
	if (r->o->conf.stats_name == NULL)
		return 0;
	/* After the stats segment: its owner is the only one who may hold the control queue. */
	r->ctl = pe_ctl_open(r->o->conf.stats_name, &ctl_ops, r);
	if (r->ctl == NULL) {
		fprintf(stderr, PROG ": control queue /pktecho-%s.ctl: %s\n", r->o->conf.stats_name,
			strerror(errno));
		return -1;
	}
	pe_ctl_set_limits(r->ctl, r->o->conf.pkt.live); /* NULL in l2/l4 mode: none to set */
	return 0;
}

/* Sleeps in short slices until a signal, --duration, or the next interval report. The port
 * counters (rx_nombuf, imissed) are refreshed every second for the live readers. */
static void run_until_stopped(struct run *r)
{
	const struct timespec slice = {0, 50 * 1000 * 1000};
	uint64_t start = pe_stats_now_ns(), next_poll = start;
	uint64_t end = r->o->duration ? start + (uint64_t)r->o->duration * 1000000000u : 0;
	uint64_t next_notify = start + r->notify.period_ns;

	pe_notify_ready(&r->notify, "serving");
	while (!pe_dpdk_stop_requested()) {
		uint64_t t = pe_stats_now_ns();

		if (end != 0 && t >= end)
			break;
		if (r->notify.enabled && t >= next_notify) {
			uint64_t hb[PE_NOTIFY_MAX_WORKERS];
			unsigned n = pe_dpdk_heartbeats(r->d, hb, PE_NOTIFY_MAX_WORKERS);

			pe_notify_tick(&r->notify, pe_dpdk_stats(r->d), hb, (int)n);
			next_notify = t + r->notify.period_ns;
		}
		/* An interval report polls the ports itself (before_report). */
		if (pe_report_tick(r->rs) == 0 && t >= next_poll)
			pe_dpdk_poll_ports(r->d);
		if (t >= next_poll)
			next_poll = t + 1000000000u;
		pe_ctl_poll(r->ctl);
		nanosleep(&slice, NULL);
	}
	pe_notify_stopping(&r->notify);
}

static int finish(struct run *r, bool *stuck)
{
	uint64_t leaked;

	pe_ctl_close(r->ctl);
	r->ctl = NULL;
	if (pe_dpdk_stop(r->d) != 0) {
		/* An lcore is stuck inside a PMD: report what we have and leave without cleanup. */
		pe_report_finish(r->rs);
		pe_report_close(r->rs);
		*stuck = true;
		return 1;
	}
	leaked = pe_dpdk_leaked(r->d);
	pe_report_set_u64(r->rs, "mbufs_leaked", leaked);
	pe_report_set_u64(r->rs, "mbufs_pmd_kept", pe_dpdk_pmd_kept(r->d));
	pe_report_finish(r->rs);
	pe_report_close(r->rs);
	if (leaked != 0)
		fprintf(stderr,
			PROG ": %llu mbuf(s) leaked: not every mbuf came back to its pool\n",
			(unsigned long long)leaked);
	pe_dpdk_destroy(r->d);
	return leaked != 0 ? 1 : 0;
}

static int run(struct app_opts *o, bool *stuck)
{
	struct run r = {.o = o};
	struct pe_report_session_cfg rcfg = {
		.fmt = o->report,
		.meta = {PROG, o->conf.stats_name, pe_pkt_mode_name(o->conf.pkt.mode)},
		.interval_s = o->stats_interval,
		.before = before_report,
		.arg = &r,
	};

	/* The l2/l4 reflectors are exempt from the reply limits (benchmark rigs). */
	if (o->conf.pkt.mode == PE_MODE_SERVICE) {
		pe_rl_live_init(&r.limits, &o->conf.pkt.reply_limit, &o->conf.pkt.source_limit);
		o->conf.pkt.live = &r.limits;
	}
	r.d = pe_dpdk_create(&o->conf);
	if (r.d == NULL)
		return 1;
	/* pktecho-stat --list and its header show the mode, as for pktecho's IO model. */
	pe_stats_set_meta(pe_dpdk_stats(r.d), PROG, pe_pkt_mode_name(o->conf.pkt.mode));
	pe_dpdk_print_placement(r.d, o->report == PE_REPORT_JSON ? stderr : stdout);
	if (pe_dpdk_telemetry_register(pe_dpdk_stats(r.d)) != 0)
		fprintf(stderr,
			PROG ": warning: telemetry command /pktecho/stats not registered\n");
	r.rs = pe_report_open(&rcfg, pe_dpdk_stats(r.d));
	if (r.rs == NULL)
		fprintf(stderr, PROG ": report: %s\n", strerror(errno));
	if (r.rs == NULL || prometheus_start(&r) != 0 || ctl_start(&r) != 0 ||
	    pe_dpdk_start(r.d) != 0) {
		pe_ctl_close(r.ctl);
		pe_report_close(r.rs);
		pe_dpdk_destroy(r.d);
		return 1;
	}
	pe_notify_init(&r.notify);
	run_until_stopped(&r);
	pe_notify_fini(&r.notify);
	return finish(&r, stuck);
}

/* The EAL's arguments: those of the --file `eal` lines, then those before "--". */
static char **eal_args(const struct app_opts *o, int argc, char **argv, int *eal_argc)
{
	static char *v[PE_CONF_MAX_EAL + 256];
	int n = 0;

	if (argc + o->file.eal_argc >= (int)(sizeof(v) / sizeof(v[0]))) {
		fprintf(stderr, PROG ": too many EAL arguments\n");
		return NULL;
	}
	v[n++] = argv[0];
	for (int i = 0; i < o->file.eal_argc; i++)
		v[n++] = o->file.eal_argv[i];
	for (int i = 1; i < argc; i++)
		v[n++] = argv[i];
	v[n] = NULL;
	*eal_argc = n;
	return v;
}

/* rte_eal_cleanup leaves the runtime directory (/var/run/dpdk/PREFIX) behind, and so does a
 * failed rte_eal_init: remove ours (never that of a running primary with the same prefix). */
static void eal_end(bool cleanup)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	if (cleanup)
		rte_eal_cleanup();
	pe_runtime_dir_remove(dir);
}

/* ---- first contact: what a first try gets wrong, each said in one line before the EAL runs ----
 */

static bool eal_has(int eal_argc, char **eal_argv, const char *opt)
{
	for (int i = 1; i < eal_argc; i++)
		if (strcmp(eal_argv[i], opt) == 0)
			return true;
	return false;
}

/* Free hugepages of every size (sysfs); -1 when sysfs says nothing. */
static long hugepages_free(void)
{
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	struct dirent *e;
	long total = -1;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300];
		long n = 0;
		FILE *f;

		if (strncmp(e->d_name, "hugepages-", 10) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/%s/free_hugepages",
			 e->d_name);
		f = fopen(path, "re");
		if (f != NULL && fscanf(f, "%ld", &n) == 1)
			total = (total < 0 ? 0 : total) + n;
		if (f != NULL)
			fclose(f);
	}
	closedir(d);
	return total;
}

/* 0 to go on, or the exit code after one line on stderr. */
static int first_contact(int eal_argc, char **eal_argv, const struct vdevs *v)
{
	for (unsigned i = 0; i < v->n; i++) {
		int fd;

		if (strncmp(v->name[i], "net_af_packet", 13) != 0 &&
		    strncmp(v->name[i], "eth_af_packet", 13) != 0)
			continue;
		fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (fd < 0 && (errno == EPERM || errno == EACCES)) {
			fprintf(stderr,
				PROG
				": --vdev %s: af_packet needs root or CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the binary)\n",
				v->name[i]);
			return 1;
		}
		if (fd >= 0)
			close(fd);
		break;
	}
	return 0;
}

/* The last line after a failed rte_eal_init: the EAL's own messages (and usage) are above. */
static void eal_failed(int eal_argc, char **eal_argv)
{
	fflush(stdout); /* the EAL's usage (stdout) before our reason: ours is the last line */
	if (rte_errno != EINVAL && !eal_has(eal_argc, eal_argv, "--no-huge") &&
	    hugepages_free() == 0)
		fprintf(stderr, PROG
			": EAL initialisation failed: no free hugepages: reserve some (dpdk-hugepages.py --setup 1G) or run without them (--no-huge -m 512 before --)\n");
	else
		fprintf(stderr,
			PROG
			": EAL initialisation failed: %s (check the EAL options and vdevs before --; pktecho options go after --)\n",
			rte_strerror(rte_errno));
}

int main(int argc, char **argv)
{
	static struct app_opts opts;
	static struct vdevs vdevs;
	char err[256];
	bool stuck = false;
	int eal_argc, dd, ret;
	char **eal_argv;

	dd = split_args(argc, argv, &eal_argc);
	if (dd == argc && argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		app_usage(stdout);
		return 0;
	}
	/* Before the EAL sees anything, so that no EAL start is needed to learn the version. */
	for (int i = 1; i < dd; i++)
		if (strcmp(argv[i], "--version") == 0) {
			app_version();
			return 0;
		}
	for (int i = 1; i < dd; i++)
		if (strcmp(argv[i], "--help") != 0 && app_opt_known(argv[i])) {
			fprintf(stderr,
				PROG ": %s: put pktecho options after -- (" PROG
				     " [EAL options] -- [options])\n",
				argv[i]);
			return 2;
		}
	/* Our options first: a typo costs no EAL start. argv[dd] becomes our argv[0]. */
	if (dd < argc)
		argv[dd] = argv[0];
	ret = app_opts_parse(dd < argc ? argc - dd : 1, dd < argc ? &argv[dd] : argv, &opts);
	if (ret != 0) {
		app_opts_free(&opts);
		return ret == 1 ? 0 : 2;
	}
	eal_argv = eal_args(&opts, eal_argc, argv, &eal_argc);
	if (eal_argv == NULL) {
		app_opts_free(&opts);
		return 2;
	}
	vdevs_collect(eal_argc, eal_argv, &vdevs);
	ret = first_contact(eal_argc, eal_argv, &vdevs);
	if (ret != 0) {
		app_opts_free(&opts);
		return ret;
	}
	rte_openlog_stream(stderr); /* stdout carries the reports */
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		eal_failed(eal_argc, eal_argv);
		eal_end(false);
		app_opts_free(&opts);
		return 1;
	}
	signals_install();
	if (vdevs_check(&vdevs) != 0) {
		eal_end(true);
		return 1;
	}
	if (pe_dpdk_conf_check(&opts.conf, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		app_usage_hint();
		eal_end(true);
		return 2;
	}
	/* A startup failure was printed (one line) by lib/dpdk. */
	ret = run(&opts, &stuck);
	eal_end(!stuck);
	app_opts_free(&opts);
	return ret;
}
