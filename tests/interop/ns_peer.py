#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Linux side of the interop test: runs inside the peer namespace.

linux_peer.py starts it as `ip netns exec NS /usr/bin/python3 ns_peer.py
CMD ...`; every command prints one JSON object (its result) as the last
line of stdout and exits 0 unless its arguments are wrong. Judging the
result is linux_peer.py's job, so a sluice that misbehaves shows up there
as a failed check with the numbers, never as a traceback here.

Commands that only use sockets (udp-sizes, udp-burst, udp-closed) import
nothing but the standard library; bad-cksum and garp need scapy (Debian's
python3-scapy, hence /usr/bin/python3).
"""

import argparse
import errno
import json
import os
import select
import socket
import struct
import sys
import time

SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # not exported by Python 3.11


def emit(result):
    print(json.dumps(result), flush=True)


def udp_socket(rcvbuf=1 << 22):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Root in the namespace: FORCE lifts net.core.rmem_max so a burst of
        # replies waits in the socket instead of being dropped by Linux.
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(("0.0.0.0", 0))
    return s


def cmd_udp_sizes(a):
    """One datagram per size, random content; the reply must be identical."""
    out = []
    s = udp_socket()
    s.settimeout(a.timeout)
    for size in a.sizes:
        payload = os.urandom(size)
        r = {"size": size, "ok": False}
        s.sendto(payload, (a.dst, a.port))
        deadline = time.monotonic() + a.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                r["error"] = "no reply within %.1f s" % a.timeout
                break
            s.settimeout(left)
            try:
                data, src = s.recvfrom(65536)
            except socket.timeout:
                r["error"] = "no reply within %.1f s" % a.timeout
                break
            except OSError as e:
                r["error"] = "recvfrom: %s" % e
                break
            r["from"] = "%s:%d" % src
            r["reply_len"] = len(data)
            if src != (a.dst, a.port):
                r["error"] = "reply from %s:%d, expected %s:%d" % (src + (a.dst, a.port))
            elif data != payload:
                diff = next((i for i in range(min(len(data), len(payload)))
                             if data[i] != payload[i]), min(len(data), len(payload)))
                r["error"] = "reply differs: %d bytes back for %d sent, first difference at " \
                             "byte %d" % (len(data), size, diff)
            else:
                r["ok"] = True
            break
        out.append(r)
    emit({"results": out})


def cmd_udp_burst(a):
    """COUNT datagrams, each with a sequence number, back to back in chunks
    of CHUNK (0 = all at once); count the distinct, intact replies. Replies
    are drained between sends so the client is never the bottleneck, and a
    chunk waits for the previous one's replies so that a burst never
    exceeds what the receive ring on sluice's side holds (net_af_packet:
    512 frames a queue by default): this checks that echo keeps up and
    loses nothing, not how deep the ring is."""
    s = udp_socket()
    s.setblocking(False)
    dst = (a.dst, a.port)
    body = os.urandom(a.size - 4)
    got = set()
    bad = dups = foreign = send_errors = 0

    def drain():
        nonlocal bad, dups, foreign
        while True:
            try:
                data, src = s.recvfrom(65536)
            except BlockingIOError:
                return
            except OSError:
                return
            if src != dst:
                foreign += 1
                continue
            if len(data) != a.size or data[4:] != body:
                bad += 1
                continue
            seq = struct.unpack("!I", data[:4])[0]
            if seq >= a.count:
                bad += 1
            elif seq in got:
                dups += 1
            else:
                got.add(seq)

    def settle(sent):
        # Wait for the replies of what is out, up to `wait_chunk` without progress.
        last, t_last = len(got), time.monotonic()
        while len(got) < sent and time.monotonic() - t_last < a.wait_chunk:
            select.select([s], [], [], 0.01)
            drain()
            if len(got) != last:
                last, t_last = len(got), time.monotonic()

    t0 = time.monotonic()
    for seq in range(a.count):
        if a.chunk and seq and seq % a.chunk == 0:
            settle(seq)
        while True:
            try:
                s.sendto(struct.pack("!I", seq) + body, dst)
                break
            except BlockingIOError:
                select.select([s], [s], [], 0.01)
                drain()
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    send_errors += 1
                    time.sleep(0.001)
                    continue
                raise
        drain()
    t_sent = time.monotonic() - t0
    deadline = time.monotonic() + a.wait
    while len(got) < a.count and time.monotonic() < deadline:
        select.select([s], [], [], 0.05)
        drain()
    emit({"sent": a.count, "chunk": a.chunk, "received": len(got), "corrupt": bad,
          "duplicates": dups,
          "foreign": foreign, "enobufs_retries": send_errors,
          "send_seconds": round(t_sent, 3),
          "missing_first": sorted(set(range(a.count)) - got)[:10]})


def cmd_udp_closed(a):
    """A connected UDP socket learns of an ICMP port unreachable as
    ECONNREFUSED (Linux checks the ICMP checksum and the quoted header)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((a.dst, a.port))
    s.settimeout(a.timeout)
    s.send(b"anyone there?")
    try:
        data = s.recv(65536)
        emit({"outcome": "data", "len": len(data)})
    except ConnectionRefusedError:
        emit({"outcome": "refused"})
    except socket.timeout:
        emit({"outcome": "timeout"})
    except OSError as e:
        emit({"outcome": "error", "error": str(e)})


