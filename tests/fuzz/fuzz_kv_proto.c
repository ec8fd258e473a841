/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the kv service's memcached protocol parser
 * (apps/services/kv_proto.c), differential.
 *
 * One input: byte 0 selects the mode (bit 0: every callback pauses once
 * before it accepts its event), bytes 1..4 seed the split, the rest is the
 * byte stream a client sends. The stream is parsed twice: in one piece,
 * and cut at pseudo-random boundaries (1..64 bytes, from the seed) with
 * the pauses of the mode. Both must give the same callbacks with the same
 * arguments in the same order and end in the same state (closed or not);
 * anything else aborts. Sanitizers catch reads and writes out of bounds.
 *
 * Seeds: FUZZ_WRITE_SEEDS=<dir> writes corpus/fuzz_kv_proto (write_seeds()),
 * each stream once split and once with pauses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "kv_proto.h"

struct fz_rec {
	uint64_t h; /* FNV-1a of every event */
	uint64_t n;
	bool pause;
	uint64_t paused_at; /* event number paused once, +1 */
	uint8_t data[4096];
};

static void
fz_mix(struct fz_rec *r, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		r->h = (r->h ^ b[i]) * 0x100000001b3ull;
}

static bool
fz_pause(struct fz_rec *r)
{
	if (!r->pause)
		return false;
	if (r->paused_at != r->n + 1) {
		r->paused_at = r->n + 1;
		return true;
	}
	return false;
}

static void
fz_event(struct fz_rec *r, int kind, const struct kv_req *q)
{
	r->n++;
	fz_mix(r, &kind, sizeof(kind));
	fz_mix(r, &q->cmd, sizeof(q->cmd));
	if (q->key != NULL)
		fz_mix(r, q->key, q->nkey);
	fz_mix(r, &q->nkey, sizeof(q->nkey));
	fz_mix(r, &q->noreply, sizeof(q->noreply));
	fz_mix(r, &q->flags, sizeof(q->flags));
	fz_mix(r, &q->exptime, sizeof(q->exptime));
	fz_mix(r, &q->nbytes, sizeof(q->nbytes));
	fz_mix(r, &q->cas, sizeof(q->cas));
	fz_mix(r, &q->delta, sizeof(q->delta));
	fz_mix(r, &q->mflags, sizeof(q->mflags));
	fz_mix(r, &q->mode, sizeof(q->mode));
	if (q->opaque != NULL)
		fz_mix(r, q->opaque, q->nopaque);
	fz_mix(r, q->order, q->norder);
	if (q->args != NULL)
		fz_mix(r, q->args, strlen(q->args));
}

static int
fz_request(void *arg, const struct kv_req *q)
{
	if (fz_pause(arg))
		return KV_PAUSE;
	fz_event(arg, 1, q);
	return KV_OK;
}

static int
fz_get_key(void *arg, const struct kv_req *q, const char *key, uint8_t nkey)
{
	struct fz_rec *r = arg;

	if (fz_pause(r))
		return KV_PAUSE;
	if (nkey == 0 || nkey > KV_KEY_MAX || memchr(key, ' ', nkey) != NULL)
		abort(); /* a key is one token of at most 250 bytes */
	fz_event(r, 2, q);
	fz_mix(r, key, nkey);
	return KV_OK;
}

static int
fz_get_end(void *arg, const struct kv_req *q)
{
	if (fz_pause(arg))
		return KV_PAUSE;
	fz_event(arg, 3, q);
	return KV_OK;
}

static void *
fz_store_begin(void *arg, const struct kv_req *q, int *st)
{
	struct fz_rec *r = arg;

	if (fz_pause(r)) {
		*st = KV_PAUSE;
		return NULL;
	}
	fz_event(r, 4, q);
	return q->nbytes <= sizeof(r->data) ? r->data : NULL;
}

static int
fz_store_end(void *arg, const struct kv_req *q, void *buf, bool ok)
{
	struct fz_rec *r = arg;

	if (ok && fz_pause(r))
		return KV_PAUSE;
	if (buf != r->data)
		abort();
	fz_event(r, ok ? 5 : 6, q);
	fz_mix(r, r->data, q->nbytes);
	return KV_OK;
}

static void
fz_reply(void *arg, const char *s, size_t n)
{
	struct fz_rec *r = arg;

	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n')
		abort(); /* every reply is a CRLF-terminated line */
	r->n++;
	fz_mix(r, s, n);
}

static const struct kv_proto_ops fz_ops = {
	.request = fz_request,
	.get_key = fz_get_key,
	.get_end = fz_get_end,
	.store_begin = fz_store_begin,
	.store_end = fz_store_end,
	.reply = fz_reply,
};

static struct kv_proto fz_p;
static struct fz_rec fz_a, fz_b;

