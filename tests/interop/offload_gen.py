#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice-gen --mix against udp-work with an offload lane, over net_memif.

Server: sluice (-l 0,1: lcore 1 the loop, lcore 0 the offload worker) runs
udp-work as the memif server, heavy requests ('H', 20 000 cycles) on lane 1
of 2; client: sluice-gen (-l 1) sends a bounded count with --mix L:9,H:1.
Checks: sluice-gen's JSON has both classes with exactly the shares of what
was sent (L 90 %, H 10 %), every request answered, a latency per class;
sluice's summary counts the heavy requests as offloaded jobs on lane 1 and
every light one as inline (none on lane 1), and udp-work prints a latency
line per class; both exit 0 with every mbuf returned. Then the same with
lane_size = 1 and heavy requests of 2 ms at a rate that overflows it: what
is lost is exactly sluice's offload_lane_full drops, never a light request.

No root needed. Prints "ok N - ..." / "FAIL N - ..." and exits 0 only if
every check passed.

  offload_gen.py --sluice build/apps/sluice --gen build/apps/sluice-gen --config configs/memif.ini
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

results = []
EAL = ["--no-pci", "--in-memory", "--log-level", "*:warning"]


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'ok' if cond else 'FAIL'} {len(results)} - {name}" + ("" if cond else f": {detail}"),
          flush=True)


def run_pair(a, tmp, tag, server_sets, gen_args):
    sock = os.path.join(tmp, f"{tag}.sock")
    slog_path = os.path.join(tmp, f"{tag}-server.txt")
    pid = os.getpid()
    with open(slog_path, "w") as slog:
        srv = subprocess.Popen(
            [a.sluice, "-l", "0,1", "--file-prefix", f"slog_s{tag}{pid}"] + EAL +
            ["--", "--config", a.config, "--set", "sluice.stats_interval=0",
             "--set", "sluice.duration=60", "--set", "sluice.service=udp-work",
             "--set", "sluice.lcore_map=(0,0,1)",
             "--set", f"port0.dev=net_memif0,role=server,socket={sock}",
             "--set", "offload.lcores=0", "--set", "offload.lanes=2",
             "--set", "udp-work.udp_heavy_lane=1", "--set", "udp-work.udp_light_cycles=100"]
            + server_sets, stdin=subprocess.DEVNULL, stdout=slog, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and srv.poll() is None:
            if "sluice: stopping after" in open(slog_path).read():
                break
            time.sleep(0.1)
        g = subprocess.run(
            [a.gen, "-l", "1", "--file-prefix", f"slog_c{tag}{pid}"] + EAL +
            ["--", "--port-dev", f"net_memif0,role=client,socket={sock}",
             "--src-ip", "10.9.2.2/24", "--dst-ip", "10.9.2.1", "--stats-interval", "0",
             # a bound, not a timing assertion: late replies on a loaded
             # machine still count
             "--drain-ms", "3000", "--json", "-"] + gen_args,
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            rc = srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
            rc = srv.wait(timeout=5)
    out = open(slog_path).read()
    check(f"{tag}: sluice exits 0, every mbuf returned", rc == 0 and "every mbuf returned" in out,
          f"rc {rc}: {out[-1500:]!r}")
    try:
        rep = json.loads(g.stdout[g.stdout.find("{"):])
    except ValueError:
        rep = None
    check(f"{tag}: sluice-gen reports (exit {g.returncode})", rep is not None,
          (g.stdout + g.stderr)[-1500:])
    return rep or {}, out


def lane_line(out, lane):
    m = re.search(r"^  offload lane %d: submitted (\d+) inline (\d+) done (\d+) expired (\d+) "
                  r"rejected (\d+) cancelled (\d+)" % lane, out, re.M)
    return [int(x) for x in m.groups()] if m else None


def drop(out, name):
    m = re.search(r"^  drops:.* %s=(\d+)" % name, out, re.M)
    return int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--config", required=True, help="configs/memif.ini")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sl_offload_gen_") as tmp:
        n = 5000
        rep, out = run_pair(a, tmp, "mix", ["--set", "udp-work.udp_heavy_cycles=20000"],
                            ["--count", str(n), "--rate", "20000", "--mix", "L:9,H:1"])
        cls = {c["marker"]: c for c in rep.get("classes", [])}
        check("mix: two classes, sent in their shares (4500 L, 500 H), all answered",
              cls.get("L", {}).get("sent") == 4500 and cls.get("H", {}).get("sent") == 500 and
              cls["L"]["received"] == 4500 and cls["H"]["received"] == 500,
              repr(rep.get("classes")))
        check("mix: a latency per class",
              all(cls.get(k, {}).get("latency_ns", {}).get("samples") == v
                  for k, v in (("L", 4500), ("H", 500))), repr(rep.get("classes")))
        l1 = lane_line(out, 1)
        l0 = lane_line(out, 0)
        check("mix: sluice ran the 500 heavy ones as jobs on lane 1, none on lane 0",
              l1 is not None and l1[0] + l1[1] == 500 and l1[2] == 500 and l0 is not None and
              l0[0] + l0[1] == 0, f"lane1 {l1} lane0 {l0}")
        check("mix: udp-work's latency lines for both classes",
              # sluice-gen's probe request (before the run) is a light one too
              re.search(r"udp-work: lcore 1: light 450[01] requests", out) is not None and
              re.search(r"udp-work: lcore 1: heavy 500 requests", out) is not None,
              out[-1500:])

        n = 3000
        rep, out = run_pair(a, tmp, "full", ["--set", "udp-work.udp_heavy_cycles=5000000",
                                             "--set", "offload.lane_size=1"],
                            ["--count", str(n), "--rate", "20000", "--mix", "L:2,H:1"])
        cls = {c["marker"]: c for c in rep.get("classes", [])}
        full = drop(out, "offload_lane_full")
        l1 = lane_line(out, 1)
        check("full lane: light ones all answered, heavy ones lost = offload_lane_full drops",
              cls.get("L", {}).get("lost") == 0 and cls.get("H", {}).get("lost", -1) == full and
              full > 0 and l1 is not None and l1[4] == full,
              f"classes {rep.get('classes')} drops {full} lane1 {l1}")
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
