/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "gen_proto.h"
#include "gen_tcp.h"

#define GEN_LINGER_MS 1000 /* after closing: FINs exchanged, at most this long */

enum { OP_GET, OP_SET, OP_HTTP, OP_PREFILL };
enum { CONN_IDLE, CONN_OPENING, CONN_OPEN, CONN_SHUT, CONN_DEAD };
enum { PH_SETUP, PH_PREFILL, PH_RUN, PH_DRAIN, PH_LINGER, PH_DONE };

struct gen_req {
	uint64_t tsc;
	uint32_t key;
	uint32_t aux; /* set: its version; get: the key's floor when sent */
	uint8_t op;
};

struct gen_conn {
	struct gen_tcp *g;
	struct stk_tcp_conn *c;
	uint8_t state;
	bool was_open;
	uint32_t head, n; /* outstanding requests: fifo[head], ... */
	struct gen_req *fifo;
	struct gen_mc_parser *mc;
	struct gen_http_parser *http;
};

struct gen_tcp {
	struct gen_tcp_conf conf;
	struct stk_ctx *stk;
	struct gen_conn *conns;
	struct gen_req *reqs;
	struct gen_mc_parser *mcp;
	struct gen_http_parser *hp;
	uint32_t *key_sent;  /* latest version sent */
	uint32_t *key_floor; /* a version the server surely holds (or newer); 0 = none */
	uint16_t *key_inflight;
	uint64_t rng;
	uint64_t now;
	uint64_t outstanding;
	uint64_t deadline;
	uint64_t ns_mult;
	uint32_t cursor;
	uint32_t prefill_next; /* --prefill: the next key to set */
	uint8_t phase;
	bool blocked; /* the last due request found no connection with room */
	bool have_ref;
	uint64_t ref_hash, ref_len;
	uint32_t http_len;
	struct gen_pace pace;
	struct gen_tcp_stats st;
	char http_req[512];
	char req[16384]; /* a batch of requests (at least GEN_REQ_MAX) */
	alignas(RTE_CACHE_LINE_SIZE) struct gen_hist hist;
};

static const struct stk_tcp_ops gen_tcp_ops;

#define ERR(g, field, text)                                                                        \
	do {                                                                                       \
		(g)->st.field++;                                                                   \
		if ((g)->st.first_error == NULL)                                                   \
			(g)->st.first_error = (text);                                              \
	} while (0)

static inline uint64_t
gen_rand(struct gen_tcp *g)
{
	uint64_t x = g->rng; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->rng = x;
	return x * UINT64_C(2685821657736338717);
}

struct gen_tcp *
gen_tcp_create(const struct gen_tcp_conf *conf, struct stk_ctx *stk, int socket)
{
	struct gen_tcp *g = rte_zmalloc_socket("gen_tcp", sizeof(*g), RTE_CACHE_LINE_SIZE, socket);
	uint32_t i;

	if (g == NULL)
		return NULL;
	g->conf = *conf;
	g->stk = stk;
	g->rng = UINT64_C(0x9e3779b97f4a7c15) ^ conf->run_id;
	g->ns_mult = gen_ns_mult(conf->hz);
	gen_hist_reset(&g->hist);
	g->conns = rte_zmalloc_socket("gen_conns", sizeof(*g->conns) * conf->conns, 0, socket);
	g->reqs = rte_zmalloc_socket("gen_reqs", sizeof(*g->reqs) * conf->conns * conf->depth, 0,
				     socket);
	if (conf->proto == GEN_PROTO_MEMCACHED) {
		g->mcp = rte_zmalloc_socket("gen_mcp", sizeof(*g->mcp) * conf->conns, 0, socket);
		g->key_sent =
			rte_zmalloc_socket("gen_keys", sizeof(uint32_t) * conf->keys, 0, socket);
		g->key_floor =
			rte_zmalloc_socket("gen_keys", sizeof(uint32_t) * conf->keys, 0, socket);
		g->key_inflight =
			rte_zmalloc_socket("gen_keys", sizeof(uint16_t) * conf->keys, 0, socket);
		if (g->mcp == NULL || g->key_sent == NULL || g->key_floor == NULL ||
		    g->key_inflight == NULL)
			goto fail;
	} else {
		g->hp = rte_zmalloc_socket("gen_hp", sizeof(*g->hp) * conf->conns, 0, socket);
		if (g->hp == NULL)
			goto fail;
		g->http_len = gen_http_build_get(g->http_req, sizeof(g->http_req), conf->http_path,
						 conf->http_host);
		if (g->http_len == 0)
			goto fail;
	}
	if (g->conns == NULL || g->reqs == NULL)
		goto fail;
	for (i = 0; i < conf->conns; i++) {
		struct gen_conn *k = &g->conns[i];

		k->g = g;
		k->fifo = &g->reqs[(size_t)i * conf->depth];
		k->mc = g->mcp != NULL ? &g->mcp[i] : NULL;
		k->http = g->hp != NULL ? &g->hp[i] : NULL;
	}
	return g;
fail:
	gen_tcp_free(g);
	return NULL;
}

