/* The optimizer step kernels, written once and instantiated for each dtype
 * and instruction set by optim_step.c (scalar, SSE2) and optim_step_avx512.c
 * (through step_copies.h). Before each include the file defines
 *   T        float or double
 *   V, W     a vector of W T's (V = T, W = 1 for the scalar copy)
 *   SFX      name suffix
 *   TAIL     (W > 1) suffix of the scalar copy that finishes the last hi - lo mod W
 * (undefined again at the end of this file) and, for a run of copies,
 *   LD(p), ST(p, v), SPLAT(x), SQRT(v), MAX(a, b)   MAX(a, b) = a > b ? a : b per lane
 *
 * Every knob is a bit of the constant fl, so each (kind, knobs) pair is its
 * own straight loop once inlined; coupled weight decay and maximize are
 * branch-free: g = sign g + wd theta with wd = 0, sign = 1 when off (x * 1
 * is exact, and so is x + 0 but for the sign of a zero, as before). AdamW's
 * theta <- keep theta is a knob bit: a multiply by 1 would still cost a
 * microcode assist per subnormal theta. Each lane
 * does the scalar copy's operations in the same order, so every copy gives
 * the same bits. */

#define KCAT_(a, b) a##_##b
#define KCAT(a, b) KCAT_(a, b)
#define KFN(name) KCAT(name, SFX)
#define KTAIL(name) KCAT(name, TAIL)
#define KBODY static inline __attribute__((always_inline)) void

/* theta <- theta - lr g */
KBODY KFN(gd)(const coef *k, int64_t i, int64_t hi, T *restrict p, const T *restrict gr, const unsigned fl) {
    const V sign = SPLAT((T)k->sign), wd = SPLAT((T)k->wd), keep = SPLAT((T)k->keep), nlr = SPLAT((T)k->nlr);
    for (; i + W <= hi; i += W) {
        V pi = LD(p + i);
        if (fl & K_DECOUPLED) pi = keep * pi;
        V g = sign * LD(gr + i) + wd * pi;
        ST(p + i, pi + nlr * g);
    }
#if W > 1
    KTAIL(gd)(k, i, hi, p, gr, fl);
#endif
}

/* v <- m v + (1 - tau) g (torch's first step: v = g); theta <- theta - lr v,
 * nesterov: theta <- theta - lr (g + m v) */
KBODY KFN(momentum)(const coef *k, int64_t i, int64_t hi, T *restrict p, const T *restrict gr, T *restrict vb,
                    const unsigned fl) {
    const V sign = SPLAT((T)k->sign), wd = SPLAT((T)k->wd), keep = SPLAT((T)k->keep), nlr = SPLAT((T)k->nlr);
    const V m = SPLAT((T)k->m), damp1 = SPLAT((T)k->damp1);
    for (; i + W <= hi; i += W) {
        V pi = LD(p + i);
        if (fl & K_DECOUPLED) pi = keep * pi;
        V g = sign * LD(gr + i) + wd * pi;
        V v = g;
        if (!(fl & K_FIRST)) v = m * LD(vb + i) + damp1 * g;
        ST(vb + i, v);
        if (fl & K_NESTEROV) ST(p + i, pi + nlr * (g + m * v));
        else ST(p + i, pi + nlr * v);
    }
#if W > 1
    KTAIL(momentum)(k, i, hi, p, gr, vb, fl);
#endif
}

/* s <- b s + (1-b) g^2 (centered: a <- b a + (1-b) g, s - a^2 below the root);
 * theta <- theta - lr g / sqrt(s + eps) (torch: / (sqrt(s) + eps));
 * with momentum: u <- m u + g / den, theta <- theta - lr u */
KBODY KFN(rmsprop)(const coef *k, int64_t i, int64_t hi, T *restrict p, const T *restrict gr, T *restrict sq,
                   T *restrict ga, T *restrict mb, const unsigned fl) {
    const V sign = SPLAT((T)k->sign), wd = SPLAT((T)k->wd), keep = SPLAT((T)k->keep), nlr = SPLAT((T)k->nlr);
    const V m = SPLAT((T)k->m), b = SPLAT((T)k->b), omb = SPLAT((T)k->omb), eps = SPLAT((T)k->eps);
    for (; i + W <= hi; i += W) {
        V pi = LD(p + i);
        if (fl & K_DECOUPLED) pi = keep * pi;
        V g = sign * LD(gr + i) + wd * pi;
        V s = b * LD(sq + i) + omb * g * g;
        ST(sq + i, s);
        if (fl & K_CENTERED) {
            V a = b * LD(ga + i) + omb * g;
            ST(ga + i, a);
            s = s - a * a;
        }
        V den;
        if (fl & K_INSIDE) den = SQRT(s + eps);
        else den = SQRT(s) + eps;
        if (fl & K_MOMENTUM) {
            V u = m * LD(mb + i) + g / den;
            ST(mb + i, u);
            ST(p + i, pi + nlr * u);
        } else
            ST(p + i, pi + nlr * (g / den));
    }
#if W > 1
    KTAIL(rmsprop)(k, i, hi, p, gr, sq, ga, mb, fl);
#endif
}

