#!/usr/bin/env python3
"""Pass 4's status line: on a terminal, "mstap: building the module for
RELEASE... Ns" redrawn and erased before the module's name is printed; on a
pipe, not a byte of it (what tests read stays the same).
   progress.py MSTAP SOURCE_DIR   (exit 77 without linux-headers-*-amd64)"""
import glob, os, pty, subprocess, sys, tempfile

mstap, source = sys.argv[1], sys.argv[2]
release = os.environ.get("MSTAP_TEST_RELEASE")
if not release:
    trees = sorted(t for t in glob.glob("/usr/src/linux-headers-*-amd64") if os.path.exists(t + "/Makefile"))
    if not trees:
        print("no kernel headers (linux-headers-*-amd64): skipped")
        sys.exit(77)
    release = trees[0][len("/usr/src/linux-headers-"):]
command = [mstap, "-p4", "--disable-cache", "-r", release, os.path.join(source, "examples", "hello.stp")]
erase = "\r\x1b[K"


def on_terminal(folder):
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm")
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=folder)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the program has gone
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return process.wait(), out.decode()


with tempfile.TemporaryDirectory() as folder:
    status, text = on_terminal(folder)
    if status != 0:
        sys.exit(f"mstap -p4 on a terminal failed ({status}):\n{text!r}")
    line = f"{erase}mstap: building the module for {release}... 0s"
    if not text.startswith(line):
        sys.exit(f"no status line first:\n{text!r}")
    # Erased before the module's name, which ends the output.
    last = text.rindex(erase)
    if not text[last + len(erase):].startswith("./mstap_") or "mstap: " in text[last:]:
        sys.exit(f"the status line was not erased before the output:\n{text!r}")
    piped = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if piped.returncode != 0 or piped.stderr != "" or not piped.stdout.startswith("./mstap_"):
        sys.exit(f"on a pipe: status {piped.returncode}, stderr {piped.stderr!r}, stdout {piped.stdout!r}")
print(f"status line on a terminal, none on a pipe (kernel {release}): ok")
