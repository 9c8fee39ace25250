/* Row iteration over a broadcast: the innermost dim is a row of len elements;
 * nb__rows_next advances off[k] (k = 0, 1: two operands) by their strides st[k]. */
#ifndef NABLA_OPS_BROADCAST_H
#define NABLA_OPS_BROADCAST_H

#include "core/internal.h"

typedef struct nb_rows {
    int nd;
    int64_t shape[NB_MAX_DIMS], idx[NB_MAX_DIMS];
    int64_t st[2][NB_MAX_DIMS];
    int64_t off[2];
    int64_t len, rows;
} nb_rows;

void nb__bstrides(int ndim, const int64_t *shape, int n, const int64_t *s, int64_t *st);
void nb__rows_begin(nb_rows *r, int ndim, const int64_t *shape);
void nb__rows_next(nb_rows *r);

#endif
