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
#include <dlfcn.h>
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
	SEC_OFFLOAD,
	SEC_MAX,
	SEC_SVC = SEC_MAX, /* [<service name>]: a service's own keys */
};

static const char *const sec_names[SEC_MAX] = {"sluice",  "port",     "stack",  "service",
					       "pipeline", "tcp", "offload"};

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

static int check_metrics_addr(const char *val, char *why, size_t wl);
static const char *const idle_values[] = {"poll", "adaptive", NULL};
static const char *const rss_check_values[] = {"refuse", "off", "software", NULL};
static int check_off_weights(const char *val, char *why, size_t wl);
static int check_off_on_full(const char *val, char *why, size_t wl);
static const char *const off_policy_values[] = {"strict", "weighted", NULL};

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
	{SEC_SLUICE, "service_so", T_STRING, .max = APP_SO_LEN - 1, .def = "",
	 .help = "shared object to load (dlopen) before [sluice] service is looked up: a "
		 "service built outside the tree, registered by its SL_SERVICE_REGISTER; "
		 "empty = none",
	 CFG(service_so), .flags = KF_OPTIONAL},

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

	/* [sluice], operations (issue 14): Prometheus endpoint, idle sleep,
	 * RSS self-check */
	{SEC_SLUICE, "metrics", T_STRING, .max = APP_METRICS_LEN - 1, .def = "",
	 .help = "serve Prometheus/OpenMetrics text on http://ADDR:PORT/metrics from a control "
		 "thread (never a loop lcore), e.g. 127.0.0.1:9100; every counter of "
		 "/sluice/stats; empty = off",
	 CFG(metrics), .check = check_metrics_addr},
	{SEC_SLUICE, "idle", T_ENUM, .values = idle_values, .def = "poll",
	 .help = "poll: loops spin at 100 % CPU; adaptive: after idle_polls empty iterations a "
		 "loop sleeps, backing off from 1 us up to idle_sleep_max_us, never past its next "
		 "timer, with its TX buffers flushed first (counter idle_sleeps)",
	 CFG(idle)},
	{SEC_SLUICE, "idle_polls", T_UINT, .min = 1, .max = 10000000, .def = "1000",
	 .help = "idle = adaptive: empty loop iterations in a row before the first sleep",
	 CFG(idle_polls)},
	{SEC_SLUICE, "idle_sleep_max_us", T_UINT, .min = 1, .max = 10000, .def = "1000",
	 .help = "idle = adaptive: longest single sleep, microseconds (also the most latency "
		 "an idle loop adds to the first packet that wakes it)",
	 CFG(idle_sleep_max_us)},
	{SEC_SLUICE, "rss_check", T_ENUM, .values = rss_check_values, .def = "refuse",
	 .help = "at start, for every port with rxq > 1 and rss = yes, hash sample flows and their "
		 "reverse with the device's own RSS key and RETA; refuse: exit 2 when a flow's "
		 "two directions reach different queues; off: do not check; software (mode = "
		 "pipeline only): RX lcores then ignore that port's RSS hash and steer every "
		 "flow to its worker by sluice's symmetric software hash",
	 CFG(rss_check)},

	/* [offload] (issue 9; lcore/include/lc_offload.h) */
	{SEC_OFFLOAD, "lcores", T_LCORE_LIST, .def = "",
	 .help = "offload worker lcores (up to 8), which run the jobs services hand over; "
		 "never loop lcores (RX queues, pipeline stages); empty = no offload, jobs "
		 "run inline on the submitting lcore",
	 CFG(off_lcores), .flags = KF_OPTIONAL},
	{SEC_OFFLOAD, "lanes", T_UINT, .min = 1, .max = 8, .def = "1",
	 .help = "priority lanes; lane 0 is the highest", CFG(off_lanes)},
	{SEC_OFFLOAD, "lane_size", T_UINT, .min = 1, .max = 16384, .def = "256",
	 .help = "jobs a stack lcore may have out per worker and lane (queued, running or on "
		 "the way back; the size of each lane ring); a full lane rejects or runs the "
		 "job inline (on_full)",
	 CFG(off_lane_size)},
	{SEC_OFFLOAD, "policy", T_ENUM, .values = off_policy_values, .def = "strict",
	 .help = "strict: lower lane number first, a lower lane served once after "
		 "starve_after jobs taken while it waited; weighted: weights jobs per turn",
	 CFG(off_policy)},
	{SEC_OFFLOAD, "weights", T_STRING, .max = 63, .def = "",
	 .help = "weighted: jobs per turn for lanes 0,1,... e.g. \"8,2,1\" (1..1000 each); "
		 "lanes past the list take its last value; empty = 1 each",
	 CFG(off_weights_s), .check = check_off_weights},
	{SEC_OFFLOAD, "deadline_us", T_UINT, .min = 0, .max = 60000000, .def = "0",
	 .help = "a job that waited longer than this when a worker reaches it is not run "
		 "(completes as expired); 0 = no deadline",
	 CFG(off_deadline_us)},
	{SEC_OFFLOAD, "starve_after", T_UINT, .min = 1, .max = 1000000, .def = "16",
	 .help = "strict: after this many jobs in a row taken while a lower lane had work, "
		 "one job from a lower lane (round-robin over them)",
	 CFG(off_starve_after)},
	{SEC_OFFLOAD, "on_full", T_STRING, .max = 95, .def = "reject",
	 .help = "per lane, what a full lane does: reject (submit fails, the service "
		 "answers 503 or drops) or run_inline (the stack lcore runs the job itself); "
		 "a list for lanes 0,1,... e.g. \"reject,run_inline\"; lanes past the list "
		 "take its last value",
	 CFG(off_on_full_s), .check = check_off_on_full},
};

