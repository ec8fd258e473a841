/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) for IPv4 over Ethernet: answer requests for our address,
 * resolve next hops with a bounded queue of waiting packets, learn only what
 * we asked for or what asked us (RELIABILITY.md item 7).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "stk_priv.h"

#define STK_ARP_HASH_MIN 8 /* rte_hash refuses fewer entries than one bucket */

static void
stk_arp_arm(struct stk_ctx *ctx, uint64_t deadline)
{
	if (deadline < ctx->arp_next_timer)
		ctx->arp_next_timer = deadline;
}

static void
stk_arp_delete(struct stk_ctx *ctx, struct stk_arp_entry *e)
{
	rte_hash_del_key(ctx->arp_hash, &e->ip);
	memset(e, 0, sizeof(*e));
	ctx->arp_n--;
}

static struct stk_arp_entry *
stk_arp_find(const struct stk_ctx *ctx, uint32_t ip)
{
	int32_t pos = rte_hash_lookup(ctx->arp_hash, &ip);

	if (pos < 0 || (uint32_t)pos >= ctx->arp_slots)
		return NULL;
	return &ctx->arp[pos];
}

static struct stk_arp_entry *
stk_arp_add(struct stk_ctx *ctx, uint32_t ip, uint8_t state)
{
	struct stk_arp_entry *e;
	int32_t pos;

	if (ctx->arp_n >= ctx->arp_cap)
		return NULL;
	pos = rte_hash_add_key(ctx->arp_hash, &ip);
	if (pos < 0)
		return NULL;
	if (unlikely((uint32_t)pos >= ctx->arp_slots)) {
		rte_hash_del_key(ctx->arp_hash, &ip);
		return NULL;
	}
	e = &ctx->arp[pos];
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->state = state;
	e->pend_head = STK_NIL;
	e->pend_tail = STK_NIL;
	ctx->arp_n++;
	return e;
}

static void
stk_arp_request(struct stk_ctx *ctx, struct stk_arp_entry *e)
{
	const struct stk_if *ifx = &ctx->ifs[e->ifx];
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *ah;
	struct rte_mbuf *m;

	e->tries++;
	m = rte_pktmbuf_alloc(ctx->mp);
	if (unlikely(m == NULL)) {
		ctx->drops[STK_DROP_NO_MBUF]++;
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, STK_ARP_FRAME_LEN);
	if (unlikely(eth == NULL)) {
		rte_pktmbuf_free(m);
		ctx->drops[STK_DROP_NO_MBUF]++;
		return;
	}
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = ifx->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eth + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(uint32_t);
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_sha = ifx->mac;
	ah->arp_data.arp_sip = ifx->ip;
	memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
	ah->arp_data.arp_tip = e->ip;
	ctx->stats.arp_requests_sent++;
	stk_tx(ctx, e->ifx, m);
}

static void
stk_arp_pend_release(struct stk_ctx *ctx, uint32_t slot)
{
	ctx->pend[slot].m = NULL;
	ctx->pend[slot].next = ctx->pend_free;
	ctx->pend_free = slot;
	ctx->pend_n--;
}

static int
stk_arp_enqueue(struct stk_ctx *ctx, struct stk_arp_entry *e, struct rte_mbuf *m)
{
	uint32_t slot = ctx->pend_free;

	if (slot == STK_NIL) {
		stk_drop(ctx, m, STK_DROP_ARP_PENDING_FULL);
		return -ENOBUFS;
	}
	ctx->pend_free = ctx->pend[slot].next;
	ctx->pend[slot].m = m;
	ctx->pend[slot].next = STK_NIL;
	if (e->pend_tail == STK_NIL)
		e->pend_head = slot;
	else
		ctx->pend[e->pend_tail].next = slot;
	e->pend_tail = slot;
	e->n_pending++;
	ctx->pend_n++;
	return 0;
}

/* The entry now has a MAC: send what waited for it, in order. */
static void
stk_arp_resolved(struct stk_ctx *ctx, struct stk_arp_entry *e, const struct rte_ether_addr *mac)
{
	uint32_t slot = e->pend_head;

	e->mac = *mac;
	e->state = STK_ARP_REACHABLE;
	e->deadline = ctx->now + ctx->arp_timeout_ticks;
	stk_arp_arm(ctx, e->deadline);
	ctx->stats.arp_learned++;
	while (slot != STK_NIL) {
		struct rte_mbuf *m = ctx->pend[slot].m;
		uint32_t next = ctx->pend[slot].next;

		rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = *mac;
		stk_tx(ctx, e->ifx, m);
		ctx->stats.udp_tx++;
		stk_arp_pend_release(ctx, slot);
		slot = next;
	}
	e->pend_head = STK_NIL;
	e->pend_tail = STK_NIL;
	e->n_pending = 0;
}

