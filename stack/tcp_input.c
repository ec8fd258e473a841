/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP input: validation (RELIABILITY.md 1, 2), options (RFC 9293 3.2,
 * RFC 7323, RFC 2018), and the event processing of RFC 9293 3.10.7 with
 * the checks of RFC 5961 and RFC 7323 (PAWS), acknowledgment processing
 * (RFC 5681, 6582, 6675, 6298), reassembly and delivery to the service.
 *
 * Every segment ends in exactly one of: delivered to the service (its
 * mbuf goes with the data), queued out of order, consumed (its effect is
 * in the connection: an ACK, a FIN), or dropped under one named reason.
 */
#include <string.h>

#include "tcp_priv.h"

/* what tcp_data_input() did with the mbuf */
#define TCP_M_FREE 0	   /* nothing kept: the caller consumes it */
#define TCP_M_TAKEN (-1)   /* delivered or queued */
#define TCP_M_DROPPED (-2) /* dropped and counted already */

static uint32_t
tcp_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

/*
 * RFC 9293 3.2 and 3.10.7 (MUST-4..7, MUST-64..68): every option but EOL
 * and NOP has a length of at least 2 that stays inside the header; known
 * options have their fixed lengths; unknown ones are skipped; options are
 * read at any alignment. MSS, window scale and SACK-permitted count only on
 * a SYN (MUST-65). -1 on a malformed option list.
 */
int
tcp_parse_options(const uint8_t *p, uint32_t len, bool syn, struct tcp_opts *o)
{
	uint32_t i = 0;

	o->present = 0;
	o->n_sack = 0;
	while (i < len) {
		uint8_t kind = p[i], olen, n, j;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		olen = p[i + 1];
		/* 0 and 1 would loop forever or read the next option as ours */
		if (olen < 2 || olen > len - i)
			return -1;
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen != 4)
				return -1;
			if (syn) {
				o->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
				o->present |= TOPT_MSS;
			}
			break;
		case TCP_OPT_WS:
			if (olen != 3)
				return -1;
			if (syn) {
				/* RFC 7323 2.3: larger than 14 is taken as 14 */
				o->wscale = RTE_MIN(p[i + 2], (uint8_t)TCP_MAX_WSCALE);
				o->present |= TOPT_WS;
			}
			break;
		case TCP_OPT_SACK_PERM:
			if (olen != 2)
				return -1;
			if (syn)
				o->present |= TOPT_SACK_PERM;
			break;
		case TCP_OPT_TS:
			if (olen != 10)
				return -1;
			o->tsval = tcp_get32(p + i + 2);
			o->tsecr = tcp_get32(p + i + 6);
			o->present |= TOPT_TS;
			break;
		case TCP_OPT_SACK:
			if (olen < 10 || (olen - 2) % 8 != 0)
				return -1;
			n = (uint8_t)RTE_MIN((olen - 2) / 8, TCP_SACK_RX_MAX);
			for (j = 0; j < n; j++) {
				o->sack[j].start = tcp_get32(p + i + 2 + 8 * j);
				o->sack[j].end = tcp_get32(p + i + 6 + 8 * j);
			}
			o->n_sack = n;
			o->present |= TOPT_SACK;
			break;
		default:
			break; /* MUST-6: ignore what we do not know */
		}
		i += olen;
	}
	return 0;
}

static bool
tcp_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l4_off, bool offload)
{
	if (offload) {
		uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			return true;
		if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
			return false;
	}
	/* RFC 9293 MUST-3 */
	if (likely(m->nb_segs == 1))
		return rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, l4_off) == 0;
	return stk_ip4_l4_sum(m, ip, l4_off) == 0xffff;
}

/* Options of the peer's SYN: what both sides use from now on. */
static void
tcp_syn_options(struct stk_tcp_conn *c, const struct tcp_seg *seg)
{
	struct stk_ctx *ctx = c->ctx;
	struct stk_tcp *tcp = ctx->tcp;
	const struct stk_if *ifx = &ctx->ifs[c->ifx];
	const struct tcp_opts *o = &seg->opt;
	uint32_t peer_mss, mss, ts_len;

	c->flags &= ~(CF_WS | CF_SACK | CF_TS);
	c->snd_wscale = 0;
	c->rcv_wscale = 0;
	/* RFC 7323 2.2: scaling only if both sides offered it */
	if ((o->present & TOPT_WS) && tcp->ws) {
		c->flags |= CF_WS;
		c->snd_wscale = o->wscale;
		c->rcv_wscale = tcp->rcv_wscale;
	}
	if ((o->present & TOPT_SACK_PERM) && tcp->sack)
		c->flags |= CF_SACK;
	if ((o->present & TOPT_TS) && tcp->ts) {
		c->flags |= CF_TS;
		c->ts_recent = o->tsval;
		c->ts_recent_time = ctx->now;
	}
	ts_len = (c->flags & CF_TS) ? 12 : 0;
	/* RFC 9293 3.7.1 (MUST-15, MUST-16): 536 without the option;
	 * Eff.snd.MSS = min(SendMSS + 20, MMS_S) - TCP header - IP options.
	 * A tiny announced MSS would make us send floods of tiny segments:
	 * 64 is the floor. */
	peer_mss = (o->present & TOPT_MSS) ? o->mss : TCP_MSS_DEFAULT;
	peer_mss = RTE_MAX(peer_mss, 64u);
	mss = RTE_MIN(peer_mss, (uint32_t)tcp_if_mss(ifx)) - ts_len;
	c->mss = (uint16_t)RTE_MIN(mss, (uint32_t)tcp->seg_room);
	c->rcv_mss = (uint16_t)(tcp_adv_mss(c) - ts_len);
	c->cwnd = tcp_initial_cwnd(c->mss);
	/* RFC 7323 2.2: the window of a SYN is not scaled */
	c->snd_wnd = seg->wnd;
	c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
}

/* RFC 5961 7: challenge ACKs, at most challenge_ack_per_s per connection
 * per second. */
static void
tcp_challenge_ack(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx = c->ctx;

	if (ctx->now - c->chack_start >= ctx->hz) {
		c->chack_start = ctx->now;
		c->chack_n = 0;
	}
	if (c->chack_n >= ctx->tcp->chack_per_s) {
		ctx->stats.tcp_challenge_acks_limited++;
		return;
	}
	c->chack_n++;
	ctx->stats.tcp_challenge_acks++;
	tcp_send_ack(c);
}

/* ---- SACK scoreboard (RFC 2018, RFC 6675) ---- */

static void
tcp_sack_insert(struct stk_tcp_conn *c, uint32_t s, uint32_t e)
{
	struct tcp_sack_blk out[TCP_SACK_SCORE + 1];
	unsigned int i, n = 0;
	bool done = false;

	for (i = 0; i < c->n_sack; i++) {
		const struct tcp_sack_blk *b = &c->sack[i];

		if (seq_lt(b->end, s)) {
			out[n++] = *b;
		} else if (seq_lt(e, b->start)) {
			if (!done) {
				out[n].start = s;
				out[n++].end = e;
				done = true;
			}
			out[n++] = *b;
		} else {
			s = seq_min(s, b->start);
			e = seq_max(e, b->end);
		}
	}
	if (!done) {
		out[n].start = s;
		out[n++].end = e;
	}
	/* full: forget the highest range; the low ones decide what is
	 * retransmitted next */
	c->n_sack = (uint8_t)RTE_MIN(n, (unsigned int)TCP_SACK_SCORE);
	memcpy(c->sack, out, sizeof(out[0]) * c->n_sack);
}

