#!/bin/sh
# The normal samplers: draws per second (scalar, one stream in bulk, eight
# streams side by side) against NumPy's default_rng().standard_normal in the
# same run, and the large-sample check: KS and the first four moments of 10^8
# draws of each bulk sampler (exit 1 when one fails; too slow for make test).
set -eu
NABLA=${1:-build/nabla}
N=${NORMALS_N:-100000000}
out=$(mktemp); trap 'rm -f "$out"' EXIT
if ! "$NABLA" bench normals --n "$N" --check > "$out"; then cat "$out"; exit 1; fi
cat "$out"
one=$(sed -n 's/^nb_rng_normals8 (8 streams) threads=1 *\([0-9.]*\) .*/\1/p' "$out")
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    echo "numpy: not installed (apt-get install python3-numpy); no ratio"
    echo "BENCH|normal draws, 8 streams, 1 thread (M/s)|$one|-|-|-|M/s"
    exit 0
fi
peer=$(/usr/bin/python3 -c '
import time, numpy as np
r = np.random.default_rng(1); out = np.empty(1 << 16); best = 0
for _ in range(5):
    t = time.perf_counter()
    for _ in range(300): r.standard_normal(out=out)
    best = max(best, 300 * out.size / (time.perf_counter() - t))
print(f"{best / 1e6:.1f}")')
echo "numpy default_rng().standard_normal, blocks of 65536: $peer M draws/s"
echo "BENCH|normal draws, 8 streams, 1 thread (M/s)|$one|$peer|$(awk -v a="$one" -v b="$peer" 'BEGIN { printf "%.1f", a / b }')|-|M/s"
