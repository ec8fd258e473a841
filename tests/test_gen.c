/* SPDX-License-Identifier: BSD-3-Clause */
/* sluice-gen's pure logic: the log-linear latency histogram (bucket bounds,
 * percentile error against exact sorted percentiles, merge, overflow), the
 * request builder and reply parser (checksums against full recomputation,
 * an echo round trip, every rejection, a byte-flip loop), TSC pacing (exact
 * schedule, no drift, bounded catch-up) and the command line. No EAL. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "fixture.h"
#include "gen_hist.h"
#include "gen_opts.h"
#include "gen_pace.h"
#include "gen_pkt.h"

/* xorshift64*: deterministic and the same on every libc */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* log-uniform in [lo, hi] */
static uint64_t
rng_log(double lo, double hi)
{
	double u = (double)(rng() >> 11) / (double)(1ull << 53);

	return (uint64_t)(lo * pow(hi / lo, u));
}

static struct gen_hist *
hist_new(void)
{
	struct gen_hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	gen_hist_reset(h);
	return h;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- histogram ---- */

static void
test_hist_buckets_cover_and_bound(void **state)
{
	uint64_t v;
	unsigned int i, b;

	(void)state;
	/* every value below 4096 and around every power of two up to the top */
	for (v = 0; v < 4096; v++) {
		unsigned int idx = gen_hist_index(v);

		assert_true(gen_hist_bucket_lo(idx) <= v && v <= gen_hist_bucket_hi(idx));
	}
	for (b = 1; b < GEN_HIST_MAX_BITS; b++) {
		uint64_t p = 1ull << b, c[] = {p - 1, p, p + 1, p + p / 3};

		for (i = 0; i < 4; i++) {
			unsigned int idx;

			if (c[i] > GEN_HIST_MAX_VALUE)
				continue;
			idx = gen_hist_index(c[i]);
			assert_true(idx < GEN_HIST_N);
			assert_true(gen_hist_bucket_lo(idx) <= c[i] &&
				    c[i] <= gen_hist_bucket_hi(idx));
		}
	}
	assert_int_equal(gen_hist_index(GEN_HIST_MAX_VALUE), GEN_HIST_N - 1);
	/* contiguous, and no bucket wider than 1/128 of its lower bound */
	for (i = 1; i < GEN_HIST_N; i++) {
		uint64_t lo = gen_hist_bucket_lo(i), hi = gen_hist_bucket_hi(i);

		assert_int_equal(lo, gen_hist_bucket_hi(i - 1) + 1);
		assert_true((hi - lo + 1) * GEN_HIST_SUB <=
			    (lo > GEN_HIST_SUB ? lo : GEN_HIST_SUB));
	}
}

static void
test_hist_exact_small_values(void **state)
{
	struct gen_hist *h = hist_new();
	uint64_t v;

	(void)state;
	for (v = 1; v <= 200; v++)
		gen_hist_record(h, v);
	assert_int_equal(h->count, 200);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, 200);
	assert_int_equal(gen_hist_percentile(h, 50), 100);
	assert_int_equal(gen_hist_percentile(h, 90), 180);
	assert_int_equal(gen_hist_percentile(h, 99), 198);
	assert_int_equal(gen_hist_percentile(h, 99.5), 199);
	assert_int_equal(gen_hist_percentile(h, 100), 200);
	assert_int_equal(gen_hist_percentile(h, 0), 1);
	assert_true(gen_hist_mean(h) > 100.49 && gen_hist_mean(h) < 100.51);
	free(h);
}

/* 10 ns to 10 s: every percentile is >= the exact nearest-rank value and
 * within 1 % above it (the bound is 1/128 = 0.78 %). */
static void
test_hist_percentiles_within_1pct_10ns_to_10s(void **state)
{
	static const double ps[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
	enum { N = 20000 };
	uint64_t *vals = malloc(N * sizeof(*vals));
	struct gen_hist *h = hist_new();
	unsigned int i, round;

	(void)state;
	assert_non_null(vals);
	for (round = 0; round < 5; round++) {
		gen_hist_reset(h);
		for (i = 0; i < N; i++) {
			/* rounds 0-2 spread over the whole range; 3-4 a narrow mode
			 * with a far tail, as latencies look */
			vals[i] = round < 3 ? rng_log(10, 1e10)
					    : (i % 100 ? rng_log(2000, 2500) : rng_log(1e5, 1e9));
			gen_hist_record(h, vals[i]);
		}
		qsort(vals, N, sizeof(*vals), cmp_u64);
		for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
			uint64_t rank = (uint64_t)ceil(ps[i] / 100.0 * N - 1e-9);
			uint64_t exact = vals[(rank ? rank : 1) - 1];
			uint64_t got = gen_hist_percentile(h, ps[i]);

			assert_true(got >= exact);
			assert_true((double)got <= (double)exact * 1.01);
		}
		assert_int_equal(h->min, vals[0]);
		assert_int_equal(h->max, vals[N - 1]);
	}
	free(vals);
	free(h);
}

