/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP: answers, learning rules (RELIABILITY.md 7), resolution with a
 * bounded queue, retries, expiry and static entries on the fake clock. */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "fixture.h"

static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr evil_mac = {{0x02, 0xee, 0xee, 0xee, 0xee, 0xee}};
static const struct rte_ether_addr gw_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}};

static int
group_setup(void **state)
{
	(void)state;
	return fx_group_init("test_arp");
}

static struct rte_mbuf *
request(const struct rte_ether_addr *sha, const char *spa, const char *tpa)
{
	return fx_arp(fx_pool, RTE_ARP_OP_REQUEST, &fx_mac_bcast, sha, spa, &zero_mac, tpa);
}

static struct rte_mbuf *
reply(const struct rte_ether_addr *sha, const char *spa)
{
	return fx_arp(fx_pool, RTE_ARP_OP_REPLY, &fx_mac_us, sha, spa, &fx_mac_us, FX_IP_US);
}

/* A datagram payload whose first byte is @tag. */
static struct rte_mbuf *
payload(uint8_t tag)
{
	struct rte_mbuf *m = fx_payload(fx_pool, 10, 0);

	rte_pktmbuf_mtod(m, uint8_t *)[0] = tag;
	return m;
}

static int
send_to(struct fx *fx, const char *dst, uint8_t tag)
{
	return stk_udp_send(fx->stk, fx_ip(dst), 5000, 6000, payload(tag));
}

static void
check_request(struct rte_mbuf *m, const char *tpa)
{
	struct rte_arp_hdr *ah = fx_arph(m);

	assert_int_equal(rte_pktmbuf_pkt_len(m), 42);
	assert_true(rte_is_broadcast_ether_addr(&fx_eth(m)->dst_addr));
	assert_true(rte_is_same_ether_addr(&fx_eth(m)->src_addr, &fx_mac_us));
	assert_int_equal(fx_eth(m)->ether_type, RTE_BE16(RTE_ETHER_TYPE_ARP));
	assert_int_equal(ah->arp_hardware, RTE_BE16(RTE_ARP_HRD_ETHER));
	assert_int_equal(ah->arp_protocol, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_int_equal(ah->arp_hlen, 6);
	assert_int_equal(ah->arp_plen, 4);
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REQUEST));
	assert_int_equal(ah->arp_data.arp_sip, fx_ip(FX_IP_US));
	assert_int_equal(ah->arp_data.arp_tip, fx_ip(tpa));
}

static void
check_udp_to(struct rte_mbuf *m, const struct rte_ether_addr *mac, const char *dst, uint8_t tag)
{
	assert_true(rte_is_same_ether_addr(&fx_eth(m)->dst_addr, mac));
	assert_true(rte_is_same_ether_addr(&fx_eth(m)->src_addr, &fx_mac_us));
	assert_int_equal(fx_ip4(m)->dst_addr, fx_ip(dst));
	assert_int_equal(fx_ip4(m)->src_addr, fx_ip(FX_IP_US));
	assert_true(fx_ip4_cksum_valid(m));
	assert_true(fx_udp_cksum_valid(m));
	assert_int_equal(fx_l4_payload(m)[0], tag);
}

static void
test_arp_request_answered(void **state)
{
	struct fx *fx = *state;
	struct rte_ether_addr mac;
	struct rte_arp_hdr *ah;
	struct rte_mbuf *r;
	struct stk_stats st;

	assert_int_equal(fx_input(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US)), 1);
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	ah = fx_arph(r);
	assert_int_equal(rte_pktmbuf_pkt_len(r), 42);
	assert_true(rte_is_same_ether_addr(&fx_eth(r)->dst_addr, &fx_mac_peer));
	assert_true(rte_is_same_ether_addr(&fx_eth(r)->src_addr, &fx_mac_us));
	assert_int_equal(ah->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	mac = ah->arp_data.arp_sha;
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_us));
	mac = ah->arp_data.arp_tha;
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));
	assert_int_equal(ah->arp_data.arp_sip, fx_ip(FX_IP_US));
	assert_int_equal(ah->arp_data.arp_tip, fx_ip(FX_IP_PEER));
	/* a request addressed to us teaches us the sender */
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));
	st = fx_stats(fx);
	assert_int_equal(st.arp_rx, 1);
	assert_int_equal(st.arp_replies_sent, 1);
	assert_int_equal(st.arp_learned, 1);
	assert_int_equal(fx_drops_total(fx), 0);
}

static void
test_arp_request_padded(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = request(&fx_mac_peer, FX_IP_PEER, FX_IP_US);

	fx_pad(m, 18); /* 60-byte minimum frame */
	assert_int_equal(fx_input(fx, m), 1);
	assert_int_equal(fx->cap.n, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(fx->cap.pkts[0]), 42);
}

