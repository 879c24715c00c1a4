/* SPDX-License-Identifier: MIT */
/* One port: device configuration (RSS, TX VLAN insert when offered), a NUMA-local mbuf pool sized
 * for its rings (docs/dpdk.md, --mbufs), its RX/TX queues, start, drain, stop and close. */
#include <errno.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dpdk_priv.h"

#define PE_POOL_CACHE 256
/* Bounded drain at stop: at most this many bursts per queue (a looping vdev never runs dry). */
#define PE_DRAIN_BURSTS 256
/* net_af_xdp (DPDK 22.11, zero-copy umem over our pool): xsk_configure() puts
 * ETH_AF_XDP_DFLT_NUM_DESCS (XSK_RING_CONS__DEFAULT_NUM_DESCS, 2048) mbufs per RX queue on the
 * fill ring; every frame read from the RX ring is replaced by a fresh mbuf, so fill ring plus
 * unread RX ring hold exactly that many; at close, xdp_umem_destroy() deletes the umem without
 * freeing them. They never come back to the pool: the PMD keeps them (docs/dpdk.md). */
#define PE_AF_XDP_FILL_MBUFS 2048u

static uint32_t pool_size_needed(const struct pe_dpdk_port *p, uint16_t burst)
{
	uint32_t lcores = rte_lcore_count() + 1; /* + the main lcore's worker thread */

	return (uint32_t)p->rxq * p->rxd + (uint32_t)p->txq * p->txd +
	       lcores * (PE_POOL_CACHE + burst) + burst;
}

/* 2^k - 1 is the mempool's most memory-efficient size. */
static uint32_t round_pool_size(uint32_t n)
{
	uint32_t s = 1023;

	while (s < n && s < (1u << 30))
		s = s * 2 + 1;
	return s;
}

static int pool_create(const struct pe_dpdk *d, struct pe_dpdk_port *p)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t need = pool_size_needed(p, d->conf.burst);

	p->pool_size = d->conf.mbufs ? d->conf.mbufs : round_pool_size(need);
	if (p->pool_size < need)
		PE_DPDK_LOG(
			"warning: port %u: --mbufs %u is below the %u its rings and caches need; expect RX-nombuf under load",
			p->id, p->pool_size, need);
	/* The mempool refuses a cache larger than size / 1.5. */
	p->pool_cache = PE_POOL_CACHE;
	while (p->pool_cache > 0 && p->pool_cache * 3 / 2 > p->pool_size)
		p->pool_cache /= 2;
	snprintf(name, sizeof(name), "pe_pool_p%u", p->id);
	p->pool = rte_pktmbuf_pool_create(name, p->pool_size, p->pool_cache, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, p->pool_socket);
	if (p->pool == NULL) {
		int err = rte_errno;

		PE_DPDK_LOG(
			"port %u (%s): cannot create a pool of %u mbufs on socket %d: %s (lower --mbufs or give EAL more memory, -m)",
			p->id, p->name, p->pool_size, p->pool_socket, rte_strerror(err));
		return -(err ? err : ENOMEM);
	}
	return 0;
}

