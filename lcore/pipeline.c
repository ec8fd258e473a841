/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline mode: RX lcores -> rings -> worker lcores -> rings -> TX lcores.
 *
 * Roles. An RX lcore polls its (port, queue) pairs, picks for each packet
 * the worker that owns its flow (lc_pipe_worker_of()) and hands the packets
 * over in one burst per worker. A worker runs exactly what an RTC loop runs
 * on a burst, stk_input_burst() with the service bound to the stack, plus
 * the stack's timers; what the stack sends goes to a TX ring instead of a
 * TX queue. A TX lcore drains its rings into its own TX queue of each port
 * through rte_eth_tx_buffer, flushed on the tx_drain_us deadline as in RTC.
 * An lcore may hold RX and TX together (the I/O lcore: the shape for small
 * machines, one I/O lcore and N workers); a worker does nothing else.
 *
 * Rings. One per (RX lcore, worker) and one per (worker, TX lcore), each
 * with one producer and one consumer (SP/SC), on the consumer's NUMA
 * socket. A worker sends port p's packets to TX lcore (w + p) mod n_tx, so
 * each flow leaves through one ring and one TX queue and keeps its order
 * end to end: one RX queue (RSS keeps a flow on one queue), one ring, one
 * worker, one ring, one TX queue. A full ring is backpressure: the producer
 * frees what did not fit and counts it on the ring and as ring_full; it
 * never waits.
 *
 * Stop. lc_stop() ends RX at once; a worker stops once every RX lcore has
 * stopped and its rings came up empty, a TX lcore once every worker has;
 * so what was received when the signal came still leaves. A deadline
 * (LC_PIPE_DRAIN_MS) bounds this, and lc_pipe_teardown() frees whatever a
 * ring still holds, so no mbuf is left behind either way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "dp.h"
#include "lc_priv.h"

#define LC_PIPE_RING_DEFAULT 1024
#define LC_PIPE_BURST_DEFAULT 32
#define LC_PIPE_RING_MAX (1u << 20)
#define LC_PIPE_DRAIN_MS 100
#define LC_PREFETCH 4

struct lc_ring {
	struct rte_ring *r;
	uint32_t size;
	uint16_t consumer;
	uint8_t consumer_role;
	char name[24];
	/* producer lcore only */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t enqueued;
	uint64_t dropped;
	uint64_t high_water;
	/* consumer lcore only */
	alignas(RTE_CACHE_LINE_SIZE) uint64_t dequeued;
} __rte_cache_aligned;

struct lc_pipe_lcore {
	uint16_t n_workers; /* RX: rings in to_worker[], by worker index */
	uint16_t n_in;	    /* worker: one ring per RX lcore; TX: one per worker */
	uint16_t rx_burst;
	uint16_t worker_burst;
	uint16_t tx_burst;
	bool rx_done, worker_done, tx_done;
	struct lc_ring *to_worker[LC_PIPE_MAX_LCORES];
	struct lc_ring *in[LC_PIPE_MAX_LCORES];
	struct lc_ring *to_tx[LC_MAX_PORTS]; /* worker: by DPDK port id */
	/* RX: a burst sorted by worker before it is enqueued */
	uint16_t n_bkt[LC_PIPE_MAX_LCORES];
	struct rte_mbuf *bkt[LC_PIPE_MAX_LCORES][STK_BURST_MAX];
} __rte_cache_aligned;

static bool lc_pipe_on;
static unsigned int lc_pipe_n_rings;
static struct lc_ring *lc_pipe_rings[LC_PIPE_MAX_RINGS];
static unsigned int lc_pipe_role_mask[RTE_MAX_LCORE]; /* for stats; kept after teardown */
static uint32_t lc_pipe_rx_left;		      /* RX lcores still polling */
static uint32_t lc_pipe_workers_left;		      /* workers still running */
static lc_lcore_init_fn lc_pipe_init_cb;
static lc_lcore_fini_fn lc_pipe_fini_cb;
static void *lc_pipe_cb_arg;

bool
lc_pipe_active(void)
{
	return lc_pipe_on;
}

const char *
lc_roles_name(unsigned int roles)
{
	static const char *const names[] = {
		"none", "rx", "worker", "rx+worker", "tx", "rx+tx", "worker+tx", "rx+worker+tx",
	};

	return names[roles & 7];
}

/* ---- roles and mapping (control path) -------------------------------- */

static bool
lc_in_list(const uint16_t *ids, uint16_t n, unsigned int lcore)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == lcore)
			return true;
	return false;
}

unsigned int
lc_pipe_roles_of(const struct lc_pipe_conf *pc, unsigned int lcore)
{
	return (lc_in_list(pc->rx, pc->n_rx, lcore) ? 1u << LC_ROLE_RX : 0) |
	       (lc_in_list(pc->workers, pc->n_workers, lcore) ? 1u << LC_ROLE_WORKER : 0) |
	       (lc_in_list(pc->tx, pc->n_tx, lcore) ? 1u << LC_ROLE_TX : 0);
}

unsigned int
lc_pipe_lcores(const struct lc_pipe_conf *pc, unsigned int *ids)
{
	unsigned int lcore, n = 0;

	for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++)
		if (lc_pipe_roles_of(pc, lcore) != 0)
			ids[n++] = lcore;
	return n;
}

