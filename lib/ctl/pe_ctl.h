/* SPDX-License-Identifier: MIT */
/* Runtime control over a POSIX message queue: a running service owns /pktecho-NAME.ctl (mode
 * 0600, created O_EXCL) and answers one text command per message on a reply queue that the
 * client created for that request. The service side never blocks: it reads with O_NONBLOCK on
 * its control thread (never a data-path thread) and drops a reply that does not fit at once. */
#ifndef PE_CTL_H
#define PE_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "pe_ratelimit.h"
#include "pe_report.h"

/* Within this kernel's defaults (fs.mqueue.msg_max 10, msgsize_max 8192), so that an unprivileged
 * service can create its queues. */
#define PE_CTL_DEPTH	 8    /* requests queued on the service's queue */
#define PE_CTL_MSG_MAX	 256  /* one request: "v1 REPLY-QUEUE COMMAND [ARGS]" */
#define PE_CTL_REPLY_MAX 8192 /* one reply: "ok" or "error", a newline, then text */
#define PE_CTL_QNAME_MAX 128

enum pe_ctl_cmd {
	PE_CTL_STATUS,
	PE_CTL_RESET_COUNTERS,
	PE_CTL_STOP,
	PE_CTL_SET_REPLY_LIMIT,	 /* set reply-limit PPS[/BURST]|off: the global limit */
	PE_CTL_SET_SOURCE_LIMIT, /* set source-limit PPS[/BURST]|off: per source prefix */
};

struct pe_ctl_req {
	enum pe_ctl_cmd cmd;
	struct pe_rl_rate rate; /* set ...-limit: as pe_rl_rate_parse read it (pps 0: off) */
	char reply[PE_CTL_QNAME_MAX];
};

/* The command words after NAME (argv of pktecho-ctl): 0, or -EINVAL with *why set to one line. */
int pe_ctl_cmd_parse(int argc, char *const argv[], struct pe_ctl_req *r, const char **why);
/* The request text for r (the reply queue in r->reply). Length, or -ENAMETOOLONG. */
int pe_ctl_req_format(const struct pe_ctl_req *r, char *buf, size_t len);
/* A received request for the service NAME: 0, or -EINVAL with *why set. Accepts only what
 * pe_ctl_req_format writes: printable ASCII, single spaces, version v1, a reply queue named
 * /pktecho-NAME.ctl-reply-PID-SEQ, a known command with valid arguments. */
int pe_ctl_req_parse(const char *msg, size_t len, const char *name, struct pe_ctl_req *r,
		     const char **why);
/* "/pktecho-NAME.ctl": 0 or -EINVAL (NAME follows the --stats-name rule). */
int pe_ctl_queue_name(const char *name, char *buf, size_t len);

/* ---- the service side ---- */

struct pe_ctl_ops {
	/* Write the status text (key: value lines). Length written, or negative. */
	int (*status)(void *arg, char *buf, size_t len);
	void (*reset_counters)(void *arg);
	void (*stop)(void *arg);
};

struct pe_ctl_counts {
	uint64_t handled;      /* commands answered "ok" */
	uint64_t refused;      /* well-formed commands answered "error" */
	uint64_t malformed;    /* messages rejected by pe_ctl_req_parse */
	uint64_t reply_failed; /* reply queue missing, foreign, too small or full */
};

struct pe_ctl;
/* Create /pktecho-NAME.ctl (O_EXCL, 0600). Call after the stats segment NAME is ours: only its
 * owner may hold the queue, so a queue already there is a dead owner's (same user) and is
 * replaced. NULL with errno (EACCES: another user's queue at the name). */
struct pe_ctl *pe_ctl_open(const char *name, const struct pe_ctl_ops *ops, void *arg);
/* The limits "set reply-limit" and "set source-limit" publish to the workers (pe_rl_live_set on
 * this, the control thread). Not called, or NULL: those commands answer that this service has
 * no reply limits (the l2/l4 reflectors). */
void pe_ctl_set_limits(struct pe_ctl *c, struct pe_rl_live *limits);
/* The queue's descriptor (readable when a request waits): for an event loop. */
int pe_ctl_fd(const struct pe_ctl *c);
/* Answer every waiting request (at most PE_CTL_DEPTH per call). Never blocks. */
unsigned pe_ctl_poll(struct pe_ctl *c);
void pe_ctl_get_counts(const struct pe_ctl *c, struct pe_ctl_counts *out);
/* Unlink the queue (only our own) and free. NULL is fine. */
void pe_ctl_close(struct pe_ctl *c);

/* The status text for a service: service, name, mode and pid lines, the reply limits in force
 * (limits NULL: none, e.g. the l2/l4 reflectors), then the text summary from base to now
 * (truncated to len with a note). Length, or -1. */
int pe_ctl_status_render(char *buf, size_t len, const struct pe_report_meta *meta,
			 const struct pe_rl_live *limits, const struct pe_stats_snapshot *base,
			 const struct pe_stats_snapshot *now, const struct pe_report_kv *extra);

/* ---- the client side ---- */

/* Send r (its reply field is filled in) to service NAME and wait up to timeout_ms for the reply,
 * copied NUL-terminated into buf. 0 when the reply is "ok", 1 when it is "error", or -errno:
 * ENOENT no such service, EACCES another user's queue, EAGAIN queue full (busy), ETIMEDOUT no
 * answer, EINTR interrupted. The per-request reply queue is removed before returning. */
int pe_ctl_call(const char *name, struct pe_ctl_req *r, int timeout_ms, char *buf, size_t len);
/* One line for pe_ctl_call's negative codes. */
const char *pe_ctl_strerror(int err);

#endif