static void
test_hist_percentiles_monotonic(void **state)
{
	struct gen_hist *h = hist_new();
	uint64_t prev = 0, v;
	unsigned int i;

	(void)state;
	for (i = 0; i < 5000; i++)
		gen_hist_record(h, rng_log(10, 1e9));
	for (i = 0; i <= 1000; i++) {
		v = gen_hist_percentile(h, i / 10.0);
		assert_true(v >= prev);
		prev = v;
	}
	assert_int_equal(prev, h->max);
	free(h);
}

static void
test_hist_empty_overflow_merge(void **state)
{
	struct gen_hist *a = hist_new(), *b = hist_new(), *all = hist_new();
	unsigned int i;

	(void)state;
	assert_int_equal(gen_hist_percentile(a, 50), 0);
	assert_true(gen_hist_mean(a) == 0.0);

	/* 100 s does not fit: last bucket, counted, max exact */
	gen_hist_record(a, 100000000000ull);
	assert_int_equal(a->overflow, 1);
	assert_int_equal(a->buckets[GEN_HIST_N - 1], 1);
	assert_int_equal(gen_hist_percentile(a, 100), 100000000000ull);
	assert_int_equal(gen_hist_percentile(a, 50), 100000000000ull);
	gen_hist_reset(a);

	for (i = 0; i < 3000; i++) {
		uint64_t v = rng_log(10, 1e8);

		gen_hist_record(i % 3 ? a : b, v);
		gen_hist_record(all, v);
	}
	gen_hist_merge(a, b);
	assert_int_equal(a->count, all->count);
	assert_int_equal(a->sum, all->sum);
	assert_int_equal(a->min, all->min);
	assert_int_equal(a->max, all->max);
	assert_memory_equal(a->buckets, all->buckets, sizeof(a->buckets));
	free(a);
	free(b);
	free(all);
}

/* ---- packets ---- */

static const struct rte_ether_addr mac_gen = {{0x02, 0, 0, 0, 0x0a, 0x02}};
static const struct rte_ether_addr mac_srv = {{0x02, 0, 0, 0, 0x0a, 0x01}};

static void
pkt_conf(struct gen_pkt_conf *c, uint16_t len, uint32_t n_ips, uint32_t flows)
{
	memset(c, 0, sizeof(*c));
	c->src_mac = mac_gen;
	c->dst_mac = mac_srv;
	c->src_ip = 0x0a090202; /* 10.9.2.2 */
	c->n_src_ips = n_ips;
	c->dst_ip = 0x0a090201;
	c->src_port = 1024;
	c->dst_port = 7;
	c->n_flows = flows;
	c->frame_len = len;
	c->ttl = 64;
}

/* What a UDP echo server does to a request: swap MACs, addresses, ports;
 * every checksum stays valid. */
static void
echo(uint8_t *f)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + GEN_OFF_IP);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(f + GEN_OFF_UDP);
	struct rte_ether_addr m = eth->src_addr;
	uint32_t a = ip->src_addr;
	uint16_t p = udp->src_port;

	eth->src_addr = eth->dst_addr;
	eth->dst_addr = m;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	udp->src_port = udp->dst_port;
	udp->dst_port = p;
}

