/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP echo and errors, UDP validation, demultiplexing, verdicts, offload
 * flags and sending. */
#include <errno.h>
#include <string.h>

#include "fixture.h"

#define PORT_A 7
#define PORT_B 53
#define PORT_NONE 4000


struct svc {
	enum stk_udp_verdict verdict;
	int new_len; /* REPLY: payload length to set, -1 = keep */
	unsigned int calls;
	struct stk_udp_msg last;
	uint8_t data[2048];
	struct stk_ctx *stk;
	bool send_from_rx;
};

static enum stk_udp_verdict
svc_rx(void *arg, struct stk_udp_msg *msg)
{
	struct svc *s = arg;
	int i;

	s->calls++;
	s->last = *msg;
	memcpy(s->data, msg->data, msg->len);
	if (s->verdict == STK_UDP_REPLY && s->new_len >= 0) {
		msg->len = (uint16_t)s->new_len;
		for (i = 0; i < s->new_len && i < msg->room; i++)
			msg->data[i] = (uint8_t)(0xa0 + i);
	}
	if (s->verdict == STK_UDP_CONSUMED) {
		rte_pktmbuf_free(msg->m);
		if (s->send_from_rx) {
			struct rte_mbuf *m = fx_payload(fx_pool, 5, 0x55);

			stk_udp_send(s->stk, msg->src_ip, msg->dst_port, msg->src_port, m);
		}
	}
	return s->verdict;
}

static int
group_setup(void **state)
{
	(void)state;
	return fx_group_init("test_icmp_udp");
}

static struct svc *
bind_svc(struct fx *fx, uint16_t port, enum stk_udp_verdict v)
{
	static struct svc svcs[4];
	static unsigned int next;
	struct svc *s = &svcs[next++ % RTE_DIM(svcs)];

	memset(s, 0, sizeof(*s));
	s->verdict = v;
	s->new_len = -1;
	s->stk = fx->stk;
	assert_int_equal(stk_udp_bind(fx->stk, port, svc_rx, s), 0);
	return s;
}

static struct rte_mbuf *
udp_to(uint16_t dport, uint16_t len)
{
	return fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 40000, dport, len);
}

static uint16_t
ip_total(struct rte_mbuf *m)
{
	return rte_be_to_cpu_16(fx_ip4(m)->total_length);
}

static void
check_reply_ip(struct rte_mbuf *r)
{
	assert_true(rte_is_same_ether_addr(&fx_eth(r)->dst_addr, &fx_mac_peer));
	assert_true(rte_is_same_ether_addr(&fx_eth(r)->src_addr, &fx_mac_us));
	assert_int_equal(fx_ip4(r)->src_addr, fx_ip(FX_IP_US));
	assert_int_equal(fx_ip4(r)->dst_addr, fx_ip(FX_IP_PEER));
	assert_int_equal(fx_ip4(r)->time_to_live, 64);
	assert_int_equal(fx_ip4(r)->fragment_offset, RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
	assert_int_equal(rte_pktmbuf_pkt_len(r), RTE_ETHER_HDR_LEN + ip_total(r));
	assert_true(fx_ip4_cksum_valid(r));
}

static void
check_udp_valid(struct rte_mbuf *r)
{
	assert_true(fx_udp_cksum_valid(r));
	if (fx_udp(r)->dgram_cksum != 0)
		assert_int_equal(rte_ipv4_udptcp_cksum_mbuf_verify(r, fx_ip4(r), 34), 0);
	assert_int_equal(rte_be_to_cpu_16(fx_udp(r)->dgram_len), ip_total(r) - 20);
}

/* ---- ICMP ---- */

static void
test_echo_reply(void **state)
{
	struct fx *fx = *state;
	const uint16_t lens[] = {0, 1, 2, 3, 7, 8, 55, 56, 57, 999, 1471, 1472};
	uint8_t payload[1472];
	unsigned int i;

	for (i = 0; i < RTE_DIM(lens); i++) {
		struct rte_mbuf *m =
			fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 0x1234, (uint16_t)i, lens[i]);
		struct rte_icmp_hdr *icmp;
		struct rte_mbuf *r;
		uint16_t sum;

		memcpy(payload, fx_l4_payload(m), lens[i]);
		assert_int_equal(fx_input(fx, m), 1);
		assert_int_equal(fx->cap.n, i + 1);
		r = fx->cap.pkts[i];
		check_reply_ip(r);
		icmp = fx_icmp(r);
		assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
		assert_int_equal(icmp->icmp_code, 0);
		assert_int_equal(icmp->icmp_ident, RTE_BE16(0x1234));
		assert_int_equal(icmp->icmp_seq_nb, rte_cpu_to_be_16((uint16_t)i));
		assert_int_equal(ip_total(r), 20 + 8 + lens[i]);
		assert_memory_equal(fx_l4_payload(r), payload, lens[i]);
		assert_true(fx_icmp_cksum_valid(r));
		sum = rte_raw_cksum(icmp, 8 + lens[i]);
		assert_int_equal(sum, 0xffff);
	}
	assert_int_equal(fx_stats(fx).icmp_echo_replies, RTE_DIM(lens));
	assert_int_equal(fx_drops_total(fx), 0);
}

