#!/bin/sh
# nabla train under mpirun (a build with MPI=1, NABLA_MPI): P = 1, 2, 3 ranks
# with --shards 6 give the same checkpoint bytes as one process with 6
# shards; a checkpoint saved at one P resumes at another, bit for bit; a bad
# --data on one rank stops every rank with one line, exit 2; a rank killed
# mid-epoch ends the job within 10 s, leaving the last checkpoint intact;
# nabla biasvar's trials split across ranks give one process's CSV bytes.
. "$(dirname "$0")/lib.sh"

D=$T_DIR/data; mkdir -p "$D"
be32() { printf "\\$(printf %03o $(( ($1 >> 24) & 255 )))\\$(printf %03o $(( ($1 >> 16) & 255 )))\\$(printf %03o $(( ($1 >> 8) & 255 )))\\$(printf %03o $(( $1 & 255 )))"; }
images() { { printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28; head -c $(($2 * 784)) /dev/urandom; } > "$1"; }
labels() {
    printf '\000\001\002\003\004\005\006\007\010\011' > "$T_DIR/p10"
    { printf '\000\000\010\001'; be32 "$2"; i=0; while [ $i -lt $(($2 / 10)) ]; do cat "$T_DIR/p10"; i=$((i + 1)); done; } > "$1"
}
images "$D/train-images-idx3-ubyte" 400; labels "$D/train-labels-idx1-ubyte" 400
images "$D/t10k-images-idx3-ubyte" 100; labels "$D/t10k-labels-idx1-ubyte" 100

# ---- one process, any build: S shards give the same bits on 1 and 2 threads
S3="--data $D --model cnn --batch 20 --seed 4 --limit 60 --epochs 1"
expect_ok shards_one_thread -- train $S3 --shards 3 --threads 1 --save "$T_DIR/s1"
expect_ok shards_two_threads -- train $S3 --shards 3 --threads 2 --save "$T_DIR/s2"
if [ "$(threads_used)" = 2 ]; then check shards_threads_bit_identical cmp -s "$T_DIR/s1" "$T_DIR/s2"
else skip shards_threads_bit_identical "ran $(threads_used) thread(s): no threads in this build"; fi
expect_error shards_zero 'nabla train: --shards 0: must be a multiple of the 1 processes in 1..4096' - -- train $S3 --shards 0
expect_error shards_past_batch 'nabla train: .*shards 30: more than the batch of 20' "$T_DIR/s3" -- train $S3 --shards 30 --save "$T_DIR/s3"

M=${NABLA_MPI:-}
if [ -z "$M" ] || [ ! -x "$M" ] || ! command -v mpirun > /dev/null 2>&1; then
    skip mpi "skipped: no MPI (mpirun and a build with make MPI=1)"
    finish; exit $?
fi
# as root (CI) OpenMPI wants to be told; 3 ranks on 2 cores need oversubscribing
RUN="mpirun -q --oversubscribe"; [ "$(id -u)" = 0 ] && RUN="$RUN --allow-run-as-root"
export OMP_NUM_THREADS=1 # one thread per rank on a shared machine

# mpi NAME NP -- ARGS...: status 0 from nabla on NP ranks
mpi() {
    T_NAME=$1; np=$2; shift 3
    if $RUN -np "$np" "$M" "$@" > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null; then t_ok
    else t_bad "exit $?, expected 0 (-np $np $*): $(head -c 400 "$T_DIR/stderr")"; fi
}

# ---- the same bits on 1, 2 and 3 ranks (and in one process without mpirun)
MLP="--data $D --model mlp --hidden 48,32 --batch 60 --seed 5 --shards 6 --limit 300 --opt sgd --lr 0.05 --momentum 0.9"
CNN="--data $D --model cnn --batch 24 --seed 2 --shards 6 --limit 96 --opt adam --lr 0.002"
for m in MLP CNN; do
    eval "args=\$$m"
    T_NAME=${m}_one_process
    if "$M" train $args --epochs 1 --save "$T_DIR/$m.0" --log "$T_DIR/$m.0.csv" > /dev/null 2> "$T_DIR/stderr"; then t_ok
    else t_bad "$(cat "$T_DIR/stderr")"; fi
    for p in 1 2 3; do
        mpi "${m}_np$p" $p -- train $args --epochs 1 --save "$T_DIR/$m.$p" --log "$T_DIR/$m.$p.csv"
        check "${m}_np${p}_same_checkpoint" cmp -s "$T_DIR/$m.0" "$T_DIR/$m.$p"
        check "${m}_np${p}_same_losses" [ "$(cut -d, -f1-5 "$T_DIR/$m.0.csv")" = "$(cut -d, -f1-5 "$T_DIR/$m.$p.csv")" ]
    done
    check "${m}_rank0_alone_prints" [ "$(grep -c '^epoch 1/1 ' "$T_DIR/stdout")" -eq 1 ]
