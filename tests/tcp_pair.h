/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the two-stack tests share (tests/test_tcp_pair.c and
 * tests/fuzz/fuzz_tcp_pair.c): a known byte stream, a client that sends
 * it, half-closes and checks what comes back, and the set-up of one side
 * of the wire.
 *
 * The client never asserts from inside a stack callback: it records the
 * first thing wrong in ->fault, and each harness checks that in its own
 * way (cmocka after the transfer, FZ_CHECK after every step).
 */
#ifndef SL_TESTS_TCP_PAIR_H
#define SL_TESTS_TCP_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "fixture.h"
#include "stk_tcp.h"

#define TP_CHUNK 16384

/* Byte @i of the stream (a mixing hash of the offset, so a byte that
 * arrives at the wrong offset is noticed). */
uint8_t tp_byte_at(uint64_t i);

/* Whether the bytes of chain @m are the stream's from offset @off; if
 * not, the offset of the first wrong one in *@bad and its value in *@got. */
bool tp_stream_ok(const struct rte_mbuf *m, uint64_t off, uint64_t *bad, uint8_t *got);

/* Sends ->total bytes of the stream as send space allows, then shuts
 * down; counts and checks what comes back. Connect with tp_client_ops and
 * the client as the argument. */
struct tp_client {
	struct stk_tcp_conn *c;
	uint64_t total, sent, rcvd;
	bool shut, eof, closed;
	enum stk_tcp_close_reason reason;
	char fault[128]; /* the first thing wrong; "" while all is well */
	uint8_t buf[TP_CHUNK];
};

extern const struct stk_tcp_ops tp_client_ops;

/* Name @fx @name, give its interface @ip and @mac, send what it transmits
 * to @tx(@tx_arg), and know the peer @peer_ip at @peer_mac without ARP.
 * Before fx_start(). */
void tp_side_conf(struct fx *fx, const char *name, stk_tx_fn tx, void *tx_arg, const char *ip,
		  const struct rte_ether_addr *mac, const char *peer_ip,
		  const struct rte_ether_addr *peer_mac);

#endif