static uint32_t
tcp_sacked_bytes(const struct stk_tcp_conn *c)
{
	uint32_t n = 0;
	unsigned int i;

	for (i = 0; i < c->n_sack; i++)
		n += c->sack[i].end - c->sack[i].start;
	return n;
}

/* true if the blocks SACKed data not SACKed before */
static bool
tcp_sack_update(struct stk_tcp_conn *c, const struct tcp_opts *o)
{
	uint32_t before = tcp_sacked_bytes(c);
	unsigned int i;

	for (i = 0; i < o->n_sack; i++) {
		uint32_t s = o->sack[i].start, e = o->sack[i].end;

		/* RFC 2883 D-SACKs (below SND.UNA) and blocks for data never
		 * sent are ignored */
		if (!seq_lt(s, e) || seq_le(e, c->snd_una) || seq_gt(e, c->snd_max))
			continue;
		tcp_sack_insert(c, seq_max(s, c->snd_una), e);
	}
	return tcp_sacked_bytes(c) != before;
}

static void
tcp_sack_prune(struct stk_tcp_conn *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->n_sack; i++) {
		if (seq_le(c->sack[i].end, c->snd_una))
			continue;
		c->sack[n] = c->sack[i];
		c->sack[n].start = seq_max(c->sack[n].start, c->snd_una);
		n++;
	}
	c->n_sack = (uint8_t)n;
}

/* One past the highest byte the segment's SACK blocks cover (SND.UNA if
 * none counts). */
static uint32_t
tcp_sack_high(const struct stk_tcp_conn *c, const struct tcp_opts *o)
{
	uint32_t high = c->snd_una;
	unsigned int i;

	for (i = 0; i < o->n_sack; i++) {
		uint32_t s = o->sack[i].start, e = o->sack[i].end;

		if (seq_lt(s, e) && seq_le(e, c->snd_max))
			high = seq_max(high, e);
	}
	return high;
}

/* RFC 5827 early retransmit: with fewer than four segments outstanding
 * and nothing new that could go, one duplicate ACK fewer than the
 * segments outstanding is evidence enough. */
static unsigned int
tcp_dupthresh(const struct stk_tcp_conn *c)
{
	uint32_t segs = (tcp_flight_size(c) + c->mss - 1) / c->mss;
	uint32_t end = c->sq_seq + c->sq_bytes;
	bool unsent = seq_lt(c->snd_max, end) && seq_lt(c->snd_max, c->snd_una + c->snd_wnd);

	if (segs >= 4 || unsent)
		return TCP_DUPTHRESH;
	return segs > 1 ? segs - 1 : 1;
}

/* RFC 5681 3.2 and RFC 6582 3.2 (NewReno), RFC 6675 5 with SACK: enter
 * fast retransmit and recovery (also when the reordering window passed,
 * RFC 8985 6.2). false if it may not start. */
bool
tcp_enter_recovery(struct stk_tcp_conn *c)
{
	/* RFC 6582 4.1: duplicate ACKs for data sent before a timeout
	 * (go-back-N duplicates) start no recovery */
	if ((c->flags & CF_AFTER_RTO) && seq_le(c->snd_una, c->recover))
		return false;
	c->ssthresh = RTE_MAX(tcp_flight_size(c) / 2, 2u * c->mss); /* RFC 5681 (4) */
	c->recover = c->snd_max;
	c->flags |= CF_RECOVERY;
	/* the episode's one reduction covers a loss a probe repaired too */
	c->flags &= ~(CF_RESCUED | CF_TLP | CF_TLP_RXT);
	if (c->deadline[TT_REO] != 0)
		tcp_timer_clear(c, TT_REO);
	if (c->flags & CF_PTO)
		tcp_rtx_arm(c); /* the RTO again: no probes in recovery */
	c->high_rxt = c->snd_una;
	c->lost_lo = c->lost_hi = c->snd_una;
	c->n_rxt = 0;
	tcp_rexmit(c, c->snd_una, c->mss);
	c->high_rxt = seq_min(c->snd_una + c->mss, c->sq_seq + c->sq_bytes);
	tcp_rxt_sent(c, c->snd_una, c->high_rxt - c->snd_una);
	c->cwnd = (c->flags & CF_SACK) ? c->ssthresh : c->ssthresh + TCP_DUPTHRESH * c->mss;
	c->ctx->stats.tcp_fast_retransmits++;
	return true;
}

/* RFC 8985 7.4: the end of a probe's episode. A probe of new data needs no
 * verdict; a retransmission that a D-SACK (RFC 2883: the first block, at
 * or below the ACK) reports as redundant was spurious; one passed by the
 * cumulative ACK without that repaired a loss. At an ACK that reaches
 * exactly its end the verdict waits for a later ACK, or for the next
 * probe (tcp_pto_timeout()). */
static void
tcp_tlp_ack(struct stk_tcp_conn *c, const struct tcp_seg *seg)
{
	const struct tcp_sack_blk *d = &seg->opt.sack[0];

	if ((c->flags & CF_TLP_RXT) && (seg->opt.present & TOPT_SACK) && seg->opt.n_sack > 0 &&
	    seq_le(d->end, seg->ack) && seq_le(d->start, c->tlp_seq) &&
	    seq_lt(c->tlp_seq, d->end)) {
		c->flags &= ~(CF_TLP | CF_TLP_RXT);
		return;
	}
	if (seq_lt(seg->ack, c->tlp_high))
		return;
	if (!(c->flags & CF_TLP_RXT))
		c->flags &= ~CF_TLP;
	else if (seq_gt(seg->ack, c->tlp_high))
		tcp_tlp_loss(c);
}

/* RFC 8985 6.2, ordered by sequence instead of time: outside recovery, a
 * hole below SACKed data was sent before that data (original data goes
 * in sequence order, and the hole was not retransmitted: no recovery, no
 * timeout since), so once the reordering window passes without it, it is
 * lost (tcp_reo_timeout()). The window runs from the first SACK above the
 * hole; a cumulative ACK that leaves a hole starts it again, for the next
 * one. Without an RTT sample DupThresh and the RTO decide alone. */
static void
tcp_reo_arm(struct stk_tcp_conn *c, bool advanced)
{
	if (c->n_sack == 0 || !seq_lt(c->snd_una, c->sack[0].start) || c->rtt_min == 0 ||
	    ((c->flags & CF_AFTER_RTO) && seq_le(c->snd_una, c->recover))) {
		if (c->deadline[TT_REO] != 0)
			tcp_timer_clear(c, TT_REO);
		return;
	}
	if (c->deadline[TT_REO] == 0 || advanced)
		tcp_timer_set(c, TT_REO, c->ctx->now + tcp_reo_wnd(c));
}

/* RFC 7323 4.1: an RTT sample from the echoed timestamp; false if the
 * segment has none (or an implausible one). */
