#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: hand-built TCP segments against sluice and Linux, side by side
(RELIABILITY.md T2, T3, T7, T9 and T13).

Topology: one namespace holds the segment builder (scapy and raw packet
sockets); sluice is on one side of it, a Linux TCP server in a second
namespace on the other:

    sluice (net_af_packet)    ns sl_interop_<tag>                 ns sl_srv_<tag>
    sliH<tag> <== veth ==> sliN<tag> 10.199.0.2
                           sliX<tag> 10.198.0.2 <== veth ==> sliY<tag> 10.198.0.1
                                                             echo :7, http :8080

The builder's own kernel would reset the connections it plays: an nft rule
in its namespace drops the RSTs it sends from the ports the scenarios use
(20000-29999). Frames go out on AF_PACKET sockets, which netfilter does not
see.

Every scenario runs against both servers at once, and each answer is
judged twice: against what RFC 9293 / RFC 5961 require (a deviation of
sluice fails the test, one of Linux is only reported), and against the
other stack on what must be the same where the RFC leaves no choice
(flags, sequence and acknowledgment numbers, whether there is an answer,
the state the server is in). After each scenario sluice's own counters
(telemetry /sluice/stats) must show no connection left, mbufs in use back
to the baseline and the process alive. Sluice runs twice: with http (the
server closes first: FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT) and with
tcp-echo (everything else, then the SYN flood, then SIGTERM during a
second flood). A table of scenario / Linux / sluice / verdict ends the run.

