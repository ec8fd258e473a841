/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <string.h>

#include "gen_hist.h"

void
gen_hist_reset(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	unsigned int i;

	if (src->count == 0)
		return;
	for (i = 0; i < GEN_HIST_N; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->overflow += src->overflow;
	if (__builtin_add_overflow(dst->sum, src->sum, &dst->sum))
		dst->sum = UINT64_MAX;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
gen_hist_bucket_lo(unsigned int idx)
{
	unsigned int shift;

	if (idx < 2 * GEN_HIST_SUB)
		return idx;
	shift = idx / GEN_HIST_SUB - 1;
	return (uint64_t)(idx - shift * GEN_HIST_SUB) << shift;
}

uint64_t
gen_hist_bucket_hi(unsigned int idx)
{
	unsigned int shift;

	if (idx < 2 * GEN_HIST_SUB)
		return idx;
	shift = idx / GEN_HIST_SUB - 1;
	return gen_hist_bucket_lo(idx) + (UINT64_C(1) << shift) - 1;
}

uint64_t
gen_hist_percentile(const struct gen_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	double r;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (!(p > 0.0))
		return h->min;
	if (p >= 100.0)
		return h->max;
	/* Nearest rank; the small epsilon keeps 99.9 % of 1000 at rank 999
	 * although 99.9 / 100 * 1000 is 999.0000000000001 in binary. */
	r = ceil(p / 100.0 * (double)h->count - 1e-9);
	rank = r < 1.0 ? 1 : (uint64_t)r;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < GEN_HIST_N; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == GEN_HIST_N)
		return h->max;
	v = gen_hist_bucket_hi(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

double
gen_hist_mean(const struct gen_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
