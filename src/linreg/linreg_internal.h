/* Shared between the files of src/linreg; not installed. */
#ifndef NABLA_LINREG_INTERNAL_H
#define NABLA_LINREG_INTERNAL_H

#include "nabla/linreg.h"

bool lr_all_finite(const double *v, int64_t n);
/* Shapes, NULLs, lambda >= 0 and a finite X, with fn in the message. */
nb_status lr_check_design(const char *fn, int64_t n, int64_t d, const double *X, double lambda);
/* A (d x d) = L with L L^T = X^T X + lambda I; NB_ENUM naming singular X^T X. */
nb_status lr_factor(const char *fn, int64_t n, int64_t d, const double *X, double lambda, double *A);
/* One test input's Monte Carlo statistics from its T predictions and T fresh targets. */
void lr_point_stats(int64_t T, const double *p, const double *y, nb_biasvar *acc);

#endif
