/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice-gen time arithmetic: TSC pacing of a fixed packet rate and TSC to
 * nanosecond conversion. Pure integer code, no DPDK, so tests drive it
 * with made-up clocks.
 *
 * Pacing is by schedule, not by interval: slot k is due at
 * start + ceil(k * hz / rate) ticks, computed from k each time, so no
 * rounding error accumulates however long the run. A sender that falls
 * behind catches up by at most @c max_lag slots in a burst; slots further
 * behind are skipped and counted, so a stall (an interrupt, a full TX ring)
 * never turns into an unbounded burst.
 *
 * One pacer per TX lcore, used only by that lcore.
 */
#ifndef GEN_PACE_H
#define GEN_PACE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gen_pace {
	uint64_t hz;	  /**< ticks per second of the clock */
	uint64_t rate;	  /**< packets per second; 0 = unpaced (as fast as possible) */
	uint64_t start;	  /**< tick at which slot 0 is due */
	uint64_t slots;	  /**< slots used so far: sent + skipped */
	uint64_t skipped; /**< slots given up because the sender was too far behind */
	uint64_t max_lag; /**< most overdue slots sent at once; older ones are skipped */
	uint64_t next;	  /**< tick at which slot @c slots is due */
};

/** Tick at which slot @p slot is due: start + ceil(slot * hz / rate). */
static inline uint64_t
gen_pace_slot_tsc(const struct gen_pace *p, uint64_t slot)
{
	unsigned __int128 t = (unsigned __int128)slot * p->hz + (p->rate - 1);

	return p->start + (uint64_t)(t / p->rate);
}

static inline void
gen_pace_init(struct gen_pace *p, uint64_t hz, uint64_t rate, uint64_t start, uint64_t max_lag)
{
	p->hz = hz;
	p->rate = rate;
	p->start = start;
	p->slots = 0;
	p->skipped = 0;
	p->max_lag = max_lag ? max_lag : 1;
	p->next = start;
}

/**
 * How many packets may leave at tick @p now, at most @p max_n. Skips (and
 * counts) slots more than max_lag behind. Follow with gen_pace_commit().
 */
static inline uint64_t
gen_pace_take(struct gen_pace *p, uint64_t now, uint64_t max_n)
{
	uint64_t due, n;

	if (p->rate == 0)
		return max_n;
	if (now < p->next)
		return 0;
	/* slots 0..due-1 are due by now */
	due = (uint64_t)((unsigned __int128)(now - p->start) * p->rate / p->hz) + 1;
	n = due - p->slots;
	if (n > p->max_lag) {
		p->skipped += n - p->max_lag;
		p->slots += n - p->max_lag;
		n = p->max_lag;
	}
	return n < max_n ? n : max_n;
}

/** @p sent packets left (0 is fine: the slots stay due). */
static inline void
gen_pace_commit(struct gen_pace *p, uint64_t sent)
{
	if (p->rate == 0)
		return;
	p->slots += sent;
	p->next = gen_pace_slot_tsc(p, p->slots);
}

/** Share of lcore @p i (0..n-1) when @p total is split over @p n lcores. */
static inline uint64_t
gen_split(uint64_t total, unsigned int n, unsigned int i)
{
	return total / n + (i < total % n ? 1 : 0);
}

/** Multiplier for gen_tsc_to_ns(): 2^32 ns per tick, rounded. */
static inline uint64_t
gen_ns_mult(uint64_t hz)
{
	return (uint64_t)((((unsigned __int128)1000000000u << 32) + hz / 2) / hz);
}

/** @p ticks of a clock of gen_ns_mult(hz) = @p mult, in nanoseconds. */
static inline uint64_t
gen_tsc_to_ns(uint64_t ticks, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)ticks * mult) >> 32);
}

#ifdef __cplusplus
}
#endif

#endif /* GEN_PACE_H */
