/* Layers, models, the training loop and checkpoints, on small synthetic data. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/team.h"
#include "nabla/nn.h"
#include "test.h"

/* n 28x28 images: class c lights a band of rows at 2c plus seeded noise. */
static nb_dataset synth(int64_t n, uint64_t seed) {
    nb_dataset ds = {n, 28, 28, malloc((size_t)n * 784), malloc((size_t)n * sizeof(int32_t))};
    nb_rng r;
    nb_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % 10);
        ds.labels[i] = c;
        for (int p = 0; p < 784; p++) {
            int row = p / 28;
            int v = (int)nb_rng_below(&r, 60);
            if (row >= 2 * c + 4 && row < 2 * c + 8) v += 150;
            ds.pixels[i * 784 + p] = (uint8_t)v;
        }
    }
    return ds;
}

static const char *tmp_ckpt(const char *tag) {
    static char buf[4][128];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 128, "/tmp/nb_nn_%d_%s.safetensors", (int)getpid(), tag);
    return b;
}

static bool params_equal(nb_model *a, nb_model *b) {
    size_t bytes = (size_t)nb_params_numel(a->params) * sizeof(float);
    return nb_params_numel(a->params) == nb_params_numel(b->params) &&
           memcmp(nb_params_data(a->params), nb_params_data(b->params), bytes) == 0;
}

static bool files_equal(const char *p, const char *q) {
    FILE *f = fopen(p, "rb"), *g = fopen(q, "rb");
    bool eq = f && g;
    while (eq) {
        int a = fgetc(f), b = fgetc(g);
        if (a != b) eq = false;
        if (a == EOF || b == EOF) break;
    }
    if (f) fclose(f);
    if (g) fclose(g);
    return eq;
}

TEST(nn_init_is_torch_default_uniform) {
    nb_model_desc d = nb_mlp_desc(2, (int64_t[]){256, 64});
    nb_rng r;
    nb_rng_seed(&r, 1);
    nb_model *m = nb_model_new(&d, NB_F32, &r);
    CHECK_NOTNULL(m);
    if (!m) return;
    CHECK(m->nlayers == 3 && nb_params_count(m->params) == 6);
    CHECK(strcmp(nb_params_name(m->params, 0), "0.weight") == 0);
    CHECK(strcmp(nb_params_name(m->params, 5), "4.bias") == 0);
    const int64_t fan[3] = {784, 256, 64};
    for (int l = 0; l < 3; l++) {
        double bound = 1 / sqrt((double)fan[l]), mx = 0, sum = 0;
        nb_tensor *w = m->w[l];
        for (int64_t i = 0; i < w->numel; i++) {
            double v = nb_tensor_get(w, i);
            CHECK(fabs(v) <= bound);
            mx = fmax(mx, fabs(v));
            sum += v;
        }
        CHECK(mx > 0.99 * bound);                            /* fills the range */
        CHECK(fabs(sum / (double)w->numel) < 0.05 * bound);  /* centred */
        for (int64_t i = 0; i < m->b[l]->numel; i++) CHECK(fabs(nb_tensor_get(m->b[l], i)) <= bound);
    }
    nb_model_free(m);
    nb_model_desc c = nb_cnn_desc();
    m = nb_model_new(&c, NB_F32, &r);
    CHECK_NOTNULL(m);
    if (!m) return;
    CHECK(m->w[0]->shape[0] == 16 && m->w[0]->shape[1] == 1 && m->w[1]->shape[1] == 16);
    CHECK(m->w[2]->shape[0] == 32 * 7 * 7 && m->w[2]->shape[1] == 10);
    CHECK(strcmp(nb_params_name(m->params, 4), "7.weight") == 0);
    for (int64_t i = 0; i < m->w[1]->numel; i++) CHECK(fabs(nb_tensor_get(m->w[1], i)) <= 1 / sqrt(144.0));
    nb_model_free(m);
}

TEST(nn_forward_shapes) {
    nb_ctx *ctx = nb_ctx_new();
    nb_rng r;
    nb_rng_seed(&r, 2);
    nb_model_desc ds[2] = {nb_mlp_desc(1, (int64_t[]){32}), nb_cnn_desc()};
    for (int k = 0; k < 2; k++) {
        nb_model *m = nb_model_new(&ds[k], NB_F32, &r);
        nb_tensor *x = nb_uniform(ctx, &r, NB_F32, NB_SHAPE(3, 784), 0, 1);
        nb_tensor *y = nb_model_forward(ctx, m, x);
        CHECK_NOTNULL(y);
        if (y) CHECK(y->ndim == 2 && y->shape[0] == 3 && y->shape[1] == 10);
        nb_tensor *x4 = nb_uniform(ctx, &r, NB_F32, NB_SHAPE(2, 1, 28, 28), 0, 1);
        y = nb_model_forward(ctx, m, x4);
        CHECK_NOTNULL(y);
        nb_model_free(m);
        nb_ctx_reset(ctx);
    }
    nb_ctx_free(ctx);
}

