/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-tcp-bench: the CPU cost of a whole TCP transaction, both ends on
 * one core. A client stack and a server stack run in one loop on one lcore,
 * joined by two net_ring ports (the frames go through rte_eth_tx_burst and
 * rte_eth_rx_burst like any driver's); the server stack runs the real
 * tcp-echo service (apps/services/tcp_echo.c). Checksums are computed in
 * software on both sides (net_ring offers no offload).
 *
 *   rr:  --conns persistent connections, each sending a --size request
 *        and waiting for the --size echo before the next (netperf TCP_RR);
 *   crr: --conns slots, each opening a connection, one request and its
 *        echo, then closing (the client closes first) and opening the next
 *        (netperf TCP_CRR): connections per second.
 *
 * The ports take chains (net_ring has RTE_ETH_TX_OFFLOAD_MULTI_SEGS), so
 * payloads above --copy-max bytes (default: the stack's, tcp.tx_copy_max)
 * go by reference to the send queue, as on memif, af_packet or tap;
 * --no-chains makes every payload a copy. --copy-wire makes the wire
 * behave like those drivers: each frame is copied into a fresh mbuf for
 * the other stack and the sent one freed at once, so no stack ever sees
 * the other's buffers. Comparing copies with references over --size, with
 * --copy-wire, is how STK_TCP_TX_COPY_MAX was chosen.
 *
 * After a 0.5 s warm-up it counts transactions for --seconds and prints one
 * JSON line: transactions, per second, TSC cycles per transaction (the
 * loop never sleeps, so every cycle of the core goes to the two stacks),
 * and the stacks' counters; cpu_cycles_per_txn counts only the time the
 * thread was on the CPU (TSC Hz x its CPU time), which other processes
 * sharing the core do not inflate. Then it aborts everything and checks that
 * every mbuf came back.
 *
 *   sluice-tcp-bench -l 1 --no-huge -m 512 --in-memory -- --mode rr
 *                    [--conns 64] [--seconds 5] [--size 64] [--copy-max B]
 *                    [--no-chains] [--copy-wire]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"
#include "sluice_service.h"
#include "stk.h"
#include "stk_tcp.h"

#define BENCH_PORT 7
#define BENCH_BURST 32
#define BENCH_MAX_CONNS 4096
#define BENCH_MBUFS 65535

enum bench_mode { MODE_RR, MODE_CRR };

struct slot {
	struct stk_tcp_conn *c;
	uint32_t got;
};

struct bench {
	enum bench_mode mode;
	unsigned int conns, size;
	double seconds;
	struct stk_ctx *cli, *srv;
	uint16_t port_cli, port_srv;
	uint32_t srv_ip;
	uint32_t copy_max; /* 0: the stack's default */
	bool no_chains;
	bool copy_wire;
	uint16_t max_segs;
	struct rte_mempool *mp;
	uint8_t req[1500];
	struct slot slot[BENCH_MAX_CONNS];
	uint64_t txns, errors, tx_full;
};

static struct bench B;
static const struct stk_tcp_ops cli_ops;

static void
bench_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent, i, k;

	RTE_SET_USED(arg);
	if (B.copy_wire) {
		for (i = 0, k = 0; i < n; i++) {
			struct rte_mbuf *c = rte_pktmbuf_copy(pkts[i], B.mp, 0, UINT32_MAX);

			rte_pktmbuf_free(pkts[i]);
			if (unlikely(c == NULL)) {
				B.errors++;
				continue;
			}
			pkts[k++] = c;
		}
		n = k;
	}
	sent = rte_eth_tx_burst(port_id, 0, pkts, n);
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		B.tx_full += n - sent;
	}
}

