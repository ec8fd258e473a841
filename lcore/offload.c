/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offload lanes (lc_offload.h has the contract). Who writes what:
 *
 *   reactor r   its job pool and free list, its lane rings' producer side,
 *               its completion rings' consumer side, its lane counters
 *               (submitted, inlined, rejected, completed, expired,
 *               cancelled) and its closing flag;
 *   worker w    its lane rings' consumer side, its completion rings'
 *               producer side, the t_start/t_end/fate/result of the job it
 *               holds, its histograms (queue wait, service time) and its
 *               busy/idle cycles.
 *
 * A job descriptor belongs to one side at a time: the ring enqueue hands it
 * over (rte_ring's release/acquire orders the writes before it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "dp.h"
#include "lc.h"
#include "lc_offload.h"

/* How long a worker waits, once the run ends, for a reactor that never
 * calls lc_off_reactor_stop() (its loop failed to start). */
#define LC_OFF_QUIT_MS 2000
/* Completions a worker gathers per reactor before one ring enqueue: each
 * enqueue moves the ring's cache lines between cores, which on a VM costs
 * as much as a short job. The batch goes out as soon as no job is waiting. */
#define LC_OFF_DONE_BATCH 8
/* Jobs a reactor stages per (worker, lane) before one ring enqueue; the
 * stages go out at the latest from the loop's next lc_off_poll(). */
#define LC_OFF_STAGE 32
#define LC_OFF_NO_WORKER UINT16_MAX
/* How long a stopping reactor waits for its jobs to come back. */
#define LC_OFF_STOP_MS 1500

struct lc_off_job {
	lc_off_fn fn;
	void *arg;
	lc_off_done_fn done;
	void *cookie;
	const uint32_t *gen;
	uint32_t gen_val;
	uint8_t lane;
	uint8_t fate;
	uint16_t reactor;
	uint16_t worker; /* written by the reactor; LC_OFF_NO_WORKER: ran inline */
	int32_t result;
	uint64_t t_submit, t_start, t_end;
	struct lc_off_job *next; /* free list, inline list */
};

struct lc_off_rlane {
	uint64_t submitted, inlined, rejected, completed, expired, cancelled;
};

struct lc_off_reactor {
	uint32_t inflight; /* first: lc_off_poll() reads it without the type */
	uint16_t idx;
	uint16_t lcore;
	bool closing;
	struct lc_off_job *free;
	struct lc_off_job *inl_head, *inl_tail; /* ran inline, to deliver */
	struct rte_ring *lane[LC_OFF_MAX_WORKERS][LC_OFF_MAX_LANES];
	struct rte_ring *done[LC_OFF_MAX_WORKERS];
	struct lc_off_job *jobs;
	uint32_t n_jobs;
	/* Jobs out per (worker, lane): staged, queued, running or on their way
	 * back. A lane is full at lane_size, known without reading the
	 * worker's side of the ring (a cache line that lives on its core). */
	uint32_t out[LC_OFF_MAX_WORKERS][LC_OFF_MAX_LANES];
	uint32_t staged;
	uint16_t n_stage[LC_OFF_MAX_WORKERS][LC_OFF_MAX_LANES];
	struct lc_off_job *stage[LC_OFF_MAX_WORKERS][LC_OFF_MAX_LANES][LC_OFF_STAGE];
	alignas(RTE_CACHE_LINE_SIZE) struct lc_off_rlane st[LC_OFF_MAX_LANES];
} __rte_cache_aligned;

struct lc_off_wlane {
	uint64_t ran, expired;
	struct lc_off_hist wait, svc;
};

struct lc_off_worker {
	uint16_t idx;
	uint16_t lcore;
	/* policy state */
	uint32_t streak;   /* strict: jobs taken while a lower lane waited */
	uint16_t age_next; /* strict: next lower lane to serve on starvation */
	uint16_t wrr_lane; /* weighted: lane whose turn it is */
	uint32_t wrr_taken;
	uint16_t rr[LC_OFF_MAX_LANES]; /* next reactor per lane */
	uint64_t jobs;
	uint64_t busy_cycles, idle_cycles;
	uint16_t n_done[LC_OFF_MAX_REACTORS]; /* completions gathered, not yet sent */
	struct lc_off_job *done[LC_OFF_MAX_REACTORS][LC_OFF_DONE_BATCH];
	alignas(RTE_CACHE_LINE_SIZE) struct lc_off_wlane st[LC_OFF_MAX_LANES];
} __rte_cache_aligned;

static struct {
	bool on; /* lc_off_setup() ran */
	struct lc_off_conf conf;
	uint64_t deadline_tsc;
	unsigned int n_reactors;
	struct lc_off_reactor *reactors[LC_OFF_MAX_REACTORS];
	struct lc_off_worker *workers[LC_OFF_MAX_WORKERS];
	uint32_t stopped; /* reactors that called lc_off_reactor_stop() */
	volatile int quit;
} lo;

static struct lc_off_reactor *lc_off_by_lcore[RTE_MAX_LCORE];
static int8_t lc_off_worker_idx[RTE_MAX_LCORE]; /* index + 1; 0 = not a worker */

_Static_assert(offsetof(struct lc_off_reactor, inflight) == 0, "lc_off_poll() reads it at 0");

/* ---- histogram ---- */

static inline unsigned int
lc_off_hist_idx(uint64_t v)
{
	unsigned int msb;

	if (v < 8)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	return (msb - 2) * 8 + (unsigned int)((v >> (msb - 3)) & 7);
}

/* middle of bucket @i */
static uint64_t
lc_off_hist_value(unsigned int i)
{
	unsigned int msb, sub;

	if (i < 8)
		return i;
	msb = i / 8 + 2;
	sub = i % 8;
	return ((uint64_t)(8 + sub) << (msb - 3)) + ((1ull << (msb - 3)) >> 1);
}

void
lc_off_hist_add(struct lc_off_hist *h, uint64_t v)
{
	h->b[lc_off_hist_idx(v)]++;
}

uint64_t
lc_off_hist_count(const struct lc_off_hist *h)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < LC_OFF_HIST_BUCKETS; i++)
		n += h->b[i];
	return n;
}

