/* SPDX-License-Identifier: BSD-3-Clause */
/* The stream client and side set-up of the two-stack tests; see tcp_pair.h. */
#include <stdarg.h>
#include <stdio.h>

#include "tcp_pair.h"

uint8_t
tp_byte_at(uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ULL;
	return (uint8_t)(x >> 40);
}

bool
tp_stream_ok(const struct rte_mbuf *m, uint64_t off, uint64_t *bad, uint8_t *got)
{
	const struct rte_mbuf *s;

	for (s = m; s != NULL; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);
		uint16_t i;

		for (i = 0; i < s->data_len; i++)
			if (p[i] != tp_byte_at(off + i)) {
				*bad = off + i;
				*got = p[i];
				return false;
			}
		off += s->data_len;
	}
	return true;
}

/* keeps the first fault only: later ones tend to follow from it */
static void __attribute__((format(printf, 2, 3)))
client_fault(struct tp_client *cl, const char *fmt, ...)
{
	va_list ap;

	if (cl->fault[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(cl->fault, sizeof(cl->fault), fmt, ap);
	va_end(ap);
}

static void
client_push(struct tp_client *cl)
{
	while (cl->sent < cl->total) {
		uint32_t n = (uint32_t)RTE_MIN(cl->total - cl->sent, (uint64_t)TP_CHUNK), i;
		int r;

		n = RTE_MIN(n, stk_tcp_send_space(cl->c));
		if (n == 0)
			break;
		for (i = 0; i < n; i++)
			cl->buf[i] = tp_byte_at(cl->sent + i);
		r = stk_tcp_send(cl->c, cl->buf, n);
		if (r <= 0)
			break;
		cl->sent += (uint64_t)r;
	}
	if (cl->sent == cl->total && !cl->shut) {
		int r = stk_tcp_shutdown(cl->c);

		cl->shut = true;
		if (r != 0)
			client_fault(cl, "shutdown failed (%d)", r);
	}
}

static void
client_connected(void *arg, struct stk_tcp_conn *c)
{
	struct tp_client *cl = arg;

	cl->c = c;
	client_push(cl);
}

static uint32_t
client_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct tp_client *cl = arg;
	struct rte_mbuf *s;
	uint64_t bad;
	uint8_t got;

	RTE_SET_USED(c);
	if (m == NULL) {
		if (cl->eof)
			client_fault(cl, "end of stream twice");
		cl->eof = true;
		return 0;
	}
	if (cl->eof)
		client_fault(cl, "%u bytes after the end of stream", len);
	if (!tp_stream_ok(m, cl->rcvd, &bad, &got))
		client_fault(cl, "echoed byte %lu is %#x, sent as %#x", (unsigned long)bad, got,
			     tp_byte_at(bad));
	for (s = m; s != NULL; s = s->next)
		cl->rcvd += s->data_len;
	if (cl->rcvd > cl->total)
		client_fault(cl, "%lu bytes echoed of %lu sent", (unsigned long)cl->rcvd,
			     (unsigned long)cl->total);
	rte_pktmbuf_free(m);
	return len;
}

static void
client_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	RTE_SET_USED(c);
	RTE_SET_USED(space);
	client_push(arg);
}

static void
client_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct tp_client *cl = arg;

	RTE_SET_USED(c);
	cl->closed = true;
	cl->reason = why;
}

const struct stk_tcp_ops tp_client_ops = {
	.on_connected = client_connected,
	.on_data = client_data,
	.on_sent = client_sent,
	.on_close = client_close,
};

void
tp_side_conf(struct fx *fx, const char *name, stk_tx_fn tx, void *tx_arg, const char *ip,
	     const struct rte_ether_addr *mac, const char *peer_ip,
	     const struct rte_ether_addr *peer_mac)
{
	fx->conf.name = name; /* fx_new's name buffer is shared */
	fx->conf.tx = tx;
	fx->conf.tx_arg = tx_arg;
	fx->conf.ifs[0].ip = fx_ip(ip);
	fx->conf.ifs[0].mac = *mac;
	fx->conf.n_arp_static = 1;
	fx->conf.arp_static[0].ip = fx_ip(peer_ip);
	fx->conf.arp_static[0].mac = *peer_mac;
}
