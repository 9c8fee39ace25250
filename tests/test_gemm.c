/* nb_gemm against a naive double-precision reference: every kernel this CPU
 * runs, f32 and f64, all transpose cases, odd sizes, padded leading
 * dimensions, alpha/beta (beta = 0 over NaN), the epilogue, argument errors,
 * A packed and read in place, and bit-identical results for 1 and 2 threads
 * and for every cut of a team. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "core/team.h"
#include "kernels/kernels.h"

static const char *kernels[] = {"portable", "avx2", "avx512"};

static uint64_t rng_state = 42;
static double urand(void) { /* uniform [-1, 1) */
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0) * 2 - 1;
}

static double get(const void *p, nb_dtype dt, int64_t i) {
    return dt == NB_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}
static void set(void *p, nb_dtype dt, int64_t i, double v) {
    if (dt == NB_F32) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}

typedef struct gcase {
    int64_t M, N, K;
    bool ta, tb;
    int pad; /* extra elements per row of A, B and C */
    double alpha, beta;
    bool nan_c, bias, relu;
} gcase;

/* Runs one case with the current kernel; returns the number of bad elements. */
static int run_case(nb_dtype dt, const gcase *g) {
    const int64_t M = g->M, N = g->N, K = g->K;
    const int64_t ar = g->ta ? K : M, ac = g->ta ? M : K, br = g->tb ? N : K, bc = g->tb ? K : N;
    const int64_t lda = ac + g->pad, ldb = bc + g->pad, ldc = N + g->pad;
    const size_t es = nb_dtype_size(dt);
    void *A = malloc((size_t)(ar * lda) * es + 8), *B = malloc((size_t)(br * ldb) * es + 8);
    void *C = malloc((size_t)(M * ldc) * es + 8), *bias = malloc((size_t)N * es + 8);
    double *C0 = malloc((size_t)(M * ldc) * sizeof(double) + 8);
    for (int64_t i = 0; i < ar * lda; i++) set(A, dt, i, urand());
    for (int64_t i = 0; i < br * ldb; i++) set(B, dt, i, urand());
    for (int64_t i = 0; i < N; i++) set(bias, dt, i, urand());
    for (int64_t i = 0; i < M * ldc; i++) {
        set(C, dt, i, (g->nan_c && i % 3 == 0) ? NAN : urand());
        C0[i] = get(C, dt, i);
    }
    nb_epilogue ep = {.bias = g->bias ? bias : NULL, .relu = g->relu};
    nb_clear_error();
    nb_gemm_ex(NULL, dt, g->ta, g->tb, M, N, K, g->alpha, A, lda, B, ldb, g->beta, C, ldc, &ep);
    int bad = nb_errcode() != NB_OK;
    const double eps = dt == NB_F32 ? 1.2e-7 : 2.3e-16;
    for (int64_t i = 0; i < M && bad < 5; i++)
        for (int64_t j = 0; j < ldc; j++) {
            double got = get(C, dt, i * ldc + j);
            if (j >= N) { /* padding is never touched */
                if (!(got == C0[i * ldc + j] || (isnan(got) && isnan(C0[i * ldc + j])))) bad++;
                continue;
            }
            double s = 0, mag = 0;
            for (int64_t p = 0; p < K; p++) {
                double a = get(A, dt, g->ta ? p * lda + i : i * lda + p);
                double b = get(B, dt, g->tb ? j * ldb + p : p * ldb + j);
                s += a * b;
                mag += fabs(a * b);
            }
            double ref = g->alpha * s, refmag = fabs(g->alpha) * mag;
            if (g->beta != 0) {
                ref += g->beta * C0[i * ldc + j];
                refmag += fabs(g->beta * C0[i * ldc + j]);
            }
            if (g->bias) {
                ref += get(bias, dt, j);
                refmag += fabs(get(bias, dt, j));
            }
            if (g->relu && ref < 0) ref = 0;
            double tol = 4.0 * (double)(K + 3) * eps * refmag + 1e-30;
            if (!(fabs(got - ref) <= tol)) {
                if (bad == 0)
                    fprintf(stderr, "  %s %s M=%lld N=%lld K=%lld ta=%d tb=%d: C[%lld,%lld] = %.9g, want %.9g\n",
                            nb_gemm_kernel(), nb_dtype_name(dt), (long long)M, (long long)N, (long long)K, g->ta,
                            g->tb, (long long)i, (long long)j, got, ref);
                bad++;
            }
        }
    free(A), free(B), free(C), free(bias), free(C0);
    return bad;
}

