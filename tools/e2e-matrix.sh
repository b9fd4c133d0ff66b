#!/bin/bash
# Runs the end-to-end lit suite (tests/e2e) through `mstap --vm` on every
# kernel of the matrix, one release after the other, and prints a table of
# the results. The CMake target `e2e-matrix` calls it on the whole suite
# (never part of `all` or ctest); ctest's e2e_kernel_lines on a subset:
#
#   cmake --build BUILD --target e2e-matrix
#   tools/e2e-matrix.sh [--build BUILD] [-j N] [--subset FILE] [--header-trees] [RELEASE...]
#
# Releases: the arguments; else, with --header-trees, those of the header
# trees in $MSTAP_TEST_HEADER_TREES (tools/bootstrap.sh test sets it to the
# 6.1-rt and 6.12 trees; unset or empty: exit 77, skipped); else
# $MSTAP_MATRIX_RELEASES; else the kernel lines README.md promises, picked
# as tools/bootstrap.sh picks them (tools/kernel-lines.sh): the newest 6.1
# release, its -rt flavour, the newest 6.12. For each, the kernel image is
# fetched and unpacked with tools/fetch-kernel (nothing is installed); the
# headers (linux-headers-RELEASE, which pass 4 builds against) must be
# installed already: when they are missing the release is skipped and the
# apt command that installs them is printed. --subset FILE runs only the
# cases FILE lists (one file name a line, # comments; ctest's
# e2e_kernel_lines runs tests/e2e/kernel-lines.txt). Each release's lit
# output goes to BUILD/e2e-matrix/RELEASE.log. Exit status: 0 when every
# release ran and passed, 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
build=${MSTAP_BUILD_DIR:-$source_dir/build}
jobs=2

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
releases=()
subset=""
from_header_trees=false
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=${2:?--build needs a folder}; shift 2 ;;
    -j) jobs=${2:?-j needs a number}; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --subset) subset=${2:?--subset needs a file}; shift 2 ;;
    --header-trees) from_header_trees=true; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "e2e-matrix: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) releases+=("$1"); shift ;;
  esac
done
if [ ${#releases[@]} -eq 0 ] && $from_header_trees; then
  IFS=: read -r -a trees <<< "${MSTAP_TEST_HEADER_TREES:-}"
  for tree in "${trees[@]}"; do
    [ -n "$tree" ] && releases+=("$(basename "$tree" | sed 's/^linux-headers-//')")
  done
  if [ ${#releases[@]} -eq 0 ]; then
    echo "e2e-matrix: MSTAP_TEST_HEADER_TREES names no header tree (tools/bootstrap.sh test sets it): skipped"
    exit 77
  fi
fi
if [ ${#releases[@]} -eq 0 ] && [ -n "${MSTAP_MATRIX_RELEASES:-}" ]; then
  # shellcheck disable=SC2206
  releases=($MSTAP_MATRIX_RELEASES)
fi
if [ ${#releases[@]} -eq 0 ]; then
  # shellcheck source=tools/kernel-lines.sh
  source "$here/kernel-lines.sh"
  sysroot_61=$("$here/fetch-kernel") || { echo "e2e-matrix: tools/fetch-kernel found no 6.1 release" >&2; exit 2; }
  release_61=$(basename "$sysroot_61")
  release_612=$(kernel_line_612) || exit 2
  releases=("$release_61" "$(kernel_line_rt "$release_61")" "$release_612")
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
# The cases to run: the whole suite, or those --subset lists.
cases=("$suite")
if [ -n "$subset" ]; then
  [ -f "$subset" ] || { echo "e2e-matrix: no subset list $subset" >&2; exit 2; }
  cases=()
  while read -r name; do
    case "$name" in ''|'#'*) continue ;; esac
    [ -f "$source_dir/tests/e2e/$name" ] || { echo "e2e-matrix: $subset names $name, which is no case of tests/e2e" >&2; exit 2; }
    cases+=("$suite/$name")
  done < "$subset"
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
    "$here/lit.sh" -sv -j"$jobs" "${cases[@]}" >"$log" 2>&1
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