static void
test_arp_request_not_for_us(void **state)
{
	struct fx *fx = *state;

	fx_expect_drop(fx, request(&fx_mac_peer, FX_IP_PEER, "10.0.0.3"), STK_DROP_ARP_NOT_FOR_US);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), NULL), -ENOENT);
	assert_int_equal(stk_arp_count(fx->stk), 0);
}

static void
test_arp_gratuitous_not_learned(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m;

	/* gratuitous request and reply: sender == target == the sender's IP */
	fx_expect_drop(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_PEER), STK_DROP_ARP_NOT_FOR_US);
	m = fx_arp(fx_pool, RTE_ARP_OP_REPLY, &fx_mac_bcast, &fx_mac_peer, FX_IP_PEER, &fx_mac_bcast,
		   FX_IP_PEER);
	fx_expect_drop(fx, m, STK_DROP_ARP_NOT_FOR_US);
	assert_int_equal(stk_arp_count(fx->stk), 0);
}

static void
test_arp_unsolicited_reply_not_learned(void **state)
{
	struct fx *fx = *state;

	fx_expect_drop(fx, reply(&fx_mac_peer, FX_IP_PEER), STK_DROP_ARP_UNSOLICITED);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), NULL), -ENOENT);
	assert_int_equal(stk_arp_count(fx->stk), 0);
}

static void
test_arp_reply_cannot_poison(void **state)
{
	struct fx *fx = *state;
	struct rte_ether_addr mac;

	assert_int_equal(fx_input(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US)), 1);
	fx_expect_drop(fx, reply(&evil_mac, FX_IP_PEER), STK_DROP_ARP_UNSOLICITED);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));
}

static void
test_arp_bad_sender(void **state)
{
	struct fx *fx = *state;
	const struct rte_ether_addr mcast = {{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}};
	const struct {
		const struct rte_ether_addr *sha;
		const char *spa;
	} bad[] = {
		{&fx_mac_bcast, FX_IP_PEER}, {&mcast, FX_IP_PEER},
		{&zero_mac, FX_IP_PEER},     {&fx_mac_us, FX_IP_PEER},
		{&fx_mac_peer, "0.0.0.0"},   {&fx_mac_peer, "255.255.255.255"},
		{&fx_mac_peer, FX_IP_US},    {&fx_mac_peer, "224.0.0.5"},
		{&fx_mac_peer, FX_IP_BCAST}, {&fx_mac_peer, "127.0.0.1"},
		{&fx_mac_peer, "192.0.2.1"}, /* off-subnet */
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		struct rte_mbuf *m = request(bad[i].sha, bad[i].spa, FX_IP_US);

		/* the Ethernet source stays valid so that only ARP judges */
		fx_eth(m)->src_addr = fx_mac_peer;
		fx_expect_drop(fx, m, STK_DROP_ARP_BAD_SENDER);
	}
	/* the same senders in replies are rejected before anything else */
	fx_expect_drop(fx, reply(&fx_mac_peer, "0.0.0.0"), STK_DROP_ARP_BAD_SENDER);
	assert_int_equal(stk_arp_count(fx->stk), 0);
}

static void
test_arp_bad_hdr(void **state)
{
	struct fx *fx = *state;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		struct rte_mbuf *m = request(&fx_mac_peer, FX_IP_PEER, FX_IP_US);
		struct rte_arp_hdr *ah = fx_arph(m);

		switch (i) {
		case 0:
			ah->arp_hardware = RTE_BE16(6);
			break;
		case 1:
			ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV6);
			break;
		case 2:
			ah->arp_hlen = 5; /* too short */
			break;
		case 3:
			ah->arp_hlen = 8; /* too long */
			break;
		case 4:
			ah->arp_plen = 3;
			break;
		case 5:
			ah->arp_plen = 16;
			break;
		case 6:
			ah->arp_opcode = 0;
			break;
		default:
			ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REVREQUEST);
			break;
		}
		fx_expect_drop(fx, m, STK_DROP_ARP_BAD_HDR);
	}
}

static void
test_arp_too_short(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = request(&fx_mac_peer, FX_IP_PEER, FX_IP_US);

	rte_pktmbuf_trim(m, 1); /* 41 bytes */
	fx_expect_drop(fx, m, STK_DROP_ARP_TOO_SHORT);
	m = request(&fx_mac_peer, FX_IP_PEER, FX_IP_US);
	rte_pktmbuf_trim(m, 28); /* Ethernet header only */
	fx_expect_drop(fx, m, STK_DROP_ARP_TOO_SHORT);
	/* ARP split over two segments: the header is not in the first */
	m = fx_split(fx_pool, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US), 30);
	fx_expect_drop(fx, m, STK_DROP_ARP_TOO_SHORT);
}

