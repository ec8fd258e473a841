/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * kv storage: one table shared by every lcore, readers without locks.
 *
 * - Lookups walk a chained hash table with acquire loads and never write
 *   anything but the item's access time; they run between
 *   kv_store_read_begin() and kv_store_read_end() (an RCU read section,
 *   rte_rcu_qsbr online/offline), and an item they found stays readable
 *   until kv_store_read_end().
 * - Every change takes one writer spinlock. Changes never modify an item
 *   a reader can see except its exptime (an atomic store): a new value is
 *   a new item swapped into the chain, and the old one goes to an RCU
 *   defer queue (rte_rcu_qsbr_dq) and back to its slab only after every
 *   reader has left the section it may have seen it in.
 * - Memory: [kv] memory_mb of pages carved into size classes (growth
 *   1.25, as memcached's slabs); a class out of chunks evicts from its own
 *   LRU tail (second chance: an item read since it was queued moves to the
 *   head once instead), and a class with nothing to evict takes a page
 *   from another class (its items evicted, after a grace period). Items that expired or were flushed are freed
 *   lazily (a set, delete or eviction that meets them) and by
 *   kv_store_expire_step().
 *
 * Time is a Unix time in seconds passed by the caller (tests drive it).
 * Write functions must be called outside a read section.
 */
#ifndef KV_STORE_H
#define KV_STORE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kv_store;

struct kv_item {
	struct kv_item *h_next; /* hash chain (readers follow it) */
	struct kv_item *prev, *next; /* LRU, writer only */
	uint64_t cas;
	uint32_t hv;
	uint32_t exptime; /* absolute Unix time; 0 = never; atomic */
	uint32_t time;	  /* stored at */
	uint32_t atime;	  /* last read (relaxed) */
	uint32_t flags;
	uint32_t nbytes; /* value bytes; "\r\n" follows them */
	uint8_t nkey;
	uint8_t cls;
	uint8_t linked; /* enum kv_chunk: free, allocated, linked, retired */
	uint8_t ref;	/* read since it was queued in the LRU (second chance) */
	char key[]; /* nkey bytes, then the value */
};

static inline char *
kv_item_value(const struct kv_item *it)
{
	return (char *)(uintptr_t)(it->key + it->nkey);
}

struct kv_store_conf {
	uint64_t memory;   /**< bytes of item memory ([kv] memory_mb) */
	uint32_t item_max; /**< largest value ([kv] item_max) */
	unsigned int max_threads; /**< reader ids 0..max_threads-1 */
};

enum kv_res {
	KV_STORED,
	KV_NOT_STORED,
	KV_EXISTS,
	KV_NOT_FOUND,
	KV_DELETED,
	KV_TOUCHED,
	KV_NON_NUMERIC,
	KV_NO_MEMORY,
	KV_TOO_LARGE,
};

enum kv_store_mode {
	KV_SET,
	KV_ADD,
	KV_REPLACE,
	KV_APPEND,
	KV_PREPEND,
	KV_CAS,
};

struct kv_store_stats {
	uint64_t curr_items;
	uint64_t total_items;
	uint64_t bytes;
	uint64_t evictions;
	uint64_t expired;   /**< freed because dead (expired or flushed) */
	uint64_t limit;	    /**< memory in bytes */
	uint64_t pages_used, pages_total;
};

/** Create a store; NULL and errno (EINVAL, ENOMEM) on failure. */
struct kv_store *kv_store_create(const struct kv_store_conf *conf);
void kv_store_free(struct kv_store *s);

/** Register reader @p tid (e.g. the lcore id); it starts offline. */
int kv_store_thread_register(struct kv_store *s, unsigned int tid);
void kv_store_thread_unregister(struct kv_store *s, unsigned int tid);

void kv_store_read_begin(struct kv_store *s, unsigned int tid);
void kv_store_read_end(struct kv_store *s, unsigned int tid);

/** Inside a read section: the live item for the key, or NULL. */
const struct kv_item *kv_store_get(struct kv_store *s, const char *key, uint8_t nkey,
				   uint32_t now);

/**
 * A new unlinked item for a value of @p nbytes (to be filled, then given
 * to kv_store_put()), evicting if needed. NULL with *res KV_TOO_LARGE
 * (nbytes > item_max) or KV_NO_MEMORY.
 */
struct kv_item *kv_store_alloc(struct kv_store *s, const char *key, uint8_t nkey,
			       uint32_t flags, uint32_t exptime, uint32_t nbytes, uint32_t now,
			       enum kv_res *res);
/** Give back an item from kv_store_alloc() that was not put. */
void kv_store_release(struct kv_store *s, struct kv_item *it);

/** Store @p it (from kv_store_alloc(), consumed in every case) by @p mode;
 *  @p cas for KV_CAS. *cas_out: the stored item's CAS (may be NULL). */
enum kv_res kv_store_put(struct kv_store *s, struct kv_item *it, enum kv_store_mode mode,
			 uint64_t cas, uint32_t now, uint64_t *cas_out);

/** Delete; @p cas 0 = any. KV_DELETED, KV_NOT_FOUND or KV_EXISTS. */
enum kv_res kv_store_delete(struct kv_store *s, const char *key, uint8_t nkey, uint64_t cas,
			    uint32_t now);

struct kv_arith {
	bool incr;
	uint64_t delta;
	uint64_t cas;	    /**< compare (0 = any) */
	bool vivify;	    /**< create with @p initial when missing */
	uint64_t initial;
	uint32_t exptime;   /**< of a vivified item */
	bool set_exptime;   /**< also change the exptime to @p exptime */
};

/** incr/decr (memcached: incr wraps at 2^64, decr stops at 0; a shorter
 *  result keeps the old length, padded with spaces). KV_STORED with
 *  *value and *cas_out, KV_NOT_FOUND, KV_NON_NUMERIC, KV_EXISTS,
 *  KV_NO_MEMORY. */
enum kv_res kv_store_arith(struct kv_store *s, const char *key, uint8_t nkey,
			   const struct kv_arith *a, uint32_t now, uint64_t *value,
			   uint64_t *cas_out);

/** Set the exptime of a live item: KV_TOUCHED or KV_NOT_FOUND. */
enum kv_res kv_store_touch(struct kv_store *s, const char *key, uint8_t nkey, uint32_t exptime,
			   uint32_t now);

/** flush_all: items stored before @p when (absolute; <= now: now) die. */
void kv_store_flush(struct kv_store *s, uint32_t when, uint32_t now);

/** Free dead items of up to @p buckets hash buckets (the periodic sweep). */
void kv_store_expire_step(struct kv_store *s, uint32_t now, uint32_t buckets);

/** Is @p it dead at @p now (expired or flushed)? */
bool kv_store_item_dead(const struct kv_store *s, const struct kv_item *it, uint32_t now);

void kv_store_stats_read(const struct kv_store *s, struct kv_store_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* KV_STORE_H */
