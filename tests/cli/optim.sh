#!/bin/sh
# nabla optim: CSV reproduces the reference trajectories; every bad argument is
# one stderr line, exit 2 and no file; --svg writes well-formed XML.
. tests/cli/lib.sh
FX=tests/fixtures/optim
OUT="$T_DIR/out.csv"

# same_traj NAME CSV FIXTURE: every x1,x2 of CSV within 1e-10 relative of the fixture's rows
same_traj() {
    T_NAME=$1
    if awk -v tol=1e-10 'BEGIN { n = 0 }
        function abs(v) { return v < 0 ? -v : v }
        FNR == NR { if (started) { ref1[n] = $1; ref2[n] = $2; n++ } if ($1 == "steps") started = 1; next }
        FNR == 1 { next }
        { split($0, c, ","); i = c[1] + 0; rows++
          if (i >= n) { print "extra row " i; bad = 1; exit }
          if (abs(c[2] - ref1[i]) > tol * abs(ref1[i]) + 1e-300 || abs(c[3] - ref2[i]) > tol * abs(ref2[i]) + 1e-300) {
              print "step " i ": " c[2] "," c[3] " vs " ref1[i] "," ref2[i]; bad = 1; exit } }
        END { if (!bad && rows != n) { print rows " rows, expected " n; bad = 1 } exit bad }' "$3" "$2" > "$T_DIR/why"
    then t_ok; else t_bad "$(cat "$T_DIR/why")"; fi
}

run_csv() { rm -f "$OUT"; "$NABLA" optim "$@" --steps 100 --csv "$OUT" 2> "$T_DIR/err"; }

Q="--fn quadratic --a1 0.5 --a2 3 --x0 1.5,-2"
R="--fn rosenbrock --x0=-1.2,1"
run_csv $Q --opt adam --lr 0.01 --convention torch && same_traj torch_quad2_adam "$OUT" $FX/traj_torch_quad2_adam_f64.txt
run_csv $Q --opt sgd --lr 0.02 --convention torch && same_traj torch_quad2_gd "$OUT" $FX/traj_torch_quad2_gd_f64.txt
run_csv $Q --opt rmsprop --lr 0.01 --beta 0.99 --convention torch && same_traj torch_quad2_rmsprop "$OUT" $FX/traj_torch_quad2_rmsprop_f64.txt
run_csv $Q --opt adagrad --lr 0.1 --convention torch && same_traj torch_quad2_adagrad "$OUT" $FX/traj_torch_quad2_adagrad_f64.txt
run_csv $R --opt nesterov --lr 1e-4 --momentum 0.9 --convention torch && same_traj torch_rosen_nesterov "$OUT" $FX/traj_torch_rosen_nesterov_f64.txt
run_csv $R --opt adamw --lr 0.01 --weight-decay 0.01 --convention torch && same_traj torch_rosen_adamw "$OUT" $FX/traj_torch_rosen_adamw_f64.txt
run_csv $R --opt momentum --lr 1e-4 && same_traj handout_rosen_momentum "$OUT" $FX/traj_handout_rosen_momentum_f64.txt
run_csv $Q --opt rmsprop --lr 0.01 && same_traj handout_quad2_rmsprop "$OUT" $FX/traj_handout_quad2_rmsprop_f64.txt
run_csv $Q --opt adagrad --lr 0.1 --beta 0.5 --eps 1e-6 && same_traj handout_quad2_adagrad_beta "$OUT" $FX/traj_handout_quad2_adagrad_beta_f64.txt
run_csv $Q --opt adam --lr 0.01 && same_traj handout_quad2_adam "$OUT" $FX/traj_handout_quad2_adam_f64.txt
check csv_header [ "$(head -1 "$OUT")" = "step,x1,x2,f" ]

# the summary, with both rates for a quadratic
expect_ok summary -- optim --fn quadratic --a1 1 --a2 10 --x0 1,1 --opt gd --lr 0.05 --steps 200
check summary_rates grep -q "predicted rate  0.9$" "$T_DIR/stdout"
check summary_measured grep -q "measured rate   0.9 " "$T_DIR/stdout"
expect_ok momentum_rate -- optim --fn quadratic --a1 0.5 --a2 5.5 --x0 -2.5,1 --opt momentum --lr 0.05 --momentum 0.7 --steps 400
check momentum_pred grep -q "predicted rate  0.8367" "$T_DIR/stdout"
check momentum_meas grep -qE "measured rate   0\.8[34]" "$T_DIR/stdout"
# divergence is a result: exit 0, a note, the CSV ends at the first inf
"$NABLA" optim --fn quadratic --a1 1 --a2 10 --x0 1,1 --opt gd --lr 0.3 --steps 1000 --csv "$OUT" 2> "$T_DIR/err"
check diverge_status [ $? -eq 0 ]
check diverge_note grep -q "diverged at step" "$T_DIR/err"
check diverge_csv_ends [ "$(tail -1 "$OUT" | cut -d, -f4)" = "inf" ]
# svg
expect_ok svg -- optim $R --opt adam --lr 0.05 --steps 300 --svg "$T_DIR/r.svg"
if command -v xmllint > /dev/null; then check svg_xml xmllint --noout "$T_DIR/r.svg"; fi
check svg_contours grep -q "<path" "$T_DIR/r.svg"
expect_ok steps0 -- optim $Q --opt gd --steps 0 --csv "$OUT"
check steps0_rows [ "$(wc -l < "$OUT")" -eq 2 ]
expect_ok help -- optim --help
check help_text grep -q "usage: nabla optim" "$T_DIR/stdout"