void
gen_tcp_free(struct gen_tcp *g)
{
	if (g == NULL)
		return;
	rte_free(g->conns);
	rte_free(g->reqs);
	rte_free(g->mcp);
	rte_free(g->hp);
	rte_free(g->key_sent);
	rte_free(g->key_floor);
	rte_free(g->key_inflight);
	rte_free(g);
}

static void
conn_open(struct gen_conn *k)
{
	struct gen_tcp *g = k->g;
	int ret;

	k->head = k->n = 0;
	k->was_open = false;
	if (k->mc != NULL)
		gen_mc_parser_init(k->mc);
	else
		gen_http_parser_init(k->http);
	ret = stk_tcp_connect(g->stk, g->conf.dst_ip, g->conf.dst_port, 0, &gen_tcp_ops, k, &k->c);
	if (ret != 0) {
		k->c = NULL;
		k->state = CONN_DEAD;
		ERR(g, conn_failed,
		    ret == -EADDRINUSE ? "connect: no ephemeral port left"
		    : ret == -ENOSPC   ? "connect: the stack's connection table is full"
				       : "connect: the stack refused (no route or no mbuf)");
		return;
	}
	k->state = CONN_OPENING;
}

/* The connection is gone: what was outstanding on it will never be answered. */
static void
conn_gone(struct gen_conn *k, bool announced)
{
	struct gen_tcp *g = k->g;
	uint32_t i;

	if (announced)
		g->st.lost_announced += k->n;
	else if (k->n != 0)
		ERR(g, lost, "requests lost with their connection");
	if (!announced && k->n > 1)
		g->st.lost += k->n - 1;
	for (i = 0; i < k->n; i++) {
		const struct gen_req *r = &k->fifo[(k->head + i) % g->conf.depth];

		if (r->op == OP_SET || r->op == OP_PREFILL)
			g->key_inflight[r->key]--;
	}
	g->outstanding -= k->n;
	k->n = 0;
	k->c = NULL;
	k->state = CONN_IDLE;
	if ((g->phase == PH_RUN || g->phase == PH_PREFILL) && k->was_open) {
		g->st.conns_reopened++;
		conn_open(k);
	}
}

static inline bool
quota_left(const struct gen_tcp *g)
{
	return g->conf.count == 0 || g->st.sent < g->conf.count;
}

/*
 * Up to @max_n requests on @k, as many as its pipeline, the quota and the
 * send queue take, in ONE stk_tcp_send() (one segment where they fit, as
 * a pipelining client writes them). @return how many.
 */
