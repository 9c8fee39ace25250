#!/bin/sh
# Training throughput and peak memory on Fashion-MNIST, one epoch (60k samples,
# batch 128), against PyTorch's ../shared/peers/torch_train.py in its tuned
# environment, both measured now:
#   MLP 784-256-256-10 SGD momentum (lr 0.1, m 0.9), MLP Adam (lr 1e-3), CNN Adam.
# samples/s is the training loop only (best of RUNS); peak memory is the
# process's maximum RSS (/usr/bin/time). Targets: >= 2x samples/s, <= 0.5x RSS
# (printed as peer/nabla >= 2). Both run in the peer's tuned environment
# (OMP_WAIT_POLICY=PASSIVE matters to nabla too: OpenMP's default spinning
# waits cost 5x when other processes share the cores).
set -u
NABLA=${1:-build/nabla}
PEERS=${PEERS:-../shared/peers}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
[ -d /usr/share/datasets/fashion-mnist ] || {
    echo "train.sh: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); skipped"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
have_torch=0
[ -f "$PEERS/torch_train.py" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1
[ $have_torch = 1 ] || echo "pytorch: not installed (apt-get install python3-torch); no ratios"

# rss FILE: the max RSS in MB from /usr/bin/time -v's report
rss() { awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$1"; }

bench() { # NAME MODEL OPT NABLA_FLAGS...
    name=$1 model=$2 opt=$3; shift 3
    best=0 mem=0 i=0
    while [ $i -lt "$RUNS" ]; do
        OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE /usr/bin/time -v -o "$tmp/time" "$NABLA" train --data fashion-mnist --model "$model" --epochs 1 \
            --batch 128 --seed $i --threads "$THREADS" "$@" > "$tmp/out" 2>&1 || { cat "$tmp/out"; return 1; }
        sps=$(sed -n 's/^epoch 1\/1 .*  \([0-9]*\) samples\/s$/\1/p' "$tmp/out")
        echo "nabla   $name run $i: $(grep '^epoch' "$tmp/out")  peak RSS $(rss "$tmp/time") MB"
        best=$(awk -v a="$best" -v b="$sps" 'BEGIN { print (b > a) ? b : a }')
        m=$(rss "$tmp/time"); [ "$m" -gt "$mem" ] && mem=$m
        i=$((i + 1))
    done
    if [ $have_torch = 1 ]; then
        OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE /usr/bin/time -v -o "$tmp/ptime" /usr/bin/python3 \
            "$PEERS/torch_train.py" --model "$model" --opt "$opt" --epochs 1 --runs "$RUNS" --threads "$THREADS" \
            > "$tmp/pout" 2>&1
        psps=$(sed -n 's/.*samples\/s(best)=\([0-9]*\).*/\1/p' "$tmp/pout")
        pmem=$(rss "$tmp/ptime")
        echo "pytorch $name: $(grep SUMMARY "$tmp/pout")  peak RSS $pmem MB"
        echo "BENCH|train $name 1 epoch (samples/s)|$best|${psps:--}|$(awk -v a="$best" -v b="$psps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')|>=2.00|samples/s"
        echo "BENCH|train $name peak RSS (MB)|$mem|${pmem:--}|$(awk -v a="$mem" -v b="$pmem" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "-" }')|>=2.00|MB"
    else
        echo "BENCH|train $name 1 epoch (samples/s)|$best|-|-|>=2.00|samples/s"
        echo "BENCH|train $name peak RSS (MB)|$mem|-|-|>=2.00|MB"
    fi
}

[ -n "${ONLY:-}" ] && [ "$ONLY" != sgd ] || bench "MLP SGD-momentum" mlp sgd --opt sgd --lr 0.1 --momentum 0.9
[ -n "${ONLY:-}" ] && [ "$ONLY" != adam ] || bench "MLP Adam" mlp adam --opt adam --lr 1e-3
[ -n "${ONLY:-}" ] && [ "$ONLY" != cnn ] || bench "CNN Adam" cnn adam --opt adam --lr 1e-3

# One core kept busy by a spinning process (a second job, a browser): the
# default threads must not be slower than --threads 1. Alternating runs,
# the median of each. Ratio = default / one thread; target >= 1.
busy() { # NAME MODEL NABLA_FLAGS...
    name=$1 model=$2; shift 2
    sh -c 'while :; do :; done' & spin=$!
    for i in 1 2 3 4 5; do
        for th in 0 1; do
            OMP_WAIT_POLICY=PASSIVE "$NABLA" train --data fashion-mnist --model "$model" --epochs 1 \
                --batch 128 --seed 0 --threads $th "$@" 2>&1 |
                sed -n 's/^epoch 1\/1 .*  \([0-9]*\) samples\/s$/\1/p' >> "$tmp/busy$th"
        done
    done
    kill $spin 2>/dev/null; wait $spin 2>/dev/null
    med() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
    d=$(med "$tmp/busy0") o=$(med "$tmp/busy1"); rm -f "$tmp/busy0" "$tmp/busy1"
    echo "nabla   $name, one core busy: default threads $d samples/s, --threads 1 $o samples/s (medians of 5)"
    echo "BENCH|train $name, one core busy: default vs --threads 1 (samples/s)|$d|$o|$(awk -v a="$d" -v b="$o" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')|>=1.00|samples/s"
}
[ -n "${ONLY:-}" ] && [ "$ONLY" != busy ] || busy "MLP SGD-momentum" mlp --opt sgd --lr 0.1 --momentum 0.9
[ -n "${ONLY:-}" ] && [ "$ONLY" != busy ] || busy "CNN Adam (20,000 samples)" cnn --opt adam --lr 1e-3 --limit 20000
