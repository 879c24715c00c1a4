/* SPDX-License-Identifier: MIT */
/* The throughput search (pe_load_search.h). Every trial so far bounds every goal: for a goal with
 * loss limit L, a trial passes when the generator sent its rate and its loss ratio is <= L, and a
 * rate passes by the verdict of its trials (rate_verdict). The lower bound is the highest passing
 * rate below the upper bound, the lowest failing rate (a failed confirming trial included).
 * Bisection halves the interval until it is within the precision; a confirming trial at the full
 * duration then checks the result. */
#include <string.h>

#include "pe_load_search.h"

void pe_search_init(struct pe_search *s, bool ndr, bool pdr, double pdr_loss, double precision,
		    uint64_t top, bool top_is_ceiling)
{
	memset(s, 0, sizeof(*s));
	s->want[PE_SEARCH_NDR] = ndr;
	s->want[PE_SEARCH_PDR] = pdr;
	s->loss[PE_SEARCH_NDR] = 0.0;
	s->loss[PE_SEARCH_PDR] = pdr_loss;
	s->precision = precision;
	s->top = top < PE_SEARCH_FLOOR ? PE_SEARCH_FLOOR : top;
	s->top_is_ceiling = top_is_ceiling;
}

void pe_search_set_ceiling(struct pe_search *s, uint64_t ceiling_pps)
{
	s->ceiling = ceiling_pps;
}

bool pe_search_generator_bound(bool fell_short, uint64_t pps, uint64_t ceiling_pps)
{
	return fell_short ||
	       (ceiling_pps && pps && (double)pps >= PE_SEARCH_NEAR_CEILING * (double)ceiling_pps);
}

static bool trial_passes(const struct pe_search *s, const struct pe_search_trial *t,
			 enum pe_search_goal g)
{
	return !t->fell_short && t->loss_ratio <= s->loss[g];
}

/* The verdict of the trials at one rate for goal g: 1 passes, -1 fails, 0 not settled (a single
 * bisection trial failed it, narrowly: it is run again before it is trusted). A failed confirming
 * trial fails the rate; otherwise the trials there vote and a tie passes (MLRsearch's exceed
 * ratio of one half): one stall in a short trial does not close the rates above it. */
static int rate_verdict(const struct pe_search *s, enum pe_search_goal g, uint64_t rate)
{
	unsigned pass = 0, fail = 0;
	bool narrow = false;

	for (unsigned i = 0; i < s->n; i++) {
		const struct pe_search_trial *t = &s->trials[i];

		if (t->rate != rate)
			continue;
		if (trial_passes(s, t, g)) {
			pass++;
		} else if (t->kind == PE_TRIAL_CONFIRM) {
			return -1;
		} else {
			fail++;
			narrow = t->loss_ratio <= PE_SEARCH_REPEAT_LOSS;
		}
	}
	if (fail == 1 && pass == 0 && narrow)
		return 0;
	return fail > pass ? -1 : 1;
}

/* hi: the lowest failing rate (0: none), hi_short: a trial failing there fell short; lo: the
 * highest passing rate below hi (0: none). A rate not settled yet counts as failing. */
static void bounds(const struct pe_search *s, enum pe_search_goal g, uint64_t *lo, uint64_t *hi,
		   bool *hi_short)
{
	*lo = *hi = 0;
	*hi_short = false;
	for (unsigned i = 0; i < s->n; i++) {
		const struct pe_search_trial *t = &s->trials[i];

		if (trial_passes(s, t, g) || rate_verdict(s, g, t->rate) > 0)
			continue;
		if (*hi == 0 || t->rate < *hi) {
			*hi = t->rate;
			*hi_short = t->fell_short;
		} else if (t->rate == *hi) {
			*hi_short |= t->fell_short;
		}
	}
	for (unsigned i = 0; i < s->n; i++) {
		const struct pe_search_trial *t = &s->trials[i];

		if ((*hi == 0 || t->rate < *hi) && t->rate > *lo && rate_verdict(s, g, t->rate) > 0)
			*lo = t->rate;
	}
}

/* A rate whose one failing trial is to be run again (the newest first). */
static bool unsettled(const struct pe_search *s, enum pe_search_goal g, uint64_t *rate)
{
	for (unsigned i = s->n; i-- > 0;) {
		if (rate_verdict(s, g, s->trials[i].rate) == 0) {
			*rate = s->trials[i].rate;
			return true;
		}
	}
	return false;
}

