/* The sharpness followed through training: the top eigenvalue of the loss
 * Hessian on a fixed subset, by Lanczos warm-started from the last
 * measurement's eigenvector (the Hessian moves little between measurements,
 * so a few steps suffice where a cold start needs many). */
#include <stdlib.h>

#include "core/internal.h"
#include "nabla/curvature.h"

enum { COLD_ITERS = 30, WARM_ITERS = 10, CHUNK = 256 };

nb_status nb_sharpness_init(nb_sharpness *s, nb_model *m, const nb_dataset *ds, const nb_norm *norm, int64_t samples,
                            uint64_t seed) {
    if (!s) return nb_fail(NB_EINVAL, "nb_sharpness_init: NULL");
    *s = (nb_sharpness){0};
    if (!m || !ds) return nb_fail(NB_EINVAL, "nb_sharpness_init: NULL model or data");
    if (samples < 1 || samples > ds->n)
        return nb_fail(NB_EINVAL, "nb_sharpness_init: %lld samples, the data has %lld", (long long)samples, (long long)ds->n);
    int64_t d = (int64_t)ds->rows * ds->cols;
    nb_status st = NB_OK;
    /* a replica: the model's weights, gradients of its own (a step's are left alone) */
    if (!(s->replica = nb_model_replica(m)) || !(s->x = nb_tensor_new(NB_F32, NB_SHAPE(samples, d))) ||
        !(s->labels = malloc((size_t)samples * sizeof *s->labels)))
        st = nb_errcode() ? nb_errcode() : nb_fail(NB_ENOMEM, "nb_sharpness_init: out of memory");
    if (!st) {
        nb_dataset_gather(ds, NULL, 0, samples, norm, s->x->data, s->labels);
        st = nb_model_hessian_init(&s->h, s->replica, s->x, s->labels, NB_LOSS_XENT, CHUNK);
    }
    if (!st && !(s->v = malloc((size_t)nb_model_hessian_op(&s->h).n * sizeof *s->v)))
        st = nb_fail(NB_ENOMEM, "nb_sharpness_init: out of memory");
    if (st) {
        nb_sharpness_free(s);
        return st;
    }
    nb_rng rng;
    nb_rng_seed(&rng, seed);
    nb_rng_normals(&rng, nb_model_hessian_op(&s->h).n, s->v);
    return NB_OK;
}

nb_status nb_sharpness_measure(nb_sharpness *s, double *top) {
    if (!s || !s->v || !top) return nb_fail(NB_EINVAL, "nb_sharpness_measure: NULL (or an uninitialised tracker)");
    nb_linop H = nb_model_hessian_op(&s->h);
    nb_status st = nb_lanczos_warm(&H, s->measured ? WARM_ITERS : COLD_ITERS, s->v, top);
    if (!st) s->measured++;
    return st;
}

void nb_sharpness_free(nb_sharpness *s) {
    if (!s) return;
    nb_model_hessian_free(&s->h);
    nb_model_free(s->replica);
    nb_tensor_free(s->x);
    free(s->labels);
    free(s->v);
    *s = (nb_sharpness){0};
}