static void
test_arp_resolve_and_flush(void **state)
{
	struct fx *fx = *state;
	struct rte_ether_addr mac;

	assert_int_equal(send_to(fx, FX_IP_PEER, 0xa1), 0);
	assert_int_equal(fx->cap.n, 1);
	check_request(fx->cap.pkts[0], FX_IP_PEER);
	assert_int_equal(stk_mbufs_held(fx->stk), 1);
	assert_int_equal(stk_arp_count(fx->stk), 1);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), NULL), -ENOENT);

	assert_int_equal(fx_input(fx, reply(&fx_mac_peer, FX_IP_PEER)), 1);
	assert_int_equal(fx_drops_total(fx), 0);
	assert_int_equal(fx->cap.n, 2);
	check_udp_to(fx->cap.pkts[1], &fx_mac_peer, FX_IP_PEER, 0xa1);
	assert_int_equal(stk_mbufs_held(fx->stk), 0);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));

	/* resolved: the next datagram goes at once, no request */
	assert_int_equal(send_to(fx, FX_IP_PEER, 0xa2), 0);
	assert_int_equal(fx->cap.n, 3);
	check_udp_to(fx->cap.pkts[2], &fx_mac_peer, FX_IP_PEER, 0xa2);
	assert_int_equal(fx_stats(fx).arp_requests_sent, 1);
	/* a second reply to a request already answered is not news */
	fx_expect_drop(fx, reply(&fx_mac_peer, FX_IP_PEER), STK_DROP_ARP_UNSOLICITED);
}

static void
test_arp_resolved_by_request(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(send_to(fx, FX_IP_PEER, 0xb1), 0);
	assert_int_equal(fx_input(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US)), 1);
	/* the ARP request, the released datagram and our reply */
	assert_int_equal(fx->cap.n, 3);
	check_udp_to(fx->cap.pkts[1], &fx_mac_peer, FX_IP_PEER, 0xb1);
	assert_int_equal(fx_arph(fx->cap.pkts[2])->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_int_equal(stk_mbufs_held(fx->stk), 0);
}

static void
test_arp_pending_bound(void **state)
{
	struct fx *fx = *state;
	unsigned int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(send_to(fx, FX_IP_PEER, (uint8_t)i), 0);
	assert_int_equal(send_to(fx, FX_IP_PEER, 4), -ENOBUFS);
	assert_int_equal(send_to(fx, FX_IP_PEER, 5), -ENOBUFS);
	assert_int_equal(fx_drop(fx, STK_DROP_ARP_PENDING_FULL), 2);
	assert_int_equal(fx_drops_total(fx), 2);
	assert_int_equal(stk_mbufs_held(fx->stk), 4);
	assert_int_equal(fx->cap.n, 1); /* one request for all of them */

	assert_int_equal(fx_input(fx, reply(&fx_mac_peer, FX_IP_PEER)), 1);
	assert_int_equal(fx->cap.n, 5);
	for (i = 0; i < 4; i++) /* in order */
		check_udp_to(fx->cap.pkts[1 + i], &fx_mac_peer, FX_IP_PEER, (uint8_t)i);
	assert_int_equal(stk_mbufs_held(fx->stk), 0);
}

static void
test_arp_pending_shared_by_entries(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(send_to(fx, "10.0.0.2", 1), 0);
	assert_int_equal(send_to(fx, "10.0.0.2", 2), 0);
	assert_int_equal(send_to(fx, "10.0.0.3", 3), 0);
	assert_int_equal(send_to(fx, "10.0.0.3", 4), 0);
	assert_int_equal(send_to(fx, "10.0.0.4", 5), -ENOBUFS);
	assert_int_equal(fx_drop(fx, STK_DROP_ARP_PENDING_FULL), 1);
	/* no entry (and no request) for a packet that could not wait */
	assert_int_equal(stk_arp_count(fx->stk), 2);
	assert_int_equal(fx_stats(fx).arp_requests_sent, 2);
	assert_int_equal(stk_mbufs_held(fx->stk), 4);
}

static void
test_arp_retries_then_unresolved(void **state)
{
	struct fx *fx = *state;
	unsigned int i;

	assert_int_equal(send_to(fx, FX_IP_PEER, 1), 0);
	assert_int_equal(send_to(fx, FX_IP_PEER, 2), 0);
	assert_int_equal(fx->cap.n, 1);
	fx_advance_ms(fx, 99);
	stk_timer_run(fx->stk);
	assert_int_equal(fx->cap.n, 1);
	fx_advance_ms(fx, 1);
	stk_timer_run(fx->stk);
	assert_int_equal(fx->cap.n, 2); /* retry 1 */
	fx_advance_ms(fx, 100);
	stk_timer_run(fx->stk);
	assert_int_equal(fx->cap.n, 3); /* retry 2 = arp_retries */
	assert_int_equal(stk_mbufs_held(fx->stk), 2);
	assert_int_equal(fx_drops_total(fx), 0);
	fx_advance_ms(fx, 100);
	stk_timer_run(fx->stk);
	assert_int_equal(fx->cap.n, 3);
	assert_int_equal(fx_drop(fx, STK_DROP_ARP_UNRESOLVED), 2);
	assert_int_equal(fx_drops_total(fx), 2);
	assert_int_equal(stk_mbufs_held(fx->stk), 0);
	assert_int_equal(stk_arp_count(fx->stk), 0);
	for (i = 0; i < fx->cap.n; i++)
		check_request(fx->cap.pkts[i], FX_IP_PEER);
	assert_int_equal(fx_stats(fx).arp_requests_sent, 1 + fx->conf.arp_retries);
	/* a late reply is unsolicited now */
	fx_expect_drop(fx, reply(&fx_mac_peer, FX_IP_PEER), STK_DROP_ARP_UNSOLICITED);
	fx_advance_ms(fx, 10000);
	stk_timer_run(fx->stk);
	assert_int_equal(fx->cap.n, 3);
}

