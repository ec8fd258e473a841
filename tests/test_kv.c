/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv: the memcached text-protocol parser (kv_proto) and the shared table
 * (kv_store). The parser is driven by byte streams built here and its
 * callbacks recorded as a trace; the store on virtual time (every call
 * takes "now"), so expiry tests are exact.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_random.h>

#include "../apps/services/kv_proto.h"
#include "../apps/services/kv_store.h"
#include "fixture.h"

/* ---- parser: a recorder ---- */

struct rec {
	char trace[1 << 16];
	size_t len;
	char data[1 << 12];
	int pause_every; /* pause every event's first delivery */
	int paused;	 /* the event number that was paused */
	int events;
	bool closed_cb;
};

static void
rec_add(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->trace + r->len, sizeof(r->trace) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0 && r->len + (size_t)n < sizeof(r->trace))
		r->len += (size_t)n;
}

/* true: pause this delivery (the first of every event when pause_every) */
static bool
rec_pause(struct rec *r)
{
	if (!r->pause_every)
		return false;
	if (r->paused != r->events + 1) {
		r->paused = r->events + 1;
		return true;
	}
	r->events++;
	return false;
}

static int
rec_request(void *arg, const struct kv_req *q)
{
	struct rec *r = arg;

	if (rec_pause(r))
		return KV_PAUSE;
	rec_add(r, "[req %d %.*s nr=%d d=%llu e=%d f=%x v=%u a=%s]", q->cmd, q->nkey,
		q->key ? q->key : "", q->noreply, (unsigned long long)q->delta, q->exptime,
		q->mflags, q->verbosity, q->args ? q->args : "");
	return KV_OK;
}

static int
rec_get_key(void *arg, const struct kv_req *q, const char *key, uint8_t nkey)
{
	struct rec *r = arg;

	if (rec_pause(r))
		return KV_PAUSE;
	rec_add(r, "[key %d %.*s e=%d]", q->cmd, nkey, key, q->exptime);
	return KV_OK;
}

static int
rec_get_end(void *arg, const struct kv_req *q)
{
	struct rec *r = arg;

	(void)q;
	if (rec_pause(r))
		return KV_PAUSE;
	rec_add(r, "[end]");
	return KV_OK;
}

static void *
rec_store_begin(void *arg, const struct kv_req *q, int *st)
{
	struct rec *r = arg;

	if (rec_pause(r)) {
		*st = KV_PAUSE;
		return NULL;
	}
	rec_add(r, "[store %d %.*s fl=%u e=%d n=%u cas=%llu nr=%d]", q->cmd, q->nkey, q->key,
		q->flags, q->exptime, q->nbytes, (unsigned long long)q->cas, q->noreply);
	if (q->nbytes > sizeof(r->data))
		return NULL; /* swallow, like a too large value */
	return r->data;
}

static int
rec_store_end(void *arg, const struct kv_req *q, void *buf, bool ok)
{
	struct rec *r = arg;

	if (ok && rec_pause(r))
		return KV_PAUSE;
	assert_ptr_equal(buf, r->data);
	rec_add(r, "[data %d %.*s]", ok, (int)q->nbytes, r->data);
	return KV_OK;
}

static void
rec_reply(void *arg, const char *s, size_t n)
{
	struct rec *r = arg;

	rec_add(r, "<%.*s>", (int)n, s);
}

static const struct kv_proto_ops rec_ops = {
	.request = rec_request,
	.get_key = rec_get_key,
	.get_end = rec_get_end,
	.store_begin = rec_store_begin,
	.store_end = rec_store_end,
	.reply = rec_reply,
};

static struct kv_proto parser;
static struct rec rec_a, rec_b;

/* Feed @in in pieces of @piece bytes (0: random 1..16), resuming after
 * every pause; returns whether the parser closed. */
