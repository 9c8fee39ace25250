/* Checkpoints: a trainer's whole state as one safetensors file.
 *
 * Tensors: the parameters under PyTorch's names and layouts (linear weights
 * transposed to (out, in)); "optim.<param>.<state>" for each optimizer state
 * (exp_avg, momentum_buffer, ...), per parameter and in its layout, so the
 * file does not depend on how the flat buffers are padded; "rng.state"
 * (U64 x 4).
 * __metadata__: the model, the optimizer and every one of its knobs, the
 * training settings, the epoch and the step, and what the run trained on
 * (train_samples, limit, labels_hash: see nb_data_id). Numbers are printed with %.17g
 * (%.9g for floats), which read back to the same bits, so a resumed run
 * continues exactly. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/nn.h"

#define META_MAX 64

typedef struct meta_buf {
    nb_st_writer *w;
    nb_status s;
} meta_buf;

static void put(meta_buf *m, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(meta_buf *m, const char *key, const char *fmt, ...) {
    if (m->s) return;
    char v[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    m->s = nb_st_writer_meta(m->w, key, v);
}

/* (rows, cols) row-major -> (cols, rows) */
static void transpose(const float *src, float *dst, int64_t rows, int64_t cols) {
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) dst[j * rows + i] = src[i * cols + j];
}

/* Saves n floats laid out like parameter p (src) under name, in torch's layout. */
static nb_status save_like(nb_st_writer *w, const char *path, const nb_tensor *p, const float *src,
                           const char *name, float **tmp) {
    if (p->ndim != 2) return nb_st_writer_add(w, name, NB_ST_F32, p->ndim, p->shape, src);
    float *tt = realloc(*tmp, (size_t)p->numel * sizeof *tt); /* a linear weight: ours (in, out) */
    if (!tt) return nb_fail(NB_ENOMEM, "%s: out of memory", path);
    *tmp = tt;
    transpose(src, tt, p->shape[0], p->shape[1]);
    return nb_st_writer_add(w, name, NB_ST_F32, NB_SHAPE(p->shape[1], p->shape[0]), tt);
}

/* The inverse: name's values, checked against p's (torch) shape, into dst. */
static nb_status load_like(const nb_safetensors *st, const nb_tensor *p, float *dst, const char *name, float **tmp) {
    if (p->ndim != 2) return nb_st_get(st, name, NB_ST_F32, p->ndim, p->shape, dst);
    float *tt = realloc(*tmp, (size_t)p->numel * sizeof *tt);
    if (!tt) return nb_fail(NB_ENOMEM, "%s: out of memory", st->path);
    *tmp = tt;
    nb_status s = nb_st_get(st, name, NB_ST_F32, NB_SHAPE(p->shape[1], p->shape[0]), tt);
    if (!s) transpose(tt, dst, p->shape[1], p->shape[0]);
    return s;
}

/* Where parameter i starts in the flat buffers (an offset in floats). */
static int64_t param_offset(nb_params *ps, int i) {
    return (const float *)nb_params_tensor(ps, i)->data - (const float *)nb_params_data(ps);
}

/* A writer holding t's whole state (path names it in errors); NULL and the
 * error on failure. */