static bool confirmed(const struct pe_search *s, enum pe_search_goal g, uint64_t rate)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->trials[i].kind == PE_TRIAL_CONFIRM && s->trials[i].rate == rate &&
		    trial_passes(s, &s->trials[i], g))
			return true;
	return false;
}

static bool tried(const struct pe_search *s, uint64_t rate)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->trials[i].rate == rate)
			return true;
	return false;
}

static void goal_finish(struct pe_search *s, uint64_t lo, uint64_t hi, bool hi_short)
{
	struct pe_search_result *r = &s->res[s->goal];

	r->searched = true;
	r->pps = lo;
	r->lower = lo;
	r->upper = hi;
	r->generator_bound =
		pe_search_generator_bound(hi ? hi_short : s->top_is_ceiling, lo, s->ceiling);
	s->goal++;
	s->confirms = 0;
}

/* The goal's result once its interval is narrow enough (or it cannot narrow); else 0 with
 * *found false. */
static bool goal_found(const struct pe_search *s, uint64_t lo, uint64_t hi)
{
	if (hi == 0)
		return lo != 0; /* the top passed */
	if (hi <= PE_SEARCH_FLOOR)
		return true; /* even the floor failed: 0 */
	return lo != 0 && (double)(hi - lo) <= s->precision * (double)hi;
}

static uint64_t midpoint(uint64_t lo, uint64_t hi)
{
	uint64_t mid = lo ? lo + (hi - lo) / 2 : hi / 2;

	return mid < PE_SEARCH_FLOOR ? PE_SEARCH_FLOOR : mid;
}

/* NDR <= PDR. Any trial that fails the PDR goal fails the NDR goal too, so bounds taken from the
 * same trials always order them; but the NDR goal is searched first and frozen, and a later PDR
 * trial (noise, or a failed confirmation) can fail below it. Once the search is over, an NDR above
 * the PDR is taken again from every trial: the highest loss-free rate below the lowest rate that
 * lost anything, which is at most the PDR. */
static void ndr_recheck(struct pe_search *s)
{
	struct pe_search_result *n = &s->res[PE_SEARCH_NDR];
	const struct pe_search_result *p = &s->res[PE_SEARCH_PDR];
	uint64_t lo, hi;
	bool hi_short;

	if (!n->searched || !p->searched || n->pps <= p->pps)
		return;
	bounds(s, PE_SEARCH_NDR, &lo, &hi, &hi_short);
	n->pps = n->lower = lo;
	n->upper = hi;
	n->generator_bound =
		pe_search_generator_bound(hi ? hi_short : s->top_is_ceiling, lo, s->ceiling);
	n->revised = true;
}

bool pe_search_next(struct pe_search *s, uint64_t *rate, enum pe_search_kind *kind)
{
	while (!s->done && s->goal < PE_SEARCH_GOALS) {
		uint64_t lo, hi;
		bool hi_short;

		if (!s->want[s->goal]) {
			s->goal++;
			continue;
		}
		bounds(s, s->goal, &lo, &hi, &hi_short);
		if (s->n >= PE_SEARCH_MAX_TRIALS) {
			goal_finish(s, lo, hi, hi_short); /* out of trials: as far as it got */
			continue;
		}
		if (unsettled(s, s->goal, rate)) {
			*kind = PE_TRIAL_REPEAT;
			return true;
		}
		if (hi == 0 && lo == 0 && !tried(s, s->top)) {
			*rate = s->top;
			*kind = PE_TRIAL_SHORT;
			return true;
		}
		if (!goal_found(s, lo, hi)) {
			*rate = midpoint(lo, hi);
			*kind = PE_TRIAL_SHORT;
			return true;
		}
		if (lo && !confirmed(s, s->goal, lo) && s->confirms < PE_SEARCH_CONFIRMS) {
			s->confirms++;
			*rate = lo;
			*kind = PE_TRIAL_CONFIRM;
			return true;
		}
		goal_finish(s, lo, hi, hi_short);
	}
	if (!s->done)
		ndr_recheck(s);
	s->done = true;
	return false;
}

void pe_search_record(struct pe_search *s, uint64_t rate, enum pe_search_kind kind,
		      double loss_ratio, bool fell_short)
{
	struct pe_search_trial *t;

	if (s->n >= PE_SEARCH_MAX_TRIALS)
		return;
	t = &s->trials[s->n++];
	t->rate = rate;
	t->kind = kind;
	t->loss_ratio = loss_ratio;
	t->fell_short = fell_short;
	t->goal = s->goal;
}
