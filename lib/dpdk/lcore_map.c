/* SPDX-License-Identifier: MIT */
/* The (port, queue) -> lcore map: --config parsing, its checks against the EAL's lcores and the
 * probed ports, and the default map. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "dpdk_priv.h"

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int parse_uint(const char **s, unsigned long max, unsigned long *out)
{
	char *end;

	*s = skip_space(*s);
	if (**s < '0' || **s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(*s, &end, 10);
	if (errno != 0 || *out > max)
		return -EINVAL;
	*s = skip_space(end);
	return 0;
}

static int expect(const char **s, char c)
{
	*s = skip_space(*s);
	if (**s != c)
		return -EINVAL;
	(*s)++;
	return 0;
}

int pe_dpdk_map_parse(struct pe_dpdk_conf *conf, const char *text)
{
	const char *s = text;
	unsigned long port, queue, lcore;

	conf->n_map = 0;
	for (;;) {
		if (expect(&s, '(') || parse_uint(&s, UINT16_MAX, &port) || expect(&s, ',') ||
		    parse_uint(&s, UINT16_MAX, &queue) || expect(&s, ',') ||
		    parse_uint(&s, RTE_MAX_LCORE - 1, &lcore) || expect(&s, ')'))
			return -EINVAL;
		if (conf->n_map == PE_DPDK_MAX_MAP)
			return -ENOSPC;
		conf->map[conf->n_map++] =
			(struct pe_dpdk_map){(uint16_t)port, (uint16_t)queue, (unsigned)lcore};
		s = skip_space(s);
		if (*s == '\0')
			return 0;
		if (expect(&s, ','))
			return -EINVAL;
	}
}

static int check_map(const struct pe_dpdk_conf *conf, uint16_t n_ports, char *err, size_t len)
{
	for (unsigned i = 0; i < conf->n_map; i++) {
		const struct pe_dpdk_map *m = &conf->map[i];

		if (m->port >= n_ports || !rte_eth_dev_is_valid_port(m->port)) {
			snprintf(err, len, "--config: (%u,%u,%u): there is no port %u", m->port,
				 m->queue, m->lcore, m->port);
			return -EINVAL;
		}
		if (m->queue >= conf->rxq) {
			snprintf(err, len, "--config: (%u,%u,%u): queue %u, but --rxq is %u",
				 m->port, m->queue, m->lcore, m->queue, conf->rxq);
			return -EINVAL;
		}
		if (!rte_lcore_is_enabled(m->lcore)) {
			snprintf(err, len, "--config: (%u,%u,%u): lcore %u is not enabled (see -l)",
				 m->port, m->queue, m->lcore, m->lcore);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++)
			if (conf->map[j].port == m->port && conf->map[j].queue == m->queue) {
				snprintf(err, len, "--config: port %u queue %u is mapped twice",
					 m->port, m->queue);
				return -EINVAL;
			}
	}
	if (conf->n_map != 0 && conf->n_map != (unsigned)n_ports * conf->rxq) {
		snprintf(err, len,
			 "--config: %u entries, but %u ports x %u queues need one lcore each",
			 conf->n_map, n_ports, conf->rxq);
		return -EINVAL;
	}
	return 0;
}

int pe_dpdk_conf_check(const struct pe_dpdk_conf *conf, char *err, size_t len)
{
	uint16_t n_ports = rte_eth_dev_count_avail();

	if (conf->txq < conf->rxq) {
		snprintf(err, len,
			 "--txq: %u is fewer than --rxq %u (a reply leaves on its RX queue)",
			 conf->txq, conf->rxq);
		return -EINVAL;
	}
	if (n_ports > PE_DPDK_MAX_PORTS) {
		snprintf(err, len, "too many ports (%u, at most %u): restrict them with -a/--vdev",
			 n_ports, PE_DPDK_MAX_PORTS);
		return -EINVAL;
	}
	return check_map(conf, n_ports, err, len);
}

/* Default map: every (port, queue) in order, round-robin over the worker lcores; with the main
 * lcore alone (-l 0), everything on it. */
void dpdk_map_default(struct pe_dpdk_conf *conf, uint16_t n_ports)
{
	unsigned lcores[RTE_MAX_LCORE], n = 0, l, k = 0;

	RTE_LCORE_FOREACH_WORKER(l)
	lcores[n++] = l;
	if (n == 0)
		lcores[n++] = rte_get_main_lcore();
	conf->n_map = 0;
	for (uint16_t p = 0; p < n_ports; p++)
		for (uint16_t q = 0; q < conf->rxq; q++)
			conf->map[conf->n_map++] = (struct pe_dpdk_map){p, q, lcores[k++ % n]};
}
