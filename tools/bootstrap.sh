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
    echo "+ mstap -v -p1 examples/hello.stp"
    ./build/mstap -v -p1 examples/hello.stp
    ;;
  test)
    # The real Debian 6.1 kernel (downloaded once, unpacked, never installed)
    # for the tests that read a kernel image.
    sysroot=$(tools/fetch-kernel)
    export MSTAP_TEST_SYSROOT=$sysroot MSTAP_TEST_RELEASE=$(basename "$sysroot")
    ctest --test-dir build --output-on-failure -j2
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
