/* nabla/tensor.h — N-d tensors, the two lifetimes of memory, and the RNG.
 *
 * A tensor is contiguous and row-major, f32 or f64, with up to NB_MAX_DIMS
 * dimensions; a 0-d tensor is a scalar. Memory has two lifetimes:
 *   - a step's tensors (inputs, activations, tape nodes, intermediate
 *     gradients) live in an nb_ctx's growable arena and all go at once with
 *     nb_ctx_reset(): no malloc per op in steady state, nothing to free;
 *   - a model's tensors live in an nb_params, one flat buffer for the values
 *     and one for their gradients, so that zero_grad, the optimizer step and
 *     save/load are flat loops. nb_tensor_new()/nb_tensor_free() make a lone
 *     heap tensor for everything else.
 * Every creation function takes a ctx; with ctx == NULL the tensor is made on
 * the heap and is the caller's to nb_tensor_free(). */
#ifndef NABLA_TENSOR_H
#define NABLA_TENSOR_H

#include "nabla/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NB_MAX_DIMS 8

typedef struct nb_ctx nb_ctx;
typedef struct nb_node nb_node;

typedef struct nb_tensor {
    nb_dtype dtype;
    int ndim;
    int64_t shape[NB_MAX_DIMS];
    int64_t numel;
    void *data;              /* numel elements, contiguous, row-major */
    struct nb_tensor *grad;  /* dL/d(this), same shape; NULL until a backward reaches it */
    bool requires_grad;
    /* private to the library */
    nb_node *node;           /* the op that made this tensor; NULL for a leaf */
    nb_ctx *ctx;             /* the ctx whose arena holds it; NULL on the heap */
    uint32_t flags;
    int32_t uses;            /* a leaf: ops on the tape still to walk past it */
} nb_tensor;

/* NB_SHAPE(2, 3) expands to the (ndim, shape) pair every constructor takes. */
#define NB_SHAPE(...) \
    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]){__VA_ARGS__}

/* ---- contexts: a step's arena and tape ---------------------------------- */
nb_ctx *nb_ctx_new(void);
void nb_ctx_free(nb_ctx *ctx);
/* Rewinds the arena and forgets the tape: every tensor made in ctx is gone. */
void nb_ctx_reset(nb_ctx *ctx);
/* No-grad mode: while disabled, ops record nothing. Returns the previous mode. */
bool nb_ctx_set_grad(nb_ctx *ctx, bool enabled);
/* Bytes the arena holds now, and the most it has held. */
size_t nb_ctx_bytes(const nb_ctx *ctx);
size_t nb_ctx_peak_bytes(const nb_ctx *ctx);
/* Scratch memory in the arena, 64-byte aligned, gone at the next reset. */
void *nb_ctx_alloc(nb_ctx *ctx, size_t bytes);

/* ---- how a context runs its work ------------------------------------------
 * A context is the execution context of what is computed in it: its thread
 * count, the plan a caller states for splitting work, the products' packing
 * buffers (grow-only, kept until nb_ctx_free: steady state allocates
 * nothing), and its first error. A context is used by one thread at a time;
 * the threads it starts report to it.
 *
 * Errors: when an allocation or a worker thread fails inside an op, the
 * first such error is kept on the context (any thread may set it), the op
 * returns NULL or a status, and every later op and backward in the context
 * fails with the same message until nb_ctx_reset: no result is ever computed
 * on a failed allocation. nb_ctx_status() reads it (NB_OK if none). */
nb_status nb_ctx_status(const nb_ctx *ctx);

/* Threads for nabla's parallel loops: the process-wide default (n <= 0: all
 * cores), and a context's own count (n <= 0: the default). Results never
 * depend on the thread count. nb_get_threads() is the count a call may use
 * now: 1 inside a parallel region. */
void nb_set_threads(int n);
int nb_get_threads(void);
nb_status nb_ctx_set_threads(nb_ctx *ctx, int n);
int nb_ctx_threads(const nb_ctx *ctx);

/* A work plan a caller may state. NB_PLAN_WEIGHT_ROWS: the caller keeps
 * each weight's rows on one thread across steps (a trainer that steps each
 * block of a weight where its gradient was computed), so linear layers cut
 * their forward product along K (the weight's rows: the two halves of a
 * one-block K are summed apart, on any number of threads — a rounding the
 * plan fixes, never the thread count) and their weight gradient along its
 * rows. NB_PLAN_AUTO (the default) lets each product cut as its shape says. */
