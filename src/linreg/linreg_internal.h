/* Shared between the files of src/linreg; not installed. */
#ifndef NABLA_LINREG_INTERNAL_H
#define NABLA_LINREG_INTERNAL_H

#include "nabla/linreg.h"

bool lr_all_finite(const double *v, int64_t n);
/* Shapes, NULLs, lambda >= 0 and a finite X, with fn in the message. */
nb_status lr_check_design(const char *fn, int64_t n, int64_t d, const double *X, double lambda);
/* A (d x d) = L with L L^T = X^T X + lambda I; NB_ENUM naming singular X^T X. */
nb_status lr_factor(const char *fn, int64_t n, int64_t d, const double *X, double lambda, double *A);
/* Adds one test input's Monte Carlo statistics to acc, from its T predictions
 * and the mean and ddof-0 variance of its T fresh targets. */
void lr_point_stats(int64_t T, const double *p, double ybar, double noise, nb_biasvar *acc);
/* The mean and ddof-0 variance of T fresh targets f + sigma eps, drawn directly. */
void lr_draw_targets(nb_rng *rng, int64_t T, double f, double sigma, double *ybar, double *noise);
/* The sine problem's statistics: P (K,T) holds T trials' predictions at the K
 * test inputs x_k = (k + 1/2)/K, scored against f(x) = sin(2 pi x) and fresh targets. */
void lr_sine_stats(nb_rng *rng, int64_t K, int64_t T, double sigma, const double *P, nb_biasvar *out);

#endif
