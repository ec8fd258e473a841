/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xcore-probe: how long one cache line takes to go from one CPU to another
 * and back, right now.
 *
 * The development VM's two vCPUs switch every few tens of seconds between
 * a fast (~60 ns) and a slow (~330 ns) cross-core round trip, which moves
 * every multi-core number (pipeline mode, ring handoff between lcores).
 * Run this next to a benchmark to label its numbers with the state the
 * machine was in.
 *
 * Two threads, pinned with sched_setaffinity() to two CPUs, bounce a
 * counter in one 64-byte-aligned cache line: the first writes an odd value
 * and waits for the next even one, the second answers each odd value with
 * the next even one. Round trips are timed in batches with
 * clock_gettime(CLOCK_MONOTONIC) (vDSO: no syscall; ~20 ns once per batch
 * of 64 round trips); the result is the median batch mean, which ignores
 * batches where a vCPU was descheduled.
 *
 *   xcore-probe [--cpus A,B] [--round-trips N] [--max-ms MS] [--threshold NS] [-v]
 *
 * Prints one line, e.g. "xcore rtt_ns=63.2 state=fast" ("fast" when the
 * median is below the threshold, 150 ns by default). Stops after N round
 * trips (200000) or MS milliseconds (200) of measuring, whichever comes
 * first, so it always ends well within a second (a partner that stops
 * answering for 100 ms ends the measurement early; the batches done so far
 * count). Exit 0, 1 on error (a CPU that cannot be used, not one complete
 * batch), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XC_BATCH 64
#define XC_WARMUP 2000
#define XC_STOP UINT64_MAX
#define XC_READY_MS 200
#define XC_GIVE_UP_MS 100
/* check the clock this often while spinning, so a partner that never runs
 * cannot hang us */
#define XC_SPIN_CHECK (1u << 16)

struct xc_line {
	alignas(64) volatile uint64_t v;
	char pad[64 - sizeof(uint64_t)];
};

static struct xc_line xc_ball;
static struct xc_line xc_ready;

struct xc_opts {
	int cpu[2];
	unsigned long round_trips;
	unsigned long max_ms;
	double threshold_ns;
	bool verbose;
};

static uint64_t
xc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
xc_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* pid 0: the calling thread */
	return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}

