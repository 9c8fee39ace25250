/* safetensors: read with every claim checked against the file, write
 * atomically. Data is little-endian on disk; nabla's hosts are too (checked
 * at run time, so a big-endian host fails cleanly instead of writing garbage). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json.h"
#include "nabla/checkpoint.h"
#include "nabla/io.h"

/* The reference implementation allows 100 MB; parsed, a header of small
 * numbers costs ~25 times its text, so nabla stops at 8 MB (~200 MB parsed).
 * Its own headers are a few KB; 8 MB is some 80k tensors' worth. */
#define ST_MAX_HEADER ((uint64_t)8 << 20)

static const struct {
    const char *name;
    size_t size;
} st_dtypes[NB_ST_NDTYPES] = {
    [NB_ST_BOOL] = {"BOOL", 1}, [NB_ST_U8] = {"U8", 1},     [NB_ST_I8] = {"I8", 1},
    [NB_ST_F8_E5M2] = {"F8_E5M2", 1}, [NB_ST_F8_E4M3] = {"F8_E4M3", 1},
    [NB_ST_I16] = {"I16", 2},   [NB_ST_U16] = {"U16", 2},   [NB_ST_F16] = {"F16", 2},
    [NB_ST_BF16] = {"BF16", 2}, [NB_ST_I32] = {"I32", 4},   [NB_ST_U32] = {"U32", 4},
    [NB_ST_F32] = {"F32", 4},   [NB_ST_F64] = {"F64", 8},   [NB_ST_I64] = {"I64", 8},
    [NB_ST_U64] = {"U64", 8},
};

const char *nb_st_dtype_name(nb_st_dtype dt) {
    return (unsigned)dt < NB_ST_NDTYPES ? st_dtypes[dt].name : "?";
}
size_t nb_st_dtype_size(nb_st_dtype dt) { return (unsigned)dt < NB_ST_NDTYPES ? st_dtypes[dt].size : 0; }

static bool host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static void shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, ")");
}

/* ---- reading --------------------------------------------------------------- */

void nb_st_free(nb_safetensors *st) {
    if (!st) return;
    for (int i = 0; i < st->ntensors; i++) free(st->tensors[i].name);
    for (int i = 0; i < st->nmeta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->tensors);
    free(st->meta_keys);
    free(st->meta_values);
    free(st->bytes);
    free(st->path);
    free(st);
}

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int by_offset(const void *a, const void *b) {
    const nb_st_tensor *x = a, *y = b;
    const unsigned char *p = x->data, *q = y->data;
    return p < q ? -1 : p > q ? 1 : (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes);
}