TEST(nn_desc_validation_and_names) {
    char buf[128];
    nb_model_desc d = nb_mlp_desc(2, (int64_t[]){256, 256});
    CHECK(strcmp(nb_model_desc_str(&d, buf, sizeof buf), "mlp 784-256-256-10") == 0);
    nb_model_desc c = nb_cnn_desc();
    CHECK(strncmp(nb_model_desc_str(&c, buf, sizeof buf), "cnn 1x28x28", 11) == 0);
    CHECK(!nb_model_desc_equal(&d, &c));
    nb_model_desc d2 = nb_mlp_desc(2, (int64_t[]){256, 128});
    CHECK(!nb_model_desc_equal(&d, &d2));
    nb_model_desc bad = nb_mlp_desc(2, (int64_t[]){256, 0});
    CHECK_ERR(nb_model_new(&bad, NB_F32, NULL), NB_EINVAL, "hidden size 0");
    nb_model_kind k;
    CHECK_ERR(nb_model_kind_parse("rnn", &k), NB_EINVAL, "unknown model 'rnn'");
    nb_train_config cfg = nb_train_defaults();
    cfg.batch = 0;
    CHECK_ERR(nb_trainer_new(&d, &cfg), NB_EINVAL, "batch 0");
    cfg = nb_train_defaults();
    cfg.epochs = -1;
    CHECK_ERR(nb_trainer_new(&d, &cfg), NB_EINVAL, "epochs -1");
    cfg = nb_train_defaults();
    cfg.optim.lr = -1;
    CHECK(nb_trainer_new(&d, &cfg) == NULL);
}

TEST(nn_lr_schedule) {
    nb_train_config c = nb_train_defaults();
    c.optim.lr = 0.1;
    c.epochs = 10;
    CHECK(nb_train_lr(&c, 57, 10) == 0.1);
    c.warmup = 2;
    CHECK_NEAR(nb_train_lr(&c, 0, 10), 0.1 / 20, 1e-15, 0);
    CHECK_NEAR(nb_train_lr(&c, 19, 10), 0.1, 1e-15, 0);
    c.schedule = NB_LR_COSINE;
    CHECK_NEAR(nb_train_lr(&c, 20, 10), 0.1, 1e-15, 0);
    CHECK_NEAR(nb_train_lr(&c, 60, 10), 0.05, 1e-12, 0);
    CHECK(nb_train_lr(&c, 99, 10) < 0.001);
}

static nb_trainer *small_trainer(nb_model_kind kind, nb_optim_kind opt, int64_t epochs) {
    nb_model_desc d = kind == NB_MODEL_MLP ? nb_mlp_desc(2, (int64_t[]){32, 16}) : nb_cnn_desc();
    nb_train_config c = nb_train_defaults();
    c.batch = 16;
    c.epochs = epochs;
    c.seed = 5;
    c.optim = nb_optim_defaults(opt, NB_CONV_TORCH);
    if (opt == NB_OPT_MOMENTUM) c.optim.lr = 0.05;
    c.schedule = NB_LR_COSINE;
    c.warmup = 1;
    c.norm = (nb_norm){0.3f, 0.4f};
    return nb_trainer_new(&d, &c);
}

TEST(nn_training_learns) {
    nb_dataset tr = synth(200, 1), te = synth(100, 2);
    for (int k = 0; k < 2; k++) {
        nb_trainer *t = small_trainer(k ? NB_MODEL_CNN : NB_MODEL_MLP, NB_OPT_ADAM, 4);
        CHECK_NOTNULL(t);
        if (!t) continue;
        double l0, a0, l1, a1;
        CHECK_OK(nb_evaluate(t->model, t->ctx, &te, &t->cfg.norm, 64, &l0, &a0));
        nb_epoch_stats st = {0};
        for (int e = 0; e < 4; e++) CHECK_OK(nb_train_epoch(t, &tr, &st, NULL, NULL));
        CHECK(t->epoch == 4 && t->step == 4 * 13);
        CHECK(st.samples == 200 && st.steps == 13 && st.seconds > 0);
        CHECK_OK(nb_evaluate(t->model, t->ctx, &te, &t->cfg.norm, 64, &l1, &a1));
        CHECK_MSG(l1 < 0.6 * l0 && a1 >= 0.8, "%s: loss %g -> %g, acc %g -> %g", k ? "cnn" : "mlp", l0, l1, a0, a1);
        CHECK(st.acc > 0.5);
        nb_trainer_free(t);
    }
    nb_dataset_free(&tr);
    nb_dataset_free(&te);
}

