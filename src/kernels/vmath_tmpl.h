/* f32 exp, tanh and sigmoid as straight-line loops. glibc's scalar expf and
 * tanhf cost ~10 ns a call and do not vectorise; these run 16 lanes at once.
 * Coefficients: least-squares fits of the relative error on the reduced
 * range (tools/fit_vmath.py); max relative error < 1e-7 over the range.
 *
 * Written once, included by vmath.c, vmath_avx2.c and vmath_avx512.c with
 * VM_ISA the copy's suffix (base, avx2, avx512): every copy does the same
 * operations in the same order (no contraction into FMA: see optim's
 * step_tmpl.h), the ISA only widens the vectors the compiler makes. */
#include <math.h>
#include <string.h>

#include "kernels/vmath.h"

#define VM_CAT_(a, b) a##_##b
#define VM_CAT(a, b) VM_CAT_(a, b)
#define VM_FN(name) VM_CAT(name, VM_ISA)

#define INLINE static inline __attribute__((always_inline))

/* gcc's -std=c11 already means -ffp-contract=off; clang would fuse p * r + c
 * in the copies compiled with -mfma, and round unlike the portable copy. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

INLINE float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* e^t, t clamped to [-87.4, 88.8]: t = k ln2 + r, |r| <= ln2/2, e^t = 2^k p(r),
 * with 2^k applied as two halves so that each stays a normal float. */
INLINE float exp_core(float t) {
    t = clampf(t, -87.4f, 88.8f);
    /* round to nearest by the 1.5 * 2^23 trick, which vectorises */
    float k = (t * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = t - k * 0.693145751953125f;  /* ln2 split in two for an exact k ln2 */
    r = r - k * 1.428606765330187e-06f;
    float p = 0.0013824844f;
    p = p * r + 0.0083715505f;
    p = p * r + 0.041668235f;
    p = p * r + 0.16666461f;
    p = p * r + 0.49999993f;
    p = p * r + 1.0000000269f;
    p = p * r + 1.0f;
    int32_t ki = (int32_t)k, h = ki >> 1;
    int32_t b1 = (h + 127) << 23, b2 = (ki - h + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return p * s1 * s2;
}

/* tanh: an odd polynomial near 0 (no cancellation), 1 - 2/(e^{2|x|} + 1) beyond. */
INLINE float tanh_core(float x) {
    float a = clampf(fabsf(x), 0.0f, 10.0f), z = a * a; /* tanh(10) rounds to 1 */
    float q = -0.0057980998f;
    q = q * z + 0.020720281f;
    q = q * z - 0.053763801f;
    q = q * z + 0.13331719f;
    q = q * z - 0.33333292f;
    float small = a + a * z * q;
    float big = 1.0f - 2.0f / (exp_core(2.0f * a) + 1.0f);
    return copysignf(a < 0.625f ? small : big, x);
}


/* exp past the float range: inf above, 0 below e^-87.3 (denormals flush). */
void VM_FN(nb__vexp_f32)(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float v = exp_core(x[i]);
        v = x[i] > 88.72283f ? INFINITY : v;
        y[i] = x[i] < -87.33654f ? 0.0f : v;
    }
}
void VM_FN(nb__vtanh_f32)(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = tanh_core(x[i]);
}
/* sigmoid(x) = 1 / (1 + e^-x) */
void VM_FN(nb__vsigmoid_f32)(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + exp_core(-x[i]));
}
