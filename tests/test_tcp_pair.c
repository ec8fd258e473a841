/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two sluice stacks in one process talking TCP through a deterministic
 * impaired wire: every Nth packet dropped, every Mth duplicated, every Kth
 * held back behind the next one (reordered), each packet delivered one
 * millisecond of virtual time after it was sent. A client on stack A sends
 * a pseudo-random byte stream to the tcp-echo service (apps/services/
 * tcp_echo.c, the real one) on stack B, half-closes, and checks that every
 * byte comes back identical and both sides close with FIN; then every mbuf
 * must be back in the pool.
 *
 * Sizes go from 1 byte to 64 MiB without impairment, 8 MiB with one loss
 * in 50, 1 MiB with each impairment and all three together. Both stacks
 * send payloads over 64 bytes by reference (zero copy: segments chain
 * indirect mbufs into the send queue, as on ports that take chains); the
 * *_copy cases repeat some of it with ports that take single-segment
 * packets only. Virtual time
 * costs nothing, so RTO waits are free; the bytes are what costs: on the
 * 2-vCPU development VM the binary takes about 0.4 s, and 2.5 s with
 * ASan/UBSan (well inside the 30 s budget). Sizes beyond 64 MiB would add
 * time, not coverage.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app_config.h"
#include "fixture.h"
#include "sluice_service.h"
#include "stk_tcp.h"
#include "tcp_pair.h"

#define WIRE_MAX 16384
#define ECHO_PORT 7
#define STEP_MS 1

static struct rte_mempool *mp;

struct wire {
	struct rte_mbuf *q[WIRE_MAX];
	uint64_t due[WIRE_MAX];
	unsigned int head, n;
	struct rte_mbuf *held; /* reordered: goes after the next packet */
	uint64_t seen, dropped, duped, reordered, overflow;
	uint64_t by_ref; /* payload chained by reference to the send queue */
	unsigned int drop_every, dup_every, reorder_every;
	uint64_t *now;
	const char *name;
};

struct pair {
	struct fx *a, *b;
	struct wire ab, ba;
	struct tp_client cl;
	uint64_t now;
	const struct sl_service *svc; /* on stack B */
	void *svc_state;
	const char *http_path, *http_body; /* [http] keys as a file has them; NULL = default */
};

static void
wire_push(struct wire *w, struct rte_mbuf *m)
{
	unsigned int slot;

	if (w->n == WIRE_MAX) {
		w->overflow++;
		rte_pktmbuf_free(m);
		return;
	}
	slot = (w->head + w->n) % WIRE_MAX;
	w->q[slot] = m;
	w->due[slot] = *w->now + STEP_MS * (FX_HZ / 1000);
	w->n++;
}

static bool trace;

static void
trace_pkt(const struct wire *w, struct rte_mbuf *m, const char *fate)
{
	struct rte_tcp_hdr *th = fx_tcp(m);
	const uint8_t *sk = fx_tcp_opt(m, 5);

	print_message("%8" PRIu64 " %s #%-5" PRIu64
		      " %-4s %c%c%c%c seq %10u ack %10u len %4u win %5u",
		      *w->now / 1000, w->name, w->seen, fate,
		      (th->tcp_flags & RTE_TCP_SYN_FLAG) ? 'S' : '.',
		      (th->tcp_flags & RTE_TCP_FIN_FLAG) ? 'F' : '.',
		      (th->tcp_flags & RTE_TCP_RST_FLAG) ? 'R' : '.',
		      (th->tcp_flags & RTE_TCP_ACK_FLAG) ? 'A' : '.',
		      rte_be_to_cpu_32(th->sent_seq), rte_be_to_cpu_32(th->recv_ack),
		      fx_tcp_payload_len(m), rte_be_to_cpu_16(th->rx_win));
	if (sk != NULL) {
		unsigned int i;

		for (i = 0; i < (unsigned int)(sk[1] - 2) / 8; i++)
			print_message(" sack %u-%u",
				      (sk[2 + 8 * i] << 24 | sk[3 + 8 * i] << 16 |
				       sk[4 + 8 * i] << 8 | sk[5 + 8 * i]),
				      (sk[6 + 8 * i] << 24 | sk[7 + 8 * i] << 16 |
				       sk[8 + 8 * i] << 8 | sk[9 + 8 * i]));
	}
	print_message("\n");
}

