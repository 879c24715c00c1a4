/* SPDX-License-Identifier: MIT */
/* The async model: one io_uring per worker thread, each thread with its own SO_REUSEPORT UDP
 * sockets and TCP listeners. UDP: one multishot recvmsg per socket that picks its buffers from a
 * ring of provided buffers (registered and mapped here: liburing 2.3 has no helper for it); each
 * datagram becomes a sendmsg of the same buffer, which goes back to the ring when the send
 * completes. TCP: one operation in flight per
 * connection (recv, then send until all went, then recv again), so a peer that does not read
 * holds at most one buffer. Submissions and waiting share one syscall per batch of
 * completions. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pe_config.h"
#include "sock_priv.h"

#if PE_HAVE_IO_URING
#include <liburing.h>

#define RING_ENTRIES 1024
#define UDP_BUFS     64 /* provided buffers per UDP socket (a power of two) */
#define TCP_BUF	     (64 * 1024)

enum op_type { OP_UDP_RECV, OP_UDP_SEND, OP_ACCEPT, OP_PAUSE, OP_POLL, OP_RECV, OP_SEND };

struct uthr;

/* A datagram being echoed: the send of provided buffer bid. */
struct usend {
	uint8_t type;
	uint16_t bid;
	struct usock *u;
	struct msghdr out;
	struct iovec iov;
	_Alignas(size_t) char ctrl_out[CTRL_LEN];
};

/* A UDP socket: its multishot receive and its ring of provided buffers. */
struct usock {
	uint8_t type;	 /* OP_UDP_RECV: the multishot receive's user data */
	bool armed;	 /* a multishot receive is in flight */
	unsigned n_free; /* buffers in the ring, the kernel's to fill */
	int fd;
	uint16_t port; /* bound port, host order */
	uint16_t bgid;
	struct uthr *t;
	struct msghdr tmpl; /* the layout asked of each buffer: name and control room */
	struct io_uring_buf_ring *br;
	size_t br_len, buf_size;
	char *bufs;
	struct usend send[UDP_BUFS];
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
	struct usock *udp;
	unsigned n_udp;
	struct ulis lis[2 * PE_SOCK_MAX_ADDRS];
	struct uconn *conns;
	struct pe_rl rl; /* this thread's share of the reply limits */
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

static void udp_arm(struct uthr *t, struct usock *u)
{
	struct io_uring_sqe *sqe = sqe_get(t);
	if (!sqe)
		return;
	/* MSG_TRUNC: the datagram's real length is reported, so truncation shows. */
	io_uring_prep_recvmsg_multishot(sqe, u->fd, &u->tmpl, MSG_TRUNC);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = u->bgid;
	io_uring_sqe_set_data(sqe, u);
	u->armed = true;
}

/* Buffer bid back to the ring; a receive stopped for want of buffers starts again. */
static void udp_buf_put(struct uthr *t, struct usock *u, unsigned bid)
{
	io_uring_buf_ring_add(u->br, u->bufs + bid * u->buf_size, (unsigned)u->buf_size,
			      (unsigned short)bid, io_uring_buf_ring_mask(UDP_BUFS), 0);
	io_uring_buf_ring_advance(u->br, 1);
	u->n_free++;
	if (!u->armed)
		udp_arm(t, u);
}

static void udp_done_recv(struct uthr *t, struct usock *u, struct io_uring_cqe *cqe)
{
	struct pe_stats_block *st = t->w->st;
	const struct pe_sock_cfg *cfg = &t->w->srv->cfg;
	int res = cqe->res;
	if (cqe->flags & IORING_CQE_F_BUFFER)
		u->n_free--;
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		u->armed = false; /* the multishot ended: again, unless stopping or out of buffers
				   * (then the next buffer returned re-arms it). Buffers dropped
				   * (rate_limited, policy) before this completion went back while
				   * it was still armed: with some in the ring, arm now or never. */
		if (res != -EBADF && res != -ECANCELED && (res != -ENOBUFS || u->n_free > 0))
			udp_arm(t, u);
	}
	if (res < 0 || !(cqe->flags & IORING_CQE_F_BUFFER))
		return;
	unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	struct io_uring_recvmsg_out *o =
		io_uring_recvmsg_validate(u->bufs + bid * u->buf_size, res, &u->tmpl);
	if (!o) {
		udp_buf_put(t, u, bid);
		return;
	}
	unsigned len = io_uring_recvmsg_payload_length(o, res, &u->tmpl);
	struct msghdr in = {
		.msg_name = io_uring_recvmsg_name(o),
		.msg_namelen = o->namelen,
		.msg_control = o->controllen ? io_uring_recvmsg_cmsg_firsthdr(o, &u->tmpl) : NULL,
		.msg_controllen = o->controllen};
	int flags = (int)o->flags | (o->payloadlen > len ? MSG_TRUNC : 0);
	pe_ctr_add(&st->c.rx_packets, 1);
	pe_ctr_add(&st->c.rx_bytes, o->payloadlen);
	pe_ctr_add(&st->c.bytes_copied, len);
	enum pe_drop d = pe_sock_udp_policy(cfg->pkt, in.msg_name, &in, flags, u->port);
	if (d == PE_DROP_NONE && !sock_rl_allow(&t->rl, in.msg_name, 1))
		d = PE_DROP_RATE_LIMIT;
	struct io_uring_sqe *sqe = d == PE_DROP_NONE ? sqe_get(t) : NULL;
	if (!sqe) {
		pe_ctr_add(&st->c.drops[d == PE_DROP_NONE ? PE_DROP_TX_FULL : d], 1);
		udp_buf_put(t, u, bid);
		return;
	}
	struct usend *s = &u->send[bid];
	s->iov = (struct iovec){io_uring_recvmsg_payload(o, &u->tmpl), len};
	s->out = (struct msghdr){.msg_name = in.msg_name,
				 .msg_namelen = in.msg_namelen,
				 .msg_iov = &s->iov,
				 .msg_iovlen = 1};
	if (in.msg_controllen)
		sock_udp_reply_ctrl(&in, &s->out, s->ctrl_out);
	io_uring_prep_sendmsg(sqe, u->fd, &s->out, 0);
	io_uring_sqe_set_data(sqe, s);
}