static nb_st_writer *checkpoint_writer(const nb_trainer *t, const char *path) {
    nb_st_writer *w = nb_st_writer_new();
    if (!w) return NULL;
    meta_buf m = {w, NB_OK};
    const nb_model_desc *d = &t->model->desc;
    const nb_optim_config *o = nb_optim_get_config(t->opt);
    const nb_train_config *c = &t->cfg;
    put(&m, "format", "pt"); /* what safetensors' torch helpers expect */
    put(&m, "nabla", "%s", NB_VERSION);
    put(&m, "model", "%s", nb_model_kind_name(d->kind));
    char hidden[256] = "";
    size_t k = 0;
    for (int i = 0; i < d->nhidden && k < sizeof hidden; i++)
        k += (size_t)snprintf(hidden + k, sizeof hidden - k, i ? ",%lld" : "%lld", (long long)d->hidden[i]);
    put(&m, "hidden", "%s", hidden);
    put(&m, "input", "%d,%d,%d", d->channels, d->height, d->width);
    put(&m, "classes", "%d", d->classes);
    /* ReLU goes unsaid: a ReLU model's file is byte for byte what it was */
    if (d->activation != NB_ACT_RELU) put(&m, "activation", "%s", nb_activation_name(d->activation));
    put(&m, "optimizer", "%s", nb_optim_kind_name(o->kind));
    put(&m, "convention", "%s", nb_convention_name(o->convention));
    put(&m, "lr", "%.17g", o->lr);
    put(&m, "momentum", "%.17g", o->momentum);
    put(&m, "dampening", "%.17g", o->dampening);
    put(&m, "momentum_first_grad", "%d", (int)o->momentum_first_grad);
    put(&m, "beta", "%.17g", o->beta);
    put(&m, "beta1", "%.17g", o->beta1);
    put(&m, "beta2", "%.17g", o->beta2);
    put(&m, "eps", "%.17g", o->eps);
    put(&m, "eps_inside", "%d", (int)o->eps_inside);
    put(&m, "lr_decay", "%.17g", o->lr_decay);
    put(&m, "initial_accumulator", "%.17g", o->initial_accumulator);
    put(&m, "amsgrad", "%d", (int)o->amsgrad);
    put(&m, "weight_decay", "%.17g", o->weight_decay);
    put(&m, "decoupled_decay", "%d", (int)o->decoupled_decay);
    put(&m, "maximize", "%d", (int)o->maximize);
    put(&m, "centered", "%d", (int)o->centered);
    put(&m, "optim_steps", "%lld", (long long)nb_optim_steps(t->opt));
    put(&m, "batch", "%lld", (long long)c->batch);
    put(&m, "epochs", "%lld", (long long)c->epochs);
    put(&m, "seed", "%" PRIu64, c->seed);
    put(&m, "schedule", "%s", nb_lr_schedule_name(c->schedule));
    put(&m, "warmup", "%lld", (long long)c->warmup);
    put(&m, "shards", "%d", c->shards); /* the order of the gradient's sum; 0: the default */
    put(&m, "norm_mean", "%.9g", (double)c->norm.mean);
    put(&m, "norm_std", "%.9g", (double)c->norm.std);
    put(&m, "epoch", "%lld", (long long)t->epoch);
    put(&m, "step", "%lld", (long long)t->step);
    put(&m, "train_samples", "%lld", (long long)t->data.samples);
    put(&m, "limit", "%lld", (long long)t->data.limit);
    put(&m, "labels_hash", "%016" PRIx64, t->data.labels_hash);
    nb_status s = m.s;
    float *tmp = NULL;
    nb_params *ps = t->model->params;
    for (int i = 0; !s && i < nb_params_count(ps); i++) {
        const nb_tensor *p = nb_params_tensor(ps, i);
        s = save_like(w, path, p, p->data, nb_params_name(ps, i), &tmp);
        for (int k = 0; !s && k < nb_optim_state_count(t->opt); k++) {
            char name[160];
            snprintf(name, sizeof name, "optim.%s.%s", nb_params_name(ps, i), nb_optim_state_name(t->opt, k));
            s = save_like(w, path, p, (const float *)nb_optim_state_data(t->opt, k) + param_offset(ps, i), name, &tmp);
        }
    }
    free(tmp);
    if (!s) s = nb_st_writer_add(w, "rng.state", NB_ST_U64, NB_SHAPE(4), t->rng.s);
    if (s) {
        nb_st_writer_free(w);
        return NULL;
    }
    return w;
}

nb_status nb_checkpoint_save(const nb_trainer *t, const char *path) {
    if (!t || !path) return nb_fail(NB_EINVAL, "nb_checkpoint_save: NULL argument");
    nb_st_writer *w = checkpoint_writer(t, path);
    if (!w) return nb_errcode();
    nb_status s = nb_st_writer_save(w, path);
    nb_st_writer_free(w);
    return s;
}

