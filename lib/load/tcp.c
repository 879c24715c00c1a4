/* SPDX-License-Identifier: MIT */
/* TCP flows: one connection per flow carrying a stream of fixed-size messages. An RFC 862 server
 * returns the stream unchanged, so message boundaries come back at the same offsets and each
 * message is matched by its header like a datagram. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "load_priv.h"

#define RX_ROUNDS 8
#define TCP_BUF	  65536

static int tcp_open(struct pe_load *l, struct load_flow *f)
{
	const struct pe_load_target *t = &l->cfg.target;
	uint32_t size = l->cfg.size, msgs = TCP_BUF / size < 2 ? 2 : TCP_BUF / size;
	int one = 1, flags;

	f->cap = msgs * size;
	f->txbuf = malloc(f->cap);
	f->rxbuf = malloc(f->cap);
	if (!f->txbuf || !f->rxbuf)
		return -ENOMEM;
	f->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return -errno;
	setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(f->fd, (const struct sockaddr *)&t->addr, t->addr_len) < 0)
		return -errno;
	/* Blocking connect above gives a clear error; the stream itself is non-blocking. */
	flags = fcntl(f->fd, F_GETFL);
	if (flags < 0 || fcntl(f->fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void tcp_kill(struct load_worker *w, struct load_flow *f)
{
	f->dead = true;
	f->tx_off = f->tx_len = 0; /* what was queued will never be echoed: counted as lost */
	epoll_ctl(w->ep, EPOLL_CTL_DEL, f->fd, NULL);
	w->errors++;
}

static void tcp_arm_out(struct load_worker *w, struct load_flow *f, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0),
				 .data.u32 = (uint32_t)(f - w->flows)};

	if (f->want_out == on)
		return;
	f->want_out = on;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, f->fd, &ev);
}

static void tcp_flush(struct load_worker *w, struct load_flow *f)
{
	while (f->tx_off < f->tx_len) {
		ssize_t r = send(f->fd, f->txbuf + f->tx_off, f->tx_len - f->tx_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r > 0) {
			f->tx_off += (uint32_t)r;
		} else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			tcp_arm_out(w, f, true);
			return;
		} else {
			tcp_kill(w, f);
			return;
		}
	}
	f->tx_off = f->tx_len = 0;
	tcp_arm_out(w, f, false);
}

static uint32_t tcp_send(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now)
{
	uint32_t size = w->l->cfg.size, m = 0;

	if (f->dead)
		return 0;
	if (f->tx_off > 0 && f->tx_len + size > f->cap) {
		memmove(f->txbuf, f->txbuf + f->tx_off, f->tx_len - f->tx_off);
		f->tx_len -= f->tx_off;
		f->tx_off = 0;
	}
	for (; m < n && f->tx_len + size <= f->cap; m++) {
		uint8_t *msg = f->txbuf + f->tx_len;

		memcpy(msg, w->tmpl, size);
		load_tx_payload(w, f, msg, m, f->next_seq++, now);
		f->tx_len += size;
	}
	pe_stats_begin(w->blk);
	pe_ctr_add(&w->blk->c.tx_packets, m);
	pe_ctr_add(&w->blk->c.tx_bytes, (uint64_t)m * size);
	pe_stats_end(w->blk);
	tcp_flush(w, f);
	return m;
}

/* Match every complete message in the input; keep the partial tail for the next read. */
static void tcp_parse(struct load_worker *w, struct load_flow *f, uint64_t now)
{
	uint32_t size = w->l->cfg.size, off = 0, n = 0;

	for (; f->rx_len - off >= size; off += size, n++)
		load_rx_payload(w, f, f->rxbuf + off, size, now);
	memmove(f->rxbuf, f->rxbuf + off, f->rx_len - off);
	f->rx_len -= off;
	pe_stats_begin(w->blk);
	pe_ctr_add(&w->blk->c.rx_packets, n);
	pe_ctr_add(&w->blk->c.rx_bytes, (uint64_t)n * size);
	pe_stats_end(w->blk);
}

static void tcp_ready(struct load_worker *w, struct load_flow *f, uint32_t events)
{
	if (f->dead)
		return;
	if (events & EPOLLOUT)
		tcp_flush(w, f);
	for (unsigned round = 0; !f->dead && round < RX_ROUNDS; round++) {
		ssize_t r = read(f->fd, f->rxbuf + f->rx_len, f->cap - f->rx_len);

		if (r > 0) {
			f->rx_len += (uint32_t)r;
			tcp_parse(w, f, pe_load_now_ns());
		} else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			return;
		} else {
			tcp_kill(w, f); /* EOF or reset: the server went away */
		}
	}
}

const struct load_backend load_backend_tcp = {
	.mode = "tcp",
	.setup = load_sock_setup,
	.worker_init = load_sock_worker_init,
	.worker_fini = load_sock_worker_fini,
	.send = tcp_send,
	.poll = load_sock_poll,
	.open_flow = tcp_open,
	.ready = tcp_ready,
	.wait_when_blocked = true,
};
