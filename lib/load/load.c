/* SPDX-License-Identifier: MIT */
/* The generator engine: flows split over worker threads, each thread pacing its own token bucket,
 * sending on its flows round-robin and accounting their echoes; phases (warm-up, measure, drain)
 * follow one shared clock so no thread has to signal another. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "load_priv.h"

#define NANO 1000000000ull

uint64_t pe_load_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NANO + (uint64_t)ts.tv_nsec;
}

void pe_load_cfg_init(struct pe_load_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = 64;
	cfg->rate = 1000;
	cfg->duration_ns = 10 * NANO;
	cfg->drain_ns = NANO / 2;
	cfg->threads = 1;
	cfg->flows = 1;
	cfg->link_wait_ns = 5 * NANO;
}

static int cfg_check(const struct pe_load_cfg *cfg)
{
	if (cfg->size < PE_LOAD_HDR_LEN || cfg->size > PE_LOAD_MAX_SIZE)
		return -EINVAL;
	if (cfg->threads == 0 || cfg->threads > PE_LOAD_MAX_THREADS)
		return -EINVAL;
	if (cfg->flows < cfg->threads || cfg->flows > PE_LOAD_MAX_FLOWS)
		return -EINVAL;
	if (!cfg->rate_max && cfg->rate == 0)
		return -EINVAL;
	if (cfg->dpdk &&
	    (cfg->threads != 1 || cfg->target.proto != PE_LOAD_UDP ||
	     pe_load_frame_len(&cfg->l2) > PE_LOAD_FRAME_MAX || cfg->l2.size != cfg->size))
		return -EINVAL;
	return 0;
}

/* Flow i belongs to worker i % threads; workers get contiguous slices after a stable sort. */
static unsigned worker_flows(const struct pe_load_cfg *cfg, unsigned t)
{
	return cfg->flows / cfg->threads + (t < cfg->flows % cfg->threads);
}

static const struct load_backend *backend_of(const struct pe_load_cfg *cfg)
{
	if (cfg->dpdk)
		return &load_backend_dpdk;
	return cfg->target.proto == PE_LOAD_TCP ? &load_backend_tcp : &load_backend_udp;
}

const char *pe_load_mode(const struct pe_load_cfg *cfg)
{
	return backend_of(cfg)->mode;
}

static int load_open_flows(struct pe_load *l)
{
	for (unsigned i = 0; i < l->cfg.flows; i++) {
		l->flows[i].id = i;
		pe_flow_acct_init(&l->flows[i].acct);
		l->flows[i].lag = calloc(PE_ACCT_WINDOW, sizeof(*l->flows[i].lag));
		if (!l->flows[i].lag)
			return -ENOMEM;
	}
	return l->be->setup(l);
}

static int worker_init(struct pe_load *l, struct load_worker *w, unsigned t, unsigned first)
{
	char name[PE_STATS_LABEL_LEN];

	w->l = l;
	w->index = t;
	w->flows = &l->flows[first];
	w->n_flows = worker_flows(&l->cfg, t);
	w->blk = pe_stats_block(l->stats, t);
	snprintf(name, sizeof(name), "thread%u", t);
	pe_stats_block_label(w->blk, name, UINT32_MAX, UINT32_MAX, (int32_t)t);
	w->lat = malloc(sizeof(*w->lat));
	w->lat_corr = malloc(sizeof(*w->lat_corr));
	w->tmpl = calloc(1, l->cfg.size + 1);
	if (!w->lat || !w->lat_corr || !w->tmpl)
		return -ENOMEM;
	pe_load_tmpl_fill(w->tmpl, l->cfg.size);
	return l->be->worker_init ? l->be->worker_init(w) : 0;
}

static void worker_fini(struct load_worker *w)
{
	if (w->l && w->l->be->worker_fini)
		w->l->be->worker_fini(w);
	free(w->tmpl);
	free(w->lat);
	free(w->lat_corr);
}

struct pe_load *pe_load_create(const struct pe_load_cfg *cfg)
{
	struct pe_load *l;
	int rc;

