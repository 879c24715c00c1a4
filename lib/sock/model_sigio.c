/* SPDX-License-Identifier: MIT */
/* The sigio model: every socket of a worker thread is O_ASYNC with F_SETSIG and F_SETOWN_EX to
 * its thread; readiness arrives as queued real-time signals taken with sigtimedwait and, in
 * batches, a signalfd. A SIGIO means the signal queue overflowed: every socket is serviced. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sock_priv.h"

#define SIG_BATCH 64
/* Reads of the signalfd per batch: the whole queue (up to 64 x SIG_BATCH signals) is taken. */
#define SIG_DRAIN_READS 64

enum obj_type { OBJ_NONE, OBJ_UDP, OBJ_LIS, OBJ_CONN };

struct fd_obj {
	uint8_t type;
	bool in_ready;
	uint16_t idx;  /* UDP socket or listener index */
	uint32_t seen; /* last signal batch that collected it (a batch holds each fd once) */
	struct conn *c;
};

struct sig_state {
	int sig, sfd;
	pid_t tid;
	sigset_t set;
	struct fd_obj *tab;
	size_t tab_len;
	int *ready; /* fds whose budget ran out with input left: no new signal will say so */
	size_t n_ready;
	int *batch; /* the distinct fds of the batch being collected */
	uint32_t gen;
};

static int async_on(const struct sig_state *s, int fd)
{
	struct f_owner_ex own = {.type = F_OWNER_TID, .pid = s->tid};
	if (fcntl(fd, F_SETSIG, s->sig) < 0 || fcntl(fd, F_SETOWN_EX, &own) < 0)
		return -errno;
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_ASYNC | O_NONBLOCK) < 0 ? -errno : 0;
}

static void tab_set(struct sig_state *s, int fd, enum obj_type type, unsigned idx, struct conn *c)
{
	if (fd < 0 || (size_t)fd >= s->tab_len)
		return;
	s->tab[fd] = (struct fd_obj){.type = (uint8_t)type, .idx = (uint16_t)idx, .c = c};
}

static void sig_input_left(struct sock_thread *t, int fd)
{
	struct sig_state *s = t->impl;
	if (fd < 0 || (size_t)fd >= s->tab_len || s->tab[fd].in_ready)
		return;
	s->tab[fd].in_ready = true;
	s->ready[s->n_ready++] = fd;
}

static int sig_conn_added(struct sock_thread *t, int fd, struct conn *c)
{
	struct sig_state *s = t->impl;
	int rc = async_on(s, fd);
	if (rc == 0)
		tab_set(s, fd, OBJ_CONN, 0, c);
	return rc;
}

static void sig_conn_removed(struct sock_thread *t, int fd)
{
	tab_set(t->impl, fd, OBJ_NONE, 0, NULL);
}

static void service_fd(struct sock_thread *t, int fd)
{
	struct sig_state *s = t->impl;
	if (fd < 0 || (size_t)fd >= s->tab_len)
		return;
	struct fd_obj *o = &s->tab[fd];
	if (o->type == OBJ_UDP)
		sock_thread_service_udp(t, o->idx);
	else if (o->type == OBJ_LIS)
		sock_thread_service_listener(t, o->idx);
	else if (o->type == OBJ_CONN)
		sock_thread_service_conn(t, o->c);
}

/* Put fd in this batch, once. */
static void batch_add(struct sig_state *s, int fd, size_t *n)
{
	if (fd < 0 || (size_t)fd >= s->tab_len || s->tab[fd].seen == s->gen)
		return;
	s->tab[fd].seen = s->gen;
	s->batch[(*n)++] = fd;
}

/* One batch: every signal queued is collected first, the whole queue and not just one read of
 * it, so that a busy stream's signals (one per segment) cannot queue a quiet socket's signal
 * behind thousands of their own; then each socket named is serviced once. A signal raised while
 * the batch is serviced lands in the next batch, so de-duplicating within the batch loses
 * nothing. */
