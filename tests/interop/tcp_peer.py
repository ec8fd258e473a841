#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: Linux TCP clients against sluice's tcp-echo service.

Same topology as linux_peer.py (a veth pair, the Linux end in a network
namespace, sluice on net_af_packet on the other end), with the Linux side's
TX checksum offload, TSO and GSO off: a packet socket (what net_af_packet
is) would otherwise see partial checksums and 64 KiB super-frames.

Checks: sluice starts; Linux connects to tcp-echo and gets back, byte for
byte (SHA-256), 1 B, 1000 B, 64 KiB, 1 MiB, 16 MiB and 64 MiB, each on its own
connection that Linux half-closes after sending; 8 connections of 1 MiB in
parallel do the same; a closed port refuses (RST, ECONNREFUSED); sluice's
counters agree (every accepted connection closed with FIN, no TCP drops
but the expected ones); telemetry's tcp_states shows no connection left
(per lcore and summed, all 0 but LISTEN); mbufs back to the baseline; SIGTERM stops sluice
within 2 s with exit 0 and every mbuf returned. Then sluice runs the http
service with a configured [http] http_path and http_body (escapes and an
escaped ';' in the file): 50 requests of that path on one keep-alive
connection (http.client), a 404 for "/", 10 pipelined requests in one
write, and curl of the path; every connection closes cleanly.