done
# the default split without --shards is one process's own, which differs from 6 shards' (the test can fail)
"$M" train $(echo "$MLP" | sed 's/--shards 6//') --epochs 1 --save "$T_DIR/own" > /dev/null 2>&1
differ() { ! cmp -s "$1" "$2"; }
check shards_change_the_sum differ "$T_DIR/own" "$T_DIR/MLP.0"

# ---- resume across P: 1 epoch on 2 ranks, then 2 more on 3 ranks, equals 3 epochs on 1 process
"$M" train $MLP --epochs 3 --save "$T_DIR/r.0" > /dev/null 2>&1
mpi resume_first 2 -- train $MLP --epochs 1 --save "$T_DIR/r.x"
mpi resume_rest 3 -- train --data "$D" --limit 300 --resume "$T_DIR/r.x" --epochs 3 --save "$T_DIR/r.x"
check resume_across_P_bit_identical cmp -s "$T_DIR/r.0" "$T_DIR/r.x" # --shards 6 came from the checkpoint
T_NAME=resume_other_shards
$RUN -np 2 "$M" train --data "$D" --limit 300 --shards 2 --resume "$T_DIR/r.x" --epochs 4 > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l < "$T_DIR/stderr")" -eq 1 ] && grep -q -- '--shards 2 contradicts .*--shards 6' "$T_DIR/stderr"; then t_ok
else t_bad "exit $rc: $(head -c 300 "$T_DIR/stderr")"; fi
T_NAME=resume_shards_not_shared
$RUN -np 4 "$M" train --data "$D" --limit 300 --resume "$T_DIR/r.x" --epochs 4 > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l < "$T_DIR/stderr")" -eq 1 ] && grep -q -- 'trained with --shards 6, which 4 processes cannot share' "$T_DIR/stderr"; then t_ok
else t_bad "exit $rc: $(head -c 300 "$T_DIR/stderr")"; fi

# ---- a bad --data on one rank: one line, printed once, exit 2 on every rank, no output
T_NAME=bad_data_one_rank
$RUN -np 1 "$M" train $MLP --epochs 1 --save "$T_DIR/bad.ckpt" : -np 1 "$M" train $(echo "$MLP" | sed "s|--data $D|--data $T_DIR/nowhere|") --epochs 1 --save "$T_DIR/bad.ckpt" > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null
rc=$?
if [ $rc -ne 2 ]; then t_bad "exit $rc, expected 2: $(head -c 300 "$T_DIR/stderr")"
elif [ "$(wc -l < "$T_DIR/stderr")" -ne 1 ]; then t_bad "stderr: $(head -c 400 "$T_DIR/stderr")"
elif ! grep -q "^nabla train: .*nowhere" "$T_DIR/stderr"; then t_bad "stderr: $(cat "$T_DIR/stderr")"
elif [ -s "$T_DIR/stdout" ] || [ -e "$T_DIR/bad.ckpt" ]; then t_bad "output written: $(head -c 200 "$T_DIR/stdout")"
else t_ok; fi
T_NAME=bad_shards
$RUN -np 2 "$M" train $(echo "$MLP" | sed 's/--shards 6/--shards 3/') --epochs 1 > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l < "$T_DIR/stderr")" -eq 1 ] && grep -q 'shards 3' "$T_DIR/stderr"; then t_ok
else t_bad "exit $rc: $(head -c 300 "$T_DIR/stderr")"; fi

# ---- biasvar: the trials split across 2 and 3 ranks give one process's CSV, byte for byte; rank 0 alone writes
BV="biasvar --n 40 --d 10 --trials 1000 --seed 3"
"$M" $BV --csv "$T_DIR/bv.0" 2> "$T_DIR/bv.0.err"
"$M" biasvar --model poly --degree 1,4,9 --trials 600 --csv "$T_DIR/bvp.0" 2> /dev/null
for p in 2 3; do
    mpi "biasvar_np$p" $p -- $BV --csv "$T_DIR/bv.$p"
    check "biasvar_np${p}_same_csv" cmp -s "$T_DIR/bv.0" "$T_DIR/bv.$p"
    check "biasvar_np${p}_table_once" cmp -s "$T_DIR/bv.0.err" "$T_DIR/stderr"
    mpi "biasvar_poly_np$p" $p -- biasvar --model poly --degree 1,4,9 --trials 600 --csv "$T_DIR/bvp.$p"
    check "biasvar_poly_np${p}_same_csv" cmp -s "$T_DIR/bvp.0" "$T_DIR/bvp.$p"
