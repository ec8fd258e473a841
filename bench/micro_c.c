/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Set-up, measured code and checks of bench/sluice-micro (see micro_c.h).
 *
 * Keeping the frames cycling without an allocation per iteration: the echo
 * reply of a frame is not a frame the stack accepts again (its destination
 * MAC and IP are the peer's), so every iteration first restores each
 * frame's 42 header bytes (Ethernet + IPv4 + UDP) from a per-frame
 * template with one rte_memcpy and rewrites ol_flags. The payload is never
 * touched by the echo, so that is a complete reset. Its cost is inside the
 * input and RXTX numbers and is measured on its own by BENCH_INPUT_RESET
 * and BENCH_RXTX_MOVE, to be subtracted. Set-up checks once, on the real
 * path, that the reply is exactly the template with MACs, IPs and ports
 * swapped (TTL 64 and DF in the template, so the stack rewrites nothing
 * else), i.e. that the reset undoes precisely what the echo did.
 */
#include <inttypes.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_memcpy.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dp.h"
#include "micro_c.h"
#include "stk.h"

#define BENCH_POOL_SIZE 16383
#define BENCH_PAGE_POOL_SIZE 1023
#define BENCH_POOL_CACHE 256
#define BENCH_RING_SIZE 1024
#define BENCH_UDP_PORT 7
#define BENCH_STK_PORT 0 /* port id the stack-only cases pretend to receive on */
#define BENCH_HDR_LEN (RTE_ETHER_HDR_LEN + 20 + 8)
#define BENCH_TTL 64
#define BENCH_MAX_N 256
#define BENCH_ARP_MISS_KEYS 1024

struct bench_case {
	enum bench_kind kind;
	uint16_t n;	   /* packets per burst / batch */
	uint16_t plen;	   /* UDP payload bytes */
	uint64_t ol_flags; /* what the reset writes into every frame */
	uint64_t items;	   /* processed, for the teardown checks */
	uint64_t acc;	   /* valid checksums seen, ARP hits, ... */
	struct rte_mempool *mp;
	unsigned int baseline;

	struct rte_mbuf *pkts[BENCH_MAX_N];
	/* what the stack handed to the tx callback (the next input) */
	uint16_t n_cap;
	struct rte_mbuf *cap[BENCH_MAX_N];
	uint64_t tx_extra; /* frames that did not fit cap[]: an error */
	bool tx_free;	   /* tx callback frees instead of collecting (ARP set-up) */

	struct stk_ctx *stk;
	uint16_t port_id;

	/* checksum cases */
	struct rte_ipv4_hdr *ip[BENCH_MAX_N];
	struct rte_udp_hdr *udp[BENCH_MAX_N];

	/* ARP cases */
	uint32_t *keys;
	uint32_t n_keys;
	uint32_t pos;

	/* ring and RXTX cases */
	struct rte_ring *ring;
	void *objs[BENCH_RING_BURST];
	struct rte_ring *rx, *tx;
	bool port_open;
	struct dp_port port;
	struct rte_eth_dev_tx_buffer *txb;
	uint64_t tx_sent, tx_unsent, rx_bytes;

	alignas(RTE_CACHE_LINE_SIZE) uint8_t tmpl[BENCH_MAX_N][64];
};

/* Packed mbufs, laid out as in a hugepage pool; and the --no-huge default,
 * one mbuf per 4 KiB page (see bench_pool_packed()). */
static struct rte_mempool *bench_mp, *bench_mp_page;
static char bench_errbuf[512];
static unsigned int bench_seq;

static const struct rte_ether_addr bench_mac_us = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};

static void bench_fail(const char *fmt, ...) __rte_format_printf(1, 2);

static void
bench_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(bench_errbuf, sizeof(bench_errbuf), fmt, ap);
	va_end(ap);
}

const char *
bench_error(void)
{
	return bench_errbuf;
}

unsigned int
bench_mbuf_stride(int page_pool)
{
	struct rte_mempool *mp = page_pool ? bench_mp_page : bench_mp;
	void *m[2];

	/* two objects in a row from the pool itself: the layout, not a guess */
	if (mp == NULL || rte_mempool_get_bulk(mp, m, 2) != 0)
		return 0;
	rte_mempool_put_bulk(mp, m, 2);
	return (unsigned int)((uintptr_t)m[0] > (uintptr_t)m[1]
				      ? (uintptr_t)m[0] - (uintptr_t)m[1]
				      : (uintptr_t)m[1] - (uintptr_t)m[0]);
}

