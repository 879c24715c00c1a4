/* SPDX-License-Identifier: MIT */
/* What every backend does with one payload: stamp it on the way out, match it on the way back. */
#include <string.h>

#include "load_priv.h"

void load_tx_payload(struct load_worker *w, struct load_flow *f, uint8_t *buf, uint64_t seq,
		     uint64_t now)
{
	struct pe_load_hdr h = {.flow = f->id, .seq = seq, .ts_ns = now, .nonce = w->l->nonce};

	pe_load_hdr_encode(buf, &h);
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
	case PE_ACCT_REORDERED:
		w->rx_measured++;
		w->t_last_rx = now;
		pe_hist_record(w->lat, now > h.ts_ns ? now - h.ts_ns : 0);
		break;
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
