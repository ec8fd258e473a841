/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offload lanes (lcore/offload.c). First the module alone: the test thread
 * is the reactor (main lcore 0), lc_off_worker_main() runs on lcore 1, and
 * jobs carry test structs or mbufs. Completions on the submitting lcore in
 * order per lane, a full lane rejected and counted, run_inline, expiry,
 * cancellation with the slot reused, strict priority that does not starve,
 * weighted turns, shutdown with jobs queued (no mbuf lost), and a seeded
 * random interleaving of submit, poll, close and reuse. Then the whole
 * path over net_ring: udp-work through lc_setup() in RTC and pipeline mode
 * with an offload worker lcore, replies compared, lane-full drops counted,
 * mempool back to its baseline.
 *
 * A job function touches only its argument, as the contract says; the
 * gate the blocking job waits on is the exception a test needs to hold a
 * worker still (a volatile flag, read only).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "app_config.h"
#include "dp.h"
#include "fixture.h"
#include "lc.h"
#include "lc_offload.h"
#include "ring_port.h"
#include "sluice_service.h"

#define WORKER 1u
#define MAX_JOBS 4096

/* ---- the module alone ---- */

struct tjob {
	unsigned int id;
	uint8_t lane;
	unsigned int ran_on;  /* lcore the function ran on; written by it */
	volatile int *gate;   /* non-NULL: wait until *gate != 0 (bounded) */
	uint64_t ran_seq;     /* order in which the worker ran it */
	struct rte_mbuf *m;   /* optional payload to free on completion */
	uint32_t *slot_result; /* cancellation tests: where done writes */
};

struct tstate {
	struct lc_off_reactor *r;
	unsigned int n_done;
	unsigned int done_on_other_lcore;
	unsigned int fate[4];
	unsigned int order[LC_OFF_MAX_LANES][MAX_JOBS]; /* ids in completion order */
	unsigned int n_order[LC_OFF_MAX_LANES];
	struct rte_mempool *mp;
	unsigned int baseline;
	bool stopped;
};

static volatile int gate;
static uint64_t run_seq; /* written by the worker only (one worker) */

static int
tjob_run(void *arg)
{
	struct tjob *j = arg;
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() * 2; /* 2 s bound */

	j->ran_on = rte_lcore_id();
	if (j->gate != NULL)
		while (*j->gate == 0 && rte_rdtsc() < end)
			rte_pause();
	j->ran_seq = ++run_seq;
	return (int)j->id * 2 + 1;
}

static void
tjob_done(void *cookie, void *arg, enum lc_off_fate fate, int result)
{
	struct tstate *ts = cookie;
	struct tjob *j = arg;

	if (rte_lcore_id() != rte_get_main_lcore())
		ts->done_on_other_lcore++;
	ts->fate[fate]++;
	ts->n_done++;
	if (fate == LC_OFF_DONE) {
		assert_int_equal(result, (int)j->id * 2 + 1);
		if (j->slot_result != NULL)
			*j->slot_result = j->id;
	}
	ts->order[j->lane][ts->n_order[j->lane]++] = j->id;
	rte_pktmbuf_free(j->m);
	j->m = NULL;
}

static struct tstate *
t_start(const struct lc_off_conf *c)
{
	struct tstate *ts = calloc(1, sizeof(*ts));
	unsigned int main_lcore = rte_get_main_lcore();
	char err[256];
	int ret;

	assert_non_null(ts);
	if (lc_off_reactor_of(main_lcore) != NULL) {
		/* a failed test left its lanes: let its worker go first */
		lc_off_stop_workers();
		gate = 1;
		rte_eal_wait_lcore(WORKER);
		lc_off_teardown();
	}
	ret = lc_off_setup(c, &main_lcore, 1, &main_lcore, 1, err, sizeof(err));
	if (ret != 0)
		fail_msg("%s", err);
	ts->r = lc_off_reactor_of(main_lcore);
	assert_non_null(ts->r);
	gate = 0;
	run_seq = 0;
	if (c->n_workers != 0)
		assert_int_equal(rte_eal_remote_launch(lc_off_worker_main, NULL, WORKER), 0);
	return ts;
}

