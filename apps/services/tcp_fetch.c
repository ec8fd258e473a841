/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp-fetch: the active-open client. At start every loop lcore connects
 * to [tcp-fetch] connect_ip:connect_port, sends one request
 * ("GET <[tcp-fetch] http_path> HTTP/1.0\r\n\r\n"), reads until the server
 * closes, and prints one line with the byte count and the SHA-256 of
 * everything received, and the rate:
 *
 *   tcp-fetch: lcore 1: 4194304 bytes sha256 <64 hex> closed fin in 1.234 s, 3.4 MB/s
 *
 * With [tcp-fetch] fetch_bytes = N > 0 it sends N bytes of a fixed pattern
 * instead of the request and half-closes, for an echo server (tcp-echo),
 * and compares what comes back with the pattern byte for byte (memcmp, not
 * SHA-256: hashing would cost more than the TCP it measures):
 *
 *   tcp-fetch: lcore 1: 268435456 bytes echo ok closed fin in 1.9 s, 141.0 MB/s
 *
 * ("echo differs at byte N" otherwise). This is the bytes/s measurement of
 * bench/tcp --memif.
 *
 * With [tcp-fetch] fetch_count = N > 1 (requests only) it fetches N times,
 * one connection after the other, each opened when the previous one has
 * closed, and prints one line at the end with the fetches per second and
 * whether every answer hashed like the first:
 *
 *   tcp-fetch: lcore 1: 10000 fetches, 1150000 bytes, same sha256 <hex> closed fin
 *   in 2.1 s, 4761.9 fetches/s
 *
 * It tests stk_tcp_connect() against real servers (interop, loss); the one
 * log line per connection is the point, the rest follows the data-path
 * rules (no allocation or log per segment).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "sha256.h"
#include "sluice_service.h"

/* SHA-256 of what came back: sha256.c, shared with http's work path. */
static void
sha256_hex(struct sl_sha256 *s, char out[65])
{
	uint8_t d[SL_SHA256_LEN];

	sl_sha256_final(s, d);
	sl_sha256_hex(d, out);
}

/* ---- the service ------------------------------------------------------ */

#define FETCH_PAT 4096 /* the pattern fetch_bytes repeats */

struct fetch {
	unsigned int lcore_id;
	struct stk_ctx *stk;
	uint32_t dst_ip;
	uint16_t dst_port;
	uint32_t count;	 /* [tcp-fetch] fetch_count */
	uint32_t n_done; /* fetches that ended with the server's FIN */
	uint32_t n_diff; /* answers that hashed unlike the first */
	uint64_t total;	 /* bytes over all fetches */
	char first[65];	 /* SHA-256 of the first answer */
	int req_len;
	struct stk_tcp_conn *c;
	struct sl_sha256 sha;
	uint64_t t0;
	bool done;
	bool shut;	  /* our FIN is queued */
	uint64_t to_send; /* [tcp-fetch] fetch_bytes */
	uint64_t sent;
	uint64_t rcvd;	 /* echo mode: bytes compared */
	uint64_t bad_at; /* echo mode: first byte that differs, UINT64_MAX = none */
	char req[160];
	uint8_t pat[FETCH_PAT];
};

/* [tcp-fetch] (or [service] when tcp-fetch is the selected service) */
struct fetch_cfg {
	uint32_t connect_ip; /* network order; 0 = not set */
	uint16_t connect_port;
	char http_path[128];
	uint64_t fetch_bytes;
	uint32_t fetch_count;
};

static const struct sl_cfg_key fetch_keys[] = {
	{"connect_ip", SL_CFG_IPV4, .def = "",
	 .help = "server tcp-fetch connects to (required when tcp-fetch is the service)",
	 SL_CFG_FIELD(struct fetch_cfg, connect_ip), .flags = SL_CFG_OPTIONAL},
	{"connect_port", SL_CFG_UINT, .min = 1, .max = 65535, .def = "80",
	 .help = "TCP port of connect_ip", SL_CFG_FIELD(struct fetch_cfg, connect_port)},
	{"http_path", SL_CFG_STRING, .max = 127, .def = "/",
	 .help = "the path of tcp-fetch's \"GET <http_path> HTTP/1.0\" (fetch_bytes = 0); "
		 "starts with '/', no spaces or control characters",
	 SL_CFG_FIELD(struct fetch_cfg, http_path), .check = sl_cfg_check_http_path},
	{"fetch_bytes", SL_CFG_UINT, .min = 0, .max = 1099511627776ULL, .def = "0",
	 .help = "send this many bytes of a fixed pattern and half-close (for an echo server "
		 "such as tcp-echo) and compare what comes back with it; 0 = send "
		 "\"GET <http_path> HTTP/1.0\" instead",
	 SL_CFG_FIELD(struct fetch_cfg, fetch_bytes)},
	{"fetch_count", SL_CFG_UINT, .min = 1, .max = 100000000, .def = "1",
	 .help = "requests to make (fetch_bytes = 0), one connection after the other; past 1 "
		 "a single line at the end gives fetches per second",
	 SL_CFG_FIELD(struct fetch_cfg, fetch_count)},
};

