/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp-work: request classes by the first payload byte, for offload lanes.
 *
 *   'H'      heavy: [service] udp_heavy_cycles of work, handed to an
 *            offload worker on [service] udp_heavy_lane; the echo leaves
 *            when the job comes back. A full lane drops the request
 *            (offload_lane_full), a job past [offload] deadline_us too
 *            (offload_expired). With udp_heavy_offload = no, or without
 *            [offload] lcores, the work runs on the stack lcore.
 *   other    light: [service] udp_light_cycles on the stack lcore, echoed
 *            at once.
 *
 * The job is the datagram itself: the worker only spins (touching nothing
 * but the job), the echo is built on the stack lcore that received it.
 *
 * Latency as sluice sees it: a request from sluice-gen carries the TSC it
 * was sent at (payload bytes 12..19 after "?LG", apps/gen/gen_pkt.h); on
 * the same machine that is sluice's TSC too, so the time from that stamp
 * to the reply leaving the service goes into a histogram per class (light,
 * heavy) and lcore_fini prints p50/p99/p99.9. It includes the wait in the
 * RX queue behind a heavy request (head-of-line blocking), and not the
 * generator's own scheduling, which bench/offload needs on a 2-CPU machine.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <stdio.h>

#include "sluice_service.h"

#define UDP_WORK_JOBS 8192 /* per lcore; past them: offload_lane_full */
#define UDP_WORK_STAMP_OFF 12 /* sluice-gen's TSC in the payload */

struct udp_work_job {
	struct rte_mbuf *m;
	uint64_t stamp; /* sluice-gen's send TSC, 0 = none */
	uint64_t cycles;
	uint16_t port_id;
	uint16_t len;
	struct udp_work_job *next;
};

struct udp_work {
	unsigned int lcore_id;
	struct stk_ctx *stk;
	struct lc_off_hist lat[2]; /* light, heavy: cycles from the stamp to the reply */
	uint64_t light, heavy;
	uint8_t lane;
	bool offload;
	struct udp_work_job *free;
	struct udp_work_job jobs[UDP_WORK_JOBS];
};

/* sluice-gen's send TSC in @msg, 0 if it is not one of its requests */
static uint64_t
udp_work_stamp(const struct stk_udp_msg *msg)
{
	uint64_t t;

	if (msg->len < UDP_WORK_STAMP_OFF + sizeof(t) || msg->data[1] != 'L' || msg->data[2] != 'G')
		return 0;
	memcpy(&t, msg->data + UDP_WORK_STAMP_OFF, sizeof(t));
	return t;
}

static void
udp_work_lat(struct udp_work *s, unsigned int cls, uint64_t stamp)
{
	uint64_t now = rte_rdtsc();

	if (stamp != 0 && stamp <= now)
		lc_off_hist_add(&s->lat[cls], now - stamp);
}

static void
udp_work_spin_for(uint64_t cycles)
{
	uint64_t end = rte_rdtsc() + cycles;

	while (rte_rdtsc() < end)
		rte_pause();
}

/* worker lcore: the job only */
static int
udp_work_job_run(void *arg)
{
	const struct udp_work_job *j = arg;

	udp_work_spin_for(j->cycles);
	return 0;
}

/* stack lcore */
static void
udp_work_job_done(void *cookie, void *arg, enum lc_off_fate fate, int result)
{
	struct udp_work *s = cookie;
	struct udp_work_job *j = arg;

	RTE_SET_USED(result);
	if (fate == LC_OFF_DONE) {
		stk_udp_reply_deferred(s->stk, j->port_id, j->m, j->len);
		udp_work_lat(s, 1, j->stamp);
	} else {
		stk_count_drop(s->stk, STK_DROP_OFFLOAD_EXPIRED, 1);
		rte_pktmbuf_free(j->m);
	}
	j->m = NULL;
	j->next = s->free;
	s->free = j;
}

/* [udp-work] (or [service] when udp-work is the selected service) */
struct udp_work_cfg {
	uint32_t light_cycles;
	uint32_t heavy_cycles;
	uint8_t heavy_lane;
	bool heavy_offload;
};

static const struct sl_cfg_key udp_work_keys[] = {
	{"udp_light_cycles", SL_CFG_UINT, .min = 0, .max = 100000000, .def = "200",
	 .help = "cycles a light request (first payload byte not 'H') spends, always on the "
		 "reactor",
	 SL_CFG_FIELD(struct udp_work_cfg, light_cycles)},
	{"udp_heavy_cycles", SL_CFG_UINT, .min = 0, .max = 1000000000, .def = "2000",
	 .help = "cycles a heavy request (first payload byte 'H') spends, as an offloaded job "
		 "on udp_heavy_lane",
	 SL_CFG_FIELD(struct udp_work_cfg, heavy_cycles)},
	{"udp_heavy_lane", SL_CFG_UINT, .min = 0, .max = 7, .def = "0",
	 .help = "offload lane of heavy requests (below [offload] lanes); a full lane drops "
		 "them (offload_lane_full)",
	 SL_CFG_FIELD(struct udp_work_cfg, heavy_lane), .flags = SL_CFG_LANE},
	{"udp_heavy_offload", SL_CFG_BOOL, .def = "yes",
	 .help = "offload heavy requests; no = run them on the reactor too (the plain "
		 "run-to-completion baseline)",
	 SL_CFG_FIELD(struct udp_work_cfg, heavy_offload)},
};

