/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "lc.h"
#include "lc_priv.h"
#include "stk_tcp.h"

/* Held by readers of other lcores' contexts (telemetry thread, stats
 * thread) and by lc_teardown's caller, never by the loops. */
static rte_spinlock_t lc_read_lock = RTE_SPINLOCK_INITIALIZER;

void
lc_stats_total(struct stk_stats *st, uint64_t *drops)
{
	struct stk_stats one;
	uint64_t d[STK_DROP_MAX];
	unsigned int k, i;

	memset(st, 0, sizeof(*st));
	memset(drops, 0, sizeof(*drops) * STK_DROP_MAX);
	for (k = 0; k < lc_n_loops; k++) {
		const struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];

		if (ctx == NULL)
			continue;
		for (i = 0; i < STK_DROP_MAX; i++)
			drops[i] += ctx->drops[i];
		if (ctx->stk == NULL)
			continue;
		stk_stats_read(ctx->stk, &one, d);
#define LC_SUM(f, name) st->f += one.f;
		STK_STATS(LC_SUM)
#undef LC_SUM
		for (i = 0; i < STK_DROP_MAX; i++)
			drops[i] += d[i];
	}
}

void
lc_snapshot_take(struct lc_snapshot *s)
{
	struct stk_stats st;
	uint64_t drops[STK_DROP_MAX];
	unsigned int k, i;

	rte_spinlock_lock(&lc_read_lock);
	s->tsc = rte_rdtsc();
	for (k = 0; k < lc_n_loops; k++) {
		const struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];

		if (ctx != NULL)
			s->lc[lc_loop_ids[k]] = ctx->stats;
	}
	lc_stats_total(&st, drops);
	s->n_rings = lc_pipe_ring_stats(s->rings, LC_PIPE_MAX_RINGS);
	lc_off_snapshot(&s->off);
	s->drops = 0;
	for (i = 0; i < STK_DROP_MAX; i++)
		s->drops += drops[i];
	rte_spinlock_unlock(&lc_read_lock);
}

static void
mempool_in_use_cb(struct rte_mempool *mp, void *arg)
{
	unsigned int *n = arg;

	*n += rte_mempool_in_use_count(mp);
}

static unsigned int
mbufs_in_use(void)
{
	unsigned int n = 0;

	rte_mempool_walk(mempool_in_use_cb, &n);
	return n;
}

void
lc_stats_print_interval(const struct lc_snapshot *start, const struct lc_snapshot *prev,
			const struct lc_snapshot *now, FILE *out)
{
	double hz = rte_get_tsc_hz();
	double elapsed_s = (now->tsc - prev->tsc) / hz;
	unsigned int k, n_rtc = lc_pipe_active() ? 0 : lc_n_loops;

	if (lc_pipe_active())
		lc_pipe_print_interval(start, prev, now, out);
	for (k = 0; k < n_rtc; k++) {
		unsigned int id = lc_loop_ids[k];
		const struct lc_stats *a = &prev->lc[id], *b = &now->lc[id];
		uint64_t rx = b->rx_pkts - a->rx_pkts, tx = b->tx_pkts - a->tx_pkts;
		uint64_t busy = b->busy_cycles - a->busy_cycles;
		uint64_t all = busy + b->idle_cycles - a->idle_cycles;

		fprintf(out,
			"[%6.1fs] lcore %2u: rx %7.3f Mpps  tx %7.3f Mpps  %7.1f cyc/pkt  "
			"busy %3.0f%%",
			(now->tsc - start->tsc) / hz, id,
			rx / elapsed_s / 1e6, tx / elapsed_s / 1e6, rx ? (double)busy / rx : 0.0,
			all ? 100.0 * busy / all : 0.0);
		if (k + 1 < n_rtc)
			fprintf(out, "\n");
	}
	fprintf(out, "  | drops +%" PRIu64 "  mbufs in use %u\n", now->drops - prev->drops,
		mbufs_in_use());
	lc_off_print_interval(&prev->off, &now->off, out);
	fflush(out);
}

/* TCP connections by state, per loop lcore and summed (the states that
 * are not empty): when the loops stopped, and now, after the services
 * aborted what was open (anything left now is a leak). Nothing when no
 * stack runs TCP. */
