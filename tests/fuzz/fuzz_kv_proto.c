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
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		fprintf(stderr, "kv_proto: one piece and split%s differ: closed %d/%d, events %llu/%llu\n",
			pause ? " with pauses" : "", ca, cb, (unsigned long long)fz_a.n,
			(unsigned long long)fz_b.n);
		abort();
	}
	return 0;
}