static bool
feed(struct rec *r, const char *in, size_t len, size_t piece, int pause)
{
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	r->pause_every = pause;
	kv_proto_init(&parser, &rec_ops, r);
	while (off < len && !kv_proto_closed(&parser)) {
		size_t n = piece ? piece : 1 + (size_t)(rte_rand() % 16);
		size_t used;

		if (n > len - off)
			n = len - off;
		used = kv_proto_feed(&parser, in + off, n);
		off += used;
		while (used < n && !kv_proto_closed(&parser)) {
			/* paused: resume with the rest of this piece */
			size_t u = kv_proto_feed(&parser, in + off, n - used);

			used += u;
			off += u;
		}
	}
	while (!kv_proto_closed(&parser) && r->pause_every && r->paused == r->events + 1)
		kv_proto_feed(&parser, NULL, 0); /* a pause on the last event */
	return kv_proto_closed(&parser);
}

static const char pipeline_stream[] =
	"set a 1 0 3\r\nabc\r\n"
	"get a b c\r\n"
	"gets a\r\n"
	"gat 100 a\r\n"
	"add k 5 100 2 noreply\r\nxy\r\n"
	"cas k 0 0 1 99\r\nz\r\n"
	"append k 0 0 1\r\nq\r\n"
	"incr n 5\r\ndecr n 7 noreply\r\n"
	"delete k\r\ndelete k 0\r\ndelete k noreply\r\ndelete k 1\r\n"
	"touch a 10\r\ntouch a x\r\n"
	"flush_all\r\nflush_all 5\r\nflush_all noreply\r\n"
	"version\r\nverbosity 1\r\nverbosity\r\nstats\r\nstats items\r\n"
	"mg a v k f t c s q O123 T30\r\nms b 2 F7 T9 MA\r\nhi\r\nmd b q\r\nma n N0 J5 D3 MD v\r\nmn\r\n"
	"unknown cmd\r\n\r\nget\r\nset a 0 0\r\nset a x 0 1\r\nincr a z\r\n"
	" get  a \r\n"
	"set lf 0 0 1\nx\r\nget lf\n"
	"set bad 0 0 -1\r\n"
	"mg a zz\r\nms c 2 MX\r\nyy\r\n"
	"get a\r\n";

static void
test_proto_commands(void **state)
{
	(void)state;
	assert_false(feed(&rec_a, pipeline_stream, strlen(pipeline_stream), 4096, 0));
	/* a few exact events and replies */
	assert_non_null(strstr(rec_a.trace, "[store 4 a fl=1 e=0 n=3 cas=0 nr=0][data 1 abc]"));
	assert_non_null(strstr(rec_a.trace, "[key 0 a e=0][key 0 b e=0][key 0 c e=0][end]"));
	assert_non_null(strstr(rec_a.trace, "[key 2 a e=100][end]"));
	assert_non_null(strstr(rec_a.trace, "[store 5 k fl=5 e=100 n=2 cas=0 nr=1]"));
	assert_non_null(strstr(rec_a.trace, "[store 9 k fl=0 e=0 n=1 cas=99 nr=0]"));
	assert_non_null(strstr(rec_a.trace, "[req 12 n nr=1 d=7"));
	assert_non_null(strstr(rec_a.trace,
			       "<CLIENT_ERROR bad command line format.  Usage: delete <key> "
			       "[noreply]\r\n>"));
	assert_non_null(strstr(rec_a.trace, "<CLIENT_ERROR invalid exptime argument\r\n>"));
	assert_non_null(strstr(rec_a.trace, "<CLIENT_ERROR invalid numeric delta argument\r\n>"));
	assert_non_null(strstr(rec_a.trace, "<ERROR\r\n><ERROR\r\n><ERROR\r\n><ERROR\r\n>"));
	assert_non_null(strstr(rec_a.trace, "<CLIENT_ERROR invalid flag\r\n>"));
	assert_non_null(strstr(rec_a.trace, "<CLIENT_ERROR invalid mode for ms M token\r\n>"));
	assert_non_null(strstr(rec_a.trace, "[req 16  nr=0 d=0 e=0 f=0 v=0 a=items]"));
	assert_non_null(strstr(rec_a.trace, "[key 0 lf e=0][end]"));
	/* the data block after a bad ms mode is swallowed: no ERROR for "yy" */
	assert_non_null(strstr(rec_a.trace, "token\r\n>[key 0 a e=0][end]"));
}

