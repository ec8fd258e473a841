/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition (format 0.0.4, which OpenMetrics scrapers
 * read too) of every counter /sluice/stats has, from a control thread on
 * a kernel TCP socket: a plain pthread, never an EAL lcore, so no loop
 * ever waits for a scraper.
 *
 * The thread serves one connection at a time (scrapers are few and a
 * render takes microseconds) with a deadline per connection
 * (LC_METRICS_IO_MS) and a bounded request (LC_METRICS_REQ_MAX), and looks
 * at its stop flag every LC_METRICS_TICK_MS, so a client that connects and
 * sends nothing delays the next scrape by at most the deadline and
 * shutdown by at most a tick. Counters are read as /sluice/stats reads
 * them: one writer each, readers tolerate tearing, contexts held alive by
 * lc_read_lock against lc_teardown().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "lc.h"
#include "lc_priv.h"
#include "stk_tcp.h"

#define LC_METRICS_REQ_MAX 4096
#define LC_METRICS_IO_MS 2000
#define LC_METRICS_TICK_MS 100

static int lc_metrics_fd = -1;
static pthread_t lc_metrics_tid;
static bool lc_metrics_running;
static volatile int lc_metrics_quit;
static uint64_t lc_metrics_scrapes;

/* ---- rendering ------------------------------------------------------- */

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Per loop lcore, one value taken from its context. */
typedef uint64_t (*lcore_val_fn)(const struct lc_ctx *ctx, const struct stk_stats *st);

#define LCORE_FIELD(fname, expr)                                                                  \
	static uint64_t fname(const struct lc_ctx *ctx, const struct stk_stats *st)                \
	{                                                                                          \
		RTE_SET_USED(ctx);                                                                 \
		RTE_SET_USED(st);                                                                  \
		return (expr);                                                                     \
	}
LCORE_FIELD(v_rx_pkts, ctx->stats.rx_pkts)
LCORE_FIELD(v_rx_bytes, ctx->pipe == NULL ? st->rx_bytes : ctx->stats.rx_bytes)
LCORE_FIELD(v_tx_pkts, ctx->stats.tx_pkts)
LCORE_FIELD(v_tx_full, ctx->stats.tx_dropped)
LCORE_FIELD(v_loops, ctx->stats.loops)
LCORE_FIELD(v_busy, ctx->stats.busy_cycles)
LCORE_FIELD(v_idle, ctx->stats.idle_cycles)
LCORE_FIELD(v_idle_sleeps, ctx->stats.idle_sleeps)
LCORE_FIELD(v_arp_msgs, ctx->stats.arp_msgs_dropped)
#undef LCORE_FIELD

static const struct {
	const char *name;
	const char *help;
	lcore_val_fn fn;
} lcore_counters[] = {
	{"sluice_lcore_rx_packets_total", "Packets the loop received.", v_rx_pkts},
	{"sluice_lcore_rx_bytes_total", "Bytes received (RTC: the stack's count).", v_rx_bytes},
	{"sluice_lcore_tx_packets_total", "Packets handed to the driver and accepted.", v_tx_pkts},
	{"sluice_lcore_tx_full_total", "Packets dropped because the driver's TX ring was full.",
	 v_tx_full},
	{"sluice_lcore_loops_total", "Loop iterations.", v_loops},
	{"sluice_lcore_busy_cycles_total", "TSC cycles of iterations that handled packets.",
	 v_busy},
	{"sluice_lcore_idle_cycles_total",
	 "TSC cycles of iterations that handled nothing (sleeps included).", v_idle},
	{"sluice_lcore_idle_sleeps_total", "Sleeps of an idle loop ([sluice] idle = adaptive).",
	 v_idle_sleeps},
	{"sluice_lcore_arp_msgs_dropped_total",
	 "ARP messages another loop's full message ring refused.", v_arp_msgs},
};

/* The stack's counters and drops of every loop, read once per render. */
struct lc_metrics_snap {
	unsigned int n;
	unsigned int lcore[RTE_MAX_LCORE];
	const struct lc_ctx *ctx[RTE_MAX_LCORE];
	struct stk_stats st[RTE_MAX_LCORE];
	uint64_t drops[RTE_MAX_LCORE][STK_DROP_MAX];
	bool tcp[RTE_MAX_LCORE];
	uint32_t tcp_n[RTE_MAX_LCORE][STK_TCP_NSTATES];
};

