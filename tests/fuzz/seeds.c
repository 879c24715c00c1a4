/* SPDX-License-Identifier: MIT */
/* Writes the fuzzer's seed corpus: every golden request, once per configuration selector that
 * matches its case (verification on and off, promiscuous where the case needs it).
 * Usage: fuzz_seeds DIR */
#include <stdio.h>
#include <stdlib.h>

#include "pe_testframes.h"

static int write_seed(const char *dir, const char *name, unsigned sel, const struct pe_tf *f)
{
	char path[4096];
	FILE *fp;
	unsigned char s = (unsigned char)sel;

	snprintf(path, sizeof(path), "%s/%s-%u", dir, name, sel);
	fp = fopen(path, "wb");
	if (!fp || fwrite(&s, 1, 1, fp) != 1 || fwrite(f->b, 1, f->len, fp) != f->len) {
		perror(path);
		if (fp)
			fclose(fp);
		return -1;
	}
	return fclose(fp);
}

int main(int argc, char **argv)
{
	struct pe_golden *g = malloc(sizeof(*g));

	if (argc != 2 || !g) {
		fprintf(stderr, "usage: fuzz_seeds DIR\n");
		return 2;
	}
	for (unsigned i = 0; i < pe_golden_count; i++) {
		const struct pe_golden_case *c = &pe_golden_cases[i];
		unsigned mode = c->mode == PE_MODE_L2 ? 1 : c->mode == PE_MODE_L4 ? 2 : 3;
		unsigned promisc = c->promisc ? 8 : 0;

		pe_golden_make(c, NULL, g);
		if (write_seed(argv[1], c->name, mode | promisc, &g->req) ||
		    write_seed(argv[1], c->name, mode | promisc | 4, &g->req))
			return 1;
	}
	free(g);
	return 0;
}
