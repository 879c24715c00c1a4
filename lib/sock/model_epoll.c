/* SPDX-License-Identifier: MIT */
/* The reactor model: a main loop accepts and hands connections round-robin to N sub-loops; each
 * sub-loop also owns one SO_REUSEPORT UDP socket per --udp address. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_priv.h"

#define PAUSE_NS 100000000ull /* listener pause: out of fds without a spare, or errors */

struct listener {
	struct pe_channel ch;
	struct pe_sock_server *srv;
	int sf;			 /* -1 echo, else sendfile index */
	struct pe_timer *resume; /* created at start: arming it needs no fd when fds ran out */
	bool paused;
};

struct ep_impl {
	struct pe_loop_pool *workers, *acceptor;
	struct listener lis[2 * PE_SOCK_MAX_ADDRS];
	unsigned n_lis, next;
	int spare;
};

/* ---- sub-loops ---- */

static void udp_ready(struct pe_channel *ch)
{
	struct worker *w = ch->arg;
	const struct pe_sock_cfg *cfg = &w->srv->cfg;
	uint16_t port = w->udp_port[ch - w->udp_ch];
	for (unsigned r = 0; r < UDP_BUDGET; r++)
		if (pe_sock_udp_echo(w->batch, ch->fd, port, MSG_DONTWAIT, cfg->pkt, w->st) <
		    UDP_VLEN)
			break; /* drained (or EAGAIN): level-triggered epoll reports the rest */
}

static const struct pe_channel_ops udp_ops = {.on_read = udp_ready};

static void conn_event(struct pe_channel *ch)
{
	struct conn *c = ch->arg;
	int ev = sock_conn_service(c, 1);
	if (ev == CONN_DONE) {
		pe_channel_remove(ch);
		sock_conn_close(c);
		free(c);
		return;
	}
	if (pe_channel_set(ch, (uint32_t)ev) < 0) {
		pe_channel_remove(ch);
		sock_conn_close(c);
		free(c);
	}
}

static const struct pe_channel_ops conn_ops = {.on_read = conn_event,
					       .on_write = conn_event,
					       .on_error = conn_event,
					       .on_close = conn_event};

/* Runs in the sub-loop: the connection becomes this thread's. */
static void conn_adopt(void *arg)
{
	struct conn *c = arg;
	struct worker *w = c->w;
	int sf = c->file_fd;
	if (sock_conn_open(c, w, c->fd, sf) < 0) {
		close(c->fd);
		atomic_fetch_sub(&w->srv->conns_active, 1);
		free(c);
		return;
	}
	pe_channel_init(&c->ch, w->loop, c->fd, &conn_ops, c);
	conn_event(&c->ch); /* bytes may already be waiting */
}

static int worker_start(struct pe_loop *loop, unsigned index, void *arg)
{
	struct pe_sock_server *srv = arg;
	struct worker *w = &srv->workers[index];
	w->loop = loop;
	int rc = sock_worker_init(w);
	for (unsigned i = 0; rc == 0 && i < w->n_udp; i++) {
		pe_sock_udp_gro_on(w->udp_fd[i]);
		pe_channel_init(&w->udp_ch[i], loop, w->udp_fd[i], &udp_ops, w);
		rc = pe_channel_set(&w->udp_ch[i], PE_EV_READ);
	}
	if (rc < 0)
		sock_worker_fini(w);
	return rc;
}

static void worker_stop(struct pe_loop *loop, unsigned index, void *arg)
{
	struct pe_sock_server *srv = arg;
	sock_worker_fini(&srv->workers[index]);
}

/* ---- main loop: accept ---- */

static void listener_resume(void *arg)
{
	struct listener *l = arg;
	l->paused = false;
	pe_channel_set(&l->ch, PE_EV_READ);
}

static void hand_off(struct pe_sock_server *srv, struct ep_impl *ep, int fd, int sf)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct worker *w = &srv->workers[ep->next++ % srv->cfg.threads];
	if (c) {
		c->fd = fd;
		c->file_fd = sf; /* carried to conn_adopt */
		c->w = w;
	}
	if (!c || pe_loop_post(w->loop, conn_adopt, c) < 0) {
		free(c);
		close(fd);
		atomic_fetch_sub(&srv->conns_active, 1);
	}
}