static void
test_pkt_build_fields_and_checksums(void **state)
{
	static const uint16_t sizes[] = {62, 63, 64, 65, 128, 511, 1514};
	static struct gen_pkt_tmpl t;
	uint8_t f[GEN_MAX_FRAME];
	struct gen_pkt_conf c;
	char err[256];
	unsigned int s, i;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		pkt_conf(&c, sizes[s], 7, 1000);
		assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
		for (i = 0; i < 500; i++) {
			const struct rte_ipv4_hdr *ip =
				(const struct rte_ipv4_hdr *)(f + GEN_OFF_IP);
			const struct rte_udp_hdr *udp =
				(const struct rte_udp_hdr *)(f + GEN_OFF_UDP);
			uint32_t flow = (uint32_t)(rng() % 1000), want_ip;
			uint64_t seq = rng(), tsc = rng();
			uint16_t want_port, ck;
			struct rte_ipv4_hdr ipc;

			memset(f, 0xee, sizeof(f));
			gen_pkt_build(&t, f, flow, (uint8_t)(i % GEN_MAX_TX), seq, tsc);
			gen_pkt_flow(&c, flow, &want_ip, &want_port);
			assert_int_equal(want_ip, c.src_ip + flow % 7);
			assert_int_equal(want_port, c.src_port + flow / 7);
			assert_int_equal(rte_be_to_cpu_32(ip->src_addr), want_ip);
			assert_int_equal(rte_be_to_cpu_16(udp->src_port), want_port);
			assert_int_equal(rte_be_to_cpu_16(ip->total_length), sizes[s] - 14);
			assert_int_equal(rte_be_to_cpu_16(udp->dgram_len), sizes[s] - 34);
			assert_true(ip->fragment_offset == RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
			/* IPv4 checksum: the incremental one equals a full recomputation */
			ipc = *ip;
			ipc.hdr_checksum = 0;
			assert_int_equal(ip->hdr_checksum, rte_ipv4_cksum(&ipc));
			/* UDP: verify over the whole datagram, and recompute */
			assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
			ck = rte_ipv4_udptcp_cksum(ip, udp); /* includes the stored one */
			assert_true(ck == 0 || ck == 0xffff);
			assert_true(udp->dgram_cksum != 0);
			if (sizes[s] > GEN_MIN_FRAME)
				assert_int_equal(f[GEN_MIN_FRAME], 20); /* pattern i & 0xff */
		}
	}
}

/* A refused request re-stamped in place equals one built with the new
 * TSC, and its checksum stays valid (RFC 1624). */
static void
test_pkt_restamp(void **state)
{
	static struct gen_pkt_tmpl t;
	uint8_t a[GEN_MAX_FRAME], b[GEN_MAX_FRAME];
	static const uint64_t edge[] = {0, UINT64_MAX, 1};
	struct gen_pkt_conf c;
	char err[256];
	unsigned int i;

	(void)state;
	pkt_conf(&c, 77, 3, 300);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
	for (i = 0; i < 5000; i++) {
		uint32_t flow = (uint32_t)(rng() % 300);
		uint64_t seq = rng(), t1 = rng(), t2 = i < 3 ? edge[i] : i == 3 ? t1 : rng();
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(a + GEN_OFF_IP);
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(a + GEN_OFF_UDP);

		gen_pkt_build(&t, a, flow, 3, seq, t1);
		gen_pkt_restamp(a, t2);
		gen_pkt_build(&t, b, flow, 3, seq, t2);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
		assert_true(udp->dgram_cksum != 0);
		/* identical but for a checksum of 0xffff where a full sum gives
		 * 0x0000 or the reverse: both are ones' complement zero */
		assert_memory_equal(a, b, GEN_OFF_UDP + 6);
		assert_memory_equal(a + GEN_OFF_PAYLOAD, b + GEN_OFF_PAYLOAD, 77 - GEN_OFF_PAYLOAD);
	}
}

static void
test_pkt_echo_round_trip(void **state)
{
	static struct gen_pkt_tmpl t;
	struct gen_pkt_match mt;
	struct gen_pkt_conf c;
	struct gen_reply r;
	uint8_t f[GEN_MAX_FRAME];
	char err[256];

	(void)state;
	pkt_conf(&c, 64, 4, 4096);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
	gen_pkt_match_init(&mt, &t);
	assert_int_equal(mt.our_ip_hi, c.src_ip + 3);
	assert_int_equal(mt.port_hi, 1024 + 1023);

	gen_pkt_build(&t, f, 4095, 5, 123456789012ull, 0x1122334455667788ull);
	/* our own request is not a reply (it comes from us, to port 7) */
	assert_int_equal(gen_pkt_parse(f, 64, &mt, &r), GEN_RX_OTHER);
	echo(f);
	memset(&r, 0, sizeof(r));
	assert_int_equal(gen_pkt_parse(f, 64, &mt, &r), GEN_RX_REPLY);
	assert_int_equal(r.tx_id, 5);
	assert_int_equal(r.seq, 123456789012ull);
	assert_int_equal(r.tsc, 0x1122334455667788ull);
	/* trailing Ethernet padding is fine */
	assert_int_equal(gen_pkt_parse(f, 70, &mt, &r), GEN_RX_REPLY);
	/* the ARP probe's reply is told apart */
	gen_pkt_build(&t, f, 0, GEN_TX_PROBE, 0, 1);
	echo(f);
	assert_int_equal(gen_pkt_parse(f, 64, &mt, &r), GEN_RX_PROBE);
}

