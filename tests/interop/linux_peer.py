#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: sluice on net_af_packet answers a real Linux peer.

Topology (RELIABILITY.md, "How to test it on a 2-core VM without NICs"):

    namespace sl_interop_<pid>          root namespace
    sliN<pid> 10.199.0.2/24  <== veth ==>  sliH<pid> (no IP, IPv6 off)
    ping, Python sockets, scapy             sluice --vdev net_af_packet0,iface=sliH<pid>

Checks, in order: sluice starts and its telemetry answers; ping 5/5; the
peer's ARP entry holds sluice's MAC; UDP echo of 1..1472-byte datagrams is
byte-identical and comes from 10.199.0.1:7; a 2000-datagram burst comes
back (>= 99 %); a closed port yields ICMP port unreachable (ECONNREFUSED);
a bad IPv4 and a bad UDP checksum get no reply and raise ip4_bad_cksum and
udp_bad_cksum by exactly 1; gratuitous ARP does not redirect sluice's
traffic; the stack counters agree with what was sent; mbufs in use are back
to the baseline; SIGTERM stops sluice within 2 s with exit 0 and every mbuf
returned.

Needs root, iproute2, ping, ethtool and Debian's python3-scapy. Prints one
"ok N - ..." / "not ok N - ..." line per check and "N passed, M failed"
last; exits 0 only if every check passed (77, meson's "skipped", when not
root). The namespace, the veth pair, sluice and its runtime directory are
removed on every exit path, including Ctrl-C and SIGTERM.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NS_PEER = os.path.join(HERE, "ns_peer.py")

SLUICE_IP = "10.199.0.1"
PEER_IP = "10.199.0.2"
PREFIX_LEN = 24
ECHO_PORT = 7
CLOSED_PORT = 9
SIZES = [1, 18, 100, 1000, 1472]
BURST = 2000
BURST_CHUNK = 250
BURST_MIN_RATIO = 0.99
READY_TIMEOUT = 20.0
STOP_LIMIT = 2.0
TEL_BUF = 1 << 17

SKIP = 77


class Checks:
    """TAP-like report: one line per check, a summary line at the end."""

    def __init__(self):
        self.n = 0
        self.failed = []

    def check(self, name, cond, detail=""):
        self.n += 1
        line = "%s %d - %s" % ("ok" if cond else "not ok", self.n, name)
        if detail:
            line += " (%s)" % detail
        print(line, flush=True)
        if not cond:
            self.failed.append(name)
        return cond

    def note(self, text):
        for line in str(text).splitlines() or [""]:
            print("# " + line, flush=True)

    def summary(self):
        print("%d passed, %d failed" % (self.n - len(self.failed), len(self.failed)), flush=True)
        return 0 if not self.failed else 1


class Fatal(Exception):
    """A step the remaining checks depend on failed; stop and clean up.
    reported: the failure already has its own "not ok" line."""

    def __init__(self, msg, reported=False):
        super().__init__(msg)
        self.reported = reported


def sh(args, timeout=30, check=True, ns=None):
    if ns is not None:
        args = ["ip", "netns", "exec", ns] + args
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise Fatal("`%s` exited %d: %s" % (" ".join(args), p.returncode,
                                              (p.stderr or p.stdout).strip()))
    return p


class Topology:
    """Namespace + veth pair, torn down by close() whatever state it is in."""

    def __init__(self, tag):
        self.ns = "sl_interop_%s" % tag
        self.host_if = "sliH%s" % tag
        self.peer_if = "sliN%s" % tag
        self.made_ns = False
        self.made_veth = False

    def open(self):
        sh(["ip", "netns", "add", self.ns])
        self.made_ns = True
        sh(["ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if])
        self.made_veth = True
        sh(["ip", "link", "set", self.peer_if, "netns", self.ns])
        # The root-namespace end belongs to sluice: no address, no IPv6
        # (router solicitations, MLD) and no forwarding of what it receives.
        sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.host_if])
        sh(["sysctl", "-qw", "net.ipv4.conf.%s.forwarding=0" % self.host_if])
        sh(["ip", "link", "set", self.host_if, "up"])
        ns = self.ns
        sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.peer_if], ns=ns)
        sh(["ip", "addr", "add", "%s/%d" % (PEER_IP, PREFIX_LEN), "dev", self.peer_if], ns=ns)
        # veth offloads the UDP checksum by default (CHECKSUM_PARTIAL); a
        # packet socket on the other end, which is what net_af_packet is,
        # then reads a partial checksum, and the 22.11 PMD cannot tell.
        # Real peers send complete checksums, so make Linux do so here.
        sh(["ethtool", "-K", self.peer_if, "tx", "off"], ns=ns)
        sh(["ip", "link", "set", self.peer_if, "up"], ns=ns)
        sh(["ip", "link", "set", "lo", "up"], ns=ns)

    def close(self):
        if self.made_ns:
            sh(["ip", "netns", "del", self.ns], check=False)
        if self.made_veth:
            # Gone with the namespace already unless moving the peer failed.
            sh(["ip", "link", "del", self.host_if], check=False)


