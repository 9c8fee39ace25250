/* The toy 2-D datasets (nabla/data.h): TensorFlow Playground's four shapes,
 * drawn from nabla's RNG. Class c of point i is i mod 2 (balanced), its
 * position drawn for that class; the rows are shuffled at the end, so that
 * a train/test cut anywhere takes both classes alike. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/data.h"

static const char *const NAMES[NB_TOY2D_COUNT] = {"circles", "xor", "gaussians", "spiral"};

const char *nb_toy2d_kind_name(nb_toy2d_kind kind) {
    return kind >= 0 && kind < NB_TOY2D_COUNT ? NAMES[kind] : "unknown";
}

nb_status nb_toy2d_kind_parse(const char *name, nb_toy2d_kind *kind) {
    for (int k = 0; name && k < NB_TOY2D_COUNT; k++)
        if (strcmp(name, NAMES[k]) == 0) {
            *kind = (nb_toy2d_kind)k;
            return NB_OK;
        }
    return nb_fail(NB_EINVAL, "unknown dataset '%s' (expected circles, xor, gaussians or spiral)",
                   name ? name : "(null)");
}

void nb_toy2d_free(nb_toy2d *d) {
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* One point of class c, before the jitter. */
static void draw(nb_toy2d_kind kind, int c, nb_rng *r, double *px, double *py) {
    const double pi = 3.14159265358979323846;
    switch (kind) {
    case NB_TOY2D_CIRCLES: {
        double rad = c ? 2.5 * nb_rng_uniform(r) : 3.5 + 1.5 * nb_rng_uniform(r), a = 2 * pi * nb_rng_uniform(r);
        *px = rad * sin(a), *py = rad * cos(a);
        break;
    }
    case NB_TOY2D_XOR: { /* |x|, |y| in [0.3, 5.3); sign(x y) = + for class 1 */
        double sx = nb_rng_uniform(r) < 0.5 ? -1 : 1, sy = c ? sx : -sx;
        *px = sx * (0.3 + 5 * nb_rng_uniform(r)), *py = sy * (0.3 + 5 * nb_rng_uniform(r));
        break;
    }
    case NB_TOY2D_GAUSSIANS: {
        double m = c ? 2 : -2;
        *px = m + nb_rng_normal(r), *py = m + nb_rng_normal(r);
        break;
    }
    case NB_TOY2D_SPIRAL: {
        double u = nb_rng_uniform(r), rad = 5 * u, a = 3.5 * pi * u + (c ? 0 : pi);
        *px = rad * sin(a), *py = rad * cos(a);
        break;
    }
    }
}

nb_status nb_toy2d_make(nb_toy2d *out, nb_toy2d_kind kind, int64_t n, double noise, double train_frac, uint64_t seed) {
    if (!out) return nb_fail(NB_EINVAL, "nb_toy2d_make: no output");
    memset(out, 0, sizeof *out);
    if (kind < 0 || kind >= NB_TOY2D_COUNT) return nb_fail(NB_EINVAL, "toy2d: unknown dataset %d", (int)kind);
    if (n < 2 || n > NB_TOY2D_MAX_N)
        return nb_fail(NB_EINVAL, "toy2d: n %lld: must be in 2..%lld", (long long)n, (long long)NB_TOY2D_MAX_N);
    if (!(noise >= 0 && noise <= NB_TOY2D_MAX_NOISE))
        return nb_fail(NB_EINVAL, "toy2d: noise %g: must be in [0, %g]", noise, NB_TOY2D_MAX_NOISE);
    if (!(train_frac > 0 && train_frac < 1))
        return nb_fail(NB_EINVAL, "toy2d: train fraction %g: must be in (0, 1)", train_frac);
    int64_t ntrain = (int64_t)llround(train_frac * (double)n);
    if (ntrain < 1 || ntrain > n - 1)
        return nb_fail(NB_EINVAL, "toy2d: a train fraction of %g of %lld points leaves %s set empty", train_frac,
                       (long long)n, ntrain < 1 ? "the training" : "the test");
    float *x = malloc((size_t)n * 2 * sizeof *x), *x0 = malloc((size_t)n * 2 * sizeof *x0);
    int32_t *y = malloc((size_t)n * sizeof *y);
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    if (!x || !x0 || !y || !perm) {
        free(x), free(x0), free(y), free(perm);
        return nb_fail(NB_ENOMEM, "toy2d: out of memory for %lld points", (long long)n);
    }
    nb_rng r;
    nb_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        double px, py;
        draw(kind, (int)(i % 2), &r, &px, &py);
        if (noise > 0) px += noise * nb_rng_normal(&r), py += noise * nb_rng_normal(&r);
        x0[2 * i] = (float)px, x0[2 * i + 1] = (float)py;
    }
    nb_shuffle(&r, perm, n);
    for (int64_t i = 0; i < n; i++) {
        x[2 * i] = x0[2 * perm[i]], x[2 * i + 1] = x0[2 * perm[i] + 1];
        y[i] = (int32_t)(perm[i] % 2);
    }
    free(x0), free(perm);
    *out = (nb_toy2d){n, ntrain, x, y};
    return NB_OK;
}
