/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv: a memcached-compatible key-value cache on TCP and UDP (default port
 * 11211). The protocol is kv_proto.c (a pure parser), the storage
 * kv_store.c (one table shared by every lcore, lock-free readers under
 * RCU, one writer lock); this file joins them to the stack.
 *
 * TCP: received mbufs wait on the connection until the parser takes their
 * bytes (it copies lines into its own buffer and data blocks straight into
 * the new item). Replies are staged in a per-lcore buffer and copied into
 * the send queue; a value too big for the room left goes as one chain of
 * mbufs from this lcore's kv pool (stk_tcp_send_mbuf takes a chain whole).
 * When the send queue has no room for the next reply the parser pauses,
 * the unread bytes stay charged to the receive window, and on_sent
 * resumes it: a client that does not read is slowed down by TCP.
 *
 * UDP: memcached's 8-byte frame header (request id, sequence number,
 * datagram count, reserved) in front of each datagram; a request is one
 * datagram (sequence 0, count 1; others are dropped and counted), the
 * reply as many 1400-byte datagrams as it needs, each with the request id,
 * its sequence number and the total.
 *
 * Nothing is allocated per request: connections come from a per-lcore
 * array sized by [tcp] max_conns, items from the store's slabs.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "kv_proto.h"
#include "kv_store.h"
#include "sl_chain.h"
#include "sluice_service.h"

#define KV_VERSION "1.6.18-sluice"
#define KV_OUT_BUF 16384  /* per-lcore reply staging */
#define KV_OUT_SMALL 1024 /* replies up to this size are staged */
#define KV_UDP_HDR 8
#define KV_UDP_PAYLOAD 1400 /* memcached's UDP_MAX_PAYLOAD_SIZE, header included */
#define KV_POOL_MBUFS 511
/* A UDP reply is at most this many datagrams (about 88 KiB): a larger get
 * answers "SERVER_ERROR out of memory writing get response" in one, as
 * memcached does when it cannot build the reply. This bounds what one
 * spoofed 30-byte request can make sluice send (UDP reflection), the
 * mbufs it takes from the pool TCP replies share, and the frame header's
 * 16-bit datagram count. */
#define KV_UDP_MAX_DGRAMS 64
#define KV_POOL_ROOM (8192 + RTE_PKTMBUF_HEADROOM)
#define KV_SWEEP_BUCKETS 4096
#define KV_REALTIME_MAXDELTA (60 * 60 * 24 * 30)

struct kv_lcore;

struct kv_conn {
	struct kv_proto p;
	struct kv_lcore *kl;
	struct stk_tcp_conn *c; /* NULL: the lcore's UDP scratch connection */
	struct rte_mbuf *pend;	/* received, not yet parsed */
	uint32_t pend_len;
	bool eof;
	bool paused;
	bool udp_full;
	bool broken; /* a reply could not be queued whole: reset */
	struct kv_conn *next_free;
};

struct kv_stats {
	uint64_t cmd_get, cmd_set, cmd_flush, cmd_touch, cmd_meta;
	uint64_t get_hits, get_misses, get_expired;
	uint64_t delete_hits, delete_misses, incr_hits, incr_misses, decr_hits, decr_misses;
	uint64_t cas_hits, cas_misses, cas_badval, touch_hits, touch_misses;
	uint64_t curr_conns, total_conns, udp_bad_frame, conn_broken, udp_no_mbuf;
};

struct kv_lcore {
	unsigned int lcore_id;
	struct stk_ctx *stk;
	struct kv_store *store;
	struct rte_mempool *pool;
	struct kv_conn *conns, *free;
	struct kv_conn *udp; /* parser state for one datagram at a time */
	uint32_t now;
	uint32_t last_sweep;
	uint32_t out_len;
	struct kv_conn *out_conn;
	uint16_t udp_port;
	struct kv_stats *st_p; /* kv_st[lcore_id] */
	char out[KV_OUT_BUF];
	uint8_t *udp_out; /* a datagram's whole reply */
	uint32_t udp_len, udp_cap;
};

/* ---- what every lcore shares ---- */

static pthread_mutex_t kv_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kv_store *kv_shared;
static unsigned int kv_users;
/* per-lcore counters, each written by its lcore only; static so that
 * stats on one lcore never reads memory another lcore's fini freed */
static struct kv_stats kv_st[RTE_MAX_LCORE] __rte_cache_aligned;
static bool kv_st_used[RTE_MAX_LCORE];
static uint64_t kv_base_unix, kv_base_tsc, kv_hz;
static uint32_t kv_started;
static uint32_t kv_item_max_conf;

static uint32_t
kv_clock(void)
{
	return (uint32_t)(kv_base_unix + (rte_rdtsc() - kv_base_tsc) / kv_hz);
}

/* memcached's realtime(): 0 never, negative already expired, up to 30
 * days relative, beyond an absolute Unix time */
static uint32_t
kv_exptime(int32_t e, uint32_t now)
{
	if (e == 0)
		return 0;
	if (e < 0)
		return 1;
	if (e <= KV_REALTIME_MAXDELTA)
		return now + (uint32_t)e;
	return (uint32_t)e <= kv_started ? 1 : (uint32_t)e;
}

/* ---- output ---- */

/* Into the send queue, whose room out_room()/out_big() checked: a short
 * write can only be a pool out of mbufs, and a reply cut in the middle
 * would desynchronise the client, so the connection is reset instead. */
static void
tcp_put(struct kv_conn *kc, const void *s, uint32_t n)
{
	if (!kc->broken && stk_tcp_send(kc->c, s, n) != (int)n) {
		kc->broken = true;
		kc->kl->st_p->conn_broken++;
	}
}

static void
out_flush(struct kv_lcore *kl)
{
	struct kv_conn *kc = kl->out_conn;

	if (kl->out_len > 0 && kc != NULL && kc->c != NULL)
		tcp_put(kc, kl->out, kl->out_len);
	kl->out_len = 0;
}

