/* The training loop and evaluation.
 *
 * A step: gather a batch into a reused heap tensor, forward in the trainer's
 * ctx, backward into the flat gradient buffer, one optimizer step over the
 * flat buffers, rewind the ctx. Nothing is allocated per step once the arena
 * has grown to a step's size. The data order comes from the trainer's RNG,
 * whose state is part of a checkpoint, so a resumed run sees the same order. */
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nabla/autodiff.h"
#include "nabla/gemm.h"
#include "nabla/nn.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

nb_train_config nb_train_defaults(void) {
    nb_train_config c;
    memset(&c, 0, sizeof c);
    c.batch = 128;
    c.epochs = 5;
    c.seed = 0;
    c.optim = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_TORCH);
    c.schedule = NB_LR_CONSTANT;
    c.warmup = 0;
    c.norm = (nb_norm){0.0f, 1.0f};
    return c;
}

nb_status nb_lr_schedule_parse(const char *name, nb_lr_schedule *s) {
    if (name && strcmp(name, "constant") == 0) *s = NB_LR_CONSTANT;
    else if (name && strcmp(name, "cosine") == 0) *s = NB_LR_COSINE;
    else return nb_fail(NB_EINVAL, "unknown schedule '%s' (expected constant or cosine)", name ? name : "(null)");
    return NB_OK;
}

const char *nb_lr_schedule_name(nb_lr_schedule s) { return s == NB_LR_COSINE ? "cosine" : "constant"; }

static nb_status validate_config(const nb_train_config *c) {
    if (c->batch < 1) return nb_fail(NB_EINVAL, "batch %lld: must be at least 1", (long long)c->batch);
    if (c->epochs < 0) return nb_fail(NB_EINVAL, "epochs %lld: must be at least 0", (long long)c->epochs);
    if (c->warmup < 0) return nb_fail(NB_EINVAL, "warmup %lld: must be at least 0", (long long)c->warmup);
    if (c->schedule != NB_LR_CONSTANT && c->schedule != NB_LR_COSINE)
        return nb_fail(NB_EINVAL, "unknown schedule %d", (int)c->schedule);
    if (!isfinite(c->norm.mean) || !isfinite(c->norm.std) || !(c->norm.std > 0))
        return nb_fail(NB_EINVAL, "normalisation mean %g, std %g: std must be positive", (double)c->norm.mean,
                       (double)c->norm.std);
    return nb_optim_validate(&c->optim);
}

double nb_train_lr(const nb_train_config *cfg, int64_t s, int64_t steps_per_epoch) {
    double base = cfg->optim.lr;
    int64_t warm = cfg->warmup * steps_per_epoch, total = cfg->epochs * steps_per_epoch;
    if (s < warm) return base * (double)(s + 1) / (double)warm;
    if (cfg->schedule == NB_LR_COSINE && total - warm > 0) {
        nb_schedule sc;
        memset(&sc, 0, sizeof sc);
        sc.kind = NB_SCHED_COSINE;
        sc.total = total - warm;
        double lr = base;
        int64_t e = s - warm < sc.total ? s - warm : sc.total;
        if (nb_schedule_lr(&sc, base, e, &lr) == NB_OK) return lr;
    }
    return base;
}

void nb_trainer_free(nb_trainer *t) {
    if (!t) return;
    nb_model_free(t->replica);
    nb_model_free(t->model);
    nb_optim_free(t->opt);
    nb_ctx_free(t->ctx);
    nb_ctx_free(t->shard_ctx);
    free(t->perm);
    nb_tensor_free(t->xb[0]);
    nb_tensor_free(t->xb[1]);
    free(t->yb);
    free(t);
}