	if (cfg_check(cfg) < 0) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->cfg = *cfg;
	l->be = backend_of(cfg);
	l->stop_ns = UINT64_MAX;
	if (getrandom(&l->nonce, sizeof(l->nonce), 0) != sizeof(l->nonce))
		l->nonce = pe_load_now_ns() ^ ((uint64_t)getpid() << 32);
	l->flows = calloc(cfg->flows, sizeof(*l->flows));
	l->workers = calloc(cfg->threads, sizeof(*l->workers));
	l->stats = pe_stats_create(cfg->threads, cfg->stats_name);
	rc = (!l->flows || !l->workers) ? -ENOMEM : !l->stats ? -errno : 0;
	if (l->stats)
		pe_stats_set_meta(l->stats, "pktecho-load", l->be->mode);
	for (unsigned i = 0; l->flows && i < cfg->flows; i++)
		l->flows[i].fd = -1;
	if (rc == 0)
		rc = load_open_flows(l);
	for (unsigned t = 0, first = 0; rc == 0 && t < cfg->threads; t++) {
		rc = worker_init(l, &l->workers[t], t, first);
		first += worker_flows(cfg, t);
	}
	if (rc < 0) {
		pe_load_destroy(l);
		errno = -rc;
		return NULL;
	}
	return l;
}

static void load_join(struct pe_load *l)
{
	for (unsigned t = 0; t < l->cfg.threads; t++) {
		struct load_worker *w = &l->workers[t];

		if (w->started && !w->joined) {
			pthread_join(w->tid, NULL);
			w->joined = true;
		}
	}
}

void pe_load_destroy(struct pe_load *l)
{
	if (!l)
		return;
	if (l->workers) {
		pe_load_stop(l);
		load_join(l);
		for (unsigned t = 0; t < l->cfg.threads; t++)
			worker_fini(&l->workers[t]);
	}
	for (unsigned i = 0; l->flows && i < l->cfg.flows; i++) {
		if (l->flows[i].fd >= 0)
			close(l->flows[i].fd);
		free(l->flows[i].txbuf);
		free(l->flows[i].rxbuf);
		free(l->flows[i].lag);
	}
	if (l->be->teardown)
		l->be->teardown(l);
	pe_stats_destroy(l->stats);
	free(l->workers);
	free(l->flows);
	free(l);
}

void pe_load_stop(struct pe_load *l)
{
	uint64_t now = pe_load_now_ns(), cur = __atomic_load_n(&l->stop_ns, __ATOMIC_ACQUIRE);

	if (now < cur)
		__atomic_store_n(&l->stop_ns, now, __ATOMIC_RELEASE);
}

