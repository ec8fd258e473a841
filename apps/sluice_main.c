/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice: kernel-bypass UDP and TCP services on DPDK ports. The whole
 * program is sluice_main(), in libsluice, so that a binary built outside
 * the tree runs its own services (SL_SERVICE_REGISTER in its objects) with
 * sluice's options, config, ports, stack and loops; apps/sluice.c is the
 * in-tree main() that calls it.
 *
 *   sluice [EAL options] -- [--config FILE] [--set section.key=value ...]
 *
 * Exit codes: 0 clean stop, 1 a failure while running (or mbufs not all
 * returned), 2 bad usage, bad config or an environment that cannot run
 * (no hugepages, no such port).
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_pdump.h>

#include "app_config.h"
#include "dp.h"
#include "lc.h"
#include "sluice_service.h"

#ifndef SL_DEFAULT_CONFIG
#define SL_DEFAULT_CONFIG "configs/default.ini"
#endif
#define SL_MAX_SETS 64
#define EXIT_USAGE 2

static struct app_config cfg;
static const struct sl_service *svc;
static struct dp_port ports[APP_MAX_PORTS];
static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];

static void
print_service(const struct sl_service *s, void *arg)
{
	fprintf(arg, "    %-12s %s\n", s->name, s->help ? s->help : "");
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: sluice [EAL options] -- [options]\n"
		"\n"
		"options:\n"
		"  --config FILE          INI configuration (default: %s)\n"
		"  --set SECTION.KEY=VAL  override one key; repeatable\n"
		"  --mode rtc|pipeline    same as --set sluice.mode=...\n"
		"  --duration SECONDS     same as --set sluice.duration=... (0 = until a signal)\n"
		"  --dump-config          print the effective configuration and exit\n"
		"  --help-config          list every configuration key and exit\n"
		"  --help                 this text\n"
		"\n"
		"services:\n",
		SL_DEFAULT_CONFIG);
	sl_service_foreach(print_service, out);
	fprintf(out,
		"\n"
		"EAL options are DPDK's (e.g. -l 0,1 --in-memory --vdev=...); see\n"
		"'dpdk-testpmd --help' for the list. SIGINT or SIGTERM stops sluice.\n"
		"Counters while running: dpdk-telemetry.py, command /sluice/stats.\n");
}

static void
die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

/* Application options (after "--"); returns 1 when the caller should exit 0. */
static int
parse_app_args(int argc, char **argv, const char **config, char **sets, int *n_sets,
	       bool *dump)
{
	static char owned[2][64];
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 's'},
		{"mode", required_argument, NULL, 'm'},
		{"duration", required_argument, NULL, 'd'},
		{"dump-config", no_argument, NULL, 'D'},
		{"help-config", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool help_config = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((c == 's' || c == 'm' || c == 'd') && *n_sets == SL_MAX_SETS)
			die(EXIT_USAGE, "more than %d --set options", SL_MAX_SETS);
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 's':
			sets[(*n_sets)++] = optarg;
			break;
		case 'm':
			snprintf(owned[0], sizeof(owned[0]), "sluice.mode=%s", optarg);
			sets[(*n_sets)++] = owned[0];
			break;
		case 'd':
			snprintf(owned[1], sizeof(owned[1]), "sluice.duration=%s", optarg);
			sets[(*n_sets)++] = owned[1];
			break;
		case 'D':
			*dump = true;
			break;
		case 'H':
			help_config = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "sluice: unknown or incomplete option '%s'\n\n",
				argv[optind - 1]);
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (options go after '--'; see --help)",
		    argv[optind]);
	if (help_config) {
		/* a [sluice] service_so of the config or of a --set registers
		 * its service, whose keys are listed too; a config that does
		 * not load only leaves them out here */
		static struct app_config with_so;
		char err[256];

		if (app_config_load(&with_so, *config, sets, *n_sets, err, sizeof(err)) != 0)
			app_config_load(&with_so, NULL, sets, *n_sets, err, sizeof(err));
		app_config_help(stdout);
		return 1;
	}
	return 0;
}

static void
on_signal(int sig)
{
	RTE_SET_USED(sig);
	lc_stop();
}