static bool
tcp_ts_rtt(struct stk_tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t ms;

	if (!(c->flags & CF_TS) || !(seg->opt.present & TOPT_TS) || seg->opt.tsecr == 0)
		return false;
	ms = tcp_ms_now(c->ctx) + c->ts_off - seg->opt.tsecr;
	if (ms < 3600u * 1000)
		tcp_rtt_sample(c, (uint64_t)ms * c->ctx->tcp->ms_ticks);
	return true;
}

/* RFC 9293 3.10.7.4 fifth step, for an ACK inside
 * [SND.UNA - MAX.SND.WND, SND.NXT] in a synchronized state. */
static void
tcp_ack_input(struct stk_tcp_conn *c, const struct tcp_seg *seg)
{
	struct stk_ctx *ctx = c->ctx;
	uint32_t ack = seg->ack, wnd = seg->wnd << c->snd_wscale, acked;
	bool new_sack = false, advanced = seq_gt(ack, c->snd_una);

	if ((c->flags & CF_SACK) && (seg->opt.present & TOPT_SACK))
		new_sack = tcp_sack_update(c, &seg->opt);
	if (unlikely(c->flags & CF_TLP))
		tcp_tlp_ack(c, seg);
	if (advanced) {
		acked = ack - c->snd_una;
		/* RTT: RFC 7323 4 (timestamps) or RFC 6298 3 (one timed
		 * segment, never a retransmitted one: Karn) */
		if (!tcp_ts_rtt(c, seg) && (c->flags & CF_RTT) && seq_gt(ack, c->rtt_seq)) {
			tcp_rtt_sample(c, ctx->now - c->rtt_start);
		}
		if ((c->flags & CF_RTT) && seq_gt(ack, c->rtt_seq))
			c->flags &= ~CF_RTT;
		c->snd_una = ack;
		c->soft_err = 0; /* data got through: an ICMP error is stale */
		if (seq_lt(c->snd_nxt, ack))
			c->snd_nxt = ack;
		if (tcp_sq_ack(c, ack) > 0)
			c->flags |= CF_NOTIFY_SENT;
		tcp_sack_prune(c);
		if ((c->flags & CF_AFTER_RTO) && seq_ge(ack, c->recover))
			c->flags &= ~CF_AFTER_RTO;
		if (c->flags & CF_RECOVERY) {
			if (seq_ge(ack, c->recover)) {
				/* RFC 6582 3.2 step 3: full acknowledgment */
				c->flags &= ~CF_RECOVERY;
				c->cwnd = u32_min(c->ssthresh,
						  u32_max(tcp_flight_size(c), c->mss) + c->mss);
				c->dupacks = 0;
			} else if (!(c->flags & CF_SACK)) {
				/* step 4: partial acknowledgment, retransmit the next
				 * hole and deflate by what was acknowledged */
				tcp_rexmit(c, c->snd_una, c->mss);
				c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
				if (acked >= c->mss)
					c->cwnd += c->mss;
				c->cwnd = RTE_MAX(c->cwnd, (uint32_t)c->mss);
			} else {
				c->high_rxt = seq_max(c->high_rxt, c->snd_una);
			}
		} else {
			c->dupacks = 0;
			if (c->cwnd < c->ssthresh) {
				/* RFC 5681 3.1 slow start */
				c->cwnd += RTE_MIN(acked, (uint32_t)c->mss);
			} else {
				/* congestion avoidance, one SMSS per window acked */
				c->bytes_acked += acked;
				if (c->bytes_acked >= c->cwnd) {
					c->bytes_acked -= c->cwnd;
					c->cwnd += c->mss;
				}
			}
			c->cwnd = RTE_MIN(c->cwnd, (uint32_t)INT32_MAX);
		}
		c->backoff = 0;
		c->rtx_start = 0;
		tcp_rto_reset(c);
		/* RFC 6298 5.2, 5.3 */
		if (c->snd_una == c->snd_max)
			tcp_timer_clear(c, TT_RTX);
		else
			tcp_rtx_arm(c);
	} else if (ack == c->snd_una && c->snd_max != c->snd_una &&
		   (new_sack ||
		    (seg->len == 0 && !(seg->flags & (TH_SYN | TH_FIN)) && wnd == c->snd_wnd))) {
		/* a duplicate ACK: RFC 5681 2, or with SACK RFC 6675 2 (new
		 * SACK information, data or not: both directions may be busy) */
		if (c->dupacks < UINT8_MAX)
			c->dupacks++;
		if (c->flags & CF_RECOVERY) {
			if (!(c->flags & CF_SACK))
				c->cwnd += c->mss; /* RFC 6582 3.2 step 4: inflate */
		} else if (c->dupacks >= tcp_dupthresh(c) ||
			   ((c->flags & CF_SACK) &&
			    tcp_sacked_bytes(c) > (TCP_DUPTHRESH - 1) * (uint32_t)c->mss)) {
			tcp_enter_recovery(c);
		}
	}
	/* with the scoreboard and SND.UNA up to date: were retransmissions
	 * of this recovery lost? */
	if ((c->flags & (CF_RECOVERY | CF_SACK)) == (CF_RECOVERY | CF_SACK) && c->n_rxt > 0 &&
	    (seg->opt.present & TOPT_SACK))
		tcp_sack_lost_rexmit(c, tcp_sack_high(c, &seg->opt));
	if ((c->flags & (CF_RECOVERY | CF_SACK)) == CF_SACK)
		tcp_reo_arm(c, advanced);
	/* window update: only from a segment newer than the last one that
	 * set it (SND.WL1, SND.WL2). A segment acknowledging more than that
	 * one did is newer too, even if its sequence number is older (a
	 * retransmission of the peer's): without this, its window would be
	 * ignored while SND.UNA moves, and SND.UNA + SND.WND would pass the
	 * peer's real right edge. */
	if (seq_lt(c->snd_wl1, seg->seq) || seq_lt(c->snd_wl2, ack) ||
	    (c->snd_wl1 == seg->seq && c->snd_wl2 == ack)) {
		bool opened = c->snd_wnd == 0 && wnd > 0;

		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		c->max_snd_wnd = RTE_MAX(c->max_snd_wnd, wnd);
		if (opened && (c->flags & CF_PERSIST)) {
			c->flags &= ~CF_PERSIST;
			tcp_timer_clear(c, TT_RTX);
			c->backoff = 0;
		}
	}
}

/* ---- reassembly and delivery ---- */

/* Queue a segment that starts beyond RCV.NXT (RFC 9293 SHLD-31), sorted,
 * without overlaps. false if a limit would be passed (nothing changed). */