nb_status nb_checkpoint_bytes(const nb_trainer *t, unsigned char **out, size_t *len) {
    if (out) *out = NULL;
    if (len) *len = 0;
    if (!t || !out || !len) return nb_fail(NB_EINVAL, "nb_checkpoint_bytes: NULL argument");
    nb_st_writer *w = checkpoint_writer(t, "checkpoint");
    if (!w) return nb_errcode();
    nb_status s = nb_st_writer_bytes(w, out, len);
    nb_st_writer_free(w);
    return s;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct reader {
    const nb_safetensors *st;
    nb_status s;
} reader;

static const char *get_str(reader *r, const char *key) {
    if (r->s) return "";
    const char *v = nb_st_meta(r->st, key);
    if (!v) {
        r->s = nb_fail(NB_EFORMAT, "%s: not a nabla checkpoint (no '%s' in its metadata)", r->st->path, key);
        return "";
    }
    return v;
}

static double get_f64(reader *r, const char *key) {
    const char *v = get_str(r, key);
    if (r->s) return 0;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno == ERANGE || !isfinite(x)) {
        r->s = nb_fail(NB_EFORMAT, "%s: metadata '%s' = '%.40s' is not a number", r->st->path, key, v);
        return 0;
    }
    return x;
}

static int64_t get_i64(reader *r, const char *key, int64_t lo, int64_t hi) {
    const char *v = get_str(r, key);
    if (r->s) return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno == ERANGE || x < lo || x > hi) {
        r->s = nb_fail(NB_EFORMAT, "%s: metadata '%s' = '%.40s' is not a whole number in %lld..%lld", r->st->path,
                       key, v, (long long)lo, (long long)hi);
        return 0;
    }
    return (int64_t)x;
}

/* "a,b,c" into out (at most max values, each in lo..hi); returns the count. */
static int get_list(reader *r, const char *key, int64_t *out, int max, int64_t lo, int64_t hi) {
    const char *v = get_str(r, key);
    if (r->s || !*v) return 0;
    int n = 0;
    const char *p = v;
    for (;;) {
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (end == p || errno == ERANGE || x < lo || x > hi || n == max || (*end && *end != ',')) {
            r->s = nb_fail(NB_EFORMAT, "%s: metadata '%s' = '%.40s' is not a list of sizes", r->st->path, key, v);
            return 0;
        }
        out[n++] = (int64_t)x;
        if (!*end) return n;
        p = end + 1;
    }
}

static uint64_t get_hex64(reader *r, const char *key) {
    const char *v = get_str(r, key);
    if (r->s) return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 16);
    if (end - v != 16 || *end || errno == ERANGE) {
        r->s = nb_fail(NB_EFORMAT, "%s: metadata '%s' = '%.40s' is not 16 hex digits", r->st->path, key, v);
        return 0;
    }
    return (uint64_t)x;
}

/* What the metadata claims, held against what the file holds before anything
 * is built from it: the parameters must fit in the tensors' bytes (a 78 KB
 * file cannot describe 13 GB of model), and every stored float is finite. */
static nb_status check_tensors(const nb_safetensors *st, const nb_model_desc *d) {
    uint64_t bytes = 0;
    for (int i = 0; i < st->ntensors; i++) bytes += st->tensors[i].nbytes;
    int64_t numel = nb_model_desc_numel(d);
    if (numel < 0) return nb_fail(NB_EFORMAT, "%s: %s", st->path, nb_errmsg());
    if ((uint64_t)numel > bytes / sizeof(float)) {
        char buf[128];
        return nb_fail(NB_EFORMAT, "%s: metadata describes %s, %lld parameters, but the file holds %llu bytes of tensors",
                       st->path, nb_model_desc_str(d, buf, sizeof buf), (long long)numel, (unsigned long long)bytes);
    }
    for (int i = 0; i < st->ntensors; i++) {
        const nb_st_tensor *t = &st->tensors[i];
        if (t->dtype != NB_ST_F32) continue;
        for (int64_t k = 0; k < t->numel; k++) {
            float x;
            memcpy(&x, (const unsigned char *)t->data + 4 * k, 4); /* the data need not be aligned */
            if (!isfinite(x))
                return nb_fail(NB_EFORMAT, "%s: tensor '%s' holds %s (value %lld)", st->path, t->name,
                               isnan(x) ? "NaN" : "Inf", (long long)k);
        }
    }
    return NB_OK;
}