done
# a file missing on rank 1 only: one line, rank 1's, exit 2, no CSV
"$M" biasvar --n 40 --d 10 --write-example "$T_DIR" > /dev/null
U="--theta $T_DIR/theta.csv --xtest $T_DIR/Xt.npy --trials 100 --csv $T_DIR/bvbad"
T_NAME=biasvar_bad_file_one_rank
$RUN -np 1 "$M" biasvar --x "$T_DIR/X.npy" $U : -np 1 "$M" biasvar --x "$T_DIR/nowhere.npy" $U > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l < "$T_DIR/stderr")" -eq 1 ] && grep -q '^nabla biasvar: --x: .*nowhere.npy' "$T_DIR/stderr" && [ ! -e "$T_DIR/bvbad" ]; then t_ok
else t_bad "exit $rc: $(head -c 300 "$T_DIR/stderr")"; fi

# ---- a rank killed mid-epoch: the job ends within 10 s, the last checkpoint loads and resumes
K=$T_DIR/kill.ckpt
images "$D/train-images-idx3-ubyte" 2000; labels "$D/train-labels-idx1-ubyte" 2000
mpirun --oversubscribe $( [ "$(id -u)" = 0 ] && echo --allow-run-as-root) -np 2 "$M" train --data "$D" --model mlp --hidden 64 --batch 16 --shards 2 --epochs 1000 --save "$K" > "$T_DIR/kstdout" 2> "$T_DIR/kstderr" < /dev/null &
job=$!
i=0; while [ ! -s "$K" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3 # mid-epoch
victim=$(pgrep -P "$job" -f "$M train" | tail -1)
[ -n "$victim" ] || victim=$(pgrep -f "$M train --data $D --model mlp --hidden 64" | tail -1)
start=$(date +%s)
kill -9 "$victim" 2> /dev/null
i=0; while kill -0 "$job" 2> /dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
end=$(date +%s)
if kill -0 "$job" 2> /dev/null; then kill -9 "$job"; pkill -9 -P "$job"; t_bad_kill=1; fi
wait "$job"; krc=$?
T_NAME=killed_rank_ends_job
if [ -n "${t_bad_kill:-}" ]; then t_bad "still running 15 s after SIGKILL"
elif [ $((end - start)) -gt 10 ]; then t_bad "took $((end - start)) s"
elif [ $krc -eq 0 ]; then t_bad "exit 0 after a rank was killed"
elif ! grep -qi 'signal 9\|killed' "$T_DIR/kstderr"; then t_bad "no message: $(head -c 300 "$T_DIR/kstderr")"
else t_ok; fi
T_NAME=killed_rank_checkpoint_resumes
if "$M" eval --load "$K" --data "$D" > /dev/null 2> "$T_DIR/stderr" &&
    ep=$(head -c 4096 "$K" | tr -c '[:print:]' '\n' | sed -n 's/.*"epoch": *"\([0-9]*\)".*/\1/p' | head -1) &&
    $RUN -np 2 "$M" train --data "$D" --shards 2 --resume "$K" --epochs $(( ${ep:-1} + 1 )) > /dev/null 2>> "$T_DIR/stderr"; then t_ok
else t_bad "$(head -c 300 "$T_DIR/stderr")"; fi

# ---- Ctrl-C: mpirun passes it on to every rank, and the job says so in one line (rank 0's)
rm -f "$K"
$RUN -np 2 "$M" train --data "$D" --model mlp --hidden 64 --batch 16 --shards 2 --epochs 1000 --save "$K" > "$T_DIR/istdout" 2> "$T_DIR/istderr" < /dev/null &
job=$!
i=0; while [ ! -s "$K" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT "$job"
i=0; while kill -0 "$job" 2> /dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$job" 2> /dev/null && { kill -9 "$job"; pkill -9 -P "$job"; }
wait "$job"
T_NAME=sigint_one_line
if [ "$(wc -l < "$T_DIR/istderr")" -eq 1 ] && grep -q "^nabla train: .*(SIG[A-Z]*); .*holds epoch" "$T_DIR/istderr"; then t_ok
else t_bad "stderr: $(head -c 400 "$T_DIR/istderr")"; fi
loads() { "$M" eval --load "$1" --data "$D" > /dev/null 2>&1; }
check sigint_checkpoint_loads loads "$K"

finish
