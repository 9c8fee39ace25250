/* The peer for bench/gemm.sh: OpenBLAS sgemm/dgemm through row-major CBLAS,
 * timed exactly as `nabla bench gemm` times nb_gemm (same matrices, same
 * sampling), so the two figures compare like for like.
 *
 *   gemm_openblas M N K ta tb f32|f64 [reps] [min_seconds]
 *
 * Threads come from OPENBLAS_NUM_THREADS; set OPENBLAS_CORETYPE=SkylakeX on
 * CPUs that OpenBLAS 0.3.21 misdetects. The last line is "best X GFLOP/s". */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Uniform [-1, 1) from the same LCG as nabla bench gemm. */
static void fill(void *p, int f64, size_t n, unsigned long long seed) {
    unsigned long long s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v = (double)(s >> 11) * (1.0 / 9007199254740992.0) * 2 - 1;
        if (f64) ((double *)p)[i] = v;
        else ((float *)p)[i] = (float)v;
    }
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: gemm_openblas M N K ta tb f32|f64 [reps] [min_seconds]\n");
        return 2;
    }
    int M = atoi(argv[1]), N = atoi(argv[2]), K = atoi(argv[3]);
    int ta = atoi(argv[4]), tb = atoi(argv[5]), f64 = strcmp(argv[6], "f64") == 0;
    int reps = argc > 7 ? atoi(argv[7]) : 5;
    double min_time = argc > 8 ? atof(argv[8]) : 0.1;
    if (M < 1 || N < 1 || K < 1 || reps < 1 || reps > 1000) {
        fprintf(stderr, "gemm_openblas: bad arguments\n");
        return 2;
    }
    size_t es = f64 ? 8 : 4;
    void *A = aligned_alloc(64, ((size_t)M * K * es + 63) / 64 * 64);
    void *B = aligned_alloc(64, ((size_t)K * N * es + 63) / 64 * 64);
    void *C = aligned_alloc(64, ((size_t)M * N * es + 63) / 64 * 64);
    double *t = malloc((size_t)reps * sizeof *t);
    if (!A || !B || !C || !t) {
        fprintf(stderr, "gemm_openblas: out of memory\n");
        return 1;
    }
    fill(A, f64, (size_t)M * K, 1);
    fill(B, f64, (size_t)K * N, 2);
    fill(C, f64, (size_t)M * N, 3);
    int lda = ta ? M : K, ldb = tb ? K : N;
    enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
#define CALL()                                                                                              \
    do {                                                                                                    \
        if (f64) cblas_dgemm(CblasRowMajor, opa, opb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, N);             \
        else cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);               \
    } while (0)
    CALL();
    double t0 = now();
    long trial = 0;
    do {
        CALL();
        trial++;
    } while (now() - t0 < 0.02);
    long calls = (long)(min_time / ((now() - t0) / (double)trial)) + 1;
    for (int r = 0; r < reps; r++) {
        double a = now();
        for (long i = 0; i < calls; i++) CALL();
        t[r] = (now() - a) / (double)calls;
    }
    qsort(t, (size_t)reps, sizeof *t, by_value);
    double flop = 2.0 * M * N * K, med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    printf("openblas %s %dx%d @ %dx%d (ta=%d tb=%d) core=%s threads=%d: %d samples x %ld calls\n",
           f64 ? "f64" : "f32", M, K, K, N, ta, tb, openblas_get_corename(), openblas_get_num_threads(), reps,
           calls);
    printf("time: best %.3f us, median %.3f us\n", t[0] * 1e6, med * 1e6);
    printf("median %.1f GFLOP/s\n", flop / med / 1e9);
    printf("best %.1f GFLOP/s\n", flop / t[0] / 1e9);
    free(A), free(B), free(C), free(t);
    return 0;
}