/* The same stream in one piece, byte by byte, in random pieces, and with
 * every event paused once: the same trace. */
static void
test_proto_split_and_pause(void **state)
{
	size_t len = strlen(pipeline_stream);
	int i;

	(void)state;
	feed(&rec_b, pipeline_stream, len, len, 0);
	feed(&rec_a, pipeline_stream, len, 1, 0);
	assert_string_equal(rec_a.trace, rec_b.trace);
	for (i = 0; i < 50; i++) {
		feed(&rec_a, pipeline_stream, len, 0, 0);
		assert_string_equal(rec_a.trace, rec_b.trace);
	}
	feed(&rec_a, pipeline_stream, len, 7, 1);
	assert_string_equal(rec_a.trace, rec_b.trace);
	feed(&rec_a, pipeline_stream, len, 0, 1);
	assert_string_equal(rec_a.trace, rec_b.trace);
}

static void
test_proto_limits(void **state)
{
	static char big[8192];
	size_t n;
	int i;

	(void)state;
	/* a line over 2048 bytes without '\n' closes, with a reason */
	memset(big, 'x', 3000);
	assert_true(feed(&rec_a, big, 3000, 100, 0));
	assert_string_equal(rec_a.trace, "<CLIENT_ERROR line too long\r\n>");
	/* a data block not ended by \r\n */
	assert_true(feed(&rec_a, "set a 0 0 1\r\nxy\r\nget a\r\n", 24, 3, 0));
	assert_string_equal(rec_a.trace, "[store 4 a fl=0 e=0 n=1 cas=0 nr=0]"
					 "<CLIENT_ERROR bad data chunk\r\n>[data 0 x]");
	/* a get line of 600 keys (over 4 KiB) streams, split anywhere */
	n = (size_t)snprintf(big, sizeof(big), "get");
	for (i = 0; i < 600; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, " key%04d", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nmn\r\n");
	assert_false(feed(&rec_b, big, n, n, 0));
	assert_non_null(strstr(rec_b.trace, "[key 0 key0599 e=0][end][req 23"));
	assert_non_null(strstr(rec_b.trace, "[key 0 key0000 e=0][key 0 key0001 e=0]"));
	feed(&rec_a, big, n, 0, 0);
	assert_string_equal(rec_a.trace, rec_b.trace);
	/* keys: 250 bytes fine, 251 refused before any value */
	n = (size_t)snprintf(big, sizeof(big), "get a %0250d %0251d\r\n", 0, 0);
	feed(&rec_a, big, n, n, 0);
	assert_string_equal(rec_a.trace, "<CLIENT_ERROR bad command line format\r\n>");
	/* too large for the sink: swallowed, the next command parses */
	n = (size_t)snprintf(big, sizeof(big), "set a 0 0 5000\r\n");
	memset(big + n, 'v', 5000);
	n += 5000;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nmn\r\n");
	assert_false(feed(&rec_a, big, n, 0, 0));
	assert_non_null(strstr(rec_a.trace, "n=5000 cas=0 nr=0][req 23"));
	/* quit and an HTTP request line close */
	assert_true(feed(&rec_a, "quit\r\nget a\r\n", 13, 13, 0));
	assert_true(feed(&rec_a, "GET / HTTP/1.1\r\n", 16, 16, 0));
	assert_string_equal(rec_a.trace, "");
}

/* Byte flips and random bytes never crash or overrun (ASan build). */
static void
test_proto_garbage(void **state)
{
	static char buf[sizeof(pipeline_stream)];
	size_t len = strlen(pipeline_stream), i;
	int k;

	(void)state;
	for (i = 0; i < len; i++) {
		memcpy(buf, pipeline_stream, len);
		buf[i] ^= (char)(1 + (i % 255));
		feed(&rec_a, buf, len, 0, 0);
	}
	for (k = 0; k < 200; k++) {
		for (i = 0; i < len; i++)
			buf[i] = (char)rte_rand();
		feed(&rec_a, buf, len, 0, (int)(k & 1));
	}
}

static void
test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(kv_parse_u64("18446744073709551615", 20, &v));
	assert_true(v == UINT64_MAX);
	assert_false(kv_parse_u64("18446744073709551616", 20, &v));
	assert_true(kv_parse_u64("0                   ", 20, &v));
	assert_true(v == 0);
	assert_false(kv_parse_u64("-5", 2, &v) && v > (uint64_t)INT64_MAX);
	assert_false(kv_parse_u64("12ab", 4, &v));
	assert_false(kv_parse_u64("", 0, &v));
}

