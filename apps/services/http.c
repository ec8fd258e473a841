/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * http: a minimal HTTP/1.1 responder (RFC 9112) on [service] tcp_port.
 *
 *   GET or HEAD of [service] http_path (default "/")
 *                   200, [service] http_body (default "hello from sluice\n")
 *   any other path  404
 *   other methods   405 (Allow: GET, HEAD)
 *   malformed       400, then close
 *   body too large  413 (Content-Length over 1 MiB), then close
 *   header too big  413 (no end of header within 8 KiB), then close
 *   chunked bodies  501, then close
 *
 * An oversized header gets 413 because the issue this service was written
 * for asks for it; RFC 6585 5 defines 431 (Request Header Fields Too
 * Large) for exactly this case and would be the alternative.
 *
 * Keep-alive is the HTTP/1.1 default (HTTP/1.0: only when asked), and
 * pipelined requests are answered in order. Bytes that are not a whole
 * request yet stay in the mbufs they came in (the connection's chain) and
 * on the receive window; a request is answered only when its response
 * fits the send queue, so a client that does not read is slowed down by
 * TCP. Request bodies are read and discarded.
 *
 * Per-connection state comes from a per-lcore array sized by [tcp]
 * max_conns at start-up: nothing is allocated per connection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <rte_malloc.h>

#include "sl_chain.h"
#include "sluice_service.h"

#define HTTP_MAX_HDR 8192
#define HTTP_MAX_BODY (1u << 20)
#define HTTP_BODY_MAX 255 /* [service] http_body, APP_HTTP_BODY_LEN - 1 */
#define HTTP_PATH_MAX 127 /* [service] http_path, APP_HTTP_PATH_LEN - 1 */
/* room a response needs in the send queue: the body plus status line and
 * headers (under 128 bytes) */
#define HTTP_MAX_RESP (HTTP_BODY_MAX + 257)
#define HTTP_STATUS_HDR_TOO_BIG 413 /* RFC 6585's 431 not chosen, see above */

struct http_lcore;

struct http_conn {
	struct rte_mbuf *pend; /* received, not yet parsed */
	uint32_t pend_len;
	uint32_t body_left; /* of the current request, to discard */
	bool closing;	    /* answered with close: the rest is discarded */
	bool eof;	    /* the client finished sending */
	struct http_lcore *hl;
	struct http_conn *next_free;
};

struct http_lcore {
	struct http_conn *conns;
	struct http_conn *free;
	char hdr[HTTP_MAX_HDR + 1];
	char resp[HTTP_MAX_RESP];
	char path[HTTP_PATH_MAX + 1];
	char body[HTTP_BODY_MAX + 1];
	size_t path_len;
};

struct http_req {
	bool head;
	bool v11;
	bool conn_close;
	bool conn_keep;
	bool chunked;
	bool has_len;
	uint64_t content_len;
	int status;
	const char *target;
	size_t target_len;
	bool get;
};

/* ---- bytes in a chain ---- */

/* Offset just past the first CRLFCRLF within @limit bytes; 0 if none. */
static uint32_t
http_header_end(const struct rte_mbuf *m, uint32_t limit)
{
	uint32_t win = 0, off = 0;

	for (; m != NULL && off < limit; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t i;

		for (i = 0; i < m->data_len && off < limit; i++, off++) {
			win = win << 8 | p[i];
			if (win == 0x0d0a0d0a)
				return off + 1;
		}
	}
	return 0;
}

/* Drop @n bytes from the front of the connection's chain. */
static void
http_consume(struct http_conn *hc, struct stk_tcp_conn *c, uint32_t n)
{
	sl_chain_consume(&hc->pend, n);
	hc->pend_len -= n;
	stk_tcp_recved(c, n);
}

/* ---- parsing (RFC 9112 2, 3, 5, 6) ---- */

static bool
http_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool
http_token_in(const char *v, const char *end, const char *token)
{
	size_t n = strlen(token);

	while (v < end) {
		const char *e;

		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		e = v;
		while (e < end && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - v) == n && strncasecmp(v, token, n) == 0)
			return true;
		v = e;
	}
	return false;
}

static int
http_header(struct http_req *r, const char *name, size_t nlen, const char *v, const char *end)
{
	if (nlen == 14 && strncasecmp(name, "content-length", 14) == 0) {
		uint64_t n = 0;
		const char *p;

		if (v == end)
			return 400;
		for (p = v; p < end; p++) {
			if (*p < '0' || *p > '9')
				return 400;
			n = n * 10 + (uint64_t)(*p - '0');
			if (n > UINT32_MAX)
				return 413;
		}
		/* RFC 9112 6.3: differing lengths are an error */
		if (r->has_len && r->content_len != n)
			return 400;
		r->has_len = true;
		r->content_len = n;
	} else if (nlen == 10 && strncasecmp(name, "connection", 10) == 0) {
		r->conn_close |= http_token_in(v, end, "close");
		r->conn_keep |= http_token_in(v, end, "keep-alive");
	} else if (nlen == 17 && strncasecmp(name, "transfer-encoding", 17) == 0) {
		r->chunked = true;
	}
	return 0;
}

