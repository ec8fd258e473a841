/* SPDX-License-Identifier: BSD-3-Clause */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>

#include "fixture.h"
#include "ring_port.h"

void
fx_ring_port_open(const char *tag, struct rte_mempool *mp, unsigned int ring_size,
		  struct rte_ring **rx, struct rte_ring **tx, struct dp_port *port)
{
	static unsigned int seq;
	char name[RTE_ETH_NAME_MAX_LEN], err[512];
	struct dp_port_params pp = {
		.name = "port0", .n_rxq = 1, .n_txq = 1, .rxd = 512, .txd = 512, .mtu = 1500,
	};
	int ret;

	snprintf(name, sizeof(name), "%s_rx%u", tag, seq);
	*rx = rte_ring_create(name, ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "%s_tx%u", tag, seq);
	*tx = rte_ring_create(name, ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(*rx);
	assert_non_null(*tx);
	snprintf(name, sizeof(name), "%s_ring%u", tag, seq++);
	ret = rte_eth_from_rings(name, rx, 1, tx, 1, 0);
	assert_true(ret >= 0);
	/* The ethdev's name is the driver's, not ours: find it by id. */
	assert_int_equal(rte_eth_dev_get_name_by_port(ret, name), 0);
	ret = dp_port_find("port0", name, port, err, sizeof(err));
	assert_int_equal(ret, 0);
	pp.dev = name;
	ret = dp_port_setup(&pp, port, mp, err, sizeof(err));
	if (ret != 0)
		fail_msg("%s", err);
}

void
fx_ring_port_close(struct dp_port *port, struct rte_ring *rx, struct rte_ring *tx)
{
	struct rte_mbuf *m;

	dp_port_close(port);
	/* net_ring does not own the rings: empty them ourselves. */
	while (rte_ring_dequeue(rx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(tx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(rx);
	rte_ring_free(tx);
}

void
fx_lc_conf_init(struct lc_conf *c, const struct dp_port *port, struct rte_mempool *mp,
		unsigned int lcore)
{
	memset(c, 0, sizeof(*c));
	c->burst = 32;
	c->tx_drain_us = 100;
	c->n_map = 1;
	c->map[0] = (struct lc_map_entry){.port = 0, .queue = 0, .lcore = (uint16_t)lcore};
	c->n_ports = 1;
	c->ifs[0] = (struct stk_if_conf){
		.port_id = port->port_id,
		.mac = fx_mac_us,
		.ip = fx_ip(FX_IP_US),
		.prefix_len = FX_PREFIX,
		.mtu = 1500,
	};
	c->stk.arp_entries = 64;
	c->stk.arp_timeout_ms = 60000;
	c->stk.arp_retry_ms = 1000;
	c->stk.arp_retries = 3;
	c->stk.arp_pending_max = 64;
	c->stk.icmp_rate = 100;
	c->stk.icmp_burst = 10;
	c->stk.ttl = 64;
	c->mp[0] = mp;
}

static unsigned int
ring_collect(struct fx_ring_run *r)
{
	unsigned int n;

	if (!r->drain)
		return 0;
	n = rte_ring_dequeue_burst(r->tx, (void **)&r->out[r->count], r->cap - r->count, NULL);
	r->count += n;
	return n;
}

static void *
ring_driver(void *arg)
{
	struct fx_ring_run *r = arg;
	unsigned int idle = 0;

	while (r->count < r->expect && idle < r->idle_ms) {
		if (ring_collect(r) == 0 && rte_ring_empty(r->rx))
			idle++;
		usleep(1000);
	}
	/* Let the loop drain its TX buffer (deadline 100 us) before stopping. */
	usleep(10000);
	lc_stop();
	return NULL;
}

int
fx_ring_run(struct fx_ring_run *r)
{
	pthread_t t;
	int ret;

	assert_int_equal(pthread_create(&t, NULL, ring_driver, r), 0);
	ret = lc_run();
	pthread_join(t, NULL);
	ring_collect(r);
	return ret;
}
