#!/bin/sh
# Optimizer step cost: nabla (bench/optim_bench.c against libnabla.a) beside
# PyTorch measured in the same run.
#  - quadratic f = x1^2 + 10 x2^2, 2 parameters, per step: nabla computes f and
#    the gradient by formula and calls nb_optim_step; the peer
#    (../shared/peers/torch_overhead.py, "d quad ...") runs autograd forward +
#    backward + optim.step. So this compares the cost of one training step of
#    the lab as each toolkit runs it (torch's is mostly per-op overhead); us/step.
#  - 2^20 f32 parameters, optimizer step alone (bench/optim_torch.py); ms/step.
# Ratio = peer time / nabla time (bigger is better). Threads: 2 for both.
#   sh bench/optim.sh build/nabla
set -u
NABLA=${1:-build/nabla}
B=$(dirname "$NABLA")
here=$(dirname "$0")
drv="$B/bench/optim_bench"
mkdir -p "$B/bench"
if [ ! -x "$drv" ] || [ "$here/optim_bench.c" -nt "$drv" ] || [ "$B/libnabla.a" -nt "$drv" ]; then
    ${CC:-cc} -O2 -std=c11 -Iinclude "$here/optim_bench.c" "$B/libnabla.a" -lz -lm -fopenmp -o "$drv" ||
        { echo "optim: cannot build $drv"; exit 1; }
fi
export OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2
PEER=${PEER:-/work/shared/peers/torch_overhead.py}
[ -f "$PEER" ] || PEER="$here/../../shared/peers/torch_overhead.py"
out=$(mktemp); peer=$(mktemp); big=$(mktemp); trap 'rm -f "$out" "$peer" "$big"' EXIT
"$drv" > "$out" || { echo "optim: driver failed"; exit 1; }
cat "$out"
havetorch=1
/usr/bin/python3 "$PEER" --threads 2 --reps 5 > "$peer" 2>/dev/null || havetorch=0
/usr/bin/python3 "$here/optim_torch.py" --threads 2 > "$big" 2>/dev/null || havetorch=0
cat "$peer" "$big"
[ $havetorch = 1 ] || { echo "optim: PyTorch peer unavailable (python3-torch); nabla figures only"; }
# name in our driver -> the peer's label
for pair in "sgd:SGD lr0.01" "momentum:SGD momentum0.9 lr0.01" "rmsprop:RMSprop lr0.01" "adagrad:Adagrad lr0.1" "adam:Adam lr0.01"; do
    name=${pair%%:*}; label=${pair#*:}
    us=$(awk -v n="$name" '$1 == "quad" && $2 == n { print $3 }' "$out")
    pu=$(grep "^d quad $label " "$peer" | sed -n 's/.*us\/step min *\([0-9.]*\).*/\1/p')
    [ -n "$pu" ] || pu=nan
    ratio=$(awk -v a="$us" -v b="$pu" 'BEGIN { if (b == "nan" || a <= 0) print "nan"; else printf "%.0f", b / a }')
    echo "BENCH|optim quad2 $name fwd+bwd+step (nabla grad by formula, torch autograd)|$us|$pu|$ratio|>=100|us/step"
done
for name in sgd momentum nesterov rmsprop adagrad adam adamw; do
    ms=$(awk -v n="$name" '$1 == "big" && $2 == n { print $3 }' "$out")
    pm=$(awk -v n="$name" '$1 == "big" && $2 == n { print $3 }' "$big")
    [ -n "$pm" ] || pm=nan
    ratio=$(awk -v a="$ms" -v b="$pm" 'BEGIN { if (b == "nan" || a <= 0) print "nan"; else printf "%.2f", b / a }')
    echo "BENCH|optim 1M f32 $name step|$ms|$pm|$ratio|>=1.00|ms/step"
done
