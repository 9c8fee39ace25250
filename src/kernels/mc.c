/* The Monte Carlo kernels in portable C (mc_tmpl.h with one double to a
 * "vector"; fma() rounds once, as the vector code does), and the choice. */
#include <math.h>
#include <stdatomic.h>

#include "kernels/cpu.h"
#include "kernels/mc_kernels.h"

static inline double ld(const double *p) { return *p; }
static inline void st(double *p, double v) { *p = v; }
static inline double set1(double v) { return v; }
static inline double zero(void) { return 0.0; }
static inline double sub(double a, double b) { return a - b; }
#if defined(__wasm__)
/* WebAssembly has no fused multiply-add: fma() there is a software routine,
 * some 50 times slower than the rest of the kernel. The page's kernels
 * multiply, then add: their Monte Carlo agrees with the native kernels to
 * rounding, not to the bit (every other result of the page is the CLI's). */
static inline double mul_add(double a, double b, double c) { return a * b + c; }
#define VFMA mul_add
#else
#define VFMA fma
#endif

#define VEC double
#define V 1
#define VLOAD ld
#define VSTORE st
#define VSET1 set1
#define VZERO zero
#define VSUB sub
#define SFX portable
#define FIT_ROWS 2
#define PRED_T 4
#define PRED_VECS 1
#include "kernels/mc_tmpl.h"

static _Atomic int forced = -1;

void nb__mc_set_isa(int isa) { atomic_store_explicit(&forced, isa, memory_order_relaxed); }

const nb_mc_kernels *nb__mc_kernels(void) {
    int f = atomic_load_explicit(&forced, memory_order_relaxed);
    if (f == 0) return nb__mc_kernels_portable();
#if NB_X86_64
    if (f == 1) return nb__mc_kernels_avx2();
    if (f == 2) return nb__mc_kernels_avx512();
    nb_cpu_features cpu = nb__cpu();
    if (cpu.avx512) return nb__mc_kernels_avx512();
    if (cpu.avx2) return nb__mc_kernels_avx2();
#endif
    return nb__mc_kernels_portable();
}
