/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte- and bit-flip loops over valid ARP, ICMP and UDP frames (in the
 * manner of OpenVPN's cmocka tests). Every mutant must be accounted for
 * exactly once: dropped with one counter, or answered, or handed to a
 * service. Whatever the stack sends must be well formed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define FRAME_MAX 256

static unsigned int n_consumed;
static unsigned long n_fed;

static enum stk_udp_verdict
svc_echo(void *arg, struct stk_udp_msg *msg)
{
	(void)arg;
	(void)msg;
	return STK_UDP_REPLY_SAME;
}

static enum stk_udp_verdict
svc_take(void *arg, struct stk_udp_msg *msg)
{
	(void)arg;
	rte_pktmbuf_free(msg->m);
	n_consumed++;
	return STK_UDP_CONSUMED;
}

static enum stk_udp_verdict
svc_half(void *arg, struct stk_udp_msg *msg)
{
	(void)arg;
	msg->len /= 2;
	return STK_UDP_REPLY;
}

static enum stk_udp_verdict
svc_drop(void *arg, struct stk_udp_msg *msg)
{
	(void)arg;
	(void)msg;
	return STK_UDP_DROP;
}

struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;
	bool arp_reply; /* needs an outstanding request to mean anything */
};

static void
frame_from(struct frame *f, struct rte_mbuf *m)
{
	f->len = (uint16_t)rte_pktmbuf_pkt_len(m);
	assert_true(f->len <= FRAME_MAX);
	memcpy(f->b, rte_pktmbuf_mtod(m, void *), f->len);
	f->arp_reply = false;
	rte_pktmbuf_free(m);
}

static unsigned int
base_frames(struct frame *f)
{
	const struct rte_ether_addr zero = {{0}};
	struct rte_mbuf *m;
	unsigned int n = 0;

	frame_from(&f[n++], fx_arp(fx_pool, RTE_ARP_OP_REQUEST, &fx_mac_bcast, &fx_mac_peer, FX_IP_PEER,
				   &zero, FX_IP_US));
	frame_from(&f[n], fx_arp(fx_pool, RTE_ARP_OP_REPLY, &fx_mac_us, &fx_mac_peer, FX_IP_PEER,
				 &fx_mac_us, FX_IP_US));
	f[n++].arp_reply = true;
	frame_from(&f[n++], fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, 0x4242, 7, 13));
	frame_from(&f[n++], fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 11));
	frame_from(&f[n++], fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 5555, 9, 6));
	frame_from(&f[n++], fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 5555, 10, 20));
	frame_from(&f[n++], fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 5555, 11, 3));
	frame_from(&f[n++], fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 5555, 4000, 5));
	m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 4);
	fx_ip4_add_options(m, 8);
	frame_from(&f[n++], m);
	frame_from(&f[n++], fx_ip4_raw(fx_pool, FX_IP_PEER, FX_IP_US, IPPROTO_TCP, 10));
	m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 1);
	fx_pad(m, 17); /* minimum Ethernet frame */
	frame_from(&f[n++], m);
	return n;
}

static int
group_setup(void **state)
{
	(void)state;
	return fx_group_init("test_fuzz_flip");
}

static int
setup(void **state)
{
	struct fx *fx = fx_new(fx_pool);

	/* errors must be generated, not rate limited away */
	fx->conf.icmp_rate = 1000000;
	fx->conf.icmp_burst = 1000000;
	if (fx_start(fx) != 0)
		return -1;
	assert_int_equal(stk_udp_bind(fx->stk, 7, svc_echo, NULL), 0);
	assert_int_equal(stk_udp_bind(fx->stk, 9, svc_take, NULL), 0);
	assert_int_equal(stk_udp_bind(fx->stk, 10, svc_half, NULL), 0);
	assert_int_equal(stk_udp_bind(fx->stk, 11, svc_drop, NULL), 0);
	*state = fx;
	return 0;
}