static void
test_arp_expiry(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx_input(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US)), 1);
	fx_advance_ms(fx, 999);
	stk_timer_run(fx->stk);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), NULL), 0);
	fx_advance_ms(fx, 1);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), NULL), -ENOENT);
	assert_int_equal(stk_arp_count(fx->stk), 1); /* not reaped yet */
	stk_timer_run(fx->stk);
	assert_int_equal(stk_arp_count(fx->stk), 0);
	assert_int_equal(fx_stats(fx).arp_expired, 1);
}

static void
test_arp_expired_entry_resolved_again(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx_input(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US)), 1);
	fx_advance_ms(fx, 1000);
	/* before the timer ran: sending finds the stale entry and asks again */
	assert_int_equal(send_to(fx, FX_IP_PEER, 7), 0);
	assert_int_equal(fx->cap.n, 2);
	check_request(fx->cap.pkts[1], FX_IP_PEER);
	assert_int_equal(stk_mbufs_held(fx->stk), 1);
	assert_int_equal(fx_stats(fx).arp_expired, 1);
	assert_int_equal(fx_input(fx, reply(&fx_mac_peer, FX_IP_PEER)), 1);
	check_udp_to(fx->cap.pkts[2], &fx_mac_peer, FX_IP_PEER, 7);
}

static void
test_arp_static(void **state)
{
	struct fx *fx = *state;
	const struct rte_ether_addr smac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x09}};
	struct rte_ether_addr mac;

	fx->conf.n_arp_static = 1;
	fx->conf.arp_static[0].ip = fx_ip("10.0.0.9");
	fx->conf.arp_static[0].mac = smac;
	assert_int_equal(fx_start(fx), 0);
	assert_int_equal(stk_arp_count(fx->stk), 1);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip("10.0.0.9"), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &smac));

	fx_advance_ms(fx, 86400 * 1000ULL);
	stk_timer_run(fx->stk);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip("10.0.0.9"), &mac), 0);

	/* neither a request nor a reply changes it */
	assert_int_equal(fx_input(fx, request(&evil_mac, "10.0.0.9", FX_IP_US)), 1);
	fx_expect_drop(fx, reply(&evil_mac, "10.0.0.9"), STK_DROP_ARP_UNSOLICITED);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip("10.0.0.9"), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &smac));

	/* and it is used at once */
	assert_int_equal(send_to(fx, "10.0.0.9", 9), 0);
	assert_int_equal(fx->cap.n, 2); /* ARP reply to the request above + datagram */
	check_udp_to(fx->cap.pkts[1], &smac, "10.0.0.9", 9);
	assert_int_equal(fx_stats(fx).arp_requests_sent, 0);
}

static void
test_arp_table_full(void **state)
{
	struct fx *fx = *state;

	fx->conf.arp_entries = 4;
	fx->conf.arp_pending_max = 16;
	assert_int_equal(fx_start(fx), 0);
	assert_int_equal(send_to(fx, "10.0.0.2", 2), 0);
	assert_int_equal(send_to(fx, "10.0.0.3", 3), 0);
	assert_int_equal(send_to(fx, "10.0.0.4", 4), 0);
	assert_int_equal(send_to(fx, "10.0.0.5", 5), 0);
	assert_int_equal(send_to(fx, "10.0.0.6", 6), -ENOSPC);
	assert_int_equal(fx_drop(fx, STK_DROP_ARP_TABLE_FULL), 1);
	assert_int_equal(fx_drops_total(fx), 1);
	assert_int_equal(stk_arp_count(fx->stk), 4);
	assert_int_equal(stk_mbufs_held(fx->stk), 4);

	/* a request to us is still answered; the sender just is not learned */
	assert_int_equal(fx_input(fx, request(&fx_mac_peer, "10.0.0.7", FX_IP_US)), 1);
	assert_int_equal(fx->cap.n, 5);
	assert_int_equal(fx_arph(fx->cap.pkts[4])->arp_opcode, RTE_BE16(RTE_ARP_OP_REPLY));
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip("10.0.0.7"), NULL), -ENOENT);
	assert_int_equal(fx_stats(fx).arp_learn_table_full, 1);
	assert_int_equal(fx_drops_total(fx), 1);
}