/* Found by tests/fuzz/fuzz_parse: a request whose identifier, sequence
 * and payload are all zero has a reply that is all zeros but for its
 * checksum, which must then be 0xffff; the RFC 1624 update gave 0x0000,
 * which no receiver accepts. */
static void
test_echo_reply_all_zero(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *r;

	assert_int_equal(fx_input(fx, fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 0, 0, 0)), 1);
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	assert_int_equal(fx_icmp(r)->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(fx_icmp(r)->icmp_cksum, 0xffff);
	assert_true(fx_icmp_cksum_valid(r));
}

static void
test_echo_bad_cksum(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 1, 1, 9);

	fx_l4_payload(m)[8] ^= 0x01; /* the odd last byte */
	fx_expect_drop(fx, m, STK_DROP_ICMP_BAD_CKSUM);
	m = fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 1, 1, 10);
	fx_icmp(m)->icmp_cksum ^= RTE_BE16(0x8000);
	fx_expect_drop(fx, m, STK_DROP_ICMP_BAD_CKSUM);
}

static void
test_icmp_too_short(void **state)
{
	struct fx *fx = *state;

	fx_expect_drop(fx, fx_ip4_raw(fx_pool, FX_IP_PEER, FX_IP_US, IPPROTO_ICMP, 7),
		       STK_DROP_ICMP_TOO_SHORT);
	fx_expect_drop(fx, fx_ip4_raw(fx_pool, FX_IP_PEER, FX_IP_US, IPPROTO_ICMP, 0),
		       STK_DROP_ICMP_TOO_SHORT);
}

static void
test_icmp_unhandled_no_error(void **state)
{
	struct fx *fx = *state;
	/* type, code, drop reason: errors (3, 11, 12) whose body is no
	 * IPv4 header are bad quotes; source quench is discarded (RFC 9293
	 * MUST-55) */
	const struct {
		uint8_t type, code;
		enum stk_drop why;
	} types[] = {
		{0, 0, STK_DROP_ICMP_UNHANDLED},     {3, 3, STK_DROP_ICMP_BAD_QUOTE},
		{4, 0, STK_DROP_ICMP_SOURCE_QUENCH}, {5, 0, STK_DROP_ICMP_UNHANDLED},
		{11, 0, STK_DROP_ICMP_BAD_QUOTE},    {12, 0, STK_DROP_ICMP_BAD_QUOTE},
		{13, 0, STK_DROP_ICMP_UNHANDLED},    {8, 1, STK_DROP_ICMP_UNHANDLED},
		{255, 0, STK_DROP_ICMP_UNHANDLED},
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(types); i++) {
		struct rte_mbuf *m = fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 1, 1, 28);

		fx_icmp(m)->icmp_type = types[i].type;
		fx_icmp(m)->icmp_code = types[i].code;
		fx_icmp_fix(m);
		/* fx_expect_drop also asserts nothing was sent: no error
		 * about an ICMP message (RFC 1122 3.2.2) */
		fx_expect_drop(fx, m, types[i].why);
	}
	assert_int_equal(fx_stats(fx).icmp_errors_sent, 0);
}

/* An ICMP error quoting one of our UDP datagrams (or with TCP off, a TCP
 * one) has no one to go to: counted as unhandled, never answered */
static void
test_icmp_error_about_udp_unhandled(void **state)
{
	struct fx *fx = *state;
	uint8_t proto[] = {IPPROTO_UDP, IPPROTO_TCP};
	unsigned int i;

	for (i = 0; i < RTE_DIM(proto); i++) {
		struct rte_mbuf *m = fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 0, 0, 28);
		struct rte_ipv4_hdr *q = (struct rte_ipv4_hdr *)fx_l4_payload(m);

		fx_icmp(m)->icmp_type = 3;
		fx_icmp(m)->icmp_code = 3;
		memset(q, 0, 28);
		q->version_ihl = RTE_IPV4_VHL_DEF;
		q->total_length = rte_cpu_to_be_16(40);
		q->next_proto_id = proto[i];
		q->src_addr = fx_ip(FX_IP_US);
		q->dst_addr = fx_ip(FX_IP_PEER);
		fx_icmp_fix(m);
		fx_expect_drop(fx, m, STK_DROP_ICMP_UNHANDLED);
	}
}

