/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP shared between lcores: one mechanism for both modes.
 *
 * Each lcore that runs a stack owns its ARP table, and an ARP frame reaches
 * one lcore only: in RTC with several queues, RSS cannot hash ARP (no
 * ports), so replies land on whichever queue the NIC picks, usually 0,
 * while another lcore asked; in pipeline mode every ARP frame goes to
 * worker 0 by design. Sharing the table would put a lock or atomics on the
 * data path. Instead the lcore that receives a valid ARP frame tells the
 * others: the stack calls its arp_notify hook (struct stk_conf) with the
 * sender's IP and MAC once the frame passed every check, lc_arp_notify()
 * puts a 16-byte message into the message ring of every other stack lcore
 * (an rte_ring of fixed-size elements, multi-producer/single-consumer,
 * enqueue never waits: a full ring drops the message and counts it in
 * arp_msgs_dropped), and each loop polls its own ring once per iteration
 * and hands the messages to stk_arp_remote(), which applies the local
 * learning rules (RELIABILITY.md 7: a reply only resolves an entry that
 * context itself left INCOMPLETE, a request addressed to us teaches the
 * sender) and sends the packets queued behind the entry. A lost message
 * costs at most one ARP retry of the lcore that asked.
 */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lc_priv.h"

#define LC_MSG_BURST 16

struct lc_arp_msg {
	uint32_t ip;
	uint16_t port_id;
	uint8_t is_reply;
	uint8_t pad;
	struct rte_ether_addr mac;
	uint16_t pad2;
};

int
lc_msg_ring_create(struct lc_ctx *ctx, int socket, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "lc_msg%u", ctx->lcore_id);
	ctx->msg = rte_ring_create_elem(name, sizeof(struct lc_arp_msg), LC_MSG_RING_SIZE, socket,
					RING_F_SC_DEQ);
	if (ctx->msg == NULL) {
		snprintf(err, errlen, "lcore %u: cannot create its ARP message ring: %s",
			 ctx->lcore_id, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

void
lc_msg_ring_free(struct lc_ctx *ctx)
{
	rte_ring_free(ctx->msg);
	ctx->msg = NULL;
}

void
lc_arp_notify(void *arg, uint16_t port_id, uint32_t ip, const struct rte_ether_addr *mac,
	      bool is_reply)
{
	struct lc_ctx *self = arg;
	struct lc_arp_msg msg = {
		.ip = ip,
		.port_id = port_id,
		.is_reply = is_reply,
		.mac = *mac,
	};
	unsigned int k;

	for (k = 0; k < lc_n_loops; k++) {
		const struct lc_ctx *peer = lc_ctxs[lc_loop_ids[k]];

		if (peer == NULL || peer == self || peer->msg == NULL)
			continue;
		if (rte_ring_mp_enqueue_elem(peer->msg, &msg, sizeof(msg)) != 0)
			self->stats.arp_msgs_dropped++;
	}
}

void
lc_msg_drain(struct lc_ctx *ctx)
{
	struct lc_arp_msg msgs[LC_MSG_BURST];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst_elem(ctx->msg, msgs, sizeof(msgs[0]), LC_MSG_BURST, NULL);
	for (i = 0; i < n; i++)
		stk_arp_remote(ctx->stk, msgs[i].port_id, msgs[i].ip, &msgs[i].mac,
			       msgs[i].is_reply != 0);
}
