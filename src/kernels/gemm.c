/* nb_gemm: argument checks, kernel dispatch, threading, and the portable
 * micro-kernel. The blocked driver is gemm_tmpl.h; the SIMD micro-kernels are
 * gemm_avx512.c and gemm_avx2.c, chosen at run time. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef NB_USE_CBLAS
#include <cblas.h>
#endif

#include "core/internal.h"
#include "core/team.h"
#include "kernels/cpu.h"
#include "kernels/kernels.h"

/* Largest MR*NR of any kernel (for the transposed-store scratch tile). */
#define NB_TILE_MAX (16 * 64)
/* Up to this many rows per thread, op(B) = B is read in place, unpacked;
 * up to this many columns, op(A) is (where the kernel can). */
#define NB_DIRECT_B_MAX_M 128
#define NB_DIRECT_A_MAX_N 1024

/* ---- the portable micro-kernel: 4 x 16 (f32) and 4 x 8 (f64) ---- */

#define PORT_KERNEL(SFX, T, MR, NR)                                                                 \
    static void ukr_portable_##SFX(int64_t k, const T *a, const T *b, int64_t ldbk, T *c, int64_t ldc, \
                                   int m, int n, const nb_tile_store *st) {                         \
        T acc[MR][NR];                                                                              \
        memset(acc, 0, sizeof acc);                                                                 \
        for (int64_t p = 0; p < k; p++) {                                                           \
            const T *ap = a + p * MR, *bp = b + p * ldbk;                                           \
            if (n == NR) /* constant bounds: the compiler vectorises */                             \
                for (int i = 0; i < MR; i++)                                                        \
                    for (int j = 0; j < NR; j++) acc[i][j] += ap[i] * bp[j];                        \
            else                                                                                    \
                for (int i = 0; i < MR; i++)                                                        \
                    for (int j = 0; j < n; j++) acc[i][j] += ap[i] * bp[j];                         \
        }                                                                                           \
        const T alpha = (T)st->alpha, beta = (T)st->beta;                                           \
        const T *bias = (const T *)st->bias;                                                        \
        for (int i = 0; i < m; i++)                                                                 \
            for (int j = 0; j < n; j++) {                                                           \
                T *cp = c + i * ldc + j;                                                            \
                T v = alpha * acc[i][j];                                                            \
                if (beta != 0) v += beta * *cp;                                                     \
                if (bias) v += bias[j];                                                             \
                if (st->relu && v < 0) v = 0;                                                       \
                *cp = v;                                                                            \
            }                                                                                       \
    }
PORT_KERNEL(f32, float, 4, 16)
PORT_KERNEL(f64, double, 4, 8)

/* ---- the driver, instantiated per dtype ---- */

#define T float
#define DT NB_F32
#define SFX f32
#include "kernels/gemm_tmpl.h"
#undef T
#undef DT
#undef SFX
#define T double
#define DT NB_F64
#define SFX f64
#include "kernels/gemm_tmpl.h"
#undef T
#undef DT
#undef SFX

static const nb_gemm_impl portable_impl = {
    .name = "portable",
    .mr = {4, 4},
    .nr = {16, 8},
    .kc = {256, 256},
    .mc = {128, 128},
    .nc = {4096, 4096},
    .ukr_f32 = ukr_portable_f32,
    .ukr_f64 = ukr_portable_f64,
    .packT_f32 = packT_portable_f32,
    .packT_f64 = packT_portable_f64,
    .packN_f32 = pack_copy_f32,
    .packN_f64 = pack_copy_f64,
};
const nb_gemm_impl *nb_gemm_impl_portable(void) { return &portable_impl; }

/* ---- dispatch ---- */

static _Atomic(const nb_gemm_impl *) chosen; /* NULL: the automatic choice */

