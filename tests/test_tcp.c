/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP state machine tests on virtual time: the test is the peer. It
 * builds each segment in code (fx_tcp4), feeds it to a stack with one
 * listener or one active open, and checks what the stack sent back, what
 * the service was told, and the drop counters. Each test names the RFC 9293
 * requirement it checks (../shared/rfc9293_requirements.tsv) or the RFC
 * section for behaviour beyond it. Teardown asserts that every mbuf went
 * back to the pool.
 */
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "stk_tcp.h"

#define LPORT 80
#define PPORT 40000
#define PISN 1000u
#define DATA_MAX (1u << 20)
#define PAT_LEN (1u << 20)

static struct rte_mempool *mp;
static uint8_t pat[PAT_LEN];

struct svc {
	struct stk_tcp_conn *conn;
	unsigned int accepts, connects, closes, eofs, sents;
	enum stk_tcp_close_reason reason;
	uint32_t space;
	uint8_t *data;
	uint32_t n_data;
	bool hold;	/* on_data consumes nothing */
	int accept_ret; /* on_accept's answer */
	bool abort_on_data;
	unsigned int urg_calls; /* on_urgent */
	uint32_t urg_pending;	/* its argument, the last time */
	uint32_t urg_query;	/* stk_tcp_urgent_pending() inside it */
	bool abort_on_urgent;
	int soft_err;	/* stk_tcp_soft_error() inside on_close */
	uint32_t reply; /* on_data answers with this many bytes of pat[] */
};

struct t {
	struct fx *fx;
	struct svc svc;
	uint32_t snd; /* the peer's next sequence number */
	uint32_t rcv; /* what the peer expects next from the stack */
	uint32_t iss;
	uint16_t win;
	uint16_t pport, lport;
	bool ts;
	uint32_t tsval, tsecr;
};

/* ---- the service ---- */

static int
svc_accept(void *arg, struct stk_tcp_conn *c, void **conn_arg)
{
	struct svc *s = arg;

	s->accepts++;
	s->conn = c;
	*conn_arg = s;
	return s->accept_ret;
}

static void
svc_connected(void *arg, struct stk_tcp_conn *c)
{
	struct svc *s = arg;

	s->connects++;
	s->conn = c;
}

static uint32_t
svc_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct svc *s = arg;
	uint32_t off = 0;
	struct rte_mbuf *seg;

	if (m == NULL) {
		s->eofs++;
		return 0;
	}
	assert_int_equal(rte_pktmbuf_pkt_len(m), len);
	for (seg = m; seg != NULL; seg = seg->next) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len, DATA_MAX - s->n_data);

		memcpy(s->data + s->n_data, rte_pktmbuf_mtod(seg, uint8_t *), n);
		s->n_data += n;
		off += seg->data_len;
	}
	assert_int_equal(off, len);
	rte_pktmbuf_free(m);
	if (s->abort_on_data)
		stk_tcp_abort(c);
	else if (s->reply > 0)
		assert_int_equal(stk_tcp_send(c, pat, s->reply), (int)s->reply);
	return s->hold ? 0 : len;
}

static void
svc_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	struct svc *s = arg;

	RTE_SET_USED(c);
	s->sents++;
	s->space = space;
}

static void
svc_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct svc *s = arg;

	s->closes++;
	s->reason = why;
	s->soft_err = stk_tcp_soft_error(c);
	if (s->conn == c)
		s->conn = NULL;
}

static void
svc_urgent(void *arg, struct stk_tcp_conn *c, uint32_t pending)
{
	struct svc *s = arg;

	s->urg_calls++;
	s->urg_pending = pending;
	s->urg_query = stk_tcp_urgent_pending(c);
	if (s->abort_on_urgent)
		stk_tcp_abort(c);
}

static const struct stk_tcp_ops ops = {
	.on_accept = svc_accept,
	.on_connected = svc_connected,
	.on_data = svc_data,
	.on_sent = svc_sent,
	.on_close = svc_close,
	.on_urgent = svc_urgent,
};

/* ---- harness ---- */

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct stk_conf *c;

	assert_non_null(t);
	t->fx = fx_new(mp);
	c = &t->fx->conf;
	c->tcp.max_conns = 16;
	c->tcp.time_wait_ms = 2000;
	/* the peer's MAC is known: active opens need no ARP round */
	c->n_arp_static = 1;
	c->arp_static[0].ip = fx_ip(FX_IP_PEER);
	c->arp_static[0].mac = fx_mac_peer;
	t->svc.data = malloc(DATA_MAX);
	assert_non_null(t->svc.data);
	t->win = 65535;
	t->pport = PPORT;
	t->lport = LPORT;
	t->snd = PISN;
	t->tsval = 5000;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	fx_delete(t->fx);
	free(t->svc.data);
	free(t);
	return 0;
}

static void
start(struct t *t)
{
	assert_int_equal(fx_start(t->fx), 0);
	assert_int_equal(stk_tcp_listen(t->fx->stk, LPORT, &ops, &t->svc), 0);
}

static void
adv(struct t *t, uint64_t ms)
{
	fx_advance_ms(t->fx, ms);
	stk_timer_run(t->fx->stk);
}

/* Advance in steps, running timers at each, like the loop does. */
static void
adv_steps(struct t *t, uint64_t ms, uint64_t step)
{
	uint64_t done;

	for (done = 0; done < ms; done += step)
		adv(t, RTE_MIN(step, ms - done));
}

static unsigned int
nout(const struct t *t)
{
	return t->fx->cap.n;
}

static void
clr(struct t *t)
{
	fx_cap_clear(&t->fx->cap);
}

struct seg {
	uint32_t seq, ack, len;
	uint8_t flags;
	uint16_t win, sport, dport;
	struct rte_mbuf *m;
};

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The i-th segment the stack sent, checked for well-formedness. */
static struct seg
out(struct t *t, unsigned int i)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	const uint8_t *o;
	struct seg s;

	assert_true(i < nout(t));
	m = t->fx->cap.pkts[i];
	assert_int_equal(rte_be_to_cpu_16(fx_eth(m)->ether_type), RTE_ETHER_TYPE_IPV4);
	ip = fx_ip4(m);
	assert_int_equal(ip->next_proto_id, IPPROTO_TCP);
	assert_true(fx_ip4_cksum_valid(m));
	assert_true(fx_tcp_cksum_valid(m)); /* MUST-2 */
	assert_int_equal(ip->src_addr, fx_ip(FX_IP_US));
	assert_true(rte_is_same_ether_addr(&fx_eth(m)->dst_addr, &fx_mac_peer));
	assert_true(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
	th = fx_tcp(m);
	s.seq = rte_be_to_cpu_32(th->sent_seq);
	s.ack = rte_be_to_cpu_32(th->recv_ack);
	s.flags = th->tcp_flags;
	s.win = rte_be_to_cpu_16(th->rx_win);
	s.sport = rte_be_to_cpu_16(th->src_port);
	s.dport = rte_be_to_cpu_16(th->dst_port);
	s.len = fx_tcp_payload_len(m);
	s.m = m;
	/* MUST-65: MSS only on SYNs */
	if (!(s.flags & RTE_TCP_SYN_FLAG))
		assert_null(fx_tcp_opt(m, 2));
	o = fx_tcp_opt(m, 8);
	if (o != NULL)
		t->tsecr = get32(o + 2);
	return s;
}

static struct seg
last(struct t *t)
{
	assert_true(nout(t) > 0);
	return out(t, nout(t) - 1);
}

/* A segment from the peer. */
static uint16_t
pin(struct t *t, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, uint16_t len)
{
	uint8_t opt[12];
	uint8_t ol = 0;
	struct rte_mbuf *m;

	if (t->ts) {
		uint32_t v = rte_cpu_to_be_32(t->tsval), e = rte_cpu_to_be_32(t->tsecr);

		opt[0] = 1;
		opt[1] = 1;
		opt[2] = 8;
		opt[3] = 10;
		memcpy(opt + 4, &v, 4);
		memcpy(opt + 8, &e, 4);
		ol = 12;
	}
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->pport, t->lport, seq, ack, flags, t->win, opt, ol,
		    data, len);
	return fx_input(t->fx, m);
}

/* The peer's next in-order segment; its data is pat[] at its offset. */
static uint16_t
psend(struct t *t, uint8_t flags, uint16_t len)
{
	uint16_t r = pin(t, flags, t->snd, t->rcv, pat + (t->snd - PISN - 1), len);

	t->snd += len + ((flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
	return r;
}

static uint16_t
pack(struct t *t)
{
	return psend(t, RTE_TCP_ACK_FLAG, 0);
}

static uint8_t
opt_build(uint8_t *o, uint16_t mss, int ws, bool sack, bool ts, uint32_t tsval)
{
	uint8_t n = 0;

	if (mss != 0) {
		o[n++] = 2;
		o[n++] = 4;
		o[n++] = (uint8_t)(mss >> 8);
		o[n++] = (uint8_t)mss;
	}
	if (sack) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (ts) {
		uint32_t v = rte_cpu_to_be_32(tsval);

		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 8;
		o[n++] = 10;
		memcpy(o + n, &v, 4);
		memset(o + n + 4, 0, 4);
		n += 8;
	}
	if (ws >= 0) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = (uint8_t)ws;
	}
	return n;
}

static bool
opt_has(const uint8_t *o, uint8_t ol, uint8_t kind)
{
	uint8_t i = 0;

	while (i < ol) {
		if (o[i] == 0)
			return false;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (o[i] == kind)
			return true;
		i = (uint8_t)(i + o[i + 1]);
	}
	return false;
}

/* Passive open with SYN options @o: SYN, SYN-ACK, ACK. */
static void
establish_opts(struct t *t, const uint8_t *o, uint8_t ol)
{
	struct rte_mbuf *m;
	struct seg s;

	t->ts = opt_has(o, ol, 8);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->pport, t->lport, t->snd, 0, RTE_TCP_SYN_FLAG,
		    t->win, o, ol, NULL, 0);
	assert_int_equal(fx_input(t->fx, m), 1);
	t->snd++;
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(s.ack, t->snd);
	t->iss = s.seq;
	t->rcv = s.seq + 1;
	clr(t);
	assert_int_equal(stk_tcp_get_state(NULL), STK_TCP_CLOSED);
	assert_int_equal(pack(t), 1);
	assert_int_equal(t->svc.accepts, 1);
	assert_non_null(t->svc.conn);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	assert_int_equal(nout(t), 0);
}

static void
establish(struct t *t)
{
	uint8_t o[40];

	establish_opts(t, o, opt_build(o, 1460, -1, false, false, 0));
}

static uint32_t
state_count(struct t *t, enum stk_tcp_state s)
{
	uint32_t n[STK_TCP_NSTATES];

	stk_tcp_state_counts(t->fx->stk, n);
	return n[s];
}

/* The service sends @len bytes of pat[] (from offset @off). */
static void
ssend(struct t *t, uint32_t off, uint32_t len)
{
	assert_int_equal(stk_tcp_send(t->svc.conn, pat + off, len), (int)len);
}

static void
check_payload(struct seg s, uint32_t off)
{
	assert_memory_equal(fx_tcp_payload(s.m), pat + off, s.len);
}

/* ==== opening ==== */

/* RFC 9293 3.10.7.2 LISTEN + SYN; MUST-14 (MSS sent), MUST-67 (from the MTU) */
static void
test_listen_syn_gets_synack_mss_14(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	struct rte_mbuf *m;
	const uint8_t *mss;
	struct seg s;

	start(t);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0, RTE_TCP_SYN_FLAG, 65535, o,
		    opt_build(o, 1460, -1, false, false, 0), NULL, 0);
	assert_int_equal(fx_input(t->fx, m), 1);
	assert_int_equal(nout(t), 1);
	s = out(t, 0);
	assert_int_equal(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(s.ack, PISN + 1);
	assert_int_equal(s.sport, LPORT);
	assert_int_equal(s.dport, PPORT);
	assert_int_equal(s.len, 0);
	mss = fx_tcp_opt(s.m, 2);
	assert_non_null(mss);
	assert_int_equal(mss[2] << 8 | mss[3], 1500 - 40);
	/* the peer offered neither WS, SACK nor timestamps: none in reply */
	assert_null(fx_tcp_opt(s.m, 3));
	assert_null(fx_tcp_opt(s.m, 4));
	assert_null(fx_tcp_opt(s.m, 8));
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 1);
	assert_int_equal(state_count(t, STK_TCP_LISTEN), 1);
	assert_int_equal(t->svc.accepts, 0); /* not before the handshake completes */
}

/* RFC 9293 3.10.7.4 SYN-RECEIVED + ACK -> ESTABLISHED; the service learns */
static void
test_passive_open_established(void **state)
{
	struct t *t = *state;
	struct stk_tcp_tuple tu;

	start(t);
	establish(t);
	stk_tcp_get_tuple(t->svc.conn, &tu);
	assert_int_equal(tu.local_port, LPORT);
	assert_int_equal(tu.remote_port, PPORT);
	assert_int_equal(tu.local_ip, fx_ip(FX_IP_US));
	assert_int_equal(tu.remote_ip, fx_ip(FX_IP_PEER));
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 1);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 0);
	assert_int_equal(fx_stats(t->fx).tcp_accepted, 1);
	assert_int_equal(fx_drops_total(t->fx), 0);
}

/* RFC 9293 3.10.7.1: CLOSED port, segment without ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK> */
static void
test_closed_port_syn_gets_rst_ack(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	t->lport = 81;
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_NO_LISTENER), 1);
	assert_int_equal(fx_drops_total(t->fx), 1);
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(s.seq, 0);
	assert_int_equal(s.ack, PISN + 1);
	assert_int_equal(s.sport, 81);
	clr(t);
	/* with data and FIN, the ACK covers them */
	assert_int_equal(pin(t, RTE_TCP_FIN_FLAG, PISN, 0, pat, 10), 0);
	assert_int_equal(last(t).ack, PISN + 11);
}

/* RFC 9293 3.10.7.1: with ACK -> <SEQ=SEG.ACK><CTL=RST>; never a RST for a RST */
static void
test_closed_port_ack_gets_rst_seq_ack(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	t->lport = 81;
	pin(t, RTE_TCP_ACK_FLAG, PISN, 777777, pat, 5);
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_RST_FLAG);
	assert_int_equal(s.seq, 777777);
	clr(t);
	fx_expect_drop(t->fx,
		       fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, 81, PISN, 0, RTE_TCP_RST_FLAG, 0,
			       NULL, 0, NULL, 0),
		       STK_DROP_TCP_NO_LISTENER);
}

/* RFC 9293 3.10.7.2: in LISTEN a RST is ignored, an ACK gets a RST */
static void
test_listen_rst_ignored_ack_reset(void **state)
{
	struct t *t = *state;

	start(t);
	fx_expect_drop(t->fx,
		       fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0, RTE_TCP_RST_FLAG, 0,
			       NULL, 0, NULL, 0),
		       STK_DROP_TCP_LISTEN_DROP);
	pin(t, RTE_TCP_ACK_FLAG, PISN, 4242, NULL, 0);
	assert_int_equal(last(t).flags, RTE_TCP_RST_FLAG);
	assert_int_equal(last(t).seq, 4242);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_LISTEN_DROP), 2);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 0);
}

/* MUST-3: the receiver checks the checksum */
static void
test_bad_checksum_dropped_must_3(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *m;

	start(t);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0, RTE_TCP_SYN_FLAG, 65535, NULL,
		    0, NULL, 0);
	fx_tcp(m)->cksum ^= 0x0100;
	fx_expect_drop(t->fx, m, STK_DROP_TCP_BAD_CKSUM);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 0);
}

/* RELIABILITY.md 1: the data offset is checked against the bytes received */
static void
test_bad_data_offset_dropped(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *m;

	start(t);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0, RTE_TCP_SYN_FLAG, 65535, NULL,
		    0, NULL, 0);
	fx_tcp(m)->data_off = 4 << 4; /* 16 < 20 */
	fx_tcp_fix(m);
	fx_expect_drop(t->fx, m, STK_DROP_TCP_BAD_OFFSET);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0, RTE_TCP_SYN_FLAG, 65535, NULL,
		    0, NULL, 8);
	fx_tcp(m)->data_off = 8 << 4; /* 32 > 28 bytes of segment */
	fx_tcp_fix(m);
	fx_expect_drop(t->fx, m, STK_DROP_TCP_BAD_OFFSET);
	fx_expect_drop(t->fx, fx_ip4_raw(mp, FX_IP_PEER, FX_IP_US, IPPROTO_TCP, 19),
		       STK_DROP_TCP_TOO_SHORT);
}

/* MUST-7 (illegal option lengths), RELIABILITY.md 1: 0 and 1 are invalid,
 * an option must end inside the header; no loop on a zero length */
static void
test_bad_option_lengths_dropped_must_7(void **state)
{
	static const uint8_t bad[][8] = {
		{2, 0, 0, 0, 0, 0, 0, 0},   /* length 0 */
		{1, 2, 1, 0, 0, 0, 0, 0},   /* length 1 */
		{1, 1, 1, 1, 1, 1, 8, 10},  /* TS runs past the header */
		{2, 5, 5, 180, 0, 0, 0, 0}, /* MSS of length 5 */
		{3, 4, 7, 0, 0, 0, 0, 0},   /* WS of length 4 */
		{1, 1, 1, 1, 1, 1, 1, 99},  /* kind without its length byte */
	};
	struct t *t = *state;
	unsigned int i;

	start(t);
	for (i = 0; i < RTE_DIM(bad); i++)
		fx_expect_drop(t->fx,
			       fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0,
				       RTE_TCP_SYN_FLAG, 65535, bad[i], 8, NULL, 0),
			       STK_DROP_TCP_BAD_OPTION);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 0);
}