static void
lc_print_tcp_states_one(FILE *out, const char *what, bool at_stop)
{
	uint32_t n[STK_TCP_NSTATES], all[STK_TCP_NSTATES] = {0};
	unsigned int k, i;
	bool any = false, all_zero = true;

	for (k = 0; k < lc_n_loops; k++) {
		const struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];
		bool first = true;

		if (ctx == NULL || ctx->stk == NULL || !stk_tcp_enabled(ctx->stk))
			continue;
		if (at_stop && !ctx->tcp_at_stop_valid)
			continue;
		if (!any)
			fprintf(out, "  tcp states %s:", what);
		any = true;
		if (at_stop)
			memcpy(n, ctx->tcp_at_stop, sizeof(n));
		else
			stk_tcp_state_counts(ctx->stk, n);
		fprintf(out, " lcore %u {", lc_loop_ids[k]);
		for (i = 0; i < STK_TCP_NSTATES; i++) {
			all[i] += n[i];
			if (n[i] != 0) {
				fprintf(out, "%s%s=%u", first ? "" : " ", stk_tcp_state_name(i),
					n[i]);
				first = false;
			}
		}
		fprintf(out, "%s}", first ? "none" : "");
	}
	if (!any)
		return;
	fprintf(out, "  all:");
	for (i = 0; i < STK_TCP_NSTATES; i++)
		if (all[i] != 0) {
			fprintf(out, " %s=%u", stk_tcp_state_name(i), all[i]);
			all_zero = false;
		}
	fprintf(out, "%s\n", all_zero ? " none" : "");
}

static void
lc_print_tcp_states(FILE *out)
{
	rte_spinlock_lock(&lc_read_lock);
	lc_print_tcp_states_one(out, "at stop", true);
	lc_print_tcp_states_one(out, "after shutdown", false);
	rte_spinlock_unlock(&lc_read_lock);
}

/* idle = adaptive: how often each loop slept (nothing when none did). */
static void
lc_print_idle(const struct lc_snapshot *start, const struct lc_snapshot *end, FILE *out)
{
	unsigned int k;
	bool any = false;

	for (k = 0; k < lc_n_loops; k++) {
		unsigned int id = lc_loop_ids[k];
		uint64_t n = end->lc[id].idle_sleeps - start->lc[id].idle_sleeps;

		if (n == 0)
			continue;
		fprintf(out, "%s lcore %u slept %" PRIu64 " times", any ? "," : "  idle:", id, n);
		any = true;
	}
	if (any)
		fprintf(out, "\n");
}

void
lc_stats_print_summary(const struct lc_snapshot *start, const struct lc_snapshot *end, FILE *out)
{
	double secs = (end->tsc - start->tsc) / (double)rte_get_tsc_hz();
	uint64_t drops[STK_DROP_MAX], rx_all = 0, busy_all = 0;
	struct stk_stats st;
	unsigned int k, i, n_rtc = lc_pipe_active() ? 0 : lc_n_loops;

	fprintf(out, "sluice: summary over %.2f s\n", secs);
	if (lc_pipe_active())
		lc_pipe_print_summary(start, end, out);
	for (k = 0; k < n_rtc; k++) {
		unsigned int id = lc_loop_ids[k];
		const struct lc_stats *a = &start->lc[id], *b = &end->lc[id];
		uint64_t rx = b->rx_pkts - a->rx_pkts, tx = b->tx_pkts - a->tx_pkts;
		uint64_t busy = b->busy_cycles - a->busy_cycles;
		uint64_t all = busy + b->idle_cycles - a->idle_cycles;

		rx_all += rx;
		busy_all += busy;
		fprintf(out,
			"  lcore %2u: rx %" PRIu64 " pkts (%.3f Mpps)  tx %" PRIu64
			" pkts (%.3f Mpps)  %.1f cycles/pkt  busy %.0f%%  tx_full %" PRIu64 "\n",
			id, rx, secs > 0 ? rx / secs / 1e6 : 0.0, tx,
			secs > 0 ? tx / secs / 1e6 : 0.0, rx ? (double)busy / rx : 0.0,
			all ? 100.0 * busy / all : 0.0, b->tx_dropped - a->tx_dropped);
	}
	if (n_rtc != 0)
		fprintf(out, "  all lcores: %.3f Mpps, %.1f busy cycles/pkt\n",
			secs > 0 ? rx_all / secs / 1e6 : 0.0,
			rx_all ? (double)busy_all / rx_all : 0.0);

	rte_spinlock_lock(&lc_read_lock);
	lc_stats_total(&st, drops);
	rte_spinlock_unlock(&lc_read_lock);
	fprintf(out, "  stack:");
#define LC_PRINT(f, name)                                                                          \
	if (st.f != 0)                                                                             \
		fprintf(out, " %s=%" PRIu64, name, st.f);
	STK_STATS(LC_PRINT)
#undef LC_PRINT
	fprintf(out, "\n");
	lc_print_tcp_states(out);
	lc_print_idle(start, end, out);
	lc_off_print_summary(&start->off, &end->off, out);
	fprintf(out, "  drops:");
	for (i = 0, k = 0; i < STK_DROP_MAX; i++)
		if (drops[i] != 0) {
			fprintf(out, " %s=%" PRIu64, stk_drop_name(i), drops[i]);
			k++;
		}
	fprintf(out, "%s\n", k == 0 ? " none" : "");
	fflush(out);
}

void
lc_read_lock_acquire(void)
{
	rte_spinlock_lock(&lc_read_lock);
}

void
lc_read_lock_release(void)
{
	rte_spinlock_unlock(&lc_read_lock);
}

