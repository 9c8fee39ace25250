/* The optimizer step's AVX-512 copies (compiled with the Makefile's
 * ISA_avx512 flags; optim.c calls them only on a CPU that has AVX-512). */
#include "kernels/step_copies.h"

#if NB_X86_64
#define VP _mm512
#define T float
#define V __m512
#define VQ ps
#define W 16
#define SFX f32_avx512
#define TAIL f32_scalar
#include "kernels/step_tmpl.h"
#define T double
#define V __m512d
#undef VQ
#define VQ pd
#define W 8
#define SFX f64_avx512
#define TAIL f64_scalar
#include "kernels/step_tmpl.h"

STEP_EXPORT(f32_avx512)
STEP_EXPORT(f64_avx512)
#endif