bool nb_gemm_supported(const char *name) {
    if (!name) return false;
    if (strcmp(name, "portable") == 0) return true;
#if NB_X86_64
    if (strcmp(name, "avx512") == 0) return nb__cpu().avx512;
    if (strcmp(name, "avx2") == 0) return nb__cpu().avx2;
#endif
#ifdef __wasm_simd128__
    if (strcmp(name, "wasm128") == 0) return true; /* the module is built with SIMD128 */
#endif
    return false;
}

static const nb_gemm_impl *auto_impl(void) {
#if NB_X86_64
    if (nb__cpu().avx512) return nb_gemm_impl_avx512();
    if (nb__cpu().avx2) return nb_gemm_impl_avx2();
#endif
#ifdef __wasm_simd128__
    return nb_gemm_impl_wasm();
#else
    return nb_gemm_impl_portable();
#endif
}

static const nb_gemm_impl *current_impl(void) {
    const nb_gemm_impl *im = atomic_load(&chosen);
    return im ? im : auto_impl();
}

nb_status nb_gemm_force(const char *name) {
    if (!name || strcmp(name, "auto") == 0) {
        atomic_store(&chosen, NULL);
        return NB_OK;
    }
    if (strcmp(name, "avx512") && strcmp(name, "avx2") && strcmp(name, "wasm128") && strcmp(name, "portable"))
        return nb_fail(NB_EINVAL, "nb_gemm_force: unknown kernel '%s' (avx512, avx2, wasm128, portable, auto)", name);
    if (!nb_gemm_supported(name)) return nb_fail(NB_EINVAL, "nb_gemm_force: this CPU cannot run the '%s' kernel", name);
#if NB_X86_64
    if (strcmp(name, "avx512") == 0) atomic_store(&chosen, nb_gemm_impl_avx512());
    else if (strcmp(name, "avx2") == 0) atomic_store(&chosen, nb_gemm_impl_avx2());
    else
#endif
#ifdef __wasm_simd128__
    if (strcmp(name, "wasm128") == 0) atomic_store(&chosen, nb_gemm_impl_wasm());
    else
#endif
        atomic_store(&chosen, nb_gemm_impl_portable());
    return NB_OK;
}

nb_status nb__gemm_set_blocking(nb_ctx *ctx, nb_dtype dt, int mc, int kc, int nc) {
    if (!ctx) return nb_fail(NB_EINVAL, "nb_gemm blocking: NULL context");
    const int lim[3] = {1 << 16, 1 << 16, 1 << 20};
    const int v[3] = {mc, kc, nc};
    for (int i = 0; i < 3; i++)
        if (v[i] < 0 || v[i] > lim[i])
            return nb_fail(NB_EINVAL, "nb_gemm blocking: %s=%d is outside [0, %d] (0 keeps the kernel's)",
                           i == 0 ? "MC" : i == 1 ? "KC" : "NC", v[i], lim[i]);
    for (int i = 0; i < 3; i++) ctx->gemm_blocking[dt == NB_F64][i] = v[i];
    return NB_OK;
}

/* The kernel for one call: the chosen table, its missing packs filled with
 * the portable ones, and ctx's block sizes, in a copy of the call's own. */
static void impl_for(const nb_ctx *ctx, nb_gemm_impl *im) {
    *im = *current_impl();
    if (!im->packT_f32) im->packT_f32 = packT_portable_f32;
    if (!im->packT_f64) im->packT_f64 = packT_portable_f64;
    if (!im->packN_f32) im->packN_f32 = pack_copy_f32;
    if (!im->packN_f64) im->packN_f64 = pack_copy_f64;
    for (int d = 0; ctx && d < 2; d++) {
        const int *b = ctx->gemm_blocking[d];
        if (b[0] > 0) im->mc[d] = (b[0] + im->mr[d] - 1) / im->mr[d] * im->mr[d];
        if (b[1] > 0) im->kc[d] = b[1];
        if (b[2] > 0) im->nc[d] = (b[2] + im->nr[d] - 1) / im->nr[d] * im->nr[d];
    }
}

const char *nb_gemm_kernel(void) {
#ifdef NB_USE_CBLAS
    return "cblas";
#else
    return current_impl()->name;
#endif
}