static void
t_stop(struct tstate *ts)
{
	gate = 1;
	if (!ts->stopped)
		lc_off_reactor_stop(ts->r);
	assert_int_equal(rte_eal_wait_lcore(WORKER), 0);
	lc_off_teardown();
	assert_int_equal(ts->done_on_other_lcore, 0);
	free(ts);
}

static struct lc_off_conf
t_conf(uint16_t lanes, uint32_t lane_size)
{
	struct lc_off_conf c = {
		.n_workers = 1,
		.workers = {WORKER},
		.n_lanes = lanes,
		.lane_size = lane_size,
		.starve_after = 16,
	};
	return c;
}

static int
t_submit(struct tstate *ts, struct tjob *j, unsigned int id, uint8_t lane, volatile int *g)
{
	struct lc_off_req req = {
		.fn = tjob_run, .arg = j, .done = tjob_done, .cookie = ts, .lane = lane,
	};

	memset(j, 0, sizeof(*j));
	j->id = id;
	j->lane = lane;
	j->gate = g;
	return lc_off_submit(ts->r, &req);
}

/* Poll until @n completions arrived in all (bounded: 5 s). */
static void
t_wait_done(struct tstate *ts, unsigned int n)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() * 5;

	while (ts->n_done < n && rte_rdtsc() < end)
		lc_off_poll(ts->r);
	assert_int_equal(ts->n_done, n);
}

/* Until the worker holds the gate job; polling, which sends what is staged. */
static void
t_wait_taken(struct tstate *ts, struct tjob *j)
{
	uint64_t end = rte_rdtsc() + rte_get_tsc_hz() * 5;

	while (__atomic_load_n(&j->ran_on, __ATOMIC_ACQUIRE) == 0 && rte_rdtsc() < end)
		lc_off_poll(ts->r);
	assert_int_equal(j->ran_on, WORKER);
}

static void
test_complete_on_submitter_in_order(void **state)
{
	static struct tjob jobs[600];
	struct lc_off_conf c = t_conf(3, 256);
	struct tstate *ts = t_start(&c);
	struct lc_off_snap snap;
	unsigned int i, l;

	RTE_SET_USED(state);
	for (i = 0; i < 600; i++)
		assert_int_equal(t_submit(ts, &jobs[i], i, (uint8_t)(i % 3), NULL), 0);
	t_wait_done(ts, 600);
	for (l = 0; l < 3; l++) {
		assert_int_equal(ts->n_order[l], 200);
		for (i = 0; i < 200; i++)
			assert_int_equal(ts->order[l][i], i * 3 + l);
	}
	for (i = 0; i < 600; i++)
		assert_int_equal(jobs[i].ran_on, WORKER);
	assert_int_equal(ts->fate[LC_OFF_DONE], 600);
	lc_off_snapshot(&snap);
	for (l = 0; l < 3; l++) {
		assert_int_equal(snap.lane[l].submitted, 200);
		assert_int_equal(snap.lane[l].completed, 200);
		assert_int_equal(lc_off_hist_count(&snap.lane[l].svc), 200);
		assert_int_equal(lc_off_hist_count(&snap.lane[l].wait), 200);
	}
	assert_int_equal(snap.worker[0].jobs, 600);
	t_stop(ts);
}