# every bad range and argument: exit 2, one line, no file
B="--csv $OUT"
rm -f "$OUT"
expect_error lr0 "lr" "$OUT" -- optim $Q --opt gd --lr 0 --steps 5 $B
expect_error lrneg "lr" "$OUT" -- optim $Q --opt gd --lr -1 --steps 5 $B
expect_error lrinf "lr" "$OUT" -- optim $Q --opt gd --lr inf --steps 5 $B
expect_error lrnan "lr" "$OUT" -- optim $Q --opt gd --lr nan --steps 5 $B
expect_error mom1 "momentum" "$OUT" -- optim $Q --opt momentum --momentum 1 --steps 5 $B
expect_error momneg "momentum" "$OUT" -- optim $Q --opt momentum --momentum -0.1 --steps 5 $B
expect_error nest0 "nesterov" "$OUT" -- optim $Q --opt nesterov --momentum 0 --steps 5 $B
expect_error rmsbeta1 "beta" "$OUT" -- optim $Q --opt rmsprop --beta 1 --steps 5 $B
expect_error rmsbetaneg "beta" "$OUT" -- optim $Q --opt rmsprop --beta -0.2 --steps 5 $B
expect_error adagradbeta0 "beta" "$OUT" -- optim $Q --opt adagrad --beta 0 --steps 5 $B
expect_error beta1 "beta1" "$OUT" -- optim $Q --opt adam --beta1 1 --steps 5 $B
expect_error beta1neg "beta1" "$OUT" -- optim $Q --opt adam --beta1 -0.1 --steps 5 $B
expect_error beta2 "beta2" "$OUT" -- optim $Q --opt adamw --beta2 1.5 --steps 5 $B
expect_error epsneg "eps" "$OUT" -- optim $Q --opt adam --eps -1e-8 --steps 5 $B
expect_error eps0adam "eps" "$OUT" -- optim $Q --opt adam --eps 0 --steps 5 $B
expect_error eps0rms "eps" "$OUT" -- optim $Q --opt rmsprop --eps 0 --steps 5 $B
expect_error eps0adagrad "eps" "$OUT" -- optim $Q --opt adagrad --eps 0 --steps 5 $B
expect_error wdneg "weight decay" "$OUT" -- optim $Q --opt gd --weight-decay -0.1 --steps 5 $B
expect_error stepsneg "steps" "$OUT" -- optim $Q --opt gd --steps -1 $B
expect_error stepsbig "steps" "$OUT" -- optim $Q --opt gd --steps 100000000 $B
expect_error stepsjunk "steps" "$OUT" -- optim $Q --opt gd --steps 5x $B
expect_error x0one "x0" "$OUT" -- optim --fn quadratic --a1 1 --a2 2 --x0 1 --opt gd --steps 5 $B
expect_error x0three "x0" "$OUT" -- optim --fn quadratic --a1 1 --a2 2 --x0 1,2,3 --opt gd --steps 5 $B
expect_error x0junk "x0" "$OUT" -- optim --fn quadratic --a1 1 --a2 2 --x0 1,abc --opt gd --steps 5 $B
expect_error nox0 "x0" "$OUT" -- optim --fn quadratic --a1 1 --a2 2 --opt gd --steps 5 $B
expect_error a1zero "a1" "$OUT" -- optim --fn quadratic --a1 0 --a2 2 --x0 1,1 --opt gd --steps 5 $B
expect_error a2neg "a2" "$OUT" -- optim --fn quadratic --a1 1 --a2 -2 --x0 1,1 --opt gd --steps 5 $B
expect_error noa2 "a2" "$OUT" -- optim --fn quadratic --a1 1 --x0 1,1 --opt gd --steps 5 $B
expect_error rosen_a1 "a1" "$OUT" -- optim $R --a1 1 --opt gd --steps 5 $B
expect_error badfn "unknown function" "$OUT" -- optim --fn himmelblau --x0 1,1 --opt gd --steps 5 $B
expect_error nofn "fn" "$OUT" -- optim --x0 1,1 --opt gd --steps 5 $B
expect_error badopt "unknown optimizer" "$OUT" -- optim $Q --opt lbfgs --steps 5 $B
expect_error noopt "opt" "$OUT" -- optim $Q --steps 5 $B
expect_error badconv "convention" "$OUT" -- optim $Q --opt gd --convention keras --steps 5 $B
expect_error unknownflag "unknown option" "$OUT" -- optim $Q --opt gd --steps 5 --foo 1 $B
expect_error stray "unexpected argument" "$OUT" -- optim $Q --opt gd --steps 5 extra $B
expect_error nomomentum_gd "momentum" "$OUT" -- optim $Q --opt gd --momentum 0.9 --steps 5 $B
expect_error nobeta_adam "beta" "$OUT" -- optim $Q --opt adam --beta 0.9 --steps 5 $B
expect_error sameout "same file" "$OUT" -- optim $Q --opt gd --steps 5 --csv "$OUT" --svg "$OUT"
expect_error csvdir "cannot" "$T_DIR/nodir/x.csv" -- optim $Q --opt gd --steps 5 --csv "$T_DIR/nodir/x.csv"
expect_error svg_bad "optim" "$OUT" -- optim $Q --opt gd --lr 0 --steps 5 --svg "$OUT"
# an existing file is left untouched by a failing run
echo keep > "$OUT"
expect_error keep_file "lr" "$OUT" -- optim $Q --opt gd --lr -1 --steps 5 --csv "$OUT"
finish
