/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice-gen TCP request/response load (--proto memcached | http) on
 * sluice's own TCP stack, run by one lcore that owns the stack context.
 *
 * The lcore opens --conns connections (stk_tcp_connect()), keeps up to
 * --pipeline requests outstanding on each, and matches every reply with
 * the oldest request of its connection: the round trip (request queued to
 * reply complete) goes into a gen_hist, the reply is checked (memcached:
 * a get returns what this run set, or a miss before the first set of that
 * key was acknowledged; HTTP: status 200, Content-Length framing, the same
 * body every time) and every failure is counted by name. Paced (--rate):
 * requests are due on the TSC schedule of gen_pace and go to the next
 * connection with room; max rate: every reply is followed by the next
 * request on its connection.
 *
 * Everything here runs on the owning lcore: no lock, no allocation after
 * gen_tcp_create(), no log line per request.
 */
#ifndef GEN_TCP_H
#define GEN_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gen_hist.h"
#include "gen_pace.h"
#include "gen_proto.h"
#include "stk.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Counters: field, name in the report, 1 if it is a correctness error. */
#define GEN_TCP_COUNTERS(X)                                                                        \
	X(sent, "requests_sent", 0)                                                                \
	X(completed, "responses", 0)                                                               \
	X(send_blocked, "send_blocked", 0) /* times due requests found no connection with room */  \
	X(slots_skipped, "pacing_slots_skipped", 0) /* paced: due more than max lag behind */      \
	X(conns_opened, "conns_opened", 0)                                                         \
	X(conns_reopened, "conns_reopened", 0)                                                     \
	X(server_closes, "server_announced_closes", 0) /* HTTP "Connection: close" */              \
	X(lost_announced, "requests_lost_after_announced_close", 0)                                \
	X(mc_gets, "gets", 0)                                                                      \
	X(mc_sets, "sets", 0)                                                                      \
	X(mc_hits, "get_hits", 0)                                                                  \
	X(mc_misses, "get_misses", 0)                                                              \
	X(mc_stored, "stored", 0)                                                                  \
	X(prefill_sets, "prefill_sets", 0)                                                         \
	X(prefill_stored, "prefill_stored", 0)                                                     \
	X(http_ok, "http_200", 0)                                                                  \
	X(conn_failed, "conns_failed", 1) /* refused, unreachable or timed out opening */          \
	X(conn_dropped, "conns_dropped_by_server", 1) /* RST, FIN or timeout while in use */       \
	X(lost, "requests_lost", 1)		/* outstanding when their connection ended */      \
	X(unanswered, "requests_unanswered", 1) /* still outstanding after --drain-ms */           \
	X(send_failed, "send_failed", 1)	/* stk_tcp_send() refused a request */             \
	X(bad_stream, "unparseable_replies", 1) /* framing lost: connection dropped */             \
	X(unsolicited, "replies_without_request", 1)                                               \
	X(wrong_kind, "replies_of_the_wrong_kind", 1) /* STORED to a get, VALUE to a set... */     \
	X(mc_wrong_key, "get_wrong_key_or_flags", 1)                                               \
	X(mc_corrupt, "get_value_corrupt", 1)                                                      \
	X(mc_foreign, "get_value_of_another_run", 1)                                               \
	X(mc_stale, "get_value_stale", 1) /* older than an acknowledged set */                     \
	X(mc_miss_after_set, "get_miss_after_set", 1)                                              \
	X(mc_not_stored, "set_not_stored", 1)                                                      \
	X(mc_error, "error_replies", 1) /* ERROR, CLIENT_ERROR, SERVER_ERROR */                    \
	X(http_status, "http_status_not_200", 1)                                                   \
	X(http_body, "http_body_differs", 1)

struct gen_tcp_stats {
#define GEN_TCP_FIELD(f, name, err) uint64_t f;
	GEN_TCP_COUNTERS(GEN_TCP_FIELD)
#undef GEN_TCP_FIELD
	uint64_t t_start, t_end;	     /**< TSC: load started / stopped sending */
	uint64_t prefill_start, prefill_end; /**< TSC: --prefill began / ended */
	uint64_t stalls, stall_ticks, max_gap;
	uint64_t rx_pkts;
	uint64_t busy_ticks;	 /**< loop iterations that received or sent (TSC) */
	const char *first_error; /**< what the first error was (static text) */
};

struct gen_tcp_conf {
	enum gen_proto_id proto;
	uint32_t dst_ip; /**< network order */
	uint16_t dst_port;
	uint32_t conns;
	uint32_t depth;
	uint32_t keys;
	uint32_t value_size;
	uint32_t get_permille; /**< gets per 1000 requests */
	const char *http_path;
	const char *http_host;
	uint64_t rate;	/**< requests/s; 0 = max */
	uint64_t count; /**< requests in all; 0 = unbounded */
	uint64_t hz;
	uint32_t drain_ms;
	uint32_t burst;
	uint32_t run_id;	 /**< written into every value */
	bool prefill;		 /**< memcached: set every key once before the load */
	uint64_t duration_ticks; /**< the load's length (after the prefill); 0 = by count */
};

struct gen_tcp;

/** Allocate on @p socket; NULL if no memory. The stack must have TCP on. */
struct gen_tcp *gen_tcp_create(const struct gen_tcp_conf *conf, struct stk_ctx *stk, int socket);
void gen_tcp_free(struct gen_tcp *g);

/** Open connection 0 only (the probe while resolving ARP). */
int gen_tcp_open_first(struct gen_tcp *g);
/** State of connection 0: 1 established, -1 failed (why in *reason), 0 not yet. */
int gen_tcp_first_state(const struct gen_tcp *g, const char **reason);

/** Start the load at @p now: open the other connections, pacing from now. */
void gen_tcp_start(struct gen_tcp *g, uint64_t now);

/** The receive time of the burst about to enter the stack. */
void gen_tcp_set_now(struct gen_tcp *g, uint64_t now);

/**
 * Once per loop iteration: paced sends, the end of sending (@p stop, or
 * --count reached), the drain and the closing. @return true when done.
 */
bool gen_tcp_poll(struct gen_tcp *g, uint64_t now, bool stop);

const struct gen_tcp_stats *gen_tcp_stats(const struct gen_tcp *g);
struct gen_tcp_stats *gen_tcp_stats_w(struct gen_tcp *g);
const struct gen_hist *gen_tcp_hist(const struct gen_tcp *g);
uint64_t gen_tcp_errors(const struct gen_tcp_stats *s);

/** The report's TCP part: one line per non-zero counter group. */
void gen_tcp_report_text(const struct gen_tcp_conf *conf, const struct gen_tcp_stats *s,
			 const struct gen_hist *h, uint64_t hz, FILE *out);
/** JSON members (no braces): "requests", "latency_ns", "checks", "errors". */
void gen_tcp_report_json(const struct gen_tcp_conf *conf, const struct gen_tcp_stats *s,
			 const struct gen_hist *h, uint64_t hz, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* GEN_TCP_H */
