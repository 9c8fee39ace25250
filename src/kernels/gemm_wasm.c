/* WebAssembly SIMD128 GEMM micro-kernels (built only for wasm with
 * -msimd128; see `make web`).
 *
 * Register tile: 4 rows x 2 vectors. f32: C tile 4 x 8, f64: 4 x 4. The
 * 8 accumulators, 2 B vectors, the broadcast and a product fit the 15 xmm
 * registers V8 allocates on x86-64; a 6-row tile spills there and ran at
 * about 0.6x of this one. SIMD128 has no fused multiply-add, so each step is a rounded
 * product then a rounded sum, in the order of p: the same bits as the
 * portable kernel (and as the native build forced to it). Edge tiles
 * (n < NR) take that portable order in scalar code. */
#include "kernels/kernels.h"

#ifdef __wasm_simd128__
#include <string.h>
#include <wasm_simd128.h>

#define MR 4

/* C = alpha acc + beta C (beta == 0: C unread), + bias, ReLU (v < 0 -> +0;
 * NaN and -0 stay): the portable kernel's store, a value at a time. */
#define STORE_SCALAR(T)                                                                 \
    do {                                                                                \
        const T alpha = (T)st->alpha, beta = (T)st->beta;                               \
        const T *bias = (const T *)st->bias;                                            \
        for (int i = 0; i < m; i++)                                                     \
            for (int j = 0; j < n; j++) {                                               \
                T v = alpha * acc[i][j];                                                \
                if (beta != 0) v += beta * c[i * ldc + j];                              \
                if (bias) v += bias[j];                                                 \
                if (st->relu && v < 0) v = 0;                                           \
                c[i * ldc + j] = v;                                                     \
            }                                                                           \
    } while (0)

/* ---- f32: a is [k][4], b is [k][8] ---- */
static void ukr_f32(int64_t k, const float *a, const float *b, int64_t ldbk, float *c, int64_t ldc, int m, int n,
                    const nb_tile_store *st) {
    if (n < 8) { /* scalar edge: a packed A panel is zero-padded, B may end mid-row */
        float acc[MR][8];
        memset(acc, 0, sizeof acc);
        for (int64_t p = 0; p < k; p++)
            for (int i = 0; i < MR; i++)
                for (int j = 0; j < n; j++) acc[i][j] += a[p * MR + i] * b[p * ldbk + j];
        STORE_SCALAR(float);
        return;
    }
    v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int64_t p = 0; p < k; p++) {
        const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        v128_t x;
#define ROW(r) x = wasm_v128_load32_splat(a + r), c##r##0 = wasm_f32x4_add(c##r##0, wasm_f32x4_mul(x, b0)), \
               c##r##1 = wasm_f32x4_add(c##r##1, wasm_f32x4_mul(x, b1))
        ROW(0); ROW(1); ROW(2); ROW(3);
#undef ROW
        a += MR;
        b += ldbk;
    }
    const v128_t rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    const v128_t alpha = wasm_f32x4_splat((float)st->alpha), beta = wasm_f32x4_splat((float)st->beta), zero = wasm_f32x4_splat(0);
    const float *bias = (const float *)st->bias;
    for (int i = 0; i < m; i++)
        for (int v = 0; v < 2; v++) {
            float *cp = c + i * ldc + 4 * v;
            v128_t x = wasm_f32x4_mul(alpha, rows[i][v]);
            if (st->beta != 0) x = wasm_f32x4_add(x, wasm_f32x4_mul(beta, wasm_v128_load(cp)));
            if (bias) x = wasm_f32x4_add(x, wasm_v128_load(bias + 4 * v));
            if (st->relu) x = wasm_v128_andnot(x, wasm_f32x4_lt(x, zero));
            wasm_v128_store(cp, x);
        }
}

/* ---- f64: a is [k][4], b is [k][4] ---- */
static void ukr_f64(int64_t k, const double *a, const double *b, int64_t ldbk, double *c, int64_t ldc, int m, int n,
                    const nb_tile_store *st) {
    if (n < 4) {
        double acc[MR][4];
        memset(acc, 0, sizeof acc);
        for (int64_t p = 0; p < k; p++)
            for (int i = 0; i < MR; i++)
                for (int j = 0; j < n; j++) acc[i][j] += a[p * MR + i] * b[p * ldbk + j];
        STORE_SCALAR(double);
        return;
    }
    v128_t c00 = wasm_f64x2_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int64_t p = 0; p < k; p++) {
        const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 2);
        v128_t x;
#define ROW(r) x = wasm_v128_load64_splat(a + r), c##r##0 = wasm_f64x2_add(c##r##0, wasm_f64x2_mul(x, b0)), \
               c##r##1 = wasm_f64x2_add(c##r##1, wasm_f64x2_mul(x, b1))
        ROW(0); ROW(1); ROW(2); ROW(3);
#undef ROW
        a += MR;
        b += ldbk;
    }
    const v128_t rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    const v128_t alpha = wasm_f64x2_splat(st->alpha), beta = wasm_f64x2_splat(st->beta), zero = wasm_f64x2_splat(0);
    const double *bias = (const double *)st->bias;
    for (int i = 0; i < m; i++)
        for (int v = 0; v < 2; v++) {
            double *cp = c + i * ldc + 2 * v;
            v128_t x = wasm_f64x2_mul(alpha, rows[i][v]);
            if (st->beta != 0) x = wasm_f64x2_add(x, wasm_f64x2_mul(beta, wasm_v128_load(cp)));
            if (bias) x = wasm_f64x2_add(x, wasm_v128_load(bias + 2 * v));
            if (st->relu) x = wasm_v128_andnot(x, wasm_f64x2_lt(x, zero));
            wasm_v128_store(cp, x);
        }
}

/* The portable packers are filled in by gemm.c. */
static const nb_gemm_impl impl = {
    .name = "wasm128",
    .mr = {MR, MR},
    .nr = {8, 4},
    .kc = {256, 256},
    .mc = {96, 96},
    .nc = {4096, 2048},
    .ukr_f32 = ukr_f32,
    .ukr_f64 = ukr_f64,
};
const nb_gemm_impl *nb_gemm_impl_wasm(void) { return &impl; }
#endif