static void accept_ready(struct pe_channel *ch)
{
	struct listener *l = ch->arg;
	struct pe_sock_server *srv = l->srv;
	struct ep_impl *ep = srv->impl;
	for (unsigned i = 0; i < ACCEPT_BUDGET; i++) {
		int fd = sock_accept(srv, ch->fd, &ep->spare, SOCK_NONBLOCK);
		if (fd == -ECONNREFUSED)
			continue;
		if (fd == -EAGAIN)
			return;
		if (fd < 0 && !l->paused) {
			/* Out of fds without a spare, or an error that may persist (ENOBUFS...):
			 * stop listening briefly; level-triggered epoll would spin otherwise. */
			l->paused = true;
			pe_channel_set(ch, 0);
			pe_timer_arm(l->resume, PAUSE_NS, 0);
		}
		if (fd < 0)
			return;
		if (!sock_conn_admit(srv)) {
			close(fd); /* --max-conns */
			continue;
		}
		hand_off(srv, ep, fd, l->sf);
	}
}

static const struct pe_channel_ops accept_ops = {.on_read = accept_ready};

static void acceptor_stop(struct pe_loop *loop, unsigned index, void *arg);

static int acceptor_start(struct pe_loop *loop, unsigned index, void *arg)
{
	struct pe_sock_server *srv = arg;
	struct ep_impl *ep = srv->impl;
	const struct pe_sock_cfg *cfg = &srv->cfg;
	ep->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (unsigned i = 0; i < cfg->n_tcp + cfg->n_sendfile; i++) {
		bool sf = i >= cfg->n_tcp;
		unsigned j = sf ? i - cfg->n_tcp : i;
		int fd =
			sock_server_socket(srv, sf ? PE_SOCK_SENDFILE : PE_SOCK_TCP, j, O_NONBLOCK);
		if (fd < 0) {
			acceptor_stop(loop, index, arg);
			return fd;
		}
		struct listener *l = &ep->lis[ep->n_lis++];
		l->srv = srv;
		l->sf = sf ? (int)j : -1;
		pe_channel_init(&l->ch, loop, fd, &accept_ops, l);
		l->resume = pe_timer_create(loop, PE_TIMER_OFF, 0, listener_resume, l);
		int rc = l->resume ? pe_channel_set(&l->ch, PE_EV_READ) : -errno;
		if (rc < 0) {
			acceptor_stop(loop, index, arg);
			return rc;
		}
	}
	return 0;
}

static void acceptor_stop(struct pe_loop *loop, unsigned index, void *arg)
{
	struct pe_sock_server *srv = arg;
	struct ep_impl *ep = srv->impl;
	for (unsigned i = 0; i < ep->n_lis; i++) {
		pe_timer_destroy(ep->lis[i].resume);
		pe_channel_remove(&ep->lis[i].ch);
		close(ep->lis[i].ch.fd);
	}
	ep->n_lis = 0;
	if (ep->spare >= 0)
		close(ep->spare);
	ep->spare = -1;
}

static void ep_stop(struct pe_sock_server *srv)
{
	struct ep_impl *ep = srv->impl;
	if (!ep)
		return;
	/* Acceptor first: connections it handed over still reach their sub-loop, whose fini
	 * closes them. */
	pe_loop_pool_destroy(ep->acceptor);
	pe_loop_pool_destroy(ep->workers);
	free(ep);
	srv->impl = NULL;
}

static int ep_start(struct pe_sock_server *srv, const char **what)
{
	struct ep_impl *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->spare = -1;
	srv->impl = ep;
	struct pe_loop_pool_ops wops = {.init = worker_start, .fini = worker_stop, .arg = srv};
	ep->workers = pe_loop_pool_create(srv->cfg.threads, &wops);
	if (!ep->workers) {
		*what = "starting the sub-loops";
		int rc = -errno;
		ep_stop(srv);
		return rc;
	}
	if (srv->cfg.n_tcp + srv->cfg.n_sendfile) {
		struct pe_loop_pool_ops aops = {
			.init = acceptor_start, .fini = acceptor_stop, .arg = srv};
		ep->acceptor = pe_loop_pool_create(1, &aops);
		if (!ep->acceptor) {
			*what = "starting the main loop";
			int rc = -errno;
			ep_stop(srv);
			return rc;
		}
	}
	return 0;
}

const struct model_ops sock_model_epoll = {.start = ep_start, .stop = ep_stop};
