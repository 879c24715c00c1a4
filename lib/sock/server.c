/* SPDX-License-Identifier: MIT */
/* The server: configuration, binding, and the IO model that runs it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pe_config.h"
#include "sock_priv.h"

static const char *const model_names[PE_IO_MODEL_MAX] = {
	[PE_IO_BLOCKING] = "blocking", [PE_IO_NONBLOCKING] = "nonblocking",
	[PE_IO_EPOLL] = "epoll",       [PE_IO_SIGIO] = "sigio",
	[PE_IO_URING] = "uring",
};

static const struct model_ops *const model_ops[PE_IO_MODEL_MAX] = {
	[PE_IO_BLOCKING] = &sock_model_blocking, [PE_IO_NONBLOCKING] = &sock_model_nonblocking,
	[PE_IO_EPOLL] = &sock_model_epoll,	 [PE_IO_SIGIO] = &sock_model_sigio,
	[PE_IO_URING] = &sock_model_uring,
};

int pe_io_model_parse(const char *text, enum pe_io_model *m)
{
	for (int i = 0; i < PE_IO_MODEL_MAX; i++) {
		if (strcmp(text, model_names[i]) == 0) {
			*m = (enum pe_io_model)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *pe_io_model_name(enum pe_io_model m)
{
	return (unsigned)m < PE_IO_MODEL_MAX ? model_names[m] : "unknown";
}

bool pe_io_model_available(enum pe_io_model m)
{
	if (m == PE_IO_URING)
		return PE_HAVE_IO_URING;
	return (unsigned)m < PE_IO_MODEL_MAX;
}

void pe_sock_cfg_init(struct pe_sock_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->model = PE_IO_EPOLL;
	cfg->threads = 1;
	cfg->high_water = PE_SOCK_DEFAULT_HIGH_WATER;
	cfg->max_buffer = PE_SOCK_DEFAULT_MAX_BUFFER;
	cfg->udp_buf = PE_SOCK_UDP_BUF;
}

unsigned pe_sock_stats_blocks(const struct pe_sock_cfg *cfg)
{
	if (cfg->model == PE_IO_BLOCKING) /* a block per UDP thread and per listener */
		return cfg->n_udp * cfg->threads + cfg->n_tcp + cfg->n_sendfile;
	return cfg->threads;
}

static int open_files(struct pe_sock_server *srv, const char **what)
{
	for (unsigned i = 0; i < srv->cfg.n_sendfile; i++) {
		int fd = open(srv->cfg.sendfile[i].path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			int rc = fd < 0 ? -errno : -EINVAL;
			if (fd >= 0)
				close(fd);
			*what = "--sendfile FILE";
			return rc;
		}
		srv->file_fd[i] = fd;
		srv->file_size[i] = st.st_size;
	}
	return 0;
}

/* The blocking model: "thread<i>" for each UDP thread, then "accept<l>" for each listener (its
 * accept thread and its connection threads). */
static void label_blocking(struct pe_sock_server *srv)
{
	const struct pe_sock_cfg *cfg = &srv->cfg;
	char name[PE_STATS_LABEL_LEN];
	unsigned n_udp = cfg->n_udp * cfg->threads;
	for (unsigned i = 0; i < pe_sock_stats_blocks(cfg); i++) {
		if (i < n_udp)
			snprintf(name, sizeof(name), "thread%u", i);
		else
			snprintf(name, sizeof(name), "accept%u", i - n_udp);
		pe_stats_block_label(pe_stats_block(srv->stats, i), name, UINT32_MAX, UINT32_MAX,
				     i < n_udp ? (int32_t)i : -1);
	}
}

/* The other models: "thread<i>" for each worker (the acceptor counts nothing of its own). */
static void label_blocks(struct pe_sock_server *srv)
{
	char name[PE_STATS_LABEL_LEN];
	for (unsigned i = 0; i < srv->cfg.threads; i++) {
		srv->workers[i].srv = srv;
		srv->workers[i].index = i;
	}
	if (srv->cfg.model == PE_IO_BLOCKING) {
		label_blocking(srv);
		return;
	}
	for (unsigned i = 0; i < srv->cfg.threads; i++) {
		snprintf(name, sizeof(name), "thread%u", i);
		struct pe_stats_block *b = pe_stats_block(srv->stats, i);
		pe_stats_block_label(b, name, UINT32_MAX, UINT32_MAX, (int32_t)i);
		srv->workers[i].st = b;
	}
}

