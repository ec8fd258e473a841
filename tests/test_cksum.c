/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksums: odd lengths, RFC 768's zero rule, RFC 1624 incremental update
 * against full recomputation, offload-flag handling, multi-segment data. */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "../stack/stk_priv.h" /* white box: stk_sum64() */


static int
group_setup(void **state)
{
	(void)state;
	srand(12345); /* deterministic "random" headers */
	return fx_group_init("test_cksum");
}

static uint16_t
rnd16(void)
{
	return (uint16_t)(rand() & 0xffff);
}

/* Equal as ones' complement numbers (0x0000 and 0xffff are both zero). */
static bool
same_cksum(uint16_t a, uint16_t b)
{
	return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

static void
test_ip4_hdr_cksum_ok_random(void **state)
{
	struct rte_mbuf *m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 1, 2, 0);
	struct rte_ipv4_hdr *ip = fx_ip4(m);
	unsigned int i, bit;

	(void)state;
	for (i = 0; i < 2000; i++) {
		uint8_t *b = (uint8_t *)ip;
		unsigned int k;

		for (k = 1; k < 20; k++)
			b[k] = (uint8_t)rand();
		fx_ip4_fix(m);
		assert_true(stk_ip4_hdr_cksum_ok(m, ip, false));
		assert_true(fx_ip4_cksum_valid(m));
		/* any single-bit error is caught (byte 0 kept: it holds IHL) */
		bit = 8 + (unsigned int)rand() % 152;
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(stk_ip4_hdr_cksum_ok(m, ip, false));
		assert_false(fx_ip4_cksum_valid(m));
	}
	rte_pktmbuf_free(m);
}

static void
test_udp_odd_lengths(void **state)
{
	unsigned int len;

	(void)state;
	for (len = 0; len < 64; len++) {
		struct rte_mbuf *m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 1000, 2000, (uint16_t)len);

		assert_true(stk_udp4_cksum_ok(m, fx_ip4(m), false));
		assert_true(fx_udp_cksum_valid(m)); /* independent of DPDK */
		if (len > 0) {
			/* the last (for odd lengths, padded) byte counts */
			fx_l4_payload(m)[len - 1] ^= 0x01;
			assert_false(stk_udp4_cksum_ok(m, fx_ip4(m), false));
			assert_false(fx_udp_cksum_valid(m));
		}
		rte_pktmbuf_free(m);
	}
}

static void
test_icmp_odd_lengths_reply(void **state)
{
	struct fx *fx = *state;
	unsigned int len;

	for (len = 1; len < 200; len += 2) {
		struct rte_mbuf *m =
			fx_icmp_echo(fx_pool, FX_IP_PEER, FX_IP_US, rnd16(), rnd16(), (uint16_t)len);
		struct rte_mbuf *r;
		struct rte_icmp_hdr *icmp;
		uint16_t got, want;

		assert_int_equal(fx_input(fx, m), 1);
		r = fx->cap.pkts[fx->cap.n - 1];
		icmp = fx_icmp(r);
		got = icmp->icmp_cksum;
		icmp->icmp_cksum = 0;
		want = (uint16_t)~rte_raw_cksum(icmp, 8 + len);
		icmp->icmp_cksum = got;
		assert_true(same_cksum(got, want));
		assert_true(fx_icmp_cksum_valid(r));
	}
}

/* Make the payload's last 16-bit word such that the UDP checksum computes
 * to 0, which RFC 768 sends as 0xffff. Sums are kept in memory byte order,
 * which ones' complement arithmetic allows (RFC 1071). */
static struct rte_mbuf *
udp_with_zero_sum(uint16_t dport)
{
	struct rte_mbuf *m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 1000, dport, 16);
	struct rte_ipv4_hdr *ip = fx_ip4(m);
	struct rte_udp_hdr *udp = fx_udp(m);
	uint8_t *p = fx_l4_payload(m);
	uint32_t s;
	uint16_t w;

	p[14] = p[15] = 0;
	udp->dgram_cksum = 0;
	s = (uint32_t)rte_raw_cksum(udp, 24) + rte_ipv4_phdr_cksum(ip, 0);
	s = (s & 0xffff) + (s >> 16);
	w = (uint16_t)(0xffff - s); /* s + w == all ones */
	memcpy(p + 14, &w, 2);
	return m;
}

