/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet and IPv4 input: every length field, checksum, fragment and
 * address rule, one drop counter per reason. */
#include <string.h>

#include "fixture.h"


static int
group_setup(void **state)
{
	(void)state;
	return fx_group_init("test_eth_ip4");
}

/* An ICMP echo request: the simplest frame that must produce a reply. */
static struct rte_mbuf *
echo(uint16_t len)
{
	return fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 1, 1, len);
}

static struct rte_mbuf *
frame_of(uint16_t len, uint16_t ethertype)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx_pool);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, len);

	memset(p, 0x45, len);
	if (len >= RTE_ETHER_HDR_LEN) {
		fx_eth(m)->dst_addr = fx_mac_us;
		fx_eth(m)->src_addr = fx_mac_peer;
		fx_eth(m)->ether_type = rte_cpu_to_be_16(ethertype);
	}
	return m;
}

static void
expect_reply(struct fx *fx, struct rte_mbuf *m)
{
	unsigned int sent = fx->cap.n;
	uint64_t drops = fx_drops_total(fx);

	assert_int_equal(fx_input(fx, m), 1);
	assert_int_equal(fx->cap.n, sent + 1);
	assert_int_equal(fx_drops_total(fx), drops);
}

static void
test_eth_too_short(void **state)
{
	struct fx *fx = *state;

	fx_expect_drop(fx, frame_of(0, 0), STK_DROP_ETH_TOO_SHORT);
	fx_expect_drop(fx, frame_of(13, 0), STK_DROP_ETH_TOO_SHORT);
	/* 14 bytes of Ethernet and nothing else: IPv4 layer too short */
	fx_expect_drop(fx, frame_of(14, RTE_ETHER_TYPE_IPV4), STK_DROP_IP4_TOO_SHORT);
}

static void
test_eth_not_for_us(void **state)
{
	struct fx *fx = *state;
	const struct rte_ether_addr other = {{0x02, 0, 0, 0, 0, 0x09}};
	const struct rte_ether_addr mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	struct rte_mbuf *m;

	m = echo(8);
	fx_eth(m)->dst_addr = other;
	fx_expect_drop(fx, m, STK_DROP_ETH_NOT_FOR_US);
	m = echo(8);
	fx_eth(m)->dst_addr = mcast;
	fx_expect_drop(fx, m, STK_DROP_ETH_NOT_FOR_US);
}

static void
test_eth_broadcast_accepted(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8);

	fx_eth(m)->dst_addr = fx_mac_bcast;
	expect_reply(fx, m);
	/* the reply goes to the sender, never to broadcast */
	assert_true(rte_is_same_ether_addr(&fx_eth(fx->cap.pkts[0])->dst_addr, &fx_mac_peer));
	assert_true(rte_is_same_ether_addr(&fx_eth(fx->cap.pkts[0])->src_addr, &fx_mac_us));
}

static void
test_eth_bad_src(void **state)
{
	struct fx *fx = *state;
	const struct rte_ether_addr srcs[] = {
		{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{{0, 0, 0, 0, 0, 0}},
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(srcs); i++) {
		struct rte_mbuf *m = echo(8);

		fx_eth(m)->src_addr = srcs[i];
		fx_expect_drop(fx, m, STK_DROP_ETH_BAD_SRC);
	}
}

static void
test_eth_vlan(void **state)
{
	struct fx *fx = *state;

	fx_expect_drop(fx, frame_of(60, RTE_ETHER_TYPE_VLAN), STK_DROP_ETH_VLAN);
	fx_expect_drop(fx, frame_of(60, RTE_ETHER_TYPE_QINQ), STK_DROP_ETH_VLAN);
}

static void
test_eth_unknown_type(void **state)
{
	struct fx *fx = *state;

	fx_expect_drop(fx, frame_of(60, RTE_ETHER_TYPE_IPV6), STK_DROP_ETH_UNKNOWN_TYPE);
	fx_expect_drop(fx, frame_of(60, 0x0000), STK_DROP_ETH_UNKNOWN_TYPE);
	fx_expect_drop(fx, frame_of(60, 0x05dc), STK_DROP_ETH_UNKNOWN_TYPE); /* 802.3 length */
}

static void
test_unknown_port(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8);

	assert_int_equal(stk_input_burst(fx->stk, FX_PORT + 5, &m, 1), 0);
	assert_int_equal(fx_drop(fx, STK_DROP_ETH_NOT_FOR_US), 1);
	assert_int_equal(fx->cap.n, 0);
}

