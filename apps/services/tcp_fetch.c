/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp-fetch: the active-open client. At start every loop lcore connects
 * to [service] connect_ip:connect_port, sends one request
 * ("GET / HTTP/1.0\r\n\r\n"), reads until the server closes, and prints
 * one line with the byte count and the SHA-256 of everything received:
 *
 *   tcp-fetch: lcore 1: 4194304 bytes sha256 <64 hex> closed fin in 1.234 s
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

#include "sluice_service.h"

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------- */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	uint32_t n;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
		     sha256_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void
sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

static void
sha256_update(struct sha256 *s, const uint8_t *p, uint32_t len)
{
	s->len += len;
	while (len > 0) {
		uint32_t take;

		if (s->n == 0 && len >= 64) {
			sha256_block(s, p);
			p += 64;
			len -= 64;
			continue;
		}
		take = RTE_MIN(len, 64 - s->n);
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n == 64) {
			sha256_block(s, s->buf);
			s->n = 0;
		}
	}
}

static void
sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = {0x80};
	unsigned int i, padlen = (s->n < 56 ? 56 : 120) - s->n;

	for (i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* ---- the service ------------------------------------------------------ */

struct fetch {
	unsigned int lcore_id;
	struct stk_tcp_conn *c;
	struct sha256 sha;
	uint64_t t0;
	bool done;
};

static const char fetch_request[] = "GET / HTTP/1.0\r\n\r\n";
static const char *const fetch_why[] = {"fin", "rst", "timeout", "abort"};

static const struct stk_tcp_ops fetch_ops;

static int
fetch_init(const struct sl_service_env *env, void **state)
{
	struct fetch *f;
	int ret;

	if (env->connect_ip == 0) {
		fprintf(stderr, "sluice: tcp-fetch needs [service] connect_ip (the server)\n");
		return -EINVAL;
	}
	f = rte_zmalloc("tcp_fetch", sizeof(*f), RTE_CACHE_LINE_SIZE);
	if (f == NULL)
		return -ENOMEM;
	f->lcore_id = env->lcore_id;
	sha256_init(&f->sha);
	f->t0 = rte_rdtsc();
	ret = stk_tcp_connect(env->stk, env->connect_ip, env->connect_port, 0, &fetch_ops, f,
			      &f->c);
	if (ret != 0) {
		printf("tcp-fetch: lcore %u: connect failed: %s\n", f->lcore_id, strerror(-ret));
		fflush(stdout);
		f->done = true;
		f->c = NULL;
	} else if (stk_tcp_send(f->c, fetch_request, sizeof(fetch_request) - 1) !=
		   (int)(sizeof(fetch_request) - 1)) {
		stk_tcp_abort(f->c);
		f->c = NULL;
		f->done = true;
		printf("tcp-fetch: lcore %u: cannot queue the request\n", f->lcore_id);
		fflush(stdout);
	}
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
		stk_tcp_shutdown(c);
		return 0;
	}
	for (seg = m; seg != NULL; seg = seg->next)
		sha256_update(&f->sha, rte_pktmbuf_mtod(seg, const uint8_t *), seg->data_len);
	rte_pktmbuf_free(m);
	return len;
}

static void
fetch_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	struct fetch *f = arg;
	uint64_t bytes = f->sha.len;
	char hex[65];

	RTE_SET_USED(c);
	f->c = NULL;
	f->done = true;
	sha256_hex(&f->sha, hex);
	printf("tcp-fetch: lcore %u: %" PRIu64 " bytes sha256 %s closed %s in %.3f s\n",
	       f->lcore_id, bytes, hex,
	       (unsigned int)why < RTE_DIM(fetch_why) ? fetch_why[why] : "?",
	       (double)(rte_rdtsc() - f->t0) / rte_get_tsc_hz());
	fflush(stdout);
}

static const struct stk_tcp_ops fetch_ops = {
	.on_data = fetch_data,
	.on_close = fetch_close,
};

static const struct sl_service tcp_fetch = {
	.name = "tcp-fetch",
	.help = "connect to [service] connect_ip:connect_port, send a request, print the "
		"SHA-256 of the answer (an active-open client for tests)",
	.lcore_init = fetch_init,
	.lcore_fini = fetch_fini,
	.tcp =
		{
			.on_data = fetch_data,
			.on_close = fetch_close,
		},
	.tcp_client = true,
};

SL_SERVICE_REGISTER(tcp_fetch);
