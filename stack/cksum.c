/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksums over mbuf chains.
 *
 * DPDK 22.11's rte_raw_cksum_mbuf() truncates the partial sum of a segment
 * that starts at an odd offset to 16 bits before byte-swapping it, so its
 * carries are lost and the checksum of a chain split at an odd offset is
 * wrong (and so are rte_ipv4_udptcp_cksum_mbuf{,_verify}(), built on it).
 * Single-segment data, the normal case, still goes through DPDK; chains use
 * the same walk with each partial sum folded first (RFC 1071 2(B): byte
 * order independence lets the odd-offset part be swapped once folded).
 */
#include "stk_priv.h"

int
stk_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	if (likely(off + len <= rte_pktmbuf_data_len(m)))
		return rte_raw_cksum_mbuf(m, off, len, cksum);
	if (off + len > rte_pktmbuf_pkt_len(m))
		return -1;
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (done < len) {
		uint32_t seglen;
		uint16_t part;

		if (unlikely(seg == NULL))
			return -1;
		seglen = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		part = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), seglen);
		if (done & 1)
			part = rte_bswap16(part);
		sum += part;
		done += seglen;
		off = 0;
		seg = seg->next;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*cksum = (uint16_t)sum;
	return 0;
}

uint16_t
stk_ip4_l4_sum(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off)
{
	uint32_t l4_len = rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
	uint32_t sum;
	uint16_t raw;

	if (stk_raw_cksum_mbuf(m, l4_off, l4_len, &raw) != 0)
		return 0; /* never a valid sum: verification fails */
	sum = (uint32_t)raw + rte_ipv4_phdr_cksum(ip, 0);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
