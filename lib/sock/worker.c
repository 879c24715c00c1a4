/* SPDX-License-Identifier: MIT */
/* Per-thread sockets shared by the epoll, nonblocking and sigio workers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "sock_priv.h"

int sock_worker_init(struct worker *w)
{
	struct pe_sock_server *srv = w->srv;
	const struct pe_sock_cfg *cfg = &srv->cfg;
	for (unsigned i = 0; i < PE_SOCK_MAX_ADDRS; i++)
		w->udp_fd[i] = -1;
	if (cfg->n_udp) {
		w->batch = pe_udp_batch_create(UDP_VLEN, cfg->udp_buf);
		if (!w->batch)
			return -errno;
	}
	for (unsigned i = 0; i < cfg->n_udp; i++) {
		int fd = sock_server_socket(srv, PE_SOCK_UDP, i, O_NONBLOCK);
		if (fd < 0)
			return fd;
		w->udp_port[w->n_udp] = sock_addr_port(&srv->bound[PE_SOCK_UDP][i]);
		w->udp_fd[w->n_udp++] = fd;
	}
	return 0;
}

int sock_worker_add_listeners(struct worker *w)
{
	struct pe_sock_server *srv = w->srv;
	const struct pe_sock_cfg *cfg = &srv->cfg;
	/* One listener per thread in an SO_REUSEPORT group: the kernel spreads connections. */
	for (unsigned i = 0; i < cfg->n_tcp + cfg->n_sendfile; i++) {
		bool sf = i >= cfg->n_tcp;
		unsigned j = sf ? i - cfg->n_tcp : i;
		int fd =
			sock_server_socket(srv, sf ? PE_SOCK_SENDFILE : PE_SOCK_TCP, j, O_NONBLOCK);
		if (fd < 0)
			return fd;
		w->lis_fd[w->n_lis] = fd;
		w->lis_sf[w->n_lis++] = sf ? (int)j : -1;
	}
	return 0;
}

int sock_workers_init_owning(struct pe_sock_server *srv)
{
	int rc = 0;
	for (unsigned i = 0; i < srv->cfg.threads && rc == 0; i++) {
		rc = sock_worker_init(&srv->workers[i]);
		if (rc == 0)
			rc = sock_worker_add_listeners(&srv->workers[i]);
	}
	return rc;
}

void sock_worker_fini(struct worker *w)
{
	while (w->conns) {
		struct conn *c = w->conns;
		sock_conn_close(c);
		free(c);
	}
	for (unsigned i = 0; i < w->n_udp; i++)
		close(w->udp_fd[i]);
	for (unsigned i = 0; i < w->n_lis; i++)
		close(w->lis_fd[i]);
	w->n_udp = w->n_lis = 0;
	pe_udp_batch_destroy(w->batch);
	w->batch = NULL;
}

void sock_worker_reap(struct worker *w, int spare)
{
	if (w->started) {
		pthread_join(w->tid, NULL);
		return;
	}
	sock_worker_fini(w);
	if (spare >= 0)
		close(spare);
}
