#!/bin/sh
# nabla train --sharpness-every: the log's and figure's sharpness columns, the
# same training bits with it as without, agreement with nabla curvature, the
# rows kept across a resume, and every bad value as one line, exit 2.
. "$(dirname "$0")/lib.sh"

D=$T_DIR/data; mkdir -p "$D"
be32() { printf "\\$(printf %03o $(( ($1 >> 24) & 255 )))\\$(printf %03o $(( ($1 >> 16) & 255 )))\\$(printf %03o $(( ($1 >> 8) & 255 )))\\$(printf %03o $(( $1 & 255 )))"; }
images() { { printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28; head -c $(($2 * 784)) /dev/urandom; } > "$1"; }
labels() { { printf '\000\000\010\001'; be32 "$2"; i=0; while [ $i -lt $(($2 / 10)) ]; do printf '\000\001\002\003\004\005\006\007\010\011'; i=$((i + 1)); done; } > "$1"; }
images "$D/train-images-idx3-ubyte" 320; labels "$D/train-labels-idx1-ubyte" 320
images "$D/t10k-images-idx3-ubyte" 100; labels "$D/t10k-labels-idx1-ubyte" 100

A=$T_DIR/a.st; B=$T_DIR/b.st; L=$T_DIR/log.csv
MLP="train --data $D --model mlp --hidden 32,16 --seed 3 --batch 32 --opt sgd --lr 0.1"
SH="--sharpness-every 5 --sharpness-samples 64"

# ---- the columns; training's bits the same as without
expect_ok with_sharpness -- $MLP --epochs 2 --save "$A" --log "$L" --svg "$T_DIR/s.svg" $SH
expect_ok without_sharpness -- $MLP --epochs 2 --save "$B"
check bits_unchanged cmp -s "$A" "$B"
check log_header [ "$(head -1 "$L")" = "epoch,train_loss,train_acc,test_loss,test_acc,seconds,samples_per_s,step,sharpness,two_over_lr" ]
# 20 steps: measurements at 0, 5, 10, 15, 20 and two epoch rows (ending at steps 10 and 20)
check log_measurements [ "$(grep -c '^[0-9]*,,,,,,,[0-9]*,[0-9.e+-]*,20$' "$L")" -eq 5 ]
check log_epoch_rows [ "$(grep -c '^[12],[0-9].*,\(10\|20\),,$' "$L")" -eq 2 ]
check log_step_order [ "$(awk -F, 'NR > 1 { print $8 }' "$L" | tr '\n' ' ')" = "0 5 10 10 15 20 20 " ]
check sharpness_positive awk -F, 'NR > 1 && $9 != "" && !($9 > 0) { exit 1 }' "$L"
check svg_sharpness_panel grep -q '>sharpness<' "$T_DIR/s.svg"
# the last measurement (step 20) is the checkpoint's top eigenvalue on the same 64 samples (f64 there)
expect_ok curvature_of_the_checkpoint -- curvature --load "$A" --data "$D" --samples 64 --top 1 --probes 2
top=$(sed -n 's/^top 1 eigenvalues (Lanczos): //p' "$T_DIR/stdout")
last=$(awk -F, '$8 == 20 && $9 != "" { print $9 }' "$L")
check agrees_with_curvature awk -v a="$top" -v b="$last" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d <= 1e-4 * a) }'
# seeded: a second run measures the same numbers
expect_ok again -- $MLP --epochs 2 --log "$T_DIR/l2.csv" $SH
check deterministic [ "$(cut -d, -f1-5,8-10 "$L")" = "$(cut -d, -f1-5,8-10 "$T_DIR/l2.csv")" ]
# the 2/lr line moves with a schedule
expect_ok cosine -- $MLP --epochs 2 --schedule cosine --log "$T_DIR/c.csv" $SH
check two_over_lr_follows_the_schedule awk -F, 'NR > 1 && $10 != "" { if (n++ && !($10 > prev)) exit 1; prev = $10 } END { exit n != 5 }' "$T_DIR/c.csv"
# the CNN: its two shards run on two threads while the measurement reads the weights
expect_ok cnn_with -- train --data "$D" --model cnn --limit 64 --batch 32 --epochs 1 --save "$A" --log "$T_DIR/cnn.csv" --sharpness-every 1 --sharpness-samples 16
expect_ok cnn_without -- train --data "$D" --model cnn --limit 64 --batch 32 --epochs 1 --save "$B"
check cnn_bits_unchanged cmp -s "$A" "$B"

