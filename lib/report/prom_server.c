/* SPDX-License-Identifier: MIT */
/* A minimal HTTP/1.x responder for Prometheus scrapes: GET /metrics, one connection at a time on
 * its own thread, never touching the services' hot paths. */
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
 * (slowloris) or reads slowly must not hold the one-at-a-time endpoint, nor delay its stop. */
#define PE_PROM_CONN_MS 2000

struct pe_prom_server {
	int listen_fd;
	int stop_pipe[2];
	unsigned port;
	pe_prom_render_fn fn;
	void *arg;
	pthread_t thread;
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
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0 &&
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

/* Waits until fd is ready for events, the connection's deadline passes or a stop is asked.
 * 1 ready, 0 otherwise. */
static int conn_wait(const struct pe_prom_server *srv, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd, .events = events},
					{.fd = srv->stop_pipe[0], .events = POLLIN}};
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(pfd, 2, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || pfd[1].revents)
			return 0;
		return 1;
	}
}

static void write_all(const struct pe_prom_server *srv, int fd, const char *buf, size_t len,
		      int64_t deadline)
{
	while (len > 0) {
		ssize_t n;

		if (!conn_wait(srv, fd, POLLOUT, deadline))
			return; /* too slow a reader, or stopping */
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return; /* the scraper went away: nothing to do */
		buf += n;
		len -= (size_t)n;
	}
}

static void respond(const struct pe_prom_server *srv, int fd, int64_t deadline, const char *status,
		    const char *extra_head, const char *ctype, const char *body, size_t len)
{
	char head[320];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\n%sContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, extra_head, ctype, len);

	write_all(srv, fd, head, (size_t)n, deadline);
	write_all(srv, fd, body, len, deadline);
}

/* Reads until the end of the request head, the cap, the deadline or a stop; 0-terminated.
 * Returns the bytes read, 0 when the head did not come complete in time (no answer then). */
static size_t read_request(const struct pe_prom_server *srv, int fd, char *buf, size_t cap,
			   int64_t deadline)
{
	size_t len = 0;

	buf[0] = '\0';
	while (len < cap - 1) {
		ssize_t n;

		if (!conn_wait(srv, fd, POLLIN, deadline))
			return 0;
		n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			break;
	}
	return len;
}

static void serve_metrics(struct pe_prom_server *srv, int fd, int64_t deadline)
{
	char *body = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&body, &len);
	int rc;

	if (!mem) {
		respond(srv, fd, deadline, "500 Internal Server Error", "", "text/plain",
			"out of memory\n", 14);
		return;
	}
	rc = srv->fn(mem, srv->arg);
	if (fclose(mem) != 0 || rc < 0)
		respond(srv, fd, deadline, "500 Internal Server Error", "", "text/plain",
			"render failed\n", 14);
	else
		respond(srv, fd, deadline, "200 OK", "", "text/plain; version=0.0.4; charset=utf-8",
			body, len);
	free(body);
}

static void handle_conn(struct pe_prom_server *srv, int fd)
{
	char req[PE_PROM_REQ_MAX];
	int64_t deadline = now_ms() + PE_PROM_CONN_MS;
	const char *path;
	size_t plen;

	if (read_request(srv, fd, req, sizeof(req), deadline) == 0)
		return;
	if (strncmp(req, "GET ", 4) != 0) {
		/* RFC 9110 15.5.6: a 405 lists the allowed methods. */
		respond(srv, fd, deadline, "405 Method Not Allowed", "Allow: GET\r\n", "text/plain",
			"only GET\n", 9);
		return;
	}
	path = req + 4;
	plen = strcspn(path, " ?\r\n");
	if (plen == 8 && strncmp(path, "/metrics", 8) == 0)
		serve_metrics(srv, fd, deadline);
	else
		respond(srv, fd, deadline, "404 Not Found", "", "text/plain", "try /metrics\n", 13);
}

static void *prom_thread(void *p)
{
	struct pe_prom_server *srv = p;
	struct pollfd pfd[2] = {{.fd = srv->listen_fd, .events = POLLIN},
				{.fd = srv->stop_pipe[0], .events = POLLIN}};

	for (;;) {
		int fd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of fds or memory: the connection stays queued, so the socket stays
			 * readable and an immediate retry would spin; pause (a stop still ends it).
			 */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				poll(&pfd[1], 1, 100);
			continue; /* a reset before accept...: try again on the next event */
		}
		handle_conn(srv, fd);
		close(fd);
	}
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
	free(srv);
}
