/* The page's C API run natively: what the browser suite compares the page's
 * wasm results with, bit for bit.
 *   web_native jac WHICH D N A1,A2,... X1,... V1,...
 *   web_native bench-mc   (the native peer of the page's Monte Carlo benchmark)
 *   web_native play BLOCK STEPS CHUNK [AT BLOCK2]   (the playground, below)
 * prints {"shapeH":[...],"JH":[...],"shapeT":[...],"JT":[...]} with %.17g,
 * which reads back to the same doubles. The GEMM is forced to the portable
 * kernel, whose sums the wasm kernels reproduce bit for bit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nabla/base.h"
#include "nabla/gemm.h"
#include "kernels/kernels.h"
#include "nabla_web.h"

static int parse(const char *s, double *v, int n) {
    char *end;
    for (int i = 0; i < n; i++) {
        v[i] = strtod(s, &end);
        if (end == s) return -1;
        s = *end == ',' ? end + 1 : end;
    }
    return *s ? -1 : 0;
}

static void print_arr(const char *name, const double *v, int n, bool last) {
    printf("\"%s\":[", name);
    for (int i = 0; i < n; i++) printf("%s%.17g", i ? "," : "", v[i]);
    printf("]%s", last ? "" : ",");
}

/* Median ms of one 1000-trial Monte Carlo point (n 100, d 20, ntest 200),
 * what the page's benchmark times in wasm. */
static int bench_mc(void) {
    const double p[NBW_BV_LEN] = {100, 20, 200, 0, 1}, lam = 1;
    double out[4], ms[15];
    nb_set_threads(1);
    for (int r = 0; r < 15; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (nbw_bv_mc(p, 1, &lam, 1000, (double)(r + 1), out, NULL)) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) * 1e-6;
    }
    for (int i = 1; i < 15; i++)
        for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
            double t = ms[j];
            ms[j] = ms[j - 1], ms[j - 1] = t;
        }
    printf("%.4f\n", ms[7]);
    return 0;
}

/* The playground from BLOCK (NBW_P_LEN numbers, "nan" for a default knob):
 * STEPS steps in runs of CHUNK, each run followed by an evaluation, and the
 * block BLOCK2 set after step AT (a multiple of CHUNK). Prints the points,
 * labels, every step's minibatch loss, each evaluation (step, train loss,
 * train accuracy, test loss, test accuracy), the final info, and an 8 x 8
 * map of the probability and of the hidden units on [-6, 6]². */
static int play(int argc, char **argv) {
    double p[NBW_P_LEN], p2[NBW_P_LEN];
    int steps = atoi(argv[3]), chunk = atoi(argv[4]), at = argc == 7 ? atoi(argv[5]) : -1;
    if (parse(argv[2], p, NBW_P_LEN) || (argc == 7 && parse(argv[6], p2, NBW_P_LEN)) || steps < 0 || chunk < 1 ||
        (at >= 0 && at % chunk))
        return fprintf(stderr, "web_native: bad play arguments\n"), 2;
    if (nbw_play_new(p)) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
    const double *info = nbw_play_info();
    int n = (int)(info[NBW_PI_NTRAIN] + info[NBW_PI_NTEST]), nunits = (int)(p[NBW_P_DEPTH] * p[NBW_P_WIDTH]);
    double *x = malloc(sizeof(double) * (size_t)(2 * n)), *y = malloc(sizeof(double) * (size_t)n);
    double *loss = malloc(sizeof(double) * (size_t)(steps + 1)), *ev = malloc(sizeof(double) * (size_t)(5 * (steps / chunk + 2)));
    double prob[64], *units = malloc(sizeof(double) * (size_t)(64 * nunits));
    if (!x || !y || !loss || !ev || !units) return fprintf(stderr, "web_native: out of memory\n"), 1;
    for (int i = 0; i < 2 * n; i++) x[i] = nbw_play_x()[i];
    for (int i = 0; i < n; i++) y[i] = nbw_play_y()[i];
    int nev = 0;
    for (int done = 0;; done += chunk) {
        double *e = ev + 5 * nev++;
        e[0] = info[NBW_PI_STEP], e[1] = info[NBW_PI_TRAIN_LOSS], e[2] = info[NBW_PI_TRAIN_ACC];
        e[3] = info[NBW_PI_TEST_LOSS], e[4] = info[NBW_PI_TEST_ACC];
        if (done >= steps) break;
        if (done == at && nbw_play_set(p2)) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
        int k = steps - done < chunk ? steps - done : chunk;
        if (nbw_play_run(k) || nbw_play_eval()) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
        memcpy(loss + done, nbw_play_losses(), sizeof(double) * (size_t)k);
    }
    if (nbw_play_map(8, 8, -6, 6, prob, units)) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
    printf("{");
    print_arr("x", x, 2 * n, false);
    print_arr("y", y, n, false);
    print_arr("loss", loss, steps, false);
    print_arr("evals", ev, 5 * nev, false);
    print_arr("info", info, NBW_PI_LEN, false);
    print_arr("prob", prob, 64, false);
    print_arr("units", units, 64 * nunits, true);
    printf("}\n");
    free(x), free(y), free(loss), free(ev), free(units);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "bench-mc") == 0) return bench_mc();
    /* The portable GEMM sums as the wasm kernels do (no FMA, the same order);
     * AVX2/AVX-512 FMA would differ in the last bit. The f32 tanh, sigmoid and
     * exp copies all round as the portable one (tests/test_vmath.c). */
    if (nb_gemm_force("portable")) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
    if ((argc == 5 || argc == 7) && strcmp(argv[1], "play") == 0) return play(argc, argv);
    if (argc != 8 || strcmp(argv[1], "jac") != 0) {
        fprintf(stderr, "usage: web_native jac WHICH D N A X V | play BLOCK STEPS CHUNK [AT BLOCK2] | bench-mc\n");
        return 2;
    }
    int which = atoi(argv[2]), d = atoi(argv[3]), n = atoi(argv[4]);
    if (d < 1 || n < 1 || d > NBW_JAC_DIM || n > NBW_JAC_DIM) return fprintf(stderr, "web_native: bad d, n\n"), 2;
    double A[NBW_JAC_DIM * NBW_JAC_DIM], x[NBW_JAC_DIM], v[NBW_JAC_DIM];
    if (parse(argv[5], A, d * n) || parse(argv[6], x, d) || parse(argv[7], v, n))
        return fprintf(stderr, "web_native: bad numbers\n"), 2;
    if (nbw_jac(which, d, n, A, x, v)) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
    const double *info = nbw_jac_result(3);
    int nh = (int)info[0], numel = 1;
    double sh[8], st[8];
    for (int i = 0; i < nh; i++) sh[i] = info[1 + i], st[i] = info[10 + i], numel *= (int)sh[i];
    printf("{");
    print_arr("shapeH", sh, nh, false);
    print_arr("shapeT", st, (int)info[9], false);
    print_arr("JH", nbw_jac_result(0), numel, false);
    print_arr("JT", nbw_jac_result(1), numel, true);
    printf("}\n");
    return 0;
}
