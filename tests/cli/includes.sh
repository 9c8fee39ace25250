#!/bin/sh
# The include graph, as the layers say (README "Layout"): core/ includes
# nothing above it; the GEMM's headers only where matrices are multiplied;
# the library never includes the umbrella nabla.h. One line per rule broken.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
check() { # $1: what, $2: offending lines (empty: pass)
    if [ -z "$2" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); printf 'FAIL includes: %s\n%s\n' "$1" "$2"; fi
}
check "core/ includes only core/, nabla/base.h and nabla/tensor.h" \
    "$(grep -Hn '#include "' src/core/*.c src/core/*.h | grep -v '"core/\|"nabla/base.h"\|"nabla/tensor.h"\|"ziggurat_tables.h"')"
check "the GEMM's headers only in kernels, the products' ops, linreg and the GEMM benchmark" \
    "$(grep -Hn '#include "nabla/gemm.h"\|#include "kernels/kernels.h"' src/*/*.c src/*/*.h |
       grep -v '^src/kernels/\|^src/ops/linalg.c\|^src/ops/conv.c\|^src/linreg/\|^src/cli/cmd_bench.c\|^src/web/')"
check "no library file includes the umbrella nabla.h" "$(grep -Hn '#include "nabla.h"' src/*/*.c src/*/*.h | grep -v '^src/cli/')"
check "nothing includes core/team.h but the team's users (ops, nn, kernels)" \
    "$(grep -Hn '#include "core/team.h"' src/*/*.c src/*/*.h | grep -v '^src/core/\|^src/ops/\|^src/nn/\|^src/kernels/')"
# a rule that cannot fail is no rule: each must see the files it is about
[ -n "$(ls src/core/*.c 2>/dev/null)" ] && [ -n "$(grep -l 'nabla/gemm.h\|kernels/kernels.h' src/ops/linalg.c)" ] ||
    { fail=$((fail + 1)); echo "FAIL includes: the tree is not where this script looks"; }
echo "includes: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
