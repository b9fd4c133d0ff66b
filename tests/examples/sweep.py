#!/usr/bin/env python3
"""SystemTap's own example scripts as mstap's oracle (issue 13).

Debian's systemtap-doc ships SystemTap's examples with a .meta file each; its
`test_check:` line is the command stap's test suite checks the example with
(`stap -p4 NAME.stp ARGS`). For every such line this runs the same script,
options and arguments through `mstap -p1`, then `mstap -p2` against the
target kernel (-r RELEASE --sysroot SYSROOT), and names each failure by its
first error in a few words.

  sweep.py --mstap BIN --summary            counts and the commonest reasons
  sweep.py --mstap BIN --update LIST        rewrite LIST (failing scripts)
  sweep.py --mstap BIN --check LIST         exit 1 when the results differ
                                            from LIST; 77 when the examples
                                            or the kernel are missing
  sweep.py --stap --summary                 the same cases through stap 4.8
  sweep.py --mstap BIN --compare            both, and their counts side by side

The kernel comes from MSTAP_TEST_SYSROOT and MSTAP_TEST_RELEASE (or
--sysroot/--release), as for the other tests; the examples from
MSTAP_EXAMPLES_DIR, else Debian's folders. Standard library only.

From stap's command line to mstap's: -p N sets the last pass (stap's -p4 is
checked up to pass 2, -p1 at pass 1 only); every other option is kept, moved
before the script as stap's own option parsing allows options after it. An
option mstap refuses ("unknown option -G") is dropped and the run repeated,
so the script itself is still checked; the script is then listed as failing
at pass 1 with "option -G unknown to mstap" when nothing else fails.
"""

import argparse
import concurrent.futures
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

DEFAULT_EXAMPLE_DIRS = ["/usr/share/systemtap/examples", "/usr/share/doc/systemtap/examples"]

# stap 4.8's short options that take a value (its getopt string), and the
# long ones among those the examples could use.
STAP_SHORT_WITH_VALUE = set("pIeEoRrmcxDsldLSBGT")
STAP_LONG_WITH_VALUE = {"--sysroot", "--sysenv", "--runtime", "--remote", "--tmpdir", "--modinfo",
                        "--rlimit-as", "--rlimit-cpu", "--rlimit-nproc", "--rlimit-stack", "--rlimit-fsize"}

SKIP = 77


def read_text(path):
    """The text of PATH, or of PATH.gz when Debian compressed it."""
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    with gzip.open(path + ".gz", "rt", encoding="utf-8", errors="replace") as f:
        return f.read()


def find_examples_dir(explicit):
    candidates = [explicit] if explicit else DEFAULT_EXAMPLE_DIRS
    for d in candidates:
        if d and os.path.isdir(d):
            for _root, _dirs, files in os.walk(d):
                if any(f.endswith(".meta") or f.endswith(".meta.gz") for f in files):
                    return d
    return None


# --- the shell words of a test_check line ----------------------------------

def substitute_command(text):
    """A stand-in for `...` command substitution: the value is never looked at
    before pass 3, and a fixed word keeps the runs alike on every machine
    (`which PROGRAM` becomes the program's path, for stap's -d)."""
    words = text.split()
    if len(words) == 2 and words[0] == "which":
        return shutil.which(words[1]) or "/usr/bin/" + words[1]
    return "0"


def shell_words(line, pid):
    """Splits LINE into words as sh would for the forms the examples use:
    '...', "..." with \\ escapes, `...`, $$, and backslashes."""
    words = []
    word = None
    i = 0
    n = len(line)

    def add(text):
        nonlocal word
        word = (word or "") + text

    while i < n:
        c = line[i]
        if c in " \t":
            if word is not None:
                words.append(word)
                word = None
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ValueError("unterminated '")
            add(line[i + 1:end])
            i = end + 1
        elif c == '"':
            i += 1
            text = ""
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                    text += line[i + 1]
                    i += 2
                elif line.startswith("$$", i):
                    text += str(pid)
                    i += 2
                elif line[i] == "`":
                    end = line.find("`", i + 1)
                    if end < 0:
                        raise ValueError("unterminated `")
                    text += substitute_command(line[i + 1:end])
                    i = end + 1
                else:
                    text += line[i]
                    i += 1
            if i >= n:
                raise ValueError('unterminated "')
            add(text)
            i += 1
        elif c == "`":
            end = line.find("`", i + 1)
            if end < 0:
                raise ValueError("unterminated `")
            add(substitute_command(line[i + 1:end]))
            i = end + 1
        elif c == "\\" and i + 1 < n:
            add(line[i + 1])
            i += 2
        elif line.startswith("$$", i):
            add(str(pid))
            i += 2
        else:
            add(c)
            i += 1
    if word is not None:
        words.append(word)
    return words


