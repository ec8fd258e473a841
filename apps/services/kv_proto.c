/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memcached text protocol parser (see kv_proto.h). Requests are decided
 * the way memcached 1.6.18's proto_text.c decides them: tokens split on
 * single spaces (runs of spaces collapse), a line ends at '\n' with an
 * optional '\r' before it, numbers go through strtoul/strtol with
 * memcached's safe_strto* rules (a minus sign never makes a huge unsigned
 * number, flags wrap to 32 bits), "noreply" is the last token, and a token
 * count a command does not take is "ERROR". Two deliberate differences,
 * both asked for by the issue: a line over KV_LINE_MAX without '\n' gets
 * "CLIENT_ERROR line too long" before the close (memcached closes
 * silently), and a data block not followed by \r\n gets "CLIENT_ERROR bad
 * data chunk" and the close (memcached goes on parsing after it).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv_proto.h"

#define KV_MAX_TOKENS 24

#define S_ERROR "ERROR\r\n"
#define S_BAD_FORMAT "CLIENT_ERROR bad command line format\r\n"
#define S_BAD_EXPTIME "CLIENT_ERROR invalid exptime argument\r\n"
#define S_BAD_DELTA "CLIENT_ERROR invalid numeric delta argument\r\n"
#define S_BAD_CHUNK "CLIENT_ERROR bad data chunk\r\n"
#define S_TOO_LONG "CLIENT_ERROR line too long\r\n"
#define S_BAD_FLAG "CLIENT_ERROR invalid flag\r\n"
#define S_BAD_TOKEN "CLIENT_ERROR bad token in command line format\r\n"
#define S_BAD_MODE_MS "CLIENT_ERROR invalid mode for ms M token\r\n"
#define S_BAD_MODE_MA "CLIENT_ERROR invalid mode for ma M token\r\n"
#define S_OPAQUE_LONG "CLIENT_ERROR opaque token too long\r\n"
#define S_DELETE_USAGE "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"

void
kv_proto_init(struct kv_proto *p, const struct kv_proto_ops *ops, void *arg)
{
	memset(p, 0, offsetof(struct kv_proto, line));
	p->ops = ops;
	p->arg = arg;
	p->st = KV_PS_LINE;
}

void *
kv_proto_take_buf(struct kv_proto *p)
{
	void *b = p->buf;

	p->buf = NULL;
	return b;
}

static void
say(struct kv_proto *p, const char *s)
{
	p->ops->reply(p->arg, s, strlen(s));
}

/* out_string(): suppressed by noreply */
static void
say_maybe(struct kv_proto *p, const char *s)
{
	if (!p->req.noreply)
		say(p, s);
}

/* ---- memcached's safe_strto* on NUL-terminated tokens ---- */

static bool
num_end_ok(const char *s, const char *end)
{
	return end != s && (*end == '\0' || isspace((unsigned char)*end));
}

static bool
s_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || !num_end_ok(s, end))
		return false;
	if ((long long)v < 0 && memchr(s, '-', (size_t)(end - s)) != NULL)
		return false;
	*out = v;
	return true;
}

static bool
s_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!s_u64(s, &v))
		return false;
	*out = (uint32_t)v; /* as memcached: flags wrap to 32 bits */
	return true;
}

static bool
s_i32(const char *s, int32_t *out)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE || end == s || v > INT32_MAX || v < INT32_MIN)
		return false;
	if (!num_end_ok(s, end))
		return false;
	*out = (int32_t)v;
	return true;
}

bool
kv_parse_u64(const char *s, size_t n, uint64_t *out)
{
	char tmp[32];

	if (n > sizeof(tmp) - 2)
		n = sizeof(tmp) - 2;
	memcpy(tmp, s, n);
	tmp[n] = '\r'; /* what follows a stored value */
	tmp[n + 1] = '\0';
	if (memchr(tmp, '\0', n) != NULL)
		return false;
	return s_u64(tmp, out);
}

/* ---- lines ---- */

struct toks {
	char *t[KV_MAX_TOKENS + 1];
	size_t len[KV_MAX_TOKENS + 1];
	int n;
};

