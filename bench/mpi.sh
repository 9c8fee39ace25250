#!/bin/sh
# Data-parallel training on 2 MPI ranks x 1 thread (the MPI build, build/mpi/nabla
# beside NABLA) against PyTorch DistributedDataParallel (gloo, 2 processes x 1
# thread: ../shared/peers/torch_ddp.py) and against nabla's own one process on
# 2 threads, one epoch of Fashion-MNIST at batch 128, all measured now:
#   MLP 784-256-256-10 SGD momentum (lr 0.1, m 0.9), MLP Adam (1e-3), CNN Adam (1e-3).
# Targets: >= 2x DDP's samples/s; P=2 within 10% of one process on 2 threads.
# The overlap: rank 0's wait for the exchange after its backward (--verbose), with
# the buckets sent from the ready hook and with NABLA_OVERLAP=0 (all after the
# backward: the whole exchange exposed); hidden = 1 - wait / wait without overlap.
# Then the exchange alone (bench/allreduce.c, the same reduce-scatter + allgather
# over MPI_Isend/Irecv) against message size on 2 ranks, and its α–β fit (bench/scaling.py).
# The network-namespace run (1 Gbit/s) is bench/netns.sh (root only).
set -u
NABLA=${1:-build/nabla}
M=${NABLA_MPI:-$(dirname "$NABLA")/mpi/nabla}
PEERS=${PEERS:-../shared/peers}; [ -d "$PEERS" ] || PEERS=/work/shared/peers
RUNS=${RUNS:-3}
command -v mpirun > /dev/null 2>&1 && [ -x "$M" ] || {
    echo "mpi.sh: no MPI (mpirun and make MPI=1's $M); skipped"; exit 0; }
[ -d /usr/share/datasets/fashion-mnist ] || { echo "mpi.sh: Fashion-MNIST is not installed; skipped"; exit 0; }
RUN="mpirun -q --oversubscribe"; [ "$(id -u)" = 0 ] && RUN="$RUN --allow-run-as-root"
export OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "mpi.sh: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (timings under load are not the quiet machine's)"
have_torch=0
[ -f "$PEERS/torch_ddp.py" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1

best() { # CMD...: the best samples/s of RUNS epochs
    b=0 i=0
    while [ $i -lt "$RUNS" ]; do
        "$@" > "$tmp/out" 2>&1 || { cat "$tmp/out" >&2; echo 0; return; }
        s=$(sed -n 's/^epoch 1\/1 .*  \([0-9]*\) samples\/s$/\1/p' "$tmp/out")
        b=$(awk -v a="$b" -v c="${s:-0}" 'BEGIN { print (c > a) ? c : a }')
        i=$((i + 1))
    done
    echo "$b"
}

for w in "mlp sgd --opt sgd --lr 0.1 --momentum 0.9" "mlp adam --opt adam --lr 1e-3" "cnn adam --opt adam --lr 1e-3"; do
    set -- $w; model=$1 opt=$2; shift 2
    p2=$(best $RUN -np 2 "$M" train --data fashion-mnist --model "$model" "$@" --batch 128 --epochs 1 --threads 1)
    one=$(best "$NABLA" train --data fashion-mnist --model "$model" "$@" --batch 128 --epochs 1 --threads 2)
    echo "nabla $model $opt: P=2 x 1 thread $p2 samples/s; one process x 2 threads $one samples/s"
    echo "BENCH|mpi_${model}_${opt}_P2_vs_1proc|$p2|$one|$(awk -v a="$p2" -v b="$one" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')|>=0.90|samples/s"
    if [ $have_torch = 1 ]; then
        # the CNN's epoch on 2 x 1 thread is minutes under DDP: 150 steps (19,200 samples) measure its rate
        steps=0; [ "$model" = cnn ] && steps=150
        /usr/bin/python3 "$PEERS/torch_ddp.py" --P 2 --model "$model" --opt "$opt" --runs "$RUNS" --steps $steps \
            --port $((29500 + $$ % 400)) > "$tmp/ddp" 2>&1
        ddp=$(sed -n 's/.*"samples_per_s": \([0-9.]*\).*/\1/p' "$tmp/ddp")
        [ -n "$ddp" ] || echo "pytorch DDP $model $opt failed: $(tail -3 "$tmp/ddp")"
        echo "pytorch DDP $model $opt: ${ddp:-?} samples/s"
        echo "BENCH|mpi_${model}_${opt}_vs_ddp|$p2|${ddp:-0}|$(awk -v a="$p2" -v b="${ddp:-0}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')|>=2.00|samples/s"
    fi
done

# wait MODE: rank 0's median exposed wait (ms/step) over RUNS epochs, MODE 1 overlapped, 0 not
wait_ms() {
    ov=$1; shift; i=0; : > "$tmp/w"
    while [ $i -lt "$RUNS" ]; do
        NABLA_OVERLAP=$ov $RUN -x NABLA_OVERLAP -np 2 "$M" train --data fashion-mnist --model "$model" "$@" --batch 128 \
            --epochs 1 --threads 1 --verbose 2>&1 | sed -n 's/^# exchange: \([0-9.]*\) ms\/step waited.*/\1/p' >> "$tmp/w"
        i=$((i + 1))
    done
    sort -n "$tmp/w" | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}
for w in "mlp sgd --opt sgd --lr 0.1 --momentum 0.9" "cnn adam --opt adam --lr 1e-3"; do
    set -- $w; model=$1 opt=$2; shift 2
    on=$(wait_ms 1 "$@"); off=$(wait_ms 0 "$@")
    hidden=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", (b > 0 ? 1 - a / b : 0) }')
    echo "nabla $model $opt P=2: rank 0 waits $on ms/step after its backward; $off ms/step with every bucket sent after it: $hidden of the exchange hidden"
    echo "BENCH|mpi_${model}_${opt}_exposed_wait|$on|$off|$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')|-|ms/step (overlapped; not: peer)"
done

mpicc -O2 -o "$tmp/allreduce" "$(dirname "$0")/allreduce.c" && $RUN -np 2 "$tmp/allreduce" > "$tmp/ar" && {
    cat "$tmp/ar"
    sed -n 's/^allreduce \([0-9]*\) \([0-9.]*\) \([0-9.]*\)$/BENCH|mpi_allreduce_\1B|\2|\3|-|-|us (ours, MPI_Allreduce)/p' "$tmp/ar"
    python3 "$(dirname "$0")/scaling.py" < "$tmp/ar" > "$tmp/fit" && sed -n '1,/^$/p' "$tmp/fit"
}
