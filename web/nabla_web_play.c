/* web/nabla_web_play.c — the playground's C API (web/nabla_web.h): a small
 * MLP learning a toy 2-D dataset, step by step, with the library's own
 * model, softmax cross-entropy, backward and optimizers. Compiled into the
 * page's module and natively into tests/web/native.c, so the browser suite
 * can hold the page's loss curve to the native library's bit for bit.
 *
 * One playground per module instance (the page's runs in its worker). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/autodiff.h"
#include "nabla/nn.h"
#include "nabla/rng.h"
#include "nabla_web.h"

typedef struct play {
    double p[NBW_P_LEN];      /* the block it was built from (its knobs as last set) */
    nb_toy2d data;
    nb_model *model;
    nb_optim *opt;
    nb_ctx *ctx;
    nb_rng rng;               /* the initialisation, then the batches' order */
    int64_t step, batch, pos; /* pos: where the epoch's order has got to */
    int64_t *perm;            /* the epoch's order of the training set */
    nb_tensor *xb, *xtrain, *xtest; /* heap: a batch, the two whole sets */
    int32_t *yb;
    double info[NBW_PI_LEN];
    double *losses;           /* the last run's minibatch losses */
} play;
static play P;

static void play_free(play *q) {
    nb_toy2d_free(&q->data);
    nb_model_free(q->model);
    nb_optim_free(q->opt);
    nb_ctx_free(q->ctx);
    free(q->perm);
    nb_tensor_free(q->xb), nb_tensor_free(q->xtrain), nb_tensor_free(q->xtest);
    free(q->yb);
    free(q->losses);
    memset(q, 0, sizeof *q);
}

static bool whole(double v, double lo, double hi) { return v >= lo && v <= hi && v == floor(v); }

/* The optimizer the block asks for: its kind's defaults under its
 * convention, then each knob that is not NaN. */
static nb_status optim_from(const double *p, nb_optim_config *c) {
    if (!whole(p[NBW_P_KIND], 0, NB_OPT_COUNT - 1)) return nb_fail(NB_EINVAL, "play: unknown optimizer %g", p[NBW_P_KIND]);
    if (p[NBW_P_CONV] != NB_CONV_HANDOUT && p[NBW_P_CONV] != NB_CONV_TORCH)
        return nb_fail(NB_EINVAL, "play: unknown convention %g", p[NBW_P_CONV]);
    *c = nb_optim_defaults((nb_optim_kind)p[NBW_P_KIND], (nb_convention)p[NBW_P_CONV]);
    if (!isnan(p[NBW_P_LR])) c->lr = p[NBW_P_LR];
    if (!isnan(p[NBW_P_MOMENTUM])) c->momentum = p[NBW_P_MOMENTUM];
    if (!isnan(p[NBW_P_BETA])) c->beta = p[NBW_P_BETA];
    if (!isnan(p[NBW_P_BETA1])) c->beta1 = p[NBW_P_BETA1];
    if (!isnan(p[NBW_P_BETA2])) c->beta2 = p[NBW_P_BETA2];
    if (!isnan(p[NBW_P_EPS])) c->eps = p[NBW_P_EPS];
    if (!isnan(p[NBW_P_L2])) c->weight_decay = p[NBW_P_L2];
    return nb_optim_validate(c);
}

static nb_status batch_from(const double *p, int64_t ntrain, int64_t *B) {
    if (!whole(p[NBW_P_BATCH], 1, (double)ntrain))
        return nb_fail(NB_EINVAL, "play: batch %g: must be a whole number in 1..%lld (the training points)", p[NBW_P_BATCH],
                       (long long)ntrain);
    *B = (int64_t)p[NBW_P_BATCH];
    return NB_OK;
}

static void info_knobs(play *q) {
    const nb_optim_config *c = nb_optim_get_config(q->opt);
    double *o = q->info;
    o[NBW_PI_LR] = c->lr, o[NBW_PI_MOMENTUM] = c->momentum, o[NBW_PI_BETA] = c->beta, o[NBW_PI_BETA1] = c->beta1;
    o[NBW_PI_BETA2] = c->beta2, o[NBW_PI_EPS] = c->eps, o[NBW_PI_L2] = c->weight_decay;
}

