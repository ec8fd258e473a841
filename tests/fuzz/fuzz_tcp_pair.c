/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tcp_pair: two stacks in one process, as in tests/test_tcp_pair.c.
 * A client on stack A sends a known byte stream to the real tcp-echo
 * service (apps/services/tcp_echo.c) on stack B, half-closes, and checks
 * every byte that comes back. Each packet put on the wire, either way,
 * takes one byte of the input that decides its fate: delivered, dropped,
 * duplicated, delayed (reordered) or delivered with one byte flipped
 * (position and mask from the input). When the input runs out the link is
 * clean.
 *
 * Must hold: no wrong byte is ever delivered, to the service or back to
 * the client (one flipped byte always fails a checksum, or lands in the
 * Ethernet header, which only misdirects the frame); once the link is
 * clean, the transfer completes (all bytes back, FIN) or the client's
 * connection ends with a reset or a timeout, and the server's goes too;
 * every mbuf is accounted for at every step (stacks, wire, the echo's
 * waiting chain) and the pool is back at its baseline at the end.
 *
 * Virtual time jumps to the next packet or timer, so retransmission
 * timeouts, keepalives and TIME-WAIT cost nothing.
 *
 * Input: u8 conf (bit 0 no timestamps, 1 no SACK, 2 no window scaling,
 * 3 nodelay, 4-5 buffer sizes, 7 large), u16 size (bytes: 1 + size % 8192, or
 * 4 * (size + 1) with bit 7),
 * then one action byte per packet: < 0x80 deliver, 0x80-0x9f drop,
 * 0xa0-0xbf duplicate, 0xc0-0xdf delay by 1-32 ms, 0xe0-0xff flip (u16
 * position, u8 mask follow).
 */
#include <string.h>

#include "fuzz_common.h"
#include "sluice_service.h"
#include "tcp_pair.h"
#include "tcp_priv.h"

#define ECHO_PORT 7
#define WIRE_MAX 8192
#define MS (FX_HZ / 1000)
/* after the input runs out: R2 for a SYN is 3 minutes (MUST-23) */
#define CLEAN_LIMIT_MS (15 * 60 * 1000ULL)
#define MAX_ITER 2000000u

struct wire {
	struct rte_mbuf *m[WIRE_MAX];
	uint64_t due[WIRE_MAX];
	unsigned int n;
	uint64_t seen;
};

static struct {
	struct fx *a, *b;
	struct wire ab, ba;
	struct tp_client cl;
	struct fz_in in;
	uint64_t now;
	uint64_t clean_at; /* when the input ran out; 0 while it lasts */
	const struct sl_service *echo;
	uint64_t srv_rcvd; /* bytes the echo service got, on its connection */
	struct stk_tcp_conn *srv;
} P;

static bool verbose; /* FUZZ_VERBOSE set: one line per input */

/* ---- the wire ---- */

static void
wire_push(struct wire *w, struct rte_mbuf *m, uint64_t due)
{
	FZ_CHECK(w->n < WIRE_MAX, "wire overflow");
	w->m[w->n] = m;
	w->due[w->n++] = due;
}

static void
flip(struct rte_mbuf *m, uint32_t pos, uint8_t mask)
{
	struct rte_mbuf *s = m;

	pos %= rte_pktmbuf_pkt_len(m);
	while (pos >= s->data_len) {
		pos -= s->data_len;
		s = s->next;
	}
	*rte_pktmbuf_mtod_offset(s, uint8_t *, pos) ^= mask != 0 ? mask : 1;
}

