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
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "sluice_service.h"

#define UDP_WORK_JOBS 8192 /* per lcore; past them: offload_lane_full */

struct udp_work_job {
	struct rte_mbuf *m;
	uint64_t cycles;
	uint16_t port_id;
	uint16_t len;
	struct udp_work_job *next;
};

struct udp_work {
	struct stk_ctx *stk;
	uint64_t light, heavy;
	uint8_t lane;
	bool offload;
	struct udp_work_job *free;
	struct udp_work_job jobs[UDP_WORK_JOBS];
};

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
	} else {
		stk_count_drop(s->stk, STK_DROP_OFFLOAD_EXPIRED, 1);
		rte_pktmbuf_free(j->m);
	}
	j->m = NULL;
	j->next = s->free;
	s->free = j;
}

static int
udp_work_init(const struct sl_service_env *env, void **state)
{
	struct udp_work *s;
	unsigned int i;

	s = rte_zmalloc_socket("udp_work", sizeof(*s), RTE_CACHE_LINE_SIZE,
			       (int)rte_lcore_to_socket_id(env->lcore_id));
	if (s == NULL)
		return -ENOMEM;
	s->stk = env->stk;
	s->light = env->udp_light_cycles;
	s->heavy = env->udp_heavy_cycles;
	s->lane = env->udp_heavy_lane;
	s->offload = env->udp_heavy_offload;
	for (i = 0; i < UDP_WORK_JOBS; i++)
		s->jobs[i].next = i + 1 < UDP_WORK_JOBS ? &s->jobs[i + 1] : NULL;
	s->free = &s->jobs[0];
	*state = s;
	return 0;
}

static void
udp_work_fini(void *state)
{
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
		return STK_UDP_REPLY_SAME;
	}
	if (!s->offload) {
		udp_work_spin_for(s->heavy);
		return STK_UDP_REPLY_SAME;
	}
	j = s->free;
	if (unlikely(j == NULL)) {
		stk_count_drop(s->stk, STK_DROP_OFFLOAD_LANE_FULL, 1);
		rte_pktmbuf_free(msg->m);
		return STK_UDP_CONSUMED;
	}
	j->m = msg->m;
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
		stk_count_drop(s->stk, STK_DROP_OFFLOAD_LANE_FULL, 1);
		rte_pktmbuf_free(msg->m);
		j->m = NULL;
		return STK_UDP_CONSUMED;
	}
	s->free = j->next;
	return STK_UDP_CONSUMED;
}

static const struct sl_service udp_work = {
	.name = "udp-work",
	.help = "echo; payloads starting 'H' cost service.udp_heavy_cycles, offloaded to "
		"[offload] lcores, others service.udp_light_cycles inline",
	.lcore_init = udp_work_init,
	.lcore_fini = udp_work_fini,
	.udp_rx = udp_work_rx,
};

SL_SERVICE_REGISTER(udp_work);
