/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP (RFC 792, RFC 1122 3.2.2): echo replies built in place,
 * rate-limited destination-unreachable errors, and the errors we receive
 * about our own TCP segments, handed to TCP (RFC 1122 4.2.3.9).
 */
#include <string.h>

#include <rte_tcp.h>

#include "stk_priv.h"

#define STK_ICMP_QUOTE_DATA 8 /* RFC 792: IP header + first 64 bits of data */
#define STK_ICMP_UNREACH 3
#define STK_ICMP_SOURCE_QUENCH 4
#define STK_ICMP_TIME_EXCEEDED 11
#define STK_ICMP_PARAM_PROBLEM 12
#define STK_IP4_HLEN_MAX 60

/* Token bucket in units of 1/hz token: refilled by icmp_rate tokens per
 * second of the context clock, at most icmp_burst deep. */
static bool
stk_icmp_token(struct stk_ctx *ctx)
{
	uint64_t elapsed = ctx->now > ctx->icmp_last ? ctx->now - ctx->icmp_last : 0;

	ctx->icmp_last = ctx->now;
	if (ctx->icmp_rate != 0 && elapsed != 0) {
		uint64_t room = ctx->icmp_cap - ctx->icmp_tokens;

		if (elapsed > room / ctx->icmp_rate)
			ctx->icmp_tokens = ctx->icmp_cap;
		else
			ctx->icmp_tokens += elapsed * ctx->icmp_rate;
	}
	if (ctx->icmp_tokens < ctx->icmp_cost)
		return false;
	ctx->icmp_tokens -= ctx->icmp_cost;
	return true;
}

void
stk_icmp_error(struct stk_ctx *ctx, const struct stk_if *ifx, const struct rte_mbuf *m,
	       const struct rte_ipv4_hdr *ip, uint8_t type, uint8_t code)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ether_hdr *oeth;
	struct rte_ipv4_hdr *oip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *e;
	uint16_t hl = rte_ipv4_hdr_len(ip);
	uint16_t quote = hl + RTE_MIN((uint16_t)(rte_be_to_cpu_16(ip->total_length) - hl),
				      (uint16_t)STK_ICMP_QUOTE_DATA);
	const void *src;
	uint8_t *q;

	/* RFC 1122 3.2.2: never about a link-layer broadcast or multicast.
	 * Callers already exclude ICMP, fragments, non-unicast destinations
	 * and martian sources. */
	if (!rte_is_unicast_ether_addr(&eth->dst_addr))
		return;
	if (!stk_icmp_token(ctx)) {
		ctx->stats.icmp_errors_ratelimited++;
		return;
	}
	e = rte_pktmbuf_alloc(ctx->mp);
	if (unlikely(e == NULL)) {
		ctx->drops[STK_DROP_NO_MBUF]++;
		return;
	}
	oeth = (struct rte_ether_hdr *)rte_pktmbuf_append(e, STK_ETH_HLEN + STK_IP4_HLEN +
								     STK_ICMP_HLEN + quote);
	if (unlikely(oeth == NULL)) {
		rte_pktmbuf_free(e);
		ctx->drops[STK_DROP_NO_MBUF]++;
		return;
	}
	oip = (struct rte_ipv4_hdr *)(oeth + 1);
	icmp = (struct rte_icmp_hdr *)(oip + 1);
	q = (uint8_t *)(icmp + 1);
	src = rte_pktmbuf_read(m, STK_ETH_HLEN, quote, q);
	if (unlikely(src == NULL)) {
		rte_pktmbuf_free(e);
		return;
	}
	if (src != q)
		memcpy(q, src, quote);

	oeth->dst_addr = eth->src_addr;
	oeth->src_addr = ifx->mac;
	oeth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(oip, 0, sizeof(*oip));
	oip->version_ihl = RTE_IPV4_VHL_DEF;
	oip->total_length = rte_cpu_to_be_16(STK_IP4_HLEN + STK_ICMP_HLEN + quote);
	oip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	oip->time_to_live = ctx->ttl;
	oip->next_proto_id = IPPROTO_ICMP;
	oip->src_addr = ifx->ip;
	oip->dst_addr = ip->src_addr;
	memset(icmp, 0, sizeof(*icmp));
	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, STK_ICMP_HLEN + quote);
	stk_ip4_out_cksum(ifx, e, oip);
	ctx->stats.icmp_errors_sent++;
	stk_tx(ctx, ifx->idx, e);
}

/*
 * An error about a datagram we sent: the message quotes its IPv4 header
 * and at least 8 bytes after it (RFC 792, RFC 1122 3.2.2). Every length
 * is checked against what arrived before it is used (RELIABILITY.md 1);
 * errors about TCP go to TCP, the others have no one to tell. Nothing is
 * ever sent in answer (RFC 1122 3.2.2: no error about an error).
 * @off: offset of the ICMP header in @m, @len: ICMP bytes.
 */
