/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test fixtures shared by the cmocka binaries: EAL start without
 * hugepages and with a unique --file-prefix (tests never collide with each
 * other or with a running sluice), mempools whose in-use count teardown
 * checks, and packet builders.
 */
#ifndef SL_FIXTURE_H
#define SL_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/* Start EAL once per process on lcore 0: --no-huge -m 256 --no-pci
 * --no-shconf --no-telemetry --file-prefix=sl_<name>_<pid>
 * --log-level=*:error, plus @extra
 * (NULL-terminated, may be NULL) e.g. "--vdev=net_ring0". Aborts the test
 * binary with a message if EAL cannot start. */
void fx_eal_init(const char *name, const char *const *extra);
/* Like fx_eal_init(), but EAL runs the lcores @lcores (EAL's --lcores
 * syntax) instead of -l 0: "(0-2)@(0-1)" gives three lcores, threads
 * floating over CPUs 0-1, so a 2-CPU machine can run a pipeline with an
 * I/O lcore and two workers. Lcore 0 is the main lcore. */
void fx_eal_init_lcores(const char *name, const char *lcores, const char *const *extra);
/* Note: DPDK 22.11 refuses --in-memory together with --no-huge (legacy
 * memory), so fx_eal_init() passes --no-shconf instead: no runtime files,
 * the same isolation. It also passes -m 256 and --no-telemetry. */

/* A pktmbuf pool of @n mbufs (2 KiB data room) on socket 0. */
struct rte_mempool *fx_mempool(const char *name, unsigned int n);
/* (fx_mempool() returns NULL, with a message on stderr, if the pool cannot
 * be created, e.g. its name is taken: pool names are process-wide.) */

/* mbufs currently taken from @mp (caches included). */
unsigned int fx_in_use(const struct rte_mempool *mp);

/* Assert that @mp is back at @baseline in-use mbufs. */
#define fx_assert_baseline(mp, baseline) assert_int_equal(fx_in_use(mp), (baseline))

/* ---- stack test environment (additions) ---- */

#include <stdbool.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "stk.h"

/* Topology: our interface is DPDK port FX_PORT, FX_IP_US/FX_PREFIX, with a
 * peer and a gateway on the same subnet. The clock runs in microseconds. */
#define FX_PORT 0
#define FX_IP_US "10.0.0.1"
#define FX_IP_PEER "10.0.0.2"
#define FX_IP_GW "10.0.0.254"
#define FX_IP_BCAST "10.0.0.255"
#define FX_PREFIX 24
#define FX_HZ 1000000ULL
#define FX_POOL_SIZE 4095

extern const struct rte_ether_addr fx_mac_us;
extern const struct rte_ether_addr fx_mac_peer;
extern const struct rte_ether_addr fx_mac_bcast;

/* Dotted quad to network byte order; aborts the test on a bad string. */
uint32_t fx_ip(const char *dotted);

/* What the stack handed to its tx callback, in order. */
#define FX_CAP_MAX 2048
struct fx_cap {
	unsigned int n;
	unsigned int calls; /* tx callback invocations */
	struct rte_mbuf *pkts[FX_CAP_MAX];
	uint16_t port[FX_CAP_MAX];
};

/* stk_tx_fn that stores into the struct fx_cap @arg (frees beyond FX_CAP_MAX). */
void fx_cap_tx(void *arg, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n);
/* Free everything captured and reset. */
void fx_cap_clear(struct fx_cap *cap);

/* One test's stack: conf (editable before fx_start), context, clock, capture. */
struct fx {
	struct rte_mempool *mp;
	unsigned int baseline;
	struct stk_conf conf;
	struct stk_ctx *stk;
	uint64_t now;
	struct fx_cap cap;
};

/* Allocate an fx over @mp with the default conf (one interface, ARP 16
 * entries, 1 s timeout, 100 ms retry, 2 retries, 4 pending, ICMP 10/s burst
 * 3, TTL 64) and record @mp's baseline. Not started. */
struct fx *fx_new(struct rte_mempool *mp);
/* stk_create(&fx->conf) at time fx->now; 0 or -rte_errno. */
int fx_start(struct fx *fx);
/* stk_free, clear the capture, assert @mp back at baseline, free @fx. */
void fx_delete(struct fx *fx);

/* cmocka fixtures for binaries whose cases each get one struct fx:
 * fx_group_init() (from the group set-up) starts EAL for @name and makes
 * fx_pool; fx_setup() gives each case a started fx over fx_pool as *state
 * (fx_setup_unstarted() one to edit ->conf first), and fx_teardown()
 * deletes it, asserting the pool is back at its baseline. */
extern struct rte_mempool *fx_pool;
int fx_group_init(const char *name);
int fx_setup(void **state);
int fx_setup_unstarted(void **state);
int fx_teardown(void **state);

