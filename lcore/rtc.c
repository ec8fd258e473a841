/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "lc.h"
#include "lc_priv.h"

unsigned int lc_n_loops;
unsigned int lc_loop_ids[RTE_MAX_LCORE];
struct lc_ctx *lc_ctxs[RTE_MAX_LCORE];

static volatile int lc_quit;
/* A loop could not start (its service's lcore_init failed): lc_run()
 * reports it so that main() exits non-zero. */
volatile int lc_failed;
static lc_lcore_init_fn lc_init_cb;
static lc_lcore_fini_fn lc_fini_cb;
static void *lc_cb_arg;

void
lc_stop(void)
{
	lc_quit = 1;
}

bool
lc_stopping(void)
{
	return lc_quit != 0;
}

unsigned int
lc_map_lcores(const struct lc_map_entry *map, uint16_t n_map, unsigned int *ids)
{
	bool seen[RTE_MAX_LCORE] = {false};
	unsigned int n = 0, i;

	for (i = 0; i < n_map; i++)
		if (map[i].lcore < RTE_MAX_LCORE)
			seen[map[i].lcore] = true;
	for (i = 0; i < RTE_MAX_LCORE; i++)
		if (seen[i])
			ids[n++] = i;
	return n;
}

uint16_t
lc_map_default(const uint16_t *rxq_per_port, uint16_t n_ports, struct lc_map_entry *map,
	       uint16_t max)
{
	unsigned int workers[RTE_MAX_LCORE], n_workers = 0, lcore;
	uint16_t n = 0, p, q;

	RTE_LCORE_FOREACH_WORKER(lcore)
	workers[n_workers++] = lcore;
	if (n_workers == 0)
		workers[n_workers++] = rte_get_main_lcore();
	for (p = 0; p < n_ports; p++)
		for (q = 0; q < rxq_per_port[p] && n < max; q++, n++) {
			map[n].port = p;
			map[n].queue = q;
			map[n].lcore = workers[n % n_workers];
		}
	return n;
}

int
lc_map_check(const struct lc_map_entry *map, uint16_t n_map, const uint16_t *rxq_per_port,
	     uint16_t n_ports, char *err, size_t errlen)
{
	bool covered[LC_MAX_PORTS][LC_MAX_RXQ];
	uint16_t i, p, q;

	memset(covered, 0, sizeof(covered));
	for (i = 0; i < n_map; i++) {
		const struct lc_map_entry *e = &map[i];

		if (e->lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(e->lcore)) {
			snprintf(err, errlen,
				 "lcore_map (%u,%u,%u): lcore %u is not enabled; give it to EAL "
				 "with -l (e.g. -l 0-%u)",
				 e->port, e->queue, e->lcore, e->lcore, e->lcore);
			return -EINVAL;
		}
		if (e->port >= n_ports || e->queue >= rxq_per_port[e->port]) {
			snprintf(err, errlen, "lcore_map (%u,%u,%u): no such port queue", e->port,
				 e->queue, e->lcore);
			return -EINVAL;
		}
		covered[e->port][e->queue] = true;
	}
	/* A queue nobody polls fills up and its packets are lost without a
	 * counter of ours: refuse. */
	for (p = 0; p < n_ports; p++)
		for (q = 0; q < rxq_per_port[p]; q++)
			if (!covered[p][q]) {
				snprintf(err, errlen,
					 "lcore_map: RX queue %u of port %u is not polled by any "
					 "lcore; add (%u,%u,<lcore>) or lower [port%u] rxq",
					 q, p, p, q, p);
				return -EINVAL;
			}
	return 0;
}

