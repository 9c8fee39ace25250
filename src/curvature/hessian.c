/* A model's loss Hessian as an operator: H v by nb_hvp over the data in
 * chunks, the chunks' Hessians weighted by their share of the samples (the
 * loss is a mean). Coordinates are the parameters in nb_params order. */
#include <stdlib.h>

#include "core/internal.h"
#include "nabla/autodiff.h"
#include "nabla/curvature.h"

typedef struct loss_args {
    nb_model *m;
    nb_tensor *x;
    const int32_t *labels;
    nb_loss_kind loss;
} loss_args;

/* The mean loss on a's samples; the inputs are the model's own parameters. */
static nb_tensor *model_loss(nb_ctx *ctx, nb_tensor *const *params, void *user) {
    (void)params;
    const loss_args *a = user;
    nb_tensor *z = nb_model_forward(ctx, a->m, a->x);
    if (!z || a->loss == NB_LOSS_XENT) return z ? nb_softmax_cross_entropy(ctx, z, a->labels) : NULL;
    nb_tensor *t = nb_zeros(ctx, z->dtype, z->ndim, z->shape);
    if (!t) return NULL;
    for (int64_t i = 0; i < z->shape[0]; i++) nb_tensor_set(t, i * z->shape[1] + a->labels[i], 1.0);
    return nb_mse(ctx, z, t);
}

nb_status nb_model_hessian_init(nb_model_hessian *h, nb_model *model, nb_tensor *x, const int32_t *labels,
                                nb_loss_kind loss, int64_t chunk) {
    if (!h) return nb_fail(NB_EINVAL, "nb_model_hessian_init: NULL");
    *h = (nb_model_hessian){0};
    if (!model || !x || !labels) return nb_fail(NB_EINVAL, "nb_model_hessian_init: NULL model, inputs or labels");
    if (x->ndim < 1 || x->shape[0] < 1) return nb_fail(NB_ESHAPE, "nb_model_hessian_init: no samples");
    if (x->dtype != nb_params_dtype(model->params))
        return nb_fail(NB_EDTYPE, "nb_model_hessian_init: inputs %s, model %s", nb_dtype_name(x->dtype),
                       nb_dtype_name(nb_params_dtype(model->params)));
    if (loss != NB_LOSS_XENT && loss != NB_LOSS_MSE) return nb_fail(NB_EINVAL, "nb_model_hessian_init: bad loss %d", (int)loss);
    for (int64_t i = 0; i < x->shape[0]; i++)
        if (labels[i] < 0 || labels[i] >= model->desc.classes)
            return nb_fail(NB_EINVAL, "nb_model_hessian_init: label %d of sample %lld is outside [0, %d)", (int)labels[i],
                           (long long)i, model->desc.classes);
    if (chunk < 0) return nb_fail(NB_EINVAL, "nb_model_hessian_init: chunk %lld < 0", (long long)chunk);
    if (!(h->ctx = nb_ctx_new())) return nb_errcode();
    *h = (nb_model_hessian){model, x, labels, loss, chunk ? chunk : x->shape[0], h->ctx};
    return NB_OK;
}

void nb_model_hessian_free(nb_model_hessian *h) {
    if (!h) return;
    nb_ctx_free(h->ctx);
    *h = (nb_model_hessian){0};
}

nb_status nb_model_hvp(nb_model_hessian *h, const double *v, double *hv, double *loss) {
    if (!h || !h->ctx || !v || !hv) return nb_fail(NB_EINVAL, "nb_model_hvp: NULL argument (or an uninitialised Hessian)");
    nb_params *p = h->model->params;
    int np = nb_params_count(p);
    int64_t N = h->x->shape[0], row = h->x->numel / N;
    nb_dtype dt = nb_params_dtype(p);
    nb_tensor *params[2 * (NB_MAX_HIDDEN + 1)], *tan[2 * (NB_MAX_HIDDEN + 1)];
    for (int i = 0; i < np; i++) params[i] = nb_params_tensor(p, i);
    int64_t n = nb_model_hessian_op(h).n;
    for (int64_t i = 0; i < n; i++) hv[i] = 0;
    double total = 0;
    nb_status st = NB_OK;
    for (int64_t lo = 0; lo < N && !st; lo += h->chunk) {
        int64_t rows = N - lo < h->chunk ? N - lo : h->chunk;
        nb_ctx_reset(h->ctx);
        nb_params_zero_grad(p);
        /* the chunk's rows, a view of x */
        nb_tensor xc = *h->x;
        xc.shape[0] = rows, xc.numel = rows * row, xc.grad = NULL, xc.node = NULL, xc.requires_grad = false;
        xc.data = (char *)h->x->data + (size_t)(lo * row) * nb_dtype_size(dt);
        int64_t off = 0;
        for (int i = 0; i < np && !st; i++) {
            if (!(tan[i] = nb_zeros(h->ctx, dt, params[i]->ndim, params[i]->shape))) st = nb_errcode();
            else NB_DISPATCH(dt, T, {
                    T *d = tan[i]->data;
                    for (int64_t j = 0; j < params[i]->numel; j++) d[j] = (T)v[off + j];
                });
            off += params[i]->numel;
        }
        loss_args a = {h->model, &xc, h->labels + lo, h->loss};
        nb_tensor *L = NULL;
        if (!st) st = nb_hvp(h->ctx, model_loss, &a, np, params, tan, &L);
        if (st) break;
        double w = (double)rows / (double)N;
        total += w * nb_tensor_get(L, 0);
        off = 0;
        for (int i = 0; i < np; i++) {
            NB_DISPATCH(dt, T, {
                const T *g = params[i]->grad->data;
                for (int64_t j = 0; j < params[i]->numel; j++) hv[off + j] += w * (double)g[j];
            });
            off += params[i]->numel;
        }
    }
    nb_params_zero_grad(p);
    nb_ctx_reset(h->ctx);
    if (!st && loss) *loss = total;
    return st;
}

static nb_status apply_model(void *user, const double *v, double *hv) { return nb_model_hvp(user, v, hv, NULL); }

/* The parameters packed one after another (nb_params pads each to 64 bytes). */
nb_linop nb_model_hessian_op(nb_model_hessian *h) {
    int64_t n = 0;
    for (int i = 0; h && h->model && i < nb_params_count(h->model->params); i++) n += nb_params_tensor(h->model->params, i)->numel;
    return (nb_linop){n, apply_model, h};
}
