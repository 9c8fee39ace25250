/* nabla/curvature.h — the loss Hessian's spectrum, through Hessian-vector
 * products (nb_hvp, reverse-over-forward) and never the dense matrix.
 *
 * Every tool works on an nb_linop, a symmetric operator v -> H v on R^n in
 * f64; nb_model_hessian makes one for a model's loss on a data set. All are
 * seeded and deterministic: the same seed gives the same numbers.
 *
 *     nb_model_hessian h;
 *     nb_model_hessian_init(&h, model, x, labels, NB_LOSS_XENT, 1000);
 *     nb_linop H = nb_model_hessian_op(&h);
 *     double top[5];
 *     nb_lanczos_topk(&H, 5, 0, seed, top);           // the 5 largest eigenvalues
 *     nb_hutchinson(&H, 100, seed, 0, NULL, &tr, &se, NULL);
 *     nb_model_hessian_free(&h);
 */
#ifndef NABLA_CURVATURE_H
#define NABLA_CURVATURE_H

#include "nabla/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A symmetric linear operator: hv = H v, both n doubles (never aliased). */
typedef struct nb_linop {
    int64_t n;
    nb_status (*apply)(void *user, const double *v, double *hv);
    void *user;
} nb_linop;

/* ---- a model's loss Hessian --------------------------------------------------- */
typedef enum nb_loss_kind {
    NB_LOSS_XENT = 0, /* mean softmax cross-entropy of the logits */
    NB_LOSS_MSE,      /* nb_mse(logits, onehot(labels)): the mean over all N x classes squares */
} nb_loss_kind;

typedef struct nb_model_hessian {
    nb_model *model;         /* its parameters, in nb_params order, are the Hessian's coordinates */
    nb_tensor *x;            /* (N, ...) inputs, the model's dtype */
    const int32_t *labels;   /* N */
    nb_loss_kind loss;
    int64_t chunk;           /* samples per HVP pass (0: all); the loss is the mean over all N */
    nb_ctx *ctx;             /* private: the passes' arena */
} nb_model_hessian;

/* The Hessian of the mean loss of model over (x, labels) w.r.t. all its
 * parameters. The model's gradients are used as scratch (zeroed). */
nb_status nb_model_hessian_init(nb_model_hessian *h, nb_model *model, nb_tensor *x, const int32_t *labels,
                                nb_loss_kind loss, int64_t chunk);
void nb_model_hessian_free(nb_model_hessian *h);
/* hv = H v, n doubles each: n the sum of the parameters' sizes, packed in
 * nb_params order (nb_model_hessian_op(h).n); *loss (may be NULL) the mean loss. */
nb_status nb_model_hvp(nb_model_hessian *h, const double *v, double *hv, double *loss);
nb_linop nb_model_hessian_op(nb_model_hessian *h);

/* ---- the sharpness during training ------------------------------------------ */
/* The top eigenvalue of the mean cross-entropy's Hessian over the first
 * samples of ds (normalised by norm), followed as m trains: measured on a
 * replica of m (its weights, gradients of its own, so that a training step's
 * are untouched) by Lanczos, 30 steps from a seeded random start the first
 * time, then 10 steps from the last measurement's eigenvector. */
typedef struct nb_sharpness {
    nb_model *replica;
    nb_tensor *x;      /* (samples, rows*cols) f32 */
    int32_t *labels;
    nb_model_hessian h;
    double *v;         /* the last eigenvector */
    int64_t measured;  /* measurements taken */
} nb_sharpness;

nb_status nb_sharpness_init(nb_sharpness *s, nb_model *m, const nb_dataset *ds, const nb_norm *norm, int64_t samples,
                            uint64_t seed);
nb_status nb_sharpness_measure(nb_sharpness *s, double *top);
void nb_sharpness_free(nb_sharpness *s);

/* ---- spectrum ------------------------------------------------------------------ */
/* The k largest (algebraic) eigenvalues, descending, by Lanczos with full
 * reorthogonalisation from a seeded random start; iters steps (0: min(n,
 * max(2k + 20, 30))). Stops early when the Krylov space is exhausted. */
nb_status nb_lanczos_topk(const nb_linop *H, int k, int iters, uint64_t seed, double *eigs);
/* The top eigenvalue by iters Lanczos steps (full reorthogonalisation) from
 * v, any nonzero n-vector; v becomes the top Ritz vector (unit length). To
 * follow an operator that changes slowly (a Hessian during training), pass
 * the last call's v: a few steps then suffice. */
nb_status nb_lanczos_warm(const nb_linop *H, int iters, double *v, double *eig);
/* The eigenvalue of largest magnitude by power iteration (PyHessian's):
 * stops when the Rayleigh quotient changes by < tol relative, or after
 * iters; *used (may be NULL) the iterations run. */
nb_status nb_power_iteration(const nb_linop *H, int iters, double tol, uint64_t seed, double *eig, int *used);
/* Hutchinson's trace estimate with Rademacher probes: *trace the mean of
 * z^T H z over samples probes, *se its standard error (sample std / sqrt(samples)).
 * With nblocks > 0, block_trace[b] estimates the trace of the diagonal block
 * of coordinates [block_end[b-1], block_end[b]) (block_end[-1] = 0) from the
 * same probes: per-layer traces. */
nb_status nb_hutchinson(const nb_linop *H, int samples, uint64_t seed, int nblocks, const int64_t *block_end,
                        double *trace, double *se, double *block_trace);
/* Stochastic Lanczos quadrature (PyHessian's density): runs independent
 * Lanczos runs of iters steps from Rademacher starts; run r gives nodes
 * (the Ritz values) and weights (the squared first components of the Ritz
 * vectors, summing to 1), written at nodes[r*iters + j], weights[...] (fewer
 * than iters when a run ends early: the rest get weight 0). The density is
 * (1/runs) sum_r sum_j w_rj g_sigma(t - node_rj), g a Gaussian. */
nb_status nb_slq(const nb_linop *H, int runs, int iters, uint64_t seed, double *nodes, double *weights);
/* That density at the m points t, Gaussian width sigma, into out. */
void nb_slq_density(int runs, int iters, const double *nodes, const double *weights, double sigma, int m,
                    const double *t, double *out);

/* The eigenvalues (ascending) and, when vecs is non-NULL, the orthonormal
 * eigenvectors (column j of the row-major n x n vecs) of a symmetric n x n
 * matrix a (destroyed), by cyclic Jacobi: for the small tridiagonal
 * matrices above, and dense Hessians in tests. */
nb_status nb_sym_eig(int64_t n, double *a, double *vals, double *vecs);

#ifdef __cplusplus
}
#endif
#endif
