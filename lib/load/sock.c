/* SPDX-License-Identifier: MIT */
/* What the socket backends (udp.c, tcp.c) share: opening the flows, socket buffers, and the
 * worker's epoll set and wait. */
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "load_priv.h"

#define NANO 1000000000ull

int load_sock_setup(struct pe_load *l)
{
	for (unsigned i = 0; i < l->cfg.flows; i++) {
		int rc = l->be->open_flow(l, &l->flows[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void load_sock_buffers(int fd, int bytes)
{
	/* FORCE works for root beyond rmem_max/wmem_max; otherwise the capped request is fine. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

int load_sock_worker_init(struct load_worker *w)
{
	struct epoll_event ev = {.events = EPOLLIN};

	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		return -errno;
	for (unsigned i = 0; i < w->n_flows; i++) {
		ev.data.u32 = i;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->flows[i].fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

void load_sock_worker_fini(struct load_worker *w)
{
	if (w->ep > 0)
		close(w->ep);
	w->ep = -1;
}

void load_sock_poll(struct load_worker *w, uint64_t wait_ns)
{
	struct epoll_event ev[64];
	struct timespec ts = {.tv_sec = (time_t)(wait_ns / NANO),
			      .tv_nsec = (long)(wait_ns % NANO)};
	int n = epoll_pwait2(w->ep, ev, 64, &ts, NULL);

	for (int i = 0; i < n; i++)
		w->l->be->ready(w, &w->flows[ev[i].data.u32], ev[i].events);
}