/* Split @s (NUL-terminated) in place on spaces; more tokens than
 * KV_MAX_TOKENS count as KV_MAX_TOKENS + 1. */
static void
tokenize(char *s, struct toks *tk)
{
	tk->n = 0;
	while (*s != '\0') {
		char *e;

		if (*s == ' ') {
			s++;
			continue;
		}
		e = s;
		while (*e != '\0' && *e != ' ')
			e++;
		if (tk->n <= KV_MAX_TOKENS) {
			tk->t[tk->n] = s;
			tk->len[tk->n] = (size_t)(e - s);
		}
		tk->n++;
		if (*e == '\0')
			break;
		*e = '\0';
		s = e + 1;
	}
	if (tk->n > KV_MAX_TOKENS + 1)
		tk->n = KV_MAX_TOKENS + 1;
}

static bool
is_noreply(const struct toks *tk)
{
	return tk->n > 1 && strcmp(tk->t[tk->n - 1], "noreply") == 0;
}

static bool
key_ok(struct kv_proto *p, const struct toks *tk, int i)
{
	if (tk->len[i] > KV_KEY_MAX) {
		say_maybe(p, S_BAD_FORMAT);
		return false;
	}
	p->req.key = tk->t[i];
	p->req.nkey = (uint8_t)tk->len[i];
	return true;
}

static const struct {
	const char *name;
	enum kv_cmd cmd;
} cmds[] = {
	{"get", KV_CMD_GET},
	{"gets", KV_CMD_GETS},
	{"gat", KV_CMD_GAT},
	{"gats", KV_CMD_GATS},
	{"set", KV_CMD_SET},
	{"add", KV_CMD_ADD},
	{"replace", KV_CMD_REPLACE},
	{"append", KV_CMD_APPEND},
	{"prepend", KV_CMD_PREPEND},
	{"cas", KV_CMD_CAS},
	{"delete", KV_CMD_DELETE},
	{"incr", KV_CMD_INCR},
	{"decr", KV_CMD_DECR},
	{"touch", KV_CMD_TOUCH},
	{"flush_all", KV_CMD_FLUSH_ALL},
	{"version", KV_CMD_VERSION},
	{"stats", KV_CMD_STATS},
	{"verbosity", KV_CMD_VERBOSITY},
	{"quit", KV_CMD_QUIT},
	{"mg", KV_CMD_MG},
	{"ms", KV_CMD_MS},
	{"md", KV_CMD_MD},
	{"ma", KV_CMD_MA},
	{"mn", KV_CMD_MN},
};

static int
cmd_find(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == n && memcmp(cmds[i].name, s, n) == 0)
			return (int)i;
	return -1;
}

static bool
is_get(enum kv_cmd c)
{
	return c <= KV_CMD_GATS;
}

