/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration: every file in configs/ parses, every type rejects what it
 * should with a message naming the file and the key, overrides go through
 * the same table, and a dump reads back to the same struct. No EAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app_config.h"
#include "sluice_service.h"

#ifndef SL_SOURCE_ROOT
#define SL_SOURCE_ROOT "."
#endif

#define PORT0 "[port0]\ndev = net_null0\nip = 10.0.0.1/24\n"

static struct app_config cfg;
static char err[1024];
static char tmp_path[64];

static void
write_tmp(const char *text)
{
	size_t len = strlen(text);
	int fd;

	strcpy(tmp_path, "/tmp/sl_test_config_XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Load @p text as a file, then @p sets; the file is gone afterwards. */
static int
load_text_sets(const char *text, char *const *sets, int n_sets)
{
	int rc;

	write_tmp(text);
	err[0] = '\0';
	rc = app_config_load(&cfg, tmp_path, sets, n_sets, err, sizeof(err));
	unlink(tmp_path);
	return rc;
}

static int
load_text(const char *text)
{
	return load_text_sets(text, NULL, 0);
}

#define assert_has(hay, needle)                                                                    \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("'%s' not in '%s'", (needle), (hay));                             \
	} while (0)

/* The load fails with -EINVAL and one message naming the file and @p what. */
static void
expect_fail(const char *text, const char *what)
{
	int rc = load_text(text);

	if (rc != -EINVAL)
		fail_msg("loaded (rc %d) but expected an error with '%s':\n%s", rc, what, text);
	assert_has(err, tmp_path);
	assert_has(err, what);
	assert_null(strchr(err, '\n'));
}

static void
expect_ok(const char *text)
{
	int rc = load_text(text);

	if (rc != 0)
		fail_msg("rc %d: %s\n%s", rc, err, text);
}

/* [section] key = value fails; the message names section, key, value, why. */
static void
bad_value(const char *sec, const char *key, const char *value, const char *why)
{
	char text[2048], named[512];

	if (strcmp(sec, "port0") == 0)
		snprintf(text, sizeof(text), "%s%s = %s\n", PORT0, key, value);
	else
		snprintf(text, sizeof(text), "%s[%s]\n%s = %s\n", PORT0, sec, key, value);
	expect_fail(text, why);
	snprintf(named, sizeof(named), "[%s] %s = %s", sec, key, value);
	assert_has(err, named);
	assert_has(err, "sluice --help-config");
}

static void
good_value(const char *sec, const char *key, const char *value)
{
	char text[2048];

	if (strcmp(sec, "port0") == 0)
		snprintf(text, sizeof(text), "%s%s = %s\n", PORT0, key, value);
	else
		snprintf(text, sizeof(text), "%s[%s]\n%s = %s\n", PORT0, sec, key, value);
	expect_ok(text);
}

static uint32_t
ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void
assert_mac(const struct rte_ether_addr *m, const char *s)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(buf, sizeof(buf), m);
	assert_string_equal(buf, s);
}

/* Dump @p c, load the dump, and compare the whole struct but its source. */
static void
assert_roundtrip(const struct app_config *c)
{
	static struct app_config back;
	char path[64] = "/tmp/sl_test_dump_XXXXXX";
	char err2[1024];
	int fd = mkstemp(path);
	FILE *f;
	int rc;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	app_config_dump(c, f);
	assert_int_equal(fclose(f), 0);
	rc = app_config_load(&back, path, NULL, 0, err2, sizeof(err2));
	if (rc != 0) {
		unlink(path);
		fail_msg("dump does not load back: %s", err2);
	}
	unlink(path);
	memcpy(back.source, c->source, sizeof(back.source));
	assert_memory_equal(&back, c, sizeof(back));
}

/* ---- the shipped files ----------------------------------------------- */

/* --dump-config of @p c contains @p needle */
static void
cfg_dump_has(const struct app_config *c, const char *needle)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	app_config_dump(c, f);
	fclose(f);
	assert_has(buf, needle);
	free(buf);
}

static void
check_shipped(const char *name, const struct app_config *c)
{
	if (strcmp(name, "default.ini.in") == 0) {
		assert_string_equal(c->service, "udp-echo");
		assert_int_equal(c->mode, APP_MODE_RTC);
		assert_int_equal(c->duration, 10);
		assert_int_equal(c->stats_interval, 1);
		assert_int_equal(c->n_ports, 1);
		assert_has(c->ports[0].dev, "net_pcap0,rx_pcap=@PCAP@");
		assert_has(c->ports[0].dev, "infinite_rx=1");
		assert_null(strstr(c->ports[0].dev, "tx_")); /* no TX side = drop sink */
		assert_int_equal(c->ports[0].ip, ip4("10.0.0.1"));
		assert_int_equal(c->ports[0].prefix_len, 24);
		assert_true(c->ports[0].mac_set);
		assert_mac(&c->ports[0].mac, "02:00:00:00:00:01");
		assert_int_equal(c->n_map, 0);
	} else if (strcmp(name, "tap.ini") == 0) {
		assert_string_equal(c->ports[0].dev, "net_tap0,iface=sl0");
		assert_int_equal(c->ports[0].ip, ip4("10.9.0.1"));
		assert_int_equal(c->ports[0].prefix_len, 24);
		assert_int_equal(c->udp_port, 7);
	} else if (strcmp(name, "af_packet.ini") == 0) {
		assert_string_equal(c->ports[0].dev, "net_af_packet0,iface=veth-sl,qpairs=1");
		assert_int_equal(c->ports[0].ip, ip4("10.9.1.1"));
		assert_int_equal(c->ports[0].gateway, ip4("10.9.1.254"));
		assert_true(c->ports[0].promisc);
		assert_int_equal(c->n_arp_static, 0); /* the example is commented out */
	} else if (strcmp(name, "pci.ini") == 0) {
		assert_string_equal(c->ports[0].dev, "0000:01:00.0");
		assert_int_equal(c->ports[0].rxq, 2);
		assert_true(c->ports[0].rss);
		assert_int_equal(c->ports[0].rxd, 2048);
		assert_int_equal(c->n_map, 2);
		assert_int_equal(c->map[0].port, 0);
		assert_int_equal(c->map[0].queue, 0);
		assert_int_equal(c->map[0].lcore, 1);
		assert_int_equal(c->map[1].queue, 1);
		assert_int_equal(c->map[1].lcore, 2);
	} else if (strcmp(name, "pipeline.ini") == 0) {
		assert_int_equal(c->mode, APP_MODE_PIPELINE);
		assert_int_equal(c->pipe_rx.n, 1);
		assert_int_equal(c->pipe_tx.n, 1);
		assert_int_equal(c->pipe_workers.n, 2);
		assert_int_equal(c->pipe_workers.ids[1], 2);
		assert_int_equal(c->pipe_ring_size, 1024);
	} else if (strcmp(name, "offload.ini") == 0) {
		assert_string_equal(c->service, "http");
		/* http's own keys, as the service has them */
		cfg_dump_has(c, "\n[http]\n");
		cfg_dump_has(c, "\nhttp_work_path = /work\nhttp_work_lane = 1\n");
		assert_int_equal(c->off_lcores.n, 1);
		assert_int_equal(c->off_lcores.ids[0], 2);
		assert_int_equal(c->off_lanes, 2);
		assert_int_equal(c->off_lane_size, 4);
		assert_int_equal(c->off_on_full[0], 0);
		assert_int_equal(c->off_on_full[1], 0);
	} else if (strcmp(name, "kv.ini") == 0) {
		assert_string_equal(c->service, "kv");
		cfg_dump_has(c, "\n[kv]\nmemory_mb = 64\nitem_max = 1048576\n");
		assert_false(c->tcp_nagle);
		/* no [service] port: the service's own (kv: 11211) applies */
		assert_int_equal(c->udp_port, 11211);
		assert_int_equal(c->tcp_port, 11211);
	} else if (strcmp(name, "memif.ini") == 0) {
		assert_string_equal(c->ports[0].dev,
				    "net_memif0,role=server,socket=/run/sluice/memif.sock");
		assert_int_equal(c->ports[0].ip, ip4("10.9.2.1"));
	}
}