/* Advance the fake clock and tell the stack. */
void fx_advance_ms(struct fx *fx, uint64_t ms);
/* Feed one frame on FX_PORT; returns stk_input_burst()'s result. */
uint16_t fx_input(struct fx *fx, struct rte_mbuf *m);
uint64_t fx_drop(const struct fx *fx, enum stk_drop reason);
uint64_t fx_drops_total(const struct fx *fx);
struct stk_stats fx_stats(const struct fx *fx);

/* Valid frames from fx_mac_peer to fx_mac_us with correct checksums.
 * Payload byte i is (i * 7 + 1) & 0xff. */
struct rte_mbuf *fx_udp4(struct rte_mempool *mp, const char *src, const char *dst, uint16_t sport,
			 uint16_t dport, uint16_t payload_len);
struct rte_mbuf *fx_icmp_echo(struct rte_mempool *mp, const char *src, const char *dst, uint16_t id,
			      uint16_t seq, uint16_t payload_len);
/* An IPv4 frame with protocol @proto and @payload_len bytes of payload. */
struct rte_mbuf *fx_ip4_raw(struct rte_mempool *mp, const char *src, const char *dst, uint8_t proto,
			    uint16_t payload_len);
struct rte_mbuf *fx_arp(struct rte_mempool *mp, uint16_t op, const struct rte_ether_addr *eth_dst,
			const struct rte_ether_addr *sha, const char *spa,
			const struct rte_ether_addr *tha, const char *tpa);

/* Header accessors (the IP header may carry options). */
struct rte_ether_hdr *fx_eth(struct rte_mbuf *m);
struct rte_ipv4_hdr *fx_ip4(struct rte_mbuf *m);
struct rte_udp_hdr *fx_udp(struct rte_mbuf *m);
struct rte_icmp_hdr *fx_icmp(struct rte_mbuf *m);
struct rte_arp_hdr *fx_arph(struct rte_mbuf *m);
uint8_t *fx_l4_payload(struct rte_mbuf *m); /* after the UDP/ICMP header */

/* Recompute checksums after a test edited a header (software, full). */
void fx_ip4_fix(struct rte_mbuf *m);
void fx_udp_fix(struct rte_mbuf *m);
void fx_icmp_fix(struct rte_mbuf *m);
/* Independent checks of what the stack sent (plain loops, not DPDK). */
bool fx_ip4_cksum_valid(struct rte_mbuf *m);
bool fx_udp_cksum_valid(struct rte_mbuf *m);
bool fx_icmp_cksum_valid(struct rte_mbuf *m);
/* Ones' complement sum (RFC 1071) of @len bytes, folded, not complemented. */
uint16_t fx_sum16(const void *buf, size_t len, uint32_t init);
/* Insert @optlen (multiple of 4) bytes of NOP/EOL options; fixes lengths and
 * the IP checksum. */
void fx_ip4_add_options(struct rte_mbuf *m, uint8_t optlen);
/* A fresh mbuf holding @len bytes of @fill (a datagram payload to send). */
struct rte_mbuf *fx_payload(struct rte_mempool *mp, uint16_t len, uint8_t fill);
/* Re-build @m as a two-segment chain split at byte @at (frees @m). */
struct rte_mbuf *fx_split(struct rte_mempool *mp, struct rte_mbuf *m, uint16_t at);
/* Feed @m and assert it was dropped for @reason alone: one drop counter
 * moved by one, nothing sent, nothing held. */
void fx_expect_drop(struct fx *fx, struct rte_mbuf *m, enum stk_drop reason);
/* Append @n zero bytes of Ethernet padding (not counted by any header). */
void fx_pad(struct rte_mbuf *m, uint16_t n);

/* ---- TCP (additions) ---- */

#include <rte_tcp.h>

/* A TCP segment from fx_mac_peer to fx_mac_us, correct checksums. @flags
 * are RTE_TCP_*_FLAG bits; @opt/@optlen the options as they go on the wire
 * (@optlen a multiple of 4, at most 40); the payload is @data, or byte i =
 * (i * 7 + 1) & 0xff when @data is NULL. */
struct rte_mbuf *fx_tcp4(struct rte_mempool *mp, const char *src, const char *dst, uint16_t sport,
			 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
			 const uint8_t *opt, uint8_t optlen, const void *data, uint16_t len);
struct rte_tcp_hdr *fx_tcp(struct rte_mbuf *m);
/* Header length from the data offset; payload pointer and length. */
uint16_t fx_tcp_hlen(struct rte_mbuf *m);
uint8_t *fx_tcp_payload(struct rte_mbuf *m);
uint16_t fx_tcp_payload_len(struct rte_mbuf *m);
/* Recompute the TCP checksum after an edit (software, full). */
void fx_tcp_fix(struct rte_mbuf *m);
/* Independent check (plain loop over the pseudo-header and segment). */
bool fx_tcp_cksum_valid(struct rte_mbuf *m);
/* First option @kind of the segment (walks NOP/EOL and lengths); NULL
 * if absent or the option list is malformed. */
const uint8_t *fx_tcp_opt(struct rte_mbuf *m, uint8_t kind);

#endif /* SL_FIXTURE_H */