/* ---- store ---- */

#define T0 1700000000u

static struct kv_store *
store_new(uint64_t mem)
{
	struct kv_store_conf c = {.memory = mem, .item_max = 1 << 20, .max_threads = 4};
	struct kv_store *s = kv_store_create(&c);

	assert_non_null(s);
	assert_int_equal(kv_store_thread_register(s, 0), 0);
	return s;
}

static enum kv_res
put(struct kv_store *s, const char *k, const char *v, uint32_t exp, enum kv_store_mode m,
    uint64_t cas, uint32_t now)
{
	enum kv_res res;
	struct kv_item *it = kv_store_alloc(s, k, (uint8_t)strlen(k), 0, exp, (uint32_t)strlen(v),
					    now, &res);

	if (it == NULL)
		return res;
	memcpy(kv_item_value(it), v, strlen(v));
	return kv_store_put(s, it, m, cas, now, NULL);
}

/* the value, "" when missing */
static const char *
get(struct kv_store *s, const char *k, uint32_t now)
{
	static char out[2048];
	const struct kv_item *it;

	kv_store_read_begin(s, 0);
	it = kv_store_get(s, k, (uint8_t)strlen(k), now);
	out[0] = '\0';
	if (it != NULL) {
		assert_true(it->nbytes < sizeof(out));
		memcpy(out, kv_item_value(it), it->nbytes);
		out[it->nbytes] = '\0';
		assert_memory_equal(kv_item_value(it) + it->nbytes, "\r\n", 2);
	}
	kv_store_read_end(s, 0);
	return out;
}

static void
test_store_modes(void **state)
{
	struct kv_store *s = store_new(8 << 20);
	const struct kv_item *it;
	uint64_t cas;

	(void)state;
	assert_int_equal(put(s, "a", "1", 0, KV_SET, 0, T0), KV_STORED);
	assert_string_equal(get(s, "a", T0), "1");
	assert_int_equal(put(s, "a", "2", 0, KV_ADD, 0, T0), KV_NOT_STORED);
	assert_int_equal(put(s, "b", "2", 0, KV_REPLACE, 0, T0), KV_NOT_STORED);
	assert_int_equal(put(s, "a", "3", 0, KV_REPLACE, 0, T0), KV_STORED);
	assert_int_equal(put(s, "a", "x", 0, KV_APPEND, 0, T0), KV_STORED);
	assert_int_equal(put(s, "a", "y", 0, KV_PREPEND, 0, T0), KV_STORED);
	assert_string_equal(get(s, "a", T0), "y3x");
	assert_int_equal(put(s, "nope", "y", 0, KV_APPEND, 0, T0), KV_NOT_STORED);
	/* cas: the item's unique, a stale one, a missing key */
	kv_store_read_begin(s, 0);
	it = kv_store_get(s, "a", 1, T0);
	cas = it->cas;
	kv_store_read_end(s, 0);
	assert_int_equal(put(s, "a", "c1", 0, KV_CAS, cas + 1, T0), KV_EXISTS);
	assert_int_equal(put(s, "a", "c1", 0, KV_CAS, cas, T0), KV_STORED);
	assert_int_equal(put(s, "a", "c2", 0, KV_CAS, cas, T0), KV_EXISTS);
	assert_int_equal(put(s, "zz", "c2", 0, KV_CAS, cas, T0), KV_NOT_FOUND);
	assert_string_equal(get(s, "a", T0), "c1");
	assert_int_equal(kv_store_delete(s, "a", 1, 0, T0), KV_DELETED);
	assert_int_equal(kv_store_delete(s, "a", 1, 0, T0), KV_NOT_FOUND);
	assert_string_equal(get(s, "a", T0), "");
	kv_store_free(s);
}

