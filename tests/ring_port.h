/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The in-process port of the lcore tests: a net_ring ethdev over rings
 * the test owns (it fills the RX ring and reads the TX ring), set up with
 * dp_port_setup() on the test's mempool, and an lc_conf template for one
 * such port with the fixture's addresses (fx_mac_us, FX_IP_US).
 */
#ifndef RING_PORT_H
#define RING_PORT_H

#include <stdbool.h>

#include <rte_ring.h>

#include "dp.h"
#include "lc.h"

/* @rx/@tx: rings of @ring_size named after @tag; the port is "port0". */
void fx_ring_port_open(const char *tag, struct rte_mempool *mp, unsigned int ring_size,
		       struct rte_ring **rx, struct rte_ring **tx, struct dp_port *port);
/* Close the port, free what the rings still hold, free the rings. */
void fx_ring_port_close(struct dp_port *port, struct rte_ring *rx, struct rte_ring *tx);
/* One port, the map (port 0, queue 0) -> @lcore, small stack tables, @mp. */
void fx_lc_conf_init(struct lc_conf *c, const struct dp_port *port, struct rte_mempool *mp,
		     unsigned int lcore);

/* What fx_ring_run() collects: the frames the loops send on @tx. */
struct fx_ring_run {
	struct rte_ring *rx, *tx;
	struct rte_mbuf **out;	/* room for @cap frames */
	unsigned int cap;
	unsigned int expect;	/* stop once this many frames are in out[] ... */
	unsigned int idle_ms;	/* ... or once @rx has been empty this long */
	bool drain;		/* empty @tx into out[] as it goes; false: leave it */
	unsigned int count;	/* frames in out[], updated by fx_ring_run() */
};

/* Run the loops (lc_run()) on this thread while a driver thread collects
 * what they send, then stop them. The wait is a bound against hangs, not
 * an assertion on speed. @return lc_run()'s result. */
int fx_ring_run(struct fx_ring_run *r);

#endif /* RING_PORT_H */
