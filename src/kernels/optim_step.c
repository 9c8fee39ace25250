/* The optimizer step's scalar copies, and on x86-64 its SSE2 copies (SSE2 is
 * part of x86-64, so this file needs no ISA flags). */
#include "kernels/step_copies.h"

STEP_EXPORT(f32_scalar)
STEP_EXPORT(f64_scalar)

#if NB_X86_64
#define VP _mm
#define T float
#define V __m128
#define VQ ps
#define W 4
#define SFX f32_sse
#define TAIL f32_scalar
#include "kernels/step_tmpl.h"
#define T double
#define V __m128d
#undef VQ
#define VQ pd
#define W 2
#define SFX f64_sse
#define TAIL f64_scalar
#include "kernels/step_tmpl.h"

STEP_EXPORT(f32_sse)
STEP_EXPORT(f64_sse)
#endif
