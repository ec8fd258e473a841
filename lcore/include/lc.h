/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice lcore loops. Run-to-completion: every loop lcore polls its own
 * list of (port, queue) pairs, RX burst -> stack -> service -> buffered TX,
 * timers from the same loop, counters written only by that lcore.
 *
 * lc_setup() and lc_teardown() run on the main lcore with the loops
 * stopped; lc_run() launches the loops and returns when lc_stop() was
 * called (from a signal handler or another thread) and every loop ended.
 */
#ifndef LC_H
#define LC_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "stk.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LC_MAX_RXQ 64
#define LC_MAX_PORTS STK_MAX_PORTS
/** Run stk_timer_run() this often. */
#define LC_TIMER_US 10000

/** One (port, queue, lcore) triple of the mapping. */
struct lc_map_entry {
	uint16_t port;
	uint16_t queue;
	uint16_t lcore;
};

/** Loop counters: one writer (the lcore), any reader (tearing tolerated). */
struct lc_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;   /**< handed to the driver and accepted */
	uint64_t tx_dropped; /**< the driver's TX ring was full */
	uint64_t loops;
	uint64_t busy_cycles; /**< iterations that received something */
	uint64_t idle_cycles; /**< iterations that received nothing */
};

struct lc_rxq {
	uint16_t port_id;
	uint16_t queue_id;
};

/** Per-lcore state, in memory on the lcore's NUMA socket. */
struct lc_ctx {
	uint16_t n_rxq;
	uint16_t burst;
	unsigned int lcore_id;
	uint64_t drain_tsc;
	uint64_t timer_tsc;
	struct stk_ctx *stk;
	struct lc_rxq rxq[LC_MAX_RXQ];
	uint16_t txq[LC_MAX_PORTS];                      /**< our TX queue on each port */
	struct rte_eth_dev_tx_buffer *txb[LC_MAX_PORTS]; /**< NULL: port not used */
	void *svc_state;
	alignas(RTE_CACHE_LINE_SIZE) struct lc_stats stats;
} __rte_cache_aligned;

/** Called on each loop lcore, on that lcore, before its first packet. */
typedef int (*lc_lcore_init_fn)(unsigned int lcore_id, struct stk_ctx *stk, void **state,
				void *arg);
typedef void (*lc_lcore_fini_fn)(unsigned int lcore_id, void *state, void *arg);

struct lc_conf {
	uint16_t burst;
	uint32_t tx_drain_us;
	uint16_t n_map;
	struct lc_map_entry map[LC_MAX_RXQ];
	/** Per-port facts the stack needs (port_id, MAC, IP, offloads). */
	uint16_t n_ports;
	struct stk_if_conf ifs[LC_MAX_PORTS];
	/** Template for each lcore's stack; name, socket_id, mp, tx, hz,
	 *  n_ifs and ifs are filled per lcore by lc_setup(). */
	struct stk_conf stk;
	/** One mempool per socket, indexed by socket id (NULL: none). */
	struct rte_mempool *mp[RTE_MAX_NUMA_NODES];
	lc_lcore_init_fn lcore_init;
	lc_lcore_fini_fn lcore_fini;
	void *arg;
};

/** The lcores that run loops, in id order; set by lc_setup(). */
extern unsigned int lc_n_loops;
extern unsigned int lc_loop_ids[RTE_MAX_LCORE];
/** Contexts indexed by lcore id; NULL for lcores that run no loop. */
extern struct lc_ctx *lc_ctxs[RTE_MAX_LCORE];

/**
 * The distinct loop lcores of a mapping and, per port, how many TX queues
 * the ports need (one per loop lcore). Control path.
 */
unsigned int lc_map_lcores(const struct lc_map_entry *map, uint16_t n_map, unsigned int *ids);

/**
 * Build the l3fwd-style default mapping when the config gives none: every
 * queue of every port, round-robin over the worker lcores (the main lcore
 * only when it is the only one). @return number of entries.
 */
uint16_t lc_map_default(const uint16_t *rxq_per_port, uint16_t n_ports, struct lc_map_entry *map,
			uint16_t max);

/**
 * Check a mapping against the enabled lcores and ports; a message in
 * @p err on failure. @return 0 or -EINVAL.
 */
int lc_map_check(const struct lc_map_entry *map, uint16_t n_map, const uint16_t *rxq_per_port,
		 uint16_t n_ports, char *err, size_t errlen);

/** Allocate contexts and stacks. @return 0 or -errno with @p err set. */
int lc_setup(const struct lc_conf *conf, char *err, size_t errlen);

/** Launch the loops (on the main lcore too when it is mapped); returns
 *  once lc_stop() was called and all loops returned. */
int lc_run(void);

/** Launch the loops on worker lcores only, and return at once (tests). */
int lc_launch(void);
/** Wait until every launched loop returned. */
void lc_wait(void);

/** Ask every loop to stop (async-signal-safe). */
void lc_stop(void);
bool lc_stopping(void);

/** Serialise readers of the contexts with lc_teardown() (control path). */
void lc_read_lock_acquire(void);
void lc_read_lock_release(void);

/** Free contexts and stacks; every held mbuf goes back to its pool. */
void lc_teardown(void);

/** Sum of stack counters over all loops (drops has STK_DROP_MAX entries). */
void lc_stats_total(struct stk_stats *st, uint64_t *drops);

/** Register /sluice/stats with DPDK telemetry. */
int lc_telemetry_register(void);

/** Stats printing: a snapshot taken now, and the line for the time since
 *  the previous snapshot. */
struct lc_snapshot {
	uint64_t tsc;
	struct lc_stats lc[RTE_MAX_LCORE];
	uint64_t drops;
};
void lc_snapshot_take(struct lc_snapshot *s);
void lc_stats_print_interval(const struct lc_snapshot *start, const struct lc_snapshot *prev,
			     const struct lc_snapshot *now, FILE *out);
void lc_stats_print_summary(const struct lc_snapshot *start, const struct lc_snapshot *end,
			    FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* LC_H */