static void
test_pkt_parse_rejects(void **state)
{
	static struct gen_pkt_tmpl t;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct gen_pkt_match mt;
	struct gen_pkt_conf c;
	struct gen_reply r;
	uint8_t f[GEN_MAX_FRAME], good[GEN_MAX_FRAME];
	char err[256];

	(void)state;
	pkt_conf(&c, 100, 1, 16);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
	gen_pkt_match_init(&mt, &t);
	gen_pkt_build(&t, good, 3, 0, 42, 4242);
	echo(good);
	ip = (struct rte_ipv4_hdr *)(f + GEN_OFF_IP);
	udp = (struct rte_udp_hdr *)(f + GEN_OFF_UDP);

#define FRESH() memcpy(f, good, sizeof(good))
	FRESH();
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_REPLY);
	assert_int_equal(gen_pkt_parse(f, 13, &mt, &r), GEN_RX_OTHER);
	assert_int_equal(gen_pkt_parse(f, 33, &mt, &r), GEN_RX_OTHER);
	assert_int_equal(gen_pkt_parse(f, 99, &mt, &r), GEN_RX_OTHER); /* IP length > frame */
	/* a zero UDP checksum means none (RFC 768) */
	FRESH();
	udp->dgram_cksum = 0;
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_REPLY);
	FRESH();
	f[GEN_OFF_PAYLOAD + 30] ^= 1;
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_BAD_CKSUM);
	FRESH();
	ip->time_to_live--; /* IP header checksum now wrong */
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_BAD_CKSUM);
	FRESH();
	udp->dgram_len = rte_cpu_to_be_16(100 - 34 + 1);
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_BAD_LEN);
	FRESH();
	udp->dgram_len = rte_cpu_to_be_16(7);
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_BAD_LEN);
	/* a short reply (payload < 20 B), checksum made valid again */
	FRESH();
	udp->dgram_len = rte_cpu_to_be_16(8 + 19);
	ip->total_length = rte_cpu_to_be_16(20 + 8 + 19);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = 0;
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_BAD_PAYLOAD);
	FRESH();
	f[GEN_OFF_PAYLOAD] = 'X';
	udp->dgram_cksum = 0;
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_BAD_PAYLOAD);
	FRESH();
	f[GEN_OFF_PAYLOAD + 3] = GEN_MAX_TX; /* no such TX stream */
	udp->dgram_cksum = 0;
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_BAD_PAYLOAD);
	/* not ours: the stack's to judge */
	FRESH();
	udp->src_port = rte_cpu_to_be_16(8);
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
	FRESH();
	udp->dst_port = rte_cpu_to_be_16(1024 + 16); /* past our ports */
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
	FRESH();
	ip->src_addr = rte_cpu_to_be_32(0x0a090209);
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
	FRESH();
	ip->dst_addr = rte_cpu_to_be_32(0x0a090203);
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
	FRESH();
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
	FRESH();
	ip->version_ihl = 0x65;
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
	FRESH();
	ip->next_proto_id = IPPROTO_TCP;
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
	FRESH();
	((struct rte_ether_hdr *)f)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	assert_int_equal(gen_pkt_parse(f, 100, &mt, &r), GEN_RX_OTHER);
#undef FRESH
}

/* Every single-byte change of a valid reply: no read outside the frame
 * (ASan build), and a change the checksums cover never yields a reply
 * with different contents. */
static void
test_pkt_parse_byte_flips(void **state)
{
	static struct gen_pkt_tmpl t;
	struct gen_pkt_match mt;
	struct gen_pkt_conf c;
	struct gen_reply r;
	uint8_t good[96], *f;
	char err[256];
	unsigned int pos, bit;

	(void)state;
	pkt_conf(&c, 96, 2, 64);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
	gen_pkt_match_init(&mt, &t);
	gen_pkt_build(&t, good, 9, 1, 77, 7777);
	echo(good);
	for (pos = 0; pos < sizeof(good); pos++)
		for (bit = 0; bit < 8; bit++) {
			enum gen_rx k;

			f = malloc(sizeof(good)); /* exact size: ASan sees any overread */
			assert_non_null(f);
			memcpy(f, good, sizeof(good));
			f[pos] ^= (uint8_t)(1u << bit);
			memset(&r, 0, sizeof(r));
			k = gen_pkt_parse(f, sizeof(good), &mt, &r);
			assert_true((unsigned int)k < GEN_RX_MAX);
			if (k == GEN_RX_REPLY && pos >= GEN_OFF_PAYLOAD) {
				assert_int_equal(r.seq, 77);
				assert_int_equal(r.tsc, 7777);
			}
			free(f);
		}
}

