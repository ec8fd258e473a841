#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A memif peer that vanishes while sluice polls.

sluice (udp-echo, memif server) runs on one CPU together with its own DPDK
interrupt thread (taskset to that CPU, -l that CPU: EAL then puts its
control threads there too), so the thread that handles the memif control
channel preempts the polling loop wherever it happens to be. sluice-gen
(memif client) sends 300 kpps; once its traffic flows it is killed with
SIGKILL, then the next one connects; ROUNDS times. After the last kill
sluice gets SIGTERM at once, while its side of the disconnect may still be
running.

DPDK 22.11's net_memif unmaps the rings in the interrupt thread with no
regard for a loop inside a burst: without sluice's port gate
(dataplane/gate.c) a run of this test dies with SIGSEGV in
librte_net_memif more often than not (about one kill in twenty crashes).

Checks: sluice is alive after every kill; every generator got answers
(traffic flowed before the kill); sluice exits 0 with every mbuf returned
after the final SIGTERM, and prints its summary.

EAL with --in-memory like memif_tcp.py; the memif socket is a file in a
temporary directory.
"""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

ROUNDS = 24
results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(f"{'ok' if cond else 'not ok'} {len(results)} - {name}" +
          ("" if cond else f" ({detail})"), flush=True)
    return cond


def text(path):
    with open(path, errors="replace") as f:
        return f.read()


def wait_for(path, needle, proc, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if needle in text(path):
            return True
        time.sleep(0.02)
    return needle in text(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True)
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--config", required=True, help="configs/memif.ini")
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    a = ap.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    cpu = cpus[0]
    gcpu = cpus[1] if len(cpus) > 1 else cpus[0]
    tag = str(os.getpid())
    rng = random.Random(int(tag))
    with tempfile.TemporaryDirectory(prefix="sl_memif_vanish_") as tmp:
        sock = os.path.join(tmp, "memif.sock")
        slog = os.path.join(tmp, "sluice.txt")
        with open(slog, "w") as out:
            srv = subprocess.Popen(
                ["taskset", "-c", str(cpu), a.sluice, "-l", str(cpu), "--no-pci",
                 "--in-memory", "--file-prefix", f"slmv_s{tag}", "--log-level", "*:warning",
                 "--", "--config", a.config,
                 "--set", f"port0.dev=net_memif0,role=server,socket={sock}",
                 "--set", "sluice.duration=120", "--set", "sluice.stats_interval=0"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        alive = 0
        flowed = 0
        try:
            if not check("sluice starts as the memif server",
                         wait_for(slog, "sluice: service", srv, 20), text(slog)[-800:]):
                return 1
            for r in range(a.rounds):
                glog = os.path.join(tmp, f"gen{r}.txt")
                with open(glog, "w") as out:
                    gen = subprocess.Popen(
                        [a.gen, "-l", str(gcpu), "--no-pci", "--in-memory",
                         "--file-prefix", f"slmv_g{tag}", "--log-level", "*:warning", "--",
                         "--port-dev", f"net_memif0,role=client,socket={sock}",
                         "--src-ip", "10.9.2.2/24", "--dst-ip", "10.9.2.1",
                         "--rate", "300k", "--duration", "20", "--stats-interval", "0"],
                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
                # traffic flows once the probe got its answer
                if wait_for(glog, "answers (probe round trip", gen, 20):
                    flowed += 1
                time.sleep(rng.uniform(0.05, 0.3))
                gen.kill()
                gen.wait()
                if r == a.rounds - 1:
                    break  # SIGTERM at once, below
                time.sleep(0.05)
                if srv.poll() is not None:
                    break
                alive += 1
            if srv.poll() is None:
                srv.send_signal(signal.SIGTERM)
            try:
                rc = srv.wait(timeout=20)
            except subprocess.TimeoutExpired:
                srv.kill()
                rc = srv.wait()
        finally:
            if srv.poll() is None:
                srv.kill()
                srv.wait()
        out = text(slog)
        check(f"sluice survives {a.rounds - 1} peers killed while it polls",
              alive == a.rounds - 1, f"died after {alive} kills, rc {srv.returncode}: "
              f"{out[-1200:]}")
        check("traffic flowed with every generator before its kill", flowed == a.rounds,
              f"{flowed} of {a.rounds}")
        check("sluice stops on SIGTERM right after a kill: exit 0, every mbuf returned",
              rc == 0 and "every mbuf returned" in out, f"rc {rc}: {out[-1200:]}")
        m = re.search(r"udp_delivered=(\d+)", out)
        check("sluice echoed datagrams (its summary is there)",
              m is not None and int(m.group(1)) > 0, out[-600:])
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
