/* CPU feature detection: the one place that asks the CPU what it runs. */
#include <stdatomic.h>

#include "kernels/cpu.h"

enum { F_DONE = 1, F_SSE2 = 2, F_AVX2 = 4, F_AVX512 = 8, F_SIMD128 = 16 };

static unsigned detect(void) {
    unsigned f = F_DONE;
#if NB_X86_64
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    f |= F_SSE2 | (avx2 ? F_AVX2 : 0) | (avx512 ? F_AVX512 : 0);
#endif
#if defined(__wasm_simd128__)
    f |= F_SIMD128;
#endif
    return f;
}

/* A benign race: threads that detect at once store the same bits. */
static atomic_uint cached;

nb_cpu_features nb__cpu(void) {
    unsigned f = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!f) {
        f = detect();
        atomic_store_explicit(&cached, f, memory_order_relaxed);
    }
    nb_cpu_features c = {(f & F_SSE2) != 0, (f & F_AVX2) != 0, (f & F_AVX512) != 0, (f & F_SIMD128) != 0};
    return c;
}
