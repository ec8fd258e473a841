/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP output: what to send now (RFC 9293 3.8.6 windows, Nagle and SWS
 * avoidance, RFC 5681/6675 congestion and loss recovery), and building the
 * segments (options of RFC 9293 3.2, RFC 7323 and RFC 2018).
 *
 * The send queue keeps the service's mbufs as they were given (zero copy
 * into the stack). A segment is a header mbuf (Ethernet, IPv4, TCP and
 * options) followed by its payload: on ports that transmit chains
 * (stk_if.tx_max_segs >= 2), indirect mbufs referencing the queued bytes,
 * cut at any offset and across queue mbufs (zero copy out of it too; the
 * queue keeps its references for retransmission). A payload of at most
 * tcp.tx_copy_max bytes, one that would need a longer chain, or one sent
 * when no mbuf is left to reference it, is copied behind the headers.
 */
#include <string.h>

#include "tcp_priv.h"

#define TCP_OPTLEN_MSS 4
#define TCP_OPTLEN_TS 10

uint32_t
tcp_flight_size(const struct stk_tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

/* RFC 9293 3.7.1: the MSS we announce comes from our MTU (MMS_R). */
uint16_t
tcp_adv_mss(const struct stk_tcp_conn *c)
{
	return tcp_if_mss(&c->ctx->ifs[c->ifx]);
}

/* RFC 2018 4: the first block holds the most recently received segment,
 * the others follow (here in sequence order). */
static unsigned int
tcp_sack_blocks(const struct stk_tcp_conn *c, struct tcp_sack_blk *blk, unsigned int max)
{
	struct tcp_sack_blk all[TCP_SACK_RX_MAX * 4];
	unsigned int n = 0, i, first = 0, out = 0;
	struct rte_mbuf *q;

	for (q = c->ooo; q != NULL; q = tcp_mb(q)->next) {
		uint32_t s = tcp_mb(q)->seq, e = s + rte_pktmbuf_pkt_len(q);

		if (n > 0 && all[n - 1].end == s) {
			all[n - 1].end = e;
			continue;
		}
		if (n == RTE_DIM(all))
			break;
		all[n].start = s;
		all[n].end = e;
		n++;
	}
	for (i = 0; i < n; i++) {
		if (seq_ge(c->ooo_last, all[i].start) && seq_lt(c->ooo_last, all[i].end)) {
			first = i;
			break;
		}
	}
	if (n == 0 || max == 0)
		return 0;
	blk[out++] = all[first];
	for (i = 0; i < n && out < max; i++)
		if (i != first)
			blk[out++] = all[i];
	return out;
}

static uint8_t *
tcp_put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
	return p + 4;
}

/* Options for a segment with @flags; returns their length (a multiple of
 * 4, padded with zeros, RFC 9293 MUST-69). */
static uint16_t
tcp_build_options(struct stk_tcp_conn *c, uint8_t flags, uint8_t *o)
{
	struct stk_tcp *tcp = c->ctx->tcp;
	bool active = c->state == STK_TCP_SYN_SENT;
	uint8_t *p = o;

	if (flags & TH_SYN) {
		/* active: offer what is configured; passive: answer what
		 * the peer offered (RFC 7323 2.2, 3.2; RFC 2018 2) */
		uint16_t mss = tcp_adv_mss(c);
		bool ts = active ? tcp->ts : (c->flags & CF_TS) != 0;
		bool sack = active ? tcp->sack : (c->flags & CF_SACK) != 0;
		bool ws = active ? tcp->ws : (c->flags & CF_WS) != 0;

		*p++ = TCP_OPT_MSS;
		*p++ = TCP_OPTLEN_MSS;
		*p++ = (uint8_t)(mss >> 8);
		*p++ = (uint8_t)mss;
		if (sack && ts) {
			*p++ = TCP_OPT_SACK_PERM;
			*p++ = 2;
		} else if (sack) {
			*p++ = TCP_OPT_NOP;
			*p++ = TCP_OPT_NOP;
			*p++ = TCP_OPT_SACK_PERM;
			*p++ = 2;
		}
		if (ts) {
			*p++ = TCP_OPT_TS;
			*p++ = TCP_OPTLEN_TS;
			p = tcp_put32(p, tcp_ms_now(c->ctx) + c->ts_off);
			p = tcp_put32(p, active ? 0 : c->ts_recent);
		}
		if (ws) {
			*p++ = TCP_OPT_NOP;
			*p++ = TCP_OPT_WS;
			*p++ = 3;
			*p++ = active ? tcp->rcv_wscale : c->rcv_wscale;
		}
	} else {
		if ((c->flags & CF_TS) && !(flags & TH_RST)) {
			*p++ = TCP_OPT_NOP;
			*p++ = TCP_OPT_NOP;
			*p++ = TCP_OPT_TS;
			*p++ = TCP_OPTLEN_TS;
			p = tcp_put32(p, tcp_ms_now(c->ctx) + c->ts_off);
			p = tcp_put32(p, c->ts_recent);
		}
		if ((c->flags & CF_SACK) && c->ooo != NULL && !(flags & TH_RST)) {
			struct tcp_sack_blk blk[TCP_SACK_RX_MAX];
			unsigned int max = (unsigned int)(TCP_OPT_MAX - (p - o) - 4) / 8, n, i;

			n = tcp_sack_blocks(c, blk, RTE_MIN(max, (unsigned int)TCP_SACK_RX_MAX));
			if (n > 0) {
				*p++ = TCP_OPT_NOP;
				*p++ = TCP_OPT_NOP;
				*p++ = TCP_OPT_SACK;
				*p++ = (uint8_t)(2 + 8 * n);
				for (i = 0; i < n; i++) {
					p = tcp_put32(p, blk[i].start);
					p = tcp_put32(p, blk[i].end);
				}
			}
		}
	}
	while ((p - o) & 3)
		*p++ = TCP_OPT_EOL;
	return (uint16_t)(p - o);
}

