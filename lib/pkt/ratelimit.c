/* SPDX-License-Identifier: MIT */
/* Reply rate limiter: integer token buckets in the caller's ticks, a 4-way set-associative table
 * of per-prefix buckets with least-recently-used replacement inside a set. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_ratelimit.h"

#define PE_RL_SETS (PE_RL_ENTRIES / PE_RL_WAYS)

int pe_rl_rate_parse(const char *text, struct pe_rl_rate *out)
{
	unsigned long pps, burst;
	char *end;

	if (strcmp(text, "off") == 0) {
		*out = (struct pe_rl_rate){0, 0};
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	pps = strtoul(text, &end, 10);
	if (errno || pps == 0 || pps > PE_RL_MAX_PPS)
		return -EINVAL;
	burst = pps / 10 ? pps / 10 : 1;
	if (*end == '/') {
		const char *b = end + 1;

		if (b[0] < '0' || b[0] > '9')
			return -EINVAL;
		burst = strtoul(b, &end, 10);
		if (errno || burst == 0 || burst > PE_RL_MAX_PPS)
			return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	*out = (struct pe_rl_rate){(uint32_t)pps, (uint32_t)burst};
	return 0;
}

const char *pe_rl_rate_str(const struct pe_rl_rate *r, char *buf, unsigned len)
{
	if (r->pps == 0)
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "%u/%u", r->pps, r->burst);
	return buf;
}

static void share(const struct pe_rl_rate *r, unsigned shares, uint64_t hz, uint64_t *rate,
		  uint64_t *cap, uint64_t *full)
{
	uint64_t pps = r->pps / shares, burst = r->burst / shares;

	*rate = r->pps ? (pps ? pps : 1) : 0;
	*cap = (burst ? burst : 1) * hz;
	*full = *rate ? *cap / *rate : 0; /* no division per packet */
}

void pe_rl_init(struct pe_rl *rl, const struct pe_rl_rate *global, const struct pe_rl_rate *per_src,
		unsigned shares, uint64_t hz)
{
	memset(rl, 0, sizeof(*rl));
	if (shares == 0)
		shares = 1;
	rl->shares = shares;
	rl->hz = hz ? hz : 1;
	share(global, shares, rl->hz, &rl->g_rate, &rl->g_cap, &rl->g_full);
	share(per_src, shares, rl->hz, &rl->s_rate, &rl->s_cap, &rl->s_full);
	rl->g.tokens = rl->g_cap;
}

static uint64_t rate_pack(const struct pe_rl_rate *r)
{
	return (uint64_t)r->pps << 32 | r->burst;
}

static struct pe_rl_rate rate_unpack(uint64_t v)
{
	return (struct pe_rl_rate){(uint32_t)(v >> 32), (uint32_t)v};
}

void pe_rl_live_init(struct pe_rl_live *l, const struct pe_rl_rate *reply,
		     const struct pe_rl_rate *source)
{
	atomic_init(&l->gen, 0);
	atomic_init(&l->reply, rate_pack(reply));
	atomic_init(&l->source, rate_pack(source));
}

void pe_rl_live_set(struct pe_rl_live *l, const struct pe_rl_rate *reply,
		    const struct pe_rl_rate *source)
{
	if (reply)
		atomic_store_explicit(&l->reply, rate_pack(reply), memory_order_relaxed);
	if (source)
		atomic_store_explicit(&l->source, rate_pack(source), memory_order_relaxed);
	/* Release: a worker that sees the new generation sees these values (or newer ones, and
	 * then a newer generation too, so it sets up again at its next check). */
	atomic_fetch_add_explicit(&l->gen, 1, memory_order_release);
}

void pe_rl_live_get(const struct pe_rl_live *l, struct pe_rl_rate *reply, struct pe_rl_rate *source)
{
	struct pe_rl_live *m = (struct pe_rl_live *)l; /* loads only */

	*reply = rate_unpack(atomic_load_explicit(&m->reply, memory_order_relaxed));
	*source = rate_unpack(atomic_load_explicit(&m->source, memory_order_relaxed));
}