/* A heap (rows, 2) tensor holding rows [r0, r0 + rows) of the points. */
static nb_tensor *points(const nb_toy2d *d, int64_t r0, int64_t rows) {
    nb_tensor *t = nb_tensor_new(NB_F32, NB_SHAPE(rows, 2));
    if (t) memcpy(t->data, d->x + 2 * r0, (size_t)(2 * rows) * sizeof(float));
    return t;
}

/* A new playground; the old one stays until the new one is whole. */
int nbw_play_new(const double *q) {
    if (!whole(q[NBW_P_DATA], 0, NB_TOY2D_COUNT - 1)) return nb_fail(NB_EINVAL, "play: unknown dataset %g", q[NBW_P_DATA]);
    if (!whole(q[NBW_P_N], 2, NBW_PLAY_MAX_N))
        return nb_fail(NB_EINVAL, "play: %g points: must be a whole number in 2..%d", q[NBW_P_N], NBW_PLAY_MAX_N);
    if (!whole(q[NBW_P_SEED], 0, 9007199254740992.0))
        return nb_fail(NB_EINVAL, "play: seed %g: must be a whole number >= 0", q[NBW_P_SEED]);
    if (!whole(q[NBW_P_DEPTH], 1, NBW_PLAY_MAX_DEPTH))
        return nb_fail(NB_EINVAL, "play: %g hidden layers: must be 1..%d", q[NBW_P_DEPTH], NBW_PLAY_MAX_DEPTH);
    if (!whole(q[NBW_P_WIDTH], 1, NBW_PLAY_MAX_WIDTH))
        return nb_fail(NB_EINVAL, "play: %g units a layer: must be 1..%d", q[NBW_P_WIDTH], NBW_PLAY_MAX_WIDTH);
    if (!whole(q[NBW_P_ACT], 0, NB_ACT_COUNT - 1)) return nb_fail(NB_EINVAL, "play: unknown activation %g", q[NBW_P_ACT]);
    nb_optim_config c;
    nb_status s = optim_from(q, &c);
    if (s) return s;
    play n;
    memset(&n, 0, sizeof n);
    uint64_t seed = (uint64_t)q[NBW_P_SEED];
    if ((s = nb_toy2d_make(&n.data, (nb_toy2d_kind)q[NBW_P_DATA], (int64_t)q[NBW_P_N], q[NBW_P_NOISE], q[NBW_P_TRAIN], seed)))
        return s;
    int64_t ntrain = n.data.ntrain, ntest = n.data.n - ntrain;
    if ((s = batch_from(q, ntrain, &n.batch))) {
        play_free(&n);
        return s;
    }
    int64_t hidden[NBW_PLAY_MAX_DEPTH];
    for (int i = 0; i < (int)q[NBW_P_DEPTH]; i++) hidden[i] = (int64_t)q[NBW_P_WIDTH];
    nb_model_desc d = nb_mlp_desc((int)q[NBW_P_DEPTH], hidden);
    d.height = 1, d.width = 2, d.classes = 2, d.activation = (nb_activation)q[NBW_P_ACT];
    nb_rng_stream(&n.rng, seed, 1); /* apart from the data's draws */
    memcpy(n.p, q, sizeof n.p);
    if ((n.model = nb_model_new(&d, NB_F32, &n.rng)) && (n.opt = nb_optim_new_params(&c, n.model->params)) &&
        (n.ctx = nb_ctx_new()) && (n.perm = malloc((size_t)ntrain * sizeof *n.perm)) &&
        (n.losses = malloc(sizeof *n.losses)) && (n.xb = nb_tensor_new(NB_F32, NB_SHAPE(n.batch, 2))) &&
        (n.yb = malloc((size_t)n.batch * sizeof *n.yb)) && (n.xtrain = points(&n.data, 0, ntrain)) &&
        (n.xtest = points(&n.data, ntrain, ntest))) {
        n.pos = ntrain; /* the first step draws the first epoch's order */
        n.info[NBW_PI_PARAMS] = (double)nb_params_numel(n.model->params);
        n.info[NBW_PI_NTRAIN] = (double)ntrain, n.info[NBW_PI_NTEST] = (double)ntest;
        info_knobs(&n);
        play_free(&P);
        P = n;
        return nbw_play_eval();
    }
    s = nb_errcode() ? nb_errcode() : nb_fail(NB_ENOMEM, "play: out of memory");
    play_free(&n);
    return s;
}

