/* SPDX-License-Identifier: MIT */
/* Writes the golden packet table (tests/common) as net_pcap input for pktecho-dpdk, one group of
 * cases per service configuration (mode, promisc, UDP ports):
 *   OUT/gN.rx.pcap    the requests, in table order
 *   OUT/gN.want.pcap  the expected replies, in the same order
 *   OUT/gN.json       {"args": [pktecho-dpdk options], "rx": n, "tx": n, "drops": {reason: n},
 *                      "replies": [case names of the replies], "cases": [all case names]}
 * Usage: golden_gen OUTDIR MAC   (MAC: the port's address, as pktecho-dpdk prints it) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_testframes.h"

/* Frames beyond one mbuf's data room arrive chained (and are dropped as multi_segment). */
#define MBUF_ROOM 2048

struct group {
	const struct pe_golden_case *key;
	FILE *rx, *want, *json;
	unsigned rx_n, tx_n;
	unsigned drops[PE_DROP_MAX];
	char replies[16384], cases[16384];
};

static bool same_config(const struct pe_golden_case *a, const struct pe_golden_case *b)
{
	const char *pa = a->udp_ports ? a->udp_ports : "7", *pb = b->udp_ports ? b->udp_ports : "7";

	return a->mode == b->mode && a->promisc == b->promisc && strcmp(pa, pb) == 0;
}

static FILE *open_out(const char *dir, unsigned g, const char *ext)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/g%u.%s", dir, g, ext);
	f = strcmp(ext, "json") == 0 ? fopen(path, "wb") : pe_tf_pcap_open(path);
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	return f;
}

static void append_name(char *list, size_t size, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, size - n, "%s\"%s\"", n ? "," : "", name);
}

static void add_case(struct group *g, const struct pe_golden_case *c, const uint8_t mac[6])
{
	static struct pe_golden gold;

	if (pe_golden_clock(c)) {
		fprintf(stderr, "golden_gen: %s skipped (its reply holds the time of day)\n",
			c->name);
		return;
	}
	pe_golden_make(c, mac, &gold);
	if (gold.req.len > MBUF_ROOM) {
		fprintf(stderr, "golden_gen: %s: %u-byte frame skipped (beyond one mbuf)\n",
			c->name, gold.req.len);
		return;
	}
	g->rx_n++;
	pe_tf_pcap_write(g->rx, gold.req.b, gold.req.len, g->rx_n);
	append_name(g->cases, sizeof(g->cases), c->name);
	if (gold.expect == PE_DROP_NONE) {
		g->tx_n++;
		pe_tf_pcap_write(g->want, gold.rep.b, gold.rep.len, g->tx_n);
		append_name(g->replies, sizeof(g->replies), c->name);
	} else {
		g->drops[gold.expect]++;
	}
}

static void write_json(struct group *g)
{
	const struct pe_golden_case *k = g->key;
	FILE *f = g->json;
	bool first = true;

	fprintf(f, "{\"args\": [\"--mode\", \"%s\", \"--ip\", \"%s\", \"--ip\", \"%s\"",
		pe_pkt_mode_name(k->mode), PE_GOLDEN_IP4, PE_GOLDEN_IP6);
	if (k->udp_ports)
		fprintf(f, ", \"--udp-ports\", \"%s\"", k->udp_ports);
	if (k->promisc)
		fprintf(f, ", \"--promisc\"");
	fprintf(f, "],\n \"rx\": %u, \"tx\": %u, \"drops\": {", g->rx_n, g->tx_n);
	for (unsigned r = 1; r < PE_DROP_MAX; r++)
		if (g->drops[r]) {
			fprintf(f, "%s\"%s\": %u", first ? "" : ", ", pe_drop_name((enum pe_drop)r),
				g->drops[r]);
			first = false;
		}
	fprintf(f, "},\n \"replies\": [%s],\n \"cases\": [%s]}\n", g->replies, g->cases);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int main(int argc, char **argv)
{
	static struct group groups[32];
	unsigned n = 0;
	uint8_t mac[6];

	if (argc != 3 || parse_mac(argv[2], mac) != 0) {
		fprintf(stderr, "usage: golden_gen OUTDIR MAC\n");
		return 2;
	}
	for (unsigned i = 0; i < pe_golden_count; i++) {
		const struct pe_golden_case *c = &pe_golden_cases[i];
		unsigned g = 0;

		while (g < n && !same_config(groups[g].key, c))
			g++;
		if (g == n) {
			if (n == 32) {
				fprintf(stderr, "golden_gen: more than 32 configurations\n");
				return 1;
			}
			groups[n].key = c;
			groups[n].rx = open_out(argv[1], n, "rx.pcap");
			groups[n].want = open_out(argv[1], n, "want.pcap");
			groups[n].json = open_out(argv[1], n, "json");
			n++;
		}
		add_case(&groups[g], c, mac);
	}
	for (unsigned g = 0; g < n; g++) {
		write_json(&groups[g]);
		fclose(groups[g].rx);
		fclose(groups[g].want);
		fclose(groups[g].json);
	}
	printf("%u cases in %u groups\n", pe_golden_count, n);
	return 0;
}
