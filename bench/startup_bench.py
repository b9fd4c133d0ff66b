#!/usr/bin/env python3
"""Whole-command start-up time of mstap, as issue 5 sets it: `mstap --version`
and a pass-4 cache hit `mstap -p4 -r RELEASE examples/hello.stp` (target: under
30 ms for the whole command). Several binaries are run interleaved, round by
round, so that they see the same machine; best and median wall times in ms.

  bench/startup_bench.py [--runs 30] [-r RELEASE] BINARY [BINARY...]
  e.g. bench/startup_bench.py -r 6.1.0-56-amd64 /tmp/mstap-shared build/mstap

Each binary runs once first, to fill the module cache (~/.cache/mstap) and the
page cache. -p4 copies the .ko into the working directory, so the runs happen
in a temporary one.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HELLO = os.path.join(os.path.dirname(HERE), "examples", "hello.stp")


def run(argv):
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                       (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    os.close(devnull)
    return elapsed, os.waitstatus_to_exitcode(status)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("-r", dest="release", default=None,
                        help="kernel release whose headers are installed (default: the running one)")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()

    binaries = [os.path.abspath(b) for b in args.binaries]
    release = ["-r", args.release] if args.release else []
    commands = {
        "--version": lambda b: [b, "--version"],
        "-p4 hello.stp (cache hit)": lambda b: [b, "-p4", *release, HELLO],
    }
    with tempfile.TemporaryDirectory(prefix="mstap-startup-") as work:
        os.chdir(work)
        for b in binaries:
            for make in commands.values():
                _, code = run(make(b))
                if code != 0:
                    sys.exit(f"{' '.join(make(b))} failed (exit {code})")
        times = {(name, b): [] for name in commands for b in binaries}
        for _ in range(args.runs):
            for name, make in commands.items():
                for b in binaries:
                    elapsed, code = run(make(b))
                    if code != 0:
                        sys.exit(f"{' '.join(make(b))} failed (exit {code})")
                    times[(name, b)].append(elapsed)
    print(f"{args.runs} runs each, interleaved; wall ms")
    for name in commands:
        for b in binaries:
            t = times[(name, b)]
            print(f"  {name:28} best {min(t):6.1f}  median {statistics.median(t):6.1f}  {b}")


if __name__ == "__main__":
    main()