int nbw_play_set(const double *p) {
    if (!P.model) return nb_fail(NB_ESTATE, "play: no network yet");
    static const int structural[] = {NBW_P_DATA, NBW_P_N, NBW_P_NOISE, NBW_P_TRAIN, NBW_P_SEED, NBW_P_DEPTH, NBW_P_WIDTH, NBW_P_ACT};
    for (size_t i = 0; i < sizeof structural / sizeof *structural; i++)
        if (!(p[structural[i]] == P.p[structural[i]]))
            return nb_fail(NB_EINVAL, "play: the data or the network changed: build them anew (nbw_play_new)");
    nb_optim_config c;
    int64_t B = 0;
    nb_status s = optim_from(p, &c);
    if (s || (s = batch_from(p, P.data.ntrain, &B))) return s;
    nb_optim *o = nb_optim_new_params(&c, P.model->params);
    if (!o) return nb_errcode();
    /* the same kind keeps its state and its step count (Adam's bias correction
     * goes on); another kind starts from zero */
    const nb_optim_config *old = nb_optim_get_config(P.opt);
    if (c.kind == old->kind) {
        for (int i = 0; i < nb_optim_state_count(o); i++)
            for (int j = 0; j < nb_optim_state_count(P.opt); j++)
                if (strcmp(nb_optim_state_name(o, i), nb_optim_state_name(P.opt, j)) == 0)
                    memcpy(nb_optim_state_data(o, i), nb_optim_state_data(P.opt, j),
                           (size_t)nb_optim_state_numel(o) * sizeof(float));
        nb_optim_set_steps(o, nb_optim_steps(P.opt));
    }
    if (B != P.batch) {
        nb_tensor *xb = nb_tensor_new(NB_F32, NB_SHAPE(B, 2));
        int32_t *yb = malloc((size_t)B * sizeof *yb);
        if (!xb || !yb) {
            nb_tensor_free(xb), free(yb), nb_optim_free(o);
            return nb_fail(NB_ENOMEM, "play: out of memory for a batch of %lld", (long long)B);
        }
        nb_tensor_free(P.xb), free(P.yb);
        P.xb = xb, P.yb = yb, P.batch = B;
    }
    nb_optim_free(P.opt);
    P.opt = o;
    memcpy(P.p, p, sizeof P.p);
    info_knobs(&P);
    return NB_OK;
}

/* One step: the next batch of the epoch's order (a new order once fewer
 * than a batch are left), forward, loss, backward, the optimizer's step. */
static nb_status play_step(double *loss_out) {
    int64_t B = P.batch, ntrain = P.data.ntrain;
    if (P.pos + B > ntrain) {
        nb_shuffle(&P.rng, P.perm, ntrain);
        P.pos = 0;
    }
    float *x = P.xb->data;
    for (int64_t b = 0; b < B; b++) {
        int64_t i = P.perm[P.pos + b];
        x[2 * b] = P.data.x[2 * i], x[2 * b + 1] = P.data.x[2 * i + 1];
        P.yb[b] = P.data.y[i];
    }
    nb_ctx_reset(P.ctx);
    nb_ctx_set_grad(P.ctx, true);
    nb_tensor *loss = nb_softmax_cross_entropy(P.ctx, nb_model_forward(P.ctx, P.model, P.xb), P.yb);
    if (!loss) return nb_errcode() ? nb_errcode() : nb_fail(NB_ESTATE, "play: the forward pass failed");
    double l = nb_tensor_get(loss, 0);
    if (!isfinite(l))
        return nb_fail(NB_ENUM, "play: step %lld: the loss is %s (a smaller learning rate, or reset)", (long long)P.step + 1,
                       isnan(l) ? "NaN" : "Inf");
    nb_status s = nb_backward(P.ctx, loss);
    if (!s) s = nb_optim_step_params(P.opt, P.model->params);
    nb_params_zero_grad(P.model->params);
    nb_ctx_reset(P.ctx);
    if (s) return s;
    P.pos += B;
    P.step++;
    *loss_out = l;
    return NB_OK;
}

int nbw_play_run(int k) {
    if (!P.model) return nb_fail(NB_ESTATE, "play: no network yet");
    if (k < 0 || k > NBW_PLAY_MAX_RUN) return nb_fail(NB_EINVAL, "play: %d steps: must be in 0..%d", k, NBW_PLAY_MAX_RUN);
    double *l = realloc(P.losses, (size_t)(k ? k : 1) * sizeof *l);
    if (!l) return nb_fail(NB_ENOMEM, "play: out of memory for %d losses", k);
    P.losses = l;
    nb_status s = NB_OK;
    for (int i = 0; i < k && !s; i++) s = play_step(&l[i]);
    P.info[NBW_PI_STEP] = (double)P.step;
    return s;
}

