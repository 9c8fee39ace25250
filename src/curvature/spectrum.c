/* Spectrum tools over Hessian-vector products: Lanczos (top-k, and the
 * quadrature of stochastic Lanczos), power iteration, Hutchinson's trace.
 * All in f64, seeded; n-vectors on the heap, the operator applied as given. */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"
#include "nabla/curvature.h"

static double dot(int64_t n, const double *a, const double *b) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void rademacher(nb_rng *rng, int64_t n, double *z) {
    for (int64_t i = 0; i < n; i++) z[i] = nb_rng_u64(rng) >> 63 ? 1.0 : -1.0;
}

static nb_status check_op(const nb_linop *H, const char *fn) {
    if (!H || !H->apply || H->n < 1) return nb_fail(NB_EINVAL, "%s: no operator (or an empty one)", fn);
    return NB_OK;
}

nb_status nb_sym_eig(int64_t n, double *a, double *vals, double *vecs) {
    if (n < 1 || !a || !vals) return nb_fail(NB_EINVAL, "nb_sym_eig: bad arguments");
    if (vecs)
        for (int64_t i = 0; i < n * n; i++) vecs[i] = i / n == i % n;
    double fro = 0;
    for (int64_t i = 0; i < n * n; i++) fro += a[i] * a[i];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
        if (off <= 1e-32 * fro) break;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0) continue;
                /* the rotation in (p, q) that zeroes a_pq: t = tan of its angle, the smaller root */
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = fabs(theta) > 1e150 ? 0.5 / theta : (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int64_t k = 0; k < n; k++) { /* columns: A J */
                    double kp = a[k * n + p], kq = a[k * n + q];
                    a[k * n + p] = c * kp - s * kq, a[k * n + q] = s * kp + c * kq;
                }
                for (int64_t k = 0; k < n; k++) { /* rows: J^T A */
                    double pk = a[p * n + k], qk = a[q * n + k];
                    a[p * n + k] = c * pk - s * qk, a[q * n + k] = s * pk + c * qk;
                }
                for (int64_t k = 0; vecs && k < n; k++) {
                    double kp = vecs[k * n + p], kq = vecs[k * n + q];
                    vecs[k * n + p] = c * kp - s * kq, vecs[k * n + q] = s * kp + c * kq;
                }
            }
    }
    for (int64_t i = 0; i < n; i++) vals[i] = a[i * n + i];
    for (int64_t i = 1; i < n; i++) /* ascending, columns along (insertion sort: n is small) */
        for (int64_t j = i; j > 0 && vals[j - 1] > vals[j]; j--) {
            double t = vals[j];
            vals[j] = vals[j - 1], vals[j - 1] = t;
            for (int64_t k = 0; vecs && k < n; k++) {
                t = vecs[k * n + j];
                vecs[k * n + j] = vecs[k * n + j - 1], vecs[k * n + j - 1] = t;
            }
        }
    return NB_OK;
}

/* m Lanczos steps from q0 with full reorthogonalisation (twice, against every
 * earlier vector): the tridiagonal T's diagonal alpha and off-diagonal beta,
 * *steps the steps taken (fewer when the Krylov space is exhausted); Q (m x n,
 * the caller's) the Lanczos vectors. */
static nb_status lanczos(const nb_linop *H, int m, const double *q0, double *Q, double *alpha, double *beta, int *steps) {
    int64_t n = H->n;
    double *w = malloc((size_t)n * sizeof *w);
    nb_status st = NB_OK;
    *steps = 0;
    if (!Q || !w) {
        st = nb_fail(NB_ENOMEM, "lanczos: out of memory for %d vectors of %lld", m, (long long)n);
        goto done;
    }
    double nq = sqrt(dot(n, q0, q0));
    if (!(nq > 0)) {
        st = nb_fail(NB_EINVAL, "lanczos: a zero start vector");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) Q[i] = q0[i] / nq;
    double scale = 0;
    for (int j = 0; j < m; j++) {
        double *q = Q + (size_t)j * (size_t)n;
        if ((st = H->apply(H->user, q, w))) goto done;
        alpha[j] = dot(n, w, q);
        for (int64_t i = 0; i < n; i++) w[i] -= alpha[j] * q[i] + (j ? beta[j - 1] * q[i - n] : 0);
        for (int pass = 0; pass < 2; pass++)
            for (int r = 0; r <= j; r++) {
                const double *qr = Q + (size_t)r * (size_t)n;
                double c = dot(n, w, qr);
                for (int64_t i = 0; i < n; i++) w[i] -= c * qr[i];
            }
        *steps = j + 1;
        double b = sqrt(dot(n, w, w));
        scale = fmax(scale, fabs(alpha[j]) + b);
        if (j == m - 1 || !(b > 1e-12 * scale)) break; /* done, or an invariant subspace: T is exact */
        beta[j] = b;
        for (int64_t i = 0; i < n; i++) q[n + i] = w[i] / b;
    }
done:
    free(w);
    return st;
}