static void
test_pkt_arp_extra_addresses(void **state)
{
	static struct gen_pkt_tmpl t;
	struct gen_pkt_match mt;
	struct gen_pkt_conf c;
	struct gen_reply r;
	uint8_t f[64];
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eth + 1);
	const struct rte_ether_addr peer = {{0x02, 0, 0, 0, 0x0b, 0x07}};
	char err[256];

	(void)state;
	pkt_conf(&c, 64, 3, 30);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
	gen_pkt_match_init(&mt, &t);

	memset(f, 0, sizeof(f));
	memset(&eth->dst_addr, 0xff, 6);
	eth->src_addr = peer;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_sha = peer;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(0x0a090201);
	/* the first address is the stack's */
	ah->arp_data.arp_tip = rte_cpu_to_be_32(0x0a090202);
	assert_int_equal(gen_pkt_parse(f, 60, &mt, &r), GEN_RX_OTHER);
	/* past our range */
	ah->arp_data.arp_tip = rte_cpu_to_be_32(0x0a090205);
	assert_int_equal(gen_pkt_parse(f, 60, &mt, &r), GEN_RX_OTHER);
	/* too short */
	ah->arp_data.arp_tip = rte_cpu_to_be_32(0x0a090204);
	assert_int_equal(gen_pkt_parse(f, 41, &mt, &r), GEN_RX_OTHER);
	assert_int_equal(gen_pkt_parse(f, 60, &mt, &r), GEN_RX_ARP_EXTRA);
	assert_int_equal(gen_pkt_arp_answer(f, &mt), 42);
	assert_true(rte_is_same_ether_addr(&eth->dst_addr, &peer));
	assert_true(rte_is_same_ether_addr(&eth->src_addr, &mac_gen));
	assert_true(ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY));
	assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_sha, &mac_gen));
	assert_int_equal(rte_be_to_cpu_32(ah->arp_data.arp_sip), 0x0a090204);
	assert_true(rte_is_same_ether_addr(&ah->arp_data.arp_tha, &peer));
	assert_int_equal(rte_be_to_cpu_32(ah->arp_data.arp_tip), 0x0a090201);
	/* a reply is not a request */
	assert_int_equal(gen_pkt_parse(f, 42, &mt, &r), GEN_RX_OTHER);
}

static void
test_pkt_tmpl_rejects(void **state)
{
	static struct gen_pkt_tmpl t;
	struct gen_pkt_conf c;
	char err[256];

	(void)state;
	pkt_conf(&c, GEN_MIN_FRAME - 1, 1, 1);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "62..1514"));
	pkt_conf(&c, GEN_MAX_FRAME + 1, 1, 1);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), -EINVAL);
	pkt_conf(&c, 64, 1, 65536); /* ports 1024..66559 */
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "65535"));
	pkt_conf(&c, 64, 2, 65536); /* 32768 ports per address: fits */
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
	pkt_conf(&c, 64, 1, 0);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), -EINVAL);
}

/* ---- pacing ---- */

/* Each slot leaves exactly at start + ceil(k * hz / rate), however long
 * the run: probe one tick before and at the due tick. */
static void
test_pace_exact_schedule_no_drift(void **state)
{
	static const uint64_t hzs[] = {2100000000ull, 2999999999ull, 1000000000ull};
	static const uint64_t rates[] = {1, 7, 10000, 999983, 14880952, 100000000};
	unsigned int a, b, i;

	(void)state;
	for (a = 0; a < 3; a++)
		for (b = 0; b < 6; b++) {
			struct gen_pace p;
			uint64_t hz = hzs[a], rate = rates[b], k;

			gen_pace_init(&p, hz, rate, 1000, UINT64_MAX);
			/* slot 0 is due at start */
			assert_int_equal(gen_pace_take(&p, 999, 1), 0);
			assert_int_equal(gen_pace_take(&p, 1000, 1), 1);
			gen_pace_commit(&p, 1);
			for (i = 0; i < 2000; i++) {
				/* early slots, then slots about an hour of sending later */
				k = i < 1000 ? p.slots : p.slots + rate * 3600 - 1;
				if (i == 1000) {
					p.slots = k;
					p.next = gen_pace_slot_tsc(&p, k);
				}
				k = p.slots;
				{
					unsigned __int128 due =
						((unsigned __int128)k * hz + rate - 1) / rate;

					assert_int_equal(p.next, 1000 + (uint64_t)due);
				}
				assert_int_equal(gen_pace_take(&p, p.next - 1, 1), 0);
				assert_int_equal(gen_pace_take(&p, p.next, 1), 1);
				gen_pace_commit(&p, 1);
			}
			assert_int_equal(p.skipped, 0);
		}
}

/* Over a simulated second of irregular polling, the count sent equals the
 * slots due, within one burst. */
