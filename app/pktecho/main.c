/* SPDX-License-Identifier: MIT */
/* pktecho: the socket fallback echo service. Parses options, wires lib/sock, lib/stats and
 * lib/report together, runs until SIGINT/SIGTERM or --duration, prints the final report. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "pe_conf.h"
#include "pe_config.h"
#include "pe_ctl.h"
#include "pe_notify.h"
#include "pe_reactor.h"
#include "pe_report.h"
#include "pe_sock.h"

#define NS_PER_S 1000000000ull

struct opts {
	struct pe_sock_cfg sock;
	double stats_interval, duration;
	enum pe_report_fmt report;
	const char *stats_name;
	const char *prometheus;
	struct pe_rl_rate reply_limit, source_limit; /* per process */
	struct pe_conf file;			     /* --file contents (values point into them) */
};

struct app {
	struct opts *o;
	struct pe_stats *stats;
	struct pe_sock_server *srv;
	struct pe_report_session *rs;
	struct pe_loop *loop;
	struct pe_ctl *ctl;	  /* --stats-name: the control queue /pktecho-NAME.ctl */
	struct pe_notify notify;  /* the service manager (sd_notify), when it asks */
	struct pe_rl_live limits; /* the reply limits as pktecho-ctl sets them at run time */
};

static void usage(FILE *f)
{
	fputs("usage: pktecho [--udp HOST:PORT]... [--tcp HOST:PORT]... [options]\n"
	      "  --udp HOST:PORT        UDP echo on HOST:PORT (repeatable; [v6addr]:PORT, *:PORT)\n"
	      "  --tcp HOST:PORT        TCP echo on HOST:PORT (repeatable)\n"
	      "  --threads N            worker threads (1..64, default 1)\n"
	      "  --io-model M           blocking|nonblocking|epoll|sigio|uring (default epoll)\n"
	      "  --splice               TCP echo through a pipe with splice (no user-space copy)\n"
	      "  --sendfile HOST:PORT=FILE  stream FILE to each connection with sendfile, then close\n"
	      "  --max-conns N          refuse TCP connections beyond N open ones (0: no cap)\n"
	      "  --high-water BYTES     pending output per connection that pauses reading (4M)\n"
	      "  --max-buffer BYTES     TCP buffer storage of all connections above which the\n"
	      "                         connections holding the most pause reading (64M; 0: no cap)\n"
	      "  --stats-interval SEC   interval reports every SEC seconds (0: off, default)\n"
	      "  --report text|json     report format (default text)\n"
	      "  --duration SEC         stop after SEC seconds (0: until SIGINT/SIGTERM/SIGHUP;\n"
	      "                         a second signal exits at once)\n"
	      "  --stats-name NAME      export live counters as shared memory /pktecho-NAME\n"
	      "                         and take pktecho-ctl commands on /pktecho-NAME.ctl\n"
	      "  --prometheus HOST:PORT serve Prometheus text at GET /metrics\n"
	      "  --reply-limit PPS[/BURST]|off  UDP replies per second, whole process (off)\n"
	      "  --source-limit PPS[/BURST]|off UDP replies per second per source /24 or /64\n"
	      "                         (10000/1000; off for benchmarks from one source)\n"
	      "  --file FILE            options from FILE: one \"option [value]\" per line, '#'\n"
	      "                         comments (config/pktecho.conf)\n"
	      "  -h, --help             this text;  --version  the version\n",
	      f);
}

static int bad(const char *opt, const char *val, const char *why)
{
	char safe[128];

	fprintf(stderr, "pktecho: %s%s '%s': %s\n", pe_conf_where(), opt,
		pe_conf_escape(val, strlen(val), safe, sizeof(safe)), why);
	fputs("Try 'pktecho --help' for the options.\n", stderr);
	return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '+' || *s == '\0')
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mult = 1;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1024ull * 1024 * 1024, end++;
	if (errno || *end != '\0' || v > max / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !(v >= 0) || v > 1e7)
		return -EINVAL;
	*out = v;
	return 0;
}

