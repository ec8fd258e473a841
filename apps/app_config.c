/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice configuration. Every key is declared once in keys[] below (Redis's
 * createIntConfig table): type, bounds, default, help and where it lands in
 * struct app_config. The INI file (rte_cfgfile), the --set overrides, the
 * defaults, --help-config and --dump-config all walk that one table, so a
 * key cannot be parsed one way and printed another.
 *
 * rte_cfgfile silently skips lines it does not understand, truncates long
 * names and values, and reports the rest only through the DPDK log. So the
 * file is read twice: scan_file() checks each line's syntax first and
 * remembers line numbers, so every message can point at the line; then
 * rte_cfgfile_load() builds the sections and entries that go through the
 * table.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cfgfile.h>
#include <rte_common.h>
#include <rte_config.h>
#include <rte_ether.h>

#include "app_config.h"

#define SEE_HELP " (see sluice --help-config)"

enum sec {
	SEC_SLUICE,
	SEC_PORT,
	SEC_STACK,
	SEC_SERVICE,
	SEC_PIPELINE,
	SEC_TCP,
	SEC_KV,
	SEC_MAX,
};

static const char *const sec_names[SEC_MAX] = {"sluice",  "port",     "stack", "service",
					       "pipeline", "tcp",     "kv"};

enum ktype {
	T_UINT,
	T_BOOL,
	T_STRING,
	T_ENUM,
	T_IPV4,
	T_IPV4_PREFIX,
	T_MAC,
	T_LCORE_MAP,
	T_ARP_STATIC,
	T_LCORE_LIST,
	T_TEXT, /* a string with C-style escapes, stored decoded */
};

#define KF_REQUIRED 0x1u /* must be given for every instance of the section */
#define KF_OPTIONAL 0x2u /* empty value (the default) means "not set" */
#define KF_LIST 0x4u	 /* may repeat in a file; entries accumulate */

struct key {
	enum sec sec;
	const char *name;
	enum ktype type;
	uint64_t min, max;	   /* T_UINT bounds; T_STRING: max length */
	const char *const *values; /* T_ENUM, NULL-terminated; index is stored */
	const char *def;
	const char *help;
	size_t off;  /* in struct app_config, or struct app_port_cfg for SEC_PORT */
	size_t size; /* bytes at off (T_UINT, T_ENUM, T_STRING) */
	size_t off2; /* T_IPV4_PREFIX: prefix_len; T_MAC: mac_set */
	unsigned int flags;
	/* T_STRING: a further check of the value; 0 or -EINVAL with @why set */
	int (*check)(const char *val, char *why, size_t wl);
};

#define FIELD_SIZE(t, f) sizeof(((t *)NULL)->f)
#define CFG(f) .off = offsetof(struct app_config, f), .size = FIELD_SIZE(struct app_config, f)
#define PORT(f) .off = offsetof(struct app_port_cfg, f), .size = FIELD_SIZE(struct app_port_cfg, f)

static const char *const mode_values[] = {"rtc", "pipeline", NULL};

static int check_http_path(const char *val, char *why, size_t wl);

