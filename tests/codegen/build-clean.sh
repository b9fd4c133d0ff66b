#!/bin/bash
# Every example and end-to-end case, translated by pass 3, must build with
# kbuild's flags plus -Werror against each Debian header tree: 6.1 amd64,
# 6.1 PREEMPT_RT, 6.12 (issue 4). All modules of a tree build in one make,
# each linked as pass 4 links it: its C (mN_script.c) plus the runtime's
# objects (runtime/*.c, compiled once per tree with -Werror, then given to
# each module as prebuilt objects of its own, compiler/build/build.cpp).
#
#   build-clean.sh MSTAP SOURCE_DIR
#
# Trees: the newest /usr/src/linux-headers-6.1.0-*-amd64, plus
# $MSTAP_TEST_HEADER_TREES (colon-separated). Scripts with kernel probes need
# MSTAP_TEST_SYSROOT/MSTAP_TEST_RELEASE for pass 2; without them they are
# skipped. Exit 77 (skip) when no tree is installed.
set -u
mstap=$1
source_dir=$2
trees=()
default=$(ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | grep -v -- '-rt-' | sort -V | tail -n1)
[ -n "$default" ] && trees+=("$default")
IFS=: read -r -a extra <<< "${MSTAP_TEST_HEADER_TREES:-}"
for t in "${extra[@]}"; do [ -n "$t" ] && trees+=("$t"); done
if [ ${#trees[@]} -eq 0 ]; then
  echo "no kernel header tree under /usr/src: skipped"
  exit 77
fi
work=$(mktemp -d /tmp/mstap-build-clean.XXXXXX)
trap 'rm -rf "$work"' EXIT
kernel_args=()
if [ -n "${MSTAP_TEST_SYSROOT:-}" ] && [ -n "${MSTAP_TEST_RELEASE:-}" ]; then
  kernel_args=(--sysroot "$MSTAP_TEST_SYSROOT" -r "$MSTAP_TEST_RELEASE")
fi
objects=()
failed=0
n=0
for script in "$source_dir"/examples/*.stp "$source_dir"/tests/e2e/*.stp "$source_dir"/tests/lang/codegen/*.stp; do
  [ -f "$script" ] || continue
  # Cases that expect pass 3 to refuse them say so (XFAIL), as do those
  # that need script arguments (the first RUN line's words after %s).
  grep -q '^# XFAIL:' "$script" && continue
  # Cases that only run other scripts (tests/e2e/examples.stp) hold no probe.
  grep -q '^ *probe ' "$script" || continue
  args=$(grep -m1 -o '%s .*' "$script" | sed -E 's/^%s//; s/[>|].*//')
  # examples name their arguments on their first line: "mstap NAME.stp WORDS"
  [ -z "$args" ] && args=$(head -n1 "$script" | sed -nE 's/.*mstap [^ ]+\.stp (.*)$/\1/p')
  # Process probes name the test program lit's %user_fixtures stands for.
  args=${args//%user_fixtures/$(dirname "$mstap")/tests/user}
  # Guru-mode cases say -g on their first RUN line.
  guru=()
  grep -m1 '^# RUN:' "$script" | grep -q -- ' -g ' && guru=(-g)
  # Library folders (-I DIR, %S the case's own folder) on the first RUN line.
  for dir in $(grep -m1 '^# RUN:' "$script" | grep -o -- '-I [^ ]*' | sed 's/^-I //'); do
    guru+=(-I "${dir//%S/$(dirname "$script")}")
  done
  n=$((n + 1))
  name=m$n
  # shellcheck disable=SC2086
  if ! "$mstap" "${kernel_args[@]}" "${guru[@]}" -p3 "$script" $args > "$work/${name}_script.c" 2> "$work/$name.err"; then
    if [ ${#kernel_args[@]} -eq 0 ] && grep -q "kernel\|modules folder" "$work/$name.err"; then
      echo "skipped (needs the Debian kernel): $script"
      continue
    fi
    echo "FAIL pass 3: $script"; cat "$work/$name.err"; failed=1; continue
  fi
  echo "$name: $script" >> "$work/index"
  objects+=("$name.o")
done
for tree in "${trees[@]}"; do
  if ! "$source_dir/tests/codegen/kbuild-modules.sh" "$source_dir" "$work" "$tree" "${objects[@]%.o}"; then
    echo "(module names: $(tr '\n' ' ' < "$work/index"))"
    failed=1
  fi
done
exit $failed
