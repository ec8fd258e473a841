/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the files of lcore/: the ARP message rings every
 * multi-lcore setup uses (msg.c) and the pipeline entry points rtc.c calls
 * (pipeline.c). Nothing outside lcore/ includes this.
 */
#ifndef LC_PRIV_H
#define LC_PRIV_H

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "lc.h"

/* msg.c */
int lc_msg_ring_create(struct lc_ctx *ctx, int socket, char *err, size_t errlen);
void lc_msg_ring_free(struct lc_ctx *ctx);
void lc_arp_notify(void *arg, uint16_t port_id, uint32_t ip, const struct rte_ether_addr *mac,
		   bool is_reply);
void lc_msg_drain(struct lc_ctx *ctx);

/* Once per loop iteration: almost always one look at an empty ring. */
static inline void
lc_msg_poll(struct lc_ctx *ctx)
{
	if (unlikely(ctx->msg != NULL && !rte_ring_empty(ctx->msg)))
		lc_msg_drain(ctx);
}

/* rtc.c: context set-up shared by both modes */
struct lc_ctx *lc_ctx_alloc(const struct lc_conf *conf, unsigned int lcore, int socket, char *err,
			    size_t errlen);
int lc_ctx_rxq_map(struct lc_ctx *ctx, const struct lc_conf *conf, char *err, size_t errlen);
int lc_ctx_txb_alloc(struct lc_ctx *ctx, const struct lc_conf *conf, int socket, uint16_t burst,
		     buffer_tx_error_fn unsent, const uint16_t *txq, char *err, size_t errlen);
int lc_ctx_stack_create(struct lc_ctx *ctx, const struct lc_conf *conf, int socket, stk_tx_fn tx,
			bool share_arp, bool pipeline, uint16_t worker, uint16_t n_workers,
			char *err, size_t errlen);

/* Send what waits in the TX buffers. */
static inline void
lc_flush(struct lc_ctx *ctx)
{
	uint16_t p;

	for (p = 0; p < LC_MAX_PORTS; p++)
		if (ctx->txb[p] != NULL && ctx->txb[p]->length != 0)
			ctx->stats.tx_pkts += rte_eth_tx_buffer_flush(p, ctx->txq[p], ctx->txb[p]);
}

/* idle = adaptive: sleep once the loop has been idle idle_polls times in
 * a row, never past @next_timer_tsc (rtc.c). */
void lc_idle_sleep(struct lc_ctx *ctx, uint64_t now, uint64_t next_timer_tsc);
/* At a loop's start, on its lcore. */
void lc_idle_thread_start(struct lc_ctx *ctx);

/* End of a loop iteration that did @work packets, at TSC @now; returns
 * the TSC after a sleep (its cycles counted idle), else @now. */
static inline uint64_t
lc_idle(struct lc_ctx *ctx, uint32_t work, uint64_t now, uint64_t next_timer_tsc)
{
	uint64_t after;

	if (likely(!ctx->idle_adaptive))
		return now;
	if (work != 0) {
		ctx->idle_empty = 0;
		ctx->idle_sleep_us = 1;
		return now;
	}
	if (++ctx->idle_empty < ctx->idle_polls || lc_stopping())
		return now;
	lc_idle_sleep(ctx, now, next_timer_tsc);
	after = rte_rdtsc();
	ctx->stats.idle_cycles += after - now;
	return after;
}

/* pipeline.c */
struct rte_tel_data;
int lc_pipe_setup(const struct lc_conf *conf, char *err, size_t errlen);
int lc_pipe_main(void *arg);
/* Drain every ring into the pools and free the pipeline's state; called
 * by lc_teardown() with the read lock held and the loops stopped. */
void lc_pipe_teardown(void);
/* stats.c's helpers for pipeline mode: per-role lines, ring lines, the
 * telemetry additions (per lcore, and a "rings" object). */
void lc_pipe_print_interval(const struct lc_snapshot *start, const struct lc_snapshot *prev,
			    const struct lc_snapshot *now, FILE *out);
void lc_pipe_print_summary(const struct lc_snapshot *start, const struct lc_snapshot *end,
			   FILE *out);
void lc_pipe_tel_lcore(const struct lc_ctx *ctx, struct rte_tel_data *c);
void lc_pipe_tel_rings(struct rte_tel_data *d);

/* pipeline.c: the symmetric software flow hash lc_pipe_worker_of() uses
 * when the NIC gives none (addresses and ports in network order). */
uint32_t lc_pipe_flow_hash(uint32_t src, uint32_t dst, rte_be16_t sport, rte_be16_t dport,
			   uint8_t proto);

/* rss.c: read the ports' RETAs and give the stack template @p sc the
 * port_ok hook of @p lcore (unless it has one or TCP is off); freed by
 * lc_rss_free() from lc_teardown(). */
int lc_rss_attach(const struct lc_conf *conf, unsigned int lcore, bool pipeline, uint16_t worker,
		  uint16_t n_workers, struct stk_conf *sc, char *err, size_t errlen);
void lc_rss_free(void);

/* Set by a loop whose service failed to start (rtc.c). */
extern volatile int lc_failed;

#endif /* LC_PRIV_H */
