/* SPDX-License-Identifier: MIT */
/* Option parsing: one parse function per kind of value, each with an end-pointer check and a
 * range, and one line naming the option on error. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "pe_conf.h"
#include "pe_config.h"

#define NANO 1e9

void load_opts_usage(FILE *out)
{
	fprintf(out,
		"usage: pktecho-load [options] TARGET\n"
		"  TARGET            udp://HOST:PORT or tcp://HOST:PORT (IPv6: udp://[2001:2::2]:7)\n"
		"  --size B          payload (UDP) or message (TCP) bytes, %u..%u (64)\n"
		"  --rate PPS|max    total packets (messages) per second (1000)\n"
		"  --duration S      measured seconds, 0 = until Ctrl-C or --count (10)\n"
		"  --count N         stop after N measured packets in total (0 = no limit)\n"
		"  --warmup S        seconds sent before measuring, not counted (0)\n"
		"  --drain S         after the last send, wait at most S for echoes (0.5)\n"
		"  --threads N       sending threads (1)\n"
		"  --flows N         flows = sockets = source ports, >= threads (= threads)\n"
		"  --report text|json  summary format (text)\n"
		"  --interval S      live report lines every S seconds (0 = off)\n"
		"  --stats-name NAME export live counters as shared memory /pktecho-NAME\n"
		"                    (pktecho-stat NAME watches them)\n"
		"  --file FILE       options from FILE, one \"option [value]\" per line, '#'\n"
		"                    comments; \"target URL\" for TARGET, \"eal ARGS...\" (--dpdk)\n"
		"  --target URL      TARGET as an option\n"
		"  --search ndr,pdr  find the highest rate without loss (NDR) and with loss ratio\n"
		"                    <= --pdr-loss (PDR), up to --rate (max: a ceiling trial)\n"
		"  --trial S         seconds per search trial (1); --duration: the confirming\n"
		"  --pdr-loss R      the PDR's loss ratio, 0.005 or 0.5%% (0.005)\n"
		"  --precision P     stop when (upper - lower) / upper <= P, 0.02 or 2%% (2%%)\n"
		"  --ceiling PPS     what this generator carries through a zero-work reflector:\n"
		"                    a search result >= 90%% of it is generator-bound\n"
		"  --prometheus HOST:PORT serve Prometheus text at GET /metrics: the counters and\n"
		"                    latency histograms (le 1 us .. 100 ms)\n"
		"  --help, --version\n"
		"DPDK mode: pktecho-load --dpdk [EAL options] -- [options] udp://IP:PORT\n"
		"  --src-ip ADDR     our address (required; IPv4 or IPv6 like the target)\n"
		"  --port N          DPDK port id (0)\n"
		"  --src-mac MAC     our MAC (the port's)\n"
		"  --dst-mac MAC     the target's MAC (found by ARP / NDP)\n"
		"  --link-wait S     wait for the link and the target's MAC (5)\n",
		(unsigned)PE_LOAD_HDR_LEN, (unsigned)PE_LOAD_MAX_SIZE);
}

static int opt_error(const char *opt, const char *val, const char *what)
{
	fprintf(stderr, "pktecho-load: %s%s '%s': %s (see pktecho-load --help)\n", pe_conf_where(),
		opt, val, what);
	return -1;
}

static int parse_u64(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
		char what[96];

		snprintf(what, sizeof(what), "expected an integer in %llu..%llu",
			 (unsigned long long)min, (unsigned long long)max);
		return opt_error(opt, text, what);
	}
	*out = v;
	return 0;
}

static int parse_seconds(const char *opt, const char *text, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(v) || v < 0 || v > 1e6)
		return opt_error(opt, text, "expected seconds, 0..1000000 (fractions allowed)");
	*ns = (uint64_t)llround(v * NANO);
	return 0;
}

/* A ratio as a fraction or a percentage ("0.02", "2%"), in [min, max). */
static int parse_ratio(const char *opt, const char *text, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end != text && *end == '%' && end[1] == '\0') {
		v /= 100.0;
		end++;
	}
	if (errno || end == text || *end || !isfinite(v) || v < min || v >= max) {
		char what[96];

		snprintf(what, sizeof(what), "expected a ratio (0.02 or 2%%) in [%g, %g)", min,
			 max);
		return opt_error(opt, text, what);
	}
	*out = v;
	return 0;
}