# fewer training samples than the default 1000: all of them
expect_ok default_samples_all -- $MLP --epochs 1 --limit 100 --log "$T_DIR/d.csv" --sharpness-every 100
check default_samples_measured [ "$(grep -c '^0,,,,,,,0,' "$T_DIR/d.csv")" -eq 1 ]

# ---- resume keeps the earlier measurements
expect_ok resume_first -- $MLP --epochs 1 --save "$B" --log "$T_DIR/r.csv" $SH
expect_ok resume_rest -- train --data "$D" --resume "$B" --epochs 2 --save "$B" --log "$T_DIR/r.csv" $SH
check resume_rows [ "$(cut -d, -f1-5,8 "$L")" = "$(cut -d, -f1-5,8 "$T_DIR/r.csv")" ]
check resume_first_epoch_values [ "$(sed -n 2,4p "$L" | cut -d, -f8-10)" = "$(sed -n 2,4p "$T_DIR/r.csv" | cut -d, -f8-10)" ]

# ---- not asked: the plain log
expect_ok plain -- $MLP --epochs 1 --log "$T_DIR/p.csv"
check plain_header [ "$(head -1 "$T_DIR/p.csv")" = "epoch,train_loss,train_acc,test_loss,test_acc,seconds,samples_per_s" ]

# ---- bad values
O=$T_DIR/never.csv
expect_error every_zero 'sharpness-every 0: must be in 1\.\.' "$O" -- $MLP --log "$O" --sharpness-every 0
expect_error every_negative 'sharpness-every -3' "$O" -- $MLP --log "$O" --sharpness-every -3
expect_error samples_zero 'sharpness-samples 0: must be in 1\.\.' "$O" -- $MLP --log "$O" --sharpness-every 2 --sharpness-samples 0
expect_error samples_alone 'sharpness-samples needs --sharpness-every' "$O" -- $MLP --log "$O" --sharpness-samples 10
expect_error nowhere_to_write 'give --log or --svg' - -- $MLP --sharpness-every 2
expect_error samples_too_many 'sharpness-samples 5000: there are 320 training samples' "$O" -- $MLP --log "$O" --sharpness-every 2 --sharpness-samples 5000
expect_error every_junk 'sharpness-every' "$O" -- $MLP --log "$O" --sharpness-every 2x

# ---- nabla eos: a tiny run (its claim is checked by bench/eos.sh, at full size)
E="eos --data $D --samples 50 --hidden 8,8 --steps 20 --every 10 --iters 4"
expect_ok eos_tiny -- $E --csv "$T_DIR/e.csv" --svg "$T_DIR/e.svg"
check eos_rows [ "$(grep -c '^0\.0[25],\(0\|10\|20\),' "$T_DIR/e.csv")" -eq 6 ]
check eos_summary [ "$(grep -c '^lr 0\.0[25]: 2/lr = ' "$T_DIR/stdout")" -eq 2 ]
expect_error eos_hidden_zero '--hidden 0: widths must be in 1\.\.4096' "$T_DIR/e2.csv" -- eos --data "$D" --hidden 4,0 --csv "$T_DIR/e2.csv"
expect_error eos_iters_zero 'iters' "$T_DIR/e2.csv" -- $E --iters 0 --csv "$T_DIR/e2.csv"
finish