/* @h: the header block, NUL-terminated, ending in CRLFCRLF. The status,
 * 0 if the request is well-formed. */
static int
http_parse(char *h, struct http_req *r)
{
	char *line = h, *eol, *sp1, *sp2;
	size_t i;
	int st;

	memset(r, 0, sizeof(*r));
	eol = strstr(line, "\r\n");
	if (eol == NULL || eol == line)
		return 400;
	*eol = '\0';
	sp1 = strchr(line, ' ');
	if (sp1 == NULL || sp1 == line)
		return 400;
	for (i = 0; line + i < sp1; i++)
		if (!http_tchar(line[i]))
			return 400;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ') != NULL)
		return 400;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		r->v11 = true;
	else if (strcmp(sp2 + 1, "HTTP/1.0") != 0)
		return 400;
	r->target = sp1 + 1;
	r->target_len = (size_t)(sp2 - sp1 - 1);
	if (r->target[0] != '/')
		return 400;
	r->get = (size_t)(sp1 - line) == 3 && strncmp(line, "GET", 3) == 0;
	r->head = (size_t)(sp1 - line) == 4 && strncmp(line, "HEAD", 4) == 0;

	for (line = eol + 2; *line != '\r'; line = eol + 2) {
		char *colon, *v, *end;

		eol = strstr(line, "\r\n");
		if (eol == NULL)
			return 400;
		/* RFC 9112 5.2: obsolete line folding is rejected */
		if (*line == ' ' || *line == '\t')
			return 400;
		colon = memchr(line, ':', (size_t)(eol - line));
		if (colon == NULL || colon == line)
			return 400;
		for (v = line; v < colon; v++)
			if (!http_tchar(*v))
				return 400; /* RFC 9112 5.1: no space before the colon */
		v = colon + 1;
		end = eol;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		st = http_header(r, line, (size_t)(colon - line), v, end);
		if (st != 0)
			return st;
	}
	if (r->chunked)
		return 501;
	if (r->has_len && r->content_len > HTTP_MAX_BODY)
		return 413;
	return 0;
}

/* ---- answering ---- */

static const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	default:
		return "Not Implemented";
	}
}

static void
http_respond(struct http_lcore *hl, struct stk_tcp_conn *c, int status, bool head, bool keep)
{
	const char *body = status == 200 ? hl->body : http_reason(status);
	size_t blen = strlen(body) + (status == 200 ? 0 : 1);
	int n;

	n = snprintf(hl->resp, sizeof(hl->resp),
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s%s"
		     "\r\n%s%s",
		     status, http_reason(status), blen, status == 405 ? "Allow: GET, HEAD\r\n" : "",
		     keep ? "" : "Connection: close\r\n", head ? "" : body,
		     head || status == 200 ? "" : "\n");
	if (n > 0 && (size_t)n < sizeof(hl->resp))
		stk_tcp_send(c, hl->resp, (uint32_t)n);
}

/* the target is [service] http_path, byte for byte: no percent-decoding,
 * no dot-segment removal, a query string makes it another target */
static bool
http_is_path(const struct http_lcore *hl, const struct http_req *r)
{
	return r->target_len == hl->path_len && memcmp(r->target, hl->path, hl->path_len) == 0;
}

static void
http_release(struct http_conn *hc)
{
	struct http_lcore *hl = hc->hl;

	rte_pktmbuf_free(hc->pend);
	hc->pend = NULL;
	hc->pend_len = 0;
	hc->next_free = hl->free;
	hl->free = hc;
}

/* Answer every whole request the chain holds, while responses fit; the
 * connection is gone (and @hc released) if it ended. */
