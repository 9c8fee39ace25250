/* safetensors and the JSON parser under it: round trips, the exact layout,
 * and every corruption giving an error, never a crash. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/json.h"
#include "nabla/checkpoint.h"
#include "test.h"

static const char *tmp_path(const char *tag) {
    static char buf[128];
    snprintf(buf, sizeof buf, "/tmp/nb_st_%d_%s.safetensors", (int)getpid(), tag);
    return buf;
}

static void write_file(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static unsigned char *read_file(const char *path, size_t *n) {
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

/* A file with this JSON header (as given, unpadded) and data. */
static void write_raw(const char *path, const char *hdr, const void *data, size_t ndata) {
    size_t h = strlen(hdr);
    unsigned char *b = malloc(8 + h + ndata + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, hdr, h);
    if (ndata) memcpy(b + 8 + h, data, ndata);
    write_file(path, b, 8 + h + ndata);
    free(b);
}

/* A small file of two tensors and metadata: returns its path. */
static const char *write_small(void) {
    const char *p = tmp_path("small");
    nb_st_writer *w = nb_st_writer_new();
    float a[6] = {1, -2, 3.5f, 4, 5, 6};
    double b[2] = {0.1, -1e300};
    CHECK_OK(nb_st_writer_add(w, "a", NB_ST_F32, NB_SHAPE(2, 3), a));
    CHECK_OK(nb_st_writer_add(w, "b.weight", NB_ST_F64, NB_SHAPE(2), b));
    CHECK_OK(nb_st_writer_meta(w, "model", "mlp"));
    CHECK_OK(nb_st_writer_save(w, p));
    nb_st_writer_free(w);
    return p;
}