static uint64_t
xc_load(volatile uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void
xc_store(volatile uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* The partner: answer every odd value with the next even one. */
static void *
xc_partner(void *arg)
{
	const struct xc_opts *o = arg;
	uint64_t want = 1, v;
	int ret = xc_pin(o->cpu[1]);

	xc_store(&xc_ready.v, ret == 0 ? 1 : (uint64_t)(-ret) << 1);
	if (ret != 0)
		return NULL;
	for (;;) {
		while ((v = xc_load(&xc_ball.v)) != want)
			if (v == XC_STOP)
				return NULL;
		xc_store(&xc_ball.v, want + 1);
		want += 2;
	}
}

/* One round trip: hand the ball over, wait for it to come back. */
static int
xc_round_trip(uint64_t *v, uint64_t give_up, uint64_t *spins)
{
	xc_store(&xc_ball.v, *v + 1);
	while (xc_load(&xc_ball.v) != *v + 2)
		if (++*spins % XC_SPIN_CHECK == 0 && xc_now_ns() > give_up)
			return -1;
	*v += 2;
	return 0;
}

static int
xc_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
xc_usage(FILE *f)
{
	fprintf(f, "usage: xcore-probe [--cpus A,B] [--round-trips N] [--max-ms MS] "
		   "[--threshold NS] [-v]\n");
}

static int
xc_parse(int argc, char **argv, struct xc_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;

		if (strcmp(a, "-v") == 0) {
			o->verbose = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			xc_usage(stdout);
			exit(0);
		}
		if (val == NULL)
			goto bad;
		errno = 0;
		if (strcmp(a, "--cpus") == 0) {
			if (sscanf(val, "%d,%d", &o->cpu[0], &o->cpu[1]) != 2 || o->cpu[0] < 0 ||
			    o->cpu[1] < 0 || o->cpu[0] >= CPU_SETSIZE || o->cpu[1] >= CPU_SETSIZE ||
			    o->cpu[0] == o->cpu[1])
				goto bad;
		} else if (strcmp(a, "--round-trips") == 0) {
			o->round_trips = strtoul(val, &end, 10);
			if (*end != '\0' || errno != 0 || o->round_trips < XC_BATCH)
				goto bad;
		} else if (strcmp(a, "--max-ms") == 0) {
			o->max_ms = strtoul(val, &end, 10);
			if (*end != '\0' || errno != 0 || o->max_ms < 1 || o->max_ms > 500)
				goto bad;
		} else if (strcmp(a, "--threshold") == 0) {
			o->threshold_ns = strtod(val, &end);
			if (*end != '\0' || errno != 0 || !(o->threshold_ns > 0))
				goto bad;
		} else {
			goto bad;
		}
		i++;
	}
	return 0;
bad:
	fprintf(stderr, "xcore-probe: bad argument '%s'%s%s\n", argv[i], i + 1 < argc ? " " : "",
		i + 1 < argc ? argv[i + 1] : "");
	fprintf(stderr,
		"  --cpus A,B: two different CPU numbers; --round-trips: >= %d; "
		"--max-ms: 1..500; --threshold: ns > 0\n",
		XC_BATCH);
	xc_usage(stderr);
	return -1;
}

int
main(int argc, char **argv)
{
	struct xc_opts o = {
		.cpu = {0, 1},
		.round_trips = 200000,
		.max_ms = 200,
		.threshold_ns = 150.0,
	};
	uint64_t v = 0, t_start, deadline, give_up, rdy, spins = 0;
	unsigned long n_batches, b = 0, i;
	double *rtt, median;
	bool stalled = false;
	pthread_t th;
	int ret;

	if (xc_parse(argc, argv, &o) != 0)
		return 2;
	n_batches = o.round_trips / XC_BATCH;
	rtt = calloc(n_batches, sizeof(*rtt));
	if (rtt == NULL) {
		fprintf(stderr, "xcore-probe: out of memory\n");
		return 1;
	}
	ret = xc_pin(o.cpu[0]);
	if (ret != 0) {
		fprintf(stderr, "xcore-probe: cannot pin to CPU %d: %s\n", o.cpu[0],
			strerror(-ret));
		return 1;
	}
	xc_store(&xc_ball.v, 0);
	xc_store(&xc_ready.v, 0);
	ret = pthread_create(&th, NULL, xc_partner, &o);
	if (ret != 0) {
		fprintf(stderr, "xcore-probe: cannot start the partner thread: %s\n",
			strerror(ret));
		return 1;
	}
	t_start = xc_now_ns();
	while ((rdy = xc_load(&xc_ready.v)) == 0)
		if (xc_now_ns() - t_start > XC_READY_MS * 1000000u)
			break;
	if (rdy != 1) {
		fprintf(stderr, "xcore-probe: cannot pin the partner to CPU %d: %s\n", o.cpu[1],
			rdy == 0 ? "it never started" : strerror((int)(rdy >> 1)));
		xc_store(&xc_ball.v, XC_STOP);
		if (rdy != 0)
			pthread_join(th, NULL);
		return 1;
	}

	deadline = xc_now_ns() + o.max_ms * 1000000u;
	give_up = deadline + XC_GIVE_UP_MS * 1000000u;
	for (i = 0; i < XC_WARMUP && !stalled; i++)
		stalled = xc_round_trip(&v, give_up, &spins) != 0;
	for (b = 0; b < n_batches && !stalled; b++) {
		uint64_t t0 = xc_now_ns();

		if (t0 > deadline)
			break;
		for (i = 0; i < XC_BATCH && !stalled; i++)
			stalled = xc_round_trip(&v, give_up, &spins) != 0;
		if (stalled)
			break;
		rtt[b] = (double)(xc_now_ns() - t0) / XC_BATCH;
	}
	/* A stalled partner (its vCPU lent to another process) may still
	 * answer the last ball after it read XC_STOP's predecessor, so it is
	 * not joined then: returning from main() ends it. */
	xc_store(&xc_ball.v, XC_STOP);
	if (!stalled)
		pthread_join(th, NULL);
	if (b == 0) {
		fprintf(stderr,
			"xcore-probe: no complete batch of round trips between CPUs %d and %d "
			"within %lu ms (is CPU %d busy with something else?)\n",
			o.cpu[0], o.cpu[1], o.max_ms + XC_GIVE_UP_MS, o.cpu[1]);
		free(rtt);
		return 1;
	}
	qsort(rtt, b, sizeof(*rtt), xc_cmp_double);
	median = b % 2 ? rtt[b / 2] : (rtt[b / 2 - 1] + rtt[b / 2]) / 2;
	printf("xcore rtt_ns=%.1f state=%s\n", median, median < o.threshold_ns ? "fast" : "slow");
	fflush(stdout);
	if (o.verbose)
		fprintf(stderr,
			"xcore-probe: cpus %d,%d  %lu batches of %d round trips\n"
			"  min %.1f  p10 %.1f  median %.1f  p90 %.1f  max %.1f ns (threshold "
			"%.0f)\n",
			o.cpu[0], o.cpu[1], b, XC_BATCH, rtt[0], rtt[b / 10], median,
			rtt[b * 9 / 10], rtt[b - 1], o.threshold_ns);
	if (o.verbose && stalled)
		fprintf(stderr, "  stopped early: CPU %d stopped answering for %d ms\n", o.cpu[1],
			XC_GIVE_UP_MS);
	free(rtt);
	return 0;
}
