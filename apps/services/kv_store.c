/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv storage (see kv_store.h for the design). Why not rte_hash: its keys
 * have one fixed length, memcached's go up to 250 bytes, so every lookup
 * would hash and compare 250 bytes; and the LRU, the slabs and the CAS
 * counter need a writer lock anyway. The chains here are read with
 * acquire loads and written under the lock with release stores, which is
 * what rte_hash's lock-free mode does too; reclamation is DPDK's
 * rte_rcu_qsbr with its defer queue.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "kv_proto.h"
#include "kv_store.h"

#define KV_CLASSES 64
#define KV_CHUNK_MIN 96
#define KV_PAGE_MIN (1u << 20)
#define KV_DQ_SIZE (1u << 16)
#define KV_EVICT_TRIES 32
#define KV_HDR sizeof(struct kv_item)

enum kv_chunk {
	KV_CHUNK_FREE,
	KV_CHUNK_ALLOC,	  /* from kv_store_alloc(), not put yet */
	KV_CHUNK_LINKED,  /* in the table */
	KV_CHUNK_RETIRED, /* in the defer queue */
};

struct kv_class {
	uint32_t size;
	struct kv_item *free; /* via h_next */
	struct kv_item *head, *tail; /* LRU: head most recent */
	uint32_t pages;
};

struct kv_store {
	rte_spinlock_t lock;
	struct kv_item **buckets;
	uint32_t mask;
	uint32_t n_classes;
	struct kv_class cls[KV_CLASSES];
	uint8_t *arena;
	size_t arena_len;
	uint32_t page_size;
	uint32_t pages_total, pages_used;
	uint8_t *page_cls; /* owner class of each page */
	uint32_t steal_next;
	uint32_t item_max;
	uint64_t cas_next;
	uint64_t flush_cas;  /* items with a lower CAS are flushed */
	uint32_t flush_time; /* items stored at or before it die once now >= it */
	uint32_t sweep;	     /* kv_store_expire_step()'s next bucket */
	struct kv_store_stats st;
	struct rte_rcu_qsbr *qs;
	struct rte_rcu_qsbr_dq *dq;
	unsigned int max_threads;
};

static inline uint32_t
item_total(uint8_t nkey, uint32_t nbytes)
{
	return (uint32_t)KV_HDR + nkey + nbytes + 2;
}

bool
kv_store_item_dead(const struct kv_store *s, const struct kv_item *it, uint32_t now)
{
	uint32_t exp = __atomic_load_n(&it->exptime, __ATOMIC_RELAXED);
	uint32_t ft = __atomic_load_n(&s->flush_time, __ATOMIC_RELAXED);

	if (exp != 0 && exp <= now)
		return true;
	if (it->cas < __atomic_load_n(&s->flush_cas, __ATOMIC_RELAXED))
		return true;
	return ft != 0 && ft <= now && it->time <= ft;
}

/* ---- slabs ---- */

static void
dq_free(void *p, void *e, unsigned int n)
{
	struct kv_store *s = p;
	struct kv_item **items = e;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct kv_item *it = items[i];
		struct kv_class *c = &s->cls[it->cls];

		it->linked = KV_CHUNK_FREE;
		it->h_next = c->free;
		c->free = it;
	}
}

static void
lru_unlink(struct kv_store *s, struct kv_item *it)
{
	struct kv_class *c = &s->cls[it->cls];

	if (it->prev != NULL)
		it->prev->next = it->next;
	else
		c->head = it->next;
	if (it->next != NULL)
		it->next->prev = it->prev;
	else
		c->tail = it->prev;
	it->prev = it->next = NULL;
}

static void
lru_push(struct kv_store *s, struct kv_item *it)
{
	struct kv_class *c = &s->cls[it->cls];

	it->prev = NULL;
	it->next = c->head;
	if (c->head != NULL)
		c->head->prev = it;
	c->head = it;
	if (c->tail == NULL)
		c->tail = it;
	__atomic_store_n(&it->ref, 0, __ATOMIC_RELAXED);
}