static uint16_t addr_port(const struct pe_sock_addr *a)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&a->ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)&a->ss;
	return ntohs(a->ss.ss_family == AF_INET6 ? in6->sin6_port : in->sin_port);
}

static int add_addr(struct pe_sock_addr *list, unsigned *n, const char *opt, const char *val)
{
	if (*n >= PE_SOCK_MAX_ADDRS)
		return bad(opt, val, "too many addresses (at most 16)");
	if (pe_sock_addr_parse(val, &list[*n]) < 0)
		return bad(opt, val,
			   "expected HOST:PORT (IPv4, [IPv6], * or localhost; port 0..65535)");
	for (unsigned i = 0; i < *n && addr_port(&list[*n]) != 0; i++) /* :0 = a new port each */
		if (list[i].len == list[*n].len && !memcmp(&list[i].ss, &list[*n].ss, list[i].len))
			return bad(opt, val, "given twice");
	(*n)++;
	return 0;
}

static int add_sendfile(struct pe_sock_cfg *c, const char *val)
{
	const char *eq = strchr(val, '=');
	char addr[128];
	if (!eq || eq == val || eq[1] == '\0' || (size_t)(eq - val) >= sizeof(addr))
		return bad("--sendfile", val, "expected HOST:PORT=FILE");
	if (c->n_sendfile >= PE_SOCK_MAX_ADDRS)
		return bad("--sendfile", val, "too many addresses (at most 16)");
	memcpy(addr, val, (size_t)(eq - val));
	addr[eq - val] = '\0';
	if (pe_sock_addr_parse(addr, &c->sendfile[c->n_sendfile].addr) < 0)
		return bad("--sendfile", val, "expected HOST:PORT=FILE");
	if (access(eq + 1, R_OK) < 0)
		return bad("--sendfile", val, strerror(errno));
	c->sendfile[c->n_sendfile++].path = eq + 1;
	return 0;
}

enum {
	OPT_UDP = 256,
	OPT_TCP,
	OPT_THREADS,
	OPT_IO_MODEL,
	OPT_SPLICE,
	OPT_SENDFILE,
	OPT_MAX_CONNS,
	OPT_HIGH_WATER,
	OPT_MAX_BUFFER,
	OPT_INTERVAL,
	OPT_REPORT,
	OPT_DURATION,
	OPT_STATS_NAME,
	OPT_PROMETHEUS,
	OPT_VERSION,
	OPT_FILE,
	OPT_REPLY_LIMIT,
	OPT_SOURCE_LIMIT,
};

static const struct option long_opts[] = {
	{"udp", required_argument, NULL, OPT_UDP},
	{"tcp", required_argument, NULL, OPT_TCP},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"io-model", required_argument, NULL, OPT_IO_MODEL},
	{"splice", no_argument, NULL, OPT_SPLICE},
	{"sendfile", required_argument, NULL, OPT_SENDFILE},
	{"max-conns", required_argument, NULL, OPT_MAX_CONNS},
	{"high-water", required_argument, NULL, OPT_HIGH_WATER},
	{"max-buffer", required_argument, NULL, OPT_MAX_BUFFER},
	{"stats-interval", required_argument, NULL, OPT_INTERVAL},
	{"report", required_argument, NULL, OPT_REPORT},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"stats-name", required_argument, NULL, OPT_STATS_NAME},
	{"prometheus", required_argument, NULL, OPT_PROMETHEUS},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"file", required_argument, NULL, OPT_FILE},
	{"reply-limit", required_argument, NULL, OPT_REPLY_LIMIT},
	{"source-limit", required_argument, NULL, OPT_SOURCE_LIMIT},
	{NULL, 0, NULL, 0},
};

static int read_file(struct opts *o, const char *path);