/* The eigen-decomposition of the k x k tridiagonal (alpha, beta). */
static nb_status tridiag_eig(int k, const double *alpha, const double *beta, double *vals, double *vecs) {
    double *T = calloc((size_t)k * (size_t)k, sizeof *T);
    if (!T) return nb_fail(NB_ENOMEM, "lanczos: out of memory");
    for (int i = 0; i < k; i++) {
        T[i * k + i] = alpha[i];
        if (i + 1 < k) T[i * k + i + 1] = T[(i + 1) * k + i] = beta[i];
    }
    nb_status st = nb_sym_eig(k, T, vals, vecs);
    free(T);
    return st;
}

nb_status nb_lanczos_topk(const nb_linop *H, int k, int iters, uint64_t seed, double *eigs) {
    nb_status st = check_op(H, "nb_lanczos_topk");
    if (st) return st;
    if (k < 1 || k > H->n || !eigs) return nb_fail(NB_EINVAL, "nb_lanczos_topk: k = %d must be in [1, %lld]", k, (long long)H->n);
    int m = iters > 0 ? iters : (2 * k + 20 > 30 ? 2 * k + 20 : 30);
    if (m > H->n) m = (int)H->n;
    if (m < k) return nb_fail(NB_EINVAL, "nb_lanczos_topk: %d iterations cannot give %d eigenvalues", m, k);
    double *q0 = malloc((size_t)H->n * sizeof *q0), *ab = malloc(3 * (size_t)m * sizeof *ab);
    double *Q = malloc((size_t)m * (size_t)H->n * sizeof *Q);
    if (!q0 || !ab || !Q) st = nb_fail(NB_ENOMEM, "nb_lanczos_topk: out of memory");
    int steps = 0;
    if (!st) {
        nb_rng rng;
        nb_rng_seed(&rng, seed);
        rademacher(&rng, H->n, q0);
        st = lanczos(H, m, q0, Q, ab, ab + m, &steps);
    }
    if (!st && steps < k) st = nb_fail(NB_ENUM, "nb_lanczos_topk: the start vector spans only %d eigenvectors", steps);
    if (!st && !(st = tridiag_eig(steps, ab, ab + m, ab + 2 * m, NULL)))
        for (int i = 0; i < k; i++) eigs[i] = ab[2 * m + steps - 1 - i];
    free(q0);
    free(ab);
    free(Q);
    return st;
}

nb_status nb_lanczos_warm(const nb_linop *H, int iters, double *v, double *eig) {
    nb_status st = check_op(H, "nb_lanczos_warm");
    if (st) return st;
    if (iters < 1 || !v || !eig) return nb_fail(NB_EINVAL, "nb_lanczos_warm: iters %d (or a NULL vector)", iters);
    int64_t n = H->n;
    int m = iters > n ? (int)n : iters, steps = 0;
    double *Q = malloc((size_t)m * (size_t)n * sizeof *Q), *ab = malloc((size_t)(3 * m + m * m) * sizeof *ab);
    if (!Q || !ab) st = nb_fail(NB_ENOMEM, "nb_lanczos_warm: out of memory");
    if (!st) st = lanczos(H, m, v, Q, ab, ab + m, &steps);
    double *vals = ab + 2 * m, *vecs = ab + 3 * m;
    if (!st) st = tridiag_eig(steps, ab, ab + m, vals, vecs);
    if (!st) { /* v = Q y, y the top Ritz vector of T (its last column) */
        *eig = vals[steps - 1];
        for (int64_t i = 0; i < n; i++) v[i] = 0;
        for (int j = 0; j < steps; j++) {
            double y = vecs[j * steps + steps - 1];
            const double *q = Q + (size_t)j * (size_t)n;
            for (int64_t i = 0; i < n; i++) v[i] += y * q[i];
        }
    }
    free(Q);
    free(ab);
    return st;
}

nb_status nb_power_iteration(const nb_linop *H, int iters, double tol, uint64_t seed, double *eig, int *used) {
    nb_status st = check_op(H, "nb_power_iteration");
    if (st) return st;
    if (iters < 1 || !eig || !(tol >= 0)) return nb_fail(NB_EINVAL, "nb_power_iteration: iters %d, tol %g", iters, tol);
    int64_t n = H->n;
    double *v = malloc((size_t)n * sizeof *v), *hv = malloc((size_t)n * sizeof *hv);
    if (!v || !hv) st = nb_fail(NB_ENOMEM, "nb_power_iteration: out of memory");
    double lam = 0;
    int it = 0;
    if (!st) {
        nb_rng rng;
        nb_rng_seed(&rng, seed);
        nb_rng_normals(&rng, n, v);
        double nv = sqrt(dot(n, v, v));
        for (int64_t i = 0; i < n; i++) v[i] /= nv;
    }
    while (!st && it < iters) {
        if ((st = H->apply(H->user, v, hv))) break;
        it++;
        double next = dot(n, v, hv), nh = sqrt(dot(n, hv, hv));
        bool done = it > 1 && fabs(next - lam) <= tol * (fabs(lam) + 1e-300);
        lam = next;
        if (done || !(nh > 0)) break;
        for (int64_t i = 0; i < n; i++) v[i] = hv[i] / nh;
    }
    if (!st) *eig = lam;
    if (used) *used = it;
    free(v);
    free(hv);
    return st;
}