/* MUST-6 (ignore unknown options), MUST-64 (any alignment), MUST-5 */
static void
test_unknown_and_unaligned_options_accepted_must_6_64(void **state)
{
	/* NOP, kind 99 of length 2, MSS 512 at an odd offset, EOL */
	static const uint8_t o[12] = {1, 99, 2, 2, 4, 0x02, 0x00, 0, 0, 0, 0, 0};
	struct t *t = *state;
	unsigned int i;

	start(t);
	establish_opts(t, o, sizeof(o));
	/* the MSS was honoured: 1500 bytes leave as 512, 512, 476 */
	ssend(t, 0, 1500);
	assert_int_equal(nout(t), 3);
	for (i = 0; i < 3; i++)
		assert_true(out(t, i).len <= 512);
	assert_int_equal(out(t, 0).len, 512);
}

/* MUST-15: without an MSS option the send MSS is 536 */
static void
test_no_mss_option_means_536_must_15(void **state)
{
	struct t *t = *state;
	unsigned int i;

	start(t);
	establish_opts(t, NULL, 0);
	ssend(t, 0, 2000);
	/* RFC 5681 3.1: initial window 4 segments of 536 */
	assert_int_equal(nout(t), 4);
	for (i = 0; i < 3; i++)
		assert_int_equal(out(t, i).len, 536);
	assert_int_equal(out(t, 3).len, 2000 - 3 * 536);
}

/* MUST-16, SHLD-6: a larger MSS from the peer is clamped to our MTU */
static void
test_peer_mss_clamped_to_mtu_must_16(void **state)
{
	struct t *t = *state;
	uint8_t o[40];

	start(t);
	establish_opts(t, o, opt_build(o, 9000, -1, false, false, 0));
	ssend(t, 0, 3000);
	assert_int_equal(out(t, 0).len, 1460);
	check_payload(out(t, 0), 0);
	check_payload(out(t, 1), 1460);
}

/* MUST-49: TTL of what we send is configurable */
static void
test_ttl_configurable_must_49(void **state)
{
	struct t *t = *state;

	t->fx->conf.ttl = 99;
	start(t);
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	assert_int_equal(fx_ip4(last(t).m)->time_to_live, 99);
}

/* RFC 9293 3.10.7.2: a SYN with FIN or RST is nonsense; ports 0 too */
static void
test_bad_flags_and_port_zero_dropped(void **state)
{
	struct t *t = *state;

	start(t);
	fx_expect_drop(t->fx,
		       fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0,
			       RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG, 65535, NULL, 0, NULL, 0),
		       STK_DROP_TCP_BAD_FLAGS);
	fx_expect_drop(t->fx,
		       fx_tcp4(mp, FX_IP_PEER, FX_IP_US, 0, LPORT, PISN, 0, RTE_TCP_SYN_FLAG, 65535,
			       NULL, 0, NULL, 0),
		       STK_DROP_TCP_BAD_PORT);
}

/* ==== data ==== */

/* SHLD-18, MUST-40 (delay < 0.5 s), MUST-58: one segment waits for the
 * delayed-ACK timer (40 ms) */
static void
test_delayed_ack_must_40(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	assert_int_equal(psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 100), 1);
	assert_int_equal(t->svc.n_data, 100);
	assert_memory_equal(t->svc.data, pat, 100);
	assert_int_equal(nout(t), 0);
	adv(t, 39);
	assert_int_equal(nout(t), 0);
	adv(t, 1);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(last(t).flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(fx_stats(t->fx).tcp_delayed_acks, 1);
}

/* MUST-58 (aggregate ACKs), SHLD-18: an answer the service sends from
 * on_data carries the ACK, and no delayed ACK follows it (found by
 * tests/interop/tcp_states.py: one redundant ACK 40 ms after every
 * request/response of the http service) */
static void
test_reply_from_on_data_no_delayed_ack_must_58(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	establish(t);
	t->svc.reply = 50;
	assert_int_equal(psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 100), 1);
	assert_int_equal(nout(t), 1);
	s = last(t);
	assert_int_equal(s.len, 50);
	assert_int_equal(s.ack, t->snd);
	clr(t);
	adv_steps(t, 200, 10); /* past the delayed-ACK timer, before the RTO */
	assert_int_equal(nout(t), 0);
	assert_int_equal(fx_stats(t->fx).tcp_delayed_acks, 0);
}

/* SHLD-19: every second full-sized segment is ACKed at once */
static void
test_ack_every_second_full_segment_shld_19(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	psend(t, RTE_TCP_ACK_FLAG, 1460);
	assert_int_equal(nout(t), 0);
	psend(t, RTE_TCP_ACK_FLAG, 1460);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(t->svc.n_data, 2920);
	assert_memory_equal(t->svc.data, pat, 2920);
}

/* SHLD-31 (queue out-of-order), MAY-13 (ACK it at once), RFC 2018 SACK
 * blocks, MUST-59 (everything queued processed before the ACK) */
static void
test_out_of_order_queued_and_sacked_shld_31(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	const uint8_t *sack;
	uint32_t base;
	struct seg s;

	start(t);
	establish_opts(t, o, opt_build(o, 1460, -1, true, false, 0));
	base = t->snd;
	/* bytes 100..199 first */
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, base + 100, t->rcv, pat + 100, 100), 1);
	assert_int_equal(t->svc.n_data, 0);
	assert_int_equal(nout(t), 1);
	s = last(t);
	assert_int_equal(s.ack, base);
	sack = fx_tcp_opt(s.m, 5);
	assert_non_null(sack);
	assert_int_equal(sack[1], 10);
	assert_int_equal(get32(sack + 2), base + 100);
	assert_int_equal(get32(sack + 6), base + 200);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 1);
	clr(t);
	/* then 0..99: both delivered in order, ACKed at once */
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, base, t->rcv, pat, 100), 1);
	assert_int_equal(t->svc.n_data, 200);
	assert_memory_equal(t->svc.data, pat, 200);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).ack, base + 200);
	assert_null(fx_tcp_opt(last(t).m, 5));
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* RELIABILITY.md 6: out-of-order segments per connection are bounded */
static void
test_out_of_order_limit_counted(void **state)
{
	struct t *t = *state;
	unsigned int i;

	t->fx->conf.tcp.ooo_max_segs = 3;
	start(t);
	establish(t);
	for (i = 0; i < 3; i++)
		assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd + 10 + 20 * i, t->rcv, pat, 10),
				 1);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd + 100, t->rcv, pat, 10), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_OOO_LIMIT), 1);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 3);
	/* overlapping and duplicate pieces do not grow the queue */
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd + 10, t->rcv, pat, 5), 0 + 1);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 3);
}

/* Overlapping out-of-order pieces reassemble to the right bytes */
static void
test_reassembly_overlaps(void **state)
{
	struct t *t = *state;
	uint32_t b;

	start(t);
	establish(t);
	b = t->snd;
	pin(t, RTE_TCP_ACK_FLAG, b + 50, t->rcv, pat + 50, 50);	  /* 50..99 */
	pin(t, RTE_TCP_ACK_FLAG, b + 80, t->rcv, pat + 80, 60);	  /* 80..139 */
	pin(t, RTE_TCP_ACK_FLAG, b + 30, t->rcv, pat + 30, 100);  /* 30..129 covers 50..99 */
	pin(t, RTE_TCP_ACK_FLAG, b + 200, t->rcv, pat + 200, 10); /* 200..209 */
	pin(t, RTE_TCP_ACK_FLAG, b + 140, t->rcv, pat + 140, 60); /* 140..199 */
	assert_int_equal(t->svc.n_data, 0);
	pin(t, RTE_TCP_ACK_FLAG, b, t->rcv, pat, 40); /* 0..39 */
	assert_int_equal(t->svc.n_data, 210);
	assert_memory_equal(t->svc.data, pat, 210);
	assert_int_equal(last(t).ack, b + 210);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* Old data (a retransmission of what we have) is ACKed and dropped as a
 * duplicate; a segment beyond the window is dropped and ACKed */
static void
test_duplicate_and_out_of_window(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	psend(t, RTE_TCP_ACK_FLAG, 100);
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd - 100, t->rcv, pat, 100), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_DUPLICATE), 1);
	assert_int_equal(last(t).ack, t->snd);
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd + 70000, t->rcv, pat, 100), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_OUT_OF_WINDOW), 1);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(t->svc.n_data, 100);
}

/* A retransmission of old data is dropped as a duplicate, but the ACK it
 * carries counts (the peer's latest): with both ends retransmitting old
 * data at each other and the pure ACKs lost, ignoring it stalls both. It
 * is no duplicate ACK either (it carries data). */
static void
test_duplicate_data_ack_counts(void **state)
{
	struct t *t = *state;
	uint32_t a;

	start(t);
	establish(t);
	psend(t, RTE_TCP_ACK_FLAG, 100);
	clr(t);
	a = t->rcv;
	ssend(t, 0, 3 * 1460);
	assert_int_equal(nout(t), 3);
	clr(t);
	/* the peer's old segment again, acknowledging the first of ours */
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd - 100, a + 1460, pat, 100), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_DUPLICATE), 1);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(t->svc.n_data, 100);
	/* twice more with that ACK: data, so no duplicate ACKs, no fast
	 * retransmit */
	pin(t, RTE_TCP_ACK_FLAG, t->snd - 100, a + 1460, pat, 100);
	pin(t, RTE_TCP_ACK_FLAG, t->snd - 100, a + 1460, pat, 100);
	pin(t, RTE_TCP_ACK_FLAG, t->snd - 100, a + 1460, pat, 100);
	assert_int_equal(fx_stats(t->fx).tcp_fast_retransmits, 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_DUPLICATE), 4);
	t->rcv = a + 3 * 1460;
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd - 100, t->rcv, pat, 100), 0);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
	assert_int_equal(t->svc.n_data, 100);
}

/* Sending: data goes out, ACKs free the queue, on_sent reports room;
 * MUST-61 (PSH on the last segment) */
static void
test_send_acked_on_sent_must_61(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	establish(t);
	assert_int_equal(stk_tcp_send_space(t->svc.conn), 65536);
	ssend(t, 0, 2000);
	assert_int_equal(nout(t), 2);
	s = out(t, 0);
	assert_int_equal(s.seq, t->rcv);
	assert_int_equal(s.len, 1460);
	assert_false(s.flags & RTE_TCP_PSH_FLAG);
	check_payload(s, 0);
	s = out(t, 1);
	assert_int_equal(s.seq, t->rcv + 1460);
	assert_int_equal(s.len, 540);
	assert_true(s.flags & RTE_TCP_PSH_FLAG);
	check_payload(s, 1460);
	assert_int_equal(stk_tcp_send_space(t->svc.conn), 65536 - 2000);
	t->rcv += 2000;
	clr(t);
	pack(t);
	assert_int_equal(t->svc.sents, 1);
	assert_int_equal(t->svc.space, 65536);
	assert_int_equal(nout(t), 0);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* SHLD-7 (Nagle) and MUST-17 (the application can turn it off) */
static void
test_nagle_and_nodelay_must_17(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	ssend(t, 0, 1);
	ssend(t, 1, 1);
	ssend(t, 2, 1);
	/* the first small segment goes; the others wait for its ACK */
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).len, 1);
	t->rcv += 1;
	clr(t);
	pack(t);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).len, 2);
	check_payload(last(t), 1);
	t->rcv += 2;
	clr(t);
	pack(t);
	stk_tcp_set_nodelay(t->svc.conn, true);
	ssend(t, 3, 1);
	ssend(t, 4, 1);
	assert_int_equal(nout(t), 2);
}

/* zero copy: the service's mbufs go into the queue as they are */
static void
test_send_mbuf_chain(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *a, *b;

	start(t);
	establish(t);
	a = fx_payload(mp, 1000, 0);
	b = fx_payload(mp, 1000, 0);
	memcpy(rte_pktmbuf_mtod(a, uint8_t *), pat, 1000);
	memcpy(rte_pktmbuf_mtod(b, uint8_t *), pat + 1000, 1000);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	assert_int_equal(stk_tcp_send_mbuf(t->svc.conn, a), 0);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 2);
	assert_int_equal(nout(t), 2);
	check_payload(out(t, 0), 0);
	check_payload(out(t, 1), 1460);
	t->rcv += 2000;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* ==== zero copy out of the send queue ==== */

/* A port that transmits chains (stk_if_conf.tx_max_segs, from
 * RTE_ETH_TX_OFFLOAD_MULTI_SEGS): payloads above tcp.tx_copy_max go by
 * reference; 256, below the default, lets a 1500-byte MTU's go. */
static void
zc_port(struct t *t, uint16_t max_segs)
{
	t->fx->conf.ifs[0].tx_max_segs = max_segs;
	t->fx->conf.tcp.tx_copy_max = 256;
}

/* The payload of a sent segment, wherever its bytes are, against pat[]. */
static void
check_payload_any(struct seg s, uint32_t off)
{
	static uint8_t buf[UINT16_MAX];
	const uint8_t *p;

	p = rte_pktmbuf_read(s.m, rte_pktmbuf_pkt_len(s.m) - s.len, s.len, buf);
	assert_non_null(p);
	assert_memory_equal(p, pat + off, s.len);
}

/* The @i-th payload piece chained behind a segment's headers; checks that
 * it references (does not copy) its bytes. */
static struct rte_mbuf *
piece(struct seg s, unsigned int i)
{
	struct rte_mbuf *r = s.m->next;

	while (r != NULL && i-- > 0)
		r = r->next;
	assert_non_null(r);
	assert_true(RTE_MBUF_CLONED(r));
	return r;
}

static struct rte_mbuf *
service_mbuf(uint32_t off, uint16_t len)
{
	struct rte_mbuf *m = fx_payload(mp, len, 0);

	memcpy(rte_pktmbuf_mtod(m, uint8_t *), pat + off, len);
	return m;
}

/* The issue's "send takes mbufs the service built (zero copy)": the
 * segment's payload is the service's own bytes, referenced by an indirect
 * mbuf; the queue keeps its reference until the ACK, the segment its own
 * until the driver is done, and the buffer goes back to the pool only when
 * both let go. */
static void
test_zero_copy_references_send_queue(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *a, *r;
	unsigned int base;
	struct seg s;

	zc_port(t, 8);
	start(t);
	establish(t);
	base = fx_in_use(mp);
	a = service_mbuf(0, 1000);
	assert_int_equal(stk_tcp_send_mbuf(t->svc.conn, a), 0);
	assert_int_equal(nout(t), 1);
	s = out(t, 0); /* checksums verified over the chain */
	assert_int_equal(s.len, 1000);
	assert_int_equal(s.m->nb_segs, 2);
	assert_int_equal(rte_pktmbuf_data_len(s.m), rte_pktmbuf_pkt_len(s.m) - 1000);
	r = piece(s, 0);
	assert_ptr_equal(rte_mbuf_from_indirect(r), a);
	assert_ptr_equal(rte_pktmbuf_mtod(r, uint8_t *), rte_pktmbuf_mtod(a, uint8_t *));
	assert_int_equal(r->data_len, 1000);
	assert_int_equal(rte_mbuf_refcnt_read(a), 2);
	check_payload_any(s, 0);
	assert_int_equal(fx_stats(t->fx).tcp_tx_by_ref, 1);
	/* acknowledged while the segment is still in the driver's hands */
	t->rcv += 1000;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
	assert_int_equal(rte_mbuf_refcnt_read(a), 1);
	check_payload_any(s, 0);
	assert_true(fx_in_use(mp) > base);
	clr(t);
	assert_int_equal(fx_in_use(mp), base);
}

/* A segment spanning two service-built mbufs (ending mid-way through the
 * second), then one starting mid-buffer */
static void
test_zero_copy_spans_two_service_mbufs(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *a, *b;
	unsigned int base;
	struct seg s;

	zc_port(t, 8);
	start(t);
	establish(t);
	base = fx_in_use(mp);
	a = service_mbuf(0, 1000);
	b = service_mbuf(1000, 1000);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	assert_int_equal(stk_tcp_send_mbuf(t->svc.conn, a), 0);
	assert_int_equal(nout(t), 2);
	s = out(t, 0);
	assert_int_equal(s.len, 1460);
	assert_int_equal(s.m->nb_segs, 3);
	assert_ptr_equal(rte_mbuf_from_indirect(piece(s, 0)), a);
	assert_int_equal(piece(s, 0)->data_len, 1000);
	assert_ptr_equal(rte_mbuf_from_indirect(piece(s, 1)), b);
	assert_ptr_equal(rte_pktmbuf_mtod(piece(s, 1), uint8_t *), rte_pktmbuf_mtod(b, uint8_t *));
	assert_int_equal(piece(s, 1)->data_len, 460);
	check_payload_any(s, 0);
	s = out(t, 1);
	assert_int_equal(s.len, 540);
	assert_int_equal(s.m->nb_segs, 2);
	assert_ptr_equal(rte_pktmbuf_mtod(piece(s, 0), uint8_t *),
			 rte_pktmbuf_mtod(b, uint8_t *) + 460);
	check_payload_any(s, 1460);
	assert_int_equal(rte_mbuf_refcnt_read(a), 2);
	assert_int_equal(rte_mbuf_refcnt_read(b), 3);
	/* the first segment is acknowledged: the queue trims b, which the
	 * second segment still points into */
	t->rcv += 1460;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 1);
	check_payload_any(out(t, 1), 1460);
	clr(t);
	t->rcv += 540;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
	assert_int_equal(fx_in_use(mp), base);
}

