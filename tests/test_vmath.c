/* The vectorised f32 math against libm in double. */
#include <string.h>

#include "test.h"
#include "kernels/cpu.h"
#include "kernels/vmath.h"

#define N 200001

static void check_fn(const char *name, void (*f)(const float *, float *, int64_t), double (*ref)(double), float lo,
                     float hi, double rtol) {
    static float x[N], y[N];
    for (int i = 0; i < N; i++) x[i] = lo + (hi - lo) * (float)i / (N - 1);
    f(x, y, N);
    double worst = 0;
    int at = 0;
    for (int i = 0; i < N; i++) {
        double want = ref((double)x[i]), err = fabs((double)y[i] - want) / fmax(fabs(want), 1e-30);
        if (err > worst) worst = err, at = i;
    }
    CHECK_MSG(worst <= rtol, "%s: relative error %.3g at x = %.9g (got %.9g, want %.9g)", name, worst, x[at], y[at],
              ref(x[at]));
}

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

TEST(vmath_exp_matches_libm) {
    check_fn("exp", nb__vexp_f32, exp, -87.3f, 88.7f, 3e-7);
    float x[4] = {89.0f, -88.0f, 0.0f, -1e-3f}, y[4];
    nb__vexp_f32(x, y, 4);
    CHECK(isinf(y[0]) && y[1] == 0.0f && y[2] == 1.0f && fabs(y[3] - exp(-1e-3)) < 1e-7);
}

TEST(vmath_tanh_matches_libm) {
    check_fn("tanh", nb__vtanh_f32, tanh, -12.0f, 12.0f, 3e-7);
    check_fn("tanh near 0", nb__vtanh_f32, tanh, -1e-3f, 1e-3f, 3e-7);
    float x[3] = {0.0f, -0.0f, 100.0f}, y[3];
    nb__vtanh_f32(x, y, 3);
    CHECK(y[0] == 0.0f && signbit(y[1]) && y[2] == 1.0f);
}

TEST(vmath_sigmoid_matches_libm) {
    check_fn("sigmoid", nb__vsigmoid_f32, sigmoid, -80.0f, 80.0f, 3e-7);
    check_fn("sigmoid tail", nb__vsigmoid_f32, sigmoid, -87.0f, -20.0f, 1e-6);
}

/* Every copy this CPU runs rounds as the portable one (no fused multiply-add
 * in any of them, whatever the compiler): the page's wasm and the native
 * library then compute the same tanh and sigmoid bits. */
#if NB_X86_64
typedef void (*vm_fn)(const float *, float *, int64_t);
#define VM_COPIES(name) void name##_base(const float *, float *, int64_t), name##_avx2(const float *, float *, int64_t), \
                             name##_avx512(const float *, float *, int64_t)
VM_COPIES(nb__vexp_f32);
VM_COPIES(nb__vtanh_f32);
VM_COPIES(nb__vsigmoid_f32);

TEST(vmath_copies_round_as_the_portable_one) {
    nb_cpu_features cpu = nb__cpu();
    if (!cpu.avx2) {
        test_skip("this CPU runs only the portable copy");
        return;
    }
    static float x[N], want[N], got[N];
    nb_rng r;
    nb_rng_seed(&r, 7);
    for (int i = 0; i < N; i++) x[i] = (float)((nb_rng_uniform(&r) - 0.5) * (i % 3 ? 24 : 180));
    const struct { const char *name; vm_fn base, avx2, avx512; } fns[3] = {
        {"exp", nb__vexp_f32_base, nb__vexp_f32_avx2, nb__vexp_f32_avx512},
        {"tanh", nb__vtanh_f32_base, nb__vtanh_f32_avx2, nb__vtanh_f32_avx512},
        {"sigmoid", nb__vsigmoid_f32_base, nb__vsigmoid_f32_avx2, nb__vsigmoid_f32_avx512},
    };
    for (int f = 0; f < 3; f++) {
        fns[f].base(x, want, N);
        for (int isa = 0; isa < 2; isa++) {
            if (isa == 1 && !cpu.avx512) continue;
            (isa ? fns[f].avx512 : fns[f].avx2)(x, got, N);
            int differ = 0, at = -1;
            for (int i = 0; i < N; i++)
                if (memcmp(&got[i], &want[i], sizeof got[i])) differ++, at = at < 0 ? i : at;
            CHECK_MSG(differ == 0, "%s %s: %d of %d values differ from the portable copy (first at x = %.9g: %.9g vs %.9g)",
                      fns[f].name, isa ? "avx512" : "avx2", differ, N, at < 0 ? 0.0 : x[at], at < 0 ? 0.0 : got[at],
                      at < 0 ? 0.0 : want[at]);
        }
    }
}
#endif
