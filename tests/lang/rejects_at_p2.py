#!/usr/bin/env python3
"""Every language case that expects mstap to refuse a script (a
`RUN: not %mstap ... %s` line, whichever pass it stops at) is refused by
-p2: pass 2 is the last place that rejects a script, and pass 3 reports
nothing but internal errors.

  rejects_at_p2.py MSTAP LANG_DIR BUILD_DIR

Runs each such command again with -p2 and fails, naming the case, when it
exits 0 or reports an internal error. Cases that need the Debian kernel
(REQUIRES: debian-kernel) are skipped without MSTAP_TEST_SYSROOT and
MSTAP_TEST_RELEASE; so are RUN lines that use lit's temporary files.
"""
import os
import re
import shlex
import subprocess
import sys


def commands(path):
    """The argument lists of the file's `RUN: not %mstap` lines that run the
    case itself (%s)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"\s*#\s*RUN:\s*not\s+%mstap\s+(.*)", line)
            if not m:
                continue
            words = m.group(1)
            words = re.split(r"\s(?:\||>|2>|<)", " " + words, maxsplit=1)[0]
            args = shlex.split(words)
            passes = [a for a in args if re.fullmatch(r"-p\d+", a)]
            if "%s" not in args or any(p not in ("-p1", "-p2", "-p3", "-p4", "-p5") for p in passes):
                continue  # a case about the option itself
            if any("%t" in a for a in args):
                continue
            yield args


def main():
    mstap, lang_dir, build_dir = sys.argv[1:4]
    sysroot = os.environ.get("MSTAP_TEST_SYSROOT")
    release = os.environ.get("MSTAP_TEST_RELEASE")
    checked = failed = skipped = 0
    for root, _, files in sorted(os.walk(lang_dir)):
        for name in sorted(files):
            if not name.endswith(".stp"):
                continue
            path = os.path.join(root, name)
            text = open(path, encoding="utf-8", errors="replace").read()
            for args in commands(path):
                if "REQUIRES: debian-kernel" in text and not (sysroot and release):
                    skipped += 1
                    continue
                subs = {"%s": path, "%sysroot": sysroot or "", "%release": release or "",
                        "%kernel_fixtures": os.path.join(build_dir, "compiler", "kernel", "fixtures"),
                        "%user_fixtures": os.path.join(build_dir, "tests", "user")}
                argv = [mstap]
                for a in args:
                    for k in sorted(subs, key=len, reverse=True):
                        a = a.replace(k, subs[k])
                    if re.fullmatch(r"-p[1-5]", a):
                        continue
                    argv.append(a)
                argv.insert(1, "-p2")
                rel = os.path.relpath(path, lang_dir)
                try:
                    run = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                                         env=dict(os.environ, NO_COLOR="1"))
                except subprocess.TimeoutExpired:
                    print(f"FAIL {rel}: -p2 did not finish in 120 s")
                    failed += 1
                    continue
                checked += 1
                if run.returncode == 0:
                    print(f"FAIL {rel}: pass 2 accepts it; a later pass refuses it\n  {shlex.join(argv)}")
                    failed += 1
                elif "internal error" in run.stderr or "error:" not in run.stderr:
                    print(f"FAIL {rel}: -p2 failed without a user error:\n{run.stderr}")
                    failed += 1
    print(f"{checked - failed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or checked == 0 and skipped == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
