#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run one libFuzzer target the way `meson test --suite fuzz` does.

1. Replay every input in tests/fuzz/regress/<target>/ (crashes found
   before, kept as regression tests): each must now run clean.
2. Fuzz for a bounded time starting from the committed seed corpus
   tests/fuzz/corpus/<target>/ (run first, input by input) and the
   regression inputs. New coverage goes to <work>/corpus, never into the
   source tree; a crash is written to <work>/ and fails the test, with
   the command that replays it.

FUZZ_TIME=<seconds> overrides --time; FUZZ_ARGS adds libFuzzer flags.
"""
import argparse
import os
import shlex
import subprocess
import sys


def inputs(d):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if not f.startswith('.') and not f.endswith('.md')
                  and os.path.isfile(os.path.join(d, f)))


def run(cmd, env):
    print('+ ' + ' '.join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.run(cmd, env=env).returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fuzzer', required=True)
    ap.add_argument('--name', required=True)
    ap.add_argument('--src', required=True, help='tests/fuzz in the source tree')
    ap.add_argument('--work', required=True, help='scratch directory in the build tree')
    ap.add_argument('--time', type=int, default=15)
    a = ap.parse_args()

    secs = int(os.environ.get('FUZZ_TIME', a.time))
    corpus = os.path.join(a.src, 'corpus', a.name)
    regress = os.path.join(a.src, 'regress', a.name)
    work_corpus = os.path.join(a.work, 'corpus')
    os.makedirs(work_corpus, exist_ok=True)
    env = dict(os.environ)
    env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1')
    # DPDK's memory (-m 256 without hugepages) is most of the RSS
    common = ['-timeout=20', '-rss_limit_mb=4096', '-artifact_prefix=' + a.work + '/']
    common += shlex.split(os.environ.get('FUZZ_ARGS', ''))

    old = inputs(regress)
    if old:
        print(f'{a.name}: replaying {len(old)} regression input(s)', flush=True)
        if run([a.fuzzer] + common + old, env) != 0:
            print(f'{a.name}: a regression input fails again', file=sys.stderr)
            return 1
    seeds = inputs(corpus)
    if not seeds:
        print(f'{a.name}: no seed corpus in {corpus}', file=sys.stderr)
        return 1
    dirs = [work_corpus, corpus] + ([regress] if old else [])
    print(f'{a.name}: {len(seeds)} seeds, fuzzing for {secs} s', flush=True)
    rc = run([a.fuzzer] + common + ['-max_total_time=%d' % secs, '-print_final_stats=1']
             + dirs, env)
    if rc != 0:
        crashes = [f for f in inputs(a.work) if os.path.basename(f).split('-')[0] in
                   ('crash', 'leak', 'timeout', 'oom', 'slow')]
        print(f'{a.name}: the fuzzer failed (exit {rc}); inputs kept: '
              + (', '.join(crashes) or 'none'), file=sys.stderr)
        for c in crashes:
            print(f'  replay: {a.fuzzer} {c}\n  keep it: cp {c} {regress}/',
                  file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
