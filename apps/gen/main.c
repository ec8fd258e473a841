/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-gen: a DPDK load generator for UDP request/response.
 *
 *   sluice-gen [EAL options] -- --port-dev DEV --src-ip A/LEN --dst-ip B [options]
 *
 * On sluice's own dataplane (dp_eal_init, dp_port_*, dp_mempool_*) and
 * stack (ARP: the target's MAC is resolved by a stk context whose tx
 * callback is the generator's TX queue; the same contexts answer the
 * peer's ARP and ICMP while the load runs). Each TX lcore sends requests
 * carrying (tx_id, sequence number, TSC) from a fixed template, paced on
 * the TSC or as fast as the port takes them; each RX lcore matches replies,
 * records the round trip in its own fixed-size histogram and counts loss
 * and reordering. The main lcore merges everything at the end into a table
 * and, with --json, a JSON report.
 *
 * Exit codes: 0 done; 1 no reply at all, or mbufs missing at the end;
 * 2 bad usage or an environment that cannot run (no hugepages, no port,
 * link down, no ARP answer).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "gen_hist.h"
#include "gen_opts.h"
#include "gen_pace.h"
#include "gen_pkt.h"
#include "gen_tcp.h"
#include "stk.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define GEN_LINK_WAIT_MS 10000
#define GEN_PROBE_WAIT_MS 1000
#define GEN_TIMER_HZ 100 /* stk_timer_run() per second */
#define GEN_ARP_RETRY_MS 250
#define GEN_ARP_RETRIES 8
#define GEN_ARP_PENDING 16
#define GEN_STALL_US 50 /* an iteration is a few us even with two full bursts */

/* Counters of one lcore: one writer, read by the stats thread with tearing
 * tolerated, summed by main after the loops stopped. */
struct gen_lstats {
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t tx_full;    /* bursts the TX ring did not take whole */
	uint64_t tx_nombuf;  /* bursts skipped for want of mbufs */
	uint64_t tx_skipped; /* pacing slots given up (sender behind) */
	uint64_t tx_start;   /* TSC of the first / after the last request */
	uint64_t tx_end;
	uint64_t rx_pkts; /* every frame received */
	uint64_t rx_kind[GEN_RX_MAX];
	uint64_t rx_reordered; /* a reply older than one already seen from its tx_id */
	uint64_t rx_cls[GEN_PKT_MAX_CLASSES]; /* replies per request class (--mix) */
	uint64_t rx_ts_future; /* a reply stamped later than its arrival (TSC skew) */
	uint64_t ctl_tx_full;  /* ARP answers the TX ring refused */
	/* Loop iterations longer than GEN_STALL_US: the lcore did not run
	 * (a vCPU descheduled by the host, an interrupt, another thread). */
	uint64_t stalls;
	uint64_t stall_ticks;
	uint64_t max_gap;
};

struct gen_lcore {
	/* hot */
	unsigned int lcore_id;
	uint8_t role;
	uint8_t tx_id;
	uint16_t port_id;
	uint16_t txq;
	uint16_t n_rxq;
	uint16_t burst;
	uint32_t flow;
	uint32_t flow_step;
	uint64_t seq;	/* next sequence number to build */
	uint64_t quota; /* requests this lcore sends in all */
	uint64_t end_tsc;
	uint64_t ns_mult;
	struct gen_pace pace;
	const struct gen_pkt_tmpl *tmpl;
	const struct gen_pkt_match *match;
	struct rte_mempool *mp;
	struct stk_ctx *stk;
	struct gen_tcp *tcp; /* --proto memcached|http: the connections */
	uint16_t n_pend;   /* built, refused by the TX ring, sent next */
	uint64_t pend_tsc; /* their stamp */
	uint64_t restamp_ticks;
	struct rte_mbuf *pend[256];
	uint16_t rxq[GEN_MAX_LAYOUT]; /* the RX queues this lcore polls */
	uint64_t next_seq[GEN_MAX_TX];
	alignas(RTE_CACHE_LINE_SIZE) struct gen_lstats st;
	alignas(RTE_CACHE_LINE_SIZE) struct gen_hist hist;
	struct gen_hist *cls_hist; /* --mix: one per class, else NULL */
};

static struct gen_opts opts;
static struct gen_pkt_tmpl tmpl;
static struct gen_pkt_match match;
static struct gen_lcore *ctxs[RTE_MAX_LCORE];
static struct gen_tcp_conf tcp_conf;
static char tcp_host[16];
static unsigned int n_tx, n_rx;
static struct dp_port port;
static struct rte_mempool *pool;
static uint64_t hz;

static volatile int gen_tx_stop; /* first signal: stop sending, drain */
static volatile int gen_quit;	 /* second signal: stop now */
static uint32_t gen_tx_running;	 /* TX lcores still sending */
static uint32_t gen_loops_done;	 /* loops that returned */

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

static void
on_signal(int sig)
{
	RTE_SET_USED(sig);
	if (gen_tx_stop)
		gen_quit = 1;
	gen_tx_stop = 1;
}

static const char *
role_name(uint8_t role)
{
	return role == GEN_ROLE_TXRX ? "txrx" : role == GEN_ROLE_TX ? "tx" : "rx";
}

static void
fmt_ip(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* Where frames to --dst-ip go: itself when on-link, else the gateway. */
static uint32_t
gen_nexthop(void)
{
	uint32_t mask = opts.prefix_len == 32 ? UINT32_MAX : ~(UINT32_MAX >> opts.prefix_len);

	return ((opts.dst_ip ^ opts.src_ip) & mask) == 0 || opts.gateway == 0 ? opts.dst_ip
									      : opts.gateway;
}

/* The stack's tx callback, and the path of ARP answers: straight to the
 * lcore's own TX queue; these are rare, so no buffering. */
static void
gen_ctl_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct gen_lcore *c = arg;
	uint16_t sent = rte_eth_tx_burst(port_id, c->txq, pkts, n);

	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		c->st.ctl_tx_full += n - sent;
		if (c->stk != NULL)
			stk_count_drop(c->stk, STK_DROP_TX_FULL, n - sent);
	}
}

static inline void
gen_tx_burst(struct gen_lcore *c, uint64_t now)
{
	struct rte_mbuf **pkts = c->pend;
	uint64_t n, tsc;
	uint16_t i, sent, n_new, len = c->tmpl->c.frame_len;
	uint32_t f = c->flow;

	n = gen_pace_take(&c->pace, now, c->burst);
	if (n == 0)
		return;
	/* What the TX ring refused last time goes first, with its sequence
	 * numbers; new requests fill the burst up to the quota. */
	if (n < c->n_pend)
		n = c->n_pend;
	n_new = (uint16_t)RTE_MIN(n - c->n_pend, c->quota - c->seq);
	if (n_new != 0 && unlikely(rte_pktmbuf_alloc_bulk(c->mp, pkts + c->n_pend, n_new) != 0)) {
		c->st.tx_nombuf++;
		n_new = 0;
	}
	n = c->n_pend + n_new;
	if (n == 0) {
		gen_pace_commit(&c->pace, 0);
		return;
	}
	tsc = rte_rdtsc();
	/* While the ring stays full this runs back to back: re-stamp at most
	 * once a microsecond (the stamp is then at most 1 us early). */
	if (c->n_pend != 0 && tsc - c->pend_tsc > c->restamp_ticks) {
		for (i = 0; i < c->n_pend; i++)
			gen_pkt_restamp(rte_pktmbuf_mtod(pkts[i], uint8_t *), tsc);
		c->pend_tsc = tsc;
	} else if (c->n_pend != 0) {
		tsc = c->pend_tsc; /* the new ones share the refused ones' stamp */
	} else {
		c->pend_tsc = tsc;
	}
	for (i = c->n_pend; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		m->data_len = len;
		m->pkt_len = len;
		gen_pkt_build(c->tmpl, rte_pktmbuf_mtod(m, uint8_t *), f, c->tx_id, c->seq++, tsc);
		f += c->flow_step;
		if (f >= c->tmpl->c.n_flows)
			f -= c->tmpl->c.n_flows;
	}
	c->flow = f;
	sent = rte_eth_tx_burst(c->port_id, c->txq, pkts, (uint16_t)n);
	c->n_pend = (uint16_t)(n - sent);
	if (unlikely(c->n_pend != 0)) {
		memmove(pkts, pkts + sent, c->n_pend * sizeof(pkts[0]));
		c->st.tx_full++;
	}
	c->st.tx_pkts += sent;
	c->st.tx_bytes += (uint64_t)sent * len;
	gen_pace_commit(&c->pace, sent);
}

