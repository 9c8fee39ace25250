/* AVX-512 GEMM micro-kernels and packers (compiled with -mavx512f etc.; only
 * called after a cpuid check).
 *
 * Register tile: 8 rows x 3 vectors. f32: C tile 8 x 48, f64: 8 x 24; that is
 * 24 accumulators + 3 B vectors + 1 broadcast of the 32 zmm registers. Per k
 * step: 3 vector loads of B, 8 broadcasts of A, 24 FMAs (12 cycles at two
 * FMA ports), so loads never limit. Edge tiles use the same code with fewer
 * rows (R) or vectors (V), chosen from a table, and masked stores. */
#include <immintrin.h>

#include "kernels/kernels.h"

#define MR 8
#define NV 3 /* vectors per row */

#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 8")
#endif
#define INLINE static inline __attribute__((always_inline))

/* ---- f32: a is [k][8], b is [k][48] ---- */

/* A: AM = PACKED, a [k][8] panel; AM = KSTRIDE, (r, p) at a[p*as + r]; AM =
 * RSTRIDE, (r, p) at a[r*as + p] (the last two read op(A) in place). */
enum { PACKED, KSTRIDE, RSTRIDE };

INLINE void ukr_f32_body(const int AM, const int R, const int V, int64_t k, const float *a, int64_t as,
                         const float *b, int64_t ldbk, float *c, int64_t ldc, int n, const nb_tile_store *st) {
    __m512 acc[MR][NV];
    __mmask16 mask[NV];
    UNROLL for (int v = 0; v < V; v++) {
        int left = n - 16 * v;
        mask[v] = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    }
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    /* The C tile is touched only after the k loop: fetch it meanwhile. */
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) _mm_prefetch((const char *)(c + r * ldc + 16 * v), _MM_HINT_T0);
    for (int64_t p = 0; p < k; p++) {
        __m512 bv[NV];
        /* The last vector is masked: in place, B may end mid-vector. */
        UNROLL for (int v = 0; v < V; v++)
            bv[v] = v < V - 1 ? _mm512_loadu_ps(b + 16 * v) : _mm512_maskz_loadu_ps(mask[v], b + 16 * v);
        UNROLL for (int r = 0; r < R; r++) {
            __m512 av = _mm512_set1_ps(AM == RSTRIDE ? a[r * as] : a[r]);
            UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += AM == PACKED ? MR : AM == KSTRIDE ? as : 1;
        b += ldbk;
    }
    const __m512 alpha = _mm512_set1_ps((float)st->alpha), beta = _mm512_set1_ps((float)st->beta);
    const bool scale = st->alpha != 1, hasc = st->beta != 0, beta1 = st->beta == 1, relu = st->relu;
    const float *bias = (const float *)st->bias;
    __m512 bb[NV];
    UNROLL for (int v = 0; v < V; v++) bb[v] = bias ? _mm512_maskz_loadu_ps(mask[v], bias + 16 * v) : _mm512_setzero_ps();
    UNROLL for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        UNROLL for (int v = 0; v < V; v++) {
            __m512 x = acc[r][v];
            if (scale) x = _mm512_mul_ps(x, alpha);
            if (hasc) {
                __m512 old = _mm512_maskz_loadu_ps(mask[v], cr + 16 * v);
                x = beta1 ? _mm512_add_ps(x, old) : _mm512_fmadd_ps(old, beta, x);
            }
            if (bias) x = _mm512_add_ps(x, bb[v]);
            if (relu) x = _mm512_max_ps(_mm512_setzero_ps(), x); /* NaN stays NaN */
            _mm512_mask_storeu_ps(cr + 16 * v, mask[v], x);
        }
    }
}

typedef void (*kf32)(int64_t, const float *, int64_t, const float *, int64_t, float *, int64_t, int,
                     const nb_tile_store *);
#define DEF32(AM, R, V)                                                                                         \
    static void k32_##AM##_##R##_##V(int64_t k, const float *a, int64_t as, const float *b, int64_t ldbk,       \
                                     float *c, int64_t ldc, int n, const nb_tile_store *st) {                   \
        ukr_f32_body(AM, R, V, k, a, as, b, ldbk, c, ldc, n, st);                                              \
    }