static int
lc_list_check(const char *key, const uint16_t *ids, uint16_t n, char *err, size_t errlen)
{
	uint16_t i;

	if (n > LC_PIPE_MAX_LCORES) {
		snprintf(err, errlen, "[pipeline] %s: %u lcores, at most %u", key, n,
			 LC_PIPE_MAX_LCORES);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (ids[i] >= RTE_MAX_LCORE || !rte_lcore_is_enabled(ids[i])) {
			snprintf(err, errlen,
				 "[pipeline] %s: lcore %u is not enabled; give it to EAL with -l "
				 "(e.g. -l 0-%u)",
				 key, ids[i], ids[i]);
			return -EINVAL;
		}
		if (lc_in_list(ids, i, ids[i])) {
			snprintf(err, errlen, "[pipeline] %s: lcore %u is listed twice", key,
				 ids[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int
lc_burst_check(const char *key, uint16_t *burst, char *err, size_t errlen)
{
	if (*burst == 0)
		*burst = LC_PIPE_BURST_DEFAULT;
	if (*burst > STK_BURST_MAX) {
		snprintf(err, errlen, "[pipeline] %s = %u: at most %u", key, *burst, STK_BURST_MAX);
		return -EINVAL;
	}
	return 0;
}

int
lc_pipe_roles(struct lc_pipe_conf *pc, char *err, size_t errlen)
{
	unsigned int lcore, main_lcore = rte_get_main_lcore();
	uint16_t i;
	int ret;

	if (pc->n_rx == 0) {
		pc->rx[0] = main_lcore;
		pc->n_rx = 1;
	}
	if (pc->n_tx == 0) {
		memcpy(pc->tx, pc->rx, sizeof(pc->tx));
		pc->n_tx = pc->n_rx;
	}
	if ((ret = lc_list_check("rx_lcores", pc->rx, pc->n_rx, err, errlen)) != 0 ||
	    (ret = lc_list_check("tx_lcores", pc->tx, pc->n_tx, err, errlen)) != 0)
		return ret;
	if (pc->n_workers == 0) {
		RTE_LCORE_FOREACH(lcore)
		{
			if (pc->n_workers < LC_PIPE_MAX_LCORES &&
			    !lc_in_list(pc->rx, pc->n_rx, lcore) &&
			    !lc_in_list(pc->skip, pc->n_skip, lcore) &&
			    !lc_in_list(pc->tx, pc->n_tx, lcore))
				pc->workers[pc->n_workers++] = lcore;
		}
		if (pc->n_workers == 0) {
			snprintf(err, errlen,
				 "[pipeline] no lcore left for a worker: every enabled lcore is an "
				 "RX or TX lcore; give EAL more lcores (e.g. -l 0,1 for one I/O "
				 "lcore and one worker) or set worker_lcores");
			return -EINVAL;
		}
	}
	ret = lc_list_check("worker_lcores", pc->workers, pc->n_workers, err, errlen);
	if (ret != 0)
		return ret;
	for (i = 0; i < pc->n_workers; i++)
		if (lc_in_list(pc->rx, pc->n_rx, pc->workers[i]) ||
		    lc_in_list(pc->tx, pc->n_tx, pc->workers[i])) {
			snprintf(err, errlen,
				 "[pipeline] worker_lcores: lcore %u is also an %s lcore; a worker "
				 "runs only the stack and the service, give it its own lcore",
				 pc->workers[i],
				 lc_in_list(pc->rx, pc->n_rx, pc->workers[i]) ? "RX" : "TX");
			return -EINVAL;
		}
	if (pc->ring_size == 0)
		pc->ring_size = LC_PIPE_RING_DEFAULT;
	if (pc->ring_size > LC_PIPE_RING_MAX) {
		snprintf(err, errlen, "[pipeline] ring_size = %u: at most %u", pc->ring_size,
			 LC_PIPE_RING_MAX);
		return -EINVAL;
	}
	if ((ret = lc_burst_check("rx_burst", &pc->rx_burst, err, errlen)) != 0 ||
	    (ret = lc_burst_check("worker_burst", &pc->worker_burst, err, errlen)) != 0 ||
	    (ret = lc_burst_check("tx_burst", &pc->tx_burst, err, errlen)) != 0)
		return ret;
	return 0;
}

uint16_t
lc_pipe_map_default(const uint16_t *rxq_per_port, uint16_t n_ports, const struct lc_pipe_conf *pc,
		    struct lc_map_entry *map, uint16_t max)
{
	uint16_t n = 0, p, q;

	if (pc->n_rx == 0)
		return 0;
	for (p = 0; p < n_ports; p++)
		for (q = 0; q < rxq_per_port[p] && n < max; q++, n++) {
			map[n].port = p;
			map[n].queue = q;
			map[n].lcore = pc->rx[n % pc->n_rx];
		}
	return n;
}

int
lc_pipe_map_check(const struct lc_map_entry *map, uint16_t n_map, const struct lc_pipe_conf *pc,
		  char *err, size_t errlen)
{
	uint16_t i;

	for (i = 0; i < n_map; i++)
		if (!lc_in_list(pc->rx, pc->n_rx, map[i].lcore)) {
			snprintf(err, errlen,
				 "lcore_map (%u,%u,%u): in pipeline mode queues are polled by RX "
				 "lcores and lcore %u is not one; add it to [pipeline] rx_lcores "
				 "or map the queue to an RX lcore",
				 map[i].port, map[i].queue, map[i].lcore, map[i].lcore);
			return -EINVAL;
		}
	return 0;
}

/* ---- the flow hash --------------------------------------------------- */

/* Both directions of a flow must land on one worker: order the two
 * endpoints before hashing them. */
static inline uint32_t
lc_flow_hash_sw(uint32_t a, uint32_t b, uint16_t pa, uint16_t pb, uint8_t proto)
{
	uint32_t h;

	if (a > b || (a == b && pa > pb)) {
		RTE_SWAP(a, b);
		RTE_SWAP(pa, pb);
	}
	h = rte_hash_crc_4byte(a, proto);
	h = rte_hash_crc_4byte(b, h);
	return rte_hash_crc_4byte((uint32_t)pa << 16 | pb, h);
}

uint32_t
lc_pipe_flow_hash(uint32_t src, uint32_t dst, rte_be16_t sport, rte_be16_t dport, uint8_t proto)
{
	return lc_flow_hash_sw(src, dst, sport, dport, proto);
}

unsigned int
lc_pipe_worker_of(const struct rte_mbuf *m, unsigned int n_workers)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	uint32_t hash, len = rte_pktmbuf_data_len(m), ihl;
	uint16_t sport = 0, dport = 0;
	uint8_t proto;

	if (n_workers <= 1 || len < sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr))
		return 0;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return 0;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	proto = ip->next_proto_id;
	ihl = (ip->version_ihl & 0xf) * 4u;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || proto == IPPROTO_ICMP)
		return 0;
	/* rss_check = software: the port's NIC hash splits flows, ignore it */
	if ((m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) &&
	    likely(m->port >= RTE_MAX_ETHPORTS || !lc_rss_sw_port[m->port])) {
		hash = m->hash.rss;
	} else {
		/* Ports only where they are: UDP/TCP, first fragment-free
		 * datagram, header inside the first segment. */
		if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) &&
		    (ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) == 0 &&
		    len >= sizeof(*eth) + ihl + 4) {
			const rte_be16_t *ports = (const rte_be16_t *)((const uint8_t *)ip + ihl);

			sport = ports[0];
			dport = ports[1];
		}
		hash = lc_flow_hash_sw(ip->src_addr, ip->dst_addr, sport, dport, proto);
	}
	return (unsigned int)(((uint64_t)hash * n_workers) >> 32);
}

