/* SPDX-License-Identifier: MIT */
/* The status text both services answer: who and since when, then the report summary since the
 * last reset (the same text as the final report, so no second format to learn). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pe_ctl.h"

int pe_ctl_status_render(char *buf, size_t len, const struct pe_report_meta *meta,
			 const struct pe_rl_live *limits, const struct pe_stats_snapshot *base,
			 const struct pe_stats_snapshot *now, const struct pe_report_kv *extra)
{
	static const char more[] = "...\n(truncated: pktecho-stat NAME shows every block)\n";
	FILE *f;
	long n;

	if (len < sizeof(more) + 1)
		return -1;
	f = fmemopen(buf, len, "w");
	if (!f)
		return -1;
	setvbuf(f, NULL, _IONBF, 0);
	fprintf(f, "service: %s\nname: %s\nmode: %s\npid: %ld\n", meta->service,
		meta->name ? meta->name : "", meta->mode ? meta->mode : "", (long)getpid());
	if (limits) {
		struct pe_rl_rate reply, source;
		char r[32], src[32];

		pe_rl_live_get(limits, &reply, &source);
		fprintf(f, "reply-limit: %s\nsource-limit: %s\n",
			pe_rl_rate_str(&reply, r, sizeof(r)),
			pe_rl_rate_str(&source, src, sizeof(src)));
	}
	pe_report_summary(f, PE_REPORT_TEXT, meta, base, now, extra);
	n = ftell(f);
	fclose(f);
	if (n < 0)
		return -1;
	if ((size_t)n >= len - 1) { /* full: say so in place of the last lines */
		n = (long)(len - sizeof(more));
		memcpy(buf + n, more, sizeof(more));
		n += (long)sizeof(more) - 1;
	}
	buf[n] = '\0';
	return (int)n;
}