static void
test_port_unreachable(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_NONE, 33), *r;
	uint8_t quote[28];
	struct rte_icmp_hdr *icmp;

	memcpy(quote, fx_ip4(m), sizeof(quote));
	assert_int_equal(fx_input(fx, m), 0);
	assert_int_equal(fx_drop(fx, STK_DROP_UDP_NO_LISTENER), 1);
	assert_int_equal(fx_drops_total(fx), 1);
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	check_reply_ip(r);
	assert_int_equal(fx_ip4(r)->next_proto_id, IPPROTO_ICMP);
	icmp = fx_icmp(r);
	assert_int_equal(icmp->icmp_type, 3);
	assert_int_equal(icmp->icmp_code, 3);
	assert_int_equal(icmp->icmp_ident, 0);
	assert_int_equal(icmp->icmp_seq_nb, 0);
	/* RFC 792: the IP header and the first 8 bytes of the datagram */
	assert_int_equal(ip_total(r), 20 + 8 + 28);
	assert_memory_equal(icmp + 1, quote, sizeof(quote));
	assert_true(fx_icmp_cksum_valid(r));
	assert_int_equal(fx_stats(fx).icmp_errors_sent, 1);
}

static void
test_port_unreachable_quotes_options(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_NONE, 3), *r;
	uint8_t quote[32 + 8];

	fx_ip4_add_options(m, 12);
	memcpy(quote, fx_ip4(m), sizeof(quote));
	assert_int_equal(fx_input(fx, m), 0);
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	assert_int_equal(ip_total(r), 20 + 8 + sizeof(quote));
	assert_memory_equal(fx_icmp(r) + 1, quote, sizeof(quote));
	assert_true(fx_icmp_cksum_valid(r));
}

static void
feed_unbound(struct fx *fx, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		assert_int_equal(fx_input(fx, udp_to(PORT_NONE, 4)), 0);
}

static void
test_port_unreachable_rate_limit(void **state)
{
	struct fx *fx = *state; /* icmp_rate 10/s, icmp_burst 3 */
	struct stk_stats st;

	feed_unbound(fx, 5);
	st = fx_stats(fx);
	assert_int_equal(st.icmp_errors_sent, 3);
	assert_int_equal(st.icmp_errors_ratelimited, 2);
	assert_int_equal(fx->cap.n, 3);
	assert_int_equal(fx_drop(fx, STK_DROP_UDP_NO_LISTENER), 5);

	fx_advance_ms(fx, 99); /* 0.99 token */
	feed_unbound(fx, 1);
	assert_int_equal(fx->cap.n, 3);
	fx_advance_ms(fx, 1); /* the fraction was kept: now 1 token */
	feed_unbound(fx, 2);
	assert_int_equal(fx->cap.n, 4);

	fx_advance_ms(fx, 10000); /* refills to the burst depth, not beyond */
	feed_unbound(fx, 5);
	assert_int_equal(fx->cap.n, 7);
	st = fx_stats(fx);
	assert_int_equal(st.icmp_errors_sent, 7);
	assert_int_equal(st.icmp_errors_ratelimited, 6);
	assert_int_equal(fx_drop(fx, STK_DROP_UDP_NO_LISTENER), 13);
	assert_int_equal(fx_drops_total(fx), 13);
}

static void
test_no_icmp_error_for_l2_broadcast(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_NONE, 4);

	fx_eth(m)->dst_addr = fx_mac_bcast;
	fx_expect_drop(fx, m, STK_DROP_UDP_NO_LISTENER);
	assert_int_equal(fx_stats(fx).icmp_errors_sent, 0);
	assert_int_equal(fx_stats(fx).icmp_errors_ratelimited, 0);
}

static void
test_no_icmp_error_for_fragment(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_NONE, 4);

	fx_ip4(m)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	fx_ip4_fix(m);
	fx_expect_drop(fx, m, STK_DROP_IP4_FRAGMENT);
	assert_int_equal(fx_stats(fx).icmp_errors_sent, 0);
}

/* ---- UDP ---- */

