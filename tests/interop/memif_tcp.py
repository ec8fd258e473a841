#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice against sluice: two processes joined by net_memif, one lcore each.

Server: sluice (-l 0) as the memif server; client: sluice (-l 1) running
tcp-fetch as the memif client; --in-memory and a distinct --file-prefix
each, abstract memif socket. Checks:

- tcp-echo: tcp-fetch sends 16 MiB of a pattern (tcp-fetch.fetch_bytes),
  half-closes, and gets every byte back in order ("echo ok"), the
  connection ending with the server's FIN;
- http with a configured http.http_path and http.http_body:
  tcp-fetch sends "GET <http_path> HTTP/1.0" and the SHA-256 of what comes
  back is that of the exact expected response (status line, headers,
  Connection: close, the body); then 200 such fetches one connection after
  the other (tcp-fetch.fetch_count), every answer the same;
- both processes stop on SIGTERM with exit 0 and every mbuf returned;
- memif transmits chains, so in the echo, with tcp.tx_copy_max = 1 (zero
  copy above one byte; the default copies up to 1460 B), both send their
  segments by reference to the send queue (stack counter tcp_tx_by_ref).

No root needed. Prints "ok N - ..." / "FAIL N - ..." and exits 0 only if
every check passed.

  memif_tcp.py --sluice build/apps/sluice --config configs/memif.ini
"""
import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

results = []
logs = {}  # the last pair's output, by side
EAL = ["--no-pci", "--in-memory", "--log-level", "*:warning"]
# as the INI value (--set goes through the same table) and as it arrives
HTTP_PATH = "/memif/status"
HTTP_BODY_SET = "sluice to sluice\\tover memif\\n"
HTTP_BODY = "sluice to sluice\tover memif\n"


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'ok' if cond else 'FAIL'} {len(results)} - {name}" + ("" if cond else f": {detail}"),
          flush=True)


def start(argv, log):
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)


def text(log):
    log.seek(0)
    return log.read()


def stop(p, log, name):
    """SIGTERM our process by PID; it must exit 0 and return every mbuf."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait(timeout=5)
    out = text(log)
    check(f"{name}: exit 0, every mbuf returned", rc == 0 and "every mbuf returned" in out,
          f"rc {rc}: {out[-800:]!r}")