/* Everything the stack sends must be well formed. */
static void
check_output(struct rte_mbuf *r)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(r, const struct rte_ether_hdr *);
	uint32_t len = rte_pktmbuf_pkt_len(r);

	assert_true(rte_is_same_ether_addr(&eth->src_addr, &fx_mac_us));
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		const struct rte_arp_hdr *ah = (const struct rte_arp_hdr *)(eth + 1);

		assert_int_equal(len, 42);
		assert_true(ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) ||
			    ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST));
		assert_int_equal(ah->arp_data.arp_sip, fx_ip(FX_IP_US));
		if (ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY))
			assert_true(rte_is_valid_assigned_ether_addr(&eth->dst_addr));
		return;
	}
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	assert_true(rte_is_valid_assigned_ether_addr(&eth->dst_addr));
	{
		struct rte_ipv4_hdr *ip = fx_ip4(r);
		uint16_t total = rte_be_to_cpu_16(ip->total_length);

		assert_int_equal(ip->version_ihl, 0x45);
		assert_int_equal(len, 14u + total);
		assert_true(fx_ip4_cksum_valid(r));
		assert_int_equal(ip->src_addr, fx_ip(FX_IP_US));
		assert_int_equal(ip->fragment_offset, RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
		assert_int_equal(ip->time_to_live, 64);
		if (ip->next_proto_id == IPPROTO_ICMP) {
			assert_true(total >= 28);
			assert_true(fx_icmp_cksum_valid(r));
		} else {
			struct rte_udp_hdr *udp = fx_udp(r);

			assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
			assert_int_equal(rte_be_to_cpu_16(udp->dgram_len), total - 20u);
			assert_true(fx_udp_cksum_valid(r));
			assert_true(stk_udp4_cksum_ok(r, ip, false));
		}
	}
}

struct snap {
	uint64_t drops, icmp_err, arp_req, learned, arp_replies;
	unsigned int sent, consumed, held;
};

static struct snap
snap_take(struct fx *fx)
{
	struct stk_stats st = fx_stats(fx);
	struct snap s = {
		.drops = fx_drops_total(fx),
		.icmp_err = st.icmp_errors_sent,
		.arp_req = st.arp_requests_sent,
		.learned = st.arp_learned,
		.arp_replies = st.arp_replies_sent,
		.held = stk_mbufs_held(fx->stk),
		.sent = fx->cap.n,
		.consumed = n_consumed,
	};

	return s;
}

static struct rte_mbuf *
mbuf_of(const uint8_t *b, uint16_t len, int split_at)
{
	struct rte_mbuf *m = fx_payload(fx_pool, len, 0);

	if (len != 0)
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), b, len);
	if (split_at > 0 && split_at < len)
		m = fx_split(fx_pool, m, (uint16_t)split_at);
	return m;
}

/* ARP replies are only meaningful while we wait for one: keep a request
 * for the peer outstanding (a resolving reply then releases a datagram). */
static void
arp_outstanding(struct fx *fx)
{
	struct rte_mbuf *m;

	if (stk_mbufs_held(fx->stk) != 0)
		return;
	/* let every learned entry expire so that the table has room */
	fx_advance_ms(fx, 2 * fx->conf.arp_timeout_ms);
	stk_timer_run(fx->stk);
	m = fx_payload(fx_pool, 4, 0);
	assert_int_equal(stk_udp_send(fx->stk, fx_ip(FX_IP_PEER), 7, 7, m), 0);
}