/* Loss: the retransmission references the queue again, with the right
 * bytes, from wherever the ACKs left its first buffer */
static void
test_zero_copy_retransmission_after_loss(void **state)
{
	struct t *t = *state;
	uint32_t d0;
	unsigned int base, i;
	bool rexmit_mid;
	struct seg s;

	zc_port(t, 8);
	start(t);
	establish(t);
	base = fx_in_use(mp);
	d0 = t->rcv;
	/* copied into the queue (buffers of 2048 bytes) */
	ssend(t, 0, 3000);
	assert_int_equal(nout(t), 3);
	s = out(t, 0);
	assert_int_equal(s.m->nb_segs, 2);
	check_payload_any(s, 0);
	s = out(t, 1); /* the end of the first queue buffer, the start of the second */
	assert_int_equal(s.m->nb_segs, 3);
	check_payload_any(s, 1460);
	s = out(t, 2); /* 80 bytes: copied behind the headers */
	assert_int_equal(s.len, 80);
	assert_int_equal(s.m->nb_segs, 1);
	check_payload(s, 2920);
	clr(t); /* all three lost */
	adv_steps(t, 1000, 10);
	assert_int_equal(nout(t), 1);
	s = last(t);
	assert_int_equal(s.seq, d0);
	assert_int_equal(s.len, 1460);
	(void)piece(s, 0);
	check_payload_any(s, 0);
	clr(t);
	/* the peer got 1000 bytes of it: what goes next starts mid-buffer */
	t->rcv = d0 + 1000;
	pack(t);
	adv_steps(t, 3000, 10);
	assert_true(nout(t) > 0);
	for (i = 0, rexmit_mid = false; i < nout(t); i++) {
		s = out(t, i);
		check_payload_any(s, s.seq - d0);
		if (s.seq == d0 + 1000) {
			assert_int_equal(s.len, 1460);
			assert_int_equal(s.m->nb_segs, 3); /* 1048 + 412 bytes */
			rexmit_mid = true;
		}
	}
	assert_true(rexmit_mid);
	clr(t);
	t->rcv = d0 + 3000;
	pack(t);
	clr(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
	assert_int_equal(fx_in_use(mp), base);
}

/* Tiny payloads are copied behind the headers: up to tcp.tx_copy_max
 * bytes, a chain costs more than the copy */
static void
test_zero_copy_tiny_segments_copied(void **state)
{
	struct t *t = *state;
	struct seg s;

	zc_port(t, 8);
	t->fx->conf.tcp.tx_copy_max = 300;
	start(t);
	establish(t);
	stk_tcp_set_nodelay(t->svc.conn, true);
	ssend(t, 0, 300);
	s = last(t);
	assert_int_equal(s.len, 300);
	assert_int_equal(s.m->nb_segs, 1);
	check_payload(s, 0);
	ssend(t, 300, 301);
	s = last(t);
	assert_int_equal(s.len, 301);
	assert_int_equal(s.m->nb_segs, 2);
	check_payload_any(s, 300);
	ssend(t, 601, 1);
	assert_int_equal(last(t).m->nb_segs, 1);
	assert_int_equal(fx_stats(t->fx).tcp_tx_by_ref, 1);
	t->rcv += 602;
	clr(t);
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* Ports that take single-segment packets only get copies; a chain longer
 * than the port allows is a copy too; so is a segment sent when no mbuf is
 * left to reference its payload */
static void
test_zero_copy_falls_back_to_copy(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *spare[FX_POOL_SIZE], *a;
	unsigned int n = 0, i, n_out, segs;
	int ret;
	struct seg s;

	zc_port(t, 2); /* headers + one piece */
	start(t);
	establish(t);
	a = service_mbuf(0, 1000);
	assert_int_equal(rte_pktmbuf_chain(a, service_mbuf(1000, 1000)), 0);
	assert_int_equal(stk_tcp_send_mbuf(t->svc.conn, a), 0);
	assert_int_equal(nout(t), 2);
	s = out(t, 0); /* would need two pieces */
	assert_int_equal(s.m->nb_segs, 1);
	check_payload(s, 0);
	s = out(t, 1); /* one */
	assert_int_equal(s.m->nb_segs, 2);
	check_payload_any(s, 1460);
	t->rcv += 2000;
	clr(t);
	pack(t);
	/* the pool runs dry but for a queue buffer and a header mbuf */
	while (n < RTE_DIM(spare) && (spare[n] = rte_pktmbuf_alloc(mp)) != NULL)
		n++;
	assert_true(n > 2);
	rte_pktmbuf_free(spare[--n]);
	rte_pktmbuf_free(spare[--n]);
	ret = stk_tcp_send(t->svc.conn, pat + 2000, 1460);
	n_out = nout(t);
	segs = n_out > 0 ? t->fx->cap.pkts[0]->nb_segs : 0;
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(spare[i]);
	assert_int_equal(ret, 1460);
	assert_int_equal(n_out, 1);
	s = last(t);
	assert_int_equal(segs, 1);
	check_payload(s, 2000);
	assert_int_equal(fx_stats(t->fx).tcp_tx_by_ref, 1);
	t->rcv += 1460;
	clr(t);
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
	assert_int_equal(fx_stats(t->fx).tcp_retransmits, 0);
}

/* ==== retransmission and loss recovery ==== */

/* RFC 6298 (initial RTO 1 s, 5.5 backoff), MUST-19 (exponential backoff) */
static void
test_rto_backoff_must_19(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	ssend(t, 0, 100);
	clr(t);
	adv_steps(t, 999, 10);
	assert_int_equal(nout(t), 0);
	adv(t, 1);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, t->rcv);
	assert_int_equal(last(t).len, 100);
	check_payload(last(t), 0);
	clr(t);
	adv_steps(t, 1999, 10);
	assert_int_equal(nout(t), 0);
	adv(t, 1);
	assert_int_equal(nout(t), 1);
	clr(t);
	adv_steps(t, 3999, 10);
	assert_int_equal(nout(t), 0);
	adv(t, 1);
	assert_int_equal(nout(t), 1);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 3);
	/* the ACK ends it */
	t->rcv += 100;
	clr(t);
	pack(t);
	adv_steps(t, 20000, 100);
	assert_int_equal(nout(t), 0);
}

/* MUST-18 (Karn): an ACK of retransmitted data gives no RTT sample, so it
 * cannot stretch the RTO; the backoff is dropped with the next new ACK */
static void
test_karn_no_sample_from_retransmission_must_18(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	ssend(t, 0, 100);
	adv(t, 1000); /* retransmission */
	adv(t, 500);
	t->rcv += 100;
	clr(t);
	pack(t); /* 1.5 s after the first send: ambiguous, not sampled */
	ssend(t, 100, 100);
	clr(t);
	/* RTO is 1 s again (a 1.5 s sample would have made it about 1.7 s) */
	adv_steps(t, 999, 1);
	assert_int_equal(nout(t), 0);
	adv(t, 1);
	assert_int_equal(nout(t), 1);
}

/* MUST-20, MUST-21 (R2 configurable): give up after R2; the service hears
 * TIMEOUT (MUST-12) and the peer a RST */
static void
test_r2_closes_must_20(void **state)
{
	struct t *t = *state;

	t->fx->conf.tcp.r2_ms = 10000;
	start(t);
	establish(t);
	ssend(t, 0, 100);
	adv_steps(t, 9000, 100);
	assert_int_equal(t->svc.closes, 0);
	adv_steps(t, 30000, 100);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_TIMEOUT);
	assert_int_equal(last(t).flags & RTE_TCP_RST_FLAG, RTE_TCP_RST_FLAG);
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 0);
	assert_int_equal(fx_stats(t->fx).tcp_timeouts, 1);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

static void
connect_peer(struct t *t, uint16_t dport)
{
	struct stk_tcp_conn *c = NULL;
	struct seg s;

	assert_int_equal(
		stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), dport, 0, &ops, &t->svc, &c), 0);
	assert_non_null(c);
	t->svc.conn = c;
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_SYN_FLAG);
	assert_int_equal(s.dport, dport);
	t->iss = s.seq;
	t->rcv = s.seq + 1;
	t->pport = dport;
	t->lport = s.sport;
	assert_int_equal(stk_tcp_get_state(c), STK_TCP_SYN_SENT);
}

/* MUST-22, MUST-23: SYNs are retransmitted with backoff and given up only
 * after at least 3 minutes */
static void
test_syn_retransmit_r2_3_minutes_must_23(void **state)
{
	struct t *t = *state;
	unsigned int n;

	start(t);
	connect_peer(t, 8080);
	clr(t);
	adv_steps(t, 1000, 10);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).flags, RTE_TCP_SYN_FLAG);
	assert_int_equal(last(t).seq, t->iss);
	adv_steps(t, 2000, 10);
	assert_int_equal(nout(t), 2);
	adv_steps(t, 170000, 100);
	assert_int_equal(t->svc.closes, 0);
	n = nout(t);
	assert_true(n >= 5 && n <= 9);
	adv_steps(t, 200000, 100);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_TIMEOUT);
	assert_int_equal(state_count(t, STK_TCP_SYN_SENT), 0);
}

/* The peer's window opens: grow cwnd by acking @n segments one by one. */
static void
grow_cwnd(struct t *t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		ssend(t, t->rcv - t->iss - 1, 1460);
		t->rcv += 1460;
		pack(t);
	}
	clr(t);
}

/* RFC 5681 3.2 fast retransmit on the third duplicate ACK, RFC 3042
 * limited transmit, RFC 6582 NewReno partial ACK (MUST-19 congestion
 * control) */
static void
test_fast_retransmit_newreno(void **state)
{
	struct t *t = *state;
	uint32_t a;

	start(t);
	establish(t);
	a = t->rcv;
	ssend(t, 0, 4 * 1460); /* A B C go (initial window), D waits */
	assert_int_equal(nout(t), 3);
	clr(t);
	/* the peer lost A: the first duplicate ACK lets D out */
	pack(t);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, a + 3 * 1460);
	clr(t);
	pack(t);
	assert_int_equal(nout(t), 0);
	pack(t);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, a);
	assert_int_equal(last(t).len, 1460);
	check_payload(last(t), 0);
	assert_int_equal(fx_stats(t->fx).tcp_fast_retransmits, 1);
	clr(t);
	/* A arrives: partial ACK up to B, which goes again at once */
	t->rcv = a + 1460;
	pack(t);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, a + 1460);
	check_payload(last(t), 1460);
	clr(t);
	t->rcv = a + 4 * 1460;
	pack(t);
	assert_int_equal(nout(t), 0);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* RFC 5827 early retransmit: two segments out, nothing more to send: one
 * duplicate ACK is enough */
static void
test_early_retransmit(void **state)
{
	struct t *t = *state;
	uint32_t a;

	start(t);
	establish(t);
	a = t->rcv;
	ssend(t, 0, 2 * 1460);
	assert_int_equal(nout(t), 2);
	clr(t);
	pack(t);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, a);
	assert_int_equal(fx_stats(t->fx).tcp_fast_retransmits, 1);
}

static uint16_t
pin_sack(struct t *t, uint32_t ack, const uint32_t *blk, unsigned int n)
{
	uint8_t o[40];
	uint8_t ol = 0;
	unsigned int i;

	o[ol++] = 1;
	o[ol++] = 1;
	o[ol++] = 5;
	o[ol++] = (uint8_t)(2 + 8 * n);
	for (i = 0; i < 2 * n; i++) {
		uint32_t v = rte_cpu_to_be_32(blk[i]);

		memcpy(o + ol, &v, 4);
		ol += 4;
	}
	return fx_input(t->fx, fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->pport, t->lport, t->snd, ack,
				       RTE_TCP_ACK_FLAG, t->win, o, ol, NULL, 0));
}

/* RFC 2018 + RFC 6675: SACK decides what is retransmitted: the holes
 * (B, D), never the SACKed segments (C, E, F) */
