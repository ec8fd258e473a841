/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port gate: keeps DPDK's interrupt thread and the loops' bursts apart.
 *
 * net_memif (DPDK 22.11) handles its control channel on the EAL interrupt
 * thread. When the peer goes (exits, is killed), that thread runs
 * memif_disconnect(): it clears the "connected" flag, then munmap()s the
 * shared regions and frees their descriptors, with nothing to wait for a
 * loop that is inside rte_eth_rx_burst() / rte_eth_tx_burst() on the port.
 * A loop that passed the flag check a moment before (preempted there, which
 * a loaded machine does all the time) then reads the unmapped ring:
 * SIGSEGV in librte_net_memif from lc_rtc_main. Checking the link before a
 * burst cannot help: the flag the driver itself checks is cleared at the
 * same instant as the link status, and the race is between that check and
 * the ring access. Likewise rte_eth_dev_stop() on the main thread at
 * shutdown runs memif_disconnect() too, and must not run at the same time
 * as the interrupt thread's.
 *
 * So the interrupt thread is made to take turns with the loops. A callback
 * on an always-readable eventfd keeps the thread "parked" in it for
 * DP_GATE_PARK_US (10 ms) with the gate open (loops burst as they like; memif
 * control messages wait), then closes the gate, waits with an RCU QSBR
 * grace period (rte_rcu_qsbr) until every loop has finished the iteration
 * it was in, and returns: whatever else is pending (a disconnect, a new
 * peer's handshake, alarms) runs while no loop touches a port, then the
 * thread comes straight back. While no gated port has its link up nothing
 * is mapped and the gate is disarmed (the eventfd drained): the interrupt
 * thread then answers a new peer at once, and the first loop to see a link
 * up arms it again and waits for the park before its next burst. The main
 * thread holds the gate (dp_gate_hold) while it stops the ports. Loops
 * report a quiescent state at the top of every iteration and wait there
 * while the gate is closed (microseconds, the time the interrupt thread
 * needs for its other events).
 *
 * A link that comes up between a loop's link check and the driver's own
 * flag check, then goes down again before that loop's burst ends, is not
 * covered: a connect and a disconnect inside one preempted burst.
 */
#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"

/* How long the loops run between two turns of the interrupt thread while
 * a memif link is up: each turn stalls the loops for as long as that
 * thread takes to be scheduled, so turns are rare; a disconnect (or any
 * other interrupt-thread work) waits at most that. The handshake of a new
 * peer runs with the gate disarmed and does not wait. */
#define DP_GATE_PARK_US 10000
/* The grace period: spin this long for the loops (on other CPUs they
 * report within microseconds), then yield (a loop on this CPU needs it). */
#define DP_GATE_SPIN_US 50

struct dp_gate dp_gate;

static struct rte_intr_handle *gate_ih;
static volatile int gate_quit;
static volatile int gate_hold;
static uint16_t gate_ports[RTE_MAX_ETHPORTS];
static uint16_t gate_n_ports;

/* Is any gated port connected (memif: link up)? */
static bool
gate_any_link_up(void)
{
	struct rte_eth_link link;
	uint16_t i;

	for (i = 0; i < gate_n_ports; i++) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(gate_ports[i], &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return true;
	}
	return false;
}

static void
gate_park(void *arg)
{
	uint64_t token, drain, spin_end;

	RTE_SET_USED(arg);
	if (gate_quit)
		return;
	if (!gate_hold && !gate_any_link_up()) {
		/* Disarmed: nothing is mapped; the thread sleeps in epoll and
		 * answers a new peer at once. A loop that sees a link come up
		 * arms the gate again and waits for the park (dp_gate_wait). */
		__atomic_store_n(&dp_gate.armed, 0, __ATOMIC_SEQ_CST);
		if (read(rte_intr_fd_get(gate_ih), &drain, sizeof(drain)) < 0)
			drain = 0;
		__atomic_store_n(&dp_gate.open, 1, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&dp_gate.open, 1, __ATOMIC_RELEASE);
	rte_delay_us_sleep(DP_GATE_PARK_US);
	__atomic_store_n(&dp_gate.open, 0, __ATOMIC_SEQ_CST);
	/* start() is a full barrier after the store above: a loop that
	 * reports the new token has read the gate closed. */
	token = rte_rcu_qsbr_start(dp_gate.qsv);
	spin_end = rte_get_timer_cycles() + rte_get_timer_hz() / 1000000 * DP_GATE_SPIN_US;
	while (rte_rcu_qsbr_check(dp_gate.qsv, token, false) == 0) {
		if (rte_get_timer_cycles() < spin_end)
			rte_pause();
		else
			sched_yield();
	}
}

/* Close the gate and have the interrupt thread park (it opens it). */
static void
gate_arm(void)
{
	uint64_t one = 1;

	__atomic_store_n(&dp_gate.open, 0, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&dp_gate.armed, 1, __ATOMIC_SEQ_CST) == 0 &&
	    write(rte_intr_fd_get(gate_ih), &one, sizeof(one)) < 0)
		rte_panic("port gate: eventfd write failed\n");
}

int
dp_gate_start(const uint16_t *port_ids, uint16_t n_ports, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	uint64_t one = 1;
	int fd, ret;

	gate_n_ports = RTE_MIN(n_ports, (uint16_t)RTE_MAX_ETHPORTS);
	memcpy(gate_ports, port_ids, gate_n_ports * sizeof(port_ids[0]));

	dp_gate.qsv = rte_zmalloc("dp_gate_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp_gate.qsv == NULL || rte_rcu_qsbr_init(dp_gate.qsv, RTE_MAX_LCORE) != 0) {
		snprintf(err, errlen, "port gate: cannot allocate its RCU variable");
		goto fail;
	}
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "port gate: eventfd: %s", strerror(errno));
		goto fail;
	}
	/* level-triggered: readable until the park disarms the gate */
	if (write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
		snprintf(err, errlen, "port gate: eventfd write: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	gate_ih = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (gate_ih == NULL || rte_intr_fd_set(gate_ih, fd) != 0 ||
	    rte_intr_type_set(gate_ih, RTE_INTR_HANDLE_EXT) != 0) {
		snprintf(err, errlen, "port gate: cannot set up its interrupt handle");
		close(fd);
		goto fail;
	}
	gate_quit = 0;
	gate_hold = 0;
	dp_gate.armed = 1;
	dp_gate.open = 0;
	dp_gate.active = true;
	ret = rte_intr_callback_register(gate_ih, gate_park, NULL);
	if (ret != 0) {
		snprintf(err, errlen, "port gate: cannot register its callback: %s",
			 strerror(-ret));
		dp_gate.active = false;
		close(fd);
		goto fail;
	}
	return 0;
fail:
	rte_intr_instance_free(gate_ih);
	gate_ih = NULL;
	rte_free(dp_gate.qsv);
	dp_gate.qsv = NULL;
	return -EINVAL;
}