static void
test_udp_demux_two_ports(void **state)
{
	struct fx *fx = *state;
	struct svc *a = bind_svc(fx, PORT_A, STK_UDP_CONSUMED);
	struct svc *b = bind_svc(fx, PORT_B, STK_UDP_CONSUMED);
	struct rte_mbuf *m;

	m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 1111, PORT_A, 5);
	assert_int_equal(fx_input(fx, m), 1);
	m = fx_udp4(fx_pool, "192.0.2.9", FX_IP_US, 2222, PORT_B, 17);
	assert_int_equal(fx_input(fx, m), 1);
	m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 3333, PORT_B, 0);
	assert_int_equal(fx_input(fx, m), 1);

	assert_int_equal(a->calls, 1);
	assert_int_equal(a->last.src_port, 1111);
	assert_int_equal(a->last.dst_port, PORT_A);
	assert_int_equal(a->last.src_ip, fx_ip(FX_IP_PEER));
	assert_int_equal(a->last.dst_ip, fx_ip(FX_IP_US));
	assert_int_equal(a->last.port_id, FX_PORT);
	assert_int_equal(a->last.len, 5);
	assert_int_equal(a->data[0], 1);
	assert_int_equal(a->data[4], 4 * 7 + 1);

	assert_int_equal(b->calls, 2);
	assert_int_equal(b->last.src_port, 3333);
	assert_int_equal(b->last.len, 0);
	assert_int_equal(fx_stats(fx).udp_delivered, 3);
	assert_int_equal(fx->cap.n, 0);
	assert_int_equal(fx_drops_total(fx), 0);
}

static void
test_udp_reply_same(void **state)
{
	struct fx *fx = *state;
	const uint16_t lens[] = {0, 1, 13, 64, 1472};
	unsigned int i;

	bind_svc(fx, PORT_A, STK_UDP_REPLY_SAME);
	for (i = 0; i < RTE_DIM(lens); i++) {
		struct rte_mbuf *m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 40000 + i, PORT_A, lens[i]);
		uint8_t payload[1472];
		uint16_t ck = fx_udp(m)->dgram_cksum;
		struct rte_mbuf *r;

		memcpy(payload, fx_l4_payload(m), lens[i]);
		assert_int_equal(fx_input(fx, m), 1);
		r = fx->cap.pkts[i];
		check_reply_ip(r);
		check_udp_valid(r);
		assert_int_equal(fx_udp(r)->src_port, RTE_BE16(PORT_A));
		assert_int_equal(fx_udp(r)->dst_port, rte_cpu_to_be_16((uint16_t)(40000 + i)));
		assert_int_equal(fx_udp(r)->dgram_cksum, ck); /* untouched and still valid */
		assert_int_equal(ip_total(r), 28 + lens[i]);
		assert_memory_equal(fx_l4_payload(r), payload, lens[i]);
	}
	assert_int_equal(fx_stats(fx).udp_tx, RTE_DIM(lens));
}

static void
test_udp_reply_same_zero_cksum(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_A, 11);

	bind_svc(fx, PORT_A, STK_UDP_REPLY_SAME);
	fx_udp(m)->dgram_cksum = 0; /* RFC 768: none computed; accepted */
	assert_int_equal(fx_input(fx, m), 1);
	assert_int_equal(fx->cap.n, 1);
	assert_int_equal(fx_udp(fx->cap.pkts[0])->dgram_cksum, 0);
	check_reply_ip(fx->cap.pkts[0]);
}

static void
test_udp_reply_same_with_options(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_A, 21), *r;
	uint8_t payload[21];

	bind_svc(fx, PORT_A, STK_UDP_REPLY_SAME);
	memcpy(payload, fx_l4_payload(m), sizeof(payload));
	fx_ip4_add_options(m, 4);
	assert_int_equal(fx_input(fx, m), 1);
	r = fx->cap.pkts[0];
	assert_int_equal(rte_ipv4_hdr_len(fx_ip4(r)), 20);
	check_reply_ip(r);
	check_udp_valid(r);
	assert_memory_equal(fx_l4_payload(r), payload, sizeof(payload));
}

static void
test_udp_reply_new_length(void **state)
{
	struct fx *fx = *state;
	struct svc *s = bind_svc(fx, PORT_A, STK_UDP_REPLY);
	const int cases[][2] = {{10, 100}, {100, 3}, {9, 0}, {0, 1}, {1, 1472}, {1472, 1}};
	unsigned int i;
	int k;

	for (i = 0; i < RTE_DIM(cases); i++) {
		struct rte_mbuf *r;

		s->new_len = cases[i][1];
		assert_int_equal(fx_input(fx, udp_to(PORT_A, (uint16_t)cases[i][0])), 1);
		assert_int_equal(fx->cap.n, i + 1);
		r = fx->cap.pkts[i];
		check_reply_ip(r);
		check_udp_valid(r);
		assert_int_not_equal(fx_udp(r)->dgram_cksum, 0);
		assert_int_equal(ip_total(r), 28 + cases[i][1]);
		assert_int_equal(fx_udp(r)->dst_port, RTE_BE16(40000));
		for (k = 0; k < cases[i][1]; k++)
			assert_int_equal(fx_l4_payload(r)[k], (uint8_t)(0xa0 + k));
	}
}

