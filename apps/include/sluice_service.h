/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The sluice service API: the one header a service includes.
 *
 * A service is a table of callbacks. sluice calls lcore_init() once on
 * every lcore that runs the stack, before the first packet, with that
 * lcore's stack context; the service keeps whatever per-lcore state it
 * needs (share-nothing: never touch another lcore's state). Datagrams to
 * the configured UDP port arrive in udp_rx() on the lcore that runs the
 * stack for their flow: the one that received them in run-to-completion
 * mode, the worker that owns the flow in pipeline mode.
 *
 * Connections to the configured TCP port arrive through the tcp callbacks
 * (struct stk_tcp_ops, see stk_tcp.h): on_accept, on_data, on_sent,
 * on_close; the service answers with stk_tcp_send(), stk_tcp_send_mbuf(),
 * stk_tcp_shutdown(), stk_tcp_close() or stk_tcp_abort(), and may open
 * connections of its own with stk_tcp_connect(). One table serves UDP and
 * TCP: a service may set both.
 *
 * Adding a service: write apps/services/my_svc.c with
 *
 *     static enum stk_udp_verdict
 *     my_rx(void *state, struct stk_udp_msg *msg) { ...; return STK_UDP_REPLY; }
 *
 *     static const struct sl_service my_svc = {
 *             .name = "my-svc", .help = "what it does", .udp_rx = my_rx,
 *     };
 *     SL_SERVICE_REGISTER(my_svc);
 *
 * add the file to `services` in apps/meson.build, and select it with
 * `[sluice] service = my-svc`.
 */
#ifndef SLUICE_SERVICE_H
#define SLUICE_SERVICE_H

#include <rte_common.h>

#include "stk.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a service sees of the configuration on each lcore. */
struct sl_service_env {
	unsigned int lcore_id;
	struct stk_ctx *stk;  /**< this lcore's stack context */
	uint16_t udp_port;    /**< [service] udp_port */
	uint16_t tcp_port;    /**< [service] tcp_port */
	uint32_t tcp_max_conns; /**< [tcp] max_conns: connections per lcore at most */
	uint32_t work_cycles; /**< [service] work_cycles (services that simulate work) */
	uint32_t connect_ip;  /**< [service] connect_ip, network order; 0 = not set */
	uint16_t connect_port; /**< [service] connect_port */
	/** [service] http_path: the one path http answers with 200; NULL = "/" */
	const char *http_path;
	/** [service] http_body (escapes decoded), the 200 body; NULL = the
	 *  default "hello from sluice\n" */
	const char *http_body;
	/** [service] fetch_bytes: tcp-fetch sends this many bytes (for an
	 *  echo server) instead of an HTTP request; 0 = the request */
	uint64_t fetch_bytes;
	/** [service] fetch_count: tcp-fetch's requests, one connection after
	 *  the other; 0 or 1 = one */
	uint32_t fetch_count;
	/* [kv] (the kv service) */
	uint32_t kv_memory_mb; /**< [kv] memory_mb: item memory shared by every lcore */
	uint32_t kv_item_max;  /**< [kv] item_max: largest value in bytes */
};

struct sl_service {
	const char *name; /**< selected by [sluice] service = name */
	const char *help; /**< one line for `sluice --help` */
	/** Per-lcore set-up on the lcore itself; *state is handed to the
	 *  other callbacks. Optional. Return 0 or -errno. */
	int (*lcore_init)(const struct sl_service_env *env, void **state);
	/** Per-lcore tear-down; free what lcore_init made. Optional. */
	void (*lcore_fini)(void *state);
	/** A datagram to udp_port. The verdict says what the stack does with
	 *  msg->m (see enum stk_udp_verdict). Runs on the data path: no
	 *  allocation, lock, syscall or log line per packet. */
	stk_udp_rx_fn udp_rx;
	/** TCP callbacks (stk_tcp.h). When on_accept or on_data is set,
	 *  sluice listens on [service] tcp_port on every lcore (the listener's
	 *  arg, on_accept's listen_arg, is that lcore's state) and, before
	 *  lcore_fini, aborts the connections still open with
	 *  on_close(STK_TCP_CLOSE_ABORT) so that per-connection state can be
	 *  freed there. Same rules as udp_rx: data path, no allocation, lock,
	 *  syscall or log line per call. */
	struct stk_tcp_ops tcp;
	/** The service only opens connections (stk_tcp_connect()): sluice
	 *  does not listen on tcp_port for it, but still aborts what is open
	 *  before lcore_fini. */
	bool tcp_client;
	/** The service's own port for [service] udp_port and tcp_port when
	 *  the configuration does not set them (kv: 11211, memcached's);
	 *  0 = [service]'s defaults (7). */
	uint16_t default_port;
};

/** Register a service (called by SL_SERVICE_REGISTER at load time). */
void sl_service_register(const struct sl_service *svc);
/** Find a registered service by name; NULL if none. */
const struct sl_service *sl_service_find(const char *name);
/** Call @p fn for each registered service, in registration order. */
void sl_service_foreach(void (*fn)(const struct sl_service *svc, void *arg), void *arg);

#define SL_SERVICE_REGISTER(svc)                                                                   \
	RTE_INIT(sl_service_register_##svc)                                                        \
	{                                                                                          \
		sl_service_register(&(svc));                                                       \
	}

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_SERVICE_H */