static void
test_pace_rate_over_time(void **state)
{
	struct gen_pace p;
	uint64_t hz = 2500000000ull, rate = 1234567, now = 5, sent = 0;

	(void)state;
	gen_pace_init(&p, hz, rate, now, 1000000);
	while (now < 5 + hz) {
		uint64_t n = gen_pace_take(&p, now, 32);

		gen_pace_commit(&p, n);
		sent += n;
		now += 50 + rng() % 3000; /* 20 ns .. 1.2 us between polls */
	}
	assert_true(sent <= rate + 1);
	assert_true(sent + 32 >= rate);
	assert_int_equal(p.skipped, 0);
}

static void
test_pace_stall_bounded_catch_up(void **state)
{
	struct gen_pace p;
	uint64_t hz = 1000000000ull, rate = 1000000, n, total = 0;

	(void)state;
	gen_pace_init(&p, hz, rate, 0, 64);
	gen_pace_commit(&p, gen_pace_take(&p, 0, 32)); /* slot 0 */
	/* stalled for 10 ms: 10000 slots due, only 64 may go at once */
	n = gen_pace_take(&p, 10000000, 1000);
	assert_int_equal(n, 64);
	assert_int_equal(p.skipped, 10001 - 1 - 64);
	gen_pace_commit(&p, n);
	/* nothing more due at the same tick; on schedule again afterwards */
	assert_int_equal(gen_pace_take(&p, 10000000, 1000), 0);
	gen_pace_commit(&p, 0);
	n = gen_pace_take(&p, 10000000 + 5000, 1000);
	assert_int_equal(n, 5);
	gen_pace_commit(&p, n);
	/* a full TX ring (nothing committed) keeps the slots due */
	n = gen_pace_take(&p, 10000000 + 6000, 1000);
	assert_int_equal(n, 1);
	gen_pace_commit(&p, 0);
	assert_int_equal(gen_pace_take(&p, 10000000 + 6000, 1000), 1);
	/* unpaced: whatever is asked for */
	gen_pace_init(&p, hz, 0, 0, 64);
	assert_int_equal(gen_pace_take(&p, 0, 32), 32);
	gen_pace_commit(&p, 32);
	assert_int_equal(gen_pace_take(&p, 0, 7), 7);
	(void)total;
}

static void
test_split_and_ns(void **state)
{
	static const uint64_t hzs[] = {1000000000ull, 2100000000ull, 2993792000ull, 3600000000ull};
	unsigned int i, n;

	(void)state;
	for (n = 1; n <= 7; n++) {
		uint64_t sum = 0;

		for (i = 0; i < n; i++)
			sum += gen_split(1000003, n, i);
		assert_int_equal(sum, 1000003);
		assert_true(gen_split(1000003, n, 0) - gen_split(1000003, n, n - 1) <= 1);
	}
	for (i = 0; i < 4; i++) {
		uint64_t m = gen_ns_mult(hzs[i]);
		uint64_t s1 = gen_tsc_to_ns(hzs[i], m), s10 = gen_tsc_to_ns(hzs[i] * 10, m);

		assert_true(s1 >= 999999999 && s1 <= 1000000001);
		assert_true(s10 >= 9999999990ull && s10 <= 10000000010ull);
		assert_int_equal(gen_tsc_to_ns(0, m), 0);
		/* 10 ns resolution survives the conversion */
		assert_true(gen_tsc_to_ns(hzs[i] / 100000000, m) <= 10);
		assert_true(gen_tsc_to_ns(hzs[i] / 100000000, m) >= 9);
	}
}

/* ---- command line ---- */

