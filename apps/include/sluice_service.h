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
 *
 * A service's own config keys are declared in its struct sl_service, and
 * live in the config section named after it ([my-svc]; the selected
 * service's keys may be written in [service] too). sluice parses them with
 * its own parser (same types, bounds and messages, exit 2 on a bad or
 * unknown key), lists them in --help-config, prints them in --dump-config,
 * takes --set my-svc.key=value, and hands the parsed struct to lcore_init
 * as env->cfg:
 *
 *     struct my_cfg { uint32_t limit; char greeting[32]; };
 *
 *     static const struct sl_cfg_key my_keys[] = {
 *             {"limit", SL_CFG_UINT, .min = 1, .max = 1000, .def = "10",
 *              .help = "what it bounds", SL_CFG_FIELD(struct my_cfg, limit)},
 *             {"greeting", SL_CFG_TEXT, .max = 31, .def = "hi\\n",
 *              .help = "what it says", SL_CFG_FIELD(struct my_cfg, greeting)},
 *     };
 *
 *     static int
 *     my_init(const struct sl_service_env *env, void **state)
 *     {
 *             const struct my_cfg *cfg = env->cfg; // [my-svc] limit, greeting
 *             ...
 *     }
 *
 *     static const struct sl_service my_svc = {
 *             .name = "my-svc", .lcore_init = my_init, .udp_rx = my_rx,
 *             .cfg_keys = my_keys, .n_cfg_keys = RTE_DIM(my_keys),
 *             .cfg_size = sizeof(struct my_cfg),
 *     };
 *
 * [service] udp_port and tcp_port stay sluice's own keys (sluice binds
 * them for the service) and reach the service as env->udp_port/tcp_port.
 */
#ifndef SLUICE_SERVICE_H
#define SLUICE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "lc_offload.h"
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
	/** The service's own keys, parsed: a struct of cfg_size bytes laid
	 *  out as its cfg_keys say (defaults where the config says nothing).
	 *  Shared by every lcore and read-only; NULL if it declares no keys. */
	const void *cfg;
};

/** Types of a service's config key (see struct sl_cfg_key). */
enum sl_cfg_type {
	SL_CFG_UINT,   /**< decimal min..max, stored in 1, 2, 4 or 8 bytes */
	SL_CFG_BOOL,   /**< yes/no, true/false, on/off, 1/0; stored as a bool */
	SL_CFG_STRING, /**< up to max characters, stored NUL-terminated (size > max) */
	SL_CFG_TEXT, /**< a string with C escapes (backslash n, r, t, backslash), stored decoded */
	SL_CFG_IPV4, /**< a unicast host a.b.c.d, stored as a uint32_t in network order */
	SL_CFG_ENUM, /**< one of values[], its index stored like SL_CFG_UINT */
};

/** Flag of struct sl_cfg_key: an empty value (or def "") means "not set",
 *  stored as zeroes. */
#define SL_CFG_OPTIONAL 0x2u
/** Flag of struct sl_cfg_key (SL_CFG_UINT only): the value names an offload
 *  lane, so the config load checks it is below [offload] lanes (exit 2 and
 *  one message otherwise). */
#define SL_CFG_LANE 0x10u

/** One key of a service's config: its declaration, once. */
struct sl_cfg_key {
	const char *name; /**< key name inside the service's section */
	enum sl_cfg_type type;
	uint64_t min, max;	   /**< SL_CFG_UINT bounds; STRING/TEXT: max length */
	const char *const *values; /**< SL_CFG_ENUM: the names, NULL-terminated */
	const char *def;	   /**< default, written as in a file; "" = not set */
	const char *help;	   /**< for --help-config */
	size_t off;		   /**< where the value lives in the service's struct */
	size_t size;		   /**< and how many bytes it has there */
	unsigned int flags;	   /**< SL_CFG_OPTIONAL, SL_CFG_LANE */
	/** Optional further check of a STRING/TEXT value (as written): 0, or
	 *  -EINVAL with @p why saying what is wrong (not naming the key). */
	int (*check)(const char *val, char *why, size_t wl);
};