nb_trainer *nb_trainer_new(const nb_model_desc *d, const nb_train_config *cfg) {
    if (!d || !cfg) {
        nb_fail(NB_EINVAL, "nb_trainer_new: NULL argument");
        return NULL;
    }
    if (nb_model_desc_validate(d) || validate_config(cfg)) return NULL;
    nb_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        nb_fail(NB_ENOMEM, "nb_trainer_new: out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    nb_rng_seed(&t->rng, cfg->seed);
    t->model = nb_model_new(d, NB_F32, &t->rng);
    if (t->model) t->opt = nb_optim_new_params(&cfg->optim, t->model->params);
    if (t->opt) t->replica = nb_model_replica(t->model);
    if (t->replica) t->shard_ctx = nb_ctx_new();
    if (t->shard_ctx) t->ctx = nb_ctx_new();
    if (t->ctx) t->yb = malloc((size_t)cfg->batch * sizeof *t->yb);
    if (!t->yb) {
        if (t->ctx) nb_fail(NB_ENOMEM, "nb_trainer_new: out of memory for a batch of %lld", (long long)cfg->batch);
        nb_trainer_free(t);
        return NULL;
    }
    return t;
}

/* A heap input tensor for b samples, reused while the size stays; shaped as
 * the model's first layer takes it, so the forward pass copies nothing. */
static nb_tensor *batch_tensor(nb_tensor **slot, const nb_model_desc *d, int64_t b) {
    if (*slot && (*slot)->shape[0] == b) return *slot;
    nb_tensor_free(*slot);
    if (d->kind == NB_MODEL_CNN) *slot = nb_tensor_new(NB_F32, NB_SHAPE(b, d->channels, d->height, d->width));
    else *slot = nb_tensor_new(NB_F32, NB_SHAPE(b, (int64_t)d->channels * d->height * d->width));
    return *slot;
}

static nb_status check_data(const nb_model_desc *d, const nb_dataset *ds, const char *what) {
    if (!ds || ds->n < 1) return nb_fail(NB_EINVAL, "%s set is empty", what);
    if (ds->rows != d->height || ds->cols != d->width || d->channels != 1) {
        char buf[96];
        return nb_fail(NB_ESHAPE, "%s images are %dx%d, the model (%s) takes %dx%d", what, ds->rows, ds->cols,
                       nb_model_desc_str(d, buf, sizeof buf), d->height, d->width);
    }
    return NB_OK;
}

/* Rows of logits (N, C) whose argmax (the first, on ties) is the label. */
static int64_t count_correct(const nb_tensor *logits, const int32_t *y) {
    int64_t N = logits->shape[0], C = logits->shape[1], ok = 0;
    const float *p = logits->data;
    for (int64_t i = 0; i < N; i++) {
        int64_t best = 0;
        for (int64_t c = 1; c < C; c++)
            if (p[i * C + c] > p[i * C + best]) best = c;
        ok += best == y[i];
    }
    return ok;
}

/* A step runs as two shards, the batch's first and second halves, each with
 * its own context and gradient buffer, side by side on two threads. Each
 * shard's loss is weighted by its share of the batch, so the shards'
 * gradients add up to the whole batch's; they are summed in shard order,
 * and every op inside a shard runs on one thread, so the bits are the same
 * whatever the thread count. (The same split, across machines, is MPI's.)
 *
 * The threads meet twice a step: once the gradients are in, and once the
 * parameters are updated. The whole epoch is one parallel region and the
 * meetings are the barrier below, which spins briefly and then yields: a
 * sleeping thread would cost a wake-up a meeting (tens of microseconds in
 * a VM, a third of a step), and spinning without end would starve another
 * process sharing the cores. */
typedef struct shard_result {
    double loss; /* the shard's mean loss */
    int64_t correct;
    nb_status st;
    char msg[256]; /* a failing shard's message, raised again on the caller's thread */
} shard_result;

typedef struct barrier {
    _Atomic int count;
    _Atomic unsigned gen;
} barrier;

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void barrier_wait(barrier *b, int nth) {
    if (nth < 2) return;
    unsigned gen = atomic_load_explicit(&b->gen, memory_order_relaxed);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) == nth - 1) {
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->gen, 1, memory_order_release);
        return;
    }
    for (unsigned i = 0; atomic_load_explicit(&b->gen, memory_order_acquire) == gen; i++)
        if (i < 4096) cpu_relax();
        else sched_yield();
}

static void run_shard(nb_model *m, nb_ctx *ctx, const nb_tensor *x, const int32_t *y, int64_t r0, int64_t r1,
                      int64_t b, shard_result *out) {
    /* rows r0..r1 of x, as a view */
    nb_tensor xs = *x;
    int64_t row = x->numel / x->shape[0];
    xs.shape[0] = r1 - r0;
    xs.numel = (r1 - r0) * row;
    xs.data = (float *)x->data + r0 * row;
    nb_tensor *logits = nb_model_forward(ctx, m, &xs);
    nb_tensor *loss = nb_softmax_cross_entropy(ctx, logits, y + r0);
    nb_status st = loss ? NB_OK : (nb_errcode() ? nb_errcode() : nb_fail(NB_ESTATE, "forward failed"));
    if (!st) {
        out->loss = nb_tensor_get(loss, 0);
        out->correct = count_correct(logits, y + r0);
        /* a non-finite loss is reported by the caller, before any update */
        if (isfinite(out->loss)) st = nb_backward(ctx, nb_scale(ctx, loss, (double)(r1 - r0) / (double)b));
    }
    out->st = st;
    if (st) snprintf(out->msg, sizeof out->msg, "%s", nb_errmsg());
    nb_ctx_reset(ctx);
}

