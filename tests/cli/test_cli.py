#!/usr/bin/python3
"""The sluice binary as a user meets it: --help, --help-config, and one clear
message with exit code 2 for each kind of bad input (config key, value,
missing file, unknown service, a port that does not exist, a pipeline role
configuration that cannot run, missing hugepages).

  test_cli.py --sluice build/apps/sluice --config build/configs/default.ini
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

EAL = ["-l", "0", "--no-pci", "--in-memory", "--log-level", "*:error"]
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'ok' if cond else 'FAIL'} {len(results)} - {name}" + ("" if cond else f": {detail}"))


def run(sluice, eal, app, timeout=60):
    p = subprocess.run([sluice] + eal + ["--file-prefix", f"slcli{os.getpid()}", "--"] + app,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def expect_error(sluice, name, app, *needles, eal=EAL):
    rc, out = run(sluice, eal, app)
    lines = [ln for ln in out.splitlines() if ln.startswith("sluice:")]
    ok = rc == 2 and all(n in out for n in needles) and len(lines) >= 1
    check(f"{name}: exit 2 naming {', '.join(needles)}", ok, f"rc={rc} out={out[-600:]!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    s, cfg = args.sluice, args.config

    rc, out = run(s, [], ["--help"])
    check("--help exits 0 and lists udp-echo", rc == 0 and "udp-echo" in out, out[-300:])
    rc, out = run(s, [], ["--help-config"])
    # Every key --help-config lists is in README's table, and the other way round.
    helped = set()
    section = None
    for line in out.splitlines():
        m = re.match(r"^\[([\w-]+)\]", line)
        if m:
            section = "portN" if m.group(1) == "portN" else m.group(1)
        m = re.match(r"^  (\w+)\s", line)
        if m and section:
            helped.add(f"{section}.{m.group(1)}")
    readme = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "README.md")).read()
    documented = set()
    for line in readme.splitlines():
        if line.startswith("| `"):
            cell = line.split("|")[1]
            documented.update(re.findall(r"`([\w-]+\.\w+)`", cell))
    check("--help-config lists keys", rc == 0 and len(helped) >= 20, f"{sorted(helped)}")
    check("README documents every key", not (helped - documented),
          f"missing from README: {sorted(helped - documented)}")
    check("README documents no unknown key", not (documented - helped),
          f"not a key: {sorted(documented - helped)}")

    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.ini")
        with open(bad, "w") as f:
            f.write("[sluice]\nservice = udp-echo\nfrobnicate = 3\n[port0]\ndev = net_null0\n"
                    "ip = 10.0.0.1/24\n")
        expect_error(s, "unknown key", ["--config", bad], "bad.ini", "frobnicate")
        with open(bad, "w") as f:
            f.write("[port0]\ndev = net_null0\nip = 10.0.0.1/24\nrxq = 99\n")
        expect_error(s, "out-of-range value", ["--config", bad], "bad.ini", "rxq", "1..64")
        expect_error(s, "missing file", ["--config", os.path.join(d, "nope.ini")], "nope.ini")
    expect_error(s, "bad --set", ["--config", cfg, "--set", "port0.mtu=abc"], "--set", "mtu")
    expect_error(s, "unknown service", ["--config", cfg, "--set", "sluice.service=nosuch"],
                 "nosuch", "udp-echo")
    # A service's own keys: its section, or [service] for the selected one.
    check("--help-config lists the services' keys after sluice's",
          {"http.http_path", "tcp-fetch.connect_ip", "udp-spin.work_cycles"} <= helped,
          f"{sorted(helped)}")
    rc, out = run(s, [], ["--config", cfg, "--set", "sluice.service=http",
                          "--set", "http.http_path=/a", "--set", "service.http_body=b\\n",
                          "--dump-config"])
    check("--dump-config prints the selected service's section, --set reaches it",
          rc == 0 and "\n[http]\nhttp_path = /a\nhttp_body = b\\n\n" in out
          and "[tcp-fetch]" not in out, out[-600:])
    expect_error(s, "unknown service key", ["--config", cfg, "--set", "http.nope=1"],
                 "[http] nope: unknown key", "http_path, http_body")
    expect_error(s, "bad service value", ["--config", cfg, "--set", "tcp-fetch.connect_port=0"],
                 "[tcp-fetch] connect_port = 0", "1..65535")
    expect_error(s, "service's cross-key check", ["--config", cfg,
                                                  "--set", "sluice.service=tcp-fetch"],
                 "[tcp-fetch]: connect_ip: not set")
    # Pipeline roles: EAL gets lcore 0 only, which the default makes the
    # I/O lcore, so no worker is left; a worker that EAL does not run; a
    # worker that is also an RX lcore (caught before EAL).
    expect_error(s, "pipeline without a worker lcore", ["--config", cfg, "--mode", "pipeline"],
                 "[pipeline]", "worker", "-l 0,1")
    expect_error(s, "pipeline worker lcore not enabled",
                 ["--config", cfg, "--mode", "pipeline", "--set", "pipeline.worker_lcores=5"],
                 "worker_lcores", "lcore 5 is not enabled")
    expect_error(s, "pipeline worker that is also an RX lcore",
                 ["--config", cfg, "--mode", "pipeline", "--set", "pipeline.rx_lcores=0-1",
                  "--set", "pipeline.worker_lcores=1"],
                 "worker_lcores", "lcore 1 is also in rx_lcores")
    expect_error(s, "pipeline lcore_map on a non-RX lcore",
                 ["--config", cfg, "--mode", "pipeline", "--set", "sluice.lcore_map=(0,0,1)",
                  "--set", "pipeline.worker_lcores=1"],
                 "lcore_map", "not one", eal=["-l", "0,1", "--no-pci", "--in-memory",
                                               "--log-level", "*:error"])
    expect_error(s, "unknown vdev", ["--config", cfg, "--set", "port0.dev=net_nosuch0"],
                 "port0", "net_nosuch0")
    expect_error(s, "absent PCI NIC", ["--config", cfg, "--set", "port0.dev=0000:7f:1f.7"],
                 "port0", "0000:7f:1f.7", "vfio-pci")
    expect_error(s, "lcore_map names a disabled lcore",
                 ["--config", cfg, "--set", "sluice.lcore_map=(0,0,7)"], "lcore 7")

    # Missing hugepages: only as root, and the reservation is put back.
    if os.geteuid() == 0:
        path = "/proc/sys/vm/nr_hugepages"
        with open(path) as f:
            saved = f.read().strip()
        try:
            with open(path, "w") as f:
                f.write("0")
            with open(path) as f:
                emptied = f.read().strip() == "0"
            if emptied:
                expect_error(s, "no hugepages", ["--config", cfg], "hugepages", "nr_hugepages",
                             eal=["-l", "0", "--no-pci", "--log-level", "*:error"])
        finally:
            with open(path, "w") as f:
                f.write(saved)

    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
