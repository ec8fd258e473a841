/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP (RFC 9293): the per-context connection table, listeners, initial
 * sequence numbers (RFC 6528), ephemeral ports (RFC 6056), send and
 * out-of-order queues, and the calls a service makes.
 *
 * Connections live in an array preallocated at start-up and indexed by
 * the position rte_hash gives their key (the hash is the free list), so
 * opening a connection allocates nothing. A connection closed while the
 * stack is working on it (inside a callback, say) is marked dead and freed
 * when that work ends, so that no caller up the stack holds a freed
 * connection.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_random.h>

#include "tcp_priv.h"

int stk_tcp_mb_off = -1;

static const char *const tcp_state_names[STK_TCP_NSTATES] = {
#define TCP_STATE_NAME(id, name) [STK_TCP_##id] = name,
	STK_TCP_STATES(TCP_STATE_NAME)
#undef TCP_STATE_NAME
};

const char *
stk_tcp_state_name(enum stk_tcp_state s)
{
	if ((unsigned int)s >= STK_TCP_NSTATES)
		return NULL;
	return tcp_state_names[s];
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), the PRF of RFC 6528 ---- */

#define SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND(v0, v1, v2, v3)                                                                  \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = SIP_ROTL(v1, 13);                                                             \
		v1 ^= v0;                                                                          \
		v0 = SIP_ROTL(v0, 32);                                                             \
		v2 += v3;                                                                          \
		v3 = SIP_ROTL(v3, 16);                                                             \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = SIP_ROTL(v3, 21);                                                             \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = SIP_ROTL(v1, 17);                                                             \
		v1 ^= v2;                                                                          \
		v2 = SIP_ROTL(v2, 32);                                                             \
	} while (0)

uint64_t
stk_tcp_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = key[1] ^ 0x7465646279746573ULL;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		m = rte_le_to_cpu_64(m);
		v3 ^= m;
		SIP_ROUND(v0, v1, v2, v3);
		SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)p[len - left + i] << (8 * i);
	v3 ^= b;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t
tcp_ms_now(const struct stk_ctx *ctx)
{
	return (uint32_t)(ctx->now / ctx->tcp->ms_ticks);
}

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a timer ticking every 4 microseconds. */
uint32_t
tcp_isn(const struct stk_tcp *tcp, const struct tcp_key *k)
{
	const struct stk_ctx *ctx = tcp->ctx;
	uint64_t us = ctx->now / ctx->hz * 1000000 + ctx->now % ctx->hz * 1000000 / ctx->hz;

	return (uint32_t)stk_tcp_siphash(tcp->isn_key, k, sizeof(*k)) + (uint32_t)(us / 4);
}

/*
 * SYN cookies (RFC 4987 3.6): past a listener's backlog, the SYN-ACK's ISS
 * carries what the connection needs, and nothing is stored until the ACK
 * returns it. Bits 31..27: a counter of 64-second periods, 26..24: the
 * peer's MSS (rounded down to the table), 23..0: SipHash of the 4-tuple,
 * the peer's ISN, the counter and the MSS index under a secret. A cookie
 * is good for two periods. Window scaling, SACK and timestamps are not
 * encoded: a connection made from a cookie goes without them.
 */
#define TCP_COOKIE_PERIOD_S 64
static const uint16_t tcp_cookie_mss[8] = {536, 1024, 1200, 1300, 1400, 1440, 1460, 8960};

static uint32_t
tcp_cookie_hash(const struct stk_tcp *tcp, const struct tcp_key *k, uint32_t irs, uint32_t t,
		uint32_t idx)
{
	struct {
		struct tcp_key k;
		uint32_t irs, t, idx;
	} in = {*k, irs, t, idx};

	return (uint32_t)stk_tcp_siphash(tcp->cookie_key, &in, sizeof(in)) & 0xffffff;
}

static uint32_t
tcp_cookie_period(const struct stk_tcp *tcp)
{
	return (uint32_t)(tcp->ctx->now / (tcp->ctx->hz * TCP_COOKIE_PERIOD_S));
}

uint32_t
tcp_cookie_make(const struct stk_tcp *tcp, const struct tcp_key *k, uint32_t irs, uint16_t mss)
{
	uint32_t t = tcp_cookie_period(tcp) & 31, idx = 0, i;

	for (i = 0; i < RTE_DIM(tcp_cookie_mss); i++)
		if (tcp_cookie_mss[i] <= mss)
			idx = i;
	return t << 27 | idx << 24 | tcp_cookie_hash(tcp, k, irs, t, idx);
}

/* The MSS a valid cookie encodes; 0 if it is not valid. */
uint16_t
tcp_cookie_check(const struct stk_tcp *tcp, const struct tcp_key *k, uint32_t irs, uint32_t cookie)
{
	uint32_t t = cookie >> 27, idx = (cookie >> 24) & 7, now = tcp_cookie_period(tcp) & 31;

	if (t != now && t != ((now - 1) & 31))
		return 0;
	if ((cookie & 0xffffff) != tcp_cookie_hash(tcp, k, irs, t, idx))
		return 0;
	return tcp_cookie_mss[idx];
}

/* ---- connections ---- */

struct stk_tcp_conn *
tcp_conn_lookup(struct stk_tcp *tcp, const struct tcp_key *k)
{
	int32_t pos = rte_hash_lookup(tcp->hash, k);

	if (pos < 0 || (uint32_t)pos >= tcp->n_slots)
		return NULL;
	return &tcp->conns[pos];
}

void
tcp_set_state(struct stk_tcp_conn *c, uint8_t state)
{
	struct stk_tcp *tcp = c->ctx->tcp;

	if (c->state != STK_TCP_CLOSED)
		tcp->state_count[c->state]--;
	if (state != STK_TCP_CLOSED)
		tcp->state_count[state]++;
	c->state = state;
}

struct stk_tcp_conn *
tcp_conn_new(struct stk_tcp *tcp, const struct tcp_key *k)
{
	struct stk_tcp_conn *c;
	int32_t pos;

	if (tcp->n_conns >= tcp->max_conns)
		return NULL;
	pos = rte_hash_add_key(tcp->hash, k);
	if (pos < 0)
		return NULL;
	if (unlikely((uint32_t)pos >= tcp->n_slots || tcp->conns[pos].ctx != NULL)) {
		/* the key was already there, or a position past the array:
		 * neither can happen with the checks callers make */
		return NULL;
	}
	c = &tcp->conns[pos];
	memset(c, 0, sizeof(*c));
	c->key = *k;
	c->idx = (uint32_t)pos;
	c->ctx = tcp->ctx;
	tcp->n_conns++;
	return c;
}