static const int64_t shapes[][3] = {
    {1, 1, 1},     {3, 17, 33},  {17, 3, 100}, {33, 100, 3},  {100, 33, 17}, {8, 48, 256},
    {9, 49, 257},  {257, 65, 33}, {64, 257, 300}, {129, 10, 600}, {5, 1, 7},    {1, 100, 9},
    {9, 1100, 70}, /* wider than the kernels read A in place for: A packed */
};
#define NSHAPES (int)(sizeof shapes / sizeof shapes[0])

/* Every shape, transpose case and dtype with one kernel and one set of knobs. */
static void sweep(const char *kernel, int pad, double alpha, double beta, bool nan_c, bool bias, bool relu) {
    if (!nb_gemm_supported(kernel)) return;
    CHECK_OK(nb_gemm_force(kernel));
    for (int d = 0; d < 2; d++)
        for (int s = 0; s < NSHAPES; s++)
            for (int t = 0; t < 4; t++) {
                gcase g = {shapes[s][0], shapes[s][1], shapes[s][2], t & 1, (t >> 1) & 1, pad, alpha, beta,
                           nan_c, bias, relu};
                int bad = run_case(d ? NB_F64 : NB_F32, &g);
                CHECK_MSG(bad == 0, "%s %s M=%lld N=%lld K=%lld ta=%d tb=%d pad=%d alpha=%g beta=%g: %d bad",
                          kernel, d ? "f64" : "f32", (long long)g.M, (long long)g.N, (long long)g.K, g.ta, g.tb,
                          pad, alpha, beta, bad);
            }
    nb_gemm_force(NULL);
}

TEST(gemm_plain_every_kernel) {
    for (int k = 0; k < 3; k++) sweep(kernels[k], 0, 1, 0, false, false, false);
}

TEST(gemm_padded_alpha_beta) {
    for (int k = 0; k < 3; k++) {
        sweep(kernels[k], 5, -0.75, 0.5, false, false, false);
        sweep(kernels[k], 1, 2, 1, false, false, false);
    }
}

TEST(gemm_beta_zero_ignores_nan) {
    for (int k = 0; k < 3; k++) sweep(kernels[k], 3, 1.5, 0, true, false, false);
}

TEST(gemm_epilogue_bias_relu) {
    for (int k = 0; k < 3; k++) {
        sweep(kernels[k], 2, 1, 0, false, true, true);
        sweep(kernels[k], 0, 0.5, -1, false, true, false);
        sweep(kernels[k], 0, 1, 1, false, false, true);
    }
}

TEST(gemm_k_zero_and_alpha_zero) {
    float C[6] = {1, -2, NAN, 4, 5, -6}, bias[3] = {1, 1, 1};
    nb_epilogue ep = {.bias = bias, .relu = true};
    nb_gemm_ex(NULL, NB_F32, false, false, 2, 3, 0, 1, NULL, 1, NULL, 3, 2, C, 3, &ep);
    CHECK(nb_errcode() == NB_OK);
    CHECK(C[0] == 3 && C[1] == 0 && isnan(C[2]) && C[3] == 9 && C[4] == 11 && C[5] == 0);
    double A[4] = {1, 2, 3, 4}, B[4] = {1, 0, 0, 1}, D[4] = {NAN, NAN, NAN, NAN};
    nb_gemm(NB_F64, false, false, 2, 2, 2, 0, A, 2, B, 2, 0, D, 2);
    CHECK(D[0] == 0 && D[1] == 0 && D[2] == 0 && D[3] == 0);
}

