/* Cholesky factorisation and triangular solves for the closed forms. The
 * matrices here are d x d with d the number of features (tens to a few
 * thousand), so plain row-oriented loops are enough; the big products go
 * through nb_gemm. */
#include <math.h>

#include "nabla/linreg.h"

nb_status nb_cholesky(int64_t d, double *A, double tol) {
    if (d < 1 || !A || !(tol >= 0)) return nb_fail(NB_EINVAL, "nb_cholesky: bad arguments (d=%lld)", (long long)d);
    double maxdiag = 0;
    for (int64_t i = 0; i < d; i++) {
        double a = A[i * d + i];
        if (!isfinite(a)) return nb_fail(NB_ENUM, "nb_cholesky: diagonal %lld is %g", (long long)i, a);
        if (a > maxdiag) maxdiag = a;
    }
    double thr = tol * maxdiag;
    // A = L L^T, row by row: L_ij = (A_ij - sum_{k<j} L_ik L_jk) / L_jj, L_jj^2 = A_jj - sum_{k<j} L_jk^2
    for (int64_t i = 0; i < d; i++) {
        double *Li = A + i * d;
        for (int64_t j = 0; j <= i; j++) {
            const double *Lj = A + j * d;
            double s = Li[j];
            for (int64_t k = 0; k < j; k++) s -= Li[k] * Lj[k];
            if (j < i) {
                Li[j] = s / Lj[j];
            } else {
                if (!(s > thr) || maxdiag <= 0)
                    return nb_fail(NB_ENUM,
                                   "nb_cholesky: not positive definite: pivot %lld is %.3g, at or below %.3g "
                                   "(%.3g x the largest diagonal %.3g)",
                                   (long long)i, s, thr, tol, maxdiag);
                Li[i] = sqrt(s);
            }
        }
        for (int64_t j = i + 1; j < d; j++) Li[j] = 0;
    }
    return NB_OK;
}

void nb_trsm_lower(int64_t d, const double *L, int64_t m, double *B) {
    // forward substitution, one row of right-hand sides at a time: z_i = (b_i - sum_{k<i} L_ik z_k) / L_ii
    for (int64_t i = 0; i < d; i++) {
        double *Bi = B + i * m;
        for (int64_t k = 0; k < i; k++) {
            double l = L[i * d + k];
            if (l == 0) continue;
            const double *Bk = B + k * m;
            for (int64_t c = 0; c < m; c++) Bi[c] -= l * Bk[c];
        }
        double inv = 1.0 / L[i * d + i];
        for (int64_t c = 0; c < m; c++) Bi[c] *= inv;
    }
}

void nb_trsm_lower_t(int64_t d, const double *L, int64_t m, double *B) {
    // back substitution with L^T: z_i = (b_i - sum_{k>i} L_ki z_k) / L_ii; done as row
    // updates so that every inner loop runs along a contiguous row of B
    for (int64_t i = d - 1; i >= 0; i--) {
        double *Bi = B + i * m;
        double inv = 1.0 / L[i * d + i];
        for (int64_t c = 0; c < m; c++) Bi[c] *= inv;
        for (int64_t k = 0; k < i; k++) {
            double l = L[i * d + k];
            if (l == 0) continue;
            double *Bk = B + k * m;
            for (int64_t c = 0; c < m; c++) Bk[c] -= l * Bi[c];
        }
    }
}

void nb_cholesky_solve(int64_t d, const double *L, int64_t m, double *B) {
    nb_trsm_lower(d, L, m, B);
    nb_trsm_lower_t(d, L, m, B);
}