/* Below this many multiply-adds a second thread costs more than it saves:
 * forking an OpenMP region, or handing work to a waiting team. */
#define NB_GEMM_PAR_MIN (1 << 20)
#define NB_GEMM_TEAM_MIN (1 << 17)

/* ---- the entry points ---- */

static bool check_args(const char *fn, nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                       const void *A, int64_t lda, const void *B, int64_t ldb, const void *C, int64_t ldc) {
    if (dt != NB_F32 && dt != NB_F64) {
        nb_fail(NB_EDTYPE, "%s: unknown dtype %d", fn, (int)dt);
        return false;
    }
    if (M < 0 || N < 0 || K < 0) {
        nb_fail(NB_ESHAPE, "%s: negative size M=%lld N=%lld K=%lld", fn, (long long)M, (long long)N,
                (long long)K);
        return false;
    }
    int64_t wa = ta ? M : K, wb = tb ? K : N;
    if (lda < (wa > 1 ? wa : 1) || ldb < (wb > 1 ? wb : 1) || ldc < (N > 1 ? N : 1)) {
        nb_fail(NB_ESHAPE,
                "%s: leading dimension too small (M=%lld N=%lld K=%lld ta=%d tb=%d: lda=%lld needs >= %lld, "
                "ldb=%lld needs >= %lld, ldc=%lld needs >= %lld)",
                fn, (long long)M, (long long)N, (long long)K, ta, tb, (long long)lda, (long long)wa,
                (long long)ldb, (long long)wb, (long long)ldc, (long long)N);
        return false;
    }
    if (M > 0 && N > 0 && (!C || (K > 0 && (!A || !B)))) {
        nb_fail(NB_EINVAL, "%s: NULL matrix pointer", fn);
        return false;
    }
    return true;
}

#ifdef NB_USE_CBLAS
static bool gemm_cblas(nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                       const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C,
                       int64_t ldc, const void *bias, bool relu) {
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX ||
        ldc > INT32_MAX) {
        nb_fail(NB_ESHAPE, "nb_gemm: sizes exceed the CBLAS int range");
        return false;
    }
    enum CBLAS_TRANSPOSE a = ta ? CblasTrans : CblasNoTrans, b = tb ? CblasTrans : CblasNoTrans;
    if (dt == NB_F32) {
        if (beta == 0) scale_only_f32(M, N, 0, C, ldc, NULL, false); /* CBLAS may read C: clear NaNs */
        cblas_sgemm(CblasRowMajor, a, b, (int)M, (int)N, (int)K, (float)alpha, A, (int)lda, B, (int)ldb,
                    (float)beta, C, (int)ldc);
        if (bias || relu) epilogue_pass_f32(M, N, C, ldc, bias, relu);
    } else {
        if (beta == 0) scale_only_f64(M, N, 0, C, ldc, NULL, false);
        cblas_dgemm(CblasRowMajor, a, b, (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C,
                    (int)ldc);
        if (bias || relu) epilogue_pass_f64(M, N, C, ldc, bias, relu);
    }
    return true;
}
#endif

#ifndef NB_USE_CBLAS
/* One thread's share of the (possibly swapped) problem. */
typedef struct gemm_job {
    const nb_gemm_impl *im;
    nb__scratch *scratch; /* one per thread, by the working thread's index */
    nb_dtype dt;
    bool ta, tb, ctrans;
    int64_t M, N, K;
    double alpha, beta;
    const void *A, *B, *bias;
    void *C;
    int64_t lda, ldb, ldc;
    bool relu;
    const nb_epilogue *ep; /* for its done hook, or NULL */
} gemm_job;

static nb__scratch *my_scratch(const gemm_job *j) {
    int t = nb__thread_index();
    return t < NB_MAX_THREADS ? &j->scratch[t] : NULL;
}