static const struct key keys[] = {
	/* [sluice] */
	{SEC_SLUICE, "mode", T_ENUM, .values = mode_values, .def = "rtc",
	 .help = "rtc: every lcore runs RX, stack, service and TX to completion; "
		 "pipeline: stages on separate lcores joined by rings",
	 CFG(mode)},
	{SEC_SLUICE, "service", T_STRING, .max = APP_NAME_LEN - 1, .def = "udp-echo",
	 .help = "service bound to [service] udp_port (sluice --help lists them)", CFG(service)},
	{SEC_SLUICE, "duration", T_UINT, .min = 0, .max = 31536000, .def = "0",
	 .help = "seconds to run, then stop cleanly; 0 = until SIGINT/SIGTERM", CFG(duration)},
	{SEC_SLUICE, "stats_interval", T_UINT, .min = 0, .max = 3600, .def = "1",
	 .help = "seconds between stats lines; 0 = only the final summary", CFG(stats_interval)},
	{SEC_SLUICE, "burst", T_UINT, .min = 1, .max = 256, .def = "32",
	 .help = "packets per rte_eth_rx_burst()", CFG(burst)},
	{SEC_SLUICE, "tx_drain_us", T_UINT, .min = 1, .max = 100000, .def = "100",
	 .help = "microseconds a partly filled TX buffer may wait before it is sent",
	 CFG(tx_drain_us)},
	{SEC_SLUICE, "mbufs", T_UINT, .min = 0, .max = 16777216, .def = "0",
	 .help = "mbufs per NUMA socket's pool; 0 = sized from ports, queues and lcores "
		 "(raise it for devices that hold many mbufs, e.g. net_pcap with "
		 "infinite_rx keeps every frame of its pcap)",
	 CFG(mbufs)},
	{SEC_SLUICE, "lcore_map", T_LCORE_MAP, .def = "",
	 .help = "which lcore polls which RX queue, l3fwd's --config syntax "
		 "\"(port,queue,lcore),...\"; must cover every RX queue of every port; "
		 "may repeat (entries add up); empty = queues spread over the worker lcores",
	 .flags = KF_OPTIONAL | KF_LIST},

	/* [portN] */
	{SEC_PORT, "dev", T_STRING, .max = APP_DEV_LEN - 1, .def = "",
	 .help = "PCI address (0000:01:00.0) or vdev with its devargs "
		 "(net_tap0,iface=sl0); a file value is limited to 255 characters, "
		 "use --set portN.dev=... for longer ones",
	 PORT(dev), .flags = KF_REQUIRED},
	{SEC_PORT, "ip", T_IPV4_PREFIX, .def = "",
	 .help = "the port's address and subnet, a.b.c.d/len (len 1..32, default 24); "
		 "distinct across ports",
	 PORT(ip), .off2 = offsetof(struct app_port_cfg, prefix_len), .flags = KF_REQUIRED},
	{SEC_PORT, "gateway", T_IPV4, .def = "",
	 .help = "next hop for destinations outside the subnet; must be inside the "
		 "port's subnet; empty = none (off-subnet destinations are dropped)",
	 PORT(gateway), .flags = KF_OPTIONAL},
	{SEC_PORT, "mac", T_MAC, .def = "",
	 .help = "unicast MAC the port uses instead of the device's own; empty = device's",
	 PORT(mac), .off2 = offsetof(struct app_port_cfg, mac_set), .flags = KF_OPTIONAL},
	{SEC_PORT, "rxq", T_UINT, .min = 1, .max = APP_MAX_QUEUES, .def = "1",
	 .help = "RX queues (RSS spreads flows over them when rss = yes)", PORT(rxq)},
	{SEC_PORT, "txq", T_UINT, .min = 0, .max = APP_MAX_QUEUES, .def = "0",
	 .help = "TX queues; 0 = one per lcore that uses the port", PORT(txq)},
	{SEC_PORT, "rxd", T_UINT, .min = 64, .max = 16384, .def = "1024",
	 .help = "descriptors per RX queue", PORT(rxd)},
	{SEC_PORT, "txd", T_UINT, .min = 64, .max = 16384, .def = "1024",
	 .help = "descriptors per TX queue", PORT(txd)},
	{SEC_PORT, "mtu", T_UINT, .min = 68, .max = 9000, .def = "1500",
	 .help = "IP MTU of the port (RFC 791: at least 68)", PORT(mtu)},
	{SEC_PORT, "promisc", T_BOOL, .def = "no", .help = "receive frames addressed to any MAC",
	 PORT(promisc)},
	{SEC_PORT, "rss", T_BOOL, .def = "yes",
	 .help = "hash flows over the RX queues (used only when rxq > 1)", PORT(rss)},

	/* [stack] */
	{SEC_STACK, "arp_entries", T_UINT, .min = 16, .max = 1048576, .def = "1024",
	 .help = "ARP cache entries per lcore", CFG(arp_entries)},
	{SEC_STACK, "arp_timeout", T_UINT, .min = 1, .max = 86400, .def = "300",
	 .help = "seconds a resolved ARP entry stays valid", CFG(arp_timeout)},
	{SEC_STACK, "arp_retry_ms", T_UINT, .min = 10, .max = 60000, .def = "1000",
	 .help = "milliseconds between ARP requests for an unresolved address", CFG(arp_retry_ms)},
	{SEC_STACK, "arp_retries", T_UINT, .min = 1, .max = 100, .def = "3",
	 .help = "ARP requests sent before the address is given up and its packets dropped",
	 CFG(arp_retries)},
	{SEC_STACK, "arp_pending", T_UINT, .min = 0, .max = 65536, .def = "256",
	 .help = "packets per lcore held while their next hop is being resolved", CFG(arp_pending)},
	{SEC_STACK, "arp_static", T_ARP_STATIC, .def = "",
	 .help = "permanent ARP entries \"ip mac, ip mac\", each ip inside a port's subnet; "
		 "may repeat (entries add up)",
	 .flags = KF_OPTIONAL | KF_LIST},
	{SEC_STACK, "icmp_rate", T_UINT, .min = 0, .max = 1000000, .def = "100",
	 .help = "ICMP errors sent per second (RFC 1812 4.3.2.8 rate limit); 0 = none",
	 CFG(icmp_rate)},
	{SEC_STACK, "icmp_burst", T_UINT, .min = 1, .max = 1000000, .def = "50",
	 .help = "ICMP errors that may be sent back to back", CFG(icmp_burst)},
	{SEC_STACK, "ttl", T_UINT, .min = 1, .max = 255, .def = "64",
	 .help = "TTL of packets sluice originates", CFG(ttl)},

	/* [service] */
	{SEC_SERVICE, "udp_port", T_UINT, .min = 1, .max = 65535, .def = "7",
	 .help = "UDP port the service listens on", CFG(udp_port)},
	{SEC_SERVICE, "tcp_port", T_UINT, .min = 1, .max = 65535, .def = "7",
	 .help = "TCP port the service listens on (services with TCP callbacks, e.g. tcp-echo)",
	 CFG(tcp_port)},
	{SEC_SERVICE, "work_cycles", T_UINT, .min = 0, .max = 100000000, .def = "500",
	 .help = "TSC cycles the udp-spin service spends per request before echoing it "
		 "(a stand-in for real request handling when comparing modes)",
	 CFG(work_cycles)},
	{SEC_SERVICE, "connect_ip", T_IPV4, .def = "",
	 .help = "server that services opening connections (tcp-fetch) connect to; "
		 "empty = none",
	 CFG(connect_ip), .flags = KF_OPTIONAL},
	{SEC_SERVICE, "connect_port", T_UINT, .min = 1, .max = 65535, .def = "80",
	 .help = "TCP port of connect_ip", CFG(connect_port)},
	{SEC_SERVICE, "http_path", T_STRING, .max = APP_HTTP_PATH_LEN - 1, .def = "/",
	 .help = "path the http service answers GET and HEAD for with 200 and http_body "
		 "(other paths: 404); starts with '/', no spaces or control characters, "
		 "matched exactly (no query string)",
	 CFG(http_path), .check = check_http_path},
	{SEC_SERVICE, "http_body", T_TEXT, .max = APP_HTTP_BODY_LEN - 1,
	 .def = "hello from sluice\\n",
	 .help = "body of the http service's 200 response (Content-Type: text/plain); "
		 "escapes \\n, \\r, \\t and \\\\ (a backslash); in a file, ';' is "
		 "written \\; and leading or trailing spaces are stripped",
	 CFG(http_body)},
	{SEC_SERVICE, "fetch_bytes", T_UINT, .min = 0, .max = 1099511627776ULL, .def = "0",
	 .help = "tcp-fetch: send this many bytes of a fixed pattern and half-close (for an "
		 "echo server such as tcp-echo) and compare what comes back with it; "
		 "0 = send \"GET <http_path> HTTP/1.0\" instead",
	 CFG(fetch_bytes)},
	{SEC_SERVICE, "fetch_count", T_UINT, .min = 1, .max = 100000000, .def = "1",
	 .help = "tcp-fetch: requests to make (fetch_bytes = 0), one connection after the "
		 "other; past 1 a single line at the end gives fetches per second",
	 CFG(fetch_count)},

	/* [pipeline] */
	{SEC_PIPELINE, "rx_lcores", T_LCORE_LIST, .def = "",
	 .help = "lcores that poll the RX queues and hand each flow to its worker "
		 "(mode = pipeline); queues are spread over them unless lcore_map says "
		 "otherwise; empty = the main lcore",
	 CFG(pipe_rx), .flags = KF_OPTIONAL},
	{SEC_PIPELINE, "worker_lcores", T_LCORE_LIST, .def = "",
	 .help = "lcores that run the stack and the service, each owning the flows that hash "
		 "to it; never also RX or TX lcores; empty = every enabled lcore that is not "
		 "an RX or TX lcore",
	 CFG(pipe_workers), .flags = KF_OPTIONAL},
	{SEC_PIPELINE, "tx_lcores", T_LCORE_LIST, .def = "",
	 .help = "lcores that drain the workers' rings into TX queues (one TX queue each per "
		 "port); may be the RX lcores (one I/O lcore doing both); empty = the RX "
		 "lcores",
	 CFG(pipe_tx), .flags = KF_OPTIONAL},
	{SEC_PIPELINE, "ring_size", T_UINT, .min = 16, .max = 65536, .def = "1024",
	 .help = "packets each ring between two stages holds; a full ring drops (counted as "
		 "ring_full and on the ring)",
	 CFG(pipe_ring_size)},
	{SEC_PIPELINE, "rx_burst", T_UINT, .min = 1, .max = 256, .def = "32",
	 .help = "packets per rte_eth_rx_burst() on RX lcores", CFG(pipe_rx_burst)},
	{SEC_PIPELINE, "worker_burst", T_UINT, .min = 1, .max = 256, .def = "32",
	 .help = "packets a worker takes from one ring at a time", CFG(pipe_worker_burst)},
	{SEC_PIPELINE, "tx_burst", T_UINT, .min = 1, .max = 256, .def = "32",
	 .help = "packets a TX lcore takes from one ring at a time, and its TX buffer size",
	 CFG(pipe_tx_burst)},

	/* [tcp] */
	{SEC_TCP, "max_conns", T_UINT, .min = 0, .max = 4194304, .def = "1024",
	 .help = "TCP connections per lcore, TIME-WAIT included; a SYN beyond them is dropped "
		 "(tcp_table_full); 0 = TCP off (segments get ICMP protocol unreachable)",
	 CFG(tcp_max_conns)},
	{SEC_TCP, "time_wait_ms", T_UINT, .min = 1, .max = 600000, .def = "60000",
	 .help = "how long a closed connection stays in TIME-WAIT (2 MSL, RFC 9293 3.4.2)",
	 CFG(tcp_time_wait_ms)},
	{SEC_TCP, "max_time_wait", T_UINT, .min = 0, .max = 4194304, .def = "0",
	 .help = "TIME-WAIT entries per lcore; beyond it the oldest is recycled "
		 "(tcp_tw_recycled); 0 = a quarter of max_conns",
	 CFG(tcp_max_time_wait)},
	{SEC_TCP, "r2", T_UINT, .min = 1, .max = 3600, .def = "100",
	 .help = "seconds of unanswered retransmissions before a connection is given up "
		 "(RFC 9293 R2)",
	 CFG(tcp_r2)},
	{SEC_TCP, "r2_syn", T_UINT, .min = 180, .max = 3600, .def = "180",
	 .help = "the same for SYNs; at least 3 minutes (RFC 9293 MUST-23)", CFG(tcp_r2_syn)},
	{SEC_TCP, "rto_min_ms", T_UINT, .min = 10, .max = 60000, .def = "1000",
	 .help = "lower bound of the retransmission timeout (RFC 6298 2.4 says 1 s)",
	 CFG(tcp_rto_min_ms)},
	{SEC_TCP, "delack_ms", T_UINT, .min = 1, .max = 200, .def = "40",
	 .help = "delayed ACK timeout; every second full-sized segment is ACKed at once",
	 CFG(tcp_delack_ms)},
	{SEC_TCP, "nagle", T_BOOL, .def = "yes",
	 .help = "Nagle's algorithm for new connections (a service can turn it off per "
		 "connection)",
	 CFG(tcp_nagle)},
	{SEC_TCP, "keepalive", T_BOOL, .def = "no",
	 .help = "keepalive probes on new connections (RFC 9293 MUST-25: off by default)",
	 CFG(tcp_keepalive)},
	{SEC_TCP, "keepalive_idle", T_UINT, .min = 1, .max = 86400, .def = "7200",
	 .help = "seconds a connection is idle before the first keepalive probe", CFG(tcp_ka_idle)},
	{SEC_TCP, "keepalive_intvl", T_UINT, .min = 1, .max = 3600, .def = "75",
	 .help = "seconds between keepalive probes", CFG(tcp_ka_intvl)},
	{SEC_TCP, "keepalive_probes", T_UINT, .min = 1, .max = 100, .def = "9",
	 .help = "unanswered keepalive probes before the connection is given up",
	 CFG(tcp_ka_probes)},
	{SEC_TCP, "sndbuf", T_UINT, .min = 1024, .max = 67108864, .def = "65536",
	 .help = "bytes a connection's send queue holds", CFG(tcp_sndbuf)},
	{SEC_TCP, "tx_copy_max", T_UINT, .min = 0, .max = 65535, .def = "0",
	 .help = "payloads up to this many bytes are copied into each segment; longer ones go "
		 "by reference to the send queue (zero copy) on ports that take mbuf chains; "
		 "0 = the build's default, 1460 (copying measured cheaper with software checksums)",
	 CFG(tcp_tx_copy_max)},
	{SEC_TCP, "rcvbuf", T_UINT, .min = 1024, .max = 67108864, .def = "65536",
	 .help = "receive window: bytes delivered to the service and not yet consumed, plus "
		 "bytes in flight to us",
	 CFG(tcp_rcvbuf)},
	{SEC_TCP, "ooo_bytes", T_UINT, .min = 0, .max = 67108864, .def = "0",
	 .help = "out-of-order bytes held per connection (tcp_ooo_limit beyond); 0 = rcvbuf",
	 CFG(tcp_ooo_bytes)},
	{SEC_TCP, "ooo_segs", T_UINT, .min = 1, .max = 65536, .def = "64",
	 .help = "out-of-order segments held per connection (tcp_ooo_limit beyond)",
	 CFG(tcp_ooo_segs)},
	{SEC_TCP, "syn_backlog", T_UINT, .min = 1, .max = 4194304, .def = "256",
	 .help = "half-open (SYN-RECEIVED) connections per listener and lcore "
		 "(tcp_syn_backlog beyond)",
	 CFG(tcp_syn_backlog)},
	{SEC_TCP, "syncookies", T_BOOL, .def = "yes",
	 .help = "past syn_backlog, answer SYNs with SYN cookies (RFC 4987) instead of "
		 "dropping them",
	 CFG(tcp_syncookies)},
	{SEC_TCP, "challenge_acks", T_UINT, .min = 1, .max = 1000000, .def = "10",
	 .help = "challenge ACKs per second and connection (RFC 5961 7)", CFG(tcp_chack)},
	{SEC_TCP, "timestamps", T_BOOL, .def = "yes",
	 .help = "offer RFC 7323 timestamps (RTT measurement, PAWS)", CFG(tcp_ts)},
	{SEC_TCP, "sack", T_BOOL, .def = "yes", .help = "offer SACK (RFC 2018)", CFG(tcp_sack)},
	{SEC_TCP, "window_scaling", T_BOOL, .def = "yes",
	 .help = "offer window scaling (RFC 7323); without it windows stop at 65535 bytes",
	 CFG(tcp_ws)},

	/* [kv]: the kv service (apps/services/kv.c) */
	{SEC_KV, "memory_mb", T_UINT, .min = 1, .max = 1048576, .def = "64",
	 .help = "MiB of item memory for the kv service, one table shared by every lcore; "
		 "beyond it the least recently used items are evicted (stats evictions)",
	 CFG(kv_memory_mb)},
	{SEC_KV, "item_max", T_UINT, .min = 1024, .max = 134217728, .def = "1048576",
	 .help = "largest value the kv service stores, in bytes; a larger set gets "
		 "SERVER_ERROR object too large for cache",
	 CFG(kv_item_max)},
};