static void
http_process(struct http_conn *hc, struct stk_tcp_conn *c)
{
	struct http_lcore *hl = hc->hl;

	while (hc->pend_len > 0 && !hc->closing) {
		struct http_req r;
		const void *src;
		uint32_t end;
		bool keep;
		int st;

		if (hc->body_left > 0) {
			uint32_t n = RTE_MIN(hc->body_left, hc->pend_len);

			hc->body_left -= n;
			http_consume(hc, c, n);
			continue;
		}
		if (stk_tcp_send_space(c) < HTTP_MAX_RESP)
			return; /* on_sent brings us back */
		end = http_header_end(hc->pend, RTE_MIN(hc->pend_len, (uint32_t)HTTP_MAX_HDR));
		if (end == 0) {
			if (hc->pend_len < HTTP_MAX_HDR && !hc->eof)
				return; /* more to come */
			if (hc->pend_len < HTTP_MAX_HDR)
				break; /* a partial request and the client is done */
			http_respond(hl, c, HTTP_STATUS_HDR_TOO_BIG, false, false);
			hc->closing = true;
			break;
		}
		src = rte_pktmbuf_read(hc->pend, 0, end, hl->hdr);
		if (src != hl->hdr)
			memcpy(hl->hdr, src, end);
		hl->hdr[end] = '\0';
		st = http_parse(hl->hdr, &r);
		if (st == 0 && !r.get && !r.head)
			st = 405;
		else if (st == 0)
			st = http_is_path(hl, &r) ? 200 : 404;
		/* RFC 9112 9.3: persistent unless asked otherwise (1.1) or
		 * asked for (1.0); never after a request we could not frame */
		keep = (r.v11 ? !r.conn_close : r.conn_keep) && st != 400 && st != 413 && st != 501;
		http_respond(hl, c, st, r.head, keep);
		http_consume(hc, c, end);
		if (!keep) {
			hc->closing = true;
			break;
		}
		hc->body_left = (uint32_t)r.content_len;
	}
	if (hc->closing || hc->eof) {
		/* done: what follows a closing response is not read (the
		 * stack resets the connection if more comes), the stack sends
		 * the FIN after the queued responses and owns the rest */
		http_release(hc);
		stk_tcp_close(c);
	}
}

/* ---- callbacks ---- */

static int
http_lcore_init(const struct sl_service_env *env, void **state)
{
	const char *path = env->http_path != NULL ? env->http_path : "/";
	const char *body = env->http_body != NULL ? env->http_body : "hello from sluice\n";
	struct http_lcore *hl;
	uint32_t i, n = env->tcp_max_conns;

	if (n == 0 || path[0] != '/' || strlen(path) > HTTP_PATH_MAX ||
	    strlen(body) > HTTP_BODY_MAX)
		return -EINVAL;
	hl = rte_zmalloc_socket("http_lcore", sizeof(*hl), RTE_CACHE_LINE_SIZE,
				(int)rte_lcore_to_socket_id(env->lcore_id));
	if (hl == NULL)
		return -ENOMEM;
	hl->conns = rte_zmalloc_socket("http_conns", sizeof(*hl->conns) * n, RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(env->lcore_id));
	if (hl->conns == NULL) {
		rte_free(hl);
		return -ENOMEM;
	}
	strcpy(hl->path, path);
	strcpy(hl->body, body);
	hl->path_len = strlen(path);
	for (i = 0; i < n; i++)
		hl->conns[i].next_free = i + 1 < n ? &hl->conns[i + 1] : NULL;
	hl->free = &hl->conns[0];
	*state = hl;
	return 0;
}

static void
http_lcore_fini(void *state)
{
	struct http_lcore *hl = state;

	if (hl == NULL)
		return;
	rte_free(hl->conns);
	rte_free(hl);
}

static int
http_accept(void *state, struct stk_tcp_conn *c, void **conn_arg)
{
	struct http_lcore *hl = state;
	struct http_conn *hc = hl->free;

	RTE_SET_USED(c);
	if (hc == NULL)
		return -ENOMEM;
	hl->free = hc->next_free;
	memset(hc, 0, sizeof(*hc));
	hc->hl = hl;
	*conn_arg = hc;
	return 0;
}

static uint32_t
http_data(void *arg, struct stk_tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	struct http_conn *hc = arg;

	if (m == NULL) {
		hc->eof = true;
	} else if (hc->pend == NULL) {
		hc->pend = m;
		hc->pend_len = len;
	} else if (rte_pktmbuf_chain(hc->pend, m) == 0) {
		hc->pend_len += len;
	} else {
		/* more segments than a chain holds: far beyond any request */
		rte_pktmbuf_free(m);
		stk_tcp_recved(c, len);
		http_respond(hc->hl, c, HTTP_STATUS_HDR_TOO_BIG, false, false);
		hc->closing = true;
	}
	/* the bytes stay charged to the window until http_consume() */
	http_process(hc, c);
	return 0;
}

static void
http_sent(void *arg, struct stk_tcp_conn *c, uint32_t space)
{
	RTE_SET_USED(space);
	http_process(arg, c);
}

/* reset, timed out or aborted before the service closed */
static void
http_close(void *arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why)
{
	RTE_SET_USED(c);
	RTE_SET_USED(why);
	http_release(arg);
}

static const struct sl_service http = {
	.name = "http",
	.help = "minimal HTTP/1.1 responder: GET of service.http_path answers 200 with "
		"service.http_body, keep-alive, pipelining",
	.lcore_init = http_lcore_init,
	.lcore_fini = http_lcore_fini,
	.tcp =
		{
			.on_accept = http_accept,
			.on_data = http_data,
			.on_sent = http_sent,
			.on_close = http_close,
		},
};

SL_SERVICE_REGISTER(http);