/* Meta flags of mg/ms/md/ma from token @first on; false: answered. */
static bool
meta_flags(struct kv_proto *p, const struct toks *tk, int first, const char *valid)
{
	struct kv_req *r = &p->req;
	int i;

	r->delta = 1;
	for (i = first; i < tk->n && i < KV_MAX_TOKENS; i++) {
		const char *t = tk->t[i];
		const char *v = t + 1;
		char f = t[0];

		if (strchr(valid, f) == NULL || f == '\0') {
			say(p, S_BAD_FLAG);
			return false;
		}
		if (r->norder < sizeof(r->order))
			r->order[r->norder++] = f;
		switch (f) {
		case 'v': r->mflags |= KV_MF_V; break;
		case 'k': r->mflags |= KV_MF_K; break;
		case 'f': r->mflags |= KV_MF_F; break;
		case 't': r->mflags |= KV_MF_T; break;
		case 'c': r->mflags |= KV_MF_C; break;
		case 's': r->mflags |= KV_MF_S; break;
		case 'q': r->mflags |= KV_MF_Q; break;
		case 'I': r->mflags |= KV_MF_I; break;
		case 'O':
			if (tk->len[i] - 1 > 32) {
				say(p, S_OPAQUE_LONG);
				return false;
			}
			r->mflags |= KV_MF_BIG_O;
			r->opaque = v;
			r->nopaque = (uint8_t)(tk->len[i] - 1);
			break;
		case 'T':
		case 'N':
			if (!s_i32(v, &r->exptime)) {
				say(p, S_BAD_TOKEN);
				return false;
			}
			r->mflags |= f == 'T' ? KV_MF_BIG_T : KV_MF_BIG_N;
			break;
		case 'C':
		case 'E':
			if (!s_u64(v, f == 'C' ? &r->cas : &r->initial)) {
				say(p, S_BAD_TOKEN);
				return false;
			}
			r->mflags |= f == 'C' ? KV_MF_BIG_C : KV_MF_BIG_E;
			break;
		case 'F':
			if (!s_u32(v, &r->flags)) {
				say(p, S_BAD_TOKEN);
				return false;
			}
			r->mflags |= KV_MF_BIG_F;
			break;
		case 'D':
			if (!s_u64(v, &r->delta)) {
				say(p, S_BAD_DELTA);
				return false;
			}
			r->mflags |= KV_MF_BIG_D;
			break;
		case 'J':
			if (!s_u64(v, &r->initial)) {
				say(p, S_BAD_TOKEN);
				return false;
			}
			r->mflags |= KV_MF_BIG_J;
			break;
		case 'M':
			r->mode = (char)toupper((unsigned char)v[0]);
			if (r->cmd == KV_CMD_MS && strchr("SEAPR", r->mode) == NULL) {
				say(p, S_BAD_MODE_MS);
				return false;
			}
			if (r->cmd == KV_CMD_MA && strchr("ID+-", r->mode) == NULL) {
				say(p, S_BAD_MODE_MA);
				return false;
			}
			if (r->mode == '+')
				r->mode = 'I';
			if (r->mode == '-')
				r->mode = 'D';
			break;
		default:
			break; /* accepted, no effect (b is refused by @valid) */
		}
	}
	return true;
}

/* If line[] (from @s on) is a get/gets/gat/gats line, set the request up
 * and go to KV_PS_GET: 1; -1 if answered with an error; 0 if not a get.
 * @eol: line[] holds the whole line (else its first KV_LINE_MAX bytes). */
static int
get_start(struct kv_proto *p, char *s, bool eol)
{
	struct kv_req *r = &p->req;
	char *e = s;
	int c;

	while (*e != '\0' && *e != ' ')
		e++;
	c = cmd_find(s, (size_t)(e - s));
	if (c < 0 || !is_get(cmds[c].cmd) || (!eol && *e != ' '))
		return 0;
	memset(r, 0, sizeof(*r));
	r->cmd = cmds[c].cmd;
	while (*e == ' ')
		e++;
	if (*e == '\0') {
		say(p, S_ERROR);
		return -1;
	}
	if (r->cmd == KV_CMD_GAT || r->cmd == KV_CMD_GATS) {
		char *x = e;

		while (*x != '\0' && *x != ' ')
			x++;
		if (!eol && *x != ' ')
			return 0;
		if (*x == ' ')
			*x++ = '\0';
		if (!s_i32(e, &r->exptime)) {
			say(p, S_BAD_EXPTIME);
			return -1;
		}
		e = x;
	}
	if (eol) {
		/* memcached answers a too long key before any value */
		const char *k = e;

		while (*k != '\0') {
			const char *ke;

			while (*k == ' ')
				k++;
			ke = k;
			while (*ke != '\0' && *ke != ' ')
				ke++;
			if (ke - k > KV_KEY_MAX) {
				say(p, S_BAD_FORMAT);
				return -1;
			}
			k = ke;
		}
	}
	p->pos = (uint32_t)(e - p->line);
	p->get_eol = eol;
	p->st = KV_PS_GET;
	return 1;
}

/* A complete line in p->line (NUL-terminated, no CRLF). Sets the next
 * state; the request's callback runs from the state machine. */