/* The window field to send, moving RCV.ADV (RFC 9293 3.8.6.2.2 receiver
 * SWS avoidance; the right edge never moves left, SHLD-14). */
static uint16_t
tcp_rcv_window(struct stk_tcp_conn *c, bool syn)
{
	struct stk_tcp *tcp = c->ctx->tcp;
	uint32_t space = tcp_rcv_space(c), right, wnd, field;
	uint8_t s = c->rcv_wscale;

	if (syn) {
		/* RFC 7323 2.2: the window of a SYN is never scaled */
		field = RTE_MIN(space, (uint32_t)UINT16_MAX);
		if (c->state == STK_TCP_SYN_RECEIVED)
			c->rcv_adv = c->rcv_nxt + field;
		return (uint16_t)field;
	}
	space = RTE_MIN(space, (uint32_t)UINT16_MAX << s);
	right = c->rcv_nxt + space;
	if (seq_le(right, c->rcv_adv) ||
	    right - c->rcv_adv < RTE_MIN(tcp->rcvbuf / 2, (uint32_t)c->rcv_mss))
		right = seq_max(c->rcv_adv, c->rcv_nxt);
	wnd = right - c->rcv_nxt;
	/* round up: rounding down could move the right edge left */
	field = RTE_MIN((wnd + (1u << s) - 1) >> s, (uint32_t)UINT16_MAX);
	if (seq_gt(c->rcv_nxt + (field << s), c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + (field << s);
	return (uint16_t)field;
}

static void
tcp_ip_tcp_hdr(struct rte_ipv4_hdr *ip, uint32_t src, uint32_t dst, uint16_t l4_len, uint8_t ttl,
	       uint8_t tos)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(STK_IP4_HLEN + l4_len));
	/* RFC 6864 4.1: the ID of an atomic datagram has no meaning */
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = src;
	ip->dst_addr = dst;
}

static void
tcp_out_cksum(const struct stk_if *ifx, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	      struct rte_tcp_hdr *th)
{
	stk_ip4_out_cksum(ifx, m, ip);
	m->l4_len = (uint8_t)((th->data_off >> 4) * 4);
	th->cksum = 0;
	/* RFC 9293 MUST-2; over a chain with the stack's own sum (DPDK
	 * 22.11's mbuf variant is wrong for pieces at odd offsets, cksum.c) */
	if (likely(m->next == NULL))
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	else
		th->cksum = (uint16_t)~stk_ip4_l4_sum(m, ip, (uint32_t)m->l2_len + m->l3_len);
}

static void
tcp_route_out(struct stk_tcp_conn *c, struct rte_mbuf *m)
{
	struct stk_ctx *ctx = c->ctx;
	const struct stk_if *ifx = &ctx->ifs[c->ifx];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eth->src_addr = ifx->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ctx->stats.tcp_tx++;
	/* passive opens answer the MAC their SYN came from (the same
	 * symmetric-path reasoning as stk_ip4_reply_prep()); active opens
	 * resolve the next hop */
	if ((c->flags & CF_MAC) || stk_arp_lookup(ctx, c->nexthop, &eth->dst_addr) == 0) {
		if (c->flags & CF_MAC)
			eth->dst_addr = c->peer_mac;
		stk_tx(ctx, ifx->idx, m);
		return;
	}
	stk_arp_output(ctx, ifx, c->nexthop, m);
}

