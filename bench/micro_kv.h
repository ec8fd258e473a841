/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench/sluice-micro's kv cases (C half; micro.cpp registers them): the
 * measurement behind the kv service's choice of one shared table with
 * lock-free readers over key partitions with requests forwarded between
 * lcores (README "kv").
 */
#ifndef SL_MICRO_KV_H
#define SL_MICRO_KV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum bench_kv_kind {
	/** get of a random key from the shared table: RCU read section,
	 *  lookup, copy of the 32-byte value. a0 = keys. */
	BENCH_KV_GET_SHARED,
	/** set of a random key: allocation, fill, the writer lock, the
	 *  swap and the old item's retirement. a0 = keys. */
	BENCH_KV_SET_SHARED,
	/** get forwarded to the lcore that owns the key (key partitions):
	 *  a burst of 32 requests over an SPSC rte_ring to a thread on the
	 *  other CPU, which looks each up in its own table and answers with
	 *  the value over a second ring. a0 = keys. */
	BENCH_KV_GET_FORWARDED,
};

struct bench_kv;

struct bench_kv *bench_kv_setup(enum bench_kv_kind kind, int64_t keys);
/** One iteration; returns the requests done. */
uint64_t bench_kv_run(struct bench_kv *b);
int bench_kv_teardown(struct bench_kv *b);
const char *bench_kv_error(void);

#ifdef __cplusplus
}
#endif

#endif /* SL_MICRO_KV_H */
