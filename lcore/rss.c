/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active open and RSS: the stack of lcore L draws an ephemeral port for
 * stk_tcp_connect() (RFC 6056) and asks lc_rss_port_ok() whether the
 * peer's answers will reach L. RTC: the answer's 4-tuple, hashed as the NIC
 * hashes it (Toeplitz, the symmetric key dataplane gives every port),
 * indexes the port's redirection table (RETA); the queue found there must
 * be one L polls. Pipeline: whichever RX lcore receives the segment, the
 * worker that gets it is lc_pipe_worker_of()'s, so the port must make that
 * function name L's worker. A port without RSS, or with one queue, sends
 * everything to one place already: any port will do there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_thash.h>

#include "dp.h"
#include "lc.h"
#include "lc_priv.h"

static struct lc_rss_sel *lc_rss_sels[RTE_MAX_LCORE];
bool lc_rss_sw_port[RTE_MAX_ETHPORTS];
/* What lc_rss_refresh() needs of the lc_conf lc_setup() had. */
static struct {
	uint16_t n_ports, n_map;
	uint16_t port_id[LC_MAX_PORTS];
	uint32_t ip[LC_MAX_PORTS];
	struct lc_map_entry map[LC_MAX_RXQ];
} lc_rss_conf;

uint32_t
lc_rss_hash(const struct stk_tcp_tuple *t)
{
	struct rte_ipv4_tuple in;

	/* What the peer sends: source = remote, destination = local. */
	in.src_addr = rte_be_to_cpu_32(t->remote_ip);
	in.dst_addr = rte_be_to_cpu_32(t->local_ip);
	in.sport = t->remote_port;
	in.dport = t->local_port;
	return rte_softrss((uint32_t *)&in, RTE_THASH_V4_L4_LEN, dp_rss_sym_key);
}

bool
lc_rss_port_ok(void *arg, const struct stk_tcp_tuple *t)
{
	const struct lc_rss_sel *s = arg;
	const struct lc_rss_port *p = NULL;
	uint32_t hash;
	uint16_t i;

	for (i = 0; i < s->n_ports; i++)
		if (s->port[i].ip == t->local_ip) {
			p = &s->port[i];
			break;
		}
	if (p == NULL)
		return true;
	if (s->pipeline) {
		if (s->n_workers <= 1)
			return true;
		if (p->hw_hash)
			hash = lc_rss_hash(t);
		else
			hash = lc_pipe_flow_hash(t->remote_ip, t->local_ip,
						 rte_cpu_to_be_16(t->remote_port),
						 rte_cpu_to_be_16(t->local_port), IPPROTO_TCP);
		return (unsigned int)(((uint64_t)hash * s->n_workers) >> 32) == s->worker;
	}
	if (p->reta_size == 0)
		return true;
	return p->mine[lc_rss_hash(t) % p->reta_size];
}

/* The port's RETA, queue per entry; 0 entries when it has no RSS or one
 * RX queue (everything reaches queue 0, or wherever the driver puts it). */
static int
lc_rss_reta_read(uint16_t port_id, uint16_t *queue, uint16_t *size)
{
	struct rte_eth_rss_reta_entry64 conf[LC_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf rss = {0};
	struct rte_eth_dev_info info;
	uint16_t i;
	int ret;

	*size = 0;
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret != 0)
		return ret;
	if (info.nb_rx_queues <= 1 || info.reta_size == 0)
		return 0;
	if (rte_eth_dev_rss_hash_conf_get(port_id, &rss) != 0 || rss.rss_hf == 0)
		return 0;
	if (info.reta_size > LC_RSS_RETA_MAX)
		return -E2BIG;
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < info.reta_size; i++)
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
	ret = rte_eth_dev_rss_reta_query(port_id, conf, info.reta_size);
	if (ret != 0)
		return ret == -ENOTSUP ? 0 : ret;
	for (i = 0; i < info.reta_size; i++)
		queue[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	*size = info.reta_size;
	return 0;
}

