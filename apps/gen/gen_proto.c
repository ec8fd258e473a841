/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gen_proto.h"

enum { MC_LINE, MC_DATA };
enum { HTTP_STATUS, HTTP_HEADER, HTTP_BODY };

static const char *const gen_mc_names[] = {
#define GEN_MC_KIND_NAME(id, name) name,
	GEN_MC_KINDS(GEN_MC_KIND_NAME)
#undef GEN_MC_KIND_NAME
};

const char *
gen_proto_name(enum gen_proto_id p)
{
	return p == GEN_PROTO_MEMCACHED ? "memcached" : p == GEN_PROTO_HTTP ? "http" : "udp";
}

const char *
gen_mc_kind_name(enum gen_mc_kind k)
{
	return (unsigned int)k < GEN_MC_NKINDS ? gen_mc_names[k] : NULL;
}

uint64_t
gen_fnv1a(uint64_t h, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static void
line_reset(struct gen_line *l)
{
	l->len = 0;
	l->cut = false;
	l->last = 0;
}

/* Take bytes of @buf from *i up to and including the next LF; true when
 * the line is complete: l->buf then holds it without CR LF, NUL-ended,
 * and *crlf says whether it ended in CR LF. */
static bool
line_take(struct gen_line *l, const uint8_t *buf, uint32_t len, uint32_t *i, bool *crlf)
{
	const uint8_t *at = buf + *i;
	const uint8_t *nl = memchr(at, '\n', len - *i);
	uint32_t n = nl != NULL ? (uint32_t)(nl - at) : len - *i;
	uint32_t room = GEN_LINE_MAX - 1u - l->len;

	if (n > room) {
		l->cut = true;
		memcpy(l->buf + l->len, at, room);
		l->len = (uint16_t)(l->len + room);
	} else {
		memcpy(l->buf + l->len, at, n);
		l->len = (uint16_t)(l->len + n);
	}
	if (n > 0)
		l->last = at[n - 1];
	if (nl == NULL) {
		*i = len;
		return false;
	}
	*i += n + 1;
	*crlf = l->last == '\r';
	if (*crlf && !l->cut && l->len > 0)
		l->len--;
	l->buf[l->len] = '\0';
	return true;
}

/* ---- memcached ---- */

void
gen_mc_parser_init(struct gen_mc_parser *p)
{
	p->state = MC_LINE;
	p->have_value = false;
	p->need = p->have = 0;
	p->why = NULL;
	line_reset(&p->line);
	memset(&p->r, 0, sizeof(p->r));
}

static bool
parse_u32(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > UINT32_MAX)
			return false;
		p++;
	}
	*v = (uint32_t)x;
	*s = p;
	return true;
}

static bool
parse_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*v = x;
	*s = p;
	return true;
}

static enum gen_parse
mc_bad(struct gen_mc_parser *p, const char *why)
{
	p->why = why;
	return GEN_PARSE_BAD;
}

/* "VALUE <key> <flags> <bytes>[ <cas>]" (memcached protocol.txt) */
static enum gen_parse
mc_value_line(struct gen_mc_parser *p, const char *s)
{
	const char *key = s, *sp = strchr(s, ' ');
	uint64_t cas;

	if (sp == NULL || sp == key || (size_t)(sp - key) > 250)
		return mc_bad(p, "VALUE line without a key");
	p->r.key_len = (uint32_t)(sp - key);
	memcpy(p->r.key, key, p->r.key_len);
	p->r.key[p->r.key_len] = '\0';
	s = sp + 1;
	if (!parse_u32(&s, &p->r.flags) || *s++ != ' ' || !parse_u32(&s, &p->r.len))
		return mc_bad(p, "VALUE line: flags and bytes must be numbers");
	if (*s == ' ') {
		s++;
		if (!parse_u64(&s, &cas))
			return mc_bad(p, "VALUE line: cas unique must be a number");
	}
	if (*s != '\0')
		return mc_bad(p, "VALUE line: junk after the byte count");
	if (p->r.len > GEN_MC_VALUE_MAX)
		return mc_bad(p, "VALUE larger than any value this generator sets");
	p->need = p->r.len + 2;
	p->have = 0;
	p->state = MC_DATA;
	return GEN_PARSE_MORE;
}

