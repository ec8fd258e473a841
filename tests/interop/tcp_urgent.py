#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: Linux urgent data (MSG_OOB) through sluice's tcp-echo.

RFC 9293 3.8.5 (MUST-30..33, MUST-62) with RFC 6093: urgent bytes stay in
the stream. Linux sends send(..., MSG_OOB) with URG and the urgent pointer
after the last byte; sluice must track the pointer (stack counter
tcp_urgent_rcvd) and deliver every byte in line, so tcp-echo, which knows
nothing of urgency, echoes the stream intact.

Same topology as tcp_peer.py (veth pair, the Linux end in a namespace,
sluice on net_af_packet, Linux TSO/GSO off). Checks: sluice starts; three
connections, each half-closed by Linux after sending and read to EOF:
"hello" + "abc" (MSG_OOB) + "tail"; 20 one-byte urgent sends between
normal writes; 100000 bytes sent with MSG_OOB (urgent data longer than
the 16-bit pointer reaches) then 1000 more; every echo is byte for byte
what was sent; tcp_urgent_rcvd >= 3; every connection closed with FIN,
no TCP drop but duplicates; no connection left; mbufs back to baseline;
SIGTERM exits 0 within 2 s.

Run as root: tcp_urgent.py --sluice build/apps/sluice. Prints "ok N - ..."
lines and "N passed, M failed"; exits 0 only if every check passed, 77
(skipped) without root. Inside the namespace it runs itself as
`tcp_urgent.py client ...` (standard library only).
"""

import argparse
import hashlib
import json
import os
import random
import signal
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

ECHO_PORT = 7
IO_TIMEOUT = 30.0
BIG = 100000


# ---- the Linux side (inside the namespace) ----------------------------

def echo_urgent(dst, port, writes):
    """One connection: @writes is a list of (bytes, urgent); send them in
    order (TCP_NODELAY, so each leaves as it is written), half-close, read
    the echo to EOF and compare."""
    sent = b"".join(d for d, _ in writes)
    res = {"bytes": len(sent), "urgent_writes": sum(1 for _, u in writes if u), "ok": False}
    try:
        s = socket.create_connection((dst, port), timeout=10)
    except OSError as e:
        res["error"] = "connect: %s" % e
        return res
    s.settimeout(IO_TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    err = []

    def send():
        try:
            for d, urgent in writes:
                if urgent:
                    n = 0
                    while n < len(d):  # send() with MSG_OOB may take part
                        n += s.send(d[n:], socket.MSG_OOB)
                else:
                    s.sendall(d)
                time.sleep(0.005)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append("send: %s" % e)

    th = threading.Thread(target=send)
    th.start()
    back = bytearray()
    try:
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            back += b
    except OSError as e:
        err.append("recv after %d bytes: %s" % (len(back), e))
    th.join(IO_TIMEOUT)
    s.close()
    res.update(received=len(back), sha256_sent=hashlib.sha256(sent).hexdigest(),
               sha256_back=hashlib.sha256(back).hexdigest())
    if back != sent:
        res["head_back"] = bytes(back[:40]).hex()
    if err:
        res["error"] = "; ".join(err)
    res["ok"] = not err and back == sent
    return res


def client_main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args(argv)
    rnd = random.Random(9293)
    interleaved = []
    for i in range(20):
        interleaved.append((rnd.randbytes(rnd.randint(1, 300)), False))
        interleaved.append((bytes([i]), True))
    out = {
        "small": echo_urgent(a.dst, a.port, [(b"hello", False), (b"abc", True),
                                             (b"tail", False)]),
        "interleaved": echo_urgent(a.dst, a.port, interleaved),
        "big": echo_urgent(a.dst, a.port, [(rnd.randbytes(BIG), True),
                                           (rnd.randbytes(1000), False)]),
    }
    print(json.dumps(out), flush=True)
    return 0


# ---- the sluice side --------------------------------------------------

def run_checks(t, topo, sl, lp, tp):
    topo.open()
    lp.sh(["ethtool", "-K", topo.peer_if, "tso", "off", "gso", "off"], ns=topo.ns)
    base_in_use = lp.start_ready(t, sl)

    res = lp.ns_json(topo, ["/usr/bin/python3", os.path.abspath(__file__), "client", "--dst",
                            lp.SLUICE_IP, "--port", str(ECHO_PORT)], 180, "client")
    names = {"small": "'hello' + 'abc' (MSG_OOB) + 'tail'",
             "interleaved": "20 one-byte MSG_OOB sends between normal writes",
             "big": "%d B sent with MSG_OOB (pointer past 64 KiB), then 1000 B" % BIG}
    for k, name in names.items():
        r = res[k]
        t.check("urgent echo, %s: echoed intact, in line" % name, r["ok"],
                "%s" % {x: v for x, v in r.items() if x != "ok"})

    n_conns = len(names)
    st = lp.wait_stats(sl, lambda st: st["stack"]["tcp_closed"] >= n_conns)
    stk = st["stack"]
    t.check("stack.tcp_urgent_rcvd >= %d (sluice saw the urgent pointer)" % n_conns,
            stk.get("tcp_urgent_rcvd", 0) >= n_conns, "%s" % stk.get("tcp_urgent_rcvd"))
    t.check("stack.tcp_accepted == tcp_closed == %d (all ended with FIN)" % n_conns,
            stk["tcp_accepted"] == n_conns and stk["tcp_closed"] == n_conns,
            "accepted %d closed %d reset %d timeouts %d"
            % (stk["tcp_accepted"], stk["tcp_closed"], stk["tcp_reset"], stk["tcp_timeouts"]))
    drops = {k: v for k, v in st["drops"].items()
             if v and k.startswith("tcp_") and k != "tcp_duplicate"}
    t.check("no TCP drops (but duplicates)", not drops, "%s" % drops)
    t.note("stack: %s" % {k: v for k, v in stk.items() if k.startswith("tcp_") and v})

    st, left = tp.wait_no_conns(sl)
    t.check("telemetry tcp_states: no connection left", not left, "%s" % left)
    now_in_use = lp.wait_in_use(sl, base_in_use)
    t.check("mbufs in use back to baseline", now_in_use == base_in_use,
            "baseline %s, now %s" % (base_in_use, now_in_use))
    rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
    t.check("SIGTERM: exit 0 within %.0f s, every mbuf returned" % lp.STOP_LIMIT,
            rc == 0 and secs <= lp.STOP_LIMIT and "every mbuf returned" in sl.output(),
            "rc %s after %.2f s" % (rc, secs))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        return client_main(sys.argv[2:])
    import linux_peer as lp
    import tcp_peer as tp

    ap = lp.arg_parser(__doc__)
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ethtool", "sysctl"))
    if skip is not None:
        return skip

    class EchoSluice(lp.Sluice):
        def start(self):
            self.spawn_config("[sluice]\nservice = tcp-echo\nduration = 0\nstats_interval = 1\n"
                              "[port0]\ndev = %s\nip = %s/%d\n[service]\ntcp_port = %d\n"
                              "[tcp]\nmax_conns = 64\n"
                              % (self.port_dev, lp.SLUICE_IP, lp.PREFIX_LEN, ECHO_PORT),
                              "sl_urg_interop_")

    lp.exit_on_term()

    tag = "u%d" % os.getpid()
    t = lp.Checks()
    topo = lp.Topology(tag)
    with lp.Guard(t, topo, a.verbose) as g:
        sl = g.sluice(EchoSluice(os.path.abspath(a.sluice), topo, tag))
        run_checks(t, topo, sl, lp, tp)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
