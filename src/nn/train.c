/* The training loop and evaluation.
 *
 * A step: gather a batch into a reused heap tensor, forward in a context,
 * backward into the flat gradient buffer, the optimizer's step over the flat
 * buffers (or, for the MLP, block by block inside the backward), rewind the
 * context. Nothing is allocated per step once the arenas have grown to a
 * step's size. The data order comes from the trainer's RNG, whose state is
 * part of a checkpoint, so a resumed run sees the same order. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nabla/autodiff.h"
#include "nabla/nn.h"

#include "core/team.h"
#include "dist/dist.h"
#include "nn/train_internal.h"

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
    if (c->batch < 1 || c->batch > NB_MAX_BATCH)
        return nb_fail(NB_EINVAL, "batch %lld: must be in 1..%lld", (long long)c->batch, (long long)NB_MAX_BATCH);
    if (c->epochs < 0 || c->epochs > NB_MAX_EPOCHS)
        return nb_fail(NB_EINVAL, "epochs %lld: must be in 0..%lld", (long long)c->epochs, (long long)NB_MAX_EPOCHS);
    if (c->warmup < 0 || c->warmup > NB_MAX_EPOCHS) /* so warmup * steps cannot overflow */
        return nb_fail(NB_EINVAL, "warmup %lld: must be in 0..%lld", (long long)c->warmup, (long long)NB_MAX_EPOCHS);
    if (c->schedule != NB_LR_CONSTANT && c->schedule != NB_LR_COSINE)
        return nb_fail(NB_EINVAL, "unknown schedule %d", (int)c->schedule);
    if (!isfinite(c->norm.mean) || !isfinite(c->norm.std) || !(c->norm.std > 0))
        return nb_fail(NB_EINVAL, "normalisation mean %g, std %g: std must be positive", (double)c->norm.mean,
                       (double)c->norm.std);
    return nb_optim_validate(&c->optim);
}

