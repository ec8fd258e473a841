/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice protocol stack: one context per lcore, share-nothing.
 *
 * The stack owns Ethernet, ARP, IPv4, ICMP and UDP for the interfaces
 * (DPDK ports) given at creation. An lcore feeds received bursts with
 * stk_input_burst(); everything the stack sends leaves through the
 * tx callback handed to it in struct stk_conf (the stack never calls up
 * into lcore/ or apps/ any other way). Time comes from stk_set_time(), so
 * tests drive the clock themselves.
 *
 * Every function here may be called only by the lcore that owns the
 * context, except stk_stats_read()/stk_drops_read(), which any thread may
 * call (the counters have one writer; readers tolerate tearing).
 */
#ifndef STK_H
#define STK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "stk_tcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most interfaces one stack context serves (indexed by DPDK port id). */
#define STK_MAX_PORTS 16
/** Most packets one stk_input_burst() call accepts. */
#define STK_BURST_MAX 256
/** Most UDP ports one context can bind. */
#define STK_UDP_MAX_BINDS 32
/** Most static ARP entries. */
#define STK_ARP_MAX_STATIC 64

/**
 * Drop reasons: every packet the stack (or the loop around it) drops
 * increments exactly one of these. The second column is the name shown in
 * stats and telemetry.
 */
#define STK_DROP_REASONS(X)                                                                        \
	X(ETH_TOO_SHORT, "eth_too_short")                                                          \
	X(ETH_NOT_FOR_US, "eth_not_for_us")                                                        \
	X(ETH_BAD_SRC, "eth_bad_src")                                                              \
	X(ETH_VLAN, "eth_vlan")                                                                    \
	X(ETH_UNKNOWN_TYPE, "eth_unknown_type")                                                    \
	X(ARP_TOO_SHORT, "arp_too_short")                                                          \
	X(ARP_BAD_HDR, "arp_bad_hdr")                                                              \
	X(ARP_BAD_SENDER, "arp_bad_sender")                                                        \
	X(ARP_NOT_FOR_US, "arp_not_for_us")                                                        \
	X(ARP_UNSOLICITED, "arp_unsolicited")                                                      \
	X(ARP_PENDING_FULL, "arp_pending_full")                                                    \
	X(ARP_TABLE_FULL, "arp_table_full")                                                        \
	X(ARP_UNRESOLVED, "arp_unresolved")                                                        \
	X(IP4_TOO_SHORT, "ip4_too_short")                                                          \
	X(IP4_BAD_VERSION, "ip4_bad_version")                                                      \
	X(IP4_BAD_IHL, "ip4_bad_ihl")                                                              \
	X(IP4_BAD_LEN, "ip4_bad_len")                                                              \
	X(IP4_BAD_CKSUM, "ip4_bad_cksum")                                                          \
	X(IP4_FRAGMENT, "ip4_fragment")                                                            \
	X(IP4_BAD_OPTION, "ip4_bad_option")                                                        \
	X(IP4_SOURCE_ROUTE, "ip4_source_route")                                                    \
	X(IP4_BAD_SRC, "ip4_bad_src")                                                              \
	X(IP4_NOT_FOR_US, "ip4_not_for_us")                                                        \
	X(IP4_UNKNOWN_PROTO, "ip4_unknown_proto")                                                  \
	X(IP4_NO_ROUTE, "ip4_no_route")                                                            \
	X(ICMP_TOO_SHORT, "icmp_too_short")                                                        \
	X(ICMP_BAD_CKSUM, "icmp_bad_cksum")                                                        \
	X(ICMP_UNHANDLED, "icmp_unhandled")                                                        \
	X(ICMP_BAD_QUOTE, "icmp_bad_quote")                                                        \
	X(ICMP_SOURCE_QUENCH, "icmp_source_quench")                                                \
	X(ICMP_NO_CONN, "icmp_no_conn")                                                            \
	X(ICMP_BAD_SEQ, "icmp_bad_seq")                                                            \
	X(ICMP_PMTU_IGNORED, "icmp_pmtu_ignored")                                                  \
	X(UDP_TOO_SHORT, "udp_too_short")                                                          \
	X(UDP_BAD_LEN, "udp_bad_len")                                                              \
	X(UDP_BAD_CKSUM, "udp_bad_cksum")                                                          \
	X(UDP_NO_LISTENER, "udp_no_listener")                                                      \
	X(UDP_SVC_DROP, "udp_service_drop")                                                        \
	X(NO_MBUF, "no_mbuf")                                                                      \
	X(TX_FULL, "tx_full")                                                                      \
	X(UDP_TX_BAD, "udp_tx_bad")                                                                \
	X(RING_FULL, "ring_full")                                                                  \
	X(TCP_TOO_SHORT, "tcp_too_short")                                                          \
	X(TCP_BAD_OFFSET, "tcp_bad_offset")                                                        \
	X(TCP_BAD_CKSUM, "tcp_bad_cksum")                                                          \
	X(TCP_BAD_FLAGS, "tcp_bad_flags")                                                          \
	X(TCP_BAD_PORT, "tcp_bad_port")                                                            \
	X(TCP_BAD_OPTION, "tcp_bad_option")                                                        \
	X(TCP_NO_LISTENER, "tcp_no_listener")                                                      \
	X(TCP_LISTEN_DROP, "tcp_listen_drop")                                                      \
	X(TCP_SYN_BACKLOG, "tcp_syn_backlog")                                                      \
	X(TCP_TABLE_FULL, "tcp_table_full")                                                        \
	X(TCP_OUT_OF_WINDOW, "tcp_out_of_window")                                                  \
	X(TCP_DUPLICATE, "tcp_duplicate")                                                          \
	X(TCP_PAWS, "tcp_paws")                                                                    \
	X(TCP_NO_TS, "tcp_no_timestamp")                                                           \
	X(TCP_RST_INVALID, "tcp_rst_invalid")                                                      \
	X(TCP_SYN_INVALID, "tcp_syn_invalid")                                                      \
	X(TCP_NO_ACK, "tcp_no_ack")                                                                \
	X(TCP_BAD_ACK, "tcp_bad_ack")                                                              \
	X(TCP_OOO_LIMIT, "tcp_ooo_limit")                                                          \
	X(TCP_CLOSED, "tcp_data_after_close")                                                    \
	X(OFFLOAD_LANE_FULL, "offload_lane_full")                                                  \
	X(OFFLOAD_EXPIRED, "offload_expired")                                                      \
	X(OFFLOAD_REFUSED, "offload_refused")

