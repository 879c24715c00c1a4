/* SPDX-License-Identifier: MIT */
/* lib/load throughput search (RFC 2544, FD.io CSIT's MLRsearch in spirit): the highest offered
 * rate with loss ratio 0 (NDR) and with loss ratio <= pdr_loss (PDR), by bisection on trial
 * results, a narrow failure repeated before it is trusted. Pure logic: the caller runs each trial
 * the search asks for and records its result, so a test can drive it with a simulated server.
 * docs/load.md describes the rules. */
#ifndef PE_LOAD_SEARCH_H
#define PE_LOAD_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#define PE_SEARCH_FLOOR	     1000 /* pps: the lowest rate tried */
#define PE_SEARCH_MAX_TRIALS 64
#define PE_SEARCH_CONFIRMS   3 /* confirming trials per goal at most */
/* A bisection trial that fails a goal with a loss ratio at most this is run again once before
 * it is trusted (a stall of a few milliseconds fails a short trial by about that much; a rate
 * truly above the server's loses more): a rate fails when most of its trials fail, a tie
 * passes. Confirming trials are trusted as they are. */
#define PE_SEARCH_REPEAT_LOSS 0.05
/* A result at or above this share of the topology's ceiling (--ceiling: what the generator
 * carries through a zero-work reflector) is the generator's limit as much as the server's. */
#define PE_SEARCH_NEAR_CEILING 0.9

enum pe_search_goal {
	PE_SEARCH_NDR = 0,
	PE_SEARCH_PDR,
	PE_SEARCH_GOALS,
};

enum pe_search_kind {
	PE_TRIAL_SHORT = 0, /* a --trial seconds trial of the bisection */
	PE_TRIAL_CONFIRM,   /* the full --duration trial at a goal's result */
	PE_TRIAL_REPEAT,    /* a --trial seconds trial again at a rate one trial failed */
};

struct pe_search_trial {
	uint64_t rate; /* offered (asked for), pps */
	double loss_ratio;
	bool fell_short; /* the generator could not send rate (pe_load_fell_short) */
	enum pe_search_kind kind;
	enum pe_search_goal goal; /* the goal being searched when it ran */
};

struct pe_search_result {
	bool searched;
	uint64_t pps;	       /* the goal's rate; 0 when even the floor lost too much */
	uint64_t lower, upper; /* the final interval: lower passed, upper failed (0: none) */
	bool generator_bound;  /* the generator's limit: the upper bound is where it fell short,
				* or the result is >= PE_SEARCH_NEAR_CEILING of the ceiling */
	bool revised;	       /* NDR only: taken again from every trial, as it was above the PDR */
};

struct pe_search {
	double loss[PE_SEARCH_GOALS]; /* the goals' loss ratio limits: 0 and pdr_loss */
	bool want[PE_SEARCH_GOALS];
	double precision;    /* (upper - lower) / upper at which a goal is found */
	uint64_t top;	     /* the highest rate tried (--rate, or the ceiling trial's rate) */
	bool top_is_ceiling; /* top is what the generator reached at --rate max */
	uint64_t ceiling;    /* the topology's ceiling, pps (0: not known) */
	enum pe_search_goal goal;
	unsigned confirms;
	bool done;
	unsigned n;
	struct pe_search_trial trials[PE_SEARCH_MAX_TRIALS];
	struct pe_search_result res[PE_SEARCH_GOALS];
};

/* top_is_ceiling: top is the generator's own limit (a passing top is then generator-bound). */
void pe_search_init(struct pe_search *s, bool ndr, bool pdr, double pdr_loss, double precision,
		    uint64_t top, bool top_is_ceiling);
/* The topology's ceiling (pps; 0: none), set after init: results near it are generator-bound. */
void pe_search_set_ceiling(struct pe_search *s, uint64_t ceiling_pps);
/* The one rule for "the generator is the bound": it fell short, or pps is near the ceiling. */
bool pe_search_generator_bound(bool fell_short, uint64_t pps, uint64_t ceiling_pps);
/* The next trial to run (true), or false when the search is over. */
bool pe_search_next(struct pe_search *s, uint64_t *rate, enum pe_search_kind *kind);
/* The result of the trial pe_search_next asked for. */
void pe_search_record(struct pe_search *s, uint64_t rate, enum pe_search_kind kind,
		      double loss_ratio, bool fell_short);

#endif
