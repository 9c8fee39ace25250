/* The page's C API run natively: what the browser suite compares the page's
 * wasm results with, bit for bit.
 *   web_native jac WHICH D N A1,A2,... X1,... V1,...
 * prints {"shapeH":[...],"JH":[...],"shapeT":[...],"JT":[...]} with %.17g,
 * which reads back to the same doubles. The GEMM is forced to the portable
 * kernel, whose sums the wasm kernels reproduce bit for bit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/base.h"
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

int main(int argc, char **argv) {
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
