/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "dp.h"

/* A key of one repeated 16-bit pattern makes Toeplitz symmetric: swapping
 * source and destination gives the same hash (Woo and Park, "Scalable
 * TCP Session Monitoring with Symmetric Receive-side Scaling", 2012). */
const uint8_t dp_rss_sym_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

static bool
looks_like_pci(const char *dev)
{
	unsigned int d, b, s, f;
	char c;

	return sscanf(dev, "%x:%x:%x.%x%c", &d, &b, &s, &f, &c) == 4 ||
	       sscanf(dev, "%x:%x.%x%c", &b, &s, &f, &c) == 3;
}

int
dp_port_find(const char *name, const char *dev, struct dp_port *port, char *err, size_t errlen)
{
	char devname[RTE_DEV_NAME_MAX_LEN];
	struct rte_eth_dev_info info;
	uint16_t pid;
	size_t len = strcspn(dev, ",");
	int ret;

	memset(port, 0, sizeof(*port));
	if (len == 0 || len >= sizeof(devname)) {
		snprintf(err, errlen, "[%s] dev = '%s': empty or too long device name", name, dev);
		return -EINVAL;
	}
	memcpy(devname, dev, len);
	devname[len] = '\0';

	/* Already probed (PCI found by EAL, --vdev on the command line)? */
	if (rte_eth_dev_get_port_by_name(devname, &pid) != 0) {
		ret = rte_dev_probe(dev);
		if (ret < 0 || rte_eth_dev_get_port_by_name(devname, &pid) != 0) {
			if (looks_like_pci(devname))
				snprintf(err, errlen,
					 "[%s] dev = '%s': no such DPDK port. Bind the NIC to "
					 "vfio-pci ('dpdk-devbind.py -b vfio-pci %s'), check the "
					 "address with 'dpdk-devbind.py -s', and do not pass --no-pci",
					 name, dev, devname);
			else
				snprintf(err, errlen,
					 "[%s] dev = '%s': no DPDK driver created a port from it. "
					 "Check the driver name (net_pcap, net_tap, net_af_packet, "
					 "net_memif, net_ring, net_null) and its arguments; DPDK's "
					 "log above says what it rejected",
					 name, dev);
			return -ENODEV;
		}
	}
	ret = rte_eth_dev_info_get(pid, &info);
	if (ret != 0) {
		snprintf(err, errlen, "[%s] dev = '%s': cannot read device info: %s", name, dev,
			 strerror(-ret));
		return ret;
	}
	port->port_id = pid;
	port->socket_id = rte_eth_dev_socket_id(pid);
	if (port->socket_id < 0)
		port->socket_id = 0; /* virtual devices have no socket */
	snprintf(port->dev_name, sizeof(port->dev_name), "%s", devname);
	snprintf(port->driver, sizeof(port->driver), "%s", info.driver_name);
	return 0;
}

