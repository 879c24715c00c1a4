/* SPDX-License-Identifier: MIT */
/* The batching-only peer: a plain UDP echo with recvmmsg/sendmmsg of up to 64 datagrams, no
 * policy, no control messages, no GSO. scripts/bench-sock measures pktecho against it to show
 * what batching alone buys.   mmsg_echo PORT [ADDR]   (ADDR default 127.0.0.1) */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#define VLEN 64
static volatile sig_atomic_t stop;
static void on_stop(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return fputs("usage: mmsg_echo PORT [ADDR]\n", stderr), 2;
	static char buf[VLEN][2048];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))},
			   src[VLEN];
	struct mmsghdr in[VLEN], out[VLEN];
	struct iovec iov[VLEN], oiov[VLEN];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 4 << 20;
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: the signal ends recvmmsg */
	if (inet_pton(AF_INET, argc > 2 ? argv[2] : "127.0.0.1", &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return perror("mmsg_echo: bind"), 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	unsigned long long echoed = 0;
	while (!stop) {
		for (int i = 0; i < VLEN; i++) {
			iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
			in[i].msg_hdr = (struct msghdr){.msg_name = &src[i],
							.msg_namelen = sizeof(src[i]),
							.msg_iov = &iov[i],
							.msg_iovlen = 1};
		}
		int n = recvmmsg(fd, in, VLEN, MSG_WAITFORONE, NULL);
		for (int i = 0; i < n; i++) {
			oiov[i] = (struct iovec){buf[i], in[i].msg_len};
			out[i].msg_hdr = (struct msghdr){.msg_name = &src[i],
							 .msg_namelen = in[i].msg_hdr.msg_namelen,
							 .msg_iov = &oiov[i],
							 .msg_iovlen = 1};
		}
		int s = n > 0 ? sendmmsg(fd, out, (unsigned)n, 0) : 0;
		echoed += s > 0 ? (unsigned)s : 0;
	}
	printf("echoed=%llu\n", echoed);
	return 0;
}