uint64_t
bench_tsc(void)
{
	return rte_rdtsc();
}

uint64_t
bench_tsc_hz(void)
{
	return rte_get_tsc_hz();
}

/*
 * Under --no-huge, rte_pktmbuf_pool_create() gives every mbuf a 4 KiB page
 * of its own (DPDK keeps IOVA-contiguous objects from crossing a page, and
 * pages are 4 KiB), so the mbufs of a burst all share one L1 set for their
 * headers and one for their data, and a burst of 32 thrashes a 12-way L1.
 * With hugepages, as sluice runs, they are packed 2368 bytes apart (37
 * cache lines, an odd number: spread over every set). Nothing here does DMA, so the pool
 * can drop the IOVA-contiguity requirement and be packed the same way.
 */
static struct rte_mempool *
bench_pool_packed(const char *name, unsigned int n)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
		.mbuf_priv_size = 0,
	};
	struct rte_mempool *mp;

	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE,
				      BENCH_POOL_CACHE, sizeof(priv), 0,
				      RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rte_mempool_free(mp);
	return NULL;
}

int
bench_init(const char *prog)
{
	static char prefix[64];
	char *argv[32];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "slbench_%d", (int)getpid());
	argv[argc++] = (char *)(uintptr_t)prog;
	argv[argc++] = (char *)(uintptr_t) "-l";
	argv[argc++] = (char *)(uintptr_t) "0";
	argv[argc++] = (char *)(uintptr_t) "--no-huge";
	argv[argc++] = (char *)(uintptr_t) "-m";
	argv[argc++] = (char *)(uintptr_t) "512";
	/* DPDK 22.11 refuses --in-memory with --no-huge; --no-shconf leaves
	 * no runtime files either */
	argv[argc++] = (char *)(uintptr_t) "--no-shconf";
	argv[argc++] = (char *)(uintptr_t) "--no-pci";
	argv[argc++] = (char *)(uintptr_t) "--no-telemetry";
	argv[argc++] = (char *)(uintptr_t) "--file-prefix";
	argv[argc++] = prefix;
	argv[argc++] = (char *)(uintptr_t) "--log-level";
	argv[argc++] = (char *)(uintptr_t) "*:error";
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: EAL init failed: %s\n", prog, rte_strerror(rte_errno));
		return -1;
	}
	bench_mp = bench_pool_packed("bench_mbuf", BENCH_POOL_SIZE);
	bench_mp_page = rte_pktmbuf_pool_create("bench_mbuf_page", BENCH_PAGE_POOL_SIZE,
						BENCH_POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (bench_mp == NULL || bench_mp_page == NULL) {
		fprintf(stderr, "%s: mbuf pools: %s\n", prog, rte_strerror(rte_errno));
		bench_fini();
		return -1;
	}
	return 0;
}

void
bench_fini(void)
{
	rte_mempool_free(bench_mp);
	rte_mempool_free(bench_mp_page);
	bench_mp = NULL;
	bench_mp_page = NULL;
	rte_eal_cleanup();
}

/* ---- frames ---- */

static uint32_t
bench_ip(uint32_t host_order)
{
	return rte_cpu_to_be_32(host_order);
}

/* Frame @i of a case: from peer i (own MAC, IP and port) to our echo port.
 * TTL 64 and DF, as the stack writes them into a reply. */
static struct rte_mbuf *
bench_udp_frame(struct rte_mempool *mp, uint16_t i, uint16_t plen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *pl;
	uint16_t k;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, BENCH_HDR_LEN + plen);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth->dst_addr = bench_mac_us;
	eth->src_addr = (struct rte_ether_addr){{0x02, 0x00, 0x00, 0x01, i >> 8, i & 0xff}};
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(20 + 8 + plen);
	ip->packet_id = rte_cpu_to_be_16(i);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = BENCH_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = bench_ip(0x0a000100u + 1 + i % 200); /* 10.0.1.x */
	ip->dst_addr = bench_ip(0x0a000001u);		    /* 10.0.0.1 */
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(1024 + i);
	udp->dst_port = rte_cpu_to_be_16(BENCH_UDP_PORT);
	udp->dgram_len = rte_cpu_to_be_16(8 + plen);
	pl = (uint8_t *)(udp + 1);
	for (k = 0; k < plen; k++)
		pl[k] = (uint8_t)(k * 7 + 1 + i);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return m;
}