TEST(gemm_argument_errors) {
    float A[16] = {0}, B[16] = {0}, C[16] = {7};
    CHECK_ERR(nb_gemm(NB_F32, false, false, -1, 2, 2, 1, A, 2, B, 2, 0, C, 2), NB_ESHAPE, "nb_gemm");
    CHECK_ERR(nb_gemm(NB_F32, false, false, 2, 2, 3, 1, A, 2, B, 2, 0, C, 2), NB_ESHAPE, "lda");
    CHECK_ERR(nb_gemm(NB_F32, true, false, 3, 2, 2, 1, A, 2, B, 2, 0, C, 2), NB_ESHAPE, "lda");
    CHECK_ERR(nb_gemm(NB_F32, false, true, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2), NB_ESHAPE, "ldb");
    CHECK_ERR(nb_gemm(NB_F32, false, false, 2, 3, 2, 1, A, 2, B, 3, 0, C, 2), NB_ESHAPE, "ldc");
    CHECK_ERR(nb_gemm(NB_F32, false, false, 2, 2, 2, 1, NULL, 2, B, 2, 0, C, 2), NB_EINVAL, "NULL");
    CHECK_ERR(nb_gemm((nb_dtype)7, false, false, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2), NB_EDTYPE, "dtype");
    CHECK(C[0] == 7);
    CHECK_ERR(nb_gemm_force("sse9"), NB_EINVAL, "unknown kernel");
    nb_clear_error();
    nb_gemm(NB_F32, false, false, 0, 2, 2, 1, NULL, 2, NULL, 2, 0, NULL, 2); /* empty: fine */
    CHECK(nb_errcode() == NB_OK);
    CHECK(strcmp(nb_gemm_kernel(), "") != 0);
}

/* The same product with 1 and 2 threads must match bit for bit. */
static void thread_case(nb_dtype dt, int64_t M, int64_t N, int64_t K, bool ta, bool tb) {
    const size_t es = nb_dtype_size(dt);
    void *A = malloc((size_t)(M * K) * es), *B = malloc((size_t)(K * N) * es);
    void *C1 = malloc((size_t)(M * N) * es), *C2 = malloc((size_t)(M * N) * es), *bias = malloc((size_t)N * es);
    for (int64_t i = 0; i < M * K; i++) set(A, dt, i, urand());
    for (int64_t i = 0; i < K * N; i++) set(B, dt, i, urand());
    for (int64_t i = 0; i < N; i++) set(bias, dt, i, urand());
    nb_epilogue ep = {.bias = bias, .relu = true};
    int saved = nb_get_threads();
    nb_set_threads(1);
    nb_gemm_ex(NULL, dt, ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C1, N, &ep);
    nb_set_threads(2);
    nb_gemm_ex(NULL, dt, ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C2, N, &ep);
    nb_set_threads(saved);
    CHECK_MSG(memcmp(C1, C2, (size_t)(M * N) * es) == 0, "%s %s %lldx%lldx%lld ta=%d tb=%d: 1 and 2 threads differ",
              nb_gemm_kernel(), nb_dtype_name(dt), (long long)M, (long long)N, (long long)K, ta, tb);
    free(A), free(B), free(C1), free(C2), free(bias);
}

TEST(gemm_threads_bit_identical) {
    SKIP_UNLESS_THREADS(2);
    for (int k = 0; k < 3; k++) {
        if (!nb_gemm_supported(kernels[k])) continue;
        CHECK_OK(nb_gemm_force(kernels[k]));
        for (int d = 0; d < 2; d++) {
            nb_dtype dt = d ? NB_F64 : NB_F32;
            thread_case(dt, 301, 263, 517, false, false); /* split along M, 3 K blocks */
            thread_case(dt, 40, 700, 300, true, false);   /* split along N */
            thread_case(dt, 128, 256, 784, false, true);
            thread_case(dt, 2000, 7, 300, true, true); /* computed as C^T */
            thread_case(dt, 40, 2000, 300, false, false); /* A packed on one thread, read in place on two */
            thread_case(dt, 40, 2000, 300, true, false);
        }
        nb_gemm_force(NULL);
    }
}

TEST(gemm_threads_setting) {
    int saved = nb_get_threads();
    nb_set_threads(1);
    CHECK(nb_get_threads() == 1);
    nb_set_threads(0);
    CHECK(nb_get_threads() >= 1);
    nb_set_threads(saved);
}

/* ---- a team of two: every cut gives the bits of one thread ---- */
#ifdef _OPENMP
#include <omp.h>

#include "core/team.h"

typedef struct team_case {
    nb_dtype dt;
    int64_t M, N, K;
    bool ta, tb;
    double alpha, beta;
    bool bias, relu;
} team_case;

/* C = the product with the given cut, computed by a team of two led by
 * thread 0 of an OpenMP region (or alone, when members is 1). */