TEST(safetensors_round_trip) {
    const char *p = tmp_path("rt");
    nb_st_writer *w = nb_st_writer_new();
    float a[6] = {1, -2, 3.5f, 4, 5, 6};
    double b[3] = {0.1, -1e300, 2};
    int64_t c[1] = {-((int64_t)1 << 40)};
    uint8_t u[5] = {0, 1, 2, 254, 255};
    CHECK_OK(nb_st_writer_add(w, "layer.0.weight", NB_ST_F32, NB_SHAPE(2, 3), a));
    CHECK_OK(nb_st_writer_add(w, "b", NB_ST_F64, NB_SHAPE(3), b));
    CHECK_OK(nb_st_writer_add(w, "scalar", NB_ST_I64, 0, NULL, c));
    CHECK_OK(nb_st_writer_add(w, "empty", NB_ST_F32, NB_SHAPE(0, 4), NULL));
    CHECK_OK(nb_st_writer_add(w, "bytes", NB_ST_U8, NB_SHAPE(5), u));
    CHECK_OK(nb_st_writer_meta(w, "quote\"back\\slash", "line\nbreak\ttab \x01 \xc3\xa9 \xf0\x9f\x98\x80"));
    CHECK_OK(nb_st_writer_meta(w, "epoch", "3"));
    CHECK_OK(nb_st_writer_meta(w, "epoch", "4")); /* replaces */
    CHECK_ERR(nb_st_writer_add(w, "b", NB_ST_F64, NB_SHAPE(3), b), NB_EINVAL, "added twice");
    CHECK_OK(nb_st_writer_save(w, p));
    nb_st_writer_free(w);

    size_t n = 0;
    unsigned char *raw = read_file(p, &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | raw[i];
    CHECK((8 + h) % 8 == 0);
    CHECK(8 + h + 24 + 24 + 8 + 5 == n);
    CHECK(raw[8] == '{');
    free(raw);

    nb_safetensors *st = nb_st_read(p);
    CHECK_NOTNULL(st);
    if (!st) return;
    CHECK(st->ntensors == 5);
    CHECK(strcmp(nb_st_meta(st, "epoch"), "4") == 0);
    CHECK(strcmp(nb_st_meta(st, "quote\"back\\slash"), "line\nbreak\ttab \x01 \xc3\xa9 \xf0\x9f\x98\x80") == 0);
    CHECK(nb_st_meta(st, "none") == NULL);
    float a2[6];
    CHECK_OK(nb_st_get(st, "layer.0.weight", NB_ST_F32, NB_SHAPE(2, 3), a2));
    CHECK(memcmp(a, a2, sizeof a) == 0);
    double b2[3];
    CHECK_OK(nb_st_get(st, "b", NB_ST_F64, NB_SHAPE(3), b2));
    CHECK(memcmp(b, b2, sizeof b) == 0);
    int64_t c2[1];
    CHECK_OK(nb_st_get(st, "scalar", NB_ST_I64, 0, NULL, c2));
    CHECK(c2[0] == c[0]);
    const nb_st_tensor *e = nb_st_find(st, "empty");
    CHECK(e && e->numel == 0 && e->ndim == 2 && e->shape[1] == 4);
    CHECK_ERR(nb_st_get(st, "b", NB_ST_F32, NB_SHAPE(3), b2), NB_EFORMAT, "tensor 'b' is F64 (3), expected F32 (3)");
    CHECK_ERR(nb_st_get(st, "b", NB_ST_F64, NB_SHAPE(1, 3), b2), NB_EFORMAT, "expected F64 (1,3)");
    CHECK_ERR(nb_st_get(st, "zz", NB_ST_F64, NB_SHAPE(3), b2), NB_EFORMAT, "no tensor 'zz'");
    nb_st_free(st);
    unlink(p);
}

TEST(safetensors_atomic_save_keeps_old_file_on_failure) {
    nb_st_writer *w = nb_st_writer_new();
    float a[1] = {1};
    CHECK_OK(nb_st_writer_add(w, "a", NB_ST_F32, NB_SHAPE(1), a));
    CHECK_ERR(nb_st_writer_save(w, "/nonexistent_dir/x.safetensors"), NB_EIO, "/nonexistent_dir/x.safetensors");
    nb_st_writer_free(w);
}

TEST(safetensors_every_truncation_fails) {
    const char *p = write_small();
    size_t n = 0;
    unsigned char *raw = read_file(p, &n);
    const char *q = tmp_path("trunc");
    for (size_t cut = 0; cut < n; cut++) {
        write_file(q, raw, cut);
        nb_clear_error();
        nb_safetensors *st = nb_st_read(q);
        CHECK_MSG(st == NULL, "truncated at %zu of %zu bytes was accepted", cut, n);
        CHECK_MSG(nb_errcode() == NB_EFORMAT && strstr(nb_errmsg(), q), "cut %zu: %s", cut, nb_errmsg());
        nb_st_free(st);
    }
    /* one byte too many is caught too */
    unsigned char *more = malloc(n + 1);
    memcpy(more, raw, n);
    more[n] = 0;
    write_file(q, more, n + 1);
    CHECK_ERR(nb_st_read(q), NB_EFORMAT, "data bytes after the last tensor");
    free(more);
    free(raw);
    unlink(q);
    unlink(p);
}

TEST(safetensors_flipped_bytes_never_crash) {
    const char *p = write_small();
    size_t n = 0;
    unsigned char *raw = read_file(p, &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | raw[i];
    const char *q = tmp_path("flip");
    unsigned char *c = malloc(n);
    const unsigned char flips[] = {0x01, 0x20, 0x80, 0xff};
    int header_errors = 0, header_total = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(c, raw, n);
            c[i] ^= flips[f];
            write_file(q, c, n);
            nb_safetensors *st = nb_st_read(q);
            if (i < 8 + h) {
                header_total++;
                header_errors += st == NULL;
            } else CHECK_MSG(st != NULL, "a data byte flip at %zu was refused: %s", i, nb_errmsg());
            if (st) /* whatever was accepted is self-consistent */
                for (int k = 0; k < st->ntensors; k++)
                    CHECK((const unsigned char *)st->tensors[k].data + st->tensors[k].nbytes <= st->bytes + st->size);
            nb_st_free(st);
        }
    /* Most header flips break it; a few (a key's letter, a space) are harmless. */
    CHECK_MSG(header_errors > header_total * 3 / 4, "%d of %d header flips caught", header_errors, header_total);
    free(c);
    free(raw);
    unlink(q);
    unlink(p);
}

TEST(safetensors_header_length_beyond_file) {
    const char *p = write_small();
    size_t n = 0;
    unsigned char *raw = read_file(p, &n);
    const char *q = tmp_path("hlen");
    uint64_t lens[] = {UINT64_MAX, (uint64_t)1 << 63, (uint64_t)1 << 40, n - 7, n};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int k = 0; k < 8; k++) raw[k] = (unsigned char)(lens[i] >> (8 * k));
        write_file(q, raw, n);
        CHECK_ERR(nb_st_read(q), NB_EFORMAT, "exceeds the file");
    }
    free(raw);
    unlink(q);
    unlink(p);
}