uint64_t
lc_off_hist_quantile(const struct lc_off_hist *h, double q)
{
	uint64_t n = lc_off_hist_count(h), want, acc = 0;
	unsigned int i;

	if (n == 0)
		return 0;
	want = (uint64_t)(q * (double)n);
	if (want >= n)
		want = n - 1;
	for (i = 0; i < LC_OFF_HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc > want)
			return lc_off_hist_value(i);
	}
	return lc_off_hist_value(LC_OFF_HIST_BUCKETS - 1);
}

/* ---- set-up ---- */

static struct rte_ring *
lc_off_ring(const char *what, unsigned int a, unsigned int b, unsigned int c, uint32_t size,
	    int socket, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "lo_%s%u_%u_%u", what, a, b, c);
	r = rte_ring_create(name, size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (r == NULL)
		snprintf(err, errlen,
			 "offload: cannot create ring %s of %u jobs: %s (lower [offload] "
			 "lane_size or lanes)",
			 name, size, rte_strerror(rte_errno));
	return r;
}

static bool
lc_in(const unsigned int *ids, unsigned int n, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

int
lc_off_setup(const struct lc_off_conf *c, const unsigned int *reactors, unsigned int n_reactors,
	     const unsigned int *loops, unsigned int n_loops, char *err, size_t errlen)
{
	unsigned int i, j, w, l;

	memset(&lo, 0, sizeof(lo));
	memset(lc_off_by_lcore, 0, sizeof(lc_off_by_lcore));
	memset(lc_off_worker_idx, 0, sizeof(lc_off_worker_idx));
	lo.on = true; /* lc_off_teardown() frees what we made from here on */
	lo.conf = *c;
	if (lo.conf.n_lanes == 0)
		lo.conf.n_lanes = 1;
	if (lo.conf.lane_size == 0)
		lo.conf.lane_size = 64;
	if (lo.conf.starve_after == 0)
		lo.conf.starve_after = 1;
	if (lo.conf.n_lanes > LC_OFF_MAX_LANES || lo.conf.n_workers > LC_OFF_MAX_WORKERS) {
		snprintf(err, errlen, "offload: at most %u lanes and %u worker lcores",
			 LC_OFF_MAX_LANES, LC_OFF_MAX_WORKERS);
		return -EINVAL;
	}
	for (l = 0; l < lo.conf.n_lanes; l++)
		if (lo.conf.weights[l] == 0)
			lo.conf.weights[l] = 1;
	if (n_reactors > LC_OFF_MAX_REACTORS) {
		snprintf(err, errlen, "offload: %u stack lcores, at most %u", n_reactors,
			 LC_OFF_MAX_REACTORS);
		return -EINVAL;
	}
	for (w = 0; w < lo.conf.n_workers; w++) {
		unsigned int id = lo.conf.workers[w];

		if (id >= RTE_MAX_LCORE || !rte_lcore_is_enabled(id)) {
			snprintf(err, errlen,
				 "[offload] lcores: lcore %u is not enabled; give it to EAL with "
				 "-l (e.g. -l 0-%u)",
				 id, id);
			return -EINVAL;
		}
		if (lc_in(loops, n_loops, id)) {
			snprintf(err, errlen,
				 "[offload] lcores: lcore %u also runs a loop (polls queues or is "
				 "a pipeline stage); an offload worker needs an lcore of its own",
				 id);
			return -EINVAL;
		}
		if (lc_off_worker_idx[id] != 0) {
			snprintf(err, errlen, "[offload] lcores: lcore %u is listed twice", id);
			return -EINVAL;
		}
		lc_off_worker_idx[id] = (int8_t)(w + 1);
	}
	lo.deadline_tsc = (rte_get_tsc_hz() + 999999) / 1000000 * lo.conf.deadline_us;

	for (w = 0; w < lo.conf.n_workers; w++) {
		unsigned int id = lo.conf.workers[w];
		struct lc_off_worker *wk;

		wk = rte_zmalloc_socket("lc_off_worker", sizeof(*wk), RTE_CACHE_LINE_SIZE,
					dp_lcore_socket(id));
		if (wk == NULL) {
			snprintf(err, errlen, "offload: out of memory for worker %u", id);
			return -ENOMEM;
		}
		wk->idx = (uint16_t)w;
		wk->lcore = (uint16_t)id;
		lo.workers[w] = wk;
	}
	for (i = 0; i < n_reactors; i++) {
		unsigned int id = reactors[i];
		int socket = dp_lcore_socket(id);
		struct lc_off_reactor *r;
		uint32_t n_jobs = lo.conf.n_workers * lo.conf.n_lanes * lo.conf.lane_size +
				  LC_OFF_INLINE_RESERVE;

		r = rte_zmalloc_socket("lc_off_reactor", sizeof(*r), RTE_CACHE_LINE_SIZE, socket);
		if (r == NULL) {
			snprintf(err, errlen, "offload: out of memory for lcore %u", id);
			return -ENOMEM;
		}
		lo.reactors[lo.n_reactors++] = r;
		lc_off_by_lcore[id] = r;
		r->idx = (uint16_t)i;
		r->lcore = (uint16_t)id;
		r->jobs = rte_zmalloc_socket("lc_off_jobs", sizeof(*r->jobs) * n_jobs,
					     RTE_CACHE_LINE_SIZE, socket);
		if (r->jobs == NULL) {
			snprintf(err, errlen, "offload: out of memory for %u jobs of lcore %u",
				 n_jobs, id);
			return -ENOMEM;
		}
		r->n_jobs = n_jobs;
		for (j = 0; j < n_jobs; j++) {
			r->jobs[j].reactor = (uint16_t)i;
			r->jobs[j].next = j + 1 < n_jobs ? &r->jobs[j + 1] : NULL;
		}
		r->free = &r->jobs[0];
		for (w = 0; w < lo.conf.n_workers; w++) {
			unsigned int wid = lo.conf.workers[w];

			for (l = 0; l < lo.conf.n_lanes; l++) {
				r->lane[w][l] = lc_off_ring("l", id, wid, l, lo.conf.lane_size,
							    dp_lcore_socket(wid), err, errlen);
				if (r->lane[w][l] == NULL)
					return -ENOMEM;
			}
			/* the whole pool fits: a worker never waits to give back */
			r->done[w] = lc_off_ring("c", wid, id, 0, n_jobs, socket, err, errlen);
			if (r->done[w] == NULL)
				return -ENOMEM;
		}
	}
	return 0;
}

void
lc_off_teardown(void)
{
	unsigned int i, w, l;

	if (!lo.on)
		return;
	for (i = 0; i < lo.n_reactors; i++) {
		struct lc_off_reactor *r = lo.reactors[i];

		for (w = 0; w < LC_OFF_MAX_WORKERS; w++) {
			for (l = 0; l < LC_OFF_MAX_LANES; l++)
				rte_ring_free(r->lane[w][l]);
			rte_ring_free(r->done[w]);
		}
		rte_free(r->jobs);
		rte_free(r);
	}
	for (w = 0; w < LC_OFF_MAX_WORKERS; w++)
		rte_free(lo.workers[w]);
	memset(&lo, 0, sizeof(lo));
	memset(lc_off_by_lcore, 0, sizeof(lc_off_by_lcore));
	memset(lc_off_worker_idx, 0, sizeof(lc_off_worker_idx));
}

struct lc_off_reactor *
lc_off_reactor_of(unsigned int lcore)
{
	return lcore < RTE_MAX_LCORE ? lc_off_by_lcore[lcore] : NULL;
}

bool
lc_off_is_worker(unsigned int lcore)
{
	return lcore < RTE_MAX_LCORE && lc_off_worker_idx[lcore] != 0;
}

unsigned int
lc_off_lanes(void)
{
	return lo.on ? lo.conf.n_lanes : 1;
}

bool
lc_off_active(void)
{
	return lo.on && lo.conf.n_workers != 0;
}

/* ---- reactor side ---- */

/* Hand the staged jobs of (@w, @l) to the worker's ring: it has room, as
 * out[w][l] <= lane_size = the ring's capacity bounds what it holds. */
static void
lc_off_stage_flush(struct lc_off_reactor *r, unsigned int w, unsigned int l)
{
	unsigned int n = r->n_stage[w][l], sent = 0;

	while (sent < n)
		sent += rte_ring_sp_enqueue_burst(r->lane[w][l], (void **)&r->stage[w][l][sent],
						  n - sent, NULL);
	r->n_stage[w][l] = 0;
	r->staged -= n;
}

static void
lc_off_stage_flush_all(struct lc_off_reactor *r)
{
	unsigned int w, l;

	for (w = 0; w < lo.conf.n_workers && r->staged != 0; w++)
		for (l = 0; l < lo.conf.n_lanes; l++)
			if (r->n_stage[w][l] != 0)
				lc_off_stage_flush(r, w, l);
}

static void
lc_off_inline(struct lc_off_reactor *r, struct lc_off_job *j)
{
	j->t_start = rte_rdtsc();
	j->result = j->fn(j->arg);
	j->t_end = rte_rdtsc();
	j->fate = LC_OFF_DONE;
	j->next = NULL;
	if (r->inl_tail != NULL)
		r->inl_tail->next = j;
	else
		r->inl_head = j;
	r->inl_tail = j;
	r->st[j->lane].inlined++;
}

int
lc_off_submit(struct lc_off_reactor *r, const struct lc_off_req *req)
{
	struct lc_off_job *j;
	unsigned int w, lane, best = LC_OFF_NO_WORKER, best_n = UINT32_MAX;

	if (unlikely(r == NULL || req == NULL || req->fn == NULL || req->done == NULL))
		return -EINVAL;
	lane = RTE_MIN((unsigned int)req->lane, lo.conf.n_lanes - 1u);
	if (unlikely(r->closing)) {
		r->st[lane].rejected++;
		return -ESHUTDOWN;
	}
	j = r->free;
	if (unlikely(j == NULL)) {
		r->st[lane].rejected++;
		return -ENOBUFS;
	}
	for (w = 0; w < lo.conf.n_workers; w++) {
		unsigned int n = r->out[w][lane];

		if (n < best_n && n < lo.conf.lane_size) {
			best_n = n;
			best = w;
		}
	}
	if (best == LC_OFF_NO_WORKER && lo.conf.n_workers != 0 &&
	    lo.conf.on_full[lane] != LC_OFF_RUN_INLINE) {
		r->st[lane].rejected++;
		return -ENOBUFS;
	}
	r->free = j->next;
	j->fn = req->fn;
	j->arg = req->arg;
	j->done = req->done;
	j->cookie = req->cookie;
	j->gen = req->gen;
	j->gen_val = req->gen_val;
	j->lane = (uint8_t)lane;
	j->worker = (uint16_t)best;
	j->t_submit = rte_rdtsc();
	r->inflight++;
	if (best == LC_OFF_NO_WORKER) {
		lc_off_inline(r, j);
		return 1;
	}
	r->out[best][lane]++;
	r->stage[best][lane][r->n_stage[best][lane]++] = j;
	r->staged++;
	if (r->n_stage[best][lane] == LC_OFF_STAGE)
		lc_off_stage_flush(r, best, lane);
	r->st[lane].submitted++;
	return 0;
}

static void
lc_off_deliver(struct lc_off_reactor *r, struct lc_off_job *j)
{
	struct lc_off_rlane *st = &r->st[j->lane];
	enum lc_off_fate fate = (enum lc_off_fate)j->fate;

	if (j->gen != NULL && *j->gen != j->gen_val)
		fate = LC_OFF_CANCELLED;
	if (fate == LC_OFF_DONE)
		st->completed++;
	else if (fate == LC_OFF_EXPIRED)
		st->expired++;
	else
		st->cancelled++;
	r->inflight--;
	if (j->worker != LC_OFF_NO_WORKER)
		r->out[j->worker][j->lane]--;
	j->done(j->cookie, j->arg, fate, j->result);
	j->next = r->free;
	r->free = j;
}

unsigned int
lc_off_poll_slow(struct lc_off_reactor *r)
{
	struct lc_off_job *jobs[32];
	unsigned int w, n, i, total = 0;

	if (r->staged != 0)
		lc_off_stage_flush_all(r);
	/* jobs run inline first: they were submitted when the lane was full */
	while (r->inl_head != NULL) {
		struct lc_off_job *j = r->inl_head;

		r->inl_head = j->next;
		if (r->inl_head == NULL)
			r->inl_tail = NULL;
		lc_off_deliver(r, j);
		total++;
	}
	for (w = 0; w < lo.conf.n_workers; w++) {
		n = rte_ring_sc_dequeue_burst(r->done[w], (void **)jobs, RTE_DIM(jobs), NULL);
		/* last written by the worker: start every miss at once */
		for (i = 0; i < n; i++)
			rte_prefetch0(jobs[i]);
		for (i = 0; i < n; i++)
			lc_off_deliver(r, jobs[i]);
		total += n;
	}
	return total;
}

static bool
lc_off_workers_running(void)
{
	unsigned int w;

	for (w = 0; w < lo.conf.n_workers; w++)
		if (lo.conf.workers[w] == rte_get_main_lcore() ||
		    rte_eal_get_lcore_state(lo.conf.workers[w]) == RUNNING)
			return true;
	return false;
}

void
lc_off_reactor_stop(struct lc_off_reactor *r)
{
	uint64_t limit;

	if (r == NULL)
		return;
	/* workers read closing from here on and expire what is queued */
	__atomic_store_n(&r->closing, true, __ATOMIC_RELEASE);
	limit = rte_rdtsc() + rte_get_tsc_hz() / 1000 * LC_OFF_STOP_MS;
	while (r->inflight != 0) {
		if (lc_off_poll_slow(r) != 0)
			continue;
		if (limit != 0 && rte_rdtsc() > limit) {
			fprintf(stderr,
				"sluice: lcore %u: %u offloaded job(s) not back after %u ms; "
				"waiting for the workers\n",
				r->lcore, r->inflight, LC_OFF_STOP_MS);
			limit = 0;
		}
		/* A worker may still write into a job's argument: wait while
		 * any runs. Once none does (one never started), what is left
		 * is in the rings and stays lent: its mbufs count as missing
		 * at exit. */
		if (limit == 0 && !lc_off_workers_running())
			break;
		rte_pause();
	}
	__atomic_fetch_add(&lo.stopped, 1, __ATOMIC_RELEASE);
}

void
lc_off_stop_workers(void)
{
	lo.quit = 1;
}

/* ---- worker side ---- */

static bool
lc_off_lane_empty(const struct lc_off_worker *wk, unsigned int lane)
{
	unsigned int i;

	for (i = 0; i < lo.n_reactors; i++)
		if (!rte_ring_empty(lo.reactors[i]->lane[wk->idx][lane]))
			return false;
	return true;
}

/* One job of @lane, reactors round-robin; NULL if the lane is empty. */
static struct lc_off_job *
lc_off_take(struct lc_off_worker *wk, unsigned int lane)
{
	unsigned int k, i;
	void *j;

	for (k = 0; k < lo.n_reactors; k++) {
		i = (wk->rr[lane] + k) % lo.n_reactors;
		if (rte_ring_sc_dequeue(lo.reactors[i]->lane[wk->idx][lane], &j) == 0) {
			wk->rr[lane] = (uint16_t)((i + 1) % lo.n_reactors);
			return j;
		}
	}
	return NULL;
}

static struct lc_off_job *
lc_off_pick_strict(struct lc_off_worker *wk)
{
	unsigned int n = lo.conf.n_lanes, l, k, lower;
	struct lc_off_job *j;
	bool waiting = false;

	if (wk->streak >= lo.conf.starve_after && n > 1) {
		/* a lower lane has waited starve_after jobs: serve one,
		 * round-robin over the lower lanes with work */
		for (k = 0; k < n - 1; k++) {
			lower = 1 + (wk->age_next + k) % (n - 1);
			j = lc_off_take(wk, lower);
			if (j != NULL) {
				wk->age_next = (uint16_t)(lower % (n - 1));
				wk->streak = 0;
				return j;
			}
		}
		wk->streak = 0;
	}
	for (l = 0; l < n; l++) {
		j = lc_off_take(wk, l);
		if (j == NULL)
			continue;
		for (k = l + 1; k < n && !waiting; k++)
			waiting = !lc_off_lane_empty(wk, k);
		wk->streak = waiting ? wk->streak + 1 : 0;
		return j;
	}
	return NULL;
}

static struct lc_off_job *
lc_off_pick_weighted(struct lc_off_worker *wk)
{
	unsigned int n = lo.conf.n_lanes, k;
	struct lc_off_job *j;

	for (k = 0; k <= n; k++) {
		if (wk->wrr_taken < lo.conf.weights[wk->wrr_lane]) {
			j = lc_off_take(wk, wk->wrr_lane);
			if (j != NULL) {
				wk->wrr_taken++;
				return j;
			}
		}
		wk->wrr_lane = (uint16_t)((wk->wrr_lane + 1) % n);
		wk->wrr_taken = 0;
	}
	return NULL;
}

/* Send the completions gathered for reactor @i (all reactors: i < 0). */
static void
lc_off_done_flush(struct lc_off_worker *wk, int i)
{
	unsigned int k = i < 0 ? 0 : (unsigned int)i, end = i < 0 ? lo.n_reactors : k + 1, sent;

	for (; k < end; k++) {
		for (sent = 0; sent < wk->n_done[k];)
			/* sized for the reactor's whole pool: never full for long */
			sent += rte_ring_sp_enqueue_burst(lo.reactors[k]->done[wk->idx],
							  (void **)&wk->done[k][sent],
							  wk->n_done[k] - sent, NULL);
		wk->n_done[k] = 0;
	}
}

static bool
lc_off_all_empty(const struct lc_off_worker *wk)
{
	unsigned int l;

	for (l = 0; l < lo.conf.n_lanes; l++)
		if (!lc_off_lane_empty(wk, l))
			return false;
	return true;
}

int
lc_off_worker_main(void *arg)
{
	unsigned int id = rte_lcore_id();
	struct lc_off_worker *wk;
	uint64_t prev, now, quit_tsc = 0;

	RTE_SET_USED(arg);
	if (id >= RTE_MAX_LCORE || lc_off_worker_idx[id] == 0)
		return 0;
	wk = lo.workers[lc_off_worker_idx[id] - 1];
	prev = rte_rdtsc();
	for (;;) {
		struct lc_off_job *j = lo.conf.policy == LC_OFF_WEIGHTED ? lc_off_pick_weighted(wk)
									 : lc_off_pick_strict(wk);

		if (j == NULL) {
			lc_off_done_flush(wk, -1);
			if (__atomic_load_n(&lo.stopped, __ATOMIC_ACQUIRE) == lo.n_reactors &&
			    lc_off_all_empty(wk))
				break;
			if (lc_stopping() || lo.quit) {
				if (quit_tsc == 0)
					quit_tsc = prev + rte_get_tsc_hz() / 1000 * LC_OFF_QUIT_MS;
				else if (prev > quit_tsc)
					break;
			}
			rte_pause();
			now = rte_rdtsc();
			wk->idle_cycles += now - prev;
			prev = now;
			continue;
		}
		{
			struct lc_off_reactor *r = lo.reactors[j->reactor];
			struct lc_off_wlane *st = &wk->st[j->lane];

			j->t_start = rte_rdtsc();
			lc_off_hist_add(&st->wait, j->t_start - j->t_submit);
			if (__atomic_load_n(&r->closing, __ATOMIC_ACQUIRE) ||
			    (lo.deadline_tsc != 0 && j->t_start - j->t_submit > lo.deadline_tsc)) {
				j->fate = LC_OFF_EXPIRED;
				j->result = 0;
				j->t_end = j->t_start;
				st->expired++;
			} else {
				j->result = j->fn(j->arg);
				j->t_end = rte_rdtsc();
				j->fate = LC_OFF_DONE;
				lc_off_hist_add(&st->svc, j->t_end - j->t_start);
				st->ran++;
			}
			wk->jobs++;
			wk->done[j->reactor][wk->n_done[j->reactor]++] = j;
			if (wk->n_done[j->reactor] == LC_OFF_DONE_BATCH)
				lc_off_done_flush(wk, j->reactor);
			now = rte_rdtsc();
			wk->busy_cycles += now - prev;
			prev = now;
		}
	}
	return 0;
}

/* ---- stats ---- */

void
lc_off_snapshot(struct lc_off_snap *s)
{
	unsigned int i, w, l, b;

	memset(s, 0, sizeof(*s));
	s->tsc = rte_rdtsc();
	if (!lo.on)
		return;
	s->n_lanes = lo.conf.n_lanes;
	s->n_workers = lo.conf.n_workers;
	for (i = 0; i < lo.n_reactors; i++)
		for (l = 0; l < lo.conf.n_lanes; l++) {
			const struct lc_off_rlane *r = &lo.reactors[i]->st[l];
			struct lc_off_lane_stats *d = &s->lane[l];

			d->submitted += r->submitted;
			d->inlined += r->inlined;
			d->rejected += r->rejected;
			d->completed += r->completed;
			d->expired += r->expired;
			d->cancelled += r->cancelled;
		}
	for (w = 0; w < lo.conf.n_workers; w++) {
		const struct lc_off_worker *wk = lo.workers[w];

		s->worker[w].lcore = wk->lcore;
		s->worker[w].jobs = wk->jobs;
		s->worker[w].busy_cycles = wk->busy_cycles;
		s->worker[w].idle_cycles = wk->idle_cycles;
		for (l = 0; l < lo.conf.n_lanes; l++)
			for (b = 0; b < LC_OFF_HIST_BUCKETS; b++) {
				s->lane[l].wait.b[b] += wk->st[l].wait.b[b];
				s->lane[l].svc.b[b] += wk->st[l].svc.b[b];
			}
	}
}

static void
lc_off_hist_diff(struct lc_off_hist *out, const struct lc_off_hist *a, const struct lc_off_hist *b)
{
	unsigned int i;

	for (i = 0; i < LC_OFF_HIST_BUCKETS; i++)
		out->b[i] = b->b[i] - a->b[i];
}

static double
lc_off_us(uint64_t cycles)
{
	return (double)cycles * 1e6 / (double)rte_get_tsc_hz();
}

static void
lc_off_print(const struct lc_off_snap *a, const struct lc_off_snap *b, FILE *out, const char *pfx,
	     bool summary)
{
	static struct lc_off_hist wait, svc; /* stats thread or main only */
	unsigned int l, w;

	for (l = 0; l < b->n_lanes; l++) {
		const struct lc_off_lane_stats *x = &a->lane[l], *y = &b->lane[l];

		lc_off_hist_diff(&wait, &x->wait, &y->wait);
		lc_off_hist_diff(&svc, &x->svc, &y->svc);
		fprintf(out,
			"%soffload lane %u: submitted %s%" PRIu64 " inline %s%" PRIu64
			" done %s%" PRIu64 " expired %s%" PRIu64 " rejected %s%" PRIu64
			" cancelled %s%" PRIu64
			"  wait p50 %.1f p99 %.1f us  service p50 %.1f p99 %.1f us\n",
			pfx, l, summary ? "" : "+", y->submitted - x->submitted, summary ? "" : "+",
			y->inlined - x->inlined, summary ? "" : "+", y->completed - x->completed,
			summary ? "" : "+", y->expired - x->expired, summary ? "" : "+",
			y->rejected - x->rejected, summary ? "" : "+", y->cancelled - x->cancelled,
			lc_off_us(lc_off_hist_quantile(&wait, 0.5)),
			lc_off_us(lc_off_hist_quantile(&wait, 0.99)),
			lc_off_us(lc_off_hist_quantile(&svc, 0.5)),
			lc_off_us(lc_off_hist_quantile(&svc, 0.99)));
	}
	for (w = 0; w < b->n_workers; w++) {
		uint64_t busy = b->worker[w].busy_cycles - a->worker[w].busy_cycles;
		uint64_t all = busy + b->worker[w].idle_cycles - a->worker[w].idle_cycles;

		fprintf(out, "%soffload worker lcore %u: jobs %s%" PRIu64 " busy %.0f%%\n", pfx,
			b->worker[w].lcore, summary ? "" : "+", b->worker[w].jobs - a->worker[w].jobs,
			all ? 100.0 * (double)busy / (double)all : 0.0);
	}
}

void
lc_off_print_interval(const struct lc_off_snap *prev, const struct lc_off_snap *now, FILE *out)
{
	if (lc_off_active())
		lc_off_print(prev, now, out, "         ", false);
}

void
lc_off_print_summary(const struct lc_off_snap *start, const struct lc_off_snap *end, FILE *out)
{
	if (end->n_lanes != 0 && (end->n_workers != 0 || end->lane[0].inlined != 0))
		lc_off_print(start, end, out, "  ", true);
}

/* /sluice/stats "offload": per lane the counters and the queue wait and
 * service time percentiles in nanoseconds; per worker jobs and busy share
 * (per mille). Called under the read lock. */
void
lc_off_tel(struct rte_tel_data *d)
{
	static struct lc_off_snap s; /* telemetry thread only, under the read lock */
	struct rte_tel_data *o, *c;
	unsigned int l, w;
	char name[32];

	if (!lo.on)
		return;
	lc_off_snapshot(&s);
	o = rte_tel_data_alloc();
	if (o == NULL)
		return;
	rte_tel_data_start_dict(o);
	rte_tel_data_add_dict_u64(o, "lanes", s.n_lanes);
	rte_tel_data_add_dict_u64(o, "workers", s.n_workers);
	for (l = 0; l < s.n_lanes; l++) {
		const struct lc_off_lane_stats *x = &s.lane[l];

		c = rte_tel_data_alloc();
		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "submitted", x->submitted);
		rte_tel_data_add_dict_u64(c, "inlined", x->inlined);
		rte_tel_data_add_dict_u64(c, "completed", x->completed);
		rte_tel_data_add_dict_u64(c, "expired", x->expired);
		rte_tel_data_add_dict_u64(c, "rejected", x->rejected);
		rte_tel_data_add_dict_u64(c, "cancelled", x->cancelled);
		rte_tel_data_add_dict_u64(c, "wait_p50_ns",
					  (uint64_t)(lc_off_us(lc_off_hist_quantile(&x->wait, 0.5)) * 1e3));
		rte_tel_data_add_dict_u64(c, "wait_p99_ns",
					  (uint64_t)(lc_off_us(lc_off_hist_quantile(&x->wait, 0.99)) * 1e3));
		rte_tel_data_add_dict_u64(c, "service_p50_ns",
					  (uint64_t)(lc_off_us(lc_off_hist_quantile(&x->svc, 0.5)) * 1e3));
		rte_tel_data_add_dict_u64(c, "service_p99_ns",
					  (uint64_t)(lc_off_us(lc_off_hist_quantile(&x->svc, 0.99)) * 1e3));
		snprintf(name, sizeof(name), "lane_%u", l);
		rte_tel_data_add_dict_container(o, name, c, 0);
	}
	for (w = 0; w < s.n_workers; w++) {
		uint64_t all = s.worker[w].busy_cycles + s.worker[w].idle_cycles;

		c = rte_tel_data_alloc();
		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "jobs", s.worker[w].jobs);
		rte_tel_data_add_dict_u64(c, "busy_cycles", s.worker[w].busy_cycles);
		rte_tel_data_add_dict_u64(c, "idle_cycles", s.worker[w].idle_cycles);
		rte_tel_data_add_dict_u64(c, "busy_permille",
					  all ? s.worker[w].busy_cycles * 1000 / all : 0);
		snprintf(name, sizeof(name), "worker_lcore_%u", s.worker[w].lcore);
		rte_tel_data_add_dict_container(o, name, c, 0);
	}
	rte_tel_data_add_dict_container(d, "offload", o, 0);
}
