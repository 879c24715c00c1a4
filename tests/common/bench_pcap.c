/* SPDX-License-Identifier: MIT */
/* pe-bench-pcap: the benchmark's net_pcap input (scripts/bench-dpdk), one 64-byte UDP echo
 * request per flow, flows FIRST .. FIRST+FLOWS-1 (pe_tf_bench_frame), to MAC.
 * Usage: pe-bench-pcap OUT.pcap MAC FLOWS [FIRST] */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_testframes.h"

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return (errno || end == s || *end || *v > max) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static struct pe_tf f;
	unsigned long flows, first = 0;
	unsigned b[6];
	uint8_t mac[6];
	FILE *out;

	if (argc < 4 || argc > 5 ||
	    sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6 ||
	    parse_uint(argv[3], 253, &flows) || flows == 0 ||
	    (argc == 5 && parse_uint(argv[4], 253, &first)) || first + flows > 253) {
		fprintf(stderr,
			"usage: pe-bench-pcap OUT.pcap MAC FLOWS [FIRST] (FIRST+FLOWS <= 253)\n");
		return 2;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	out = pe_tf_pcap_open(argv[1]);
	if (out == NULL) {
		fprintf(stderr, "pe-bench-pcap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (unsigned long i = 0; i < flows; i++) {
		pe_tf_bench_frame(&f, mac, (uint32_t)(first + i), IPPROTO_UDP);
		pe_tf_pcap_write(out, f.b, f.len, (uint32_t)i);
	}
	if (fclose(out) != 0) {
		fprintf(stderr, "pe-bench-pcap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
