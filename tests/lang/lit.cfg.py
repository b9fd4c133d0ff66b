# lit configuration for the .stp language cases. Each case names its own
# command in a RUN: line and its expected output or error in CHECK: lines.
#
# Generated listings: a case with a line "# AUTOUPDATE" (or "# AUTOUPDATE:
# PREFIX") ends with a block between "# CHECK-AUTOUPDATE-BEGIN PREFIX" and
# "# CHECK-AUTOUPDATE-END PREFIX" that tools/update-lang-checks.py writes
# from the output its RUN line feeds to FileCheck with that prefix: every
# line in order (PREFIX: then PREFIX-NEXT:, PREFIX-EMPTY: for a blank line),
# then "PREFIX-NOT: {{.}}" for the end; paths of the machine become
# {{.*}} patterns. After changing mstap's output, regenerate and read the
# diff it prints (tools/update-lang-checks.py [--build DIR] [CASE...]); the
# ctest lang_goldens_current runs it with --self-test --check. Hand-written
# checks (the [[@LINE]] pins next to the line they check, CHECK-DAG,
# regexes) are never touched: only cases that opt in, and only their block. A block's prefix
# must not be used by checks outside it (FileCheck would run those first):
# a case that keeps hand-written CHECKs gives the block a RUN line and a
# prefix of its own. The tool reads this file (through lit.site.cfg.py) for
# the substitutions and the environment, so keep it plain Python.
import lit.formats

config.name = "mstap-lang"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".stp"]
# Library scripts the cases load with -I: not cases themselves.
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mstap_build_dir, "tests", "lang")
config.substitutions.append(("%mstap", config.mstap_binary))
# Small kernel ELF files with BTF, built by compiler/kernel's tests.
config.substitutions.append(("%kernel_fixtures", config.kernel_fixtures))
# The user-space test program tests/user/probed.c and its builds (-g,
# -g -static, without -g), for process(...) probe points.
config.substitutions.append(("%user_fixtures", os.path.join(config.mstap_build_dir, "tests", "user")))
config.substitutions.append(("%user_source", os.path.join(
    os.path.dirname(os.path.dirname(config.test_source_root)), "tests", "user", "probed.c")))
config.environment["PATH"] = os.pathsep.join([config.llvm_tools_dir, config.environment.get("PATH", "/usr/bin:/bin")])
config.environment["NO_COLOR"] = "1"

# Cases that read the real Debian kernel (tools/fetch-kernel) say
# "REQUIRES: debian-kernel" and use %sysroot and %release.
sysroot = os.environ.get("MSTAP_TEST_SYSROOT")
release = os.environ.get("MSTAP_TEST_RELEASE")
if sysroot and release:
    config.available_features.add("debian-kernel")
    config.substitutions.append(("%sysroot", sysroot))
    config.substitutions.append(("%release", release))
    config.environment["MSTAP_TEST_SYSROOT"] = sysroot
for name in ("HOME", "XDG_CACHE_HOME"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