static enum gen_parse
mc_line(struct gen_mc_parser *p)
{
	static const struct {
		const char *s;
		enum gen_mc_kind k;
	} exact[] = {
		{"END", GEN_MC_END},
		{"STORED", GEN_MC_STORED},
		{"NOT_STORED", GEN_MC_NOT_STORED},
		{"EXISTS", GEN_MC_EXISTS},
		{"NOT_FOUND", GEN_MC_NOT_FOUND},
		{"ERROR", GEN_MC_ERROR},
	};
	const char *s = p->line.buf;
	size_t i;

	if (p->line.cut && strncmp(s, "CLIENT_ERROR", 12) != 0 &&
	    strncmp(s, "SERVER_ERROR", 12) != 0)
		return mc_bad(p, "reply line too long");
	if (p->have_value) {
		if (strcmp(s, "END") != 0)
			return mc_bad(p, "no END after the value (one key was asked for)");
		p->have_value = false;
		p->r.kind = GEN_MC_VALUE;
		p->r.value = p->value;
		return GEN_PARSE_REPLY;
	}
	if (strncmp(s, "VALUE ", 6) == 0)
		return mc_value_line(p, s + 6);
	memset(&p->r, 0, sizeof(p->r));
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(s, exact[i].s) == 0) {
			p->r.kind = exact[i].k;
			return GEN_PARSE_REPLY;
		}
	if (strncmp(s, "CLIENT_ERROR", 12) == 0 && (s[12] == ' ' || s[12] == '\0')) {
		p->r.kind = GEN_MC_CLIENT_ERROR;
		return GEN_PARSE_REPLY;
	}
	if (strncmp(s, "SERVER_ERROR", 12) == 0 && (s[12] == ' ' || s[12] == '\0')) {
		p->r.kind = GEN_MC_SERVER_ERROR;
		return GEN_PARSE_REPLY;
	}
	return mc_bad(p, "not a memcached reply line");
}

enum gen_parse
gen_mc_parse(struct gen_mc_parser *p, const uint8_t *buf, uint32_t len, uint32_t *used)
{
	uint32_t i = 0;
	enum gen_parse ret;
	bool crlf;

	while (i < len) {
		if (p->state == MC_DATA) {
			uint32_t n = p->need - p->have;

			if (n > len - i)
				n = len - i;
			memcpy(p->value + p->have, buf + i, n);
			p->have += n;
			i += n;
			if (p->have < p->need)
				break;
			if (p->value[p->need - 2] != '\r' || p->value[p->need - 1] != '\n') {
				*used = i;
				return mc_bad(p, "data block not ended by \\r\\n");
			}
			p->have_value = true;
			p->state = MC_LINE;
			continue;
		}
		if (!line_take(&p->line, buf, len, &i, &crlf))
			break;
		if (!crlf) {
			*used = i;
			return mc_bad(p, "reply line not ended by \\r\\n");
		}
		ret = mc_line(p);
		line_reset(&p->line);
		if (ret != GEN_PARSE_MORE) {
			*used = i;
			return ret;
		}
	}
	*used = i;
	return GEN_PARSE_MORE;
}

static void
hex8(char *d, uint32_t v)
{
	static const char hx[] = "0123456789abcdef";
	int i;

	for (i = 7; i >= 0; i--) {
		d[i] = hx[v & 0xf];
		v >>= 4;
	}
}

static bool
unhex8(const uint8_t *s, uint32_t *v)
{
	uint32_t x = 0;
	int i;

	for (i = 0; i < 8; i++) {
		uint8_t c = s[i];

		if (c >= '0' && c <= '9')
			x = x << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x << 4 | (uint32_t)(c - 'a' + 10);
		else
			return false;
	}
	*v = x;
	return true;
}

