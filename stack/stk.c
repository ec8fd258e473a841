/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Context life cycle, the receive burst, timers, counters and the TX/free
 * batching every layer uses.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "stk_priv.h"

static const char *const stk_drop_names[STK_DROP_MAX] = {
#define STK_DROP_NAME(id, name) [STK_DROP_##id] = name,
	STK_DROP_REASONS(STK_DROP_NAME)
#undef STK_DROP_NAME
};

const char *
stk_drop_name(enum stk_drop reason)
{
	if ((unsigned int)reason >= STK_DROP_MAX)
		return NULL;
	return stk_drop_names[reason];
}

uint64_t
stk_ms_to_ticks(uint64_t hz, uint32_t ms)
{
	/* split so that ms * hz cannot overflow for a multi-GHz TSC */
	return (hz / 1000) * ms + (hz % 1000) * ms / 1000;
}

void
stk_free_flush(struct stk_ctx *ctx)
{
	if (ctx->n_free != 0) {
		rte_pktmbuf_free_bulk(ctx->free_buf, ctx->n_free);
		ctx->n_free = 0;
	}
}

void
stk_txq_flush(struct stk_ctx *ctx, uint16_t ifx)
{
	struct stk_txq *q = &ctx->txq[ifx];
	uint16_t n = q->n;

	q->n = 0;
	ctx->tx_dirty &= ~(1u << ifx);
	if (n != 0)
		ctx->tx(ctx->tx_arg, ctx->ifs[ifx].port_id, q->pkts, n);
}

void
stk_flush(struct stk_ctx *ctx)
{
	while (ctx->tx_dirty != 0)
		stk_txq_flush(ctx, (uint16_t)rte_bsf32(ctx->tx_dirty));
	stk_free_flush(ctx);
}