/* ---- the stages ------------------------------------------------------ */

/* Enqueue what fits; the rest is backpressure: freed and counted. */
static inline void
lc_ring_put(struct lc_ctx *ctx, struct lc_ring *ring, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int free_space, done, used;

	done = rte_ring_sp_enqueue_burst(ring->r, (void **)pkts, n, &free_space);
	ring->enqueued += done;
	used = ring->size - free_space;
	if (used > ring->high_water)
		ring->high_water = used;
	if (unlikely(done < n)) {
		rte_pktmbuf_free_bulk(pkts + done, n - done);
		ring->dropped += n - done;
		ctx->drops[STK_DROP_RING_FULL] += n - done;
	}
}

static uint16_t
lc_pipe_rx_stage(struct lc_ctx *ctx, struct lc_pipe_lcore *pl)
{
	struct rte_mbuf *pkts[STK_BURST_MAX];
	unsigned int nw = pl->n_workers, w;
	uint16_t i, j, nb, total = 0;

	for (i = 0; i < ctx->n_rxq; i++) {
		uint16_t port_id = ctx->rxq[i].port_id;
		uint32_t bytes = 0, used = 0;

		nb = rte_eth_rx_burst(port_id, ctx->rxq[i].queue_id, pkts, pl->rx_burst);
		if (nb == 0)
			continue;
		/* The worker learns the input port from the mbuf; not every
		 * PMD fills it in (net_ring does not). */
		if (nw == 1) {
			for (j = 0; j < nb; j++) {
				bytes += rte_pktmbuf_pkt_len(pkts[j]);
				pkts[j]->port = port_id;
			}
			lc_ring_put(ctx, pl->to_worker[0], pkts, nb);
		} else {
			for (j = 0; j < nb && j < LC_PREFETCH; j++)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[j], void *));
			for (j = 0; j < nb; j++) {
				if (j + LC_PREFETCH < nb)
					rte_prefetch0(
						rte_pktmbuf_mtod(pkts[j + LC_PREFETCH], void *));
				bytes += rte_pktmbuf_pkt_len(pkts[j]);
				pkts[j]->port = port_id;
				w = lc_pipe_worker_of(pkts[j], nw);
				pl->bkt[w][pl->n_bkt[w]++] = pkts[j];
				used |= 1u << w;
			}
			while (used != 0) {
				w = rte_bsf32(used);
				used &= used - 1;
				lc_ring_put(ctx, pl->to_worker[w], pl->bkt[w], pl->n_bkt[w]);
				pl->n_bkt[w] = 0;
			}
		}
		ctx->stats.rx_pkts += nb;
		ctx->stats.rx_bytes += bytes;
		total += nb;
	}
	return total;
}