static void
test_ip4_too_short(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8);

	/* 19 bytes of IPv4 header */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (RTE_ETHER_HDR_LEN + 19));
	fx_expect_drop(fx, m, STK_DROP_IP4_TOO_SHORT);
}

static void
test_ip4_bad_version(void **state)
{
	struct fx *fx = *state;
	const uint8_t versions[] = {0, 3, 5, 6, 15};
	unsigned int i;

	for (i = 0; i < RTE_DIM(versions); i++) {
		struct rte_mbuf *m = echo(8);

		fx_ip4(m)->version_ihl = (uint8_t)(versions[i] << 4 | 5);
		fx_ip4_fix(m);
		fx_expect_drop(fx, m, STK_DROP_IP4_BAD_VERSION);
	}
}

static void
test_ip4_ihl_too_short(void **state)
{
	struct fx *fx = *state;
	uint8_t ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		struct rte_mbuf *m = echo(8);

		fx_ip4(m)->version_ihl = (uint8_t)(0x40 | ihl);
		fx_expect_drop(fx, m, STK_DROP_IP4_BAD_IHL);
	}
}

static void
test_ip4_ihl_too_long(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8); /* 20 + 16 bytes of IP */

	fx_ip4(m)->version_ihl = 0x4f; /* 60 bytes claimed */
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_IHL);
	m = echo(0);
	fx_ip4(m)->version_ihl = 0x48; /* 32 bytes claimed, 28 present */
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_IHL);
}

static void
test_ip4_total_len_too_short(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8);

	fx_ip4(m)->total_length = rte_cpu_to_be_16(19);
	fx_ip4_fix(m);
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_LEN);
	m = echo(8);
	fx_ip4(m)->total_length = 0;
	fx_ip4_fix(m);
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_LEN);
}

static void
test_ip4_total_len_too_long(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8);

	fx_ip4(m)->total_length = rte_cpu_to_be_16(20 + 16 + 1);
	fx_ip4_fix(m);
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_LEN);
	m = echo(8);
	fx_ip4(m)->total_length = RTE_BE16(0xffff);
	fx_ip4_fix(m);
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_LEN);
}

static void
test_ip4_padding_trimmed(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(1), *r;

	fx_pad(m, 60 - rte_pktmbuf_pkt_len(m) + 4); /* padded like a short Ethernet frame */
	expect_reply(fx, m);
	r = fx->cap.pkts[0];
	assert_int_equal(rte_pktmbuf_pkt_len(r), RTE_ETHER_HDR_LEN + 20 + 8 + 1);
	assert_int_equal(rte_be_to_cpu_16(fx_ip4(r)->total_length), 20 + 8 + 1);
	assert_true(fx_icmp_cksum_valid(r));
}

static void
test_ip4_bad_cksum(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8);

	fx_ip4(m)->hdr_checksum ^= RTE_BE16(0x0100);
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_CKSUM);
	/* a changed field under an unchanged checksum */
	m = echo(8);
	fx_ip4(m)->time_to_live++;
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_CKSUM);
}

static void
test_ip4_fragments(void **state)
{
	struct fx *fx = *state;
	const uint16_t frags[] = {
		RTE_IPV4_HDR_MF_FLAG,	  1, RTE_IPV4_HDR_OFFSET_MASK, RTE_IPV4_HDR_MF_FLAG | 185,
		RTE_IPV4_HDR_DF_FLAG | 1,
	};
	struct rte_mbuf *m;
	unsigned int i;

	for (i = 0; i < RTE_DIM(frags); i++) {
		m = echo(8);
		fx_ip4(m)->fragment_offset = rte_cpu_to_be_16(frags[i]);
		fx_ip4_fix(m);
		fx_expect_drop(fx, m, STK_DROP_IP4_FRAGMENT);
	}
	/* DF alone is not a fragment */
	m = echo(8);
	fx_ip4(m)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	fx_ip4_fix(m);
	expect_reply(fx, m);
}