static int parse_search(const char *text, struct load_opts *o)
{
	char buf[32], *save = NULL;

	if (strlen(text) >= sizeof(buf))
		return opt_error("--search", text, "expected ndr, pdr or ndr,pdr");
	strcpy(buf, text);
	o->search_ndr = o->search_pdr = false;
	for (char *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		if (strcmp(g, "ndr") == 0)
			o->search_ndr = true;
		else if (strcmp(g, "pdr") == 0)
			o->search_pdr = true;
		else
			return opt_error("--search", text, "expected ndr, pdr or ndr,pdr");
	}
	o->search = o->search_ndr || o->search_pdr;
	return o->search ? 0 : opt_error("--search", text, "expected ndr, pdr or ndr,pdr");
}

static int parse_rate(const char *text, struct pe_load_cfg *cfg)
{
	if (strcmp(text, "max") == 0) {
		cfg->rate_max = true;
		return 0;
	}
	cfg->rate_max = false;
	return parse_u64("--rate", text, 1, 100000000, &cfg->rate) < 0 ? -1 : 0;
}

enum {
	OPT_SIZE = 256,
	OPT_RATE,
	OPT_DURATION,
	OPT_COUNT,
	OPT_WARMUP,
	OPT_DRAIN,
	OPT_THREADS,
	OPT_FLOWS,
	OPT_REPORT,
	OPT_INTERVAL,
	OPT_HELP,
	OPT_VERSION,
	OPT_SRC_IP,
	OPT_PORT,
	OPT_SRC_MAC,
	OPT_DST_MAC,
	OPT_LINK_WAIT,
	OPT_STATS_NAME,
	OPT_FILE,
	OPT_TARGET,
	OPT_PROMETHEUS,
	OPT_SEARCH,
	OPT_TRIAL,
	OPT_PDR_LOSS,
	OPT_PRECISION,
	OPT_CEILING,
};

static const struct option long_opts[] = {
	{"size", required_argument, NULL, OPT_SIZE},
	{"rate", required_argument, NULL, OPT_RATE},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"count", required_argument, NULL, OPT_COUNT},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"drain", required_argument, NULL, OPT_DRAIN},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"report", required_argument, NULL, OPT_REPORT},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"src-ip", required_argument, NULL, OPT_SRC_IP},
	{"port", required_argument, NULL, OPT_PORT},
	{"src-mac", required_argument, NULL, OPT_SRC_MAC},
	{"dst-mac", required_argument, NULL, OPT_DST_MAC},
	{"link-wait", required_argument, NULL, OPT_LINK_WAIT},
	{"stats-name", required_argument, NULL, OPT_STATS_NAME},
	{"file", required_argument, NULL, OPT_FILE},
	{"target", required_argument, NULL, OPT_TARGET},
	{"prometheus", required_argument, NULL, OPT_PROMETHEUS},
	{"search", required_argument, NULL, OPT_SEARCH},
	{"trial", required_argument, NULL, OPT_TRIAL},
	{"pdr-loss", required_argument, NULL, OPT_PDR_LOSS},
	{"precision", required_argument, NULL, OPT_PRECISION},
	{"ceiling", required_argument, NULL, OPT_CEILING},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static int parse_mac(const char *opt, const char *text, uint8_t mac[6], bool *set)
{
	unsigned v[6];
	char end;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6)
		return opt_error(opt, text, "expected a MAC address like 02:00:00:00:00:01");
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	*set = true;
	return 0;
}

static int parse_src_ip(const char *text, struct load_opts *o)
{
	struct pe_load_l2 *l2 = &o->cfg.l2;

	if (inet_pton(AF_INET, text, l2->src_ip) == 1)
		o->src_family = AF_INET;
	else if (inet_pton(AF_INET6, text, l2->src_ip) == 1)
		o->src_family = AF_INET6;
	else
		return opt_error("--src-ip", text, "expected an IPv4 or IPv6 address");
	return 0;
}

static const char *opt_name(int c)
{
	for (const struct option *p = long_opts; p->name; p++)
		if (p->val == c)
			return p->name;
	return "?";
}

/* DPDK-only options; returns 0 or -1 (error printed). */
static int opt_dpdk(int c, const char *arg, struct load_opts *o)
{
	struct pe_load_cfg *cfg = &o->cfg;
	uint64_t v = 0;
	int rc;

	switch (c) {
	case OPT_SRC_IP:
		rc = parse_src_ip(arg, o);
		break;
	case OPT_PORT:
		rc = parse_u64("--port", arg, 0, 1023, &v);
		cfg->dpdk_port = (uint16_t)v;
		break;
	case OPT_SRC_MAC:
		rc = parse_mac("--src-mac", arg, cfg->l2.src_mac, &cfg->src_mac_set);
		break;
	case OPT_DST_MAC:
		rc = parse_mac("--dst-mac", arg, cfg->l2.dst_mac, &cfg->dst_mac_set);
		break;
	case OPT_LINK_WAIT:
		rc = parse_seconds("--link-wait", arg, &cfg->link_wait_ns);
		break;
	default:
		return -1;
	}
	if (rc == 0 && !cfg->dpdk) {
		fprintf(stderr,
			"pktecho-load: --%s: only in the DPDK mode (pktecho-load --dpdk [EAL options] -- ...)\n",
			opt_name(c));
		return -1;
	}
	return rc;
}