#define N_KEYS RTE_DIM(keys)

/* Where a value came from, for messages after the fact. */
#define ORIGIN_DEFAULT 0
#define ORIGIN_SET (-1)
#define ORIGIN_FILE INT_MAX /* from the file, line unknown */

struct load_ctx {
	const char *file;		       /* NULL when only --set applies */
	int origin[APP_MAX_PORTS + 1][N_KEYS]; /* [APP_MAX_PORTS] = the other sections */
	char *err;
	size_t errlen;
};

static void __rte_format_printf(3, 4) errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- values ---------------------------------------------------------- */

static void *
key_ptr(struct app_config *cfg, const struct key *k, int port)
{
	char *base = k->sec == SEC_PORT ? (char *)&cfg->ports[port] : (char *)cfg;

	return base + k->off;
}

static const void *
key_cptr(const struct app_config *cfg, const struct key *k, int port)
{
	const char *base = k->sec == SEC_PORT ? (const char *)&cfg->ports[port] : (const char *)cfg;

	return base + k->off;
}

static void
store_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: {
		uint8_t x = v;

		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = v;

		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = v;

		memcpy(p, &x, 4);
		break;
	}
	default:
		memcpy(p, &v, 8);
		break;
	}
}

static uint64_t
load_uint(const void *p, size_t size)
{
	uint8_t x8;
	uint16_t x16;
	uint32_t x32;
	uint64_t x64;

	switch (size) {
	case 1:
		memcpy(&x8, p, 1);
		return x8;
	case 2:
		memcpy(&x16, p, 2);
		return x16;
	case 4:
		memcpy(&x32, p, 4);
		return x32;
	default:
		memcpy(&x64, p, 8);
		return x64;
	}
}

/* Strict decimal: digits only, no sign, no space, no trailing garbage. */
static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why, size_t wl)
{
	const char *p;
	uint64_t v;

	if (*s == '\0') {
		errf(why, wl, "empty value, must be an integer %" PRIu64 "..%" PRIu64, min, max);
		return -EINVAL;
	}
	if (*s == '-') {
		errf(why, wl, "negative, must be %" PRIu64 "..%" PRIu64, min, max);
		return -EINVAL;
	}
	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p)) {
			errf(why, wl,
			     "not an integer (unexpected '%c'), must be %" PRIu64 "..%" PRIu64, *p,
			     min, max);
			return -EINVAL;
		}
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno == ERANGE) {
		errf(why, wl, "too large, must be %" PRIu64 "..%" PRIu64, min, max);
		return -EINVAL;
	}
	if (v < min || v > max) {
		errf(why, wl, "out of range, must be %" PRIu64 "..%" PRIu64, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, bool *out, char *why, size_t wl)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};
	size_t i;

	for (i = 0; i < RTE_DIM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	errf(why, wl, "not a boolean, must be one of 0/1, yes/no, true/false, on/off");
	return -EINVAL;
}

/* Host addresses only: not 0/8, loopback, multicast, reserved or broadcast. */
static bool
ip4_is_host(uint32_t ip_be)
{
	uint32_t ip = ntohl(ip_be);
	uint8_t a = ip >> 24;

	return a != 0 && a != 127 && a < 224;
}

static int
parse_ip4(const char *s, uint32_t *out, char *why, size_t wl)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		errf(why, wl, "not an IPv4 address, must be a.b.c.d");
		return -EINVAL;
	}
	if (!ip4_is_host(a.s_addr)) {
		errf(why, wl,
		     "not a unicast host address (0.x, 127.x, multicast and 240.x and up are "
		     "not allowed)");
		return -EINVAL;
	}
	*out = a.s_addr;
	return 0;
}

static uint32_t
prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : htonl(~0u << (32 - len));
}

static int
parse_ip4_prefix(const char *s, uint32_t *ip, uint8_t *len, char *why, size_t wl)
{
	char addr[INET_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint64_t plen = 24;
	uint32_t a, mask;
	char sub[64];

	if (n >= sizeof(addr)) {
		errf(why, wl, "not an IPv4 address, must be a.b.c.d/len");
		return -EINVAL;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (slash != NULL && parse_u64(slash + 1, 1, 32, &plen, sub, sizeof(sub)) != 0) {
		errf(why, wl, "bad prefix length: %s", sub);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, addr, &a) != 1) {
		errf(why, wl, "not an IPv4 address, must be a.b.c.d/len");
		return -EINVAL;
	}
	if (parse_ip4(addr, &a, why, wl) != 0)
		return -EINVAL;
	mask = prefix_mask(plen);
	if (plen <= 30 && ((a & ~mask) == 0 || (a & ~mask) == ~mask)) {
		errf(why, wl,
		     "is the network or broadcast address of its /%u subnet; use a host address",
		     (unsigned int)plen);
		return -EINVAL;
	}
	*ip = a;
	*len = plen;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
parse_mac(const char *s, struct rte_ether_addr *out, char *why, size_t wl)
{
	struct rte_ether_addr m;
	int i, hi, lo;

	if (strlen(s) != 17)
		goto bad;
	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		hi = hexval(s[3 * i]);
		lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			goto bad;
		m.addr_bytes[i] = hi << 4 | lo;
	}
	if (!rte_is_unicast_ether_addr(&m)) {
		errf(why, wl, "multicast/broadcast MAC, must be unicast (first octet even)");
		return -EINVAL;
	}
	if (rte_is_zero_ether_addr(&m)) {
		errf(why, wl, "all-zero MAC, must be a unicast address");
		return -EINVAL;
	}
	*out = m;
	return 0;
bad:
	errf(why, wl, "not a MAC address, must be xx:xx:xx:xx:xx:xx (hex)");
	return -EINVAL;
}

static const char *
skip_ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static int
map_num(const char **pp, unsigned long max, const char *what, unsigned long *out, char *err,
	size_t errlen)
{
	const char *p = skip_ws(*pp), *start = p;
	unsigned long v = 0;

	if (!isdigit((unsigned char)*p)) {
		errf(err, errlen, "expected a %s number at '%.16s'", what, start);
		return -EINVAL;
	}
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max) {
			errf(err, errlen, "%s %.*s out of range, must be 0..%lu", what,
			     (int)RTE_MIN(strspn(start, "0123456789"), (size_t)24), start, max);
			return -EINVAL;
		}
		p++;
	}
	*pp = skip_ws(p);
	*out = v;
	return 0;
}