static void
wire_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct wire *w = arg;
	uint16_t i;

	RTE_SET_USED(port_id);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *d;
		uint64_t due = P.now + MS;
		uint8_t a;

		w->seen++;
		fz_check_output(m);
		if (!fz_more(&P.in)) {
			if (P.clean_at == 0)
				P.clean_at = P.now;
			wire_push(w, m, due);
			continue;
		}
		a = fz_u8(&P.in);
		if (a < 0x80) {
			wire_push(w, m, due);
		} else if (a < 0xa0) {
			rte_pktmbuf_free(m);
		} else if (a < 0xc0) {
			d = rte_pktmbuf_copy(m, fz_pool, 0, UINT32_MAX);
			wire_push(w, m, due);
			if (d != NULL)
				wire_push(w, d, due + (a & 0x1f) * MS);
		} else if (a < 0xe0) {
			wire_push(w, m, due + ((a & 0x1f) + 1) * MS);
		} else {
			uint32_t pos = fz_u16(&P.in);

			flip(m, pos, fz_u8(&P.in));
			wire_push(w, m, due);
		}
	}
}

/* Deliver what is due, in order of sending. */
static void
wire_deliver(struct wire *w, struct fx *dst)
{
	struct rte_mbuf *burst[32];
	unsigned int i, k = 0;
	uint16_t n = 0;

	for (i = 0; i < w->n; i++) {
		if (w->due[i] > P.now) {
			w->m[k] = w->m[i];
			w->due[k++] = w->due[i];
			continue;
		}
		burst[n++] = w->m[i];
		if (n == RTE_DIM(burst)) {
			stk_input_burst(dst->stk, FX_PORT, burst, n);
			n = 0;
		}
	}
	w->n = k;
	if (n != 0)
		stk_input_burst(dst->stk, FX_PORT, burst, n);
}

static uint64_t
wire_next(const struct wire *w)
{
	uint64_t t = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < w->n; i++)
		t = RTE_MIN(t, w->due[i]);
	return t;
}

static unsigned int
wire_segs(const struct wire *w)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->n; i++)
		n += w->m[i]->nb_segs;
	return n;
}

static void
wire_flush(struct wire *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		rte_pktmbuf_free(w->m[i]);
	w->n = 0;
}

/* ---- the echo on B, with a check of what it receives ---- */

static int
srv_accept(void *arg, struct stk_tcp_conn *c, void **conn_arg)
{
	FZ_CHECK(P.srv == NULL, "a second connection accepted");
	P.srv = c;
	P.srv_rcvd = 0;
	return P.echo->tcp.on_accept(arg, c, conn_arg);
}

static uint32_t
srv_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *s;
	uint64_t bad;
	uint8_t got;

	if (m != NULL) {
		FZ_CHECK(c == P.srv, "data on a connection not accepted");
		FZ_CHECK(tp_stream_ok(m, P.srv_rcvd, &bad, &got),
			 "byte %lu reached the echo as %#x, sent as %#x", (unsigned long)bad, got,
			 tp_byte_at(bad));
		for (s = m; s != NULL; s = s->next)
			P.srv_rcvd += s->data_len;
	}
	return P.echo->tcp.on_data(arg, c, m, len);
}

static void
srv_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	P.echo->tcp.on_sent(arg, c, space);
}

static void
srv_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	if (c == P.srv)
		P.srv = NULL;
	P.echo->tcp.on_close(arg, c, why);
}

static const struct stk_tcp_ops srv_ops = {
	.on_accept = srv_accept,
	.on_data = srv_data,
	.on_sent = srv_sent,
	.on_close = srv_close,
};

/* ---- the pair ---- */

static struct fx *
side_new(const char *name, struct wire *out, const char *ip, const struct rte_ether_addr *mac,
	 const char *peer_ip, const struct rte_ether_addr *peer_mac, uint8_t conf)
{
	static const uint32_t bufs[4] = {65536, 16384, 4096, 262144};
	struct fx *fx = fx_new(fz_pool);
	struct stk_tcp_conf *tc = &fx->conf.tcp;

	tp_side_conf(fx, name, wire_tx, out, ip, mac, peer_ip, peer_mac);
	tc->max_conns = 8;
	tc->time_wait_ms = 1000;
	tc->r2_ms = 10000;
	tc->keepalive = true; /* every connection has a timer until it ends */
	tc->keepalive_idle_s = 2;
	tc->keepalive_intvl_s = 1;
	tc->keepalive_probes = 3;
	tc->no_timestamps = conf & 0x01;
	tc->no_sack = conf & 0x02;
	tc->no_wscale = conf & 0x04;
	tc->nodelay = conf & 0x08;
	tc->sndbuf = tc->rcvbuf = bufs[(conf >> 4) & 3];
	FZ_CHECK(fx_start(fx) == 0, "stack creation failed");
	return fx;
}