static void
test_udp_zero_becomes_ffff(void **state)
{
	struct rte_mbuf *m = udp_with_zero_sum(9);
	struct rte_udp_hdr *udp = fx_udp(m);

	(void)state;
	/* with the field at 0 everything sums to all ones: checksum 0 */
	assert_int_equal(fx_sum16(udp, 24, fx_sum16(&fx_ip4(m)->src_addr, 8, 0) + 17 + 24), 0xffff);
	assert_int_equal(rte_ipv4_udptcp_cksum(fx_ip4(m), udp), 0xffff);
	udp->dgram_cksum = 0xffff;
	assert_true(stk_udp4_cksum_ok(m, fx_ip4(m), false));
	assert_true(fx_udp_cksum_valid(m));
	rte_pktmbuf_free(m);
}

static enum stk_udp_verdict
reply_keep(void *arg, struct stk_udp_msg *msg)
{
	(void)arg;
	(void)msg;
	return STK_UDP_REPLY; /* recompute over the same bytes */
}

static void
test_udp_reply_zero_sum_sent_as_ffff(void **state)
{
	struct fx *fx = *state;
	struct rte_mbuf *m = udp_with_zero_sum(9), *r;

	fx_udp(m)->dgram_cksum = 0xffff;
	assert_int_equal(stk_udp_bind(fx->stk, 9, reply_keep, NULL), 0);
	assert_int_equal(fx_input(fx, m), 1);
	assert_int_equal(fx->cap.n, 1);
	r = fx->cap.pkts[0];
	/* swapping addresses and ports keeps the sum: it computes to 0 again */
	assert_int_equal(fx_udp(r)->dgram_cksum, 0xffff);
	assert_true(fx_udp_cksum_valid(r));
}

static void
test_incremental_vs_full_ip4(void **state)
{
	uint8_t hdr[20];
	unsigned int i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)hdr;
		unsigned int k, w;
		uint16_t ck, oldw, neww, full;

		for (k = 0; k < 20; k++)
			hdr[k] = (uint8_t)rand();
		hdr[0] = 0x45;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		/* change one to three words (never the checksum, word 5) */
		ck = ip->hdr_checksum;
		for (k = 0; k < 1 + (unsigned int)rand() % 3; k++) {
			/* words 1-4, 6-9: not version/IHL, not the checksum */
			w = 1 + (unsigned int)rand() % 8;
			w += w >= 5;
			memcpy(&oldw, hdr + 2 * w, 2);
			neww = (i % 7 == 0) ? (uint16_t)~oldw : rnd16();
			memcpy(hdr + 2 * w, &neww, 2);
			ck = stk_cksum_adjust16(ck, oldw, neww);
		}
		ip->hdr_checksum = 0;
		full = rte_ipv4_cksum(ip);
		assert_true(same_cksum(ck, full));
		ip->hdr_checksum = ck;
		assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	}
}

static void
test_incremental_edge_values(void **state)
{
	const uint16_t v[] = {0x0000, 0x0001, 0x00ff, 0x7fff, 0x8000, 0xff00, 0xfffe, 0xffff};
	uint16_t buf[4];
	unsigned int a, b, c;

	(void)state;
	/* every combination of edge words: the updated checksum verifies */
	for (a = 0; a < RTE_DIM(v); a++)
		for (b = 0; b < RTE_DIM(v); b++)
			for (c = 0; c < RTE_DIM(v); c++) {
				buf[0] = v[a];
				buf[1] = v[b];
				buf[2] = 0;
				buf[3] = 0x1111;
				buf[2] = (uint16_t)~rte_raw_cksum(buf, sizeof(buf));
				buf[2] = stk_cksum_adjust16(buf[2], buf[1], v[c]);
				buf[1] = v[c];
				assert_int_equal(rte_raw_cksum(buf, sizeof(buf)), 0xffff);
			}
}

/* The update that makes the data all zeros (ICMP echo request 8/0, id 0,
 * seq 0 turned into a reply): only 0xffff verifies (fuzz_parse found the
 * 0x0000 eqn. 3 gives). */
static void
test_incremental_to_all_zero(void **state)
{
	uint16_t buf[4] = {RTE_BE16(0x0800), 0, 0, 0};

	(void)state;
	buf[1] = (uint16_t)~rte_raw_cksum(buf, sizeof(buf));
	buf[1] = stk_cksum_adjust16(buf[1], buf[0], 0);
	buf[0] = 0;
	assert_int_equal(buf[1], 0xffff);
	assert_int_equal(rte_raw_cksum(buf, sizeof(buf)), 0xffff);
}

