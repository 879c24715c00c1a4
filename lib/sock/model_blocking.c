/* SPDX-License-Identifier: MIT */
/* The blocking model: a thread per UDP socket (one SO_REUSEPORT socket per --threads per
 * address, one datagram per recvmmsg/sendmmsg: the classic recvfrom/sendto echo), an accept
 * thread per TCP listener and a thread per connection. Blocking calls carry a 100 ms
 * SO_RCVTIMEO/SO_SNDTIMEO so that threads notice the stop. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_priv.h"

#define CONN_BUF   (64 * 1024)
#define CONN_STACK (256 * 1024)
#define PUBLISH_NS 100000000ull /* a listener's block is brought up to date this often */

struct bconn;

struct bthread {
	struct pe_sock_server *srv;
	pthread_t tid;
	int fd;
	int sf;	       /* listeners: -1 echo, else sendfile index */
	int spare;     /* listeners: the fd given up when out of fds */
	uint16_t port; /* UDP: the bound port */
	bool udp;
	struct pe_stats_block *st; /* this thread's own block */
	/* Listeners: the counts of their connection threads, published into st by the accept
	 * thread alone (one writer per block). Guarded by bl_impl.lock. */
	struct bconn *live;	   /* connections running, each counting into its own bconn.c */
	struct pe_counters closed; /* the final counts of the connections that ended */
	uint64_t published_ns;
	atomic_uint_fast64_t heartbeat; /* UDP and accept threads: rounds of their loop */
};

struct bl_impl {
	struct bthread *t;
	unsigned n;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned conns; /* connection threads alive */
};

struct bconn {
	struct pe_sock_server *srv;
	struct bthread *lis;
	struct bconn *prev, *next; /* in lis->live */
	int fd, sf;
	struct pe_counters c; /* written by the connection's thread only */
};

static void set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void add(uint64_t *c, uint64_t n)
{
	pe_ctr_add(c, n); /* one writer: the connection's thread */
}

/* The counters a connection thread writes. */
#define CONN_CTRS(X) X(rx_bytes) X(tx_bytes) X(bytes_copied) X(conns_opened) X(conns_closed)

static void ctrs_add(struct pe_counters *acc, const struct pe_counters *c)
{
#define X(f) acc->f += __atomic_load_n(&c->f, __ATOMIC_RELAXED);
	CONN_CTRS(X)
#undef X
}

/* The listener's block becomes the sum of its ended and running connections (monotonic: a
 * connection moves from live to closed under the lock). Called by the block's one writer: the
 * accept thread, or the stop once every thread is gone. */
static void publish(struct pe_sock_server *srv, struct bthread *t)
{
	struct bl_impl *bl = srv->impl;
	struct pe_counters sum = {0};
	pthread_mutex_lock(&bl->lock);
	ctrs_add(&sum, &t->closed);
	for (struct bconn *bc = t->live; bc; bc = bc->next)
		ctrs_add(&sum, &bc->c);
	pthread_mutex_unlock(&bl->lock);
	pe_stats_begin(t->st);
#define X(f) pe_ctr_set(&t->st->c.f, sum.f);
	CONN_CTRS(X)
#undef X
	pe_stats_end(t->st);
	t->published_ns = pe_stats_now_ns();
}

static bool retry(struct pe_sock_server *srv, ssize_t n)
{
	return n < 0 && (errno == EAGAIN || errno == EINTR) && !atomic_load(&srv->stop);
}

static void *udp_thread(void *arg)
{
	struct bthread *t = arg;
	struct pe_sock_server *srv = t->srv;
	struct pe_udp_batch *b = pe_udp_batch_create(1, srv->cfg.udp_buf);
	while (b && !atomic_load(&srv->stop)) {
		int n = pe_sock_udp_echo(b, t->fd, t->port, 0, srv->cfg.pkt, t->st);
		sock_beat(&t->heartbeat); /* recvmmsg returns within SO_RCVTIMEO (100 ms) */
		if (n < 0 && n != -EAGAIN && n != -EINTR)
			break;
	}
	pe_udp_batch_destroy(b);
	return NULL;
}