/*
 * A service that opens connections sends its first SYN from lcore_init;
 * if a link is not up yet (a memif client still connecting, a NIC still
 * negotiating) that SYN and its ARP request are dropped at TX and the
 * connection waits a SYN retransmission (1 s). So such a service starts
 * once every link is up, or after LINK_WAIT_MS with a warning. Servers
 * start at once: a memif server's link comes up only when its peer
 * arrives.
 */
#define LINK_WAIT_MS 5000

static void
wait_links(void)
{
	int i, ms;

	for (ms = 0; ms < LINK_WAIT_MS && !lc_stopping(); ms += 10) {
		for (i = 0; i < cfg.n_ports; i++)
			if (!dp_port_link_up(&ports[i]))
				break;
		if (i == cfg.n_ports)
			return;
		rte_delay_us_sleep(10 * 1000);
	}
	for (i = 0; i < cfg.n_ports; i++)
		if (!dp_port_link_up(&ports[i]))
			fprintf(stderr, "sluice: port%d link still down after %d ms; starting anyway\n",
				i, ms);
}

/*
 * net_memif's control path (DPDK's interrupt thread) unmaps the rings when
 * the peer goes, racing a loop inside a burst on the port: with a memif
 * port the loops and that thread take turns (dataplane/gate.c).
 */
static bool
start_port_gate(void)
{
	uint16_t ids[RTE_MAX_ETHPORTS];
	uint16_t n = 0;
	char err[256];
	int i;

	for (i = 0; i < cfg.n_ports; i++)
		if (strcmp(ports[i].driver, "net_memif") == 0)
			ids[n++] = ports[i].port_id;
	if (n == 0)
		return true;
	if (dp_gate_start(ids, n, err, sizeof(err)) != 0) {
		fprintf(stderr, "sluice: %s\n", err);
		lc_stop();
		return false;
	}
	return true;
}

static bool
svc_has_tcp(void)
{
	return svc->tcp.on_accept != NULL || svc->tcp.on_data != NULL;
}