nb_status nb_hutchinson(const nb_linop *H, int samples, uint64_t seed, int nblocks, const int64_t *block_end,
                        double *trace, double *se, double *block_trace) {
    nb_status st = check_op(H, "nb_hutchinson");
    if (st) return st;
    if (samples < 2 || !trace || !se || nblocks < 0 || (nblocks && (!block_end || !block_trace)))
        return nb_fail(NB_EINVAL, "nb_hutchinson: needs >= 2 samples and its outputs");
    for (int b = 0; b < nblocks; b++)
        if (block_end[b] < (b ? block_end[b - 1] : 0) || block_end[b] > H->n)
            return nb_fail(NB_EINVAL, "nb_hutchinson: block %d ends at %lld, out of order or past %lld", b,
                           (long long)block_end[b], (long long)H->n);
    int64_t n = H->n;
    double *z = malloc((size_t)n * sizeof *z), *hz = malloc((size_t)n * sizeof *hz);
    if (!z || !hz) st = nb_fail(NB_ENOMEM, "nb_hutchinson: out of memory");
    for (int b = 0; b < nblocks; b++) block_trace[b] = 0;
    nb_rng rng;
    nb_rng_seed(&rng, seed);
    double mean = 0, m2 = 0; /* Welford */
    for (int s = 0; s < samples && !st; s++) {
        rademacher(&rng, n, z);
        if ((st = H->apply(H->user, z, hz))) break;
        double q = dot(n, z, hz), d = q - mean;
        mean += d / (s + 1);
        m2 += d * (q - mean);
        for (int b = 0; b < nblocks; b++) {
            int64_t lo = b ? block_end[b - 1] : 0;
            block_trace[b] += dot(block_end[b] - lo, z + lo, hz + lo) / samples;
        }
    }
    if (!st) {
        *trace = mean;
        *se = sqrt(m2 / (samples - 1) / samples);
    }
    free(z);
    free(hz);
    return st;
}

nb_status nb_slq(const nb_linop *H, int runs, int iters, uint64_t seed, double *nodes, double *weights) {
    nb_status st = check_op(H, "nb_slq");
    if (st) return st;
    if (runs < 1 || iters < 1 || !nodes || !weights) return nb_fail(NB_EINVAL, "nb_slq: runs %d, iters %d", runs, iters);
    int m = iters > H->n ? (int)H->n : iters;
    double *z = malloc((size_t)H->n * sizeof *z), *ab = malloc((size_t)(3 * m + m * m) * sizeof *ab);
    double *Q = malloc((size_t)m * (size_t)H->n * sizeof *Q);
    if (!z || !ab || !Q) st = nb_fail(NB_ENOMEM, "nb_slq: out of memory");
    nb_rng rng;
    nb_rng_seed(&rng, seed);
    for (int r = 0; r < runs && !st; r++) {
        double *nd = nodes + (size_t)r * (size_t)iters, *wt = weights + (size_t)r * (size_t)iters;
        for (int j = 0; j < iters; j++) nd[j] = wt[j] = 0;
        int steps = 0;
        rademacher(&rng, H->n, z);
        if ((st = lanczos(H, m, z, Q, ab, ab + m, &steps))) break;
        double *vecs = ab + 3 * m;
        if ((st = tridiag_eig(steps, ab, ab + m, ab + 2 * m, vecs))) break;
        for (int j = 0; j < steps; j++) {
            nd[j] = ab[2 * m + j];
            wt[j] = vecs[j] * vecs[j]; /* the first component of Ritz vector j (row 0, column j) */
        }
    }
    free(z);
    free(ab);
    free(Q);
    return st;
}

void nb_slq_density(int runs, int iters, const double *nodes, const double *weights, double sigma, int m,
                    const double *t, double *out) {
    for (int i = 0; i < m; i++) {
        double s = 0;
        for (int64_t j = 0; j < (int64_t)runs * iters; j++) {
            double d = (t[i] - nodes[j]) / sigma;
            s += weights[j] * exp(-0.5 * d * d);
        }
        out[i] = s / (runs * sigma * 2.5066282746310002 /* sqrt(2 pi) */);
    }
}
