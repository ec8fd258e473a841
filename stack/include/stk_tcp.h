/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice TCP (RFC 9293): one table of connections per stack context,
 * share-nothing, run by the lcore that owns the context.
 *
 * A service either listens (stk_tcp_listen()) or opens connections
 * (stk_tcp_connect()); the stack calls the service back through a struct
 * stk_tcp_ops table:
 *
 * - on_accept: a passive open completed the three-way handshake;
 * - on_connected: an active open did;
 * - on_data: in-order bytes arrived, as a chain of mbufs holding payload
 *   only (no copy); the service owns the chain afterwards. A NULL chain is
 *   the peer's FIN (end of stream; the service may still send);
 * - on_sent: acknowledged data left the send queue, room was freed;
 * - on_urgent: the peer's urgent pointer moved ahead (RFC 9293 3.8.5);
 * - on_close: the connection ended (orderly, reset, timed out or aborted);
 *   the handle is invalid once it returns.
 *
 * Handles stay valid from on_accept/on_connected (or a successful
 * stk_tcp_connect()) until on_close returns or the service calls
 * stk_tcp_close() or stk_tcp_abort(): after those two the service gets no
 * more callbacks for that connection and must forget the handle.
 *
 * Every function may be called only on the lcore that owns the context,
 * from inside a callback or outside one (outside a receive burst, what the
 * call sends leaves at once; inside, at the end of the burst). Callbacks
 * must not block, and run on the data path: no allocation, lock, syscall or
 * log line per call.
 */
#ifndef STK_TCP_H
#define STK_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

struct stk_ctx;
struct stk_tcp_conn;

/** Connection states (RFC 9293 3.3.2). */
#define STK_TCP_STATES(X)                                                                          \
	X(CLOSED, "closed")                                                                        \
	X(LISTEN, "listen")                                                                        \
	X(SYN_SENT, "syn_sent")                                                                    \
	X(SYN_RECEIVED, "syn_received")                                                            \
	X(ESTABLISHED, "established")                                                              \
	X(FIN_WAIT_1, "fin_wait_1")                                                                \
	X(FIN_WAIT_2, "fin_wait_2")                                                                \
	X(CLOSE_WAIT, "close_wait")                                                                \
	X(CLOSING, "closing")                                                                      \
	X(LAST_ACK, "last_ack")                                                                    \
	X(TIME_WAIT, "time_wait")

enum stk_tcp_state {
#define STK_TCP_STATE_ENUM(id, name) STK_TCP_##id,
	STK_TCP_STATES(STK_TCP_STATE_ENUM)
#undef STK_TCP_STATE_ENUM
		STK_TCP_NSTATES
};

/** Name of a state, e.g. "established"; NULL if out of range. */
const char *stk_tcp_state_name(enum stk_tcp_state s);

/** Why on_close() was called. */
enum stk_tcp_close_reason {
	/** Orderly: both FINs exchanged and ours acknowledged. */
	STK_TCP_CLOSE_FIN,
	/** The peer reset the connection, or refused our SYN. */
	STK_TCP_CLOSE_RST,
	/** Retransmissions unanswered for R2 (or the SYN's R2), or keepalive
	 *  probes unanswered. */
	STK_TCP_CLOSE_TIMEOUT,
	/** stk_tcp_abort_all() (shutdown of the lcore). */
	STK_TCP_CLOSE_ABORT,
	/** An ICMP destination unreachable with a hard code (protocol or
	 *  port unreachable, host unknown, administratively prohibited...)
	 *  answered our SYN (RFC 1122 4.2.3.9); stk_tcp_soft_error() in
	 *  on_close tells which, as -errno (-ECONNREFUSED for a closed port). */
	STK_TCP_CLOSE_UNREACH,
};

/** A connection's addresses: IPs in network byte order, ports in host order. */
struct stk_tcp_tuple {
	uint32_t local_ip;
	uint32_t remote_ip;
	uint16_t local_port;
	uint16_t remote_port;
};

/**
 * May an active open use this tuple (its local port was just drawn at
 * random, RFC 6056)? Lets the loop keep a connection on the lcore whose RX
 * queue the reply hashes to (RSS). NULL: any free port.
 */
typedef bool (*stk_tcp_port_ok_fn)(void *arg, const struct stk_tcp_tuple *t);