static uint32_t
send_batch(struct gen_tcp *g, struct gen_conn *k, uint32_t max_n)
{
	uint32_t room, off = 0, n = 0, i, most;
	uint64_t t0;
	int ret;

	if (k->state != CONN_OPEN)
		return 0;
	room = RTE_MIN(stk_tcp_send_space(k->c), (uint32_t)sizeof(g->req));
	most = g->conf.proto == GEN_PROTO_HTTP ? g->http_len : 48 + g->conf.value_size;
	while (n < max_n && k->n + n < g->conf.depth && off + most <= room &&
	       (g->phase == PH_PREFILL ? g->prefill_next < g->conf.keys
				       : g->conf.count == 0 || g->st.sent + n < g->conf.count)) {
		struct gen_req *r = &k->fifo[(k->head + k->n + n) % g->conf.depth];
		char *buf = g->req + off;

		if (g->phase == PH_PREFILL) {
			r->op = OP_PREFILL;
			r->key = g->prefill_next++;
			r->aux = ++g->key_sent[r->key];
			off += gen_mc_build_set(buf, r->key, gen_mc_flags(r->key), g->conf.run_id,
						r->aux, g->conf.value_size);
		} else if (g->conf.proto == GEN_PROTO_HTTP) {
			memcpy(buf, g->http_req, g->http_len);
			off += g->http_len;
			r->op = OP_HTTP;
			r->key = r->aux = 0;
		} else {
			uint64_t x = gen_rand(g);

			r->key = (uint32_t)((x >> 16) % g->conf.keys);
			r->op = (x & 0xffff) % 1000 < g->conf.get_permille ? OP_GET : OP_SET;
			if (r->op == OP_GET) {
				off += gen_mc_build_get(buf, r->key);
				r->aux = g->key_floor[r->key];
			} else {
				/* the version is taken now: two sets of one key in
				 * a batch get two versions */
				r->aux = ++g->key_sent[r->key];
				off += gen_mc_build_set(buf, r->key, gen_mc_flags(r->key),
							g->conf.run_id, r->aux, g->conf.value_size);
			}
		}
		n++;
	}
	if (n == 0)
		return 0; /* on_sent or the next reply brings us back */
	t0 = rte_rdtsc(); /* the round trip includes our own send path */
	ret = stk_tcp_send(k->c, g->req, off);
	if (unlikely(ret != (int)off)) {
		ERR(g, send_failed, "stk_tcp_send() took part of a request or refused it");
		stk_tcp_abort(k->c);
		conn_gone(k, false);
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct gen_req *r = &k->fifo[(k->head + k->n) % g->conf.depth];

		r->tsc = t0;
		if (r->op == OP_SET || r->op == OP_PREFILL)
			g->key_inflight[r->key]++;
		if (r->op == OP_SET)
			g->st.mc_sets++;
		else if (r->op == OP_GET)
			g->st.mc_gets++;
		if (r->op == OP_PREFILL)
			g->st.prefill_sets++;
		else
			g->st.sent++;
		k->n++;
	}
	g->outstanding += n;
	return n;
}

static void
fill(struct gen_tcp *g, struct gen_conn *k)
{
	if (g->phase != PH_PREFILL && (g->phase != PH_RUN || g->conf.rate != 0))
		return;
	while (send_batch(g, k, UINT32_MAX) != 0)
		;
}