void pe_rl_refresh(struct pe_rl *rl, const struct pe_rl_live *l)
{
	struct pe_rl_live *m = (struct pe_rl_live *)l; /* loads only */
	uint64_t gen = atomic_load_explicit(&m->gen, memory_order_acquire);
	struct pe_rl_rate reply, source;

	pe_rl_live_get(l, &reply, &source);
	pe_rl_init(rl, &reply, &source, rl->shares, rl->hz);
	rl->gen = gen;
}

uint64_t pe_rl_key4(uint32_t addr_net)
{
	const uint8_t *a = (const uint8_t *)&addr_net;

	/* ffff:ffff:<a.b.c>::/64 as if it were an IPv6 prefix: ff00::/8 is never a source. */
	return 0xffffffff00000000ull | (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 |
	       (uint64_t)a[2] << 8;
}

uint64_t pe_rl_key6(const uint8_t addr[16])
{
	uint64_t k = 0;

	for (int i = 0; i < 8; i++)
		k = k << 8 | addr[i];
	return k ? k : 1;
}

uint64_t pe_rl_key_of_reply(const uint8_t *f, uint32_t len)
{
	uint32_t off = 12;
	uint16_t type;

	for (int tags = 0;; tags++) {
		if (len < off + 2)
			return 0;
		type = (uint16_t)(f[off] << 8 | f[off + 1]);
		if ((type != 0x8100 && type != 0x88a8) || tags == 2)
			break;
		off += 4;
	}
	off += 2;
	if (type == 0x0806 && len >= off + 28) { /* ARP: target protocol address */
		uint32_t a;

		memcpy(&a, f + off + 24, 4);
		return pe_rl_key4(a);
	}
	if (type == 0x0800 && len >= off + 20) {
		uint32_t a;

		memcpy(&a, f + off + 16, 4);
		return pe_rl_key4(a);
	}
	if (type == 0x86dd && len >= off + 40)
		return pe_rl_key6(f + off + 24);
	return 0;
}

/* Refill b to now, then take one reply's worth if there is one. full: ticks from empty to cap. */
static inline bool take(struct pe_rl_bucket *b, uint64_t rate, uint64_t cap, uint64_t full,
			uint64_t hz, uint64_t now)
{
	uint64_t dt = now - b->last;

	if (now > b->last) {
		if (dt > full)
			b->tokens = cap;
		else if (b->tokens + dt * rate > cap)
			b->tokens = cap;
		else
			b->tokens += dt * rate;
		b->last = now;
	}
	if (b->tokens < hz)
		return false;
	b->tokens -= hz;
	return true;
}

static inline struct pe_rl_entry *lookup(struct pe_rl *rl, uint64_t key, uint64_t now)
{
	struct pe_rl_entry *set =
		&rl->t[(size_t)((key * 0x9e3779b97f4a7c15ull) >> 54) & (PE_RL_SETS - 1)];
	struct pe_rl_entry *victim = &set[0];

	for (int w = 0; w < PE_RL_WAYS; w++) {
		if (set[w].key == key)
			return &set[w];
		if (set[w].key == 0 || set[w].b.last < victim->b.last)
			victim = &set[w];
		if (set[w].key == 0)
			break;
	}
	/* A new source (or the least recently used one of the set is replaced): a full bucket. */
	victim->key = key;
	victim->b = (struct pe_rl_bucket){rl->s_cap, now};
	return victim;
}

bool pe_rl_allow(struct pe_rl *rl, uint64_t key, uint64_t now)
{
	if (rl->g_rate && !take(&rl->g, rl->g_rate, rl->g_cap, rl->g_full, rl->hz, now))
		return false;
	if (rl->s_rate && key != 0 &&
	    !take(&lookup(rl, key, now)->b, rl->s_rate, rl->s_cap, rl->s_full, rl->hz, now)) {
		if (rl->g_rate)
			rl->g.tokens += rl->hz; /* not sent: the global token goes back */
		return false;
	}
	return true;
}