Run as root: tcp_states.py --sluice build/apps/sluice. Prints "ok N - ..."
/ "not ok N - ..." lines and "N passed, M failed"; exits 0 only if every
check passed, 77 (skipped) without root, nft or scapy. Inside the server
namespace it runs itself as `tcp_states.py linux-server ...`.
"""

import argparse
import ctypes
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PY = "/usr/bin/python3"
SL_IP = "10.199.0.1"     # sluice (linux_peer.SLUICE_IP)
CLI_IP = "10.199.0.2"    # the builder, towards sluice (linux_peer.PEER_IP)
LX_IP = "10.198.0.1"     # the Linux server
CLI_LX_IP = "10.198.0.2"  # the builder, towards Linux
ECHO_PORT = 7
HTTP_PORT = 8080
CLOSED_PORT = 9
SPORT_LO, SPORT_HI = 20000, 29999
HTTP_REQ = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

# sluice's [tcp] for this test; the Linux server gets the same send buffer
SL_TCP = {
    "rto_min_ms": 200,      # Linux's minimum: probes and retransmissions at the same pace
    "sndbuf": 4096,         # small, so that echo can be held in CLOSE-WAIT
    "ooo_segs": 32,
    "ooo_bytes": 16000,
    "syn_backlog": 64,
    "challenge_acks": 10,
    "time_wait_ms": 1000,   # TIME-WAIT (and FIN-WAIT-2 after close) gone within the test
}
LX_SNDBUF = 4096

FLOOD_SYNS = 20000
FLOOD_BURST = 250
FLOOD_GAP = 0.03
NFT_TABLE = "sl_states"

M32 = 0xFFFFFFFF
FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32
FLAG_CHARS = "FSRPAU"

SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
ETH_P_ALL = 3
CLONE_NEWNET = 0x40000000

T0 = time.monotonic()


def fstr(f):
    return "".join(ch for i, ch in enumerate(FLAG_CHARS) if f & (1 << i)) or "-"


def fbits(s):
    return sum(1 << FLAG_CHARS.index(ch) for ch in s)


def seq_gt(a, b):
    return a != b and ((a - b) & M32) < 0x80000000


def rnd(n, seed=None):
    return random.Random(seed).randbytes(n)


# ---- the Linux server (inside its namespace) ---------------------------

def linux_server_main(argv):
    """Echo on --echo-port (small SO_SNDBUF, as sluice's sndbuf), and an HTTP
    server on --http-port that answers one request and closes. Prints
    "ready"; exits when stdin closes."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--echo-port", type=int, required=True)
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--sndbuf", type=int, required=True)
    a = ap.parse_args(argv)

    def echo(c):
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
        except OSError:
            pass
        finally:
            c.close()

    def http(c):
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                b = c.recv(4096)
                if not b:
                    break
                buf += b
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n"
                      b"hello\n")
        except OSError:
            pass
        finally:
            c.close()

    def serve(ls, fn):
        while True:
            c, _ = ls.accept()
            threading.Thread(target=fn, args=(c,), daemon=True).start()

    for port, fn in ((a.echo_port, echo), (a.http_port, http)):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fn is echo:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, a.sndbuf)
        ls.bind(("0.0.0.0", port))
        ls.listen(128)
        threading.Thread(target=serve, args=(ls, fn), daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
    return 0


# ---- namespaces, wire ---------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


class NetNS:
    """Run the calling thread in network namespace @name for a while:
    sockets created meanwhile stay in it."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open("/var/run/netns/" + self.name, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                os.close(self.back)
                raise OSError(e, "setns(%s): %s" % (self.name, os.strerror(e)))
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        _libc.setns(self.back, CLONE_NEWNET)
        os.close(self.back)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fast_frame(smac, dmac, sip, dip, sport, dport, seq, ack, flags, win, opts=b"", data=b""):
    """Ethernet + IPv4 (DF) + TCP, checksums filled; for bulk sends (scapy
    builds the rest; the two are compared once at start-up). sip, dip:
    4-byte packed addresses."""
    opts += b"\0" * (-len(opts) % 4)
    thl = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & M32, ack & M32, (thl // 4) << 4,
                      flags, win, 0, 0) + opts + data
    c = csum(sip + dip + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + tcp


def ts_opt(val, ecr):
    return b"\x01\x01\x08\x0a" + struct.pack("!II", val & M32, ecr & M32)


class Seg:
    __slots__ = ("t", "src", "sport", "dport", "seq", "ack", "flags", "win", "opts", "data")

    def __str__(self):
        return "%s seq=%d ack=%d win=%d len=%d" % (fstr(self.flags), self.seq, self.ack,
                                                   self.win, len(self.data))


def parse_opts(b):
    o, i = {}, 0
    while i < len(b):
        k = b[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(b) or b[i + 1] < 2 or i + b[i + 1] > len(b):
            o["bad"] = True
            break
        n = b[i + 1]
        v = b[i + 2:i + n]
        if k == 2 and n == 4:
            o["mss"] = struct.unpack("!H", v)[0]
        elif k == 3 and n == 3:
            o["ws"] = v[0]
        elif k == 4:
            o["sackok"] = True
        elif k == 8 and n == 10:
            o["ts"] = struct.unpack("!II", v)
        i += n
    return o


def parse(frame, t):
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    tot = struct.unpack_from("!H", frame, 16)[0]
    o = 14 + ihl
    if len(frame) < o + 20:
        return None
    s = Seg()
    s.sport, s.dport, s.seq, s.ack, off, s.flags, s.win = struct.unpack_from("!HHIIBBH", frame, o)
    s.flags &= 0x3F
    thl = (off >> 4) * 4
    s.t = t
    s.src = socket.inet_ntoa(frame[26:30])
    s.opts = parse_opts(frame[o + 20:o + thl]) if thl > 20 else {}
    s.data = bytes(frame[o + thl:14 + tot])
    return s


class Wire:
    """A packet socket on one interface of the builder's namespace."""

    def __init__(self, ns, ifname):
        with NetNS(ns):
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        except OSError:
            pass
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
        except OSError:
            pass
        s.bind((ifname, ETH_P_ALL))
        self.s = s
        self.mac = s.getsockname()[4]

    def send(self, frame):
        self.s.send(frame)

    def poll(self, deadline):
        """The next TCP segment received, or None at @deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            data, addr = self.s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            seg = parse(data, time.monotonic())
            if seg is not None:
                return seg

    def drain(self):
        while select.select([self.s], [], [], 0)[0]:
            self.s.recv(65535)

    def close(self):
        self.s.close()


# ---- one connection played by hand -----------------------------------------

class Fail(Exception):
    pass


class Conn:
    def __init__(self, t, dport, win=65535):
        self.t = t
        self.w = t.wire
        self.dport = dport
        self.sport = t.new_sport()
        self.iss = random.getrandbits(32)
        self.snd_nxt = self.iss
        self.irs = None
        self.rcv_nxt = 0
        self.win = win
        self.ts = True
        self.ts_ecr = 0
        self.syn_tsval = 0
        self.peer_ws = 0
        self.peer_ack = None
        self.peer_wnd = 0
        self.got = bytearray()
        self.peer_fin = None
        self.log = []

    @staticmethod
    def tsval():
        return int((time.monotonic() - T0) * 1000) + 1000

    def frame(self, flags, seq, ack, data=b"", win=None, opts=None):
        from scapy.all import IP, TCP, Ether, Raw, raw
        if opts is None:
            opts = [("NOP", None), ("NOP", None),
                    ("Timestamp", (self.tsval(), self.ts_ecr))] if self.ts else []
        p = Ether(src=self.w.mac, dst=self.t.dmac) / \
            IP(src=self.t.sip, dst=self.t.dip, flags="DF", ttl=64) / \
            TCP(sport=self.sport, dport=self.dport, seq=seq & M32, ack=ack & M32, flags=flags,
                window=self.win if win is None else win, options=opts)
        if data:
            p = p / Raw(data)
        return raw(p)

    def fast(self, flags, seq, ack=None, data=b"", win=None, ts=None):
        if ack is None:
            ack = self.rcv_nxt if flags & ACK else 0
        use_ts = self.ts if ts is None else ts
        return fast_frame(self.w.mac, self.t.dmac, socket.inet_aton(self.t.sip),
                          socket.inet_aton(self.t.dip), self.sport, self.dport, seq, ack, flags,
                          self.win if win is None else win,
                          ts_opt(self.tsval(), self.ts_ecr) if use_ts else b"", data)

    def send(self, flags, data=b"", seq=None, ack=None, win=None, opts=None, advance=True):
        f = fbits(flags)
        if seq is None:
            seq = self.snd_nxt
            if advance:
                self.snd_nxt = (seq + len(data) + (1 if f & SYN else 0) +
                                (1 if f & FIN else 0)) & M32
        if ack is None:
            ack = self.rcv_nxt if f & ACK else 0
        self.w.send(self.frame(flags, seq, ack, data, win, opts))
        self.log.append("%7.3f > %s seq=%d ack=%d len=%d" % (time.monotonic() - T0, flags,
                                                            seq & M32, ack & M32, len(data)))

    def mine(self, s):
        return s.src == self.t.dip and s.sport == self.dport and s.dport == self.sport

    def note(self, s):
        self.log.append("%7.3f < %s" % (s.t - T0, s))
        if "ts" in s.opts:
            self.ts_ecr = s.opts["ts"][0]
        if s.flags & ACK and not s.flags & SYN:
            if self.peer_ack is None or seq_gt(s.ack, self.peer_ack):
                self.peer_ack = s.ack
            if s.ack == self.peer_ack:
                self.peer_wnd = s.win << self.peer_ws

    def recv(self, timeout, until=None):
        """Segments of this connection for up to @timeout s, or up to the
        first one @until accepts."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            s = self.w.poll(deadline)
            if s is None:
                return out
            if not self.mine(s):
                continue
            self.note(s)
            out.append(s)
            if until is not None and until(s):
                return out

    def take(self, s):
        """In-order payload and FIN of @s into got / rcv_nxt; True if new."""
        new = False
        if s.data:
            off = (self.rcv_nxt - s.seq) & M32
            if off < len(s.data):
                self.got += s.data[off:]
                self.rcv_nxt = (self.rcv_nxt + len(s.data) - off) & M32
                new = True
        if s.flags & FIN and self.peer_fin is None and \
                (s.seq + len(s.data)) & M32 == self.rcv_nxt:
            self.peer_fin = self.rcv_nxt
            self.rcv_nxt = (self.rcv_nxt + 1) & M32
            new = True
        return new

    def open(self, complete=True):
        self.syn_tsval = self.tsval()
        self.send("S", opts=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (self.syn_tsval, 0)),
                             ("NOP", None), ("WScale", 0)])
        r = self.recv(3.0, until=lambda s: s.flags & SYN)
        sa = next((s for s in r if s.flags & SYN), None)
        if sa is None:
            raise Fail("no SYN-ACK to our SYN (got %s)" % ", ".join(map(str, r)))
        self.irs = sa.seq
        self.rcv_nxt = (sa.seq + 1) & M32
        self.peer_ws = sa.opts.get("ws", 0)
        self.peer_wnd = sa.win
        self.peer_ack = sa.ack
        self.ts = "ts" in sa.opts
        if complete:
            self.send("A")
        return sa

    def answers(self, segs):
        """What a server sends in answer to a segment: RSTs and pure ACKs
        from its current SND.NXT (not retransmissions, not window probes,
        which sit one below)."""
        return [s for s in segs if s.flags & RST or
                (not s.data and not s.flags & (SYN | FIN) and s.seq == self.rcv_nxt)]

    def echo(self, data, timeout=3.0):
        """Send @data, read its echo and ACK it; True if it came back intact."""
        start = len(self.got)
        self.send("PA", data=data)
        deadline = time.monotonic() + timeout
        while len(self.got) - start < len(data):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for s in self.recv(left, until=lambda s: s.data or s.flags & (FIN | RST)):
                if s.flags & RST:
                    return False
                if self.take(s):
                    self.send("A")
        return bytes(self.got[start:]) == data

    def finish(self, timeout=3.0):
        """Our FIN; read what is left and the peer's FIN, ACK it. True if
        the peer acknowledged our FIN and closed too."""
        self.send("FA")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.peer_fin is not None and self.peer_ack == self.snd_nxt:
                return True
            for s in self.recv(deadline - time.monotonic(),
                               until=lambda s: s.data or s.flags & (FIN | RST)):
                if s.flags & RST:
                    return False
                if self.take(s):
                    self.send("A")
        return self.peer_fin is not None and self.peer_ack == self.snd_nxt

    def rst_then_probe(self, rst_seq, flags="A", data=b""):
        """RST at @rst_seq; then a segment from where we are, which must
        draw <SEQ=SEG.ACK><CTL=RST> if the RST closed the connection.
        Returns (answers to the RST, state after it, the RST or None)."""
        self.recv(0.05)  # what came before the RST is no answer to it
        self.send("R", seq=rst_seq, ack=0, advance=False)
        after = self.answers(self.recv(0.3))
        state = self.t.state()
        self.send(flags, data=data, advance=False)
        r = self.recv(1.0, until=lambda s: s.flags & RST)
        return after, state, next((s for s in r if s.flags & RST), None)

    def pump(self, data, base, timeout=20.0, mss=1000):
        """Send @data (offset 0 at sequence @base) go-back-N from the peer's
        cumulative ACK and within its window, then FIN; read and ACK what
        comes back. True once all of it and the FIN are acknowledged and
        the peer's FIN arrived."""
        n = len(data)

        def off(seq):
            d = (seq - base) & M32
            return d if d <= n + 1 else 0

        nxt = off(self.peer_ack)
        fin_at = n + 1
        last_una, last_move = off(self.peer_ack), time.monotonic()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            una = off(self.peer_ack)
            if self.peer_fin is not None and una == fin_at:
                return True
            nxt = max(nxt, una)
            wnd = self.peer_wnd
            while nxt < n and nxt < una + wnd:
                k = min(mss, n - nxt, una + wnd - nxt)
                self.w.send(self.fast(PSH | ACK, base + nxt, data=data[nxt:nxt + k]))
                nxt += k
            if nxt == n:
                self.w.send(self.fast(FIN | ACK, base + n))
                nxt = fin_at
            ack_needed = False
            for s in self.recv(0.05):
                if s.flags & RST:
                    return False
                ack_needed |= self.take(s)
            if ack_needed:
                self.w.send(self.fast(ACK, base + nxt if nxt <= n else base + fin_at))
            una = off(self.peer_ack)
            if una != last_una:
                last_una, last_move = una, time.monotonic()
            elif time.monotonic() - last_move > 0.3:
                # nothing acknowledged for a while: go back; into a closed
                # window, one byte (a window probe)
                last_move = time.monotonic()
                nxt = una
                if self.peer_wnd == 0 and una < n:
                    self.w.send(self.fast(PSH | ACK, base + una, data=data[una:una + 1]))
        return False