static void
test_sack_retransmits_holes_only(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	uint32_t a, blk[4];
	unsigned int i;
	bool seen_b = false, seen_d = false;

	start(t);
	establish_opts(t, o, opt_build(o, 1460, -1, true, false, 0));
	grow_cwnd(t, 3); /* cwnd 6 segments */
	a = t->rcv;
	ssend(t, a - t->iss - 1, 6 * 1460); /* A..F */
	assert_int_equal(nout(t), 6);
	clr(t);
	/* the peer got A, C, E, F */
	blk[0] = a + 2 * 1460;
	blk[1] = a + 3 * 1460;
	blk[2] = a + 4 * 1460;
	blk[3] = a + 6 * 1460;
	pin_sack(t, a + 1460, blk, 1);
	pin_sack(t, a + 1460, blk, 2);
	pin_sack(t, a + 1460, blk, 2);
	pin_sack(t, a + 1460, blk, 2);
	assert_true(nout(t) >= 2);
	for (i = 0; i < nout(t); i++) {
		struct seg s = out(t, i);

		assert_true(s.seq == a + 1460 || s.seq == a + 3 * 1460);
		seen_b |= s.seq == a + 1460;
		seen_d |= s.seq == a + 3 * 1460;
	}
	assert_true(seen_b && seen_d);
	clr(t);
	t->rcv = a + 6 * 1460;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* How many captured segments carry data from @seq. */
static unsigned int
n_at(struct t *t, uint32_t seq)
{
	unsigned int i, n = 0;

	for (i = 0; i < nout(t); i++) {
		struct seg s = out(t, i);

		n += s.seq == seq && s.len > 0;
	}
	return n;
}

/* One past the highest byte of data among the captured segments, or @high. */
static uint32_t
seen_high(struct t *t, uint32_t high)
{
	unsigned int i;

	for (i = 0; i < nout(t); i++) {
		struct seg s = out(t, i);

		if (s.len > 0 && (int32_t)(s.seq + s.len - high) > 0)
			high = s.seq + s.len;
	}
	return high;
}

/* The peer has A (acknowledged) and [C, @end) (SACKed): B is missing. */
static void
sack_to(struct t *t, uint32_t a, uint32_t end)
{
	uint32_t blk[2] = {a + 2 * 1460, end};

	pin_sack(t, a + 1460, blk, 1);
}

/* 16 segments queued from @a, B lost: SACKs for C, D, ... until B is fast
 * retransmitted. Returns SND.MAX when B went again. */
static uint32_t
lost_b_recovery(struct t *t, uint32_t *a, uint32_t *sacked)
{
	uint8_t o[40];
	uint32_t high, fence = 0;
	unsigned int i;

	start(t);
	establish_opts(t, o, opt_build(o, 1460, -1, true, false, 0));
	grow_cwnd(t, 3); /* cwnd 6 segments */
	*a = t->rcv;
	ssend(t, *a - t->iss - 1, 16 * 1460);
	high = seen_high(t, *a);
	assert_int_equal(high, *a + 6 * 1460);
	clr(t);
	*sacked = *a + 2 * 1460;
	while (fx_stats(t->fx).tcp_fast_retransmits == 0) {
		*sacked += 1460;
		assert_true((int32_t)(*sacked - high) <= 0);
		sack_to(t, *a, *sacked);
		for (i = 0; i < nout(t); i++) {
			struct seg s = out(t, i);

			if (s.seq == *a + 1460)
				fence = high; /* what was sent before B's retransmission */
			if ((int32_t)(s.seq + s.len - high) > 0)
				high = s.seq + s.len;
		}
		if (fx_stats(t->fx).tcp_fast_retransmits == 0)
			clr(t);
	}
	assert_int_equal(n_at(t, *a + 1460), 1);
	check_payload(out(t, 0), *a - t->iss - 1 + 1460);
	clr(t);
	assert_true(fence != 0);
	return fence;
}

/* SACK everything up to @fence, one segment at a time (sent before B's
 * retransmission): evidence of nothing. Returns the highest byte sent. */
static uint32_t
sack_before(struct t *t, uint32_t a, uint32_t *sacked, uint32_t fence)
{
	uint64_t lost = fx_stats(t->fx).tcp_lost_retransmits;
	uint32_t high = fence;

	while ((int32_t)(*sacked - fence) < 0) {
		*sacked += 1460;
		sack_to(t, a, *sacked);
		adv(t, 10);
		assert_int_equal(n_at(t, a + 1460), 0);
		high = seen_high(t, high);
		clr(t);
	}
	assert_int_equal(fx_stats(t->fx).tcp_lost_retransmits, lost);
	return high;
}

/* Everything sent so far arrives; the rest of the 16 segments follows. */
static void
ack_all(struct t *t, uint32_t a, uint32_t high)
{
	unsigned int i;

	for (i = 0; i < 32 && (int32_t)(high - (a + 16 * 1460)) < 0; i++) {
		t->rcv = high;
		pack(t);
		high = seen_high(t, high);
		clr(t);
	}
	t->rcv = a + 16 * 1460;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* RFC 8985 (RACK's idea, by sequence): the fast retransmission of B is
 * lost too; a SACK for data first sent after it proves it, and B goes
 * again at once, well before the RTO, counted; a SACK for data sent
 * before the second retransmission does not send a third one. */
static void
test_sack_lost_retransmission_resent(void **state)
{
	struct t *t = *state;
	uint32_t a, sacked, fence, high, fence2;

	fence = lost_b_recovery(t, &a, &sacked);
	high = sack_before(t, a, &sacked, fence);
	/* the window let new data out after B's retransmission */
	assert_true((int32_t)(high - fence) > 0);
	adv(t, 10);
	sacked = fence + 1460;
	sack_to(t, a, sacked);
	assert_int_equal(n_at(t, a + 1460), 1);
	check_payload(out(t, 0), a - t->iss - 1 + 1460);
	assert_int_equal(fx_stats(t->fx).tcp_lost_retransmits, 1);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	assert_int_equal(fx_stats(t->fx).tcp_fast_retransmits, 1); /* same episode */
	/* SND.MAX when B went the second time */
	fence2 = high;
	for (unsigned int i = 0; i < nout(t); i++) {
		struct seg s = out(t, i);

		if (s.seq == a + 1460)
			break;
		if (s.len > 0 && (int32_t)(s.seq + s.len - fence2) > 0)
			fence2 = s.seq + s.len;
	}
	high = seen_high(t, high);
	clr(t);
	high = sack_before(t, a, &sacked, fence2 < high ? fence2 : high);
	(void)high;
	assert_int_equal(fx_stats(t->fx).tcp_lost_retransmits, 1);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	ack_all(t, a, seen_high(t, sacked));
}

/* The counterpart: B's retransmission arrives. SACKs for data sent before
 * it say nothing about it, and nothing is sent twice. */
static void
test_sack_retransmission_not_lost(void **state)
{
	struct t *t = *state;
	uint32_t a, sacked, fence, high;

	fence = lost_b_recovery(t, &a, &sacked);
	high = sack_before(t, a, &sacked, fence);
	/* B arrives: the peer acknowledges through what it SACKed */
	t->rcv = sacked;
	pack(t);
	assert_int_equal(n_at(t, a + 1460), 0);
	high = seen_high(t, high);
	clr(t);
	assert_int_equal(fx_stats(t->fx).tcp_lost_retransmits, 0);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	ack_all(t, a, high);
	assert_int_equal(fx_stats(t->fx).tcp_lost_retransmits, 0);
}

/* RFC 6675 4 NextSeg() rule 4: the tail is lost with no data after it to
 * bring SACKs: one rescue retransmission of the last segment, no RTO. */
static void
test_sack_rescue_retransmission(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	uint32_t a, blk[2];
	unsigned int rexmits;

	start(t);
	establish_opts(t, o, opt_build(o, 1460, -1, true, false, 0));
	grow_cwnd(t, 3);
	a = t->rcv;
	ssend(t, a - t->iss - 1, 6 * 1460); /* A..F, nothing more to send */
	assert_int_equal(nout(t), 6);
	clr(t);
	/* A arrives; B and F are lost; C, D, E are SACKed */
	blk[0] = a + 2 * 1460;
	blk[1] = a + 3 * 1460;
	pin_sack(t, a + 1460, blk, 1);
	blk[1] = a + 4 * 1460;
	pin_sack(t, a + 1460, blk, 1);
	blk[1] = a + 5 * 1460;
	pin_sack(t, a + 1460, blk, 1);
	assert_int_equal(fx_stats(t->fx).tcp_fast_retransmits, 1);
	assert_int_equal(n_at(t, a + 1460), 1);
	clr(t);
	/* B's retransmission arrives: a partial ACK, nothing above to SACK */
	adv(t, 10);
	t->rcv = a + 5 * 1460;
	pack(t);
	assert_int_equal(n_at(t, a + 5 * 1460), 1);
	check_payload(last(t), a - t->iss - 1 + 5 * 1460);
	rexmits = fx_stats(t->fx).tcp_retransmits;
	clr(t);
	/* once per recovery: another ACK sends nothing */
	pack(t);
	assert_int_equal(nout(t), 0);
	assert_int_equal(fx_stats(t->fx).tcp_retransmits, rexmits);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	t->rcv = a + 6 * 1460;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* Passive open with SACK whose handshake takes @rtt_ms: SRTT = min_RTT =
 * @rtt_ms (RTO stays at its 1 s floor). */
static void
establish_rtt(struct t *t, uint64_t rtt_ms)
{
	uint8_t o[40];
	uint8_t ol = opt_build(o, 1460, -1, true, false, 0);
	struct rte_mbuf *m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->pport, t->lport, t->snd, 0,
				     RTE_TCP_SYN_FLAG, t->win, o, ol, NULL, 0);

	assert_int_equal(fx_input(t->fx, m), 1);
	t->snd++;
	t->iss = last(t).seq;
	t->rcv = t->iss + 1;
	clr(t);
	adv(t, rtt_ms);
	assert_int_equal(pack(t), 1);
	assert_non_null(t->svc.conn);
	assert_int_equal(nout(t), 0);
}

/* RFC 8985 6.2 (RACK, by sequence): three segments out (the initial
 * window), A lost and B's ACK too: one SACK, for C, is one duplicate ACK,
 * short of early retransmit's two. C was sent after A, so when the
 * reordering window (min_RTT / 4 = 10 ms) has passed without A, A is lost:
 * recovery starts, long before the RTO (1 s). */
static void
test_rack_reorder_timer_recovers(void **state)
{
	struct t *t = *state;
	uint32_t a, blk[2];

	start(t);
	establish_rtt(t, 40);
	a = t->rcv;
	ssend(t, 0, 3 * 1460);
	assert_int_equal(nout(t), 3);
	clr(t);
	adv(t, 40);
	blk[0] = a + 2 * 1460;
	blk[1] = a + 3 * 1460;
	pin_sack(t, a, blk, 1);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 8, 1);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 4, 1);
	assert_int_equal(n_at(t, a), 1);
	check_payload(out(t, 0), 0);
	assert_int_equal(fx_stats(t->fx).tcp_rack_recoveries, 1);
	assert_int_equal(fx_stats(t->fx).tcp_fast_retransmits, 1);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	assert_int_equal(fx_stats(t->fx).tcp_tlp_probes, 0);
	clr(t);
	t->rcv = a + 3 * 1460;
	pack(t);
	adv_steps(t, 2000, 50);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	assert_int_equal(fx_stats(t->fx).tcp_rack_recoveries, 1);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* The counterpart: A and B were only late (reordered): the ACK for them
 * comes inside the reordering window, and nothing is retransmitted. */
static void
test_rack_reordering_no_retransmit(void **state)
{
	struct t *t = *state;
	uint32_t a, blk[2];

	start(t);
	establish_rtt(t, 40);
	a = t->rcv;
	ssend(t, 0, 3 * 1460);
	clr(t);
	adv(t, 40);
	blk[0] = a + 2 * 1460;
	blk[1] = a + 3 * 1460;
	pin_sack(t, a, blk, 1);
	adv_steps(t, 6, 1);
	t->rcv = a + 3 * 1460;
	pack(t);
	adv_steps(t, 3000, 5);
	assert_int_equal(nout(t), 0);
	assert_int_equal(fx_stats(t->fx).tcp_retransmits, 0);
	assert_int_equal(fx_stats(t->fx).tcp_rack_recoveries, 0);
	assert_int_equal(fx_stats(t->fx).tcp_fast_retransmits, 0);
	assert_int_equal(fx_stats(t->fx).tcp_tlp_probes, 0);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* RFC 8985 7: the tail of a flight is lost, nothing follows it that could
 * be SACKed. A loss probe (the last segment again: nothing new to send)
 * goes 2 SRTT after the last ACK, not after the RTO; then the RTO watches
 * the flight, and no second probe goes for the same tail. */
static void
test_tlp_probes_lost_tail_once(void **state)
{
	struct t *t = *state;
	uint32_t a, rexmits;

	start(t);
	establish_rtt(t, 40);
	a = t->rcv;
	ssend(t, 0, 3 * 1460); /* A B C, nothing more */
	clr(t);
	adv(t, 40);
	t->rcv = a + 1460; /* A arrives; B and C are lost */
	pack(t);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 78, 1);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 3, 1);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, a + 2 * 1460);
	assert_int_equal(last(t).len, 1460);
	check_payload(last(t), 2 * 1460);
	assert_int_equal(fx_stats(t->fx).tcp_tlp_probes, 1);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	rexmits = fx_stats(t->fx).tcp_retransmits;
	clr(t);
	/* one probe per tail: the RTO is next, at the deadline it had (1 s
	 * after the last ACK: the probe does not postpone it) */
	adv_steps(t, 900, 10);
	assert_int_equal(nout(t), 0);
	assert_int_equal(fx_stats(t->fx).tcp_tlp_probes, 1);
	adv_steps(t, 30, 10);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 1);
	assert_int_equal(n_at(t, a + 1460), 1);
	assert_true(fx_stats(t->fx).tcp_retransmits > rexmits);
	assert_int_equal(fx_stats(t->fx).tcp_tlp_probes, 1);
	clr(t);
	t->rcv = a + 3 * 1460;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* RFC 8985 7.3: with new data waiting (here for the congestion window),
 * the probe is a new segment; its SACK reveals the lost tail before it,
 * and recovery repairs it without an RTO. */
static void
test_tlp_probe_sends_new_data(void **state)
{
	struct t *t = *state;
	uint32_t a, blk[2];

	start(t);
	establish_rtt(t, 40);
	a = t->rcv;
	ssend(t, 0, 4 * 1460); /* A B C go, D waits for the window */
	assert_int_equal(nout(t), 3);
	clr(t);
	adv_steps(t, 79, 1);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 2, 1);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, a + 3 * 1460);
	check_payload(last(t), 3 * 1460);
	assert_int_equal(fx_stats(t->fx).tcp_tlp_probes, 1);
	assert_int_equal(fx_stats(t->fx).tcp_retransmits, 0);
	clr(t);
	/* A B C were lost, D arrives: SACK for D; the reordering window
	 * passes and A goes again (and B, C as the window allows) */
	blk[0] = a + 3 * 1460;
	blk[1] = a + 4 * 1460;
	pin_sack(t, a, blk, 1);
	adv_steps(t, 20, 1);
	assert_int_equal(n_at(t, a), 1);
	assert_int_equal(fx_stats(t->fx).tcp_rack_recoveries, 1);
	assert_int_equal(fx_stats(t->fx).tcp_rto, 0);
	clr(t);
	t->rcv = a + 4 * 1460;
	pack(t);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
	assert_int_equal(fx_stats(t->fx).tcp_tlp_probes, 1);
}

/* ==== windows ==== */

/* MUST-36 (probe a zero window), SHLD-29 (first probe after RTO), SHLD-30
 * (exponential backoff), MUST-37 (the window may stay zero forever),
 * MUST-35 (data flows when it opens) */
static void
test_zero_window_probe_must_36_37(void **state)
{
	struct t *t = *state;
	unsigned int probes;

	start(t);
	establish(t);
	t->win = 0;
	pack(t);
	ssend(t, 0, 100);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 999, 10);
	assert_int_equal(nout(t), 0);
	adv(t, 1);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, t->rcv - 1); /* SND.UNA - 1: elicits an ACK */
	assert_int_equal(last(t).len, 0);
	clr(t);
	pack(t); /* the peer answers, window still 0 */
	adv_steps(t, 1999, 10);
	assert_int_equal(nout(t), 0);
	adv(t, 1);
	assert_int_equal(nout(t), 1);
	/* ten minutes later the connection is still there, still probing,
	 * at most once a minute */
	clr(t);
	adv_steps(t, 600000, 1000);
	probes = nout(t);
	assert_true(probes >= 10 && probes <= 20);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	assert_int_equal(t->svc.closes, 0);
	clr(t);
	t->win = 65535;
	pack(t);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).len, 100);
	check_payload(last(t), 0);
}

/* MUST-38: sender SWS avoidance; a small usable window is not used until
 * the override timer */
static void
test_sender_sws_avoidance_must_38(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	t->win = 1000;
	pack(t);
	ssend(t, 0, 3000);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 1000, 10);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).len, 1000);
	check_payload(last(t), 0);
}

/* MUST-39: receiver SWS avoidance; MUST-34/SHLD-14: the right edge never
 * moves left */
static void
test_receiver_sws_avoidance_must_39(void **state)
{
	struct t *t = *state;
	uint32_t right;

	t->fx->conf.tcp.rcvbuf = 8192;
	start(t);
	establish(t);
	t->svc.hold = true;
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1000);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1000);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1000);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 1096);
	adv(t, 50);
	right = last(t).ack + last(t).win;
	assert_int_equal(last(t).win, 8192 - 4096);
	assert_int_equal(right, t->snd + 4096);
	clr(t);
	/* consuming 100 bytes is not worth a window update */
	stk_tcp_recved(t->svc.conn, 100);
	assert_int_equal(nout(t), 0);
	/* 1500 more is (>= one MSS) */
	stk_tcp_recved(t->svc.conn, 1500);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).win, 4096 + 1600);
	assert_true(last(t).ack + last(t).win >= right);
}

/* MUST-66: with our window closed, ACKs and RSTs are still processed;
 * MAY-8: the window may stay closed */
static void
test_zero_rcv_window_still_processes_acks_must_66(void **state)
{
	struct t *t = *state;

	t->fx->conf.tcp.rcvbuf = 2000;
	start(t);
	establish(t);
	t->svc.hold = true;
	psend(t, RTE_TCP_ACK_FLAG, 1000);
	psend(t, RTE_TCP_ACK_FLAG, 1000);
	adv(t, 50);
	assert_int_equal(last(t).win, 0);
	ssend(t, 0, 10);
	clr(t);
	/* the peer's probe with data: not taken, but its ACK is */
	t->rcv += 10;
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd, t->rcv, pat, 1), 1);
	assert_int_equal(t->svc.sents, 1);
	assert_int_equal(t->svc.n_data, 2000);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(last(t).win, 0);
	/* a RST at RCV.NXT still resets */
	pin(t, RTE_TCP_RST_FLAG, t->snd, 0, NULL, 0);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_RST);
}

/* RFC 7323: window scaling both ways when both offer it; SYN windows are
 * not scaled */
static void
test_window_scaling(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	struct rte_mbuf *m;
	const uint8_t *ws;
	struct seg s;

	t->fx->conf.tcp.rcvbuf = 1 << 20;
	start(t);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, PPORT, LPORT, PISN, 0, RTE_TCP_SYN_FLAG, 1000, o,
		    opt_build(o, 1460, 2, false, false, 0), NULL, 0);
	fx_input(t->fx, m);
	s = last(t);
	ws = fx_tcp_opt(s.m, 3);
	assert_non_null(ws);
	assert_int_equal(ws[2], 5); /* 1 MiB >> 5 < 65536 */
	assert_int_equal(s.win, 65535);
	t->snd = PISN + 1;
	t->iss = s.seq;
	t->rcv = s.seq + 1;
	clr(t);
	t->win = 1000; /* scaled by 4: 4000 bytes; unscaled, SWS avoidance
			* would send nothing */
	pack(t);
	ssend(t, 0, 3000);
	assert_int_equal(nout(t), 3);
	assert_int_equal(out(t, 0).len + out(t, 1).len + out(t, 2).len, 3000);
	assert_int_equal(out(t, 0).win, (1 << 20) >> 5);
}

/* ==== RFC 5961 and RFC 7323 checks ==== */

/* MUST-12 (the service learns of the reset); RFC 5961 3.2: a RST exactly
 * at RCV.NXT resets */
static void
test_rst_exact_resets_must_12(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	assert_int_equal(pin(t, RTE_TCP_RST_FLAG, t->snd, 0, NULL, 0), 1);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_RST);
	assert_int_equal(nout(t), 0);
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 0);
	assert_int_equal(fx_stats(t->fx).tcp_rst_rcvd, 1);
}

/* RFC 5961 3.2: an in-window RST that is not exact gets a challenge ACK;
 * RFC 5961 7: challenge ACKs are rate-limited (10 per second here) */
static void
test_rst_in_window_challenge_ack_limited(void **state)
{
	struct t *t = *state;
	unsigned int i;

	start(t);
	establish(t);
	for (i = 0; i < 15; i++)
		assert_int_equal(pin(t, RTE_TCP_RST_FLAG, t->snd + 1 + i, 0, NULL, 0), 0);
	assert_int_equal(nout(t), 10);
	assert_int_equal(last(t).flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_RST_INVALID), 15);
	assert_int_equal(fx_stats(t->fx).tcp_challenge_acks_limited, 5);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	adv(t, 1000);
	clr(t);
	pin(t, RTE_TCP_RST_FLAG, t->snd + 5, 0, NULL, 0);
	assert_int_equal(nout(t), 1);
	/* out of the window: silently dropped */
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_RST_FLAG, t->snd + 100000, 0, NULL, 0), 0);
	assert_int_equal(nout(t), 0);
	assert_int_equal(t->svc.closes, 0);
}

/* RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK */
static void
test_syn_on_established_challenge_ack(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, t->snd + 100, 0, NULL, 0), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_SYN_INVALID), 1);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).flags, RTE_TCP_ACK_FLAG);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	assert_int_equal(fx_stats(t->fx).tcp_challenge_acks, 1);
}

/* RFC 5961 5.2: an ACK beyond SND.NXT or before SND.UNA - MAX.SND.WND is
 * dropped and answered with an ACK */
static void
test_ack_outside_range_dropped(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd, t->rcv + 1, pat, 10), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_BAD_ACK), 1);
	assert_int_equal(last(t).ack, t->snd); /* data not taken */
	assert_int_equal(t->svc.n_data, 0);
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd, t->rcv - 70000, pat, 10), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_BAD_ACK), 2);
	assert_int_equal(nout(t), 1);
	/* an old ACK inside the range is fine (data taken) */
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd, t->rcv - 1000, pat, 10), 1);
	assert_int_equal(t->svc.n_data, 10);
}