static bool run_part(const gemm_job *j, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    if (m0 >= m1 || n0 >= n1) return true;
    nb__scratch *sc = my_scratch(j);
    if (!sc) return false;
    if (j->dt == NB_F32)
        return drive_f32(j->im, sc, j->ta, j->tb, j->ctrans, j->K, (float)j->alpha, j->A, j->lda, j->B, j->ldb,
                         (float)j->beta, j->C, j->ldc, j->bias, j->relu, j->ep, m0, m1, n0, n1, 0, j->K);
    return drive_f64(j->im, sc, j->ta, j->tb, j->ctrans, j->K, j->alpha, j->A, j->lda, j->B, j->ldb, j->beta,
                     j->C, j->ldc, j->bias, j->relu, j->ep, m0, m1, n0, n1, 0, j->K);
}

/* Thread t of nt gets a contiguous run of whole units of its axis. */
static void share(int64_t len, int64_t unit, int t, int nt, int64_t *lo, int64_t *hi) {
    int64_t units = (len + unit - 1) / unit;
    *lo = units * t / nt * unit;
    *hi = units * (t + 1) / nt * unit;
    if (*lo > len) *lo = len;
    if (*hi > len) *hi = len;
}

/* The threads' shares of one product: C cut into one rectangle per thread. */
typedef struct gemm_split {
    const gemm_job *j;
    bool by_m;
    _Atomic bool good;
} gemm_split;

/* The automatic cut: along M when C is tall enough to give each of n
 * threads whole MR panels, else along N. */
static bool tall(const gemm_job *j, int n) {
    return j->M >= (int64_t)n * 4 * j->im->mr[j->dt == NB_F64] && j->M >= j->N;
}

static void split_part(void *arg, int t, int n) {
    gemm_split *sp = arg;
    const gemm_job *j = sp->j;
    int64_t lo, hi;
    bool r;
    if (sp->by_m) {
        share(j->M, j->im->mr[j->dt == NB_F64], t, n, &lo, &hi);
        r = run_part(j, lo, hi, 0, j->N);
    } else {
        share(j->N, 64 / (int64_t)nb_dtype_size(j->dt), t, n, &lo, &hi);
        r = run_part(j, 0, j->M, lo, hi);
    }
    if (!r) atomic_store(&sp->good, false);
}

/* A product cut along K (see kcut_at), for two threads each holding half of
 * op(B)'s rows: member 0 sums K's first part into C and member 1 the second
 * into a scratch S; then each adds S to its rows of C, as a kernel adds a
 * block. Without a team the same two parts run one after the other. */
typedef struct kcut_job {
    const gemm_job *j;
    void *S;
    int64_t KC;
    _Atomic bool good;
} kcut_job;

static bool drive_k(const gemm_job *j, void *C, int64_t ldc, double beta, int64_t p0, int64_t p1) {
    nb__scratch *sc = my_scratch(j);
    if (!sc) return false;
    if (j->dt == NB_F32)
        return drive_f32(j->im, sc, j->ta, j->tb, false, j->K, (float)j->alpha, j->A, j->lda, j->B, j->ldb,
                         (float)beta, C, ldc, NULL, false, NULL, 0, j->M, 0, j->N, p0, p1);
    return drive_f64(j->im, sc, j->ta, j->tb, false, j->K, j->alpha, j->A, j->lda, j->B, j->ldb, beta, C, ldc, NULL,
                     false, NULL, 0, j->M, 0, j->N, p0, p1);
}

static void kcut_part(void *arg, int t, int n) {
    (void)n;
    kcut_job *kj = arg;
    const gemm_job *j = kj->j;
    bool r = t == 0 ? drive_k(j, j->C, j->ldc, j->beta, 0, kj->KC) : drive_k(j, kj->S, j->N, 0, kj->KC, j->K);
    if (!r) atomic_store(&kj->good, false);
}