static void
test_arp_table_full_large(void **state)
{
	struct fx *fx = *state;
	char ip[32];
	unsigned int i;

	/* more than one rte_hash bucket: capacity is exact */
	fx->conf.arp_entries = 100;
	fx->conf.arp_pending_max = 200;
	assert_int_equal(fx_start(fx), 0);
	for (i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%u", i + 2);
		assert_int_equal(send_to(fx, ip, (uint8_t)i), 0);
	}
	assert_int_equal(send_to(fx, "10.0.0.200", 0), -ENOSPC);
	assert_int_equal(stk_arp_count(fx->stk), 100);
	/* give up on all of them: the table is empty again and reusable */
	fx_advance_ms(fx, 1000);
	stk_timer_run(fx->stk);
	fx_advance_ms(fx, 1000);
	stk_timer_run(fx->stk);
	fx_advance_ms(fx, 1000);
	stk_timer_run(fx->stk);
	assert_int_equal(stk_arp_count(fx->stk), 0);
	assert_int_equal(fx_drop(fx, STK_DROP_ARP_UNRESOLVED), 100);
	assert_int_equal(send_to(fx, "10.0.0.200", 0), 0);
}

static void
test_arp_via_gateway(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(send_to(fx, "192.0.2.1", 0x33), 0);
	assert_int_equal(fx->cap.n, 1);
	check_request(fx->cap.pkts[0], FX_IP_GW);
	assert_int_equal(fx_input(fx, reply(&gw_mac, FX_IP_GW)), 1);
	assert_int_equal(fx->cap.n, 2);
	check_udp_to(fx->cap.pkts[1], &gw_mac, "192.0.2.1", 0x33);
}

static void
test_arp_no_route(void **state)
{
	struct fx *fx = *state;

	fx->conf.ifs[0].gateway = 0;
	assert_int_equal(fx_start(fx), 0);
	assert_int_equal(send_to(fx, "192.0.2.1", 0), -ENETUNREACH);
	assert_int_equal(fx_drop(fx, STK_DROP_IP4_NO_ROUTE), 1);
	assert_int_equal(fx_drops_total(fx), 1);
	assert_int_equal(fx->cap.n, 0);
	/* not a unicast destination either */
	assert_int_equal(send_to(fx, "224.0.0.1", 0), -ENETUNREACH);
	assert_int_equal(send_to(fx, FX_IP_US, 0), -ENETUNREACH);
	assert_int_equal(fx_drop(fx, STK_DROP_IP4_NO_ROUTE), 3);
}

static void
test_arp_two_interfaces(void **state)
{
	struct fx *fx = *state;
	const struct rte_ether_addr mac1 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
	const struct rte_ether_addr peer1 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x05}};
	struct stk_if_conf *ifc = &fx->conf.ifs[1];
	struct rte_mbuf *m;

	fx->conf.n_ifs = 2;
	ifc->port_id = 3;
	ifc->mac = mac1;
	ifc->ip = fx_ip("192.168.1.1");
	ifc->prefix_len = 24;
	ifc->mtu = 1500;
	assert_int_equal(fx_start(fx), 0);

	/* route by subnet: out of port 3 with its own addresses */
	assert_int_equal(send_to(fx, "192.168.1.5", 1), 0);
	assert_int_equal(fx->cap.n, 1);
	assert_int_equal(fx->cap.port[0], 3);
	assert_true(rte_is_same_ether_addr(&fx_eth(fx->cap.pkts[0])->src_addr, &mac1));
	assert_int_equal(fx_arph(fx->cap.pkts[0])->arp_data.arp_sip, fx_ip("192.168.1.1"));

	/* the reply arrives on port 3 and releases the datagram there */
	m = fx_arp(fx_pool, RTE_ARP_OP_REPLY, &mac1, &peer1, "192.168.1.5", &mac1, "192.168.1.1");
	assert_int_equal(stk_input_burst(fx->stk, 3, &m, 1), 1);
	assert_int_equal(fx->cap.n, 2);
	assert_int_equal(fx->cap.port[1], 3);
	assert_true(rte_is_same_ether_addr(&fx_eth(fx->cap.pkts[1])->dst_addr, &peer1));
	assert_int_equal(fx_ip4(fx->cap.pkts[1])->src_addr, fx_ip("192.168.1.1"));

	/* port 0 does not answer for port 3's address */
	m = request(&fx_mac_peer, FX_IP_PEER, "192.168.1.1");
	fx_expect_drop(fx, m, STK_DROP_ARP_NOT_FOR_US);
}

