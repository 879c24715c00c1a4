/* SPDX-License-Identifier: MIT */
/* pktecho-stat: a live, read-only view of a running service's counters (its shared-memory
 * segment /pktecho-NAME): top-like rates per block, or one JSON / Prometheus rendering. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pe_config.h"
#include "pe_report.h"
#include "pe_stats.h"

#define PROG "pktecho-stat"

enum out_kind { OUT_LIVE, OUT_JSON, OUT_PROM, OUT_LIST };

struct opts {
	double interval;
	unsigned long count; /* refreshes before exiting; 0 = until stopped */
	int count_set;
	enum out_kind kind;
	const char *name;
};

/* How watching ended. */
enum watch_end { WATCH_OK, WATCH_STOPPED, WATCH_DIED, WATCH_ERROR, WATCH_SIGNAL };

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [options] NAME\n"
		"Show the live counters of the pktecho service started with --stats-name NAME.\n"
		"  -i, --interval SEC  refresh period (default 1; fractions allowed)\n"
		"  -1, --once          one refresh, then exit (= --count 1)\n"
		"  -n, --count N       N refreshes, then exit (default: until Ctrl-C; 1 with --json)\n"
		"  -j, --json          NDJSON interval objects (rates over each interval)\n"
		"  -p, --prometheus    the Prometheus text exposition once, then exit\n"
		"  -l, --list          list the stats segments on this machine (no NAME)\n"
		"  -h, --help          this text;  -V, --version\n"
		"Exit: 0 ok (or the service stopped cleanly), 1 no such segment or the service died,\n"
		"      2 bad usage.\n");
}

/* The option getopt stopped at: "-x" (also inside a cluster such as -jx, where argv[optind - 1]
 * is not the option's word) or the long option's word as typed. */
static void bad_option_name(char **argv, char *buf, size_t len)
{
	const char *word = argv[optind - 1];

	if (optopt && !(word[0] == '-' && word[1] == '-'))
		snprintf(buf, len, "-%c", optopt);
	else
		snprintf(buf, len, "%.40s", word);
}

/* One line naming the problem plus a usage hint; exit code 2. */
static int bad_usage(const char *what)
{
	fprintf(stderr, PROG ": %s (try '" PROG " --help')\n", what);
	return 2;
}

static int parse_interval(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0.01 || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_count(const char *arg, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < 1 || v > 1000000000ul)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {{"interval", required_argument, NULL, 'i'},
						 {"once", no_argument, NULL, '1'},
						 {"count", required_argument, NULL, 'n'},
						 {"json", no_argument, NULL, 'j'},
						 {"prometheus", no_argument, NULL, 'p'},
						 {"help", no_argument, NULL, 'h'},
						 {"version", no_argument, NULL, 'V'},
						 {"list", no_argument, NULL, 'l'},
						 {NULL, 0, NULL, 0}};
	char msg[160], opt[48];
	int c;

	*o = (struct opts){.interval = 1.0, .kind = OUT_LIVE};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:1n:jplhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_interval(optarg, &o->interval) < 0) {
				snprintf(msg, sizeof(msg),
					 "--interval '%.40s': expected seconds from 0.01 to 3600",
					 optarg);
				return bad_usage(msg);
			}
			break;
		case '1':
			o->count = 1;
			o->count_set = 1;
			break;
		case 'n':
			if (parse_count(optarg, &o->count) < 0) {
				snprintf(
					msg, sizeof(msg),
					"--count '%.40s': expected a whole number from 1 to 1000000000",
					optarg);
				return bad_usage(msg);
			}
			o->count_set = 1;
			break;
		case 'j':
		case 'p':
		case 'l':
			if (o->kind != OUT_LIVE)
				return bad_usage(
					"--json, --prometheus and --list exclude each other");
			o->kind = c == 'j' ? OUT_JSON : c == 'p' ? OUT_PROM : OUT_LIST;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf(PROG " " PE_VERSION "\n");
			exit(0);
		case ':':
			bad_option_name(argv, opt, sizeof(opt));
			snprintf(msg, sizeof(msg), "%s: needs a value", opt);
			return bad_usage(msg);
		default:
			bad_option_name(argv, opt, sizeof(opt));
			snprintf(msg, sizeof(msg), "unknown option '%s'", opt);
			return bad_usage(msg);
		}
	}
	if (o->kind == OUT_LIST)
		return optind == argc ? 0 : bad_usage("--list takes no NAME");
	if (optind != argc - 1)
		return bad_usage(optind >= argc ? "missing NAME (the service's --stats-name)"
						: "exactly one NAME expected");
	o->name = argv[optind];
	if (o->kind == OUT_JSON && !o->count_set)
		o->count = 1;
	if (pe_stats_shm_path(o->name, msg, sizeof(msg)) < 0)
		return bad_usage(
			"NAME: 1 to 63 characters of A-Z a-z 0-9 . _ - (not starting with .)");
	return 0;
}

