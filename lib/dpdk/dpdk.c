/* SPDX-License-Identifier: MIT */
/* The service as a whole: creation of ports, counters and workers (the map: lcore_map.c),
 * start, the stop sequence (workers leave, queues drain, ports stop and close) and the leak check.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dpdk_priv.h"

/* How long a worker may take to leave its loop before it is interrupted, and given up on. */
#define PE_KICK_AFTER_MS 100
#define PE_GIVE_UP_MS	 1000

void dpdk_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pktecho-dpdk: %s\n", line);
}

void pe_dpdk_conf_init(struct pe_dpdk_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	pe_pkt_cfg_init(&conf->pkt);
	conf->rxq = 1;
	conf->txq = 1;
	conf->rxd = 1024;
	conf->txd = 1024;
	conf->burst = 32;
	conf->prefetch = -1;
}

static int stats_setup(struct pe_dpdk *d)
{
	unsigned nb = d->conf.n_map + d->n_ports, b = 0;
	char name[PE_STATS_LABEL_LEN];

	d->stats = pe_stats_create(nb, d->conf.stats_name);
	if (d->stats == NULL) {
		int err = errno;

		PE_DPDK_LOG("counters%s%s: %s", d->conf.stats_name ? " --stats-name " : "",
			    d->conf.stats_name ? d->conf.stats_name : "", strerror(err));
		return -err;
	}
	for (unsigned i = 0; i < d->conf.n_map; i++) {
		const struct pe_dpdk_map *m = &d->conf.map[i];

		snprintf(name, sizeof(name), "p%uq%u", m->port, m->queue);
		pe_stats_block_label(pe_stats_block(d->stats, b++), name, m->port, m->queue, -1);
	}
	for (uint16_t p = 0; p < d->n_ports; p++) {
		d->ports[p].blk = pe_stats_block(d->stats, b++);
		snprintf(name, sizeof(name), "p%u", d->ports[p].id);
		pe_stats_block_label(d->ports[p].blk, name, d->ports[p].id, UINT32_MAX, -1);
	}
	return 0;
}

static struct pe_dpdk_port *port_by_id(struct pe_dpdk *d, uint16_t id)
{
	for (uint16_t p = 0; p < d->n_ports; p++)
		if (d->ports[p].id == id)
			return &d->ports[p];
	return NULL;
}

static int workers_setup(struct pe_dpdk *d)
{
	for (unsigned i = 0; i < d->conf.n_map; i++) {
		const struct pe_dpdk_map *m = &d->conf.map[i];
		struct pe_dpdk_worker *w = d->workers[m->lcore];
		struct pe_dpdk_port *p = port_by_id(d, m->port);

		if (w == NULL) {
			w = rte_zmalloc_socket("pe_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
					       (int)rte_lcore_to_socket_id(m->lcore));
			if (w == NULL)
				w = rte_zmalloc("pe_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
			if (w == NULL) {
				PE_DPDK_LOG("lcore %u: cannot allocate its state", m->lcore);
				return -ENOMEM;
			}
			w->lcore = m->lcore;
			w->burst = d->conf.burst;
			w->mode = d->conf.pkt.mode;
			d->workers[m->lcore] = w;
			d->n_workers++;
		}
		w->rxq[w->n_rxq++] = (struct pe_dpdk_rxq){
			.port = m->port,
			.queue = m->queue,
			.vlan_hw = p->vlan_hw,
			.prefetch = p->prefetch,
			.cfg = &p->cfg,
			.st = pe_stats_block(d->stats, i),
		};
	}
	/* The reply limits are per process: each worker gets an even share (service mode only;
	 * the l2/l4 reflectors are benchmark rigs). */
	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		struct pe_dpdk_worker *w = d->workers[l];
		const struct pe_pkt_cfg *c = &d->conf.pkt;

		if (w == NULL || c->mode != PE_MODE_SERVICE)
			continue;
		pe_rl_init(&w->rl, &c->reply_limit, &c->source_limit, d->n_workers,
			   rte_get_tsc_hz());
		w->live = c->live;
		if (pe_rl_changed(&w->rl, w->live))
			pe_rl_refresh(&w->rl, w->live);
		dpdk_worker_limits_on(w);
	}
	return 0;
}

