/* SPDX-License-Identifier: MIT */
/* pe_pkt_bench: echo one 64-byte IPv4 UDP frame N times in a mode, for instruction counts under
 * callgrind. Not a test and not timed; see docs/packet-core.md for the command and the numbers.
 * Usage: pe_pkt_bench service|burst|l4|l2|none N   (burst: pe_pkt_service_burst)
 * PE_BENCH_ICMP=1: an ICMP echo request instead of UDP; PE_BENCH_NOCSUM=1: no verification;
 * PE_BENCH_HW=unknown|good: per-frame checksum flags for the burst mode (see below);
 * PE_BENCH_BASE=1: the baseline copy of the burst loop where the CPU would run the AVX2 one. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_pkt.h"
#include "pe_testframes.h"

#define BURST 32

int main(int argc, char **argv)
{
	static struct pe_pkt_cfg cfg;
	static struct pe_tf req;
	static uint8_t frames[BURST][64];
	uint8_t pristine[64];
	unsigned long n, replies = 0;
	int none, burst;
	uint8_t *ptrs[BURST];
	uint32_t lens[BURST];
	enum pe_drop verdicts[BURST];
	uint8_t hw[BURST];
	const char *hw_flags;

	if (argc != 3 || (pe_pkt_mode_parse(argv[1], &cfg.mode) < 0 && strcmp(argv[1], "none") &&
			  strcmp(argv[1], "burst"))) {
		fprintf(stderr, "usage: pe_pkt_bench service|burst|l2|l4|none N\n");
		return 2;
	}
	none = strcmp(argv[1], "none") == 0;
	burst = strcmp(argv[1], "burst") == 0;
	n = strtoul(argv[2], NULL, 10);
	pe_golden_cfg(pe_golden_find("udp4_echo"), NULL, &cfg);
	if (!none && !burst)
		pe_pkt_mode_parse(argv[1], &cfg.mode);
	/* 64-byte frame (no FCS here: 60 bytes of headers and payload + 4 to 64 like pktgen's) */
	pe_tf_bench_frame(&req, PE_GOLDEN_MAC, 0,
			  getenv("PE_BENCH_ICMP") ? IPPROTO_ICMP : IPPROTO_UDP);
	memcpy(pristine, req.b, sizeof(pristine));
	if (getenv("PE_BENCH_NOCSUM"))
		cfg.verify_csum = false;
	if (getenv("PE_BENCH_BASE")) /* the baseline copy of the burst loop, not the AVX2 one */
		cfg.isa = PE_PKT_ISA_BASE;
	/* PE_BENCH_HW=unknown|good: burst mode passes per-frame checksum flags (as the DPDK loop
	 * does when the port reported any): none known, or both checksums verified by the port. */
	hw_flags = getenv("PE_BENCH_HW");
	memset(hw,
	       hw_flags && strcmp(hw_flags, "good") == 0 ? PE_CSUM_IP_GOOD | PE_CSUM_L4_GOOD : 0,
	       sizeof(hw));
	/* Bursts of 32 like a poll loop: the frames are written (as a PMD's RX copy would) well
	 * before they are echoed, so no store-forwarding stall from the refill distorts the count.
	 * A reply of a reply would come from port 7 and be refused: refill every burst. */
	for (unsigned long done = 0; done < n; done += BURST) {
		for (unsigned i = 0; i < BURST; i++)
			memcpy(frames[i], pristine, sizeof(pristine));
		if (burst) {
			for (unsigned i = 0; i < BURST; i++) {
				ptrs[i] = frames[i];
				lens[i] = sizeof(pristine);
			}
			pe_pkt_service_burst(&cfg, ptrs, lens, hw_flags ? hw : NULL, verdicts,
					     BURST);
			for (unsigned i = 0; i < BURST; i++)
				replies += verdicts[i] == PE_DROP_NONE;
			continue;
		}
		for (unsigned i = 0; i < BURST; i++) {
			uint32_t len = sizeof(pristine);

			if (none)
				replies += frames[i][len - 1] != 0;
			else if (cfg.mode == PE_MODE_SERVICE)
				replies += pe_pkt_service(&cfg, frames[i], &len) == PE_DROP_NONE;
			else if (cfg.mode == PE_MODE_L4)
				replies += pe_pkt_l4(frames[i], &len) == PE_DROP_NONE;
			else
				replies += pe_pkt_l2(frames[i], &len) == PE_DROP_NONE;
		}
	}
	n = (n + BURST - 1) / BURST * BURST;
	printf("%s: %lu of %lu echoed\n", argv[1], replies, n);
	return replies == n ? 0 : 1;
}