int
app_config_parse_map(const char *s, struct app_map_entry *map, int max, char *err, size_t errlen)
{
	static const char syntax[] = "; syntax is (port,queue,lcore),... e.g. (0,0,1),(0,1,2)";
	const char *p = skip_ws(s);
	unsigned long port, queue, lcore;
	char why[128];
	int n = 0, i;

	if (*p == '\0')
		return 0;
	for (;;) {
		if (*p != '(') {
			errf(err, errlen, "expected '(' at '%.16s'%s", p, syntax);
			return -EINVAL;
		}
		p++;
		if (map_num(&p, APP_MAX_PORTS - 1, "port", &port, why, sizeof(why)) != 0)
			goto bad;
		if (*p++ != ',') {
			errf(err, errlen, "expected ',' after the port in entry %d%s", n + 1,
			     syntax);
			return -EINVAL;
		}
		if (map_num(&p, APP_MAX_QUEUES - 1, "queue", &queue, why, sizeof(why)) != 0)
			goto bad;
		if (*p++ != ',') {
			errf(err, errlen, "expected ',' after the queue in entry %d%s", n + 1,
			     syntax);
			return -EINVAL;
		}
		if (map_num(&p, RTE_MAX_LCORE - 1, "lcore", &lcore, why, sizeof(why)) != 0)
			goto bad;
		if (*p++ != ')') {
			errf(err, errlen, "expected ')' after the lcore in entry %d%s", n + 1,
			     syntax);
			return -EINVAL;
		}
		for (i = 0; i < n; i++)
			if (map[i].port == port && map[i].queue == queue) {
				errf(err, errlen,
				     "port %lu queue %lu appears twice (entries %d and %d); "
				     "each RX queue is polled by one lcore",
				     port, queue, i + 1, n + 1);
				return -EINVAL;
			}
		if (n >= max) {
			errf(err, errlen, "more than %d entries", max);
			return -EINVAL;
		}
		map[n].port = port;
		map[n].queue = queue;
		map[n].lcore = lcore;
		n++;
		p = skip_ws(p);
		if (*p == '\0')
			return n;
		if (*p != ',') {
			errf(err, errlen, "expected ',' or the end after entry %d at '%.16s'%s", n,
			     p, syntax);
			return -EINVAL;
		}
		p = skip_ws(p + 1);
	}
bad:
	errf(err, errlen, "%s%s", why, syntax);
	return -EINVAL;
}

static int
set_map(struct app_config *cfg, const char *s, bool append, char *why, size_t wl)
{
	struct app_map_entry tmp[APP_MAX_MAP];
	int base = append ? cfg->n_map : 0, n, i, j;

	n = app_config_parse_map(s, tmp, APP_MAX_MAP, why, wl);
	if (n < 0)
		return n;
	if (base + n > APP_MAX_MAP) {
		errf(why, wl, "more than %d entries in all", APP_MAX_MAP);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < base; j++)
			if (cfg->map[j].port == tmp[i].port && cfg->map[j].queue == tmp[i].queue) {
				errf(why, wl,
				     "port %u queue %u is already mapped by an earlier lcore_map "
				     "line; each RX queue is polled by one lcore",
				     tmp[i].port, tmp[i].queue);
				return -EINVAL;
			}
	if (!append)
		memset(cfg->map, 0, sizeof(cfg->map));
	memcpy(&cfg->map[base], tmp, n * sizeof(tmp[0]));
	cfg->n_map = base + n;
	return 0;
}