/* Over [lo, hi) of the flat buffers: the shards' gradients summed into the
 * model's, the optimizer's step, and both gradients zeroed for the next
 * step, in one pass while they are in cache. */
static void update(nb_trainer *t, int64_t lo, int64_t hi) {
    float *restrict d = nb_params_grad(t->model->params);
    float *restrict s = nb_params_grad(t->replica->params);
    for (int64_t i = lo; i < hi; i++) d[i] += s[i];
    nb_optim_step_range(t->opt, nb_params_data(t->model->params), d, lo, hi);
    memset(d + lo, 0, (size_t)(hi - lo) * sizeof *d);
    memset(s + lo, 0, (size_t)(hi - lo) * sizeof *s);
}

/* What the threads share of a step: the shards' results, and a failure to
 * start it (a bad scheduled learning rate). */
typedef struct step_state {
    shard_result res[2];
    nb_status st;
} step_state;

nb_status nb_train_epoch(nb_trainer *t, const nb_dataset *train, nb_epoch_stats *st, nb_progress_fn fn,
                         void *user) {
    if (!t) return nb_fail(NB_EINVAL, "nb_train_epoch: no trainer");
    nb_status s = check_data(&t->model->desc, train, "training");
    if (s) return s;
    int64_t n = train->n, B = t->cfg.batch, steps = (n + B - 1) / B, np = nb_params_numel(t->model->params);
    if (t->perm_n != n) {
        int64_t *p = realloc(t->perm, (size_t)n * sizeof *p);
        if (!p) return nb_fail(NB_ENOMEM, "nb_train_epoch: out of memory");
        t->perm = p;
        t->perm_n = n;
    }
    /* both batch tensors before the threads start: a full one and the last */
    if ((n >= B && !batch_tensor(&t->xb[0], &t->model->desc, B)) ||
        (n % B && !batch_tensor(&t->xb[1], &t->model->desc, n % B)))
        return nb_errcode();
    nb_shuffle(&t->rng, t->perm, n);
    nb_params_zero_grad(t->model->params);
    nb_params_zero_grad(t->replica->params);
    bool scheduled = t->cfg.schedule != NB_LR_CONSTANT || t->cfg.warmup > 0;
    double loss_sum = 0, t0 = now_s();
    int64_t correct = 0, step0 = t->step, opt_t0 = nb_optim_steps(t->opt);
    nb_model *models[2] = {t->model, t->replica};
    nb_ctx *ctxs[2] = {t->ctx, t->shard_ctx};
    nb_ctx_set_grad(t->ctx, true);
    nb_ctx_set_grad(t->shard_ctx, true);
    step_state ss = {0};
    barrier bar = {0, 0};
    enum { CHUNK = 1 << 14 };
    int64_t nchunks = (np + CHUNK - 1) / CHUNK;
    int nt = nb_get_threads() > 1 && B > 1 ? 2 : 1;
    (void)nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int tid = 0, nth = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        nth = omp_get_num_threads();
#endif
        for (int64_t k = 0; k < steps; k++) {
            int64_t b = n - k * B < B ? n - k * B : B, half = (b + 1) / 2, rows[3] = {0, half, b};
            nb_tensor *x = t->xb[b == B ? 0 : 1];
            if (tid == 0) {
                /* the step's scalars, taken back below if the loss is not finite */
                ss.st = scheduled ? nb_optim_set_lr(t->opt, nb_train_lr(&t->cfg, t->step, steps)) : NB_OK;
                if (!ss.st) ss.st = nb_optim_step_begin(t->opt);
            }
            for (int sh = tid; sh < 2; sh += nth) {
                shard_result *r = &ss.res[sh];
                memset(r, 0, sizeof *r);
                if (rows[sh + 1] == rows[sh]) continue;
                int64_t row = x->numel / b;
                nb_dataset_gather(train, t->perm, k * B + rows[sh], rows[sh + 1] - rows[sh], &t->cfg.norm,
                                  (float *)x->data + rows[sh] * row, t->yb + rows[sh]);
                run_shard(models[sh], ctxs[sh], x, t->yb, rows[sh], rows[sh + 1], b, r);
            }
            barrier_wait(&bar, nth);
            /* every thread reads the same results and takes the same turn */
            double lv = (ss.res[0].loss * (double)half + ss.res[1].loss * (double)(b - half)) / (double)b;
            if (ss.st || ss.res[0].st || ss.res[1].st || !isfinite(lv)) break;
            for (int64_t c = tid; c < nchunks; c += nth)
                update(t, c * CHUNK, (c + 1) * CHUNK < np ? (c + 1) * CHUNK : np);
            if (tid == 0) {
                loss_sum += lv * (double)b;
                correct += ss.res[0].correct + ss.res[1].correct;
                t->step++;
            }
            barrier_wait(&bar, nth);
            if (tid == 0 && fn) fn(user, k + 1, steps, loss_sum / (double)(k * B + b), now_s() - t0);
        }
    }
    if (t->step - step0 < steps) { /* a step failed: nothing of it is kept */
        int64_t k = t->step - step0, b = n - k * B < B ? n - k * B : B, half = (b + 1) / 2;
        nb_optim_set_steps(t->opt, opt_t0 + k);
        nb_params_zero_grad(t->model->params);
        nb_params_zero_grad(t->replica->params);
        if (ss.st) return ss.st;
        for (int sh = 0; sh < 2; sh++)
            if (ss.res[sh].st)
                return nb_fail(ss.res[sh].st, "step %lld: %s", (long long)t->step + 1, ss.res[sh].msg);
        double lv = (ss.res[0].loss * (double)half + ss.res[1].loss * (double)(b - half)) / (double)b;
        return nb_fail(NB_ENUM, "step %lld (epoch %lld, batch %lld of %lld): loss is %s", (long long)t->step + 1,
                       (long long)t->epoch + 1, (long long)k + 1, (long long)steps, isnan(lv) ? "NaN" : "Inf");
    }
    t->epoch++;
    if (st) {
        st->seconds = now_s() - t0;
        st->samples = n;
        st->steps = steps;
        st->loss = loss_sum / (double)n;
        st->acc = (double)correct / (double)n;
        st->samples_per_s = st->seconds > 0 ? (double)n / st->seconds : 0;
    }
    return NB_OK;
}

