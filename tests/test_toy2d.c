/* The toy 2-D datasets: sizes, the split, the shapes each promises, one seed
 * one set of bits, and every bad argument an error. */
#include <stdlib.h>
#include <string.h>

#include "nabla/data.h"
#include "test.h"

TEST(toy2d_sizes_split_and_balance) {
    for (int k = 0; k < NB_TOY2D_COUNT; k++) {
        nb_toy2d d;
        CHECK_OK(nb_toy2d_make(&d, (nb_toy2d_kind)k, 301, 0.3, 0.6, 4));
        CHECK(d.n == 301 && d.ntrain == 181 && d.x && d.y);
        int64_t ones = 0, train_ones = 0;
        for (int64_t i = 0; i < d.n; i++) {
            CHECK(d.y[i] == 0 || d.y[i] == 1);
            ones += d.y[i];
            if (i < d.ntrain) train_ones += d.y[i];
            CHECK(isfinite(d.x[2 * i]) && isfinite(d.x[2 * i + 1]));
        }
        CHECK_MSG(ones == 150, "%s: %lld of 301 in class 1", nb_toy2d_kind_name((nb_toy2d_kind)k), (long long)ones);
        /* shuffled before the cut: the training set is not one class */
        CHECK(train_ones > 60 && train_ones < 121);
        nb_toy2d_free(&d);
        CHECK(d.x == NULL && d.n == 0);
    }
}

TEST(toy2d_one_seed_one_set_of_bits) {
    for (int k = 0; k < NB_TOY2D_COUNT; k++) {
        nb_toy2d a, b, c;
        CHECK_OK(nb_toy2d_make(&a, (nb_toy2d_kind)k, 200, 0.2, 0.5, 11));
        CHECK_OK(nb_toy2d_make(&b, (nb_toy2d_kind)k, 200, 0.2, 0.5, 11));
        CHECK_OK(nb_toy2d_make(&c, (nb_toy2d_kind)k, 200, 0.2, 0.5, 12));
        CHECK(memcmp(a.x, b.x, 400 * sizeof(float)) == 0 && memcmp(a.y, b.y, 200 * sizeof(int32_t)) == 0);
        CHECK(memcmp(a.x, c.x, 400 * sizeof(float)) != 0);
        nb_toy2d_free(&a), nb_toy2d_free(&b), nb_toy2d_free(&c);
    }
}

