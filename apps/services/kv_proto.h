/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * memcached text protocol parser (protocol.txt of memcached 1.6): a pure
 * state machine over a byte stream, independent of any storage, so that
 * the kv service and a proxy can share it.
 *
 * kv_proto_feed() takes bytes split at any boundary; requests pipelined in
 * one buffer or cut anywhere produce the same callbacks in the same order.
 * The parser tokenizes and validates each request the way memcached 1.6.18
 * does (token counts, number syntax, key length) and answers what is wrong
 * with the request itself through ops->reply (ERROR, CLIENT_ERROR ...); the
 * user only answers well-formed requests.
 *
 * Every callback may return KV_PAUSE: the parser stops before consuming any
 * byte after that event, and the next kv_proto_feed() (even with no bytes)
 * delivers the same event again. KV_CLOSE stops the parser for good
 * (kv_proto_closed()). Lines are limited to KV_LINE_MAX bytes, except the
 * keys of get/gets/gat/gats, which stream: a get line of any length is
 * answered key by key.
 *
 * No allocation; one struct kv_proto per connection (about 2.3 KiB).
 */
#ifndef KV_PROTO_H
#define KV_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KV_KEY_MAX 250	 /**< memcached's KEY_MAX_LENGTH */
#define KV_LINE_MAX 2048 /**< a line without '\n' beyond this closes the connection */

enum kv_cmd {
	KV_CMD_GET,
	KV_CMD_GETS,
	KV_CMD_GAT,
	KV_CMD_GATS,
	KV_CMD_SET,
	KV_CMD_ADD,
	KV_CMD_REPLACE,
	KV_CMD_APPEND,
	KV_CMD_PREPEND,
	KV_CMD_CAS,
	KV_CMD_DELETE,
	KV_CMD_INCR,
	KV_CMD_DECR,
	KV_CMD_TOUCH,
	KV_CMD_FLUSH_ALL,
	KV_CMD_VERSION,
	KV_CMD_STATS,
	KV_CMD_VERBOSITY,
	KV_CMD_QUIT,
	KV_CMD_MG,
	KV_CMD_MS,
	KV_CMD_MD,
	KV_CMD_MA,
	KV_CMD_MN,
};

/* meta flags (bit per flag letter that takes no token, KV_MF_x) */
#define KV_MF_V (1u << 0)  /**< v: return the value */
#define KV_MF_K (1u << 1)  /**< k: return the key */
#define KV_MF_F (1u << 2)  /**< f: return client flags */
#define KV_MF_T (1u << 3)  /**< t: return the TTL left */
#define KV_MF_C (1u << 4)  /**< c: return the CAS */
#define KV_MF_S (1u << 5)  /**< s: return the value's size */
#define KV_MF_Q (1u << 6)  /**< q: quiet (no EN/HD/NF) */
#define KV_MF_I (1u << 7)  /**< I: invalidate (md), accepted and ignored */
#define KV_MF_BIG_T (1u << 8)  /**< T<ttl>: new TTL */
#define KV_MF_BIG_N (1u << 9)  /**< N<ttl>: autovivify on miss */
#define KV_MF_BIG_C (1u << 10) /**< C<cas>: compare CAS */
#define KV_MF_BIG_F (1u << 11) /**< F<flags>: client flags for ms */
#define KV_MF_BIG_O (1u << 12) /**< O<opaque>: echoed */
#define KV_MF_BIG_D (1u << 13) /**< D<delta>: ma's delta */
#define KV_MF_BIG_J (1u << 14) /**< J<initial>: ma's initial value */
#define KV_MF_BIG_E (1u << 15) /**< E<cas>: the CAS to set */

enum kv_mode {
	KV_MODE_SET = 'S',
	KV_MODE_ADD = 'E',
	KV_MODE_APPEND = 'A',
	KV_MODE_PREPEND = 'P',
	KV_MODE_REPLACE = 'R',
	KV_MODE_INCR = 'I',
	KV_MODE_DECR = 'D',
};

/** A request as the parser understood it. Pointers point into the parser's
 *  line buffer and are valid during the callback only. */
