/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice configuration: INI files read with DPDK's rte_cfgfile, every key
 * declared once in one table (type, bounds, default, help), command-line
 * overrides (--set section.key=value) going through the same table. The
 * result is a plain struct that the main lcore fills once and every other
 * lcore only reads.
 *
 * Sections and keys (the table in app_config.c is the authority; run
 * `sluice --help-config`):
 *
 *   [sluice]  mode, service, duration, stats_interval, burst, tx_drain_us,
 *             lcore_map (l3fwd's "(port,queue,lcore),..." syntax)
 *   [portN]   dev, ip (a.b.c.d/len), gateway, mac, rxq, txq, rxd, txd,
 *             mtu, promisc, rss        (N = 0..APP_MAX_PORTS-1)
 *   [stack]   arp_entries, arp_timeout, arp_retry_ms, arp_retries,
 *             arp_pending, arp_static ("ip mac, ip mac"), icmp_rate,
 *             icmp_burst, ttl
 *   [service] udp_port, tcp_port, work_cycles, connect_ip, connect_port,
 *             http_path, http_body, fetch_bytes, fetch_count
 *   [pipeline] rx_lcores, worker_lcores, tx_lcores (lcore lists "0,2-3"),
 *             ring_size, rx_burst, worker_burst, tx_burst
 *   [tcp]     max_conns, time_wait_ms, max_time_wait, r2, r2_syn, rto_min_ms,
 *             delack_ms, nagle, keepalive, keepalive_idle, keepalive_intvl,
 *             keepalive_probes, sndbuf, rcvbuf, ooo_bytes, ooo_segs,
 *             syn_backlog, syncookies, challenge_acks, timestamps, sack,
 *             window_scaling
 *   [kv]      memory_mb, item_max
 *
 * Only main() and the tests call these; none is for the data path.
 */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>

#ifdef __cplusplus
extern "C" {
#endif

#define APP_MAX_PORTS 8
#define APP_MAX_MAP 64
#define APP_MAX_ARP_STATIC 64
#define APP_DEV_LEN 512
#define APP_NAME_LEN 32
#define APP_HTTP_PATH_LEN 128 /**< [service] http_path, NUL included */
#define APP_HTTP_BODY_LEN 256 /**< [service] http_body decoded, NUL included */
#define APP_MAX_QUEUES 64 /**< bound of portN.rxq / portN.txq */
#define APP_MAX_PIPE_LCORES 16 /**< lcores per pipeline role */

enum app_mode {
	APP_MODE_RTC = 0,
	APP_MODE_PIPELINE,
};

struct app_port_cfg {
	bool present;                 /**< a [portN] section exists */
	char dev[APP_DEV_LEN];        /**< PCI address or vdev string (required) */
	uint32_t ip;                  /**< network byte order (required) */
	uint8_t prefix_len;           /**< from "ip = a.b.c.d/len", default 24 */
	uint32_t gateway;             /**< network byte order, 0 = none */
	struct rte_ether_addr mac;    /**< override of the port's MAC */
	bool mac_set;
	uint16_t rxq;                 /**< RX queues, 1..64, default 1 */
	uint16_t txq;                 /**< TX queues, 0 = one per lcore using the port */
	uint16_t rxd;                 /**< RX descriptors, 64..16384, default 1024 */
	uint16_t txd;                 /**< TX descriptors, 64..16384, default 1024 */
	uint16_t mtu;                 /**< 68..9000, default 1500 */
	bool promisc;                 /**< default false */
	bool rss;                     /**< default true (only used when rxq > 1) */
};

struct app_map_entry {
	uint16_t port;
	uint16_t queue;
	uint16_t lcore;
};

/** A list of lcore ids, ascending, no duplicates; n = 0: not set. */
struct app_lcore_list {
	uint16_t n;
	uint16_t ids[APP_MAX_PIPE_LCORES];
};

struct app_arp_static {
	uint32_t ip; /**< network byte order */
	struct rte_ether_addr mac;
};

struct app_config {
	char source[256];             /**< file name, for messages */

	/* [sluice] */
	enum app_mode mode;           /**< "rtc" (default) | "pipeline" */
	char service[APP_NAME_LEN];   /**< default "udp-echo" */
	uint32_t duration;            /**< seconds, 0 = until SIGINT/SIGTERM; default 0 */
	uint32_t stats_interval;      /**< seconds between stats lines, 0 = none; default 1 */
	uint16_t burst;               /**< RX burst, 1..256, default 32 */
	uint32_t tx_drain_us;         /**< TX buffer drain deadline, 1..100000, default 100 */
	uint32_t mbufs;               /**< per-socket pool size, 0 = automatic (default) */
	uint16_t n_map;               /**< 0 = no lcore_map given: the loop assigns */
	struct app_map_entry map[APP_MAX_MAP];

	/* [portN] */
	uint16_t n_ports;             /**< number of [portN] sections; they must be 0..n-1 */
	struct app_port_cfg ports[APP_MAX_PORTS];

	/* [stack] */
	uint32_t arp_entries;         /**< 16..1048576, default 1024 */
	uint32_t arp_timeout;         /**< seconds, 1..86400, default 300 */
	uint32_t arp_retry_ms;        /**< 10..60000, default 1000 */
	uint32_t arp_retries;         /**< 1..100, default 3 */
	uint32_t arp_pending;         /**< 0..65536, default 256 */
	uint16_t n_arp_static;
	struct app_arp_static arp_static[APP_MAX_ARP_STATIC];
	uint32_t icmp_rate;           /**< ICMP errors per second, 0..1000000, default 100 */
	uint32_t icmp_burst;          /**< 1..1000000, default 50 */
	uint8_t ttl;                  /**< 1..255, default 64 */

	/* [service] */
	uint16_t udp_port;            /**< 1..65535, default 7 */
	uint16_t tcp_port;            /**< 1..65535, default 7 */
	uint32_t work_cycles;         /**< udp-spin's cycles per request, default 500 */
	uint32_t connect_ip;          /**< tcp-fetch's server, network order; 0 = none */
	uint16_t connect_port;        /**< tcp-fetch's server port, default 80 */
	char http_path[APP_HTTP_PATH_LEN]; /**< http's 200 path, default "/" */
	char http_body[APP_HTTP_BODY_LEN]; /**< http's 200 body, escapes decoded */
	uint64_t fetch_bytes;         /**< tcp-fetch: bytes to echo; 0 = HTTP GET */
	uint32_t fetch_count;         /**< tcp-fetch: requests, one after another */

	/* [pipeline] (used when mode = pipeline) */
	struct app_lcore_list pipe_rx;      /**< RX lcores; empty = the main lcore */
	struct app_lcore_list pipe_workers; /**< empty = every other enabled lcore */
	struct app_lcore_list pipe_tx;      /**< TX lcores; empty = the RX lcores */
	uint32_t pipe_ring_size;      /**< packets per ring, 16..65536, default 1024 */
	uint16_t pipe_rx_burst;       /**< 1..256, default 32 */
	uint16_t pipe_worker_burst;   /**< 1..256, default 32 */
	uint16_t pipe_tx_burst;       /**< 1..256, default 32 */

	/* [tcp] (stk_tcp.h; the table in app_config.c has bounds and help) */
	uint32_t tcp_max_conns;       /**< per lcore, 0 = TCP off; default 1024 */
	uint32_t tcp_time_wait_ms;    /**< 2 MSL, default 60000 */
	uint32_t tcp_max_time_wait;   /**< 0 = max_conns / 4 */
	uint32_t tcp_r2;              /**< seconds, default 100 */
	uint32_t tcp_r2_syn;          /**< seconds, >= 180 */
	uint32_t tcp_rto_min_ms;      /**< default 1000 */
	uint32_t tcp_delack_ms;       /**< default 40 */
	bool tcp_nagle;               /**< default yes */
	bool tcp_keepalive;           /**< default no */
	uint32_t tcp_ka_idle;         /**< seconds, default 7200 */
	uint32_t tcp_ka_intvl;        /**< seconds, default 75 */
	uint32_t tcp_ka_probes;       /**< default 9 */
	uint32_t tcp_sndbuf;          /**< bytes, default 65536 */
	uint32_t tcp_tx_copy_max;     /**< bytes; 0 = STK_TCP_TX_COPY_MAX */
	uint32_t tcp_rcvbuf;          /**< bytes, default 65536 */
	uint32_t tcp_ooo_bytes;       /**< 0 = rcvbuf */
	uint32_t tcp_ooo_segs;        /**< default 64 */
	uint32_t tcp_syn_backlog;     /**< default 256 */
	bool tcp_syncookies;          /**< default yes */
	uint32_t tcp_chack;           /**< challenge ACKs per second, default 10 */
	bool tcp_ts;                  /**< offer timestamps, default yes */
	bool tcp_sack;                /**< offer SACK, default yes */
	bool tcp_ws;                  /**< offer window scaling, default yes */

	/* [kv] (the kv service) */
	uint32_t kv_memory_mb;        /**< item memory shared by all lcores, default 64 */
	uint32_t kv_item_max;         /**< largest value, bytes, default 1048576 */
	/** [service] udp_port / tcp_port were given (file or --set), so a
	 *  service's own default port (sl_service.default_port) does not apply */
	bool udp_port_set, tcp_port_set;
};

/**
 * Fill @p cfg with every key's default (no ports).
 */
void app_config_defaults(struct app_config *cfg);

/**
 * Load @p file, then apply @p n_sets overrides "section.key=value".
 * Every key is checked against the table: unknown sections or keys,
 * values that do not parse or are out of bounds, a missing required key
 * (portN.dev, portN.ip), port sections with gaps, a lcore_map naming a port
 * that is not configured or a queue >= that port's rxq: each fails with
 * one message in @p err that names the file (or "--set"), the section and
 * key, what was wrong and what to do, e.g.
 *   "configs/x.ini: [port0] rxq = 99: out of range, must be 1..64"
 * @return 0 on success, -EINVAL on a bad config, -ENOENT if the file
 *         cannot be read (err says so too).
 */
int app_config_load(struct app_config *cfg, const char *file, char *const *sets, int n_sets,
		    char *err, size_t errlen);

/**
 * Parse l3fwd's "(port,queue,lcore),(port,queue,lcore)" syntax into @p map.
 * Whitespace allowed around tokens. @return number of entries, or -EINVAL
 * (with a message in err) on malformed input or more than @p max entries.
 */
int app_config_parse_map(const char *s, struct app_map_entry *map, int max, char *err,
			 size_t errlen);

/**
 * Apply one override "section.key=value" (what --set carries) to @p cfg
 * through the key table, exactly as app_config_load() does after the file;
 * a [portN] that does not exist yet is created with defaults. No cross-key
 * validation (required keys, lcore_map against ports, ...): load does that.
 * @return 0, or -EINVAL with "--set: [section] key = value: why" in err.
 */
int app_config_set(struct app_config *cfg, const char *set, char *err, size_t errlen);

/** Print every key: section, key, type, bounds, default, help. */
void app_config_help(FILE *out);

/** Print the effective configuration as INI (what was loaded + defaults). */
void app_config_dump(const struct app_config *cfg, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* APP_CONFIG_H */
