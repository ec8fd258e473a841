#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice-gen's TCP modes end to end, against sluice and against real Linux servers.

1. memif: sluice's http service (memif server, lcore 0) against
   sluice-gen --proto http (memif client, lcore 1): max rate, 8 connections
   x pipeline 4 for 2 s, then paced, 3000 requests at 2000/s: every request
   answered with a 200 and the same body, no error (how long the paced run
   took and the pacing slots it skipped are noted, not checked); a path
   sluice does not serve: every response counted as http_status_not_200,
   exit 1. Then sluice-gen --proto memcached --prefill against sluice's kv
   service: zero correctness errors, every get a hit. sluice exits 0 with
   every mbuf returned each time.
2. af_packet + veth to a namespace (linux_peer.Topology) running Debian's
   memcached -t 1: 90 % get / 10 % set over 2000 keys, 16 connections x
   pipeline 4 for 2 s: zero correctness errors, hits and stored > 0, and
   memcached's own stats (cmd_get, cmd_set) equal the generator's counts.
   A second run against the same memcached finds the first run's values
   and counts them (get_value_of_another_run), exit 1; a third with
   --prefill sets every key first and then every get hits.
3. The same topology with Debian's nginx-light (one worker, return 200 of
   sluice's default body): 8 connections x pipeline 2 for 2 s, every
   response a 200 with that body, no error.

Needs root (namespaces, hugepages), memcached and nginx; exits 77 without.
Every process is started here, bounded in time and stopped by its PID; the
namespace and veth go on every exit.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linux_peer as lp  # noqa: E402

BODY = "hello from sluice\n"  # sluice's http_body default
GEN_IP = lp.SLUICE_IP
PEER = lp.PEER_IP
MC_STATS = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], 11211), timeout=5)
s.sendall(b"stats\r\n")
buf = b""
while not buf.endswith(b"END\r\n"):
    d = s.recv(65536)
    if not d:
        break
    buf += d
st = {}
for ln in buf.decode().splitlines():
    p = ln.split()
    if len(p) == 3 and p[0] == "STAT":
        st[p[1]] = p[2]
