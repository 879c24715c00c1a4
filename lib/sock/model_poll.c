/* SPDX-License-Identifier: MIT */
/* Two models that share a worker thread per --threads, each with its own SO_REUSEPORT UDP
 * sockets and TCP listeners (the kernel spreads flows and connections):
 *  - nonblocking: the thread busy-polls every socket with non-blocking calls (yielding the CPU
 *    after a pass that found nothing);
 *  - sigio: every socket is O_ASYNC with F_SETSIG and F_SETOWN_EX to its thread; readiness
 *    arrives as queued real-time signals taken with sigtimedwait and, in batches, a signalfd.
 *    A SIGIO means the signal queue overflowed: every socket is serviced. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sock_priv.h"

#define PAUSE_NS  100000000ull
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

struct pthread_state {
	struct worker *w;
	bool sigio;
	int spare;
	uint64_t lis_resume_ns[2 * PE_SOCK_MAX_ADDRS];
	/* sigio */
	int sig, sfd;
	pid_t tid;
	struct fd_obj *tab;
	size_t tab_len;
	int *ready;
	size_t n_ready;
	int *batch; /* the distinct fds of the batch being collected */
	uint32_t gen;
	sem_t started; /* posted once the thread's signal plumbing is in place */
	int setup_rc;
};

struct poll_impl {
	struct pthread_state *ts;
	bool sigio;
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t progress(const struct worker *w)
{
	const struct pe_counters *c = &w->st->c;
	return c->rx_packets + c->rx_bytes + c->tx_bytes + c->conns_opened + c->conns_closed;
}

/* ---- sigio plumbing ---- */

static int async_on(struct pthread_state *s, int fd)
{
	struct f_owner_ex own = {.type = F_OWNER_TID, .pid = s->tid};
	if (fcntl(fd, F_SETSIG, s->sig) < 0 || fcntl(fd, F_SETOWN_EX, &own) < 0)
		return -errno;
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_ASYNC | O_NONBLOCK) < 0 ? -errno : 0;
}

static void tab_set(struct pthread_state *s, int fd, enum obj_type t, unsigned idx, struct conn *c)
{
	if (!s->sigio || fd < 0 || (size_t)fd >= s->tab_len)
		return;
	s->tab[fd] = (struct fd_obj){.type = (uint8_t)t, .idx = (uint16_t)idx, .c = c};
}

static void mark_ready(struct pthread_state *s, int fd)
{
	if (!s->sigio || s->tab[fd].in_ready)
		return;
	s->tab[fd].in_ready = true;
	s->ready[s->n_ready++] = fd;
}

/* ---- servicing ---- */

static void conn_finish(struct pthread_state *s, struct conn *c)
{
	tab_set(s, c->fd, OBJ_NONE, 0, NULL);
	sock_conn_close(c);
	free(c);
}

static void service_conn(struct pthread_state *s, struct conn *c)
{
	int ev = sock_conn_service(c, s->sigio ? CONN_READ_BUDGET : 1);
	if (ev == CONN_DONE)
		conn_finish(s, c);
	else if (s->sigio && (ev & PE_EV_READ) && !c->rd_blocked)
		mark_ready(s, c->fd); /* budget spent with input left: no new signal will say so */
}

static void service_udp(struct pthread_state *s, unsigned i)
{
	struct worker *w = s->w;
	for (unsigned r = 0; r < UDP_BUDGET; r++)
		if (pe_sock_udp_echo(w->batch, w->udp_fd[i], w->udp_port[i], MSG_DONTWAIT,
				     w->srv->cfg.pkt, w->st, false) < UDP_VLEN)
			return;
	mark_ready(s, w->udp_fd[i]);
}

static void service_listener(struct pthread_state *s, unsigned i)
{
	struct worker *w = s->w;
	struct pe_sock_server *srv = w->srv;
	if (s->lis_resume_ns[i] && now_ns() < s->lis_resume_ns[i])
		return;
	s->lis_resume_ns[i] = 0;
	for (unsigned k = 0; k < ACCEPT_BUDGET; k++) {
		int fd = sock_accept(srv, w->lis_fd[i], &s->spare, SOCK_NONBLOCK);
		if (fd == -ECONNREFUSED)
			continue;
		if (fd == -EAGAIN)
			return;
		if (fd < 0) { /* no spare fd, or an error that may persist: pause, no spin */
			s->lis_resume_ns[i] = now_ns() + PAUSE_NS;
			return;
		}
		if (!sock_conn_admit(srv)) {
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c || (s->sigio && async_on(s, fd) < 0) ||
		    sock_conn_open(c, w, fd, w->lis_sf[i]) < 0) {
			free(c);
			close(fd);
			atomic_fetch_sub(&srv->conns_active, 1);
			continue;
		}
		tab_set(s, fd, OBJ_CONN, 0, c);
		service_conn(s, c); /* input that came before O_ASYNC was set raised no signal */
	}
	mark_ready(s, w->lis_fd[i]);
}

static void service_all(struct pthread_state *s)
{
	struct worker *w = s->w;
	for (unsigned i = 0; i < w->n_udp; i++)
		service_udp(s, i);
	for (unsigned i = 0; i < w->n_lis; i++)
		service_listener(s, i);
	for (struct conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		service_conn(s, c);
	}
}

