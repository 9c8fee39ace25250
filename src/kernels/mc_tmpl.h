/* The Monte Carlo kernels (mc_kernels.h), written once over a vector of V
 * doubles; included by mc.c (V = 1), mc_avx2.c (4) and mc_avx512.c (8), each
 * defining VEC, V, VLOAD, VSTORE, VSET1, VZERO, VFMA (a b + c, one rounding),
 * VSUB, SFX, and FIT_ROWS, PRED_T, PRED_VECS: how many accumulators a loop keeps in
 * flight (enough to hide the FMA latency, few enough to stay in registers). */
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

#include <stdbool.h>

/* Tiles q0 and q0 + 1 when `two` (each Y + q n 8, th + q d 8) at once: each
 * broadcast of M feeds both. */
static inline void CAT(fit_rows_, SFX)(int64_t n, const double *M, const double *Y0, const double *Y1, double *t0,
                                       double *t1, int rows, bool two) {
    enum { NV = 8 / V };
    VEC acc[2][FIT_ROWS][NV];
    for (int h = 0; h < 2; h++)
        for (int r = 0; r < FIT_ROWS; r++)
            for (int v = 0; v < NV; v++) acc[h][r][v] = VZERO();
    for (int64_t i = 0; i < n; i++) {
        VEC y[2][NV];
        for (int v = 0; v < NV; v++) y[0][v] = VLOAD(Y0 + i * 8 + v * V), y[1][v] = two ? VLOAD(Y1 + i * 8 + v * V) : VZERO();
        for (int r = 0; r < FIT_ROWS; r++) {
            if (r >= rows) break;
            VEC m = VSET1(M[r * n + i]);
            for (int v = 0; v < NV; v++) acc[0][r][v] = VFMA(m, y[0][v], acc[0][r][v]);
            if (two)
                for (int v = 0; v < NV; v++) acc[1][r][v] = VFMA(m, y[1][v], acc[1][r][v]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < NV; v++) {
            VSTORE(t0 + r * 8 + v * V, acc[0][r][v]);
            if (two) VSTORE(t1 + r * 8 + v * V, acc[1][r][v]);
        }
}

static void CAT(fit_, SFX)(int64_t n, int64_t d, const double *M, const double *Y, int64_t tiles, double *th) {
    for (int64_t q = 0; q < tiles; q += 2) {
        bool two = q + 1 < tiles;
        for (int64_t j = 0; j < d; j += FIT_ROWS) {
            int rows = d - j < FIT_ROWS ? (int)(d - j) : FIT_ROWS;
            CAT(fit_rows_, SFX)(n, M + j * n, Y + q * n * 8, Y + (q + 1) * n * 8, th + q * d * 8 + j * 8,
                                th + (q + 1) * d * 8 + j * 8, rows, two);
        }
    }
}

/* PRED_T trials (or fewer: nt) by PRED_VECS vectors of inputs at a time:
 * each load of XtT feeds PRED_T trials. */
static void CAT(predict_, SFX)(int64_t d, int64_t kp, const double *XtT, const double *th, int l0, int nt,
                               double *p) {
    int64_t k = 0;
    for (; k < kp; k += PRED_VECS * V) {
        int nv = kp - k >= PRED_VECS * V ? PRED_VECS : (int)((kp - k) / V);
        VEC acc[PRED_T][PRED_VECS];
        for (int u = 0; u < PRED_T; u++)
            for (int v = 0; v < PRED_VECS; v++) acc[u][v] = VZERO();
        if (nt == PRED_T && nv == PRED_VECS) {
            for (int64_t j = 0; j < d; j++) {
                VEC x[PRED_VECS];
                for (int v = 0; v < PRED_VECS; v++) x[v] = VLOAD(XtT + j * kp + k + v * V);
                for (int u = 0; u < PRED_T; u++) {
                    VEC t = VSET1(th[j * 8 + l0 + u]);
                    for (int v = 0; v < PRED_VECS; v++) acc[u][v] = VFMA(x[v], t, acc[u][v]);
                }
            }
        } else { // the edges: the same chains, fewer at a time
            for (int64_t j = 0; j < d; j++)
                for (int u = 0; u < nt; u++) {
                    VEC t = VSET1(th[j * 8 + l0 + u]);
                    for (int v = 0; v < nv; v++) acc[u][v] = VFMA(VLOAD(XtT + j * kp + k + v * V), t, acc[u][v]);
                }
        }
        for (int u = 0; u < nt; u++)
            for (int v = 0; v < nv; v++) VSTORE(p + u * kp + k + v * V, acc[u][v]);
    }
}

static void CAT(welford_, SFX)(int64_t kp, const double *p, double inv, double *mean, double *m2) {
    VEC iv = VSET1(inv);
    for (int64_t k = 0; k < kp; k += V) {
        VEC x = VLOAD(p + k), mu = VLOAD(mean + k);
        VEC dl = VSUB(x, mu);
        mu = VFMA(dl, iv, mu);
        VSTORE(mean + k, mu);
        VSTORE(m2 + k, VFMA(dl, VSUB(x, mu), VLOAD(m2 + k)));
    }
}

const nb_mc_kernels *CAT(nb__mc_kernels_, SFX)(void) {
    static const nb_mc_kernels k = {CAT(fit_, SFX), CAT(predict_, SFX), CAT(welford_, SFX), PRED_T};
    return &k;
}
