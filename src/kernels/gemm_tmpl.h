/* The GEMM driver, written once and instantiated for f32 and f64 by gemm.c
 * (which defines T, DT, SFX and includes this file twice).
 *
 * BLIS-style loops over one thread's rectangle [m0,m1) x [n0,n1) of C:
 *   jc (NC columns) -> pc (KC deep: pack a KC x NC block of op(B), L3)
 *     -> ic (MC rows: pack an MC x KC block of op(A), L2)
 *       -> jr (NR: one B micro-panel stays in L1) -> ir (MR) -> micro-kernel.
 * Every C element is summed over the same KC blocks in the same order, so the
 * result does not depend on how C is split between threads. */

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SFX)
/* With BLAS=openblas only some of these are called. */
#define TMPL_FN static __attribute__((unused))
#define UKR CAT(ukr, SFX)
#define UKRD CAT(ukrd, SFX)
#define PACKT CAT(packT, SFX)
#define PACKN CAT(packN, SFX)

/* Portable transposing pack: panel (p, x) = src[x*ldx + p]; reads each source
 * line contiguously. */
TMPL_FN void FN(packT_portable)(T *dst, int W, const T *src, int64_t ldx, int64_t k, int w) {
    for (int x = 0; x < w; x++) {
        const T *s = src + (int64_t)x * ldx;
        for (int64_t p = 0; p < k; p++) dst[p * W + x] = s[p];
    }
    for (int x = w; x < W; x++)
        for (int64_t p = 0; p < k; p++) dst[p * W + x] = 0;
}

/* Copying pack: panel (p, x) = src[p*ldp + x]; w <= W contiguous values a row. */
TMPL_FN void FN(pack_copy)(T *dst, int W, const T *src, int64_t ldp, int64_t k, int w) {
    for (int64_t p = 0; p < k; p++) {
        T *d = dst + p * W;
        const T *s = src + p * ldp;
        int x = 0;
        for (; x < w; x++) d[x] = s[x];
        for (; x < W; x++) d[x] = 0;
    }
}

/* op(A) rows [i0, i0+mc) x cols [p0, p0+kc) into MR-row panels [k][MR]. */
TMPL_FN void FN(pack_a)(const nb_gemm_impl *im, T *dst, bool ta, const T *A, int64_t lda, int64_t i0,
                       int64_t p0, int64_t mc, int64_t kc) {
    const int MR = im->mr[DT];
    for (int64_t ir = 0; ir < mc; ir += MR) {
        int w = (int)(mc - ir < MR ? mc - ir : MR);
        T *d = dst + ir * kc;
        if (ta) im->PACKN(d, MR, A + p0 * lda + i0 + ir, lda, kc, w);
        else im->PACKT(d, MR, A + (i0 + ir) * lda + p0, lda, kc, w);
    }
}

/* op(B) rows [p0, p0+kc) x cols [j0, j0+nc) into NR-column panels [k][NR]. */
TMPL_FN void FN(pack_b)(const nb_gemm_impl *im, T *dst, bool tb, const T *B, int64_t ldb, int64_t p0,
                       int64_t j0, int64_t kc, int64_t nc) {
    const int NR = im->nr[DT];
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int w = (int)(nc - jr < NR ? nc - jr : NR);
        T *d = dst + jr * kc;
        if (tb) im->PACKT(d, NR, B + (j0 + jr) * ldb + p0, ldb, kc, w);
        else im->PACKN(d, NR, B + p0 * ldb + j0 + jr, ldb, kc, w);
    }
}

/* Writes a finished m x n tile held row-major in t (stride ld) to C stored
 * transposed: C'(i, j) lives at C[j*ldc + i]; the bias is per row i here. */
TMPL_FN void FN(store_transposed)(const T *t, int ld, T *C, int64_t ldc, int m, int n, const nb_tile_store *st) {
    const T alpha = (T)st->alpha, beta = (T)st->beta;
    const T *bias = (const T *)st->bias;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            T *c = C + (int64_t)j * ldc + i;
            T v = alpha * t[i * ld + j];
            if (beta != 0) v += beta * *c;
            if (bias) v += bias[i];
            if (st->relu && v < 0) v = 0;
            *c = v;
        }
}

/* Equal KC blocks chosen from K alone: the summation order is fixed. */
TMPL_FN int64_t FN(kc_of)(const nb_gemm_impl *im, int64_t K) {
    const int64_t nkb = (K + im->kc[DT] - 1) / im->kc[DT];
    return (K + nkb - 1) / nkb;
}

/* One thread's share: C[m0:m1, n0:n1] of the (possibly swapped) problem,
 * summed over the KC blocks in [p0, p1) of K (the first of them scales the
 * old C by beta; the bias, the ReLU and done->done come with block K's end).
 * ctrans: C' is stored transposed (see store_transposed). Packed panels go
 * to sc, the working thread's scratch. Returns false when a packing buffer
 * could not be allocated. */
