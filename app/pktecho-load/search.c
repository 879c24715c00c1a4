/* SPDX-License-Identifier: MIT */
/* --search ndr,pdr: run the trials lib/load's search asks for on one generator (the flows, and a
 * DPDK port, stay open between trials), print a record per trial and the search's record, and
 * the summary of the last passing confirming trial. Progress lines go to stdout in text mode and
 * to stderr with --report json, so stdout stays NDJSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* What the summary needs of the confirming trial it reports. */
struct confirm {
	bool have;
	uint64_t rate;
	struct pe_load_result r;
	struct pe_stats_snapshot first, last;
};

static const char *const goal_name[PE_SEARCH_GOALS] = {"ndr", "pdr"};
/* The trial records' "kind" (docs/reports.md); the ceiling trial is printed apart. */
static const char *const trial_kind[] = {
	[PE_TRIAL_SHORT] = "search",
	[PE_TRIAL_CONFIRM] = "confirm",
	[PE_TRIAL_REPEAT] = "repeat",
};

static double loss_ratio(const struct pe_load_result *r)
{
	return r->tx_packets ? (double)r->lost / (double)r->tx_packets : 0.0;
}

static int trial_run(struct pe_load *l, const struct load_opts *o,
		     const struct pe_report_meta *meta, bool rate_max, uint64_t rate,
		     uint64_t duration_ns, uint64_t warmup_ns, struct pe_load_result *r)
{
	int rc;

	pe_load_set_run(l, rate_max, rate, duration_ns, warmup_ns);
	rc = pe_load_start(l);
	if (rc == 0)
		rc = run_wait(l, o, meta);
	if (rc == 0)
		rc = pe_load_result(l, r);
	return rc;
}

/* The fields every search record starts with (docs/reports.md). */
static void record_head(const char *type, const struct pe_report_meta *meta, const char *tgt)
{
	printf("{\"type\":\"%s\",\"schema\":%d,\"service\":", type, PE_REPORT_SCHEMA);
	pe_json_string(stdout, meta->service);
	printf(",\"name\":");
	pe_json_string(stdout, meta->name);
	printf(",\"mode\":\"%s\",\"target\":", meta->mode);
	pe_json_string(stdout, tgt);
}

static void trial_print(const struct load_opts *o, const struct pe_report_meta *meta, unsigned n,
			const char *kind, const char *goal, uint64_t rate,
			const struct pe_load_result *r, const char *tgt)
{
	double rx_pps = r->send_seconds > 0 ? (double)r->rx_packets / r->send_seconds : 0.0;
	bool fell_short = pe_load_fell_short(r);
	char lat[512], corr[512];

	fprintf(o->fmt == PE_REPORT_JSON ? stderr : stdout,
		"trial %u %s%s%s: offered %llu pps, sent %.0f pps, echoed %.0f pps, loss %.6f%s\n",
		n, kind, goal ? " " : "", goal ? goal : "", (unsigned long long)rate,
		pe_load_tx_pps(r), rx_pps, loss_ratio(r),
		fell_short ? " (generator fell short)" : "");
	if (o->fmt != PE_REPORT_JSON)
		return;
	latency_json(lat, sizeof(lat), &r->latency);
	latency_json(corr, sizeof(corr), &r->latency_corrected);
	record_head("trial", meta, tgt);
	printf(",\"trial\":%u,\"kind\":\"%s\",\"goal\":%s%s%s", n, kind, goal ? "\"" : "",
	       goal ? goal : "null", goal ? "\"" : "");
	if (rate)
		printf(",\"rate_pps\":%llu", (unsigned long long)rate);
	else
		printf(",\"rate_pps\":null");
	printf(",\"seconds\":%.6f,\"tx_packets\":%llu,\"rx_packets\":%llu,\"lost\":%llu,"
	       "\"loss_ratio\":%.6f,\"tx_pps\":%.1f,\"rx_pps\":%.1f,\"missed\":%llu,"
	       "\"fell_short\":%s,\"latency_us\":%s,\"latency_corrected_us\":%s}\n",
	       r->send_seconds, (unsigned long long)r->tx_packets,
	       (unsigned long long)r->rx_packets, (unsigned long long)r->lost, loss_ratio(r),
	       pe_load_tx_pps(r), rx_pps, (unsigned long long)r->missed,
	       fell_short ? "true" : "false", lat, corr);
	fflush(stdout);
}

static void bound_print(FILE *f, uint64_t v)
{
	if (v)
		fprintf(f, "%llu", (unsigned long long)v);
	else
		fputs("null", f);
}

