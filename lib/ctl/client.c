/* SPDX-License-Identifier: MIT */
/* The client side: a reply queue of our own per request (O_EXCL, 0600), the request, the wait. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pe_ctl.h"
#include "pe_stats.h"

const char *pe_ctl_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
		return "no such service (is it running with this --stats-name?)";
	case EACCES:
		return "the control queue belongs to another user";
	case EAGAIN:
		return "the service's control queue is full (busy); try again";
	case ETIMEDOUT:
		return "no answer from the service in time";
	case EINTR:
		return "interrupted";
	case EINVAL:
		return "invalid service name (" PE_STATS_NAME_RULE ")";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* Reply queues of clients that were killed before they could remove theirs: this user's, for
 * this service, whose pid is gone. Best effort (needs /dev/mqueue mounted). */
static void sweep_dead(const char *qname)
{
	DIR *d = opendir("/dev/mqueue");
	struct dirent *e;
	char prefix[PE_CTL_QNAME_MAX], path[300];
	size_t plen;

	if (!d)
		return;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s-reply-", qname + 1);
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		long pid;

		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		pid = strtol(e->d_name + plen, NULL, 10);
		snprintf(path, sizeof(path), "/dev/mqueue/%s", e->d_name);
		if (pid <= 0 || lstat(path, &st) < 0 || st.st_uid != geteuid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			snprintf(path, sizeof(path), "/%s", e->d_name);
			mq_unlink(path);
		}
	}
	closedir(d);
}

static struct timespec deadline(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int pe_ctl_call(const char *name, struct pe_ctl_req *r, int timeout_ms, char *buf, size_t len)
{
	static unsigned seq;
	struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = PE_CTL_REPLY_MAX};
	char qname[PE_CTL_QNAME_MAX], msg[PE_CTL_MSG_MAX], *text;
	mqd_t q, rq;
	struct stat st;
	struct timespec until;
	ssize_t n;
	int rc, mlen;

	if (len == 0 || pe_ctl_queue_name(name, qname, sizeof(qname)) < 0)
		return -EINVAL;
	buf[0] = '\0';
	q = mq_open(qname, O_WRONLY | O_CLOEXEC);
	if (q == (mqd_t)-1)
		return -errno;
	/* Our own service's queue; root may talk to any (a unit's dynamic user, say). */
	if (fstat(q, &st) < 0 || (st.st_uid != geteuid() && geteuid() != 0)) {
		mq_close(q);
		return -EACCES;
	}
	sweep_dead(qname);
	mlen = snprintf(r->reply, sizeof(r->reply), "%s-reply-%ld-%u", qname, (long)getpid(),
			seq++);
	if (mlen < 0 || (size_t)mlen >= sizeof(r->reply)) {
		mq_close(q);
		return -ENAMETOOLONG;
	}
	mlen = pe_ctl_req_format(r, msg, sizeof(msg));
	rq = mq_open(r->reply, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (mlen < 0 || rq == (mqd_t)-1) {
		rc = mlen < 0 ? mlen : -errno;
		mq_close(q);
		return rc;
	}
	/* The service answers only on a queue of its own user: root hands its queue over. */
	if (st.st_uid != geteuid() && fchown(rq, st.st_uid, (gid_t)-1) < 0) {
		rc = -errno;
		mq_close(rq);
		mq_unlink(r->reply);
		mq_close(q);
		return rc;
	}
	text = malloc(PE_CTL_REPLY_MAX + 1);
	/* A full request queue means a busy or stuck service: wait a little, then say so. */
	until = deadline(timeout_ms < 1000 ? timeout_ms : 1000);
	rc = text ? 0 : -ENOMEM;
	if (rc == 0 && mq_timedsend(q, msg, (size_t)mlen, 0, &until) < 0)
		rc = errno == ETIMEDOUT ? -EAGAIN : -errno;
	until = deadline(timeout_ms);
	n = rc == 0 ? mq_timedreceive(rq, text, PE_CTL_REPLY_MAX + 1, NULL, &until) : -1;
	if (rc == 0 && n < 0)
		rc = -errno;
	mq_close(rq);
	mq_unlink(r->reply);
	mq_close(q);
	if (rc == 0) {
		text[n] = '\0';
		if (strncmp(text, "ok\n", 3) == 0)
			rc = 0;
		else if (strncmp(text, "error\n", 6) == 0)
			rc = 1;
		else
			rc = -EPROTO;
		snprintf(buf, len, "%s", text + (rc == 0 ? 3 : rc == 1 ? 6 : 0));
	}
	free(text);
	return rc;
}
