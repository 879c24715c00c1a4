/* SPDX-License-Identifier: MIT */
/* lib/load per-flow accounting of echoes: loss, reordering, duplicates, warm-up. */
#ifndef PE_LOAD_ACCT_H
#define PE_LOAD_ACCT_H

#include <stdint.h>

#define PE_ACCT_WINDOW 4096 /* sequences remembered behind the highest seen */

enum pe_acct_verdict {
	PE_ACCT_NEW = 0,    /* first echo of a measured sequence, in order */
	PE_ACCT_REORDERED,  /* first echo of a measured sequence lower than the highest seen */
	PE_ACCT_DUPLICATE,  /* seen before (within the window) */
	PE_ACCT_UNMEASURED, /* sent during warm-up (or never counted): ignored */
	PE_ACCT_BOGUS,	    /* a sequence that was never sent */
};

/* Sequences [first, end) of a flow are measured; below first is warm-up. */
struct pe_flow_acct {
	uint64_t first; /* UINT64_MAX until the measurement starts */
	uint64_t end;	/* UINT64_MAX until it ends */
	uint64_t received, reordered, duplicates, late;
	uint64_t highest; /* highest sequence seen + 1; 0 when none */
	uint64_t win[PE_ACCT_WINDOW / 64];
};

void pe_flow_acct_init(struct pe_flow_acct *a);
void pe_flow_acct_start(struct pe_flow_acct *a, uint64_t first_seq);
void pe_flow_acct_stop(struct pe_flow_acct *a, uint64_t end_seq);
/* Account one echo of seq when next_seq sequences have been sent on the flow. A measured echo too
 * old for the window (late) is counted as received and reordered: it cannot be told from a
 * duplicate, and an echo server does not duplicate. */
enum pe_acct_verdict pe_flow_acct_rx(struct pe_flow_acct *a, uint64_t seq, uint64_t next_seq);
/* Measured packets sent (end - first, 0 before the start). */
uint64_t pe_flow_acct_sent(const struct pe_flow_acct *a, uint64_t next_seq);

#endif
