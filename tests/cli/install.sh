#!/bin/sh
# make install into a temporary PREFIX: the shared library has its SONAME and
# versioned links, and the README's line, cc prog.c $(pkg-config ...) with an
# rpath, builds the README's example into a program that runs against the
# installed copy.
. tests/cli/lib.sh
if ! command -v pkg-config > /dev/null 2>&1 || ! command -v make > /dev/null 2>&1; then
    skip install "needs make and pkg-config"; finish; exit
fi
P=$T_DIR/prefix
# this build's own variables (B=, CC=, SAN=, ...), not the caller's jobserver
T_NAME=make_install
if env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s install PREFIX="$P" $NB_MAKEVARS > "$T_DIR/log" 2>&1; then t_ok
else t_bad "make install failed: $(tail -3 "$T_DIR/log")"; fi
L=$P/lib
check soname sh -c "readelf -d '$L/libnabla.so.0.1.0' | grep -q 'SONAME.*\[libnabla.so.0\]'"
check link_so0 [ "$(readlink "$L/libnabla.so.0")" = libnabla.so.0.1.0 ]
check link_so [ "$(readlink "$L/libnabla.so")" = libnabla.so.0 ]
check pc_prefix [ "$(PKG_CONFIG_PATH=$L/pkgconfig pkg-config --variable=libdir nabla)" = "$L" ]

# the README's example, in a main()
sed -n '/^## A gradient in C/,/^```$/p' README.md | sed -n '/^```c$/,/^```$/p' | sed '1d;$d' > "$T_DIR/ex.c"
{ echo '#include <stdio.h>'; grep '^#include' "$T_DIR/ex.c"; echo 'int main(void) {'
  grep -v '^#include' "$T_DIR/ex.c"; echo 'return 0; }'; } > "$T_DIR/prog.c"
check readme_example_found grep -q nb_backward "$T_DIR/prog.c"
export PKG_CONFIG_PATH="$L/pkgconfig"
T_NAME=cc_pkg_config
# the README's line; NB_LDSAN: a sanitizer build's library needs its runtime in the program
if ${NB_CC:-cc} "$T_DIR/prog.c" $(pkg-config --cflags --libs nabla) -Wl,-rpath,"$(pkg-config --variable=libdir nabla)" \
    ${NB_LDSAN:-} -o "$T_DIR/prog" 2> "$T_DIR/cc.err"; then t_ok; else t_bad "$(head -5 "$T_DIR/cc.err")"; fi
check needs_soname sh -c "readelf -d '$T_DIR/prog' | grep -q 'NEEDED.*\[libnabla.so.0\]'"
check runs_installed [ "$("$T_DIR/prog" 2>&1)" = "grad f64 (3) = [2, 4, 6]" ]
check loads_installed_copy sh -c "ldd '$T_DIR/prog' | grep -q '$L/libnabla.so.0'"
finish
