/* SPDX-License-Identifier: MIT */
/* lib/dpdk: the poll-mode echo on DPDK ethdevs. Sets up every available port (NUMA-local mbuf
 * pool, RSS over its RX queues, one TX queue per RX queue), maps (port, queue) pairs onto worker
 * lcores, runs the burst loop (rx -> pe_pkt in place -> compact -> tx on the same port and queue
 * -> free the rest) and stops cleanly with a leak check of every pool.
 * Call order: rte_eal_init, pe_dpdk_create, pe_dpdk_start, (pe_dpdk_poll_ports at each report),
 * pe_dpdk_stop, pe_dpdk_leaked, pe_dpdk_destroy, rte_eal_cleanup. */
#ifndef PE_DPDK_H
#define PE_DPDK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pe_pkt.h"
#include "pe_stats.h"

#define PE_DPDK_MAX_PORTS  8
#define PE_DPDK_MAX_QUEUES 16 /* RX (and TX) queues per port */
#define PE_DPDK_MAX_MAP	   (PE_DPDK_MAX_PORTS * PE_DPDK_MAX_QUEUES)
#define PE_DPDK_MAX_BURST  256

/* One entry of --config: RX queue `queue` of `port` is served by `lcore` (its replies leave on
 * TX queue `queue` of the same port). Queues of the main lcore are served by a thread on its CPU
 * while the main thread reports (the one-lcore case, -l 0). */
struct pe_dpdk_map {
	uint16_t port, queue;
	unsigned lcore;
};

struct pe_dpdk_conf {
	struct pe_pkt_cfg pkt; /* mode, addresses, ports, promisc; MACs come from the ports */
	uint16_t rxq, txq;     /* queues per port; txq >= rxq (a reply leaves on its RX queue) */
	uint16_t rxd, txd;     /* descriptors per queue (adjusted to the device's limits) */
	uint16_t burst;	       /* 1..PE_DPDK_MAX_BURST */
	uint32_t mbufs;	       /* mbufs per port pool; 0 = sized from the rings (docs/dpdk.md) */
	int prefetch;	       /* prefetch frame data: -1 auto (NICs yes, vdevs no), 0 no, 1 yes */
	bool set_mac;	       /* give every port the MAC below (vdevs, tests) */
	uint8_t mac[6];
	const char *stats_name; /* shared-memory counters "/pktecho-<name>", or NULL */
	unsigned n_map;		/* 0: queues spread round-robin over the worker lcores */
	struct pe_dpdk_map map[PE_DPDK_MAX_MAP];
};

/* Defaults: pe_pkt defaults, 1 queue, 1024 descriptors, burst 32, auto pool size, no map,
 * prefetch auto. */
void pe_dpdk_conf_init(struct pe_dpdk_conf *conf);

/* Parse "(port,queue,lcore)[,(port,queue,lcore)...]" into conf->map. 0 or -EINVAL / -ENOSPC. */
int pe_dpdk_map_parse(struct pe_dpdk_conf *conf, const char *text);

struct pe_dpdk; /* opaque: ports, pools, workers, counters */

/* Checks conf against the EAL's ports and lcores (after rte_eal_init). On a problem that the
 * user's options caused, writes one line (naming the option) into err and returns -EINVAL. */
int pe_dpdk_conf_check(const struct pe_dpdk_conf *conf, char *err, size_t err_len);

/* Configures every available port, its pool and queues, and the counters. Logs one line naming
 * the failing step and returns NULL with errno set on failure (everything undone). */
struct pe_dpdk *pe_dpdk_create(const struct pe_dpdk_conf *conf);
/* Stops (if running), closes ports, frees pools and counters. Accepts NULL. */
void pe_dpdk_destroy(struct pe_dpdk *d);

/* Ports, queues, lcores, sockets and pool sizes, one line each; warns on a NUMA mismatch. */
void pe_dpdk_print_placement(const struct pe_dpdk *d, FILE *out);

/* Starts the ports and launches the workers. 0 or -errno (logged). */
int pe_dpdk_start(struct pe_dpdk *d);
/* Async-signal-safe: asks every worker to leave its loop. */
void pe_dpdk_request_stop(void);
bool pe_dpdk_stop_requested(void);
/* Main lcore only, off the hot path: copies rx_nombuf / imissed from rte_eth_stats into the
 * per-port counter blocks, and logs one line when a port's link goes down or up. */
void pe_dpdk_poll_ports(struct pe_dpdk *d);
/* Makes the workers leave (within a second, also when a PMD blocks in TX), drains the RX queues,
 * stops and closes the ports. Idempotent. -ETIMEDOUT when an lcore would not leave: the ports
 * are then left open and the process must exit without rte_eal_cleanup. */
int pe_dpdk_stop(struct pe_dpdk *d);
/* After pe_dpdk_stop: mbufs pktecho lost (0 = none leaked); logs each leaking pool. Mbufs a PMD
 * is known to keep after close (net_af_xdp: its fill ring, docs/dpdk.md) are not counted. */
uint64_t pe_dpdk_leaked(const struct pe_dpdk *d);
/* After pe_dpdk_stop: mbufs missing from the pools that their PMDs keep (at most the known
 * number per PMD; anything beyond it counts as leaked). */
uint64_t pe_dpdk_pmd_kept(const struct pe_dpdk *d);

struct pe_stats *pe_dpdk_stats(struct pe_dpdk *d);
/* Each worker lcore's loop-round count (moves while the lcore polls), at most max. Count. */
unsigned pe_dpdk_heartbeats(const struct pe_dpdk *d, uint64_t *out, unsigned max);
uint16_t pe_dpdk_port_count(const struct pe_dpdk *d);

/* Registers the DPDK telemetry command /pktecho/stats over these counters (one instance);
 * NULL detaches them (pe_dpdk_destroy does) and the command then answers -ENODEV. */
int pe_dpdk_telemetry_register(struct pe_stats *stats);

#endif
