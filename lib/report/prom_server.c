/* SPDX-License-Identifier: MIT */
/* A minimal HTTP/1.x responder for Prometheus scrapes: GET /metrics on its own thread, which
 * serves up to PE_PROM_MAX_CONNS connections at once from one poll loop (each with a deadline),
 * never touching the services' hot paths. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "pe_report.h"

#define PE_PROM_REQ_MAX 4096
/* Whole budget of one connection, request and response: a scraper that trickles bytes
 * (slowloris) or reads slowly is closed when it is spent. */
#define PE_PROM_CONN_MS 2000
/* Connections served at once; beyond, the oldest still reading its request is closed. */
#define PE_PROM_MAX_CONNS 32

struct pe_prom_server {
	int listen_fd;
	int stop_pipe[2];
	unsigned port;
	pe_prom_render_fn fn;
	void *arg;
	pthread_t thread;
	struct conn *conns; /* PE_PROM_MAX_CONNS slots */
};

/* Split "HOST:PORT", "[V6]:PORT" or ":PORT" into host (NULL = any) and port. */
static int split_host_port(const char *hp, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon;
	size_t n;

	if (!hp || !*hp)
		return -EINVAL;
	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - hp - 1);
		colon = end + 1;
		hp++;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - hp);
	}
	if (n >= hlen || strlen(colon + 1) >= plen || !colon[1])
		return -EINVAL;
	memcpy(host, hp, n);
	host[n] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1); /* length checked above */
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	return atoi(port) > 65535 ? -EINVAL : 0;
}

int pe_prom_addr_check(const char *host_port)
{
	char host[256], port[8];

	return split_host_port(host_port, host, sizeof(host), port, sizeof(port));
}

/* A listening socket on the first usable address; for ":PORT", IPv6 dual-stack first (so both
 * families are served), then IPv4. Returns the fd or -errno. */
static int bind_first(struct addrinfo *res, int any, unsigned *bound_port)
{
	int rc = -EADDRNOTAVAIL;

	for (int pass = 0; pass < 2; pass++) {
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			union {
				struct sockaddr sa;
				struct sockaddr_in in;
				struct sockaddr_in6 in6;
				struct sockaddr_storage ss;
			} addr = {0};
			socklen_t slen = sizeof(addr);
			int fd, one = 1, zero = 0;

			if (any && (pass == 0) != (ai->ai_family == AF_INET6))
				continue;
			if (!any && pass == 1)
				break;
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				rc = -errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6 && any)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0 &&
			    getsockname(fd, &addr.sa, &slen) == 0) {
				*bound_port =
					ntohs(addr.sa.sa_family == AF_INET6 ? addr.in6.sin6_port
									    : addr.in.sin_port);
				return fd;
			}
			rc = -errno;
			close(fd);
		}
	}
	return rc;
}

static int listen_on(const char *host_port, unsigned *bound_port)
{
	char host[256], port[8];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_ADDRCONFIG};
	struct addrinfo *res;
	int rc;

	if (split_host_port(host_port, host, sizeof(host), port, sizeof(port)) < 0)
		return -EINVAL;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return rc == EAI_SYSTEM ? -errno : -EINVAL;
	rc = bind_first(res, !host[0], bound_port);
	freeaddrinfo(res);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One connection: reading its request head, then writing its answer. */
struct conn {
	int fd; /* -1: a free slot */
	bool writing;
	int64_t opened, deadline;
	size_t len; /* request bytes read */
	char req[PE_PROM_REQ_MAX];
	char *out; /* the whole answer (malloc'd), sent from off */
	size_t out_len, off;
};

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

/* The whole answer in c->out: head and body. */
static void respond(struct conn *c, const char *status, const char *extra_head, const char *ctype,
		    const char *body, size_t len)
{
	FILE *m = open_memstream(&c->out, &c->out_len);

	c->writing = true;
	c->off = 0;
	if (!m)
		return; /* out of memory: nothing to send, the connection closes */
	fprintf(m,
		"HTTP/1.1 %s\r\n%sContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n",
		status, extra_head, ctype, len);
	fwrite(body, 1, len, m);
	if (fclose(m) != 0) {
		free(c->out);
		c->out = NULL;
		c->out_len = 0;
	}
}

static void serve_metrics(struct pe_prom_server *srv, struct conn *c)
{
	char *body = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&body, &len);
	int rc;

	if (!mem) {
		respond(c, "500 Internal Server Error", "", "text/plain", "out of memory\n", 14);
		return;
	}
	rc = srv->fn(mem, srv->arg);
	if (fclose(mem) != 0 || rc < 0)
		respond(c, "500 Internal Server Error", "", "text/plain", "render failed\n", 14);
	else
		respond(c, "200 OK", "", "text/plain; version=0.0.4; charset=utf-8", body, len);
	free(body);
}

static void handle_request(struct pe_prom_server *srv, struct conn *c)
{
	const char *path;
	size_t plen;

	if (strncmp(c->req, "GET ", 4) != 0) {
		/* RFC 9110 15.5.6: a 405 lists the allowed methods. */
		respond(c, "405 Method Not Allowed", "Allow: GET\r\n", "text/plain", "only GET\n",
			9);
		return;
	}
	path = c->req + 4;
	plen = strcspn(path, " ?\r\n");
	if (plen == 8 && strncmp(path, "/metrics", 8) == 0)
		serve_metrics(srv, c);
	else
		respond(c, "404 Not Found", "", "text/plain", "try /metrics\n", 13);
}