static void
check_mc(struct gen_tcp *g, const struct gen_req *q, const struct gen_mc_reply *r)
{
	char key[GEN_MC_KEY_LEN];
	uint32_t ver;

	if (q->op == OP_SET || q->op == OP_PREFILL) {
		g->key_inflight[q->key]--;
		switch (r->kind) {
		case GEN_MC_STORED:
			if (q->op == OP_SET)
				g->st.mc_stored++;
			else
				g->st.prefill_stored++;
			/* alone and the latest: the server holds it until our next set */
			if (g->key_inflight[q->key] == 0 && q->aux == g->key_sent[q->key])
				g->key_floor[q->key] = q->aux;
			return;
		case GEN_MC_NOT_STORED:
			ERR(g, mc_not_stored, "a set got NOT_STORED");
			return;
		case GEN_MC_ERROR:
		case GEN_MC_CLIENT_ERROR:
		case GEN_MC_SERVER_ERROR:
			ERR(g, mc_error, "a set got ERROR, CLIENT_ERROR or SERVER_ERROR");
			return;
		default:
			ERR(g, wrong_kind, "a set got a reply that is not for a set");
			return;
		}
	}
	switch (r->kind) {
	case GEN_MC_VALUE:
		gen_mc_key(key, q->key);
		if (r->key_len != GEN_MC_KEY_LEN || memcmp(r->key, key, GEN_MC_KEY_LEN) != 0 ||
		    r->flags != gen_mc_flags(q->key)) {
			ERR(g, mc_wrong_key, "a get returned another key, or other flags");
			return;
		}
		if (r->len != g->conf.value_size) {
			ERR(g, mc_corrupt, "a get returned a value of the wrong length");
			return;
		}
		switch (gen_mc_value_check(r->value, r->len, g->conf.run_id, q->key, &ver)) {
		case GEN_MC_VALUE_OK:
			if (ver < q->aux || ver > g->key_sent[q->key])
				ERR(g, mc_stale,
				    "a get returned a version older than an "
				    "acknowledged set, or one never sent");
			else
				g->st.mc_hits++;
			return;
		case GEN_MC_VALUE_FOREIGN:
			ERR(g, mc_foreign,
			    "a get returned a value another run set (restart the "
			    "server, or flush_all, before a run)");
			return;
		default:
			ERR(g, mc_corrupt, "a get returned a value no set of this key wrote");
			return;
		}
	case GEN_MC_END:
		if (q->aux != 0)
			ERR(g, mc_miss_after_set, "a get missed a key whose set was acknowledged");
		else
			g->st.mc_misses++;
		return;
	case GEN_MC_ERROR:
	case GEN_MC_CLIENT_ERROR:
	case GEN_MC_SERVER_ERROR:
		ERR(g, mc_error, "a get got ERROR, CLIENT_ERROR or SERVER_ERROR");
		return;
	default:
		ERR(g, wrong_kind, "a get got a reply that is not for a get");
		return;
	}
}

static void
check_http(struct gen_tcp *g, struct gen_conn *k, const struct gen_http_reply *r)
{
	if (r->status == 200) {
		g->st.http_ok++;
		if (!g->have_ref) {
			g->have_ref = true;
			g->ref_hash = r->body_hash;
			g->ref_len = r->content_len;
		} else if (r->body_hash != g->ref_hash || r->content_len != g->ref_len) {
			ERR(g, http_body, "a 200 response's body differs from the first one's");
		}
	} else {
		ERR(g, http_status, "a response's status is not 200");
	}
	if (r->close && k->state == CONN_OPEN) {
		k->state = CONN_SHUT; /* nothing more on it; the close follows */
		g->st.server_closes++;
	}
}

/* A reply completed on @k: match it with the oldest request. false if
 * the connection must go (a reply nobody asked for). */
static bool
on_reply(struct gen_tcp *g, struct gen_conn *k)
{
	struct gen_req q;
	uint64_t now = rte_rdtsc();

	if (k->n == 0) {
		ERR(g, unsolicited, "a reply arrived with no request outstanding");
		return false;
	}
	q = k->fifo[k->head];
	k->head = (k->head + 1) % g->conf.depth;
	k->n--;
	g->outstanding--;
	if (q.op != OP_PREFILL) {
		g->st.completed++;
		gen_hist_record(&g->hist, now > q.tsc ? gen_tsc_to_ns(now - q.tsc, g->ns_mult) : 0);
	}
	if (k->mc != NULL)
		check_mc(g, &q, &k->mc->r);
	else
		check_http(g, k, &k->http->r);
	return true;
}

static void
gen_tcp_connected(void *arg, struct stk_tcp_conn *c)
{
	struct gen_conn *k = arg;
	struct gen_tcp *g = k->g;

	k->state = CONN_OPEN;
	k->was_open = true;
	stk_tcp_set_nodelay(c, true);
	g->st.conns_opened++;
	fill(g, k);
}

