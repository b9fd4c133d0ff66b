#!/bin/sh
# The manual pages render without warnings (man --warnings, groff -ww) and
# within 80 columns; every option `mstap --help` lists has its entry in
# mstap(1)'s OPTIONS; every function of --dump-functions is in
# mstap-functions(7).
#   check-pages.sh MSTAP PAGES_DIR
set -eu
mstap=$1 dir=$2
status=0
render() { MANWIDTH=$1 LC_ALL=C man -l "$2" 2>/dev/null | col -b; }

for page in mstap.1 mstap-runner.8 mstap-probes.7 mstap-functions.7; do
  f=$dir/$page
  [ -f "$f" ] || { echo "$page: missing"; status=1; continue; }
  warnings=$( { MANWIDTH=80 LC_ALL=C man --warnings=w -l "$f" >/dev/null; } 2>&1; groff -ww -man -Tutf8 -z "$f" 2>&1)
  [ -z "$warnings" ] || { echo "$page: warnings:"; echo "$warnings"; status=1; }
  long=$(render 80 "$f" | awk 'length($0) > 80')
  [ -z "$long" ] || { echo "$page: lines over 80 columns:"; echo "$long"; status=1; }
done

# An option is documented when an entry of OPTIONS starts with it (the
# tagged lines, indented 7 columns, may name two: "-h, --help").
entries=$(render 200 "$dir/mstap.1" | sed -n '/^OPTIONS/,/^[A-Z]/p' | grep -E '^       -')
options=$("$mstap" --help | sed -n 's/^  \(-[^ ].*\)/\1/p' | sed 's/  .*//' | grep -oE -- '--?[A-Za-z][A-Za-z-]*' | sort -u)
[ -n "$options" ] || { echo "no options in mstap --help"; exit 1; }
for option in $options; do
  echo "$entries" | grep -qE -- "^       (.*[ ,])?$option([ ,=[]|\$)" ||
    { echo "mstap(1): no entry for $option in OPTIONS"; status=1; }
done

functions=$(render 200 "$dir/mstap-functions.7")
for name in $("$mstap" --dump-functions | grep -oE '^[a-z_][a-z_0-9]*'); do
  echo "$functions" | grep -qE "^       $name[ :]" || { echo "mstap-functions(7): no $name"; status=1; }
done
exit $status