class StapCommand:
    """A stap command line taken apart: its options (each a list of argv
    words), the last pass it asks for, the script and the script's words."""

    def __init__(self, words):
        self.options = []      # [["-g"], ["-D", "X=1"], ["--all-modules"], ...]
        self.last_pass = 5
        self.script = None
        self.script_text = None
        self.args = []
        positional = []
        i = 1
        while i < len(words):
            w = words[i]
            if w == "--":
                positional += words[i + 1:]
                break
            if w.startswith("--"):
                name, eq, value = w.partition("=")
                if eq:
                    self.options.append([name, value])
                elif name in STAP_LONG_WITH_VALUE and i + 1 < len(words):
                    self.options.append([name, words[i + 1]])
                    i += 1
                else:
                    self.options.append([name])
            elif w.startswith("-") and len(w) > 1:
                j = 1
                while j < len(w):
                    letter = w[j]
                    if letter in STAP_SHORT_WITH_VALUE:
                        if j + 1 < len(w):
                            value = w[j + 1:]
                        else:
                            i += 1
                            if i >= len(words):
                                raise ValueError(f"-{letter} without its value")
                            value = words[i]
                        self.take("-" + letter, value)
                        break
                    self.options.append(["-" + letter])
                    j += 1
            else:
                positional.append(w)
            i += 1
        if self.script_text is None:
            if not positional:
                raise ValueError("no script named")
            self.script = positional[0]
            positional = positional[1:]
        self.args = positional

    def take(self, option, value):
        if option == "-p":
            self.last_pass = int(value)
        elif option == "-e":
            self.script_text = value
        else:
            self.options.append([option, value])


# --- the cases ---------------------------------------------------------------

class Case:
    def __init__(self, name, directory, command_line):
        self.name = name                  # relative to the examples folder
        self.directory = directory        # relative folder the command runs in
        self.command_line = command_line  # the test_check line, as written
        self.command = None               # StapCommand, None when not stap
        self.problem = None               # why the case cannot run
        self.meta_stem = None             # the .meta's name without .meta


def find_cases(examples):
    """Every `test_check:` line of every .meta under EXAMPLES, sorted."""
    metas = []
    for root, dirs, files in os.walk(examples):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".meta") or f.endswith(".meta.gz"):
                metas.append(os.path.join(root, f[:-3] if f.endswith(".gz") else f))
    raw = []
    for meta in metas:
        rel_dir = os.path.relpath(os.path.dirname(meta), examples)
        for line in read_text(meta).splitlines():
            if line.startswith("test_check:"):
                raw.append((meta, rel_dir, line[len("test_check:"):].strip()))
    cases = []
    for meta, rel_dir, command_line in raw:
        stem = os.path.basename(meta)[:-len(".meta")]
        case = Case(None, rel_dir, command_line)
        try:
            words = shell_words(command_line, os.getpid())
            if not words or words[0] != "stap":
                case.problem = f"not a stap command: {words[0] if words else '(empty)'}"
            else:
                case.command = StapCommand(words)
        except ValueError as e:
            case.problem = f"cannot read the command: {e}"
        script = case.command.script if case.command and case.command.script else stem
        case.name = os.path.normpath(os.path.join(rel_dir, script))
        case.meta_stem = stem
        cases.append(case)
    # Two .meta files may run one script (pyexample.stp with python2 and with
    # python3): those cases are told apart by the .meta's name.
    counts = {}
    for c in cases:
        counts[c.name] = counts.get(c.name, 0) + 1
    for c in cases:
        if counts[c.name] > 1:
            c.name += "@" + c.meta_stem
    # And two test_check lines of one .meta by their order.
    seen = {}
    for c in cases:
        seen[c.name] = seen.get(c.name, 0) + 1
        if seen[c.name] > 1:
            c.name += f"#{seen[c.name]}"
    cases.sort(key=lambda c: c.name)
    return cases


