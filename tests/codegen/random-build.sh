#!/bin/bash
# What pass 2 accepts, pass 4 builds: COUNT random scripts from
# random_scripts.py (seeds SEED.. SEED+COUNT-1) go through -p2; each one it
# accepts is translated by -p3 and all of them are built in one kbuild run,
# -Werror, against the newest 6.1 header tree. Fails when pass 2 or 3 crashes,
# when pass 3 fails on a script pass 2 accepted, when a module does not
# build cleanly, or when pass 2 accepts fewer than half (the generator would
# have drifted from the language).
#
#   random-build.sh MSTAP SOURCE_DIR [COUNT] [SEED]
#
# Exit 77 (skip) when no header tree is installed. A long run (the fuzz
# target of issue 12) is the same command with a larger COUNT.
set -u
mstap=$1
source_dir=$(cd "$2" && pwd)
count=${3:-40}
seed=${4:-1}
tree=$(ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | grep -v -- '-rt-' | sort -V | tail -n1)
if [ -z "$tree" ]; then
  echo "no kernel header tree under /usr/src: skipped"
  exit 77
fi
work=$(mktemp -d /tmp/mstap-random-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$source_dir/tests/codegen/random_scripts.py" "$seed" "$count" "$work" || exit 1
failed=0
objects=()
for script in "$work"/r*.stp; do
  name=$(basename "$script" .stp)
  "$mstap" -p2 "$script" > /dev/null 2> "$work/$name.p2"
  rc=$?
  if [ $rc -gt 1 ]; then
    echo "FAIL pass 2 crashed (exit $rc) on seed ${name#r}:"; cat "$work/$name.p2"; failed=1; continue
  fi
  [ $rc -eq 0 ] || continue
  if ! "$mstap" -p3 "$script" > "$work/${name}_script.c" 2> "$work/$name.p3"; then
    echo "FAIL pass 3 refused what pass 2 accepted (seed ${name#r}):"; cat "$work/$name.p3"; failed=1; continue
  fi
  objects+=("$name.o")
done
echo "pass 2 accepted ${#objects[@]} of $count scripts (seeds $seed..$((seed + count - 1)))"
if [ $((${#objects[@]} * 2)) -lt "$count" ]; then
  echo "FAIL: fewer than half accepted; the generator no longer writes valid scripts"
  grep -h "error:" "$work"/*.p2 | sed 's/.*error: //' | sort | uniq -c | sort -rn | head
  exit 1
fi
[ ${#objects[@]} -gt 0 ] || exit $failed
echo "(seed N is module rN)"
"$source_dir/tests/codegen/kbuild-modules.sh" "$source_dir" "$work" "$tree" "${objects[@]%.o}" || failed=1
exit $failed
