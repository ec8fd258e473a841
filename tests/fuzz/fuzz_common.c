/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_random.h>

#include "fuzz_common.h"
#include "tcp_priv.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define FZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define FZ_POISON(p, n) ((void)(p), (void)(n))
#define FZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct rte_mempool *fz_pool;

/*
 * Mempool ops "fz_asan": a FIFO of free objects, each poisoned while it
 * sits in the pool. A freed mbuf is handed out again only after every
 * other free one (the longest quarantine the pool allows), and any access
 * to it meanwhile, from instrumented code, is a use-after-poison report.
 * The pool has no per-lcore cache, so every free reaches enqueue.
 */
struct fz_fifo {
	unsigned int size, head, n;
	bool poison; /* off while DPDK initialises the objects in the pool */
	size_t elt;
	void *obj[FZ_POOL_SIZE + 1];
};

/* one pool per process, kept to the end: static, so no leak is reported */
static struct fz_fifo fz_fifo;

static int
fz_ops_alloc(struct rte_mempool *mp)
{
	struct fz_fifo *f = &fz_fifo;

	if (mp->size + 1 > RTE_DIM(f->obj) || f->size != 0)
		return -ENOSPC;
	f->size = mp->size + 1;
	f->elt = mp->elt_size;
	mp->pool_data = f;
	return 0;
}

static void
fz_ops_free(struct rte_mempool *mp)
{
	RTE_SET_USED(mp);
	memset(&fz_fifo, 0, sizeof(fz_fifo));
}

static int
fz_ops_enqueue(struct rte_mempool *mp, void *const *obj, unsigned int n)
{
	struct fz_fifo *f = mp->pool_data;
	unsigned int i;

	if (f->n + n > f->size)
		return -ENOBUFS;
	for (i = 0; i < n; i++) {
		if (f->poison)
			FZ_POISON(obj[i], f->elt);
		f->obj[(f->head + f->n++) % f->size] = obj[i];
	}
	return 0;
}

static int
fz_ops_dequeue(struct rte_mempool *mp, void **obj, unsigned int n)
{
	struct fz_fifo *f = mp->pool_data;
	unsigned int i;

	if (n > f->n)
		return -ENOBUFS;
	for (i = 0; i < n; i++) {
		obj[i] = f->obj[f->head];
		f->head = (f->head + 1) % f->size;
		f->n--;
		FZ_UNPOISON(obj[i], f->elt);
	}
	return 0;
}

static unsigned int
fz_ops_count(const struct rte_mempool *mp)
{
	const struct fz_fifo *f = mp->pool_data;

	return f->n;
}

/* From now on free objects are poisoned (rte_pktmbuf_pool_create() wrote
 * every one after it was put in the pool). */
static void
fz_poison_start(struct rte_mempool *mp)
{
	struct fz_fifo *f = mp->pool_data;
	unsigned int i;

	for (i = 0; i < f->n; i++)
		FZ_POISON(f->obj[(f->head + i) % f->size], f->elt);
	f->poison = true;
}

static const struct rte_mempool_ops fz_asan_ops = {
	.name = "fz_asan",
	.alloc = fz_ops_alloc,
	.free = fz_ops_free,
	.enqueue = fz_ops_enqueue,
	.dequeue = fz_ops_dequeue,
	.get_count = fz_ops_count,
};

RTE_MEMPOOL_REGISTER_OPS(fz_asan_ops);

void
fz_init(const char *name)
{
	/* a failed assertion in fixture.c aborts instead of exit(-1) */
	setenv("CMOCKA_TEST_ABORT", "1", 0);
	fx_eal_init(name, NULL);
	fz_pool = rte_pktmbuf_pool_create_by_ops("fz_pool", FZ_POOL_SIZE, 0, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, 0, "fz_asan");
	if (fz_pool == NULL) {
		fprintf(stderr, "%s: mbuf pool: %s\n", name, rte_strerror(rte_errno));
		abort();
	}
	fz_poison_start(fz_pool);
	fx_pool = fz_pool;
}

void
fz_reseed(void)
{
	rte_srand(0x5eed5eed);
}

