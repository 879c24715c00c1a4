/* SPDX-License-Identifier: MIT */
/* pktecho-load command line. */
#ifndef PE_LOAD_OPTS_H
#define PE_LOAD_OPTS_H

#include <stdbool.h>

#include "pe_conf.h"
#include "pe_load.h"
#include "pe_report.h"

struct load_opts {
	struct pe_load_cfg cfg;
	const char *target_text;
	enum pe_report_fmt fmt;
	double interval_s;   /* 0: no interval lines */
	int src_family;	     /* of --src-ip, 0 when not given */
	uint64_t flows;	     /* --flows, 0 when not given */
	struct pe_conf file; /* --file contents (values point into them) */
	/* --search: the goals, the trials' length, the PDR's loss ratio, the precision */
	bool search, search_ndr, search_pdr;
	uint64_t trial_ns;
	double pdr_loss, precision;
	uint64_t ceiling_pps;	/* --ceiling: the topology's ceiling (0: not given) */
	const char *prometheus; /* --prometheus HOST:PORT, NULL: none */
};

/* Parse argv (after the EAL part in the DPDK mode, argv[0] then being a program name). 0 to run, 1
 * when --help/--version printed, -1 after printing the one-line error (the caller exits 2). */
int load_opts_parse(int argc, char **argv, bool dpdk, struct load_opts *o);
void load_opts_usage(FILE *out);

#endif