static uint32_t
gen_tcp_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct gen_conn *k = arg;
	struct gen_tcp *g = k->g;
	struct rte_mbuf *seg;

	if (m == NULL) {
		/* the server closed its side: ours follows */
		bool announced = k->state == CONN_SHUT;

		if (!announced && g->phase <= PH_DRAIN)
			ERR(g, conn_dropped, "the server closed a connection in use");
		stk_tcp_close(c);
		conn_gone(k, announced);
		return 0;
	}
	for (seg = m; seg != NULL; seg = seg->next) {
		const uint8_t *p = rte_pktmbuf_mtod(seg, const uint8_t *);
		uint32_t left = seg->data_len, used;

		while (left > 0) {
			enum gen_parse ret = k->mc != NULL
						     ? gen_mc_parse(k->mc, p, left, &used)
						     : gen_http_parse(k->http, p, left, &used);

			p += used;
			left -= used;
			if (ret == GEN_PARSE_MORE)
				continue;
			if (ret == GEN_PARSE_REPLY && on_reply(g, k))
				continue;
			if (ret == GEN_PARSE_BAD) {
				/* the request it answered is counted here, the rest lost */
				if (k->n > 0) {
					k->head = (k->head + 1) % g->conf.depth;
					k->n--;
					g->outstanding--;
				}
				ERR(g, bad_stream, k->mc != NULL ? k->mc->why : k->http->why);
			}
			rte_pktmbuf_free(m);
			stk_tcp_abort(c);
			conn_gone(k, false);
			return len;
		}
	}
	rte_pktmbuf_free(m);
	fill(g, k);
	return len;
}

static void
gen_tcp_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	struct gen_conn *k = arg;

	RTE_SET_USED(c);
	RTE_SET_USED(space);
	fill(k->g, k);
}

static void
gen_tcp_closed(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct gen_conn *k = arg;
	struct gen_tcp *g = k->g;

	RTE_SET_USED(c);
	if (k->state == CONN_OPENING) {
		k->c = NULL;
		k->state = CONN_DEAD;
		ERR(g, conn_failed,
		    why == STK_TCP_CLOSE_RST	   ? "connect: refused (RST): is the server "
						     "listening on that port?"
		    : why == STK_TCP_CLOSE_UNREACH ? "connect: ICMP unreachable"
						   : "connect: no answer to the SYN");
		return;
	}
	if (k->state != CONN_SHUT && g->phase <= PH_DRAIN && why != STK_TCP_CLOSE_ABORT)
		ERR(g, conn_dropped,
		    why == STK_TCP_CLOSE_RST ? "the server reset a connection"
					     : "a connection timed out");
	conn_gone(k, k->state == CONN_SHUT);
}

static const struct stk_tcp_ops gen_tcp_ops = {
	.on_connected = gen_tcp_connected,
	.on_data = gen_tcp_data,
	.on_sent = gen_tcp_sent,
	.on_close = gen_tcp_closed,
};

int
gen_tcp_open_first(struct gen_tcp *g)
{
	conn_open(&g->conns[0]);
	return g->conns[0].state == CONN_DEAD ? -1 : 0;
}

int
gen_tcp_first_state(const struct gen_tcp *g, const char **reason)
{
	const struct gen_conn *k = &g->conns[0];

	if (k->state == CONN_OPEN)
		return 1;
	if (k->state == CONN_DEAD) {
		*reason = g->st.first_error;
		return -1;
	}
	return 0;
}