/* s <- s + beta g^2; theta <- theta - lr_t g / sqrt(s + eps) (torch: / (sqrt(s) + eps)) */
KBODY KFN(adagrad)(const coef *k, int64_t i, int64_t hi, T *restrict p, const T *restrict gr, T *restrict sum,
                   const unsigned fl) {
    const V sign = SPLAT((T)k->sign), wd = SPLAT((T)k->wd), keep = SPLAT((T)k->keep), nlr = SPLAT((T)k->nlr);
    const V b = SPLAT((T)k->b), eps = SPLAT((T)k->eps);
    for (; i + W <= hi; i += W) {
        V pi = LD(p + i);
        if (fl & K_DECOUPLED) pi = keep * pi;
        V g = sign * LD(gr + i) + wd * pi;
        V s = LD(sum + i) + b * g * g;
        ST(sum + i, s);
        V den;
        if (fl & K_INSIDE) den = SQRT(s + eps);
        else den = SQRT(s) + eps;
        ST(p + i, pi + nlr * (g / den));
    }
#if W > 1
    KTAIL(adagrad)(k, i, hi, p, gr, sum, fl);
#endif
}

/* m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2 (amsgrad: vmax <- max(vmax, v), used for v);
 * theta <- theta - lr m^ / sqrt(v^ + eps) (torch: / (sqrt(v) / sqrt(1-b2^t) + eps)),
 * m^ = m / (1-b1^t) (folded into nlr), v^ = v / (1-b2^t) */
KBODY KFN(adam)(const coef *k, int64_t i, int64_t hi, T *restrict p, const T *restrict gr, T *restrict em,
                T *restrict ev, T *restrict vmax, const unsigned fl) {
    const V sign = SPLAT((T)k->sign), wd = SPLAT((T)k->wd), keep = SPLAT((T)k->keep), nlr = SPLAT((T)k->nlr);
    const V b1 = SPLAT((T)k->b1), omb1 = SPLAT((T)k->omb1), b2 = SPLAT((T)k->b2), omb2 = SPLAT((T)k->omb2);
    const V bc2 = SPLAT((T)k->bc2), bc2s = SPLAT((T)k->bc2s), eps = SPLAT((T)k->eps);
    for (; i + W <= hi; i += W) {
        V pi = LD(p + i);
        if (fl & K_DECOUPLED) pi = keep * pi;
        V g = sign * LD(gr + i) + wd * pi;
        V mm = b1 * LD(em + i) + omb1 * g;
        V v = b2 * LD(ev + i) + omb2 * g * g;
        ST(em + i, mm);
        ST(ev + i, v);
        if (fl & K_AMSGRAD) {
            v = MAX(LD(vmax + i), v);
            ST(vmax + i, v);
        }
        V den;
        if (fl & K_INSIDE) den = SQRT(v / bc2 + eps);
        else den = SQRT(v) / bc2s + eps;
        ST(p + i, pi + nlr * (mm / den));
    }
#if W > 1
    KTAIL(adam)(k, i, hi, p, gr, em, ev, vmax, fl);
#endif
}

/* [lo, hi) of one step: the knobs become constants here, one loop per combination. */
#define K_DEC(CALL, F) (fl & K_DECOUPLED ? CALL((F) | K_DECOUPLED) : CALL(F))
#define K_CASE2(CALL, A, B)                                                            \
    switch (fl & ((A) | (B))) {                                                        \
    case 0: K_DEC(CALL, 0); break;                                                     \
    case (A): K_DEC(CALL, A); break;                                                   \
    case (B): K_DEC(CALL, B); break;                                                   \
    default: K_DEC(CALL, (A) | (B)); break;                                            \
    }
static __attribute__((unused)) void KFN(step)(nb_optim_kind kind, unsigned fl, const coef *k, int64_t lo,
                                                  int64_t hi, void *pv, const void *gv, void *s0v, void *s1v,
                                                  void *s2v) {
    T *p = pv, *s0 = s0v, *s1 = s1v, *s2 = s2v;
    const T *g = gv;
    switch (kind) {
    case NB_OPT_GD:
#define K_CALL(F) KFN(gd)(k, lo, hi, p, g, F)
        K_DEC(K_CALL, 0);
#undef K_CALL
        break;
    case NB_OPT_MOMENTUM:
    case NB_OPT_NESTEROV:
#define K_CALL(F) KFN(momentum)(k, lo, hi, p, g, s0, F)
        K_CASE2(K_CALL, K_FIRST, K_NESTEROV)
#undef K_CALL
        break;
    case NB_OPT_RMSPROP: {
        /* state: square_avg, then grad_avg if centered, then momentum_buffer if momentum */
        T *ga = s1, *mb = fl & K_CENTERED ? s2 : s1;
        if (fl & K_MOMENTUM) {
#define K_CALL(F) KFN(rmsprop)(k, lo, hi, p, g, s0, ga, mb, (F) | K_MOMENTUM)
            K_CASE2(K_CALL, K_INSIDE, K_CENTERED)
#undef K_CALL
        } else {
#define K_CALL(F) KFN(rmsprop)(k, lo, hi, p, g, s0, ga, mb, F)
            K_CASE2(K_CALL, K_INSIDE, K_CENTERED)
#undef K_CALL
        }
        break;
    }
    case NB_OPT_ADAGRAD:
#define K_CALL(F) KFN(adagrad)(k, lo, hi, p, g, s0, F)
        if (fl & K_INSIDE) K_DEC(K_CALL, K_INSIDE);
        else K_DEC(K_CALL, 0);
#undef K_CALL
        break;
    case NB_OPT_ADAM:
    case NB_OPT_ADAMW:
#define K_CALL(F) KFN(adam)(k, lo, hi, p, g, s0, s1, s2, F)
        K_CASE2(K_CALL, K_INSIDE, K_AMSGRAD)
#undef K_CALL
        break;
    }
}
#undef K_CASE2
#undef K_DEC
#undef KBODY
#undef KTAIL
#undef KFN
#undef KCAT
#undef KCAT_
#undef T
#undef V
#undef W
#undef SFX
#undef TAIL
