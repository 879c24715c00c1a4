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
		uint64_t lat = now > h.ts_ns ? now - h.ts_ns : 0;

		w->rx_measured++;
		w->t_last_rx = now;
		pe_hist_record(w->lat, lat);
		pe_hist_record(w->lat_corr, rx_corrected(f, h.seq, lat));
		break;
	}
	case PE_ACCT_UNMEASURED:
		w->warmup_rx++;
		break;
	case PE_ACCT_BOGUS:
		w->foreign++;
		break;
	case PE_ACCT_DUPLICATE:
		break;
	}
}
