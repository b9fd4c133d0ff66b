#!/bin/sh
# LLVM's lit, from Debian's llvm-14-tools, run with the system Python.
exec /usr/bin/python3 /usr/lib/llvm-14/build/utils/lit/lit.py "$@"