static int
fetch_cfg_check(const void *arg, char *why, size_t wl)
{
	const struct fetch_cfg *cfg = arg;

	if (cfg->connect_ip == 0) {
		snprintf(why, wl, "connect_ip: not set; tcp-fetch needs the server's address");
		return -EINVAL;
	}
	if (cfg->fetch_count > 1 && cfg->fetch_bytes > 0) {
		snprintf(why, wl,
			 "fetch_count = %u repeats requests, fetch_bytes = %" PRIu64
			 " sends a pattern once; set fetch_bytes = 0 or fetch_count = 1",
			 cfg->fetch_count, cfg->fetch_bytes);
		return -EINVAL;
	}
	return 0;
}

static const char *const fetch_why[] = {"fin", "rst", "timeout", "abort", "unreach"};

static const struct stk_tcp_ops fetch_ops;

/* Queue what the send queue takes of the pattern; FIN after the last byte. */
static void
fetch_push(struct fetch *f, struct stk_tcp_conn *c)
{
	while (f->sent < f->to_send) {
		uint32_t off = (uint32_t)(f->sent % FETCH_PAT);
		uint32_t n = (uint32_t)RTE_MIN(f->to_send - f->sent, (uint64_t)(FETCH_PAT - off));
		int r = stk_tcp_send(c, f->pat + off, n);

		if (r <= 0)
			return; /* full (on_sent brings us back) or closing */
		f->sent += (uint32_t)r;
	}
	if (f->to_send > 0 && !f->shut) {
		f->shut = true;
		stk_tcp_shutdown(c);
	}
}

/* Connect and queue the request (or the first of the pattern); false if
 * that failed (said on stdout). */
static bool
fetch_open(struct fetch *f)
{
	int ret;

	sl_sha256_init(&f->sha);
	f->shut = false;
	ret = stk_tcp_connect(f->stk, f->dst_ip, f->dst_port, 0, &fetch_ops, f, &f->c);
	if (ret != 0) {
		printf("tcp-fetch: lcore %u: connect failed: %s\n", f->lcore_id, strerror(-ret));
		fflush(stdout);
		f->done = true;
		f->c = NULL;
		return false;
	}
	if (f->to_send > 0) {
		fetch_push(f, f->c);
	} else if (stk_tcp_send(f->c, f->req, (uint32_t)f->req_len) != f->req_len) {
		stk_tcp_abort(f->c);
		f->c = NULL;
		f->done = true;
		printf("tcp-fetch: lcore %u: cannot queue the request\n", f->lcore_id);
		fflush(stdout);
		return false;
	}
	return true;
}

static int
fetch_init(const struct sl_service_env *env, void **state)
{
	const struct fetch_cfg *cfg = env->cfg;
	struct fetch *f;
	uint32_t i, x = 2463534242u;
	int len;

	if (cfg == NULL || fetch_cfg_check(cfg, NULL, 0) != 0)
		return -EINVAL; /* sluice's load checked it; a test may not have */
	f = rte_zmalloc("tcp_fetch", sizeof(*f), RTE_CACHE_LINE_SIZE);
	if (f == NULL)
		return -ENOMEM;
	f->lcore_id = env->lcore_id;
	f->stk = env->stk;
	f->dst_ip = cfg->connect_ip;
	f->dst_port = cfg->connect_port;
	f->count = cfg->fetch_count > 0 ? cfg->fetch_count : 1;
	f->bad_at = UINT64_MAX;
	f->to_send = cfg->fetch_bytes;
	for (i = 0; i < FETCH_PAT; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
		f->pat[i] = (uint8_t)x;
	}
	len = snprintf(f->req, sizeof(f->req), "GET %s HTTP/1.0\r\n\r\n", cfg->http_path);
	if (len < 0 || (size_t)len >= sizeof(f->req)) {
		rte_free(f);
		return -EINVAL;
	}
	f->req_len = len;
	f->t0 = rte_rdtsc();
	fetch_open(f);
	*state = f;
	return 0;
}

