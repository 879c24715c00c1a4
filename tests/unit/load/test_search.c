/* SPDX-License-Identifier: MIT */
/* lib/load throughput search against simulated servers and generators: a server that loses
 * everything above its capacity, a generator with a ceiling below it, a server that loses even
 * at the floor, and confirming trials that fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pe_load_search.h"

/* The simulation: a server of capacity cap pps (loss (R - cap) / R above it, or narrow_loss
 * when that is set), a generator that sends at most gen pps, confirming trials that lose
 * confirm_loss on top, and one stall: the stall_at-th trial (1, 2, ...; 0: none) loses
 * stall_loss on top. */
struct sim {
	double cap, gen, confirm_loss, narrow_loss, stall_loss;
	unsigned stall_at;
	unsigned trials, confirms, repeats;
};

static void sim_run(struct pe_search *s, struct sim *m)
{
	uint64_t rate;
	enum pe_search_kind kind;

	while (pe_search_next(s, &rate, &kind)) {
		double sent = (double)rate < m->gen ? (double)rate : m->gen;
		double loss = sent > m->cap ? (sent - m->cap) / sent : 0.0;

		if (loss > 0 && m->narrow_loss > 0)
			loss = m->narrow_loss;
		if (kind == PE_TRIAL_CONFIRM) {
			loss += m->confirm_loss;
			m->confirms++;
		}
		m->repeats += kind == PE_TRIAL_REPEAT;
		if (++m->trials == m->stall_at)
			loss += m->stall_loss;
		pe_search_record(s, rate, kind, loss, sent < (double)rate * 0.99);
	}
}

static void assert_within(const struct pe_search_result *r, double prec)
{
	assert_true(r->searched);
	assert_true(r->lower == r->pps && r->upper > r->lower);
	assert_true((double)(r->upper - r->lower) <= prec * (double)r->upper);
}

static void test_search_converges(void **state)
{
	struct pe_search s;
	struct sim m = {.cap = 37000, .gen = 1e9};

	(void)state;
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	/* NDR: at most the capacity, within the precision of it. */
	assert_within(&s.res[PE_SEARCH_NDR], 0.02);
	assert_true(s.res[PE_SEARCH_NDR].pps <= 37000 && s.res[PE_SEARCH_NDR].pps >= 37000 * 0.98);
	/* PDR: loss <= 0.5% up to cap / 0.995. */
	assert_within(&s.res[PE_SEARCH_PDR], 0.02);
	assert_true(s.res[PE_SEARCH_PDR].pps <= 37000 / 0.995);
	assert_true(s.res[PE_SEARCH_PDR].pps >= 37000 * 0.98);
	assert_true(s.res[PE_SEARCH_NDR].pps <= s.res[PE_SEARCH_PDR].pps);
	assert_false(s.res[PE_SEARCH_NDR].generator_bound);
	assert_false(s.res[PE_SEARCH_PDR].generator_bound);
	/* One confirming trial per goal, and a bisection's worth of short ones. */
	assert_int_equal(m.confirms, 2);
	assert_true(m.trials < 20);
}

static void test_search_generator_bound(void **state)
{
	struct pe_search s;
	struct sim m = {.cap = 80000, .gen = 30000};

	(void)state;
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	for (int g = 0; g < PE_SEARCH_GOALS; g++) {
		assert_within(&s.res[g], 0.02);
		assert_true(s.res[g].pps <= 30000 / 0.99); /* within the shortfall tolerance */
		assert_true(s.res[g].generator_bound);	   /* the upper bound is the generator's */
	}
	/* The top passes: the result is the top, bounded by the generator when it is its ceiling.
	 */
	m = (struct sim){.cap = 80000, .gen = 1e9};
	pe_search_init(&s, false, true, 0.005, 0.02, 50000, true);
	sim_run(&s, &m);
	assert_int_equal(s.res[PE_SEARCH_PDR].pps, 50000);
	assert_int_equal(s.res[PE_SEARCH_PDR].upper, 0);
	assert_true(s.res[PE_SEARCH_PDR].generator_bound);
	assert_false(s.res[PE_SEARCH_NDR].searched);
	pe_search_init(&s, false, true, 0.005, 0.02, 50000, false);
	m = (struct sim){.cap = 80000, .gen = 1e9};
	sim_run(&s, &m);
	assert_false(s.res[PE_SEARCH_PDR].generator_bound); /* --rate, not the ceiling */
}