void
lc_rss_sel_fill(struct lc_rss_sel *s, uint16_t port, uint32_t ip, const uint16_t *reta,
		uint16_t reta_size, const struct lc_map_entry *map, uint16_t n_map,
		unsigned int lcore)
{
	struct lc_rss_port *p = &s->port[port];
	bool polled[LC_MAX_RXQ] = {false};
	uint16_t i;

	if (port >= s->n_ports)
		s->n_ports = port + 1;
	p->ip = ip;
	p->reta_size = RTE_MIN(reta_size, (uint16_t)LC_RSS_RETA_MAX);
	p->hw_hash = p->reta_size != 0;
	for (i = 0; i < n_map; i++)
		if (map[i].port == port && map[i].lcore == lcore && map[i].queue < LC_MAX_RXQ)
			polled[map[i].queue] = true;
	for (i = 0; i < p->reta_size; i++)
		p->mine[i] = reta[i] < LC_MAX_RXQ && polled[reta[i]];
}

/* Read every port's RETA and fill each loop's selector from it. */
static void
lc_rss_fill_all(bool quiet)
{
	uint16_t reta[LC_RSS_RETA_MAX], size, p;
	unsigned int lcore;
	int ret;

	for (p = 0; p < lc_rss_conf.n_ports; p++) {
		ret = lc_rss_reta_read(lc_rss_conf.port_id[p], reta, &size);
		if (ret != 0 && !quiet)
			fprintf(stderr,
				"sluice: port %u: cannot read its RSS table (%s); active opens "
				"take any port, and answers may reach another lcore\n",
				p, strerror(-ret));
		if (ret != 0)
			size = 0;
		for (lcore = 0; lcore < RTE_MAX_LCORE; lcore++) {
			if (lc_rss_sels[lcore] == NULL)
				continue;
			lc_rss_sel_fill(lc_rss_sels[lcore], p, lc_rss_conf.ip[p], reta, size,
					lc_rss_conf.map, lc_rss_conf.n_map, lcore);
			if (lc_rss_sw_port[lc_rss_conf.port_id[p]])
				lc_rss_sels[lcore]->port[p].hw_hash = false;
		}
	}
}

void
lc_rss_refresh(void)
{
	lc_rss_fill_all(false);
}

int
lc_rss_attach(const struct lc_conf *conf, unsigned int lcore, bool pipeline, uint16_t worker,
	      uint16_t n_workers, struct stk_conf *sc, char *err, size_t errlen)
{
	struct lc_rss_sel *s;
	uint16_t p;

	/* An explicit hook (tests, embedders) wins. */
	if (sc->tcp.port_ok != NULL || sc->tcp.max_conns == 0)
		return 0;
	s = rte_zmalloc_socket("lc_rss", sizeof(*s), RTE_CACHE_LINE_SIZE, dp_lcore_socket(lcore));
	if (s == NULL) {
		snprintf(err, errlen, "lcore %u: out of memory for its RSS table", lcore);
		return -ENOMEM;
	}
	s->pipeline = pipeline;
	s->worker = worker;
	s->n_workers = n_workers;
	lc_rss_conf.n_ports = RTE_MIN(conf->n_ports, (uint16_t)LC_MAX_PORTS);
	for (p = 0; p < lc_rss_conf.n_ports; p++) {
		lc_rss_conf.port_id[p] = conf->ifs[p].port_id;
		lc_rss_conf.ip[p] = conf->ifs[p].ip;
	}
	lc_rss_conf.n_map = RTE_MIN(conf->n_map, (uint16_t)LC_MAX_RXQ);
	memcpy(lc_rss_conf.map, conf->map, sizeof(conf->map[0]) * lc_rss_conf.n_map);
	rte_free(lc_rss_sels[lcore]);
	lc_rss_sels[lcore] = s;
	/* Ports are configured but not started yet: some drivers program
	 * their RETA at start, so main() calls lc_rss_refresh() after it. */
	lc_rss_fill_all(true);
	sc->tcp.port_ok = lc_rss_port_ok;
	sc->tcp.port_ok_arg = s;
	return 0;
}

void
lc_rss_software(uint16_t port_id)
{
	if (port_id < RTE_MAX_ETHPORTS)
		lc_rss_sw_port[port_id] = true;
	lc_rss_fill_all(true);
}

void
lc_rss_software_reset(void)
{
	memset(lc_rss_sw_port, 0, sizeof(lc_rss_sw_port));
}

void
lc_rss_free(void)
{
	unsigned int i;

	lc_rss_software_reset();
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		rte_free(lc_rss_sels[i]);
		lc_rss_sels[i] = NULL;
	}
}

/* ---- RSS self-check at start ------------------------------------------ */

