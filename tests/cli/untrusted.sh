#!/bin/sh
# Untrusted input, class by class (issue 17): every number from a flag, a file
# header, a checkpoint's metadata or the environment is checked before it is
# used; special files never block; outputs never clobber each other or an
# input; signals leave no temporary file; a resumed run is the run it claims
# to continue; non-finite results are errors; messages stay one clean line.
# Each class has several variants. An error case asserts exit 2, one stderr
# line matching a pattern, nothing on stdout and the output untouched
# (expect_error), and runs under a CPU-time limit and, outside sanitizer
# builds, a 512 MB address-space limit: no input here describes that much data.
# CPU time, not the clock: a busy machine slows a case's clock, never its work.
. "$(dirname "$0")/lib.sh"
D=$T_DIR

LIMIT=524288
if ! (ulimit -v $LIMIT 2>/dev/null && "$NABLA" --version) > /dev/null 2>&1; then
    LIMIT=unlimited
    echo "note: $NABLA does not run under ulimit -v (a sanitizer build?): cases are timed only" >&2
fi
# the runner: 512 MB of address space, NB_CPU_S seconds of CPU (SIGXCPU, exit
# 152, past them), and 60 s of the clock for a case that blocks without working
NB_CPU_S=20; export NB_CPU_S
cat > "$D/limited" <<EOS
#!/bin/sh
ulimit -v $LIMIT 2>/dev/null
ulimit -t \$NB_CPU_S
exec timeout -s KILL 60 "$NABLA" "\$@"
EOS
chmod +x "$D/limited"
RUN=$NABLA
NABLA=$D/limited
# fast NAME PATTERN OUT -- ARGS: expect_error within FAST_S seconds of CPU
# (the defects this catches took 13 GB or 18 s; a refusal takes milliseconds)
FAST_S=3
fast() { NB_CPU_S=$FAST_S; expect_error "$@"; NB_CPU_S=20; }
# ok NAME -- ARGS: exit 0 under the same limits
ok() { expect_ok "$@"; }

DATA=$D/data; mkdata "$DATA"
CK=$D/good.safetensors
"$RUN" train --data "$DATA" --model mlp --hidden 8 --epochs 1 --batch 10 --save "$CK" > /dev/null 2>&1 ||
    echo "untrusted.sh: cannot make the good checkpoint" >&2
O=$D/out.safetensors; echo keep > "$O"    # an output that must stay as it is
OC=$D/out.csv; echo keep > "$OC"

# ckmeta NAME SED...: the good checkpoint with its JSON header edited by sed
# (any length: the 8-byte length is rewritten; data offsets are relative)
hlen() { od -An -tu4 -N4 "$1" | tr -d ' '; }
ckmeta() {
    n=$1; shift
    h=$(hlen "$CK")
    head -c $((8 + h)) "$CK" | tail -c "$h" | LC_ALL=C sed "$@" > "$D/hdr"
    cmp -s "$D/hdr" - <<EOF2 && echo "untrusted.sh: $n: the edit did not apply" >&2
$(head -c $((8 + h)) "$CK" | tail -c "$h")
EOF2
    { le64 "$(wc -c < "$D/hdr")"; cat "$D/hdr"; tail -c +$((9 + h)) "$CK"; } > "$D/$n.safetensors"
}
# ckdata NAME BYTES: the good checkpoint with its first tensor's first value replaced
ckdata() { cp "$CK" "$D/$1.safetensors"; printf "$2" | dd of="$D/$1.safetensors" bs=1 seek=$((8 + $(hlen "$CK"))) conv=notrunc 2>/dev/null; }
meta() { echo "s/\"$1\":\"[^\"]*\"/\"$1\":\"$2\"/"; }

# ---- 1. sizes from flags, headers and the environment, bounded before use -------------
fast flag_batch_2p62 "--batch 4611686018427387904: must be in 1..1048576" "$O" -- train --data "$DATA" --model mlp --hidden 8 --epochs 1 --batch 4611686018427387904 --save "$O"
fast flag_batch_over "--batch 1048577: must be in 1..1048576" "$O" -- train --data "$DATA" --model mlp --batch 1048577 --save "$O"
fast flag_eval_batch "--batch 4611686018427387904: must be in" - -- eval --load "$CK" --data "$DATA" --batch 4611686018427387904
fast flag_epochs "--epochs 1099511627776: must be in 0..1000000" "$O" -- train --data "$DATA" --model mlp --epochs 1099511627776 --save "$O"
fast flag_limit "--limit 4611686018427387904: must be in 1.." "$O" -- train --data "$DATA" --model mlp --limit 4611686018427387904 --save "$O"
fast flag_hidden "--hidden: size 2.1e\+06 is not in 1..1048576" "$O" -- train --data "$DATA" --model mlp --hidden 2100000 --save "$O"
fast flag_biasvar_d "--d" "$OC" -- biasvar --d 100000 --csv "$OC"
fast flag_biasvar_n_x_d "--n 1000000, --ntest 200, --d 10000: \(n \+ K\) x d = 1e\+10 values, more than this lab's 5e7" "$OC" -- biasvar --n 1000000 --d 10000 --trials 1 --csv "$OC"
fast flag_biasvar_nt_x_d "\(n \+ K\) x d = " "$OC" -- biasvar --n 100 --ntest 1000000 --d 100 --trials 1 --csv "$OC"
ok eval_batch_larger_than_data -- eval --load "$CK" --data "$DATA" --batch 1048576
for v in 2147483647,1,1 1,2147483647,1 1,1,99999999999 -1 1,2,3,4 x 64,,64; do
    NABLA_GEMM_BLOCKING=$v; export NABLA_GEMM_BLOCKING
    fast "env_blocking_set_$v" "NABLA_GEMM_BLOCKING='$v': (expected MC\[,KC\[,NC\]\]|nb_gemm blocking: .* is outside)" - -- bench gemm --m 8 --n 8 --k 8 --reps 1 --min-time 0
