#!/bin/sh
# Runs the unit tests and every CLI test script; prints one total line.
# NABLA and NABLA_TESTS name the binaries (the Makefile sets them).
set -u
: "${NABLA:=build/nabla}" "${NABLA_TESTS:=build/nabla_tests}"
export NABLA
out=$(mktemp); trap 'rm -f "$out"' EXIT
status=0
"$NABLA_TESTS" > "$out.1" || status=1
cat "$out.1" >> "$out"; cat "$out.1"; rm -f "$out.1"
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    sh "$t" > "$out.1" || status=1
    cat "$out.1" >> "$out"; cat "$out.1"; rm -f "$out.1"
done
# each suite ends "NAME: N passed, N failed" and may add ", N skipped"
awk '/ passed, [0-9]+ failed(, [0-9]+ skipped)?$/ {
         if ($NF == "skipped") { s += $(NF-1); NF -= 2 }
         p += $(NF-3); f += $(NF-1) }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$out"
exit $status
