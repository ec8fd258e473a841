#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: live capture of a running sluice with dpdk-dumpcap and dpdk-pdump.

Topology of linux_peer.py (a veth pair, the Linux end in a namespace,
sluice on net_af_packet, udp-echo on port 7), but sluice runs as a
multi-process primary: hugepages and a --file-prefix, without --in-memory
(what README's "Live capture" tells users). Checks: sluice says live
capture is ready; with --in-memory it says capture is off and why;
dpdk-dumpcap (a secondary process) attaches to net_af_packet0 with the
filter "udp port 7" and -c 100 while the peer sends 50 UDP echoes, and
exits 0; tshark reads exactly 100 packets from its pcapng: 50 requests
peer:any -> sluice:7 and 50 replies sluice:7 -> peer, each reply's payload
its request's, Ethernet addresses those of the two ends; then dpdk-pdump
(port=0, rx-dev and tx-dev pcap files) captures 10 more echoes: 10
requests received, 10 replies sent; sluice's mbufs are back to baseline
after both detached; SIGTERM stops sluice within 2 s, exit 0, every mbuf
returned.

Needs root, free hugepages, dpdk-dumpcap, dpdk-pdump and tshark. Prints
"ok N - ..." lines and "N passed, M failed"; exits 0 only if every check
passed, 77 (skipped) without root, tools or hugepages.
"""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import linux_peer as lp  # noqa: E402

N_DUMPCAP = 50
N_PDUMP = 10



def hugepages_free():
    n = 0
    for f in glob.glob("/sys/kernel/mm/hugepages/hugepages-*/free_hugepages"):
        with open(f) as h:
            n += int(h.read())
    return n


class MpSluice(lp.Sluice):
    """sluice as a multi-process primary: hugepages, shared runtime dir."""

    def eal_argv(self, cfg, lcores=("-l", "0,1")):
        return [self.exe] + list(lcores) + [
            "--no-pci", "--file-prefix", self.prefix, "-m", "256", "--log-level", "*:warning",
            "--", "--config", cfg]

    def close(self):
        super().close()
        # hugepage files a killed primary left behind
        for f in glob.glob("/dev/hugepages/%smap_*" % self.prefix):
            try:
                os.unlink(f)
            except OSError:
                pass


def tshark_fields(path, fields, flt="udp"):
    p = subprocess.run(["tshark", "-r", path, "-Y", flt, "-T", "fields"] +
                       sum((["-e", f] for f in fields), []),
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise lp.Fatal("tshark -r %s: %s" % (path, p.stderr.strip()[-500:]))
    return [ln.split("\t") for ln in p.stdout.splitlines() if ln.strip()]


def echo(topo, n):
    """@n UDP echoes of 16 random bytes each from the peer; how many came back intact."""
    res = lp.peer(topo, ["udp-sizes", "--sizes", ",".join(["16"] * n)])["results"]
    return {"sent": n, "echoed": sum(1 for r in res if r["ok"])}


def config(sl):
    return ("[sluice]\nservice = udp-echo\nstats_interval = 0\n[port0]\ndev = %s\nip = %s/%d\n"
            "[service]\nudp_port = %d\n" % (sl.port_dev, lp.SLUICE_IP, lp.PREFIX_LEN,
                                            lp.ECHO_PORT))


def wait_line(proc, path, needle, secs):
    """True once @needle is in file @path (the output of @proc)."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            if needle in f.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def stop_proc(proc, sig=signal.SIGINT, secs=10):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=secs)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


def run_checks(t, topo, exe, tag, tmp):
    topo.open()
    # --in-memory: no multi-process channel, so capture is off, said once.
    sl = lp.Sluice(exe, topo, tag + "m")
    try:
        sl.spawn_config(config(sl))
        ok, why = sl.wait_ready(lp.READY_TIMEOUT)
        t.check("with --in-memory sluice says live capture is off",
                ok and "live capture off" in sl.output() and "--in-memory" in sl.output(),
                why or sl.output()[-400:])
    finally:
        sl.close()

    sl = MpSluice(exe, topo, tag)
    try:
        sl.spawn_config(config(sl))
        ok, why = sl.wait_ready(lp.READY_TIMEOUT)
        if not t.check("sluice starts as a primary with hugepages and --file-prefix", ok, why):
            raise lp.Fatal("sluice never became ready", reported=True)
        t.check("sluice says live capture is ready",
                "live capture ready: dpdk-dumpcap --file-prefix=%s" % sl.prefix in sl.output(),
                sl.output()[-400:])
        base = lp.in_use(sl)

        pcap = os.path.join(tmp, "echo.pcapng")
        err = os.path.join(tmp, "dumpcap.err")
        with open(err, "w") as ef:
            # stdbuf: its "Capturing on" line is the sign it attached
            dc = subprocess.Popen(["stdbuf", "-oL", "dpdk-dumpcap", "--file-prefix=%s" % sl.prefix, "-i",
                                   "net_af_packet0", "-f", "udp port %d" % lp.ECHO_PORT,
                                   "-c", str(2 * N_DUMPCAP), "-w", pcap],
                                  stdin=subprocess.DEVNULL, stdout=ef, stderr=ef)
        try:
            attached = wait_line(dc, err, "Capturing on", 20)
            with open(err, errors="replace") as f:
                t.check("dpdk-dumpcap attaches to the running sluice", attached, f.read()[-600:])
            time.sleep(0.5)
            res = echo(topo, N_DUMPCAP)
            t.check("%d UDP echoes answered during the capture" % N_DUMPCAP,
                    res.get("echoed") == N_DUMPCAP, str(res))
            try:
                rc = dc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                rc = None
            with open(err, errors="replace") as f:
                t.check("dpdk-dumpcap stops after 100 packets, exit 0", rc == 0,
                        "rc=%s %s" % (rc, f.read()[-600:]))
        finally:
            stop_proc(dc)

        rows = tshark_fields(pcap, ["eth.src", "eth.dst", "ip.src", "ip.dst", "udp.srcport",
                                    "udp.dstport", "udp.payload"])
        req = [r for r in rows if r[2] == lp.PEER_IP and r[3] == lp.SLUICE_IP and
               r[5] == str(lp.ECHO_PORT)]
        rep = [r for r in rows if r[2] == lp.SLUICE_IP and r[3] == lp.PEER_IP and
               r[4] == str(lp.ECHO_PORT)]
        t.check("the capture holds exactly %d packets" % (2 * N_DUMPCAP),
                len(rows) == 2 * N_DUMPCAP, "%d packets" % len(rows))
        t.check("%d requests peer -> sluice:7 and %d replies sluice:7 -> peer"
                % (N_DUMPCAP, N_DUMPCAP), len(req) == N_DUMPCAP and len(rep) == N_DUMPCAP,
                "%d requests, %d replies" % (len(req), len(rep)))
        t.check("every reply carries its request's payload and ports",
                sorted((r[4], r[6]) for r in req) == sorted((r[5], r[6]) for r in rep) and
                len({r[6] for r in req}) == N_DUMPCAP, "")
        mac = sl.mac
        t.check("Ethernet addresses are sluice's and the peer's",
                all(r[1].lower() == mac for r in req) and all(r[0].lower() == mac for r in rep)
                and len({r[0] for r in req} | {r[1] for r in rep}) == 1,
                "sluice %s, rows %s" % (mac, rows[:2]))

        # dpdk-pdump: the older tool, one pcap per direction.
        rx, tx = os.path.join(tmp, "rx.pcap"), os.path.join(tmp, "tx.pcap")
        out = os.path.join(tmp, "pdump.out")
        with open(out, "w") as of:
            pd = subprocess.Popen(["stdbuf", "-oL", "dpdk-pdump", "--file-prefix=%s" % sl.prefix, "--",
                                   "--pdump", "port=0,queue=*,rx-dev=%s,tx-dev=%s" % (rx, tx)],
                                  stdin=subprocess.DEVNULL, stdout=of, stderr=of)
        try:
            attached = wait_line(pd, out, "capture for", 20)
            time.sleep(0.5)
            res = echo(topo, N_PDUMP)
            t.check("%d UDP echoes answered while dpdk-pdump is attached" % N_PDUMP,
                    res.get("echoed") == N_PDUMP, str(res))
            time.sleep(0.5)
        finally:
            rc = stop_proc(pd)
        with open(out, errors="replace") as f:
            t.check("dpdk-pdump attaches and exits 0 on SIGINT", attached and rc == 0,
                    "rc=%s %s" % (rc, f.read()[-600:]))
        rx_rows = tshark_fields(rx, ["ip.src", "udp.dstport"], "udp.port == %d" % lp.ECHO_PORT)
        tx_rows = tshark_fields(tx, ["ip.src", "udp.srcport"], "udp.port == %d" % lp.ECHO_PORT)
        t.check("dpdk-pdump: %d requests received, %d replies sent" % (N_PDUMP, N_PDUMP),
                len([r for r in rx_rows if r[0] == lp.PEER_IP]) == N_PDUMP and
                len([r for r in tx_rows if r[0] == lp.SLUICE_IP]) == N_PDUMP,
                "rx %d, tx %d" % (len(rx_rows), len(tx_rows)))

        now = lp.wait_in_use(sl, base)
        t.check("mbufs in use back to baseline after the captures", now == base,
                "%s vs %s" % (now, base))
        rc, secs = sl.stop()
        t.check("SIGTERM: exit 0 within 2 s", rc == 0 and secs <= lp.STOP_LIMIT,
                "rc=%s after %.2f s" % (rc, secs))
        t.check("every mbuf returned", "every mbuf returned" in sl.output())
    finally:
        if t.failed:
            lp.note_output(t, sl)
        sl.close()


def main():
    ap = lp.arg_parser(__doc__)
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ethtool", "sysctl", "dpdk-dumpcap", "dpdk-pdump", "tshark",
                         "stdbuf"))
    if skip is not None:
        return skip
    if hugepages_free() < 200:
        print("# skipped: fewer than 200 free hugepages (./run setup reserves them)")
        return lp.SKIP
    lp.exit_on_term()
    tag = str(os.getpid())
    t = lp.Checks()
    topo = lp.Topology(tag)
    tmp = tempfile.mkdtemp(prefix="sl_pdump_")
    try:
        with lp.Guard(t, topo, a.verbose):
            run_checks(t, topo, os.path.abspath(a.sluice), tag, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
