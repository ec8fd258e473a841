/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv cases of bench/sluice-micro (see micro_kv.h). The table is the kv
 * service's own (apps/services/kv_store.c); the forwarded case runs its
 * partner on a pthread pinned to the other CPU (CPU 1 when the main lcore
 * is on 0), spinning on its ring as an lcore would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "../apps/services/kv_store.h"
#include "micro_kv.h"

#define KV_B_VALUE 32
#define KV_B_BURST 32
#define KV_B_T0 1700000000u

struct kv_b_req {
	char key[16];
	uint8_t nkey;
	uint8_t hit;
	char value[KV_B_VALUE];
};

struct bench_kv {
	enum bench_kv_kind kind;
	struct kv_store *s;
	uint32_t keys;
	struct rte_ring *to, *back;
	pthread_t th;
	volatile int stop;
	char out[KV_B_VALUE];
	struct kv_b_req req[KV_B_BURST];
};

static char kv_b_err[256];

const char *
bench_kv_error(void)
{
	return kv_b_err;
}

static int
kv_b_fill(struct bench_kv *b)
{
	uint32_t i;

	for (i = 0; i < b->keys; i++) {
		char k[16];
		int n = snprintf(k, sizeof(k), "key:%08u", i);
		enum kv_res res;
		struct kv_item *it =
			kv_store_alloc(b->s, k, (uint8_t)n, 0, 0, KV_B_VALUE, KV_B_T0, &res);

		if (it == NULL)
			return -ENOMEM;
		memset(kv_item_value(it), 'a' + (int)(i % 26), KV_B_VALUE);
		kv_store_put(b->s, it, KV_SET, 0, KV_B_T0, NULL);
	}
	return 0;
}

static void
kv_b_key(const struct bench_kv *b, char *k, uint8_t *n)
{
	*n = (uint8_t)snprintf(k, 16, "key:%08u", (uint32_t)(rte_rand() % b->keys));
}

/* the partner lcore of the forwarded case: owns the table, answers */
static void *
kv_b_partner(void *arg)
{
	struct bench_kv *b = arg;
	cpu_set_t cpus;
	void *r[KV_B_BURST];

	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	while (!b->stop) {
		unsigned int n = rte_ring_sc_dequeue_burst(b->to, r, KV_B_BURST, NULL), i;

		for (i = 0; i < n; i++) {
			struct kv_b_req *q = r[i];
			/* its own partition: no other thread reads it, no RCU */
			const struct kv_item *it = kv_store_get(b->s, q->key, q->nkey, KV_B_T0);

			q->hit = it != NULL;
			if (it != NULL)
				memcpy(q->value, kv_item_value(it), KV_B_VALUE);
		}
		if (n > 0)
			while (rte_ring_sp_enqueue_burst(b->back, r, n, NULL) == 0 && !b->stop)
				;
	}
	return NULL;
}

struct bench_kv *
bench_kv_setup(enum bench_kv_kind kind, int64_t keys)
{
	struct kv_store_conf sc = {.memory = 256u << 20, .item_max = 1 << 20, .max_threads = 4};
	struct bench_kv *b = calloc(1, sizeof(*b));
	static unsigned int seq;
	char name[32];

	if (b == NULL)
		return NULL;
	b->kind = kind;
	b->keys = (uint32_t)keys;
	b->s = kv_store_create(&sc);
	if (b->s == NULL || kv_store_thread_register(b->s, 0) != 0 || kv_b_fill(b) != 0) {
		snprintf(kv_b_err, sizeof(kv_b_err), "kv store set-up failed");
		bench_kv_teardown(b);
		return NULL;
	}
	if (kind == BENCH_KV_GET_FORWARDED) {
		snprintf(name, sizeof(name), "kvb_to%u", seq);
		b->to = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "kvb_back%u", seq++);
		b->back = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (b->to == NULL || b->back == NULL ||
		    pthread_create(&b->th, NULL, kv_b_partner, b) != 0) {
			snprintf(kv_b_err, sizeof(kv_b_err), "rings/thread: %s",
				 rte_strerror(rte_errno));
			bench_kv_teardown(b);
			return NULL;
		}
	}
	return b;
}

uint64_t
bench_kv_run(struct bench_kv *b)
{
	unsigned int i, got = 0;
	void *r[KV_B_BURST];

	switch (b->kind) {
	case BENCH_KV_GET_SHARED:
		for (i = 0; i < KV_B_BURST; i++) {
			char k[16];
			uint8_t n;
			const struct kv_item *it;

			kv_b_key(b, k, &n);
			kv_store_read_begin(b->s, 0);
			it = kv_store_get(b->s, k, n, KV_B_T0);
			if (it != NULL)
				memcpy(b->out, kv_item_value(it), KV_B_VALUE);
			kv_store_read_end(b->s, 0);
		}
		return KV_B_BURST;
	case BENCH_KV_SET_SHARED:
		for (i = 0; i < KV_B_BURST; i++) {
			char k[16];
			uint8_t n;
			enum kv_res res;
			struct kv_item *it;

			kv_b_key(b, k, &n);
			it = kv_store_alloc(b->s, k, n, 0, 0, KV_B_VALUE, KV_B_T0, &res);
			if (it == NULL)
				continue;
			memset(kv_item_value(it), 'z', KV_B_VALUE);
			kv_store_put(b->s, it, KV_SET, 0, KV_B_T0, NULL);
		}
		return KV_B_BURST;
	case BENCH_KV_GET_FORWARDED:
		for (i = 0; i < KV_B_BURST; i++) {
			kv_b_key(b, b->req[i].key, &b->req[i].nkey);
			r[i] = &b->req[i];
		}
		while (rte_ring_sp_enqueue_burst(b->to, r, KV_B_BURST, NULL) == 0)
			;
		while (got < KV_B_BURST)
			got += rte_ring_sc_dequeue_burst(b->back, r, KV_B_BURST - got, NULL);
		for (i = 0; i < KV_B_BURST; i++)
			memcpy(b->out, b->req[i].value, KV_B_VALUE);
		return KV_B_BURST;
	}
	return 0;
}

int
bench_kv_teardown(struct bench_kv *b)
{
	if (b == NULL)
		return 0;
	if (b->to != NULL && b->back != NULL && b->th) {
		b->stop = 1;
		pthread_join(b->th, NULL);
	}
	rte_ring_free(b->to);
	rte_ring_free(b->back);
	kv_store_free(b->s);
	free(b);
	return 0;
}