static uint16_t
lc_pipe_work_stage(struct lc_ctx *ctx, struct lc_pipe_lcore *pl)
{
	struct rte_mbuf *pkts[STK_BURST_MAX];
	unsigned int i, n, s, j;
	uint16_t total = 0;

	for (i = 0; i < pl->n_in; i++) {
		struct lc_ring *ring = pl->in[i];

		n = rte_ring_sc_dequeue_burst(ring->r, (void **)pkts, pl->worker_burst, NULL);
		if (n == 0)
			continue;
		ring->dequeued += n;
		/* The mbufs were last written on the RX lcore: ask for all
		 * their headers at once so the misses overlap instead of
		 * queueing up behind each other in the stack. */
		for (j = 0; j < n; j++)
			rte_prefetch0(pkts[j]);
		/* One stk_input_burst() per run of packets from one port. */
		for (s = 0, j = 1; j <= n; j++)
			if (j == n || pkts[j]->port != pkts[s]->port) {
				stk_input_burst(ctx->stk, pkts[s]->port, &pkts[s], j - s);
				s = j;
			}
		total += n;
	}
	return total;
}

/* The workers' stk_tx_fn: to the TX lcore that serves this port for us. */
static void
lc_pipe_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct lc_ctx *ctx = arg;
	uint16_t i;

	for (i = 0; i < n; i++)
		pkts[i]->port = port_id;
	lc_ring_put(ctx, ctx->pipe->to_tx[port_id], pkts, n);
}

static uint16_t
lc_pipe_tx_stage(struct lc_ctx *ctx, struct lc_pipe_lcore *pl)
{
	struct rte_mbuf *pkts[STK_BURST_MAX];
	unsigned int i, n, j;
	uint16_t total = 0;

	for (i = 0; i < pl->n_in; i++) {
		struct lc_ring *ring = pl->in[i];

		n = rte_ring_sc_dequeue_burst(ring->r, (void **)pkts, pl->tx_burst, NULL);
		if (n == 0)
			continue;
		ring->dequeued += n;
		for (j = 0; j < n; j++)
			rte_prefetch0(pkts[j]); /* written by the worker */
		for (j = 0; j < n; j++) {
			uint16_t p = pkts[j]->port;

			ctx->stats.tx_pkts +=
				rte_eth_tx_buffer(p, ctx->txq[p], ctx->txb[p], pkts[j]);
		}
		total += n;
	}
	return total;
}

/* rte_eth_tx_buffer's error callback on TX lcores: the TX ring was full. */
static void
lc_pipe_tx_unsent(struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct lc_ctx *ctx = arg;

	rte_pktmbuf_free_bulk(pkts, n);
	ctx->stats.tx_dropped += n;
	ctx->drops[STK_DROP_TX_FULL] += n;
}

static void
lc_pipe_worker_finish(struct lc_ctx *ctx, struct lc_pipe_lcore *pl, bool fini)
{
	/* offloaded jobs come back (their answers go out through TX) before
	 * the service lets go of its connections */
	lc_off_reactor_stop(ctx->off);
	stk_tcp_state_counts(ctx->stk, ctx->tcp_at_stop);
	ctx->tcp_at_stop_valid = true;
	if (fini && lc_pipe_fini_cb != NULL)
		lc_pipe_fini_cb(ctx->lcore_id, ctx->svc_state, lc_pipe_cb_arg);
	ctx->svc_state = NULL;
	pl->worker_done = true;
	__atomic_fetch_sub(&lc_pipe_workers_left, 1, __ATOMIC_RELEASE);
}

static inline void
lc_role_count(struct lc_ctx *ctx, enum lc_role role, uint16_t n, uint64_t cycles)
{
	if (n != 0) {
		ctx->stats.role[role].pkts += n;
		ctx->stats.role[role].busy_cycles += cycles;
	}
}