static void
test_full_lane_rejects_or_runs_inline(void **state)
{
	static struct tjob hold, jobs[16];
	struct lc_off_conf c = t_conf(2, 4);
	struct tstate *ts;
	struct lc_off_snap snap;
	unsigned int i;

	RTE_SET_USED(state);
	c.on_full[1] = LC_OFF_RUN_INLINE;
	ts = t_start(&c);
	assert_int_equal(t_submit(ts, &hold, 100, 0, &gate), 0);
	t_wait_taken(ts, &hold);
	/* lane_size counts the jobs out: the gate job and 3 more */
	for (i = 0; i < 3; i++)
		assert_int_equal(t_submit(ts, &jobs[i], i, 0, NULL), 0);
	/* lane 0 is full: rejected at once, done never called for it */
	assert_int_equal(t_submit(ts, &jobs[4], 4, 0, NULL), -ENOBUFS);
	assert_int_equal(t_submit(ts, &jobs[5], 5, 0, NULL), -ENOBUFS);
	/* lane 1 runs inline when full: on this lcore, completed later */
	for (i = 6; i < 10; i++)
		assert_int_equal(t_submit(ts, &jobs[i], i, 1, NULL), 0);
	assert_int_equal(t_submit(ts, &jobs[10], 10, 1, NULL), 1);
	assert_int_equal(jobs[10].ran_on, rte_get_main_lcore());
	assert_int_equal(ts->n_done, 0); /* never from inside submit */
	lc_off_snapshot(&snap);
	assert_int_equal(snap.lane[0].rejected, 2);
	assert_int_equal(snap.lane[1].inlined, 1);
	assert_int_equal(snap.lane[1].rejected, 0);
	gate = 1;
	t_wait_done(ts, 9); /* hold + 3 + 4 + 1 inline */
	assert_int_equal(ts->fate[LC_OFF_DONE], 9);
	assert_int_equal(ts->order[1][0], 10); /* the inline one came back first */
	lc_off_snapshot(&snap);
	assert_int_equal(snap.lane[0].completed, 4);
	assert_int_equal(snap.lane[1].completed, 5);
	t_stop(ts);
}

