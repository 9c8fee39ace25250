#!/bin/sh
# nabla bench: tiny runs of gemm, peak and normals, and its error handling.
. "$(dirname "$0")/lib.sh"

expect_ok bench_gemm_small -- bench gemm --m 17 --n 9 --k 33 --reps 2 --min-time 0
check bench_gemm_last_line_is_gflops grep -qE '^best [0-9.]+ GFLOP/s$' "$T_DIR/stdout"
check bench_gemm_ends_with_gflops sh -c "tail -1 '$T_DIR/stdout' | grep -qE 'GFLOP/s\$'"
expect_ok bench_gemm_f64_trans -- bench gemm --m 5 --n 7 --k 3 --dtype f64 --ta --tb --threads 1 --reps 1 --min-time 0
expect_ok bench_gemm_portable -- bench gemm --m 8 --n 8 --k 8 --kernel portable --reps 1 --min-time 0
expect_ok bench_peak -- bench peak --threads 1 --iters 1000
check bench_peak_ends_with_gflops sh -c "tail -1 '$T_DIR/stdout' | grep -qE 'GFLOP/s\$'"
expect_ok bench_normals -- bench normals --n 80000 --threads 2 --check
check bench_normals_rates [ "$(grep -c 'M draws/s$' "$T_DIR/stdout")" -ge 3 ]
check bench_normals_checks [ "$(grep -c 'standard errors (limit 5): pass$' "$T_DIR/stdout")" -eq 2 ]
expect_ok bench_help -- bench gemm --help
expect_ok bench_top_help -- bench --help

expect_error bench_needs_sizes 'required' - -- bench gemm --m 4 --n 4
expect_error bench_bad_size 'must be in' - -- bench gemm --m 0 --n 4 --k 4
expect_error bench_bad_dtype 'f32 or f64' - -- bench gemm --m 4 --n 4 --k 4 --dtype f16
expect_error bench_bad_kernel 'kernel' - -- bench gemm --m 4 --n 4 --k 4 --kernel sse9
expect_error bench_junk_number 'not a whole number' - -- bench gemm --m 4x --n 4 --k 4
expect_error bench_unknown_sub 'unknown benchmark' - -- bench fft
expect_error bench_unknown_option 'unknown option' - -- bench peak --fast
expect_error bench_normals_few '--n must be in' - -- bench normals --n 3
finish