int
lc_pipe_main(void *arg)
{
	struct lc_ctx *ctx = lc_ctxs[rte_lcore_id()];
	uint64_t prev, now, t, last_drain, last_timer, stop_tsc = 0;
	bool w_closing = false, tx_closing = false;
	struct lc_pipe_lcore *pl;
	uint16_t n;
	int ret;

	RTE_SET_USED(arg);
	if (ctx == NULL || ctx->pipe == NULL)
		return 0;
	pl = ctx->pipe;
	if ((ctx->roles & (1u << LC_ROLE_WORKER)) && lc_pipe_init_cb != NULL) {
		ret = lc_pipe_init_cb(ctx->lcore_id, ctx->stk, &ctx->svc_state, lc_pipe_cb_arg);
		if (ret != 0) {
			fprintf(stderr, "sluice: lcore %u: service init failed: %s\n",
				ctx->lcore_id, strerror(-ret));
			lc_failed = 1;
			lc_stop();
			lc_pipe_worker_finish(ctx, pl, false);
			return ret;
		}
	}

	lc_idle_thread_start(ctx);
	prev = last_drain = last_timer = rte_rdtsc();
	while (!(pl->rx_done && pl->worker_done && pl->tx_done)) {
		uint32_t work = 0;

		dp_gate_pass(ctx->lcore_id);

		if (unlikely(lc_stopping())) {
			/* Read what upstream has finished before looking at the
			 * rings, so that an empty look means empty for good. */
			if (stop_tsc == 0)
				stop_tsc = prev + rte_get_tsc_hz() / 1000 * LC_PIPE_DRAIN_MS;
			if (!pl->rx_done) {
				pl->rx_done = true;
				__atomic_fetch_sub(&lc_pipe_rx_left, 1, __ATOMIC_RELEASE);
			}
			w_closing = __atomic_load_n(&lc_pipe_rx_left, __ATOMIC_ACQUIRE) == 0;
			tx_closing = __atomic_load_n(&lc_pipe_workers_left, __ATOMIC_ACQUIRE) == 0;
			if (prev >= stop_tsc) {
				if (!pl->worker_done)
					lc_pipe_worker_finish(ctx, pl, true);
				pl->tx_done = true;
			}
		}
		t = prev;
		if (!pl->rx_done) {
			n = lc_pipe_rx_stage(ctx, pl);
			now = rte_rdtsc();
			lc_role_count(ctx, LC_ROLE_RX, n, now - t);
			work += n;
			t = now;
		}
		if (!pl->worker_done) {
			stk_set_time(ctx->stk, t);
			lc_msg_poll(ctx);
			n = lc_pipe_work_stage(ctx, pl);
			if (unlikely(lc_off_pending(ctx->off))) {
				stk_tx_hold(ctx->stk);
				work += lc_off_poll_slow(ctx->off);
				stk_tx_release(ctx->stk);
			}
			now = rte_rdtsc();
			lc_role_count(ctx, LC_ROLE_WORKER, n, now - t);
			work += n;
			t = now;
			if (unlikely(w_closing && n == 0))
				lc_pipe_worker_finish(ctx, pl, true);
		}
		if (!pl->tx_done) {
			n = lc_pipe_tx_stage(ctx, pl);
			now = rte_rdtsc();
			lc_role_count(ctx, LC_ROLE_TX, n, now - t);
			work += n;
			t = now;
			if (unlikely(tx_closing && n == 0))
				pl->tx_done = true;
		}
		now = t;
		if (unlikely(now - last_drain >= ctx->drain_tsc)) {
			lc_flush(ctx);
			last_drain = now;
			if (ctx->stk != NULL && !pl->worker_done &&
			    now - last_timer >= ctx->timer_tsc) {
				stk_timer_run(ctx->stk);
				last_timer = now;
			}
		}
		if (work != 0)
			ctx->stats.busy_cycles += now - prev;
		else
			ctx->stats.idle_cycles += now - prev;
		ctx->stats.loops++;
		/* RX and TX lcores have no timers; a worker's are the stack's */
		prev = lc_idle(ctx, work + lc_off_pending(ctx->off), now,
			       ctx->stk != NULL && !pl->worker_done ? last_timer + ctx->timer_tsc
								    : UINT64_MAX);
	}
	lc_flush(ctx);
	return 0;
}

/* ---- set-up and tear-down -------------------------------------------- */