/* stk_tx_fn: what one stack sends enters the wire to the other */
static void
wire_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct wire *w = arg;
	uint16_t i;

	RTE_SET_USED(port_id);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		w->seen++;
		if (m->next != NULL && RTE_MBUF_CLONED(m->next))
			w->by_ref++;
		if (trace)
			trace_pkt(w, m,
				  w->drop_every != 0 && w->seen % w->drop_every == 0 ? "DROP" : "");
		if (w->drop_every != 0 && w->seen % w->drop_every == 0) {
			w->dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (w->dup_every != 0 && w->seen % w->dup_every == 0) {
			struct rte_mbuf *d = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);

			if (d != NULL) {
				w->duped++;
				wire_push(w, d);
			}
		}
		if (w->reorder_every != 0 && w->seen % w->reorder_every == 0 && w->held == NULL) {
			w->reordered++;
			w->held = m;
			continue;
		}
		wire_push(w, m);
		if (w->held != NULL) {
			wire_push(w, w->held);
			w->held = NULL;
		}
	}
}

/* Deliver what is due; true if anything was on the wire. */
static bool
wire_deliver(struct wire *w, struct fx *dst)
{
	struct rte_mbuf *burst[32];
	uint16_t n = 0;
	bool busy = w->n != 0 || w->held != NULL;

	while (w->n != 0 && w->due[w->head] <= *w->now) {
		burst[n++] = w->q[w->head];
		w->head = (w->head + 1) % WIRE_MAX;
		w->n--;
		if (n == RTE_DIM(burst)) {
			stk_input_burst(dst->stk, FX_PORT, burst, n);
			n = 0;
		}
	}
	if (n != 0)
		stk_input_burst(dst->stk, FX_PORT, burst, n);
	/* a held packet with nothing behind it does not wait forever */
	if (w->held != NULL && w->n == 0) {
		wire_push(w, w->held);
		w->held = NULL;
	}
	return busy;
}

static void
wire_flush(struct wire *w)
{
	while (w->n != 0) {
		rte_pktmbuf_free(w->q[w->head]);
		w->head = (w->head + 1) % WIRE_MAX;
		w->n--;
	}
	rte_pktmbuf_free(w->held);
	w->held = NULL;
}

/* ---- the pair ---- */

static struct fx *
side_new(const char *name, struct wire *out, const char *ip, const struct rte_ether_addr *mac,
	 const char *peer_ip, const struct rte_ether_addr *peer_mac)
{
	struct fx *fx = fx_new(mp);

	tp_side_conf(fx, name, wire_tx, out, ip, mac, peer_ip, peer_mac);
	fx->conf.tcp.max_conns = 64;
	/* longer than the RTO (1 s at least): a FIN whose ACK the wire lost
	 * goes again and must still find TIME-WAIT (2 MSL >> RTO) */
	fx->conf.tcp.time_wait_ms = 3000;
	fx->conf.ifs[0].tx_max_segs = UINT16_MAX; /* the stack caps it */
	fx->conf.tcp.tx_copy_max = 64; /* by reference beyond, whatever the default */
	return fx;
}

static int
setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->ab.now = &p->now;
	p->ba.now = &p->now;
	p->ab.name = "a>b";
	p->ba.name = "b>a";
	trace = getenv("SL_PAIR_TRACE") != NULL;
	p->a = side_new("pair_a", &p->ab, FX_IP_US, &fx_mac_us, FX_IP_PEER, &fx_mac_peer);
	p->b = side_new("pair_b", &p->ba, FX_IP_PEER, &fx_mac_peer, FX_IP_US, &fx_mac_us);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	wire_flush(&p->ab);
	wire_flush(&p->ba);
	/* as sluice stops a service: connections aborted, then its fini */
	if (p->svc != NULL && p->b->stk != NULL) {
		stk_tcp_abort_all(p->b->stk);
		if (p->svc->lcore_fini != NULL)
			p->svc->lcore_fini(p->svc_state);
	}
	wire_flush(&p->ab);
	wire_flush(&p->ba);
	/* both stacks go before either pool check */
	stk_free(p->a->stk);
	p->a->stk = NULL;
	stk_free(p->b->stk);
	p->b->stk = NULL;
	fx_delete(p->a);
	fx_delete(p->b);
	free(p);
	return 0;
}

