/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors about our TCP segments (RFC 9293 3.9.2.2, MUST-54..56,
 * SHLD-25; RFC 1122 4.2.3.9; RFC 5461; RFC 5927; RFC 1191).
 *
 * icmp.c checked the quote; here the quoted 4-tuple (seen from our side:
 * the quoted source is us) finds the connection, and the quoted sequence
 * number must lie in what that connection has in flight (RFC 5927 4.1):
 * an off-path attacker who cannot see our segments cannot guess it. Then:
 *
 * - fragmentation needed (RFC 1191): the connection's MSS comes down to
 *   the next-hop MTU, and what was in flight goes again at the new size;
 * - protocol or port unreachable, and the other codes Linux also takes
 *   as fatal, abort an opening connection (a SYN that met them will not
 *   fare better when retransmitted) and are soft in synchronized states
 *   (RFC 5461 4.1, as Linux does);
 * - every other error is soft (MUST-56): recorded for the service
 *   (stk_tcp_soft_error()), never a reason to abort.
 */
#include <errno.h>

#include "tcp_priv.h"

#define ICMP_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
#define ICMP_UNREACH_NEEDFRAG 4

/* RFC 1191 7: the common MTUs, to guess from when a router does not say */
static const uint16_t tcp_mtu_plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296};

/* Destination unreachable codes 0..15 (RFC 792, RFC 1122 3.2.2.1, RFC
 * 1812 5.2.7.1) as errno, Linux's table (icmp_err_convert) */
static const uint8_t tcp_unreach_errno[16] = {
	ENETUNREACH,  /* 0 net unreachable */
	EHOSTUNREACH, /* 1 host unreachable */
	ENOPROTOOPT,  /* 2 protocol unreachable */
	ECONNREFUSED, /* 3 port unreachable */
	EMSGSIZE,     /* 4 fragmentation needed and DF set */
	EOPNOTSUPP,   /* 5 source route failed */
	ENETUNREACH,  /* 6 destination network unknown */
	EHOSTDOWN,    /* 7 destination host unknown */
	ENONET,	      /* 8 source host isolated */
	ENETUNREACH,  /* 9 network administratively prohibited */
	EHOSTUNREACH, /* 10 host administratively prohibited */
	ENETUNREACH,  /* 11 network unreachable for TOS */
	EHOSTUNREACH, /* 12 host unreachable for TOS */
	EHOSTUNREACH, /* 13 communication administratively prohibited */
	EHOSTUNREACH, /* 14 host precedence violation */
	EHOSTUNREACH, /* 15 precedence cutoff in effect */
};

/* The codes that end an opening connection (Linux's "fatal" ones);
 * never 0, 1 or 5 (MUST-56) */
#define TCP_UNREACH_HARD                                                                           \
	((1u << 2) | (1u << 3) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10) |      \
	 (1u << 13) | (1u << 14) | (1u << 15))

/* RFC 1191 5: a router that leaves the MTU field 0 (or says less than
 * the 68 bytes every IPv4 link carries): the plateau below the length of
 * the datagram it could not forward */
static uint32_t
tcp_mtu_guess(uint32_t mtu, uint32_t dgram_len)
{
	unsigned int i;

	if (mtu >= 68)
		return mtu;
	for (i = 0; i < RTE_DIM(tcp_mtu_plateaus); i++)
		if (tcp_mtu_plateaus[i] < dgram_len)
			return tcp_mtu_plateaus[i];
	return 68;
}

/* RFC 1191 6.3 for fragmentation needed: a smaller MSS from now on, and
 * what is in flight again at that size (it was lost for being too big;
 * not a congestion signal, so cwnd stays). An MTU above the current one
 * teaches nothing (RFC 1191 6.3: only decrease). */
