#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: memcached clients against sluice's kv service, side by side
with Debian's memcached.

Same topology as linux_peer.py (a veth pair, the Linux end in a network
namespace, sluice on net_af_packet on the other end). The test starts a
real `memcached -p 11211 -U 11211` inside the namespace, on the peer's
address, and runs every client against both:

- `memccapable -a` (libmemcached-tools): every ASCII test passes against kv,
  and the per-test results are the same as against memcached;
- a socket client sends the same command sequence (every command, noreply,
  errors, pipelined requests, requests split into pieces) to both and
  compares each reply byte for byte (CAS numbers and the version string
  normalised; two cases where kv closes the connection on purpose are
  checked against their expected bytes instead);
- gets then cas with the CAS it returned, then cas with a stale one;
- get over UDP through memcached's 8-byte frame header, one datagram and a
  value that takes several;
- a second sluice run with [kv] memory_mb = 2: 4000 sets of 1000 bytes evict
  (stats evictions > 0), the last keys are there, the first are gone;
- a third run in pipeline mode with two workers: a set on one connection,
  then gets on eight others, spread over both workers (per-lcore
  tcp_accepted), all return the value.

Every run ends with no connection left, mbufs back to the baseline and
SIGTERM exiting 0 with every mbuf returned. Needs root, memcached and
memccapable; exits 77 (skipped) without. Inside the namespace it runs
itself as `kv_peer.py client ...` (standard library only).
"""

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

PORT = 11211
IO_TIMEOUT = 5.0
LONG = b"k" * 251

# (name, bytes sent, how): how = "one" (one write), "split" (written in
# small pieces), "close" (the server closes; read to EOF)
CASES = [
    ("flush", b"flush_all\r\n", "one"),
    ("set", b"set a 0 0 1\r\nx\r\n", "one"),
    ("get hit and miss", b"get a b\r\n", "one"),
    ("get many, repeated", b"get a a zz a\r\n", "one"),
    ("set flags exptime", b"set k 42 0 3\r\nabc\r\nget k\r\n", "one"),
    ("bare LF", b"set lf 0 0 1\nx\r\nget lf\n", "one"),
    ("extra spaces", b"get  a   k \r\n", "one"),
    ("leading space", b" get a\r\n", "one"),
    ("add existing", b"add k 0 0 1\r\nx\r\n", "one"),
    ("add new", b"add n1 0 0 1\r\ny\r\n", "one"),
    ("replace missing", b"replace nope 0 0 1\r\nx\r\n", "one"),
    ("replace existing", b"replace n1 7 0 2\r\nzz\r\nget n1\r\n", "one"),
    ("append prepend", b"append k 0 0 2\r\nde\r\nprepend k 0 0 2\r\nzz\r\nget k\r\n", "one"),
    ("append missing", b"append nope 0 0 1\r\nx\r\n", "one"),
    ("cas missing", b"cas nope 0 0 1 5\r\nx\r\n", "one"),
    ("cas bad", b"cas k 0 0 1 x\r\nx\r\n", "one"),
    ("delete", b"delete n1\r\ndelete n1\r\n", "one"),
    ("delete 0", b"delete k 0\r\n", "one"),
    ("delete bad", b"delete a 1\r\n", "one"),
    ("delete noreply", b"set d 0 0 1\r\nx\r\ndelete d noreply\r\nget d\r\n", "one"),
    ("incr decr", b"set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nincr n 18446744073709551615"
     b"\r\nget n\r\n", "one"),
    ("incr wrap", b"set w 0 0 20\r\n18446744073709551615\r\nincr w 2\r\nget w\r\n", "one"),
    ("incr non-numeric", b"incr a 1\r\n", "one"),
    ("incr negative value", b"set m 0 0 2\r\n-5\r\nincr m 1\r\n", "one"),
    ("incr bad delta", b"incr n x\r\n", "one"),
    ("incr missing", b"incr nokey 1\r\ndecr nokey 1\r\n", "one"),
    ("incr noreply", b"incr n 1 noreply\r\nget n\r\n", "one"),
    ("incr grows", b"set g 0 0 1\r\n9\r\nincr g 1\r\nget g\r\n", "one"),
    ("touch", b"touch a 100\r\ntouch nope 100\r\ntouch a x\r\n", "one"),
    ("gat", b"gat 100 a nope\r\ngat x a\r\n", "one"),
    ("gat no key", b"gat 10\r\n", "one"),
    ("set noreply", b"set q 0 0 2 noreply\r\nhi\r\nget q\r\n", "one"),
    ("set bad", b"set a b 0 1\r\nx\r\n", "one"),
    ("set bad noreply", b"set a b 0 1 noreply\r\n", "one"),
    ("set negative length", b"set a 0 0 -1\r\n", "one"),
    ("set too few tokens", b"set a 0 0\r\n", "one"),
    ("set flags wrap", b"set fw 4294967296 0 1\r\nx\r\nset fx 4294967295 0 1\r\nx\r\n"
     b"get fw fx\r\n", "one"),
    ("set negative flags", b"set a -1 0 1\r\nx\r\n", "one"),
    ("set expired", b"set e 0 -1 1\r\nx\r\nget e\r\n", "one"),
    ("key too long", b"get " + LONG + b"\r\n", "one"),
    ("key too long later", b"get a " + LONG + b" b\r\n", "one"),
    ("set key too long", b"set " + LONG + b" 0 0 1\r\nx\r\n", "one"),
    ("unknown", b"foo\r\nGET a\r\n\r\n", "one"),
    ("get no key", b"get\r\n", "one"),
    ("binary garbage", b"\x00\x01\x02garbage\r\n", "one"),
    ("incr token counts", b"incr\r\nincr a\r\nincr a 1 2 3\r\n", "one"),
    ("verbosity", b"verbosity 1\r\nverbosity\r\nverbosity x\r\nverbosity 1 noreply\r\n", "one"),
    ("flush_all delay", b"flush_all 0\r\nflush_all x\r\nflush_all noreply\r\n", "one"),
    ("too large", b"set big 0 0 2000000\r\n" + b"x" * 2000000 + b"\r\nget big\r\n", "one"),
    ("large value", b"set big 0 0 500000\r\n" + bytes(range(256)) * 1953 + b"xx\r\nget big\r\n",
     "one"),
    ("pipelined", b"set p1 0 0 1\r\n1\r\nset p2 0 0 1\r\n2\r\nget p1 p2\r\ndelete p1\r\n"
     b"get p1 p2\r\n" * 3, "one"),
    ("split", b"set s1 0 0 5\r\nhello\r\nget s1\r\nincr s1 1\r\ndelete s1\r\nget s1\r\n",
     "split"),
    ("long multiget", b"get " + b" ".join(b"mk%04d" % i for i in range(600)) + b" a\r\n", "one"),
    ("meta mn mg", b"set a 0 0 1\r\nx\r\nmg a s v t f\r\nmg a k q\r\nmg zz v q\r\nmg zz v\r\n"
     b"mn\r\n", "one"),
    ("meta ms", b"ms c 1 T100 F5\r\nz\r\nmg c f t v\r\nms c 2 MA\r\nyy\r\nmg c v\r\n", "one"),
    ("meta ms bad", b"ms c S1\r\nz\r\nms c 2 MX\r\nyy\r\n", "one"),
    ("meta ma", b"ma zz N0 J13\r\nma zz v\r\nma zz MD D5 v\r\nma nope\r\n", "one"),
    ("meta md", b"md zz q\r\nmd zz\r\nmd zz\r\n", "one"),
    ("meta bad flag", b"mg c zz\r\nmg\r\n", "one"),
    ("quit", b"set z 0 0 1\r\nz\r\nquit\r\nget z\r\n", "close"),
]

# kv differs from memcached on purpose here (the issue asks for a close):
# the bytes kv must send, then EOF
OWN_CASES = [
    ("data block not ended by CRLF: CLIENT_ERROR and close", b"set a 0 0 1\r\nxy\r\nget a\r\n",
     b"CLIENT_ERROR bad data chunk\r\n"),
    ("line over 2048 bytes without CRLF: CLIENT_ERROR and close", b"x" * 3000,
     b"CLIENT_ERROR line too long\r\n"),
]


# ---- the client side (inside the namespace) ----------------------------

def normalise(b):
    b = re.sub(rb"(VALUE \S+ \d+ \d+) \d+\r\n", rb"\1 <cas>\r\n", b)
    b = re.sub(rb" c\d+", b" c<cas>", b)
    b = re.sub(rb"VERSION [^\r]*\r\n", b"VERSION <v>\r\n", b)
    return b


def exchange(host, data, how):
    s = socket.create_connection((host, PORT), timeout=IO_TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = b""
    try:
        if how == "split":
            for i in range(0, len(data), 3):
                s.sendall(data[i:i + 3])
                time.sleep(0.002)
        else:
            s.sendall(data)
        if how != "close":
            s.sendall(b"mn\r\n")
        while True:
            b = s.recv(1 << 16)
            if not b:
                out += b"<EOF>"
                break
            out += b
            if how != "close" and out.endswith(b"MN\r\n"):
                break
    except socket.timeout:
        out += b"<TIMEOUT>"
    except ConnectionResetError:
        out += b"<RST>"
    s.close()
    return out


def cas_flow(host):
    """gets, then cas with that CAS (STORED), then with the stale one."""
    s = socket.create_connection((host, PORT), timeout=IO_TIMEOUT)

    def cmd(b, end):
        s.sendall(b)
        out = b""
        while not out.endswith(end):
            r = s.recv(65536)
            if not r:
                break
            out += r
        return out

    cmd(b"set cf 0 0 1\r\nx\r\n", b"\r\n")
    r = cmd(b"gets cf\r\n", b"END\r\n")
    m = re.match(rb"VALUE cf 0 1 (\d+)\r\n", r)
    if not m:
        return ["no gets: %r" % r]
    cas = m.group(1)
    res = [cmd(b"cas cf 0 0 1 " + cas + b"\r\ny\r\n", b"\r\n").decode(),
           cmd(b"cas cf 0 0 1 " + cas + b"\r\nz\r\n", b"\r\n").decode(),
           cmd(b"get cf\r\n", b"END\r\n").decode()]
    s.close()
    return res


def udp_get(host, keys, req_id):
    """get over UDP: every datagram answering within 0.5 s of the last one.
    memcached 1.6.18 may answer in several "messages" (VALUE..., then END),
    each numbered from 0; the content is compared concatenated."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    hdr = req_id.to_bytes(2, "big") + b"\x00\x00\x00\x01\x00\x00"
    s.sendto(hdr + b"get " + b" ".join(keys) + b"\r\n", (host, PORT))
    got = []
    try:
        while True:
            d, _ = s.recvfrom(65536)
            rid, seq, tot, rsv = (int.from_bytes(d[i:i + 2], "big") for i in (0, 2, 4, 6))
            if rid == req_id and rsv == 0:
                got.append((seq, tot, d[8:]))
    except socket.timeout:
        pass
    s.close()
    return {"n": len(got), "totals": sorted(set(t for _, t, _ in got)),
            "seqs": [q for q, _, _ in got],
            "reply": b"".join(p for _, _, p in got).decode("latin1")}


