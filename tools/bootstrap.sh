#!/bin/bash
# The two commands of the README.
#   tools/bootstrap.sh run   installs what is missing, builds, runs the bundled example
#   tools/bootstrap.sh test  installs what is missing, builds, runs every test
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-run}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=false
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
has_candidate() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}
# Installs linux-headers-RELEASE when it is missing and apt offers it; false,
# with a message, when it does not.
ensure_headers() {
  local package=linux-headers-$1
  installed "$package" && [ -f "/usr/src/$package/Module.symvers" ] && return 0
  if ! has_candidate "$package" && ! $apt_updated; then
    $sudo apt-get update -qq || true
    apt_updated=true
  fi
  if ! has_candidate "$package"; then
    echo "bootstrap: $package is not in the configured apt sources; its kbuild tests are skipped" >&2
    return 1
  fi
  echo "installing: $package"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null &&
    [ -f "/usr/src/$package/Module.symvers" ]
}
# A Debian 12 6.12 kernel release (6.12.N+deb12-amd64): the newest one whose
# headers are installed, else the newest the apt sources offer.
pick_612_release() {
  local pattern='^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' found
  found=$(dpkg-query -W -f='${Package} ${Status}\n' 'linux-headers-6.12.*+deb12-amd64' 2>/dev/null |
    awk '/install ok installed/ {print $1}' | grep -E "$pattern" | sort -V | tail -n1 || true)
  if [ -z "$found" ]; then
    found=$(apt-cache search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | sort -V | tail -n1 || true)
  fi
  if [ -z "$found" ]; then
    echo "bootstrap: no linux-headers-6.12.*+deb12-amd64 in the configured apt sources" \
      "(Debian 12 gets 6.12 from bookworm-security/bookworm-backports); its kbuild tests are skipped" >&2
    return 1
  fi
  echo "${found#linux-headers-}"
}
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
case "$what" in
  run)
    # This machine may not load modules: the bundled script runs in a
    # throw-away VM booting Debian's 6.1 kernel (fetched once, not installed).
    sysroot=$(tools/fetch-kernel)
    release=$(basename "$sysroot")
    if ! installed "linux-headers-$release"; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "linux-headers-$release" >/dev/null
    fi
    echo "+ mstap -v --vm --sysroot $sysroot -r $release examples/hello.stp"
    ./build/mstap -v --vm --sysroot "$sysroot" -r "$release" examples/hello.stp
    ;;
  test)
    # The real Debian 6.1 kernel (downloaded once, unpacked, never installed)
    # for the tests that read a kernel image.
    sysroot=$(tools/fetch-kernel)
    release=$(basename "$sysroot")
    export MSTAP_TEST_SYSROOT=$sysroot MSTAP_TEST_RELEASE=$release
    # Its headers, to build modules for it (tests/vm).
    if ! installed "linux-headers-$release"; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "linux-headers-$release" >/dev/null
    fi
    # More header trees for the kbuild tests (mstap_build_tests,
    # tests/runtime/kbuild-check.sh): the -rt flavour of the same release and
    # a 6.12 kernel, listed in MSTAP_TEST_HEADER_TREES (the ones that exist).
    trees=()
    rt_release=${release%-amd64}-rt-amd64
    if ensure_headers "$rt_release"; then trees+=("/usr/src/linux-headers-$rt_release"); fi
    if release_612=$(pick_612_release) && ensure_headers "$release_612"; then
      trees+=("/usr/src/linux-headers-$release_612")
    fi
    MSTAP_TEST_HEADER_TREES=$(IFS=:; echo "${trees[*]}")
    export MSTAP_TEST_HEADER_TREES
    echo "+ MSTAP_TEST_HEADER_TREES=$MSTAP_TEST_HEADER_TREES"
    ctest --test-dir build --output-on-failure -j2
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
