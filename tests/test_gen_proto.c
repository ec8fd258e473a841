/* SPDX-License-Identifier: BSD-3-Clause */
/* sluice-gen's TCP protocols (apps/gen/gen_proto.c): memcached and HTTP
 * request builders and the streaming reply parsers. Every reply stream is
 * fed whole, a byte at a time, and cut at every one and every two byte
 * boundaries: the replies seen must be the same each time. Malformed
 * replies give GEN_PARSE_BAD with a reason; values carry run, key and
 * version and any changed byte is caught. Plus the --proto options. No EAL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "gen_opts.h"
#include "gen_proto.h"

#define MAX_REPLIES 64

/* What a parsed reply is, as compared between feeds. */
struct seen {
	int kind; /* memcached: enum gen_mc_kind; HTTP: status */
	uint32_t flags;
	uint32_t len;
	uint64_t hash; /* of the value or the body */
	bool close;
	char key[GEN_LINE_MAX];
};

struct run {
	unsigned int n;
	bool bad;
	struct seen r[MAX_REPLIES];
};

static struct gen_mc_parser mcp;
static struct gen_http_parser hp;

/* Feed @buf to a fresh parser in pieces ending at @cuts (ascending,
 * last = len). */
static void
feed(bool http, const uint8_t *buf, const uint32_t *cuts, unsigned int n_cuts, struct run *out)
{
	uint32_t at = 0;
	unsigned int c;

	memset(out, 0, sizeof(*out));
	if (http)
		gen_http_parser_init(&hp);
	else
		gen_mc_parser_init(&mcp);
	for (c = 0; c < n_cuts && !out->bad; c++) {
		uint32_t end = cuts[c];

		while (at < end) {
			uint32_t used = 0;
			enum gen_parse ret = http ? gen_http_parse(&hp, buf + at, end - at, &used)
						  : gen_mc_parse(&mcp, buf + at, end - at, &used);

			assert_true(used <= end - at);
			at += used;
			if (ret == GEN_PARSE_BAD) {
				out->bad = true;
				break;
			}
			if (ret == GEN_PARSE_MORE) {
				assert_int_equal(at, end); /* MORE consumes everything */
				continue;
			}
			assert_true(out->n < MAX_REPLIES);
			if (http) {
				out->r[out->n].kind = hp.r.status;
				out->r[out->n].len = (uint32_t)hp.r.content_len;
				out->r[out->n].hash = hp.r.body_hash;
				out->r[out->n].close = hp.r.close;
			} else {
				out->r[out->n].kind = (int)mcp.r.kind;
				if (mcp.r.kind == GEN_MC_VALUE) {
					out->r[out->n].flags = mcp.r.flags;
					out->r[out->n].len = mcp.r.len;
					out->r[out->n].hash =
						gen_fnv1a(GEN_FNV_INIT, mcp.r.value, mcp.r.len);
					memcpy(out->r[out->n].key, mcp.r.key, mcp.r.key_len + 1);
				}
			}
			out->n++;
		}
	}
}

static void
assert_same_run(const struct run *a, const struct run *b)
{
	unsigned int i;

	assert_int_equal(a->bad, b->bad);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->r[i].kind, b->r[i].kind);
		assert_int_equal(a->r[i].flags, b->r[i].flags);
		assert_int_equal(a->r[i].len, b->r[i].len);
		assert_true(a->r[i].hash == b->r[i].hash);
		assert_int_equal(a->r[i].close, b->r[i].close);
		assert_string_equal(a->r[i].key, b->r[i].key);
	}
}

/* Whole, then cut at every boundary and every pair of boundaries, then a
 * byte at a time: the same replies each time. */
static void
every_split(bool http, const uint8_t *buf, uint32_t len, struct run *whole)
{
	static struct run r;
	uint32_t cuts[3], i, j;

	cuts[0] = len;
	feed(http, buf, cuts, 1, whole);
	for (i = 1; i < len; i++) {
		cuts[0] = i;
		cuts[1] = len;
		feed(http, buf, cuts, 2, &r);
		assert_same_run(whole, &r);
		for (j = i + 1; j < len; j++) {
			cuts[1] = j;
			cuts[2] = len;
			feed(http, buf, cuts, 3, &r);
			assert_same_run(whole, &r);
		}
	}
	{
		uint32_t *ones = malloc(sizeof(uint32_t) * len);

		assert_non_null(ones);
		for (i = 0; i < len; i++)
			ones[i] = i + 1;
		feed(http, buf, ones, len, &r);
		assert_same_run(whole, &r);
		free(ones);
	}
}