/* Can @need more bytes of reply go out now? */
static bool
out_room(struct kv_conn *kc, uint32_t need)
{
	struct kv_lcore *kl = kc->kl;

	if (kc->c == NULL)
		return true;
	if (kl->out_len + need > KV_OUT_BUF)
		out_flush(kl);
	if (stk_tcp_send_space(kc->c) >= kl->out_len + need)
		return true;
	out_flush(kl);
	if (stk_tcp_send_space(kc->c) >= need)
		return true;
	kc->paused = true;
	return false;
}

static void
out_put(struct kv_conn *kc, const void *s, uint32_t n)
{
	struct kv_lcore *kl = kc->kl;

	if (kc->c == NULL) {
		if (kl->udp_len + n > kl->udp_cap) {
			kc->udp_full = true;
			return;
		}
		memcpy(kl->udp_out + kl->udp_len, s, n);
		kl->udp_len += n;
		return;
	}
	if (kl->out_len + n > KV_OUT_BUF)
		out_flush(kl);
	if (n > KV_OUT_BUF) {
		tcp_put(kc, s, n);
		return;
	}
	memcpy(kl->out + kl->out_len, s, n);
	kl->out_len += n;
}

static void
out_str(struct kv_conn *kc, const char *s)
{
	out_put(kc, s, (uint32_t)strlen(s));
}

/* A reply the parser makes: always small. */
static void
kv_reply(void *arg, const char *s, size_t n)
{
	struct kv_conn *kc = arg;

	out_put(kc, s, (uint32_t)n);
}

/* Would out_big() of @total bytes go now (the staging buffer flushed)? */
static bool
big_ok(struct kv_conn *kc, uint32_t total)
{
	uint32_t room = KV_POOL_ROOM - RTE_PKTMBUF_HEADROOM, space;

	if (kc->c == NULL)
		return true;
	space = stk_tcp_send_space(kc->c);
	if (space >= kc->kl->out_len + total)
		return true;
	if (space > kc->kl->out_len &&
	    rte_mempool_avail_count(kc->kl->pool) >= (total + room - 1) / room)
		return true;
	kc->paused = true;
	return false;
}

/* A value bigger than the staging buffer: send header + value + CRLF
 * directly, or as one chain from the pool. false: pause. */
static bool
out_big(struct kv_conn *kc, const char *hdr, uint32_t hlen, const char *val, uint32_t vlen)
{
	struct kv_lcore *kl = kc->kl;
	struct rte_mbuf *head = NULL, *m;
	uint32_t total = hlen + vlen, off = 0, room = KV_POOL_ROOM - RTE_PKTMBUF_HEADROOM;
	uint32_t segs = (total + room - 1) / room;

	if (kc->c == NULL) {
		out_put(kc, hdr, hlen);
		out_put(kc, val, vlen);
		return true;
	}
	out_flush(kl);
	if (stk_tcp_send_space(kc->c) >= total) {
		tcp_put(kc, hdr, hlen);
		tcp_put(kc, val, vlen);
		return true;
	}
	if (stk_tcp_send_space(kc->c) == 0 || rte_mempool_avail_count(kl->pool) < segs) {
		kc->paused = true;
		return false;
	}
	while (off < total) {
		uint32_t n = RTE_MIN(room, total - off);
		char *d;

		m = rte_pktmbuf_alloc(kl->pool);
		if (m == NULL || (head != NULL && rte_pktmbuf_chain(head, m) != 0)) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			kc->paused = true;
			return false;
		}
		if (head == NULL)
			head = m;
		d = rte_pktmbuf_append(m, (uint16_t)n);
		/* the chain is header then value, copied across segments */
		{
			uint32_t i = 0;

			while (i < n) {
				uint32_t at = off + i, k;

				if (at < hlen) {
					k = RTE_MIN(hlen - at, n - i);
					memcpy(d + i, hdr + at, k);
				} else {
					k = n - i;
					memcpy(d + i, val + (at - hlen), k);
				}
				i += k;
			}
		}
		off += n;
	}
	if (stk_tcp_send_mbuf(kc->c, head) != 0) {
		rte_pktmbuf_free(head);
		kc->paused = true;
		return false;
	}
	return true;
}

/* ---- requests ---- */

static uint32_t
u64_str(char *b, uint64_t v)
{
	return (uint32_t)sprintf(b, "%" PRIu64, v);
}

static int
kv_get_key(void *arg, const struct kv_req *r, const char *key, uint8_t nkey)
{
	struct kv_conn *kc = arg;
	struct kv_lcore *kl = kc->kl;
	const struct kv_item *it;
	char hdr[KV_KEY_MAX + 80];
	uint32_t hlen, total;
	bool gat = r->cmd == KV_CMD_GAT || r->cmd == KV_CMD_GATS;
	bool cas = r->cmd == KV_CMD_GETS || r->cmd == KV_CMD_GATS;

	if (gat && kv_store_touch(kl->store, key, nkey, kv_exptime(r->exptime, kl->now), kl->now) !=
			   KV_TOUCHED) {
		kl->st_p->cmd_touch++;
		kl->st_p->touch_misses++;
		kl->st_p->get_misses++;
		kl->st_p->cmd_get++;
		return KV_OK;
	}
	kv_store_read_begin(kl->store, kl->lcore_id);
	it = kv_store_get(kl->store, key, nkey, kl->now);
	if (it == NULL) {
		kv_store_read_end(kl->store, kl->lcore_id);
		kl->st_p->cmd_get++;
		kl->st_p->get_misses++;
		if (gat) {
			kl->st_p->cmd_touch++;
			kl->st_p->touch_misses++;
		}
		return KV_OK;
	}
	memcpy(hdr, "VALUE ", 6);
	memcpy(hdr + 6, key, nkey); /* raw: a key may hold any byte but space */
	hlen = 6 + nkey;
	hlen += (uint32_t)snprintf(hdr + hlen, sizeof(hdr) - hlen, " %" PRIu32 " %" PRIu32,
				   it->flags, it->nbytes);
	if (cas)
		hlen += (uint32_t)snprintf(hdr + hlen, sizeof(hdr) - hlen, " %" PRIu64, it->cas);
	memcpy(hdr + hlen, "\r\n", 2);
	hlen += 2;
	total = hlen + it->nbytes + 2;
	if (total <= KV_OUT_SMALL) {
		if (!out_room(kc, total)) {
			kv_store_read_end(kl->store, kl->lcore_id);
			return KV_PAUSE;
		}
		out_put(kc, hdr, hlen);
		out_put(kc, kv_item_value(it), it->nbytes + 2);
	} else if (!out_big(kc, hdr, hlen, kv_item_value(it), it->nbytes + 2)) {
		kv_store_read_end(kl->store, kl->lcore_id);
		return KV_PAUSE;
	}
	kv_store_read_end(kl->store, kl->lcore_id);
	kl->st_p->cmd_get++;
	kl->st_p->get_hits++;
	if (gat) {
		kl->st_p->cmd_touch++;
		kl->st_p->touch_hits++;
	}
	return KV_OK;
}

