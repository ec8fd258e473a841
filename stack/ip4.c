/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 (RFC 791, host requirements of RFC 1122 3.2.1): header validation,
 * routing by interface subnet and gateway, and the in-place turn-around of
 * a received header into the header of our reply.
 */
#include <stddef.h>
#include <string.h>

#include "stk_priv.h"

#define STK_ICMP_DEST_UNREACH 3
#define STK_ICMP_PROTO_UNREACH 2
/* TTL and protocol share the 16-bit word at this offset */
#define STK_IP4_TTL_OFF offsetof(struct rte_ipv4_hdr, time_to_live)

bool
stk_ip4_hdr_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, bool offload)
{
	if (offload) {
		uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

		if (f == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
			return true;
		if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD)
			return false;
	}
	/* the sum over a header including its checksum is all ones; the
	 * constant length of the common case lets the compiler unroll it */
	if (likely(ip->version_ihl == RTE_IPV4_VHL_DEF))
		return stk_sum64_fold(stk_sum64(ip, STK_IP4_HLEN, 0)) == 0xffff;
	return stk_sum64_fold(stk_sum64(ip, rte_ipv4_hdr_len(ip), 0)) == 0xffff;
}

/*
 * IP options (only when IHL > 5): each one's length is checked against the
 * header (RELIABILITY.md 1); any other option is ignored (RFC 1122
 * 3.2.1.8, RFC 9293 MUST-50). Source-routed datagrams (LSRR, SSRR) are
 * dropped, as RFC 7126 4.3-4.4 advises hosts and Linux does by default
 * (accept_source_route = 0): so sluice never needs the return route of
 * RFC 9293 MUST-51..53.
 */
static enum stk_drop
ip4_options_check(const struct rte_ipv4_hdr *ip, uint32_t hl) /* STK_DROP_MAX: fine */
{
	const uint8_t *o = (const uint8_t *)(ip + 1);
	uint32_t left = hl - STK_IP4_HLEN, len;

	while (left > 0) {
		switch (o[0]) {
		case 0: /* end of options */
			return STK_DROP_MAX;
		case 1: /* no operation */
			len = 1;
			break;
		default:
			if (left < 2 || o[1] < 2 || o[1] > left)
				return STK_DROP_IP4_BAD_OPTION;
			if (o[0] == 0x83 || o[0] == 0x89) /* LSRR, SSRR */
				return STK_DROP_IP4_SOURCE_ROUTE;
			len = o[1];
			break;
		}
		o += len;
		left -= len;
	}
	return STK_DROP_MAX;
}

bool
stk_ip4_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	uint32_t l3_bytes, hl, total;

	ctx->stats.ip4_rx++;
	/* Headers must sit in the first segment; l3_bytes counts all of them. */
	if (unlikely(rte_pktmbuf_data_len(m) < STK_ETH_HLEN + STK_IP4_HLEN))
		return stk_drop(ctx, m, STK_DROP_IP4_TOO_SHORT);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, STK_ETH_HLEN);
	if (unlikely((ip->version_ihl >> 4) != IPVERSION))
		return stk_drop(ctx, m, STK_DROP_IP4_BAD_VERSION);
	hl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (unlikely(hl < STK_IP4_HLEN || hl > (uint32_t)rte_pktmbuf_data_len(m) - STK_ETH_HLEN))
		return stk_drop(ctx, m, STK_DROP_IP4_BAD_IHL);
	total = rte_be_to_cpu_16(ip->total_length);
	l3_bytes = rte_pktmbuf_pkt_len(m) - STK_ETH_HLEN;
	if (unlikely(total < hl || total > l3_bytes))
		return stk_drop(ctx, m, STK_DROP_IP4_BAD_LEN);
	if (unlikely(!stk_ip4_hdr_cksum_ok(m, ip, ifx->rx_cksum_offload)))
		return stk_drop(ctx, m, STK_DROP_IP4_BAD_CKSUM);
	if (unlikely(hl > STK_IP4_HLEN)) {
		enum stk_drop why = ip4_options_check(ip, hl);

		if (why != STK_DROP_MAX)
			return stk_drop(ctx, m, why);
	}
	/* RELIABILITY.md 4: no reassembly */
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return stk_drop(ctx, m, STK_DROP_IP4_FRAGMENT);
	/* RFC 1122 3.2.1.3: discard datagrams from addresses that cannot be
	 * a host (so that we never answer to them either) */
	if (unlikely(stk_ip4_martian(ifx, ip->src_addr)))
		return stk_drop(ctx, m, STK_DROP_IP4_BAD_SRC);
	if (ip->dst_addr != ifx->ip)
		return stk_drop(ctx, m, STK_DROP_IP4_NOT_FOR_US);
	/* Ethernet pads short frames to 60 bytes (RFC 894) */
	if (total < l3_bytes)
		stk_mbuf_trim(m, STK_ETH_HLEN + total);
	m->l3_len = hl;

	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		return stk_udp_input(ctx, ifx, m, ip);
	case IPPROTO_ICMP:
		return stk_icmp_input(ctx, ifx, m, ip);
	case IPPROTO_TCP:
		if (ctx->tcp != NULL)
			return stk_tcp_input(ctx, ifx, m, ip);
		/* TCP is off: like any other protocol */
		/* fall through */
	default:
		/* RFC 1122 3.2.2.1: SHOULD send protocol unreachable */
		stk_icmp_error(ctx, ifx, m, ip, STK_ICMP_DEST_UNREACH, STK_ICMP_PROTO_UNREACH);
		return stk_drop(ctx, m, STK_DROP_IP4_UNKNOWN_PROTO);
	}
}

