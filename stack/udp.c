/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP (RFC 768): validation, O(1) demultiplexing by destination port to
 * the bound services, replies built in place, and datagrams sent by
 * services.
 */
#include <errno.h>
#include <string.h>

#include "stk_priv.h"

#define STK_ICMP_DEST_UNREACH 3
#define STK_ICMP_PORT_UNREACH 3

bool
stk_udp4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, bool offload)
{
	const struct rte_udp_hdr *udp =
		(const struct rte_udp_hdr *)((const uint8_t *)ip + rte_ipv4_hdr_len(ip));
	uint16_t l4_off;

	/* RFC 768: an all-zero checksum means the sender computed none */
	if (udp->dgram_cksum == 0)
		return true;
	if (offload) {
		uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			return true;
		if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
			return false;
	}
	l4_off = (uint16_t)((const uint8_t *)udp - rte_pktmbuf_mtod(m, const uint8_t *));
	if (likely(m->nb_segs == 1)) {
		/* RFC 768 pseudo-header (addresses, protocol, UDP length) and
		 * the datagram in one pass; the input path has checked that
		 * the UDP length fits in the segment. */
		uint64_t acc = (uint64_t)ip->src_addr + ip->dst_addr +
			       rte_cpu_to_be_16(IPPROTO_UDP) + udp->dgram_len;
		uint16_t ulen = rte_be_to_cpu_16(udp->dgram_len);

		if (unlikely(ulen > rte_pktmbuf_data_len(m) - l4_off))
			return false;
		return stk_sum64_fold(stk_sum64(udp, ulen, acc)) == 0xffff;
	}
	return stk_ip4_l4_sum(m, ip, l4_off) == 0xffff;
}

static void
stk_udp_out_cksum(const struct stk_if *ifx, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  struct rte_udp_hdr *udp)
{
	m->l4_len = STK_UDP_HLEN;
	udp->dgram_cksum = 0;
	if (ifx->tx_udp_cksum_offload) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
	} else if (likely(m->nb_segs == 1)) {
		udp->dgram_cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, STK_ETH_HLEN + STK_IP4_HLEN);
	} else {
		uint16_t ck = (uint16_t)~stk_ip4_l4_sum(m, ip, STK_ETH_HLEN + STK_IP4_HLEN);

		/* RFC 768: a computed zero is sent as all ones */
		udp->dgram_cksum = ck != 0 ? ck : 0xffff;
	}
}

static void
stk_udp_swap_ports(struct rte_udp_hdr *udp)
{
	rte_be16_t p = udp->src_port;

	udp->src_port = udp->dst_port;
	udp->dst_port = p;
}

/* The reply to a received datagram, in place, with @len payload bytes. */
static void
stk_udp_reply_build(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
		    struct rte_ipv4_hdr *ip, uint16_t len)
{
	struct rte_udp_hdr *udp;

	ip = stk_ip4_reply_prep(ctx, ifx, m, ip, STK_IP4_HLEN + STK_UDP_HLEN + len);
	udp = (struct rte_udp_hdr *)(ip + 1);
	stk_udp_swap_ports(udp);
	udp->dgram_len = rte_cpu_to_be_16(STK_UDP_HLEN + len);
	m->data_len = STK_HDRS_UDP + len;
	m->pkt_len = m->data_len;
	stk_udp_out_cksum(ifx, m, ip, udp);
}

int
stk_udp_reply_deferred(struct stk_ctx *ctx, uint16_t port_id, struct rte_mbuf *m, uint16_t len)
{
	const struct stk_if *ifx = NULL;
	struct rte_ipv4_hdr *ip;
	size_t room;
	uint16_t i, hl;

	if (ctx == NULL || m == NULL) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	for (i = 0; i < ctx->n_ifs; i++)
		if (ctx->ifs[i].port_id == port_id)
			ifx = &ctx->ifs[i];
	if (unlikely(ifx == NULL || m->nb_segs != 1 ||
		     m->data_len < STK_ETH_HLEN + STK_IP4_HLEN + STK_UDP_HLEN)) {
		stk_drop(ctx, m, STK_DROP_UDP_SVC_DROP);
		return -EINVAL;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, STK_ETH_HLEN);
	hl = rte_ipv4_hdr_len(ip);
	/* the room udp_rx offered: from the payload to the buffer's end */
	room = (size_t)((uint8_t *)m->buf_addr + m->buf_len -
			(rte_pktmbuf_mtod(m, uint8_t *) + STK_ETH_HLEN + hl + STK_UDP_HLEN));
	room = RTE_MIN(room, (size_t)(ifx->mtu - STK_IP4_HLEN - STK_UDP_HLEN));
	if (unlikely(m->data_len < STK_ETH_HLEN + hl + STK_UDP_HLEN || len > room)) {
		stk_drop(ctx, m, STK_DROP_UDP_SVC_DROP);
		return -EINVAL;
	}
	stk_udp_reply_build(ctx, ifx, m, ip, len);
	ctx->stats.udp_tx++;
	stk_tx(ctx, ifx->idx, m);
	if (!ctx->in_burst)
		stk_flush(ctx);
	return 0;
}