/*
 * RFC 7323 5.4 and 7: timestamps start from a random offset so that they
 * reveal neither uptime nor a link between connections to different hosts.
 * The offset is per address pair, like Linux's, and its key is the same in
 * every process of one boot: the clock (the TSC) is host-wide, so a
 * restarted sluice goes on with larger timestamps towards each peer, and a
 * peer holding one of our old 4-tuples in TIME-WAIT accepts the new SYN
 * (RFC 6191) instead of answering it with an ACK that costs a SYN
 * retransmission (1 s). The key is the kernel's boot_id (readable on the
 * host, never sent); without it a random key per stack.
 */
void
tcp_ts_key_init(uint64_t key[2])
{
	uint8_t b[16];
	unsigned int n = 0;
	FILE *f;
	int ch;

	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (f != NULL) {
		while (n < 2 * sizeof(b) && (ch = fgetc(f)) != EOF) {
			int v = isxdigit(ch) ? (isdigit(ch) ? ch - '0' : (tolower(ch) - 'a' + 10)) : -1;

			if (v < 0)
				continue;
			b[n / 2] = (uint8_t)(n % 2 ? (b[n / 2] << 4) | v : v);
			n++;
		}
		fclose(f);
	}
	if (n == 2 * sizeof(b)) {
		memcpy(&key[0], b, 8);
		memcpy(&key[1], b + 8, 8);
		/* domain separation from other keys made from boot_id */
		key[0] ^= UINT64_C(0x736c756963652d74); /* "sluice-t" */
		key[1] ^= UINT64_C(0x7374616d70732121); /* "stamps!!" */
	} else {
		key[0] = rte_rand();
		key[1] = rte_rand();
	}
}

uint32_t
tcp_ts_offset(const struct stk_tcp *tcp, const struct tcp_key *k)
{
	const uint32_t addrs[2] = {k->lip, k->rip};

	return (uint32_t)stk_tcp_siphash(tcp->ts_key, addrs, sizeof(addrs));
}

/* Defaults every new connection starts from. */
void
tcp_conn_init_common(struct stk_tcp_conn *c)
{
	struct stk_tcp *tcp = c->ctx->tcp;

	c->rto = tcp->rto_init;
	c->mss = TCP_MSS_DEFAULT;
	c->rcv_mss = TCP_MSS_DEFAULT;
	c->ssthresh = INT32_MAX;
	c->last_rx = c->ctx->now;
	c->ts_off = tcp_ts_offset(tcp, &c->key);
	if (tcp->nodelay)
		c->flags |= CF_NODELAY;
	if (tcp->keepalive)
		c->flags |= CF_KEEPALIVE;
}

static void
tcp_tw_unlink(struct stk_tcp *tcp, struct stk_tcp_conn *c)
{
	if (!(c->flags & CF_TW_LIST))
		return;
	if (c->tw_prev != NULL)
		c->tw_prev->tw_next = c->tw_next;
	else
		tcp->tw_head = c->tw_next;
	if (c->tw_next != NULL)
		c->tw_next->tw_prev = c->tw_prev;
	else
		tcp->tw_tail = c->tw_prev;
	c->tw_next = c->tw_prev = NULL;
	c->flags &= ~CF_TW_LIST;
	tcp->n_tw--;
}

static void
tcp_sq_purge(struct stk_tcp_conn *c)
{
	struct rte_mbuf *s = c->sq_head, *n;

	while (s != NULL) {
		n = s->next;
		s->next = NULL;
		rte_pktmbuf_free_seg(s);
		s = n;
	}
	c->sq_head = c->sq_tail = c->sq_cur = NULL;
	c->sq_seq += c->sq_bytes;
	c->sq_bytes = 0;
	c->sq_nsegs = 0;
}

void
tcp_ooo_purge(struct stk_tcp_conn *c)
{
	struct rte_mbuf *q = c->ooo, *n;

	while (q != NULL) {
		n = tcp_mb(q)->next;
		rte_pktmbuf_free(q);
		q = n;
	}
	c->ooo = NULL;
	c->ooo_bytes = 0;
	c->ooo_nsegs = 0;
}

void
tcp_half_open_done(struct stk_tcp *tcp, struct stk_tcp_conn *c)
{
	if (c->flags & CF_HALF_OPEN) {
		c->flags &= ~CF_HALF_OPEN;
		if (c->lst != 0 && tcp->lst[c->lst - 1].n_synrcvd > 0)
			tcp->lst[c->lst - 1].n_synrcvd--;
	}
}

void
tcp_conn_free(struct stk_tcp *tcp, struct stk_tcp_conn *c)
{
	tcp_timer_cancel_all(c);
	tcp_sq_purge(c);
	tcp_ooo_purge(c);
	tcp_tw_unlink(tcp, c);
	tcp_half_open_done(tcp, c);
	tcp_set_state(c, STK_TCP_CLOSED);
	rte_hash_del_key(tcp->hash, &c->key);
	c->ctx = NULL;
	c->flags = 0;
	tcp->n_conns--;
}

/* The connection is over: free it now, or when the stack is done with it. */
void
tcp_conn_done(struct stk_tcp_conn *c)
{
	struct stk_tcp *tcp = c->ctx->tcp;

	if (c->flags & CF_DEAD)
		return;
	if (tcp->busy == 0) {
		tcp_conn_free(tcp, c);
		return;
	}
	c->flags |= CF_DEAD;
	c->flags &= ~CF_ATTACHED;
	tcp_timer_cancel_all(c);
	/* off the TIME-WAIT list now: tcp_make_room() must not free it */
	tcp_tw_unlink(tcp, c);
	tcp_half_open_done(tcp, c);
	tcp_set_state(c, STK_TCP_CLOSED);
	c->reap_next = tcp->reap;
	tcp->reap = c;
}