static struct lc_ring *
lc_ring_create(const char *label, unsigned int consumer, enum lc_role role, uint32_t size,
	       char *err, size_t errlen)
{
	int socket = dp_lcore_socket(consumer);
	char name[RTE_RING_NAMESIZE];
	struct lc_ring *ring;

	if (lc_pipe_n_rings == LC_PIPE_MAX_RINGS) {
		snprintf(err, errlen, "pipeline: more than %u rings", LC_PIPE_MAX_RINGS);
		return NULL;
	}
	ring = rte_zmalloc_socket("lc_ring", sizeof(*ring), RTE_CACHE_LINE_SIZE, socket);
	if (ring == NULL) {
		snprintf(err, errlen, "pipeline: out of memory for ring %s", label);
		return NULL;
	}
	lc_pipe_rings[lc_pipe_n_rings++] = ring;
	ring->consumer = consumer;
	ring->consumer_role = role;
	snprintf(ring->name, sizeof(ring->name), "%s", label);
	snprintf(name, sizeof(name), "lc_%s", label);
	ring->r = rte_ring_create(name, size, socket,
				  RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (ring->r == NULL) {
		snprintf(err, errlen,
			 "pipeline: cannot create ring %s of %u packets on socket %d: %s "
			 "(lower [pipeline] ring_size)",
			 label, size, socket, rte_strerror(rte_errno));
		return NULL;
	}
	ring->size = rte_ring_get_capacity(ring->r);
	return ring;
}

static int
lc_pipe_ctx_create(const struct lc_conf *conf, unsigned int lcore, char *err, size_t errlen)
{
	const struct lc_pipe_conf *pc = &conf->pipe;
	int socket = dp_lcore_socket(lcore);
	struct lc_ctx *ctx = lc_ctx_alloc(conf, lcore, socket, err, errlen);
	int ret;

	if (ctx == NULL)
		return -ENOMEM;
	ctx->roles = lc_pipe_roles_of(pc, lcore);
	lc_pipe_role_mask[lcore] = ctx->roles;
	ctx->burst = pc->rx_burst;
	ctx->pipe = rte_zmalloc_socket("lc_pipe", sizeof(*ctx->pipe), RTE_CACHE_LINE_SIZE, socket);
	if (ctx->pipe == NULL) {
		snprintf(err, errlen, "lcore %u: out of memory for its pipeline state", lcore);
		return -ENOMEM;
	}
	ctx->pipe->n_workers = pc->n_workers;
	ctx->pipe->rx_burst = pc->rx_burst;
	ctx->pipe->worker_burst = pc->worker_burst;
	ctx->pipe->tx_burst = pc->tx_burst;
	ctx->pipe->rx_done = !(ctx->roles & (1u << LC_ROLE_RX));
	ctx->pipe->worker_done = !(ctx->roles & (1u << LC_ROLE_WORKER));
	ctx->pipe->tx_done = !(ctx->roles & (1u << LC_ROLE_TX));

	if (ctx->roles & (1u << LC_ROLE_RX)) {
		ret = lc_ctx_rxq_map(ctx, conf, err, errlen);
		if (ret != 0)
			return ret;
	}
	if (ctx->roles & (1u << LC_ROLE_TX)) {
		uint16_t txq[LC_MAX_PORTS], t = 0, p;

		/* a TX lcore has the same queue on every port */
		while (pc->tx[t] != lcore)
			t++;
		for (p = 0; p < LC_MAX_PORTS; p++)
			txq[p] = t;
		ret = lc_ctx_txb_alloc(ctx, conf, socket, pc->tx_burst, lc_pipe_tx_unsent, txq, err,
				       errlen);
		if (ret != 0)
			return ret;
	}
	if (ctx->roles & (1u << LC_ROLE_WORKER)) {
		uint16_t w = 0;

		while (pc->workers[w] != lcore)
			w++;
		/* Every ARP frame goes to worker 0: tell the others (msg.c). */
		return lc_ctx_stack_create(ctx, conf, socket, lc_pipe_tx, pc->n_workers > 1, true, w,
					   pc->n_workers, err, errlen);
	}
	return 0;
}

int
lc_pipe_setup(const struct lc_conf *conf, char *err, size_t errlen)
{
	const struct lc_pipe_conf *pc = &conf->pipe;
	unsigned int k, i, w, t;
	char label[24];
	int ret;

	lc_pipe_init_cb = conf->lcore_init;
	lc_pipe_fini_cb = conf->lcore_fini;
	lc_pipe_cb_arg = conf->arg;
	lc_pipe_n_rings = 0;
	lc_pipe_on = true; /* from here on lc_teardown() frees what we made */
	memset(lc_pipe_role_mask, 0, sizeof(lc_pipe_role_mask));
	if (pc->n_rx == 0 || pc->n_workers == 0 || pc->n_tx == 0 || pc->ring_size == 0 ||
	    pc->rx_burst == 0 || pc->worker_burst == 0 || pc->tx_burst == 0 ||
	    pc->n_rx > LC_PIPE_MAX_LCORES || pc->n_workers > LC_PIPE_MAX_LCORES ||
	    pc->n_tx > LC_PIPE_MAX_LCORES || pc->rx_burst > STK_BURST_MAX ||
	    pc->worker_burst > STK_BURST_MAX || pc->tx_burst > STK_BURST_MAX) {
		snprintf(err, errlen, "pipeline: roles or sizes not set (call lc_pipe_roles())");
		return -EINVAL;
	}
	ret = lc_pipe_map_check(conf->map, conf->n_map, pc, err, errlen);
	if (ret != 0)
		return ret;
	lc_n_loops = lc_pipe_lcores(pc, lc_loop_ids);
	for (k = 0; k < lc_n_loops; k++) {
		ret = lc_pipe_ctx_create(conf, lc_loop_ids[k], err, errlen);
		if (ret != 0)
			return ret;
	}

	for (i = 0; i < pc->n_rx; i++)
		for (w = 0; w < pc->n_workers; w++) {
			struct lc_ctx *rx = lc_ctxs[pc->rx[i]], *wk = lc_ctxs[pc->workers[w]];
			struct lc_ring *ring;

			snprintf(label, sizeof(label), "rx%u>w%u", pc->rx[i], pc->workers[w]);
			ring = lc_ring_create(label, pc->workers[w], LC_ROLE_WORKER, pc->ring_size,
					      err, errlen);
			if (ring == NULL)
				return -ENOMEM;
			rx->pipe->to_worker[w] = ring;
			wk->pipe->in[wk->pipe->n_in++] = ring;
		}
	for (w = 0; w < pc->n_workers; w++)
		for (t = 0; t < pc->n_tx; t++) {
			struct lc_ctx *wk = lc_ctxs[pc->workers[w]], *tx = lc_ctxs[pc->tx[t]];
			struct lc_ring *ring;
			uint16_t p;

			snprintf(label, sizeof(label), "w%u>tx%u", pc->workers[w], pc->tx[t]);
			ring = lc_ring_create(label, pc->tx[t], LC_ROLE_TX, pc->ring_size, err,
					      errlen);
			if (ring == NULL)
				return -ENOMEM;
			tx->pipe->in[tx->pipe->n_in++] = ring;
			for (p = 0; p < conf->n_ports; p++)
				if ((w + p) % pc->n_tx == t)
					wk->pipe->to_tx[conf->ifs[p].port_id] = ring;
		}
	lc_pipe_rx_left = pc->n_rx;
	lc_pipe_workers_left = pc->n_workers;
	return 0;
}

void
lc_pipe_teardown(void)
{
	struct rte_mbuf *pkts[64];
	unsigned int i, n, k;

	if (!lc_pipe_on)
		return;
	for (i = 0; i < lc_pipe_n_rings; i++) {
		struct lc_ring *ring = lc_pipe_rings[i];

		if (ring->r != NULL) {
			while ((n = rte_ring_dequeue_burst(ring->r, (void **)pkts, RTE_DIM(pkts),
							   NULL)) != 0)
				rte_pktmbuf_free_bulk(pkts, n);
			rte_ring_free(ring->r);
		}
		rte_free(ring);
		lc_pipe_rings[i] = NULL;
	}
	lc_pipe_n_rings = 0;
	for (k = 0; k < lc_n_loops; k++) {
		struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];

		if (ctx == NULL || ctx->pipe == NULL)
			continue;
		for (i = 0; i < LC_PIPE_MAX_LCORES; i++)
			if (ctx->pipe->n_bkt[i] != 0)
				rte_pktmbuf_free_bulk(ctx->pipe->bkt[i], ctx->pipe->n_bkt[i]);
		rte_free(ctx->pipe);
		ctx->pipe = NULL;
	}
	lc_pipe_on = false;
}