double nb_train_lr(const nb_train_config *cfg, int64_t s, int64_t steps_per_epoch) {
    double base = cfg->optim.lr;
    int64_t warm, total; /* saturated: a caller's config need not be validated */
    if (__builtin_mul_overflow(cfg->warmup, steps_per_epoch, &warm)) warm = INT64_MAX;
    if (__builtin_mul_overflow(cfg->epochs, steps_per_epoch, &total)) total = INT64_MAX;
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
    nb__shards_free(t->shards);
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
nb_tensor *nb__batch_tensor(nb_tensor **slot, const nb_model_desc *d, int64_t b) {
    if (*slot && (*slot)->shape[0] == b) return *slot;
    nb_tensor_free(*slot);
    if (d->kind == NB_MODEL_CNN) *slot = nb_tensor_new(NB_F32, NB_SHAPE(b, d->channels, d->height, d->width));
    else *slot = nb_tensor_new(NB_F32, NB_SHAPE(b, (int64_t)d->channels * d->height * d->width));
    return *slot;
}

nb_status nb__check_data(const nb_model_desc *d, const nb_dataset *ds, const char *what) {
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

/* Subnormal floats are flushed to zero while training, on every thread of
 * the epoch (x86's FTZ and DAZ bits, as TensorFlow and oneDNN set them): an
 * optimizer's decaying state (momentum, Adam's moments) otherwise drifts
 * into the subnormal range, where each operation takes a microcode assist;
 * the MLP's fourth epoch ran at 40% of the first's speed. Values below
 * 1.2e-38 (f32) then count as zero. */
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
unsigned nb__flush_subnormals(void) {
    unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040); /* FTZ | DAZ */
    return old;
}
void nb__restore_fp(unsigned csr) { _mm_setcsr(csr); }
#else
unsigned nb__flush_subnormals(void) { return 0; }
void nb__restore_fp(unsigned csr) { (void)csr; }
#endif

/* Two threads share a step in one of two ways, chosen by the model. Either
 * way one thread runs the epoch, leading a team (core/team.h) of the other
 * to which it hands jobs, and paces it: when the other core is lost to
 * another process, the leader does the jobs alone for a while.
 *
 * Shards (the CNN: much arithmetic per weight). The batch's two halves run
 * side by side, each with its own context and gradient buffer; each shard's
 * loss is weighted by its share of the batch, so the two gradients add up
 * to the batch's, summed in shard order. Every op inside a shard runs on one
 * thread. A step is two jobs: the shards, then the update of the parameters.
 * (The same split, across machines, is MPI's.)
 *
 * Cut weights (the MLP: each weight used once per sample, so moving weights
 * between cores costs more than the arithmetic). The leader runs the step on
 * the whole batch, and each GEMM hands the team half its work, cut by the
 * weights' rows (see ops/linalg.c). The optimizer
 * steps each block of a weight as the backward finishes its gradient, on the
 * thread that computed it (the ready hook, below), so every weight, its
 * gradient and its optimizer state stay in one core's cache.
 *
 * Either way each result is summed in an order fixed by the batch alone, so
 * the bits are the same whatever the thread count. The whole epoch is one
 * parallel region: a thread asleep between steps would cost a wake-up (tens
 * of microseconds in a VM) each time. */

/* One epoch's loop, shared by its threads. */
typedef struct epoch_run {
    nb_trainer *t;
    const nb_dataset *ds;
    int64_t n, B, steps;
    bool scheduled;
    nb_progress_fn fn;
    void *user;
    double t0;
    /* the step's results; done counts the steps that finished */
    shard_result res[2];
    nb_status st; /* a step that could not start (a bad scheduled rate) */
    int64_t done, b, correct;
    double loss_sum, loss; /* the failing step's loss, when that was the trouble */
    nb_team team;
    _Atomic int64_t *ready; /* per parameter: gradient elements stepped by the ready hook */
} epoch_run;

static int64_t batch_size(const epoch_run *r, int64_t k) { return r->n - k * r->B < r->B ? r->n - k * r->B : r->B; }

/* Sets the step's rate and scalars (the leader, before the update). */
static nb_status begin_step(epoch_run *r) {
    nb_trainer *t = r->t;
    nb_status s = r->scheduled ? nb_optim_set_lr(t->opt, nb_train_lr(&t->cfg, t->step, r->steps)) : NB_OK;
    return s ? s : nb_optim_step_begin(t->opt);
}

static void end_step(epoch_run *r, int64_t k, int64_t b, double loss, int64_t correct) {
    r->loss_sum += loss * (double)b;
    r->correct += correct;
    r->done = k + 1;
    r->t->step++;
}

static void progress(epoch_run *r, int64_t k) {
    if (r->fn) r->fn(r->user, k + 1, r->steps, r->loss_sum / (double)(k * r->B + r->b), now_s() - r->t0);
}

/* Gathers rows [r0, r1) of batch k into x and the labels. */
static void gather(epoch_run *r, nb_tensor *x, int64_t k, int64_t r0, int64_t r1) {
    int64_t row = x->numel / x->shape[0];
    nb_dataset_gather(r->ds, r->t->perm, k * r->B + r0, r1 - r0, &r->t->cfg.norm, (float *)x->data + r0 * row,
                      r->t->yb + r0);
}

/* ---- shards ---- */

void nb__run_shard(nb_model *m, nb_ctx *ctx, const nb_tensor *x, const int32_t *y, int64_t r0, int64_t r1,
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
        /* a shard's loss weighted by its share of the batch; the whole batch's as it is */
        if (isfinite(out->loss))
            st = nb_backward(ctx, r1 - r0 == b ? loss : nb_scale(ctx, loss, (double)(r1 - r0) / (double)b));
    }
    out->st = st;
    if (st) snprintf(out->msg, sizeof out->msg, "%s", nb_errmsg());
    nb_ctx_reset(ctx);
}

/* Over [lo, hi) of the flat buffers: the shards' gradients summed into the
 * model's, the optimizer's step, and both gradients zeroed for the next
 * step, in one pass while they are in cache. */
static void shard_update(nb_trainer *t, int64_t lo, int64_t hi) {
    float *restrict d = nb_params_grad(t->model->params);
    float *restrict s = nb_params_grad(t->replica->params);
    for (int64_t i = lo; i < hi; i++) d[i] += s[i];
    nb_optim_step_range(t->opt, nb_params_data(t->model->params), d, lo, hi);
    memset(d + lo, 0, (size_t)(hi - lo) * sizeof *d);
    memset(s + lo, 0, (size_t)(hi - lo) * sizeof *s);
}

