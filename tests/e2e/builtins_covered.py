#!/usr/bin/env python3
"""Every built-in function that `mstap --dump-functions` lists is called by
at least one end-to-end case (tests/e2e/*.stp), so that each runs in a real
kernel: a new built-in without an e2e case fails this test.

  builtins_covered.py MSTAP E2E_DIR
"""
import os
import re
import subprocess
import sys


def main():
    mstap, e2e = sys.argv[1:3]
    listing = subprocess.run([mstap, "--dump-functions"], capture_output=True, text=True, check=True).stdout
    # "name (arg1:string, ...)" or "name:long (...)", then indented text.
    names = [re.match(r"[A-Za-z_][A-Za-z0-9_]*", line).group(0)
             for line in listing.splitlines() if line and not line[0].isspace()]
    calls = set()
    for case in sorted(os.listdir(e2e)):
        if not case.endswith(".stp"):
            continue
        with open(os.path.join(e2e, case), encoding="utf-8") as f:
            for line in f:
                if line.lstrip().startswith("#"):
                    continue  # RUN:, CHECK: and comments name functions without calling them
                calls.update(re.findall(r"(?<![A-Za-z0-9_$@.])([A-Za-z_][A-Za-z0-9_]*)\s*\(", line))
    missing = [n for n in names if n not in calls]
    for n in missing:
        print(f"FAIL: the built-in {n}() is called by no case in {e2e}")
    print(f"{len(names) - len(missing)} passed, {len(missing)} failed")
    return 1 if missing or not names else 0


if __name__ == "__main__":
    sys.exit(main())
