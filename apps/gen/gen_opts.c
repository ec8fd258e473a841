/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen_opts.h"
#include "gen_pkt.h"
#include "gen_proto.h"

enum gen_opt_id {
	OPT_PORT_DEV = 256,
	OPT_SRC_IP,
	OPT_SRC_IPS,
	OPT_SRC_PORT,
	OPT_SRC_MAC,
	OPT_DST_IP,
	OPT_DST_PORT,
	OPT_DST_MAC,
	OPT_GATEWAY,
	OPT_FLOWS,
	OPT_SIZE,
	OPT_RATE,
	OPT_DURATION,
	OPT_COUNT,
	OPT_BURST,
	OPT_DRAIN_MS,
	OPT_STATS,
	OPT_RXD,
	OPT_TXD,
	OPT_LCORES,
	OPT_JSON,
	OPT_MIX,
	OPT_PROTO,
	OPT_CONNS,
	OPT_PIPELINE,
	OPT_KEYS,
	OPT_VALUE_SIZE,
	OPT_GET_RATIO,
	OPT_HTTP_PATH,
	OPT_PREFILL,
	OPT_HELP,
};

/* One table for getopt and for --help (Redis's config table, in small). */
static const struct gen_opt_def {
	const char *name;
	enum gen_opt_id id;
	const char *arg; /* NULL: a flag */
	const char *help;
} gen_opt_defs[] = {
	{"port-dev", OPT_PORT_DEV, "DEV",
	 "the port: PCI address or vdev (net_memif0,role=client,"
	 "socket=/tmp/x.sock, net_af_packet0,iface=veth0, ...)"},
	{"src-ip", OPT_SRC_IP, "A/LEN", "our address and subnet (required)"},
	{"src-ips", OPT_SRC_IPS, "N", "vary the source over A .. A+N-1 (default 1)"},
	{"src-port", OPT_SRC_PORT, "P", "first source port (default 1024)"},
	{"src-mac", OPT_SRC_MAC, "M", "our MAC (default: the port's)"},
	{"dst-ip", OPT_DST_IP, "B", "the echo server's address (required)"},
	{"dst-port", OPT_DST_PORT, "P", "its UDP port (default 7)"},
	{"dst-mac", OPT_DST_MAC, "M", "its MAC (or the gateway's); default: resolve with ARP"},
	{"gateway", OPT_GATEWAY, "G", "next hop when B is outside A/LEN"},
	{"flows", OPT_FLOWS, "N", "flows: source address x source port (default 1024)"},
	{"size", OPT_SIZE, "BYTES", "frame size without FCS, 62..1514 (default 64)"},
	{"rate", OPT_RATE, "PPS|max",
	 "requests per second over all TX lcores, e.g. 100000, 250k, "
	 "1.5M; max = as fast as the port takes them (default max)"},
	{"duration", OPT_DURATION, "S", "send for S seconds (default 10 unless --count)"},
	{"count", OPT_COUNT, "N", "send N requests in all (with --duration: whichever ends first)"},
	{"burst", OPT_BURST, "N", "packets per TX/RX burst, 1..256 (default 32)"},
	{"drain-ms", OPT_DRAIN_MS, "MS",
	 "after the last request, wait this long for replies "
	 "(default 200)"},
	{"stats-interval", OPT_STATS, "S", "a progress line every S seconds, 0 = none (default 1)"},
	{"rxd", OPT_RXD, "N", "RX descriptors (default 1024)"},
	{"txd", OPT_TXD, "N", "TX descriptors (default 1024)"},
	{"lcores", OPT_LCORES, "LAYOUT",
	 "who does what: '1:tx,2:rx', '1' (= 1:txrx); default: "
	 "every worker lcore txrx, or the main lcore alone"},
	{"json", OPT_JSON, "FILE", "also write the report as JSON ('-' = stdout)"},
	{"mix", OPT_MIX, "M:SHARE,...",
	 "request classes, e.g. L:99,H:1: the first payload byte is the class's marker, "
	 "SHARE its relative share; the report gives each class's round trips and loss"},
	{"proto", OPT_PROTO, "udp|memcached|http",
	 "udp: datagrams to an echo service (default); memcached: get/set over TCP "
	 "(--dst-port default 11211); http: GET over keep-alive TCP connections (default "
	 "80). TCP modes run on one lcore with sluice's own TCP stack; --rate and --count "
	 "count requests"},
	{"conns", OPT_CONNS, "N", "TCP connections (default 16, at most 4096)"},
	{"pipeline", OPT_PIPELINE, "N",
	 "requests outstanding per connection, 1..256 (default 1)"},
	{"keys", OPT_KEYS, "N", "memcached: keys sg00000000.. (default 100000)"},
	{"value-size", OPT_VALUE_SIZE, "BYTES", "memcached: value bytes, 24..1024 (default 32)"},
	{"get-ratio", OPT_GET_RATIO, "R", "memcached: share of gets, 0..1 (default 0.9)"},
	{"http-path", OPT_HTTP_PATH, "PATH", "http: the path to GET (default /)"},
	{"prefill", OPT_PREFILL, NULL,
	 "memcached: first set every key once (at max rate, not measured), then the load: "
	 "its gets hit"},
	{"help", OPT_HELP, NULL, "this text"},
};

