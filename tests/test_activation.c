/* The MLP's activation: what the forward pass computes with it, its names,
 * and its life in a checkpoint (said only when not ReLU; an unknown one
 * refused). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nabla/nn.h"
#include "test.h"

/* An MLP on 4x4 "images": 2-8-6-3 style sizes small enough to check by hand. */
static nb_model_desc small_desc(nb_activation act) {
    nb_model_desc d = nb_mlp_desc(2, (int64_t[]){5, 3});
    d.height = d.width = 4;
    d.classes = 3;
    d.activation = act;
    return d;
}

static nb_dataset tiny(int64_t n, uint64_t seed) {
    nb_dataset ds = {n, 4, 4, malloc((size_t)n * 16), malloc((size_t)n * sizeof(int32_t))};
    nb_rng r;
    nb_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        ds.labels[i] = (int32_t)(i % 3);
        for (int p = 0; p < 16; p++) ds.pixels[i * 16 + p] = (uint8_t)(nb_rng_below(&r, 80) + (p % 3 == i % 3 ? 150 : 0));
    }
    return ds;
}

static double act_of(nb_activation a, double z) {
    return a == NB_ACT_TANH ? tanh(z) : a == NB_ACT_SIGMOID ? 1 / (1 + exp(-z)) : z > 0 ? z : 0;
}

/* Each layer's output against act(h w + b) in double, and the hidden outputs
 * nb_model_forward_hidden hands back are the ones the logits came from. */
TEST(activation_forward_is_act_of_the_linear_layer) {
    for (int a = 0; a < NB_ACT_COUNT; a++) {
        nb_model_desc d = small_desc((nb_activation)a);
        nb_rng r;
        nb_rng_seed(&r, 3);
        nb_model *m = nb_model_new(&d, NB_F32, &r);
        nb_ctx *ctx = nb_ctx_new();
        nb_tensor *x = nb_uniform(ctx, &r, NB_F32, NB_SHAPE(7, 16), -2, 2), *hid[2] = {NULL, NULL};
        nb_tensor *y = nb_model_forward_hidden(ctx, m, x, hid);
        CHECK_NOTNULL(y);
        if (!m || !y || !hid[0] || !hid[1]) continue;
        CHECK(hid[0]->shape[0] == 7 && hid[0]->shape[1] == 5 && hid[1]->shape[1] == 3 && y->shape[1] == 3);
        double worst = 0;
        const nb_tensor *in = x;
        for (int l = 0; l < 3; l++) {
            const nb_tensor *out = l < 2 ? hid[l] : y, *w = m->w[l], *b = m->b[l];
            int64_t K = w->shape[0], M = w->shape[1];
            for (int64_t i = 0; i < 7; i++)
                for (int64_t j = 0; j < M; j++) {
                    double z = nb_tensor_get(b, j);
                    for (int64_t k = 0; k < K; k++) z += nb_tensor_get(in, i * K + k) * nb_tensor_get(w, k * M + j);
                    double want = l < 2 ? act_of((nb_activation)a, z) : z;
                    worst = fmax(worst, fabs(nb_tensor_get(out, i * M + j) - want));
                }
            in = out;
        }
        CHECK_MSG(worst < 1e-5, "%s: worst error %g", nb_activation_name((nb_activation)a), worst);
        nb_tensor *y2 = nb_model_forward(ctx, m, x);
        CHECK(y2 && memcmp(y2->data, y->data, 21 * sizeof(float)) == 0);
        nb_model_free(m);
        nb_ctx_free(ctx);
    }
    /* the CNN has no hidden layers to hand back */
    nb_model_desc c = nb_cnn_desc();
    nb_model *m = nb_model_new(&c, NB_F32, NULL);
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = nb_zeros(ctx, NB_F32, NB_SHAPE(1, 784)), *hid[2];
    CHECK_ERR(nb_model_forward_hidden(ctx, m, x, hid), NB_EINVAL, "the CNN has no hidden layers");
    nb_model_free(m);
    nb_ctx_free(ctx);
}

TEST(activation_names_validation_and_equality) {
    char buf[128];
    nb_model_desc r = small_desc(NB_ACT_RELU), t = small_desc(NB_ACT_TANH), s = small_desc(NB_ACT_SIGMOID);
    CHECK(strcmp(nb_model_desc_str(&r, buf, sizeof buf), "mlp 16-5-3-3") == 0);
    CHECK(strcmp(nb_model_desc_str(&t, buf, sizeof buf), "mlp 16-5-3-3 tanh") == 0);
    CHECK(strcmp(nb_model_desc_str(&s, buf, sizeof buf), "mlp 16-5-3-3 sigmoid") == 0);
    CHECK(!nb_model_desc_equal(&r, &t) && !nb_model_desc_equal(&t, &s) && nb_model_desc_equal(&t, &t));
    nb_model_desc z;
    memset(&z, 0, sizeof z);
    CHECK(z.activation == NB_ACT_RELU && nb_mlp_desc(1, (int64_t[]){4}).activation == NB_ACT_RELU);
    nb_activation a = NB_ACT_RELU;
    CHECK_OK(nb_activation_parse("sigmoid", &a));
    CHECK(a == NB_ACT_SIGMOID && strcmp(nb_activation_name(NB_ACT_TANH), "tanh") == 0);
    CHECK_ERR(nb_activation_parse("gelu", &a), NB_EINVAL, "unknown activation 'gelu'");
    t.activation = (nb_activation)3;
    CHECK_ERR(nb_model_desc_validate(&t), NB_EINVAL, "unknown activation 3");
    nb_model_desc c = nb_cnn_desc();
    CHECK_OK(nb_model_desc_validate(&c));
    c.activation = NB_ACT_TANH;
    CHECK_ERR(nb_model_new(&c, NB_F32, NULL), NB_EINVAL, "the CNN's activation is relu, not tanh");
}