TEST(safetensors_rejects_hostile_headers) {
    const char *q = tmp_path("hostile");
    unsigned char data[64] = {0};
    static const struct {
        const char *hdr;
        size_t ndata;
        const char *err;
    } cases[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16, "16 bytes of data for 2 F32 values"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "out of the data's 4 bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "out of the data"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "belong to no tensor"},
        {"{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'F33'"},
        {"{\"a\":{\"dtype\":3,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype is not a string"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0] is not a size"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape[0] is not a size"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "at most 8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4, "absurdly"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551620]}}", 4,
         "data_offsets is not"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "data_offsets is not"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "lacks data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4, "unknown field 'x'"},
        {"{\"a\":[1]}", 0, "not a JSON object"},
        {"{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "empty name"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "not a string"},
        {"{\"__metadata__\":[]}", 0, "__metadata__ is not"},
        {"[1,2]", 0, "does not start with '{'"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "duplicate key"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4, "bad JSON"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}x", 4, "text after the value"},
        {"{\"a\":{\"dtype\":\"F\\u0000\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "NUL"},
        {"{\"a\xff\":{}}", 0, "invalid UTF-8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", 4, "bad JSON"},
        {"{\"a\" 1}", 0, "expected ':'"},
        {"{,}", 0, "expected a string key"},
        {"{\"x\":tru}", 0, "unexpected character"},
        {"{\"x\":\"\\ud800\"}", 0, "lone surrogate"},
        {"{\"x\":\"\\q\"}", 0, "bad escape"},
        {"{\"x\":\"a\tb\"}", 0, "control character"},
        {"{\"x\":\"abc}", 0, "unterminated string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_raw(q, cases[i].hdr, data, cases[i].ndata);
        nb_clear_error();
        nb_safetensors *st = nb_st_read(q);
        CHECK_MSG(!st && nb_errcode() == NB_EFORMAT && strstr(nb_errmsg(), cases[i].err),
                  "case %zu (%s): got '%s', expected '%s'", i, cases[i].hdr, nb_errmsg(), cases[i].err);
        nb_st_free(st);
    }
    /* deep nesting stops at the depth limit, not the stack */
    char deep[4096];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 1000; i++) deep[k++] = '[';
    deep[k] = '\0';
    write_raw(q, deep, NULL, 0);
    CHECK_ERR(nb_st_read(q), NB_EFORMAT, "nested too deeply");
    /* valid oddities: an empty file of tensors, metadata only, escapes */
    write_raw(q, "{}", NULL, 0);
    nb_safetensors *st = nb_st_read(q);
    CHECK(st && st->ntensors == 0);
    nb_st_free(st);
    write_raw(q, " {\"__metadata__\":{\"k\":\"\\u00e9\\ud83d\\ude00\\/\"}} ", NULL, 0);
    CHECK_ERR(nb_st_read(q), NB_EFORMAT, "does not start with '{'");
    write_raw(q, "{\"__metadata__\":{\"k\":\"\\u00e9\\ud83d\\ude00\\/\"}}   ", NULL, 0);
    st = nb_st_read(q);
    CHECK_NOTNULL(st);
    if (st) CHECK(strcmp(nb_st_meta(st, "k"), "\xc3\xa9\xf0\x9f\x98\x80/") == 0);
    nb_st_free(st);
    CHECK_ERR(nb_st_read("/nonexistent/file.safetensors"), NB_EIO, "/nonexistent/file.safetensors");
    unlink(q);
}

TEST(json_numbers_and_values) {
    const char *text = "[0, 18446744073709551615, 18446744073709551616, -3, 2.5e3, true, false, null, \"s\"]";
    nb_json *v = nb_json_parse(text, strlen(text), "t");
    CHECK_NOTNULL(v);
    if (!v) return;
    CHECK(v->kind == NB_JSON_ARRAY && v->n == 9);
    CHECK(v->items[0].is_uint && v->items[0].u == 0);
    CHECK(v->items[1].is_uint && v->items[1].u == UINT64_MAX);
    CHECK(!v->items[2].is_uint);
    CHECK(!v->items[3].is_uint && v->items[3].num == -3);
    CHECK(!v->items[4].is_uint && v->items[4].num == 2500);
    CHECK(v->items[5].kind == NB_JSON_BOOL && v->items[5].b && !v->items[6].b);
    CHECK(v->items[7].kind == NB_JSON_NULL);
    CHECK(v->items[8].kind == NB_JSON_STRING && strcmp(v->items[8].str, "s") == 0);
    nb_json_free(v);
    const char *bad[] = {"", "[", "[1,]", "-", "1.", ".5", "1e", "+1", "[1 2]", "{\"a\":1,}", "nul", "\"\\u12\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nb_clear_error();
        v = nb_json_parse(bad[i], strlen(bad[i]), "t");
        CHECK_MSG(v == NULL && nb_errcode() == NB_EFORMAT, "'%s' accepted", bad[i]);
        nb_json_free(v);
    }
}
