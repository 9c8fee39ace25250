/* nabla/gemm.h — the one GEMM entry point.
 *
 * Every matmul, linear layer and convolution in nabla calls nb_gemm, so all
 * performance work on products lands here. Row-major:
 *   C = alpha op(A) op(B) + beta C,  op(A) is M x K, op(B) is K x N,
 * op(X) = X^T when the flag is set; lda/ldb/ldc are row strides of the
 * matrices as stored. beta == 0 ignores C's old contents (NaNs included).
 * Deterministic: each C element is summed in the same order whatever the
 * thread count. */
#ifndef NABLA_GEMM_H
#define NABLA_GEMM_H

#include "nabla/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to do to C after the product, in the same pass: add bias[j] to every
 * row, then apply ReLU. Either may be off (NULL / false). And, if done is
 * set, done(user, i0, i1, j0, j1) as soon as the block C[i0:i1, j0:j1] holds
 * its final values, from the thread that computed it, while it is in cache
 * (the blocks tile C; a row is usually one block, or a few). */
typedef struct nb_epilogue {
    const void *bias; /* N values of the GEMM's dtype, or NULL */
    bool relu;
    void (*done)(void *user, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
    void *user;
} nb_epilogue;

/* NB_OK, or an error (bad arguments; packing buffers that cannot be had)
 * with C's contents undefined. nb_gemm takes its packing buffers from the
 * heap for the call and runs on nb_get_threads() threads; nb_gemm_ex runs in
 * ctx (NULL: as nb_gemm): its threads, its plan's team, its buffers, and a
 * failure is also the context's first error (nabla/tensor.h). */
nb_status nb_gemm(nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  double alpha, const void *A, int64_t lda, const void *B, int64_t ldb,
                  double beta, void *C, int64_t ldc);
nb_status nb_gemm_ex(nb_ctx *ctx, nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                     double alpha, const void *A, int64_t lda, const void *B, int64_t ldb,
                     double beta, void *C, int64_t ldc, const nb_epilogue *ep);

/* The kernel nb_gemm chose for this CPU: "avx512", "avx2", "portable" or "cblas". */
const char *nb_gemm_kernel(void);

#ifdef __cplusplus
}
#endif
#endif
