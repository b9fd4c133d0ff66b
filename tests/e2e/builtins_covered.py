#!/usr/bin/env python3
"""Every built-in function that `mstap --dump-functions` lists is called by
at least one end-to-end case (tests/e2e/*.stp), so that each runs in a real
kernel: a new built-in without an e2e case fails this test. The library's
functions (tapset/*.stp), which --dump-functions lists too, are called by an
e2e case or by a language case (tests/lang), which at least elaborates them.

  builtins_covered.py MSTAP E2E_DIR
"""
import os
import re
import subprocess
import sys


def calls_in(folder):
    calls = set()
    for root, _, files in os.walk(folder):
        for case in sorted(files):
            if not case.endswith(".stp"):
                continue
            with open(os.path.join(root, case), encoding="utf-8") as f:
                for line in f:
                    if line.lstrip().startswith("#"):
                        continue  # RUN:, CHECK: and comments name functions without calling them
                    calls.update(re.findall(r"(?<![A-Za-z0-9_$@.])([A-Za-z_][A-Za-z0-9_]*)\s*\(", line))
    return calls


def library_functions(tapset):
    names = set()
    for root, _, files in os.walk(tapset):
        for name in files:
            if name.endswith(".stp"):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    names.update(re.findall(r"^\s*(?:private\s+)?function\s+([A-Za-z_][A-Za-z0-9_]*)", f.read(), re.M))
    return names


def main():
    mstap, e2e = sys.argv[1:3]
    # The library's functions (tapset/, beside tests/) are listed too: each
    # is called by an e2e case or, when its result needs no kernel to be
    # known, by a language case (tests/lang), which elaborates it.
    here = os.path.dirname(os.path.dirname(os.path.abspath(e2e)))
    library = library_functions(os.path.join(here, "tapset"))
    listing = subprocess.run([mstap, "--dump-functions"], capture_output=True, text=True, check=True).stdout
    # "name (arg1:string, ...)" or "name:long (...)", then indented text.
    names = [re.match(r"[A-Za-z_][A-Za-z0-9_]*", line).group(0)
             for line in listing.splitlines() if line and not line[0].isspace()]
    names = list(dict.fromkeys(names))  # overloads list a name once each
    calls = calls_in(e2e)
    lang_calls = calls_in(os.path.join(here, "tests", "lang"))
    missing = [n for n in names if n not in calls and not (n in library and n in lang_calls)]
    for n in missing:
        kind = "library function" if n in library else "built-in"
        print(f"FAIL: the {kind} {n}() is called by no case in {e2e}" +
              (" nor tests/lang" if n in library else ""))
    print(f"{len(names) - len(missing)} passed, {len(missing)} failed")
    return 1 if missing or not names else 0


if __name__ == "__main__":
    sys.exit(main())