/**
 * Default stk_tcp_conf.tx_copy_max (a build may override it). With the
 * TCP checksum computed in software the payload is read for it anyway,
 * and a copy of up to 1460 bytes (a 1500-byte MTU's worth) hot in cache
 * measured cheaper than the indirect mbuf that references it (allocation,
 * attach, refcounts, detach): 6-21 % more cycles per 128..1460-byte
 * request/response by reference (sluice-tcp-bench --copy-wire, whose
 * frames are copied as memif, af_packet and tap copy them), and 6 % less
 * throughput over memif with 1 MiB windows. Longer payloads (larger MTUs)
 * go by reference.
 */
#ifndef STK_TCP_TX_COPY_MAX
#define STK_TCP_TX_COPY_MAX 1460
#endif

/** TCP settings of a stack context (part of struct stk_conf). 0 picks the
 *  default given for each field unless said otherwise. */
struct stk_tcp_conf {
	/** Connections per context, TIME-WAIT included; 0 = TCP off (segments
	 *  get ICMP protocol unreachable, as before). */
	uint32_t max_conns;
	uint32_t max_time_wait;	      /**< TIME-WAIT entries (default max_conns / 4) */
	uint32_t time_wait_ms;	      /**< 2 MSL (default 60000) */
	uint32_t fin_wait_2_ms;	      /**< FIN-WAIT-2 after close() (default time_wait_ms) */
	uint32_t r2_ms;		      /**< give up retransmitting after (default 100000) */
	uint32_t r2_syn_ms;	      /**< the same for SYNs, at least 180000 (RFC 9293 MUST-23) */
	uint32_t rto_min_ms;	      /**< lower bound of RTO (default 1000, RFC 6298 2.4) */
	uint32_t rto_max_ms;	      /**< upper bound of RTO (default 60000) */
	uint32_t delack_ms;	      /**< delayed ACK, 1..200 (default 40) */
	uint32_t sndbuf;	      /**< send queue bytes per connection (default 65536) */
	uint32_t rcvbuf;	      /**< receive window bytes (default 65536) */
	uint32_t ooo_max_bytes;	      /**< out-of-order bytes held (default rcvbuf) */
	uint32_t ooo_max_segs;	      /**< out-of-order segments held (default 64) */
	uint32_t syn_backlog;	      /**< SYN-RECEIVED per listener (default 256) */
	uint32_t challenge_ack_per_s; /**< RFC 5961 7 (default 10 per connection) */
	bool keepalive;		      /**< default for new connections (RFC 9293 MUST-25: off) */
	uint32_t keepalive_idle_s;    /**< idle before the first probe (default 7200) */
	uint32_t keepalive_intvl_s;   /**< between probes (default 75) */
	uint32_t keepalive_probes;    /**< unanswered probes before giving up (default 9) */
	bool nodelay;		      /**< Nagle off for new connections (default on = false) */
	bool no_timestamps;	      /**< do not offer RFC 7323 timestamps */
	bool no_sack;		      /**< do not offer SACK (RFC 2018) */
	bool no_wscale;		      /**< do not offer window scaling (RFC 7323) */
	/** A segment carrying at most this many payload bytes gets them copied
	 *  behind its headers; a longer one references the send queue's mbufs
	 *  (indirect mbufs, zero copy) on interfaces with tx_max_segs >= 2.
	 *  Default STK_TCP_TX_COPY_MAX. */
	uint32_t tx_copy_max;
	/** Past syn_backlog, drop SYNs (tcp_syn_backlog) instead of answering
	 *  with SYN cookies (RFC 4987 3.6, the default). */
	bool no_syncookies;
	uint16_t port_lo, port_hi;  /**< ephemeral range (default 49152..65535) */
	stk_tcp_port_ok_fn port_ok; /**< optional, see stk_tcp_port_ok_fn */
	void *port_ok_arg;
};