static int opts_file(struct load_opts *o, const char *path);

/* One option; returns 0, 1 (help/version printed) or -1 (error printed). */
static int opt_one(int c, const char *arg, struct load_opts *o, uint64_t *flows)
{
	struct pe_load_cfg *cfg = &o->cfg;
	uint64_t v = 0, ns = 0;
	int rc = 0;

	switch (c) {
	case OPT_SIZE:
		rc = parse_u64("--size", arg, PE_LOAD_HDR_LEN, PE_LOAD_MAX_SIZE, &v);
		cfg->size = (uint32_t)v;
		return rc;
	case OPT_RATE:
		return parse_rate(arg, cfg);
	case OPT_DURATION:
		rc = parse_seconds("--duration", arg, &cfg->duration_ns);
		return rc;
	case OPT_COUNT:
		return parse_u64("--count", arg, 0, UINT64_MAX / 2, &cfg->count);
	case OPT_WARMUP:
		return parse_seconds("--warmup", arg, &cfg->warmup_ns);
	case OPT_DRAIN:
		return parse_seconds("--drain", arg, &cfg->drain_ns);
	case OPT_THREADS:
		rc = parse_u64("--threads", arg, 1, PE_LOAD_MAX_THREADS, &v);
		cfg->threads = (unsigned)v;
		return rc;
	case OPT_FLOWS:
		return parse_u64("--flows", arg, 1, PE_LOAD_MAX_FLOWS, flows);
	case OPT_REPORT:
		if (pe_report_fmt_parse(arg, &o->fmt) < 0)
			return opt_error("--report", arg, "expected text or json");
		return 0;
	case OPT_INTERVAL:
		rc = parse_seconds("--interval", arg, &ns);
		o->interval_s = (double)ns / NANO;
		return rc;
	case OPT_STATS_NAME:
		if (!pe_stats_name_valid(arg))
			return opt_error("--stats-name", arg, "expected " PE_STATS_NAME_RULE);
		cfg->stats_name = arg;
		return 0;
	case OPT_TARGET:
		o->target_text = arg;
		return 0;
	case OPT_FILE:
		return opts_file(o, arg);
	case OPT_SEARCH:
		return parse_search(arg, o);
	case OPT_PROMETHEUS:
		if (pe_prom_addr_check(arg) != 0)
			return opt_error("--prometheus", arg,
					 "expected HOST:PORT, [IPv6]:PORT or :PORT, port 0..65535");
		o->prometheus = arg;
		return 0;
	case OPT_TRIAL:
		rc = parse_seconds("--trial", arg, &o->trial_ns);
		if (rc == 0 && o->trial_ns < 1000000)
			return opt_error("--trial", arg, "expected at least 0.001 seconds");
		return rc;
	case OPT_PDR_LOSS:
		return parse_ratio("--pdr-loss", arg, 0.0, 1.0, &o->pdr_loss);
	case OPT_PRECISION:
		rc = parse_ratio("--precision", arg, 0.0, 1.0, &o->precision);
		if (rc == 0 && o->precision <= 0.0)
			return opt_error("--precision", arg, "expected a ratio above 0");
		return rc;
	case OPT_CEILING:
		return parse_u64("--ceiling", arg, 1, 100000000, &o->ceiling_pps) < 0 ? -1 : 0;
	case OPT_HELP:
		load_opts_usage(stdout);
		return 1;
	case OPT_VERSION:
		printf("pktecho-load %s\n", PE_VERSION);
		return 1;
	default:
		return opt_dpdk(c, arg, o);
	}
}

static int opt_from_file(void *arg, int val, char *value)
{
	struct load_opts *o = arg;

	return opt_one(val, value ? value : "", o, &o->flows) != 0 ? 2 : 0;
}