static void
test_arp_reply_on_wrong_interface(void **state)
{
	struct fx *fx = *state;
	const struct rte_ether_addr mac1 = {{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
	struct stk_if_conf *ifc = &fx->conf.ifs[1];
	struct rte_mbuf *m;

	fx->conf.n_ifs = 2;
	ifc->port_id = 3;
	ifc->mac = mac1;
	ifc->ip = fx_ip("10.0.0.1"); /* same subnet on both ports */
	ifc->prefix_len = 24;
	assert_int_equal(fx_start(fx), 0);
	assert_int_equal(send_to(fx, FX_IP_PEER, 1), 0);
	assert_int_equal(fx->cap.port[0], FX_PORT);
	m = fx_arp(fx_pool, RTE_ARP_OP_REPLY, &mac1, &fx_mac_peer, FX_IP_PEER, &mac1, FX_IP_US);
	assert_int_equal(stk_input_burst(fx->stk, 3, &m, 1), 0);
	assert_int_equal(fx_drop(fx, STK_DROP_ARP_UNSOLICITED), 1);
	assert_int_equal(stk_mbufs_held(fx->stk), 1);
}

static void
test_arp_free_with_pending(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(send_to(fx, FX_IP_PEER, 1), 0);
	assert_int_equal(send_to(fx, "10.0.0.3", 2), 0);
	assert_int_equal(send_to(fx, "10.0.0.3", 3), 0);
	assert_int_equal(stk_mbufs_held(fx->stk), 3);
	/* teardown's stk_free must return them: the baseline check proves it */
}

static void
test_arp_hash_name_unique(void **state)
{
	struct fx *fx = *state;

	rte_errno = 0;
	assert_null(stk_create(&fx->conf));
	assert_int_equal(rte_errno, EEXIST);
}

static void
test_arp_zero_pending(void **state)
{
	struct fx *fx = *state;

	fx->conf.arp_pending_max = 0;
	assert_int_equal(fx_start(fx), 0);
	assert_int_equal(send_to(fx, FX_IP_PEER, 1), -ENOBUFS);
	assert_int_equal(fx_drop(fx, STK_DROP_ARP_PENDING_FULL), 1);
	assert_int_equal(fx->cap.n, 0);
	/* but a request from the peer still teaches us, and then we can send */
	assert_int_equal(fx_input(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US)), 1);
	assert_int_equal(send_to(fx, FX_IP_PEER, 2), 0);
	check_udp_to(fx->cap.pkts[1], &fx_mac_peer, FX_IP_PEER, 2);
}

/* ---- ARP shared between contexts: stk_arp_remote() and arp_notify ---- */

struct notify_log {
	unsigned int n;
	uint16_t port_id[8];
	uint32_t ip[8];
	struct rte_ether_addr mac[8];
	bool is_reply[8];
	struct stk_ctx *peer; /* if set, every notification is delivered to it */
};

static void
notify_cb(void *arg, uint16_t port_id, uint32_t ip, const struct rte_ether_addr *mac,
	  bool is_reply)
{
	struct notify_log *log = arg;

	if (log->n < RTE_DIM(log->ip)) {
		log->port_id[log->n] = port_id;
		log->ip[log->n] = ip;
		log->mac[log->n] = *mac;
		log->is_reply[log->n] = is_reply;
		log->n++;
	}
	if (log->peer != NULL)
		stk_arp_remote(log->peer, port_id, ip, mac, is_reply);
}

/* A reply another context received resolves the entry this one left
 * INCOMPLETE and sends what waited behind it. */
static void
test_arp_remote_reply_resolves_pending(void **state)
{
	struct fx *fx = *state;
	struct rte_ether_addr mac;

	assert_int_equal(send_to(fx, FX_IP_PEER, 0xc1), 0);
	assert_int_equal(send_to(fx, FX_IP_PEER, 0xc2), 0);
	assert_int_equal(fx->cap.n, 1);
	check_request(fx->cap.pkts[0], FX_IP_PEER);
	assert_int_equal(stk_mbufs_held(fx->stk), 2);

	assert_int_equal(stk_arp_remote(fx->stk, FX_PORT, fx_ip(FX_IP_PEER), &fx_mac_peer, true),
			 1);
	assert_int_equal(fx->cap.n, 3);
	check_udp_to(fx->cap.pkts[1], &fx_mac_peer, FX_IP_PEER, 0xc1);
	check_udp_to(fx->cap.pkts[2], &fx_mac_peer, FX_IP_PEER, 0xc2);
	assert_int_equal(stk_mbufs_held(fx->stk), 0);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));
	assert_int_equal(fx_stats(fx).arp_remote_learned, 1);
	assert_int_equal(fx_drops_total(fx), 0);
	/* the entry is resolved now: a second remote reply is not news */
	assert_int_equal(stk_arp_remote(fx->stk, FX_PORT, fx_ip(FX_IP_PEER), &evil_mac, true), 0);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));
}