static int
mempool_tel_cb_one(struct rte_mempool *mp, struct rte_tel_data *d)
{
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "size", mp->size);
	rte_tel_data_add_dict_u64(c, "in_use", rte_mempool_in_use_count(mp));
	rte_tel_data_add_dict_u64(c, "available", rte_mempool_avail_count(mp));
	return rte_tel_data_add_dict_container(d, mp->name, c, 0);
}

static void
mempool_tel_cb(struct rte_mempool *mp, void *arg)
{
	mempool_tel_cb_one(mp, arg);
}

/* /sluice/stats: per-lcore loop counters, drops by reason, stack counters
 * and mbufs in use per mempool. */
static int
lc_tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stk_stats st, one;
	uint64_t drops[STK_DROP_MAX], d1[STK_DROP_MAX];
	struct rte_tel_data *c;
	uint64_t tcp_all[STK_TCP_NSTATES] = {0};
	bool tcp_any = false;
	unsigned int k, i;
	char name[32];

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&lc_read_lock);
	for (k = 0; k < lc_n_loops; k++) {
		const struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];

		if (ctx == NULL)
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		memset(d1, 0, sizeof(d1));
		memset(&one, 0, sizeof(one));
		if (ctx->stk != NULL)
			stk_stats_read(ctx->stk, &one, d1);
		rte_tel_data_add_dict_u64(c, "rx_pkts", ctx->stats.rx_pkts);
		/* an RTC loop leaves byte counting to its stack; a pipeline
		 * RX lcore counts what it hands on */
		rte_tel_data_add_dict_u64(c, "rx_bytes",
					  ctx->pipe == NULL ? one.rx_bytes : ctx->stats.rx_bytes);
		rte_tel_data_add_dict_u64(c, "tx_pkts", ctx->stats.tx_pkts);
		rte_tel_data_add_dict_u64(c, "tx_full", ctx->stats.tx_dropped);
		rte_tel_data_add_dict_u64(c, "busy_cycles", ctx->stats.busy_cycles);
		rte_tel_data_add_dict_u64(c, "idle_cycles", ctx->stats.idle_cycles);
		rte_tel_data_add_dict_u64(c, "cycles_per_pkt_x100",
					  ctx->stats.rx_pkts ? ctx->stats.busy_cycles * 100 /
								       ctx->stats.rx_pkts
							     : 0);
		{
			uint64_t sum = 0;

			for (i = 0; i < STK_DROP_MAX; i++)
				sum += d1[i] + ctx->drops[i];
			rte_tel_data_add_dict_u64(c, "drops", sum);
		}
		rte_tel_data_add_dict_u64(c, "arp_msgs_dropped", ctx->stats.arp_msgs_dropped);
		rte_tel_data_add_dict_u64(c, "idle_sleeps", ctx->stats.idle_sleeps);
		if (ctx->stk != NULL && stk_tcp_enabled(ctx->stk)) {
			struct rte_tel_data *ts = rte_tel_data_alloc();
			uint32_t n[STK_TCP_NSTATES];

			stk_tcp_state_counts(ctx->stk, n);
			if (ts != NULL) {
				rte_tel_data_start_dict(ts);
				for (i = 0; i < STK_TCP_NSTATES; i++) {
					rte_tel_data_add_dict_u64(ts, stk_tcp_state_name(i), n[i]);
					tcp_all[i] += n[i];
				}
				rte_tel_data_add_dict_container(c, "tcp_states", ts, 0);
				tcp_any = true;
			}
		}
		lc_pipe_tel_lcore(ctx, c);
		snprintf(name, sizeof(name), "lcore_%u", lc_loop_ids[k]);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	lc_stats_total(&st, drops);
	lc_pipe_tel_rings(d);
	lc_off_tel(d);
	rte_spinlock_unlock(&lc_read_lock);

	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_dict(c);
		for (i = 0; i < STK_DROP_MAX; i++)
			rte_tel_data_add_dict_u64(c, stk_drop_name(i), drops[i]);
		rte_tel_data_add_dict_container(d, "drops", c, 0);
	}
	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_dict(c);
#define LC_TEL(f, name) rte_tel_data_add_dict_u64(c, name, st.f);
		STK_STATS(LC_TEL)
#undef LC_TEL
		rte_tel_data_add_dict_container(d, "stack", c, 0);
	}
	c = tcp_any ? rte_tel_data_alloc() : NULL;
	if (c != NULL) {
		rte_tel_data_start_dict(c);
		for (i = 0; i < STK_TCP_NSTATES; i++)
			rte_tel_data_add_dict_u64(c, stk_tcp_state_name(i), tcp_all[i]);
		rte_tel_data_add_dict_container(d, "tcp_states", c, 0);
	}
	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_dict(c);
		rte_mempool_walk(mempool_tel_cb, c);
		rte_tel_data_add_dict_container(d, "mempools", c, 0);
	}
	return 0;
}

int
lc_telemetry_register(void)
{
	return rte_telemetry_register_cmd("/sluice/stats", lc_tel_stats,
					  "sluice per-lcore counters, drops by reason, stack "
					  "counters, mbufs in use per mempool. No parameters.");
}