static void
slot_open(struct slot *s)
{
	int ret;

	s->got = 0;
	s->c = NULL;
	ret = stk_tcp_connect(B.cli, B.srv_ip, BENCH_PORT, 0, &cli_ops, s, &s->c);
	if (ret != 0) {
		B.errors++;
		s->c = NULL;
		return;
	}
	stk_tcp_set_nodelay(s->c, true);
	/* the request waits in the send queue for the handshake */
	if (stk_tcp_send(s->c, B.req, B.size) != (int)B.size)
		B.errors++;
}

static uint32_t
cli_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct slot *s = arg;

	if (m == NULL)
		return 0;
	rte_pktmbuf_free(m);
	s->got += len;
	if (s->got < B.size)
		return len;
	B.txns++;
	s->got -= B.size;
	if (B.mode == MODE_RR) {
		if (stk_tcp_send(c, B.req, B.size) != (int)B.size)
			B.errors++;
	} else {
		stk_tcp_close(c); /* FIN; the stack finishes the close alone */
		slot_open(s);
	}
	return len;
}

static void
cli_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct slot *s = arg;

	RTE_SET_USED(c);
	s->c = NULL;
	if (why == STK_TCP_CLOSE_ABORT)
		return;
	B.errors++;
	slot_open(s);
}

static const struct stk_tcp_ops cli_ops = {
	.on_data = cli_data,
	.on_close = cli_close,
};

static int
make_port(const char *name, struct rte_ring *rx, struct rte_ring *tx, struct rte_mempool *mp,
	  uint16_t *port_id)
{
	struct dp_port_params pp = {
		.name = name,
		.n_rxq = 1,
		.n_txq = 1,
		.rxd = 1024,
		.txd = 1024,
		.mtu = 1500,
		.multi_seg = !B.no_chains,
	};
	struct dp_port port;
	char devname[64], err[256];
	int ret;

	ret = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned int)rte_socket_id());
	if (ret < 0)
		return ret;
	memset(&port, 0, sizeof(port));
	rte_eth_dev_get_name_by_port(ret, devname);
	pp.dev = devname;
	if (dp_port_find(name, devname, &port, err, sizeof(err)) != 0 ||
	    dp_port_setup(&pp, &port, mp, err, sizeof(err)) != 0 ||
	    dp_port_start(&port, err, sizeof(err)) != 0) {
		fprintf(stderr, "sluice-tcp-bench: %s\n", err);
		return -EINVAL;
	}
	*port_id = port.port_id;
	B.max_segs = port.tx_max_segs;
	return 0;
}

static struct stk_ctx *
make_stack(const char *name, uint16_t port_id, const char *ip, uint8_t mac_last,
	   const char *peer_ip, uint8_t peer_mac_last, struct rte_mempool *mp)
{
	struct stk_conf sc;
	struct rte_ether_addr mac = {{0x02, 0, 0, 0, 0, mac_last}};
	struct rte_ether_addr pmac = {{0x02, 0, 0, 0, 0, peer_mac_last}};
	uint32_t a, p;

	inet_pton(AF_INET, ip, &a);
	inet_pton(AF_INET, peer_ip, &p);
	memset(&sc, 0, sizeof(sc));
	sc.name = name;
	sc.socket_id = (int)rte_socket_id();
	sc.hz = rte_get_tsc_hz();
	sc.mp = mp;
	sc.tx = bench_tx;
	sc.n_ifs = 1;
	sc.ifs[0].port_id = port_id;
	sc.ifs[0].mac = mac;
	sc.ifs[0].ip = a;
	sc.ifs[0].prefix_len = 24;
	sc.ifs[0].mtu = 1500;
	sc.ifs[0].tx_max_segs = B.max_segs;
	sc.arp_entries = 16;
	sc.arp_timeout_ms = 300000;
	sc.arp_retry_ms = 1000;
	sc.arp_retries = 3;
	sc.arp_pending_max = 256;
	sc.n_arp_static = 1;
	sc.arp_static[0].ip = p;
	sc.arp_static[0].mac = pmac;
	sc.icmp_rate = 100;
	sc.icmp_burst = 50;
	sc.ttl = 64;
	sc.tcp.max_conns = 16384;
	sc.tcp.nodelay = true;
	sc.tcp.tx_copy_max = B.copy_max;
	return stk_create(&sc);
}

