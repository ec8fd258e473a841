/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active open and RSS (lcore/rss.c): the ephemeral port a stack picks
 * must bring the peer's answers back to the lcore that opened. Fake RETAs
 * stand for the NIC; the Toeplitz hash is checked against a bit-by-bit
 * implementation; pipeline choices against lc_pipe_worker_of() on the
 * segment the peer would send.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_random.h>

#include "dp.h"
#include "fixture.h"
#include "lc.h"

#define T_RETA 128
#define T_PORTS 2000

static struct rte_mempool *mp;

/* Toeplitz by the book (Microsoft RSS spec): for every set bit of the
 * input, XOR in the 32-bit window of the key starting at that bit. */
static uint32_t
toeplitz_ref(const uint8_t *in, unsigned int len)
{
	uint32_t h = 0;
	unsigned int i, b;

	for (i = 0; i < len; i++)
		for (b = 0; b < 8; b++) {
			unsigned int pos = i * 8 + b;
			uint32_t w = 0, k;

			if (!(in[i] & (0x80 >> b)))
				continue;
			for (k = 0; k < 32; k++) {
				unsigned int kb = pos + k;

				w = w << 1 | ((dp_rss_sym_key[kb / 8] >> (7 - kb % 8)) & 1);
			}
			h ^= w;
		}
	return h;
}

static struct stk_tcp_tuple
tuple(uint16_t lport)
{
	struct stk_tcp_tuple t = {
		.local_ip = fx_ip(FX_IP_US),
		.remote_ip = fx_ip(FX_IP_PEER),
		.local_port = lport,
		.remote_port = 80,
	};
	return t;
}

static void
test_hash_is_toeplitz_and_symmetric(void **state)
{
	unsigned int i;

	RTE_SET_USED(state);
	for (i = 0; i < 200; i++) {
		struct stk_tcp_tuple t, r;
		uint8_t in[12];

		t.local_ip = (uint32_t)rte_rand();
		t.remote_ip = (uint32_t)rte_rand();
		t.local_port = (uint16_t)rte_rand();
		t.remote_port = (uint16_t)rte_rand();

		/* the peer's segment: source = remote, destination = local */
		memcpy(in, &t.remote_ip, 4);
		memcpy(in + 4, &t.local_ip, 4);
		in[8] = t.remote_port >> 8;
		in[9] = t.remote_port & 0xff;
		in[10] = t.local_port >> 8;
		in[11] = t.local_port & 0xff;
		assert_int_equal(lc_rss_hash(&t), toeplitz_ref(in, sizeof(in)));
		r.local_ip = t.remote_ip;
		r.remote_ip = t.local_ip;
		r.local_port = t.remote_port;
		r.remote_port = t.local_port;
		assert_int_equal(lc_rss_hash(&t), lc_rss_hash(&r));
	}
}

/* 4 queues, RETA round robin; lcore 1 polls queues 0 and 2, lcore 2
 * polls 1 and 3 (port 0), as an l3fwd-style mapping would. */
static const struct lc_map_entry map4[] = {
	{0, 0, 1},
	{0, 1, 2},
	{0, 2, 1},
	{0, 3, 2},
};

static void
sel_rtc(struct lc_rss_sel *s, unsigned int lcore, uint16_t reta_size)
{
	uint16_t reta[T_RETA];
	unsigned int i;

	for (i = 0; i < T_RETA; i++)
		reta[i] = i % 4;
	memset(s, 0, sizeof(*s));
	lc_rss_sel_fill(s, 0, fx_ip(FX_IP_US), reta, reta_size, map4, RTE_DIM(map4), lcore);
}

static void
test_rtc_port_reaches_polled_queue(void **state)
{
	struct lc_rss_sel *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	unsigned int n_a = 0, p;

	RTE_SET_USED(state);
	sel_rtc(a, 1, T_RETA);
	sel_rtc(b, 2, T_RETA);
	for (p = 49152; p < 49152 + T_PORTS; p++) {
		struct stk_tcp_tuple t = tuple(p);
		uint16_t q = lc_rss_hash(&t) % T_RETA % 4;
		bool ok_a = lc_rss_port_ok(a, &t), ok_b = lc_rss_port_ok(b, &t);

		/* exactly one lcore may use each port, the one polling q */
		assert_true(ok_a != ok_b);
		assert_int_equal(ok_a, q == 0 || q == 2);
		n_a += ok_a;
	}
	/* the hash spreads: neither lcore starves */
	assert_in_range(n_a, T_PORTS / 4, T_PORTS * 3 / 4);
	free(a);
	free(b);
}