/* The run's end: requests never sent are never counted. */
static void
gen_tx_drop_pending(struct gen_lcore *c)
{
	if (c->n_pend != 0)
		rte_pktmbuf_free_bulk(c->pend, c->n_pend);
	c->n_pend = 0;
}

static inline void
gen_rx_burst(struct gen_lcore *c, uint16_t q)
{
	struct rte_mbuf *pkts[256], *to_free[256], *to_stk[256];
	uint16_t nb, i, n_free = 0, n_stk = 0;
	struct gen_reply r;
	uint64_t now;

	nb = rte_eth_rx_burst(c->port_id, q, pkts, c->burst);
	if (nb == 0)
		return;
	now = rte_rdtsc();
	c->st.rx_pkts += nb;
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];
		enum gen_rx k;

		if (i + 4 < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		if (unlikely(m->nb_segs != 1))
			k = GEN_RX_SEGMENTED;
		else
			k = gen_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *),
					  rte_pktmbuf_data_len(m), c->match, &r);
		c->st.rx_kind[k]++;
		switch (k) {
		case GEN_RX_REPLY:
			{
				uint64_t ns = 0;

				if (likely(r.tsc <= now))
					ns = gen_tsc_to_ns(now - r.tsc, c->ns_mult);
				else
					c->st.rx_ts_future++;
				gen_hist_record(&c->hist, ns);
				c->st.rx_cls[r.cls]++;
				if (c->cls_hist != NULL)
					gen_hist_record(&c->cls_hist[r.cls], ns);
			}
			if (likely(r.seq >= c->next_seq[r.tx_id]))
				c->next_seq[r.tx_id] = r.seq + 1;
			else
				c->st.rx_reordered++;
			to_free[n_free++] = m;
			break;
		case GEN_RX_OTHER:
			to_stk[n_stk++] = m;
			break;
		case GEN_RX_ARP_EXTRA:
			m->data_len = (uint16_t)gen_pkt_arp_answer(rte_pktmbuf_mtod(m, uint8_t *),
								   c->match);
			m->pkt_len = m->data_len;
			gen_ctl_tx(c, c->port_id, &m, 1);
			break;
		default:
			to_free[n_free++] = m;
			break;
		}
	}
	if (n_free != 0)
		rte_pktmbuf_free_bulk(to_free, n_free);
	if (n_stk != 0) {
		stk_set_time(c->stk, now);
		stk_input_burst(c->stk, c->port_id, to_stk, n_stk);
	}
}

