#!/bin/bash
# The two commands of the README.
#   tools/bootstrap.sh run   installs what is missing, builds, runs the bundled example
#   tools/bootstrap.sh test  installs what is missing, builds, runs every test
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-run}
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
case "$what" in
  run)
    echo "+ mstap -v -p2 examples/hello.stp"
    ./build/mstap -v -p2 examples/hello.stp
    ;;
  test)
    # The real Debian 6.1 kernel (downloaded once, unpacked, never installed)
    # for the tests that read a kernel image.
    sysroot=$(tools/fetch-kernel)
    release=$(basename "$sysroot")
    export MSTAP_TEST_SYSROOT=$sysroot MSTAP_TEST_RELEASE=$release
    # Its headers, to build modules for it (tests/vm).
    if ! dpkg-query -W -f='${Status}' "linux-headers-$release" 2>/dev/null | grep -q "install ok installed"; then
      sudo=""
      [ "$(id -u)" -eq 0 ] || sudo="sudo"
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "linux-headers-$release" >/dev/null
    fi
    ctest --test-dir build --output-on-failure -j2
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