/* What the echo must turn template @t into: MACs, IPs and ports swapped. */
static void
bench_swapped(uint8_t *out, const uint8_t *t)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)out;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct rte_ether_addr a;
	rte_be32_t x;
	rte_be16_t p;

	memcpy(out, t, BENCH_HDR_LEN);
	a = eth->dst_addr;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = a;
	x = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = x;
	p = udp->src_port;
	udp->src_port = udp->dst_port;
	udp->dst_port = p;
}

static int
bench_check_reply(const struct bench_case *c, struct rte_mbuf *m, uint16_t i)
{
	uint8_t want[BENCH_HDR_LEN];
	const uint8_t *pl;
	uint16_t k;

	bench_swapped(want, c->tmpl[i]);
	if (rte_pktmbuf_pkt_len(m) != (uint32_t)BENCH_HDR_LEN + c->plen ||
	    memcmp(rte_pktmbuf_mtod(m, const void *), want, BENCH_HDR_LEN) != 0) {
		bench_fail("the echo of frame %u is not the frame with MACs, IPs and ports "
			   "swapped: the header reset would not restore it",
			   i);
		return -1;
	}
	pl = rte_pktmbuf_mtod_offset(m, const uint8_t *, BENCH_HDR_LEN);
	for (k = 0; k < c->plen; k++)
		if (pl[k] != (uint8_t)(k * 7 + 1 + i)) {
			bench_fail("the echo of frame %u changed payload byte %u", i, k);
			return -1;
		}
	return 0;
}

/* Build @n frames into c->pkts and their templates. */
static int
bench_frames(struct bench_case *c, uint16_t n, uint16_t plen)
{
	uint16_t i;

	c->n = n;
	c->plen = plen;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = bench_udp_frame(c->mp, i, plen);

		if (m == NULL) {
			bench_fail("cannot build frame %u of %u (mbuf pool exhausted?)", i, n);
			return -1;
		}
		c->pkts[i] = m;
		memcpy(c->tmpl[i], rte_pktmbuf_mtod(m, const void *), BENCH_HDR_LEN);
		m->ol_flags = c->ol_flags;
	}
	return 0;
}

static inline void
bench_reset(const struct bench_case *c, struct rte_mbuf *m, uint16_t i)
{
	rte_memcpy(rte_pktmbuf_mtod(m, void *), c->tmpl[i], BENCH_HDR_LEN);
	m->ol_flags = c->ol_flags;
}

/* ---- the stack ---- */

static enum stk_udp_verdict
bench_echo_rx(void *arg, struct stk_udp_msg *msg)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(msg);
	return STK_UDP_REPLY_SAME;
}

/* tx callback of the stack-only cases: collect the replies, they are the
 * next iteration's input. */
static void
bench_cap_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct bench_case *c = arg;
	uint16_t k = RTE_MIN(n, (uint16_t)(BENCH_MAX_N - c->n_cap));

	RTE_SET_USED(port_id);
	if (unlikely(c->tx_free)) {
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	memcpy(&c->cap[c->n_cap], pkts, k * sizeof(*pkts));
	c->n_cap += k;
	if (unlikely(k < n)) {
		rte_pktmbuf_free_bulk(pkts + k, n - k);
		c->tx_extra += n - k;
	}
}

/* tx callback of BENCH_RXTX: straight onto the port. */
static void
bench_port_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct bench_case *c = arg;
	uint16_t sent = rte_eth_tx_burst(port_id, 0, pkts, n);

	c->tx_sent += sent;
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		c->tx_unsent += n - sent;
	}
}

/* tx callback of BENCH_RXTX_TXBUF: lcore/rtc.c's lc_tx(). */
static void
bench_buf_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct bench_case *c = arg;
	uint16_t i;

	for (i = 0; i < n; i++)
		c->tx_sent += rte_eth_tx_buffer(port_id, 0, c->txb, pkts[i]);
}

static void
bench_txb_unsent(struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct bench_case *c = arg;

	rte_pktmbuf_free_bulk(pkts, n);
	c->tx_unsent += n;
}

