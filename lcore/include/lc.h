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
 *
 * Pipeline mode (struct lc_conf mode = LC_MODE_PIPELINE): RX lcores poll
 * the queues and hand each packet, by a symmetric flow hash, to the worker
 * lcore that owns the flow, through one single-producer/single-consumer
 * ring per (RX lcore, worker); workers run the same stack and service as
 * RTC; one SP/SC ring per (worker, TX lcore) carries what they send to TX
 * lcores, which buffer it into their own TX queue of each port. An lcore
 * may be RX and TX at once (the I/O lcore). See lcore/pipeline.c.
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

#include "lc_offload.h"
#include "stk.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LC_MAX_RXQ 64
#define LC_MAX_PORTS STK_MAX_PORTS
/** Run stk_timer_run() this often. */
#define LC_TIMER_US 10000
/** Most lcores in one pipeline role. */
#define LC_PIPE_MAX_LCORES 16
/** Most rings a pipeline has: (RX x workers) + (workers x TX). */
#define LC_PIPE_MAX_RINGS (2 * LC_PIPE_MAX_LCORES * LC_PIPE_MAX_LCORES)
/** Size of each loop's ARP message ring (elements). */
#define LC_MSG_RING_SIZE 256

enum lc_mode {
	LC_MODE_RTC = 0,
	LC_MODE_PIPELINE,
};

/** Pipeline roles; an lcore's roles are a mask of (1 << role). */
enum lc_role {
	LC_ROLE_RX = 0, /**< polls ports, dispatches to workers */
	LC_ROLE_WORKER, /**< stack + service */
	LC_ROLE_TX,     /**< drains worker rings into TX queues */
	LC_ROLE_MAX,
};

/** One (port, queue, lcore) triple of the mapping. */
struct lc_map_entry {
	uint16_t port;
	uint16_t queue;
	uint16_t lcore;
};

/** Loop counters: one writer (the lcore), any reader (tearing tolerated). */
struct lc_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;  /**< pipeline RX lcores; RTC loops: see the stack's */
	uint64_t tx_pkts;   /**< handed to the driver and accepted */
	uint64_t tx_dropped; /**< the driver's TX ring was full */
	uint64_t loops;
	uint64_t busy_cycles; /**< iterations that received something */
	uint64_t idle_cycles; /**< iterations that received nothing */
	uint64_t arp_msgs_dropped; /**< ARP messages another loop's full ring refused */
	uint64_t idle_sleeps; /**< idle = adaptive: sleeps of this idle loop */
	/** Pipeline mode, per role this lcore has: packets the stage handled
	 *  and the cycles of the stage runs that handled any (busy only). */
	struct {
		uint64_t pkts;
		uint64_t busy_cycles;
	} role[LC_ROLE_MAX];
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
	unsigned int roles;      /**< pipeline: mask of (1 << enum lc_role); 0 in RTC */
	struct lc_pipe_lcore *pipe; /**< pipeline: this lcore's rings and buffers */
	struct rte_ring *msg;    /**< ARP messages from the other stacks (MP/SC) */
	/* idle = adaptive (lc_conf): empty iterations in a row, the threshold,
	 * the next sleep (doubles up to the max), all in this lcore only */
	bool idle_adaptive;
	uint32_t idle_empty;
	uint32_t idle_polls;
	uint32_t idle_sleep_us;
	uint32_t idle_sleep_max_us;
	struct lc_off_reactor *off; /**< offload lanes of this stack lcore (lc_offload.h) */
	alignas(RTE_CACHE_LINE_SIZE) struct lc_stats stats;
	/** Drops made outside a stack (pipeline RX and TX lcores). */
	uint64_t drops[STK_DROP_MAX];
	/** TCP connections per state when the loop stopped, before the
	 *  service's fini aborted what was open (summary line). */
	uint32_t tcp_at_stop[STK_TCP_NSTATES];
	bool tcp_at_stop_valid;
} __rte_cache_aligned;

/** Called on each loop lcore, on that lcore, before its first packet. */
typedef int (*lc_lcore_init_fn)(unsigned int lcore_id, struct stk_ctx *stk, void **state,
				void *arg);
typedef void (*lc_lcore_fini_fn)(unsigned int lcore_id, void *state, void *arg);

/** Pipeline topology and sizes (lc_pipe_roles() fills the defaults). */
struct lc_pipe_conf {
	uint16_t n_rx, n_workers, n_tx;
	uint16_t rx[LC_PIPE_MAX_LCORES];      /**< lcore ids */
	uint16_t workers[LC_PIPE_MAX_LCORES]; /**< worker i owns flows hashing to i */
	uint16_t tx[LC_PIPE_MAX_LCORES];
	uint32_t ring_size; /**< packets each ring holds */
	uint16_t rx_burst;     /**< rte_eth_rx_burst() size on RX lcores */
	uint16_t worker_burst; /**< packets a worker takes from one ring at a time */
	uint16_t tx_burst;     /**< packets a TX lcore takes from one ring; TX buffer size */
	/** Lcores the default worker list leaves out (offload workers). */
	uint16_t n_skip;
	uint16_t skip[LC_PIPE_MAX_LCORES];
};

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
	/** LC_MODE_RTC (0) or LC_MODE_PIPELINE; in pipeline mode the map
	 *  gives RX queues to RX lcores and @p pipe the roles. */
	enum lc_mode mode;
	struct lc_pipe_conf pipe;
	/** Idle loops: 0 = poll (spin); 1 = adaptive: after @p idle_polls
	 *  empty iterations sleep, backing off up to @p idle_sleep_max_us. */
	uint8_t idle_adaptive;
	uint32_t idle_polls;
	uint32_t idle_sleep_max_us;
	/** Offload lanes ([offload]); n_workers = 0: jobs run inline. */
	struct lc_off_conf off;
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
 *  once lc_stop() was called and all loops returned: 0, or -EIO if a
 *  loop could not start because its service's lcore_init failed. */
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

