/* Layers and the two models: their descriptions, parameters and forward pass.
 *
 * Parameter names follow the PyTorch nn.Sequential each model mirrors
 * (MLP: Linear, ReLU (or Tanh, Sigmoid), Linear, ... -> "0.weight", "2.weight", ...; CNN: Conv,
 * ReLU, Pool, Conv, ReLU, Pool, Flatten, Linear -> "0", "3", "7"), so a
 * checkpoint's state dict loads into torch as it is. Linear weights are
 * stored (in, out) here, as nb_linear takes them; checkpoints transpose them
 * to torch's (out, in). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/nn.h"

nb_status nb_init_uniform_fan_in(nb_rng *rng, nb_tensor *t, int64_t fan_in) {
    if (!rng || !t || fan_in < 1) return nb_fail(NB_EINVAL, "nb_init_uniform_fan_in: bad arguments");
    double bound = 1.0 / sqrt((double)fan_in);
    for (int64_t i = 0; i < t->numel; i++) nb_tensor_set(t, i, -bound + 2.0 * bound * nb_rng_uniform(rng));
    return NB_OK;
}

nb_model_desc nb_mlp_desc(int nhidden, const int64_t *hidden) {
    nb_model_desc d;
    memset(&d, 0, sizeof d);
    d.kind = NB_MODEL_MLP;
    d.nhidden = nhidden;
    for (int i = 0; i < nhidden && i < NB_MAX_HIDDEN; i++) d.hidden[i] = hidden[i];
    d.channels = 1;
    d.height = d.width = 28;
    d.classes = NB_NUM_CLASSES;
    return d;
}

nb_model_desc nb_cnn_desc(void) {
    nb_model_desc d = nb_mlp_desc(0, NULL);
    d.kind = NB_MODEL_CNN;
    return d;
}

nb_status nb_model_kind_parse(const char *name, nb_model_kind *kind) {
    if (name && strcmp(name, "mlp") == 0) *kind = NB_MODEL_MLP;
    else if (name && strcmp(name, "cnn") == 0) *kind = NB_MODEL_CNN;
    else return nb_fail(NB_EINVAL, "unknown model '%s' (expected mlp or cnn)", name ? name : "(null)");
    return NB_OK;
}

const char *nb_model_kind_name(nb_model_kind kind) { return kind == NB_MODEL_CNN ? "cnn" : "mlp"; }

static const char *const ACT_NAMES[NB_ACT_COUNT] = {"relu", "tanh", "sigmoid"};

nb_status nb_activation_parse(const char *name, nb_activation *act) {
    for (int k = 0; name && k < NB_ACT_COUNT; k++)
        if (strcmp(name, ACT_NAMES[k]) == 0) {
            *act = (nb_activation)k;
            return NB_OK;
        }
    return nb_fail(NB_EINVAL, "unknown activation '%s' (expected relu, tanh or sigmoid)", name ? name : "(null)");
}

const char *nb_activation_name(nb_activation act) {
    return act >= 0 && act < NB_ACT_COUNT ? ACT_NAMES[act] : "unknown";
}

nb_status nb_model_desc_validate(const nb_model_desc *d) {
    if (!d) return nb_fail(NB_EINVAL, "model: no description");
    if (d->kind != NB_MODEL_MLP && d->kind != NB_MODEL_CNN) return nb_fail(NB_EINVAL, "model: unknown kind");
    if (d->activation < 0 || d->activation >= NB_ACT_COUNT)
        return nb_fail(NB_EINVAL, "model: unknown activation %d", (int)d->activation);
    if (d->kind == NB_MODEL_CNN && d->activation != NB_ACT_RELU)
        return nb_fail(NB_EINVAL, "model: the CNN's activation is relu, not %s", nb_activation_name(d->activation));
    if (d->channels < 1 || d->height < 1 || d->width < 1 || d->classes < 2 || d->classes > (1 << 20))
        return nb_fail(NB_EINVAL, "model: input %dx%dx%d with %d classes is not usable", d->channels, d->height,
                       d->width, d->classes);
    /* bounds that keep every size below (and every product of two under 2^45) */
    if (d->channels > 4096 || d->height > 4096 || d->width > 4096 ||
        (int64_t)d->channels * d->height * d->width > (1 << 24))
        return nb_fail(NB_EINVAL, "model: input %dx%dx%d is more than 2^24 values", d->channels, d->height,
                       d->width);
    if (d->kind == NB_MODEL_MLP) {
        if (d->nhidden < 0 || d->nhidden > NB_MAX_HIDDEN)
            return nb_fail(NB_EINVAL, "model: %d hidden layers (at most %d)", d->nhidden, NB_MAX_HIDDEN);
        for (int i = 0; i < d->nhidden; i++)
            if (d->hidden[i] < 1 || d->hidden[i] > (1 << 20))
                return nb_fail(NB_EINVAL, "model: hidden size %lld is not in 1..%d", (long long)d->hidden[i], 1 << 20);
    } else if (d->channels != 1 || d->height % 4 || d->width % 4 || d->height < 4 || d->width < 4) {
        return nb_fail(NB_EINVAL, "model: the CNN takes 1 channel with sides divisible by 4, not %dx%dx%d",
                       d->channels, d->height, d->width);
    }
    return NB_OK;
}