static void
snap_take(struct lc_metrics_snap *s)
{
	unsigned int k, i;

	s->n = 0;
	for (k = 0; k < lc_n_loops; k++) {
		const struct lc_ctx *ctx = lc_ctxs[lc_loop_ids[k]];
		unsigned int j = s->n;

		if (ctx == NULL)
			continue;
		s->lcore[j] = lc_loop_ids[k];
		s->ctx[j] = ctx;
		memset(&s->st[j], 0, sizeof(s->st[j]));
		memset(s->drops[j], 0, sizeof(s->drops[j]));
		if (ctx->stk != NULL)
			stk_stats_read(ctx->stk, &s->st[j], s->drops[j]);
		for (i = 0; i < STK_DROP_MAX; i++)
			s->drops[j][i] += ctx->drops[i];
		s->tcp[j] = ctx->stk != NULL && stk_tcp_enabled(ctx->stk);
		if (s->tcp[j])
			stk_tcp_state_counts(ctx->stk, s->tcp_n[j]);
		s->n++;
	}
}

static void
render_lcores(FILE *f, const struct lc_metrics_snap *s)
{
	unsigned int i, j, r;
	char name[96];

	for (i = 0; i < RTE_DIM(lcore_counters); i++) {
		family(f, lcore_counters[i].name, "counter", lcore_counters[i].help);
		for (j = 0; j < s->n; j++)
			fprintf(f, "%s{lcore=\"%u\"} %" PRIu64 "\n", lcore_counters[i].name,
				s->lcore[j], lcore_counters[i].fn(s->ctx[j], &s->st[j]));
	}
	if (lc_pipe_active()) {
		static const char *const what[2] = {"packets", "busy_cycles"};

		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "sluice_stage_%s_total", what[i]);
			family(f, name, "counter",
			       i == 0 ? "Packets a pipeline stage handled."
				      : "TSC cycles of pipeline stage runs that handled packets.");
			for (j = 0; j < s->n; j++)
				for (r = 0; r < LC_ROLE_MAX; r++) {
					if (!(s->ctx[j]->roles & (1u << r)))
						continue;
					fprintf(f, "%s{lcore=\"%u\",stage=\"%s\"} %" PRIu64 "\n",
						name, s->lcore[j], lc_roles_name(1u << r),
						i == 0 ? s->ctx[j]->stats.role[r].pkts
						       : s->ctx[j]->stats.role[r].busy_cycles);
				}
		}
	}
	family(f, "sluice_drops_total", "counter",
	       "Packets dropped, by lcore and reason (STK_DROP_REASONS).");
	for (j = 0; j < s->n; j++)
		for (i = 0; i < STK_DROP_MAX; i++)
			fprintf(f, "sluice_drops_total{lcore=\"%u\",reason=\"%s\"} %" PRIu64 "\n",
				s->lcore[j], stk_drop_name(i), s->drops[j][i]);
#define LC_PROM(fld, sname)                                                                         \
	family(f, "sluice_stack_" sname "_total", "counter", "Stack counter " sname ".");          \
	for (j = 0; j < s->n; j++)                                                                 \
		fprintf(f, "sluice_stack_" sname "_total{lcore=\"%u\"} %" PRIu64 "\n", s->lcore[j], \
			s->st[j].fld);
	STK_STATS(LC_PROM)
#undef LC_PROM
	family(f, "sluice_tcp_connections", "gauge", "TCP connections by lcore and state.");
	for (j = 0; j < s->n; j++) {
		if (!s->tcp[j])
			continue;
		for (i = 0; i < STK_TCP_NSTATES; i++)
			fprintf(f, "sluice_tcp_connections{lcore=\"%u\",state=\"%s\"} %u\n",
				s->lcore[j], stk_tcp_state_name(i), s->tcp_n[j][i]);
	}
}

static void
render_rings(FILE *f)
{
	static struct lc_ring_stats rs[LC_PIPE_MAX_RINGS]; /* the metrics thread only */
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{"sluice_ring_size", "gauge", "Packets a pipeline ring holds."},
		{"sluice_ring_occupancy", "gauge", "Packets in a pipeline ring when read."},
		{"sluice_ring_enqueued_total", "counter", "Packets put into a pipeline ring."},
		{"sluice_ring_dequeued_total", "counter", "Packets taken from a pipeline ring."},
		{"sluice_ring_dropped_total", "counter",
		 "Packets a full pipeline ring refused (also ring_full drops)."},
		{"sluice_ring_high_water", "gauge", "Most packets a pipeline ring ever held."},
	};
	unsigned int n, i, j;

	if (!lc_pipe_active())
		return;
	n = lc_pipe_ring_stats(rs, RTE_DIM(rs));
	for (i = 0; i < RTE_DIM(fam); i++) {
		family(f, fam[i].name, fam[i].type, fam[i].help);
		for (j = 0; j < n; j++) {
			uint64_t v[] = {rs[j].size,	rs[j].count,   rs[j].enqueued,
					rs[j].dequeued, rs[j].dropped, rs[j].high_water};

			fprintf(f, "%s{ring=\"%s\",consumer_lcore=\"%u\"} %" PRIu64 "\n",
				fam[i].name, rs[j].name, rs[j].consumer, v[i]);
		}
	}
}