void
tcp_reap(struct stk_tcp *tcp)
{
	struct stk_tcp_conn *c;

	while ((c = tcp->reap) != NULL) {
		tcp->reap = c->reap_next;
		c->reap_next = NULL;
		tcp_conn_free(tcp, c);
	}
}

void
tcp_notify_close(struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct stk_ctx *ctx = c->ctx;

	switch (why) {
	case STK_TCP_CLOSE_FIN:
		ctx->stats.tcp_closed++;
		break;
	case STK_TCP_CLOSE_RST:
		ctx->stats.tcp_reset++;
		break;
	case STK_TCP_CLOSE_TIMEOUT:
		ctx->stats.tcp_timeouts++;
		break;
	default:
		break;
	}
	if (!(c->flags & CF_ATTACHED))
		return;
	c->flags &= ~CF_ATTACHED;
	if (c->ops != NULL && c->ops->on_close != NULL)
		c->ops->on_close(c->arg, c, why);
}

/* RFC 9293 3.10.7.4: TIME-WAIT for 2 MSL (MUST-13). The entry holds no
 * data and no service; when there are more than max_time_wait, the oldest
 * goes first. */
void
tcp_time_wait(struct stk_tcp_conn *c)
{
	struct stk_tcp *tcp = c->ctx->tcp;

	c->flags &= ~(CF_ATTACHED | CF_DELACK | CF_PERSIST);
	tcp_timer_cancel_all(c);
	tcp_sq_purge(c);
	tcp_ooo_purge(c);
	tcp_set_state(c, STK_TCP_TIME_WAIT);
	if (tcp->max_tw == 0) {
		tcp_conn_done(c);
		return;
	}
	while (tcp->n_tw >= tcp->max_tw && tcp->tw_head != NULL) {
		struct stk_tcp_conn *old = tcp->tw_head;

		tcp_tw_unlink(tcp, old);
		c->ctx->stats.tcp_tw_recycled++;
		tcp_conn_done(old);
	}
	c->tw_prev = tcp->tw_tail;
	c->tw_next = NULL;
	if (tcp->tw_tail != NULL)
		tcp->tw_tail->tw_next = c;
	else
		tcp->tw_head = c;
	tcp->tw_tail = c;
	c->flags |= CF_TW_LIST;
	tcp->n_tw++;
	tcp_timer_set(c, TT_END, c->ctx->now + tcp->tw_ticks);
}

/* Room for one more connection: recycle the oldest TIME-WAIT entry if
 * the table is full. Frees at once (never called on a connection the
 * stack is using). */
bool
tcp_make_room(struct stk_tcp *tcp)
{
	struct stk_tcp_conn *old;

	if (tcp->n_conns < tcp->max_conns)
		return true;
	old = tcp->tw_head;
	if (old == NULL)
		return false;
	tcp->ctx->stats.tcp_tw_recycled++;
	tcp_conn_free(tcp, old);
	return true;
}

/* ---- send queue ---- */

static bool
tcp_seg_writable(const struct rte_mbuf *s)
{
	return RTE_MBUF_DIRECT(s) && rte_mbuf_refcnt_read(s) == 1;
}

/* Room to append to the queue's last buffer. */
static uint32_t
tcp_sq_tailroom(const struct stk_tcp_conn *c)
{
	return c->sq_tail != NULL && c->sq_tail_w ? rte_pktmbuf_tailroom(c->sq_tail) : 0;
}

static void
tcp_sq_link(struct stk_tcp_conn *c, struct rte_mbuf *s)
{
	s->next = NULL;
	if (c->sq_tail != NULL)
		c->sq_tail->next = s;
	else
		c->sq_head = s;
	c->sq_tail = s;
	c->sq_tail_w = tcp_seg_writable(s);
	c->sq_bytes += s->data_len;
	c->sq_nsegs++;
}

/* Copy into the queue; returns bytes taken (fewer if mbufs ran out). */
static uint32_t
tcp_sq_append_copy(struct stk_tcp_conn *c, const uint8_t *data, uint32_t len)
{
	struct stk_ctx *ctx = c->ctx;
	uint32_t done = 0;

	while (done < len) {
		struct rte_mbuf *t = c->sq_tail;
		uint32_t room = tcp_sq_tailroom(c), n;

		if (room == 0) {
			t = rte_pktmbuf_alloc(ctx->mp);
			if (t == NULL) {
				ctx->drops[STK_DROP_NO_MBUF]++;
				break;
			}
			tcp_sq_link(c, t);
			room = rte_pktmbuf_tailroom(t);
		}
		n = RTE_MIN(room, len - done);
		memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), data + done, n);
		t->data_len += n;
		c->sq_bytes += n;
		done += n;
	}
	return done;
}

/* Take the chain's segments into the queue (zero copy); empty segments are
 * freed on the way. */
static void
tcp_sq_append_chain(struct stk_tcp_conn *c, struct rte_mbuf *m)
{
	struct rte_mbuf *s = m, *n;

	while (s != NULL) {
		n = s->next;
		if (s->data_len == 0) {
			s->next = NULL;
			rte_pktmbuf_free_seg(s);
		} else {
			tcp_sq_link(c, s);
		}
		s = n;
	}
}

/* Drop acknowledged bytes from the head; returns how many. */
uint32_t
tcp_sq_ack(struct stk_tcp_conn *c, uint32_t ack)
{
	uint32_t end = c->sq_seq + c->sq_bytes, n, left;

	if (!seq_gt(ack, c->sq_seq))
		return 0;
	n = seq_min(ack, end) - c->sq_seq;
	left = n;
	while (left > 0 && c->sq_head != NULL) {
		struct rte_mbuf *s = c->sq_head;

		if (left < s->data_len) {
			s->data_off += left;
			s->data_len -= left;
			left = 0;
			break;
		}
		left -= s->data_len;
		c->sq_head = s->next;
		if (c->sq_cur == s)
			c->sq_cur = NULL;
		s->next = NULL;
		rte_pktmbuf_free_seg(s);
		c->sq_nsegs--;
	}
	if (c->sq_head == NULL)
		c->sq_tail = NULL;
	c->sq_seq += n;
	c->sq_bytes -= n;
	if (c->sq_cur != NULL && c->sq_cur == c->sq_head)
		c->sq_cur_seq = c->sq_seq;
	return n;
}

