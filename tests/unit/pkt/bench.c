/* SPDX-License-Identifier: MIT */
/* pe_pkt_bench: echo one 64-byte IPv4 UDP frame N times in a mode, for instruction counts under
 * callgrind. Not a test and not timed; see docs/packet-core.md for the command and the numbers.
 * Usage: pe_pkt_bench service|l4|l2|none N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_pkt.h"
#include "pe_testframes.h"

int main(int argc, char **argv)
{
	static struct pe_pkt_cfg cfg;
	static struct pe_tf req;
	uint8_t frame[64], pristine[64];
	unsigned long n, replies = 0;
	int none;

	if (argc != 3 || (pe_pkt_mode_parse(argv[1], &cfg.mode) < 0 && strcmp(argv[1], "none"))) {
		fprintf(stderr, "usage: pe_pkt_bench service|l2|l4|none N\n");
		return 2;
	}
	none = strcmp(argv[1], "none") == 0;
	n = strtoul(argv[2], NULL, 10);
	pe_golden_cfg(pe_golden_find("udp4_echo"), NULL, &cfg);
	if (!none)
		pe_pkt_mode_parse(argv[1], &cfg.mode);
	/* 64-byte frame (no FCS here: 60 bytes of headers and payload + 4 to 64 like pktgen's) */
	pe_tf_init(&req);
	pe_tf_eth(&req, PE_GOLDEN_MAC, PE_GOLDEN_CLIENT);
	pe_tf_ip4(&req, "198.18.0.1", "198.18.0.2", 64);
	pe_tf_udp(&req, 40000, 7);
	pe_tf_pattern(&req, 64 - 42, 1);
	pe_tf_finish(&req);
	memcpy(pristine, req.b, sizeof(pristine));
	for (unsigned long i = 0; i < n; i++) {
		uint32_t len = sizeof(frame);

		/* A reply of a reply would come from port 7 and be refused: start over each time.
		 */
		memcpy(frame, pristine, sizeof(frame));
		if (none)
			replies += frame[len - 1] != 0;
		else
			replies += pe_pkt_echo(&cfg, frame, &len) == PE_DROP_NONE;
	}
	printf("%s: %lu of %lu echoed\n", argv[1], replies, n);
	return replies == n ? 0 : 1;
}
