/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP timers: a hashed timing wheel per context (Varghese and Lauck),
 * one slot per millisecond of the context clock, O(1) to start and stop.
 * A connection has one wheel entry, armed at the earliest of its
 * deadlines (retransmission or persist, delayed ACK, keepalive, TIME-WAIT);
 * a deadline that is cleared just leaves the entry to fire early and be
 * re-armed. Entries further away than the wheel is long stay in their slot
 * until their turn.
 *
 * And what the timers do: RTO (RFC 6298), persist (RFC 9293 3.8.6.1),
 * tail loss probe and reordering window (RFC 8985), delayed ACK (RFC 9293
 * 3.8.6.3), keepalive (RFC 9293 3.8.4), 2 MSL.
 */
#include "tcp_priv.h"

#define TCP_WHEEL_MASK (TCP_WHEEL_SLOTS - 1)

static void
tmr_link(struct tcp_tmr **head, struct tcp_tmr *t)
{
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

static void
tmr_unlink(struct tcp_tmr *t)
{
	if (t->pprev == NULL)
		return;
	*t->pprev = t->next;
	if (t->next != NULL)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

static uint64_t
tcp_tick_of(const struct stk_tcp *tcp, uint64_t deadline)
{
	uint64_t tick = (deadline + tcp->wheel_tick_ticks - 1) / tcp->wheel_tick_ticks;

	return tick > tcp->wheel_cur ? tick : tcp->wheel_cur + 1;
}

static void
tcp_tmr_place(struct stk_tcp *tcp, struct tcp_tmr *t, uint64_t tick)
{
	tmr_unlink(t);
	t->tick = tick;
	tmr_link(&tcp->wheel[tick & TCP_WHEEL_MASK], t);
}

void
tcp_timer_set(struct stk_tcp_conn *c, enum tcp_timer_kind k, uint64_t deadline)
{
	struct stk_tcp *tcp = c->ctx->tcp;
	uint64_t tick = tcp_tick_of(tcp, deadline);

	c->deadline[k] = deadline != 0 ? deadline : 1;
	if (c->tmr.pprev == NULL || tick < c->tmr.tick)
		tcp_tmr_place(tcp, &c->tmr, tick);
}

void
tcp_timer_clear(struct stk_tcp_conn *c, enum tcp_timer_kind k)
{
	unsigned int i;

	c->deadline[k] = 0;
	for (i = 0; i < TT_N; i++)
		if (c->deadline[i] != 0)
			return;
	tmr_unlink(&c->tmr);
}

void
tcp_timer_cancel_all(struct stk_tcp_conn *c)
{
	unsigned int i;

	for (i = 0; i < TT_N; i++)
		c->deadline[i] = 0;
	tmr_unlink(&c->tmr);
}

/* RFC 8985 7.2: may a loss probe watch this flight instead of the RTO?
 * With SACK (what the probe's ACK reveals needs it), nothing SACKed (the
 * reordering timer has that case), an RTT sample, data out, no recovery
 * (fast or after a timeout) going on, and no probe of this tail out
 * already. */
static bool
tcp_tlp_ok(const struct stk_tcp_conn *c)
{
	if ((c->flags & (CF_SACK | CF_RECOVERY | CF_AFTER_RTO | CF_PERSIST)) != CF_SACK ||
	    c->n_sack != 0 || c->srtt == 0 || c->backoff != 0 || c->snd_una == c->snd_max)
		return false;
	if ((c->flags & CF_TLP) && seq_lt(c->snd_una, c->tlp_high))
		return false;
	return tcp_synchronized(c->state) && c->state != STK_TCP_TIME_WAIT;
}

/* RFC 8985 7.2: the probe timeout for what is in flight: 2 SRTT, or
 * SRTT plus the peer's worst delayed ACK when one segment is out (its
 * ACK may be delayed), not under TCP_TLP_MIN_MS. */
static uint64_t
tcp_pto(const struct stk_tcp_conn *c)
{
	const struct stk_tcp *tcp = c->ctx->tcp;
	uint64_t pto = 2 * c->srtt;

	if (tcp_flight_size(c) <= c->mss)
		pto = RTE_MAX(pto, c->srtt + TCP_TLP_DELACK_MS * tcp->ms_ticks);
	return RTE_MAX(pto, TCP_TLP_MIN_MS * tcp->ms_ticks);
}

/* TT_RTX at the probe timeout if it comes before the RTO (at @rto_due),
 * else at the RTO. */
static void
tcp_pto_or_rto(struct stk_tcp_conn *c)
{
	uint64_t due = c->ctx->now + tcp_pto(c);

	c->flags &= ~CF_PTO;
	if (tcp_tlp_ok(c) && due < c->rto_due) {
		c->flags |= CF_PTO;
		tcp_timer_set(c, TT_RTX, due);
	} else {
		tcp_timer_set(c, TT_RTX, c->rto_due);
	}
}

/* RFC 6298 5.1, 5.3: (re)start the retransmission timer; where RFC 8985
 * 7.2 allows, the probe timer runs first. */
void
tcp_rtx_arm(struct stk_tcp_conn *c)
{
	c->rto_due = c->ctx->now + c->rto;
	tcp_pto_or_rto(c);
}

/* RFC 8985 7.2: new data went out: the probe timer restarts (and sees how
 * much is in flight now); the RTO keeps its deadline (RFC 6298 5.1). */
void
tcp_pto_rearm(struct stk_tcp_conn *c)
{
	if (c->flags & CF_PERSIST)
		return;
	if (!(c->flags & CF_PTO)) {
		if (c->deadline[TT_RTX] == 0 || !tcp_tlp_ok(c))
			return;
		c->rto_due = c->deadline[TT_RTX];
	}
	tcp_pto_or_rto(c);
}

/* RFC 8985 6.2 step 4: the reordering window, min_RTT / 4 bounded by
 * SRTT (reordering is not tracked: the multiplier stays 1); 0 without an
 * RTT sample. */
uint64_t
tcp_reo_wnd(const struct stk_tcp_conn *c)
{
	return RTE_MIN(c->rtt_min / 4, c->srtt);
}

/* RFC 8985 7.4.2: a probe that was a retransmission repaired a loss (no
 * D-SACK said it was redundant): the congestion response of a fast
 * recovery, once for the episode. */
void
tcp_tlp_loss(struct stk_tcp_conn *c)
{
	c->flags &= ~(CF_TLP | CF_TLP_RXT);
	c->ssthresh = RTE_MAX(c->cwnd / 2, 2u * c->mss);
	c->cwnd = c->ssthresh;
	c->bytes_acked = 0;
}

void
tcp_keep_arm(struct stk_tcp_conn *c)
{
	if ((c->flags & CF_KEEPALIVE) && tcp_synchronized(c->state) &&
	    c->state != STK_TCP_TIME_WAIT)
		tcp_timer_set(c, TT_KEEP, c->last_rx + c->ctx->tcp->ka_idle);
}

/* RFC 6298 2.3: RTO = SRTT + max(G, 4 RTTVAR), bounded. */
void
tcp_rto_reset(struct stk_tcp_conn *c)
{
	const struct stk_tcp *tcp = c->ctx->tcp;
	uint64_t rto;

	if (c->srtt == 0)
		return;
	rto = c->srtt + RTE_MAX(tcp->wheel_tick_ticks, 4 * c->rttvar);
	rto = RTE_MAX(rto, tcp->rto_min);
	c->rto = RTE_MIN(rto, tcp->rto_max);
}

/* RFC 6298 2.2 and 2.3, alpha = 1/8, beta = 1/4 */
void
tcp_rtt_sample(struct stk_tcp_conn *c, uint64_t r)
{
	if (r == 0)
		r = 1;
	if (c->rtt_min == 0 || r < c->rtt_min)
		c->rtt_min = r;
	if (c->srtt == 0) {
		c->srtt = r;
		c->rttvar = r / 2;
	} else {
		uint64_t delta = c->srtt > r ? c->srtt - r : r - c->srtt;

		c->rttvar = (3 * c->rttvar + delta) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
	}
	tcp_rto_reset(c);
}

/* RFC 6298 5.5: back off, up to the maximum */
static void
tcp_backoff(struct stk_tcp_conn *c)
{
	const struct stk_tcp *tcp = c->ctx->tcp;

	if (c->backoff < UINT8_MAX)
		c->backoff++;
	c->rto = RTE_MIN(c->rto * 2, tcp->rto_max);
}

static void
tcp_persist_arm(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx = c->ctx;
	uint64_t t = c->rto << RTE_MIN(c->backoff, (uint8_t)16);

	c->flags |= CF_PERSIST;
	c->flags &= ~CF_PTO;
	tcp_timer_set(c, TT_RTX,
		      ctx->now + RTE_MIN(t, stk_ms_to_ticks(ctx->hz, TCP_PERSIST_MAX_MS)));
}

/* RFC 9293 3.8.6.1 (MUST-35, MUST-36, SHLD-29, SHLD-30): probe a closed
 * window with exponential backoff, for as long as it stays closed
 * (MUST-37: no time-out). With some window but too little for SWS
 * avoidance, send what fits (RFC 1122 4.2.3.4 override). */
static void
tcp_persist_timeout(struct stk_tcp_conn *c)
{
	c->ctx->stats.tcp_persist_probes++;
	if (c->backoff < 16)
		c->backoff++;
	if (c->snd_wnd == 0) {
		tcp_send_probe(c);
	} else {
		c->flags &= ~CF_PERSIST;
		tcp_output_force(c);
	}
	if (c->deadline[TT_RTX] == 0 && c->snd_una == c->snd_max &&
	    seq_lt(c->snd_nxt, c->sq_seq + c->sq_bytes))
		tcp_persist_arm(c);
}

/* RFC 8985 7.3: the probe timer fired: one probe, then the RTO watches
 * the flight, at the deadline it had (the probe does not postpone it). A
 * previous probe still unresolved (its ACK came, no D-SACK) repaired a
 * loss. */
static void
tcp_pto_timeout(struct stk_tcp_conn *c)
{
	c->flags &= ~CF_PTO;
	if (tcp_tlp_ok(c)) {
		if (c->flags & CF_TLP_RXT)
			tcp_tlp_loss(c);
		if (tcp_send_tlp(c))
			c->ctx->stats.tcp_tlp_probes++;
	}
	if (!(c->flags & CF_DEAD) && c->snd_una != c->snd_max)
		tcp_timer_set(c, TT_RTX, RTE_MAX(c->rto_due, c->ctx->now + 1));
}

/* RFC 8985 6.2 (RACK, ordered by sequence: the oldest hole was sent before
 * the data SACKed above it): the reordering window passed and the hole is
 * still open: it is lost, recover as DupThresh would. */
static void
tcp_reo_timeout(struct stk_tcp_conn *c)
{
	if ((c->flags & (CF_SACK | CF_RECOVERY)) != CF_SACK || c->n_sack == 0 ||
	    !seq_lt(c->snd_una, c->sack[0].start) || c->snd_una == c->snd_max ||
	    c->state == STK_TCP_TIME_WAIT || !tcp_synchronized(c->state))
		return;
	if (tcp_enter_recovery(c)) {
		c->ctx->stats.tcp_rack_recoveries++;
		tcp_output(c);
	}
}

static void
tcp_rtx_timeout(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx = c->ctx;
	struct stk_tcp *tcp = ctx->tcp;
	uint64_t now = ctx->now;

	if (c->flags & CF_PERSIST) {
		tcp_persist_timeout(c);
		return;
	}
	if (c->flags & CF_PTO) {
		tcp_pto_timeout(c);
		return;
	}
	if (c->state == STK_TCP_SYN_SENT || c->state == STK_TCP_SYN_RECEIVED) {
		/* RFC 9293 MUST-20, MUST-22, MUST-23: the SYN's own R2 */
		if (c->rtx_start != 0 && now - c->rtx_start >= tcp->r2_syn_ticks) {
			if (c->state == STK_TCP_SYN_SENT || (c->flags & CF_ACTIVE))
				tcp_notify_close(c, STK_TCP_CLOSE_TIMEOUT);
			tcp_conn_done(c);
			return;
		}
		if (c->rtx_start == 0)
			c->rtx_start = now;
		tcp_backoff(c);
		ctx->stats.tcp_retransmits++;
		tcp_send_syn(c);
		return;
	}
	if (c->snd_una == c->snd_max)
		return;
	if (c->snd_wnd == 0) {
		/* MUST-37: a closed window is probed, never timed out */
		c->snd_nxt = c->snd_una;
		tcp_persist_arm(c);
		return;
	}
	/* MUST-20: close after R2 of retransmissions */
	if (c->rtx_start != 0 && now - c->rtx_start >= tcp->r2_ticks) {
		tcp_send_rst(c);
		tcp_notify_close(c, STK_TCP_CLOSE_TIMEOUT);
		tcp_conn_done(c);
		return;
	}
	if (c->rtx_start == 0)
		c->rtx_start = now;
	ctx->stats.tcp_rto++;
	/* RFC 5681 3.1: ssthresh by (4) once per loss, cwnd to the loss
	 * window; RFC 6582 4.1: remember how far the timeout reached */
	if (c->backoff == 0)
		c->ssthresh = RTE_MAX(tcp_flight_size(c) / 2, 2u * c->mss);
	c->cwnd = c->mss;
	c->bytes_acked = 0;
	c->flags &= ~(CF_RECOVERY | CF_RTT | CF_TLP | CF_TLP_RXT);
	c->flags |= CF_AFTER_RTO;
	c->recover = c->snd_max;
	c->dupacks = 0;
	c->n_sack = 0; /* RFC 2018 8: SACK information is not kept past a timeout */
	c->high_rxt = c->snd_una;
	c->snd_nxt = c->snd_una; /* go back N */
	tcp_backoff(c);
	tcp_output(c);
	if (!(c->flags & CF_DEAD) && c->deadline[TT_RTX] == 0)
		tcp_rtx_arm(c);
}

/* RFC 9293 3.8.4 (MUST-24..29): probe an idle connection, give up after
 * keepalive_probes unanswered ones. */
static void
tcp_keep_timeout(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx = c->ctx;
	struct stk_tcp *tcp = ctx->tcp;

	/* FIN-WAIT-1 too: the timer must still run when the FIN is
	 * acknowledged and a half-closed connection waits in FIN-WAIT-2 */
	if (!(c->flags & CF_KEEPALIVE) ||
	    (c->state != STK_TCP_ESTABLISHED && c->state != STK_TCP_CLOSE_WAIT &&
	     c->state != STK_TCP_FIN_WAIT_1 && c->state != STK_TCP_FIN_WAIT_2))
		return;
	if (c->snd_una != c->snd_max) {
		/* data outstanding: the retransmission timer watches the peer */
		tcp_timer_set(c, TT_KEEP, ctx->now + tcp->ka_intvl);
		return;
	}
	if (c->ka_probes == 0 && ctx->now - c->last_rx < tcp->ka_idle) {
		tcp_timer_set(c, TT_KEEP, c->last_rx + tcp->ka_idle);
		return;
	}
	if (c->ka_probes >= tcp->ka_probes) {
		tcp_send_rst(c);
		tcp_notify_close(c, STK_TCP_CLOSE_TIMEOUT);
		tcp_conn_done(c);
		return;
	}
	c->ka_probes++;
	ctx->stats.tcp_keepalive_probes++;
	tcp_send_probe(c);
	tcp_timer_set(c, TT_KEEP, ctx->now + tcp->ka_intvl);
}

static void
tcp_end_timeout(struct stk_tcp_conn *c)
{
	/* TIME-WAIT over; or FIN-WAIT-2 after close() waited long enough */
	if (c->state == STK_TCP_TIME_WAIT ||
	    (c->state == STK_TCP_FIN_WAIT_2 && !(c->flags & CF_ATTACHED)))
		tcp_conn_done(c);
}

static void
tcp_conn_timers(struct stk_tcp_conn *c)
{
	struct stk_tcp *tcp = c->ctx->tcp;
	uint64_t now = c->ctx->now, next = 0;
	unsigned int k;

	for (k = 0; k < TT_N; k++) {
		if (c->deadline[k] == 0 || c->deadline[k] > now)
			continue;
		c->deadline[k] = 0;
		switch (k) {
		case TT_RTX:
			tcp_rtx_timeout(c);
			break;
		case TT_REO:
			tcp_reo_timeout(c);
			break;
		case TT_DELACK:
			if (c->flags & CF_DELACK) {
				c->ctx->stats.tcp_delayed_acks++;
				tcp_send_ack(c);
			}
			break;
		case TT_KEEP:
			tcp_keep_timeout(c);
			break;
		default:
			tcp_end_timeout(c);
			break;
		}
		if (c->ctx == NULL || (c->flags & CF_DEAD))
			return;
	}
	for (k = 0; k < TT_N; k++)
		if (c->deadline[k] != 0 && (next == 0 || c->deadline[k] < next))
			next = c->deadline[k];
	if (next == 0)
		tmr_unlink(&c->tmr);
	else
		tcp_tmr_place(tcp, &c->tmr, tcp_tick_of(tcp, next));
}

/* Fire what in @slot is due by tick @upto; the rest stays. */
static void
tcp_wheel_slot(struct stk_tcp *tcp, uint32_t slot, uint64_t upto)
{
	struct tcp_tmr *keep = NULL, *t;

	while ((t = tcp->wheel[slot]) != NULL) {
		tmr_unlink(t);
		if (t->tick > upto)
			tmr_link(&keep, t);
		else
			tcp_conn_timers(container_of(t, struct stk_tcp_conn, tmr));
	}
	while ((t = keep) != NULL) {
		tmr_unlink(t);
		tmr_link(&tcp->wheel[slot], t);
	}
}

void
stk_tcp_timer(struct stk_ctx *ctx)
{
	struct stk_tcp *tcp = ctx->tcp;
	uint64_t target;
	uint32_t i;

	if (tcp == NULL)
		return;
	target = ctx->now / tcp->wheel_tick_ticks;
	if (target <= tcp->wheel_cur)
		return;
	tcp_enter(tcp);
	if (target - tcp->wheel_cur >= TCP_WHEEL_SLOTS) {
		/* the clock jumped a whole turn: one pass over every slot */
		tcp->wheel_cur = target;
		for (i = 0; i < TCP_WHEEL_SLOTS; i++)
			tcp_wheel_slot(tcp, i, target);
	} else {
		while (tcp->wheel_cur < target) {
			tcp->wheel_cur++;
			tcp_wheel_slot(tcp, (uint32_t)(tcp->wheel_cur & TCP_WHEEL_MASK),
				       tcp->wheel_cur);
		}
	}
	tcp_leave(tcp);
}