static nb_status read_tensor_info(nb_safetensors *st, const char *name, const nb_json *v, nb_st_tensor *t,
                                  const unsigned char *data, uint64_t data_len) {
    const char *path = st->path;
    if (!*name) return nb_fail(NB_EFORMAT, "%s: a tensor has an empty name", path);
    if (v->kind != NB_JSON_OBJECT) return nb_fail(NB_EFORMAT, "%s: tensor '%s' is not a JSON object", path, name);
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], "dtype") && strcmp(v->keys[i], "shape") && strcmp(v->keys[i], "data_offsets"))
            return nb_fail(NB_EFORMAT, "%s: tensor '%s' has an unknown field '%s'", path, name, v->keys[i]);
    const nb_json *dt = nb_json_get(v, "dtype"), *shape = nb_json_get(v, "shape"),
                  *off = nb_json_get(v, "data_offsets");
    if (!dt || !shape || !off)
        return nb_fail(NB_EFORMAT, "%s: tensor '%s' lacks %s", path, name,
                       !dt ? "a dtype" : !shape ? "a shape" : "data_offsets");
    if (dt->kind != NB_JSON_STRING) return nb_fail(NB_EFORMAT, "%s: tensor '%s': dtype is not a string", path, name);
    t->dtype = NB_ST_NDTYPES;
    for (int k = 0; k < NB_ST_NDTYPES; k++)
        if (strcmp(dt->str, st_dtypes[k].name) == 0) t->dtype = (nb_st_dtype)k;
    if (t->dtype == NB_ST_NDTYPES)
        return nb_fail(NB_EFORMAT, "%s: tensor '%s' has unknown dtype '%.20s'", path, name, dt->str);
    if (shape->kind != NB_JSON_ARRAY || shape->n > NB_MAX_DIMS)
        return nb_fail(NB_EFORMAT, "%s: tensor '%s': shape is not a list of at most %d sizes", path, name,
                       NB_MAX_DIMS);
    t->ndim = shape->n;
    uint64_t numel = 1;
    for (int i = 0; i < shape->n; i++) {
        const nb_json *d = &shape->items[i];
        if (d->kind != NB_JSON_NUMBER || !d->is_uint || d->u > ((uint64_t)1 << 48))
            return nb_fail(NB_EFORMAT, "%s: tensor '%s': shape[%d] is not a size", path, name, i);
        if (d->u && numel > (((uint64_t)1 << 48) / d->u))
            return nb_fail(NB_EFORMAT, "%s: tensor '%s': shape is absurdly large", path, name);
        numel *= d->u;
        t->shape[i] = (int64_t)d->u;
    }
    t->numel = (int64_t)numel;
    if (off->kind != NB_JSON_ARRAY || off->n != 2 || off->items[0].kind != NB_JSON_NUMBER ||
        off->items[1].kind != NB_JSON_NUMBER || !off->items[0].is_uint || !off->items[1].is_uint)
        return nb_fail(NB_EFORMAT, "%s: tensor '%s': data_offsets is not [BEGIN, END]", path, name);
    uint64_t b = off->items[0].u, e = off->items[1].u;
    if (b > e || e > data_len)
        return nb_fail(NB_EFORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] out of the data's %llu bytes", path,
                       name, (unsigned long long)b, (unsigned long long)e, (unsigned long long)data_len);
    if (e - b != numel * st_dtypes[t->dtype].size)
        return nb_fail(NB_EFORMAT, "%s: tensor '%s': %llu bytes of data for %llu %s values", path, name,
                       (unsigned long long)(e - b), (unsigned long long)numel, st_dtypes[t->dtype].name);
    t->data = data + b;
    t->nbytes = (size_t)(e - b);
    t->name = dupstr(name);
    if (!t->name) return nb_fail(NB_ENOMEM, "%s: out of memory", path);
    return NB_OK;
}

static nb_status parse_header(nb_safetensors *st, const nb_json *root, const unsigned char *data, uint64_t data_len) {
    const char *path = st->path;
    if (root->kind != NB_JSON_OBJECT) return nb_fail(NB_EFORMAT, "%s: header is not a JSON object", path);
    st->tensors = calloc((size_t)root->n + 1, sizeof *st->tensors);
    if (!st->tensors) return nb_fail(NB_ENOMEM, "%s: out of memory", path);
    for (int i = 0; i < root->n; i++) {
        const nb_json *v = &root->items[i];
        if (strcmp(root->keys[i], "__metadata__") == 0) {
            if (v->kind != NB_JSON_OBJECT)
                return nb_fail(NB_EFORMAT, "%s: __metadata__ is not a JSON object", path);
            st->meta_keys = calloc((size_t)v->n + 1, sizeof(char *));
            st->meta_values = calloc((size_t)v->n + 1, sizeof(char *));
            if (!st->meta_keys || !st->meta_values) return nb_fail(NB_ENOMEM, "%s: out of memory", path);
            for (int k = 0; k < v->n; k++) {
                if (v->items[k].kind != NB_JSON_STRING)
                    return nb_fail(NB_EFORMAT, "%s: __metadata__ value of '%s' is not a string", path, v->keys[k]);
                st->meta_keys[k] = dupstr(v->keys[k]);
                st->meta_values[k] = dupstr(v->items[k].str);
                st->nmeta = k + 1;
                if (!st->meta_keys[k] || !st->meta_values[k]) return nb_fail(NB_ENOMEM, "%s: out of memory", path);
            }
            continue;
        }
        nb_status s = read_tensor_info(st, root->keys[i], v, &st->tensors[st->ntensors], data, data_len);
        if (st->tensors[st->ntensors].name) st->ntensors++;
        if (s) return s;
    }
    /* The tensors must tile the data section: no overlap, no unclaimed bytes. */
    qsort(st->tensors, (size_t)st->ntensors, sizeof *st->tensors, by_offset);
    uint64_t at = 0;
    for (int i = 0; i < st->ntensors; i++) {
        uint64_t b = (uint64_t)((const unsigned char *)st->tensors[i].data - data);
        if (b < at)
            return nb_fail(NB_EFORMAT, "%s: tensors '%s' and '%s' overlap", path, st->tensors[i - 1].name,
                           st->tensors[i].name);
        if (b > at) return nb_fail(NB_EFORMAT, "%s: data bytes %llu..%llu belong to no tensor", path,
                                   (unsigned long long)at, (unsigned long long)b);
        at = b + st->tensors[i].nbytes;
    }
    if (at != data_len)
        return nb_fail(NB_EFORMAT, "%s: %llu data bytes after the last tensor", path,
                       (unsigned long long)(data_len - at));
    return NB_OK;
}

