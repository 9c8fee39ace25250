/* web/nabla_web_fmnist.c — Fashion-MNIST from the user's own files, trained
 * in the page's worker (web/fashion.js), in chunks of steps so the worker
 * can report and be stopped between them.
 *
 * The files are the library's: nb_idx_parse reads the bytes the browser
 * gunzipped with the checks nb_idx_read makes, nb_dataset_from_idx pairs
 * images with labels as nb_dataset_load does, and the checkpoint is
 * nb_checkpoint_bytes, byte for byte what `nabla train --save` writes. A
 * step is nb_train_epoch's on one thread: the epoch's order from the
 * trainer's RNG, the batch gathered, forward, cross-entropy, backward into
 * the flat gradients, the optimizer's step over the flat buffers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nabla/autodiff.h"
#include "nabla/nn.h"
#include "nabla_web_fmnist.h"

static nb_idx files[NBW_FM_NFILES];
static char names[NBW_FM_NFILES][128];
static nb_dataset split[2]; /* train, test */
static double info[NBW_FMI_LEN];
static double confusion[NB_NUM_CLASSES * NB_NUM_CLASSES];
static int32_t preds[NBW_FM_PREDS];

/* the run: its trainer, the epoch's order and where it is */
static nb_trainer *tr;
static int64_t *perm, k_done, correct;
static double loss_sum, seconds;
static nb_tensor *xb;
static int32_t *yb;
static uint8_t *saved;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_free(void) {
    nb_trainer_free(tr);
    nb_tensor_free(xb);
    free(perm);
    free(yb);
    tr = NULL, xb = NULL, perm = NULL, yb = NULL;
    k_done = correct = 0, loss_sum = seconds = 0;
    for (int i = NBW_FMI_EPOCH; i < NBW_FMI_LEN; i++) info[i] = 0;
}

/* A split's file back as an IDX (its data copied), to pair a new partner with. */
static nb_status idx_of(const nb_dataset *d, bool labels, nb_idx *out) {
    memset(out, 0, sizeof *out);
    out->ndim = labels ? 1 : 3;
    out->dims[0] = d->n, out->dims[1] = d->rows, out->dims[2] = d->cols;
    out->numel = labels ? d->n : d->n * d->rows * d->cols;
    out->data = malloc(out->numel ? (size_t)out->numel : 1);
    if (!out->data) return nb_fail(NB_ENOMEM, "out of memory");
    for (int64_t i = 0; i < out->numel; i++) out->data[i] = labels ? (uint8_t)d->labels[i] : d->pixels[i];
    return NB_OK;
}

/* Nothing that is loaded changes unless the new file is good: a wrong file
 * leaves the page able to train on what it had. */
int nbw_fm_file(int which, const uint8_t *bytes, size_t n, const char *name) {
    if (which < 0 || which >= NBW_FM_NFILES) return nb_fail(NB_EINVAL, "nbw_fm_file: no file %d", which);
    int sp = which / 2, im = 2 * sp, lb = im + 1;
    char nm[sizeof names[0]];
    snprintf(nm, sizeof nm, "%s", name ? name : "file");
    nb_idx got;
    nb_status s = nb_idx_parse(bytes, n, which == im ? 3 : 1, nm, &got);
    if (s) return s;
    int other = which == im ? lb : im;
    nb_idx partner;
    if (files[other].data) partner = files[other]; /* waiting for this one */
    else if (split[sp].n) { /* the split is in: pair the new file with its loaded partner */
        if ((s = idx_of(&split[sp], other == lb, &partner))) {
            nb_idx_free(&got);
            return s;
        }
    } else { /* the first of the two */
        nb_idx_free(&files[which]);
        files[which] = got;
        snprintf(names[which], sizeof names[which], "%s", nm);
        return NB_OK;
    }
    memset(&files[other], 0, sizeof files[other]); /* partner now owns it */
    nb_dataset fresh;
    nb_idx *ip = which == im ? &got : &partner, *lp = which == im ? &partner : &got;
    snprintf(names[which], sizeof names[which], "%s", nm);
    if ((s = nb_dataset_from_idx(&fresh, ip, lp, names[im], names[lb]))) return s;
    run_free(); /* new data: a run on the old is over */
    nb_dataset_free(&split[sp]);
    split[sp] = fresh;
    info[sp == 0 ? NBW_FMI_TRAIN_N : NBW_FMI_TEST_N] = (double)fresh.n;
    info[NBW_FMI_ROWS] = fresh.rows, info[NBW_FMI_COLS] = fresh.cols;
    return NB_OK;
}