static nb_status fail_with(reader *r, nb_status s) {
    r->s = s;
    return s;
}

nb_trainer *nb_checkpoint_load(const char *path) {
    nb_safetensors *st = nb_st_read(path);
    if (!st) return NULL;
    reader r = {st, NB_OK};
    nb_model_desc d;
    memset(&d, 0, sizeof d);
    const char *kind = get_str(&r, "model");
    if (!r.s && nb_model_kind_parse(kind, &d.kind)) fail_with(&r, nb_fail(NB_EFORMAT, "%s: %s", path, nb_errmsg()));
    d.nhidden = get_list(&r, "hidden", d.hidden, NB_MAX_HIDDEN, 1, 1 << 20);
    int64_t in[3] = {0, 0, 0};
    if (get_list(&r, "input", in, 3, 1, 4096) != 3 && !r.s)
        fail_with(&r, nb_fail(NB_EFORMAT, "%s: metadata 'input' is not C,H,W", path));
    d.channels = (int)in[0];
    d.height = (int)in[1];
    d.width = (int)in[2];
    d.classes = (int)get_i64(&r, "classes", 2, 1 << 20);
    const char *act = nb_st_meta(st, "activation"); /* absent: ReLU */
    if (act && !r.s && nb_activation_parse(act, &d.activation))
        fail_with(&r, nb_fail(NB_EFORMAT, "%s: metadata 'activation': %s", path, nb_errmsg()));
    if (!r.s && nb_model_desc_validate(&d)) fail_with(&r, nb_fail(NB_EFORMAT, "%s: %s", path, nb_errmsg()));

    nb_train_config c = nb_train_defaults();
    nb_optim_config *o = &c.optim;
    const char *opt = get_str(&r, "optimizer"), *conv = get_str(&r, "convention");
    if (!r.s && (nb_optim_kind_parse(opt, &o->kind) || nb_convention_parse(conv, &o->convention)))
        fail_with(&r, nb_fail(NB_EFORMAT, "%s: %s", path, nb_errmsg()));
    o->lr = get_f64(&r, "lr");
    o->momentum = get_f64(&r, "momentum");
    o->dampening = get_f64(&r, "dampening");
    o->momentum_first_grad = get_i64(&r, "momentum_first_grad", 0, 1);
    o->beta = get_f64(&r, "beta");
    o->beta1 = get_f64(&r, "beta1");
    o->beta2 = get_f64(&r, "beta2");
    o->eps = get_f64(&r, "eps");
    o->eps_inside = get_i64(&r, "eps_inside", 0, 1);
    o->lr_decay = get_f64(&r, "lr_decay");
    o->initial_accumulator = get_f64(&r, "initial_accumulator");
    o->amsgrad = get_i64(&r, "amsgrad", 0, 1);
    o->weight_decay = get_f64(&r, "weight_decay");
    o->decoupled_decay = get_i64(&r, "decoupled_decay", 0, 1);
    o->maximize = get_i64(&r, "maximize", 0, 1);
    o->centered = get_i64(&r, "centered", 0, 1);
    const int64_t max_steps = (int64_t)1 << 53; /* far past any run; no count near overflow */
    int64_t optim_steps = get_i64(&r, "optim_steps", 0, max_steps);
    c.batch = get_i64(&r, "batch", 1, NB_MAX_BATCH);
    c.epochs = get_i64(&r, "epochs", 0, NB_MAX_EPOCHS);
    const char *seed = get_str(&r, "seed");
    if (!r.s) {
        char *end;
        errno = 0;
        c.seed = strtoull(seed, &end, 10);
        if (end == seed || *end || errno == ERANGE || *seed == '-')
            fail_with(&r, nb_fail(NB_EFORMAT, "%s: metadata 'seed' = '%.40s' is not a seed", path, seed));
    }
    const char *sched = get_str(&r, "schedule");
    if (!r.s && nb_lr_schedule_parse(sched, &c.schedule))
        fail_with(&r, nb_fail(NB_EFORMAT, "%s: %s", path, nb_errmsg()));
    c.warmup = get_i64(&r, "warmup", 0, NB_MAX_EPOCHS);
    c.shards = nb_st_meta(st, "shards") ? (int)get_i64(&r, "shards", 0, 4096) : 0; /* older checkpoints: none */
    c.norm.mean = (float)get_f64(&r, "norm_mean");
    c.norm.std = (float)get_f64(&r, "norm_std");
    /* pixels are in [0,1]: their mean is too, and a std below 1e-6 would blow them past f32 */
    if (!r.s && !(c.norm.mean >= 0 && c.norm.mean <= 1 && c.norm.std >= 1e-6f && c.norm.std <= 1))
        fail_with(&r, nb_fail(NB_EFORMAT, "%s: metadata norm_mean %g, norm_std %g: expected a mean in [0,1] and a std in [1e-6,1]",
                              path, (double)c.norm.mean, (double)c.norm.std));
    int64_t epoch = get_i64(&r, "epoch", 0, NB_MAX_EPOCHS), step = get_i64(&r, "step", 0, max_steps);
    /* checkpoints from before these keys load; only a resume can then not check its data */
    nb_data_id data = {0, 0, 0};
    if (nb_st_meta(st, "train_samples") || nb_st_meta(st, "limit") || nb_st_meta(st, "labels_hash")) {
        data.samples = get_i64(&r, "train_samples", 0, (int64_t)1 << 40);
        data.limit = get_i64(&r, "limit", 0, (int64_t)1 << 40);
        data.labels_hash = get_hex64(&r, "labels_hash");
    }
    if (!r.s) fail_with(&r, check_tensors(st, &d));
    if (r.s) {
        nb_st_free(st);
        return NULL;
    }
    nb_trainer *t = nb_trainer_new(&d, &c);
    if (!t) {
        nb_fail(NB_EFORMAT, "%s: %s", path, nb_errmsg());
        nb_st_free(st);
        return NULL;
    }
    nb_status s = NB_OK;
    float *tmp = NULL;
    int expected = 1;
    nb_params *ps = t->model->params;
    for (int i = 0; !s && i < nb_params_count(ps); i++) {
        nb_tensor *p = nb_params_tensor(ps, i);
        s = load_like(st, p, p->data, nb_params_name(ps, i), &tmp);
        expected++;
        for (int k = 0; !s && k < nb_optim_state_count(t->opt); k++, expected++) {
            char name[160];
            snprintf(name, sizeof name, "optim.%s.%s", nb_params_name(ps, i), nb_optim_state_name(t->opt, k));
            s = load_like(st, p, (float *)nb_optim_state_data(t->opt, k) + param_offset(ps, i), name, &tmp);
        }
    }
    free(tmp);
    if (!s) s = nb_st_get(st, "rng.state", NB_ST_U64, NB_SHAPE(4), t->rng.s);
    if (!s && st->ntensors != expected)
        s = nb_fail(NB_EFORMAT, "%s: %d tensors, expected %d for %s with %s", path, st->ntensors, expected,
                    kind, opt);
    if (!s) s = nb_optim_set_steps(t->opt, optim_steps);
    if (!s && t->rng.s[0] == 0 && t->rng.s[1] == 0 && t->rng.s[2] == 0 && t->rng.s[3] == 0)
        s = nb_fail(NB_EFORMAT, "%s: rng.state is all zeros", path);
    t->epoch = epoch;
    t->step = step;
    t->data = data;
    nb_st_free(st);
    if (s) {
        nb_trainer_free(t);
        return NULL;
    }
    return t;
}