static void
test_offload_flag_matrix(void **state)
{
	struct rte_mbuf *good = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 1, 2, 5);
	struct rte_mbuf *bad = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 1, 2, 5);
	const struct {
		uint64_t ip, l4;
		int want_ip_good, want_l4_good; /* -1 = software result */
	} rows[] = {
		{RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_GOOD, 1, 1},
		{RTE_MBUF_F_RX_IP_CKSUM_BAD, RTE_MBUF_F_RX_L4_CKSUM_BAD, 0, 0},
		{RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, -1, -1},
		{RTE_MBUF_F_RX_IP_CKSUM_NONE, RTE_MBUF_F_RX_L4_CKSUM_NONE, -1, -1},
	};
	unsigned int i;

	(void)state;
	fx_ip4(bad)->hdr_checksum ^= 0x0101;
	fx_udp(bad)->dgram_cksum ^= 0x0101;
	for (i = 0; i < RTE_DIM(rows); i++) {
		struct rte_mbuf *ms[2] = {good, bad};
		unsigned int j;

		for (j = 0; j < 2; j++) {
			struct rte_mbuf *m = ms[j];
			bool sw = j == 0;

			m->ol_flags = rows[i].ip | rows[i].l4;
			assert_int_equal(stk_ip4_hdr_cksum_ok(m, fx_ip4(m), true),
					 rows[i].want_ip_good < 0 ? sw : rows[i].want_ip_good);
			assert_int_equal(stk_udp4_cksum_ok(m, fx_ip4(m), true),
					 rows[i].want_l4_good < 0 ? sw : rows[i].want_l4_good);
			/* offload off: flags never matter */
			assert_int_equal(stk_ip4_hdr_cksum_ok(m, fx_ip4(m), false), sw);
			assert_int_equal(stk_udp4_cksum_ok(m, fx_ip4(m), false), sw);
		}
	}
	/* a zero UDP checksum is "none", whatever the flags say */
	fx_udp(bad)->dgram_cksum = 0;
	bad->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	assert_true(stk_udp4_cksum_ok(bad, fx_ip4(bad), false));
	good->ol_flags = 0;
	bad->ol_flags = 0;
	rte_pktmbuf_free(good);
	rte_pktmbuf_free(bad);
}

static void
test_multiseg_udp_cksum(void **state)
{
	unsigned int at;

	(void)state;
	/* every split point inside the payload, odd and even */
	for (at = 42; at < 42 + 37; at++) {
		struct rte_mbuf *m = fx_udp4(fx_pool, FX_IP_PEER, FX_IP_US, 3, 4, 37);

		m = fx_split(fx_pool, m, (uint16_t)at);
		assert_true(stk_udp4_cksum_ok(m, fx_ip4(m), false));
		rte_pktmbuf_mtod(m->next, uint8_t *)[0] ^= 0x10;
		assert_false(stk_udp4_cksum_ok(m, fx_ip4(m), false));
		rte_pktmbuf_free(m);
	}
}

/* The stack's 8-bytes-a-step sum against DPDK's 16-bit one, over every
 * length 0..300 at every alignment 0..7, with random bytes and with the
 * all-ones bytes that make carries pile up. */
static void
test_sum64_matches_rte_raw_cksum(void **state)
{
	uint8_t buf[320];
	unsigned int len, off, round;

	(void)state;
	for (round = 0; round < 2; round++) {
		for (len = 0; len < sizeof(buf); len++)
			buf[len] = round ? 0xff : (uint8_t)rand();
		for (off = 0; off < 8; off++)
			for (len = 0; len <= 300; len++)
				assert_int_equal(stk_sum64_fold(stk_sum64(buf + off, len, 0)),
						 rte_raw_cksum(buf + off, len));
	}
	/* a non-zero start value is carried through */
	assert_int_equal(stk_sum64_fold(stk_sum64(buf, 20, 0xffffffffffffffffull)),
			 rte_raw_cksum(buf, 20));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_ip4_hdr_cksum_ok_random),
		T(test_udp_odd_lengths),
		T(test_icmp_odd_lengths_reply),
		T(test_udp_zero_becomes_ffff),
		T(test_udp_reply_zero_sum_sent_as_ffff),
		T(test_incremental_vs_full_ip4),
		T(test_incremental_edge_values),
		T(test_incremental_to_all_zero),
		T(test_offload_flag_matrix),
		T(test_multiseg_udp_cksum),
		T(test_sum64_matches_rte_raw_cksum),
#undef T
	};

	return cmocka_run_group_tests_name("cksum", tests, group_setup, NULL);
}
