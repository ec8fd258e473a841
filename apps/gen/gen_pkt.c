/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "gen_pkt.h"

#define GEN_MAGIC0 'S'
#define GEN_MAGIC1 'L'
#define GEN_MAGIC2 'G'
#define GEN_ARP_LEN (RTE_ETHER_HDR_LEN + (uint32_t)sizeof(struct rte_arp_hdr))

static const char *const gen_rx_names[GEN_RX_MAX] = {
#define GEN_RX_NAME(id, name) [GEN_RX_##id] = name,
	GEN_RX_KINDS(GEN_RX_NAME)
#undef GEN_RX_NAME
};

const char *
gen_rx_name(enum gen_rx k)
{
	if ((unsigned int)k >= GEN_RX_MAX)
		return NULL;
	return gen_rx_names[k];
}

static inline uint16_t
gen_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

int
gen_pkt_tmpl_init(struct gen_pkt_tmpl *t, const struct gen_pkt_conf *c, char *err, size_t errlen)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t->frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(t->frame + GEN_OFF_IP);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(t->frame + GEN_OFF_UDP);
	uint32_t ports, i;
	uint16_t l4_len;

	if (c->frame_len < GEN_MIN_FRAME || c->frame_len > GEN_MAX_FRAME) {
		snprintf(err, errlen,
			 "frame size %u is out of range: must be %u..%u bytes (Ethernet header to "
			 "the last payload byte, no FCS)",
			 c->frame_len, GEN_MIN_FRAME, GEN_MAX_FRAME);
		return -EINVAL;
	}
	if (c->n_flows == 0 || c->n_src_ips == 0) {
		snprintf(err, errlen, "flows and source addresses must be at least 1");
		return -EINVAL;
	}
	ports = (c->n_flows + c->n_src_ips - 1) / c->n_src_ips;
	if (c->src_port == 0 || (uint64_t)c->src_port + ports - 1 > UINT16_MAX) {
		snprintf(err, errlen,
			 "%u flows over %u source address(es) need source ports %u..%u, past "
			 "65535: use fewer flows, more source addresses or a lower first port",
			 c->n_flows, c->n_src_ips, c->src_port, c->src_port + ports - 1);
		return -EINVAL;
	}
	if ((uint64_t)c->src_ip + c->n_src_ips - 1 > UINT32_MAX) {
		snprintf(err, errlen, "%u source addresses run past 255.255.255.255", c->n_src_ips);
		return -EINVAL;
	}
	if (c->n_classes > GEN_PKT_MAX_CLASSES) {
		snprintf(err, errlen, "%u request classes, at most %u", c->n_classes,
			 GEN_PKT_MAX_CLASSES);
		return -EINVAL;
	}
	for (i = 0, ports = 0; i < c->n_classes; i++) {
		if (c->share[i] == 0) {
			snprintf(err, errlen, "request class %u has share 0", i);
			return -EINVAL;
		}
		ports += c->share[i];
	}
	if (ports > GEN_PKT_MIX_SLOTS) {
		snprintf(err, errlen, "request class shares add up to %u, at most %u", ports,
			 GEN_PKT_MIX_SLOTS);
		return -EINVAL;
	}

	memset(t, 0, sizeof(*t));
	t->c = *c;
	t->mix_len = (uint16_t)ports;
	{
		/* smooth weighted round robin: each class's requests spread
		 * evenly over the cycle of mix_len slots */
		int32_t cur[GEN_PKT_MAX_CLASSES] = {0};
		uint32_t slot, k, best;

		for (slot = 0; slot < t->mix_len; slot++) {
			best = 0;
			for (k = 0; k < c->n_classes; k++) {
				cur[k] += c->share[k];
				if (cur[k] > cur[best])
					best = k;
			}
			cur[best] -= (int32_t)t->mix_len;
			t->mix[slot] = (uint8_t)best;
		}
	}
	eth->dst_addr = c->dst_mac;
	eth->src_addr = c->src_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	l4_len = (uint16_t)(c->frame_len - GEN_OFF_UDP);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(c->frame_len - GEN_OFF_IP));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = c->ttl ? c->ttl : 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = 0; /* varies; added per packet */
	ip->dst_addr = rte_cpu_to_be_32(c->dst_ip);
	udp->src_port = 0; /* varies */
	udp->dst_port = rte_cpu_to_be_16(c->dst_port);
	udp->dgram_len = rte_cpu_to_be_16(l4_len);
	for (i = GEN_MIN_FRAME; i < c->frame_len; i++)
		t->frame[i] = (uint8_t)(i - GEN_OFF_PAYLOAD);
	t->ip_sum = rte_raw_cksum(ip, sizeof(*ip));
	/* pseudo-header (RFC 768) with source 0, then UDP header and payload */
	t->udp_sum = gen_fold((uint32_t)rte_ipv4_phdr_cksum(ip, 0) + rte_raw_cksum(udp, l4_len));
	return 0;
}