/* Back to the slab once no reader can hold it. */
static void
retire(struct kv_store *s, struct kv_item *it)
{
	it->linked = KV_CHUNK_RETIRED;
	if (rte_rcu_qsbr_dq_enqueue(s->dq, &it) == 0)
		return;
	/* queue full even after its own reclaim: wait for the readers (they
	 * never wait for this lock while online) and empty it */
	rte_rcu_qsbr_synchronize(s->qs, RTE_QSBR_THRID_INVALID);
	rte_rcu_qsbr_dq_reclaim(s->dq, KV_DQ_SIZE, NULL, NULL, NULL);
	if (rte_rcu_qsbr_dq_enqueue(s->dq, &it) != 0) {
		rte_rcu_qsbr_synchronize(s->qs, RTE_QSBR_THRID_INVALID);
		dq_free(s, &it, 1);
	}
}

static struct kv_item **
chain_find(struct kv_store *s, uint32_t hv, const char *key, uint8_t nkey)
{
	struct kv_item **pp = &s->buckets[hv & s->mask];

	for (; *pp != NULL; pp = &(*pp)->h_next) {
		const struct kv_item *it = *pp;

		if (it->hv == hv && it->nkey == nkey && memcmp(it->key, key, nkey) == 0)
			return pp;
	}
	return pp;
}

/* Take @it (at *pp) out of the table and the LRU. */
static void
unlink_at(struct kv_store *s, struct kv_item **pp, struct kv_item *it)
{
	__atomic_store_n(pp, it->h_next, __ATOMIC_RELEASE);
	lru_unlink(s, it);
	s->st.curr_items--;
	s->st.bytes -= item_total(it->nkey, it->nbytes);
	retire(s, it);
}

static void
unlink_item(struct kv_store *s, struct kv_item *it)
{
	struct kv_item **pp = chain_find(s, it->hv, it->key, it->nkey);

	if (*pp == it)
		unlink_at(s, pp, it);
}

/* Put @nw where *pp (the live @old, or the chain's end) is. */
static void
link_at(struct kv_store *s, struct kv_item **pp, struct kv_item *old, struct kv_item *nw)
{
	nw->cas = ++s->cas_next;
	nw->linked = KV_CHUNK_LINKED;
	nw->h_next = old != NULL ? old->h_next : NULL;
	if (old == NULL) {
		/* at the head: readers see the new item or not, both fine */
		struct kv_item **b = &s->buckets[nw->hv & s->mask];

		nw->h_next = *b;
		pp = b;
	}
	__atomic_store_n(pp, nw, __ATOMIC_RELEASE);
	lru_push(s, nw);
	s->st.curr_items++;
	s->st.total_items++;
	s->st.bytes += item_total(nw->nkey, nw->nbytes);
	if (old != NULL) {
		lru_unlink(s, old);
		s->st.curr_items--;
		s->st.bytes -= item_total(old->nkey, old->nbytes);
		retire(s, old);
	}
}

static void
page_carve(struct kv_store *s, struct kv_class *c, uint32_t pg)
{
	uint8_t *page = s->arena + (size_t)pg * s->page_size;
	uint32_t off;

	s->page_cls[pg] = (uint8_t)(c - s->cls);
	c->pages++;
	for (off = 0; off + c->size <= s->page_size; off += c->size) {
		struct kv_item *it = (struct kv_item *)(void *)(page + off);

		it->cls = (uint8_t)(c - s->cls);
		it->linked = KV_CHUNK_FREE;
		it->h_next = c->free;
		c->free = it;
	}
}

static bool
class_grow(struct kv_store *s, struct kv_class *c)
{
	if (s->pages_used == s->pages_total)
		return false;
	page_carve(s, c, s->pages_used++);
	return true;
}

