/* SPDX-License-Identifier: MIT */
/* The async model: one io_uring per worker thread, each thread with its own SO_REUSEPORT UDP
 * sockets and TCP listeners. UDP: a fixed set of recvmsg slots per socket, each completion
 * turned into a sendmsg of the same buffer and back. TCP: one operation in flight per
 * connection (recv, then send until all went, then recv again), so a peer that does not read
 * holds at most one buffer. Submissions and waiting share one syscall per batch of
 * completions. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pe_config.h"
#include "sock_priv.h"

#if PE_HAVE_IO_URING
#include <liburing.h>

#define RING_ENTRIES 1024
#define UDP_SLOTS    32
#define TCP_BUF	     (64 * 1024)

enum op_type { OP_UDP_RECV, OP_UDP_SEND, OP_ACCEPT, OP_PAUSE, OP_POLL, OP_RECV, OP_SEND };

struct uthr;

struct uslot { /* one datagram in flight */
	uint8_t type;
	struct uthr *t;
	int fd;
	uint16_t port; /* bound port, host order */
	struct msghdr in, out;
	struct iovec iov_in, iov_out;
	struct sockaddr_storage src;
	_Alignas(size_t) char ctrl_in[CTRL_LEN];
	_Alignas(size_t) char ctrl_out[CTRL_LEN];
	char *buf;
};

struct ulis {
	uint8_t type;
	int fd, sf;
	struct __kernel_timespec pause;
};

struct uconn {
	uint8_t type;
	int fd;
	size_t len, off;
	struct uconn *prev, *next;
	char *buf;
};

struct uthr {
	struct worker *w;
	struct io_uring ring;
	bool ring_ok;
	bool stopping;	   /* no new submissions: in-flight operations are being cancelled */
	unsigned inflight; /* operations submitted and not completed yet */
	int spare;
	struct uslot *slots;
	unsigned n_slots;
	struct ulis lis[2 * PE_SOCK_MAX_ADDRS];
	struct uconn *conns;
	char *udp_bufs;
};

static struct io_uring_sqe *sqe_get(struct uthr *t)
{
	if (t->stopping)
		return NULL;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
	if (!sqe) { /* the submission queue is full: hand it to the kernel and go on */
		io_uring_submit(&t->ring);
		sqe = io_uring_get_sqe(&t->ring);
	}
	if (sqe)
		t->inflight++;
	return sqe;
}

static void udp_recv(struct uthr *t, struct uslot *s)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	if (!sqe)
		return;
	s->type = OP_UDP_RECV;
	s->in = (struct msghdr){.msg_name = &s->src,
				.msg_namelen = sizeof(s->src),
				.msg_iov = &s->iov_in,
				.msg_iovlen = 1,
				.msg_control = s->ctrl_in,
				.msg_controllen = CTRL_LEN};
	/* MSG_TRUNC: the result is the datagram's real length, so truncation shows. */
	io_uring_prep_recvmsg(sqe, s->fd, &s->in, MSG_TRUNC);
	io_uring_sqe_set_data(sqe, s);
}

static void udp_done_recv(struct uthr *t, struct uslot *s, int res)
{
	struct pe_stats_block *st = t->w->st;
	const struct pe_sock_cfg *cfg = &t->w->srv->cfg;
	if (res < 0) {
		if (res != -EBADF && res != -ECANCELED)
			udp_recv(t, s);
		return;
	}
	pe_ctr_add(&st->c.rx_packets, 1);
	pe_ctr_add(&st->c.rx_bytes, (uint64_t)res);
	pe_ctr_add(&st->c.bytes_copied, (uint64_t)res);
	int flags = s->in.msg_flags | ((size_t)res > cfg->udp_buf ? MSG_TRUNC : 0);
	enum pe_drop d =
		pe_sock_udp_policy(cfg->pkt, (struct sockaddr *)&s->src, &s->in, flags, s->port);
	struct io_uring_sqe *sqe = d == PE_DROP_NONE ? sqe_get(t) : NULL;
	if (!sqe) {
		pe_ctr_add(&st->c.drops[d == PE_DROP_NONE ? PE_DROP_TX_FULL : d], 1);
		udp_recv(t, s);
		return;
	}
	s->iov_out = (struct iovec){s->buf, (size_t)res};
	s->out = (struct msghdr){.msg_name = &s->src,
				 .msg_namelen = s->in.msg_namelen,
				 .msg_iov = &s->iov_out,
				 .msg_iovlen = 1};
	sock_udp_reply_ctrl(&s->in, &s->out, s->ctrl_out);
	s->type = OP_UDP_SEND;
	io_uring_prep_sendmsg(sqe, s->fd, &s->out, 0);
	io_uring_sqe_set_data(sqe, s);
}