static void
render_ports(FILE *f)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{"sluice_port_rx_packets_total", "Packets the device received (rte_eth_stats)."},
		{"sluice_port_tx_packets_total", "Packets the device sent."},
		{"sluice_port_rx_bytes_total", "Bytes the device received."},
		{"sluice_port_tx_bytes_total", "Bytes the device sent."},
		{"sluice_port_rx_missed_total", "Packets the device dropped: no RX descriptor."},
		{"sluice_port_rx_errors_total", "Erroneous packets the device received."},
		{"sluice_port_tx_errors_total", "Packets the device failed to send."},
		{"sluice_port_rx_nombuf_total", "RX mbuf allocation failures."},
	};
	struct rte_eth_stats es[RTE_MAX_ETHPORTS];
	bool ok[RTE_MAX_ETHPORTS] = {false};
	char dname[RTE_ETH_NAME_MAX_LEN];
	unsigned int i;
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid)
	ok[pid] = rte_eth_stats_get(pid, &es[pid]) == 0;
	for (i = 0; i < RTE_DIM(fam); i++) {
		family(f, fam[i].name, "counter", fam[i].help);
		RTE_ETH_FOREACH_DEV(pid)
		{
			const struct rte_eth_stats *e = &es[pid];
			uint64_t v[] = {e->ipackets, e->opackets, e->ibytes,  e->obytes,
					e->imissed,  e->ierrors,  e->oerrors, e->rx_nombuf};

			if (!ok[pid])
				continue;
			if (rte_eth_dev_get_name_by_port(pid, dname) != 0)
				snprintf(dname, sizeof(dname), "?");
			fprintf(f, "%s{port=\"%u\",device=\"%s\"} %" PRIu64 "\n", fam[i].name, pid,
				dname, v[i]);
		}
	}
}

static void
mempool_cb(struct rte_mempool *mp, void *arg)
{
	void **a = arg;
	FILE *f = a[0];
	int what = *(int *)a[1];
	uint64_t v = what == 0 ? mp->size
		     : what == 1 ? rte_mempool_in_use_count(mp)
				 : rte_mempool_avail_count(mp);

	fprintf(f, "%s{pool=\"%s\"} %" PRIu64 "\n",
		what == 0   ? "sluice_mempool_size"
		: what == 1 ? "sluice_mempool_in_use"
			    : "sluice_mempool_available",
		mp->name, v);
}

static void
render_mempools(FILE *f)
{
	static const char *const names[3] = {"sluice_mempool_size", "sluice_mempool_in_use",
					     "sluice_mempool_available"};
	static const char *const helps[3] = {"Objects in a mempool.",
					     "Objects of a mempool in use (mbufs held).",
					     "Objects of a mempool free."};
	void *a[2];
	int what;

	for (what = 0; what < 3; what++) {
		family(f, names[what], "gauge", helps[what]);
		a[0] = f;
		a[1] = &what;
		rte_mempool_walk(mempool_cb, a);
	}
}

int
lc_metrics_render(char **text, size_t *len)
{
	static struct lc_metrics_snap snap; /* one render at a time: the metrics thread */
	FILE *f = open_memstream(text, len);

	if (f == NULL)
		return -errno;
	lc_read_lock_acquire();
	snap_take(&snap);
	render_lcores(f, &snap);
	render_rings(f);
	lc_read_lock_release();
	render_ports(f);
	render_mempools(f);
	family(f, "sluice_metrics_scrapes_total", "counter",
	       "Requests for /metrics this endpoint answered.");
	fprintf(f, "sluice_metrics_scrapes_total %" PRIu64 "\n", lc_metrics_scrapes);
	if (fclose(f) != 0)
		return -ENOMEM;
	return 0;
}

