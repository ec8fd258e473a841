/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The whole run-to-completion path in one process: a net_ring port built
 * from two rte_rings (the test fills the RX ring and reads the TX ring),
 * dp_port_setup, lc_setup with the real udp-echo service, the loop on the
 * main lcore, and a driver thread that feeds frames and stops the loop
 * when the replies are in (or after a bounded wait). Every test checks
 * that the mempool is back to its baseline after teardown.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "dp.h"
#include "fixture.h"
#include "lc.h"
#include "ring_port.h"
#include "sluice_service.h"

#define RING_SIZE 4096
#define N_FLOWS 1000
#define N_ARP 10
#define N_PING 10
#define N_BAD 7

struct rt {
	struct rte_mempool *mp;
	unsigned int baseline;
	struct rte_ring *rx, *tx;
	struct dp_port port;
	struct lc_conf lconf;
	const struct sl_service *svc;
	unsigned int expect_out;   /* stop once this many frames are on the TX ring */
	bool drain;                /* the driver empties the TX ring as it goes */
	unsigned int out_count;
	struct rte_mbuf *out[RING_SIZE];
};

static int
svc_init(unsigned int lcore_id, struct stk_ctx *stk, void **state, void *arg)
{
	const struct sl_service *svc = arg;

	RTE_SET_USED(lcore_id);
	*state = NULL;
	return stk_udp_bind(stk, 7, svc->udp_rx, NULL);
}

static void
svc_fini(unsigned int lcore_id, void *state, void *arg)
{
	RTE_SET_USED(state);
	RTE_SET_USED(arg);
	stk_udp_unbind(lc_ctxs[lcore_id]->stk, 7);
}

static int
setup(void **state)
{
	static unsigned int seq;
	struct rt *rt = calloc(1, sizeof(*rt));
	char name[RTE_ETH_NAME_MAX_LEN], err[512];
	int ret;

	assert_non_null(rt);
	snprintf(name, sizeof(name), "rt_pool%u", seq++);
	rt->mp = fx_mempool(name, 16383);
	assert_non_null(rt->mp);
	rt->baseline = fx_in_use(rt->mp);
	fx_ring_port_open("rt", rt->mp, RING_SIZE, &rt->rx, &rt->tx, &rt->port);

	rt->svc = sl_service_find("udp-echo");
	assert_non_null(rt->svc);
	fx_lc_conf_init(&rt->lconf, &rt->port, rt->mp, rte_lcore_id());
	rt->lconf.lcore_init = svc_init;
	rt->lconf.lcore_fini = svc_fini;
	rt->lconf.arg = (void *)(uintptr_t)rt->svc;
	ret = lc_setup(&rt->lconf, err, sizeof(err));
	if (ret != 0)
		fail_msg("%s", err);
	ret = dp_port_start(&rt->port, err, sizeof(err));
	assert_int_equal(ret, 0);
	*state = rt;
	return 0;
}

static int
teardown(void **state)
{
	struct rt *rt = *state;

	rte_pktmbuf_free_bulk(rt->out, rt->out_count);
	lc_teardown();
	fx_ring_port_close(&rt->port, rt->rx, rt->tx);
	fx_assert_baseline(rt->mp, rt->baseline);
	rte_mempool_free(rt->mp);
	free(rt);
	return 0;
}

/* The loop on this thread; what it sends is collected into rt->out when
 * rt->drain, else left on the TX ring. */
static void
run_loop(struct rt *rt)
{
	struct fx_ring_run r = {
		.rx = rt->rx, .tx = rt->tx, .out = rt->out, .cap = RING_SIZE,
		.expect = rt->expect_out, .idle_ms = 200, .drain = rt->drain,
		.count = rt->out_count,
	};

	fx_ring_run(&r);
	rt->out_count = r.count;
}

static void
flow_addr(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "10.0.0.%u", 2 + i % 200);
}

