#!/bin/bash
# Runs the end-to-end lit suite (tests/e2e) through `mstap --vm` on every
# kernel of the matrix, one release after the other, and prints a table of
# the results. The CMake target `e2e-matrix` calls it (never part of `all`
# or ctest):
#
#   cmake --build BUILD --target e2e-matrix
#   tools/e2e-matrix.sh [--build BUILD] [-j N] [RELEASE...]
#
# Releases: the arguments, else $MSTAP_MATRIX_RELEASES, else Debian 12's
# 6.1.0-56-amd64, 6.1.0-56-rt-amd64 and 6.12.107+deb12-amd64. For each, the
# kernel image is fetched and unpacked with tools/fetch-kernel (nothing is
# installed); the headers (linux-headers-RELEASE, which pass 4 builds
# against) must be installed already: when they are missing the release is
# skipped and the apt command that installs them is printed. Each release's
# lit output goes to BUILD/e2e-matrix/RELEASE.log. Exit status: 0 when every
# release ran and passed, 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
build=${MSTAP_BUILD_DIR:-$source_dir/build}
jobs=2

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
releases=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=${2:?--build needs a folder}; shift 2 ;;
    -j) jobs=${2:?-j needs a number}; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "e2e-matrix: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) releases+=("$1"); shift ;;
  esac
done
if [ ${#releases[@]} -eq 0 ]; then
  # shellcheck disable=SC2206
  releases=(${MSTAP_MATRIX_RELEASES:-6.1.0-56-amd64 6.1.0-56-rt-amd64 6.12.107+deb12-amd64})
fi
build=$(cd "$build" 2>/dev/null && pwd) || { echo "e2e-matrix: no build folder $build" >&2; exit 2; }
for binary in mstap mstap-runner; do
  [ -x "$build/$binary" ] || [ -x "$build/compiler/run/$binary" ] ||
    { echo "e2e-matrix: $build has no $binary; build it first (ninja -C $build mstap mstap-runner)" >&2; exit 2; }
done

# The suite as CMake configured it, else straight from the sources.
if [ -f "$build/tests/e2e/lit.site.cfg.py" ]; then
  suite=$build/tests/e2e
else
  suite=$source_dir/tests/e2e
  export MSTAP_BUILD_DIR=$build
fi
logs=$build/e2e-matrix
mkdir -p "$logs"

declare -A outcome
failed_any=false
for release in "${releases[@]}"; do
  echo "=== e2e-matrix: $release"
  headers=/usr/src/linux-headers-$release
  if [ ! -f "$headers/Makefile" ] && [ ! -f "/lib/modules/$release/build/Makefile" ]; then
    echo "e2e-matrix: no headers for $release; install them with:"
    echo "    sudo apt-get install linux-headers-$release"
    outcome[$release]="skipped: no linux-headers-$release"
    failed_any=true
    continue
  fi
  if ! sysroot=$("$here/fetch-kernel" "$release"); then
    outcome[$release]="skipped: tools/fetch-kernel $release failed"
    failed_any=true
    continue
  fi
  log=$logs/$release.log
  echo "e2e-matrix: sysroot $sysroot; lit -j$jobs, log in $log"
  start=$(date +%s)
  MSTAP_TEST_SYSROOT=$sysroot MSTAP_TEST_RELEASE=$release \
    "$here/lit.sh" -sv -j"$jobs" "$suite" >"$log" 2>&1
  status=$?
  seconds=$(( $(date +%s) - start ))
  # lit's totals: "  Passed           : 63", "  Failed: 2" (lit 14 pads the names)
  counts=$(grep -E '^ *(Passed|Failed|Unsupported|Unresolved|Timed Out|Expectedly Failed|Unexpectedly Passed|Skipped|Excluded) *: *[0-9]+' "$log" |
             sed -E 's/^ +//; s/ *: */ /' | paste -sd, - | sed 's/,/, /g')
  [ -n "$counts" ] || counts="no totals (see the log)"
  outcome[$release]="$counts (lit exit $status, ${seconds}s)"
  failures=$(sed -n '/^Failed Tests (/,/^$/p;/^Timed Out Tests (/,/^$/p;/^Unresolved Tests (/,/^$/p' "$log" |
               grep -E '::' | sed -E 's/^ +//')
  if [ -n "$failures" ]; then
    echo "e2e-matrix: $release: not passed:"
    printf '%s\n' "$failures" | sed 's/^/    /'
  fi
  [ "$status" -eq 0 ] || failed_any=true
  echo "e2e-matrix: $release: ${outcome[$release]}"
done

echo
echo "=== e2e-matrix summary"
for release in "${releases[@]}"; do
  printf '  %-26s %s\n' "$release" "${outcome[$release]}"
done
$failed_any && exit 1
exit 0