done
NABLA_GEMM_BLOCKING=64,256,512; ok env_blocking_good -- bench gemm --m 8 --n 8 --k 8 --reps 1 --min-time 0
unset NABLA_GEMM_BLOCKING

# CSV: a 1 MB file whose first line has 250k fields, then 250k short lines:
# counted (and refused as ragged) before rows x columns is allocated
awk 'BEGIN { for (i = 1; i < 250000; i++) printf "1,"; print 1; for (i = 0; i < 250000; i++) print 1 }' > "$D/wide.csv"
awk 'BEGIN { for (i = 1; i < 250000; i++) printf "1,"; print 1; for (i = 0; i < 250000; i++) print ""; print 1 }' > "$D/blank.csv"
printf '1,2\n3,4\n' > "$D/X.csv"; printf '1\n2\n' > "$D/theta.csv"; printf '1,2\n' > "$D/Xt.csv"
fast csv_wide_ragged "wide.csv: line 2 has 1 fields, line 1 has 250000 \(ragged rows\)" "$OC" -- biasvar --x "$D/wide.csv" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"
fast csv_wide_blank "blank.csv: line 2 is blank" "$OC" -- biasvar --x "$D/X.csv" --theta "$D/theta.csv" --xtest "$D/blank.csv" --csv "$OC"
awk 'BEGIN { for (i = 1; i < 500000; i++) printf "1,"; print 1; print "1,2" }' > "$D/ragged2.csv"
fast csv_ragged_2mb "ragged2.csv: line 2 has 2 fields, line 1 has 500000 \(ragged rows\)" "$OC" -- biasvar --x "$D/ragged2.csv" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"