static int
bench_stack(struct bench_case *c, stk_tx_fn tx, uint32_t arp_entries, bool offload)
{
	char name[32];
	struct stk_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	snprintf(name, sizeof(name), "bench%u", bench_seq++);
	conf.name = name;
	conf.socket_id = 0;
	conf.hz = rte_get_tsc_hz();
	conf.mp = c->mp;
	conf.tx = tx;
	conf.tx_arg = c;
	conf.n_ifs = 1;
	conf.ifs[0] = (struct stk_if_conf){
		.port_id = c->port_id,
		.mac = bench_mac_us,
		.ip = bench_ip(0x0a000001u),
		.prefix_len = 8,
		.mtu = 1500,
		.rx_cksum_offload = offload,
	};
	conf.arp_entries = arp_entries;
	conf.arp_timeout_ms = 3600 * 1000; /* nothing expires while we measure */
	conf.arp_retry_ms = 1000;
	conf.arp_retries = 3;
	conf.arp_pending_max = 64;
	conf.icmp_rate = 100;
	conf.icmp_burst = 50;
	conf.ttl = BENCH_TTL;
	c->stk = stk_create(&conf);
	if (c->stk == NULL) {
		bench_fail("stk_create (%u ARP entries): %s", arp_entries, rte_strerror(rte_errno));
		return -1;
	}
	stk_set_time(c->stk, rte_rdtsc());
	ret = stk_udp_bind(c->stk, BENCH_UDP_PORT, bench_echo_rx, NULL);
	if (ret != 0) {
		bench_fail("stk_udp_bind: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

/* 0 if the stack dropped nothing and delivered @want datagrams. */
static int
bench_stack_check(const struct bench_case *c, uint64_t want)
{
	uint64_t drops[STK_DROP_MAX];
	struct stk_stats st;
	unsigned int i;

	stk_stats_read(c->stk, &st, drops);
	for (i = 0; i < STK_DROP_MAX; i++)
		if (drops[i] != 0) {
			bench_fail("the stack dropped %" PRIu64 " frames as %s", drops[i],
				   stk_drop_name((enum stk_drop)i));
			return -1;
		}
	if (st.udp_delivered != want) {
		bench_fail("%" PRIu64 " datagrams delivered, %" PRIu64 " expected",
			   st.udp_delivered, want);
		return -1;
	}
	if (c->tx_extra != 0 || c->tx_unsent != 0) {
		bench_fail("%" PRIu64 " replies lost on transmit", c->tx_extra + c->tx_unsent);
		return -1;
	}
	return 0;
}

/* ---- set-up per kind ---- */

static int
setup_cksum(struct bench_case *c, uint16_t plen)
{
	uint16_t i;

	if (bench_frames(c, BENCH_CKSUM_BATCH, plen) != 0)
		return -1;
	for (i = 0; i < c->n; i++) {
		c->ip[i] = rte_pktmbuf_mtod_offset(c->pkts[i], struct rte_ipv4_hdr *,
						   RTE_ETHER_HDR_LEN);
		c->udp[i] = (struct rte_udp_hdr *)(c->ip[i] + 1);
	}
	return 0;
}

static int
setup_input(struct bench_case *c, uint16_t n, uint16_t plen, bool offload)
{
	uint16_t i;

	if (n == 0 || n > BENCH_MAX_N) {
		bench_fail("burst %u out of 1..%u", n, BENCH_MAX_N);
		return -1;
	}
	if (offload)
		c->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	if (bench_frames(c, n, plen) != 0)
		return -1;
	if (c->kind == BENCH_INPUT_RESET)
		return 0;
	c->port_id = BENCH_STK_PORT;
	if (bench_stack(c, bench_cap_tx, 1024, offload) != 0)
		return -1;
	/* once through the real path: the replies must be exactly what the
	 * reset undoes */
	stk_input_burst(c->stk, c->port_id, c->pkts, n);
	if (c->n_cap != n) {
		bench_stack_check(c, n);
		if (bench_errbuf[0] == '\0')
			bench_fail("%u of %u frames echoed", c->n_cap, n);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (bench_check_reply(c, c->cap[i], i) != 0)
			return -1;
	c->items = n;
	return 0;
}

static uint64_t
bench_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Fill the table through the wire: one ARP request to us per neighbour
 * (RFC 826 merge creates the entry), replies freed by the tx callback. */
static int
arp_populate(struct bench_case *c, uint32_t n)
{
	struct rte_mbuf *req[32];
	uint32_t i, j, k;

	c->tx_free = true;
	for (i = 0; i < n; i += k) {
		k = RTE_MIN(32u, n - i);
		if (rte_pktmbuf_alloc_bulk(c->mp, req, k) != 0) {
			bench_fail("mbuf pool exhausted while populating ARP");
			return -1;
		}
		for (j = 0; j < k; j++) {
			uint32_t id = i + j;
			struct rte_ether_addr sha = {
				{0x02, 0x00, 0x0a, 0x10, (uint8_t)(id >> 8), (uint8_t)id}};
			struct rte_ether_hdr *eth;
			struct rte_arp_hdr *ah;

			eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
				req[j], RTE_ETHER_HDR_LEN + sizeof(*ah));
			memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
			eth->src_addr = sha;
			eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
			ah = (struct rte_arp_hdr *)(eth + 1);
			ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
			ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
			ah->arp_hlen = RTE_ETHER_ADDR_LEN;
			ah->arp_plen = 4;
			ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
			ah->arp_data.arp_sha = sha;
			ah->arp_data.arp_sip = c->keys[id];
			memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
			ah->arp_data.arp_tip = bench_ip(0x0a000001u);
		}
		stk_input_burst(c->stk, c->port_id, req, (uint16_t)k);
	}
	c->tx_free = false;
	if (stk_arp_count(c->stk) != n) {
		bench_fail("ARP table holds %u entries after %u requests", stk_arp_count(c->stk),
			   n);
		return -1;
	}
	return 0;
}

static int
setup_arp(struct bench_case *c, uint32_t n)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	uint32_t i, *ips;

	if (n < 1 || n > (1u << 20)) {
		bench_fail("ARP entries %u out of 1..%u", n, 1u << 20);
		return -1;
	}
	c->port_id = BENCH_STK_PORT;
	if (bench_stack(c, bench_cap_tx, n, false) != 0)
		return -1;
	ips = rte_malloc("bench_keys", sizeof(*ips) * RTE_MAX(n, (uint32_t)BENCH_ARP_MISS_KEYS), 0);
	if (ips == NULL) {
		bench_fail("out of memory for %u keys", n);
		return -1;
	}
	c->keys = ips;
	for (i = 0; i < n; i++)
		ips[i] = bench_ip(0x0a100000u + i); /* 10.16.0.0 and up */
	if (arp_populate(c, n) != 0)
		return -1;
	if (c->kind == BENCH_ARP_HIT) {
		/* look up in a random order: no help from the prefetcher */
		for (i = n - 1; i > 0; i--) {
			uint32_t j = (uint32_t)(bench_xorshift(&s) % (i + 1)), t = ips[i];

			ips[i] = ips[j];
			ips[j] = t;
		}
		c->n_keys = n;
	} else {
		for (i = 0; i < BENCH_ARP_MISS_KEYS; i++) /* 10.32.x.y: never added */
			ips[i] = bench_ip(0x0a200000u + (uint32_t)(bench_xorshift(&s) & 0xfffff));
		c->n_keys = BENCH_ARP_MISS_KEYS;
	}
	return 0;
}

static int
setup_ring(struct bench_case *c)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int i;

	snprintf(name, sizeof(name), "bench_r%u", bench_seq++);
	c->ring = rte_ring_create(name, BENCH_RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (c->ring == NULL) {
		bench_fail("rte_ring_create: %s", rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < BENCH_RING_BURST; i++)
		c->objs[i] = &c->pkts[i];
	return 0;
}

/* TX ring -> header reset -> RX ring: the bench's stand-in for the wire. */
static inline uint16_t
bench_move(struct bench_case *c)
{
	struct rte_mbuf *m[BENCH_MAX_N];
	uint16_t n, i;

	n = (uint16_t)rte_ring_sc_dequeue_burst(c->tx, (void **)m, c->n, NULL);
	for (i = 0; i < n; i++)
		bench_reset(c, m[i], i);
	return (uint16_t)rte_ring_sp_enqueue_burst(c->rx, (void **)m, n, NULL);
}

static uint64_t run_rxtx(struct bench_case *c);

static int
setup_rxtx(struct bench_case *c, uint16_t n)
{
	char name[RTE_ETH_NAME_MAX_LEN], err[512];
	struct dp_port_params pp = {
		.name = "bench",
		.n_rxq = 1,
		.n_txq = 1,
		.rxd = 512,
		.txd = 512,
		.mtu = 1500,
	};
	unsigned int seq = bench_seq++;
	uint16_t i;
	int ret;

	if (n == 0 || n > BENCH_MAX_N) {
		bench_fail("burst %u out of 1..%u", n, BENCH_MAX_N);
		return -1;
	}
	snprintf(name, sizeof(name), "bench_rx%u", seq);
	c->rx = rte_ring_create(name, BENCH_RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "bench_tx%u", seq);
	c->tx = c->kind == BENCH_RXTX_MOVE
			? c->rx
			: rte_ring_create(name, BENCH_RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (c->rx == NULL || c->tx == NULL) {
		bench_fail("rte_ring_create: %s", rte_strerror(rte_errno));
		return -1;
	}
	if (bench_frames(c, n, 18) != 0) /* 64-byte frames, as bench/pps */
		return -1;
	/* the first bench_move() brings them to the RX ring */
	if (rte_ring_sp_enqueue_bulk(c->tx, (void **)c->pkts, n, NULL) != n) {
		bench_fail("cannot queue %u frames", n);
		return -1;
	}
	if (c->kind == BENCH_RXTX_MOVE)
		return 0;

	snprintf(name, sizeof(name), "slb%u", seq);
	ret = rte_eth_from_rings(name, &c->rx, 1, &c->tx, 1, 0);
	if (ret < 0) {
		bench_fail("rte_eth_from_rings: %s", rte_strerror(rte_errno));
		return -1;
	}
	/* the ethdev is named by the driver: find it by id */
	if (rte_eth_dev_get_name_by_port((uint16_t)ret, name) != 0) {
		bench_fail("no name for ethdev %d", ret);
		return -1;
	}
	if (dp_port_find("bench", name, &c->port, err, sizeof(err)) != 0 ||
	    (pp.dev = name, dp_port_setup(&pp, &c->port, c->mp, err, sizeof(err))) != 0 ||
	    dp_port_start(&c->port, err, sizeof(err)) != 0) {
		bench_fail("%s", err);
		return -1;
	}
	c->port_open = true;
	c->port_id = c->port.port_id;
	if (c->kind == BENCH_RXTX_TXBUF) {
		c->txb = rte_zmalloc("bench_txb", RTE_ETH_TX_BUFFER_SIZE(n), 0);
		if (c->txb == NULL) {
			bench_fail("out of memory for the TX buffer");
			return -1;
		}
		rte_eth_tx_buffer_init(c->txb, n);
		rte_eth_tx_buffer_set_err_callback(c->txb, bench_txb_unsent, c);
	}
	if (bench_stack(c, c->kind == BENCH_RXTX ? bench_port_tx : bench_buf_tx, 1024,
			c->port.rx_cksum_offload) != 0)
		return -1;

	/* once through, then check what reached the TX ring */
	if (run_rxtx(c) != n || rte_ring_count(c->tx) != n) {
		bench_stack_check(c, n);
		if (bench_errbuf[0] == '\0')
			bench_fail("%u of %u frames reached the TX ring", rte_ring_count(c->tx), n);
		return -1;
	}
	if (rte_ring_sc_dequeue_bulk(c->tx, (void **)c->cap, n, NULL) != n) {
		bench_fail("cannot read the TX ring");
		return -1;
	}
	ret = 0;
	for (i = 0; i < n && ret == 0; i++)
		ret = bench_check_reply(c, c->cap[i], i);
	if (rte_ring_sp_enqueue_bulk(c->tx, (void **)c->cap, n, NULL) != n) {
		bench_fail("cannot requeue the replies");
		return -1;
	}
	c->items = n;
	return ret;
}

/* ---- runs ---- */

static uint64_t
run_cksum(struct bench_case *c)
{
	uint64_t acc = 0;
	uint16_t i;

	for (i = 0; i < c->n; i++) {
		switch (c->kind) {
		case BENCH_IP4_CKSUM:
			acc += rte_ipv4_cksum(c->ip[i]);
			break;
		case BENCH_IP4_HDR_OK:
			acc += stk_ip4_hdr_cksum_ok(c->pkts[i], c->ip[i], false);
			break;
		case BENCH_UDP_CKSUM:
			acc += rte_ipv4_udptcp_cksum(c->ip[i], c->udp[i]);
			break;
		default:
			acc += stk_udp4_cksum_ok(c->pkts[i], c->ip[i], false);
			break;
		}
		/* one packet at a time, as on the input path */
		rte_compiler_barrier();
	}
	c->acc += acc;
	c->items += c->n;
	return c->n;
}

static uint64_t
run_input(struct bench_case *c)
{
	uint16_t n = c->n_cap, i;

	for (i = 0; i < n; i++) {
		bench_reset(c, c->cap[i], i);
		c->pkts[i] = c->cap[i];
	}
	c->n_cap = 0;
	stk_input_burst(c->stk, c->port_id, c->pkts, n);
	c->items += n;
	return n;
}

static uint64_t
run_reset(struct bench_case *c)
{
	uint16_t i;

	for (i = 0; i < c->n; i++)
		bench_reset(c, c->pkts[i], i);
	rte_compiler_barrier();
	c->items += c->n;
	return c->n;
}

static uint64_t
run_arp(struct bench_case *c)
{
	struct rte_ether_addr mac;
	uint32_t pos = c->pos, hits = 0;
	unsigned int i;

	for (i = 0; i < BENCH_ARP_BATCH; i++) {
		hits += stk_arp_lookup(c->stk, c->keys[pos], &mac) == 0;
		if (++pos == c->n_keys)
			pos = 0;
	}
	c->pos = pos;
	c->acc += hits;
	c->items += BENCH_ARP_BATCH;
	return BENCH_ARP_BATCH;
}

static uint64_t
run_ring(struct bench_case *c)
{
	unsigned int in, out;

	in = rte_ring_sp_enqueue_burst(c->ring, c->objs, BENCH_RING_BURST, NULL);
	out = rte_ring_sc_dequeue_burst(c->ring, c->objs, BENCH_RING_BURST, NULL);
	c->acc += in == out;
	c->items++;
	return out;
}

/* lcore/rtc.c's loop body for one queue, with the wire stand-in first. */
static uint64_t
run_rxtx(struct bench_case *c)
{
	struct rte_mbuf *pkts[BENCH_MAX_N];
	uint32_t bytes = 0;
	uint16_t nb, j;

	bench_move(c);
	if (c->kind == BENCH_RXTX_MOVE) {
		c->items += c->n;
		return c->n;
	}
	stk_set_time(c->stk, rte_rdtsc());
	nb = rte_eth_rx_burst(c->port_id, 0, pkts, c->n);
	for (j = 0; j < nb; j++)
		bytes += rte_pktmbuf_pkt_len(pkts[j]);
	c->rx_bytes += bytes;
	stk_input_burst(c->stk, c->port_id, pkts, nb);
	if (c->txb != NULL && c->txb->length != 0)
		c->tx_sent += rte_eth_tx_buffer_flush(c->port_id, 0, c->txb);
	c->items += nb;
	return nb;
}

uint64_t
bench_run(struct bench_case *c)
{
	switch (c->kind) {
	case BENCH_IP4_CKSUM:
	case BENCH_IP4_HDR_OK:
	case BENCH_UDP_CKSUM:
	case BENCH_UDP_OK:
		return run_cksum(c);
	case BENCH_INPUT_RESET:
		return run_reset(c);
	case BENCH_INPUT:
	case BENCH_INPUT_PAGE_POOL:
		return run_input(c);
	case BENCH_ARP_HIT:
	case BENCH_ARP_MISS:
		return run_arp(c);
	case BENCH_RING:
		return run_ring(c);
	case BENCH_RXTX_MOVE:
	case BENCH_RXTX:
	case BENCH_RXTX_TXBUF:
		return run_rxtx(c);
	}
	return 0;
}

/* ---- life cycle ---- */

static void
bench_free_ring(struct rte_ring *r)
{
	struct rte_mbuf *m;

	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

static int
bench_check(const struct bench_case *c)
{
	switch (c->kind) {
	case BENCH_IP4_HDR_OK:
	case BENCH_UDP_OK:
		if (c->acc != c->items) {
			bench_fail("%" PRIu64 " of %" PRIu64 " checksums verified", c->acc,
				   c->items);
			return -1;
		}
		return 0;
	case BENCH_INPUT:
	case BENCH_INPUT_PAGE_POOL:
		return bench_stack_check(c, c->items);
	case BENCH_RXTX:
	case BENCH_RXTX_TXBUF:
		if (bench_stack_check(c, c->items) != 0)
			return -1;
		if (c->tx_sent != c->items) {
			bench_fail("%" PRIu64 " of %" PRIu64 " replies sent", c->tx_sent, c->items);
			return -1;
		}
		return 0;
	case BENCH_ARP_HIT:
	case BENCH_ARP_MISS:
		if (c->acc != (c->kind == BENCH_ARP_HIT ? c->items : 0)) {
			bench_fail("%" PRIu64 " hits in %" PRIu64 " lookups", c->acc, c->items);
			return -1;
		}
		return 0;
	case BENCH_RING:
		if (c->acc != c->items) {
			bench_fail("a ring burst moved fewer than %u pointers", BENCH_RING_BURST);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

static void
bench_free(struct bench_case *c)
{
	if (c->port_open)
		dp_port_close(&c->port);
	if (c->rx != NULL && c->tx != c->rx)
		bench_free_ring(c->tx);
	bench_free_ring(c->rx);
	rte_ring_free(c->ring);
	if (c->kind == BENCH_INPUT || c->kind == BENCH_INPUT_PAGE_POOL) {
		rte_pktmbuf_free_bulk(c->cap, c->n_cap);
	} else if (c->kind != BENCH_RXTX_MOVE && c->kind != BENCH_RXTX &&
		   c->kind != BENCH_RXTX_TXBUF) {
		/* the RXTX frames were on the rings */
		rte_pktmbuf_free_bulk(c->pkts, c->n);
	}
	if (c->txb != NULL) {
		rte_pktmbuf_free_bulk(c->txb->pkts, c->txb->length);
		rte_free(c->txb);
	}
	stk_free(c->stk);
	rte_free(c->keys);
	rte_free(c);
}

struct bench_case *
bench_setup(enum bench_kind kind, int64_t a0, int64_t a1, int64_t a2)
{
	struct bench_case *c;
	int ret = -1;

	bench_errbuf[0] = '\0';
	if (bench_mp == NULL) {
		bench_fail("bench_init() was not called");
		return NULL;
	}
	c = rte_zmalloc("bench_case", sizeof(*c), RTE_CACHE_LINE_SIZE);
	if (c == NULL) {
		bench_fail("out of memory for a case");
		return NULL;
	}
	c->kind = kind;
	c->mp = kind == BENCH_INPUT_PAGE_POOL ? bench_mp_page : bench_mp;
	c->baseline = rte_mempool_in_use_count(c->mp);
	switch (kind) {
	case BENCH_IP4_CKSUM:
	case BENCH_IP4_HDR_OK:
		ret = setup_cksum(c, 18);
		break;
	case BENCH_UDP_CKSUM:
	case BENCH_UDP_OK:
		ret = setup_cksum(c, (uint16_t)a0);
		break;
	case BENCH_INPUT_RESET:
	case BENCH_INPUT:
	case BENCH_INPUT_PAGE_POOL:
		ret = setup_input(c, (uint16_t)a0, (uint16_t)a1, a2 != 0);
		break;
	case BENCH_ARP_HIT:
	case BENCH_ARP_MISS:
		ret = setup_arp(c, (uint32_t)a0);
		break;
	case BENCH_RING:
		ret = setup_ring(c);
		break;
	case BENCH_RXTX_MOVE:
	case BENCH_RXTX:
	case BENCH_RXTX_TXBUF:
		ret = setup_rxtx(c, (uint16_t)a0);
		break;
	}
	if (ret != 0) {
		if (bench_errbuf[0] == '\0')
			bench_fail("set-up of case %d failed", (int)kind);
		bench_free(c);
		return NULL;
	}
	/* what set-up itself counted is not part of the run */
	c->acc = 0;
	if (kind != BENCH_INPUT && kind != BENCH_INPUT_PAGE_POOL && kind != BENCH_RXTX &&
	    kind != BENCH_RXTX_TXBUF)
		c->items = 0; /* the others count set-up traffic in the stack's stats */
	return c;
}

int
bench_teardown(struct bench_case *c)
{
	struct rte_mempool *mp = c->mp;
	unsigned int baseline = c->baseline, now;
	int ret;

	bench_errbuf[0] = '\0';
	ret = bench_check(c);
	bench_free(c);
	now = rte_mempool_in_use_count(mp);
	if (ret == 0 && now != baseline) {
		bench_fail("%u mbufs in use after teardown, %u before set-up", now, baseline);
		ret = -1;
	}
	return ret;
}
