/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice-gen command line (the part after "--"). Parsed before EAL starts,
 * so a bad option costs neither hugepages nor a port; each problem comes
 * back as one message saying what was wrong and what to give instead.
 */
#ifndef GEN_OPTS_H
#define GEN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GEN_DEV_LEN 512
#define GEN_PATH_LEN 1024
#define GEN_MAX_LAYOUT 128
/** Request classes of a --mix; their shares add up to at most this. */
#define GEN_MAX_CLASSES 8
#define GEN_MIX_SLOTS 1000
#define GEN_HTTP_PATH_LEN 256
/** Most --conns and --pipeline. */
#define GEN_MAX_CONNS 4096
#define GEN_MAX_DEPTH 256

/** What an lcore of the layout does. */
enum gen_role {
	GEN_ROLE_TX = 1,
	GEN_ROLE_RX = 2,
	GEN_ROLE_TXRX = GEN_ROLE_TX | GEN_ROLE_RX,
};

struct gen_layout {
	uint16_t lcore;
	uint8_t role; /**< enum gen_role */
};

struct gen_opts {
	char port_dev[GEN_DEV_LEN]; /**< --port-dev (required) */
	uint32_t src_ip;	    /**< --src-ip A/len, host order (required) */
	uint8_t prefix_len;	    /**< default 24 */
	uint32_t n_src_ips;	    /**< --src-ips, default 1 */
	uint16_t src_port;	    /**< --src-port, first source port, default 1024 */
	uint32_t dst_ip;	    /**< --dst-ip, host order (required) */
	uint16_t dst_port;	    /**< --dst-port, default 7 */
	uint32_t gateway;	    /**< --gateway, host order, 0 = none */
	bool dst_mac_set;	    /**< --dst-mac given: no ARP */
	struct rte_ether_addr dst_mac;
	bool src_mac_set; /**< --src-mac given */
	struct rte_ether_addr src_mac;
	uint32_t flows;		 /**< --flows, default 1024 */
	uint16_t size;		 /**< --size, frame bytes without FCS, default 64 */
	uint64_t rate;		 /**< --rate, packets/s over all TX lcores; 0 = max */
	double duration;	 /**< --duration seconds; 0 = bounded by count only */
	uint64_t count;		 /**< --count requests over all TX lcores; 0 = by duration */
	uint16_t burst;		 /**< --burst, default 32 */
	uint32_t drain_ms;	 /**< --drain-ms: wait for replies after the last request */
	double stats_interval;	 /**< --stats-interval seconds, 0 = none; default 1 */
	uint16_t rxd, txd;	 /**< --rxd/--txd, default 1024 */
	char json[GEN_PATH_LEN]; /**< --json FILE, "" = none, "-" = stdout */
	uint16_t n_layout;	 /**< --lcores; 0 = default (see gen_opts_usage) */
	struct gen_layout layout[GEN_MAX_LAYOUT];
	/** --mix M:SHARE,...: request classes; n_classes = 0: one class, no
	 *  marker (the payload starts 'S' 'L' 'G') */
	uint8_t n_classes;
	uint8_t marker[GEN_MAX_CLASSES]; /**< first payload byte of the class */
	uint16_t share[GEN_MAX_CLASSES]; /**< relative share, >= 1 */
	/* TCP request/response (--proto memcached | http) */
	uint8_t proto;		      /**< enum gen_proto_id: --proto udp|memcached|http */
	uint32_t conns;		      /**< --conns, default 16 */
	uint32_t depth;		      /**< --pipeline requests outstanding per connection, default 1 */
	uint32_t keys;		      /**< --keys, default 100000 */
	uint32_t value_size;	      /**< --value-size bytes, default 32 */
	uint32_t get_permille;	      /**< --get-ratio x 1000, default 900 */
	char http_path[GEN_HTTP_PATH_LEN]; /**< --http-path, default "/" */
	bool prefill;			   /**< --prefill: memcached, set every key first */
};

/** Defaults of every option (no port, no addresses). */
void gen_opts_defaults(struct gen_opts *o);

/**
 * Parse the application arguments: @p argv[0] is a program name, the
 * options follow. @return 0, 1 if --help was given (usage printed to
 * @p out), or -EINVAL with one message in @p err.
 */
int gen_opts_parse(struct gen_opts *o, int argc, char **argv, FILE *out, char *err, size_t errlen);

/**
 * Parse an lcore layout "1:tx,2:rx,3" (role tx, rx or txrx; a bare id is
 * txrx). @return number of entries, or -EINVAL with a message in @p err.
 */
int gen_opts_parse_layout(const char *s, struct gen_layout *l, int max, char *err, size_t errlen);

/**
 * Parse a rate: "max" gives 0, otherwise packets per second with an
 * optional k, M or G suffix ("250k", "1.5M"). @return 0 or -EINVAL.
 */
int gen_opts_parse_rate(const char *s, uint64_t *pps);

/**
 * Parse a request mix "L:99,H:1": per class a one-character payload
 * marker (printable, not ',' or ':', distinct) and a share (1..1000, all
 * together at most GEN_MIX_SLOTS). @return number of classes, or -EINVAL
 * with a message in @p err.
 */
int gen_opts_parse_mix(const char *s, uint8_t *marker, uint16_t *share, int max, char *err,
		       size_t errlen);

void gen_opts_usage(FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* GEN_OPTS_H */