static void
test_store_arith(void **state)
{
	struct kv_store *s = store_new(8 << 20);
	struct kv_arith inc = {.incr = true, .delta = 2}, dec = {.incr = false, .delta = 100};
	uint64_t v;

	(void)state;
	assert_int_equal(put(s, "n", "18446744073709551615", 0, KV_SET, 0, T0), KV_STORED);
	assert_int_equal(kv_store_arith(s, "n", 1, &inc, T0, &v, NULL), KV_STORED);
	assert_true(v == 1); /* wraps at 2^64 */
	/* shorter result: the old length, padded with spaces (memcached) */
	assert_string_equal(get(s, "n", T0), "1                   ");
	assert_int_equal(kv_store_arith(s, "n", 1, &dec, T0, &v, NULL), KV_STORED);
	assert_true(v == 0); /* decr stops at 0 */
	assert_int_equal(put(s, "g", "9", 0, KV_SET, 0, T0), KV_STORED);
	assert_int_equal(kv_store_arith(s, "g", 1, &inc, T0, &v, NULL), KV_STORED);
	assert_string_equal(get(s, "g", T0), "11"); /* longer: grows */
	assert_int_equal(put(s, "s", "abc", 0, KV_SET, 0, T0), KV_STORED);
	assert_int_equal(kv_store_arith(s, "s", 1, &inc, T0, &v, NULL), KV_NON_NUMERIC);
	assert_int_equal(put(s, "m", "-5", 0, KV_SET, 0, T0), KV_STORED);
	assert_int_equal(kv_store_arith(s, "m", 1, &inc, T0, &v, NULL), KV_NON_NUMERIC);
	assert_int_equal(kv_store_arith(s, "x", 1, &inc, T0, &v, NULL), KV_NOT_FOUND);
	inc.vivify = true;
	inc.initial = 13;
	assert_int_equal(kv_store_arith(s, "x", 1, &inc, T0, &v, NULL), KV_STORED);
	assert_true(v == 13);
	kv_store_free(s);
}

static void
test_store_expiry(void **state)
{
	struct kv_store *s = store_new(8 << 20);
	struct kv_store_stats st;
	int i;

	(void)state;
	assert_int_equal(put(s, "t", "v", T0 + 10, KV_SET, 0, T0), KV_STORED);
	assert_string_equal(get(s, "t", T0 + 9), "v");
	assert_string_equal(get(s, "t", T0 + 10), "");
	assert_int_equal(put(s, "neg", "v", 1, KV_SET, 0, T0), KV_STORED); /* expired already */
	assert_string_equal(get(s, "neg", T0), "");
	assert_int_equal(kv_store_touch(s, "t", 1, T0 + 100, T0 + 11), KV_NOT_FOUND);
	assert_int_equal(put(s, "t", "v", T0 + 10, KV_SET, 0, T0), KV_STORED);
	assert_int_equal(kv_store_touch(s, "t", 1, T0 + 100, T0 + 5), KV_TOUCHED);
	assert_string_equal(get(s, "t", T0 + 50), "v");
	/* the sweep frees what expired */
	for (i = 0; i < 100; i++) {
		char k[16];

		snprintf(k, sizeof(k), "e%d", i);
		assert_int_equal(put(s, k, "v", T0 + 20, KV_SET, 0, T0), KV_STORED);
	}
	kv_store_stats_read(s, &st);
	assert_true(st.curr_items >= 101);
	kv_store_expire_step(s, T0 + 30, 1u << 30);
	kv_store_stats_read(s, &st);
	assert_int_equal(st.curr_items, 1); /* "t" (exptime T0+100) */
	assert_true(st.expired >= 100);
	/* flush_all: now, then with a delay */
	kv_store_flush(s, 0, T0 + 30);
	assert_string_equal(get(s, "t", T0 + 30), "");
	assert_int_equal(put(s, "f", "v", 0, KV_SET, 0, T0 + 31), KV_STORED);
	assert_string_equal(get(s, "f", T0 + 31), "v");
	kv_store_flush(s, T0 + 40, T0 + 31);
	assert_string_equal(get(s, "f", T0 + 38), "v");
	assert_string_equal(get(s, "f", T0 + 39), "");
	kv_store_free(s);
}

