#!/usr/bin/env python3
"""Regenerate the golden listings of tests/lang cases from mstap's output.

  tools/update-lang-checks.py [--build DIR] [--check] [--self-test] [PATH...]

A case opts in with a line `# AUTOUPDATE` (its checks use the prefix CHECK)
or `# AUTOUPDATE: PREFIX`. For each such case the tool runs the case's RUN
lines as lit would (the substitutions and environment come from the build's
tests/lang/lit.site.cfg.py, which loads tests/lang/lit.cfg.py), takes the
output that the RUN line(s) checked with PREFIX feed to FileCheck, and
writes it as a block at the end of the file:

  # CHECK-AUTOUPDATE-BEGIN PREFIX (...)
  # PREFIX:      first line
  # PREFIX-NEXT: next line
  # PREFIX-EMPTY:
  # PREFIX-NOT:  {{.}}
  # CHECK-AUTOUPDATE-END PREFIX

The block is the whole output, in order, with nothing after it (the last
`-NOT: {{.}}`). Paths of the machine become patterns: the case's own path
`{{.*}}name.stp`, a path under the build tree, the source tree, the
temporary files, the fixtures or the sysroot `{{.*}}/rest/of/path`. The tool
refuses, saying why: output with another absolute path of this machine (or
one made part of a C name), output that differs from one run to the next,
output naming a line of the case past its last one (the block would move
it), and a command whose exit status is not what its `not` says.
Hand-written checks with other prefixes stay as they are; checks with the
block's own prefix outside the block are refused, since FileCheck would run
them before it.

Without --check, changed blocks are written back and their diff printed.
With --check, nothing is written: the tool exits 1 naming each case whose
block is stale, and 2 when a case cannot be regenerated. PATH (files or
folders) defaults to tests/lang. Cases whose REQUIRES are not met (the
Debian kernel: MSTAP_TEST_SYSROOT, MSTAP_TEST_RELEASE) are skipped.
--self-test first runs the tool on its own cases (SELF_TEST_CASES) in a
temporary folder; the ctest lang_goldens_current runs --self-test --check.
"""
import argparse
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMENT = r"(?:#|//)"
AUTOUPDATE_RE = re.compile(r"^\s*(#|//)\s*AUTOUPDATE(?::\s*(\S+))?\s*$")
BEGIN = "CHECK-AUTOUPDATE-BEGIN"
END = "CHECK-AUTOUPDATE-END"
DIRECTIVE_SUFFIX = r"(?:-NEXT|-SAME|-NOT|-DAG|-LABEL|-EMPTY|-COUNT-\d+)?:"
# Absolute paths that name the same thing on every Linux machine.
PORTABLE_PATHS = ("/dev/", "/proc/", "/sys/", "/bin/sh", "/usr/bin/env")


# Stand-ins, while the output is made a pattern, for the case's own path, a
# root of this machine's paths and the case's name (private-use characters,
# which mstap does not print).
SELF, ROOT, BASE = "\ue000", "\ue001", "\ue002"


class Refused(Exception):
    """A case the tool cannot regenerate, with the reason in words."""


class LitConfig:
    """What tests/lang's lit configuration reads: a stand-in for lit's
    TestingConfig, filled by executing lit.site.cfg.py and lit.cfg.py."""

    def __init__(self):
        self.substitutions = []
        self.available_features = set()
        self.suffixes = []
        # lit's default environment: its PATH and the variables it passes.
        self.environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                            "LLVM_DISABLE_CRASH_REPORT": "1"}
        for var in ("LIBRARY_PATH", "LD_LIBRARY_PATH", "TERM", "TMPDIR", "TMP", "TEMP",
                    "TEMPDIR", "FILECHECK_OPTS", "SOURCE_DATE_EPOCH"):
            if os.environ.get(var):
                self.environment[var] = os.environ[var]


def load_lit_config(build_dir):
    site = os.path.join(build_dir, "tests", "lang", "lit.site.cfg.py")
    if not os.path.exists(site):
        sys.exit(f"update-lang-checks: no {site}: configure the build first (cmake -S . -B {build_dir})")
    # lit.cfg.py imports lit.formats only to name its test format.
    lit = types.ModuleType("lit")
    lit.formats = types.SimpleNamespace(ShTest=lambda **kw: None)
    sys.modules.setdefault("lit", lit)
    sys.modules.setdefault("lit.formats", lit.formats)
    config = LitConfig()

    class Loader:
        def load_config(self, cfg, path):
            run_config(cfg, self, path)

    run_config(config, Loader(), site)
    return config