int
stk_mbuf_trim(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m;
	uint32_t left = len;
	uint16_t nb_segs = 1;

	if (len > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	if (len == rte_pktmbuf_pkt_len(m))
		return 0;
	while (left > seg->data_len) {
		left -= seg->data_len;
		seg = seg->next;
		nb_segs++;
	}
	seg->data_len = (uint16_t)left;
	if (seg->next != NULL) {
		rte_pktmbuf_free(seg->next);
		seg->next = NULL;
	}
	m->nb_segs = nb_segs;
	m->pkt_len = len;
	return 0;
}

static int
stk_if_init(struct stk_if *ifx, const struct stk_if_conf *c, uint16_t idx)
{
	uint32_t mask_h;

	if (c->prefix_len < 1 || c->prefix_len > 32 || c->ip == 0 ||
	    !rte_is_valid_assigned_ether_addr(&c->mac) || (c->mtu != 0 && c->mtu < 68))
		return -EINVAL;
	mask_h = c->prefix_len == 32 ? UINT32_MAX : ~(UINT32_MAX >> c->prefix_len);
	ifx->port_id = c->port_id;
	ifx->idx = idx;
	ifx->mtu = c->mtu != 0 ? c->mtu : STK_DEFAULT_MTU;
	ifx->mac = c->mac;
	ifx->ip = c->ip;
	ifx->mask = rte_cpu_to_be_32(mask_h);
	ifx->bcast = c->prefix_len <= 30 ? (c->ip | ~ifx->mask) : 0;
	ifx->gateway = c->gateway;
	ifx->rx_cksum_offload = c->rx_cksum_offload;
	ifx->tx_ip_cksum_offload = c->tx_ip_cksum_offload;
	ifx->tx_udp_cksum_offload = c->tx_udp_cksum_offload;
	/* a chain longer than this means pieces too small to be worth
	 * referencing: TCP copies instead */
	ifx->tx_max_segs = RTE_MIN(c->tx_max_segs, (uint16_t)STK_TX_SEGS_MAX);
	return 0;
}

static int
stk_conf_check(const struct stk_conf *conf)
{
	uint16_t i, j;

	if (conf == NULL || conf->name == NULL || conf->mp == NULL || conf->tx == NULL ||
	    conf->hz == 0 || conf->n_ifs == 0 || conf->n_ifs > STK_MAX_PORTS ||
	    conf->n_arp_static > STK_ARP_MAX_STATIC || conf->arp_entries == 0 ||
	    conf->n_arp_static > conf->arp_entries)
		return -EINVAL;
	for (i = 0; i < conf->n_ifs; i++)
		for (j = 0; j < i; j++)
			if (conf->ifs[i].port_id == conf->ifs[j].port_id)
				return -EINVAL;
	return 0;
}

struct stk_ctx *
stk_create(const struct stk_conf *conf)
{
	struct stk_ctx *ctx;
	uint16_t i;
	int ret;

	ret = stk_conf_check(conf);
	if (ret != 0) {
		rte_errno = -ret;
		return NULL;
	}
	ctx = rte_zmalloc_socket("stk_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (ctx == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	ctx->ttl = conf->ttl != 0 ? conf->ttl : STK_DEFAULT_TTL;
	ctx->tx = conf->tx;
	ctx->tx_arg = conf->tx_arg;
	ctx->mp = conf->mp;
	ctx->hz = conf->hz;
	ctx->arp_notify = conf->arp_notify;
	ctx->arp_notify_arg = conf->arp_notify_arg;
	ctx->n_ifs = conf->n_ifs;
	for (i = 0; i < conf->n_ifs; i++) {
		ret = stk_if_init(&ctx->ifs[i], &conf->ifs[i], i);
		if (ret != 0)
			goto fail;
	}

	ctx->icmp_rate = conf->icmp_rate;
	ctx->icmp_cost = conf->hz;
	if (__builtin_mul_overflow((uint64_t)conf->icmp_burst, conf->hz, &ctx->icmp_cap))
		ctx->icmp_cap = UINT64_MAX / 2;
	ctx->icmp_tokens = ctx->icmp_cap;

	ret = stk_arp_init(ctx, conf);
	if (ret != 0)
		goto fail;
	ret = stk_tcp_init(ctx, conf);
	if (ret != 0)
		goto fail;
	return ctx;
fail:
	stk_tcp_fini(ctx);
	stk_arp_fini(ctx);
	rte_free(ctx);
	rte_errno = -ret;
	return NULL;
}

void
stk_free(struct stk_ctx *ctx)
{
	uint16_t i;

	if (ctx == NULL)
		return;
	/* Whatever is still queued for TX is freed, not sent: the loop that
	 * owned the tx callback may already be gone. */
	for (i = 0; i < ctx->n_ifs; i++) {
		rte_pktmbuf_free_bulk(ctx->txq[i].pkts, ctx->txq[i].n);
		ctx->txq[i].n = 0;
	}
	ctx->tx_dirty = 0;
	stk_tcp_fini(ctx);
	stk_free_flush(ctx);
	stk_arp_fini(ctx);
	rte_free(ctx);
}

void
stk_set_time(struct stk_ctx *ctx, uint64_t now)
{
	ctx->now = now;
}

uint16_t
stk_input_burst(struct stk_ctx *ctx, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	const struct stk_if *ifx = NULL;
	uint16_t i, n_ok = 0;

	for (i = 0; i < ctx->n_ifs; i++) {
		if (ctx->ifs[i].port_id == port_id) {
			ifx = &ctx->ifs[i];
			break;
		}
	}
	ctx->in_burst = true;
	for (i = 0; i < n && i < STK_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + STK_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + STK_PREFETCH], void *));
		ctx->stats.rx_pkts++;
		ctx->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
		if (unlikely(ifx == NULL)) {
			stk_drop(ctx, m, STK_DROP_ETH_NOT_FOR_US);
			continue;
		}
		n_ok += stk_eth_input(ctx, ifx, m);
	}
	ctx->in_burst = false;
	stk_flush(ctx);
	return n_ok;
}

void
stk_tx_hold(struct stk_ctx *ctx)
{
	ctx->in_burst = true;
}

void
stk_tx_release(struct stk_ctx *ctx)
{
	ctx->in_burst = false;
	stk_flush(ctx);
}

void
stk_timer_run(struct stk_ctx *ctx)
{
	stk_arp_timer(ctx);
	stk_tcp_timer(ctx);
	if (!ctx->in_burst)
		stk_flush(ctx);
}

void
stk_count_drop(struct stk_ctx *ctx, enum stk_drop reason, uint64_t n)
{
	if ((unsigned int)reason < STK_DROP_MAX)
		ctx->drops[reason] += n;
}

void
stk_stats_read(const struct stk_ctx *ctx, struct stk_stats *st, uint64_t *drops)
{
	if (st != NULL)
		memcpy(st, &ctx->stats, sizeof(*st));
	if (drops != NULL)
		memcpy(drops, ctx->drops, sizeof(ctx->drops));
}

uint32_t
stk_mbufs_held(const struct stk_ctx *ctx)
{
	return ctx->pend_n;
}