/** What the stack calls; any member may be NULL. */
struct stk_tcp_ops {
	/**
	 * A passive open reached ESTABLISHED. @p listen_arg is the listener's
	 * arg; set *conn_arg to what later callbacks receive. Return 0 to keep
	 * the connection, a negative errno to refuse it (the stack resets it).
	 * NULL on_accept accepts with conn_arg = listen_arg.
	 */
	int (*on_accept)(void *listen_arg, struct stk_tcp_conn *c, void **conn_arg);
	/** An active open reached ESTABLISHED. */
	void (*on_connected)(void *conn_arg, struct stk_tcp_conn *c);
	/**
	 * @p len in-order bytes in the chain @p m (payload only, pkt_len ==
	 * len), which the service now owns (free it, keep it or pass it to
	 * stk_tcp_send_mbuf()). Return how many of the bytes are consumed:
	 * the others stay charged against the receive window until
	 * stk_tcp_recved() (flow control back to the peer). @p m NULL, @p len
	 * 0: the peer closed its direction (FIN); return 0.
	 * NULL on_data: data is freed and consumed.
	 */
	uint32_t (*on_data)(void *conn_arg, struct stk_tcp_conn *c, struct rte_mbuf *m,
			    uint32_t len);
	/** Acknowledged data left the send queue; @p space bytes are free. */
	void (*on_sent)(void *conn_arg, struct stk_tcp_conn *c, uint32_t space);
	/** The connection ended; @p c is invalid after this returns. Inside,
	 *  stk_tcp_soft_error() still answers: after a TIMEOUT it tells what
	 *  the network reported, if anything (RFC 9293 MUST-47). */
	void (*on_close)(void *conn_arg, struct stk_tcp_conn *c, enum stk_tcp_close_reason why);
	/**
	 * Urgent data (RFC 9293 3.8.5, MUST-32): the peer's urgent pointer
	 * appeared or moved ahead. The urgent data ends @p pending bytes
	 * after the last byte on_data delivered so far; the bytes themselves
	 * stay in the stream and arrive through on_data as usual (in line,
	 * RFC 6093). Called before on_data of the same segment. The service
	 * may call any function here, close and abort included.
	 */
	void (*on_urgent)(void *conn_arg, struct stk_tcp_conn *c, uint32_t pending);
};

/**
 * Accept connections to local @p port (host order) on every interface of
 * @p ctx. New connections use @p ops; on_accept gets @p arg.
 * @return 0, -EINVAL, -EEXIST, -ENOSPC, or -ENOTSUP if TCP is off.
 */
int stk_tcp_listen(struct stk_ctx *ctx, uint16_t port, const struct stk_tcp_ops *ops, void *arg);

/** Stop accepting on @p port; connections already open go on. 0 or -ENOENT. */
int stk_tcp_unlisten(struct stk_ctx *ctx, uint16_t port);

/**
 * Active open (RFC 9293 3.10.1) to @p dst_ip (network order) : @p dst_port
 * from @p src_port, or from an ephemeral port (RFC 6056) if 0. The SYN
 * leaves now; on_connected (or on_close) follows. *out gets the handle.
 * @return 0, -EINVAL (bad address or port, RFC 9293 MUST-46), -ENETUNREACH,
 *         -EADDRINUSE (tuple taken or no ephemeral port left), -ENOSPC
 *         (table full), -ENOBUFS (no mbuf for the SYN) or -ENOTSUP.
 */
int stk_tcp_connect(struct stk_ctx *ctx, uint32_t dst_ip, uint16_t dst_port, uint16_t src_port,
		    const struct stk_tcp_ops *ops, void *arg, struct stk_tcp_conn **out);

/**
 * Copy up to @p len bytes of @p data into the send queue (bounded by
 * sndbuf) and send what the window, Nagle and SWS avoidance allow; from
 * the queue, segments carry the bytes as for stk_tcp_send_mbuf().
 * May be called before on_connected (data waits for the handshake).
 * @return bytes taken (0 when the queue is full: wait for on_sent), or
 *         -ENOTCONN, -EPIPE (after shutdown/close), -ENOBUFS (no mbuf).
 */
int stk_tcp_send(struct stk_tcp_conn *c, const void *data, uint32_t len);

/**
 * Zero copy: queue the payload of the chain @p m as it is.
 *
 * Not copied: the queue keeps the service's mbufs (from any pool; direct,
 * indirect or with external buffers), and on an interface whose port takes
 * chains (stk_if_conf.tx_max_segs >= 2) every segment, retransmissions
 * included, is a header mbuf chained to indirect mbufs pointing into them,
 * cut at any byte and across mbufs. The bytes may still be in a driver's
 * hands after they are acknowledged: each buffer returns to its pool once
 * the queue and every segment sent from it let go, and the service must
 * not write to them after this call.
 *
 * Copied: a chain that fits in the room left in the queue's last buffer
 * (small writes: a header, a line) goes there and @p m is freed at once;
 * a segment's payload goes behind its headers when it is at most
 * tcp.tx_copy_max bytes (STK_TCP_TX_COPY_MAX), on a port without chains,
 * when it would need more pieces than the port takes, or when no mbuf is
 * left for the references.
 *
 * Taken whole when the queue has any room (it may exceed sndbuf by this
 * one call); the stack owns @p m after 0. On error the caller keeps @p m.
 * @return 0, -ENOBUFS (queue full: wait for on_sent), -ENOTCONN, -EPIPE.
 */