static int configure(const struct pe_dpdk *d, struct pe_dpdk_port *p)
{
	struct rte_eth_conf pc;
	struct rte_eth_dev_info info;
	int ret;

	memset(&pc, 0, sizeof(pc));
	ret = rte_eth_dev_info_get(p->id, &info);
	if (ret != 0) {
		PE_DPDK_LOG("port %u (%s): cannot read device info: %s", p->id, p->name,
			    strerror(-ret));
		return ret;
	}
	if (p->rxq > info.max_rx_queues || p->txq > info.max_tx_queues) {
		PE_DPDK_LOG(
			"port %u (%s): --rxq %u / --txq %u exceed the device's %u RX / %u TX queues",
			p->id, p->name, p->rxq, p->txq, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	if (p->rxq > 1 && info.flow_type_rss_offloads != 0) {
		pc.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pc.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
			info.flow_type_rss_offloads;
		p->rss = pc.rx_adv_conf.rss_conf.rss_hf != 0;
		if (!p->rss)
			pc.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	/* A NIC DMAs the frame to memory (or the LLC): prefetching it hides that miss. A vdev
	 * (af_packet, memif, pcap, ring...) has just copied or written it: it is in L1 already and
	 * the prefetch only costs (measured: docs/performance.md). */
	p->prefetch =
		info.device == NULL || strcmp(rte_bus_name(rte_dev_bus(info.device)), "vdev") != 0;
	/* Service mode verifies the IPv4 and UDP checksums: where the port can, it does that and
	 * the loop passes its verdict to lib/pkt (worker.c csum_hw). No TX checksum offload: the
	 * echo leaves the UDP checksum as it is and patches the IPv4 one in a few instructions,
	 * less than the per-mbuf l2_len/l3_len/flags a TX offload needs (docs/dpdk.md). */
	pc.rxmode.offloads |= info.rx_offload_capa &
			      (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT) {
		pc.txmode.offloads |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
		p->vlan_hw |= PE_VLAN_HW_VLAN;
	}
	ret = rte_eth_dev_configure(p->id, p->rxq, p->txq, &pc);
	if (ret != 0) {
		PE_DPDK_LOG("port %u (%s): configure with %u RX / %u TX queues failed: %s", p->id,
			    p->name, p->rxq, p->txq, strerror(-ret));
		return ret;
	}
	p->configured = true;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &p->rxd, &p->txd);
	if (ret != 0)
		PE_DPDK_LOG("port %u (%s): cannot adjust descriptor counts: %s", p->id, p->name,
			    strerror(-ret));
	return ret;
}

static int queues_setup(struct pe_dpdk_port *p)
{
	int ret;

	for (uint16_t q = 0; q < p->rxq; q++) {
		ret = rte_eth_rx_queue_setup(p->id, q, p->rxd, (unsigned)p->pool_socket, NULL,
					     p->pool);
		if (ret != 0) {
			PE_DPDK_LOG("port %u (%s): RX queue %u setup (%u descriptors) failed: %s",
				    p->id, p->name, q, p->rxd, strerror(-ret));
			return ret;
		}
	}
	for (uint16_t q = 0; q < p->txq; q++) {
		ret = rte_eth_tx_queue_setup(p->id, q, p->txd, (unsigned)p->pool_socket, NULL);
		if (ret != 0) {
			PE_DPDK_LOG("port %u (%s): TX queue %u setup (%u descriptors) failed: %s",
				    p->id, p->name, q, p->txd, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int mac_setup(const struct pe_dpdk *d, struct pe_dpdk_port *p)
{
	struct rte_ether_addr mac;
	int ret;

	if (d->conf.set_mac) {
		memcpy(mac.addr_bytes, d->conf.mac, sizeof(mac.addr_bytes));
		ret = rte_eth_dev_default_mac_addr_set(p->id, &mac);
		if (ret != 0) {
			PE_DPDK_LOG("port %u (%s): --mac: the device refuses a new MAC: %s", p->id,
				    p->name, strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_macaddr_get(p->id, &mac);
	if (ret != 0) {
		PE_DPDK_LOG("port %u (%s): cannot read the MAC: %s", p->id, p->name,
			    strerror(-ret));
		return ret;
	}
	memcpy(p->cfg.mac, mac.addr_bytes, sizeof(p->cfg.mac));
	return 0;
}

/* The pool lives on the port's socket; a vdev has none, so it follows its first lcore. */
static int pool_socket_of(const struct pe_dpdk *d, const struct pe_dpdk_port *p)
{
	if (p->socket >= 0)
		return p->socket;
	for (unsigned i = 0; i < d->conf.n_map; i++)
		if (d->conf.map[i].port == p->id)
			return (int)rte_lcore_to_socket_id(d->conf.map[i].lcore);
	return (int)rte_socket_id();
}

int dpdk_port_setup(struct pe_dpdk *d, struct pe_dpdk_port *p, uint16_t port_id)
{
	int ret;

	p->id = port_id;
	p->link_up = -1;
	if (rte_eth_dev_get_name_by_port(port_id, p->name) != 0)
		snprintf(p->name, sizeof(p->name), "port%u", port_id);
	p->rxq = d->conf.rxq;
	p->txq = d->conf.txq;
	p->rxd = d->conf.rxd;
	p->txd = d->conf.txd;
	p->socket = rte_eth_dev_socket_id(port_id);
	p->pool_socket = pool_socket_of(d, p);
	p->cfg = d->conf.pkt;
	ret = configure(d, p);
	if (ret == 0)
		ret = pool_create(d, p);
	/* An NA may be PE_PKT_MAX_GROWTH bytes longer than its short request (pe_pkt.h): every
	 * received frame that short has that room behind it when the data room holds the headroom
	 * (where PMDs put the frame), the frame and the growth. worker.c checks each one. */
	if (ret == 0 && rte_pktmbuf_data_room_size(p->pool) >=
				RTE_PKTMBUF_HEADROOM + PE_PKT_GROW_MAX + PE_PKT_MAX_GROWTH)
		p->cfg.tailroom = PE_PKT_MAX_GROWTH;
	if (ret == 0)
		ret = queues_setup(p);
	if (ret == 0)
		ret = mac_setup(d, p);
	return ret;
}

int dpdk_port_start(struct pe_dpdk_port *p, bool promisc)
{
	int ret;

	if (promisc) {
		ret = rte_eth_promiscuous_enable(p->id);
		if (ret != 0 && ret != -ENOTSUP)
			PE_DPDK_LOG("warning: port %u (%s): --promisc: %s", p->id, p->name,
				    strerror(-ret));
	}
	ret = rte_eth_dev_start(p->id);
	if (ret != 0) {
		PE_DPDK_LOG("port %u (%s): start failed: %s", p->id, p->name, strerror(-ret));
		return ret;
	}
	p->started = true;
	return 0;
}

/* Frames still queued for us (a looping vdev, a PMD's internal ring) go back to their pool
 * before the port closes; the workers have left, so the main lcore owns every queue. An empty
 * TX burst per queue lets a PMD free what it sent (net_af_xdp reaps its completion ring only
 * inside tx_burst: without it, the last burst's mbufs stay out of the pool). */
void dpdk_port_drain(struct pe_dpdk_port *p)
{
	struct rte_mbuf *pkts[64];

	if (!p->started)
		return;
	for (uint16_t q = 0; q < p->txq; q++)
		(void)rte_eth_tx_burst(p->id, q, pkts, 0);
	for (uint16_t q = 0; q < p->rxq; q++)
		for (unsigned i = 0; i < PE_DRAIN_BURSTS; i++) {
			uint16_t n = rte_eth_rx_burst(p->id, q, pkts, RTE_DIM(pkts));

			if (n == 0)
				break;
			rte_pktmbuf_free_bulk(pkts, n);
		}
}

/* Mbufs the port's PMD keeps for good once it has been set up (0 for most): counted apart from
 * the leak check. One line per PMD, each explained where its constant is defined. */
static uint32_t pmd_keeps(const struct pe_dpdk_port *p)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(p->id, &info) != 0 || info.driver_name == NULL)
		return 0;
	if (strcmp(info.driver_name, "net_af_xdp") == 0)
		return PE_AF_XDP_FILL_MBUFS * p->rxq;
	return 0;
}

void dpdk_port_close(struct pe_dpdk_port *p)
{
	int ret;

	if (p->configured)
		p->pmd_keeps = pmd_keeps(p);
	if (p->started) {
		ret = rte_eth_dev_stop(p->id);
		if (ret != 0)
			PE_DPDK_LOG("warning: port %u (%s): stop: %s", p->id, p->name,
				    strerror(-ret));
		p->started = false;
	}
	if (p->configured) {
		ret = rte_eth_dev_close(p->id);
		if (ret != 0)
			PE_DPDK_LOG("warning: port %u (%s): close: %s", p->id, p->name,
				    strerror(-ret));
		p->configured = false;
	}
}
