/* Tensors: creation in an arena or on the heap, element access, printing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

int64_t nb__numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

const char *nb__shape_str(int ndim, const int64_t *shape, char *buf, size_t n) {
    size_t at = 0;
    at += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < ndim && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (at < n) snprintf(buf + at, n - at, ")");
    return buf;
}

const char *nb_shape_str(const nb_tensor *t, char *buf, size_t n) {
    if (!t) {
        snprintf(buf, n, "(null)");
        return buf;
    }
    return nb__shape_str(t->ndim, t->shape, buf, n);
}

/* Checks a shape and returns its element count, or -1 with an error. */
static int64_t check_shape(const char *fn, nb_dtype dt, int ndim, const int64_t *shape) {
    if (dt != NB_F32 && dt != NB_F64) {
        nb_fail(NB_EDTYPE, "%s: unknown dtype %d", fn, (int)dt);
        return -1;
    }
    if (ndim < 0 || ndim > NB_MAX_DIMS || (ndim > 0 && !shape)) {
        nb_fail(NB_EINVAL, "%s: %d dimensions (0 to %d allowed)", fn, ndim, NB_MAX_DIMS);
        return -1;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && n > INT64_MAX / 16 / shape[i])) {
            nb_fail(NB_EINVAL, "%s: bad dimension %lld", fn, (long long)shape[i]);
            return -1;
        }
        n *= shape[i];
    }
    return n;
}

/* An uninitialised tensor in ctx's arena, or on the heap when ctx is NULL. */
static nb_tensor *tensor_alloc(nb_ctx *ctx, const char *fn, nb_dtype dt, int ndim, const int64_t *shape, bool zero) {
    int64_t n = check_shape(fn, dt, ndim, shape);
    if (n < 0) return NULL;
    size_t bytes = (size_t)n * nb_dtype_size(dt);
    nb_tensor *t;
    if (ctx) {
        t = nb__alloc(ctx, sizeof *t, true);
        if (!t) return NULL;
        t->data = nb__alloc(ctx, bytes ? bytes : 1, zero);
        if (!t->data) return NULL;
        t->ctx = ctx;
    } else {
        t = calloc(1, sizeof *t);
        void *data = zero ? calloc(bytes ? bytes : 1, 1) : malloc(bytes ? bytes : 1);
        if (!t || !data) {
            free(t);
            free(data);
            nb_fail(NB_ENOMEM, "%s: out of memory for %lld elements", fn, (long long)n);
            return NULL;
        }
        t->data = data;
        t->flags = NB_TF_HEAP;
    }
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->numel = n;
    return t;
}

nb_tensor *nb_tensor_new(nb_dtype dt, int ndim, const int64_t *shape) {
    return tensor_alloc(NULL, "nb_tensor_new", dt, ndim, shape, true);
}

void nb_tensor_free(nb_tensor *t) {
    if (!t || !(t->flags & NB_TF_HEAP)) return;
    if (t->grad && (t->grad->flags & NB_TF_HEAP)) nb_tensor_free(t->grad);
    free(t->data);
    free(t);
}

nb_tensor *nb_zeros(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape) {
    return tensor_alloc(ctx, "nb_zeros", dt, ndim, shape, true);
}

static nb_tensor *full(nb_ctx *ctx, const char *fn, nb_dtype dt, int ndim, const int64_t *shape, double value) {
    nb_tensor *t = tensor_alloc(ctx, fn, dt, ndim, shape, false);
    if (!t) return NULL;
    NB_DISPATCH(dt, T, {
        T *d = t->data;
        for (int64_t i = 0; i < t->numel; i++) d[i] = (T)value;
    });
    return t;
}

nb_tensor *nb_full(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape, double value) {
    return full(ctx, "nb_full", dt, ndim, shape, value);
}

nb_tensor *nb_ones(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape) {
    return full(ctx, "nb_ones", dt, ndim, shape, 1.0);
}

nb_tensor *nb_scalar(nb_ctx *ctx, nb_dtype dt, double value) { return full(ctx, "nb_scalar", dt, 0, NULL, value); }

nb_tensor *nb_from_buffer(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape, const void *buf) {
    if (!buf) {
        nb_fail(NB_EINVAL, "nb_from_buffer: NULL buffer");
        return NULL;
    }
    nb_tensor *t = tensor_alloc(ctx, "nb_from_buffer", dt, ndim, shape, false);
    if (t) memcpy(t->data, buf, (size_t)t->numel * nb_dtype_size(dt));
    return t;
}

nb_tensor *nb_arange(nb_ctx *ctx, nb_dtype dt, int64_t n) {
    nb_tensor *t = tensor_alloc(ctx, "nb_arange", dt, 1, &n, false);
    if (!t) return NULL;
    NB_DISPATCH(dt, T, {
        T *d = t->data;
        for (int64_t i = 0; i < n; i++) d[i] = (T)i;
    });
    return t;
}