static void
test_ip4_martian_src(void **state)
{
	struct fx *fx = *state;
	const char *srcs[] = {
		"0.0.0.0",   "0.1.2.3",	    "255.255.255.255", "224.0.0.1", "239.1.2.3",
		"127.0.0.1", "127.255.0.9", FX_IP_US,	       FX_IP_BCAST,
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(srcs); i++) {
		struct rte_mbuf *m = fx_icmp_echo(fx_pool, srcs[i], FX_IP_US, 1, 1, 8);

		fx_expect_drop(fx, m, STK_DROP_IP4_BAD_SRC);
	}
	/* an off-subnet source is fine (it came through a router) */
	expect_reply(fx, fx_icmp_echo(fx_pool, "192.0.2.7", FX_IP_US, 1, 1, 8));
}

static void
test_ip4_not_for_us(void **state)
{
	struct fx *fx = *state;
	const char *dsts[] = {"10.0.0.3", FX_IP_BCAST, "255.255.255.255", "224.0.0.1", "0.0.0.0"};
	unsigned int i;

	for (i = 0; i < RTE_DIM(dsts); i++) {
		struct rte_mbuf *m = fx_icmp_echo(fx_pool, FX_IP_PEER, dsts[i], 1, 1, 8);

		fx_expect_drop(fx, m, STK_DROP_IP4_NOT_FOR_US);
	}
}

static void
test_ip4_unknown_proto(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = fx_ip4_raw(fx_pool, FX_IP_PEER, FX_IP_US, IPPROTO_TCP, 3), *r;
	uint8_t quote[20 + 3];
	struct rte_icmp_hdr *icmp;

	memcpy(quote, fx_ip4(m), sizeof(quote));
	assert_int_equal(fx_input(fx, m), 0);
	assert_int_equal(fx_drop(fx, STK_DROP_IP4_UNKNOWN_PROTO), 1);
	assert_int_equal(fx_drops_total(fx), 1);
	/* RFC 1122 3.2.2.1: protocol unreachable, quoting what we have */
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	icmp = fx_icmp(r);
	assert_int_equal(icmp->icmp_type, 3);
	assert_int_equal(icmp->icmp_code, 2);
	assert_int_equal(rte_be_to_cpu_16(fx_ip4(r)->total_length), 20 + 8 + sizeof(quote));
	assert_memory_equal(icmp + 1, quote, sizeof(quote));
	assert_true(fx_ip4_cksum_valid(r));
	assert_true(fx_icmp_cksum_valid(r));
}

static void
test_ip4_options_accepted(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(9), *r;
	uint8_t payload[8 + 9];

	memcpy(payload, fx_icmp(m), sizeof(payload));
	fx_ip4_add_options(m, 8);
	assert_int_equal(rte_ipv4_hdr_len(fx_ip4(m)), 28);
	expect_reply(fx, m);
	r = fx->cap.pkts[0];
	/* options are not echoed; the reply is a plain 20-byte header */
	assert_int_equal(rte_ipv4_hdr_len(fx_ip4(r)), 20);
	assert_int_equal(rte_be_to_cpu_16(fx_ip4(r)->total_length), 20 + sizeof(payload));
	assert_int_equal(rte_pktmbuf_pkt_len(r), RTE_ETHER_HDR_LEN + 20 + sizeof(payload));
	assert_true(fx_ip4_cksum_valid(r));
	assert_true(fx_icmp_cksum_valid(r));
	assert_memory_equal(fx_l4_payload(r), payload + 8, 9);
	assert_int_equal(fx_ip4(r)->dst_addr, fx_ip(FX_IP_PEER));
}

static void
test_ip4_max_options(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(0);

	fx_ip4_add_options(m, 40); /* IHL 15 */
	expect_reply(fx, m);
	assert_true(fx_ip4_cksum_valid(fx->cap.pkts[0]));
	assert_true(fx_icmp_cksum_valid(fx->cap.pkts[0]));
}

/* Rewrite the 8 option bytes fx_ip4_add_options(m, 8) made. */
static struct rte_mbuf *
echo_with_options(const uint8_t opt[8])
{
	struct rte_mbuf *m = echo(4);

	fx_ip4_add_options(m, 8);
	memcpy(fx_ip4(m) + 1, opt, 8);
	fx_ip4_fix(m);
	return m;
}

/* RFC 9293 MUST-50 (RFC 1122 3.2.1.8): an option sluice does not know
 * (here a timestamp option) is ignored; every option's length is checked
 * against the header (RELIABILITY.md 1); source-routed datagrams are
 * dropped (RFC 7126 4.3-4.4), which is why MUST-51, MUST-52 and MUST-53
 * (source routes) never apply */