static int
udp_work_init(const struct sl_service_env *env, void **state)
{
	const struct udp_work_cfg *cfg = env->cfg;
	struct udp_work *s;
	unsigned int i;

	s = rte_zmalloc_socket("udp_work", sizeof(*s), RTE_CACHE_LINE_SIZE,
			       (int)rte_lcore_to_socket_id(env->lcore_id));
	if (s == NULL)
		return -ENOMEM;
	s->lcore_id = env->lcore_id;
	s->stk = env->stk;
	s->light = cfg->light_cycles;
	s->heavy = cfg->heavy_cycles;
	s->lane = cfg->heavy_lane;
	s->offload = cfg->heavy_offload;
	for (i = 0; i < UDP_WORK_JOBS; i++)
		s->jobs[i].next = i + 1 < UDP_WORK_JOBS ? &s->jobs[i + 1] : NULL;
	s->free = &s->jobs[0];
	*state = s;
	return 0;
}

static void
udp_work_fini(void *state)
{
	static const char *const names[2] = {"light", "heavy"};
	struct udp_work *s = state;
	double us = 1e6 / (double)rte_get_tsc_hz();
	unsigned int k;

	for (k = 0; s != NULL && k < 2; k++)
		if (lc_off_hist_count(&s->lat[k]) != 0)
			printf("udp-work: lcore %u: %s %" PRIu64 " requests, stamp to reply p50 %.1f "
			       "p99 %.1f p99.9 %.1f us\n",
			       s->lcore_id, names[k], lc_off_hist_count(&s->lat[k]),
			       (double)lc_off_hist_quantile(&s->lat[k], 0.5) * us,
			       (double)lc_off_hist_quantile(&s->lat[k], 0.99) * us,
			       (double)lc_off_hist_quantile(&s->lat[k], 0.999) * us);
	rte_free(state);
}

static enum stk_udp_verdict
udp_work_rx(void *state, struct stk_udp_msg *msg)
{
	struct udp_work *s = state;
	struct udp_work_job *j;
	struct lc_off_req req;
	int rc;

	if (msg->len == 0 || msg->data[0] != 'H') {
		udp_work_spin_for(s->light);
		udp_work_lat(s, 0, udp_work_stamp(msg));
		return STK_UDP_REPLY_SAME;
	}
	if (!s->offload) {
		udp_work_spin_for(s->heavy);
		udp_work_lat(s, 1, udp_work_stamp(msg));
		return STK_UDP_REPLY_SAME;
	}
	j = s->free;
	if (unlikely(j == NULL)) {
		stk_count_drop(s->stk, STK_DROP_OFFLOAD_LANE_FULL, 1);
		rte_pktmbuf_free(msg->m);
		return STK_UDP_CONSUMED;
	}
	j->m = msg->m;
	j->stamp = udp_work_stamp(msg);
	j->cycles = s->heavy;
	j->port_id = msg->port_id;
	j->len = msg->len;
	req = (struct lc_off_req){
		.fn = udp_work_job_run,
		.arg = j,
		.done = udp_work_job_done,
		.cookie = s,
		.lane = s->lane,
	};
	rc = sl_offload_submit(&req);
	if (unlikely(rc < 0)) {
		/* -ENOBUFS: the lane is full; else sluice is stopping */
		stk_count_drop(s->stk,
			       rc == -ENOBUFS ? STK_DROP_OFFLOAD_LANE_FULL : STK_DROP_OFFLOAD_REFUSED,
			       1);
		rte_pktmbuf_free(msg->m);
		j->m = NULL;
		return STK_UDP_CONSUMED;
	}
	s->free = j->next;
	return STK_UDP_CONSUMED;
}

static const struct sl_service udp_work = {
	.name = "udp-work",
	.help = "echo; payloads starting 'H' cost udp-work.udp_heavy_cycles, offloaded to "
		"[offload] lcores, others udp-work.udp_light_cycles inline",
	.lcore_init = udp_work_init,
	.lcore_fini = udp_work_fini,
	.udp_rx = udp_work_rx,
	.cfg_keys = udp_work_keys,
	.n_cfg_keys = RTE_DIM(udp_work_keys),
	.cfg_size = sizeof(struct udp_work_cfg),
};

SL_SERVICE_REGISTER(udp_work);