bool pe_load_done(const struct pe_load *l)
{
	for (unsigned t = 0; t < l->cfg.threads; t++)
		if (!__atomic_load_n(&l->workers[t].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

const struct pe_stats *pe_load_stats(const struct pe_load *l)
{
	return l->stats;
}

/* ---- the worker thread ---------------------------------------------------------------------- */

static void worker_start_measure(struct load_worker *w, uint64_t now)
{
	for (unsigned i = 0; i < w->n_flows; i++)
		pe_flow_acct_start(&w->flows[i].acct, w->flows[i].next_seq);
	w->measuring = true;
	w->t_start = now;
	w->missed_start = w->pace.missed;
}

static void worker_end_measure(struct load_worker *w, uint64_t now)
{
	for (unsigned i = 0; i < w->n_flows; i++) {
		struct load_flow *f = &w->flows[i];

		pe_flow_acct_stop(&f->acct, f->next_seq);
		w->sent_measured += pe_flow_acct_sent(&f->acct, f->next_seq);
	}
	if (!w->measuring) {
		w->t_start = now;
		w->missed_start = w->pace.missed;
	}
	w->missed = w->pace.missed - w->missed_start;
	w->measuring = true;
	w->ended = true;
	w->t_end = now;
	w->drain_deadline = now + w->l->cfg.drain_ns;
}

static void worker_phase(struct load_worker *w, uint64_t now)
{
	struct pe_load *l = w->l;
	uint64_t stop = __atomic_load_n(&l->stop_ns, __ATOMIC_ACQUIRE);

	if (w->ended)
		return;
	/* A phase that began on the clock began when the clock said, not when the thread woke. */
	if (!w->measuring && now >= l->warm_end && stop == UINT64_MAX)
		worker_start_measure(w, l->warm_end);
	if (now >= l->end || now >= stop || (w->measuring && w->count_left == 0))
		worker_end_measure(w, now >= l->end && l->end < stop ? l->end : now);
}

/* Hand out the packets due at due_by (stamped at now) round-robin over the flows, a batch at a
 * time. True when it took as many as it could take at once: more may be due. */
static bool worker_send(struct load_worker *w, uint64_t due_by, uint64_t now)
{
	uint32_t want = PE_LOAD_BATCH * (w->n_flows < 4 ? w->n_flows : 4), n, sent = 0;
	uint64_t first;

	if (w->measuring && w->count_left < want)
		want = (uint32_t)w->count_left;
	n = pe_pace_take(&w->pace, due_by, want);
	first = w->pace.issued - n;
	w->blocked = false;
	for (unsigned tries = 0; sent < n && tries < w->n_flows; tries++) {
		struct load_flow *f = &w->flows[w->rr];
		uint32_t k = n - sent < PE_LOAD_BATCH ? n - sent : PE_LOAD_BATCH, done;

		w->rr = (w->rr + 1) % w->n_flows;
		w->tx_due_idx = first + sent;
		done = w->l->be->send(w, f, k, now);
		sent += done;
		if (done < k)
			w->blocked = true;
		else
			tries = 0; /* progress: keep going round */
	}
	if (sent < n)
		pe_pace_give(&w->pace, n - sent);
	if (w->measuring)
		w->count_left -= sent;
	else
		w->warmup_tx += sent;
	__atomic_store_n(&w->live_tx, w->live_tx + sent, __ATOMIC_RELAXED);
	return n == want && sent == n;
}

/* At a phase boundary (the thread woke after it): send what was due by t, the boundary's last
 * nanosecond, so that each phase holds exactly the packets its schedule had due. */
static void worker_flush(struct load_worker *w, uint64_t t, uint64_t now)
{
	if (w->pace.unlimited)
		return; /* no schedule: nothing is due, and the loop would never end */
	while (worker_send(w, t, now))
		;
}

static uint64_t worker_wait_ns(struct load_worker *w, uint64_t now)
{
	uint64_t wait = LOAD_MAX_WAIT_NS, next;

	if (w->ended)
		return w->drain_deadline > now && w->drain_deadline - now < wait
			       ? w->drain_deadline - now
			       : wait;
	if (w->blocked)
		return w->l->be->wait_when_blocked ? wait : 0;
	next = pe_pace_wait_ns(&w->pace, now);
	if (next < wait)
		wait = next;
	if (!w->measuring && w->l->warm_end > now && w->l->warm_end - now < wait)
		wait = w->l->warm_end - now;
	if (w->l->end > now && w->l->end - now < wait)
		wait = w->l->end - now;
	/* A sleep this short would wake late (timer slack, scheduling): poll until it is due. */
	return wait < LOAD_SPIN_NS ? 0 : wait;
}

static bool worker_drained(const struct load_worker *w)
{
	if (w->rx_measured < w->sent_measured)
		return false;
	for (unsigned i = 0; i < w->n_flows; i++)
		if (w->flows[i].tx_off < w->flows[i].tx_len)
			return false;
	return true;
}

static void *worker_main(void *arg)
{
	struct load_worker *w = arg;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* this thread's sleeps end when asked (1 ns) */
	for (;;) {
		uint64_t now = pe_load_now_ns();

		if (!w->ended && !w->measuring && now >= w->l->warm_end &&
		    w->l->warm_end > w->l->t0)
			worker_flush(w, w->l->warm_end - 1, now);
		else if (!w->ended && w->measuring && now >= w->l->end)
			worker_flush(w, w->l->end - 1, now);
		worker_phase(w, now);
		if (w->ended && (worker_drained(w) || now >= w->drain_deadline))
			break;
		if (!w->ended)
			worker_send(w, now, now);
		w->l->be->poll(w, worker_wait_ns(w, now));
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Forget the previous run (its threads joined): counters, phases, histograms, accounting. */
static void load_reset_run(struct pe_load *l)
{
	load_join(l);
	l->stop_ns = UINT64_MAX;
	for (unsigned t = 0; t < l->cfg.threads; t++) {
		struct load_worker *w = &l->workers[t];

		w->started = w->joined = false;
		w->measuring = w->ended = w->blocked = false;
		w->t_start = w->t_end = w->t_last_rx = w->drain_deadline = 0;
		w->sent_measured = w->rx_measured = w->missed = w->missed_start = 0;
		w->corrupt = w->foreign = w->errors = w->warmup_tx = w->warmup_rx = 0;
		w->done = 0;
		pe_hist_init(w->lat);
		pe_hist_init(w->lat_corr);
		for (unsigned i = 0; i < w->n_flows; i++)
			pe_flow_acct_init(&w->flows[i].acct);
	}
}

void pe_load_set_run(struct pe_load *l, bool rate_max, uint64_t rate, uint64_t duration_ns,
		     uint64_t warmup_ns)
{
	l->cfg.rate_max = rate_max;
	l->cfg.rate = rate;
	l->cfg.duration_ns = duration_ns;
	l->cfg.warmup_ns = warmup_ns;
}

int pe_load_start(struct pe_load *l)
{
	const struct pe_load_cfg *cfg = &l->cfg;
	unsigned weights[PE_LOAD_MAX_THREADS];

	if (!cfg->rate_max && cfg->rate == 0)
		return -EINVAL;
	load_reset_run(l);
	l->t0 = pe_load_now_ns();
	l->warm_end = l->t0 + cfg->warmup_ns;
	l->end = cfg->duration_ns ? l->warm_end + cfg->duration_ns : UINT64_MAX;
	for (unsigned t = 0; t < cfg->threads; t++)
		weights[t] = worker_flows(cfg, t);
	for (unsigned t = 0; t < cfg->threads; t++) {
		struct load_worker *w = &l->workers[t];
		uint64_t rate = pe_load_split(cfg->rate, weights, cfg->threads, t);
		int rc;

		w->count_left = cfg->count ? pe_load_split(cfg->count, weights, cfg->threads, t)
					   : UINT64_MAX;
		pe_pace_init(&w->pace, cfg->rate_max, rate, PE_LOAD_BATCH, l->t0);
		rc = pthread_create(&w->tid, NULL, worker_main, w);
		if (rc != 0) {
			pe_load_stop(l);
			return -rc;
		}
		w->started = true;
	}
	return 0;
}

/* ---- results -------------------------------------------------------------------------------- */

static void result_add_worker(struct pe_load_result *r, const struct load_worker *w, uint32_t size,
			      uint64_t *t_start, uint64_t *t_end)
{
	for (unsigned i = 0; i < w->n_flows; i++) {
		const struct load_flow *f = &w->flows[i];

		r->rx_packets += f->acct.received;
		r->reordered += f->acct.reordered;
		r->duplicates += f->acct.duplicates;
	}
	r->tx_packets += w->sent_measured;
	r->corrupt += w->corrupt;
	r->foreign += w->foreign;
	r->errors += w->errors;
	r->warmup_tx += w->warmup_tx;
	r->warmup_rx += w->warmup_rx;
	r->missed += w->missed;
	r->tx_bytes += w->sent_measured * size;
	if (w->t_start < *t_start)
		*t_start = w->t_start;
	/* The phase ends at the later of the last send and the last echo: with --count at full
	 * speed the echoes are still arriving when the sending stops. */
	if (w->t_end > *t_end)
		*t_end = w->t_end;
	if (w->t_last_rx > *t_end)
		*t_end = w->t_last_rx;
}

int pe_load_result(struct pe_load *l, struct pe_load_result *r)
{
	uint64_t t_start = UINT64_MAX, t_end = 0, send_end = 0;

	load_join(l);
	memset(r, 0, sizeof(*r));
	pe_hist_init(&r->latency);
	pe_hist_init(&r->latency_corrected);
	r->rate_requested = l->cfg.rate_max ? 0 : l->cfg.rate;
	for (unsigned t = 0; t < l->cfg.threads; t++) {
		const struct load_worker *w = &l->workers[t];

		result_add_worker(r, w, l->cfg.size, &t_start, &t_end);
		pe_hist_merge(&r->latency, w->lat);
		pe_hist_merge(&r->latency_corrected, w->lat_corr);
		if (w->t_end > send_end)
			send_end = w->t_end;
	}
	r->send_seconds = send_end > t_start ? (double)(send_end - t_start) / 1e9 : 0.0;
	r->rx_bytes = r->rx_packets * l->cfg.size;
	r->lost = r->tx_packets > r->rx_packets ? r->tx_packets - r->rx_packets : 0;
	r->seconds = t_end > t_start ? (double)(t_end - t_start) / 1e9 : 0.0;
	return 0;
}

void pe_load_snapshots(const struct pe_load *l, struct pe_stats_snapshot *first,
		       struct pe_stats_snapshot *last)
{
	uint64_t t_start = UINT64_MAX, t_end = 0;

	memset(first, 0, sizeof(*first));
	memset(last, 0, sizeof(*last));
	first->n_blocks = last->n_blocks = l->cfg.threads;
	for (unsigned t = 0; t < l->cfg.threads; t++) {
		const struct load_worker *w = &l->workers[t];
		struct pe_counters *c = &last->blocks[t].c;
		struct pe_load_result r;

		memset(&r, 0, sizeof(r));
		result_add_worker(&r, w, l->cfg.size, &t_start, &t_end);
		first->blocks[t] = *w->blk;
		memset(&first->blocks[t].c, 0, sizeof(first->blocks[t].c));
		last->blocks[t] = first->blocks[t];
		c->tx_packets = r.tx_packets;
		c->tx_bytes = r.tx_bytes;
		c->rx_packets = r.rx_packets;
		c->rx_bytes = r.rx_packets * l->cfg.size;
		last->total.tx_packets += c->tx_packets;
		last->total.tx_bytes += c->tx_bytes;
		last->total.rx_packets += c->rx_packets;
		last->total.rx_bytes += c->rx_bytes;
	}
	first->time_ns = t_start == UINT64_MAX ? 0 : t_start;
	last->time_ns = t_end > first->time_ns ? t_end : first->time_ns;
}

double pe_load_tx_pps(const struct pe_load_result *r)
{
	return r->send_seconds > 0 ? (double)r->tx_packets / r->send_seconds : 0.0;
}

bool pe_load_fell_short(const struct pe_load_result *r)
{
	/* --rate max asks for nothing in particular; a run too short to time says nothing. */
	if (r->rate_requested == 0 || r->send_seconds <= 0)
		return false;
	return r->missed > 0 ||
	       pe_load_tx_pps(r) < (double)r->rate_requested * (1.0 - PE_LOAD_SHORTFALL);
}

void pe_load_live(const struct pe_load *l, bool corrected, struct pe_load_live *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned t = 0; t < l->cfg.threads; t++) {
		const struct load_worker *w = &l->workers[t];
		const struct pe_load_live *lv = &w->live[corrected ? 1 : 0];

		out->tx += __atomic_load_n(&w->live_tx, __ATOMIC_RELAXED);
		out->count += __atomic_load_n(&lv->count, __ATOMIC_RELAXED);
		out->sum_ns += __atomic_load_n(&lv->sum_ns, __ATOMIC_RELAXED);
		for (unsigned i = 0; i <= PE_LOAD_LIVE_BOUNDS; i++)
			out->buckets[i] += __atomic_load_n(&lv->buckets[i], __ATOMIC_RELAXED);
	}
}

double pe_load_live_quantile(const struct pe_load_live *a, const struct pe_load_live *b, double q)
{
	uint64_t n = 0, seen = 0;
	double rank;

	for (unsigned i = 0; i <= PE_LOAD_LIVE_BOUNDS; i++)
		n += b->buckets[i] - a->buckets[i];
	if (n == 0)
		return 0.0;
	rank = q * (double)n;
	for (unsigned i = 0; i <= PE_LOAD_LIVE_BOUNDS; i++) {
		uint64_t in = b->buckets[i] - a->buckets[i];
		double lo = i ? (double)pe_load_live_le_ns[i - 1] : 0.0;

		if (in == 0 || (double)(seen + in) < rank) {
			seen += in;
			continue;
		}
		if (i == PE_LOAD_LIVE_BOUNDS) /* +Inf: the highest finite bound, as Prometheus */
			return lo;
		return lo +
		       ((double)pe_load_live_le_ns[i] - lo) * (rank - (double)seen) / (double)in;
	}
	return (double)pe_load_live_le_ns[PE_LOAD_LIVE_BOUNDS - 1];
}