static void
feed_one(struct fx *fx, const struct frame *base, const uint8_t *b, uint16_t len, int split_at)
{
	struct snap s0, s1;
	unsigned int out, i;
	uint16_t ret;

	if (base->arp_reply)
		arp_outstanding(fx);
	fx_cap_clear(&fx->cap);
	s0 = snap_take(fx);
	ret = fx_input(fx, mbuf_of(b, len, split_at));
	n_fed++;
	s1 = snap_take(fx);
	/* what the stack generated on its own (ICMP errors, ARP requests) or
	 * released from the ARP queue is not an answer to this packet */
	out = s1.sent - (unsigned int)(s1.icmp_err - s0.icmp_err) -
	      (unsigned int)(s1.arp_req - s0.arp_req) - (s0.held - s1.held);
	/* an ARP reply to our request is consumed without an answer */
	if (s1.learned - s0.learned == 1 && s1.arp_replies == s0.arp_replies)
		out++;
	if (ret == 0) {
		assert_int_equal(s1.drops - s0.drops, 1);
		assert_int_equal(out, 0);
		assert_int_equal(s1.consumed, s0.consumed);
	} else {
		assert_int_equal(ret, 1);
		assert_int_equal(s1.drops - s0.drops, 0);
		assert_int_equal(out + (s1.consumed - s0.consumed), 1);
	}
	for (i = 0; i < fx->cap.n; i++)
		check_output(fx->cap.pkts[i]);
	fx_cap_clear(&fx->cap);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Recompute the IPv4 and UDP/ICMP checksums of a mutant where its headers
 * allow, so that mutations reach the checks behind the checksums. */
static void
fix_cksums(uint8_t *b, uint16_t len)
{
	uint8_t *ip = b + 14, *l4;
	uint32_t hl, total, l4len;

	if (len < 34 || b[12] != 0x08 || b[13] != 0x00 || (ip[0] >> 4) != 4)
		return;
	hl = (ip[0] & 0xfu) * 4;
	if (hl < 20 || 14 + hl > len)
		return;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~fx_sum16(ip, hl, 0));
	total = (uint32_t)ip[2] << 8 | ip[3];
	if (total < hl || 14 + total > len)
		return;
	l4 = ip + hl;
	l4len = total - hl;
	if (ip[9] == IPPROTO_ICMP && l4len >= 8) {
		put16(l4 + 2, 0);
		put16(l4 + 2, (uint16_t)~fx_sum16(l4, l4len, 0));
	} else if (ip[9] == IPPROTO_UDP && l4len >= 8) {
		uint32_t ulen = (uint32_t)l4[4] << 8 | l4[5];
		uint16_t ck;

		if (ulen < 8 || ulen > l4len || (l4[6] == 0 && l4[7] == 0))
			return;
		put16(l4 + 6, 0);
		ck = (uint16_t)~fx_sum16(l4, ulen, fx_sum16(ip + 12, 8, 0) + IPPROTO_UDP + ulen);
		put16(l4 + 6, ck != 0 ? ck : 0xffff);
	}
}

static void
run_flips(struct fx *fx, bool split, bool fix)
{
	struct frame frames[16];
	unsigned int nf = base_frames(frames), f;
	const uint8_t vals[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe};

	for (f = 0; f < nf; f++) {
		const struct frame *fr = &frames[f];
		uint8_t b[FRAME_MAX + 32];
		unsigned int i, k;

		feed_one(fx, fr, fr->b, fr->len, 0); /* unmutated */
		for (i = 0; i < fr->len * 8u; i++) {
			memcpy(b, fr->b, fr->len);
			b[i / 8] ^= (uint8_t)(1u << (i % 8));
			if (fix)
				fix_cksums(b, fr->len);
			feed_one(fx, fr, b, fr->len, split ? (int)(i / 8) + 1 : 0);
		}
		for (i = 0; i < fr->len; i++) {
			for (k = 0; k < RTE_DIM(vals) + 2; k++) {
				memcpy(b, fr->b, fr->len);
				if (k < RTE_DIM(vals))
					b[i] = vals[k];
				else
					b[i] = (uint8_t)(b[i] + (k == RTE_DIM(vals) ? 1 : -1));
				if (fix)
					fix_cksums(b, fr->len);
				feed_one(fx, fr, b, fr->len, split ? (int)(fr->len - i) : 0);
			}
		}
		for (i = 0; i < fr->len; i++) /* every truncation */
			feed_one(fx, fr, fr->b, (uint16_t)i, split ? (int)i / 2 : 0);
		for (i = 1; i <= 32; i += 7) { /* trailing bytes */
			memcpy(b, fr->b, fr->len);
			memset(b + fr->len, 0xa5, i);
			feed_one(fx, fr, b, (uint16_t)(fr->len + i), split ? fr->len : 0);
		}
	}
}