/* A reply nobody here asked for teaches nothing, whoever received it. */
static void
test_arp_remote_unsolicited_reply_ignored(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(stk_arp_remote(fx->stk, FX_PORT, fx_ip(FX_IP_PEER), &fx_mac_peer, true),
			 0);
	assert_int_equal(stk_arp_count(fx->stk), 0);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), NULL), -ENOENT);
	assert_int_equal(fx->cap.n, 0);
	assert_int_equal(fx_drops_total(fx), 0);
	assert_int_equal(fx_stats(fx).arp_remote_learned, 0);
}

/* A request addressed to us, received elsewhere, teaches the sender here
 * too; a reply cannot then redirect it. */
static void
test_arp_remote_request_learns(void **state)
{
	struct fx *fx = *state;
	struct rte_ether_addr mac;

	assert_int_equal(
		stk_arp_remote(fx->stk, FX_PORT, fx_ip(FX_IP_PEER), &fx_mac_peer, false), 1);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));
	assert_int_equal(fx->cap.n, 0); /* the receiving context answered, not us */
	assert_int_equal(stk_arp_remote(fx->stk, FX_PORT, fx_ip(FX_IP_PEER), &evil_mac, true), 0);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_PEER), &mac), 0);
	assert_true(rte_is_same_ether_addr(&mac, &fx_mac_peer));
	/* and the datagram goes at once */
	assert_int_equal(send_to(fx, FX_IP_PEER, 0xd1), 0);
	assert_int_equal(fx->cap.n, 1);
	check_udp_to(fx->cap.pkts[0], &fx_mac_peer, FX_IP_PEER, 0xd1);
}

/* The same sender checks as local input, whatever the caller passes. */
static void
test_arp_remote_rejects_bad_senders(void **state)
{
	struct fx *fx = *state;
	const struct rte_ether_addr mcast = {{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}};
	const struct {
		uint16_t port;
		const char *ip;
		const struct rte_ether_addr *mac;
	} bad[] = {
		{FX_PORT, FX_IP_PEER, &fx_mac_bcast}, {FX_PORT, FX_IP_PEER, &mcast},
		{FX_PORT, FX_IP_PEER, &zero_mac},     {FX_PORT, FX_IP_PEER, &fx_mac_us},
		{FX_PORT, "0.0.0.0", &fx_mac_peer},   {FX_PORT, FX_IP_US, &fx_mac_peer},
		{FX_PORT, FX_IP_BCAST, &fx_mac_peer}, {FX_PORT, "224.0.0.5", &fx_mac_peer},
		{FX_PORT, "192.0.2.1", &fx_mac_peer}, /* off-subnet request */
		{7, FX_IP_PEER, &fx_mac_peer},	      /* no such interface */
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++)
		assert_int_equal(
			stk_arp_remote(fx->stk, bad[i].port, fx_ip(bad[i].ip), bad[i].mac, false),
			0);
	assert_int_equal(stk_arp_remote(fx->stk, FX_PORT, fx_ip(FX_IP_PEER), NULL, false), 0);
	assert_int_equal(stk_arp_count(fx->stk), 0);
	assert_int_equal(fx_drops_total(fx), 0);
}

