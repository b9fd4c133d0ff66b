#!/bin/bash
# Builds the runtime headers as kernel code: a module that includes every
# header in runtime/ and calls every function, built by kbuild with the
# kernel's own flags plus -Werror. The module is never loaded.
#
#   tests/runtime/kbuild-check.sh [KERNEL_BUILD_DIR]
#
# KERNEL_BUILD_DIR defaults to the newest /usr/src/linux-headers-*-amd64
# (Debian: linux-headers-6.1.0-N-amd64, which pulls in linux-kbuild-6.1 and
# gcc-12). Exit status: 0 built without a warning, 1 failed, 77 no kernel
# headers (ctest reports the test as skipped).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runtime=$(cd "$here/../../runtime" && pwd)

kdir=${1:-}
if [ -z "$kdir" ]; then
  kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$kdir" ] || [ ! -f "$kdir/Makefile" ]; then
  echo "kbuild-check: no kernel headers (install linux-headers-6.1.0-N-amd64); skipped"
  exit 77
fi

work=$(mktemp -d /tmp/mstap-kbuild.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$here/kbuild/mstap_kbuild_check.c" "$work/"
cat > "$work/Kbuild" <<EOF
obj-m := mstap_kbuild_check.o
ccflags-y += -I$runtime -Werror -Wframe-larger-than=1024
EOF

echo "kbuild-check: $kdir"
if ! make -C "$kdir" M="$work" modules > "$work/build.log" 2>&1; then
  cat "$work/build.log"
  echo "kbuild-check: FAILED"
  exit 1
fi
# -Werror turns warnings into failures; modpost notes are not compiler
# warnings, but any line that says "warning" is reported all the same.
if grep -i "warning" "$work/build.log"; then
  cat "$work/build.log"
  echo "kbuild-check: FAILED (warnings)"
  exit 1
fi
cat "$work/build.log"
echo "kbuild-check: OK, $(stat -c %s "$work/mstap_kbuild_check.ko") bytes, no warnings"