bool
stk_udp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
	      struct rte_ipv4_hdr *ip)
{
	const struct stk_udp_bind *b;
	struct rte_udp_hdr *udp;
	struct stk_udp_msg msg;
	enum stk_udp_verdict v;
	uint16_t hl = rte_ipv4_hdr_len(ip);
	uint16_t ip_plen = rte_be_to_cpu_16(ip->total_length) - hl;
	uint16_t ulen;
	uint8_t idx;
	size_t room;

	ctx->stats.udp_rx++;
	if (unlikely(ip_plen < STK_UDP_HLEN ||
		     rte_pktmbuf_data_len(m) < STK_ETH_HLEN + hl + STK_UDP_HLEN))
		return stk_drop(ctx, m, STK_DROP_UDP_TOO_SHORT);
	udp = (struct rte_udp_hdr *)((uint8_t *)ip + hl);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen < STK_UDP_HLEN || ulen > ip_plen))
		return stk_drop(ctx, m, STK_DROP_UDP_BAD_LEN);
	if (unlikely(ulen < ip_plen)) {
		/* RFC 768: the UDP length delimits the datagram. Make the IP
		 * header agree so that checksums and replies see one length. */
		rte_be16_t old = ip->total_length;

		ip->total_length = rte_cpu_to_be_16(hl + ulen);
		ip->hdr_checksum = stk_cksum_adjust16(ip->hdr_checksum, old, ip->total_length);
		stk_mbuf_trim(m, STK_ETH_HLEN + hl + ulen);
	}
	if (unlikely(!stk_udp4_cksum_ok(m, ip, ifx->rx_cksum_offload)))
		return stk_drop(ctx, m, STK_DROP_UDP_BAD_CKSUM);

	idx = ctx->udp_port_idx[rte_be_to_cpu_16(udp->dst_port)];
	if (idx == 0) {
		/* RFC 1122 4.1.3.1: SHOULD send port unreachable */
		stk_icmp_error(ctx, ifx, m, ip, STK_ICMP_DEST_UNREACH, STK_ICMP_PORT_UNREACH);
		return stk_drop(ctx, m, STK_DROP_UDP_NO_LISTENER);
	}
	/* services see the payload as one contiguous buffer */
	if (unlikely(m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0))
		return stk_drop(ctx, m, STK_DROP_UDP_TOO_SHORT);

	m->l4_len = STK_UDP_HLEN;
	msg.m = m;
	msg.data = (uint8_t *)(udp + 1);
	msg.len = ulen - STK_UDP_HLEN;
	room = (size_t)((uint8_t *)m->buf_addr + m->buf_len - msg.data);
	msg.room = (uint16_t)RTE_MIN(room, (size_t)(ifx->mtu - STK_IP4_HLEN - STK_UDP_HLEN));
	msg.src_ip = ip->src_addr;
	msg.dst_ip = ip->dst_addr;
	msg.src_port = rte_be_to_cpu_16(udp->src_port);
	msg.dst_port = rte_be_to_cpu_16(udp->dst_port);
	msg.port_id = ifx->port_id;
	b = &ctx->binds[idx - 1];
	ctx->stats.udp_delivered++;
	v = b->fn(b->arg, &msg);

	switch (v) {
	case STK_UDP_REPLY_SAME:
		/* swapping addresses and ports leaves the UDP checksum valid */
		ip = stk_ip4_reply_prep(ctx, ifx, m, ip, STK_IP4_HLEN + ulen);
		stk_udp_swap_ports((struct rte_udp_hdr *)(ip + 1));
		m->l4_len = STK_UDP_HLEN;
		break;
	case STK_UDP_REPLY:
		if (unlikely(msg.len > msg.room))
			return stk_drop(ctx, m, STK_DROP_UDP_SVC_DROP);
		stk_udp_reply_build(ctx, ifx, m, ip, msg.len);
		break;
	case STK_UDP_CONSUMED:
		return true;
	default:
		return stk_drop(ctx, m, STK_DROP_UDP_SVC_DROP);
	}
	ctx->stats.udp_tx++;
	stk_tx(ctx, ifx->idx, m);
	return true;
}

