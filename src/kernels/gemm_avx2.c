/* AVX2 + FMA GEMM micro-kernels (compiled with -mavx2 -mfma; only called
 * after a cpuid check).
 *
 * Register tile: 6 rows x 2 vectors. f32: C tile 6 x 16, f64: 6 x 8; 12
 * accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers. Edge tiles
 * use fewer rows (R) or vectors (V) and masked loads/stores. */
#include <immintrin.h>

#include "kernels/kernels.h"

#define MR 6
#define NV 2

#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 8")
#endif
#define INLINE static inline __attribute__((always_inline))

/* Lane mask with the first `left` of `lanes` lanes set (all if left >= lanes). */
static inline __m256i lane_mask(int left, int lanes) {
    static const int32_t ones[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    if (left >= lanes) left = lanes;
    if (lanes == 8) return _mm256_loadu_si256((const __m256i *)(ones + 8 - left));
    /* 4 doubles: each lane is two int32 */
    return _mm256_loadu_si256((const __m256i *)(ones + 8 - 2 * left));
}

/* ---- f32: a is [k][6], b is [k][16] ---- */

INLINE void ukr_f32_body(const int R, const int V, int64_t k, const float *a, const float *b, int64_t ldbk,
                         float *c, int64_t ldc, int n, const nb_tile_store *st) {
    __m256 acc[MR][NV];
    __m256i mask[NV];
    UNROLL for (int v = 0; v < V; v++) mask[v] = lane_mask(n - 8 * v, 8);
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
    for (int64_t p = 0; p < k; p++) {
        __m256 bv[NV];
        /* The last vector is masked: in place, B may end mid-vector. */
        UNROLL for (int v = 0; v < V; v++)
            bv[v] = v < V - 1 ? _mm256_loadu_ps(b + 8 * v) : _mm256_maskload_ps(b + 8 * v, mask[v]);
        UNROLL for (int r = 0; r < R; r++) {
            __m256 av = _mm256_broadcast_ss(a + r);
            UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += MR;
        b += ldbk;
    }
    const __m256 alpha = _mm256_set1_ps((float)st->alpha), beta = _mm256_set1_ps((float)st->beta);
    const bool scale = st->alpha != 1, hasc = st->beta != 0, beta1 = st->beta == 1, relu = st->relu;
    const float *bias = (const float *)st->bias;
    __m256 bb[NV];
    UNROLL for (int v = 0; v < V; v++) bb[v] = bias ? _mm256_maskload_ps(bias + 8 * v, mask[v]) : _mm256_setzero_ps();
    UNROLL for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        UNROLL for (int v = 0; v < V; v++) {
            __m256 x = acc[r][v];
            if (scale) x = _mm256_mul_ps(x, alpha);
            if (hasc) {
                __m256 old = _mm256_maskload_ps(cr + 8 * v, mask[v]);
                x = beta1 ? _mm256_add_ps(x, old) : _mm256_fmadd_ps(old, beta, x);
            }
            if (bias) x = _mm256_add_ps(x, bb[v]);
            if (relu) x = _mm256_max_ps(_mm256_setzero_ps(), x); /* NaN stays NaN */
            _mm256_maskstore_ps(cr + 8 * v, mask[v], x);
        }
    }
}

typedef void (*kf32)(int64_t, const float *, const float *, int64_t, float *, int64_t, int, const nb_tile_store *);
#define DEF32(R, V)                                                                                      \
    static void k32_##R##_##V(int64_t k, const float *a, const float *b, int64_t ldbk, float *c, int64_t ldc, int n,   \
                              const nb_tile_store *st) {                                                 \
        ukr_f32_body(R, V, k, a, b, ldbk, c, ldc, n, st);                                                      \
    }
#define DEFROW32(R) DEF32(R, 1) DEF32(R, 2)
DEFROW32(1) DEFROW32(2) DEFROW32(3) DEFROW32(4) DEFROW32(5) DEFROW32(6)
#define ROW32(R) {k32_##R##_1, k32_##R##_2}
static const kf32 tab32[MR][NV] = {ROW32(1), ROW32(2), ROW32(3), ROW32(4), ROW32(5), ROW32(6)};

