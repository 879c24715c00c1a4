/* SPDX-License-Identifier: MIT */
/* pktecho-dpdk's own options (after the EAL options and "--"). */
#ifndef PKTECHO_DPDK_OPTIONS_H
#define PKTECHO_DPDK_OPTIONS_H

#include <stdio.h>

#include "pe_conf.h"
#include "pe_dpdk.h"
#include "pe_report.h"

struct app_opts {
	struct pe_dpdk_conf conf;
	unsigned stats_interval; /* seconds; 0 = no interval reports */
	unsigned duration;	 /* seconds; 0 = until SIGINT/SIGTERM */
	enum pe_report_fmt report;
	const char *prometheus; /* HOST:PORT or NULL */
	bool txq_set;
	struct pe_conf file; /* --file contents and their `eal` lines, freed by app_opts_free */
};

/* Parses argv (argv[0] is the program name, then only our options). Returns 0, 1 when --help was
 * printed, or 2 after printing one line naming the bad option and a usage hint to stderr. */
int app_opts_parse(int argc, char **argv, struct app_opts *o);
void app_usage(FILE *out);
void app_opts_free(struct app_opts *o);
/* The one-line hint printed after an option error. */
void app_usage_hint(void);
/* "pktecho-dpdk VERSION" on stdout. */
void app_version(void);
/* True when arg is one of our long options ("--mode", "--ip=..."): given before "--" by mistake. */
bool app_opt_known(const char *arg);

#endif