/* A segment without ACK on a synchronized connection is dropped */
static void
test_no_ack_flag_dropped(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	assert_int_equal(pin(t, RTE_TCP_PSH_FLAG, t->snd, 0, pat, 10), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_NO_ACK), 1);
	assert_int_equal(t->svc.n_data, 0);
}

/* RFC 7323 5 (PAWS): an older TSval is dropped (and ACKed); RFC 7323
 * 3.2: once negotiated, a segment without timestamps is dropped; SHLD-4 */
static void
test_paws_and_missing_timestamp(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	const uint8_t *ts;

	start(t);
	establish_opts(t, o, opt_build(o, 1460, -1, false, true, t->tsval));
	t->tsval += 10;
	psend(t, RTE_TCP_ACK_FLAG, 100);
	assert_int_equal(t->svc.n_data, 100);
	t->tsval -= 5;
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd, t->rcv, pat + 100, 100), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_PAWS), 1);
	assert_int_equal(nout(t), 1);
	ts = fx_tcp_opt(last(t).m, 8);
	assert_non_null(ts);
	assert_int_equal(get32(ts + 6), t->tsval + 5); /* TS.Recent echoed */
	t->ts = false;
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, t->snd, t->rcv, pat + 100, 100), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_NO_TS), 1);
	assert_int_equal(nout(t), 0);
	assert_int_equal(t->svc.n_data, 100);
}

/* ==== active open ==== */

/* RFC 9293 3.10.7.3: SYN-SENT + SYN,ACK -> ESTABLISHED; our SYN offers
 * MSS (MUST-14), SACK, timestamps and window scaling; MUST-43..45 */
static void
test_active_open(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	struct rte_mbuf *m;
	struct seg s;

	start(t);
	connect_peer(t, 8080);
	s = last(t);
	assert_true(t->lport >= 49152);
	assert_non_null(fx_tcp_opt(s.m, 2));
	assert_non_null(fx_tcp_opt(s.m, 3));
	assert_non_null(fx_tcp_opt(s.m, 4));
	assert_non_null(fx_tcp_opt(s.m, 8));
	assert_int_equal(state_count(t, STK_TCP_SYN_SENT), 1);
	/* data may be queued before the handshake */
	ssend(t, 0, 10);
	assert_int_equal(nout(t), 1);
	clr(t);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, 8080, t->lport, PISN, t->rcv,
		    RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 65535, o,
		    opt_build(o, 1460, -1, false, false, 0), NULL, 0);
	assert_int_equal(fx_input(t->fx, m), 1);
	t->snd = PISN + 1;
	assert_int_equal(t->svc.connects, 1);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	/* the ACK of their SYN carries our queued data */
	s = last(t);
	assert_int_equal(s.ack, PISN + 1);
	assert_int_equal(s.seq, t->rcv);
	assert_int_equal(s.len, 10);
	check_payload(s, 0);
	assert_int_equal(fx_stats(t->fx).tcp_connected, 1);
}

/* RFC 9293 3.10.7.3: RST,ACK to our SYN: refused (MUST-12) */
static void
test_active_open_refused(void **state)
{
	struct t *t = *state;

	start(t);
	connect_peer(t, 8080);
	/* a RST whose ACK does not cover our SYN is not believed */
	assert_int_equal(pin(t, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0, t->rcv + 5, NULL, 0), 0);
	assert_int_equal(t->svc.closes, 0);
	assert_int_equal(pin(t, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0, t->rcv, NULL, 0), 1);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_RST);
	assert_int_equal(state_count(t, STK_TCP_SYN_SENT), 0);
}

/* RFC 9293 3.10.7.3: a SYN,ACK that does not acknowledge our SYN gets
 * <SEQ=SEG.ACK><CTL=RST> */
static void
test_syn_sent_bad_ack_reset(void **state)
{
	struct t *t = *state;

	start(t);
	connect_peer(t, 8080);
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, PISN, t->iss, NULL, 0), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_BAD_ACK), 1);
	assert_int_equal(last(t).flags, RTE_TCP_RST_FLAG);
	assert_int_equal(last(t).seq, t->iss);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_SYN_SENT);
}

/* MUST-10 (simultaneous open), MUST-11 (SYN-RECEIVED remembers the
 * active open): SYN crossing SYN */
static void
test_simultaneous_open_must_10(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	connect_peer(t, 8080);
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0), 1);
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(s.seq, t->iss);
	assert_int_equal(s.ack, PISN + 1);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_SYN_RECEIVED);
	assert_int_equal(t->svc.connects, 0);
	/* their SYN,ACK for our SYN */
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, PISN, t->rcv, NULL, 0), 1);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	assert_int_equal(t->svc.connects, 1);
	assert_int_equal(t->svc.accepts, 0);
	t->snd = PISN + 1;
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 20);
	assert_int_equal(t->svc.n_data, 20);
}

/* RFC 9293 3.10.7.4: a RST in SYN-RECEIVED from a passive open returns to
 * LISTEN: the half-open entry goes, the listener stays, no callback */
static void
test_syn_received_rst_back_to_listen(void **state)
{
	struct t *t = *state;

	start(t);
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 1);
	assert_int_equal(pin(t, RTE_TCP_RST_FLAG, PISN + 1, 0, NULL, 0), 1);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 0);
	assert_int_equal(t->svc.closes, 0);
	/* and the port still accepts */
	t->snd = PISN + 100;
	establish(t);
}

/* A lost SYN-ACK: the SYN again gets the SYN-ACK again; RTO resends it */
static void
test_syn_ack_retransmitted(void **state)
{
	struct t *t = *state;
	uint32_t iss;

	start(t);
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	iss = last(t).seq;
	clr(t);
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, iss);
	assert_int_equal(last(t).flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	clr(t);
	adv_steps(t, 1000, 10);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).seq, iss);
	/* a bad ACK in SYN-RECEIVED: RST <SEQ=SEG.ACK> */
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, PISN + 1, iss + 5, NULL, 0), 0);
	assert_int_equal(last(t).flags, RTE_TCP_RST_FLAG);
	assert_int_equal(last(t).seq, iss + 5);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_BAD_ACK), 1);
}

/* MUST-46: no OPEN to a broadcast or multicast address */
static void
test_open_to_broadcast_refused_must_46(void **state)
{
	struct t *t = *state;
	struct stk_tcp_conn *c = NULL;

	start(t);
	assert_int_equal(stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_BCAST), 80, 0, &ops, &t->svc, &c),
			 -EINVAL);
	assert_int_equal(stk_tcp_connect(t->fx->stk, fx_ip("224.0.0.1"), 80, 0, &ops, &t->svc, &c),
			 -EINVAL);
	assert_int_equal(stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), 0, 0, &ops, &t->svc, &c),
			 -EINVAL);
	assert_int_equal(nout(t), 0);
}

/* MUST-8 (clock-driven ISN), SHLD-1 (PRF), MUST-9: RFC 6528 ISNs differ
 * per tuple and advance with the 4 us clock for the same tuple */
static void
test_isn_rfc6528_must_8(void **state)
{
	struct t *t = *state;
	uint32_t a, b, c;

	start(t);
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	a = last(t).seq;
	t->pport = PPORT + 1;
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	b = last(t).seq;
	assert_int_not_equal(a, b);
	/* the same tuple one second later (the first entry reset first) */
	t->pport = PPORT;
	pin(t, RTE_TCP_RST_FLAG, PISN + 1, 0, NULL, 0);
	adv(t, 1000);
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	c = last(t).seq;
	assert_int_equal(c - a, 1000000 / 4);
}

/* RFC 6056: ephemeral ports are random in the range, and the hook for
 * RSS can veto them */
static bool
even_port(void *arg, const struct stk_tcp_tuple *tu)
{
	RTE_SET_USED(arg);
	return tu->local_port % 2 == 0 && tu->remote_ip != 0;
}

static void
test_ephemeral_ports_random_rfc6056(void **state)
{
	struct t *t = *state;
	uint16_t port[10];
	unsigned int i, j, consecutive = 0;

	t->fx->conf.tcp.port_ok = even_port;
	start(t);
	for (i = 0; i < 10; i++) {
		struct stk_tcp_conn *c = NULL;

		assert_int_equal(
			stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), 9000, 0, &ops, &t->svc, &c),
			0);
		port[i] = last(t).sport;
		assert_true(port[i] >= 49152);
		assert_int_equal(port[i] % 2, 0);
		for (j = 0; j < i; j++)
			assert_int_not_equal(port[i], port[j]);
		if (i > 0 && port[i] == port[i - 1] + 2)
			consecutive++;
	}
	assert_true(consecutive < 9);
	/* the tuple is taken: an explicit source port collides */
	{
		struct stk_tcp_conn *c = NULL;

		assert_int_equal(stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), 9000, port[0], &ops,
						 &t->svc, &c),
				 -EADDRINUSE);
	}
	t->svc.conn = NULL;
	stk_tcp_abort_all(t->fx->stk);
	assert_int_equal(t->svc.closes, 10);
	assert_int_equal(state_count(t, STK_TCP_SYN_SENT), 0);
}

/* RELIABILITY.md T14 (RFC 6528, RFC 6056): over 1000 active opens to one
 * peer, neither the ISN nor the ephemeral port of a connection follows
 * from its neighbour's: the steps between consecutive ones are nearly all
 * different, and no step repeats back to back. */
static void
test_isn_and_ports_unpredictable_t14(void **state)
{
	enum { N = 1000 };
	struct t *t = *state;
	static uint32_t isn[N], dis[N - 1];
	static uint16_t port[N], dport[N - 1];
	unsigned int i, j, same_isn = 0, same_port = 0, distinct_isn = 0, distinct_port = 0;

	t->fx->conf.tcp.max_conns = 1024;
	start(t);
	for (i = 0; i < N; i++) {
		struct stk_tcp_conn *c = NULL;
		struct seg s;

		assert_int_equal(
			stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), 9000, 0, &ops, &t->svc, &c),
			0);
		s = last(t);
		assert_int_equal(s.flags, RTE_TCP_SYN_FLAG);
		isn[i] = s.seq;
		port[i] = s.sport;
		clr(t);
		fx_advance_ms(t->fx, 1);
	}
	for (i = 0; i + 1 < N; i++) {
		dis[i] = isn[i + 1] - isn[i];
		dport[i] = (uint16_t)(port[i + 1] - port[i]);
		if (i > 0 && dis[i] == dis[i - 1])
			same_isn++;
		if (i > 0 && dport[i] == dport[i - 1])
			same_port++;
	}
	for (i = 0; i + 1 < N; i++) {
		bool seen_isn = false, seen_port = false;

		for (j = 0; j < i; j++) {
			seen_isn |= dis[j] == dis[i];
			seen_port |= dport[j] == dport[i];
		}
		distinct_isn += !seen_isn;
		distinct_port += !seen_port;
	}
	assert_true(distinct_isn > 990);
	assert_true(distinct_port > 900);
	assert_true(same_isn < 5);
	assert_true(same_port < 5);
	t->svc.conn = NULL;
	stk_tcp_abort_all(t->fx->stk);
	clr(t);
	assert_int_equal(state_count(t, STK_TCP_SYN_SENT), 0);
}

/* RFC 6056 with RFC 6191 in mind: an ephemeral port is not handed out
 * again while other ports of the range have not been used for 2 MSL (the
 * server may hold the old 4-tuple in TIME-WAIT); when every port is
 * recent, the least recently used one goes first. N = the number of
 * candidates tcp_ephemeral_port() looks at, so every one is seen. */
static void
test_ephemeral_port_not_reused_soon(void **state)
{
	enum { N = 4 };
	struct t *t = *state;
	uint16_t port[N];
	unsigned int i, j;
	struct seg s;

	t->fx->conf.tcp.port_lo = 50000;
	t->fx->conf.tcp.port_hi = 50000 + N - 1;
	start(t);
	for (i = 0; i < N; i++) {
		struct stk_tcp_conn *c = NULL;

		assert_int_equal(
			stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), 9000, 0, &ops, &t->svc, &c),
			0);
		s = last(t);
		assert_int_equal(s.flags, RTE_TCP_SYN_FLAG);
		port[i] = s.sport;
		for (j = 0; j < i; j++)
			assert_int_not_equal(port[j], port[i]);
		stk_tcp_abort(c); /* the 4-tuple is free again at once */
		clr(t);
		fx_advance_ms(t->fx, 1);
	}
	{
		struct stk_tcp_conn *c = NULL;

		assert_int_equal(
			stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), 9000, 0, &ops, &t->svc, &c),
			0);
		assert_int_equal(last(t).sport, port[0]); /* the oldest */
		stk_tcp_abort(c);
		clr(t);
	}
}

static uint32_t
syn_tsval(struct t *t, uint16_t dport)
{
	struct stk_tcp_conn *c = NULL;
	const uint8_t *o;
	struct seg s;

	assert_int_equal(stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), dport, 0, &ops, &t->svc, &c),
			 0);
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_SYN_FLAG);
	o = fx_tcp_opt(s.m, 8);
	assert_non_null(o);
	stk_tcp_abort(c);
	clr(t);
	return get32(o + 2);
}

/* RFC 7323 5.4: a random timestamp offset per address pair, the same in
 * every stack of one boot (a restarted process goes on from where the old
 * one was, so a peer's TIME-WAIT accepts its SYNs by RFC 6191), and ticking
 * with the millisecond clock */
static void
test_timestamp_offset_per_address_pair(void **state)
{
	struct t *t = *state;
	struct fx *first, *second;
	uint32_t a, b;

	start(t);
	first = t->fx;
	a = syn_tsval(t, 9000);
	assert_int_equal(syn_tsval(t, 9001), a); /* other port, same pair */
	fx_advance_ms(first, 7);
	assert_int_equal(syn_tsval(t, 9000), a + 7);

	second = fx_new(first->mp); /* another stack: as if restarted */
	second->now = first->now;
	second->conf.tcp = first->conf.tcp;
	second->conf.n_arp_static = first->conf.n_arp_static;
	second->conf.arp_static[0] = first->conf.arp_static[0];
	assert_int_equal(fx_start(second), 0);
	t->fx = second;
	b = syn_tsval(t, 9000);
	t->fx = first;
	fx_delete(second);
	assert_int_equal(b, a + 7);
}

/* ==== the rest of RFC 9293's MUST rows ==== */

/* Forget the first @n captured frames, keep the later ones. */
static void
cap_drop_first(struct fx_cap *cap, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		rte_pktmbuf_free(cap->pkts[i]);
	memmove(cap->pkts, cap->pkts + n, (cap->n - n) * sizeof(cap->pkts[0]));
	memmove(cap->port, cap->port + n, (cap->n - n) * sizeof(cap->port[0]));
	cap->n -= n;
}

/* MUST-1: the window is an unsigned number: 65535 without scaling lets
 * more than 32767 bytes be in flight (never more than 65535) */
static void
test_window_unsigned_must_1(void **state)
{
	struct t *t = *state;
	uint32_t max_flight = 0, sent = 0, round;

	t->fx->conf.tcp.sndbuf = 1 << 20;
	start(t);
	t->win = 0xffff;
	establish(t);
	assert_int_equal(stk_tcp_send(t->svc.conn, pat, 400000), 400000);
	/* every segment ACKed on its own: slow start opens cwnd past the
	 * window, which is then the limit */
	for (round = 0; round < 12 && nout(t) > 0; round++) {
		uint32_t end = t->rcv, n = nout(t), i;
		struct seg s;

		for (i = 0; i < n; i++) {
			s = out(t, i);
			if ((int32_t)(s.seq + s.len - end) > 0)
				end = s.seq + s.len;
		}
		max_flight = RTE_MAX(max_flight, end - t->rcv);
		sent += end - t->rcv;
		for (i = 0; i < n; i++) {
			s = out(t, i);
			t->rcv = s.seq + s.len;
			pack(t);
		}
		/* the ACKs sent more: keep only that */
		cap_drop_first(&t->fx->cap, n);
	}
	assert_true(sent > 65535);
	assert_true(max_flight > 32767);
	assert_true(max_flight <= 65535);
	clr(t);
}

/* MUST-4 (EOL, NOP and MSS understood), MUST-68 (every option but EOL and
 * NOP has a length), MUST-69 (the header is padded with zeros): a SYN whose
 * options are NOP, NOP, MSS 1000, EOL, padding; the SYN-ACK's options are
 * walked byte by byte, and the MSS is honoured */
static void
test_option_set_and_encoding_must_4_68_69(void **state)
{
	static const uint8_t o[8] = {1, 1, 2, 4, 0x03, 0xe8, 0, 0};
	struct t *t = *state;
	const struct rte_tcp_hdr *th;
	const uint8_t *p;
	uint32_t ol, i;
	struct seg s;
	bool eol = false;

	start(t);
	establish_opts(t, o, sizeof(o));
	/* the SYN-ACK went by in establish_opts(); see one again: our SYN-ACK
	 * for a second connection from another port */
	t->pport++;
	fx_input(t->fx, fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->pport, t->lport, 7000, 0,
				RTE_TCP_SYN_FLAG, t->win, o, sizeof(o), NULL, 0));
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	th = fx_tcp(s.m);
	ol = (uint32_t)(th->data_off >> 4) * 4 - sizeof(*th);
	assert_int_equal(ol % 4, 0);
	p = (const uint8_t *)(th + 1);
	for (i = 0; i < ol;) {
		if (eol) {
			assert_int_equal(p[i], 0); /* MUST-69 */
			i++;
		} else if (p[i] == 0) {
			eol = true;
			i++;
		} else if (p[i] == 1) {
			i++;
		} else {
			assert_true(i + 1 < ol);
			assert_true(p[i + 1] >= 2); /* MUST-68 */
			assert_true(i + p[i + 1] <= ol);
			i += p[i + 1];
		}
	}
	clr(t);
	/* the first connection's segments respect MSS 1000 */
	t->pport--;
	assert_int_equal(stk_tcp_send(t->svc.conn, pat, 3000), 3000);
	assert_true(nout(t) >= 1);
	for (i = 0; i < nout(t); i++)
		assert_true(out(t, i).len <= 1000);
	clr(t);
}