/* Mean loss and accuracy of the model on x (rows, 2) with labels y. */
static nb_status eval_set(nb_tensor *x, const int32_t *y, double *loss, double *acc) {
    nb_ctx_reset(P.ctx);
    bool was = nb_ctx_set_grad(P.ctx, false);
    nb_tensor *logits = nb_model_forward(P.ctx, P.model, x);
    nb_tensor *l = nb_softmax_cross_entropy(P.ctx, logits, y);
    nb_status s = l ? NB_OK : nb_errcode() ? nb_errcode() : nb_fail(NB_ESTATE, "play: evaluation failed");
    if (!s) {
        int64_t ok = 0, N = x->shape[0];
        const float *z = logits->data;
        for (int64_t i = 0; i < N; i++) ok += (z[2 * i + 1] > z[2 * i]) == (y[i] == 1);
        *loss = nb_tensor_get(l, 0), *acc = (double)ok / (double)N;
    }
    nb_ctx_set_grad(P.ctx, was);
    nb_ctx_reset(P.ctx);
    return s;
}

int nbw_play_eval(void) {
    if (!P.model) return nb_fail(NB_ESTATE, "play: no network yet");
    double *o = P.info;
    nb_status s = eval_set(P.xtrain, P.data.y, &o[NBW_PI_TRAIN_LOSS], &o[NBW_PI_TRAIN_ACC]);
    if (!s) s = eval_set(P.xtest, P.data.y + P.data.ntrain, &o[NBW_PI_TEST_LOSS], &o[NBW_PI_TEST_ACC]);
    o[NBW_PI_STEP] = (double)P.step;
    return s;
}

const double *nbw_play_info(void) { return P.info; }
const double *nbw_play_losses(void) { return P.losses; }
const float *nbw_play_x(void) { return P.data.x; }
const int32_t *nbw_play_y(void) { return P.data.y; }

int nbw_play_map(int nx, int ny, double lo, double hi, double *prob, double *units) {
    if (!P.model) return nb_fail(NB_ESTATE, "play: no network yet");
    if (nx < 2 || ny < 2 || nx > NBW_PLAY_MAX_GRID || ny > NBW_PLAY_MAX_GRID)
        return nb_fail(NB_EINVAL, "play: a %d x %d grid: each side must be in 2..%d", nx, ny, NBW_PLAY_MAX_GRID);
    if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) return nb_fail(NB_EINVAL, "play: the box [%g, %g] is empty", lo, hi);
    int64_t G = (int64_t)nx * ny;
    nb_ctx_reset(P.ctx);
    bool was = nb_ctx_set_grad(P.ctx, false);
    nb_tensor *x = nb_zeros(P.ctx, NB_F32, NB_SHAPE(G, 2)), *hid[NB_MAX_HIDDEN];
    nb_status s = x ? NB_OK : nb_errcode();
    if (!s) {
        float *g = x->data;
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                g[2 * (j * nx + i)] = (float)(lo + (hi - lo) * (i + 0.5) / nx);
                g[2 * (j * nx + i) + 1] = (float)(lo + (hi - lo) * (j + 0.5) / ny);
            }
        /* the softmax op's f32: libm's exp differs across libcs in the last bit
         * of a double (glibc's and wasi-libc's), rounded to f32 they agree */
        nb_tensor *pr = nb_softmax(P.ctx, nb_model_forward_hidden(P.ctx, P.model, x, hid), 1);
        if (!pr) s = nb_errcode() ? nb_errcode() : nb_fail(NB_ESTATE, "play: the forward pass failed");
        for (int64_t q = 0; q < G && !s; q++) prob[q] = ((const float *)pr->data)[2 * q + 1];
        const nb_model_desc *d = &P.model->desc;
        for (int l = 0; units && !s && l < d->nhidden; l++) {
            int64_t W = d->hidden[l];
            const float *h = hid[l]->data;
            for (int64_t u = 0; u < W; u++)
                for (int64_t q = 0; q < G; q++) units[(l * W + u) * G + q] = h[q * W + u];
        }
    }
    nb_ctx_set_grad(P.ctx, was);
    nb_ctx_reset(P.ctx);
    return s;
}