def client_main(argv):
    kv, mc = argv[0], argv[1]
    res = {"cases": [], "own": []}
    for name, data, how in CASES:
        a = exchange(kv, data, how)
        b = exchange(mc, data, how)
        res["cases"].append({"name": name, "same": normalise(a) == normalise(b),
                             "kv": a[:300].decode("latin1"), "mc": b[:300].decode("latin1")})
    for name, data, want in OWN_CASES:
        a = exchange(kv, data, "close")
        res["own"].append({"name": name, "ok": a == want + b"<EOF>", "kv": a[:200].decode("latin1")})
    res["cas_kv"] = cas_flow(kv)
    res["cas_mc"] = cas_flow(mc)
    # UDP: a small value and one that takes several datagrams
    for host, tag in ((kv, "kv"), (mc, "mc")):
        exchange(host, b"set u1 3 0 5\r\nhello\r\nset u2 0 0 4000\r\n" + b"u" * 4000 + b"\r\n",
                 "one")
        res["udp_small_" + tag] = udp_get(host, [b"u1", b"nope"], 0x1234)
        res["udp_big_" + tag] = udp_get(host, [b"u2"], 0x4321)
    print(json.dumps(res), flush=True)
    return 0


def evict_main(argv):
    host, n, size = argv[0], int(argv[1]), int(argv[2])
    s = socket.create_connection((host, PORT), timeout=IO_TIMEOUT)
    val = b"v" * size
    buf = b""
    for i in range(n):
        buf += b"set ev%05d 0 0 %d noreply\r\n%s\r\n" % (i, size, val)
        if len(buf) > 60000:
            s.sendall(buf)
            buf = b""
    s.sendall(buf + b"get ev00000 ev%05d\r\nstats\r\n" % (n - 1))
    out = b""
    while not out.endswith(b"END\r\n") or out.count(b"END\r\n") < 2:
        r = s.recv(65536)
        if not r:
            break
        out += r
    s.close()
    stats = dict(re.findall(r"STAT (\S+) (\S+)", out.decode("latin1")))
    print(json.dumps({"first": b"VALUE ev00000 " in out,
                      "last": (b"VALUE ev%05d " % (n - 1)) in out, "stats": stats}), flush=True)
    return 0


