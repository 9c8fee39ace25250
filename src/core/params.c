/* Parameters: a model's tensors in one flat value buffer and one flat
 * gradient buffer, so that zero_grad, an optimizer step and save/load are
 * single loops over contiguous memory. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct nb_params {
    nb_dtype dtype;
    bool replica;        /* values borrowed from another nb_params; own gradients */
    int count, cap;
    nb_tensor **tensors; /* each with a heap struct pointing into the buffers */
    char **names;
    int64_t *offsets;
    int64_t numel;
    void *data, *grad;
};

enum { PARAM_ALIGN = 64 };

nb_params *nb_params_new(nb_dtype dt) {
    if (dt != NB_F32 && dt != NB_F64) {
        nb_fail(NB_EDTYPE, "nb_params_new: unknown dtype %d", (int)dt);
        return NULL;
    }
    nb_params *p = calloc(1, sizeof *p);
    if (!p) {
        nb_fail(NB_ENOMEM, "nb_params_new: out of memory");
        return NULL;
    }
    p->dtype = dt;
    return p;
}

void nb_params_free(nb_params *p) {
    if (!p) return;
    for (int i = 0; i < p->count; i++) {
        free(p->tensors[i]->grad);
        free(p->tensors[i]);
        free(p->names[i]);
    }
    free(p->tensors);
    free(p->names);
    free(p->offsets);
    if (!p->replica) free(p->data);
    free(p->grad);
    free(p);
}

/* Grows a buffer to bytes (zeroing the new tail), keeping it 64-byte aligned. */
static void *grow(void *old, size_t old_bytes, size_t bytes) {
    size_t alloc = (bytes + PARAM_ALIGN - 1) / PARAM_ALIGN * PARAM_ALIGN;
    void *b = aligned_alloc(PARAM_ALIGN, alloc ? alloc : PARAM_ALIGN);
    if (!b) return NULL;
    if (old) memcpy(b, old, old_bytes);
    memset((char *)b + old_bytes, 0, alloc - old_bytes);
    return b;
}

static void repoint(nb_params *p) {
    size_t es = nb_dtype_size(p->dtype);
    for (int i = 0; i < p->count; i++) {
        p->tensors[i]->data = (char *)p->data + (size_t)p->offsets[i] * es;
        p->tensors[i]->grad->data = (char *)p->grad + (size_t)p->offsets[i] * es;
    }
}

nb_tensor *nb_params_add(nb_params *p, const char *name, int ndim, const int64_t *shape) {
    if (!p || !name) {
        nb_fail(NB_EINVAL, "nb_params_add: NULL %s", p ? "name" : "params");
        return NULL;
    }
    if (p->replica) {
        nb_fail(NB_EINVAL, "nb_params_add: '%s': a replica cannot grow", name);
        return NULL;
    }
    for (int i = 0; i < p->count; i++)
        if (strcmp(p->names[i], name) == 0) {
            nb_fail(NB_EINVAL, "nb_params_add: a parameter named '%s' exists already", name);
            return NULL;
        }
    nb_tensor *t = nb_tensor_new(p->dtype, ndim, shape); /* validates the shape */
    if (!t) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", nb_errmsg());
        const char *colon = strchr(msg, ':');
        nb_fail(nb_errcode(), "nb_params_add: '%s'%s", name, colon ? colon : msg);
        return NULL;
    }
    free(t->data);
    t->data = NULL;
    nb_tensor *g = calloc(1, sizeof *g);
    char *nm = malloc(strlen(name) + 1);
    if (p->count == p->cap) {
        int cap = p->cap ? 2 * p->cap : 16;
        nb_tensor **ts = realloc(p->tensors, (size_t)cap * sizeof *ts);
        if (ts) p->tensors = ts;
        char **ns = realloc(p->names, (size_t)cap * sizeof *ns);
        if (ns) p->names = ns;
        int64_t *os = realloc(p->offsets, (size_t)cap * sizeof *os);
        if (os) p->offsets = os;
        if (ts && ns && os) p->cap = cap;
    }
    /* Each tensor starts on a 64-byte boundary, for aligned kernels. */
    size_t es = nb_dtype_size(p->dtype);
    int64_t align = PARAM_ALIGN / (int64_t)es;
    int64_t off = (p->numel + align - 1) / align * align;
    int64_t numel = off + t->numel;
    void *data = NULL, *grad = NULL;
    if (g && nm && p->count < p->cap) {
        data = grow(p->data, (size_t)p->numel * es, (size_t)numel * es);
        grad = grow(p->grad, (size_t)p->numel * es, (size_t)numel * es);
    }
    if (!data || !grad) {
        free(data);
        free(grad);
        free(g);
        free(nm);
        free(t);
        nb_fail(NB_ENOMEM, "nb_params_add: out of memory adding '%s'", name);
        return NULL;
    }
    free(p->data);
    free(p->grad);
    p->data = data;
    p->grad = grad;
    memcpy(nm, name, strlen(name) + 1);
    *g = *t;
    g->grad = NULL;
    g->flags = NB_TF_PARAM;
    t->flags = NB_TF_PARAM;
    t->grad = g;
    t->requires_grad = true;
    p->tensors[p->count] = t;
    p->names[p->count] = nm;
    p->offsets[p->count] = off;
    p->count++;
    p->numel = numel;
    repoint(p);
    return t;
}

int nb_params_count(const nb_params *p) { return p ? p->count : 0; }
nb_tensor *nb_params_tensor(const nb_params *p, int i) {
    return p && i >= 0 && i < p->count ? p->tensors[i] : NULL;
}
const char *nb_params_name(const nb_params *p, int i) {
    return p && i >= 0 && i < p->count ? p->names[i] : NULL;
}
nb_dtype nb_params_dtype(const nb_params *p) { return p ? p->dtype : NB_F32; }
int64_t nb_params_numel(const nb_params *p) { return p ? p->numel : 0; }
void *nb_params_data(nb_params *p) { return p ? p->data : NULL; }
void *nb_params_grad(nb_params *p) { return p ? p->grad : NULL; }

void nb_params_zero_grad(nb_params *p) {
    if (p && p->grad) memset(p->grad, 0, (size_t)p->numel * nb_dtype_size(p->dtype));
}

nb_params *nb_params_replica(nb_params *src) {
    if (!src) {
        nb_fail(NB_EINVAL, "nb_params_replica: NULL params");
        return NULL;
    }
    nb_params *r = nb_params_new(src->dtype);
    for (int i = 0; r && i < src->count; i++) {
        const nb_tensor *t = src->tensors[i];
        if (!nb_params_add(r, src->names[i], t->ndim, t->shape)) {
            nb_params_free(r);
            r = NULL;
        }
    }
    if (!r) return NULL;
    /* The same layout, so the values are src's own buffer. */
    free(r->data);
    r->data = src->data;
    r->replica = true;
    repoint(r);
    return r;
}