int
stk_udp_bind(struct stk_ctx *ctx, uint16_t port, stk_udp_rx_fn fn, void *arg)
{
	unsigned int i;

	if (ctx == NULL || port == 0 || fn == NULL)
		return -EINVAL;
	if (ctx->udp_port_idx[port] != 0)
		return -EEXIST;
	for (i = 0; i < STK_UDP_MAX_BINDS; i++) {
		if (ctx->binds[i].fn == NULL) {
			ctx->binds[i].fn = fn;
			ctx->binds[i].arg = arg;
			ctx->binds[i].port = port;
			ctx->udp_port_idx[port] = (uint8_t)(i + 1);
			return 0;
		}
	}
	return -ENOSPC;
}

int
stk_udp_unbind(struct stk_ctx *ctx, uint16_t port)
{
	uint8_t idx;

	if (ctx == NULL)
		return -EINVAL;
	idx = ctx->udp_port_idx[port];
	if (idx == 0)
		return -ENOENT;
	ctx->udp_port_idx[port] = 0;
	ctx->binds[idx - 1].fn = NULL;
	ctx->binds[idx - 1].arg = NULL;
	ctx->binds[idx - 1].port = 0;
	return 0;
}

static int
stk_udp_send_one(struct stk_ctx *ctx, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		 struct rte_mbuf *m)
{
	const struct stk_if *ifx;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t nexthop, plen = rte_pktmbuf_pkt_len(m);

	ifx = stk_ip4_route(ctx, dst_ip, &nexthop);
	if (ifx == NULL || (stk_ip4_martian(ifx, dst_ip) && dst_ip != ifx->bcast) || dst_ip == 0) {
		stk_drop(ctx, m, STK_DROP_IP4_NO_ROUTE);
		return -ENETUNREACH;
	}
	if (dst_port == 0 || plen > (uint32_t)ifx->mtu - STK_IP4_HLEN - STK_UDP_HLEN ||
	    rte_pktmbuf_headroom(m) < STK_HDRS_UDP) {
		stk_drop(ctx, m, STK_DROP_UDP_TX_BAD);
		return plen > (uint32_t)ifx->mtu - STK_IP4_HLEN - STK_UDP_HLEN ? -EMSGSIZE
									       : -EINVAL;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, STK_HDRS_UDP);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	eth->src_addr = ifx->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(STK_IP4_HLEN + STK_UDP_HLEN + plen));
	/* RFC 6864 4.1: the ID of an atomic (DF, unfragmented) datagram has no meaning */
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = ctx->ttl;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = ifx->ip;
	ip->dst_addr = dst_ip;
	udp->src_port = rte_cpu_to_be_16(src_port);
	udp->dst_port = rte_cpu_to_be_16(dst_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(STK_UDP_HLEN + plen));
	m->ol_flags &= STK_OL_KEEP;
	stk_ip4_out_cksum(ifx, m, ip);
	stk_udp_out_cksum(ifx, m, ip, udp);

	if (dst_ip == ifx->bcast) {
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
		ctx->stats.udp_tx++;
		stk_tx(ctx, ifx->idx, m);
		return 0;
	}
	return stk_arp_output(ctx, ifx, nexthop, m);
}

int
stk_udp_send(struct stk_ctx *ctx, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
	     struct rte_mbuf *m)
{
	int ret;

	if (ctx == NULL || m == NULL) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	ret = stk_udp_send_one(ctx, dst_ip, src_port, dst_port, m);
	/* inside a burst (a service sending from its rx callback) the burst
	 * flushes; otherwise send now */
	if (!ctx->in_burst)
		stk_flush(ctx);
	return ret;
}