/* MUST-28: keepalive's idle time is at least two hours by default */
static void
test_keepalive_default_two_hours_must_28(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	stk_tcp_set_keepalive(t->svc.conn, true);
	adv_steps(t, 7199 * 1000ull, 1000);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 2000, 100);
	assert_true(nout(t) >= 1);
	assert_int_equal(last(t).seq, t->rcv - 1); /* SEG.SEQ = SND.NXT - 1 */
	clr(t);
}

/* MUST-41, MUST-42: several ports listen at once, and a passive open on
 * one does not disturb another; listening twice on a port is refused */
static void
test_listen_several_ports_must_41_42(void **state)
{
	struct t *t = *state;
	struct stk_tcp_conn *first;

	start(t);
	assert_int_equal(stk_tcp_listen(t->fx->stk, LPORT + 1, &ops, &t->svc), 0);
	assert_int_equal(stk_tcp_listen(t->fx->stk, LPORT, &ops, &t->svc), -EEXIST);
	establish(t);
	first = t->svc.conn;
	t->lport = LPORT + 1;
	t->pport++;
	t->snd = PISN;
	t->svc.accepts = 0;
	establish(t);
	assert_ptr_not_equal(t->svc.conn, first);
	assert_int_equal(stk_tcp_get_state(first), STK_TCP_ESTABLISHED);
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 2);
	assert_int_equal(state_count(t, STK_TCP_LISTEN), 2);
}

/* MUST-44, MUST-45: an active open takes its source address from the
 * interface the route picks, and keeps it for every segment */
static void
test_active_open_source_address_must_44_45(void **state)
{
	struct t *t = *state;
	struct stk_tcp_conn *c = NULL;
	struct stk_tcp_tuple tu;
	struct seg s;

	start(t);
	assert_int_equal(stk_tcp_connect(t->fx->stk, fx_ip(FX_IP_PEER), 9000, 0, &ops, &t->svc, &c),
			 0);
	s = last(t);
	assert_int_equal(fx_ip4(s.m)->src_addr, fx_ip(FX_IP_US));
	stk_tcp_get_tuple(c, &tu);
	assert_int_equal(tu.local_ip, fx_ip(FX_IP_US));
	clr(t);
	stk_tcp_abort(c);
	assert_int_equal(nout(t), 0); /* ABORT in SYN-SENT sends nothing (3.10.5) */
}

/* MUST-57: a SYN to a broadcast or multicast address is dropped without
 * an answer; MUST-63: so is a SYN from an address no host can have */
static void
test_syn_broadcast_or_invalid_source_dropped_must_57_63(void **state)
{
	static const char *const bad_dst[] = {FX_IP_BCAST, "255.255.255.255", "224.0.0.1"};
	static const char *const bad_src[] = {"0.0.0.0", "255.255.255.255", "224.0.0.5",
					      FX_IP_BCAST, "127.0.0.1"};
	struct t *t = *state;
	unsigned int i;

	start(t);
	for (i = 0; i < RTE_DIM(bad_dst); i++)
		fx_expect_drop(t->fx,
			       fx_tcp4(mp, FX_IP_PEER, bad_dst[i], t->pport, t->lport, 1, 0,
				       RTE_TCP_SYN_FLAG, t->win, NULL, 0, NULL, 0),
			       STK_DROP_IP4_NOT_FOR_US);
	for (i = 0; i < RTE_DIM(bad_src); i++)
		fx_expect_drop(t->fx,
			       fx_tcp4(mp, bad_src[i], FX_IP_US, t->pport, t->lport, 1, 0,
				       RTE_TCP_SYN_FLAG, t->win, NULL, 0, NULL, 0),
			       STK_DROP_IP4_BAD_SRC);
	assert_int_equal(nout(t), 0);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 0);
}

/* MUST-48: the service sets the DSCP of what a connection sends, data
 * and ACKs alike; out of range refused */
static void
test_dscp_per_connection_must_48(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	ssend(t, 0, 10);
	assert_int_equal(fx_ip4(last(t).m)->type_of_service, 0);
	clr(t);
	t->rcv += 10;
	pack(t); /* (Nagle would hold the next small write until this) */
	assert_int_equal(stk_tcp_set_dscp(t->svc.conn, 64), -EINVAL);
	assert_int_equal(stk_tcp_set_dscp(t->svc.conn, 46), 0); /* EF */
	ssend(t, 10, 10);
	assert_int_equal(fx_ip4(last(t).m)->type_of_service, 46 << 2);
	clr(t);
	t->rcv += 10;
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0); /* the FIN is ACKed at once */
	assert_int_equal(nout(t), 1);
	assert_int_equal(fx_ip4(last(t).m)->type_of_service, 46 << 2);
	clr(t);
}

/* MUST-60: data the service sends is not held back waiting for more: on
 * an idle connection it leaves at once, with PSH */
static void
test_send_not_buffered_indefinitely_must_60(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	establish(t);
	ssend(t, 0, 10);
	assert_int_equal(nout(t), 1);
	s = last(t);
	assert_int_equal(s.len, 10);
	assert_true(s.flags & RTE_TCP_PSH_FLAG);
	clr(t);
}

/* ==== closing ==== */

/* MAY-1 (half-duplex close): the peer's FIN -> CLOSE-WAIT, the service
 * hears EOF and may still send; its shutdown -> LAST-ACK -> CLOSED */
static void
test_half_close_close_wait_last_ack_may_1(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	establish(t);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 50);
	assert_int_equal(t->svc.eofs, 1);
	assert_int_equal(t->svc.n_data, 50);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_CLOSE_WAIT);
	assert_int_equal(nout(t), 1); /* a FIN is ACKed at once */
	assert_int_equal(last(t).ack, t->snd);
	clr(t);
	ssend(t, 0, 300);
	assert_int_equal(nout(t), 1);
	t->rcv += 300;
	clr(t);
	pack(t);
	assert_int_equal(stk_tcp_shutdown(t->svc.conn), 0);
	assert_int_equal(stk_tcp_send(t->svc.conn, pat, 1), -EPIPE);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_LAST_ACK);
	s = last(t);
	assert_true(s.flags & RTE_TCP_FIN_FLAG);
	assert_int_equal(s.seq, t->rcv);
	t->rcv++;
	pack(t);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_FIN);
	assert_int_equal(state_count(t, STK_TCP_LAST_ACK), 0);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 0);
	assert_int_equal(fx_stats(t->fx).tcp_closed, 1);
}

/* MUST-13: the active closer stays in TIME-WAIT for 2 MSL; FIN-WAIT-1 ->
 * FIN-WAIT-2 -> TIME-WAIT; the peer may still send in FIN-WAIT-2 */
static void
test_active_close_time_wait_must_13(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	ssend(t, 0, 100);
	assert_int_equal(stk_tcp_shutdown(t->svc.conn), 0);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_FIN_WAIT_1);
	/* the data went at once; the FIN follows it */
	assert_int_equal(nout(t), 2);
	assert_int_equal(out(t, 0).len, 100);
	assert_true(last(t).flags & RTE_TCP_FIN_FLAG);
	assert_int_equal(last(t).seq, t->rcv + 100);
	assert_int_equal(last(t).len, 0);
	t->rcv += 101;
	pack(t);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_FIN_WAIT_2);
	psend(t, RTE_TCP_ACK_FLAG, 10);
	assert_int_equal(t->svc.n_data, 10);
	clr(t);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).ack, t->snd);
	assert_int_equal(t->svc.eofs, 1);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_FIN);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	adv_steps(t, 1990, 10);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	adv_steps(t, 20, 10);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 0);
	/* the tuple is free: a segment now meets the closed port's listener */
	clr(t);
	pin(t, RTE_TCP_ACK_FLAG, t->snd, t->rcv, NULL, 0);
	assert_int_equal(last(t).flags, RTE_TCP_RST_FLAG);
}

/* RFC 9293 3.10.7.4: the FIN again in TIME-WAIT is ACKed and restarts
 * the 2 MSL timeout */
static void
test_time_wait_fin_restarts_timer(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	stk_tcp_shutdown(t->svc.conn);
	t->rcv++;
	pack(t);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	adv_steps(t, 1500, 10);
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, t->snd - 1, t->rcv, NULL, 0),
			 0);
	assert_int_equal(nout(t), 1);
	assert_int_equal(last(t).ack, t->snd);
	adv_steps(t, 1500, 10);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	adv_steps(t, 600, 10);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 0);
}

/* Simultaneous close: FIN-WAIT-1 + FIN -> CLOSING -> TIME-WAIT */
static void
test_simultaneous_close_closing(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	stk_tcp_shutdown(t->svc.conn);
	clr(t);
	/* their FIN does not acknowledge ours */
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_CLOSING);
	assert_int_equal(last(t).ack, t->snd);
	t->rcv++;
	pack(t);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_FIN);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	assert_int_equal(state_count(t, STK_TCP_CLOSING), 0);
}

/* MAY-2: a new SYN may reopen a connection in TIME-WAIT (RFC 6191) */
static void
test_time_wait_accepts_new_syn_may_2(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	stk_tcp_shutdown(t->svc.conn);
	t->rcv++;
	pack(t);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	/* an old-sequence SYN is just ACKed */
	clr(t);
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, t->snd - 10, 0, NULL, 0), 0);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	clr(t);
	t->snd += 100000;
	t->svc.accepts = 0;
	establish(t);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 0);
	assert_int_equal(fx_stats(t->fx).tcp_tw_recycled, 1);
}

/* RFC 6191 2: with timestamps, a SYN whose TSval equals TS.Recent still
 * reopens TIME-WAIT when its sequence number is past the old one (a
 * millisecond timestamp clock does not tick between two short
 * connections on one 4-tuple); a lower TSval does not. */
static void
test_time_wait_equal_timestamp_reopens_rfc6191(void **state)
{
	struct t *t = *state;
	uint8_t o[40];

	start(t);
	establish_opts(t, o, opt_build(o, 1460, -1, false, true, t->tsval));
	stk_tcp_shutdown(t->svc.conn);
	t->rcv++;
	pack(t);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	/* older timestamp, newer sequence: refused */
	clr(t);
	t->tsval -= 1;
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, t->snd + 100000, 0, NULL, 0), 0);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	/* equal timestamp, old sequence: refused */
	clr(t);
	t->tsval += 1;
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, t->snd - 10, 0, NULL, 0), 0);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 1);
	/* equal timestamp, newer sequence: a new connection */
	clr(t);
	t->snd += 100000;
	t->svc.accepts = 0;
	establish_opts(t, o, opt_build(o, 1460, -1, false, true, t->tsval));
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 0);
	assert_int_equal(fx_stats(t->fx).tcp_tw_recycled, 1);
}

static void
open_and_close_active_side(struct t *t, uint16_t pport)
{
	t->pport = pport;
	t->snd = PISN;
	t->svc.accepts = 0;
	establish(t);
	stk_tcp_shutdown(t->svc.conn);
	t->rcv++;
	pack(t);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 0);
	clr(t);
}

/* RELIABILITY.md 6: TIME-WAIT entries are bounded; the oldest goes */
static void
test_time_wait_bounded(void **state)
{
	struct t *t = *state;

	t->fx->conf.tcp.max_time_wait = 2;
	start(t);
	open_and_close_active_side(t, 1001);
	open_and_close_active_side(t, 1002);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 2);
	open_and_close_active_side(t, 1003);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 2);
	assert_int_equal(fx_stats(t->fx).tcp_tw_recycled, 1);
	/* 1001's entry is gone: its ACK meets the listener (RST) */
	t->pport = 1001;
	pin(t, RTE_TCP_ACK_FLAG, PISN + 2, 1, NULL, 0);
	assert_int_equal(last(t).flags, RTE_TCP_RST_FLAG);
}

/* RELIABILITY.md 6 and 10: a full table refuses new SYNs (counted), and
 * TIME-WAIT entries make room under pressure */
static void
test_table_full_and_tw_reuse(void **state)
{
	struct t *t = *state;

	t->fx->conf.tcp.max_conns = 2;
	start(t);
	open_and_close_active_side(t, 1001);
	t->pport = 1002;
	t->snd = PISN;
	t->svc.accepts = 0;
	establish(t);
	/* full: one ESTABLISHED and one TIME-WAIT; a SYN recycles the latter */
	t->pport = 1003;
	t->snd = PISN;
	t->svc.accepts = 0;
	establish(t);
	assert_int_equal(state_count(t, STK_TCP_TIME_WAIT), 0);
	/* now both are ESTABLISHED: the next SYN is refused */
	clr(t);
	t->pport = 1004;
	fx_expect_drop(t->fx,
		       fx_tcp4(mp, FX_IP_PEER, FX_IP_US, 1004, LPORT, PISN, 0, RTE_TCP_SYN_FLAG,
			       65535, NULL, 0, NULL, 0),
		       STK_DROP_TCP_TABLE_FULL);
}

/* RELIABILITY.md 6: half-open connections per listener are bounded */
static void
test_syn_backlog_bounded(void **state)
{
	struct t *t = *state;
	unsigned int i;

	t->fx->conf.tcp.syn_backlog = 3;
	t->fx->conf.tcp.no_syncookies = true;
	start(t);
	for (i = 0; i < 3; i++) {
		t->pport = (uint16_t)(2000 + i);
		assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0), 1);
	}
	fx_expect_drop(t->fx,
		       fx_tcp4(mp, FX_IP_PEER, FX_IP_US, 2009, LPORT, PISN, 0, RTE_TCP_SYN_FLAG,
			       65535, NULL, 0, NULL, 0),
		       STK_DROP_TCP_SYN_BACKLOG);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 3);
	/* completing one handshake frees a place */
	t->pport = 2000;
	t->snd = PISN + 1;
	t->rcv = out(t, 0).seq + 1;
	pack(t);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 2);
	t->pport = 2009;
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0), 1);
}

/* RFC 4987 3.6 (RELIABILITY.md 6, T7): past the backlog a SYN gets a SYN
 * cookie and leaves no state; the ACK that returns it makes the
 * connection; a forged one gets a RST */
static void
test_syn_cookies_past_backlog(void **state)
{
	struct t *t = *state;
	uint8_t o[40];
	struct rte_mbuf *m;
	struct seg s;

	t->fx->conf.tcp.syn_backlog = 1;
	start(t);
	t->pport = 3000;
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 1);
	clr(t);
	t->pport = 3001;
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, 3001, LPORT, PISN, 0, RTE_TCP_SYN_FLAG, 65535, o,
		    opt_build(o, 1000, -1, false, false, 0), NULL, 0);
	assert_int_equal(fx_input(t->fx, m), 1);
	s = last(t);
	assert_int_equal(s.flags, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(s.ack, PISN + 1);
	assert_non_null(fx_tcp_opt(s.m, 2));
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 1);
	assert_int_equal(fx_stats(t->fx).tcp_syncookies_sent, 1);
	clr(t);
	/* a forged ACK */
	assert_int_equal(pin(t, RTE_TCP_ACK_FLAG, PISN + 1, s.seq + 2, NULL, 0), 0);
	assert_int_equal(last(t).flags, RTE_TCP_RST_FLAG);
	assert_int_equal(t->svc.accepts, 0);
	/* the real one */
	t->snd = PISN + 1;
	t->rcv = s.seq + 1;
	pack(t);
	assert_int_equal(t->svc.accepts, 1);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	assert_int_equal(fx_stats(t->fx).tcp_syncookies_ok, 1);
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 100);
	assert_int_equal(t->svc.n_data, 100);
	clr(t);
	/* the cookie kept the MSS, rounded down to its table (536) */
	ssend(t, 0, 2000);
	assert_int_equal(out(t, 0).len, 536);
	check_payload(out(t, 0), 0);
}

/* stk_tcp_close(): FIN, detach; data after it resets (SHLD-3); FIN-WAIT-2
 * of a closed connection times out */
static void
test_close_then_data_resets_shld_3(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	stk_tcp_close(t->svc.conn);
	assert_true(last(t).flags & RTE_TCP_FIN_FLAG);
	assert_int_equal(state_count(t, STK_TCP_FIN_WAIT_1), 1);
	clr(t);
	assert_int_equal(psend(t, RTE_TCP_ACK_FLAG, 10), 0);
	assert_int_equal(fx_drop(t->fx, STK_DROP_TCP_CLOSED), 1);
	assert_true(last(t).flags & RTE_TCP_RST_FLAG);
	assert_int_equal(state_count(t, STK_TCP_FIN_WAIT_1), 0);
	assert_int_equal(t->svc.closes, 0); /* detached: no callback */
}

static void
test_close_fin_wait_2_timeout(void **state)
{
	struct t *t = *state;

	t->fx->conf.tcp.fin_wait_2_ms = 5000;
	start(t);
	establish(t);
	stk_tcp_close(t->svc.conn);
	t->rcv++;
	pack(t);
	assert_int_equal(state_count(t, STK_TCP_FIN_WAIT_2), 1);
	adv_steps(t, 4900, 100);
	assert_int_equal(state_count(t, STK_TCP_FIN_WAIT_2), 1);
	adv_steps(t, 200, 100);
	assert_int_equal(state_count(t, STK_TCP_FIN_WAIT_2), 0);
}