static int write_all(struct pe_sock_server *srv, int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (retry(srv, w))
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void echo_copy(struct pe_sock_server *srv, int fd, struct pe_counters *c)
{
	char *buf = malloc(CONN_BUF);
	while (buf) {
		ssize_t n = read(fd, buf, CONN_BUF);
		if (retry(srv, n))
			continue;
		if (n == 0)
			shutdown(fd, SHUT_WR); /* everything echoed: our FIN */
		if (n <= 0)
			break;
		add(&c->rx_bytes, (uint64_t)n);
		add(&c->bytes_copied, (uint64_t)n);
		if (write_all(srv, fd, buf, (size_t)n) < 0)
			break;
		add(&c->tx_bytes, (uint64_t)n);
	}
	free(buf);
}

static void echo_splice(struct pe_sock_server *srv, int fd, struct pe_counters *c)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	for (;;) {
		ssize_t n = splice(fd, NULL, p[1], NULL, CONN_BUF, SPLICE_F_MOVE);
		if (retry(srv, n))
			continue;
		if (n == 0)
			shutdown(fd, SHUT_WR);
		if (n <= 0)
			break;
		add(&c->rx_bytes, (uint64_t)n);
		ssize_t left = n;
		while (left > 0) {
			ssize_t w = splice(p[0], NULL, fd, NULL, (size_t)left, SPLICE_F_MOVE);
			if (retry(srv, w))
				continue;
			if (w <= 0)
				goto out;
			left -= w;
			add(&c->tx_bytes, (uint64_t)w);
		}
	}
out:
	close(p[0]);
	close(p[1]);
}

static void stream_file(struct pe_sock_server *srv, int fd, int sf, struct pe_counters *c)
{
	off_t off = 0, size = srv->file_size[sf];
	while (off < size) {
		ssize_t n = sendfile(fd, srv->file_fd[sf], &off, (size_t)(size - off));
		if (retry(srv, n))
			continue;
		if (n <= 0)
			return;
		add(&c->tx_bytes, (uint64_t)n);
	}
	shutdown(fd, SHUT_WR);
	char sink[4096]; /* close on the peer's EOF: unread input would turn close into a reset */
	for (;;) {
		ssize_t n = read(fd, sink, sizeof(sink));
		if (n > 0 || retry(srv, n))
			continue;
		return;
	}
}

static void *conn_thread(void *arg)
{
	struct bconn *bc = arg;
	struct pe_sock_server *srv = bc->srv;
	struct bl_impl *bl = srv->impl;
	struct pe_counters *c = &bc->c;
	add(&c->conns_opened, 1);
	set_timeouts(bc->fd);
	sock_tune_conn(bc->fd);
	if (bc->sf >= 0)
		stream_file(srv, bc->fd, bc->sf, c);
	else if (srv->cfg.splice)
		echo_splice(srv, bc->fd, c);
	else
		echo_copy(srv, bc->fd, c);
	close(bc->fd);
	add(&c->conns_closed, 1);
	atomic_fetch_sub(&srv->conns_active, 1);
	pthread_mutex_lock(&bl->lock);
	ctrs_add(&bc->lis->closed, c);
	if (bc->prev)
		bc->prev->next = bc->next;
	else
		bc->lis->live = bc->next;
	if (bc->next)
		bc->next->prev = bc->prev;
	free(bc);
	if (--bl->conns == 0)
		pthread_cond_broadcast(&bl->idle);
	pthread_mutex_unlock(&bl->lock);
	return NULL;
}

static void spawn_conn(struct bthread *lis, int fd)
{
	struct pe_sock_server *srv = lis->srv;
	struct bl_impl *bl = srv->impl;
	struct bconn *bc = calloc(1, sizeof(*bc));
	pthread_attr_t attr;
	pthread_t tid;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CONN_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&bl->lock);
	bl->conns++;
	if (bc) {
		*bc = (struct bconn){
			.srv = srv, .lis = lis, .next = lis->live, .fd = fd, .sf = lis->sf};
		if (lis->live)
			lis->live->prev = bc;
		lis->live = bc;
	}
	pthread_mutex_unlock(&bl->lock);
	if (!bc || pthread_create(&tid, &attr, conn_thread, bc) != 0) {
		close(fd);
		atomic_fetch_sub(&srv->conns_active, 1);
		atomic_fetch_add(&srv->conns_refused, 1);
		pthread_mutex_lock(&bl->lock);
		if (bc) {
			lis->live = bc->next;
			if (bc->next)
				bc->next->prev = NULL;
			free(bc);
		}
		if (--bl->conns == 0)
			pthread_cond_broadcast(&bl->idle);
		pthread_mutex_unlock(&bl->lock);
	}
	pthread_attr_destroy(&attr);
}