void
dp_gate_online(unsigned int lcore)
{
	if (!dp_gate.active)
		return;
	rte_rcu_qsbr_thread_register(dp_gate.qsv, lcore);
	rte_rcu_qsbr_thread_online(dp_gate.qsv, lcore);
	dp_gate_pass(lcore);
}

void
dp_gate_wait(unsigned int lcore)
{
	if (!__atomic_load_n(&dp_gate.armed, __ATOMIC_ACQUIRE)) {
		if (!gate_any_link_up())
			return;
		gate_arm();
	}
	while (!__atomic_load_n(&dp_gate.open, __ATOMIC_ACQUIRE)) {
		rte_rcu_qsbr_quiescent(dp_gate.qsv, lcore);
		rte_pause();
	}
}

void
dp_gate_hold(unsigned int lcore)
{
	if (!dp_gate.active)
		return;
	gate_hold = 1;
	rte_rcu_qsbr_thread_register(dp_gate.qsv, lcore);
	rte_rcu_qsbr_thread_online(dp_gate.qsv, lcore);
	gate_arm();
	dp_gate_wait(lcore);
}

void
dp_gate_offline(unsigned int lcore)
{
	if (!dp_gate.active)
		return;
	rte_rcu_qsbr_thread_offline(dp_gate.qsv, lcore);
	rte_rcu_qsbr_thread_unregister(dp_gate.qsv, lcore);
}

void
dp_gate_stop(void)
{
	int fd;

	if (!dp_gate.active)
		return;
	gate_quit = 1;
	/* waits for a running gate_park (at most one park period) */
	rte_intr_callback_unregister_sync(gate_ih, gate_park, NULL);
	fd = rte_intr_fd_get(gate_ih);
	if (fd >= 0)
		close(fd);
	rte_intr_instance_free(gate_ih);
	gate_ih = NULL;
	dp_gate.active = false;
	dp_gate.open = 0;
	rte_free(dp_gate.qsv);
	dp_gate.qsv = NULL;
}
