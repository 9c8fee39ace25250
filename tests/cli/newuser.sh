#!/bin/sh
# What a new user trips over (issue 18): the progress bar in a narrow
# terminal, a NaN stop's message, divergence and large numbers, defaults and
# echoes, one rule for summaries, huge SVGs, a CSV given to eval.
. tests/cli/lib.sh

# ---- a small MNIST-format dataset: constant images (so every run is the same), labels 0..9
D=$T_DIR/data; mkdir -p "$D"
be32() { printf "\\$(printf %03o $(( ($1 >> 24) & 255 )))\\$(printf %03o $(( ($1 >> 16) & 255 )))\\$(printf %03o $(( ($1 >> 8) & 255 )))\\$(printf %03o $(( $1 & 255 )))"; }
images() { { printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28; head -c $(($2 * 784)) /dev/zero | tr '\0' '\377'; } > "$1"; }
labels() {
    printf '\000\001\002\003\004\005\006\007\010\011' > "$T_DIR/p10"
    { printf '\000\000\010\001'; be32 "$2"; i=0; while [ $i -lt $(($2 / 10)) ]; do cat "$T_DIR/p10"; i=$((i + 1)); done; } > "$1"
}
images "$D/train-images-idx3-ubyte" 640; labels "$D/train-labels-idx1-ubyte" 640
images "$D/t10k-images-idx3-ubyte" 40; labels "$D/t10k-labels-idx1-ubyte" 40
MLP="--data $D --model mlp --hidden 16 --batch 16 --seed 1"

