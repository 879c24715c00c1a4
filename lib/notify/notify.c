/* SPDX-License-Identifier: MIT */
/* sd_notify for readiness, status and the watchdog; the watchdog is fed only while every worker
 * proves it is alive, so a wedged lcore or loop thread gets the service restarted. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_config.h"
#include "pe_notify.h"

#if PE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

static void notify_send(struct pe_notify *n, const char *msg)
{
#if PE_HAVE_SYSTEMD
	if (n->enabled)
		sd_notify(0, msg);
#else
	(void)n;
	(void)msg;
#endif
}

bool pe_notify_init(struct pe_notify *n)
{
	memset(n, 0, sizeof(*n));
	n->period_ns = 1000000000ull;
#if PE_HAVE_SYSTEMD
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;

	n->enabled = sock && *sock;
	if (n->enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->wd_usec = usec;
		if (usec * 1000 / 4 < n->period_ns)
			n->period_ns = usec * 1000 / 4;
	}
	if (n->enabled)
		n->prev = malloc(sizeof(*n->prev));
	if (n->enabled && !n->prev)
		n->enabled = false;
#endif
	return n->enabled;
}

void pe_notify_fini(struct pe_notify *n)
{
	free(n->prev);
	n->prev = NULL;
	n->enabled = false;
}

void pe_notify_ready(struct pe_notify *n, const char *status)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify_send(n, msg);
}

void pe_notify_stopping(struct pe_notify *n)
{
	notify_send(n, "STOPPING=1\nSTATUS=stopping");
}

bool pe_notify_heartbeats_advanced(uint64_t *prev, const uint64_t *cur, unsigned n)
{
	bool all = n > 0;

	for (unsigned i = 0; i < n; i++) {
		if (cur[i] == prev[i])
			all = false;
		prev[i] = cur[i];
	}
	return all;
}

static void status_rates(struct pe_notify *n, const struct pe_stats *stats)
{
	struct pe_stats_snapshot *cur = malloc(sizeof(*cur));
	struct pe_rates r;
	char msg[160];

	if (!cur || pe_stats_snapshot(stats, cur) < 0) {
		free(cur);
		return;
	}
	if (n->have_prev) {
		pe_rates_compute(&n->prev->total, &cur->total, n->prev->time_ns, cur->time_ns, &r);
		snprintf(msg, sizeof(msg), "STATUS=rx %.0f pps, tx %.0f pps, drops %.0f/s",
			 r.rx_pps, r.tx_pps, r.drop_pps);
		notify_send(n, msg);
	}
	memcpy(n->prev, cur, sizeof(*cur));
	n->have_prev = true;
	free(cur);
}

void pe_notify_tick(struct pe_notify *n, const struct pe_stats *stats, const uint64_t *hb, int n_hb)
{
	if (!n->enabled)
		return;
	if (stats)
		status_rates(n, stats);
	if (n->wd_usec == 0)
		return;
	if (n_hb < 0) {
		notify_send(n, "WATCHDOG=1");
		return;
	}
	if ((unsigned)n_hb > PE_NOTIFY_MAX_WORKERS)
		n_hb = PE_NOTIFY_MAX_WORKERS;
	if ((unsigned)n_hb != n->n_hb) { /* the first tick: nothing to compare with yet */
		memcpy(n->hb, hb, (size_t)n_hb * sizeof(*hb));
		n->n_hb = (unsigned)n_hb;
		return;
	}
	if (pe_notify_heartbeats_advanced(n->hb, hb, n->n_hb))
		notify_send(n, "WATCHDOG=1");
}