static bool
tcp_icmp_pmtu(struct stk_tcp_conn *c, struct rte_mbuf *m, uint16_t mtu,
	      const struct rte_ipv4_hdr *qip)
{
	struct stk_ctx *ctx = c->ctx;
	uint32_t ts_len = (c->flags & CF_TS) ? 12 : 0, mss, pmtu;

	pmtu = tcp_mtu_guess(mtu, rte_be_to_cpu_16(qip->total_length));
	/* the floor: 576 bytes, the datagram every host accepts (RFC 1122
	 * 3.3.3), so that a forged message cannot make us send floods of
	 * tiny segments; below it, DF segments just do not pass */
	pmtu = RTE_MAX(pmtu, 576u);
	mss = pmtu - STK_IP4_HLEN - TCP_HLEN - ts_len;
	/* no data in flight otherwise: the SYN is small, the peer's MSS
	 * option decides */
	if (!tcp_sends_data(c->state))
		return stk_drop(ctx, m, STK_DROP_ICMP_PMTU_IGNORED);
	if (mss >= c->mss)
		return stk_drop(ctx, m, STK_DROP_ICMP_PMTU_IGNORED);
	c->mss = (uint16_t)mss;
	ctx->stats.tcp_pmtu_lowered++;
	/* go back to SND.UNA: tcp_output() resends at the new size and
	 * counts it as retransmission (no RTT sample, Karn) */
	c->snd_nxt = c->snd_una;
	c->high_rxt = c->snd_una;
	tcp_output(c);
	stk_consume(ctx, m);
	return true;
}

static bool
tcp_icmp_conn(struct stk_tcp_conn *c, struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu,
	      const struct rte_ipv4_hdr *qip, const struct rte_tcp_hdr *qth)
{
	struct stk_ctx *ctx = c->ctx;
	uint32_t seq = rte_be_to_cpu_32(qth->sent_seq);
	bool hard = false;
	int err;

	/* RFC 5927 4.1: only a segment in flight can have caused it; SND.MAX
	 * rather than SND.NXT, which a timeout rewinds */
	if (!seq_ge(seq, c->snd_una) || !seq_lt(seq, c->snd_max))
		return stk_drop(ctx, m, STK_DROP_ICMP_BAD_SEQ);
	switch (type) {
	case ICMP_UNREACH:
		if (code == ICMP_UNREACH_NEEDFRAG)
			return tcp_icmp_pmtu(c, m, mtu, qip);
		err = code < RTE_DIM(tcp_unreach_errno) ? tcp_unreach_errno[code] : EHOSTUNREACH;
		hard = code < 32 && ((TCP_UNREACH_HARD >> code) & 1) != 0;
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	default: /* ICMP_PARAM_PROBLEM */
		err = EPROTO;
		break;
	}
	c->soft_err = -err;
	if (hard && !tcp_synchronized(c->state)) {
		ctx->stats.tcp_icmp_aborts++;
		/* a passive SYN-RECEIVED is forgotten as for a RST: no
		 * service holds it yet */
		if (c->state == STK_TCP_SYN_SENT || (c->flags & CF_ACTIVE))
			tcp_notify_close(c, STK_TCP_CLOSE_UNREACH);
		tcp_conn_done(c);
	} else {
		/* MUST-56: soft, the connection goes on; SHLD-25: the
		 * service can learn it */
		ctx->stats.tcp_icmp_soft++;
	}
	stk_consume(ctx, m);
	return true;
}

bool
stk_tcp_icmp_input(struct stk_ctx *ctx, struct rte_mbuf *m, uint8_t type, uint8_t code,
		   uint16_t mtu, const struct rte_ipv4_hdr *qip, const struct rte_tcp_hdr *qth)
{
	struct stk_tcp *tcp = ctx->tcp;
	struct stk_tcp_conn *c;
	struct tcp_key k;
	bool ret;

	/* what we sent: its source is our end */
	k.lip = qip->src_addr;
	k.rip = qip->dst_addr;
	k.lport = qth->src_port;
	k.rport = qth->dst_port;
	tcp_enter(tcp);
	c = tcp_conn_lookup(tcp, &k);
	if (c == NULL || (c->flags & CF_DEAD))
		ret = stk_drop(ctx, m, STK_DROP_ICMP_NO_CONN);
	else
		ret = tcp_icmp_conn(c, m, type, code, mtu, qip, qth);
	tcp_leave(tcp);
	return ret;
}

int
stk_tcp_soft_error(const struct stk_tcp_conn *c)
{
	if (c == NULL || c->ctx == NULL)
		return 0;
	return c->soft_err;
}