struct pe_dpdk *pe_dpdk_create(const struct pe_dpdk_conf *conf)
{
	struct pe_dpdk *d;
	uint16_t pid;
	int ret = 0;

	d = rte_zmalloc("pe_dpdk", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d == NULL) {
		PE_DPDK_LOG("cannot allocate the service state (%zu bytes): give EAL more memory",
			    sizeof(*d));
		errno = ENOMEM;
		return NULL;
	}
	d->conf = *conf;
	RTE_ETH_FOREACH_DEV(pid)
	{
		if (d->n_ports < PE_DPDK_MAX_PORTS)
			d->ports[d->n_ports++].id = pid;
	}
	if (d->n_ports == 0) {
		PE_DPDK_LOG("no ports: add a vdev (--vdev net_...) or bind a NIC (docs/dpdk.md)");
		ret = -ENODEV;
		goto fail;
	}
	if (d->conf.n_map == 0)
		dpdk_map_default(&d->conf, d->n_ports);
	for (uint16_t p = 0; p < d->n_ports && ret == 0; p++)
		ret = dpdk_port_setup(d, &d->ports[p], d->ports[p].id);
	if (ret == 0)
		ret = stats_setup(d);
	if (ret == 0)
		ret = workers_setup(d);
	if (ret == 0)
		return d;
fail:
	pe_dpdk_destroy(d);
	errno = -ret;
	return NULL;
}

void pe_dpdk_destroy(struct pe_dpdk *d)
{
	if (d == NULL)
		return;
	if (pe_dpdk_stop(d) != 0)
		return; /* an lcore still runs over this state: leave it to the process exit */
	pe_dpdk_telemetry_register(NULL);
	for (unsigned l = 0; l < RTE_MAX_LCORE; l++)
		rte_free(d->workers[l]);
	for (uint16_t p = 0; p < d->n_ports; p++)
		rte_mempool_free(d->ports[p].pool);
	pe_stats_destroy(d->stats);
	rte_free(d);
}

static const char *socket_name(int socket, char *buf, size_t len)
{
	if (socket < 0)
		return "any";
	snprintf(buf, len, "%d", socket);
	return buf;
}

void pe_dpdk_print_placement(const struct pe_dpdk *d, FILE *out)
{
	char s1[16];

	fprintf(out, "pktecho-dpdk: mode %s, %u port(s), %u worker lcore(s), burst %u\n",
		pe_pkt_mode_name(d->conf.pkt.mode), d->n_ports, d->n_workers, d->conf.burst);
	for (uint16_t i = 0; i < d->n_ports; i++) {
		const struct pe_dpdk_port *p = &d->ports[i];
		const uint8_t *m = p->cfg.mac;

		fprintf(out,
			"port %u %s mac %02x:%02x:%02x:%02x:%02x:%02x socket %s: rxq %u txq %u rxd %u txd %u rss %s prefetch %s, pool %u mbufs (cache %u) on socket %d\n",
			p->id, p->name, m[0], m[1], m[2], m[3], m[4], m[5],
			socket_name(p->socket, s1, sizeof(s1)), p->rxq, p->txq, p->rxd, p->txd,
			p->rss ? "on" : "off", p->prefetch ? "on" : "off", p->pool_size,
			p->pool_cache, p->pool_socket);
	}
	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		const struct pe_dpdk_worker *w = d->workers[l];

		if (w == NULL)
			continue;
		fprintf(out, "lcore %u socket %u:", l, rte_lcore_to_socket_id(l));
		for (uint16_t i = 0; i < w->n_rxq; i++)
			fprintf(out, " p%uq%u", w->rxq[i].port, w->rxq[i].queue);
		fputc('\n', out);
		for (uint16_t i = 0; i < w->n_rxq; i++) {
			const struct pe_dpdk_port *p = NULL;

			for (uint16_t k = 0; k < d->n_ports; k++)
				if (d->ports[k].id == w->rxq[i].port)
					p = &d->ports[k];
			if (p != NULL && p->socket >= 0 &&
			    (unsigned)p->socket != rte_lcore_to_socket_id(l))
				PE_DPDK_LOG(
					"warning: lcore %u (socket %u) serves port %u on socket %d: every packet crosses NUMA nodes; pick lcores of socket %d",
					l, rte_lcore_to_socket_id(l), p->id, p->socket, p->socket);
		}
	}
}

