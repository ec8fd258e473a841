/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp.h"

unsigned int
dp_mempool_size(unsigned int rx_desc_total, unsigned int tx_desc_total, unsigned int n_lcores,
		unsigned int n_ports, unsigned int burst, unsigned int extra)
{
	/* l3fwd's NB_MBUF: descriptors on both rings, a burst in flight per
	 * lcore and port, and every lcore's cache, which can hold mbufs the
	 * ring does not see. */
	unsigned int n = rx_desc_total + tx_desc_total + n_lcores * n_ports * burst +
			 n_lcores * DP_MEMPOOL_CACHE + extra;

	return RTE_MAX(n, 8191u);
}

struct rte_mempool *
dp_mempool_create(int socket, unsigned int n, char *err, size_t errlen)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;

	snprintf(name, sizeof(name), "sl_mbuf_s%d", socket);
	mp = rte_pktmbuf_pool_create(name, n, DP_MEMPOOL_CACHE, 0, DP_MBUF_DATA_ROOM, socket);
	if (mp == NULL)
		snprintf(err, errlen,
			 "cannot create mempool %s of %u mbufs on socket %d: %s "
			 "(reserve more hugepages or lower rxd/txd)",
			 name, n, socket, rte_strerror(rte_errno));
	return mp;
}
