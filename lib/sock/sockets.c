/* SPDX-License-Identifier: MIT */
/* Addresses and sockets: parsing, SO_REUSEPORT groups, accept with the spare-fd trick. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock_priv.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v > 65535 || *s == '-' || *s == '+')
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int pe_sock_addr_parse(const char *text, struct pe_sock_addr *a)
{
	const char *colon = strrchr(text, ':');
	char host[64];
	uint16_t port;
	if (!colon || (size_t)(colon - text) >= sizeof(host) || parse_port(colon + 1, &port) < 0)
		return -EINVAL;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	memset(a, 0, sizeof(*a));
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		a->len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	a->len = sizeof(*s4);
	if (hl == 0 || strcmp(host, "*") == 0)
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

const char *pe_sock_addr_str(const struct pe_sock_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	}
	return buf;
}

uint16_t sock_addr_port(const struct pe_sock_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

/* The file status flags of fd become fl for the bits in mask. */
static int set_fl(int fd, int mask, int fl)
{
	int cur = fcntl(fd, F_GETFL);
	if (cur < 0)
		return -errno;
	return fcntl(fd, F_SETFL, (cur & ~mask) | (fl & mask)) < 0 ? -errno : 0;
}

static bool addr_wildcard(const struct pe_sock_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

static int open_bound(const struct pe_sock_addr *a, enum pe_sock_kind kind)
{
	int type = kind == PE_SOCK_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int on = 1, rc = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		rc = -errno;
	/* IPv6 sockets serve IPv6 only: IPv4 is its own --udp/--tcp address. */
	if (!rc && a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		rc = -errno;
	if (!rc && kind == PE_SOCK_UDP) {
		int sz = 4 << 20; /* absorb bursts; capped by net.core.rmem_max */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		/* The destination of each datagram is needed only where the socket may receive
		 * broadcast or multicast and answer from another address: a wildcard bind. A
		 * socket bound to a unicast address receives only what is sent to that address
		 * and answers from it (no control message on either side). */
		if (addr_wildcard(a))
			rc = pe_udp_enable_pktinfo(fd, a->ss.ss_family);
	}
	if (!rc && bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		rc = -errno;
	if (!rc && kind != PE_SOCK_UDP && listen(fd, 1024) < 0)
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int sock_bind_seeds(struct pe_sock_server *srv, const char **what)
{
	const struct pe_sock_cfg *cfg = &srv->cfg;
	unsigned n[3] = {cfg->n_udp, cfg->n_tcp, cfg->n_sendfile};
	for (int k = 0; k < 3; k++) {
		for (unsigned i = 0; i < n[k]; i++) {
			const struct pe_sock_addr *a = k == PE_SOCK_UDP	  ? &cfg->udp[i]
						       : k == PE_SOCK_TCP ? &cfg->tcp[i]
									  : &cfg->sendfile[i].addr;
			int fd = open_bound(a, (enum pe_sock_kind)k);
			if (fd < 0) {
				/* Name the address: "Address already in use" alone does not
				 * say which of several. An error path: a static buffer. */
				static _Thread_local char buf[96];
				char addr[80];
				snprintf(buf, sizeof(buf), "%s %s",
					 k == PE_SOCK_UDP   ? "--udp"
					 : k == PE_SOCK_TCP ? "--tcp"
							    : "--sendfile",
					 pe_sock_addr_str(a, addr, sizeof(addr)));
				*what = buf;
				return fd;
			}
			srv->seed[k][i] = fd;
			struct pe_sock_addr *b = &srv->bound[k][i];
			b->len = sizeof(b->ss);
			getsockname(fd, (struct sockaddr *)&b->ss, &b->len);
		}
	}
	return 0;
}

int sock_server_socket(struct pe_sock_server *srv, enum pe_sock_kind kind, unsigned i, int fl)
{
	int fd = srv->seed[kind][i];
	if (fd >= 0)
		srv->seed[kind][i] = -1;
	else
		fd = open_bound(&srv->bound[kind][i], kind);
	if (fd >= 0 && set_fl(fd, O_NONBLOCK, fl) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

bool sock_conn_admit(struct pe_sock_server *srv)
{
	uint64_t now = atomic_fetch_add(&srv->conns_active, 1) + 1;
	if (srv->cfg.max_conns && now > srv->cfg.max_conns) {
		atomic_fetch_sub(&srv->conns_active, 1);
		atomic_fetch_add(&srv->conns_refused, 1);
		return false;
	}
	return true;
}

int sock_accept(struct pe_sock_server *srv, int lfd, int *spare, int flags)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, flags | SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		int err = errno;
		if (err == EINTR || err == ECONNABORTED)
			continue;
		if (err == EWOULDBLOCK)
			return -EAGAIN;
		if (err != EMFILE && err != ENFILE)
			return -err;
		atomic_fetch_add(&srv->emfile, 1);
		if (*spare < 0)
			return -EMFILE;
		/* Out of fds: free the spare, take the connection off the backlog and close it
		 * (the peer sees a close instead of a hang), then take the spare back. */
		close(*spare);
		fd = accept(lfd, NULL, NULL);
		err = errno;
		if (fd >= 0) {
			close(fd);
			atomic_fetch_add(&srv->conns_refused, 1);
		}
		*spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return -ECONNREFUSED; /* one refused: the caller's budget decides on more */
		return err == EAGAIN || err == EWOULDBLOCK ? -EAGAIN : -EMFILE;
	}
}

void sock_tune_conn(int fd)
{
	/* An echo answers each segment at once: Nagle would hold the reply of a partial read
	 * back until the peer's (delayed) ACK. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