def _scapy():
    try:
        import scapy.all as sc
    except ImportError as e:
        emit({"error": "scapy not importable by %s: %s" % (sys.executable, e)})
        sys.exit(0)
    sc.conf.verb = 0
    return sc


def _from_sluice(sc, a):
    def match(p):
        return (p.haslayer(sc.Ether) and p[sc.Ether].src.lower() == a.dmac.lower()
                and p.haslayer(sc.IP) and p[sc.IP].src == a.dst)
    return match


def cmd_bad_cksum(a):
    """One frame with a bad IPv4 header checksum, one with a bad UDP
    checksum, both to dst:port; sniff for anything sluice sends back."""
    sc = _scapy()
    mymac = sc.get_if_hwaddr(a.iface)

    def frame(sport, payload):
        p = (sc.Ether(src=mymac, dst=a.dmac)
             / sc.IP(src=a.src, dst=a.dst, flags="DF", ttl=64)
             / sc.UDP(sport=sport, dport=a.port) / payload)
        return sc.Ether(bytes(p))  # checksums filled in

    good_ip = frame(a.sport_ip, b"bad ip checksum")
    bad_ip = good_ip.copy()
    bad_ip[sc.IP].chksum = good_ip[sc.IP].chksum ^ 0x0101

    good_udp = frame(a.sport_udp, b"bad udp checksum")
    bad_udp = good_udp.copy()
    wrong = good_udp[sc.UDP].chksum ^ 0x0101
    if wrong == 0:  # 0 means "no checksum" (RFC 768): pick another wrong value
        wrong = good_udp[sc.UDP].chksum ^ 0x0202
    bad_udp[sc.UDP].chksum = wrong

    sniffer = sc.AsyncSniffer(iface=a.iface, lfilter=_from_sluice(sc, a), store=True)
    sniffer.start()
    time.sleep(0.3)
    sc.sendp(bad_ip, iface=a.iface)
    sc.sendp(bad_udp, iface=a.iface)
    time.sleep(a.listen)
    got = sniffer.stop() or []

    def about(p, sport):
        # a reply to us (UDP to our port) or an ICMP error quoting our datagram
        if p.haslayer(sc.UDP) and not p.haslayer(sc.ICMP) and p[sc.UDP].dport == sport:
            return True
        if p.haslayer(sc.ICMP) and p.haslayer(sc.UDPerror) and p[sc.UDPerror].sport == sport:
            return True
        return False

    emit({"ip_frame": {"ip_chksum_sent": bad_ip[sc.IP].chksum,
                       "ip_chksum_correct": good_ip[sc.IP].chksum},
          "udp_frame": {"udp_chksum_sent": bad_udp[sc.UDP].chksum,
                        "udp_chksum_correct": good_udp[sc.UDP].chksum},
          "replies_ip": [p.summary() for p in got if about(p, a.sport_ip)],
          "replies_udp": [p.summary() for p in got if about(p, a.sport_udp)],
          "other_from_sluice": [p.summary() for p in got
                                if not about(p, a.sport_ip) and not about(p, a.sport_udp)]})