static int
parse(struct gen_opts *o, const char *line, char *err, size_t errlen)
{
	char buf[1024], *argv[64], *tok, *save = NULL;
	int argc = 0;
	FILE *devnull = fopen("/dev/null", "w");
	int ret;

	snprintf(buf, sizeof(buf), "sluice-gen %s", line);
	for (tok = strtok_r(buf, " ", &save); tok != NULL && argc < 63;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	err[0] = '\0';
	ret = gen_opts_parse(o, argc, argv, devnull, err, errlen);
	fclose(devnull);
	return ret;
}

#define REQ "--port-dev net_null0 --src-ip 10.9.2.2/24 --dst-ip 10.9.2.1 "

static void
expect_bad(const char *line, const char *needle)
{
	struct gen_opts o;
	char err[512];

	assert_int_equal(parse(&o, line, err, sizeof(err)), -EINVAL);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s': message '%s' does not name '%s'", line, err, needle);
}

static void
test_opts_valid(void **state)
{
	struct gen_opts o;
	char err[512];

	(void)state;
	assert_int_equal(parse(&o, REQ, err, sizeof(err)), 0);
	assert_string_equal(o.port_dev, "net_null0");
	assert_int_equal(o.src_ip, 0x0a090202);
	assert_int_equal(o.prefix_len, 24);
	assert_int_equal(o.dst_ip, 0x0a090201);
	assert_int_equal(o.dst_port, 7);
	assert_int_equal(o.rate, 0);
	assert_true(o.duration == 10.0); /* bounded by default */
	assert_int_equal(o.size, 64);

	assert_int_equal(parse(&o,
			       REQ "--rate 1.5M --count 1000 --flows 64 --size 1514 "
				   "--dst-port 9000 --src-ips 4 --lcores 1:tx,2:rx,3 "
				   "--dst-mac 02:00:00:00:0a:01 --json /tmp/x.json --burst 8",
			       err, sizeof(err)),
			 0);
	assert_int_equal(o.rate, 1500000);
	assert_int_equal(o.count, 1000);
	assert_true(o.duration == 0.0); /* --count alone bounds the run */
	assert_int_equal(o.flows, 64);
	assert_int_equal(o.size, 1514);
	assert_int_equal(o.dst_port, 9000);
	assert_int_equal(o.n_src_ips, 4);
	assert_int_equal(o.n_layout, 3);
	assert_int_equal(o.layout[0].lcore, 1);
	assert_int_equal(o.layout[0].role, GEN_ROLE_TX);
	assert_int_equal(o.layout[1].role, GEN_ROLE_RX);
	assert_int_equal(o.layout[2].role, GEN_ROLE_TXRX);
	assert_true(o.dst_mac_set);
	assert_string_equal(o.json, "/tmp/x.json");
	assert_int_equal(o.burst, 8);

	assert_int_equal(parse(&o, REQ "--rate max --duration 0.5", err, sizeof(err)), 0);
	assert_int_equal(o.rate, 0);
	assert_true(o.duration == 0.5);
	assert_int_equal(parse(&o, REQ "--rate 250k", err, sizeof(err)), 0);
	assert_int_equal(o.rate, 250000);
	assert_int_equal(parse(&o, "--help", err, sizeof(err)), 1);
	/* off-subnet target through a gateway */
	assert_int_equal(parse(&o,
			       "--port-dev x --src-ip 10.9.2.2/24 --dst-ip 10.1.1.1 "
			       "--gateway 10.9.2.254",
			       err, sizeof(err)),
			 0);
}

static void
test_opts_errors_name_the_problem(void **state)
{
	(void)state;
	expect_bad("--src-ip 10.9.2.2/24 --dst-ip 10.9.2.1", "--port-dev");
	expect_bad("--port-dev x --dst-ip 10.9.2.1", "--src-ip");
	expect_bad("--port-dev x --src-ip 10.9.2.2/24", "--dst-ip");
	expect_bad(REQ "--rate fast", "--rate 'fast'");
	expect_bad(REQ "--rate 0", "--rate '0'");
	expect_bad(REQ "--rate 10x", "--rate '10x'");
	expect_bad(REQ "--size 61", "62..1514");
	expect_bad(REQ "--size 1515", "62..1514");
	expect_bad(REQ "--duration 0", "--duration '0'");
	expect_bad(REQ "--duration -1", "--duration");
	expect_bad(REQ "--count 0", "--count '0'");
	expect_bad(REQ "--flows 0", "--flows '0'");
	expect_bad(REQ "--flows 65000", "65535");
	expect_bad(REQ "--dst-port 70000", "--dst-port");
	expect_bad(REQ "--dst-mac 01:00:5e:00:00:01", "unicast");
	expect_bad(REQ "--dst-mac 02:00:00", "--dst-mac");
	expect_bad(REQ "--lcores 1:foo", "role 'foo'");
	expect_bad(REQ "--lcores 1,1", "twice");
	expect_bad(REQ "--lcores 1,", "trailing");
	expect_bad(REQ "--lcores x", "'x' is not an lcore");
	expect_bad(REQ "--lcores 1:tx", "no RX lcore");
	expect_bad(REQ "--lcores 1:rx,2:rx", "no TX lcore");
	expect_bad(REQ "--src-ips 300", "subnet");
	expect_bad("--port-dev x --src-ip 10.9.2.2/33 --dst-ip 10.9.2.1", "1..32");
	expect_bad("--port-dev x --src-ip 10.9.2.300 --dst-ip 10.9.2.1", "IPv4");
	expect_bad("--port-dev x --src-ip 10.9.2.2/24 --dst-ip 10.1.1.1", "--gateway");
	expect_bad("--port-dev x --src-ip 10.9.2.2/24 --dst-ip 10.9.2.2", "own source");
	expect_bad(REQ "--frobnicate", "unknown option '--frobnicate'");
	expect_bad(REQ "--rate", "needs a value");
	expect_bad(REQ "stray", "unexpected argument 'stray'");
}

/* --mix: shares interleaved evenly, markers in the first payload byte,
 * replies sorted back into their class, bad mixes refused. */
static void
test_pkt_mix_classes(void **state)
{
	static struct gen_pkt_tmpl t;
	struct gen_pkt_match mt;
	struct gen_pkt_conf c;
	struct gen_reply r;
	uint8_t f[GEN_MAX_FRAME], marker[GEN_MAX_CLASSES];
	uint16_t share[GEN_MAX_CLASSES];
	unsigned int count[3] = {0}, i, run = 0, max_run = 0;
	char err[256];

	(void)state;
	assert_int_equal(gen_opts_parse_mix("L:97,H:1,M:2", marker, share, GEN_MAX_CLASSES, err,
					    sizeof(err)),
			 3);
	assert_int_equal(marker[1], 'H');
	assert_int_equal(share[2], 2);
	pkt_conf(&c, 64, 1, 16);
	c.n_classes = 3;
	memcpy(c.marker, marker, 3);
	memcpy(c.share, share, sizeof(share[0]) * 3);
	assert_int_equal(gen_pkt_tmpl_init(&t, &c, err, sizeof(err)), 0);
	assert_int_equal(t.mix_len, 100);
	gen_pkt_match_init(&mt, &t);
	for (i = 0; i < 1000; i++) {
		gen_pkt_build(&t, f, i % 16, 2, i, 1000 + i);
		assert_int_equal(f[GEN_OFF_PAYLOAD], marker[t.mix[i % 100]]);
		echo(f);
		assert_int_equal(gen_pkt_parse(f, 64, &mt, &r), GEN_RX_REPLY);
		assert_int_equal(r.cls, t.mix[i % 100]);
		assert_int_equal(r.seq, i);
		count[r.cls]++;
		run = r.cls == 0 ? run + 1 : 0;
		max_run = run > max_run ? run : max_run;
	}
	assert_int_equal(count[0], 970);
	assert_int_equal(count[1], 10);
	assert_int_equal(count[2], 20);
	assert_true(max_run <= 60); /* the rare classes are spread, not bunched */
	/* a marker that is no class's is not a reply */
	gen_pkt_build(&t, f, 0, 2, 0, 1);
	f[GEN_OFF_PAYLOAD] = 'Z';
	memset(f + GEN_OFF_UDP + 6, 0, 2); /* no UDP checksum (RFC 768) */
	echo(f);
	assert_int_equal(gen_pkt_parse(f, 64, &mt, &r), GEN_RX_BAD_PAYLOAD);

	assert_int_equal(gen_opts_parse_mix("L:99,L:1", marker, share, 8, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(gen_opts_parse_mix("L:0", marker, share, 8, err, sizeof(err)), -EINVAL);
	assert_int_equal(gen_opts_parse_mix("L:999,H:2", marker, share, 8, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(gen_opts_parse_mix("LH:1", marker, share, 8, err, sizeof(err)), -EINVAL);
	assert_int_equal(gen_opts_parse_mix("L:1,", marker, share, 8, err, sizeof(err)), -EINVAL);
	assert_int_equal(gen_opts_parse_mix("", marker, share, 8, err, sizeof(err)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_buckets_cover_and_bound),
		cmocka_unit_test(test_hist_exact_small_values),
		cmocka_unit_test(test_hist_percentiles_within_1pct_10ns_to_10s),
		cmocka_unit_test(test_hist_percentiles_monotonic),
		cmocka_unit_test(test_hist_empty_overflow_merge),
		cmocka_unit_test(test_pkt_build_fields_and_checksums),
		cmocka_unit_test(test_pkt_restamp),
		cmocka_unit_test(test_pkt_echo_round_trip),
		cmocka_unit_test(test_pkt_mix_classes),
		cmocka_unit_test(test_pkt_parse_rejects),
		cmocka_unit_test(test_pkt_parse_byte_flips),
		cmocka_unit_test(test_pkt_arp_extra_addresses),
		cmocka_unit_test(test_pkt_tmpl_rejects),
		cmocka_unit_test(test_pace_exact_schedule_no_drift),
		cmocka_unit_test(test_pace_rate_over_time),
		cmocka_unit_test(test_pace_stall_bounded_catch_up),
		cmocka_unit_test(test_split_and_ns),
		cmocka_unit_test(test_opts_valid),
		cmocka_unit_test(test_opts_errors_name_the_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