/* --file: the shared parser (lib/conf); its `eal` lines were read before the EAL started. */
static int opts_file(struct load_opts *o, const char *path)
{
	pe_conf_setup(&o->file, "pktecho-load", long_opts, OPT_FILE, opt_from_file, o);
	o->file.eal_refusal = o->cfg.dpdk ? NULL : "only with --dpdk";
	return pe_conf_read(&o->file, path) != 0 ? -1 : 0;
}

/* The DPDK mode's frame addresses come from the target and --src-ip. */
static int opts_dpdk_check(struct load_opts *o)
{
	struct pe_load_cfg *cfg = &o->cfg;
	const struct sockaddr_storage *t = &cfg->target.addr;

	if (cfg->target.proto != PE_LOAD_UDP)
		return opt_error("TARGET", o->target_text, "the DPDK mode sends UDP only");
	if (cfg->threads != 1) {
		fprintf(stderr, "pktecho-load: --threads: the DPDK mode runs one thread\n");
		return -1;
	}
	if (!o->src_family || o->src_family != t->ss_family) {
		fprintf(stderr,
			"pktecho-load: --src-ip: required in the DPDK mode, of the target's family (see pktecho-load --help)\n");
		return -1;
	}
	cfg->l2.family = t->ss_family;
	if (t->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)t;

		memcpy(cfg->l2.dst_ip, &a->sin_addr, 4);
		cfg->l2.dst_port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)t;

		memcpy(cfg->l2.dst_ip, &a->sin6_addr, 16);
		cfg->l2.dst_port = ntohs(a->sin6_port);
	}
	cfg->l2.size = cfg->size;
	if (pe_load_frame_len(&cfg->l2) > PE_LOAD_FRAME_MAX) {
		fprintf(stderr,
			"pktecho-load: --size %u: a DPDK frame holds at most %u bytes of payload here (see pktecho-load --help)\n",
			cfg->size, cfg->size - (pe_load_frame_len(&cfg->l2) - PE_LOAD_FRAME_MAX));
		return -1;
	}
	return 0;
}

static int opts_target(int argc, char **argv, struct load_opts *o)
{
	int rc;

	if (optind == argc && o->target_text) /* a `target` line of a --file */
		goto parse;
	if (optind != argc - 1) {
		fprintf(stderr,
			"pktecho-load: expected exactly one TARGET (udp://HOST:PORT or tcp://HOST:PORT), got %d (see pktecho-load --help)\n",
			argc - optind);
		return -1;
	}
	o->target_text = argv[optind];
parse:
	rc = pe_load_target_parse(o->target_text, &o->cfg.target);
	if (rc == -ENOENT)
		return opt_error("TARGET", o->target_text, "host does not resolve");
	if (rc < 0)
		return opt_error("TARGET", o->target_text,
				 "expected udp://HOST:PORT or tcp://HOST:PORT, port 1..65535");
	return o->cfg.dpdk ? opts_dpdk_check(o) : 0;
}

int load_opts_parse(int argc, char **argv, bool dpdk, struct load_opts *o)
{
	uint64_t *flows = &o->flows;
	int c;

	memset(o, 0, sizeof(*o));
	pe_load_cfg_init(&o->cfg);
	o->cfg.dpdk = dpdk;
	o->fmt = PE_REPORT_TEXT;
	o->trial_ns = 1000000000ull;
	o->pdr_loss = 0.005;
	o->precision = 0.02;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		int rc;

		if (c == ':') {
			fprintf(stderr,
				"pktecho-load: %s: missing value (see pktecho-load --help)\n",
				argv[optind - 1]);
			return -1;
		}
		if (c == '?') {
			fprintf(stderr,
				"pktecho-load: %s: unknown option (see pktecho-load --help)\n",
				argv[optind - 1]);
			return -1;
		}
		rc = opt_one(c, optarg, o, flows);

		if (rc != 0)
			return rc;
	}
	o->cfg.flows = *flows ? (unsigned)*flows : o->cfg.threads;
	if (o->cfg.flows < o->cfg.threads) {
		fprintf(stderr,
			"pktecho-load: --flows %u: must be at least --threads (%u) (see pktecho-load --help)\n",
			o->cfg.flows, o->cfg.threads);
		return -1;
	}
	if (o->ceiling_pps && !o->search) {
		fprintf(stderr,
			"pktecho-load: --ceiling: only with --search (see pktecho-load --help)\n");
		return -1;
	}
	if (o->search && (o->cfg.count || o->cfg.duration_ns == 0)) {
		fprintf(stderr,
			"pktecho-load: --search: needs a --duration for the confirming trial and no --count (see pktecho-load --help)\n");
		return -1;
	}
	return opts_target(argc, argv, o);
}