uint8_t
fz_u8(struct fz_in *in)
{
	uint8_t v;

	if (in->n == 0)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

uint16_t
fz_u16(struct fz_in *in)
{
	uint16_t hi = fz_u8(in);

	return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t
fz_u32(struct fz_in *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

unsigned int
fz_cap_segs(const struct fx_cap *cap)
{
	unsigned int i, n = 0;

	for (i = 0; i < cap->n; i++)
		n += cap->pkts[i]->nb_segs;
	return n;
}

unsigned int
fz_held(const struct stk_ctx *ctx)
{
	return stk_mbufs_held(ctx) + stk_tcp_mbufs_held(ctx);
}

/* ---- TCP invariants ---- */

static void
fz_sq_check(const struct stk_tcp *tcp, const struct stk_tcp_conn *c, const char *who)
{
	const struct rte_mbuf *s, *last = NULL;
	uint32_t n = 0, bytes = 0;

	for (s = c->sq_head; s != NULL; s = s->next) {
		FZ_CHECK(n < 1000000, "%s: send queue loops", who);
		n++;
		bytes += s->data_len;
		last = s;
	}
	FZ_CHECK(n == c->sq_nsegs, "%s: send queue has %u mbufs, sq_nsegs %u", who, n, c->sq_nsegs);
	FZ_CHECK(bytes == c->sq_bytes, "%s: send queue has %u bytes, sq_bytes %u", who, bytes,
		 c->sq_bytes);
	FZ_CHECK(last == c->sq_tail, "%s: sq_tail is not the last mbuf", who);
	/* only stk_tcp_send() (bounded by send_space) and the echo's
	 * send_mbuf (one call past sndbuf at most) fill it */
	FZ_CHECK(c->sq_bytes <= 2 * tcp->sndbuf + 65536, "%s: %u bytes queued, sndbuf %u", who,
		 c->sq_bytes, tcp->sndbuf);
}

static void
fz_ooo_check(const struct stk_tcp *tcp, const struct stk_tcp_conn *c, const char *who)
{
	struct rte_mbuf *q;
	uint32_t n = 0, bytes = 0, prev_end = 0;

	for (q = c->ooo; q != NULL; q = tcp_mb(q)->next) {
		uint32_t qs = tcp_mb(q)->seq, ql = rte_pktmbuf_pkt_len(q);

		FZ_CHECK(n < 100000, "%s: out-of-order queue loops", who);
		FZ_CHECK(ql != 0, "%s: empty out-of-order segment at %u", who, qs);
		FZ_CHECK(seq_gt(qs, c->rcv_nxt), "%s: out-of-order segment at %u, rcv_nxt %u", who,
			 qs, c->rcv_nxt);
		FZ_CHECK(n == 0 || seq_ge(qs, prev_end),
			 "%s: out-of-order segments overlap or unsorted (%u after end %u)", who, qs,
			 prev_end);
		prev_end = qs + ql;
		n++;
		bytes += ql;
	}
	FZ_CHECK(n == c->ooo_nsegs, "%s: ooo queue has %u segments, ooo_nsegs %u", who, n,
		 c->ooo_nsegs);
	FZ_CHECK(bytes == c->ooo_bytes, "%s: ooo queue has %u bytes, ooo_bytes %u", who, bytes,
		 c->ooo_bytes);
	FZ_CHECK(n <= tcp->ooo_max_segs, "%s: %u ooo segments > cap %u", who, n, tcp->ooo_max_segs);
	FZ_CHECK(bytes <= tcp->ooo_max_bytes, "%s: %u ooo bytes > cap %u", who, bytes,
		 tcp->ooo_max_bytes);
}

static void
fz_conn_check(const struct stk_tcp *tcp, const struct stk_tcp_conn *c, const char *who)
{
	FZ_CHECK(c->state < STK_TCP_NSTATES && c->state != STK_TCP_LISTEN, "%s: state %u", who,
		 c->state);
	FZ_CHECK(seq_le(c->snd_una, c->snd_nxt), "%s %s: snd_una %u > snd_nxt %u", who,
		 stk_tcp_state_name(c->state), c->snd_una, c->snd_nxt);
	FZ_CHECK(seq_le(c->snd_nxt, c->snd_max), "%s %s: snd_nxt %u > snd_max %u", who,
		 stk_tcp_state_name(c->state), c->snd_nxt, c->snd_max);
	fz_sq_check(tcp, c, who);
	fz_ooo_check(tcp, c, who);
	if (c->state == STK_TCP_TIME_WAIT || c->state == STK_TCP_CLOSED) {
		FZ_CHECK(c->sq_nsegs == 0 && c->ooo_nsegs == 0,
			 "%s: %s connection holds %u + %u mbufs", who, stk_tcp_state_name(c->state),
			 c->sq_nsegs, c->ooo_nsegs);
		return;
	}
	/* every byte sent and not acknowledged is still queued (a FIN and a
	 * SYN take one sequence number each, no byte) */
	FZ_CHECK(seq_le(c->snd_max, c->sq_seq + c->sq_bytes + 1),
		 "%s %s: snd_max %u beyond the queue [%u, +%u]", who, stk_tcp_state_name(c->state),
		 c->snd_max, c->sq_seq, c->sq_bytes);
	FZ_CHECK((int32_t)(c->sq_seq - c->snd_una) >= -1 && (int32_t)(c->sq_seq - c->snd_una) <= 1,
		 "%s %s: queue starts at %u, snd_una %u", who, stk_tcp_state_name(c->state),
		 c->sq_seq, c->snd_una);
	FZ_CHECK(c->rcv_held <= tcp->rcvbuf, "%s: rcv_held %u > rcvbuf %u", who, c->rcv_held,
		 tcp->rcvbuf);
	if (tcp_synchronized(c->state))
		FZ_CHECK(seq_ge(c->rcv_adv, c->rcv_nxt), "%s %s: rcv_adv %u before rcv_nxt %u", who,
			 stk_tcp_state_name(c->state), c->rcv_adv, c->rcv_nxt);
	FZ_CHECK(c->mss != 0, "%s: mss 0", who);
}

void
fz_tcp_check(const struct stk_ctx *ctx, const char *who)
{
	const struct stk_tcp *tcp = ctx->tcp;
	uint32_t count[STK_TCP_NSTATES] = {0}, synrcvd[TCP_MAX_LISTENERS] = {0};
	uint32_t i, n = 0, n_tw = 0, n_listen = 0;
	const struct stk_tcp_conn *t;

	if (tcp == NULL)
		return;
	FZ_CHECK(tcp->busy == 0, "%s: busy %d outside the stack", who, tcp->busy);
	FZ_CHECK(tcp->reap == NULL, "%s: connections left to reap", who);
	for (i = 0; i < tcp->n_slots; i++) {
		const struct stk_tcp_conn *c = &tcp->conns[i];

		if (c->ctx == NULL)
			continue;
		FZ_CHECK(!(c->flags & CF_DEAD), "%s: dead connection in the table", who);
		n++;
		count[c->state]++;
		if (c->flags & CF_HALF_OPEN) {
			FZ_CHECK(c->lst != 0 && c->lst <= TCP_MAX_LISTENERS,
				 "%s: half-open without listener", who);
			synrcvd[c->lst - 1]++;
		}
		FZ_CHECK(c->state != STK_TCP_TIME_WAIT || !(c->flags & CF_ATTACHED),
			 "%s: TIME-WAIT still attached to the service", who);
		fz_conn_check(tcp, c, who);
	}
	FZ_CHECK(n == tcp->n_conns, "%s: %u connections in the table, n_conns %u", who, n,
		 tcp->n_conns);
	FZ_CHECK(n <= tcp->max_conns, "%s: %u connections > max %u", who, n, tcp->max_conns);
	for (i = 0; i < TCP_MAX_LISTENERS; i++) {
		if (!tcp->lst[i].used)
			continue;
		n_listen++;
		FZ_CHECK(synrcvd[i] == tcp->lst[i].n_synrcvd,
			 "%s: listener %u has %u half-open, n_synrcvd %u", who, tcp->lst[i].port,
			 synrcvd[i], tcp->lst[i].n_synrcvd);
		FZ_CHECK(synrcvd[i] <= tcp->syn_backlog, "%s: %u half-open > backlog %u", who,
			 synrcvd[i], tcp->syn_backlog);
	}
	count[STK_TCP_LISTEN] = n_listen;
	for (i = STK_TCP_LISTEN; i < STK_TCP_NSTATES; i++)
		FZ_CHECK(count[i] == tcp->state_count[i], "%s: %u in %s, state_count %u", who,
			 count[i], stk_tcp_state_name(i), tcp->state_count[i]);
	for (t = tcp->tw_head; t != NULL; t = t->tw_next) {
		FZ_CHECK(n_tw < tcp->n_slots, "%s: TIME-WAIT list loops", who);
		FZ_CHECK(t->ctx != NULL && t->state == STK_TCP_TIME_WAIT,
			 "%s: non-TIME-WAIT entry on the list", who);
		n_tw++;
	}
	FZ_CHECK(n_tw == tcp->n_tw, "%s: %u on the TIME-WAIT list, n_tw %u", who, n_tw, tcp->n_tw);
	FZ_CHECK(n_tw <= tcp->max_tw, "%s: %u TIME-WAIT > max %u", who, n_tw, tcp->max_tw);
}

/* ---- what the stack sends ---- */

static uint16_t
fz_l4_sum(struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t off, uint32_t len,
	  uint8_t proto, bool pseudo)
{
	static uint8_t buf[UINT16_MAX + 1];
	const uint8_t *p = rte_pktmbuf_read(m, off, len, buf);
	uint32_t ph = 0;

	FZ_CHECK(p != NULL, "L4 bytes %u+%u beyond the frame", off, len);
	if (pseudo) {
		ph = fx_sum16(&ip->src_addr, 8, 0);
		ph += proto + len;
	}
	return fx_sum16(p, len, ph);
}

void
fz_check_output(struct rte_mbuf *m)
{
	uint8_t hdr[60];
	const struct rte_ether_hdr *eth = rte_pktmbuf_read(m, 0, sizeof(*eth), hdr);
	const struct rte_ipv4_hdr *ip;
	uint32_t len = rte_pktmbuf_pkt_len(m), ihl, total, l4;
	uint16_t sum;

	FZ_CHECK(eth != NULL, "frame of %u bytes sent", len);
	FZ_CHECK(rte_is_valid_assigned_ether_addr(&eth->src_addr), "bad source MAC sent");
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		FZ_CHECK(len == RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr),
			 "ARP frame of %u bytes", len);
		return;
	}
	FZ_CHECK(eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4), "ethertype %#x sent",
		 rte_be_to_cpu_16(eth->ether_type));
	ip = rte_pktmbuf_read(m, RTE_ETHER_HDR_LEN, sizeof(*ip), hdr);
	FZ_CHECK(ip != NULL, "short IPv4 frame (%u bytes) sent", len);
	ihl = rte_ipv4_hdr_len(ip);
	total = rte_be_to_cpu_16(ip->total_length);
	FZ_CHECK((ip->version_ihl >> 4) == 4 && ihl >= 20, "version/IHL %#x sent", ip->version_ihl);
	FZ_CHECK(len == RTE_ETHER_HDR_LEN + total, "frame %u bytes, IPv4 total length %u", len,
		 total);
	FZ_CHECK(ip->fragment_offset == RTE_BE16(RTE_IPV4_HDR_DF_FLAG), "fragment field %#x sent",
		 rte_be_to_cpu_16(ip->fragment_offset));
	ip = rte_pktmbuf_read(m, RTE_ETHER_HDR_LEN, ihl, hdr);
	FZ_CHECK(fx_sum16(ip, ihl, 0) == 0xffff, "bad IPv4 header checksum sent");
	FZ_CHECK(total >= ihl, "IPv4 total length %u < IHL %u", total, ihl);
	l4 = total - ihl;
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		FZ_CHECK(l4 >= 20, "TCP segment of %u bytes sent", l4);
		sum = fz_l4_sum(m, ip, RTE_ETHER_HDR_LEN + ihl, l4, IPPROTO_TCP, true);
		FZ_CHECK(sum == 0xffff, "bad TCP checksum sent (%u bytes)", l4);
		break;
	case IPPROTO_UDP:
		FZ_CHECK(l4 >= 8, "UDP datagram of %u bytes sent", l4);
		{
			uint8_t ub[8];
			const struct rte_udp_hdr *uh =
				rte_pktmbuf_read(m, RTE_ETHER_HDR_LEN + ihl, sizeof(*uh), ub);

			if (uh->dgram_cksum == 0)
				break; /* RFC 768: none */
		}
		sum = fz_l4_sum(m, ip, RTE_ETHER_HDR_LEN + ihl, l4, IPPROTO_UDP, true);
		FZ_CHECK(sum == 0xffff, "bad UDP checksum sent (%u bytes)", l4);
		break;
	case IPPROTO_ICMP:
		FZ_CHECK(l4 >= 8, "ICMP message of %u bytes sent", l4);
		sum = fz_l4_sum(m, ip, RTE_ETHER_HDR_LEN + ihl, l4, IPPROTO_ICMP, false);
		FZ_CHECK(sum == 0xffff, "bad ICMP checksum sent (%u bytes)", l4);
		break;
	default:
		FZ_CHECK(false, "IPv4 protocol %u sent", ip->next_proto_id);
	}
}

/* ---- seeds ---- */

const char *
fz_seed_dir(void)
{
	return getenv("FUZZ_WRITE_SEEDS");
}

void
fz_write_seed(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096], *slash;
	FILE *f;

	/* mkdir -p */
	snprintf(path, sizeof(path), "%s/", dir);
	for (slash = strchr(path + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	FZ_CHECK(f != NULL, "cannot write %s: %s", path, strerror(errno));
	FZ_CHECK(fwrite(data, 1, len, f) == len, "short write to %s", path);
	fclose(f);
}