def run_config(config, loader, path):
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), path, "exec")
    exec(code, {"config": config, "lit_config": loader, "__file__": path, "os": os, "sys": sys})


class RunLine:
    def __init__(self, number, text):
        self.number = number  # the file's line of its RUN: keyword
        self.text = text
        self.prefixes = None  # the FileCheck prefixes, when it runs FileCheck on %s
        self.before = None  # the command feeding FileCheck, or None for an input file
        self.input_file = None
        self.filecheck_args = []


def parse_run_lines(lines):
    runs, pending, start = [], None, 0
    for i, line in enumerate(lines, 1):
        m = re.match(r"^\s*" + COMMENT + r"\s*RUN:\s?(.*?)\s*$", line)
        if not m:
            continue
        part = m.group(1)
        if pending is None:
            pending, start = "", i
        if part.endswith("\\"):
            pending += part[:-1]
            continue
        runs.append(RunLine(start, (pending + part).strip()))
        pending = None
    if pending is not None:
        raise Refused(f"the RUN line at line {start} ends with '\\' and nothing follows")
    for run in runs:
        split_filecheck(run)
    return runs


def split_filecheck(run):
    """Fills run.prefixes, run.before, run.input_file and
    run.filecheck_args when the line ends in FileCheck over the case."""
    m = re.search(r"(?:^|\|)\s*FileCheck\s+(.*)$", run.text)
    if not m:
        return
    try:
        args = shlex.split(m.group(1))
    except ValueError:
        return
    if not args or args[0] != "%s":
        return
    if any(a in ("&&", "||", ";", "|") for a in args):
        return
    prefixes, rest, i = [], [], 1
    while i < len(args):
        a = args[i]
        if re.fullmatch(r"--?check-prefix(es)?", a) and i + 1 < len(args):
            prefixes += args[i + 1].split(",")
            i += 2
            continue
        pm = re.fullmatch(r"--?check-prefix(?:es)?=(.*)", a)
        if pm:
            prefixes += pm.group(1).split(",")
        elif a == "<" and i + 1 < len(args):
            run.input_file = args[i + 1]
            i += 1
        elif a.startswith("<"):
            run.input_file = a[1:]
        elif a.startswith("--input-file="):
            run.input_file = a.split("=", 1)[1]
        else:
            rest.append(a)
        i += 1
    run.prefixes = prefixes or ["CHECK"]
    run.filecheck_args = rest
    head = run.text[:m.start()].strip()
    if run.text[m.start():].lstrip().startswith("|"):
        run.before = head
    elif head:
        return  # FileCheck is not the start of a command or pipeline end
    if run.before is None and run.input_file is None:
        raise Refused(f"line {run.number}: FileCheck reads neither a pipe nor a file")


def substitute(text, subs):
    text = text.replace("%%", "#_MARKER_#")
    for key, value in subs:
        text = text.replace(key, str(value))
    return text.replace("#_MARKER_#", "%")


def requires_met(lines, config):
    for line in lines:
        m = re.match(r"^\s*" + COMMENT + r"\s*REQUIRES:\s*(.*)$", line)
        if m:
            for feature in re.split(r"\s*,\s*", m.group(1).strip()):
                if feature and feature not in config.available_features:
                    return feature
    return None