static void close_fds(struct pe_sock_server *srv)
{
	for (int k = 0; k < 3; k++)
		for (unsigned i = 0; i < PE_SOCK_MAX_ADDRS; i++)
			if (srv->seed[k][i] >= 0) {
				close(srv->seed[k][i]);
				srv->seed[k][i] = -1;
			}
	for (unsigned i = 0; i < PE_SOCK_MAX_ADDRS; i++)
		if (srv->file_fd[i] >= 0) {
			close(srv->file_fd[i]);
			srv->file_fd[i] = -1;
		}
}

static int check_cfg(const struct pe_sock_cfg *cfg, const char **what)
{
	if (cfg->threads == 0 || cfg->threads > PE_SOCK_MAX_THREADS) {
		*what = "--threads";
		return -EINVAL;
	}
	if (cfg->n_udp + cfg->n_tcp + cfg->n_sendfile == 0) {
		*what = "addresses";
		return -EINVAL;
	}
	if (!pe_io_model_available(cfg->model)) {
		*what = "--io-model";
		return -ENOTSUP;
	}
	if (!cfg->pkt || cfg->high_water < 2 || cfg->udp_buf == 0) {
		*what = "configuration";
		return -EINVAL;
	}
	return 0;
}

struct pe_sock_server *pe_sock_server_create(const struct pe_sock_cfg *cfg, struct pe_stats *stats,
					     const char **what)
{
	static const char *dummy;
	if (!what)
		what = &dummy;
	int rc = check_cfg(cfg, what);
	if (rc == 0 && (!stats || pe_stats_count(stats) < pe_sock_stats_blocks(cfg))) {
		*what = "statistics blocks";
		rc = -EINVAL;
	}
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	struct pe_sock_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->cfg = *cfg;
	srv->stats = stats;
	memset(srv->seed, -1, sizeof(srv->seed));
	memset(srv->file_fd, -1, sizeof(srv->file_fd));
	srv->workers = calloc(cfg->threads, sizeof(*srv->workers));
	if (!srv->workers) {
		free(srv);
		return NULL;
	}
	label_blocks(srv);
	rc = open_files(srv, what);
	if (rc == 0)
		rc = sock_bind_seeds(srv, what);
	if (rc == 0) {
		*what = pe_io_model_name(cfg->model);
		rc = model_ops[cfg->model]->start(srv, what);
	}
	if (rc < 0) {
		close_fds(srv);
		free(srv->workers);
		free(srv);
		errno = -rc;
		return NULL;
	}
	return srv;
}

void pe_sock_server_destroy(struct pe_sock_server *srv)
{
	if (!srv)
		return;
	atomic_store(&srv->stop, true);
	model_ops[srv->cfg.model]->stop(srv);
	close_fds(srv);
	free(srv->workers);
	free(srv);
}

int pe_sock_server_addr(const struct pe_sock_server *srv, enum pe_sock_kind kind, unsigned i,
			struct pe_sock_addr *out)
{
	unsigned n = kind == PE_SOCK_UDP   ? srv->cfg.n_udp
		     : kind == PE_SOCK_TCP ? srv->cfg.n_tcp
					   : srv->cfg.n_sendfile;
	if ((unsigned)kind > PE_SOCK_SENDFILE || i >= n)
		return -EINVAL;
	*out = srv->bound[kind][i];
	return 0;
}

void pe_sock_server_info(const struct pe_sock_server *srv, struct pe_sock_info *info)
{
	info->conns_active = atomic_load(&srv->conns_active);
	info->conns_refused = atomic_load(&srv->conns_refused);
	info->emfile = atomic_load(&srv->emfile);
	info->buffered = atomic_load(&srv->buffered);
}

static void heartbeat_ping(void *arg)
{
	struct worker *w = arg;
	atomic_fetch_add(&w->heartbeat, 1);
}

int pe_sock_server_heartbeats(struct pe_sock_server *srv, uint64_t *out, unsigned max)
{
	unsigned n = 0;

	if (model_ops[srv->cfg.model]->heartbeats)
		return (int)model_ops[srv->cfg.model]->heartbeats(srv, out, max);
	for (; n < srv->cfg.threads && n < max; n++) {
		struct worker *w = &srv->workers[n];
		out[n] = atomic_load(&w->heartbeat);
		if (w->loop)
			pe_loop_post(w->loop, heartbeat_ping, w); /* fails only out of memory */
	}
	return (int)n;
}