void
gen_pkt_match_init(struct gen_pkt_match *mt, const struct gen_pkt_tmpl *t)
{
	const struct gen_pkt_conf *c = &t->c;
	uint32_t ports = (c->n_flows + c->n_src_ips - 1) / c->n_src_ips;

	mt->our_ip_lo = c->src_ip;
	mt->our_ip_hi = c->src_ip + c->n_src_ips - 1;
	mt->peer_ip = c->dst_ip;
	mt->peer_port = c->dst_port;
	mt->port_lo = c->src_port;
	mt->port_hi = (uint16_t)(c->src_port + ports - 1);
	mt->our_mac = c->src_mac;
	memset(mt->cls_of, -1, sizeof(mt->cls_of));
	if (c->n_classes == 0)
		mt->cls_of[GEN_MAGIC0] = 0;
	for (ports = 0; ports < c->n_classes; ports++)
		mt->cls_of[c->marker[ports]] = (int8_t)ports;
}

void
gen_pkt_build(const struct gen_pkt_tmpl *t, uint8_t *buf, uint32_t flow, uint8_t tx_id,
	      uint64_t seq, uint64_t tsc)
{
	uint8_t *pl = buf + GEN_OFF_PAYLOAD;
	rte_be32_t sip;
	rte_be16_t sport;
	uint32_t ip_h, s;
	uint16_t port_h, ck;

	memcpy(buf, t->frame, t->c.frame_len);
	gen_pkt_flow(&t->c, flow, &ip_h, &port_h);
	sip = rte_cpu_to_be_32(ip_h);
	sport = rte_cpu_to_be_16(port_h);
	memcpy(buf + GEN_OFF_IP + offsetof(struct rte_ipv4_hdr, src_addr), &sip, sizeof(sip));
	memcpy(buf + GEN_OFF_UDP + offsetof(struct rte_udp_hdr, src_port), &sport, sizeof(sport));
	pl[0] = t->mix_len != 0 ? t->c.marker[t->mix[seq % t->mix_len]] : GEN_MAGIC0;
	pl[1] = GEN_MAGIC1;
	pl[2] = GEN_MAGIC2;
	pl[3] = tx_id;
	memcpy(pl + 4, &seq, sizeof(seq));
	memcpy(pl + 12, &tsc, sizeof(tsc));

	/* The words that vary, added to the template's sums. */
	s = (uint32_t)t->ip_sum + (sip >> 16) + (sip & 0xffff);
	ck = (uint16_t)~gen_fold(s);
	memcpy(buf + GEN_OFF_IP + offsetof(struct rte_ipv4_hdr, hdr_checksum), &ck, sizeof(ck));

	s = (uint32_t)t->udp_sum + (sip >> 16) + (sip & 0xffff) + sport +
	    rte_raw_cksum(pl, GEN_PAYLOAD_LEN);
	ck = (uint16_t)~gen_fold(s);
	if (ck == 0)
		ck = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	memcpy(buf + GEN_OFF_UDP + offsetof(struct rte_udp_hdr, dgram_cksum), &ck, sizeof(ck));
}

void
gen_pkt_restamp(uint8_t *buf, uint64_t tsc)
{
	uint8_t *ts = buf + GEN_OFF_PAYLOAD + 12, *ckp;
	uint16_t ck, o[4], w[4];
	uint32_t s;
	unsigned int i;

	ckp = buf + GEN_OFF_UDP + offsetof(struct rte_udp_hdr, dgram_cksum);
	memcpy(o, ts, sizeof(o));
	memcpy(ts, &tsc, sizeof(tsc));
	memcpy(w, ts, sizeof(w));
	memcpy(&ck, ckp, sizeof(ck));
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), word by word */
	s = (uint16_t)~ck;
	for (i = 0; i < 4; i++)
		s += (uint32_t)(uint16_t)~o[i] + w[i];
	ck = (uint16_t)~gen_fold(s);
	if (ck == 0)
		ck = 0xffff;
	memcpy(ckp, &ck, sizeof(ck));
}