/** .off and .size of a struct sl_cfg_key for field @p f of struct type @p t. */
#define SL_CFG_FIELD(t, f) .off = offsetof(t, f), .size = sizeof(((t *)NULL)->f)

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
	/** The service's config keys, read from its own section [name] (and
	 *  from [service] when it is the selected service); NULL = none. */
	const struct sl_cfg_key *cfg_keys;
	unsigned int n_cfg_keys;
	size_t cfg_size; /**< sizeof the struct cfg_keys point into: at most 4096
			  *  bytes, aligned to at most 16 */
	/** Optional check across keys once all are parsed (selected service
	 *  only): 0, or -EINVAL with @p why saying what to change. */
	int (*cfg_check)(const void *cfg, char *why, size_t wl);
	/** The service's own port for [service] udp_port and tcp_port when
	 *  the configuration does not set them (kv: 11211, memcached's);
	 *  0 = [service]'s defaults (7). */
	uint16_t default_port;
};

/** A check for SL_CFG_STRING keys that hold an HTTP request target: starts
 *  with '/', no space or control character. */
int sl_cfg_check_http_path(const char *val, char *why, size_t wl);

/** Register a service (called by SL_SERVICE_REGISTER at load time). */
void sl_service_register(const struct sl_service *svc);
/** Find a registered service by name; NULL if none. */
const struct sl_service *sl_service_find(const char *name);
/** Call @p fn for each registered service, in registration order. */
void sl_service_foreach(void (*fn)(const struct sl_service *svc, void *arg), void *arg);

/**
 * The whole sluice program: EAL and application options (see sluice
 * --help), the config, ports, stack, loops, stats, a clean stop on
 * SIGINT/SIGTERM, and the mbuf check at the end, with the service that
 * [sluice] service names among those registered (sluice's own and any
 * SL_SERVICE_REGISTER in the calling binary). Call it from main() once;
 * it returns the process exit code (0 clean, 1 a failure while running or
 * mbufs missing, 2 bad usage or config) and may exit with it.
 */
int sluice_main(int argc, char **argv);

/* ---- offload lanes (lcore/include/lc_offload.h has the whole contract) ----
 *
 * A handler on a stack lcore hands the work of a request to a worker lcore
 * and answers when the result is back:
 *
 *     struct lc_off_req job = {
 *             .fn = my_work,         // int my_work(void *arg): worker lcore, touches arg only
 *             .arg = my_job,         // lent to the worker until done runs
 *             .done = my_done,       // void my_done(cookie, arg, fate, result): this lcore
 *             .cookie = conn_state,
 *             .lane = 1,             // 0 = highest priority
 *             .gen = &slot->gen, .gen_val = slot->gen, // optional: cancel on close
 *     };
 *     int rc = sl_offload_submit(&job);
 *
 * rc 0: queued; 1: ran inline (lane full with on_full = run_inline, or no
 * [offload] lcores); done is then called exactly once, later, from this
 * lcore's loop, with fate LC_OFF_DONE, LC_OFF_EXPIRED (waited past
 * deadline_us, or queued at shutdown) or LC_OFF_CANCELLED (*gen changed:
 * the connection closed, the slot may be someone else's now: do not touch
 * it). rc -ENOBUFS: the lane is full, the job was not taken (counted as
 * rejected), answer 503 or drop; -ESHUTDOWN: sluice is stopping. Data
 * path: no allocation, lock or syscall.
 */
static inline int
sl_offload_submit(const struct lc_off_req *job)
{
	return lc_off_submit(lc_off_reactor_of(rte_lcore_id()), job);
}

/** Lanes configured ([offload] lanes; 1 without [offload]). */
static inline unsigned int
sl_offload_lanes(void)
{
	return lc_off_lanes();
}

#define SL_SERVICE_REGISTER(svc)                                                                   \
	RTE_INIT(sl_service_register_##svc)                                                        \
	{                                                                                          \
		sl_service_register(&(svc));                                                       \
	}

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_SERVICE_H */