static bool
tcp_ooo_insert(struct stk_tcp_conn *c, struct rte_mbuf *p, uint32_t seq, uint32_t len, bool fin)
{
	struct stk_tcp *tcp = c->ctx->tcp;
	struct rte_mbuf **link = &c->ooo, *q;
	uint32_t end = seq + len;
	struct tcp_mb *pm;

	/* a piece we hold already costs nothing; anything else must fit
	 * the limits before the queue changes */
	for (q = c->ooo; q != NULL; q = tcp_mb(q)->next) {
		struct tcp_mb *qm = tcp_mb(q);
		uint32_t qs = qm->seq, qe = qs + rte_pktmbuf_pkt_len(q);

		if (seq_le(qs, seq) && seq_ge(qe, end)) {
			if (fin && qe == end)
				qm->fin = 1;
			c->ooo_last = qs;
			rte_pktmbuf_free(p);
			return true;
		}
	}
	if (c->ooo_nsegs >= tcp->ooo_max_segs || c->ooo_bytes + len > tcp->ooo_max_bytes)
		return false;
	while ((q = *link) != NULL) {
		struct tcp_mb *qm = tcp_mb(q);
		uint32_t qs = qm->seq, qe = qs + rte_pktmbuf_pkt_len(q);

		if (seq_le(qe, seq)) {
			link = &qm->next;
			continue;
		}
		if (seq_ge(qs, end))
			break;
		if (seq_le(qs, seq) && seq_ge(qe, end)) {
			/* what is left after trimming is held already */
			rte_pktmbuf_free(p);
			return true;
		}
		if (seq_lt(seq, qs)) {
			if (seq_ge(end, qe)) {
				/* covers q: q goes */
				*link = qm->next;
				c->ooo_nsegs--;
				c->ooo_bytes -= qe - qs;
				rte_pktmbuf_free(q);
				continue;
			}
			/* ends inside q: keep what comes before it */
			len = qs - seq;
			stk_mbuf_trim(p, len);
			end = qs;
			fin = false;
			break;
		}
		/* starts inside q, ends beyond it */
		p = tcp_chain_adj(p, qe - seq);
		len -= qe - seq;
		seq = qe;
		link = &qm->next;
	}
	pm = tcp_mb(p);
	pm->seq = seq;
	pm->fin = fin;
	pm->next = *link;
	*link = p;
	c->ooo_nsegs++;
	c->ooo_bytes += len;
	c->ooo_last = seq;
	return true;
}

static void
tcp_deliver(struct stk_tcp_conn *c, struct rte_mbuf *p, uint32_t len)
{
	uint32_t used;

	c->ctx->stats.tcp_rx_bytes += len;
	if (!(c->flags & CF_ATTACHED) || c->ops == NULL || c->ops->on_data == NULL) {
		rte_pktmbuf_free(p);
		return;
	}
	used = c->ops->on_data(c->arg, c, p, len);
	c->rcv_held += len - RTE_MIN(used, len);
}

/* Segments the new RCV.NXT reaches, appended to @chain. */
static struct rte_mbuf *
tcp_ooo_drain(struct stk_tcp_conn *c, struct rte_mbuf *chain, uint32_t *total, bool *fin)
{
	struct rte_mbuf *q;

	while ((q = c->ooo) != NULL && seq_le(tcp_mb(q)->seq, c->rcv_nxt)) {
		struct tcp_mb *qm = tcp_mb(q);
		uint32_t qs = qm->seq, ql = rte_pktmbuf_pkt_len(q), qe = qs + ql;
		bool qfin = qm->fin != 0;

		c->ooo = qm->next;
		c->ooo_nsegs--;
		c->ooo_bytes -= ql;
		if (seq_le(qe, c->rcv_nxt)) {
			if (qfin && qe == c->rcv_nxt)
				*fin = true;
			rte_pktmbuf_free(q);
			continue;
		}
		q = tcp_chain_adj(q, c->rcv_nxt - qs);
		*total += qe - c->rcv_nxt;
		c->rcv_nxt = qe;
		if (chain == NULL) {
			chain = q;
		} else if (rte_pktmbuf_chain(chain, q) != 0) {
			/* too many segments for one chain: hand over what we have */
			uint32_t n = rte_pktmbuf_pkt_len(chain);

			*total -= n;
			tcp_deliver(c, chain, n);
			chain = q;
		}
		if (qfin)
			*fin = true;
	}
	return chain;
}

static bool
tcp_fin_acked(const struct stk_tcp_conn *c)
{
	return (c->flags & CF_FIN_QUEUED) && c->sq_bytes == 0 && c->snd_una == c->sq_seq + 1;
}

/* The peer's end of stream reaches the service. */
static void
tcp_eof(struct stk_tcp_conn *c)
{
	if ((c->flags & CF_ATTACHED) && c->ops != NULL && c->ops->on_data != NULL)
		c->ops->on_data(c->arg, c, NULL, 0);
}

/* Both FINs are through: ACK the peer's, tell the service, TIME-WAIT. */
static void
tcp_enter_time_wait(struct stk_tcp_conn *c)
{
	tcp_send_ack(c);
	tcp_notify_close(c, STK_TCP_CLOSE_FIN);
	if (!(c->flags & CF_DEAD))
		tcp_time_wait(c);
}

/* RFC 9293 3.10.7.4 eighth step: an in-order FIN. */
static void
tcp_fin_input(struct stk_tcp_conn *c)
{
	c->rcv_nxt++;
	c->flags |= CF_FIN_RCVD | CF_ACK_NOW;
	tcp_ooo_purge(c);
	switch (c->state) {
	case STK_TCP_ESTABLISHED:
		tcp_set_state(c, STK_TCP_CLOSE_WAIT);
		tcp_eof(c);
		break;
	case STK_TCP_FIN_WAIT_1:
		if (tcp_fin_acked(c)) {
			tcp_eof(c);
			if (!(c->flags & CF_DEAD))
				tcp_enter_time_wait(c);
		} else {
			/* simultaneous close */
			tcp_set_state(c, STK_TCP_CLOSING);
			tcp_eof(c);
		}
		break;
	case STK_TCP_FIN_WAIT_2:
		tcp_eof(c);
		if (!(c->flags & CF_DEAD))
			tcp_enter_time_wait(c);
		break;
	default:
		break;
	}
}

/* RFC 9293 3.10.7.4 seventh and eighth steps: text and FIN of an
 * acceptable segment. @hdr_len: Ethernet, IP and TCP headers. */
