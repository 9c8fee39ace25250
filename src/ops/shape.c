/* Shape ops. reshape and flatten are free views of the same data; permute
 * and transpose copy into the new order (tensors are always contiguous). */
#include "ops/broadcast.h"
#include "nabla/ops.h"

static void reshape_backward(nb_node *n);
static nb_status reshape_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    return nb__tan_done(nb_reshape(ctx, dt[0], n->out->ndim, n->out->shape), out); /* dy = reshape(dx) */
}
const nb_op nb__op_reshape = {"reshape", reshape_backward, reshape_jvp};

nb_tensor *nb_reshape(nb_ctx *ctx, nb_tensor *x, int ndim, const int64_t *shape) {
    if (!nb__check_inputs(ctx, "reshape", 1, &x)) return NULL;
    if (ndim < 0 || ndim > NB_MAX_DIMS || (ndim && !shape)) {
        nb_fail(NB_EINVAL, "reshape: %d dimensions (0 to %d allowed)", ndim, NB_MAX_DIMS);
        return NULL;
    }
    int64_t s[NB_MAX_DIMS], known = 1;
    int infer = -1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1 && infer < 0) infer = i;
        else if (s[i] < 0) {
            nb_fail(NB_EINVAL, "reshape: bad dimension %lld", (long long)s[i]);
            return NULL;
        } else known *= s[i];
    }
    if (infer >= 0) s[infer] = known ? x->numel / known : 0;
    char sx[96], sn[96];
    if (nb__numel(ndim, s) != x->numel) {
        nb_fail(NB_ESHAPE, "reshape: cannot view %s (%lld elements) as %s", nb_shape_str(x, sx, sizeof sx),
                (long long)x->numel, nb__shape_str(ndim, s, sn, sizeof sn));
        return NULL;
    }
    /* A view: the output header only, pointing at x's data. */
    bool want = ctx->grad_enabled && x->requires_grad;
    nb_tensor *y = nb__alloc(ctx, sizeof *y, true);
    if (!y) return NULL;
    *y = (nb_tensor){.dtype = x->dtype, .ndim = ndim, .numel = x->numel, .data = x->data, .ctx = ctx,
                     .flags = NB_TF_VIEW};
    memcpy(y->shape, s, (size_t)ndim * sizeof *s);
    if (want) {
        nb_node *node = nb__alloc(ctx, sizeof *node, true);
        if (!node) return NULL;
        *node = (nb_node){.op = &nb__op_reshape, .out = y, .in = {x}, .nin = 1, .prev = ctx->tape};
        ctx->tape = node;
        y->node = node;
        y->requires_grad = true;
    }
    return y;
}

/* y = reshape(x): dx = reshape(g) back to x's shape (the same elements in order) */
static void reshape_backward(nb_node *n) {
    nb_tensor *x = n->in[0];
    if (!x->requires_grad) return;
    void *gx = nb__grad(nb__ctx(n), x);
    if (gx) nb__unbroadcast_add(x->dtype, gx, 1, &x->numel, n->out->grad->data, 1, &x->numel, 1.0);
}

nb_tensor *nb_flatten(nb_ctx *ctx, nb_tensor *x) {
    if (!nb__check_inputs(ctx, "flatten", 1, &x)) return NULL;
    if (x->ndim < 1) {
        nb_fail(NB_ESHAPE, "flatten: needs a batch dimension, got a scalar");
        return NULL;
    }
    return nb_reshape(ctx, x, NB_SHAPE(x->shape[0], -1));
}

static void permute_backward(nb_node *n);
static nb_status permute_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    int perm[NB_MAX_DIMS];
    for (int i = 0; i < n->out->ndim; i++) perm[i] = (int)n->i[i];
    return nb__tan_done(nb_permute(ctx, dt[0], perm), out); /* dy = permute(dx, p) */
}
const nb_op nb__op_permute = {"permute", permute_backward, permute_jvp};

/* dst[j] for j over dst's shape = src at the permuted index; add or assign. */
static void permute_copy(nb_dtype dt, const nb_tensor *src, const int64_t *perm, void *dst, bool add, bool inverse) {
    int nd = src->ndim;
    int64_t sst[NB_MAX_DIMS], dshape[NB_MAX_DIMS] = {0}, st[NB_MAX_DIMS] = {0};
    int64_t acc = 1;
    for (int i = nd - 1; i >= 0; i--) {
        sst[i] = acc;
        acc *= src->shape[i];
    }
    /* Forward: dst dim i is src dim perm[i]. Inverse: dst dim perm[i] is src dim i. */
    for (int i = 0; i < nd; i++) {
        if (!inverse) {
            dshape[i] = src->shape[perm[i]];
            st[i] = sst[perm[i]];
        } else {
            dshape[perm[i]] = src->shape[i];
            st[perm[i]] = sst[i];
        }
    }
    nb_rows r;
    nb__rows_begin(&r, nd, dshape);
    for (int i = 0; i < nd; i++) r.st[0][i] = st[i];
    int64_t s = nd ? st[nd - 1] : 1;
    NB_DISPATCH(dt, T, {
        const T *ps = src->data;
        T *pd = dst;
        for (int64_t row = 0; row < r.rows; row++, nb__rows_next(&r)) {
            T *drow = pd + row * r.len;
            const T *srow = ps + r.off[0];
            if (add) for (int64_t i = 0; i < r.len; i++) drow[i] += srow[i * s];
            else for (int64_t i = 0; i < r.len; i++) drow[i] = srow[i * s];
        }
    });
}

