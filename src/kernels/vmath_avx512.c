/* The f32 math (vmath_tmpl.h) compiled for AVX512 (the Makefile's ISA_avx512
 * flags); vmath.c calls it only on a CPU that has it. */
#include "kernels/cpu.h"

#if NB_X86_64
#define VM_ISA avx512
#include "kernels/vmath_tmpl.h"
#else
typedef int nb__no_avx512_vmath; /* ISO C wants a translation unit to declare something */
#endif