/* The measured load starts (after the prefill, if any). */
static void
start_run(struct gen_tcp *g, uint64_t now)
{
	uint32_t i;

	if (g->phase == PH_PREFILL) {
		/* once per run, not per request: tells a script the load began */
		printf("sluice-gen: prefill of %u keys done in %.3f s, load starts\n", g->conf.keys,
		       (double)(now - g->st.prefill_start) / (double)g->conf.hz);
		fflush(stdout);
		g->st.busy_ticks = 0;
	}
	g->phase = PH_RUN;
	g->st.t_start = now;
	/* catch up at most 50 ms of slots after a stall (the UDP mode: 1 ms):
	 * what leaves at once is bounded by conns x pipeline anyway, and on a
	 * shared host a descheduled generator would otherwise fall to the
	 * share of the CPU it gets */
	gen_pace_init(&g->pace, g->conf.hz, g->conf.rate, now,
		      RTE_MAX(2u * g->conf.burst, g->conf.rate / 20));
	for (i = 0; i < g->conf.conns; i++)
		if (g->conns[i].state == CONN_OPEN)
			fill(g, &g->conns[i]);
}

void
gen_tcp_start(struct gen_tcp *g, uint64_t now)
{
	uint32_t i;

	g->now = now;
	if (g->conf.prefill && g->conf.proto == GEN_PROTO_MEMCACHED) {
		g->phase = PH_PREFILL;
		g->st.prefill_start = now;
	} else {
		start_run(g, now);
	}
	for (i = 0; i < g->conf.conns; i++) {
		struct gen_conn *k = &g->conns[i];

		if (k->state == CONN_IDLE)
			conn_open(k);
		else if (k->state == CONN_OPEN)
			fill(g, k);
	}
}

void
gen_tcp_set_now(struct gen_tcp *g, uint64_t now)
{
	g->now = now;
}

static void
close_all(struct gen_tcp *g)
{
	uint32_t i;

	for (i = 0; i < g->conf.conns; i++) {
		struct gen_conn *k = &g->conns[i];

		if (k->state == CONN_OPEN || k->state == CONN_SHUT) {
			if (k->n != 0)
				ERR(g, unanswered, "requests still unanswered after --drain-ms");
			if (k->n > 1)
				g->st.unanswered += k->n - 1;
			g->outstanding -= k->n;
			k->n = 0;
			stk_tcp_close(k->c);
		} else if (k->state == CONN_OPENING) {
			stk_tcp_abort(k->c);
		}
		k->c = NULL;
		k->state = CONN_IDLE;
	}
}

static bool
all_closed(const struct gen_tcp *g)
{
	uint32_t n[STK_TCP_NSTATES], s, busy = 0;

	stk_tcp_state_counts(g->stk, n);
	for (s = 0; s < STK_TCP_NSTATES; s++)
		if (s != STK_TCP_CLOSED && s != STK_TCP_LISTEN && s != STK_TCP_TIME_WAIT)
			busy += n[s];
	return busy == 0;
}

bool
gen_tcp_poll(struct gen_tcp *g, uint64_t now, bool stop)
{
	uint64_t n, sent = 0;

	g->now = now;
	switch (g->phase) {
	case PH_PREFILL:
		if (stop) {
			g->phase = PH_DRAIN;
			g->st.t_start = g->st.t_end = now;
			g->deadline = now + g->conf.hz / 1000 * g->conf.drain_ms;
		} else if (g->prefill_next == g->conf.keys && g->outstanding == 0) {
			g->st.prefill_end = now;
			start_run(g, now);
		}
		return false;
	case PH_RUN:
		if (stop || !quota_left(g) ||
		    (g->conf.duration_ticks != 0 &&
		     now - g->st.t_start >= g->conf.duration_ticks)) {
			g->phase = PH_DRAIN;
			g->st.t_end = now;
			g->deadline = now + g->conf.hz / 1000 * g->conf.drain_ms;
			return false;
		}
		if (g->conf.rate == 0)
			return false;
		n = gen_pace_take(&g->pace, now, g->conf.burst);
		while (sent < n) {
			uint32_t tries;

			for (tries = 0; tries < g->conf.conns; tries++) {
				struct gen_conn *k = &g->conns[g->cursor];

				g->cursor = g->cursor + 1 == g->conf.conns ? 0 : g->cursor + 1;
				if (send_batch(g, k, 1) != 0)
					break;
			}
			if (tries == g->conf.conns) {
				/* one count per episode, not per loop iteration */
				g->st.send_blocked += !g->blocked;
				g->blocked = true;
				break;
			}
			g->blocked = false;
			sent++;
		}
		gen_pace_commit(&g->pace, sent);
		g->st.slots_skipped = g->pace.skipped;
		return false;
	case PH_DRAIN:
		if (g->outstanding == 0 || now >= g->deadline) {
			close_all(g);
			g->phase = PH_LINGER;
			g->deadline = now + g->conf.hz / 1000 * GEN_LINGER_MS;
		}
		return false;
	case PH_LINGER:
		if (all_closed(g) || now >= g->deadline)
			g->phase = PH_DONE;
		return g->phase == PH_DONE;
	default:
		return true;
	}
}