const double *nbw_fm_info(void) {
    int bits = 0;
    for (int i = 0; i < NBW_FM_NFILES; i++)
        if (files[i].data || split[i / 2].n) bits |= 1 << i;
    info[NBW_FMI_FILES] = bits;
    return info;
}
const uint8_t *nbw_fm_test_pixels(void) { return split[1].pixels; }
const int32_t *nbw_fm_test_labels(void) { return split[1].labels; }
const double *nbw_fm_confusion(void) { return confusion; }
const int32_t *nbw_fm_preds(void) { return preds; }

static bool whole(double v, double lo, double hi) { return v >= lo && v <= hi && v == floor(v); }

int nbw_fm_new(const double *p) {
    run_free();
    nb_dataset *d = &split[0];
    if (!d->n || !split[1].n) return nb_fail(NB_ESTATE, "train: load the four files first");
    if (split[1].rows != d->rows || split[1].cols != d->cols)
        return nb_fail(NB_EFORMAT, "train: the training images are %dx%d, the test images %dx%d", d->rows, d->cols,
                       split[1].rows, split[1].cols);
    if (p[NBW_FM_MODEL] != 0 && p[NBW_FM_MODEL] != 1) return nb_fail(NB_EINVAL, "train: unknown model %g", p[NBW_FM_MODEL]);
    double k = p[NBW_FM_KIND], cv = p[NBW_FM_CONV];
    if (!whole(k, 0, NB_OPT_COUNT - 1)) return nb_fail(NB_EINVAL, "train: unknown optimizer %g", k);
    if (cv != NB_CONV_HANDOUT && cv != NB_CONV_TORCH) return nb_fail(NB_EINVAL, "train: unknown convention %g", cv);
    if (!whole(p[NBW_FM_BATCH], 1, (double)NB_MAX_BATCH))
        return nb_fail(NB_EINVAL, "train: batch %g must be a whole number in 1..%lld", p[NBW_FM_BATCH],
                       (long long)NB_MAX_BATCH);
    if (!whole(p[NBW_FM_EPOCHS], 1, 1000)) return nb_fail(NB_EINVAL, "train: epochs %g must be in 1..1000", p[NBW_FM_EPOCHS]);
    if (!whole(p[NBW_FM_SEED], 0, 9007199254740991.0))
        return nb_fail(NB_EINVAL, "train: seed %g must be a whole number >= 0", p[NBW_FM_SEED]);
    nb_model_desc md = p[NBW_FM_MODEL] == 0 ? nb_mlp_desc(2, (int64_t[]){256, 256}) : nb_cnn_desc();
    md.height = d->rows, md.width = d->cols;
    nb_train_config c = nb_train_defaults();
    c.optim = nb_optim_defaults((nb_optim_kind)k, (nb_convention)cv);
    /* NaN: the knob keeps its default, as a flag `nabla train` was not given */
    const int knob[] = {NBW_FM_LR, NBW_FM_MOMENTUM, NBW_FM_BETA, NBW_FM_BETA1, NBW_FM_BETA2, NBW_FM_EPS, NBW_FM_WD};
    double *dst[] = {&c.optim.lr, &c.optim.momentum, &c.optim.beta, &c.optim.beta1, &c.optim.beta2, &c.optim.eps,
                     &c.optim.weight_decay};
    for (int i = 0; i < 7; i++)
        if (!isnan(p[knob[i]])) *dst[i] = p[knob[i]];
    c.batch = (int64_t)p[NBW_FM_BATCH];
    c.epochs = (int64_t)p[NBW_FM_EPOCHS];
    c.seed = (uint64_t)p[NBW_FM_SEED];
    if (p[NBW_FM_NORMALIZE] != 0 && p[NBW_FM_NORMALIZE] != 1)
        return nb_fail(NB_EINVAL, "train: normalize %g must be 0 or 1", p[NBW_FM_NORMALIZE]);
    if (p[NBW_FM_NORMALIZE] == 1) c.norm = nb_dataset_stats(d);
    tr = nb_trainer_new(&md, &c);
    if (!tr) return nb_errcode();
    /* what `nabla train` records of its data, so `--resume` can check it */
    tr->data = (nb_data_id){d->n, 0, nb_dataset_hash(d)};
    int64_t in = (int64_t)d->rows * d->cols;
    perm = malloc((size_t)d->n * sizeof *perm);
    yb = malloc((size_t)c.batch * sizeof *yb);
    xb = nb_tensor_new(NB_F32, NB_SHAPE(c.batch, in));
    if (!perm || !yb || !xb) {
        run_free();
        return nb_fail(NB_ENOMEM, "train: out of memory for a batch of %lld", (long long)c.batch);
    }
    info[NBW_FMI_STEPS_PER_EPOCH] = (double)((d->n + c.batch - 1) / c.batch);
    return NB_OK;
}

