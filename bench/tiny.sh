#!/bin/sh
# The tiny-model step (2-16-1 tanh MLP, batch 8, MSE, SGD) against PyTorch's
# c1 in ../shared/peers/torch_overhead.py, both measured now. Target: >= 50x.
set -eu
NABLA=${1:-build/nabla}
B=$(dirname "$NABLA")
PEERS=${PEERS:-../shared/peers}
cc -O2 -Iinclude -Isrc bench/tiny_mlp.c "$B/libnabla.a" -lz -lm -fopenmp -o "$B/bench_tiny_mlp"
ours=$("$B/bench_tiny_mlp" 1000 7)
echo "nabla:   $ours"
nabla_us=$(echo "$ours" | sed -n 's/.*med \([0-9.]*\).*/\1/p')
if [ -f "$PEERS/torch_overhead.py" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    peer=$(/usr/bin/python3 "$PEERS/torch_overhead.py" --threads 2 --reps 5 2>/dev/null | grep 'c1 tiny MLP')
    echo "pytorch: $peer"
    peer_us=$(echo "$peer" | sed -n 's/.*med *\([0-9.]*\).*/\1/p')
    ratio=$(awk -v a="$peer_us" -v b="$nabla_us" 'BEGIN { printf "%.1f", a / b }')
    echo "BENCH|tiny MLP 2-16-1 b8 step (us, median)|$nabla_us|$peer_us|$ratio|>= 50x|us/step"
else
    echo "pytorch: not installed (apt-get install python3-torch); no ratio"
    echo "BENCH|tiny MLP 2-16-1 b8 step (us, median)|$nabla_us|-|-|>= 50x|us/step"
fi