static void
test_udp_reply_room(void **state)
{
	struct fx *fx = *state;
	struct svc *s;

	fx->conf.ifs[0].mtu = 576;
	assert_int_equal(fx_start(fx), 0);
	s = bind_svc(fx, PORT_A, STK_UDP_REPLY);
	s->new_len = 548;
	assert_int_equal(fx_input(fx, udp_to(PORT_A, 1)), 1);
	assert_int_equal(s->last.room, 576 - 28);
	assert_int_equal(fx->cap.n, 1);
	check_udp_valid(fx->cap.pkts[0]);
	/* more than room: the service broke the contract, the stack drops */
	s->new_len = 549;
	fx_expect_drop(fx, udp_to(PORT_A, 1), STK_DROP_UDP_SVC_DROP);
}

static void
test_udp_verdict_drop_and_consumed(void **state)
{
	struct fx *fx = *state;
	struct svc *c = bind_svc(fx, PORT_B, STK_UDP_CONSUMED);

	bind_svc(fx, PORT_A, STK_UDP_DROP);
	fx_expect_drop(fx, udp_to(PORT_A, 4), STK_DROP_UDP_SVC_DROP);
	assert_int_equal(fx_input(fx, udp_to(PORT_B, 4)), 1);
	assert_int_equal(c->calls, 1);
	assert_int_equal(fx->cap.n, 0);
	assert_int_equal(fx_drops_total(fx), 1);
}

static void
test_udp_too_short(void **state)
{
	struct fx *fx = *state;

	bind_svc(fx, PORT_A, STK_UDP_CONSUMED);
	fx_expect_drop(fx, fx_ip4_raw(fx_pool, FX_IP_PEER, FX_IP_US, IPPROTO_UDP, 7),
		       STK_DROP_UDP_TOO_SHORT);
	fx_expect_drop(fx, fx_ip4_raw(fx_pool, FX_IP_PEER, FX_IP_US, IPPROTO_UDP, 0),
		       STK_DROP_UDP_TOO_SHORT);
}

static void
test_udp_len_out_of_range(void **state)
{
	struct fx *fx = *state;
	const uint16_t bad[] = {0, 7, 8 + 10 + 1, 0xffff};
	unsigned int i;

	bind_svc(fx, PORT_A, STK_UDP_CONSUMED);
	for (i = 0; i < RTE_DIM(bad); i++) {
		struct rte_mbuf *m = udp_to(PORT_A, 10);

		fx_udp(m)->dgram_len = rte_cpu_to_be_16(bad[i]);
		fx_udp(m)->dgram_cksum = 0;
		fx_expect_drop(fx, m, STK_DROP_UDP_BAD_LEN);
	}
}

static void
test_udp_len_shorter_than_ip(void **state)
{
	struct fx *fx = *state;
	struct svc *s = bind_svc(fx, PORT_A, STK_UDP_REPLY_SAME);
	struct rte_mbuf *m = udp_to(PORT_A, 20), *r;
	struct rte_ipv4_hdr *ip = fx_ip4(m);

	/* UDP says 8 + 12; IP carries 8 + 20: the checksum covers 20 bytes */
	fx_udp(m)->dgram_len = rte_cpu_to_be_16(8 + 12);
	ip->total_length = rte_cpu_to_be_16(20 + 8 + 12);
	fx_udp_fix(m);
	ip->total_length = rte_cpu_to_be_16(20 + 8 + 20);
	fx_ip4_fix(m);
	assert_int_equal(fx_input(fx, m), 1);
	assert_int_equal(s->last.len, 12);
	r = fx->cap.pkts[0];
	check_reply_ip(r);
	check_udp_valid(r);
	assert_int_equal(ip_total(r), 20 + 8 + 12);
}

static void
test_udp_bad_cksum(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m;

	bind_svc(fx, PORT_A, STK_UDP_CONSUMED);
	m = udp_to(PORT_A, 13);
	fx_l4_payload(m)[12] ^= 0x80;
	fx_expect_drop(fx, m, STK_DROP_UDP_BAD_CKSUM);
	m = udp_to(PORT_A, 13);
	fx_ip4(m)->src_addr = fx_ip("10.0.0.3"); /* pseudo-header covers it */
	fx_ip4_fix(m);
	fx_expect_drop(fx, m, STK_DROP_UDP_BAD_CKSUM);
}

