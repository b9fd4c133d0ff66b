# lit configuration for the .stp language cases. Each case names its own
# command in a RUN: line and its expected output or error in CHECK: lines.
import lit.formats

config.name = "mstap-lang"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".stp"]
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