/* One step's shards: member t computes shards t, t + n, ... (both, on the
 * leader, while the team runs solo); each has its own context and gradient. */
typedef struct shard_job {
    epoch_run *r;
    nb_tensor *x;
    int64_t k, b, rows[3];
} shard_job;

static void shard_part(void *arg, int t, int n) {
    shard_job *j = arg;
    nb_trainer *tr = j->r->t;
    nb_model *models[2] = {tr->model, tr->replica};
    nb_ctx *ctxs[2] = {tr->ctx, tr->shard_ctx};
    for (int sh = t; sh < 2; sh += n) {
        shard_result *res = &j->r->res[sh];
        memset(res, 0, sizeof *res);
        if (j->rows[sh + 1] == j->rows[sh]) continue;
        gather(j->r, j->x, j->k, j->rows[sh], j->rows[sh + 1]);
        nb__run_shard(models[sh], ctxs[sh], j->x, tr->yb, j->rows[sh], j->rows[sh + 1], j->b, res);
    }
}

/* The update, in chunks of the flat buffers dealt round the members. */
enum { UPDATE_CHUNK = 1 << 14 };

static void update_part(void *arg, int t, int n) {
    nb_trainer *tr = arg;
    int64_t np = nb_params_numel(tr->model->params);
    for (int64_t lo = (int64_t)t * UPDATE_CHUNK; lo < np; lo += (int64_t)n * UPDATE_CHUNK)
        shard_update(tr, lo, lo + UPDATE_CHUNK < np ? lo + UPDATE_CHUNK : np);
}

/* The leader's loop: two jobs a step, the shards and the update. The team
 * is paced (core/team.h): with the other core lost, the leader runs both
 * shards itself, as one thread does, and the bits do not change. */
static void shards_loop(epoch_run *r) {
    nb_trainer *t = r->t;
    for (int64_t k = 0; k < r->steps; k++) {
        int64_t b = batch_size(r, k), half = (b + 1) / 2;
        shard_job j = {r, t->xb[b == r->B ? 0 : 1], k, b, {0, half, b}};
        /* the step's scalars before the update (taken back if the step fails) */
        if ((r->st = begin_step(r))) break;
        nb__team_run(&r->team, shard_part, &j);
        double lv = (r->res[0].loss * (double)half + r->res[1].loss * (double)(b - half)) / (double)b;
        r->b = b, r->loss = lv;
        if (r->res[0].st || r->res[1].st || !isfinite(lv)) break;
        nb__team_run(&r->team, update_part, t);
        end_step(r, k, b, lv, r->res[0].correct + r->res[1].correct);
        progress(r, k);
    }
}

/* ---- cut weights ---- */

typedef struct gather_job {
    epoch_run *r;
    nb_tensor *x;
    int64_t k, b;
} gather_job;

static void gather_part(void *arg, int t, int n) {
    gather_job *g = arg;
    gather(g->r, g->x, g->k, g->b * t / n, g->b * (t + 1) / n);
}

/* The ready hook (see nb_ctx_on_grad_ready): a block of a parameter's
 * gradient is final, so it takes its optimizer step now, on the thread that
 * computed it and while it is in cache, and is zeroed for the next step.
 * The GEMMs give each thread the same rows of a weight every time. */
static void step_ready(void *user, nb_tensor *leaf, int64_t lo, int64_t hi) {
    epoch_run *r = user;
    nb_params *p = r->t->model->params;
    float *d = nb_params_data(p), *g = nb_params_grad(p);
    int64_t off = (float *)leaf->data - d;
    nb_optim_step_range(r->t->opt, d, g, off + lo, off + hi);
    memset(g + off + lo, 0, (size_t)(hi - lo) * sizeof *g);
    for (int i = 0; i < nb_params_count(p); i++)
        if (nb_params_tensor(p, i) == leaf) atomic_fetch_add_explicit(&r->ready[i], hi - lo, memory_order_relaxed);
}