# checkpoint metadata: sizes, counts and steps
for kv in batch=4611686018427387904 batch=1048577 batch=0 epochs=1099511627776 warmup=2305843009213693952 \
          step=9223372036854775807 optim_steps=9223372036854775807 step=-1 epoch=9223372036854775807 \
          classes=1048577 train_samples=9223372036854775807 limit=-5; do
    k=${kv%%=*}; v=${kv#*=}
    ckmeta "m_$kv" "$(meta "$k" "$v")"
    fast "ck_meta_$kv" "m_$kv.safetensors: metadata '$k' = '$v' is not a whole number" - -- eval --load "$D/m_$kv.safetensors" --data "$DATA"
done
ckmeta m_hash "$(meta labels_hash xyz)"
fast ck_meta_hash "m_hash.safetensors: metadata 'labels_hash' = 'xyz' is not 16 hex digits" - -- eval --load "$D/m_hash.safetensors" --data "$DATA"

# ---- 2. special files: refused at once, never waited on -------------------------------
mkfifo "$D/fifo"
for ff in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-labels-idx1-ubyte; do
    rm -rf "$D/fd_$ff"; mkdata "$D/fd_$ff"; rm "$D/fd_$ff/$ff"; mkfifo "$D/fd_$ff/$ff"
    fast "fifo_$ff" "fd_$ff/$ff: not a regular file \(a FIFO\)" "$O" -- train --data "$D/fd_$ff" --model mlp --hidden 8 --epochs 1 --save "$O"
done
fast fifo_resume "fifo: not a regular file \(a FIFO\)" "$O" -- train --data "$DATA" --resume "$D/fifo" --save "$O"
fast fifo_load "fifo: not a regular file \(a FIFO\)" - -- eval --load "$D/fifo" --data "$DATA"
fast fifo_csv "--x: .*fifo: not a regular file \(a FIFO\)" "$OC" -- biasvar --x "$D/fifo" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"
ln -s "$D/fifo" "$D/fifo.npy"
fast fifo_npy "--theta: .*fifo.npy: not a regular file \(a FIFO\)" "$OC" -- biasvar --x "$D/X.csv" --theta "$D/fifo.npy" --xtest "$D/Xt.csv" --csv "$OC"
fast dev_null_npy "--x: /dev/null.npy|--x: .*: not a regular file" "$OC" -- biasvar --x /dev/null --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"
fast dev_zero_ckpt "/dev/zero: not a regular file \(a character device\)" - -- eval --load /dev/zero --data "$DATA"
fast dev_urandom_csv "--xtest: /dev/urandom: not a regular file \(a character device\)" "$OC" -- biasvar --x "$D/X.csv" --theta "$D/theta.csv" --xtest /dev/urandom --csv "$OC"
fast dir_ckpt "not a regular file \(a directory\)" - -- eval --load "$D" --data "$DATA"
if command -v python3 > /dev/null 2>&1 &&
   python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$D/sock" 2>/dev/null; then
    fast socket_ckpt "sock: not a regular file \(a socket\)" - -- eval --load "$D/sock" --data "$DATA"
    fast socket_csv "--x: .*sock: not a regular file \(a socket\)" "$OC" -- biasvar --x "$D/sock" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"
else
    skip socket_ckpt "no python3 to make a socket file (FIFOs and devices stand in)"
    skip socket_csv "no python3 to make a socket file"
fi
# a FIFO as the --log that a resumed run reads back: not read, replaced
cp "$CK" "$D/res.safetensors"; mkfifo "$D/log.fifo"
ok fifo_log_on_resume -- train --data "$DATA" --resume "$D/res.safetensors" --epochs 2 --save "$D/res.safetensors" --log "$D/log.fifo"
check fifo_log_replaced [ -f "$D/log.fifo" ]

# ---- 3. the JSON reader is linear; its header has a stated limit (8 MB) --------------------
# ckwide NAME AWK: the good checkpoint with AWK's output (keys and values,
# each followed by a comma) put first in its __metadata__ object
ckwide() {
    h=$(hlen "$CK")
    { printf '{"__metadata__":{'; awk "BEGIN { $2 }"; head -c $((8 + h)) "$CK" | tail -c $((h - 17)); } > "$D/hdr"
    { le64 "$(wc -c < "$D/hdr")"; cat "$D/hdr"; tail -c +$((9 + h)) "$CK"; } > "$D/$1.safetensors"
}
# timed_ok NAME SECONDS -- ARGS: exit 0 within SECONDS of CPU
timed_ok() { n=$1; NB_CPU_S=$2; shift 2; expect_ok "$n" "$@"; NB_CPU_S=20; }
ckwide keys_1mb 'for (i = 0; i < 110000; i++) printf "\"k%d\":\"\",", i'
timed_ok json_110k_keys 5 -- eval --load "$D/keys_1mb.safetensors" --data "$DATA"
ckwide keys_7mb 'for (i = 0; i < 450000; i++) printf "\"key%07d\":\"\",", i'
timed_ok json_600k_keys 10 -- eval --load "$D/keys_7mb.safetensors" --data "$DATA"
ckwide dup_last 'for (i = 0; i < 200000; i++) printf "\"k%d\":\"\",", i; printf "\"k0\":\"\","'
fast json_dup_key_last "dup_last.safetensors: bad JSON at byte [0-9]+: duplicate key in an object" - -- eval --load "$D/dup_last.safetensors" --data "$DATA"
ckwide dup_near 'for (i = 0; i < 200000; i++) printf "\"k%d\":\"\",", i % 199999'
fast json_dup_key_wrapped "duplicate key in an object" - -- eval --load "$D/dup_near.safetensors" --data "$DATA"
ckwide header_9mb 'for (i = 0; i < 800000; i++) printf "\"key%07d\":\"\",", i'
fast json_header_over_limit "header_9mb.safetensors: header length [0-9]+ is not plausible \(at most 8388608 bytes\)" - -- eval --load "$D/header_9mb.safetensors" --data "$DATA"
ckwide one_array 'printf "\"a\":\""; printf "\",\"b\":["; for (i = 0; i < 4000000; i++) printf "0,"; printf "0],"'
FAST_S=20 # 4 million values, parsed under 512 MB (and under a sanitizer)
fast json_8mb_array "one_array.safetensors: __metadata__ value of 'b' is not a string" - -- eval --load "$D/one_array.safetensors" --data "$DATA"
FAST_S=3
ckwide deep 'printf "\"a\":"; for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; printf ","'
fast json_deep "deep.safetensors: bad JSON at byte [0-9]+: nested too deeply" - -- eval --load "$D/deep.safetensors" --data "$DATA"

# ---- 4. checkpoint metadata held against its tensors before anything is built -----------
for kv in hidden=1048576 hidden=8,1048576,8 hidden=1048576,1048576 input=1,4096,4096 input=4096,4096,1 classes=1048576; do
    k=${kv%%=*}; v=${kv#*=}
    ckmeta "t_$kv" "$(meta "$k" "$v")"
    fast "ck_claims_$kv" "t_$kv.safetensors: (metadata describes .* parameters, but the file holds [0-9]+ bytes of tensors|model: input .* is more than 2\^24 values)" - -- eval --load "$D/t_$kv.safetensors" --data "$DATA"
    fast "ck_claims_resume_$kv" "t_$kv.safetensors: " "$O" -- train --data "$DATA" --resume "$D/t_$kv.safetensors" --epochs 3 --save "$O"
done
ckmeta t_cnn "$(meta model cnn)"
fast ck_claims_cnn "t_cnn.safetensors: metadata describes cnn 1x28x28-16c3-p2-32c3-p2-10, 20490 parameters, but the file holds 76472 bytes" - -- eval --load "$D/t_cnn.safetensors" --data "$DATA"

# ---- 5. biasvar: the user's data meets the generated design's limits ------------------
# npy FILE D0 D1: a version 1.0 little-endian f4 .npy header of shape (D0, D1), then zeros
npy() { hd="{'descr': '<f4', 'fortran_order': False, 'shape': ($2, $3), }"; printf "\\223NUMPY\\001\\000\\$(printf %03o $(( (${#hd} + 1) & 255 )))\\$(printf %03o $(( (${#hd} + 1) >> 8 )))%s\\n" "$hd" > "$1"; zeros $(( $2 * $3 * 4 )) >> "$1"; }
npy "$D/wide.npy" 4 20000; npy "$D/wide1.npy" 1 20000
fast biasvar_npy_d20000 "--x .*wide.npy is 4x20000.*too large for this lab" "$OC" -- biasvar --x "$D/wide.npy" --theta "$D/wide1.npy" --xtest "$D/wide1.npy" --csv "$OC"
npy "$D/tall.npy" 1000001 1; npy "$D/t1.npy" 1 1
fast biasvar_npy_n_1e6 "--x .*tall.npy is 1000001x1.*too large for this lab" "$OC" -- biasvar --x "$D/tall.npy" --theta "$D/t1.npy" --xtest "$D/t1.npy" --csv "$OC"
npy "$D/dn.npy" 10 200; npy "$D/t200.npy" 1 200
fast biasvar_d_over_n "--x .*dn.npy is 10x200: more features than rows" "$OC" -- biasvar --x "$D/dn.npy" --theta "$D/t200.npy" --xtest "$D/t200.npy" --csv "$OC"
printf '1,2,3\n4,5,6\n' > "$D/dn.csv"; printf '1,2,3\n' > "$D/t3.csv"
fast biasvar_d_over_n_csv "--x .*dn.csv is 2x3: more features than rows" "$OC" -- biasvar --x "$D/dn.csv" --theta "$D/t3.csv" --xtest "$D/t3.csv" --csv "$OC"
npy "$D/n5000.npy" 5000 10; npy "$D/t10.npy" 1 10
fast biasvar_trials_x_rows "--trials 100000: .* too much work" "$OC" -- biasvar --x "$D/n5000.npy" --theta "$D/t10.npy" --xtest "$D/t10.npy" --trials 100000 --csv "$OC"

# ---- 6. CSV: a UTF-8 byte order mark, line endings, ragged rows ---------------------------
printf '\357\273\2771,0\n0,1\n1,1\n' > "$D/bom.csv"; printf '\357\273\277x1,x2\r\n1,0\r\n0,1\r\n1,1\r\n' > "$D/bomh.csv"
printf '\357\273\2771\n2\n' > "$D/bomt.csv"
ok csv_bom -- biasvar --x "$D/bom.csv" --theta "$D/bomt.csv" --xtest "$D/X.csv" --trials 5
ok csv_bom_header_crlf -- biasvar --x "$D/bomh.csv" --theta "$D/theta.csv" --xtest "$D/X.csv" --trials 5
printf '1,2\n3\n' > "$D/rag.csv"
fast csv_ragged "rag.csv: line 2 has 1 fields, line 1 has 2 \(ragged rows\)" "$OC" -- biasvar --x "$D/rag.csv" --theta "$D/theta.csv" --xtest "$D/X.csv" --csv "$OC"
printf 'a,b\n1,2\n3,4,5\n' > "$D/rag2.csv"
fast csv_ragged_after_header "rag2.csv: line 3 has 3 fields, line 1 has 2 \(ragged rows\)" "$OC" -- biasvar --x "$D/rag2.csv" --theta "$D/theta.csv" --xtest "$D/X.csv" --csv "$OC"

# ---- 7. outputs by identity: not two on one file, not one over an input -----------------
Q="--fn quadratic --a1 1 --a2 10 --x0 1,1 --opt gd --steps 3"
mkdir -p "$D/o"
fast out_same_new_file "--csv .*o/a.csv and --svg .*/./o/a.csv are the same file" - -- optim $Q --csv "$D/o/a.csv" --svg "$D/./o/a.csv"
check out_same_made_nothing [ ! -e "$D/o/a.csv" ]
echo keep > "$D/o/b.csv"; ln -s b.csv "$D/o/link.svg"; ln "$D/o/b.csv" "$D/o/hard.svg"
fast out_symlink "--csv .*o/b.csv and --svg .*o/link.svg are the same file" "$D/o/b.csv" -- optim $Q --csv "$D/o/b.csv" --svg "$D/o/link.svg"
fast out_hardlink "--csv .*o/b.csv and --svg .*o/hard.svg are the same file" "$D/o/b.csv" -- optim $Q --csv "$D/o/b.csv" --svg "$D/o/hard.svg"
fast out_same_string "--csv and --svg name the same file" "$D/o/b.csv" -- optim $Q --csv "$D/o/b.csv" --svg "$D/o/b.csv"
fast out_dotdot "are the same file" - -- optim $Q --csv "$D/o/c.csv" --svg "$D/o/../o/c.csv"
fast biasvar_out_same "--csv and --svg name the same file" "$OC" -- biasvar --trials 5 --csv "$OC" --svg "$OC"
cp "$D/X.csv" "$D/Xin.csv"; ln -s Xin.csv "$D/Xlink.csv"
fast biasvar_out_over_x "--csv .*Xin.csv is the input file .*Xin.csv \(--x\): writing it would destroy it" "$D/Xin.csv" -- biasvar --x "$D/Xin.csv" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$D/Xin.csv"
fast biasvar_svg_over_xtest_link "--svg .*Xlink.csv is the input file .*Xin.csv \(--xtest\)" "$D/Xin.csv" -- biasvar --x "$D/X.csv" --theta "$D/theta.csv" --xtest "$D/Xin.csv" --svg "$D/Xlink.csv"
cp "$CK" "$D/r.safetensors"
fast train_resume_save_log_same "--save .*r.safetensors and --log .*r.safetensors name the same file|--save and --log name the same file" "$D/r.safetensors" -- train --data "$DATA" --resume "$D/r.safetensors" --epochs 2 --save "$D/r.safetensors" --log "$D/r.safetensors"
fast train_log_over_resume "--log .*r.safetensors is the input file .*r.safetensors \(--resume\)" "$D/r.safetensors" -- train --data "$DATA" --resume "$D/r.safetensors" --epochs 2 --save "$O" --log "$D/r.safetensors"
cp -r "$DATA" "$D/data2"
fast train_save_over_labels "--save .*data2/train-labels-idx1-ubyte is the input file .* \(--data\)" "$D/data2/train-labels-idx1-ubyte" -- train --data "$D/data2" --model mlp --hidden 8 --epochs 1 --save "$D/data2/train-labels-idx1-ubyte"
ln -s data2/t10k-images-idx3-ubyte "$D/img.svg"
fast train_svg_over_test_images "--svg .*img.svg is the input file .*t10k-images-idx3-ubyte \(--data\)" "$D/data2/t10k-images-idx3-ubyte" -- train --data "$D/data2" --model mlp --hidden 8 --epochs 1 --svg "$D/img.svg"
gzip -c "$DATA/t10k-labels-idx1-ubyte" > "$D/data2/t10k-labels-idx1-ubyte.gz"
fast train_log_over_gz "--log .*t10k-labels-idx1-ubyte.gz is the input file" "$D/data2/t10k-labels-idx1-ubyte.gz" -- train --data "$D/data2" --model mlp --hidden 8 --epochs 1 --log "$D/data2/t10k-labels-idx1-ubyte.gz"
fast train_log_svg_same "--log .*l.csv and --svg .*/./l.csv are the same file" - -- train --data "$DATA" --model mlp --hidden 8 --epochs 1 --log "$D/l.csv" --svg "$D/./l.csv"
ok train_save_over_resume -- train --data "$DATA" --resume "$D/r.safetensors" --epochs 2 --save "$D/r.safetensors"
check train_save_over_resume_advanced grep -q '"epoch":"2"' "$D/r.safetensors"

# ---- 8. SIGINT and SIGTERM during train: one line, 130/143, no temporary file --------------
# 2000 samples and a 1 MB checkpoint written every epoch (with fsync), so that
# about half of the kills land during a save. 20 kills at moments drawn from a
# fixed seed, alternating SIGINT and SIGTERM.
SIG=$D/sig; mkdir -p "$SIG"
idx_header "$SIG/train-images-idx3-ubyte" 8 3 2000 28 28; zeros 1568000 >> "$SIG/train-images-idx3-ubyte"
idx_header "$SIG/train-labels-idx1-ubyte" 8 1 2000; i=0; while [ $i -lt 100 ]; do tail -c 20 "$DATA/train-labels-idx1-ubyte"; i=$((i + 1)); done >> "$SIG/train-labels-idx1-ubyte"
cp "$DATA/t10k-images-idx3-ubyte" "$DATA/t10k-labels-idx1-ubyte" "$SIG/"
CKS=$D/sig.safetensors
# Each run is under timeout(1), which passes the signals on (and gives the
# command back the SIGINT that a background job starts without); the kill's
# moment is counted from train's first line, printed once its data is loaded.
started() { i=0; while [ $i -lt 600 ] && ! grep -q '^#' "$D/sig.out" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done; }
delays=$(awk 'BEGIN { srand(17); for (i = 0; i < 20; i++) printf "%.3f ", 0.6 * rand() }')
k=0; bad=""
for delay in $delays; do
    k=$((k + 1))
    if [ $((k % 2)) = 1 ]; then sig=INT; want=130; else sig=TERM; want=143; fi
    rm -f "$D/sig.out"
    timeout -s KILL 120 "$RUN" train --data "$SIG" --model mlp --hidden 64 --epochs 1000 --batch 100 --save "$CKS" \
        --log "$D/sig.csv" > "$D/sig.out" 2> "$D/sig.err" &
    pid=$!
    started; sleep "$delay"; kill -s $sig $pid; wait $pid; rc=$?
    left=$(find "$D" -maxdepth 1 -name 'sig*.tmp.*' | head -1)
    if [ $rc -ne $want ]; then bad="$bad [$k: exit $rc, expected $want]"
    elif [ "$(wc -l < "$D/sig.err")" -ne 1 ] || ! grep -qE "^nabla train: (interrupted \(SIGINT\)|terminated \(SIGTERM\))" "$D/sig.err"; then
        bad="$bad [$k: stderr '$(head -c 200 "$D/sig.err")']"
    elif [ -n "$left" ]; then bad="$bad [$k: $left left behind]"; rm -f "$D"/sig*.tmp.*
    elif [ -e "$CKS" ] && ! "$RUN" eval --load "$CKS" --data "$SIG" > /dev/null 2>&1; then bad="$bad [$k: the checkpoint does not load]"
    fi
done
T_NAME=signals_20_kills; if [ -z "$bad" ]; then t_ok; else t_bad "$bad"; fi
check signals_said_what_is_kept grep -qE "sig.safetensors holds epoch [0-9]+$" "$D/sig.err"
# a second SIGINT stops at once
rm -f "$D/sig.out"
timeout -s KILL 120 "$RUN" train --data "$SIG" --model mlp --hidden 64 --epochs 1000 --batch 100 --save "$CKS" > "$D/sig.out" 2> "$D/sig.err" &
pid=$!
started; sleep 0.2; kill -s INT $pid; kill -s INT $pid; t0=$(date +%s%N); wait $pid; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
T_NAME=signals_second_sigint; if [ $rc -eq 130 ] && [ $ms -lt 2000 ] && [ "$(wc -l < "$D/sig.err")" -eq 1 ] &&
    [ -z "$(find "$D" -maxdepth 1 -name 'sig*.tmp.*' | head -1)" ]; then t_ok; else t_bad "exit $rc after $ms ms: $(cat "$D/sig.err")"; fi
check signals_help_says_130_143 sh -c '"$0" train --help | grep -q "130 (SIGINT) or 143 (SIGTERM)"' "$RUN"

# ---- 9. a checkpoint records what shaped the run; resume holds to it ---------------------
mkdata "$D/big"
for i in 1 2 3 4 5; do cat "$DATA/train-labels-idx1-ubyte" | tail -c 20; done > "$D/lab100"
idx_header "$D/big/train-images-idx3-ubyte" 8 3 100 28 28; zeros 78400 >> "$D/big/train-images-idx3-ubyte"
idx_header "$D/big/train-labels-idx1-ubyte" 8 1 100; cat "$D/lab100" >> "$D/big/train-labels-idx1-ubyte"
"$RUN" train --data "$D/big" --model mlp --hidden 8 --epochs 1 --batch 10 --limit 40 --save "$D/lim.safetensors" > /dev/null 2>&1
fast resume_limit_other "--limit 50 contradicts .*lim.safetensors, which holds --limit 40" "$D/lim.safetensors" -- train --data "$D/big" --resume "$D/lim.safetensors" --epochs 2 --limit 50 --save "$D/lim.safetensors"
fast resume_limit_added "--limit 10 contradicts .*good.safetensors, which was trained on all the samples \(no --limit\)" "$O" -- train --data "$DATA" --resume "$CK" --epochs 2 --limit 10 --save "$O"
cp "$D/lim.safetensors" "$D/lim2.safetensors"
timed_ok resume_limit_kept 20 -- train --data "$D/big" --resume "$D/lim2.safetensors" --epochs 2 --save "$D/lim2.safetensors"
check resume_limit_kept_40 grep -q ', 40 train / 20 test samples' "$T_DIR/stdout"
fast resume_other_data "--data .*big: 100 training samples \(labels hash [0-9a-f]{16}\), but .*good.safetensors was trained on 20 \(labels hash [0-9a-f]{16}\)" "$O" -- train --data "$D/big" --resume "$CK" --epochs 2 --save "$O"
mkdata "$D/relabel"; printf '\011' | dd of="$D/relabel/train-labels-idx1-ubyte" bs=1 seek=8 conv=notrunc 2>/dev/null
fast resume_relabelled "--data .*relabel: 20 training samples \(labels hash ([0-9a-f]{16})\), but .*good.safetensors was trained on 20 \(labels hash" "$O" -- train --data "$D/relabel" --resume "$CK" --epochs 2 --save "$O"
"$RUN" train --data "$DATA" --model mlp --hidden 8 --epochs 3 --batch 10 --schedule cosine --save "$D/cos.safetensors" > /dev/null 2>&1
fast resume_cosine_epochs "--epochs 5 contradicts .*cos.safetensors, whose cosine schedule spans 3 epochs" "$D/cos.safetensors" -- train --data "$DATA" --resume "$D/cos.safetensors" --epochs 5 --save "$D/cos.safetensors"
fast resume_schedule "--schedule constant contradicts .*cos.safetensors, which holds cosine" "$D/cos.safetensors" -- train --data "$DATA" --resume "$D/cos.safetensors" --schedule constant --epochs 3 --save "$D/cos.safetensors"
ckmeta stepoff "$(meta step 3)"
fast resume_step_forged "stepoff.safetensors: step 3 does not fit epoch 1 of 2 steps each" "$O" -- train --data "$DATA" --resume "$D/stepoff.safetensors" --epochs 2 --save "$O"
ckmeta nsamples "$(meta train_samples 21)"
fast resume_samples_forged "but .*nsamples.safetensors was trained on 21" "$O" -- train --data "$DATA" --resume "$D/nsamples.safetensors" --epochs 2 --save "$O"

# ---- 10. undefined behaviour: products and counts near overflow --------------------------
fast warmup_2p61 "--warmup 2305843009213693952: must be in 0..1000000" "$O" -- train --data "$DATA" --model mlp --warmup 2305843009213693952 --batch 16 --save "$O"
fast warmup_over "--warmup 1000001: must be in 0..1000000" "$O" -- train --data "$DATA" --model mlp --warmup 1000001 --save "$O"
ok warmup_at_bound -- train --data "$DATA" --model mlp --hidden 8 --epochs 1 --warmup 1000000 --batch 16
ok seed_max -- train --data "$DATA" --model mlp --hidden 8 --epochs 1 --seed 9223372036854775807
fast seed_over "--seed: '9223372036854775808' is not a whole number" "$O" -- train --data "$DATA" --model mlp --seed 9223372036854775808 --save "$O"

# ---- 11. NaN and Inf: in a checkpoint, or in what is computed from sound inputs ---------
ckdata nan0 '\000\000\300\177'
fast ck_nan_weight "nan0.safetensors: tensor '0.weight' holds NaN \(value 0\)" - -- eval --load "$D/nan0.safetensors" --data "$DATA"
fast ck_nan_weight_resume "nan0.safetensors: tensor '0.weight' holds NaN" "$O" -- train --data "$DATA" --resume "$D/nan0.safetensors" --epochs 2 --save "$O"
ckdata inf1 '\000\000\000\000\000\000\200\377'
fast ck_inf_weight "inf1.safetensors: tensor '0.weight' holds Inf \(value 1\)" - -- eval --load "$D/inf1.safetensors" --data "$DATA"
for kv in norm_std=1e-45 norm_std=0 norm_std=-1 norm_mean=5 norm_std=1e30; do
    k=${kv%%=*}; v=${kv#*=}
    ckmeta "n_$kv" "$(meta "$k" "$v")"
    fast "ck_norm_$kv" "n_$kv.safetensors: metadata norm_mean .*: expected a mean in \[0,1\] and a std in \[1e-6,1\]" - -- eval --load "$D/n_$kv.safetensors" --data "$DATA"
done
ckmeta n_nan "$(meta norm_mean nan)"
fast ck_norm_nan "n_nan.safetensors: metadata 'norm_mean' = 'nan' is not a number" - -- eval --load "$D/n_nan.safetensors" --data "$DATA"
# finite weights that overflow: the output biases at +-FLT_MAX make some logits -Inf away from the top
b2=$(grep -ao '"2.bias":{[^}]*}' "$CK" | sed 's/.*data_offsets":\[\([0-9]*\),.*/\1/')
cp "$CK" "$D/huge.safetensors"
printf '\377\377\177\177\377\377\177\377\377\377\177\177\377\377\177\377\377\377\177\177\377\377\177\377\377\377\177\177\377\377\177\377\377\377\177\177\377\377\177\377' |
    dd of="$D/huge.safetensors" bs=1 seek=$((8 + $(hlen "$CK") + b2)) conv=notrunc 2>/dev/null
fast eval_loss_inf "huge.safetensors: test_loss is (Inf|NaN) on " - -- eval --load "$D/huge.safetensors" --data "$DATA"
fast biasvar_noise_huge "column .* is (Inf|NaN) at lambda = " "$OC" -- biasvar --noise 1e200 --trials 5 --csv "$OC"
fast biasvar_lambda_huge "column .* is (Inf|NaN) at lambda = 1e\+308" "$OC" -- biasvar --lambda 1e308 --trials 5 --csv "$OC"
fast biasvar_poly_noise_huge "column .* is (Inf|NaN) at degree = " "$OC" -- biasvar --model poly --noise 1e200 --trials 5 --csv "$OC"
fast biasvar_user_lambda_huge "column .* is (Inf|NaN)" "$OC" -- biasvar --x "$D/X.csv" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --lambda 1e308 --trials 5 --csv "$OC"

# ---- 12. messages: one line, no raw control bytes, the whole reason ----------------------
ESC=$(printf '\033'); CR=$(printf '\r')
clean() { ! LC_ALL=C grep -q "[$ESC$CR]" "$T_DIR/stderr"; }
printf '1,2\n3,\033[31mred\rX\n' > "$D/esc.csv"
fast msg_csv_escapes "esc.csv: line 2, column 2: '\\\\x1b\[31mred\\\\rX' is not a number" "$OC" -- biasvar --x "$D/esc.csv" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"
check msg_csv_no_raw_bytes clean
nl='
'
fast msg_path_newline "a\\\\nb.csv: cannot open: No such file or directory" "$OC" -- biasvar --x "$D/a${nl}b.csv" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"
fast msg_path_escape "\\\\x1b\]0;title\\\\x07.safetensors: cannot open" - -- eval --load "$D/${ESC}]0;title$(printf '\007').safetensors" --data "$DATA"
check msg_path_no_raw_bytes clean
ckmeta escmodel "s/\"model\":\"mlp\"/\"model\":\"\\\\u001b[2J\\\\r\"/"
fast msg_meta_escape "unknown model '\\\\x1b\[2J\\\\r'" - -- eval --load "$D/escmodel.safetensors" --data "$DATA"
check msg_meta_no_raw_bytes clean
ok lambda_subnormal -- biasvar --lambda 1e-320 --trials 5
ok lambda_underflow -- biasvar --lambda 0,1e-400 --trials 5
ok optim_lr_subnormal -- optim $Q --lr 4.9e-324
fast lambda_overflow "--lambda: '1e400' is not a finite number" "$OC" -- biasvar --lambda 1e400 --csv "$OC"
long=$D; i=0; while [ $i -lt 30 ]; do long=$long/directory_$i$i$i$i$i$i$i$i$i$i$i$i$i$i$i; i=$((i + 1)); done
fast msg_long_path_keeps_reason "--x: .*: cannot open: No such file or directory$" "$OC" -- biasvar --x "$long/x.csv" --theta "$D/theta.csv" --xtest "$D/Xt.csv" --csv "$OC"
fast msg_long_ckpt_keeps_reason "cannot open: No such file or directory$" - -- eval --load "$long/c.safetensors" --data "$DATA"
# a full disk, as a file size limit: the path and the reason
cat > "$D/small_files" <<EOS
#!/bin/sh
trap '' XFSZ
ulimit -f 2
exec "$RUN" "\$@"
EOS
chmod +x "$D/small_files"; NABLA=$D/small_files
expect_error write_svg_full "--svg: .*full.svg: cannot write: File too large" - -- biasvar --trials 5 --svg "$D/full.svg"
expect_error write_optim_svg_full "full2.svg: cannot write: File too large" - -- optim $Q --svg "$D/full2.svg"
expect_error write_csv_full "full.csv: cannot write: File too large" - -- optim --fn quadratic --a1 1 --a2 10 --x0 1,1 --opt gd --steps 100 --csv "$D/full.csv"
expect_error write_ckpt_full "full.safetensors: cannot write: File too large" - -- train --data "$DATA" --model mlp --hidden 8 --epochs 1 --save "$D/full.safetensors"
check write_full_no_temporaries [ -z "$(find "$D" -maxdepth 1 -name 'full*' | head -1)" ]
NABLA=$D/limited

# ---- 13. corrupt containers: gzip with trailing bytes, .npy with a duplicate key ---------
gzdata() { rm -rf "$D/$1"; mkdata "$D/$1"; gzip "$D/$1/train-labels-idx1-ubyte"; }
gzdata gz_garbage; printf 'garbage' >> "$D/gz_garbage/train-labels-idx1-ubyte.gz"
fast gz_trailing_garbage "gz_garbage/train-labels-idx1-ubyte.gz: bytes after the gzip data that are not another gzip member" "$O" -- train --data "$D/gz_garbage" --model mlp --save "$O"
gzdata gz_zeros; zeros 512 >> "$D/gz_zeros/train-labels-idx1-ubyte.gz"
fast gz_trailing_zeros "gz_zeros/train-labels-idx1-ubyte.gz: bytes after the gzip data" "$O" -- train --data "$D/gz_zeros" --model mlp --save "$O"
gzdata gz_onebyte; printf '\037' >> "$D/gz_onebyte/train-labels-idx1-ubyte.gz"
fast gz_trailing_byte "gz_onebyte/train-labels-idx1-ubyte.gz: bytes after the gzip data" "$O" -- train --data "$D/gz_onebyte" --model mlp --save "$O"
gzdata gz_half; printf '\037\213\010\000' >> "$D/gz_half/train-labels-idx1-ubyte.gz"
fast gz_half_member "gz_half/train-labels-idx1-ubyte.gz: corrupt gzip data" "$O" -- train --data "$D/gz_half" --model mlp --save "$O"
gzdata gz_trunc; f=$D/gz_trunc/train-labels-idx1-ubyte.gz; head -c $(( $(wc -c < "$f") - 6 )) "$f" > "$f.t"; mv "$f.t" "$f"
fast gz_truncated "gz_trunc/train-labels-idx1-ubyte.gz: corrupt gzip data" "$O" -- train --data "$D/gz_trunc" --model mlp --save "$O"
rm -rf "$D/gz_two"; mkdata "$D/gz_two"; f=$D/gz_two/train-images-idx3-ubyte
{ head -c 5000 "$f" | gzip; tail -c +5001 "$f" | gzip; } > "$f.gz"; rm "$f"
ok gz_two_members -- train --data "$D/gz_two" --model mlp --hidden 8 --epochs 1
nph() { printf "\\223NUMPY\\001\\000\\$(printf %03o $(( (${#2} + 1) & 255 )))\\$(printf %03o $(( (${#2} + 1) >> 8 )))%s\\n" "$2" > "$1"; zeros "$3" >> "$1"; }
nph "$D/dup_shape.npy" "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'shape': (2, 1), }" 16
fast npy_dup_shape "dup_shape.npy: .npy header has the key 'shape' twice" "$OC" -- biasvar --x "$D/X.csv" --theta "$D/dup_shape.npy" --xtest "$D/Xt.csv" --csv "$OC"
nph "$D/dup_descr.npy" "{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" 16
fast npy_dup_descr "dup_descr.npy: .npy header has the key 'descr' twice" "$OC" -- biasvar --x "$D/X.csv" --theta "$D/dup_descr.npy" --xtest "$D/Xt.csv" --csv "$OC"
nph "$D/dup_order.npy" "{'descr': '<f8', 'fortran_order': False, \"fortran_order\": True, 'shape': (2,), }" 16
fast npy_dup_order "dup_order.npy: .npy header has the key 'fortran_order' twice" "$OC" -- biasvar --x "$D/X.csv" --theta "$D/dup_order.npy" --xtest "$D/Xt.csv" --csv "$OC"

# none of it touched an output or left a temporary file
check out_intact [ "$(cat "$O")" = keep ] && check out_csv_intact [ "$(cat "$OC")" = keep ]
check no_temporaries [ -z "$(find "$D" -name '*.tmp.*' | head -1)" ]

finish