#define N_KEYS RTE_DIM(keys)

/* Where a value came from, for messages after the fact. */
#define ORIGIN_DEFAULT 0
#define ORIGIN_SET (-1)
#define ORIGIN_FILE INT_MAX /* from the file, line unknown */

/* A service key met in the file or in --set, applied once the service
 * that [sluice] service names is known (it may come later). */
struct svc_ent {
	char *sec;	  /* the service's section; NULL = [service], the selected one */
	char *name, *val; /* name NULL: the section itself (its line, appears twice?) */
	int line;
};

struct load_ctx {
	const char *file;		       /* NULL when only --set applies */
	int origin[APP_MAX_PORTS + 1][N_KEYS]; /* [APP_MAX_PORTS] = the other sections */
	int svc_origin[APP_MAX_SERVICES][APP_SVC_MAX_KEYS];
	int svc_seen[APP_MAX_SERVICES]; /* line of the service's section */
	bool defer;			/* load: service keys wait for svc_resolve() */
	struct svc_ent *ents;
	int n_ents;
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

/* For services' request-target keys (http's and tcp-fetch's http_path). */
int
sl_cfg_check_http_path(const char *val, char *why, size_t wl)
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

/* [sluice] metrics: "a.b.c.d:port", port 1..65535; empty = off. */
static int
check_metrics_addr(const char *val, char *why, size_t wl)
{
	char ip[APP_METRICS_LEN];
	const char *colon = strrchr(val, ':');
	struct in_addr a;
	uint64_t port;

	if (val[0] == '\0')
		return 0;
	if (colon == NULL || (size_t)(colon - val) >= sizeof(ip)) {
		errf(why, wl, "'%s' is not ADDR:PORT, e.g. 127.0.0.1:9100", val);
		return -EINVAL;
	}
	memcpy(ip, val, colon - val);
	ip[colon - val] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1) {
		errf(why, wl, "'%s' is not an IPv4 address (ADDR:PORT, e.g. 127.0.0.1:9100)", ip);
		return -EINVAL;
	}
	if (parse_u64(colon + 1, 1, 65535, &port, why, wl) != 0)
		return -EINVAL;
	return 0;
}

/* [offload] weights / on_full: comma-separated, one value per lane. Each
 * token goes to @fn; @return tokens or -EINVAL with @why set. */
static int
off_list(const char *val, int (*fn)(const char *tok, size_t n, int i, void *out, char *why,
				    size_t wl),
	 void *out, char *why, size_t wl)
{
	const char *p = val;
	int i = 0;

	if (*p == '\0')
		return 0;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (i == APP_MAX_OFF_LANES) {
			errf(why, wl, "more than %d values (one per lane)", APP_MAX_OFF_LANES);
			return -EINVAL;
		}
		if (fn(p, n, i, out, why, wl) != 0)
			return -EINVAL;
		i++;
		if (e == NULL)
			return i;
		p = e + 1;
	}
}

static int
off_weight_tok(const char *tok, size_t n, int i, void *out, char *why, size_t wl)
{
	unsigned long v = 0;
	size_t k;

	for (k = 0; k < n && isdigit((unsigned char)tok[k]); k++)
		v = v * 10 + (unsigned long)(tok[k] - '0');
	if (n == 0 || k != n || n > 4 || v < 1 || v > 1000) {
		errf(why, wl, "weight %d '%.*s': must be a number 1..1000", i, (int)n, tok);
		return -EINVAL;
	}
	if (out != NULL)
		((uint16_t *)out)[i] = (uint16_t)v;
	return 0;
}

static int
off_on_full_tok(const char *tok, size_t n, int i, void *out, char *why, size_t wl)
{
	uint8_t v;

	if (n == 6 && strncmp(tok, "reject", 6) == 0) {
		v = 0;
	} else if (n == 10 && strncmp(tok, "run_inline", 10) == 0) {
		v = 1;
	} else {
		errf(why, wl, "lane %d '%.*s': must be reject or run_inline", i, (int)n, tok);
		return -EINVAL;
	}
	if (out != NULL)
		((uint8_t *)out)[i] = v;
	return 0;
}

static int
check_off_weights(const char *val, char *why, size_t wl)
{
	return off_list(val, off_weight_tok, NULL, why, wl) < 0 ? -EINVAL : 0;
}