nb_status nb_evaluate(nb_model *m, nb_ctx *ctx, const nb_dataset *ds, const nb_norm *norm, int64_t batch,
                      double *loss, double *acc) {
    if (!m || !ctx) return nb_fail(NB_EINVAL, "nb_evaluate: no model or ctx");
    if (batch < 1) return nb_fail(NB_EINVAL, "nb_evaluate: batch %lld must be at least 1", (long long)batch);
    nb_status s = check_data(&m->desc, ds, "test");
    if (s) return s;
    int32_t *y = malloc((size_t)batch * sizeof *y);
    nb_tensor *xb[2] = {NULL, NULL};
    if (!y) return nb_fail(NB_ENOMEM, "nb_evaluate: out of memory");
    bool was = nb_ctx_set_grad(ctx, false);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t at = 0; at < ds->n; at += batch) {
        int64_t b = ds->n - at < batch ? ds->n - at : batch;
        nb_tensor *x = batch_tensor(&xb[b == batch ? 0 : 1], &m->desc, b);
        if (!x) {
            s = nb_errcode();
            break;
        }
        nb_dataset_gather(ds, NULL, at, b, norm, x->data, y);
        nb_tensor *logits = nb_model_forward(ctx, m, x);
        nb_tensor *l = nb_softmax_cross_entropy(ctx, logits, y);
        if (!l) {
            s = nb_errcode() ? nb_errcode() : nb_fail(NB_ESTATE, "nb_evaluate: forward failed");
            nb_ctx_reset(ctx);
            break;
        }
        loss_sum += nb_tensor_get(l, 0) * (double)b;
        correct += count_correct(logits, y);
        nb_ctx_reset(ctx);
    }
    nb_ctx_set_grad(ctx, was);
    free(y);
    nb_tensor_free(xb[0]);
    nb_tensor_free(xb[1]);
    if (s) return s;
    if (loss) *loss = loss_sum / (double)ds->n;
    if (acc) *acc = (double)correct / (double)ds->n;
    return NB_OK;
}
