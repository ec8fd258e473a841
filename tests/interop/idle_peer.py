#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop test: [sluice] idle = adaptive (idle loops sleep) still answers.

Topology of linux_peer.py (a veth pair, the Linux end in a namespace,
sluice on net_af_packet, udp-echo on port 7), sluice on lcores 0,1 in
--mode rtc or pipeline. First with idle = poll: it answers a ping, and no
loop ever sleeps (idle_sleeps = 0 in /sluice/stats). Then with idle =
adaptive: after a quiet second every loop lcore has slept (idle_sleeps >
0); pings and UDP echoes (1..1472 bytes), each sent after a pause long
enough for the loops to fall asleep again, are all answered byte for byte
and the sleep counter kept rising between them; a TCP connection to a
closed port is answered with RST (timers and TX drained while sleeping);
mbufs are back to baseline; SIGTERM stops sluice within 2 s, exit 0.

The CPU share of every loop lcore's thread (utime + stime from
/proc/<pid>/task/<tid>/stat over --cpu-seconds) is printed for both
settings ("# cpu ..." lines): a measurement, not a check (no timing
assertion; the counter is what is checked).

Needs root. Prints "ok N - ..." lines and "N passed, M failed"; exits 0
only if every check passed, 77 (skipped) without root.
"""

import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import linux_peer as lp  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")

ECHO = r"""
import socket, sys, json, time
dst, port = sys.argv[1], int(sys.argv[2])
sizes = [int(x) for x in sys.argv[3].split(",")]
pause = float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
ok = 0
for i, n in enumerate(sizes):
    time.sleep(pause)
    msg = bytes((i + j) & 0xff for j in range(n))
    s.sendto(msg, (dst, port))
    try:
        data, src = s.recvfrom(4096)
        if data == msg and src == (dst, port):
            ok += 1
    except OSError:
        pass
t = socket.socket()
t.settimeout(3.0)
try:
    t.connect((dst, 9))
    rst = "connected"
except ConnectionRefusedError:
    rst = "refused"
except OSError as e:
    rst = repr(e)
print(json.dumps({"sent": len(sizes), "echoed": ok, "tcp_closed_port": rst}))
"""


def loop_threads(pid):
    """{lcore: tid} of the threads running loops: lcore 0 is the main
    thread (the process), others are EAL's rte-worker-N (lcore-worker-N before 22.11)."""
    out = {0: pid}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm.startswith(("lcore-worker-", "rte-worker-")):
            out[int(comm.rsplit("-", 1)[1])] = int(tid)
    return out


def cpu_ticks(pid, tid):
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def cpu_share(pid, lcores, secs):
    """{lcore: percent of one CPU} over @secs."""
    th = loop_threads(pid)
    t0 = {lc: cpu_ticks(pid, th[lc]) for lc in lcores}
    w0 = time.monotonic()
    time.sleep(secs)
    t1 = {lc: cpu_ticks(pid, th[lc]) for lc in lcores}
    wall = time.monotonic() - w0
    return {lc: 100.0 * (t1[lc] - t0[lc]) / CLK_TCK / wall for lc in lcores}


def sleeps(st):
    return {int(k.split("_")[1]): v["idle_sleeps"] for k, v in st.items()
            if k.startswith("lcore_")}


def start(t, topo, sl, mode, idle):
    sl.spawn_config("[sluice]\nservice = udp-echo\nstats_interval = 0\nidle = %s\n"
                    "[port0]\ndev = %s\nip = %s/%d\n[service]\nudp_port = %d\n"
                    % (idle, sl.port_dev, lp.SLUICE_IP, lp.PREFIX_LEN, lp.ECHO_PORT),
                    extra=["--mode", mode])
    ok, why = sl.wait_ready(lp.READY_TIMEOUT)
    if not t.check("sluice starts (%s, idle = %s)" % (mode, idle), ok, why):
        raise lp.Fatal("sluice never became ready", reported=True)


def ping(t, topo, what):
    p = lp.sh(["ping", "-c", "3", "-i", "0.5", "-W", "2", lp.SLUICE_IP], check=False,
              ns=topo.ns, timeout=30)
    t.check("ping 3/3 answered (%s)" % what, " 3 received" in p.stdout, p.stdout[-300:])


