#!/bin/sh
# The privilege split, mstap's side: run by a user who is not root, mstap
# runs passes 1-4 as that user (its own cache, its own build folder) and
# hands pass 5 to the mstap-runner binary ($MSTAP_RUNNER; installed, the
# setuid runner beside mstap) with the run's options. Here the runner is a
# script that says who runs it and with what. Needs root (to become nobody)
# and MSTAP_TEST_RELEASE's kernel headers; skipped (77) otherwise.
#   privilege-split.sh MSTAP
set -eu
mstap=$1
release=${MSTAP_TEST_RELEASE:-}
if [ "$(id -u)" != 0 ] || [ -z "$release" ] || ! command -v setpriv >/dev/null ||
   [ ! -d "/usr/src/linux-headers-$release" ]; then
  echo "skipped: needs root, setpriv and MSTAP_TEST_RELEASE's headers"
  exit 77
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cat >"$home/runner" <<'SCRIPT'
#!/bin/sh
echo "uid $(id -u)"
for word in "$@"; do echo "[$word]"; done
exit 3
SCRIPT
chmod 755 "$home/runner"
chown -R 65534:65534 "$home"
chmod 700 "$home"
status=0
out=$(cd "$home" && setpriv --reuid=65534 --regid=65534 --clear-groups \
  env -i HOME="$home" PATH=/usr/bin:/bin MSTAP_RUNNER="$home/runner" \
  "$mstap" -r "$release" -T 2 -c 'echo hi' -e 'probe begin { println("hi") exit() }' 2>&1) || status=$?
echo "$out"
fail() { echo "FAIL: $1"; exit 1; }
[ "$status" = 3 ] || fail "mstap's status is not the runner's (3): $status"
echo "$out" | grep -qx 'uid 65534' || fail "the runner did not run as the user"
echo "$out" | tr '\n' ' ' | grep -q '\[-T\] \[2\] \[-c\] \[echo hi\] \[-R\] \[--\] \[/tmp/mstap[^/]*/mstap_[0-9a-f]*\.ko\]' ||
  fail "not the run's arguments"
[ -n "$(find "$home/.cache/mstap/modules" -mindepth 2 -name '*.ko' -user 65534)" ] ||
  fail "the module was not built into the user's own cache"
echo PASS
