#!/bin/sh
# nabla biasvar: the table, the CSV and SVG outputs, user data in .npy and CSV,
# the poly and mlp sweeps, and every bad input (exit 2, one stderr line, no file).
. tests/cli/lib.sh
FX=${NABLA_FIXTURES:-tests/fixtures}/npy
D=$T_DIR

# a small user problem: X 6x4 (CSV with a header), theta as a row (.npy) and as a
# column (CSV), Xtest 3x4 (.npy, Fortran order, big-endian f8)
printf 'a,b,c,d\n1,0,0,0\n0,2,0,0\n0,0,3,0\n0,0,0,4\n1,1,0,0\n0,1,1,1\n' > "$D/X.csv"
printf '1\n-1\n0.5\n2\n' > "$D/theta_col.csv"
printf '1,2,3\n' > "$D/theta3.csv"
printf '1,2,3,4\n5,6,7\n' > "$D/ragged.csv"
printf '1,2,3,4\n5,6,nan,8\n' > "$D/nan.csv"
: > "$D/empty.csv"

# --- runs that work -------------------------------------------------------------
expect_ok table -- biasvar --trials 200 --seed 1
check table_rows [ "$(grep -c '' "$T_DIR/stdout")" -eq 15 ]
check table_header grep -q '^lambda *bias2 *variance *noise *mse *bias2_exact' "$T_DIR/stdout"

expect_ok csv -- biasvar --n 50 --d 10 --ntest 40 --noise 0.5 --lambda 0,0.1,1,10 --trials 300 --seed 3 --csv "$D/bv.csv" --svg "$D/bv.svg"
check csv_header [ "$(head -n 1 "$D/bv.csv")" = "lambda,bias2,variance,noise,mse,bias2_exact,variance_exact,mse_exact,bias2_se,variance_se,noise_se,mse_se,note" ]
# every Monte Carlo number has a positive standard error, and lies within 4 of them of the exact one
check csv_se awk -F, 'NR > 1 { if (!($9 > 0 && $10 > 0 && $11 > 0 && $12 > 0) || ($2 - $6) ^ 2 > 16 * $9 ^ 2 || ($3 - $7) ^ 2 > 16 * $10 ^ 2) bad = 1 } END { exit bad }' "$D/bv.csv"
check csv_rows [ "$(grep -c '' "$D/bv.csv")" -eq 5 ]
check csv_quiet_stdout [ ! -s "$T_DIR/stdout" ]
# mse = bias2 + variance + noise, for the estimates and for the exact values
check csv_identity awk -F, 'NR > 1 { if (($5 - $2 - $3 - $4) ^ 2 > 1e-20 * $5 ^ 2 || ($8 - $6 - $7 - 0.25) ^ 2 > 1e-20 * $8 ^ 2) bad = 1 } END { exit bad }' "$D/bv.csv"
# OLS row: exact bias 0; Monte Carlo variance within 15% of the exact one
check csv_ols awk -F, 'NR == 2 { exit !($6 == 0 && $3 > 0.85 * $7 && $3 < 1.15 * $7) }' "$D/bv.csv"
check svg_written grep -q '<svg' "$D/bv.svg"
check svg_has_curves grep -q 'Monte Carlo' "$D/bv.svg"
check svg_has_ols_mark grep -q '>0 (OLS)</text>' "$D/bv.svg"
check svg_error_bars grep -q 'bars ±2 standard errors' "$D/bv.svg"
check svg_says_what_is_exact grep -q 'lines (crosses at λ = 0): exact values' "$D/bv.svg"

expect_ok same_seed_same_csv -- biasvar --n 50 --d 10 --ntest 40 --noise 0.5 --lambda 0,0.1,1,10 --trials 300 --seed 3 --csv "$D/bv2.csv"
check reproducible cmp -s "$D/bv.csv" "$D/bv2.csv"