static void
run_loop(uint64_t until, struct rte_mbuf **pkts)
{
	uint64_t now = rte_rdtsc(), last_timer = now;
	uint64_t timer_tsc = rte_get_tsc_hz() / 100;
	uint16_t n;

	while (now < until) {
		stk_set_time(B.srv, now);
		stk_set_time(B.cli, now);
		n = rte_eth_rx_burst(B.port_srv, 0, pkts, BENCH_BURST);
		if (n != 0)
			stk_input_burst(B.srv, B.port_srv, pkts, n);
		n = rte_eth_rx_burst(B.port_cli, 0, pkts, BENCH_BURST);
		if (n != 0)
			stk_input_burst(B.cli, B.port_cli, pkts, n);
		now = rte_rdtsc();
		if (now - last_timer >= timer_tsc) {
			stk_timer_run(B.srv);
			stk_timer_run(B.cli);
			last_timer = now;
		}
	}
}

static void
print_stats(const char *key, struct stk_ctx *ctx)
{
	struct stk_stats st;
	uint64_t drops[STK_DROP_MAX], d = 0;
	unsigned int i;

	stk_stats_read(ctx, &st, drops);
	for (i = 0; i < STK_DROP_MAX; i++)
		d += drops[i];
	printf("\"%s\": {\"tcp_rx\": %" PRIu64 ", \"tcp_tx\": %" PRIu64 ", \"accepted\": %" PRIu64
	       ", \"connected\": %" PRIu64 ", \"retransmits\": %" PRIu64
	       ", \"tw_recycled\": %" PRIu64 ", \"drops\": %" PRIu64 "}",
	       key, st.tcp_rx, st.tcp_tx, st.tcp_accepted, st.tcp_connected, st.tcp_retransmits,
	       st.tcp_tw_recycled, d);
}