static void
set_time(void)
{
	P.a->now = P.b->now = P.now;
	stk_set_time(P.a->stk, P.now);
	stk_set_time(P.b->stk, P.now);
}

/* The earliest timer deadline of @ctx; UINT64_MAX if none. */
static uint64_t
timer_next(const struct stk_ctx *ctx)
{
	const struct stk_tcp *tcp = ctx->tcp;
	uint64_t t = UINT64_MAX;
	uint32_t i, k;

	for (i = 0; i < tcp->n_slots; i++) {
		const struct stk_tcp_conn *c = &tcp->conns[i];

		if (c->ctx == NULL)
			continue;
		for (k = 0; k < TT_N; k++)
			if (c->deadline[k] != 0)
				t = RTE_MIN(t, c->deadline[k]);
		if (c->tmr.pprev != NULL)
			t = RTE_MIN(t, c->tmr.tick * tcp->wheel_tick_ticks);
	}
	return t;
}

/* Connections of @ctx that are not over (TIME-WAIT is over). */
static uint32_t
open_conns(const struct stk_ctx *ctx)
{
	uint32_t n[STK_TCP_NSTATES], s, sum = 0;

	stk_tcp_state_counts(ctx, n);
	for (s = STK_TCP_SYN_SENT; s < STK_TCP_NSTATES; s++)
		if (s != STK_TCP_TIME_WAIT)
			sum += n[s];
	return sum;
}

/* mbufs the echo service keeps waiting for send-queue room */
static unsigned int
echo_held(void)
{
	const struct stk_tcp *tcp = P.b->stk->tcp;
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < tcp->n_slots; i++) {
		const struct stk_tcp_conn *c = &tcp->conns[i];

		if (c->ctx != NULL && (c->flags & CF_ATTACHED) && c->arg != NULL)
			n += ((const struct rte_mbuf *)c->arg)->nb_segs;
	}
	return n;
}

static void
dump(const char *who, const struct stk_ctx *ctx)
{
	const struct stk_tcp *tcp = ctx->tcp;
	uint64_t d[STK_DROP_MAX];
	uint32_t i;

	for (i = 0; i < tcp->n_slots; i++) {
		const struct stk_tcp_conn *c = &tcp->conns[i];

		if (c->ctx == NULL)
			continue;
		fprintf(stderr,
			"  %s: %s flags %#x una %u nxt %u max %u wnd %u rcv_nxt %u adv %u sq %u "
			"ooo %u deadlines %lu %lu %lu %lu on_wheel %d\n",
			who, stk_tcp_state_name(c->state), c->flags, c->snd_una - c->iss,
			c->snd_nxt - c->iss, c->snd_max - c->iss, c->snd_wnd, c->rcv_nxt - c->irs,
			c->rcv_adv - c->irs, c->sq_bytes, c->ooo_bytes,
			(unsigned long)c->deadline[0], (unsigned long)c->deadline[1],
			(unsigned long)c->deadline[2], (unsigned long)c->deadline[3],
			c->tmr.pprev != NULL);
	}
	stk_stats_read(ctx, NULL, d);
	fprintf(stderr, "  %s drops:", who);
	for (i = 0; i < STK_DROP_MAX; i++)
		if (d[i] != 0)
			fprintf(stderr, " %s=%lu", stk_drop_name(i), (unsigned long)d[i]);
	fputc('\n', stderr);
}