def script_size(examples, case):
    if not case.command or not case.command.script:
        return 0
    path = os.path.join(examples, case.directory, case.command.script)
    try:
        return len(read_text(path).encode("utf-8"))
    except OSError:
        return 0


def copy_examples(examples, into):
    """A copy of the examples with every .gz file unpacked, so that a script
    finds the files next to it (tapset/ folders, included scripts)."""
    for root, _dirs, files in os.walk(examples):
        rel = os.path.relpath(root, examples)
        target = os.path.normpath(os.path.join(into, rel))
        os.makedirs(target, exist_ok=True)
        for f in files:
            source = os.path.join(root, f)
            if f.endswith(".gz"):
                with gzip.open(source, "rb") as src, open(os.path.join(target, f[:-3]), "wb") as dst:
                    shutil.copyfileobj(src, dst)
            else:
                shutil.copy(source, os.path.join(target, f))


# --- the first error, in words -----------------------------------------------

ERROR_LINE = re.compile(r"^(?:(?P<loc>[^\s:][^:]*:(?P<line>\d+):(?P<col>\d+)): )?(?:mstap: |semantic |parse )?error: (?P<msg>.*)$")
# mstap's note under an error in what a macro expanded to: it shows the
# token in the macro's body, which tells what the error is about better than
# the macro's use does.
EXPANSION_NOTE = re.compile(r"^(?P<loc>[^\s:][^:]*:(?P<line>\d+):(?P<col>\d+)): note: in expansion of macro ")


class Error:
    """The first error of a run: its message, the source line under it, the
    caret's column (0-based, -1 when the message names no place), the
    last non-blank line before it in the script, and the macros the script
    defines (name: the @names its body uses, parameters left out)."""

    def __init__(self, message, source="", column=-1, previous="", macros=None):
        self.message, self.source, self.column, self.previous = message, source, column, previous
        self.macros = macros or {}


