/* SPDX-License-Identifier: MIT */
/* The service side: the request queue, read without blocking on the control thread; replies sent
 * without blocking to the queue each client created for its request. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pe_ctl.h"
#include "pe_stats.h"

struct pe_ctl {
	mqd_t q;
	char name[PE_STATS_NAME_MAX + 1];
	char qname[PE_CTL_QNAME_MAX];
	dev_t dev;
	ino_t ino;
	const struct pe_ctl_ops *ops;
	void *arg;
	struct pe_rl_live *limits; /* NULL: no reply limits to set */
	struct pe_ctl_counts counts;
	time_t last_log;
	char buf[PE_CTL_REPLY_MAX]; /* the reply being written */
};

/* A queue is ours to use or remove only if this user owns it (root: any). */
static int owned(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return -errno;
	return st->st_uid == geteuid() ? 0 : -EACCES;
}

/* A queue left at the name by a process that died with it (same user): removed. Only the stats
 * segment's owner gets here, and a live holder of the queue would own that segment too. */
static int remove_stale(const char *qname)
{
	struct stat st;
	mqd_t q = mq_open(qname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int rc;

	if (q == (mqd_t)-1)
		return errno == ENOENT ? 0 : -errno;
	rc = owned(q, &st);
	mq_close(q);
	if (rc < 0)
		return rc;
	if (mq_unlink(qname) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct pe_ctl *pe_ctl_open(const char *name, const struct pe_ctl_ops *ops, void *arg)
{
	struct mq_attr attr = {.mq_maxmsg = PE_CTL_DEPTH, .mq_msgsize = PE_CTL_MSG_MAX};
	struct pe_ctl *c = calloc(1, sizeof(*c));
	struct stat st;
	int rc = -EEXIST;

	if (!c)
		return NULL;
	if (pe_ctl_queue_name(name, c->qname, sizeof(c->qname)) < 0) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ops = ops;
	c->arg = arg;
	for (int attempt = 0; attempt < 2; attempt++) {
		c->q = mq_open(c->qname, O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600,
			       &attr);
		if (c->q != (mqd_t)-1)
			break;
		rc = -errno;
		if (errno != EEXIST || (rc = remove_stale(c->qname)) < 0)
			break;
		rc = -EEXIST;
	}
	if (c->q == (mqd_t)-1) {
		free(c);
		errno = -rc;
		return NULL;
	}
	/* The umask may have narrowed the mode, never widened it; say 0600 exactly. */
	if (fchmod(c->q, 0600) < 0 || fstat(c->q, &st) < 0) {
		rc = errno;
		mq_close(c->q);
		mq_unlink(c->qname);
		free(c);
		errno = rc;
		return NULL;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return c;
}

void pe_ctl_set_limits(struct pe_ctl *c, struct pe_rl_live *limits)
{
	c->limits = limits;
}

int pe_ctl_fd(const struct pe_ctl *c)
{
	return (int)c->q;
}

/* One line on stderr per second at most: a flood of bad messages must not flood the log. */
static void log_reject(struct pe_ctl *c, const char *why)
{
	time_t now = time(NULL);

	if (now == c->last_log)
		return;
	c->last_log = now;
	fprintf(stderr, "%s: control: message rejected: %s (%llu rejected so far)\n",
		program_invocation_short_name, why,
		(unsigned long long)(c->counts.malformed + c->counts.reply_failed));
}

static void reply(struct pe_ctl *c, const char *qname, const char *text, size_t len)
{
	struct mq_attr attr;
	struct stat st;
	mqd_t q = mq_open(qname, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	const char *why = NULL;

	if (q == (mqd_t)-1)
		why = "reply queue cannot be opened";
	else if (owned(q, &st) < 0)
		why = "reply queue belongs to another user";
	else if (mq_getattr(q, &attr) < 0 || attr.mq_msgsize < (long)len)
		why = "reply queue's messages are too small";
	else if (mq_send(q, text, len, 0) < 0)
		why = "reply queue is full"; /* O_NONBLOCK: never wait for a client */
	if (q != (mqd_t)-1)
		mq_close(q);
	if (why) {
		c->counts.reply_failed++;
		log_reject(c, why);
	}
}

/* "ok\n" or "error\n" followed by text. */
static void answer(struct pe_ctl *c, const struct pe_ctl_req *r, char *buf)
{
	const char *why = NULL;
	size_t off = 3;
	int n = 0;

	memcpy(buf, "ok\n", 3);
	switch (r->cmd) {
	case PE_CTL_STATUS:
		n = c->ops->status ? c->ops->status(c->arg, buf + off, PE_CTL_REPLY_MAX - off) : -1;
		if (n < 0)
			why = "status not available";
		break;
	case PE_CTL_RESET_COUNTERS:
		if (c->ops->reset_counters)
			c->ops->reset_counters(c->arg);
		else
			why = "reset-counters not supported";
		break;
	case PE_CTL_STOP:
		if (c->ops->stop)
			c->ops->stop(c->arg);
		else
			why = "stop not supported";
		break;
	case PE_CTL_SET_REPLY_LIMIT:
	case PE_CTL_SET_SOURCE_LIMIT:
		if (!c->limits)
			why = "set: this service has no reply limits (the l2/l4 reflectors are exempt)";
		else if (r->cmd == PE_CTL_SET_REPLY_LIMIT)
			pe_rl_live_set(c->limits, &r->rate, NULL);
		else
			pe_rl_live_set(c->limits, NULL, &r->rate);
		break;
	}
	if (why) {
		c->counts.refused++;
		n = snprintf(buf, PE_CTL_REPLY_MAX, "error\n%s\n", why);
		off = 0;
	} else {
		c->counts.handled++;
	}
	if (n < 0)
		n = 0;
	if (off + (size_t)n >= PE_CTL_REPLY_MAX)
		n = (int)(PE_CTL_REPLY_MAX - 1 - off);
	reply(c, r->reply, buf, off + (size_t)n);
}

unsigned pe_ctl_poll(struct pe_ctl *c)
{
	char msg[PE_CTL_MSG_MAX + 1];
	unsigned done = 0;

	if (!c)
		return 0;
	for (int i = 0; i < PE_CTL_DEPTH; i++) {
		ssize_t n = mq_receive(c->q, msg, sizeof(msg), NULL);
		struct pe_ctl_req r;
		const char *why;

		if (n < 0)
			break; /* EAGAIN: nothing waits */
		done++;
		if (pe_ctl_req_parse(msg, (size_t)n, c->name, &r, &why) == 0) {
			answer(c, &r, c->buf);
			continue;
		}
		c->counts.malformed++;
		log_reject(c, why);
		if (r.reply[0]) { /* a valid reply queue but a bad command: say why */
			int len = snprintf(c->buf, sizeof(c->buf), "error\n%s\n", why);
			reply(c, r.reply, c->buf, (size_t)len);
		}
	}
	return done;
}

void pe_ctl_get_counts(const struct pe_ctl *c, struct pe_ctl_counts *out)
{
	*out = c->counts;
}

void pe_ctl_close(struct pe_ctl *c)
{
	struct stat st;
	mqd_t q;

	if (!c)
		return;
	mq_close(c->q);
	/* Only our own queue: a successor may already have replaced it. */
	q = mq_open(c->qname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (q != (mqd_t)-1) {
		if (fstat(q, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
			mq_unlink(c->qname);
		mq_close(q);
	}
	free(c);
}