static void
test_udp_multiseg_delivered(void **state)
{
	struct fx *fx = *state;
	struct svc *s = bind_svc(fx, PORT_A, STK_UDP_REPLY_SAME);
	struct rte_mbuf *m = udp_to(PORT_A, 300);
	uint8_t payload[300];

	memcpy(payload, fx_l4_payload(m), sizeof(payload));
	m = fx_split(fx_pool, m, 100);
	assert_int_equal(fx_input(fx, m), 1);
	assert_int_equal(s->last.len, 300);
	assert_memory_equal(s->data, payload, sizeof(payload));
	check_reply_ip(fx->cap.pkts[0]);
	check_udp_valid(fx->cap.pkts[0]);
}

static void
test_rx_udp_offload_flags(void **state)
{
	struct fx *fx = *state;
	struct svc *s;
	struct rte_mbuf *m;

	fx->conf.ifs[0].rx_cksum_offload = true;
	assert_int_equal(fx_start(fx), 0);
	s = bind_svc(fx, PORT_A, STK_UDP_CONSUMED);

	m = udp_to(PORT_A, 8);
	fx_udp(m)->dgram_cksum ^= RTE_BE16(0x0101);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	assert_int_equal(fx_input(fx, m), 1); /* trusted */
	assert_int_equal(s->calls, 1);

	m = udp_to(PORT_A, 8);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	fx_expect_drop(fx, m, STK_DROP_UDP_BAD_CKSUM); /* trusted */

	m = udp_to(PORT_A, 8);
	fx_udp(m)->dgram_cksum ^= RTE_BE16(0x0101);
	fx_expect_drop(fx, m, STK_DROP_UDP_BAD_CKSUM); /* UNKNOWN: software */

	m = udp_to(PORT_A, 8);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
	assert_int_equal(fx_input(fx, m), 1); /* NONE: software, valid */
	assert_int_equal(s->calls, 2);
}

static void
test_rx_udp_offload_off_ignores_flags(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_A, 8);

	bind_svc(fx, PORT_A, STK_UDP_CONSUMED);
	fx_udp(m)->dgram_cksum ^= RTE_BE16(0x0101);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	fx_expect_drop(fx, m, STK_DROP_UDP_BAD_CKSUM);
}

/* What a NIC would do with the offload flags, then check the result. */
static void
nic_finish(struct rte_mbuf *r)
{
	struct rte_ipv4_hdr *ip = fx_ip4(r);

	if (r->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		assert_int_equal(ip->hdr_checksum, 0);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if ((r->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
		struct rte_udp_hdr *udp = fx_udp(r);

		assert_int_equal(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, r->ol_flags));
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	}
}

static void
test_tx_offload_flags(void **state)
{
	struct fx *fx = *state;
	struct svc *s;
	struct rte_mbuf *r;
	const uint64_t all = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;

	fx->conf.ifs[0].tx_ip_cksum_offload = true;
	fx->conf.ifs[0].tx_udp_cksum_offload = true;
	assert_int_equal(fx_start(fx), 0);
	s = bind_svc(fx, PORT_A, STK_UDP_REPLY);
	s->new_len = 77;
	bind_svc(fx, PORT_B, STK_UDP_REPLY_SAME);

	/* REPLY: both checksums left to the NIC */
	assert_int_equal(fx_input(fx, udp_to(PORT_A, 10)), 1);
	r = fx->cap.pkts[0];
	assert_true((r->ol_flags & all) == all);
	assert_int_equal(r->l2_len, 14);
	assert_int_equal(r->l3_len, 20);
	nic_finish(r);
	check_reply_ip(r);
	check_udp_valid(r);

	/* REPLY_SAME: the IP header to the NIC, the UDP checksum stays */
	assert_int_equal(fx_input(fx, udp_to(PORT_B, 10)), 1);
	r = fx->cap.pkts[1];
	assert_true(r->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_false((r->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM);
	check_udp_valid(r);
	nic_finish(r);
	check_reply_ip(r);

	/* echo reply and ICMP error: IP header to the NIC */
	assert_int_equal(fx_input(fx, fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 1, 2, 3)), 1);
	assert_int_equal(fx_input(fx, udp_to(PORT_NONE, 3)), 0);
	for (unsigned int i = 2; i < 4; i++) {
		r = fx->cap.pkts[i];
		assert_true(r->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
		assert_int_equal(r->l2_len, 14);
		assert_int_equal(r->l3_len, 20);
		nic_finish(r);
		check_reply_ip(r);
		assert_true(fx_icmp_cksum_valid(r));
	}
}

static void
test_rx_flags_cleared_on_reply(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_to(PORT_A, 4);

	bind_svc(fx, PORT_A, STK_UDP_REPLY_SAME);
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_VLAN;
	assert_int_equal(fx_input(fx, m), 1);
	/* no offload configured: nothing for the NIC to do */
	assert_int_equal(fx->cap.pkts[0]->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL),
			 0);
}

static void
test_udp_send_resolves(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = fx_payload(fx_pool, 33, 0x3c), *r;

	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 1234, 5678, m), 0);
	assert_int_equal(fx->cap.n, 1); /* ARP request */
	assert_int_equal(stk_mbufs_held(fx->stk), 1);
	m = fx_arp(fx_pool, RTE_ARP_OP_REPLY, &fx_mac_us, &fx_mac_peer, FX_IP_PEER, &fx_mac_us,
		   FX_IP_US);
	assert_int_equal(fx_input(fx, m), 1);
	assert_int_equal(fx->cap.n, 2);
	r = fx->cap.pkts[1];
	check_reply_ip(r);
	check_udp_valid(r);
	assert_int_equal(fx_udp(r)->src_port, RTE_BE16(1234));
	assert_int_equal(fx_udp(r)->dst_port, RTE_BE16(5678));
	assert_int_equal(ip_total(r), 20 + 8 + 33);
	assert_int_equal(fx_l4_payload(r)[32], 0x3c);
	assert_int_equal(fx_stats(fx).udp_tx, 1);
}

