/* SPDX-License-Identifier: MIT */
/* The DPDK backend of pktecho-load (compiled only when DPDK is found): one ethdev port, one RX/TX
 * queue pair driven by the worker thread, frames from lib/load's frame builder, echoes matched
 * like datagrams. ARP (IPv4) or NDP (IPv6) finds the target's MAC unless it is given, and our
 * own address is answered, so a kernel peer can reply too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

#include "load_priv.h"
#include "pe_conf.h"

#define NB_DESC		 1024
#define NB_MBUFS	 8191
#define MBUF_CACHE	 256
#define RESOLVE_EVERY_NS 200000000ull
#define RX_BURSTS_MAX	 8

struct load_dpdk {
	uint16_t port;
	struct rte_mempool *pool;
	bool started;
};

int pe_load_dpdk_eal_init(int argc, char **argv)
{
	int rc = rte_eal_init(argc, argv);

	return rc < 0 ? -(rte_errno ? rte_errno : EINVAL) : rc;
}

void pe_load_dpdk_cleanup(void)
{
	char dir[4096];

	/* rte_eal_cleanup leaves /var/run/dpdk/PREFIX behind: remove ours. */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	pe_runtime_dir_remove(dir);
}

/* The port's mbuf pool. net_af_xdp (DPDK 22.11) registers the pool's memory as its umem and
 * sizes it as objects x object size, as if the objects were packed; but with 4 KiB pages
 * (--no-huge) a pool keeps each object inside one page, so objects lie a page apart and about
 * 40% of the mbufs fall beyond the umem: the kernel rejects their TX descriptors (counted sent,
 * never transmitted or completed) and their fill-ring entries (receive stalls), and the mbufs are
 * lost. For that PMD the pool is built packed (RTE_MEMPOOL_F_NO_IOVA_CONTIG: objects may cross
 * pages, which AF_XDP's copy mode and IOVA-as-VA do not mind), so the umem covers every mbuf. */
static struct rte_mempool *port_pool(uint16_t port, const char *name, int socket)
{
	struct rte_pktmbuf_pool_private priv = {.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE};
	struct rte_eth_dev_info info;
	struct rte_mempool *mp;

	if (rte_eth_dev_info_get(port, &info) != 0 || !info.driver_name ||
	    strcmp(info.driver_name, "net_af_xdp") != 0)
		return rte_pktmbuf_pool_create(name, NB_MBUFS, MBUF_CACHE, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	mp = rte_mempool_create_empty(
		name, NB_MBUFS, (unsigned)sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE,
		MBUF_CACHE, sizeof(priv), socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (!mp)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) != 0) {
		rte_mempool_free(mp);
		return NULL;
	}
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0) {
		rte_mempool_free(mp);
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}

static int port_setup(struct load_dpdk *d, uint16_t port)
{
	struct rte_eth_conf conf;
	uint16_t nb_rxd = NB_DESC, nb_txd = NB_DESC;
	int socket = rte_eth_dev_socket_id(port), rc;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (!rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	d->port = port;
	snprintf(name, sizeof(name), "pe_load_p%u", port);
	d->pool = port_pool(port, name, socket < 0 ? (int)SOCKET_ID_ANY : socket);
	if (!d->pool)
		return -ENOMEM;
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, (unsigned)socket, NULL, d->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, nb_txd, (unsigned)socket, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc < 0)
		return rc;
	d->started = true;
	rte_eth_promiscuous_enable(port); /* best effort: echoes come to our MAC anyway */
	return 0;
}

static int link_wait(uint16_t port, uint64_t wait_ns)
{
	uint64_t deadline = pe_load_now_ns() + wait_ns;
	struct rte_eth_link link;

	do {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return 0;
		rte_delay_us_sleep(10000);
	} while (pe_load_now_ns() < deadline);
	return -ENOLINK;
}

