# SPDX-License-Identifier: BSD-3-Clause
"""Request/response benchmarks shared by bench/http and bench/kv.

A sluice service and a Linux server, driven by the same sluice-gen TCP
mode, one after the other, round by round:

- sluice: the service on lcore <server cpu> as the net_memif server;
  sluice-gen on <gen cpu> as the memif client.
- Linux: the server in a network namespace, pinned with taskset to the
  same <server cpu>, the veth's receive processing (RPS) steered to it as
  well, so the kernel's TCP work for the server lands on the server's core;
  sluice-gen on <gen cpu> over net_af_packet on the root end of the veth.

Every run gets a fresh server (memcached would otherwise hold the values
of the previous run, which sluice-gen counts as errors). Per round and
contender: a max-rate run (sluice-gen --rate max) gives requests/s and the
server core's busy cycles per request; a paced run at 50 % of that
round's max gives p50/p99. The server's cycles are read over the steady
part of each run (from 0.5 s after sluice-gen starts sending to 0.5 s
before it stops) and divided by the responses of that window at the run's
mean rate. Busy cycles: sluice's own busy_cycles
(/sluice/stats, iterations that received something) times the share of
the window sluice was on the CPU (a busy iteration the scheduler cut
counts the other process's time too; unscaled in "bound", the upper
bound); Linux: the server
process's utime + stime (/proc/<pid>/stat, every thread) plus the irq and
softirq time of the server CPU (/proc/stat: the receive processing RPS
put there) beyond that CPU's irq + softirq rate in the 0.5 s before the
server started (other interrupt work on that CPU), and, as a lower
bound, the process's time alone ("bound"). The CPU's whole busy share
just before each run is in the CSV (cpu_busy_before): this machine is
shared. Every run must end with zero sluice-gen errors, or its numbers are
marked.
"""
import csv
import importlib.machinery
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