static void
test_flip_single_segment(void **state)
{
	struct fx *fx = *state;
	unsigned long before = n_fed;

	uint64_t d[STK_DROP_MAX];
	struct stk_stats st;
	unsigned int i, reasons = 0;

	run_flips(fx, false, false);
	stk_stats_read(fx->stk, &st, d);
	print_message("fed %lu mutants: %" PRIu64 " echo replies, %" PRIu64 " UDP replies, %" PRIu64
		      " ICMP errors, drops:",
		      n_fed - before, st.icmp_echo_replies, st.udp_tx, st.icmp_errors_sent);
	for (i = 0; i < STK_DROP_MAX; i++) {
		if (d[i] != 0) {
			print_message(" %s=%" PRIu64, stk_drop_name((enum stk_drop)i), d[i]);
			reasons++;
		}
	}
	print_message("\n");
	assert_true(n_fed - before > 5000);
	/* the mutants reach deep into every layer */
	assert_true(reasons >= 20);
	assert_true(st.icmp_echo_replies > 0 && st.udp_tx > 0 && st.arp_replies_sent > 0);
}

static void
test_flip_two_segments(void **state)
{
	struct fx *fx = *state;

	run_flips(fx, true, false);
	assert_int_equal(stk_mbufs_held(fx->stk) <= 1, 1);
}

static void
test_flip_fixed_cksums(void **state)
{
	struct fx *fx = *state;
	uint64_t d[STK_DROP_MAX];

	run_flips(fx, false, true);
	run_flips(fx, true, true);
	stk_stats_read(fx->stk, NULL, d);
	/* with checksums repaired, the checks behind them are reached */
	assert_true(d[STK_DROP_IP4_FRAGMENT] > 0);
	assert_true(d[STK_DROP_IP4_BAD_SRC] > 0);
	assert_true(d[STK_DROP_IP4_NOT_FOR_US] > 0);
	assert_true(d[STK_DROP_ICMP_UNHANDLED] > 0);
	assert_true(d[STK_DROP_UDP_TOO_SHORT] > 0);
}

static void
test_random_multi_byte(void **state)
{
	struct fx *fx = *state;
	struct frame frames[16];
	unsigned int nf = base_frames(frames), i;

	srand(424242);
	for (i = 0; i < 30000; i++) {
		const struct frame *fr = &frames[(unsigned int)rand() % nf];
		uint8_t b[FRAME_MAX];
		unsigned int k, n = 1 + (unsigned int)rand() % 4;

		memcpy(b, fr->b, fr->len);
		for (k = 0; k < n; k++)
			b[(unsigned int)rand() % fr->len] = (uint8_t)rand();
		if (i & 1)
			fix_cksums(b, fr->len);
		feed_one(fx, fr, b, fr->len, (i % 5 == 0) ? 1 + rand() % fr->len : 0);
	}
}

/* Bursts of mutants: the sums must still balance. */
static void
test_bursts(void **state)
{
	struct fx *fx = *state;
	struct frame frames[16];
	unsigned int nf = base_frames(frames), round, i;

	srand(777);
	for (round = 0; round < 500; round++) {
		struct rte_mbuf *pkts[32];
		struct snap s0, s1;
		unsigned int out;
		uint16_t ret;

		for (i = 0; i < RTE_DIM(pkts); i++) {
			const struct frame *fr;
			uint8_t b[FRAME_MAX];

			do
				fr = &frames[(unsigned int)rand() % nf];
			while (fr->arp_reply);
			memcpy(b, fr->b, fr->len);
			if (rand() % 4 != 0)
				b[(unsigned int)rand() % fr->len] ^= (uint8_t)(1 + rand() % 255);
			pkts[i] = mbuf_of(b, fr->len, 0);
		}
		fx_cap_clear(&fx->cap);
		s0 = snap_take(fx);
		ret = stk_input_burst(fx->stk, FX_PORT, pkts, RTE_DIM(pkts));
		s1 = snap_take(fx);
		out = s1.sent - (unsigned int)(s1.icmp_err - s0.icmp_err) -
		      (unsigned int)(s1.arp_req - s0.arp_req);
		assert_int_equal(ret + (s1.drops - s0.drops), RTE_DIM(pkts));
		assert_int_equal(out + (s1.consumed - s0.consumed), ret);
		assert_true(fx->cap.calls <= 1);
		for (i = 0; i < fx->cap.n; i++)
			check_output(fx->cap.pkts[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flip_single_segment, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_flip_two_segments, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_flip_fixed_cksums, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_random_multi_byte, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bursts, setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("fuzz_flip", tests, group_setup, NULL);
}
