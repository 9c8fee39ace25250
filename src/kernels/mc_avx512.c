/* The Monte Carlo kernels with AVX-512 (mc_tmpl.h); compiled with -mavx512f
 * etc., called after a cpuid check. */
#include "kernels/cpu.h"

#if NB_X86_64
#include <immintrin.h>

#include "kernels/mc_kernels.h"

#define VEC __m512d
#define V 8
#define VLOAD _mm512_loadu_pd
#define VSTORE _mm512_storeu_pd
#define VSET1 _mm512_set1_pd
#define VZERO _mm512_setzero_pd
#define VFMA _mm512_fmadd_pd
#define VSUB _mm512_sub_pd
#define SFX avx512
#define FIT_ROWS 10 /* 10 rows x 2 tiles: 20 accumulators */
#define PRED_T 4
#define PRED_VECS 4
#include "kernels/mc_tmpl.h"
#endif
