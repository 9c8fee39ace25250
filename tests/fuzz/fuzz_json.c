/* The strict JSON parser behind safetensors headers, on its own: grammar,
 * UTF-8, escapes and surrogates, depth, exact integers. Every string it
 * accepts must survive nb_json_write_string and a second parse unchanged. */
#include <string.h>

#include "fuzz.h"
#include "io/json.h"

static void check_string(const char *s, size_t len) {
    if (strlen(s) != len) abort(); /* an escaped NUL is refused */
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m) abort();
    nb_json_write_string(m, s);
    if (fclose(m) != 0) abort();
    nb_json *v = nb_json_parse(buf, n, "round trip");
    if (!v || v->kind != NB_JSON_STRING || v->len != len || memcmp(v->str, s, len) != 0) {
        fprintf(stderr, "string does not round-trip: %s\n", buf);
        abort();
    }
    nb_json_free(v);
    free(buf);
}

static void walk(const nb_json *v, int depth) {
    if (depth > NB_JSON_MAX_DEPTH) abort();
    switch (v->kind) {
    case NB_JSON_STRING: check_string(v->str, v->len); break;
    case NB_JSON_OBJECT:
        for (int i = 0; i < v->n; i++) {
            check_string(v->keys[i], strlen(v->keys[i]));
            if (nb_json_get(v, v->keys[i]) != &v->items[i]) abort(); /* keys are unique */
        }
        /* fall through */
    case NB_JSON_ARRAY:
        for (int i = 0; i < v->n; i++) walk(&v->items[i], depth + 1);
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb_json *v = nb_json_parse((const char *)data, size, "fuzz");
    if (v) {
        walk(v, 0);
        nb_json_free(v);
    }
    return 0;
}