static void
set_time(struct pair *p)
{
	p->a->now = p->now;
	p->b->now = p->now;
	stk_set_time(p->a->stk, p->now);
	stk_set_time(p->b->stk, p->now);
}

/* Both stacks up, service @name listening on B (its lcore_init run as
 * sluice runs it). */
static void
pair_start_svc(struct pair *p, const char *name)
{
	static struct app_config cfg; /* the service's keys, parsed as sluice parses them */
	struct sl_service_env env = {0};
	char set[3][300], err[512], *sets[3];
	int n = 0;

	snprintf(set[n++], sizeof(set[0]), "sluice.service=%s", name);
	if (p->http_path != NULL)
		snprintf(set[n++], sizeof(set[0]), "http.http_path=%s", p->http_path);
	if (p->http_body != NULL)
		snprintf(set[n++], sizeof(set[0]), "http.http_body=%s", p->http_body);
	for (int i = 0; i < n; i++)
		sets[i] = set[i];
	if (app_config_load(&cfg, NULL, sets, n, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	p->svc = sl_service_find(name);
	assert_ptr_equal(cfg.svc, p->svc);
	assert_non_null(p->svc);
	p->now = p->a->now;
	assert_int_equal(fx_start(p->a), 0);
	assert_int_equal(fx_start(p->b), 0);
	set_time(p);
	env.stk = p->b->stk;
	env.tcp_port = ECHO_PORT;
	env.tcp_max_conns = p->b->conf.tcp.max_conns;
	env.cfg = app_config_svc(&cfg);
	if (p->svc->lcore_init != NULL)
		assert_int_equal(p->svc->lcore_init(&env, &p->svc_state), 0);
	assert_int_equal(stk_tcp_listen(p->b->stk, ECHO_PORT, &p->svc->tcp, p->svc_state), 0);
}

static void
pair_start(struct pair *p)
{
	pair_start_svc(p, "tcp-echo");
}

/* Move packets and time until *@done and the wire is idle; the virtual
 * milliseconds it took. */
static uint64_t
pair_run(struct pair *p, const bool *done, uint64_t limit_ms)
{
	uint64_t ms;

	for (ms = 0; ms < limit_ms; ms++) {
		bool busy = wire_deliver(&p->ab, p->b);

		busy |= wire_deliver(&p->ba, p->a);
		if (*done && !busy)
			break;
		p->now += STEP_MS * (FX_HZ / 1000);
		set_time(p);
		stk_timer_run(p->a->stk);
		stk_timer_run(p->b->stk);
	}
	return ms;
}

static void
side_dump(const char *name, struct fx *fx)
{
	struct stk_stats st;
	uint64_t d[STK_DROP_MAX];
	unsigned int i;

	stk_stats_read(fx->stk, &st, d);
	print_message("  %s:", name);
#define PD(f, n)                                                                                   \
	if (st.f != 0 && strncmp(n, "tcp", 3) == 0)                                                \
		print_message(" %s=%" PRIu64, n, st.f);
	STK_STATS(PD)
#undef PD
	for (i = 0; i < STK_DROP_MAX; i++)
		if (d[i] != 0)
			print_message(" %s=%" PRIu64, stk_drop_name(i), d[i]);
	print_message("\n");
}

static void
pair_dump(struct pair *p, uint64_t ms)
{
	print_message("  after %" PRIu64 " ms: sent %" PRIu64 " rcvd %" PRIu64
		      " closed %d reason %d\n",
		      ms, p->cl.sent, p->cl.rcvd, p->cl.closed, p->cl.reason);
	side_dump("a", p->a);
	side_dump("b", p->b);
}

/* Whether stack @fx has no connection left (TIME-WAIT aside). */
static bool
side_idle(struct fx *fx)
{
	uint32_t n[STK_TCP_NSTATES];
	unsigned int s;

	stk_tcp_state_counts(fx->stk, n);
	for (s = STK_TCP_SYN_SENT; s < STK_TCP_NSTATES; s++)
		if (s != STK_TCP_TIME_WAIT && n[s] != 0)
			return false;
	return true;
}

/* Echo @total bytes through the wire; returns the virtual milliseconds it
 * took. */
static uint64_t
transfer(struct pair *p, uint64_t total, uint64_t limit_ms)
{
	struct tp_client *cl = &p->cl;
	uint32_t b_counts[STK_TCP_NSTATES], a_counts[STK_TCP_NSTATES];
	struct stk_stats sb;
	uint64_t ms;
	unsigned int s;

	pair_start(p);
	cl->total = total;
	assert_int_equal(stk_tcp_connect(p->a->stk, fx_ip(FX_IP_PEER), ECHO_PORT, 0, &tp_client_ops,
					 cl, &cl->c),
			 0);
	ms = pair_run(p, &cl->closed, limit_ms);
	/* the client is done; the server may still wait in LAST-ACK for an
	 * ACK the wire lost, until its FIN goes again */
	while (ms < limit_ms && !side_idle(p->b)) {
		bool step = false;

		ms += pair_run(p, &step, 1);
	}
	if (getenv("SL_PAIR_DEBUG") != NULL)
		pair_dump(p, ms);
	assert_string_equal(cl->fault, ""); /* first: it explains what follows */
	assert_true(ms < limit_ms);
	assert_true(cl->closed);
	assert_int_equal(cl->reason, STK_TCP_CLOSE_FIN);
	assert_true(cl->eof);
	assert_int_equal(cl->rcvd, total);
	assert_int_equal(p->ab.overflow + p->ba.overflow, 0);
	/* the server side is closed too (LAST-ACK done), the client side in
	 * TIME-WAIT at most */
	stk_tcp_state_counts(p->b->stk, b_counts);
	stk_tcp_state_counts(p->a->stk, a_counts);
	for (s = STK_TCP_SYN_SENT; s < STK_TCP_NSTATES; s++) {
		assert_int_equal(b_counts[s], 0);
		if (s != STK_TCP_TIME_WAIT)
			assert_int_equal(a_counts[s], 0);
	}
	stk_stats_read(p->b->stk, &sb, NULL);
	assert_int_equal(sb.tcp_closed, 1);
	assert_int_equal(stk_tcp_mbufs_held(p->a->stk), 0);
	assert_int_equal(stk_tcp_mbufs_held(p->b->stk), 0);
	/* full-sized segments go by reference exactly where the port takes
	 * chains */
	if (total >= 100000) {
		assert_true((p->ab.by_ref > 0) == (p->a->conf.ifs[0].tx_max_segs >= 2));
		assert_true((p->ba.by_ref > 0) == (p->b->conf.ifs[0].tx_max_segs >= 2));
	}
	print_message("    %8" PRIu64 " B in %6" PRIu64 " virtual ms; wire a->b %" PRIu64
		      " pkts (%" PRIu64 " dropped, %" PRIu64 " duplicated, %" PRIu64
		      " reordered, %" PRIu64 " by reference)\n",
		      total, ms, p->ab.seen, p->ab.dropped, p->ab.duped, p->ab.reordered,
		      p->ab.by_ref);
	return ms;
}

static void
impair(struct pair *p, unsigned int drop, unsigned int dup, unsigned int reorder)
{
	p->ab.drop_every = p->ba.drop_every = drop;
	p->ab.dup_every = p->ba.dup_every = dup;
	p->ab.reorder_every = p->ba.reorder_every = reorder;
}

#define MS_LIMIT (30 * 60 * 1000ULL)

static void
test_echo_1_byte(void **state)
{
	transfer(*state, 1, MS_LIMIT);
}

static void
test_echo_1000_bytes(void **state)
{
	transfer(*state, 1000, MS_LIMIT);
}

static void
test_echo_100k(void **state)
{
	transfer(*state, 100 * 1000, MS_LIMIT);
}

static void
test_echo_4m_clean(void **state)
{
	transfer(*state, 4u << 20, MS_LIMIT);
}

static void
test_echo_64m_clean(void **state)
{
	transfer(*state, 64u << 20, MS_LIMIT);
}

static void
test_echo_8m_drop_every_50th(void **state)
{
	struct pair *p = *state;

	impair(p, 50, 0, 0);
	transfer(p, 8u << 20, MS_LIMIT);
}

static void
test_echo_1m_drop_every_7th(void **state)
{
	struct pair *p = *state;

	impair(p, 7, 0, 0);
	transfer(p, 1u << 20, MS_LIMIT);
	assert_true(p->ab.dropped > 0 && p->ba.dropped > 0);
}

static void
test_echo_1m_duplicate_every_5th(void **state)
{
	struct pair *p = *state;

	impair(p, 0, 5, 0);
	transfer(p, 1u << 20, MS_LIMIT);
	assert_true(p->ab.duped > 0);
}

static void
test_echo_1m_reorder_every_3rd(void **state)
{
	struct pair *p = *state;

	impair(p, 0, 0, 3);
	transfer(p, 1u << 20, MS_LIMIT);
	assert_true(p->ab.reordered > 0);
}

static void
test_echo_1m_all_impairments(void **state)
{
	struct pair *p = *state;

	impair(p, 11, 13, 7);
	transfer(p, 1u << 20, MS_LIMIT);
}

/* the same without chains: every payload copied into its segment */
static void
copy_only(struct pair *p)
{
	p->a->conf.ifs[0].tx_max_segs = 0;
	p->b->conf.ifs[0].tx_max_segs = 0;
}

static void
test_echo_4m_clean_copy(void **state)
{
	struct pair *p = *state;

	copy_only(p);
	transfer(p, 4u << 20, MS_LIMIT);
}

static void
test_echo_1m_all_impairments_copy(void **state)
{
	struct pair *p = *state;

	copy_only(p);
	impair(p, 11, 13, 7);
	transfer(p, 1u << 20, MS_LIMIT);
}

/* zero copy on one side only: B echoes chains of A's send-queue buffers
 * it received, and copies them out again */
static void
test_echo_1m_drop_every_7th_mixed(void **state)
{
	struct pair *p = *state;

	p->b->conf.ifs[0].tx_max_segs = 0;
	impair(p, 7, 0, 0);
	transfer(p, 1u << 20, MS_LIMIT);
}

static void
test_echo_small_drop_every_2nd(void **state)
{
	struct pair *p = *state;

	/* half of everything lost, the handshake and FINs included */
	impair(p, 2, 0, 0);
	transfer(p, 20000, MS_LIMIT);
}

/* ---- HTTP (apps/services/http.c) through the same wire ---- */

struct hclient {
	struct stk_tcp_conn *c;
	const char *req;
	char resp[16384];
	size_t n;
	bool eof;
};

static void
hclient_connected(void *arg, struct stk_tcp_conn *c)
{
	struct hclient *h = arg;

	h->c = c;
	assert_int_equal(stk_tcp_send(c, h->req, (uint32_t)strlen(h->req)), (int)strlen(h->req));
}

static uint32_t
hclient_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct hclient *h = arg;
	struct rte_mbuf *s;

	if (m == NULL) {
		h->eof = true;
		stk_tcp_close(c);
		return 0;
	}
	for (s = m; s != NULL; s = s->next) {
		assert_true(h->n + s->data_len < sizeof(h->resp));
		memcpy(h->resp + h->n, rte_pktmbuf_mtod(s, const char *), s->data_len);
		h->n += s->data_len;
	}
	h->resp[h->n] = '\0';
	rte_pktmbuf_free(m);
	return len;
}

static void
hclient_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct hclient *h = arg;

	RTE_SET_USED(c);
	RTE_SET_USED(why);
	h->eof = true;
}

