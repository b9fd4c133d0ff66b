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
# shellcheck source=tools/kernel-lines.sh
source tools/kernel-lines.sh
# Installs linux-headers-RELEASE when it is missing and apt offers it; false,
# with the command that fixes it, when that cannot be done.
ensure_headers() {
  local package=linux-headers-$1
  installed "$package" && [ -f "/usr/src/$package/Module.symvers" ] && return 0
  if ! has_candidate "$package" && ! $apt_updated; then
    $sudo apt-get update -qq || true
    apt_updated=true
  fi
  if ! has_candidate "$package"; then
    echo "bootstrap: $package is not in the configured apt sources; add Debian 12's security archive:" >&2
    kernel_line_sources_fix >&2
    return 1
  fi
  echo "installing: $package"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null ||
     [ ! -f "/usr/src/$package/Module.symvers" ]; then
    echo "bootstrap: $package did not install; see apt's message above, then:" >&2
    echo "    sudo apt-get install --no-install-recommends $package" >&2
    return 1
  fi
}
# Unpacks a kernel image for the VM (tools/fetch-kernel); false, with the
# command to run for the reason, when it cannot.
ensure_image() {
  tools/fetch-kernel "$1" >/dev/null && return 0
  echo "bootstrap: the kernel image $1 could not be unpacked; see the message above, then:" >&2
  echo "    tools/fetch-kernel $1" >&2
  return 1
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
    # Every kernel line README.md promises is set up before a test runs: the
    # headers of 6.1 (pass 4 and tests/vm build modules for it), of its -rt
    # flavour and of 6.12 (build_clean, kbuild-check and mstap_build_tests
    # build against them: MSTAP_TEST_HEADER_TREES), and the -rt and 6.12
    # images (e2e_kernel_lines boots them). A line that cannot be set up
    # stops the run here, with the command that fixes it, rather than its
    # tests passing on 6.1 alone.
    ready=true
    ensure_headers "$release" || ready=false
    rt_release=$(kernel_line_rt "$release")
    if ! release_612=$(kernel_line_612 2>/dev/null); then
      $apt_updated || { $sudo apt-get update -qq || true; apt_updated=true; }
      release_612=$(kernel_line_612) || { echo "bootstrap: no 6.12 kernel line (see above)" >&2; ready=false; }
    fi
    trees=()
    for line_release in "$rt_release" ${release_612:+"$release_612"}; do
      if ensure_headers "$line_release" && ensure_image "$line_release"; then
        trees+=("/usr/src/linux-headers-$line_release")
      else
        ready=false
      fi
    done
    if ! $ready; then
      echo "bootstrap: the tests need the kernel lines 6.1, 6.1-rt and 6.12 ($release, $rt_release," \
        "${release_612:-no 6.12 release}); run the commands above, then tools/bootstrap.sh test again" >&2
      exit 1
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
