/* SPDX-License-Identifier: MIT */
/* What every backend does with one payload: stamp it on the way out, match it on the way back. */
#include <string.h>

#include "load_priv.h"

void load_tx_payload(struct load_worker *w, struct load_flow *f, uint8_t *buf, uint32_t i,
		     uint64_t seq, uint64_t now)
{
	struct pe_load_hdr h;

	load_tx_hdr(w, f, i, seq, now, &h);
	pe_load_hdr_encode(buf, &h);
}

/* The echo's latency from when it was due: its lag is known while seq is within the window. */
static uint64_t rx_corrected(const struct load_flow *f, uint64_t seq, uint64_t lat)
{
	if (f->next_seq - seq > PE_ACCT_WINDOW)
		return lat; /* overwritten since: a lower bound */
	return lat + f->lag[seq % PE_ACCT_WINDOW];
}

void load_rx_payload(struct load_worker *w, struct load_flow *f, const uint8_t *buf, size_t len,
		     uint64_t now)
{
	struct pe_load_hdr h;

	/* Not ours at all (another run, another flow, a stray datagram): foreign. Ours but altered
	 * (length or pattern): corrupt, and not counted as received, so it also shows as lost. */
	if (pe_load_hdr_decode(buf, len, &h) < 0 || h.nonce != w->l->nonce || h.flow != f->id) {
		w->foreign++;
		return;
	}
	/* The worker's template holds the pattern: one memcmp instead of a byte loop. */
	if (len != w->l->cfg.size ||
	    memcmp(buf + PE_LOAD_HDR_LEN, w->tmpl + PE_LOAD_HDR_LEN, len - PE_LOAD_HDR_LEN) != 0) {
		w->corrupt++;
		return;
	}
	switch (pe_flow_acct_rx(&f->acct, h.seq, f->next_seq)) {
	case PE_ACCT_NEW:
	case PE_ACCT_REORDERED: {
		uint64_t lat = now > h.ts_ns ? now - h.ts_ns : 0,
			 corr = rx_corrected(f, h.seq, lat);

		w->rx_measured++;
		w->t_last_rx = now;
		pe_hist_record(w->lat, lat);
		pe_hist_record(w->lat_corr, corr);
		load_live_record(w, 0, lat);
		load_live_record(w, 1, corr);
		break;
	}
	case PE_ACCT_UNMEASURED: {
		uint64_t lat = now > h.ts_ns ? now - h.ts_ns : 0;

		w->warmup_rx++;
		load_live_record(w, 0, lat);
		load_live_record(w, 1, rx_corrected(f, h.seq, lat));
		break;
	}
	case PE_ACCT_BOGUS:
		w->foreign++;
		break;
	case PE_ACCT_DUPLICATE:
		break;
	}
}

const uint64_t pe_load_live_le_ns[PE_LOAD_LIVE_BOUNDS] = {
	1000,	2000,	 5000,	  10000,   20000,    50000,    100000,	 200000,
	500000, 1000000, 2000000, 5000000, 10000000, 20000000, 50000000, 100000000,
};

/* One writer: a plain read of its own counter, a relaxed store others may load. */
static inline void live_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

void load_live_record(struct load_worker *w, unsigned k, uint64_t ns)
{
	struct pe_load_live *lv = &w->live[k];
	unsigned i = 0;

	while (i < PE_LOAD_LIVE_BOUNDS && ns > pe_load_live_le_ns[i])
		i++;
	live_add(&lv->buckets[i], 1);
	live_add(&lv->count, 1);
	live_add(&lv->sum_ns, ns);
}