TEST(nn_checkpoint_round_trip_and_resume_bit_identical) {
    nb_dataset tr = synth(100, 3);
    for (int k = 0; k < 3; k++) {
        nb_model_kind mk = k == 2 ? NB_MODEL_CNN : NB_MODEL_MLP;
        nb_optim_kind ok = k == 1 ? NB_OPT_MOMENTUM : NB_OPT_ADAM;
        const char *p1 = tmp_ckpt("a"), *p2 = tmp_ckpt("b");
        /* uninterrupted: 3 epochs */
        nb_trainer *a = small_trainer(mk, ok, 3);
        for (int e = 0; e < 3; e++) CHECK_OK(nb_train_epoch(a, &tr, NULL, NULL, NULL));
        CHECK_OK(nb_checkpoint_save(a, p1));
        /* 1 epoch, save, load, 2 more */
        nb_trainer *b = small_trainer(mk, ok, 3);
        CHECK_OK(nb_train_epoch(b, &tr, NULL, NULL, NULL));
        CHECK_OK(nb_checkpoint_save(b, p2));
        nb_trainer *c = nb_checkpoint_load(p2);
        CHECK_NOTNULL(c);
        if (!c) continue;
        CHECK(params_equal(b->model, c->model));
        CHECK(c->epoch == 1 && c->step == b->step && memcmp(&c->rng, &b->rng, sizeof c->rng) == 0);
        CHECK(nb_optim_steps(c->opt) == nb_optim_steps(b->opt));
        CHECK(c->cfg.norm.mean == 0.3f && c->cfg.norm.std == 0.4f && c->cfg.schedule == NB_LR_COSINE);
        for (int i = 0; i < nb_optim_state_count(b->opt); i++)
            CHECK(memcmp(nb_optim_state_data(b->opt, i), nb_optim_state_data(c->opt, i),
                         (size_t)nb_optim_state_numel(b->opt) * sizeof(float)) == 0);
        for (int e = 0; e < 2; e++) CHECK_OK(nb_train_epoch(c, &tr, NULL, NULL, NULL));
        CHECK_MSG(params_equal(a->model, c->model), "case %d: resumed run differs", k);
        CHECK_OK(nb_checkpoint_save(c, p2));
        CHECK_MSG(files_equal(p1, p2), "case %d: checkpoints differ", k);
        /* the bytes in memory (the browser's download) are the file's */
        unsigned char *mem = NULL;
        size_t len = 0;
        CHECK_OK(nb_checkpoint_bytes(c, &mem, &len));
        FILE *f = fopen(p2, "rb");
        unsigned char *disk = malloc(len + 1);
        size_t got = f && disk ? fread(disk, 1, len + 1, f) : 0;
        if (f) fclose(f);
        CHECK_MSG(mem && got == len && memcmp(mem, disk, len) == 0, "case %d: nb_checkpoint_bytes differs from the file", k);
        free(disk);
        free(mem);
        nb_trainer_free(a);
        nb_trainer_free(b);
        nb_trainer_free(c);
        unlink(p1);
        unlink(p2);
    }
    nb_dataset_free(&tr);
}

TEST(nn_thread_count_does_not_change_results) {
    SKIP_UNLESS_THREADS(2);
    nb_dataset tr = synth(96, 4);
    int saved = nb_get_threads();
    for (int k = 0; k < 2; k++) {
        nb_model *m[2];
        nb_trainer *t[2];
        for (int th = 0; th < 2; th++) {
            nb_set_threads(th + 1);
            t[th] = small_trainer(k ? NB_MODEL_CNN : NB_MODEL_MLP, NB_OPT_ADAM, 2);
            for (int e = 0; e < 2; e++) CHECK_OK(nb_train_epoch(t[th], &tr, NULL, NULL, NULL));
            m[th] = t[th]->model;
        }
        CHECK_MSG(params_equal(m[0], m[1]), "%s: 1 and 2 threads differ", k ? "cnn" : "mlp");
        nb_trainer_free(t[0]);
        nb_trainer_free(t[1]);
    }
    nb_set_threads(saved);
    nb_dataset_free(&tr);
}

