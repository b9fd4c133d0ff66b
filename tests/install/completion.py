#!/usr/bin/env python3
"""Bash completion (completion/mstap.bash) in an interactive bash on a pty,
keys typed as a user types them: options, -p's values, kinds of probe point,
kernel functions after -L '...( (through mstap -l, for the running kernel or
MSTAP_TEST_SYSROOT/MSTAP_TEST_RELEASE).
   completion.py BUILD_DIR COMPLETION_FILE"""
import os, pty, select, shutil, subprocess, sys, time

build, completion = sys.argv[1], sys.argv[2]
if not shutil.which("bash"):
    print("no bash: skipped")
    sys.exit(77)
target = ""
if os.environ.get("MSTAP_TEST_SYSROOT") and os.environ.get("MSTAP_TEST_RELEASE"):
    target = f"--sysroot {os.environ['MSTAP_TEST_SYSROOT']} -r {os.environ['MSTAP_TEST_RELEASE']} "
elif not os.path.exists("/sys/kernel/btf/vmlinux"):
    target = None

master, slave = pty.openpty()
env = dict(os.environ, TERM="dumb", PATH=build + ":" + os.environ["PATH"], PS1="$ ", INPUTRC="/dev/null",
           HISTFILE="/dev/null")
shell = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], stdin=slave, stdout=slave, stderr=slave,
                         env=env, start_new_session=True)
os.close(slave)


def read(seconds):
    out, end = b"", time.time() + seconds
    while time.time() < end:
        if select.select([master], [], [], 0.1)[0]:
            try:
                out += os.read(master, 65536)
            except OSError:
                break
    return out.decode(errors="replace")


def typed(keys, seconds=4):
    os.write(master, keys.encode())
    text = read(seconds)
    os.write(master, b"\x03")  # ^C: a fresh line for the next case
    read(0.5)
    return text


failures = []


def expect(keys, *wanted):
    text = typed(keys)
    for w in wanted:
        if w not in text:
            failures.append(f"{keys!r}: no {w!r} in {text!r}")


read(1)
os.write(master, f"source {completion}\n".encode())
read(1)
expect("mstap --dump-probe-t\t", "mstap --dump-probe-types ")
expect("mstap -p \t\t", "1  2  3  4  5")
expect("mstap -l 'ti\t\t\t", "timer.hz(", "timer.profile", "timer.jiffies(")
if target is not None:
    expect(f"mstap {target}-L 'kernel.function(\"vfs_rea\t\t\t",
           'kernel.function("vfs_read")', 'kernel.function("vfs_readv")')
    expect(f"mstap {target}-l 'kernel.function(\"vfs_readv\t", "'kernel.function(\"vfs_readv\")'")
os.write(master, b"exit\n")
shell.wait(timeout=10)
if failures:
    sys.exit("\n".join(failures))
print("completion: ok" + ("" if target is not None else " (no kernel BTF: probe points not tried)"))