static int
kv_get_end(void *arg, const struct kv_req *r)
{
	struct kv_conn *kc = arg;

	RTE_SET_USED(r);
	if (!out_room(kc, 5))
		return KV_PAUSE;
	out_str(kc, "END\r\n");
	return KV_OK;
}

static void
reply_maybe(struct kv_conn *kc, const struct kv_req *r, const char *s)
{
	if (!r->noreply)
		out_str(kc, s);
}

/* The flags a meta reply echoes, in the order they were asked for. */
static void
meta_echo(struct kv_conn *kc, const struct kv_req *r, const struct kv_item *it, uint64_t cas)
{
	char b[KV_KEY_MAX + 64];
	uint32_t i, n;

	for (i = 0; i < r->norder; i++) {
		n = 0;
		switch (r->order[i]) {
		case 'O':
			b[0] = ' ';
			b[1] = 'O';
			memcpy(b + 2, r->opaque, r->nopaque);
			n = 2u + r->nopaque;
			break;
		case 'k':
			b[0] = ' ';
			b[1] = 'k';
			memcpy(b + 2, r->key, r->nkey);
			n = 2u + r->nkey;
			break;
		case 'c':
			if (cas != 0)
				n = (uint32_t)snprintf(b, sizeof(b), " c%" PRIu64, cas);
			break;
		case 'f':
			if (it != NULL)
				n = (uint32_t)snprintf(b, sizeof(b), " f%" PRIu32, it->flags);
			break;
		case 's':
			if (it != NULL)
				n = (uint32_t)snprintf(b, sizeof(b), " s%" PRIu32, it->nbytes);
			break;
		case 't':
			if (it != NULL) {
				uint32_t e = __atomic_load_n(&it->exptime, __ATOMIC_RELAXED);

				if (e == 0)
					n = (uint32_t)snprintf(b, sizeof(b), " t-1");
				else
					n = (uint32_t)snprintf(b, sizeof(b), " t%ld",
							       (long)e - (long)kc->kl->now);
			}
			break;
		default:
			break;
		}
		if (n > 0)
			out_put(kc, b, n);
	}
}

static int
kv_mg(struct kv_conn *kc, const struct kv_req *r)
{
	struct kv_lcore *kl = kc->kl;
	const struct kv_item *it;
	char hdr[64];
	uint32_t hlen;

	bool won = false;

	kv_store_read_begin(kl->store, kl->lcore_id);
	it = kv_store_get(kl->store, r->key, r->nkey, kl->now);
	if (it == NULL && (r->mflags & KV_MF_BIG_N)) {
		/* N: a miss makes an empty item with that TTL, and this client
		 * is told it won (W) the right to fill it; later readers of the
		 * placeholder see Z */
		struct kv_item *nw;
		enum kv_res res;

		kv_store_read_end(kl->store, kl->lcore_id);
		nw = kv_store_alloc(kl->store, r->key, r->nkey, 0, kv_exptime(r->exptime, kl->now),
				    0, kl->now, &res);
		if (nw != NULL) {
			nw->won = 1;
			won = kv_store_put(kl->store, nw, KV_ADD, 0, kl->now, NULL) == KV_STORED;
		}
		kv_store_read_begin(kl->store, kl->lcore_id);
		it = kv_store_get(kl->store, r->key, r->nkey, kl->now);
	}
	kl->st_p->cmd_get++;
	if (it == NULL) {
		kv_store_read_end(kl->store, kl->lcore_id);
		kl->st_p->get_misses++;
		if (!(r->mflags & KV_MF_Q)) {
			out_str(kc, "EN");
			meta_echo(kc, r, NULL, 0);
			out_str(kc, "\r\n");
		}
		return KV_OK;
	}
	if ((r->mflags & KV_MF_V) && it->nbytes + 2 > KV_OUT_SMALL &&
	    !big_ok(kc, KV_OUT_SMALL + it->nbytes + 2)) {
		kv_store_read_end(kl->store, kl->lcore_id);
		kl->st_p->cmd_get--;
		return KV_PAUSE;
	}
	kl->st_p->get_hits++;
	if (r->mflags & KV_MF_V) {
		hlen = (uint32_t)snprintf(hdr, sizeof(hdr), "VA %" PRIu32, it->nbytes);
		out_put(kc, hdr, hlen);
	} else {
		out_str(kc, "HD");
	}
	meta_echo(kc, r, it, it->cas);
	if (won)
		out_str(kc, " W");
	else if (it->won)
		out_str(kc, " Z");
	out_str(kc, "\r\n");
	if (r->mflags & KV_MF_V) {
		if (it->nbytes + 2 <= KV_OUT_SMALL)
			out_put(kc, kv_item_value(it), it->nbytes + 2);
		else if (!out_big(kc, "", 0, kv_item_value(it), it->nbytes + 2))
			kc->broken = true; /* big_ok() said yes: only a pool race */
	}
	kv_store_read_end(kl->store, kl->lcore_id);
	/* memcached: t answers the TTL from before T changes it */
	if (r->mflags & KV_MF_BIG_T)
		kv_store_touch(kl->store, r->key, r->nkey, kv_exptime(r->exptime, kl->now),
			       kl->now);
	return KV_OK;
}

