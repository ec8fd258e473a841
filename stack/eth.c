/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet II input: accept what is ours, hand it to ARP or IPv4. */
#include "stk_priv.h"

bool
stk_eth_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	rte_be16_t type;

	if (unlikely(rte_pktmbuf_data_len(m) < STK_ETH_HLEN))
		return stk_drop(ctx, m, STK_DROP_ETH_TOO_SHORT);
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eth->dst_addr, &ifx->mac) &&
	    !rte_is_broadcast_ether_addr(&eth->dst_addr))
		return stk_drop(ctx, m, STK_DROP_ETH_NOT_FOR_US);
	/* a group or zero address is never a sender; replying to it would
	 * turn us into an amplifier */
	if (unlikely(!rte_is_valid_assigned_ether_addr(&eth->src_addr)))
		return stk_drop(ctx, m, STK_DROP_ETH_BAD_SRC);
	m->l2_len = STK_ETH_HLEN;
	type = eth->ether_type;
	if (likely(type == RTE_BE16(RTE_ETHER_TYPE_IPV4)))
		return stk_ip4_input(ctx, ifx, m);
	if (type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return stk_arp_input(ctx, ifx, m);
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ))
		return stk_drop(ctx, m, STK_DROP_ETH_VLAN);
	return stk_drop(ctx, m, STK_DROP_ETH_UNKNOWN_TYPE);
}
