/* The portable copy of the f32 math (vmath_tmpl.h) and the dispatch: each
 * call takes the widest copy this CPU runs. */
#include "kernels/cpu.h"

#define VM_ISA base
#include "kernels/vmath_tmpl.h"

#if NB_X86_64
void nb__vexp_f32_avx2(const float *x, float *y, int64_t n);
void nb__vtanh_f32_avx2(const float *x, float *y, int64_t n);
void nb__vsigmoid_f32_avx2(const float *x, float *y, int64_t n);
void nb__vexp_f32_avx512(const float *x, float *y, int64_t n);
void nb__vtanh_f32_avx512(const float *x, float *y, int64_t n);
void nb__vsigmoid_f32_avx512(const float *x, float *y, int64_t n);
#define PICK(NAME)                                                                      \
    nb_cpu_features cpu = nb__cpu();                                                    \
    if (cpu.avx512) NAME##_avx512(x, y, n);                                             \
    else if (cpu.avx2) NAME##_avx2(x, y, n);                                            \
    else NAME##_base(x, y, n)
#else
#define PICK(NAME) NAME##_base(x, y, n)
#endif

void nb__vexp_f32(const float *x, float *y, int64_t n) { PICK(nb__vexp_f32); }
void nb__vtanh_f32(const float *x, float *y, int64_t n) { PICK(nb__vtanh_f32); }
void nb__vsigmoid_f32(const float *x, float *y, int64_t n) { PICK(nb__vsigmoid_f32); }