static void
check(void)
{
	unsigned int expect;

	/* the client records a wrong byte rather than aborting in a callback */
	FZ_CHECK(P.cl.fault[0] == '\0', "client: %s", P.cl.fault);
	fz_tcp_check(P.a->stk, "client stack");
	fz_tcp_check(P.b->stk, "server stack");
	expect = P.a->baseline + fz_held(P.a->stk) + fz_held(P.b->stk) + wire_segs(&P.ab) +
		 wire_segs(&P.ba) + echo_held();
	FZ_CHECK(fx_in_use(fz_pool) == expect,
		 "%u mbufs in use, expected %u (stacks %u + %u, wire %u + %u, echo %u)",
		 fx_in_use(fz_pool), expect, fz_held(P.a->stk), fz_held(P.b->stk), wire_segs(&P.ab),
		 wire_segs(&P.ba), echo_held());
}

static void
run(void)
{
	unsigned int iter;

	for (iter = 0; iter < MAX_ITER; iter++) {
		uint64_t next;

		wire_deliver(&P.ab, P.b);
		wire_deliver(&P.ba, P.a);
		check();
		if (P.cl.closed && P.ab.n == 0 && P.ba.n == 0 && open_conns(P.b->stk) == 0)
			return;
		next = RTE_MIN(wire_next(&P.ab), wire_next(&P.ba));
		next = RTE_MIN(next, RTE_MIN(timer_next(P.a->stk), timer_next(P.b->stk)));
		if (next == UINT64_MAX)
			return; /* nothing will ever happen again */
		next = RTE_MAX((next + MS - 1) / MS * MS, P.now + MS);
		if (P.clean_at != 0 && next - P.clean_at > CLEAN_LIMIT_MS * MS)
			return;
		P.now = next;
		set_time();
		stk_timer_run(P.a->stk);
		stk_timer_run(P.b->stk);
	}
	FZ_CHECK(false, "no end after %u steps (%lu virtual ms)", iter,
		 (unsigned long)(P.now / MS));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_client *cl = &P.cl;
	unsigned int baseline;
	uint8_t conf;

	memset(&P, 0, sizeof(P));
	P.in.p = data;
	P.in.n = size;
	conf = fz_u8(&P.in);
	/* small transfers run fast and leave the input to the wire */
	cl->total = (conf & 0x80) ? 4 * ((uint64_t)fz_u16(&P.in) + 1) : fz_u16(&P.in) % 8192 + 1;
	fz_reseed();
	P.echo = sl_service_find("tcp-echo");
	FZ_CHECK(P.echo != NULL && P.echo->lcore_init == NULL, "tcp-echo service");
	P.a = side_new("fz_pair_a", &P.ab, FX_IP_US, &fx_mac_us, FX_IP_PEER, &fx_mac_peer, conf);
	P.b = side_new("fz_pair_b", &P.ba, FX_IP_PEER, &fx_mac_peer, FX_IP_US, &fx_mac_us, conf);
	baseline = P.a->baseline;
	P.now = P.a->now;
	set_time();
	FZ_CHECK(stk_tcp_listen(P.b->stk, ECHO_PORT, &srv_ops, NULL) == 0, "listen");
	FZ_CHECK(stk_tcp_connect(P.a->stk, fx_ip(FX_IP_PEER), ECHO_PORT, 0, &tp_client_ops, cl,
				 &cl->c) == 0,
		 "connect");
	run();
	FZ_CHECK(cl->fault[0] == '\0', "client: %s", cl->fault);
	if (P.clean_at == 0)
		P.clean_at = P.now;

	if (!cl->closed || open_conns(P.b->stk) != 0) {
		fprintf(stderr, "pair at %lu ms, %lu bytes sent, %lu back:\n",
			(unsigned long)(P.now / MS), (unsigned long)cl->sent,
			(unsigned long)cl->rcvd);
		dump("client", P.a->stk);
		dump("server", P.b->stk);
	}
	FZ_CHECK(cl->closed, "client still open %lu virtual ms after the link was clean",
		 (unsigned long)((P.now - P.clean_at) / MS));
	FZ_CHECK(open_conns(P.b->stk) == 0, "server connection still open");
	switch (cl->reason) {
	case STK_TCP_CLOSE_FIN:
		FZ_CHECK(cl->eof && cl->rcvd == cl->total, "closed with FIN after %lu of %lu bytes",
			 (unsigned long)cl->rcvd, (unsigned long)cl->total);
		break;
	case STK_TCP_CLOSE_RST:
	case STK_TCP_CLOSE_TIMEOUT:
		break;
	default:
		FZ_CHECK(false, "client closed for reason %d", cl->reason);
	}

	if (verbose)
		fprintf(stderr,
			"pair: %lu bytes, client closed (%d) at %lu ms with %lu back; wire %lu/%lu "
			"packets; link clean from %lu ms\n",
			(unsigned long)cl->total, cl->reason, (unsigned long)(P.now / MS),
			(unsigned long)cl->rcvd, (unsigned long)P.ab.seen, (unsigned long)P.ba.seen,
			(unsigned long)(P.clean_at / MS));
	stk_tcp_abort_all(P.b->stk);
	stk_tcp_abort_all(P.a->stk);
	wire_flush(&P.ab);
	wire_flush(&P.ba);
	stk_free(P.a->stk);
	stk_free(P.b->stk);
	wire_flush(&P.ab);
	wire_flush(&P.ba);
	free(P.a);
	free(P.b);
	FZ_CHECK(fx_in_use(fz_pool) == baseline, "%u mbufs in use at the end, baseline %u",
		 fx_in_use(fz_pool), baseline);
	return 0;
}

