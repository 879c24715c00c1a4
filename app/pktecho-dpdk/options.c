/* SPDX-License-Identifier: MIT */
/* Option parsing: getopt_long over the arguments after "--", one parse function per kind of
 * value, one line naming the option on any error. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "pe_config.h"
#include "pe_conf.h"

#define PROG "pktecho-dpdk"

void app_usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [EAL options] -- [options]\n"
		"  --mode service|l2|l4      service: ARP/NDP/ICMP/UDP echo host (default);\n"
		"                            l2: MAC swap; l4: MAC+IP+port swap (benchmark rigs)\n"
		"  --ip ADDR[/PREFIX]        a service address, IPv4 or IPv6 (repeatable;\n"
		"                            required in service mode)\n"
		"  --udp-ports LIST          UDP echo ports, e.g. 7,9000-9010 (default 7)\n"
		"  --loop-ports LIST         UDP source ports refused (default 7,9,13,17,19,37;\n"
		"                            our echo ports and port 0 are refused too)\n"
		"  --reply-limit PPS[/BURST]|off  service mode: replies per second, whole\n"
		"                            process (default off)\n"
		"  --source-limit PPS[/BURST]|off service mode: replies per second per source\n"
		"                            /24 or /64 (default 10000/1000; off to benchmark\n"
		"                            from one source)\n"
		"  --promisc                 promiscuous ports; accept any destination MAC\n"
		"  --mac MAC                 set the ports' MAC address (vdevs, tests)\n"
		"  --config (P,Q,L)[,...]    RX queue Q of port P on lcore L (default: queues\n"
		"                            round-robin over the worker lcores)\n"
		"  --rxq N --txq N           queues per port (default 1; txq >= rxq)\n"
		"  --rxd N --txd N           descriptors per queue (default 1024)\n"
		"  --burst N                 packets per rx_burst, 1..%d (default 32)\n"
		"  --mbufs N                 mbufs per port pool (default: sized from the rings)\n"
		"  --prefetch auto|on|off    prefetch frame data in the loop (auto: NICs on,\n"
		"                            vdevs off: they copy the frame, it is in cache)\n"
		"  --stats-interval SEC      interval reports every SEC seconds (0 = off, default)\n"
		"  --report text|json        report format (json: one object per line)\n"
		"  --duration SEC            stop after SEC seconds (0 = at SIGINT/SIGTERM/SIGHUP)\n"
		"  --stats-name NAME         export live counters as shared memory /pktecho-NAME\n"
		"                            and take pktecho-ctl commands on /pktecho-NAME.ctl\n"
		"  --prometheus HOST:PORT    serve Prometheus text at http://HOST:PORT/metrics\n"
		"  --file FILE               read options from FILE: one \"option [value]\" per\n"
		"                            line, '#' comments, \"eal ARGS...\" lines for the EAL\n"
		"                            (config/dpdk-*.conf)\n"
		"  -h, --help                this text;  --version  the version\n"
		"example: " PROG
		" -l 0,1 --vdev net_af_packet0,iface=veth0 -- --ip 198.18.0.1/24\n",
		PE_DPDK_MAX_BURST);
}

void app_usage_hint(void)
{
	fprintf(stderr, "usage: " PROG " [EAL options] -- [options]; try '" PROG " -- --help'\n");
}

static int fail(const char *opt, const char *fmt, const char *value)
{
	fprintf(stderr, PROG ": %s%s: ", pe_conf_where(), opt);
	fprintf(stderr, fmt, value);
	fputc('\n', stderr);
	app_usage_hint();
	return 2;
}

static int parse_u32(const char *opt, const char *text, unsigned long min, unsigned long max,
		     uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, PROG ": %s%s: '%s' is not a whole number in %lu..%lu\n",
			pe_conf_where(), opt, text, min, max);
		app_usage_hint();
		return 2;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_u16(const char *opt, const char *text, unsigned long min, unsigned long max,
		     uint16_t *out)
{
	uint32_t v;
	int ret = parse_u32(opt, text, min, max, &v);

	if (ret == 0)
		*out = (uint16_t)v;
	return ret;
}

static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return fail("--mac", "'%s' is not a MAC address like 02:00:00:00:00:01", text);
	if (b[0] & 1)
		return fail("--mac", "'%s' is a group (multicast) address", text);
	if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
		return fail("--mac", "'%s' is the zero address", text);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* The same rule and words as every program (the name is no DPDK object: no 32-byte limit). */
static int parse_name(const char *text)
{
	if (!pe_stats_name_valid(text))
		return fail("--stats-name", "'%s': expected " PE_STATS_NAME_RULE, text);
	return 0;
}

