/* What each file of optimizer step copies shares (optim_step.c and
 * optim_step_avx512.c): the scalar copies, which are the reference and
 * finish the vector copies' last hi - lo mod W elements, and the vector
 * intrinsics' names.
 *
 * The loops are written with vector types rather than left to the
 * auto-vectoriser: C's sqrt may set errno, which keeps gcc and clang from
 * vectorising it (and the optimize attribute does not lift that), while the
 * vector sqrt instructions are the same correctly rounded operation. No copy
 * may fuse a multiply-add: every copy must round like the scalar one, so
 * results do not depend on the CPU; the AVX-512 file is compiled with -mfma. */
#include <math.h>

#include "kernels/cpu.h"
#include "kernels/optim_step.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* gcc's -std=c11 already means -ffp-contract=off */
#endif

#define LD(p) (*(p))
#define ST(p, v) (*(p) = (v))
#define SPLAT(x) (x)
#define SQRT(v) _Generic((v), float: sqrtf, default: sqrt)(v)
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define T double
#define V double
#define W 1
#define SFX f64_scalar
#include "kernels/step_tmpl.h"
#define T float
#define V float
#define W 1
#define SFX f32_scalar
#include "kernels/step_tmpl.h"
#undef LD
#undef ST
#undef SPLAT
#undef SQRT
#undef MAX

#if NB_X86_64
#include <immintrin.h>

/* Vector copies through the intrinsics VP_op_VQ: VP _mm or _mm512, VQ ps or pd. */
#define VOP__(p, op, q) p##_##op##_##q
#define VOP_(p, op, q) VOP__(p, op, q)
#define VOP(op) VOP_(VP, op, VQ)
#define LD(p) VOP(loadu)(p)
#define ST(p, v) VOP(storeu)((p), (v))
#define SPLAT(x) VOP(set1)(x)
#define SQRT(v) VOP(sqrt)(v)
#define MAX(a, b) VOP(max)((a), (b))
#endif

/* The exported entry of copy SFX (its step function is static in the template). */
#define STEP_EXPORT(SFX)                                                                                             \
    NB_STEP_COPY(SFX) { step_##SFX(kind, fl, k, lo, hi, p, g, s0, s1, s2); }
