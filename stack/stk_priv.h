/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the files of stack/: the context layout and the small
 * helpers every layer uses (drop, transmit, checksum). Nothing outside
 * stack/ includes this.
 */
#ifndef STK_PRIV_H
#define STK_PRIV_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "stk.h"

#define STK_PREFETCH 4
#define STK_ETH_HLEN RTE_ETHER_HDR_LEN
#define STK_IP4_HLEN ((uint16_t)sizeof(struct rte_ipv4_hdr))
#define STK_UDP_HLEN ((uint16_t)sizeof(struct rte_udp_hdr))
#define STK_ICMP_HLEN ((uint16_t)sizeof(struct rte_icmp_hdr))
#define STK_HDRS_UDP (STK_ETH_HLEN + STK_IP4_HLEN + STK_UDP_HLEN)
#define STK_ARP_FRAME_LEN (STK_ETH_HLEN + (uint16_t)sizeof(struct rte_arp_hdr))
/* Flags describing the buffer itself; everything else is cleared before a
 * received mbuf is reused for a reply. */
#define STK_OL_KEEP (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)
#define STK_NIL UINT32_MAX
#define STK_DEFAULT_TTL 64
#define STK_DEFAULT_MTU 1500
#define STK_TX_SEGS_MAX 8 /* mbufs the stack chains into one packet, at most */

struct stk_if {
	uint16_t port_id;
	uint16_t idx; /* index in ctx->ifs and ctx->txq */
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint32_t ip; /* all addresses in network byte order */
	uint32_t mask;
	uint32_t bcast; /* subnet broadcast; 0 for /31 and /32 (RFC 3021) */
	uint32_t gateway;
	bool rx_cksum_offload;
	bool tx_ip_cksum_offload;
	bool tx_udp_cksum_offload;
	uint16_t tx_max_segs; /* mbufs per TX packet; < 2: single segment only */
};

enum stk_arp_state {
	STK_ARP_FREE = 0,
	STK_ARP_INCOMPLETE, /* request sent, packets may be queued */
	STK_ARP_REACHABLE,  /* learned, expires at deadline */
	STK_ARP_STATIC,	    /* from conf, never changes */
};

struct stk_arp_entry {
	uint32_t ip;
	uint8_t state;
	uint8_t ifx;
	uint16_t n_pending;
	uint32_t tries; /* requests sent while INCOMPLETE */
	uint32_t pend_head;
	uint32_t pend_tail;
	uint64_t deadline; /* REACHABLE: expiry; INCOMPLETE: next retry */
	struct rte_ether_addr mac;
};

/* One packet waiting for ARP; slots are linked into per-entry FIFOs or the
 * free list. */
struct stk_pend {
	struct rte_mbuf *m;
	uint32_t next;
};

struct stk_udp_bind {
	stk_udp_rx_fn fn;
	void *arg;
	uint16_t port;
};

struct stk_txq {
	uint16_t n;
	struct rte_mbuf *pkts[STK_BURST_MAX];
};

struct stk_ctx {
	/* hot: touched by every packet */
	uint64_t now;
	bool in_burst;
	uint8_t ttl;
	uint16_t n_ifs;
	uint16_t n_free;
	uint32_t tx_dirty; /* bit per interface with queued packets */
	struct stk_if ifs[STK_MAX_PORTS];
	stk_tx_fn tx;
	void *tx_arg;
	struct rte_mempool *mp;
	struct rte_mbuf *free_buf[STK_BURST_MAX];

	/* ICMP error token bucket, in units of 1/hz token */
	uint64_t icmp_tokens;
	uint64_t icmp_cap;
	uint64_t icmp_cost;
	uint64_t icmp_last;
	uint32_t icmp_rate;

	/* ARP */
	struct rte_hash *arp_hash;
	struct stk_arp_entry *arp;
	uint32_t arp_slots; /* size of arp[] (positions rte_hash may return) */
	uint32_t arp_n;
	uint32_t arp_cap;
	uint32_t arp_retries;
	uint64_t arp_timeout_ticks;
	uint64_t arp_retry_ticks;
	uint64_t arp_next_timer;
	struct stk_pend *pend;
	uint32_t pend_free;
	uint32_t pend_n;
	uint32_t pend_max;
	uint64_t hz;
	stk_arp_notify_fn arp_notify;
	void *arp_notify_arg;
	struct stk_tcp *tcp; /* NULL: TCP off */

	struct stk_udp_bind binds[STK_UDP_MAX_BINDS];
	struct stk_txq txq[STK_MAX_PORTS];
	/* 0 = unbound, else index into binds[] + 1 */
	uint8_t udp_port_idx[UINT16_MAX + 1];

	/* written by the owning lcore only; readers tolerate tearing */
	alignas(RTE_CACHE_LINE_SIZE) struct stk_stats stats;
	uint64_t drops[STK_DROP_MAX];
};

/* stk.c */
void stk_free_flush(struct stk_ctx *ctx);
void stk_txq_flush(struct stk_ctx *ctx, uint16_t ifx);
void stk_flush(struct stk_ctx *ctx);
int stk_mbuf_trim(struct rte_mbuf *m, uint32_t len);
uint64_t stk_ms_to_ticks(uint64_t hz, uint32_t ms);

/* cksum.c: like rte_raw_cksum_mbuf(), correct for chains */
int stk_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum);

/*
 * Ones'-complement sum of contiguous bytes, 8 at a time into a 64-bit
 * accumulator with end-around carry, folded to 16 bits (RFC 1071 2(C):
 * any word size works if the carries come back in). Words are loaded in
 * host order, as rte_raw_cksum() does, so the result is in memory order
 * and compares to 0xffff or stores into a header as it is. DPDK 22.11's
 * rte_raw_cksum() adds one 16-bit word per step; on a 64-byte echo this
 * is 8 steps instead of 23 for the UDP and IPv4 checksums together
 * (bench/sluice-micro BM_cksum*, BM_input).
 */