int stk_tcp_send_mbuf(struct stk_tcp_conn *c, struct rte_mbuf *m);

/** Bytes stk_tcp_send() would take now. */
uint32_t stk_tcp_send_space(const struct stk_tcp_conn *c);

/**
 * Like stk_tcp_send(), and the bytes taken are urgent (RFC 9293 3.8.5,
 * MUST-30, MUST-31): SND.UP moves to the byte after the last of them
 * (MUST-62), and every segment sent before SND.UP carries URG and the
 * pointer, until the peer acknowledged all of it. The data stays in the
 * stream; a Linux receiver sees its last byte as out-of-band data unless
 * it sets SO_OOBINLINE. @p len 0: what is queued already (e.g. by
 * stk_tcp_send_mbuf()) becomes urgent.
 * @return as stk_tcp_send().
 */
int stk_tcp_send_urgent(struct stk_tcp_conn *c, const void *data, uint32_t len);

/** Bytes of the peer's urgent data not yet delivered through on_data
 *  (RFC 9293 MUST-33); 0 when there are none. */
uint32_t stk_tcp_urgent_pending(const struct stk_tcp_conn *c);

/**
 * The last error the network reported for this connection through ICMP
 * (RFC 9293 SHLD-25, MUST-47; RFC 1122 4.2.3.9), as -errno:
 * -ENETUNREACH, -EHOSTUNREACH, -ECONNREFUSED, -ENOPROTOOPT, -EOPNOTSUPP
 * (source route failed), -EHOSTDOWN, -ENONET, -EPROTO (parameter
 * problem)... 0 if none. Such soft errors never close a synchronized
 * connection; the next acknowledgment of new data clears it.
 */
int stk_tcp_soft_error(const struct stk_tcp_conn *c);

/** The service consumed @p len more of the bytes on_data left charged;
 *  the receive window opens again (RFC 9293 3.8.6.2.2 decides when the
 *  peer is told). */
void stk_tcp_recved(struct stk_tcp_conn *c, uint32_t len);

/** Half-close: send FIN after the queued data; receiving goes on and
 *  on_close(FIN) follows once both sides are done. 0 or -ENOTCONN. */
int stk_tcp_shutdown(struct stk_tcp_conn *c);

/** Close: like shutdown, and detach: no more callbacks, the handle is
 *  invalid on return. Data arriving afterwards resets the connection. */
void stk_tcp_close(struct stk_tcp_conn *c);

/** Abort: send RST, free everything, no callback; handle invalid. */
void stk_tcp_abort(struct stk_tcp_conn *c);

/** Abort every connection a service holds, each with on_close(ABORT);
 *  connections already detached are freed silently. Listeners stay. */
void stk_tcp_abort_all(struct stk_ctx *ctx);

/** Nagle's algorithm (RFC 9293 3.7.4) off (@p on true) or on. */
void stk_tcp_set_nodelay(struct stk_tcp_conn *c, bool on);
/** Differentiated services code point (0..63) of every segment this
 *  connection sends from now on (RFC 9293 MUST-48, RFC 2474); 0 by
 *  default. 0 or -EINVAL. */
int stk_tcp_set_dscp(struct stk_tcp_conn *c, uint8_t dscp);
/** Keepalive (RFC 9293 3.8.4) on or off for this connection. */
void stk_tcp_set_keepalive(struct stk_tcp_conn *c, bool on);
/** Replace the arg later callbacks receive. */
void stk_tcp_set_arg(struct stk_tcp_conn *c, void *arg);

enum stk_tcp_state stk_tcp_get_state(const struct stk_tcp_conn *c);
void stk_tcp_get_tuple(const struct stk_tcp_conn *c, struct stk_tcp_tuple *t);
/** The stack context a connection belongs to. */
struct stk_ctx *stk_tcp_get_ctx(const struct stk_tcp_conn *c);

/** Connections per state (STK_TCP_NSTATES entries); LISTEN counts
 *  listeners. Any thread (one writer; readers tolerate tearing). */
void stk_tcp_state_counts(const struct stk_ctx *ctx, uint32_t *counts);

/** TCP runs in this context (conf max_conns != 0). Any thread. */
bool stk_tcp_enabled(const struct stk_ctx *ctx);

/** mbufs held in send, out-of-order and pending queues. */
uint32_t stk_tcp_mbufs_held(const struct stk_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* STK_TCP_H */