static void
stk_arp_unresolved(struct stk_ctx *ctx, struct stk_arp_entry *e)
{
	uint32_t slot = e->pend_head;

	while (slot != STK_NIL) {
		uint32_t next = ctx->pend[slot].next;

		stk_drop(ctx, ctx->pend[slot].m, STK_DROP_ARP_UNRESOLVED);
		stk_arp_pend_release(ctx, slot);
		slot = next;
	}
	stk_arp_delete(ctx, e);
}

/* RFC 826 "merge": a request addressed to us updates or creates the
 * sender's entry, so that our reply traffic needs no request of its own. */
static void
stk_arp_learn(struct stk_ctx *ctx, const struct stk_if *ifx, uint32_t sip,
	      const struct rte_ether_addr *sha)
{
	struct stk_arp_entry *e = stk_arp_find(ctx, sip);

	if (e == NULL) {
		e = stk_arp_add(ctx, sip, STK_ARP_INCOMPLETE);
		if (e == NULL) {
			ctx->stats.arp_learn_table_full++;
			return;
		}
		e->ifx = (uint8_t)ifx->idx;
	}
	if (e->state == STK_ARP_STATIC)
		return;
	stk_arp_resolved(ctx, e, sha);
}

bool
stk_arp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *ah;
	struct rte_ether_addr sha;
	struct stk_arp_entry *e;
	uint32_t sip, tip;
	uint16_t op;

	ctx->stats.arp_rx++;
	if (unlikely(rte_pktmbuf_data_len(m) < STK_ARP_FRAME_LEN))
		return stk_drop(ctx, m, STK_DROP_ARP_TOO_SHORT);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ah = (struct rte_arp_hdr *)(eth + 1);
	op = ah->arp_opcode;
	if (unlikely(ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		     ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != sizeof(uint32_t) ||
		     (op != RTE_BE16(RTE_ARP_OP_REQUEST) && op != RTE_BE16(RTE_ARP_OP_REPLY))))
		return stk_drop(ctx, m, STK_DROP_ARP_BAD_HDR);
	sha = ah->arp_data.arp_sha;
	sip = ah->arp_data.arp_sip;
	tip = ah->arp_data.arp_tip;
	if (unlikely(!rte_is_valid_assigned_ether_addr(&sha) ||
		     rte_is_same_ether_addr(&sha, &ifx->mac) || stk_ip4_martian(ifx, sip)))
		return stk_drop(ctx, m, STK_DROP_ARP_BAD_SENDER);
	if (tip != ifx->ip)
		return stk_drop(ctx, m, STK_DROP_ARP_NOT_FOR_US);

	if (op == RTE_BE16(RTE_ARP_OP_REPLY)) {
		/* Only a reply to a request of ours may create a mapping: a
		 * gratuitous or spoofed reply must not redirect traffic. With
		 * other contexts listening, "ours" may be theirs: they judge
		 * it by the same rule in stk_arp_remote(). */
		if (ctx->arp_notify != NULL) {
			ctx->arp_notify(ctx->arp_notify_arg, ifx->port_id, sip, &sha, true);
			ctx->stats.arp_shared++;
		}
		e = stk_arp_find(ctx, sip);
		if (e == NULL || e->state != STK_ARP_INCOMPLETE || e->ifx != ifx->idx) {
			if (ctx->arp_notify != NULL) {
				stk_consume(ctx, m);
				return true;
			}
			return stk_drop(ctx, m, STK_DROP_ARP_UNSOLICITED);
		}
		stk_arp_resolved(ctx, e, &sha);
		stk_consume(ctx, m);
		return true;
	}

	/* A neighbour is on our subnet; learning senders from anywhere
	 * else would let one host fill the table with forged addresses. */
	if (unlikely(!stk_ip4_in_subnet(ifx, sip)))
		return stk_drop(ctx, m, STK_DROP_ARP_BAD_SENDER);
	if (ctx->arp_notify != NULL) {
		ctx->arp_notify(ctx->arp_notify_arg, ifx->port_id, sip, &sha, false);
		ctx->stats.arp_shared++;
	}
	stk_arp_learn(ctx, ifx, sip, &sha);

	/* RFC 826: swap sender and target, fill in our address, op = reply. */
	eth->dst_addr = sha;
	eth->src_addr = ifx->mac;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	ah->arp_data.arp_tha = sha;
	ah->arp_data.arp_tip = sip;
	ah->arp_data.arp_sha = ifx->mac;
	ah->arp_data.arp_sip = ifx->ip;
	stk_mbuf_trim(m, STK_ARP_FRAME_LEN);
	m->ol_flags &= STK_OL_KEEP;
	ctx->stats.arp_replies_sent++;
	stk_tx(ctx, ifx->idx, m);
	return true;
}

