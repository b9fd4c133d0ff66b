#!/usr/bin/env python3
"""What the tapset library costs a run (issue 14): passes 1-3 (`-p3`), the
whole command, with the whole library (tapset/) in place, for a hello world
and for a script on syscall.* and syscall.*.return; targets 10 ms and 40 ms.
Beside each, stap 4.8's -p2 of the same script when stap is installed (stap
parses its 481 library scripts every run; its -p3 needs debuginfo for
syscall.* on Debian's kernels, so -p2 is the fair comparison, and flatters
it). Also the number of library scripts each parse, from -v.

  bench/library_bench.py [--runs 20] --sysroot SYSROOT -r RELEASE BUILD/mstap

A first run of each warms the page cache; best and median wall ms follow.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SCRIPTS = {
    "hello world": 'probe begin { println("hello world"); exit() }\n',
    "syscall.* counts": ("global calls\n"
                         "probe syscall.*, syscall.*.return { calls[name] <<< 1 }\n"
                         "probe timer.s(5) { foreach (n in calls- limit 10) printf(\"%s %d\\n\", n, @count(calls[n])); exit() }\n"),
}


def timed(argv):
    start = time.perf_counter_ns()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return (time.perf_counter_ns() - start) / 1e6, done.returncode, done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sysroot", required=True)
    parser.add_argument("-r", dest="release", required=True)
    parser.add_argument("mstap")
    args = parser.parse_args()
    stap = shutil.which("stap")
    with tempfile.TemporaryDirectory(prefix="mstap-library-bench-") as work:
        print(f"{args.runs} runs each; wall ms, whole command")
        for name, text in SCRIPTS.items():
            path = os.path.join(work, re.sub(r"\W+", "_", name) + ".stp")
            with open(path, "w") as f:
                f.write(text)
            commands = {"mstap -p3": [args.mstap, "-p3", "--sysroot", args.sysroot, "-r", args.release, path]}
            if stap:
                commands["stap 4.8 -p2"] = [stap, "-p2", "-r", args.release, path]
            _, code, err = timed(commands["mstap -p3"][:1] + ["-v"] + commands["mstap -p3"][1:])
            if code != 0:
                sys.exit(f"mstap -p3 on {name} failed:\n{err}")
            scripts = re.search(r"and (\d+) library scripts", err)
            print(f"{name}: mstap parses {scripts.group(1) if scripts else '?'} library scripts")
            for label, argv in commands.items():
                timed(argv)  # warm-up
                times = []
                for _ in range(args.runs):
                    elapsed, code, err = timed(argv)
                    if code != 0:
                        times = None
                        print(f"  {label:14} failed (exit {code}): {err.strip().splitlines()[-1] if err.strip() else ''}")
                        break
                    times.append(elapsed)
                if times:
                    print(f"  {label:14} best {min(times):7.1f}  median {statistics.median(times):7.1f}")


if __name__ == "__main__":
    main()