static void udp_done_send(struct uthr *t, struct uslot *s, int res)
{
	struct pe_stats_block *st = t->w->st;
	if (res >= 0) {
		pe_ctr_add(&st->c.tx_packets, 1);
		pe_ctr_add(&st->c.tx_bytes, (uint64_t)res);
	} else {
		pe_ctr_add(&st->c.drops[PE_DROP_TX_FULL], 1);
	}
	if (res != -EBADF && res != -ECANCELED)
		udp_recv(t, s);
}

static void lis_accept(struct uthr *t, struct ulis *l)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	if (!sqe)
		return;
	l->type = OP_ACCEPT;
	io_uring_prep_accept(sqe, l->fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, l);
}

static void lis_pause(struct uthr *t, struct ulis *l)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	if (!sqe)
		return;
	l->type = OP_PAUSE;
	l->pause = (struct __kernel_timespec){.tv_sec = 0, .tv_nsec = 100000000};
	io_uring_prep_timeout(sqe, &l->pause, 0, 0);
	io_uring_sqe_set_data(sqe, l);
}

/* io_uring's accept takes a descriptor before it looks at the queue: with the table full it
 * fails at once even when nobody is connecting, so it must wait for a connection first. */
static void lis_poll(struct uthr *t, struct ulis *l)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	if (!sqe)
		return;
	l->type = OP_POLL;
	io_uring_prep_poll_add(sqe, l->fd, POLLIN);
	io_uring_sqe_set_data(sqe, l);
}

static void conn_recv(struct uthr *t, struct uconn *c)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	if (!sqe)
		return; /* stopping: the connection is freed with the others */
	c->type = OP_RECV;
	io_uring_prep_recv(sqe, c->fd, c->buf, TCP_BUF, 0);
	io_uring_sqe_set_data(sqe, c);
}

static void conn_send(struct uthr *t, struct uconn *c)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	if (!sqe)
		return;
	c->type = OP_SEND;
	io_uring_prep_send(sqe, c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, c);
}

static void uconn_free(struct uthr *t, struct uconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	free(c->buf);
	free(c);
	atomic_fetch_sub(&t->w->srv->conns_active, 1);
	pe_ctr_add(&t->w->st->c.conns_closed, 1);
}

static void conn_new(struct uthr *t, int fd)
{
	struct uconn *c = calloc(1, sizeof(*c));
	if (c)
		c->buf = malloc(TCP_BUF);
	if (!c || !c->buf) {
		if (c)
			free(c);
		close(fd);
		atomic_fetch_sub(&t->w->srv->conns_active, 1);
		return;
	}
	c->fd = fd;
	sock_tune_conn(fd);
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	pe_ctr_add(&t->w->st->c.conns_opened, 1);
	conn_recv(t, c);
}