const struct gen_tcp_stats *
gen_tcp_stats(const struct gen_tcp *g)
{
	return &g->st;
}

struct gen_tcp_stats *
gen_tcp_stats_w(struct gen_tcp *g)
{
	return &g->st;
}

const struct gen_hist *
gen_tcp_hist(const struct gen_tcp *g)
{
	return &g->hist;
}

uint64_t
gen_tcp_errors(const struct gen_tcp_stats *s)
{
	uint64_t e = 0;

#define GEN_TCP_ERRSUM(f, name, err)                                                               \
	if (err)                                                                                   \
		e += s->f;
	GEN_TCP_COUNTERS(GEN_TCP_ERRSUM)
#undef GEN_TCP_ERRSUM
	return e;
}

static double
window(const struct gen_tcp_stats *s, uint64_t hz)
{
	return s->t_end > s->t_start ? (double)(s->t_end - s->t_start) / (double)hz : 0.0;
}

void
gen_tcp_report_text(const struct gen_tcp_conf *conf, const struct gen_tcp_stats *s,
		    const struct gen_hist *h, uint64_t hz, FILE *out)
{
	double win = window(s, hz);
	char rate[48];
	uint64_t errs = gen_tcp_errors(s);

	if (conf->rate)
		snprintf(rate, sizeof(rate), "%" PRIu64 " req/s paced", conf->rate);
	else
		snprintf(rate, sizeof(rate), "max rate");
	fprintf(out, "\nsluice-gen: %s, %.3f s sending, %s, %u conns x pipeline %u\n",
		gen_proto_name(conf->proto), win, rate, conf->conns, conf->depth);
	fprintf(out,
		"  requests %" PRIu64 " (%.1f/s)  responses %" PRIu64 " (%.1f/s)  generator busy "
		"%.0f cycles/response (%.1f %% of the run)\n",
		s->sent, win > 0 ? (double)s->sent / win : 0.0, s->completed,
		win > 0 ? (double)s->completed / win : 0.0,
		s->completed ? (double)s->busy_ticks / (double)s->completed : 0.0,
		win > 0 ? 100.0 * (double)s->busy_ticks / (win * (double)hz) : 0.0);
	fprintf(out, "  round trip (us) %9s %9s %9s %9s %9s %9s %9s\n", "min", "p50", "p90", "p99",
		"p99.9", "max", "mean");
	if (h->count != 0)
		fprintf(out, "  %-15s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", "",
			(double)h->min / 1e3, (double)gen_hist_percentile(h, 50) / 1e3,
			(double)gen_hist_percentile(h, 90) / 1e3,
			(double)gen_hist_percentile(h, 99) / 1e3,
			(double)gen_hist_percentile(h, 99.9) / 1e3, (double)h->max / 1e3,
			gen_hist_mean(h) / 1e3);
	else
		fprintf(out, "  %-15s (no responses)\n", "");
	if (conf->prefill && conf->proto == GEN_PROTO_MEMCACHED)
		fprintf(out,
			"  prefill: %" PRIu64 " sets, %" PRIu64 " stored, in %.3f s (not in the "
			"figures)\n",
			s->prefill_sets, s->prefill_stored,
			s->prefill_end > s->prefill_start
				? (double)(s->prefill_end - s->prefill_start) / (double)hz
				: 0.0);
	if (conf->proto == GEN_PROTO_MEMCACHED)
		fprintf(out,
			"  memcached: gets %" PRIu64 " (hits %" PRIu64 ", misses %" PRIu64
			"), sets %" PRIu64 " (stored %" PRIu64 "), %u keys, %u B values, %u %% "
			"gets\n",
			s->mc_gets, s->mc_hits, s->mc_misses, s->mc_sets, s->mc_stored, conf->keys,
			conf->value_size, conf->get_permille / 10);
	else
		fprintf(out, "  http: GET %s: 200 %" PRIu64 "\n", conf->http_path, s->http_ok);
	fprintf(out,
		"  connections: opened %" PRIu64 " reopened %" PRIu64 " server closes %" PRIu64
		" (requests lost after them %" PRIu64 ")\n",
		s->conns_opened, s->conns_reopened, s->server_closes, s->lost_announced);
	if (conf->rate != 0)
		fprintf(out,
			"  paced: times due requests found every connection at --pipeline depth "
			"%" PRIu64 ", slots skipped (more than the catch-up limit behind) %" PRIu64
			"\n",
			s->send_blocked, s->slots_skipped);
	fprintf(out, "  errors %" PRIu64, errs);
#define GEN_TCP_ERRTXT(f, name, err)                                                               \
	if (err && s->f != 0)                                                                      \
		fprintf(out, " %s %" PRIu64, name, s->f);
	GEN_TCP_COUNTERS(GEN_TCP_ERRTXT)
#undef GEN_TCP_ERRTXT
	if (s->first_error != NULL)
		fprintf(out, "\n  first error: %s", s->first_error);
	fprintf(out, "\n");
}