/* The queued mbuf holding sequence @seq, @off bytes into it; *@s_seq is
 * the sequence of its first byte. The cursor makes the usual case (sending
 * at SND.NXT, just after the last segment) O(1) instead of a walk from the
 * head. */
static struct rte_mbuf *
tcp_sq_find(const struct stk_tcp_conn *c, uint32_t seq, uint32_t *off, uint32_t *s_seq)
{
	struct rte_mbuf *s;
	uint32_t q;

	if (c->sq_cur != NULL && seq_ge(seq, c->sq_cur_seq)) {
		s = c->sq_cur;
		q = c->sq_cur_seq;
	} else {
		s = c->sq_head;
		q = c->sq_seq;
	}
	*off = seq - q;
	while (s != NULL && *off >= s->data_len) {
		*off -= s->data_len;
		q += s->data_len;
		s = s->next;
	}
	*s_seq = q;
	return s;
}

/* Copy @len queued bytes starting at sequence @seq into @dst. */
void
tcp_sq_copy(struct stk_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t *dst)
{
	struct rte_mbuf *s;
	uint32_t s_seq, off;

	s = tcp_sq_find(c, seq, &off, &s_seq);
	while (len > 0 && s != NULL) {
		uint32_t n = RTE_MIN((uint32_t)s->data_len - off, len);

		memcpy(dst, rte_pktmbuf_mtod_offset(s, const uint8_t *, off), n);
		dst += n;
		len -= n;
		off += n;
		c->sq_cur = s;
		c->sq_cur_seq = s_seq;
		if (off == s->data_len) {
			s_seq += s->data_len;
			s = s->next;
			off = 0;
		}
	}
}

/* Zero copy: a chain of indirect mbufs referencing the @len queued bytes
 * from @seq, in *@head. The queue keeps its own references (the bytes are
 * there for retransmission); a buffer goes back to its pool once the queue
 * and every segment sent from it let go. Returns the chain's length, or 0
 * if it would be longer than @max or mbufs ran out: the caller copies. */
unsigned int
tcp_sq_ref(struct stk_tcp_conn *c, uint32_t seq, uint32_t len, unsigned int max,
	   struct rte_mbuf **head)
{
	struct rte_mbuf *ref[STK_TX_SEGS_MAX], *first, *s;
	uint32_t off0, off, s_seq, left;
	unsigned int n = 0, i;

	max = RTE_MIN(max, (unsigned int)RTE_DIM(ref));
	first = tcp_sq_find(c, seq, &off0, &s_seq);
	for (s = first, off = off0, left = len; left > 0; s = s->next, off = 0) {
		if (s == NULL || n == max)
			return 0;
		left -= RTE_MIN((uint32_t)s->data_len - off, left);
		n++;
	}
	if (n == 0 || rte_pktmbuf_alloc_bulk(c->ctx->mp, ref, n) != 0)
		return 0;
	for (i = 0, s = first, off = off0, left = len; i < n; i++, s = s->next, off = 0) {
		uint32_t k = RTE_MIN((uint32_t)s->data_len - off, left);
		struct rte_mbuf *mi = ref[i];

		rte_pktmbuf_attach(mi, s);
		mi->data_off = (uint16_t)(mi->data_off + off);
		mi->data_len = (uint16_t)k;
		mi->pkt_len = k;
		mi->ol_flags &= STK_OL_KEEP;
		if (i > 0)
			ref[i - 1]->next = mi;
		left -= k;
		c->sq_cur = s;
		c->sq_cur_seq = s_seq;
		s_seq += s->data_len;
	}
	ref[0]->nb_segs = (uint16_t)n;
	ref[0]->pkt_len = len;
	*head = ref[0];
	return n;
}

/* Drop @n bytes from the front of the chain @m (freeing emptied
 * segments); the new head, or NULL if nothing is left. */
struct rte_mbuf *
tcp_chain_adj(struct rte_mbuf *m, uint32_t n)
{
	uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
	uint16_t nb = m->nb_segs;

	if (n >= pkt_len) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	while (n > 0 && n >= m->data_len) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		pkt_len -= m->data_len;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
		nb--;
	}
	m->data_off += n;
	m->data_len -= n;
	m->pkt_len = pkt_len - n;
	m->nb_segs = nb;
	return m;
}

uint32_t
tcp_rcv_space(const struct stk_tcp_conn *c)
{
	uint32_t buf = c->ctx->tcp->rcvbuf;

	return buf > c->rcv_held ? buf - c->rcv_held : 0;
}

/* ---- context ---- */

static int
tcp_dynfield_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "stk_tcp_ooo",
		.size = sizeof(struct tcp_mb),
		.align = __alignof__(struct tcp_mb),
	};

	if (stk_tcp_mb_off >= 0)
		return 0;
	stk_tcp_mb_off = rte_mbuf_dynfield_register(&desc);
	return stk_tcp_mb_off < 0 ? -rte_errno : 0;
}

static uint32_t
tcp_def(uint32_t v, uint32_t def)
{
	return v != 0 ? v : def;
}