/* Without noise each point lies where its shape says; with noise some leave. */
TEST(toy2d_shapes) {
    nb_toy2d d;
    const double pi = 3.14159265358979323846;
    int bad = 0;
    CHECK_OK(nb_toy2d_make(&d, NB_TOY2D_CIRCLES, 1000, 0, 0.5, 1));
    for (int64_t i = 0; i < d.n; i++) {
        double r = hypot(d.x[2 * i], d.x[2 * i + 1]);
        bad += d.y[i] ? !(r <= 2.5 + 1e-6) : !(r >= 3.5 - 1e-6 && r <= 5 + 1e-6);
    }
    nb_toy2d_free(&d);
    CHECK_OK(nb_toy2d_make(&d, NB_TOY2D_XOR, 1000, 0, 0.5, 1));
    for (int64_t i = 0; i < d.n; i++) {
        float x = d.x[2 * i], y = d.x[2 * i + 1];
        bad += (x * y > 0) != (d.y[i] == 1) || fabsf(x) < 0.3f || fabsf(x) > 5.3f || fabsf(y) < 0.3f || fabsf(y) > 5.3f;
    }
    nb_toy2d_free(&d);
    CHECK_OK(nb_toy2d_make(&d, NB_TOY2D_SPIRAL, 1000, 0, 0.5, 1));
    for (int64_t i = 0; i < d.n; i++) { /* on its arm: the angle its radius gives */
        double r = hypot(d.x[2 * i], d.x[2 * i + 1]), a = 3.5 * pi * r / 5 + (d.y[i] ? 0 : pi);
        bad += r > 5 + 1e-6 || hypot(d.x[2 * i] - r * sin(a), d.x[2 * i + 1] - r * cos(a)) > 1e-4;
    }
    nb_toy2d_free(&d);
    CHECK_OK(nb_toy2d_make(&d, NB_TOY2D_GAUSSIANS, 4000, 0, 0.5, 1));
    double m[2][2] = {{0, 0}, {0, 0}};
    for (int64_t i = 0; i < d.n; i++) m[d.y[i]][0] += d.x[2 * i] / 2000.0, m[d.y[i]][1] += d.x[2 * i + 1] / 2000.0;
    CHECK_MSG(fabs(m[1][0] - 2) < 0.1 && fabs(m[1][1] - 2) < 0.1 && fabs(m[0][0] + 2) < 0.1 && fabs(m[0][1] + 2) < 0.1,
              "class means (%g, %g) and (%g, %g)", m[1][0], m[1][1], m[0][0], m[0][1]);
    nb_toy2d_free(&d);
    CHECK_MSG(bad == 0, "%d points off their shape", bad);
    CHECK_OK(nb_toy2d_make(&d, NB_TOY2D_CIRCLES, 1000, 1, 0.5, 1));
    int out = 0;
    for (int64_t i = 0; i < d.n; i++) out += d.y[i] && hypot(d.x[2 * i], d.x[2 * i + 1]) > 2.5;
    CHECK_MSG(out > 10, "noise 1 moved only %d inner points past radius 2.5", out);
    nb_toy2d_free(&d);
}

TEST(toy2d_bad_arguments) {
    nb_toy2d d;
    CHECK_ERR(nb_toy2d_make(NULL, NB_TOY2D_XOR, 10, 0, 0.5, 0), NB_EINVAL, "no output");
    CHECK_ERR(nb_toy2d_make(&d, (nb_toy2d_kind)4, 10, 0, 0.5, 0), NB_EINVAL, "unknown dataset 4");
    CHECK_ERR(nb_toy2d_make(&d, (nb_toy2d_kind)-1, 10, 0, 0.5, 0), NB_EINVAL, "unknown dataset -1");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 1, 0, 0.5, 0), NB_EINVAL, "n 1: must be in 2..");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, NB_TOY2D_MAX_N + 1, 0, 0.5, 0), NB_EINVAL, "must be in 2..");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, -0.1, 0.5, 0), NB_EINVAL, "noise -0.1");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, NAN, 0.5, 0), NB_EINVAL, "noise nan");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, 11, 0.5, 0), NB_EINVAL, "noise 11");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, 0, 1, 0), NB_EINVAL, "train fraction 1");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, 0, 0, 0), NB_EINVAL, "train fraction 0");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, 0, NAN, 0), NB_EINVAL, "train fraction nan");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, 0, 0.01, 0), NB_EINVAL, "leaves the training set empty");
    CHECK_ERR(nb_toy2d_make(&d, NB_TOY2D_XOR, 10, 0, 0.99, 0), NB_EINVAL, "leaves the test set empty");
    CHECK(d.n == 0 && d.x == NULL && d.y == NULL); /* left empty */
    nb_toy2d_kind k = NB_TOY2D_XOR;
    CHECK_OK(nb_toy2d_kind_parse("spiral", &k));
    CHECK(k == NB_TOY2D_SPIRAL && strcmp(nb_toy2d_kind_name(k), "spiral") == 0);
    CHECK_ERR(nb_toy2d_kind_parse("moons", &k), NB_EINVAL, "unknown dataset 'moons'");
    CHECK_ERR(nb_toy2d_kind_parse(NULL, &k), NB_EINVAL, "unknown dataset '(null)'");
    CHECK(strcmp(nb_toy2d_kind_name((nb_toy2d_kind)9), "unknown") == 0);
}