/* "ip mac, ip mac" */
static int
set_arp_static(struct app_config *cfg, const char *s, bool append, char *why, size_t wl)
{
	struct app_arp_static tmp[APP_MAX_ARP_STATIC];
	int base = append ? cfg->n_arp_static : 0, n = 0, i;
	const char *p = skip_ws(s);
	char item[128], ip[64], mac[64], sub[128], extra;

	memset(tmp, 0, sizeof(tmp)); /* padding too: configs compare with memcmp */
	if (*p == '\0') {
		if (!append) {
			memset(cfg->arp_static, 0, sizeof(cfg->arp_static));
			cfg->n_arp_static = 0;
		}
		return 0;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len >= sizeof(item)) {
			errf(why, wl, "entry %d is too long; entries are \"ip mac, ip mac\"",
			     n + 1);
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (sscanf(item, "%63s %63s %c", ip, mac, &extra) != 2) {
			errf(why, wl,
			     "entry %d '%s' is not \"ip mac\"; entries are \"ip mac, ip mac\"",
			     n + 1, item);
			return -EINVAL;
		}
		if (base + n >= APP_MAX_ARP_STATIC) {
			errf(why, wl, "more than %d entries in all", APP_MAX_ARP_STATIC);
			return -EINVAL;
		}
		if (parse_ip4(ip, &tmp[n].ip, sub, sizeof(sub)) != 0 ||
		    parse_mac(mac, &tmp[n].mac, sub, sizeof(sub)) != 0) {
			errf(why, wl, "entry %d '%s': %s", n + 1, item, sub);
			return -EINVAL;
		}
		for (i = 0; i < base + n; i++) {
			uint32_t other = i < base ? cfg->arp_static[i].ip : tmp[i - base].ip;

			if (other == tmp[n].ip) {
				errf(why, wl, "entry %d: %s appears twice", n + 1, ip);
				return -EINVAL;
			}
		}
		n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (!append)
		memset(cfg->arp_static, 0, sizeof(cfg->arp_static));
	memcpy(&cfg->arp_static[base], tmp, n * sizeof(tmp[0]));
	cfg->n_arp_static = base + n;
	return 0;
}

/* "0", "0,2", "1-3,5": ascending and without duplicates once stored. */
static int
parse_lcore_list(const char *s, struct app_lcore_list *out, char *why, size_t wl)
{
	struct app_lcore_list l;
	const char *p = skip_ws(s);
	unsigned long a, b, v;
	char sub[128];
	uint16_t i, j;

	memset(&l, 0, sizeof(l));
	for (;;) {
		if (map_num(&p, RTE_MAX_LCORE - 1, "lcore", &a, sub, sizeof(sub)) != 0)
			goto bad;
		b = a;
		if (*p == '-') {
			p++;
			if (map_num(&p, RTE_MAX_LCORE - 1, "lcore", &b, sub, sizeof(sub)) != 0)
				goto bad;
			if (b < a) {
				errf(why, wl, "range %lu-%lu runs backwards", a, b);
				return -EINVAL;
			}
		}
		for (v = a; v <= b; v++) {
			for (i = 0; i < l.n; i++)
				if (l.ids[i] == v) {
					errf(why, wl, "lcore %lu appears twice", v);
					return -EINVAL;
				}
			if (l.n == APP_MAX_PIPE_LCORES) {
				errf(why, wl, "more than %d lcores", APP_MAX_PIPE_LCORES);
				return -EINVAL;
			}
			l.ids[l.n++] = v;
		}
		if (*p == '\0')
			break;
		if (*p != ',') {
			errf(why, wl,
			     "expected ',' or the end at '%.16s'; lcore lists look like 0,2-3", p);
			return -EINVAL;
		}
		p++;
	}
	for (i = 1; i < l.n; i++)
		for (j = i; j > 0 && l.ids[j - 1] > l.ids[j]; j--)
			RTE_SWAP(l.ids[j - 1], l.ids[j]);
	*out = l;
	return 0;
bad:
	errf(why, wl, "%s; lcore lists look like 0,2-3", sub);
	return -EINVAL;
}

static void
format_lcore_list(const struct app_lcore_list *l, char *buf, size_t len)
{
	uint16_t i = 0, j;
	size_t off = 0;

	buf[0] = '\0';
	while (i < l->n && off < len) {
		for (j = i; j + 1 < l->n && l->ids[j + 1] == l->ids[j] + 1; j++)
			;
		if (j > i)
			off += snprintf(buf + off, len - off, "%s%u-%u", i ? "," : "", l->ids[i],
					l->ids[j]);
		else
			off += snprintf(buf + off, len - off, "%s%u", i ? "," : "", l->ids[i]);
		i = j + 1;
	}
}

/* [service] http_path: what http.c compares the request target with. */
static int
check_http_path(const char *val, char *why, size_t wl)
{
	const char *c;

	if (val[0] != '/') {
		errf(why, wl, "'%s' does not start with '/'", val);
		return -EINVAL;
	}
	for (c = val; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c == 0x7f) {
			errf(why, wl,
			     "space or control character at offset %d; "
			     "percent-encode it (%%20)",
			     (int)(c - val));
			return -EINVAL;
		}
	return 0;
}

/* T_TEXT: "\n", "\r", "\t", "\\" decoded into @out (@max bytes at most). */
static int
text_decode(const char *val, char *out, size_t max, char *why, size_t wl)
{
	size_t n = 0;
	const char *c;

	for (c = val; *c != '\0'; c++) {
		char ch = *c;

		if (ch == '\\') {
			switch (*++c) {
			case 'n':
				ch = '\n';
				break;
			case 'r':
				ch = '\r';
				break;
			case 't':
				ch = '\t';
				break;
			case '\\':
				ch = '\\';
				break;
			case '\0':
				errf(why, wl, "ends in a lone '\\'; write \\\\ for a backslash");
				return -EINVAL;
			default:
				errf(why, wl, "unknown escape '\\%c'; known: \\n \\r \\t \\\\", *c);
				return -EINVAL;
			}
		}
		if (n == max) {
			errf(why, wl, "too long, at most %zu bytes once escapes are decoded", max);
			return -EINVAL;
		}
		out[n++] = ch;
	}
	out[n] = '\0';
	return 0;
}

/* The inverse of text_decode(), truncated to @len. */
static void
text_encode(const char *v, char *buf, size_t len)
{
	size_t n = 0;

	for (; *v != '\0' && n + 3 <= len; v++) {
		const char *e = *v == '\n'   ? "\\n"
				: *v == '\r' ? "\\r"
				: *v == '\t' ? "\\t"
				: *v == '\\' ? "\\\\"
					     : NULL;

		if (e != NULL) {
			memcpy(buf + n, e, 2);
			n += 2;
		} else {
			buf[n++] = *v;
		}
	}
	buf[n] = '\0';
}

/*
 * Parse @p val for key @p k into cfg (port @p port for [portN] keys). List
 * keys add to what is there when @p append, replace it otherwise. On error
 * @p why says what is wrong with the value, without naming the key.
 */
static int
key_set(struct app_config *cfg, const struct key *k, int port, const char *val, bool append,
	char *why, size_t wl)
{
	void *p = key_ptr(cfg, k, port);
	uint64_t u;
	size_t i;
	bool b;

	if (*val == '\0' && (k->flags & KF_OPTIONAL) && k->type != T_LCORE_MAP &&
	    k->type != T_ARP_STATIC) {
		memset(p, 0, k->type == T_MAC ? sizeof(struct rte_ether_addr) : k->size);
		if (k->type == T_MAC)
			*(bool *)((char *)&cfg->ports[port] + k->off2) = false;
		return 0;
	}
	switch (k->type) {
	case T_UINT:
		if (parse_u64(val, k->min, k->max, &u, why, wl) != 0)
			return -EINVAL;
		store_uint(p, k->size, u);
		return 0;
	case T_BOOL:
		if (parse_bool(val, &b, why, wl) != 0)
			return -EINVAL;
		*(bool *)p = b;
		return 0;
	case T_STRING:
		if (*val == '\0') {
			errf(why, wl, "empty value");
			return -EINVAL;
		}
		if (strlen(val) > k->max) {
			errf(why, wl, "too long, at most %" PRIu64 " characters", k->max);
			return -EINVAL;
		}
		if (k->check != NULL && k->check(val, why, wl) != 0)
			return -EINVAL;
		memset(p, 0, k->size);
		memcpy(p, val, strlen(val));
		return 0;
	case T_TEXT:
		if (*val == '\0') {
			errf(why, wl, "empty value");
			return -EINVAL;
		}
		return text_decode(val, p, k->max, why, wl);
	case T_ENUM:
		for (i = 0; k->values[i] != NULL; i++)
			if (strcmp(val, k->values[i]) == 0) {
				store_uint(p, k->size, i);
				return 0;
			}
		{
			char list[128] = "";

			for (i = 0; k->values[i] != NULL; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 i ? ", " : "", k->values[i]);
			errf(why, wl, "must be one of: %s", list);
		}
		return -EINVAL;
	case T_IPV4:
		return parse_ip4(val, p, why, wl);
	case T_IPV4_PREFIX:
		if (*val == '\0') {
			errf(why, wl, "empty value, must be a.b.c.d/len");
			return -EINVAL;
		}
		return parse_ip4_prefix(val, p, (uint8_t *)((char *)&cfg->ports[port] + k->off2),
					why, wl);
	case T_MAC:
		if (parse_mac(val, p, why, wl) != 0)
			return -EINVAL;
		*(bool *)((char *)&cfg->ports[port] + k->off2) = true;
		return 0;
	case T_LCORE_MAP:
		return set_map(cfg, val, append, why, wl);
	case T_ARP_STATIC:
		return set_arp_static(cfg, val, append, why, wl);
	case T_LCORE_LIST:
		return parse_lcore_list(val, p, why, wl);
	}
	return -EINVAL;
}

static void
ip4_str(uint32_t ip_be, char *buf, size_t len)
{
	struct in_addr a = {.s_addr = ip_be};

	inet_ntop(AF_INET, &a, buf, len);
}

/* Text of the key's current value, as the file would carry it; "" = not set. */
static void
key_format(const struct app_config *cfg, const struct key *k, int port, char *buf, size_t len)
{
	const void *p = key_cptr(cfg, k, port);
	const struct app_port_cfg *pc = &cfg->ports[port];
	char ip[INET_ADDRSTRLEN];
	uint32_t a;

	buf[0] = '\0';
	switch (k->type) {
	case T_UINT:
		snprintf(buf, len, "%" PRIu64, load_uint(p, k->size));
		break;
	case T_BOOL:
		snprintf(buf, len, "%s", *(const bool *)p ? "yes" : "no");
		break;
	case T_STRING:
		snprintf(buf, len, "%s", (const char *)p);
		break;
	case T_ENUM:
		snprintf(buf, len, "%s", k->values[load_uint(p, k->size)]);
		break;
	case T_IPV4:
		memcpy(&a, p, sizeof(a));
		if (a != 0)
			ip4_str(a, buf, len);
		break;
	case T_IPV4_PREFIX:
		if (pc->ip != 0) {
			ip4_str(pc->ip, ip, sizeof(ip));
			snprintf(buf, len, "%s/%u", ip, pc->prefix_len);
		}
		break;
	case T_MAC:
		if (pc->mac_set)
			rte_ether_format_addr(buf, len, &pc->mac);
		break;
	case T_LCORE_MAP:
	case T_ARP_STATIC:
		break; /* dumped entry by entry */
	case T_LCORE_LIST:
		format_lcore_list(p, buf, len);
		break;
	case T_TEXT:
		text_encode(p, buf, len);
		break;
	}
}

/* ---- sections and keys ----------------------------------------------- */

/* "sluice" | "portN" (N = 0..APP_MAX_PORTS-1, no leading zero) | ... */
static int
section_parse(const char *name, enum sec *sec, int *port, char *why, size_t wl)
{
	const char *p;
	long n;

	for (n = 0; n < SEC_MAX; n++)
		if (n != SEC_PORT && strcmp(name, sec_names[n]) == 0) {
			*sec = n;
			*port = APP_MAX_PORTS;
			return 0;
		}
	if (strncmp(name, "port", 4) == 0 && isdigit((unsigned char)name[4])) {
		for (p = name + 4; isdigit((unsigned char)*p); p++)
			;
		if (*p == '\0' && strlen(name + 4) <= 3 && (name[4] != '0' || name[5] == '\0')) {
			n = strtol(name + 4, NULL, 10);
			if (n < APP_MAX_PORTS) {
				*sec = SEC_PORT;
				*port = n;
				return 0;
			}
			errf(why, wl, "port number %ld out of range, must be [port0]..[port%d]", n,
			     APP_MAX_PORTS - 1);
			return -EINVAL;
		}
	}
	errf(why, wl,
	     "unknown section; valid sections are [sluice], [port0]..[port%d], [stack], "
	     "[service], [pipeline]",
	     APP_MAX_PORTS - 1);
	return -EINVAL;
}

static const struct key *
key_find(enum sec sec, const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (keys[i].sec == sec && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void
section_keys(enum sec sec, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < N_KEYS; i++)
		if (keys[i].sec == sec)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 keys[i].name);
}

static void
section_label(enum sec sec, int port, char *buf, size_t len)
{
	if (sec == SEC_PORT)
		snprintf(buf, len, "port%d", port);
	else
		snprintf(buf, len, "%s", sec_names[sec]);
}

static void
port_defaults(struct app_config *cfg, int port)
{
	char why[256];
	size_t i;

	memset(&cfg->ports[port], 0, sizeof(cfg->ports[port]));
	for (i = 0; i < N_KEYS; i++)
		if (keys[i].sec == SEC_PORT && keys[i].def[0] != '\0')
			key_set(cfg, &keys[i], port, keys[i].def, false, why, sizeof(why));
}

void
app_config_defaults(struct app_config *cfg)
{
	char why[256];
	size_t i;
	int p;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < N_KEYS; i++)
		if (keys[i].sec != SEC_PORT)
			key_set(cfg, &keys[i], 0, keys[i].def, false, why, sizeof(why));
	for (p = 0; p < APP_MAX_PORTS; p++)
		port_defaults(cfg, p);
}

static void
origin_str(const struct load_ctx *ctx, int line, char *buf, size_t len)
{
	if (line == ORIGIN_SET)
		snprintf(buf, len, "--set");
	else if (line > 0 && line != ORIGIN_FILE)
		snprintf(buf, len, "%s:%d", ctx->file, line);
	else
		snprintf(buf, len, "%s", ctx->file != NULL ? ctx->file : "(no file)");
}