/* The stack's TX callback: buffer, flush on full or on the drain deadline. */
static void
lc_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct lc_ctx *ctx = arg;
	struct rte_eth_dev_tx_buffer *txb = ctx->txb[port_id];
	uint16_t i = 0;

	/* The stack hands over a whole burst's replies at once: send them
	 * straight to the driver unless older packets wait in the buffer
	 * (order), and buffer only what the driver did not take. */
	if (txb->length == 0) {
		i = rte_eth_tx_burst(port_id, ctx->txq[port_id], pkts, n);
		ctx->stats.tx_pkts += i;
	}
	for (; i < n; i++)
		ctx->stats.tx_pkts += rte_eth_tx_buffer(port_id, ctx->txq[port_id], txb, pkts[i]);
}

/* rte_eth_tx_buffer's error callback: the TX ring was full. */
static void
lc_tx_unsent(struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct lc_ctx *ctx = arg;

	rte_pktmbuf_free_bulk(pkts, n);
	ctx->stats.tx_dropped += n;
	stk_count_drop(ctx->stk, STK_DROP_TX_FULL, n);
}

void
lc_idle_sleep(struct lc_ctx *ctx, uint64_t now, uint64_t next_timer_tsc)
{
	uint64_t hz = rte_get_tsc_hz(), us = ctx->idle_sleep_us, left;

	/* Nothing waits in a TX buffer while we sleep, and timers (TCP
	 * retransmission, delayed ACK, ARP) fire on time: the sleep ends by
	 * the next timer run. */
	lc_flush(ctx);
	if (next_timer_tsc <= now)
		return;
	left = next_timer_tsc - now;
	if (left < hz)
		us = RTE_MIN(us, left * 1000000 / hz);
	if (us == 0)
		return;
	rte_delay_us_sleep((unsigned int)us);
	ctx->stats.idle_sleeps++;
	if (ctx->idle_sleep_us < ctx->idle_sleep_max_us)
		ctx->idle_sleep_us = RTE_MIN(ctx->idle_sleep_us * 2, ctx->idle_sleep_max_us);
}

/* idle = adaptive: the kernel's default timer slack (50 us) would stretch
 * every short sleep; ask for 1 us on this lcore's thread. */
void
lc_idle_thread_start(struct lc_ctx *ctx)
{
	if (ctx->idle_adaptive)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	ctx->idle_empty = 0;
	ctx->idle_sleep_us = 1;
}

static int
lc_rtc_main(void *arg)
{
	struct lc_ctx *ctx = lc_ctxs[rte_lcore_id()];
	struct rte_mbuf *pkts[STK_BURST_MAX];
	uint64_t prev, now, last_drain, last_timer;
	uint16_t i, nb, total;
	unsigned int done;
	int ret;

	RTE_SET_USED(arg);
	if (ctx == NULL)
		return 0;
	if (lc_init_cb != NULL) {
		ret = lc_init_cb(ctx->lcore_id, ctx->stk, &ctx->svc_state, lc_cb_arg);
		if (ret != 0) {
			fprintf(stderr, "sluice: lcore %u: service init failed: %s\n",
				ctx->lcore_id, strerror(-ret));
			lc_failed = 1;
			lc_stop();
			lc_off_reactor_stop(ctx->off);
			return ret;
		}
	}

	lc_idle_thread_start(ctx);
	prev = last_drain = last_timer = rte_rdtsc();
	while (likely(!lc_quit)) {
		dp_gate_pass(ctx->lcore_id);
		stk_set_time(ctx->stk, prev);
		lc_msg_poll(ctx);
		total = 0;
		for (i = 0; i < ctx->n_rxq; i++) {
			const struct lc_rxq *q = &ctx->rxq[i];

			nb = rte_eth_rx_burst(q->port_id, q->queue_id, pkts, ctx->burst);
			if (nb == 0)
				continue;
			/* bytes: the stack counts them (rx_bytes) */
			total += nb;
			stk_input_burst(ctx->stk, q->port_id, pkts, nb);
		}
		done = 0;
		if (unlikely(lc_off_pending(ctx->off))) {
			/* the answers of the jobs that came back leave as one burst */
			stk_tx_hold(ctx->stk);
			done = lc_off_poll_slow(ctx->off);
			stk_tx_release(ctx->stk);
		}
		if (unlikely(prev - last_drain >= ctx->drain_tsc)) {
			lc_flush(ctx);
			last_drain = prev;
			if (prev - last_timer >= ctx->timer_tsc) {
				stk_timer_run(ctx->stk);
				last_timer = prev;
			}
		}
		now = rte_rdtsc();
		/* One TSC read per iteration: an iteration is busy when it
		 * received something, and its whole cost (RX, stack, TX) goes
		 * to the packets it received. */
		if (total != 0 || done != 0) {
			ctx->stats.rx_pkts += total;
			ctx->stats.busy_cycles += now - prev;
		} else {
			ctx->stats.idle_cycles += now - prev;
		}
		ctx->stats.loops++;
		/* jobs out on offload workers keep the loop awake: their
		 * completions are work it would otherwise sleep through */
		prev = lc_idle(ctx, total + done + lc_off_pending(ctx->off), now,
			       last_timer + ctx->timer_tsc);
	}
	/* jobs still out come back, and their answers go out, before the
	 * service lets go of its connections */
	stk_set_time(ctx->stk, rte_rdtsc());
	lc_off_reactor_stop(ctx->off);
	lc_flush(ctx);
	stk_tcp_state_counts(ctx->stk, ctx->tcp_at_stop);
	ctx->tcp_at_stop_valid = true;
	if (lc_fini_cb != NULL)
		lc_fini_cb(ctx->lcore_id, ctx->svc_state, lc_cb_arg);
	ctx->svc_state = NULL;
	return 0;
}