/* ---- statistics ------------------------------------------------------ */

unsigned int
lc_pipe_ring_stats(struct lc_ring_stats *out, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < lc_pipe_n_rings && n < max; i++) {
		const struct lc_ring *ring = lc_pipe_rings[i];
		struct lc_ring_stats *o = &out[n++];

		memcpy(o->name, ring->name, sizeof(o->name));
		o->consumer = ring->consumer;
		o->consumer_role = ring->consumer_role;
		o->size = ring->size;
		o->count = ring->r != NULL ? rte_ring_count(ring->r) : 0;
		o->enqueued = ring->enqueued;
		o->dequeued = ring->dequeued;
		o->dropped = ring->dropped;
		o->high_water = ring->high_water;
	}
	return n;
}

static const char *const lc_role_short[LC_ROLE_MAX] = {"rx", "worker", "tx"};

void
lc_pipe_print_interval(const struct lc_snapshot *start, const struct lc_snapshot *prev,
		       const struct lc_snapshot *now, FILE *out)
{
	double hz = rte_get_tsc_hz();
	double secs = (now->tsc - prev->tsc) / hz, at = (now->tsc - start->tsc) / hz;
	unsigned int k, r, i;

	for (k = 0; k < lc_n_loops; k++) {
		unsigned int id = lc_loop_ids[k], roles = lc_pipe_role_mask[id];
		const struct lc_stats *a = &prev->lc[id], *b = &now->lc[id];
		uint64_t busy = b->busy_cycles - a->busy_cycles;
		uint64_t all = busy + b->idle_cycles - a->idle_cycles;

		fprintf(out, "[%6.1fs] lcore %2u %-9s:", at, id, lc_roles_name(roles));
		for (r = 0; r < LC_ROLE_MAX; r++) {
			uint64_t pk, cy;

			if (!(roles & (1u << r)))
				continue;
			pk = b->role[r].pkts - a->role[r].pkts;
			cy = b->role[r].busy_cycles - a->role[r].busy_cycles;
			fprintf(out, " %s %7.3f Mpps %7.1f cyc/pkt |", lc_role_short[r],
				secs > 0 ? pk / secs / 1e6 : 0.0, pk ? (double)cy / pk : 0.0);
		}
		fprintf(out, " busy %3.0f%%\n", all ? 100.0 * busy / all : 0.0);
	}
	for (i = 0; i < now->n_rings; i++) {
		static const struct lc_ring_stats none;
		const struct lc_ring_stats *b = &now->rings[i];
		const struct lc_ring_stats *a = i < prev->n_rings ? &prev->rings[i] : &none;

		fprintf(out,
			"[%6.1fs]   ring %-11s: in %7.3f Mpps  out %7.3f Mpps  full +%" PRIu64
			"  now %u  max %" PRIu64 "/%u%s",
			at, b->name, secs > 0 ? (b->enqueued - a->enqueued) / secs / 1e6 : 0.0,
			secs > 0 ? (b->dequeued - a->dequeued) / secs / 1e6 : 0.0,
			b->dropped - a->dropped, b->count, b->high_water, b->size,
			i + 1 < now->n_rings ? "\n" : "");
	}
}

static double
lc_busy_pct(const struct lc_snapshot *start, const struct lc_snapshot *end, unsigned int id)
{
	uint64_t busy = end->lc[id].busy_cycles - start->lc[id].busy_cycles;
	uint64_t all = busy + end->lc[id].idle_cycles - start->lc[id].idle_cycles;

	return all ? 100.0 * busy / all : 0.0;
}