/* ABORT (RFC 9293 3.10.5): RST <SEQ=SND.NXT>, no callback; abort_all
 * tells every service */
static void
test_abort_sends_rst(void **state)
{
	struct t *t = *state;
	struct seg s;

	start(t);
	establish(t);
	ssend(t, 0, 100);
	clr(t);
	stk_tcp_abort(t->svc.conn);
	s = last(t);
	assert_true(s.flags & RTE_TCP_RST_FLAG);
	assert_int_equal(s.seq, t->rcv + 100);
	assert_int_equal(t->svc.closes, 0);
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 0);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
	t->pport++;
	t->snd = PISN;
	t->svc.accepts = 0;
	establish(t);
	stk_tcp_abort_all(t->fx->stk);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_ABORT);
}

/* A service refusing on_accept: the connection is reset */
static void
test_accept_refused_resets(void **state)
{
	struct t *t = *state;

	start(t);
	t->svc.accept_ret = -ECONNREFUSED;
	pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0);
	t->snd = PISN + 1;
	t->rcv = last(t).seq + 1;
	clr(t);
	pack(t);
	assert_true(last(t).flags & RTE_TCP_RST_FLAG);
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 0);
}

/* A service aborting from inside on_data: the connection goes after the
 * callback returns (no use after free) */
static void
test_abort_inside_callback(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	t->svc.abort_on_data = true;
	psend(t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, 100);
	assert_int_equal(t->svc.n_data, 100);
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 0);
	assert_int_equal(state_count(t, STK_TCP_CLOSE_WAIT), 0);
	assert_true(last(t).flags & RTE_TCP_RST_FLAG);
}

/* ==== keepalive ==== */

/* MUST-24 (the application can ask), MUST-26 (only when idle), MUST-27
 * (interval configurable), SHLD-12 (no data), MUST-29 (tolerant of lost
 * ACKs: several probes) */
static void
test_keepalive_must_24_29(void **state)
{
	struct t *t = *state;
	struct seg s;

	t->fx->conf.tcp.keepalive_idle_s = 10;
	t->fx->conf.tcp.keepalive_intvl_s = 1;
	t->fx->conf.tcp.keepalive_probes = 3;
	start(t);
	establish(t);
	stk_tcp_set_keepalive(t->svc.conn, true);
	adv_steps(t, 9900, 100);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 200, 100);
	assert_int_equal(nout(t), 1);
	s = last(t);
	assert_int_equal(s.seq, t->rcv - 1);
	assert_int_equal(s.len, 0);
	clr(t);
	pack(t); /* answered: idle again from now */
	adv_steps(t, 9900, 100);
	assert_int_equal(nout(t), 0);
	adv_steps(t, 200, 100);
	assert_int_equal(nout(t), 1);
	/* two more unanswered probes, then the end */
	adv_steps(t, 2000, 100);
	assert_int_equal(nout(t), 3);
	assert_int_equal(t->svc.closes, 0);
	adv_steps(t, 1100, 100);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_TIMEOUT);
	assert_int_equal(fx_stats(t->fx).tcp_keepalive_probes, 4);
}

/* MUST-24 after a half-close (found by tests/fuzz/fuzz_tcp_pair): the
 * keepalive deadline passed while our FIN was unacknowledged (FIN-WAIT-1)
 * and the timer was not armed again, so once the FIN was acknowledged the
 * connection sat in FIN-WAIT-2 forever although its peer was gone. */
static void
test_keepalive_after_fin_wait_1_must_24(void **state)
{
	struct t *t = *state;

	t->fx->conf.tcp.keepalive_idle_s = 10;
	t->fx->conf.tcp.keepalive_intvl_s = 1;
	t->fx->conf.tcp.keepalive_probes = 3;
	start(t);
	establish(t);
	stk_tcp_set_keepalive(t->svc.conn, true);
	assert_int_equal(stk_tcp_shutdown(t->svc.conn), 0);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_FIN_WAIT_1);
	/* the FIN goes unanswered past the keepalive deadline */
	adv_steps(t, 10500, 100);
	assert_true(nout(t) >= 2);
	clr(t);
	t->rcv++; /* our FIN */
	pack(t);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_FIN_WAIT_2);
	/* then the peer vanishes: idle, three probes, the end */
	adv_steps(t, 14100, 100);
	assert_int_equal(fx_stats(t->fx).tcp_keepalive_probes, 3);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_TIMEOUT);
}

/* MUST-25: keepalive is off by default */
static void
test_keepalive_off_by_default_must_25(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	adv_steps(t, 3 * 3600 * 1000, 10000);
	assert_int_equal(nout(t), 0);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
}

/* ==== urgent data (RFC 9293 3.8.5, RFC 6093) ==== */

/* A segment from the peer with URG and urgent pointer @urp. */
static uint16_t
pin_urg(struct t *t, uint32_t seq, const void *data, uint16_t len, uint16_t urp)
{
	struct rte_mbuf *m;

	assert_false(t->ts);
	m = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->pport, t->lport, seq, t->rcv,
		    RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_URG_FLAG, t->win, NULL, 0, data,
		    len);
	fx_tcp(m)->tcp_urp = rte_cpu_to_be_16(urp);
	fx_tcp_fix(m);
	return fx_input(t->fx, m);
}

/* The peer's next in-order segment, with URG */
static uint16_t
psend_urg(struct t *t, uint16_t len, uint16_t urp)
{
	uint16_t r = pin_urg(t, t->snd, pat + (t->snd - PISN - 1), len, urp);

	t->snd += len;
	return r;
}

static uint16_t
urp_of(struct seg s)
{
	return rte_be_to_cpu_16(fx_tcp(s.m)->tcp_urp);
}

/* MUST-30, MUST-62 (the pointer is the first byte after the urgent data),
 * MUST-32 (on_urgent before the bytes, asynchronously), MUST-33 (how much
 * is pending), MUST-31 (any length: a pointer past the segment, and past
 * 64 KiB of it); RFC 6093: the bytes stay in line, none is removed */
static void
test_urgent_receive_must_30_31_32_33_62(void **state)
{
	struct t *t = *state;
	uint32_t total = 10, n;

	start(t);
	establish(t);
	psend(t, RTE_TCP_ACK_FLAG, 10);
	assert_int_equal(t->svc.urg_calls, 0);
	assert_int_equal(stk_tcp_urgent_pending(t->svc.conn), 0);
	/* what Linux sends for send(b"abcde", MSG_OOB) */
	assert_int_equal(psend_urg(t, 5, 5), 1);
	total += 5;
	assert_int_equal(t->svc.urg_calls, 1);
	assert_int_equal(t->svc.urg_pending, 5);
	assert_int_equal(t->svc.urg_query, 5); /* asked inside on_urgent */
	assert_int_equal(stk_tcp_urgent_pending(t->svc.conn), 0);
	assert_int_equal(fx_stats(t->fx).tcp_urgent_rcvd, 1);
	/* the pointer past this segment's data: urgent data goes on */
	assert_int_equal(psend_urg(t, 10, 1000), 1);
	total += 10;
	assert_int_equal(t->svc.urg_calls, 2);
	assert_int_equal(t->svc.urg_pending, 1000);
	assert_int_equal(stk_tcp_urgent_pending(t->svc.conn), 990);
	/* the same pointer again: nothing new to tell */
	assert_int_equal(psend_urg(t, 100, 990), 1);
	total += 100;
	assert_int_equal(t->svc.urg_calls, 2);
	assert_int_equal(stk_tcp_urgent_pending(t->svc.conn), 890);
	/* a pointer behind RCV.UP, or at the segment's own start: ignored */
	assert_int_equal(psend_urg(t, 10, 20), 1);
	assert_int_equal(psend_urg(t, 10, 0), 1);
	total += 20;
	assert_int_equal(t->svc.urg_calls, 2);
	assert_int_equal(stk_tcp_urgent_pending(t->svc.conn), 870);
	/* the farthest a pointer reaches: it advances again */
	assert_int_equal(psend_urg(t, 100, 0xffff), 1);
	total += 100;
	assert_int_equal(t->svc.urg_calls, 3);
	assert_int_equal(t->svc.urg_pending, 0xffff);
	n = stk_tcp_urgent_pending(t->svc.conn);
	assert_int_equal(n, 0xffff - 100);
	/* plain segments eat into it down to the mark */
	while (n > 0) {
		uint16_t len = (uint16_t)RTE_MIN(n, 1460u);

		assert_int_equal(psend(t, RTE_TCP_ACK_FLAG, len), 1);
		total += len;
		assert_int_equal(stk_tcp_urgent_pending(t->svc.conn), n - len);
		n -= len;
	}
	psend(t, RTE_TCP_ACK_FLAG, 100);
	total += 100;
	assert_int_equal(stk_tcp_urgent_pending(t->svc.conn), 0);
	assert_int_equal(t->svc.urg_calls, 3);
	/* every byte in line, in order */
	assert_int_equal(t->svc.n_data, total);
	assert_memory_equal(t->svc.data, pat, total);
	assert_int_equal(fx_drops_total(t->fx), 0);
}

/* MUST-32: the service may abort from on_urgent; the segment's data is
 * not delivered, the peer gets a RST, every mbuf comes back */
static void
test_urgent_abort_in_callback(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	t->svc.abort_on_urgent = true;
	assert_int_equal(psend_urg(t, 5, 5), 1);
	assert_int_equal(t->svc.urg_calls, 1);
	assert_int_equal(t->svc.n_data, 0);
	assert_true(last(t).flags & RTE_TCP_RST_FLAG);
	assert_int_equal(state_count(t, STK_TCP_ESTABLISHED), 0);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* MUST-30, MUST-62: urgent data sent; every segment before SND.UP carries
 * URG and the offset from its sequence number to the byte after the
 * urgent data, retransmissions too; none after it, none once acknowledged */
static void
test_urgent_send_must_30_62(void **state)
{
	struct t *t = *state;
	uint32_t base;
	struct seg s;

	start(t);
	establish(t);
	base = t->rcv;
	stk_tcp_set_nodelay(t->svc.conn, true);
	assert_int_equal(stk_tcp_send_urgent(t->svc.conn, pat, 3), 3);
	assert_int_equal(nout(t), 1);
	s = out(t, 0);
	assert_true(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(urp_of(s), 3);
	assert_int_equal(s.seq, base);
	assert_int_equal(s.len, 3);
	check_payload(s, 0);
	/* data after the urgent bytes: no URG */
	ssend(t, 3, 2);
	s = last(t);
	assert_int_equal(s.seq, base + 3);
	assert_false(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(urp_of(s), 0);
	t->rcv += 5;
	clr(t);
	pack(t);
	/* across segments: each carries the pointer relative to itself */
	assert_int_equal(stk_tcp_send_urgent(t->svc.conn, pat + 5, 3000), 3000);
	assert_int_equal(nout(t), 3);
	s = out(t, 0);
	assert_true(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(urp_of(s), 3000);
	s = out(t, 1);
	assert_true(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(urp_of(s), 3000 - 1460);
	s = out(t, 2);
	assert_true(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(s.len, 80);
	assert_int_equal(urp_of(s), 80);
	check_payload(s, 5 + 2920);
	/* the retransmission after a timeout still says so */
	clr(t);
	adv(t, 1000);
	s = last(t);
	assert_int_equal(s.seq, base + 5);
	assert_true(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(urp_of(s), 3000);
	/* all acknowledged: urgent mode is over */
	t->rcv += 3000;
	clr(t);
	pack(t);
	stk_tcp_set_nodelay(t->svc.conn, false);
	ssend(t, 3005, 10);
	s = last(t);
	assert_false(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(urp_of(s), 0);
	/* Nagle holds the next small write; len 0 makes what is queued
	 * urgent (how a stk_tcp_send_mbuf() user marks it) */
	ssend(t, 3015, 20);
	assert_int_equal(nout(t), 1);
	assert_int_equal(stk_tcp_send_urgent(t->svc.conn, NULL, 0), 0);
	assert_int_equal(nout(t), 1);
	t->rcv += 10;
	clr(t);
	pack(t);
	s = last(t);
	assert_int_equal(s.seq, base + 3015);
	assert_int_equal(s.len, 20);
	assert_true(s.flags & RTE_TCP_URG_FLAG);
	assert_int_equal(urp_of(s), 20);
	check_payload(s, 3015);
}

/* MUST-31: urgent data longer than the 16-bit pointer reaches: 0xffff
 * until the end comes within reach, then the exact offset */
static void
test_urgent_send_beyond_64k_must_31(void **state)
{
	struct t *t = *state;
	uint32_t base, up, seen;
	unsigned int clamped = 0, exact = 0, rounds = 0;

	t->fx->conf.tcp.sndbuf = 200000;
	start(t);
	establish(t);
	base = t->rcv;
	up = base + 100000;
	seen = base;
	assert_int_equal(stk_tcp_send_urgent(t->svc.conn, pat, 100000), 100000);
	while ((int32_t)(up - seen) > 0) {
		unsigned int i, n = nout(t);

		assert_true(n > 0);
		assert_true(++rounds < 1000);
		for (i = 0; i < n; i++) {
			struct seg s = out(t, i);

			if (s.len == 0)
				continue;
			assert_true(s.flags & RTE_TCP_URG_FLAG);
			assert_int_equal(urp_of(s), RTE_MIN(up - s.seq, 0xffffu));
			if (up - s.seq > 0xffff)
				clamped++;
			else
				exact++;
			check_payload(s, s.seq - base);
			seen = s.seq + s.len;
		}
		t->rcv = seen;
		clr(t);
		pack(t);
	}
	assert_int_equal(seen, up);
	assert_true(clamped > 0 && exact > 0);
	ssend(t, 100000, 10);
	assert_false(last(t).flags & RTE_TCP_URG_FLAG);
}

/* ==== ICMP errors (RFC 9293 3.9.2.2, RFC 1122 4.2.3.9, RFC 5927) ==== */

/* An ICMP error from the gateway quoting the IPv4 header of @sent (a
 * segment the stack sent) and the first @tcp_bytes of its TCP header;
 * @mtu goes in the next-hop MTU field. */
static struct rte_mbuf *
icmp_about(struct rte_mbuf *sent, uint8_t type, uint8_t code, uint16_t mtu, uint16_t tcp_bytes)
{
	struct rte_ipv4_hdr *ip = fx_ip4(sent);
	uint16_t hl = rte_ipv4_hdr_len(ip);
	struct rte_mbuf *m = fx_icmp_echo(mp, FX_IP_GW, FX_IP_US, 0, mtu, hl + tcp_bytes);

	memcpy(fx_l4_payload(m), ip, hl + tcp_bytes);
	fx_icmp(m)->icmp_type = type;
	fx_icmp(m)->icmp_code = code;
	fx_icmp_fix(m);
	return m;
}

/* The quoted IPv4 header of an icmp_about() message (fix the checksum
 * after editing it or what follows). */
static struct rte_ipv4_hdr *
icmp_quote(struct rte_mbuf *m)
{
	return (struct rte_ipv4_hdr *)fx_l4_payload(m);
}

static struct rte_tcp_hdr *
icmp_quote_tcp(struct rte_mbuf *m)
{
	return (struct rte_tcp_hdr *)(fx_l4_payload(m) + rte_ipv4_hdr_len(icmp_quote(m)));
}

/* MUST-54: port unreachable for our SYN aborts the active open (hard
 * error); net and host unreachable and time exceeded do not (MUST-56),
 * they are recorded (SHLD-25). A passive SYN-RECEIVED is forgotten. */
static void
test_icmp_port_unreach_aborts_syn_sent_must_54_56(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *syn;
	unsigned int n;

	start(t);
	connect_peer(t, 8080);
	syn = last(t).m;
	assert_int_equal(fx_input(t->fx, icmp_about(syn, 3, 0, 0, 8)), 1);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), -ENETUNREACH);
	assert_int_equal(fx_input(t->fx, icmp_about(syn, 3, 1, 0, 8)), 1);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), -EHOSTUNREACH);
	assert_int_equal(fx_input(t->fx, icmp_about(syn, 11, 0, 0, 8)), 1);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_SYN_SENT);
	assert_int_equal(t->svc.closes, 0);
	assert_int_equal(fx_stats(t->fx).tcp_icmp_soft, 3);
	n = nout(t);
	assert_int_equal(fx_input(t->fx, icmp_about(syn, 3, 3, 0, 8)), 1);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_UNREACH);
	assert_int_equal(t->svc.soft_err, -ECONNREFUSED); /* asked inside on_close */
	assert_int_equal(state_count(t, STK_TCP_SYN_SENT), 0);
	assert_int_equal(fx_stats(t->fx).tcp_icmp_aborts, 1);
	assert_int_equal(fx_drops_total(t->fx), 0);
	/* nothing answers an ICMP error, and the SYN is not sent again */
	adv_steps(t, 5000, 100);
	assert_int_equal(nout(t), n);

	/* passive: our SYN-ACK met port unreachable */
	clr(t);
	t->pport = PPORT;
	t->lport = LPORT;
	assert_int_equal(pin(t, RTE_TCP_SYN_FLAG, PISN, 0, NULL, 0), 1);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 1);
	assert_int_equal(fx_input(t->fx, icmp_about(last(t).m, 3, 3, 0, 8)), 1);
	assert_int_equal(state_count(t, STK_TCP_SYN_RECEIVED), 0);
	assert_int_equal(t->svc.accepts, 0);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(fx_stats(t->fx).tcp_icmp_aborts, 2);
}

/* MUST-56: host unreachable, time exceeded, parameter problem (and port
 * unreachable, once synchronized) never abort an established connection;
 * SHLD-25, MUST-47: the service learns the error, in on_close when the
 * connection times out later; an acknowledgment of new data clears it */
static void
test_icmp_soft_errors_established_must_56_shld_25(void **state)
{
	struct t *t = *state;
	static const struct {
		uint8_t type, code;
		int err;
	} soft[] = {
		{3, 1, -EHOSTUNREACH},	{11, 0, -EHOSTUNREACH}, {12, 0, -EPROTO},
		{3, 5, -EOPNOTSUPP},	{3, 0, -ENETUNREACH},	{3, 3, -ECONNREFUSED},
		{3, 13, -EHOSTUNREACH},
	};
	struct rte_mbuf *seg;
	unsigned int i;

	t->fx->conf.tcp.r2_ms = 10000;
	start(t);
	establish(t);
	ssend(t, 0, 100);
	seg = last(t).m;
	for (i = 0; i < RTE_DIM(soft); i++) {
		assert_int_equal(fx_input(t->fx, icmp_about(seg, soft[i].type, soft[i].code, 0, 8)),
				 1);
		assert_int_equal(stk_tcp_soft_error(t->svc.conn), soft[i].err);
		assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	}
	assert_int_equal(nout(t), 1); /* nothing sent in answer */
	assert_int_equal(fx_stats(t->fx).tcp_icmp_soft, RTE_DIM(soft));
	assert_int_equal(fx_stats(t->fx).tcp_icmp_aborts, 0);
	assert_int_equal(fx_drops_total(t->fx), 0);
	assert_int_equal(t->svc.closes, 0);
	t->rcv += 100;
	clr(t);
	pack(t);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), 0);

	ssend(t, 100, 100);
	assert_int_equal(fx_input(t->fx, icmp_about(last(t).m, 3, 1, 0, 8)), 1);
	adv_steps(t, 30000, 100);
	assert_int_equal(t->svc.closes, 1);
	assert_int_equal(t->svc.reason, STK_TCP_CLOSE_TIMEOUT);
	assert_int_equal(t->svc.soft_err, -EHOSTUNREACH);
}