static void test_search_floor_and_confirm(void **state)
{
	struct pe_search s;
	struct sim m = {.cap = 100, .gen = 1e9};

	(void)state;
	/* A server that loses at the floor: 0, the floor as the upper bound. */
	pe_search_init(&s, true, false, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	assert_int_equal(s.res[PE_SEARCH_NDR].pps, 0);
	assert_int_equal(s.res[PE_SEARCH_NDR].upper, PE_SEARCH_FLOOR);
	assert_int_equal(m.confirms, 0);
	/* Confirming trials that always lose: at most PE_SEARCH_CONFIRMS per goal, each failure
	 * lowering the upper bound, and the search ends. */
	m = (struct sim){.cap = 37000, .gen = 1e9, .confirm_loss = 0.01};
	pe_search_init(&s, true, false, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	assert_int_equal(m.confirms, PE_SEARCH_CONFIRMS);
	assert_true(s.res[PE_SEARCH_NDR].pps < 37000 * 0.98);
	assert_true(s.done);
}

/* NDR <= PDR, whatever the trials say. The NDR goal is searched first; when its confirming trials
 * keep failing (noise) it ends on a rate it could not confirm; the PDR goal's own confirming
 * trial there then fails too, and the PDR falls below that NDR. The search takes the NDR again
 * from every trial. */
static void test_search_ndr_not_above_pdr(void **state)
{
	struct pe_search s;
	struct sim m = {.cap = 37000, .gen = 1e9, .confirm_loss = 0.01};
	const struct pe_search_result *n = &s.res[PE_SEARCH_NDR], *p = &s.res[PE_SEARCH_PDR];

	(void)state;
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	assert_true(n->searched && p->searched);
	assert_true(n->pps <= p->pps);
	assert_true(n->revised);
	assert_true(n->upper != 0 && n->upper <= p->upper); /* a rate that lost bounds both */
	/* A search with no inversion keeps its NDR as found. */
	m = (struct sim){.cap = 37000, .gen = 1e9};
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	assert_false(n->revised);
	assert_true(n->pps >= 37000 * 0.98);
}

/* --ceiling: a result at 90% of the topology's ceiling or above is generator-bound, one below it
 * is not; the rule is the one the caller would apply (pe_search_generator_bound). */
static void test_search_near_ceiling(void **state)
{
	struct pe_search s;
	struct sim m = {.cap = 37000, .gen = 1e9};

	(void)state;
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	pe_search_set_ceiling(&s, 40000); /* 90%: 36000, below both results */
	sim_run(&s, &m);
	assert_true(s.res[PE_SEARCH_NDR].pps >= 36000 && s.res[PE_SEARCH_PDR].pps >= 36000);
	assert_true(s.res[PE_SEARCH_NDR].generator_bound && s.res[PE_SEARCH_PDR].generator_bound);
	m = (struct sim){.cap = 37000, .gen = 1e9};
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	pe_search_set_ceiling(&s, 45000); /* 90%: 40500, above both */
	sim_run(&s, &m);
	assert_false(s.res[PE_SEARCH_NDR].generator_bound || s.res[PE_SEARCH_PDR].generator_bound);
	assert_true(pe_search_generator_bound(true, 1000, 0));
	assert_false(pe_search_generator_bound(false, 1000, 0));
	assert_true(pe_search_generator_bound(false, 900, 1000));
	assert_false(pe_search_generator_bound(false, 899, 1000));
	assert_false(pe_search_generator_bound(false, 0, 1000)); /* 0 is no rate */
}

/* One stall: a short trial far below the capacity loses 1% (a few milliseconds of a stalled
 * server). Trusted, it would be the upper bound of both goals for good; it is run again, passes,
 * and the search goes on above it. */
static void test_search_one_stall(void **state)
{
	struct pe_search s;
	/* Trials: 100000 (fails), 50000 (fails), 25000 (the stall), ... */
	struct sim m = {.cap = 37000, .gen = 1e9, .stall_at = 3, .stall_loss = 0.01};

	(void)state;
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	for (int g = 0; g < PE_SEARCH_GOALS; g++) {
		assert_within(&s.res[g], 0.02);
		assert_true(s.res[g].pps >= 37000 * 0.98);
	}
	assert_int_equal(s.trials[2].rate, 25000);
	assert_true(s.trials[3].rate == 25000 && s.trials[3].kind == PE_TRIAL_REPEAT);
	/* A heavy loss is not noise: the 63% at the top is not run again. */
	assert_int_not_equal(s.trials[1].rate, 100000);
}

/* A server that loses narrowly above its capacity (1%): every such failure is run again, fails
 * again, and is then trusted; the result is the same as without repeats. */
static void test_search_narrow_loss_repeated(void **state)
{
	struct pe_search s;
	struct sim m = {.cap = 37000, .gen = 1e9, .narrow_loss = 0.01};
	unsigned failed_rates = 0;

	(void)state;
	pe_search_init(&s, true, true, 0.005, 0.02, 100000, false);
	sim_run(&s, &m);
	for (int g = 0; g < PE_SEARCH_GOALS; g++) {
		assert_within(&s.res[g], 0.02);
		assert_true(s.res[g].pps <= 37000 && s.res[g].pps >= 37000 * 0.98);
	}
	for (unsigned i = 0; i < s.n; i++) {
		if (s.trials[i].kind == PE_TRIAL_REPEAT) {
			assert_int_equal(s.trials[i].rate, s.trials[i - 1].rate);
			assert_true(s.trials[i].loss_ratio > 0 && s.trials[i - 1].loss_ratio > 0);
		}
		failed_rates += s.trials[i].kind == PE_TRIAL_SHORT && s.trials[i].loss_ratio > 0;
	}
	assert_int_equal(m.repeats, failed_rates); /* each failed rate once more, no more */
	assert_true(m.repeats > 0);
}

/* --rate max: the ceiling trial is recorded as the trial at the top, and not run again. */
static void test_search_ceiling_trial_counts(void **state)
{
	struct pe_search s;
	uint64_t rate;
	enum pe_search_kind kind;
	struct sim m = {.cap = 20000, .gen = 1e9};

	(void)state;
	pe_search_init(&s, false, true, 0.005, 0.02, 50000, true);
	pe_search_record(&s, 50000, PE_TRIAL_SHORT, 0.6, false); /* lost 60% at the top */
	assert_true(pe_search_next(&s, &rate, &kind));
	assert_true(rate < 50000 && kind == PE_TRIAL_SHORT);
	pe_search_init(&s, false, true, 0.005, 0.02, 50000, true);
	pe_search_record(&s, 50000, PE_TRIAL_SHORT, 0.6, false);
	sim_run(&s, &m);
	assert_within(&s.res[PE_SEARCH_PDR], 0.02);
	assert_true(s.res[PE_SEARCH_PDR].pps <= 20000 / 0.995);
	for (unsigned i = 1; i < s.n; i++)
		assert_true(s.trials[i].rate != 50000);
	/* A top that passed: confirmed at the top, generator-bound (it is the generator's). */
	pe_search_init(&s, false, true, 0.005, 0.02, 50000, true);
	pe_search_record(&s, 50000, PE_TRIAL_SHORT, 0.0, false);
	assert_true(pe_search_next(&s, &rate, &kind));
	assert_true(rate == 50000 && kind == PE_TRIAL_CONFIRM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_converges),
		cmocka_unit_test(test_search_generator_bound),
		cmocka_unit_test(test_search_one_stall),
		cmocka_unit_test(test_search_narrow_loss_repeated),
		cmocka_unit_test(test_search_floor_and_confirm),
		cmocka_unit_test(test_search_ndr_not_above_pdr),
		cmocka_unit_test(test_search_near_ceiling),
		cmocka_unit_test(test_search_ceiling_trial_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
