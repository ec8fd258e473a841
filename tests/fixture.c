/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fixture.h"

#define FX_MAX_ARGS 32

const struct rte_ether_addr fx_mac_us = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const struct rte_ether_addr fx_mac_peer = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const struct rte_ether_addr fx_mac_bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

void
fx_eal_init(const char *name, const char *const *extra)
{
	fx_eal_init_lcores(name, "0", extra);
}

struct rte_mempool *
fx_mempool(const char *name, unsigned int n)
{
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL)
		fprintf(stderr, "mempool %s (%u mbufs): %s\n", name, n, rte_strerror(rte_errno));
	return mp;
}

unsigned int
fx_in_use(const struct rte_mempool *mp)
{
	return rte_mempool_in_use_count(mp);
}

uint32_t
fx_ip(const char *dotted)
{
	struct in_addr a;

	if (inet_pton(AF_INET, dotted, &a) != 1) {
		fprintf(stderr, "bad IPv4 address in test: %s\n", dotted);
		abort();
	}
	return a.s_addr;
}

void
fx_cap_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct fx_cap *cap = arg;
	uint16_t i;

	cap->calls++;
	for (i = 0; i < n; i++) {
		if (cap->n == FX_CAP_MAX) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		cap->port[cap->n] = port_id;
		cap->pkts[cap->n++] = pkts[i];
	}
}

void
fx_cap_clear(struct fx_cap *cap)
{
	unsigned int i;

	for (i = 0; i < cap->n; i++)
		rte_pktmbuf_free(cap->pkts[i]);
	cap->n = 0;
	cap->calls = 0;
}

struct rte_mempool *fx_pool;

int
fx_group_init(const char *name)
{
	fx_eal_init(name, NULL);
	fx_pool = fx_mempool(name, FX_POOL_SIZE);
	return fx_pool != NULL ? 0 : -1;
}

int
fx_setup(void **state)
{
	struct fx *fx = fx_new(fx_pool);

	if (fx_start(fx) != 0)
		return -1;
	*state = fx;
	return 0;
}

int
fx_setup_unstarted(void **state)
{
	*state = fx_new(fx_pool);
	return 0;
}

int
fx_teardown(void **state)
{
	fx_delete(*state);
	return 0;
}

struct fx *
fx_new(struct rte_mempool *mp)
{
	static unsigned int seq;
	static char name[32];
	struct fx *fx = calloc(1, sizeof(*fx));
	struct stk_if_conf *ifc;

	assert_non_null(fx);
	fx->mp = mp;
	fx->baseline = fx_in_use(mp);
	snprintf(name, sizeof(name), "fx%u", seq++);
	fx->conf.name = name;
	fx->conf.socket_id = 0;
	fx->conf.hz = FX_HZ;
	fx->conf.mp = mp;
	fx->conf.tx = fx_cap_tx;
	fx->conf.tx_arg = &fx->cap;
	fx->conf.n_ifs = 1;
	ifc = &fx->conf.ifs[0];
	ifc->port_id = FX_PORT;
	ifc->mac = fx_mac_us;
	ifc->ip = fx_ip(FX_IP_US);
	ifc->prefix_len = FX_PREFIX;
	ifc->gateway = fx_ip(FX_IP_GW);
	ifc->mtu = 1500;
	fx->conf.arp_entries = 16;
	fx->conf.arp_timeout_ms = 1000;
	fx->conf.arp_retry_ms = 100;
	fx->conf.arp_retries = 2;
	fx->conf.arp_pending_max = 4;
	fx->conf.icmp_rate = 10;
	fx->conf.icmp_burst = 3;
	fx->conf.ttl = 64;
	fx->now = 1000 * FX_HZ; /* not zero: catches code that treats 0 as "never" */
	return fx;
}

int
fx_start(struct fx *fx)
{
	fx->stk = stk_create(&fx->conf);
	if (fx->stk == NULL)
		return -rte_errno;
	stk_set_time(fx->stk, fx->now);
	return 0;
}

void
fx_delete(struct fx *fx)
{
	struct rte_mempool *mp = fx->mp;
	unsigned int baseline = fx->baseline;

	stk_free(fx->stk);
	fx_cap_clear(&fx->cap);
	free(fx);
	fx_assert_baseline(mp, baseline);
}

void
fx_advance_ms(struct fx *fx, uint64_t ms)
{
	fx->now += ms * (FX_HZ / 1000);
	stk_set_time(fx->stk, fx->now);
}

uint16_t
fx_input(struct fx *fx, struct rte_mbuf *m)
{
	return stk_input_burst(fx->stk, FX_PORT, &m, 1);
}