#define DEFROW32(AM, R) DEF32(AM, R, 1) DEF32(AM, R, 2) DEF32(AM, R, 3)
#define DEFALL32(AM)                                                                                            \
    DEFROW32(AM, 1) DEFROW32(AM, 2) DEFROW32(AM, 3) DEFROW32(AM, 4) DEFROW32(AM, 5) DEFROW32(AM, 6)           \
    DEFROW32(AM, 7) DEFROW32(AM, 8)
DEFALL32(PACKED) DEFALL32(KSTRIDE) DEFALL32(RSTRIDE)
#define ROW32(AM, R) {k32_##AM##_##R##_1, k32_##AM##_##R##_2, k32_##AM##_##R##_3}
#define TAB32(AM) {ROW32(AM, 1), ROW32(AM, 2), ROW32(AM, 3), ROW32(AM, 4), ROW32(AM, 5), ROW32(AM, 6), ROW32(AM, 7), ROW32(AM, 8)}
static const kf32 tab32[3][MR][NV] = {TAB32(PACKED), TAB32(KSTRIDE), TAB32(RSTRIDE)};

static void ukr_f32(int64_t k, const float *a, const float *b, int64_t ldbk, float *c, int64_t ldc, int m, int n,
                    const nb_tile_store *st) {
    tab32[PACKED][m - 1][(n + 15) / 16 - 1](k, a, MR, b, ldbk, c, ldc, n, st);
}

static void ukrd_f32(int64_t k, const float *a, int64_t as, bool arows, const float *b, int64_t ldbk, float *c,
                     int64_t ldc, int m, int n, const nb_tile_store *st) {
    tab32[arows ? RSTRIDE : KSTRIDE][m - 1][(n + 15) / 16 - 1](k, a, as, b, ldbk, c, ldc, n, st);
}

/* ---- f64: a is [k][8], b is [k][24] ---- */

INLINE void ukr_f64_body(const int AM, const int R, const int V, int64_t k, const double *a, int64_t as,
                         const double *b, int64_t ldbk, double *c, int64_t ldc, int n, const nb_tile_store *st) {
    __m512d acc[MR][NV];
    __mmask8 mask[NV];
    UNROLL for (int v = 0; v < V; v++) {
        int left = n - 8 * v;
        mask[v] = left >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << left) - 1);
    }
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_pd();
    /* The C tile is touched only after the k loop: fetch it meanwhile. */
    UNROLL for (int r = 0; r < R; r++) UNROLL for (int v = 0; v < V; v++) _mm_prefetch((const char *)(c + r * ldc + 8 * v), _MM_HINT_T0);
    for (int64_t p = 0; p < k; p++) {
        __m512d bv[NV];
        UNROLL for (int v = 0; v < V; v++)
            bv[v] = v < V - 1 ? _mm512_loadu_pd(b + 8 * v) : _mm512_maskz_loadu_pd(mask[v], b + 8 * v);
        UNROLL for (int r = 0; r < R; r++) {
            __m512d av = _mm512_set1_pd(AM == RSTRIDE ? a[r * as] : a[r]);
            UNROLL for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_pd(av, bv[v], acc[r][v]);
        }
        a += AM == PACKED ? MR : AM == KSTRIDE ? as : 1;
        b += ldbk;
    }
    const __m512d alpha = _mm512_set1_pd(st->alpha), beta = _mm512_set1_pd(st->beta);
    const bool scale = st->alpha != 1, hasc = st->beta != 0, beta1 = st->beta == 1, relu = st->relu;
    const double *bias = (const double *)st->bias;
    __m512d bb[NV];
    UNROLL for (int v = 0; v < V; v++) bb[v] = bias ? _mm512_maskz_loadu_pd(mask[v], bias + 8 * v) : _mm512_setzero_pd();
    UNROLL for (int r = 0; r < R; r++) {
        double *cr = c + r * ldc;
        UNROLL for (int v = 0; v < V; v++) {
            __m512d x = acc[r][v];
            if (scale) x = _mm512_mul_pd(x, alpha);
            if (hasc) {
                __m512d old = _mm512_maskz_loadu_pd(mask[v], cr + 8 * v);
                x = beta1 ? _mm512_add_pd(x, old) : _mm512_fmadd_pd(old, beta, x);
            }
            if (bias) x = _mm512_add_pd(x, bb[v]);
            if (relu) x = _mm512_max_pd(_mm512_setzero_pd(), x);
            _mm512_mask_storeu_pd(cr + 8 * v, mask[v], x);
        }
    }
}