static void on_kick(int sig)
{
	(void)sig; /* only interrupts a blocking syscall in a PMD (af_packet TX poll) */
}

/* The main lcore's queues: its thread stays free for reports and signals, so they run in a thread
 * of their own on the same CPU set, registered with the EAL to get a mempool cache. */
static void *main_worker(void *arg)
{
	int registered = rte_thread_register() == 0;

	dpdk_worker_main(arg);
	if (registered)
		rte_thread_unregister();
	return NULL;
}

static int main_worker_start(struct pe_dpdk *d, struct pe_dpdk_worker *w)
{
	int ret = pthread_create(&d->main_worker, NULL, main_worker, w);

	if (ret != 0) {
		PE_DPDK_LOG("lcore %u: cannot start its thread: %s", w->lcore, strerror(ret));
		return -ret;
	}
	pthread_setname_np(d->main_worker, "pe-main-worker");
	d->main_worker_running = true;
	return 0;
}

int pe_dpdk_start(struct pe_dpdk *d)
{
	struct sigaction sa;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick; /* no SA_RESTART: the blocked call returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	__atomic_store_n(&dpdk_quit, 0, __ATOMIC_RELAXED);
	for (uint16_t p = 0; p < d->n_ports; p++) {
		ret = dpdk_port_start(&d->ports[p], d->conf.pkt.promisc);
		if (ret != 0)
			return ret;
	}
	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		if (d->workers[l] == NULL)
			continue;
		if (l == rte_get_main_lcore()) {
			ret = main_worker_start(d, d->workers[l]);
			if (ret != 0)
				return ret;
			continue;
		}
		ret = rte_eal_remote_launch(dpdk_worker_main, d->workers[l], l);
		if (ret != 0) {
			PE_DPDK_LOG("lcore %u: launch failed: %s", l, strerror(-ret));
			pe_dpdk_request_stop();
			rte_eal_mp_wait_lcore();
			return ret;
		}
		d->launched = true;
	}
	return 0;
}

void pe_dpdk_request_stop(void)
{
	__atomic_store_n(&dpdk_quit, 1, __ATOMIC_RELAXED);
}

bool pe_dpdk_stop_requested(void)
{
	return __atomic_load_n(&dpdk_quit, __ATOMIC_RELAXED) != 0;
}

/* One line per link change: the lcores keep polling a port whose link is down. */
static void link_watch(struct pe_dpdk_port *p)
{
	struct rte_eth_link link;
	int up;

	if (rte_eth_link_get_nowait(p->id, &link) != 0)
		return;
	up = link.link_status == RTE_ETH_LINK_UP;
	if (p->link_up >= 0 && up != p->link_up)
		PE_DPDK_LOG("port %u (%s): link %s", p->id, p->name, up ? "up" : "down");
	p->link_up = up;
}

void pe_dpdk_poll_ports(struct pe_dpdk *d)
{
	struct rte_eth_stats es;

	for (uint16_t i = 0; i < d->n_ports; i++) {
		struct pe_dpdk_port *p = &d->ports[i];

		if (!p->started)
			continue;
		link_watch(p);
		if (rte_eth_stats_get(p->id, &es) != 0)
			continue;
		pe_stats_begin(p->blk);
		pe_ctr_set(&p->blk->c.rx_nombuf, es.rx_nombuf);
		pe_ctr_set(&p->blk->c.rx_missed, es.imissed);
		pe_stats_end(p->blk);
	}
}

static uint64_t now_ms(void)
{
	return pe_stats_now_ns() / 1000000;
}

/* Waits until every worker has left its loop. A PMD may block in a syscall (af_packet TX polls
 * with no timeout when its ring is full): SIGUSR1 makes that call return EINTR. */
static int workers_leave(struct pe_dpdk *d)
{
	uint64_t start = now_ms();
	struct timespec tick = {0, 10 * 1000 * 1000};

	for (;;) {
		unsigned busy = 0;
		uint64_t waited = now_ms() - start;

		for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
			struct pe_dpdk_worker *w = d->workers[l];

			if (w == NULL || !__atomic_load_n(&w->in_loop, __ATOMIC_ACQUIRE))
				continue;
			busy++;
			if (waited >= PE_KICK_AFTER_MS)
				pthread_kill(w->thread, SIGUSR1);
		}
		if (busy == 0)
			return 0;
		if (waited >= PE_GIVE_UP_MS) {
			PE_DPDK_LOG("%u lcore(s) did not leave the loop within %u ms", busy,
				    PE_GIVE_UP_MS);
			return -ETIMEDOUT;
		}
		nanosleep(&tick, NULL);
	}
}

