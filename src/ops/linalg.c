/* Products: matmul (2-D, batched with broadcast batch dims, 1-D operands as in
 * NumPy) and the linear layers. Every product goes through nb_gemm. */
#include "core/team.h"
#include "kernels/kernels.h"
#include "ops/broadcast.h"
#include "nabla/ops.h"

static void matmul_backward(nb_node *n);
/* C = A B: dC = dA B + A dB */
static nb_status matmul_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    nb_tensor *t = nb__tan_add(ctx, dt[0] ? nb_matmul(ctx, dt[0], n->in[1]) : NULL,
                               dt[1] ? nb_matmul(ctx, n->in[0], dt[1]) : NULL);
    return nb__tan_done(t ? nb__tan_expand(ctx, t, n->out->ndim, n->out->shape) : NULL, out);
}
const nb_op nb__op_matmul = {"matmul", matmul_backward, matmul_jvp};

/* a (..., m, k) and b (..., k, n) seen as 2-D matrices per batch element. */
typedef struct mm_plan {
    int64_t m, k, n, batch;
    int nb;                                  /* batch dims */
    int64_t bshape[NB_MAX_DIMS];             /* broadcast batch shape */
    int64_t ast[NB_MAX_DIMS], bst[NB_MAX_DIMS]; /* batch strides of a and b, in matrices */
} mm_plan;

static bool mm_plan_make(const nb_tensor *a, const nb_tensor *b, mm_plan *p, int *ndim, int64_t *shape) {
    char sa[96], sb[96];
    if (a->ndim == 0 || b->ndim == 0) {
        nb_fail(NB_ESHAPE, "matmul: shapes %s and %s: operands must have at least one dimension",
                nb_shape_str(a, sa, sizeof sa), nb_shape_str(b, sb, sizeof sb));
        return false;
    }
    int64_t am = a->ndim == 1 ? 1 : a->shape[a->ndim - 2], ak = a->shape[a->ndim - 1];
    int64_t bk = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2], bn = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    if (ak != bk) {
        nb_fail(NB_ESHAPE, "matmul: shapes %s and %s do not align", nb_shape_str(a, sa, sizeof sa),
                nb_shape_str(b, sb, sizeof sb));
        return false;
    }
    int na = a->ndim > 2 ? a->ndim - 2 : 0, nbb = b->ndim > 2 ? b->ndim - 2 : 0;
    p->nb = na > nbb ? na : nbb;
    p->m = am, p->k = ak, p->n = bn, p->batch = 1;
    for (int i = 0; i < p->nb; i++) {
        int ia = i - (p->nb - na), ib = i - (p->nb - nbb);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            nb_fail(NB_ESHAPE, "matmul: batch dims of %s and %s do not broadcast", nb_shape_str(a, sa, sizeof sa),
                    nb_shape_str(b, sb, sizeof sb));
            return false;
        }
        p->bshape[i] = da == 1 ? db : da;
        p->batch *= p->bshape[i];
    }
    nb__bstrides(p->nb, p->bshape, na, a->shape, p->ast);
    nb__bstrides(p->nb, p->bshape, nbb, b->shape, p->bst);
    int nd = 0;
    for (int i = 0; i < p->nb; i++) shape[nd++] = p->bshape[i];
    if (a->ndim > 1) shape[nd++] = am;
    if (b->ndim > 1) shape[nd++] = bn;
    *ndim = nd;
    return true;
}

/* The matrix offsets (in matrices) of a and b for batch element t. */
static void mm_offsets(const mm_plan *p, int64_t t, int64_t *oa, int64_t *ob) {
    *oa = *ob = 0;
    for (int i = p->nb - 1; i >= 0; i--) {
        int64_t idx = t % p->bshape[i];
        t /= p->bshape[i];
        *oa += idx * p->ast[i];
        *ob += idx * p->bst[i];
    }
}

nb_tensor *nb_matmul(nb_ctx *ctx, nb_tensor *a, nb_tensor *b) {
    nb_tensor *in[2] = {a, b};
    if (!nb__check_inputs(ctx, "matmul", 2, in)) return NULL;
    mm_plan p;
    int nd;
    int64_t shape[NB_MAX_DIMS];
    if (!mm_plan_make(a, b, &p, &nd, shape)) return NULL;
    nb_tensor *c = nb__op_out(ctx, &nb__op_matmul, a->dtype, nd, shape, 2, in);
    if (!c) return NULL;
    size_t es = nb_dtype_size(a->dtype);
    for (int64_t t = 0; t < p.batch; t++) {
        int64_t oa, ob;
        mm_offsets(&p, t, &oa, &ob);
        /* C_t (m,n) = A_t (m,k) B_t (k,n) */
        if (nb__gemm(ctx, a->dtype, false, false, p.m, p.n, p.k, 1.0, (char *)a->data + (size_t)(oa * p.m * p.k) * es,
                     p.k, (char *)b->data + (size_t)(ob * p.k * p.n) * es, p.n, 0.0,
                     (char *)c->data + (size_t)(t * p.m * p.n) * es, p.n, NULL, NB_SPLIT_AUTO))
            return NULL;
    }
    return c;
}