def cmd_garp(a):
    """Gratuitous ARP (request and reply forms) claiming that our address,
    src, is at fake_mac. Then talk to sluice normally and watch (promiscuous)
    for any frame sluice addresses to fake_mac: there must be none, and the
    echo must still reach the real MAC."""
    sc = _scapy()
    mymac = sc.get_if_hwaddr(a.iface)

    def to_fake(p):
        return (p.haslayer(sc.Ether) and p[sc.Ether].src.lower() == a.dmac.lower()
                and p[sc.Ether].dst.lower() == a.fake_mac.lower())

    sniffer = sc.AsyncSniffer(iface=a.iface, lfilter=to_fake, store=True, promisc=True)
    sniffer.start()
    time.sleep(0.3)
    for op in (1, 2):  # RFC 5227 ARP announcement (request) and the reply form
        sc.sendp(sc.Ether(src=a.fake_mac, dst="ff:ff:ff:ff:ff:ff")
                 / sc.ARP(op=op, hwsrc=a.fake_mac, psrc=a.src,
                          hwdst="00:00:00:00:00:00" if op == 1 else "ff:ff:ff:ff:ff:ff",
                          pdst=a.src), iface=a.iface)
    # The same claim sent straight to sluice's MAC (unsolicited reply).
    sc.sendp(sc.Ether(src=a.fake_mac, dst=a.dmac)
             / sc.ARP(op=2, hwsrc=a.fake_mac, psrc=a.src, hwdst=a.dmac, pdst=a.dst),
             iface=a.iface)
    time.sleep(0.2)

    s = udp_socket()
    s.settimeout(a.timeout)
    payload = os.urandom(64)
    s.sendto(payload, (a.dst, a.port))
    echo = {"ok": False}
    try:
        data, src = s.recvfrom(65536)
        echo["ok"] = data == payload and src == (a.dst, a.port)
        if not echo["ok"]:
            echo["error"] = "reply from %s:%d, %d bytes, identical=%s" % (
                src[0], src[1], len(data), data == payload)
    except socket.timeout:
        echo["error"] = "no reply within %.1f s" % a.timeout
    # Something sluice originates itself rather than echoes in place.
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect((a.dst, a.closed_port))
    c.settimeout(a.timeout)
    c.send(b"garp check")
    try:
        c.recv(100)
        refused = "data"
    except ConnectionRefusedError:
        refused = "refused"
    except socket.timeout:
        refused = "timeout"
    time.sleep(0.3)
    got = sniffer.stop() or []
    emit({"my_mac": mymac, "echo": echo, "closed_port": refused,
          "frames_to_fake_mac": [p.summary() for p in got]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["udp-sizes", "udp-burst", "udp-closed", "bad-cksum", "garp"])
    ap.add_argument("--dst", default="10.199.0.1")
    ap.add_argument("--src", default="10.199.0.2")
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--closed-port", type=int, default=9)
    ap.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")],
                    default=[1, 18, 100, 1000, 1472])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=0, help="udp-burst: datagrams per chunk")
    ap.add_argument("--wait-chunk", type=float, default=0.5,
                    help="udp-burst: seconds without a reply before the next chunk")
    ap.add_argument("--wait", type=float, default=3.0, help="seconds to wait for stragglers")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--listen", type=float, default=1.5)
    ap.add_argument("--iface")
    ap.add_argument("--dmac", help="sluice's MAC")
    ap.add_argument("--fake-mac", default="02:de:ad:be:ef:01")
    ap.add_argument("--sport-ip", type=int, default=40001)
    ap.add_argument("--sport-udp", type=int, default=40002)
    a = ap.parse_args()
    if a.cmd in ("bad-cksum", "garp") and (not a.iface or not a.dmac):
        ap.error("%s needs --iface and --dmac" % a.cmd)
    if a.size < 4:
        ap.error("--size must be at least 4 (the sequence number)")
    {"udp-sizes": cmd_udp_sizes, "udp-burst": cmd_udp_burst, "udp-closed": cmd_udp_closed,
     "bad-cksum": cmd_bad_cksum, "garp": cmd_garp}[a.cmd](a)


if __name__ == "__main__":
    main()