static void
test_ip4_option_lengths_and_source_route_must_50(void **state)
{
	static const uint8_t unknown[8] = {0x44, 8, 5, 0, 0, 0, 0, 0};
	static const uint8_t zero_len[8] = {0x44, 0, 1, 1, 1, 1, 1, 0};
	static const uint8_t one_len[8] = {1, 1, 0x07, 1, 1, 1, 1, 1};
	static const uint8_t past_end[8] = {1, 1, 1, 1, 0x44, 8, 0, 0};
	static const uint8_t cut[8] = {1, 1, 1, 1, 1, 1, 1, 0x44};
	static const uint8_t lsrr[8] = {0x83, 7, 4, 10, 0, 0, 1, 0};
	static const uint8_t ssrr[8] = {1, 0x89, 7, 4, 10, 0, 0, 1};
	struct fx *fx = *state;

	expect_reply(fx, echo_with_options(unknown));
	fx_cap_clear(&fx->cap);
	fx_expect_drop(fx, echo_with_options(zero_len), STK_DROP_IP4_BAD_OPTION);
	fx_expect_drop(fx, echo_with_options(one_len), STK_DROP_IP4_BAD_OPTION);
	fx_expect_drop(fx, echo_with_options(past_end), STK_DROP_IP4_BAD_OPTION);
	fx_expect_drop(fx, echo_with_options(cut), STK_DROP_IP4_BAD_OPTION);
	fx_expect_drop(fx, echo_with_options(lsrr), STK_DROP_IP4_SOURCE_ROUTE);
	fx_expect_drop(fx, echo_with_options(ssrr), STK_DROP_IP4_SOURCE_ROUTE);
	assert_int_equal(fx->cap.n, 0);
}

static void
test_multiseg_headers_split(void **state)
{
	struct fx *fx = *state;

	/* headers must be in the first segment: anything else is too short */
	fx_expect_drop(fx, fx_split(fx_pool, echo(8), 10), STK_DROP_ETH_TOO_SHORT);
	fx_expect_drop(fx, fx_split(fx_pool, echo(8), 30), STK_DROP_IP4_TOO_SHORT);
	fx_expect_drop(fx, fx_split(fx_pool, echo(8), 36), STK_DROP_ICMP_TOO_SHORT);
}

static void
test_multiseg_payload_split(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = fx_split(fx_pool, echo(101), 51), *r; /* odd offset */

	expect_reply(fx, m);
	r = fx->cap.pkts[0];
	assert_int_equal(r->nb_segs, 2);
	assert_true(fx_ip4_cksum_valid(r));
	assert_true(fx_icmp_cksum_valid(r)); /* over both segments */
}

static void
test_multiseg_padding_in_tail_segment(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(3), *r;

	fx_pad(m, 30);
	m = fx_split(fx_pool, m, 45); /* all padding in segment 2 */
	expect_reply(fx, m);
	r = fx->cap.pkts[0];
	assert_int_equal(rte_pktmbuf_pkt_len(r), 14 + 20 + 8 + 3);
	assert_int_equal(r->nb_segs, 1);
	assert_true(fx_icmp_cksum_valid(r));
}

static void
test_rx_ip_offload_flags(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m;

	stk_free(fx->stk);
	fx->conf.ifs[0].rx_cksum_offload = true;
	assert_int_equal(fx_start(fx), 0);

	/* the NIC said BAD: trusted even though the header is fine */
	m = echo(8);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_CKSUM);
	/* the NIC said GOOD: trusted even though the header is wrong */
	m = echo(8);
	fx_ip4(m)->hdr_checksum ^= RTE_BE16(0x0001);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	expect_reply(fx, m);
	/* UNKNOWN: software */
	m = echo(8);
	fx_ip4(m)->hdr_checksum ^= RTE_BE16(0x0001);
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_CKSUM);
	/* NONE: software */
	m = echo(8);
	fx_ip4(m)->hdr_checksum ^= RTE_BE16(0x0001);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_NONE;
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_CKSUM);
}