/* C = A B: dA = g B^T, dB = A^T g (summed over the batch elements that share
 * an operand, which is its un-broadcast) */
static void matmul_backward(nb_node *n) {
    nb_ctx *ctx = nb__ctx(n);
    nb_tensor *a = n->in[0], *b = n->in[1], *c = n->out;
    mm_plan p;
    int nd;
    int64_t shape[NB_MAX_DIMS];
    mm_plan_make(a, b, &p, &nd, shape);
    size_t es = nb_dtype_size(a->dtype);
    void *ga = a->requires_grad ? nb__grad(ctx, a) : NULL;
    void *gb = b->requires_grad ? nb__grad(ctx, b) : NULL;
    if ((a->requires_grad && !ga) || (b->requires_grad && !gb)) return;
    for (int64_t t = 0; t < p.batch; t++) {
        int64_t oa, ob;
        mm_offsets(&p, t, &oa, &ob);
        const char *g = (const char *)c->grad->data + (size_t)(t * p.m * p.n) * es;
        /* a failure is ctx's: the reverse pass stops after this node */
        if (ga && nb__gemm(ctx, a->dtype, false, true, p.m, p.k, p.n, 1.0, g, p.n,
                           (char *)b->data + (size_t)(ob * p.k * p.n) * es, p.n, 1.0,
                           (char *)ga + (size_t)(oa * p.m * p.k) * es, p.k, NULL, NB_SPLIT_AUTO))
            return;
        if (gb && nb__gemm(ctx, a->dtype, true, false, p.k, p.n, p.m, 1.0, (char *)a->data + (size_t)(oa * p.m * p.k) * es,
                           p.k, g, p.n, 1.0, (char *)gb + (size_t)(ob * p.k * p.n) * es, p.n, NULL, NB_SPLIT_AUTO))
            return;
    }
}

/* ---- linear layers: y = x W + b, optionally through ReLU --------------------
 * x (N,K), W (K,M), b (M). The bias and the ReLU ride in the GEMM's epilogue,
 * so the output is written once. Where they can, the products cut W between
 * threads by its rows, forward (along the GEMM's K) and backward (dW's rows)
 * alike: a trainer that updates the same rows on the same thread (see
 * nn/train.c) keeps each weight in one core's cache. */

static void linear_backward(nb_node *n);
/* y = relu(z), z = x W + b: dz = dx W + x dW + db (x dW + db as one linear
 * when both are there); dy = dz [y > 0], the mask a constant */
static nb_status linear_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    nb_tensor *x = n->in[0], *w = n->in[1], *y = n->out;
    nb_tensor *t = dt[0] ? nb_matmul(ctx, dt[0], w) : NULL;
    if (dt[1]) t = nb__tan_add(ctx, t, dt[2] ? nb_linear(ctx, x, dt[1], dt[2]) : nb_matmul(ctx, x, dt[1]));
    else if (dt[2]) t = nb__tan_add(ctx, t, dt[2]);
    if (t) t = nb__tan_expand(ctx, t, y->ndim, y->shape);
    if (t && n->i[0]) t = nb_mul(ctx, t, nb__mask_pos(ctx, y, false));
    return nb__tan_done(t, out);
}
const nb_op nb__op_linear = {"linear", linear_backward, linear_jvp},
            nb__op_linear_relu = {"linear_relu", linear_backward, linear_jvp};

