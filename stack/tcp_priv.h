/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP internals shared by tcp.c, tcp_input.c, tcp_output.c and
 * tcp_timer.c: the connection, the per-context TCP state, sequence
 * arithmetic and the helpers the four files call in each other.
 */
#ifndef STK_TCP_PRIV_H
#define STK_TCP_PRIV_H

#include <rte_hash.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>

#include "stk_priv.h"
#include "stk_tcp.h"

#define TCP_HLEN ((uint16_t)sizeof(struct rte_tcp_hdr))
#define TCP_OPT_MAX 40
#define TCP_HDRS (STK_ETH_HLEN + STK_IP4_HLEN + TCP_HLEN)

#define TH_FIN RTE_TCP_FIN_FLAG
#define TH_SYN RTE_TCP_SYN_FLAG
#define TH_RST RTE_TCP_RST_FLAG
#define TH_PSH RTE_TCP_PSH_FLAG
#define TH_ACK RTE_TCP_ACK_FLAG
#define TH_URG RTE_TCP_URG_FLAG

#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WS 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

#define TCP_MAX_WSCALE 14   /* RFC 7323 2.3 */
#define TCP_MSS_DEFAULT 536 /* RFC 9293 3.7.1, MUST-15 */
#define TCP_DUPTHRESH 3	    /* RFC 5681 3.2 */
#define TCP_SACK_SCORE 8    /* SACKed ranges remembered per connection */
#define TCP_SACK_RX_MAX 4   /* blocks one segment can carry */
#define TCP_RXT_MARKS 4	    /* retransmission batches remembered (lost-rexmit detection) */
#define TCP_MAX_LISTENERS 32
#define TCP_WHEEL_SLOTS 1024u /* power of two */
#define TCP_WHEEL_TICK_MS 1
#define TCP_TS_IDLE_MS (24ULL * 24 * 3600 * 1000) /* RFC 7323 5.5: 24 days */
#define TCP_PERSIST_MAX_MS 60000
#define TCP_TLP_DELACK_MS 200 /* RFC 8985 7.2: WCDelAckT, the peer's worst delayed ACK */
#define TCP_TLP_MIN_MS 10     /* PTO floor: ACK jitter at a sub-ms RTT is no loss */

/* Sequence space comparisons (RFC 9293 3.4): modulo 2^32. */
static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool
seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool
seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
static inline uint32_t
seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}
static inline uint32_t
seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

/* RTE_MIN/RTE_MAX nested shadow their own locals */
static inline uint32_t
u32_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}
static inline uint32_t
u32_max(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Options of one received segment. */
#define TOPT_MSS 0x01
#define TOPT_WS 0x02
#define TOPT_SACK_PERM 0x04
#define TOPT_TS 0x08
#define TOPT_SACK 0x10

struct tcp_sack_blk {
	uint32_t start;
	uint32_t end;
};

/* Retransmissions of [start, end) sent while SND.MAX was @fence: data from
 * @fence on was first sent after them. */
struct tcp_rxt_mark {
	uint32_t start;
	uint32_t end;
	uint32_t fence;
};

struct tcp_opts {
	uint8_t present;
	uint8_t wscale;
	uint8_t n_sack;
	uint16_t mss;
	uint32_t tsval;
	uint32_t tsecr;
	struct tcp_sack_blk sack[TCP_SACK_RX_MAX];
};

/* A received segment, parsed. */
struct tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t len; /* payload bytes */
	uint32_t wnd; /* raw window field */
	uint16_t urp; /* raw urgent pointer field */
	uint8_t flags;
	struct tcp_opts opt;
};

/* Per-connection timers share one wheel entry, armed at the earliest of
 * their deadlines (0 = off). */
enum tcp_timer_kind {
	TT_RTX,	   /* retransmission, persist when the window is closed, or the
		    * loss probe (CF_PTO) */
	TT_REO,	   /* RFC 8985 reordering window: a hole below SACKed data is lost */
	TT_DELACK, /* delayed ACK */
	TT_KEEP,   /* keepalive */
	TT_END,	   /* TIME-WAIT 2MSL, FIN-WAIT-2 after close */
	TT_N,
};