/* One key = value from the file (line > 0) or from --set (ORIGIN_SET). */
static int
apply(struct app_config *cfg, struct load_ctx *ctx, enum sec sec, int port, const char *name,
      const char *val, int line)
{
	char where[300], label[16], why[512], list[256];
	int slot = sec == SEC_PORT ? port : APP_MAX_PORTS;
	const struct key *k;
	int *origin;

	origin_str(ctx, line, where, sizeof(where));
	section_label(sec, port, label, sizeof(label));
	k = key_find(sec, name);
	if (k == NULL) {
		section_keys(sec, list, sizeof(list));
		errf(ctx->err, ctx->errlen,
		     "%s: [%s] %s: unknown key; valid keys in [%s]: %s" SEE_HELP, where, label,
		     name, sec == SEC_PORT ? "portN" : label, list);
		return -EINVAL;
	}
	origin = &ctx->origin[slot][k - keys];
	if (line > 0 && *origin > 0 && !(k->flags & KF_LIST)) {
		errf(ctx->err, ctx->errlen,
		     "%s: [%s] %s = %s: duplicate key, already set on line %d; keep one" SEE_HELP,
		     where, label, name, val, *origin);
		return -EINVAL;
	}
	if (key_set(cfg, k, port, val, line > 0 && *origin > 0, why, sizeof(why)) != 0) {
		errf(ctx->err, ctx->errlen, "%s: [%s] %s = %s: %s" SEE_HELP, where, label, name,
		     val, why);
		return -EINVAL;
	}
	*origin = line;
	return 0;
}

static int
apply_set(struct app_config *cfg, struct load_ctx *ctx, const char *set)
{
	char buf[APP_DEV_LEN + CFG_NAME_LEN * 2], why[256];
	char *dot, *eq, *secname, *name, *val;
	enum sec sec;
	int port;

	if (strlen(set) >= sizeof(buf)) {
		errf(ctx->err, ctx->errlen, "--set %.40s...: too long", set);
		return -EINVAL;
	}
	strcpy(buf, set);
	eq = strchr(buf, '=');
	dot = strchr(buf, '.');
	if (eq == NULL || dot == NULL || dot > eq) {
		errf(ctx->err, ctx->errlen,
		     "--set %s: expected section.key=value, e.g. --set port0.rxq=2", set);
		return -EINVAL;
	}
	*dot = '\0';
	*eq = '\0';
	secname = (char *)(uintptr_t)skip_ws(buf);
	name = (char *)(uintptr_t)skip_ws(dot + 1);
	val = (char *)(uintptr_t)skip_ws(eq + 1);
	for (char *e = name + strlen(name); e > name && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	for (char *e = val + strlen(val); e > val && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	if (section_parse(secname, &sec, &port, why, sizeof(why)) != 0) {
		errf(ctx->err, ctx->errlen, "--set %s: [%s]: %s" SEE_HELP, set, secname, why);
		return -EINVAL;
	}
	if (sec == SEC_PORT && !cfg->ports[port].present)
		cfg->ports[port].present = true;
	return apply(cfg, ctx, sec, port, name, val, ORIGIN_SET);
}

int
app_config_set(struct app_config *cfg, const char *set, char *err, size_t errlen)
{
	static struct load_ctx ctx; /* origins are only used by load's checks */

	memset(&ctx, 0, sizeof(ctx));
	ctx.err = err;
	ctx.errlen = errlen;
	return apply_set(cfg, &ctx, set);
}

/* ---- file syntax pre-scan -------------------------------------------- */

/*
 * Line numbers of what rte_cfgfile will make of the file, in its order:
 * sec_line[i] for section i, ent_line[] for every entry, sec_first[i] the
 * index of section i's first entry. Entries rte_cfgfile makes out of '#'
 * comment lines are recorded too (line < 0) so the indexes line up.
 */
struct scan {
	int n_sec, n_ent;
	int *sec_line, *sec_first, *ent_line;
};

static void
scan_free(struct scan *sc)
{
	free(sc->sec_line);
	free(sc->sec_first);
	free(sc->ent_line);
	memset(sc, 0, sizeof(*sc));
}

static int
scan_push(int **arr, int n, int v)
{
	int *a = realloc(*arr, (n + 1) * sizeof(int));

	if (a == NULL)
		return -ENOMEM;
	a[n] = v;
	*arr = a;
	return 0;
}

/* rte_cfgfile's _strip(): whitespace off both ends, in place. */
static char *
strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
scan_file(const char *file, struct scan *sc, char *err, size_t errlen)
{
	/* rte_cfgfile reads lines into CFG_NAME_LEN + CFG_VALUE_LEN + 4 bytes */
	const size_t max_line = CFG_NAME_LEN + CFG_VALUE_LEN + 2;
	char *line = NULL, *s, *eq, *key, *val, *semi;
	size_t cap = 0, len;
	int lineno = 0, ret = 0;
	bool comment;
	ssize_t n;
	FILE *f;

	memset(sc, 0, sizeof(*sc));
	f = fopen(file, "r");
	if (f == NULL) {
		errf(err, errlen, "cannot read config '%s': %s", file, strerror(errno));
		return -ENOENT;
	}
	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		len = n;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strlen(line) != len) {
			errf(err, errlen, "%s:%d: NUL byte in line; is this a text file?", file,
			     lineno);
			ret = -EINVAL;
			break;
		}
		if (len > max_line) {
			errf(err, errlen,
			     "%s:%d: line longer than %zu characters (rte_cfgfile's limit)", file,
			     lineno, max_line);
			ret = -EINVAL;
			break;
		}
		/* the first ';' not escaped as "\;" starts a comment, as in rte_cfgfile */
		semi = strchr(line, CFG_DEFAULT_COMMENT_CHARACTER);
		if (semi != NULL && (semi == line || semi[-1] != '\\'))
			*semi = '\0';
		s = strip(line);
		comment = s[0] == '#';
		if (s[0] == '\0')
			continue;
		if (s[0] == '[') {
			char *end = strchr(s, ']');

			if (end == NULL) {
				errf(err, errlen, "%s:%d: '%s': no closing ']'", file, lineno, s);
				ret = -EINVAL;
				break;
			}
			if (*skip_ws(end + 1) != '\0') {
				errf(err, errlen,
				     "%s:%d: '%s': text after ']'; comments start with ';'", file,
				     lineno, s);
				ret = -EINVAL;
				break;
			}
			*end = '\0';
			key = strip(s + 1);
			if (key[0] == '\0') {
				errf(err, errlen, "%s:%d: empty section name '[]'", file, lineno);
				ret = -EINVAL;
				break;
			}
			if (scan_push(&sc->sec_line, sc->n_sec, lineno) != 0 ||
			    scan_push(&sc->sec_first, sc->n_sec, sc->n_ent) != 0) {
				ret = -ENOMEM;
				break;
			}
			sc->n_sec++;
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			if (comment)
				continue;
			errf(err, errlen,
			     "%s:%d: '%s': expected '[section]' or 'key = value' (comments start "
			     "with ';' or '#')",
			     file, lineno, s);
			ret = -EINVAL;
			break;
		}
		if (!comment) {
			*eq = '\0';
			key = strip(s);
			val = strip(eq + 1);
			if (key[0] == '\0') {
				errf(err, errlen, "%s:%d: '= %s': missing key name before '='",
				     file, lineno, val);
				ret = -EINVAL;
				break;
			}
			if (sc->n_sec == 0) {
				errf(err, errlen,
				     "%s:%d: '%s = %s': key before any [section]; put it under "
				     "[sluice], [portN], [stack], [service] or [pipeline]",
				     file, lineno, key, val);
				ret = -EINVAL;
				break;
			}
			if (strlen(key) >= CFG_NAME_LEN || strlen(val) >= CFG_VALUE_LEN) {
				errf(err, errlen,
				     "%s:%d: '%.32s...': %s longer than %d characters "
				     "(rte_cfgfile's "
				     "limit); use --set for longer values",
				     file, lineno, key,
				     strlen(key) >= CFG_NAME_LEN ? "key" : "value",
				     strlen(key) >= CFG_NAME_LEN ? CFG_NAME_LEN - 1
								 : CFG_VALUE_LEN - 1);
				ret = -EINVAL;
				break;
			}
		}
		if (scan_push(&sc->ent_line, sc->n_ent, comment ? -lineno : lineno) != 0) {
			ret = -ENOMEM;
			break;
		}
		sc->n_ent++;
	}
	if (ret == 0 && ferror(f)) {
		errf(err, errlen, "cannot read config '%s': %s", file, strerror(errno));
		ret = -ENOENT;
	}
	if (ret == -ENOMEM)
		errf(err, errlen, "%s: out of memory", file);
	free(line);
	fclose(f);
	if (ret != 0)
		scan_free(sc);
	return ret;
}

/* ---- load ------------------------------------------------------------ */