enum stk_drop {
#define STK_DROP_ENUM(id, name) STK_DROP_##id,
	STK_DROP_REASONS(STK_DROP_ENUM)
#undef STK_DROP_ENUM
		STK_DROP_MAX
};

/** Name of a drop reason, e.g. "ip4_bad_cksum"; NULL if out of range. */
const char *stk_drop_name(enum stk_drop reason);

/** Counters that are not drops (a packet may touch several). */
#define STK_STATS(X)                                                                               \
	X(rx_pkts, "rx_pkts")                                                                      \
	X(rx_bytes, "rx_bytes")                                                                    \
	X(tx_pkts, "tx_pkts")                                                                      \
	X(tx_bytes, "tx_bytes")                                                                    \
	X(arp_rx, "arp_rx")                                                                        \
	X(arp_replies_sent, "arp_replies_sent")                                                    \
	X(arp_requests_sent, "arp_requests_sent")                                                  \
	X(arp_learned, "arp_learned")                                                              \
	X(arp_expired, "arp_expired")                                                              \
	X(ip4_rx, "ip4_rx")                                                                        \
	X(icmp_echo_replies, "icmp_echo_replies")                                                  \
	X(icmp_errors_sent, "icmp_errors_sent")                                                    \
	X(icmp_errors_ratelimited, "icmp_errors_ratelimited")                                      \
	X(udp_rx, "udp_rx")                                                                        \
	X(udp_tx, "udp_tx")                                                                        \
	X(udp_delivered, "udp_delivered")                                                          \
	X(arp_learn_table_full, "arp_learn_table_full")                                            \
	X(arp_shared, "arp_shared")                                                                \
	X(arp_remote_learned, "arp_remote_learned")                                                \
	X(tcp_rx, "tcp_rx")                                                                        \
	X(tcp_tx, "tcp_tx")                                                                        \
	X(tcp_rx_bytes, "tcp_rx_bytes")                                                            \
	X(tcp_tx_bytes, "tcp_tx_bytes")                                                            \
	X(tcp_tx_by_ref, "tcp_tx_by_ref") /* segments whose payload references the send queue */   \
	X(tcp_accepted, "tcp_accepted")                                                            \
	X(tcp_connected, "tcp_connected")                                                          \
	X(tcp_closed, "tcp_closed")                                                                \
	X(tcp_reset, "tcp_reset")                                                                  \
	X(tcp_timeouts, "tcp_timeouts")                                                            \
	X(tcp_rst_sent, "tcp_rst_sent")                                                            \
	X(tcp_rst_rcvd, "tcp_rst_rcvd")                                                            \
	X(tcp_retransmits, "tcp_retransmits")                                                      \
	X(tcp_rto, "tcp_rto")                                                                      \
	X(tcp_fast_retransmits, "tcp_fast_retransmits")                                            \
	X(tcp_lost_retransmits, "tcp_lost_retransmits") /* found lost by SACKs, not by the RTO */  \
	X(tcp_rack_recoveries, "tcp_rack_recoveries")	/* started by the reordering timer */      \
	X(tcp_tlp_probes, "tcp_tlp_probes")		/* RFC 8985 tail loss probes */            \
	X(tcp_challenge_acks, "tcp_challenge_acks")                                                \
	X(tcp_challenge_acks_limited, "tcp_challenge_acks_limited")                                \
	X(tcp_persist_probes, "tcp_persist_probes")                                                \
	X(tcp_keepalive_probes, "tcp_keepalive_probes")                                            \
	X(tcp_delayed_acks, "tcp_delayed_acks")                                                    \
	X(tcp_tw_recycled, "tcp_tw_recycled")                                                      \
	X(tcp_syncookies_sent, "tcp_syncookies_sent")                                              \
	X(tcp_syncookies_ok, "tcp_syncookies_ok")                                                  \
	X(tcp_urgent_rcvd, "tcp_urgent_rcvd")                                                      \
	X(tcp_icmp_soft, "tcp_icmp_soft")                                                          \
	X(tcp_icmp_aborts, "tcp_icmp_aborts")                                                      \
	X(tcp_pmtu_lowered, "tcp_pmtu_lowered")                                                    \
	X(tcp_not_owner, "tcp_not_owner") /* no connection here; RSS says another lcore owns it */

