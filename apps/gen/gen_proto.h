/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice-gen TCP request/response protocols: request builders and
 * incremental reply parsers for memcached's text protocol and HTTP/1.1.
 * Plain byte buffers, no EAL, so tests feed them replies split at every
 * byte boundary.
 *
 * Parsers are streaming: gen_mc_parse() / gen_http_parse() take any number
 * of bytes, keep what they need between calls (a line of at most
 * GEN_LINE_MAX bytes, a memcached value of at most GEN_MC_VALUE_MAX bytes;
 * HTTP bodies are hashed, not kept) and stop right after each complete
 * reply, so the caller matches replies with its requests one by one.
 * GEN_PARSE_BAD means the stream cannot be framed any more: the caller
 * counts it and drops the connection.
 *
 * memcached keys are "sg" + 8 hex digits of the key number; a value of
 * version v of key k, written by run r, is 8 hex digits each of r, k and v
 * followed by letters derived from all three, so a get's answer tells
 * which run and which set wrote it, and whether a byte of it changed.
 */
#ifndef GEN_PROTO_H
#define GEN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Reply line bytes kept; the rest of a longer line is skipped. */
#define GEN_LINE_MAX 256
/** Largest memcached value the generator sets (and accepts back). */
#define GEN_MC_VALUE_MAX 1024
/** Smallest: run, key and version (3 x 8 hex digits). */
#define GEN_MC_VALUE_MIN 24
#define GEN_MC_KEY_LEN 10
/** Most bytes of a request the builders write (set of the largest value). */
#define GEN_REQ_MAX (GEN_MC_VALUE_MAX + 96)
/** HTTP: header block limit, and the largest body framed. */
#define GEN_HTTP_HDR_MAX 8192
#define GEN_HTTP_BODY_MAX (16u << 20)

/** --proto */
enum gen_proto_id {
	GEN_PROTO_UDP,
	GEN_PROTO_MEMCACHED,
	GEN_PROTO_HTTP,
};

/** "udp", "memcached" or "http". */
const char *gen_proto_name(enum gen_proto_id p);

enum gen_parse {
	GEN_PARSE_MORE,	 /**< every byte consumed, no reply complete yet */
	GEN_PARSE_REPLY, /**< one reply complete (the rest is not consumed) */
	GEN_PARSE_BAD,	 /**< not the protocol: framing lost */
};

/** What a memcached reply is. */
#define GEN_MC_KINDS(X)                                                                            \
	X(NONE, "none")                                                                            \
	X(VALUE, "value")                                                                          \
	X(END, "end")                                                                              \
	X(STORED, "stored")                                                                        \
	X(NOT_STORED, "not_stored")                                                                \
	X(EXISTS, "exists")                                                                        \
	X(NOT_FOUND, "not_found")                                                                  \
	X(ERROR, "error")                                                                          \
	X(CLIENT_ERROR, "client_error")                                                            \
	X(SERVER_ERROR, "server_error")

enum gen_mc_kind {
#define GEN_MC_KIND_ENUM(id, name) GEN_MC_##id,
	GEN_MC_KINDS(GEN_MC_KIND_ENUM)
#undef GEN_MC_KIND_ENUM
		GEN_MC_NKINDS
};

const char *gen_mc_kind_name(enum gen_mc_kind k);

/** One complete memcached reply (valid until the next gen_mc_parse()). */
struct gen_mc_reply {
	enum gen_mc_kind kind;
	/* GEN_MC_VALUE: the one VALUE line and its data block */
	uint32_t flags;
	uint32_t len;
	uint32_t key_len;
	char key[GEN_LINE_MAX];
	const uint8_t *value;
};

/** A reply line being collected (both parsers). */
struct gen_line {
	uint16_t len;
	bool cut;     /**< longer than GEN_LINE_MAX - 1: the rest was skipped */
	uint8_t last; /**< last byte seen so far (the CR before the LF) */
	char buf[GEN_LINE_MAX];
};

struct gen_mc_parser {
	uint8_t state;
	bool have_value; /* a VALUE block was read; END completes the hit */
	uint32_t need;	 /* data block bytes (value + CRLF) */
	uint32_t have;
	const char *why; /* after GEN_PARSE_BAD: what was wrong */
	struct gen_line line;
	struct gen_mc_reply r;
	uint8_t value[GEN_MC_VALUE_MAX + 2];
};

void gen_mc_parser_init(struct gen_mc_parser *p);

/**
 * Feed @p len bytes of @p buf. *used gets how many were consumed; on
 * GEN_PARSE_REPLY, @p p->r holds the reply and the bytes after it are for
 * the next call.
 */
enum gen_parse gen_mc_parse(struct gen_mc_parser *p, const uint8_t *buf, uint32_t len,
			    uint32_t *used);

/** "sg%08x" of @p key into @p buf (GEN_MC_KEY_LEN bytes, no NUL). */
void gen_mc_key(char *buf, uint32_t key);

/** The value of version @p ver of @p key written by run @p run. */
void gen_mc_value(uint8_t *v, uint32_t vlen, uint32_t run, uint32_t key, uint32_t ver);

/** gen_mc_value_check() verdicts. */
enum gen_mc_value_verdict {
	GEN_MC_VALUE_OK,
	GEN_MC_VALUE_FOREIGN, /**< well formed, written by another run */
	GEN_MC_VALUE_CORRUPT, /**< not what any set of this key wrote */
};

/** Check a value read back for @p key; *ver gets the version on OK. */
enum gen_mc_value_verdict gen_mc_value_check(const uint8_t *v, uint32_t vlen, uint32_t run,
					     uint32_t key, uint32_t *ver);

/** "get <key>\r\n"; @return its length (cap >= 32). */
uint32_t gen_mc_build_get(char *buf, uint32_t key);

/** "set <key> <flags> 0 <vlen>\r\n<value>\r\n"; @return its length
 *  (buf has room for GEN_REQ_MAX, vlen <= GEN_MC_VALUE_MAX). */
uint32_t gen_mc_build_set(char *buf, uint32_t key, uint32_t flags, uint32_t run, uint32_t ver,
			  uint32_t vlen);

/** Flags a set of @p key carries (and a hit must return). */
static inline uint32_t
gen_mc_flags(uint32_t key)
{
	return key & 0xffffu;
}

/** One complete HTTP response. */
struct gen_http_reply {
	int status;
	bool close; /**< "Connection: close": the server ends the connection after it */
	uint64_t content_len;
	uint64_t body_hash; /**< FNV-1a 64 of the body */
};

struct gen_http_parser {
	uint8_t state;
	bool has_len;
	uint32_t hdr_bytes;
	uint64_t body_left;
	const char *why;
	struct gen_line line;
	struct gen_http_reply r;
};

void gen_http_parser_init(struct gen_http_parser *p);

/** As gen_mc_parse(). A response must have a Content-Length (no chunked
 *  bodies, no body delimited by the close): GEN_PARSE_BAD otherwise. */
enum gen_parse gen_http_parse(struct gen_http_parser *p, const uint8_t *buf, uint32_t len,
			      uint32_t *used);

/** "GET <path> HTTP/1.1\r\nHost: <host>\r\n\r\n"; @return its length, 0 if
 *  it does not fit @p cap. */
uint32_t gen_http_build_get(char *buf, uint32_t cap, const char *path, const char *host);

/** FNV-1a 64 of @p len bytes, continuing from @p h (start: GEN_FNV_INIT). */
#define GEN_FNV_INIT UINT64_C(0xcbf29ce484222325)
uint64_t gen_fnv1a(uint64_t h, const uint8_t *p, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif /* GEN_PROTO_H */