typedef void (*kf64)(int64_t, const double *, int64_t, const double *, int64_t, double *, int64_t, int,
                     const nb_tile_store *);
#define DEF64(AM, R, V)                                                                                         \
    static void k64_##AM##_##R##_##V(int64_t k, const double *a, int64_t as, const double *b, int64_t ldbk,     \
                                     double *c, int64_t ldc, int n, const nb_tile_store *st) {                  \
        ukr_f64_body(AM, R, V, k, a, as, b, ldbk, c, ldc, n, st);                                              \
    }
#define DEFROW64(AM, R) DEF64(AM, R, 1) DEF64(AM, R, 2) DEF64(AM, R, 3)
#define DEFALL64(AM)                                                                                            \
    DEFROW64(AM, 1) DEFROW64(AM, 2) DEFROW64(AM, 3) DEFROW64(AM, 4) DEFROW64(AM, 5) DEFROW64(AM, 6)           \
    DEFROW64(AM, 7) DEFROW64(AM, 8)
DEFALL64(PACKED) DEFALL64(KSTRIDE) DEFALL64(RSTRIDE)
#define ROW64(AM, R) {k64_##AM##_##R##_1, k64_##AM##_##R##_2, k64_##AM##_##R##_3}
#define TAB64(AM) {ROW64(AM, 1), ROW64(AM, 2), ROW64(AM, 3), ROW64(AM, 4), ROW64(AM, 5), ROW64(AM, 6), ROW64(AM, 7), ROW64(AM, 8)}
static const kf64 tab64[3][MR][NV] = {TAB64(PACKED), TAB64(KSTRIDE), TAB64(RSTRIDE)};

static void ukr_f64(int64_t k, const double *a, const double *b, int64_t ldbk, double *c, int64_t ldc, int m, int n,
                    const nb_tile_store *st) {
    tab64[PACKED][m - 1][(n + 7) / 8 - 1](k, a, MR, b, ldbk, c, ldc, n, st);
}

static void ukrd_f64(int64_t k, const double *a, int64_t as, bool arows, const double *b, int64_t ldbk, double *c,
                     int64_t ldc, int m, int n, const nb_tile_store *st) {
    tab64[arows ? RSTRIDE : KSTRIDE][m - 1][(n + 7) / 8 - 1](k, a, as, b, ldbk, c, ldc, n, st);
}

/* ---- packing ---- */

/* Transposing packs (the row-major A case, W = 8, and the B^T case, W = 48
 * or 24): each group of 8 (f32) or 4 (f64) source lines is transposed in
 * blocks in ymm registers; leftover lines and the zero padding are scalar. */