static double
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sluice-tcp-bench [EAL options] -- --mode rr|crr [--conns N] "
			"[--seconds S] [--size B] [--copy-max B] [--no-chains] [--copy-wire]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"conns", required_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 's'},
		{"size", required_argument, NULL, 'z'},
		{"copy-max", required_argument, NULL, 'k'},
		{"no-chains", no_argument, NULL, 'n'},
		{"copy-wire", no_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	struct rte_mbuf *pkts[BENCH_BURST];
	struct rte_ring *ab, *ba;
	struct rte_mempool *mp;
	const struct sl_service *echo;
	uint64_t t0, t1, n0, n1, hz;
	double c0, c1;
	unsigned int i;
	int ret, opt;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "sluice-tcp-bench: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	B.mode = MODE_RR;
	B.conns = 64;
	B.seconds = 5;
	B.size = 64;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "rr") == 0)
				B.mode = MODE_RR;
			else if (strcmp(optarg, "crr") == 0)
				B.mode = MODE_CRR;
			else
				usage();
			break;
		case 'c':
			B.conns = (unsigned int)atoi(optarg);
			break;
		case 's':
			B.seconds = atof(optarg);
			break;
		case 'z':
			B.size = (unsigned int)atoi(optarg);
			break;
		case 'k':
			B.copy_max = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			B.no_chains = true;
			break;
		case 'w':
			B.copy_wire = true;
			break;
		default:
			usage();
		}
	}
	if (B.conns < 1 || B.conns > BENCH_MAX_CONNS || B.size < 1 || B.size > sizeof(B.req) ||
	    B.seconds <= 0)
		usage();
	for (i = 0; i < B.size; i++)
		B.req[i] = (uint8_t)('a' + i % 26);

	mp = rte_pktmbuf_pool_create("bench_mp", BENCH_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	ab = rte_ring_create("bench_ab", 4096, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	ba = rte_ring_create("bench_ba", 4096, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	B.mp = mp;
	if (mp == NULL || ab == NULL || ba == NULL) {
		fprintf(stderr, "sluice-tcp-bench: out of memory: %s (try -m 512)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	if (make_port("bench_cli", ba, ab, mp, &B.port_cli) != 0 ||
	    make_port("bench_srv", ab, ba, mp, &B.port_srv) != 0)
		return 1;
	B.cli = make_stack("bench_cli", B.port_cli, "10.0.0.1", 1, "10.0.0.2", 2, mp);
	B.srv = make_stack("bench_srv", B.port_srv, "10.0.0.2", 2, "10.0.0.1", 1, mp);
	if (B.cli == NULL || B.srv == NULL) {
		fprintf(stderr, "sluice-tcp-bench: stk_create: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	inet_pton(AF_INET, "10.0.0.2", &B.srv_ip);
	echo = sl_service_find("tcp-echo");
	if (echo == NULL || stk_tcp_listen(B.srv, BENCH_PORT, &echo->tcp, NULL) != 0) {
		fprintf(stderr, "sluice-tcp-bench: cannot listen with tcp-echo\n");
		return 1;
	}

	hz = rte_get_tsc_hz();
	for (i = 0; i < B.conns; i++)
		slot_open(&B.slot[i]);
	run_loop(rte_rdtsc() + hz / 2, pkts); /* warm-up */
	n0 = B.txns;
	c0 = thread_cpu_s();
	t0 = rte_rdtsc();
	run_loop(t0 + (uint64_t)(B.seconds * hz), pkts);
	t1 = rte_rdtsc();
	c1 = thread_cpu_s();
	n1 = B.txns;

	printf("{\"stack\": \"sluice\", \"mode\": \"%s\", \"conns\": %u, \"size\": %u, "
	       "\"seconds\": %.3f, \"transactions\": %" PRIu64 ", \"per_second\": %.0f, "
	       "\"cycles_per_txn\": %.0f, \"tsc_hz\": %" PRIu64 ", \"errors\": %" PRIu64
	       ", \"tx_full\": %" PRIu64 ", \"tx_max_segs\": %u, \"copy_max\": %" PRIu32
	       ", \"copy_wire\": %s, \"cpu_cycles_per_txn\": %.0f, ",
	       B.mode == MODE_RR ? "rr" : "crr", B.conns, B.size, (double)(t1 - t0) / hz, n1 - n0,
	       (double)(n1 - n0) * hz / (double)(t1 - t0),
	       n1 > n0 ? (double)(t1 - t0) / (double)(n1 - n0) : 0.0, hz, B.errors, B.tx_full,
	       B.max_segs, B.copy_max, B.copy_wire ? "true" : "false",
	       n1 > n0 ? (c1 - c0) * (double)hz / (double)(n1 - n0) : 0.0);
	print_stats("client", B.cli);
	printf(", ");
	print_stats("server", B.srv);

	/* Tear down: abort everything, drain the rings, free; mbufs back. */
	stk_tcp_abort_all(B.cli);
	stk_tcp_abort_all(B.srv);
	for (i = 0; i < 4; i++) {
		uint16_t n;

		while ((n = rte_eth_rx_burst(B.port_srv, 0, pkts, BENCH_BURST)) != 0)
			rte_pktmbuf_free_bulk(pkts, n);
		while ((n = rte_eth_rx_burst(B.port_cli, 0, pkts, BENCH_BURST)) != 0)
			rte_pktmbuf_free_bulk(pkts, n);
	}
	stk_free(B.cli);
	stk_free(B.srv);
	rte_eth_dev_stop(B.port_cli);
	rte_eth_dev_stop(B.port_srv);
	rte_eth_dev_close(B.port_cli);
	rte_eth_dev_close(B.port_srv);
	printf(", \"mbufs_in_use_after\": %u}\n", rte_mempool_in_use_count(mp));
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
}
