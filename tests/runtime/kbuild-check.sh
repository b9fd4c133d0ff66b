#!/bin/bash
# Builds the runtime headers as kernel code, with kbuild, the kernel's own
# flags and -Werror; the modules are never loaded:
#   kbuild/    includes every library header and calls every function;
#   module/    a module written the way pass 3 generates one: the module
#              core (mstap_module.h) with every kind of probe.
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
build() {
  local name=$1 source=$2 tree=$3
  local dir="$work/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$source"/*.c "$dir/"
  if [ -f "$source/Kbuild" ]; then
    cp "$source/Kbuild" "$dir/"
  else
    cat > "$dir/Kbuild" <<KBUILD
obj-m := mstap_kbuild_check.o
ccflags-y += -I\$(MSTAP_RUNTIME) -Werror -Wframe-larger-than=1024
KBUILD
  fi
  if ! make -C "$tree" M="$dir" MSTAP_RUNTIME="$runtime" modules > "$dir/build.log" 2>&1; then
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
  build kbuild "$here/kbuild" "$tree" || failed=1
  build module "$here/module" "$tree" || failed=1
done
exit $failed