static void team_loop(epoch_run *r) {
    nb_trainer *t = r->t;
    nb_params *p = t->model->params;
    /* The plan the ops follow: each weight's rows stay on one thread, where
     * the ready hook steps them; the team does the products' other halves. */
    nb_ctx_on_grad_ready(t->ctx, step_ready, r);
    nb_ctx_set_plan(t->ctx, NB_PLAN_WEIGHT_ROWS);
    nb__ctx_lead(t->ctx, &r->team);
    for (int64_t k = 0; k < r->steps; k++) {
        int64_t b = batch_size(r, k);
        nb_tensor *x = t->xb[b == r->B ? 0 : 1];
        gather_job g = {r, x, k, b};
        nb__team_run(&r->team, gather_part, &g);
        /* the step's scalars before the backward that takes the step
         * (taken back if the loss is not finite: there is no backward then) */
        if ((r->st = begin_step(r))) break;
        for (int i = 0; i < nb_params_count(p); i++) atomic_store_explicit(&r->ready[i], 0, memory_order_relaxed);
        shard_result *res = &r->res[0];
        nb__run_shard(t->model, t->ctx, x, t->yb, 0, b, b, res);
        r->b = b, r->loss = res->loss;
        if (res->st || !isfinite(res->loss)) break;
        /* a parameter the graph did not reach still takes its step */
        for (int i = 0; i < nb_params_count(p); i++)
            if (!atomic_load_explicit(&r->ready[i], memory_order_relaxed)) {
                nb_tensor *w = nb_params_tensor(p, i);
                step_ready(r, w, 0, w->numel);
            }
        end_step(r, k, b, res->loss, res->correct);
        progress(r, k);
    }
    nb__ctx_lead(t->ctx, NULL);
    nb_ctx_set_plan(t->ctx, NB_PLAN_AUTO);
    nb_ctx_on_grad_ready(t->ctx, NULL, NULL);
}

nb_status nb_train_epoch(nb_trainer *t, const nb_dataset *train, nb_epoch_stats *st, nb_progress_fn fn,
                         void *user) {
    if (!t) return nb_fail(NB_EINVAL, "nb_train_epoch: no trainer");
    if (st) *st = (nb_epoch_stats){0};
    if (t->cfg.shards > 0 || nb_dist_size() > 1) return nb__train_epoch_shards(t, train, st, fn, user);
    nb_status s = nb__check_data(&t->model->desc, train, "training");
    if (s) return s;
    int64_t n = train->n, B = t->cfg.batch;
    if (t->perm_n != n) {
        int64_t *p = realloc(t->perm, (size_t)n * sizeof *p);
        if (!p) return nb_fail(NB_ENOMEM, "nb_train_epoch: out of memory");
        t->perm = p;
        t->perm_n = n;
    }
    /* both batch tensors before the threads start: a full one and the last */
    if ((n >= B && !nb__batch_tensor(&t->xb[0], &t->model->desc, B)) ||
        (n % B && !nb__batch_tensor(&t->xb[1], &t->model->desc, n % B)))
        return nb_errcode();
    epoch_run *r = calloc(1, sizeof *r);
    _Atomic int64_t *ready = calloc((size_t)nb_params_count(t->model->params) + 1, sizeof *ready);
    if (!r || !ready) {
        free(r), free(ready);
        return nb_fail(NB_ENOMEM, "nb_train_epoch: out of memory");
    }
    *r = (epoch_run){.t = t, .ds = train, .n = n, .B = B, .steps = (n + B - 1) / B, .fn = fn, .user = user};
    r->ready = ready;
    r->scheduled = t->cfg.schedule != NB_LR_CONSTANT || t->cfg.warmup > 0;
    nb_shuffle(&t->rng, t->perm, n);
    nb_params_zero_grad(t->model->params);
    nb_params_zero_grad(t->replica->params);
    nb_ctx_set_grad(t->ctx, true);
    nb_ctx_set_grad(t->shard_ctx, true);
    int64_t opt_t0 = nb_optim_steps(t->opt);
    bool team = t->model->desc.kind == NB_MODEL_MLP;
    int nt = nb_ctx_threads(t->ctx) > 1 && B > 1 ? 2 : 1;
    (void)nt;
    r->t0 = now_s();
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int tid = 0, nth = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        nth = omp_get_num_threads();
#endif
        unsigned fp = nb__flush_subnormals();
        if (tid > 0) nb__team_serve(&r->team, tid);
        else {
            nb__team_lead(&r->team, nth);
            /* no job of the step waits inside: a late member's shares can run here */
            nb__team_adapt(&r->team, nb__ctx_pace(t->ctx));
            if (team) team_loop(r);
            else shards_loop(r);
            nb__team_end(&r->team);
        }
        nb__restore_fp(fp);
    }
    double seconds = now_s() - r->t0;
    if (r->done < r->steps) { /* a step failed: nothing of it is kept */
        int64_t k = r->done;
        nb_optim_set_steps(t->opt, opt_t0 + k);
        nb_params_zero_grad(t->model->params);
        nb_params_zero_grad(t->replica->params);
        if (r->st) s = r->st; /* its message is this thread's */
        for (int sh = 0; sh < 2 && !s; sh++)
            if (r->res[sh].st) s = nb_fail(r->res[sh].st, "step %lld: %s", (long long)t->step + 1, r->res[sh].msg);
        if (!s)
            s = nb_fail(NB_ENUM, "step %lld (epoch %lld, batch %lld of %lld): loss is %s", (long long)t->step + 1,
                        (long long)t->epoch + 1, (long long)k + 1, (long long)r->steps,
                        isnan(r->loss) ? "NaN" : "Inf");
        free(r->ready);
        free(r);
        return s;
    }
    t->epoch++;
    if (st) {
        st->seconds = seconds;
        st->samples = n;
        st->steps = r->steps;
        st->loss = r->loss_sum / (double)n;
        st->acc = (double)r->correct / (double)n;
        st->samples_per_s = seconds > 0 ? (double)n / seconds : 0;
    }
    free(r->ready);
    free(r);
    return NB_OK;
}