# ---- the progress bar at 60 and 80 columns: every draw fits on one line, redrawn with \r
# bar_fits W FILE: each piece between \r or \n that draws the bar is at most W-1 characters,
# there are several draws, and no draw is followed by a newline (so none scrolled)
bar_fits() {
    tr '\n' '\001' < "$2" | tr '\r' '\n' | sed 's/\x1b\[K//g' | awk -v w="$1" '
        /^epoch [0-9]+\/[0-9]+ \[/ { draws++; s = $0; sub(/\001.*/, "", s); if (length(s) > w - 1) { print "draw of " length(s) " chars: " s; bad = 1 }
                                     if (index($0, "\001")) { print "a newline after a draw"; bad = 1 } }
        END { if (draws < 4) { print draws " draws"; bad = 1 } exit bad }' > "$T_DIR/why"
}
if command -v script > /dev/null 2>&1 && script -qc true /dev/null > /dev/null 2>&1 < /dev/null; then
    for W in 60 80; do
        script -qc "stty cols $W rows 24; $NABLA train $MLP --epochs 3" /dev/null > "$T_DIR/tty$W" 2>&1 < /dev/null
        T_NAME=progress_bar_fits_$W
        if bar_fits $W "$T_DIR/tty$W"; then t_ok; else t_bad "$(cat "$T_DIR/why")"; fi
    done
    # at 80 columns the loss and the step count are kept; at 40 the loss still
    check progress_80_keeps_count_and_loss grep -q 'epoch 1/3 \[[#.]*\] [0-9]*/40  loss [0-9.]*' "$T_DIR/tty80"
    script -qc "stty cols 40 rows 24; $NABLA train $MLP --epochs 2" /dev/null > "$T_DIR/tty40" 2>&1 < /dev/null
    T_NAME=progress_bar_fits_40
    if bar_fits 40 "$T_DIR/tty40"; then t_ok; else t_bad "$(cat "$T_DIR/why")"; fi
    check progress_40_keeps_loss grep -q 'epoch 1/2 \[[#.]*\] loss [0-9.]*' "$T_DIR/tty40"
else
    skip progress_bar "no pseudo-terminal (script(1) cannot open one)"
fi

# ---- a NaN stop says what the checkpoint file holds
S=$T_DIR/nan.safetensors
expect_error nan_no_checkpoint 'loss is (NaN|Inf); stopped before any epoch finished: no checkpoint was written to .*nan.safetensors' "$S" -- train $MLP --opt sgd --lr 1e30 --epochs 2 --save "$S"
check nan_no_file [ ! -e "$S" ]
echo "an earlier file" > "$S"
expect_error nan_leaves_earlier_file 'no checkpoint was written' "$S" -- train $MLP --opt sgd --lr 1e30 --epochs 2 --save "$S"
expect_error nan_without_save 'loss is (NaN|Inf); stopped \(no --save' - -- train $MLP --opt sgd --lr 1e30 --epochs 2

# ---- a loss that grows 100x: one warning; large losses in %g
expect_ok loss_warning -- train $MLP --opt adam --lr 1e14 --epochs 1
check loss_warning_once [ "$(grep -c 'warning: the loss grew from .* (more than 100x)' "$T_DIR/stderr")" -eq 1 ]
check loss_in_g grep -qE '^epoch 1/1  train_loss [0-9.]+e\+[0-9]+ ' "$T_DIR/stdout"
expect_ok no_warning_when_fine -- train $MLP --epochs 1
check no_warning_when_fine_stderr [ ! -s "$T_DIR/stderr" ]

# ---- optim: divergence said, --steps defaults, --opt echoed as given, summaries on one rule
Q="--fn quadratic --a1 1 --a2 10 --x0 1,1"
expect_ok gd_diverges -- optim $Q --opt gd --lr 1.0
check says_diverges grep -q '^predicted rate  19 — diverges (rate > 1)$' "$T_DIR/stdout"
check big_f_in_g grep -qE '^final f    5\.6[0-9]*e256$' "$T_DIR/stdout"
check steps_default grep -q '^steps      100$' "$T_DIR/stdout"
expect_ok help_steps_default -- optim --help
check help_says_default grep -q 'steps.*default 100' "$T_DIR/stdout"
expect_ok sgd_echo -- optim $Q --opt sgd --lr 0.05 --steps 10
check sgd_echoed grep -q '^optimizer  sgd ' "$T_DIR/stdout"
# final x to the digits that move no more: GD with rate 0.9 after 100 steps
expect_ok digits -- optim $Q --opt gd --lr 0.05
check final_x_digits grep -qE '^final x    \([0-9.e-]{3,10}, ' "$T_DIR/stdout"
expect_ok optim_csv_summary_on_stderr -- optim $Q --opt gd --lr 0.05 --csv "$T_DIR/o.csv"
check optim_csv_no_stdout [ ! -s "$T_DIR/stdout" ]
check optim_csv_summary grep -q '^measured rate' "$T_DIR/stderr"
expect_ok optim_quiet -- optim $Q --opt gd --lr 0.05 --csv "$T_DIR/o.csv" --quiet
check optim_quiet_silent [ ! -s "$T_DIR/stdout" ] && [ ! -s "$T_DIR/stderr" ]
BV="--n 40 --d 5 --ntest 10 --lambda 0,1 --trials 20"
expect_ok biasvar_csv_summary_on_stderr -- biasvar $BV --csv "$T_DIR/b.csv"
check biasvar_csv_no_stdout [ ! -s "$T_DIR/stdout" ]
check biasvar_table_names_as_csv [ "$(head -1 "$T_DIR/stderr" | tr -s ' ' ',')" = "$(head -1 "$T_DIR/b.csv")" ]
expect_ok biasvar_quiet -- biasvar $BV --svg "$T_DIR/b.svg" --quiet
check biasvar_quiet_silent [ ! -s "$T_DIR/stdout" ] && [ ! -s "$T_DIR/stderr" ]
expect_ok biasvar_table_on_stdout -- biasvar $BV
check biasvar_stdout_table grep -q 'variance_exact' "$T_DIR/stdout"

# ---- a million steps: the SVG is thinned to what it can show, the CSV keeps every step
expect_ok million_steps -- optim --fn rosenbrock --x0=-1.2,1 --opt gd --lr 1e-3 --steps 1000000 --svg "$T_DIR/big.svg" --csv "$T_DIR/big.csv"
check svg_at_most_2MB [ "$(wc -c < "$T_DIR/big.svg")" -le 2000000 ]
check csv_every_step [ "$(wc -l < "$T_DIR/big.csv")" -eq 1000002 ]
if command -v rsvg-convert > /dev/null 2>&1; then
    check svg_renders rsvg-convert "$T_DIR/big.svg" -o "$T_DIR/big.png"
else
    skip svg_renders "no rsvg-convert (librsvg2-bin)"
fi

# ---- eval on a file that is not a checkpoint
printf 'epoch,train_loss\n1,2.3\n' > "$T_DIR/cnn.csv"
expect_error eval_csv 'cnn.csv: not a safetensors file' - -- eval --load "$T_DIR/cnn.csv" --data "$D"
finish
