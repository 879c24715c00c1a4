/* SPDX-License-Identifier: MIT */
/* The reporting session: snapshot rotation, interval timing, extra fields, summary, /metrics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pe_report.h"

#define KEY_LEN 32

struct pe_report_session {
	struct pe_report_session_cfg cfg;
	FILE *out;
	struct pe_prom_source prom_src;
	struct pe_prom_server *prom;
	uint64_t interval_ns, next_ns;
	struct pe_stats_snapshot *first, *prev, *cur;
	unsigned n_extra;
	char key[PE_REPORT_EXTRA_MAX][KEY_LEN];
	char val[PE_REPORT_EXTRA_MAX][PE_REPORT_EXTRA_VAL_LEN];
	struct pe_report_kv kv[PE_REPORT_EXTRA_MAX + 1];
};

struct pe_report_session *pe_report_open(const struct pe_report_session_cfg *cfg,
					 const struct pe_stats *stats)
{
	struct pe_report_session *rs;

	if (!cfg || !stats || !(cfg->interval_s >= 0) || cfg->interval_s > 1e7) {
		errno = EINVAL;
		return NULL;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	rs->cfg = *cfg;
	rs->out = cfg->out ? cfg->out : stdout;
	rs->prom_src = (struct pe_prom_source){stats, cfg->meta, cfg->gauges, cfg->arg};
	rs->first = malloc(sizeof(*rs->first));
	rs->prev = malloc(sizeof(*rs->prev));
	rs->cur = malloc(sizeof(*rs->cur));
	if (!rs->first || !rs->prev || !rs->cur) {
		pe_report_close(rs);
		errno = ENOMEM;
		return NULL;
	}
	int rc = pe_stats_snapshot(stats, rs->first);
	if (rc < 0) {
		pe_report_close(rs);
		errno = -rc;
		return NULL;
	}
	*rs->prev = *rs->first;
	rs->interval_ns = (uint64_t)(cfg->interval_s * 1e9);
	rs->next_ns = rs->first->time_ns + rs->interval_ns;
	return rs;
}

int pe_report_serve_prometheus(struct pe_report_session *rs, const char *host_port)
{
	if (!rs || rs->prom) {
		errno = EINVAL;
		return -EINVAL;
	}
	rs->prom = pe_prom_server_start(host_port, pe_prom_render_stats, &rs->prom_src);
	return rs->prom ? 0 : -errno;
}

void pe_report_stop_prometheus(struct pe_report_session *rs)
{
	if (!rs)
		return;
	pe_prom_server_stop(rs->prom);
	rs->prom = NULL;
}

unsigned pe_report_prometheus_port(const struct pe_report_session *rs)
{
	return rs && rs->prom ? pe_prom_server_port(rs->prom) : 0;
}

static const struct pe_report_kv *extras(const struct pe_report_session *rs)
{
	return rs->n_extra ? rs->kv : NULL;
}

/* Refresh (the caller's hook) and snapshot into cur. 0 or -errno. */
static int take(struct pe_report_session *rs, bool final)
{
	if (rs->cfg.before)
		rs->cfg.before(rs, final, rs->cfg.arg);
	return pe_stats_snapshot(rs->prom_src.stats, rs->cur);
}

uint64_t pe_report_wait_ns(const struct pe_report_session *rs)
{
	uint64_t now;

	if (!rs || rs->interval_ns == 0)
		return UINT64_MAX;
	now = pe_stats_now_ns();
	return now < rs->next_ns ? rs->next_ns - now : 0;
}

int pe_report_tick(struct pe_report_session *rs)
{
	uint64_t now;
	int rc;

	if (!rs || rs->interval_ns == 0)
		return 0;
	now = pe_stats_now_ns();
	if (now < rs->next_ns)
		return 0;
	rs->next_ns += rs->interval_ns;
	/* Behind by more than an interval (a stopped process): the next one a whole interval on. */
	if (rs->next_ns <= now)
		rs->next_ns = now + rs->interval_ns;
	rc = take(rs, false);
	if (rc < 0)
		return rc;
	struct pe_stats_snapshot *t = rs->prev;

	pe_report_interval(rs->out, rs->cfg.fmt, &rs->cfg.meta, rs->prev, rs->cur, extras(rs));
	fflush(rs->out);
	rs->prev = rs->cur;
	rs->cur = t;
	return 1;
}

int pe_report_restart(struct pe_report_session *rs)
{
	int rc;

	if (!rs)
		return -EINVAL;
	rc = take(rs, false);
	if (rc < 0)
		return rc;
	*rs->first = *rs->cur;
	*rs->prev = *rs->cur;
	return 0;
}

int pe_report_peek(struct pe_report_session *rs, struct pe_report_view *v)
{
	int rc;

	if (!rs || !v)
		return -EINVAL;
	rc = take(rs, false);
	if (rc < 0)
		return rc;
	*v = (struct pe_report_view){&rs->cfg.meta, rs->first, rs->cur, extras(rs)};
	return 0;
}

int pe_report_finish(struct pe_report_session *rs)
{
	int rc;

	if (!rs)
		return -EINVAL;
	pe_report_stop_prometheus(rs);
	rc = take(rs, true);
	if (rc == 0)
		rc = pe_report_summary(rs->out, rs->cfg.fmt, &rs->cfg.meta, rs->first, rs->cur,
				       extras(rs));
	fflush(rs->out);
	return rc;
}

void pe_report_close(struct pe_report_session *rs)
{
	if (!rs)
		return;
	pe_prom_server_stop(rs->prom);
	free(rs->first);
	free(rs->prev);
	free(rs->cur);
	free(rs);
}

int pe_report_set(struct pe_report_session *rs, const char *key, const char *json_value)
{
	unsigned i;

	if (!rs || !key || !json_value || strlen(key) >= KEY_LEN)
		return -EINVAL;
	if (strlen(json_value) >= PE_REPORT_EXTRA_VAL_LEN)
		return -ENOSPC;
	for (i = 0; i < rs->n_extra && strcmp(rs->key[i], key) != 0; i++)
		;
	if (i == PE_REPORT_EXTRA_MAX)
		return -ENOSPC;
	if (i == rs->n_extra) {
		strcpy(rs->key[i], key);
		rs->kv[i] = (struct pe_report_kv){rs->key[i], rs->val[i]};
		rs->kv[++rs->n_extra] = (struct pe_report_kv){NULL, NULL};
	}
	strcpy(rs->val[i], json_value);
	return 0;
}

int pe_report_set_u64(struct pe_report_session *rs, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return pe_report_set(rs, key, buf);
}

int pe_report_set_str(struct pe_report_session *rs, const char *key, const char *s)
{
	char buf[PE_REPORT_EXTRA_VAL_LEN];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	long n;

	if (!f)
		return -errno;
	pe_json_string(f, s);
	n = ftell(f);
	fclose(f);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		return -ENOSPC;
	buf[n] = '\0';
	return pe_report_set(rs, key, buf);
}