static int64_t argmax(const float *p, int64_t C) {
    int64_t best = 0;
    for (int64_t c = 1; c < C; c++)
        if (p[c] > p[best]) best = c;
    return best;
}

int nbw_fm_train(int steps, int *done) {
    if (done) *done = 0;
    if (!tr) return nb_fail(NB_ESTATE, "train: no run (start one)");
    if (tr->epoch >= tr->cfg.epochs) return nb_fail(NB_ESTATE, "train: all %lld epochs are done", (long long)tr->cfg.epochs);
    const nb_dataset *d = &split[0];
    int64_t n = d->n, B = tr->cfg.batch, nsteps = (n + B - 1) / B;
    nb_params *ps = tr->model->params;
    if (k_done == 0) { /* a new epoch: its order, as nb_train_epoch draws it */
        nb_shuffle(&tr->rng, perm, n);
        nb_params_zero_grad(ps);
        loss_sum = 0, correct = 0, seconds = 0;
    }
    nb_ctx *ctx = tr->ctx;
    nb_ctx_set_grad(ctx, true);
    double t0 = now_s();
    nb_status s = NB_OK;
    int k = 0;
    for (; k < steps && k_done < nsteps; k++) {
        int64_t b = n - k_done * B < B ? n - k_done * B : B;
        nb_tensor x = *xb; /* the first b rows */
        x.shape[0] = b, x.numel = b * xb->shape[1];
        nb_dataset_gather(d, perm, k_done * B, b, &tr->cfg.norm, x.data, yb);
        nb_tensor *logits = nb_model_forward(ctx, tr->model, &x);
        nb_tensor *loss = nb_softmax_cross_entropy(ctx, logits, yb);
        if (!loss) {
            s = nb_errcode() ? nb_errcode() : nb_fail(NB_ESTATE, "train: forward failed");
            nb_ctx_reset(ctx);
            break;
        }
        double lv = nb_tensor_get(loss, 0);
        if (!isfinite(lv)) {
            s = nb_fail(NB_ENUM, "step %lld (epoch %lld, batch %lld of %lld): loss is %s", (long long)tr->step + 1,
                        (long long)tr->epoch + 1, (long long)k_done + 1, (long long)nsteps, isnan(lv) ? "NaN" : "Inf");
            nb_ctx_reset(ctx);
            break;
        }
        for (int64_t i = 0; i < b; i++) correct += argmax((const float *)logits->data + i * 10, 10) == yb[i];
        if (!s) s = nb_backward(ctx, loss);
        if (!s) s = nb_optim_step(tr->opt, nb_params_data(ps), nb_params_grad(ps));
        nb_params_zero_grad(ps);
        nb_ctx_reset(ctx);
        if (s) break;
        loss_sum += lv * (double)b;
        k_done++;
        tr->step++;
    }
    seconds += now_s() - t0;
    int64_t seen = k_done * B < n ? k_done * B : n;
    info[NBW_FMI_STEP] = (double)k_done;
    info[NBW_FMI_LOSS] = seen ? loss_sum / (double)seen : 0;
    info[NBW_FMI_ACC] = seen ? (double)correct / (double)seen : 0;
    info[NBW_FMI_SECONDS] = seconds;
    if (k_done == nsteps) { /* the epoch is done; the next call begins another */
        tr->epoch++;
        k_done = 0;
    }
    info[NBW_FMI_EPOCH] = (double)tr->epoch;
    if (done) *done = k;
    return s;
}