struct tcp_tmr {
	struct tcp_tmr *next;
	struct tcp_tmr **pprev; /* NULL: not on the wheel */
	uint64_t tick;		/* wheel tick it fires at */
};

/* Hash key, network byte order. */
struct tcp_key {
	uint32_t lip;
	uint32_t rip;
	uint16_t lport;
	uint16_t rport;
};

/* Link of an mbuf in a connection's out-of-order queue (dynamic field). */
struct tcp_mb {
	struct rte_mbuf *next;
	uint32_t seq;
	uint32_t fin; /* a FIN follows the segment's last byte */
};

extern int stk_tcp_mb_off;

static inline struct tcp_mb *
tcp_mb(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, stk_tcp_mb_off, struct tcp_mb *);
}

/* connection flags */
#define CF_ACTIVE 0x00000001u	  /* active open */
#define CF_ATTACHED 0x00000002u	  /* the service holds the handle */
#define CF_DEAD 0x00000004u	  /* closed; freed when the stack is not busy */
#define CF_ACK_NOW 0x00000008u	  /* send an ACK at the end of this event */
#define CF_DELACK 0x00000010u	  /* an ACK is owed, delayed */
#define CF_FIN_QUEUED 0x00000020u /* shutdown: FIN after the queued data */
#define CF_NODELAY 0x00000040u
#define CF_KEEPALIVE 0x00000080u
#define CF_TS 0x00000100u	/* timestamps in use */
#define CF_SACK 0x00000200u	/* SACK permitted both ways */
#define CF_RECOVERY 0x00000400u /* fast recovery (RFC 6582 / 6675) */
#define CF_RTT 0x00000800u	/* timing rtt_seq (no timestamps) */
#define CF_PERSIST 0x00001000u	/* TT_RTX is the persist timer */
#define CF_MAC 0x00002000u	/* peer_mac known (passive open) */
#define CF_TW_LIST 0x00004000u
#define CF_HALF_OPEN 0x00008000u /* counted in its listener's n_synrcvd */
#define CF_NOTIFY_SENT 0x00010000u
#define CF_FIN_RCVD 0x00020000u
#define CF_WS 0x00040000u
#define CF_AFTER_RTO 0x00080000u /* RFC 6582 4.1: recover was set by a timeout */
#define CF_RCV_UP 0x00100000u	 /* rcv_up is ahead of what was delivered */
#define CF_SND_UP 0x00200000u	 /* snd_up is set (urgent data not all acknowledged) */
#define CF_RESCUED 0x00400000u	 /* RFC 6675 4 rule 4: rescue retransmission sent */
#define CF_PTO 0x00800000u	 /* TT_RTX is the loss probe timer (RFC 8985 7.2) */
#define CF_TLP 0x01000000u	 /* a loss probe is out, its episode unresolved */
#define CF_TLP_RXT 0x02000000u	 /* ... and it was a retransmission */

struct stk_tcp_conn {
	struct tcp_key key;
	uint8_t state;
	uint8_t ifx;
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	uint32_t flags;
	uint8_t tos; /* IPv4 TOS byte of what we send: DSCP << 2 (MUST-48) */
	struct stk_ctx *ctx;
	uint16_t mss;	  /* payload bytes per segment we send */
	uint16_t rcv_mss; /* payload bytes per full segment we expect */
	uint16_t lst;	  /* listener index + 1 (passive open), 0 otherwise */
	uint8_t dupacks;
	uint8_t n_sack;
	uint8_t backoff;
	uint8_t ka_probes;
	struct rte_ether_addr peer_mac;
	uint32_t nexthop;

	/* RFC 9293 3.3.1 send and receive sequence variables */
	uint32_t iss;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max; /* highest sequence sent + 1 */
	uint32_t snd_sml; /* end of the last small segment sent (Nagle) */
	uint32_t snd_wnd;
	uint32_t snd_wl1;
	uint32_t snd_wl2;
	uint32_t max_snd_wnd;
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t rcv_adv;     /* right edge of the window we advertised */
	uint32_t rcv_held;    /* delivered, not consumed by the service */
	uint32_t rcv_unacked; /* bytes received since our last ACK */
	uint32_t rcv_up;      /* RFC 9293 3.3.1 RCV.UP, valid with CF_RCV_UP */
	uint32_t snd_up;      /* SND.UP, valid with CF_SND_UP */
	int soft_err;	      /* last ICMP error, -errno (0 = none) */