void
gen_mc_key(char *buf, uint32_t key)
{
	buf[0] = 's';
	buf[1] = 'g';
	hex8(buf + 2, key);
}

static inline uint8_t
mc_fill(uint32_t run, uint32_t key, uint32_t ver, uint32_t i)
{
	return (uint8_t)('a' + (run ^ (key * 31u) ^ (ver * 7u) ^ i) % 26u);
}

void
gen_mc_value(uint8_t *v, uint32_t vlen, uint32_t run, uint32_t key, uint32_t ver)
{
	uint32_t i;

	hex8((char *)v, run);
	hex8((char *)v + 8, key);
	hex8((char *)v + 16, ver);
	for (i = GEN_MC_VALUE_MIN; i < vlen; i++)
		v[i] = mc_fill(run, key, ver, i);
}

enum gen_mc_value_verdict
gen_mc_value_check(const uint8_t *v, uint32_t vlen, uint32_t run, uint32_t key, uint32_t *ver)
{
	uint32_t r, k, x, i;

	if (vlen < GEN_MC_VALUE_MIN || !unhex8(v, &r) || !unhex8(v + 8, &k) || !unhex8(v + 16, &x))
		return GEN_MC_VALUE_CORRUPT;
	for (i = GEN_MC_VALUE_MIN; i < vlen; i++)
		if (v[i] != mc_fill(r, k, x, i))
			return GEN_MC_VALUE_CORRUPT;
	if (k != key)
		return GEN_MC_VALUE_CORRUPT;
	if (r != run)
		return GEN_MC_VALUE_FOREIGN;
	*ver = x;
	return GEN_MC_VALUE_OK;
}

uint32_t
gen_mc_build_get(char *buf, uint32_t key)
{
	memcpy(buf, "get ", 4);
	gen_mc_key(buf + 4, key);
	buf[4 + GEN_MC_KEY_LEN] = '\r';
	buf[5 + GEN_MC_KEY_LEN] = '\n';
	return 6 + GEN_MC_KEY_LEN;
}

uint32_t
gen_mc_build_set(char *buf, uint32_t key, uint32_t flags, uint32_t run, uint32_t ver, uint32_t vlen)
{
	int n;

	memcpy(buf, "set ", 4);
	gen_mc_key(buf + 4, key);
	n = snprintf(buf + 4 + GEN_MC_KEY_LEN, GEN_REQ_MAX - 4 - GEN_MC_KEY_LEN, " %u 0 %u\r\n",
		     flags, vlen);
	n += 4 + GEN_MC_KEY_LEN;
	gen_mc_value((uint8_t *)buf + n, vlen, run, key, ver);
	n += (int)vlen;
	buf[n++] = '\r';
	buf[n++] = '\n';
	return (uint32_t)n;
}

/* ---- HTTP/1.1 (RFC 9112) ---- */

void
gen_http_parser_init(struct gen_http_parser *p)
{
	p->state = HTTP_STATUS;
	p->has_len = false;
	p->hdr_bytes = 0;
	p->body_left = 0;
	p->why = NULL;
	line_reset(&p->line);
	memset(&p->r, 0, sizeof(p->r));
}

static enum gen_parse
http_bad(struct gen_http_parser *p, const char *why)
{
	p->why = why;
	return GEN_PARSE_BAD;
}

/* does the comma-separated list @v hold @token (case-insensitive)? */
static bool
http_has_token(const char *v, const char *token)
{
	size_t n = strlen(token);

	while (*v != '\0') {
		const char *e;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		e = v;
		while (*e != '\0' && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - v) == n && strncasecmp(v, token, n) == 0)
			return true;
		v = e;
	}
	return false;
}

