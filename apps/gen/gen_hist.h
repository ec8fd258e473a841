/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice-gen latency histogram: fixed memory, log-linear buckets in the
 * manner of HdrHistogram.
 *
 * Values below 2^(GEN_HIST_SUB_BITS+1) have a bucket each (exact). Above
 * that, every power of two [2^e, 2^(e+1)) is split into 2^GEN_HIST_SUB_BITS
 * equal buckets of width 2^(e - GEN_HIST_SUB_BITS), so a bucket is never
 * wider than 1/128 of the values it holds: a percentile read back is at
 * most 0.79 % above the exact one and never below it. With nanoseconds as
 * the unit the range is 0 .. 2^34 - 1 ns (17 s), which covers 10 ns to 10 s;
 * larger values land in the last bucket and are counted in @c overflow
 * (max stays exact).
 *
 * One histogram has one writer (the lcore that owns it); gen_hist_record()
 * allocates nothing and takes no lock. Merge and percentile reads happen on
 * the control path after the writers stopped.
 */
#ifndef GEN_HIST_H
#define GEN_HIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GEN_HIST_SUB_BITS 7
#define GEN_HIST_SUB (1u << GEN_HIST_SUB_BITS)
/** Values up to 2^GEN_HIST_MAX_BITS - 1 are bucketed; larger ones overflow. */
#define GEN_HIST_MAX_BITS 34
#define GEN_HIST_MAX_VALUE ((UINT64_C(1) << GEN_HIST_MAX_BITS) - 1)
/** Number of buckets: (34 - 7 + 1) * 128 = 3584 (28 KiB of counters). */
#define GEN_HIST_N ((GEN_HIST_MAX_BITS - GEN_HIST_SUB_BITS + 1) * GEN_HIST_SUB)

struct gen_hist {
	uint64_t count;
	uint64_t sum;	   /**< of recorded values (saturating at UINT64_MAX) */
	uint64_t min;	   /**< exact; UINT64_MAX while empty */
	uint64_t max;	   /**< exact */
	uint64_t overflow; /**< values above GEN_HIST_MAX_VALUE */
	uint64_t buckets[GEN_HIST_N];
};

/** Bucket of @p v (v <= GEN_HIST_MAX_VALUE). */
static inline unsigned int
gen_hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * GEN_HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - GEN_HIST_SUB_BITS;
	return shift * GEN_HIST_SUB + (unsigned int)(v >> shift);
}

/** Record one value. The owning lcore only. */
static inline void
gen_hist_record(struct gen_hist *h, uint64_t v)
{
	uint64_t b = v;

	if (__builtin_expect(v > GEN_HIST_MAX_VALUE, 0)) {
		h->overflow++;
		b = GEN_HIST_MAX_VALUE;
	}
	h->buckets[gen_hist_index(b)]++;
	h->count++;
	if (__builtin_add_overflow(h->sum, v, &h->sum))
		h->sum = UINT64_MAX;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/** Empty @p h. */
void gen_hist_reset(struct gen_hist *h);

/** Add every count of @p src to @p dst. */
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);

/** Smallest and largest value bucket @p idx holds. */
uint64_t gen_hist_bucket_lo(unsigned int idx);
uint64_t gen_hist_bucket_hi(unsigned int idx);

/**
 * The value at percentile @p p (0..100) by nearest rank: the smallest
 * recorded value v such that at least ceil(p/100 * count) values are <= v,
 * reported as the upper bound of v's bucket clamped to [min, max]. 0 for
 * an empty histogram; p <= 0 gives min, p >= 100 gives max.
 */
uint64_t gen_hist_percentile(const struct gen_hist *h, double p);

/** Mean of the recorded values, 0 when empty. */
double gen_hist_mean(const struct gen_hist *h);

#ifdef __cplusplus
}
#endif

#endif /* GEN_HIST_H */