static void sig_wait(struct sock_thread *t)
{
	struct sig_state *s = t->impl;
	struct signalfd_siginfo ssi[SIG_BATCH];
	bool overflow = false;
	size_t n = 0;
	ssize_t got;

	s->gen++;
	if (s->n_ready == 0) {
		siginfo_t si;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
		int sig = sigtimedwait(&s->set, &si, &ts);
		if (sig < 0)
			return; /* timeout or EINTR: the caller checks the stop flag */
		overflow = sig == SIGIO;
		batch_add(s, si.si_fd, &n);
	}
	for (unsigned r = 0; r < SIG_DRAIN_READS && (got = read(s->sfd, ssi, sizeof(ssi))) > 0; r++)
		for (size_t i = 0; i < (size_t)got / sizeof(ssi[0]); i++) {
			overflow |= ssi[i].ssi_signo == SIGIO;
			batch_add(s, (int)ssi[i].ssi_fd, &n);
		}
	/* Sockets whose budget ran out last time still hold input: they join this batch. */
	for (size_t i = 0; i < s->n_ready; i++) {
		s->tab[s->ready[i]].in_ready = false;
		batch_add(s, s->ready[i], &n);
	}
	s->n_ready = 0;
	if (overflow) { /* the queue overflowed: signals were lost, look at everything */
		sock_thread_service_all(t);
		return;
	}
	for (size_t i = 0; i < n; i++)
		service_fd(t, s->batch[i]);
}

static void sig_run_once(struct sock_thread *t)
{
	sig_wait(t);
	/* A paused listener raises no new signal for connections already queued. */
	sock_thread_service_paused(t);
}

static int sig_setup(struct sock_thread *t)
{
	struct worker *w = t->w;
	struct sig_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	t->impl = s;
	s->sig = SIGRTMIN + 1;
	s->sfd = -1;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	s->tab_len = rl.rlim_cur > (1u << 20) ? (1u << 20) : (size_t)rl.rlim_cur;
	s->tab = calloc(s->tab_len, sizeof(*s->tab));
	s->ready = calloc(s->tab_len, sizeof(int));
	s->batch = calloc(s->tab_len, sizeof(int));
	s->tid = gettid();
	/* The readiness signals are blocked in this thread before any socket names it as owner,
	 * so they stay queued for sigtimedwait/signalfd instead of killing the process. */
	sigemptyset(&s->set);
	sigaddset(&s->set, s->sig);
	sigaddset(&s->set, SIGIO);
	pthread_sigmask(SIG_BLOCK, &s->set, NULL);
	s->sfd = signalfd(-1, &s->set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (!s->tab || !s->ready || !s->batch || s->sfd < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < w->n_udp; i++) {
		if (async_on(s, w->udp_fd[i]) < 0)
			return -errno;
		tab_set(s, w->udp_fd[i], OBJ_UDP, i, NULL);
	}
	for (unsigned i = 0; i < w->n_lis; i++) {
		if (async_on(s, w->lis_fd[i]) < 0)
			return -errno;
		tab_set(s, w->lis_fd[i], OBJ_LIS, i, NULL);
	}
	return 0;
}

static void sig_fini(struct sock_thread *t)
{
	struct sig_state *s = t->impl;
	if (!s)
		return;
	if (s->sfd >= 0)
		close(s->sfd);
	free(s->tab);
	free(s->ready);
	free(s->batch);
	free(s);
	t->impl = NULL;
}

static const struct sock_thread_ops sig_ops = {
	.conn_budget = CONN_READ_BUDGET,
	.setup = sig_setup,
	.run_once = sig_run_once,
	.fini = sig_fini,
	.conn_added = sig_conn_added,
	.conn_removed = sig_conn_removed,
	.input_left = sig_input_left,
};

static int sig_start(struct pe_sock_server *srv, const char **what)
{
	return sock_thread_start(srv, &sig_ops, what);
}

const struct model_ops sock_model_sigio = {.start = sig_start, .stop = sock_thread_stop};
