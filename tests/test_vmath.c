/* The vectorised f32 math against libm in double. */
#include "test.h"
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