struct stk_stats {
#define STK_STATS_FIELD(f, name) uint64_t f;
	STK_STATS(STK_STATS_FIELD)
#undef STK_STATS_FIELD
};

/** One interface = one DPDK port this context receives on and sends to. */
struct stk_if_conf {
	uint16_t port_id;
	struct rte_ether_addr mac;
	uint32_t ip;      /**< our address, network byte order */
	uint8_t prefix_len; /**< subnet prefix length, 1..32 */
	uint32_t gateway; /**< default gateway, network byte order; 0 = none */
	uint16_t mtu;     /**< IP MTU (payload of the Ethernet frame) */
	/** The port verifies IPv4/L4 checksums: trust the mbuf's
	 *  RTE_MBUF_F_RX_*_CKSUM_GOOD/BAD flags; UNKNOWN still means software. */
	bool rx_cksum_offload;
	bool tx_ip_cksum_offload;  /**< set RTE_MBUF_F_TX_IP_CKSUM instead of computing */
	bool tx_udp_cksum_offload; /**< set RTE_MBUF_F_TX_UDP_CKSUM instead of computing */
	/** Most mbufs one transmitted packet may chain: 2 or more when the port
	 *  has RTE_ETH_TX_OFFLOAD_MULTI_SEGS enabled (bounded by its
	 *  tx_desc_lim.nb_mtu_seg_max), and TCP then sends payload by reference
	 *  to its send queue; 0 or 1: single-segment packets only, payload is
	 *  copied into each segment. */
	uint16_t tx_max_segs;
};

struct stk_arp_static {
	uint32_t ip; /**< network byte order */
	struct rte_ether_addr mac;
};

/**
 * Hand a burst of packets to the loop for transmission on @p port_id.
 * The callee owns the mbufs afterwards (it sends or frees and counts them).
 */
typedef void (*stk_tx_fn)(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n);

/**
 * A valid ARP frame arrived on @p port_id (it passed every header, sender
 * and target check): sender @p ip (network order) is at @p mac; @p is_reply
 * tells a reply from a request addressed to us. Called on the owning
 * lcore, inside stk_input_burst(); the callee must not block and must not
 * call back into this context. Used to share ARP between the contexts of
 * several lcores (see stk_arp_remote()).
 */
typedef void (*stk_arp_notify_fn)(void *arg, uint16_t port_id, uint32_t ip,
				  const struct rte_ether_addr *mac, bool is_reply);