/* RFC 9293 3.8.5 (MUST-30, MUST-31, MUST-62): a segment sent before
 * SND.UP carries URG and the offset from its sequence number to the byte
 * after the urgent data. Farther than 16 bits reach, 0xffff: as far as
 * the field can say (urgent data of any length, MUST-31; Linux does the
 * same), and later segments carry the rest. Once SND.UNA reaches SND.UP,
 * urgent mode is over. */
static void
tcp_urg_fill(struct stk_tcp_conn *c, struct rte_tcp_hdr *th, uint32_t seq)
{
	th->tcp_urp = 0;
	if (likely(!(c->flags & CF_SND_UP)))
		return;
	if (seq_le(c->snd_up, c->snd_una)) {
		c->flags &= ~CF_SND_UP;
		return;
	}
	if ((th->tcp_flags & (TH_SYN | TH_RST)) || !seq_lt(seq, c->snd_up))
		return;
	th->tcp_flags |= TH_URG;
	th->tcp_urp = rte_cpu_to_be_16((uint16_t)u32_min(c->snd_up - seq, UINT16_MAX));
}

/* Build and send one segment: @len bytes of queued data from @seq. */
static int
tcp_xmit(struct stk_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct stk_ctx *ctx = c->ctx;
	const struct stk_if *ifx = &ctx->ifs[c->ifx];
	uint8_t opt[TCP_OPT_MAX];
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m, *pay = NULL;
	uint16_t optlen, thl;
	uint8_t *p;

	m = rte_pktmbuf_alloc(ctx->mp);
	if (unlikely(m == NULL)) {
		ctx->drops[STK_DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	/* zero copy where the port takes chains and the payload is worth it;
	 * otherwise (or without mbufs to reference it) a copy */
	if (len > ctx->tcp->tx_copy_max && ifx->tx_max_segs >= 2)
		tcp_sq_ref(c, seq, len, ifx->tx_max_segs - 1u, &pay);
	optlen = tcp_build_options(c, flags, opt);
	thl = TCP_HLEN + optlen;
	p = (uint8_t *)rte_pktmbuf_append(
		m, (uint16_t)(STK_ETH_HLEN + STK_IP4_HLEN + thl + (pay != NULL ? 0 : len)));
	if (unlikely(p == NULL)) {
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(pay);
		ctx->drops[STK_DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	ip = (struct rte_ipv4_hdr *)(p + STK_ETH_HLEN);
	th = (struct rte_tcp_hdr *)(ip + 1);
	tcp_ip_tcp_hdr(ip, c->key.lip, c->key.rip, (uint16_t)(thl + len), ctx->ttl, c->tos);
	th->src_port = c->key.lport;
	th->dst_port = c->key.rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->data_off = (uint8_t)((thl / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(tcp_rcv_window(c, flags & TH_SYN));
	tcp_urg_fill(c, th, seq);
	memcpy(th + 1, opt, optlen);
	if (pay != NULL) {
		m->next = pay;
		m->nb_segs = (uint16_t)(1 + pay->nb_segs);
		m->pkt_len += len;
		ctx->stats.tcp_tx_by_ref++;
	} else if (len > 0) {
		tcp_sq_copy(c, seq, len, (uint8_t *)(th + 1) + optlen);
	}
	if (flags & TH_ACK) {
		th->recv_ack = rte_cpu_to_be_32(c->rcv_nxt);
		c->last_ack_sent = c->rcv_nxt;
		c->rcv_unacked = 0;
		if (c->flags & CF_DELACK) {
			c->flags &= ~CF_DELACK;
			tcp_timer_clear(c, TT_DELACK);
		}
		c->flags &= ~CF_ACK_NOW;
	} else {
		th->recv_ack = 0;
	}
	m->ol_flags &= STK_OL_KEEP;
	tcp_out_cksum(ifx, m, ip, th);
	ctx->stats.tcp_tx_bytes += len;
	tcp_route_out(c, m);
	return 0;
}

int
tcp_send_syn(struct stk_tcp_conn *c)
{
	uint8_t flags = c->state == STK_TCP_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;
	int ret;

	ret = tcp_xmit(c, c->iss, 0, flags);
	c->snd_nxt = c->iss + 1;
	c->snd_max = seq_max(c->snd_max, c->snd_nxt);
	if (c->backoff == 0)
		c->rtt_start = c->ctx->now;
	if (c->deadline[TT_RTX] == 0)
		tcp_rtx_arm(c);
	return ret;
}

/* A pure ACK carries the highest sequence sent (SND.NXT before a
 * timeout rewound it for go-back-N): a lower one would make the peer
 * ignore the window it carries (SND.WL1 rule, RFC 9293 3.10.7.4). */
void
tcp_send_ack(struct stk_tcp_conn *c)
{
	tcp_xmit(c, c->snd_max, 0, TH_ACK);
}

/* RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> (the highest one, as for
 * ACKs: what the peer most likely expects, RFC 5961 3.2) */
void
tcp_send_rst(struct stk_tcp_conn *c)
{
	if (c->state == STK_TCP_SYN_SENT || c->state == STK_TCP_CLOSED)
		return;
	c->ctx->stats.tcp_rst_sent++;
	tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
}

/* Keepalive (RFC 9293 3.8.4) and zero-window probe: SEG.SEQ = SND.UNA - 1
 * and no data, which the peer must answer with an ACK carrying its
 * current window. Nothing enters the retransmission queue, so a window
 * that stays closed never times the connection out (MUST-37). */
void
tcp_send_probe(struct stk_tcp_conn *c)
{
	tcp_xmit(c, c->snd_una - 1, 0, TH_ACK);
}

/* RFC 9293 3.10.7.1 and 3.10.7.2: the answer to a segment no connection
 * wants. If it had ACK: <SEQ=SEG.ACK><CTL=RST>; else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
void
tcp_reply_rst(struct stk_ctx *ctx, const struct stk_if *ifx, const struct rte_mbuf *m,
	      const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, uint32_t seg_len)
{
	const struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *oip;
	struct rte_tcp_hdr *oth;
	struct rte_mbuf *r;

	r = rte_pktmbuf_alloc(ctx->mp);
	if (unlikely(r == NULL)) {
		ctx->drops[STK_DROP_NO_MBUF]++;
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(r, TCP_HDRS);
	if (unlikely(eth == NULL)) {
		rte_pktmbuf_free(r);
		return;
	}
	eth->dst_addr = ieth->src_addr;
	eth->src_addr = ifx->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	oip = (struct rte_ipv4_hdr *)(eth + 1);
	oth = (struct rte_tcp_hdr *)(oip + 1);
	tcp_ip_tcp_hdr(oip, ip->dst_addr, ip->src_addr, TCP_HLEN, ctx->ttl, 0);
	oth->src_port = th->dst_port;
	oth->dst_port = th->src_port;
	if (th->tcp_flags & TH_ACK) {
		oth->sent_seq = th->recv_ack;
		oth->recv_ack = 0;
		oth->tcp_flags = TH_RST;
	} else {
		oth->sent_seq = 0;
		oth->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + seg_len);
		oth->tcp_flags = TH_RST | TH_ACK;
	}
	oth->data_off = (TCP_HLEN / 4) << 4;
	oth->rx_win = 0;
	oth->tcp_urp = 0;
	tcp_out_cksum(ifx, r, oip, oth);
	ctx->stats.tcp_tx++;
	ctx->stats.tcp_rst_sent++;
	stk_tx(ctx, ifx->idx, r);
}

/* A SYN-ACK with no connection behind it (SYN cookies): ISS @iss, our MSS
 * option, window @wnd unscaled. */
void
tcp_reply_synack(struct stk_ctx *ctx, const struct stk_if *ifx, const struct rte_mbuf *m,
		 const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, uint32_t iss,
		 uint16_t mss, uint16_t wnd)
{
	const struct rte_ether_hdr *ieth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *oip;
	struct rte_tcp_hdr *oth;
	struct rte_mbuf *r;
	uint8_t *o;

	r = rte_pktmbuf_alloc(ctx->mp);
	if (unlikely(r == NULL)) {
		ctx->drops[STK_DROP_NO_MBUF]++;
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(r, TCP_HDRS + TCP_OPTLEN_MSS);
	if (unlikely(eth == NULL)) {
		rte_pktmbuf_free(r);
		return;
	}
	eth->dst_addr = ieth->src_addr;
	eth->src_addr = ifx->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	oip = (struct rte_ipv4_hdr *)(eth + 1);
	oth = (struct rte_tcp_hdr *)(oip + 1);
	tcp_ip_tcp_hdr(oip, ip->dst_addr, ip->src_addr, TCP_HLEN + TCP_OPTLEN_MSS, ctx->ttl,
		       0);
	oth->src_port = th->dst_port;
	oth->dst_port = th->src_port;
	oth->sent_seq = rte_cpu_to_be_32(iss);
	oth->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + 1);
	oth->tcp_flags = TH_SYN | TH_ACK;
	oth->data_off = ((TCP_HLEN + TCP_OPTLEN_MSS) / 4) << 4;
	oth->rx_win = rte_cpu_to_be_16(wnd);
	oth->tcp_urp = 0;
	o = (uint8_t *)(oth + 1);
	o[0] = TCP_OPT_MSS;
	o[1] = TCP_OPTLEN_MSS;
	o[2] = (uint8_t)(mss >> 8);
	o[3] = (uint8_t)mss;
	tcp_out_cksum(ifx, r, oip, oth);
	ctx->stats.tcp_tx++;
	ctx->stats.tcp_syncookies_sent++;
	stk_tx(ctx, ifx->idx, r);
}

static uint32_t
tcp_sq_end(const struct stk_tcp_conn *c)
{
	return c->sq_seq + c->sq_bytes;
}

/* Retransmit @len bytes from @seq (with the FIN if it follows them and
 * was sent before); SND.NXT does not move. */
int
tcp_rexmit(struct stk_tcp_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t end = tcp_sq_end(c);
	uint8_t flags = TH_ACK;

	if (seq_gt(seq + len, end))
		len = seq_lt(seq, end) ? end - seq : 0;
	if ((c->flags & CF_FIN_QUEUED) && seq + len == end && seq_gt(c->snd_max, end))
		flags |= TH_FIN;
	if (len == 0 && !(flags & TH_FIN))
		return 0;
	if (len > 0)
		flags |= TH_PSH;
	c->flags &= ~CF_RTT; /* Karn: never time a retransmission */
	c->ctx->stats.tcp_retransmits++;
	return tcp_xmit(c, seq, len, flags);
}

/* ---- RFC 6675 (simplified): the SACK scoreboard during recovery ---- */

static uint32_t
tcp_sacked_below(const struct stk_tcp_conn *c, uint32_t lim)
{
	uint32_t n = 0;
	unsigned int i;

	for (i = 0; i < c->n_sack; i++) {
		const struct tcp_sack_blk *b = &c->sack[i];

		if (!seq_lt(b->start, lim))
			break;
		n += seq_min(b->end, lim) - b->start;
	}
	return n;
}

/* Bytes in [lo, hi) no SACK block covers. */
static uint32_t
tcp_unsacked(const struct stk_tcp_conn *c, uint32_t lo, uint32_t hi)
{
	if (!seq_lt(lo, hi))
		return 0;
	return (hi - lo) - (tcp_sacked_below(c, hi) - tcp_sacked_below(c, lo));
}

/* pipe (RFC 6675 4): bytes in flight = outstanding - SACKed - lost
 * (every hole below the highest SACKed byte counts as lost, i.e. IsLost()
 * with one segment's evidence) + holes already retransmitted, less those
 * whose retransmission was found lost and not yet sent again. */
static uint32_t
tcp_pipe(const struct stk_tcp_conn *c)
{
	uint32_t high_sack, sacked, lost, rexmitted, lim;

	if (c->n_sack == 0)
		return c->snd_nxt - c->snd_una;
	high_sack = c->sack[c->n_sack - 1].end;
	sacked = tcp_sacked_below(c, high_sack);
	lost = high_sack - c->snd_una - sacked;
	lim = seq_min(seq_max(c->high_rxt, c->snd_una), high_sack);
	rexmitted = tcp_unsacked(c, c->snd_una, lim);
	rexmitted -= RTE_MIN(rexmitted, tcp_unsacked(c, seq_max(c->lost_lo, c->snd_una),
						     seq_min(c->lost_hi, lim)));
	return tcp_flight_size(c) - sacked - lost + rexmitted;
}

/* The first byte of [s, lim) no SACK block covers, and the bytes after it
 * up to the next block, @lim or one MSS. */
static bool
tcp_hole_in(const struct stk_tcp_conn *c, uint32_t s, uint32_t lim, uint32_t *seq, uint32_t *len)
{
	uint32_t e = lim;
	unsigned int i;

	for (i = 0; i < c->n_sack; i++) {
		const struct tcp_sack_blk *b = &c->sack[i];

		if (seq_le(b->end, s))
			continue;
		if (seq_lt(s, b->start)) {
			e = seq_min(e, b->start);
			break;
		}
		s = b->end;
	}
	if (!seq_lt(s, e))
		return false;
	*seq = s;
	*len = RTE_MIN(e - s, (uint32_t)c->mss);
	return true;
}

/* RFC 6675 NextSeg() rule 1: the first byte not SACKed, not yet
 * retransmitted, below the highest SACKed byte; before it, the holes whose
 * retransmission was lost (tcp_sack_lost_rexmit()). */
static bool
tcp_next_hole(const struct stk_tcp_conn *c, uint32_t *seq, uint32_t *len)
{
	if (c->n_sack == 0)
		return false;
	if (seq_lt(c->snd_una, c->lost_hi) &&
	    tcp_hole_in(c, seq_max(c->lost_lo, c->snd_una), c->lost_hi, seq, len))
		return true;
	return tcp_hole_in(c, seq_max(c->high_rxt, c->snd_una), c->sack[c->n_sack - 1].end, seq,
			   len);
}

/* [seq, seq + len) was retransmitted in SACK recovery: move the pointer
 * it came from, and remember SND.MAX at this moment (RFC 8985 RACK's
 * idea, ordered by sequence instead of time: data from there on is sent
 * after this retransmission, and a SACK for it says whether this one
 * arrived). Retransmissions sent with the same SND.MAX share a mark; when
 * the marks run out the newest absorbs the next one, which only delays
 * the verdict on it. */
void
tcp_rxt_sent(struct stk_tcp_conn *c, uint32_t seq, uint32_t len)
{
	struct tcp_rxt_mark *m = c->n_rxt > 0 ? &c->rxt[c->n_rxt - 1] : NULL;

	if (seq_ge(seq, c->lost_lo) && seq_lt(seq, c->lost_hi))
		c->lost_lo = seq + len;
	else
		c->high_rxt = seq_max(c->high_rxt, seq + len);
	if (m != NULL && (m->fence == c->snd_max || c->n_rxt == TCP_RXT_MARKS)) {
		m->start = seq_min(m->start, seq);
		m->end = seq_max(m->end, seq + len);
		m->fence = c->snd_max;
		return;
	}
	m = &c->rxt[c->n_rxt++];
	m->start = seq;
	m->end = seq + len;
	m->fence = c->snd_max;
}

/* A SACK reached @high (one past its highest byte). Every retransmission
 * sent before data at or above its mark's fence went out, and if its bytes
 * are still neither acknowledged nor SACKed, it was lost (the network
 * reorders little): its holes become eligible again at once instead of
 * after the RTO. The congestion response stays the one of the episode
 * (RFC 6675 5, RFC 6582: once per recovery). */
void
tcp_sack_lost_rexmit(struct stk_tcp_conn *c, uint32_t high)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->n_rxt; i++) {
		const struct tcp_rxt_mark *m = &c->rxt[i];
		uint32_t s = seq_max(m->start, c->snd_una), seq, len;

		if (seq_le(m->end, c->snd_una))
			continue; /* all acknowledged */
		if (!seq_gt(high, m->fence)) {
			c->rxt[n++] = *m; /* no verdict yet */
			continue;
		}
		if (!tcp_hole_in(c, s, m->end, &seq, &len))
			continue; /* all SACKed: it arrived */
		if (seq_lt(c->lost_lo, c->lost_hi) && seq_lt(c->snd_una, c->lost_hi)) {
			c->lost_lo = seq_min(c->lost_lo, seq);
			c->lost_hi = seq_max(c->lost_hi, m->end);
		} else {
			c->lost_lo = seq;
			c->lost_hi = m->end;
		}
		/* one count per segment of it still missing */
		do {
			c->ctx->stats.tcp_lost_retransmits++;
			s = seq + len;
		} while (tcp_hole_in(c, s, m->end, &seq, &len));
	}
	c->n_rxt = (uint8_t)n;
}

/* Room the congestion window leaves for one more segment. */
static uint32_t
tcp_cwnd_room(const struct stk_tcp_conn *c)
{
	uint32_t used, cwnd = c->cwnd;

	if ((c->flags & (CF_RECOVERY | CF_SACK)) == (CF_RECOVERY | CF_SACK)) {
		used = tcp_pipe(c);
	} else {
		used = c->snd_nxt - c->snd_una;
		/* RFC 3042 limited transmit: each of the first two duplicate
		 * ACKs lets one new segment out, to bring more of them */
		if (!(c->flags & CF_RECOVERY) && c->dupacks < TCP_DUPTHRESH &&
		    c->snd_nxt == c->snd_max)
			cwnd += (uint32_t)c->dupacks * c->mss;
	}
	return cwnd > used ? cwnd - used : 0;
}

/* RFC 9293 3.7.4 (Nagle) and 3.8.6.2.1 (sender SWS avoidance): may a
 * segment of @len of the @pending queued bytes go now? Nagle in Minshall's
 * form: a short segment waits only while an earlier short one is
 * unacknowledged, so the tail of a response is not held for a delayed ACK
 * of its full-sized segments. */
static bool
tcp_send_ok(const struct stk_tcp_conn *c, uint32_t len, uint32_t pending, bool force)
{
	if (len == 0)
		return false;
	if (force || len >= c->mss || seq_lt(c->snd_nxt, c->snd_max))
		return true;
	if (len == pending &&
	    ((c->flags & (CF_NODELAY | CF_FIN_QUEUED)) || seq_le(c->snd_sml, c->snd_una)))
		return true;
	return c->max_snd_wnd > 0 && len >= c->max_snd_wnd / 2;
}

/* RFC 6675 4, NextSeg() rule 4: no hole left to retransmit, no new data
 * that may go, yet room in the window: once per recovery, the last
 * segment of outstanding data goes again (HighRxt stays), so a lost tail
 * that no SACK can reveal does not wait for the RTO. */
static bool
tcp_rescue(struct stk_tcp_conn *c)
{
	uint32_t end = seq_min(c->snd_max, tcp_sq_end(c)), lo, seq;

	if ((c->flags & CF_RESCUED) || tcp_cwnd_room(c) < c->mss)
		return false;
	lo = c->n_sack > 0 ? seq_max(c->sack[c->n_sack - 1].end, c->snd_una) : c->snd_una;
	if (!seq_lt(lo, c->snd_max) || seq_gt(lo, end))
		return false;
	seq = end - u32_min(end - lo, c->mss);
	if (tcp_rexmit(c, seq, end - seq) != 0)
		return false;
	c->flags |= CF_RESCUED;
	return true;
}

static bool
tcp_output_data(struct stk_tcp_conn *c, bool force)
{
	bool sent = false, rearm = false;

	if ((c->flags & (CF_RECOVERY | CF_SACK)) == (CF_RECOVERY | CF_SACK)) {
		uint32_t seq, len;

		while (tcp_cwnd_room(c) >= c->mss && tcp_next_hole(c, &seq, &len)) {
			if (tcp_rexmit(c, seq, len) != 0)
				return sent;
			tcp_rxt_sent(c, seq, len);
			sent = true;
		}
	}
	for (;;) {
		uint32_t end = tcp_sq_end(c), pending, wnd_room, len;
		bool fin_due;
		uint8_t flags = TH_ACK;

		pending = seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
		fin_due = (c->flags & CF_FIN_QUEUED) && c->snd_nxt == end;
		if (pending == 0 && !fin_due)
			break;
		wnd_room = seq_gt(c->snd_una + c->snd_wnd, c->snd_nxt)
				   ? c->snd_una + c->snd_wnd - c->snd_nxt
				   : 0;
		len = u32_min(u32_min(pending, c->mss), u32_min(wnd_room, tcp_cwnd_room(c)));
		if (force && len == 0 && pending > 0)
			len = u32_min(pending, u32_max(wnd_room, 1));
		if (pending > 0 && !tcp_send_ok(c, len, pending, force))
			break;
		if ((c->flags & CF_FIN_QUEUED) && c->snd_nxt + len == end)
			flags |= TH_FIN; /* a FIN needs no window */
		if (len > 0 && len == pending)
			flags |= TH_PSH; /* RFC 9293 MUST-61: PSH on the last segment */
		if (seq_lt(c->snd_nxt, c->snd_max)) {
			c->flags &= ~CF_RTT;
			c->ctx->stats.tcp_retransmits++;
		} else if (len > 0 && !(c->flags & (CF_RTT | CF_TS))) {
			/* RFC 6298 3: time one segment per RTT (Karn: new data only) */
			c->flags |= CF_RTT;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start = c->ctx->now;
		}
		if (tcp_xmit(c, c->snd_nxt, len, flags) != 0)
			break;
		if (len < c->mss)
			c->snd_sml = c->snd_nxt + len;
		c->snd_nxt += len + ((flags & TH_FIN) ? 1 : 0);
		c->snd_max = seq_max(c->snd_max, c->snd_nxt);
		sent = true;
		force = false;
		if (c->flags & CF_PERSIST) {
			c->flags &= ~CF_PERSIST;
			tcp_timer_clear(c, TT_RTX);
		}
		/* RFC 6298 5.1; RFC 8985 7.2: a running probe timer restarts
		 * with new data (once, below, seeing all that went) */
		if (c->deadline[TT_RTX] == 0)
			tcp_rtx_arm(c);
		else
			rearm = true;
		if (flags & TH_FIN)
			break;
	}
	if (rearm)
		tcp_pto_rearm(c);
	if ((c->flags & (CF_RECOVERY | CF_SACK)) == (CF_RECOVERY | CF_SACK) && tcp_rescue(c))
		sent = true;
	return sent;
}

/* RFC 8985 7.3: the loss probe. One segment of new data if there is some
 * and the peer's window takes it (the congestion window aside: the probe
 * stands in for the ACKs that did not come), else the last segment sent
 * again. The ACK it draws, with its SACK blocks, shows what of the tail
 * was lost. false if nothing went. */
bool
tcp_send_tlp(struct stk_tcp_conn *c)
{
	uint32_t end = tcp_sq_end(c), pending, wnd_room, len, hi, seq;
	uint8_t flags = TH_ACK;

	pending = seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
	wnd_room = seq_gt(c->snd_una + c->snd_wnd, c->snd_nxt)
			   ? c->snd_una + c->snd_wnd - c->snd_nxt
			   : 0;
	len = u32_min(pending, c->mss);
	if (len > 0 && len <= wnd_room && c->snd_nxt == c->snd_max) {
		if ((c->flags & CF_FIN_QUEUED) && c->snd_nxt + len == end)
			flags |= TH_FIN;
		if (len == pending)
			flags |= TH_PSH;
		if (tcp_xmit(c, c->snd_nxt, len, flags) != 0)
			return false;
		if (len < c->mss)
			c->snd_sml = c->snd_nxt + len;
		c->snd_nxt += len + ((flags & TH_FIN) ? 1 : 0);
		c->snd_max = c->snd_nxt;
		c->flags = (c->flags | CF_TLP) & ~CF_TLP_RXT;
		c->tlp_high = c->snd_max;
		return true;
	}
	hi = seq_min(c->snd_max, end);
	if (seq_lt(hi, c->snd_una))
		return false;
	seq = hi - u32_min(hi - c->snd_una, c->mss);
	if (seq == hi && !(c->flags & CF_FIN_QUEUED))
		return false;
	if (tcp_rexmit(c, seq, hi - seq) != 0)
		return false;
	c->flags |= CF_TLP | CF_TLP_RXT;
	c->tlp_seq = seq;
	c->tlp_high = c->snd_max;
	return true;
}

/* The persist timer's override (RFC 9293 3.8.6.2.1, RFC 1122 4.2.3.4):
 * send what the window allows, however small. */
void
tcp_output_force(struct stk_tcp_conn *c)
{
	if (!tcp_output_data(c, true) && (c->flags & CF_ACK_NOW))
		tcp_send_ack(c);
}

void
tcp_output(struct stk_tcp_conn *c)
{
	struct stk_tcp *tcp = c->ctx->tcp;
	bool sent = false;

	if (c->flags & CF_DEAD)
		return;
	switch (c->state) {
	case STK_TCP_ESTABLISHED:
	case STK_TCP_FIN_WAIT_1:
	case STK_TCP_CLOSE_WAIT:
	case STK_TCP_CLOSING:
	case STK_TCP_LAST_ACK:
		sent = tcp_output_data(c, false);
		break;
	case STK_TCP_FIN_WAIT_2:
	case STK_TCP_TIME_WAIT:
	case STK_TCP_SYN_RECEIVED:
		break;
	default:
		return;
	}
	if (!sent && (c->flags & CF_ACK_NOW))
		tcp_send_ack(c);
	if ((c->flags & CF_DELACK) && c->deadline[TT_DELACK] == 0)
		tcp_timer_set(c, TT_DELACK, c->ctx->now + tcp->delack_ticks);
	/* RFC 9293 3.8.6.1: data waits, nothing is in flight to bring an ACK
	 * that opens the window: probe on the persist timer */
	if (c->snd_una == c->snd_max && seq_lt(c->snd_nxt, tcp_sq_end(c)) &&
	    c->deadline[TT_RTX] == 0) {
		uint64_t t = c->rto << RTE_MIN(c->backoff, (uint8_t)16);

		c->flags |= CF_PERSIST;
		tcp_timer_set(c, TT_RTX,
			      c->ctx->now +
				      RTE_MIN(t, stk_ms_to_ticks(c->ctx->hz, TCP_PERSIST_MAX_MS)));
	}
}
