#!/bin/sh
# nabla train / nabla eval on a small dataset this script writes itself (so CI
# needs no dataset package): resume bit-identical, thread-count independence,
# checkpoints that survive SIGKILL, and every bad input as one line, exit 2.
. "$(dirname "$0")/lib.sh"

D=$T_DIR/data; mkdir -p "$D"
# be32 N: N as 4 big-endian bytes
be32() { printf "\\$(printf %03o $(( ($1 >> 24) & 255 )))\\$(printf %03o $(( ($1 >> 16) & 255 )))\\$(printf %03o $(( ($1 >> 8) & 255 )))\\$(printf %03o $(( $1 & 255 )))"; }
# images FILE N [MAGIC_BYTE3]: N random 28x28 images; labels FILE N: 0..9 cycling
images() { { printf '\000\000\010'; printf "\\$(printf %03o "${3:-3}")"; be32 "$2"; be32 28; be32 28; head -c $(($2 * 784)) /dev/urandom; } > "$1"; }
labels() {
    printf '\000\001\002\003\004\005\006\007\010\011' > "$T_DIR/p10"
    { printf '\000\000\010\001'; be32 "$2"; i=0; while [ $i -lt $(($2 / 10)) ]; do cat "$T_DIR/p10"; i=$((i + 1)); done; } > "$1"
}
images "$D/train-images-idx3-ubyte" 320
labels "$D/train-labels-idx1-ubyte" 320
images "$D/t10k-images-idx3-ubyte" 100
labels "$D/t10k-labels-idx1-ubyte" 100
gzip -k "$D/train-images-idx3-ubyte" && rm "$D/train-images-idx3-ubyte" # one gzipped, one raw

A=$T_DIR/a.safetensors; B=$T_DIR/b.safetensors; L=$T_DIR/log.csv
MLP0="--data $D --model mlp --hidden 32,16 --seed 3"; MLP="$MLP0 --batch 32"

# ---- training, logs, eval
expect_ok train_runs -- train $MLP --epochs 3 --save "$A" --log "$L" --svg "$T_DIR/c.svg"
check no_progress_bar_when_not_a_terminal [ ! -s "$T_DIR/stderr" ]
check train_prints_one_line_per_epoch [ "$(grep -c '^epoch [0-9]/3 ' "$T_DIR/stdout")" -eq 3 ]
check log_header [ "$(head -1 "$L")" = "epoch,train_loss,train_acc,test_loss,test_acc,seconds,samples_per_s" ]
check log_rows [ "$(wc -l < "$L")" -eq 4 ]
check svg_written grep -q '</svg>' "$T_DIR/c.svg"
expect_ok eval_runs -- eval --load "$A" --data "$D"
check eval_prints_accuracy grep -q 'test_loss [0-9.]*  test_acc [0-9.]*$' "$T_DIR/stdout"
expect_ok help -- train --help
# a progress bar only on a terminal (script(1) gives the run one, where ptys exist)
if command -v script > /dev/null 2>&1 && script -qc "$NABLA train $MLP --epochs 1" /dev/null > "$T_DIR/tty" 2>&1 < /dev/null &&
    grep -q 'epoch 1/1  train_loss' "$T_DIR/tty"; then
    check progress_bar_on_a_terminal grep -q 'epoch 1/1 \[#*\.*\] [0-9]*/10  loss [0-9.]*' "$T_DIR/tty"
fi