class Sluice:
    def __init__(self, exe, topo, tag, base_config=None, mode=None):
        self.exe = exe
        self.mode = mode
        self.topo = topo
        self.prefix = "sl_interop_%s" % tag
        self.base_config = base_config
        self.proc = None
        self.lines = []
        self.lock = threading.Lock()
        self.reader = None
        self.cfg_path = None
        self.mac = None

    @property
    def tel_path(self):
        return "/var/run/dpdk/%s/dpdk_telemetry.v2" % self.prefix

    def output(self):
        with self.lock:
            return "".join(self.lines)

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line)

    @property
    def port_dev(self):
        """port0's device: af_packet on the root-namespace end of the veth."""
        return "net_af_packet0,iface=%s,qpairs=1" % self.topo.host_if

    def eal_argv(self, cfg, lcores=("-l", "0,1")):
        """sluice on @lcores reading @cfg: no PCI, in memory, this run's
        file prefix, warnings only."""
        return [self.exe] + list(lcores) + [
            "--no-pci", "--in-memory", "--file-prefix", self.prefix, "--log-level",
            "*:warning", "--", "--config", cfg]

    def spawn_config(self, text, prefix="sl_interop_", lcores=("-l", "0,1"), extra=()):
        """Write @text to a temporary INI file (close() removes it) and
        spawn eal_argv() on it, @extra appended."""
        fd, self.cfg_path = tempfile.mkstemp(prefix=prefix, suffix=".ini")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.spawn(self.eal_argv(self.cfg_path, lcores) + list(extra))

    def start(self):
        ip = "%s/%d" % (SLUICE_IP, PREFIX_LEN)
        mode = ["--mode", self.mode] if self.mode else []
        if not self.base_config:
            self.spawn_config("[sluice]\nservice = udp-echo\nduration = 0\nstats_interval = 1\n"
                              "[port0]\ndev = %s\nip = %s\n[service]\nudp_port = %d\n"
                              % (self.port_dev, ip, ECHO_PORT), extra=mode)
            return
        argv = self.eal_argv(self.base_config)
        for s in ["sluice.service=udp-echo", "sluice.duration=0", "sluice.stats_interval=1",
                  "port0.dev=" + self.port_dev, "port0.ip=" + ip, "port0.gateway=",
                  "service.udp_port=%d" % ECHO_PORT]:
            argv += ["--set", s]
        self.spawn(argv + mode)

    def spawn(self, argv):
        """Run sluice with argv, collecting its output in the background."""
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, errors="replace")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def stats(self, timeout=2.0):
        """The /sluice/stats object, or raise OSError/ValueError."""
        return telemetry(self.tel_path, "/sluice/stats", timeout)["/sluice/stats"]

    def wait_ready(self, limit):
        """Ready = the startup lines are out (ports started) and telemetry
        answers /sluice/stats with an object. Returns (ok, why)."""
        deadline = time.monotonic() + limit
        why = "nothing yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.reader.join(2)
                return False, "sluice exited with %d before it was ready" % self.proc.returncode
            out = self.output()
            m = re.search(r"^sluice: port0 = port \d+ .*?MAC "
                          r"([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})", out, re.M)
            if m:
                self.mac = m.group(1).lower()
            if self.mac and re.search(r"^sluice: service ", out, re.M):
                try:
                    st = self.stats(1.0)
                    if isinstance(st, dict) and any(k.startswith("lcore_") for k in st):
                        return True, ""
                    why = "telemetry /sluice/stats answered %r" % (st,)
                except (OSError, ValueError, KeyError) as e:
                    why = "telemetry: %s" % e
            else:
                why = "no 'sluice: port0 = ... MAC' and 'sluice: service' lines yet"
            time.sleep(0.2)
        return False, "not ready after %.0f s: %s" % (limit, why)

    def stop(self, sig=signal.SIGTERM, limit=STOP_LIMIT):
        """Signal, wait; returns (exit code or None, seconds)."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            try:  # not within the limit; give it a little longer to report why
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
            rc = None
        elapsed = time.monotonic() - t0
        self.reader.join(2)
        return rc, elapsed

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.cfg_path:
            try:
                os.unlink(self.cfg_path)
            except OSError:
                pass
        # --in-memory still creates the runtime directory (telemetry sockets).
        shutil.rmtree("/var/run/dpdk/%s" % self.prefix, ignore_errors=True)


def stop_proc(p, limit=10):
    """SIGTERM @p (a Popen we started) by PID, SIGKILL after @limit s;
    its exit code."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def telemetry(path, cmd, timeout=2.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.settimeout(timeout)
        s.connect(path)
        json.loads(s.recv(TEL_BUF))  # greeting: version, pid, max_output_len
        s.send(cmd.encode())
        return json.loads(s.recv(TEL_BUF))
    finally:
        s.close()