static bool
fz_run(struct fz_rec *r, const uint8_t *d, size_t n, uint32_t seed, bool split, bool pause)
{
	size_t off = 0, iter = 0;
	uint64_t before;

	memset(r, 0, offsetof(struct fz_rec, data));
	r->h = 0xcbf29ce484222325ull;
	r->pause = pause;
	kv_proto_init(&fz_p, &fz_ops, r);
	while (off < n && !kv_proto_closed(&fz_p)) {
		size_t len = n - off, used;

		if (split) {
			seed = seed * 1103515245u + 12345u;
			len = 1 + (seed >> 16) % 64;
			if (len > n - off)
				len = n - off;
		}
		used = kv_proto_feed(&fz_p, d + off, len);
		off += used;
		if (used < len && !pause && !kv_proto_closed(&fz_p))
			abort(); /* only a pause or a close leaves bytes */
		if (++iter > 4 * (n + r->n) + 100)
			abort(); /* a pause must let go on the next call */
	}
	/* pauses on the last events: resume until nothing moves */
	do {
		before = r->n + r->paused_at;
		if (pause && !kv_proto_closed(&fz_p))
			kv_proto_feed(&fz_p, NULL, 0);
	} while (pause && !kv_proto_closed(&fz_p) && r->n + r->paused_at != before);
	return kv_proto_closed(&fz_p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed;
	bool pause, ca, cb;

	if (size < 5)
		return 0;
	pause = data[0] & 1;
	memcpy(&seed, data + 1, 4);
	ca = fz_run(&fz_a, data + 5, size - 5, 0, false, false);
	cb = fz_run(&fz_b, data + 5, size - 5, seed, true, pause);
	if (ca != cb || fz_a.h != fz_b.h || fz_a.n != fz_b.n) {
		fprintf(stderr,
			"kv_proto: one piece and split%s differ: closed %d/%d, events %llu/%llu\n",
			pause ? " with pauses" : "", ca, cb, (unsigned long long)fz_a.n,
			(unsigned long long)fz_b.n);
		abort();
	}
	return 0;
}

/* ---- seeds ---- */

static void
seed(const char *dir, const char *name, const char *text, size_t len)
{
	static uint8_t buf[1 << 14];
	char nm[64];
	int mode;

	if (len + 5 > sizeof(buf))
		abort();
	for (mode = 0; mode < 2; mode++) {
		buf[0] = (uint8_t)mode;
		memcpy(buf + 1, "\x07\x01\x09\x03", 4);
		memcpy(buf + 5, text, len);
		snprintf(nm, sizeof(nm), "%s_%s", name, mode ? "pause" : "split");
		fz_write_seed(dir, nm, buf, len + 5);
	}
}

#define SEED(dir, name, lit) seed(dir, name, lit, sizeof(lit) - 1)

static void
write_seeds(const char *dir)
{
	static char b[1 << 13];
	size_t n;
	int i;

	SEED(dir, "classic",
	     "set a 1 0 3\r\nabc\r\nget a b\r\ngets a\r\nadd a 0 0 1 noreply\r\nx\r\n"
	     "replace a 0 0 1\r\ny\r\nappend a 0 0 1\r\nz\r\nprepend a 0 0 1\r\nw\r\n"
	     "cas a 0 0 1 5\r\nq\r\nincr n 1\r\ndecr n 1 noreply\r\ndelete a\r\n"
	     "delete a 0 noreply\r\ntouch a 10\r\ngat 10 a\r\ngats 10 a b\r\nflush_all 5\r\n"
	     "version\r\nverbosity 1\r\nstats\r\nquit\r\n");
	SEED(dir, "meta",
	     "mg a v k f t c s q O123 T30\r\nms b 2 F7 T9 MA c\r\nhi\r\nmd b q C5\r\n"
	     "ma n N0 J5 D3 MD v t\r\nmn\r\nms c 1 I q k\r\nz\r\nmg c zz\r\nms c 2 MX\r\nyy\r\n");
	SEED(dir, "errors",
	     "foo\r\n\r\nget\r\nset a 0 0\r\nset a x 0 1\r\nincr a z\r\ndelete a 1\r\n"
	     "flush_all x\r\nset a 0 0 -1\r\nset a 0 0 1\r\nxy\r\n");
	SEED(dir, "bare_lf", "set lf 0 0 1\nx\r\nget lf\n get  a   b \r\n");
	SEED(dir, "http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	n = (size_t)snprintf(b, sizeof(b), "get");
	for (i = 0; i < 500; i++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, " key%04d", i);
	n += (size_t)snprintf(b + n, sizeof(b) - n, "\r\nmn\r\n");
	seed(dir, "long_get", b, n);
	memset(b, 'x', 2100);
	seed(dir, "long_line", b, 2100);
	n = (size_t)snprintf(b, sizeof(b), "get a %0251d\r\nset %0251d 0 0 1\r\nx\r\n", 0, 0);
	seed(dir, "long_key", b, n);
	n = (size_t)snprintf(b, sizeof(b), "set big 0 0 5000\r\n");
	memset(b + n, 'v', 5000);
	n += 5000;
	n += (size_t)snprintf(b + n, sizeof(b) - n, "\r\nmn\r\n");
	seed(dir, "swallow", b, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fz_seed_dir();

	(void)argc;
	(void)argv;
	if (dir != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