static int
gen_lcore_main(void *arg)
{
	struct gen_lcore *c = ctxs[rte_lcore_id()];
	uint64_t now, last_timer, drain_deadline = 0, timer_ticks = hz / GEN_TIMER_HZ;
	uint64_t drain_ticks = hz / 1000 * opts.drain_ms, prev, gap;
	uint64_t stall_ticks = hz / 1000000 * GEN_STALL_US;
	uint16_t q;
	bool tx_active;

	RTE_SET_USED(arg);
	if (c == NULL)
		return 0;
	now = last_timer = prev = rte_rdtsc();
	tx_active = (c->role & GEN_ROLE_TX) != 0;
	if (tx_active) {
		c->st.tx_start = now;
		c->pace.start = now;
		c->pace.next = now;
		c->end_tsc = opts.duration > 0 ? now + (uint64_t)(opts.duration * (double)hz)
					       : UINT64_MAX;
	}
	while (likely(!gen_quit)) {
		now = rte_rdtsc();
		gap = now - prev;
		prev = now;
		if (unlikely(gap > stall_ticks)) {
			c->st.stalls++;
			c->st.stall_ticks += gap;
			if (gap > c->st.max_gap)
				c->st.max_gap = gap;
		}
		if (tx_active) {
			if (unlikely(gen_tx_stop || now >= c->end_tsc ||
				     c->st.tx_pkts >= c->quota)) {
				tx_active = false;
				gen_tx_drop_pending(c);
				c->st.tx_end = now;
				c->st.tx_skipped = c->pace.skipped;
				__atomic_sub_fetch(&gen_tx_running, 1, __ATOMIC_RELEASE);
			} else {
				gen_tx_burst(c, now);
			}
		}
		for (q = 0; q < c->n_rxq; q++)
			gen_rx_burst(c, c->rxq[q]);
		if (!tx_active) {
			if (!(c->role & GEN_ROLE_RX))
				break;
			/* Replies to the last requests are still on the way:
			 * wait drain_ms after the last TX lcore finished. */
			if (__atomic_load_n(&gen_tx_running, __ATOMIC_ACQUIRE) == 0) {
				if (drain_deadline == 0)
					drain_deadline = now + drain_ticks;
				else if (now >= drain_deadline)
					break;
			}
		}
		if (c->stk != NULL && unlikely(now - last_timer >= timer_ticks)) {
			stk_set_time(c->stk, now);
			stk_timer_run(c->stk);
			last_timer = now;
		}
	}
	if (tx_active) { /* second signal while sending */
		gen_tx_drop_pending(c);
		c->st.tx_end = rte_rdtsc();
		c->st.tx_skipped = c->pace.skipped;
		__atomic_sub_fetch(&gen_tx_running, 1, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&gen_loops_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* The TCP modes' loop: every frame goes to the stack, whose callbacks
 * (gen_tcp.c) match replies with requests; paced requests leave from
 * gen_tcp_poll(). */
static int
gen_tcp_lcore_main(void *arg)
{
	struct gen_lcore *c = ctxs[rte_lcore_id()];
	struct rte_mbuf *pkts[256];
	uint64_t now, prev, gap, last_timer, timer_ticks = hz / GEN_TIMER_HZ;
	uint64_t stall_ticks = hz / 1000000 * GEN_STALL_US;
	struct gen_tcp_stats *st;
	uint16_t q, nb;

	RTE_SET_USED(arg);
	if (c == NULL || c->tcp == NULL)
		return 0;
	st = gen_tcp_stats_w(c->tcp);
	now = prev = last_timer = rte_rdtsc();
	stk_set_time(c->stk, now);
	gen_tcp_start(c->tcp, now); /* --duration counts from the load's start */
	while (likely(!gen_quit)) {
		uint64_t rx0 = st->rx_pkts, sent0 = st->sent;

		now = rte_rdtsc();
		gap = now - prev;
		prev = now;
		if (unlikely(gap > stall_ticks)) {
			st->stalls++;
			st->stall_ticks += gap;
			if (gap > st->max_gap)
				st->max_gap = gap;
		}
		for (q = 0; q < c->n_rxq; q++) {
			nb = rte_eth_rx_burst(c->port_id, c->rxq[q], pkts, c->burst);
			if (nb == 0)
				continue;
			st->rx_pkts += nb;
			stk_set_time(c->stk, now);
			gen_tcp_set_now(c->tcp, now);
			stk_input_burst(c->stk, c->port_id, pkts, nb);
		}
		if (gen_tcp_poll(c->tcp, now, gen_tx_stop))
			break;
		/* as sluice's busy_cycles: iterations that received or sent */
		if (st->rx_pkts != rx0 || st->sent != sent0)
			st->busy_ticks += rte_rdtsc() - now;
		if (unlikely(now - last_timer >= timer_ticks)) {
			stk_set_time(c->stk, now);
			stk_timer_run(c->stk);
			last_timer = now;
		}
	}
	__atomic_add_fetch(&gen_loops_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- progress lines ---- */

static void
sum_counts(uint64_t *tx, uint64_t *rx)
{
	unsigned int i;

	*tx = *rx = 0;
	for (i = 0; i < RTE_MAX_LCORE; i++)
		if (ctxs[i] != NULL && ctxs[i]->tcp != NULL) {
			*tx += gen_tcp_stats(ctxs[i]->tcp)->sent;
			*rx += gen_tcp_stats(ctxs[i]->tcp)->completed;
		} else if (ctxs[i] != NULL) {
			*tx += ctxs[i]->st.tx_pkts;
			*rx += ctxs[i]->st.rx_kind[GEN_RX_REPLY];
		}
}

static volatile int stats_done;

static void *
stats_thread(void *arg)
{
	uint64_t start = rte_rdtsc(), period = (uint64_t)(opts.stats_interval * (double)hz);
	uint64_t next = start + period, ptx = 0, prx = 0, pt = start;

	RTE_SET_USED(arg);
	while (!stats_done) {
		uint64_t now, tx, rx;
		double dt;

		usleep(20000);
		now = rte_rdtsc();
		if (period == 0 || now < next)
			continue;
		sum_counts(&tx, &rx);
		dt = (double)(now - pt) / (double)hz;
		printf("[%6.1fs] tx %8.3f Mpps  rx %8.3f Mpps  sent %" PRIu64 "  replies %" PRIu64
		       "  outstanding %" PRId64 "\n",
		       (double)(now - start) / (double)hz, (double)(tx - ptx) / dt / 1e6,
		       (double)(rx - prx) / dt / 1e6, tx, rx, (int64_t)(tx - rx));
		fflush(stdout);
		ptx = tx;
		prx = rx;
		pt = now;
		next += period;
	}
	return NULL;
}

/* ---- set-up ---- */

static void
layout_default(void)
{
	unsigned int lcore;

	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		/* the TCP modes run on one lcore: the first worker */
		if (opts.n_layout == GEN_MAX_LAYOUT ||
		    (opts.proto != GEN_PROTO_UDP && opts.n_layout == 1))
			break;
		opts.layout[opts.n_layout].lcore = (uint16_t)lcore;
		opts.layout[opts.n_layout].role = GEN_ROLE_TXRX;
		opts.n_layout++;
	}
	if (opts.n_layout == 0) {
		opts.layout[0].lcore = (uint16_t)rte_get_main_lcore();
		opts.layout[0].role = GEN_ROLE_TXRX;
		opts.n_layout = 1;
	}
}

static void
wait_link(void)
{
	struct rte_eth_link link;
	unsigned int ms;

	for (ms = 0; ms < GEN_LINK_WAIT_MS; ms += 10) {
		if (rte_eth_link_get_nowait(port.port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return;
		if (gen_tx_stop)
			break;
		rte_delay_ms(10);
	}
	fprintf(stderr,
		"sluice-gen: port %u (%s): link still down after %u s. For net_memif, start the "
		"server (e.g. sluice with net_memif0,role=server,socket=...) first and give both "
		"the same socket; for af_packet, bring the interface up\n",
		port.port_id, port.dev_name, GEN_LINK_WAIT_MS / 1000);
	dp_port_close(&port);
	rte_eal_cleanup();
	exit(EXIT_USAGE);
}

/* Poll every RX queue on the main lcore (no loop runs yet): probe replies
 * are noted, the rest goes to @p c's stack (ARP replies, requests). */
static unsigned int
setup_poll(struct gen_lcore *c, uint64_t *probe_rtt)
{
	struct rte_mbuf *pkts[32];
	unsigned int probes = 0;
	uint16_t q, nb, i;
	uint64_t now = rte_rdtsc();

	stk_set_time(c->stk, now);
	for (q = 0; q < port.n_rxq; q++) {
		nb = rte_eth_rx_burst(port.port_id, q, pkts, RTE_DIM(pkts));
		now = rte_rdtsc();
		for (i = 0; i < nb; i++) {
			struct gen_reply r;
			enum gen_rx k = gen_pkt_parse(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
						      rte_pktmbuf_data_len(pkts[i]), &match, &r);

			if (k == GEN_RX_PROBE) {
				probes++;
				*probe_rtt = now - r.tsc;
				rte_pktmbuf_free(pkts[i]);
			} else if (k == GEN_RX_OTHER) {
				stk_input_burst(c->stk, port.port_id, &pkts[i], 1);
			} else if (k == GEN_RX_ARP_EXTRA) {
				pkts[i]->data_len = (uint16_t)gen_pkt_arp_answer(
					rte_pktmbuf_mtod(pkts[i], uint8_t *), &match);
				pkts[i]->pkt_len = pkts[i]->data_len;
				gen_ctl_tx(c, port.port_id, &pkts[i], 1);
			} else {
				rte_pktmbuf_free(pkts[i]);
			}
		}
	}
	stk_timer_run(c->stk);
	return probes;
}

/* The next hop's MAC: --dst-mac, or ARP through @p c's stack (a packet
 * sent to the target is waiting for it); exit 2 without an answer. */
static void
arp_wait(struct gen_lcore *c, uint64_t start, struct rte_ether_addr *mac, unsigned int *probes,
	 uint64_t *probe_rtt)
{
	uint32_t nexthop = gen_nexthop();
	uint64_t limit;
	char hopb[16];

	fmt_ip(nexthop, hopb, sizeof(hopb));
	if (opts.dst_mac_set) {
		*mac = opts.dst_mac;
		return;
	}
	limit = start + hz / 1000 * GEN_ARP_RETRY_MS * (GEN_ARP_RETRIES + 1);
	while (stk_arp_lookup(c->stk, rte_cpu_to_be_32(nexthop), mac) != 0) {
		if (rte_rdtsc() > limit || gen_tx_stop) {
			fprintf(stderr,
				"sluice-gen: no ARP reply for %s on port %u (%s) within %u "
				"ms: "
				"is the peer up, on this link and configured with that "
				"address? Or give --dst-mac\n",
				hopb, port.port_id, port.dev_name,
				GEN_ARP_RETRY_MS * (GEN_ARP_RETRIES + 1));
			stk_tcp_abort_all(c->stk);
			stk_free(c->stk);
			c->stk = NULL;
			dp_port_close(&port);
			rte_eal_cleanup();
			exit(EXIT_USAGE);
		}
		*probes += setup_poll(c, probe_rtt);
		rte_delay_us(50);
	}
	printf("sluice-gen: %s is at " RTE_ETHER_ADDR_PRT_FMT " (ARP, %.3f ms)\n", hopb,
	       RTE_ETHER_ADDR_BYTES(mac), (double)(rte_rdtsc() - start) * 1e3 / (double)hz);
}

/* The target's MAC (or the gateway's): ARP through the stack, with a
 * probe request as the packet waiting for the answer; its echo tells us
 * the service answers before the load starts. */
static void
resolve_target(struct gen_lcore *c)
{
	uint64_t start = rte_rdtsc(), limit, probe_rtt = 0;
	struct rte_ether_addr mac;
	struct rte_mbuf *m;
	char ipb[16];
	uint8_t *pl;
	unsigned int probes = 0;

	fmt_ip(opts.dst_ip, ipb, sizeof(ipb));
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		die(EXIT_USAGE, "no mbuf for the ARP probe");
	pl = (uint8_t *)rte_pktmbuf_append(m, GEN_PAYLOAD_LEN);
	pl[0] = 'S';
	pl[1] = 'L';
	pl[2] = 'G';
	pl[3] = GEN_TX_PROBE;
	memset(pl + 4, 0, 8);
	memcpy(pl + 12, &start, sizeof(start));
	stk_set_time(c->stk, start);
	stk_udp_send(c->stk, rte_cpu_to_be_32(opts.dst_ip), opts.src_port, opts.dst_port, m);
	arp_wait(c, start, &mac, &probes, &probe_rtt);
	limit = rte_rdtsc() + hz / 1000 * GEN_PROBE_WAIT_MS;
	while (probes == 0 && rte_rdtsc() < limit && !gen_tx_stop) {
		probes += setup_poll(c, &probe_rtt);
		rte_delay_us(50);
	}
	if (probes != 0)
		printf("sluice-gen: %s:%u answers (probe round trip %.1f us)\n", ipb, opts.dst_port,
		       (double)probe_rtt * 1e6 / (double)hz);
	else
		printf("sluice-gen: warning: no reply to the probe from %s:%u within %u ms; is a "
		       "UDP echo service listening there? Sending anyway\n",
		       ipb, opts.dst_port, GEN_PROBE_WAIT_MS);
	tmpl.c.dst_mac = mac;
}

/* The TCP modes' probe: the first connection's SYN waits for ARP, and its
 * handshake tells us the server listens (exit 2 if it does not). */
static void
resolve_target_tcp(struct gen_lcore *c)
{
	uint64_t start = rte_rdtsc(), limit, probe_rtt = 0;
	struct rte_ether_addr mac;
	const char *why = NULL;
	unsigned int probes = 0;
	char ipb[16];
	int st = 0;

	fmt_ip(opts.dst_ip, ipb, sizeof(ipb));
	stk_set_time(c->stk, start);
	if (gen_tcp_open_first(c->tcp) != 0) {
		gen_tcp_first_state(c->tcp, &why);
		die(EXIT_USAGE, "%s:%u: %s", ipb, opts.dst_port, why != NULL ? why : "?");
	}
	arp_wait(c, start, &mac, &probes, &probe_rtt);
	limit = rte_rdtsc() + hz / 1000 * GEN_PROBE_WAIT_MS * 5;
	while ((st = gen_tcp_first_state(c->tcp, &why)) == 0 && rte_rdtsc() < limit &&
	       !gen_tx_stop) {
		setup_poll(c, &probe_rtt);
		rte_delay_us(20);
	}
	if (st != 1) {
		fprintf(stderr, "sluice-gen: %s:%u: %s\n", ipb, opts.dst_port,
			st < 0 && why != NULL
				? why
				: "no answer to the first connection's SYN within 5 s");
		stk_tcp_abort_all(c->stk);
		gen_tcp_free(c->tcp);
		stk_free(c->stk);
		dp_port_close(&port);
		rte_eal_cleanup();
		exit(EXIT_USAGE);
	}
	printf("sluice-gen: %s:%u accepts TCP connections (first handshake %.1f us after ARP)\n",
	       ipb, opts.dst_port, (double)(rte_rdtsc() - start) * 1e6 / (double)hz);
	tmpl.c.dst_mac = mac;
}

/* ---- the report ---- */

struct gen_total {
	uint64_t tx, rx, tx_bytes, reordered, ts_future, tx_full, tx_nombuf, skipped, ctl_full;
	uint64_t rx_pkts, kinds[GEN_RX_MAX];
	uint64_t stalls, stall_ticks, max_gap;
	uint64_t t0, t1;
	struct gen_hist *hist;
	/* --mix: per class requests sent, replies and round trips */
	uint64_t cls_tx[GEN_PKT_MAX_CLASSES], cls_rx[GEN_PKT_MAX_CLASSES];
	struct gen_hist *cls_hist;
	uint64_t drops[STK_DROP_MAX];
	struct stk_stats stk;
	struct rte_eth_stats ps;
};

static unsigned int
n_lcores_run(void)
{
	return opts.n_layout ? opts.n_layout : 1;
}

static double
lcore_window(const struct gen_lcore *c, const struct gen_total *t)
{
	uint64_t a = c->st.tx_start, b = c->st.tx_end;

	if (!(c->role & GEN_ROLE_TX) || b <= a) {
		a = t->t0;
		b = t->t1;
	}
	return b > a ? (double)(b - a) / (double)hz : 0.0;
}

static void
report_text(const struct gen_total *t, FILE *out)
{
	double win = t->t1 > t->t0 ? (double)(t->t1 - t->t0) / (double)hz : 0.0;
	int64_t lost = (int64_t)(t->tx - t->rx);
	char rate[32];
	unsigned int i, k;

	if (opts.rate)
		snprintf(rate, sizeof(rate), "%" PRIu64 " pps paced", opts.rate);
	else
		snprintf(rate, sizeof(rate), "max rate");
	fprintf(out,
		"\nsluice-gen: %.3f s sending, %s, %u B frames, %u flows, %u TX / %u RX lcore(s)\n",
		win, rate, opts.size, opts.flows, n_tx, n_rx);
	fprintf(out, "  %5s %-5s %13s %9s %13s %9s %10s %10s\n", "lcore", "role", "tx pkts",
		"tx Mpps", "rx replies", "rx Mpps", "tx full", "skipped");
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct gen_lcore *c = ctxs[i];
		double w;

		if (c == NULL)
			continue;
		w = lcore_window(c, t);
		fprintf(out,
			"  %5u %-5s %13" PRIu64 " %9.3f %13" PRIu64 " %9.3f %10" PRIu64
			" %10" PRIu64 "\n",
			c->lcore_id, role_name(c->role), c->st.tx_pkts,
			w > 0 ? (double)c->st.tx_pkts / w / 1e6 : 0.0, c->st.rx_kind[GEN_RX_REPLY],
			w > 0 ? (double)c->st.rx_kind[GEN_RX_REPLY] / w / 1e6 : 0.0, c->st.tx_full,
			c->st.tx_skipped);
	}
	fprintf(out,
		"  %5s %-5s %13" PRIu64 " %9.3f %13" PRIu64 " %9.3f %10" PRIu64 " %10" PRIu64 "\n",
		"total", "", t->tx, win > 0 ? (double)t->tx / win / 1e6 : 0.0, t->rx,
		win > 0 ? (double)t->rx / win / 1e6 : 0.0, t->tx_full, t->skipped);
	fprintf(out, "  requests %" PRIu64 "  replies %" PRIu64 "  lost %" PRId64 " (%.4f %%)",
		t->tx, t->rx, lost > 0 ? lost : 0,
		t->tx && lost > 0 ? 100.0 * (double)lost / (double)t->tx : 0.0);
	if (lost < 0)
		fprintf(out, "  duplicates %" PRId64, -lost);
	fprintf(out, "  reordered %" PRIu64 "\n", t->reordered);
	fprintf(out, "  round trip (us) %9s %9s %9s %9s %9s %9s %9s\n", "min", "p50", "p90", "p99",
		"p99.9", "max", "mean");
	if (t->hist->count != 0)
		fprintf(out, "  %-15s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", "",
			(double)t->hist->min / 1e3, (double)gen_hist_percentile(t->hist, 50) / 1e3,
			(double)gen_hist_percentile(t->hist, 90) / 1e3,
			(double)gen_hist_percentile(t->hist, 99) / 1e3,
			(double)gen_hist_percentile(t->hist, 99.9) / 1e3,
			(double)t->hist->max / 1e3, gen_hist_mean(t->hist) / 1e3);
	else
		fprintf(out, "  %-15s (no replies)\n", "");
	for (k = 0; k < opts.n_classes; k++) {
		const struct gen_hist *h = &t->cls_hist[k];
		int64_t cl = (int64_t)(t->cls_tx[k] - t->cls_rx[k]);
		char name[32];

		snprintf(name, sizeof(name), "class '%c' %u", opts.marker[k], opts.share[k]);
		if (h->count == 0) {
			fprintf(out, "  %-15s (no replies; %" PRIu64 " sent)\n", name, t->cls_tx[k]);
			continue;
		}
		fprintf(out,
			"  %-15s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f  sent %" PRIu64
			" lost %" PRId64 " (%.4f %%)\n",
			name, (double)h->min / 1e3, (double)gen_hist_percentile(h, 50) / 1e3,
			(double)gen_hist_percentile(h, 90) / 1e3,
			(double)gen_hist_percentile(h, 99) / 1e3,
			(double)gen_hist_percentile(h, 99.9) / 1e3, (double)h->max / 1e3,
			gen_hist_mean(h) / 1e3, t->cls_tx[k], cl > 0 ? cl : 0,
			t->cls_tx[k] && cl > 0 ? 100.0 * (double)cl / (double)t->cls_tx[k] : 0.0);
	}
	fprintf(out, "  rx frames %" PRIu64 ":", t->rx_pkts);
	for (k = 0; k < GEN_RX_MAX; k++)
		if (t->kinds[k] != 0)
			fprintf(out, " %s %" PRIu64, gen_rx_name(k), t->kinds[k]);
	if (t->ts_future)
		fprintf(out, " ts_future %" PRIu64, t->ts_future);
	if (t->tx_nombuf)
		fprintf(out, " tx_nombuf %" PRIu64, t->tx_nombuf);
	fprintf(out,
		"\n  lcore stalls > %u us: %" PRIu64 ", %.3f ms in all (%.3f %% of the run), "
		"longest %.1f us\n",
		GEN_STALL_US, t->stalls, (double)t->stall_ticks * 1e3 / (double)hz,
		win > 0 ? 100.0 * (double)t->stall_ticks / (double)hz / win / n_lcores_run() : 0.0,
		(double)t->max_gap * 1e6 / (double)hz);
	fprintf(out,
		"  stack: arp_requests_sent %" PRIu64 " arp_replies_sent %" PRIu64
		" icmp_echo_replies %" PRIu64 "; drops:",
		t->stk.arp_requests_sent, t->stk.arp_replies_sent, t->stk.icmp_echo_replies);
	for (k = 0; k < STK_DROP_MAX; k++)
		if (t->drops[k] != 0)
			fprintf(out, " %s %" PRIu64, stk_drop_name(k), t->drops[k]);
	fprintf(out,
		"\n  port %u (%s): ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64
		" ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n",
		port.port_id, port.dev_name, t->ps.ipackets, t->ps.opackets, t->ps.imissed,
		t->ps.ierrors, t->ps.oerrors, t->ps.rx_nombuf);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* The report's last members, "stack_drops" and "port"; closes @p f. */
static void
json_drops_port_end(FILE *f, const uint64_t *drops, const struct rte_eth_stats *ps)
{
	bool first = true;
	unsigned int k;

	fprintf(f, "  \"stack_drops\": {");
	for (k = 0; k < STK_DROP_MAX; k++)
		if (drops[k] != 0) {
			fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", stk_drop_name(k),
				drops[k]);
			first = false;
		}
	fprintf(f,
		"},\n  \"port\": {\"ipackets\": %" PRIu64 ", \"opackets\": %" PRIu64
		", \"imissed\": %" PRIu64 ", \"ierrors\": %" PRIu64 ", \"oerrors\": %" PRIu64
		", \"rx_nombuf\": %" PRIu64 "}\n}\n",
		ps->ipackets, ps->opackets, ps->imissed, ps->ierrors, ps->oerrors, ps->rx_nombuf);
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
}

static int
report_json(const struct gen_total *t, const char *path)
{
	double win = t->t1 > t->t0 ? (double)(t->t1 - t->t0) / (double)hz : 0.0;
	int64_t lost = (int64_t)(t->tx - t->rx);
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	char ipb[16], dstb[16];
	unsigned int i, k;
	bool first = true;

	if (f == NULL) {
		fprintf(stderr, "sluice-gen: --json %s: cannot write: %s\n", path, strerror(errno));
		return -errno;
	}
	fmt_ip(opts.src_ip, ipb, sizeof(ipb));
	fmt_ip(opts.dst_ip, dstb, sizeof(dstb));
	fprintf(f, "{\n  \"tool\": \"sluice-gen\",\n  \"config\": {\"port_dev\": ");
	json_str(f, opts.port_dev);
	fprintf(f,
		", \"src_ip\": \"%s/%u\", \"src_ips\": %u, \"src_port\": %u, \"dst_ip\": \"%s\""
		", \"dst_port\": %u, \"dst_mac\": \"" RTE_ETHER_ADDR_PRT_FMT "\", \"flows\": %u"
		", \"size\": %u, \"rate_pps\": %" PRIu64 ", \"rate\": \"%s\", \"duration_s\": %.6g"
		", \"count\": %" PRIu64 ", \"burst\": %u, \"drain_ms\": %u, \"lcores\": [",
		ipb, opts.prefix_len, opts.n_src_ips, opts.src_port, dstb, opts.dst_port,
		RTE_ETHER_ADDR_BYTES(&tmpl.c.dst_mac), opts.flows, opts.size, opts.rate,
		opts.rate ? "paced" : "max", opts.duration, opts.count, opts.burst, opts.drain_ms);
	for (i = 0; i < opts.n_layout; i++)
		fprintf(f, "%s{\"lcore\": %u, \"role\": \"%s\"}", i ? ", " : "",
			opts.layout[i].lcore, role_name(opts.layout[i].role));
	fprintf(f, "]},\n  \"tsc_hz\": %" PRIu64 ",\n  \"elapsed_s\": %.6f,\n", hz, win);
	fprintf(f,
		"  \"tx\": {\"pkts\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"mpps\": %.6f"
		", \"ring_full\": %" PRIu64 ", \"slots_skipped\": %" PRIu64 ", \"nombuf\": %" PRIu64
		"},\n",
		t->tx, t->tx_bytes, win > 0 ? (double)t->tx / win / 1e6 : 0.0, t->tx_full,
		t->skipped, t->tx_nombuf);
	fprintf(f, "  \"rx\": {\"replies\": %" PRIu64 ", \"mpps\": %.6f, \"frames\": %" PRIu64,
		t->rx, win > 0 ? (double)t->rx / win / 1e6 : 0.0, t->rx_pkts);
	for (k = 0; k < GEN_RX_MAX; k++)
		if (k != GEN_RX_REPLY) /* "replies" above */
			fprintf(f, ", \"%s\": %" PRIu64, gen_rx_name(k), t->kinds[k]);
	fprintf(f, ", \"ts_future\": %" PRIu64 "},\n", t->ts_future);
	fprintf(f,
		"  \"loss\": {\"sent\": %" PRIu64 ", \"received\": %" PRIu64 ", \"lost\": %" PRId64
		", \"loss_pct\": %.6f, \"duplicates\": %" PRId64 ", \"reordered\": %" PRIu64 "},\n",
		t->tx, t->rx, lost > 0 ? lost : 0,
		t->tx && lost > 0 ? 100.0 * (double)lost / (double)t->tx : 0.0,
		lost < 0 ? -lost : 0, t->reordered);
	fprintf(f,
		"  \"latency_ns\": {\"samples\": %" PRIu64 ", \"min\": %" PRIu64
		", \"p50\": %" PRIu64 ", \"p90\": %" PRIu64 ", \"p99\": %" PRIu64
		", \"p999\": %" PRIu64 ", \"max\": %" PRIu64
		", \"mean\": %.1f, \"overflow\": %" PRIu64 "},\n",
		t->hist->count, t->hist->count ? t->hist->min : 0, gen_hist_percentile(t->hist, 50),
		gen_hist_percentile(t->hist, 90), gen_hist_percentile(t->hist, 99),
		gen_hist_percentile(t->hist, 99.9), t->hist->max, gen_hist_mean(t->hist),
		t->hist->overflow);
	fprintf(f, "  \"classes\": [");
	for (k = 0; k < opts.n_classes; k++) {
		const struct gen_hist *h = &t->cls_hist[k];
		int64_t cl = (int64_t)(t->cls_tx[k] - t->cls_rx[k]);

		fprintf(f,
			"%s\n    {\"marker\": \"%c\", \"share\": %u, \"sent\": %" PRIu64
			", \"received\": %" PRIu64 ", \"lost\": %" PRId64 ", \"loss_pct\": %.6f"
			", \"latency_ns\": {\"samples\": %" PRIu64 ", \"min\": %" PRIu64
			", \"p50\": %" PRIu64 ", \"p90\": %" PRIu64 ", \"p99\": %" PRIu64
			", \"p999\": %" PRIu64 ", \"max\": %" PRIu64 ", \"mean\": %.1f}}",
			k ? "," : "", opts.marker[k] == '"' || opts.marker[k] == '\\' ? '?' : opts.marker[k],
			opts.share[k], t->cls_tx[k], t->cls_rx[k], cl > 0 ? cl : 0,
			t->cls_tx[k] && cl > 0 ? 100.0 * (double)cl / (double)t->cls_tx[k] : 0.0,
			h->count, h->count ? h->min : 0, gen_hist_percentile(h, 50),
			gen_hist_percentile(h, 90), gen_hist_percentile(h, 99),
			gen_hist_percentile(h, 99.9), h->max, gen_hist_mean(h));
	}
	fprintf(f, "%s],\n", opts.n_classes ? "\n  " : "");
	fprintf(f,
		"  \"stalls\": {\"threshold_us\": %u, \"count\": %" PRIu64 ", \"total_ms\": %.3f"
		", \"longest_us\": %.1f},\n",
		GEN_STALL_US, t->stalls, (double)t->stall_ticks * 1e3 / (double)hz,
		(double)t->max_gap * 1e6 / (double)hz);
	fprintf(f, "  \"lcores\": [");
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct gen_lcore *c = ctxs[i];
		double w;

		if (c == NULL)
			continue;
		w = lcore_window(c, t);
		fprintf(f,
			"%s\n    {\"lcore\": %u, \"role\": \"%s\", \"tx_pkts\": %" PRIu64
			", \"tx_mpps\": %.6f, \"rx_replies\": %" PRIu64 ", \"rx_mpps\": %.6f"
			", \"tx_ring_full\": %" PRIu64 ", \"tx_slots_skipped\": %" PRIu64
			", \"stalls\": %" PRIu64 ", \"stall_ms\": %.3f}",
			first ? "" : ",", c->lcore_id, role_name(c->role), c->st.tx_pkts,
			w > 0 ? (double)c->st.tx_pkts / w / 1e6 : 0.0, c->st.rx_kind[GEN_RX_REPLY],
			w > 0 ? (double)c->st.rx_kind[GEN_RX_REPLY] / w / 1e6 : 0.0, c->st.tx_full,
			c->st.tx_skipped, c->st.stalls,
			(double)c->st.stall_ticks * 1e3 / (double)hz);
		first = false;
	}
	fprintf(f, "\n  ],\n");
	json_drops_port_end(f, t->drops, &t->ps);
	return 0;
}

/* The TCP modes' report: gen_tcp's part, then the stack, the stalls and
 * the port, as in the UDP report. */
static void
report_tcp(const struct gen_total *t, const struct gen_lcore *c)
{
	const struct gen_tcp_stats *s = gen_tcp_stats(c->tcp);
	const struct gen_hist *h = gen_tcp_hist(c->tcp);
	double win = s->t_end > s->t_start ? (double)(s->t_end - s->t_start) / (double)hz : 0.0;
	struct stk_stats ss;
	uint64_t d[STK_DROP_MAX];
	FILE *f;
	unsigned int k;

	stk_stats_read(c->stk, &ss, d);
	gen_tcp_report_text(&tcp_conf, s, h, hz, stdout);
	printf("  stack: tcp_tx %" PRIu64 " tcp_rx %" PRIu64 " retransmits %" PRIu64 " rto %" PRIu64
	       " resets received %" PRIu64 "; drops:",
	       ss.tcp_tx, ss.tcp_rx, ss.tcp_retransmits, ss.tcp_rto, ss.tcp_rst_rcvd);
	for (k = 0; k < STK_DROP_MAX; k++)
		if (d[k] != 0)
			printf(" %s %" PRIu64, stk_drop_name(k), d[k]);
	printf("\n  lcore stalls > %u us: %" PRIu64 ", %.3f ms in all, longest %.1f us\n",
	       GEN_STALL_US, s->stalls, (double)s->stall_ticks * 1e3 / (double)hz,
	       (double)s->max_gap * 1e6 / (double)hz);
	printf("  port %u (%s): ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64
	       " ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n",
	       port.port_id, port.dev_name, t->ps.ipackets, t->ps.opackets, t->ps.imissed,
	       t->ps.ierrors, t->ps.oerrors, t->ps.rx_nombuf);
	if (opts.json[0] == '\0')
		return;
	f = strcmp(opts.json, "-") == 0 ? stdout : fopen(opts.json, "w");
	if (f == NULL) {
		fprintf(stderr, "sluice-gen: --json %s: cannot write: %s\n", opts.json,
			strerror(errno));
		return;
	}
	fprintf(f, "{\n  \"tool\": \"sluice-gen\",\n  \"proto\": \"%s\",\n",
		gen_proto_name(tcp_conf.proto));
	fprintf(f, "  \"config\": {\"port_dev\": ");
	json_str(f, opts.port_dev);
	fprintf(f, ", \"dst\": \"%s:%u\", \"conns\": %u, \"pipeline\": %u, \"rate_rps\": %" PRIu64
		   ", \"rate\": \"%s\", \"duration_s\": %.6g, \"count\": %" PRIu64,
		tcp_host, opts.dst_port, opts.conns, opts.depth, opts.rate,
		opts.rate ? "paced" : "max", opts.duration, opts.count);
	if (tcp_conf.proto == GEN_PROTO_MEMCACHED)
		fprintf(f, ", \"keys\": %u, \"value_size\": %u, \"get_ratio\": %.3f",
			opts.keys, opts.value_size, opts.get_permille / 1000.0);
	else {
		fprintf(f, ", \"http_path\": ");
		json_str(f, opts.http_path);
	}
	fprintf(f, "},\n  \"tsc_hz\": %" PRIu64 ",\n  \"elapsed_s\": %.6f,\n", hz, win);
	gen_tcp_report_json(&tcp_conf, s, h, hz, f);
	fprintf(f,
		"  \"stack\": {\"tcp_tx\": %" PRIu64 ", \"tcp_rx\": %" PRIu64
		", \"retransmits\": %" PRIu64 ", \"rto\": %" PRIu64 ", \"rst_rcvd\": %" PRIu64
		"},\n",
		ss.tcp_tx, ss.tcp_rx, ss.tcp_retransmits, ss.tcp_rto, ss.tcp_rst_rcvd);
	fprintf(f,
		"  \"stalls\": {\"threshold_us\": %u, \"count\": %" PRIu64
		", \"total_ms\": %.3f, \"longest_us\": %.1f},\n",
		GEN_STALL_US, s->stalls, (double)s->stall_ticks * 1e3 / (double)hz,
		(double)s->max_gap * 1e6 / (double)hz);
	json_drops_port_end(f, d, &t->ps);
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	static struct gen_total tot;
	static struct gen_tcp_stats tcp_st;
	struct gen_pkt_conf pc;
	char err[1024];
	int eal_argc = argc, ret, i;
	unsigned int k, tx_i = 0, rx_i = 0, leaked = 0;
	uint16_t n_txq, n_rxq;
	struct gen_lcore *arp_ctx = NULL;
	bool main_runs = false;
	pthread_t tid;
	int stats_ret = -1;

	/* Our options come after "--"; check them before EAL so that --help
	 * and usage errors need neither hugepages nor a port. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	if (eal_argc == argc) {
		for (i = 1; i < argc; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				gen_opts_usage(stdout);
				return 0;
			}
		fprintf(stderr, "sluice-gen: no '--': give EAL options, then '--', then ours\n\n");
		gen_opts_usage(stderr);
		return EXIT_USAGE;
	}
	argv[eal_argc] = argv[0];
	ret = gen_opts_parse(&opts, argc - eal_argc, argv + eal_argc, stdout, err, sizeof(err));
	argv[eal_argc] = (char *)(uintptr_t) "--";
	if (ret == 1)
		return 0;
	if (ret != 0)
		die(EXIT_USAGE, "%s", err);

	ret = dp_eal_init(eal_argc, argv, err, sizeof(err));
	if (ret < 0)
		die(EXIT_USAGE, "%s", err);
	hz = rte_get_tsc_hz();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (opts.n_layout == 0)
		layout_default();
	for (i = 0; i < opts.n_layout; i++) {
		const struct gen_layout *l = &opts.layout[i];

		if (l->lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l->lcore)) {
			rte_eal_cleanup();
			die(EXIT_USAGE,
			    "--lcores: lcore %u is not enabled; give it to EAL with -l (e.g. -l "
			    "%u)",
			    l->lcore, l->lcore);
		}
		n_tx += (l->role & GEN_ROLE_TX) != 0;
		n_rx += (l->role & GEN_ROLE_RX) != 0;
	}
	if (opts.rate != 0 && opts.rate < n_tx) {
		rte_eal_cleanup();
		die(EXIT_USAGE,
		    "--rate %" PRIu64 " is below one packet per second per TX lcore (%u)",
		    opts.rate, n_tx);
	}
	/* A queue pair per lcore: TX queues because every lcore sends (RX
	 * lcores answer ARP), RX queues because devices such as af_packet
	 * (qpairs=N) or an RSS NIC spread what arrives over all their queues;
	 * every RX queue is polled by one of the RX lcores (l3fwd's way). */
	n_txq = opts.n_layout;
	n_rxq = opts.n_layout;

	ret = dp_port_find("port", opts.port_dev, &port, err, sizeof(err));
	if (ret != 0) {
		rte_eal_cleanup();
		die(EXIT_USAGE, "--port-dev: %s", err);
	}
	{
		struct rte_eth_dev_info info;

		/* af_packet fans frames out over all its qpairs sockets: one
		 * left unconfigured loses its share without a counter. */
		if (rte_eth_dev_info_get(port.port_id, &info) == 0 &&
		    strcmp(info.driver_name, "net_af_packet") == 0 && info.max_rx_queues > n_rxq) {
			rte_eal_cleanup();
			die(EXIT_USAGE,
			    "--port-dev %s: af_packet has %u queue pairs but %u lcore(s) use it; "
			    "frames the kernel hashes to the other sockets would be lost: give "
			    "qpairs=%u or %u lcores in --lcores",
			    opts.port_dev, info.max_rx_queues, n_rxq, n_rxq, info.max_rx_queues);
		}
	}
	pool = dp_mempool_create(port.socket_id,
				 dp_mempool_size((unsigned int)opts.rxd * n_rxq,
						 (unsigned int)opts.txd * n_txq, opts.n_layout, 1,
						 opts.burst,
						 opts.n_layout * (GEN_ARP_PENDING + 256u) +
							 (opts.proto != GEN_PROTO_UDP ? opts.conns * 16u
										      : 0)),
				 err, sizeof(err));
	if (pool == NULL) {
		rte_eal_cleanup();
		die(EXIT_USAGE, "%s", err);
	}
	{
		struct dp_port_params pp = {
			.name = "port",
			.dev = opts.port_dev,
			.n_rxq = n_rxq,
			.n_txq = n_txq,
			.rxd = opts.rxd,
			.txd = opts.txd,
			.mtu = 1500,
			.promisc = false,
			.rss = true,
			.mac = opts.src_mac_set ? &opts.src_mac : NULL,
		};

		ret = dp_port_setup(&pp, &port, pool, err, sizeof(err));
		if (ret != 0) {
			rte_eal_cleanup();
			die(EXIT_USAGE, "--port-dev %s: %s", opts.port_dev, err);
		}
	}

	memset(&pc, 0, sizeof(pc));
	pc.src_mac = port.mac;
	pc.src_ip = opts.src_ip;
	pc.n_src_ips = opts.n_src_ips;
	pc.dst_ip = opts.dst_ip;
	pc.src_port = opts.src_port;
	pc.dst_port = opts.dst_port;
	pc.n_flows = opts.flows;
	pc.frame_len = opts.size;
	pc.ttl = 64;
	pc.n_classes = opts.n_classes;
	memcpy(pc.marker, opts.marker, sizeof(pc.marker));
	memcpy(pc.share, opts.share, sizeof(pc.share));
	if (gen_pkt_tmpl_init(&tmpl, &pc, err, sizeof(err)) != 0) {
		rte_eal_cleanup();
		die(EXIT_USAGE, "%s", err);
	}
	gen_pkt_match_init(&match, &tmpl);
	if (opts.proto != GEN_PROTO_UDP) {
		fmt_ip(opts.dst_ip, tcp_host, sizeof(tcp_host));
		tcp_conf.proto = (enum gen_proto_id)opts.proto;
		tcp_conf.dst_ip = rte_cpu_to_be_32(opts.dst_ip);
		tcp_conf.dst_port = opts.dst_port;
		tcp_conf.conns = opts.conns;
		tcp_conf.depth = opts.depth;
		tcp_conf.keys = opts.keys;
		tcp_conf.value_size = opts.value_size;
		tcp_conf.get_permille = opts.get_permille;
		tcp_conf.http_path = opts.http_path;
		tcp_conf.http_host = tcp_host;
		tcp_conf.rate = opts.rate;
		tcp_conf.count = opts.count;
		tcp_conf.hz = hz;
		tcp_conf.drain_ms = opts.drain_ms;
		tcp_conf.burst = opts.burst;
		tcp_conf.prefill = opts.prefill;
		tcp_conf.duration_ticks =
			opts.duration > 0 ? (uint64_t)(opts.duration * (double)hz) : 0;
		/* distinct per run, so values of an earlier run are told apart */
		tcp_conf.run_id = (uint32_t)(rte_rdtsc() ^ ((uint64_t)getpid() << 16));
	}

	/* Per-lcore contexts; every lcore that receives has its own stack. */
	for (i = 0; i < opts.n_layout; i++) {
		const struct gen_layout *l = &opts.layout[i];
		int sock = dp_lcore_socket(l->lcore);
		struct gen_lcore *c =
			rte_zmalloc_socket("gen_lcore", sizeof(*c), RTE_CACHE_LINE_SIZE, sock);

		if (c == NULL) {
			rte_eal_cleanup();
			die(EXIT_USAGE, "cannot allocate the context of lcore %u (hugepages?)",
			    l->lcore);
		}
		c->lcore_id = l->lcore;
		c->role = l->role;
		c->port_id = port.port_id;
		c->txq = (uint16_t)i;
		c->burst = opts.burst;
		c->tmpl = &tmpl;
		c->match = &match;
		c->mp = pool;
		c->ns_mult = gen_ns_mult(hz);
		c->restamp_ticks = hz / 1000000;
		c->quota = UINT64_MAX;
		gen_hist_reset(&c->hist);
		if (opts.n_classes != 0) {
			unsigned int j;

			c->cls_hist = rte_zmalloc_socket("gen_cls_hist",
							 sizeof(*c->cls_hist) * opts.n_classes,
							 RTE_CACHE_LINE_SIZE, sock);
			if (c->cls_hist == NULL)
				die(EXIT_FAIL, "cannot allocate the per-class histograms");
			for (j = 0; j < opts.n_classes; j++)
				gen_hist_reset(&c->cls_hist[j]);
		}
		if (l->role & GEN_ROLE_TX) {
			uint64_t r = opts.rate ? gen_split(opts.rate, n_tx, tx_i) : 0;

			c->tx_id = (uint8_t)tx_i;
			c->flow = tx_i % opts.flows;
			c->flow_step = n_tx % opts.flows;
			if (opts.count)
				c->quota = gen_split(opts.count, n_tx, tx_i);
			/* catch up at most 1 ms (or two bursts) after a stall */
			gen_pace_init(&c->pace, hz, r, 0, RTE_MAX(2u * opts.burst, r / 1000));
			tx_i++;
		}
		if (l->role & GEN_ROLE_RX) {
			struct stk_conf sc;
			char name[32];

			memset(&sc, 0, sizeof(sc));
			snprintf(name, sizeof(name), "gen%u", l->lcore);
			sc.name = name;
			sc.socket_id = sock;
			sc.hz = hz;
			sc.mp = pool;
			sc.tx = gen_ctl_tx;
			sc.tx_arg = c;
			sc.n_ifs = 1;
			sc.ifs[0].port_id = port.port_id;
			sc.ifs[0].mac = port.mac;
			sc.ifs[0].ip = rte_cpu_to_be_32(opts.src_ip);
			sc.ifs[0].prefix_len = opts.prefix_len;
			sc.ifs[0].gateway = rte_cpu_to_be_32(opts.gateway);
			sc.ifs[0].mtu = 1500;
			sc.ifs[0].rx_cksum_offload = port.rx_cksum_offload;
			sc.ifs[0].tx_ip_cksum_offload = port.tx_ip_cksum_offload;
			sc.ifs[0].tx_udp_cksum_offload = port.tx_udp_cksum_offload;
			sc.arp_entries = 64;
			sc.arp_timeout_ms = 3600 * 1000;
			sc.arp_retry_ms = GEN_ARP_RETRY_MS;
			sc.arp_retries = GEN_ARP_RETRIES;
			sc.arp_pending_max = GEN_ARP_PENDING;
			if (opts.dst_mac_set) {
				uint32_t hop = gen_nexthop();

				sc.n_arp_static = 1;
				sc.arp_static[0].ip = rte_cpu_to_be_32(hop);
				sc.arp_static[0].mac = opts.dst_mac;
			}
			sc.icmp_rate = 100;
			sc.icmp_burst = 50;
			sc.ttl = 64;
			if (opts.proto != GEN_PROTO_UDP) {
				/* the client's connections, and room for the
				 * TIME-WAIT entries our closes leave */
				sc.tcp.max_conns = opts.conns * 2 + 16;
				sc.tcp.max_time_wait = opts.conns + 16;
				sc.tcp.nodelay = true;
			}
			c->stk = stk_create(&sc);
			if (c->stk == NULL) {
				rte_eal_cleanup();
				die(EXIT_USAGE, "lcore %u: cannot create the stack context: %s",
				    l->lcore, rte_strerror(rte_errno));
			}
			if (opts.proto != GEN_PROTO_UDP) {
				c->tcp = gen_tcp_create(&tcp_conf, c->stk, sock);
				if (c->tcp == NULL) {
					rte_eal_cleanup();
					die(EXIT_USAGE,
					    "lcore %u: cannot allocate %u connections (hugepages?)",
					    l->lcore, opts.conns);
				}
			}
			rx_i++;
			if (arp_ctx == NULL)
				arp_ctx = c;
		}
		ctxs[l->lcore] = c;
		if (l->lcore == rte_get_main_lcore())
			main_runs = true;
	}

	for (k = 0, rx_i = 0; k < n_rxq; k++) {
		struct gen_lcore *c = NULL;
		unsigned int want = k % n_rx, seen = 0;

		for (i = 0; i < opts.n_layout && c == NULL; i++)
			if ((opts.layout[i].role & GEN_ROLE_RX) && seen++ == want)
				c = ctxs[opts.layout[i].lcore];
		c->rxq[c->n_rxq++] = (uint16_t)k;
	}

	ret = dp_port_start(&port, err, sizeof(err));
	if (ret != 0) {
		bool memif = strcmp(port.driver, "net_memif") == 0;

		rte_eal_cleanup();
		die(EXIT_USAGE, "%s%s", err,
		    memif ? ": the memif client needs its server: start it first (e.g. sluice "
			    "with dev = net_memif0,role=server,socket=<the same socket>)"
			  : "");
	}
	printf("sluice-gen: port %u %s (%s), MAC " RTE_ETHER_ADDR_PRT_FMT ", %u rxq, %u txq\n",
	       port.port_id, port.dev_name, port.driver, RTE_ETHER_ADDR_BYTES(&port.mac), n_rxq,
	       n_txq);
	fflush(stdout);
	wait_link();
	if (opts.proto != GEN_PROTO_UDP)
		resolve_target_tcp(arp_ctx);
	else
		resolve_target(arp_ctx);
	/* rebuild with the resolved MAC; the match does not depend on it */
	pc.dst_mac = tmpl.c.dst_mac;
	if (gen_pkt_tmpl_init(&tmpl, &pc, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	for (i = 0; i < opts.n_layout; i++) {
		const struct gen_lcore *c = ctxs[opts.layout[i].lcore];

		printf("sluice-gen: lcore %u %s: txq %u", c->lcore_id, role_name(c->role), c->txq);
		for (k = 0; k < c->n_rxq; k++)
			printf("%s%u", k ? "," : ", rxq ", c->rxq[k]);
		printf("\n");
	}
	if (opts.proto != GEN_PROTO_UDP)
		printf("sluice-gen: %s, %u connections x pipeline %u, %s%s%.6g s%s\n",
		       gen_proto_name((enum gen_proto_id)opts.proto), opts.conns, opts.depth,
		       opts.rate ? "paced" : "max rate", opts.duration > 0 ? ", for " : "",
		       opts.duration > 0 ? opts.duration : 0.0, opts.count ? ", count set" : "");
	else
		printf("sluice-gen: %s, %u B frames, %u flows, %s%.6g s%s%s\n",
		       opts.rate ? "paced" : "max rate", opts.size, opts.flows,
		       opts.duration > 0 ? "for " : "", opts.duration > 0 ? opts.duration : 0.0,
		       opts.count ? ", count " : "", opts.count ? "set" : "");
	fflush(stdout);

	gen_tx_running = n_tx;
	if (opts.stats_interval > 0) {
		stats_ret = rte_ctrl_thread_create(&tid, "gen-stats", NULL, stats_thread, NULL);
		if (stats_ret != 0)
			fprintf(stderr, "sluice-gen: no progress lines: %s\n", strerror(stats_ret));
	}
	rte_eal_mp_remote_launch(opts.proto != GEN_PROTO_UDP ? gen_tcp_lcore_main : gen_lcore_main,
				 NULL, SKIP_MAIN);
	if (main_runs && opts.proto != GEN_PROTO_UDP)
		gen_tcp_lcore_main(NULL);
	else if (main_runs)
		gen_lcore_main(NULL);
	/* rte_eal_mp_wait_lcore() spins; sleep until the loops are done */
	while (__atomic_load_n(&gen_loops_done, __ATOMIC_ACQUIRE) < opts.n_layout)
		usleep(1000);
	rte_eal_mp_wait_lcore();
	stats_done = 1;
	if (stats_ret == 0)
		pthread_join(tid, NULL);

	/* Totals */
	tot.hist = rte_zmalloc("gen_hist_total", sizeof(*tot.hist), 0);
	if (tot.hist == NULL)
		die(EXIT_FAIL, "cannot allocate the merged histogram");
	gen_hist_reset(tot.hist);
	tot.cls_hist = rte_zmalloc("gen_cls_total", sizeof(*tot.cls_hist) * GEN_PKT_MAX_CLASSES, 0);
	if (tot.cls_hist == NULL)
		die(EXIT_FAIL, "cannot allocate the merged histograms");
	for (k = 0; k < GEN_PKT_MAX_CLASSES; k++)
		gen_hist_reset(&tot.cls_hist[k]);
	tot.t0 = UINT64_MAX;
	for (k = 0; k < RTE_MAX_LCORE; k++) {
		struct gen_lcore *c = ctxs[k];
		unsigned int j;

		if (c == NULL)
			continue;
		tot.tx += c->st.tx_pkts;
		tot.tx_bytes += c->st.tx_bytes;
		tot.rx += c->st.rx_kind[GEN_RX_REPLY];
		tot.rx_pkts += c->st.rx_pkts;
		tot.reordered += c->st.rx_reordered;
		tot.ts_future += c->st.rx_ts_future;
		tot.tx_full += c->st.tx_full;
		tot.tx_nombuf += c->st.tx_nombuf;
		tot.skipped += c->st.tx_skipped;
		tot.stalls += c->st.stalls;
		tot.stall_ticks += c->st.stall_ticks;
		tot.max_gap = RTE_MAX(tot.max_gap, c->st.max_gap);
		for (j = 0; j < GEN_RX_MAX; j++)
			tot.kinds[j] += c->st.rx_kind[j];
		if (c->role & GEN_ROLE_TX) {
			tot.t0 = RTE_MIN(tot.t0, c->st.tx_start);
			tot.t1 = RTE_MAX(tot.t1, c->st.tx_end);
		}
		gen_hist_merge(tot.hist, &c->hist);
		for (j = 0; j < opts.n_classes; j++) {
			uint64_t s, part = c->st.tx_pkts % tmpl.mix_len;

			/* this lcore sent its sequence numbers 0 .. tx_pkts-1 */
			tot.cls_tx[j] += c->st.tx_pkts / tmpl.mix_len * opts.share[j];
			for (s = 0; s < part; s++)
				tot.cls_tx[j] += tmpl.mix[s] == j;
			tot.cls_rx[j] += c->st.rx_cls[j];
			gen_hist_merge(&tot.cls_hist[j], &c->cls_hist[j]);
		}
		if (c->stk != NULL) {
			struct stk_stats ss;
			uint64_t d[STK_DROP_MAX];

			stk_stats_read(c->stk, &ss, d);
			for (j = 0; j < STK_DROP_MAX; j++)
				tot.drops[j] += d[j];
			tot.stk.arp_requests_sent += ss.arp_requests_sent;
			tot.stk.arp_replies_sent += ss.arp_replies_sent;
			tot.stk.icmp_echo_replies += ss.icmp_echo_replies;
		}
	}
	if (tot.t0 == UINT64_MAX)
		tot.t0 = tot.t1 = 0;
	rte_eth_stats_get(port.port_id, &tot.ps);
	if (opts.proto != GEN_PROTO_UDP) {
		tcp_st = *gen_tcp_stats(arp_ctx->tcp);
		report_tcp(&tot, arp_ctx);
	} else {
		report_text(&tot, stdout);
		if (opts.json[0] != '\0')
			report_json(&tot, opts.json);
	}
	fflush(stdout);

	/* Give everything back, then check that it all came back. */
	for (k = 0; k < RTE_MAX_LCORE; k++)
		if (ctxs[k] != NULL) {
			if (ctxs[k]->stk != NULL)
				stk_tcp_abort_all(ctxs[k]->stk);
			gen_tcp_free(ctxs[k]->tcp);
			stk_free(ctxs[k]->stk);
			rte_free(ctxs[k]->cls_hist);
			rte_free(ctxs[k]);
			ctxs[k] = NULL;
		}
	rte_free(tot.hist);
	rte_free(tot.cls_hist);
	dp_port_close(&port);
	leaked = rte_mempool_in_use_count(pool);
	if (leaked)
		fprintf(stderr, "sluice-gen: mempool %s: %u of %u mbufs still in use (LEAK)\n",
			pool->name, leaked, pool->size);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	if (opts.proto != GEN_PROTO_UDP) {
		uint64_t errs = gen_tcp_errors(&tcp_st);

		if (tcp_st.completed == 0)
			fprintf(stderr, "sluice-gen: no response to any of %" PRIu64 " requests\n",
				tcp_st.sent);
		else if (errs != 0)
			fprintf(stderr, "sluice-gen: %" PRIu64 " errors; the first: %s\n", errs,
				tcp_st.first_error);
		return leaked || errs != 0 || tcp_st.completed == 0 ? EXIT_FAIL : 0;
	}
	if (tot.rx == 0 && tot.tx != 0) {
		fprintf(stderr,
			"sluice-gen: no reply to any of %" PRIu64 " requests: is the echo "
			"service up, and does it answer from the address and port given?\n",
			tot.tx);
		return EXIT_FAIL;
	}
	return leaked ? EXIT_FAIL : 0;
}
