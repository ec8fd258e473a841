#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice-gen end to end: against a Linux UDP echo over af_packet, and against
sluice over memif.

Topology for the Linux peer (as linux_peer.py):

    namespace sl_gen_<pid>                   root namespace
    sgN<pid> 10.199.2.2/24  <== veth ==>     sgH<pid> (no IP, IPv6 off)
    a Python UDP echo on port 7              sluice-gen --port-dev net_af_packet0,iface=sgH<pid>
                                             --src-ip 10.199.2.10/24 --src-ips 4

Checks: --help and usage errors (exit 2, one message); 2000 requests over
64 flows from 4 source addresses (the generator answers Linux's ARP for the
3 extra ones) all come back, loss 0, percentiles monotonic, the JSON report
is complete; a port with no service gives exit 1 and says so; an address
nobody has gives exit 2 naming ARP; sluice (memif server, lcore 0) against
sluice-gen (memif client, lcore 1) at 10 kpps for 2 s: no loss, sluice
counted as many datagrams as the generator sent, both exit 0 with every
mbuf returned.

Needs root (namespaces, hugepages). Exits 77 (skipped) without. Everything
started here is stopped by PID; the namespace and veth go on every exit.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
GEN_IP, PEER_IP, NOBODY_IP = "10.199.2.10", "10.199.2.2", "10.199.2.99"
ECHO = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7))
s.settimeout(0.2)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        continue
    s.sendto(d, a)
