/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice-gen packets: the request builder and the reply parser. They work
 * on plain byte buffers (an mbuf's data, or a test's array) and need no
 * EAL.
 *
 * A request is Ethernet + IPv4 (20 B, DF, no options) + UDP + payload:
 *
 *   offset 42  4 B  'S' 'L' 'G' tx_id   magic; tx_id = which TX lcore sent it
 *          46  8 B  seq                 per-tx_id sequence number, host order
 *          54  8 B  tsc                 TSC when it was built, host order
 *          62  ...  pattern             (i & 0xff), to fill --size
 *
 * so the smallest frame is 62 B (no FCS, as bench/gen_pcap.py counts).
 * An echo server sends the payload back unchanged; the reply says which
 * request it answers (tx_id, seq) and when that request left (tsc).
 *
 * Flow f (0..n_flows-1) comes from source address src_ip + f % n_src_ips
 * and source port src_port + f / n_src_ips (bench/gen_pcap.py's order).
 * Checksums: the IPv4 and UDP checksums of a template with the varying
 * fields zeroed are summed once; each packet adds only the words that vary
 * (RFC 1071 sums are associative), so building a packet never sums the
 * whole payload.
 */
#ifndef GEN_PKT_H
#define GEN_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GEN_HDR_LEN 42u	    /**< Ethernet + IPv4 + UDP */
#define GEN_PAYLOAD_LEN 20u /**< magic + seq + tsc */
#define GEN_MIN_FRAME (GEN_HDR_LEN + GEN_PAYLOAD_LEN)
#define GEN_MAX_FRAME 1514u /**< Ethernet MTU 1500 */
#define GEN_OFF_IP 14u
#define GEN_OFF_UDP 34u
#define GEN_OFF_PAYLOAD 42u
/** tx_id of the request sent while resolving ARP (not counted). */
#define GEN_TX_PROBE 0xffu
/** Most TX streams (tx_id 0..GEN_MAX_TX-1). */
#define GEN_MAX_TX 64u

/** What a received frame is, from the generator's point of view. The
 *  second column names the counter of the kinds that are dropped. */
#define GEN_RX_KINDS(X)                                                                            \
	X(REPLY, "replies")                                                                        \
	X(OTHER, "to_stack")                                                                       \
	X(ARP_EXTRA, "arp_extra_answered")                                                         \
	X(PROBE, "probe_replies")                                                                  \
	X(BAD_LEN, "reply_bad_len")                                                                \
	X(BAD_CKSUM, "reply_bad_cksum")                                                            \
	X(BAD_PAYLOAD, "reply_bad_payload")                                                        \
	X(SEGMENTED, "reply_segmented")

enum gen_rx {
#define GEN_RX_ENUM(id, name) GEN_RX_##id,
	GEN_RX_KINDS(GEN_RX_ENUM)
#undef GEN_RX_ENUM
		GEN_RX_MAX
};

/** Counter name of @p k, e.g. "reply_bad_cksum"; NULL if out of range. */
const char *gen_rx_name(enum gen_rx k);

/** Most request classes (sluice-gen --mix). */
#define GEN_PKT_MAX_CLASSES 8
#define GEN_PKT_MIX_SLOTS 1000

struct gen_pkt_conf {
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
	uint32_t src_ip;    /**< first source address, host order */
	uint32_t n_src_ips; /**< >= 1 */
	uint32_t dst_ip;    /**< host order */
	uint16_t src_port;  /**< first source port */
	uint16_t dst_port;
	uint32_t n_flows;   /**< >= 1; src_port + (n_flows-1)/n_src_ips <= 65535 */
	uint16_t frame_len; /**< GEN_MIN_FRAME..GEN_MAX_FRAME */
	uint8_t ttl;
	/** Request classes: 0 = one, payload starts with the magic 'S'; else
	 *  request seq belongs to class mix[seq % mix_len], and its first
	 *  payload byte is that class's marker instead of 'S'. */
	uint8_t n_classes;
	uint8_t marker[GEN_PKT_MAX_CLASSES];
	uint16_t share[GEN_PKT_MAX_CLASSES];
};

/** Built once by gen_pkt_tmpl_init(); read-only afterwards (any lcore). */
struct gen_pkt_tmpl {
	struct gen_pkt_conf c;
	uint16_t ip_sum;  /**< ones' complement sum of the IPv4 header, src and cksum zero */
	uint16_t udp_sum; /**< of pseudo-header, UDP header and payload, varying parts zero */
	uint16_t mix_len; /**< sum of the shares; 0 = no classes */
	uint8_t mix[GEN_PKT_MIX_SLOTS]; /**< class of each slot, shares interleaved */
	uint8_t frame[GEN_MAX_FRAME];
};

/** What a reply carries. */
struct gen_reply {
	uint8_t tx_id;
	uint8_t cls; /**< request class (0 without classes) */
	uint64_t seq;
	uint64_t tsc;
};

/** What the parser accepts as a reply: derived from the template. */
struct gen_pkt_match {
	uint32_t our_ip_lo; /**< host order, inclusive */
	uint32_t our_ip_hi;
	uint32_t peer_ip; /**< host order */
	uint16_t peer_port;
	uint16_t port_lo; /**< our source ports, inclusive */
	uint16_t port_hi;
	struct rte_ether_addr our_mac;
	int8_t cls_of[256]; /**< class of a first payload byte; -1 = not ours */
};

/**
 * Check @p c and build @p t. @return 0, or -EINVAL with a reason in @p err
 * (frame length out of range, port range past 65535, no flows, ...).
 */
int gen_pkt_tmpl_init(struct gen_pkt_tmpl *t, const struct gen_pkt_conf *c, char *err,
		      size_t errlen);

/** The reply filter that goes with @p t. */
void gen_pkt_match_init(struct gen_pkt_match *mt, const struct gen_pkt_tmpl *t);

/** Source address (host order) and port of flow @p flow. */
static inline void
gen_pkt_flow(const struct gen_pkt_conf *c, uint32_t flow, uint32_t *ip, uint16_t *port)
{
	if (c->n_src_ips == 1) {
		*ip = c->src_ip;
		*port = (uint16_t)(c->src_port + flow);
	} else {
		*ip = c->src_ip + flow % c->n_src_ips;
		*port = (uint16_t)(c->src_port + flow / c->n_src_ips);
	}
}

/**
 * Write request (@p flow, @p tx_id, @p seq, @p tsc) into @p buf, which has
 * room for t->c.frame_len bytes; checksums complete. Any lcore; no
 * allocation.
 */
void gen_pkt_build(const struct gen_pkt_tmpl *t, uint8_t *buf, uint32_t flow, uint8_t tx_id,
		   uint64_t seq, uint64_t tsc);

/**
 * Change the TSC of request @p buf, built by gen_pkt_build(), to @p tsc,
 * updating the UDP checksum incrementally (RFC 1624): a request the TX
 * ring refused keeps its sequence number and leaves later with the time it
 * actually leaves.
 */
void gen_pkt_restamp(uint8_t *buf, uint64_t tsc);

/**
 * Classify the frame @p f of @p len bytes. A reply (IPv4/UDP from
 * peer_ip:peer_port to one of our addresses and ports, valid lengths and
 * checksums, our magic) fills @p r and gives GEN_RX_REPLY (GEN_RX_PROBE
 * for the ARP probe's reply). Datagrams that are ours but broken give a
 * GEN_RX_BAD_* kind. An ARP request for one of our addresses other than the
 * first gives GEN_RX_ARP_EXTRA (answer it with gen_pkt_arp_answer()).
 * Everything else, including ARP for the first address, ICMP and anything
 * malformed below UDP, is GEN_RX_OTHER: the stack's to judge and count.
 */
enum gen_rx gen_pkt_parse(const uint8_t *f, uint32_t len, const struct gen_pkt_match *mt,
			  struct gen_reply *r);

/**
 * Turn the ARP request in @p f (classified GEN_RX_ARP_EXTRA) into the reply
 * from mt->our_mac, in place (RFC 826). @return the reply's length (42).
 */
uint32_t gen_pkt_arp_answer(uint8_t *f, const struct gen_pkt_match *mt);

#ifdef __cplusplus
}
#endif

#endif /* GEN_PKT_H */