static void tx_one(struct load_dpdk *d, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);

	if (!m)
		return;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (rte_eth_tx_burst(d->port, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

/* ARP / NDP traffic for us: answer requests for our address; report a learned target MAC. */
static bool neigh_frame(struct load_dpdk *d, const struct pe_load_l2 *c, enum pe_frame_kind k,
			const uint8_t *frame, const uint8_t mac[6], uint8_t learned[6])
{
	uint8_t out[128];

	switch (k) {
	case PE_FRAME_ARP_REQUEST:
		tx_one(d, out, pe_load_frame_arp(c, frame, out));
		return false;
	case PE_FRAME_NDP_NS:
		tx_one(d, out, pe_load_frame_na(c, frame, out));
		return false;
	case PE_FRAME_ARP_REPLY:
	case PE_FRAME_NDP_NA:
		if (learned)
			memcpy(learned, mac, 6);
		return true;
	default:
		return false;
	}
}

static int resolve_dst_mac(struct load_dpdk *d, struct pe_load_l2 *c, uint64_t wait_ns)
{
	uint64_t now = pe_load_now_ns(), deadline = now + wait_ns, next = now;
	uint8_t req[128];

	while ((now = pe_load_now_ns()) < deadline) {
		struct rte_mbuf *m[PE_LOAD_BATCH];
		uint16_t n;
		bool found = false;

		if (now >= next) {
			tx_one(d, req,
			       c->family == AF_INET6 ? pe_load_frame_ns(c, req)
						     : pe_load_frame_arp(c, NULL, req));
			next = now + RESOLVE_EVERY_NS;
		}
		n = rte_eth_rx_burst(d->port, 0, m, PE_LOAD_BATCH);
		for (uint16_t i = 0; i < n; i++) {
			const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *), *p;
			uint32_t flow, plen;
			uint8_t mac[6];
			enum pe_frame_kind k =
				pe_load_frame_parse(c, 0, f, m[i]->data_len, &flow, &p, &plen, mac);

			found |= neigh_frame(d, c, k, f, mac, c->dst_mac);
		}
		rte_pktmbuf_free_bulk(m, n);
		if (found)
			return 0;
		if (n == 0)
			rte_delay_us_sleep(1000);
	}
	return -EHOSTUNREACH;
}

static int dpdk_flows(struct pe_load *l);

static int dpdk_setup(struct pe_load *l)
{
	struct pe_load_cfg *cfg = &l->cfg;
	struct load_dpdk *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	l->dpdk = d;
	rc = port_setup(d, cfg->dpdk_port);
	if (rc == 0 && !cfg->src_mac_set) {
		struct rte_ether_addr a;

		rc = rte_eth_macaddr_get(d->port, &a);
		memcpy(cfg->l2.src_mac, a.addr_bytes, 6);
	}
	if (rc == 0)
		rc = link_wait(d->port, cfg->link_wait_ns);
	if (rc == 0 && !cfg->dst_mac_set)
		rc = resolve_dst_mac(d, &cfg->l2, cfg->link_wait_ns);
	return rc < 0 ? rc : dpdk_flows(l);
}

static void dpdk_teardown(struct pe_load *l)
{
	struct load_dpdk *d = l->dpdk;

	if (!d)
		return;
	if (d->started) {
		rte_eth_dev_stop(d->port);
		rte_eth_dev_close(d->port);
	}
	rte_mempool_free(d->pool);
	free(d);
	l->dpdk = NULL;
}

static uint32_t dpdk_send(struct load_worker *w, struct load_flow *f, uint32_t n, uint64_t now)
{
	struct load_dpdk *d = w->l->dpdk;
	const struct pe_load_l2 *c = &w->l->cfg.l2;
	uint32_t len = pe_load_frame_len(c);
	struct rte_mbuf *m[PE_LOAD_BATCH];
	uint16_t sent;

	if (n > PE_LOAD_BATCH)
		n = PE_LOAD_BATCH;
	if (rte_pktmbuf_alloc_bulk(d->pool, m, n) != 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		struct pe_load_hdr h;
		uint8_t *frame = rte_pktmbuf_mtod(m[i], uint8_t *);

		load_tx_hdr(w, f, i, f->next_seq + i, now, &h);
		memcpy(frame, f->txbuf, len);
		pe_load_frame_stamp(c, frame, f->tmpl_sum, &h);
		m[i]->data_len = (uint16_t)len;
		m[i]->pkt_len = len;
	}
	sent = rte_eth_tx_burst(d->port, 0, m, (uint16_t)n);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	f->next_seq += sent;
	pe_stats_begin(w->blk);
	pe_ctr_add(&w->blk->c.tx_packets, sent);
	pe_ctr_add(&w->blk->c.tx_bytes, (uint64_t)sent * c->size); /* payload bytes, as sockets */
	pe_stats_end(w->blk);
	return sent;
}

static uint16_t rx_burst(struct load_worker *w, struct load_dpdk *d)
{
	const struct pe_load_l2 *c = &w->l->cfg.l2;
	struct rte_mbuf *m[PE_LOAD_BATCH];
	uint16_t n = rte_eth_rx_burst(d->port, 0, m, PE_LOAD_BATCH);
	uint64_t now, echoes = 0, bytes = 0;

	if (n == 0)
		return 0;
	now = pe_load_now_ns();
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *), *p;
		uint32_t flow, plen;
		uint8_t mac[6];
		enum pe_frame_kind k = pe_load_frame_parse(c, w->n_flows, f, m[i]->data_len, &flow,
							   &p, &plen, mac);

		if (k == PE_FRAME_ECHO) {
			load_rx_payload(w, &w->flows[flow], p, plen, now);
			echoes++;
			bytes += plen;
		} else {
			neigh_frame(d, c, k, f, mac, NULL);
		}
	}
	rte_pktmbuf_free_bulk(m, n);
	pe_stats_begin(w->blk);
	pe_ctr_add(&w->blk->c.rx_packets, echoes);
	pe_ctr_add(&w->blk->c.rx_bytes, bytes);
	pe_stats_end(w->blk);
	return n;
}

