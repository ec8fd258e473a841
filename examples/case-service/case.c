/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-case: a service built outside the sluice tree, against the
 * installed libsluice only (pkg-config --cflags --libs sluice).
 *
 * The service "case" answers each UDP datagram to [service] udp_port with
 * its payload's letters changed as its own config key says:
 *
 *   [sluice]
 *   service = case
 *   [case]
 *   case = upper | lower | swap
 *
 * and prints, per lcore at the end, how many datagrams it answered.
 *
 * Two ways to run it (Makefile):
 *   sluice-case   its own binary: main() is sluice_main(), linked with
 *                 libsluice; the options, config, ports, stack and loops
 *                 are sluice's, and SL_SERVICE_REGISTER below adds "case"
 *                 to the services libsluice registers (udp-echo, http, ...)
 *   case.so       loaded by any sluice binary with
 *                 [sluice] service_so = /path/to/case.so
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_lcore.h>

#include <sluice_service.h>

enum case_how {
	CASE_UPPER,
	CASE_LOWER,
	CASE_SWAP,
};

struct case_cfg {
	uint32_t how; /* enum case_how */
};

static const char *const case_names[] = {"upper", "lower", "swap", NULL};

static const struct sl_cfg_key case_keys[] = {
	{"case", SL_CFG_ENUM, .values = case_names, .def = "upper",
	 .help = "what the case service does to the letters of each datagram",
	 SL_CFG_FIELD(struct case_cfg, how)},
};

/* Per lcore, written by that lcore only. */
struct case_lcore {
	unsigned int lcore_id;
	enum case_how how;
	uint64_t answered;
} __rte_cache_aligned;

static struct case_lcore lcores[RTE_MAX_LCORE];

static int
case_init(const struct sl_service_env *env, void **state)
{
	const struct case_cfg *cfg = env->cfg;
	struct case_lcore *cl = &lcores[env->lcore_id];

	cl->lcore_id = env->lcore_id;
	cl->how = (enum case_how)cfg->how;
	cl->answered = 0;
	*state = cl;
	return 0;
}

static void
case_fini(void *state)
{
	const struct case_lcore *cl = state;

	printf("case: lcore %u answered %" PRIu64 " datagrams\n", cl->lcore_id, cl->answered);
	fflush(stdout);
}

static enum stk_udp_verdict
case_rx(void *state, struct stk_udp_msg *msg)
{
	struct case_lcore *cl = state;
	uint16_t i;

	for (i = 0; i < msg->len; i++) {
		uint8_t c = msg->data[i];
		int lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';

		if ((lower && cl->how != CASE_LOWER) || (upper && cl->how != CASE_UPPER))
			msg->data[i] = c ^ 0x20;
	}
	cl->answered++;
	return STK_UDP_REPLY; /* rewritten: the stack recomputes the checksum */
}

static const struct sl_service case_svc = {
	.name = "case",
	.help = "answers UDP datagrams with their letters' case changed ([case] case)",
	.lcore_init = case_init,
	.lcore_fini = case_fini,
	.udp_rx = case_rx,
	.cfg_keys = case_keys,
	.n_cfg_keys = RTE_DIM(case_keys),
	.cfg_size = sizeof(struct case_cfg),
};

SL_SERVICE_REGISTER(case_svc);

#ifndef CASE_SO
int
main(int argc, char **argv)
{
	return sluice_main(argc, argv);
}
#endif