static void lis_done(struct uthr *t, struct ulis *l, int res)
{
	struct pe_sock_server *srv = t->w->srv;
	if (l->type == OP_PAUSE || l->type == OP_POLL) {
		lis_accept(t, l);
		return;
	}
	if (res == -EMFILE || res == -ENFILE) {
		if (t->spare < 0) {
			lis_pause(t, l); /* out of fds and no spare: wait, do not spin */
			return;
		}
		close(t->spare); /* the spare-fd trick, synchronously */
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int err = errno;
		if (fd >= 0) {
			close(fd);
			atomic_fetch_add(&srv->emfile, 1);
			atomic_fetch_add(&srv->conns_refused, 1);
		}
		t->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			lis_accept(t, l); /* more may be queued */
		else if (err == EAGAIN || err == EWOULDBLOCK)
			lis_poll(t, l); /* the table is full but nobody is connecting */
		else
			lis_pause(t, l);
		return;
	}
	if (res == -EBADF || res == -ECANCELED || res == -EINVAL)
		return; /* the listener is closing */
	if (res == -EINTR || res == -EAGAIN || res == -ECONNABORTED) {
		lis_accept(t, l);
		return;
	}
	if (res < 0) {
		lis_pause(t, l); /* anything else (ENOBUFS, ENOMEM...) may persist: no busy retry */
		return;
	}
	if (sock_conn_admit(srv))
		conn_new(t, res);
	else
		close(res);
	lis_accept(t, l);
}

static void conn_done(struct uthr *t, struct uconn *c, int res)
{
	struct pe_stats_block *st = t->w->st;
	if (res == -EINTR || res == -EAGAIN) {
		if (c->type == OP_RECV)
			conn_recv(t, c);
		else
			conn_send(t, c);
		return;
	}
	if (c->type == OP_RECV) {
		if (res == 0)
			shutdown(c->fd, SHUT_WR); /* RFC 862: all echoed (one buffer at a time) */
		if (res <= 0) {
			uconn_free(t, c);
			return;
		}
		pe_ctr_add(&st->c.rx_bytes, (uint64_t)res);
		pe_ctr_add(&st->c.bytes_copied, (uint64_t)res);
		c->len = (size_t)res;
		c->off = 0;
		conn_send(t, c);
		return;
	}
	if (res <= 0) { /* reset or broken pipe: quietly */
		uconn_free(t, c);
		return;
	}
	pe_ctr_add(&st->c.tx_bytes, (uint64_t)res);
	c->off += (size_t)res;
	if (c->off < c->len)
		conn_send(t, c);
	else
		conn_recv(t, c);
}

static void complete(struct uthr *t, struct io_uring_cqe *cqe)
{
	uint8_t *type = io_uring_cqe_get_data(cqe);
	t->inflight--;
	if (!type)
		return;
	switch (*type) {
	case OP_UDP_RECV:
		udp_done_recv(t, (struct uslot *)(void *)type, cqe->res);
		break;
	case OP_UDP_SEND:
		udp_done_send(t, (struct uslot *)(void *)type, cqe->res);
		break;
	case OP_ACCEPT:
	case OP_PAUSE:
	case OP_POLL:
		lis_done(t, (struct ulis *)(void *)type, cqe->res);
		break;
	default:
		conn_done(t, (struct uconn *)(void *)type, cqe->res);
	}
}

static int uthr_setup(struct uthr *t)
{
	struct worker *w = t->w;
	size_t bufsz = w->srv->cfg.udp_buf;
	int rc = io_uring_queue_init(RING_ENTRIES, &t->ring, 0);
	if (rc < 0)
		return rc;
	t->ring_ok = true;
	t->n_slots = w->n_udp * UDP_SLOTS;
	t->slots = calloc(t->n_slots ? t->n_slots : 1, sizeof(*t->slots));
	t->udp_bufs = malloc(t->n_slots ? t->n_slots * bufsz : 1);
	if (!t->slots || !t->udp_bufs)
		return -ENOMEM;
	for (unsigned i = 0; i < t->n_slots; i++) {
		struct uslot *s = &t->slots[i];
		s->t = t;
		s->fd = w->udp_fd[i / UDP_SLOTS];
		s->port = w->udp_port[i / UDP_SLOTS];
		s->buf = t->udp_bufs + i * bufsz;
		s->iov_in = (struct iovec){s->buf, bufsz};
		udp_recv(t, s);
	}
	for (unsigned i = 0; i < w->n_lis; i++) {
		t->lis[i] = (struct ulis){.fd = w->lis_fd[i], .sf = w->lis_sf[i]};
		lis_accept(t, &t->lis[i]);
	}
	return 0;
}