def pair(a, tmp, tag, server_sets, client_sets, pattern, limit=30):
    """Server and client over memif; the client's tcp-fetch line matching
    @pattern (None if it never came)."""
    sock = os.path.join(tmp, f"{tag}.sock")
    common = ["--", "--config", a.config, "--set", "sluice.stats_interval=0",
              "--set", f"sluice.duration={limit}"]
    slog = open(os.path.join(tmp, f"{tag}-server.txt"), "w+")
    clog = open(os.path.join(tmp, f"{tag}-client.txt"), "w+")
    pid = os.getpid()
    srv = start([a.sluice, "-l", "0", "--file-prefix", f"slmt_s{tag}{pid}"] + EAL + common +
                ["--set", f"port0.dev=net_memif0,role=server,socket={sock}"] + server_sets, slog)
    cli = None
    m = None
    try:
        deadline = time.monotonic() + 10
        while "sluice: stopping after" not in text(slog) and time.monotonic() < deadline \
                and srv.poll() is None:
            time.sleep(0.1)
        check(f"{tag}: memif server starts", "sluice: stopping after" in text(slog),
              text(slog)[-800:])
        cli = start([a.sluice, "-l", "1", "--file-prefix", f"slmt_c{tag}{pid}"] + EAL + common +
                    ["--set", f"port0.dev=net_memif0,role=client,socket={sock}",
                     "--set", "port0.ip=10.9.2.2/24", "--set", "port0.mac=02:00:00:00:0a:02",
                     "--set", "sluice.service=tcp-fetch", "--set", "tcp-fetch.connect_ip=10.9.2.1"]
                    + client_sets, clog)
        deadline = time.monotonic() + limit
        while m is None and time.monotonic() < deadline and cli.poll() is None:
            time.sleep(0.1)
            m = re.search(pattern, text(clog), re.M)
        if m is None:
            m = re.search(pattern, text(clog), re.M)
        check(f"{tag}: tcp-fetch result", m is not None, text(clog)[-1500:])
    finally:
        if cli is not None:
            stop(cli, clog, f"{tag}: client")
        stop(srv, slog, f"{tag}: server")
        logs["client"] = text(clog)
        logs["server"] = text(slog)
        slog.close()
        clog.close()
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", required=True)
    ap.add_argument("--config", required=True, help="configs/memif.ini")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sl_memif_tcp_") as tmp:
        size = 16 << 20
        zc = ["--set", "tcp.tx_copy_max=1"]
        m = pair(a, tmp, "echo", ["--set", "sluice.service=tcp-echo"] + zc,
                 ["--set", "tcp-fetch.connect_port=7", "--set", f"tcp-fetch.fetch_bytes={size}"]
                 + zc,
                 r"^tcp-fetch: lcore \d+: (\d+) bytes echo (.*) closed (\w+) in ([\d.]+) s")
        if m is not None:
            check(f"echo: {size} B back intact, closed with FIN",
                  m.group(1) == str(size) and m.group(2) == "ok" and m.group(3) == "fin",
                  m.group(0))
            print(f"# echo: {size} B in {m.group(4)} s", flush=True)
        for side in ("client", "server"):
            ref = re.search(r" tcp_tx_by_ref=(\d+)", logs.get(side, ""))
            check(f"echo: the {side} sends payload by reference (zero copy)",
                  ref is not None and int(ref.group(1)) > 0,
                  re.findall(r"^  stack:.*$", logs.get(side, ""), re.M))
        resp = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                "Connection: close\r\n\r\n%s" % (len(HTTP_BODY), HTTP_BODY)).encode()
        m = pair(a, tmp, "http",
                 ["--set", "sluice.service=http", "--set", "service.tcp_port=80",
                  "--set", f"http.http_path={HTTP_PATH}",
                  "--set", f"http.http_body={HTTP_BODY_SET}"],
                 ["--set", "tcp-fetch.connect_port=80", "--set", f"tcp-fetch.http_path={HTTP_PATH}"],
                 r"^tcp-fetch: lcore \d+: (\d+) bytes sha256 ([0-9a-f]{64}) closed (\w+)")
        if m is not None:
            check("http: GET of http_path answers exactly 200 + http_body, then FIN",
                  m.group(1) == str(len(resp)) and
                  m.group(2) == hashlib.sha256(resp).hexdigest() and m.group(3) == "fin",
                  f"{m.group(0)}; want {len(resp)} bytes sha256 "
                  f"{hashlib.sha256(resp).hexdigest()}")
        n = 200
        m = pair(a, tmp, "http-repeat",
                 ["--set", "sluice.service=http", "--set", "service.tcp_port=80",
                  "--set", f"http.http_path={HTTP_PATH}",
                  "--set", f"http.http_body={HTTP_BODY_SET}"],
                 ["--set", "tcp-fetch.connect_port=80", "--set", f"tcp-fetch.http_path={HTTP_PATH}",
                  "--set", f"tcp-fetch.fetch_count={n}"],
                 r"^tcp-fetch: lcore \d+: (\d+) fetches, (\d+) bytes, same sha256 ([0-9a-f]{64}) "
                 r"closed (\w+) in ([\d.]+) s")
        if m is not None:
            check(f"http: {n} fetches in a row, every answer the expected one",
                  m.group(1) == str(n) and m.group(2) == str(n * len(resp)) and
                  m.group(3) == hashlib.sha256(resp).hexdigest() and m.group(4) == "fin",
                  m.group(0))
            print(f"# http: {n} fetches in {m.group(5)} s", flush=True)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
