/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tcp_state: one stack with a listener on port 80, on virtual time;
 * the harness is the peer. Each input starts with a scripted handshake
 * (peer 0 opens a connection to the listener; with a bit of the header,
 * the stack also opens one to peer 1), then is read as a sequence of steps:
 * peer segments whose flags, sequence and acknowledgment numbers (as
 * offsets from the connection's RCV.NXT and SND.UNA/NXT/MAX), window,
 * options (timestamps, SACK blocks, raw bytes) and payload length come from
 * the input; ICMP errors quoting the connection (fragmentation needed with
 * an MTU, unreachable, time exceeded...); time advances that fire retransmission, persist,
 * keepalive, FIN-WAIT-2 and TIME-WAIT timers; and the service's calls (send, shutdown, close,
 * abort, recved, nodelay, keepalive, connect).
 *
 * Every payload byte either side sends is a function of its sequence
 * number, so the harness checks that the service gets exactly the bytes
 * the peer sent, in order, and the peer exactly the bytes the service
 * queued. After each step: fz_tcp_check() (SND.UNA <= SND.NXT <= SND.MAX,
 * queues consistent with their counters and within their caps, state
 * counts), everything sent well formed, and the pool's in-use count equal
 * to the baseline plus what the stack says it holds. At the end every
 * connection is aborted and the stack freed: the pool is back at baseline.
 *
 * Input layout (big endian, 0 past the end):
 *   u8 conf    bit 0 no timestamps, 1 no SACK, 2 no window scaling,
 *              3 nodelay, 4 keepalive, 5 no SYN cookies, 6-7 buffer sizes
 *   u8 synopt  the peer's SYN: bit 0 MSS, 1 WS, 2 SACK-permitted, 3 TS,
 *              4 data on the SYN, 5 active open to peer 1 at the start
 *   u16 mss, u8 wscale, u16 window
 *   steps: u8 op (bits 0-2 kind, bit 3 peer, bit 4 ICMP for kind 6) and
 *   the kind's arguments
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"
#include "tcp_priv.h"

#define LPORT 80
#define PPORT0 40000
#define PPORT1 5000
#define NPEER 2
#define MAX_STEPS 400
#define PAYLOAD_MAX 1460
#define SEND_MAX 20000

struct peer {
	uint16_t pport; /* the peer's port */
	uint16_t lport; /* ours (0 until an active open picks it) */
	uint8_t synopt;
	uint16_t mss;
	uint8_t wscale;
	uint16_t win;
	uint32_t snd; /* the peer's next sequence when no connection is known */
	uint32_t rcv; /* end of the highest sequence the stack sent it */
	bool rcv_set;
	uint32_t tsecr; /* the stack's last TSval */
	/* the service's side */
	struct stk_tcp_conn *conn;
	uint32_t next; /* sequence of the next byte the service must get */
	bool hold;     /* on_data consumes nothing (the window closes) */
	bool eof;
	bool nodelay, keepalive;
};

static struct {
	struct fx *fx;
	struct peer peer[NPEER];
	uint32_t ts_base;
} st;

