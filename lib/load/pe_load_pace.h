/* SPDX-License-Identifier: MIT */
/* lib/load pacing: a send schedule on CLOCK_MONOTONIC. Packet k of a schedule at R pps is due at
 * t0 + k/R; whatever is due is sent, so a late wakeup is made up by the next send instead of
 * being lost. The catch-up is bounded: a backlog older than the catch-up window (the generator
 * stopped, or cannot go that fast) is skipped and counted as missed, so a stall is never followed
 * by an unbounded burst, and the shortfall shows. Exact integer arithmetic: no drift over a run. */
#ifndef PE_LOAD_PACE_H
#define PE_LOAD_PACE_H

#include <stdbool.h>
#include <stdint.h>

#define PE_PACE_CATCHUP_NS 250000000ull /* the backlog kept: 250 ms of the schedule */

struct pe_pace {
	bool unlimited;
	uint64_t rate;	  /* packets per second (when !unlimited; 0 sends nothing) */
	uint64_t t0;	  /* packet 0 is due at t0 */
	uint64_t issued;  /* packets [0, issued) of the schedule were handed out or skipped */
	uint64_t missed;  /* of those, skipped: older than the catch-up window */
	uint64_t window;  /* the catch-up window in packets (>= the burst) */
	uint64_t step_fp; /* 1e9 / rate in ns, 32.32 fixed point: due times without a division */
};

/* rate_pps 0 with unlimited false sends nothing; burst (>= 1) is the smallest catch-up window in
 * packets (the window is otherwise PE_PACE_CATCHUP_NS of the schedule). Packet 0 is due at
 * now_ns. */
void pe_pace_init(struct pe_pace *p, bool unlimited, uint64_t rate_pps, uint32_t burst,
		  uint64_t now_ns);
/* Take up to want packets due at now_ns; returns how many were taken, the first of them being
 * packet number p->issued - returned of the schedule. */
uint32_t pe_pace_take(struct pe_pace *p, uint64_t now_ns, uint32_t want);
/* Return the last n taken packets that could not be sent (socket full): they are due again. */
void pe_pace_give(struct pe_pace *p, uint32_t n);
/* Nanoseconds from now_ns until the next packet is due (0: now; UINT64_MAX: never). */
uint64_t pe_pace_wait_ns(const struct pe_pace *p, uint64_t now_ns);
/* When packet k of the schedule is due (unlimited: 0, meaning "when it was sent"). */
static inline uint64_t pe_pace_due_ns(const struct pe_pace *p, uint64_t k)
{
	__extension__ typedef unsigned __int128 u128;

	return p->unlimited ? 0 : p->t0 + (uint64_t)(((u128)k * p->step_fp) >> 32);
}
/* Packets of the schedule due in [t0, now_ns]: what an exact generator has sent by now. */
uint64_t pe_pace_due_count(const struct pe_pace *p, uint64_t now_ns);
/* Share of total for part i of n weighted by w[0..n): exact integer split, sums to total. */
uint64_t pe_load_split(uint64_t total, const unsigned *w, unsigned n, unsigned i);

#endif