def peer(topo, args, timeout=60):
    """Run ns_peer.py in the namespace; its last stdout line is JSON."""
    p = sh([PYTHON, NS_PEER] + args, timeout=timeout, check=False, ns=topo.ns)
    lines = p.stdout.strip().splitlines()
    try:
        res = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise Fatal("ns_peer.py %s exited %d without a result: %s %s"
                    % (args[0], p.returncode, p.stdout.strip()[-2000:], p.stderr.strip()[-2000:]))
    if "error" in res and len(res) == 1:
        raise Fatal("ns_peer.py %s: %s" % (args[0], res["error"]))
    return res


# What ends a step early; record_failure() turns it into a check.
STEP_ERRORS = (Fatal, subprocess.TimeoutExpired, OSError, ValueError, KeyError)


def preflight(tools, why="network namespaces, veth, af_packet"):
    """SKIP (printed) when not root or a tool is missing, else None."""
    if os.geteuid() != 0:
        print("# skipped: needs root (%s)" % why, flush=True)
        return SKIP
    missing = [x for x in tools if shutil.which(x) is None]
    if missing:
        print("# skipped: missing %s" % ", ".join(missing), flush=True)
        return SKIP
    return None


def wait_in_use(sl, base_in_use, secs=3.0):
    """Mbufs in use per mempool once back at @base_in_use, or after @secs."""
    deadline = time.monotonic() + secs
    while True:
        now_in_use = {k: v["in_use"] for k, v in sl.stats()["mempools"].items()}
        if now_in_use == base_in_use or time.monotonic() > deadline:
            return now_in_use
        time.sleep(0.2)


def record_failure(t, e):
    if isinstance(e, Fatal):
        if e.reported:
            t.note("stopping here: %s" % e)
        else:
            t.check("setup/step completed", False, str(e))
    elif isinstance(e, subprocess.TimeoutExpired):
        t.check("step completed in time", False, "`%s` timed out after %s s"
                % (" ".join(map(str, e.cmd)), e.timeout))
    else:
        t.check("step completed", False, "%s: %s" % (type(e).__name__, e))


def in_use(sl):
    """Mbufs in use per mempool of @sl, now."""
    return {k: v["in_use"] for k, v in sl.stats()["mempools"].items()}


def start_ready(t, sl, name="sluice starts and telemetry answers /sluice/stats",
                fatal="sluice never became ready"):
    """Start @sl and check (@name) that it becomes ready; if not, stop the
    run with @fatal. Returns the baseline of in_use()."""
    sl.start()
    ok, why = sl.wait_ready(READY_TIMEOUT)
    if not t.check(name, ok, why):
        raise Fatal(fatal, reported=True)
    return in_use(sl)