static uint32_t
cat(uint8_t *dst, uint32_t at, const void *src, uint32_t n)
{
	memcpy(dst + at, src, n);
	return at + n;
}

static uint32_t
cats(uint8_t *dst, uint32_t at, const char *s)
{
	return cat(dst, at, s, (uint32_t)strlen(s));
}

/* ---- memcached ---- */

static void
test_mc_replies_split_anywhere(void **state)
{
	static const int want[] = {GEN_MC_VALUE,      GEN_MC_END,	   GEN_MC_STORED,
				   GEN_MC_NOT_STORED, GEN_MC_SERVER_ERROR, GEN_MC_CLIENT_ERROR,
				   GEN_MC_ERROR,      GEN_MC_EXISTS,	   GEN_MC_NOT_FOUND,
				   GEN_MC_VALUE,      GEN_MC_STORED};
	uint8_t v1[32], v2[24], buf[1024];
	struct run whole;
	char line[128];
	uint32_t n = 0, i;

	(void)state;
	gen_mc_value(v1, sizeof(v1), 7, 42, 3);
	gen_mc_value(v2, sizeof(v2), 7, 0xffffffffu, 1);
	snprintf(line, sizeof(line), "VALUE sg%08x %u %zu\r\n", 42u, 42u, sizeof(v1));
	n = cats(buf, n, line);
	n = cat(buf, n, v1, sizeof(v1));
	n = cats(buf, n, "\r\nEND\r\nEND\r\nSTORED\r\nNOT_STORED\r\n");
	n = cats(buf, n, "SERVER_ERROR out of memory storing object\r\n");
	n = cats(buf, n, "CLIENT_ERROR bad data chunk\r\nERROR\r\nEXISTS\r\nNOT_FOUND\r\n");
	/* a cas unique after the byte count (gets), and a value that holds
	 * what looks like a reply line */
	n = cats(buf, n, "VALUE sgffffffff 65535 24 12345678901\r\n");
	memcpy(v2, "END\r\nSTORED\r\n", 13);
	n = cat(buf, n, v2, sizeof(v2));
	n = cats(buf, n, "\r\nEND\r\nSTORED\r\n");

	every_split(false, buf, n, &whole);
	assert_false(whole.bad);
	assert_int_equal(whole.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < whole.n; i++)
		assert_int_equal(whole.r[i].kind, want[i]);
	assert_string_equal(whole.r[0].key, "sg0000002a");
	assert_int_equal(whole.r[0].flags, 42);
	assert_int_equal(whole.r[0].len, 32);
	assert_true(whole.r[0].hash == gen_fnv1a(GEN_FNV_INIT, v1, sizeof(v1)));
	assert_string_equal(whole.r[9].key, "sgffffffff");
	assert_int_equal(whole.r[9].flags, 65535);
	assert_true(whole.r[9].hash == gen_fnv1a(GEN_FNV_INIT, v2, sizeof(v2)));
}