static void
fetch_fini(void *state)
{
	rte_free(state);
}

static uint32_t
fetch_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct fetch *f = arg;
	struct rte_mbuf *seg;

	if (m == NULL) {
		/* the server is done: so are we (FIN back, then on_close) */
		if (!f->shut) {
			f->shut = true;
			stk_tcp_shutdown(c);
		}
		return 0;
	}
	for (seg = m; seg != NULL; seg = seg->next) {
		const uint8_t *p = rte_pktmbuf_mtod(seg, const uint8_t *);
		uint32_t left = seg->data_len;

		if (f->to_send == 0) {
			sl_sha256_update(&f->sha, p, left);
			continue;
		}
		while (left > 0) { /* echo mode: against the pattern */
			uint32_t off = (uint32_t)(f->rcvd % FETCH_PAT);
			uint32_t n = RTE_MIN(left, FETCH_PAT - off);

			if (f->bad_at == UINT64_MAX && memcmp(p, f->pat + off, n) != 0) {
				uint32_t j = 0;

				while (p[j] == f->pat[off + j])
					j++;
				f->bad_at = f->rcvd + j;
			}
			f->rcvd += n;
			p += n;
			left -= n;
		}
	}
	rte_pktmbuf_free(m);
	return len;
}

static void
fetch_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	RTE_SET_USED(space);
	fetch_push(arg, c);
}

static void
fetch_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct fetch *f = arg;
	uint64_t bytes = f->to_send > 0 ? f->rcvd : f->sha.len;
	double secs = (double)(rte_rdtsc() - f->t0) / rte_get_tsc_hz();
	const char *how = (unsigned int)why < RTE_DIM(fetch_why) ? fetch_why[why] : "?";
	char hex[65];

	RTE_SET_USED(c);
	f->c = NULL;
	if (f->count > 1) {
		f->total += f->sha.len; /* before sha256_hex() pads */
		sha256_hex(&f->sha, hex);
		if (why == STK_TCP_CLOSE_FIN) {
			if (f->n_done == 0)
				memcpy(f->first, hex, sizeof(hex));
			else if (strcmp(hex, f->first) != 0)
				f->n_diff++;
			if (++f->n_done < f->count && fetch_open(f))
				return; /* the next one */
		}
		f->done = true;
		printf("tcp-fetch: lcore %u: %u fetches, %" PRIu64 " bytes, ", f->lcore_id,
		       f->n_done, f->total);
		if (f->n_diff == 0)
			printf("same sha256 %s", f->n_done > 0 ? f->first : "-");
		else
			printf("%u answers differ from sha256 %s", f->n_diff, f->first);
		printf(" closed %s in %.3f s, %.1f fetches/s\n", how, secs,
		       secs > 0 ? f->n_done / secs : 0.0);
		fflush(stdout);
		return;
	}
	f->done = true;
	printf("tcp-fetch: lcore %u: %" PRIu64 " bytes ", f->lcore_id, bytes);
	if (f->to_send == 0) {
		sha256_hex(&f->sha, hex);
		printf("sha256 %s", hex);
	} else if (f->bad_at != UINT64_MAX) {
		printf("echo differs at byte %" PRIu64, f->bad_at);
	} else {
		printf("echo %s",
		       f->sent == f->to_send && bytes == f->sent ? "ok" : "length differs");
	}
	printf(" closed %s in %.3f s, %.1f MB/s\n", how, secs,
	       secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
	fflush(stdout);
}

static const struct stk_tcp_ops fetch_ops = {
	.on_data = fetch_data,
	.on_sent = fetch_sent,
	.on_close = fetch_close,
};

static const struct sl_service tcp_fetch = {
	.name = "tcp-fetch",
	.help = "connect to tcp-fetch.connect_ip:connect_port, send a request, print the "
		"SHA-256 of the answer (an active-open client for tests)",
	.lcore_init = fetch_init,
	.lcore_fini = fetch_fini,
	.tcp =
		{
			.on_data = fetch_data,
			.on_sent = fetch_sent,
			.on_close = fetch_close,
		},
	.tcp_client = true,
	.cfg_keys = fetch_keys,
	.n_cfg_keys = RTE_DIM(fetch_keys),
	.cfg_size = sizeof(struct fetch_cfg),
	.cfg_check = fetch_cfg_check,
};

SL_SERVICE_REGISTER(tcp_fetch);