static void *accept_thread(void *arg)
{
	struct bthread *t = arg;
	struct pe_sock_server *srv = t->srv;
	int spare = t->spare;
	while (!atomic_load(&srv->stop)) {
		sock_beat(&t->heartbeat); /* accept returns within SO_RCVTIMEO (100 ms) */
		if (pe_stats_now_ns() - t->published_ns >= PUBLISH_NS)
			publish(srv, t);
		int fd = sock_accept(srv, t->fd, &spare, 0);
		if (fd < 0 && fd != -EAGAIN && fd != -ECONNREFUSED)
			usleep(100000); /* no spare fd, or an error that may persist: no spinning */
		if (fd < 0)
			continue;
		if (!sock_conn_admit(srv)) {
			close(fd);
			continue;
		}
		spawn_conn(t, fd);
	}
	if (spare >= 0)
		close(spare);
	t->spare = -1;
	return NULL;
}

static void bl_stop(struct pe_sock_server *srv)
{
	struct bl_impl *bl = srv->impl;
	if (!bl)
		return;
	for (unsigned i = 0; i < bl->n; i++) {
		if (bl->t[i].tid)
			pthread_join(bl->t[i].tid, NULL);
		if (bl->t[i].fd >= 0)
			close(bl->t[i].fd);
	}
	pthread_mutex_lock(&bl->lock);
	while (bl->conns)
		pthread_cond_wait(&bl->idle, &bl->lock);
	pthread_mutex_unlock(&bl->lock);
	for (unsigned i = 0; i < bl->n; i++) /* the accept threads are gone: the last word */
		if (!bl->t[i].udp)
			publish(srv, &bl->t[i]);
	pthread_mutex_destroy(&bl->lock);
	pthread_cond_destroy(&bl->idle);
	free(bl->t);
	free(bl);
	srv->impl = NULL;
}

static int bl_start(struct pe_sock_server *srv, const char **what)
{
	const struct pe_sock_cfg *cfg = &srv->cfg;
	struct bl_impl *bl = calloc(1, sizeof(*bl));
	unsigned n = cfg->n_udp * cfg->threads + cfg->n_tcp + cfg->n_sendfile;
	if (!bl || !(bl->t = calloc(n, sizeof(*bl->t)))) {
		free(bl);
		return -ENOMEM;
	}
	pthread_mutex_init(&bl->lock, NULL);
	pthread_cond_init(&bl->idle, NULL);
	srv->impl = bl;
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct bthread *t = &bl->t[i];
		bool udp = i < cfg->n_udp * cfg->threads;
		unsigned j = udp ? i / cfg->threads : i - cfg->n_udp * cfg->threads;
		bool sf = !udp && j >= cfg->n_tcp;
		t->srv = srv;
		t->udp = udp;
		t->sf = sf ? (int)(j - cfg->n_tcp) : -1;
		t->st = pe_stats_block(srv->stats, i); /* labelled by the server in this order */
		t->port = udp ? sock_addr_port(&srv->bound[PE_SOCK_UDP][j]) : 0;
		t->fd = udp  ? sock_server_socket(srv, PE_SOCK_UDP, j, 0)
			: sf ? sock_server_socket(srv, PE_SOCK_SENDFILE, j - cfg->n_tcp, 0)
			     : sock_server_socket(srv, PE_SOCK_TCP, j, 0);
		bl->n = i + 1;
		if (t->fd < 0) {
			rc = t->fd;
			break;
		}
		set_timeouts(t->fd);
		if (udp)
			pe_sock_udp_gro_on(t->fd);
		t->spare = udp ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
		rc = -pthread_create(&t->tid, NULL, udp ? udp_thread : accept_thread, t);
		if (rc) {
			t->tid = 0;
			if (t->spare >= 0)
				close(t->spare);
		}
	}
	if (rc) {
		*what = "starting the blocking threads";
		atomic_store(&srv->stop, true);
		bl_stop(srv);
	}
	return rc;
}

/* The UDP and accept threads (a connection's thread lives as long as its peer wants). */
static unsigned bl_heartbeats(struct pe_sock_server *srv, uint64_t *out, unsigned max)
{
	struct bl_impl *bl = srv->impl;
	unsigned n = 0;

	for (unsigned i = 0; bl && i < bl->n && n < max; i++)
		out[n++] = atomic_load_explicit(&bl->t[i].heartbeat, memory_order_relaxed);
	return n;
}

const struct model_ops sock_model_blocking = {
	.start = bl_start, .stop = bl_stop, .heartbeats = bl_heartbeats};