static int
check_off_on_full(const char *val, char *why, size_t wl)
{
	if (val[0] == '\0') {
		errf(why, wl, "empty: give reject or run_inline (per lane, comma-separated)");
		return -EINVAL;
	}
	return off_list(val, off_on_full_tok, NULL, why, wl) < 0 ? -EINVAL : 0;
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
 * Parse @p val for key @p k into the value at @p p: the types that need
 * nothing but their own bytes (what a service's key may be, too). On error
 * @p why says what is wrong with the value, without naming the key.
 */
static int
value_set(const struct key *k, void *p, const char *val, char *why, size_t wl)
{
	uint64_t u;
	size_t i;
	bool b;

	if (*val == '\0' && (k->flags & KF_OPTIONAL)) {
		memset(p, 0, k->size);
		return 0;
	}
	if (k->check != NULL && k->check(val, why, wl) != 0)
		return -EINVAL;
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
	case T_LCORE_LIST:
		return parse_lcore_list(val, p, why, wl);
	default:
		break;
	}
	errf(why, wl, "key of a type that needs the whole configuration");
	return -EINVAL;
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

	switch (k->type) {
	case T_MAC:
		if (*val == '\0' && (k->flags & KF_OPTIONAL)) {
			memset(p, 0, sizeof(struct rte_ether_addr));
			*(bool *)((char *)&cfg->ports[port] + k->off2) = false;
			return 0;
		}
		if (parse_mac(val, p, why, wl) != 0)
			return -EINVAL;
		*(bool *)((char *)&cfg->ports[port] + k->off2) = true;
		return 0;
	case T_IPV4_PREFIX:
		if (*val == '\0') {
			errf(why, wl, "empty value, must be a.b.c.d/len");
			return -EINVAL;
		}
		return parse_ip4_prefix(val, p, (uint8_t *)((char *)&cfg->ports[port] + k->off2),
					why, wl);
	case T_LCORE_MAP:
		return set_map(cfg, val, append, why, wl);
	case T_ARP_STATIC:
		return set_arp_static(cfg, val, append, why, wl);
	default:
		return value_set(k, p, val, why, wl);
	}
}

static void
ip4_str(uint32_t ip_be, char *buf, size_t len)
{
	struct in_addr a = {.s_addr = ip_be};

	inet_ntop(AF_INET, &a, buf, len);
}

/* Text of the value at @p p, as the file would carry it; "" = not set. */
static void
value_format(const struct key *k, const void *p, char *buf, size_t len)
{
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
	case T_LCORE_LIST:
		format_lcore_list(p, buf, len);
		break;
	case T_TEXT:
		text_encode(p, buf, len);
		break;
	default:
		break;
	}
}

/* Text of the key's current value, as the file would carry it; "" = not set. */
static void
key_format(const struct app_config *cfg, const struct key *k, int port, char *buf, size_t len)
{
	const struct app_port_cfg *pc = &cfg->ports[port];
	char ip[INET_ADDRSTRLEN];

	buf[0] = '\0';
	switch (k->type) {
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
	default:
		value_format(k, key_cptr(cfg, k, port), buf, len);
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
	for (n = 0; n < (long)sl_service_count(); n++)
		if (strcmp(name, sl_service_at(n)->name) == 0) {
			*sec = SEC_SVC;
			*port = n;
			return 0;
		}
	{
		char list[256] = "";

		for (n = 0; n < (long)sl_service_count(); n++)
			if (sl_service_at(n)->n_cfg_keys != 0)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), ", [%s]",
					 sl_service_at(n)->name);
		errf(why, wl,
		     "unknown section; valid sections are [sluice], [port0]..[port%d], [stack], "
		     "[service], [pipeline], [tcp]%s%s",
		     APP_MAX_PORTS - 1, list[0] ? " and the services' " : "",
		     list[0] ? list + 2 : "");
	}
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
	else if (sec == SEC_SVC)
		snprintf(buf, len, "%s", sl_service_at(port)->name);
	else
		snprintf(buf, len, "%s", sec_names[sec]);
}

/* ---- the services' own keys ------------------------------------------ */

/* A service's declaration as a key of the table's kind, so one parser and
 * one formatter serve both; -EINVAL if its type is not one a service may use. */
static int
svc_key(const struct sl_cfg_key *sk, struct key *k)
{
	static const enum ktype types[] = {
		[SL_CFG_UINT] = T_UINT, [SL_CFG_BOOL] = T_BOOL, [SL_CFG_STRING] = T_STRING,
		[SL_CFG_TEXT] = T_TEXT, [SL_CFG_IPV4] = T_IPV4, [SL_CFG_ENUM] = T_ENUM,
	};

	memset(k, 0, sizeof(*k));
	if ((unsigned int)sk->type >= RTE_DIM(types))
		return -EINVAL;
	k->sec = SEC_SVC;
	k->name = sk->name;
	k->type = types[sk->type];
	k->min = sk->min;
	k->max = sk->max;
	k->values = sk->values;
	k->def = sk->def != NULL ? sk->def : "";
	k->help = sk->help != NULL ? sk->help : "";
	k->off = sk->off;
	k->size = sk->size;
	k->flags = (sk->flags & SL_CFG_OPTIONAL) ? KF_OPTIONAL : 0;
	k->check = sk->check;
	return 0;
}

