#!/bin/bash
# Installs, from Debian 12's packages, what mstap needs to build and test.
# Asks apt only when something is missing, so a second run costs nothing.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config python3
  antlr4 libantlr4-runtime-dev          # the grammar tool (4.7.2) and runtime (4.9)
  llvm-14-dev llvm-14-tools             # LLVM libraries; FileCheck and lit for the tests
  libncurses-dev                        # -ltinfo, which LLVM's static Support library calls
  clang-14 libclang-rt-14-dev           # the libFuzzer front-end target
  libfmt-dev libgtest-dev libbenchmark-dev
  libbpf-dev liblzma-dev libzstd-dev zlib1g-dev liblz4-dev   # BTF, and kernel-image payloads
  qemu-system-x86 busybox-static        # the throwaway VM that runs modules (--vm, tests/vm)
  systemtap-doc                         # SystemTap's example scripts: the examples_sweep oracle
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
