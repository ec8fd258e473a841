/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp-spin: udp-echo that first spends [udp-spin] work_cycles TSC cycles per
 * request, standing in for real request handling. With it the cost of the
 * stack is small next to the service's, which is where pipeline mode (more
 * lcores on the service) can beat run-to-completion; bench/pps compares.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "sluice_service.h"

struct udp_spin {
	uint64_t cycles;
};

/* [udp-spin] (or [service] when udp-spin is the selected service) */
struct udp_spin_cfg {
	uint32_t work_cycles;
};

static const struct sl_cfg_key udp_spin_keys[] = {
	{"work_cycles", SL_CFG_UINT, .min = 0, .max = 100000000, .def = "500",
	 .help = "TSC cycles udp-spin spends per request before echoing it "
		 "(a stand-in for real request handling when comparing modes)",
	 SL_CFG_FIELD(struct udp_spin_cfg, work_cycles)},
};

static int
udp_spin_init(const struct sl_service_env *env, void **state)
{
	const struct udp_spin_cfg *cfg = env->cfg;
	struct udp_spin *s = rte_zmalloc("udp_spin", sizeof(*s), RTE_CACHE_LINE_SIZE);

	if (s == NULL)
		return -ENOMEM;
	s->cycles = cfg->work_cycles;
	*state = s;
	return 0;
}

static void
udp_spin_fini(void *state)
{
	rte_free(state);
}

static enum stk_udp_verdict
udp_spin_rx(void *state, struct stk_udp_msg *msg)
{
	const struct udp_spin *s = state;
	uint64_t end = rte_rdtsc() + s->cycles;

	RTE_SET_USED(msg);
	while (rte_rdtsc() < end)
		rte_pause();
	return STK_UDP_REPLY_SAME;
}

static const struct sl_service udp_spin = {
	.name = "udp-spin",
	.help = "udp-echo after spending [udp-spin] work_cycles cycles per request",
	.lcore_init = udp_spin_init,
	.lcore_fini = udp_spin_fini,
	.udp_rx = udp_spin_rx,
	.cfg_keys = udp_spin_keys,
	.n_cfg_keys = RTE_DIM(udp_spin_keys),
	.cfg_size = sizeof(struct udp_spin_cfg),
};

SL_SERVICE_REGISTER(udp_spin);