/* Move a page of another class to @c: its items are evicted, its free
 * chunks leave that class's free list, and after a grace period (no
 * reader can still be in it) it is carved for @c. false if every page
 * holds a chunk that is allocated but not put yet, or belongs to @c. */
static bool
page_steal(struct kv_store *s, struct kv_class *c)
{
	uint32_t want = (uint32_t)(c - s->cls), i, pg = 0, off;
	struct kv_class *v;
	struct kv_item **fp;
	uint8_t *page;
	bool found = false;

	/* every retired chunk back on its free list first */
	rte_rcu_qsbr_synchronize(s->qs, RTE_QSBR_THRID_INVALID);
	rte_rcu_qsbr_dq_reclaim(s->dq, KV_DQ_SIZE, NULL, NULL, NULL);
	for (i = 0; i < s->pages_used && !found; i++) {
		pg = (s->steal_next + i) % s->pages_used;
		if (s->page_cls[pg] == want)
			continue;
		v = &s->cls[s->page_cls[pg]];
		page = s->arena + (size_t)pg * s->page_size;
		found = true;
		for (off = 0; off + v->size <= s->page_size && found; off += v->size) {
			const struct kv_item *it = (const struct kv_item *)(const void *)(page + off);

			if (it->linked == KV_CHUNK_ALLOC || it->linked == KV_CHUNK_RETIRED)
				found = false;
		}
	}
	if (!found)
		return false;
	s->steal_next = pg + 1;
	v = &s->cls[s->page_cls[pg]];
	page = s->arena + (size_t)pg * s->page_size;
	for (off = 0; off + v->size <= s->page_size; off += v->size) {
		struct kv_item *it = (struct kv_item *)(void *)(page + off);
		struct kv_item **pp;

		if (it->linked != KV_CHUNK_LINKED)
			continue;
		pp = chain_find(s, it->hv, it->key, it->nkey);
		if (*pp == it)
			__atomic_store_n(pp, it->h_next, __ATOMIC_RELEASE);
		lru_unlink(s, it);
		it->linked = KV_CHUNK_FREE;
		s->st.curr_items--;
		s->st.bytes -= item_total(it->nkey, it->nbytes);
		s->st.evictions++;
	}
	for (fp = &v->free; *fp != NULL;) {
		uint8_t *p = (uint8_t *)*fp;

		if (p >= page && p < page + s->page_size)
			*fp = (*fp)->h_next;
		else
			fp = &(*fp)->h_next;
	}
	v->pages--;
	rte_rcu_qsbr_synchronize(s->qs, RTE_QSBR_THRID_INVALID);
	page_carve(s, c, pg);
	return true;
}

/* Free the LRU tail of @c: dead items first, else the least recently
 * read (second chance). true if something went to the defer queue. */
static bool
class_evict(struct kv_store *s, struct kv_class *c, uint32_t now)
{
	int tries;

	for (tries = 0; tries < KV_EVICT_TRIES && c->tail != NULL; tries++) {
		struct kv_item *it = c->tail;

		if (kv_store_item_dead(s, it, now)) {
			s->st.expired++;
			unlink_item(s, it);
			return true;
		}
		if (__atomic_load_n(&it->ref, __ATOMIC_RELAXED) && tries < KV_EVICT_TRIES - 1) {
			lru_unlink(s, it);
			lru_push(s, it);
			continue;
		}
		s->st.evictions++;
		unlink_item(s, it);
		return true;
	}
	return false;
}

