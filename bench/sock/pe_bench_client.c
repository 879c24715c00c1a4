/* SPDX-License-Identifier: MIT */
/* Load client for scripts/bench-sock (a benchmark tool, not part of the product):
 *   udp HOST PORT SECONDS SIZE FLOWS WINDOW [RATE]  closed-loop UDP echo load: WINDOW
 *                                             datagrams in flight per flow, at most RATE
 *                                             datagrams/s in all when given; prints echoed pps
 *   flood HOST PORT SECONDS SIZE FLOWS        open-loop UDP: sendmmsg as fast as possible and
 *                                             never read (the replies are dropped at our
 *                                             socket), so the server, not this client, is
 *                                             the bottleneck; prints sent pps
 *   pingpong HOST PORT SECONDS CONNS MSG      TCP: each connection sends MSG bytes and waits for
 *                                             them back; prints messages/s and MiB/s
 *   stream HOST PORT BYTES                    TCP: send BYTES while reading the echo back
 *   sink HOST PORT CONNS                      TCP: CONNS connections in turn, read to EOF
 * Output: one line "key=value ..." for the script to parse. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct sockaddr_in target(const char *host, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "bad host %s\n", host);
		exit(2);
	}
	return a;
}

#define BATCH 32

static int udp(char **argv)
{
	struct sockaddr_in a = target(argv[2], argv[3]);
	double secs = atof(argv[4]);
	size_t size = (size_t)atoi(argv[5]);
	int flows = atoi(argv[6]), window = atoi(argv[7]);
	double rate = argv[8] ? atof(argv[8]) : 0; /* 0: as fast as the window allows */
	int *fd = calloc((size_t)flows, sizeof(int));
	long *inflight = calloc((size_t)flows, sizeof(long));
	char *buf = calloc(BATCH, size + 1);
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){buf + i * (size + 1), size};
		m[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	for (int f = 0; f < flows; f++) {
		fd[f] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		int sz = 4 << 20;
		setsockopt(fd[f], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (connect(fd[f], (struct sockaddr *)&a, sizeof(a)) < 0)
			return perror("connect"), 1;
	}
	uint64_t rx = 0, tx = 0;
	double t0 = now(), end = t0 + secs, last_rx = t0;
	struct pollfd *p = calloc((size_t)flows, sizeof(*p));
	while (now() < end) {
		for (int f = 0; f < flows; f++) {
			/* refill the window */
			while (inflight[f] < window) {
				unsigned n = (unsigned)(window - inflight[f]);
				n = n > BATCH ? BATCH : n;
				if (rate > 0) { /* paced: no more than rate x elapsed sent so far */
					double allowed = rate * (now() - t0) - (double)tx;
					if (allowed < 1)
						break;
					n = allowed < n ? (unsigned)allowed : n;
				}
				int s = sendmmsg(fd[f], m, n, MSG_DONTWAIT);
				if (s <= 0)
					break;
				inflight[f] += s;
				tx += (uint64_t)s;
			}
			for (;;) {
				for (int i = 0; i < BATCH; i++)
					iov[i].iov_len = size + 1;
				int r = recvmmsg(fd[f], m, BATCH, MSG_DONTWAIT, NULL);
				for (int i = 0; i < BATCH; i++)
					iov[i].iov_len = size;
				if (r <= 0)
					break;
				inflight[f] -= r;
				rx += (uint64_t)r;
				last_rx = now();
			}
			/* Lost datagrams would shrink the window for good: refill after a quiet
			 * spell. */
			if (now() - last_rx > 0.05) {
				inflight[f] = 0;
				last_rx = now();
			}
			p[f] = (struct pollfd){fd[f], POLLIN, 0};
		}
		poll(p, (nfds_t)flows, 1);
	}
	double el = now() - t0;
	printf("rx=%llu tx=%llu seconds=%.3f pps=%.0f\n", (unsigned long long)rx,
	       (unsigned long long)tx, el, (double)rx / el);
	return 0;
}

static int flood(char **argv)
{
	struct sockaddr_in a = target(argv[2], argv[3]);
	double secs = atof(argv[4]);
	size_t size = (size_t)atoi(argv[5]);
	int flows = atoi(argv[6]);
	char *buf = calloc(1, size + 1);
	struct mmsghdr m[64];
	struct iovec iov = {buf, size};
	for (int i = 0; i < 64; i++)
		m[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	int *fd = calloc((size_t)flows, sizeof(int));
	for (int f = 0; f < flows; f++) {
		fd[f] = socket(AF_INET, SOCK_DGRAM, 0);
		int small = 1; /* the kernel's minimum: replies are dropped on arrival */
		setsockopt(fd[f], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		if (connect(fd[f], (struct sockaddr *)&a, sizeof(a)) < 0)
			return perror("connect"), 1;
	}
	uint64_t tx = 0;
	double t0 = now(), end = t0 + secs;
	for (unsigned k = 0;; k++) {
		if ((k & 15) == 0 && now() >= end)
			break;
		int s = sendmmsg(fd[k % (unsigned)flows], m, 64, 0);
		if (s > 0)
			tx += (uint64_t)s;
	}
	double el = now() - t0;
	printf("tx=%llu seconds=%.3f pps=%.0f\n", (unsigned long long)tx, el, (double)tx / el);
	return 0;
}

static int tcp_connect(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)a, sizeof(*a)) < 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

struct pp {
	int fd;
	size_t sent, got;
};

static int pingpong(char **argv)
{
	struct sockaddr_in a = target(argv[2], argv[3]);
	double secs = atof(argv[4]);
	int n = atoi(argv[5]);
	size_t msg = (size_t)atoi(argv[6]);
	char *out = calloc(1, msg), *in = malloc(msg);
	struct pp *c = calloc((size_t)n, sizeof(*c));
	int ep = epoll_create1(0);
	for (int i = 0; i < n; i++) {
		c[i].fd = tcp_connect(&a);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c[i]};
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
		if (write(c[i].fd, out, msg) != (ssize_t)msg) /* 16 KiB fits a socket buffer */
			return perror("write"), 1;
	}
	uint64_t msgs = 0;
	double t0 = now(), end = t0 + secs;
	struct epoll_event evs[64];
	while (now() < end) {
		int k = epoll_wait(ep, evs, 64, 100);
		for (int i = 0; i < k; i++) {
			struct pp *p = evs[i].data.ptr;
			ssize_t r = read(p->fd, in, msg - p->got);
			if (r <= 0)
				return fprintf(stderr, "connection lost\n"), 1;
			p->got += (size_t)r;
			if (p->got == msg) {
				p->got = 0;
				msgs++;
				if (write(p->fd, out, msg) != (ssize_t)msg)
					return perror("write"), 1;
			}
		}
	}
	double el = now() - t0;
	printf("messages=%llu seconds=%.3f msg_per_s=%.0f mib_per_s=%.1f\n",
	       (unsigned long long)msgs, el, (double)msgs / el,
	       (double)msgs * (double)msg / el / 1048576.0);
	return 0;
}

struct stream_arg {
	int fd;
	uint64_t bytes;
};

static void *stream_send(void *arg)
{
	struct stream_arg *s = arg;
	static char buf[1 << 16];
	uint64_t left = s->bytes;
	while (left) {
		ssize_t w = write(s->fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (w <= 0)
			break;
		left -= (uint64_t)w;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

static int stream(char **argv)
{
	struct sockaddr_in a = target(argv[2], argv[3]);
	struct stream_arg s = {tcp_connect(&a), strtoull(argv[4], NULL, 10)};
	pthread_t t;
	double t0 = now();
	pthread_create(&t, NULL, stream_send, &s);
	static char buf[1 << 16];
	uint64_t got = 0;
	ssize_t r;
	while ((r = read(s.fd, buf, sizeof(buf))) > 0)
		got += (uint64_t)r;
	pthread_join(t, NULL);
	double el = now() - t0;
	printf("bytes=%llu seconds=%.3f mib_per_s=%.1f ok=%d\n", (unsigned long long)got, el,
	       (double)got / el / 1048576.0, got == s.bytes);
	return got == s.bytes ? 0 : 1;
}

static int sink(char **argv)
{
	struct sockaddr_in a = target(argv[2], argv[3]);
	int n = atoi(argv[4]);
	static char buf[1 << 16];
	uint64_t got = 0;
	double t0 = now();
	for (int i = 0; i < n; i++) {
		int fd = tcp_connect(&a);
		ssize_t r;
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			got += (uint64_t)r;
		close(fd);
	}
	double el = now() - t0;
	printf("bytes=%llu seconds=%.3f mib_per_s=%.1f\n", (unsigned long long)got, el,
	       (double)got / el / 1048576.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 8 && strcmp(argv[1], "udp") == 0)
		return udp(argv);
	if (argc >= 7 && strcmp(argv[1], "flood") == 0)
		return flood(argv);
	if (argc >= 7 && strcmp(argv[1], "pingpong") == 0)
		return pingpong(argv);
	if (argc >= 5 && strcmp(argv[1], "stream") == 0)
		return stream(argv);
	if (argc >= 5 && strcmp(argv[1], "sink") == 0)
		return sink(argv);
	fprintf(stderr, "usage: see the comment at the top of pe_bench_client.c\n");
	return 2;
}