expect_ok user_npy_csv -- biasvar --x "$D/X.csv" --theta "$FX/v1_f4_be_1d.npy" --xtest "$FX/v2_f8_be_F.npy" --lambda 0,1 --trials 100 --noise 0.3 --csv "$D/user.csv"
check user_rows [ "$(grep -c '' "$D/user.csv")" -eq 3 ]
expect_ok user_theta_column -- biasvar --x "$D/X.csv" --theta "$D/theta_col.csv" --xtest "$FX/v3_i8_le_C.npy" --lambda 0.5 --trials 50
expect_ok poly -- biasvar --model poly --degree 1,3,5 --trials 100 --noise 0.3 --csv "$D/poly.csv" --svg "$D/poly.svg"
check poly_svg_caption grep -q 'bars ±2 standard errors; exact: noise σ² = 0.09' "$D/poly.svg"
check poly_header [ "$(head -n 1 "$D/poly.csv")" = "degree,bias2,variance,noise,mse,bias2_exact,variance_exact,mse_exact,bias2_se,variance_se,noise_se,mse_se,note" ]
check poly_empty_exact awk -F, 'NR > 1 { if (NF != 13 || $6 != "" || $7 != "" || $8 != "" || !($10 > 0)) bad = 1 } END { exit bad }' "$D/poly.csv"
expect_ok mlp -- biasvar --model mlp --width 2,8 --trials 20 --steps 100 --n 20 --ntest 10 --csv "$D/mlp.csv" --svg "$D/mlp.svg"
check mlp_header [ "$(head -n 1 "$D/mlp.csv" | cut -d, -f1)" = "width" ]
expect_ok help -- biasvar --help

# lambda = 0 with X^T X singular (n < d): that row undefined, with the reason; the others computed
expect_ok ols_singular_row -- biasvar --n 5 --d 10 --lambda 0,1 --trials 100 --csv "$D/sing.csv"
check ols_singular_note awk -F, 'NR == 2 { exit !($2 == "nan" && $0 ~ /"undefined: .*singular.*lambda > 0/) }' "$D/sing.csv"
check ols_singular_rest awk -F, 'NR == 3 { exit !($1 == 1 && $3 > 0 && $7 > 0 && $13 == "") }' "$D/sing.csv"
check ols_singular_stderr grep -q 'lambda=0 is undefined: .*singular' "$T_DIR/stderr"
expect_ok ols_singular_table -- biasvar --n 5 --d 10 --lambda 0,1 --trials 100
check ols_singular_table_row grep -q '^0  *undefined: .*singular' "$T_DIR/stdout"

# the README's file-based example runs on the files --write-example writes, and
# gives the generated design's numbers (the same design, the same seed)
mkdir -p "$D/ex"
expect_ok write_example -- biasvar --write-example "$D/ex" --n 40 --d 6 --ntest 30 --seed 4
check example_files [ -s "$D/ex/X.npy" -a -s "$D/ex/theta.csv" -a -s "$D/ex/Xt.npy" ]
expect_ok example_run -- biasvar --x "$D/ex/X.npy" --theta "$D/ex/theta.csv" --xtest "$D/ex/Xt.npy" --lambda 0,1 --trials 200 --seed 4 --csv "$D/ex_user.csv"
expect_ok example_generated -- biasvar --n 40 --d 6 --ntest 30 --lambda 0,1 --trials 200 --seed 4 --csv "$D/ex_gen.csv"
check example_same_numbers cmp -s "$D/ex_user.csv" "$D/ex_gen.csv"
expect_error example_with_poly '--write-example writes a generated ridge design' - -- biasvar --model poly --write-example "$D/ex"

