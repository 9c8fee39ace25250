/* Allocation failure, as SQLite tests it: the N-th allocation fails, for
 * every N, in turn. The test binary is linked with -Wl,--wrap for the
 * allocation functions (see the Makefile), so the counter sits behind every
 * malloc the library makes and exists only in tests. At every N a call whose
 * allocation failed must return an error (NULL or a status, with a message),
 * never a result; and the next call, with allocation working again, must
 * give the bits of a run that never failed. ASan (SAN=1) adds: no leak. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);

static _Atomic long fault_at; /* 0: off; else the allocation number that fails */
static _Atomic long fault_seen;
static _Atomic bool fault_fired;

static bool fail_now(void) {
    long at = atomic_load_explicit(&fault_at, memory_order_relaxed);
    if (!at || atomic_fetch_add(&fault_seen, 1) + 1 != at) return false;
    atomic_store(&fault_fired, true);
    return true;
}
void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t k, size_t n) { return fail_now() ? NULL : __real_calloc(k, n); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return fail_now() ? NULL : __real_aligned_alloc(a, n); }

static void arm(long n) {
    atomic_store(&fault_seen, 0);
    atomic_store(&fault_fired, false);
    atomic_store(&fault_at, n);
}
static bool disarm(void) {
    atomic_store(&fault_at, 0);
    return atomic_load(&fault_fired);
}

/* A call under test: runs once with the given threads, returns its status,
 * and leaves its result (bits to compare) in out. */
typedef nb_status (*fault_call)(void *state, int threads, double *out);

/* Every N from 1 until a run makes fewer than N allocations. */
static void every_allocation(const char *what, fault_call call, void *state, int threads, int64_t nout) {
    double *ref = calloc((size_t)nout, sizeof *ref), *got = calloc((size_t)nout, sizeof *got);
    CHECK(call(state, threads, ref) == NB_OK);
    long n = 1;
    for (; n < 100000; n++) {
        nb_clear_error();
        arm(n);
        nb_status st = call(state, threads, got);
        bool fired = disarm();
        if (!fired) {
            CHECK_MSG(st == NB_OK, "%s: no allocation failed at %ld, yet: %s", what, n, nb_errmsg());
            break;
        }
        CHECK_MSG(st != NB_OK, "%s (%d threads): allocation %ld failed, yet the call returned NB_OK", what, threads, n);
        CHECK_MSG(nb_errmsg()[0] != '\0', "%s: allocation %ld failed without a message", what, n);
        /* allocation works again: the same bits as a run that never failed */
        memset(got, 0, (size_t)nout * sizeof *got);
        nb_status again = call(state, threads, got);
        CHECK_MSG(again == NB_OK && memcmp(got, ref, (size_t)nout * sizeof *got) == 0,
                  "%s: after allocation %ld failed, the next call differs (%s)", what, n, nb_errmsg());
    }
    CHECK_MSG(n > 1, "%s: made no allocation at all", what);
    if (getenv("NABLA_FAULTS_VERBOSE")) fprintf(stderr, "%s, %d threads: %ld allocations, each failed in turn\n", what, threads, n - 1);
    free(ref);
    free(got);
}

/* ---- forward + backward of a model ---- */
typedef struct model_case {
    nb_model *m;
    nb_tensor *x;
    int32_t y[64];
} model_case;

static nb_status model_step(void *state, int threads, double *out) {
    model_case *mc = state;
    nb_params_zero_grad(mc->m->params);
    nb_ctx *ctx = nb_ctx_new();
    if (!ctx) return nb_errcode();
    nb_ctx_set_threads(ctx, threads);
    nb_tensor *loss = nb_softmax_cross_entropy(ctx, nb_model_forward(ctx, mc->m, mc->x), mc->y);
    nb_status st = nb_backward(ctx, loss);
    if (!st) {
        out[0] = nb_tensor_get(loss, 0);
        const float *g = nb_params_grad(mc->m->params);
        for (int64_t i = 0; i < nb_params_numel(mc->m->params); i++) out[1 + i] = g[i];
    }
    nb_ctx_free(ctx);
    return st;
}

static void model_faults(nb_model_desc d, int64_t batch) {
    nb_rng rng;
    nb_rng_seed(&rng, 7);
    model_case mc = {nb_model_new(&d, NB_F32, &rng), NULL, {0}};
    for (int i = 0; i < 64; i++) mc.y[i] = (i * 7) % 10;
    CHECK(mc.m != NULL);
    if (!mc.m) return;
    int64_t in = (int64_t)d.channels * d.height * d.width;
    mc.x = d.kind == NB_MODEL_CNN ? nb_uniform(NULL, &rng, NB_F32, NB_SHAPE(batch, d.channels, d.height, d.width), -1, 1)
                                  : nb_uniform(NULL, &rng, NB_F32, NB_SHAPE(batch, in), -1, 1);
    for (int th = 1; th <= 2; th++)
        every_allocation(d.kind == NB_MODEL_CNN ? "cnn forward+backward" : "mlp forward+backward", model_step, &mc, th,
                         1 + nb_params_numel(mc.m->params));
    nb_tensor_free(mc.x);
    nb_model_free(mc.m);
}