/* One option's value. 0, 2 (bad value: message printed) or -1 (exit 0 after --help/--version). */
static int parse_one(struct opts *o, int c, const char *arg)
{
	struct pe_sock_cfg *s = &o->sock;
	uint64_t v;
	switch (c) {
	case OPT_UDP:
		return add_addr(s->udp, &s->n_udp, "--udp", arg);
	case OPT_TCP:
		return add_addr(s->tcp, &s->n_tcp, "--tcp", arg);
	case OPT_THREADS:
		if (parse_u64(arg, PE_SOCK_MAX_THREADS, &v) < 0 || v == 0)
			return bad("--threads", arg, "expected a number in 1..64");
		s->threads = (unsigned)v;
		return 0;
	case OPT_IO_MODEL:
		if (pe_io_model_parse(arg, &s->model) < 0)
			return bad("--io-model", arg,
				   "expected blocking, nonblocking, epoll, sigio or uring");
		if (!pe_io_model_available(s->model))
			return bad("--io-model", arg, "this build has no io_uring (liburing)");
		return 0;
	case OPT_SPLICE:
		s->splice = true;
		return 0;
	case OPT_SENDFILE:
		return add_sendfile(s, arg);
	case OPT_MAX_CONNS:
		if (parse_u64(arg, UINT32_MAX, &v) < 0)
			return bad("--max-conns", arg, "expected a number (0: no cap)");
		s->max_conns = (unsigned)v;
		return 0;
	case OPT_HIGH_WATER:
		if (parse_u64(arg, 1ull << 40, &v) < 0 || v < 2)
			return bad("--high-water", arg,
				   "expected a byte count >= 2 (K/M/G suffixes)");
		s->high_water = (size_t)v;
		return 0;
	case OPT_MAX_BUFFER:
		if (parse_u64(arg, 1ull << 40, &v) < 0)
			return bad("--max-buffer", arg,
				   "expected a byte count (K/M/G suffixes; 0: no cap)");
		s->max_buffer = (size_t)v;
		return 0;
	case OPT_INTERVAL:
		if (parse_seconds(arg, &o->stats_interval) < 0)
			return bad("--stats-interval", arg, "expected seconds >= 0");
		return 0;
	case OPT_REPORT:
		if (pe_report_fmt_parse(arg, &o->report) < 0)
			return bad("--report", arg, "expected text or json");
		return 0;
	case OPT_DURATION:
		if (parse_seconds(arg, &o->duration) < 0)
			return bad("--duration", arg, "expected seconds >= 0");
		return 0;
	case OPT_STATS_NAME:
		if (!pe_stats_name_valid(arg))
			return bad("--stats-name", arg, "expected " PE_STATS_NAME_RULE);
		o->stats_name = arg;
		return 0;
	case OPT_PROMETHEUS:
		if (pe_prom_addr_check(arg) != 0)
			return bad("--prometheus", arg,
				   "expected HOST:PORT, [IPv6]:PORT or :PORT, port 0..65535");
		o->prometheus = arg;
		return 0;
	case OPT_FILE:
		return read_file(o, arg);
	case OPT_REPLY_LIMIT:
	case OPT_SOURCE_LIMIT:
		if (pe_rl_rate_parse(arg,
				     c == OPT_REPLY_LIMIT ? &o->reply_limit : &o->source_limit) < 0)
			return bad(c == OPT_REPLY_LIMIT ? "--reply-limit" : "--source-limit", arg,
				   "expected PPS[/BURST] (1..100000000) or off");
		return 0;
	case 'h':
		usage(stdout);
		return -1;
	case OPT_VERSION:
		printf("pktecho %s\n", PE_VERSION);
		return -1;
	default:
		return 2;
	}
}

static int apply_file_opt(void *arg, int val, char *value)
{
	return parse_one(arg, val, value ? value : "");
}

/* --file: the parser every program shares (lib/conf). */
static int read_file(struct opts *o, const char *path)
{
	pe_conf_setup(&o->file, "pktecho", long_opts, OPT_FILE, apply_file_opt, o);
	o->file.eal_refusal = "pktecho has no EAL (they are for pktecho-dpdk)";
	return pe_conf_read(&o->file, path);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "pktecho: %s '%s'\n",
				c == ':' ? "missing value for option" : "unknown option",
				argv[optind - 1]);
			fputs("Try 'pktecho --help' for the options.\n", stderr);
			return 2;
		}
		int rc = parse_one(o, c, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return bad("argument", argv[optind], "unexpected (options only)");
	struct pe_sock_cfg *s = &o->sock;
	if (s->n_udp + s->n_tcp + s->n_sendfile == 0)
		return bad("--udp/--tcp", "", "give at least one address to serve");
	if (s->model == PE_IO_URING && (s->splice || s->n_sendfile))
		return bad("--io-model", "uring", "--splice and --sendfile need another IO model");
	return 0;
}

