/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline mode end to end in one process, on net_ring ports as in
 * test_rtc_ring: EAL runs three lcores as threads over the machine's CPUs,
 * the test feeds the port's RX ring and reads its TX rings from a driver
 * thread while lc_run() runs the loops.
 *
 * - The same input (1200 UDP flows of 4 datagrams, ARP requests and pings
 *   mixed in) through RTC and through three pipeline shapes gives the same
 *   frames, byte for byte, in the same order per flow.
 * - ARP state stays right when the reply reaches another lcore than the
 *   one that asked, in pipeline mode and in RTC with two queues.
 * - A stalled worker behind a tiny ring: ring-full drops counted on the ring
 *   and as ring_full, the loop keeps running, nothing leaked (RELIABILITY
 *   T11); stopping with full rings leaks nothing either.
 * - The flow hash is symmetric; roles are checked.
 * Every run ends with the mempool back at its baseline.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "dp.h"
#include "fixture.h"
#include "lc.h"
#include "sluice_service.h"

#define PORT_RING 8192
#define MAX_OUT 8192
#define ECHO_PORT 7
#define TRIGGER_PORT 9
#define STALL_PORT 11
#define TRIGGER_DST "10.0.0.250"
#define N_FLOWS 1200
#define PKTS_PER_FLOW 4
#define N_ARP 24
#define N_PING 24
#define N_IN (N_FLOWS * PKTS_PER_FLOW + N_ARP + N_PING)
#define CHUNK 256
#define FRAME_MAX 128

static const struct rte_ether_addr trigger_mac = {{0x02, 0x00, 0x00, 0x00, 0x02, 0x50}};
static struct rte_mempool *mp;
static const struct sl_service *echo;
static int stall_entered, stall_release;
static struct pt *pt_cur; /* what teardown frees when a test failed */

struct pt {
	unsigned int baseline;
	uint16_t n_rxq, n_txq;
	struct rte_ring *rx[2], *tx[2];
	struct dp_port port;
	struct lc_conf lconf;
	unsigned int n_out;
	struct rte_mbuf *out[MAX_OUT];
	/* built by the test before the run; the driver thread only feeds
	 * them (no cmocka assertion outside the test's own thread) */
	struct rte_mbuf **in[2];
	unsigned int n_in[2];
	unsigned int fed[2]; /* in[i][0..fed) belong to the loops now */
};

/* ---- services: echo (the real one), trigger, stall --------------------- */

/* Sends a datagram carrying the request's payload to TRIGGER_DST, which
 * needs ARP: the lcore that owns the flow asks. */
static enum stk_udp_verdict
trigger_rx(void *arg, struct stk_udp_msg *msg)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;

	if (m == NULL)
		return STK_UDP_DROP;
	p = (uint8_t *)rte_pktmbuf_append(m, msg->len);
	memcpy(p, msg->data, msg->len);
	stk_udp_send(arg, fx_ip(TRIGGER_DST), TRIGGER_PORT, 5000, m);
	rte_pktmbuf_free(msg->m);
	return STK_UDP_CONSUMED;
}

/* Blocks its lcore until the test lets go (at most 10 s), then echoes. */
static enum stk_udp_verdict
stall_rx(void *arg, struct stk_udp_msg *msg)
{
	uint64_t end = rte_get_tsc_cycles() + 10 * rte_get_tsc_hz();

	RTE_SET_USED(arg);
	RTE_SET_USED(msg);
	__atomic_store_n(&stall_entered, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stall_release, __ATOMIC_ACQUIRE) && rte_get_tsc_cycles() < end)
		usleep(100);
	return STK_UDP_REPLY_SAME;
}

static int
svc_init(unsigned int lcore_id, struct stk_ctx *stk, void **state, void *arg)
{
	RTE_SET_USED(lcore_id);
	RTE_SET_USED(arg);
	*state = NULL;
	if (stk_udp_bind(stk, ECHO_PORT, echo->udp_rx, NULL) != 0 ||
	    stk_udp_bind(stk, TRIGGER_PORT, trigger_rx, stk) != 0 ||
	    stk_udp_bind(stk, STALL_PORT, stall_rx, NULL) != 0)
		return -EINVAL;
	return 0;
}

static void
svc_fini(unsigned int lcore_id, void *state, void *arg)
{
	RTE_SET_USED(state);
	RTE_SET_USED(arg);
	stk_udp_unbind(lc_ctxs[lcore_id]->stk, ECHO_PORT);
	stk_udp_unbind(lc_ctxs[lcore_id]->stk, TRIGGER_PORT);
	stk_udp_unbind(lc_ctxs[lcore_id]->stk, STALL_PORT);
}

/* ---- harness ------------------------------------------------------------ */

/* A net_ring port with @n_rxq/@n_txq queues and the loop configuration
 * every test shares; the caller sets the mapping and mode. */