static void team_gemm(const team_case *c, int members, nb_gemm_axis axis, const void *A, const void *B,
                      const void *bias, void *C) {
    nb_team tm = {0};
    nb_ctx *ctx = nb_ctx_new();
#pragma omp parallel num_threads(members)
    {
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        if (t > 0) nb__team_serve(&tm, t);
        else {
            nb__team_lead(&tm, n);
            nb__ctx_lead(ctx, &tm);
            nb_epilogue ep = {.bias = c->bias ? bias : NULL, .relu = c->relu};
            CHECK(nb__gemm(ctx, c->dt, c->ta, c->tb, c->M, c->N, c->K, c->alpha, A, c->ta ? c->M : c->K, B,
                           c->tb ? c->K : c->N, c->beta, C, c->N, &ep, axis) == NB_OK);
            nb__team_end(&tm);
        }
    }
    nb_ctx_free(ctx);
}

/* Every cut on a team of two gives one thread's bits for the same cut; the
 * M and N cuts, and a K cut at the blocking's boundary, those of the uncut
 * product; a K cut in halves (a one-block K) is within rounding of it. */
static void team_check(const team_case *c, bool k_exact) {
    const size_t es = nb_dtype_size(c->dt), cn = (size_t)(c->M * c->N);
    void *A = malloc((size_t)(c->M * c->K) * es), *B = malloc((size_t)(c->K * c->N) * es);
    void *bias = malloc((size_t)c->N * es), *C0 = malloc(cn * es), *C1 = malloc(cn * es), *C2 = malloc(cn * es);
    void *P = malloc(cn * es);
    for (int64_t i = 0; i < c->M * c->K; i++) set(A, c->dt, i, urand());
    for (int64_t i = 0; i < c->K * c->N; i++) set(B, c->dt, i, urand());
    for (int64_t i = 0; i < c->N; i++) set(bias, c->dt, i, i % 7 == 0 ? -0.0 : urand());
    for (size_t i = 0; i < cn; i++) set(C0, c->dt, i, c->beta == 0 && i % 5 == 0 ? NAN : urand());
    memcpy(P, C0, cn * es);
    team_gemm(c, 1, NB_SPLIT_AUTO, A, B, bias, P); /* the uncut product */
    static const char *names[] = {"auto", "M", "N", "K"};
    const double eps = c->dt == NB_F32 ? 1e-5 : 1e-13;
    for (int axis = NB_SPLIT_AUTO; axis <= NB_SPLIT_K; axis++) {
        memcpy(C1, C0, cn * es);
        memcpy(C2, C0, cn * es);
        team_gemm(c, 1, (nb_gemm_axis)axis, A, B, bias, C1);
        team_gemm(c, 2, (nb_gemm_axis)axis, A, B, bias, C2);
        CHECK_MSG(memcmp(C1, C2, cn * es) == 0,
                  "%s %s %lldx%lldx%lld ta=%d tb=%d alpha=%g beta=%g cut %s: a team of two differs from one thread",
                  nb_gemm_kernel(), nb_dtype_name(c->dt), (long long)c->M, (long long)c->N, (long long)c->K, c->ta,
                  c->tb, c->alpha, c->beta, names[axis]);
        int off = 0;
        for (size_t i = 0; i < cn; i++) {
            double u = get(C2, c->dt, i), v = get(P, c->dt, i);
            bool same = (axis != NB_SPLIT_K || k_exact) ? memcmp((char *)C2 + i * es, (char *)P + i * es, es) == 0
                                                         : (isnan(u) && isnan(v)) || fabs(u - v) <= eps * (1 + fabs(v));
            off += !same;
        }
        CHECK_MSG(off == 0, "%s %s %lldx%lldx%lld cut %s: %d elements off the uncut product", nb_gemm_kernel(),
                  nb_dtype_name(c->dt), (long long)c->M, (long long)c->N, (long long)c->K, names[axis], off);
    }
    free(A), free(B), free(bias), free(C0), free(C1), free(C2), free(P);
}