static void
test_store_eviction(void **state)
{
	struct kv_store *s = store_new(2 << 20);
	struct kv_store_stats st;
	char k[16], v[1001];
	int i, n = 5000;

	(void)state;
	memset(v, 'v', 1000);
	v[1000] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "k%05d", i);
		assert_int_equal(put(s, k, v, 0, KV_SET, 0, T0), KV_STORED);
		if (i > 0 && i % 50 == 0)
			assert_string_equal(get(s, "k00000", T0 + 1), v); /* read: kept */
	}
	kv_store_stats_read(s, &st);
	assert_true(st.evictions > 0);
	assert_true(st.bytes <= 2u << 20);
	assert_true(st.curr_items + st.evictions == (uint64_t)n);
	assert_string_equal(get(s, "k04999", T0), v);
	assert_string_equal(get(s, "k00001", T0), ""); /* never read: evicted */
	assert_string_equal(get(s, "k00000", T0), v);  /* read often: second chance */
	/* too large */
	{
		enum kv_res res;

		assert_null(kv_store_alloc(s, "big", 3, 0, 0, (1 << 20) + 1, T0, &res));
		assert_int_equal(res, KV_TOO_LARGE);
	}
	kv_store_free(s);
}

/* Readers on another thread see whole values while a writer replaces them. */
struct race {
	struct kv_store *s;
	volatile bool stop;
	uint64_t reads, bad;
};

static void *
race_reader(void *arg)
{
	struct race *r = arg;

	assert_int_equal(kv_store_thread_register(r->s, 1), 0);
	while (!r->stop) {
		const struct kv_item *it;
		char k[8];

		snprintf(k, sizeof(k), "r%u", (unsigned int)(r->reads % 16));
		kv_store_read_begin(r->s, 1);
		it = kv_store_get(r->s, k, (uint8_t)strlen(k), T0);
		if (it != NULL) {
			const char *val = kv_item_value(it);
			uint32_t i;

			for (i = 1; i < it->nbytes; i++)
				if (val[i] != val[0]) {
					if (r->bad++ == 0)
						fprintf(stderr, "bad %u at %u: %.20s\n", it->nbytes, i, val);
					break;
				}
		}
		kv_store_read_end(r->s, 1);
		r->reads++;
	}
	kv_store_thread_unregister(r->s, 1);
	return NULL;
}

static void
test_store_concurrent_readers(void **state)
{
	static struct race r;
	pthread_t th;
	char k[8], v[600];
	int i;

	(void)state;
	r.s = store_new(4 << 20);
	assert_int_equal(pthread_create(&th, NULL, race_reader, &r), 0);
	for (i = 0; i < 100000; i++) {
		size_t len = 1 + (size_t)(i % 599);

		memset(v, 'a' + i % 26, len);
		v[len] = '\0';
		snprintf(k, sizeof(k), "r%d", i % 16);
		assert_int_equal(put(r.s, k, v, 0, KV_SET, 0, T0), KV_STORED);
	}
	r.stop = true;
	pthread_join(th, NULL);
	assert_true(r.reads > 0);
	assert_int_equal(r.bad, 0);
	kv_store_free(r.s);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_commands),
		cmocka_unit_test(test_proto_split_and_pause),
		cmocka_unit_test(test_proto_limits),
		cmocka_unit_test(test_proto_garbage),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_store_modes),
		cmocka_unit_test(test_store_arith),
		cmocka_unit_test(test_store_expiry),
		cmocka_unit_test(test_store_eviction),
		cmocka_unit_test(test_store_concurrent_readers),
	};

	fx_eal_init("test_kv", NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
