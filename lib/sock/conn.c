/* SPDX-License-Identifier: MIT */
/* TCP connections, independent of how readiness is learnt (epoll, busy polling, signals).
 * Echo (RFC 862): read into the input buffer, write straight back, keep what the socket did not
 * take; stop reading above the high-water mark until below the low mark; on the peer's half-close
 * flush, shut down writing, close. Splice: the same through a pipe, no user-space copy. Sendfile:
 * stream a file, shut down writing, wait for the peer's close. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_priv.h"

#define IDLE_KEEP  16384       /* buffer storage an idle connection keeps */
#define READ_KEEP  (64 * 1024) /* room a read may use: one read is at most this plus the spill */
#define SMALL_HOLD (IDLE_KEEP + PE_BUF_SPILL) /* one read into a kept buffer */

void sock_worker_link(struct worker *w, struct conn *c)
{
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
}

static void worker_unlink(struct worker *w, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (w->conns == c)
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* Storage the connection holds: both buffers' capacity and the bytes in its pipe. */
static size_t held(const struct conn *c)
{
	return c->in.cap + c->out.cap + c->pipe_len;
}

/* Bring the server's total up to date with this connection's storage. */
static void account(struct conn *c)
{
	size_t now = held(c);
	if (now != c->held) {
		atomic_fetch_add(&c->w->srv->buffered, (uint64_t)now - (uint64_t)c->held);
		c->held = now;
	}
}

int sock_conn_open(struct conn *c, struct worker *w, int fd, int sf_index)
{
	struct pe_sock_server *srv = w->srv;
	c->w = w;
	c->fd = fd;
	c->pipe_r = c->pipe_w = c->file_fd = -1;
	pe_buf_init(&c->in);
	pe_buf_init(&c->out);
	c->kind = sf_index >= 0 ? CONN_SENDFILE : srv->cfg.splice ? CONN_SPLICE : CONN_ECHO;
	sock_tune_conn(fd);
	if (c->kind == CONN_SPLICE) {
		int p[2];
		/* Both ends non-blocking: SPLICE_F_NONBLOCK alone covers only the pipe side. */
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
			return -errno;
		c->pipe_r = p[0];
		c->pipe_w = p[1];
		/* A larger pipe moves more per splice and per wakeup (pages are only taken while
		 * bytes sit in it); refused beyond pipe-max-size for unprivileged users: keep 64K.
		 */
		fcntl(p[1], F_SETPIPE_SZ, SPLICE_PIPE_SIZE);
		int cap = fcntl(p[1], F_GETPIPE_SZ);
		c->pipe_cap = cap > 0 ? (size_t)cap : 65536;
	} else if (c->kind == CONN_SENDFILE) {
		c->file_fd = srv->file_fd[sf_index];
		c->file_size = srv->file_size[sf_index];
	}
	pe_stats_begin(w->st);
	pe_ctr_add(&w->st->c.conns_opened, 1);
	pe_stats_end(w->st);
	sock_worker_link(w, c);
	return 0;
}

void sock_conn_close(struct conn *c)
{
	struct worker *w = c->w;
	close(c->fd);
	if (c->pipe_r >= 0) {
		close(c->pipe_r);
		close(c->pipe_w);
	}
	pe_buf_free(&c->in);
	pe_buf_free(&c->out);
	c->pipe_len = 0;
	account(c);
	worker_unlink(w, c);
	atomic_fetch_sub(&w->srv->conns_active, 1);
	pe_stats_begin(w->st);
	pe_ctr_add(&w->st->c.conns_closed, 1);
	pe_stats_end(w->st);
}

static void count(struct conn *c, uint64_t rx, uint64_t tx, uint64_t copied)
{
	struct pe_stats_block *st = c->w->st;
	pe_stats_begin(st);
	pe_ctr_add(&st->c.rx_bytes, rx);
	pe_ctr_add(&st->c.tx_bytes, tx);
	pe_ctr_add(&st->c.bytes_copied, copied);
	pe_stats_end(st);
}

static bool soft(ssize_t rc)
{
	return rc == -EAGAIN || rc == -EINTR;
}

/* Pending output toward the water marks: buffered bytes or bytes sitting in the pipe. */
static size_t pending(const struct conn *c)
{
	return pe_buf_len(&c->out) + c->pipe_len;
}

/* Over --max-buffer, a connection that holds more than one read's worth (SMALL_HOLD) with
 * output pending stops reading: those are the connections holding the buffers (peers that do
 * not read). Its write readiness (the pending output) brings it back, so a pause lasts only while
 * its peer does not read and the total stays high; connections whose peers read (nothing
 * pending) and small ones keep going. */
static bool over_global_cap(const struct conn *c)
{
	const struct pe_sock_server *srv = c->w->srv;
	if (!srv->cfg.max_buffer || c->held <= SMALL_HOLD || !pending(c))
		return false;
	return atomic_load_explicit(&srv->buffered, memory_order_relaxed) > srv->cfg.max_buffer;
}

static bool may_read(struct conn *c)
{
	size_t high = c->w->srv->cfg.high_water, p = pending(c);
	if (c->paused && p <= high / 2)
		c->paused = false;
	else if (!c->paused && p >= high)
		c->paused = true;
	return !c->eof && !c->paused && !over_global_cap(c);
}

/* Write the input straight back; what the socket does not take becomes pending output. */
static int echo_send(struct conn *c, uint64_t *tx)
{
	if (pe_buf_len(&c->out) == 0) {
		ssize_t n = pe_buf_write_fd(&c->in, c->fd);
		if (n < 0 && !soft(n))
			return (int)n;
		if (n > 0)
			*tx += (uint64_t)n;
		pe_buf_swap(&c->in, &c->out); /* the rest, if any, moves without a copy */
		return 0;
	}
	int rc = pe_buf_append(&c->out, pe_buf_peek(&c->in), pe_buf_len(&c->in));
	pe_buf_consume(&c->in, pe_buf_len(&c->in));
	return rc;
}

static int echo_service(struct conn *c, unsigned budget)
{
	uint64_t rx = 0, tx = 0;
	int rc = 0;
	if (pe_buf_len(&c->out)) {
		ssize_t n = pe_buf_write_fd(&c->out, c->fd);
		if (n > 0)
			tx += (uint64_t)n;
		else if (n < 0 && !soft(n))
			rc = CONN_DONE;
	}
	/* An emptied buffer gives its storage back before reading: a read never takes more than
	 * IDLE_KEEP of room plus the spill, however large the buffer had grown. */
	pe_buf_trim(&c->in, IDLE_KEEP);
	pe_buf_trim(&c->out, IDLE_KEEP);
	for (unsigned i = 0; rc == 0 && i < budget && may_read(c); i++) {
		/* in and out swap roles as a read goes straight back out; without this a buffer
		 * would double at each read (its room plus the spill) while the socket takes it
		 * all, and then hold that much once the socket stops taking. */
		pe_buf_trim(&c->in, READ_KEEP);
		ssize_t n = pe_buf_read_fd(&c->in, c->fd);
		c->rd_blocked = n == -EAGAIN;
		if (n == 0)
			c->eof = true;
		if (n <= 0) {
			rc = soft(n) || n == 0 ? 0 : CONN_DONE;
			break;
		}
		rx += (uint64_t)n;
		if (echo_send(c, &tx) < 0)
			rc = CONN_DONE;
		else if (pe_buf_len(&c->out))
			break; /* the socket is full: wait until it takes more */
	}
	count(c, rx, tx, rx);
	pe_buf_trim(&c->in, IDLE_KEEP);
	pe_buf_trim(&c->out, IDLE_KEEP);
	return rc;
}

static ssize_t splice_nb(int in, int out, size_t len)
{
	ssize_t n;
	do
		n = splice(in, NULL, out, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int splice_flush(struct conn *c, uint64_t *tx)
{
	while (c->pipe_len) {
		ssize_t n = splice_nb(c->pipe_r, c->fd, c->pipe_len);
		if (n < 0)
			return soft(n) ? 0 : CONN_DONE;
		c->pipe_len -= (size_t)n;
		*tx += (uint64_t)n;
	}
	c->pipe_full = false;
	return 0;
}

/* A pipe holds a fixed number of buffers, each a fragment of a page: it can refuse more long
 * before pipe_cap bytes. Reading waits for an empty pipe then, or level-triggered readiness
 * of the socket would spin while the peer does not read. */
static bool splice_may_read(struct conn *c)
{
	return c->pipe_len < c->pipe_cap && !c->pipe_full;
}

static int splice_service(struct conn *c, unsigned budget)
{
	uint64_t rx = 0, tx = 0;
	int rc = splice_flush(c, &tx);
	for (unsigned i = 0; rc == 0 && i < budget && may_read(c) && splice_may_read(c); i++) {
		ssize_t n = splice_nb(c->fd, c->pipe_w, c->pipe_cap - c->pipe_len);
		c->rd_blocked = n == -EAGAIN;
		/* EAGAIN with bytes in the pipe: the socket may be empty or the pipe full; assume
		 * full, the flush of those bytes (write interest) clears it either way. */
		c->pipe_full = n == -EAGAIN && c->pipe_len > 0;
		if (n == 0)
			c->eof = true;
		if (n <= 0) {
			rc = soft(n) || n == 0 ? 0 : CONN_DONE;
			break;
		}
		c->pipe_len += (size_t)n;
		rx += (uint64_t)n;
		rc = splice_flush(c, &tx);
		if (c->pipe_len)
			break;
	}
	count(c, rx, tx, 0);
	return rc;
}

/* sendfile until the socket is full or the file is out (one call moves at most 0x7ffff000). */
static int sendfile_service(struct conn *c)
{
	uint64_t tx = 0;
	int rc = 0;
	while (!c->done) {
		off_t left = c->file_size - c->file_off;
		if (left <= 0) {
			shutdown(c->fd, SHUT_WR);
			c->done = true;
			break;
		}
		ssize_t n = sendfile(c->fd, c->file_fd, &c->file_off, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno == EAGAIN ? 0 : CONN_DONE;
			break;
		}
		if (n == 0) { /* the file shrank under us */
			c->file_size = c->file_off;
			continue;
		}
		tx += (uint64_t)n;
	}
	count(c, 0, tx, 0);
	if (rc || !c->done)
		return rc ? rc : PE_EV_WRITE;
	/* All sent: discard what the peer sends and close on its EOF, so unread input cannot turn
	 * our close into a reset that destroys the file's tail in flight. */
	char sink[4096];
	for (;;) {
		ssize_t n = read(c->fd, sink, sizeof(sink));
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		c->rd_blocked = n < 0 && errno == EAGAIN;
		return c->rd_blocked ? PE_EV_READ : CONN_DONE;
	}
}

int sock_conn_service(struct conn *c, unsigned budget)
{
	if (c->kind == CONN_SENDFILE)
		return sendfile_service(c);
	int rc = c->kind == CONN_SPLICE ? splice_service(c, budget) : echo_service(c, budget);
	account(c);
	if (rc < 0)
		return CONN_DONE; /* reset or broken pipe: closed quietly */
	if (c->eof && pending(c) == 0) {
		shutdown(c->fd, SHUT_WR); /* RFC 862: everything echoed, now our FIN */
		return CONN_DONE;
	}
	int ev = pending(c) ? PE_EV_WRITE : 0;
	if (may_read(c) && (c->kind != CONN_SPLICE || splice_may_read(c)))
		ev |= PE_EV_READ;
	return ev;
}
