/* Shared between the files of src/linreg; not installed. */
#ifndef NABLA_LINREG_INTERNAL_H
#define NABLA_LINREG_INTERNAL_H

#include "nabla/linreg.h"

bool lr_all_finite(const double *v, int64_t n);
/* Shapes, NULLs, lambda >= 0 and a finite X, with fn in the message. */
nb_status lr_check_design(const char *fn, int64_t n, int64_t d, const double *X, double lambda);
/* A (d x d) = L with L L^T = X^T X + lambda I; NB_ENUM naming singular X^T X. */
nb_status lr_factor(const char *fn, int64_t n, int64_t d, const double *X, double lambda, double *A);
/* The mean and ddof-0 variance of T fresh targets f + sigma eps, drawn directly. */
void lr_draw_targets(nb_rng *rng, int64_t T, double f, double sigma, double *ybar, double *noise);
/* f(x) = sin(2 pi x) at the K test inputs x_k = (k + 1/2)/K of the sine problem. */
double lr_sine_f(int64_t k, int64_t K);
/* The sine problem's estimates from P (K x T): T trials' predictions at the K
 * inputs, scored against fresh targets drawn from rng. */
nb_status lr_sine_estimate(nb_rng *rng, int64_t K, int64_t T, double sigma, const double *P, nb_biasvar *out,
                           nb_biasvar *se);

/* ---- streaming Monte Carlo statistics (mcstats.c explains the design) ---- */

enum { LR_LEAF = 16, LR_NODES = 64 };

/* The plan of T trials at K inputs for ns series (penalties), and the node
 * results: per node, series and input, the mean and m2 of its trials. */
typedef struct lr_mc {
    int64_t T, K, kp; /* kp: K rounded up to 8 */
    int ns;
    int64_t node_leaves, nnodes;
    double *nmean, *nm2; /* [node][series][kp] */
    int64_t *ncnt;       /* trials per node */
} lr_mc;

void lr_mc_plan(lr_mc *mc, int64_t T, int64_t K, int ns);
nb_status lr_mc_alloc(lr_mc *mc);
void lr_mc_free(lr_mc *mc);
/* The nodes [n0, n1) this process computes: all, or with ranks its share of
 * the job's (nabla/dist.h). */
void lr_mc_part(const lr_mc *mc, bool ranks, int64_t *n0, int64_t *n1);
/* With ranks: the ranks agree on s (each one's status after its share), then
 * every rank receives every rank's nodes. A collective call; returns the
 * agreed status. Without ranks: s. */
nb_status lr_mc_share(lr_mc *mc, bool ranks, nb_status s);
/* Trials [t0, t1) of a node. */
void lr_mc_node_range(const lr_mc *mc, int64_t node, int64_t *t0, int64_t *t1);
/* Series s's estimates (and standard errors, when se is not NULL), given the
 * mean and ddof-0 variance of each input's fresh targets. */
nb_status lr_mc_estimate(const lr_mc *mc, int s, const double *ybar, const double *noise0, nb_biasvar *out,
                         nb_biasvar *se);

/* The estimates from each input's mean and m2 of T predictions and the mean
 * and ddof-0 variance of its T fresh targets; D (K) receives mean - ybar. */
void lr_estimates(int64_t K, int64_t T, const double *m, const double *m2, const double *ybar, const double *noise0,
                  nb_biasvar *out, double *D);

/* One thread's accumulators. Per node: lr_mcw_begin; for each series and, in
 * order, each trial t: fold its kp predictions into lr_mcw_leaf's (mean, m2)
 * with Welford's update at the given inv, then lr_mcw_folded(t); lr_mcw_end. */
typedef struct lr_mcw {
    const lr_mc *mc;
    int levels;
    double *buf, *p; /* p: kp values of scratch for the caller */
    int64_t *ecnt, *state;
    double inv[LR_LEAF];
} lr_mcw;

nb_status lr_mcw_init(lr_mcw *w, const lr_mc *mc);
void lr_mcw_free(lr_mcw *w);
void lr_mcw_begin(lr_mcw *w);
double *lr_mcw_leaf(lr_mcw *w, int s, double *inv, double **m2);
void lr_mcw_folded(lr_mcw *w, int s, int64_t t);
void lr_mcw_end(lr_mcw *w, int64_t node);

#endif