static void service_fd(struct pthread_state *s, int fd)
{
	if (fd < 0 || (size_t)fd >= s->tab_len)
		return;
	struct fd_obj *o = &s->tab[fd];
	if (o->type == OBJ_UDP)
		service_udp(s, o->idx);
	else if (o->type == OBJ_LIS)
		service_listener(s, o->idx);
	else if (o->type == OBJ_CONN)
		service_conn(s, o->c);
}

/* Put fd in this batch, once. */
static void batch_add(struct pthread_state *s, int fd, size_t *n)
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
static void sigio_wait(struct pthread_state *s, const sigset_t *set)
{
	struct signalfd_siginfo ssi[SIG_BATCH];
	bool overflow = false;
	size_t n = 0;
	ssize_t got;

	s->gen++;
	if (s->n_ready == 0) {
		siginfo_t si;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
		int sig = sigtimedwait(set, &si, &ts);
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
		service_all(s);
		return;
	}
	for (size_t i = 0; i < n; i++)
		service_fd(s, s->batch[i]);
}

static int sigio_setup(struct pthread_state *s, sigset_t *set)
{
	struct worker *w = s->w;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	s->tab_len = rl.rlim_cur > (1u << 20) ? (1u << 20) : (size_t)rl.rlim_cur;
	s->tab = calloc(s->tab_len, sizeof(*s->tab));
	s->ready = calloc(s->tab_len, sizeof(int));
	s->batch = calloc(s->tab_len, sizeof(int));
	s->tid = gettid();
	sigemptyset(set);
	sigaddset(set, s->sig);
	sigaddset(set, SIGIO);
	s->sfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
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

static void *poll_thread(void *arg)
{
	struct pthread_state *s = arg;
	struct worker *w = s->w;
	struct pe_sock_server *srv = w->srv;
	sigset_t set;
	s->sfd = -1;
	s->setup_rc = s->sigio ? sigio_setup(s, &set) : 0;
	sem_post(&s->started);
	if (s->setup_rc == 0 && s->sigio)
		service_all(s); /* anything that arrived before O_ASYNC */
	while (s->setup_rc == 0 && !atomic_load(&srv->stop)) {
		if (s->sigio) {
			sigio_wait(s, &set);
			/* A paused listener raises no new signal for connections already queued. */
			for (unsigned i = 0; i < w->n_lis; i++)
				if (s->lis_resume_ns[i] && now_ns() >= s->lis_resume_ns[i])
					service_listener(s, i);
			continue;
		}
		uint64_t before = progress(w);
		service_all(s);
		if (progress(w) == before)
			sched_yield(); /* busy polling, but polite to the other threads on this core
					*/
	}
	sock_worker_fini(w);
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->spare >= 0)
		close(s->spare);
	free(s->tab);
	free(s->ready);
	free(s->batch);
	return NULL;
}

static void poll_stop(struct pe_sock_server *srv)
{
	struct poll_impl *p = srv->impl;
	if (!p)
		return;
	for (unsigned i = 0; i < srv->cfg.threads; i++)
		sock_worker_reap(&srv->workers[i], p->ts[i].spare);
	free(p->ts);
	free(p);
	srv->impl = NULL;
}

static int poll_start_common(struct pe_sock_server *srv, const char **what, bool sigio)
{
	struct poll_impl *p = calloc(1, sizeof(*p));
	if (!p || !(p->ts = calloc(srv->cfg.threads, sizeof(*p->ts)))) {
		free(p);
		return -ENOMEM;
	}
	p->sigio = sigio;
	srv->impl = p;
	for (unsigned i = 0; i < srv->cfg.threads; i++)
		p->ts[i].spare = -1;
	int rc = 0;
	for (unsigned i = 0; i < srv->cfg.threads && rc == 0; i++) {
		rc = sock_worker_init(&srv->workers[i]);
		if (rc == 0)
			rc = sock_worker_add_listeners(&srv->workers[i]);
	}
	/* The readiness signals are blocked in every worker from birth (inherited), so they
	 * stay queued for sigtimedwait/signalfd instead of killing the process. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGRTMIN + 1);
	sigaddset(&block, SIGIO);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < srv->cfg.threads && rc == 0; i++) {
		struct worker *w = &srv->workers[i];
		p->ts[i] = (struct pthread_state){.w = w, .sigio = sigio, .sig = SIGRTMIN + 1};
		/* Opened here, before the thread runs: the fd set is complete when start returns.
		 */
		p->ts[i].spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sem_init(&p->ts[i].started, 0, 0);
		rc = -pthread_create(&w->tid, NULL, poll_thread, &p->ts[i]);
		w->started = rc == 0;
		/* Start handshake: the thread's fds exist and its setup result is known. */
		while (rc == 0 && sem_wait(&p->ts[i].started) < 0 && errno == EINTR)
			;
		if (rc == 0)
			rc = p->ts[i].setup_rc;
		sem_destroy(&p->ts[i].started);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		*what = "starting the worker threads";
		atomic_store(&srv->stop, true);
		poll_stop(srv);
	}
	return rc;
}

static int nb_start(struct pe_sock_server *srv, const char **what)
{
	return poll_start_common(srv, what, false);
}

static int sig_start(struct pe_sock_server *srv, const char **what)
{
	return poll_start_common(srv, what, true);
}

const struct model_ops sock_model_nonblocking = {.start = nb_start, .stop = poll_stop};
const struct model_ops sock_model_sigio = {.start = sig_start, .stop = poll_stop};