static nb_tensor *linear(nb_ctx *ctx, const nb_op *op, nb_tensor *x, nb_tensor *w, nb_tensor *b, bool relu) {
    nb_tensor *in[3] = {x, w, b};
    if (!nb__check_inputs(ctx, op->name, 3, in)) return NULL;
    char sx[96], sw[96], sb[96];
    if (x->ndim != 2 || w->ndim != 2 || b->ndim != 1 || x->shape[1] != w->shape[0] || b->shape[0] != w->shape[1]) {
        nb_fail(NB_ESHAPE, "%s: x %s, W %s and b %s do not fit (want (N,K), (K,M), (M))", op->name,
                nb_shape_str(x, sx, sizeof sx), nb_shape_str(w, sw, sizeof sw), nb_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    int64_t N = x->shape[0], K = x->shape[1], M = w->shape[1];
    nb_tensor *y = nb__op_out(ctx, op, x->dtype, NB_SHAPE(N, M), 3, in);
    if (!y) return NULL;
    if (y->node) y->node->i[0] = relu;
    nb_epilogue ep = {.bias = b->data, .relu = relu};
    /* along K (the weight's rows) when the caller keeps each row on one thread */
    nb_gemm_axis axis = ctx->plan == NB_PLAN_WEIGHT_ROWS ? NB_SPLIT_K : NB_SPLIT_AUTO;
    if (nb__gemm(ctx, x->dtype, false, false, N, M, K, 1.0, x->data, K, w->data, M, 0.0, y->data, M, &ep, axis))
        return NULL;
    return y;
}

nb_tensor *nb_linear(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b) {
    return linear(ctx, &nb__op_linear, x, w, b, false);
}

nb_tensor *nb_linear_relu(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b) {
    return linear(ctx, &nb__op_linear_relu, x, w, b, true);
}

/* Blocks of dW as the product finishes them, to the ready hook. */
typedef struct rows_ready {
    nb_ctx *ctx;
    nb_tensor *w;
} rows_ready;

static void rows_ready_fn(void *user, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    rows_ready *r = user;
    int64_t M = r->w->shape[1];
    if (j0 == 0 && j1 == M) nb__ready(r->ctx, r->w, i0 * M, i1 * M); /* whole rows: one run */
    else
        for (int64_t i = i0; i < i1; i++) nb__ready(r->ctx, r->w, i * M + j0, i * M + j1);
}

/* The elementwise parts of the backward, cut between a team's threads when
 * the caller leads one (core/team.h): each element's arithmetic, and each
 * bias sum's order (row 0 first), is the same whatever the cut. */
typedef struct lin_bwd {
    nb_dtype dt;
    int64_t N, M;
    const void *g, *y; /* dL/dy, and y */
    void *dz;          /* g where y > 0 */
    void *gb;          /* dL/db += the column sums of dz */
} lin_bwd;

static void mask_rows(void *arg, int64_t lo, int64_t hi) {
    lin_bwd *a = arg;
    NB_DISPATCH(a->dt, T, {
        const T *restrict g = a->g, *restrict py = a->y;
        T *restrict d = a->dz;
        for (int64_t i = lo * a->M; i < hi * a->M; i++) { /* loads outside the select, so it vectorises */
            T gi = g[i], yi = py[i];
            d[i] = yi > 0 ? gi : 0;
        }
    });
}

static void bias_cols(void *arg, int64_t lo, int64_t hi) {
    lin_bwd *a = arg;
    NB_DISPATCH(a->dt, T, {
        const T *restrict d = a->dz;
        T *restrict gb = a->gb;
        for (int64_t i = 0; i < a->N; i++)
            for (int64_t j = lo; j < hi; j++) gb[j] += d[i * a->M + j];
    });
}

/* y = relu(z), z = x W + b: dz = g [y > 0]; dW = x^T dz; db = sum_rows dz; dx = dz W^T */
static void linear_backward(nb_node *n) {
    nb_ctx *ctx = nb__ctx(n);
    nb_tensor *x = n->in[0], *w = n->in[1], *b = n->in[2], *y = n->out;
    int64_t N = x->shape[0], K = x->shape[1], M = w->shape[1];
    lin_bwd a = {y->dtype, N, M, y->grad->data, y->data, y->grad->data, NULL};
    enum { PAR_MIN = 1 << 14 }; /* elements: below this a second thread is not worth waking */
    if (n->i[0]) { /* mask the gradient where the ReLU was off */
        if (!(a.dz = nb__alloc(ctx, (size_t)(N * M) * nb_dtype_size(y->dtype), false))) return;
        nb__team_for(ctx, N, 1, N * M >= PAR_MIN, mask_rows, &a);
    }
    /* dx first: W's rows may be reported ready while dW is computed */
    if (x->requires_grad) {
        double beta;
        void *gx = nb__grad_to_write(ctx, x, &beta);
        if (!gx) return;
        if (nb__gemm(ctx, x->dtype, false, true, N, K, M, 1.0, a.dz, M, w->data, M, beta, gx, K, NULL, NB_SPLIT_AUTO))
            return;
    }
    if (w->requires_grad) {
        void *gw = nb__grad(ctx, w);
        if (!gw) return;
        rows_ready r = {ctx, w};
        nb_epilogue ep = {.done = rows_ready_fn, .user = &r};
        /* by the weight's rows when the caller keeps each row on one thread */
        if (nb__gemm(ctx, x->dtype, true, false, K, M, N, 1.0, x->data, K, a.dz, M, 1.0, gw, M,
                     nb__ready_by_op(ctx, w) ? &ep : NULL, ctx->plan == NB_PLAN_WEIGHT_ROWS ? NB_SPLIT_M : NB_SPLIT_AUTO))
            return;
    }
    if (b->requires_grad) {
        if (!(a.gb = nb__grad(ctx, b))) return;
        nb__team_for(ctx, M, 64 / (int64_t)nb_dtype_size(y->dtype), N * M >= PAR_MIN, bias_cols, &a);
    }
}
