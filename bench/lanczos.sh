#!/bin/sh
# The top-5 Hessian eigenvalues of a trained MLP 784-128-10 on 5,000
# Fashion-MNIST training samples, one thread: nabla's Lanczos against
# PyHessian's power iteration with deflation in PyTorch, on the same weights
# and samples, in this run. Prints both times and how far the eigenvalues agree.
set -eu
NABLA=${1:-build/nabla}
B=$(dirname "$NABLA")
DATA=/usr/share/datasets/fashion-mnist
[ -d "$DATA" ] || { echo "lanczos: $DATA missing (apt-get install dataset-fashion-mnist)"; echo "BENCH|Lanczos top-5, MLP 784-128-10, 5000 samples (s)|-|-|-|-|s"; exit 0; }
cc -O2 -Iinclude -Isrc bench/lanczos_bench.c "$B/libnabla.a" -lz -lm -fopenmp -o "$B/bench_lanczos"
CK=$B/bench_lanczos.safetensors
OMP_NUM_THREADS=1 "$NABLA" train --data fashion-mnist --model mlp --hidden 128 --epochs 1 --seed 0 --save "$CK" > /dev/null
ours=$(OMP_NUM_THREADS=1 "$B/bench_lanczos" "$CK" "$DATA" 5000)
echo "nabla Lanczos:                 $ours"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    # torch as tuned in peers/RESULTS.md (OpenBLAS's AVX-512 kernels, no spinning pool), one thread
    peer=$(OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/lanczos_torch.py "$CK" "$DATA" 5000)
    echo "PyTorch PyHessian power iter.: $peer"
    echo "$ours
$peer" | awk '{ for (i = 1; i <= 5; i++) e[NR, i] = $(5 + i); t[NR] = $2 }
        END { m = 0; for (i = 1; i <= 5; i++) { d = e[1, i] - e[2, i]; if (d < 0) d = -d; d /= e[1, i]; if (d > m) m = d }
              printf "eigenvalues agree to %.2g relative (largest of the 5)\n", m
              printf "BENCH|Lanczos top-5 vs PyHessian power iteration, MLP 784-128-10, 5000 samples, 1 thread (s; agree %.1g)|%.2f|%.2f|%.2f|-|s\n", m, t[1], t[2], t[2] / t[1] }'
else
    echo "pytorch: not installed (apt-get install python3-torch); no ratio"
    echo "BENCH|Lanczos top-5 vs PyHessian power iteration, MLP 784-128-10, 5000 samples, 1 thread (s)|$(echo "$ours" | cut -d' ' -f2)|-|-|-|s"
fi
rm -f "$CK"