static int
svc_lcore_init(unsigned int lcore_id, struct stk_ctx *stk, void **state, void *arg)
{
	struct sl_service_env env = {
		.lcore_id = lcore_id,
		.stk = stk,
		.udp_port = cfg.udp_port,
		.tcp_port = cfg.tcp_port,
		.tcp_max_conns = cfg.tcp_max_conns,
		.cfg = app_config_svc(&cfg),
	};
	int ret;

	RTE_SET_USED(arg);
	*state = NULL;
	if (svc->lcore_init != NULL) {
		ret = svc->lcore_init(&env, state);
		if (ret != 0)
			return ret;
	}
	if (svc->udp_rx != NULL) {
		ret = stk_udp_bind(stk, cfg.udp_port, svc->udp_rx, *state);
		if (ret != 0)
			return ret;
	}
	if (svc_has_tcp() && !svc->tcp_client) {
		ret = stk_tcp_listen(stk, cfg.tcp_port, &svc->tcp, *state);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static void
svc_lcore_fini(unsigned int lcore_id, void *state, void *arg)
{
	RTE_SET_USED(lcore_id);
	RTE_SET_USED(arg);
	if (svc->udp_rx != NULL)
		stk_udp_unbind(lc_ctxs[lcore_id]->stk, cfg.udp_port);
	if (svc_has_tcp()) {
		/* on_close(ABORT) for every open connection: the service frees
		 * what it keeps per connection before its lcore_fini */
		if (!svc->tcp_client)
			stk_tcp_unlisten(lc_ctxs[lcore_id]->stk, cfg.tcp_port);
		stk_tcp_abort_all(lc_ctxs[lcore_id]->stk);
	}
	if (svc->lcore_fini != NULL)
		svc->lcore_fini(state);
}

/*
 * Live capture: rte_pdump's server side in this (primary) process, so
 * that dpdk-dumpcap and dpdk-pdump attach as secondary processes and ask
 * for copies of what a port receives and sends. It needs EAL's
 * multi-process channel: a shared runtime directory (--file-prefix, not
 * --in-memory or --no-shconf) and memory a secondary can map (hugepages,
 * not --no-huge). Without them sluice runs as before, without capture.
 */
static bool pdump_on;

static bool
pdump_start(void)
{
	const char *dir = rte_eal_get_runtime_dir(), *base = strrchr(dir, '/');
	char sock[PATH_MAX];

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return false;
	/* With --in-memory EAL opens no channel (and pdump's init still
	 * succeeds): look for the channel's socket. */
	snprintf(sock, sizeof(sock), "%s/mp_socket", dir);
	if (!rte_eal_has_hugepages() || access(sock, F_OK) != 0) {
		printf("sluice: live capture off: dpdk-dumpcap needs sluice started with hugepages "
		       "and a --file-prefix, without --in-memory or --no-huge (README: Live "
		       "capture)\n");
		return false;
	}
	if (rte_pdump_init() != 0) {
		printf("sluice: live capture off: rte_pdump_init: %s\n", rte_strerror(rte_errno));
		return false;
	}
	printf("sluice: live capture ready: dpdk-dumpcap --file-prefix=%s -i <port>\n",
	       base != NULL ? base + 1 : dir);
	return true;
}

/* The control thread: a stats line every stats_interval, the run's end
 * after duration. It never touches a loop's state except to read
 * counters. */
static struct lc_snapshot snap_start, snap_prev, snap_now;

static void *
stats_thread(void *arg)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t start = rte_rdtsc(), next = start + (uint64_t)cfg.stats_interval * hz;
	uint64_t end = start + (uint64_t)cfg.duration * hz;

	RTE_SET_USED(arg);
	while (!lc_stopping()) {
		uint64_t now;

		usleep(20000);
		now = rte_rdtsc();
		if (cfg.stats_interval != 0 && now >= next) {
			lc_snapshot_take(&snap_now);
			lc_stats_print_interval(&snap_start, &snap_prev, &snap_now, stdout);
			snap_prev = snap_now;
			next += (uint64_t)cfg.stats_interval * hz;
		}
		if (cfg.duration != 0 && now >= end)
			lc_stop();
	}
	return NULL;
}

int
sluice_main(int argc, char **argv)
{
	static struct lc_conf lconf;
	char *sets[SL_MAX_SETS] = {NULL};
	const char *config = SL_DEFAULT_CONFIG;
	char err[1024];
	int n_sets = 0, eal_argc = argc, ret, i;
	unsigned int socket_rx[RTE_MAX_NUMA_NODES] = {0}, socket_tx[RTE_MAX_NUMA_NODES] = {0};
	uint16_t rxq[APP_MAX_PORTS];
	unsigned int n_loops, lcore_ids[RTE_MAX_LCORE], k, leaked = 0, n_senders, ring_mbufs = 0;
	unsigned int tcp_mbufs = 0;
	bool pipeline;
	bool run_failed = false, gate_ok, dump = false, any_socket[RTE_MAX_NUMA_NODES] = {false};
	pthread_t tid;

	/* Application options come after "--"; look at them before EAL so
	 * that --help and config errors need neither hugepages nor ports. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	if (eal_argc == argc) {
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				usage(stdout);
				return 0;
			}
			if (strcmp(argv[i], "--help-config") == 0) {
				app_config_help(stdout);
				return 0;
			}
		}
	} else {
		argv[eal_argc] = argv[0];
		ret = parse_app_args(argc - eal_argc, argv + eal_argc, &config, sets, &n_sets,
				     &dump);
		argv[eal_argc] = (char *)(uintptr_t)"--";
		if (ret == 1)
			return 0;
	}
	ret = app_config_load(&cfg, config, sets, n_sets, err, sizeof(err));
	if (ret != 0)
		die(EXIT_USAGE, "%s", err);
	if (dump) {
		app_config_dump(&cfg, stdout);
		return 0;
	}
	pipeline = cfg.mode == APP_MODE_PIPELINE;
	svc = cfg.svc; /* the load found it */
	if (svc == NULL) {
		fprintf(stderr, "sluice: %s: [sluice] service = %s: no such service; known:\n",
			cfg.source, cfg.service);
		sl_service_foreach(print_service, stderr);
		return EXIT_USAGE;
	}
	if (svc_has_tcp() && cfg.tcp_max_conns == 0)
		die(EXIT_USAGE,
		    "%s: [sluice] service = %s needs TCP, but [tcp] max_conns = 0 turns it off; "
		    "set max_conns to 1 or more",
		    cfg.source, svc->name);
	if (cfg.n_ports == 0)
		die(EXIT_USAGE, "%s: no [port0] section: sluice needs at least one port",
		    cfg.source);

	ret = dp_eal_init(eal_argc, argv, err, sizeof(err));
	if (ret < 0)
		die(EXIT_USAGE, "%s", err);
	pdump_on = pdump_start();

	/* Ports: find them all before touching any, so a typo in port1 does
	 * not leave port0 half set up. */
	for (i = 0; i < cfg.n_ports; i++) {
		char name[16];

		snprintf(name, sizeof(name), "port%d", i);
		ret = dp_port_find(name, cfg.ports[i].dev, &ports[i], err, sizeof(err));
		if (ret != 0) {
			rte_eal_cleanup();
			die(EXIT_USAGE, "%s: %s", cfg.source, err);
		}
		rxq[i] = cfg.ports[i].rxq;
	}

	/* Pipeline roles: the config's lists, defaults for what it leaves
	 * empty, checked against the lcores EAL runs. */
	if (pipeline) {
		struct lc_pipe_conf *pc = &lconf.pipe;

		lconf.mode = LC_MODE_PIPELINE;
		pc->n_rx = cfg.pipe_rx.n;
		memcpy(pc->rx, cfg.pipe_rx.ids, sizeof(pc->rx));
		pc->n_workers = cfg.pipe_workers.n;
		memcpy(pc->workers, cfg.pipe_workers.ids, sizeof(pc->workers));
		pc->n_tx = cfg.pipe_tx.n;
		memcpy(pc->tx, cfg.pipe_tx.ids, sizeof(pc->tx));
		pc->ring_size = cfg.pipe_ring_size;
		pc->rx_burst = cfg.pipe_rx_burst;
		pc->worker_burst = cfg.pipe_worker_burst;
		pc->tx_burst = cfg.pipe_tx_burst;
		/* offload workers are not pipeline workers by default */
		pc->n_skip = cfg.off_lcores.n;
		memcpy(pc->skip, cfg.off_lcores.ids, sizeof(uint16_t) * cfg.off_lcores.n);
		ret = lc_pipe_roles(pc, err, sizeof(err));
		if (ret != 0) {
			rte_eal_cleanup();
			die(EXIT_USAGE, "%s: mode = pipeline: %s", cfg.source, err);
		}
	}

	/* lcore mapping: the config's, or every queue round-robin over the
	 * worker lcores (the RX lcores in pipeline mode). */
	if (cfg.n_map != 0) {
		lconf.n_map = cfg.n_map;
		for (i = 0; i < cfg.n_map; i++) {
			lconf.map[i].port = cfg.map[i].port;
			lconf.map[i].queue = cfg.map[i].queue;
			lconf.map[i].lcore = cfg.map[i].lcore;
		}
	} else if (pipeline) {
		lconf.n_map =
			lc_pipe_map_default(rxq, cfg.n_ports, &lconf.pipe, lconf.map, LC_MAX_RXQ);
	} else {
		lconf.n_map = lc_map_default(rxq, cfg.n_ports, lconf.map, LC_MAX_RXQ);
	}
	ret = lc_map_check(lconf.map, lconf.n_map, rxq, cfg.n_ports, err, sizeof(err));
	if (ret == 0 && pipeline)
		ret = lc_pipe_map_check(lconf.map, lconf.n_map, &lconf.pipe, err, sizeof(err));
	if (ret != 0) {
		rte_eal_cleanup();
		die(EXIT_USAGE, "%s: %s", cfg.source, err);
	}
	if (pipeline) {
		const struct lc_pipe_conf *pc = &lconf.pipe;

		n_loops = lc_pipe_lcores(pc, lcore_ids);
		n_senders = pc->n_tx;
		ring_mbufs = (pc->n_rx * pc->n_workers + pc->n_workers * pc->n_tx) * pc->ring_size;
	} else {
		n_loops = lc_map_lcores(lconf.map, lconf.n_map, lcore_ids);
		n_senders = n_loops;
	}

	/* TCP: the windows of up to 64 busy connections per lcore (send
	 * queue and receive window, 1 KiB of payload per mbuf at worst);
	 * more need [sluice] mbufs */
	if (cfg.tcp_max_conns != 0 && svc_has_tcp())
		tcp_mbufs = RTE_MIN(cfg.tcp_max_conns, 64u) *
			    ((cfg.tcp_sndbuf + cfg.tcp_rcvbuf) / 1024);

	/* One mempool per NUMA socket that has ports or loops on it. */
	for (i = 0; i < cfg.n_ports; i++) {
		uint16_t txq = cfg.ports[i].txq ? cfg.ports[i].txq : n_senders;

		if (txq < n_senders) {
			rte_eal_cleanup();
			die(EXIT_USAGE,
			    "%s: [port%d] txq = %u: %u lcores transmit and each needs its own TX "
			    "queue; set txq = 0 (automatic) or >= %u",
			    cfg.source, i, txq, n_senders, n_senders);
		}
		socket_rx[ports[i].socket_id] += cfg.ports[i].rxq * cfg.ports[i].rxd;
		socket_tx[ports[i].socket_id] += txq * cfg.ports[i].txd;
		any_socket[ports[i].socket_id] = true;
	}
	for (k = 0; k < n_loops; k++)
		any_socket[dp_lcore_socket(lcore_ids[k])] = true;
	for (k = 0; k < RTE_MAX_NUMA_NODES; k++) {
		unsigned int n;

		if (!any_socket[k])
			continue;
		n = dp_mempool_size(socket_rx[k], socket_tx[k], n_loops, cfg.n_ports, cfg.burst,
				    n_loops * cfg.arp_pending + ring_mbufs + n_loops * tcp_mbufs);
		if (cfg.mbufs != 0)
			n = cfg.mbufs;
		pools[k] = dp_mempool_create(k, n, err, sizeof(err));
		if (pools[k] == NULL) {
			rte_eal_cleanup();
			die(EXIT_USAGE, "%s", err);
		}
		lconf.mp[k] = pools[k];
	}

	for (i = 0; i < cfg.n_ports; i++) {
		const struct app_port_cfg *pc = &cfg.ports[i];
		char name[16];
		struct dp_port_params pp = {
			.name = name,
			.dev = pc->dev,
			.n_rxq = pc->rxq,
			.n_txq = pc->txq ? pc->txq : n_senders,
			.rxd = pc->rxd,
			.txd = pc->txd,
			.mtu = pc->mtu,
			.promisc = pc->promisc,
			.rss = pc->rss,
			/* chains only where TCP would send some: a payload
			 * (MTU - 40) longer than what it copies */
			.multi_seg = cfg.tcp_max_conns != 0 && svc_has_tcp() &&
				     (uint32_t)pc->mtu - 40u >
					     (cfg.tcp_tx_copy_max != 0 ? cfg.tcp_tx_copy_max
								       : STK_TCP_TX_COPY_MAX),
			.mac = pc->mac_set ? &pc->mac : NULL,
		};
		struct stk_if_conf *ifc = &lconf.ifs[i];

		snprintf(name, sizeof(name), "port%d", i);
		ret = dp_port_setup(&pp, &ports[i], pools[ports[i].socket_id], err, sizeof(err));
		if (ret != 0) {
			rte_eal_cleanup();
			die(EXIT_USAGE, "%s: %s", cfg.source, err);
		}
		ifc->port_id = ports[i].port_id;
		ifc->mac = ports[i].mac;
		ifc->ip = pc->ip;
		ifc->prefix_len = pc->prefix_len;
		ifc->gateway = pc->gateway;
		ifc->mtu = pc->mtu;
		ifc->rx_cksum_offload = ports[i].rx_cksum_offload;
		ifc->tx_ip_cksum_offload = ports[i].tx_ip_cksum_offload;
		ifc->tx_udp_cksum_offload = ports[i].tx_udp_cksum_offload;
		ifc->tx_max_segs = ports[i].tx_max_segs;
	}
	lconf.n_ports = cfg.n_ports;
	lconf.burst = cfg.burst;
	lconf.tx_drain_us = cfg.tx_drain_us;
	lconf.stk.arp_entries = cfg.arp_entries;
	lconf.stk.arp_timeout_ms = cfg.arp_timeout * 1000;
	lconf.stk.arp_retry_ms = cfg.arp_retry_ms;
	lconf.stk.arp_retries = cfg.arp_retries;
	lconf.stk.arp_pending_max = cfg.arp_pending;
	lconf.stk.n_arp_static = RTE_MIN(cfg.n_arp_static, (uint16_t)STK_ARP_MAX_STATIC);
	for (i = 0; i < lconf.stk.n_arp_static; i++) {
		lconf.stk.arp_static[i].ip = cfg.arp_static[i].ip;
		lconf.stk.arp_static[i].mac = cfg.arp_static[i].mac;
	}
	lconf.stk.icmp_rate = cfg.icmp_rate;
	lconf.stk.icmp_burst = cfg.icmp_burst;
	lconf.stk.ttl = cfg.ttl;
	lconf.stk.tcp.max_conns = cfg.tcp_max_conns;
	lconf.stk.tcp.max_time_wait = cfg.tcp_max_time_wait;
	lconf.stk.tcp.time_wait_ms = cfg.tcp_time_wait_ms;
	lconf.stk.tcp.r2_ms = cfg.tcp_r2 * 1000;
	lconf.stk.tcp.r2_syn_ms = cfg.tcp_r2_syn * 1000;
	lconf.stk.tcp.rto_min_ms = cfg.tcp_rto_min_ms;
	lconf.stk.tcp.delack_ms = cfg.tcp_delack_ms;
	lconf.stk.tcp.nodelay = !cfg.tcp_nagle;
	lconf.stk.tcp.keepalive = cfg.tcp_keepalive;
	lconf.stk.tcp.keepalive_idle_s = cfg.tcp_ka_idle;
	lconf.stk.tcp.keepalive_intvl_s = cfg.tcp_ka_intvl;
	lconf.stk.tcp.keepalive_probes = cfg.tcp_ka_probes;
	lconf.stk.tcp.sndbuf = cfg.tcp_sndbuf;
	lconf.stk.tcp.tx_copy_max = cfg.tcp_tx_copy_max;
	lconf.stk.tcp.rcvbuf = cfg.tcp_rcvbuf;
	lconf.stk.tcp.ooo_max_bytes = cfg.tcp_ooo_bytes;
	lconf.stk.tcp.ooo_max_segs = cfg.tcp_ooo_segs;
	lconf.stk.tcp.syn_backlog = cfg.tcp_syn_backlog;
	lconf.stk.tcp.no_syncookies = !cfg.tcp_syncookies;
	lconf.stk.tcp.challenge_ack_per_s = cfg.tcp_chack;
	lconf.stk.tcp.no_timestamps = !cfg.tcp_ts;
	lconf.stk.tcp.no_sack = !cfg.tcp_sack;
	lconf.stk.tcp.no_wscale = !cfg.tcp_ws;
	lconf.idle_adaptive = cfg.idle == APP_IDLE_ADAPTIVE;
	lconf.idle_polls = cfg.idle_polls;
	lconf.idle_sleep_max_us = cfg.idle_sleep_max_us;
	/* [offload] */
	lconf.off.n_workers = cfg.off_lcores.n;
	memcpy(lconf.off.workers, cfg.off_lcores.ids, sizeof(uint16_t) * cfg.off_lcores.n);
	lconf.off.n_lanes = cfg.off_lanes;
	lconf.off.lane_size = cfg.off_lane_size;
	lconf.off.policy = cfg.off_policy == 1 ? LC_OFF_WEIGHTED : LC_OFF_STRICT;
	memcpy(lconf.off.weights, cfg.off_weights, sizeof(lconf.off.weights));
	memcpy(lconf.off.on_full, cfg.off_on_full, sizeof(lconf.off.on_full));
	lconf.off.deadline_us = cfg.off_deadline_us;
	lconf.off.starve_after = cfg.off_starve_after;
	lconf.lcore_init = svc_lcore_init;
	lconf.lcore_fini = svc_lcore_fini;

	ret = lc_setup(&lconf, err, sizeof(err));
	if (ret != 0) {
		lc_teardown();
		rte_eal_cleanup();
		die(EXIT_USAGE, "%s", err);
	}
	if (lc_telemetry_register() != 0)
		fprintf(stderr, "sluice: telemetry command /sluice/stats not registered\n");
	if (cfg.metrics[0] != '\0') {
		ret = lc_metrics_start(cfg.metrics, err, sizeof(err));
		if (ret != 0) {
			lc_teardown();
			for (i = 0; i < cfg.n_ports; i++)
				dp_port_close(&ports[i]);
			rte_eal_cleanup();
			die(EXIT_USAGE, "%s: %s", cfg.source, err);
		}
		printf("sluice: metrics on http://%s/metrics\n", cfg.metrics);
	}

	for (i = 0; i < cfg.n_ports; i++) {
		ret = dp_port_start(&ports[i], err, sizeof(err));
		if (ret != 0) {
			lc_metrics_stop();
			lc_teardown();
			while (--i >= 0)
				dp_port_close(&ports[i]);
			rte_eal_cleanup();
			die(EXIT_USAGE,
			    "%s (a device that holds many mbufs, e.g. net_pcap with infinite_rx "
			    "keeping its whole pcap, needs a bigger pool: [sluice] mbufs)",
			    err);
		}
		printf("sluice: port%d = port %u %s (%s), socket %d, MAC " RTE_ETHER_ADDR_PRT_FMT
		       ", %u rxq, %u txq, rss %s, rx cksum offload %s, tx cksum offload %s\n",
		       i, ports[i].port_id, ports[i].dev_name, ports[i].driver, ports[i].socket_id,
		       RTE_ETHER_ADDR_BYTES(&ports[i].mac), ports[i].n_rxq, ports[i].n_txq,
		       ports[i].rss_hf ? "on" : "off", ports[i].rx_cksum_offload ? "on" : "off",
		       ports[i].tx_udp_cksum_offload ? "on" : "off");
	}
	lc_rss_refresh();
	/* RSS self-check: the device's own key and RETA must keep a flow's
	 * two directions on one queue (one lcore), or TCP breaks in ways
	 * that look like loss. Only ports sluice asked for RSS on. */
	for (i = 0; i < cfg.n_ports && cfg.rss_check != APP_RSS_CHECK_OFF; i++) {
		if (ports[i].rss_hf == 0)
			continue;
		ret = lc_rss_check_port(ports[i].port_id, pipeline, err, sizeof(err));
		if (ret == 0) {
			printf("sluice: port%d: RSS keeps both directions of %u sample flows on one "
			       "queue\n",
			       i, LC_RSS_CHECK_SAMPLES);
			continue;
		}
		if (ret == -ENOTSUP && !(cfg.rss_check == APP_RSS_CHECK_SOFTWARE && pipeline)) {
			/* e.g. net_tap, whose queues the kernel fills: nothing
			 * to check against, so say so rather than refuse */
			fprintf(stderr,
				"sluice: port%d: %s; starting unchecked (stack counter "
				"tcp_not_owner counts TCP segments that reach the wrong lcore)\n",
				i, err);
			continue;
		}
		if (cfg.rss_check == APP_RSS_CHECK_SOFTWARE && pipeline) {
			lc_rss_software(ports[i].port_id);
			printf("sluice: port%d: %s; rss_check = software: workers are chosen by "
			       "sluice's symmetric software hash instead\n",
			       i, err);
			continue;
		}
		lc_metrics_stop();
		lc_teardown();
		for (k = 0; k < (unsigned int)cfg.n_ports; k++)
			dp_port_close(&ports[k]);
		rte_eal_cleanup();
		die(EXIT_USAGE,
		    "%s: [port%d] %s (%s): %s; refusing to start. Use a driver that takes the "
		    "key sluice sets, set rxq = 1 or rss = no, [sluice] rss_check = software "
		    "with mode = pipeline%s, or rss_check = off to start anyway",
		    cfg.source, i, ports[i].dev_name, ports[i].driver, err,
		    cfg.rss_check == APP_RSS_CHECK_SOFTWARE ? " (not rtc)" : "");
	}
	for (i = 0; i < lconf.n_map; i++)
		printf("sluice: lcore %u polls port%u queue %u\n", lconf.map[i].lcore,
		       lconf.map[i].port, lconf.map[i].queue);
	if (pipeline) {
		const struct lc_pipe_conf *pc = &lconf.pipe;

		for (k = 0; k < n_loops; k++)
			printf("sluice: lcore %u: %s\n", lcore_ids[k],
			       lc_roles_name(lc_pipe_roles_of(pc, lcore_ids[k])));
		printf("sluice: pipeline: %u RX, %u worker, %u TX lcore(s); rings of %u packets; "
		       "bursts rx %u, worker %u, tx %u\n",
		       pc->n_rx, pc->n_workers, pc->n_tx, pc->ring_size, pc->rx_burst,
		       pc->worker_burst, pc->tx_burst);
	}
	printf("sluice: service %s on UDP port %u, mode %s, %u loop lcore(s), duration %s\n",
	       svc->name, cfg.udp_port, pipeline ? "pipeline" : "rtc", n_loops,
	       cfg.duration ? "bounded" : "until a signal");
	if (svc_has_tcp() && svc->tcp_client)
		printf("sluice: service %s opens TCP connections, up to %u per lcore\n", svc->name,
		       cfg.tcp_max_conns);
	else if (svc_has_tcp())
		printf("sluice: service %s on TCP port %u, up to %u connections per lcore\n",
		       svc->name, cfg.tcp_port, cfg.tcp_max_conns);
	if (lconf.off.n_workers != 0) {
		printf("sluice: offload: %u worker lcore(s):", lconf.off.n_workers);
		for (k = 0; k < lconf.off.n_workers; k++)
			printf(" %u", lconf.off.workers[k]);
		printf("; %u lane(s) of %u jobs, %s", lconf.off.n_lanes, lconf.off.lane_size,
		       lconf.off.policy == LC_OFF_WEIGHTED ? "weighted" : "strict");
		for (k = 0; k < lconf.off.n_lanes; k++)
			printf("%s%s", k == 0 ? ", on_full " : ",",
			       lconf.off.on_full[k] ? "run_inline" : "reject");
		printf("\n");
	}
	if (cfg.duration)
		printf("sluice: stopping after %u s\n", cfg.duration);
	fflush(stdout);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (svc_has_tcp() && svc->tcp_client)
		wait_links();
	gate_ok = start_port_gate();

	lc_snapshot_take(&snap_start);
	snap_prev = snap_start;
	ret = rte_ctrl_thread_create(&tid, "sl-stats", NULL, stats_thread, NULL);
	if (ret != 0) {
		fprintf(stderr, "sluice: cannot start the stats thread: %s\n", strerror(ret));
		lc_stop();
	}
	run_failed = lc_run() != 0 || !gate_ok;
	lc_stop();
	if (ret == 0)
		pthread_join(tid, NULL);
	lc_metrics_stop();
	/* no capture request is taken once the loops stopped: none arrives
	 * while ports close and pools are freed */
	if (pdump_on)
		rte_pdump_uninit();
	lc_snapshot_take(&snap_now);
	lc_stats_print_summary(&snap_start, &snap_now, stdout);
	for (i = 0; i < cfg.n_ports; i++)
		dp_port_stats_print(&ports[i], stdout);

	/* Give everything back, then check that it all came back. */
	lc_teardown();
	/* Stopping a memif port runs its disconnect here: not at the same
	 * time as the interrupt thread's (a peer that just went). */
	dp_gate_hold(rte_get_main_lcore());
	for (i = 0; i < cfg.n_ports; i++)
		dp_port_close(&ports[i]);
	dp_gate_offline(rte_get_main_lcore());
	dp_gate_stop();
	for (k = 0; k < RTE_MAX_NUMA_NODES; k++) {
		unsigned int used;

		if (pools[k] == NULL)
			continue;
		used = rte_mempool_in_use_count(pools[k]);
		printf("sluice: mempool %s: %u of %u mbufs in use after shutdown%s\n",
		       pools[k]->name, used, pools[k]->size, used ? " (LEAK)" : "");
		leaked += used;
		rte_mempool_free(pools[k]);
	}
	rte_eal_cleanup();
	printf("sluice: %s\n", leaked ? "stopped with mbufs missing" : "stopped; every mbuf returned");
	if (run_failed)
		fprintf(stderr, "sluice: a loop could not start (see the message above)\n");
	return leaked || run_failed ? 1 : 0;
}