print(st.get("cmd_get", "-1"), st.get("cmd_set", "-1"), st.get("curr_connections", "-1"))
"""
NGINX_CONF = """worker_processes 1;
daemon off;
master_process off;
user root;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    server {{
        listen {ip}:80;
        location = / {{ default_type text/plain; return 200 "{body}"; }}
    }}
}}
"""

t = lp.Checks()


def check(name, cond, detail=""):
    """A check whose detail is printed only when it fails."""
    return t.check(name, cond, "" if cond else str(detail))


def gen(exe, tag, app, timeout=60):
    argv = [exe, "-l", "1", "--no-pci", "--in-memory", "--file-prefix", f"sl_gtcp_{tag}",
            "--log-level", "*:warning", "--", "--stats-interval", "0"] + app
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def lat_ok(j):
    lat = j["latency_ns"]
    seq = [lat["min"], lat["p50"], lat["p90"], lat["p99"], lat["p999"], lat["max"]]
    return lat["samples"] == j["requests"]["responses"] and all(
        a <= b for a, b in zip(seq, seq[1:]))


def memif_server(a, tmp, tag, sets):
    """sluice as the memif server on lcore 0, ready; (process, log, socket)."""
    sock = os.path.join(tmp, f"{tag}.sock")
    log = open(os.path.join(tmp, f"{tag}-sluice.txt"), "w+")
    srv = subprocess.Popen(
        [a.sluice, "-l", "0", "--no-pci", "--in-memory", "--file-prefix",
         f"sl_gtcps{tag}{os.getpid()}", "--log-level", "*:warning", "--", "--config", a.config,
         "--set", f"port0.dev=net_memif0,role=server,socket={sock}",
         "--set", "port0.ip=10.9.2.1/24", "--set", "sluice.duration=60",
         "--set", "sluice.stats_interval=0"] + [x for kv in sets for x in ("--set", kv)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and srv.poll() is None:
        log.seek(0)
        if "sluice: service" in log.read():
            break
        time.sleep(0.1)
    time.sleep(0.5)
    return srv, log, sock


def memif_stop(srv, log, name):
    rc = lp.stop_proc(srv)
    log.seek(0)
    out = log.read()
    log.close()
    check(f"{name}: sluice exits 0 with every mbuf returned",
          rc == 0 and "every mbuf returned" in out, f"rc={rc} {out[-800:]}")


def memif(a, tmp):
    pid = os.getpid()
    srv, log, sock = memif_server(a, tmp, "http", ["sluice.service=http",
                                                   "service.tcp_port=80"])
    try:
        base = ["--port-dev", f"net_memif0,role=client,socket={sock}", "--src-ip",
                "10.9.2.2/24", "--dst-ip", "10.9.2.1", "--proto", "http"]
        jp = os.path.join(tmp, "memif-max.json")
        rc, out = gen(a.gen, f"{pid}a", base + ["--conns", "8", "--pipeline", "4",
                                               "--duration", "2", "--json", jp])
        j = report(jp)
        check("memif http max rate: exit 0, JSON written", rc == 0 and j is not None,
                f"rc={rc} {out[-1500:]}")
        if j is not None:
            c = j["counters"]
            check("memif http max rate: > 1000 responses, all 200, every request answered",
                    c["responses"] > 1000 and c["http_200"] == c["responses"] and
                    c["requests_sent"] == c["responses"], c)
            check("memif http max rate: no error", j["errors"]["total"] == 0, j["errors"])
            check("memif http max rate: latency samples = responses, percentiles monotonic",
                    lat_ok(j), j["latency_ns"])
            t.note(f"memif http: {j['requests']['responses_per_s']:.0f} responses/s, "
                   f"p50 {j['latency_ns']['p50'] / 1e3:.1f} us (shared machine)")
        jp = os.path.join(tmp, "memif-paced.json")
        rc, out = gen(a.gen, f"{pid}b", base + ["--conns", "4", "--rate", "2000", "--count",
                                               "3000", "--json", jp])
        j = report(jp)
        check("memif http paced: 3000 requests at 2000/s, 3000 200s, no error",
                rc == 0 and j is not None and j["counters"]["responses"] == 3000 and
                j["counters"]["http_200"] == 3000 and j["errors"]["total"] == 0,
                f"rc={rc} {out[-1500:]}")
        if j is not None:
            # no timing assertion: on a loaded host the pacer skips slots
            # (counted) and the run takes longer; it says so
            t.note(f"memif http paced: {j['elapsed_s']:.2f} s, pacing slots skipped "
                   f"{j['counters']['pacing_slots_skipped']}")
        jp = os.path.join(tmp, "memif-404.json")
        rc, out = gen(a.gen, f"{pid}c", base + ["--http-path", "/nope", "--count", "200",
                                               "--json", jp])
        j = report(jp)
        check("memif http, a path sluice does not serve: exit 1, every response counted "
                "as not 200",
                rc == 1 and j is not None and j["counters"]["http_status_not_200"] == 200 and
                j["counters"]["responses"] == 200, f"rc={rc} {out[-1200:]}")
    finally:
        memif_stop(srv, log, "memif http")


def memif_kv(a, tmp):
    """sluice-gen --proto memcached against sluice's kv over memif."""
    pid = os.getpid()
    srv, log, sock = memif_server(a, tmp, "kv", ["sluice.service=kv"])
    try:
        check("memif kv: sluice runs the kv service", srv.poll() is None, "exited")
        jp = os.path.join(tmp, "memif-kv.json")
        rc, out = gen(a.gen, f"{pid}k", ["--port-dev", f"net_memif0,role=client,socket={sock}",
                                        "--src-ip", "10.9.2.2/24", "--dst-ip", "10.9.2.1",
                                        "--proto", "memcached", "--keys", "2000", "--conns",
                                        "16", "--pipeline", "4", "--duration", "2",
                                        "--prefill", "--json", jp])
        j = report(jp)
        check("memif kv: exit 0, zero correctness errors, every get hits after --prefill",
              rc == 0 and j is not None and j["errors"]["total"] == 0 and
              j["counters"]["prefill_stored"] == 2000 and j["counters"]["get_hits"] > 0 and
              j["counters"]["get_misses"] == 0 and
              j["counters"]["stored"] == j["counters"]["sets"], f"rc={rc} {out[-1500:]}")
        if j is not None:
            t.note(f"memif kv: {j['requests']['responses_per_s']:.0f} ops/s, "
                   f"p50 {j['latency_ns']['p50'] / 1e3:.1f} us (shared machine)")
    finally:
        memif_stop(srv, log, "memif kv")