static void
test_mc_malformed(void **state)
{
	static const char *const bad[] = {
		"HELLO\r\n",				    /* not a reply */
		"STORED\n",				    /* LF without CR */
		"STOREDX\n",				    /* LF without CR, one byte more */
		"STORED \r\n",				    /* not exactly STORED */
		"VALUE sg1 1 2\r\nabXY",		    /* data block not ended by CRLF */
		"VALUE sg1 1 2\r\nab\r\nSTORED\r\n",	    /* no END after the value */
		"VALUE sg1 1 2\r\nab\r\nVALUE sg1 1 2\r\n", /* two values for one key */
		"VALUE sg1 1 5000\r\n",			    /* larger than any value we set */
		"VALUE sg1 x 2\r\n",			    /* flags not a number */
		"VALUE sg1 1 2 3 4\r\n",		    /* junk after the cas */
		"VALUE  1 2\r\n",			    /* empty key */
		"VALUE sg1 1 99999999999\r\n",		    /* bytes over 32 bits */
		"CLIENT_ERRORx\r\n",			    /* not CLIENT_ERROR */
	};
	uint8_t longline[600];
	struct run r;
	uint32_t cut;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cut = (uint32_t)strlen(bad[i]);
		feed(false, (const uint8_t *)bad[i], &cut, 1, &r);
		if (!r.bad)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(mcp.why);
	}
	/* a line longer than any reply line, not an error line */
	memset(longline, 'A', sizeof(longline));
	longline[sizeof(longline) - 2] = '\r';
	longline[sizeof(longline) - 1] = '\n';
	cut = sizeof(longline);
	feed(false, longline, &cut, 1, &r);
	assert_true(r.bad);
	/* ...but a long SERVER_ERROR is one reply */
	memcpy(longline, "SERVER_ERROR ", 13);
	feed(false, longline, &cut, 1, &r);
	assert_false(r.bad);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.r[0].kind, GEN_MC_SERVER_ERROR);
}

static void
test_mc_builders(void **state)
{
	char buf[GEN_REQ_MAX], key[GEN_MC_KEY_LEN + 1] = {0};
	unsigned int flags, exptime, bytes;
	uint32_t n, ver = 0;
	int off = 0;

	(void)state;
	n = gen_mc_build_get(buf, 0x1234abcd);
	assert_int_equal(n, 16);
	assert_memory_equal(buf, "get sg1234abcd\r\n", 16);
	gen_mc_key(key, 7);
	assert_string_equal(key, "sg00000007");

	n = gen_mc_build_set(buf, 99, gen_mc_flags(99), 0xdeadbeef, 5, 32);
	buf[n] = '\0';
	assert_int_equal(
		sscanf(buf, "set sg00000063 %u %u %u\r\n%n", &flags, &exptime, &bytes, &off), 3);
	assert_int_equal(flags, 99);
	assert_int_equal(exptime, 0);
	assert_int_equal(bytes, 32);
	assert_int_equal((uint32_t)off + 32 + 2, n);
	assert_memory_equal(buf + off + 32, "\r\n", 2);
	assert_int_equal(gen_mc_value_check((uint8_t *)buf + off, 32, 0xdeadbeef, 99, &ver),
			 GEN_MC_VALUE_OK);
	assert_int_equal(ver, 5);
	assert_int_equal(gen_mc_flags(0x12345), 0x2345);
	/* the largest value fits GEN_REQ_MAX */
	n = gen_mc_build_set(buf, 0xffffffff, 0xffff, 1, 0xffffffff, GEN_MC_VALUE_MAX);
	assert_true(n <= GEN_REQ_MAX);
	assert_memory_equal(buf + n - 2, "\r\n", 2);
}

static void
test_mc_value_checks(void **state)
{
	uint8_t v[64], w[64];
	uint32_t ver, i, b;

	(void)state;
	gen_mc_value(v, sizeof(v), 11, 22, 33);
	assert_int_equal(gen_mc_value_check(v, sizeof(v), 11, 22, &ver), GEN_MC_VALUE_OK);
	assert_int_equal(ver, 33);
	assert_int_equal(gen_mc_value_check(v, sizeof(v), 12, 22, &ver), GEN_MC_VALUE_FOREIGN);
	assert_int_equal(gen_mc_value_check(v, sizeof(v), 11, 23, &ver), GEN_MC_VALUE_CORRUPT);
	assert_int_equal(gen_mc_value_check(v, 23, 11, 22, &ver), GEN_MC_VALUE_CORRUPT);
	/* any byte changed to anything: never taken for the value it was */
	for (i = 0; i < sizeof(v); i++)
		for (b = 0; b < 256; b++) {
			if (b == v[i])
				continue;
			memcpy(w, v, sizeof(v));
			w[i] = (uint8_t)b;
			ver = 0;
			if (gen_mc_value_check(w, sizeof(w), 11, 22, &ver) == GEN_MC_VALUE_OK)
				assert_int_not_equal(ver, 33);
		}
}

