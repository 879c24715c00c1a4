/* SPDX-License-Identifier: MIT */
/* The classic blocking UDP echo (recvfrom, sendto; two syscalls per datagram) and a classic
 * read/write TCP file server: the peers scripts/bench-sock measures pktecho against.
 *   classic_echo udp PORT [ADDR]     echo on ADDR:PORT (IPv4; 127.0.0.1 by default)
 *   classic_echo file PORT FILE      each connection gets FILE through read+write, then close */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int bound(int type, int port, const char *addr)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "classic_echo: not an IPv4 address: %s\n", addr);
		exit(2);
	}
	int fd = socket(AF_INET, type, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bind");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	signal(SIGPIPE, SIG_IGN);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "udp") == 0) {
		int fd = bound(SOCK_DGRAM, atoi(argv[2]), argc == 4 ? argv[3] : "127.0.0.1");
		int sz = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		/* SIGINT/SIGTERM interrupt recvfrom (no SA_RESTART): print the count and leave. */
		struct sigaction sa = {.sa_handler = on_stop};
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		unsigned long long echoed = 0;
		while (!stop) {
			struct sockaddr_storage src;
			socklen_t len = sizeof(src);
			ssize_t n =
				recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &len);
			if (n >= 0 &&
			    sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&src, len) >= 0)
				echoed++;
		}
		printf("echoed=%llu\n", echoed);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "file") == 0) {
		int l = bound(SOCK_STREAM, atoi(argv[2]), "127.0.0.1");
		listen(l, 128);
		for (;;) {
			int c = accept(l, NULL, NULL);
			int f = open(argv[3], O_RDONLY);
			ssize_t n;
			while (c >= 0 && f >= 0 && (n = read(f, buf, sizeof(buf))) > 0)
				if (write(c, buf, (size_t)n) != n)
					break;
			if (f >= 0)
				close(f);
			if (c >= 0) {
				shutdown(c, SHUT_WR);
				while (read(c, buf, sizeof(buf)) > 0)
					;
				close(c);
			}
		}
	}
	fprintf(stderr, "usage: classic_echo udp PORT [ADDR] | file PORT FILE\n");
	return 2;
}
