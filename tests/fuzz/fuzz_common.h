/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the libFuzzer targets of tests/fuzz share (RELIABILITY.md T15):
 * EAL started once per process through the cmocka fixture
 * (tests/fixture.c), an mbuf pool whose free objects are poisoned for
 * AddressSanitizer (a use of a freed mbuf is reported, not silently
 * reused), a reader over the fuzzer's input, the consistency checks of
 * every TCP connection of a context, and the writing of seed inputs.
 *
 * A broken invariant prints what was wrong and calls abort(), so libFuzzer
 * keeps the input as a crash.
 */
#ifndef SL_FUZZ_COMMON_H
#define SL_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

#define FZ_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz invariant broken at %s:%d: %s: ", __FILE__,          \
				__LINE__, #cond);                                                  \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* mbufs in the pool: enough for two stacks' queues and a wire. */
#define FZ_POOL_SIZE 8191

/* Start EAL (once) for target @name and create fz_pool; aborts on failure.
 * Also makes a failed cmocka assertion in the fixture abort(). */
void fz_init(const char *name);
extern struct rte_mempool *fz_pool;

/* Every input starts from the same random state (ISNs, ephemeral ports,
 * hash seeds), so a crash replays. */
void fz_reseed(void);

/* Sequential reader over the input; past the end every read gives 0. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
static inline bool
fz_more(const struct fz_in *in)
{
	return in->n != 0;
}

/* mbufs of a captured list of packets (chains counted whole). */
unsigned int fz_cap_segs(const struct fx_cap *cap);

/* Check every connection of @ctx: sequence variables in order, send and
 * out-of-order queues consistent with their counters and within their
 * caps, state counters, TIME-WAIT list and half-open counts. Aborts with a
 * description if anything is off. */
void fz_tcp_check(const struct stk_ctx *ctx, const char *who);

/* The mbufs @ctx holds in ARP and TCP queues. */
unsigned int fz_held(const struct stk_ctx *ctx);

/* Check what a stack sent: IPv4 header and its checksum, TCP/UDP/ICMP
 * checksum, lengths consistent with the frame. Aborts otherwise. */
void fz_check_output(struct rte_mbuf *m);

/* Seed corpus: with FUZZ_WRITE_SEEDS=<dir> in the environment, the
 * target writes its seeds to <dir> from LLVMFuzzerInitialize and exits. */
const char *fz_seed_dir(void);
void fz_write_seed(const char *dir, const char *name, const void *data, size_t len);

#endif /* SL_FUZZ_COMMON_H */
