/* SPDX-License-Identifier: MIT */
/* lib/dpdk internals shared by its .c files: the port table, the per-lcore worker state and the
 * module's log macro. Not part of the interface. */
#ifndef PE_DPDK_PRIV_H
#define PE_DPDK_PRIV_H

#include <pthread.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "pe_dpdk.h"

/* One log line per event, prefixed with the program name; errors and warnings to stderr. */
#define PE_DPDK_LOG(...) dpdk_log(__VA_ARGS__)
void dpdk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* TX VLAN restore capabilities of a port (what its TX offloads can insert). */
#define PE_VLAN_HW_VLAN 1u
#define PE_VLAN_HW_QINQ 2u

struct pe_dpdk_port {
	uint16_t id;
	int socket; /* the port's NUMA node, or SOCKET_ID_ANY for most vdevs */
	int pool_socket;
	uint16_t rxq, txq, rxd, txd;
	uint8_t vlan_hw;
	bool prefetch; /* prefetch frame data in the loop (not on vdevs: they copy it, it is hot) */
	bool rss, configured, started;
	int link_up; /* last link state seen by pe_dpdk_poll_ports: -1 unknown, 0 down, 1 up */
	uint32_t pool_size, pool_cache;
	uint32_t pmd_keeps; /* mbufs of pool the PMD keeps after close (set by port close) */
	struct rte_mempool *pool;
	struct pe_stats_block *blk; /* rx_nombuf / imissed, written by the main lcore only */
	char name[RTE_ETH_NAME_MAX_LEN];
	struct pe_pkt_cfg cfg; /* conf->pkt with this port's MAC */
};

/* One (port, queue) served by a worker. */
struct pe_dpdk_rxq {
	uint16_t port, queue;
	uint8_t vlan_hw;
	bool prefetch;
	const struct pe_pkt_cfg *cfg;
	struct pe_stats_block *st;
	struct pe_rl *rl; /* the worker's reply limiter; NULL: none (l2/l4, or limits off) */
};

/* Everything one lcore touches in its loop, alone on its cache lines, on the lcore's socket. */
struct pe_dpdk_worker {
	unsigned lcore;
	uint16_t burst;
	uint16_t n_rxq;
	enum pe_pkt_mode mode;
	pthread_t thread;   /* to interrupt a PMD blocked in a syscall at stop */
	int in_loop;	    /* 1 while inside the loop (atomic) */
	uint64_t heartbeat; /* loop rounds: written by the lcore, read by the watchdog (atomic) */
	struct pe_dpdk_rxq rxq[PE_DPDK_MAX_MAP];
	struct pe_rl rl;	       /* service mode: this lcore's share of the reply limits */
	const struct pe_rl_live *live; /* service mode: the limits pktecho-ctl changes, or NULL */
} __rte_cache_aligned;

struct pe_dpdk {
	struct pe_dpdk_conf conf;
	uint16_t n_ports;
	struct pe_dpdk_port ports[PE_DPDK_MAX_PORTS];
	unsigned n_workers;
	struct pe_dpdk_worker *workers[RTE_MAX_LCORE];
	struct pe_stats *stats;
	pthread_t main_worker; /* serves the main lcore's queues (-l with one lcore) */
	bool main_worker_running;
	bool launched, stopped, stuck;
};

/* lcore_map.c: every (port, queue) in order, round-robin over the worker lcores (the main lcore
 * alone: everything on it). */
void dpdk_map_default(struct pe_dpdk_conf *conf, uint16_t n_ports);

/* port.c */
int dpdk_port_setup(struct pe_dpdk *d, struct pe_dpdk_port *p, uint16_t port_id);
int dpdk_port_start(struct pe_dpdk_port *p, bool promisc);
void dpdk_port_drain(struct pe_dpdk_port *p);
void dpdk_port_close(struct pe_dpdk_port *p);

/* worker.c: the lcore entry point (arg: struct pe_dpdk_worker *). */
int dpdk_worker_main(void *arg);
extern int dpdk_quit;
/* Point w's queues at its limiter while a limit is on (NULL: none checked). */
void dpdk_worker_limits_on(struct pe_dpdk_worker *w);

#endif