/* A lost core makes the epoch's leader run every job alone (the MLP's GEMM
 * halves, the CNN's two shards and its update): the bits of a team of one.
 * The pace is forced solo for the first epoch, as a busy machine would. */
TEST(nn_solo_team_gives_the_same_bits) {
    SKIP_UNLESS_THREADS(2);
    nb_dataset tr = synth(96, 7);
    int saved = nb_get_threads();
    for (int k = 0; k < 2; k++) {
        nb_model_kind kind = k ? NB_MODEL_CNN : NB_MODEL_MLP;
        nb_set_threads(1);
        nb_trainer *one = small_trainer(kind, NB_OPT_ADAM, 2);
        nb_set_threads(2);
        nb_trainer *two = small_trainer(kind, NB_OPT_ADAM, 2);
        CHECK_NOTNULL(one);
        CHECK_NOTNULL(two);
        if (one && two) {
            for (int e = 0; e < 2; e++) CHECK_OK(nb_train_epoch(one, &tr, NULL, NULL, NULL));
            nb_pace *pace = nb__ctx_pace(two->ctx);
            pace->solo_s = 600, pace->solo_until = nb__mono_s() + 600;
            CHECK_OK(nb_train_epoch(two, &tr, NULL, NULL, NULL));
            CHECK_MSG(pace->solo_until > nb__mono_s(), "%s: the solo period did not outlive the epoch",
                      k ? "cnn" : "mlp");
            *pace = (nb_pace){0};
            CHECK_OK(nb_train_epoch(two, &tr, NULL, NULL, NULL));
            CHECK_MSG(params_equal(one->model, two->model), "%s: a solo epoch changed the bits", k ? "cnn" : "mlp");
        }
        nb_trainer_free(one);
        nb_trainer_free(two);
    }
    nb_set_threads(saved);
    nb_dataset_free(&tr);
}

TEST(nn_nan_loss_stops_with_the_step) {
    nb_dataset tr = synth(64, 5);
    int saved = nb_get_threads();
    for (int k = 0; k < 4; k++) { /* MLP and CNN (a team and shards), 1 and 2 threads */
        nb_set_threads(k % 2 + 1);
        nb_trainer *t = small_trainer(k < 2 ? NB_MODEL_MLP : NB_MODEL_CNN, NB_OPT_GD, 1);
        CHECK_NOTNULL(t);
        if (!t) continue;
        t->cfg.schedule = NB_LR_CONSTANT;
        t->cfg.warmup = 0;
        CHECK_OK(nb_train_epoch(t, &tr, NULL, NULL, NULL)); /* 4 good steps */
        CHECK_OK(nb_optim_set_lr(t->opt, 1e30));
        nb_clear_error();
        nb_status s = nb_train_epoch(t, &tr, NULL, NULL, NULL);
        CHECK(s == NB_ENUM);
        CHECK_MSG(strstr(nb_errmsg(), "step ") && strstr(nb_errmsg(), "loss is"), "%s", nb_errmsg());
        /* the failed step is not counted, by the trainer or the optimizer */
        CHECK_MSG(t->epoch == 1 && nb_optim_steps(t->opt) == t->step && t->step >= 4,
                  "after the failure: epoch %lld, trainer step %lld, optimizer step %lld", (long long)t->epoch,
                  (long long)t->step, (long long)nb_optim_steps(t->opt));
        nb_trainer_free(t);
    }
    nb_set_threads(saved);
    nb_dataset_free(&tr);
}