def wait_stats(sl, cond, secs=5.0):
    """/sluice/stats once cond(stats) holds, or after @secs."""
    deadline = time.monotonic() + secs
    while True:
        st = sl.stats()
        if cond(st) or time.monotonic() > deadline:
            return st
        time.sleep(0.2)


def ns_json(topo, args, timeout, what):
    """Run @args in the namespace; the last line it prints is a JSON result.
    Fatal, naming @what, without one."""
    p = sh(args, timeout=timeout, check=False, ns=topo.ns)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise Fatal("%s exited %d without a result: %s %s"
                    % (what, p.returncode, p.stdout[-2000:], p.stderr[-2000:]))


def arg_parser(doc):
    """The command line every interop script starts from: --sluice and
    -v/--verbose; the script adds its own options."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--sluice", required=True, help="path of the sluice binary")
    ap.add_argument("-v", "--verbose", action="store_true", help="print sluice's output")
    return ap


def exit_on_term():
    """SIGTERM and SIGHUP (meson's timeout, kill) unwind through finally
    blocks as Ctrl-C does, so namespaces and sluice processes go."""
    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)


def note_output(t, sl, limit=4000):
    """The tail of @sl's output as a note."""
    t.note("sluice output:\n" + (sl.output() if sl.proc else "(not started)")[-limit:])


class Guard:
    """The end of an interop script's main():

        with lp.Guard(t, topo, a.verbose) as g:
            sl = g.sluice(MySluice(...))
            ...
        return t.summary()

    A step error (STEP_ERRORS) inside the block becomes a failed check and
    goes no further; anything else propagates. Whatever ends the block, the
    current sluice's output (the last one given to sluice()) is noted when
    verbose or a check failed, then @cleanup runs (callables, in order),
    every sluice given is closed (close() twice is harmless) and @topo
    last. A script that replaces its Sluice mid-run hands the new one to
    sluice() too."""

    def __init__(self, t, topo, verbose, cleanup=()):
        self.t = t
        self.topo = topo
        self.verbose = verbose
        self.cleanup = list(cleanup)
        self.sluices = []

    def sluice(self, sl):
        self.sluices.append(sl)
        return sl

    def __enter__(self):
        return self

    def __exit__(self, typ, e, tb):
        caught = typ is not None and issubclass(typ, STEP_ERRORS)
        if caught:
            record_failure(self.t, e)
        try:
            if self.sluices and (self.verbose or self.t.failed):
                note_output(self.t, self.sluices[-1])
            for f in self.cleanup:
                f()
            for sl in self.sluices:
                sl.close()
        finally:
            self.topo.close()
        return caught


def drops(st, name):
    return st["drops"][name]


def run_checks(t, topo, sl):
    topo.open()
    t.note("namespace %s, %s (root) <-> %s (%s/%d)"
           % (topo.ns, topo.host_if, topo.peer_if, PEER_IP, PREFIX_LEN))

    sl.start()
    t.note("started: " + " ".join(sl.argv))
    ok, why = sl.wait_ready(READY_TIMEOUT)
    if not t.check("sluice starts and telemetry answers /sluice/stats", ok, why):
        raise Fatal("sluice never became ready", reported=True)
    t.note("sluice MAC %s, telemetry %s" % (sl.mac, sl.tel_path))
    base = sl.stats()
    base_in_use = {k: v["in_use"] for k, v in base["mempools"].items()}
    t.note("baseline mbufs in use: %s" % base_in_use)

    # ICMP echo, which also makes Linux resolve sluice's MAC with ARP.
    p = sh(["ping", "-c", "5", "-i", "0.2", "-W", "2", SLUICE_IP], timeout=20, check=False,
           ns=topo.ns)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
    got = int(m.group(2)) if m else 0
    t.check("ping -c 5 %s: 5 replies" % SLUICE_IP, got == 5,
            "%d received" % got if m else "ping output: %s" % (p.stdout + p.stderr).strip())

    p = sh(["ip", "-j", "neigh", "show", "to", SLUICE_IP, "dev", topo.peer_if], check=False,
           ns=topo.ns)
    try:
        ent = json.loads(p.stdout or "[]")
    except ValueError:
        ent = []
    ll = ent[0].get("lladdr", "").lower() if ent else ""
    state = ",".join(ent[0].get("state", [])) if ent else ""
    t.check("peer's ARP entry for %s is sluice's MAC" % SLUICE_IP,
            ll == sl.mac and state not in ("FAILED", "INCOMPLETE"),
            "lladdr %s state %s, sluice prints %s" % (ll or "none", state or "-", sl.mac))

    # UDP echo: sizes up to a full 1500-byte IP packet.
    res = peer(topo, ["udp-sizes", "--dst", SLUICE_IP, "--port", str(ECHO_PORT),
                      "--sizes", ",".join(map(str, SIZES))])
    echo_sent = len(SIZES)
    for r in res["results"]:
        t.check("UDP echo %4d bytes: identical reply from %s:%d"
                % (r["size"], SLUICE_IP, ECHO_PORT), r["ok"], r.get("error", ""))

    res = peer(topo, ["udp-burst", "--dst", SLUICE_IP, "--port", str(ECHO_PORT),
                      "--count", str(BURST), "--chunk", str(BURST_CHUNK), "--size", "64"])
    echo_sent += res["sent"]
    ratio = res["received"] / res["sent"]
    t.check("UDP burst of %d (chunks of %d): >= %.0f %% echoed intact"
            % (BURST, BURST_CHUNK, BURST_MIN_RATIO * 100),
            ratio >= BURST_MIN_RATIO and res["corrupt"] == 0,
            "%d/%d back (%.2f %%), %d corrupt, %d duplicates, sent in %.3f s%s"
            % (res["received"], res["sent"], ratio * 100, res["corrupt"], res["duplicates"],
               res["send_seconds"],
               ", first missing %s" % res["missing_first"] if res["missing_first"] else ""))

    res = peer(topo, ["udp-closed", "--dst", SLUICE_IP, "--port", str(CLOSED_PORT)])
    t.check("UDP to closed port %d: ICMP port unreachable (ECONNREFUSED)" % CLOSED_PORT,
            res["outcome"] == "refused", "recv outcome: %s" % res["outcome"])

    # Bad checksums: silently dropped, one named counter each.
    before = sl.stats()
    res = peer(topo, ["bad-cksum", "--dst", SLUICE_IP, "--src", PEER_IP,
                      "--port", str(ECHO_PORT), "--iface", topo.peer_if, "--dmac", sl.mac])
    after = sl.stats()
    t.check("bad IPv4 header checksum: no reply", not res["replies_ip"],
            "sent chksum 0x%04x (correct 0x%04x)%s"
            % (res["ip_frame"]["ip_chksum_sent"], res["ip_frame"]["ip_chksum_correct"],
               "; got " + "; ".join(res["replies_ip"]) if res["replies_ip"] else ""))
    t.check("bad UDP checksum: no reply", not res["replies_udp"],
            "sent chksum 0x%04x (correct 0x%04x)%s"
            % (res["udp_frame"]["udp_chksum_sent"], res["udp_frame"]["udp_chksum_correct"],
               "; got " + "; ".join(res["replies_udp"]) if res["replies_udp"] else ""))
    if res["other_from_sluice"]:
        t.note("other frames from sluice meanwhile: %s" % res["other_from_sluice"])
    changed = {k: drops(after, k) - drops(before, k) for k in after["drops"]
               if drops(after, k) != drops(before, k)}
    for name in ("ip4_bad_cksum", "udp_bad_cksum"):
        t.check("drops.%s rose by exactly 1" % name,
                drops(after, name) - drops(before, name) == 1,
                "%d -> %d; all drop changes %s"
                % (drops(before, name), drops(after, name), changed))

    # Gratuitous ARP for the peer's address with another MAC.
    res = peer(topo, ["garp", "--dst", SLUICE_IP, "--src", PEER_IP, "--port", str(ECHO_PORT),
                      "--closed-port", str(CLOSED_PORT), "--iface", topo.peer_if,
                      "--dmac", sl.mac])
    echo_sent += 1
    fake = res["frames_to_fake_mac"]
    t.check("gratuitous/unsolicited ARP does not redirect sluice's frames",
            not fake and res["echo"]["ok"],
            "echo %s, closed port: %s, %d frame(s) to the spoofed MAC%s"
            % ("ok" if res["echo"]["ok"] else res["echo"].get("error"), res["closed_port"],
               len(fake), ": " + "; ".join(fake[:3]) if fake else ""))

    # The stack's own account of what it saw.
    st = sl.stats()
    stk = st["stack"]
    t.check("stack.icmp_echo_replies >= 5", stk["icmp_echo_replies"] >= 5,
            "%d" % stk["icmp_echo_replies"])
    t.check("stack.arp_replies_sent >= 1", stk["arp_replies_sent"] >= 1,
            "%d" % stk["arp_replies_sent"])
    t.check("stack.udp_rx >= %d echo datagrams sent" % echo_sent, stk["udp_rx"] >= echo_sent,
            "%d" % stk["udp_rx"])
    t.note("stack: %s" % json.dumps(stk, sort_keys=True))
    t.note("drops (non-zero): %s" % {k: v for k, v in st["drops"].items() if v})
    t.note("lcores: %s" % {k: v for k, v in st.items() if k.startswith("lcore_")})

    # Leak check while running: in-use back to the baseline once idle.
    now_in_use = wait_in_use(sl, base_in_use)
    t.check("mbufs in use back to baseline while running", now_in_use == base_in_use,
            "baseline %s, now %s" % (base_in_use, now_in_use))
    t.check("sluice still running", sl.proc.poll() is None,
            "exit code %s" % sl.proc.returncode)

    # Clean stop.
    rc, secs = sl.stop(signal.SIGTERM, STOP_LIMIT)
    t.check("SIGTERM: exits within %.0f s" % STOP_LIMIT, rc is not None and secs <= STOP_LIMIT,
            "%.2f s" % secs if rc is not None else "still running after %.1f s" % secs)
    t.check("SIGTERM: exit code 0", rc == 0, "exit code %s" % rc)
    out = sl.output()
    pools = re.findall(r"^sluice: mempool (\S+): (\d+) of (\d+) mbufs in use after shutdown",
                       out, re.M)
    t.check("shutdown: every mempool reports 0 mbufs in use",
            bool(pools) and all(n == "0" for _, n, _ in pools),
            "; ".join("%s %s of %s" % p for p in pools) or "no 'sluice: mempool' lines")
    t.check("shutdown: 'every mbuf returned'", "every mbuf returned" in out,
            "" if "every mbuf returned" in out else "not in the output")


def main():
    global PYTHON
    ap = arg_parser(__doc__)
    ap.add_argument("--config", help="base INI file (e.g. configs/af_packet.ini); the port, "
                    "address and service are set with --set; default: a generated file")
    ap.add_argument("--mode", choices=["rtc", "pipeline"],
                    help="sluice's --mode (default: the config's, rtc)")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="interpreter with scapy for the namespace side (default %(default)s)")
    a = ap.parse_args()
    PYTHON = a.python

    skip = preflight(("ip", "ping", "ethtool", "sysctl"))
    if skip is not None:
        return skip
    if not os.access(a.sluice, os.X_OK):
        print("not ok 1 - sluice binary %s is not executable" % a.sluice)
        print("0 passed, 1 failed")
        return 1
    if subprocess.run([PYTHON, "-c", "import scapy.all"], capture_output=True).returncode != 0:
        print("not ok 1 - %s cannot import scapy (install python3-scapy)" % PYTHON)
        print("0 passed, 1 failed")
        return 1

    exit_on_term()

    tag = str(os.getpid())
    t = Checks()
    topo = Topology(tag)
    sl = Sluice(os.path.abspath(a.sluice), topo, tag, a.config, a.mode)
    try:
        run_checks(t, topo, sl)
    except STEP_ERRORS as e:
        record_failure(t, e)
    except (KeyboardInterrupt, SystemExit) as e:
        t.check("not interrupted", False, "%s; cleaning up" % (type(e).__name__))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sl.close()
        topo.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if sl.proc is not None and (t.failed or a.verbose):
        t.note("---- sluice output (%s) ----" % " ".join(sl.argv))
        t.note(sl.output().rstrip())
        t.note("---- end of sluice output ----")
    return t.summary()


PYTHON = "/usr/bin/python3"

if __name__ == "__main__":
    sys.exit(main())
