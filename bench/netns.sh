#!/bin/sh
# Two MPI ranks on one machine as if on two: each in its own network namespace,
# joined by a veth pair that tc's token bucket (tbf) limits to RATE (default
# 1gbit) each way. The kernel here has no netem (no added delay): the link's
# latency is the veth's own. mpirun starts the second rank's orted inside the
# second namespace through a one-line "rsh" (--mca plm_rsh_agent), so every
# byte between the ranks crosses the veth over TCP (btl tcp).
# Measures the exchange alone against message size (bench/allreduce.c) and the
# alpha-beta fit of it (bench/scaling.py), then one epoch of nabla train on
# RANKS: the MLP (SGD-momentum) and the CNN (Adam), batch 128, P = 2 x 1 thread,
# with rank 0's exposed wait (--verbose). Needs root (ip netns, tc).
# Usage: sh bench/netns.sh [build/nabla]   (RATE=10gbit ... to change the link)
set -u
NABLA=${1:-build/nabla}
M=${NABLA_MPI:-$(dirname "$NABLA")/mpi/nabla}
RATE=${RATE:-1gbit}
LIMIT=${LIMIT:-12800}
[ "$(id -u)" = 0 ] || { echo "netns.sh: needs root (ip netns, tc); skipped"; exit 0; }
command -v mpirun > /dev/null 2>&1 && command -v ip > /dev/null 2>&1 && command -v tc > /dev/null 2>&1 && [ -x "$M" ] || {
    echo "netns.sh: needs mpirun, ip, tc and make MPI=1's $M; skipped"; exit 0; }
A=nbA$$ B=nbB$$
tmp=$(mktemp -d)
cleanup() { ip netns del "$A" 2> /dev/null; ip netns del "$B" 2> /dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
ip netns add "$A" && ip netns add "$B" || { echo "netns.sh: ip netns add failed; skipped"; exit 0; }
ip link add va$$ type veth peer name vb$$ && ip link set va$$ netns "$A" && ip link set vb$$ netns "$B" || exit 1
ip -n "$A" addr add 10.99.0.1/24 dev va$$ && ip -n "$B" addr add 10.99.0.2/24 dev vb$$
for n in "$A" "$B"; do ip -n "$n" link set lo up; done
ip -n "$A" link set va$$ up && ip -n "$B" link set vb$$ up
# 1 Gbit/s is 125 kB a millisecond: the bucket holds two of them; a queue of 50 ms rather than drops
ip netns exec "$A" tc qdisc add dev va$$ root tbf rate "$RATE" burst 256kb latency 50ms &&
    ip netns exec "$B" tc qdisc add dev vb$$ root tbf rate "$RATE" burst 256kb latency 50ms || exit 1
if ip netns exec "$A" tc qdisc add dev lo root netem delay 100us 2> "$tmp/netem"; then note="netem on lo works here (not used)"
else note="netem: $(cat "$tmp/netem")"; fi
printf '#!/bin/sh\nshift\nexec ip netns exec %s /bin/sh -c "$*"\n' "$B" > "$tmp/rsh"; chmod +x "$tmp/rsh"
printf '10.99.0.1 slots=1\n10.99.0.2 slots=1\n' > "$tmp/hosts"
# ranks on "two hosts" would each bind to their host's core 0, the same core: --bind-to none;
# a rank that spins starves the kernel's softirq that moves the veth's packets: yield when idle
RUN="ip netns exec $A mpirun -q --allow-run-as-root --bind-to none --hostfile $tmp/hosts -np 2
     --mca plm_rsh_agent $tmp/rsh --mca btl tcp,self --mca btl_tcp_if_include 10.99.0.0/24
     --mca oob_tcp_if_include 10.99.0.0/24 --mca mpi_yield_when_idle 1"
echo "netns.sh: 2 ranks in namespaces $A and $B over a veth pair, tbf $RATE each way ($note); load: $(cut -d' ' -f1-3 /proc/loadavg)"
mpicc -O2 -o "$tmp/allreduce" "$(dirname "$0")/allreduce.c" || exit 1
$RUN "$tmp/allreduce" > "$tmp/ar" 2>&1 || { cat "$tmp/ar"; exit 1; }
cat "$tmp/ar"
# the model of bench/SCALING.md with this link's own alpha and beta (two points: the smallest
# message is latency, the largest up to 4 MB bandwidth), predicting rank 0's exposed wait
python3 - "$tmp/ar" > "$tmp/model" << 'PY'
import sys
pts = {int(w[1]): float(w[2]) for w in (l.split() for l in open(sys.argv[1])) if w and w[0] == 'allreduce'}
b0, b1 = min(pts), max(b for b in pts if b <= 4 << 20)
beta = (b1 - b0) / (pts[b1] - pts[b0])    # bytes/us of the whole 2-rank exchange
alpha = max((pts[b0] - b0 / beta) / 2, 0)  # us per message round (2 rounds)
print(f"fit: alpha {alpha:.1f} us per round, beta {beta * 8 / 1e3:.3f} Gbit/s for the whole exchange")
# one-thread steps (SCALING.md, quiet machine), P = 2: each rank computes half; the backward is 2/3 of it
for name, params, buckets, last, step1 in (('mlp', 269322, 6, 200960, 128 / 0.090), ('cnn', 20490, 6, 160, 128 / 0.011)):
    comm = lambda n, k: 2 * k * alpha + n * 4 / beta
    tc = step1 / 2
    exposed = max(comm(last, 1), comm(params, buckets) - 2 / 3 * tc)
    print(f"predict {name} {comm(params, buckets) / 1e3:.3f} {exposed / 1e3:.3f}")
PY
sed -n 1p "$tmp/model"
while read -r bytes ours mpi; do
    echo "BENCH|netns_${RATE}_allreduce_${bytes}B|$ours|$mpi|-|-|us"
done << EOT
$(sed -n 's/^allreduce //p' "$tmp/ar")
EOT
for w in "mlp sgd --opt sgd --lr 0.1 --momentum 0.9" "cnn adam --opt adam --lr 1e-3"; do
    set -- $w; model=$1 opt=$2; shift 2
    $RUN "$M" train --data fashion-mnist --model "$model" "$@" --batch 128 --epochs 1 --threads 1 --limit "$LIMIT" \
        --verbose > "$tmp/out" 2>&1 || { cat "$tmp/out"; continue; }
    sps=$(sed -n 's/^epoch 1\/1 .*  \([0-9]*\) samples\/s$/\1/p' "$tmp/out")
    wait=$(sed -n 's/^# exchange: \([0-9.]*\) ms\/step waited.*/\1/p' "$tmp/out")
    set -- $(sed -n "s/^predict $model //p" "$tmp/model")
    echo "nabla $model $opt over the veth at $RATE: ${sps:-?} samples/s; rank 0 waited ${wait:-?} ms/step for the exchange after the backward (model: $2 ms/step exposed of $1 ms/step)"
    echo "BENCH|netns_${RATE}_${model}_${opt}_P2|${sps:-0}|-|-|-|samples/s"
    echo "BENCH|netns_${RATE}_${model}_${opt}_exposed_wait|${wait:-0}|$2|-|-|ms/step (measured, model)"
done