static void
test_udp_send_offload(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m, *r;

	fx->conf.ifs[0].tx_ip_cksum_offload = true;
	fx->conf.ifs[0].tx_udp_cksum_offload = true;
	fx->conf.n_arp_static = 1;
	fx->conf.arp_static[0].ip = fx_ip(FX_IP_PEER);
	fx->conf.arp_static[0].mac = fx_mac_peer;
	assert_int_equal(fx_start(fx), 0);
	m = fx_payload(fx_pool, 7, 1);
	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 1, 2, m), 0);
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	assert_true(r->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_true((r->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM);
	nic_finish(r);
	check_reply_ip(r);
	check_udp_valid(r);
}

static void
test_udp_send_chain(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *a, *b, *r;

	fx->conf.n_arp_static = 1;
	fx->conf.arp_static[0].ip = fx_ip(FX_IP_PEER);
	fx->conf.arp_static[0].mac = fx_mac_peer;
	assert_int_equal(fx_start(fx), 0);
	/* payload in two segments, the first of odd length: the case DPDK
	 * 22.11's rte_raw_cksum_mbuf() gets wrong */
	a = fx_payload(fx_pool, 301, 0xff);
	b = fx_payload(fx_pool, 500, 0xfe);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 1, 2, a), 0);
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	assert_int_equal(r->nb_segs, 2);
	check_reply_ip(r);
	assert_true(fx_udp_cksum_valid(r));
	assert_true(stk_udp4_cksum_ok(r, fx_ip4(r), false));
}

static void
test_udp_send_invalid(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m;

	m = fx_payload(fx_pool, 1473, 0); /* MTU 1500 - 28 = 1472 */
	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 1, 2, m), -EMSGSIZE);
	m = rte_pktmbuf_alloc(fx_pool);
	m->data_off = 10; /* no room for the headers */
	rte_pktmbuf_append(m, 10);
	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 1, 2, m), -EINVAL);
	m = rte_pktmbuf_alloc(fx_pool);
	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 1, 0, m), -EINVAL);
	assert_int_equal(fx_drop(fx, STK_DROP_UDP_TX_BAD), 3);
	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 1, 2, NULL), -EINVAL);
	assert_int_equal(fx->cap.n, 0);
}

static void
test_udp_send_subnet_broadcast(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = fx_payload(fx_pool, 4, 0);

	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_BCAST), 1, 2, m), 0);
	assert_int_equal(fx->cap.n, 1);
	assert_true(rte_is_broadcast_ether_addr(&fx_eth(fx->cap.pkts[0])->dst_addr));
	assert_int_equal(fx_stats(fx).arp_requests_sent, 0);
}