static void
test_rx_ip_offload_off_ignores_flags(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = echo(8);

	fx_ip4(m)->hdr_checksum ^= RTE_BE16(0x0001);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	fx_expect_drop(fx, m, STK_DROP_IP4_BAD_CKSUM);
	m = echo(8);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	expect_reply(fx, m);
}

static void
test_burst_counts_and_one_tx_call(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *pkts[8];
	struct stk_stats st;
	uint64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(pkts); i++) {
		pkts[i] = echo((uint16_t)i);
		if (i % 3 == 2)
			fx_ip4(pkts[i])->hdr_checksum ^= 0xffff; /* 2 bad: i = 2, 5 */
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
	assert_int_equal(stk_input_burst(fx->stk, FX_PORT, pkts, RTE_DIM(pkts)), 6);
	assert_int_equal(fx->cap.n, 6);
	assert_int_equal(fx->cap.calls, 1); /* one tx call per port per burst */
	assert_int_equal(fx->cap.port[0], FX_PORT);
	assert_int_equal(fx_drop(fx, STK_DROP_IP4_BAD_CKSUM), 2);
	st = fx_stats(fx);
	assert_int_equal(st.rx_pkts, 8);
	assert_int_equal(st.rx_bytes, bytes);
	assert_int_equal(st.ip4_rx, 8);
	assert_int_equal(st.tx_pkts, 6);
	assert_int_equal(st.icmp_echo_replies, 6);
}

static void
test_full_burst(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *pkts[STK_BURST_MAX];
	unsigned int i;

	for (i = 0; i < STK_BURST_MAX; i++)
		pkts[i] = echo((uint16_t)(i % 64));
	assert_int_equal(stk_input_burst(fx->stk, FX_PORT, pkts, STK_BURST_MAX), STK_BURST_MAX);
	assert_int_equal(fx->cap.n, STK_BURST_MAX);
	assert_int_equal(fx->cap.calls, 1);
	for (i = 0; i < STK_BURST_MAX; i++)
		assert_true(fx_icmp_cksum_valid(fx->cap.pkts[i]));
}

static void
test_drop_names(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < STK_DROP_MAX; i++)
		assert_non_null(stk_drop_name((enum stk_drop)i));
	assert_string_equal(stk_drop_name(STK_DROP_IP4_BAD_CKSUM), "ip4_bad_cksum");
	assert_null(stk_drop_name(STK_DROP_MAX));
}

static void
test_create_rejects_bad_conf(void **state)
{
	struct fx *fx = *state;
	struct stk_conf c = fx->conf;

	c.name = "bad1";
	c.ifs[0].prefix_len = 0;
	assert_null(stk_create(&c));
	c = fx->conf;
	c.name = "bad2";
	c.n_ifs = 0;
	assert_null(stk_create(&c));
	c = fx->conf;
	c.name = "bad3";
	c.ifs[0].mac = fx_mac_bcast;
	assert_null(stk_create(&c));
	c = fx->conf;
	c.name = "bad4";
	c.tx = NULL;
	assert_null(stk_create(&c));
	assert_null(stk_create(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_eth_too_short),
		T(test_eth_not_for_us),
		T(test_eth_broadcast_accepted),
		T(test_eth_bad_src),
		T(test_eth_vlan),
		T(test_eth_unknown_type),
		T(test_unknown_port),
		T(test_ip4_too_short),
		T(test_ip4_bad_version),
		T(test_ip4_ihl_too_short),
		T(test_ip4_ihl_too_long),
		T(test_ip4_total_len_too_short),
		T(test_ip4_total_len_too_long),
		T(test_ip4_padding_trimmed),
		T(test_ip4_bad_cksum),
		T(test_ip4_fragments),
		T(test_ip4_martian_src),
		T(test_ip4_not_for_us),
		T(test_ip4_unknown_proto),
		T(test_ip4_options_accepted),
		T(test_ip4_max_options),
		T(test_ip4_option_lengths_and_source_route_must_50),
		T(test_multiseg_headers_split),
		T(test_multiseg_payload_split),
		T(test_multiseg_padding_in_tail_segment),
		T(test_rx_ip_offload_flags),
		T(test_rx_ip_offload_off_ignores_flags),
		T(test_burst_counts_and_one_tx_call),
		T(test_full_burst),
		T(test_drop_names),
		T(test_create_rejects_bad_conf),
#undef T
	};

	return cmocka_run_group_tests_name("eth_ip4", tests, group_setup, NULL);
}