class Case:
    def __init__(self, path, config, work):
        self.path = os.path.abspath(path)
        self.config = config
        self.rel = os.path.relpath(self.path, config.test_source_root)
        if self.rel.startswith(".."):
            raise Refused(f"not under {config.test_source_root}")
        # lit's places for this case, but under a private folder so that a
        # lit run at the same time keeps its own temporary files.
        self.exec_dir = os.path.join(work, os.path.dirname(self.rel))
        self.tmp_dir = os.path.join(self.exec_dir, "Output")
        self.tmp_base = os.path.join(self.tmp_dir, os.path.basename(self.rel))
        os.makedirs(self.tmp_dir, exist_ok=True)
        self.work = work
        self.subs = list(config.substitutions) + [
            ("%s", self.path), ("%S", os.path.dirname(self.path)), ("%p", os.path.dirname(self.path)),
            ("%t", self.tmp_base + ".tmp"), ("%basename_t", os.path.basename(self.tmp_base)),
            ("%T", self.tmp_dir)]

    def outputs(self, runs, prefix):
        """The text fed to FileCheck by each RUN line checked with prefix."""
        targets = [r for r in runs if r.prefixes and prefix in r.prefixes]
        if not targets:
            raise Refused(f"no RUN line feeds FileCheck %s with the prefix {prefix}")
        for r in targets:
            if any(re.fullmatch(r"--?strict-whitespace", a) for a in r.filecheck_args):
                raise Refused(f"line {r.number}: FileCheck --strict-whitespace reads the blanks after "
                              f"the directive's ':', which the generated block uses to align its lines")
            if len(r.prefixes) > 1:
                raise Refused(f"line {r.number}: FileCheck runs {','.join(r.prefixes)} together; "
                              f"a generated block needs a FileCheck run of its own")
        last = targets[-1]
        script = ["set -o pipefail"]
        files = {}
        for r in runs[:runs.index(last) + 1]:
            text = substitute(r.text, self.subs)
            status_check = ""
            if r in targets:
                out = os.path.join(self.work, f"out.{r.number}")
                err = os.path.join(self.work, f"err.{r.number}")
                rc = os.path.join(self.work, f"rc.{r.number}")
                files[r.number] = (out, err, rc)
                if r.before is None:
                    command = "cat " + shlex.quote(substitute(r.input_file, self.subs))
                else:
                    command = substitute(r.before, self.subs)
                expect = "zero"
                m = re.match(r"not(\s+--crash)?\s+(.*)$", command)
                if m and "|" not in m.group(2):
                    expect = "crash" if m.group(1) else "nonzero"
                    command = m.group(2)
                files[r.number] += (expect, command)
                script.append(f"{{ {command} ; }} > {shlex.quote(out)} 2> {shlex.quote(err)}; "
                              f"echo $? > {shlex.quote(rc)}")
                continue
            if r.prefixes:  # another prefix's FileCheck: keep the command, drop the check
                text = "true" if r.before is None else f"{{ {substitute(r.before, self.subs)} ; }} > /dev/null"
            fail = os.path.join(self.work, "failed")
            script.append(f"{{ {text} ; }} || {{ echo \"{r.number} $?\" > {shlex.quote(fail)}; exit 1; }}")
        shell = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
        done = subprocess.run([shell, "-c", "\n".join(script)], cwd=self.exec_dir,
                              env=self.config.environment, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=600)
        if done.returncode != 0:
            fail = os.path.join(self.work, "failed")
            where = open(fail).read().split() if os.path.exists(fail) else ["?", str(done.returncode)]
            raise Refused(f"the RUN line at line {where[0]} failed with status {where[1]}:\n"
                          + done.stderr.decode(errors="replace") + done.stdout.decode(errors="replace"))
        results = []
        for r in targets:
            out, err, rc, expect, command = files[r.number]
            status = int(open(rc).read().strip() or "-1")
            stderr = open(err, "rb").read().decode(errors="replace")
            problem = None
            if expect == "zero" and status != 0:
                problem = f"exits with {status}, and no `not` says it should fail"
            elif expect == "nonzero" and (status == 0 or status >= 128):
                problem = "succeeds, but its `not` says it fails" if status == 0 else \
                    f"was killed (status {status}), but its `not` (without --crash) says it fails normally"
            elif expect == "crash" and status < 128:
                problem = f"exits with {status}, but its `not --crash` says it crashes"
            if problem:
                raise Refused(f"the command of the RUN line at line {r.number} {problem}:\n  {command}\n"
                              + stderr)
            results.append((r, open(out, "rb").read().decode("utf-8", errors="surrogateescape")))
        return results

    def path_roots(self):
        """This machine's folders that the output may name, longest first:
        the build tree, the source tree, the temporary files, and the
        folders of every substitution (fixtures, sysroot...)."""
        roots = {self.work}
        for key, value in self.subs:
            if key in ("%t", "%basename_t", "%s", "%S", "%p") or not isinstance(value, str):
                continue
            if value.startswith("/"):
                path = (value if os.path.isdir(value) else os.path.dirname(value)).rstrip("/")
                if path:
                    roots.add(path)
        build = os.path.abspath(self.config.mstap_build_dir)
        roots |= {build, REPO, os.path.realpath(build), os.path.realpath(REPO)}
        return sorted(roots, key=len, reverse=True)

    def portable(self, text):
        """The output with this machine's paths replaced by stand-ins, and
        the absolute paths left in it that exist here."""
        text = text.replace(self.path, SELF)
        left = []
        for root in self.path_roots():
            text = re.sub(re.escape(root) + r"(?![A-Za-z0-9_.+@~-])", ROOT, text)
            # A path made part of a C name (probe_0_process_work_...):
            # its start is enough to know it.
            mangled = re.sub(r"[^A-Za-z0-9]+", "_", root).strip("_")[:16]
            if len(mangled) >= 8 and mangled in text:
                left.append(f"'{mangled}...' (the path {root} made a name)")
        for m in re.finditer(r"(?:^|(?<=[\s\"'(=:<,\[`]))(/[A-Za-z0-9_.+@~-]+)+", text, re.M):
            path = m.group(0)
            first = "/" + path.split("/")[1]
            if path.startswith(PORTABLE_PATHS) or not os.path.exists(first):
                continue
            left.append(path)
        return text, left