static bool
stk_icmp_error_input(struct stk_ctx *ctx, struct rte_mbuf *m, const struct rte_icmp_hdr *icmp,
		     uint32_t off, uint32_t len)
{
	uint8_t buf[STK_IP4_HLEN_MAX + STK_ICMP_QUOTE_DATA];
	const struct rte_ipv4_hdr *qip;
	struct rte_tcp_hdr qth;
	const uint8_t *q;
	uint32_t qhl;

	if (len < STK_ICMP_HLEN + STK_IP4_HLEN + STK_ICMP_QUOTE_DATA)
		return stk_drop(ctx, m, STK_DROP_ICMP_BAD_QUOTE);
	qip = rte_pktmbuf_read(m, off + STK_ICMP_HLEN, STK_IP4_HLEN, buf);
	if (unlikely(qip == NULL))
		return stk_drop(ctx, m, STK_DROP_ICMP_BAD_QUOTE);
	qhl = (uint32_t)(qip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	/* a fragment past the first quotes no transport header; we never
	 * send fragments (DF), so such a quote is not about us anyway */
	if ((qip->version_ihl >> 4) != IPVERSION || qhl < STK_IP4_HLEN ||
	    STK_ICMP_HLEN + qhl + STK_ICMP_QUOTE_DATA > len ||
	    (qip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return stk_drop(ctx, m, STK_DROP_ICMP_BAD_QUOTE);
	if (qip->next_proto_id != IPPROTO_TCP || ctx->tcp == NULL)
		return stk_drop(ctx, m, STK_DROP_ICMP_UNHANDLED);
	q = rte_pktmbuf_read(m, off + STK_ICMP_HLEN, qhl + STK_ICMP_QUOTE_DATA, buf);
	if (unlikely(q == NULL))
		return stk_drop(ctx, m, STK_DROP_ICMP_BAD_QUOTE);
	qip = (const struct rte_ipv4_hdr *)q;
	memset(&qth, 0, sizeof(qth));
	memcpy(&qth, q + qhl, STK_ICMP_QUOTE_DATA); /* ports and sequence number */
	/* RFC 1191 4: the next-hop MTU sits in the low 16 bits of the
	 * otherwise unused word */
	return stk_tcp_icmp_input(ctx, m, icmp->icmp_type, icmp->icmp_code,
				  rte_be_to_cpu_16(icmp->icmp_seq_nb), qip, &qth);
}

bool
stk_icmp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip)
{
	struct rte_icmp_hdr *icmp;
	uint16_t hl = rte_ipv4_hdr_len(ip);
	uint16_t len = rte_be_to_cpu_16(ip->total_length) - hl;
	uint16_t sum, w_old, w_new;

	if (unlikely(len < STK_ICMP_HLEN ||
		     rte_pktmbuf_data_len(m) < STK_ETH_HLEN + hl + STK_ICMP_HLEN))
		return stk_drop(ctx, m, STK_DROP_ICMP_TOO_SHORT);
	if (unlikely(stk_raw_cksum_mbuf(m, STK_ETH_HLEN + hl, len, &sum) != 0 || sum != 0xffff))
		return stk_drop(ctx, m, STK_DROP_ICMP_BAD_CKSUM);
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, STK_ETH_HLEN + hl);
	switch (icmp->icmp_type) {
	case RTE_IP_ICMP_ECHO_REQUEST:
		break;
	case STK_ICMP_UNREACH:
	case STK_ICMP_TIME_EXCEEDED:
	case STK_ICMP_PARAM_PROBLEM:
		return stk_icmp_error_input(ctx, m, icmp, STK_ETH_HLEN + hl, len);
	case STK_ICMP_SOURCE_QUENCH:
		/* RFC 9293 MUST-55, RFC 6633: silently discarded */
		return stk_drop(ctx, m, STK_DROP_ICMP_SOURCE_QUENCH);
	default:
		return stk_drop(ctx, m, STK_DROP_ICMP_UNHANDLED);
	}
	if (icmp->icmp_code != 0)
		return stk_drop(ctx, m, STK_DROP_ICMP_UNHANDLED);

	/* RFC 792: same identifier, sequence and data; only the type and
	 * the checksum change (RFC 1624 update, valid for any length). */
	memcpy(&w_old, icmp, sizeof(w_old));
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&w_new, icmp, sizeof(w_new));
	icmp->icmp_cksum = stk_cksum_adjust16(icmp->icmp_cksum, w_old, w_new);
	stk_ip4_reply_prep(ctx, ifx, m, ip, STK_IP4_HLEN + len);
	ctx->stats.icmp_echo_replies++;
	stk_tx(ctx, ifx->idx, m);
	return true;
}