static void
test_every_shipped_file_parses(void **state)
{
	static const char *const expected[] = {"default.ini.in", "tap.ini", "af_packet.ini",
					       "pci.ini", "memif.ini", "offload.ini", "kv.ini"};
	bool found[RTE_DIM(expected)] = {false};
	glob_t g;
	size_t i, j;

	(void)state;
	assert_int_equal(glob(SL_SOURCE_ROOT "/configs/*.ini", 0, NULL, &g), 0);
	assert_int_equal(glob(SL_SOURCE_ROOT "/configs/*.ini.in", GLOB_APPEND, NULL, &g), 0);
	assert_true(g.gl_pathc >= 5);
	for (i = 0; i < g.gl_pathc; i++) {
		char copy[4096];
		const char *name;
		int rc;

		rc = app_config_load(&cfg, g.gl_pathv[i], NULL, 0, err, sizeof(err));
		if (rc != 0)
			fail_msg("%s: rc %d: %s", g.gl_pathv[i], rc, err);
		assert_true(cfg.n_ports >= 1);
		snprintf(copy, sizeof(copy), "%s", g.gl_pathv[i]);
		name = basename(copy);
		for (j = 0; j < RTE_DIM(expected); j++)
			if (strcmp(name, expected[j]) == 0)
				found[j] = true;
		check_shipped(name, &cfg);
		assert_roundtrip(&cfg);
	}
	for (j = 0; j < RTE_DIM(expected); j++)
		if (!found[j])
			fail_msg("configs/%s missing", expected[j]);
	globfree(&g);
}

/* ---- defaults -------------------------------------------------------- */

static void
test_defaults(void **state)
{
	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	app_config_defaults(&cfg);
	assert_int_equal(cfg.mode, APP_MODE_RTC);
	assert_string_equal(cfg.service, "udp-echo");
	assert_int_equal(cfg.duration, 0);
	assert_int_equal(cfg.stats_interval, 1);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.tx_drain_us, 100);
	assert_int_equal(cfg.n_map, 0);
	assert_int_equal(cfg.n_ports, 0);
	assert_false(cfg.ports[0].present);
	assert_int_equal(cfg.arp_entries, 1024);
	assert_int_equal(cfg.arp_timeout, 300);
	assert_int_equal(cfg.arp_retry_ms, 1000);
	assert_int_equal(cfg.arp_retries, 3);
	assert_int_equal(cfg.arp_pending, 256);
	assert_int_equal(cfg.n_arp_static, 0);
	assert_int_equal(cfg.icmp_rate, 100);
	assert_int_equal(cfg.icmp_burst, 50);
	assert_int_equal(cfg.ttl, 64);
	assert_int_equal(cfg.udp_port, 7);
}