def escape_pattern(text, prefixes):
    """FileCheck's pattern matching the text literally: '{{' and '[[' would
    start a regex or a variable; another prefix's directive in the text
    would be read as a check."""
    out, i = [], 0
    while i < len(text):
        two = text[i:i + 2]
        if two == "{{":
            out.append(r"{{\{\{}}")
            i += 2
        elif two == "[[":
            out.append(r"{{\[\[}}")
            i += 2
        elif "\udc80" <= text[i] <= "\udcff" or (text[i] < " " and text[i] != "\t"):
            # A byte that is not UTF-8, or a control character: the case
            # file stays text (mstap reads it as the script).
            out.append("{{.}}")
            i += 1
        else:
            out.append(text[i])
            i += 1
    pattern = "".join(out)
    pattern = pattern.replace(SELF, "{{.*}}" + BASE).replace(ROOT, "{{.*}}")
    for prefix in sorted(set(prefixes), key=len, reverse=True):
        pattern = re.sub(r"(?<![A-Za-z0-9_-])" + re.escape(prefix[:-1]) + re.escape(prefix[-1])
                         + r"(?=" + DIRECTIVE_SUFFIX + ")",
                         lambda m: m.group(0)[:-1] + "{{" + re.escape(m.group(0)[-1]) + "}}", pattern)
    return pattern


def make_block(leader, prefix, output, base, all_prefixes):
    lines = output.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise Refused("the command prints nothing: an empty golden asserts nothing")
    body = [f"{leader} {BEGIN} {prefix} (written by tools/update-lang-checks.py, do not edit)"]
    for n, line in enumerate(lines):
        key = prefix + (":     " if n == 0 else "-NEXT:")
        if line == "":
            if n == 0:
                raise Refused("the output starts with an empty line, which FileCheck cannot anchor")
            body.append(f"{leader} {prefix}-EMPTY:")
            continue
        pattern = escape_pattern(line.rstrip(), all_prefixes).replace(BASE, base)
        if not line.strip():
            pattern = "{{^[[:blank:]]+$}}"
        elif line != line.rstrip():
            # FileCheck drops a pattern's trailing blanks; these say the
            # line ends there, so that nothing follows the listing's end.
            pattern += "{{[[:blank:]]*$}}"
        body.append(f"{leader} {key} {pattern}")
    body.append(f"{leader} {prefix}-NOT:  {{{{.}}}}")
    body.append(f"{leader} {END} {prefix}")
    return body