# ---- resume: 1 epoch, then to a total of 3, equals 3 straight (byte for byte)
expect_ok resume_first -- train $MLP --epochs 1 --save "$B" --log "$T_DIR/l2.csv"
expect_ok resume_rest -- train --data "$D" --resume "$B" --epochs 3 --save "$B" --log "$T_DIR/l2.csv"
check resume_bit_identical cmp -s "$A" "$B"
# the log continues the earlier one, and its losses equal the uninterrupted run's
check resume_log_same_losses [ "$(cut -d, -f1-5 "$L")" = "$(cut -d, -f1-5 "$T_DIR/l2.csv")" ]
check resume_prints_epochs_2_3 [ "$(grep -c '^epoch [23]/3 ' "$T_DIR/stdout")" -eq 2 ]
C=$T_DIR/cnn1.safetensors; C2=$T_DIR/cnn2.safetensors
CNN="--data $D --model cnn --batch 16 --seed 1 --epochs 2 --limit 96 --opt sgd --lr 0.05 --momentum 0.9"
expect_ok cnn_one_thread -- train $CNN --threads 1 --save "$C"
expect_ok cnn_two_threads -- train $CNN --threads 2 --save "$C2"
check sgd_with_momentum_is_named_momentum grep -q '^# .*, momentum (lr 0.05)' "$T_DIR/stdout"
expect_ok plain_sgd -- train $MLP --epochs 1 --limit 64 --opt sgd --lr 0.1
check header_names_the_optimizer_as_given grep -q '^# .*, sgd (lr 0.1)' "$T_DIR/stdout"
if [ "$(threads_used)" = 2 ]; then check cnn_threads_bit_identical cmp -s "$C" "$C2"
else skip cnn_threads_bit_identical "ran $(threads_used) thread(s): no threads in this build"; fi
expect_ok mlp_two_threads -- train $MLP --epochs 3 --threads 2 --save "$B"
if [ "$(threads_used)" = 2 ]; then check mlp_threads_bit_identical cmp -s "$A" "$B"
else skip mlp_threads_bit_identical "ran $(threads_used) thread(s): no threads in this build"; fi
expect_ok cosine_warmup_normalize -- train $MLP --epochs 2 --schedule cosine --warmup 1 --normalize --opt adamw --weight-decay 0.05 --save "$B"
expect_ok eval_normalized -- eval --load "$B" --data "$D" --model mlp --hidden 32,16

if command -v python3 > /dev/null 2>&1; then
    check safetensors_layout_independent_reader sh -c "python3 tools/check_safetensors.py read '$A' > /dev/null"
fi

KEEP0=$T_DIR/keep0.safetensors; cp "$A" "$KEEP0"
# ---- SIGKILL at random moments: what is left always loads
K=$T_DIR/k.safetensors
kills=0
for i in 1 2 3 4 5 6 7 8; do
    "$NABLA" train --data "$D" --model mlp --hidden 64 --batch 16 --limit 64 --epochs 100000 --save "$K" > /dev/null 2>&1 &
    pid=$!
    n=0; while [ ! -e "$K" ] && [ $n -lt 200 ]; do sleep 0.02; n=$((n + 1)); done
    sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')"
    kill -9 $pid 2> /dev/null && kills=$((kills + 1))
    wait $pid 2> /dev/null
    if "$NABLA" eval --load "$K" --data "$D" > /dev/null 2> "$T_DIR/kerr"; then t_ok
    else T_NAME=sigkill_$i; t_bad "checkpoint unreadable after SIGKILL: $(cat "$T_DIR/kerr")"; fi
    rm -f "$K".tmp.*
done
check sigkill_really_killed [ $kills -ge 6 ]
expect_ok resume_nothing_to_do -- train --data "$D" --resume "$A"
check resume_nothing_to_do_says_so grep -q 'nothing to train' "$T_DIR/stdout"
check resume_nothing_to_do_keeps cmp -s "$A" "$KEEP0"
expect_ok resume_after_kill -- train --data "$D" --resume "$K" --epochs "$(($("$NABLA" eval --load "$K" --data "$D" | sed 's/.*epoch \([0-9]*\).*/\1/') + 1))"

