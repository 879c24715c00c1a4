/* SPDX-License-Identifier: MIT */
/* The frame of the models with one thread per --threads that owns its sockets (nonblocking,
 * sigio): each worker thread has its own SO_REUSEPORT UDP sockets and TCP listeners (the kernel
 * spreads flows and connections), and services them; how a thread learns what to service is
 * its model's (sock_thread_ops). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_priv.h"

#define PAUSE_NS 100000000ull /* listener pause: out of fds without a spare, or errors */

struct thread_impl {
	struct sock_thread *ts;
};

static void input_left(struct sock_thread *t, int fd)
{
	if (t->ops->input_left)
		t->ops->input_left(t, fd);
}

static void conn_finish(struct sock_thread *t, struct conn *c)
{
	if (t->ops->conn_removed)
		t->ops->conn_removed(t, c->fd);
	sock_conn_close(c);
	free(c);
}

void sock_thread_service_conn(struct sock_thread *t, struct conn *c)
{
	int ev = sock_conn_service(c, t->ops->conn_budget);
	if (ev == CONN_DONE)
		conn_finish(t, c);
	else if ((ev & PE_EV_READ) && !c->rd_blocked)
		input_left(t, c->fd); /* budget spent with input left */
}

void sock_thread_service_udp(struct sock_thread *t, unsigned i)
{
	struct worker *w = t->w;
	for (unsigned r = 0; r < UDP_BUDGET; r++)
		if (pe_sock_udp_echo(w->batch, w->udp_fd[i], w->udp_port[i], MSG_DONTWAIT,
				     w->srv->cfg.pkt, w->st) < UDP_VLEN)
			return;
	input_left(t, w->udp_fd[i]);
}

void sock_thread_service_listener(struct sock_thread *t, unsigned i)
{
	struct worker *w = t->w;
	struct pe_sock_server *srv = w->srv;
	if (t->lis_resume_ns[i] && pe_stats_now_ns() < t->lis_resume_ns[i])
		return;
	t->lis_resume_ns[i] = 0;
	for (unsigned k = 0; k < ACCEPT_BUDGET; k++) {
		int fd = sock_accept(srv, w->lis_fd[i], &t->spare, SOCK_NONBLOCK);
		if (fd == -ECONNREFUSED)
			continue;
		if (fd == -EAGAIN)
			return;
		if (fd < 0) { /* no spare fd, or an error that may persist: pause, no spin */
			t->lis_resume_ns[i] = pe_stats_now_ns() + PAUSE_NS;
			return;
		}
		if (!sock_conn_admit(srv)) {
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c || (t->ops->conn_added && t->ops->conn_added(t, fd, c) < 0) ||
		    sock_conn_open(c, w, fd, w->lis_sf[i]) < 0) {
			if (c && t->ops->conn_removed)
				t->ops->conn_removed(t, fd);
			free(c);
			close(fd);
			atomic_fetch_sub(&srv->conns_active, 1);
			continue;
		}
		sock_thread_service_conn(t, c); /* input may have come before the model saw it */
	}
	input_left(t, w->lis_fd[i]);
}

void sock_thread_service_paused(struct sock_thread *t)
{
	for (unsigned i = 0; i < t->w->n_lis; i++)
		if (t->lis_resume_ns[i] && pe_stats_now_ns() >= t->lis_resume_ns[i])
			sock_thread_service_listener(t, i);
}

void sock_thread_service_all(struct sock_thread *t)
{
	struct worker *w = t->w;
	for (unsigned i = 0; i < w->n_udp; i++)
		sock_thread_service_udp(t, i);
	for (unsigned i = 0; i < w->n_lis; i++)
		sock_thread_service_listener(t, i);
	for (struct conn *c = w->conns, *next; c; c = next) {
		next = c->next;
		sock_thread_service_conn(t, c);
	}
}

static void *thread_main(void *arg)
{
	struct sock_thread *t = arg;
	struct pe_sock_server *srv = t->w->srv;
	t->setup_rc = t->ops->setup ? t->ops->setup(t) : 0;
	sem_post(&t->started);
	if (t->setup_rc == 0)
		sock_thread_service_all(t); /* anything that arrived before the setup */
	while (t->setup_rc == 0 && !atomic_load(&srv->stop)) {
		t->ops->run_once(t); /* waits at most 100 ms (sigio), or not at all (nonblocking) */
		sock_beat(&t->w->heartbeat);
	}
	sock_worker_fini(t->w);
	if (t->ops->fini)
		t->ops->fini(t);
	if (t->spare >= 0)
		close(t->spare);
	return NULL;
}

void sock_thread_stop(struct pe_sock_server *srv)
{
	struct thread_impl *p = srv->impl;
	if (!p)
		return;
	for (unsigned i = 0; i < srv->cfg.threads; i++)
		sock_worker_reap(&srv->workers[i], p->ts[i].spare);
	free(p->ts);
	free(p);
	srv->impl = NULL;
}

int sock_thread_start(struct pe_sock_server *srv, const struct sock_thread_ops *ops,
		      const char **what)
{
	struct thread_impl *p = calloc(1, sizeof(*p));
	if (!p || !(p->ts = calloc(srv->cfg.threads, sizeof(*p->ts)))) {
		free(p);
		return -ENOMEM;
	}
	srv->impl = p;
	for (unsigned i = 0; i < srv->cfg.threads; i++)
		p->ts[i].spare = -1;
	int rc = sock_workers_init_owning(srv);
	for (unsigned i = 0; i < srv->cfg.threads && rc == 0; i++)
		for (unsigned k = 0; k < srv->workers[i].n_udp; k++)
			pe_sock_udp_gro_on(srv->workers[i].udp_fd[k]);
	for (unsigned i = 0; i < srv->cfg.threads && rc == 0; i++) {
		struct worker *w = &srv->workers[i];
		struct sock_thread *t = &p->ts[i];
		*t = (struct sock_thread){.w = w, .ops = ops};
		/* Opened here, before the thread runs: the fd set is complete when start returns.
		 */
		t->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sem_init(&t->started, 0, 0);
		rc = -pthread_create(&w->tid, NULL, thread_main, t);
		w->started = rc == 0;
		/* Start handshake: the thread's fds exist and its setup result is known. */
		while (rc == 0 && sem_wait(&t->started) < 0 && errno == EINTR)
			;
		if (rc == 0)
			rc = t->setup_rc;
		sem_destroy(&t->started);
	}
	if (rc) {
		*what = "starting the worker threads";
		atomic_store(&srv->stop, true);
		sock_thread_stop(srv);
	}
	return rc;
}
