/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Offload lanes: a reactor (an lcore that runs the stack and the service,
 * RTC loop or pipeline worker) hands the *work* of a request to a small set
 * of offload worker lcores through bounded priority lanes, and gets the
 * result back on itself (half-sync/half-async).
 *
 * Queues: one SP/SC rte_ring per (reactor, worker, lane) carries jobs, one
 * SP/SC rte_ring per (worker, reactor) carries them back. lane_size bounds
 * the jobs a reactor has out per (worker, lane), counted by the reactor;
 * jobs are staged and enqueued in bursts from lc_off_poll() (the same loop
 * iteration), completions gathered by the worker in batches of up to 8. Connection and
 * flow state never leave the reactor: a worker touches only the job (its
 * function and argument). Job descriptors come from a fixed pool per
 * reactor, and every completion ring holds that whole pool, so a worker
 * never waits to give a job back.
 *
 * A full lane is backpressure: lc_off_submit() fails at once with -ENOBUFS
 * (counted as rejected), or, where the lane's on_full is run_inline, runs
 * the job on the reactor itself (the caller-runs policy). The done callback
 * is always called later, from lc_off_poll() on the submitting lcore, never
 * from inside lc_off_submit(), with the job's fate: done, expired (older
 * than deadline_us when a worker reached it, or queued at shutdown), or
 * cancelled (the job was tied to a generation counter, e.g. a connection
 * slot's, that changed before the completion came back).
 *
 * Worker policy. strict: lane 0 first, then 1, ...; so that a busy lane
 * cannot starve the lanes below it forever, after starve_after consecutive
 * jobs taken while some lower lane had work waiting, the next job comes
 * from a lower non-empty lane, chosen round-robin among them (each lower
 * lane gets at least one job in starve_after x (lanes - 1)). weighted:
 * weighted round robin, up to weights[l] jobs from lane l in a row, then
 * the next lane; an empty lane gives its turn away. Within a lane, the
 * reactors are served round-robin.
 *
 * With no worker lcores (no [offload] section) every reactor still has a
 * context and lc_off_submit() runs each job inline, so services behave the
 * same with and without offload.
 */
#ifndef LC_OFFLOAD_H
#define LC_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_branch_prediction.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LC_OFF_MAX_LANES 8
#define LC_OFF_MAX_WORKERS 8
/** Stack lcores (reactors): every loop lcore has one, [offload] or not, so
 *  this is Debian DPDK's RTE_MAX_LCORE. */
#define LC_OFF_MAX_REACTORS 128
/** Job descriptors per reactor beyond what the lanes hold (inline runs). */
#define LC_OFF_INLINE_RESERVE 256
/** Log-linear histogram: 8 sub-buckets per power of two (12.5 % steps). */
#define LC_OFF_HIST_BUCKETS 512

enum lc_off_policy {
	LC_OFF_STRICT = 0,
	LC_OFF_WEIGHTED,
};

enum lc_off_on_full {
	LC_OFF_REJECT = 0,  /**< submit fails with -ENOBUFS */
	LC_OFF_RUN_INLINE,  /**< the reactor runs the job itself */
};

/** What became of a job (the done callback's @p fate). */
enum lc_off_fate {
	LC_OFF_DONE = 0,   /**< ran; result is the job function's return */
	LC_OFF_EXPIRED,    /**< not run: older than deadline_us, or queued at shutdown */
	LC_OFF_REJECTED,   /**< not run: never passed to the callback, see lc_off_submit() */
	LC_OFF_CANCELLED,  /**< its generation changed (connection closed); arg still its own */
};

/** Runs on a worker lcore (or on the reactor, inline). Touches only @p arg. */
typedef int (*lc_off_fn)(void *arg);
/** Runs on the submitting lcore, from its loop. Owns @p arg again. */
typedef void (*lc_off_done_fn)(void *cookie, void *arg, enum lc_off_fate fate, int result);

/** One job, as a service submits it. */
struct lc_off_req {
	lc_off_fn fn;
	void *arg;            /**< lent to the worker until done is called */
	lc_off_done_fn done;  /**< required */
	void *cookie;         /**< for done: e.g. the connection */
	uint8_t lane;         /**< 0 = highest priority; clamped to the last lane */
	/** Optional tie to a connection slot: when *gen differs from gen_val
	 *  at completion, the fate is LC_OFF_CANCELLED. The counter must stay
	 *  valid memory of the reactor (a slot array, not the connection). */
	const uint32_t *gen;
	uint32_t gen_val;
};

/** [offload]: the configuration lc_off_setup() takes. */
struct lc_off_conf {
	uint16_t n_workers;                     /**< 0 = no offload: jobs run inline */
	uint16_t workers[LC_OFF_MAX_WORKERS];   /**< lcore ids */
	uint16_t n_lanes;                       /**< 1..LC_OFF_MAX_LANES */
	uint32_t lane_size;                     /**< jobs out per (reactor, worker, lane) */
	enum lc_off_policy policy;
	uint16_t weights[LC_OFF_MAX_LANES];     /**< weighted: jobs per turn (>= 1) */
	uint32_t deadline_us;                   /**< 0 = none */
	uint32_t starve_after;                  /**< strict: see the file comment */
	uint8_t on_full[LC_OFF_MAX_LANES];      /**< enum lc_off_on_full per lane */
};

/** Fixed-memory histogram of cycle counts (one writer). */
struct lc_off_hist {
	uint64_t b[LC_OFF_HIST_BUCKETS];
};

void lc_off_hist_add(struct lc_off_hist *h, uint64_t v);
/** Value (cycles) at quantile @p q (0..1) of @p h; 0 if empty. */
uint64_t lc_off_hist_quantile(const struct lc_off_hist *h, double q);
uint64_t lc_off_hist_count(const struct lc_off_hist *h);

/** Per-lane totals over reactors and workers, as stats readers see them. */
struct lc_off_lane_stats {
	uint64_t submitted; /**< accepted into the lane */
	uint64_t inlined;   /**< lane full and on_full = run_inline, or no workers */
	uint64_t rejected;  /**< lane full (or no job descriptor left, or stopping) */
	uint64_t completed; /**< delivered as done (inline runs included) */
	uint64_t expired;
	uint64_t cancelled;
	struct lc_off_hist wait; /**< cycles from submit to a worker taking it */
	struct lc_off_hist svc;  /**< cycles the job function ran on a worker */
};

struct lc_off_worker_stats {
	uint16_t lcore;
	uint64_t jobs;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
};

/** Everything the stats line, the summary and telemetry need. */
struct lc_off_snap {
	uint64_t tsc;
	uint16_t n_lanes, n_workers;
	struct lc_off_lane_stats lane[LC_OFF_MAX_LANES];
	struct lc_off_worker_stats worker[LC_OFF_MAX_WORKERS];
};

struct lc_off_reactor;

/**
 * Create the lanes: a context for each of the @p n_reactors lcores in
 * @p reactors and, when @p c has workers, their rings. Worker lcores must
 * be enabled, distinct, and none of the @p n_loops lcores in @p loops (the
 * loop and stack lcores). Control path. @return 0 or -errno with @p err.
 */
int lc_off_setup(const struct lc_off_conf *c, const unsigned int *reactors,
		 unsigned int n_reactors, const unsigned int *loops, unsigned int n_loops,
		 char *err, size_t errlen);
/** Free rings and contexts (workers stopped). Control path. */
void lc_off_teardown(void);

/** This lcore's reactor context; NULL if it is none. */
struct lc_off_reactor *lc_off_reactor_of(unsigned int lcore);
/** True if @p lcore is an offload worker. */
bool lc_off_is_worker(unsigned int lcore);
/** Lanes configured (1 without [offload]). */
unsigned int lc_off_lanes(void);

/**
 * Hand a job to its lane (reactor lcore only; returns at once).
 * @return 0 queued to a worker; 1 ran inline (lane full with run_inline,
 * or no workers); -ENOBUFS the lane is full (or no descriptor is free);
 * -ESHUTDOWN the reactor is stopping; -EINVAL bad request or @p r NULL.
 * On a negative return done is never called and the job is counted as
 * rejected (except -EINVAL); otherwise done is called exactly once, later,
 * from lc_off_poll() on this lcore.
 */
int lc_off_submit(struct lc_off_reactor *r, const struct lc_off_req *req);

/** Deliver the completions that came back (reactor's loop). */
unsigned int lc_off_poll_slow(struct lc_off_reactor *r);

/** Jobs out (staged, queued, running or back, not yet delivered). */
static inline bool
lc_off_pending(const struct lc_off_reactor *r)
{
	return r != NULL && *(const volatile uint32_t *)(const void *)r != 0;
}

/** Once per loop iteration: nothing to do unless jobs are in flight. */
static inline unsigned int
lc_off_poll(struct lc_off_reactor *r)
{
	if (likely(!lc_off_pending(r)))
		return 0;
	return lc_off_poll_slow(r);
}

/**
 * The reactor stops: no more submits (-ESHUTDOWN), then wait for every job
 * still out and deliver its completion (workers expire what is queued).
 * Call on the reactor, after its last packet, before the service's fini.
 */
void lc_off_reactor_stop(struct lc_off_reactor *r);

/** A worker's loop (launch on each worker lcore; @p arg unused). Returns
 *  when every reactor has stopped and its lanes are empty, or 2 s after
 *  lc_off_stop_workers() if some reactor never stops. */
int lc_off_worker_main(void *arg);
/** Tell workers the run ends (lc_stop() does it too). */
void lc_off_stop_workers(void);

/** Counters summed per lane and per worker (any thread). */
void lc_off_snapshot(struct lc_off_snap *s);
bool lc_off_active(void); /**< there are worker lcores */
void lc_off_print_interval(const struct lc_off_snap *prev, const struct lc_off_snap *now,
			   FILE *out);
void lc_off_print_summary(const struct lc_off_snap *start, const struct lc_off_snap *end,
			  FILE *out);

struct rte_tel_data;
/** Add an "offload" object (lanes, workers) to a /sluice/stats reply. */
void lc_off_tel(struct rte_tel_data *d);

#ifdef __cplusplus
}
#endif

#endif /* LC_OFFLOAD_H */