/** One pipeline ring's counters, as stats readers see them. The producer
 *  writes enqueued, dropped and high_water; the consumer dequeued. */
struct lc_ring_stats {
	char name[24];       /**< "rx0>w1": from RX lcore 0 to worker lcore 1 */
	uint16_t consumer;   /**< lcore that dequeues */
	uint8_t consumer_role; /**< enum lc_role of the consumer's stage */
	uint32_t size;       /**< capacity in packets */
	uint32_t count;      /**< occupancy when read */
	uint64_t enqueued;
	uint64_t dequeued;
	uint64_t dropped;    /**< refused because full (also counted as ring_full) */
	uint64_t high_water; /**< most packets it ever held */
};

/** Stats printing: a snapshot taken now, and the line for the time since
 *  the previous snapshot. */
struct lc_snapshot {
	uint64_t tsc;
	struct lc_stats lc[RTE_MAX_LCORE];
	uint64_t drops;
	unsigned int n_rings; /**< pipeline mode */
	struct lc_ring_stats rings[LC_PIPE_MAX_RINGS];
	struct lc_off_snap off; /**< offload lanes and workers */
};
void lc_snapshot_take(struct lc_snapshot *s);
void lc_stats_print_interval(const struct lc_snapshot *start, const struct lc_snapshot *prev,
			     const struct lc_snapshot *now, FILE *out);
void lc_stats_print_summary(const struct lc_snapshot *start, const struct lc_snapshot *end,
			    FILE *out);

/* ---- pipeline mode ---- */

struct lc_pipe_lcore;

/**
 * Resolve and check pipeline roles against the enabled lcores (control
 * path, after EAL). Empty lists take defaults: RX = the main lcore, TX =
 * the RX lcores (one I/O lcore), workers = every other enabled lcore.
 * Workers must not be RX or TX lcores; every lcore must be enabled; at
 * most LC_PIPE_MAX_LCORES per role. Zero sizes take defaults (ring 1024,
 * bursts 32). @return 0 or -EINVAL with a message in @p err.
 */
int lc_pipe_roles(struct lc_pipe_conf *pc, char *err, size_t errlen);

/**
 * Default pipeline mapping: every queue of every port round-robin over the
 * RX lcores. @return number of entries.
 */
uint16_t lc_pipe_map_default(const uint16_t *rxq_per_port, uint16_t n_ports,
			     const struct lc_pipe_conf *pc, struct lc_map_entry *map, uint16_t max);

/** Every lcore of a mapping must be an RX lcore. @return 0 or -EINVAL. */
int lc_pipe_map_check(const struct lc_map_entry *map, uint16_t n_map,
		      const struct lc_pipe_conf *pc, char *err, size_t errlen);

/** The distinct lcores of a pipeline, ascending, in @p ids. @return count. */
unsigned int lc_pipe_lcores(const struct lc_pipe_conf *pc, unsigned int *ids);

/** Role mask of @p lcore in @p pc. */
unsigned int lc_pipe_roles_of(const struct lc_pipe_conf *pc, unsigned int lcore);

/** "rx+tx", "worker", ... for a role mask. */
const char *lc_roles_name(unsigned int roles);

/** True between lc_setup() in pipeline mode and lc_teardown(). */
bool lc_pipe_active(void);

/**
 * The worker index (0..n_workers-1) that owns @p m's flow: the NIC's RSS
 * hash when the mbuf carries one (RTE_MBUF_F_RX_RSS_HASH) and its port
 * (m->port) is not under lc_rss_software(), a symmetric
 * software hash of the IPv4 5-tuple otherwise, so both directions map to
 * the same worker. ARP, non-IPv4, ICMP and frames too short to parse are
 * not flows: worker 0. Fragments and protocols without ports hash by the
 * address pair, so the pieces of one datagram stay together. Any lcore;
 * reads the headers only.
 */
unsigned int lc_pipe_worker_of(const struct rte_mbuf *m, unsigned int n_workers);

/** Copy every ring's counters (any thread, under lc_read_lock_acquire()
 *  so that lc_teardown() cannot free them meanwhile). @return count. */
unsigned int lc_pipe_ring_stats(struct lc_ring_stats *out, unsigned int max);

/* ---- active open and RSS (rss.c) ---- */

/** Most RETA entries a port may have. */
#define LC_RSS_RETA_MAX 512