static void
line_done(struct kv_proto *p)
{
	struct kv_req *r = &p->req;
	struct toks tk;
	char *s = p->line;
	int c, need_lo;

	memset(r, 0, sizeof(*r));
	p->st = KV_PS_LINE;
	while (*s == ' ')
		s++;
	c = get_start(p, s, true);
	if (c != 0)
		return;
	tokenize(s, &tk);
	if (tk.n == 0) {
		say(p, S_ERROR);
		return;
	}
	c = cmd_find(tk.t[0], tk.len[0]);
	if (c < 0) {
		/* memcached: an HTTP request line closes the connection */
		if (tk.n >= 2 && tk.n <= KV_MAX_TOKENS &&
		    strncmp(tk.t[tk.n - 1], "HTTP/", 5) == 0) {
			p->st = KV_PS_CLOSED;
			return;
		}
		say(p, S_ERROR);
		return;
	}
	r->cmd = cmds[c].cmd;
	switch (r->cmd) {
	case KV_CMD_SET:
	case KV_CMD_ADD:
	case KV_CMD_REPLACE:
	case KV_CMD_APPEND:
	case KV_CMD_PREPEND:
	case KV_CMD_CAS: {
		int32_t vlen;

		need_lo = r->cmd == KV_CMD_CAS ? 6 : 5;
		if (tk.n != need_lo && tk.n != need_lo + 1) {
			say(p, S_ERROR);
			return;
		}
		r->noreply = is_noreply(&tk);
		if (!key_ok(p, &tk, 1))
			return;
		if (!s_u32(tk.t[2], &r->flags) || !s_i32(tk.t[3], &r->exptime) ||
		    !s_i32(tk.t[4], &vlen)) {
			say_maybe(p, S_BAD_FORMAT);
			return;
		}
		if (r->cmd == KV_CMD_CAS && !s_u64(tk.t[5], &r->cas)) {
			say_maybe(p, S_BAD_FORMAT);
			return;
		}
		if (vlen < 0 || vlen > INT32_MAX - 2) {
			say_maybe(p, S_BAD_FORMAT);
			return;
		}
		r->nbytes = (uint32_t)vlen;
		p->st = KV_PS_BEGIN;
		return;
	}
	case KV_CMD_DELETE:
		if (tk.n < 2 || tk.n > 4) {
			say(p, S_ERROR);
			return;
		}
		if (tk.n > 2) {
			bool hold0 = strcmp(tk.t[2], "0") == 0;
			bool nr = is_noreply(&tk);

			r->noreply = nr;
			if (!((tk.n == 3 && (hold0 || nr)) || (tk.n == 4 && hold0 && nr))) {
				say_maybe(p, S_DELETE_USAGE);
				return;
			}
		}
		if (!key_ok(p, &tk, 1))
			return;
		break;
	case KV_CMD_INCR:
	case KV_CMD_DECR:
		if (tk.n != 3 && tk.n != 4) {
			say(p, S_ERROR);
			return;
		}
		r->noreply = is_noreply(&tk);
		if (!key_ok(p, &tk, 1))
			return;
		if (!s_u64(tk.t[2], &r->delta)) {
			say_maybe(p, S_BAD_DELTA);
			return;
		}
		break;
	case KV_CMD_TOUCH:
		if (tk.n != 3 && tk.n != 4) {
			say(p, S_ERROR);
			return;
		}
		r->noreply = is_noreply(&tk);
		if (!key_ok(p, &tk, 1))
			return;
		if (!s_i32(tk.t[2], &r->exptime)) {
			say_maybe(p, S_BAD_EXPTIME);
			return;
		}
		break;
	case KV_CMD_FLUSH_ALL:
		if (tk.n > 3) {
			say(p, S_ERROR);
			return;
		}
		r->noreply = is_noreply(&tk);
		if (tk.n != (r->noreply ? 2 : 1) && !s_i32(tk.t[1], &r->exptime)) {
			say_maybe(p, S_BAD_EXPTIME);
			return;
		}
		break;
	case KV_CMD_VERBOSITY:
		if (tk.n != 2 && tk.n != 3) {
			say(p, S_ERROR);
			return;
		}
		r->noreply = is_noreply(&tk);
		if (!s_u32(tk.t[1], &r->verbosity)) {
			say_maybe(p, S_BAD_FORMAT);
			return;
		}
		break;
	case KV_CMD_QUIT:
		p->st = KV_PS_CLOSED;
		return;
	case KV_CMD_STATS:
		r->args = tk.n > 1 ? tk.t[1] : "";
		break;
	case KV_CMD_VERSION:
	case KV_CMD_MN:
		break;
	case KV_CMD_MG:
	case KV_CMD_MD:
	case KV_CMD_MA:
		if (tk.n < 2) {
			say(p, S_ERROR);
			return;
		}
		if (tk.len[1] > KV_KEY_MAX) {
			say(p, S_BAD_FORMAT);
			return;
		}
		r->key = tk.t[1];
		r->nkey = (uint8_t)tk.len[1];
		if (!meta_flags(p, &tk, 2,
				r->cmd == KV_CMD_MG	? "vkftcsqOTE"
				: r->cmd == KV_CMD_MD ? "qOkCITE"
						      : "qOkNJDTMtcvCE"))
			return;
		break;
	case KV_CMD_MS: {
		int32_t vlen;

		if (tk.n < 3) {
			say(p, tk.n < 2 ? S_ERROR : S_BAD_FORMAT);
			return;
		}
		if (tk.len[1] > KV_KEY_MAX || !s_i32(tk.t[2], &vlen) || vlen < 0 ||
		    vlen > INT32_MAX - 2) {
			say(p, S_BAD_FORMAT);
			return;
		}
		r->key = tk.t[1];
		r->nkey = (uint8_t)tk.len[1];
		r->nbytes = (uint32_t)vlen;
		if (!meta_flags(p, &tk, 3, "qOkcCFTIMSE")) {
			/* memcached: the data block that follows is swallowed */
			p->dst = NULL;
			p->left = (uint64_t)vlen + 2;
			p->st = KV_PS_SWALLOW;
			return;
		}
		p->st = KV_PS_BEGIN;
		return;
	}
	default:
		break;
	}
	p->st = KV_PS_REQ;
}

