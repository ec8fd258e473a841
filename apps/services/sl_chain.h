/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for services that keep received bytes in an mbuf chain until
 * they have parsed them (http, kv).
 */
#ifndef SL_CHAIN_H
#define SL_CHAIN_H

#include <rte_mbuf.h>

/* Drop @n bytes (at most the chain's length) from the front of the chain
 * *@head, freeing the segments they empty; *@head becomes the rest (NULL
 * when nothing is left). */
static inline void
sl_chain_consume(struct rte_mbuf **head, uint32_t n)
{
	struct rte_mbuf *m = *head;
	uint32_t left = n;

	while (m != NULL && left >= m->data_len) {
		struct rte_mbuf *next = m->next;
		uint16_t nb = m->nb_segs;
		uint32_t pkt_len = m->pkt_len - m->data_len;

		left -= m->data_len;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = next;
		if (m != NULL) {
			m->nb_segs = (uint16_t)(nb - 1);
			m->pkt_len = pkt_len;
		}
	}
	if (m != NULL && left > 0) {
		m->data_off += left;
		m->data_len -= left;
		m->pkt_len -= left;
	}
	*head = m;
}

#endif /* SL_CHAIN_H */