# ---- the two servers --------------------------------------------------------

class Target:
    def __init__(self, name, wire, dmac, sip, dip):
        self.name = name
        self.wire = wire
        self.dmac = dmac
        self.sip = sip
        self.dip = dip
        self.sport = SPORT_LO
        self.echo_port = ECHO_PORT
        self.http_port = HTTP_PORT

    def new_sport(self):
        self.sport += 1
        if self.sport > SPORT_HI:
            self.sport = SPORT_LO + 1
        return self.sport

    # stack-specific extras, no-ops for Linux
    def snap(self):
        return None

    def expect_counters(self, problems, snap, want):
        pass


class LinuxTarget(Target):
    SS_STATES = {"ESTAB": "established", "SYN-RECV": "syn_received", "CLOSE-WAIT": "close_wait",
                 "LAST-ACK": "last_ack", "FIN-WAIT-1": "fin_wait_1", "FIN-WAIT-2": "fin_wait_2",
                 "CLOSING": "closing", "TIME-WAIT": "time_wait", "SYN-SENT": "syn_sent"}

    def __init__(self, wire, dmac, srv_ns):
        super().__init__("linux", wire, bytes.fromhex(dmac.replace(":", "")), CLI_LX_IP, LX_IP)
        self.ns = srv_ns
        self.cur_sport = None

    def new_sport(self):
        self.cur_sport = super().new_sport()
        return self.cur_sport

    def state(self):
        """The server socket's state (ss) for the current connection."""
        p = subprocess.run(["ip", "netns", "exec", self.ns, "ss", "-Htan"],
                           capture_output=True, text=True, timeout=10)
        for line in p.stdout.splitlines():
            f = line.split()
            if len(f) >= 5 and f[4].endswith(":%d" % self.cur_sport):
                return self.SS_STATES.get(f[0], f[0].lower())
        return "none"

    def sysctl(self, name):
        p = subprocess.run(["ip", "netns", "exec", self.ns, "sysctl", "-n", name],
                           capture_output=True, text=True, timeout=10)
        return int(p.stdout.strip())


class SluiceTarget(Target):
    def __init__(self, wire, sl):
        super().__init__("sluice", wire, None, CLI_IP, SL_IP)
        self.sl = sl

    def attach(self, sl):
        self.sl = sl
        self.dmac = bytes.fromhex(sl.mac.replace(":", ""))

    def state(self):
        """Connections by state from telemetry (the scenarios run one at a
        time, so this is the current connection's)."""
        left = tcp_left(self.sl.stats())
        return "+".join("%s%s" % (k, "" if v == 1 else "x%d" % v)
                        for k, v in sorted(left.items())) or "none"

    def snap(self):
        st = self.sl.stats()
        return {"drops": dict(st["drops"]), "stack": dict(st["stack"])}

    def expect_counters(self, problems, snap, want):
        """@want: {"drops.tcp_x" or "stack.tcp_y": exact increase}."""
        now = self.snap()
        for k, v in want.items():
            grp, name = k.split(".")
            d = now[grp][name] - snap[grp][name]
            if d != v:
                problems.append("%s rose by %d, not %d" % (k, d, v))


def tcp_left(st, allowed=("listen",)):
    """Summed tcp_states of /sluice/stats without @allowed: {state: n}."""
    d = st.get("tcp_states") or {}
    return {k: v for k, v in d.items() if k not in allowed and v}


# ---- scenarios --------------------------------------------------------------
# Each returns Obs: a short summary (table cell), a key (what must be the
# same on both stacks) and the RFC deviations found (empty: conforming).

class Obs:
    def __init__(self, summary, key, problems, detail=""):
        self.summary = summary
        self.key = key
        self.problems = problems
        self.detail = detail


def need(problems, cond, text):
    if not cond:
        problems.append(text)
    return cond


def sc_handshake(t):
    P = []
    c = Conn(t, t.echo_port)
    sa = c.open()
    o = sa.opts
    have = tuple(k for k in ("mss", "ws", "sackok", "ts") if k in o)
    ack_ok = sa.ack == (c.iss + 1) & M32
    ecr_ok = "ts" in o and o["ts"][1] == c.syn_tsval
    need(P, sa.flags == SYN | ACK, "answer %s, not SYN-ACK" % fstr(sa.flags))
    need(P, ack_ok, "SYN-ACK acknowledges %d, not ISS+1" % sa.ack)
    need(P, have == ("mss", "ws", "sackok", "ts"), "options answered: %s" % (have,))
    need(P, ecr_ok, "TSecr %s does not echo our TSval %d" % (o.get("ts"), c.syn_tsval))
    closed = need(P, c.finish(), "orderly close did not complete")
    summ = "%s ack=ISS+1 mss=%s ws=%s%s%s" % (fstr(sa.flags), o.get("mss"), o.get("ws"),
                                              " sack" if "sackok" in o else "",
                                              " ts" if ecr_ok else "")
    return Obs(summ, (sa.flags, ack_ok, have, ecr_ok, closed), P, c.log)


def sc_halfclose(t):
    """3000 B and FIN with a 1000 B window: the echo keeps coming after our
    FIN is acknowledged (CLOSE-WAIT sends), then the server's FIN."""
    P = []
    c = Conn(t, t.echo_port, win=1000)
    c.open()
    data = rnd(3000, 1)
    for i in range(0, 3000, 1000):
        c.send("FA" if i == 2000 else "PA", data=data[i:i + 1000])
    fin_end = c.snd_nxt
    acked_at = None
    over = False
    deadline = time.monotonic() + 8
    while c.peer_fin is None and time.monotonic() < deadline:
        for s in c.recv(deadline - time.monotonic(),
                        until=lambda s: s.data or s.flags & (FIN | RST)):
            if s.flags & RST:
                P.append("RST from the server: %s" % s)
                deadline = 0
                break
            if acked_at is None and s.flags & ACK and s.ack == fin_end:
                acked_at = len(c.got)
            if s.data and ((s.seq + len(s.data) - c.rcv_nxt) & M32) > 1000 and \
                    ((s.seq + len(s.data) - c.rcv_nxt) & M32) < 0x80000000:
                over = True
            if c.take(s):
                c.send("A")
    after = len(c.got) - acked_at if acked_at is not None else 0
    need(P, acked_at is not None, "our FIN was never acknowledged")
    echo_ok = need(P, bytes(c.got) == data, "echo: %d of 3000 bytes intact" % len(c.got))
    need(P, after > 0, "no data after our FIN was acknowledged")
    fin_ok = need(P, c.peer_fin == (c.irs + 1 + 3000) & M32, "server FIN at %s, want IRS+3001"
                  % c.peer_fin)
    need(P, not over, "the server sent past the 1000-byte window")
    time.sleep(0.1)
    st = t.state()
    need(P, st == "none", "connection still there after the last ACK: %s" % st)
    return Obs("FIN acked, %d B echoed after it, FIN" % after,
               (acked_at is not None, echo_ok, after > 0, fin_ok, st), P, c.log)


