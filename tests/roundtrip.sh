#!/bin/bash
# -p1 prints a script as canonical source; that output must parse again to
# the same output. Checked over every script in the given folders that
# parses (the rejected language cases are skipped; lit checks those).
# Usage: roundtrip.sh MSTAP DIR...
set -u
mstap=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checked=0 failed=0
while IFS= read -r -d '' script; do
  # -g for embedded C; two words for the cases that use $1/@1 and $2.
  if ! "$mstap" -g -p1 "$script" sometext 42 >"$work/first.stp" 2>/dev/null; then
    continue
  fi
  "$mstap" -g -p1 "$work/first.stp" sometext 42 >"$work/second.stp" 2>"$work/err" || {
    echo "FAIL: $script: its -p1 output does not parse:"; cat "$work/err"; failed=$((failed + 1)); continue; }
  if ! diff <(grep -v '^# file ' "$work/first.stp") <(grep -v '^# file ' "$work/second.stp") >"$work/diff"; then
    echo "FAIL: $script: -p1 of its -p1 output differs:"; cat "$work/diff"; failed=$((failed + 1)); continue
  fi
  checked=$((checked + 1))
done < <(find "$@" -name '*.stp' -print0 | sort -z)
echo "roundtrip: $checked passed, $failed failed"
[ "$checked" -ge 10 ] || { echo "too few scripts were checked: expected at least 10"; exit 1; }
[ "$failed" -eq 0 ]