void
lc_pipe_print_summary(const struct lc_snapshot *start, const struct lc_snapshot *end, FILE *out)
{
	double secs = (end->tsc - start->tsc) / (double)rte_get_tsc_hz();
	double top_share = -1.0;
	unsigned int k, r, i, top_lcore = 0, top_role = 0, full = 0;
	uint64_t rx_all = 0, tx_all = 0, most_dropped = 0;

	for (k = 0; k < lc_n_loops; k++) {
		unsigned int id = lc_loop_ids[k], roles = lc_pipe_role_mask[id];
		const struct lc_stats *a = &start->lc[id], *b = &end->lc[id];
		uint64_t busy = b->busy_cycles - a->busy_cycles;
		uint64_t all = busy + b->idle_cycles - a->idle_cycles;

		rx_all += b->rx_pkts - a->rx_pkts;
		tx_all += b->tx_pkts - a->tx_pkts;
		fprintf(out, "  lcore %2u %-9s:", id, lc_roles_name(roles));
		for (r = 0; r < LC_ROLE_MAX; r++) {
			uint64_t pk, cy;
			double share;

			if (!(roles & (1u << r)))
				continue;
			pk = b->role[r].pkts - a->role[r].pkts;
			cy = b->role[r].busy_cycles - a->role[r].busy_cycles;
			share = all ? (double)cy / all : 0.0;
			if (share > top_share) {
				top_share = share;
				top_lcore = id;
				top_role = r;
			}
			fprintf(out, " %s %" PRIu64 " pkts (%.3f Mpps) %.1f cycles/pkt |",
				lc_role_short[r], pk, secs > 0 ? pk / secs / 1e6 : 0.0,
				pk ? (double)cy / pk : 0.0);
		}
		fprintf(out, " busy %.0f%%", all ? 100.0 * busy / all : 0.0);
		if (roles & (1u << LC_ROLE_TX))
			fprintf(out, "  tx_full %" PRIu64, b->tx_dropped - a->tx_dropped);
		fprintf(out, "\n");
	}
	for (i = 0; i < end->n_rings; i++) {
		const struct lc_ring_stats *b = &end->rings[i];
		const struct lc_ring_stats *a = i < start->n_rings ? &start->rings[i] : NULL;

		uint64_t dropped = b->dropped - (a ? a->dropped : 0);

		fprintf(out,
			"  ring %-11s: enqueued %" PRIu64 "  dequeued %" PRIu64
			"  dropped (full) %" PRIu64 "  high-water %" PRIu64 " of %u\n",
			b->name, b->enqueued - (a ? a->enqueued : 0),
			b->dequeued - (a ? a->dequeued : 0), dropped, b->high_water, b->size);
		if (dropped > most_dropped) {
			most_dropped = dropped;
			full = i;
		}
	}
	fprintf(out,
		"  pipeline: rx %.3f Mpps, tx %.3f Mpps; busiest stage: %s on lcore %u (%.0f%% of "
		"its cycles, lcore busy %.0f%%)\n",
		secs > 0 ? rx_all / secs / 1e6 : 0.0, secs > 0 ? tx_all / secs / 1e6 : 0.0,
		lc_role_short[top_role], top_lcore, top_share > 0 ? 100.0 * top_share : 0.0,
		lc_busy_pct(start, end, top_lcore));
	/* A full ring says its consumer fell behind at some point; if that
	 * consumer was mostly idle, it lost its CPU or the input came in bursts
	 * larger than the ring, rather than being too slow. */
	if (most_dropped != 0)
		fprintf(out,
			"  most drops: ring %s (%" PRIu64 " full) into the %s on lcore %u, busy "
			"%.0f%%\n",
			end->rings[full].name, most_dropped,
			lc_role_short[end->rings[full].consumer_role], end->rings[full].consumer,
			lc_busy_pct(start, end, end->rings[full].consumer));
}

void
lc_pipe_tel_lcore(const struct lc_ctx *ctx, struct rte_tel_data *c)
{
	char key[48];
	unsigned int r;

	if (ctx->roles == 0)
		return;
	rte_tel_data_add_dict_string(c, "roles", lc_roles_name(ctx->roles));
	for (r = 0; r < LC_ROLE_MAX; r++) {
		uint64_t pk = ctx->stats.role[r].pkts, cy = ctx->stats.role[r].busy_cycles;

		if (!(ctx->roles & (1u << r)))
			continue;
		snprintf(key, sizeof(key), "stage_%s_pkts", lc_role_short[r]);
		rte_tel_data_add_dict_u64(c, key, pk);
		snprintf(key, sizeof(key), "stage_%s_busy_cycles", lc_role_short[r]);
		rte_tel_data_add_dict_u64(c, key, cy);
		snprintf(key, sizeof(key), "stage_%s_cycles_per_pkt_x100", lc_role_short[r]);
		rte_tel_data_add_dict_u64(c, key, pk ? cy * 100 / pk : 0);
	}
}

void
lc_pipe_tel_rings(struct rte_tel_data *d)
{
	static struct lc_ring_stats rs[LC_PIPE_MAX_RINGS]; /* under the read lock */
	struct rte_tel_data *all, *c;
	unsigned int i, n;

	if (!lc_pipe_on)
		return;
	n = lc_pipe_ring_stats(rs, RTE_DIM(rs));
	all = rte_tel_data_alloc();
	if (all == NULL)
		return;
	rte_tel_data_start_dict(all);
	for (i = 0; i < n; i++) {
		c = rte_tel_data_alloc();
		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "size", rs[i].size);
		rte_tel_data_add_dict_u64(c, "count", rs[i].count);
		rte_tel_data_add_dict_u64(c, "enqueued", rs[i].enqueued);
		rte_tel_data_add_dict_u64(c, "dequeued", rs[i].dequeued);
		rte_tel_data_add_dict_u64(c, "dropped", rs[i].dropped);
		rte_tel_data_add_dict_u64(c, "high_water", rs[i].high_water);
		if (rte_tel_data_add_dict_container(all, rs[i].name, c, 0) != 0)
			rte_tel_data_free(c);
	}
	if (rte_tel_data_add_dict_container(d, "rings", all, 0) != 0)
		rte_tel_data_free(all);
}