static void
test_rtc_no_rss_any_port(void **state)
{
	struct lc_rss_sel *a = calloc(1, sizeof(*a));
	struct stk_tcp_tuple t;
	unsigned int p;

	RTE_SET_USED(state);
	sel_rtc(a, 1, 0); /* no RETA: no RSS or one queue */
	for (p = 49152; p < 49152 + 100; p++) {
		t = tuple(p);
		assert_true(lc_rss_port_ok(a, &t));
	}
	sel_rtc(a, 1, T_RETA);
	t = tuple(50000);
	t.local_ip = fx_ip("192.0.2.1"); /* no port has it: nothing to say */
	assert_true(lc_rss_port_ok(a, &t));
	free(a);
}

/* The segment the peer sends for @t, as an RX lcore would see it. */
static struct rte_mbuf *
peer_segment(const struct stk_tcp_tuple *t)
{
	return fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->remote_port, t->local_port, 1, 1,
		       RTE_TCP_ACK_FLAG, 1000, NULL, 0, NULL, 0);
}

static void
check_pipeline(bool hw_hash)
{
	struct lc_rss_sel *w = calloc(3, sizeof(*w));
	unsigned int p, i, per[3] = {0};

	for (i = 0; i < 3; i++) {
		uint16_t reta[T_RETA] = {0};

		lc_rss_sel_fill(&w[i], 0, fx_ip(FX_IP_US), reta, hw_hash ? T_RETA : 0, NULL, 0, 0);
		w[i].pipeline = true;
		w[i].worker = i;
		w[i].n_workers = 3;
	}
	for (p = 49152; p < 49152 + 300; p++) {
		struct stk_tcp_tuple t = tuple(p);
		struct rte_mbuf *m = peer_segment(&t);
		unsigned int n_ok = 0, owner = 99;

		if (hw_hash) {
			m->hash.rss = lc_rss_hash(&t);
			m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		}
		for (i = 0; i < 3; i++)
			if (lc_rss_port_ok(&w[i], &t)) {
				n_ok++;
				owner = i;
			}
		assert_int_equal(n_ok, 1);
		assert_int_equal(owner, lc_pipe_worker_of(m, 3));
		per[owner]++;
		rte_pktmbuf_free(m);
	}
	for (i = 0; i < 3; i++)
		assert_in_range(per[i], 30, 200);
	/* one worker takes everything */
	w[0].n_workers = 1;
	for (p = 49152; p < 49152 + 10; p++) {
		struct stk_tcp_tuple t = tuple(p);

		assert_true(lc_rss_port_ok(&w[0], &t));
	}
	free(w);
}

static void
test_pipeline_sw_hash_picks_own_worker(void **state)
{
	RTE_SET_USED(state);
	check_pipeline(false);
	assert_int_equal(fx_in_use(mp), 0);
}

static void
test_pipeline_nic_hash_picks_own_worker(void **state)
{
	RTE_SET_USED(state);
	check_pipeline(true);
	assert_int_equal(fx_in_use(mp), 0);
}

/* Through the stack: every connect draws a port the hook accepts. */
static void
test_connect_uses_hook(void **state)
{
	struct lc_rss_sel *s = calloc(1, sizeof(*s));
	struct stk_tcp_ops ops = {0};
	struct fx *fx = fx_new(mp);
	unsigned int i;

	RTE_SET_USED(state);
	sel_rtc(s, 2, T_RETA);
	fx->conf.tcp.max_conns = 64;
	fx->conf.tcp.port_ok = lc_rss_port_ok;
	fx->conf.tcp.port_ok_arg = s;
	fx->conf.n_arp_static = 1;
	fx->conf.arp_static[0].ip = fx_ip(FX_IP_PEER);
	fx->conf.arp_static[0].mac = fx_mac_peer;
	assert_int_equal(fx_start(fx), 0);
	for (i = 0; i < 32; i++) {
		struct stk_tcp_conn *c = NULL;
		struct stk_tcp_tuple t;
		uint16_t q;

		assert_int_equal(stk_tcp_connect(fx->stk, fx_ip(FX_IP_PEER), 80, 0, &ops, NULL, &c),
				 0);
		stk_tcp_get_tuple(c, &t);
		q = lc_rss_hash(&t) % T_RETA % 4;
		assert_true(q == 1 || q == 3);
	}
	stk_tcp_abort_all(fx->stk);
	fx_delete(fx);
	free(s);
}

/* ---- RSS self-check (lc_rss_check_table) ---- */

/* The key most NICs ship with (Microsoft's RSS verification key): not
 * symmetric, so a flow and its reverse usually hash apart. */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
reta_rr(uint16_t *reta, uint16_t n, uint16_t queues)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		reta[i] = i % queues;
}