static void
test_deadline_expires_queued_jobs(void **state)
{
	static struct tjob hold, jobs[8];
	struct lc_off_conf c = t_conf(1, 16);
	struct tstate *ts;
	struct lc_off_snap snap;
	unsigned int i;

	RTE_SET_USED(state);
	c.deadline_us = 50000;
	ts = t_start(&c);
	/* a first job shows the worker is polling, so that the gate job is
	 * taken well within the deadline */
	assert_int_equal(t_submit(ts, &jobs[0], 99, 0, NULL), 0);
	t_wait_done(ts, 1);
	assert_int_equal(ts->fate[LC_OFF_DONE], 1);
	assert_int_equal(t_submit(ts, &hold, 100, 0, &gate), 0);
	t_wait_taken(ts, &hold);
	for (i = 0; i < 8; i++)
		assert_int_equal(t_submit(ts, &jobs[i], i, 0, NULL), 0);
	rte_delay_us_block(100000); /* past the deadline */
	gate = 1;
	t_wait_done(ts, 10);
	assert_int_equal(ts->fate[LC_OFF_DONE], 2);
	assert_int_equal(ts->fate[LC_OFF_EXPIRED], 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(jobs[i].ran_on, 0); /* never run */
	lc_off_snapshot(&snap);
	assert_int_equal(snap.lane[0].expired, 8);
	assert_int_equal(snap.lane[0].completed, 2);
	t_stop(ts);
}

/* A connection slot: the generation counter outlives the connection. */
struct tslot {
	uint32_t gen;
	uint32_t result; /* what a completion delivered to this slot */
};

static void
test_cancelled_after_close_slot_reused(void **state)
{
	static struct tjob hold, old_job, new_job;
	struct lc_off_conf c = t_conf(1, 16);
	struct tstate *ts = t_start(&c);
	struct tslot slot = {.gen = 7, .result = 0};
	struct lc_off_snap snap;
	struct lc_off_req req;

	RTE_SET_USED(state);
	assert_int_equal(t_submit(ts, &hold, 100, 0, &gate), 0);
	t_wait_taken(ts, &hold);
	/* connection A on the slot submits, then closes */
	memset(&old_job, 0, sizeof(old_job));
	old_job.id = 1;
	old_job.slot_result = &slot.result;
	req = (struct lc_off_req){.fn = tjob_run, .arg = &old_job, .done = tjob_done,
				  .cookie = ts, .gen = &slot.gen, .gen_val = slot.gen};
	assert_int_equal(lc_off_submit(ts->r, &req), 0);
	slot.gen++;
	/* connection B reuses the slot and submits too */
	memset(&new_job, 0, sizeof(new_job));
	new_job.id = 2;
	new_job.slot_result = &slot.result;
	req.arg = &new_job;
	req.gen_val = slot.gen;
	assert_int_equal(lc_off_submit(ts->r, &req), 0);
	gate = 1;
	t_wait_done(ts, 3);
	assert_int_equal(ts->fate[LC_OFF_CANCELLED], 1);
	assert_int_equal(ts->fate[LC_OFF_DONE], 2);
	assert_int_equal(slot.result, 2); /* B saw its own result, never A's */
	assert_int_equal(ts->order[0][1], 1); /* A's came back, as cancelled */
	lc_off_snapshot(&snap);
	assert_int_equal(snap.lane[0].cancelled, 1);
	t_stop(ts);
}

static void
test_strict_does_not_starve_lower_lanes(void **state)
{
	static struct tjob hold, hi[64], lo[8];
	struct lc_off_conf c = t_conf(2, 128);
	struct tstate *ts;
	unsigned int i, before = 0;

	RTE_SET_USED(state);
	c.starve_after = 4;
	ts = t_start(&c);
	assert_int_equal(t_submit(ts, &hold, 1000, 0, &gate), 0);
	t_wait_taken(ts, &hold);
	for (i = 0; i < 64; i++)
		assert_int_equal(t_submit(ts, &hi[i], i, 0, NULL), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(t_submit(ts, &lo[i], 100 + i, 1, NULL), 0);
	lc_off_poll(ts->r); /* what is staged goes to the worker before the gate opens */
	gate = 1;
	t_wait_done(ts, 73);
	/* the first lane-1 job ran after at most starve_after lane-0 jobs
	 * (the gate job came first) */
	for (i = 0; i < 64; i++)
		if (hi[i].ran_seq < lo[0].ran_seq)
			before++;
	assert_true(before <= 4);
	/* and every lane-1 job ran before lane 0 was done */
	for (i = 0; i < 8; i++)
		assert_true(lo[i].ran_seq < hi[63].ran_seq);
	t_stop(ts);
}

static void
test_weighted_turns(void **state)
{
	static struct tjob hold, a[30], b[10];
	struct lc_off_conf c = t_conf(2, 64);
	struct tstate *ts;
	unsigned int i;

	RTE_SET_USED(state);
	c.policy = LC_OFF_WEIGHTED;
	c.weights[0] = 3;
	c.weights[1] = 1;
	ts = t_start(&c);
	assert_int_equal(t_submit(ts, &hold, 1000, 0, &gate), 0);
	t_wait_taken(ts, &hold);
	for (i = 0; i < 30; i++)
		assert_int_equal(t_submit(ts, &a[i], i, 0, NULL), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(t_submit(ts, &b[i], 100 + i, 1, NULL), 0);
	lc_off_poll(ts->r);
	gate = 1;
	t_wait_done(ts, 41);
	/* lane 1's k-th job runs within its turn: after about 3 (k + 1) of
	 * lane 0's, never after all of them */
	for (i = 0; i < 10; i++) {
		unsigned int k, before = 0;

		for (k = 0; k < 30; k++)
			if (a[k].ran_seq < b[i].ran_seq)
				before++;
		assert_true(before <= 3 * (i + 1) + 3);
		assert_true(before >= 3 * i);
	}
	t_stop(ts);
}

static void
test_shutdown_with_jobs_queued_loses_no_mbuf(void **state)
{
	static struct tjob hold, jobs[64];
	struct lc_off_conf c = t_conf(2, 64);
	struct tstate *ts = t_start(&c);
	struct rte_mempool *mp = fx_mempool("off_shut", 511);
	unsigned int base, i;
	struct lc_off_snap snap;

	RTE_SET_USED(state);
	assert_non_null(mp);
	base = fx_in_use(mp);
	assert_int_equal(t_submit(ts, &hold, 1000, 0, &gate), 0);
	hold.m = rte_pktmbuf_alloc(mp);
	t_wait_taken(ts, &hold);
	for (i = 0; i < 64; i++) {
		assert_int_equal(t_submit(ts, &jobs[i], i, (uint8_t)(i % 2), NULL), 0);
		jobs[i].m = rte_pktmbuf_alloc(mp);
		assert_non_null(jobs[i].m);
	}
	assert_int_equal(fx_in_use(mp), base + 65);
	/* the gate opens while the reactor waits in stop */
	gate = 1;
	lc_off_reactor_stop(ts->r);
	ts->stopped = true;
	assert_int_equal(ts->n_done, 65);
	assert_int_equal(ts->fate[LC_OFF_DONE] + ts->fate[LC_OFF_EXPIRED], 65);
	assert_int_equal(t_submit(ts, &jobs[0], 0, 0, NULL), -ESHUTDOWN);
	lc_off_snapshot(&snap);
	assert_int_equal(snap.lane[0].rejected, 1);
	fx_assert_baseline(mp, base);
	t_stop(ts);
	rte_mempool_free(mp);
}

static void
test_no_workers_runs_inline(void **state)
{
	static struct tjob jobs[4];
	struct lc_off_conf c = {.n_lanes = 1};
	struct tstate *ts = t_start(&c);
	unsigned int i;

	RTE_SET_USED(state);
	for (i = 0; i < 4; i++)
		assert_int_equal(t_submit(ts, &jobs[i], i, 0, NULL), 1);
	assert_int_equal(ts->n_done, 0);
	t_wait_done(ts, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(ts->order[0][i], i);
	lc_off_reactor_stop(ts->r);
	lc_off_teardown();
	free(ts);
}

/* Seeded random interleaving of submit (two lanes, tiny rings, lane 1
 * run_inline), poll, close (generation bump) and reuse over 8 slots:
 * every accepted job completes exactly once, as cancelled exactly when its
 * slot's generation moved on, and no mbuf is lost. */
#define R_SLOTS 8
#define R_JOBS 512

struct rjob {
	struct tjob t;
	bool busy;
	uint8_t slot;
	uint32_t gen_val;
};

static struct rjob rjobs[R_JOBS];
static struct tslot rslots[R_SLOTS];
static unsigned int r_bad, r_done, r_cancel;

static int
rjob_run(void *arg)
{
	struct rjob *j = arg;

	j->t.ran_on = rte_lcore_id();
	return (int)j->t.id;
}

static void
rjob_done(void *cookie, void *arg, enum lc_off_fate fate, int result)
{
	struct rjob *j = arg;
	bool stale = rslots[j->slot].gen != j->gen_val;

	RTE_SET_USED(cookie);
	if (!j->busy || stale != (fate == LC_OFF_CANCELLED) ||
	    (fate == LC_OFF_DONE && result != (int)j->t.id))
		r_bad++;
	if (fate == LC_OFF_DONE)
		rslots[j->slot].result = j->t.id;
	r_cancel += fate == LC_OFF_CANCELLED;
	r_done++;
	rte_pktmbuf_free(j->t.m);
	j->t.m = NULL;
	j->busy = false;
}

static void
test_random_interleaving(void **state)
{
	struct lc_off_conf c = t_conf(2, 4);
	struct tstate *ts;
	struct rte_mempool *mp = fx_mempool("off_rand", 1023);
	unsigned int base, i, accepted = 0, seed;

	RTE_SET_USED(state);
	assert_non_null(mp);
	base = fx_in_use(mp);
	c.on_full[1] = LC_OFF_RUN_INLINE;
	ts = t_start(&c);
	memset(rjobs, 0, sizeof(rjobs));
	memset(rslots, 0, sizeof(rslots));
	r_bad = r_done = r_cancel = 0;
	for (seed = 1; seed <= 4; seed++) {
		srand(seed);
		for (i = 0; i < 20000; i++) {
			int op = rand() % 10;
			unsigned int s = (unsigned int)rand() % R_SLOTS;

			if (op < 6) {
				unsigned int k = (unsigned int)rand() % R_JOBS;
				struct rjob *j = &rjobs[k];
				struct lc_off_req req;
				int rc;

				if (j->busy)
					continue;
				memset(&j->t, 0, sizeof(j->t));
				j->t.id = i;
				j->t.m = rte_pktmbuf_alloc(mp);
				assert_non_null(j->t.m);
				j->slot = (uint8_t)s;
				j->gen_val = rslots[s].gen;
				j->busy = true;
				req = (struct lc_off_req){.fn = rjob_run, .arg = j, .done = rjob_done,
							  .lane = (uint8_t)(rand() % 2),
							  .gen = &rslots[s].gen,
							  .gen_val = j->gen_val};
				rc = lc_off_submit(ts->r, &req);
				if (rc < 0) {
					assert_int_equal(rc, -ENOBUFS);
					j->busy = false;
					rte_pktmbuf_free(j->t.m);
					j->t.m = NULL;
				} else {
					accepted++;
				}
			} else if (op < 9) {
				lc_off_poll(ts->r);
			} else {
				rslots[s].gen++; /* the slot's connection closed; reused */
			}
		}
	}
	lc_off_reactor_stop(ts->r);
	ts->stopped = true;
	assert_int_equal(r_bad, 0);
	assert_int_equal(r_done, accepted);
	assert_true(r_cancel > 0);
	for (i = 0; i < R_JOBS; i++)
		assert_false(rjobs[i].busy);
	fx_assert_baseline(mp, base);
	t_stop(ts);
	rte_mempool_free(mp);
}

static void
test_hist_quantiles(void **state)
{
	static struct lc_off_hist h;
	uint64_t v;

	RTE_SET_USED(state);
	memset(&h, 0, sizeof(h));
	assert_int_equal(lc_off_hist_quantile(&h, 0.5), 0);
	for (v = 1; v <= 1000; v++)
		lc_off_hist_add(&h, v * 1000);
	assert_int_equal(lc_off_hist_count(&h), 1000);
	v = lc_off_hist_quantile(&h, 0.5);
	assert_true(v >= 500000 * 7 / 8 && v <= 500000 * 9 / 8);
	v = lc_off_hist_quantile(&h, 0.99);
	assert_true(v >= 990000 * 7 / 8 && v <= 990000 * 9 / 8);
	lc_off_hist_add(&h, UINT64_MAX);
	assert_true(lc_off_hist_quantile(&h, 1.0) > (1ull << 62));
}

static void
test_worker_on_loop_lcore_refused(void **state)
{
	struct lc_off_conf c = t_conf(1, 4);
	unsigned int loops[2] = {0, WORKER};
	char err[256];

	RTE_SET_USED(state);
	assert_int_equal(lc_off_setup(&c, loops, 1, loops, 2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "also runs a loop"));
	lc_off_teardown();
	c.workers[0] = 77; /* not enabled */
	assert_int_equal(lc_off_setup(&c, loops, 1, loops, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not enabled"));
	lc_off_teardown();
}

/* ---- udp-work over net_ring, RTC and pipeline ---- */

#define RING_SIZE 4096

struct rt {
	struct rte_mempool *mp;
	unsigned int baseline;
	struct rte_ring *rx, *tx;
	struct dp_port port;
	struct lc_conf lconf;
	const struct sl_service *svc;
	unsigned int expect_out;
	unsigned int out_count;
	struct rte_mbuf *out[RING_SIZE];
	struct sl_service_env env;
	struct app_config cfg; /* udp-work's keys, parsed as sluice parses them */
};

static struct rt *cur_rt;

static int
svc_init(unsigned int lcore_id, struct stk_ctx *stk, void **state, void *arg)
{
	struct rt *rt = arg;
	struct sl_service_env env = rt->env;
	int ret;

	env.lcore_id = lcore_id;
	env.stk = stk;
	ret = rt->svc->lcore_init(&env, state);
	if (ret != 0)
		return ret;
	return stk_udp_bind(stk, 7, rt->svc->udp_rx, *state);
}

static void
svc_fini(unsigned int lcore_id, void *state, void *arg)
{
	struct rt *rt = arg;

	stk_udp_unbind(lc_ctxs[lcore_id]->stk, 7);
	rt->svc->lcore_fini(state);
}

static struct rt *
rt_setup(bool pipeline, uint32_t lane_size, uint8_t on_full, uint32_t heavy_cycles)
{
	static unsigned int seq;
	struct rt *rt = calloc(1, sizeof(*rt));
	char name[RTE_ETH_NAME_MAX_LEN], err[512], set[3][64], *sets[3];
	int ret;

	assert_non_null(rt);
	snprintf(name, sizeof(name), "ro_pool%u", seq++);
	rt->mp = fx_mempool(name, 8191);
	assert_non_null(rt->mp);
	rt->baseline = fx_in_use(rt->mp);
	fx_ring_port_open("ro", rt->mp, RING_SIZE, &rt->rx, &rt->tx, &rt->port);

	rt->svc = sl_service_find("udp-work");
	assert_non_null(rt->svc);
	snprintf(set[0], sizeof(set[0]), "sluice.service=udp-work");
	snprintf(set[1], sizeof(set[1]), "udp-work.udp_light_cycles=100");
	snprintf(set[2], sizeof(set[2]), "udp-work.udp_heavy_cycles=%u", heavy_cycles);
	for (ret = 0; ret < 3; ret++)
		sets[ret] = set[ret];
	if (app_config_load(&rt->cfg, NULL, sets, 3, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_ptr_equal(rt->cfg.svc, rt->svc);
	rt->env = (struct sl_service_env){
		.udp_port = 7,
		.cfg = app_config_svc(&rt->cfg),
	};
	fx_lc_conf_init(&rt->lconf, &rt->port, rt->mp, 0);
	rt->lconf.lcore_init = svc_init;
	rt->lconf.lcore_fini = svc_fini;
	rt->lconf.arg = rt;
	rt->lconf.off = (struct lc_off_conf){
		.n_lanes = 1,
		.lane_size = lane_size,
		.starve_after = 16,
		.on_full = {on_full},
	};
	if (pipeline) {
		/* lcore 0: I/O, lcore 1: stack worker, lcore 2: offload */
		rt->lconf.mode = LC_MODE_PIPELINE;
		rt->lconf.pipe.n_skip = 1;
		rt->lconf.pipe.skip[0] = 2;
		ret = lc_pipe_roles(&rt->lconf.pipe, err, sizeof(err));
		if (ret != 0)
			fail_msg("%s", err);
		assert_int_equal(rt->lconf.pipe.n_workers, 1);
		assert_int_equal(rt->lconf.pipe.workers[0], 1);
		rt->lconf.off.n_workers = 1;
		rt->lconf.off.workers[0] = 2;
	} else {
		/* lcore 0: the RTC loop, lcore 1: offload */
		rt->lconf.off.n_workers = 1;
		rt->lconf.off.workers[0] = 1;
	}
	ret = lc_setup(&rt->lconf, err, sizeof(err));
	if (ret != 0)
		fail_msg("%s", err);
	ret = dp_port_start(&rt->port, err, sizeof(err));
	assert_int_equal(ret, 0);
	cur_rt = rt;
	return rt;
}

static void
rt_teardown(struct rt *rt)
{
	rte_pktmbuf_free_bulk(rt->out, rt->out_count);
	lc_teardown();
	fx_ring_port_close(&rt->port, rt->rx, rt->tx);
	fx_assert_baseline(rt->mp, rt->baseline);
	rte_mempool_free(rt->mp);
	free(rt);
	cur_rt = NULL;
}

static void
run_loop(struct rt *rt)
{
	struct fx_ring_run r = {
		.rx = rt->rx, .tx = rt->tx, .out = rt->out, .cap = RING_SIZE,
		.expect = rt->expect_out, .idle_ms = 300, .drain = true,
		.count = rt->out_count,
	};

	assert_int_equal(fx_ring_run(&r), 0);
	rt->out_count = r.count;
}

/* @n requests, every third heavy; each payload carries its index. */
static void
feed(struct rt *rt, unsigned int n)
{
	struct rte_mbuf *in[1024];
	unsigned int i;

	assert_true(n <= RTE_DIM(in));
	for (i = 0; i < n; i++) {
		uint8_t *p;

		in[i] = fx_udp4(rt->mp, FX_IP_PEER, FX_IP_US, (uint16_t)(1024 + i), 7, 16);
		assert_non_null(in[i]);
		p = fx_l4_payload(in[i]);
		memset(p, 0, 16);
		p[0] = i % 3 == 0 ? 'H' : 'L';
		memcpy(p + 4, &i, sizeof(i));
		fx_udp_fix(in[i]);
	}
	assert_int_equal(rte_ring_enqueue_bulk(rt->rx, (void **)in, n, NULL), n);
}

static void
check_replies(struct rt *rt, unsigned int n)
{
	bool seen[1024] = {false};
	unsigned int i;

	for (i = 0; i < rt->out_count; i++) {
		struct rte_mbuf *m = rt->out[i];
		const uint8_t *p = fx_l4_payload(m);
		unsigned int idx;

		assert_true(rte_is_same_ether_addr(&fx_eth(m)->dst_addr, &fx_mac_peer));
		assert_int_equal(fx_ip4(m)->src_addr, fx_ip(FX_IP_US));
		memcpy(&idx, p + 4, sizeof(idx));
		assert_true(idx < n);
		assert_false(seen[idx]);
		seen[idx] = true;
		assert_int_equal(p[0], idx % 3 == 0 ? 'H' : 'L');
		assert_int_equal(rte_be_to_cpu_16(fx_udp(m)->src_port), 7);
		assert_int_equal(rte_be_to_cpu_16(fx_udp(m)->dst_port), 1024 + idx);
	}
}

static void
udp_work_all_answered(bool pipeline)
{
	struct rt *rt = rt_setup(pipeline, 512, LC_OFF_REJECT, 3000);
	struct lc_off_snap snap;

	feed(rt, 900);
	rt->expect_out = 900;
	run_loop(rt);
	assert_int_equal(rt->out_count, 900);
	check_replies(rt, 900);
	lc_off_snapshot(&snap);
	assert_int_equal(snap.lane[0].submitted + snap.lane[0].inlined, 300);
	assert_int_equal(snap.lane[0].completed, 300);
	assert_true(snap.lane[0].submitted > 0); /* some went to the worker */
	rt_teardown(rt);
}

static void
test_udp_work_rtc(void **state)
{
	RTE_SET_USED(state);
	udp_work_all_answered(false);
}

static void
test_udp_work_pipeline(void **state)
{
	RTE_SET_USED(state);
	udp_work_all_answered(true);
}

/* A lane of 2 and slow heavy jobs: what the lane refuses is dropped under
 * offload_lane_full, every light request is still answered. */
static void
test_udp_work_lane_full_dropped(void **state)
{
	struct rt *rt = rt_setup(false, 2, LC_OFF_REJECT, 2000000);
	uint64_t drops[STK_DROP_MAX];
	struct stk_stats st;
	struct lc_off_snap snap;
	unsigned int i, heavy_out = 0;

	RTE_SET_USED(state);
	feed(rt, 300);
	rt->expect_out = 300;
	run_loop(rt);
	for (i = 0; i < rt->out_count; i++)
		heavy_out += fx_l4_payload(rt->out[i])[0] == 'H';
	lc_off_snapshot(&snap);
	lc_stats_total(&st, drops);
	assert_int_equal(rt->out_count - heavy_out, 200); /* every light one */
	assert_true(drops[STK_DROP_OFFLOAD_LANE_FULL] > 0);
	assert_int_equal(drops[STK_DROP_OFFLOAD_LANE_FULL] + heavy_out +
				 drops[STK_DROP_OFFLOAD_EXPIRED],
			 100);
	assert_int_equal(snap.lane[0].rejected, drops[STK_DROP_OFFLOAD_LANE_FULL]);
	check_replies(rt, 300);
	rt_teardown(rt);
}

int
main(void)
{
	const char *extra[] = {NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_worker_on_loop_lcore_refused),
		cmocka_unit_test(test_complete_on_submitter_in_order),
		cmocka_unit_test(test_full_lane_rejects_or_runs_inline),
		cmocka_unit_test(test_deadline_expires_queued_jobs),
		cmocka_unit_test(test_cancelled_after_close_slot_reused),
		cmocka_unit_test(test_strict_does_not_starve_lower_lanes),
		cmocka_unit_test(test_weighted_turns),
		cmocka_unit_test(test_shutdown_with_jobs_queued_loses_no_mbuf),
		cmocka_unit_test(test_no_workers_runs_inline),
		cmocka_unit_test(test_random_interleaving),
		cmocka_unit_test(test_udp_work_rtc),
		cmocka_unit_test(test_udp_work_pipeline),
		cmocka_unit_test(test_udp_work_lane_full_dropped),
	};

	/* three lcores floating over the machine's CPUs */
	fx_eal_init_lcores("test_offload", "(0-2)@(0-1)", extra);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
