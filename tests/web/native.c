/* The page's C API run natively: what the browser suite compares the page's
 * wasm results with, bit for bit.
 *   web_native jac WHICH D N A1,A2,... X1,... V1,...
 *   web_native bench-mc   (the native peer of the page's Monte Carlo benchmark)
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

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "bench-mc") == 0) return bench_mc();
    if (argc != 8 || strcmp(argv[1], "jac") != 0) {
        fprintf(stderr, "usage: web_native jac WHICH D N A X V\n");
        return 2;
    }
    int which = atoi(argv[2]), d = atoi(argv[3]), n = atoi(argv[4]);
    if (d < 1 || n < 1 || d > NBW_JAC_DIM || n > NBW_JAC_DIM) return fprintf(stderr, "web_native: bad d, n\n"), 2;
    double A[NBW_JAC_DIM * NBW_JAC_DIM], x[NBW_JAC_DIM], v[NBW_JAC_DIM];
    if (parse(argv[5], A, d * n) || parse(argv[6], x, d) || parse(argv[7], v, n))
        return fprintf(stderr, "web_native: bad numbers\n"), 2;
    /* The portable GEMM sums as the wasm kernels do (no FMA, the same order);
     * AVX2/AVX-512 FMA would differ in the last bit. */
    if (nb_gemm_force("portable")) return fprintf(stderr, "web_native: %s\n", nbw_errmsg()), 1;
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