Run as root: tcp_peer.py --sluice build/apps/sluice. Prints "ok N - ..." /
"not ok N - ..." lines and "N passed, M failed"; exits 0 only if every
check passed, 77 (skipped) without root. Inside the namespace it runs
itself as `tcp_peer.py client ...` (standard library only).
"""

import argparse
import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SIZES = [1, 1000, 65536, 1 << 20, 16 << 20, 64 << 20]
PARALLEL = 8
PARALLEL_SIZE = 1 << 20
ECHO_PORT = 7
CLOSED_PORT = 9
IO_TIMEOUT = 60.0
# [http] http_path / http_body for the http run; the body as the INI
# file carries it (escapes, ';' escaped) and as it should arrive
HTTP_PATH = "/interop/hello.txt"
HTTP_BODY_INI = "configured body\\; tab\\there\\n"
HTTP_BODY = "configured body; tab\there\n"


# ---- the Linux side (inside the namespace) ----------------------------

def payload(size, seed):
    return random.Random(seed).randbytes(size)


def echo_one(dst, port, size, seed):
    """One connection: send, half-close, read the echo to EOF."""
    data = payload(size, seed)
    want = hashlib.sha256(data).hexdigest()
    res = {"size": size, "ok": False}
    t0 = time.monotonic()
    try:
        s = socket.create_connection((dst, port), timeout=10)
    except OSError as e:
        res["error"] = "connect: %s" % e
        return res
    s.settimeout(IO_TIMEOUT)
    err = []

    def send():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append("send: %s" % e)

    th = threading.Thread(target=send)
    th.start()
    h = hashlib.sha256()
    n = 0
    try:
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            h.update(b)
            n += len(b)
    except OSError as e:
        err.append("recv after %d bytes: %s" % (n, e))
    th.join(IO_TIMEOUT)
    s.close()
    res.update(received=n, sha256_sent=want, sha256_back=h.hexdigest(),
               seconds=round(time.monotonic() - t0, 3))
    if err:
        res["error"] = "; ".join(err)
    res["ok"] = not err and n == size and h.hexdigest() == want
    return res


def closed_port(dst, port):
    try:
        s = socket.create_connection((dst, port), timeout=5)
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        return "error: %s" % e
    s.close()
    return "connected"


def http_main(argv):
    import http.client
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args(argv)
    out = {}
    try:
        conn = http.client.HTTPConnection(a.dst, a.port, timeout=10)
        ok = 0
        for _ in range(50):
            conn.request("GET", HTTP_PATH)
            r = conn.getresponse()
            if r.status == 200 and r.read() == HTTP_BODY.encode():
                ok += 1
        conn.request("GET", "/")
        r = conn.getresponse()
        r.read()
        out["keepalive_ok"] = ok
        out["missing_status"] = r.status
        conn.close()
    except (OSError, http.client.HTTPException) as e:
        out["keepalive_error"] = repr(e)
    try:
        s = socket.create_connection((a.dst, a.port), timeout=10)
        req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % HTTP_PATH).encode() * 9 + \
            ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
             % HTTP_PATH).encode()
        s.sendall(req)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        out["pipelined_200"] = data.count(b"HTTP/1.1 200 OK")
        out["pipelined_bodies"] = data.count(HTTP_BODY.encode())
    except OSError as e:
        out["pipelined_error"] = repr(e)
    p = subprocess.run(["curl", "-s", "--max-time", "10",
                        "http://%s:%d%s" % (a.dst, a.port, HTTP_PATH)],
                       capture_output=True, text=True)
    out["curl"] = p.stdout
    print(json.dumps(out), flush=True)
    return 0


def client_main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--closed-port", type=int, required=True)
    a = ap.parse_args(argv)
    out = {"sizes": [echo_one(a.dst, a.port, n, n) for n in SIZES]}
    par = [None] * PARALLEL

    def one(i):
        par[i] = echo_one(a.dst, a.port, PARALLEL_SIZE, 1000 + i)

    ths = [threading.Thread(target=one, args=(i,)) for i in range(PARALLEL)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(IO_TIMEOUT * 2)
    out["parallel"] = [p or {"ok": False, "error": "did not finish"} for p in par]
    out["closed_port"] = closed_port(a.dst, a.closed_port)
    print(json.dumps(out), flush=True)
    return 0


# ---- the sluice side --------------------------------------------------

def tcp_states_left(st, allowed=("listen",)):
    """Connections in any state but @allowed, from /sluice/stats: the summed
    "tcp_states" dict and the own one of each lcore that runs a stack
    (pipeline RX/TX lcores have none); {} when none is left."""
    left = {}
    if not isinstance(st.get("tcp_states"), dict):
        return {"all": "no tcp_states"}
    dicts = [("all", st["tcp_states"])] + \
        [(k, v["tcp_states"]) for k, v in st.items()
         if k.startswith("lcore_") and isinstance(v, dict) and "tcp_states" in v]
    for where, d in dicts:
        for state, n in d.items():
            if state not in allowed and n:
                left["%s.%s" % (where, state)] = n
    return left


def wait_no_conns(sl, secs=5.0, allowed=("listen",)):
    deadline = time.monotonic() + secs
    while True:
        st = sl.stats()
        left = tcp_states_left(st, allowed)
        if not left or time.monotonic() > deadline:
            return st, left
        time.sleep(0.2)


def run_checks(t, topo, sl, lp):
    topo.open()
    lp.sh(["ethtool", "-K", topo.peer_if, "tso", "off", "gso", "off"], ns=topo.ns)
    t.note("namespace %s, %s (root) <-> %s (%s/%d)"
           % (topo.ns, topo.host_if, topo.peer_if, lp.PEER_IP, lp.PREFIX_LEN))
    base_in_use = lp.start_ready(t, sl)
    t.note("started: " + " ".join(sl.argv))

    res = lp.ns_json(topo, ["/usr/bin/python3", os.path.abspath(__file__), "client", "--dst",
                            lp.SLUICE_IP, "--port", str(ECHO_PORT), "--closed-port",
                            str(CLOSED_PORT)], 600, "client")
    for r in res["sizes"]:
        t.check("TCP echo %8d B: SHA-256 of the echo matches, EOF after it" % r["size"],
                r["ok"], "%s" % {k: v for k, v in r.items() if k not in ("ok",)})
    bad = [r for r in res["parallel"] if not r["ok"]]
    t.check("%d parallel connections of %d B echoed intact" % (PARALLEL, PARALLEL_SIZE),
            not bad, "%d failed: %s" % (len(bad), bad[:2]))
    t.check("TCP to closed port %d: refused (RST)" % CLOSED_PORT,
            res["closed_port"] == "refused", res["closed_port"])

    n_conns = len(SIZES) + PARALLEL
    st = lp.wait_stats(sl, lambda st: st["stack"]["tcp_closed"] >= n_conns)
    stk = st["stack"]
    t.check("stack.tcp_accepted == %d" % n_conns, stk["tcp_accepted"] == n_conns,
            "%d" % stk["tcp_accepted"])
    t.check("stack.tcp_closed == %d (every connection ended with FIN)" % n_conns,
            stk["tcp_closed"] == n_conns,
            "closed %d reset %d timeouts %d" % (stk["tcp_closed"], stk["tcp_reset"],
                                                stk["tcp_timeouts"]))
    # Duplicates are fine: Linux's tail loss probe resends the last segment
    # when our delayed ACK is slower than its probe timeout, and a loaded
    # host loses frames on the veth (af_packet ring full) that Linux then
    # resends. An original that arrives after its retransmission (the veth
    # hands frames to per-CPU backlogs, which may reorder them) carries an
    # older timestamp: RFC 7323 PAWS drops it as the old duplicate it is.
    drops = {k: v for k, v in st["drops"].items()
             if v and k.startswith("tcp_") and k not in ("tcp_duplicate", "tcp_paws")}
    t.check("TCP drops: only the closed port's SYN (and duplicates)",
            drops == {"tcp_no_listener": 1}, "%s" % drops)
    t.note("stack: %s" % {k: v for k, v in stk.items() if k.startswith("tcp_")})
    t.note("drops (non-zero): %s" % {k: v for k, v in st["drops"].items() if v})

    st, left = wait_no_conns(sl)
    t.check("telemetry tcp_states: no connection left (all 0 but listen, per lcore and "
            "summed)", not left and st["tcp_states"].get("listen", 0) >= 1,
            "left %s, tcp_states %s" % (left, st.get("tcp_states")))

    now_in_use = lp.wait_in_use(sl, base_in_use)
    t.check("mbufs in use back to baseline while running", now_in_use == base_in_use,
            "baseline %s, now %s" % (base_in_use, now_in_use))

    rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
    t.check("SIGTERM: exits within %.0f s with exit code 0" % lp.STOP_LIMIT,
            rc == 0 and secs <= lp.STOP_LIMIT, "rc %s after %.2f s" % (rc, secs))
    out = sl.output()
    t.check("shutdown: 'every mbuf returned'", "every mbuf returned" in out,
            out[-500:] if "every mbuf returned" not in out else "")


def run_http_checks(t, topo, sl, lp):
    base_in_use = lp.start_ready(t, sl, "sluice (http) starts",
                                 "sluice (http) never became ready")
    res = lp.ns_json(topo, ["/usr/bin/python3", os.path.abspath(__file__), "http", "--dst",
                            lp.SLUICE_IP, "--port", str(ECHO_PORT)], 120, "http client")
    t.check("HTTP: 50 keep-alive requests on one connection answered 200",
            res.get("keepalive_ok") == 50, "%s" % res)
    t.check("HTTP: GET / (not http_path) is 404", res.get("missing_status") == 404,
            "%s" % res)
    t.check("HTTP: 10 pipelined requests in one write, 10 answers, then close",
            res.get("pipelined_200") == 10 and res.get("pipelined_bodies") == 10, "%s" % res)
    t.check("HTTP: curl of http_path gets http_body", res.get("curl") == HTTP_BODY,
            "%s" % res)
    deadline = time.monotonic() + 5
    while True:
        st = sl.stats()
        stk = st["stack"]
        if stk["tcp_accepted"] == 3 and stk["tcp_reset"] + stk["tcp_timeouts"] == 0 and \
                {k: v["in_use"] for k, v in st["mempools"].items()} == base_in_use:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # "Connection: close" makes sluice the active closer: TIME-WAIT is
    # right (RFC 9293 3.6), anything else is a leak.
    st, left = wait_no_conns(sl, allowed=("listen", "time_wait"))
    t.check("HTTP: telemetry tcp_states: no connection left but TIME-WAIT", not left,
            "%s" % left)
    t.check("HTTP: 3 connections, none reset or timed out, mbufs back to baseline",
            stk["tcp_accepted"] == 3 and stk["tcp_reset"] + stk["tcp_timeouts"] == 0 and
            {k: v["in_use"] for k, v in st["mempools"].items()} == base_in_use,
            "%s" % {k: v for k, v in stk.items() if k.startswith("tcp_") and v})
    rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
    t.check("HTTP: SIGTERM, exit 0, every mbuf returned",
            rc == 0 and "every mbuf returned" in sl.output(), "rc %s" % rc)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        return client_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "http":
        return http_main(sys.argv[2:])
    import linux_peer as lp

    ap = lp.arg_parser(__doc__)
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ethtool", "sysctl"))
    if skip is not None:
        return skip

    class TcpSluice(lp.Sluice):
        service = "tcp-echo"

        def start(self):
            self.spawn_config("[sluice]\nservice = %s\nduration = 0\nstats_interval = 1\n"
                              "[port0]\ndev = %s\nip = %s/%d\n[service]\ntcp_port = %d\n"
                              "[http]\nhttp_path = %s\nhttp_body = %s\n"
                              "[tcp]\nmax_conns = 256\n"
                              % (self.service, self.port_dev, lp.SLUICE_IP, lp.PREFIX_LEN,
                                 ECHO_PORT, HTTP_PATH, HTTP_BODY_INI), "sl_tcp_interop_")

    lp.exit_on_term()

    tag = "t%d" % os.getpid()
    t = lp.Checks()
    topo = lp.Topology(tag)
    with lp.Guard(t, topo, a.verbose) as g:
        sl = g.sluice(TcpSluice(os.path.abspath(a.sluice), topo, tag))
        run_checks(t, topo, sl, lp)
        sl.close()
        sl = g.sluice(TcpSluice(os.path.abspath(a.sluice), topo, tag))
        sl.service = "http"
        run_http_checks(t, topo, sl, lp)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