/* A sample flow: a->b, then b->a, as the NIC sees the two directions. */
static void
lc_rss_sample(uint64_t *x, struct rte_ipv4_tuple *fwd, struct rte_ipv4_tuple *rev)
{
	uint64_t v;

	/* xorshift64: the same samples every start, spread over the space */
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	v = *x;
	fwd->src_addr = (uint32_t)v;
	fwd->dst_addr = (uint32_t)(v >> 32) ^ 0x5a5a5a5a;
	fwd->sport = (uint16_t)(v >> 13);
	fwd->dport = (uint16_t)(v >> 29);
	rev->src_addr = fwd->dst_addr;
	rev->dst_addr = fwd->src_addr;
	rev->sport = fwd->dport;
	rev->dport = fwd->sport;
}

static void
lc_rss_ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

int
lc_rss_check_table(const uint8_t *key, uint16_t key_len, const uint16_t *reta,
		   uint16_t reta_size, bool same_hash, char *err, size_t errlen)
{
	/* Toeplitz over a 12-byte IPv4 + ports input reads 128 bits of key */
	uint8_t k[40] = {0};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned int i, len;

	if (reta_size == 0)
		return 0;
	memcpy(k, key, RTE_MIN(key_len, (uint16_t)sizeof(k)));
	for (i = 0; i < LC_RSS_CHECK_SAMPLES; i++) {
		struct rte_ipv4_tuple f, r;
		uint32_t hf, hr;
		uint16_t qf, qr;

		lc_rss_sample(&x, &f, &r);
		/* half the samples as TCP/UDP (addresses and ports), half as
		 * other IPv4 (addresses only), the two hash types sluice asks for */
		len = i % 2 == 0 ? RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN;
		hf = rte_softrss((uint32_t *)&f, len, k);
		hr = rte_softrss((uint32_t *)&r, len, k);
		qf = reta[hf % reta_size];
		qr = reta[hr % reta_size];
		if (qf != qr || (same_hash && hf != hr)) {
			char a[16], b[16];

			lc_rss_ip_str(f.src_addr, a, sizeof(a));
			lc_rss_ip_str(f.dst_addr, b, sizeof(b));
			if (len == RTE_THASH_V4_L4_LEN)
				snprintf(err, errlen,
					 "the flow %s:%u -> %s:%u reaches RX queue %u (hash "
					 "0x%08x), its reverse queue %u (hash 0x%08x)",
					 a, f.sport, b, f.dport, qf, hf, qr, hr);
			else
				snprintf(err, errlen,
					 "IPv4 %s -> %s reaches RX queue %u (hash 0x%08x), its "
					 "reverse queue %u (hash 0x%08x)",
					 a, b, qf, hf, qr, hr);
			return -EINVAL;
		}
	}
	return 0;
}

int
lc_rss_check_port(uint16_t port_id, bool same_hash, char *err, size_t errlen)
{
	uint8_t key[255];
	struct rte_eth_rss_conf rss = {.rss_key = key, .rss_key_len = sizeof(key)};
	uint16_t reta[LC_RSS_RETA_MAX], size;
	struct rte_eth_dev_info info;
	char why[256];
	int ret;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret != 0 || info.nb_rx_queues <= 1)
		return 0;
	if (info.hash_key_size != 0 && info.hash_key_size < sizeof(key))
		rss.rss_key_len = info.hash_key_size;
	ret = rte_eth_dev_rss_hash_conf_get(port_id, &rss);
	if (ret == 0 && rss.rss_hf == 0)
		return 0; /* no RSS: everything reaches one queue */
	if (ret != 0) {
		snprintf(err, errlen,
			 "cannot read the device's RSS key (%s), so sluice cannot check that both "
			 "directions of a flow reach one RX queue",
			 strerror(-ret));
		return -ENOTSUP;
	}
	ret = lc_rss_reta_read(port_id, reta, &size);
	if (ret != 0) {
		snprintf(err, errlen,
			 "cannot read the device's RSS redirection table (%s), so sluice cannot "
			 "check that both directions of a flow reach one RX queue",
			 strerror(-ret));
		return -ENOTSUP;
	}
	ret = lc_rss_check_table(key, rss.rss_key_len, reta, size, same_hash, why, sizeof(why));
	if (ret != 0)
		snprintf(err, errlen,
			 "the device's RSS does not keep a flow's two directions together: %s; "
			 "its key is not symmetric (the driver may have ignored the one sluice "
			 "gave)",
			 why);
	return ret;
}