/** What one loop's choice of ephemeral ports knows about one port. */
struct lc_rss_port {
	uint32_t ip;        /**< the port's address, network order */
	uint16_t reta_size; /**< 0: no RSS or one RX queue: any port will do (RTC) */
	bool hw_hash;       /**< pipeline: mbufs carry the NIC's Toeplitz hash */
	bool mine[LC_RSS_RETA_MAX]; /**< RETA entry i names a queue this lcore polls */
};

/** The port_ok argument (struct stk_tcp_conf) of one loop's stack. */
struct lc_rss_sel {
	uint16_t n_ports;
	bool pipeline;           /**< choose by lc_pipe_worker_of(), not by RETA */
	uint16_t worker;         /**< pipeline: this stack's worker index */
	uint16_t n_workers;      /**< pipeline: how many workers */
	struct lc_rss_port port[LC_MAX_PORTS];
};

/** Toeplitz hash (key dp_rss_sym_key) of the segments the peer of @p t
 *  sends, as the NIC computes it (RTE_ETH_RSS_NONFRAG_IPV4_TCP). */
uint32_t lc_rss_hash(const struct stk_tcp_tuple *t);

/**
 * stk_tcp_port_ok_fn for the stacks lc_setup() creates (@p arg: struct
 * lc_rss_sel): true when the peer's answers to @p t reach this stack: RTC,
 * RETA[hash % size] is a queue the lcore polls; pipeline,
 * lc_pipe_worker_of() names this worker. Ports the selector does not know
 * (local IP of no port) and ports without RSS: true. Any lcore; pure.
 */
bool lc_rss_port_ok(void *arg, const struct stk_tcp_tuple *t);

/** Read the ports' RETAs again into every loop's selector: call after the
 *  ports started (drivers may program the RETA at start), before lc_run().
 *  Control path. */
void lc_rss_refresh(void);

/** Fill port index @p port of @p s from a RETA (queue per entry, @p
 *  reta_size 0: no RSS) and the mapping's queues that @p lcore polls. */
void lc_rss_sel_fill(struct lc_rss_sel *s, uint16_t port, uint32_t ip, const uint16_t *reta,
		     uint16_t reta_size, const struct lc_map_entry *map, uint16_t n_map,
		     unsigned int lcore);

/* ---- Prometheus endpoint (metrics.c) ---- */

/**
 * Listen on @p addr ("a.b.c.d:port") and serve GET /metrics from a control
 * thread (rte_ctrl_thread_create: a pthread, not an lcore) until
 * lc_metrics_stop(). Call after lc_setup(). @return 0, or -errno with a
 * message in @p err (address malformed, in use, not local).
 */
int lc_metrics_start(const char *addr, char *err, size_t errlen);

/** Stop and join the metrics thread, close its socket (before
 *  lc_teardown()). Harmless when it never started. */
void lc_metrics_stop(void);

/** The Prometheus text of every counter, into a malloc'd buffer the caller
 *  frees (open_memstream). Control path. @return 0 or -errno. */
int lc_metrics_render(char **text, size_t *len);

/* ---- RSS self-check (rss.c) ---- */

/** Sample flows lc_rss_check_table() hashes both ways. */
#define LC_RSS_CHECK_SAMPLES 1024

/**
 * Hash LC_RSS_CHECK_SAMPLES fixed sample flows (IPv4 with ports, and IPv4
 * addresses only) and their reverse with Toeplitz and @p key, and look
 * each up in @p reta (@p reta_size entries, queue per entry; 0: no RSS,
 * nothing to check). With @p same_hash (pipeline mode, which spreads
 * flows over workers by the hash itself) the two hashes must be equal,
 * else the two queues. @return 0, or -EINVAL with the first flow that
 * fails in @p err. Pure; any thread.
 */
int lc_rss_check_table(const uint8_t *key, uint16_t key_len, const uint16_t *reta,
		       uint16_t reta_size, bool same_hash, char *err, size_t errlen);

/**
 * lc_rss_check_table() with the key and RETA port @p port_id reports
 * (rte_eth_dev_rss_hash_conf_get, rte_eth_dev_rss_reta_query), after the
 * port started. Ports with one RX queue or no RSS pass. @return 0,
 * -EINVAL (directions split) or -ENOTSUP (key or RETA unreadable), with a
 * message in @p err. Control path.
 */
int lc_rss_check_port(uint16_t port_id, bool same_hash, char *err, size_t errlen);

/**
 * Software steering for port @p port_id (pipeline mode): RX lcores ignore
 * the NIC's RSS hash of its packets and pick workers by the symmetric
 * software flow hash, and active opens choose ports by that hash too.
 * Call before lc_run(), on the main lcore; lc_teardown() clears it.
 */
void lc_rss_software(uint16_t port_id);

/** Undo every lc_rss_software() (lc_teardown() does it too). */
void lc_rss_software_reset(void);

/** Ports lc_rss_software() named (lc_pipe_worker_of() reads it). */
extern bool lc_rss_sw_port[RTE_MAX_ETHPORTS];

#ifdef __cplusplus
}
#endif

#endif /* LC_H */
