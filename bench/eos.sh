#!/bin/sh
# The edge-of-stability lab as the README runs it (nabla eos: 3,500 steps of
# full-batch GD at lr 0.02 and 0.05): the whole run's time against the issue's
# 60 s, and per rate how far the sharpness strayed from 2/lr after first
# reaching it, against the +-15% band.
set -eu
NABLA=${1:-build/nabla}
DATA=/usr/share/datasets/fashion-mnist
[ -d "$DATA" ] || { echo "eos: $DATA missing (apt-get install dataset-fashion-mnist)"; echo "BENCH|EoS lab, both rates (s)|-|60|-|>=1.00|s"; exit 0; }
out=$("$NABLA" eos --data fashion-mnist)
echo "$out"
echo "$out" | awk '
    /^lr .*at the edge|^lr .*NOT at|^lr .*never/ {
        lr = $2; sub(":", "", lr); two = 2 / lr
        if ($0 ~ /never reached/) { printf "BENCH|EoS lab lr %s: largest distance of the sharpness from 2/lr after reaching it (%% of 2/lr)|never|15|0.00|>=1.00|%%\n", lr; next }
        s = $0; sub(/.*stayed in \[/, "", s); sub(/\].*/, "", s); split(s, b, ", ")
        d = (two - b[1]) > (b[2] - two) ? two - b[1] : b[2] - two; d = 100 * d / two
        printf "BENCH|EoS lab lr %s: largest distance of the sharpness from 2/lr after reaching it (%% of 2/lr)|%.1f|15|%.2f|>=1.00|%%\n", lr, d, 15 / d }
    /rates, .* s in all/ { printf "BENCH|EoS lab, both rates, whole run (s)|%.1f|60|%.2f|>=1.00|s\n", $3, 60 / $3 }'
