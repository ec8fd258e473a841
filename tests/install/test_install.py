#!/usr/bin/python3
"""libsluice as a user outside the tree meets it: `meson install --destdir`,
then examples/case-service built from a copy with its Makefile against the
installed sluice.pc only (no include path into the source or build tree),
then run on a net_pcap port (--no-huge, a unique --file-prefix) with its
own [case] key: every datagram answered with its letters swapped (read back
from the port's tx_pcap), the service's own count, exit 0, every mbuf back.
Three ways: its own binary (main() = sluice_main(), libsluice.so), the
same linked statically (libsluice.a and DPDK's static libraries, the
drivers kept by --whole-archive, from sluice-static.pc), and case.so loaded
by the installed sluice binary with [sluice] service_so.

  test_install.py --build build --source .
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from scapy.all import IP, UDP, Ether, Raw, rdpcap, wrpcap  # Debian's python3-scapy

N = 64
SLUICE_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
SLUICE_IP, PEER_IP = "10.0.0.1", "10.0.0.2"
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'ok' if cond else 'FAIL'} {len(results)} - {name}" + ("" if cond else f": {detail}"),
          flush=True)
    return cond


def payload(i):
    return b"Hello, Sluice! datagram %d of the case service" % i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    build, source = os.path.abspath(a.build), os.path.abspath(a.source)

    with tempfile.TemporaryDirectory(prefix="sl_install_") as tmp:
        dest = os.path.join(tmp, "dest")
        p = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild",
                            "--quiet"], capture_output=True, text=True, timeout=120)
        if not check("meson install --destdir", p.returncode == 0, p.stdout + p.stderr):
            return 1
        pcs = glob.glob(os.path.join(dest, "**", "pkgconfig", "sluice.pc"), recursive=True)
        headers = glob.glob(os.path.join(dest, "**", "include", "sluice", "*.h"), recursive=True)
        libs = glob.glob(os.path.join(dest, "**", "libsluice.so*"), recursive=True)
        check("sluice.pc, libsluice.so and include/sluice/ installed",
              len(pcs) == 1 and libs and
              sorted(map(os.path.basename, headers)) == ["lc_offload.h", "sluice_service.h", "stk.h", "stk_tcp.h"],
              f"pc {pcs} libs {libs} headers {headers}")
        if not pcs:
            return 1
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]))
        env.pop("PKG_CONFIG_LIBDIR", None)
        env.pop("LD_LIBRARY_PATH", None)  # meson test points it at the build tree
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sluice"], env=env,
                               capture_output=True, text=True).stdout.split()
        incs = [os.path.realpath(f[2:]) for f in flags if f.startswith("-I")]
        check("pkg-config --cflags --libs sluice: the installed files, DPDK's, nothing of the tree",
              "-lsluice" in flags and "-lrte_eal" in flags and incs
              and incs[0].startswith(os.path.realpath(dest))
              and not any(source in f or build in f for f in flags), flags)

        src = os.path.join(tmp, "case-service")
        shutil.copytree(os.path.join(source, "examples", "case-service"), src)
        p = subprocess.run(["make", "-C", src, "PKG_CONFIG_PATH=" + env["PKG_CONFIG_PATH"]],
                           env=env, capture_output=True, text=True, timeout=180)
        exe = os.path.join(src, "sluice-case")
        if not check("the example builds with its Makefile from sluice.pc alone",
                     p.returncode == 0 and os.path.exists(exe), p.stdout + p.stderr):
            return 1
        ldd = subprocess.run(["ldd", exe], env=env, capture_output=True, text=True).stdout
        check("it runs on the installed libsluice.so (rpath from pkg-config's libdir)",
              any(l.split("=>")[-1].strip().startswith(dest) for l in ldd.splitlines()
                  if "libsluice" in l), ldd)

        rx, tx = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
        wrpcap(rx, [Ether(src=PEER_MAC, dst=SLUICE_MAC) / IP(src=PEER_IP, dst=SLUICE_IP) /
                    UDP(sport=4000 + i, dport=7) / Raw(payload(i)) for i in range(N)])
        ini = os.path.join(tmp, "case.ini")
        with open(ini, "w") as f:
            f.write("[sluice]\nservice = case\nduration = 2\nstats_interval = 0\n"
                    f"[port0]\ndev = net_pcap0,rx_pcap={rx},tx_pcap={tx}\n"
                    f"ip = {SLUICE_IP}/24\nmac = {SLUICE_MAC}\n"
                    "[case]\ncase = swap\n")
        # the service's key is known to the binary's --help-config and --dump-config
        p = subprocess.run([exe, "--help-config"], env=env, capture_output=True, text=True,
                           timeout=30)
        check("--help-config lists [case] case after sluice's keys",
              p.returncode == 0 and "\n[case]\n  case " in p.stdout, p.stdout[-400:])
        p = subprocess.run([exe, "--", "--config", ini, "--set", "case.case=lower", "--dump-config"],
                           env=env, capture_output=True, text=True, timeout=30)
        check("--dump-config shows [case] with the --set value",
              p.returncode == 0 and "\n[case]\ncase = lower\n" in p.stdout, p.stdout[-400:])
        p = subprocess.run([exe, "--", "--config", ini, "--set", "case.case=title"],
                           env=env, capture_output=True, text=True, timeout=30)
        check("a bad [case] value: exit 2 naming it",
              p.returncode == 2 and "[case] case = title: must be one of: upper, lower, swap"
              in p.stderr, p.stderr[-400:])

        installed_sluice = glob.glob(os.path.join(dest, "**", "bin", "sluice"), recursive=True)
        runs = [("sluice-case", [exe], [])]
        p = subprocess.run(["make", "-C", src, "static", "PKG_CONFIG_PATH=" + env["PKG_CONFIG_PATH"]],
                           env=env, capture_output=True, text=True, timeout=300)
        static_exe = os.path.join(src, "sluice-case-static")
        if check("make static: libsluice.a and a static DPDK (sluice-static.pc)",
                 p.returncode == 0 and os.path.exists(static_exe), (p.stdout + p.stderr)[-1500:]):
            ldd = subprocess.run(["ldd", static_exe], env=env, capture_output=True,
                                 text=True).stdout
            check("the static binary needs neither libsluice.so nor a DPDK .so",
                  "libsluice" not in ldd and "librte_" not in ldd, ldd)
            runs.append(("sluice-case-static", [static_exe], []))
        if check("case.so built, the sluice binary installed",
                 os.path.exists(os.path.join(src, "case.so")) and len(installed_sluice) == 1,
                 f"{os.listdir(src)} {installed_sluice}"):
            runs.append(("sluice + service_so", installed_sluice,
                         ["--set", "sluice.service_so=" + os.path.join(src, "case.so")]))
            p = subprocess.run(installed_sluice + ["--", "--set", "sluice.service_so=" +
                                                   os.path.join(src, "case.so"), "--help-config"],
                               env=env, capture_output=True, text=True, timeout=30)
            check("--help-config with a service_so lists its service's keys",
                  p.returncode == 0 and "\n[case]\n  case " in p.stdout, p.stdout[-400:])
            p = subprocess.run(installed_sluice + ["--", "--config", ini, "--set",
                                                   "sluice.service_so=" + tmp + "/nope.so"],
                               env=env, capture_output=True, text=True, timeout=30)
            check("service_so that cannot be loaded: exit 2 naming it",
                  p.returncode == 2 and "[sluice] service_so = " + tmp + "/nope.so: cannot load it"
                  in p.stderr, p.stderr[-400:])
        for name, cmd, extra in runs:
            if os.path.exists(tx):
                os.unlink(tx)
            eal = ["-l", "0", "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
                   f"slinst{os.getpid()}", "--log-level", "*:error"]
            p = subprocess.run(cmd + eal + ["--", "--config", ini] + extra, env=env,
                               capture_output=True, text=True, timeout=60)
            out = p.stdout + p.stderr
            check(f"{name}: runs for its duration and exits 0", p.returncode == 0, out[-1500:])
            check(f"{name}: every mbuf returned", "every mbuf returned" in out, out[-800:])
            check(f"{name}: the service counted {N} datagrams answered",
                  f"case: lcore 0 answered {N} datagrams" in out, out[-800:])
            sent = rdpcap(tx) if os.path.exists(tx) else []
            got = {}
            for pkt in sent:
                if UDP in pkt and pkt[IP].src == SLUICE_IP and pkt[UDP].sport == 7:
                    got[pkt[UDP].dport - 4000] = (bytes(pkt[UDP].payload), pkt[Ether].dst)
            want = {i: (payload(i).swapcase(), PEER_MAC) for i in range(N)}
            check(f"{name}: all {N} answers on the wire, letters swapped, to the sender",
                  got == want, f"{len(sent)} frames; first answers {sorted(got.items())[:2]}")

    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