int
stk_arp_remote(struct stk_ctx *ctx, uint16_t port_id, uint32_t ip,
	       const struct rte_ether_addr *mac, bool is_reply)
{
	const struct stk_if *ifx = NULL;
	struct stk_arp_entry *e;
	uint16_t i;
	int learned = 0;

	for (i = 0; i < ctx->n_ifs; i++)
		if (ctx->ifs[i].port_id == port_id) {
			ifx = &ctx->ifs[i];
			break;
		}
	/* The reporting context checked the frame; these checks keep a
	 * buggy or hostile caller from planting what local input refuses. */
	if (ifx == NULL || mac == NULL || !rte_is_valid_assigned_ether_addr(mac) ||
	    rte_is_same_ether_addr(mac, &ifx->mac) || stk_ip4_martian(ifx, ip))
		return 0;
	if (is_reply) {
		e = stk_arp_find(ctx, ip);
		if (e != NULL && e->state == STK_ARP_INCOMPLETE && e->ifx == ifx->idx) {
			stk_arp_resolved(ctx, e, mac);
			learned = 1;
		}
	} else if (stk_ip4_in_subnet(ifx, ip)) {
		uint64_t before = ctx->stats.arp_learned;

		stk_arp_learn(ctx, ifx, ip, mac);
		learned = ctx->stats.arp_learned != before;
	}
	if (learned) {
		ctx->stats.arp_remote_learned++;
		if (!ctx->in_burst)
			stk_flush(ctx);
	}
	return learned;
}

int
stk_arp_output(struct stk_ctx *ctx, const struct stk_if *ifx, uint32_t nexthop, struct rte_mbuf *m)
{
	struct stk_arp_entry *e = stk_arp_find(ctx, nexthop);

	if (e != NULL) {
		if (e->state == STK_ARP_STATIC ||
		    (e->state == STK_ARP_REACHABLE && ctx->now < e->deadline)) {
			rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr = e->mac;
			stk_tx(ctx, ifx->idx, m);
			ctx->stats.udp_tx++;
			return 0;
		}
		if (e->state == STK_ARP_REACHABLE) {
			/* expired but not reaped yet: resolve again */
			ctx->stats.arp_expired++;
			e->state = STK_ARP_INCOMPLETE;
			e->ifx = (uint8_t)ifx->idx;
			e->tries = 0;
			stk_arp_request(ctx, e);
			e->deadline = ctx->now + ctx->arp_retry_ticks;
			stk_arp_arm(ctx, e->deadline);
		}
		return stk_arp_enqueue(ctx, e, m);
	}
	if (ctx->pend_free == STK_NIL) {
		stk_drop(ctx, m, STK_DROP_ARP_PENDING_FULL);
		return -ENOBUFS;
	}
	e = stk_arp_add(ctx, nexthop, STK_ARP_INCOMPLETE);
	if (e == NULL) {
		stk_drop(ctx, m, STK_DROP_ARP_TABLE_FULL);
		return -ENOSPC;
	}
	e->ifx = (uint8_t)ifx->idx;
	stk_arp_request(ctx, e);
	e->deadline = ctx->now + ctx->arp_retry_ticks;
	stk_arp_arm(ctx, e->deadline);
	return stk_arp_enqueue(ctx, e, m);
}