static int
tcp_data_input(struct stk_tcp_conn *c, struct rte_mbuf *m, const struct tcp_seg *seg,
	       uint32_t hdr_len)
{
	uint32_t seq = seg->seq, len = seg->len, skip = 0, total;
	bool fin = (seg->flags & TH_FIN) != 0, filled = c->ooo != NULL;
	struct rte_mbuf *p = NULL;

	if (seg->flags & TH_SYN)
		seq++;
	if (c->flags & CF_FIN_RCVD) {
		/* after the peer's FIN nothing new can come */
		c->flags |= CF_ACK_NOW;
		return TCP_M_FREE;
	}
	if (seq_lt(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;

		c->flags |= CF_ACK_NOW;
		if (d > len)
			return TCP_M_FREE;
		skip = d;
		len -= d;
		seq = c->rcv_nxt;
	}
	/* what lies beyond the window we offered is not taken */
	if (seq_gt(seq + len, c->rcv_adv)) {
		len = seq_lt(seq, c->rcv_adv) ? c->rcv_adv - seq : 0;
		fin = false;
		c->flags |= CF_ACK_NOW;
	}
	if (len == 0 && !fin)
		return TCP_M_FREE;
	if (len > 0 && !(c->flags & CF_ATTACHED)) {
		/* RFC 9293 3.10.4, SHLD-3: the service closed; data that
		 * cannot be delivered resets the connection */
		tcp_send_rst(c);
		tcp_conn_done(c);
		return STK_DROP_TCP_CLOSED;
	}
	if (len > 0) {
		p = tcp_chain_adj(m, hdr_len + skip);
		stk_mbuf_trim(p, len);
	}
	if (seq != c->rcv_nxt) {
		/* RFC 5681 4.2: an out-of-order segment is ACKed at once */
		c->flags |= CF_ACK_NOW;
		if (p == NULL)
			return TCP_M_FREE; /* a lone FIN past a hole comes again */
		if (!tcp_ooo_insert(c, p, seq, len, fin)) {
			stk_drop(c->ctx, p, STK_DROP_TCP_OOO_LIMIT);
			return TCP_M_DROPPED;
		}
		return TCP_M_TAKEN;
	}
	c->rcv_nxt += len;
	total = len;
	if (filled) {
		/* RFC 5681 4.2: ACK at once when a hole is filled */
		p = tcp_ooo_drain(c, p, &total, &fin);
		c->flags |= CF_ACK_NOW;
	}
	/* the urgent mark reached: no urgent data ahead any more */
	if ((c->flags & CF_RCV_UP) && seq_ge(c->rcv_nxt, c->rcv_up))
		c->flags &= ~CF_RCV_UP;
	c->rcv_unacked += total;
	if (total > 0)
		tcp_deliver(c, p, total);
	else if (p != NULL)
		rte_pktmbuf_free(p);
	if (c->flags & CF_DEAD)
		return len > 0 ? TCP_M_TAKEN : TCP_M_FREE;
	if (fin)
		tcp_fin_input(c);
	else if (c->rcv_unacked >= 2u * c->rcv_mss)
		c->flags |= CF_ACK_NOW; /* RFC 9293 SHLD-19, RFC 5681 4.2 */
	else if (total > 0 && c->last_ack_sent != c->rcv_nxt)
		c->flags |= CF_DELACK; /* RFC 9293 SHLD-18; unless the service's
					* answer from on_data carried it (MUST-58) */
	return len > 0 ? TCP_M_TAKEN : TCP_M_FREE;
}

/* Passive open completed, or active open through SYN-RECEIVED or
 * SYN-SENT: tell the service. false if the connection is gone. */
static bool
tcp_established(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx = c->ctx;

	tcp_half_open_done(ctx->tcp, c);
	tcp_set_state(c, (c->flags & CF_FIN_QUEUED) ? STK_TCP_FIN_WAIT_1 : STK_TCP_ESTABLISHED);
	tcp_keep_arm(c);
	if (c->flags & CF_ACTIVE) {
		ctx->stats.tcp_connected++;
		if (c->ops != NULL && c->ops->on_connected != NULL)
			c->ops->on_connected(c->arg, c);
	} else {
		void *arg = c->arg;
		int ret = 0;

		c->flags |= CF_ATTACHED;
		ctx->stats.tcp_accepted++;
		if (c->ops != NULL && c->ops->on_accept != NULL)
			ret = c->ops->on_accept(c->arg, c, &arg);
		if (c->flags & CF_DEAD)
			return false;
		if (ret != 0) {
			c->flags &= ~CF_ATTACHED;
			tcp_send_rst(c);
			tcp_conn_done(c);
			return false;
		}
		c->arg = arg;
	}
	return !(c->flags & CF_DEAD);
}

/* RFC 6298 5.7: a SYN that had to be retransmitted leaves RTO at 3 s
 * until a measurement. */
static void
tcp_syn_acked(struct stk_tcp_conn *c, const struct tcp_seg *seg)
{
	struct stk_ctx *ctx = c->ctx;

	if (tcp_ts_rtt(c, seg)) {
		/* sampled from the timestamp */
	} else if (c->backoff == 0) {
		tcp_rtt_sample(c, ctx->now - c->rtt_start);
	} else if (c->srtt == 0) {
		c->rto = stk_ms_to_ticks(ctx->hz, 3000);
	}
	c->backoff = 0;
	c->rtx_start = 0;
	tcp_timer_clear(c, TT_RTX);
	c->snd_una = seg->ack;
	c->snd_wl2 = seg->ack;
	c->soft_err = 0;
}

/*
 * RFC 9293 3.10.7.4 sixth step, RFC 6093 (MUST-30..33, MUST-62): SEG.UP
 * = SEG.SEQ + the pointer is the first byte after the urgent data. The
 * bytes stay in the stream, in line; only RCV.UP moves, forward only, and
 * the service hears of it when it moves beyond what was delivered. A
 * segment that reaches here was acceptable, so the pointer is at most
 * 64 KiB past the window. After the peer's FIN there is nothing urgent to
 * come. false if the service closed the connection from on_urgent.
 */
static bool
tcp_urg_input(struct stk_tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t up = seg->seq + seg->urp;

	if (likely(!(seg->flags & TH_URG)) || (c->flags & CF_FIN_RCVD))
		return true;
	if (!seq_gt(up, c->rcv_nxt) || ((c->flags & CF_RCV_UP) && !seq_gt(up, c->rcv_up)))
		return true;
	c->rcv_up = up;
	c->flags |= CF_RCV_UP;
	c->ctx->stats.tcp_urgent_rcvd++;
	if ((c->flags & CF_ATTACHED) && c->ops != NULL && c->ops->on_urgent != NULL)
		c->ops->on_urgent(c->arg, c, up - c->rcv_nxt);
	return !(c->flags & CF_DEAD);
}

static bool
tcp_finish(struct stk_tcp_conn *c, struct rte_mbuf *m, int r)
{
	struct stk_ctx *ctx = c->ctx;

	if (!(c->flags & CF_DEAD)) {
		if (c->flags & CF_NOTIFY_SENT) {
			uint32_t space = stk_tcp_send_space(c);

			c->flags &= ~CF_NOTIFY_SENT;
			if (space > 0 && (c->flags & CF_ATTACHED) && c->ops != NULL &&
			    c->ops->on_sent != NULL)
				c->ops->on_sent(c->arg, c, space);
		}
		tcp_output(c);
	}
	if (r == TCP_M_FREE) {
		stk_consume(ctx, m);
		return true;
	}
	if (r > 0)
		return stk_drop(ctx, m, (enum stk_drop)r);
	return r == TCP_M_TAKEN;
}

/* RFC 9293 3.10.7.3 */
static bool
tcp_syn_sent_input(struct stk_tcp_conn *c, const struct stk_if *ifx, struct rte_mbuf *m,
		   const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, struct tcp_seg *seg,
		   uint32_t hdr_len)
{
	struct stk_ctx *ctx = c->ctx;
	uint8_t flags = seg->flags;

	if ((flags & TH_ACK) && (seq_le(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_max))) {
		if (!(flags & TH_RST))
			tcp_reply_rst(ctx, ifx, m, ip, th, seg->len + ((flags & TH_SYN) ? 1 : 0));
		return stk_drop(ctx, m, STK_DROP_TCP_BAD_ACK);
	}
	if (flags & TH_RST) {
		/* RFC 5961 3.2: in SYN-SENT a RST is valid when it
		 * acknowledges our SYN */
		if (!(flags & TH_ACK))
			return stk_drop(ctx, m, STK_DROP_TCP_RST_INVALID);
		ctx->stats.tcp_rst_rcvd++;
		tcp_notify_close(c, STK_TCP_CLOSE_RST); /* connection refused */
		tcp_conn_done(c);
		stk_consume(ctx, m);
		return true;
	}
	if (!(flags & TH_SYN))
		return stk_drop(ctx, m, STK_DROP_TCP_BAD_FLAGS);
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	tcp_syn_options(c, seg);
	c->rcv_adv = c->rcv_nxt + RTE_MIN(tcp_rcv_space(c), (uint32_t)UINT16_MAX);
	c->last_rx = ctx->now;
	if (!(flags & TH_ACK)) {
		/* simultaneous open (RFC 9293 3.10.7.3, figure 8) */
		tcp_set_state(c, STK_TCP_SYN_RECEIVED);
		tcp_send_syn(c);
		stk_consume(ctx, m);
		return true;
	}
	tcp_syn_acked(c, seg);
	c->flags |= CF_ACK_NOW;
	if (!tcp_established(c) || !tcp_urg_input(c, seg)) {
		stk_consume(ctx, m);
		return true;
	}
	return tcp_finish(c, m,
			  (seg->len > 0 || (flags & TH_FIN)) ? tcp_data_input(c, m, seg, hdr_len)
							     : TCP_M_FREE);
}

static bool tcp_listen_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
			     const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th,
			     struct tcp_seg *seg, uint32_t hdr_len);