/* ------------------------------ the live table ----------------------------- */

static const char *block_label(const struct pe_stats_block *b, char *buf, size_t len)
{
	if (b->port != UINT32_MAX && b->queue != UINT32_MAX)
		snprintf(buf, len, "port %u queue %u", b->port, b->queue);
	else if (b->port != UINT32_MAX)
		snprintf(buf, len, "port %u", b->port);
	else if (b->thread >= 0)
		snprintf(buf, len, "thread %d", b->thread);
	else
		snprintf(buf, len, "-");
	return buf;
}

static void table_row(const char *name, const char *label, const struct pe_counters *prev,
		      const struct pe_counters *cur, uint64_t prev_ns, uint64_t cur_ns)
{
	struct pe_rates r;
	char safe[PE_STATS_LABEL_LEN];

	pe_rates_compute(prev, cur, prev_ns, cur_ns, &r);
	printf("%-16.16s %-18.18s %12.0f %12.0f %9.2f %9.2f %10.0f %14llu %14llu %10llu\n",
	       pe_report_text_safe(name, safe, sizeof(safe)), label, r.rx_pps, r.tx_pps,
	       r.rx_bps / 1e6, r.tx_bps / 1e6, r.drop_pps, (unsigned long long)cur->rx_packets,
	       (unsigned long long)cur->tx_packets, (unsigned long long)pe_counters_drops(cur));
}

/* Reasons that grew during the interval, as "reason n, ...". */
static void interval_drops(const struct pe_counters *prev, const struct pe_counters *cur)
{
	int any = 0;

	for (unsigned d = PE_DROP_NONE + 1; d < PE_DROP_MAX; d++) {
		if (cur->drops[d] <= prev->drops[d])
			continue;
		printf("%s%s %llu", any ? ", " : "drops this interval: ", pe_drop_name(d),
		       (unsigned long long)(cur->drops[d] - prev->drops[d]));
		any = 1;
	}
	printf("%s\n", any ? "" : "drops this interval: none");
}

