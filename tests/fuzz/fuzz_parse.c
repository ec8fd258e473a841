/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_parse: one input is one Ethernet frame, fed to stk_input_burst() of
 * a fresh stack with one interface, UDP services on ports 7 (echo), 9
 * (consumes), 10 (replies with half the payload) and 11 (drops), and a TCP
 * listener on port 80. That covers Ethernet, ARP, IPv4 (options,
 * fragments, checksums), ICMP, UDP, and TCP header and option parsing up
 * to the listener's answer.
 *
 * Must hold for every frame: it is accepted, or dropped under exactly one
 * named reason (RELIABILITY.md 3); what the stack sends is well formed;
 * every mbuf is where the stack's own accounting says; after the stack is
 * freed the pool is back at its baseline.
 *
 * Each frame is fed twice, to a fresh stack each time: as it is, and with
 * its IPv4 and TCP/UDP/ICMP checksums recomputed (when its length fields
 * allow), so that mutations reach past the checksum checks. Frames longer
 * than one mbuf arrive as a chain, as with scattered RX.
 */
#include <string.h>

#include "fuzz_common.h"

#define MAX_FRAME 16384
#define LPORT 80

static struct fx *fx;

static enum stk_udp_verdict
svc_echo(void *arg, struct stk_udp_msg *msg)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(msg);
	return STK_UDP_REPLY_SAME;
}

static enum stk_udp_verdict
svc_take(void *arg, struct stk_udp_msg *msg)
{
	RTE_SET_USED(arg);
	rte_pktmbuf_free(msg->m);
	return STK_UDP_CONSUMED;
}

static enum stk_udp_verdict
svc_half(void *arg, struct stk_udp_msg *msg)
{
	RTE_SET_USED(arg);
	msg->len /= 2;
	return STK_UDP_REPLY;
}

static enum stk_udp_verdict
svc_drop(void *arg, struct stk_udp_msg *msg)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(msg);
	return STK_UDP_DROP;
}

static int
tcp_accept(void *arg, struct stk_tcp_conn *c, void **conn_arg)
{
	RTE_SET_USED(c);
	*conn_arg = arg;
	return 0;
}

static uint32_t
tcp_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(c);
	rte_pktmbuf_free(m);
	return len;
}

static const struct stk_tcp_ops tcp_ops = {
	.on_accept = tcp_accept,
	.on_data = tcp_data,
};

static void
stack_up(void)
{
	fz_reseed();
	fx = fx_new(fz_pool);
	fx->conf.tcp.max_conns = 8;
	fx->conf.tcp.syn_backlog = 4;
	FZ_CHECK(fx_start(fx) == 0, "stack creation failed");
	FZ_CHECK(stk_udp_bind(fx->stk, 7, svc_echo, NULL) == 0, "bind 7");
	FZ_CHECK(stk_udp_bind(fx->stk, 9, svc_take, NULL) == 0, "bind 9");
	FZ_CHECK(stk_udp_bind(fx->stk, 10, svc_half, NULL) == 0, "bind 10");
	FZ_CHECK(stk_udp_bind(fx->stk, 11, svc_drop, NULL) == 0, "bind 11");
	FZ_CHECK(stk_tcp_listen(fx->stk, LPORT, &tcp_ops, NULL) == 0, "listen");
}

static void
stack_down(void)
{
	unsigned int baseline = fx->baseline;

	stk_tcp_abort_all(fx->stk);
	stk_free(fx->stk);
	fx_cap_clear(&fx->cap);
	free(fx);
	fx = NULL;
	FZ_CHECK(fx_in_use(fz_pool) == baseline, "%u mbufs in use after stk_free, baseline %u",
		 fx_in_use(fz_pool), baseline);
}

/* The frame as the PMD would hand it over: one mbuf, or a chain. */
static struct rte_mbuf *
frame_mbuf(const uint8_t *data, size_t size)
{
	struct rte_mbuf *head = NULL;
	size_t off = 0;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(fz_pool);
		uint16_t n;
		char *p;

		FZ_CHECK(m != NULL, "pool empty");
		n = (uint16_t)RTE_MIN(size - off, (size_t)rte_pktmbuf_tailroom(m));
		p = rte_pktmbuf_append(m, n);
		FZ_CHECK(p != NULL || n == 0, "append");
		if (n != 0)
			memcpy(p, data + off, n);
		off += n;
		if (head == NULL)
			head = m;
		else
			FZ_CHECK(rte_pktmbuf_chain(head, m) == 0, "chain");
	} while (off < size);
	return head;
}