static void
kv_ma(struct kv_conn *kc, const struct kv_req *r)
{
	struct kv_lcore *kl = kc->kl;
	struct kv_arith a = {
		.incr = r->mode != KV_MODE_DECR,
		.delta = r->delta,
		.cas = r->cas,
		.vivify = (r->mflags & KV_MF_BIG_N) != 0,
		.initial = r->initial,
		.exptime = kv_exptime(r->exptime, kl->now),
		.set_exptime = (r->mflags & KV_MF_BIG_T) != 0,
	};
	const struct kv_item *it;
	uint64_t v = 0, cas = 0;
	char b[32];
	enum kv_res res;

	res = kv_store_arith(kl->store, r->key, r->nkey, &a, kl->now, &v, &cas);
	switch (res) {
	case KV_STORED:
		if (r->mflags & KV_MF_V) {
			uint32_t n = u64_str(b, v);
			char h[32];

			snprintf(h, sizeof(h), "VA %" PRIu32, n);
			out_str(kc, h);
		} else if (r->mflags & KV_MF_Q) {
			return;
		} else {
			out_str(kc, "HD");
		}
		kv_store_read_begin(kl->store, kl->lcore_id);
		it = kv_store_get(kl->store, r->key, r->nkey, kl->now);
		meta_echo(kc, r, it, cas);
		kv_store_read_end(kl->store, kl->lcore_id);
		out_str(kc, "\r\n");
		if (r->mflags & KV_MF_V) {
			out_put(kc, b, u64_str(b, v));
			out_str(kc, "\r\n");
		}
		return;
	case KV_NOT_FOUND:
		out_str(kc, "NF"); /* q hides HD only */
		break;
	case KV_EXISTS:
		out_str(kc, "EX");
		break;
	case KV_NON_NUMERIC:
		out_str(kc, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
		return;
	default:
		out_str(kc, "SERVER_ERROR out of memory\r\n");
		return;
	}
	meta_echo(kc, r, NULL, 0);
	out_str(kc, "\r\n");
}

static int
kv_stats_reply(struct kv_conn *kc)
{
	struct kv_lcore *kl = kc->kl;
	struct kv_store_stats ss;
	struct kv_stats sum;
	struct rusage ru;
	char b[4 * KV_OUT_SMALL];
	unsigned int i, n = 0;
	int len = 0;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const uint64_t *src;
		uint64_t *dst = (uint64_t *)&sum;
		size_t k;

		if (!__atomic_load_n(&kv_st_used[i], __ATOMIC_ACQUIRE))
			continue;
		n++;
		src = (const uint64_t *)&kv_st[i];
		for (k = 0; k < sizeof(sum) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
	kv_store_stats_read(kl->store, &ss);
	getrusage(RUSAGE_SELF, &ru);
#define ST(fmt, ...)                                                                               \
	len += snprintf(b + len, sizeof(b) - (size_t)len, "STAT " fmt "\r\n", __VA_ARGS__)
	ST("pid %d", (int)getpid());
	ST("uptime %" PRIu32, kl->now - kv_started);
	ST("time %" PRIu32, kl->now);
	ST("version %s", KV_VERSION);
	ST("pointer_size %d", (int)(8 * sizeof(void *)));
	ST("rusage_user %ld.%06ld", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
	ST("rusage_system %ld.%06ld", (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	ST("curr_connections %" PRIu64, sum.curr_conns);
	ST("total_connections %" PRIu64, sum.total_conns);
	ST("cmd_get %" PRIu64, sum.cmd_get);
	ST("cmd_set %" PRIu64, sum.cmd_set);
	ST("cmd_flush %" PRIu64, sum.cmd_flush);
	ST("cmd_touch %" PRIu64, sum.cmd_touch);
	ST("cmd_meta %" PRIu64, sum.cmd_meta);
	ST("get_hits %" PRIu64, sum.get_hits);
	ST("get_misses %" PRIu64, sum.get_misses);
	ST("delete_misses %" PRIu64, sum.delete_misses);
	ST("delete_hits %" PRIu64, sum.delete_hits);
	ST("incr_misses %" PRIu64, sum.incr_misses);
	ST("incr_hits %" PRIu64, sum.incr_hits);
	ST("decr_misses %" PRIu64, sum.decr_misses);
	ST("decr_hits %" PRIu64, sum.decr_hits);
	ST("cas_misses %" PRIu64, sum.cas_misses);
	ST("cas_hits %" PRIu64, sum.cas_hits);
	ST("cas_badval %" PRIu64, sum.cas_badval);
	ST("touch_hits %" PRIu64, sum.touch_hits);
	ST("touch_misses %" PRIu64, sum.touch_misses);
	ST("threads %u", n);
	ST("bytes %" PRIu64, ss.bytes);
	ST("curr_items %" PRIu64, ss.curr_items);
	ST("total_items %" PRIu64, ss.total_items);
	ST("expired_unfetched %" PRIu64, ss.expired);
	ST("evictions %" PRIu64, ss.evictions);
	ST("limit_maxbytes %" PRIu64, ss.limit);
	ST("item_max %" PRIu32, kv_item_max_conf);
	ST("udp_bad_frames %" PRIu64, sum.udp_bad_frame);
	ST("conns_reset_no_mbuf %" PRIu64, sum.conn_broken);
	ST("udp_replies_cut_no_mbuf %" PRIu64, sum.udp_no_mbuf);
#undef ST
	len += snprintf(b + len, sizeof(b) - (size_t)len, "END\r\n");
	if ((size_t)len >= sizeof(b))
		len = 0; /* cannot happen: ~40 short lines */
	if (len <= KV_OUT_SMALL) {
		if (!out_room(kc, (uint32_t)len))
			return KV_PAUSE;
		out_put(kc, b, (uint32_t)len);
	} else if (!big_ok(kc, (uint32_t)len) || !out_big(kc, b, (uint32_t)len, "", 0)) {
		return KV_PAUSE;
	}
	return KV_OK;
}

static int
kv_request(void *arg, const struct kv_req *r)
{
	struct kv_conn *kc = arg;
	struct kv_lcore *kl = kc->kl;
	char b[64];
	enum kv_res res;

	/* stats checks its own room; mg/ma answers with a value and flags */
	if (!out_room(kc, r->cmd == KV_CMD_MG || r->cmd == KV_CMD_MA ? KV_OUT_SMALL
			  : r->cmd == KV_CMD_STATS		     ? 0
								     : 64 + 2 * KV_KEY_MAX))
		return KV_PAUSE;
	switch (r->cmd) {
	case KV_CMD_DELETE:
	case KV_CMD_MD:
		res = kv_store_delete(kl->store, r->key, r->nkey, r->cmd == KV_CMD_MD ? r->cas : 0,
				      kl->now);
		if (res == KV_DELETED)
			kl->st_p->delete_hits++;
		else
			kl->st_p->delete_misses++;
		if (r->cmd == KV_CMD_DELETE) {
			reply_maybe(kc, r, res == KV_DELETED ? "DELETED\r\n" : "NOT_FOUND\r\n");
			break;
		}
		kl->st_p->cmd_meta++;
		if (r->mflags & KV_MF_Q && res == KV_DELETED)
			break; /* q hides HD only */
		out_str(kc, res == KV_DELETED ? "HD" : res == KV_EXISTS ? "EX" : "NF");
		meta_echo(kc, r, NULL, 0);
		out_str(kc, "\r\n");
		break;
	case KV_CMD_INCR:
	case KV_CMD_DECR: {
		struct kv_arith a = {.incr = r->cmd == KV_CMD_INCR, .delta = r->delta};
		uint64_t v = 0;

		res = kv_store_arith(kl->store, r->key, r->nkey, &a, kl->now, &v, NULL);
		if (res == KV_STORED || res == KV_NON_NUMERIC) {
			if (a.incr)
				kl->st_p->incr_hits++;
			else
				kl->st_p->decr_hits++;
		} else if (res == KV_NOT_FOUND) {
			if (a.incr)
				kl->st_p->incr_misses++;
			else
				kl->st_p->decr_misses++;
		}
		if (res == KV_STORED) {
			uint32_t n = u64_str(b, v);

			memcpy(b + n, "\r\n", 3);
			reply_maybe(kc, r, b);
		} else if (res == KV_NOT_FOUND) {
			reply_maybe(kc, r, "NOT_FOUND\r\n");
		} else if (res == KV_NON_NUMERIC) {
			reply_maybe(
				kc, r,
				"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
		} else {
			reply_maybe(kc, r, "SERVER_ERROR out of memory\r\n");
		}
		break;
	}
	case KV_CMD_TOUCH:
		kl->st_p->cmd_touch++;
		res = kv_store_touch(kl->store, r->key, r->nkey, kv_exptime(r->exptime, kl->now),
				     kl->now);
		if (res == KV_TOUCHED)
			kl->st_p->touch_hits++;
		else
			kl->st_p->touch_misses++;
		reply_maybe(kc, r, res == KV_TOUCHED ? "TOUCHED\r\n" : "NOT_FOUND\r\n");
		break;
	case KV_CMD_FLUSH_ALL:
		kl->st_p->cmd_flush++;
		kv_store_flush(kl->store, r->exptime > 0 ? kv_exptime(r->exptime, kl->now) : 0,
			       kl->now);
		reply_maybe(kc, r, "OK\r\n");
		break;
	case KV_CMD_VERSION:
		out_str(kc, "VERSION " KV_VERSION "\r\n");
		break;
	case KV_CMD_VERBOSITY:
		reply_maybe(kc, r, "OK\r\n");
		break;
	case KV_CMD_STATS:
		if (r->args[0] != '\0') {
			out_str(kc, "ERROR\r\n");
			break;
		}
		return kv_stats_reply(kc);
	case KV_CMD_MN:
		out_str(kc, "MN\r\n");
		break;
	case KV_CMD_MG:
		kl->st_p->cmd_meta++;
		return kv_mg(kc, r);
	case KV_CMD_MA:
		kl->st_p->cmd_meta++;
		kv_ma(kc, r);
		break;
	default:
		out_str(kc, "ERROR\r\n");
		break;
	}
	return KV_OK;
}

static void *
kv_store_begin(void *arg, const struct kv_req *r, int *status)
{
	struct kv_conn *kc = arg;
	struct kv_lcore *kl = kc->kl;
	struct kv_item *it;
	enum kv_res res;
	uint32_t flags = r->flags;
	int32_t e = r->exptime;

	if (r->cmd == KV_CMD_MS && !(r->mflags & KV_MF_BIG_T))
		e = 0;
	/* room for a SERVER_ERROR now, the later STORED needs less */
	if (!out_room(kc, 64)) {
		*status = KV_PAUSE;
		return NULL;
	}
	it = kv_store_alloc(kl->store, r->key, r->nkey, flags, kv_exptime(e, kl->now), r->nbytes,
			    kl->now, &res);
	if (it != NULL)
		return kv_item_value(it);
	kl->st_p->cmd_set++;
	if (res == KV_TOO_LARGE) {
		if (r->cmd == KV_CMD_MS || !r->noreply)
			out_str(kc, "SERVER_ERROR object too large for cache\r\n");
	} else if (r->cmd == KV_CMD_MS || !r->noreply) {
		out_str(kc, "SERVER_ERROR out of memory storing object\r\n");
	}
	/* memcached: a failed set must not leave the old value readable */
	if (r->cmd == KV_CMD_SET || (r->cmd == KV_CMD_MS && (r->mode == 0 || r->mode == 'S')))
		kv_store_delete(kl->store, r->key, r->nkey, 0, kl->now);
	return NULL;
}

/* The item whose value kv_store_begin() handed to the parser. */
static struct kv_item *
item_of(void *value, uint8_t nkey)
{
	return (struct kv_item *)(void *)((char *)value - nkey - offsetof(struct kv_item, key));
}

static int
kv_store_end(void *arg, const struct kv_req *r, void *buf, bool ok)
{
	struct kv_conn *kc = arg;
	struct kv_lcore *kl = kc->kl;
	struct kv_item *it = item_of(buf, r->nkey);
	enum kv_store_mode mode = KV_SET;
	uint64_t cas = 0;
	enum kv_res res;

	if (!ok) {
		kv_store_release(kl->store, it);
		return KV_CLOSE;
	}
	if (!out_room(kc, 64 + 2 * KV_KEY_MAX))
		return KV_PAUSE;
	kl->st_p->cmd_set++;
	switch (r->cmd) {
	case KV_CMD_ADD:
		mode = KV_ADD;
		break;
	case KV_CMD_REPLACE:
		mode = KV_REPLACE;
		break;
	case KV_CMD_APPEND:
		mode = KV_APPEND;
		break;
	case KV_CMD_PREPEND:
		mode = KV_PREPEND;
		break;
	case KV_CMD_CAS:
		mode = KV_CAS;
		break;
	case KV_CMD_MS:
		switch (r->mode) {
		case KV_MODE_ADD:
			mode = KV_ADD;
			break;
		case KV_MODE_APPEND:
			mode = KV_APPEND;
			break;
		case KV_MODE_PREPEND:
			mode = KV_PREPEND;
			break;
		case KV_MODE_REPLACE:
			mode = KV_REPLACE;
			break;
		default:
			mode = (r->mflags & KV_MF_BIG_C) ? KV_CAS : KV_SET;
			break;
		}
		break;
	default:
		break;
	}
	res = kv_store_put(kl->store, it, mode, r->cas, kl->now, &cas);
	if (mode == KV_CAS) {
		if (res == KV_STORED)
			kl->st_p->cas_hits++;
		else if (res == KV_EXISTS)
			kl->st_p->cas_badval++;
		else
			kl->st_p->cas_misses++;
	}
	if (r->cmd == KV_CMD_MS) {
		kl->st_p->cmd_meta++;
		if (res == KV_STORED && (r->mflags & KV_MF_Q))
			return KV_OK;
		out_str(kc, res == KV_STORED	  ? "HD"
			    : res == KV_EXISTS	  ? "EX"
			    : res == KV_NOT_FOUND ? "NF"
						  : "NS");
		meta_echo(kc, r, NULL, res == KV_STORED ? cas : 0);
		out_str(kc, "\r\n");
		return KV_OK;
	}
	switch (res) {
	case KV_STORED:
		reply_maybe(kc, r, "STORED\r\n");
		break;
	case KV_EXISTS:
		reply_maybe(kc, r, "EXISTS\r\n");
		break;
	case KV_NOT_FOUND:
		reply_maybe(kc, r, "NOT_FOUND\r\n");
		break;
	case KV_NOT_STORED:
		reply_maybe(kc, r, "NOT_STORED\r\n");
		break;
	case KV_TOO_LARGE:
		reply_maybe(kc, r, "SERVER_ERROR object too large for cache\r\n");
		break;
	default:
		reply_maybe(kc, r, "SERVER_ERROR out of memory storing object\r\n");
		break;
	}
	return KV_OK;
}

static const struct kv_proto_ops kv_ops = {
	.request = kv_request,
	.get_key = kv_get_key,
	.get_end = kv_get_end,
	.store_begin = kv_store_begin,
	.store_end = kv_store_end,
	.reply = kv_reply,
};

/* ---- connections ---- */

static void
kv_tick(struct kv_lcore *kl)
{
	kl->now = kv_clock();
	if (kl->now != kl->last_sweep) {
		kl->last_sweep = kl->now;
		kv_store_expire_step(kl->store, kl->now, KV_SWEEP_BUCKETS);
	}
}

/* Drop @n bytes from the front of the connection's chain. */
static void
kv_consume(struct kv_conn *kc, uint32_t n)
{
	sl_chain_consume(&kc->pend, n);
	kc->pend_len -= n;
	if (kc->c != NULL)
		stk_tcp_recved(kc->c, n);
}

static void
kv_release(struct kv_conn *kc)
{
	struct kv_lcore *kl = kc->kl;
	void *buf = kv_proto_take_buf(&kc->p);

	if (buf != NULL)
		kv_store_release(kl->store, item_of(buf, kc->p.req.nkey));
	rte_pktmbuf_free(kc->pend);
	kc->pend = NULL;
	kc->pend_len = 0;
	kc->c = NULL;
	kc->next_free = kl->free;
	kl->free = kc;
	kl->st_p->curr_conns--;
}

/* Feed what waits to the parser; close when it says so or the peer is
 * done. */
static void
kv_process(struct kv_conn *kc)
{
	struct kv_lcore *kl = kc->kl;
	struct stk_tcp_conn *c = kc->c;

	kv_tick(kl);
	kl->out_conn = kc;
	kl->out_len = 0;
	kc->paused = false;
	kv_proto_feed(&kc->p, NULL, 0);
	while (!kc->paused && !kv_proto_closed(&kc->p) && kc->pend != NULL) {
		struct rte_mbuf *m = kc->pend;
		size_t used = kv_proto_feed(&kc->p, rte_pktmbuf_mtod(m, const void *), m->data_len);

		kv_consume(kc, (uint32_t)used);
		if (used < m->data_len)
			break;
	}
	out_flush(kl);
	kl->out_conn = NULL;
	if (kc->broken) {
		kv_release(kc);
		stk_tcp_abort(c);
		return;
	}
	if (kv_proto_closed(&kc->p) || (kc->eof && !kc->paused && kc->pend == NULL)) {
		kv_release(kc);
		stk_tcp_close(c);
	}
}

static int
kv_accept(void *state, struct stk_tcp_conn *c, void **conn_arg)
{
	struct kv_lcore *kl = state;
	struct kv_conn *kc = kl->free;

	if (kc == NULL)
		return -ENOMEM;
	kl->free = kc->next_free;
	kv_proto_init(&kc->p, &kv_ops, kc);
	kc->kl = kl;
	kc->c = c;
	kc->pend = NULL;
	kc->pend_len = 0;
	kc->eof = kc->paused = kc->udp_full = kc->broken = false;
	kl->st_p->curr_conns++;
	kl->st_p->total_conns++;
	stk_tcp_set_nodelay(c, true);
	*conn_arg = kc;
	return 0;
}

static uint32_t
kv_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct kv_conn *kc = arg;

	if (m == NULL) {
		kc->eof = true;
	} else if (kc->pend == NULL) {
		kc->pend = m;
		kc->pend_len = len;
	} else if (rte_pktmbuf_chain(kc->pend, m) == 0) {
		kc->pend_len += len;
	} else {
		/* more segments than a chain holds: a client far ahead of us */
		rte_pktmbuf_free(m);
		stk_tcp_recved(c, len);
		kv_release(kc);
		stk_tcp_abort(c);
		return 0;
	}
	kv_process(kc);
	return 0;
}

static void
kv_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	struct kv_conn *kc = arg;

	RTE_SET_USED(c);
	RTE_SET_USED(space);
	if (kc->paused)
		kv_process(kc);
}

static void
kv_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	RTE_SET_USED(c);
	RTE_SET_USED(why);
	kv_release(arg);
}

/* ---- UDP ---- */

static enum stk_udp_verdict
kv_udp_rx(void *state, struct stk_udp_msg *msg)
{
	struct kv_lcore *kl = state;
	struct kv_conn *kc = kl->udp;
	const uint8_t *d = msg->data;
	uint16_t req_id, n_dgrams, i;
	uint32_t off, per = KV_UDP_PAYLOAD - KV_UDP_HDR;
	void *buf;

	if (msg->len < KV_UDP_HDR || d[2] != 0 || d[3] != 0 || d[4] != 0 || d[5] != 1) {
		kl->st_p->udp_bad_frame++;
		return STK_UDP_DROP; /* memcached: one datagram per request */
	}
	req_id = (uint16_t)(d[0] << 8 | d[1]);
	kv_tick(kl);
	kv_proto_init(&kc->p, &kv_ops, kc);
	kc->udp_full = false;
	kl->udp_len = 0;
	kv_proto_feed(&kc->p, d + KV_UDP_HDR, msg->len - KV_UDP_HDR);
	buf = kv_proto_take_buf(&kc->p); /* a data block the datagram cut */
	if (buf != NULL)
		kv_store_release(kl->store, item_of(buf, kc->p.req.nkey));
	if (kc->udp_full) {
		static const char e[] = "SERVER_ERROR out of memory writing get response\r\n";

		memcpy(kl->udp_out, e, sizeof(e) - 1);
		kl->udp_len = sizeof(e) - 1;
	}
	if (kl->udp_len == 0) {
		rte_pktmbuf_free(msg->m);
		return STK_UDP_CONSUMED;
	}
	n_dgrams = (uint16_t)((kl->udp_len + per - 1) / per);
	if (n_dgrams == 1 && kl->udp_len + KV_UDP_HDR <= msg->room) {
		uint8_t *o = msg->data;

		o[0] = (uint8_t)(req_id >> 8);
		o[1] = (uint8_t)req_id;
		memset(o + 2, 0, 6);
		o[5] = 1;
		memcpy(o + KV_UDP_HDR, kl->udp_out, kl->udp_len);
		msg->len = (uint16_t)(kl->udp_len + KV_UDP_HDR);
		return STK_UDP_REPLY;
	}
	for (i = 0, off = 0; i < n_dgrams; i++, off += per) {
		uint32_t n = RTE_MIN(per, kl->udp_len - off);
		struct rte_mbuf *m = rte_pktmbuf_alloc(kl->pool);
		uint8_t *o;

		if (m == NULL) {
			/* the client times out the request, as over a lossy path */
			kl->st_p->udp_no_mbuf++;
			break;
		}
		o = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(n + KV_UDP_HDR));
		o[0] = (uint8_t)(req_id >> 8);
		o[1] = (uint8_t)req_id;
		o[2] = (uint8_t)(i >> 8);
		o[3] = (uint8_t)i;
		o[4] = (uint8_t)(n_dgrams >> 8);
		o[5] = (uint8_t)n_dgrams;
		o[6] = o[7] = 0;
		memcpy(o + KV_UDP_HDR, kl->udp_out + off, n);
		stk_udp_send(kl->stk, msg->src_ip, msg->dst_port, msg->src_port, m);
	}
	rte_pktmbuf_free(msg->m);
	return STK_UDP_CONSUMED;
}

/* ---- set-up ---- */

static void kv_lcore_fini(void *state);

/* [kv] (or [service] when kv is the selected service) */
struct kv_cfg {
	uint32_t memory_mb;
	uint32_t item_max;
};

static const struct sl_cfg_key kv_keys[] = {
	{"memory_mb", SL_CFG_UINT, .min = 1, .max = 1048576, .def = "64",
	 .help = "MiB of item memory, one table shared by every lcore; beyond it the least "
		 "recently used items are evicted (stats evictions)",
	 SL_CFG_FIELD(struct kv_cfg, memory_mb)},
	/* at most (KV_POOL_MBUFS - 64) x 8 KiB: a value larger than the send
	 * queue goes out as one chain of 8 KiB mbufs from the lcore's pool */
	{"item_max", SL_CFG_UINT, .min = 1024, .max = 3661824, .def = "1048576",
	 .help = "largest value stored, in bytes; a larger set gets SERVER_ERROR object too "
		 "large for cache",
	 SL_CFG_FIELD(struct kv_cfg, item_max)},
};

/* slab pages are at least one largest item: a few of them at least */
static int
kv_cfg_check(const void *p, char *why, size_t wl)
{
	const struct kv_cfg *cfg = p;

	if (((uint64_t)cfg->memory_mb << 20) < 4 * ((uint64_t)cfg->item_max + 4096)) {
		snprintf(why, wl,
			 "memory_mb = %u holds fewer than 4 values of item_max = %u bytes; raise "
			 "memory_mb or lower item_max",
			 cfg->memory_mb, cfg->item_max);
		return -EINVAL;
	}
	return 0;
}

static int
kv_lcore_init(const struct sl_service_env *env, void **state)
{
	const struct kv_cfg *cfg = env->cfg;
	int socket = (int)rte_lcore_to_socket_id(env->lcore_id);
	struct kv_lcore *kl;
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t i, n = env->tcp_max_conns;
	int ret = 0;

	if (n == 0 || cfg == NULL)
		return -EINVAL;
	kl = rte_zmalloc_socket("kv_lcore", sizeof(*kl), RTE_CACHE_LINE_SIZE, socket);
	if (kl == NULL)
		return -ENOMEM;
	kl->lcore_id = env->lcore_id;
	kl->st_p = &kv_st[env->lcore_id];
	kl->stk = env->stk;
	kl->udp_port = env->udp_port;
	kl->conns = rte_zmalloc_socket("kv_conns", sizeof(*kl->conns) * (n + 1),
				       RTE_CACHE_LINE_SIZE, socket);
	kl->udp_cap = RTE_MIN(cfg->item_max + 2 * KV_OUT_SMALL,
			      KV_UDP_MAX_DGRAMS * (KV_UDP_PAYLOAD - KV_UDP_HDR));
	kl->udp_out = rte_malloc_socket("kv_udp", kl->udp_cap, 0, socket);
	/* kept after lcore_fini: a port may still hold some of its mbufs in
	 * a TX queue until the ports stop; a later start finds it again */
	snprintf(name, sizeof(name), "kv_tx%u", env->lcore_id);
	kl->pool = rte_mempool_lookup(name);
	if (kl->pool == NULL)
		kl->pool =
			rte_pktmbuf_pool_create(name, KV_POOL_MBUFS, 32, 0, KV_POOL_ROOM, socket);
	if (kl->conns == NULL || kl->udp_out == NULL || kl->pool == NULL) {
		kv_lcore_fini(kl);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		kl->conns[i].kl = kl;
		kl->conns[i].next_free = i + 1 < n ? &kl->conns[i + 1] : NULL;
	}
	kl->free = &kl->conns[0];
	kl->udp = &kl->conns[n];
	kl->udp->kl = kl;

	pthread_mutex_lock(&kv_mu);
	if (kv_shared == NULL) {
		struct kv_store_conf sc = {
			.memory = (uint64_t)cfg->memory_mb << 20,
			.item_max = cfg->item_max,
			.max_threads = RTE_MAX_LCORE,
		};

		kv_hz = rte_get_tsc_hz();
		kv_base_tsc = rte_rdtsc();
		kv_base_unix = (uint64_t)time(NULL);
		kv_started = (uint32_t)kv_base_unix;
		kv_item_max_conf = cfg->item_max;
		kv_shared = kv_store_create(&sc);
		if (kv_shared == NULL)
			ret = -ENOMEM;
	}
	if (ret == 0)
		ret = kv_store_thread_register(kv_shared, env->lcore_id);
	if (ret == 0) {
		kv_users++;
		kl->store = kv_shared;
		memset(&kv_st[env->lcore_id], 0, sizeof(kv_st[0]));
		__atomic_store_n(&kv_st_used[env->lcore_id], true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&kv_mu);
	if (ret != 0) {
		kv_lcore_fini(kl);
		return ret;
	}
	kl->now = kv_clock();
	kl->last_sweep = kl->now;
	*state = kl;
	return 0;
}

static void
kv_lcore_fini(void *state)
{
	struct kv_lcore *kl = state;

	if (kl == NULL)
		return;
	if (kl->store != NULL) {
		pthread_mutex_lock(&kv_mu);
		__atomic_store_n(&kv_st_used[kl->lcore_id], false, __ATOMIC_RELEASE);
		kv_store_thread_unregister(kl->store, kl->lcore_id);
		if (--kv_users == 0) {
			kv_store_free(kv_shared);
			kv_shared = NULL;
		}
		pthread_mutex_unlock(&kv_mu);
	}
	rte_free(kl->udp_out);
	rte_free(kl->conns);
	rte_free(kl);
}

static const struct sl_service kv = {
	.name = "kv",
	.help = "memcached-compatible key-value cache (text and meta protocol, TCP and UDP, "
		"default port 11211), one table shared by every lcore",
	.default_port = 11211,
	.cfg_keys = kv_keys,
	.n_cfg_keys = RTE_DIM(kv_keys),
	.cfg_size = sizeof(struct kv_cfg),
	.cfg_check = kv_cfg_check,
	.lcore_init = kv_lcore_init,
	.lcore_fini = kv_lcore_fini,
	.udp_rx = kv_udp_rx,
	.tcp =
		{
			.on_accept = kv_accept,
			.on_data = kv_data,
			.on_sent = kv_sent,
			.on_close = kv_close,
		},
};

SL_SERVICE_REGISTER(kv);