struct lc_ctx *
lc_ctx_alloc(const struct lc_conf *conf, unsigned int lcore, int socket, char *err, size_t errlen)
{
	struct lc_ctx *ctx;

	ctx = rte_zmalloc_socket("lc_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE, socket);
	if (ctx == NULL) {
		snprintf(err, errlen, "lcore %u: out of memory for its context", lcore);
		return NULL;
	}
	lc_ctxs[lcore] = ctx;
	ctx->lcore_id = lcore;
	ctx->drain_tsc = (rte_get_tsc_hz() + 999999) / 1000000 * conf->tx_drain_us;
	ctx->timer_tsc = (rte_get_tsc_hz() + 999999) / 1000000 * LC_TIMER_US;
	ctx->idle_adaptive = conf->idle_adaptive != 0;
	ctx->idle_polls = conf->idle_polls != 0 ? conf->idle_polls : 1000;
	ctx->idle_sleep_max_us = conf->idle_sleep_max_us != 0 ? conf->idle_sleep_max_us : 1000;
	return ctx;
}

/* The (port, queue) pairs the mapping gives this lcore. */
int
lc_ctx_rxq_map(struct lc_ctx *ctx, const struct lc_conf *conf, char *err, size_t errlen)
{
	uint16_t i;

	for (i = 0; i < conf->n_map; i++) {
		if (conf->map[i].lcore != ctx->lcore_id)
			continue;
		if (ctx->n_rxq == LC_MAX_RXQ) {
			snprintf(err, errlen, "lcore %u: more than %u queues mapped", ctx->lcore_id,
				 LC_MAX_RXQ);
			return -EINVAL;
		}
		ctx->rxq[ctx->n_rxq].port_id = conf->ifs[conf->map[i].port].port_id;
		ctx->rxq[ctx->n_rxq].queue_id = conf->map[i].queue;
		ctx->n_rxq++;
	}
	return 0;
}

/* A TX buffer of @burst on every port, sending on queue @txq[port index]. */
int
lc_ctx_txb_alloc(struct lc_ctx *ctx, const struct lc_conf *conf, int socket, uint16_t burst,
		 buffer_tx_error_fn unsent, const uint16_t *txq, char *err, size_t errlen)
{
	uint16_t p;

	for (p = 0; p < conf->n_ports; p++) {
		uint16_t pid = conf->ifs[p].port_id;
		struct rte_eth_dev_tx_buffer *txb;

		txb = rte_zmalloc_socket("lc_txb", RTE_ETH_TX_BUFFER_SIZE(burst), 0, socket);
		if (txb == NULL) {
			snprintf(err, errlen, "lcore %u: out of memory for TX buffers",
				 ctx->lcore_id);
			return -ENOMEM;
		}
		rte_eth_tx_buffer_init(txb, burst);
		rte_eth_tx_buffer_set_err_callback(txb, unsent, ctx);
		ctx->txb[pid] = txb;
		ctx->txq[pid] = txq[p];
	}
	return 0;
}

/* This lcore's stack, sending through @tx; with @share_arp the ARP frames
 * it receives are told to the other loops (msg.c). */
int
lc_ctx_stack_create(struct lc_ctx *ctx, const struct lc_conf *conf, int socket, stk_tx_fn tx,
		    bool share_arp, bool pipeline, uint16_t worker, uint16_t n_workers, char *err,
		    size_t errlen)
{
	struct stk_conf sc = conf->stk;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "stk%u", ctx->lcore_id);
	sc.name = name;
	sc.socket_id = socket;
	sc.hz = rte_get_tsc_hz();
	sc.mp = conf->mp[socket] != NULL ? conf->mp[socket] : conf->mp[0];
	sc.tx = tx;
	sc.tx_arg = ctx;
	sc.n_ifs = conf->n_ports;
	memcpy(sc.ifs, conf->ifs, sizeof(sc.ifs));
	if (share_arp) {
		ret = lc_msg_ring_create(ctx, socket, err, errlen);
		if (ret != 0)
			return ret;
		sc.arp_notify = lc_arp_notify;
		sc.arp_notify_arg = ctx;
	}
	ret = lc_rss_attach(conf, ctx->lcore_id, pipeline, worker, n_workers, &sc, err, errlen);
	if (ret != 0)
		return ret;
	ctx->stk = stk_create(&sc);
	if (ctx->stk == NULL) {
		snprintf(err, errlen, "lcore %u: cannot create its stack: %s", ctx->lcore_id,
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

/* Offload lanes for every lcore that runs a stack (the reactors); worker
 * lcores must be none of the loop lcores. */
static int
lc_off_attach(const struct lc_conf *conf, char *err, size_t errlen)
{
	unsigned int reactors[RTE_MAX_LCORE] = {0}, n = 0, k;
	int ret;

	for (k = 0; k < lc_n_loops; k++)
		if (lc_ctxs[lc_loop_ids[k]] != NULL && lc_ctxs[lc_loop_ids[k]]->stk != NULL)
			reactors[n++] = lc_loop_ids[k];
	ret = lc_off_setup(&conf->off, reactors, n, lc_loop_ids, lc_n_loops, err, errlen);
	if (ret != 0)
		return ret;
	for (k = 0; k < n; k++)
		lc_ctxs[reactors[k]]->off = lc_off_reactor_of(reactors[k]);
	return 0;
}

int
lc_setup(const struct lc_conf *conf, char *err, size_t errlen)
{
	uint16_t next_txq[LC_MAX_PORTS] = {0};
	unsigned int k;
	uint16_t p;

	lc_quit = 0;
	lc_failed = 0;
	lc_init_cb = conf->lcore_init;
	lc_fini_cb = conf->lcore_fini;
	lc_cb_arg = conf->arg;
	if (conf->mode == LC_MODE_PIPELINE) {
		int ret = lc_pipe_setup(conf, err, errlen);

		return ret != 0 ? ret : lc_off_attach(conf, err, errlen);
	}
	lc_n_loops = lc_map_lcores(conf->map, conf->n_map, lc_loop_ids);

	for (k = 0; k < lc_n_loops; k++) {
		unsigned int lcore = lc_loop_ids[k];
		int socket = dp_lcore_socket(lcore);
		struct lc_ctx *ctx = lc_ctx_alloc(conf, lcore, socket, err, errlen);
		int ret;

		if (ctx == NULL)
			return -ENOMEM;
		ctx->burst = RTE_MIN(conf->burst, (uint16_t)STK_BURST_MAX);
		ret = lc_ctx_rxq_map(ctx, conf, err, errlen);
		/* Every loop can send on every port: one TX queue each. */
		if (ret == 0)
			ret = lc_ctx_txb_alloc(ctx, conf, socket, conf->burst, lc_tx_unsent,
					       next_txq, err, errlen);
		/* ARP frames reach one queue: tell the other loops. */
		if (ret == 0)
			ret = lc_ctx_stack_create(ctx, conf, socket, lc_tx, lc_n_loops > 1, false,
						  0, 0, err, errlen);
		if (ret != 0)
			return ret;
		for (p = 0; p < conf->n_ports; p++)
			next_txq[p]++;
	}
	return lc_off_attach(conf, err, errlen);
}

/* A loop, between dp_gate_online and dp_gate_offline (dp.h): from its
 * service's init (which may send) to its last flush. */
static int
lc_loop_entry(void *arg)
{
	unsigned int lcore = rte_lcore_id();
	int ret;

	RTE_SET_USED(arg);
	dp_gate_online(lcore);
	ret = lc_pipe_active() ? lc_pipe_main(NULL) : lc_rtc_main(NULL);
	dp_gate_offline(lcore);
	return ret;
}

int
lc_launch(void)
{
	unsigned int k, main_lcore = rte_get_main_lcore();
	int ret;

	/* offload workers first: a loop may submit from its first packet */
	for (k = 0; k < RTE_MAX_LCORE; k++) {
		if (k == main_lcore || !lc_off_is_worker(k))
			continue;
		ret = rte_eal_remote_launch(lc_off_worker_main, NULL, k);
		if (ret != 0) {
			lc_stop();
			return ret;
		}
	}
	for (k = 0; k < lc_n_loops; k++) {
		if (lc_loop_ids[k] == main_lcore)
			continue;
		ret = rte_eal_remote_launch(lc_loop_entry, NULL, lc_loop_ids[k]);
		if (ret != 0) {
			lc_stop();
			return ret;
		}
	}
	return 0;
}

void
lc_wait(void)
{
	rte_eal_mp_wait_lcore();
}

int
lc_run(void)
{
	int ret = lc_launch();

	/* The main lcore runs a loop of its own when the mapping gives it
	 * queues; otherwise it just waits (the stats thread keeps time). */
	if (ret == 0 && lc_off_is_worker(rte_get_main_lcore()))
		lc_off_worker_main(NULL);
	else if (ret == 0 && lc_ctxs[rte_get_main_lcore()] != NULL)
		lc_loop_entry(NULL);
	lc_wait();
	return ret != 0 ? ret : (lc_failed ? -EIO : 0);
}

void
lc_teardown(void)
{
	unsigned int k, p;

	lc_read_lock_acquire();
	lc_pipe_teardown();
	lc_off_teardown();
	for (k = 0; k < lc_n_loops; k++) {
		struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];

		if (ctx == NULL)
			continue;
		for (p = 0; p < LC_MAX_PORTS; p++) {
			if (ctx->txb[p] == NULL)
				continue;
			/* Loops flushed on exit; what the driver refused then
			 * is freed and counted by the error callback. */
			rte_pktmbuf_free_bulk(ctx->txb[p]->pkts, ctx->txb[p]->length);
			ctx->txb[p]->length = 0;
			rte_free(ctx->txb[p]);
		}
		stk_free(ctx->stk);
		lc_msg_ring_free(ctx);
		rte_free(ctx);
		lc_ctxs[lc_loop_ids[k]] = NULL;
	}
	lc_n_loops = 0;
	lc_rss_free();
	lc_read_lock_release();
}