static enum gen_rx
gen_pkt_parse_arp(const uint8_t *f, uint32_t len, const struct gen_pkt_match *mt)
{
	const struct rte_arp_hdr *ah = (const struct rte_arp_hdr *)(f + RTE_ETHER_HDR_LEN);
	uint32_t tip;

	if (len < GEN_ARP_LEN || mt->our_ip_hi == mt->our_ip_lo)
		return GEN_RX_OTHER;
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != sizeof(uint32_t) ||
	    ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) ||
	    !rte_is_valid_assigned_ether_addr(&ah->arp_data.arp_sha) || ah->arp_data.arp_sip == 0)
		return GEN_RX_OTHER;
	tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	/* the first address belongs to the stack, which answers and learns */
	if (tip > mt->our_ip_lo && tip <= mt->our_ip_hi)
		return GEN_RX_ARP_EXTRA;
	return GEN_RX_OTHER;
}

enum gen_rx
gen_pkt_parse(const uint8_t *f, uint32_t len, const struct gen_pkt_match *mt, struct gen_reply *r)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	const uint8_t *pl;
	uint32_t hl, tot, ulen, dst;
	uint16_t dport;

	if (len < RTE_ETHER_HDR_LEN)
		return GEN_RX_OTHER;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return gen_pkt_parse_arp(f, len, mt);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || len < GEN_OFF_UDP)
		return GEN_RX_OTHER;
	ip = (const struct rte_ipv4_hdr *)(f + GEN_OFF_IP);
	hl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	/* Anything wrong below UDP is the stack's to count (it has a drop
	 * reason for each); only datagrams that are ours are judged here. */
	if ((ip->version_ihl >> 4) != 4 || hl < sizeof(*ip) || tot < hl || GEN_OFF_IP + tot > len ||
	    ip->next_proto_id != IPPROTO_UDP ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) !=
		    0 ||
	    rte_be_to_cpu_32(ip->src_addr) != mt->peer_ip)
		return GEN_RX_OTHER;
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if (dst < mt->our_ip_lo || dst > mt->our_ip_hi || tot < hl + sizeof(*udp))
		return GEN_RX_OTHER;
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + hl);
	dport = rte_be_to_cpu_16(udp->dst_port);
	if (rte_be_to_cpu_16(udp->src_port) != mt->peer_port || dport < mt->port_lo ||
	    dport > mt->port_hi)
		return GEN_RX_OTHER;

	/* From the peer's service to one of our flows: a reply, or broken. */
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || ulen > tot - hl)
		return GEN_RX_BAD_LEN;
	if (rte_raw_cksum(ip, hl) != 0xffff)
		return GEN_RX_BAD_CKSUM;
	if (udp->dgram_cksum != 0) {
		uint32_t s = (uint32_t)rte_raw_cksum(&ip->src_addr, 8) +
			     rte_cpu_to_be_16(IPPROTO_UDP) + udp->dgram_len +
			     rte_raw_cksum(udp, ulen);

		if (gen_fold(s) != 0xffff)
			return GEN_RX_BAD_CKSUM;
	}
	pl = (const uint8_t *)(udp + 1);
	if (ulen - sizeof(*udp) < GEN_PAYLOAD_LEN || mt->cls_of[pl[0]] < 0 || pl[1] != GEN_MAGIC1 ||
	    pl[2] != GEN_MAGIC2)
		return GEN_RX_BAD_PAYLOAD;
	r->cls = (uint8_t)mt->cls_of[pl[0]];
	r->tx_id = pl[3];
	memcpy(&r->seq, pl + 4, sizeof(r->seq));
	memcpy(&r->tsc, pl + 12, sizeof(r->tsc));
	if (r->tx_id == GEN_TX_PROBE)
		return GEN_RX_PROBE;
	if (r->tx_id >= GEN_MAX_TX)
		return GEN_RX_BAD_PAYLOAD;
	return GEN_RX_REPLY;
}

uint32_t
gen_pkt_arp_answer(uint8_t *f, const struct gen_pkt_match *mt)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eth + 1);
	struct rte_ether_addr sha = ah->arp_data.arp_sha;
	uint32_t sip = ah->arp_data.arp_sip, tip = ah->arp_data.arp_tip;

	/* RFC 826: swap sender and target, our hardware address, op = reply */
	eth->dst_addr = sha;
	eth->src_addr = mt->our_mac;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	ah->arp_data.arp_tha = sha;
	ah->arp_data.arp_tip = sip;
	ah->arp_data.arp_sha = mt->our_mac;
	ah->arp_data.arp_sip = tip;
	return GEN_ARP_LEN;
}