static void
to_line(struct kv_proto *p)
{
	p->st = KV_PS_LINE;
	p->len = 0;
}

/* KV_PS_GET: deliver the next key, or END. GS_NEXT: go on; GS_MORE: need
 * more bytes; KV_PAUSE / KV_CLOSE from the callback. */
#define GS_NEXT 2
#define GS_MORE 3
static int
get_step(struct kv_proto *p)
{
	char *s = p->line + p->pos, *end = p->line + p->len, *e;
	int rc;

	while (s < end && (*s == ' ' || (p->get_eol && *s == '\0')))
		s++;
	if (s == end) {
		if (!p->get_eol) {
			p->len = p->pos = 0;
			return GS_MORE;
		}
		rc = p->ops->get_end(p->arg, &p->req);
		if (rc == KV_PAUSE) {
			p->pos = (uint32_t)(s - p->line);
			return KV_PAUSE;
		}
		if (rc == KV_CLOSE)
			return KV_CLOSE;
		to_line(p);
		return GS_NEXT;
	}
	e = s;
	while (e < end && *e != ' ')
		e++;
	if (e - s > KV_KEY_MAX) {
		say(p, S_BAD_FORMAT);
		if (!p->get_eol)
			return KV_CLOSE; /* the rest of the line cannot be found */
		to_line(p);
		return GS_NEXT;
	}
	if (e == end && !p->get_eol) {
		/* a key cut by the buffer: keep it at the front */
		memmove(p->line, s, (size_t)(e - s));
		p->len = (uint32_t)(e - s);
		p->pos = 0;
		return GS_MORE;
	}
	rc = p->ops->get_key(p->arg, &p->req, s, (uint8_t)(e - s));
	p->pos = (uint32_t)((rc == KV_PAUSE ? s : e) - p->line);
	if (rc == KV_PAUSE || rc == KV_CLOSE)
		return rc;
	return GS_NEXT;
}

/* Append input to line[] up to '\n' or the buffer's end. true: the line
 * ended (CRLF stripped, NUL-terminated). */
static bool
take_line(struct kv_proto *p, const uint8_t *in, size_t avail, size_t *used)
{
	const uint8_t *nl = memchr(in, '\n', avail);
	size_t n = nl != NULL ? (size_t)(nl - in) + 1 : avail;
	size_t room = KV_LINE_MAX + 2 - p->len;

	if (n > room) {
		n = room;
		nl = NULL;
	}
	memcpy(p->line + p->len, in, n);
	p->len += (uint32_t)n;
	*used = n;
	if (nl == NULL) {
		p->line[p->len] = '\0';
		return false;
	}
	p->len--;
	if (p->len > 0 && p->line[p->len - 1] == '\r')
		p->len--;
	p->line[p->len] = '\0';
	return true;
}

