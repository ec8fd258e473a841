/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp-echo: every datagram to [service] udp_port comes back to its sender
 * unchanged (RFC 862 over UDP). The reply is the request's own mbuf with
 * addresses and ports swapped by the stack: no copy, and the UDP checksum
 * stays valid because the ones'-complement sum does not depend on the
 * order of the words it adds.
 */
#include "sluice_service.h"

static enum stk_udp_verdict
udp_echo_rx(void *state, struct stk_udp_msg *msg)
{
	RTE_SET_USED(state);
	RTE_SET_USED(msg);
	return STK_UDP_REPLY_SAME;
}

static const struct sl_service udp_echo = {
	.name = "udp-echo",
	.help = "echo every UDP datagram back to its sender (RFC 862), zero copy",
	.udp_rx = udp_echo_rx,
};

SL_SERVICE_REGISTER(udp_echo);