int
stk_tcp_init(struct stk_ctx *ctx, const struct stk_conf *conf)
{
	const struct stk_tcp_conf *tc = &conf->tcp;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(tc->max_conns, 8u),
		.key_len = sizeof(struct tcp_key),
		.hash_func = rte_jhash,
		.socket_id = conf->socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct stk_tcp *tcp;
	uint32_t room;
	int32_t max_id;
	int ret;

	if (tc->max_conns == 0)
		return 0;
	if (tc->port_lo > tc->port_hi || (tc->port_lo == 0 && tc->port_hi != 0) ||
	    tc->delack_ms > 500 /* RFC 9293 MUST-40 */)
		return -EINVAL;
	ret = tcp_dynfield_register();
	if (ret != 0)
		return ret;
	tcp = rte_zmalloc_socket("stk_tcp", sizeof(*tcp), RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (tcp == NULL)
		return -ENOMEM;
	ctx->tcp = tcp;
	tcp->ctx = ctx;
	hp.hash_func_init_val = (uint32_t)rte_rand();
	snprintf(name, sizeof(name), "stk_tcp_%s", conf->name);
	tcp->hash = rte_hash_create(&hp);
	if (tcp->hash == NULL)
		return rte_errno != 0 ? -rte_errno : -ENOMEM;
	max_id = rte_hash_max_key_id(tcp->hash);
	if (max_id < 0)
		return -EINVAL;
	tcp->n_slots = (uint32_t)max_id + 1;
	tcp->conns = rte_zmalloc_socket("stk_tcp_conns", sizeof(*tcp->conns) * tcp->n_slots,
					RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (tcp->conns == NULL)
		return -ENOMEM;

	tcp->max_conns = tc->max_conns;
	tcp->max_tw = tc->max_time_wait != 0 ? tc->max_time_wait : RTE_MAX(tc->max_conns / 4, 1u);
	tcp->ms_ticks = RTE_MAX(conf->hz / 1000, (uint64_t)1);
	tcp->port_reuse_ms = tcp_def(tc->time_wait_ms, 60000); /* 2 MSL */
	tcp->tw_ticks = stk_ms_to_ticks(conf->hz, tcp->port_reuse_ms);
	tcp->ts_idle_ticks = stk_ms_to_ticks(conf->hz, (uint32_t)TCP_TS_IDLE_MS);
	tcp->fw2_ticks = tc->fin_wait_2_ms != 0 ? stk_ms_to_ticks(conf->hz, tc->fin_wait_2_ms)
						: tcp->tw_ticks;
	tcp->r2_ticks = stk_ms_to_ticks(conf->hz, tcp_def(tc->r2_ms, 100000));
	/* RFC 9293 MUST-23: R2 for a SYN at least 3 minutes */
	tcp->r2_syn_ticks = stk_ms_to_ticks(conf->hz, RTE_MAX(tc->r2_syn_ms, 180000u));
	tcp->rto_init = stk_ms_to_ticks(conf->hz, 1000); /* RFC 6298 2.1 */
	tcp->rto_min = stk_ms_to_ticks(conf->hz, tcp_def(tc->rto_min_ms, 1000));
	tcp->rto_max = stk_ms_to_ticks(conf->hz, tcp_def(tc->rto_max_ms, 60000));
	if (tcp->rto_max < tcp->rto_min)
		tcp->rto_max = tcp->rto_min;
	tcp->delack_ticks = stk_ms_to_ticks(conf->hz, tcp_def(tc->delack_ms, 40));
	tcp->ka_idle = stk_ms_to_ticks(conf->hz, tcp_def(tc->keepalive_idle_s, 7200) * 1000u);
	tcp->ka_intvl = stk_ms_to_ticks(conf->hz, tcp_def(tc->keepalive_intvl_s, 75) * 1000u);
	tcp->ka_probes = tcp_def(tc->keepalive_probes, 9);
	tcp->sndbuf = tcp_def(tc->sndbuf, 65536);
	tcp->rcvbuf = tcp_def(tc->rcvbuf, 65536);
	tcp->ooo_max_bytes = tcp_def(tc->ooo_max_bytes, tcp->rcvbuf);
	tcp->ooo_max_segs = tcp_def(tc->ooo_max_segs, 64);
	tcp->syn_backlog = tcp_def(tc->syn_backlog, 256);
	tcp->chack_per_s = tcp_def(tc->challenge_ack_per_s, 10);
	tcp->keepalive = tc->keepalive;
	tcp->nodelay = tc->nodelay;
	tcp->ts = !tc->no_timestamps;
	tcp->sack = !tc->no_sack;
	tcp->ws = !tc->no_wscale;
	tcp->port_lo = tc->port_lo != 0 ? tc->port_lo : 49152;
	tcp->port_hi = tc->port_hi != 0 ? tc->port_hi : 65535;
	tcp->port_ok = tc->port_ok;
	tcp->port_ok_arg = tc->port_ok_arg;
	tcp->port_used_ms = rte_zmalloc_socket("stk_tcp_ports",
					       sizeof(uint32_t) * (tcp->port_hi - tcp->port_lo + 1u),
					       RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (tcp->port_used_ms == NULL)
		return -ENOMEM;
	/* a segment is built in one mbuf: the payload must fit beside the
	 * largest headers */
	room = rte_pktmbuf_data_room_size(conf->mp);
	room = room > RTE_PKTMBUF_HEADROOM + TCP_HDRS + TCP_OPT_MAX
		       ? room - RTE_PKTMBUF_HEADROOM - TCP_HDRS - TCP_OPT_MAX
		       : 0;
	if (room < 64)
		return -EINVAL;
	tcp->seg_room = (uint16_t)RTE_MIN(room, (uint32_t)UINT16_MAX);
	tcp->tx_copy_max = tcp_def(tc->tx_copy_max, STK_TCP_TX_COPY_MAX);
	/* RFC 7323 2.3: the smallest shift that lets the window cover rcvbuf */
	while (tcp->ws && tcp->rcv_wscale < TCP_MAX_WSCALE &&
	       (tcp->rcvbuf >> tcp->rcv_wscale) > UINT16_MAX)
		tcp->rcv_wscale++;
	if (!tcp->ws && tcp->rcvbuf > UINT16_MAX)
		tcp->rcvbuf = UINT16_MAX;
	tcp->wheel_tick_ticks = tcp->ms_ticks * TCP_WHEEL_TICK_MS;
	tcp->wheel_cur = ctx->now / tcp->wheel_tick_ticks;
	tcp->isn_key[0] = rte_rand();
	tcp->isn_key[1] = rte_rand();
	tcp_ts_key_init(tcp->ts_key);
	tcp->cookie_key[0] = rte_rand();
	tcp->cookie_key[1] = rte_rand();
	tcp->syncookies = !tc->no_syncookies;
	return 0;
}

void
stk_tcp_fini(struct stk_ctx *ctx)
{
	struct stk_tcp *tcp = ctx->tcp;
	uint32_t i;

	if (tcp == NULL)
		return;
	if (tcp->conns != NULL) {
		for (i = 0; i < tcp->n_slots; i++) {
			struct stk_tcp_conn *c = &tcp->conns[i];

			if (c->ctx == NULL)
				continue;
			tcp_sq_purge(c);
			tcp_ooo_purge(c);
		}
		rte_free(tcp->conns);
	}
	rte_hash_free(tcp->hash);
	rte_free(tcp->port_used_ms);
	rte_free(tcp);
	ctx->tcp = NULL;
}

/* ---- listeners ---- */

int
stk_tcp_listen(struct stk_ctx *ctx, uint16_t port, const struct stk_tcp_ops *ops, void *arg)
{
	struct stk_tcp *tcp;
	unsigned int i;

	if (ctx == NULL || port == 0 || ops == NULL)
		return -EINVAL;
	tcp = ctx->tcp;
	if (tcp == NULL)
		return -ENOTSUP;
	if (tcp->lst_idx[port] != 0)
		return -EEXIST;
	for (i = 0; i < TCP_MAX_LISTENERS; i++) {
		struct tcp_listener *l = &tcp->lst[i];

		if (l->used)
			continue;
		memset(l, 0, sizeof(*l));
		l->used = true;
		l->port = port;
		l->ops = ops;
		l->arg = arg;
		tcp->lst_idx[port] = (uint8_t)(i + 1);
		tcp->state_count[STK_TCP_LISTEN]++;
		return 0;
	}
	return -ENOSPC;
}

int
stk_tcp_unlisten(struct stk_ctx *ctx, uint16_t port)
{
	struct stk_tcp *tcp;
	uint32_t i;
	uint8_t idx;

	if (ctx == NULL || ctx->tcp == NULL)
		return -EINVAL;
	tcp = ctx->tcp;
	idx = tcp->lst_idx[port];
	if (idx == 0)
		return -ENOENT;
	/* half-open connections of this listener go with it */
	tcp_enter(tcp);
	for (i = 0; i < tcp->n_slots; i++) {
		struct stk_tcp_conn *c = &tcp->conns[i];

		if (c->ctx != NULL && c->lst == idx && (c->flags & CF_HALF_OPEN)) {
			tcp_send_rst(c);
			tcp_conn_done(c);
		}
	}
	tcp->lst_idx[port] = 0;
	tcp->lst[idx - 1].used = false;
	tcp->state_count[STK_TCP_LISTEN]--;
	tcp_leave(tcp);
	tcp_api_flush(ctx);
	return 0;
}

/* ---- active open ---- */

static bool
tcp_tuple_free(struct stk_tcp *tcp, const struct tcp_key *k)
{
	return rte_hash_lookup(tcp->hash, k) < 0;
}

static bool
tcp_port_usable(struct stk_tcp *tcp, struct tcp_key *k, uint16_t port)
{
	struct stk_tcp_tuple t;

	k->lport = rte_cpu_to_be_16(port);
	if (tcp->lst_idx[port] != 0 || !tcp_tuple_free(tcp, k))
		return false;
	if (tcp->port_ok == NULL)
		return true;
	t.local_ip = k->lip;
	t.remote_ip = k->rip;
	t.local_port = port;
	t.remote_port = rte_be_to_cpu_16(k->rport);
	return tcp->port_ok(tcp->port_ok_arg, &t);
}

/*
 * RFC 6056 3.3.1 (Algorithm 1): start at a random port of the range and
 * take the first whose 4-tuple is free — preferring one that no active
 * open took in the last 2 MSL. A purely random choice hands out a port
 * again a few connections later about once per thousand opens (birthday
 * odds over 16384 ports); if the server closed first it still holds that
 * 4-tuple in TIME-WAIT, and when its millisecond timestamps cannot tell
 * the two incarnations apart (RFC 6191) it answers the SYN with an ACK and
 * the connection waits a SYN retransmission (1 s). So up to
 * TCP_PORT_TRIES ports are looked at and the least recently used free one
 * is taken, which keeps the choice as unpredictable (T14) while making a
 * quick reuse need every candidate to be recent. Four are enough: even at
 * 700 k connections/s (bench/tcp crr), when all 16 384 ports come round
 * every ~22 ms, the chance that four random ones were all used in the last
 * millisecond is ~4e-6. Cost in that benchmark, cycles per connection:
 * 3 535 with one try, 3 691 with four, 3 773 with sixteen.
 */
#define TCP_PORT_TRIES 4

static int
tcp_ephemeral_port(struct stk_tcp *tcp, struct tcp_key *k)
{
	uint32_t num = (uint32_t)tcp->port_hi - tcp->port_lo + 1;
	uint32_t next = (uint32_t)rte_rand_max(num), count, tries = 0;
	uint32_t now = tcp_ms_now(tcp->ctx) + 1, best_age = 0, best = num;

	for (count = 0; count < num && tries < TCP_PORT_TRIES; count++) {
		uint32_t i = (next + count) % num, used = tcp->port_used_ms[i];
		uint32_t age = used == 0 ? UINT32_MAX : now - used;

		/* a port younger than the best so far cannot win: skip the
		 * table lookup (when every port is recent, as under a high
		 * connection rate, this saves most of them) */
		if (best != num && age <= best_age) {
			tries++;
			continue;
		}
		if (!tcp_port_usable(tcp, k, (uint16_t)(tcp->port_lo + i)))
			continue;
		if (age >= tcp->port_reuse_ms) {
			best = i;
			break;
		}
		tries++;
		best = i;
		best_age = age;
	}
	if (best == num)
		return -EADDRINUSE;
	k->lport = rte_cpu_to_be_16((uint16_t)(tcp->port_lo + best));
	tcp->port_used_ms[best] = now == 0 ? 1 : now;
	return 0;
}

int
stk_tcp_connect(struct stk_ctx *ctx, uint32_t dst_ip, uint16_t dst_port, uint16_t src_port,
		const struct stk_tcp_ops *ops, void *arg, struct stk_tcp_conn **out)
{
	const struct stk_if *ifx;
	struct stk_tcp *tcp;
	struct stk_tcp_conn *c;
	struct tcp_key k;
	uint32_t nexthop;
	int ret;

	if (ctx == NULL || out == NULL || dst_port == 0)
		return -EINVAL;
	tcp = ctx->tcp;
	if (tcp == NULL)
		return -ENOTSUP;
	ifx = stk_ip4_route(ctx, dst_ip, &nexthop);
	if (ifx == NULL)
		return -ENETUNREACH;
	/* RFC 9293 MUST-46: no OPEN to a broadcast or multicast address */
	if (dst_ip == 0 || stk_ip4_martian(ifx, dst_ip))
		return -EINVAL;
	k.lip = ifx->ip;
	k.rip = dst_ip;
	k.rport = rte_cpu_to_be_16(dst_port);
	tcp_enter(tcp);
	if (!tcp_make_room(tcp)) {
		ret = -ENOSPC;
		goto out;
	}
	if (src_port != 0) {
		k.lport = rte_cpu_to_be_16(src_port);
		if (!tcp_tuple_free(tcp, &k)) {
			ret = -EADDRINUSE;
			goto out;
		}
	} else {
		ret = tcp_ephemeral_port(tcp, &k);
		if (ret != 0)
			goto out;
	}
	c = tcp_conn_new(tcp, &k);
	if (c == NULL) {
		ret = -ENOSPC;
		goto out;
	}
	c->flags |= CF_ACTIVE | CF_ATTACHED;
	c->ifx = (uint8_t)ifx->idx;
	c->nexthop = nexthop;
	c->ops = ops;
	c->arg = arg;
	tcp_conn_init_common(c);
	c->iss = tcp_isn(tcp, &k);
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = c->iss;
	c->sq_seq = c->iss + 1;
	c->recover = c->iss;
	c->mss = (uint16_t)RTE_MIN((uint32_t)TCP_MSS_DEFAULT, (uint32_t)tcp->seg_room);
	tcp_set_state(c, STK_TCP_SYN_SENT);
	ret = tcp_send_syn(c);
	if (ret != 0) {
		tcp_conn_free(tcp, c);
		goto out;
	}
	*out = c;
	ret = 0;
out:
	tcp_leave(tcp);
	tcp_api_flush(ctx);
	return ret;
}

/* ---- the service's calls on a connection ---- */

static bool
tcp_usable(const struct stk_tcp_conn *c)
{
	return c != NULL && c->ctx != NULL && (c->flags & (CF_ATTACHED | CF_DEAD)) == CF_ATTACHED;
}

static int
tcp_can_send(const struct stk_tcp_conn *c)
{
	if (!tcp_usable(c))
		return -ENOTCONN;
	if (c->flags & CF_FIN_QUEUED)
		return -EPIPE;
	switch (c->state) {
	case STK_TCP_SYN_SENT:
	case STK_TCP_SYN_RECEIVED:
	case STK_TCP_ESTABLISHED:
	case STK_TCP_CLOSE_WAIT:
		return 0;
	default:
		return -ENOTCONN;
	}
}

uint32_t
stk_tcp_send_space(const struct stk_tcp_conn *c)
{
	uint32_t buf;

	if (tcp_can_send(c) != 0)
		return 0;
	buf = c->ctx->tcp->sndbuf;
	return buf > c->sq_bytes ? buf - c->sq_bytes : 0;
}

static void
tcp_api_output(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx = c->ctx;

	tcp_enter(ctx->tcp);
	tcp_output(c);
	tcp_leave(ctx->tcp);
	tcp_api_flush(ctx);
}

/* stk_tcp_send() and stk_tcp_send_urgent(): copy what fits, mark it
 * urgent if asked (len 0: what is queued already), send. */
static int
tcp_send_copy(struct stk_tcp_conn *c, const void *data, uint32_t len, bool urgent)
{
	uint32_t n = 0;
	int ret = tcp_can_send(c);

	if (ret != 0)
		return ret;
	if (len > 0) {
		n = RTE_MIN(len, stk_tcp_send_space(c));
		if (n == 0)
			return 0;
		n = tcp_sq_append_copy(c, data, n);
		if (n == 0)
			return -ENOBUFS;
	}
	if (urgent) {
		c->snd_up = c->sq_seq + c->sq_bytes;
		c->flags |= CF_SND_UP;
	}
	if (tcp_synchronized(c->state) && (n > 0 || urgent))
		tcp_api_output(c);
	return (int)RTE_MIN(n, (uint32_t)INT32_MAX);
}

int
stk_tcp_send(struct stk_tcp_conn *c, const void *data, uint32_t len)
{
	return tcp_send_copy(c, data, len, false);
}

int
stk_tcp_send_mbuf(struct stk_tcp_conn *c, struct rte_mbuf *m)
{
	struct rte_mbuf *t;
	uint32_t len;
	int ret = tcp_can_send(c);

	if (ret != 0)
		return ret;
	if (m == NULL)
		return -EINVAL;
	if (stk_tcp_send_space(c) == 0)
		return -ENOBUFS;
	len = rte_pktmbuf_pkt_len(m);
	t = c->sq_tail;
	if (len <= tcp_sq_tailroom(c)) {
		/* small writes (a header, a line) share a buffer instead of
		 * holding one mbuf each */
		uint8_t *dst = rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len);
		const void *src = rte_pktmbuf_read(m, 0, len, dst);

		if (src != dst)
			memcpy(dst, src, len);
		t->data_len += len;
		c->sq_bytes += len;
		rte_pktmbuf_free(m);
	} else {
		tcp_sq_append_chain(c, m);
	}
	if (tcp_synchronized(c->state))
		tcp_api_output(c);
	return 0;
}

/* RFC 9293 3.10.2 SEND with the urgent flag: SND.UP after the last
 * urgent byte (MUST-62, RFC 6093); tcp_output.c marks the segments. */
int
stk_tcp_send_urgent(struct stk_tcp_conn *c, const void *data, uint32_t len)
{
	return tcp_send_copy(c, data, len, true);
}

uint32_t
stk_tcp_urgent_pending(const struct stk_tcp_conn *c)
{
	if (c == NULL || c->ctx == NULL || !(c->flags & CF_RCV_UP) ||
	    !seq_gt(c->rcv_up, c->rcv_nxt))
		return 0;
	return c->rcv_up - c->rcv_nxt;
}

void
stk_tcp_recved(struct stk_tcp_conn *c, uint32_t len)
{
	struct stk_tcp *tcp;
	uint32_t right, thresh;

	if (!tcp_usable(c))
		return;
	tcp = c->ctx->tcp;
	c->rcv_held -= RTE_MIN(len, c->rcv_held);
	if (!tcp_synchronized(c->state) || c->state == STK_TCP_TIME_WAIT)
		return;
	/* RFC 9293 3.8.6.2.2: tell the peer only about a worthwhile opening */
	right = c->rcv_nxt + RTE_MIN(tcp_rcv_space(c), (uint32_t)UINT16_MAX << c->rcv_wscale);
	thresh = RTE_MIN(tcp->rcvbuf / 2, (uint32_t)c->rcv_mss);
	if (seq_gt(right, c->rcv_adv) && right - c->rcv_adv >= thresh) {
		c->flags |= CF_ACK_NOW;
		tcp_api_output(c);
	}
}

int
stk_tcp_shutdown(struct stk_tcp_conn *c)
{
	if (!tcp_usable(c))
		return -ENOTCONN;
	if (c->flags & CF_FIN_QUEUED)
		return 0;
	/* RFC 9293 3.10.4 CLOSE: FIN after the data queued so far */
	switch (c->state) {
	case STK_TCP_SYN_SENT:
	case STK_TCP_SYN_RECEIVED:
		c->flags |= CF_FIN_QUEUED; /* sent once established */
		return 0;
	case STK_TCP_ESTABLISHED:
		c->flags |= CF_FIN_QUEUED;
		tcp_set_state(c, STK_TCP_FIN_WAIT_1);
		break;
	case STK_TCP_CLOSE_WAIT:
		c->flags |= CF_FIN_QUEUED;
		tcp_set_state(c, STK_TCP_LAST_ACK);
		break;
	default:
		return -ENOTCONN;
	}
	tcp_api_output(c);
	return 0;
}

void
stk_tcp_close(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx;

	if (!tcp_usable(c))
		return;
	ctx = c->ctx;
	if (c->state == STK_TCP_SYN_SENT) {
		/* RFC 9293 3.10.4: nothing was sent yet, delete the TCB */
		c->flags &= ~CF_ATTACHED;
		tcp_enter(ctx->tcp);
		tcp_conn_done(c);
		tcp_leave(ctx->tcp);
		return;
	}
	stk_tcp_shutdown(c);
	tcp_enter(ctx->tcp);
	c->flags &= ~CF_ATTACHED;
	c->rcv_held = 0;
	if (c->state == STK_TCP_FIN_WAIT_2)
		tcp_timer_set(c, TT_END, ctx->now + ctx->tcp->fw2_ticks);
	tcp_leave(ctx->tcp);
}

void
stk_tcp_abort(struct stk_tcp_conn *c)
{
	struct stk_ctx *ctx;

	if (!tcp_usable(c))
		return;
	ctx = c->ctx;
	c->flags &= ~CF_ATTACHED;
	tcp_enter(ctx->tcp);
	/* RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> from synchronized states */
	if (c->state != STK_TCP_SYN_SENT)
		tcp_send_rst(c);
	tcp_conn_done(c);
	tcp_leave(ctx->tcp);
	tcp_api_flush(ctx);
}

void
stk_tcp_abort_all(struct stk_ctx *ctx)
{
	struct stk_tcp *tcp;
	uint32_t i;

	if (ctx == NULL || ctx->tcp == NULL)
		return;
	tcp = ctx->tcp;
	tcp_enter(tcp);
	for (i = 0; i < tcp->n_slots; i++) {
		struct stk_tcp_conn *c = &tcp->conns[i];

		if (c->ctx == NULL || (c->flags & CF_DEAD))
			continue;
		if (c->state != STK_TCP_SYN_SENT && c->state != STK_TCP_TIME_WAIT)
			tcp_send_rst(c);
		tcp_notify_close(c, STK_TCP_CLOSE_ABORT);
		tcp_conn_done(c);
	}
	tcp_leave(tcp);
	tcp_api_flush(ctx);
}

void
stk_tcp_set_nodelay(struct stk_tcp_conn *c, bool on)
{
	if (!tcp_usable(c))
		return;
	if (on) {
		c->flags |= CF_NODELAY;
		if (tcp_synchronized(c->state))
			tcp_api_output(c);
	} else {
		c->flags &= ~CF_NODELAY;
	}
}

int
stk_tcp_set_dscp(struct stk_tcp_conn *c, uint8_t dscp)
{
	if (!tcp_usable(c) || dscp > 63)
		return -EINVAL;
	c->tos = (uint8_t)(dscp << 2); /* ECN bits 0: sluice does not do ECN */
	return 0;
}

void
stk_tcp_set_keepalive(struct stk_tcp_conn *c, bool on)
{
	if (!tcp_usable(c))
		return;
	if (on) {
		c->flags |= CF_KEEPALIVE;
		tcp_keep_arm(c);
	} else {
		c->flags &= ~CF_KEEPALIVE;
		tcp_timer_clear(c, TT_KEEP);
	}
}

void
stk_tcp_set_arg(struct stk_tcp_conn *c, void *arg)
{
	if (c != NULL)
		c->arg = arg;
}

enum stk_tcp_state
stk_tcp_get_state(const struct stk_tcp_conn *c)
{
	if (c == NULL || c->ctx == NULL)
		return STK_TCP_CLOSED;
	return (enum stk_tcp_state)c->state;
}

void
stk_tcp_get_tuple(const struct stk_tcp_conn *c, struct stk_tcp_tuple *t)
{
	t->local_ip = c->key.lip;
	t->remote_ip = c->key.rip;
	t->local_port = rte_be_to_cpu_16(c->key.lport);
	t->remote_port = rte_be_to_cpu_16(c->key.rport);
}

struct stk_ctx *
stk_tcp_get_ctx(const struct stk_tcp_conn *c)
{
	return c->ctx;
}

void
stk_tcp_state_counts(const struct stk_ctx *ctx, uint32_t *counts)
{
	if (ctx->tcp == NULL) {
		memset(counts, 0, sizeof(uint32_t) * STK_TCP_NSTATES);
		return;
	}
	memcpy(counts, ctx->tcp->state_count, sizeof(ctx->tcp->state_count));
}

bool
stk_tcp_enabled(const struct stk_ctx *ctx)
{
	return ctx->tcp != NULL;
}

uint32_t
stk_tcp_mbufs_held(const struct stk_ctx *ctx)
{
	const struct stk_tcp *tcp = ctx->tcp;
	uint32_t i, n = 0;

	if (tcp == NULL)
		return 0;
	for (i = 0; i < tcp->n_slots; i++) {
		const struct stk_tcp_conn *c = &tcp->conns[i];
		struct rte_mbuf *q;

		if (c->ctx == NULL)
			continue;
		n += c->sq_nsegs;
		for (q = c->ooo; q != NULL; q = tcp_mb(q)->next)
			n += q->nb_segs;
	}
	return n;
}