static void udp_done_send(struct uthr *t, struct usend *s, int res)
{
	struct pe_stats_block *st = t->w->st;
	if (res >= 0) {
		pe_ctr_add(&st->c.tx_packets, 1);
		pe_ctr_add(&st->c.tx_bytes, (uint64_t)res);
	} else {
		pe_ctr_add(&st->c.drops[PE_DROP_TX_FULL], 1);
	}
	udp_buf_put(t, s->u, s->bid);
}

/* Map and register socket i's ring of provided buffers (group i) and fill it. 0 or -errno. */
static int udp_setup(struct uthr *t, struct usock *u, unsigned i)
{
	struct worker *w = t->w;
	*u = (struct usock){.type = OP_UDP_RECV,
			    .fd = w->udp_fd[i],
			    .port = w->udp_port[i],
			    .bgid = (uint16_t)i,
			    .t = t};
	u->tmpl = (struct msghdr){.msg_namelen = sizeof(struct sockaddr_storage),
				  .msg_controllen = CTRL_LEN};
	/* Room for the kernel's header, the name, the control messages and the datagram. */
	u->buf_size = (sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage) +
		       CTRL_LEN + w->srv->cfg.udp_buf + 63) &
		      ~(size_t)63;
	u->br_len = UDP_BUFS * sizeof(struct io_uring_buf);
	void *br =
		mmap(NULL, u->br_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED)
		return -errno;
	u->br = br;
	u->bufs = malloc(UDP_BUFS * u->buf_size);
	if (!u->bufs)
		return -ENOMEM;
	io_uring_buf_ring_init(u->br);
	struct io_uring_buf_reg reg = {
		.ring_addr = (uintptr_t)u->br, .ring_entries = UDP_BUFS, .bgid = u->bgid};
	int rc = io_uring_register_buf_ring(&t->ring, &reg, 0);
	if (rc < 0)
		return rc;
	for (unsigned b = 0; b < UDP_BUFS; b++) {
		u->send[b] = (struct usend){.type = OP_UDP_SEND, .bid = (uint16_t)b, .u = u};
		io_uring_buf_ring_add(u->br, u->bufs + b * u->buf_size, (unsigned)u->buf_size,
				      (unsigned short)b, io_uring_buf_ring_mask(UDP_BUFS), (int)b);
	}
	io_uring_buf_ring_advance(u->br, UDP_BUFS);
	u->n_free = UDP_BUFS;
	udp_arm(t, u);
	return 0;
}

static void udp_free(struct usock *u)
{
	if (u->br)
		munmap(u->br, u->br_len);
	free(u->bufs);
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
	if (!(cqe->flags & IORING_CQE_F_MORE)) /* a multishot's last completion ends it */
		t->inflight--;
	if (!type)
		return;
	switch (*type) {
	case OP_UDP_RECV:
		udp_done_recv(t, (struct usock *)(void *)type, cqe);
		break;
	case OP_UDP_SEND:
		udp_done_send(t, (struct usend *)(void *)type, cqe->res);
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
	int rc = io_uring_queue_init(RING_ENTRIES, &t->ring, 0);
	if (rc < 0)
		return rc;
	t->ring_ok = true;
	sock_rl_init(&t->rl, w->srv->cfg.pkt);
	t->udp = calloc(w->n_udp ? w->n_udp : 1, sizeof(*t->udp));
	if (!t->udp)
		return -ENOMEM;
	for (unsigned i = 0; i < w->n_udp; i++) {
		t->n_udp = i + 1;
		rc = udp_setup(t, &t->udp[i], i);
		if (rc < 0)
			return rc;
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
		pe_rl_follow(&t->rl, srv->cfg.pkt->live); /* once per wakeup, not per packet */
		sock_beat(&t->w->heartbeat);		  /* the wait above ends within 100 ms */
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
	for (unsigned i = 0; i < t->n_udp; i++)
		udp_free(&t->udp[i]);
	free(t->udp);
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
