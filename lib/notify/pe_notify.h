/* SPDX-License-Identifier: MIT */
/* lib/notify: the service manager's notification protocol (sd_notify: READY=1, STATUS=, WATCHDOG=1,
 * STOPPING=1) through libsystemd when the build has it and $NOTIFY_SOCKET is set; silent no-ops
 * otherwise. Called from a service's control thread only. */
#ifndef PE_NOTIFY_H
#define PE_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "pe_stats.h"

#define PE_NOTIFY_MAX_WORKERS 256

struct pe_notify {
	bool enabled;	    /* libsystemd and $NOTIFY_SOCKET */
	uint64_t wd_usec;   /* $WATCHDOG_USEC for this process, 0: no watchdog */
	uint64_t period_ns; /* how often pe_notify_tick wants to run */
	unsigned n_hb;
	uint64_t hb[PE_NOTIFY_MAX_WORKERS]; /* heartbeats at the previous tick */
	struct pe_stats_snapshot *prev;	    /* counters at the previous tick (for STATUS rates) */
	bool have_prev;
};

/* Reads the environment. Returns n->enabled; period_ns is 1 s, or a quarter of the watchdog
 * interval when that is shorter. */
bool pe_notify_init(struct pe_notify *n);
void pe_notify_fini(struct pe_notify *n);
/* READY=1 with a first STATUS= line: the sockets or ports are up. */
void pe_notify_ready(struct pe_notify *n, const char *status);
void pe_notify_stopping(struct pe_notify *n);
/* Every period_ns on the control thread: STATUS= with the rates since the previous tick, and
 * WATCHDOG=1 only when every worker's heartbeat advanced since the previous tick (hb: n_hb
 * counters that a live worker moves between two ticks; n_hb < 0: the service cannot tell, the
 * control thread's own progress is the proof). */
void pe_notify_tick(struct pe_notify *n, const struct pe_stats *stats, const uint64_t *hb,
		    int n_hb);

/* 1 when every cur[i] differs from prev[i] (n > 0), then prev = cur. Exposed for tests. */
bool pe_notify_heartbeats_advanced(uint64_t *prev, const uint64_t *cur, unsigned n);

#endif