# telemetry() and sluice_busy() of bench/pps; cpu_busy() of bench/tcp
pps = _load("bench_pps", os.path.join(ROOT, "bench", "pps"))
tcpb = _load("bench_tcp", os.path.join(ROOT, "bench", "tcp"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import linux_peer as lp  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
WARM = 0.5  # s of each run left out of the server's counters, at both ends
MEMIF_SRV, MEMIF_GEN = "10.9.3.1", "10.9.3.2"


def cpu_irq_jiffies(cpu):
    """irq + softirq time of @cpu: the kernel's packet work steered there."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu%d " % cpu):
                v = [int(x) for x in line.split()[1:8]]
                return v[5] + v[6]
    raise RuntimeError(f"no cpu{cpu} in /proc/stat")


def proc_jiffies(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # utime, stime (fields 14, 15)


class SluiceServer:
    """sluice <service> as the memif server on one lcore."""
    kind = "sluice"

    def __init__(self, a, name, service, sets, tmp):
        self.a, self.name, self.service, self.sets, self.tmp = a, name, service, sets, tmp
        self.p = None

    def start(self, tag):
        a = self.a
        self.prefix = f"slrb{os.getpid()}{tag}"
        self.sock = os.path.join(self.tmp, f"{tag}.sock")
        self.logpath = os.path.join(self.tmp, f"{tag}-sluice.txt")
        self.log = open(self.logpath, "w+")
        argv = ["taskset", "-c", str(a.server_cpu), os.path.join(a.build, "apps", "sluice"),
                "-l", str(a.server_cpu), "--no-pci", "--in-memory", "--file-prefix",
                self.prefix, "--log-level", "*:warning", "--",
                "--config", os.path.join(ROOT, "configs", "memif.ini"),
                "--set", f"port0.dev=net_memif0,role=server,socket={self.sock}",
                "--set", f"port0.ip={MEMIF_SRV}/24", "--set", "sluice.duration=0",
                "--set", "sluice.stats_interval=0", "--set", f"sluice.service={self.service}"]
        for s in self.sets:
            argv += ["--set", s]
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        try:
            while pps.telemetry(self.prefix, "/sluice/stats", proc=self.p, timeout=30) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name}: no /sluice/stats")
                time.sleep(0.2)
        except RuntimeError as e:
            self.log.seek(0)
            raise RuntimeError(f"{e}; sluice said: {self.log.read()[-600:]}")

    def gen_port(self):
        return ["--port-dev", f"net_memif0,role=client,socket={self.sock}", "--src-ip",
                f"{MEMIF_GEN}/24", "--dst-ip", MEMIF_SRV]

    def busy(self):
        return pps.sluice_busy(self.prefix), proc_jiffies(self.p.pid)

    def per_request(self, d_busy, d_proc, hz, win):
        """(on-CPU cycles, bound) of the window: busy_cycles are TSC time of
        the iterations that received something, so when the scheduler gives
        the CPU to another process in the middle of one, they count its
        time too; scaled by the share of the window sluice was on the CPU
        (its utime + stime; it polls, so that is its whole scheduled time).
        The bound is busy_cycles unscaled."""
        on_cpu = min(1.0, d_proc / CLK_TCK / win) if win > 0 else 1.0
        return d_busy * on_cpu, d_busy

    def stop(self):
        rc = lp.stop_proc(self.p)
        self.log.seek(0)
        out = self.log.read()
        self.log.close()
        if rc != 0 or "every mbuf returned" not in out:
            print(f"warning: {self.name}: exit {rc}, mbufs not all returned? see "
                  f"{self.logpath}", file=sys.stderr)
        return rc


class LinuxServer:
    """A Linux server in the namespace, pinned to the server CPU."""
    kind = "linux"

    def __init__(self, a, name, topo, argv_fn, port):
        self.a, self.name, self.topo, self.argv_fn, self.port = a, name, topo, argv_fn, port
        self.p = None

    def start(self, tag):
        argv = ["ip", "netns", "exec", self.topo.ns, "taskset", "-c", str(self.a.server_cpu)]
        argv += self.argv_fn(tag)
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        probe = ("import socket,sys\ntry:\n socket.create_connection((sys.argv[1], "
                 "int(sys.argv[2])), timeout=1).close()\nexcept OSError:\n sys.exit(1)\n")
        while True:
            r = lp.sh(["/usr/bin/python3", "-c", probe, lp.PEER_IP, str(self.port)],
                      ns=self.topo.ns, check=False)
            if r.returncode == 0:
                break
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start (exit {self.p.poll()})")
            time.sleep(0.1)

    def gen_port(self):
        return ["--port-dev", f"net_af_packet0,iface={self.topo.host_if}", "--src-ip",
                f"{lp.SLUICE_IP}/24", "--dst-ip", lp.PEER_IP]

    def busy(self):
        proc = proc_jiffies(self.p.pid)
        return proc + cpu_irq_jiffies(self.a.server_cpu), proc

    irq_base = 0.0  # the CPU's irq + softirq jiffies/s before the server started

    def measure_base(self, secs=0.5):
        j0 = cpu_irq_jiffies(self.a.server_cpu)
        time.sleep(secs)
        self.irq_base = (cpu_irq_jiffies(self.a.server_cpu) - j0) / secs

    def per_request(self, d_busy, d_proc, hz, win):
        """(process + the CPU's irq/softirq beyond its rate before the run,
        the process alone), in cycles."""
        d_irq = max(0.0, d_busy - d_proc - self.irq_base * win)
        return (d_proc + d_irq) * hz / CLK_TCK, d_proc * hz / CLK_TCK

    def stop(self):
        return lp.stop_proc(self.p)


def open_topology(a):
    topo = lp.Topology(str(os.getpid()))
    topo.open()
    # the kernel's receive work for the server on the server's CPU (RPS),
    # as a NIC's interrupt would be steered to it
    mask = "%x" % (1 << a.server_cpu)
    lp.sh(["sh", "-c", f"echo {mask} > /sys/class/net/{topo.peer_if}/queues/rx-0/rps_cpus"],
          ns=topo.ns)
    return topo


def run_gen(a, srv, args, seconds, rate, tmp, tag):
    jpath = os.path.join(tmp, f"{tag}.json")
    argv = ["taskset", "-c", str(a.gen_cpu), os.path.join(a.build, "apps", "sluice-gen"), "-l",
            str(a.gen_cpu), "--no-pci", "--in-memory", "--file-prefix",
            f"slrbg{os.getpid()}{tag}", "--log-level", "*:warning", "--"] + srv.gen_port() + \
        args + ["--duration", str(seconds), "--rate", str(rate) if rate else "max",
                "--stats-interval", "0", "--json", jpath]
    # The server's counters over the steady part of the load only: from
    # WARM s after sluice-gen starts sending to WARM s before it stops
    # (its start-up and the connections' set-up and close are left out).
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    out = []
    try:
        for line in p.stdout:
            out.append(line)
            if ("--prefill" not in args and " connections x pipeline " in line) or \
                    ", load starts" in line:
                break
        time.sleep(WARM)
        b0, t0 = srv.busy(), time.monotonic()
        time.sleep(max(0.2, seconds - 2 * WARM))
        b1, t1 = srv.busy(), time.monotonic()
        rest, _ = p.communicate(timeout=seconds + 60)
        out.append(rest)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise RuntimeError("sluice-gen did not finish in time")
    p.stdout.close()
    p.stdout = "".join(out)
    p.stderr = ""
    try:
        with open(jpath) as f:
            j = json.load(f)
    except (OSError, ValueError):
        raise RuntimeError(f"sluice-gen exited {p.returncode} without a report:\n"
                           f"{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    n = j["requests"]["responses"]
    hz = j["tsc_hz"]
    win = t1 - t0
    in_win = j["requests"]["responses_per_s"] * win  # steady state: the run's mean rate
    busy, bound = srv.per_request(b1[0] - b0[0], b1[1] - b0[1], hz, win)
    return {
        "rc": p.returncode,
        "cmd": " ".join(argv),
        "rps": j["requests"]["responses_per_s"],
        "responses": n,
        "errors": j["errors"]["total"],
        "first_error": j["errors"]["first"],
        "cyc": busy / in_win if in_win else float("nan"),
        "bound_cyc": bound / in_win if in_win else float("nan"),
        "busy_share": busy / (win * hz),
        "gen_cyc": j["requests"]["busy_cycles_per_response"] or float("nan"),
        "p50": j["latency_ns"]["p50"] / 1e3,
        "p99": j["latency_ns"]["p99"] / 1e3,
        "retransmits": j["stack"]["retransmits"],
        "counters": j["counters"],
    }


def med(rows, key):
    v = [r[key] for r in rows if r[key] == r[key]]
    return (statistics.median(v), min(v), max(v)) if v else (float("nan"),) * 3


def bench(a, what, contenders, gen_args, log):
    """Rounds of max + paced runs; returns the CSV rows."""
    rows = []
    dead = set()
    with tempfile.TemporaryDirectory(prefix="slrb_") as tmp:
        for r in range(a.repeats):
            order = contenders if r % 2 == 0 else list(reversed(contenders))
            for c in order:
                for phase in ("max", "half"):
                    if c.name in dead:
                        continue
                    tag = f"{c.name}-{r}-{phase}"
                    prev = [x for x in rows if x["contender"] == c.name and x["round"] == r and
                            x["phase"] == "max"]
                    rate = int(prev[0]["rps"] / 2) if phase == "half" and prev else 0
                    if phase == "half" and rate < 1:
                        continue
                    noise = tcpb.cpu_busy(a.server_cpu, 0.3)
                    if c.kind == "linux":
                        c.measure_base()
                    try:
                        c.start(tag)
                    except (RuntimeError, OSError) as e:
                        print(f"{c.name} did not start, left out: {e}", flush=True)
                        c.stop()
                        dead.add(c.name)
                        continue
                    try:
                        res = None
                        for attempt in (1, 2):
                            try:
                                res = run_gen(a, c, gen_args, a.seconds, rate, tmp,
                                              f"{tag}{attempt}")
                                break
                            except RuntimeError as e:
                                # e.g. af_packet's PACKET_FANOUT group taken by
                                # another process at that moment
                                print(f"{c.name} {phase}: run {attempt} failed: "
                                      f"{str(e)[-400:]}", flush=True)
                    finally:
                        c.stop()
                    if res is None:
                        continue
                    res.update({"what": what, "contender": c.name, "round": r, "phase": phase,
                                "rate": rate, "cpu_busy_before": noise,
                                "irq_base_jiffies_s": getattr(c, "irq_base", 0.0)})
                    log.write(json.dumps(res) + "\n")
                    log.flush()
                    rows.append(res)
                    flag = "" if res["errors"] == 0 and res["rc"] == 0 else \
                        f"  ERRORS {res['errors']} rc {res['rc']}: {res['first_error']}"
                    if rate and res["rps"] < 0.9 * rate:
                        flag += f"  (paced run reached {res['rps'] / rate:.0%} of its rate)"
                    print(f"round {r + 1}/{a.repeats} {c.name:10s} {phase:4s} "
                          f"{'rate ' + str(rate) if rate else 'max':>12s}: "
                          f"{res['rps']:10.0f} resp/s  server {res['cyc']:7.0f} cyc/req "
                          f"(busy {100 * res['busy_share']:5.1f} %) "
                          + ("wall " if c.kind == "sluice" else "proc-only ")
                          + f"{res['bound_cyc']:7.0f}"
                          + f"  gen {res['gen_cyc']:6.0f} cyc/req  p50 {res['p50']:8.1f} us"
                          f"  p99 {res['p99']:9.1f} us  cpu{a.server_cpu} busy before "
                          f"{100 * noise:4.0f} %{flag}", flush=True)
    return rows


def table(a, what, rows, names, unit):
    print(f"\n{what}: {a.repeats} rounds of {a.seconds:g} s per run; median (min-max); "
          f"server on CPU {a.server_cpu}, sluice-gen on CPU {a.gen_cpu}; shared machine")
    hdr = (f"{'contender':10s} {'max ' + unit + '/s':>26s} {'busy %':>7s} "
           f"{'cyc/' + unit:>18s} {'bound':>9s} {'gen cyc':>8s} "
           f"{'p50 us @50%':>12s} {'p99 us @50%':>12s} {'errors':>6s}")
    print(hdr)
    summary = {}
    for n in names:
        mx = [r for r in rows if r["contender"] == n and r["phase"] == "max"]
        hf = [r for r in rows if r["contender"] == n and r["phase"] == "half"]
        if not mx:
            print(f"{n:10s} did not run")
            continue
        rps, cyc, busy = med(mx, "rps"), med(mx, "cyc"), med(mx, "busy_share")
        proc, gcyc = med(mx, "bound_cyc"), med(mx, "gen_cyc")
        p50, p99 = med(hf, "p50"), med(hf, "p99")
        errs = sum(r["errors"] for r in mx + hf)
        summary[n] = {"rps": rps[0], "cyc": cyc[0], "proc": proc[0]}
        print(f"{n:10s} {rps[0]:10.0f} ({rps[1]:6.0f}-{rps[2]:6.0f}) {100 * busy[0]:7.1f} "
              f"{cyc[0]:7.0f} ({cyc[1]:4.0f}-{cyc[2]:4.0f}) "
              f"{proc[0]:9.0f} {gcyc[0]:8.0f} {p50[0]:12.1f} {p99[0]:12.1f} {errs:6d}")
    return summary


def ratios(s, other, unit):
    """The goal's figures: sluice against @other, from the same run."""
    a, b = s["sluice"], s[other]
    print(f"\nsluice/{other}: {a['rps'] / b['rps']:.2f}x {unit}/s; {b['cyc'] / a['cyc']:.2f}x "
          f"{unit} per core (on-CPU cycles per {unit[:-1]}: sluice busy x its CPU share, "
          f"{other} process + the CPU's irq/softirq); bounds: {b['proc'] / a['proc']:.2f}x "
          f"(sluice busy wall-clock against {other}'s process time alone)")


def runs_log(a, what):
    """results/<what>-<time>.jsonl: every run's result, as it comes."""
    os.makedirs(a.out, exist_ok=True)
    return os.path.join(a.out, f"{what}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")


def write_csv(a, what, rows):
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, f"{what}-{time.strftime('%Y%m%d-%H%M%S')}.csv")
    cols = ["what", "contender", "round", "phase", "rate", "rps", "responses", "errors", "cyc",
            "bound_cyc", "busy_share", "gen_cyc", "p50", "p99", "retransmits",
            "cpu_busy_before", "irq_base_jiffies_s", "rc", "first_error", "cmd"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def add_args(ap):
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--gen-cpu", type=int, default=1)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "results"))


def prepare(a):
    if os.geteuid() != 0:
        sys.exit("needs root (namespace, veth, hugepages)")
    a.build = os.path.join(ROOT, a.build) if not os.path.isabs(a.build) else a.build
    pps.ensure_hugepages(512)
    lp.exit_on_term()