static enum gen_parse
http_status_line(struct gen_http_parser *p)
{
	const char *s = p->line.buf;

	/* RFC 9112 4: HTTP/1.x SP 3DIGIT SP [reason] */
	if (p->line.cut || strncmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') ||
	    s[8] != ' ' || s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' ||
	    s[11] > '9' || (s[12] != ' ' && s[12] != '\0'))
		return http_bad(p, "not an HTTP/1.x status line");
	memset(&p->r, 0, sizeof(p->r));
	p->r.status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (p->r.status < 200)
		return http_bad(p, "1xx interim response (none was asked for)");
	p->r.close = s[7] == '0'; /* HTTP/1.0: close unless keep-alive */
	p->has_len = false;
	p->state = HTTP_HEADER;
	return GEN_PARSE_MORE;
}

static enum gen_parse
http_header_line(struct gen_http_parser *p)
{
	char *s = p->line.buf, *colon, *v, *end;

	if (s[0] == '\0') {
		if (!p->has_len)
			return http_bad(p, "response without Content-Length");
		p->body_left = p->r.content_len;
		p->r.body_hash = GEN_FNV_INIT;
		p->hdr_bytes = 0;
		if (p->body_left == 0) {
			p->state = HTTP_STATUS;
			return GEN_PARSE_REPLY;
		}
		p->state = HTTP_BODY;
		return GEN_PARSE_MORE;
	}
	colon = strchr(s, ':');
	if (colon == NULL || colon == s || s[0] == ' ' || s[0] == '\t')
		return http_bad(p, "header line without a name and a colon");
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strcasecmp(s, "content-length") == 0) {
		const char *q = v;
		uint64_t n;

		if (p->line.cut || !parse_u64(&q, &n) || *q != '\0')
			return http_bad(p, "Content-Length is not a number");
		/* RFC 9112 6.3: differing lengths are an error */
		if (p->has_len && n != p->r.content_len)
			return http_bad(p, "two different Content-Length values");
		if (n > GEN_HTTP_BODY_MAX)
			return http_bad(p, "Content-Length over 16 MiB");
		p->has_len = true;
		p->r.content_len = n;
	} else if (strcasecmp(s, "transfer-encoding") == 0) {
		return http_bad(p, "Transfer-Encoding (chunked) response to a plain GET");
	} else if (strcasecmp(s, "connection") == 0) {
		if (http_has_token(v, "close"))
			p->r.close = true;
		else if (http_has_token(v, "keep-alive"))
			p->r.close = false;
	}
	return GEN_PARSE_MORE;
}

enum gen_parse
gen_http_parse(struct gen_http_parser *p, const uint8_t *buf, uint32_t len, uint32_t *used)
{
	uint32_t i = 0, start;
	enum gen_parse ret;
	bool crlf;

	while (i < len) {
		if (p->state == HTTP_BODY) {
			uint64_t n = p->body_left;

			if (n > len - i)
				n = len - i;
			p->r.body_hash = gen_fnv1a(p->r.body_hash, buf + i, (uint32_t)n);
			p->body_left -= n;
			i += (uint32_t)n;
			if (p->body_left == 0) {
				p->state = HTTP_STATUS;
				*used = i;
				return GEN_PARSE_REPLY;
			}
			continue;
		}
		start = i;
		ret = line_take(&p->line, buf, len, &i, &crlf) ? GEN_PARSE_REPLY : GEN_PARSE_MORE;
		p->hdr_bytes += i - start;
		if (p->hdr_bytes > GEN_HTTP_HDR_MAX) {
			*used = i;
			return http_bad(p, "response header over 8 KiB");
		}
		if (ret == GEN_PARSE_MORE)
			break;
		if (!crlf) {
			*used = i;
			return http_bad(p, "header line not ended by \\r\\n");
		}
		ret = p->state == HTTP_STATUS ? http_status_line(p) : http_header_line(p);
		line_reset(&p->line);
		if (ret != GEN_PARSE_MORE) {
			*used = i;
			return ret;
		}
	}
	*used = i;
	return GEN_PARSE_MORE;
}

uint32_t
gen_http_build_get(char *buf, uint32_t cap, const char *path, const char *host)
{
	int n = snprintf(buf, cap, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);

	return n > 0 && (uint32_t)n < cap ? (uint32_t)n : 0;
}