	/* RFC 7323 */
	uint32_t ts_recent;
	uint32_t ts_off;
	uint32_t last_ack_sent;
	uint64_t ts_recent_time;

	/* congestion control (RFC 5681, 6582, 6675) */
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t recover;
	uint32_t bytes_acked;
	uint32_t high_rxt;
	/* lost retransmissions (tcp_sack_lost_rexmit()): the holes in
	 * [lost_lo, lost_hi) go again before the pass resumes at high_rxt */
	uint32_t lost_lo;
	uint32_t lost_hi;
	uint8_t n_rxt;
	struct tcp_rxt_mark rxt[TCP_RXT_MARKS]; /* oldest first */
	struct tcp_sack_blk sack[TCP_SACK_SCORE];
	/* RFC 8985 7 tail loss probe (CF_TLP): the probe's first byte, and
	 * SND.MAX when it went */
	uint32_t tlp_seq;
	uint32_t tlp_high;

	/* RFC 6298, in clock ticks */
	uint64_t srtt;
	uint64_t rttvar;
	uint64_t rtt_min; /* smallest sample (RFC 8985 reo_wnd), 0 = none */
	uint64_t rto;
	uint64_t rto_due; /* when the RTO fires, while TT_RTX is the PTO */
	uint64_t rtt_start;
	uint32_t rtt_seq;
	uint64_t rtx_start; /* first retransmission of this episode, 0 = none */
	uint64_t last_rx;
	uint64_t chack_start;
	uint32_t chack_n;

	/* send queue: segments linked by m->next, byte 0 is sequence sq_seq */
	struct rte_mbuf *sq_head;
	struct rte_mbuf *sq_tail;
	struct rte_mbuf *sq_cur; /* cursor for the walk to snd_nxt */
	uint32_t sq_cur_seq;
	uint32_t sq_seq;
	uint32_t sq_bytes;
	uint32_t sq_nsegs;
	/* the tail's tailroom is the queue's to fill: decided when the tail
	 * was linked, since references sent out raise its refcnt but never
	 * cover its tailroom */
	bool sq_tail_w;

	/* out-of-order queue, sorted by sequence */
	struct rte_mbuf *ooo;
	uint32_t ooo_bytes;
	uint32_t ooo_nsegs;
	uint32_t ooo_last; /* sequence of the last segment queued (first SACK block) */

	const struct stk_tcp_ops *ops;
	void *arg;

	struct tcp_tmr tmr;
	uint64_t deadline[TT_N];
	struct stk_tcp_conn *tw_next;
	struct stk_tcp_conn *tw_prev;
	struct stk_tcp_conn *reap_next;
	uint32_t idx;
};

struct tcp_listener {
	uint16_t port;
	bool used;
	const struct stk_tcp_ops *ops;
	void *arg;
	uint32_t n_synrcvd;
};

struct stk_tcp {
	struct stk_ctx *ctx;
	struct rte_hash *hash;
	struct stk_tcp_conn *conns;
	uint32_t n_slots;
	uint32_t n_conns;
	uint32_t max_conns;
	uint32_t state_count[STK_TCP_NSTATES];

