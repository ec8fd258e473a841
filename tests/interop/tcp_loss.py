#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: sluice TCP against Linux under packet loss (RELIABILITY.md T5).

Topology of tcp_peer.py (veth pair, the Linux end in a namespace, sluice on
net_af_packet). Loss comes from nft on the Linux end of the veth: a netdev
table whose chains drop `numgen random mod 100 < N` of the TCP frames, on
the ingress hook and, where the kernel and nft have it, the egress hook too
(so both directions lose N %).

Checks, at 1 %, 5 % and 10 % loss:
- passive open: a Linux client sends 4 MiB to tcp-echo, half-closes, and
  reads the echo back; SHA-256 of the echo matches, within 60 s;
- active open: sluice's tcp-fetch service connects to a Linux socket server
  in the namespace, sends a request and reads 4 MiB until the server
  closes; the SHA-256 sluice prints matches the server's, within 60 s;
and after each: telemetry's tcp_states show no connection left (all 0 but
LISTEN), no connection was reset or timed out, mbufs back to the baseline;
SIGTERM stops sluice with exit 0 and every mbuf returned. Last, tcp-fetch in
pipeline mode with two workers, each opening a connection: both fetches
must succeed with no RST, which they do only if each worker drew a port
whose answers hash back to it (lcore/rss.c).

Run as root: tcp_loss.py --sluice build/apps/sluice. TAP-like output as
tcp_peer.py; exits 77 (skipped) without root or nft. Inside the namespace it
runs itself as `tcp_loss.py client|server ...`.
"""

import argparse
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tcp_peer  # noqa: E402  (echo_one, payload, the telemetry checks)

LOSSES = [1, 5, 10]
SIZE = 4 << 20
ECHO_PORT = 7
FETCH_PORT = 8080
TIME_LIMIT = 60.0
NFT_TABLE = "sl_loss"


# ---- the Linux side (inside the namespace) ----------------------------

def client_main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    a = ap.parse_args(argv)
    tcp_peer.IO_TIMEOUT = TIME_LIMIT
    print(json.dumps(tcp_peer.echo_one(a.dst, a.port, a.size, a.seed)), flush=True)
    return 0


def server_main(argv):
    """Accept connections one at a time; read the request (up to the blank
    line), send --size bytes of payload(--size, --seed), close."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    a = ap.parse_args(argv)
    data = tcp_peer.payload(a.size, a.seed)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(8)
    print(json.dumps({"listening": a.port, "sha256": hashlib.sha256(data).hexdigest()}),
          flush=True)
    while True:
        s, _ = ls.accept()
        s.settimeout(TIME_LIMIT)
        try:
            req = b""
            while b"\r\n\r\n" not in req:
                b = s.recv(4096)
                if not b:
                    break
                req += b
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):  # until sluice's FIN
                pass
        except OSError:
            pass
        s.close()


# ---- the sluice side --------------------------------------------------

def nft_loss(lp, topo, pct):
    """Drop pct % of TCP frames on the peer's veth, both ways if the egress
    hook exists. Returns "ingress+egress", "ingress" or raises."""
    lp.sh(["nft", "delete", "table", "netdev", NFT_TABLE], ns=topo.ns, check=False)
    if pct == 0:
        return "none"
    rule = "ip protocol tcp numgen random mod 100 < %d counter drop" % pct
    dev = topo.peer_if
    base = ("table netdev %s {\n chain in { type filter hook ingress device \"%s\" "
            "priority 0; %s; }\n" % (NFT_TABLE, dev, rule))
    egress = (" chain out { type filter hook egress device \"%s\" priority 0; %s; }\n"
              % (dev, rule))
    for text, what in ((base + egress + "}\n", "ingress+egress"), (base + "}\n", "ingress")):
        p = subprocess.run(["ip", "netns", "exec", topo.ns, "nft", "-f", "-"], input=text,
                           capture_output=True, text=True, timeout=10)
        if p.returncode == 0:
            return what
    raise lp.Fatal("nft: %s" % p.stderr.strip())


def nft_dropped(lp, topo):
    p = lp.sh(["nft", "list", "table", "netdev", NFT_TABLE], ns=topo.ns, check=False)
    return sum(int(x) for x in re.findall(r"packets (\d+)", p.stdout))


def settle(t, sl, base_in_use, what):
    """No connection left, none reset or timed out, mbufs at baseline."""
    st, left = tcp_peer.wait_no_conns(sl, secs=20.0)
    t.check("%s: tcp_states: no connection left" % what, not left, "%s" % left)
    deadline = time.monotonic() + 5
    while True:
        st = sl.stats()
        in_use = {k: v["in_use"] for k, v in st["mempools"].items()}
        if in_use == base_in_use or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    t.check("%s: mbufs back to baseline" % what, in_use == base_in_use,
            "baseline %s, now %s" % (base_in_use, in_use))
    stk = st["stack"]
    t.check("%s: no connection reset or timed out" % what,
            stk["tcp_reset"] + stk["tcp_timeouts"] == 0,
            "reset %d timeouts %d" % (stk["tcp_reset"], stk["tcp_timeouts"]))
    return stk