static void
test_udp_echo_arp_ping_and_drops(void **state)
{
	struct rt *rt = *state;
	struct rte_mbuf *in[N_FLOWS + N_ARP + N_PING + N_BAD];
	uint8_t want[N_FLOWS][64];
	unsigned int n = 0, i, udp = 0, arp = 0, icmp = 0;
	uint64_t drops[STK_DROP_MAX];
	struct stk_stats st;
	char src[32];

	for (i = 0; i < N_FLOWS; i++) {
		uint16_t len = 1 + i % 64;

		flow_addr(i, src, sizeof(src));
		in[n] = fx_udp4(rt->mp, src, FX_IP_US, 1024 + i, 7, len);
		assert_non_null(in[n]);
		/* A payload that differs per flow, kept to compare the echo. */
		memset(fx_l4_payload(in[n]), 0, len);
		memcpy(fx_l4_payload(in[n]), &i, RTE_MIN((size_t)len, sizeof(i)));
		fx_udp_fix(in[n]);
		memcpy(want[i], fx_l4_payload(in[n]), len);
		n++;
	}
	for (i = 0; i < N_ARP; i++)
		in[n++] = fx_arp(rt->mp, RTE_ARP_OP_REQUEST, &fx_mac_bcast, &fx_mac_peer,
				 FX_IP_PEER, &(struct rte_ether_addr){{0}}, FX_IP_US);
	for (i = 0; i < N_PING; i++)
		in[n++] = fx_icmp_echo(rt->mp, FX_IP_PEER, FX_IP_US, 0x1234, i, 56);
	for (i = 0; i < N_BAD; i++) {
		in[n] = fx_udp4(rt->mp, FX_IP_PEER, FX_IP_US, 5000, 7, 10);
		fx_ip4(in[n])->hdr_checksum ^= 0x5555;
		n++;
	}
	assert_int_equal(rte_ring_enqueue_bulk(rt->rx, (void **)in, n, NULL), n);

	rt->drain = true;
	rt->expect_out = N_FLOWS + N_ARP + N_PING;
	run_loop(rt);
	assert_int_equal(rt->out_count, N_FLOWS + N_ARP + N_PING);

	for (i = 0; i < rt->out_count; i++) {
		struct rte_mbuf *m = rt->out[i];
		struct rte_ether_hdr *eth = fx_eth(m);

		assert_true(rte_is_same_ether_addr(&eth->src_addr, &fx_mac_us));
		assert_true(rte_is_same_ether_addr(&eth->dst_addr, &fx_mac_peer));
		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			assert_int_equal(rte_be_to_cpu_16(fx_arph(m)->arp_opcode),
					 RTE_ARP_OP_REPLY);
			arp++;
			continue;
		}
		assert_true(fx_ip4_cksum_valid(m));
		assert_int_equal(fx_ip4(m)->src_addr, fx_ip(FX_IP_US));
		if (fx_ip4(m)->next_proto_id == IPPROTO_ICMP) {
			assert_true(fx_icmp_cksum_valid(m));
			assert_int_equal(fx_icmp(m)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
			icmp++;
			continue;
		}
		{
			struct rte_udp_hdr *uh = fx_udp(m);
			unsigned int flow = rte_be_to_cpu_16(uh->dst_port) - 1024;
			uint16_t len = rte_be_to_cpu_16(uh->dgram_len) - sizeof(*uh);

			assert_int_equal(rte_be_to_cpu_16(uh->src_port), 7);
			assert_true(flow < N_FLOWS);
			flow_addr(flow, src, sizeof(src));
			assert_int_equal(fx_ip4(m)->dst_addr, fx_ip(src));
			assert_int_equal(len, 1 + flow % 64);
			assert_memory_equal(fx_l4_payload(m), want[flow], len);
			assert_true(fx_udp_cksum_valid(m));
			udp++;
		}
	}
	assert_int_equal(udp, N_FLOWS);
	assert_int_equal(arp, N_ARP);
	assert_int_equal(icmp, N_PING);

	lc_stats_total(&st, drops);
	assert_int_equal(drops[STK_DROP_IP4_BAD_CKSUM], N_BAD);
	assert_int_equal(st.rx_pkts, n);
	assert_int_equal(lc_ctxs[rte_lcore_id()]->stats.rx_pkts, n);
	assert_int_equal(lc_ctxs[rte_lcore_id()]->stats.tx_pkts, N_FLOWS + N_ARP + N_PING);
}

/* The TX ring fills up and nobody drains it: the loop keeps running,
 * every refused frame is counted as tx_full and freed. */
static void
test_tx_full_counted_and_freed(void **state)
{
	struct rt *rt = *state;
	struct rte_mbuf *in[2000], *m;
	uint64_t drops[STK_DROP_MAX];
	unsigned int i, room, on_ring;
	char src[32];

	/* Leave room for 100 frames only on the TX ring. */
	while (rte_ring_free_count(rt->tx) > 100) {
		m = rte_pktmbuf_alloc(rt->mp);
		assert_non_null(m);
		assert_int_equal(rte_ring_enqueue(rt->tx, m), 0);
	}
	room = rte_ring_free_count(rt->tx);
	on_ring = rte_ring_count(rt->tx);
	for (i = 0; i < RTE_DIM(in); i++) {
		flow_addr(i, src, sizeof(src));
		in[i] = fx_udp4(rt->mp, src, FX_IP_US, 2000 + i, 7, 18);
		assert_non_null(in[i]);
	}
	assert_int_equal(rte_ring_enqueue_bulk(rt->rx, (void **)in, RTE_DIM(in), NULL),
			 RTE_DIM(in));
	rt->drain = false;
	rt->expect_out = UINT32_MAX; /* stop once the RX ring stays empty */
	run_loop(rt);

	lc_stats_total(&(struct stk_stats){0}, drops);
	assert_int_equal(rte_ring_count(rt->tx) - on_ring, room);
	assert_int_equal(drops[STK_DROP_TX_FULL], RTE_DIM(in) - room);
	assert_int_equal(lc_ctxs[rte_lcore_id()]->stats.tx_dropped, RTE_DIM(in) - room);
	assert_int_equal(lc_ctxs[rte_lcore_id()]->stats.rx_pkts, RTE_DIM(in));
}

static int
svc_init_fails(unsigned int lcore_id, struct stk_ctx *stk, void **state, void *arg)
{
	RTE_SET_USED(lcore_id);
	RTE_SET_USED(stk);
	RTE_SET_USED(arg);
	*state = NULL;
	return -EADDRINUSE;
}

/* A service that cannot start on its lcore stops the run, and lc_run()
 * says so (main() turns it into exit code 1) instead of a clean 0. */
static void
test_service_init_failure_reported(void **state)
{
	struct rt *rt = *state;
	char err[256];

	lc_teardown();
	rt->lconf.lcore_init = svc_init_fails;
	rt->lconf.lcore_fini = NULL;
	assert_int_equal(lc_setup(&rt->lconf, err, sizeof(err)), 0);
	assert_int_equal(lc_run(), -EIO);
	assert_true(lc_stopping());
}

int
main(void)
{
	const char *extra[] = {NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_echo_arp_ping_and_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_full_counted_and_freed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_init_failure_reported, setup,
						teardown),
	};

	fx_eal_init("test_rtc_ring", extra);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