static void ukr_f32(int64_t k, const float *a, const float *b, int64_t ldbk, float *c, int64_t ldc, int m, int n,
                    const nb_tile_store *st) {
    tab32[m - 1][(n + 7) / 8 - 1](k, a, b, ldbk, c, ldc, n, st);
}

/* ---- f64: a is [k][6], b is [k][8] ---- */

INLINE void ukr_f64_body(const int R, const int V, int64_t k, const double *a, const double *b, int64_t ldbk,
                         double *c, int64_t ldc, int n, const nb_tile_store *st) {
    __m256d acc[MR][NV];
    __m256i mask[NV];
    UNROLL for (int v = 0; v < V; v++) mask[v] = lane_mask(n - 4 * v, 4);
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_pd();
    for (int64_t p = 0; p < k; p++) {
        __m256d bv[NV];
        UNROLL for (int v = 0; v < V; v++)
            bv[v] = v < V - 1 ? _mm256_loadu_pd(b + 4 * v) : _mm256_maskload_pd(b + 4 * v, mask[v]);
        UNROLL for (int r = 0; r < R; r++) {
            __m256d av = _mm256_broadcast_sd(a + r);
            UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_pd(av, bv[v], acc[r][v]);
        }
        a += MR;
        b += ldbk;
    }
    const __m256d alpha = _mm256_set1_pd(st->alpha), beta = _mm256_set1_pd(st->beta);
    const bool scale = st->alpha != 1, hasc = st->beta != 0, beta1 = st->beta == 1, relu = st->relu;
    const double *bias = (const double *)st->bias;
    __m256d bb[NV];
    UNROLL for (int v = 0; v < V; v++) bb[v] = bias ? _mm256_maskload_pd(bias + 4 * v, mask[v]) : _mm256_setzero_pd();
    UNROLL for (int r = 0; r < R; r++) {
        double *cr = c + r * ldc;
        UNROLL for (int v = 0; v < V; v++) {
            __m256d x = acc[r][v];
            if (scale) x = _mm256_mul_pd(x, alpha);
            if (hasc) {
                __m256d old = _mm256_maskload_pd(cr + 4 * v, mask[v]);
                x = beta1 ? _mm256_add_pd(x, old) : _mm256_fmadd_pd(old, beta, x);
            }
            if (bias) x = _mm256_add_pd(x, bb[v]);
            if (relu) x = _mm256_max_pd(_mm256_setzero_pd(), x);
            _mm256_maskstore_pd(cr + 4 * v, mask[v], x);
        }
    }
}

typedef void (*kf64)(int64_t, const double *, const double *, int64_t, double *, int64_t, int, const nb_tile_store *);
#define DEF64(R, V)                                                                                      \
    static void k64_##R##_##V(int64_t k, const double *a, const double *b, int64_t ldbk, double *c, int64_t ldc, int n, \
                              const nb_tile_store *st) {                                                 \
        ukr_f64_body(R, V, k, a, b, ldbk, c, ldc, n, st);                                                      \
    }
#define DEFROW64(R) DEF64(R, 1) DEF64(R, 2)
DEFROW64(1) DEFROW64(2) DEFROW64(3) DEFROW64(4) DEFROW64(5) DEFROW64(6)
#define ROW64(R) {k64_##R##_1, k64_##R##_2}
static const kf64 tab64[MR][NV] = {ROW64(1), ROW64(2), ROW64(3), ROW64(4), ROW64(5), ROW64(6)};

static void ukr_f64(int64_t k, const double *a, const double *b, int64_t ldbk, double *c, int64_t ldc, int m, int n,
                    const nb_tile_store *st) {
    tab64[m - 1][(n + 3) / 4 - 1](k, a, b, ldbk, c, ldc, n, st);
}

/* The portable transposing packers are used (NULL is not allowed in the
 * table, so gemm.c fills them in); see nb_gemm_impl_avx2 there. */
static const nb_gemm_impl impl = {
    .name = "avx2",
    .mr = {MR, MR},
    .nr = {8 * NV, 4 * NV},
    .kc = {256, 256},
    .mc = {144, 72},
    .nc = {4096, 2048},
    .ukr_f32 = ukr_f32,
    .ukr_f64 = ukr_f64,
    .packT_f32 = NULL,
    .packT_f64 = NULL,
};
const nb_gemm_impl *nb_gemm_impl_avx2(void) { return &impl; }