# ---- bad input: one line, exit 2, the checkpoint untouched
cp "$A" "$T_DIR/keep.safetensors"; KEEP=$T_DIR/keep.safetensors
bad() { mkdir -p "$T_DIR/bad"; rm -f "$T_DIR/bad/"*; cp "$D"/* "$T_DIR/bad/"; }
expect_error missing_dir 'nonexistent.*no such data directory' "$KEEP" -- train --data /nonexistent/x --model mlp --save "$KEEP"
bad; rm "$T_DIR/bad/t10k-labels-idx1-ubyte"
expect_error missing_file 'missing t10k-labels-idx1-ubyte' "$KEEP" -- train --data "$T_DIR/bad" --model mlp --save "$KEEP"
bad; head -c 5000 "$D/t10k-images-idx3-ubyte" > "$T_DIR/bad/t10k-images-idx3-ubyte"
expect_error truncated_idx 't10k-images-idx3-ubyte: truncated' "$KEEP" -- train --data "$T_DIR/bad" --model mlp --save "$KEEP"
bad; head -c 20000 "$D/train-images-idx3-ubyte.gz" > "$T_DIR/bad/train-images-idx3-ubyte.gz"
expect_error truncated_gzip 'train-images-idx3-ubyte.gz: (truncated|corrupt)' "$KEEP" -- train --data "$T_DIR/bad" --model mlp --save "$KEEP"
bad; { head -c 30000 "$D/train-images-idx3-ubyte.gz"; printf 'garbagegarbagegarbage'; tail -c +30022 "$D/train-images-idx3-ubyte.gz"; } > "$T_DIR/bad/train-images-idx3-ubyte.gz"
expect_error corrupt_gzip 'train-images-idx3-ubyte.gz: corrupt gzip' "$KEEP" -- train --data "$T_DIR/bad" --model mlp --save "$KEEP"
bad; images "$T_DIR/bad/t10k-images-idx3-ubyte" 100 4
expect_error wrong_magic 'wrong magic 0x00000804' "$KEEP" -- train --data "$T_DIR/bad" --model mlp --save "$KEEP"
bad; images "$T_DIR/bad/t10k-images-idx3-ubyte" 90
expect_error count_mismatch '90 images but .* 100 labels' "$KEEP" -- train --data "$T_DIR/bad" --model mlp --save "$KEEP"
bad; { printf '\000\000\010\001'; be32 100; head -c 99 /dev/zero; printf '\012'; } > "$T_DIR/bad/t10k-labels-idx1-ubyte"
expect_error label_10 'label 10 of sample 99' "$KEEP" -- train --data "$T_DIR/bad" --model mlp --save "$KEEP"
expect_error eval_bad_data 'label 10 of sample 99' - -- eval --load "$A" --data "$T_DIR/bad"
expect_error batch_0 '--batch 0' "$KEEP" -- train $MLP0 --batch 0 --save "$KEEP"
expect_error epochs_negative '--epochs -1' "$KEEP" -- train $MLP --epochs -1 --save "$KEEP"
expect_error unknown_model "unknown model 'rnn'" "$KEEP" -- train --data "$D" --model rnn --save "$KEEP"
expect_error hidden_0 '--hidden: size 0' "$KEEP" -- train --data "$D" --model mlp --hidden 256,0 --save "$KEEP"
expect_error hidden_junk "--hidden: 'x' is not a whole number" "$KEEP" -- train --data "$D" --model mlp --hidden 2,x --save "$KEEP"
expect_error hidden_for_cnn '--hidden applies to --model mlp only' "$KEEP" -- train --data "$D" --model cnn --hidden 8 --save "$KEEP"
expect_error no_data '--data is required' "$KEEP" -- train --model mlp --save "$KEEP"
expect_error unknown_opt "unknown optimizer|--opt" "$KEEP" -- train $MLP --opt lbfgs --save "$KEEP"
expect_error bad_lr 'lr' "$KEEP" -- train $MLP --lr -1 --save "$KEEP"
expect_error bad_schedule "unknown schedule 'step'" "$KEEP" -- train $MLP --schedule step --save "$KEEP"
expect_error nan_loss 'step [0-9]+ \(epoch 1, batch [0-9]+ of [0-9]+\): loss is (NaN|Inf).*no checkpoint was written' "$KEEP" -- train $MLP --opt sgd --lr 1e30 --save "$KEEP"
check nan_kept_checkpoint cmp -s "$A" "$KEEP"
# corrupt checkpoints
head -c 1000 "$A" > "$T_DIR/trunc.safetensors"
expect_error truncated_ckpt 'trunc.safetensors: ' "$KEEP" -- train --data "$D" --resume "$T_DIR/trunc.safetensors" --epochs 5 --save "$KEEP"
expect_error eval_truncated_ckpt 'trunc.safetensors: ' - -- eval --load "$T_DIR/trunc.safetensors" --data "$D"
{ printf '\377\377\377\377\000\000\000\000'; tail -c +9 "$A"; } > "$T_DIR/hlen.safetensors"
expect_error header_length_beyond_file 'header length 4294967295 exceeds the file' "$KEEP" -- train --data "$D" --resume "$T_DIR/hlen.safetensors" --save "$KEEP"
{ head -c 9 "$A"; printf '#'; tail -c +11 "$A"; } > "$T_DIR/json.safetensors"
expect_error corrupt_ckpt_json 'json.safetensors: bad JSON' - -- eval --load "$T_DIR/json.safetensors" --data "$D"
printf 'not a checkpoint at all' > "$T_DIR/junk.safetensors"
expect_error junk_ckpt 'junk.safetensors: not a safetensors file' - -- eval --load "$T_DIR/junk.safetensors" --data "$D"
expect_error missing_ckpt 'nope.safetensors: cannot open' - -- eval --load "$T_DIR/nope.safetensors" --data "$D"
expect_error different_model_resume 'holds a different model: mlp 784-32-16-10, not the cnn' "$KEEP" -- train --data "$D" --resume "$KEEP" --model cnn --save "$KEEP"
expect_error different_hidden_resume 'holds a different model: mlp 784-32-16-10, not the mlp 784-64-10' "$KEEP" -- train --data "$D" --resume "$KEEP" --hidden 64 --save "$KEEP"
expect_error different_model_eval 'holds a different model: cnn .*, not the mlp 784-256-256-10' - -- eval --load "$C" --data "$D" --model mlp
expect_error resume_contradicts_opt 'trained with adam, not --opt sgd' "$KEEP" -- train --data "$D" --resume "$KEEP" --opt sgd --save "$KEEP"
expect_error resume_contradicts_lr '--lr 0.5 contradicts' "$KEEP" -- train --data "$D" --resume "$KEEP" --lr 0.5 --save "$KEEP"
expect_error resume_past_epochs 'at epoch 3 already, past --epochs 2' "$KEEP" -- train --data "$D" --resume "$KEEP" --epochs 2 --save "$KEEP"
mkdir -p "$T_DIR/adir.csv"
expect_error log_is_dir '--log: .*adir.csv is a directory' "$KEEP" -- train $MLP --log "$T_DIR/adir.csv" --save "$KEEP"
expect_error save_dir_missing '--save: .*/nodir/x.safetensors: cannot create' - -- train $MLP --save "$T_DIR/nodir/x.safetensors"
expect_error svg_dir_missing '--svg: .*/nodir/x.svg: cannot create' "$KEEP" -- train $MLP --svg "$T_DIR/nodir/x.svg" --save "$KEEP"
check bad_inputs_kept_checkpoint cmp -s "$A" "$KEEP"
expect_error eval_no_load '--load is required' - -- eval --data "$D"
expect_error eval_batch_0 '--batch 0' - -- eval --load "$A" --data "$D" --batch 0

# ---- the real data, when the package is installed: a quick slice
if [ -d /usr/share/datasets/fashion-mnist ]; then
    expect_ok fashion_mnist_slice -- train --data fashion-mnist --model mlp --epochs 1 --limit 2000
fi
finish
