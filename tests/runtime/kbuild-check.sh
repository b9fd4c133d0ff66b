#!/bin/bash
# Builds the runtime as kernel code, with kbuild, the kernel's own flags and
# -Werror; the modules are never loaded:
#   kbuild/    includes every library header and calls every function;
#   module/    a module written the way pass 3 generates one: the module
#              core (mstap_module.h) with every kind of probe.
# Each is linked as pass 4 links a script's module: its own file plus the
# runtime's .c files (runtime/*.c) as objects of their own.
#
#   tests/runtime/kbuild-check.sh [KERNEL_BUILD_DIR]
#
# KERNEL_BUILD_DIR defaults to the newest /usr/src/linux-headers-6.1.0-N-amd64
# (Debian: linux-headers-6.1.0-N-amd64, which pulls in linux-kbuild-6.1 and
# gcc-12), else the newest /usr/src/linux-headers-*-amd64. Every build tree
# named in MSTAP_TEST_HEADER_TREES (colon-separated, e.g. an -rt-amd64 tree
# and a 6.12 one) is checked as well; a named tree that does not exist fails
# the check. Exit status: 0 built without a warning everywhere, 1 failed,
# 77 no kernel headers at all (ctest reports the test as skipped).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime=$(cd "$here/../../runtime" && pwd)

trees=()
kdir=${1:-}
if [ -z "$kdir" ]; then
  kdir=$(ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | grep -v -- '-rt-amd64$' | sort -V | tail -n 1 || true)
fi
if [ -z "$kdir" ]; then
  kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -n "$kdir" ] && [ -f "$kdir/Makefile" ]; then
  trees+=("$kdir")
fi
if [ -n "${MSTAP_TEST_HEADER_TREES:-}" ]; then
  IFS=: read -r -a extra <<< "$MSTAP_TEST_HEADER_TREES"
  for tree in "${extra[@]}"; do
    [ -z "$tree" ] && continue
    if [ ! -f "$tree/Makefile" ]; then
      echo "kbuild-check: MSTAP_TEST_HEADER_TREES names $tree, which is no kernel build tree"
      exit 1
    fi
    trees+=("$tree")
  done
fi
if [ ${#trees[@]} -eq 0 ]; then
  echo "kbuild-check: no kernel headers (install linux-headers-6.1.0-N-amd64); skipped"
  exit 77
fi

work=$(mktemp -d /tmp/mstap-kbuild.XXXXXX)
trap 'rm -rf "$work"' EXIT

# build NAME SOURCE_DIR TREE: one module, -Werror, no line saying "warning".
# SOURCE_DIR holds one .c file (and optionally a Kbuild whose ccflags-y line
# is kept); it becomes NAME_script.o, linked with mstap_runtime/*.o.
build() {
  local name=$1 source=$2 tree=$3
  local dir="$work/$name" flags="-I\$(MSTAP_RUNTIME) -Werror -Wframe-larger-than=1024"
  local objects="${name}_script.o" file
  rm -rf "$dir"
  mkdir -p "$dir/mstap_runtime"
  cp "$source"/*.c "$dir/${name}_script.c"
  for file in "$runtime"/*.c; do
    cp "$file" "$dir/mstap_runtime/"
    objects+=" mstap_runtime/$(basename "${file%.c}").o"
  done
  if [ -f "$source/Kbuild" ]; then
    flags=$(sed -n 's/^ccflags-y *+\?= *//p' "$source/Kbuild")
  fi
  cat > "$dir/Kbuild" <<KBUILD
obj-m := $name.o
$name-y := $objects
ccflags-y += $flags -DMSTAP_RUNTIME_LINKED
KBUILD
  if ! make -j2 -C "$tree" M="$dir" MSTAP_RUNTIME="$runtime" modules > "$dir/build.log" 2>&1; then
    cat "$dir/build.log"
    echo "kbuild-check: $name against $tree FAILED"
    return 1
  fi
  # -Werror turns warnings into failures; modpost notes are not compiler
  # warnings, but any line that says "warning" is reported all the same.
  if grep -i "warning" "$dir/build.log"; then
    cat "$dir/build.log"
    echo "kbuild-check: $name against $tree FAILED (warnings)"
    return 1
  fi
  local ko
  ko=$(ls "$dir"/*.ko)
  echo "kbuild-check: $name against $tree OK, $(stat -c %s "$ko") bytes, no warnings"
}

failed=0
for tree in "${trees[@]}"; do
  echo "kbuild-check: $tree"
  build mstap_kbuild_check "$here/kbuild" "$tree" || failed=1
  build mstap_rt_test "$here/module" "$tree" || failed=1
done
exit $failed