/* MUST-55: source quench is silently discarded, counted */
static void
test_icmp_source_quench_ignored_must_55(void **state)
{
	struct t *t = *state;

	start(t);
	establish(t);
	ssend(t, 0, 100);
	fx_expect_drop(t->fx, icmp_about(last(t).m, 4, 0, 0, 8), STK_DROP_ICMP_SOURCE_QUENCH);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), 0);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
	assert_int_equal(nout(t), 1);
}

/* RFC 1191: fragmentation needed lowers the MSS to the next-hop MTU - 40
 * (a plateau when the router does not say, 536 at the least), resends
 * what was in flight at that size; a larger MTU is ignored */
static void
test_icmp_frag_needed_lowers_mss_rfc1191(void **state)
{
	struct t *t = *state;
	static const struct {
		uint16_t mtu, mss;
	} steps[] = {{0, 1452} /* plateau below 1500 */, {1000, 960}, {300, 536}};
	struct rte_mbuf *e;
	unsigned int i, j;
	uint64_t rexmit;

	start(t);
	establish(t);
	ssend(t, 0, 2920);
	assert_int_equal(nout(t), 2);
	assert_int_equal(last(t).len, 1460);
	for (i = 0; i < RTE_DIM(steps); i++) {
		uint32_t off = 0;

		e = icmp_about(out(t, 0).m, 3, 4, steps[i].mtu, 8);
		clr(t);
		rexmit = fx_stats(t->fx).tcp_retransmits;
		assert_int_equal(fx_input(t->fx, e), 1);
		assert_int_equal(fx_stats(t->fx).tcp_pmtu_lowered, i + 1);
		/* everything in flight again, in segments of the new size */
		assert_int_equal(nout(t), (2920 + steps[i].mss - 1) / steps[i].mss);
		for (j = 0; j < nout(t); j++) {
			struct seg s = out(t, j);

			assert_int_equal(s.seq, t->rcv + off);
			assert_int_equal(s.len, RTE_MIN(2920u - off, (uint32_t)steps[i].mss));
			check_payload(s, off);
			off += s.len;
		}
		assert_int_equal(fx_stats(t->fx).tcp_retransmits, rexmit + nout(t));
	}
	/* an increase teaches nothing */
	fx_expect_drop(t->fx, icmp_about(out(t, 0).m, 3, 4, 1400, 8), STK_DROP_ICMP_PMTU_IGNORED);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), 0); /* not an error */
	t->rcv += 2920;
	clr(t);
	pack(t);
	ssend(t, 2920, 1000);
	assert_int_equal(out(t, 0).len, 536);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
}

/* RFC 5927 4.1: the quoted sequence number must be in flight; a quote of
 * no connection of ours is dropped too, each under its own reason */
static void
test_icmp_bad_seq_and_no_conn_dropped_rfc5927(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *seg, *e;

	start(t);
	establish(t);
	ssend(t, 0, 100);
	seg = last(t).m;
	e = icmp_about(seg, 3, 1, 0, 8);
	icmp_quote_tcp(e)->sent_seq = rte_cpu_to_be_32(t->rcv + 100); /* SND.NXT */
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_BAD_SEQ);
	e = icmp_about(seg, 3, 1, 0, 8);
	icmp_quote_tcp(e)->sent_seq = rte_cpu_to_be_32(t->rcv - 1); /* below SND.UNA */
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_BAD_SEQ);
	e = icmp_about(seg, 3, 3, 0, 8);
	icmp_quote_tcp(e)->src_port = rte_cpu_to_be_16(t->lport + 1);
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_NO_CONN);
	e = icmp_about(seg, 3, 3, 0, 8);
	icmp_quote(e)->dst_addr = fx_ip(FX_IP_GW);
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_NO_CONN);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), 0);
	/* the last byte in flight is fine */
	e = icmp_about(seg, 3, 1, 0, 8);
	icmp_quote_tcp(e)->sent_seq = rte_cpu_to_be_32(t->rcv + 99);
	fx_icmp_fix(e);
	assert_int_equal(fx_input(t->fx, e), 1);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), -EHOSTUNREACH);
	/* once acknowledged, nothing is in flight */
	t->rcv += 100;
	pack(t);
	fx_expect_drop(t->fx, icmp_about(seg, 3, 1, 0, 8), STK_DROP_ICMP_BAD_SEQ);
	assert_int_equal(fx_drops_total(t->fx), 5);
}

/* RELIABILITY.md 1: the quoted IPv4 header (its IHL) and 8 bytes of TCP
 * header must be inside what arrived; IP options in the quote are fine,
 * so is a quote split over two mbufs */
static void
test_icmp_truncated_quote_dropped(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *seg, *e;
	uint8_t q[32];

	start(t);
	establish(t);
	ssend(t, 0, 100);
	seg = last(t).m;
	fx_expect_drop(t->fx, icmp_about(seg, 3, 1, 0, 4), STK_DROP_ICMP_BAD_QUOTE);
	fx_expect_drop(t->fx, icmp_about(seg, 3, 1, 0, 0), STK_DROP_ICMP_BAD_QUOTE);
	e = fx_icmp_echo(mp, FX_IP_GW, FX_IP_US, 0, 0, 0); /* an error quoting nothing */
	fx_icmp(e)->icmp_type = 3;
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_BAD_QUOTE);
	/* IHL 6 says 24 bytes of IP header: 4 bytes of TCP left */
	e = icmp_about(seg, 3, 1, 0, 8);
	icmp_quote(e)->version_ihl = 0x46;
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_BAD_QUOTE);
	e = icmp_about(seg, 3, 1, 0, 8);
	icmp_quote(e)->version_ihl = 0x44;
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_BAD_QUOTE);
	e = icmp_about(seg, 3, 1, 0, 8);
	icmp_quote(e)->version_ihl = 0x65;
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_BAD_QUOTE);
	e = icmp_about(seg, 3, 1, 0, 8);
	icmp_quote(e)->fragment_offset = rte_cpu_to_be_16(1);
	fx_icmp_fix(e);
	fx_expect_drop(t->fx, e, STK_DROP_ICMP_BAD_QUOTE);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), 0);

	/* 4 bytes of IP options between the quoted headers */
	memcpy(q, fx_ip4(seg), 20);
	q[0] = 0x46;
	memset(q + 20, 1, 4);
	memcpy(q + 24, fx_tcp(seg), 8);
	e = fx_icmp_echo(mp, FX_IP_GW, FX_IP_US, 0, 0, sizeof(q));
	memcpy(fx_l4_payload(e), q, sizeof(q));
	fx_icmp(e)->icmp_type = 3;
	fx_icmp(e)->icmp_code = 1;
	fx_icmp_fix(e);
	assert_int_equal(fx_input(t->fx, e), 1);
	assert_int_equal(stk_tcp_soft_error(t->svc.conn), -EHOSTUNREACH);
	/* split inside the quoted TCP header */
	e = fx_split(mp, icmp_about(seg, 11, 0, 0, 8), RTE_ETHER_HDR_LEN + 20 + 8 + 20 + 3);
	assert_int_equal(fx_input(t->fx, e), 1);
	assert_int_equal(fx_stats(t->fx).tcp_icmp_soft, 2);
	assert_int_equal(fx_drops_total(t->fx), 7);
	assert_int_equal(stk_tcp_get_state(t->svc.conn), STK_TCP_ESTABLISHED);
}

/* Byte flips of an ICMP error about an established connection's segment:
 * every mutant is either taken or dropped under exactly one reason, never
 * answered with an ICMP error, and every mbuf comes back */
static void
test_icmp_error_byte_flips(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *ref;
	unsigned int i, bit;
	uint16_t len;

	start(t);
	establish(t);
	ssend(t, 0, 1000);
	ref = icmp_about(last(t).m, 3, 4, 1000, 8);
	clr(t);
	len = (uint16_t)rte_pktmbuf_pkt_len(ref);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
			uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);
			uint64_t drops = fx_drops_total(t->fx);
			uint16_t r;

			memcpy(p, rte_pktmbuf_mtod(ref, uint8_t *), len);
			p[i] ^= (uint8_t)(1u << bit);
			if (bit == 0 && i >= RTE_ETHER_HDR_LEN + 20)
				fx_icmp_fix(m);
			r = fx_input(t->fx, m);
			assert_int_equal(fx_drops_total(t->fx), drops + (r == 0 ? 1 : 0));
			assert_int_equal(fx_stats(t->fx).icmp_errors_sent, 0);
			clr(t);
		}
	}
	rte_pktmbuf_free(ref);
	stk_tcp_abort_all(t->fx->stk);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

/* ==== robustness ==== */

/* Every byte of a valid data segment flipped in turn against an
 * established connection: no crash, every mbuf back */
static void
test_byte_flips_established(void **state)
{
	struct t *t = *state;
	struct rte_mbuf *ref;
	unsigned int i, bit;
	uint16_t len;

	start(t);
	establish(t);
	ref = fx_tcp4(mp, FX_IP_PEER, FX_IP_US, t->pport, t->lport, t->snd, t->rcv,
		      RTE_TCP_ACK_FLAG, 65535, NULL, 0, pat, 40);
	len = (uint16_t)rte_pktmbuf_pkt_len(ref);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
			uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);

			memcpy(p, rte_pktmbuf_mtod(ref, uint8_t *), len);
			p[i] ^= (uint8_t)(1u << bit);
			/* keep the checksums right half of the time, to get past them */
			if (bit == 0 && i >= RTE_ETHER_HDR_LEN + 20) {
				fx_tcp_fix(m);
			}
			fx_input(t->fx, m);
			clr(t);
		}
	}
	rte_pktmbuf_free(ref);
	stk_tcp_abort_all(t->fx->stk);
	assert_int_equal(stk_tcp_mbufs_held(t->fx->stk), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_listen_syn_gets_synack_mss_14),
		T(test_passive_open_established),
		T(test_closed_port_syn_gets_rst_ack),
		T(test_closed_port_ack_gets_rst_seq_ack),
		T(test_listen_rst_ignored_ack_reset),
		T(test_bad_checksum_dropped_must_3),
		T(test_bad_data_offset_dropped),
		T(test_bad_option_lengths_dropped_must_7),
		T(test_unknown_and_unaligned_options_accepted_must_6_64),
		T(test_no_mss_option_means_536_must_15),
		T(test_peer_mss_clamped_to_mtu_must_16),
		T(test_ttl_configurable_must_49),
		T(test_bad_flags_and_port_zero_dropped),
		T(test_delayed_ack_must_40),
		T(test_reply_from_on_data_no_delayed_ack_must_58),
		T(test_ack_every_second_full_segment_shld_19),
		T(test_out_of_order_queued_and_sacked_shld_31),
		T(test_out_of_order_limit_counted),
		T(test_reassembly_overlaps),
		T(test_duplicate_and_out_of_window),
		T(test_duplicate_data_ack_counts),
		T(test_send_acked_on_sent_must_61),
		T(test_nagle_and_nodelay_must_17),
		T(test_send_mbuf_chain),
		T(test_zero_copy_references_send_queue),
		T(test_zero_copy_spans_two_service_mbufs),
		T(test_zero_copy_retransmission_after_loss),
		T(test_zero_copy_tiny_segments_copied),
		T(test_zero_copy_falls_back_to_copy),
		T(test_rto_backoff_must_19),
		T(test_karn_no_sample_from_retransmission_must_18),
		T(test_r2_closes_must_20),
		T(test_syn_retransmit_r2_3_minutes_must_23),
		T(test_fast_retransmit_newreno),
		T(test_early_retransmit),
		T(test_sack_retransmits_holes_only),
		T(test_sack_lost_retransmission_resent),
		T(test_sack_retransmission_not_lost),
		T(test_sack_rescue_retransmission),
		T(test_rack_reorder_timer_recovers),
		T(test_rack_reordering_no_retransmit),
		T(test_tlp_probes_lost_tail_once),
		T(test_tlp_probe_sends_new_data),
		T(test_zero_window_probe_must_36_37),
		T(test_sender_sws_avoidance_must_38),
		T(test_receiver_sws_avoidance_must_39),
		T(test_zero_rcv_window_still_processes_acks_must_66),
		T(test_window_scaling),
		T(test_rst_exact_resets_must_12),
		T(test_rst_in_window_challenge_ack_limited),
		T(test_syn_on_established_challenge_ack),
		T(test_ack_outside_range_dropped),
		T(test_no_ack_flag_dropped),
		T(test_paws_and_missing_timestamp),
		T(test_active_open),
		T(test_active_open_refused),
		T(test_syn_sent_bad_ack_reset),
		T(test_simultaneous_open_must_10),
		T(test_syn_received_rst_back_to_listen),
		T(test_syn_ack_retransmitted),
		T(test_open_to_broadcast_refused_must_46),
		T(test_isn_rfc6528_must_8),
		T(test_ephemeral_ports_random_rfc6056),
		T(test_isn_and_ports_unpredictable_t14),
		T(test_window_unsigned_must_1),
		T(test_option_set_and_encoding_must_4_68_69),
		T(test_keepalive_default_two_hours_must_28),
		T(test_listen_several_ports_must_41_42),
		T(test_active_open_source_address_must_44_45),
		T(test_syn_broadcast_or_invalid_source_dropped_must_57_63),
		T(test_send_not_buffered_indefinitely_must_60),
		T(test_dscp_per_connection_must_48),
		T(test_ephemeral_port_not_reused_soon),
		T(test_timestamp_offset_per_address_pair),
		T(test_half_close_close_wait_last_ack_may_1),
		T(test_active_close_time_wait_must_13),
		T(test_time_wait_fin_restarts_timer),
		T(test_simultaneous_close_closing),
		T(test_time_wait_accepts_new_syn_may_2),
		T(test_time_wait_equal_timestamp_reopens_rfc6191),
		T(test_time_wait_bounded),
		T(test_table_full_and_tw_reuse),
		T(test_syn_backlog_bounded),
		T(test_syn_cookies_past_backlog),
		T(test_close_then_data_resets_shld_3),
		T(test_close_fin_wait_2_timeout),
		T(test_abort_sends_rst),
		T(test_accept_refused_resets),
		T(test_abort_inside_callback),
		T(test_keepalive_must_24_29),
		T(test_keepalive_after_fin_wait_1_must_24),
		T(test_keepalive_off_by_default_must_25),
		T(test_urgent_receive_must_30_31_32_33_62),
		T(test_urgent_abort_in_callback),
		T(test_urgent_send_must_30_62),
		T(test_urgent_send_beyond_64k_must_31),
		T(test_icmp_port_unreach_aborts_syn_sent_must_54_56),
		T(test_icmp_soft_errors_established_must_56_shld_25),
		T(test_icmp_source_quench_ignored_must_55),
		T(test_icmp_frag_needed_lowers_mss_rfc1191),
		T(test_icmp_bad_seq_and_no_conn_dropped_rfc5927),
		T(test_icmp_truncated_quote_dropped),
		T(test_icmp_error_byte_flips),
		T(test_byte_flips_established),
#undef T
	};
	unsigned int i;
	int ret;

	fx_eal_init("test_tcp", NULL);
	mp = fx_mempool("tcp_pool", FX_POOL_SIZE);
	if (mp == NULL)
		return 1;
	for (i = 0; i < PAT_LEN; i++)
		pat[i] = (uint8_t)(i * 7 + 1 + (i >> 8));
	ret = cmocka_run_group_tests_name("tcp", tests, NULL, NULL);
	rte_mempool_free(mp);
	return ret;
}