typedef enum nb_plan { NB_PLAN_AUTO = 0, NB_PLAN_WEIGHT_ROWS = 1 } nb_plan;
nb_status nb_ctx_set_plan(nb_ctx *ctx, nb_plan plan);

/* A hook for leaves whose gradient is final (nabla/autodiff.h says when it
 * runs); set with nb_ctx_on_grad_ready. */
typedef void (*nb_grad_ready_fn)(void *user, struct nb_tensor *leaf, int64_t lo, int64_t hi);

/* ---- creation ------------------------------------------------------------ */
typedef struct nb_rng { uint64_t s[4]; } nb_rng;

nb_tensor *nb_tensor_new(nb_dtype dt, int ndim, const int64_t *shape); /* heap, zeros */
void nb_tensor_free(nb_tensor *t);                                      /* heap tensors only */
nb_tensor *nb_zeros(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape);
nb_tensor *nb_ones(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape);
nb_tensor *nb_full(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape, double value);
nb_tensor *nb_scalar(nb_ctx *ctx, nb_dtype dt, double value);
/* Copies numel elements of dtype dt from buf. */
nb_tensor *nb_from_buffer(nb_ctx *ctx, nb_dtype dt, int ndim, const int64_t *shape, const void *buf);
nb_tensor *nb_arange(nb_ctx *ctx, nb_dtype dt, int64_t n); /* 0, 1, ..., n-1 */
nb_tensor *nb_uniform(nb_ctx *ctx, nb_rng *rng, nb_dtype dt, int ndim, const int64_t *shape, double lo, double hi);
nb_tensor *nb_normal(nb_ctx *ctx, nb_rng *rng, nb_dtype dt, int ndim, const int64_t *shape, double mean, double std);
/* A new tensor with the same shape, dtype and values; not on the tape. */
nb_tensor *nb_copy(nb_ctx *ctx, const nb_tensor *t);

/* Marks a leaf as one whose gradient backward should compute. */
nb_status nb_tensor_requires_grad(nb_tensor *t, bool on);
void nb_tensor_zero_grad(nb_tensor *t);

/* Element access by flat index, as double, whatever the dtype. */
double nb_tensor_get(const nb_tensor *t, int64_t i);
void nb_tensor_set(nb_tensor *t, int64_t i, double v);
bool nb_shape_equal(const nb_tensor *a, const nb_tensor *b);
/* "(3,4)" into buf; returns buf. */
const char *nb_shape_str(const nb_tensor *t, char *buf, size_t n);
/* Prints shape, dtype and values (elided past a few per dimension). */
void nb_tensor_print(const nb_tensor *t, const char *name);

/* ---- the RNG: xoshiro256**, seeded by splitmix64; the same on every machine */
void nb_rng_seed(nb_rng *rng, uint64_t seed);
uint64_t nb_rng_u64(nb_rng *rng);
double nb_rng_uniform(nb_rng *rng);  /* [0, 1), 53 random bits */
double nb_rng_normal(nb_rng *rng);   /* N(0, 1), by a 256-layer ziggurat */
void nb_rng_normals(nb_rng *rng, int64_t n, double *out); /* n draws of N(0, 1) */
uint64_t nb_rng_below(nb_rng *rng, uint64_t n); /* uniform in [0, n), unbiased */

/* ---- parameters: a model's tensors in one flat buffer --------------------- */
typedef struct nb_params nb_params;

nb_params *nb_params_new(nb_dtype dt);
void nb_params_free(nb_params *p);
/* Adds a zero tensor that requires grad; its data and grad point into the flat
 * buffers (which may move while tensors are added, never after). */
nb_tensor *nb_params_add(nb_params *p, const char *name, int ndim, const int64_t *shape);
int nb_params_count(const nb_params *p);
nb_tensor *nb_params_tensor(const nb_params *p, int i);
const char *nb_params_name(const nb_params *p, int i);
nb_dtype nb_params_dtype(const nb_params *p);
int64_t nb_params_numel(const nb_params *p);
void *nb_params_data(nb_params *p);  /* numel values, in order of addition (each tensor
                                      * starts 64-byte aligned; the gaps are zeros) */
void *nb_params_grad(nb_params *p);  /* numel gradients, same layout */
void nb_params_zero_grad(nb_params *p);
/* A replica for data-parallel work: the same tensors reading src's values
 * (not copied: src must outlive it, and must not grow), each with a gradient
 * buffer of its own. Its nb_params_grad() lines up with src's. */
nb_params *nb_params_replica(nb_params *src);

#ifdef __cplusplus
}
#endif
#endif