def http_until_fin(c, P):
    c.open()
    c.send("PA", data=HTTP_REQ)
    for s in c.recv(3.0, until=lambda s: s.flags & FIN):
        c.take(s)
    return need(P, c.peer_fin is not None, "no FIN after a Connection: close response")


def sc_simclose(t):
    """The server's FIN and ours cross: CLOSING, then TIME-WAIT, which
    ACKs our FIN again."""
    P = []
    c = Conn(t, t.http_port)
    if not http_until_fin(c, P):
        return Obs("no FIN", ("nofin",), P, c.log)
    fin = c.peer_fin
    st1 = t.state()
    our_fin = c.snd_nxt
    c.send("FA", ack=fin)  # acknowledges the response, not its FIN
    r = c.recv(2.0, until=lambda s: s.flags & ACK and s.ack == (our_fin + 1) & M32)
    acked = need(P, any(s.flags & ACK and s.ack == (our_fin + 1) & M32 for s in r),
                 "our FIN (crossing the server's) was not acknowledged")
    st2 = t.state()
    c.send("A")
    time.sleep(0.1)
    st3 = t.state()
    c.send("FA", seq=our_fin, advance=False)
    r = c.recv(1.0, until=lambda s: s.flags & ACK and s.ack == (our_fin + 1) & M32)
    tw = need(P, any(s.flags & ACK and s.ack == (our_fin + 1) & M32 for s in r),
              "TIME-WAIT did not acknowledge the FIN sent again")
    need(P, (st1, st2, st3) == ("fin_wait_1", "closing", "time_wait"),
         "states %s > %s > %s, want fin_wait_1 > closing > time_wait" % (st1, st2, st3))
    return Obs("%s>%s>%s, FIN again ACKed" % (st1, st2, st3), (st1, st2, st3, acked, tw), P,
               c.log)


def judge_rst(P, c, st, want_st, after, st_after, rst, probe_ack):
    need(P, st == want_st, "state before the RST: %s, want %s" % (st, want_st))
    need(P, not after, "answered the exact RST: %s" % ", ".join(map(str, after)))
    need(P, st_after == "none", "still there after the exact RST: %s" % st_after)
    ok = need(P, rst is not None and rst.flags == RST and rst.seq == probe_ack,
              "next segment drew %s, want RST seq=%d" % (rst, probe_ack))
    summ = "%s: RST closes; next seg gets %s" % (st, "R seq=SEG.ACK" if ok else rst)
    return Obs(summ, (st, bool(after), st_after, ok), P, c.log)


def sc_rst_fw1(t):
    P = []
    c = Conn(t, t.http_port)
    if not http_until_fin(c, P):
        return Obs("no FIN", ("nofin",), P, c.log)
    st = t.state()
    after, st2, rst = c.rst_then_probe(c.snd_nxt)
    return judge_rst(P, c, st, "fin_wait_1", after, st2, rst, c.rcv_nxt)


def sc_rst_fw2(t):
    P = []
    c = Conn(t, t.http_port)
    if not http_until_fin(c, P):
        return Obs("no FIN", ("nofin",), P, c.log)
    c.send("A")
    time.sleep(0.05)
    st = t.state()
    after, st2, rst = c.rst_then_probe(c.snd_nxt)
    return judge_rst(P, c, st, "fin_wait_2", after, st2, rst, c.rcv_nxt)


def sc_rst_synrcvd(t):
    P = []
    c = Conn(t, t.echo_port)
    c.open(complete=False)
    st = t.state()
    after, st2, rst = c.rst_then_probe(c.snd_nxt)
    return judge_rst(P, c, st, "syn_received", after, st2, rst, c.rcv_nxt)


def sc_rst_established(t):
    """RFC 5961 3.2: an RST exactly at RCV.NXT resets."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    need(P, c.echo(b"hello"), "no echo before the RST")
    snap = t.snap()
    after, st2, rst = c.rst_then_probe(c.snd_nxt, "PA", b"more")
    t.expect_counters(P, snap, {"stack.tcp_rst_rcvd": 1})
    return judge_rst(P, c, "established", "established", after, st2, rst, c.rcv_nxt)


def sc_rst_closewait(t):
    """Data we do not let the server echo (window 0, more than its send
    buffer holds: 60000 B, which Linux does not absorb either), then our
    FIN: the server stays in CLOSE-WAIT."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    c.win = 0
    data = rnd(60000, 2)
    for i in range(0, len(data), 1000):
        c.send("FA" if i + 1000 >= len(data) else "PA", data=data[i:i + 1000])
    c.recv(3.0, until=lambda s: s.flags & ACK and s.ack == c.snd_nxt)
    need(P, c.peer_ack == c.snd_nxt, "data and FIN not acknowledged")
    time.sleep(0.05)
    st = t.state()
    after, st2, rst = c.rst_then_probe(c.snd_nxt, "PA", b"x")
    return judge_rst(P, c, st, "close_wait", after, st2, rst, c.rcv_nxt)


def sc_rst_lastack(t):
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    c.send("FA", data=b"L" * 100)
    for s in c.recv(3.0, until=lambda s: s.flags & FIN):
        c.take(s)
    need(P, c.peer_fin is not None, "no FIN from the server")
    st = t.state()
    after, st2, rst = c.rst_then_probe(c.snd_nxt)
    return judge_rst(P, c, st, "last_ack", after, st2, rst, c.rcv_nxt)


def sc_zero_window(t):
    """We advertise window 0 while the echo has 2000 B to send: probes
    must come (RFC 9293 3.8.6.1, MUST-35/36); then the window opens."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    c.win = 0
    data = rnd(2000, 3)
    t0 = time.monotonic()
    c.send("PA", data=data[:1000])
    c.send("PA", data=data[1000:])
    probes = []
    deadline = time.monotonic() + 6
    while len(probes) < 2 and time.monotonic() < deadline:
        for s in c.recv(deadline - time.monotonic(), until=lambda s: True):
            if s.data or (not s.flags & (SYN | FIN | RST) and s.seq == (c.rcv_nxt - 1) & M32):
                probes.append("+%.2fs/%dB" % (s.t - t0, len(s.data)))
                c.take(s)
                c.send("A")
    c.win = 65535
    c.send("A")
    deadline = time.monotonic() + 3
    while len(c.got) < 2000 and time.monotonic() < deadline:
        for s in c.recv(deadline - time.monotonic(), until=lambda s: s.data or s.flags & RST):
            if c.take(s):
                c.send("A")
    need(P, len(probes) >= 2, "%d window probes in 6 s" % len(probes))
    echo_ok = need(P, bytes(c.got) == data, "echo after the window opened: %d of 2000 B"
                   % len(c.got))
    need(P, c.finish(), "orderly close did not complete")
    return Obs("probes %s; echo ok" % " ".join(probes) if echo_ok else
               "probes %s; echo bad" % " ".join(probes), (len(probes) >= 2, echo_ok), P, c.log)


def sc_oow_data(t):
    """Data beyond the receive window: dropped, answered with an ACK
    (RFC 9293 3.10.7.4 first step)."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    snap = t.snap()
    c.send("PA", data=b"o" * 100, seq=c.snd_nxt + 300000, advance=False)
    a = c.answers(c.recv(1.0, until=lambda s: not s.data and s.flags & ACK))
    ok = need(P, a and a[0].flags == ACK and a[0].ack == c.snd_nxt,
              "answer %s, want ACK ack=%d" % (a[0] if a else "none", c.snd_nxt))
    t.expect_counters(P, snap, {"drops.tcp_out_of_window": 1})
    echo = need(P, c.echo(b"ping"), "echo after it")
    need(P, c.finish(), "orderly close did not complete")
    return Obs("ACK ack=RCV.NXT" if ok else "answer %s" % (a[0] if a else "none"),
               (ok, echo), P, c.log)


