/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice dataplane: EAL start, ports and queues, NUMA-aware mempools.
 *
 * Everything here is control path, called by the main lcore before the
 * loops start or after they stop. Errors come back as -errno with a
 * message for the user in the caller's buffer; nothing here exits.
 */
#ifndef DP_H
#define DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_dev.h>
#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_MAX_PORTS 16
#define DP_MAX_SOCKETS 8
/** Per-lcore mempool cache (l3fwd's MEMPOOL_CACHE_SIZE). */
#define DP_MEMPOOL_CACHE 256
/** Data room of every mbuf: a 1518 B frame plus headroom. */
#define DP_MBUF_DATA_ROOM RTE_MBUF_DEFAULT_BUF_SIZE

/**
 * Start EAL with @p argc/@p argv untouched. Before starting, checks that
 * hugepages are reserved and mounted unless --no-huge is given, and says
 * how to reserve them if not.
 * @return number of arguments EAL consumed, or -errno with @p err set.
 */
int dp_eal_init(int argc, char **argv, char *err, size_t errlen);

/** What a port is set up with (from the config). */
struct dp_port_params {
	const char *name;   /**< "port0", for messages */
	const char *dev;    /**< PCI address or vdev string */
	uint16_t n_rxq;
	uint16_t n_txq;
	uint16_t rxd;
	uint16_t txd;
	uint16_t mtu;
	bool promisc;
	bool rss;
	/** Enable multi-segment TX if the device has it (TCP sends payload by
	 *  reference); off, drivers may pick a faster single-segment path. */
	bool multi_seg;
	const struct rte_ether_addr *mac; /**< NULL: keep the device's */
};

/** What a port turned out to be. */
struct dp_port {
	uint16_t port_id;
	int socket_id;               /**< NUMA socket, 0 if the device does not say */
	char dev_name[RTE_DEV_NAME_MAX_LEN];
	char driver[32];
	struct rte_ether_addr mac;   /**< the address the stack must use */
	uint16_t n_rxq;
	uint16_t n_txq;
	uint64_t rss_hf;             /**< RSS hash types enabled, 0 = none */
	bool rx_cksum_offload;       /**< IPv4 + UDP (+TCP) RX checksum offloads enabled */
	bool tx_ip_cksum_offload;
	bool tx_udp_cksum_offload;
	uint16_t tx_max_segs;        /**< mbufs one TX packet may chain; 1 = no chains */
	bool started;
};

/**
 * Find the ethdev for @p dev: an already-probed device (a PCI address EAL
 * found, a --vdev given to EAL) or a vdev string, hot-plugged with
 * rte_dev_probe(). Fills port_id, socket_id, dev_name, driver.
 * @return 0, or -ENODEV with a message naming the device and what to do.
 */
int dp_port_find(const char *name, const char *dev, struct dp_port *port, char *err,
		 size_t errlen);

/**
 * Configure queues, offloads, RSS (symmetric Toeplitz key so both
 * directions of a flow hash to one queue), MTU, MAC and promiscuous mode,
 * with RX queues drawing from @p mp. Does not start the port.
 */
int dp_port_setup(const struct dp_port_params *p, struct dp_port *port, struct rte_mempool *mp,
		  char *err, size_t errlen);

int dp_port_start(struct dp_port *port, char *err, size_t errlen);
/** The port's link is up now (rte_eth_link_get_nowait). */
bool dp_port_link_up(const struct dp_port *port);
/** Stop and close; RX/TX rings give their mbufs back to the pools. */
void dp_port_close(struct dp_port *port);

/** Print ethdev basic stats and non-zero xstats of a port. */
void dp_port_stats_print(const struct dp_port *port, FILE *out);

/*
 * The port gate (gate.c): DPDK's interrupt thread and the loops take turns,
 * so that a driver's control path (net_memif's disconnect, which unmaps the
 * rings) never runs while a loop is inside a burst. Started only when a
 * port needs it (net_memif). Loops call dp_gate_online() before their first
 * burst, dp_gate_pass() at the top of every iteration (one branch when the
 * gate is off; a link check while it is disarmed, no gated link up) and
 * dp_gate_offline() after their last; the main thread takes
 * dp_gate_hold() while it stops ports.
 */
struct rte_rcu_qsbr;
struct dp_gate {
	struct rte_rcu_qsbr *qsv;
	volatile int open;
	volatile int armed;
	bool active;
};
extern struct dp_gate dp_gate;

int dp_gate_start(const uint16_t *port_ids, uint16_t n_ports, char *err, size_t errlen);
void dp_gate_online(unsigned int lcore);
void dp_gate_wait(unsigned int lcore);
void dp_gate_hold(unsigned int lcore);
void dp_gate_offline(unsigned int lcore);
void dp_gate_stop(void);

static inline void
dp_gate_pass(unsigned int lcore)
{
	if (likely(!dp_gate.active))
		return;
	rte_rcu_qsbr_quiescent(dp_gate.qsv, lcore);
	if (unlikely(!__atomic_load_n(&dp_gate.open, __ATOMIC_ACQUIRE) ||
		     !__atomic_load_n(&dp_gate.armed, __ATOMIC_RELAXED)))
		dp_gate_wait(lcore);
}

/** The 40-byte symmetric Toeplitz key (0x6d5a repeated). */
extern const uint8_t dp_rss_sym_key[40];

/**
 * Mbufs a socket's pool needs (l3fwd's arithmetic): every RX descriptor,
 * every TX descriptor, one burst per lcore per port in flight, every lcore
 * cache, plus @p extra (packets the stacks may hold, e.g. behind ARP).
 * Never less than 8191.
 */
unsigned int dp_mempool_size(unsigned int rx_desc_total, unsigned int tx_desc_total,
			     unsigned int n_lcores, unsigned int n_ports, unsigned int burst,
			     unsigned int extra);

/** Create the pktmbuf pool "sl_mbuf_s<socket>" of @p n mbufs on @p socket. */
struct rte_mempool *dp_mempool_create(int socket, unsigned int n, char *err, size_t errlen);

/** NUMA node of an lcore: libnuma when available, DPDK's view otherwise. */
int dp_lcore_socket(unsigned int lcore_id);

#ifdef __cplusplus
}
#endif

#endif /* DP_H */