	/* configuration, times in clock ticks */
	uint64_t tw_ticks;
	uint64_t fw2_ticks;
	uint64_t r2_ticks;
	uint64_t r2_syn_ticks;
	uint64_t rto_init;
	uint64_t rto_min;
	uint64_t rto_max;
	uint64_t delack_ticks;
	uint64_t ka_idle;
	uint64_t ka_intvl;
	uint64_t ms_ticks; /* ticks per millisecond, at least 1 */
	uint64_t ts_idle_ticks;
	uint32_t ka_probes;
	uint32_t sndbuf;
	uint32_t rcvbuf;
	uint32_t ooo_max_bytes;
	uint32_t ooo_max_segs;
	uint32_t syn_backlog;
	uint32_t chack_per_s;
	uint16_t port_lo;
	uint16_t port_hi;
	/* per ephemeral port: tcp_ms_now() + 1 when an active open last took
	 * it, 0 never (see tcp_ephemeral_port()) */
	uint32_t *port_used_ms;
	uint32_t port_reuse_ms; /* a port is "recent" for this long (2 MSL) */
	uint16_t seg_room; /* most payload one segment mbuf holds */
	uint32_t tx_copy_max; /* longer payloads are sent by reference */
	uint8_t rcv_wscale;
	bool keepalive;
	bool nodelay;
	bool ts;
	bool sack;
	bool ws;
	stk_tcp_port_ok_fn port_ok;
	void *port_ok_arg;

	/* timer wheel, one tick per millisecond */
	uint64_t wheel_tick_ticks;
	uint64_t wheel_cur;
	struct tcp_tmr *wheel[TCP_WHEEL_SLOTS];

	/* TIME-WAIT, oldest first */
	uint32_t n_tw;
	uint32_t max_tw;
	struct stk_tcp_conn *tw_head;
	struct stk_tcp_conn *tw_tail;

	/* connections closed while the stack was using them */
	int busy;
	struct stk_tcp_conn *reap;

	uint64_t isn_key[2];
	uint64_t ts_key[2];
	uint64_t cookie_key[2];
	bool syncookies;

	struct tcp_listener lst[TCP_MAX_LISTENERS];
	uint8_t lst_idx[UINT16_MAX + 1]; /* 0 = none, else index + 1 */
};

/* tcp.c */
uint64_t stk_tcp_siphash(const uint64_t key[2], const void *data, size_t len);
struct stk_tcp_conn *tcp_conn_lookup(struct stk_tcp *tcp, const struct tcp_key *k);
struct stk_tcp_conn *tcp_conn_new(struct stk_tcp *tcp, const struct tcp_key *k);
void tcp_conn_free(struct stk_tcp *tcp, struct stk_tcp_conn *c);
void tcp_conn_done(struct stk_tcp_conn *c);
void tcp_set_state(struct stk_tcp_conn *c, uint8_t state);
void tcp_reap(struct stk_tcp *tcp);
void tcp_time_wait(struct stk_tcp_conn *c);
bool tcp_make_room(struct stk_tcp *tcp);
uint32_t tcp_isn(const struct stk_tcp *tcp, const struct tcp_key *k);
uint32_t tcp_cookie_make(const struct stk_tcp *tcp, const struct tcp_key *k, uint32_t irs,
			 uint16_t mss);
uint16_t tcp_cookie_check(const struct stk_tcp *tcp, const struct tcp_key *k, uint32_t irs,
			  uint32_t cookie);
void tcp_conn_init_common(struct stk_tcp_conn *c);
void tcp_half_open_done(struct stk_tcp *tcp, struct stk_tcp_conn *c);
void tcp_notify_close(struct stk_tcp_conn *c, enum stk_tcp_close_reason why);
uint32_t tcp_sq_ack(struct stk_tcp_conn *c, uint32_t ack);
void tcp_sq_copy(struct stk_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t *dst);
unsigned int tcp_sq_ref(struct stk_tcp_conn *c, uint32_t seq, uint32_t len, unsigned int max,
			struct rte_mbuf **head);
uint32_t tcp_ms_now(const struct stk_ctx *ctx);
void tcp_ts_key_init(uint64_t key[2]);
uint32_t tcp_ts_offset(const struct stk_tcp *tcp, const struct tcp_key *k);
struct rte_mbuf *tcp_chain_adj(struct rte_mbuf *m, uint32_t n);
void tcp_ooo_purge(struct stk_tcp_conn *c);
uint32_t tcp_rcv_space(const struct stk_tcp_conn *c);

/* tcp_input.c */
int tcp_parse_options(const uint8_t *p, uint32_t len, bool syn, struct tcp_opts *o);
bool tcp_enter_recovery(struct stk_tcp_conn *c);