nb_safetensors *nb_st_read(const char *path) {
    if (!path) {
        nb_fail(NB_EINVAL, "nb_st_read: path is NULL");
        return NULL;
    }
    if (!host_is_little_endian()) {
        nb_fail(NB_EINVAL, "%s: safetensors on a big-endian host is not supported", path);
        return NULL;
    }
    nb_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = dupstr(path))) {
        free(st);
        nb_fail(NB_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    int64_t fsize = 0;
    int fd = nb_input_open(path, &fsize);
    if (fd < 0) goto fail;
    st->size = (size_t)fsize;
    if (st->size < 8) {
        nb_fail(NB_EFORMAT, "%s: truncated: %zu bytes, too short for a safetensors header", path, st->size);
        goto fail;
    }
    unsigned char len8[8];
    if (pread(fd, len8, 8, 0) != 8) {
        nb_fail(NB_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto fail;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | len8[i];
    unsigned char brace = 0; /* a bad length and no '{' after it: some other kind of file */
    if ((hlen > st->size - 8 || hlen > ST_MAX_HEADER || hlen < 2) &&
        (st->size < 9 || pread(fd, &brace, 1, 8) != 1 || brace != '{')) {
        nb_fail(NB_EFORMAT, "%s: not a safetensors file (no header length and JSON header at its start)", path);
        goto fail;
    }
    if (hlen > st->size - 8) {
        nb_fail(NB_EFORMAT, "%s: header length %llu exceeds the file (%zu bytes)", path, (unsigned long long)hlen,
                st->size);
        goto fail;
    }
    if (hlen > ST_MAX_HEADER || hlen < 2) {
        nb_fail(NB_EFORMAT, "%s: header length %llu is not plausible (at most %llu bytes)", path,
                (unsigned long long)hlen, (unsigned long long)ST_MAX_HEADER);
        goto fail;
    }
    st->bytes = malloc(st->size);
    if (!st->bytes) {
        nb_fail(NB_ENOMEM, "%s: out of memory for %zu bytes", path, st->size);
        goto fail;
    }
    size_t got = 0;
    while (got < st->size) {
        ssize_t r = pread(fd, st->bytes + got, st->size - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            nb_fail(NB_EIO, "%s: cannot read: %s", path, r < 0 ? strerror(errno) : "file shrank");
            goto fail;
        }
        got += (size_t)r;
    }
    close(fd);
    fd = -1;
    if (st->bytes[8] != '{') {
        nb_fail(NB_EFORMAT, "%s: header does not start with '{'", path);
        goto fail;
    }
    nb_json *root = nb_json_parse((const char *)st->bytes + 8, (size_t)hlen, path);
    if (!root) goto fail;
    nb_status s = parse_header(st, root, st->bytes + 8 + hlen, st->size - 8 - hlen);
    nb_json_free(root);
    if (s) goto fail;
    return st;
fail:
    if (fd >= 0) close(fd);
    nb_st_free(st);
    return NULL;
}

const nb_st_tensor *nb_st_find(const nb_safetensors *st, const char *name) {
    if (!st || !name) return NULL;
    for (int i = 0; i < st->ntensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

const char *nb_st_meta(const nb_safetensors *st, const char *key) {
    if (!st || !key) return NULL;
    for (int i = 0; i < st->nmeta; i++)
        if (strcmp(st->meta_keys[i], key) == 0) return st->meta_values[i];
    return NULL;
}

nb_status nb_st_get(const nb_safetensors *st, const char *name, nb_st_dtype dt, int ndim, const int64_t *shape,
                    void *dst) {
    if (!st || !name || !dst || ndim < 0 || ndim > NB_MAX_DIMS || (ndim && !shape))
        return nb_fail(NB_EINVAL, "nb_st_get: bad arguments");
    const nb_st_tensor *t = nb_st_find(st, name);
    if (!t) return nb_fail(NB_EFORMAT, "%s: no tensor '%s'", st->path, name);
    bool same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (t->dtype != dt || !same) {
        char have[160], want[160];
        shape_str(have, sizeof have, t->ndim, t->shape);
        shape_str(want, sizeof want, ndim, shape);
        return nb_fail(NB_EFORMAT, "%s: tensor '%s' is %s %s, expected %s %s", st->path, name, nb_st_dtype_name(t->dtype),
                       have, nb_st_dtype_name(dt), want);
    }
    memcpy(dst, t->data, t->nbytes);
    return NB_OK;
}

/* ---- writing --------------------------------------------------------------- */

typedef struct st_item {
    char *name;
    nb_st_dtype dtype;
    int ndim;
    int64_t shape[NB_MAX_DIMS];
    void *data;
    size_t nbytes;
} st_item;

struct nb_st_writer {
    st_item *items;
    int n, cap;
    char **meta_keys, **meta_values;
    int nmeta, meta_cap;
};

nb_st_writer *nb_st_writer_new(void) {
    nb_st_writer *w = calloc(1, sizeof *w);
    if (!w) nb_fail(NB_ENOMEM, "nb_st_writer_new: out of memory");
    return w;
}

void nb_st_writer_free(nb_st_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->n; i++) {
        free(w->items[i].name);
        free(w->items[i].data);
    }
    for (int i = 0; i < w->nmeta; i++) {
        free(w->meta_keys[i]);
        free(w->meta_values[i]);
    }
    free(w->items);
    free(w->meta_keys);
    free(w->meta_values);
    free(w);
}

nb_status nb_st_writer_add(nb_st_writer *w, const char *name, nb_st_dtype dt, int ndim, const int64_t *shape,
                           const void *data) {
    if (!w || !name || !*name || (unsigned)dt >= NB_ST_NDTYPES || ndim < 0 || ndim > NB_MAX_DIMS ||
        (ndim && !shape))
        return nb_fail(NB_EINVAL, "nb_st_writer_add: bad arguments for tensor '%s'", name ? name : "(null)");
    if (strcmp(name, "__metadata__") == 0) return nb_fail(NB_EINVAL, "nb_st_writer_add: '__metadata__' is reserved");
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->items[i].name, name) == 0)
            return nb_fail(NB_EINVAL, "nb_st_writer_add: tensor '%s' added twice", name);
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return nb_fail(NB_EINVAL, "nb_st_writer_add: tensor '%s' has a negative size", name);
        numel *= (size_t)shape[i];
    }
    if (numel && !data) return nb_fail(NB_EINVAL, "nb_st_writer_add: tensor '%s' has no data", name);
    if (w->n == w->cap) {
        int nc = w->cap ? w->cap * 2 : 16;
        st_item *it = realloc(w->items, (size_t)nc * sizeof *it);
        if (!it) return nb_fail(NB_ENOMEM, "nb_st_writer_add: out of memory");
        w->items = it;
        w->cap = nc;
    }
    st_item *it = &w->items[w->n];
    memset(it, 0, sizeof *it);
    it->nbytes = numel * st_dtypes[dt].size;
    it->name = dupstr(name);
    it->data = malloc(it->nbytes ? it->nbytes : 1);
    if (!it->name || !it->data) {
        free(it->name);
        free(it->data);
        return nb_fail(NB_ENOMEM, "nb_st_writer_add: out of memory for '%s'", name);
    }
    if (it->nbytes) memcpy(it->data, data, it->nbytes);
    it->dtype = dt;
    it->ndim = ndim;
    for (int i = 0; i < ndim; i++) it->shape[i] = shape[i];
    w->n++;
    return NB_OK;
}

nb_status nb_st_writer_meta(nb_st_writer *w, const char *key, const char *value) {
    if (!w || !key || !value) return nb_fail(NB_EINVAL, "nb_st_writer_meta: NULL argument");
    for (int i = 0; i < w->nmeta; i++)
        if (strcmp(w->meta_keys[i], key) == 0) { /* replace */
            char *v = dupstr(value);
            if (!v) return nb_fail(NB_ENOMEM, "nb_st_writer_meta: out of memory");
            free(w->meta_values[i]);
            w->meta_values[i] = v;
            return NB_OK;
        }
    if (w->nmeta == w->meta_cap) {
        int nc = w->meta_cap ? w->meta_cap * 2 : 16;
        char **k = realloc(w->meta_keys, (size_t)nc * sizeof *k);
        if (!k) return nb_fail(NB_ENOMEM, "nb_st_writer_meta: out of memory");
        w->meta_keys = k;
        char **v = realloc(w->meta_values, (size_t)nc * sizeof *v);
        if (!v) return nb_fail(NB_ENOMEM, "nb_st_writer_meta: out of memory");
        w->meta_values = v;
        w->meta_cap = nc;
    }
    char *k = dupstr(key), *v = dupstr(value);
    if (!k || !v) {
        free(k);
        free(v);
        return nb_fail(NB_ENOMEM, "nb_st_writer_meta: out of memory");
    }
    w->meta_keys[w->nmeta] = k;
    w->meta_values[w->nmeta] = v;
    w->nmeta++;
    return NB_OK;
}

/* The JSON header into a memory stream; returns its malloc'd text. */
static char *build_header(const nb_st_writer *w, size_t *len) {
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m) return NULL;
    fputc('{', m);
    bool first = true;
    if (w->nmeta) {
        fputs("\"__metadata__\":{", m);
        for (int i = 0; i < w->nmeta; i++) {
            if (i) fputc(',', m);
            nb_json_write_string(m, w->meta_keys[i]);
            fputc(':', m);
            nb_json_write_string(m, w->meta_values[i]);
        }
        fputc('}', m);
        first = false;
    }
    uint64_t at = 0;
    for (int i = 0; i < w->n; i++) {
        const st_item *it = &w->items[i];
        if (!first) fputc(',', m);
        first = false;
        nb_json_write_string(m, it->name);
        fprintf(m, ":{\"dtype\":\"%s\",\"shape\":[", st_dtypes[it->dtype].name);
        for (int d = 0; d < it->ndim; d++) fprintf(m, d ? ",%lld" : "%lld", (long long)it->shape[d]);
        fprintf(m, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)at,
                (unsigned long long)(at + it->nbytes));
        at += it->nbytes;
    }
    fputc('}', m);
    /* Pad with spaces so the data starts 8-byte aligned. */
    long pos = ftell(m);
    while ((8 + pos) % 8 != 0) {
        fputc(' ', m);
        pos++;
    }
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