/* batch 32: big enough that two threads share the MLP's products */
TEST(faults_mlp_forward_backward) { model_faults(nb_mlp_desc(1, (int64_t[]){64}), 32); }
TEST(faults_cnn_forward_backward) { model_faults(nb_cnn_desc(), 2); }

/* ---- gradcheck ---- */
static nb_tensor *mm_tanh(nb_ctx *ctx, nb_tensor *const *in, void *user) {
    (void)user;
    return nb_tanh(ctx, nb_matmul(ctx, in[0], in[1]));
}

static nb_status gradcheck_call(void *state, int threads, double *out) {
    nb_tensor **in = state;
    nb_set_threads(threads);
    nb_gradcheck_result r = {0};
    nb_status st = nb_gradcheck(mm_tanh, NULL, 2, in, NULL, &r);
    nb_set_threads(0);
    out[0] = r.max_abs_err, out[1] = r.max_rel_err, out[2] = r.passed;
    return st;
}

TEST(faults_gradcheck) {
    nb_rng rng;
    nb_rng_seed(&rng, 3);
    nb_tensor *in[2] = {nb_uniform(NULL, &rng, NB_F64, NB_SHAPE(3, 4), -1, 1),
                        nb_uniform(NULL, &rng, NB_F64, NB_SHAPE(4, 2), -1, 1)};
    for (int th = 1; th <= 2; th++) every_allocation("gradcheck", gradcheck_call, in, th, 3);
    nb_tensor_free(in[0]);
    nb_tensor_free(in[1]);
}

/* ---- an optimizer: made, then stepped ---- */
static nb_status optim_call(void *state, int threads, double *out) {
    (void)state;
    nb_set_threads(threads);
    nb_optim_config c = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_TORCH);
    double x[5] = {1, -2, 3, -4, 5}, g[5] = {.5, .25, -1, 2, -3};
    nb_optim *o = nb_optim_new(&c, NB_F64, 5);
    nb_status st = o ? nb_optim_step(o, x, g) : nb_errcode();
    if (!st) st = nb_optim_step(o, x, g);
    nb_optim_free(o);
    nb_set_threads(0);
    memcpy(out, x, sizeof x);
    return st;
}

TEST(faults_optimizer_step) {
    for (int th = 1; th <= 2; th++) every_allocation("optimizer step", optim_call, NULL, th, 5);
}

/* ---- the Monte Carlo bias-variance lab ---- */
typedef struct bv_case {
    double X[30 * 4], theta[4], Xt[5 * 4];
} bv_case;

static nb_status biasvar_call(void *state, int threads, double *out) {
    bv_case *b = state;
    nb_set_threads(threads);
    nb_rng rng;
    nb_rng_seed(&rng, 11);
    nb_biasvar r = {0};
    nb_status st = nb_biasvar_mc(30, 4, b->X, b->theta, 0.5, 5, b->Xt, 0.1, 200, &rng, &r);
    nb_set_threads(0);
    out[0] = r.bias2, out[1] = r.variance, out[2] = r.noise, out[3] = r.mse;
    return st;
}

TEST(faults_biasvar_mc) {
    bv_case b;
    nb_rng rng;
    nb_rng_seed(&rng, 5);
    for (int i = 0; i < 30 * 4; i++) b.X[i] = nb_rng_normal(&rng);
    for (int i = 0; i < 4; i++) b.theta[i] = nb_rng_normal(&rng);
    for (int i = 0; i < 5 * 4; i++) b.Xt[i] = nb_rng_normal(&rng);
    for (int th = 1; th <= 2; th++) every_allocation("nb_biasvar_mc", biasvar_call, &b, th, 4);
}

/* ---- a checkpoint saved, then loaded ---- */
typedef struct ckpt_case {
    nb_trainer *t;
    char path[64];
} ckpt_case;

static nb_status ckpt_call(void *state, int threads, double *out) {
    ckpt_case *c = state;
    nb_set_threads(threads);
    unlink(c->path);
    nb_status st = nb_checkpoint_save(c->t, c->path);
    nb_trainer *back = st ? NULL : nb_checkpoint_load(c->path);
    if (!st && !back) st = nb_errcode();
    if (back) {
        const float *v = nb_params_data(back->model->params);
        for (int64_t i = 0; i < nb_params_numel(back->model->params); i++) out[i] = v[i];
    }
    nb_trainer_free(back);
    nb_set_threads(0);
    return st;
}

TEST(faults_checkpoint_save_load) {
    nb_model_desc d = nb_mlp_desc(1, (int64_t[]){8});
    nb_train_config cfg = nb_train_defaults();
    cfg.batch = 4;
    ckpt_case c = {nb_trainer_new(&d, &cfg), ""};
    CHECK(c.t != NULL);
    if (!c.t) return;
    snprintf(c.path, sizeof c.path, "%s/nabla-faults-%d.safetensors", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    every_allocation("checkpoint save+load", ckpt_call, &c, 1, nb_params_numel(c.t->model->params));
    every_allocation("checkpoint save+load", ckpt_call, &c, 2, nb_params_numel(c.t->model->params));
    unlink(c.path);
    nb_trainer_free(c.t);
}
