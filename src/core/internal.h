/* Library-internal: the tape's node, contexts, and the helpers every op uses.
 *
 * An op is a forward function (public, in src/ops/<family>.c) and a backward
 * rule beside it. The forward calls nb__op_out() to validate its inputs and
 * get its output tensor (recorded on the tape when a gradient is wanted),
 * then fills out->data. The backward receives the node and adds
 * (never assigns) each input's share of dL/d(out) into nb__grad(input). */
#ifndef NABLA_INTERNAL_H
#define NABLA_INTERNAL_H

#include <stdatomic.h>
#include <string.h>

#include "nabla/base.h"
#include "nabla/tensor.h"
#include "core/team.h"

#define NB_MAX_INPUTS 3

/* Tensor flags. */
enum {
    NB_TF_HEAP = 1u << 0,  /* struct and data from malloc: nb_tensor_free frees them */
    NB_TF_PARAM = 1u << 1, /* owned by an nb_params: data and grad in its flat buffers */
    NB_TF_VIEW = 1u << 2,  /* data belongs to another tensor */
    NB_TF_READY = 1u << 3, /* a leaf whose last op reports it to the ready hook */
};

/* jvp: the output's tangent from the inputs' tangents dt[i] (NULL: zero;
 * never all NULL), written with the library's differentiable ops, so that
 * the tangent is itself on the tape and a reverse pass over it gives
 * second derivatives (nb_hvp). Only forward mode (autodiff/jvp.c) calls it. */
typedef struct nb_op {
    const char *name;
    void (*backward)(nb_node *n);
    nb_status (*jvp)(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out);
} nb_op;

struct nb_node {
    const nb_op *op;
    nb_tensor *out;
    nb_tensor *in[NB_MAX_INPUTS];
    int nin;
    double f;                 /* a scalar attribute: pow's exponent, a scale */
    int64_t i[NB_MAX_DIMS];   /* integer attributes: axes, a permutation, a stride */
    void *saved;              /* arena memory the backward needs */
    nb_tensor *tan;           /* forward mode: the output's tangent (NULL: zero) */
    nb_node *prev;            /* the tape, newest first */
    bool walked;              /* a backward without retain has run it: its graph is spent */
    bool reached;             /* scratch of the reverse pass */
};

typedef struct nb_chunk nb_chunk;
struct nb_team;

/* Most threads that work for one context at once (each has its scratch). */
#define NB_MAX_THREADS 64

/* A thread's grow-only scratch buffers (the GEMM's packed panels and its
 * K-cut partial sums), 64-byte aligned. */
typedef struct nb__scratch {
    void *p[3];
    size_t cap[3];
} nb__scratch;

struct nb_ctx {
    nb_chunk *chunks;        /* newest first; allocation bumps in the first */
    size_t used, peak, total; /* bytes in use, most ever in use, bytes held */
    nb_node *tape;           /* newest node */
    bool grad_enabled;
    nb_grad_ready_fn ready;  /* the leaves' ready hook, or NULL */
    void *ready_user;
    /* execution */
    int threads;             /* 0: nb_get_threads() */
    nb_plan plan;
    struct nb_team *team;    /* the team a caller leads for this context's work, or NULL */
    nb_pace pace;            /* its own threads' parallel regions, paced as a team's jobs are */
    int gemm_blocking[2][3]; /* per dtype MC, KC, NC overrides (0: the kernel's); tests and tuning */
    nb__scratch scratch[NB_MAX_THREADS]; /* by the working thread's index */
    _Atomic int err;         /* the first error (nb_status), set by any thread; -1 while being written */
#ifdef NB_DEBUG
    struct nb_poisoned *_Atomic poisoned; /* reported gradient blocks (make DEBUG=1) */
#endif
    char errmsg[512];
};

/* The index of the calling thread among those working for a context: its
 * OpenMP thread number (0 outside a parallel region). */
int nb__thread_index(void);
/* A buffer of at least bytes in slot which of s, 64-byte aligned; NULL
 * (nothing freed) on failure. */
void *nb__scratch_get(nb__scratch *s, int which, size_t bytes);
void nb__scratch_free(nb__scratch *s, int n);

/* The first-error slot. nb__ctx_fail records code and message on ctx if no
 * error is there yet (any thread), sets this thread's error too, and returns
 * code. nb__ctx_check raises ctx's error on this thread and returns its
 * code, or NB_OK. ctx may be NULL (then only this thread's error). */