#define GEN_N_OPTS (sizeof(gen_opt_defs) / sizeof(gen_opt_defs[0]))

void
gen_opts_defaults(struct gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->prefix_len = 24;
	o->n_src_ips = 1;
	o->src_port = 1024;
	o->dst_port = 7;
	o->flows = 1024;
	o->size = 64;
	o->rate = 0;
	o->burst = 32;
	o->drain_ms = 200;
	o->stats_interval = 1.0;
	o->rxd = 1024;
	o->txd = 1024;
	o->conns = 16;
	o->depth = 1;
	o->keys = 100000;
	o->value_size = 32;
	o->get_permille = 900;
	strcpy(o->http_path, "/");
}

/* Print @p text from column @p col, wrapped at @p width, continuation
 * lines indented to @p col. */
static void
usage_wrap(FILE *out, const char *text, int col, int width)
{
	const char *p = text;
	int at = col;

	while (*p != '\0') {
		int w = (int)strcspn(p, " ");

		if (at > col && at + 1 + w > width) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", w, p);
		at += w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

void
gen_opts_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: sluice-gen [EAL options] -- --port-dev DEV --src-ip A/LEN --dst-ip B "
		     "[options]\n\n"
		     "UDP request/response load generator: sends requests carrying a sequence\n"
		     "number and a TSC timestamp to a UDP echo service and reports per-lcore\n"
		     "TX/RX rates, loss and the round-trip latency distribution.\n\noptions:\n");
	for (i = 0; i < GEN_N_OPTS; i++) {
		char lhs[40];

		snprintf(lhs, sizeof(lhs), "--%s%s%s", gen_opt_defs[i].name,
			 gen_opt_defs[i].arg ? " " : "",
			 gen_opt_defs[i].arg ? gen_opt_defs[i].arg : "");
		fprintf(out, "  %-22s ", lhs);
		usage_wrap(out, gen_opt_defs[i].help, 25, 79);
	}
	fprintf(out, "\nExample, against sluice over memif (sluice is the memif server):\n"
		     "  sluice-gen -l 1 --in-memory --file-prefix gen --no-pci -- \\\n"
		     "    --port-dev net_memif0,role=client,socket=/tmp/x.sock \\\n"
		     "    --src-ip 10.9.2.2/24 --dst-ip 10.9.2.1 --rate 100k --duration 5\n"
		     "\nExit codes: 0 done, 1 no reply at all or mbufs missing at the end,\n"
		     "2 bad usage or an environment that cannot run (no port, no ARP answer).\n"
		     "SIGINT/SIGTERM stop sending; replies are still awaited for --drain-ms.\n");
}

static int
bad(char *err, size_t errlen, const char *opt, const char *val, const char *why)
{
	snprintf(err, errlen, "--%s '%s': %s", opt, val, why);
	return -EINVAL;
}

static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s[0] == '\0' || s[0] == '-' || isspace((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return -EINVAL;
	*v = x;
	return 0;
}

static int
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

static int
parse_mac(const char *s, struct rte_ether_addr *mac)
{
	unsigned int b[6];
	char c;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &c) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac->addr_bytes[i] = (uint8_t)b[i];
	}
	return 0;
}

