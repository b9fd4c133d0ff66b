#!/bin/sh
# The .deb CPack makes: its name, its Depends (every shared library mstap
# links, by its Debian package, and make and gcc) and Recommends; unpacked
# into a fresh folder (dpkg -x), the installed mstap builds examples/hello.stp
# (-p4) from a folder outside the source tree with its installed runtime,
# and with --vm also runs it in a VM booted with mstap-runner from the package.
#   package.sh BUILD_DIR SOURCE_DIR [--vm]
# Pass 4 needs linux-headers-RELEASE: RELEASE is $MSTAP_TEST_RELEASE, else
# the first /usr/src/linux-headers-*-amd64 (exit 77, skipped, without one);
# --vm needs $MSTAP_TEST_SYSROOT (tools/fetch-kernel) too.
set -eu
build=$1 src=$2 mode=${3:-}
tmp=$(mktemp -d /tmp/mstap-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "package: $*"; exit 1; }

release=${MSTAP_TEST_RELEASE:-}
if [ -z "$release" ]; then
  for tree in /usr/src/linux-headers-*-amd64; do
    [ -f "$tree/Makefile" ] && { release=${tree#/usr/src/linux-headers-}; break; }
  done
fi
[ -n "$release" ] || { echo "no kernel headers (linux-headers-*-amd64): skipped"; exit 77; }
if [ "$mode" = --vm ] && [ -z "${MSTAP_TEST_SYSROOT:-}" ]; then
  echo "MSTAP_TEST_SYSROOT is not set: skipped"; exit 77
fi

cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack failed"; }
version=$(sed -n 's/^project(mstap VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb=$tmp/out/mstap_${version}_amd64.deb
[ -f "$deb" ] || { ls "$tmp/out"; fail "no $deb"; }

# Depends: make, gcc, and the package of every library mstap needs.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
has() { echo ", $1," | grep -q ", $2[ ,(]"; }
for p in make gcc; do has "$depends" "$p" || fail "Depends lacks $p"; done
for soname in $(readelf -d "$build/mstap" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  owner=
  for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64; do
    owner=$(dpkg -S "$dir/$soname" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
  done
  [ -n "$owner" ] || fail "no Debian package owns $soname"
  has "$depends" "$owner" || fail "Depends lacks $owner (for $soname)"
done
recommends=$(dpkg-deb -f "$deb" Recommends)
[ "$recommends" = "linux-headers-amd64, qemu-system-x86, busybox-static" ] || fail "Recommends: $recommends"

dpkg -x "$deb" "$tmp/root"
for page in man1/mstap.1 man7/mstap-probes.7 man7/mstap-functions.7 man8/mstap-runner.8; do
  [ -f "$tmp/root/usr/share/man/$page" ] || fail "no $page in the package"
done
[ -f "$tmp/root/usr/share/bash-completion/completions/mstap" ] || fail "no bash completion in the package"
mstap=$tmp/root/usr/bin/mstap
mkdir "$tmp/work"
cd "$tmp/work"
unset MSTAP_RUNTIME_DIR MSTAP_RUNNER
"$mstap" --version | grep -qx "runtime: $tmp/root/usr/share/mstap/runtime" || fail "the runtime is not the package's"
cp "$tmp/root/usr/share/mstap/examples/hello.stp" .
if [ "$mode" = --vm ]; then
  out=$("$mstap" --vm --sysroot "$MSTAP_TEST_SYSROOT" -r "$release" hello.stp 2>"$tmp/err") ||
    { cat "$tmp/err"; fail "mstap --vm failed"; }
  [ "$out" = "hello world" ] || { cat "$tmp/err"; fail "mstap --vm printed '$out'"; }
  echo "the packaged mstap --vm, kernel $release: ok"
else
  ko=$("$mstap" -p4 --disable-cache -r "$release" hello.stp 2>"$tmp/err") || { cat "$tmp/err"; fail "mstap -p4 failed"; }
  [ -f "$ko" ] || fail "-p4 printed '$ko', which is not a file"
  vermagic=$(modinfo -F vermagic "$ko")
  case "$vermagic" in "$release "*) ;; *) fail "vermagic '$vermagic' is not $release's" ;; esac
  echo "the packaged mstap -p4, kernel $release: $ko ok"
fi
