/* Broadcasting, in one place: shapes, and the two loops every broadcasting op
 * and every reduction share. A tensor of shape s seen through a broadcast to
 * a larger shape gets stride 0 along the dims where it has size 1 (or none). */
#include "core/internal.h"
#include "nabla/ops.h"
#include "ops/broadcast.h"

bool nb__broadcast_shape(const char *op, const nb_tensor *a, const nb_tensor *b, int *ndim, int64_t *shape) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[96], sb[96];
            nb_fail(NB_ESHAPE, "%s: shapes %s and %s do not broadcast", op, nb_shape_str(a, sa, sizeof sa),
                    nb_shape_str(b, sb, sizeof sb));
            return false;
        }
        shape[i] = da == 1 ? db : da;
    }
    *ndim = nd;
    return true;
}

void nb__bstrides(int ndim, const int64_t *shape, int n, const int64_t *s, int64_t *st) {
    int64_t acc = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        int j = i - (ndim - n);
        st[i] = (j >= 0 && s[j] == shape[i] && s[j] != 1) ? acc : 0;
        if (j >= 0) acc *= s[j];
    }
}

void nb__rows_begin(nb_rows *r, int ndim, const int64_t *shape) {
    memset(r, 0, sizeof *r);
    /* A scalar is one row of one element. */
    r->nd = ndim ? ndim : 1;
    for (int i = 0; i < r->nd; i++) r->shape[i] = ndim ? shape[i] : 1;
    r->len = r->shape[r->nd - 1];
    r->rows = 1;
    for (int i = 0; i < r->nd - 1; i++) r->rows *= r->shape[i];
}

void nb__rows_next(nb_rows *r) {
    for (int d = r->nd - 2; d >= 0; d--) {
        for (int k = 0; k < 2; k++) r->off[k] += r->st[k][d];
        if (++r->idx[d] < r->shape[d]) return;
        for (int k = 0; k < 2; k++) r->off[k] -= r->st[k][d] * r->shape[d];
        r->idx[d] = 0;
    }
}

void nb__unbroadcast_add(nb_dtype dt, void *dst, int dndim, const int64_t *dshape,
                         const void *src, int sndim, const int64_t *sshape, double scale) {
    int64_t dn = nb__numel(dndim, dshape), sn = nb__numel(sndim, sshape);
    NB_DISPATCH(dt, T, {
        T *d = dst;
        const T *s = src;
        const T k = (T)scale;
        if (dn == sn) { /* nothing was broadcast */
            for (int64_t i = 0; i < sn; i++) d[i] += k * s[i];
        } else if (dn == 1) { /* everything was */
            double acc = 0;
            for (int64_t i = 0; i < sn; i++) acc += s[i];
            d[0] += (T)(scale * acc);
        } else {
            nb_rows r;
            nb__rows_begin(&r, sndim, sshape);
            nb__bstrides(r.nd, r.shape, dndim, dshape, r.st[0]);
            int64_t ds = r.st[0][r.nd - 1];
            for (int64_t row = 0; row < r.rows; row++, nb__rows_next(&r)) {
                const T *srow = s + row * r.len;
                T *drow = d + r.off[0];
                if (ds) for (int64_t i = 0; i < r.len; i++) drow[i] += k * srow[i];
                else {
                    T acc = 0;
                    for (int64_t i = 0; i < r.len; i++) acc += srow[i];
                    drow[0] += k * acc;
                }
            }
        }
    });
}

void nb__broadcast_add(nb_dtype dt, void *dst, int dndim, const int64_t *dshape,
                       const void *src, int sndim, const int64_t *sshape, double scale) {
    NB_DISPATCH(dt, T, {
        T *d = dst;
        const T *s = src;
        const T k = (T)scale;
        nb_rows r;
        nb__rows_begin(&r, dndim, dshape);
        nb__bstrides(r.nd, r.shape, sndim, sshape, r.st[0]);
        int64_t ss = r.st[0][r.nd - 1];
        for (int64_t row = 0; row < r.rows; row++, nb__rows_next(&r)) {
            T *drow = d + row * r.len;
            const T *srow = s + r.off[0];
            for (int64_t i = 0; i < r.len; i++) drow[i] += k * srow[i * ss];
        }
    });
}