/* Feed one frame to a fresh stack and check everything. */
static void
feed(const uint8_t *data, size_t size)
{
	uint64_t before[STK_DROP_MAX], after[STK_DROP_MAX], moved = 0;
	unsigned int i, first = STK_DROP_MAX;
	struct rte_mbuf *m;
	uint16_t ok;

	stack_up();
	stk_stats_read(fx->stk, NULL, before);
	m = frame_mbuf(data, size);
	ok = fx_input(fx, m);
	stk_stats_read(fx->stk, NULL, after);
	for (i = 0; i < STK_DROP_MAX; i++) {
		if (after[i] != before[i] && first == STK_DROP_MAX)
			first = i;
		moved += after[i] - before[i];
	}
	FZ_CHECK(ok <= 1 && ok + moved == 1,
		 "frame of %zu bytes: %u accepted and %lu drops counted (first: %s)", size, ok,
		 (unsigned long)moved, first < STK_DROP_MAX ? stk_drop_name(first) : "none");
	for (i = 0; i < fx->cap.n; i++)
		fz_check_output(fx->cap.pkts[i]);
	fz_tcp_check(fx->stk, "parse");
	FZ_CHECK(fx_in_use(fz_pool) == fx->baseline + fz_cap_segs(&fx->cap) + fz_held(fx->stk),
		 "%u mbufs in use; baseline %u + %u sent + %u held by the stack",
		 fx_in_use(fz_pool), fx->baseline, fz_cap_segs(&fx->cap), fz_held(fx->stk));
	stack_down();
}