static int
load_file(struct app_config *cfg, struct load_ctx *ctx)
{
	struct rte_cfgfile_entry *ents = NULL;
	struct rte_cfgfile *cf;
	char secname[CFG_NAME_LEN], why[256], where[300];
	int n_sec, i, j, n, port, e = 0, ret;
	int seen[SEC_MAX][APP_MAX_PORTS] = {{0}};
	struct scan sc;
	enum sec sec;

	ret = scan_file(ctx->file, &sc, ctx->err, ctx->errlen);
	if (ret != 0)
		return ret;
	/* GLOBAL collects what rte_cfgfile makes of '#' lines above the first section */
	cf = rte_cfgfile_load(ctx->file, CFG_FLAG_GLOBAL_SECTION | CFG_FLAG_EMPTY_VALUES);
	if (cf == NULL) {
		errf(ctx->err, ctx->errlen, "%s: rte_cfgfile cannot parse it (see the log above)",
		     ctx->file);
		scan_free(&sc);
		return -EINVAL;
	}
	n_sec = rte_cfgfile_num_sections(cf, NULL, 0);
	if (n_sec != sc.n_sec + 1) /* should not happen; drop line numbers if it does */
		sc.n_sec = 0;
	for (i = 1; i < n_sec && ret == 0; i++) {
		int line = i - 1 < sc.n_sec ? sc.sec_line[i - 1] : ORIGIN_DEFAULT;
		int slot;

		n = rte_cfgfile_section_num_entries_by_index(cf, secname, i);
		origin_str(ctx, line, where, sizeof(where));
		if (section_parse(secname, &sec, &port, why, sizeof(why)) != 0) {
			errf(ctx->err, ctx->errlen, "%s: [%s]: %s" SEE_HELP, where, secname, why);
			ret = -EINVAL;
			break;
		}
		slot = sec == SEC_PORT ? port : 0;
		if (seen[sec][slot] != 0) {
			errf(ctx->err, ctx->errlen,
			     "%s: [%s]: section appears twice (first on line %d); merge them",
			     where, secname, seen[sec][slot]);
			ret = -EINVAL;
			break;
		}
		seen[sec][slot] = line > 0 ? line : ORIGIN_FILE;
		if (sec == SEC_PORT)
			cfg->ports[port].present = true;
		if (n <= 0)
			continue;
		ents = calloc(n, sizeof(*ents));
		if (ents == NULL) {
			errf(ctx->err, ctx->errlen, "%s: out of memory", ctx->file);
			ret = -ENOMEM;
			break;
		}
		rte_cfgfile_section_entries_by_index(cf, i, secname, ents, n);
		e = i - 1 < sc.n_sec ? sc.sec_first[i - 1] : -1;
		for (j = 0; j < n; j++) {
			int eline = e >= 0 && e + j < sc.n_ent ? sc.ent_line[e + j] : 0;

			if (ents[j].name[0] == '#') /* a '#' comment line holding a '=' */
				continue;
			ret = apply(cfg, ctx, sec, port, ents[j].name, ents[j].value,
				    eline > 0 ? eline : ORIGIN_FILE);
			if (ret != 0)
				break;
		}
		free(ents);
		ents = NULL;
	}
	rte_cfgfile_close(cf);
	scan_free(&sc);
	return ret;
}

static int
validate(struct app_config *cfg, struct load_ctx *ctx)
{
	char where[300], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const struct key *k_ip = key_find(SEC_PORT, "ip");
	const struct key *k_gw = key_find(SEC_PORT, "gateway");
	const struct key *k_map = key_find(SEC_SLUICE, "lcore_map");
	const struct key *k_arp = key_find(SEC_STACK, "arp_static");
	int p, q, i, last = -1;
	size_t ki;

	for (p = 0; p < APP_MAX_PORTS; p++)
		if (cfg->ports[p].present)
			last = p;
	for (p = 0; p < last; p++)
		if (!cfg->ports[p].present) {
			origin_str(ctx, ORIGIN_DEFAULT, where, sizeof(where));
			errf(ctx->err, ctx->errlen,
			     "%s: [port%d] is missing but [port%d] exists: number port sections "
			     "from [port0] without gaps",
			     where, p, last);
			return -EINVAL;
		}
	cfg->n_ports = last + 1;

	for (p = 0; p < cfg->n_ports; p++) {
		struct app_port_cfg *pc = &cfg->ports[p];
		uint32_t mask = prefix_mask(pc->prefix_len);

		for (ki = 0; ki < N_KEYS; ki++)
			if (keys[ki].sec == SEC_PORT && (keys[ki].flags & KF_REQUIRED) &&
			    ctx->origin[p][ki] == ORIGIN_DEFAULT) {
				origin_str(ctx, ORIGIN_DEFAULT, where, sizeof(where));
				errf(ctx->err, ctx->errlen,
				     "%s: [port%d] %s: missing; every port needs %s" SEE_HELP,
				     where, p, keys[ki].name,
				     keys[ki].type == T_IPV4_PREFIX
					     ? "ip = a.b.c.d/len"
					     : "dev = <PCI address or vdev string>");
				return -EINVAL;
			}
		if (pc->gateway != 0) {
			origin_str(ctx, ctx->origin[p][k_gw - keys], where, sizeof(where));
			ip4_str(pc->gateway, a, sizeof(a));
			ip4_str(pc->ip & mask, b, sizeof(b));
			if ((pc->gateway ^ pc->ip) & mask) {
				errf(ctx->err, ctx->errlen,
				     "%s: [port%d] gateway = %s: outside the port's subnet %s/%u; "
				     "the gateway must be on-link" SEE_HELP,
				     where, p, a, b, pc->prefix_len);
				return -EINVAL;
			}
			if (pc->gateway == pc->ip) {
				errf(ctx->err, ctx->errlen,
				     "%s: [port%d] gateway = %s: is the port's own address", where,
				     p, a);
				return -EINVAL;
			}
			if (pc->prefix_len <= 30 && ((pc->gateway & ~mask) == ~mask)) {
				errf(ctx->err, ctx->errlen,
				     "%s: [port%d] gateway = %s: is the broadcast address of %s/%u",
				     where, p, a, b, pc->prefix_len);
				return -EINVAL;
			}
		}
		for (q = 0; q < p; q++)
			if (cfg->ports[q].ip == pc->ip) {
				origin_str(ctx, ctx->origin[p][k_ip - keys], where, sizeof(where));
				ip4_str(pc->ip, a, sizeof(a));
				errf(ctx->err, ctx->errlen,
				     "%s: [port%d] ip = %s/%u: same address as [port%d]; each port "
				     "needs its own",
				     where, p, a, pc->prefix_len, q);
				return -EINVAL;
			}
	}

	origin_str(ctx, ctx->origin[APP_MAX_PORTS][k_map - keys], where, sizeof(where));
	for (i = 0; i < cfg->n_map; i++) {
		const struct app_map_entry *m = &cfg->map[i];

		if (m->port >= cfg->n_ports) {
			errf(ctx->err, ctx->errlen,
			     "%s: [sluice] lcore_map: entry (%u,%u,%u) names port %u, which has no "
			     "[port%u] section",
			     where, m->port, m->queue, m->lcore, m->port, m->port);
			return -EINVAL;
		}
		if (m->queue >= cfg->ports[m->port].rxq) {
			errf(ctx->err, ctx->errlen,
			     "%s: [sluice] lcore_map: entry (%u,%u,%u) names queue %u but [port%u] "
			     "rxq = %u (queues 0..%u)",
			     where, m->port, m->queue, m->lcore, m->queue, m->port,
			     cfg->ports[m->port].rxq, cfg->ports[m->port].rxq - 1);
			return -EINVAL;
		}
	}
	if (cfg->n_map != 0)
		for (p = 0; p < cfg->n_ports; p++)
			for (q = 0; q < cfg->ports[p].rxq; q++) {
				for (i = 0; i < cfg->n_map; i++)
					if (cfg->map[i].port == p && cfg->map[i].queue == q)
						break;
				if (i == cfg->n_map) {
					errf(ctx->err, ctx->errlen,
					     "%s: [sluice] lcore_map: port %d queue %d is not "
					     "mapped; nothing would poll it (add (%d,%d,<lcore>))",
					     where, p, q, p, q);
					return -EINVAL;
				}
			}

	for (i = 0; i < cfg->pipe_workers.n; i++) {
		const struct key *k_w = key_find(SEC_PIPELINE, "worker_lcores");
		uint16_t w = cfg->pipe_workers.ids[i];
		const struct app_lcore_list *other = NULL;

		for (q = 0; q < cfg->pipe_rx.n; q++)
			if (cfg->pipe_rx.ids[q] == w)
				other = &cfg->pipe_rx;
		for (q = 0; q < cfg->pipe_tx.n; q++)
			if (cfg->pipe_tx.ids[q] == w)
				other = &cfg->pipe_tx;
		if (other != NULL) {
			origin_str(ctx, ctx->origin[APP_MAX_PORTS][k_w - keys], where,
				   sizeof(where));
			errf(ctx->err, ctx->errlen,
			     "%s: [pipeline] worker_lcores: lcore %u is also in %s; a worker runs "
			     "only the stack and the service, give it its own lcore",
			     where, w, other == &cfg->pipe_rx ? "rx_lcores" : "tx_lcores");
			return -EINVAL;
		}
	}

	origin_str(ctx, ctx->origin[APP_MAX_PORTS][k_arp - keys], where, sizeof(where));
	for (i = 0; i < cfg->n_arp_static; i++) {
		uint32_t ip = cfg->arp_static[i].ip;

		ip4_str(ip, a, sizeof(a));
		for (p = 0; p < cfg->n_ports; p++) {
			uint32_t mask = prefix_mask(cfg->ports[p].prefix_len);

			if (ip == cfg->ports[p].ip) {
				errf(ctx->err, ctx->errlen,
				     "%s: [stack] arp_static: %s is [port%d]'s own address", where,
				     a, p);
				return -EINVAL;
			}
			if (((ip ^ cfg->ports[p].ip) & mask) == 0)
				break;
		}
		if (p == cfg->n_ports) {
			errf(ctx->err, ctx->errlen,
			     "%s: [stack] arp_static: %s is not inside any port's subnet; static "
			     "entries are for on-link neighbours",
			     where, a);
			return -EINVAL;
		}
	}
	return 0;
}

