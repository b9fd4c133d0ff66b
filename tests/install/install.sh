#!/bin/sh
# cmake --install into a fresh folder; the installed mstap, run from outside
# the source tree, finds its installed runtime, not the source tree's, and
# translates an installed example.
#   install.sh BUILD_DIR
set -eu
build=$1
tmp=$(mktemp -d /tmp/mstap-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

DESTDIR=$tmp cmake --install "$build" --prefix /opt/mstap >"$tmp/install.log"
root=$tmp/opt/mstap
for f in bin/mstap bin/mstap-runner share/mstap/runtime/mstap_context.h share/mstap/runtime/mstap_session.c \
         share/bash-completion/completions/mstap share/man/man1/mstap.1 share/man/man7/mstap-functions.7 \
         share/mstap/examples/hello.stp share/doc/mstap/README.md; do
  [ -f "$root/$f" ] || { echo "not installed: $f"; cat "$tmp/install.log"; exit 1; }
done

cd "$tmp"
unset MSTAP_RUNTIME_DIR
version=$("$root/bin/mstap" --version)
echo "$version" | grep -qx "runtime: $root/share/mstap/runtime" || {
  echo "the installed mstap does not use its installed runtime:"; echo "$version"; exit 1; }
# The environment still overrides it.
MSTAP_RUNTIME_DIR=/elsewhere "$root/bin/mstap" --version | grep -qx "runtime: /elsewhere" || {
  echo "MSTAP_RUNTIME_DIR does not override the installed runtime"; exit 1; }
"$root/bin/mstap" -p3 "$root/share/mstap/examples/hello.stp" >hello.c
grep -q 'mstap_context.h\|mstap_module.h' hello.c || { echo "pass 3 of the installed example:"; head hello.c; exit 1; }
echo "installed under $root: ok"