struct stk_conf {
	const char *name;     /**< unique among contexts, for rte_hash names */
	int socket_id;        /**< NUMA socket for the context's memory */
	uint64_t hz;          /**< clock ticks per second of stk_set_time() */
	struct rte_mempool *mp; /**< for packets the stack creates (ARP, ICMP errors) */
	stk_tx_fn tx;
	void *tx_arg;

	uint16_t n_ifs;
	struct stk_if_conf ifs[STK_MAX_PORTS];

	uint32_t arp_entries;      /**< ARP table capacity */
	uint32_t arp_timeout_ms;   /**< a learned entry expires after this */
	uint32_t arp_retry_ms;     /**< resend an unanswered request after this */
	uint32_t arp_retries;      /**< give up (drop queued packets) after this many */
	uint32_t arp_pending_max;  /**< packets queued behind unresolved entries, all entries */
	uint16_t n_arp_static;
	struct stk_arp_static arp_static[STK_ARP_MAX_STATIC];

	uint32_t icmp_rate;  /**< ICMP errors per second (token bucket refill) */
	uint32_t icmp_burst; /**< bucket depth */
	uint8_t ttl;         /**< TTL of packets we originate */

	/** Optional: told about every valid ARP frame (NULL: this context is
	 *  alone). With it set, a reply this context did not ask for is
	 *  consumed and counted as arp_shared instead of dropped as
	 *  arp_unsolicited, because another context may have asked. */
	stk_arp_notify_fn arp_notify;
	void *arp_notify_arg;

	/** TCP (stk_tcp.h); tcp.max_conns = 0 leaves it off. */
	struct stk_tcp_conf tcp;
};

struct stk_ctx;

/** Create a context; NULL and rte_errno on failure. Control path. */
struct stk_ctx *stk_create(const struct stk_conf *conf);
/** Free a context and every mbuf it still holds (ARP queue). */
void stk_free(struct stk_ctx *ctx);

/** Set the current time in conf->hz ticks. Call before each burst. */
void stk_set_time(struct stk_ctx *ctx, uint64_t now);

/**
 * Process a burst received on @p port_id. Consumes every mbuf: each is
 * answered, handed to a service, or dropped and counted. Replies are
 * collected and given to the tx callback before this returns.
 * @return number of packets that were not dropped.
 */
uint16_t stk_input_burst(struct stk_ctx *ctx, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n);

/**
 * Hold what is sent from outside stk_input_burst() (a service answering
 * from a callback its lcore's loop runs, e.g. offloaded jobs coming back)
 * until stk_tx_release(), which hands it to the tx callback as one burst
 * instead of one call per packet. Owning lcore, outside stk_input_burst().
 */
void stk_tx_hold(struct stk_ctx *ctx);
void stk_tx_release(struct stk_ctx *ctx);

/** Timers (ARP retries and expiry). Call from the loop, e.g. every ~10 ms. */
void stk_timer_run(struct stk_ctx *ctx);

/** Count @p n drops the caller made (e.g. TX_FULL in the loop). */
void stk_count_drop(struct stk_ctx *ctx, enum stk_drop reason, uint64_t n);

/** Copy counters out (any thread). @p drops has STK_DROP_MAX entries. */
void stk_stats_read(const struct stk_ctx *ctx, struct stk_stats *st, uint64_t *drops);

/** Number of mbufs the context holds (queued behind ARP). */
uint32_t stk_mbufs_held(const struct stk_ctx *ctx);

/* ---- ARP ---- */

/** Look up @p ip (network order). 0 and *mac filled if resolved, -ENOENT otherwise. */
int stk_arp_lookup(struct stk_ctx *ctx, uint32_t ip, struct rte_ether_addr *mac);
/** Number of entries (all states) in the ARP table. */
uint32_t stk_arp_count(const struct stk_ctx *ctx);

/**
 * An ARP frame another context received and reported through its
 * arp_notify hook: apply to this context the learning rules of local input
 * (RELIABILITY.md 7). A reply teaches us @p mac only if this context has an
 * INCOMPLETE entry for @p ip on that interface (it asked); a request
 * addressed to us creates or refreshes the sender's entry. Packets queued
 * behind the entry are sent at once. The sender is checked again (valid
 * unicast MAC, not a martian, on-subnet for requests); nothing is counted as
 * a drop, since no packet reached this context.
 * Owning lcore only, outside stk_input_burst().
 * @return 1 if the entry was learned or refreshed, 0 if ignored.
 */