def lcores_main(argv):
    host, n = argv[0], int(argv[1])
    setter = socket.create_connection((host, PORT), timeout=IO_TIMEOUT)
    setter.sendall(b"set shared 9 0 6\r\nacross\r\n")
    r = setter.recv(100)
    ok = 0
    conns = []
    for _ in range(n):
        s = socket.create_connection((host, PORT), timeout=IO_TIMEOUT)
        s.sendall(b"get shared\r\n")
        out = b""
        while not out.endswith(b"END\r\n"):
            b = s.recv(1000)
            if not b:
                break
            out += b
        ok += out == b"VALUE shared 9 6\r\nacross\r\nEND\r\n"
        conns.append(s)
    print(json.dumps({"set": r.decode("latin1"), "gets_ok": ok}), flush=True)
    sys.stdin.readline()  # the harness has looked at telemetry
    for s in conns + [setter]:
        s.close()
    return 0


# ---- the sluice side --------------------------------------------------

def memccapable(topo, lp, host):
    p = lp.sh(["memccapable", "-a", "-t", "5", "-h", host, "-p", str(PORT)], timeout=120,
              check=False, ns=topo.ns)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("ascii ")]
    return p.returncode, lines, p.stdout + p.stderr


def finish(t, sl, lp, tp, base_in_use, tag):
    st, left = tp.wait_no_conns(sl, allowed=("listen", "time_wait"))
    t.check("%s: no connection left (telemetry tcp_states)" % tag, not left, "%s" % left)
    now_in_use = lp.wait_in_use(sl, base_in_use)
    # kv's own pools (kv_txN) appear when the lcores start, maybe after
    # the baseline was read: they count too, from 0
    now_in_use = {k: v for k, v in now_in_use.items() if k in base_in_use or v}
    t.check("%s: mbufs in use back to baseline" % tag, now_in_use == base_in_use,
            "baseline %s, now %s" % (base_in_use, now_in_use))
    rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
    t.check("%s: SIGTERM, exit 0 within %.0f s, every mbuf returned" % (tag, lp.STOP_LIMIT),
            rc == 0 and secs <= lp.STOP_LIMIT and "every mbuf returned" in sl.output(),
            "rc %s after %.2f s" % (rc, secs))