def sc_closed_port(t):
    """RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST> if the segment had ACK,
    else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; nothing for a RST."""
    P = []
    res = []
    S, A = random.getrandbits(32), random.getrandbits(32)
    log = []
    snap = t.snap()
    for what, flags, data, want in (("SYN", "S", b"", (RST | ACK, 0, S + 1)),
                                    ("ACK+10B", "PA", b"0123456789", (RST, A, None)),
                                    ("10B no ACK", "P", b"0123456789", (RST | ACK, 0, S + 10)),
                                    ("RST", "R", b"", None)):
        c = Conn(t, CLOSED_PORT)
        c.ts = False
        c.send(flags, data=data, seq=S, ack=A if "A" in flags else 0, opts=[], advance=False)
        r = c.recv(0.3 if want is None else 1.0, until=lambda s: s.flags & RST)
        log += c.log
        got = r[0] if r else None
        if want is None:
            ok = need(P, got is None, "%s drew %s" % (what, got))
            res.append("RST:-" if ok else "RST:%s" % fstr(got.flags))
            continue
        wf, wseq, wack = want
        ok = got is not None and got.flags == wf and got.seq == wseq & M32 and \
            (wack is None or got.ack == wack & M32)
        need(P, ok, "%s drew %s, want %s seq=%d%s" % (
            what, got, fstr(wf), wseq & M32, "" if wack is None else " ack=%d" % (wack & M32)))
        res.append("%s:%s" % (what.split("+")[0].split(" ")[0], fstr(got.flags) if got else "-"))
    t.expect_counters(P, snap, {"drops.tcp_no_listener": 4, "stack.tcp_rst_sent": 3})
    return Obs(" ".join(res) + (" (seq/ack ok)" if not P else ""), (tuple(res), not P), P, log)


def sc_rst_inwin(t):
    """RFC 5961 3.2: an in-window RST not at RCV.NXT draws a challenge ACK;
    the connection stays."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    need(P, c.echo(b"hello"), "no echo before the RST")
    snap = t.snap()
    c.send("R", seq=c.snd_nxt + 100, ack=0, advance=False)
    a = c.answers(c.recv(1.0, until=lambda s: not s.data))
    ok = need(P, a and a[0].flags == ACK and a[0].ack == c.snd_nxt,
              "answer %s, want challenge ACK ack=%d" % (a[0] if a else "none", c.snd_nxt))
    st = t.state()
    need(P, st == "established", "state after it: %s" % st)
    t.expect_counters(P, snap, {"drops.tcp_rst_invalid": 1, "stack.tcp_challenge_acks": 1})
    echo = need(P, c.echo(b"still-here"), "no echo after it")
    need(P, c.finish(), "orderly close did not complete")
    return Obs("%s; stays %s" % ("challenge ACK" if ok else "answer %s" % (a[0] if a else "none"),
                                 st), (ok, st, echo), P, c.log)


def sc_rst_oow(t):
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    snap = t.snap()
    c.send("R", seq=c.snd_nxt + 0x40000000, ack=0, advance=False)
    a = c.answers(c.recv(0.5))
    need(P, not a, "answered: %s" % ", ".join(map(str, a)))
    st = t.state()
    need(P, st == "established", "state after it: %s" % st)
    t.expect_counters(P, snap, {"drops.tcp_out_of_window": 1})
    echo = need(P, c.echo(b"still-here"), "no echo after it")
    need(P, c.finish(), "orderly close did not complete")
    return Obs("silence; stays %s" % st, (bool(a), st, echo), P, c.log)


def sc_syn_established(t):
    """RFC 5961 4.2: a SYN on a synchronized connection draws a challenge
    ACK, whatever its sequence number."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    snap = t.snap()
    c.send("S", seq=c.snd_nxt + 1000, advance=False,
           opts=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (c.tsval(), 0)),
                 ("NOP", None), ("WScale", 0)])
    a = c.answers(c.recv(1.0, until=lambda s: not s.data))
    ok = need(P, a and a[0].flags == ACK and a[0].ack == c.snd_nxt,
              "answer %s, want challenge ACK ack=%d" % (a[0] if a else "none", c.snd_nxt))
    st = t.state()
    need(P, st == "established", "state after it: %s" % st)
    t.expect_counters(P, snap, {"drops.tcp_syn_invalid": 1, "stack.tcp_challenge_acks": 1})
    echo = need(P, c.echo(b"still-here"), "no echo after it")
    need(P, c.finish(), "orderly close did not complete")
    return Obs("%s; stays %s" % ("challenge ACK" if ok else "answer %s" % (a[0] if a else "none"),
                                 st), (ok, st, echo), P, c.log)


def bad_ack(t, what, delta):
    """Data whose ACK is outside [SND.UNA - MAX.SND.WND, SND.NXT]: RFC 9293
    3.10.7.4 fifth step and RFC 5961 5.2 drop it and send an ACK."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    need(P, c.echo(b"hello"), "no echo before")
    snap = t.snap()
    c.send("PA", data=what.upper().encode(), ack=c.rcv_nxt + delta, advance=False)
    a = c.answers(c.recv(1.0, until=lambda s: not s.data))
    ok = need(P, a and a[0].flags == ACK and a[0].ack == c.snd_nxt,
              "answer %s, want ACK ack=%d (data not taken)" % (a[0] if a else "none", c.snd_nxt))
    t.expect_counters(P, snap, {"drops.tcp_bad_ack": 1})
    echo = need(P, c.echo(b"ping"), "the next data is not echoed alone (the bad segment's "
                "data was taken?)")
    need(P, c.finish(), "orderly close did not complete")
    return Obs("ACK, data dropped" if ok else "answer %s" % (a[0] if a else "none"),
               (ok, echo), P, c.log)


def sc_future_ack(t):
    return bad_ack(t, "future", 100000)


def sc_old_ack(t):
    return bad_ack(t, "old", -200000)


def sc_chack_limit(t):
    """100 in-window RSTs at once: challenge ACKs no more than the stack's
    own limit (sluice [tcp] challenge_acks per second and connection;
    Linux one per tcp_invalid_ratelimit per socket, and
    tcp_challenge_ack_limit per second)."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    snap = t.snap()
    frames = [c.fast(RST, c.snd_nxt + 1 + i, ack=0, ts=False) for i in range(100)]
    t0 = time.monotonic()
    for f in frames:
        c.w.send(f)
    span = time.monotonic() - t0
    n = sum(1 for s in c.answers(c.recv(1.0)) if s.flags == ACK)
    if isinstance(t, SluiceTarget):
        lim = SL_TCP["challenge_acks"] * (1 + int(span))
        limit = "%d/s" % SL_TCP["challenge_acks"]
        t.expect_counters(P, snap, {"drops.tcp_rst_invalid": 100, "stack.tcp_challenge_acks": n,
                                    "stack.tcp_challenge_acks_limited": 100 - n})
    else:
        per_s = t.sysctl("net.ipv4.tcp_challenge_ack_limit")
        gap = t.sysctl("net.ipv4.tcp_invalid_ratelimit")
        lim = min(per_s * (1 + int(span)), 1 + int(span * 1000 / gap) if gap else 100)
        limit = "1/%dms" % gap
    need(P, n >= 1, "no challenge ACK at all")
    need(P, n <= lim, "%d challenge ACKs, limit %d" % (n, lim))
    echo = need(P, c.echo(b"still-here"), "no echo after them")
    need(P, c.finish(), "orderly close did not complete")
    return Obs("%d ACKs for 100 RSTs (limit %s)" % (n, limit), (1 <= n <= lim, echo), P, c.log)


