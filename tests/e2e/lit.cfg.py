# lit configuration for the end-to-end cases: each .stp case is translated,
# built, and run by `mstap --vm` in a throwaway Debian virtual machine, and its
# output is checked with FileCheck. Every case says "REQUIRES: vm".
#
# The feature "vm" exists only when MSTAP_TEST_SYSROOT (an unpacked Debian
# kernel, tools/fetch-kernel) and MSTAP_TEST_RELEASE (its release) are set.
#
# The build directory comes from lit.site.cfg.py (configured by CMake, as for
# tests/lang) when there is one; run straight from the source tree
# (tools/lit.sh -v tests/e2e) it is MSTAP_BUILD_DIR, else lit's --param
# build=DIR, else the checkout's build/.
import os
import lit.formats

config.name = "mstap-e2e"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".stp"]
config.test_source_root = os.path.dirname(__file__)

if not hasattr(config, "mstap_build_dir"):
    root = os.path.dirname(os.path.dirname(config.test_source_root))
    build = (os.environ.get("MSTAP_BUILD_DIR")
             or lit_config.params.get("build")
             or os.path.join(root, "build"))
    config.mstap_build_dir = os.path.abspath(build)
    config.mstap_binary = os.path.join(config.mstap_build_dir, "mstap")
if not hasattr(config, "llvm_tools_dir"):
    config.llvm_tools_dir = "/usr/lib/llvm-14/bin"
config.test_exec_root = os.path.join(config.mstap_build_dir, "tests", "e2e")
os.makedirs(config.test_exec_root, exist_ok=True)

config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, config.environment.get("PATH", "/usr/bin:/bin")])
config.environment["NO_COLOR"] = "1"
for name in ("HOME", "XDG_CACHE_HOME", "TMPDIR"):
    if name in os.environ:
        config.environment[name] = os.environ[name]

config.substitutions.append(("%mstap-vm", "%s --vm --sysroot %s -r %s" % (
    config.mstap_binary,
    os.environ.get("MSTAP_TEST_SYSROOT", "/nonexistent"),
    os.environ.get("MSTAP_TEST_RELEASE", "none"))))
config.substitutions.append(("%mstap", config.mstap_binary))
# The user-space test program tests/user/probed.c, built -g -static for the
# VM (its initramfs has no C library) by compiler/kernel's CMake.
config.substitutions.append(("%user_fixtures", os.path.join(config.mstap_build_dir, "tests", "user")))

# SystemTap's own example scripts (Debian's systemtap-doc), for the cases
# that run them: they say "REQUIRES: stap-examples" and use %stap_examples.
for examples in ("/usr/share/systemtap/examples", "/usr/share/doc/systemtap/examples"):
    if os.path.isdir(examples):
        config.available_features.add("stap-examples")
        config.substitutions.append(("%stap_examples", examples))
        break

sysroot = os.environ.get("MSTAP_TEST_SYSROOT")
release = os.environ.get("MSTAP_TEST_RELEASE")
if sysroot and release:
    config.available_features.add("vm")
    config.substitutions.append(("%sysroot", sysroot))
    config.substitutions.append(("%release", release))
    config.environment["MSTAP_TEST_SYSROOT"] = sysroot
    config.environment["MSTAP_TEST_RELEASE"] = release