uint64_t
fx_drop(const struct fx *fx, enum stk_drop reason)
{
	uint64_t d[STK_DROP_MAX];

	stk_stats_read(fx->stk, NULL, d);
	return d[reason];
}

uint64_t
fx_drops_total(const struct fx *fx)
{
	uint64_t d[STK_DROP_MAX], sum = 0;
	unsigned int i;

	stk_stats_read(fx->stk, NULL, d);
	for (i = 0; i < STK_DROP_MAX; i++)
		sum += d[i];
	return sum;
}

struct stk_stats
fx_stats(const struct fx *fx)
{
	struct stk_stats st;

	stk_stats_read(fx->stk, &st, NULL);
	return st;
}

uint16_t
fx_sum16(const void *buf, size_t len, uint32_t init)
{
	const uint8_t *p = buf;
	uint64_t sum = init;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum; /* host order value of the big-endian sum */
}

struct rte_ether_hdr *
fx_eth(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
}

struct rte_ipv4_hdr *
fx_ip4(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
}

struct rte_udp_hdr *
fx_udp(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = fx_ip4(m);

	return (struct rte_udp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
}

struct rte_icmp_hdr *
fx_icmp(struct rte_mbuf *m)
{
	return (struct rte_icmp_hdr *)fx_udp(m);
}

struct rte_arp_hdr *
fx_arph(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, RTE_ETHER_HDR_LEN);
}

uint8_t *
fx_l4_payload(struct rte_mbuf *m)
{
	return (uint8_t *)fx_udp(m) + 8;
}

static uint16_t
fx_ip4_l4_len(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = fx_ip4(m);

	return rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
}

void
fx_ip4_fix(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = fx_ip4(m);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

void
fx_udp_fix(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = fx_ip4(m);
	struct rte_udp_hdr *udp = fx_udp(m);

	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

void
fx_icmp_fix(struct rte_mbuf *m)
{
	struct rte_icmp_hdr *icmp = fx_icmp(m);

	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, fx_ip4_l4_len(m));
}

bool
fx_ip4_cksum_valid(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = fx_ip4(m);

	return fx_sum16(ip, rte_ipv4_hdr_len(ip), 0) == 0xffff;
}

/* The L4 bytes of @m, contiguous even when @m is a chain. */
static const uint8_t *
fx_l4_bytes(struct rte_mbuf *m, uint32_t len)
{
	static uint8_t buf[UINT16_MAX + 1];
	struct rte_ipv4_hdr *ip = fx_ip4(m);
	uint32_t off = RTE_ETHER_HDR_LEN + rte_ipv4_hdr_len(ip);
	const void *p;

	if (off + len > rte_pktmbuf_pkt_len(m))
		return NULL;
	p = rte_pktmbuf_read(m, off, len, buf);
	return p;
}

bool
fx_udp_cksum_valid(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = fx_ip4(m);
	struct rte_udp_hdr *udp = fx_udp(m);
	uint16_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	const uint8_t *p = fx_l4_bytes(m, ulen);
	uint32_t ph;

	if (p == NULL)
		return false;
	if (udp->dgram_cksum == 0)
		return true;
	/* RFC 768 pseudo-header: addresses, zero, protocol, UDP length */
	ph = fx_sum16(&ip->src_addr, 8, 0);
	ph += IPPROTO_UDP + ulen;
	return fx_sum16(p, ulen, ph) == 0xffff;
}

bool
fx_icmp_cksum_valid(struct rte_mbuf *m)
{
	uint16_t len = fx_ip4_l4_len(m);
	const uint8_t *p = fx_l4_bytes(m, len);

	return p != NULL && fx_sum16(p, len, 0) == 0xffff;
}

static struct rte_mbuf *
fx_ip4_frame(struct rte_mempool *mp, const char *src, const char *dst, uint8_t proto,
	     uint16_t l4_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	uint8_t *l4;
	uint16_t i;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, RTE_ETHER_HDR_LEN + 20 + l4_len);
	assert_non_null(eth);
	eth->dst_addr = fx_mac_us;
	eth->src_addr = fx_mac_peer;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(20 + l4_len);
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->time_to_live = 37;
	ip->next_proto_id = proto;
	ip->src_addr = fx_ip(src);
	ip->dst_addr = fx_ip(dst);
	l4 = (uint8_t *)(ip + 1);
	for (i = 0; i < l4_len; i++)
		l4[i] = (uint8_t)(i * 7 + 1);
	fx_ip4_fix(m);
	return m;
}

struct rte_mbuf *
fx_ip4_raw(struct rte_mempool *mp, const char *src, const char *dst, uint8_t proto,
	   uint16_t payload_len)
{
	return fx_ip4_frame(mp, src, dst, proto, payload_len);
}

