#!/bin/sh
# GEMM throughput: nabla's nb_gemm (`nabla bench gemm`) against OpenBLAS
# (bench/gemm_openblas.c, OPENBLAS_CORETYPE=SkylakeX since 0.3.21 misdetects
# this CPU) on the same shapes, 1 and 2 threads, run alternately in the same
# session. Each figure is the median over GEMM_RUNS runs of each program's
# best-of-5 GFLOP/s. Ratio = nabla / OpenBLAS (bigger is better).
#   sh bench/gemm.sh build/nabla     [GEMM_RUNS=3 GEMM_THREADS="1 2" GEMM_MIN_TIME=0.1]
set -u
NABLA=${1:-build/nabla}
RUNS=${GEMM_RUNS:-3}
THREADS=${GEMM_THREADS:-"1 2"}
MIN_TIME=${GEMM_MIN_TIME:-0.1}
here=$(dirname "$0")
peer="$(dirname "$NABLA")/bench/gemm_openblas"

# The peer needs OpenBLAS's headers and library.
if [ ! -f /usr/include/x86_64-linux-gnu/cblas.h ] && [ ! -f /usr/include/cblas.h ] &&
   ! ls /usr/include/*/cblas.h >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "gemm: installing libopenblas-dev"
        DEBIAN_FRONTEND=noninteractive apt-get install -y libopenblas-dev >/dev/null 2>&1 ||
            { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y libopenblas-dev >/dev/null 2>&1; }
    fi
fi
mkdir -p "$(dirname "$peer")"
if [ ! -x "$peer" ] || [ "$here/gemm_openblas.c" -nt "$peer" ]; then
    if ! ${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L "$here/gemm_openblas.c" -o "$peer" -lopenblas 2>/dev/null; then
        echo "gemm: cannot build the OpenBLAS peer; install it with: apt-get install libopenblas-dev"
        exit 0
    fi
fi
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# name M N K ta tb target(at 2 threads)
shapes='sq256 256 256 256 0 0 -
sq512 512 512 512 0 0 -
sq1024 1024 1024 1024 0 0 >=0.90
sq2048 2048 2048 2048 0 0 >=0.90
mlp-fwd1_128x784@784x256 128 256 784 0 0 >=1.00
mlp-fwd2_128x256@256x256 128 256 256 0 0 >=0.90
mlp-fwd3_128x256@256x10 128 10 256 0 0 >=0.90
mlp-bwd-dW1_XT@dH1_784x128@128x256 784 256 128 1 0 >=0.90
mlp-bwd-dH1_dH2@W2T_128x256@256x256 128 256 256 0 1 >=0.90
mlp-bwd-dW2_H1T@dH2_256x128@128x256 256 256 128 1 0 >=0.90
mlp-bwd-dH2_dY@W3T_128x10@10x256 128 256 10 0 1 >=0.90
mlp-bwd-dW3_H2T@dY_256x128@128x10 256 10 128 1 0 >=0.90
cnn-conv2_32x144@144x25088 32 25088 144 0 0 >=0.90'

echo "gemm: nabla kernel $("$NABLA" bench gemm --m 8 --n 8 --k 8 --reps 1 --min-time 0 | sed -n 's/.*kernel=\([a-z0-9]*\).*/\1/p'), peer OpenBLAS with OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE; $RUNS runs each, median of best-of-5"
for dt in f32 f64; do
    for t in $THREADS; do
        echo "$shapes" | while read -r name m n k ta tb target; do
            # f64: the squares and the main MLP shape are enough to track it.
            if [ "$dt" = f64 ]; then case $name in sq1024|sq2048|mlp-fwd1*) ;; *) continue ;; esac; fi
            [ "$t" = 2 ] || target=-
            flags=""; [ "$ta" = 1 ] && flags="$flags --ta"; [ "$tb" = 1 ] && flags="$flags --tb"
            ours=""; theirs=""
            r=0
            while [ $r -lt "$RUNS" ]; do
                # shellcheck disable=SC2086
                a=$("$NABLA" bench gemm --m "$m" --n "$n" --k "$k" $flags --dtype "$dt" --threads "$t" \
                    --min-time "$MIN_TIME" | tail -1 | awk '{ print $2 }')
                b=$(OPENBLAS_NUM_THREADS=$t "$peer" "$m" "$n" "$k" "$ta" "$tb" "$dt" 5 "$MIN_TIME" | tail -1 | awk '{ print $2 }')
                ours="$ours $a"; theirs="$theirs $b"
                r=$((r + 1))
            done
            a=$(echo $ours | tr ' ' '\n' | median)
            b=$(echo $theirs | tr ' ' '\n' | median)
            ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }')
            echo "gemm $dt $name threads=$t: nabla$ours | openblas$theirs GFLOP/s"
            echo "BENCH|gemm $dt $name T=$t|$a|$b|$ratio|$target|GFLOP/s"
        done
    done
done