static void render_table(const struct opts *o, const struct pe_stats_info *info,
			 const struct pe_stats_snapshot *prev, const struct pe_stats_snapshot *cur)
{
	struct timespec now;
	uint64_t up = 0;
	char label[48], service[PE_STATS_META_LEN], mode[PE_STATS_META_LEN];

	clock_gettime(CLOCK_REALTIME, &now);
	if ((uint64_t)now.tv_sec * 1000000000ull > info->start_unix_ns)
		up = ((uint64_t)now.tv_sec * 1000000000ull - info->start_unix_ns) / 1000000000ull;
	if (isatty(STDOUT_FILENO) && o->count != 1)
		fputs("\033[H\033[2J", stdout); /* top-like: redraw in place */
	printf("%s: %s%s%s, pid %d, up %llu:%02llu:%02llu, every %.2f s\n", o->name,
	       info->service[0] ? pe_report_text_safe(info->service, service, sizeof(service))
				: "service",
	       info->mode[0] ? " mode " : "", pe_report_text_safe(info->mode, mode, sizeof(mode)),
	       info->owner_pid, (unsigned long long)(up / 3600), (unsigned long long)(up / 60 % 60),
	       (unsigned long long)(up % 60), o->interval);
	printf("%-16s %-18s %12s %12s %9s %9s %10s %14s %14s %10s\n", "BLOCK", "WHERE", "Rx-pps",
	       "Tx-pps", "Rx-Mbps", "Tx-Mbps", "Drop/s", "RX-packets", "TX-packets", "Drops");
	for (unsigned i = 0; i < cur->n_blocks; i++)
		table_row(cur->blocks[i].name, block_label(&cur->blocks[i], label, sizeof(label)),
			  &prev->blocks[i].c, &cur->blocks[i].c, prev->time_ns, cur->time_ns);
	table_row("total", "", &prev->total, &cur->total, prev->time_ns, cur->time_ns);
	interval_drops(&prev->total, &cur->total);
	if (!isatty(STDOUT_FILENO) && o->count != 1)
		putchar('\n');
	fflush(stdout);
}

/* --------------------------------- watching -------------------------------- */

/* Whether the owner is still running; reports how it ended otherwise. */
static enum watch_end owner_state(const struct pe_stats *s, struct pe_stats_info *info)
{
	pe_stats_info(s, info);
	if (info->state == PE_STATS_CLOSED)
		return WATCH_STOPPED;
	if (!info->owner_alive)
		return WATCH_DIED;
	return WATCH_OK;
}

/* Sleeps one interval in short steps, watching for signals and the owner's exit. */
static enum watch_end wait_interval(const struct pe_stats *s, double seconds,
				    struct pe_stats_info *info)
{
	struct timespec step = {0, 100000000};
	double left = seconds;

	while (left > 0) {
		enum watch_end e;

		if (left < 0.1)
			step.tv_nsec = (long)(left * 1e9);
		nanosleep(&step, NULL);
		left -= 0.1;
		if (quit)
			return WATCH_SIGNAL;
		e = owner_state(s, info);
		if (e != WATCH_OK)
			return e;
	}
	return WATCH_OK;
}

static enum watch_end take(const struct pe_stats *s, struct pe_stats_snapshot *snap,
			   struct pe_stats_info *info)
{
	int rc = pe_stats_snapshot(s, snap);
	enum watch_end e = owner_state(s, info);

	if (e != WATCH_OK)
		return e;
	if (rc < 0) {
		fprintf(stderr, PROG ": snapshot: %s\n", pe_stats_strerror(rc));
		return WATCH_ERROR;
	}
	return WATCH_OK;
}

static enum watch_end watch(const struct opts *o, const struct pe_stats *s,
			    struct pe_stats_snapshot *prev, struct pe_stats_snapshot *cur,
			    struct pe_stats_info *info)
{
	enum watch_end e = take(s, prev, info);
	/* A service that never set its meta shows null, not "". */
	const struct pe_report_meta meta = {info->service[0] ? info->service : NULL, o->name,
					    info->mode[0] ? info->mode : NULL};

	if (e != WATCH_OK)
		return e;
	if (o->kind == OUT_PROM)
		return pe_report_prometheus(stdout, &meta, prev) < 0 ? WATCH_ERROR : WATCH_OK;
	for (unsigned long n = 1;; n++) {
		struct pe_stats_snapshot *t;

		e = wait_interval(s, o->interval, info);
		if (e == WATCH_OK)
			e = take(s, cur, info);
		if (e != WATCH_OK)
			return e;
		if (o->kind == OUT_JSON) {
			if (pe_report_interval(stdout, PE_REPORT_JSON, &meta, prev, cur, NULL) < 0)
				return WATCH_ERROR;
			fflush(stdout);
		} else {
			render_table(o, info, prev, cur);
		}
		if (n == o->count)
			return WATCH_OK;
		t = prev;
		prev = cur;
		cur = t;
	}
}