static inline uint64_t
stk_sum64_add(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

static inline uint64_t
stk_sum64(const void *buf, size_t len, uint64_t acc)
{
	const uint8_t *p = buf;
	uint64_t w8;
	uint32_t w4;
	uint16_t w2;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w8, p, 8);
		acc = stk_sum64_add(acc, w8);
	}
	if (len >= 4) {
		memcpy(&w4, p, 4);
		acc = stk_sum64_add(acc, w4);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, 2);
		acc = stk_sum64_add(acc, w2);
		p += 2;
		len -= 2;
	}
	/* the odd last byte is the first byte of a zero-padded word */
	if (len != 0)
		acc = stk_sum64_add(acc, rte_le_to_cpu_16((uint16_t)*p));
	return acc;
}

static inline uint16_t
stk_sum64_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}
/* Raw (not complemented) UDP/TCP sum including the pseudo-header, any mbuf. */
uint16_t stk_ip4_l4_sum(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off);

/* eth.c */
bool stk_eth_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m);

/* arp.c */
int stk_arp_init(struct stk_ctx *ctx, const struct stk_conf *conf);
void stk_arp_fini(struct stk_ctx *ctx);
bool stk_arp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m);
int stk_arp_output(struct stk_ctx *ctx, const struct stk_if *ifx, uint32_t nexthop,
		   struct rte_mbuf *m);
void stk_arp_timer(struct stk_ctx *ctx);

/* ip4.c */
bool stk_ip4_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m);
const struct stk_if *stk_ip4_route(const struct stk_ctx *ctx, uint32_t dst, uint32_t *nexthop);
struct rte_ipv4_hdr *stk_ip4_reply_prep(const struct stk_ctx *ctx, const struct stk_if *ifx,
					struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
					uint16_t total_len);
void stk_ip4_out_cksum(const struct stk_if *ifx, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);

/* icmp.c */
bool stk_icmp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
		    struct rte_ipv4_hdr *ip);
void stk_icmp_error(struct stk_ctx *ctx, const struct stk_if *ifx, const struct rte_mbuf *m,
		    const struct rte_ipv4_hdr *ip, uint8_t type, uint8_t code);

/* tcp.c, tcp_input.c, tcp_timer.c */
int stk_tcp_init(struct stk_ctx *ctx, const struct stk_conf *conf);
void stk_tcp_fini(struct stk_ctx *ctx);
bool stk_tcp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
		   struct rte_ipv4_hdr *ip);
void stk_tcp_timer(struct stk_ctx *ctx);
struct rte_tcp_hdr;
/* tcp_icmp.c: an ICMP error (type 3, 11 or 12) quoting the IPv4 header
 * @qip (fully inside the message) and the first 8 bytes of a TCP header
 * (ports and sequence number of @qth; the rest of *qth is not read).
 * @mtu: the next-hop MTU field of a fragmentation-needed message.
 * Consumes @m, or drops it under one reason. */
bool stk_tcp_icmp_input(struct stk_ctx *ctx, struct rte_mbuf *m, uint8_t type, uint8_t code,
			uint16_t mtu, const struct rte_ipv4_hdr *qip,
			const struct rte_tcp_hdr *qth);

/* udp.c */
bool stk_udp_input(struct stk_ctx *ctx, const struct stk_if *ifx, struct rte_mbuf *m,
		   struct rte_ipv4_hdr *ip);

/* Hand @m back to the pool in the next bulk free, without counting it. */
static inline void
stk_consume(struct stk_ctx *ctx, struct rte_mbuf *m)
{
	if (unlikely(ctx->n_free == RTE_DIM(ctx->free_buf)))
		stk_free_flush(ctx);
	ctx->free_buf[ctx->n_free++] = m;
}

/* Drop @m for @reason: exactly one counter per dropped packet. */
static inline bool
stk_drop(struct stk_ctx *ctx, struct rte_mbuf *m, enum stk_drop reason)
{
	ctx->drops[reason]++;
	stk_consume(ctx, m);
	return false;
}

/* Queue @m for transmission on interface @ifx; flushed at the end of the
 * burst (or earlier if the queue fills). */
static inline void
stk_tx(struct stk_ctx *ctx, uint16_t ifx, struct rte_mbuf *m)
{
	struct stk_txq *q = &ctx->txq[ifx];

	if (unlikely(q->n == RTE_DIM(q->pkts)))
		stk_txq_flush(ctx, ifx);
	q->pkts[q->n++] = m;
	ctx->tx_dirty |= 1u << ifx;
	ctx->stats.tx_pkts++;
	ctx->stats.tx_bytes += rte_pktmbuf_pkt_len(m);
}

static inline bool
stk_ip4_in_subnet(const struct stk_if *ifx, uint32_t ip)
{
	return ((ip ^ ifx->ip) & ifx->mask) == 0;
}

/* Addresses that can never be a unicast peer (RFC 1122 3.2.1.3, 3.2.2). */
static inline bool
stk_ip4_martian(const struct stk_if *ifx, uint32_t ip)
{
	uint32_t h = rte_be_to_cpu_32(ip);

	return (h >> 24) == 0 || h == UINT32_MAX || (h >> 28) == 0xe || (h >> 24) == 127 ||
	       ip == ifx->ip || (ifx->bcast != 0 && ip == ifx->bcast);
}

#endif /* STK_PRIV_H */