static void search_print(const struct load_opts *o, const struct pe_report_meta *meta,
			 const struct pe_search *s, double ceiling, bool interrupted,
			 const char *tgt)
{
	bool gb = false;

	for (int g = 0; g < PE_SEARCH_GOALS; g++) {
		const struct pe_search_result *x = &s->res[g];

		gb |= x->searched && x->generator_bound;
		if (x->searched)
			fprintf(o->fmt == PE_REPORT_JSON ? stderr : stdout,
				"%s: %llu pps (lower %llu, upper %llu%s%s)\n", g ? "PDR" : "NDR",
				(unsigned long long)x->pps, (unsigned long long)x->lower,
				(unsigned long long)x->upper,
				x->generator_bound ? ", generator-bound: the generator's limit"
						   : "",
				x->revised ? ", revised: a later trial lost below the NDR found"
					   : "");
	}
	if (o->fmt != PE_REPORT_JSON)
		return;
	record_head("search", meta, tgt);
	printf(",\"pdr_loss\":%.6f,\"precision\":%.6f,\"trial_s\":%.3f,\"duration_s\":%.3f",
	       o->pdr_loss, o->precision, (double)o->trial_ns / 1e9,
	       (double)o->cfg.duration_ns / 1e9);
	if (ceiling > 0)
		printf(",\"ceiling_pps\":%.1f", ceiling);
	else
		printf(",\"ceiling_pps\":null");
	printf(",\"ceiling_given_pps\":");
	bound_print(stdout, o->ceiling_pps);
	for (int g = 0; g < PE_SEARCH_GOALS; g++) {
		const struct pe_search_result *x = &s->res[g];

		printf(",\"%s_pps\":", goal_name[g]);
		if (!x->searched) {
			printf("null,\"%s_bounds\":null,\"%s_generator_bound\":null", goal_name[g],
			       goal_name[g]);
			continue;
		}
		printf("%llu,\"%s_bounds\":[", (unsigned long long)x->pps, goal_name[g]);
		bound_print(stdout, x->lower);
		putchar(',');
		bound_print(stdout, x->upper);
		printf("],\"%s_generator_bound\":%s", goal_name[g],
		       x->generator_bound ? "true" : "false");
	}
	printf(",\"ndr_revised\":%s,\"generator_bound\":%s,\"trials\":%u,\"interrupted\":%s}\n",
	       s->res[PE_SEARCH_NDR].revised ? "true" : "false", gb ? "true" : "false", s->n,
	       interrupted ? "true" : "false");
	fflush(stdout);
}

/* The confirming trial whose summary is printed at the end: the last one that passed. */
static void confirm_keep(struct confirm *c, const struct pe_load *l, const struct pe_search *s,
			 uint64_t rate, const struct pe_load_result *r)
{
	const struct pe_search_trial *t = &s->trials[s->n - 1];

	if (t->fell_short || t->loss_ratio > s->loss[t->goal])
		return;
	c->have = true;
	c->rate = rate;
	c->r = *r;
	pe_load_snapshots(l, &c->first, &c->last);
}

static int search_loop(struct pe_load *l, const struct load_opts *o,
		       const struct pe_report_meta *meta, struct pe_search *s, struct confirm *c,
		       struct pe_load_result *r, const char *tgt)
{
	uint64_t warmup = o->cfg.warmup_ns, top = o->cfg.rate, rate;
	double ceiling = 0;
	enum pe_search_kind kind;
	unsigned n = 0;
	int rc = 0;

	if (o->cfg.rate_max) { /* the ceiling trial: what the generator reaches against this target
				*/
		rc = trial_run(l, o, meta, true, 0, o->trial_ns, warmup, r);
		if (rc < 0)
			return rc;
		warmup = 0;
		trial_print(o, meta, ++n, "ceiling", NULL, 0, r, tgt);
		ceiling = pe_load_tx_pps(r);
		top = (uint64_t)ceiling;
	}
	pe_search_init(s, o->search_ndr, o->search_pdr, o->pdr_loss, o->precision, top,
		       o->cfg.rate_max);
	pe_search_set_ceiling(s, o->ceiling_pps);
	/* The ceiling trial is the search's trial at the top: it sent the top, by definition. */
	if (o->cfg.rate_max)
		pe_search_record(s, s->top, PE_TRIAL_SHORT, r->tx_packets ? loss_ratio(r) : 1.0,
				 false);
	while (!run_interrupted() && pe_search_next(s, &rate, &kind)) {
		bool confirm = kind == PE_TRIAL_CONFIRM;
		enum pe_search_goal goal = s->goal;

		rc = trial_run(l, o, meta, false, rate, confirm ? o->cfg.duration_ns : o->trial_ns,
			       warmup, r);
		if (rc < 0)
			return rc;
		warmup = 0;
		pe_search_record(s, rate, kind, r->tx_packets ? loss_ratio(r) : 1.0,
				 pe_load_fell_short(r));
		trial_print(o, meta, ++n, trial_kind[kind], goal_name[goal], rate, r, tgt);
		if (confirm)
			confirm_keep(c, l, s, rate, r);
	}
	search_print(o, meta, s, ceiling, run_interrupted(), tgt);
	return 0;
}

int search_run(struct pe_load *l, const struct load_opts *o, const struct pe_report_meta *meta)
{
	struct pe_search *s = malloc(sizeof(*s));
	struct confirm *c = calloc(1, sizeof(*c));
	struct pe_load_result *r = malloc(sizeof(*r));
	char tgt[128];
	int rc = s && c && r ? 0 : -ENOMEM;

	pe_load_target_format(&o->cfg.target, tgt, sizeof(tgt));
	if (rc == 0)
		rc = search_loop(l, o, meta, s, c, r, tgt);
	if (rc == 0 && c->have) {
		struct load_opts oc = *o;

		oc.cfg.rate_max = false;
		oc.cfg.rate = c->rate;
		rc = report_summary(&oc, meta, &c->first, &c->last, &c->r);
	} else if (rc == 0 && !run_interrupted()) {
		/* The summary is the confirming trial's: with none that passed there is none. */
		fprintf(stderr, "pktecho-load: no summary: no confirming trial passed (%s)\n",
			s->n && s->trials[s->n - 1].rate <= PE_SEARCH_FLOOR
				? "even the floor, 1000 pps, lost more than allowed"
				: "every confirmation lost more than allowed");
	}
	free(s);
	free(c);
	free(r);
	return rc;
}
