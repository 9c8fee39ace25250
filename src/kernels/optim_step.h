/* Internal: the optimizer step kernels (step_tmpl.h), one copy per dtype and
 * instruction set, and what optim.c hands them. optim.c computes a step's
 * scalars and picks the copy; the copies only loop. */
#ifndef NABLA_OPTIM_STEP_H
#define NABLA_OPTIM_STEP_H

#include "nabla/optim.h"

/* Every scalar of one step, computed once in double (as torch's Python does). */
typedef struct coef {
    double sign, wd, keep;   /* g <- sign g + wd theta; theta <- keep theta first */
    double nlr;              /* -lr, or -clr (Adagrad), or -lr / (1 - beta1^t) (Adam) */
    double m, damp1;         /* momentum, 1 - dampening */
    double b, omb;           /* RMSprop beta, 1 - beta; Adagrad: b is its factor */
    double b1, omb1, b2, omb2;
    double bc2, bc2s;        /* 1 - beta2^t and its square root */
    double eps;
} coef;

/* The knobs that change a loop's shape, as bits of the kernels' fl. */
enum {
    K_INSIDE = 1,    /* eps inside the root */
    K_FIRST = 2,     /* torch's first momentum step: v = g */
    K_NESTEROV = 4,
    K_CENTERED = 8,  /* RMSprop */
    K_MOMENTUM = 16, /* RMSprop's momentum buffer */
    K_AMSGRAD = 32,
    K_DECOUPLED = 64, /* theta <- keep theta first */
};

/* One step's update of [lo, hi): kind, knob bits (K_*), the step's scalars,
 * param, grad, and the state arrays (all of n elements of one dtype). */
typedef void (*step_fn)(nb_optim_kind, unsigned, const coef *, int64_t, int64_t, void *, const void *, void *, void *,
                        void *);
#define NB_STEP_COPY(SFX)                                                                                            \
    void nb__optim_step_##SFX(nb_optim_kind kind, unsigned fl, const coef *k, int64_t lo, int64_t hi, void *p,     \
                              const void *g, void *s0, void *s1, void *s2)
NB_STEP_COPY(f32_scalar);
NB_STEP_COPY(f64_scalar);
NB_STEP_COPY(f32_sse);    /* x86-64 only (optim_step.c) */
NB_STEP_COPY(f64_sse);
NB_STEP_COPY(f32_avx512); /* x86-64 only (optim_step_avx512.c) */
NB_STEP_COPY(f64_avx512);

#endif