static const char *tmp_path(const char *tag) {
    static char buf[2][128];
    static int k;
    char *b = buf[k++ % 2];
    snprintf(b, 128, "/tmp/nb_act_%d_%s.safetensors", (int)getpid(), tag);
    return b;
}

static nb_trainer *trainer(nb_activation act) {
    nb_model_desc d = small_desc(act);
    nb_train_config c = nb_train_defaults();
    c.batch = 8;
    c.seed = 9;
    return nb_trainer_new(&d, &c);
}

/* A copy of file p with metadata key set to value (NULL: removed). */
static void rewrite_meta(const char *p, const char *q, const char *key, const char *value) {
    nb_safetensors *st = nb_st_read(p);
    CHECK_NOTNULL(st);
    if (!st) return;
    nb_st_writer *w = nb_st_writer_new();
    for (int i = 0; i < st->nmeta; i++)
        if (strcmp(st->meta_keys[i], key)) nb_st_writer_meta(w, st->meta_keys[i], st->meta_values[i]);
    if (value) nb_st_writer_meta(w, key, value);
    for (int i = 0; i < st->ntensors; i++) {
        const nb_st_tensor *x = &st->tensors[i];
        nb_st_writer_add(w, x->name, x->dtype, x->ndim, x->shape, x->data);
    }
    CHECK_OK(nb_st_writer_save(w, q));
    nb_st_writer_free(w);
    nb_st_free(st);
}

TEST(activation_checkpoint_round_trip) {
    nb_dataset tr = tiny(40, 1);
    const char *p = tmp_path("a"), *q = tmp_path("b");
    for (int a = 0; a < NB_ACT_COUNT; a++) {
        /* two epochs straight, or one, save, load, one more: the same bits */
        nb_trainer *t = trainer((nb_activation)a), *u = trainer((nb_activation)a);
        CHECK_NOTNULL(t);
        if (!t || !u) continue;
        CHECK_OK(nb_train_epoch(t, &tr, NULL, NULL, NULL));
        CHECK_OK(nb_train_epoch(t, &tr, NULL, NULL, NULL));
        CHECK_OK(nb_train_epoch(u, &tr, NULL, NULL, NULL));
        CHECK_OK(nb_checkpoint_save(u, p));
        nb_safetensors *st = nb_st_read(p);
        const char *said = st ? nb_st_meta(st, "activation") : NULL;
        CHECK_MSG(a == NB_ACT_RELU ? said == NULL : said && strcmp(said, nb_activation_name((nb_activation)a)) == 0,
                  "%s: metadata activation '%s'", nb_activation_name((nb_activation)a), said ? said : "(none)");
        nb_st_free(st);
        nb_trainer *v = nb_checkpoint_load(p);
        CHECK_NOTNULL(v);
        if (v) {
            CHECK(v->model->desc.activation == (nb_activation)a && nb_model_desc_equal(&v->model->desc, &u->model->desc));
            CHECK_OK(nb_train_epoch(v, &tr, NULL, NULL, NULL));
            CHECK_MSG(memcmp(nb_params_data(v->model->params), nb_params_data(t->model->params),
                             (size_t)nb_params_numel(t->model->params) * sizeof(float)) == 0,
                      "%s: the resumed run differs", nb_activation_name((nb_activation)a));
        }
        nb_trainer_free(t), nb_trainer_free(u), nb_trainer_free(v);
    }
    /* a file that says "relu" outright reads as one that says nothing */
    nb_trainer *t = trainer(NB_ACT_TANH);
    CHECK_OK(nb_checkpoint_save(t, p));
    rewrite_meta(p, q, "activation", "relu");
    nb_trainer *v = nb_checkpoint_load(q);
    CHECK(v && v->model->desc.activation == NB_ACT_RELU);
    nb_trainer_free(v);
    nb_trainer_free(t);
    unlink(p), unlink(q);
    nb_dataset_free(&tr);
}

TEST(activation_unknown_in_a_checkpoint_is_refused) {
    const char *p = tmp_path("c"), *q = tmp_path("d");
    nb_trainer *t = trainer(NB_ACT_SIGMOID);
    CHECK_OK(nb_checkpoint_save(t, p));
    rewrite_meta(p, q, "activation", "swish");
    CHECK_ERR(nb_checkpoint_load(q), NB_EFORMAT, "metadata 'activation': unknown activation 'swish'");
    rewrite_meta(p, q, "activation", "");
    CHECK_ERR(nb_checkpoint_load(q), NB_EFORMAT, "unknown activation ''");
    /* a CNN that claims tanh */
    nb_model_desc c = nb_cnn_desc();
    nb_train_config cfg = nb_train_defaults();
    nb_trainer *u = nb_trainer_new(&c, &cfg);
    CHECK_OK(nb_checkpoint_save(u, p));
    rewrite_meta(p, q, "activation", "tanh");
    CHECK_ERR(nb_checkpoint_load(q), NB_EFORMAT, "the CNN's activation is relu");
    nb_trainer_free(t), nb_trainer_free(u);
    unlink(p), unlink(q);
}
