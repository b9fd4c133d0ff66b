#!/bin/bash
# Builds modules from pass 3's C in one kbuild run, -Werror, each linked as
# pass 4 links it (compiler/build/build.cpp): its C plus the runtime's
# objects (runtime/*.c), compiled once for the tree with -Werror and given
# to each module as prebuilt objects of its own.
#
#   kbuild-modules.sh SOURCE_DIR WORK TREE NAME...
#
# Each NAME's C is WORK/NAME_script.c. Prints "ok N modules against TREE in
# S s", or FAIL with the compiler's errors and warnings; exits 1 on failure.
# Leaves WORK cleaned of the tree's build products.
set -u
source_dir=$1 work=$2 tree=$3
shift 3
names=("$@")
start=$(date +%s)
runtime_objects=()
for source in "$source_dir"/runtime/*.c; do
  [ -f "$source" ] && runtime_objects+=("$(basename "${source%.c}").o")
done
ccflags="ccflags-y := -I$source_dir/runtime -Werror"
# The runtime's objects for this tree, in a module of their own.
rm -rf "$work/rt" && mkdir -p "$work/rt/mstap_runtime"
cp "$source_dir"/runtime/*.c "$work/rt/mstap_runtime/"
printf '#include <linux/module.h>\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("runtime objects");\n' > "$work/rt/rt_script.c"
{
  echo "obj-m := rt.o"
  echo "rt-y := rt_script.o ${runtime_objects[*]/#/mstap_runtime/}"
  echo "$ccflags"
} > "$work/rt/Kbuild"
if ! make -s -j2 -C "$tree" M="$work/rt" modules > "$work/rt/log" 2>&1 || grep -q "warning:" "$work/rt/log"; then
  echo "FAIL: the runtime's .c files against $tree:"; grep -E "error|warning" "$work/rt/log" | head -40
  exit 1
fi
{
  echo "obj-m := ${names[*]/%/.o}"
  for name in "${names[@]}"; do
    rm -rf "$work/${name}_rt" && mkdir "$work/${name}_rt"
    parts="${name}_script.o"
    for part in "${runtime_objects[@]}"; do
      cp "$work/rt/mstap_runtime/$part" "$work/${name}_rt/$part"
      echo "# prebuilt" > "$work/${name}_rt/.$part.cmd"
      parts+=" ${name}_rt/$part"
    done
    echo "$name-y := $parts"
  done
  echo "$ccflags"
} > "$work/Kbuild"
failed=0
if make -s -j2 -C "$tree" M="$work" modules > "$work/log" 2>&1 && ! grep -q "warning:" "$work/log"; then
  echo "ok   ${#names[@]} modules against $tree in $(( $(date +%s) - start )) s"
else
  echo "FAIL against $tree:"; grep -E "error|warning" "$work/log" | head -40
  failed=1
fi
make -s -C "$tree" M="$work" clean > /dev/null 2>&1
exit $failed