static void ksum_part(void *arg, int t, int n) {
    kcut_job *kj = arg;
    const gemm_job *j = kj->j;
    int64_t lo, hi;
    share(j->M, 1, t, n, &lo, &hi);
    if (j->dt == NB_F32) ksum_f32(lo, hi, j->N, j->C, j->ldc, kj->S, j->bias, j->relu);
    else ksum_f64(lo, hi, j->N, j->C, j->ldc, kj->S, j->bias, j->relu);
    if (lo < hi && j->ep && j->ep->done) j->ep->done(j->ep->user, lo, hi, 0, j->N);
}

/* Where a product asked to be cut along K is cut: at the KC blocking's one
 * boundary when it has exactly two blocks (the bits are then those of the
 * uncut product); a one-block product big enough to share, in halves (then
 * it is always computed so, on any number of threads); else 0, not cut. */
static int64_t kcut_at(const gemm_job *j) {
    int64_t KC = j->dt == NB_F32 ? kc_of_f32(j->im, j->K) : kc_of_f64(j->im, j->K);
    if (KC < j->K && 2 * KC >= j->K) return KC;
    if (KC == j->K && j->K >= 64 && (double)j->M * (double)j->N * (double)j->K >= NB_GEMM_PAR_MIN)
        return j->K / 2 / 16 * 16;
    return 0;
}

/* 1 when the product was cut along K and done (or failed: *good says), 0
 * when K is not cut here. */
static int kcut(nb_team *tm, const gemm_job *j, bool *good) {
    int64_t at = kcut_at(j);
    if (!at) return 0;
    bool halves = at < (j->dt == NB_F32 ? kc_of_f32(j->im, j->K) : kc_of_f64(j->im, j->K));
    if (tm && nb__team_size(tm) != 2) tm = NULL; /* its two roles need two members now */
    if (!halves && !tm) return 0; /* the uncut product gives the same bits */
    nb__scratch *sc = my_scratch(j);
    kcut_job kj = {j, sc ? nb__scratch_get(sc, 2, (size_t)(j->M * j->N) * nb_dtype_size(j->dt)) : NULL, at, true};
    if (kj.S) {
        if (tm) {
            nb__team_run(tm, kcut_part, &kj);
            if (atomic_load(&kj.good)) nb__team_run(tm, ksum_part, &kj);
        } else {
            kcut_part(&kj, 0, 2);
            kcut_part(&kj, 1, 2);
            if (atomic_load(&kj.good)) ksum_part(&kj, 0, 1);
        }
    }
    *good = kj.S && atomic_load(&kj.good);
    return 1;
}

/* The product on nt threads of a new parallel region (or this one). A
 * context's regions are paced (core/team.h): on a core another process
 * keeps busy, each product runs on this thread alone for a while, with the
 * same bits (a cut along M or N never changes a sum). */
static bool run_split(gemm_split *sp, int nt, nb_ctx *ctx) {
#ifdef _OPENMP
    nb_pace *pace = ctx && !omp_in_parallel() ? &ctx->pace : NULL; /* one caller thread, or none */
    double t0 = 0, t1 = 0;
    if (nt > 1 && pace && nb__pace_solo(pace, t0 = nb__mono_s())) nt = 1;
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        {
            split_part(sp, omp_get_thread_num(), omp_get_num_threads());
            if (pace && omp_get_thread_num() == 0) t1 = nb__mono_s();
        }
        if (pace) nb__pace_note(pace, t1 - t0, nb__mono_s() - t1);
        return atomic_load(&sp->good);
    }
#else
    (void)nt, (void)ctx;
#endif
    split_part(sp, 0, 1);
    return atomic_load(&sp->good);
}
#endif