static struct pt *
pt_new(uint16_t n_rxq, uint16_t n_txq)
{
	static unsigned int seq;
	struct pt *pt = calloc(1, sizeof(*pt));
	char name[RTE_ETH_NAME_MAX_LEN], err[512];
	struct dp_port_params pp = {
		.name = "port0",
		.rxd = 512,
		.txd = 512,
		.mtu = 1500,
	};
	uint16_t i;
	int ret;

	assert_non_null(pt);
	pt_cur = pt;
	pt->baseline = fx_in_use(mp);
	pt->n_rxq = n_rxq;
	pt->n_txq = n_txq;
	for (i = 0; i < n_rxq; i++) {
		snprintf(name, sizeof(name), "pt_rx%u_%u", seq, i);
		pt->rx[i] = rte_ring_create(name, PORT_RING, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		assert_non_null(pt->rx[i]);
	}
	for (i = 0; i < n_txq; i++) {
		snprintf(name, sizeof(name), "pt_tx%u_%u", seq, i);
		pt->tx[i] = rte_ring_create(name, PORT_RING, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		assert_non_null(pt->tx[i]);
	}
	snprintf(name, sizeof(name), "pt_ring%u", seq++);
	ret = rte_eth_from_rings(name, pt->rx, n_rxq, pt->tx, n_txq, 0);
	assert_true(ret >= 0);
	assert_int_equal(rte_eth_dev_get_name_by_port(ret, name), 0);
	assert_int_equal(dp_port_find("port0", name, &pt->port, err, sizeof(err)), 0);
	pp.dev = name;
	pp.n_rxq = n_rxq;
	pp.n_txq = n_txq;
	ret = dp_port_setup(&pp, &pt->port, mp, err, sizeof(err));
	if (ret != 0)
		fail_msg("%s", err);

	pt->lconf.burst = 32;
	pt->lconf.tx_drain_us = 100;
	pt->lconf.n_ports = 1;
	pt->lconf.ifs[0] = (struct stk_if_conf){
		.port_id = pt->port.port_id,
		.mac = fx_mac_us,
		.ip = fx_ip(FX_IP_US),
		.prefix_len = FX_PREFIX,
		.mtu = 1500,
	};
	pt->lconf.stk.arp_entries = 256;
	pt->lconf.stk.arp_timeout_ms = 60000;
	pt->lconf.stk.arp_retry_ms = 60000; /* no retry inside a test */
	pt->lconf.stk.arp_retries = 3;
	pt->lconf.stk.arp_pending_max = 256;
	pt->lconf.stk.icmp_rate = 100;
	pt->lconf.stk.icmp_burst = 10;
	pt->lconf.stk.ttl = 64;
	pt->lconf.mp[0] = mp;
	pt->lconf.lcore_init = svc_init;
	pt->lconf.lcore_fini = svc_fini;
	return pt;
}

static void
pt_map(struct pt *pt, uint16_t queue, uint16_t lcore)
{
	pt->lconf.map[pt->lconf.n_map++] =
		(struct lc_map_entry){.port = 0, .queue = queue, .lcore = lcore};
}

/* Pipeline roles from "rx/workers/tx" lcore lists, sizes given or default. */
static void
pt_pipeline(struct pt *pt, const char *rx, const char *workers, const char *tx, uint32_t ring,
	    uint16_t burst)
{
	struct lc_pipe_conf *pc = &pt->lconf.pipe;
	char err[512];
	const char *s;

	pt->lconf.mode = LC_MODE_PIPELINE;
	for (s = rx; *s != '\0'; s++)
		pc->rx[pc->n_rx++] = *s - '0';
	for (s = workers; *s != '\0'; s++)
		pc->workers[pc->n_workers++] = *s - '0';
	for (s = tx; *s != '\0'; s++)
		pc->tx[pc->n_tx++] = *s - '0';
	pc->ring_size = ring;
	pc->rx_burst = burst;
	pc->worker_burst = burst;
	pc->tx_burst = burst;
	if (lc_pipe_roles(pc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	pt_map(pt, 0, pc->rx[0]);
}

static void
pt_start(struct pt *pt)
{
	char err[512];

	__atomic_store_n(&stall_entered, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&stall_release, 0, __ATOMIC_RELEASE);
	if (lc_setup(&pt->lconf, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(dp_port_start(&pt->port, err, sizeof(err)), 0);
}

static void
pt_collect(struct pt *pt)
{
	uint16_t i;

	for (i = 0; i < pt->n_txq; i++)
		pt->n_out += rte_ring_dequeue_burst(pt->tx[i], (void **)&pt->out[pt->n_out],
						    MAX_OUT - pt->n_out, NULL);
}

/* Collect until @n frames are out or @ms milliseconds passed. */
static bool
pt_wait_out(struct pt *pt, unsigned int n, unsigned int ms)
{
	while (pt->n_out < n && ms-- > 0) {
		usleep(1000);
		pt_collect(pt);
	}
	return pt->n_out >= n;
}

/* Collect until nothing new came for @quiet_ms (at most 5 s). */
static void
pt_wait_quiet(struct pt *pt, unsigned int quiet_ms)
{
	unsigned int still = 0, last = pt->n_out, total = 0;

	while (still < quiet_ms && total++ < 5000) {
		usleep(1000);
		pt_collect(pt);
		if (pt->n_out != last) {
			last = pt->n_out;
			still = 0;
		} else {
			still++;
		}
	}
}

static void
pt_run(struct pt *pt, void *(*driver)(void *))
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, driver, pt), 0);
	lc_run();
	pthread_join(t, NULL);
	pt_collect(pt);
}

static void
pt_free(struct pt *pt)
{
	struct rte_mbuf *m;
	uint16_t i;

	for (i = 0; i < 2; i++) {
		if (pt->in[i] != NULL && pt->fed[i] < pt->n_in[i])
			rte_pktmbuf_free_bulk(&pt->in[i][pt->fed[i]], pt->n_in[i] - pt->fed[i]);
		free(pt->in[i]);
	}
	rte_pktmbuf_free_bulk(pt->out, pt->n_out);
	lc_teardown();
	dp_port_close(&pt->port);
	for (i = 0; i < pt->n_rxq; i++) {
		while (rte_ring_dequeue(pt->rx[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(pt->rx[i]);
	}
	for (i = 0; i < pt->n_txq; i++) {
		while (rte_ring_dequeue(pt->tx[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(pt->tx[i]);
	}
	pt_cur = NULL;
}

static void
pt_delete(struct pt *pt)
{
	unsigned int baseline = pt->baseline;

	pt_free(pt);
	free(pt);
	fx_assert_baseline(mp, baseline);
}

/* After a failed test: give everything back so the next one starts clean. */
static int
teardown(void **state)
{
	RTE_SET_USED(state);
	if (pt_cur != NULL) {
		pt_free(pt_cur);
		free(pt_cur);
	}
	return 0;
}

static uint64_t
drops_total(uint64_t *drops)
{
	struct stk_stats st;
	uint64_t sum = 0;
	unsigned int i;

	lc_stats_total(&st, drops);
	for (i = 0; i < STK_DROP_MAX; i++)
		sum += drops[i];
	return sum;
}

static struct lc_ring_stats *
ring_named(struct lc_ring_stats *rs, unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(rs[i].name, name) == 0)
			return &rs[i];
	fail_msg("no ring %s", name);
	return NULL;
}

/* ---- input ------------------------------------------------------------- */

static struct rte_mbuf *
flow_pkt(unsigned int flow, unsigned int k, uint16_t dport)
{
	char src[32];
	uint16_t len = 8 + flow % 32;
	struct rte_mbuf *m;
	uint8_t *p;

	snprintf(src, sizeof(src), "10.0.0.%u", 2 + flow % 200);
	m = fx_udp4(mp, src, FX_IP_US, 1024 + flow, dport, len);
	assert_non_null(m);
	p = fx_l4_payload(m);
	memcpy(p, &flow, 4);
	memcpy(p + 4, &k, 4);
	fx_udp_fix(m);
	return m;
}

static struct rte_mbuf *
arp_req(unsigned int a)
{
	struct rte_ether_addr sha = {{0x02, 0x00, 0x00, 0x00, 0x01, (uint8_t)a}};
	char spa[32];

	snprintf(spa, sizeof(spa), "10.0.0.%u", 2 + a);
	return fx_arp(mp, RTE_ARP_OP_REQUEST, &fx_mac_bcast, &sha, spa,
		      &(struct rte_ether_addr){{0}}, FX_IP_US);
}

/* The flows, 4 rounds, with an ARP request and a ping every 100 frames. */
static unsigned int
make_input(struct rte_mbuf **in)
{
	unsigned int n = 0, k, f, a = 0, p = 0;

	for (k = 0; k < PKTS_PER_FLOW; k++)
		for (f = 0; f < N_FLOWS; f++) {
			in[n++] = flow_pkt(f, k, ECHO_PORT);
			if (f % 200 == 50 && a < N_ARP)
				in[n++] = arp_req(a++);
			if (f % 200 == 150 && p < N_PING)
				in[n++] = fx_icmp_echo(mp, FX_IP_PEER, FX_IP_US, 0x1234, p++, 56);
		}
	while (a < N_ARP)
		in[n++] = arp_req(a++);
	while (p < N_PING)
		in[n++] = fx_icmp_echo(mp, FX_IP_PEER, FX_IP_US, 0x1234, p++, 56);
	assert_int_equal(n, N_IN);
	return n;
}

/* The driver feeds pt->in[i] and takes what it did not feed back. */
static bool
pt_feed(struct pt *pt, unsigned int i, unsigned int ring, unsigned int from, unsigned int n)
{
	if (rte_ring_enqueue_bulk(pt->rx[ring], (void **)&pt->in[i][from], n, NULL) != n)
		return false;
	pt->fed[i] = from + n;
	return true;
}

static void
pt_unfed(struct pt *pt, unsigned int i, unsigned int from)
{
	if (from < pt->n_in[i])
		rte_pktmbuf_free_bulk(&pt->in[i][from], pt->n_in[i] - from);
	pt->n_in[i] = from;
}

static void
pt_input(struct pt *pt, unsigned int i, unsigned int n)
{
	pt->in[i] = calloc(n, sizeof(*pt->in[i]));
	assert_non_null(pt->in[i]);
	pt->n_in[i] = n;
}

/* ---- RTC and pipeline: the same frames, the same order per flow -------- */

struct frame {
	uint64_t key; /* the flow (client address and port); 0 = ARP and ICMP */
	unsigned int idx;
	uint16_t len;
	uint8_t data[FRAME_MAX];
};

static uint64_t
frame_key(struct rte_mbuf *m)
{
	if (fx_eth(m)->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    fx_ip4(m)->next_proto_id != IPPROTO_UDP)
		return 0;
	return (uint64_t)rte_be_to_cpu_32(fx_ip4(m)->dst_addr) << 16 |
	       rte_be_to_cpu_16(fx_udp(m)->dst_port);
}

static int
frame_cmp(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The frames of a run, sorted by flow, in sending order within a flow. */
static struct frame *
frames_of(struct pt *pt)
{
	struct frame *f = calloc(pt->n_out, sizeof(*f));
	unsigned int i;

	assert_non_null(f);
	for (i = 0; i < pt->n_out; i++) {
		struct rte_mbuf *m = pt->out[i];

		assert_int_equal(m->nb_segs, 1);
		assert_true(rte_pktmbuf_pkt_len(m) <= FRAME_MAX);
		f[i].key = frame_key(m);
		f[i].idx = i;
		f[i].len = rte_pktmbuf_pkt_len(m);
		memcpy(f[i].data, rte_pktmbuf_mtod(m, void *), f[i].len);
	}
	qsort(f, pt->n_out, sizeof(*f), frame_cmp);
	return f;
}

/* Feed CHUNK frames at a time and wait for their answers (one each), so
 * that no ring can overflow and both modes see the same input. */
static void *
drive_in_chunks(void *arg)
{
	struct pt *pt = arg;
	unsigned int n = pt->n_in[0], done = 0;

	while (done < n) {
		unsigned int c = RTE_MIN((unsigned int)CHUNK, n - done);

		if (!pt_feed(pt, 0, 0, done, c))
			break;
		done += c;
		if (!pt_wait_out(pt, done, 10000))
			break;
	}
	pt_unfed(pt, 0, done);
	usleep(10000);
	lc_stop();
	return NULL;
}

static struct frame *
run_same_input(struct pt *pt, unsigned int *n_out)
{
	uint64_t drops[STK_DROP_MAX];
	struct frame *f;

	pt_input(pt, 0, N_IN);
	make_input(pt->in[0]);
	pt_start(pt);
	pt_run(pt, drive_in_chunks);
	assert_int_equal(pt->n_in[0], N_IN);
	assert_int_equal(pt->n_out, N_IN);
	assert_int_equal(drops_total(drops), 0);
	f = frames_of(pt);
	*n_out = pt->n_out;
	return f;
}

static void
check_pipeline_counters(void)
{
	struct lc_ring_stats rs[LC_PIPE_MAX_RINGS];
	unsigned int n = lc_pipe_ring_stats(rs, RTE_DIM(rs)), i, k;
	uint64_t worker_pkts = 0;

	assert_true(n >= 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(rs[i].enqueued, rs[i].dequeued);
		assert_int_equal(rs[i].dropped, 0);
		assert_int_equal(rs[i].count, 0);
		assert_true(rs[i].high_water <= rs[i].size);
	}
	for (k = 0; k < lc_n_loops; k++) {
		const struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];

		if (ctx->roles & (1u << LC_ROLE_WORKER)) {
			/* the hash spreads 1200 flows over every worker */
			assert_true(ctx->stats.role[LC_ROLE_WORKER].pkts > 0);
			worker_pkts += ctx->stats.role[LC_ROLE_WORKER].pkts;
		}
	}
	assert_int_equal(worker_pkts, N_IN);
}

static void
test_rtc_and_pipeline_same_frames(void **state)
{
	static const char *const shapes[][3] = {
		{"0", "12", "0"}, /* one I/O lcore, two workers */
		{"0", "1", "2"},  /* RX, worker, TX on three lcores */
		{"2", "0", "1"},  /* the main lcore as the worker */
	};
	struct frame *rtc, *pipe;
	unsigned int n_rtc, n_pipe, i, s, udp = 0;
	struct pt *pt;

	RTE_SET_USED(state);
	pt = pt_new(1, 1);
	pt_map(pt, 0, rte_get_main_lcore());
	rtc = run_same_input(pt, &n_rtc);
	pt_delete(pt);
	/* RTC's own order per flow is the input order */
	for (i = 1; i < n_rtc; i++)
		if (rtc[i].key != 0 && rtc[i].key == rtc[i - 1].key) {
			uint32_t k0, k1;

			memcpy(&k0, rtc[i - 1].data + 42 + 4, 4);
			memcpy(&k1, rtc[i].data + 42 + 4, 4);
			assert_int_equal(k1, k0 + 1);
			udp++;
		}
	assert_int_equal(udp, N_FLOWS * (PKTS_PER_FLOW - 1));

	for (s = 0; s < RTE_DIM(shapes); s++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f;
		struct lc_snapshot *a = calloc(2, sizeof(*a));

		assert_non_null(a);
		pt = pt_new(1, 1);
		pt_pipeline(pt, shapes[s][0], shapes[s][1], shapes[s][2], 1024, 32);
		lc_snapshot_take(&a[0]);
		pipe = run_same_input(pt, &n_pipe);
		check_pipeline_counters();

		/* the stats line and the summary show every stage and ring */
		lc_snapshot_take(&a[1]);
		f = open_memstream(&buf, &len);
		assert_non_null(f);
		lc_stats_print_interval(&a[0], &a[0], &a[1], f);
		lc_stats_print_summary(&a[0], &a[1], f);
		fclose(f);
		assert_non_null(strstr(buf, "worker"));
		assert_non_null(strstr(buf, "cyc/pkt"));
		assert_non_null(strstr(buf, "ring rx"));
		assert_non_null(strstr(buf, "high-water"));
		assert_non_null(strstr(buf, "busiest stage"));
		free(buf);
		free(a);
		pt_delete(pt);

		assert_int_equal(n_pipe, n_rtc);
		for (i = 0; i < n_rtc; i++) {
			assert_true(pipe[i].key == rtc[i].key);
			assert_int_equal(pipe[i].len, rtc[i].len);
			assert_memory_equal(pipe[i].data, rtc[i].data, rtc[i].len);
		}
		free(pipe);
	}
	free(rtc);
}

/* ---- ARP replies that reach another lcore than the one that asked ------- */

#define N_TRIGGERS 64

static unsigned int arp_requests_expected;

static unsigned int
count_arp_requests(struct pt *pt)
{
	unsigned int i, n = 0;

	for (i = 0; i < pt->n_out; i++)
		if (fx_eth(pt->out[i])->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
		    fx_arph(pt->out[i])->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST))
			n++;
	return n;
}

/* in[0]: triggers, fed to the last RX ring; in[1]: the reply, fed to the
 * first once every expected request is out. */
static void *
drive_arp(void *arg)
{
	struct pt *pt = arg;
	unsigned int waited = 0;

	if (!pt_feed(pt, 0, pt->n_rxq - 1, 0, pt->n_in[0]))
		pt_unfed(pt, 0, 0);
	while (count_arp_requests(pt) < arp_requests_expected && waited++ < 5000) {
		usleep(1000);
		pt_collect(pt);
	}
	if (pt_feed(pt, 1, 0, 0, 1))
		pt_wait_out(pt, arp_requests_expected + N_TRIGGERS, 5000);
	else
		pt_unfed(pt, 1, 0);
	usleep(10000);
	lc_stop();
	return NULL;
}

static void
arp_input(struct pt *pt)
{
	unsigned int i;

	pt_input(pt, 0, N_TRIGGERS);
	for (i = 0; i < N_TRIGGERS; i++)
		pt->in[0][i] = flow_pkt(i, 0, TRIGGER_PORT);
	pt_input(pt, 1, 1);
	pt->in[1][0] = fx_arp(mp, RTE_ARP_OP_REPLY, &fx_mac_us, &trigger_mac, TRIGGER_DST,
			      &fx_mac_us, FX_IP_US);
}

static void
check_triggers_sent(struct pt *pt)
{
	uint64_t drops[STK_DROP_MAX];
	struct stk_stats st;
	unsigned int i, sent = 0;

	assert_int_equal(count_arp_requests(pt), arp_requests_expected);
	for (i = 0; i < pt->n_out; i++) {
		struct rte_mbuf *m = pt->out[i];
		uint32_t flow;

		if (fx_eth(m)->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
			continue;
		assert_true(rte_is_same_ether_addr(&fx_eth(m)->dst_addr, &trigger_mac));
		assert_int_equal(fx_ip4(m)->dst_addr, fx_ip(TRIGGER_DST));
		assert_true(fx_udp_cksum_valid(m));
		memcpy(&flow, fx_l4_payload(m), 4);
		assert_true(flow < N_TRIGGERS);
		sent++;
	}
	assert_int_equal(sent, N_TRIGGERS);
	assert_int_equal(drops_total(drops), 0);
	lc_stats_total(&st, drops);
	/* both asked; the one the reply did not reach learned it remotely */
	assert_int_equal(st.arp_requests_sent, 2);
	assert_int_equal(st.arp_learned, 2);
	assert_int_equal(st.arp_remote_learned, 1);
	assert_int_equal(st.arp_shared, 1);
}

static void
test_pipeline_arp_reply_on_other_worker(void **state)
{
	bool seen[2] = {false, false};
	struct pt *pt;
	unsigned int i;

	RTE_SET_USED(state);
	/* the flows of the triggers land on both workers */
	for (i = 0; i < N_TRIGGERS; i++) {
		struct rte_mbuf *m = flow_pkt(i, 0, TRIGGER_PORT);

		seen[lc_pipe_worker_of(m, 2)] = true;
		rte_pktmbuf_free(m);
	}
	assert_true(seen[0] && seen[1]);
	arp_requests_expected = 2;
	pt = pt_new(1, 1);
	pt_pipeline(pt, "0", "12", "0", 1024, 32);
	arp_input(pt);
	pt_start(pt);
	pt_run(pt, drive_arp);
	check_triggers_sent(pt);
	pt_delete(pt);
}

/* RTC with two queues: lcore 1 asks, the reply arrives on lcore 0's queue. */
static void
test_rtc_arp_reply_on_other_queue(void **state)
{
	struct pt *pt;

	RTE_SET_USED(state);
	arp_requests_expected = 1;
	pt = pt_new(2, 2);
	pt_map(pt, 0, 0);
	pt_map(pt, 1, 1);
	arp_input(pt);
	pt_start(pt);
	pt_run(pt, drive_arp);
	assert_int_equal(count_arp_requests(pt), 1);
	{
		uint64_t drops[STK_DROP_MAX];
		struct stk_stats st;
		unsigned int i, sent = 0;

		for (i = 0; i < pt->n_out; i++)
			if (fx_eth(pt->out[i])->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
				assert_true(rte_is_same_ether_addr(&fx_eth(pt->out[i])->dst_addr,
								   &trigger_mac));
				sent++;
			}
		assert_int_equal(sent, N_TRIGGERS);
		assert_int_equal(drops_total(drops), 0);
		lc_stats_total(&st, drops);
		assert_int_equal(st.arp_remote_learned, 1);
		assert_int_equal(st.arp_shared, 1);
		/* lcore 0 did not ask: it passed the reply on and learned nothing */
		assert_int_equal(stk_arp_lookup(lc_ctxs[0]->stk, fx_ip(TRIGGER_DST), NULL),
				 -ENOENT);
		assert_int_equal(stk_arp_lookup(lc_ctxs[1]->stk, fx_ip(TRIGGER_DST), NULL), 0);
	}
	pt_delete(pt);
}

/* ---- T11: a stalled worker behind a tiny ring --------------------------- */

#define N_FLOOD 2000
#define N_AFTER 32

static bool
wait_stalled(struct pt *pt)
{
	unsigned int waited = 0;

	while ((!__atomic_load_n(&stall_entered, __ATOMIC_ACQUIRE) || !rte_ring_empty(pt->rx[0])) &&
	       waited++ < 5000)
		usleep(1000);
	usleep(20000); /* the RX lcore has put what it polled */
	return waited < 5000;
}

/* in[0]: a datagram that stalls the worker, then a flood of echoes;
 * in[1]: a burst small enough to fit, for after the stall. */
static void
flood_input(struct pt *pt)
{
	unsigned int i;

	pt_input(pt, 0, N_FLOOD + 1);
	pt->in[0][0] = flow_pkt(N_FLOOD, 0, STALL_PORT);
	for (i = 0; i < N_FLOOD; i++)
		pt->in[0][1 + i] = flow_pkt(i, 1, ECHO_PORT);
	pt_input(pt, 1, N_AFTER);
	for (i = 0; i < N_AFTER; i++)
		pt->in[1][i] = flow_pkt(N_FLOOD + 1 + i, 1, ECHO_PORT);
}

static void *
drive_stall(void *arg)
{
	struct pt *pt = arg;

	if (!pt_feed(pt, 0, 0, 0, pt->n_in[0]))
		pt_unfed(pt, 0, 0);
	if (wait_stalled(pt)) {
		__atomic_store_n(&stall_release, 1, __ATOMIC_RELEASE);
		pt_wait_quiet(pt, 100);
		/* the loops kept running: a burst that fits goes through whole */
		if (pt_feed(pt, 1, 0, 0, pt->n_in[1]))
			pt_wait_out(pt, pt->n_out + N_AFTER, 5000);
		else
			pt_unfed(pt, 1, 0);
	} else {
		__atomic_store_n(&stall_release, 1, __ATOMIC_RELEASE);
		pt_unfed(pt, 1, 0);
	}
	usleep(10000);
	lc_stop();
	return NULL;
}

static void
test_stalled_worker_tiny_ring(void **state)
{
	struct lc_ring_stats rs[LC_PIPE_MAX_RINGS];
	uint64_t drops[STK_DROP_MAX];
	struct lc_ring_stats *in, *out;
	unsigned int n, i, after;
	struct pt *pt;

	RTE_SET_USED(state);
	pt = pt_new(1, 1);
	pt_pipeline(pt, "0", "1", "0", 64, 32);
	flood_input(pt);
	pt_start(pt);
	pt_run(pt, drive_stall);
	assert_int_equal(pt->n_in[0], N_FLOOD + 1);
	assert_int_equal(pt->n_in[1], N_AFTER);

	n = lc_pipe_ring_stats(rs, RTE_DIM(rs));
	assert_int_equal(n, 2);
	in = ring_named(rs, n, "rx0>w1");
	out = ring_named(rs, n, "w1>tx0");
	assert_int_equal(in->size, 64);
	assert_int_equal(in->high_water, 64);
	/* about one worker burst and one ringful got past the stall */
	assert_true(in->dropped >= N_FLOOD / 2);
	assert_int_equal(in->enqueued + in->dropped, N_FLOOD + 1 + N_AFTER);
	assert_int_equal(in->enqueued, in->dequeued);
	assert_int_equal(out->enqueued + out->dropped, in->dequeued);
	assert_int_equal(out->enqueued, out->dequeued);
	drops_total(drops);
	assert_int_equal(drops[STK_DROP_RING_FULL], in->dropped + out->dropped);
	/* every frame is either echoed or counted, once */
	assert_int_equal(pt->n_out + in->dropped + out->dropped, N_FLOOD + 1 + N_AFTER);
	/* and every datagram of the burst after the stall came back */
	for (i = 0, after = 0; i < pt->n_out; i++) {
		uint32_t flow;

		memcpy(&flow, fx_l4_payload(pt->out[i]), 4);
		after += flow > N_FLOOD;
	}
	assert_int_equal(after, N_AFTER);
	pt_delete(pt);
}

/* Stop while the worker is stalled and its ring full: nothing leaks. */
static void *
drive_stop_while_full(void *arg)
{
	struct pt *pt = arg;

	if (!pt_feed(pt, 0, 0, 0, pt->n_in[0]))
		pt_unfed(pt, 0, 0);
	pt_unfed(pt, 1, 0);
	wait_stalled(pt);
	lc_stop();
	usleep(20000);
	__atomic_store_n(&stall_release, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_stop_with_full_rings(void **state)
{
	struct lc_ring_stats rs[LC_PIPE_MAX_RINGS];
	unsigned int n;
	struct pt *pt;

	RTE_SET_USED(state);
	pt = pt_new(1, 1);
	pt_pipeline(pt, "0", "1", "0", 64, 32);
	flood_input(pt);
	pt_start(pt);
	pt_run(pt, drive_stop_while_full);
	n = lc_pipe_ring_stats(rs, RTE_DIM(rs));
	assert_int_equal(n, 2);
	assert_true(ring_named(rs, n, "rx0>w1")->dropped > 0);
	assert_true(pt->n_out >= 1);
	pt_delete(pt); /* baseline: every mbuf back, whatever the rings held */
}

/* ---- flow hash and roles ------------------------------------------------ */

static void
test_flow_hash(void **state)
{
	static const unsigned int nws[] = {2, 3, 4, 7, 16};
	unsigned int count[4] = {0}, i, j, w;
	struct rte_mbuf *a, *b;
	char src[32], dst[32];

	RTE_SET_USED(state);
	for (i = 0; i < 200; i++) {
		snprintf(src, sizeof(src), "10.0.%u.%u", i % 7, 2 + i);
		snprintf(dst, sizeof(dst), "10.1.%u.%u", i % 5, 9 + i);
		a = fx_udp4(mp, src, dst, 1000 + i, 53, 10);
		b = fx_udp4(mp, dst, src, 53, 1000 + i, 10);
		for (j = 0; j < RTE_DIM(nws); j++) {
			w = lc_pipe_worker_of(a, nws[j]);
			assert_true(w < nws[j]);
			assert_int_equal(lc_pipe_worker_of(b, nws[j]), w);
		}
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(b);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "10.0.%u.%u", i / 250, 1 + i % 250);
		a = fx_udp4(mp, src, FX_IP_US, 1024 + i, 7, 10);
		count[lc_pipe_worker_of(a, 4)]++;
		rte_pktmbuf_free(a);
	}
	for (i = 0; i < 4; i++)
		assert_true(count[i] > 150 && count[i] < 350);

	/* not flows: worker 0 */
	a = arp_req(1);
	assert_int_equal(lc_pipe_worker_of(a, 4), 0);
	rte_pktmbuf_free(a);
	a = fx_icmp_echo(mp, FX_IP_PEER, FX_IP_US, 1, 1, 8);
	assert_int_equal(lc_pipe_worker_of(a, 4), 0);
	rte_pktmbuf_free(a);
	a = fx_udp4(mp, FX_IP_PEER, FX_IP_US, 1, 2, 8);
	fx_eth(a)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	assert_int_equal(lc_pipe_worker_of(a, 4), 0);
	rte_pktmbuf_trim(a, rte_pktmbuf_pkt_len(a) - 20);
	fx_eth(a)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	assert_int_equal(lc_pipe_worker_of(a, 4), 0); /* too short to parse */
	rte_pktmbuf_free(a);

	/* fragments of one datagram stay together */
	a = fx_udp4(mp, FX_IP_PEER, FX_IP_US, 4000, 7, 8);
	b = fx_udp4(mp, FX_IP_PEER, FX_IP_US, 4000, 7, 8);
	fx_ip4(a)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	fx_ip4(b)->fragment_offset = RTE_BE16(185);
	memset(fx_udp(b), 0x5a, 4);
	for (j = 0; j < RTE_DIM(nws); j++)
		assert_int_equal(lc_pipe_worker_of(a, nws[j]), lc_pipe_worker_of(b, nws[j]));

	/* the NIC's hash wins when the mbuf has one */
	a->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	fx_ip4(a)->fragment_offset = 0;
	a->hash.rss = 0xffffffff;
	assert_int_equal(lc_pipe_worker_of(a, 4), 3);
	a->hash.rss = 0;
	assert_int_equal(lc_pipe_worker_of(a, 4), 0);
	a->hash.rss = 0x80000000;
	assert_int_equal(lc_pipe_worker_of(a, 2), 1);
	rte_pktmbuf_free(a);
	rte_pktmbuf_free(b);

	/* rss_check = software: a NIC whose hash splits a flow's directions
	 * (here 0 and ~0) is overruled for its port, and the software hash
	 * brings both back together; another port's hash still counts. */
	a = fx_udp4(mp, FX_IP_PEER, FX_IP_US, 4000, 7, 8);
	b = fx_udp4(mp, FX_IP_US, FX_IP_PEER, 7, 4000, 8);
	a->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	b->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	a->hash.rss = 0;
	b->hash.rss = 0xffffffff;
	a->port = b->port = 5;
	assert_int_not_equal(lc_pipe_worker_of(a, 4), lc_pipe_worker_of(b, 4));
	lc_rss_software(5);
	for (j = 0; j < RTE_DIM(nws); j++)
		assert_int_equal(lc_pipe_worker_of(a, nws[j]), lc_pipe_worker_of(b, nws[j]));
	a->port = b->port = 6;
	assert_int_not_equal(lc_pipe_worker_of(a, 4), lc_pipe_worker_of(b, 4));
	lc_rss_software_reset();
	a->port = b->port = 5;
	assert_int_not_equal(lc_pipe_worker_of(a, 4), lc_pipe_worker_of(b, 4));
	rte_pktmbuf_free(a);
	rte_pktmbuf_free(b);
}

static void
test_roles(void **state)
{
	struct lc_pipe_conf pc;
	struct lc_map_entry map[1] = {{.port = 0, .queue = 0, .lcore = 1}};
	unsigned int ids[RTE_MAX_LCORE];
	char err[512];

	RTE_SET_USED(state);
	memset(&pc, 0, sizeof(pc));
	assert_int_equal(lc_pipe_roles(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.n_rx, 1);
	assert_int_equal(pc.rx[0], 0);
	assert_int_equal(pc.n_tx, 1);
	assert_int_equal(pc.tx[0], 0);
	assert_int_equal(pc.n_workers, 2);
	assert_int_equal(pc.workers[0], 1);
	assert_int_equal(pc.workers[1], 2);
	assert_int_equal(pc.ring_size, 1024);
	assert_int_equal(pc.rx_burst, 32);
	assert_int_equal(lc_pipe_lcores(&pc, ids), 3);
	assert_string_equal(lc_roles_name(lc_pipe_roles_of(&pc, 0)), "rx+tx");
	assert_string_equal(lc_roles_name(lc_pipe_roles_of(&pc, 2)), "worker");
	assert_int_equal(lc_pipe_map_check(map, 1, &pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "lcore 1 is not one"));

	memset(&pc, 0, sizeof(pc));
	pc.n_workers = 1;
	pc.workers[0] = 0;
	assert_int_equal(lc_pipe_roles(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "lcore 0 is also an RX lcore"));

	memset(&pc, 0, sizeof(pc));
	pc.n_workers = 1;
	pc.workers[0] = 5;
	assert_int_equal(lc_pipe_roles(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "lcore 5 is not enabled"));

	memset(&pc, 0, sizeof(pc));
	pc.n_tx = 2;
	pc.tx[0] = 1;
	pc.tx[1] = 2;
	assert_int_equal(lc_pipe_roles(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no lcore left for a worker"));

	memset(&pc, 0, sizeof(pc));
	pc.tx_burst = 300;
	assert_int_equal(lc_pipe_roles(&pc, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tx_burst"));
}

static int
group_setup(void **state)
{
	RTE_SET_USED(state);
	fx_eal_init_lcores("test_pipeline", "(0-2)@(0-1)", NULL);
	mp = fx_mempool("pt_pool", 16383);
	echo = sl_service_find("udp-echo");
	return mp != NULL && echo != NULL ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_roles, teardown),
		cmocka_unit_test_teardown(test_flow_hash, teardown),
		cmocka_unit_test_teardown(test_rtc_and_pipeline_same_frames, teardown),
		cmocka_unit_test_teardown(test_pipeline_arp_reply_on_other_worker, teardown),
		cmocka_unit_test_teardown(test_rtc_arp_reply_on_other_queue, teardown),
		cmocka_unit_test_teardown(test_stalled_worker_tiny_ring, teardown),
		cmocka_unit_test_teardown(test_stop_with_full_rings, teardown),
	};

	return cmocka_run_group_tests_name("pipeline", tests, group_setup, NULL);
}