static void packT_f32(float *dst, int W, const float *src, int64_t ldx, int64_t k, int w) {
    const int64_t k8 = k / 8 * 8;
    int x0 = 0;
    for (; x0 + 8 <= w; x0 += 8) {
        const float *s = src + (int64_t)x0 * ldx;
        for (int64_t p = 0; p < k8; p += 8) {
            __m256 r0 = _mm256_loadu_ps(s + 0 * ldx + p), r1 = _mm256_loadu_ps(s + 1 * ldx + p);
            __m256 r2 = _mm256_loadu_ps(s + 2 * ldx + p), r3 = _mm256_loadu_ps(s + 3 * ldx + p);
            __m256 r4 = _mm256_loadu_ps(s + 4 * ldx + p), r5 = _mm256_loadu_ps(s + 5 * ldx + p);
            __m256 r6 = _mm256_loadu_ps(s + 6 * ldx + p), r7 = _mm256_loadu_ps(s + 7 * ldx + p);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *d = dst + p * W + x0;
            _mm256_storeu_ps(d + 0 * W, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + 1 * W, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * W, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * W, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * W, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * W, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * W, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * W, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        for (int x = x0; x < x0 + 8; x++)
            for (int64_t p = k8; p < k; p++) dst[p * W + x] = s[(int64_t)(x - x0) * ldx + p];
    }
    for (int x = x0; x < W; x++) {
        const float *s = src + (int64_t)x * ldx;
        if (x < w)
            for (int64_t p = 0; p < k; p++) dst[p * W + x] = s[p];
        else
            for (int64_t p = 0; p < k; p++) dst[p * W + x] = 0;
    }
}

static void packT_f64(double *dst, int W, const double *src, int64_t ldx, int64_t k, int w) {
    const int64_t k4 = k / 4 * 4;
    int x0 = 0;
    for (; x0 + 4 <= w; x0 += 4) {
        const double *s = src + (int64_t)x0 * ldx;
        for (int64_t p = 0; p < k4; p += 4) {
            __m256d r0 = _mm256_loadu_pd(s + p), r1 = _mm256_loadu_pd(s + ldx + p);
            __m256d r2 = _mm256_loadu_pd(s + 2 * ldx + p), r3 = _mm256_loadu_pd(s + 3 * ldx + p);
            __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
            __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
            double *d = dst + p * W + x0;
            _mm256_storeu_pd(d + 0 * W, _mm256_permute2f128_pd(t0, t2, 0x20));
            _mm256_storeu_pd(d + 1 * W, _mm256_permute2f128_pd(t1, t3, 0x20));
            _mm256_storeu_pd(d + 2 * W, _mm256_permute2f128_pd(t0, t2, 0x31));
            _mm256_storeu_pd(d + 3 * W, _mm256_permute2f128_pd(t1, t3, 0x31));
        }
        for (int x = x0; x < x0 + 4; x++)
            for (int64_t p = k4; p < k; p++) dst[p * W + x] = s[(int64_t)(x - x0) * ldx + p];
    }
    for (int x = x0; x < W; x++) {
        const double *s = src + (int64_t)x * ldx;
        if (x < w)
            for (int64_t p = 0; p < k; p++) dst[p * W + x] = s[p];
        else
            for (int64_t p = 0; p < k; p++) dst[p * W + x] = 0;
    }
}

/* Copying packs with full-width vector moves; the tail of each row and the
 * zero padding are masked. */
static void packN_f32(float *dst, int W, const float *src, int64_t ldp, int64_t k, int w) {
    for (int64_t p = 0; p < k; p++) {
        float *d = dst + p * W;
        const float *s = src + p * ldp;
        for (int x = 0; x < W; x += 16) {
            int left = w - x, room = W - x; /* W may be 8 (the A panels) */
            __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
            __mmask16 ms = room >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << room) - 1);
            _mm512_mask_storeu_ps(d + x, ms, _mm512_maskz_loadu_ps(m, s + x));
        }
    }
}

static void packN_f64(double *dst, int W, const double *src, int64_t ldp, int64_t k, int w) {
    for (int64_t p = 0; p < k; p++) {
        double *d = dst + p * W;
        const double *s = src + p * ldp;
        for (int x = 0; x < W; x += 8) {
            int left = w - x;
            __mmask8 m = left >= 8 ? (__mmask8)0xFF : left <= 0 ? 0 : (__mmask8)((1u << left) - 1);
            _mm512_storeu_pd(d + x, _mm512_maskz_loadu_pd(m, s + x));
        }
    }
}

static const nb_gemm_impl impl = {
    .name = "avx512",
    .mr = {MR, MR},
    .nr = {16 * NV, 8 * NV},
    .kc = {512, 512},
    .mc = {256, 128},
    .nc = {4080, 2040},
    .ukr_f32 = ukr_f32,
    .ukr_f64 = ukr_f64,
    .ukrd_f32 = ukrd_f32,
    .ukrd_f64 = ukrd_f64,
    .packT_f32 = packT_f32,
    .packT_f64 = packT_f64,
    .packN_f32 = packN_f32,
    .packN_f64 = packN_f64,
};
const nb_gemm_impl *nb_gemm_impl_avx512(void) { return &impl; }