nb_status nb__gemm(nb_ctx *ctx, nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                   const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc,
                   const nb_epilogue *ep, nb_gemm_axis axis) {
    nb_status st = nb__ctx_check(ctx);
    if (st) return st; /* an earlier failure in ctx stands */
    if (!check_args("nb_gemm", dt, ta, tb, M, N, K, A, lda, B, ldb, C, ldc)) return nb__ctx_fail(ctx, nb_errcode(), "%s", nb_errmsg());
    if (M == 0 || N == 0) return NB_OK;
    const void *bias = ep ? ep->bias : NULL;
    bool relu = ep && ep->relu;
    if (K == 0 || alpha == 0) {
        if (dt == NB_F32) scale_only_f32(M, N, (float)beta, C, ldc, bias, relu);
        else scale_only_f64(M, N, beta, C, ldc, bias, relu);
        if (ep && ep->done) ep->done(ep->user, 0, M, 0, N);
        return NB_OK;
    }
#ifdef NB_USE_CBLAS
    (void)axis;
    if (!gemm_cblas(dt, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, relu))
        return nb__ctx_fail(ctx, nb_errcode(), "%s", nb_errmsg());
    if (ep && ep->done) ep->done(ep->user, 0, M, 0, N);
    return NB_OK;
#else
    nb_gemm_impl im;
    impl_for(ctx, &im);
    const int d = dt == NB_F64;
    /* Without a context the call's buffers are its own, freed on return. */
    nb__scratch own[NB_MAX_THREADS];
    if (!ctx) memset(own, 0, sizeof own);
    gemm_job j = {&im, ctx ? ctx->scratch : own, dt, ta, tb, false, M, N, K, alpha, beta, A, B, bias, C, lda, ldb,
                  ldc, relu, ep};
    /* A narrow C wastes most of each vector; computing C^T = op(B)^T op(A)^T
     * puts the long side along the vectors. Not when op(A) is A, row-major,
     * and the kernel can read it in place: C^T would have to pack it
     * transposed, which costs more than the idle lanes. Chosen from the
     * shape alone. */
    bool direct_a = d ? im.ukrd_f64 != NULL : im.ukrd_f32 != NULL;
    if (N < im.nr[d] && M > N && (ta || !direct_a)) {
        j.ctrans = true;
        j.ta = !tb, j.tb = !ta;
        j.M = N, j.N = M;
        j.A = B, j.lda = ldb;
        j.B = A, j.ldb = lda;
        if (axis == NB_SPLIT_M) axis = NB_SPLIT_N;
        else if (axis == NB_SPLIT_N) axis = NB_SPLIT_M;
    }
    /* Cut as the caller asks, or as tall() says; on ctx's team when it has
     * one, else on ctx's threads. */
    gemm_split sp = {.j = &j, .by_m = axis == NB_SPLIT_M, .good = true};
    nb_team *tm = nb__ctx_team(ctx);
    bool small = (double)M * (double)N * (double)K < (tm ? NB_GEMM_TEAM_MIN : NB_GEMM_PAR_MIN), good = true;
    int done = 0;
    if (axis == NB_SPLIT_K) {
        if (!j.ctrans) done = kcut(tm && !small ? tm : NULL, &j, &good);
        axis = NB_SPLIT_AUTO;
    }
    if (!done && tm) {
        if (axis == NB_SPLIT_AUTO) sp.by_m = tall(&j, tm->n);
        if (small || tm->n < 2) split_part(&sp, 0, 1);
        else nb__team_run(tm, split_part, &sp);
        good = atomic_load(&sp.good);
    } else if (!done) {
        int nt = small ? 1 : nb_ctx_threads(ctx);
        if (axis == NB_SPLIT_AUTO) sp.by_m = tall(&j, nt);
        good = run_split(&sp, nt, ctx);
    }
    if (!ctx) nb__scratch_free(own, NB_MAX_THREADS);
    if (!good)
        return nb__ctx_fail(ctx, NB_ENOMEM, "nb_gemm: cannot allocate packing buffers (M=%lld N=%lld K=%lld)",
                            (long long)M, (long long)N, (long long)K);
    return NB_OK;
#endif
}

nb_status nb_gemm_ex(nb_ctx *ctx, nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                     const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc,
                     const nb_epilogue *ep) {
    return nb__gemm(ctx, dt, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep, NB_SPLIT_AUTO);
}

nb_status nb_gemm(nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A,
                  int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc) {
    return nb__gemm(NULL, dt, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NB_SPLIT_AUTO);
}