/* RFC 6191: a SYN may reopen a connection in TIME-WAIT when it cannot be
 * confused with the old incarnation. */
static bool
tcp_tw_reopen_ok(const struct stk_tcp_conn *c, const struct tcp_seg *seg)
{
	/* RFC 6191 2: a newer timestamp, or an equal one (a millisecond
	 * clock need not tick between two short connections) with a newer
	 * sequence number */
	if ((c->flags & CF_TS) && (seg->opt.present & TOPT_TS)) {
		if (seg->opt.tsval != c->ts_recent)
			return seq_gt(seg->opt.tsval, c->ts_recent);
	}
	return seq_gt(seg->seq, c->rcv_nxt);
}

/* RFC 9293 3.10.7.4: every state but LISTEN and SYN-SENT */
static bool
tcp_conn_input(struct stk_tcp_conn *c, const struct stk_if *ifx, struct rte_mbuf *m,
	       const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, struct tcp_seg *seg,
	       uint32_t hdr_len)
{
	struct stk_ctx *ctx = c->ctx;
	struct stk_tcp *tcp = ctx->tcp;
	uint32_t rwnd, slen;
	uint8_t flags = seg->flags;
	bool ok, dup = false;

	if (c->state == STK_TCP_SYN_SENT)
		return tcp_syn_sent_input(c, ifx, m, ip, th, seg, hdr_len);
	if (c->state == STK_TCP_TIME_WAIT && (flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	    tcp->lst_idx[rte_be_to_cpu_16(th->dst_port)] != 0 && tcp_tw_reopen_ok(c, seg)) {
		/* RFC 9293 MAY-2: a new SYN takes over TIME-WAIT */
		ctx->stats.tcp_tw_recycled++;
		tcp_conn_free(tcp, c);
		return tcp_listen_input(ctx, ifx, m, ip, th, seg, hdr_len);
	}
	/* RFC 7323 3.2 and 5.3 (PAWS), before the sequence check */
	if ((c->flags & CF_TS) && !(flags & TH_RST)) {
		if (!(seg->opt.present & TOPT_TS))
			return stk_drop(ctx, m, STK_DROP_TCP_NO_TS);
		if (seq_lt(seg->opt.tsval, c->ts_recent) &&
		    ctx->now - c->ts_recent_time < tcp->ts_idle_ticks) {
			tcp_send_ack(c);
			return stk_drop(ctx, m, STK_DROP_TCP_PAWS);
		}
	}
	if (c->state == STK_TCP_SYN_RECEIVED && (flags & TH_SYN) && seg->seq == c->irs) {
		if (!(flags & TH_ACK)) {
			/* the SYN again: our SYN-ACK was lost */
			tcp_send_syn(c);
			stk_consume(ctx, m);
			return true;
		}
		if (seg->ack == c->snd_max) {
			/* simultaneous open: the peer's SYN-ACK acknowledges our
			 * SYN (RFC 9293 figure 8); its SYN was seen already */
			seg->seq++;
			flags &= (uint8_t)~TH_SYN;
			seg->flags = flags;
		}
	}

	/* first: is the sequence number acceptable? */
	rwnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	slen = seg->len + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
	/* (a segment without data may sit right at the window's edge: a
	 * sender whose data filled the window sends its ACKs from there) */
	if (slen == 0)
		ok = rwnd == 0
			     ? seg->seq == c->rcv_nxt
			     : seq_ge(seg->seq, c->rcv_nxt) && seq_le(seg->seq, c->rcv_nxt + rwnd);
	else
		ok = rwnd != 0 &&
		     ((seq_ge(seg->seq, c->rcv_nxt) && seq_lt(seg->seq, c->rcv_nxt + rwnd)) ||
		      (seq_ge(seg->seq + slen - 1, c->rcv_nxt) &&
		       seq_lt(seg->seq + slen - 1, c->rcv_nxt + rwnd)));
	/* MUST-66: with a zero window, ACK and RST still count; the data
	 * is trimmed away below */
	if (!ok && rwnd == 0 && seg->seq == c->rcv_nxt)
		ok = true;
	/* old data only (a retransmission of what we have) that
	 * acknowledges new data of ours: dropped as a duplicate, but its ACK
	 * counts (BSD uses it too): when both ends retransmit only old data
	 * to each other and lose the pure ACKs, ignoring it would stall both
	 * until R2 */
	if (!ok && slen > 0 && seq_le(seg->seq + slen, c->rcv_nxt) &&
	    (flags & (TH_SYN | TH_RST | TH_ACK)) == TH_ACK && seq_gt(seg->ack, c->snd_una) &&
	    seq_le(seg->ack, c->snd_max) && tcp_synchronized(c->state) &&
	    c->state != STK_TCP_TIME_WAIT) {
		/* (seg->len stays: a copy of a data segment is no duplicate
		 * ACK, RFC 5681 2) */
		flags &= (uint8_t) ~(TH_FIN | TH_URG);
		seg->flags = flags;
		c->flags |= CF_ACK_NOW;
		ok = dup = true;
	}
	if (!ok) {
		if (!(flags & TH_RST)) {
			tcp_send_ack(c);
			/* a FIN again in TIME-WAIT: ACK it, restart 2 MSL */
			if (c->state == STK_TCP_TIME_WAIT && (flags & TH_FIN))
				tcp_timer_set(c, TT_END, ctx->now + tcp->tw_ticks);
		}
		return stk_drop(ctx, m,
				seq_le(seg->seq + slen, c->rcv_nxt) ? STK_DROP_TCP_DUPLICATE
								    : STK_DROP_TCP_OUT_OF_WINDOW);
	}
	/* RFC 7323 4.3: TS.Recent from the segment that covers Last.ACK.sent */
	if (!dup && (c->flags & CF_TS) && (seg->opt.present & TOPT_TS) &&
	    seq_ge(seg->opt.tsval, c->ts_recent) && seq_le(seg->seq, c->last_ack_sent)) {
		c->ts_recent = seg->opt.tsval;
		c->ts_recent_time = ctx->now;
	}
	c->last_rx = ctx->now;
	c->ka_probes = 0;

	/* second: RST (RFC 5961 3.2: only an exact match resets) */
	if (flags & TH_RST) {
		if (seg->seq != c->rcv_nxt) {
			tcp_challenge_ack(c);
			return stk_drop(ctx, m, STK_DROP_TCP_RST_INVALID);
		}
		ctx->stats.tcp_rst_rcvd++;
		/* SYN-RECEIVED from a passive open goes back to LISTEN:
		 * the half-open entry is simply forgotten */
		if (c->state != STK_TCP_SYN_RECEIVED || (c->flags & CF_ACTIVE))
			tcp_notify_close(c, STK_TCP_CLOSE_RST);
		tcp_conn_done(c);
		stk_consume(ctx, m);
		return true;
	}
	/* fourth: SYN (RFC 5961 4.2: a challenge ACK in synchronized states;
	 * RFC 9293: back to LISTEN from a passive SYN-RECEIVED) */
	if (flags & TH_SYN) {
		if (c->state == STK_TCP_SYN_RECEIVED && !(c->flags & CF_ACTIVE))
			tcp_conn_done(c);
		else
			tcp_challenge_ack(c);
		return stk_drop(ctx, m, STK_DROP_TCP_SYN_INVALID);
	}
	/* fifth: ACK */
	if (!(flags & TH_ACK))
		return stk_drop(ctx, m, STK_DROP_TCP_NO_ACK);
	if (c->state == STK_TCP_SYN_RECEIVED) {
		if (!seq_gt(seg->ack, c->snd_una) || seq_gt(seg->ack, c->snd_max)) {
			tcp_reply_rst(ctx, ifx, m, ip, th, slen);
			return stk_drop(ctx, m, STK_DROP_TCP_BAD_ACK);
		}
		tcp_syn_acked(c, seg);
		c->snd_wnd = seg->wnd << c->snd_wscale;
		c->max_snd_wnd = RTE_MAX(c->max_snd_wnd, c->snd_wnd);
		c->snd_wl1 = seg->seq;
		if (!tcp_established(c)) {
			stk_consume(ctx, m);
			return true;
		}
	} else {
		/* RFC 5961 5.2: acceptable only inside
		 * [SND.UNA - MAX.SND.WND, SND.NXT] */
		if (seq_gt(seg->ack, c->snd_max) || seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) {
			tcp_send_ack(c);
			return stk_drop(ctx, m, STK_DROP_TCP_BAD_ACK);
		}
		if (c->state != STK_TCP_TIME_WAIT)
			tcp_ack_input(c, seg);
	}
	if (tcp_fin_acked(c)) {
		switch (c->state) {
		case STK_TCP_FIN_WAIT_1:
			tcp_set_state(c, STK_TCP_FIN_WAIT_2);
			if (!(c->flags & CF_ATTACHED))
				tcp_timer_set(c, TT_END, ctx->now + tcp->fw2_ticks);
			break;
		case STK_TCP_CLOSING:
			tcp_notify_close(c, STK_TCP_CLOSE_FIN);
			if (!(c->flags & CF_DEAD))
				tcp_time_wait(c);
			stk_consume(ctx, m);
			return true;
		case STK_TCP_LAST_ACK:
			tcp_notify_close(c, STK_TCP_CLOSE_FIN);
			tcp_conn_done(c);
			stk_consume(ctx, m);
			return true;
		default:
			break;
		}
	}
	/* sixth: URG */
	if (!tcp_urg_input(c, seg)) {
		stk_consume(ctx, m);
		return true;
	}
	if (dup)
		return tcp_finish(c, m, STK_DROP_TCP_DUPLICATE);
	return tcp_finish(c, m,
			  (seg->len > 0 || (flags & TH_FIN)) ? tcp_data_input(c, m, seg, hdr_len)
							     : TCP_M_FREE);
}

/* A new connection's entry for a segment to listener @idx: the fields
 * every passive open shares. */
static struct stk_tcp_conn *
tcp_passive_new(struct stk_ctx *ctx, const struct stk_if *ifx, const struct rte_mbuf *m,
		const struct tcp_key *k, uint8_t idx)
{
	struct stk_tcp *tcp = ctx->tcp;
	struct tcp_listener *l = &tcp->lst[idx - 1];
	struct stk_tcp_conn *c;

	if (!tcp_make_room(tcp))
		return NULL;
	c = tcp_conn_new(tcp, k);
	if (c == NULL)
		return NULL;
	c->ifx = (uint8_t)ifx->idx;
	c->peer_mac = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->src_addr;
	c->nexthop = k->rip;
	c->flags |= CF_MAC;
	c->lst = idx;
	c->ops = l->ops;
	c->arg = l->arg;
	tcp_conn_init_common(c);
	return c;
}

/* RFC 4987 3.6: an ACK for a listener that returns a valid SYN cookie
 * makes the connection the SYN did not. -1: not a cookie. */
static int
tcp_cookie_accept(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
		  const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, struct tcp_seg *seg,
		  const struct tcp_key *k, uint8_t idx, uint32_t hdr_len)
{
	struct stk_tcp *tcp = ctx->tcp;
	struct stk_tcp_conn *c;
	uint16_t mss = tcp_cookie_check(tcp, k, seg->seq - 1, seg->ack - 1);

	if (mss == 0)
		return -1;
	c = tcp_passive_new(ctx, ifx, m, k, idx);
	if (c == NULL)
		return stk_drop(ctx, m, STK_DROP_TCP_TABLE_FULL);
	ctx->stats.tcp_syncookies_ok++;
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->rcv_adv = c->rcv_nxt + RTE_MIN(tcp->rcvbuf, (uint32_t)UINT16_MAX);
	c->iss = seg->ack - 1;
	c->snd_una = c->snd_sml = c->recover = c->iss;
	c->snd_nxt = c->snd_max = c->sq_seq = c->iss + 1;
	c->mss = (uint16_t)u32_min(u32_min(mss, tcp_adv_mss(c)), tcp->seg_room);
	c->rcv_mss = tcp_adv_mss(c);
	c->cwnd = tcp_initial_cwnd(c->mss);
	c->snd_wl1 = c->irs;
	c->snd_wl2 = c->iss;
	c->backoff = 1; /* no RTT sample from a SYN-ACK we did not time */
	tcp_set_state(c, STK_TCP_SYN_RECEIVED);
	return tcp_conn_input(c, ifx, m, ip, th, seg, hdr_len);
}

/* A segment that found no connection here although the lcore's RSS model
 * (the port_ok hook: lcore/rss.c) says its flow is another lcore's: the
 * NIC steered it elsewhere than sluice expects (e.g. a key that is not
 * symmetric), and its connection, if any, lives on another lcore. Counted
 * on this miss path only, so the hash costs nothing per packet. */
static void
tcp_count_not_owner(struct stk_ctx *ctx, const struct rte_ipv4_hdr *ip,
		    const struct rte_tcp_hdr *th)
{
	const struct stk_tcp *tcp = ctx->tcp;
	struct stk_tcp_tuple t;

	if (tcp->port_ok == NULL)
		return;
	t.local_ip = ip->dst_addr;
	t.remote_ip = ip->src_addr;
	t.local_port = rte_be_to_cpu_16(th->dst_port);
	t.remote_port = rte_be_to_cpu_16(th->src_port);
	if (!tcp->port_ok(tcp->port_ok_arg, &t))
		ctx->stats.tcp_not_owner++;
}

/* RFC 9293 3.10.7.1 (CLOSED) and 3.10.7.2 (LISTEN) */
static bool
tcp_listen_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
		 const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, struct tcp_seg *seg,
		 uint32_t hdr_len)
{
	struct stk_tcp *tcp = ctx->tcp;
	uint8_t idx = tcp->lst_idx[rte_be_to_cpu_16(th->dst_port)], flags = seg->flags;
	uint32_t slen = seg->len + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
	struct tcp_listener *l;
	struct stk_tcp_conn *c;
	struct tcp_key k;

	tcp_count_not_owner(ctx, ip, th);
	if (idx == 0) {
		if (!(flags & TH_RST))
			tcp_reply_rst(ctx, ifx, m, ip, th, slen);
		return stk_drop(ctx, m, STK_DROP_TCP_NO_LISTENER);
	}
	k.lip = ip->dst_addr;
	k.rip = ip->src_addr;
	k.lport = th->dst_port;
	k.rport = th->src_port;
	if (flags & TH_RST)
		return stk_drop(ctx, m, STK_DROP_TCP_LISTEN_DROP);
	if (flags & TH_ACK) {
		int ret;

		if (!(flags & TH_SYN) && tcp->syncookies &&
		    (ret = tcp_cookie_accept(ctx, ifx, m, ip, th, seg, &k, idx, hdr_len)) >= 0)
			return ret != 0;
		/* any other acknowledgment is bad in LISTEN */
		tcp_reply_rst(ctx, ifx, m, ip, th, slen);
		return stk_drop(ctx, m, STK_DROP_TCP_LISTEN_DROP);
	}
	if (!(flags & TH_SYN))
		return stk_drop(ctx, m, STK_DROP_TCP_LISTEN_DROP);
	l = &tcp->lst[idx - 1];
	/* RELIABILITY.md 6: half-open connections are bounded per listener;
	 * beyond, SYN cookies keep the port open without state */
	if (l->n_synrcvd >= tcp->syn_backlog) {
		uint16_t mss = (seg->opt.present & TOPT_MSS) ? seg->opt.mss : TCP_MSS_DEFAULT;
		uint16_t ours = tcp_if_mss(ifx);

		if (!tcp->syncookies)
			return stk_drop(ctx, m, STK_DROP_TCP_SYN_BACKLOG);
		tcp_reply_synack(ctx, ifx, m, ip, th,
				 tcp_cookie_make(tcp, &k, seg->seq, RTE_MIN(mss, ours)), ours,
				 (uint16_t)RTE_MIN(tcp->rcvbuf, (uint32_t)UINT16_MAX));
		stk_consume(ctx, m);
		return true;
	}
	c = tcp_passive_new(ctx, ifx, m, &k, idx);
	if (c == NULL)
		return stk_drop(ctx, m, STK_DROP_TCP_TABLE_FULL);
	c->flags |= CF_HALF_OPEN;
	l->n_synrcvd++;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->iss = tcp_isn(tcp, &k);
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = c->iss;
	c->sq_seq = c->iss + 1;
	c->recover = c->iss;
	tcp_syn_options(c, seg);
	c->snd_wl2 = c->iss;
	tcp_set_state(c, STK_TCP_SYN_RECEIVED);
	/* data on the SYN is not taken: the peer sends it again */
	tcp_send_syn(c);
	stk_consume(ctx, m);
	return true;
}