static uint8_t
pat(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

static uint32_t
now_ms(void)
{
	return (uint32_t)(st.fx->now / (FX_HZ / 1000));
}

static struct peer *
peer_by_port(uint16_t pport)
{
	unsigned int i;

	for (i = 0; i < NPEER; i++)
		if (st.peer[i].pport == pport)
			return &st.peer[i];
	return NULL;
}

/* The stack's connection with @p (TIME-WAIT and half-open included). */
static struct stk_tcp_conn *
conn_of(const struct peer *p)
{
	struct tcp_key k;

	if (p->lport == 0)
		return NULL;
	k.lip = fx_ip(FX_IP_US);
	k.rip = fx_ip(FX_IP_PEER);
	k.lport = rte_cpu_to_be_16(p->lport);
	k.rport = rte_cpu_to_be_16(p->pport);
	return tcp_conn_lookup(st.fx->stk->tcp, &k);
}

/* ---- the service ---- */

static void
svc_attach(struct peer *p, struct stk_tcp_conn *c)
{
	p->conn = c;
	p->next = c->irs + 1;
	p->eof = false;
}

static int
svc_accept(void *arg, struct stk_tcp_conn *c, void **conn_arg)
{
	struct stk_tcp_tuple t;
	struct peer *p;

	RTE_SET_USED(arg);
	stk_tcp_get_tuple(c, &t);
	p = peer_by_port(t.remote_port);
	*conn_arg = p;
	if (p != NULL)
		svc_attach(p, c);
	return 0;
}

static void
svc_connected(void *arg, struct stk_tcp_conn *c)
{
	svc_attach(arg, c);
}

static uint32_t
svc_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct peer *p = arg;
	struct rte_mbuf *s;
	uint32_t n = 0;

	if (m == NULL) {
		FZ_CHECK(len == 0, "end of stream with %u bytes", len);
		FZ_CHECK(p == NULL || !p->eof, "end of stream twice");
		if (p != NULL)
			p->eof = true;
		return 0;
	}
	FZ_CHECK(rte_pktmbuf_pkt_len(m) == len, "chain of %u bytes for %u", rte_pktmbuf_pkt_len(m),
		 len);
	if (p != NULL) {
		FZ_CHECK(p->conn == c, "data for a connection the service does not hold");
		FZ_CHECK(!p->eof, "%u bytes after the end of stream", len);
		for (s = m; s != NULL; s = s->next) {
			const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);
			uint16_t i;

			for (i = 0; i < s->data_len; i++, n++)
				FZ_CHECK(d[i] == pat(p->next + n),
					 "byte at sequence %u delivered as %#x, sent as %#x",
					 p->next + n, d[i], pat(p->next + n));
		}
		p->next += len;
	}
	rte_pktmbuf_free(m);
	return p != NULL && p->hold ? 0 : len;
}

static void
svc_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct peer *p = arg;

	RTE_SET_USED(why);
	if (p != NULL && p->conn == c)
		p->conn = NULL;
}

static const struct stk_tcp_ops svc_ops = {
	.on_accept = svc_accept,
	.on_connected = svc_connected,
	.on_data = svc_data,
	.on_close = svc_close,
};