def run_checks(t, topo, lp, tp, g, exe, tag):
    topo.open()
    lp.sh(["ethtool", "-K", topo.peer_if, "tso", "off", "gso", "off"], ns=topo.ns)
    mc = subprocess.Popen(["ip", "netns", "exec", topo.ns, "memcached", "-u", "root", "-p",
                           str(PORT), "-U", str(PORT), "-l", lp.PEER_IP, "-t", "1"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    g.cleanup.append(lambda: (mc.terminate(), mc.wait(5)))

    class KvSluice(lp.Sluice):
        extra = ""
        mode = None

        def start(self):
            self.spawn_config("[sluice]\nservice = kv\nstats_interval = 0\n"
                              "[port0]\ndev = %s\nip = %s/%d\n%s"
                              % (self.port_dev, lp.SLUICE_IP, lp.PREFIX_LEN, self.extra),
                              lcores=self.lcores,
                              extra=["--mode", self.mode] if self.mode else [])

    sl = g.sluice(KvSluice(exe, topo, tag))
    sl.lcores = ("-l", "0")
    base = lp.start_ready(t, sl, "kv: sluice starts on port 11211 (TCP and UDP)")
    t.check("kv: says it serves port 11211", "TCP port 11211" in sl.output() and
            "UDP port 11211" in sl.output(), sl.output()[-300:])

    rc, kv_lines, out = memccapable(topo, lp, lp.SLUICE_IP)
    t.check("memccapable -a against kv: every ASCII test passes", rc == 0 and kv_lines and
            all(ln.endswith("[pass]") for ln in kv_lines), out[-1500:])
    rc2, mc_lines, out2 = memccapable(topo, lp, lp.PEER_IP)
    t.check("memccapable -a against memcached: the same results (%d tests)" % len(mc_lines),
            rc2 == rc and mc_lines == kv_lines and len(mc_lines) >= 20,
            "kv %s / memcached %s" % (kv_lines, mc_lines))

    res = lp.ns_json(topo, ["/usr/bin/python3", os.path.abspath(__file__), "client",
                            lp.SLUICE_IP, lp.PEER_IP], 300, "client")
    for c in res["cases"]:
        t.check("same reply as memcached: %s" % c["name"], c["same"],
                "kv %r / memcached %r" % (c["kv"], c["mc"]))
    for c in res["own"]:
        t.check("kv: %s" % c["name"], c["ok"], "got %r" % c["kv"])
    t.check("gets + cas: STORED then EXISTS, as memcached",
            res["cas_kv"] == res["cas_mc"] and res["cas_kv"][:2] == ["STORED\r\n", "EXISTS\r\n"],
            "kv %s / memcached %s" % (res["cas_kv"], res["cas_mc"]))
    for k in ("udp_small", "udp_big"):
        a, b = res[k + "_kv"], res[k + "_mc"]
        t.check("UDP get with the frame header (%s): same content as memcached, "
                "sequence numbers 0..n-1 of n" % k, a["reply"] == b["reply"] and a["n"] >= 1 and
                a["seqs"] == list(range(a["n"])) and a["totals"] == [a["n"]],
                "kv %s / memcached %s" % ({x: a[x] for x in ("n", "totals", "seqs", "reply")},
                                          {x: b[x] for x in ("n", "totals", "seqs", "reply")}))
    t.check("UDP: a get of a 4000-byte value takes several datagrams",
            res["udp_big_kv"]["n"] >= 3, "%s" % res["udp_big_kv"]["n"])
    finish(t, sl, lp, tp, base, "kv")

    # eviction under a small memory limit
    sl2 = g.sluice(KvSluice(exe, topo, tag + "e"))
    sl2.lcores = ("-l", "0")
    sl2.extra = "[kv]\nmemory_mb = 2\n"
    base = lp.start_ready(t, sl2, "kv (memory_mb = 2) starts")
    ev = lp.ns_json(topo, ["/usr/bin/python3", os.path.abspath(__file__), "evict",
                           lp.SLUICE_IP, "4000", "1000"], 120, "evict")
    st = ev["stats"]
    t.check("memory_mb = 2: 4000 x 1000 B evict (stats evictions > 0), newest kept, oldest gone",
            int(st.get("evictions", 0)) > 0 and ev["last"] and not ev["first"] and
            int(st.get("bytes", 1 << 30)) <= 2 << 20,
            "%s" % ({k: st.get(k) for k in ("evictions", "curr_items", "bytes", "total_items")}
                    | {"first": ev["first"], "last": ev["last"]}))
    finish(t, sl2, lp, tp, base, "kv evict")

    # two workers: one table
    sl3 = g.sluice(KvSluice(exe, topo, tag + "p"))
    sl3.lcores = ("--lcores", "(0-2)@(0-1)")
    sl3.mode = "pipeline"
    base = lp.start_ready(t, sl3, "kv (pipeline, two workers) starts")
    cl = subprocess.Popen(["ip", "netns", "exec", topo.ns, "/usr/bin/python3",
                           os.path.abspath(__file__), "lcores", lp.SLUICE_IP, "16"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = cl.stdout.readline()
        r = json.loads(line) if line else {"set": "", "gets_ok": 0}
        st = sl3.stats()
    finally:
        cl.stdin.write("\n")
        cl.stdin.close()
        cl.wait(30)
    acc = {k: v["tcp_states"].get("established", 0) for k, v in st.items()
           if k.startswith("lcore_") and isinstance(v, dict) and "tcp_states" in v}
    t.check("two workers: set on one connection, get on 16 others returns it on each",
            r["set"] == "STORED\r\n" and r["gets_ok"] == 16, "%s" % r)
    t.check("two workers: the connections landed on both workers",
            len([v for v in acc.values() if v > 0]) == 2, "established per lcore %s" % acc)
    finish(t, sl3, lp, tp, base, "kv pipeline")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        return client_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "evict":
        return evict_main(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "lcores":
        return lcores_main(sys.argv[2:])
    import linux_peer as lp
    import tcp_peer as tp

    ap = lp.arg_parser(__doc__)
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ethtool", "sysctl", "memcached", "memccapable"))
    if skip is not None:
        return skip
    lp.exit_on_term()
    tag = str(os.getpid())
    t = lp.Checks()
    topo = lp.Topology(tag)
    with lp.Guard(t, topo, a.verbose) as g:
        run_checks(t, topo, lp, tp, g, os.path.abspath(a.sluice), tag)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
