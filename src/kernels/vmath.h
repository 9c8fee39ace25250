/* Vectorisable f32 math for the elementwise ops: branch-free loops the
 * compiler turns into SIMD, accurate to a few ulp (tested against libm). */
#ifndef NABLA_VMATH_H
#define NABLA_VMATH_H

#include <stdint.h>

void nb__vexp_f32(const float *x, float *y, int64_t n);
void nb__vtanh_f32(const float *x, float *y, int64_t n);
void nb__vsigmoid_f32(const float *x, float *y, int64_t n);

#endif