static void uthr_drain(struct uthr *t)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	t->stopping = true;
	if (sqe) {
		io_uring_prep_cancel(sqe, NULL, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data(sqe, NULL);
	}
	for (unsigned round = 0; t->inflight && round < 20; round++) { /* at most ~2 s */
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
		io_uring_submit_and_wait_timeout(&t->ring, &cqe, 1, &ts, NULL);
		unsigned head, n = 0;
		io_uring_for_each_cqe(&t->ring, head, cqe)
		{
			complete(t, cqe);
			n++;
		}
		io_uring_cq_advance(&t->ring, n);
	}
}

static void *uring_thread(void *arg)
{
	struct uthr *t = arg;
	struct pe_sock_server *srv = t->w->srv;
	struct pe_stats_block *st = t->w->st;
	if (uthr_setup(t) < 0)
		atomic_store(&srv->stop, true);
	while (!atomic_load(&srv->stop)) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};
		int rc = io_uring_submit_and_wait_timeout(&t->ring, &cqe, 1, &ts, NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY)
			break;
		unsigned head, n = 0;
		pe_stats_begin(st);
		io_uring_for_each_cqe(&t->ring, head, cqe)
		{
			complete(t, cqe);
			n++;
		}
		pe_stats_end(st);
		io_uring_cq_advance(&t->ring, n);
	}
	/* Tear down: cancel everything in flight and reap it, so the kernel no longer writes into
	 * our buffers, then the ring, then the memory. */
	if (t->ring_ok)
		uthr_drain(t);
	if (t->ring_ok)
		io_uring_queue_exit(&t->ring);
	while (t->conns)
		uconn_free(t, t->conns);
	sock_worker_fini(t->w);
	if (t->spare >= 0)
		close(t->spare);
	free(t->slots);
	free(t->udp_bufs);
	return NULL;
}

struct uring_impl {
	struct uthr *t;
};

static void ur_stop(struct pe_sock_server *srv)
{
	struct uring_impl *u = srv->impl;
	if (!u)
		return;
	for (unsigned i = 0; i < srv->cfg.threads; i++)
		sock_worker_reap(&srv->workers[i], u->t[i].spare);
	free(u->t);
	free(u);
	srv->impl = NULL;
}

static int ur_start(struct pe_sock_server *srv, const char **what)
{
	if (srv->cfg.splice || srv->cfg.n_sendfile) {
		*what = "--splice/--sendfile with --io-model uring";
		return -ENOTSUP;
	}
	struct uring_impl *u = calloc(1, sizeof(*u));
	if (!u || !(u->t = calloc(srv->cfg.threads, sizeof(*u->t)))) {
		free(u);
		return -ENOMEM;
	}
	srv->impl = u;
	for (unsigned i = 0; i < srv->cfg.threads; i++)
		u->t[i].spare = -1;
	int rc = sock_workers_init_owning(srv);
	for (unsigned i = 0; i < srv->cfg.threads && rc == 0; i++) {
		struct worker *w = &srv->workers[i];
		u->t[i].w = w;
		u->t[i].spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		rc = -pthread_create(&w->tid, NULL, uring_thread, &u->t[i]);
		w->started = rc == 0;
	}
	if (rc) {
		*what = "starting the io_uring threads";
		atomic_store(&srv->stop, true);
		ur_stop(srv);
	}
	return rc;
}

const struct model_ops sock_model_uring = {.start = ur_start, .stop = ur_stop};

#else /* no liburing in this build */

static int ur_start(struct pe_sock_server *srv, const char **what)
{
	*what = "--io-model uring (this build has no liburing)";
	return -ENOTSUP;
}

static void ur_stop(struct pe_sock_server *srv)
{
}

const struct model_ops sock_model_uring = {.start = ur_start, .stop = ur_stop};

#endif