struct rte_mbuf *
fx_udp4(struct rte_mempool *mp, const char *src, const char *dst, uint16_t sport, uint16_t dport,
	uint16_t payload_len)
{
	struct rte_mbuf *m = fx_ip4_frame(mp, src, dst, IPPROTO_UDP, 8 + payload_len);
	struct rte_udp_hdr *udp = fx_udp(m);
	uint8_t *p = (uint8_t *)(udp + 1);
	uint16_t i;

	for (i = 0; i < payload_len; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(8 + payload_len);
	fx_udp_fix(m);
	return m;
}

struct rte_mbuf *
fx_icmp_echo(struct rte_mempool *mp, const char *src, const char *dst, uint16_t id, uint16_t seq,
	     uint16_t payload_len)
{
	struct rte_mbuf *m = fx_ip4_frame(mp, src, dst, IPPROTO_ICMP, 8 + payload_len);
	struct rte_icmp_hdr *icmp = fx_icmp(m);
	uint8_t *p = (uint8_t *)(icmp + 1);
	uint16_t i;

	for (i = 0; i < payload_len; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_code = 0;
	icmp->icmp_ident = rte_cpu_to_be_16(id);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(seq);
	fx_icmp_fix(m);
	return m;
}

struct rte_mbuf *
fx_arp(struct rte_mempool *mp, uint16_t op, const struct rte_ether_addr *eth_dst,
       const struct rte_ether_addr *sha, const char *spa, const struct rte_ether_addr *tha,
       const char *tpa)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *ah;

	assert_non_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, RTE_ETHER_HDR_LEN + sizeof(*ah));
	assert_non_null(eth);
	eth->dst_addr = *eth_dst;
	eth->src_addr = *sha;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eth + 1);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	ah->arp_data.arp_sip = fx_ip(spa);
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = fx_ip(tpa);
	return m;
}

void
fx_ip4_add_options(struct rte_mbuf *m, uint8_t optlen)
{
	uint8_t *old = rte_pktmbuf_mtod(m, uint8_t *), *p;
	struct rte_ipv4_hdr *ip;
	uint8_t hl = rte_ipv4_hdr_len(fx_ip4(m));

	assert_int_equal(optlen % 4, 0);
	p = (uint8_t *)rte_pktmbuf_prepend(m, optlen);
	assert_non_null(p);
	memmove(p, old, RTE_ETHER_HDR_LEN + hl);
	memset(p + RTE_ETHER_HDR_LEN + hl, 1 /* NOP */, optlen);
	p[RTE_ETHER_HDR_LEN + hl + optlen - 1] = 0; /* EOL */
	ip = fx_ip4(m);
	ip->version_ihl = (uint8_t)(ip->version_ihl + optlen / 4);
	ip->total_length = rte_cpu_to_be_16(rte_be_to_cpu_16(ip->total_length) + optlen);
	fx_ip4_fix(m);
}

void
fx_pad(struct rte_mbuf *m, uint16_t n)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, n);

	assert_non_null(p);
	memset(p, 0, n);
}

struct rte_mbuf *
fx_split(struct rte_mempool *mp, struct rte_mbuf *m, uint16_t at)
{
	struct rte_mbuf *a = rte_pktmbuf_alloc(mp), *b = rte_pktmbuf_alloc(mp);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t *pa, *pb;
	const void *r;

	assert_non_null(a);
	assert_non_null(b);
	assert_true(at <= len);
	pa = (uint8_t *)rte_pktmbuf_append(a, at);
	pb = (uint8_t *)rte_pktmbuf_append(b, (uint16_t)(len - at));
	assert_true(at == 0 || pa != NULL);
	assert_true(len == at || pb != NULL);
	if (at != 0) {
		r = rte_pktmbuf_read(m, 0, at, pa);
		if (r != pa)
			memcpy(pa, r, at);
	}
	if (len != at) {
		r = rte_pktmbuf_read(m, at, len - at, pb);
		if (r != pb)
			memcpy(pb, r, len - at);
	}
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	rte_pktmbuf_free(m);
	return a;
}

void
fx_expect_drop(struct fx *fx, struct rte_mbuf *m, enum stk_drop reason)
{
	uint64_t before = fx_drop(fx, reason), total = fx_drops_total(fx);
	unsigned int sent = fx->cap.n;

	assert_int_equal(fx_input(fx, m), 0);
	assert_int_equal(fx_drop(fx, reason), before + 1);
	assert_int_equal(fx_drops_total(fx), total + 1);
	assert_int_equal(fx->cap.n, sent);
	assert_int_equal(stk_mbufs_held(fx->stk), 0);
}