/* ---- seeds ---- */

static void
write_seeds(const char *dir)
{
	uint8_t b[512];
	size_t n, i;

	/* clean transfers of 1, 1000 and 65536 bytes */
	b[0] = 0;
	b[1] = 0;
	b[2] = 0;
	fz_write_seed(dir, "clean_1", b, 3);
	b[1] = 1000 >> 8;
	b[2] = 999 & 0xff;
	fz_write_seed(dir, "clean_1000", b, 3);
	b[0] = 0x80;
	b[1] = 0x3f;
	b[2] = 0xff;
	fz_write_seed(dir, "clean_64k", b, 3);
	/* 8000 bytes with every kind of fate early on */
	b[0] = 0x10;
	b[1] = 7999 >> 8;
	b[2] = 7999 & 0xff;
	n = 3;
	for (i = 0; i < 60; i++) {
		switch (i % 10) {
		case 3:
			b[n++] = 0x80; /* drop */
			break;
		case 5:
			b[n++] = 0xa3; /* duplicate, 3 ms later */
			break;
		case 7:
			b[n++] = 0xc4; /* 5 ms late */
			break;
		case 9:
			b[n++] = 0xe0; /* flip */
			b[n++] = 0;
			b[n++] = (uint8_t)(40 + i);
			b[n++] = 0x10;
			break;
		default:
			b[n++] = 0;
		}
	}
	fz_write_seed(dir, "mixed_8k", b, n);
	/* the SYN lost, then its retransmission; small buffers, no options */
	b[0] = 0x27;
	b[1] = 0x10;
	b[2] = 0x00;
	b[3] = 0x80;
	fz_write_seed(dir, "syn_lost", b, 4);
	/* a flipped source MAC in the SYN: the server answers the wrong host */
	b[0] = 0;
	b[1] = 0x01;
	b[2] = 0x00;
	b[3] = 0xe0;
	b[4] = 0;
	b[5] = 11;
	b[6] = 0x01;
	fz_write_seed(dir, "syn_bad_mac", b, 7);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fz_seed_dir();

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fz_init("fuzz_tcp_pair");
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (dir != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