struct kv_req {
	enum kv_cmd cmd;
	const char *key; /**< the one key of single-key commands */
	uint8_t nkey;
	bool noreply;
	uint32_t flags;	   /**< client flags (storage commands; ms F) */
	int32_t exptime;   /**< as given: 0, relative, absolute or negative */
	uint32_t nbytes;   /**< data block length (storage commands) */
	uint64_t cas;	   /**< cas's unique; meta C */
	uint64_t delta;	   /**< incr/decr; ma D (default 1) */
	uint64_t initial;  /**< ma J */
	uint32_t verbosity;
	const char *args;  /**< stats: the arguments after "stats", NUL-terminated */
	/* meta */
	uint32_t mflags;   /**< KV_MF_* */
	char mode;	   /**< ms/ma M (enum kv_mode); 0 = the command's default */
	const char *opaque; /**< O value (at most 32 bytes) */
	uint8_t nopaque;
	/** the flag letters as given, for replies that echo them in order */
	char order[32];
	uint8_t norder;
};

enum {
	KV_OK = 0,
	KV_PAUSE = 1,
	KV_CLOSE = -1,
};

struct kv_proto_ops {
	/** A whole request that has no data block and is not a get
	 *  (delete, incr, touch, stats, mn, md, ma, ...). */
	int (*request)(void *arg, const struct kv_req *r);
	/** One key of get/gets/gat/gats (r->exptime holds gat's), in order. */
	int (*get_key)(void *arg, const struct kv_req *r, const char *key, uint8_t nkey);
	/** The end of a get line: answer END. */
	int (*get_end)(void *arg, const struct kv_req *r);
	/**
	 * A storage command's line (set/add/replace/append/prepend/cas/ms)
	 * is valid: return where the r->nbytes data bytes go, or NULL to
	 * swallow them (the user answered already, e.g. SERVER_ERROR object
	 * too large). May set *pause to ask for the event again later.
	 */
	void *(*store_begin)(void *arg, const struct kv_req *r, int *status);
	/** The data block arrived; @p ok false: not ended by \r\n (the parser
	 *  answered CLIENT_ERROR bad data chunk and closes). */
	int (*store_end)(void *arg, const struct kv_req *r, void *buf, bool ok);
	/** A reply the parser makes (@p s holds the CRLF). */
	void (*reply)(void *arg, const char *s, size_t n);
};

enum kv_pstate {
	KV_PS_LINE,  /* collecting a line */
	KV_PS_GET,   /* delivering the keys of a get line */
	KV_PS_BEGIN, /* store_begin pending */
	KV_PS_DATA,  /* copying a data block */
	KV_PS_CRLF,  /* the \r\n after a data block */
	KV_PS_END,   /* store_end pending */
	KV_PS_SWALLOW,
	KV_PS_REQ, /* request() pending */
	KV_PS_CLOSED,
};

struct kv_proto {
	const struct kv_proto_ops *ops;
	void *arg;
	enum kv_pstate st;
	struct kv_req req;
	uint32_t len;	 /* bytes in line[] */
	uint32_t pos;	 /* KV_PS_GET: next key starts here */
	bool get_eol;	 /* KV_PS_GET: line[] holds the end of the line */
	bool get_any;	 /* a get line's command has been parsed */
	bool cr;	 /* KV_PS_CRLF: the '\r' was seen */
	bool crlf_bad;
	uint64_t left;	 /* KV_PS_DATA / SWALLOW: bytes still to come */
	uint8_t *dst;	 /* KV_PS_DATA: where they go (NULL: swallowed) */
	void *buf;	 /* the store_begin buffer */
	char line[KV_LINE_MAX + 3];
};

/** Reset @p p for a new connection. */
void kv_proto_init(struct kv_proto *p, const struct kv_proto_ops *ops, void *arg);

/**
 * Parse @p len bytes. @return how many were consumed: @p len unless a
 * callback paused or closed (the rest must be fed again after a pause).
 * Call with @p len 0 to resume after a pause.
 */
size_t kv_proto_feed(struct kv_proto *p, const void *buf, size_t len);

/** The connection must close (quit, a fatal error, a callback's KV_CLOSE). */
static inline bool
kv_proto_closed(const struct kv_proto *p)
{
	return p->st == KV_PS_CLOSED;
}

/** A store_begin buffer is still owned by the parser (the connection closes
 *  mid data block): the user frees it. NULL if none. */
void *kv_proto_take_buf(struct kv_proto *p);

/** memcached's safe_strtoull(): digits with optional leading spaces and a
 *  trailing space, \r or end; no minus sign. For incr on stored values. */
bool kv_parse_u64(const char *s, size_t n, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KV_PROTO_H */