void
stk_arp_timer(struct stk_ctx *ctx)
{
	uint64_t now = ctx->now, next = UINT64_MAX;
	uint32_t i;

	if (now < ctx->arp_next_timer)
		return;
	for (i = 0; i < ctx->arp_slots; i++) {
		struct stk_arp_entry *e = &ctx->arp[i];

		if (e->state == STK_ARP_INCOMPLETE) {
			if (now >= e->deadline) {
				if (e->tries > ctx->arp_retries) {
					stk_arp_unresolved(ctx, e);
					continue;
				}
				stk_arp_request(ctx, e);
				e->deadline = now + ctx->arp_retry_ticks;
			}
		} else if (e->state == STK_ARP_REACHABLE) {
			if (now >= e->deadline) {
				ctx->stats.arp_expired++;
				stk_arp_delete(ctx, e);
				continue;
			}
		} else {
			continue;
		}
		if (e->deadline < next)
			next = e->deadline;
	}
	ctx->arp_next_timer = next;
}

int
stk_arp_lookup(struct stk_ctx *ctx, uint32_t ip, struct rte_ether_addr *mac)
{
	const struct stk_arp_entry *e = stk_arp_find(ctx, ip);

	if (e == NULL || !(e->state == STK_ARP_STATIC ||
			   (e->state == STK_ARP_REACHABLE && ctx->now < e->deadline)))
		return -ENOENT;
	if (mac != NULL)
		*mac = e->mac;
	return 0;
}

uint32_t
stk_arp_count(const struct stk_ctx *ctx)
{
	return ctx->arp_n;
}

int
stk_arp_init(struct stk_ctx *ctx, const struct stk_conf *conf)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(conf->arp_entries, (uint32_t)STK_ARP_HASH_MIN),
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = conf->socket_id,
		/* chained overflow buckets: no insert fails before capacity */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	int32_t max_id;
	uint32_t i;

	snprintf(name, sizeof(name), "stk_arp_%s", conf->name);
	ctx->arp_hash = rte_hash_create(&hp);
	if (ctx->arp_hash == NULL)
		return rte_errno != 0 ? -rte_errno : -ENOMEM;
	max_id = rte_hash_max_key_id(ctx->arp_hash);
	if (max_id < 0)
		return -EINVAL;
	ctx->arp_slots = (uint32_t)max_id + 1;
	ctx->arp = rte_zmalloc_socket("stk_arp", sizeof(*ctx->arp) * ctx->arp_slots,
				      RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (ctx->arp == NULL)
		return -ENOMEM;
	ctx->arp_cap = conf->arp_entries;
	ctx->arp_retries = conf->arp_retries;
	ctx->arp_timeout_ticks = stk_ms_to_ticks(conf->hz, conf->arp_timeout_ms);
	ctx->arp_retry_ticks = stk_ms_to_ticks(conf->hz, conf->arp_retry_ms);
	ctx->arp_next_timer = UINT64_MAX;

	ctx->pend_max = conf->arp_pending_max;
	ctx->pend_free = STK_NIL;
	if (ctx->pend_max != 0) {
		ctx->pend = rte_zmalloc_socket("stk_arp_pend", sizeof(*ctx->pend) * ctx->pend_max,
					       RTE_CACHE_LINE_SIZE, conf->socket_id);
		if (ctx->pend == NULL)
			return -ENOMEM;
		for (i = 0; i < ctx->pend_max; i++)
			ctx->pend[i].next = i + 1 < ctx->pend_max ? i + 1 : STK_NIL;
		ctx->pend_free = 0;
	}

	for (i = 0; i < conf->n_arp_static; i++) {
		const struct stk_arp_static *s = &conf->arp_static[i];
		struct stk_arp_entry *e;

		if (s->ip == 0 || !rte_is_valid_assigned_ether_addr(&s->mac))
			return -EINVAL;
		e = stk_arp_find(ctx, s->ip);
		if (e == NULL)
			e = stk_arp_add(ctx, s->ip, STK_ARP_STATIC);
		if (e == NULL)
			return -ENOSPC;
		e->state = STK_ARP_STATIC;
		e->mac = s->mac;
	}
	return 0;
}

void
stk_arp_fini(struct stk_ctx *ctx)
{
	uint32_t i;

	if (ctx->pend != NULL) {
		for (i = 0; i < ctx->pend_max; i++)
			if (ctx->pend[i].m != NULL)
				rte_pktmbuf_free(ctx->pend[i].m);
		rte_free(ctx->pend);
		ctx->pend = NULL;
	}
	ctx->pend_n = 0;
	rte_free(ctx->arp);
	ctx->arp = NULL;
	rte_hash_free(ctx->arp_hash);
	ctx->arp_hash = NULL;
}