def script_macros(cwd, path):
    """The macros the script PATH defines: name -> the @names of its body
    that are not its parameters."""
    try:
        with open(os.path.join(cwd, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return {}
    macros = {}
    for name, params, body in re.findall(r"@define\s+(\w+)\s*(?:\(([^)]*)\))?\s*%\((.*?)%\)", text, re.S):
        own = {p.strip() for p in params.split(",")}
        macros[name] = [a for a in re.findall(r"@(\w+)", body) if a not in own]
    return macros


def previous_line(cwd, path, line):
    """The last non-blank line of the script PATH before line LINE."""
    try:
        with open(os.path.join(cwd, path), encoding="utf-8", errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return ""
    for candidate in reversed(text[:line - 1]):
        if candidate.strip():
            return candidate
    return ""


def first_error(stderr, cwd="", context_first=False):
    """The error a failure is named by. CONTEXT_FIRST: stap's, whose first
    error often only says where ("while resolving probe point ...") and the
    next one what."""
    lines = stderr.splitlines()
    errors = []
    for i, line in enumerate(lines):
        m = ERROR_LINE.match(line)
        if m and not m.group("msg").startswith("too many errors"):
            if m.group("loc") and i + 1 < len(lines):
                at, place = i, m
                note = EXPANSION_NOTE.match(lines[i + 3]) if i + 4 < len(lines) else None
                if note:
                    at, place = i + 3, note
                path = place.group("loc").rsplit(":", 2)[0]
                errors.append(Error(m.group("msg").strip(), lines[at + 1], int(place.group("col")) - 1,
                                    previous_line(cwd, path, int(place.group("line"))), script_macros(cwd, path)))
            else:
                errors.append(Error(m.group("msg").strip()))
    if context_first:
        errors = [e for e in errors if not e.message.startswith("while ")] or errors
    if errors:
        # A type that cannot be inferred is often the echo of a variable an
        # unknown tapset probe or function would have given its type.
        if errors[0].message.startswith("could not infer"):
            for e in errors[1:]:
                if re.match(r"unknown probe point|unresolved function", e.message):
                    return e
        return errors[0]
    for line in lines:
        if "error" in line.lower():
            return Error(line.strip())
    return Error(lines[-1].strip() if lines else "no message")


# Probe point families that are kinds of probe in their own right: their
# second component says which (kernel.function, process.mark, timer.sec);
# any other family (syscall.*, vfs.*, netfilter.*) is a tapset's aliases.
BUILTIN_FAMILIES = {"kernel", "module", "process", "kprobe", "timer", "perf", "procfs", "java", "python2",
                    "python3", "netfilter_hook", "hrtimer", "begin", "end", "error", "never"}


# Probe points without a dot that stap 4.8 defines in its tapsets.
TAPSET_PROBES = {"syscall_any", "oneshot"}


def probe_family(point):
    """syscall.open.return -> syscall.*; process("x").mark("y") -> process.mark."""
    components = re.findall(r'([A-Za-z_*][\w*]*)(?:\("(?:[^"\\]|\\.)*"\)|\([^)]*\))?', point)
    if not components:
        return point
    first = components[0]
    if first in BUILTIN_FAMILIES:
        return ".".join(components[:2])
    return first + (".*" if len(components) > 1 else "")


# stap's operators that mstap knows in pass 1; any other @NAME is a gap.
KNOWN_AT = {"count", "sum", "min", "max", "avg", "hist_log", "hist_linear", "defined", "entry", "variance"}
# Macros stap 4.8's tapsets define with @define (not language).
TAPSET_MACROS = re.compile(r"^(prometheus_\w+|json_\w+|this\d|module_container_of|container_of|"
                           r"choose_defined)$")


def classify(stage, error):
    """A short reason in words for a failure at pass STAGE (1 or 2)."""
    msg, src, col = error.message, error.source, error.column
    # The line up to the caret and the token that starts there.
    if col >= 0:
        token = re.match(r"@?\w+|!~|=~|%[{}()?:]|->|\S|", src[col:]).group(0)
        before = src[:col] + token
    else:
        before = src
    if stage == 1 and src:
        if re.search(r"%[(?:)]", before):
            return "%( %) conditional"
        if "%{" in before:
            return "embedded C as an expression"
        if re.match(r"\s*global\b", src) and "%" in src:
            return "wrapping array (global NAME%)"
        if re.match(r"\s*probe\s+[\w.]+\s*\+?=", src):
            return "probe alias"
        if re.match(r"expected a probe point, found '\{'", msg):
            return "probe point alternatives {a,b}"
        if re.match(r"expected a probe point, found '[$@]\d", msg):
            return "$1 as a probe point"
        if re.match(r"\s*@define\b", src):
            return "@define macro"
        if re.search(r"found '@(sum|count|min|max|avg)'", msg) and "foreach" in src:
            return "foreach sorted by @sum etc."
        if "!~" in before:
            return "!~ operator"
        if re.search(r"&\s*\$", src) and "'&'" in msg:
            return "& (address of a target variable)"
        ats = [a for a in re.findall(r"@(\w+)", before) if a not in KNOWN_AT]
        if not ats and col >= 0:
            # The caret just before an operator's parenthesis: "f(@cast(".
            ats = [a for a in re.findall(r"^\W{0,2}@(\w+)", src[col:]) if a not in KNOWN_AT]
        if ats:
            name = ats[-1]
            # A macro of the script's own: what its body uses is the reason.
            inner = [a for a in error.macros.get(name, []) if a not in KNOWN_AT and a not in error.macros]
            if inner:
                return f"@{inner[0]} (through the script's macro @{name})"
            if name.startswith("prometheus_"):
                return "@prometheus_* (tapset macro)"
            if name.startswith("json_"):
                return "@json_* (tapset macro)"
            if TAPSET_MACROS.match(name):
                return f"@{name} (tapset macro)"
            return f"@{name}"
        if re.match(r"expected '\(', found", msg) and re.match(r"\s*@\w+\s*$", error.previous):
            name = error.previous.strip()[1:]
            if name.startswith("json_"):
                return "@json_* (tapset macro)"
            return f"@{name} (tapset macro)" if TAPSET_MACROS.match(name) else f"@{name}"
        if "after function arguments, found '->'" in msg:
            return "-> on a script variable (autocast)"
        if "found '->'" in msg or "unexpected '->'" in msg:
            return "-> after a call"
    m = re.match(r"unknown operator '@(\w+)'", msg)
    if m:
        return f"@{m.group(1)}"
    m = re.match(r"unknown option (\S+)", msg)
    if m:
        return f"option {m.group(1)} unknown to mstap"
    m = re.search(r"unknown probe point '([^']+)'", msg)
    if m:
        family = probe_family(m.group(1))
        if family == "process.mark":
            return "unknown probe point process.mark (SDT markers)"
        tapset = family.endswith(".*") or family in TAPSET_PROBES
        return f"unknown probe point {family}" + (" (tapset)" if tapset else "")
    m = re.search(r"unresolved function '?([\w:]+)", msg)
    if m:
        return f"unresolved function {m.group(1)}"
    m = re.match(r"no match for probe point '(.*)'$", msg)
    if m:
        if m.group(1).endswith("!"):
            # stap: '!' is optional and sufficient, so no match is no error.
            return "'!' probe point taken as required"
        return f"no match for {m.group(1)}"
    m = re.match(r"cannot expand '([^']+)'", msg)
    if m:
        return f"cannot expand {m.group(1)}"
    # Otherwise the message itself, its explanation after ': ' left off.
    text = re.sub(r"\s+", " ", msg)
    return re.sub(r"(?<=[^:]): (mstap|stap) .*", "", text)[:100]


# --- running mstap -------------------------------------------------------------

class Outcome:
    def __init__(self, name):
        self.name = name
        self.failed_pass = None   # 1 or 2, None when the case passes
        self.reason = ""
        self.message = ""
        self.last_ok = 0          # the last pass that succeeded
        self.asked = 2            # the last pass the case is checked to
        self.dropped = []         # options mstap refused
        self.skipped = None       # why the case was not run
        self.source = ""          # the source line under the first error


def run_once(argv, cwd, timeout):
    try:
        p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout, env=dict(os.environ, NO_COLOR="1"))
    except subprocess.TimeoutExpired:
        return None, ""
    return p.returncode, p.stderr.decode("utf-8", "replace")


def run_case(case, tool, work, timeout):
    out = Outcome(case.name)
    if case.problem:
        out.skipped = case.problem
        return out
    cmd = case.command
    out.asked = min(cmd.last_pass, 2)
    cwd = os.path.join(work, case.directory)
    options = [list(o) for o in cmd.options]
    script = ["-e", cmd.script_text] if cmd.script_text is not None else [cmd.script]
    for stage in range(1, out.asked + 1):
        while True:
            argv = tool.argv(stage, [w for o in options for w in o], script, cmd.args)
            rc, err = run_once(argv, cwd, timeout)
            if rc is None:
                out.failed_pass, out.reason = stage, f"timeout after {timeout} s"
                return finish(out)
            if rc == 0:
                break
            if rc < 0:
                out.failed_pass = stage
                out.reason = f"crash ({signal.Signals(-rc).name})"
                out.message = err.strip().splitlines()[-1] if err.strip() else ""
                return finish(out)
            error = first_error(err, cwd, tool.context_first)
            refused = tool.refused_option(error.message)
            if refused:
                kept = [o for o in options if o[0] != refused]
                if len(kept) < len(options):
                    out.dropped.append(refused)
                    options = kept
                    continue
            out.failed_pass = stage
            out.message = error.message
            out.source = error.source
            out.reason = tool.classify(stage, error)
            return finish(out)
        out.last_ok = stage
    return finish(out)


def finish(out):
    # Without -I the script misses the tapset folder it names: that, not
    # what follows from it, is the reason.
    if "-I" in out.dropped:
        out.failed_pass = None
    if out.failed_pass is None and out.dropped:
        out.failed_pass = 1
        out.reason = "option{} {} unknown to mstap".format("s" if len(out.dropped) > 1 else "",
                                                         ", ".join(sorted(set(out.dropped))))
    return out


class Mstap:
    label = "mstap"
    context_first = False

    def classify(self, stage, error):
        return classify(stage, error)

    def __init__(self, binary, release, sysroot):
        self.binary, self.release, self.sysroot = binary, release, sysroot

    def argv(self, stage, options, script, args):
        kernel = ["-r", self.release, "--sysroot", self.sysroot] if stage >= 2 else []
        return [self.binary, f"-p{stage}"] + kernel + options + script + args

    def refused_option(self, message):
        m = re.match(r"unknown option (\S+)", message)
        return m.group(1) if m else None


class Stap:
    """stap's own passes on the same cases, for the comparison. stap checks
    the kernel's build tree even for -p1, so -r goes to every pass."""
    label = "stap 4.8"
    context_first = True

    def classify(self, stage, error):
        msg = error.message
        if "debuginfo" in msg and msg.startswith("missing"):
            return "missing kernel debuginfo"
        if re.match(r"type definition '.*' not found", msg):
            return "@cast type not found (no debuginfo)"
        m = re.match(r"unable to find tracepoint variable '([^']+)'", msg)
        if m:
            return f"tracepoint variable {m.group(1)} not found"
        # Positions and file names left off, so that alike failures count together.
        text = re.sub(r"(:| at) \S+:\d+(:\d+)?", "", msg)
        text = re.sub(r"operator '@\w+'$|identifier '\w+'$", "", text).rstrip(": ")
        return text[:100]

    def __init__(self, binary, release):
        self.binary, self.release = binary, release

    def argv(self, stage, options, script, args):
        kernel = ["-r", self.release] if self.release else []
        return [self.binary, f"-p{stage}"] + kernel + options + script + args

    def refused_option(self, message):
        return None


def sweep(cases, tool, examples, jobs, timeout):
    with tempfile.TemporaryDirectory(prefix="mstap-examples-") as work:
        copy_examples(examples, work)
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(lambda c: run_case(c, tool, work, timeout), cases))


# --- the list of failing scripts ----------------------------------------------

LIST_HEADER = """\
# SystemTap 4.8's example scripts (Debian's systemtap-doc) that mstap does not
# yet take through the passes their .meta's test_check line asks for (up to
# pass 2). One line a script: PATH  PASS  REASON (the first error, in words).
# Written by `tests/examples/sweep.py --update`; checked by the ctest
# examples_sweep (--check), which fails when a listed script passes, an
# unlisted one fails, or one fails at another pass.
"""


def read_list(path):
    listed = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = re.split(r"\s{2,}|\t", line.strip(), maxsplit=2)
            if len(parts) < 2 or not parts[1].isdigit():
                raise SystemExit(f"{path}:{n}: error: expected 'PATH  PASS  REASON', found '{line}'")
            listed[parts[0]] = (int(parts[1]), parts[2] if len(parts) > 2 else "")
    return listed


def write_list(path, outcomes):
    failing = sorted((o for o in outcomes if o.failed_pass), key=lambda o: o.name)
    width = max((len(o.name) for o in failing), default=0)
    with open(path, "w", encoding="utf-8") as f:
        f.write(LIST_HEADER)
        for o in failing:
            f.write(f"{o.name.ljust(width)}  {o.failed_pass}  {o.reason}\n")


def check(path, outcomes):
    listed = read_list(path)
    problems = []
    notes = []
    seen = set()
    for o in outcomes:
        seen.add(o.name)
        if o.skipped:
            continue
        entry = listed.get(o.name)
        if o.failed_pass and not entry:
            problems.append(f"{o.name}: fails at pass {o.failed_pass} ({o.reason}: {o.message}), "
                            "but is not listed")
        elif not o.failed_pass and entry:
            problems.append(f"{o.name}: passes now (listed as failing at pass {entry[0]}: {entry[1]}); "
                            "take it off the list")
        elif o.failed_pass and entry[0] != o.failed_pass:
            problems.append(f"{o.name}: fails at pass {o.failed_pass} ({o.reason}: {o.message}), "
                            f"listed at pass {entry[0]} ({entry[1]})")
        elif o.failed_pass and entry[1] != o.reason:
            notes.append(f"{o.name}: reason now '{o.reason}', listed as '{entry[1]}'")
    for name in sorted(set(listed) - seen):
        problems.append(f"{name}: listed, but no example has that name")
    for n in notes:
        print("note:", n)
    for p in problems:
        print("FAIL:", p)
    ran = sum(1 for o in outcomes if not o.skipped)
    failing = sum(1 for o in outcomes if o.failed_pass)
    print(f"examples_sweep: {ran} examples run, {failing} failing as listed in {os.path.basename(path)}"
          if not problems else f"examples_sweep: {len(problems)} differences from {path}")
    return 1 if problems else 0


def kind(reason):
    """The reasons of one kind together: every unresolved function, every
    unknown tapset probe point, every kernel function that is not there."""
    for prefix in ("unresolved function", "no match for"):
        if reason.startswith(prefix):
            return prefix + " ..."
    if reason.startswith("unknown probe point") and reason.endswith("(tapset)"):
        return "unknown probe point ... (tapset)"
    if reason.startswith("@") and reason.endswith("(tapset macro)"):
        return "@... (tapset macro)"
    return reason


def summary(outcomes, label, top, smallest=0, sizes=None):
    run = [o for o in outcomes if not o.skipped]
    skipped = [o for o in outcomes if o.skipped]
    p1 = [o for o in run if o.last_ok >= 1 and not (o.failed_pass == 1)]
    asked2 = [o for o in run if o.asked >= 2]
    p2 = [o for o in asked2 if o.last_ok >= 2 and not o.failed_pass]
    parse_ok = [o for o in run if o.last_ok >= 1]
    print(f"{label}: {len(outcomes)} test_check lines; {len(run)} stap commands run "
          f"({len(skipped)} not stap: {', '.join(o.name for o in skipped)})")
    print(f"  pass 1 ok: {len(p1)} of {len(run)}"
          + (f" ({len(parse_ok)} parse when the options mstap lacks are dropped)" if len(parse_ok) != len(p1) else ""))
    print(f"  pass 2 ok: {len(p2)} of {len(asked2)} asked for pass 2"
          f" ({len(run) - len(asked2)} stop at pass 1: their test_check says -p1)")
    counts = {}
    for o in run:
        if o.failed_pass:
            key = f"pass {o.failed_pass}: {o.reason}"
            counts[key] = counts.get(key, 0) + 1
    print(f"  failing: {sum(counts.values())}; reasons, commonest first:")
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        print(f"    {n:4d}  {key}")
    kinds = {}
    for o in run:
        if o.failed_pass:
            key = f"pass {o.failed_pass}: {kind(o.reason)}"
            kinds[key] = kinds.get(key, 0) + 1
    print("  the same by kind:")
    for key, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        print(f"    {n:4d}  {key}")
    if smallest and sizes:
        print(f"  the {smallest} smallest scripts that fail pass 1, with their first error:")
        p1_failures = sorted((o for o in run if o.failed_pass == 1 and o.message),
                             key=lambda o: (sizes[o.name], o.name))
        scripts = set()
        for o in p1_failures:
            script = o.name.split("@")[0]   # one line for a script two .meta files run
            if script in scripts:
                continue
            scripts.add(script)
            if len(scripts) > smallest:
                break
            print(f"    {o.name} ({sizes[o.name]} bytes): {o.message}")
            if o.source.strip():
                print(f"        {o.source.strip()[:110]}")
    dropped = {}
    for o in run:
        for d in set(o.dropped):
            dropped[d] = dropped.get(d, 0) + 1
    if dropped:
        print("  options dropped (unknown to " + label + "): "
              + ", ".join(f"{k} ({v})" for k, v in sorted(dropped.items())))


def counts(outcomes):
    """(run, pass-1 ok, asked for pass 2, pass-2 ok)."""
    run = [o for o in outcomes if not o.skipped]
    p1 = sum(1 for o in run if o.last_ok >= 1 and o.failed_pass != 1)
    asked2 = [o for o in run if o.asked >= 2]
    p2 = sum(1 for o in asked2 if o.last_ok >= 2 and not o.failed_pass)
    return len(run), p1, len(asked2), p2


def compare(results):
    """The counts of each tool side by side, for the README."""
    print(f"{'':24}" + "".join(f"{label:>12}" for label, _ in results))
    rows = [("stap commands run", 0), ("pass 1 ok", 1), ("asked for pass 2", 2), ("pass 2 ok", 3)]
    table = [(label, counts(outcomes)) for label, outcomes in results]
    for title, k in rows:
        print(f"{title:24}" + "".join(f"{c[k]:>12}" for _, c in table))
    both = [o for o in results[0][1] if not o.skipped]
    others = {o.name: o for o in results[1][1]}
    only_first = [o.name for o in both if o.asked >= 2 and not o.failed_pass and others[o.name].failed_pass]
    only_second = [o.name for o in both if o.failed_pass and o.asked >= 2 and not others[o.name].failed_pass]
    print(f"through pass 2 with {results[0][0]} only: {len(only_first)}"
          + (f" ({', '.join(only_first)})" if only_first else ""))
    print(f"through pass 2 with {results[1][0]} only: {len(only_second)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mstap", help="the mstap binary")
    ap.add_argument("--stap", nargs="?", const="stap", help="run stap (this binary) instead of mstap")
    ap.add_argument("--examples", default=os.environ.get("MSTAP_EXAMPLES_DIR"))
    ap.add_argument("--sysroot", default=os.environ.get("MSTAP_TEST_SYSROOT"))
    ap.add_argument("--release", default=os.environ.get("MSTAP_TEST_RELEASE"),
                    help="the target kernel's release (stap: its -r, with /lib/modules/RELEASE/build)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=60, help="seconds a run of one pass of mstap may take")
    ap.add_argument("--stap-timeout", type=int, default=600,
                    help="the same for stap (its first tracepoint query compiles for minutes)")
    ap.add_argument("--only", action="append", default=[], help="run only cases whose name contains this")
    ap.add_argument("--top", type=int, default=15, help="how many reasons --summary prints")
    ap.add_argument("--smallest", type=int, default=10,
                    help="--summary prints this many of the smallest scripts that fail pass 1")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each case's outcome")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", metavar="LIST")
    mode.add_argument("--update", metavar="LIST")
    mode.add_argument("--summary", action="store_true")
    mode.add_argument("--compare", action="store_true", help="mstap's and stap's counts side by side")
    a = ap.parse_args()

    examples = find_examples_dir(a.examples)
    if not examples:
        print("no SystemTap examples (apt-get install systemtap-doc): skipped")
        return SKIP
    tools = []
    if not a.stap or a.compare:
        if not a.mstap:
            ap.error("--mstap BIN is needed")
        if not a.sysroot or not a.release or not os.path.isdir(a.sysroot):
            print("no target kernel (MSTAP_TEST_SYSROOT, MSTAP_TEST_RELEASE from tools/fetch-kernel): skipped")
            return SKIP
        tools.append((Mstap(os.path.abspath(a.mstap), a.release, os.path.abspath(a.sysroot)), a.timeout))
    if a.stap or a.compare:
        binary = shutil.which(a.stap or "stap")
        if not binary:
            print("no stap (apt-get install systemtap): skipped")
            return SKIP
        tools.append((Stap(binary, a.release), a.stap_timeout))
    if (a.update or a.check) and (a.only or a.stap):
        ap.error("--update and --check take mstap's run of every example")

    cases = find_cases(examples)
    if a.only:
        cases = [c for c in cases if any(s in c.name for s in a.only)]
    results = []
    for tool, timeout in tools:
        outcomes = sweep(cases, tool, examples, a.jobs, timeout)
        results.append((tool.label, outcomes))
        if a.verbose:
            for o in outcomes:
                state = f"skipped: {o.skipped}" if o.skipped else (
                    f"FAIL pass {o.failed_pass}: {o.reason} | {o.message} | {o.source.strip()}"
                    if o.failed_pass else f"ok (pass {o.last_ok})")
                print(f"{tool.label}: {o.name}: {state}" + (f" [dropped {' '.join(o.dropped)}]" if o.dropped else ""))
    label, outcomes = results[0]
    if a.update:
        write_list(a.update, outcomes)
        summary(outcomes, label, a.top)
        return 0
    if a.check:
        return check(a.check, outcomes)
    sizes = {c.name: script_size(examples, c) for c in cases}
    for label, outcomes in results:
        summary(outcomes, label, a.top, a.smallest if label == "mstap" else 0, sizes)
    if a.compare:
        compare(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
