/* SPDX-License-Identifier: MIT */
/* DPDK telemetry command /pktecho/stats: the live counters as a dict (totals, non-zero drops by
 * reason, one dict per block), readable with dpdk-telemetry.py. Runs on the telemetry thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <rte_telemetry.h>

#include "dpdk_priv.h"

/* The callback has no user argument: one instance, guarded against destroy by the mutex. */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pe_stats *tel_stats;
static bool tel_registered;

/* The counters in report order, tx_dropped after rx_missed as in JSON, then drops_total. */
static void add_counters(struct rte_tel_data *t, const struct pe_counters *c)
{
	for (unsigned i = 0; i < PE_COUNTERS_N; i++) {
		const struct pe_counter_desc *d = &pe_counter_report_order[i];

		rte_tel_data_add_dict_u64(t, d->name, pe_counter_get(c, d));
		if (i == PE_CTR_POS_rx_missed)
			rte_tel_data_add_dict_u64(t, "tx_dropped", c->drops[PE_DROP_TX_FULL]);
	}
	rte_tel_data_add_dict_u64(t, "drops_total", pe_counters_drops(c));
}

static void add_drops(struct rte_tel_data *t, const struct pe_counters *c)
{
	struct rte_tel_data *drops = rte_tel_data_alloc();

	if (drops == NULL)
		return;
	rte_tel_data_start_dict(drops);
	for (unsigned r = 1; r < PE_DROP_MAX; r++)
		if (c->drops[r] != 0)
			rte_tel_data_add_dict_u64(drops, pe_drop_name((enum pe_drop)r),
						  c->drops[r]);
	if (rte_tel_data_add_dict_container(t, "drops", drops, 0) != 0)
		rte_tel_data_free(drops);
}

static void add_blocks(struct rte_tel_data *t, const struct pe_stats_snapshot *s)
{
	for (unsigned i = 0; i < s->n_blocks; i++) {
		struct rte_tel_data *b = rte_tel_data_alloc();

		if (b == NULL)
			return;
		rte_tel_data_start_dict(b);
		add_counters(b, &s->blocks[i].c);
		if (rte_tel_data_add_dict_container(t, s->blocks[i].name, b, 0) != 0)
			rte_tel_data_free(b);
	}
}

static int stats_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pe_stats_snapshot *s = malloc(sizeof(*s));
	int ret = -ENODEV;

	if (s == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&tel_lock);
	if (tel_stats != NULL)
		ret = pe_stats_snapshot(tel_stats, s);
	pthread_mutex_unlock(&tel_lock);
	if (ret == 0) {
		rte_tel_data_start_dict(d);
		add_counters(d, &s->total);
		add_drops(d, &s->total);
		add_blocks(d, s);
	}
	free(s);
	return ret;
}

int pe_dpdk_telemetry_register(struct pe_stats *stats)
{
	int ret = 0;

	pthread_mutex_lock(&tel_lock);
	tel_stats = stats;
	if (stats != NULL && !tel_registered) {
		ret = rte_telemetry_register_cmd(
			"/pktecho/stats", stats_cmd,
			"pktecho counters: totals, drops by reason, per port/queue. No parameters");
		tel_registered = ret == 0;
	}
	pthread_mutex_unlock(&tel_lock);
	return ret;
}
