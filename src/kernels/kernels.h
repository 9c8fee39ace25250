/* Internal: the GEMM micro-kernel interface each ISA file implements, and
 * hooks for tests and benchmarks (forcing a kernel, block sizes, FMA peak).
 *
 * The driver (gemm.c) packs op(A) into MR-row panels laid out [k][MR] and
 * op(B) into NR-column panels laid out [k][NR], both zero-padded, and calls a
 * micro-kernel per MR x NR tile of C. Micro-kernels vectorise along N (C is
 * row-major, so a tile row is contiguous) and broadcast A. */
#ifndef NABLA_KERNELS_H
#define NABLA_KERNELS_H

#include "core/internal.h"
#include "nabla/gemm.h"

/* How a finished tile is written: C = alpha*acc + beta*C (beta == 0: C's old
 * contents are not read), then, on the last K block only, + bias[j] and ReLU.
 * bias points at the tile's first column; NULL when absent. */
typedef struct nb_tile_store {
    double alpha, beta;
    const void *bias;
    bool relu;
} nb_tile_store;

/* C[m x n] (row stride ldc) from k steps of panels: a is packed [k][MR]
 * (only the first m rows used); b is [k][ldbk], either a packed [k][NR] panel
 * (ldbk = NR) or op(B) itself read in place (ldbk = ldb), of which only the
 * first n columns are read; 1 <= m <= MR, 1 <= n <= NR. */
typedef void (*nb_ukr_f32)(int64_t k, const float *a, const float *b, int64_t ldbk, float *c, int64_t ldc,
                           int m, int n, const nb_tile_store *st);
typedef void (*nb_ukr_f64)(int64_t k, const double *a, const double *b, int64_t ldbk, double *c,
                           int64_t ldc, int m, int n, const nb_tile_store *st);

/* Optional: a micro-kernel reading op(A) in place instead of from a packed
 * panel: element (r, p) of the tile's A is a[r*as + p] when arows, else
 * a[p*as + r]. Same stores as the packed kernel, and the same sums (each
 * accumulator adds the same products in the same order). */
typedef void (*nb_ukrd_f32)(int64_t k, const float *a, int64_t as, bool arows, const float *b, int64_t ldbk,
                            float *c, int64_t ldc, int m, int n, const nb_tile_store *st);
typedef void (*nb_ukrd_f64)(int64_t k, const double *a, int64_t as, bool arows, const double *b, int64_t ldbk,
                            double *c, int64_t ldc, int m, int n, const nb_tile_store *st);

/* Packs w <= W lines of a transposing source into a [k][W] panel: element
 * (p, x) of the panel is src[x*ldx + p], zero for x >= w. The ISA files may
 * supply a fast one (the common row-major A case); NULL means the portable. */
typedef void (*nb_packT_f32)(float *dst, int W, const float *src, int64_t ldx, int64_t k, int w);
typedef void (*nb_packT_f64)(double *dst, int W, const double *src, int64_t ldx, int64_t k, int w);
/* Copying pack: panel (p, x) = src[p*ldp + x] for x < w, zero beyond. */
typedef void (*nb_packN_f32)(float *dst, int W, const float *src, int64_t ldp, int64_t k, int w);
typedef void (*nb_packN_f64)(double *dst, int W, const double *src, int64_t ldp, int64_t k, int w);

typedef struct nb_gemm_impl {
    const char *name;
    int mr[2], nr[2]; /* register tile per dtype (index nb_dtype) */
    int kc[2], mc[2], nc[2];
    nb_ukr_f32 ukr_f32;
    nb_ukr_f64 ukr_f64;
    nb_ukrd_f32 ukrd_f32; /* or NULL: A is always packed */
    nb_ukrd_f64 ukrd_f64;
    nb_packT_f32 packT_f32;
    nb_packT_f64 packT_f64;
    nb_packN_f32 packN_f32;
    nb_packN_f64 packN_f64;
} nb_gemm_impl;

/* nb_gemm_ex with a say in how the work is cut between threads: along M
 * (C's rows), N (C's columns), K (op(B)'s rows, for a team of two), or as
 * the shape suggests. A caller that keeps each thread on its own rows of a
 * weight across calls keeps that weight in one core's cache. The M and N
 * cuts give the bits of the uncut product; so does K where the KC blocking
 * cuts K in two; a product with one KC block, big enough to share, is then
 * always summed in two halves of K (on one thread too: the bits do not
 * depend on the thread count); otherwise K is not cut (as AUTO). */
typedef enum nb_gemm_axis { NB_SPLIT_AUTO, NB_SPLIT_M, NB_SPLIT_N, NB_SPLIT_K } nb_gemm_axis;
nb_status nb__gemm(nb_ctx *ctx, nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                   const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc,
                   const nb_epilogue *ep, nb_gemm_axis axis);

/* The ISA implementations (NULL-free; call only when the CPU supports them). */
const nb_gemm_impl *nb_gemm_impl_avx512(void);
const nb_gemm_impl *nb_gemm_impl_avx2(void);
const nb_gemm_impl *nb_gemm_impl_portable(void);
const nb_gemm_impl *nb_gemm_impl_wasm(void); /* WebAssembly SIMD128 builds only */

/* Forces a kernel by name ("avx512", "avx2", "wasm128", "portable"), or back to the
 * automatic choice with NULL or "auto". Fails (NB_EINVAL) for an unknown name
 * or one this CPU cannot run. For tests and benchmarks; not thread-safe
 * against concurrent nb_gemm calls. */
nb_status nb_gemm_force(const char *name);
/* Whether this CPU can run the named kernel. */
bool nb_gemm_supported(const char *name);
/* Block sizes for dt in ctx's products (0 keeps the kernel's), bounded:
 * changing KC changes the summation order, so it is a context's own
 * setting, for tests and tuning. */
nb_status nb__gemm_set_blocking(nb_ctx *ctx, nb_dtype dt, int mc, int kc, int nc);


#endif