nb_status nb_evaluate(nb_model *m, nb_ctx *ctx, const nb_dataset *ds, const nb_norm *norm, int64_t batch,
                      double *loss, double *acc) {
    if (!m || !ctx) return nb_fail(NB_EINVAL, "nb_evaluate: no model or ctx");
    if (batch < 1) return nb_fail(NB_EINVAL, "nb_evaluate: batch %lld must be at least 1", (long long)batch);
    nb_status s = nb__check_data(&m->desc, ds, "test");
    if (s) return s;
    if (batch > ds->n) batch = ds->n; /* the buffers need no more */
    /* Under mpirun each rank takes a run of whole batches; the batches'
     * sums are gathered and added in batch order, as one process adds them. */
    int64_t nbat = (ds->n + batch - 1) / batch, P = nb_dist_size(), R = nb_dist_rank();
    int32_t *y = malloc((size_t)batch * sizeof *y);
    double *part = calloc((size_t)nbat * 2, sizeof *part); /* per batch: loss * size, correct */
    nb_tensor *xb[2] = {NULL, NULL};
    if (!y || !part) s = nb_fail(NB_ENOMEM, "nb_evaluate: out of memory");
    bool was = nb_ctx_set_grad(ctx, false);
    for (int64_t k = nbat * R / P; k < nbat * (R + 1) / P && !s; k++) {
        int64_t at = k * batch, b = ds->n - at < batch ? ds->n - at : batch;
        nb_tensor *x = nb__batch_tensor(&xb[b == batch ? 0 : 1], &m->desc, b);
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
        part[2 * k] = nb_tensor_get(l, 0) * (double)b;
        part[2 * k + 1] = (double)count_correct(logits, y);
        nb_ctx_reset(ctx);
    }
    nb_ctx_set_grad(ctx, was);
    if (P > 1 && !(s = nb_dist_agree(s))) nb__allgather_blocks(part, nbat, 2 * sizeof *part);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t k = 0; k < nbat && !s; k++) loss_sum += part[2 * k], correct += (int64_t)part[2 * k + 1];
    free(y);
    free(part);
    nb_tensor_free(xb[0]);
    nb_tensor_free(xb[1]);
    if (s) return s;
    if (loss) *loss = loss_sum / (double)ds->n;
    if (acc) *acc = (double)correct / (double)ds->n;
    return NB_OK;
}
