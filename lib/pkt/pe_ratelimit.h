/* SPDX-License-Identifier: MIT */
/* The reply rate limiter shared by both services: token buckets, one global and one per source
 * prefix (/24 IPv4, /64 IPv6) in a fixed table of PE_RL_ENTRIES (4-way sets, the least recently
 * used entry of a set replaced). One limiter per lcore / loop thread: no locks, no allocation, no
 * clock inside (the caller passes the time in its own ticks and says how many make a second).
 * A loop is one packet bouncing: any limit below its natural rate ends it; a reflection flood is
 * capped at the limit. */
#ifndef PE_RATELIMIT_H
#define PE_RATELIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PE_RL_ENTRIES	4096
#define PE_RL_WAYS	4
#define PE_RL_MAX_PPS	100000000u
#define PE_RL_SRC_PPS	10000u /* default per source prefix and process */
#define PE_RL_SRC_BURST 1000u

/* A rate for the whole process: pps 0 = off. */
struct pe_rl_rate {
	uint32_t pps, burst;
};

/* Parse "PPS[/BURST]" or "off" (burst default: pps / 10, at least 1). 0 or -EINVAL. */
int pe_rl_rate_parse(const char *text, struct pe_rl_rate *out);
/* "off" or "PPS/BURST" into buf. Returns buf. */
const char *pe_rl_rate_str(const struct pe_rl_rate *r, char *buf, unsigned len);

struct pe_rl_bucket {
	uint64_t tokens; /* in ticks: one reply costs hz ticks' worth */
	uint64_t last;
};

struct pe_rl_entry {
	uint64_t key; /* 0 = empty */
	struct pe_rl_bucket b;
};

struct pe_rl {
	uint64_t hz;	 /* ticks per second of the times passed in */
	uint64_t gen;	 /* generation of the live limits this one was set up from */
	unsigned shares; /* of the per-process limits this limiter holds one */
	uint64_t g_rate, g_cap,
		g_full; /* global: pps share, burst * hz, ticks to refill; 0 = off */
	uint64_t s_rate, s_cap, s_full; /* per source prefix */
	struct pe_rl_bucket g;
	struct pe_rl_entry t[PE_RL_ENTRIES];
};

/* global and per_src are per process; this limiter gets 1/shares of each (RSS spreads one source
 * over the queues, so every worker sees its share of a source). hz: ticks per second. */
void pe_rl_init(struct pe_rl *rl, const struct pe_rl_rate *global, const struct pe_rl_rate *per_src,
		unsigned shares, uint64_t hz);
static inline bool pe_rl_enabled(const struct pe_rl *rl)
{
	return (rl->g_rate | rl->s_rate) != 0;
}

/* The limits of a running service, changed by its control thread (one writer) while the workers
 * run: a generation counter and the new values, no locks. Each worker checks the generation once
 * per burst or poll round (pe_rl_follow) and sets its own limiter up again from the new values,
 * its share of them as at start (full buckets, the per-source table emptied). */
struct pe_rl_live {
	atomic_uint_fast64_t gen;
	atomic_uint_fast64_t reply, source; /* pps << 32 | burst */
};

void pe_rl_live_init(struct pe_rl_live *l, const struct pe_rl_rate *reply,
		     const struct pe_rl_rate *source);
/* The control thread: publish new limits (NULL: keep that one). */
void pe_rl_live_set(struct pe_rl_live *l, const struct pe_rl_rate *reply,
		    const struct pe_rl_rate *source);
/* The limits last published. */
void pe_rl_live_get(const struct pe_rl_live *l, struct pe_rl_rate *reply,
		    struct pe_rl_rate *source);
/* rl set up again from l's current limits (rl keeps its shares and hz). */
void pe_rl_refresh(struct pe_rl *rl, const struct pe_rl_live *l);
/* true when l holds limits rl has not taken yet (one acquire load; l NULL: never). */
static inline bool pe_rl_changed(const struct pe_rl *rl, const struct pe_rl_live *l)
{
	return l && atomic_load_explicit(&((struct pe_rl_live *)l)->gen, memory_order_acquire) !=
			    rl->gen;
}
/* Per burst or poll round of a worker, never per packet. */
static inline void pe_rl_follow(struct pe_rl *rl, const struct pe_rl_live *l)
{
	if (__builtin_expect(pe_rl_changed(rl, l), 0))
		pe_rl_refresh(rl, l);
}

/* The key of a source address: its /24 (IPv4, network order) or its /64 (IPv6). Never 0. */
uint64_t pe_rl_key4(uint32_t addr_net);
uint64_t pe_rl_key6(const uint8_t addr[16]);
/* The key of the peer a reply frame goes to (its destination: ARP target, IPv4/IPv6
 * destination), after VLAN tags; 0 when the frame is none of these. */
uint64_t pe_rl_key_of_reply(const uint8_t *frame, uint32_t len);

/* true: send one reply to key (a token taken from both buckets); false: over a limit. */
bool pe_rl_allow(struct pe_rl *rl, uint64_t key, uint64_t now);

#endif