nb_status nb__ctx_fail(nb_ctx *ctx, nb_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
nb_status nb__ctx_check(nb_ctx *ctx);

/* Arena allocation, 64-byte aligned; zeroed when zero is set. NULL + error
 * on OOM, which is also ctx's first error. */
void *nb__alloc(nb_ctx *ctx, size_t bytes, bool zero);

/* The output of an op: checks ctx and the inputs (non-NULL, one dtype),
 * allocates an uninitialised tensor of the given shape in ctx, and records a
 * node when grad mode is on and an input requires grad. NULL on error; a NULL
 * input passes an earlier error through. */
nb_tensor *nb__op_out(nb_ctx *ctx, const nb_op *op, nb_dtype dt, int ndim, const int64_t *shape,
                      int nin, nb_tensor *const *in);
/* Checks inputs only (as nb__op_out does), for ops that compute shapes first. */
bool nb__check_inputs(nb_ctx *ctx, const char *op, int nin, nb_tensor *const *in);
/* The node that made t (valid right after nb__op_out), or NULL. */
static inline nb_node *nb__node(const nb_tensor *t) { return t ? t->node : NULL; }

/* dL/dt, allocated and zeroed on first use: in the arena for a step's
 * tensors, on the heap for lone leaves, in the flat buffer for parameters. */
void *nb__grad(nb_ctx *ctx, nb_tensor *t);
/* In an op's backward, before it adds the last share to leaf t's gradient:
 * whether the op reports t's blocks to the ctx's ready hook itself (with
 * nb__ready, once it no longer reads t's values); the walk then does not. */
bool nb__ready_by_op(nb_ctx *ctx, nb_tensor *t);
#ifdef NB_DEBUG
/* make DEBUG=1: the contract checked. After the hook, the block is kept
 * aside and poisoned (all bits set: NaN in either dtype) until the backward
 * ends; a later read spreads NaN, a later write is reported, and the kept
 * values are put back. */
void nb__ready_debug(nb_ctx *ctx, nb_tensor *t, int64_t lo, int64_t hi);
static inline void nb__ready(nb_ctx *ctx, nb_tensor *t, int64_t lo, int64_t hi) { nb__ready_debug(ctx, t, lo, hi); }
#else
static inline void nb__ready(nb_ctx *ctx, nb_tensor *t, int64_t lo, int64_t hi) {
    ctx->ready(ctx->ready_user, t, lo, hi);
}
#endif
/* nb__grad for an op that writes every element of t's gradient in one pass
 * as beta * old + its share: beta is 0 for a new gradient (left unzeroed),
 * else 1. */
void *nb__grad_to_write(nb_ctx *ctx, nb_tensor *t, double *beta);
/* The node's context (the one whose tape holds it). */
static inline nb_ctx *nb__ctx(const nb_node *n) { return n->out->ctx; }

/* Axis normalisation: -1 -> ndim-1; false (with an error naming op) if out of range. */
bool nb__axis(const char *op, int ndim, int axis, int *out);
int64_t nb__numel(int ndim, const int64_t *shape);

/* Broadcasting, the one place: out_shape from a and b (NumPy rules). */
bool nb__broadcast_shape(const char *op, const nb_tensor *a, const nb_tensor *b, int *ndim, int64_t *shape);
/* dst (dshape) += src (sshape), where dshape broadcasts to sshape: sums src
 * over every broadcast dim. This is both sum-reduction and the un-broadcast
 * of a gradient. scale multiplies src. */
void nb__unbroadcast_add(nb_dtype dt, void *dst, int dndim, const int64_t *dshape,
                         const void *src, int sndim, const int64_t *sshape, double scale);
/* dst (dshape) += scale * src (sshape) broadcast up to dshape. */
void nb__broadcast_add(nb_dtype dt, void *dst, int dndim, const int64_t *dshape,
                       const void *src, int sndim, const int64_t *sshape, double scale);

/* "(3,4)" for messages; returns buf. */
const char *nb__shape_str(int ndim, const int64_t *shape, char *buf, size_t n);

/* One kernel body, instantiated for both dtypes: T is float or double. */
#define NB_DISPATCH(dt, T, ...)                                                 \
    do {                                                                        \
        if ((dt) == NB_F32) {                                                   \
            typedef float T;                                                    \
            __VA_ARGS__                                                         \
        } else {                                                                \
            typedef double T;                                                   \
            __VA_ARGS__                                                         \
        }                                                                       \
    } while (0)

/* Every op (src/ops/registry.c), NULL-terminated; and whether the built-in
 * gradcheck cases cover an op, by name. */
extern const nb_op *const nb__all_ops[];
bool nb__gradcheck_covers(const char *op);

/* y (ndim, shape) with y[j] = src[idx[j]] (flat indices, copied): the
 * forward-mode helper that picks a tangent at a max's or a pool's argmax.
 * Its backward scatters. */
nb_tensor *nb__gather(nb_ctx *ctx, nb_tensor *src, int ndim, const int64_t *shape, const int64_t *idx);
/* Forward-mode helpers (autodiff/jvp.c): a + b where either may be NULL
 * (zero); t broadcast up to a shape; a constant (no tape) of x's shape that
 * is 1 where x > 0 (or sign x when sign is set), else 0. */
nb_tensor *nb__tan_add(nb_ctx *ctx, nb_tensor *a, nb_tensor *b);
nb_tensor *nb__tan_expand(nb_ctx *ctx, nb_tensor *t, int ndim, const int64_t *shape);
nb_tensor *nb__mask_pos(nb_ctx *ctx, const nb_tensor *x, bool sign);
/* A jvp rule's return: t into *out, and NB_OK, or the error that made t NULL. */
static inline nb_status nb__tan_done(nb_tensor *t, nb_tensor **out) {
    *out = t;
    return t ? NB_OK : (nb_errcode() ? nb_errcode() : NB_EINVAL);
}

#endif