nb_tensor *nb_uniform(nb_ctx *ctx, nb_rng *rng, nb_dtype dt, int ndim, const int64_t *shape, double lo, double hi) {
    if (!rng || !(lo <= hi) || !isfinite(lo) || !isfinite(hi)) {
        nb_fail(NB_EINVAL, "nb_uniform: %s", rng ? "need finite lo <= hi" : "NULL rng");
        return NULL;
    }
    nb_tensor *t = tensor_alloc(ctx, "nb_uniform", dt, ndim, shape, false);
    if (!t) return NULL;
    NB_DISPATCH(dt, T, {
        T *d = t->data;
        for (int64_t i = 0; i < t->numel; i++) d[i] = (T)(lo + (hi - lo) * nb_rng_uniform(rng));
    });
    return t;
}

nb_tensor *nb_normal(nb_ctx *ctx, nb_rng *rng, nb_dtype dt, int ndim, const int64_t *shape, double mean, double std) {
    if (!rng || !(std >= 0) || !isfinite(mean) || !isfinite(std)) {
        nb_fail(NB_EINVAL, "nb_normal: %s", rng ? "need a finite mean and std >= 0" : "NULL rng");
        return NULL;
    }
    nb_tensor *t = tensor_alloc(ctx, "nb_normal", dt, ndim, shape, false);
    if (!t) return NULL;
    NB_DISPATCH(dt, T, {
        T *d = t->data;
        for (int64_t i = 0; i < t->numel; i++) d[i] = (T)(mean + std * nb_rng_normal(rng));
    });
    return t;
}

nb_tensor *nb_copy(nb_ctx *ctx, const nb_tensor *t) {
    if (!t) {
        if (nb_errcode() == NB_OK) nb_fail(NB_EINVAL, "nb_copy: NULL tensor");
        return NULL;
    }
    return nb_from_buffer(ctx, t->dtype, t->ndim, t->shape, t->data);
}

nb_status nb_tensor_requires_grad(nb_tensor *t, bool on) {
    if (!t) return nb_fail(NB_EINVAL, "nb_tensor_requires_grad: NULL tensor");
    if (t->node) return nb_fail(NB_EINVAL, "nb_tensor_requires_grad: only a leaf can be marked (this tensor was made by an op)");
    t->requires_grad = on;
    return NB_OK;
}

void nb_tensor_zero_grad(nb_tensor *t) {
    if (t && t->grad) memset(t->grad->data, 0, (size_t)t->grad->numel * nb_dtype_size(t->dtype));
}

double nb_tensor_get(const nb_tensor *t, int64_t i) {
    if (!t || i < 0 || i >= t->numel) return NAN;
    return t->dtype == NB_F32 ? (double)((const float *)t->data)[i] : ((const double *)t->data)[i];
}

void nb_tensor_set(nb_tensor *t, int64_t i, double v) {
    if (!t || i < 0 || i >= t->numel) return;
    if (t->dtype == NB_F32) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
}

bool nb_shape_equal(const nb_tensor *a, const nb_tensor *b) {
    if (!a || !b || a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

/* Prints dims recursively, eliding the middle of long ones as NumPy does. */
static void print_rec(const nb_tensor *t, int dim, int64_t off, int indent) {
    enum { EDGE = 3 };
    int64_t n = t->shape[dim], stride = 1;
    for (int i = dim + 1; i < t->ndim; i++) stride *= t->shape[i];
    printf("[");
    for (int64_t i = 0; i < n; i++) {
        if (n > 2 * EDGE && i == EDGE) {
            printf(dim == t->ndim - 1 ? "..., " : "...,\n%*s", dim == t->ndim - 1 ? 0 : indent + 1, "");
            i = n - EDGE;
        }
        if (dim == t->ndim - 1) printf("%.6g", nb_tensor_get(t, off + i));
        else print_rec(t, dim + 1, off + i * stride, indent + 1);
        if (i + 1 < n) printf(dim == t->ndim - 1 ? ", " : ",\n%*s", dim == t->ndim - 1 ? 0 : indent + 1, "");
    }
    printf("]");
}

void nb_tensor_print(const nb_tensor *t, const char *name) {
    char buf[128];
    if (!t) {
        printf("%s: (null)\n", name ? name : "tensor");
        return;
    }
    printf("%s %s %s = ", name ? name : "tensor", nb_dtype_name(t->dtype), nb_shape_str(t, buf, sizeof buf));
    if (t->ndim == 0) printf("%.6g", nb_tensor_get(t, 0));
    else if (t->numel == 0) printf("[]");
    else print_rec(t, 0, 0, (int)strlen(name ? name : "tensor") + 4);
    printf("\n");
}