# --- bad inputs: one line on stderr naming the flag or file, status 2, no file --------
O=$D/out.csv
S=$D/out.svg
expect_error lambda_negative '--lambda: must be >= 0' "$O" -- biasvar --lambda 0,-1 --trials 10 --csv "$O"
expect_error lambda_junk "--lambda: 'x' is not a finite number" "$O" -- biasvar --lambda 1,x --csv "$O"
expect_error trials_zero '--trials: must be >= 1' "$O" -- biasvar --trials 0 --csv "$O"
expect_error noise_negative '--noise: must be >= 0' "$O" -- biasvar --noise -1 --csv "$O"
expect_error n_zero '--n: must be >= 1' "$O" -- biasvar --n 0 --csv "$O"
expect_error ntest_zero '--ntest: must be >= 1' "$O" -- biasvar --ntest 0 --csv "$O"
expect_error ols_singular 'singular.*lambda > 0' "$O" -- biasvar --n 5 --d 10 --lambda 0 --trials 10 --csv "$O"
expect_error missing_file '--x: .*nope.csv: cannot open' "$O" -- biasvar --x "$D/nope.csv" --theta "$D/theta_col.csv" --xtest "$D/X.csv" --csv "$O"
expect_error bad_magic "--theta: .*bad_magic.npy: not a .npy file" "$O" -- biasvar --x "$D/X.csv" --theta "$FX/bad_magic.npy" --xtest "$D/X.csv" --csv "$O"
expect_error truncated "--xtest: .*bad_truncated_data.npy: truncated" "$O" -- biasvar --x "$D/X.csv" --theta "$D/theta_col.csv" --xtest "$FX/bad_truncated_data.npy" --csv "$O"
expect_error string_dtype "bad_string.npy: dtype" "$O" -- biasvar --x "$FX/bad_string.npy" --theta "$D/theta_col.csv" --xtest "$D/X.csv" --csv "$O"
expect_error three_d "bad_3d.npy: arrays of 3" "$O" -- biasvar --x "$FX/bad_3d.npy" --theta "$D/theta_col.csv" --xtest "$D/X.csv" --csv "$O"
expect_error huge_shape "bad_huge_shape.npy: truncated" "$O" -- biasvar --x "$FX/bad_huge_shape.npy" --theta "$D/theta_col.csv" --xtest "$D/X.csv" --csv "$O"
expect_error nan_npy "bad_nan.npy: NaN at row 2, column 3" "$O" -- biasvar --x "$FX/bad_nan.npy" --theta "$D/theta_col.csv" --xtest "$D/X.csv" --csv "$O"
expect_error nan_csv "nan.csv: line 2, column 3: NaN" "$O" -- biasvar --x "$D/X.csv" --theta "$D/theta_col.csv" --xtest "$D/nan.csv" --csv "$O"
expect_error ragged_csv "ragged.csv: line 2 has 3 fields" "$O" -- biasvar --x "$D/ragged.csv" --theta "$D/theta_col.csv" --xtest "$D/X.csv" --csv "$O"
expect_error empty_csv "empty.csv: empty file" "$O" -- biasvar --x "$D/X.csv" --theta "$D/empty.csv" --xtest "$D/X.csv" --csv "$O"
expect_error theta_shape "--theta: .*theta3.csv holds 3 values but X .* has 4 columns" "$O" -- biasvar --x "$D/X.csv" --theta "$D/theta3.csv" --xtest "$D/X.csv" --csv "$O"
expect_error theta_matrix "--theta: .* theta must be one row or one column" "$O" -- biasvar --x "$D/X.csv" --theta "$FX/v1_f8_le_C.npy" --xtest "$D/X.csv" --csv "$O"
expect_error xtest_shape "--xtest: .*theta_col.csv has 1 columns but X" "$O" -- biasvar --x "$D/X.csv" --theta "$D/theta_col.csv" --xtest "$D/theta_col.csv" --csv "$O"
expect_error partial_user '--xtest is missing' "$O" -- biasvar --x "$D/X.csv" --theta "$D/theta_col.csv" --csv "$O"
expect_error user_and_generated 'either --x/--theta/--xtest or --n/--d/--ntest' "$O" -- biasvar --x "$D/X.csv" --theta "$D/theta_col.csv" --xtest "$D/X.csv" --n 5 --csv "$O"
expect_error bad_model "--model: 'lasso' is not one of" "$O" -- biasvar --model lasso --csv "$O"
expect_error degree_with_ridge '--degree applies to --model poly only' "$O" -- biasvar --degree 3 --csv "$O"
expect_error degree_range '--degree: must be in 0..60' "$O" -- biasvar --model poly --degree 3,99 --csv "$O"
expect_error degree_too_high 'only 30 training points' "$O" -- biasvar --model poly --degree 3,40 --trials 10 --csv "$O"
expect_error width_zero '--width: must be in 1..4096' "$O" -- biasvar --model mlp --width 0 --csv "$O"
expect_error mlp_lambda '--lambda does not apply to --model mlp' "$O" -- biasvar --model mlp --lambda 1 --csv "$O"
expect_error unknown_flag "unknown option '--sigma'" "$O" -- biasvar --sigma 1 --csv "$O"
expect_error csv_bad_dir '--csv: .*no_such_dir/x.csv: cannot create' "$S" -- biasvar --trials 10 --csv "$D/no_such_dir/x.csv" --svg "$S"
expect_error svg_bad_dir '--svg: .*no_such_dir/x.svg: cannot create' "$O" -- biasvar --trials 10 --csv "$O" --svg "$D/no_such_dir/x.svg"
# an existing output file is left exactly as it was when the run fails
echo keep > "$O"
expect_error keeps_old_file '--trials: must be >= 1' "$O" -- biasvar --trials 0 --csv "$O"
check old_file_intact [ "$(cat "$O")" = keep ]
finish
