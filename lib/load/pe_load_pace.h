/* SPDX-License-Identifier: MIT */
/* lib/load pacing: a token bucket counted in nano-packets on CLOCK_MONOTONIC. */
#ifndef PE_LOAD_PACE_H
#define PE_LOAD_PACE_H

#include <stdbool.h>
#include <stdint.h>

struct pe_pace {
	bool unlimited;
	uint64_t rate;	 /* packets per second (when !unlimited; 0 sends nothing) */
	uint64_t cap;	 /* bucket depth, nano-packets */
	uint64_t credit; /* nano-packets available */
	uint64_t last_ns;
};

/* rate_pps 0 with unlimited false sends nothing; burst is the bucket depth in packets (>= 1).
 * The bucket starts with one packet of credit so that a run does not begin with a burst. */
void pe_pace_init(struct pe_pace *p, bool unlimited, uint64_t rate_pps, uint32_t burst,
		  uint64_t now_ns);
/* Take up to want packets allowed at now_ns; returns how many were taken. */
uint32_t pe_pace_take(struct pe_pace *p, uint64_t now_ns, uint32_t want);
/* Return n taken packets that could not be sent (socket full); never beyond the bucket depth. */
void pe_pace_give(struct pe_pace *p, uint32_t n);
/* Nanoseconds from now_ns until one packet is allowed (0: now; UINT64_MAX: never). */
uint64_t pe_pace_wait_ns(const struct pe_pace *p, uint64_t now_ns);
/* Share of total for part i of n weighted by w[0..n): exact integer split, sums to total. */
uint64_t pe_load_split(uint64_t total, const unsigned *w, unsigned n, unsigned i);

#endif