static int parse_report(const char *text, enum pe_report_fmt *fmt)
{
	if (strcmp(text, "text") == 0)
		*fmt = PE_REPORT_TEXT;
	else if (strcmp(text, "json") == 0)
		*fmt = PE_REPORT_JSON;
	else
		return fail("--report", "'%s' is not text or json", text);
	return 0;
}

enum {
	OPT_MODE = 256,
	OPT_IP,
	OPT_UDP_PORTS,
	OPT_LOOP_PORTS,
	OPT_PROMISC,
	OPT_MAC,
	OPT_CONFIG,
	OPT_RXQ,
	OPT_TXQ,
	OPT_RXD,
	OPT_TXD,
	OPT_BURST,
	OPT_MBUFS,
	OPT_STATS_INTERVAL,
	OPT_REPORT,
	OPT_DURATION,
	OPT_STATS_NAME,
	OPT_PROMETHEUS,
	OPT_FILE,
	OPT_PREFETCH,
	OPT_REPLY_LIMIT,
	OPT_SOURCE_LIMIT,
};

static const struct option long_opts[] = {
	{"mode", required_argument, NULL, OPT_MODE},
	{"ip", required_argument, NULL, OPT_IP},
	{"udp-ports", required_argument, NULL, OPT_UDP_PORTS},
	{"loop-ports", required_argument, NULL, OPT_LOOP_PORTS},
	{"promisc", no_argument, NULL, OPT_PROMISC},
	{"mac", required_argument, NULL, OPT_MAC},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"rxq", required_argument, NULL, OPT_RXQ},
	{"txq", required_argument, NULL, OPT_TXQ},
	{"rxd", required_argument, NULL, OPT_RXD},
	{"txd", required_argument, NULL, OPT_TXD},
	{"burst", required_argument, NULL, OPT_BURST},
	{"mbufs", required_argument, NULL, OPT_MBUFS},
	{"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	{"report", required_argument, NULL, OPT_REPORT},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"stats-name", required_argument, NULL, OPT_STATS_NAME},
	{"prometheus", required_argument, NULL, OPT_PROMETHEUS},
	{"file", required_argument, NULL, OPT_FILE},
	{"prefetch", required_argument, NULL, OPT_PREFETCH},
	{"reply-limit", required_argument, NULL, OPT_REPLY_LIMIT},
	{"source-limit", required_argument, NULL, OPT_SOURCE_LIMIT},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

void app_version(void)
{
	printf(PROG " %s\n", PE_VERSION);
}

bool app_opt_known(const char *arg)
{
	size_t n;

	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return false;
	arg += 2;
	n = strcspn(arg, "=");
	for (const struct option *o = long_opts; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, arg, n) == 0)
			return true;
	return false;
}

static int parse_ip(struct pe_dpdk_conf *c, const char *text)
{
	int ret = pe_pkt_cfg_add_ip(&c->pkt, text);

	if (ret == -ENOSPC)
		return fail("--ip", "'%s': too many addresses (at most 16 per family)", text);
	if (ret != 0)
		return fail("--ip", "'%s' is not an IPv4 or IPv6 address[/prefix]", text);
	return 0;
}

static int parse_config(struct pe_dpdk_conf *c, const char *text)
{
	int ret = pe_dpdk_map_parse(c, text);

	if (ret == -ENOSPC)
		return fail("--config", "'%s': too many entries", text);
	if (ret != 0)
		return fail("--config", "'%s' is not (port,queue,lcore)[,(port,queue,lcore)...]",
			    text);
	return 0;
}

static int parse_file(struct app_opts *o, const char *path);

