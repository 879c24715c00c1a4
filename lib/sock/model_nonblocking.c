/* SPDX-License-Identifier: MIT */
/* The nonblocking model: each worker thread busy-polls every socket it owns with non-blocking
 * calls, yielding the CPU after a pass that found nothing. */
#include <sched.h>

#include "sock_priv.h"

static uint64_t progress(const struct worker *w)
{
	const struct pe_counters *c = &w->st->c;
	return c->rx_packets + c->rx_bytes + c->tx_bytes + c->conns_opened + c->conns_closed;
}

static void nb_run_once(struct sock_thread *t)
{
	uint64_t before = progress(t->w);
	sock_thread_service_all(t);
	if (progress(t->w) == before)
		sched_yield(); /* busy polling, but polite to the other threads on this core */
}

static const struct sock_thread_ops nb_ops = {.conn_budget = 1, .run_once = nb_run_once};

static int nb_start(struct pe_sock_server *srv, const char **what)
{
	return sock_thread_start(srv, &nb_ops, what);
}

const struct model_ops sock_model_nonblocking = {.start = nb_start, .stop = sock_thread_stop};