static struct kv_item *
alloc_locked(struct kv_store *s, uint32_t total, uint32_t now)
{
	struct kv_class *c;
	struct kv_item *it;
	uint32_t i;

	for (i = 0; i < s->n_classes && s->cls[i].size < total; i++)
		;
	if (i == s->n_classes)
		return NULL;
	c = &s->cls[i];
	if (c->free == NULL && !class_grow(s, c)) {
		rte_rcu_qsbr_dq_reclaim(s->dq, KV_DQ_SIZE, NULL, NULL, NULL);
		if (c->free == NULL) {
			if (class_evict(s, c, now)) {
				/* what was evicted is ours once the readers moved on */
				rte_rcu_qsbr_synchronize(s->qs, RTE_QSBR_THRID_INVALID);
				rte_rcu_qsbr_dq_reclaim(s->dq, KV_DQ_SIZE, NULL, NULL, NULL);
			} else if (!page_steal(s, c)) {
				return NULL;
			}
		}
	}
	it = c->free;
	if (it == NULL)
		return NULL;
	c->free = it->h_next;
	it->linked = KV_CHUNK_ALLOC;
	return it;
}

/* ---- the store ---- */

struct kv_store *
kv_store_create(const struct kv_store_conf *conf)
{
	struct rte_rcu_qsbr_dq_parameters dqp;
	struct kv_store *s;
	uint32_t size, nb;
	size_t qsz;
	char name[32];
	static unsigned int seq;

	if (conf->memory == 0 || conf->item_max == 0 || conf->max_threads == 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	rte_spinlock_init(&s->lock);
	s->item_max = conf->item_max;
	s->max_threads = conf->max_threads;
	s->page_size = RTE_ALIGN_CEIL(RTE_MAX(KV_PAGE_MIN, item_total(KV_KEY_MAX, conf->item_max)),
				      4096);
	s->pages_total = (uint32_t)RTE_MAX(conf->memory / s->page_size, 1);
	s->arena_len = (size_t)s->pages_total * s->page_size;
	s->st.limit = conf->memory;
	s->st.pages_total = s->pages_total;
	for (size = KV_CHUNK_MIN; s->n_classes < KV_CLASSES - 1 && size < s->page_size / 2;
	     size = RTE_ALIGN_CEIL(size * 5 / 4, 8))
		s->cls[s->n_classes++].size = size;
	s->cls[s->n_classes++].size = s->page_size;
	for (nb = 1024; nb < conf->memory / 128 && nb < (1u << 26); nb <<= 1)
		;
	s->mask = nb - 1;
	s->buckets = calloc(nb, sizeof(*s->buckets));
	s->page_cls = calloc(s->pages_total, 1);
	s->arena = mmap(NULL, s->arena_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->arena == MAP_FAILED)
		s->arena = NULL;
	qsz = rte_rcu_qsbr_get_memsize(conf->max_threads);
	s->qs = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(qsz, RTE_CACHE_LINE_SIZE));
	if (s->buckets == NULL || s->page_cls == NULL || s->arena == NULL || s->qs == NULL ||
	    rte_rcu_qsbr_init(s->qs, conf->max_threads) != 0)
		goto fail;
	snprintf(name, sizeof(name), "kv_dq%u", __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	memset(&dqp, 0, sizeof(dqp));
	dqp.name = name;
	dqp.size = KV_DQ_SIZE;
	dqp.esize = sizeof(struct kv_item *);
	dqp.trigger_reclaim_limit = 64;
	dqp.max_reclaim_size = 256;
	dqp.free_fn = dq_free;
	dqp.p = s;
	dqp.v = s->qs;
	s->dq = rte_rcu_qsbr_dq_create(&dqp);
	if (s->dq == NULL)
		goto fail;
	return s;
fail:
	kv_store_free(s);
	errno = ENOMEM;
	return NULL;
}

void
kv_store_free(struct kv_store *s)
{
	if (s == NULL)
		return;
	if (s->dq != NULL) {
		rte_rcu_qsbr_dq_reclaim(s->dq, KV_DQ_SIZE, NULL, NULL, NULL);
		rte_rcu_qsbr_dq_delete(s->dq);
	}
	free(s->qs);
	if (s->arena != NULL)
		munmap(s->arena, s->arena_len);
	free(s->buckets);
	free(s->page_cls);
	free(s);
}

int
kv_store_thread_register(struct kv_store *s, unsigned int tid)
{
	if (tid >= s->max_threads)
		return -EINVAL;
	return rte_rcu_qsbr_thread_register(s->qs, tid);
}

void
kv_store_thread_unregister(struct kv_store *s, unsigned int tid)
{
	rte_rcu_qsbr_thread_offline(s->qs, tid);
	rte_rcu_qsbr_thread_unregister(s->qs, tid);
}

void
kv_store_read_begin(struct kv_store *s, unsigned int tid)
{
	rte_rcu_qsbr_thread_online(s->qs, tid);
}

void
kv_store_read_end(struct kv_store *s, unsigned int tid)
{
	rte_rcu_qsbr_thread_offline(s->qs, tid);
}

const struct kv_item *
kv_store_get(struct kv_store *s, const char *key, uint8_t nkey, uint32_t now)
{
	uint32_t hv = rte_hash_crc(key, nkey, 0);
	struct kv_item *it = __atomic_load_n(&s->buckets[hv & s->mask], __ATOMIC_ACQUIRE);

	for (; it != NULL; it = __atomic_load_n(&it->h_next, __ATOMIC_ACQUIRE)) {
		if (it->hv != hv || it->nkey != nkey || memcmp(it->key, key, nkey) != 0)
			continue;
		if (kv_store_item_dead(s, it, now))
			return NULL;
		if (it->atime != now)
			__atomic_store_n(&it->atime, now, __ATOMIC_RELAXED);
		if (!__atomic_load_n(&it->ref, __ATOMIC_RELAXED))
			__atomic_store_n(&it->ref, 1, __ATOMIC_RELAXED);
		return it;
	}
	return NULL;
}

struct kv_item *
kv_store_alloc(struct kv_store *s, const char *key, uint8_t nkey, uint32_t flags,
	       uint32_t exptime, uint32_t nbytes, uint32_t now, enum kv_res *res)
{
	struct kv_item *it;

	if (nbytes > s->item_max) {
		*res = KV_TOO_LARGE;
		return NULL;
	}
	rte_spinlock_lock(&s->lock);
	it = alloc_locked(s, item_total(nkey, nbytes), now);
	rte_spinlock_unlock(&s->lock);
	if (it == NULL) {
		*res = KV_NO_MEMORY;
		return NULL;
	}
	it->hv = rte_hash_crc(key, nkey, 0);
	it->nkey = nkey;
	it->nbytes = nbytes;
	it->flags = flags;
	it->exptime = exptime;
	it->time = now;
	it->atime = now;
	it->cas = 0;
	it->ref = 0;
	it->prev = it->next = NULL;
	memcpy(it->key, key, nkey);
	memcpy(kv_item_value(it) + nbytes, "\r\n", 2);
	*res = KV_STORED;
	return it;
}

static void
release_locked(struct kv_store *s, struct kv_item *it)
{
	struct kv_class *c = &s->cls[it->cls];

	it->linked = KV_CHUNK_FREE;
	it->h_next = c->free;
	c->free = it;
}

void
kv_store_release(struct kv_store *s, struct kv_item *it)
{
	if (it == NULL)
		return;
	rte_spinlock_lock(&s->lock);
	release_locked(s, it); /* never published: no reader has it */
	rte_spinlock_unlock(&s->lock);
}

/* The live item for the key (*pp points at it), or NULL; a dead one met
 * on the way is freed. */
static struct kv_item *
find_live(struct kv_store *s, uint32_t hv, const char *key, uint8_t nkey, uint32_t now,
	  struct kv_item ***ppp)
{
	struct kv_item **pp = chain_find(s, hv, key, nkey);
	struct kv_item *it = *pp;

	if (it != NULL && kv_store_item_dead(s, it, now)) {
		s->st.expired++;
		unlink_at(s, pp, it);
		pp = chain_find(s, hv, key, nkey);
		it = NULL;
	}
	*ppp = pp;
	return it;
}

enum kv_res
kv_store_put(struct kv_store *s, struct kv_item *it, enum kv_store_mode mode, uint64_t cas,
	     uint32_t now, uint64_t *cas_out)
{
	struct kv_item **pp, *old, *nw;
	enum kv_res res = KV_STORED;

	rte_spinlock_lock(&s->lock);
	old = find_live(s, it->hv, it->key, it->nkey, now, &pp);
	switch (mode) {
	case KV_SET:
		break;
	case KV_ADD:
		if (old != NULL) {
			/* memcached: a failed add still refreshes the LRU */
			lru_unlink(s, old);
			lru_push(s, old);
			res = KV_NOT_STORED;
		}
		break;
	case KV_REPLACE:
		if (old == NULL)
			res = KV_NOT_STORED;
		break;
	case KV_CAS:
		if (old == NULL)
			res = KV_NOT_FOUND;
		else if (old->cas != cas)
			res = KV_EXISTS;
		break;
	case KV_APPEND:
	case KV_PREPEND:
		if (old == NULL) {
			res = KV_NOT_STORED;
			break;
		}
		if ((uint64_t)old->nbytes + it->nbytes > s->item_max) {
			res = KV_TOO_LARGE;
			break;
		}
		nw = alloc_locked(s, item_total(old->nkey, old->nbytes + it->nbytes), now);
		if (nw == NULL) {
			res = KV_NO_MEMORY;
			break;
		}
		/* the eviction may have taken the old item */
		old = find_live(s, it->hv, it->key, it->nkey, now, &pp);
		if (old == NULL) {
			release_locked(s, nw);
			res = KV_NOT_STORED;
			break;
		}
		{
			uint8_t cls = nw->cls;

			memcpy(nw, old, KV_HDR + old->nkey);
			nw->cls = cls;
		}
		nw->nbytes = old->nbytes + it->nbytes;
		nw->time = now;
		nw->atime = now;
		if (mode == KV_APPEND) {
			memcpy(kv_item_value(nw), kv_item_value(old), old->nbytes);
			memcpy(kv_item_value(nw) + old->nbytes, kv_item_value(it), it->nbytes);
		} else {
			memcpy(kv_item_value(nw), kv_item_value(it), it->nbytes);
			memcpy(kv_item_value(nw) + it->nbytes, kv_item_value(old), old->nbytes);
		}
		memcpy(kv_item_value(nw) + nw->nbytes, "\r\n", 2);
		release_locked(s, it);
		it = nw;
		break;
	}
	if (res == KV_STORED) {
		link_at(s, pp, old, it);
		if (cas_out != NULL)
			*cas_out = it->cas;
	} else {
		release_locked(s, it);
	}
	rte_spinlock_unlock(&s->lock);
	return res;
}

enum kv_res
kv_store_delete(struct kv_store *s, const char *key, uint8_t nkey, uint64_t cas, uint32_t now)
{
	uint32_t hv = rte_hash_crc(key, nkey, 0);
	struct kv_item **pp, *it;
	enum kv_res res = KV_NOT_FOUND;

	rte_spinlock_lock(&s->lock);
	it = find_live(s, hv, key, nkey, now, &pp);
	if (it != NULL && cas != 0 && it->cas != cas) {
		res = KV_EXISTS;
	} else if (it != NULL) {
		unlink_at(s, pp, it);
		res = KV_DELETED;
	}
	rte_spinlock_unlock(&s->lock);
	return res;
}

enum kv_res
kv_store_arith(struct kv_store *s, const char *key, uint8_t nkey, const struct kv_arith *a,
	       uint32_t now, uint64_t *value, uint64_t *cas_out)
{
	uint32_t hv = rte_hash_crc(key, nkey, 0);
	struct kv_item **pp, *old, *nw;
	char digits[24];
	uint64_t v;
	uint32_t len, total;
	enum kv_res res = KV_STORED;

	rte_spinlock_lock(&s->lock);
	old = find_live(s, hv, key, nkey, now, &pp);
	if (old == NULL && !a->vivify) {
		res = KV_NOT_FOUND;
		goto out;
	}
	if (old != NULL && a->cas != 0 && old->cas != a->cas) {
		res = KV_EXISTS;
		goto out;
	}
	if (old == NULL) {
		v = a->initial;
	} else {
		if (old->nbytes == 0 || !kv_parse_u64(kv_item_value(old), old->nbytes, &v)) {
			res = KV_NON_NUMERIC;
			goto out;
		}
		if (a->incr)
			v += a->delta; /* wraps at 2^64, as memcached */
		else
			v = a->delta > v ? 0 : v - a->delta;
	}
	len = (uint32_t)snprintf(digits, sizeof(digits), "%" PRIu64, v);
	total = old != NULL && len <= old->nbytes ? old->nbytes : len;
	nw = alloc_locked(s, item_total(nkey, total), now);
	if (nw == NULL) {
		res = KV_NO_MEMORY;
		goto out;
	}
	old = find_live(s, hv, key, nkey, now, &pp); /* eviction may have taken it */
	nw->hv = hv;
	nw->nkey = nkey;
	nw->nbytes = total;
	nw->flags = old != NULL ? old->flags : 0;
	nw->exptime = old != NULL ? __atomic_load_n(&old->exptime, __ATOMIC_RELAXED) : a->exptime;
	if (a->set_exptime)
		nw->exptime = a->exptime;
	nw->time = nw->atime = now;
	memcpy(nw->key, key, nkey);
	memcpy(kv_item_value(nw), digits, len);
	memset(kv_item_value(nw) + len, ' ', total - len);
	memcpy(kv_item_value(nw) + total, "\r\n", 2);
	link_at(s, pp, old, nw);
	*value = v;
	if (cas_out != NULL)
		*cas_out = nw->cas;
out:
	rte_spinlock_unlock(&s->lock);
	return res;
}

enum kv_res
kv_store_touch(struct kv_store *s, const char *key, uint8_t nkey, uint32_t exptime, uint32_t now)
{
	uint32_t hv = rte_hash_crc(key, nkey, 0);
	struct kv_item **pp, *it;
	enum kv_res res = KV_NOT_FOUND;

	rte_spinlock_lock(&s->lock);
	it = find_live(s, hv, key, nkey, now, &pp);
	if (it != NULL) {
		__atomic_store_n(&it->exptime, exptime, __ATOMIC_RELAXED);
		lru_unlink(s, it);
		lru_push(s, it);
		res = KV_TOUCHED;
	}
	rte_spinlock_unlock(&s->lock);
	return res;
}

void
kv_store_flush(struct kv_store *s, uint32_t when, uint32_t now)
{
	rte_spinlock_lock(&s->lock);
	if (when <= now) {
		/* memcached's oldest_cas: everything stored so far */
		__atomic_store_n(&s->flush_cas, ++s->cas_next, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&s->flush_time, when - 1, __ATOMIC_RELAXED);
	}
	rte_spinlock_unlock(&s->lock);
}

void
kv_store_expire_step(struct kv_store *s, uint32_t now, uint32_t buckets)
{
	uint32_t b;

	rte_spinlock_lock(&s->lock);
	for (b = 0; b < buckets && b <= s->mask; b++) {
		struct kv_item **pp = &s->buckets[s->sweep];

		while (*pp != NULL) {
			struct kv_item *it = *pp;

			if (kv_store_item_dead(s, it, now)) {
				s->st.expired++;
				unlink_at(s, pp, it);
			} else {
				pp = &it->h_next;
			}
		}
		s->sweep = (s->sweep + 1) & s->mask;
	}
	rte_rcu_qsbr_dq_reclaim(s->dq, KV_DQ_SIZE, NULL, NULL, NULL);
	rte_spinlock_unlock(&s->lock);
}

void
kv_store_stats_read(const struct kv_store *s, struct kv_store_stats *st)
{
	*st = s->st;
	st->pages_used = s->pages_used;
}