int
gen_opts_parse_rate(const char *s, uint64_t *pps)
{
	char *end;
	double v, mult = 1.0;

	if (strcasecmp(s, "max") == 0) {
		*pps = 0;
		return 0;
	}
	if (s[0] == '\0' || s[0] == '-' || isspace((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -EINVAL;
	if (*end != '\0') {
		const char *sfx = "kKmMgG";
		const char *at = strchr(sfx, *end);

		if (at == NULL)
			return -EINVAL;
		mult = (at - sfx) < 2 ? 1e3 : (at - sfx) < 4 ? 1e6 : 1e9;
		end++;
	}
	if (*end != '\0')
		return -EINVAL;
	v *= mult;
	if (!(v >= 1.0) || v > 1e10)
		return -EINVAL;
	*pps = (uint64_t)llround(v);
	return 0;
}

int
gen_opts_parse_layout(const char *s, struct gen_layout *l, int max, char *err, size_t errlen)
{
	const char *p = s;
	int n = 0, i;

	if (*p == '\0') {
		snprintf(err, errlen, "--lcores '': empty; give e.g. '1' or '1:tx,2:rx'");
		return -EINVAL;
	}
	while (*p != '\0') {
		char tok[32], *colon, *end;
		size_t len = strcspn(p, ",");
		unsigned long id;
		uint8_t role = GEN_ROLE_TXRX;

		if (len == 0 || len >= sizeof(tok)) {
			snprintf(err, errlen,
				 "--lcores '%s': empty or overlong entry; give LCORE[:tx|rx|txrx] "
				 "separated by commas",
				 s);
			return -EINVAL;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		colon = strchr(tok, ':');
		if (colon != NULL) {
			*colon = '\0';
			if (strcmp(colon + 1, "tx") == 0)
				role = GEN_ROLE_TX;
			else if (strcmp(colon + 1, "rx") == 0)
				role = GEN_ROLE_RX;
			else if (strcmp(colon + 1, "txrx") == 0 || strcmp(colon + 1, "rxtx") == 0)
				role = GEN_ROLE_TXRX;
			else {
				snprintf(err, errlen,
					 "--lcores '%s': role '%s' of lcore %s: must be tx, rx or "
					 "txrx",
					 s, colon + 1, tok);
				return -EINVAL;
			}
		}
		errno = 0;
		id = strtoul(tok, &end, 10);
		if (tok[0] == '\0' || !isdigit((unsigned char)tok[0]) || *end != '\0' ||
		    errno != 0 || id >= 1024) {
			snprintf(err, errlen, "--lcores '%s': '%s' is not an lcore id", s, tok);
			return -EINVAL;
		}
		for (i = 0; i < n; i++)
			if (l[i].lcore == id) {
				snprintf(err, errlen,
					 "--lcores '%s': lcore %lu appears twice; give it one role "
					 "(txrx for both)",
					 s, id);
				return -EINVAL;
			}
		if (n == max) {
			snprintf(err, errlen, "--lcores '%s': more than %d lcores", s, max);
			return -EINVAL;
		}
		l[n].lcore = (uint16_t)id;
		l[n].role = role;
		n++;
		p += len;
		if (*p == ',') {
			p++;
			if (*p == '\0') {
				snprintf(err, errlen, "--lcores '%s': trailing comma", s);
				return -EINVAL;
			}
		}
	}
	return n;
}

int
gen_opts_parse_mix(const char *s, uint8_t *marker, uint16_t *share, int max, char *err,
		   size_t errlen)
{
	const char *p = s;
	unsigned int total = 0;
	int n = 0, i;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		unsigned long v;
		char *end;

		if (len < 3 || p[1] != ':' || !isprint((unsigned char)p[0]) || p[0] == ',' ||
		    p[0] == ':' || !isdigit((unsigned char)p[2])) {
			snprintf(err, errlen,
				 "--mix '%s': entry '%.*s': give MARKER:SHARE, a printable "
				 "character and a number (e.g. L:99,H:1)",
				 s, (int)len, p);
			return -EINVAL;
		}
		errno = 0;
		v = strtoul(p + 2, &end, 10);
		if (end != p + len || errno != 0 || v < 1 || v > GEN_MIX_SLOTS) {
			snprintf(err, errlen, "--mix '%s': share '%.*s' must be 1..%u", s,
				 (int)(len - 2), p + 2, GEN_MIX_SLOTS);
			return -EINVAL;
		}
		for (i = 0; i < n; i++)
			if (marker[i] == (uint8_t)p[0]) {
				snprintf(err, errlen, "--mix '%s': marker '%c' appears twice", s,
					 p[0]);
				return -EINVAL;
			}
		if (n == max) {
			snprintf(err, errlen, "--mix '%s': more than %d classes", s, max);
			return -EINVAL;
		}
		total += (unsigned int)v;
		marker[n] = (uint8_t)p[0];
		share[n] = (uint16_t)v;
		n++;
		p += len;
		if (*p == ',' && *++p == '\0') {
			snprintf(err, errlen, "--mix '%s': trailing comma", s);
			return -EINVAL;
		}
	}
	if (n == 0 || total > GEN_MIX_SLOTS) {
		snprintf(err, errlen, "--mix '%s': %s", s,
			 n == 0 ? "empty; give e.g. L:99,H:1"
				: "shares add up to more than " RTE_STR(GEN_MIX_SLOTS));
		return -EINVAL;
	}
	return n;
}

static int
gen_opts_check(struct gen_opts *o, bool have[], char *err, size_t errlen)
{
	uint32_t mask = o->prefix_len == 32 ? UINT32_MAX : ~(UINT32_MAX >> o->prefix_len);
	uint32_t last = o->src_ip + o->n_src_ips - 1;
	uint32_t ports = (o->flows + o->n_src_ips - 1) / o->n_src_ips;
	int i, n_tx = 0, n_rx = 0;

	if (!have[OPT_PORT_DEV - OPT_PORT_DEV] || !have[OPT_SRC_IP - OPT_PORT_DEV] ||
	    !have[OPT_DST_IP - OPT_PORT_DEV]) {
		snprintf(err, errlen,
			 "missing %s: --port-dev, --src-ip and --dst-ip are required "
			 "(see --help)",
			 !have[0]			    ? "--port-dev"
			 : !have[OPT_SRC_IP - OPT_PORT_DEV] ? "--src-ip"
							    : "--dst-ip");
		return -EINVAL;
	}
	if (o->src_ip + (uint64_t)o->n_src_ips - 1 > UINT32_MAX ||
	    (last & mask) != (o->src_ip & mask)) {
		snprintf(err, errlen,
			 "--src-ips %u: addresses from the --src-ip onwards run past its /%u "
			 "subnet; use fewer",
			 o->n_src_ips, o->prefix_len);
		return -EINVAL;
	}
	if (o->dst_ip >= o->src_ip && o->dst_ip <= last) {
		snprintf(err, errlen,
			 "--dst-ip is one of our own source addresses; give the "
			 "echo server's address");
		return -EINVAL;
	}
	if ((o->dst_ip & mask) != (o->src_ip & mask)) {
		if (o->gateway == 0 && !o->dst_mac_set) {
			snprintf(err, errlen,
				 "--dst-ip is outside the --src-ip subnet /%u: give --gateway (or "
				 "--dst-mac of the next hop)",
				 o->prefix_len);
			return -EINVAL;
		}
	}
	if (o->gateway != 0 && (o->gateway & mask) != (o->src_ip & mask)) {
		snprintf(err, errlen, "--gateway is outside the --src-ip subnet /%u",
			 o->prefix_len);
		return -EINVAL;
	}
	if ((uint64_t)o->src_port + ports - 1 > UINT16_MAX) {
		snprintf(err, errlen,
			 "--flows %u over %u source address(es) need source ports %u..%u, past "
			 "65535: lower --flows or --src-port, or raise --src-ips",
			 o->flows, o->n_src_ips, o->src_port, o->src_port + ports - 1);
		return -EINVAL;
	}
	if (o->duration == 0 && o->count == 0)
		o->duration = 10; /* every run is bounded */
	if (o->proto != GEN_PROTO_UDP) {
		static const enum gen_opt_id udp_only[] = {OPT_SIZE, OPT_FLOWS, OPT_SRC_IPS,
							   OPT_SRC_PORT};
		static const char *const udp_names[] = {"--size", "--flows", "--src-ips",
							"--src-port"};

		for (i = 0; i < (int)(sizeof(udp_only) / sizeof(udp_only[0])); i++)
			if (have[udp_only[i] - OPT_PORT_DEV]) {
				snprintf(err, errlen,
					 "%s applies to --proto udp only (TCP connections take "
					 "ephemeral source ports from the stack)",
					 udp_names[i]);
				return -EINVAL;
			}
		if (o->prefill && o->proto != GEN_PROTO_MEMCACHED) {
			snprintf(err, errlen, "--prefill applies to --proto memcached only");
			return -EINVAL;
		}
		if (!have[OPT_DST_PORT - OPT_PORT_DEV])
			o->dst_port = o->proto == GEN_PROTO_MEMCACHED ? 11211 : 80;
		if (o->n_layout > 1 || (o->n_layout == 1 && o->layout[0].role != GEN_ROLE_TXRX)) {
			snprintf(err, errlen,
				 "--lcores: --proto %s runs on one lcore (its TCP stack owns every "
				 "connection); give one lcore, e.g. --lcores 1",
				 o->proto == GEN_PROTO_MEMCACHED ? "memcached" : "http");
			return -EINVAL;
		}
	} else {
		static const enum gen_opt_id tcp_only[] = {
			OPT_CONNS,     OPT_PIPELINE,  OPT_KEYS,	  OPT_VALUE_SIZE,
			OPT_GET_RATIO, OPT_HTTP_PATH, OPT_PREFILL};
		static const char *const tcp_names[] = {
			"--conns",     "--pipeline",  "--keys",	  "--value-size",
			"--get-ratio", "--http-path", "--prefill"};

		for (i = 0; i < (int)(sizeof(tcp_only) / sizeof(tcp_only[0])); i++)
			if (have[tcp_only[i] - OPT_PORT_DEV]) {
				snprintf(err, errlen,
					 "%s applies to --proto memcached or http, not udp",
					 tcp_names[i]);
				return -EINVAL;
			}
	}
	for (i = 0; i < o->n_layout; i++) {
		n_tx += (o->layout[i].role & GEN_ROLE_TX) != 0;
		n_rx += (o->layout[i].role & GEN_ROLE_RX) != 0;
	}
	if (o->n_layout != 0 && (n_tx == 0 || n_rx == 0)) {
		snprintf(err, errlen,
			 "--lcores: the layout has no %s lcore; give at least one "
			 "with role tx (or txrx) and one with rx (or txrx)",
			 n_tx == 0 ? "TX" : "RX");
		return -EINVAL;
	}
	if (n_tx > (int)GEN_MAX_TX) {
		snprintf(err, errlen, "--lcores: %d TX lcores; at most %u", n_tx, GEN_MAX_TX);
		return -EINVAL;
	}
	return 0;
}

int
gen_opts_parse(struct gen_opts *o, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
	struct option lopts[GEN_N_OPTS + 1];
	bool have[OPT_HELP - OPT_PORT_DEV + 1] = {false};
	uint64_t v;
	size_t i;
	int c, ret;

	gen_opts_defaults(o);
	for (i = 0; i < GEN_N_OPTS; i++) {
		lopts[i].name = gen_opt_defs[i].name;
		lopts[i].has_arg = gen_opt_defs[i].arg ? required_argument : no_argument;
		lopts[i].flag = NULL;
		lopts[i].val = gen_opt_defs[i].id;
	}
	memset(&lopts[GEN_N_OPTS], 0, sizeof(lopts[0]));

	optind = 0; /* glibc: 0 also resets its internal state between calls */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		const char *name = NULL;
		char *slash;

		for (i = 0; i < GEN_N_OPTS; i++)
			if ((int)gen_opt_defs[i].id == c)
				name = gen_opt_defs[i].name;
		if (c >= OPT_PORT_DEV && c <= OPT_HELP)
			have[c - OPT_PORT_DEV] = true;
		switch (c) {
		case OPT_PORT_DEV:
			if (optarg[0] == '\0' || strlen(optarg) >= sizeof(o->port_dev))
				return bad(err, errlen, name, optarg, "empty or too long");
			snprintf(o->port_dev, sizeof(o->port_dev), "%s", optarg);
			break;
		case OPT_SRC_IP: {
			char buf[64];

			snprintf(buf, sizeof(buf), "%s", optarg);
			slash = strchr(buf, '/');
			if (slash != NULL) {
				*slash = '\0';
				if (parse_u64(slash + 1, 1, 32, &v) != 0)
					return bad(err, errlen, name, optarg,
						   "prefix length must be 1..32 (A/LEN, e.g. "
						   "10.9.2.2/24)");
				o->prefix_len = (uint8_t)v;
			}
			if (parse_ip(buf, &o->src_ip) != 0 || o->src_ip == 0)
				return bad(err, errlen, name, optarg,
					   "not an IPv4 address (A/LEN, e.g. 10.9.2.2/24)");
			break;
		}
		case OPT_SRC_IPS:
			if (parse_u64(optarg, 1, 65536, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 1..65536");
			o->n_src_ips = (uint32_t)v;
			break;
		case OPT_SRC_PORT:
		case OPT_DST_PORT:
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				return bad(err, errlen, name, optarg, "must be a port, 1..65535");
			if (c == OPT_SRC_PORT)
				o->src_port = (uint16_t)v;
			else
				o->dst_port = (uint16_t)v;
			break;
		case OPT_SRC_MAC:
		case OPT_DST_MAC: {
			struct rte_ether_addr *m = c == OPT_SRC_MAC ? &o->src_mac : &o->dst_mac;

			if (parse_mac(optarg, m) != 0)
				return bad(err, errlen, name, optarg,
					   "not a MAC address (xx:xx:xx:xx:xx:xx)");
			if (!rte_is_valid_assigned_ether_addr(m))
				return bad(err, errlen, name, optarg,
					   "must be a unicast address, not zero");
			if (c == OPT_SRC_MAC)
				o->src_mac_set = true;
			else
				o->dst_mac_set = true;
			break;
		}
		case OPT_DST_IP:
		case OPT_GATEWAY: {
			uint32_t *ip = c == OPT_DST_IP ? &o->dst_ip : &o->gateway;

			if (parse_ip(optarg, ip) != 0 || *ip == 0 || *ip == UINT32_MAX ||
			    (*ip >> 28) >= 14)
				return bad(err, errlen, name, optarg,
					   "not a unicast IPv4 address (a.b.c.d)");
			break;
		}
		case OPT_FLOWS:
			if (parse_u64(optarg, 1, 1u << 24, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 1..16777216");
			o->flows = (uint32_t)v;
			break;
		case OPT_SIZE:
			if (parse_u64(optarg, GEN_MIN_FRAME, GEN_MAX_FRAME, &v) != 0) {
				char why[160];

				snprintf(why, sizeof(why),
					 "frame size must be %u..%u bytes (Ethernet header to the "
					 "last payload byte, no FCS)",
					 GEN_MIN_FRAME, GEN_MAX_FRAME);
				return bad(err, errlen, name, optarg, why);
			}
			o->size = (uint16_t)v;
			break;
		case OPT_RATE:
			if (gen_opts_parse_rate(optarg, &o->rate) != 0)
				return bad(err, errlen, name, optarg,
					   "give packets per second, 1..1e10, optionally with k, M "
					   "or G (250k, 1.5M), or 'max'");
			break;
		case OPT_DURATION: {
			char *end;
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(d > 0) || d > 86400)
				return bad(err, errlen, name, optarg,
					   "must be seconds, more than 0 and at most 86400");
			o->duration = d;
			break;
		}
		case OPT_COUNT:
			if (parse_u64(optarg, 1, UINT64_MAX / 2, &v) != 0)
				return bad(err, errlen, name, optarg, "must be a positive count");
			o->count = v;
			break;
		case OPT_BURST:
			if (parse_u64(optarg, 1, 256, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 1..256");
			o->burst = (uint16_t)v;
			break;
		case OPT_DRAIN_MS:
			if (parse_u64(optarg, 0, 60000, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 0..60000 ms");
			o->drain_ms = (uint32_t)v;
			break;
		case OPT_STATS: {
			char *end;
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(d >= 0) || d > 3600)
				return bad(err, errlen, name, optarg, "must be 0..3600 seconds");
			o->stats_interval = d;
			break;
		}
		case OPT_RXD:
		case OPT_TXD:
			if (parse_u64(optarg, 64, 16384, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 64..16384");
			if (c == OPT_RXD)
				o->rxd = (uint16_t)v;
			else
				o->txd = (uint16_t)v;
			break;
		case OPT_LCORES:
			ret = gen_opts_parse_layout(optarg, o->layout, GEN_MAX_LAYOUT, err, errlen);
			if (ret < 0)
				return ret;
			o->n_layout = (uint16_t)ret;
			break;
		case OPT_JSON:
			if (optarg[0] == '\0' || strlen(optarg) >= sizeof(o->json))
				return bad(err, errlen, name, optarg, "empty or too long");
			snprintf(o->json, sizeof(o->json), "%s", optarg);
			break;
		case OPT_MIX:
			ret = gen_opts_parse_mix(optarg, o->marker, o->share, GEN_MAX_CLASSES, err,
						 errlen);
			if (ret < 0)
				return -EINVAL;
			o->n_classes = (uint8_t)ret;
			break;
		case OPT_PROTO:
			if (strcmp(optarg, "udp") == 0)
				o->proto = GEN_PROTO_UDP;
			else if (strcmp(optarg, "memcached") == 0)
				o->proto = GEN_PROTO_MEMCACHED;
			else if (strcmp(optarg, "http") == 0)
				o->proto = GEN_PROTO_HTTP;
			else
				return bad(err, errlen, name, optarg,
					   "must be udp, memcached or http");
			break;
		case OPT_CONNS:
			if (parse_u64(optarg, 1, GEN_MAX_CONNS, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 1..4096");
			o->conns = (uint32_t)v;
			break;
		case OPT_PIPELINE:
			if (parse_u64(optarg, 1, GEN_MAX_DEPTH, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 1..256");
			o->depth = (uint32_t)v;
			break;
		case OPT_KEYS:
			if (parse_u64(optarg, 1, 1u << 28, &v) != 0)
				return bad(err, errlen, name, optarg, "must be 1..268435456");
			o->keys = (uint32_t)v;
			break;
		case OPT_VALUE_SIZE:
			if (parse_u64(optarg, GEN_MC_VALUE_MIN, GEN_MC_VALUE_MAX, &v) != 0)
				return bad(err, errlen, name, optarg,
					   "must be 24..1024 bytes (a value carries run, key and "
					   "version in its first 24)");
			o->value_size = (uint32_t)v;
			break;
		case OPT_GET_RATIO: {
			char *end;
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(d >= 0) || d > 1)
				return bad(err, errlen, name, optarg,
					   "must be a share between 0 and 1, e.g. 0.9");
			o->get_permille = (uint32_t)llround(d * 1000);
			break;
		}
		case OPT_PREFILL:
			o->prefill = true;
			break;
		case OPT_HTTP_PATH:
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(o->http_path) ||
			    strpbrk(optarg, " \t\r\n") != NULL)
				return bad(err, errlen, name, optarg,
					   "must start with '/', have no spaces and be under 256 "
					   "bytes");
			snprintf(o->http_path, sizeof(o->http_path), "%s", optarg);
			break;
		case OPT_HELP:
		case 'h':
			gen_opts_usage(out);
			return 1;
		default:
			if (optopt >= OPT_PORT_DEV)
				snprintf(err, errlen, "option '%s' needs a value (see --help)",
					 argv[optind - 1]);
			else
				snprintf(err, errlen, "unknown option '%s' (see --help)",
					 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen,
			 "unexpected argument '%s' (EAL options go before '--', ours after; see "
			 "--help)",
			 argv[optind]);
		return -EINVAL;
	}
	return gen_opts_check(o, have, err, errlen);
}