TEST(nn_checkpoint_rejects_bad_files) {
    const char *p = tmp_ckpt("bad");
    nb_trainer *t = small_trainer(NB_MODEL_MLP, NB_OPT_ADAM, 1);
    CHECK_OK(nb_checkpoint_save(t, p));
    /* a safetensors file that is not a checkpoint */
    nb_st_writer *w = nb_st_writer_new();
    float one = 1;
    nb_st_writer_add(w, "x", NB_ST_F32, NB_SHAPE(1), &one);
    const char *q = tmp_ckpt("plain");
    CHECK_OK(nb_st_writer_save(w, q));
    nb_st_writer_free(w);
    CHECK_ERR(nb_checkpoint_load(q), NB_EFORMAT, "not a nabla checkpoint (no 'model'");
    /* metadata describing another model than the tensors hold */
    nb_safetensors *st = nb_st_read(p);
    CHECK_NOTNULL(st);
    if (st) {
        w = nb_st_writer_new();
        for (int i = 0; i < st->nmeta; i++)
            nb_st_writer_meta(w, st->meta_keys[i], strcmp(st->meta_keys[i], "hidden") ? st->meta_values[i] : "32,17");
        for (int i = 0; i < st->ntensors; i++) {
            const nb_st_tensor *x = &st->tensors[i];
            nb_st_writer_add(w, x->name, x->dtype, x->ndim, x->shape, x->data);
        }
        CHECK_OK(nb_st_writer_save(w, q));
        nb_st_writer_free(w);
        CHECK_ERR(nb_checkpoint_load(q), NB_EFORMAT, "expected F32 (17,32)");
        nb_st_free(st);
    }
    /* every truncation is an error, never a crash */
    FILE *f = fopen(p, "rb");
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t cut = 0; cut < n; cut += n / 97 + 1) {
        f = fopen(q, "wb");
        fwrite(buf, 1, cut, f);
        fclose(f);
        nb_trainer *u = nb_checkpoint_load(q);
        CHECK_MSG(u == NULL, "truncated at %zu accepted", cut);
        nb_trainer_free(u);
    }
    CHECK_ERR(nb_checkpoint_load("/nonexistent/ck.safetensors"), NB_EIO, "/nonexistent/ck.safetensors");
    nb_trainer_free(t);
    unlink(p);
    unlink(q);
}

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>

static void csr_seen(void *user, int64_t step, int64_t nsteps, double loss, double seconds) {
    (void)step, (void)nsteps, (void)loss, (void)seconds;
    *(unsigned *)user = _mm_getcsr();
}

/* Subnormals are flushed while an epoch runs (FTZ and DAZ), and the
 * caller's floating-point mode is as it was afterwards. */
TEST(nn_training_flushes_subnormals_and_restores_the_fp_mode) {
    nb_dataset tr = synth(32, 6);
    for (int k = 0; k < 2; k++) {
        nb_trainer *t = small_trainer(k ? NB_MODEL_CNN : NB_MODEL_MLP, NB_OPT_ADAM, 1);
        CHECK_NOTNULL(t);
        if (!t) continue;
        unsigned before = _mm_getcsr(), during = 0;
        CHECK_OK(nb_train_epoch(t, &tr, NULL, csr_seen, &during));
        CHECK_MSG((during & 0x8040) == 0x8040, "%s: MXCSR %#x during training", k ? "cnn" : "mlp", during);
        CHECK(_mm_getcsr() == before);
        nb_trainer_free(t);
    }
    nb_dataset_free(&tr);
}

#ifdef _OPENMP
#include <omp.h>

/* every thread an op may fork onto, as the step sees them */
static void csr_seen_all(void *user, int64_t step, int64_t nsteps, double loss, double seconds) {
    (void)step, (void)nsteps, (void)loss, (void)seconds;
    unsigned *all = user;
#pragma omp parallel num_threads(2)
    all[omp_get_thread_num()] = _mm_getcsr();
}

/* The same with --shards (nn/shards.c): there the ops fork their own
 * threads, which must flush subnormals too, and return to the caller's mode. */
TEST(nn_shards_flush_subnormals_on_the_ops_threads) {
    SKIP_UNLESS_THREADS(2);
    int saved = nb_get_threads();
    nb_set_threads(2);
    nb_dataset tr = synth(32, 6);
    nb_trainer *t = small_trainer(NB_MODEL_MLP, NB_OPT_ADAM, 1);
    CHECK_NOTNULL(t);
    if (t) {
        t->cfg.shards = 2;
        unsigned during[2] = {0, 0}, after[2] = {0, 0};
        csr_seen_all(after, 0, 0, 0, 0); /* the pool's threads exist before the epoch (a new one inherits the mode) */
        CHECK_OK(nb_train_epoch(t, &tr, NULL, csr_seen_all, during));
        for (int i = 0; i < 2; i++) CHECK_MSG((during[i] & 0x8040) == 0x8040, "thread %d: MXCSR %#x", i, during[i]);
        csr_seen_all(after, 0, 0, 0, 0);
        for (int i = 0; i < 2; i++) CHECK_MSG((after[i] & 0x8040) == 0, "thread %d after: MXCSR %#x", i, after[i]);
        nb_trainer_free(t);
    }
    nb_set_threads(saved);
    nb_dataset_free(&tr);
}
#endif
#endif