def regenerate(path, config, filecheck):
    """The file's new text, or None when it does not opt in."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    lines = text.split("\n")
    wanted = []
    for line in lines:
        m = AUTOUPDATE_RE.match(line)
        if m:
            wanted.append((m.group(1), m.group(2) or "CHECK"))
    if not wanted:
        return None, None
    if len({p for _, p in wanted}) != len(wanted):
        raise Refused("the same prefix opts in twice")
    missing = requires_met(lines, config)
    if missing:
        return text, f"skipped: needs {missing}"
    runs = parse_run_lines(lines)
    all_prefixes = {"CHECK"} | {p for r in runs if r.prefixes for p in r.prefixes}

    # The file without its generated blocks; checks with a block's prefix
    # outside it would run before the block's and take its lines.
    kept, inside = [], None
    for n, line in enumerate(lines, 1):
        m = re.match(r"^\s*" + COMMENT + r"\s*(" + BEGIN + "|" + END + r")\s+(\S+)", line)
        if m and m.group(1) == BEGIN:
            if inside:
                raise Refused(f"line {n}: a block begins inside the block for {inside}")
            inside = m.group(2)
            continue
        if m and m.group(1) == END:
            if inside != m.group(2):
                raise Refused(f"line {n}: {END} {m.group(2)} without its {BEGIN}")
            inside = None
            continue
        if inside is None:
            kept.append(line)
    if inside:
        raise Refused(f"the block for {inside} has no {END}")
    for n, line in enumerate(kept, 1):
        for leader, prefix in wanted:
            if re.search(r"(?<![A-Za-z0-9_-])" + re.escape(prefix) + DIRECTIVE_SUFFIX, line):
                raise Refused(f"'{line.strip()}': a {prefix} check outside the generated block would run "
                              f"before it; give the block a prefix of its own (# AUTOUPDATE: NAME and a "
                              f"RUN line with --check-prefix=NAME)")
    while kept and kept[-1] == "":
        kept.pop()

    work = tempfile.mkdtemp(prefix="update-lang-checks.")
    try:
        case = Case(path, config, work)
        blocks = []
        for leader, prefix in wanted:
            generated = None
            results = case.outputs(runs, prefix)
            # Times, addresses or sizes would make the golden stale at once.
            if [o for _, o in case.outputs(runs, prefix)] != [o for _, o in results]:
                raise Refused(f"the output checked with {prefix} changes from one run to the next")
            for run, output in results:
                portable, left = case.portable(output)
                if left:
                    raise Refused(f"the output of line {run.number} names paths of this machine that the "
                                  f"tool cannot make portable: {', '.join(sorted(set(left)))}")
                # The block is part of the script: a place past the script's
                # last line (the end of the file) moves with the block.
                for m in re.finditer(SELF + r":(\d+)", portable):
                    if int(m.group(1)) > len(kept):
                        raise Refused(f"the output names line {m.group(1)} of the case, past its last line "
                                      f"({len(kept)}): the generated block would move it")
                block = make_block(leader, prefix, portable, os.path.basename(path), all_prefixes)
                if generated is not None and block != generated:
                    raise Refused(f"the RUN lines checked with {prefix} print different outputs")
                generated = block
                verify(filecheck, kept + [""] + generated, run, output, work, config, case.subs)
            blocks += [""] + generated
        return "\n".join(kept + blocks) + "\n", None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verify(filecheck, lines, run, output, work, config, subs):
    """FileCheck the output against the new block, as the RUN line will."""
    checks = os.path.join(work, "checks.stp")
    data = os.path.join(work, "output.txt")
    with open(checks, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(lines) + "\n")
    with open(data, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(output)
    args = [filecheck, checks, f"--check-prefix={run.prefixes[0]}", f"--input-file={data}"]
    args += [substitute(a, subs) for a in run.filecheck_args]
    done = subprocess.run(args, capture_output=True, text=True, errors="replace", env=config.environment)
    if done.returncode != 0:
        raise Refused("FileCheck rejects the generated block (a bug of this tool):\n" + done.stderr)


# The tool's own cases: (name, text, what the run must give). "block:" lists
# strings the regenerated file must hold (and it must then be current);
# "refused:" a phrase of the reason.
SELF_TEST_CASES = [
    ("escapes.stp",
     "# RUN: %mstap -p1 %s | FileCheck %s\n# RUN: %mstap -p1 %s | FileCheck %s --check-prefix=OTHER\n"
     "# AUTOUPDATE\nprobe begin { println(\"{{ [[x]] OTHER-NEXT: y\") }\n",
     ("block", ["# CHECK:      # parse tree dump", "# CHECK-NEXT: # file {{.*}}escapes.stp",
                "# CHECK-EMPTY:",
                r'# CHECK-NEXT:   println("{{\{\{}} {{\[\[}}x]] OTHE{{R}}-NEXT: y");',
                "# CHECK-NOT:  {{.}}"])),
    ("own_path.stp",
     "# RUN: not %mstap -p2 %s 2>&1 | FileCheck %s --check-prefix=ERR\n# AUTOUPDATE: ERR\n"
     "probe begin {\n  x = 1 + \"s\"\n}\n",
     ("block", ["# ERR:      {{.*}}own_path.stp:4:11: error:", "# ERR-NEXT: Pass 2: analysis failed."])),
    ("not_fails.stp", "# RUN: not %mstap -p1 %s | FileCheck %s\n# AUTOUPDATE\nprobe begin { }\n",
     ("refused", "its `not` says it fails")),
    ("fails.stp", "# RUN: %mstap -p1 %s | FileCheck %s\n# AUTOUPDATE\nprobe begin { x = }\n",
     ("refused", "no `not` says it should fail")),
    ("machine_path.stp",
     "# RUN: %mstap -p1 %s | FileCheck %s\n# AUTOUPDATE\nprobe begin { println(\"/usr/lib/x\") }\n",
     ("refused", "paths of this machine")),
    ("end_of_file.stp",
     "# RUN: not %mstap -p1 %s 2>&1 | FileCheck %s\n# AUTOUPDATE\nprobe begin {\n",
     ("refused", "past its last line")),
    ("same_prefix.stp",
     "# RUN: %mstap -p1 %s | FileCheck %s\n# AUTOUPDATE\n# CHECK: probe begin\nprobe begin { }\n",
     ("refused", "outside the generated block")),
]


def self_test(config, filecheck):
    """Runs the tool on SELF_TEST_CASES in a temporary source folder; the
    number of failures."""
    source = tempfile.mkdtemp(prefix="update-lang-checks-self.")
    saved, config.test_source_root = config.test_source_root, source
    failures = 0
    try:
        for name, text, (kind, want) in SELF_TEST_CASES:
            path = os.path.join(source, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            try:
                new, _ = regenerate(path, config, filecheck)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
                again, _ = regenerate(path, config, filecheck)
                problem = None
                if kind == "refused":
                    problem = "was not refused"
                elif again != new:
                    problem = "is not current right after its rewrite"
                else:
                    missing = [w for w in want if w not in new.split("\n") and
                               not any(line.startswith(w) for line in new.split("\n"))]
                    if missing:
                        problem = "lacks " + "; ".join(missing) + "\n" + new
                # A line of the block edited by hand is stale: the tool
                # must write it back.
                block = new.find(BEGIN) if not problem else -1
                if block >= 0 and "-NEXT:" in new[block:]:
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(new[:block] + new[block:].replace("-NEXT:", "-NEXT: x", 1))
                    if regenerate(path, config, filecheck)[0] != new:
                        problem = "does not restore a stale line"
                elif not problem:
                    problem = "has no -NEXT line to make stale"
            except Refused as e:
                problem = None if kind == "refused" and want in str(e) else f"refused: {e}"
            if problem:
                failures += 1
                print(f"self-test {name}: {problem}", file=sys.stderr)
    finally:
        config.test_source_root = saved
        shutil.rmtree(source, ignore_errors=True)
    print(f"update-lang-checks: self-test: {len(SELF_TEST_CASES) - failures} of {len(SELF_TEST_CASES)} as expected")
    return failures


def opted_in_files(paths):
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith(".stp"):
                        yield os.path.join(root, name)
        else:
            yield path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build", help="the build folder (default: ./build)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a golden is stale")
    parser.add_argument("--self-test", action="store_true",
                        help="first run the tool on its own cases (escapes, paths, refusals, staleness)")
    parser.add_argument("paths", nargs="*", help="cases or folders (default: tests/lang)")
    args = parser.parse_args()
    config = load_lit_config(os.path.abspath(args.build))
    filecheck = shutil.which("FileCheck", path=config.environment["PATH"])
    if not filecheck:
        sys.exit("update-lang-checks: FileCheck is not in the lit configuration's PATH")
    if args.self_test and self_test(config, filecheck):
        return 2
    stale, refused, current = [], [], 0
    for path in opted_in_files(args.paths or [os.path.join(REPO, "tests", "lang")]):
        shown = os.path.relpath(os.path.abspath(path), REPO)
        try:
            new, note = regenerate(path, config, filecheck)
        except Refused as e:
            refused.append(shown)
            print(f"{shown}: refused: {e}", file=sys.stderr)
            continue
        if new is None:
            if args.paths and not os.path.isdir(path):
                print(f"{shown}: no '# AUTOUPDATE' line: left alone")
            continue
        if note:
            print(f"{shown}: {note}")
            continue
        old = open(path, encoding="utf-8", errors="surrogateescape").read()
        if new == old:
            current += 1
            continue
        stale.append(shown)
        if args.check:
            print(f"{shown}: the generated checks are stale (run tools/update-lang-checks.py {shown})")
        else:
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), shown, shown, lineterm="", n=1)
            print("\n".join(diff))
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(new)
    verb = "stale" if args.check else "rewritten"
    print(f"update-lang-checks: {current} current, {len(stale)} {verb}, {len(refused)} refused")
    if refused:
        return 2
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
