/* The bulk normal samplers: the scalar stream's bits on every path, and the
 * distribution (the 10^8-draw check is `nabla bench normals --check`, run by
 * bench/normals.sh). */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nabla/rng.h"
#include "kernels/kernels.h"
#include "kernels/rng_kernels.h"

/* Each test below runs on every sampler this CPU has. */
static bool use_isa(int isa) {
    static const char *names[] = {"portable", "avx2", "avx512"};
    if (!nb_gemm_supported(names[isa])) return false;
    nb__rng_set_isa(isa);
    return true;
}

TEST(rng_bulk_normals_are_the_scalar_stream) {
    static double bulk[100003], one[100003];
    int64_t sizes[] = {0, 1, 7, 8, 9, 33, 1000, 100003};
    for (int isa = 0; isa < 3; isa++)
    for (int c = 0; c < 8 && use_isa(isa); c++) {
        nb_rng a, b;
        nb_rng_seed(&a, 77 + (uint64_t)c);
        b = a;
        nb_rng_normals(&a, sizes[c], bulk);
        for (int64_t i = 0; i < sizes[c]; i++) one[i] = nb_rng_normal(&b);
        CHECK_MSG(memcmp(bulk, one, (size_t)sizes[c] * sizeof *one) == 0, "isa %d n=%lld: bulk differs from scalar",
                  isa, (long long)sizes[c]);
        CHECK_MSG(memcmp(&a, &b, sizeof a) == 0, "isa %d n=%lld: the generator ends elsewhere", isa, (long long)sizes[c]);
    }
    nb__rng_set_isa(-1);
}

TEST(rng_eight_streams_side_by_side_are_eight_scalar_streams) {
    enum { N = 20011 };
    static double bulk[N * 8];
    for (int isa = 0; isa < 3; isa++) {
    if (!use_isa(isa)) continue;
    nb_rng g[8], h[8];
    for (int l = 0; l < 8; l++) nb_rng_stream(&g[l], 5, 1000 + (uint64_t)l), h[l] = g[l];
    nb_rng_normals8(g, N, bulk);
    int bad = 0;
    for (int l = 0; l < 8; l++) {
        for (int i = 0; i < N; i++) bad += bulk[i * 8 + l] != nb_rng_normal(&h[l]);
        bad += memcmp(&g[l], &h[l], sizeof g[l]) != 0;
    }
    CHECK_MSG(bad == 0, "isa %d: %d draws or states differ from the scalar streams", isa, bad);
    }
    nb__rng_set_isa(-1);
    // streams are a function of (key, index) alone
    nb_rng a, b;
    nb_rng_stream(&a, 5, 1003);
    nb_rng_stream(&b, 5, 1003);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    nb_rng_stream(&b, 6, 1003);
    CHECK(nb_rng_u64(&a) != nb_rng_u64(&b));
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* KS (0.1% critical value 1.95/sqrt(n)) and the first four moments within 5
 * standard errors, on 8 x 25,000 draws of the side-by-side sampler. */
TEST(rng_eight_streams_pass_kolmogorov_smirnov_and_moments) {
    enum { N = 25000 * 8 };
    static double v[N];
    nb_rng g[8];
    for (int l = 0; l < 8; l++) nb_rng_stream(&g[l], 2024, (uint64_t)l);
    nb_rng_normals8(g, N / 8, v);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (int i = 0; i < N; i++) {
        double z = v[i];
        m1 += z, m2 += z * z, m3 += z * z * z, m4 += z * z * z * z;
    }
    m1 /= N, m2 /= N, m3 /= N, m4 /= N;
    CHECK_MSG(fabs(m1) < 5 * sqrt(1.0 / N), "mean %g", m1);
    CHECK_MSG(fabs(m2 - 1) < 5 * sqrt(2.0 / N), "variance %g", m2);
    CHECK_MSG(fabs(m3) < 5 * sqrt(15.0 / N), "third moment %g", m3);
    CHECK_MSG(fabs(m4 - 3) < 5 * sqrt(96.0 / N), "fourth moment %g", m4);
    qsort(v, N, sizeof v[0], cmp_double);
    double d = 0;
    for (int i = 0; i < N; i++) {
        double F = 0.5 * erfc(-v[i] / sqrt(2.0));
        d = fmax(d, fmax(fabs(F - (double)i / N), fabs(F - (double)(i + 1) / N)));
    }
    CHECK_MSG(d < 1.95 / sqrt((double)N), "KS distance %.5f", d);
}