def memcached(a, topo, tmp):
    pid = os.getpid()
    mc = subprocess.Popen(["ip", "netns", "exec", topo.ns, "memcached", "-u", "root", "-l",
                           PEER, "-p", "11211", "-U", "0", "-t", "1", "-m", "64"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.STDOUT)
    try:
        time.sleep(0.5)
        base = ["--port-dev", f"net_af_packet0,iface={topo.host_if}", "--src-ip",
                f"{GEN_IP}/24", "--dst-ip", PEER, "--proto", "memcached", "--keys", "2000",
                "--conns", "16", "--pipeline", "4"]
        jp = os.path.join(tmp, "mc1.json")
        rc, out = gen(a.gen, f"{pid}m", base + ["--duration", "2", "--json", jp])
        j = report(jp)
        check("memcached: exit 0, JSON written", rc == 0 and j is not None,
                f"rc={rc} {out[-1500:]}")
        if j is not None:
            c = j["counters"]
            check("memcached: zero correctness errors", j["errors"]["total"] == 0,
                    j["errors"])
            check("memcached: gets hit and sets stored, every request answered",
                    c["get_hits"] > 0 and c["stored"] > 0 and
                    c["gets"] + c["sets"] == c["responses"] == c["requests_sent"] and
                    c["get_hits"] + c["get_misses"] == c["gets"] and c["stored"] == c["sets"],
                    c)
            check("memcached: latency samples = responses, percentiles monotonic",
                    lat_ok(j), j["latency_ns"])
            st = lp.sh(["/usr/bin/python3", "-c", MC_STATS, PEER], ns=topo.ns).stdout.split()
            check("memcached: its own cmd_get and cmd_set equal the generator's gets and "
                    "sets",
                    len(st) == 3 and int(st[0]) == c["gets"] and int(st[1]) == c["sets"],
                    f"memcached {st}, generator gets {c['gets']} sets {c['sets']}")
            t.note(f"memcached over af_packet: {j['requests']['responses_per_s']:.0f} ops/s, "
                   f"p50 {j['latency_ns']['p50'] / 1e3:.1f} us (shared machine)")
        jp = os.path.join(tmp, "mc2.json")
        rc, out = gen(a.gen, f"{pid}n", base + ["--duration", "1", "--json", jp])
        j = report(jp)
        check("memcached, second run: the first run's values are caught (exit 1, "
                "get_value_of_another_run > 0)",
                rc == 1 and j is not None and j["counters"]["get_value_of_another_run"] > 0,
                f"rc={rc} {out[-1200:]}")
        jp = os.path.join(tmp, "mc3.json")
        rc, out = gen(a.gen, f"{pid}o", base + ["--duration", "1", "--prefill", "--json", jp])
        j = report(jp)
        check("memcached, third run with --prefill: every key set first (over the earlier "
              "runs' values), then every get hits, no error",
              rc == 0 and j is not None and j["counters"]["prefill_stored"] == 2000 and
              j["counters"]["get_misses"] == 0 and j["counters"]["get_hits"] > 0 and
              j["errors"]["total"] == 0, f"rc={rc} {out[-1200:]}")
    finally:
        lp.stop_proc(mc)


def nginx(a, topo, tmp):
    pid = os.getpid()
    d = os.path.join(tmp, "nginx")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(d=d, ip=PEER, body=BODY.replace("\n", "\\n")))
    ng = subprocess.Popen(["ip", "netns", "exec", topo.ns, "nginx", "-c", conf, "-p", d],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.STDOUT)
    try:
        time.sleep(0.5)
        check("nginx starts", ng.poll() is None, "exited")
        jp = os.path.join(tmp, "nginx.json")
        rc, out = gen(a.gen, f"{pid}h", ["--port-dev", f"net_af_packet0,iface={topo.host_if}",
                                         "--src-ip", f"{GEN_IP}/24", "--dst-ip", PEER,
                                         "--proto", "http", "--conns", "8", "--pipeline", "2",
                                         "--duration", "2", "--json", jp])
        j = report(jp)
        check("nginx: exit 0, JSON written", rc == 0 and j is not None,
                f"rc={rc} {out[-1500:]}")
        if j is not None:
            c = j["counters"]
            check("nginx: every response a 200, every request answered, no error",
                    c["responses"] > 0 and c["http_200"] == c["responses"] ==
                    c["requests_sent"] and j["errors"]["total"] == 0, j["errors"])
            check("nginx: latency samples = responses, percentiles monotonic", lat_ok(j),
                    j["latency_ns"])
            t.note(f"nginx over af_packet: {j['requests']['responses_per_s']:.0f} responses/s"
                   f" (shared machine)")
    finally:
        lp.stop_proc(ng)


def main():
    ap = lp.arg_parser(__doc__)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--config", required=True, help="configs/memif.ini")
    a = ap.parse_args()
    skip = lp.preflight(["ip", "ethtool", "memcached", "nginx"])
    if skip is not None:
        return skip
    lp.exit_on_term()
    with tempfile.TemporaryDirectory(prefix="sl_gtcp_") as tmp:
        for step in (memif, memif_kv):
            try:
                step(a, tmp)
            except lp.STEP_ERRORS as e:
                lp.record_failure(t, e)
        topo = lp.Topology(str(os.getpid()))
        try:
            topo.open()
            for step in (memcached, nginx):
                try:
                    step(a, topo, tmp)
                except lp.STEP_ERRORS as e:
                    lp.record_failure(t, e)
        except lp.STEP_ERRORS as e:
            lp.record_failure(t, e)
        finally:
            topo.close()
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
