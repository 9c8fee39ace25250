/* nb_checkpoint_load on a valid checkpoint whose metadata *values* are
 * fuzzed: the tensors stay sound, so every input reaches the code that turns
 * metadata into a model, an optimizer and a schedule (the bytes of a whole
 * file, as fuzz_checkpoint mutates them, mostly stop at the JSON).
 *
 * An input is lines "key=value", each replacing (or adding) one metadata
 * entry of a real checkpoint (an MLP 784-2-10 under Adam, cosine schedule,
 * written once at start-up); a line "key" without '=' removes the entry.
 * What loads must be sound: sizes within the stated bounds, a model of the
 * file's size, and a forward pass giving finite logits. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "io/json.h"
#include "nabla.h"

static nb_safetensors *base;  /* the valid checkpoint */
static const char *tensors;   /* its header after the __metadata__ object: ',"name":{...},...}' */
static size_t tensors_len, data_len;
static const unsigned char *data;

static void die(const char *what) {
    fprintf(stderr, "fuzz_ckmeta: %s: %s\n", what, nb_errmsg());
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    nb_set_threads(1);
    int64_t h[1] = {2};
    nb_model_desc d = nb_mlp_desc(1, h);
    nb_train_config c = nb_train_defaults();
    c.batch = 10, c.epochs = 3, c.schedule = NB_LR_COSINE, c.warmup = 1;
    nb_trainer *t = nb_trainer_new(&d, &c);
    if (!t) die("nb_trainer_new");
    t->data = (nb_data_id){20, 0, 0x0123456789abcdefu};
    char dir[] = "/tmp/nabla-fuzz-XXXXXX", path[64];
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/ck.safetensors", dir);
    if (nb_checkpoint_save(t, path)) die("nb_checkpoint_save");
    nb_trainer_free(t);
    base = nb_st_read(path);
    if (!base) die("nb_st_read");
    unlink(path);
    rmdir(dir);
    /* the writer puts __metadata__ first; its values hold no '}' */
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | base->bytes[i];
    const char *hdr = (const char *)base->bytes + 8, *end = strstr(hdr, "},");
    if (strncmp(hdr, "{\"__metadata__\":{", 17) != 0 || !end) abort();
    tensors = end + 1;
    tensors_len = (size_t)(hdr + hlen - tensors);
    data = base->bytes + 8 + hlen;
    data_len = base->size - 8 - hlen;
    return 0;
}

/* The value of key in the input's lines (NULL: keep the original; *gone: removed). */
static const char *override(const char *in, size_t n, const char *key, size_t *vlen, bool *gone) {
    const char *hit = NULL;
    size_t kl = strlen(key);
    *gone = false;
    for (const char *p = in, *e = in + n; p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) nl = e;
        const char *eq = memchr(p, '=', (size_t)(nl - p));
        size_t len = (size_t)((eq ? eq : nl) - p);
        if (len == kl && memcmp(p, key, kl) == 0) {
            hit = eq ? eq + 1 : NULL;
            *gone = !eq;
            if (eq) *vlen = (size_t)(nl - eq - 1);
        }
        p = nl + 1;
    }
    return hit;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n) {
    if (memchr(in, '\0', n)) return 0; /* metadata strings hold no NUL */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) abort();
    fputs("{\"__metadata__\":{", m);
    bool first = true;
    for (int i = 0; i < base->nmeta; i++) {
        size_t vl = 0;
        bool gone;
        const char *v = override((const char *)in, n, base->meta_keys[i], &vl, &gone);
        if (gone) continue;
        char *val = strndup(v ? v : base->meta_values[i], v ? vl : strlen(base->meta_values[i]));
        if (!first) fputc(',', m);
        first = false;
        nb_json_write_string(m, base->meta_keys[i]);
        fputc(':', m);
        nb_json_write_string(m, val);
        free(val);
    }
    fputc('}', m);
    fwrite(tensors, 1, tensors_len, m);
    fclose(m);
    /* header length, header, data */
    size_t total = 8 + len + data_len;
    unsigned char *file = malloc(total);
    for (int i = 0; i < 8; i++) file[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(file + 8, buf, len);
    memcpy(file + 8 + len, data, data_len);
    free(buf);
    nb_trainer *t = nb_checkpoint_load(fuzz_file(file, total));
    free(file);
    if (!t) return 0;
    /* what loads is within the stated bounds and usable */
    const nb_train_config *c = &t->cfg;
    if (c->batch < 1 || c->batch > NB_MAX_BATCH || c->epochs < 0 || c->epochs > NB_MAX_EPOCHS || c->warmup < 0 ||
        c->warmup > NB_MAX_EPOCHS || !(c->norm.std >= 1e-6f) || t->step < 0 || t->epoch < 0)
        abort();
    if (nb_model_desc_numel(&t->model->desc) * 4 > (int64_t)data_len) abort();
    for (int64_t s = 0; s < 4; s++) (void)nb_train_lr(c, t->step + s, 1 + t->step % 7);
    nb_ctx *ctx = nb_ctx_new();
    const nb_model_desc *d = &t->model->desc;
    nb_tensor *x = nb_zeros(ctx, NB_F32, NB_SHAPE(1, d->channels, d->height, d->width));
    if (d->kind == NB_MODEL_MLP) x = nb_flatten(ctx, x);
    nb_tensor *y = nb_model_forward(ctx, t->model, x);
    if (!y || y->numel != d->classes) abort();
    for (int64_t i = 0; i < y->numel; i++)
        if (!isfinite(nb_tensor_get(y, i))) abort();
    nb_ctx_free(ctx);
    nb_trainer_free(t);
    return 0;
}