int stk_arp_remote(struct stk_ctx *ctx, uint16_t port_id, uint32_t ip,
		   const struct rte_ether_addr *mac, bool is_reply);

/* ---- UDP ---- */

/** A received datagram as a service sees it. */
struct stk_udp_msg {
	struct rte_mbuf *m; /**< the frame; owned by the stack unless CONSUMED */
	uint8_t *data;      /**< payload */
	uint16_t len;       /**< payload bytes; set the reply length here */
	uint16_t room;      /**< most payload bytes a reply built in place may have */
	uint32_t src_ip;    /**< network byte order */
	uint32_t dst_ip;    /**< network byte order */
	uint16_t src_port;  /**< host byte order */
	uint16_t dst_port;  /**< host byte order */
	uint16_t port_id;   /**< DPDK port it arrived on */
};

enum stk_udp_verdict {
	/** Reply with the payload untouched (echo): addresses and ports are
	 *  swapped in place and the UDP checksum stays valid without a pass
	 *  over the data. */
	STK_UDP_REPLY_SAME,
	/** Reply with msg->data[0..msg->len) as rewritten by the service. */
	STK_UDP_REPLY,
	/** The service took the mbuf (it will free or send it). */
	STK_UDP_CONSUMED,
	/** Drop, counted as udp_service_drop. */
	STK_UDP_DROP,
};

typedef enum stk_udp_verdict (*stk_udp_rx_fn)(void *arg, struct stk_udp_msg *msg);

/** Bind UDP @p port (host order) to @p fn. 0, -EEXIST, -ENOSPC or -EINVAL. */
int stk_udp_bind(struct stk_ctx *ctx, uint16_t port, stk_udp_rx_fn fn, void *arg);
/** Unbind; 0 or -ENOENT. */
int stk_udp_unbind(struct stk_ctx *ctx, uint16_t port);

/**
 * Send a datagram whose payload is the data of @p m (headroom must fit
 * Ethernet+IPv4+UDP headers). Routes by the interface subnets and default
 * gateway, resolves the next hop with ARP (queueing while unresolved).
 * The stack owns @p m afterwards in every case.
 * @return 0 if sent or queued, negative errno if dropped (and counted).
 */
int stk_udp_send(struct stk_ctx *ctx, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		 struct rte_mbuf *m);

/**
 * Answer a datagram later: @p m is one a service kept (STK_UDP_CONSUMED
 * from its udp_rx), untouched but for its payload, which now holds the
 * reply's @p len bytes (at most the msg->room it had). Addresses and ports
 * are swapped as for STK_UDP_REPLY and the reply leaves on @p port_id (the
 * msg->port_id it arrived on). Owning lcore, inside or outside a burst.
 * The stack owns @p m afterwards. @return 0, or -EINVAL if dropped
 * (counted as udp_service_drop).
 */
int stk_udp_reply_deferred(struct stk_ctx *ctx, uint16_t port_id, struct rte_mbuf *m,
			   uint16_t len);

/* ---- checksums ---- */

/**
 * Verify the IPv4 header checksum and the UDP/ICMP checksum of a received
 * packet whose l2_len/l3_len are set, honouring the RX offload flags when
 * the interface has rx_cksum_offload (GOOD/BAD trusted, UNKNOWN/NONE
 * verified in software with DPDK's rte_ipv4_cksum/rte_ipv4_udptcp_cksum_mbuf).
 * Exposed for tests and benchmarks.
 */
bool stk_ip4_hdr_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, bool offload);
bool stk_udp4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, bool offload);

/**
 * Incremental Internet checksum update (RFC 1624 eqn. 3): the checksum
 * @p cksum after one 16-bit word of the data it covers changed from
 * @p old_w to @p new_w. All three in the same byte order (as read from the
 * packet). Never 0x0000: where eqn. 3 gives it, the data sum is -0 (0xffff)
 * or the data is all zeros (an ICMP echo reply with identifier, sequence
 * and payload 0); 0xffff verifies in both cases, 0x0000 only in the first.
 * Any thread; no side effects.
 */
static inline uint16_t
stk_cksum_adjust16(uint16_t cksum, uint16_t old_w, uint16_t new_w)
{
	uint32_t sum = (uint16_t)~cksum + (uint32_t)(uint16_t)~old_w + new_w;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? 0xffff : (uint16_t)~sum;
}

#ifdef __cplusplus
}
#endif

#endif /* STK_H */