def run_echo(t, topo, sl, lp):
    topo.open()
    lp.sh(["ethtool", "-K", topo.peer_if, "tso", "off", "gso", "off"], ns=topo.ns)
    base_in_use = lp.start_ready(t, sl, "sluice (tcp-echo) starts")
    prev = dict(sl.stats()["stack"])
    for pct in LOSSES:
        hooks = nft_loss(lp, topo, pct)
        p = lp.sh(["/usr/bin/python3", os.path.abspath(__file__), "client", "--dst",
                   lp.SLUICE_IP, "--port", str(ECHO_PORT), "--size", str(SIZE), "--seed",
                   str(pct)], timeout=TIME_LIMIT + 30, check=False, ns=topo.ns)
        dropped = nft_dropped(lp, topo)
        nft_loss(lp, topo, 0)
        try:
            r = json.loads(p.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            r = {"ok": False, "error": "client: %s %s" % (p.stdout[-500:], p.stderr[-500:])}
        t.check("echo %d B at %d %% loss (%s): SHA-256 matches within %.0f s"
                % (SIZE, pct, hooks, TIME_LIMIT),
                r["ok"] and r.get("seconds", 1e9) < TIME_LIMIT,
                "%s, nft dropped %d" % ({k: v for k, v in r.items() if k != "ok"}, dropped))
        stk = settle(t, sl, base_in_use, "echo %d %%" % pct)
        t.note("echo %d %%: retransmits %d (rto %d, fast %d of them %d by the reordering "
               "timer, lost again %d, loss probes %d), duplicates %d"
               % (pct, stk["tcp_retransmits"] - prev["tcp_retransmits"],
                  stk["tcp_rto"] - prev["tcp_rto"],
                  stk["tcp_fast_retransmits"] - prev["tcp_fast_retransmits"],
                  stk.get("tcp_rack_recoveries", 0) - prev.get("tcp_rack_recoveries", 0),
                  stk.get("tcp_lost_retransmits", 0) - prev.get("tcp_lost_retransmits", 0),
                  stk.get("tcp_tlp_probes", 0) - prev.get("tcp_tlp_probes", 0),
                  sl.stats()["drops"].get("tcp_duplicate", 0)))
        prev = dict(stk)
    rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
    t.check("tcp-echo: SIGTERM, exit 0, every mbuf returned",
            rc == 0 and "every mbuf returned" in sl.output(), "rc %s" % rc)
    return base_in_use


def run_fetch(t, topo, make_sluice, lp, base_in_use):
    srv = subprocess.Popen(["ip", "netns", "exec", topo.ns, "/usr/bin/python3",
                            os.path.abspath(__file__), "server", "--port", str(FETCH_PORT),
                            "--size", str(SIZE), "--seed", "77"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        want = json.loads(srv.stdout.readline())["sha256"]
        for pct in [0] + LOSSES:
            hooks = nft_loss(lp, topo, pct)
            sl = make_sluice()
            try:
                sl.start()
                ok, why = sl.wait_ready(lp.READY_TIMEOUT)
                if not t.check("sluice (tcp-fetch, %d %% loss) starts" % pct, ok, why):
                    continue
                deadline = time.monotonic() + TIME_LIMIT
                m = None
                while time.monotonic() < deadline and m is None:
                    m = re.search(r"^tcp-fetch: lcore \d+: (\d+) bytes sha256 ([0-9a-f]{64}) "
                                  r"closed (\w+) in ([\d.]+) s", sl.output(), re.M)
                    if m is None:
                        fail = re.search(r"^tcp-fetch: .*failed.*$", sl.output(), re.M)
                        if fail:
                            break
                        time.sleep(0.2)
                dropped = nft_dropped(lp, topo)
                nft_loss(lp, topo, 0)
                t.check("fetch %d B from Linux at %d %% loss (%s): SHA-256 matches, FIN, "
                        "within %.0f s" % (SIZE, pct, hooks, TIME_LIMIT),
                        m is not None and int(m.group(1)) == SIZE and m.group(2) == want and
                        m.group(3) == "fin",
                        "%s, nft dropped %d" % (m.group(0) if m else "no result line: " +
                                                sl.output()[-800:], dropped))
                stk = settle(t, sl, base_in_use, "fetch %d %%" % pct)
                t.check("fetch %d %%: stack counted one active open" % pct,
                        stk["tcp_connected"] == 1 and stk["tcp_closed"] == 1,
                        "connected %d closed %d" % (stk["tcp_connected"], stk["tcp_closed"]))
                t.note("fetch %d %%: retransmits %d (rto %d), duplicates %d"
                       % (pct, stk["tcp_retransmits"], stk["tcp_rto"],
                          sl.stats()["drops"].get("tcp_duplicate", 0)))
                rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
                t.check("fetch %d %%: SIGTERM, exit 0, every mbuf returned" % pct,
                        rc == 0 and "every mbuf returned" in sl.output(), "rc %s" % rc)
            finally:
                if t.failed:
                    t.note("sluice output:\n" + sl.output()[-3000:])
                sl.close()
    finally:
        srv.kill()
        srv.wait(timeout=5)


def run_fetch_pipeline(t, topo, make_sluice, lp, base_in_use):
    """Pipeline mode, two workers, each opening one connection: the port
    each draws must bring the server's answers back to it through the
    software flow hash (lcore/rss.c); a wrong one would be answered by the
    other worker with RST, and the fetch would fail."""
    srv = subprocess.Popen(["ip", "netns", "exec", topo.ns, "/usr/bin/python3",
                            os.path.abspath(__file__), "server", "--port", str(FETCH_PORT),
                            "--size", str(SIZE), "--seed", "78"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    sl = make_sluice()
    try:
        want = json.loads(srv.stdout.readline())["sha256"]
        sl.start()
        ok, why = sl.wait_ready(lp.READY_TIMEOUT)
        if not t.check("sluice (tcp-fetch, pipeline, 2 workers) starts", ok, why):
            return
        deadline = time.monotonic() + TIME_LIMIT
        got = []
        while time.monotonic() < deadline and len(got) < 2:
            got = re.findall(r"^tcp-fetch: lcore (\d+): (\d+) bytes sha256 ([0-9a-f]{64}) "
                             r"closed (\w+)", sl.output(), re.M)
            time.sleep(0.2)
        t.check("pipeline: both workers fetched %d B intact (SHA-256, FIN)" % SIZE,
                len(got) == 2 and len({g[0] for g in got}) == 2 and
                all(int(g[1]) == SIZE and g[2] == want and g[3] == "fin" for g in got),
                "%s" % (got or sl.output()[-800:]))
        stk = settle(t, sl, base_in_use, "pipeline fetch")
        t.check("pipeline fetch: 2 active opens, no RST sent or received",
                stk["tcp_connected"] == 2 and stk["tcp_rst_sent"] == 0 and
                stk["tcp_rst_rcvd"] == 0,
                "%s" % {k: v for k, v in stk.items() if k.startswith("tcp_") and v})
        rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
        t.check("pipeline fetch: SIGTERM, exit 0, every mbuf returned",
                rc == 0 and "every mbuf returned" in sl.output(), "rc %s" % rc)
    finally:
        if t.failed:
            t.note("sluice output:\n" + sl.output()[-3000:])
        sl.close()
        srv.kill()
        srv.wait(timeout=5)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        return client_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "server":
        return server_main(sys.argv[2:])
    import linux_peer as lp

    ap = lp.arg_parser(__doc__)
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ethtool", "sysctl", "nft"),
                        why="network namespaces, veth, af_packet, nft")
    if skip is not None:
        return skip

    class LossSluice(lp.Sluice):
        service = "tcp-echo"

        lcores = ["-l", "0,1"]

        def start(self):
            self.spawn_config("[sluice]\nservice = %s\nduration = 0\nstats_interval = 0\n"
                              "[port0]\ndev = %s\nip = %s/%d\n[service]\ntcp_port = %d\n"
                              "[tcp-fetch]\nconnect_ip = %s\nconnect_port = %d\n"
                              "[tcp]\nmax_conns = 256\nrto_min_ms = 200\n"
                              % (self.service, self.port_dev, lp.SLUICE_IP, lp.PREFIX_LEN,
                                 ECHO_PORT, lp.PEER_IP, FETCH_PORT), "sl_tcp_loss_",
                              self.lcores, ["--mode", self.mode] if self.mode else [])

    lp.exit_on_term()

    tag = "l%d" % os.getpid()
    t = lp.Checks()
    topo = lp.Topology(tag)
    exe = os.path.abspath(a.sluice)

    def make_fetch():
        s = LossSluice(exe, topo, tag)
        s.service = "tcp-fetch"
        return s

    def make_fetch_pipeline():
        # RX/TX on lcore 0, workers 1 and 2 (three lcores on the two CPUs)
        s = LossSluice(exe, topo, tag, mode="pipeline")
        s.service = "tcp-fetch"
        s.lcores = ["--lcores", "(0-2)@(0-1)"]
        return s
    with lp.Guard(t, topo, a.verbose) as g:
        sl = g.sluice(LossSluice(exe, topo, tag))
        base_in_use = run_echo(t, topo, sl, lp)
        sl.close()
        run_fetch(t, topo, make_fetch, lp, base_in_use)
        run_fetch_pipeline(t, topo, make_fetch_pipeline, lp, base_in_use)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