/* ---- HTTP ---- */

static const char ok_resp[] = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: "
			      "text/plain\r\nContent-Length: 18\r\nConnection: keep-alive\r\n"
			      "\r\nhello from sluice\n";

static void
test_http_responses_split_anywhere(void **state)
{
	uint8_t buf[1024];
	struct run whole;
	uint32_t n = 0;

	(void)state;
	n = cat(buf, n, ok_resp, sizeof(ok_resp) - 1);
	n = cats(buf, n,
		 "HTTP/1.1 404 Not Found\r\ncontent-length:10 \r\nCONNECTION: close\r\n\r\n"
		 "Not Found\n");
	n = cats(buf, n, "HTTP/1.0 204 No Content\r\nContent-Length: 0\r\n\r\n");
	n = cats(buf, n,
		 "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n"
		 "Content-Length: 2\r\n\r\nok");
	every_split(true, buf, n, &whole);
	assert_false(whole.bad);
	assert_int_equal(whole.n, 4);
	assert_int_equal(whole.r[0].kind, 200);
	assert_int_equal(whole.r[0].len, 18);
	assert_false(whole.r[0].close);
	assert_true(whole.r[0].hash ==
		    gen_fnv1a(GEN_FNV_INIT, (const uint8_t *)"hello from sluice\n", 18));
	assert_int_equal(whole.r[1].kind, 404);
	assert_int_equal(whole.r[1].len, 10);
	assert_true(whole.r[1].close);
	assert_int_equal(whole.r[2].kind, 204);
	assert_int_equal(whole.r[2].len, 0);
	assert_true(whole.r[2].close); /* HTTP/1.0 without keep-alive */
	assert_int_equal(whole.r[3].kind, 200);
	assert_false(whole.r[3].close);
	assert_true(whole.r[3].hash == gen_fnv1a(GEN_FNV_INIT, (const uint8_t *)"ok", 2));
}

static void
test_http_malformed(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\n\r\n",				 /* no length */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", /* chunked */
		"HTTP/2 200 OK\r\n",					 /* not 1.x */
		"HTTP/1.1 20 OK\r\n",					 /* two digits */
		"HTTP/1.1 200OK\r\n",					 /* no SP */
		"HTTP/1.1 100 Continue\r\n",				 /* interim */
		"HTTP/1.1 200 OK\nContent-Length: 0\n\n",		 /* LF only */
		"HTTP/1.1 200 OK\r\nContent-Length: 00\n\r\n",		 /* one LF only */
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",	 /* not a number */
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", /* over 16 MiB */
		"HTTP/1.1 200 OK\r\n no-name\r\n",			  /* folding */
		"HTTP/1.1 200 OK\r\nnocolon\r\n",
		"<html>\r\n",
	};
	static uint8_t big[GEN_HTTP_HDR_MAX + 200];
	struct run r;
	uint32_t cut, n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cut = (uint32_t)strlen(bad[i]);
		feed(true, (const uint8_t *)bad[i], &cut, 1, &r);
		if (!r.bad)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(hp.why);
	}
	/* a header block over 8 KiB, in short lines */
	n = cats(big, 0, "HTTP/1.1 200 OK\r\n");
	while (n + 12 < sizeof(big))
		n = cats(big, n, "X-Pad: 12\r\n");
	feed(true, big, &n, 1, &r);
	assert_true(r.bad);
	/* ... and a good response after many headers still parses */
	n = cats(big, 0, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 100; i++)
		n = cats(big, n, "X-Pad: 12\r\n");
	n = cats(big, n, "Content-Length: 0\r\n\r\n");
	feed(true, big, &n, 1, &r);
	assert_false(r.bad);
	assert_int_equal(r.n, 1);
}

