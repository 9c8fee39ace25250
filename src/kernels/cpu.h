/* Internal: what this CPU can run, detected in one place. ISA-specific code
 * lives in files named *_avx2.c / *_avx512.c, which the Makefile compiles
 * with that ISA's -m flags; the portable caller picks among them with
 * nb__cpu() and calls only what the CPU has. */
#ifndef NABLA_CPU_H
#define NABLA_CPU_H

#include <stdbool.h>

/* 1 where the x86-64 copies exist (they need GCC/clang builtins and intrinsics). */
#if defined(__x86_64__) && defined(__GNUC__)
#define NB_X86_64 1
#else
#define NB_X86_64 0
#endif

typedef struct nb_cpu_features {
    bool sse2;    /* x86-64's baseline */
    bool avx2;    /* AVX2 with FMA: what *_avx2.c is compiled for */
    bool avx512;  /* AVX-512 F, BW, DQ, VL with AVX2 and FMA: what *_avx512.c is compiled for */
    bool simd128; /* WebAssembly SIMD (known at compile time: the module is built with or without it) */
} nb_cpu_features;

/* This CPU's features; detected on the first call, then read from a cache. */
nb_cpu_features nb__cpu(void);

#endif