static int parse_one(struct app_opts *o, int opt, const char *arg)
{
	struct pe_dpdk_conf *c = &o->conf;

	switch (opt) {
	case OPT_MODE:
		if (pe_pkt_mode_parse(arg, &c->pkt.mode) != 0)
			return fail("--mode", "'%s' is not service, l2 or l4", arg);
		return 0;
	case OPT_IP:
		return parse_ip(c, arg);
	case OPT_UDP_PORTS:
		if (*arg == '\0') /* an unset shell variable must not switch the echo off */
			return fail("--udp-ports", "'%s' is empty: it would echo on no port", arg);
		if (pe_pkt_cfg_set_ports(c->pkt.echo_ports, arg) != 0)
			return fail("--udp-ports", "'%s' is not a port list like 7,9000-9010", arg);
		return 0;
	case OPT_LOOP_PORTS:
		if (pe_pkt_cfg_set_ports(c->pkt.loop_ports, arg) != 0)
			return fail("--loop-ports", "'%s' is not a port list like 7,19", arg);
		return 0;
	case OPT_PROMISC:
		c->pkt.promisc = true;
		return 0;
	case OPT_MAC:
		c->set_mac = true;
		return parse_mac(arg, c->mac);
	case OPT_CONFIG:
		return parse_config(c, arg);
	case OPT_RXQ:
		return parse_u16("--rxq", arg, 1, PE_DPDK_MAX_QUEUES, &c->rxq);
	case OPT_TXQ:
		o->txq_set = true;
		return parse_u16("--txq", arg, 1, PE_DPDK_MAX_QUEUES, &c->txq);
	case OPT_RXD:
		return parse_u16("--rxd", arg, 32, 16384, &c->rxd);
	case OPT_TXD:
		return parse_u16("--txd", arg, 32, 16384, &c->txd);
	case OPT_BURST:
		return parse_u16("--burst", arg, 1, PE_DPDK_MAX_BURST, &c->burst);
	case OPT_MBUFS:
		return parse_u32("--mbufs", arg, 64, 1u << 24, &c->mbufs);
	case OPT_STATS_INTERVAL:
		return parse_u32("--stats-interval", arg, 0, 86400, &o->stats_interval);
	case OPT_REPORT:
		return parse_report(arg, &o->report);
	case OPT_DURATION:
		return parse_u32("--duration", arg, 0, 31536000, &o->duration);
	case OPT_STATS_NAME:
		c->stats_name = arg;
		return parse_name(arg);
	case OPT_PROMETHEUS:
		if (pe_prom_addr_check(arg) != 0)
			return fail("--prometheus",
				    "'%s' is not HOST:PORT, port 0..65535 (e.g. 127.0.0.1:9101)",
				    arg);
		o->prometheus = arg;
		return 0;
	case OPT_FILE:
		return parse_file(o, arg);
	case OPT_REPLY_LIMIT:
		if (pe_rl_rate_parse(arg, &c->pkt.reply_limit) != 0)
			return fail("--reply-limit",
				    "'%s' is not PPS[/BURST] (1..100000000) or off", arg);
		return 0;
	case OPT_SOURCE_LIMIT:
		if (pe_rl_rate_parse(arg, &c->pkt.source_limit) != 0)
			return fail("--source-limit",
				    "'%s' is not PPS[/BURST] (1..100000000) or off", arg);
		return 0;
	case OPT_PREFETCH:
		if (strcmp(arg, "auto") == 0)
			c->prefetch = -1;
		else if (strcmp(arg, "on") == 0)
			c->prefetch = 1;
		else if (strcmp(arg, "off") == 0)
			c->prefetch = 0;
		else
			return fail("--prefetch", "'%s' is not auto, on or off", arg);
		return 0;
	default:
		return 2;
	}
}

static int apply_file_opt(void *arg, int val, char *value)
{
	return parse_one(arg, val, value ? value : "");
}

static int parse_file(struct app_opts *o, const char *path)
{
	pe_conf_setup(&o->file, PROG, long_opts, OPT_FILE, apply_file_opt, o);
	o->file.eal_lines = true;
	return pe_conf_read(&o->file, path);
}

void app_opts_free(struct app_opts *o)
{
	pe_conf_free(&o->file);
}

static void opts_init(struct app_opts *o)
{
	memset(o, 0, sizeof(*o));
	pe_dpdk_conf_init(&o->conf);
	o->report = PE_REPORT_TEXT;
}

int app_opts_parse(int argc, char **argv, struct app_opts *o)
{
	int opt, ret;

	opts_init(o);
	opterr = 0; /* our own messages, one line each */
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			app_usage(stdout);
			return 1;
		}
		if (opt == 'V') {
			app_version();
			return 1;
		}
		if (opt == ':')
			return fail(argv[optind - 1], "%sneeds a value", "");
		if (opt == '?')
			return fail(argv[optind - 1], "%sunknown option", "");
		ret = parse_one(o, opt, optarg);
		if (ret != 0)
			return ret;
	}
	if (optind < argc)
		return fail(argv[optind], "%sunexpected argument (options start with --)", "");
	if (!o->txq_set)
		o->conf.txq = o->conf.rxq;
	if (o->conf.pkt.mode == PE_MODE_SERVICE && o->conf.pkt.n_ip4 + o->conf.pkt.n_ip6 == 0)
		return fail("--ip", "%sservice mode needs at least one address", "");
	return 0;
}