nb_tensor *nb_permute(nb_ctx *ctx, nb_tensor *x, const int *perm) {
    if (!nb__check_inputs(ctx, "permute", 1, &x)) return NULL;
    if (!perm && x->ndim) {
        nb_fail(NB_EINVAL, "permute: NULL permutation");
        return NULL;
    }
    bool seen[NB_MAX_DIMS] = {false};
    int64_t p[NB_MAX_DIMS], shape[NB_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) {
        int a;
        if (!nb__axis("permute", x->ndim, perm[i], &a)) return NULL;
        if (seen[a]) {
            nb_fail(NB_EINVAL, "permute: axis %d appears twice", perm[i]);
            return NULL;
        }
        seen[a] = true;
        p[i] = a;
        shape[i] = x->shape[a];
    }
    nb_tensor *y = nb__op_out(ctx, &nb__op_permute, x->dtype, x->ndim, shape, 1, &x);
    if (!y) return NULL;
    if (y->node) memcpy(y->node->i, p, sizeof p);
    permute_copy(x->dtype, x, p, y->data, false, false);
    return y;
}

/* y = permute(x, p): dx = permute(g, p^-1) */
static void permute_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *gx = nb__grad(nb__ctx(n), x);
    if (!gx) return;
    nb_tensor g = *y->grad;
    memcpy(g.shape, y->shape, sizeof g.shape);
    g.ndim = y->ndim;
    permute_copy(x->dtype, &g, n->i, gx, true, true);
}

nb_tensor *nb_transpose(nb_ctx *ctx, nb_tensor *x) {
    if (!nb__check_inputs(ctx, "transpose", 1, &x)) return NULL;
    if (x->ndim < 2) {
        char s[96];
        nb_fail(NB_ESHAPE, "transpose: needs at least 2 dimensions, got %s", nb_shape_str(x, s, sizeof s));
        return NULL;
    }
    int perm[NB_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) perm[i] = i;
    perm[x->ndim - 2] = x->ndim - 1;
    perm[x->ndim - 1] = x->ndim - 2;
    return nb_permute(ctx, x, perm);
}

/* ---- gather: y[j] = src[idx[j]] ---------------------------------------------
 * Internal (forward mode picks a tangent at a max's or a pool's argmax with
 * it); the flat indices are copied into the arena and kept for the backward. */
static void gather_backward(nb_node *n);
/* y = src[idx]: dy = d src[idx], the same gather */
static nb_status gather_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    return nb__tan_done(nb__gather(ctx, dt[0], n->out->ndim, n->out->shape, n->saved), out);
}
const nb_op nb__op_gather = {"gather", gather_backward, gather_jvp};

nb_tensor *nb__gather(nb_ctx *ctx, nb_tensor *src, int ndim, const int64_t *shape, const int64_t *idx) {
    if (!nb__check_inputs(ctx, "gather", 1, &src)) return NULL;
    int64_t n = nb__numel(ndim, shape);
    for (int64_t j = 0; j < n; j++)
        if (idx[j] < 0 || idx[j] >= src->numel) {
            nb_fail(NB_EINVAL, "gather: index %lld is outside [0, %lld)", (long long)idx[j], (long long)src->numel);
            return NULL;
        }
    nb_tensor *y = nb__op_out(ctx, &nb__op_gather, src->dtype, ndim, shape, 1, &src);
    if (!y) return NULL;
    if (y->node) {
        int64_t *keep = nb__alloc(ctx, (size_t)(n ? n : 1) * sizeof *keep, false);
        if (!keep) return NULL;
        memcpy(keep, idx, (size_t)n * sizeof *keep);
        y->node->saved = keep;
    }
    NB_DISPATCH(src->dtype, T, {
        const T *s = src->data;
        T *d = y->data;
        for (int64_t j = 0; j < n; j++) d[j] = s[idx[j]];
    });
    return y;
}

/* y = src[idx]: d src[idx[j]] += g[j] (repeated indices add) */
static void gather_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *gx = nb__grad(nb__ctx(n), x);
    if (!gx) return;
    const int64_t *idx = n->saved;
    NB_DISPATCH(x->dtype, T, {
        T *d = gx;
        const T *g = y->grad->data;
        for (int64_t j = 0; j < y->numel; j++) d[idx[j]] += g[j];
    });
}