TEST(gemm_team_cuts_bit_identical) {
    for (int k = 0; k < 3; k++) {
        if (!nb_gemm_supported(kernels[k])) continue;
        CHECK_OK(nb_gemm_force(kernels[k]));
        for (int d = 0; d < 2; d++) {
            nb_dtype dt = d ? NB_F64 : NB_F32;
            /* K = 784 is two KC blocks for the AVX-512 kernels (the MLP's first layer),
             * 300 and 500 two for the others: the K cut runs where the blocking allows it */
            const int64_t shapes3[][3] = {{128, 256, 784}, {128, 256, 300}, {64, 100, 500}, {256, 784, 128},
                                          {128, 10, 256},  {33, 7, 1000},   {5, 300, 600}};
            for (int s = 0; s < 7; s++)
                for (int v = 0; v < 4; v++) {
                    team_case c = {dt, shapes3[s][0], shapes3[s][1], shapes3[s][2], v == 3, v == 2,
                                   v == 1 ? 0.5 : 1.0, v == 0 ? 0.0 : v == 1 ? 1.0 : 0.75, v != 2, v != 3};
                    /* the K cut is exact where the blocking has two blocks: K = 784 with the
                     * AVX-512 kernels (KC 512), 300 and 500 with the others (KC 256) */
                    bool avx512 = strcmp(kernels[k], "avx512") == 0;
                    int64_t K = c.K, kc = avx512 ? 512 : 256;
                    team_check(&c, !(K <= kc));
                }
        }
        nb_gemm_force(NULL);
    }
}

typedef struct count_job {
    _Atomic int hits[4];
} count_job;

static void count_part(void *arg, int t, int n) {
    count_job *j = arg;
    (void)n;
    atomic_fetch_add(&j->hits[t], 1);
}

TEST(team_runs_every_member_once_per_job) {
    for (int members = 1; members <= 3; members++) {
        count_job j;
        memset(&j, 0, sizeof j);
        nb_team tm = {0};
        nb_ctx *ctx = nb_ctx_new();
        int got = 0;
        bool led = false, after = true;
#pragma omp parallel num_threads(members)
        {
            int t = omp_get_thread_num(), n = omp_get_num_threads();
            if (t > 0) nb__team_serve(&tm, t);
            else {
                got = n;
                nb__team_lead(&tm, n);
                nb__ctx_lead(ctx, &tm);
                led = nb__ctx_team(ctx) == &tm;
                for (int r = 0; r < 100; r++) nb__team_run(&tm, count_part, &j);
                nb__team_end(&tm);
                nb__ctx_lead(ctx, NULL);
                after = nb__ctx_team(ctx) == NULL;
            }
        }
        CHECK(led && after);
        nb_ctx_free(ctx);
        for (int t = 0; t < got; t++) CHECK_MSG(atomic_load(&j.hits[t]) == 100, "member %d of %d ran %d jobs", t, got,
                                                atomic_load(&j.hits[t]));
    }
}
#endif

/* The pacing rule itself, on made-up times: a window (20 ms) that waited
 * longer than it worked starts a solo period, a period lost again right
 * after doubles, a won window resets it; one member descheduled for a few
 * milliseconds in an otherwise quiet window is not a lost core. */
static bool pace_window(nb_pace *p, double own, double wait) { /* jobs until the window closes */
    for (int i = 0; i < 10000; i++)
        if (nb__pace_note(p, own, wait) || (p->own == 0 && p->wait == 0)) return p->solo_until != 0;
    return false;
}

TEST(pace_goes_solo_and_backs_off) {
    nb_pace p = {0};
    CHECK(!pace_window(&p, 4e-5, 2e-6) && p.solo_until == 0); /* quiet: 5% */
    for (int i = 0; i < 400; i++) CHECK(!nb__pace_note(&p, 4e-5, i == 200 ? 6e-3 : 2e-6)); /* a 6 ms hiccup */
    CHECK_MSG(p.solo_until == 0, "a hiccup of 6 ms in 22 ms made the window lost");
    CHECK(!pace_window(&p, 4e-5, 3.5e-5)); /* a member at 53% of the leader's speed: the team still gains */
    CHECK_MSG(pace_window(&p, 4e-5, 5e-5) && p.solo_s == 0.5, "a member at 44%%: solo for %g s", p.solo_s);
    CHECK(nb__pace_solo(&p, p.solo_until - 0.1) && !nb__pace_solo(&p, p.solo_until + 0.1) && p.tried);
    for (int i = 0; i < 6; i++) CHECK(!nb__pace_note(&p, 4e-5, 3e-4)); /* a trial lost: ended after 2 ms */
    CHECK_MSG(nb__pace_note(&p, 4e-5, 3e-4) && p.solo_s == 1.0, "lost again at once: %g s, not 1", p.solo_s);
    for (int k = 0; k < 6; k++) {
        CHECK(!nb__pace_solo(&p, p.solo_until + 0.1));
        pace_window(&p, 4e-5, 3e-4);
    }
    CHECK_MSG(p.solo_s == 8.0, "the period stops at 8 s, not %g", p.solo_s);
    CHECK(!nb__pace_solo(&p, p.solo_until + 0.1));
    CHECK(!pace_window(&p, 4e-5, 2e-6) && p.solo_until == 0 && !p.tried); /* the trial is won */
    CHECK_MSG(pace_window(&p, 4e-5, 3e-4) && p.solo_s == 0.5,
              "after a won window the period starts again at 0.5 s, not %g", p.solo_s);
}