int pe_dpdk_stop(struct pe_dpdk *d)
{
	if (d->stopped)
		return d->stuck ? -ETIMEDOUT : 0;
	d->stopped = true;
	pe_dpdk_request_stop();
	if (d->launched || d->main_worker_running) {
		if (workers_leave(d) != 0) {
			/* Closing ports under a running lcore would crash it: leave them open. */
			PE_DPDK_LOG("ports left open; exiting without cleanup");
			d->stuck = true;
			return -ETIMEDOUT;
		}
		rte_eal_mp_wait_lcore();
		d->launched = false;
	}
	if (d->main_worker_running) {
		pthread_join(d->main_worker, NULL);
		d->main_worker_running = false;
	}
	pe_dpdk_poll_ports(d);
	for (uint16_t p = 0; p < d->n_ports; p++)
		dpdk_port_drain(&d->ports[p]);
	for (uint16_t p = 0; p < d->n_ports; p++)
		dpdk_port_close(&d->ports[p]);
	return 0;
}

/* Mbufs of port p's pool that are not back: kept by its PMD (at most what the PMD is known to
 * keep) and the rest, which pktecho lost. */
static void pool_missing(const struct pe_dpdk_port *p, unsigned *kept, unsigned *lost)
{
	unsigned missing = p->pool->size - rte_mempool_avail_count(p->pool);

	*kept = RTE_MIN(missing, p->pmd_keeps);
	*lost = missing - *kept;
}

uint64_t pe_dpdk_leaked(const struct pe_dpdk *d)
{
	uint64_t leaked = 0;

	if (d->stuck)
		return 0; /* the pools are still in use: nothing to count */
	for (uint16_t i = 0; i < d->n_ports; i++) {
		const struct pe_dpdk_port *p = &d->ports[i];
		unsigned kept, lost;

		if (p->pool == NULL)
			continue;
		pool_missing(p, &kept, &lost);
		if (lost != 0) {
			PE_DPDK_LOG("leak: port %u pool %s: %u of %u mbufs not returned%s", p->id,
				    p->pool->name, lost, p->pool->size,
				    kept != 0 ? " (besides those its PMD keeps)" : "");
			leaked += lost;
		}
	}
	return leaked;
}

uint64_t pe_dpdk_pmd_kept(const struct pe_dpdk *d)
{
	uint64_t kept_total = 0;

	if (d->stuck)
		return 0;
	for (uint16_t i = 0; i < d->n_ports; i++) {
		unsigned kept, lost;

		if (d->ports[i].pool == NULL)
			continue;
		pool_missing(&d->ports[i], &kept, &lost);
		kept_total += kept;
	}
	return kept_total;
}

struct pe_stats *pe_dpdk_stats(struct pe_dpdk *d)
{
	return d->stats;
}

uint16_t pe_dpdk_port_count(const struct pe_dpdk *d)
{
	return d->n_ports;
}

unsigned pe_dpdk_heartbeats(const struct pe_dpdk *d, uint64_t *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned l = 0; l < RTE_MAX_LCORE && n < max; l++)
		if (d->workers[l] != NULL)
			out[n++] = __atomic_load_n(&d->workers[l]->heartbeat, __ATOMIC_RELAXED);
	return n;
}