struct rte_mbuf *
fx_payload(struct rte_mempool *mp, uint16_t len, uint8_t fill)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memset(p, fill, len);
	return m;
}

void
fx_eal_init_lcores(const char *name, const char *lcores, const char *const *extra)
{
	static bool done;
	static char prefix[64], lcore_arg[128];
	char *argv[FX_MAX_ARGS];
	int argc = 0, ret;

	if (done)
		return;
	snprintf(prefix, sizeof(prefix), "--file-prefix=sl_%s_%d", name, (int)getpid());
	snprintf(lcore_arg, sizeof(lcore_arg), "--lcores=%s", lcores);
	argv[argc++] = (char *)(uintptr_t)name;
	argv[argc++] = lcore_arg;
	argv[argc++] = (char *)(uintptr_t) "--no-huge";
	argv[argc++] = (char *)(uintptr_t) "-m";
	argv[argc++] = (char *)(uintptr_t) "256";
	argv[argc++] = (char *)(uintptr_t) "--no-pci";
	/* --in-memory is refused with --no-huge (legacy memory) by DPDK 22.11;
	 * --no-shconf gives the same isolation: no shared files at all */
	argv[argc++] = (char *)(uintptr_t) "--no-shconf";
	argv[argc++] = (char *)(uintptr_t) "--no-telemetry";
	argv[argc++] = prefix;
	argv[argc++] = (char *)(uintptr_t) "--log-level=*:error";
	while (extra != NULL && *extra != NULL && argc < FX_MAX_ARGS - 1)
		argv[argc++] = (char *)(uintptr_t)*extra++;
	argv[argc] = NULL;
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "%s: EAL init with --lcores=%s failed: %s\n", name, lcores,
			rte_strerror(rte_errno));
		abort();
	}
	done = true;
}

/* ---- TCP ---- */

struct rte_mbuf *
fx_tcp4(struct rte_mempool *mp, const char *src, const char *dst, uint16_t sport, uint16_t dport,
	uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opt, uint8_t optlen,
	const void *data, uint16_t len)
{
	struct rte_mbuf *m;
	struct rte_tcp_hdr *th;
	uint8_t *p;

	assert_int_equal(optlen % 4, 0);
	assert_true(optlen <= 40);
	m = fx_ip4_frame(mp, src, dst, IPPROTO_TCP, (uint16_t)(20 + optlen + len));
	th = fx_tcp(m);
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	p = (uint8_t *)(th + 1);
	if (optlen != 0)
		memcpy(p, opt, optlen);
	if (data != NULL && len != 0)
		memcpy(p + optlen, data, len);
	fx_tcp_fix(m);
	return m;
}

struct rte_tcp_hdr *
fx_tcp(struct rte_mbuf *m)
{
	return (struct rte_tcp_hdr *)fx_udp(m);
}

uint16_t
fx_tcp_hlen(struct rte_mbuf *m)
{
	return (uint16_t)((fx_tcp(m)->data_off >> 4) * 4);
}

uint8_t *
fx_tcp_payload(struct rte_mbuf *m)
{
	return (uint8_t *)fx_tcp(m) + fx_tcp_hlen(m);
}

uint16_t
fx_tcp_payload_len(struct rte_mbuf *m)
{
	return (uint16_t)(fx_ip4_l4_len(m) - fx_tcp_hlen(m));
}

void
fx_tcp_fix(struct rte_mbuf *m)
{
	struct rte_tcp_hdr *th = fx_tcp(m);

	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(fx_ip4(m), th);
}

bool
fx_tcp_cksum_valid(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = fx_ip4(m);
	uint16_t len = fx_ip4_l4_len(m);
	const uint8_t *p = fx_l4_bytes(m, len);
	uint32_t ph;

	if (p == NULL)
		return false;
	/* RFC 9293 3.1 pseudo-header: addresses, zero, protocol, TCP length */
	ph = fx_sum16(&ip->src_addr, 8, 0);
	ph += IPPROTO_TCP + len;
	return fx_sum16(p, len, ph) == 0xffff;
}

const uint8_t *
fx_tcp_opt(struct rte_mbuf *m, uint8_t kind)
{
	const uint8_t *p = (const uint8_t *)(fx_tcp(m) + 1);
	uint16_t len = (uint16_t)(fx_tcp_hlen(m) - 20), i = 0;

	while (i < len) {
		if (p[i] == 0)
			return NULL;
		if (p[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
			return NULL;
		if (p[i] == kind)
			return p + i;
		i = (uint16_t)(i + p[i + 1]);
	}
	return NULL;
}