#ifdef _OPENMP
/* A member whose core is taken (here: its shares sleep) makes the leader run
 * each job alone for a while; each share is still done once per job. */
typedef struct late_job {
    _Atomic int hits[2];
    bool slow;
} late_job;

static void late_part(void *arg, int t, int n) {
    late_job *j = arg;
    for (int s = t; s < 2; s += n) atomic_fetch_add(&j->hits[s], 1); /* n == 1: the whole job here */
    if (t == 1 && j->slow && nb__thread_index() == 1) {
        struct timespec ts = {0, 200000}; /* 0.2 ms: a descheduled thread */
        nanosleep(&ts, NULL);
    }
}

TEST(team_goes_solo_when_a_member_is_late) {
    for (int slow = 0; slow < 2; slow++) {
        late_job j = {.slow = slow};
        nb_team tm = {0};
        long solo = 0;
#pragma omp parallel num_threads(2)
        {
            int t = omp_get_thread_num(), n = omp_get_num_threads();
            if (t > 0) nb__team_serve(&tm, t);
            else {
                nb__team_lead(&tm, n);
                tm.adaptive = true;
                for (int r = 0; r < 400; r++) nb__team_run(&tm, late_part, &j);
                solo = tm.solo_jobs;
                nb__team_end(&tm);
            }
        }
        CHECK_MSG(atomic_load(&j.hits[0]) == 400 && atomic_load(&j.hits[1]) == 400, "slow=%d: shares ran %d and %d times",
                  slow, atomic_load(&j.hits[0]), atomic_load(&j.hits[1]));
        /* the first window (20 ms: about 80 late jobs) is lost, the rest run solo */
        if (slow) CHECK_MSG(solo > 250, "a late member: only %ld of 400 jobs ran solo", solo);
    }
}

static double cpu_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A solo job: a millisecond of the leader's arithmetic. */
static void busy_part(void *arg, int t, int n) {
    (void)t, (void)n;
    volatile double *x = arg;
    const double end = cpu_s(CLOCK_THREAD_CPUTIME_ID) + 1e-3;
    while (cpu_s(CLOCK_THREAD_CPUTIME_ID) < end) *x = *x * 0.999 + 1;
}

/* While the leader runs solo the member sleeps: it burns no core that the
 * leader or another process could use (a yielding member took a third of
 * two cores beside a busy process). */
TEST(team_members_sleep_while_solo) {
    late_job j = {.slow = true};
    nb_team tm = {0};
    double leader = 0, process = 0, x = 0;
    long solo = 0;
#pragma omp parallel num_threads(2)
    {
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        if (t > 0) nb__team_serve(&tm, t);
        else {
            nb__team_lead(&tm, n);
            tm.adaptive = true;
            while (tm.solo_jobs == 0) nb__team_run(&tm, late_part, &j);
            const double l0 = cpu_s(CLOCK_THREAD_CPUTIME_ID), p0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
            for (int r = 0; r < 50; r++) nb__team_run(&tm, busy_part, &x);
            leader = cpu_s(CLOCK_THREAD_CPUTIME_ID) - l0, process = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
            solo = tm.solo_jobs;
            nb__team_end(&tm);
        }
    }
    if (omp_get_max_threads() < 2 && solo == 0) {
        test_skip("no second OpenMP thread");
        return;
    }
    CHECK_MSG(solo > 1, "the team never ran solo (%ld jobs)", solo);
    CHECK_MSG(process - leader < 0.25 * leader, "while solo the member used %.1f ms of CPU beside the leader's %.1f ms",
              1e3 * (process - leader), 1e3 * leader);
}
#else
TEST(team_goes_solo_when_a_member_is_late) { test_skip("needs a team of two OpenMP threads"); }
TEST(team_members_sleep_while_solo) { test_skip("needs a team of two OpenMP threads"); }
#endif