"""

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(f"{'ok' if cond else 'not ok'} {len(results)} - {name}" +
          ("" if cond else f" ({detail})"), flush=True)
    return cond


def sh(args, ns=None, check_rc=True, timeout=30):
    if ns:
        args = ["ip", "netns", "exec", ns] + args
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr.strip()}")
    return p


def gen(exe, tag, app, timeout=60):
    argv = [exe, "-l", "1", "--no-pci", "--in-memory", "--file-prefix", f"sl_gen_{tag}",
            "--log-level", "*:warning", "--"] + app
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def load_json(path):
    """The report, refusing duplicate keys (json.load keeps the last)."""
    def pairs(kv):
        keys = [k for k, _ in kv]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate keys in {keys}")
        return dict(kv)
    with open(path) as f:
        return json.load(f, object_pairs_hook=pairs)


def latency_sane(j):
    lat = j["latency_ns"]
    seq = [lat["min"], lat["p50"], lat["p90"], lat["p99"], lat["p999"], lat["max"]]
    return lat["samples"] > 0 and all(a <= b for a, b in zip(seq, seq[1:])), seq


def linux_peer(exe, tmp):
    tag = str(os.getpid())
    ns, host, peer = f"sl_gen_{tag}", f"sgH{tag}", f"sgN{tag}"
    echo = None
    try:
        sh(["ip", "netns", "add", ns])
        sh(["ip", "link", "add", host, "type", "veth", "peer", "name", peer])
        sh(["ip", "link", "set", peer, "netns", ns])
        sh(["sysctl", "-qw", f"net.ipv6.conf.{host}.disable_ipv6=1"])
        sh(["ip", "link", "set", host, "up"])
        sh(["sysctl", "-qw", f"net.ipv6.conf.{peer}.disable_ipv6=1"], ns=ns)
        sh(["ip", "addr", "add", f"{PEER_IP}/24", "dev", peer], ns=ns)
        # full UDP checksums towards the packet socket (see linux_peer.py)
        sh(["ethtool", "-K", peer, "tx", "off"], ns=ns)
        sh(["ip", "link", "set", peer, "up"], ns=ns)
        echo = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", ECHO,
                                 "30"], stdin=subprocess.DEVNULL)
        time.sleep(0.5)
        dev = f"net_af_packet0,iface={host}"
        base = ["--port-dev", dev, "--src-ip", f"{GEN_IP}/24", "--stats-interval", "0"]

        jpath = os.path.join(tmp, "linux.json")
        rc, out = gen(exe, tag + "a", base + ["--dst-ip", PEER_IP, "--src-ips", "4", "--flows",
                                              "64", "--rate", "1000", "--count", "2000",
                                              "--json", jpath])
        check("af_packet: sluice-gen exits 0", rc == 0, f"rc={rc} {out[-1500:]}")
        try:
            j = load_json(jpath)
        except (OSError, ValueError) as e:
            check("af_packet: JSON report readable", False, str(e))
            return
        check("af_packet: 2000 sent, 2000 replies, loss 0",
              j["loss"]["sent"] == 2000 and j["loss"]["received"] == 2000 and
              j["loss"]["lost"] == 0, j["loss"])
        ok, seq = latency_sane(j)
        check("af_packet: latency percentiles monotonic", ok, seq)
        check("af_packet: Linux ARPed for the extra source addresses and got answers",
              j["rx"]["arp_extra_answered"] >= 3, j["rx"])
        neigh = sh(["ip", "neigh", "show", "dev", peer], ns=ns).stdout
        macs = {m.lower() for m in re.findall(r"10\.199\.2\.1[0-3] lladdr (\S+)", neigh)}
        check("af_packet: the peer has all 4 source addresses at one MAC",
              len(re.findall(r"10\.199\.2\.1[0-3] lladdr", neigh)) == 4 and len(macs) == 1,
              neigh)
        check("af_packet: no reply dropped as broken", all(
            j["rx"][k] == 0 for k in ("reply_bad_len", "reply_bad_cksum", "reply_bad_payload")),
              j["rx"])

        rc, out = gen(exe, tag + "b", base + ["--dst-ip", PEER_IP, "--dst-port", "9",
                                              "--rate", "100", "--count", "20"])
        check("af_packet: a port with no service: exit 1 saying no reply",
              rc == 1 and "no reply to any of 20 requests" in out, f"rc={rc} {out[-800:]}")

        t0 = time.monotonic()
        rc, out = gen(exe, tag + "c", base + ["--dst-ip", NOBODY_IP, "--count", "10"])
        check("af_packet: an address nobody has: exit 2 naming ARP within 5 s",
              rc == 2 and f"no ARP reply for {NOBODY_IP}" in out and
              time.monotonic() - t0 < 8, f"rc={rc} {out[-800:]}")
    finally:
        if echo is not None and echo.poll() is None:
            echo.send_signal(signal.SIGTERM)
            try:
                echo.wait(timeout=5)
            except subprocess.TimeoutExpired:
                echo.kill()
                echo.wait()
        sh(["ip", "netns", "del", ns], check_rc=False)
        sh(["ip", "link", "del", host], check_rc=False)


def memif(exe, sluice, config, tmp):
    tag = str(os.getpid())
    sock = f"/tmp/sl_gen_{tag}.sock"
    out_path = os.path.join(tmp, "sluice.out")
    with open(out_path, "w") as out:
        srv = subprocess.Popen(
            [sluice, "-l", "0", "--no-pci", "--in-memory", "--file-prefix", f"sl_gensrv_{tag}",
             "--log-level", "*:warning", "--", "--config", config,
             "--set", f"port0.dev=net_memif0,role=server,socket={sock}",
             "--set", "port0.ip=10.9.2.1/24", "--set", "sluice.duration=60",
             "--set", "sluice.stats_interval=0"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and srv.poll() is None:
            with open(out_path) as f:
                if "sluice: service" in f.read():
                    break
            time.sleep(0.1)
        jpath = os.path.join(tmp, "memif.json")
        rc, out = gen(exe, tag + "m", ["--port-dev", f"net_memif0,role=client,socket={sock}",
                                       "--src-ip", "10.9.2.2/24", "--dst-ip", "10.9.2.1",
                                       "--rate", "10k", "--duration", "2",
                                       "--stats-interval", "0", "--json", jpath])
        check("memif: sluice-gen exits 0", rc == 0, f"rc={rc} {out[-1500:]}")
        try:
            j = load_json(jpath)
        except (OSError, ValueError) as e:
            check("memif: JSON report readable", False, str(e))
            return
        sent = j["loss"]["sent"]
        check("memif: about 20000 requests at 10 kpps, every one answered",
              15000 <= sent <= 20001 and j["loss"]["lost"] == 0, j["loss"])
        ok, seq = latency_sane(j)
        check("memif: latency percentiles monotonic", ok, seq)
    finally:
        if srv.poll() is None:
            srv.send_signal(signal.SIGINT)
        try:
            src = srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
            src = srv.wait()
        if os.path.exists(sock):
            os.unlink(sock)
    with open(out_path) as f:
        sl = f.read()
    m = re.search(r"udp_delivered=(\d+)", sl)
    check("memif: sluice exits 0 with every mbuf returned",
          src == 0 and "every mbuf returned" in sl, f"rc={src} {sl[-800:]}")
    # + 1: the probe request sent while resolving ARP
    check("memif: sluice delivered exactly the requests sent (+ the ARP probe)",
          m is not None and int(m.group(1)) == sent + 1,
          f"udp_delivered={m.group(1) if m else None} sent={sent}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True)
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--config", required=True, help="sluice's configs/memif.ini")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces, hugepages)")
        return SKIP

    p = subprocess.run([args.gen, "--help"], capture_output=True, text=True, timeout=10)
    check("--help exits 0 and lists --rate", p.returncode == 0 and "--rate" in p.stdout)
    for name, app, needle in [
        ("bad rate", ["--port-dev", "x", "--src-ip", "10.0.0.1/24", "--dst-ip", "10.0.0.2",
                      "--rate", "fast"], "--rate 'fast'"),
        ("missing --dst-ip", ["--port-dev", "x", "--src-ip", "10.0.0.1/24"], "--dst-ip"),
        ("no such device", ["--port-dev", "net_bogus0", "--src-ip", "10.0.0.1/24", "--dst-ip",
                            "10.0.0.2"], "net_bogus0"),
        ("lcore not enabled", ["--port-dev", "net_null0", "--src-ip", "10.0.0.1/24",
                               "--dst-ip", "10.0.0.2", "--lcores", "7"], "lcore 7"),
    ]:
        rc, out = gen(args.gen, f"{os.getpid()}cli", app)
        lines = [ln for ln in out.splitlines() if ln.startswith("sluice-gen:")]
        check(f"usage error ({name}): exit 2, one message naming {needle}",
              rc == 2 and len(lines) == 1 and needle in lines[0], f"rc={rc} {out[-600:]}")

    with tempfile.TemporaryDirectory(prefix="sl_gen_") as tmp:
        try:
            linux_peer(args.gen, tmp)
        except RuntimeError as e:
            check("Linux peer topology", False, str(e))
        memif(args.gen, args.sluice, args.config, tmp)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
