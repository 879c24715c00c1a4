/* SPDX-License-Identifier: MIT */
/* pktecho-ctl: one command to a running pktecho or pktecho-dpdk over its control queue
 * /pktecho-NAME.ctl (lib/ctl), the answer on stdout. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_config.h"
#include "pe_ctl.h"

#define PROG "pktecho-ctl"

static void usage(FILE *f)
{
	fputs("usage: " PROG " [--timeout SEC] NAME COMMAND\n"
	      "  NAME                   the service's --stats-name\n"
	      "commands:\n"
	      "  status                 service, mode, uptime and counters since the last reset\n"
	      "  reset-counters         restart the service's report totals (exported counters\n"
	      "                         stay monotonic)\n"
	      "  stop                   stop the service cleanly (as SIGTERM does)\n"
	      "  set reply-limit PPS[/BURST]|off   the global reply limit, per process, now\n"
	      "  set source-limit PPS[/BURST]|off  the limit per source prefix (/24, /64), now\n"
	      "                         (BURST default PPS/10; as --reply-limit/--source-limit)\n"
	      "options:\n"
	      "  --timeout SEC          wait SEC seconds for the answer (0.001..60, default 2)\n"
	      "  -h, --help             this text;  --version  the version\n"
	      "exit: 0 done, 1 the service refused or did not answer, 2 usage\n",
	      f);
}

static int bad(const char *what, const char *val, const char *why)
{
	fprintf(stderr, PROG ": %s '%s': %s\n", what, val, why);
	fputs("Try '" PROG " --help' for the commands.\n", stderr);
	return 2;
}

static void on_signal(int sig)
{
	(void)sig; /* interrupts the wait: the reply queue is removed on the way out */
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct pe_ctl_req req = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	static char reply[PE_CTL_REPLY_MAX + 1];
	double timeout = 2.0;
	const char *why;
	char *end;
	int c, rc;

	opterr = 0;
	/* "+": stop at NAME, so that command words are never taken for options. */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || errno || !(timeout >= 0.001) ||
			    timeout > 60)
				return bad("--timeout", optarg, "expected seconds in 0.001..60");
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " %s\n", PE_VERSION);
			return 0;
		default:
			return bad("option", argv[optind - 1],
				   c == ':' ? "missing value" : "unknown option");
		}
	}
	if (optind >= argc)
		return bad("NAME", "", "give the service's --stats-name and a command");
	if (optind + 1 >= argc)
		return bad("COMMAND", "", "give a command: status, reset-counters, stop, set");
	if (pe_ctl_cmd_parse(argc - optind - 1, &argv[optind + 1], &req, &why) < 0)
		return bad("command", argv[optind + 1], why);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: the wait returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	rc = pe_ctl_call(argv[optind], &req, (int)(timeout * 1000 + 0.5), reply, sizeof(reply));
	if (rc == -EINVAL)
		return bad("NAME", argv[optind], pe_ctl_strerror(rc));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s: %s\n", argv[optind], pe_ctl_strerror(rc));
		return 1;
	}
	if (rc == 1) {
		fprintf(stderr, PROG ": %s: %s", argv[optind], reply);
		return 1;
	}
	fputs(reply, stdout);
	return 0;
}
