/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C half of bench/sluice-micro: set-up, the measured code and teardown
 * of every micro-benchmark. bench/micro.cpp is only the Google Benchmark
 * shim around it (one generic driver, one registration per case), so no
 * DPDK header is seen by C++.
 *
 * One case = one struct bench_case. bench_run() does one iteration of the
 * case (usually a burst of packets) and returns how many items (packets,
 * lookups, pointers) it processed; the shim sums them for items/s and
 * divides the TSC delta of the whole loop by them for cycles/pkt.
 *
 * Everything runs on the EAL main lcore (lcore 0), single-threaded.
 */
#ifndef SL_MICRO_C_H
#define SL_MICRO_C_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Packets per iteration of the checksum cases (one burst's worth). */
#define BENCH_CKSUM_BATCH 32
/** Lookups per iteration of the ARP cases. */
#define BENCH_ARP_BATCH 64
/** Pointers per iteration of the ring case. */
#define BENCH_RING_BURST 32

enum bench_kind {
	/** rte_ipv4_cksum() over 20-byte headers (compute). Args: none. */
	BENCH_IP4_CKSUM,
	/** stk_ip4_hdr_cksum_ok(), software (what the input path runs). */
	BENCH_IP4_HDR_OK,
	/** rte_ipv4_udptcp_cksum() (compute, pointer API). a0 = payload bytes. */
	BENCH_UDP_CKSUM,
	/** stk_udp4_cksum_ok(), software (the input path's verification). a0 = payload. */
	BENCH_UDP_OK,
	/** Header reset from the template alone (cost included in BENCH_INPUT).
	 *  a0 = burst, a1 = payload bytes. */
	BENCH_INPUT_RESET,
	/** Header reset + stk_input_burst() of a0 valid UDP frames of a1
	 *  payload bytes to an echo handler; a2 = 1: the port "verified" the
	 *  checksums (rx_cksum_offload, RX_*_CKSUM_GOOD), 0: software. */
	BENCH_INPUT,
	/** BENCH_INPUT (a2 = 0) with mbufs from rte_pktmbuf_pool_create()
	 *  under --no-huge: one mbuf per 4 KiB page, so every mbuf of a burst
	 *  maps to the same L1 set (the other cases use a packed pool, laid
	 *  out as with hugepages). a0 = burst, a1 = payload bytes. */
	BENCH_INPUT_PAGE_POOL,
	/** stk_arp_lookup() of addresses in the table; a0 = entries (all used). */
	BENCH_ARP_HIT,
	/** stk_arp_lookup() of addresses not in the table; a0 = entries. */
	BENCH_ARP_MISS,
	/** rte_ring SP enqueue_burst + SC dequeue_burst of 32 pointers. */
	BENCH_RING,
	/** The bench's own per-burst overhead in the RXTX cases: dequeue the
	 *  replies from the TX ring, reset their headers, enqueue to the RX
	 *  ring. a0 = burst. */
	BENCH_RXTX_MOVE,
	/** net_ring port: move (above) + rte_eth_rx_burst -> stk_input_burst ->
	 *  tx callback calling rte_eth_tx_burst. a0 = burst. */
	BENCH_RXTX,
	/** As BENCH_RXTX, but the tx callback buffers with rte_eth_tx_buffer()
	 *  and the burst ends with rte_eth_tx_buffer_flush(), as lcore/rtc.c. */
	BENCH_RXTX_TXBUF,
};

struct bench_case;

/** Start EAL once (-l 0 --no-huge -m 512 --no-shconf ...) and create the
 *  mbuf pools. 0, or -1 with a message on stderr. */
int bench_init(const char *prog);
/** Free the pool and stop EAL. */
void bench_fini(void);

/** Set a case up. NULL on failure; bench_error() says why. */
struct bench_case *bench_setup(enum bench_kind kind, int64_t a0, int64_t a1, int64_t a2);
/** One iteration; returns the items it processed. */
uint64_t bench_run(struct bench_case *c);
/** Check what the case did (no drops, every mbuf back in the pool), free it.
 *  0, or -1 with bench_error() set. */
int bench_teardown(struct bench_case *c);
/** The last set-up or teardown error. */
const char *bench_error(void);

/** Bytes between two consecutive mbufs of the packed pool (0) or of the
 *  --no-huge default pool (1). */
unsigned int bench_mbuf_stride(int page_pool);

/** The TSC (rte_rdtsc) and its rate. */
uint64_t bench_tsc(void);
uint64_t bench_tsc_hz(void);

#ifdef __cplusplus
}
#endif

#endif /* SL_MICRO_C_H */