static void
test_rss_check_symmetric_key_passes(void **state)
{
	uint16_t reta[T_RETA];
	char err[256] = "";

	RTE_SET_USED(state);
	reta_rr(reta, T_RETA, 4);
	assert_int_equal(lc_rss_check_table(dp_rss_sym_key, sizeof(dp_rss_sym_key), reta, T_RETA,
					    false, err, sizeof(err)),
			 0);
	/* pipeline: the hashes themselves must match */
	assert_int_equal(lc_rss_check_table(dp_rss_sym_key, sizeof(dp_rss_sym_key), reta, T_RETA,
					    true, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
}

static void
test_rss_check_default_key_refused(void **state)
{
	uint16_t reta[T_RETA];
	char err[256] = "";

	RTE_SET_USED(state);
	reta_rr(reta, T_RETA, 4);
	assert_int_equal(
		lc_rss_check_table(ms_key, sizeof(ms_key), reta, T_RETA, false, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "reaches RX queue"));
	assert_non_null(strstr(err, "its reverse queue"));
	err[0] = '\0';
	assert_int_equal(
		lc_rss_check_table(ms_key, sizeof(ms_key), reta, T_RETA, true, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "hash 0x"));
}

/* A RETA that sends everything to one queue keeps flows together whatever
 * the key; in pipeline mode the hash still decides the worker. */
static void
test_rss_check_one_queue_reta(void **state)
{
	uint16_t reta[T_RETA];
	char err[256];

	RTE_SET_USED(state);
	reta_rr(reta, T_RETA, 1);
	assert_int_equal(
		lc_rss_check_table(ms_key, sizeof(ms_key), reta, T_RETA, false, err, sizeof(err)),
		0);
	assert_int_equal(
		lc_rss_check_table(ms_key, sizeof(ms_key), reta, T_RETA, true, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(lc_rss_check_table(ms_key, sizeof(ms_key), reta, 0, true, err,
					    sizeof(err)),
			 0);
}

/* One flipped key byte breaks the 16-bit period, and the check sees it. */
static void
test_rss_check_one_byte_off(void **state)
{
	uint8_t key[40];
	uint16_t reta[T_RETA];
	char err[256];

	RTE_SET_USED(state);
	memcpy(key, dp_rss_sym_key, sizeof(key));
	key[5] ^= 0x10;
	reta_rr(reta, T_RETA, 4);
	assert_int_equal(lc_rss_check_table(key, sizeof(key), reta, T_RETA, false, err,
					    sizeof(err)),
			 -EINVAL);
}

/* A segment with no connection on this lcore whose flow RSS gives another
 * lcore is counted (tcp_not_owner); one this lcore owns is not. */
static void
test_not_owner_counted(void **state)
{
	struct lc_rss_sel *s = calloc(1, sizeof(*s));
	struct fx *fx = fx_new(mp);
	unsigned int i, foreign = 0;

	RTE_SET_USED(state);
	sel_rtc(s, 2, T_RETA); /* lcore 2 polls queues 1 and 3 */
	fx->conf.tcp.max_conns = 16;
	fx->conf.tcp.port_ok = lc_rss_port_ok;
	fx->conf.tcp.port_ok_arg = s;
	assert_int_equal(fx_start(fx), 0);
	for (i = 0; i < 64; i++) {
		uint16_t pport = (uint16_t)(20000 + i * 7);
		struct stk_tcp_tuple t = {
			.local_ip = fx_ip(FX_IP_US),
			.remote_ip = fx_ip(FX_IP_PEER),
			.local_port = 80,
			.remote_port = pport,
		};
		uint16_t q = lc_rss_hash(&t) % T_RETA % 4;

		foreign += q != 1 && q != 3;
		fx_input(fx, fx_tcp4(mp, FX_IP_PEER, FX_IP_US, pport, 80, 1000, 0,
				     RTE_TCP_ACK_FLAG, 65535, NULL, 0, NULL, 0));
	}
	assert_true(foreign > 0 && foreign < 64);
	assert_int_equal(fx_stats(fx).tcp_not_owner, foreign);
	fx_delete(fx);
	free(s);
}

static int
group_setup(void **state)
{
	RTE_SET_USED(state);
	fx_eal_init("test_rss", NULL);
	mp = fx_mempool("rss_mp", 1023);
	return mp == NULL ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_is_toeplitz_and_symmetric),
		cmocka_unit_test(test_rtc_port_reaches_polled_queue),
		cmocka_unit_test(test_rtc_no_rss_any_port),
		cmocka_unit_test(test_pipeline_sw_hash_picks_own_worker),
		cmocka_unit_test(test_pipeline_nic_hash_picks_own_worker),
		cmocka_unit_test(test_connect_uses_hook),
		cmocka_unit_test(test_rss_check_symmetric_key_passes),
		cmocka_unit_test(test_rss_check_default_key_refused),
		cmocka_unit_test(test_rss_check_one_queue_reta),
		cmocka_unit_test(test_rss_check_one_byte_off),
		cmocka_unit_test(test_not_owner_counted),
	};

	return cmocka_run_group_tests_name("rss", tests, group_setup, NULL);
}