static const struct stk_tcp_ops hclient_ops = {
	.on_connected = hclient_connected,
	.on_data = hclient_data,
	.on_close = hclient_close,
};

static void
http_exchange(struct pair *p, struct hclient *h, const char *req)
{
	h->req = req;
	pair_start_svc(p, "http");
	assert_int_equal(
		stk_tcp_connect(p->a->stk, fx_ip(FX_IP_PEER), ECHO_PORT, 0, &hclient_ops, h, &h->c),
		0);
	assert_true(pair_run(p, &h->eof, MS_LIMIT) < MS_LIMIT);
}

static const char *
http_status_at(const char *r, unsigned int i)
{
	while (i-- > 0) {
		r = strstr(r + 1, "HTTP/1.1 ");
		if (r == NULL)
			return "";
	}
	return r;
}

/* keep-alive and pipelining: six requests in one write, answered in
 * order, the last one closing */
static void
test_http_pipelined_keepalive(void **state)
{
	struct pair *p = *state;
	struct hclient h = {0};

	http_exchange(p, &h,
		      "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
		      "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
		      "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
		      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
		      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
		      "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(h.eof);
	assert_string_equal(
		h.resp,
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
		"\r\nhello from sluice\n"
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
		"\r\n"
		"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
		"\r\nNot Found\n"
		"HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
		"Content-Length: 19\r\nAllow: GET, HEAD\r\n\r\nMethod Not Allowed\n"
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
		"\r\nhello from sluice\n"
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
		"Connection: close\r\n\r\nhello from sluice\n");
}

/* 400 for a malformed request: answered, then the connection closes */
static void
test_http_errors_close(void **state)
{
	struct pair *p = *state;
	static struct hclient h;

	memset(&h, 0, sizeof(h));
	http_exchange(p, &h, "GET / HTTP/1.1\r\n\r\nGET /x HTTP/9.9\r\n\r\nGET / HTTP/1.1\r\n\r\n");
	assert_true(h.eof);
	assert_non_null(strstr(h.resp, "HTTP/1.1 200 OK"));
	assert_int_equal(strncmp(http_status_at(h.resp, 1), "HTTP/1.1 400 Bad Request", 24), 0);
	assert_string_equal(http_status_at(h.resp, 2), ""); /* nothing after the close */
}

static void
test_http_413(void **state)
{
	struct pair *p = *state;
	static struct hclient h;

	memset(&h, 0, sizeof(h));
	http_exchange(p, &h, "POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n");
	assert_int_equal(strncmp(h.resp, "HTTP/1.1 413 Content Too Large", 30), 0);
	assert_non_null(strstr(h.resp, "Connection: close"));
}

/* [http] http_path and http_body: that path answers 200 with that
 * body (Content-Length counting its bytes), "/" is now a 404 */
static void
test_http_configured_path_body(void **state)
{
	struct pair *p = *state;
	static struct hclient h;

	memset(&h, 0, sizeof(h));
	p->http_path = "/status/v1";
	p->http_body = "{\"ok\": true}\\r\\n"; /* decoded: CR LF */
	http_exchange(p, &h,
		      "GET /status/v1 HTTP/1.1\r\nHost: a\r\n\r\n"
		      "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
		      "GET /status/v1x HTTP/1.1\r\nHost: a\r\n\r\n"
		      "HEAD /status/v1 HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_true(h.eof);
	assert_string_equal(
		h.resp,
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
		"\r\n{\"ok\": true}\r\n"
		"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
		"\r\nNot Found\n"
		"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
		"\r\nNot Found\n"
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
		"Connection: close\r\n\r\n");
}

/* a header with no end within 8 KiB: 413 (as the issue asks; RFC 6585's
 * 431 would be the alternative), then the connection closes */
static void
test_http_header_too_big_413(void **state)
{
	struct pair *p = *state;
	static struct hclient h;
	static char req[9000];

	memset(&h, 0, sizeof(h));
	memset(req, 'a', sizeof(req) - 1);
	memcpy(req, "GET / HTTP/1.1\r\nX-Big: ", 23);
	req[sizeof(req) - 1] = '\0';
	http_exchange(p, &h, req);
	assert_true(h.eof);
	assert_int_equal(strncmp(h.resp, "HTTP/1.1 413 Content Too Large\r\n", 32), 0);
	assert_non_null(strstr(h.resp, "Connection: close"));
	assert_string_equal(http_status_at(h.resp, 1), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_echo_1_byte),
		T(test_echo_1000_bytes),
		T(test_echo_100k),
		T(test_echo_4m_clean),
		T(test_echo_64m_clean),
		T(test_echo_8m_drop_every_50th),
		T(test_echo_1m_drop_every_7th),
		T(test_echo_1m_duplicate_every_5th),
		T(test_echo_1m_reorder_every_3rd),
		T(test_echo_1m_all_impairments),
		T(test_echo_small_drop_every_2nd),
		T(test_echo_4m_clean_copy),
		T(test_echo_1m_all_impairments_copy),
		T(test_echo_1m_drop_every_7th_mixed),
		T(test_http_pipelined_keepalive),
		T(test_http_errors_close),
		T(test_http_413),
		T(test_http_configured_path_body),
		T(test_http_header_too_big_413),
#undef T
	};
	int ret;

	fx_eal_init("test_tcp_pair", NULL);
	mp = fx_mempool("pair_pool", 16383);
	if (mp == NULL)
		return 1;
	ret = cmocka_run_group_tests_name("tcp_pair", tests, NULL, NULL);
	rte_mempool_free(mp);
	return ret;
}