/* ---- reporting ---- */

/* pktecho's own fields after the schema's: model, threads, connection gauges. */
static void extras_set(struct pe_report_session *rs, const struct opts *o,
		       const struct pe_sock_info *info)
{
	pe_report_set_str(rs, "io_model", pe_io_model_name(o->sock.model));
	pe_report_set_u64(rs, "threads", o->sock.threads);
	pe_report_set_u64(rs, "conns_active", info->conns_active);
	pe_report_set_u64(rs, "conns_refused", info->conns_refused);
	pe_report_set_u64(rs, "accept_emfile", info->emfile);
}

/* Before each interval report: the server's gauges now. The summary's are set at the stop. */
static void before_report(struct pe_report_session *rs, bool final, void *arg)
{
	struct app *a = arg;
	struct pe_sock_info info = {0};

	if (final)
		return;
	if (a->srv)
		pe_sock_server_info(a->srv, &info);
	extras_set(rs, a->o, &info);
}

/* The Prometheus gauges, on the endpoint's thread: the server's counters are atomics. */
static unsigned prom_gauges(struct pe_report_gauge *g, unsigned max, void *arg)
{
	struct app *a = arg;
	struct pe_sock_info info = {0};

	if (max < 1 || !a->srv)
		return 0;
	pe_sock_server_info(a->srv, &info);
	g[0] = (struct pe_report_gauge){"conns_active", "TCP connections open now (sockets).",
					info.conns_active};
	return 1;
}

static void on_interval(void *arg)
{
	struct app *a = arg;
	pe_report_tick(a->rs);
}

static void on_stop(void *arg)
{
	struct app *a = arg;
	pe_loop_quit(a->loop);
}

/* A second signal while the stop is under way (workers finishing, a blocked peer): the user
 * means it. Only the main thread has the signals unblocked by then. */
static void on_second_signal(int sig)
{
	_exit(128 + sig);
}