/* ---- what the stack sent ---- */

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
scan_one(struct rte_mbuf *m)
{
	struct rte_tcp_hdr *th;
	const uint8_t *ts, *d;
	struct peer *p;
	uint32_t seq, end, i;
	uint16_t len;

	fz_check_output(m);
	if (fx_eth(m)->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    fx_ip4(m)->next_proto_id != IPPROTO_TCP)
		return;
	FZ_CHECK(fx_ip4(m)->dst_addr == fx_ip(FX_IP_PEER), "TCP segment to another host");
	th = fx_tcp(m);
	p = peer_by_port(rte_be_to_cpu_16(th->dst_port));
	if (p == NULL)
		return;
	if (p->lport == 0 && (th->tcp_flags & RTE_TCP_SYN_FLAG))
		p->lport = rte_be_to_cpu_16(th->src_port);
	if (p->lport != rte_be_to_cpu_16(th->src_port) || (th->tcp_flags & RTE_TCP_RST_FLAG))
		return;
	seq = rte_be_to_cpu_32(th->sent_seq);
	len = fx_tcp_payload_len(m);
	/* the service queued byte pat(s) at sequence s */
	d = fx_tcp_payload(m);
	for (i = 0; i < len; i++) {
		uint32_t s = seq + ((th->tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0) + i;

		FZ_CHECK(d[i] == pat(s), "byte at sequence %u sent as %#x, queued as %#x", s, d[i],
			 pat(s));
	}
	end = seq + len + ((th->tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0) +
	      ((th->tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
	if (!p->rcv_set || seq_gt(end, p->rcv))
		p->rcv = end;
	p->rcv_set = true;
	ts = fx_tcp_opt(m, TCP_OPT_TS);
	if (ts != NULL && ts[1] == 10)
		p->tsecr = get32(ts + 2);
}

/* Check and forget everything the stack sent. */
static void
scan(void)
{
	unsigned int i;

	for (i = 0; i < st.fx->cap.n; i++)
		scan_one(st.fx->cap.pkts[i]);
	fx_cap_clear(&st.fx->cap);
}

static void
check(void)
{
	unsigned int i;

	scan();
	fz_tcp_check(st.fx->stk, "state");
	FZ_CHECK(fx_in_use(fz_pool) == st.fx->baseline + fz_held(st.fx->stk),
		 "%u mbufs in use; baseline %u + %u held by the stack", fx_in_use(fz_pool),
		 st.fx->baseline, fz_held(st.fx->stk));
	for (i = 0; i < NPEER; i++) {
		struct peer *p = &st.peer[i];
		const struct stk_tcp_conn *c = p->conn;

		FZ_CHECK(c == NULL || (c->ctx != NULL && (c->flags & CF_ATTACHED)),
			 "the service holds a connection the stack let go");
		/* the peer goes on from where the stack's receive side is */
		c = conn_of(p);
		if (c != NULL && c->state != STK_TCP_SYN_SENT)
			p->snd = c->rcv_nxt;
	}
}

/* ---- the peer ---- */

static uint8_t
put_ts(uint8_t *o, const struct peer *p, int8_t delta)
{
	uint32_t v = rte_cpu_to_be_32(st.ts_base + now_ms() + (uint32_t)(int32_t)delta);
	uint32_t e = rte_cpu_to_be_32(p->tsecr);

	o[0] = 1;
	o[1] = 1;
	o[2] = TCP_OPT_TS;
	o[3] = 10;
	memcpy(o + 4, &v, 4);
	memcpy(o + 8, &e, 4);
	return 12;
}

/* Pad to a multiple of 4 with EOL; at most 40 bytes. */
static uint8_t
opt_end(uint8_t *o, unsigned int n)
{
	if (n > TCP_OPT_MAX)
		n = TCP_OPT_MAX;
	while (n % 4 != 0)
		o[n++] = TCP_OPT_EOL;
	return (uint8_t)n;
}

static void
peer_send(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	  const uint8_t *opt, uint8_t optlen, uint16_t len)
{
	static uint8_t data[PAYLOAD_MAX];
	uint32_t first = seq + ((flags & RTE_TCP_SYN_FLAG) ? 1 : 0);
	uint16_t i;

	for (i = 0; i < len; i++)
		data[i] = pat(first + i);
	fx_input(st.fx, fx_tcp4(fz_pool, FX_IP_PEER, FX_IP_US, p->pport, p->lport, seq, ack, flags,
				win, opt, optlen, data, len));
}

static uint8_t
syn_opts(uint8_t *o, const struct peer *p)
{
	unsigned int n = 0;

	if (p->synopt & 0x01) {
		o[n++] = TCP_OPT_MSS;
		o[n++] = 4;
		o[n++] = (uint8_t)(p->mss >> 8);
		o[n++] = (uint8_t)p->mss;
	}
	if (p->synopt & 0x02) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_WS;
		o[n++] = 3;
		o[n++] = p->wscale;
	}
	if (p->synopt & 0x04) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_SACK_PERM;
		o[n++] = 2;
	}
	if (p->synopt & 0x08)
		n += put_ts(o + n, p, 0);
	return opt_end(o, n);
}

static bool
ts_default(const struct peer *p, const struct stk_tcp_conn *c)
{
	return c != NULL ? (c->flags & CF_TS) != 0 : (p->synopt & 0x08) != 0;
}

static uint32_t
seq_base(const struct peer *p, const struct stk_tcp_conn *c)
{
	return c != NULL && c->state != STK_TCP_SYN_SENT ? c->rcv_nxt : p->snd;
}

/* kinds 0, 1: a segment made of the input */
static void
op_segment(struct peer *p, struct fz_in *in)
{
	const struct stk_tcp_conn *c = conn_of(p);
	uint8_t flags = fz_u8(in), sel, o[TCP_OPT_MAX + 24];
	int16_t dseq = (int16_t)fz_u16(in), dack = (int16_t)fz_u16(in);
	uint32_t seq, ack, ack_base, n = 0;
	uint16_t len, win;

	sel = fz_u8(in);
	len = fz_u16(in) % (PAYLOAD_MAX + 1);
	switch (sel & 3) {
	case 0:
		ack_base = c != NULL ? c->snd_max : p->rcv;
		break;
	case 1:
		ack_base = c != NULL ? c->snd_una : p->rcv;
		break;
	case 2:
		ack_base = c != NULL ? c->snd_nxt : p->rcv;
		break;
	default:
		ack_base = p->rcv;
		break;
	}
	seq = (sel & 0x40) ? fz_u32(in) : seq_base(p, c) + (uint32_t)(int32_t)dseq;
	ack = (sel & 0x80) ? fz_u32(in) : ack_base + (uint32_t)(int32_t)dack;
	win = (sel & 0x20) ? fz_u16(in) : p->win;
	if (ts_default(p, c) != ((sel & 0x04) != 0))
		n += put_ts(o + n, p, (int8_t)fz_u8(in));
	if (sel & 0x08) {
		unsigned int k, nb = 1 + fz_u8(in) % 3;

		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (k = 0; k < nb; k++) {
			uint32_t s = ack_base + (uint32_t)(int32_t)(int16_t)fz_u16(in);
			uint32_t e = s + fz_u16(in) % 4096;

			s = rte_cpu_to_be_32(s);
			e = rte_cpu_to_be_32(e);
			memcpy(o + n, &s, 4);
			memcpy(o + n + 4, &e, 4);
			n += 8;
		}
	}
	if (sel & 0x10) {
		unsigned int k, nr = fz_u8(in) % 21;

		for (k = 0; k < nr && n < TCP_OPT_MAX; k++)
			o[n++] = fz_u8(in);
	}
	peer_send(p, flags, seq, ack, win, o, opt_end(o, n), len);
}

/* kind 5: acknowledge everything the stack sent */
static void
op_ack_all(struct peer *p)
{
	const struct stk_tcp_conn *c = conn_of(p);
	uint8_t o[TCP_OPT_MAX];
	unsigned int n = 0;

	if (ts_default(p, c))
		n = put_ts(o, p, 0);
	peer_send(p, RTE_TCP_ACK_FLAG, seq_base(p, c), p->rcv, p->win, o, opt_end(o, n), 0);
}

/* kind 7: the next in-order data, with ACK, maybe FIN */
static void
op_data(struct peer *p, struct fz_in *in)
{
	const struct stk_tcp_conn *c = conn_of(p);
	uint8_t b = fz_u8(in), o[TCP_OPT_MAX];
	uint16_t len = fz_u16(in) % (PAYLOAD_MAX + 1);
	unsigned int n = 0;

	if (ts_default(p, c))
		n = put_ts(o, p, 0);
	peer_send(p,
		  RTE_TCP_ACK_FLAG | ((b & 1) ? RTE_TCP_FIN_FLAG : 0) |
			  ((b & 2) ? RTE_TCP_PSH_FLAG : 0),
		  seq_base(p, c), p->rcv, p->win, o, opt_end(o, n), len);
}

/* kind 6: a new SYN (new initial sequence number) from the peer */
static void
op_syn(struct peer *p, struct fz_in *in)
{
	uint8_t o[TCP_OPT_MAX];
	uint32_t isn = fz_u32(in);

	if (p->lport == 0)
		return;
	p->snd = isn + 1;
	peer_send(p, RTE_TCP_SYN_FLAG, isn, 0, p->win, o, syn_opts(o, p),
		  (p->synopt & 0x10) ? 100 : 0);
}

/* kind 6 with bit 4: an ICMP error from the path, quoting one of our
 * segments to the peer (sequence from SND.UNA); unreachable (code 4 with an
 * MTU: fragmentation needed), time exceeded, parameter problem, source
 * quench */
static void
op_icmp(struct peer *p, struct fz_in *in)
{
	static const uint8_t types[4] = {3, 11, 12, 4};
	const struct stk_tcp_conn *c = conn_of(p);
	uint8_t t = fz_u8(in), code = fz_u8(in) % 16, *icmp;
	uint16_t mtu = fz_u16(in);
	int16_t d = (int16_t)fz_u16(in);
	uint32_t seq = (c != NULL ? c->snd_una : p->rcv) + (uint32_t)(int32_t)d;
	struct rte_ipv4_hdr *qip;
	struct rte_tcp_hdr *qth;
	struct rte_mbuf *m;

	if (p->lport == 0)
		return;
	m = fx_ip4_raw(fz_pool, FX_IP_PEER, FX_IP_US, IPPROTO_ICMP, 8 + 20 + 20);
	icmp = (uint8_t *)fx_icmp(m);
	memset(icmp, 0, 8 + 20 + 20);
	icmp[0] = types[t % 4];
	icmp[1] = code;
	icmp[6] = (uint8_t)(mtu >> 8);
	icmp[7] = (uint8_t)mtu;
	qip = (struct rte_ipv4_hdr *)(icmp + 8);
	qip->version_ihl = RTE_IPV4_VHL_DEF;
	qip->total_length = rte_cpu_to_be_16((uint16_t)(40 + (t >> 2) * 24));
	qip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	qip->time_to_live = 64;
	qip->next_proto_id = IPPROTO_TCP;
	qip->src_addr = fx_ip(FX_IP_US);
	qip->dst_addr = fx_ip(FX_IP_PEER);
	qip->hdr_checksum = rte_ipv4_cksum(qip);
	qth = (struct rte_tcp_hdr *)(qip + 1);
	qth->src_port = rte_cpu_to_be_16(p->lport);
	qth->dst_port = rte_cpu_to_be_16(p->pport);
	qth->sent_seq = rte_cpu_to_be_32(seq);
	qth->data_off = 0x50;
	qth->tcp_flags = RTE_TCP_ACK_FLAG;
	fx_icmp_fix(m);
	fx_input(st.fx, m);
}

/* kind 2: time passes; timers run every 10 ms of it, as the loop does */
static void
op_time(struct fz_in *in)
{
	uint8_t t = fz_u8(in);
	uint64_t ms = t < 200 ? t : (uint64_t)(t - 199) * 1000;

	while (ms > 0) {
		uint64_t step = RTE_MIN(ms, (uint64_t)10);

		fx_advance_ms(st.fx, step);
		stk_timer_run(st.fx->stk);
		ms -= step;
		scan();
	}
}

/* kind 3: the service sends; byte pat(s) goes at sequence s */
static void
op_send(struct peer *p, struct fz_in *in)
{
	static uint8_t buf[SEND_MAX];
	uint32_t n = fz_u16(in) % SEND_MAX, i, seq;
	struct stk_tcp_conn *c = p->conn;
	int r;

	if (c == NULL)
		return;
	seq = c->sq_seq + c->sq_bytes;
	for (i = 0; i < n; i++)
		buf[i] = pat(seq + i);
	r = stk_tcp_send(c, buf, n);
	FZ_CHECK(r >= 0 || r == -EPIPE || r == -ENOBUFS || r == -ENOTCONN, "stk_tcp_send: %d", r);
	FZ_CHECK(r < 0 || (uint32_t)r <= n, "stk_tcp_send took %d of %u", r, n);
}

static void connect_peer1(void);

/* kind 4: the service's other calls */
static void
op_service(struct peer *p, struct fz_in *in)
{
	uint8_t b = fz_u8(in);
	struct stk_tcp_conn *c = p->conn;

	switch (b % 8) {
	case 0:
		if (c != NULL)
			stk_tcp_shutdown(c);
		break;
	case 1:
		if (c != NULL) {
			p->conn = NULL;
			stk_tcp_close(c);
		}
		break;
	case 2:
		if (c != NULL) {
			p->conn = NULL;
			stk_tcp_abort(c);
		}
		break;
	case 3:
		if (c != NULL)
			stk_tcp_recved(c, fz_u16(in));
		break;
	case 4:
		p->hold = !p->hold;
		break;
	case 5:
		p->nodelay = !p->nodelay;
		if (c != NULL)
			stk_tcp_set_nodelay(c, p->nodelay);
		break;
	case 6:
		p->keepalive = !p->keepalive;
		if (c != NULL)
			stk_tcp_set_keepalive(c, p->keepalive);
		break;
	default:
		if (p == &st.peer[1] && c == NULL && conn_of(p) == NULL)
			connect_peer1();
		break;
	}
}

static void
step(struct fz_in *in)
{
	uint8_t op = fz_u8(in);
	struct peer *p = &st.peer[(op >> 3) % NPEER];

	switch (op & 7) {
	case 0:
	case 1:
		op_segment(p, in);
		break;
	case 2:
		op_time(in);
		break;
	case 3:
		op_send(p, in);
		break;
	case 4:
		op_service(p, in);
		break;
	case 5:
		op_ack_all(p);
		break;
	case 6:
		if (op & 0x10)
			op_icmp(p, in);
		else
			op_syn(p, in);
		break;
	default:
		op_data(p, in);
		break;
	}
}

/* ---- the scripted start ---- */

static void
connect_peer1(void)
{
	struct peer *p = &st.peer[1];
	struct stk_tcp_conn *c = NULL;
	uint8_t o[TCP_OPT_MAX];
	int r;

	p->lport = 0;
	p->rcv_set = false;
	r = stk_tcp_connect(st.fx->stk, fx_ip(FX_IP_PEER), p->pport, 0, &svc_ops, p, &c);
	if (r != 0)
		return; /* table full: fine */
	scan();
	FZ_CHECK(p->lport != 0 && p->rcv_set, "no SYN for an active open");
	p->conn = c; /* the service may send before on_connected */
	/* the peer's SYN-ACK */
	peer_send(p, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, p->snd - 1, p->rcv, p->win, o,
		  syn_opts(o, p), 0);
}

static void
handshake(void)
{
	struct peer *p = &st.peer[0];
	uint8_t o[TCP_OPT_MAX];
	const struct stk_tcp_conn *c;

	peer_send(p, RTE_TCP_SYN_FLAG, p->snd - 1, 0, p->win, o, syn_opts(o, p),
		  (p->synopt & 0x10) ? 100 : 0);
	scan();
	c = conn_of(p);
	FZ_CHECK(c != NULL && c->state == STK_TCP_SYN_RECEIVED && p->rcv_set,
		 "no SYN-ACK for a valid SYN");
	op_ack_all(p);
	scan();
	FZ_CHECK(p->conn != NULL && p->conn->state == STK_TCP_ESTABLISHED,
		 "handshake did not complete");
}

static void
stack_up(struct fz_in *in)
{
	static const uint32_t bufs[4][2] = {
		{8192, 8192}, {65536, 65536}, {4096, 262144}, {2048, 2048}};
	uint8_t conf = fz_u8(in), synopt = fz_u8(in);
	struct stk_tcp_conf *tc;
	unsigned int i;

	fz_reseed();
	memset(&st, 0, sizeof(st));
	st.fx = fx_new(fz_pool);
	st.fx->conf.n_arp_static = 1;
	st.fx->conf.arp_static[0].ip = fx_ip(FX_IP_PEER);
	st.fx->conf.arp_static[0].mac = fx_mac_peer;
	tc = &st.fx->conf.tcp;
	tc->max_conns = 6;
	tc->syn_backlog = 2;
	tc->time_wait_ms = 3000;
	tc->fin_wait_2_ms = 4000;
	tc->r2_ms = 8000;
	tc->keepalive_idle_s = 2;
	tc->keepalive_intvl_s = 1;
	tc->keepalive_probes = 2;
	tc->ooo_max_segs = 6;
	tc->no_timestamps = conf & 0x01;
	tc->no_sack = conf & 0x02;
	tc->no_wscale = conf & 0x04;
	tc->nodelay = conf & 0x08;
	tc->keepalive = conf & 0x10;
	tc->no_syncookies = conf & 0x20;
	tc->sndbuf = bufs[conf >> 6][0];
	tc->rcvbuf = bufs[conf >> 6][1];
	FZ_CHECK(fx_start(st.fx) == 0, "stack creation failed");
	FZ_CHECK(stk_tcp_listen(st.fx->stk, LPORT, &svc_ops, NULL) == 0, "listen");
	st.ts_base = 77777;
	for (i = 0; i < NPEER; i++) {
		struct peer *p = &st.peer[i];

		p->synopt = synopt;
		p->pport = i == 0 ? PPORT0 : PPORT1;
		p->lport = i == 0 ? LPORT : 0;
		p->snd = i == 0 ? 1001 : 500001;
		p->nodelay = tc->nodelay;
		p->keepalive = tc->keepalive;
	}
	st.peer[0].mss = st.peer[1].mss = fz_u16(in);
	st.peer[0].wscale = st.peer[1].wscale = fz_u8(in);
	st.peer[0].win = st.peer[1].win = fz_u16(in);
}

static void
stack_down(void)
{
	unsigned int baseline = st.fx->baseline;

	stk_tcp_abort_all(st.fx->stk);
	check();
	stk_free(st.fx->stk);
	fx_cap_clear(&st.fx->cap);
	free(st.fx);
	st.fx = NULL;
	FZ_CHECK(fx_in_use(fz_pool) == baseline, "%u mbufs in use after stk_free, baseline %u",
		 fx_in_use(fz_pool), baseline);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};
	unsigned int n;

	stack_up(&in);
	handshake();
	if (st.peer[0].synopt & 0x20)
		connect_peer1();
	check();
	for (n = 0; n < MAX_STEPS && fz_more(&in); n++) {
		step(&in);
		check();
	}
	stack_down();
	return 0;
}

/* ---- seeds: short scripts through the main paths ---- */

struct sb {
	uint8_t b[1024];
	size_t n;
};

static void
b8(struct sb *s, unsigned int v)
{
	s->b[s->n++] = (uint8_t)v;
}

static void
b16(struct sb *s, unsigned int v)
{
	b8(s, v >> 8);
	b8(s, v);
}

static void
hdr(struct sb *s, uint8_t conf, uint8_t synopt, uint16_t win)
{
	s->n = 0;
	b8(s, conf);
	b8(s, synopt);
	b16(s, 1460);
	b8(s, 7);
	b16(s, win);
}

/* op helpers: peer index @p */
static void
s_data(struct sb *s, int p, unsigned int len, bool fin)
{
	b8(s, 7 | p << 3);
	b8(s, fin ? 1 : 2);
	b16(s, len);
}

static void
s_ack(struct sb *s, int p)
{
	b8(s, 5 | p << 3);
}

static void
s_time(struct sb *s, unsigned int t)
{
	b8(s, 2);
	b8(s, t);
}

static void
s_send(struct sb *s, int p, unsigned int n)
{
	b8(s, 3 | p << 3);
	b16(s, n);
}

static void
s_svc(struct sb *s, int p, unsigned int what)
{
	b8(s, 4 | p << 3);
	b8(s, what);
}

/* a segment at RCV.NXT + @dseq, ACK = SND.MAX + @dack */
static void
s_seg(struct sb *s, int p, uint8_t flags, int dseq, int dack, uint8_t sel, unsigned int len)
{
	b8(s, 0 | p << 3);
	b8(s, flags);
	b16(s, (uint16_t)dseq);
	b16(s, (uint16_t)dack);
	b8(s, sel);
	b16(s, len);
}

static void
write_seeds(const char *dir)
{
	const uint8_t A = RTE_TCP_ACK_FLAG, F = RTE_TCP_FIN_FLAG, R = RTE_TCP_RST_FLAG,
		      S = RTE_TCP_SYN_FLAG;
	struct sb s;

	/* plain: data both ways, the peer closes, the service closes */
	hdr(&s, 0x00, 0x01, 65535);
	s_data(&s, 0, 100, false);
	s_send(&s, 0, 500);
	s_time(&s, 50);
	s_ack(&s, 0);
	s_data(&s, 0, 0, true);
	s_svc(&s, 0, 1);
	s_ack(&s, 0);
	s_time(&s, 203);
	fz_write_seed(dir, "passive_close", s.b, s.n);

	/* all options, out of order data with SACK, then the hole filled */
	hdr(&s, 0x00, 0x0f, 65535);
	s_seg(&s, 0, A, 1000, 0, 0, 500);
	s_seg(&s, 0, A, 3000, 0, 0, 700);
	s_seg(&s, 0, A, 2000, 0, 0, 300);
	s_data(&s, 0, 1000, false);
	s_data(&s, 0, 1460, false);
	s_send(&s, 0, 9000);
	s_seg(&s, 0, A, 0, -8000, 0x08 | 0x01, 0);
	b8(&s, 1);
	b16(&s, 2000);
	b16(&s, 1000);
	s_time(&s, 120);
	s_ack(&s, 0);
	fz_write_seed(dir, "ooo_sack", s.b, s.n);

	/* active open with options, data, the peer resets */
	hdr(&s, 0x00, 0x2f, 30000);
	s_send(&s, 1, 3000);
	s_ack(&s, 1);
	s_data(&s, 1, 200, false);
	s_seg(&s, 1, R, 0, 0, 0, 0);
	fz_write_seed(dir, "active_rst", s.b, s.n);

	/* zero window: persist probes, then the window opens */
	hdr(&s, 0x08, 0x01, 0);
	s_send(&s, 0, 4000);
	s_time(&s, 201);
	s_time(&s, 203);
	s_seg(&s, 0, A, 0, 0, 0x20, 0);
	b16(&s, 8000);
	s_time(&s, 100);
	s_ack(&s, 0);
	fz_write_seed(dir, "zero_window", s.b, s.n);

	/* loss: RTO, then three duplicate ACKs, then everything */
	hdr(&s, 0x00, 0x05, 65535);
	s_send(&s, 0, 12000);
	s_time(&s, 201);
	s_seg(&s, 0, A, 0, 0, 0x01, 0);
	s_seg(&s, 0, A, 0, 0, 0x01, 0);
	s_seg(&s, 0, A, 0, 0, 0x01, 0);
	s_ack(&s, 0);
	s_time(&s, 203);
	s_ack(&s, 0);
	fz_write_seed(dir, "rto_dupacks", s.b, s.n);

	/* simultaneous close, then TIME-WAIT and a new SYN over it */
	hdr(&s, 0x00, 0x09, 65535);
	s_svc(&s, 0, 0);
	s_data(&s, 0, 10, true);
	s_ack(&s, 0);
	s_time(&s, 50);
	b8(&s, 6);
	b16(&s, 0x1234);
	b16(&s, 0x5678);
	fz_write_seed(dir, "simultaneous_close", s.b, s.n);

	/* RFC 5961: in-window RST and SYN get challenge ACKs, old ACK */
	hdr(&s, 0x00, 0x09, 65535);
	s_seg(&s, 0, R, 10, 0, 0, 0);
	s_seg(&s, 0, S, 0, 0, 0, 0);
	s_seg(&s, 0, A, 0, -30000, 0, 0);
	s_seg(&s, 0, A | F, 70000 & 0x7fff, 0, 0, 10);
	fz_write_seed(dir, "rfc5961", s.b, s.n);

	/* keepalive and the service holding data (window closes) */
	hdr(&s, 0x10, 0x01, 65535);
	s_svc(&s, 0, 4);
	s_data(&s, 0, 1460, false);
	s_data(&s, 0, 1460, false);
	s_data(&s, 0, 1460, false);
	s_svc(&s, 0, 3);
	b16(&s, 4000);
	s_time(&s, 202);
	s_time(&s, 202);
	s_time(&s, 202);
	fz_write_seed(dir, "keepalive_hold", s.b, s.n);

	/* SYN cookies: more SYNs than the backlog from the second peer */
	hdr(&s, 0x00, 0x01, 65535);
	s_svc(&s, 1, 7);
	b8(&s, 6 | 1 << 3);
	b16(&s, 1);
	b16(&s, 1);
	s_seg(&s, 1, S, 0, 0, 0x40, 0);
	b8(&s, 0);
	b8(&s, 0);
	b8(&s, 0);
	b8(&s, 9);
	fz_write_seed(dir, "second_peer", s.b, s.n);

	/* fragmentation needed (MTU 576) with data in flight, then the rest */
	hdr(&s, 0x00, 0x05, 65535);
	s_send(&s, 0, 6000);
	b8(&s, 6 | 0x10);
	b8(&s, 0);
	b8(&s, 4);
	b16(&s, 576);
	b16(&s, 0);
	s_time(&s, 201);
	s_ack(&s, 0);
	s_time(&s, 100);
	s_ack(&s, 0);
	fz_write_seed(dir, "icmp_needfrag", s.b, s.n);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fz_seed_dir();

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fz_init("fuzz_tcp_state");
	if (dir != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
