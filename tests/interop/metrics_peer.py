#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: sluice's Prometheus endpoint ([sluice] metrics).

Topology of linux_peer.py (a veth pair, the Linux end in a namespace,
sluice on net_af_packet in the root namespace, udp-echo on port 7), with
[sluice] metrics = 127.0.0.1:<free port>. Checks: a malformed address and
a port already in use each make sluice exit 2 with a message naming the
key; sluice starts; GET /metrics answers 200 with text that Debian's
`promtool check metrics` accepts (HELP and TYPE for every family, counter
names ending in _total); the families /sluice/stats has are there with
lcore, reason and port labels; 50 UDP echoes from the peer raise
sluice_stack_udp_delivered_total by exactly 50 and the lcore's RX packets
by at least 50 (--mode pipeline: ring and stage families too), and the endpoint and telemetry agree on udp_delivered;
/other answers 404, POST 405, a request head over 4 KiB 431; a client
that connects and sends nothing does not stop the next scrape; with that
client still connected, SIGTERM stops sluice within 2 s, exit 0, every
mbuf returned.

Needs root (namespaces, af_packet) and promtool (Debian package
prometheus). Prints "ok N - ..." lines and "N passed, M failed"; exits 0
only if every check passed, 77 (skipped) without root or promtool.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import linux_peer as lp  # noqa: E402

