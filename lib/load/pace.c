/* SPDX-License-Identifier: MIT */
/* The send schedule (pe_load_pace.h). Due counts use an exact 128-bit division once per take;
 * per-packet due times use a 32.32 fixed-point step (error below 1 ns per 4e9 packets). */
#include <stdint.h>

#include "pe_load_pace.h"

#define NANO 1000000000ull

__extension__ typedef unsigned __int128 u128;

void pe_pace_init(struct pe_pace *p, bool unlimited, uint64_t rate_pps, uint32_t burst,
		  uint64_t now_ns)
{
	uint64_t window = rate_pps ? (uint64_t)(((u128)rate_pps * PE_PACE_CATCHUP_NS) / NANO) : 0;

	p->unlimited = unlimited;
	p->rate = rate_pps;
	p->t0 = now_ns;
	p->issued = p->missed = 0;
	p->window = window > burst ? window : (burst ? burst : 1);
	p->step_fp = rate_pps ? (uint64_t)(((u128)NANO << 32) / rate_pps) : 0;
}

uint64_t pe_pace_due_count(const struct pe_pace *p, uint64_t now_ns)
{
	if (p->rate == 0 || now_ns < p->t0)
		return 0;
	/* Packet k is due at t0 + ceil(k * 1e9 / rate): k <= (now - t0) * rate / 1e9. */
	return (uint64_t)(((u128)(now_ns - p->t0) * p->rate) / NANO) + 1;
}

uint32_t pe_pace_take(struct pe_pace *p, uint64_t now_ns, uint32_t want)
{
	uint64_t due, owed;

	if (p->unlimited) {
		p->issued += want;
		return want;
	}
	due = pe_pace_due_count(p, now_ns);
	if (due <= p->issued)
		return 0;
	owed = due - p->issued;
	if (owed > p->window) {
		p->missed += owed - p->window;
		p->issued += owed - p->window;
		owed = p->window;
	}
	if (owed > want)
		owed = want;
	p->issued += owed;
	return (uint32_t)owed;
}

void pe_pace_give(struct pe_pace *p, uint32_t n)
{
	p->issued -= n <= p->issued ? n : p->issued;
}

uint64_t pe_pace_wait_ns(const struct pe_pace *p, uint64_t now_ns)
{
	uint64_t next;

	if (p->unlimited)
		return 0;
	if (p->rate == 0)
		return UINT64_MAX;
	/* Packet issued is due at t0 + ceil(issued * 1e9 / rate). */
	next = p->t0 + (uint64_t)(((u128)p->issued * NANO + p->rate - 1) / p->rate);
	return next > now_ns ? next - now_ns : 0;
}

uint64_t pe_load_split(uint64_t total, const unsigned *w, unsigned n, unsigned i)
{
	u128 before = 0, upto, sum = 0;

	for (unsigned k = 0; k < n; k++) {
		sum += w[k];
		if (k < i)
			before += w[k];
	}
	if (sum == 0 || i >= n)
		return 0;
	upto = before + w[i];
	/* floor(total * upto / sum) - floor(total * before / sum): the parts add up to total. */
	return (uint64_t)((total * upto) / sum - (total * before) / sum);
}