const char *nb_model_desc_str(const nb_model_desc *d, char *buf, size_t n) {
    if (!buf || n == 0) return buf;
    buf[0] = '\0';
    if (!d) return buf;
    int in = d->channels * d->height * d->width;
    if (d->kind == NB_MODEL_CNN) {
        snprintf(buf, n, "cnn %dx%dx%d-16c3-p2-32c3-p2-%d", d->channels, d->height, d->width, d->classes);
        return buf;
    }
    size_t k = (size_t)snprintf(buf, n, "mlp %d", in);
    for (int i = 0; i < d->nhidden && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "-%lld", (long long)d->hidden[i]);
    if (k < n) k += (size_t)snprintf(buf + k, n - k, "-%d", d->classes);
    if (k < n && d->activation != NB_ACT_RELU) snprintf(buf + k, n - k, " %s", nb_activation_name(d->activation));
    return buf;
}

bool nb_model_desc_equal(const nb_model_desc *a, const nb_model_desc *b) {
    if (a->kind != b->kind || a->channels != b->channels || a->height != b->height || a->width != b->width ||
        a->classes != b->classes)
        return false;
    if (a->kind == NB_MODEL_CNN) return true;
    if (a->nhidden != b->nhidden || a->activation != b->activation) return false;
    for (int i = 0; i < a->nhidden; i++)
        if (a->hidden[i] != b->hidden[i]) return false;
    return true;
}

void nb_model_free(nb_model *m) {
    if (!m) return;
    nb_params_free(m->params);
    free(m);
}

/* A layer as the model holds it: its index in torch's nn.Sequential, its
 * weight's shape, its width and fan-in. The one description that building a
 * model and sizing one (before trusting a checkpoint's claim) both read. */
typedef struct layer_spec {
    int seq, ndim;
    int64_t wshape[4], out, fan_in;
} layer_spec;

static int model_layers(const nb_model_desc *d, layer_spec ls[NB_MAX_HIDDEN + 1]) {
    int64_t in = (int64_t)d->channels * d->height * d->width;
    if (d->kind == NB_MODEL_MLP) {
        for (int i = 0; i <= d->nhidden; i++) {
            int64_t out = i < d->nhidden ? d->hidden[i] : d->classes;
            ls[i] = (layer_spec){2 * i, 2, {in, out}, out, in};
            in = out;
        }
        return d->nhidden + 1;
    }
    int64_t flat = 32 * (int64_t)(d->height / 4) * (d->width / 4);
    ls[0] = (layer_spec){0, 4, {16, d->channels, 3, 3}, 16, (int64_t)d->channels * 9};
    ls[1] = (layer_spec){3, 4, {32, 16, 3, 3}, 32, 16 * 9};
    ls[2] = (layer_spec){7, 2, {flat, d->classes}, d->classes, flat};
    return 3;
}

int64_t nb_model_desc_numel(const nb_model_desc *d) {
    if (nb_model_desc_validate(d)) return -1;
    layer_spec ls[NB_MAX_HIDDEN + 1];
    int n = model_layers(d, ls);
    int64_t total = 0; /* validated sizes keep each product under 2^45 */
    for (int l = 0; l < n; l++) {
        int64_t w = 1;
        for (int k = 0; k < ls[l].ndim; k++) w *= ls[l].wshape[k];
        total += w + ls[l].out;
    }
    return total;
}