/* Everything that is waiting, up to RX_BURSTS_MAX bursts: a send round can put up to four
 * bursts on the wire (worker_send), and one receive burst per round would let the echoes fall
 * behind and overflow the receive ring, a loss the server would be blamed for. */
static void rx_drain(struct load_worker *w, struct load_dpdk *d)
{
	for (unsigned i = 0; i < RX_BURSTS_MAX && rx_burst(w, d) == PE_LOAD_BATCH; i++)
		;
}

static void dpdk_poll(struct load_worker *w, uint64_t wait_ns)
{
	struct load_dpdk *d = w->l->dpdk;
	uint64_t deadline;

	rx_drain(w, d);
	if (wait_ns == 0)
		return; /* full speed: back to sending at once, without reading the clock */
	/* Poll mode: spin on the queue until the next send is due. */
	deadline = pe_load_now_ns() + wait_ns;
	while (pe_load_now_ns() < deadline)
		rx_drain(w, d);
}

static int dpdk_flows(struct pe_load *l)
{
	uint32_t len = pe_load_frame_len(&l->cfg.l2);

	for (unsigned i = 0; i < l->cfg.flows; i++) {
		struct load_flow *f = &l->flows[i];

		f->txbuf = malloc(len);
		if (!f->txbuf)
			return -ENOMEM;
		f->tmpl_sum = pe_load_frame_tmpl(&l->cfg.l2, i, f->txbuf);
	}
	return 0;
}

const struct load_backend load_backend_dpdk = {
	.mode = "dpdk",
	.setup = dpdk_setup,
	.teardown = dpdk_teardown,
	.send = dpdk_send,
	.poll = dpdk_poll,
};
