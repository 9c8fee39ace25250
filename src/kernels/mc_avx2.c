/* The Monte Carlo kernels with AVX2 and FMA (mc_tmpl.h); compiled with
 * -mavx2 -mfma, called after a cpuid check. */
#include "kernels/cpu.h"

#if NB_X86_64
#include <immintrin.h>

#include "kernels/mc_kernels.h"

#define VEC __m256d
#define V 4
#define VLOAD _mm256_loadu_pd
#define VSTORE _mm256_storeu_pd
#define VSET1 _mm256_set1_pd
#define VZERO _mm256_setzero_pd
#define VFMA _mm256_fmadd_pd
#define VSUB _mm256_sub_pd
#define SFX avx2
#define FIT_ROWS 3 /* 3 rows x 2 vectors x 2 tiles: 12 accumulators of 16 registers */
#define PRED_T 4
#define PRED_VECS 2
#include "kernels/mc_tmpl.h"
#endif