nb_status nb_st_writer_bytes(const nb_st_writer *w, unsigned char **out, size_t *len) {
    if (out) *out = NULL;
    if (len) *len = 0;
    if (!w || !out || !len) return nb_fail(NB_EINVAL, "nb_st_writer_bytes: NULL argument");
    if (!host_is_little_endian())
        return nb_fail(NB_EINVAL, "nb_st_writer_bytes: safetensors on a big-endian host is not supported");
    size_t hlen = 0, total = 0;
    char *hdr = build_header(w, &hlen);
    if (!hdr) return nb_fail(NB_ENOMEM, "nb_st_writer_bytes: out of memory for the header");
    total = 8 + hlen;
    for (int i = 0; i < w->n; i++) total += w->items[i].nbytes;
    unsigned char *b = malloc(total);
    if (!b) {
        free(hdr);
        return nb_fail(NB_ENOMEM, "nb_st_writer_bytes: out of memory for %zu bytes", total);
    }
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    memcpy(b + 8, hdr, hlen);
    free(hdr);
    size_t at = 8 + hlen;
    for (int i = 0; i < w->n; i++) {
        if (w->items[i].nbytes) memcpy(b + at, w->items[i].data, w->items[i].nbytes);
        at += w->items[i].nbytes;
    }
    *out = b;
    *len = total;
    return NB_OK;
}

nb_status nb_st_writer_save(const nb_st_writer *w, const char *path) {
    if (!w || !path) return nb_fail(NB_EINVAL, "nb_st_writer_save: NULL argument");
    unsigned char *bytes = NULL;
    size_t n = 0;
    if (nb_st_writer_bytes(w, &bytes, &n)) return nb_fail(nb_errcode(), "%s: %s", path, nb_errmsg());
    nb_outfile f;
    nb_status s = nb_outfile_open(&f, path);
    if (s) {
        free(bytes);
        return s;
    }
    fwrite(bytes, 1, n, f.fp);
    free(bytes);
    return nb_outfile_commit(&f, true); /* errors of the fwrite surface here */
}
