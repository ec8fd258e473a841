#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The RSS self-check ([sluice] rss_check) through the binary, on a device.

No device here has a readable RSS key and RETA (PCI NICs do), so this runs
the paths a virtual device reaches: net_tap with rxq = 2 (sluice asks for
RSS, the driver cannot report its key) warns once and starts with
rss_check = refuse, says nothing with off, and with software in pipeline
mode steers by the software hash; net_ring (no RSS) is never checked; a
bad rss_check value is a config error (exit 2). Each sluice runs 1 s and
must exit 0 with every mbuf returned. The check's logic itself (good and
bad keys) is in tests/test_rss.c.

Needs root (net_tap). Prints "ok N - ..." lines and "N passed, M failed";
exits 0 only if every check passed, 77 (skipped) without root.
"""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import linux_peer as lp  # noqa: E402

WARN = "cannot read the device's RSS key"
SOFT = "rss_check = software: workers are chosen by sluice's symmetric software hash"
PASS = "RSS keeps both directions"


def run(exe, tag, dev, sets, mode="rtc"):
    tag = "%d_%s" % (os.getpid(), tag)
    argv = [exe, "-l", "0,1", "--no-pci", "--in-memory", "--file-prefix", "sl_rss_%s" % tag,
            "--log-level", "*:error", "--", "--mode", mode, "--set", "port0.dev=" + dev,
            "--set", "port0.ip=10.198.0.1/24", "--set", "sluice.duration=1",
            "--set", "sluice.stats_interval=0"]
    for s in sets:
        argv += ["--set", s]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    shutil.rmtree("/var/run/dpdk/sl_rss_%s" % tag, ignore_errors=True)
    return p.returncode, p.stdout + p.stderr


def check(t, name, cond, rc, out):
    """One check; sluice's output only when it failed."""
    t.check(name, cond, "" if cond else "rc=%d %s" % (rc, out[-800:]))


def main():
    ap = lp.arg_parser(__doc__)
    a = ap.parse_args()
    skip = lp.preflight(("ip",), why="net_tap")
    if skip is not None:
        return skip
    exe = os.path.abspath(a.sluice)
    t = lp.Checks()
    tap = "net_tap0,iface=slrss%d" % os.getpid()
    two = ["port0.rxq=2", "port0.txq=2"]

    rc, out = run(exe, "1", tap, two)
    check(t, "net_tap rxq=2, rss_check = refuse: one warning, starts, exit 0",
          rc == 0 and out.count(WARN) == 1 and "starting unchecked" in out and
          "every mbuf returned" in out, rc, out)
    rc, out = run(exe, "2", tap, two + ["sluice.rss_check=off"])
    check(t, "rss_check = off: no check, no warning, exit 0",
          rc == 0 and WARN not in out and PASS not in out and "every mbuf returned" in out,
          rc, out)
    rc, out = run(exe, "3", tap, two + ["sluice.rss_check=software"], mode="pipeline")
    check(t, "rss_check = software, pipeline: software steering, exit 0",
          rc == 0 and SOFT in out and "every mbuf returned" in out, rc, out)
    rc, out = run(exe, "4", tap, ["sluice.rss_check=refuse"])
    check(t, "one RX queue: nothing to check",
          rc == 0 and WARN not in out and PASS not in out, rc, out)
    rc, out = run(exe, "5", "net_ring0", ["port0.rxq=2", "port0.txq=2"])
    check(t, "net_ring rxq=2 (no RSS): not checked", rc == 0 and WARN not in out, rc, out)
    rc, out = run(exe, "6", tap, ["sluice.rss_check=maybe"])
    check(t, "rss_check = maybe: exit 2 naming the key",
          rc == 2 and "rss_check" in out and "refuse" in out, rc, out)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