/* tcp_output.c */
void tcp_output(struct stk_tcp_conn *c);
void tcp_output_force(struct stk_tcp_conn *c);
int tcp_send_syn(struct stk_tcp_conn *c);
void tcp_send_ack(struct stk_tcp_conn *c);
void tcp_send_rst(struct stk_tcp_conn *c);
void tcp_send_probe(struct stk_tcp_conn *c);
void tcp_reply_rst(struct stk_ctx *ctx, const struct stk_if *ifx, const struct rte_mbuf *m,
		   const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, uint32_t seg_len);
void tcp_reply_synack(struct stk_ctx *ctx, const struct stk_if *ifx, const struct rte_mbuf *m,
		      const struct rte_ipv4_hdr *ip, const struct rte_tcp_hdr *th, uint32_t iss,
		      uint16_t mss, uint16_t wnd);
int tcp_rexmit(struct stk_tcp_conn *c, uint32_t seq, uint32_t len);
void tcp_rxt_sent(struct stk_tcp_conn *c, uint32_t seq, uint32_t len);
void tcp_sack_lost_rexmit(struct stk_tcp_conn *c, uint32_t high);
uint32_t tcp_flight_size(const struct stk_tcp_conn *c);
bool tcp_send_tlp(struct stk_tcp_conn *c);
uint16_t tcp_adv_mss(const struct stk_tcp_conn *c);

/* tcp_timer.c */
void tcp_timer_set(struct stk_tcp_conn *c, enum tcp_timer_kind k, uint64_t deadline);
void tcp_timer_clear(struct stk_tcp_conn *c, enum tcp_timer_kind k);
void tcp_timer_cancel_all(struct stk_tcp_conn *c);
void tcp_rtx_arm(struct stk_tcp_conn *c);
void tcp_pto_rearm(struct stk_tcp_conn *c);
void tcp_rtt_sample(struct stk_tcp_conn *c, uint64_t rtt);
void tcp_rto_reset(struct stk_tcp_conn *c);
uint64_t tcp_reo_wnd(const struct stk_tcp_conn *c);
void tcp_tlp_loss(struct stk_tcp_conn *c);
void tcp_keep_arm(struct stk_tcp_conn *c);

/* Begin/end of stack work on connections: frees are deferred to the end. */
static inline void
tcp_enter(struct stk_tcp *tcp)
{
	tcp->busy++;
}

static inline void
tcp_leave(struct stk_tcp *tcp)
{
	if (--tcp->busy == 0 && tcp->reap != NULL)
		tcp_reap(tcp);
}

/* The TX flush owed after an API call made outside a receive burst. */
static inline void
tcp_api_flush(struct stk_ctx *ctx)
{
	if (!ctx->in_burst && ctx->tcp->busy == 0)
		stk_flush(ctx);
}

/* RFC 9293 3.7.1: the MSS an interface lets us announce (MMS_R) */
static inline uint16_t
tcp_if_mss(const struct stk_if *ifx)
{
	return (uint16_t)(ifx->mtu - STK_IP4_HLEN - TCP_HLEN);
}

/* RFC 5681 3.1: the initial window for a sender MSS */
static inline uint32_t
tcp_initial_cwnd(uint32_t mss)
{
	return mss > 2190 ? 2 * mss : mss > 1095 ? 3 * mss : 4 * mss;
}

static inline bool
tcp_synchronized(uint8_t state)
{
	return state >= STK_TCP_ESTABLISHED;
}

/* States in which data of ours may be in flight or go out: ESTABLISHED,
 * FIN-WAIT-1, CLOSE-WAIT, CLOSING, LAST-ACK. */
static inline bool
tcp_sends_data(uint8_t state)
{
	return state == STK_TCP_ESTABLISHED || state == STK_TCP_FIN_WAIT_1 ||
	       state == STK_TCP_CLOSE_WAIT || state == STK_TCP_CLOSING ||
	       state == STK_TCP_LAST_ACK;
}

#endif /* STK_TCP_PRIV_H */