void
gen_tcp_report_json(const struct gen_tcp_conf *conf, const struct gen_tcp_stats *s,
		    const struct gen_hist *h, uint64_t hz, FILE *f)
{
	double win = window(s, hz);
	bool first = true;

	fprintf(f,
		"  \"requests\": {\"sent\": %" PRIu64 ", \"responses\": %" PRIu64
		", \"sent_per_s\": %.3f, \"responses_per_s\": %.3f, \"conns\": %u, \"pipeline\": "
		"%u, \"busy_cycles\": %" PRIu64 ", \"busy_cycles_per_response\": %.1f},\n",
		s->sent, s->completed, win > 0 ? (double)s->sent / win : 0.0,
		win > 0 ? (double)s->completed / win : 0.0, conf->conns, conf->depth, s->busy_ticks,
		s->completed ? (double)s->busy_ticks / (double)s->completed : 0.0);
	fprintf(f,
		"  \"latency_ns\": {\"samples\": %" PRIu64 ", \"min\": %" PRIu64
		", \"p50\": %" PRIu64 ", \"p90\": %" PRIu64 ", \"p99\": %" PRIu64
		", \"p999\": %" PRIu64 ", \"max\": %" PRIu64
		", \"mean\": %.1f, \"overflow\": %" PRIu64 "},\n",
		h->count, h->count ? h->min : 0, gen_hist_percentile(h, 50),
		gen_hist_percentile(h, 90), gen_hist_percentile(h, 99),
		gen_hist_percentile(h, 99.9), h->max, gen_hist_mean(h), h->overflow);
	fprintf(f, "  \"counters\": {");
#define GEN_TCP_JSON(fld, name, err)                                                               \
	fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", name, s->fld);                         \
	first = false;
	GEN_TCP_COUNTERS(GEN_TCP_JSON)
#undef GEN_TCP_JSON
	fprintf(f, "},\n  \"errors\": {\"total\": %" PRIu64 ", \"first\": ", gen_tcp_errors(s));
	if (s->first_error != NULL)
		fprintf(f, "\"%s\"", s->first_error); /* static text without quotes */
	else
		fprintf(f, "null");
	fprintf(f, "},\n");
}