def run_checks(t, g, topo, exe, tag, mode, cpu_secs):
    topo.open()
    # idle = poll: today's behaviour, the counter never moves.
    sl = g.sluice(lp.Sluice(exe, topo, tag))
    try:
        start(t, topo, sl, mode, "poll")
        ping(t, topo, "poll")
        lcores = sorted(sleeps(sl.stats()))
        poll_cpu = cpu_share(sl.proc.pid, lcores, cpu_secs)
        sl_poll = sleeps(sl.stats())
        t.check("idle = poll: no loop sleeps", all(v == 0 for v in sl_poll.values()),
                str(sl_poll))
        rc, secs = sl.stop()
        t.check("idle = poll: SIGTERM, exit 0", rc == 0, "rc=%s" % rc)
    finally:
        if t.failed:
            lp.note_output(t, sl)
        sl.close()

    sl = g.sluice(lp.Sluice(exe, topo, tag + "a"))
    try:
        start(t, topo, sl, mode, "adaptive")
        base = lp.in_use(sl)
        time.sleep(1.0)
        ada_cpu = cpu_share(sl.proc.pid, lcores, cpu_secs)
        s0 = sleeps(sl.stats())
        t.check("idle = adaptive: every loop lcore slept while idle",
                set(s0) == set(lcores) and all(v > 0 for v in s0.values()), str(s0))
        ping(t, topo, "adaptive, after sleeping")
        s1 = sleeps(sl.stats())
        res = lp.ns_json(topo, [lp.PYTHON, "-c", ECHO, lp.SLUICE_IP, str(lp.ECHO_PORT),
                                ",".join(str(x) for x in lp.SIZES * 2), "0.2"], 60,
                         "UDP echo client")
        t.check("UDP echoes after sleeps all answered byte for byte",
                res.get("echoed") == res.get("sent"), str(res))
        t.check("TCP to a closed port answered with RST while sleeping",
                res.get("tcp_closed_port") == "refused", str(res))
        s2 = sleeps(sl.stats())
        t.check("the loops kept sleeping between the requests",
                all(s2[lc] > s1[lc] > 0 for lc in lcores), "%s -> %s" % (s1, s2))
        st = sl.stats()
        t.check("udp_delivered = datagrams sent",
                st["stack"]["udp_delivered"] == res.get("sent"),
                "%s vs %s" % (st["stack"]["udp_delivered"], res.get("sent")))
        now = lp.wait_in_use(sl, base)
        t.check("mbufs in use back to baseline", now == base, "%s vs %s" % (now, base))
        rc, secs = sl.stop()
        t.check("SIGTERM stops the sleeping loops within 2 s, exit 0",
                rc == 0 and secs <= lp.STOP_LIMIT, "rc=%s after %.2f s" % (rc, secs))
        t.check("every mbuf returned", "every mbuf returned" in sl.output())
        t.check("summary reports the sleeps", "  idle: lcore" in sl.output())
    finally:
        sl.close()
    for lc in lcores:
        t.note("cpu %s lcore %d over %.0f s: idle = poll %.1f %%, idle = adaptive %.1f %%"
               % (mode, lc, cpu_secs, poll_cpu[lc], ada_cpu[lc]))


def main():
    ap = lp.arg_parser(__doc__)
    ap.add_argument("--mode", choices=["rtc", "pipeline"], default="rtc")
    ap.add_argument("--cpu-seconds", type=float, default=3.0,
                    help="how long the CPU share is measured (default %(default)s)")
    a = ap.parse_args()
    skip = lp.preflight(("ip", "ping", "ethtool", "sysctl"))
    if skip is not None:
        return skip
    lp.exit_on_term()
    tag = str(os.getpid())
    t = lp.Checks()
    topo = lp.Topology(tag)
    with lp.Guard(t, topo, a.verbose) as g:
        run_checks(t, g, topo, os.path.abspath(a.sluice), tag, a.mode, a.cpu_seconds)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