/* Adds layer l's weight and bias, initialised when rng is set. */
static nb_status add_layer(nb_model *m, nb_rng *rng, const layer_spec *ls) {
    char name[32];
    int l = m->nlayers;
    snprintf(name, sizeof name, "%d.weight", ls->seq);
    m->w[l] = nb_params_add(m->params, name, ls->ndim, ls->wshape);
    snprintf(name, sizeof name, "%d.bias", ls->seq);
    m->b[l] = nb_params_add(m->params, name, 1, &ls->out);
    if (!m->w[l] || !m->b[l]) return nb_errcode();
    m->nlayers++;
    if (!rng) return NB_OK;
    nb_status s = nb_init_uniform_fan_in(rng, m->w[l], ls->fan_in);
    return s ? s : nb_init_uniform_fan_in(rng, m->b[l], ls->fan_in);
}

nb_model *nb_model_new(const nb_model_desc *d, nb_dtype dt, nb_rng *rng) {
    if (nb_model_desc_validate(d)) return NULL;
    nb_model *m = calloc(1, sizeof *m);
    if (!m) {
        nb_fail(NB_ENOMEM, "nb_model_new: out of memory");
        return NULL;
    }
    m->desc = *d;
    m->params = nb_params_new(dt);
    if (!m->params) {
        free(m);
        return NULL;
    }
    nb_status s = NB_OK;
    layer_spec ls[NB_MAX_HIDDEN + 1];
    int n = model_layers(d, ls);
    for (int l = 0; l < n && !s; l++) s = add_layer(m, rng, &ls[l]);
    if (s) {
        nb_model_free(m);
        return NULL;
    }
    return m;
}

nb_model *nb_model_replica(nb_model *m) {
    if (!m) {
        nb_fail(NB_EINVAL, "nb_model_replica: no model");
        return NULL;
    }
    nb_model *r = calloc(1, sizeof *r);
    if (!r) {
        nb_fail(NB_ENOMEM, "nb_model_replica: out of memory");
        return NULL;
    }
    *r = *m;
    if (!(r->params = nb_params_replica(m->params))) {
        free(r);
        return NULL;
    }
    /* Layer l's weight and bias are parameters 2l and 2l+1, in order of addition. */
    for (int l = 0; l < m->nlayers; l++) {
        r->w[l] = nb_params_tensor(r->params, 2 * l);
        r->b[l] = nb_params_tensor(r->params, 2 * l + 1);
    }
    return r;
}

/* A hidden layer: act(h w + b), ReLU in the product's own pass. */
static nb_tensor *hidden_layer(nb_ctx *ctx, nb_tensor *h, nb_tensor *w, nb_tensor *b, nb_activation act) {
    switch (act) {
    case NB_ACT_TANH: return nb_tanh(ctx, nb_linear(ctx, h, w, b));
    case NB_ACT_SIGMOID: return nb_sigmoid(ctx, nb_linear(ctx, h, w, b));
    default: return nb_linear_relu(ctx, h, w, b);
    }
}

nb_tensor *nb_model_forward(nb_ctx *ctx, nb_model *m, nb_tensor *x) { return nb_model_forward_hidden(ctx, m, x, NULL); }

nb_tensor *nb_model_forward_hidden(nb_ctx *ctx, nb_model *m, nb_tensor *x, nb_tensor **hidden) {
    if (!m || !x) {
        if (!m) nb_fail(NB_EINVAL, "nb_model_forward: no model");
        return NULL;
    }
    const nb_model_desc *d = &m->desc;
    int64_t N = x->shape[0];
    if (d->kind == NB_MODEL_MLP) {
        nb_tensor *h = x->ndim == 2 ? x : nb_reshape(ctx, x, NB_SHAPE(N, -1));
        for (int i = 0; i < d->nhidden; i++) {
            h = hidden_layer(ctx, h, m->w[i], m->b[i], d->activation);
            if (hidden) hidden[i] = h;
        }
        return nb_linear(ctx, h, m->w[d->nhidden], m->b[d->nhidden]);
    }
    if (hidden) {
        nb_fail(NB_EINVAL, "nb_model_forward_hidden: the CNN has no hidden layers to give");
        return NULL;
    }
    nb_tensor *h = x->ndim == 4 ? x : nb_reshape(ctx, x, NB_SHAPE(N, d->channels, d->height, d->width));
    /* Conv, ReLU, Pool as one op: relu(pool(z)) == pool(relu(z)), values and
     * gradients alike (ReLU is monotone). */
    h = nb_conv2d_relu_pool(ctx, h, m->w[0], m->b[0], 1, 1);
    h = nb_conv2d_relu_pool(ctx, h, m->w[1], m->b[1], 1, 1);
    return nb_linear(ctx, nb_flatten(ctx, h), m->w[2], m->b[2]);
}