TMPL_FN bool FN(drive)(const nb_gemm_impl *im, nb__scratch *sc, bool ta, bool tb, bool ctrans, int64_t K, T alpha, const T *A,
                      int64_t lda, const T *B, int64_t ldb, T beta, T *C, int64_t ldc, const T *bias,
                      bool relu, const nb_epilogue *done, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                      int64_t p0, int64_t p1) {
    const int MR = im->mr[DT], NR = im->nr[DT];
    const int64_t MC = im->mc[DT], NC = im->nc[DT];
    const int64_t KC = FN(kc_of)(im, K);
    const int64_t mcap = ((m1 - m0 < MC ? m1 - m0 : MC) + MR - 1) / MR * MR;
    const int64_t ncap = ((n1 - n0 < NC ? n1 - n0 : NC) + NR - 1) / NR * NR;
    /* With few row panels to share it, packing op(B) costs more than it
     * saves: the kernel then reads row-major B in place. */
    const bool direct_b = !tb && m1 - m0 <= NB_DIRECT_B_MAX_M;
    /* Likewise op(A), when the kernel can and this share reuses each A panel
     * across few column panels. */
    const bool direct_a = im->UKRD && n1 - n0 <= NB_DIRECT_A_MAX_N;
    T *Ap = direct_a ? NULL : (T *)nb__scratch_get(sc, 0, (size_t)(mcap * KC) * sizeof(T));
    T *Bp = direct_b ? NULL : (T *)nb__scratch_get(sc, 1, (size_t)(ncap * KC) * sizeof(T));
    if ((!direct_a && !Ap) || (!direct_b && !Bp)) return false;
    T tile[NB_TILE_MAX];
    for (int64_t jc = n0; jc < n1; jc += NC) {
        const int64_t nc = n1 - jc < NC ? n1 - jc : NC;
        for (int64_t pc = p0; pc < p1; pc += KC) {
            const int64_t kc = p1 - pc < KC ? p1 - pc : KC;
            const bool first = pc == p0, last = pc + kc == K;
            if (!direct_b) FN(pack_b)(im, Bp, tb, B, ldb, pc, jc, kc, nc);
            const int64_t ldbk = direct_b ? ldb : NR;
            for (int64_t ic = m0; ic < m1; ic += MC) {
                const int64_t mc = m1 - ic < MC ? m1 - ic : MC;
                if (!direct_a) FN(pack_a)(im, Ap, ta, A, lda, ic, pc, mc, kc);
                nb_tile_store st = {alpha, first ? beta : 1, NULL, last && relu};
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int n = (int)(nc - jr < NR ? nc - jr : NR);
                    const T *b = direct_b ? B + pc * ldb + jc + jr : Bp + jr * kc;
                    if (last && bias) st.bias = ctrans ? (const void *)(bias + ic) : (const void *)(bias + jc + jr);
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int m = (int)(mc - ir < MR ? mc - ir : MR);
                        /* op(A)(i, p) is A[p*lda + i] (ta) or A[i*lda + p] */
                        const T *a = !direct_a ? Ap + ir * kc : ta ? A + pc * lda + ic + ir : A + (ic + ir) * lda + pc;
                        if (!ctrans) {
                            T *c = C + (ic + ir) * ldc + jc + jr;
                            if (direct_a) im->UKRD(kc, a, lda, !ta, b, ldbk, c, ldc, m, n, &st);
                            else im->UKR(kc, a, b, ldbk, c, ldc, m, n, &st);
                        } else {
                            static const nb_tile_store raw = {1, 0, NULL, false};
                            if (direct_a) im->UKRD(kc, a, lda, !ta, b, ldbk, tile, NR, m, n, &raw);
                            else im->UKR(kc, a, b, ldbk, tile, NR, m, n, &raw);
                            nb_tile_store s2 = st;
                            if (s2.bias) s2.bias = (const T *)s2.bias + ir;
                            FN(store_transposed)(tile, NR, C + (jc + jr) * ldc + ic + ir, ldc, m, n, &s2);
                        }
                    }
                }
                if (last && done && done->done) { /* C[ic:ic+mc, jc:jc+nc] is final */
                    if (ctrans) done->done(done->user, jc, jc + nc, ic, ic + mc);
                    else done->done(done->user, ic, ic + mc, jc, jc + nc);
                }
            }
        }
    }
    return true;
}

/* C = beta*C then the epilogue, for K == 0 or alpha == 0 (no product). */
TMPL_FN void FN(scale_only)(int64_t M, int64_t N, T beta, T *C, int64_t ldc, const T *bias, bool relu) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            T *c = C + i * ldc + j;
            T v = beta != 0 ? beta * *c : 0;
            if (bias) v += bias[j];
            if (relu && v < 0) v = 0;
            *c = v;
        }
}

/* Rows [m0, m1) of C += S, then the bias and ReLU: what the micro-kernel
 * does with a last K block, when another thread summed that block into S
 * (alpha applied). Bit for bit the same as the kernels' stores. */
TMPL_FN void FN(ksum)(int64_t m0, int64_t m1, int64_t N, T *C, int64_t ldc, const T *S, const T *bias, bool relu) {
    for (int64_t i = m0; i < m1; i++) {
        T *restrict c = C + i * ldc;
        const T *restrict s = S + i * N;
        for (int64_t j = 0; j < N; j++) {
            T v = s[j] + c[j];
            if (bias) v += bias[j];
            if (relu) v = v < 0 ? 0 : v; /* NaN and -0 stay, as max(0, v) leaves them */
            c[j] = v;
        }
    }
}

/* The epilogue alone, after a library call that computed the product. */
TMPL_FN void FN(epilogue_pass)(int64_t M, int64_t N, T *C, int64_t ldc, const T *bias, bool relu) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            T *c = C + i * ldc + j;
            T v = *c;
            if (bias) v += bias[j];
            if (relu && v < 0) v = 0;
            *c = v;
        }
}

#undef TMPL_FN
#undef UKR
#undef UKRD
#undef PACKT
#undef PACKN