static void
test_http_builder(void **state)
{
	char buf[64];
	const char *want = "GET /memif/status HTTP/1.1\r\nHost: 10.9.2.1\r\n\r\n";

	(void)state;
	assert_int_equal(gen_http_build_get(buf, sizeof(buf), "/memif/status", "10.9.2.1"),
			 strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(gen_http_build_get(buf, 20, "/memif/status", "10.9.2.1"), 0);
}

/* ---- options ---- */

static int
parse(struct gen_opts *o, char *err, size_t errlen, const char *const extra[], int n_extra)
{
	const char *base[] = {"sluice-gen",  "--port-dev", "net_null0", "--src-ip",
			      "10.0.0.1/24", "--dst-ip",   "10.0.0.2"};
	char *argv[32];
	int argc = 0, i;
	FILE *devnull = fopen("/dev/null", "w");

	for (i = 0; i < 7; i++)
		argv[argc++] = (char *)(uintptr_t)base[i];
	for (i = 0; i < n_extra; i++)
		argv[argc++] = (char *)(uintptr_t)extra[i];
	argv[argc] = NULL;
	i = gen_opts_parse(o, argc, argv, devnull, err, errlen);
	fclose(devnull);
	return i;
}

static void
test_opts_proto(void **state)
{
	struct gen_opts *o = malloc(sizeof(*o));
	char err[512];
	static const struct {
		const char *args[6];
		int n;
		const char *needle;
	} bad[] = {
		{{"--proto", "smtp"}, 2, "--proto 'smtp'"},
		{{"--proto", "http", "--size", "100"}, 4, "--size applies to --proto udp"},
		{{"--proto", "memcached", "--flows", "2"}, 4, "--flows"},
		{{"--conns", "8"}, 2, "--conns applies to --proto memcached or http"},
		{{"--proto", "memcached", "--value-size", "10"}, 4, "24..1024"},
		{{"--proto", "memcached", "--get-ratio", "1.5"}, 4, "between 0 and 1"},
		{{"--proto", "http", "--conns", "0"}, 4, "1..4096"},
		{{"--proto", "http", "--pipeline", "300"}, 4, "1..256"},
		{{"--proto", "http", "--http-path", "x"}, 4, "start with '/'"},
		{{"--proto", "http", "--lcores", "1,2"}, 4, "one lcore"},
		{{"--proto", "http", "--prefill"}, 3, "--prefill applies to --proto memcached"},
		{{"--prefill"}, 1, "--prefill applies to --proto memcached or http"},
	};
	const char *mc[] = {"--proto", "memcached", "--conns",	    "64",  "--pipeline",  "4",
			    "--keys",  "1000",	    "--value-size", "100", "--get-ratio", "0.5"};
	const char *http[] = {"--proto", "http", "--http-path", "/a/b", "--dst-port", "8080"};
	size_t i;

	(void)state;
	assert_non_null(o);
	assert_int_equal(parse(o, err, sizeof(err), mc, 12), 0);
	assert_int_equal(o->proto, GEN_PROTO_MEMCACHED);
	assert_int_equal(o->dst_port, 11211);
	assert_int_equal(o->conns, 64);
	assert_int_equal(o->depth, 4);
	assert_int_equal(o->keys, 1000);
	assert_int_equal(o->value_size, 100);
	assert_int_equal(o->get_permille, 500);
	assert_int_equal(parse(o, err, sizeof(err), http, 2), 0);
	assert_int_equal(o->dst_port, 80);
	assert_string_equal(o->http_path, "/");
	assert_int_equal(o->get_permille, 900);
	assert_int_equal(parse(o, err, sizeof(err), http, 6), 0);
	assert_int_equal(o->dst_port, 8080);
	assert_string_equal(o->http_path, "/a/b");
	assert_int_equal(parse(o, err, sizeof(err), NULL, 0), 0);
	assert_int_equal(o->proto, GEN_PROTO_UDP);
	assert_int_equal(o->dst_port, 7);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(o, err, sizeof(err), bad[i].args, bad[i].n), -EINVAL);
		if (strstr(err, bad[i].needle) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err, bad[i].needle);
	}
	free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mc_replies_split_anywhere),
		cmocka_unit_test(test_mc_malformed),
		cmocka_unit_test(test_mc_builders),
		cmocka_unit_test(test_mc_value_checks),
		cmocka_unit_test(test_http_responses_split_anywhere),
		cmocka_unit_test(test_http_malformed),
		cmocka_unit_test(test_http_builder),
		cmocka_unit_test(test_opts_proto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