static int finish(const struct opts *o, enum watch_end e, const struct pe_stats_info *info)
{
	switch (e) {
	case WATCH_OK:
	case WATCH_SIGNAL:
		return 0;
	case WATCH_STOPPED:
		fprintf(stderr, PROG ": %s: service stopped (pid %d exited cleanly)\n", o->name,
			info->owner_pid);
		return 0;
	case WATCH_DIED:
		fprintf(stderr, PROG ": %s: service pid %d is gone without closing its stats\n",
			o->name, info->owner_pid);
		return 1;
	default:
		return 1;
	}
}

/* ---------------------------------- --list --------------------------------- */

static const char *state_name(const struct pe_stats_info *info)
{
	if (info->state == PE_STATS_CLOSED)
		return "closed";
	return info->owner_alive ? "live" : "stale (owner gone)";
}

static void list_one(const char *name)
{
	struct pe_stats *s = pe_stats_attach(name);
	struct pe_stats_info info;
	struct timespec now;
	uint64_t up = 0;
	char safe_name[256], service[PE_STATS_META_LEN], mode[PE_STATS_META_LEN];

	pe_report_text_safe(name, safe_name, sizeof(safe_name));
	if (!s) {
		printf("%-24s %s\n", safe_name, pe_stats_strerror(errno));
		return;
	}
	pe_stats_info(s, &info);
	clock_gettime(CLOCK_REALTIME, &now);
	if ((uint64_t)now.tv_sec * 1000000000ull > info.start_unix_ns)
		up = ((uint64_t)now.tv_sec * 1000000000ull - info.start_unix_ns) / 1000000000ull;
	printf("%-24s %-14.14s %-10.10s %8d %6u %9llus  %s\n", safe_name,
	       info.service[0] ? pe_report_text_safe(info.service, service, sizeof(service)) : "-",
	       info.mode[0] ? pe_report_text_safe(info.mode, mode, sizeof(mode)) : "-",
	       info.owner_pid, pe_stats_count(s), (unsigned long long)up, state_name(&info));
	pe_stats_destroy(s);
}

static int list_segments(void)
{
	static const char prefix[] = "/dev/shm/pktecho-";
	glob_t g;
	int rc = glob("/dev/shm/pktecho-*", 0, NULL, &g);

	if (rc == GLOB_NOMATCH) {
		printf("no pktecho stats segments\n");
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, PROG ": --list: cannot read /dev/shm\n");
		return 1;
	}
	printf("%-24s %-14s %-10s %8s %6s %10s  %s\n", "NAME", "SERVICE", "MODE", "PID", "BLOCKS",
	       "UP", "STATE");
	for (size_t i = 0; i < g.gl_pathc; i++)
		list_one(g.gl_pathv[i] + sizeof(prefix) - 1);
	globfree(&g);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct pe_stats *s;
	struct pe_stats_snapshot *a, *b;
	struct pe_stats_info info;
	struct sigaction sa = {.sa_handler = on_signal};
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc;
	if (o.kind == OUT_LIST)
		return list_segments();
	s = pe_stats_attach(o.name);
	if (!s) {
		fprintf(stderr, PROG ": %s: %s\n", o.name, pe_stats_strerror(errno));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* a closed terminal: a clean stop too */
	a = malloc(sizeof(*a));
	b = malloc(sizeof(*b));
	if (!a || !b) {
		fprintf(stderr, PROG ": out of memory\n");
		rc = 1;
	} else {
		rc = finish(&o, watch(&o, s, a, b, &info), &info);
	}
	free(a);
	free(b);
	pe_stats_destroy(s);
	return rc;
}