def ooo(t, seg, n, hole=100):
    """@n segments of @seg bytes past a @hole, with a gap of @seg after
    each: what is held stays within ooo_segs / ooo_bytes, the rest is
    counted (tcp_ooo_limit); then the stream, filled from the server's
    ACK, comes back intact. What sluice holds is read from its mempool:
    net_af_packet gives every received segment one mbuf, so the mbufs in
    use beyond the count before are the segments held."""
    P = []
    c = Conn(t, t.echo_port)
    c.open()
    data = rnd(hole + 2 * n * seg, seg)
    base = c.snd_nxt
    c.recv(0.1)  # the handshake's ACK is in the counters before the snapshot
    snap = t.snap()
    in_use0 = mbufs_in_use(t.sl) if isinstance(t, SluiceTarget) else 0
    for i in range(n):
        o = hole + 2 * i * seg
        c.w.send(c.fast(PSH | ACK, base + o, data=data[o:o + seg]))
        if i % 50 == 49:
            time.sleep(0.002)
    c.recv(0.3)
    held = ""
    if isinstance(t, SluiceTarget):
        now = t.snap()
        got = now["stack"]["tcp_rx"] - snap["stack"]["tcp_rx"]
        lim = now["drops"]["tcp_ooo_limit"] - snap["drops"]["tcp_ooo_limit"]
        cap = min(SL_TCP["ooo_segs"], SL_TCP["ooo_bytes"] // seg)
        extra = mbufs_in_use(t.sl) - in_use0
        held = "; held %d mbufs (cap %d), %d over cap counted" % (extra, cap, lim)
        if got != n:
            held += "; sluice received %d of %d (lost before the stack)" % (got, n)
        need(P, extra <= cap, "%d mbufs held for %d-byte segments, cap %d" % (extra, seg, cap))
        need(P, lim == min(got, n) - cap, "tcp_ooo_limit rose by %d, want %d (%d segments "
             "received)" % (lim, min(got, n) - cap, got))
    done = c.pump(data, base)
    echo_ok = need(P, bytes(c.got) == data, "echo %d of %d bytes intact%s"
                   % (len(c.got), len(data), "" if done else " (transfer incomplete)"))
    need(P, done, "transfer and close did not complete")
    return Obs("%dx%dB ooo; echo %s%s" % (n, seg, "ok" if echo_ok else "BAD", held),
               (echo_ok, done), P, c.log[-40:])


def sc_ooo_small(t):
    return ooo(t, 10, 2500)


def sc_ooo_big(t):
    return ooo(t, 1000, 28)


HTTP_SCENARIOS = [
    ("T2 simultaneous close, TIME-WAIT", sc_simclose),
    ("T2 RST in FIN-WAIT-1", sc_rst_fw1),
    ("T2 RST in FIN-WAIT-2", sc_rst_fw2),
]
ECHO_SCENARIOS = [
    ("T2 handshake, options", sc_handshake),
    ("T2 data, FIN, half-close", sc_halfclose),
    ("T2 RST in SYN-RECEIVED", sc_rst_synrcvd),
    ("T2 RST in CLOSE-WAIT", sc_rst_closewait),
    ("T2 RST in LAST-ACK", sc_rst_lastack),
    ("T2 zero window, probes", sc_zero_window),
    ("T2 data outside window", sc_oow_data),
    ("T2 closed port", sc_closed_port),
    ("T3 exact RST (ESTABLISHED)", sc_rst_established),
    ("T3 in-window RST", sc_rst_inwin),
    ("T3 out-of-window RST", sc_rst_oow),
    ("T3 SYN on ESTABLISHED", sc_syn_established),
    ("T3 future ACK", sc_future_ack),
    ("T3 too old ACK", sc_old_ack),
    ("T3 challenge ACK limit", sc_chack_limit),
    ("T9 ooo 2500x10B", sc_ooo_small),
    ("T9 ooo 28x1000B", sc_ooo_big),
]


# ---- running and judging ----------------------------------------------------

def pick(lst, only):
    return [x for x in lst if only is None or re.search(only, x[0])]


def mbufs_in_use(sl):
    return sum(v["in_use"] for v in sl.stats()["mempools"].values())


def run_one(fn, t, out):
    try:
        out[t.name] = fn(t)
    except Fail as e:
        out[t.name] = Obs("error: %s" % e, ("error",), [str(e)])
    except Exception as e:  # a scenario must not take the others down
        out[t.name] = Obs("error: %s" % type(e).__name__, ("error",),
                          ["%s: %s" % (type(e).__name__, e)])


def sluice_idle(sl, base_in_use, secs=5.0):
    """Wait for no connection and mbufs at the baseline; (ok, detail)."""
    deadline = time.monotonic() + secs
    while True:
        alive = sl.proc.poll() is None
        st = sl.stats() if alive else {}
        left = tcp_left(st) if alive else {}
        in_use = {k: v["in_use"] for k, v in st.get("mempools", {}).items()}
        ok = alive and not left and in_use == base_in_use
        if ok or time.monotonic() > deadline or not alive:
            return ok, "alive %s, connections %s, mbufs in use %s (baseline %s)" % (
                alive, left or "none", in_use, base_in_use)
        time.sleep(0.1)


class Run:
    def __init__(self, t, lp):
        self.t = t
        self.lp = lp
        self.rows = []
        self.trace = False

    def scenarios(self, lst, linux, sluice, base_in_use):
        for name, fn in lst:
            linux.wire.drain()
            sluice.wire.drain()
            out = {}
            ths = [threading.Thread(target=run_one, args=(fn, x, out)) for x in (linux, sluice)]
            for th in ths:
                th.start()
            for th in ths:
                th.join(60)
            lx = out.get("linux") or Obs("did not finish", ("hung",), ["did not finish"])
            sl = out.get("sluice") or Obs("did not finish", ("hung",), ["did not finish"])
            if sl.problems:
                verdict = "FAIL"
            elif lx.problems:
                verdict = "ok (Linux deviates)"
            elif lx.key != sl.key:
                verdict = "DIFFERS"
            else:
                verdict = "same"
            ok = verdict in ("same", "ok (Linux deviates)")
            detail = ""
            if sl.problems:
                detail = "sluice: " + "; ".join(sl.problems)
            elif verdict == "DIFFERS":
                detail = "keys linux %s, sluice %s" % (lx.key, sl.key)
            if lx.problems:
                detail += (" | " if detail else "") + "linux: " + "; ".join(lx.problems)
            self.t.check("%s: sluice conforms%s" % (name, "" if lx.problems else
                                                    " and answers as Linux does"), ok, detail)
            if (not ok or self.trace) and sl.detail:
                self.t.note("sluice segments:\n" + "\n".join(sl.detail[-30:]))
            if self.trace and lx.detail:
                self.t.note("linux segments:\n" + "\n".join(lx.detail[-30:]))
            idle, why = sluice_idle(sluice.sl, base_in_use)
            self.t.check("%s: then no sluice connection left, mbufs at baseline, alive"
                         % name, idle, "" if idle else why)
            self.rows.append((name, lx.summary, sl.summary, verdict))

    def table(self):
        w0 = max(len(r[0]) for r in self.rows)
        w1 = min(max(len(r[1]) for r in self.rows), 52)
        w2 = min(max(len(r[2]) for r in self.rows), 70)
        self.t.note("%-*s | %-*s | %-*s | %s" % (w0, "scenario", w1, "Linux", w2, "sluice",
                                                 "verdict"))
        self.t.note("-" * (w0 + w1 + w2 + 20))
        for r in self.rows:
            self.t.note("%-*s | %-*s | %-*s | %s" % (w0, r[0], w1, r[1], w2, r[2], r[3]))


# ---- T7: SYN flood ----------------------------------------------------------

def flood_frames(t, n, seed):
    """@n SYNs from distinct (address, port) pairs in 10.199.0.3-254."""
    rng = random.Random(seed)
    picks = rng.sample(range(252 * 64000), n)
    dip = socket.inet_aton(SL_IP)
    frames, tuples = [], []
    for p in picks:
        ip = "10.199.0.%d" % (3 + p // 64000)
        port = 1024 + p % 64000
        seq = rng.getrandbits(32)
        frames.append(fast_frame(t.wire.mac, t.dmac, socket.inet_aton(ip), dip, port, ECHO_PORT,
                                 seq, 0, SYN, 65535, b"\x02\x04\x05\xb4"))
        tuples.append((ip, port, seq))
    return frames, tuples


class Flood:
    """Send SYNs paced in bursts in one thread; count SYN-ACKs per tuple in
    another."""

    def __init__(self, t, n, seed):
        self.t = t
        self.frames, self.tuples = flood_frames(t, n, seed)
        self.want_ack = {(ip, port): (seq + 1) & M32 for ip, port, seq in self.tuples}
        self.bad_ack = 0
        self.stop = threading.Event()
        self.synacks = {}
        self.sent = 0
        self.tx = threading.Thread(target=self._send)
        self.rx = threading.Thread(target=self._recv)

    def start(self):
        self.rx.start()
        self.tx.start()

    def _send(self):
        for i in range(0, len(self.frames), FLOOD_BURST):
            if self.stop.is_set():
                return
            for f in self.frames[i:i + FLOOD_BURST]:
                try:
                    self.t.wire.send(f)
                    self.sent += 1
                except OSError:
                    pass
            time.sleep(FLOOD_GAP)

    def _recv(self):
        s = self.t.wire.s
        while not self.stop.is_set():
            if not select.select([s], [], [], 0.1)[0]:
                continue
            fr = s.recv(2048)
            # IPv4/TCP from sluice's port 7 with SYN and ACK
            if len(fr) < 54 or fr[23] != 6 or fr[47] & (SYN | ACK) != SYN | ACK:
                continue
            key = (socket.inet_ntoa(fr[30:34]), struct.unpack_from("!H", fr, 36)[0])
            self.synacks[key] = self.synacks.get(key, 0) + 1
            want = self.want_ack.get(key)
            if want is not None and struct.unpack_from("!I", fr, 42)[0] != want:
                self.bad_ack += 1

    def sending(self):
        return self.tx.is_alive()

    def end(self):
        self.stop.set()
        self.tx.join(30)
        time.sleep(0.2)
        self.rx.join(5)


def real_client(ns, out):
    """A Linux client (kernel TCP) in the builder's namespace: connect,
    echo, close."""
    try:
        with NetNS(ns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        t0 = time.monotonic()
        s.connect((SL_IP, ECHO_PORT))
        msg = b"through the flood " * 20
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        back = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            back += b
        s.close()
        out["ok"] = back == msg
        out["detail"] = "%d of %d B back in %.2f s" % (len(back), len(msg),
                                                      time.monotonic() - t0)
    except OSError as e:
        out["ok"] = False
        out["detail"] = "%s" % e


def run_flood(t, sl_t, ns, base_in_use, run):
    """T7: SYN flood; half-open <= syn_backlog, cookies, a real client
    gets through; afterwards nothing left."""
    sl = sl_t.sl
    backlog = SL_TCP["syn_backlog"]
    before = sl.stats()
    fl = Flood(sl_t, FLOOD_SYNS, 7)
    fl.start()
    max_half = {}
    client = {}
    cth = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        st = sl.stats()
        for k, v in st.items():
            if k.startswith("lcore_") and isinstance(v, dict) and "tcp_states" in v:
                max_half[k] = max(max_half.get(k, 0), v["tcp_states"].get("syn_received", 0))
        cookies = st["stack"]["tcp_syncookies_sent"] - before["stack"]["tcp_syncookies_sent"]
        if cth is None and cookies > 0:
            cth = threading.Thread(target=real_client, args=(ns, client))
            cth.start()
        if not fl.sending() and (cth is None or not cth.is_alive()):
            break
        time.sleep(0.05)
    fl.end()
    if cth is not None:
        cth.join(15)
    after = sl.stats()
    d = {k: after["stack"][k] - before["stack"][k]
         for k in ("tcp_syncookies_sent", "tcp_syncookies_ok", "tcp_accepted", "tcp_rx")}
    worst = max(max_half.values()) if max_half else -1
    t.check("T7 flood: half-open per lcore <= syn_backlog %d" % backlog,
            0 < worst <= backlog, "max syn_received %s" % max_half)
    t.check("T7 flood: SYN cookies answered (SYN-ACKs with ack = SYN's seq + 1)",
            d["tcp_syncookies_sent"] > 0 and len(fl.synacks) > backlog and fl.bad_ack == 0,
            "%d SYNs sent, sluice got %d segments, %d SYN-ACKed tuples, cookies sent %d, "
            "%d SYN-ACKs with a wrong ack" % (fl.sent, d["tcp_rx"], len(fl.synacks),
                                              d["tcp_syncookies_sent"], fl.bad_ack))
    t.check("T7 flood: a real Linux client connects (through a cookie) and gets its echo",
            client.get("ok") is True and d["tcp_syncookies_ok"] >= 1,
            "%s; syncookies_ok +%d" % (client.get("detail", "client never started"),
                                      d["tcp_syncookies_ok"]))
    # Half-open entries live for r2_syn; they are the tuples whose SYN-ACK
    # came again (a cookie is sent once). Reset them, then any leftover.
    seqs = {(ip, port): seq for ip, port, seq in fl.tuples}
    dip = socket.inet_aton(SL_IP)

    def reset(keys):
        for i, (ip, port) in enumerate(keys):
            sl_t.wire.send(fast_frame(sl_t.wire.mac, sl_t.dmac, socket.inet_aton(ip), dip, port,
                                      ECHO_PORT, seqs[(ip, port)] + 1, 0, RST, 0))
            if i % 200 == 199:
                time.sleep(0.01)

    again = [k for k, v in fl.synacks.items() if v > 1 and k in seqs]
    reset(again)
    ok, why = sluice_idle(sl, base_in_use, 3.0)
    if not ok:
        t.note("after resetting %d re-sent tuples: %s; resetting all %d"
               % (len(again), why, len(fl.synacks)))
        reset([k for k in fl.synacks if k in seqs and k not in again])
        ok, why = sluice_idle(sl, base_in_use, 5.0)
    t.check("T7 flood: then no sluice connection left, mbufs at baseline, alive", ok,
            "" if ok else why)
    run.rows.append(("T7 SYN flood %d" % FLOOD_SYNS, "n/a",
                     "half-open max %d (<=%d), %d cookies, client %s"
                     % (worst, backlog, d["tcp_syncookies_sent"],
                        "ok" if client.get("ok") else "FAILED"),
                     "ok" if ok and client.get("ok") else "FAIL"))


def run_sigterm_flood(t, sl_t, lp, run):
    """T13: SIGTERM while a flood runs: exit 0 within 2 s, every mbuf back."""
    sl = sl_t.sl
    before = sl.stats()["stack"]["tcp_syncookies_sent"]
    fl = Flood(sl_t, FLOOD_SYNS, 8)
    fl.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and fl.sending():
        if sl.stats()["stack"]["tcp_syncookies_sent"] > before:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    mid = fl.sending()
    rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
    fl.end()
    out = sl.output()
    pools = re.findall(r"^sluice: mempool (\S+): (\d+) of (\d+) mbufs in use after shutdown",
                       out, re.M)
    ok = rc == 0 and secs <= lp.STOP_LIMIT and "every mbuf returned" in out
    t.check("T13 SIGTERM during the SYN flood: exit 0 within %.0f s, every mbuf returned"
            % lp.STOP_LIMIT, ok and mid,
            "flood running at the signal: %s; rc %s after %.2f s; %s" % (
                mid, rc, secs, "; ".join("%s %s of %s" % p for p in pools) or
                "no 'sluice: mempool' lines"))
    run.rows.append(("T13 SIGTERM in flood", "n/a", "rc %s in %.2f s, %s" % (
        rc, secs, "every mbuf returned" if "every mbuf returned" in out else "mbufs LOST"),
        "ok" if ok else "FAIL"))


# ---- set-up -----------------------------------------------------------------

def main():
    if len(sys.argv) > 1 and sys.argv[1] == "linux-server":
        return linux_server_main(sys.argv[2:])
    import linux_peer as lp

    ap = lp.arg_parser(__doc__)
    ap.add_argument("--only", metavar="REGEX",
                    help="run only the scenarios whose name matches (and no flood)")
    ap.add_argument("--trace", action="store_true",
                    help="print the segments of every scenario, both stacks")
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ethtool", "sysctl", "nft", "ss"))
    if skip is not None:
        return skip
    try:
        __import__("scapy.all")
    except ImportError:
        print("# skipped: %s cannot import scapy (install python3-scapy)" % sys.executable)
        return lp.SKIP

    class StateSluice(lp.Sluice):
        service = "tcp-echo"
        port = ECHO_PORT

        def start(self):
            self.spawn_config("[sluice]\nservice = %s\nduration = 0\nstats_interval = 0\n"
                              "[port0]\ndev = %s\nip = %s/%d\n[service]\ntcp_port = %d\n"
                              "[tcp]\n%s"
                              % (self.service, self.port_dev, SL_IP, lp.PREFIX_LEN, self.port,
                                 "".join("%s = %s\n" % kv for kv in SL_TCP.items())),
                              "sl_tcp_states_")

    lp.exit_on_term()

    tag = "s%d" % os.getpid()
    t = lp.Checks()
    topo = lp.Topology(tag)
    srv_ns = "sl_srv_%s" % tag
    lx_if, srv_if = "sliX%s" % tag, "sliY%s" % tag
    made_srv = False
    server = None
    wires = []
    sl = StateSluice(os.path.abspath(a.sluice), topo, tag)
    run = Run(t, lp)
    run.trace = a.trace
    t_start = time.monotonic()
    try:
        topo.open()
        ns = topo.ns
        lp.sh(["ethtool", "-K", topo.peer_if, "tso", "off", "gso", "off"], ns=ns)
        lp.sh(["sysctl", "-qw", "net.ipv4.ip_forward=0"], ns=ns)
        lp.sh(["ip", "netns", "add", srv_ns])
        made_srv = True
        lp.sh(["ip", "link", "add", lx_if, "netns", ns, "type", "veth", "peer", "name", srv_if,
               "netns", srv_ns])
        lp.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % lx_if], ns=ns)
        lp.sh(["ip", "addr", "add", "%s/24" % CLI_LX_IP, "dev", lx_if], ns=ns)
        lp.sh(["ip", "link", "set", lx_if, "up"], ns=ns)
        lp.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % srv_if], ns=srv_ns)
        lp.sh(["ip", "addr", "add", "%s/24" % LX_IP, "dev", srv_if], ns=srv_ns)
        # full checksums and no super-frames towards a packet socket
        lp.sh(["ethtool", "-K", srv_if, "tx", "off", "tso", "off", "gso", "off"], ns=srv_ns)
        lp.sh(["ip", "link", "set", srv_if, "up"], ns=srv_ns)
        lp.sh(["ip", "link", "set", "lo", "up"], ns=srv_ns)
        # the builder's kernel must not reset the connections scapy plays
        p = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=(
            "table inet %s {\n chain out {\n  type filter hook output priority 0;\n"
            "  tcp sport %d-%d tcp flags & rst == rst drop\n }\n}\n"
            % (NFT_TABLE, SPORT_LO, SPORT_HI)), capture_output=True, text=True, timeout=10)
        if p.returncode != 0:
            raise lp.Fatal("nft in %s: %s" % (ns, p.stderr.strip()))
        srv_mac = lp.sh(["cat", "/sys/class/net/%s/address" % srv_if], ns=srv_ns).stdout.strip()
        server = subprocess.Popen(["ip", "netns", "exec", srv_ns, PY, os.path.abspath(__file__),
                                   "linux-server", "--echo-port", str(ECHO_PORT),
                                   "--http-port", str(HTTP_PORT), "--sndbuf", str(LX_SNDBUF)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if server.stdout.readline().strip() != "ready":
            raise lp.Fatal("the Linux server did not start")
        wl = Wire(ns, lx_if)
        ws = Wire(ns, topo.peer_if)
        wires += [wl, ws]
        linux = LinuxTarget(wl, srv_mac, srv_ns)
        sluice = SluiceTarget(ws, None)
        t.note("namespaces %s (builder), %s (Linux server); sluice on %s"
               % (ns, srv_ns, topo.host_if))

        # the bulk builder against scapy, once
        from scapy.all import IP, TCP, Ether, Raw, raw
        ref = raw(Ether(src=ws.mac, dst=b"\x02" * 6) /
                  IP(src=CLI_IP, dst=SL_IP, flags="DF", ttl=64, id=1) /
                  TCP(sport=20000, dport=7, seq=123, ack=456, flags="PA", window=999,
                      options=[("NOP", None), ("NOP", None), ("Timestamp", (7, 8))]) / Raw(b"abc"))
        mine = fast_frame(ws.mac, b"\x02" * 6, socket.inet_aton(CLI_IP), socket.inet_aton(SL_IP),
                          20000, 7, 123, 456, PSH | ACK, 999, ts_opt(7, 8), b"abc")
        t.check("bulk frame builder == scapy's frame", ref == mine,
                "" if ref == mine else "%s / %s" % (ref.hex(), mine.hex()))

        # sluice 1: http (the server closes first)
        sl.service, sl.port = "http", HTTP_PORT
        base = lp.start_ready(t, sl, "sluice (http) starts")
        sluice.attach(sl)
        run.scenarios(pick(HTTP_SCENARIOS, a.only), linux, sluice, base)
        rc, secs = sl.stop(signal.SIGTERM, lp.STOP_LIMIT)
        t.check("sluice (http): SIGTERM, exit 0, every mbuf returned",
                rc == 0 and "every mbuf returned" in sl.output(), "rc %s, %.2f s" % (rc, secs))
        if t.failed or a.verbose:
            t.note("sluice (http) output:\n" + sl.output()[-3000:])
        sl.close()

        # sluice 2: tcp-echo
        sl = StateSluice(os.path.abspath(a.sluice), topo, tag)
        base = lp.start_ready(t, sl, "sluice (tcp-echo) starts")
        sluice.attach(sl)
        run.scenarios(pick(ECHO_SCENARIOS, a.only), linux, sluice, base)
        if a.only is None:
            run_flood(t, sluice, ns, base, run)
            run_sigterm_flood(t, sluice, lp, run)
    except lp.STEP_ERRORS as e:
        lp.record_failure(t, e)
    except (KeyboardInterrupt, SystemExit) as e:
        t.check("not interrupted", False, "%s; cleaning up" % type(e).__name__)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if run.rows:
            run.table()
        t.note("wall time %.1f s" % (time.monotonic() - t_start))
        if a.verbose or t.failed:
            lp.note_output(t, sl)
        sl.close()
        for w in wires:
            w.close()
        if server is not None:
            try:
                server.stdin.close()
                server.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired):
                server.kill()
                server.wait(timeout=5)
        if made_srv:
            lp.sh(["ip", "netns", "del", srv_ns], check=False)
        topo.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