/* Readable: more of the head; a complete (or capped) head gets its answer. */
static void conn_read(struct pe_prom_server *srv, struct conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->len == sizeof(c->req) - 1)
		handle_request(srv, c);
}

static void conn_write(struct conn *c)
{
	ssize_t n;

	if (!c->out) {
		conn_close(c);
		return;
	}
	n = send(c->fd, c->out + c->off, c->out_len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(c); /* the scraper went away: nothing to do */
		return;
	}
	c->off += (size_t)n;
	if (c->off == c->out_len)
		conn_close(c);
}

/* A slot for a new connection: a free one, else the oldest still reading its head (an idle or
 * trickling client) is closed, else the oldest of all. */
static struct conn *conn_slot(struct conn *conns)
{
	struct conn *oldest_idle = NULL, *oldest = &conns[0];

	for (unsigned i = 0; i < PE_PROM_MAX_CONNS; i++) {
		struct conn *c = &conns[i];

		if (c->fd < 0)
			return c;
		if (!c->writing && (!oldest_idle || c->opened < oldest_idle->opened))
			oldest_idle = c;
		if (c->opened < oldest->opened)
			oldest = c;
	}
	if (oldest_idle)
		oldest = oldest_idle;
	conn_close(oldest);
	return oldest;
}

static void accept_one(struct pe_prom_server *srv, struct conn *conns)
{
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *c;

	if (fd < 0) {
		/* Out of fds or memory: the connection stays queued, so the socket stays readable
		 * and an immediate retry would spin; pause (a stop still ends it). */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			struct pollfd p = {.fd = srv->stop_pipe[0], .events = POLLIN};

			poll(&p, 1, 100);
		}
		return; /* a reset before accept...: try again on the next event */
	}
	c = conn_slot(conns);
	*c = (struct conn){.fd = fd, .opened = now_ms()};
	c->deadline = c->opened + PE_PROM_CONN_MS;
}

/* Every connection is served from this one poll loop: a slow or idle client costs a slot and
 * its deadline, never the others' time. */
static void *prom_thread(void *p)
{
	struct pe_prom_server *srv = p;
	struct conn *conns = srv->conns;
	struct pollfd pfd[2 + PE_PROM_MAX_CONNS];

	for (;;) {
		int64_t now = now_ms(), wait = -1;
		unsigned n = 2;
		struct conn *map[PE_PROM_MAX_CONNS];

		pfd[0] = (struct pollfd){.fd = srv->listen_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = srv->stop_pipe[0], .events = POLLIN};
		for (unsigned i = 0; i < PE_PROM_MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			if (c->fd >= 0 && now >= c->deadline)
				conn_close(c); /* its budget is spent (slowloris, slow reader) */
			if (c->fd < 0)
				continue;
			if (wait < 0 || c->deadline - now < wait)
				wait = c->deadline - now;
			map[n - 2] = c;
			pfd[n++] = (struct pollfd){.fd = c->fd,
						   .events = c->writing ? POLLOUT : POLLIN};
		}
		if (poll(pfd, n, (int)wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		for (unsigned i = 2; i < n; i++) {
			struct conn *c = map[i - 2];

			if (!pfd[i].revents)
				continue;
			if (c->writing)
				conn_write(c);
			else
				conn_read(srv, c);
		}
		if (pfd[0].revents & POLLIN)
			accept_one(srv, conns);
	}
	for (unsigned i = 0; i < PE_PROM_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	return NULL;
}

struct pe_prom_server *pe_prom_server_start(const char *host_port, pe_prom_render_fn fn, void *arg)
{
	struct pe_prom_server *srv;
	int rc;

	if (!fn) {
		errno = EINVAL;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->fn = fn;
	srv->arg = arg;
	srv->listen_fd = listen_on(host_port, &srv->port);
	if (srv->listen_fd < 0) {
		rc = srv->listen_fd;
		goto fail;
	}
	srv->conns = calloc(PE_PROM_MAX_CONNS, sizeof(*srv->conns));
	if (!srv->conns) {
		rc = -ENOMEM;
		goto fail_fd;
	}
	for (unsigned i = 0; i < PE_PROM_MAX_CONNS; i++)
		srv->conns[i].fd = -1;
	if (pipe2(srv->stop_pipe, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail_fd;
	}
	rc = -pthread_create(&srv->thread, NULL, prom_thread, srv);
	if (rc < 0)
		goto fail_pipe;
	return srv;

fail_pipe:
	close(srv->stop_pipe[0]);
	close(srv->stop_pipe[1]);
fail_fd:
	free(srv->conns);
	close(srv->listen_fd);
fail:
	free(srv);
	errno = -rc;
	return NULL;
}

unsigned pe_prom_server_port(const struct pe_prom_server *srv)
{
	return srv ? srv->port : 0;
}

void pe_prom_server_stop(struct pe_prom_server *srv)
{
	ssize_t n;

	if (!srv)
		return;
	do
		n = write(srv->stop_pipe[1], "x", 1);
	while (n < 0 && errno == EINTR);
	pthread_join(srv->thread, NULL);
	close(srv->stop_pipe[0]);
	close(srv->stop_pipe[1]);
	close(srv->listen_fd);
	free(srv->conns);
	free(srv);
}