size_t
kv_proto_feed(struct kv_proto *p, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	size_t off = 0, n;
	void *b;
	int rc;

	for (;;) {
		switch (p->st) {
		case KV_PS_CLOSED:
			return off;
		case KV_PS_LINE:
			if (off == len)
				return off;
			if (take_line(p, in + off, len - off, &n)) {
				off += n;
				line_done(p);
				if (p->st == KV_PS_LINE)
					p->len = 0;
				break;
			}
			off += n;
			if (p->len < KV_LINE_MAX + 2)
				return off;
			/* KV_LINE_MAX bytes and no end: only a get may go on */
			b = p->line;
			while (*(char *)b == ' ')
				b = (char *)b + 1;
			if (get_start(p, b, false) == 0) {
				say(p, S_TOO_LONG);
				p->st = KV_PS_CLOSED;
			} else if (p->st != KV_PS_GET) {
				p->st = KV_PS_CLOSED; /* answered; the line has no end in sight */
			}
			break;
		case KV_PS_GET:
			rc = get_step(p);
			if (rc == KV_PAUSE)
				return off;
			if (rc == KV_CLOSE) {
				p->st = KV_PS_CLOSED;
				return off;
			}
			if (rc == GS_MORE) {
				if (off == len)
					return off;
				if (take_line(p, in + off, len - off, &n))
					p->get_eol = true;
				off += n;
				if (!p->get_eol && p->len == KV_LINE_MAX + 2 &&
				    memchr(p->line, ' ', p->len) == NULL) {
					say(p, S_BAD_FORMAT);
					p->st = KV_PS_CLOSED;
				}
			}
			break;
		case KV_PS_REQ:
			rc = p->ops->request(p->arg, &p->req);
			if (rc == KV_PAUSE)
				return off;
			if (rc == KV_CLOSE)
				p->st = KV_PS_CLOSED;
			else
				to_line(p);
			break;
		case KV_PS_BEGIN:
			rc = KV_OK;
			b = p->ops->store_begin(p->arg, &p->req, &rc);
			if (rc == KV_PAUSE)
				return off;
			if (rc == KV_CLOSE) {
				p->st = KV_PS_CLOSED;
				return off;
			}
			p->buf = b;
			p->dst = b;
			p->left = b != NULL ? p->req.nbytes : (uint64_t)p->req.nbytes + 2;
			p->st = b != NULL ? KV_PS_DATA : KV_PS_SWALLOW;
			p->cr = false;
			p->crlf_bad = false;
			break;
		case KV_PS_DATA:
		case KV_PS_SWALLOW:
			n = len - off < p->left ? len - off : (size_t)p->left;
			if (p->dst != NULL) {
				memcpy(p->dst, in + off, n);
				p->dst += n;
			}
			off += n;
			p->left -= n;
			if (p->left > 0)
				return off;
			if (p->st == KV_PS_SWALLOW)
				to_line(p);
			else
				p->st = KV_PS_CRLF;
			break;
		case KV_PS_CRLF:
			if (off == len)
				return off;
			if (!p->cr) {
				p->crlf_bad = in[off++] != '\r';
				p->cr = true;
				break;
			}
			p->crlf_bad |= in[off++] != '\n';
			if (p->crlf_bad) {
				say(p, S_BAD_CHUNK);
				b = kv_proto_take_buf(p);
				p->ops->store_end(p->arg, &p->req, b, false);
				p->st = KV_PS_CLOSED;
				return off;
			}
			p->st = KV_PS_END;
			break;
		case KV_PS_END:
			rc = p->ops->store_end(p->arg, &p->req, p->buf, true);
			if (rc == KV_PAUSE)
				return off;
			p->buf = NULL;
			if (rc == KV_CLOSE)
				p->st = KV_PS_CLOSED;
			else
				to_line(p);
			break;
		}
	}
}