static void
test_send_from_rx_one_tx_call(void **state)
{
	struct fx *fx = *state;
	struct svc *s = bind_svc(fx, PORT_A, STK_UDP_CONSUMED);
	struct rte_mbuf *pkts[3];
	struct rte_mbuf *m;
	unsigned int calls;

	s->send_from_rx = true;
	m = fx_arp(fx_pool, RTE_ARP_OP_REQUEST, &fx_mac_bcast, &fx_mac_peer, FX_IP_PEER, &fx_mac_us,
		   FX_IP_US);
	assert_int_equal(fx_input(fx, m), 1); /* peer learned */
	calls = fx->cap.calls;
	pkts[0] = udp_to(PORT_A, 1);
	pkts[1] = fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 1, 1, 1);
	pkts[2] = udp_to(PORT_A, 2);
	assert_int_equal(stk_input_burst(fx->stk, FX_PORT, pkts, 3), 3);
	/* two sends from the callback and one echo reply, in one tx call */
	assert_int_equal(fx->cap.calls, calls + 1);
	assert_int_equal(fx->cap.n, 4);
	assert_int_equal(fx_udp(fx->cap.pkts[1])->dst_port, RTE_BE16(40000));
	check_udp_valid(fx->cap.pkts[1]);
	assert_int_equal(fx_icmp(fx->cap.pkts[2])->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
}

static enum stk_udp_verdict
never_rx(void *arg, struct stk_udp_msg *msg)
{
	(void)arg;
	(void)msg;
	return STK_UDP_DROP;
}

static void
test_bind_errors(void **state)
{
	struct fx *fx = *state;
	unsigned int i;

	assert_int_equal(stk_udp_bind(fx->stk, 0, never_rx, NULL), -EINVAL);
	assert_int_equal(stk_udp_bind(fx->stk, 9, NULL, NULL), -EINVAL);
	for (i = 0; i < STK_UDP_MAX_BINDS; i++)
		assert_int_equal(stk_udp_bind(fx->stk, (uint16_t)(100 + i), never_rx, NULL), 0);
	assert_int_equal(stk_udp_bind(fx->stk, 100, never_rx, NULL), -EEXIST);
	assert_int_equal(stk_udp_bind(fx->stk, 99, never_rx, NULL), -ENOSPC);
	assert_int_equal(stk_udp_unbind(fx->stk, 99), -ENOENT);
	assert_int_equal(stk_udp_unbind(fx->stk, 100), 0);
	assert_int_equal(stk_udp_unbind(fx->stk, 100), -ENOENT);
	/* unbound now: port unreachable path */
	assert_int_equal(fx_input(fx, udp_to(100, 1)), 0);
	assert_int_equal(fx_drop(fx, STK_DROP_UDP_NO_LISTENER), 1);
	/* the freed slot is reusable; 65535 is a valid port */
	assert_int_equal(stk_udp_bind(fx->stk, 65535, never_rx, NULL), 0);
	fx_expect_drop(fx, udp_to(65535, 1), STK_DROP_UDP_SVC_DROP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
#define TU(f) cmocka_unit_test_setup_teardown(f, fx_setup_unstarted, fx_teardown)
		T(test_echo_reply),
		T(test_echo_reply_all_zero),
		T(test_echo_bad_cksum),
		T(test_icmp_too_short),
		T(test_icmp_unhandled_no_error),
		T(test_icmp_error_about_udp_unhandled),
		T(test_port_unreachable),
		T(test_port_unreachable_quotes_options),
		T(test_port_unreachable_rate_limit),
		T(test_no_icmp_error_for_l2_broadcast),
		T(test_no_icmp_error_for_fragment),
		T(test_udp_demux_two_ports),
		T(test_udp_reply_same),
		T(test_udp_reply_same_zero_cksum),
		T(test_udp_reply_same_with_options),
		T(test_udp_reply_new_length),
		TU(test_udp_reply_room),
		T(test_udp_verdict_drop_and_consumed),
		T(test_udp_too_short),
		T(test_udp_len_out_of_range),
		T(test_udp_len_shorter_than_ip),
		T(test_udp_bad_cksum),
		T(test_udp_multiseg_delivered),
		TU(test_rx_udp_offload_flags),
		T(test_rx_udp_offload_off_ignores_flags),
		TU(test_tx_offload_flags),
		T(test_rx_flags_cleared_on_reply),
		T(test_udp_send_resolves),
		TU(test_udp_send_offload),
		TU(test_udp_send_chain),
		T(test_udp_send_invalid),
		T(test_udp_send_subnet_broadcast),
		T(test_send_from_rx_one_tx_call),
		T(test_bind_errors),
#undef T
#undef TU
	};

	return cmocka_run_group_tests_name("icmp_udp", tests, group_setup, NULL);
}
