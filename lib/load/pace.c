/* SPDX-License-Identifier: MIT */
/* Token bucket pacing. Credit is kept in nano-packets (packets x 1e9) so that any integer rate is
 * exact without floating point: one nanosecond at R pps earns R nano-packets. */
#include <stdint.h>

#include "pe_load_pace.h"

#define NANO 1000000000ull

void pe_pace_init(struct pe_pace *p, bool unlimited, uint64_t rate_pps, uint32_t burst,
		  uint64_t now_ns)
{
	p->unlimited = unlimited;
	p->rate = rate_pps;
	p->cap = (uint64_t)(burst ? burst : 1) * NANO;
	p->credit = NANO < p->cap ? NANO : p->cap;
	p->last_ns = now_ns;
}

static void pace_refill(struct pe_pace *p, uint64_t now_ns)
{
	uint64_t dt;

	if (now_ns <= p->last_ns)
		return;
	dt = now_ns - p->last_ns;
	p->last_ns = now_ns;
	if (p->rate == 0)
		return;
	/* Once dt alone fills the bucket, stop multiplying: this also rules out overflow. */
	if (dt >= p->cap / p->rate || dt * p->rate >= p->cap - p->credit)
		p->credit = p->cap;
	else
		p->credit += dt * p->rate;
}

uint32_t pe_pace_take(struct pe_pace *p, uint64_t now_ns, uint32_t want)
{
	uint64_t have;

	if (p->unlimited)
		return want;
	pace_refill(p, now_ns);
	have = p->credit / NANO;
	if (have > want)
		have = want;
	p->credit -= have * NANO;
	return (uint32_t)have;
}

void pe_pace_give(struct pe_pace *p, uint32_t n)
{
	if (p->unlimited)
		return;
	if ((uint64_t)n * NANO >= p->cap - p->credit)
		p->credit = p->cap;
	else
		p->credit += (uint64_t)n * NANO;
}

uint64_t pe_pace_wait_ns(const struct pe_pace *p, uint64_t now_ns)
{
	uint64_t credit = p->credit, missing;

	if (p->unlimited)
		return 0;
	if (p->rate == 0)
		return UINT64_MAX;
	if (now_ns > p->last_ns) {
		uint64_t dt = now_ns - p->last_ns;

		if (dt >= NANO / p->rate + 1)
			return 0;
		credit += dt * p->rate;
	}
	if (credit >= NANO)
		return 0;
	missing = NANO - credit;
	return (missing + p->rate - 1) / p->rate;
}

__extension__ typedef unsigned __int128 u128;

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