static bool
uint_size_ok(size_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Defaults of @p svc's keys into @p base (APP_SVC_CFG_MAX bytes), after
 * checking the declaration itself: a service from outside the tree gets a
 * message, not a write past its struct. */
static int
svc_defaults(const struct sl_service *svc, unsigned char *base, char *why, size_t wl)
{
	char sub[256];
	unsigned int i, j;
	struct key k;

	memset(base, 0, APP_SVC_CFG_MAX);
	if (svc->n_cfg_keys == 0)
		return 0;
	if (svc->cfg_keys == NULL || svc->cfg_size == 0 || svc->cfg_size > APP_SVC_CFG_MAX ||
	    svc->n_cfg_keys > APP_SVC_MAX_KEYS) {
		errf(why, wl,
		     "service %s declares %u keys but no table, or a cfg_size of %zu (must be "
		     "1..%d, at most %d keys)",
		     svc->name, svc->n_cfg_keys, svc->cfg_size, APP_SVC_CFG_MAX, APP_SVC_MAX_KEYS);
		return -EINVAL;
	}
	{
		enum sec sec;
		int port;

		if (section_parse(svc->name, &sec, &port, sub, sizeof(sub)) == 0 &&
		    sec != SEC_SVC) {
			errf(why, wl, "service %s: its name is one of sluice's sections; rename it",
			     svc->name);
			return -EINVAL;
		}
		static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

		/* it names a section and starts every --set name.key=value */
		if (svc->name[strspn(svc->name, name_chars)] != '\0') {
			errf(why, wl,
			     "service %s: a service with keys needs a name of letters, digits, "
			     "'_' and '-' only",
			     svc->name);
			return -EINVAL;
		}
	}
	for (i = 0; i < svc->n_cfg_keys; i++) {
		const struct sl_cfg_key *sk = &svc->cfg_keys[i];
		const char *bad = NULL;

		if (sk->name == NULL || sk->name[0] == '\0' || svc_key(sk, &k) != 0) {
			errf(why, wl, "service %s: key %u has no name or an unknown type",
			     svc->name, i);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (strcmp(svc->cfg_keys[j].name, sk->name) == 0)
				bad = "declared twice";
		if (k.off + k.size > svc->cfg_size || k.size == 0)
			bad = "off and size reach outside cfg_size";
		else if ((k.type == T_UINT || k.type == T_ENUM) && !uint_size_ok(k.size))
			bad = "an integer must have size 1, 2, 4 or 8";
		else if (k.type == T_UINT &&
			 (k.min > k.max || (k.size < 8 && k.max >> (8 * k.size) != 0)))
			bad = "min > max, or max does not fit its size";
		else if (k.type == T_BOOL && k.size != sizeof(bool))
			bad = "a boolean must have the size of a bool";
		else if (k.type == T_IPV4 && k.size != sizeof(uint32_t))
			bad = "an IPv4 address must have size 4";
		else if ((k.type == T_STRING || k.type == T_TEXT) &&
			 (k.max == 0 || k.max >= k.size))
			bad = "a string needs 1 <= max < size (room for the NUL)";
		else if (k.type == T_ENUM && (k.values == NULL || k.values[0] == NULL))
			bad = "an enum needs values";
		if (bad != NULL) {
			errf(why, wl, "service %s: key %s: %s", svc->name, sk->name, bad);
			return -EINVAL;
		}
		if (value_set(&k, base + k.off, k.def, sub, sizeof(sub)) != 0) {
			errf(why, wl, "service %s: key %s: default '%s' does not parse: %s",
			     svc->name, sk->name, k.def, sub);
			return -EINVAL;
		}
	}
	return 0;
}

static int
svc_find_key(const struct sl_service *svc, const char *name)
{
	unsigned int i;

	for (i = 0; i < svc->n_cfg_keys; i++)
		if (strcmp(svc->cfg_keys[i].name, name) == 0)
			return i;
	return -1;
}

static int
svc_index(const struct sl_service *svc)
{
	unsigned int i;

	for (i = 0; i < sl_service_count(); i++)
		if (sl_service_at(i) == svc)
			return i;
	return -1;
}

/* The selected service (cfg->service) with its defaults; -ENOENT if no
 * service has that name. */
static int
svc_select(struct app_config *cfg, char *why, size_t wl)
{
	const struct sl_service *svc = sl_service_find(cfg->service);
	int ret;

	cfg->svc = NULL;
	memset(cfg->svc_cfg, 0, sizeof(cfg->svc_cfg));
	if (svc == NULL)
		return -ENOENT;
	ret = svc_defaults(svc, cfg->svc_cfg, why, wl);
	if (ret == 0)
		cfg->svc = svc; /* only a service whose declaration holds */
	return ret;
}

const void *
app_config_svc(const struct app_config *cfg)
{
	return cfg->svc != NULL && cfg->svc->n_cfg_keys != 0 ? cfg->svc_cfg : NULL;
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
	/* [offload] weights and on_full per lane, as load derives them */
	for (p = 0; p < APP_MAX_OFF_LANES; p++)
		cfg->off_weights[p] = 1;
	svc_select(cfg, why, sizeof(why)); /* a load reports what is wrong */
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

/*
 * One key of a service: of @p target's section, or (NULL) written in
 * [service] for the selected service. The selected service's values land
 * in cfg->svc_cfg; another service's are parsed (so a typo fails) into a
 * scratch copy and dropped.
 */
static int
svc_apply(struct app_config *cfg, struct load_ctx *ctx, const struct sl_service *target,
	  const char *name, const char *val, int line)
{
	static unsigned char scratch[APP_SVC_CFG_MAX] __rte_aligned(16);
	const struct sl_service *svc = target != NULL ? target : cfg->svc;
	const char *label = target != NULL ? target->name : "service";
	char where[300], why[512], list[512];
	unsigned char *base;
	int ki, si, *origin;
	struct key k;

	origin_str(ctx, line, where, sizeof(where));
	/* another service's keys are checked against its defaults, which
	 * checks its declaration first */
	if (svc != NULL && svc != cfg->svc && svc_defaults(svc, scratch, why, sizeof(why)) != 0) {
		errf(ctx->err, ctx->errlen, "%s: [%s]: %s", where, label, why);
		return -EINVAL;
	}
	ki = svc != NULL ? svc_find_key(svc, name) : -1;
	if (ki < 0) {
		unsigned int i;

		list[0] = '\0';
		if (target == NULL)
			section_keys(SEC_SERVICE, list, sizeof(list));
		if (svc != NULL && svc->n_cfg_keys != 0 && target == NULL)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 " and service %s's own:", svc->name);
		for (i = 0; svc != NULL && i < svc->n_cfg_keys; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i == 0 ? (target == NULL ? " " : "") : ", ",
				 svc->cfg_keys[i].name);
		errf(ctx->err, ctx->errlen,
		     "%s: [%s] %s: unknown key; valid keys in [%s]: %s" SEE_HELP, where, label,
		     name, label, list[0] ? list : "none (the service declares no keys)");
		return -EINVAL;
	}
	si = svc_index(svc);
	base = svc == cfg->svc ? cfg->svc_cfg : scratch;
	origin = &ctx->svc_origin[si][ki];
	if (line > 0 && *origin > 0) {
		errf(ctx->err, ctx->errlen,
		     "%s: [%s] %s = %s: duplicate key, already set on line %d%s; keep one" SEE_HELP,
		     where, label, name, val, *origin,
		     target == NULL || svc == cfg->svc ? " ([service] and the service's own "
							 "section are the same keys)"
						       : "");
		return -EINVAL;
	}
	svc_key(&svc->cfg_keys[ki], &k);
	if (value_set(&k, base + k.off, val, why, sizeof(why)) != 0) {
		errf(ctx->err, ctx->errlen, "%s: [%s] %s = %s: %s" SEE_HELP, where, label, name,
		     val, why);
		return -EINVAL;
	}
	*origin = line;
	return 0;
}

/* Keep a service key for svc_resolve(): neither the selected service
 * ([sluice] service may come later, or in --set) nor every service's
 * section ([sluice] service_so may register it) is known yet. */
static int
svc_defer(struct load_ctx *ctx, const char *sec, const char *name, const char *val, int line)
{
	struct svc_ent *e = realloc(ctx->ents, (ctx->n_ents + 1) * sizeof(*e));

	if (e == NULL)
		goto nomem;
	ctx->ents = e;
	e = &ctx->ents[ctx->n_ents];
	memset(e, 0, sizeof(*e));
	e->line = line;
	if ((sec != NULL && (e->sec = strdup(sec)) == NULL) ||
	    (name != NULL && (e->name = strdup(name)) == NULL) ||
	    (val != NULL && (e->val = strdup(val)) == NULL)) {
		free(e->sec);
		free(e->name);
		free(e->val);
		goto nomem;
	}
	ctx->n_ents++;
	return 0;
nomem:
	errf(ctx->err, ctx->errlen, "out of memory");
	return -ENOMEM;
}

static void
svc_ents_free(struct load_ctx *ctx)
{
	int i;

	for (i = 0; i < ctx->n_ents; i++) {
		free(ctx->ents[i].sec);
		free(ctx->ents[i].name);
		free(ctx->ents[i].val);
	}
	free(ctx->ents);
	ctx->ents = NULL;
	ctx->n_ents = 0;
}

/* After the file and --set: select the service, then apply its keys (and
 * check other services' sections) in the order they came. */
static int
svc_resolve(struct app_config *cfg, struct load_ctx *ctx)
{
	const struct key *k_svc = key_find(SEC_SLUICE, "service");
	char where[300], why[512], list[256] = "";
	unsigned int i;
	int ret;

	if (cfg->service_so[0] != '\0') {
		const struct key *k_so = key_find(SEC_SLUICE, "service_so");

		/* never closed: what it registered points into it; a second
		 * load of the same file only counts a reference */
		if (dlopen(cfg->service_so, RTLD_NOW | RTLD_GLOBAL) == NULL) {
			origin_str(ctx, ctx->origin[APP_MAX_PORTS][k_so - keys], where,
				   sizeof(where));
			errf(ctx->err, ctx->errlen,
			     "%s: [sluice] service_so = %s: cannot load it: %s (a path with a '/' "
			     "is taken as is, a bare name is searched like a library)",
			     where, cfg->service_so, dlerror());
			return -EINVAL;
		}
	}
	origin_str(ctx, ctx->origin[APP_MAX_PORTS][k_svc - keys], where, sizeof(where));
	ret = svc_select(cfg, why, sizeof(why));
	if (ret == -ENOENT) {
		for (i = 0; i < sl_service_count(); i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", sl_service_at(i)->name);
		errf(ctx->err, ctx->errlen,
		     "%s: [sluice] service = %s: no such service; known: %s (sluice --help "
		     "describes them)",
		     where, cfg->service, list[0] ? list : "none");
		return -EINVAL;
	}
	if (ret != 0) {
		errf(ctx->err, ctx->errlen, "%s: [sluice] service = %s: %s", where, cfg->service,
		     why);
		return -EINVAL;
	}
	for (i = 0; i < (unsigned int)ctx->n_ents; i++) {
		const struct svc_ent *e = &ctx->ents[i];
		const struct sl_service *target = NULL;

		if (e->sec != NULL) {
			enum sec sec;
			int port;

			origin_str(ctx, e->line, where, sizeof(where));
			if (section_parse(e->sec, &sec, &port, why, sizeof(why)) != 0 ||
			    sec != SEC_SVC) {
				errf(ctx->err, ctx->errlen, "%s: [%s]: %s" SEE_HELP, where, e->sec,
				     why);
				return -EINVAL;
			}
			target = sl_service_at(port);
			if (e->name == NULL) {
				if (ctx->svc_seen[port] != 0) {
					errf(ctx->err, ctx->errlen,
					     "%s: [%s]: section appears twice (first on line %d); "
					     "merge them",
					     where, e->sec, ctx->svc_seen[port]);
					return -EINVAL;
				}
				ctx->svc_seen[port] = e->line;
				continue;
			}
		}
		ret = svc_apply(cfg, ctx, target, e->name, e->val, e->line);
		if (ret != 0)
			return ret;
	}
	if (cfg->svc->cfg_check != NULL && cfg->svc->cfg_check(cfg->svc_cfg, why, sizeof(why))) {
		origin_str(ctx, ORIGIN_DEFAULT, where, sizeof(where));
		errf(ctx->err, ctx->errlen, "%s: [%s]: %s" SEE_HELP, where, cfg->svc->name, why);
		return -EINVAL;
	}
	return 0;
}

/* One key = value from the file (line > 0) or from --set (ORIGIN_SET). */
static int
apply(struct app_config *cfg, struct load_ctx *ctx, enum sec sec, int port, const char *name,
      const char *val, int line)
{
	char where[300], label[64], why[512], list[256];
	int slot = sec == SEC_PORT ? port : APP_MAX_PORTS;
	const struct key *k;
	int *origin;

	/* a service's own key: now (app_config_set) or once the service is known */
	k = key_find(sec, name);
	if (sec == SEC_SVC || (sec == SEC_SERVICE && k == NULL)) {
		const struct sl_service *target = sec == SEC_SVC ? sl_service_at(port) : NULL;

		if (ctx->defer)
			return svc_defer(ctx, target != NULL ? target->name : NULL, name, val,
					 line);
		return svc_apply(cfg, ctx, target, name, val, line);
	}
	origin_str(ctx, line, where, sizeof(where));
	section_label(sec, port, label, sizeof(label));
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
	if (!ctx->defer && k == key_find(SEC_SLUICE, "service"))
		svc_select(cfg, why, sizeof(why)); /* app_config_set: the new one's defaults */
	return 0;
}

static int
apply_set(struct app_config *cfg, struct load_ctx *ctx, const char *set)
{
	char buf[APP_DEV_LEN + CFG_NAME_LEN * 2], why[512];
	char *dot, *eq, *secname, *name, *val;
	enum sec sec;
	int port, rc;

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
	rc = section_parse(secname, &sec, &port, why, sizeof(why));
	if (ctx->defer && (rc != 0 || sec == SEC_SVC)) /* a service's, maybe from service_so */
		return svc_defer(ctx, secname, name, val, ORIGIN_SET);
	if (rc != 0) {
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
	char secname[CFG_NAME_LEN], why[512], where[300];
	int n_sec, i, j, n, port, e = 0, ret, rc;
	int seen[SEC_MAX][APP_MAX_PORTS] = {{0}};
	bool later;
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
		rc = section_parse(secname, &sec, &port, why, sizeof(why));
		/* not sluice's: a service's, known once service_so is loaded */
		later = rc != 0 || sec == SEC_SVC;
		if (later) {
			ret = svc_defer(ctx, secname, NULL, NULL, line > 0 ? line : ORIGIN_FILE);
			if (ret != 0)
				break;
		} else {
			slot = sec == SEC_PORT ? port : 0;
			if (seen[sec][slot] != 0) {
				errf(ctx->err, ctx->errlen,
				     "%s: [%s]: section appears twice (first on line %d); merge "
				     "them",
				     where, secname, seen[sec][slot]);
				ret = -EINVAL;
				break;
			}
			seen[sec][slot] = line > 0 ? line : ORIGIN_FILE;
			if (sec == SEC_PORT)
				cfg->ports[port].present = true;
		}
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
			if (later)
				ret = svc_defer(ctx, secname, ents[j].name, ents[j].value,
						eline > 0 ? eline : ORIGIN_FILE);
			else
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

/* [offload]: per-lane lists against lanes, service lanes below lanes. */
static int
validate_offload(struct app_config *cfg, struct load_ctx *ctx)
{
	static const char *const list_keys[] = {"weights", "on_full"};
	const struct sl_service *svc = cfg->svc;
	char where[300], why[160];
	unsigned int i;
	int n[2], l;

	n[0] = off_list(cfg->off_weights_s, off_weight_tok, cfg->off_weights, why, sizeof(why));
	n[1] = off_list(cfg->off_on_full_s, off_on_full_tok, cfg->off_on_full, why, sizeof(why));
	for (i = 0; i < RTE_DIM(list_keys); i++) {
		const struct key *k = key_find(SEC_OFFLOAD, list_keys[i]);

		if (n[i] <= cfg->off_lanes)
			continue;
		origin_str(ctx, ctx->origin[APP_MAX_PORTS][k - keys], where, sizeof(where));
		errf(ctx->err, ctx->errlen,
		     "%s: [offload] %s: %d values but [offload] lanes = %u; give at most "
		     "one per lane or raise lanes",
		     where, list_keys[i], n[i], cfg->off_lanes);
		return -EINVAL;
	}
	/* the selected service's keys that name a lane (SL_CFG_LANE) */
	for (i = 0; svc != NULL && i < svc->n_cfg_keys; i++) {
		const struct sl_cfg_key *sk = &svc->cfg_keys[i];
		uint64_t lane;

		if (!(sk->flags & SL_CFG_LANE) || sk->type != SL_CFG_UINT)
			continue;
		lane = load_uint(cfg->svc_cfg + sk->off, sk->size);
		if (lane < cfg->off_lanes)
			continue;
		origin_str(ctx, ctx->svc_origin[svc_index(svc)][i], where, sizeof(where));
		errf(ctx->err, ctx->errlen,
		     "%s: [%s] %s = %" PRIu64 ": no such lane, [offload] lanes = %u (lanes "
		     "0..%u); raise lanes or pick a lower lane",
		     where, svc->name, sk->name, lane, cfg->off_lanes, cfg->off_lanes - 1);
		return -EINVAL;
	}
	/* lanes past a list take its last value */
	for (l = RTE_MAX(n[0], 1); l < APP_MAX_OFF_LANES; l++)
		cfg->off_weights[l] = n[0] > 0 ? cfg->off_weights[n[0] - 1] : 1;
	if (n[0] == 0)
		cfg->off_weights[0] = 1;
	for (l = RTE_MAX(n[1], 1); l < APP_MAX_OFF_LANES; l++)
		cfg->off_on_full[l] = cfg->off_on_full[n[1] - 1];
	if (cfg->off_lcores.n > APP_MAX_OFF_LCORES) {
		const struct key *k = key_find(SEC_OFFLOAD, "lcores");

		origin_str(ctx, ctx->origin[APP_MAX_PORTS][k - keys], where, sizeof(where));
		errf(ctx->err, ctx->errlen, "%s: [offload] lcores: %u lcores, at most %d", where,
		     cfg->off_lcores.n, APP_MAX_OFF_LCORES);
		return -EINVAL;
	}
	for (i = 0; i < cfg->off_lcores.n; i++) {
		const struct app_lcore_list *lists[3] = {&cfg->pipe_rx, &cfg->pipe_workers,
							  &cfg->pipe_tx};
		uint16_t id = cfg->off_lcores.ids[i];
		int j, q;

		for (j = 0; j < 3; j++)
			for (q = 0; q < lists[j]->n; q++)
				if (lists[j]->ids[q] == id) {
					const struct key *k = key_find(SEC_OFFLOAD, "lcores");

					origin_str(ctx, ctx->origin[APP_MAX_PORTS][k - keys], where,
						   sizeof(where));
					errf(ctx->err, ctx->errlen,
					     "%s: [offload] lcores: lcore %u is also in [pipeline] "
					     "%s; an offload worker needs an lcore of its own",
					     where, id,
					     j == 0 ? "rx_lcores"
						    : (j == 1 ? "worker_lcores" : "tx_lcores"));
					return -EINVAL;
				}
		for (q = 0; q < cfg->n_map; q++)
			if (cfg->map[q].lcore == id) {
				const struct key *k = key_find(SEC_OFFLOAD, "lcores");

				origin_str(ctx, ctx->origin[APP_MAX_PORTS][k - keys], where,
					   sizeof(where));
				errf(ctx->err, ctx->errlen,
				     "%s: [offload] lcores: lcore %u polls an RX queue in [sluice] "
				     "lcore_map; an offload worker needs an lcore of its own",
				     where, id);
				return -EINVAL;
			}
	}
	return 0;
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
	return validate_offload(cfg, ctx);
}

int
app_config_load(struct app_config *cfg, const char *file, char *const *sets, int n_sets, char *err,
		size_t errlen)
{
	static struct load_ctx ctx; /* too big for a stack; main/tests only */
	int i, ret = 0;

	app_config_defaults(cfg);
	snprintf(cfg->source, sizeof(cfg->source), "%s", file != NULL ? file : "(no file)");
	memset(&ctx, 0, sizeof(ctx));
	ctx.file = file;
	ctx.err = err;
	ctx.errlen = errlen;
	ctx.defer = true;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	if (file != NULL)
		ret = load_file(cfg, &ctx);
	for (i = 0; i < n_sets && ret == 0; i++)
		ret = apply_set(cfg, &ctx, sets[i]);
	if (ret == 0)
		ret = svc_resolve(cfg, &ctx);
	svc_ents_free(&ctx);
	if (ret != 0)
		return ret;
	/* a service's own port (kv: 11211) where [service] sets none */
	if (cfg->svc->default_port != 0) {
		if (ctx.origin[APP_MAX_PORTS][key_find(SEC_SERVICE, "udp_port") - keys] ==
		    ORIGIN_DEFAULT)
			cfg->udp_port = cfg->svc->default_port;
		if (ctx.origin[APP_MAX_PORTS][key_find(SEC_SERVICE, "tcp_port") - keys] ==
		    ORIGIN_DEFAULT)
			cfg->tcp_port = cfg->svc->default_port;
	}
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

static void
help_key(FILE *out, const struct key *k)
{
	char type[128];

	type_desc(k, type, sizeof(type));
	fprintf(out, "  %-15s %s; %s%s\n", k->name, type,
		k->flags & KF_REQUIRED ? "required" : "default: ",
		k->flags & KF_REQUIRED ? ""
		: k->def[0] != '\0'    ? k->def
				       : "(not set)");
	print_wrapped(out, k->help, 18);
}

void
app_config_help(FILE *out)
{
	unsigned int s, j;
	struct key k;
	size_t i;
	int last = -1;

	fprintf(out,
		"sluice configuration keys. In an INI file: [section] then key = value;\n"
		"comments start with ';' (anywhere) or '#' (at the start of a line).\n"
		"On the command line: --set section.key=value (after the file).\n"
		"Port sections are [port0]..[port%d], numbered without gaps.\n"
		"A service's own keys are in a section named after it (after sluice's\n"
		"below); those of the selected service may be written in [service] too.\n",
		APP_MAX_PORTS - 1);
	for (i = 0; i < N_KEYS; i++) {
		if ((int)keys[i].sec != last) {
			fprintf(out, "\n[%s]\n",
				keys[i].sec == SEC_PORT ? "portN" : sec_names[keys[i].sec]);
			last = keys[i].sec;
		}
		help_key(out, &keys[i]);
	}
	for (s = 0; s < sl_service_count(); s++) {
		const struct sl_service *svc = sl_service_at(s);

		if (svc->n_cfg_keys == 0 || svc->cfg_keys == NULL)
			continue;
		fprintf(out, "\n[%s]\n", svc->name);
		for (j = 0; j < svc->n_cfg_keys; j++)
			if (svc_key(&svc->cfg_keys[j], &k) == 0)
				help_key(out, &k);
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

/* The selected service's keys, under its own name. */
static void
dump_svc_section(const struct app_config *cfg, FILE *out)
{
	char buf[APP_SVC_CFG_MAX * 2 + 8];
	unsigned int i;
	struct key k;

	if (cfg->svc == NULL || cfg->svc->n_cfg_keys == 0)
		return;
	fprintf(out, "\n[%s]\n", cfg->svc->name);
	for (i = 0; i < cfg->svc->n_cfg_keys; i++) {
		if (svc_key(&cfg->svc->cfg_keys[i], &k) != 0)
			continue;
		value_format(&k, cfg->svc_cfg + k.off, buf, sizeof(buf));
		if (buf[0] == '\0')
			fprintf(out, "; %s = (not set)\n", k.name);
		else
			dump_value(out, k.name, buf);
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
	dump_svc_section(cfg, out);
	dump_section(cfg, out, SEC_PIPELINE, 0);
	dump_section(cfg, out, SEC_TCP, 0);
	dump_section(cfg, out, SEC_OFFLOAD, 0);
}
