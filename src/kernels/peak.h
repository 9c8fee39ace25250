/* Internal: the FMA peak loops of `nabla bench peak` (peak_avx512.c,
 * peak_avx2.c). A core keeps latency x pipes FMAs in flight (4 x 2 on the
 * cores of today, 8 on wider ones), so a loop needs at least as many
 * independent chains, in registers: 24 zmm and 12 ymm chains here. Each
 * returns a value that depends on every chain, so nothing is optimised away;
 * flops = iters * NB_PEAK_CHAINS_* * lanes * 2. */
#ifndef NABLA_PEAK_H
#define NABLA_PEAK_H

#include <stdbool.h>

enum { NB_PEAK_CHAINS_AVX512 = 24, NB_PEAK_CHAINS_AVX2 = 12 };

double nb_peak_chains_avx512(bool f64, long iters);
double nb_peak_chains_avx2(bool f64, long iters);

#endif