static void
put_sum(uint8_t *p, uint16_t sum)
{
	uint16_t v = (uint16_t)~sum;

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Make the IPv4 header checksum and the TCP/UDP/ICMP checksum right,
 * where the length fields allow computing them; true if anything changed. */
static bool
fix_cksums(uint8_t *f, size_t len)
{
	uint32_t ihl, total, l4, ph;
	uint8_t *ip, *l4p, old[4];
	uint16_t cko;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return false;
	ip = f + 14;
	ihl = (ip[0] & 0xfu) * 4;
	if (ihl < 20 || 14 + ihl > len)
		return false;
	memcpy(old, ip + 10, 2);
	ip[10] = ip[11] = 0;
	put_sum(ip + 10, fx_sum16(ip, ihl, 0));
	total = (uint32_t)ip[2] << 8 | ip[3];
	if (total < ihl || 14 + total > len || (ip[6] & 0x3f) != 0 || ip[7] != 0)
		return memcmp(old, ip + 10, 2) != 0;
	l4 = total - ihl;
	l4p = ip + ihl;
	switch (ip[9]) {
	case IPPROTO_TCP:
		cko = 16;
		break;
	case IPPROTO_UDP:
		cko = 6;
		break;
	case IPPROTO_ICMP:
		cko = 2;
		break;
	default:
		return memcmp(old, ip + 10, 2) != 0;
	}
	if (l4 < (uint32_t)cko + 2)
		return memcmp(old, ip + 10, 2) != 0;
	memcpy(old + 2, l4p + cko, 2);
	l4p[cko] = l4p[cko + 1] = 0;
	if (ip[9] == IPPROTO_ICMP) {
		put_sum(l4p + cko, fx_sum16(l4p, l4, 0));
	} else {
		if (ip[9] == IPPROTO_UDP) {
			/* the UDP length field is what the pseudo-header carries */
			uint32_t ulen = (uint32_t)l4p[4] << 8 | l4p[5];

			if (ulen >= 8 && ulen <= l4)
				l4 = ulen;
		}
		ph = fx_sum16(ip + 12, 8, 0) + ip[9] + l4;
		put_sum(l4p + cko, fx_sum16(l4p, l4, ph));
	}
	return memcmp(old, ip + 10, 2) != 0 || memcmp(old + 2, l4p + cko, 2) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The frame as it is, then (if that changes it) with its checksums made
 * right: random bytes almost never carry a valid checksum, and without
 * the second feed everything past the checksum checks would stay out of
 * the fuzzer's reach. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[MAX_FRAME];

	if (size > MAX_FRAME)
		return -1;
	feed(data, size);
	memcpy(copy, data, size);
	if (fix_cksums(copy, size))
		feed(copy, size);
	return 0;
}

/* ---- seeds ---- */

static void
seed(const char *dir, const char *name, struct rte_mbuf *m)
{
	uint8_t buf[MAX_FRAME];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const void *p = rte_pktmbuf_read(m, 0, len, buf);

	fz_write_seed(dir, name, p, len);
	rte_pktmbuf_free(m);
}

static struct rte_mbuf *
tcp_seg(uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opt,
	uint8_t optlen, uint16_t len)
{
	return fx_tcp4(fz_pool, FX_IP_PEER, FX_IP_US, 40000, dport, seq, ack, flags, 65535, opt,
		       optlen, NULL, len);
}

static void
write_seeds(const char *dir)
{
	/* clang-format off */
	static const uint8_t syn_opts[] = {
		2, 4, 0x05, 0xb4, /* MSS 1460 */
		4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, /* SACK-permitted, TS */
		1, 3, 3, 7, /* NOP, WS 7 */
	};
	static const uint8_t ack_opts[] = {
		1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1, /* TS */
		1, 1, 5, 18, 0, 0, 0, 9, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, /* SACK x2 */
		0, 0, 0, 0, /* EOL */
	};
	static const uint8_t odd_opts[] = {
		30, 6, 1, 2, 3, 4, /* unknown kind, skipped */
		1, 1, 1, 1, 1, 1, /* NOPs */
		2, 4, 0, 0, /* MSS 0 */
		3, 3, 14, 0, /* WS 14, EOL */
	};
	/* clang-format on */
	const struct rte_ether_addr zero = {{0}};
	struct rte_mbuf *m;

	seed(dir, "arp_request",
	     fx_arp(fz_pool, RTE_ARP_OP_REQUEST, &fx_mac_bcast, &fx_mac_peer, FX_IP_PEER, &zero,
		    FX_IP_US));
	seed(dir, "arp_reply",
	     fx_arp(fz_pool, RTE_ARP_OP_REPLY, &fx_mac_us, &fx_mac_peer, FX_IP_PEER, &fx_mac_us,
		    FX_IP_US));
	seed(dir, "icmp_echo", fx_icmp_echo(fz_pool, FX_IP_PEER, FX_IP_US, 0x4242, 7, 32));
	seed(dir, "udp_echo", fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 18));
	seed(dir, "udp_take", fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 9, 4));
	seed(dir, "udp_half", fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 10, 40));
	seed(dir, "udp_drop", fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 11, 1));
	seed(dir, "udp_unbound", fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 4000, 8));
	m = fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 10);
	fx_ip4_add_options(m, 12);
	seed(dir, "udp_ip_options", m);
	m = fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 1);
	fx_pad(m, 17);
	seed(dir, "udp_padded", m);
	seed(dir, "udp_big", fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 1472));
	m = fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 100);
	fx_ip4(m)->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	fx_ip4_fix(m);
	seed(dir, "udp_fragment", m);
	seed(dir, "ip_proto_47", fx_ip4_raw(fz_pool, FX_IP_PEER, FX_IP_US, 47, 24));
	seed(dir, "tcp_syn",
	     tcp_seg(LPORT, 1000, 0, RTE_TCP_SYN_FLAG, syn_opts, sizeof(syn_opts), 0));
	seed(dir, "tcp_syn_odd_opts",
	     tcp_seg(LPORT, 1000, 0, RTE_TCP_SYN_FLAG, odd_opts, sizeof(odd_opts), 0));
	seed(dir, "tcp_syn_data", tcp_seg(LPORT, 1000, 0, RTE_TCP_SYN_FLAG, NULL, 0, 20));
	seed(dir, "tcp_syn_closed", tcp_seg(81, 1000, 0, RTE_TCP_SYN_FLAG, NULL, 0, 0));
	seed(dir, "tcp_ack_data",
	     tcp_seg(LPORT, 1001, 77, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, ack_opts,
		     sizeof(ack_opts), 100));
	seed(dir, "tcp_rst", tcp_seg(LPORT, 1001, 0, RTE_TCP_RST_FLAG, NULL, 0, 0));
	seed(dir, "tcp_fin_ack",
	     tcp_seg(LPORT, 1001, 5, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0, 0));
	/* an 802.1Q tag in front of a UDP echo */
	m = fx_udp4(fz_pool, FX_IP_PEER, FX_IP_US, 5555, 7, 8);
	{
		uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, 4);

		memmove(p, p + 4, 12);
		p[12] = 0x81;
		p[13] = 0x00;
		p[14] = 0x00;
		p[15] = 0x05;
	}
	seed(dir, "vlan_udp", m);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fz_seed_dir();

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fz_init("fuzz_parse");
	if (dir != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