int
app_config_load(struct app_config *cfg, const char *file, char *const *sets, int n_sets, char *err,
		size_t errlen)
{
	static struct load_ctx ctx; /* too big for a stack; main/tests only */
	int i, ret;

	app_config_defaults(cfg);
	snprintf(cfg->source, sizeof(cfg->source), "%s", file != NULL ? file : "(no file)");
	memset(&ctx, 0, sizeof(ctx));
	ctx.file = file;
	ctx.err = err;
	ctx.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	if (file != NULL) {
		ret = load_file(cfg, &ctx);
		if (ret != 0)
			return ret == -ENOMEM ? -ENOMEM : ret;
	}
	for (i = 0; i < n_sets; i++) {
		ret = apply_set(cfg, &ctx, sets[i]);
		if (ret != 0)
			return ret;
	}
	/* kv: whether a service's own default port applies */
	cfg->udp_port_set =
		ctx.origin[APP_MAX_PORTS][key_find(SEC_SERVICE, "udp_port") - keys] != ORIGIN_DEFAULT;
	cfg->tcp_port_set =
		ctx.origin[APP_MAX_PORTS][key_find(SEC_SERVICE, "tcp_port") - keys] != ORIGIN_DEFAULT;
	return validate(cfg, &ctx);
}

/* ---- help and dump --------------------------------------------------- */

static void
type_desc(const struct key *k, char *buf, size_t len)
{
	size_t i;

	switch (k->type) {
	case T_UINT:
		snprintf(buf, len, "integer %" PRIu64 "..%" PRIu64, k->min, k->max);
		break;
	case T_BOOL:
		snprintf(buf, len, "boolean: yes/no, true/false, on/off, 1/0");
		break;
	case T_STRING:
		snprintf(buf, len, "string, up to %" PRIu64 " characters", k->max);
		break;
	case T_TEXT:
		snprintf(buf, len, "string with escapes, up to %" PRIu64 " bytes decoded", k->max);
		break;
	case T_ENUM:
		snprintf(buf, len, "one of:");
		for (i = 0; k->values[i] != NULL; i++)
			snprintf(buf + strlen(buf), len - strlen(buf), " %s", k->values[i]);
		break;
	case T_IPV4:
		snprintf(buf, len, "IPv4 address a.b.c.d");
		break;
	case T_IPV4_PREFIX:
		snprintf(buf, len, "IPv4 address/prefix a.b.c.d/len, len 1..32 (default 24)");
		break;
	case T_MAC:
		snprintf(buf, len, "unicast MAC xx:xx:xx:xx:xx:xx");
		break;
	case T_LCORE_MAP:
		snprintf(buf, len, "(port,queue,lcore),... up to %d entries, lcore 0..%d",
			 APP_MAX_MAP, RTE_MAX_LCORE - 1);
		break;
	case T_ARP_STATIC:
		snprintf(buf, len, "list \"ip mac, ip mac\", up to %d entries", APP_MAX_ARP_STATIC);
		break;
	case T_LCORE_LIST:
		snprintf(buf, len, "lcore list like 0,2-3, up to %d lcores, lcore 0..%d",
			 APP_MAX_PIPE_LCORES, RTE_MAX_LCORE - 1);
		break;
	}
}

/* @p text word-wrapped to 79 columns, every line indented by @p indent. */
static void
print_wrapped(FILE *out, const char *text, int indent)
{
	const int width = 79;
	int col = 0, n;

	while (*text != '\0') {
		n = strcspn(text, " ");
		if (col == 0)
			col = fprintf(out, "%*s", indent, "");
		else if (col + 1 + n > width)
			col = fprintf(out, "\n%*s", indent, "") - 1;
		else
			col += fprintf(out, " ");
		col += fprintf(out, "%.*s", n, text);
		text += n;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

void
app_config_help(FILE *out)
{
	char type[128];
	size_t i;
	int last = -1;

	fprintf(out,
		"sluice configuration keys. In an INI file: [section] then key = value;\n"
		"comments start with ';' (anywhere) or '#' (at the start of a line).\n"
		"On the command line: --set section.key=value (after the file).\n"
		"Port sections are [port0]..[port%d], numbered without gaps.\n",
		APP_MAX_PORTS - 1);
	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];

		if ((int)k->sec != last) {
			fprintf(out, "\n[%s]\n", k->sec == SEC_PORT ? "portN" : sec_names[k->sec]);
			last = k->sec;
		}
		type_desc(k, type, sizeof(type));
		fprintf(out, "  %-15s %s; %s%s%s\n", k->name, type,
			k->flags & KF_REQUIRED ? "required" : "default: ",
			k->flags & KF_REQUIRED ? ""
			: k->def[0] != '\0'    ? k->def
					       : "(not set)",
			"");
		print_wrapped(out, k->help, 18);
	}
}

/* INI value: rte_cfgfile reads "\;" as ';' and strips the ends, which never
 * carry whitespace here (values are stripped when read). */
static void
dump_value(FILE *out, const char *name, const char *v)
{
	fprintf(out, "%s = ", name);
	for (; *v != '\0'; v++) {
		if (*v == CFG_DEFAULT_COMMENT_CHARACTER)
			fputc('\\', out);
		fputc(*v, out);
	}
	fputc('\n', out);
}

static void
dump_section(const struct app_config *cfg, FILE *out, enum sec sec, int port)
{
	char buf[APP_DEV_LEN + 8], ip[INET_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];
	size_t i;
	int j;

	if (sec == SEC_PORT)
		fprintf(out, "\n[port%d]\n", port);
	else
		fprintf(out, "\n[%s]\n", sec_names[sec]);
	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];

		if (k->sec != sec)
			continue;
		if (k->type == T_LCORE_MAP) {
			if (cfg->n_map == 0)
				fprintf(out, "; %s = (not set: queues spread over the lcores)\n",
					k->name);
			/* 8 entries a line keeps lines well inside rte_cfgfile's limit */
			for (j = 0; j < cfg->n_map; j++) {
				if (j % 8 == 0)
					fprintf(out, "%s%s = ", j ? "\n" : "", k->name);
				fprintf(out, "%s(%u,%u,%u)", j % 8 ? "," : "", cfg->map[j].port,
					cfg->map[j].queue, cfg->map[j].lcore);
			}
			if (cfg->n_map != 0)
				fputc('\n', out);
			continue;
		}
		if (k->type == T_ARP_STATIC) {
			if (cfg->n_arp_static == 0)
				fprintf(out, "; %s = (not set)\n", k->name);
			for (j = 0; j < cfg->n_arp_static; j++) {
				ip4_str(cfg->arp_static[j].ip, ip, sizeof(ip));
				rte_ether_format_addr(mac, sizeof(mac), &cfg->arp_static[j].mac);
				fprintf(out, "%s = %s %s\n", k->name, ip, mac);
			}
			continue;
		}
		key_format(cfg, k, port, buf, sizeof(buf));
		if (buf[0] == '\0')
			fprintf(out, "; %s = (not set)\n", k->name);
		else
			dump_value(out, k->name, buf);
	}
}

void
app_config_dump(const struct app_config *cfg, FILE *out)
{
	int p;

	fprintf(out, "; sluice effective configuration, from %s plus --set and defaults\n",
		cfg->source);
	dump_section(cfg, out, SEC_SLUICE, 0);
	for (p = 0; p < APP_MAX_PORTS; p++)
		if (cfg->ports[p].present)
			dump_section(cfg, out, SEC_PORT, p);
	dump_section(cfg, out, SEC_STACK, 0);
	dump_section(cfg, out, SEC_SERVICE, 0);
	dump_section(cfg, out, SEC_PIPELINE, 0);
	dump_section(cfg, out, SEC_TCP, 0);
}
