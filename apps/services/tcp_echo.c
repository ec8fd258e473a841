/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp-echo: every byte that arrives on a connection to [service] tcp_port
 * goes back to the peer (RFC 862 over TCP), and the connection closes
 * after the peer's FIN once everything is echoed.
 *
 * Zero copy: received mbufs go into the send queue as they are. When the
 * send queue is full, the chain waits on the connection (its arg) and its
 * bytes stay charged against the receive window, so a peer that does not
 * read its echo is slowed down by TCP flow control instead of growing our
 * memory; on_sent retries. No per-connection allocation.
 */
#include "sluice_service.h"

static int
tcp_echo_accept(void *state, struct stk_tcp_conn *c, void **conn_arg)
{
	RTE_SET_USED(state);
	RTE_SET_USED(c);
	*conn_arg = NULL; /* the chain waiting for room, if any */
	return 0;
}

/* Queue what waits; once nothing waits and the peer is done, so are we. */
static void
tcp_echo_flush(struct stk_tcp_conn *c, struct rte_mbuf *wait)
{
	if (wait != NULL) {
		uint32_t len = rte_pktmbuf_pkt_len(wait);

		if (stk_tcp_send_mbuf(c, wait) != 0)
			return;
		stk_tcp_set_arg(c, NULL);
		stk_tcp_recved(c, len);
	}
	if (stk_tcp_get_state(c) == STK_TCP_CLOSE_WAIT)
		stk_tcp_shutdown(c);
}

static uint32_t
tcp_echo_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *wait = arg;

	if (m == NULL) {
		/* the peer's FIN: close after the last echoed byte */
		tcp_echo_flush(c, wait);
		return 0;
	}
	if (wait == NULL && stk_tcp_send_mbuf(c, m) == 0)
		return len;
	if (wait == NULL) {
		wait = m;
	} else if (rte_pktmbuf_chain(wait, m) != 0) {
		/* more segments than one chain holds: cannot happen within a
		 * receive window, but never lose bytes silently */
		rte_pktmbuf_free(m);
		stk_tcp_abort(c);
		rte_pktmbuf_free(wait);
		return 0;
	}
	stk_tcp_set_arg(c, wait);
	return 0;
}

static void
tcp_echo_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	RTE_SET_USED(space);
	if (arg != NULL)
		tcp_echo_flush(c, arg);
}

static void
tcp_echo_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	RTE_SET_USED(c);
	RTE_SET_USED(why);
	rte_pktmbuf_free(arg);
}

static const struct sl_service tcp_echo = {
	.name = "tcp-echo",
	.help = "echo every byte of every TCP connection back (RFC 862), zero copy",
	.tcp =
		{
			.on_accept = tcp_echo_accept,
			.on_data = tcp_echo_data,
			.on_sent = tcp_echo_sent,
			.on_close = tcp_echo_close,
		},
};

SL_SERVICE_REGISTER(tcp_echo);