/* ---- serving --------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @events on @fd until @deadline (ms), waking every tick to look
 * at the stop flag. 1: ready; 0: deadline or stop. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	while (!lc_metrics_quit) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)RTE_MIN(left, (int64_t)LC_METRICS_TICK_MS));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
	return 0;
}

static void
send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(fd, POLLOUT, deadline))
				return;
		} else {
			return;
		}
	}
}

static void
reply(int fd, const char *status, const char *ctype, const char *body, size_t blen,
      int64_t deadline)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, ctype, blen);

	send_all(fd, head, (size_t)n, deadline);
	send_all(fd, body, blen, deadline);
}

static void
serve_one(int fd)
{
	static char req[LC_METRICS_REQ_MAX + 1];
	int64_t deadline = now_ms() + LC_METRICS_IO_MS;
	size_t have = 0;
	char *text = NULL, *end;
	size_t len = 0;

	/* Read the request head: up to the blank line, within the size bound. */
	for (;;) {
		ssize_t r;

		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
		if (have == LC_METRICS_REQ_MAX) {
			static const char msg[] = "request head too large\n";

			reply(fd, "431 Request Header Fields Too Large", "text/plain", msg,
			      sizeof(msg) - 1, deadline);
			return;
		}
		r = recv(fd, req + have, LC_METRICS_REQ_MAX - have, MSG_DONTWAIT);
		if (r > 0) {
			have += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return;
		if (!wait_fd(fd, POLLIN, deadline))
			return;
	}
	end = strpbrk(req, " ");
	if (end == NULL || (end - req != 3 || memcmp(req, "GET", 3) != 0)) {
		static const char msg[] = "only GET /metrics\n";

		reply(fd, "405 Method Not Allowed", "text/plain", msg, sizeof(msg) - 1, deadline);
		return;
	}
	if (strncmp(end + 1, "/metrics", 8) != 0 ||
	    (end[9] != ' ' && end[9] != '?' && end[9] != '\r' && end[9] != '\n')) {
		static const char msg[] = "not found; the metrics are at /metrics\n";

		reply(fd, "404 Not Found", "text/plain", msg, sizeof(msg) - 1, deadline);
		return;
	}
	lc_metrics_scrapes++;
	if (lc_metrics_render(&text, &len) != 0) {
		static const char msg[] = "out of memory\n";

		reply(fd, "500 Internal Server Error", "text/plain", msg, sizeof(msg) - 1,
		      deadline);
		free(text);
		return;
	}
	reply(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, len, deadline);
	free(text);
}

static void *
lc_metrics_main(void *arg)
{
	struct pollfd p = {.fd = lc_metrics_fd, .events = POLLIN};

	RTE_SET_USED(arg);
	while (!lc_metrics_quit) {
		int fd;

		if (poll(&p, 1, LC_METRICS_TICK_MS) <= 0)
			continue;
		fd = accept(lc_metrics_fd, NULL, NULL);
		if (fd < 0)
			continue;
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
			close(fd);
			continue;
		}
		serve_one(fd);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	return NULL;
}

int
lc_metrics_start(const char *addr, char *err, size_t errlen)
{
	char ip[64];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned long port;
	char *e;
	int one = 1, ret;

	if (colon == NULL || (size_t)(colon - addr) >= sizeof(ip)) {
		snprintf(err, errlen, "[sluice] metrics = %s: not ADDR:PORT (e.g. 127.0.0.1:9100)",
			 addr);
		return -EINVAL;
	}
	memcpy(ip, addr, colon - addr);
	ip[colon - addr] = '\0';
	port = strtoul(colon + 1, &e, 10);
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || *e != '\0' || port == 0 ||
	    port > 65535) {
		snprintf(err, errlen, "[sluice] metrics = %s: not ADDR:PORT (e.g. 127.0.0.1:9100)",
			 addr);
		return -EINVAL;
	}
	sa.sin_port = htons((uint16_t)port);
	lc_metrics_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lc_metrics_fd < 0) {
		snprintf(err, errlen, "[sluice] metrics = %s: socket: %s", addr, strerror(errno));
		return -errno;
	}
	setsockopt(lc_metrics_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lc_metrics_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lc_metrics_fd, 16) != 0) {
		ret = -errno;
		snprintf(err, errlen,
			 "[sluice] metrics = %s: cannot listen there: %s%s", addr,
			 strerror(errno),
			 ret == -EADDRINUSE ? " (another process has that port; pick another "
					      "or stop it)"
			 : ret == -EADDRNOTAVAIL ? " (no interface of this host has that address)"
						 : "");
		close(lc_metrics_fd);
		lc_metrics_fd = -1;
		return ret;
	}
	lc_metrics_quit = 0;
	/* rte_ctrl_thread_create: a pthread on the CPUs no lcore has */
	ret = rte_ctrl_thread_create(&lc_metrics_tid, "sl-metrics", NULL, lc_metrics_main, NULL);
	if (ret != 0) {
		snprintf(err, errlen, "[sluice] metrics: cannot start its thread: %s",
			 strerror(ret));
		close(lc_metrics_fd);
		lc_metrics_fd = -1;
		return -ret;
	}
	lc_metrics_running = true;
	return 0;
}

void
lc_metrics_stop(void)
{
	if (!lc_metrics_running)
		return;
	lc_metrics_quit = 1;
	pthread_join(lc_metrics_tid, NULL);
	close(lc_metrics_fd);
	lc_metrics_fd = -1;
	lc_metrics_running = false;
}