static void on_signal(struct pe_channel *ch)
{
	struct signalfd_siginfo si;
	if (read(ch->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		struct sigaction sa = {.sa_handler = on_second_signal};
		sigset_t set;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		pe_loop_quit(ch->loop);
	}
}

static const struct pe_channel_ops signal_ops = {.on_read = on_signal};

/* ---- runtime control (pktecho-ctl), on the main loop's thread: never a worker's ---- */

static int ctl_status(void *arg, char *buf, size_t len)
{
	struct app *a = arg;
	struct pe_report_view v;

	if (pe_report_peek(a->rs, &v) < 0)
		return -1;
	return pe_ctl_status_render(buf, len, v.meta, &a->limits, v.first, v.now, v.extra);
}

/* The report totals restart here; the exported counters stay monotonic (Prometheus). */
static void ctl_reset(void *arg)
{
	struct app *a = arg;
	pe_report_restart(a->rs);
}

static void ctl_stop(void *arg)
{
	struct app *a = arg;
	pe_loop_quit(a->loop);
}

static const struct pe_ctl_ops ctl_ops = {
	.status = ctl_status, .reset_counters = ctl_reset, .stop = ctl_stop};

static void on_ctl(struct pe_channel *ch)
{
	struct app *a = ch->arg;
	pe_ctl_poll(a->ctl);
}

static const struct pe_channel_ops ctl_channel_ops = {.on_read = on_ctl};

/* STATUS= rates, and WATCHDOG=1 while every worker loop answers its ping. */
static void on_notify_tick(void *arg)
{
	struct app *a = arg;
	uint64_t hb[PE_NOTIFY_MAX_WORKERS];
	int n = pe_sock_server_heartbeats(a->srv, hb, PE_NOTIFY_MAX_WORKERS);

	pe_notify_tick(&a->notify, a->stats, hb, n);
}

static void print_bound(const struct pe_sock_server *srv, const struct pe_sock_cfg *c)
{
	static const char *const kind[] = {"udp", "tcp", "sendfile"};
	unsigned n[] = {c->n_udp, c->n_tcp, c->n_sendfile};
	char buf[80];
	for (int k = 0; k < 3; k++) {
		for (unsigned i = 0; i < n[k]; i++) {
			struct pe_sock_addr a;
			pe_sock_server_addr(srv, (enum pe_sock_kind)k, i, &a);
			fprintf(stderr, "pktecho: %s %s\n", kind[k],
				pe_sock_addr_str(&a, buf, sizeof(buf)));
		}
	}
	fprintf(stderr, "pktecho: running (%s, %u thread%s)\n", pe_io_model_name(c->model),
		c->threads, c->threads == 1 ? "" : "s");
}

/* The main thread's loop: signals, interval reports, the duration. */
static int run(struct app *a, int sfd)
{
	struct pe_channel sig, ctl;
	struct pe_timer *tick = NULL, *stop = NULL, *notify = NULL;
	pe_channel_init(&sig, a->loop, sfd, &signal_ops, a);
	int rc = pe_channel_set(&sig, PE_EV_READ);
	if (rc == 0 && a->ctl) {
		pe_channel_init(&ctl, a->loop, pe_ctl_fd(a->ctl), &ctl_channel_ops, a);
		rc = pe_channel_set(&ctl, PE_EV_READ);
	}
	if (rc == 0 && a->o->stats_interval > 0) {
		uint64_t ns = (uint64_t)(a->o->stats_interval * NS_PER_S);
		tick = pe_timer_create(a->loop, ns, ns, on_interval, a);
		rc = tick ? 0 : -errno;
	}
	if (rc == 0 && a->o->duration > 0) {
		stop = pe_timer_create(a->loop, (uint64_t)(a->o->duration * NS_PER_S), 0, on_stop,
				       a);
		rc = stop ? 0 : -errno;
	}
	if (rc == 0 && a->notify.enabled) {
		notify = pe_timer_create(a->loop, a->notify.period_ns, a->notify.period_ns,
					 on_notify_tick, a);
		rc = notify ? 0 : -errno;
	}
	if (rc == 0) {
		pe_notify_ready(&a->notify, "serving");
		rc = pe_loop_run(a->loop);
		pe_notify_stopping(&a->notify);
	}
	pe_timer_destroy(notify);
	pe_timer_destroy(tick);
	pe_timer_destroy(stop);
	if (a->ctl)
		pe_channel_remove(&ctl);
	pe_channel_remove(&sig);
	return rc;
}

static int serve(struct opts *o)
{
	struct app a = {.o = o};
	struct pe_pkt_cfg pkt;
	const char *what = "";
	int status = 1;
	pe_pkt_cfg_init(&pkt);
	pkt.reply_limit = o->reply_limit;
	pkt.source_limit = o->source_limit;
	pkt.limit_shares = o->sock.threads;
	pe_rl_live_init(&a.limits, &pkt.reply_limit, &pkt.source_limit);
	pkt.live = &a.limits;
	/* Our own UDP ports are refused as sources (loop guard): a pair of our sockets, or an
	 * echo service configured like us, would answer each other forever. */
	memset(pkt.echo_ports, 0, sizeof(pkt.echo_ports));
	for (unsigned i = 0; i < o->sock.n_udp; i++) {
		uint16_t port = addr_port(&o->sock.udp[i]);
		pkt.echo_ports[port >> 3] |= (uint8_t)(1u << (port & 7));
	}
	o->sock.pkt = &pkt;
	struct pe_report_session_cfg rcfg = {
		.fmt = o->report,
		.meta = {"pktecho", o->stats_name, pe_io_model_name(o->sock.model)},
		.interval_s = o->stats_interval,
		.before = before_report,
		.gauges = prom_gauges,
		.arg = &a,
	};

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP); /* a closed terminal or session: the same clean stop */
	/* Blocked before any thread starts, so every thread inherits the mask: only signalfd
	 * sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN); /* write/splice/sendfile on a reset socket: EPIPE, not death */
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	a.stats = pe_stats_create(pe_sock_stats_blocks(&o->sock), o->stats_name);
	if (a.stats)
		pe_stats_set_meta(a.stats, "pktecho", rcfg.meta.mode);
	/* The run starts before the sockets exist: a datagram that arrives before the first report
	 * must still count in the summary (last - first). */
	if (a.stats)
		a.rs = pe_report_open(&rcfg, a.stats);
	a.loop = pe_loop_create();
	if (!a.stats) {
		fprintf(stderr, "pktecho: --stats-name %s: %s\n",
			o->stats_name ? o->stats_name : "", pe_stats_strerror(errno));
		goto out;
	}
	if (sfd < 0 || !a.rs || !a.loop) {
		fprintf(stderr, "pktecho: setup: %s\n", strerror(errno));
		goto out;
	}
	a.srv = pe_sock_server_create(&o->sock, a.stats, &what);
	if (!a.srv) {
		int err = errno;
		bool binding = !strncmp(what, "--udp ", 6) || !strncmp(what, "--tcp ", 6);
		/* bind's EACCES: a port below 1024 (net.ipv4.ip_unprivileged_port_start). */
		fprintf(stderr, "pktecho: %s: %s%s\n", what, strerror(err),
			err == EACCES && binding
				? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
				: "");
		goto out;
	}
	if (o->prometheus) {
		if (pe_report_serve_prometheus(a.rs, o->prometheus) < 0) {
			fprintf(stderr, "pktecho: --prometheus '%s': %s\n", o->prometheus,
				strerror(errno));
			goto out;
		}
		fprintf(stderr, "pktecho: prometheus port %u\n", pe_report_prometheus_port(a.rs));
	}
	/* After the stats segment: its owner is the only one who may hold the control queue. */
	if (o->stats_name) {
		a.ctl = pe_ctl_open(o->stats_name, &ctl_ops, &a);
		if (!a.ctl) {
			fprintf(stderr, "pktecho: control queue /pktecho-%s.ctl: %s\n",
				o->stats_name, strerror(errno));
			goto out;
		}
		pe_ctl_set_limits(a.ctl, &a.limits);
	}
	/* Ports the kernel chose (:0) join the guard once known (the workers read it meanwhile). */
	for (unsigned i = 0; i < o->sock.n_udp; i++) {
		struct pe_sock_addr bound;
		pe_sock_server_addr(a.srv, PE_SOCK_UDP, i, &bound);
		uint16_t port = addr_port(&bound);
		__atomic_fetch_or(&pkt.echo_ports[port >> 3], (uint8_t)(1u << (port & 7)),
				  __ATOMIC_RELAXED);
	}
	print_bound(a.srv, &o->sock);
	pe_notify_init(&a.notify);
	if (run(&a, sfd) < 0)
		fprintf(stderr, "pktecho: event loop: %s\n", strerror(errno));
	/* Stop the workers first: the final counts are then complete. */
	struct pe_sock_info info;
	pe_report_stop_prometheus(a.rs);   /* its gauges read the server */
	pe_sock_server_info(a.srv, &info); /* connections still open at the stop */
	pe_sock_server_destroy(a.srv);
	a.srv = NULL;
	extras_set(a.rs, o, &info);
	pe_report_finish(a.rs);
	status = 0;
out:
	pe_notify_fini(&a.notify);
	pe_ctl_close(a.ctl);
	pe_report_close(a.rs);
	pe_sock_server_destroy(a.srv);
	pe_stats_destroy(a.stats);
	pe_loop_destroy(a.loop);
	if (sfd >= 0)
		close(sfd);
	o->sock.pkt = NULL; /* pkt lives on this stack frame */
	return status;
}

int main(int argc, char **argv)
{
	struct opts o = {.report = PE_REPORT_TEXT,
			 .source_limit = {PE_RL_SRC_PPS, PE_RL_SRC_BURST}};
	pe_sock_cfg_init(&o.sock);
	int rc = parse_args(argc, argv, &o);
	if (rc == 0)
		rc = serve(&o);
	pe_conf_free(&o.file);
	return rc < 0 ? 0 : rc;
}