const struct stk_if *
stk_ip4_route(const struct stk_ctx *ctx, uint32_t dst, uint32_t *nexthop)
{
	uint16_t i;

	for (i = 0; i < ctx->n_ifs; i++) {
		if (stk_ip4_in_subnet(&ctx->ifs[i], dst)) {
			*nexthop = dst;
			return &ctx->ifs[i];
		}
	}
	for (i = 0; i < ctx->n_ifs; i++) {
		if (ctx->ifs[i].gateway != 0) {
			*nexthop = ctx->ifs[i].gateway;
			return &ctx->ifs[i];
		}
	}
	return NULL;
}

void
stk_ip4_out_cksum(const struct stk_if *ifx, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	m->l2_len = STK_ETH_HLEN;
	m->l3_len = rte_ipv4_hdr_len(ip);
	ip->hdr_checksum = 0;
	if (ifx->tx_ip_cksum_offload)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/*
 * Turn a received frame around in place: the reply goes to the request's
 * source MAC rather than through an ARP lookup. That saves a table lookup
 * per packet and is right whenever the link-layer path is symmetric (the
 * sender reached us directly or through the router that will carry our
 * answer back), which is the case on the segments sluice serves.
 *
 * IP options are not echoed (RFC 1122 3.2.1.8 lets a host omit them): the
 * Ethernet and fixed IP headers slide forward over them so that the payload
 * stays where it is. Returns the (possibly moved) IP header.
 */
struct rte_ipv4_hdr *
stk_ip4_reply_prep(const struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
		   struct rte_ipv4_hdr *ip, uint16_t total_len)
{
	struct rte_ether_hdr *eth;
	uint16_t hl = rte_ipv4_hdr_len(ip);
	uint16_t w_ttl_old, w_ttl_new, w_frag_old, w_len_old;
	bool full = false;

	if (unlikely(hl > STK_IP4_HLEN)) {
		uint16_t opt = hl - STK_IP4_HLEN;

		memmove(rte_pktmbuf_mtod_offset(m, uint8_t *, opt), rte_pktmbuf_mtod(m, uint8_t *),
			STK_ETH_HLEN + STK_IP4_HLEN);
		rte_pktmbuf_adj(m, opt);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, STK_ETH_HLEN);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		full = true;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = ifx->mac;

	memcpy(&w_ttl_old, (const uint8_t *)ip + STK_IP4_TTL_OFF, sizeof(w_ttl_old));
	w_frag_old = ip->fragment_offset;
	w_len_old = ip->total_length;
	/* the input path accepted only dst == ifx->ip, so this is a swap and
	 * leaves every checksum covering the addresses unchanged */
	ip->dst_addr = ip->src_addr;
	ip->src_addr = ifx->ip;
	ip->time_to_live = ctx->ttl;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->total_length = rte_cpu_to_be_16(total_len);
	memcpy(&w_ttl_new, (const uint8_t *)ip + STK_IP4_TTL_OFF, sizeof(w_ttl_new));

	m->ol_flags &= STK_OL_KEEP;
	m->l2_len = STK_ETH_HLEN;
	m->l3_len = STK_IP4_HLEN;
	if (ifx->tx_ip_cksum_offload) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		ip->hdr_checksum = 0;
	} else if (full) {
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		/* RFC 1624 eqn. 3 for the three words that changed, in one
		 * sum: HC' = ~(~HC + ~m1 + m1' + ~m2 + m2' + ~m3 + m3') */
		uint32_t sum = (uint16_t)~ip->hdr_checksum + (uint32_t)(uint16_t)~w_ttl_old +
			       w_ttl_new + (uint16_t)~w_frag_old + ip->fragment_offset +
			       (uint16_t)~w_len_old + ip->total_length;

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->hdr_checksum = (uint16_t)~sum;
	}
	return ip;
}