int nbw_fm_eval(void) {
    if (!tr) return nb_fail(NB_ESTATE, "eval: no run (start one)");
    const nb_dataset *d = &split[1];
    enum { EB = 256 }; /* `nabla eval`'s batch */
    int64_t in = (int64_t)d->rows * d->cols;
    nb_tensor *x = nb_tensor_new(NB_F32, NB_SHAPE(EB, in));
    int32_t y[EB];
    if (!x) return nb_errcode();
    memset(confusion, 0, sizeof confusion);
    nb_ctx *ctx = tr->ctx;
    bool was = nb_ctx_set_grad(ctx, false);
    double loss_sum_ = 0;
    int64_t ok = 0;
    nb_status s = NB_OK;
    for (int64_t at = 0; at < d->n && !s; at += EB) {
        int64_t b = d->n - at < EB ? d->n - at : EB;
        nb_tensor xs = *x;
        xs.shape[0] = b, xs.numel = b * in;
        nb_dataset_gather(d, NULL, at, b, &tr->cfg.norm, xs.data, y);
        nb_tensor *logits = nb_model_forward(ctx, tr->model, &xs);
        nb_tensor *l = nb_softmax_cross_entropy(ctx, logits, y);
        if (!l) s = nb_errcode() ? nb_errcode() : nb_fail(NB_ESTATE, "eval: forward failed");
        else {
            loss_sum_ += nb_tensor_get(l, 0) * (double)b; /* summed in batch order, as nb_evaluate */
            for (int64_t i = 0; i < b; i++) {
                int64_t c = argmax((const float *)logits->data + i * 10, 10);
                ok += c == y[i];
                confusion[y[i] * NB_NUM_CLASSES + c] += 1;
                if (at + i < NBW_FM_PREDS) preds[at + i] = (int32_t)c;
            }
        }
        nb_ctx_reset(ctx);
    }
    nb_ctx_set_grad(ctx, was);
    nb_tensor_free(x);
    if (s) return s;
    info[NBW_FMI_TEST_LOSS] = loss_sum_ / (double)d->n;
    info[NBW_FMI_TEST_ACC] = (double)ok / (double)d->n;
    info[NBW_FMI_TEST_CORRECT] = (double)ok;
    return NB_OK;
}

const uint8_t *nbw_fm_save(void) {
    free(saved);
    saved = NULL;
    info[NBW_FMI_BYTES] = 0;
    if (!tr) {
        nb_fail(NB_ESTATE, "save: no run (start one)");
        return NULL;
    }
    size_t len = 0;
    if (nb_checkpoint_bytes(tr, &saved, &len)) return NULL;
    info[NBW_FMI_BYTES] = (double)len;
    return saved;
}
