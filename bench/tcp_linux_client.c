/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp-linux-client: the Linux side of bench/tcp, the same workload as
 * sluice-tcp-bench over kernel sockets. One thread, epoll, non-blocking
 * sockets with TCP_NODELAY:
 *
 *   rr:  --conns persistent connections, each sending a --size request and
 *        waiting for the whole echo before the next;
 *   crr: --conns slots, each connecting, sending one request, reading the
 *        echo, closing (client first) and connecting again.
 *
 * After a 0.5 s warm-up it counts transactions for --seconds and reads the
 * busy share of the CPU it runs on from /proc/stat over that window (user,
 * nice, system, irq, softirq: loopback's softirq work lands on this CPU
 * too), so that with the server pinned to the same CPU the script can turn
 * it into cycles per transaction. Prints one JSON line.
 *
 * --linger0 closes with SO_LINGER {1, 0} (RST, no TIME-WAIT): crr without
 * the ephemeral-port search through TIME-WAIT sockets that connect() does
 * once the 28k-port default range is full of them.
 *
 *   tcp-linux-client --port P [--mode rr|crr] [--conns N] [--seconds S] [--size B]
 *                    [--linger0]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096

struct slot {
	int fd;
	unsigned int got;
	int connecting;
};

static struct slot slots[MAX_CONNS];
static struct sockaddr_in dst = {.sin_family = AF_INET};
static char req[1500];
static unsigned int size = 64;
static int ep, crr, linger0;
static uint64_t txns, errors;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* busy and total jiffies of one CPU */
static void
cpu_jiffies(int cpu, unsigned long long *busy, unsigned long long *total)
{
	char line[512], name[16];
	unsigned long long v[10] = {0};
	FILE *f = fopen("/proc/stat", "r");

	*busy = *total = 0;
	if (f == NULL)
		return;
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, strlen(name)) != 0)
			continue;
		sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		/* user nice system idle iowait irq softirq steal */
		*busy = v[0] + v[1] + v[2] + v[5] + v[6];
		*total = *busy + v[3] + v[4] + v[7];
	}
	fclose(f);
}

static void
slot_open(unsigned int i)
{
	struct slot *s = &slots[i];
	struct epoll_event ev;
	int one = 1;

	s->got = 0;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		errors++;
		return;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->connecting = connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) != 0;
	if (s->connecting && errno != EINPROGRESS) {
		errors++;
		close(s->fd);
		s->fd = -1;
		return;
	}
	ev.events = s->connecting ? EPOLLOUT : EPOLLIN;
	ev.data.u32 = i;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
	if (!s->connecting && write(s->fd, req, size) != (ssize_t)size)
		errors++;
}

static void
slot_event(unsigned int i)
{
	struct slot *s = &slots[i];
	char buf[4096];
	ssize_t r;

	if (s->connecting) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			errors++;
			close(s->fd);
			slot_open(i);
			return;
		}
		s->connecting = 0;
		epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
		if (write(s->fd, req, size) != (ssize_t)size)
			errors++;
		return;
	}
	r = read(s->fd, buf, sizeof(buf));
	if (r < 0 && errno == EAGAIN)
		return;
	if (r <= 0) {
		errors++;
		close(s->fd);
		slot_open(i);
		return;
	}
	s->got += (unsigned int)r;
	if (s->got < size)
		return;
	txns++;
	s->got -= size;
	if (!crr) {
		if (write(s->fd, req, size) != (ssize_t)size)
			errors++;
		return;
	}
	if (linger0) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};

		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(s->fd);
	slot_open(i);
}

static void
run(double until)
{
	struct epoll_event evs[256];
	int n, k;

	while (now_s() < until) {
		n = epoll_wait(ep, evs, 256, 100);
		for (k = 0; k < n; k++)
			slot_event(evs[k].data.u32);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"mode", required_argument, NULL, 'm'},
		{"conns", required_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 's'},
		{"size", required_argument, NULL, 'z'},
		{"linger0", no_argument, NULL, 'L'},
		{NULL, 0, NULL, 0},
	};
	unsigned int conns = 64, i;
	unsigned long long b0, a0, b1, a1;
	double seconds = 5, t0, t1;
	uint64_t n0;
	int opt, port = 0, cpu;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'm':
			crr = strcmp(optarg, "crr") == 0;
			break;
		case 'c':
			conns = (unsigned int)atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'z':
			size = (unsigned int)atoi(optarg);
			break;
		case 'L':
			linger0 = 1;
			break;
		default:
			return 2;
		}
	}
	if (port <= 0 || conns < 1 || conns > MAX_CONNS || size < 1 || size > sizeof(req)) {
		fprintf(stderr, "usage: tcp-linux-client --port P [--mode rr|crr] [--conns N] "
				"[--seconds S] [--size B]\n");
		return 2;
	}
	memset(req, 'x', sizeof(req));
	dst.sin_port = htons((uint16_t)port);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ep = epoll_create1(0);
	for (i = 0; i < conns; i++)
		slot_open(i);
	run(now_s() + 0.5);
	cpu = sched_getcpu();
	n0 = txns;
	cpu_jiffies(cpu, &b0, &a0);
	t0 = now_s();
	run(t0 + seconds);
	t1 = now_s();
	cpu_jiffies(cpu, &b1, &a1);
	printf("{\"stack\": \"%s\", \"mode\": \"%s\", \"conns\": %u, \"size\": %u, "
	       "\"seconds\": %.3f, \"transactions\": %llu, \"per_second\": %.0f, \"cpu\": %d, "
	       "\"cpu_busy\": %.4f, \"errors\": %llu}\n",
	       linger0 ? "linux-rst" : "linux", crr ? "crr" : "rr", conns, size, t1 - t0,
	       (unsigned long long)(txns - n0), (txns - n0) / (t1 - t0), cpu,
	       a1 > a0 ? (double)(b1 - b0) / (double)(a1 - a0) : 0.0, (unsigned long long)errors);
	return 0;
}