int
dp_port_setup(const struct dp_port_params *p, struct dp_port *port, struct rte_mempool *mp,
	      char *err, size_t errlen)
{
	static uint8_t rss_key[64];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxconf;
	struct rte_eth_txconf txconf;
	uint16_t pid = port->port_id, rxd = p->rxd, txd = p->txd, q;
	uint64_t want;
	int ret;

	ret = rte_eth_dev_info_get(pid, &info);
	if (ret != 0) {
		snprintf(err, errlen, "[%s]: cannot read device info: %s", p->name, strerror(-ret));
		return ret;
	}
	if (p->n_rxq > info.max_rx_queues) {
		snprintf(err, errlen,
			 "[%s] rxq = %u exceeds the %u RX queues device %s (%s) supports", p->name,
			 p->n_rxq, info.max_rx_queues, port->dev_name, info.driver_name);
		return -EINVAL;
	}
	if (p->n_txq > info.max_tx_queues) {
		snprintf(err, errlen,
			 "[%s]: %u TX queues needed (one per lcore) but device %s (%s) supports %u; "
			 "use fewer lcores",
			 p->name, p->n_txq, port->dev_name, info.driver_name, info.max_tx_queues);
		return -EINVAL;
	}
	if (info.max_mtu != 0 && p->mtu > info.max_mtu) {
		snprintf(err, errlen, "[%s] mtu = %u exceeds the device's maximum %u", p->name,
			 p->mtu, info.max_mtu);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = p->mtu;
	port->rss_hf = 0;
	if (p->n_rxq > 1 && p->rss) {
		want = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
		port->rss_hf = want & info.flow_type_rss_offloads;
		if (port->rss_hf == 0) {
			fprintf(stderr,
				"sluice: [%s] device %s (%s) has no RSS; its %u RX queues are "
				"filled however the driver does it\n",
				p->name, port->dev_name, info.driver_name, p->n_rxq);
		} else {
			uint8_t klen = info.hash_key_size ? info.hash_key_size : 40;
			unsigned int i;

			if (klen > sizeof(rss_key))
				klen = sizeof(rss_key);
			for (i = 0; i < klen; i++)
				rss_key[i] = dp_rss_sym_key[i % 2];
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_key = rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = klen;
			conf.rx_adv_conf.rss_conf.rss_hf = port->rss_hf;
		}
	}

	/* Checksum offloads where the port has them; the stack does the rest
	 * in software. */
	want = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	port->rx_cksum_offload = (info.rx_offload_capa & want) == want;
	if (port->rx_cksum_offload)
		conf.rxmode.offloads |= want;
	port->tx_ip_cksum_offload = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	port->tx_udp_cksum_offload = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (port->tx_ip_cksum_offload)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if (port->tx_udp_cksum_offload)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	/* chains: only when asked, as asking may cost a vector TX path */
	port->tx_max_segs = 1;
	if (p->multi_seg && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		port->tx_max_segs = RTE_MIN(info.tx_desc_lim.nb_seg_max,
					    info.tx_desc_lim.nb_mtu_seg_max);
	}

	ret = rte_eth_dev_configure(pid, p->n_rxq, p->n_txq, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "[%s]: configuring %s with %u RX and %u TX queues failed: %s",
			 p->name, port->dev_name, p->n_rxq, p->n_txq, strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (ret != 0) {
		snprintf(err, errlen, "[%s]: descriptor counts rxd=%u txd=%u rejected: %s", p->name,
			 p->rxd, p->txd, strerror(-ret));
		return ret;
	}
	rxconf = info.default_rxconf;
	rxconf.offloads = conf.rxmode.offloads;
	for (q = 0; q < p->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(pid, q, rxd, port->socket_id, &rxconf, mp);
		if (ret != 0) {
			snprintf(err, errlen, "[%s]: RX queue %u setup failed: %s", p->name, q,
				 strerror(-ret));
			return ret;
		}
	}
	txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(pid, q, txd, port->socket_id, &txconf);
		if (ret != 0) {
			snprintf(err, errlen, "[%s]: TX queue %u setup failed: %s", p->name, q,
				 strerror(-ret));
			return ret;
		}
	}
	port->n_rxq = p->n_rxq;
	port->n_txq = p->n_txq;

	if (strcmp(info.driver_name, "net_tap") == 0) {
		/* A TAP port is the far end of the kernel's tap interface, and
		 * net_tap reports (and sets) the kernel side's MAC as its own.
		 * The stack must not answer with the host's address: it keeps
		 * a MAC of its own (the configured one, or the kernel's with
		 * one bit flipped) and the device is left alone, since a tap
		 * hands over every frame the host sends anyway. */
		ret = rte_eth_macaddr_get(pid, &port->mac);
		if (ret != 0) {
			snprintf(err, errlen, "[%s]: cannot read the MAC address: %s", p->name,
				 strerror(-ret));
			return ret;
		}
		if (p->mac != NULL && !rte_is_same_ether_addr(p->mac, &port->mac))
			rte_ether_addr_copy(p->mac, &port->mac);
		else
			port->mac.addr_bytes[5] ^= 0x01;
	} else if (p->mac != NULL) {
		ret = rte_eth_dev_default_mac_addr_set(pid, (struct rte_ether_addr *)(uintptr_t)p->mac);
		if (ret != 0 && !p->promisc) {
			/* The device cannot take the address: listen to every
			 * frame and let the stack filter on the configured MAC. */
			fprintf(stderr,
				"sluice: [%s] %s cannot change its MAC (%s); using promiscuous "
				"mode so the stack sees frames to the configured MAC\n",
				p->name, port->dev_name, strerror(-ret));
			rte_eth_promiscuous_enable(pid);
		}
		rte_ether_addr_copy(p->mac, &port->mac);
	} else {
		ret = rte_eth_macaddr_get(pid, &port->mac);
		if (ret != 0) {
			snprintf(err, errlen, "[%s]: cannot read the MAC address: %s", p->name,
				 strerror(-ret));
			return ret;
		}
	}
	if (p->promisc) {
		ret = rte_eth_promiscuous_enable(pid);
		if (ret != 0 && ret != -ENOTSUP) {
			snprintf(err, errlen, "[%s] promisc = 1: cannot enable: %s", p->name,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int
dp_port_start(struct dp_port *port, char *err, size_t errlen)
{
	int ret = rte_eth_dev_start(port->port_id);

	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): start failed: %s", port->port_id,
			 port->dev_name, strerror(-ret));
		return ret;
	}
	port->started = true;
	return 0;
}

bool
dp_port_link_up(const struct dp_port *port)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	return rte_eth_link_get_nowait(port->port_id, &link) == 0 &&
	       link.link_status == RTE_ETH_LINK_UP;
}

void
dp_port_close(struct dp_port *port)
{
	if (port->started)
		rte_eth_dev_stop(port->port_id);
	port->started = false;
	rte_eth_dev_close(port->port_id);
}

void
dp_port_stats_print(const struct dp_port *port, FILE *out)
{
	struct rte_eth_stats st;
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	int n, i;

	if (rte_eth_stats_get(port->port_id, &st) == 0)
		fprintf(out,
			"  port %u (%s): ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64
			" ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n",
			port->port_id, port->dev_name, st.ipackets, st.opackets, st.imissed,
			st.ierrors, st.oerrors, st.rx_nombuf);
	n = rte_eth_xstats_get_names(port->port_id, NULL, 0);
	if (n <= 0)
		return;
	names = calloc(n, sizeof(*names));
	xs = calloc(n, sizeof(*xs));
	if (names != NULL && xs != NULL &&
	    rte_eth_xstats_get_names(port->port_id, names, n) == n &&
	    rte_eth_xstats_get(port->port_id, xs, n) == n) {
		fprintf(out, "  port %u xstats (non-zero):", port->port_id);
		for (i = 0; i < n; i++)
			if (xs[i].value != 0 && xs[i].id < (uint64_t)n)
				fprintf(out, " %s=%" PRIu64, names[xs[i].id].name, xs[i].value);
		fprintf(out, "\n");
	}
	free(names);
	free(xs);
}
