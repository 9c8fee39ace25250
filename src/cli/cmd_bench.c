/* nabla bench: GEMM throughput and the machine's FMA peak.
 *
 *   nabla bench gemm --m M --n N --k K [--threads T] [--dtype f32|f64] [--ta] [--tb]
 *                    [--reps R] [--kernel auto|avx512|avx2|portable] [--min-time S]
 *   nabla bench peak [--threads T]
 *   nabla bench normals [--n N] [--threads T] [--check]
 *
 * Each GEMM sample repeats the call until it has run --min-time seconds, so
 * tiny products are timed over many calls; the last line is the best sample. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli/cli.h"
#include "kernels/kernels.h"
#include "kernels/peak.h"
#include "nabla/rng.h"

/* Wall time; NABLA_BENCH_CPUTIME=1 (a tuning aid for 1-thread runs on a busy
 * machine) counts this process's CPU time instead. */
static double now(void) {
    static int clock_id = -1;
    if (clock_id < 0) {
        const char *e = getenv("NABLA_BENCH_CPUTIME");
        clock_id = e && *e == '1' ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
    }
    struct timespec t;
    clock_gettime((clockid_t)clock_id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Uniform values in [-1, 1) from a fixed LCG: same matrices every run. */
static void fill(void *p, nb_dtype dt, size_t n, uint64_t seed) {
    uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v = (double)(s >> 11) * (1.0 / 9007199254740992.0) * 2 - 1;
        if (dt == NB_F32) ((float *)p)[i] = (float)v;
        else ((double *)p)[i] = v;
    }
}

static void *alloc64(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

static int bench_gemm(int argc, char **argv) {
    static const cli_cmd cmd = {"bench gemm", "--m M --n N --k K [options]",
                                "Times C = op(A) op(B) (row-major, alpha 1, beta 0) with nb_gemm and prints\n"
                                "the best and median GFLOP/s over --reps samples; the last line is the best."};
    long m = 0, n = 0, k = 0, threads = 0, reps = 5;
    double min_time = 0.1;
    const char *dtype = "f32", *kernel = "auto";
    bool ta = false, tb = false;
    cli_opt opts[] = {
        {"m", CLI_INT, &m, "M", "rows of op(A) and C", false},
        {"n", CLI_INT, &n, "N", "columns of op(B) and C", false},
        {"k", CLI_INT, &k, "K", "inner dimension", false},
        {"threads", CLI_INT, &threads, "T", "threads (default: all cores)", false},
        {"dtype", CLI_STR, &dtype, "f32|f64", "element type (default f32)", false},
        {"ta", CLI_FLAG, &ta, NULL, "A is stored K x M (op(A) = A^T)", false},
        {"tb", CLI_FLAG, &tb, NULL, "B is stored N x K (op(B) = B^T)", false},
        {"reps", CLI_INT, &reps, "R", "timed samples (default 5)", false},
        {"min-time", CLI_DOUBLE, &min_time, "S", "seconds per sample (default 0.1)", false},
        {"kernel", CLI_STR, &kernel, "NAME", "auto, avx512, avx2 or portable (default auto)", false},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    int rc = cli_parse(&cmd, argc, argv, opts, nopts);
    if (rc == CLI_HELP) return 0;
    if (rc != CLI_OK) return rc;
    const long lim = 1L << 16;
    if (!opts[0].seen || !opts[1].seen || !opts[2].seen)
        return cli_error(cmd.name, "--m, --n and --k are required (see nabla bench gemm --help)");
    if (m < 1 || n < 1 || k < 1 || m > lim || n > lim || k > lim)
        return cli_error(cmd.name, "--m, --n, --k must be in 1..%ld, got %ld, %ld, %ld", lim, m, n, k);
    if ((double)m * (double)k + (double)k * (double)n + (double)m * (double)n > 1.0 * (1L << 30))
        return cli_error(cmd.name, "matrices too large (more than 2^30 elements in all)");
    if (threads < 0 || threads > 1024) return cli_error(cmd.name, "--threads must be in 0..1024, got %ld", threads);
    if (reps < 1 || reps > 1000) return cli_error(cmd.name, "--reps must be in 1..1000, got %ld", reps);
    if (!(min_time >= 0 && min_time <= 60)) return cli_error(cmd.name, "--min-time must be in 0..60 seconds");
    nb_dtype dt;
    if (strcmp(dtype, "f32") == 0) dt = NB_F32;
    else if (strcmp(dtype, "f64") == 0) dt = NB_F64;
    else return cli_error(cmd.name, "--dtype must be f32 or f64, got '%s'", dtype);
    if (nb_gemm_force(kernel) != NB_OK) return cli_lib_error(cmd.name);
    if (threads > 0) nb_set_threads((int)threads);
    /* A tuning aid, not an interface: NABLA_GEMM_BLOCKING=MC,KC,NC. */
    const char *blk = getenv("NABLA_GEMM_BLOCKING");
    nb_ctx *ctx = nb_ctx_new(); /* the products' packing buffers, kept across calls */
    if (!ctx) return cli_lib_error(cmd.name);
    if (blk && *blk) { /* parsed strictly: sscanf's %d has no defined result past INT_MAX */
        long v[3] = {0, 0, 0};
        int nv = 0;
        bool ok = true;
        for (const char *p = blk;;) {
            char *end;
            errno = 0;
            long x = strtol(p, &end, 10);
            if (end == p || errno || x < 0 || x > INT_MAX || nv == 3) {
                ok = false;
                break;
            }
            v[nv++] = x;
            if (!*end) break;
            if (*end != ',') {
                ok = false;
                break;
            }
            p = end + 1;
        }
        if (!ok || nb__gemm_set_blocking(ctx, dt, (int)v[0], (int)v[1], (int)v[2])) {
            nb_ctx_free(ctx);
            if (!ok) return cli_error(cmd.name, "NABLA_GEMM_BLOCKING='%s': expected MC[,KC[,NC]] (0 keeps the default)", blk);
            return cli_error(cmd.name, "NABLA_GEMM_BLOCKING='%s': %s", blk, nb_errmsg());
        }
    }

    size_t es = nb_dtype_size(dt);
    void *A = alloc64((size_t)(m * k) * es), *B = alloc64((size_t)(k * n) * es), *C = alloc64((size_t)(m * n) * es);
    double *samples = malloc((size_t)reps * sizeof *samples);
    if (!A || !B || !C || !samples) {
        free(A), free(B), free(C), free(samples), nb_ctx_free(ctx);
        return cli_error(cmd.name, "out of memory");
    }
    fill(A, dt, (size_t)(m * k), 1);
    fill(B, dt, (size_t)(k * n), 2);
    fill(C, dt, (size_t)(m * n), 3);
    int64_t lda = ta ? m : k, ldb = tb ? k : n;
#define CALL() nb_gemm_ex(ctx, dt, ta, tb, m, n, k, 1.0, A, lda, B, ldb, 0.0, C, n, NULL)
    if (CALL() != NB_OK) {
        free(A), free(B), free(C), free(samples), nb_ctx_free(ctx);
        return cli_lib_error(cmd.name);
    }
    /* Calls per sample from a short trial, so each sample lasts ~min_time. */
    double t0 = now();
    long trial = 0;
    do {
        CALL();
        trial++;
    } while (now() - t0 < 0.02);
    double per_call = (now() - t0) / (double)trial;
    long calls = (long)(min_time / per_call) + 1;
    for (long r = 0; r < reps; r++) {
        double a = now();
        for (long i = 0; i < calls; i++) CALL();
        samples[r] = (now() - a) / (double)calls;
    }
#undef CALL
    qsort(samples, (size_t)reps, sizeof *samples, cmp_double);
    double flop = 2.0 * (double)m * (double)n * (double)k;
    double med = reps % 2 ? samples[reps / 2] : 0.5 * (samples[reps / 2 - 1] + samples[reps / 2]);
    printf("gemm %s %ldx%ld @ %ldx%ld (ta=%d tb=%d) kernel=%s threads=%d: %ld samples x %ld calls\n",
           nb_dtype_name(dt), m, k, k, n, ta, tb, nb_gemm_kernel(), nb_get_threads(), reps, calls);
    printf("time: best %.3f us, median %.3f us\n", samples[0] * 1e6, med * 1e6);
    printf("median %.1f GFLOP/s\n", flop / med / 1e9);
    printf("best %.1f GFLOP/s\n", flop / samples[0] / 1e9);
    free(A), free(B), free(C), free(samples), nb_ctx_free(ctx);
    return 0;
}

/* Best of 3 runs of `iters` rounds of `chains` FMA chains on `nt` threads. */
static double peak_run(double (*f)(bool, long), bool f64, int lanes, int chains, int nt, long iters) {
    double best = 0;
    volatile double sink = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = now();
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
        {
            double v = f(f64, iters);
#ifdef _OPENMP
#pragma omp critical
#endif
            sink = sink + v;
        }
        double gf = (double)nt * (double)iters * chains * lanes * 2.0 / (now() - t0) / 1e9;
        if (gf > best) best = gf;
    }
    (void)sink;
    return best;
}

static int bench_peak(int argc, char **argv) {
    static const cli_cmd cmd = {"bench peak", "[--threads T] [--iters N]",
                                "Measures the FMA peak: independent FMA chains in registers per thread (24\n"
                                "with AVX-512, 12 with AVX2: more than latency x pipes on any core), fp32\n"
                                "and fp64, best of 3; 1 thread and T (default: all cores)."};
    long threads = 0, iters = 50000000;
    cli_opt opts[] = {
        {"threads", CLI_INT, &threads, "T", "threads besides 1 (default: all cores)", false},
        {"iters", CLI_INT, &iters, "N", "rounds of one FMA per chain, per thread (default 5e7)", false},
    };
    int rc = cli_parse(&cmd, argc, argv, opts, 2);
    if (rc == CLI_HELP) return 0;
    if (rc != CLI_OK) return rc;
    if (threads < 0 || threads > 1024) return cli_error(cmd.name, "--threads must be in 0..1024, got %ld", threads);
    if (iters < 1 || iters > 100000000000L) return cli_error(cmd.name, "--iters must be in 1..1e11, got %ld", iters);
    int maxt = 1;
#ifdef _OPENMP
    maxt = threads > 0 ? (int)threads : omp_get_num_procs();
#endif
    struct {
        const char *name, *kernel;
        double (*f)(bool, long);
        bool f64;
        int lanes, chains;
    } ks[] = {
        {"avx2 fp64", "avx2", nb_peak_chains_avx2, true, 4, NB_PEAK_CHAINS_AVX2},
        {"avx2 fp32", "avx2", nb_peak_chains_avx2, false, 8, NB_PEAK_CHAINS_AVX2},
        {"avx512 fp64", "avx512", nb_peak_chains_avx512, true, 8, NB_PEAK_CHAINS_AVX512},
        {"avx512 fp32", "avx512", nb_peak_chains_avx512, false, 16, NB_PEAK_CHAINS_AVX512},
    };
    int printed = 0;
    for (int i = 0; i < 4; i++) {
        if (!nb_gemm_supported(ks[i].kernel)) continue;
        int counts[2] = {1, maxt};
        for (int c = 0; c < (maxt > 1 ? 2 : 1); c++) {
            double g = peak_run(ks[i].f, ks[i].f64, ks[i].lanes, ks[i].chains, counts[c], iters);
            printf("%-12s threads=%d %8.1f GFLOP/s\n", ks[i].name, counts[c], g);
            fflush(stdout);
            printed++;
        }
    }
    if (!printed) return cli_error(cmd.name, "this CPU has neither AVX2 nor AVX-512");
    return 0;
}

/* ---- normals: the samplers' rates, and a large-sample check ---- */

/* The Kolmogorov-Smirnov distance at the edges of `bins` bins over [-7, 7]
 * (a bin moves the normal CDF by < 3e-6 at 2^21 bins: far below the 0.1%
 * critical value 1.95/sqrt(n) = 2e-4 at n = 10^8), and the first four
 * moments' deviations in standard errors. Returns whether all pass. */
static bool normals_check(const char *what, const uint32_t *hist, int bins, const double mom[4], double n) {
    double d = 0, cum = 0, w = 14.0 / bins;
    for (int b = 0; b < bins; b++) {
        cum += hist[b];
        double F = 0.5 * erfc(-(-7 + (b + 1) * w) / sqrt(2.0));
        d = fmax(d, fabs(cum / n - F));
    }
    static const double want[4] = {0, 1, 0, 3}, var[4] = {1, 2, 15, 96};
    double z[4], worst = 0;
    for (int k = 0; k < 4; k++) z[k] = (mom[k] / n - want[k]) / sqrt(var[k] / n), worst = fmax(worst, fabs(z[k]));
    double crit = 1.95 / sqrt(n);
    bool ok = d < crit && worst < 5;
    printf("%s: %.0f draws: KS distance %.2e (0.1%% critical value %.2e); moments 1-4 off by %.2f %.2f %.2f %.2f "
           "standard errors (limit 5): %s\n",
           what, n, d, crit, z[0], z[1], z[2], z[3], ok ? "pass" : "FAIL");
    return ok;
}

static void normals_tally(const double *v, int64_t m, uint32_t *hist, int bins, double mom[4]) {
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (int64_t i = 0; i < m; i++) {
        double x = v[i], x2 = x * x;
        s1 += x, s2 += x2, s3 += x2 * x, s4 += x2 * x2;
        int b = (int)floor((x + 7) / 14 * bins);
        hist[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
    }
    mom[0] += s1, mom[1] += s2, mom[2] += s3, mom[3] += s4;
}

static int bench_normals(int argc, char **argv) {
    static const cli_cmd cmd = {"bench normals", "[--n N] [--threads T] [--check]",
                                "Draws per second of the normal samplers: nb_rng_normal one at a time,\n"
                                "nb_rng_normals (one stream, the same bits), nb_rng_normals8 (eight streams\n"
                                "side by side) on 1 and T threads. --check: KS and moments of n draws of both\n"
                                "bulk samplers (bench/normals.sh runs it at 10^8); exit 2 when one fails."};
    long n = 20000000, threads = 0;
    bool check = false;
    cli_opt opts[] = {
        {"n", CLI_INT, &n, "N", "draws per measurement (default 2e7)", false},
        {"threads", CLI_INT, &threads, "T", "threads besides 1 (default: all cores)", false},
        {"check", CLI_FLAG, &check, NULL, "test the distribution of n draws", false},
    };
    int rc = cli_parse(&cmd, argc, argv, opts, 3);
    if (rc == CLI_HELP) return 0;
    if (rc != CLI_OK) return rc;
    if (n < 8 || n > 10000000000L) return cli_error(cmd.name, "--n must be in 8..1e10, got %ld", n);
    if (threads < 0 || threads > 1024) return cli_error(cmd.name, "--threads must be in 0..1024, got %ld", threads);
    int maxt = 1;
#ifdef _OPENMP
    maxt = threads > 0 ? (int)threads : omp_get_num_procs();
#endif
    enum { CHUNK = 1 << 16 }; /* draws per call: in cache, as the lab uses them */
    double *buf = malloc((size_t)CHUNK * (size_t)(maxt > 1 ? maxt : 1) * sizeof *buf);
    if (!buf) return cli_error(cmd.name, "out of memory");
    nb_rng g;
    nb_rng_seed(&g, 1);
    double t0 = now(), sink = 0;
    for (long i = 0; i < n; i++) sink += nb_rng_normal(&g);
    double ts = now() - t0;
    t0 = now();
    for (long i = 0; i < n; i += CHUNK) nb_rng_normals(&g, CHUNK, buf), sink += buf[0];
    double tb = now() - t0;
    printf("nb_rng_normal (scalar)      threads=1 %8.1f M draws/s\n", (double)n / ts / 1e6);
    printf("nb_rng_normals (one stream) threads=1 %8.1f M draws/s\n", (double)((n + CHUNK - 1) / CHUNK * CHUNK) / tb / 1e6);
    int counts[2] = {1, maxt};
    for (int c = 0; c < (maxt > 1 ? 2 : 1); c++) {
        int nt = counts[c];
        long per = (n / nt + CHUNK - 1) / CHUNK * CHUNK;
        double best = 0;
        for (int r = 0; r < 3; r++) {
            t0 = now();
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
            {
                int tid = 0;
#ifdef _OPENMP
                tid = omp_get_thread_num();
#endif
                nb_rng s8[8];
                for (int l = 0; l < 8; l++) nb_rng_stream(&s8[l], 7, (uint64_t)(8 * tid + l));
                for (long i = 0; i < per; i += CHUNK) nb_rng_normals8(s8, CHUNK / 8, buf + (size_t)tid * CHUNK);
            }
            double rate = (double)per * nt / (now() - t0);
            if (rate > best) best = rate;
        }
        printf("nb_rng_normals8 (8 streams) threads=%d %8.1f M draws/s\n", nt, best / 1e6);
        fflush(stdout);
    }
    int status = 0;
    if (check) {
        enum { BINS = 1 << 21 };
        uint32_t *hist = calloc(BINS, sizeof *hist);
        if (!hist) {
            free(buf);
            return cli_error(cmd.name, "out of memory");
        }
        for (int path = 0; path < 2 && !status; path++) {
            double mom[4] = {0, 0, 0, 0};
            memset(hist, 0, BINS * sizeof *hist);
            nb_rng s8[8];
            for (int l = 0; l < 8; l++) nb_rng_stream(&s8[l], 2026, (uint64_t)l);
            nb_rng_seed(&g, 2026);
            long done = 0;
            while (done < n) {
                long m = n - done < CHUNK ? (n - done) / 8 * 8 : CHUNK;
                if (m == 0) break;
                if (path == 0) nb_rng_normals8(s8, m / 8, buf);
                else nb_rng_normals(&g, m, buf);
                normals_tally(buf, m, hist, BINS, mom);
                done += m;
            }
            if (!normals_check(path == 0 ? "nb_rng_normals8" : "nb_rng_normals", hist, BINS, mom, (double)done))
                status = cli_error(cmd.name, "%s failed its distribution check (see above)",
                                   path == 0 ? "nb_rng_normals8" : "nb_rng_normals");
        }
        free(hist);
    }
    free(buf);
    if (sink == 1.2345) puts(""); /* keeps the scalar loop */
    return status;
}

int cmd_bench(int argc, char **argv) {
    static const char *usage = "usage: nabla bench gemm|peak|normals [options]   (nabla bench gemm --help)\n";
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_ERR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("%s\n  gemm     GFLOP/s of nb_gemm on one shape\n  peak     the machine's FMA peak\n"
               "  normals  draws/s of the normal samplers (and --check: their distribution)\n",
               usage);
        return 0;
    }
    if (strcmp(argv[1], "gemm") == 0) return bench_gemm(argc - 1, argv + 1);
    if (strcmp(argv[1], "peak") == 0) return bench_peak(argc - 1, argv + 1);
    if (strcmp(argv[1], "normals") == 0) return bench_normals(argc - 1, argv + 1);
    return cli_error("bench", "unknown benchmark '%s' (gemm, peak or normals)", argv[1]);
}