bool
stk_tcp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
	      struct rte_ipv4_hdr *ip)
{
	struct stk_tcp *tcp = ctx->tcp;
	uint16_t hl = rte_ipv4_hdr_len(ip);
	uint32_t plen = (uint32_t)rte_be_to_cpu_16(ip->total_length) - hl, doff, hdr_len;
	struct rte_tcp_hdr *th;
	struct stk_tcp_conn *c;
	struct tcp_seg seg;
	struct tcp_key k;
	bool ret;

	ctx->stats.tcp_rx++;
	if (unlikely(plen < TCP_HLEN || rte_pktmbuf_data_len(m) < STK_ETH_HLEN + hl + TCP_HLEN))
		return stk_drop(ctx, m, STK_DROP_TCP_TOO_SHORT);
	th = (struct rte_tcp_hdr *)((uint8_t *)ip + hl);
	doff = (uint32_t)(th->data_off >> 4) * 4;
	if (unlikely(doff < TCP_HLEN || doff > plen))
		return stk_drop(ctx, m, STK_DROP_TCP_BAD_OFFSET);
	hdr_len = STK_ETH_HLEN + hl + doff;
	if (unlikely(rte_pktmbuf_data_len(m) < hdr_len))
		return stk_drop(ctx, m, STK_DROP_TCP_TOO_SHORT);
	if (unlikely(!tcp_cksum_ok(m, ip, (uint16_t)(STK_ETH_HLEN + hl), ifx->rx_cksum_offload)))
		return stk_drop(ctx, m, STK_DROP_TCP_BAD_CKSUM);
	seg.flags = th->tcp_flags & (TH_FIN | TH_SYN | TH_RST | TH_PSH | TH_ACK | TH_URG);
	if (unlikely((seg.flags & TH_SYN) && (seg.flags & (TH_FIN | TH_RST))))
		return stk_drop(ctx, m, STK_DROP_TCP_BAD_FLAGS);
	if (unlikely(th->src_port == 0 || th->dst_port == 0))
		return stk_drop(ctx, m, STK_DROP_TCP_BAD_PORT);
	if (unlikely(tcp_parse_options((const uint8_t *)(th + 1), doff - TCP_HLEN,
				       (seg.flags & TH_SYN) != 0, &seg.opt) != 0))
		return stk_drop(ctx, m, STK_DROP_TCP_BAD_OPTION);
	seg.seq = rte_be_to_cpu_32(th->sent_seq);
	seg.ack = rte_be_to_cpu_32(th->recv_ack);
	seg.wnd = rte_be_to_cpu_16(th->rx_win);
	seg.urp = rte_be_to_cpu_16(th->tcp_urp);
	seg.len = plen - doff;
	k.lip = ip->dst_addr;
	k.rip = ip->src_addr;
	k.lport = th->dst_port;
	k.rport = th->src_port;

	tcp_enter(tcp);
	c = tcp_conn_lookup(tcp, &k);
	if (c == NULL)
		ret = tcp_listen_input(ctx, ifx, m, ip, th, &seg, hdr_len);
	else if (unlikely(c->flags & CF_DEAD))
		ret = stk_drop(ctx, m, STK_DROP_TCP_LISTEN_DROP);
	else
		ret = tcp_conn_input(c, ifx, m, ip, th, &seg, hdr_len);
	tcp_leave(tcp);
	return ret;
}