/* kv: a port given in the file or by --set wins over the service's own */
static void
test_service_port_given(void **state)
{
	char *sets[] = {"service.tcp_port=7"};
	const char *ini = "[sluice]\nservice = kv\n" PORT0 "[service]\nudp_port = 5000\n"
			  "[kv]\nmemory_mb = 2\nitem_max = 2048\n";
	char path[] = "/tmp/sl_cfg_kv_XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
	close(fd);
	assert_int_equal(app_config_load(&cfg, path, sets, 1, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(cfg.udp_port, 5000);
	assert_int_equal(cfg.tcp_port, 7);
	cfg_dump_has(&cfg, "\n[kv]\nmemory_mb = 2\nitem_max = 2048\n");
	/* neither given: both the service's own */
	expect_ok("[sluice]\nservice = kv\n" PORT0);
	assert_int_equal(cfg.udp_port, 11211);
	assert_int_equal(cfg.tcp_port, 11211);
	/* not the selected service: [service]'s defaults */
	expect_ok(PORT0);
	assert_int_equal(cfg.udp_port, 7);
	expect_fail("[sluice]\nservice = kv\n" PORT0 "[kv]\nitem_max = 1024000\nmemory_mb = 1\n",
		    "holds fewer than 4 values of item_max");
	/* a value is sent from a pool of 511 mbufs of 8 KiB */
	expect_fail("[sluice]\nservice = kv\n" PORT0 "[kv]\nitem_max = 4194304\n",
		    "[kv] item_max = 4194304: out of range, must be 1024..3661824");
}

static void
test_port_defaults(void **state)
{
	const struct app_port_cfg *p = &cfg.ports[0];

	(void)state;
	expect_ok("[port0]\ndev = net_null0\nip = 10.0.0.1\n");
	assert_int_equal(cfg.n_ports, 1);
	assert_true(p->present);
	assert_string_equal(p->dev, "net_null0");
	assert_int_equal(p->ip, ip4("10.0.0.1"));
	assert_int_equal(p->prefix_len, 24); /* no /len */
	assert_int_equal(p->gateway, 0);
	assert_false(p->mac_set);
	assert_int_equal(p->rxq, 1);
	assert_int_equal(p->txq, 0);
	assert_int_equal(p->rxd, 1024);
	assert_int_equal(p->txd, 1024);
	assert_int_equal(p->mtu, 1500);
	assert_false(p->promisc);
	assert_true(p->rss);
	assert_false(cfg.ports[1].present);
	assert_has(cfg.source, tmp_path);
}

static void
test_every_key_set(void **state)
{
	(void)state;
	expect_ok("[sluice]\nmode = pipeline\nservice = tcp-echo\nduration = 5\n"
		  "stats_interval = 0\nburst = 64\ntx_drain_us = 50\n"
		  "[port0]\ndev = 0000:01:00.0\nip = 192.168.1.10/16\ngateway = 192.168.200.1\n"
		  "mac = 02:AA:bb:cc:dd:ee\nrxq = 4\ntxq = 3\nrxd = 512\ntxd = 4096\nmtu = 9000\n"
		  "promisc = on\nrss = off\n"
		  "[stack]\narp_entries = 16\narp_timeout = 86400\narp_retry_ms = 10\n"
		  "arp_retries = 100\narp_pending = 0\nicmp_rate = 0\nicmp_burst = 1000000\n"
		  "ttl = 255\n[service]\nudp_port = 65535\n");
	assert_int_equal(cfg.mode, APP_MODE_PIPELINE);
	assert_string_equal(cfg.service, "tcp-echo");
	assert_int_equal(cfg.duration, 5);
	assert_int_equal(cfg.stats_interval, 0);
	assert_int_equal(cfg.burst, 64);
	assert_int_equal(cfg.tx_drain_us, 50);
	assert_int_equal(cfg.ports[0].prefix_len, 16);
	assert_int_equal(cfg.ports[0].gateway, ip4("192.168.200.1"));
	assert_mac(&cfg.ports[0].mac, "02:AA:BB:CC:DD:EE");
	assert_int_equal(cfg.ports[0].rxq, 4);
	assert_int_equal(cfg.ports[0].txq, 3);
	assert_int_equal(cfg.ports[0].rxd, 512);
	assert_int_equal(cfg.ports[0].txd, 4096);
	assert_int_equal(cfg.ports[0].mtu, 9000);
	assert_true(cfg.ports[0].promisc);
	assert_false(cfg.ports[0].rss);
	assert_int_equal(cfg.arp_entries, 16);
	assert_int_equal(cfg.arp_timeout, 86400);
	assert_int_equal(cfg.arp_retry_ms, 10);
	assert_int_equal(cfg.arp_retries, 100);
	assert_int_equal(cfg.arp_pending, 0);
	assert_int_equal(cfg.icmp_rate, 0);
	assert_int_equal(cfg.icmp_burst, 1000000);
	assert_int_equal(cfg.ttl, 255);
	assert_int_equal(cfg.udp_port, 65535);
	assert_roundtrip(&cfg);
}

/* ---- types ----------------------------------------------------------- */

static void
test_uint_malformed(void **state)
{
	(void)state;
	bad_value("port0", "rxq", "abc", "not an integer");
	bad_value("port0", "rxq", "4x", "not an integer");
	bad_value("port0", "rxq", "4 4", "not an integer");
	bad_value("port0", "rxq", "+4", "not an integer");
	bad_value("port0", "rxq", "0x10", "not an integer");
	bad_value("port0", "rxq", "4.0", "not an integer");
	bad_value("port0", "rxq", "-1", "negative");
	bad_value("port0", "rxq", "99", "out of range, must be 1..64");
	bad_value("port0", "rxq", "0", "out of range, must be 1..64");
	bad_value("port0", "rxq", "99999999999999999999999", "too large");
	bad_value("port0", "mtu", "67", "must be 68..9000");
	bad_value("stack", "ttl", "256", "out of range, must be 1..255");
	bad_value("stack", "ttl", "0", "out of range");
	bad_value("service", "udp_port", "65536", "out of range, must be 1..65535");
	bad_value("sluice", "duration", "4294967296", "out of range");
	bad_value("sluice", "burst", "257", "must be 1..256");
	bad_value("stack", "arp_entries", "18446744073709551616", "too large");
	good_value("port0", "rxq", "064"); /* leading zeros are still decimal */
	assert_int_equal(cfg.ports[0].rxq, 64);
	good_value("stack", "arp_pending", "65536");
}

static void
test_exact_message(void **state)
{
	char want[256];

	(void)state;
	expect_fail(PORT0 "rxq = 99\n", "rxq");
	snprintf(want, sizeof(want),
		 "%s:4: [port0] rxq = 99: out of range, must be 1..64 (see sluice --help-config)",
		 tmp_path);
	assert_string_equal(err, want);
}

static void
test_bool(void **state)
{
	static const char *const yes[] = {"1", "yes", "true", "on", "YES", "True"};
	static const char *const no[] = {"0", "no", "false", "off", "Off"};
	size_t i;

	(void)state;
	for (i = 0; i < RTE_DIM(yes); i++) {
		good_value("port0", "promisc", yes[i]);
		assert_true(cfg.ports[0].promisc);
	}
	for (i = 0; i < RTE_DIM(no); i++) {
		good_value("port0", "rss", no[i]);
		assert_false(cfg.ports[0].rss);
	}
	bad_value("port0", "promisc", "2", "not a boolean");
	bad_value("port0", "promisc", "yes!", "not a boolean");
	bad_value("port0", "rss", "enabled", "not a boolean");
	bad_value("port0", "rss", "", "not a boolean");
}

static void
test_string_and_enum(void **state)
{
	(void)state;
	bad_value("sluice", "service", "a-name-that-is-longer-than-31-chars", "too long");
	bad_value("sluice", "service", "", "empty value");
	expect_fail("[port0]\ndev =\nip = 10.0.0.1\n", "[port0] dev = : empty value");
	bad_value("sluice", "mode", "RTC", "must be one of: rtc, pipeline");
	bad_value("sluice", "mode", "rtc2", "must be one of");
	good_value("sluice", "mode", "pipeline");
	assert_int_equal(cfg.mode, APP_MODE_PIPELINE);
	good_value("sluice", "mode", "rtc");
	assert_int_equal(cfg.mode, APP_MODE_RTC);
}

static void
test_ip_prefix(void **state)
{
	static const char *const bad[][2] = {
		{"10.0.0", "not an IPv4 address"},
		{"10.0.0.256", "not an IPv4 address"},
		{"10.0.0.1.5", "not an IPv4 address"},
		{"abc", "not an IPv4 address"},
		{"10.0.0.1x/24", "not an IPv4 address"},
		{" /24", "not an IPv4 address"},
		{"10.0.0.1/0", "bad prefix length"},
		{"10.0.0.1/33", "bad prefix length"},
		{"10.0.0.1/", "bad prefix length"},
		{"10.0.0.1/24x", "bad prefix length"},
		{"10.0.0.1/-8", "bad prefix length"},
		{"10.0.0.1/24/8", "bad prefix length"},
		{"224.0.0.1/24", "not a unicast host address"},
		{"255.255.255.255/24", "not a unicast host address"},
		{"0.0.0.0/8", "not a unicast host address"},
		{"127.0.0.1/8", "not a unicast host address"},
		{"10.0.0.0/24", "network or broadcast"},
		{"10.0.0.255/24", "network or broadcast"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < RTE_DIM(bad); i++) {
		char text[256];

		snprintf(text, sizeof(text), "[port0]\ndev = net_null0\nip = %s\n", bad[i][0]);
		expect_fail(text, bad[i][1]);
		assert_has(err, "[port0] ip = ");
	}
	expect_ok("[port0]\ndev = x\nip = 10.1.2.3/32\n");
	assert_int_equal(cfg.ports[0].prefix_len, 32);
	expect_ok("[port0]\ndev = x\nip = 10.1.2.2/31\n"); /* RFC 3021 point-to-point */
	assert_int_equal(cfg.ports[0].prefix_len, 31);
	expect_ok("[port0]\ndev = x\nip = 172.16.5.4/12\n");
	assert_int_equal(cfg.ports[0].ip, ip4("172.16.5.4"));
	assert_int_equal(cfg.ports[0].prefix_len, 12);
}

static void
test_gateway(void **state)
{
	(void)state;
	bad_value("port0", "gateway", "10.0.0", "not an IPv4 address");
	bad_value("port0", "gateway", "239.1.1.1", "not a unicast host address");
	expect_fail(PORT0 "gateway = 10.0.1.1\n", "outside the port's subnet 10.0.0.0/24");
	assert_has(err, "[port0] gateway = 10.0.1.1");
	expect_fail(PORT0 "gateway = 10.0.0.1\n", "own address");
	expect_fail(PORT0 "gateway = 10.0.0.255\n", "broadcast");
	expect_fail("[port0]\ndev = x\nip = 10.0.0.1/30\ngateway = 10.0.0.5\n", "outside");
	good_value("port0", "gateway", "10.0.0.254");
	assert_int_equal(cfg.ports[0].gateway, ip4("10.0.0.254"));
	good_value("port0", "gateway", ""); /* empty = none */
	assert_int_equal(cfg.ports[0].gateway, 0);
}

static void
test_mac(void **state)
{
	(void)state;
	bad_value("port0", "mac", "02:00:00:00:00", "not a MAC address");
	bad_value("port0", "mac", "02:00:00:00:00:0g", "not a MAC address");
	bad_value("port0", "mac", "02-00-00-00-00-01", "not a MAC address");
	bad_value("port0", "mac", "02:00:00:00:00:011", "not a MAC address");
	bad_value("port0", "mac", "2:0:0:0:0:1", "not a MAC address");
	bad_value("port0", "mac", "01:00:5e:00:00:01", "must be unicast");
	bad_value("port0", "mac", "ff:ff:ff:ff:ff:ff", "must be unicast");
	bad_value("port0", "mac", "00:00:00:00:00:00", "all-zero");
	good_value("port0", "mac", "02:00:00:00:00:01");
	assert_true(cfg.ports[0].mac_set);
	assert_mac(&cfg.ports[0].mac, "02:00:00:00:00:01");
	good_value("port0", "mac", "");
	assert_false(cfg.ports[0].mac_set);
}

static void
test_arp_static(void **state)
{
	(void)state;
	good_value("stack", "arp_static",
		   "10.0.0.2 02:00:00:00:00:02, 10.0.0.3   02:00:00:00:00:03");
	assert_int_equal(cfg.n_arp_static, 2);
	assert_int_equal(cfg.arp_static[0].ip, ip4("10.0.0.2"));
	assert_mac(&cfg.arp_static[1].mac, "02:00:00:00:00:03");
	expect_ok(PORT0 "[stack]\narp_static = 10.0.0.2 02:00:00:00:00:02\n"
			"arp_static = 10.0.0.3 02:00:00:00:00:03\n"); /* lines add up */
	assert_int_equal(cfg.n_arp_static, 2);
	bad_value("stack", "arp_static", "10.0.0.2", "not \"ip mac\"");
	bad_value("stack", "arp_static", "10.0.0.2 02:00:00:00:00:02 x", "not \"ip mac\"");
	bad_value("stack", "arp_static", "10.0.0.2 02:00:00:00:00:02,", "not \"ip mac\"");
	bad_value("stack", "arp_static", "10.0.0.2 01:00:00:00:00:02", "must be unicast");
	bad_value("stack", "arp_static", "10.0.0 02:00:00:00:00:02", "not an IPv4 address");
	bad_value("stack", "arp_static", "10.0.0.2 02:00:00:00:00:02, 10.0.0.2 02:00:00:00:00:03",
		  "appears twice");
	expect_fail(PORT0 "[stack]\narp_static = 10.1.0.2 02:00:00:00:00:02\n",
		    "not inside any port's subnet");
	assert_has(err, "arp_static");
	expect_fail(PORT0 "[stack]\narp_static = 10.0.0.1 02:00:00:00:00:02\n", "own address");
}

/* ---- structure ------------------------------------------------------- */

static void
test_unknown_section(void **state)
{
	(void)state;
	expect_fail(PORT0 "[foo]\nbar = 1\n", "[foo]: unknown section");
	assert_has(err, "[sluice], [port0]..[port7], [stack], [service]");
	expect_fail(PORT0 "[port8]\ndev = x\nip = 10.0.1.1\n", "port number 8 out of range");
	expect_fail(PORT0 "[port01]\ndev = x\nip = 10.0.1.1\n", "[port01]: unknown section");
	expect_fail(PORT0 "[port]\ndev = x\n", "unknown section");
	expect_fail(PORT0 "[Sluice]\nburst = 1\n", "unknown section");
	expect_fail(PORT0 "[port-1]\n", "unknown section");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	expect_fail(PORT0 "rxqs = 2\n", "[port0] rxqs: unknown key");
	assert_has(err, "valid keys in [portN]: dev, ip, gateway, mac, rxq, txq");
	assert_has(err, "sluice --help-config");
	expect_fail(PORT0 "[sluice]\nlcores = 1\n", "[sluice] lcores: unknown key");
	assert_has(err, "lcore_map");
	expect_fail(PORT0 "[stack]\nrxq = 1\n", "[stack] rxq: unknown key"); /* wrong section */
	expect_fail(PORT0 "[service]\nport = 1\n", "udp_port");
}

static void
test_missing_required(void **state)
{
	(void)state;
	expect_fail("[port0]\nip = 10.0.0.1/24\n", "[port0] dev: missing");
	expect_fail("[port0]\ndev = net_null0\n", "[port0] ip: missing");
	expect_fail(PORT0 "[port1]\ndev = net_null1\n", "[port1] ip: missing");
	expect_ok("[sluice]\nduration = 1\n"); /* no port: main says so */
	assert_int_equal(cfg.n_ports, 0);
}

static void
test_port_gap(void **state)
{
	(void)state;
	expect_fail("[port1]\ndev = x\nip = 10.0.1.1\n", "[port0] is missing but [port1] exists");
	expect_fail(PORT0 "[port2]\ndev = x\nip = 10.0.2.1\n", "[port1] is missing");
	expect_ok(PORT0 "[port1]\ndev = y\nip = 10.0.1.1\n[port2]\ndev = z\nip = 10.0.2.1\n");
	assert_int_equal(cfg.n_ports, 3);
	/* order in the file does not matter */
	expect_ok("[port1]\ndev = y\nip = 10.0.1.1\n" PORT0);
	assert_int_equal(cfg.n_ports, 2);
	assert_string_equal(cfg.ports[1].dev, "y");
}

static void
test_distinct_ips(void **state)
{
	(void)state;
	expect_fail(PORT0 "[port1]\ndev = y\nip = 10.0.0.1/16\n", "same address as [port0]");
	assert_has(err, "[port1] ip");
}

static void
test_duplicates(void **state)
{
	(void)state;
	expect_fail(PORT0 "rxq = 2\nrxq = 4\n", "duplicate key, already set on line 4");
	assert_has(err, ":5: [port0] rxq = 4");
	expect_fail(PORT0 "[stack]\nttl = 1\n[stack]\nttl = 2\n", "appears twice");
	expect_fail(PORT0 PORT0, "[port0]: section appears twice (first on line 1)");
}

static void
test_syntax_errors(void **state)
{
	char text[1024];

	(void)state;
	expect_fail(PORT0 "rxq 2\n", ":4: 'rxq 2': expected '[section]' or 'key = value'");
	expect_fail(PORT0 "[stack\n", ":4: '[stack': no closing ']'");
	expect_fail(PORT0 "[stack] ttl = 3\n", "text after ']'");
	expect_fail(PORT0 "[]\n", "empty section name");
	expect_fail(PORT0 "= 3\n", "missing key name");
	expect_fail("burst = 3\n" PORT0, ":1: 'burst = 3': key before any [section]");
	memset(text, 0, sizeof(text));
	strcpy(text, PORT0 "[stack]\n; ");
	memset(text + strlen(text), 'x', 400);
	strcat(text, "\n");
	expect_fail(text, ":5: line longer than");
	memset(text, 0, sizeof(text));
	strcpy(text, PORT0 "mac = ");
	memset(text + strlen(text), 'x', 280);
	strcat(text, "\n");
	expect_fail(text, "value longer than 255");
	expect_fail("[port0]\n\001\002garbage\n", ":2:");
}

static void
test_comments_and_escapes(void **state)
{
	(void)state;
	expect_ok("# leading = comment with an equals sign\n"
		  "; another = one\n"
		  "\n"
		  "[port0]   ; trailing comment\n"
		  "  dev = net_null0,a=b\\;c\n"
		  "# rxq = 8\n"
		  "\tip=10.0.0.1/24\t\n"
		  "rxq = 2 ; two queues\r\n"
		  "[sluice]\n"
		  "# lcore_map = (0,0,9)\n"
		  "lcore_map = (0,0,1), (0,1,1)\n");
	assert_string_equal(cfg.ports[0].dev, "net_null0,a=b;c");
	assert_int_equal(cfg.ports[0].rxq, 2);
	assert_int_equal(cfg.n_map, 2);
	assert_roundtrip(&cfg); /* ';' in dev is escaped in the dump */
}

static void
test_missing_file(void **state)
{
	int rc;

	(void)state;
	rc = app_config_load(&cfg, "/nonexistent/x.ini", NULL, 0, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_string_equal(err,
			    "cannot read config '/nonexistent/x.ini': No such file or directory");
}

/* ---- lcore_map ------------------------------------------------------- */

static void
test_map_syntax_variants(void **state)
{
	struct app_map_entry m[APP_MAX_MAP + 1];
	char big[2048] = "";
	int i;

	(void)state;
	assert_int_equal(app_config_parse_map("", m, APP_MAX_MAP, err, sizeof(err)), 0);
	assert_int_equal(app_config_parse_map("  ", m, APP_MAX_MAP, err, sizeof(err)), 0);
	assert_int_equal(app_config_parse_map("(0,0,1)", m, APP_MAX_MAP, err, sizeof(err)), 1);
	assert_int_equal(m[0].port, 0);
	assert_int_equal(m[0].queue, 0);
	assert_int_equal(m[0].lcore, 1);
	assert_int_equal(app_config_parse_map(" ( 1 , 2 , 3 ) ,\t(0, 1,127) ", m, APP_MAX_MAP, err,
					      sizeof(err)),
			 2);
	assert_int_equal(m[0].port, 1);
	assert_int_equal(m[0].queue, 2);
	assert_int_equal(m[0].lcore, 3);
	assert_int_equal(m[1].lcore, RTE_MAX_LCORE - 1);
	assert_int_equal(app_config_parse_map("(0,0,1),(0,1,1),(1,0,2),(1,1,2)", m, APP_MAX_MAP,
					      err, sizeof(err)),
			 4);
	for (i = 0; i < APP_MAX_MAP; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "%s(%d,%d,%d)", i ? "," : "",
			 i / 32, i % 32, i % 4 + 1);
	assert_int_equal(app_config_parse_map(big, m, APP_MAX_MAP, err, sizeof(err)), APP_MAX_MAP);
	assert_int_equal(m[63].port, 1);
	assert_int_equal(m[63].queue, 31);
	strcat(big, ",(7,0,1)");
	assert_int_equal(app_config_parse_map(big, m, APP_MAX_MAP, err, sizeof(err)), -EINVAL);
	assert_has(err, "more than 64 entries");
}

static void
test_map_malformed(void **state)
{
	static const char *const bad[][2] = {
		{"(0,0)", "expected ','"},
		{"(0,0,1", "expected ')'"},
		{"0,0,1", "expected '('"},
		{"(0,0,1),", "expected '('"},
		{"(0,0,1)(0,1,1)", "expected ',' or the end"},
		{"(0,0,1) x", "expected ',' or the end"},
		{"(0,0,1,2)", "expected ')'"},
		{"(a,0,1)", "expected a port number"},
		{"(0,,1)", "expected a queue number"},
		{"(0,0,-1)", "expected a lcore number"},
		{"(0,0,128)", "lcore 128 out of range"},
		{"(8,0,1)", "port 8 out of range"},
		{"(0,64,1)", "queue 64 out of range"},
		{"(0,0,99999999999999999999)", "out of range"},
		{"(0,0,1),(0,0,2)", "appears twice"},
		{"[0,0,1]", "expected '('"},
	};
	struct app_map_entry m[APP_MAX_MAP];
	size_t i;

	(void)state;
	for (i = 0; i < RTE_DIM(bad); i++) {
		err[0] = '\0';
		if (app_config_parse_map(bad[i][0], m, APP_MAX_MAP, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' parsed", bad[i][0]);
		assert_has(err, bad[i][1]);
		if (strstr(bad[i][1], "twice") == NULL) /* syntax errors show the syntax */
			assert_has(err, "(port,queue,lcore)");
	}
}

static void
test_map_against_ports(void **state)
{
	(void)state;
	expect_ok(PORT0 "rxq = 2\n[sluice]\nlcore_map = (0,0,1),(0,1,2)\n");
	assert_int_equal(cfg.n_map, 2);
	expect_fail(PORT0 "[sluice]\nlcore_map = (0,0,1),(1,0,1)\n",
		    "names port 1, which has no [port1] section");
	assert_has(err, "lcore_map");
	expect_fail(PORT0 "rxq = 2\n[sluice]\nlcore_map = (0,0,1),(0,1,1),(0,2,1)\n",
		    "names queue 2 but [port0] rxq = 2");
	expect_fail(PORT0 "[sluice]\nlcore_map = (0,0,1),(0,0,2)\n", "appears twice");
	assert_has(err, "[sluice] lcore_map = (0,0,1),(0,0,2)");
	expect_fail(PORT0 "rxq = 2\n[sluice]\nlcore_map = (0,0,1)\n",
		    "port 0 queue 1 is not mapped");
	/* repeated lines add up; a queue on two lines is still a duplicate */
	expect_ok(PORT0 "rxq = 2\n[sluice]\nlcore_map = (0,0,1)\nlcore_map = (0,1,2)\n");
	assert_int_equal(cfg.n_map, 2);
	assert_int_equal(cfg.map[1].lcore, 2);
	expect_fail(PORT0 "[sluice]\nlcore_map = (0,0,1)\nlcore_map = (0,0,2)\n", "already mapped");
	bad_value("sluice", "lcore_map", "(0,0)", "expected ','");
}

/* ---- --set ----------------------------------------------------------- */

static void
test_set_overrides(void **state)
{
	char *sets[] = {
		(char *)(uintptr_t) "port0.rxq=2",
		(char *)(uintptr_t) "sluice.lcore_map = (0,0,1),(0,1,3)",
		(char *)(uintptr_t) "port0.dev=net_pcap0,rx_pcap=/tmp/a b.pcap,infinite_rx=1",
		(char *)(uintptr_t) "stack.ttl=9",
		(char *)(uintptr_t) "service.udp_port=9000",
	};

	(void)state;
	assert_int_equal(load_text_sets(PORT0 "rxq = 1\n[stack]\nttl = 5\n", sets, 5), 0);
	assert_int_equal(cfg.ports[0].rxq, 2);
	assert_int_equal(cfg.n_map, 2);
	assert_int_equal(cfg.map[1].lcore, 3);
	assert_string_equal(cfg.ports[0].dev, "net_pcap0,rx_pcap=/tmp/a b.pcap,infinite_rx=1");
	assert_int_equal(cfg.ttl, 9);
	assert_int_equal(cfg.udp_port, 9000);
	assert_roundtrip(&cfg);
}

static void
test_set_replaces_lists(void **state)
{
	char *sets[] = {(char *)(uintptr_t) "sluice.lcore_map=(0,0,4)",
			(char *)(uintptr_t) "stack.arp_static=10.0.0.9 02:00:00:00:00:09"};

	(void)state;
	assert_int_equal(load_text_sets(PORT0 "[sluice]\nlcore_map = (0,0,1)\n[stack]\n"
					      "arp_static = 10.0.0.2 02:00:00:00:00:02\n",
					sets, 2),
			 0);
	assert_int_equal(cfg.n_map, 1);
	assert_int_equal(cfg.map[0].lcore, 4);
	assert_int_equal(cfg.n_arp_static, 1);
	assert_int_equal(cfg.arp_static[0].ip, ip4("10.0.0.9"));
}

static void
test_set_creates_port(void **state)
{
	char *sets[] = {(char *)(uintptr_t) "port1.dev=net_null1",
			(char *)(uintptr_t) "port1.ip=10.0.1.1/24"};
	char *only_dev[] = {(char *)(uintptr_t) "port1.dev=net_null1"};
	char *gap[] = {(char *)(uintptr_t) "port2.dev=x", (char *)(uintptr_t) "port2.ip=10.0.2.1"};

	(void)state;
	assert_int_equal(load_text_sets(PORT0, sets, 2), 0);
	assert_int_equal(cfg.n_ports, 2);
	assert_string_equal(cfg.ports[1].dev, "net_null1");
	assert_int_equal(cfg.ports[1].rxq, 1); /* defaults filled */
	assert_int_equal(load_text_sets(PORT0, only_dev, 1), -EINVAL);
	assert_has(err, "[port1] ip: missing");
	assert_int_equal(load_text_sets(PORT0, gap, 2), -EINVAL);
	assert_has(err, "[port1] is missing but [port2] exists");
	/* no file at all: --set alone */
	err[0] = '\0';
	assert_int_equal(app_config_load(&cfg, NULL, sets, 2, err, sizeof(err)), -EINVAL);
	assert_has(err, "[port0] is missing");
	sets[0] = (char *)(uintptr_t) "port0.dev=net_null0";
	sets[1] = (char *)(uintptr_t) "port0.ip=10.0.0.1";
	assert_int_equal(app_config_load(&cfg, NULL, sets, 2, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_ports, 1);
}

static void
test_set_errors(void **state)
{
	char *unknown[] = {(char *)(uintptr_t) "port0.rxqs=2"};
	char *badval[] = {(char *)(uintptr_t) "port0.rxq=99"};
	char *badsec[] = {(char *)(uintptr_t) "prot0.rxq=2"};
	char *nodot[] = {(char *)(uintptr_t) "port0rxq=2"};
	char *noeq[] = {(char *)(uintptr_t) "port0.rxq"};
	char *badmap[] = {(char *)(uintptr_t) "sluice.lcore_map=(0,0,1),(0,1,1)"};

	(void)state;
	assert_int_equal(load_text_sets(PORT0, unknown, 1), -EINVAL);
	assert_has(err, "--set: [port0] rxqs: unknown key");
	assert_has(err, "valid keys in [portN]");
	assert_int_equal(load_text_sets(PORT0, badval, 1), -EINVAL);
	assert_string_equal(err, "--set: [port0] rxq = 99: out of range, must be 1..64 "
				 "(see sluice --help-config)");
	assert_int_equal(load_text_sets(PORT0, badsec, 1), -EINVAL);
	assert_has(err, "[prot0]: unknown section");
	assert_int_equal(load_text_sets(PORT0, nodot, 1), -EINVAL);
	assert_has(err, "expected section.key=value");
	assert_int_equal(load_text_sets(PORT0, noeq, 1), -EINVAL);
	assert_has(err, "expected section.key=value");
	assert_int_equal(load_text_sets(PORT0, badmap, 1), -EINVAL); /* rxq is 1 */
	assert_has(err, "--set: [sluice] lcore_map");
	assert_has(err, "names queue 1");
}

static void
test_app_config_set(void **state)
{
	(void)state;
	app_config_defaults(&cfg);
	assert_int_equal(app_config_set(&cfg, "stack.ttl=12", err, sizeof(err)), 0);
	assert_int_equal(cfg.ttl, 12);
	assert_int_equal(app_config_set(&cfg, "port3.rxq=4", err, sizeof(err)), 0);
	assert_true(cfg.ports[3].present);
	assert_int_equal(cfg.ports[3].rxq, 4);
	assert_int_equal(app_config_set(&cfg, "stack.ttl=x", err, sizeof(err)), -EINVAL);
	assert_has(err, "--set: [stack] ttl = x: not an integer");
}

/* ---- services' own keys --------------------------------------------- */

/* A service of this test's own, with a key of every type a service may
 * declare, so the test can read the struct sluice fills. */
static const char *const color_values[] = {"red", "green", "blue", NULL};

struct keys_cfg {
	uint8_t u8;
	uint16_t u16;
	uint64_t u64;
	bool flag;
	uint32_t ip;
	uint32_t color;
	char name[16];
	char text[32];
};

static int
check_no_x(const char *val, char *why, size_t wl)
{
	if (strchr(val, 'x') != NULL) {
		snprintf(why, wl, "contains an x");
		return -EINVAL;
	}
	return 0;
}

static int
keys_cfg_check(const void *arg, char *why, size_t wl)
{
	const struct keys_cfg *c = arg;

	if (c->flag && c->ip == 0) {
		snprintf(why, wl, "flag = yes needs ip");
		return -EINVAL;
	}
	return 0;
}

static const struct sl_cfg_key keys_keys[] = {
	{"u8", SL_CFG_UINT, .min = 1, .max = 200, .def = "7", .help = "a byte",
	 SL_CFG_FIELD(struct keys_cfg, u8)},
	{"u16", SL_CFG_UINT, .min = 0, .max = 65535, .def = "1000", .help = "a short",
	 SL_CFG_FIELD(struct keys_cfg, u16)},
	{"u64", SL_CFG_UINT, .min = 0, .max = UINT64_MAX, .def = "0", .help = "a long",
	 SL_CFG_FIELD(struct keys_cfg, u64)},
	{"flag", SL_CFG_BOOL, .def = "no", .help = "a flag", SL_CFG_FIELD(struct keys_cfg, flag)},
	{"ip", SL_CFG_IPV4, .def = "", .help = "an address", SL_CFG_FIELD(struct keys_cfg, ip),
	 .flags = SL_CFG_OPTIONAL},
	{"color", SL_CFG_ENUM, .values = color_values, .def = "green", .help = "a color",
	 SL_CFG_FIELD(struct keys_cfg, color)},
	{"name", SL_CFG_STRING, .max = 15, .def = "abc", .help = "a name",
	 SL_CFG_FIELD(struct keys_cfg, name), .check = check_no_x},
	{"text", SL_CFG_TEXT, .max = 31, .def = "a\\tb", .help = "a text",
	 SL_CFG_FIELD(struct keys_cfg, text)},
};

static const struct sl_service keys_svc = {
	.name = "test-keys",
	.help = "test_config's service with one key of each type",
	.cfg_keys = keys_keys,
	.n_cfg_keys = RTE_DIM(keys_keys),
	.cfg_size = sizeof(struct keys_cfg),
	.cfg_check = keys_cfg_check,
};
SL_SERVICE_REGISTER(keys_svc);

/* A declaration mistake: the string's size leaves no room for its NUL. */
struct bad_cfg {
	char s[8];
};
static const struct sl_cfg_key bad_keys[] = {
	{"s", SL_CFG_STRING, .max = 8, .def = "x", .help = "too long for its field",
	 SL_CFG_FIELD(struct bad_cfg, s)},
};
static const struct sl_service bad_svc = {
	.name = "test-bad-decl",
	.cfg_keys = bad_keys,
	.n_cfg_keys = RTE_DIM(bad_keys),
	.cfg_size = sizeof(struct bad_cfg),
};
SL_SERVICE_REGISTER(bad_svc);

/* A bad default. */
static const struct sl_cfg_key bad_def_keys[] = {
	{"n", SL_CFG_UINT, .min = 1, .max = 9, .def = "10", .help = "default out of range",
	 SL_CFG_FIELD(struct keys_cfg, u8)},
};
static const struct sl_service bad_def_svc = {
	.name = "test-bad-default",
	.cfg_keys = bad_def_keys,
	.n_cfg_keys = RTE_DIM(bad_def_keys),
	.cfg_size = sizeof(struct keys_cfg),
};
SL_SERVICE_REGISTER(bad_def_svc);

/* A name that cannot be a section or a --set prefix. */
static const struct sl_service bad_name_svc = {
	.name = "test.dot",
	.cfg_keys = bad_def_keys,
	.n_cfg_keys = RTE_DIM(bad_def_keys),
	.cfg_size = sizeof(struct keys_cfg),
};
SL_SERVICE_REGISTER(bad_name_svc);

#define SVC_KEYS "[sluice]\nservice = test-keys\n"

static const struct keys_cfg *
keys_of(const struct app_config *c)
{
	assert_ptr_equal(c->svc, &keys_svc);
	assert_ptr_equal(app_config_svc(c), c->svc_cfg);
	return (const struct keys_cfg *)app_config_svc(c);
}

/* The dump of the loaded config holds @p needle. */
static void
dump_has(const char *needle)
{
	cfg_dump_has(&cfg, needle);
}

static void
test_svc_defaults_and_types(void **state)
{
	const struct keys_cfg *k;

	(void)state;
	expect_ok(PORT0 SVC_KEYS);
	k = keys_of(&cfg);
	assert_int_equal(k->u8, 7);
	assert_int_equal(k->u16, 1000);
	assert_int_equal(k->u64, 0);
	assert_false(k->flag);
	assert_int_equal(k->ip, 0);
	assert_int_equal(k->color, 1);
	assert_string_equal(k->name, "abc");
	assert_string_equal(k->text, "a\tb");
	assert_roundtrip(&cfg);

	expect_ok(PORT0 SVC_KEYS
		  "[test-keys]\nu8 = 200\nu16 = 65535\n"
		  "u64 = 18446744073709551615\nflag = on\nip = 10.1.2.3\ncolor = blue\n"
		  "name = hello\ntext = x\\;y\\n\n");
	k = keys_of(&cfg);
	assert_int_equal(k->u8, 200);
	assert_int_equal(k->u16, 65535);
	assert_true(k->u64 == UINT64_MAX);
	assert_true(k->flag);
	assert_int_equal(k->ip, ip4("10.1.2.3"));
	assert_int_equal(k->color, 2);
	assert_string_equal(k->name, "hello");
	assert_string_equal(k->text, "x;y\n");
	assert_roundtrip(&cfg);
	dump_has("\n[test-keys]\nu8 = 200\nu16 = 65535\n");
	dump_has("text = x\\;y\\n\n");

	/* the same machinery's messages, naming the service's section */
	bad_value("test-keys", "u8", "0", "out of range, must be 1..200");
	bad_value("test-keys", "u8", "3x", "not an integer");
	bad_value("test-keys", "flag", "maybe", "not a boolean");
	bad_value("test-keys", "ip", "127.0.0.1", "not a unicast host address");
	bad_value("test-keys", "color", "pink", "must be one of: red, green, blue");
	bad_value("test-keys", "name", "0123456789abcdef", "too long, at most 15");
	bad_value("test-keys", "name", "box", "contains an x");
	bad_value("test-keys", "text", "a\\q", "unknown escape");
	/* the whole-struct check of the selected service */
	expect_fail(PORT0 SVC_KEYS "[test-keys]\nflag = yes\n", "[test-keys]: flag = yes needs ip");
	expect_ok(PORT0 SVC_KEYS "[test-keys]\nflag = yes\nip = 10.0.0.9\n");
}

static void
test_svc_section_and_alias(void **state)
{
	char *sets[] = {(char *)(uintptr_t) "test-keys.u8=9", (char *)(uintptr_t) "service.u16=5"};
	char *set_svc[] = {(char *)(uintptr_t) "sluice.service=test-keys"};

	(void)state;
	/* [service] carries the selected service's keys, even before [sluice] */
	expect_ok(PORT0 "[service]\nu8 = 11\nudp_port = 99\n" SVC_KEYS);
	assert_int_equal(keys_of(&cfg)->u8, 11);
	assert_int_equal(cfg.udp_port, 99);
	dump_has("\n[service]\nudp_port = 99\ntcp_port = 7\n\n[test-keys]\nu8 = 11\n");
	/* and the service is chosen after the file */
	assert_int_equal(load_text_sets(PORT0 "[service]\nu8 = 12\n", set_svc, 1), 0);
	assert_int_equal(keys_of(&cfg)->u8, 12);
	/* --set overrides the file, in both spellings */
	assert_int_equal(load_text_sets(PORT0 SVC_KEYS "[test-keys]\nu8 = 1\nu16 = 1\n", sets, 2),
			 0);
	assert_int_equal(keys_of(&cfg)->u8, 9);
	assert_int_equal(keys_of(&cfg)->u16, 5);
	/* one key written twice in a file, under both names */
	expect_fail(PORT0 SVC_KEYS "[test-keys]\nu8 = 1\n[service]\nu8 = 2\n", "duplicate key");
	/* another service's section is checked, not applied */
	expect_ok(PORT0 "[test-keys]\nu8 = 100\n");
	assert_string_equal(cfg.service, "udp-echo");
	assert_null(app_config_svc(&cfg)); /* udp-echo has no keys */
	expect_fail(PORT0 "[test-keys]\nu8 = 300\n", "[test-keys] u8 = 300: out of range");
	/* a key of a service that is not selected is not a [service] key */
	expect_fail(PORT0 "[service]\nu8 = 1\n",
		    "[service] u8: unknown key; valid keys in [service]: udp_port, tcp_port");
	expect_fail(PORT0 SVC_KEYS "[service]\nnope = 1\n",
		    "valid keys in [service]: udp_port, tcp_port and service test-keys's own: u8, "
		    "u16");
	expect_fail(PORT0 "[test-keys]\nnope = 1\n",
		    "[test-keys] nope: unknown key; valid keys in [test-keys]: u8, u16, u64");
	expect_fail(PORT0 "[udp-echo]\nnope = 1\n", "none (the service declares no keys)");
	expect_fail(PORT0 "[test-keys]\n[test-keys]\n", "section appears twice");
	expect_fail(PORT0 "[nosuch]\n", "[nosuch]: unknown section");
	assert_has(err, "and the services' [test-keys], ");
	assert_has(err, ", [http], ");
}

static void
test_svc_unknown_and_bad_decl(void **state)
{
	(void)state;
	expect_fail(PORT0 "[sluice]\nservice = nosuch\n",
		    "[sluice] service = nosuch: no such service; known: ");
	assert_has(err, "udp-echo, tcp-echo, http, udp-spin, tcp-fetch");
	expect_fail(PORT0 "[sluice]\nservice = test-bad-decl\n",
		    "service test-bad-decl: key s: a string needs 1 <= max < size");
	expect_fail(PORT0 "[sluice]\nservice = test-bad-default\n",
		    "service test-bad-default: key n: default '10' does not parse: out of range");
	expect_fail(PORT0 "[sluice]\nservice = test.dot\n",
		    "service test.dot: a service with keys needs a name of letters, digits");
	/* a broken service that is not selected does not break the others,
	 * unless the file has its section */
	expect_ok(PORT0);
	expect_fail(PORT0 "[test-bad-decl]\ns = a\n",
		    "[test-bad-decl]: service test-bad-decl: key s");
	/* a service from a shared object: one that cannot be loaded fails, and
	 * a section of a service nobody registered is still unknown */
	expect_fail(PORT0 "[sluice]\nservice_so = /nonexistent/svc.so\nservice = x\n",
		    "[sluice] service_so = /nonexistent/svc.so: cannot load it: ");
	assert_has(err, "No such file");
	expect_fail(PORT0 "[x]\na = 1\n", "[x]: unknown section");
}

static void
test_svc_app_config_set(void **state)
{
	(void)state;
	app_config_defaults(&cfg);
	assert_int_equal(app_config_set(&cfg, "sluice.service=test-keys", err, sizeof(err)), 0);
	assert_int_equal(keys_of(&cfg)->u8, 7); /* the new service's defaults */
	assert_int_equal(app_config_set(&cfg, "test-keys.u8=42", err, sizeof(err)), 0);
	assert_int_equal(keys_of(&cfg)->u8, 42);
	assert_int_equal(app_config_set(&cfg, "service.color=red", err, sizeof(err)), 0);
	assert_int_equal(keys_of(&cfg)->color, 0);
	assert_int_equal(app_config_set(&cfg, "test-keys.u8=201", err, sizeof(err)), -EINVAL);
	assert_has(err, "--set: [test-keys] u8 = 201: out of range");
}

/* http's keys: http_path is checked, http_body's escapes are decoded and
 * encoded again by the dump; [service] still takes them (older configs). */
static void
test_http_keys(void **state)
{
	(void)state;
	expect_ok(PORT0 "[sluice]\nservice = http\n");
	dump_has("\n[http]\nhttp_path = /\nhttp_body = hello from sluice\\n\n");
	expect_ok(PORT0 "[sluice]\nservice = http\n[http]\nhttp_body = a\\;b\\tc\\\\d\\r\\n\n");
	dump_has("http_body = a\\;b\\tc\\\\d\\r\\n\n");
	assert_roundtrip(&cfg);
	expect_ok(PORT0 "[sluice]\nservice = http\n[service]\nhttp_path = /a/b.txt?x=1\n");
	dump_has("[http]\nhttp_path = /a/b.txt?x=1\n");
	bad_value("http", "http_path", "index.html", "does not start with '/'");
	bad_value("http", "http_path", "/a\tb", "control character");
	bad_value("http", "http_body", "x\\q", "unknown escape");
	bad_value("http", "http_body", "x\\", "lone");
}

/* tcp-fetch's keys, and its check across them */
static void
test_tcp_fetch_keys(void **state)
{
	(void)state;
	expect_fail(PORT0 "[sluice]\nservice = tcp-fetch\n", "[tcp-fetch]: connect_ip: not set");
	expect_fail(PORT0 "[sluice]\nservice = tcp-fetch\n[tcp-fetch]\nconnect_ip = 10.0.0.2\n"
			  "fetch_count = 2\nfetch_bytes = 5\n",
		    "set fetch_bytes = 0 or fetch_count = 1");
	expect_ok(PORT0 "[sluice]\nservice = tcp-fetch\n[service]\nconnect_ip = 10.0.0.2\n"
			"connect_port = 7\nfetch_bytes = 1099511627776\n");
	dump_has("[tcp-fetch]\nconnect_ip = 10.0.0.2\nconnect_port = 7\nhttp_path = /\n"
		 "fetch_bytes = 1099511627776\nfetch_count = 1\n");
	assert_roundtrip(&cfg);
	bad_value("tcp-fetch", "http_path", "x", "does not start with '/'");
	bad_value("tcp-fetch", "fetch_count", "0", "out of range, must be 1..100000000");
	bad_value("udp-spin", "work_cycles", "100000001", "out of range, must be 0..100000000");
}

/* ---- dump and help --------------------------------------------------- */

static void
test_dump_roundtrip(void **state)
{
	char *sets[] = {(char *)(uintptr_t) "port1.dev=net_ring0;x"};

	(void)state;
	assert_int_equal(
		load_text_sets("[sluice]\nmode = pipeline\nservice = udp-echo\nduration = 3\n"
			       "lcore_map = (0,0,1),(0,1,2),(1,0,1),(1,1,1),(1,2,1),(1,3,1),"
			       "(1,4,1),(1,5,1),(1,6,1),(1,7,1)\n"
			       "[port0]\ndev = net_tap0,iface=sl0\nip = 10.0.0.1/24\n"
			       "gateway = 10.0.0.254\nmac = 02:00:00:00:00:01\nrxq = 2\nrss = no\n"
			       "[port1]\ndev = placeholder\nip = 192.168.7.1/30\nrxq = 8\n"
			       "txq = 2\npromisc = yes\n"
			       "[stack]\narp_static = 10.0.0.2 02:00:00:00:00:02, 192.168.7.2 "
			       "02:00:00:00:07:02\nicmp_rate = 7\n[service]\nudp_port = 9\n",
			       sets, 1),
		0);
	assert_int_equal(cfg.n_map, 10);
	assert_string_equal(cfg.ports[1].dev, "net_ring0;x");
	assert_roundtrip(&cfg);
	/* defaults only (no ports) round-trip too */
	app_config_defaults(&cfg);
	assert_roundtrip(&cfg);
}

static void
test_dump_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	expect_ok(PORT0 "gateway = 10.0.0.254\n");
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	app_config_dump(&cfg, f);
	fclose(f);
	assert_has(buf, "[sluice]\n");
	assert_has(buf, "\n[port0]\ndev = net_null0\nip = 10.0.0.1/24\ngateway = 10.0.0.254\n");
	assert_has(buf, "; mac = (not set)\n");
	assert_has(buf, "rxq = 1\n");
	assert_has(buf, "rss = yes\n");
	assert_has(buf, "[stack]\n");
	assert_has(buf, "[service]\nudp_port = 7\n");
	assert_null(strstr(buf, "[port1]"));
	free(buf);
}

static void
test_help_lists_every_key(void **state)
{
	static const char *const names[] = {
		"mode",		"service",     "duration",    "stats_interval",
		"burst",	"tx_drain_us", "lcore_map",   "dev",
		"ip",		"gateway",     "mac",	      "rxq",
		"txq",		"rxd",	       "txd",	      "mtu",
		"promisc",	"rss",	       "arp_entries", "arp_timeout",
		"arp_retry_ms", "arp_retries", "arp_pending", "arp_static",
		"icmp_rate",	"icmp_burst",  "ttl",	      "udp_port",
	};
	char *buf = NULL, want[64];
	size_t len = 0, i;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	app_config_help(f);
	fclose(f);
	for (i = 0; i < RTE_DIM(names); i++) {
		snprintf(want, sizeof(want), "\n  %s ", names[i]);
		assert_has(buf, want);
	}
	assert_has(buf, "[sluice]\n");
	assert_has(buf, "[portN]\n");
	assert_has(buf, "[stack]\n");
	assert_has(buf, "[service]\n");
	/* then every service's own section */
	assert_has(buf, "\n[udp-spin]\n  work_cycles ");
	assert_has(buf, "\n[http]\n  http_path ");
	assert_has(buf, "\n  http_body ");
	assert_has(buf, "\n[tcp-fetch]\n  connect_ip ");
	assert_has(buf, "\n  fetch_count     integer 1..100000000; default: 1\n");
	assert_has(buf, "\n[test-keys]\n  u8              integer 1..200; default: 7\n");
	assert_has(buf, "one of: red green blue; default: green");
	assert_true(strstr(buf, "[tcp]\n") < strstr(buf, "[http]\n")); /* sluice's first */
	assert_has(buf, "integer 1..64; default: 1");
	assert_has(buf, "one of: rtc pipeline; default: rtc");
	assert_has(buf, "required");
	free(buf);
}

/* ---- [pipeline] ------------------------------------------------------ */

static void
assert_lcores(const struct app_lcore_list *l, const char *want)
{
	char buf[256] = "";
	uint16_t i;

	for (i = 0; i < l->n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%u", i ? "," : "",
			 l->ids[i]);
	assert_string_equal(buf, want);
}

static void
test_pipeline_defaults(void **state)
{
	(void)state;
	app_config_defaults(&cfg);
	assert_int_equal(cfg.pipe_rx.n, 0);
	assert_int_equal(cfg.pipe_workers.n, 0);
	assert_int_equal(cfg.pipe_tx.n, 0);
	assert_int_equal(cfg.pipe_ring_size, 1024);
	assert_int_equal(cfg.pipe_rx_burst, 32);
	assert_int_equal(cfg.pipe_worker_burst, 32);
	assert_int_equal(cfg.pipe_tx_burst, 32);
}

static void
test_pipeline_keys(void **state)
{
	(void)state;
	expect_ok("[sluice]\nmode = pipeline\n" PORT0
		  "[pipeline]\nrx_lcores = 0\nworker_lcores = 4-6, 2\ntx_lcores = 0,1\n"
		  "ring_size = 4096\nrx_burst = 64\nworker_burst = 16\ntx_burst = 128\n");
	assert_int_equal(cfg.mode, APP_MODE_PIPELINE);
	assert_lcores(&cfg.pipe_rx, "0");
	assert_lcores(&cfg.pipe_workers, "2,4,5,6"); /* stored ascending */
	assert_lcores(&cfg.pipe_tx, "0,1");
	assert_int_equal(cfg.pipe_ring_size, 4096);
	assert_int_equal(cfg.pipe_rx_burst, 64);
	assert_int_equal(cfg.pipe_worker_burst, 16);
	assert_int_equal(cfg.pipe_tx_burst, 128);
	assert_roundtrip(&cfg);

	good_value("pipeline", "tx_lcores", "");
	assert_int_equal(cfg.pipe_tx.n, 0);
	good_value("pipeline", "worker_lcores", "1-16");
	assert_int_equal(cfg.pipe_workers.n, 16);
	bad_value("pipeline", "worker_lcores", "1-17", "more than 16 lcores");
	bad_value("pipeline", "rx_lcores", "3-1", "runs backwards");
	bad_value("pipeline", "rx_lcores", "1,2,1", "lcore 1 appears twice");
	bad_value("pipeline", "rx_lcores", "0 1", "expected ',' or the end");
	bad_value("pipeline", "rx_lcores", "x", "expected a lcore number");
	bad_value("pipeline", "rx_lcores", "128", "out of range");
	bad_value("pipeline", "ring_size", "8", "must be 16..65536");
	bad_value("pipeline", "ring_size", "65537", "must be 16..65536");
	bad_value("pipeline", "rx_burst", "0", "must be 1..256");
	bad_value("pipeline", "worker_burst", "257", "must be 1..256");
	bad_value("pipeline", "tx_burst", "-1", "negative");
	expect_fail(PORT0 "[pipeline]\nqueues = 1\n", "[pipeline] queues: unknown key");
}

/* A worker is never also an RX or TX lcore: one message naming the key. */
static void
test_pipeline_worker_overlap(void **state)
{
	char *sets[] = {(char *)(uintptr_t) "pipeline.tx_lcores=2-3"};

	(void)state;
	expect_fail(PORT0 "[pipeline]\nrx_lcores = 0-1\nworker_lcores = 1\n",
		    "[pipeline] worker_lcores: lcore 1 is also in rx_lcores");
	assert_int_equal(load_text_sets(PORT0 "[pipeline]\nworker_lcores = 3\n", sets, 1),
			 -EINVAL);
	assert_has(err, "lcore 3 is also in tx_lcores");
	/* RX and TX may share lcores: the I/O lcore */
	expect_ok(PORT0 "[pipeline]\nrx_lcores = 0\ntx_lcores = 0\nworker_lcores = 1\n");
}

/* [offload] (issue 9): per-lane lists, lanes of the services, the worker
 * lcores against the other roles. */
static void
test_offload_keys(void **state)
{
	(void)state;
	expect_ok(PORT0 "[offload]\nlcores = 2\nlanes = 3\npolicy = weighted\n"
		  "weights = 8, 2\non_full = reject,run_inline\n");
	assert_int_equal(cfg.off_policy, 1);
	assert_int_equal(cfg.off_weights[0], 8);
	assert_int_equal(cfg.off_weights[1], 2);
	assert_int_equal(cfg.off_weights[2], 2); /* the last value repeats */
	assert_int_equal(cfg.off_on_full[0], 0);
	assert_int_equal(cfg.off_on_full[1], 1);
	assert_int_equal(cfg.off_on_full[2], 1);
	expect_ok(PORT0 "[offload]\nlanes = 2\n[sluice]\nservice = http\n[service]\n"
		  "http_work_path = /w\nhttp_work_lane = 1\n");
	expect_ok(PORT0 "[offload]\nlanes = 2\n[sluice]\nservice = udp-work\n[udp-work]\n"
		  "udp_heavy_lane = 1\n");
	expect_fail(PORT0 "[offload]\nlanes = 9\n", "[offload] lanes = 9: out of range");
	expect_fail(PORT0 "[offload]\nweights = 1,2\n",
		    "[offload] weights: 2 values but [offload] lanes = 1");
	expect_fail(PORT0 "[offload]\nlanes = 2\nweights = 1,x\n",
		    "weight 1 'x': must be a number 1..1000");
	expect_fail(PORT0 "[offload]\non_full = drop\n",
		    "lane 0 'drop': must be reject or run_inline");
	expect_fail(PORT0 "[sluice]\nservice = http\n[service]\nhttp_work_lane = 1\n",
		    "[http] http_work_lane = 1: no such lane, [offload] lanes = 1");
	expect_fail(PORT0 "[sluice]\nservice = udp-work\n[udp-work]\nudp_heavy_lane = 2\n",
		    "[udp-work] udp_heavy_lane = 2: no such lane, [offload] lanes = 1");
	expect_fail(PORT0 "[sluice]\nservice = http\n[service]\nhttp_work_path = work\n",
		    "does not start with '/'");
	expect_fail(PORT0 "[offload]\nlcores = 1\n[pipeline]\nworker_lcores = 1\n",
		    "[offload] lcores: lcore 1 is also in [pipeline] worker_lcores");
	expect_fail(PORT0 "[sluice]\nlcore_map = (0,0,1)\n[offload]\nlcores = 1\n",
		    "[offload] lcores: lcore 1 polls an RX queue");
	expect_fail(PORT0 "[offload]\nlcores = 0-8\n", "[offload] lcores: 9 lcores, at most 8");
}

static void
test_pipeline_help_and_dump(void **state)
{
	static const char *const names[] = {"rx_lcores", "worker_lcores", "tx_lcores",
					    "ring_size", "rx_burst",	  "worker_burst",
					    "tx_burst"};
	char *buf = NULL, want[64];
	size_t len = 0, i;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	app_config_help(f);
	fclose(f);
	assert_has(buf, "[pipeline]\n");
	for (i = 0; i < RTE_DIM(names); i++) {
		snprintf(want, sizeof(want), "\n  %s ", names[i]);
		assert_has(buf, want);
	}
	assert_has(buf, "lcore list like 0,2-3");
	free(buf);

	expect_ok(PORT0 "[pipeline]\nworker_lcores = 1-3,5\n");
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	app_config_dump(&cfg, f);
	fclose(f);
	assert_has(buf, "\n[pipeline]\n; rx_lcores = (not set)\nworker_lcores = 1-3,5\n");
	assert_has(buf, "ring_size = 1024\n");
	free(buf);
	expect_fail("[pipline]\nring_size = 64\n", "[pipeline]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_shipped_file_parses),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_service_port_given),
		cmocka_unit_test(test_port_defaults),
		cmocka_unit_test(test_every_key_set),
		cmocka_unit_test(test_uint_malformed),
		cmocka_unit_test(test_exact_message),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_string_and_enum),
		cmocka_unit_test(test_ip_prefix),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_arp_static),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_port_gap),
		cmocka_unit_test(test_distinct_ips),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_comments_and_escapes),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_map_syntax_variants),
		cmocka_unit_test(test_map_malformed),
		cmocka_unit_test(test_map_against_ports),
		cmocka_unit_test(test_set_overrides),
		cmocka_unit_test(test_set_replaces_lists),
		cmocka_unit_test(test_set_creates_port),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_app_config_set),
		cmocka_unit_test(test_svc_defaults_and_types),
		cmocka_unit_test(test_svc_section_and_alias),
		cmocka_unit_test(test_svc_unknown_and_bad_decl),
		cmocka_unit_test(test_svc_app_config_set),
		cmocka_unit_test(test_http_keys),
		cmocka_unit_test(test_tcp_fetch_keys),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_dump_text),
		cmocka_unit_test(test_help_lists_every_key),
		cmocka_unit_test(test_pipeline_defaults),
		cmocka_unit_test(test_pipeline_keys),
		cmocka_unit_test(test_pipeline_worker_overlap),
		cmocka_unit_test(test_offload_keys),
		cmocka_unit_test(test_pipeline_help_and_dump),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
