/* SPDX-License-Identifier: MIT */
/* A stand-in service for the pktecho-stat test: creates the segment NAME with two DPDK-like
 * blocks and known counts, prints "ready", then (mode busy) keeps counting with
 * rx == tx + drops in every burst, until stdin closes (clean exit: destroy) or 60 s pass.
 * Mode escape is static with control characters in the meta and a block name.
 * Usage: stat_feeder NAME static|busy|escape */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pe_stats.h"

static void burst(struct pe_stats_block *b, uint64_t rx, uint64_t tx, enum pe_drop why,
		  uint64_t dropped)
{
	pe_stats_begin(b);
	pe_ctr_add(&b->c.rx_packets, rx);
	pe_ctr_add(&b->c.rx_bytes, 64 * rx);
	pe_ctr_add(&b->c.tx_packets, tx);
	pe_ctr_add(&b->c.tx_bytes, 64 * tx);
	pe_ctr_add(&b->c.drops[why], dropped);
	pe_stats_end(b);
}

int main(int argc, char **argv)
{
	struct pe_stats *s;
	struct pe_stats_block *b0, *b1;
	int busy;

	if (argc != 3 ||
	    (strcmp(argv[2], "static") && strcmp(argv[2], "busy") && strcmp(argv[2], "escape"))) {
		fprintf(stderr, "usage: stat_feeder NAME static|busy|escape\n");
		return 2;
	}
	busy = strcmp(argv[2], "busy") == 0;
	s = pe_stats_create(2, argv[1]);
	if (!s) {
		fprintf(stderr, "stat_feeder: %s: %s\n", argv[1], pe_stats_strerror(errno));
		return 1;
	}
	pe_stats_set_meta(s, "pktecho-dpdk", "l4");
	b0 = pe_stats_block(s, 0);
	b1 = pe_stats_block(s, 1);
	pe_stats_block_label(b0, "p0q0", 0, 0, -1);
	if (strcmp(argv[2], "escape") == 0) { /* a hostile writer: terminal escape sequences */
		pe_stats_set_meta(s, "svc\033]0;owned\007", "m\033[2J");
		pe_stats_block_label(b0, "p0\033[31mq0", 0, 0, -1);
	}
	pe_stats_block_label(b1, "p0q1", 0, 1, -1);
	burst(b0, 994, 990, PE_DROP_TX_FULL, 4);
	burst(b0, 6, 0, PE_DROP_RUNT, 6);
	burst(b1, 500, 500, PE_DROP_NONE, 0);
	printf("ready\n");
	fflush(stdout);

	/* Each poll timeout (1 ms) is one "burst" period; stdin EOF ends the run. */
	for (unsigned round = 0; round < 60000; round++) {
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		char buf[64];

		if (poll(&pfd, 1, 1) > 0 && read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
			break;
		if (busy)
			burst(round % 2 ? b1 : b0, 32, 31, PE_DROP_UDP_CSUM, 1);
	}
	pe_stats_destroy(s);
	return 0;
}