/* A remote reply for an entry asked on another interface is not ours. */
static void
test_arp_remote_reply_wrong_interface(void **state)
{
	struct fx *fx = *state;
	struct stk_if_conf *ifc = &fx->conf.ifs[1];

	fx->conf.n_ifs = 2;
	ifc->port_id = 3;
	ifc->mac = (struct rte_ether_addr){{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
	ifc->ip = fx_ip("10.0.0.1");
	ifc->prefix_len = 24;
	assert_int_equal(fx_start(fx), 0);
	assert_int_equal(send_to(fx, FX_IP_PEER, 1), 0);
	assert_int_equal(stk_arp_remote(fx->stk, 3, fx_ip(FX_IP_PEER), &fx_mac_peer, true), 0);
	assert_int_equal(stk_mbufs_held(fx->stk), 1);
	assert_int_equal(stk_arp_remote(fx->stk, FX_PORT, fx_ip(FX_IP_PEER), &fx_mac_peer, true),
			 1);
	assert_int_equal(stk_mbufs_held(fx->stk), 0);
}

/* The hook hears every valid ARP frame and nothing else; with a hook, a
 * reply this context did not ask for is handed on, not dropped. */
static void
test_arp_notify_hook(void **state)
{
	struct fx *fx = *state;
	struct notify_log log = {0};
	struct rte_mbuf *m;

	fx->conf.arp_notify = notify_cb;
	fx->conf.arp_notify_arg = &log;
	assert_int_equal(fx_start(fx), 0);

	assert_int_equal(fx_input(fx, request(&fx_mac_peer, FX_IP_PEER, FX_IP_US)), 1);
	assert_int_equal(log.n, 1);
	assert_false(log.is_reply[0]);
	assert_int_equal(log.port_id[0], FX_PORT);
	assert_int_equal(log.ip[0], fx_ip(FX_IP_PEER));
	assert_true(rte_is_same_ether_addr(&log.mac[0], &fx_mac_peer));
	assert_int_equal(fx->cap.n, 1); /* answered here as before */

	assert_int_equal(fx_input(fx, reply(&gw_mac, FX_IP_GW)), 1);
	assert_int_equal(log.n, 2);
	assert_true(log.is_reply[1]);
	assert_int_equal(log.ip[1], fx_ip(FX_IP_GW));
	assert_int_equal(fx_drops_total(fx), 0);
	assert_int_equal(stk_arp_lookup(fx->stk, fx_ip(FX_IP_GW), NULL), -ENOENT);
	assert_int_equal(fx_stats(fx).arp_shared, 2);

	/* frames that fail a check are dropped here and never shared */
	fx_expect_drop(fx, request(&fx_mac_peer, FX_IP_PEER, "10.0.0.3"), STK_DROP_ARP_NOT_FOR_US);
	m = request(&fx_mac_bcast, FX_IP_PEER, FX_IP_US);
	fx_eth(m)->src_addr = fx_mac_peer;
	fx_expect_drop(fx, m, STK_DROP_ARP_BAD_SENDER);
	fx_expect_drop(fx, reply(&fx_mac_peer, "0.0.0.0"), STK_DROP_ARP_BAD_SENDER);
	assert_int_equal(log.n, 2);
}

/* Two contexts joined by the hook, as lcore/ joins them through rings: the
 * one that asked learns from the reply the other one received. */
static void
test_arp_two_contexts(void **state)
{
	struct fx *a = *state, *b;
	struct notify_log log = {0};

	a->conf.arp_notify = notify_cb;
	a->conf.arp_notify_arg = &log;
	assert_int_equal(fx_start(a), 0);
	b = fx_new(fx_pool); /* after a started: fx_new reuses one name buffer */
	assert_int_equal(fx_start(b), 0);
	log.peer = b->stk;

	assert_int_equal(send_to(b, FX_IP_PEER, 0xe1), 0);
	assert_int_equal(stk_mbufs_held(b->stk), 1);
	/* the reply lands on a, which did not ask: shared, not dropped */
	assert_int_equal(fx_input(a, reply(&fx_mac_peer, FX_IP_PEER)), 1);
	assert_int_equal(fx_drops_total(a), 0);
	assert_int_equal(stk_arp_lookup(a->stk, fx_ip(FX_IP_PEER), NULL), -ENOENT);
	assert_int_equal(b->cap.n, 2);
	check_udp_to(b->cap.pkts[1], &fx_mac_peer, FX_IP_PEER, 0xe1);
	assert_int_equal(stk_mbufs_held(b->stk), 0);
	assert_int_equal(fx_stats(b).arp_remote_learned, 1);
	/* a spoofed reply through a reaches b and is ignored there too */
	assert_int_equal(fx_input(a, reply(&evil_mac, "10.0.0.9")), 1);
	assert_int_equal(stk_arp_lookup(b->stk, fx_ip("10.0.0.9"), NULL), -ENOENT);
	assert_int_equal(stk_arp_count(b->stk), 1);
	fx_cap_clear(&a->cap);
	fx_delete(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
#define TU(f) cmocka_unit_test_setup_teardown(f, fx_setup_unstarted, fx_teardown)
		T(test_arp_request_answered),
		T(test_arp_request_padded),
		T(test_arp_request_not_for_us),
		T(test_arp_gratuitous_not_learned),
		T(test_arp_unsolicited_reply_not_learned),
		T(test_arp_reply_cannot_poison),
		T(test_arp_bad_sender),
		T(test_arp_bad_hdr),
		T(test_arp_too_short),
		T(test_arp_resolve_and_flush),
		T(test_arp_resolved_by_request),
		T(test_arp_pending_bound),
		T(test_arp_pending_shared_by_entries),
		T(test_arp_retries_then_unresolved),
		T(test_arp_expiry),
		T(test_arp_expired_entry_resolved_again),
		TU(test_arp_static),
		TU(test_arp_table_full),
		TU(test_arp_table_full_large),
		T(test_arp_via_gateway),
		TU(test_arp_no_route),
		TU(test_arp_two_interfaces),
		TU(test_arp_reply_on_wrong_interface),
		T(test_arp_free_with_pending),
		T(test_arp_hash_name_unique),
		TU(test_arp_zero_pending),
		T(test_arp_remote_reply_resolves_pending),
		T(test_arp_remote_unsolicited_reply_ignored),
		T(test_arp_remote_request_learns),
		T(test_arp_remote_rejects_bad_senders),
		TU(test_arp_remote_reply_wrong_interface),
		TU(test_arp_notify_hook),
		TU(test_arp_two_contexts),
#undef T
#undef TU
	};

	return cmocka_run_group_tests_name("arp", tests, group_setup, NULL);
}