N_ECHO = 50
FAMILIES = ["sluice_lcore_rx_packets_total", "sluice_lcore_tx_packets_total",
            "sluice_lcore_busy_cycles_total", "sluice_lcore_idle_cycles_total",
            "sluice_drops_total", "sluice_stack_udp_delivered_total",
            "sluice_stack_rx_bytes_total", "sluice_port_rx_packets_total",
            "sluice_mempool_in_use", "sluice_mempool_size"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(port, raw, timeout=5.0):
    """Send @raw, read to EOF; (status code, body) or raise OSError."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(raw)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", head)
    return (int(m.group(1)) if m else 0), body.decode(errors="replace")


def scrape(port):
    return http(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")


def samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus text body."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def total(smp, name):
    return sum(v for (n, _), v in smp.items() if n == name)




def expect_exit2(t, exe, prefix, value, name, needle):
    argv = [exe, "-l", "0", "--no-pci", "--in-memory", "--file-prefix", prefix + "x",
            "--log-level", "*:error", "--", "--set", "sluice.metrics=" + value,
            "--set", "sluice.duration=1", "--set", "sluice.stats_interval=0"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    shutil.rmtree("/var/run/dpdk/%sx" % prefix, ignore_errors=True)
    out = p.stdout + p.stderr
    t.check("%s: exit 2 naming %r" % (name, needle), p.returncode == 2 and needle in out,
            "rc=%d %s" % (p.returncode, out[-500:]))


def run_checks(t, topo, sl, exe, mode):
    # Bad addresses first: no namespace needed (the embedded default config).
    expect_exit2(t, exe, sl.prefix, "127.0.0.1", "metrics without a port", "metrics")
    expect_exit2(t, exe, sl.prefix, "localhost:9100", "metrics with a host name", "metrics")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    expect_exit2(t, exe, sl.prefix, "127.0.0.1:%d" % busy.getsockname()[1],
                 "metrics on a port in use", "in use")
    busy.close()

    topo.open()
    port = free_port()
    sl.spawn_config("[sluice]\nservice = udp-echo\nstats_interval = 1\nmetrics = 127.0.0.1:%d\n"
                    "[port0]\ndev = %s\nip = %s/%d\n[service]\nudp_port = %d\n"
                    % (port, sl.port_dev, lp.SLUICE_IP, lp.PREFIX_LEN, lp.ECHO_PORT),
                    extra=["--mode", mode])
    ok, why = sl.wait_ready(lp.READY_TIMEOUT)
    if not t.check("sluice starts with metrics on", ok, why):
        raise lp.Fatal("sluice never became ready", reported=True)
    base_in_use = lp.in_use(sl)

    code, body0 = scrape(port)
    t.check("GET /metrics answers 200", code == 200, "status %d" % code)
    p = subprocess.run(["promtool", "check", "metrics"], input=body0, capture_output=True,
                       text=True, timeout=30)
    t.check("promtool check metrics accepts the text", p.returncode == 0,
            (p.stdout + p.stderr)[-1500:])
    s0 = samples(body0)
    names = {n for n, _ in s0}
    missing = [f for f in FAMILIES if f not in names]
    if mode == "pipeline":
        missing += [f for f in ["sluice_ring_enqueued_total", "sluice_ring_dropped_total",
                                "sluice_stage_packets_total"] if f not in names]
    t.check("every /sluice/stats family is exported", not missing, "missing %s" % missing)
    helps = set(re.findall(r"^# HELP (\S+) ", body0, re.M))
    types = set(re.findall(r"^# TYPE (\S+) ", body0, re.M))
    t.check("every family has # HELP and # TYPE", names <= helps and names <= types,
            "without: %s" % sorted(names - (helps & types))[:5])
    reasons = {dict(lb).get("reason") for (n, lb) in s0 if n == "sluice_drops_total"}
    t.check("drops carry lcore and reason labels",
            {"udp_bad_cksum", "tx_full", "eth_not_for_us"} <= reasons and
            all("lcore" in dict(lb) for (n, lb) in s0 if n == "sluice_drops_total"),
            "reasons %s" % sorted(r for r in reasons if r)[:8])
    t.check("ports carry a port label", any("port" in dict(lb) for (n, lb) in s0
                                            if n == "sluice_port_rx_packets_total"))

    res = lp.peer(topo, ["udp-sizes", "--sizes", ",".join(["16"] * N_ECHO)])["results"]
    t.check("%d UDP echoes answered" % N_ECHO, len(res) == N_ECHO and all(r["ok"] for r in res),
            str([r for r in res if not r["ok"]][:3]))
    code, body1 = scrape(port)
    s1 = samples(body1)
    d_udp = total(s1, "sluice_stack_udp_delivered_total") - \
        total(s0, "sluice_stack_udp_delivered_total")
    d_rx = total(s1, "sluice_lcore_rx_packets_total") - total(s0, "sluice_lcore_rx_packets_total")
    t.check("udp_delivered rose by exactly %d" % N_ECHO, d_udp == N_ECHO, "delta %s" % d_udp)
    t.check("lcore rx packets rose by >= %d" % N_ECHO, d_rx >= N_ECHO, "delta %s" % d_rx)
    st = sl.stats()
    t.check("metrics and telemetry agree on udp_delivered",
            st["stack"]["udp_delivered"] == total(s1, "sluice_stack_udp_delivered_total"),
            "telemetry %s metrics %s" % (st["stack"]["udp_delivered"],
                                         total(s1, "sluice_stack_udp_delivered_total")))
    t.check("scrape counter counts scrapes", total(s1, "sluice_metrics_scrapes_total") >= 2)

    code, _ = http(port, b"GET /other HTTP/1.1\r\n\r\n")
    t.check("GET /other answers 404", code == 404, "status %d" % code)
    code, _ = http(port, b"GET /metricsX HTTP/1.1\r\n\r\n")
    t.check("GET /metricsX answers 404", code == 404, "status %d" % code)
    code, _ = http(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    t.check("POST answers 405", code == 405, "status %d" % code)
    code, _ = http(port, b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n")
    t.check("a request head over 4 KiB answers 431", code == 431, "status %d" % code)

    # A client that connects and says nothing: the next scrape still
    # answers (the endpoint gives up on the silent one), and shutdown does
    # not wait for it.
    slow = socket.create_connection(("127.0.0.1", port), timeout=5)
    res = {}

    def later():
        try:
            res["code"] = scrape(port)[0]
        except OSError as e:
            res["error"] = str(e)
    th = threading.Thread(target=later)
    th.start()
    th.join(10)
    t.check("a silent client does not block the next scrape", res.get("code") == 200, str(res))
    slow2 = socket.create_connection(("127.0.0.1", port), timeout=5)
    now_in_use = lp.wait_in_use(sl, base_in_use)
    t.check("mbufs in use back to baseline", now_in_use == base_in_use,
            "%s vs %s" % (now_in_use, base_in_use))
    rc, secs = sl.stop()
    slow.close()
    slow2.close()
    t.check("SIGTERM with a client connected: exit 0 within 2 s",
            rc == 0 and secs <= lp.STOP_LIMIT, "rc=%s after %.2f s" % (rc, secs))
    t.check("every mbuf returned at shutdown", "every mbuf returned" in sl.output())


def main():
    ap = lp.arg_parser(__doc__)
    ap.add_argument("--mode", choices=["rtc", "pipeline"], default="rtc")
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ethtool", "sysctl", "promtool"))
    if skip is not None:
        return skip
    lp.exit_on_term()
    tag = str(os.getpid())
    t = lp.Checks()
    topo = lp.Topology(tag)
    exe = os.path.abspath(a.sluice)
    sl = lp.Sluice(exe, topo, tag)
    with lp.Guard(t, topo, a.verbose) as g:
        g.sluice(sl)
        run_checks(t, topo, sl, exe, a.mode)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
