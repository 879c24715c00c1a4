/* SPDX-License-Identifier: MIT */
/* Per-flow echo accounting: a sliding bitmap of the last PE_ACCT_WINDOW sequences behind the
 * highest one seen tells a reordered first echo from a duplicate (the anti-replay window of
 * IPsec, used for counting). */
#include <stdbool.h>
#include <string.h>

#include "pe_load_acct.h"

#define WIN PE_ACCT_WINDOW

void pe_flow_acct_init(struct pe_flow_acct *a)
{
	memset(a, 0, sizeof(*a));
	a->first = UINT64_MAX;
	a->end = UINT64_MAX;
}

void pe_flow_acct_start(struct pe_flow_acct *a, uint64_t first_seq)
{
	a->first = first_seq;
}

void pe_flow_acct_stop(struct pe_flow_acct *a, uint64_t end_seq)
{
	if (a->first == UINT64_MAX)
		a->first = end_seq; /* stopped during warm-up: nothing measured */
	a->end = end_seq;
}

uint64_t pe_flow_acct_sent(const struct pe_flow_acct *a, uint64_t next_seq)
{
	uint64_t end = a->end < next_seq ? a->end : next_seq;

	if (a->first == UINT64_MAX || end < a->first)
		return 0;
	return end - a->first;
}

static bool bit_test(const struct pe_flow_acct *a, uint64_t seq)
{
	return (a->win[(seq % WIN) / 64] >> (seq % 64)) & 1;
}

static void bit_set(struct pe_flow_acct *a, uint64_t seq)
{
	a->win[(seq % WIN) / 64] |= 1ull << (seq % 64);
}

static void bit_clear(struct pe_flow_acct *a, uint64_t seq)
{
	a->win[(seq % WIN) / 64] &= ~(1ull << (seq % 64));
}

/* Move the window's top to seq: slots of the sequences skipped over become "not seen". */
static void window_advance(struct pe_flow_acct *a, uint64_t seq)
{
	if (seq - a->highest >= WIN) {
		memset(a->win, 0, sizeof(a->win));
	} else {
		for (uint64_t s = a->highest; s < seq; s++)
			bit_clear(a, s);
	}
	bit_set(a, seq);
	a->highest = seq + 1;
}

static bool measured(const struct pe_flow_acct *a, uint64_t seq)
{
	return a->first != UINT64_MAX && seq >= a->first && seq < a->end;
}

enum pe_acct_verdict pe_flow_acct_rx(struct pe_flow_acct *a, uint64_t seq, uint64_t next_seq)
{
	enum pe_acct_verdict v = PE_ACCT_REORDERED;
	bool late = false;

	if (seq >= next_seq)
		return PE_ACCT_BOGUS;
	if (seq >= a->highest) {
		window_advance(a, seq);
		v = PE_ACCT_NEW;
	} else if (a->highest - seq > WIN) {
		late = true;
	} else if (bit_test(a, seq)) {
		v = PE_ACCT_DUPLICATE;
	} else {
		bit_set(a, seq);
	}
	if (!measured(a, seq))
		return PE_ACCT_UNMEASURED;
	if (v == PE_ACCT_DUPLICATE) {
		a->duplicates++;
		return v;
	}
	a->received++;
	a->late += late;
	a->reordered += v == PE_ACCT_REORDERED;
	return v;
}
