/* Internal: the Monte Carlo lab's fused kernels (src/linreg/biasvar.c):
 * every trial's fit, its predictions and their running statistics, a tile
 * of 8 trials at a time while it is in cache.
 *
 * Bits. Each output element is one chain of fused multiply-adds in a fixed
 * order (fit: over the n training points; prediction: over the d features),
 * starting from 0, the same on every ISA; lanes never mix. So a trial's
 * numbers do not depend on which tile, block or thread it falls in, nor on
 * the kernel (AVX-512, AVX2, portable all give the same bits). */
#ifndef NABLA_MC_KERNELS_H
#define NABLA_MC_KERNELS_H

#include <stdint.h>

typedef struct nb_mc_kernels {
    /* th (tiles x d x 8) = M (d x n, row-major) times Y (tiles x n x 8):
     * the fits of `tiles` tiles of 8 trials. */
    void (*fit)(int64_t n, int64_t d, const double *M, const double *Y, int64_t tiles, double *th);
    /* p (nt x kp) = trials l0 .. l0 + nt - 1 of the tile th (d x 8): their
     * predictions at kp test inputs, XtT (d x kp, kp a multiple of 8) times
     * th's columns; nt <= pred_t. */
    void (*predict)(int64_t d, int64_t kp, const double *XtT, const double *th, int l0, int nt, double *p);
    /* Welford's update of (mean, m2) (kp each) by one more value per input,
     * inv = 1 / (values so far + 1): d = p - mean; mean += d inv;
     * m2 += d (p - mean). */
    void (*welford)(int64_t kp, const double *p, double inv, double *mean, double *m2);
    int pred_t; /* trials predict does at a time, at most 8 */
} nb_mc_kernels;

/* For tests: 2 AVX-512, 1 AVX2, 0 portable, -1 the CPU's best (the caller
 * checks the CPU can run it). */
void nb__mc_set_isa(int isa);
/* The CPU's best, or the one set. */
const nb_mc_kernels *nb__mc_kernels(void);
const nb_mc_kernels *nb__mc_kernels_avx512(void);
const nb_mc_kernels *nb__mc_kernels_avx2(void);
const nb_mc_kernels *nb__mc_kernels_portable(void);

#endif
