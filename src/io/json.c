/* A strict JSON parser (RFC 8259) for safetensors headers, and string output.
 *
 * The input is untrusted: recursion is bounded by NB_JSON_MAX_DEPTH, every
 * allocation is bounded by the input's length, strings must be valid UTF-8,
 * and integers are kept exact (offsets and shapes do not fit a double). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "nabla/base.h"

typedef struct parser {
    const char *start, *p, *end;
    const char *what;
    bool failed;
} parser;

static void *fail(parser *ps, const char *why) {
    if (!ps->failed)
        nb_fail(NB_EFORMAT, "%s: bad JSON at byte %lld: %s", ps->what, (long long)(ps->p - ps->start), why);
    ps->failed = true;
    return NULL;
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static void json_clear(nb_json *v) {
    if (!v) return;
    if (v->kind == NB_JSON_STRING) {
        free(v->str);
        return;
    }
    if (v->kind != NB_JSON_ARRAY && v->kind != NB_JSON_OBJECT) return;
    for (int i = 0; i < v->n; i++) {
        json_clear(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void nb_json_free(nb_json *v) {
    json_clear(v);
    free(v);
}

/* Length of the UTF-8 sequence at s (up to end), or 0 if it is not valid
 * (overlong forms, surrogates and values past U+10FFFF are not). */
static int utf8_len(const unsigned char *s, const unsigned char *end) {
    unsigned c = s[0];
    int n;
    unsigned min;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) n = 2, min = 0x80, c &= 0x1f;
    else if ((c & 0xf0) == 0xe0) n = 3, min = 0x800, c &= 0x0f;
    else if ((c & 0xf8) == 0xf0) n = 4, min = 0x10000, c &= 0x07;
    else return 0;
    if (end - s < n) return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    return n;
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *d, unsigned c) {
    if (c < 0x80) { d[0] = (char)c; return 1; }
    if (c < 0x800) { d[0] = (char)(0xc0 | c >> 6); d[1] = (char)(0x80 | (c & 0x3f)); return 2; }
    if (c < 0x10000) {
        d[0] = (char)(0xe0 | c >> 12); d[1] = (char)(0x80 | (c >> 6 & 0x3f)); d[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | c >> 18); d[1] = (char)(0x80 | (c >> 12 & 0x3f));
    d[2] = (char)(0x80 | (c >> 6 & 0x3f)); d[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* At an opening quote: the decoded string (malloc'd), its length in *len. */
static char *parse_string(parser *ps, size_t *len) {
    ps->p++; /* the quote */
    /* The decoded string is never longer than its source. */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    if (q >= ps->end) return fail(ps, "unterminated string");
    char *out = malloc((size_t)(q - ps->p) + 1), *d = out;
    if (!out) return fail(ps, "out of memory");
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) { free(out); return fail(ps, "control character in a string"); }
        if (c != '\\') {
            int n = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
            if (n == 0) { free(out); return fail(ps, "invalid UTF-8 in a string"); }
            memcpy(d, ps->p, (size_t)n);
            d += n;
            ps->p += n;
            continue;
        }
        char e = ps->p[1];
        ps->p += 2;
        switch (e) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (ps->end - ps->p < 4 || hex4(ps->p, &cp) != 0) { free(out); return fail(ps, "bad \\u escape"); }
            ps->p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair */
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) != 0 ||
                    lo < 0xdc00 || lo > 0xdfff) {
                    free(out);
                    return fail(ps, "lone surrogate in \\u escape");
                }
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                free(out);
                return fail(ps, "lone surrogate in \\u escape");
            }
            if (cp == 0) { free(out); return fail(ps, "NUL character in a string"); }
            /* \uXXXX takes 6 source bytes and at most 3 decoded ones; a pair 12 and 4 */
            d += put_utf8(d, cp);
            break;
        }
        default: free(out); ps->p -= 1; return fail(ps, "bad escape in a string");
        }
    }
    ps->p++; /* the closing quote */
    *d = '\0';
    *len = (size_t)(d - out);
    return out;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool parse_number(parser *ps, nb_json *v) {
    const char *s = ps->p, *q = s;
    bool neg = false, integer = true;
    if (q < ps->end && *q == '-') q++, neg = true;
    if (q >= ps->end || !is_digit(*q)) return fail(ps, "bad number"), false;
    if (*q == '0') q++;
    else while (q < ps->end && is_digit(*q)) q++;
    if (q < ps->end && *q == '.') {
        integer = false;
        q++;
        if (q >= ps->end || !is_digit(*q)) return fail(ps, "bad number"), false;
        while (q < ps->end && is_digit(*q)) q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        integer = false;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-')) q++;
        if (q >= ps->end || !is_digit(*q)) return fail(ps, "bad number"), false;
        while (q < ps->end && is_digit(*q)) q++;
    }
    size_t n = (size_t)(q - s);
    if (n > 400) return fail(ps, "number too long"), false;
    char buf[401];
    memcpy(buf, s, n);
    buf[n] = '\0';
    v->kind = NB_JSON_NUMBER;
    v->num = strtod(buf, NULL);
    if (integer && !neg) {
        uint64_t u = 0;
        v->is_uint = true;
        for (const char *c = buf; *c; c++) {
            uint64_t dgt = (uint64_t)(*c - '0');
            if (u > (UINT64_MAX - dgt) / 10) { v->is_uint = false; break; }
            u = u * 10 + dgt;
        }
        v->u = u;
    }
    ps->p = q;
    return true;
}

static bool parse_value(parser *ps, nb_json *v, int depth);

/* Appends a zeroed item to v's list (and a key slot for objects). */
static nb_json *grow(parser *ps, nb_json *v, int *cap) {
    if (v->n == *cap) {
        int nc = *cap ? *cap * 2 : 4;
        nb_json *items = realloc(v->items, (size_t)nc * sizeof *items);
        if (!items) return fail(ps, "out of memory");
        v->items = items;
        if (v->kind == NB_JSON_OBJECT) {
            char **keys = realloc(v->keys, (size_t)nc * sizeof *keys);
            if (!keys) return fail(ps, "out of memory");
            v->keys = keys;
        }
        *cap = nc;
    }
    nb_json *it = &v->items[v->n];
    memset(it, 0, sizeof *it);
    if (v->keys) v->keys[v->n] = NULL;
    v->n++;
    return it;
}

static int cmp_key(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Duplicate keys by sorting a copy of the keys: n log n, where comparing each
 * new key with all before it took 19 s for a 1 MB header of 100k keys. */
static bool unique_keys(parser *ps, const nb_json *v) {
    if (v->n < 2) return true;
    char **k = malloc((size_t)v->n * sizeof *k);
    if (!k) return fail(ps, "out of memory"), false;
    memcpy(k, v->keys, (size_t)v->n * sizeof *k);
    qsort(k, (size_t)v->n, sizeof *k, cmp_key);
    bool ok = true;
    for (int i = 1; i < v->n && ok; i++) ok = strcmp(k[i - 1], k[i]) != 0;
    free(k);
    return ok || (fail(ps, "duplicate key in an object"), false);
}

static bool parse_container(parser *ps, nb_json *v, int depth) {
    bool obj = *ps->p == '{';
    char close = obj ? '}' : ']';
    v->kind = obj ? NB_JSON_OBJECT : NB_JSON_ARRAY;
    if (depth >= NB_JSON_MAX_DEPTH) return fail(ps, "nested too deeply"), false;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return true;
    }
    int cap = 0;
    for (;;) {
        skip_ws(ps);
        char *key = NULL;
        if (obj) {
            if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a string key"), false;
            size_t klen;
            key = parse_string(ps, &klen);
            if (!key) return false;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                return fail(ps, "expected ':'"), false;
            }
            ps->p++;
        }
        nb_json *it = grow(ps, v, &cap);
        if (!it) {
            free(key);
            return false;
        }
        if (obj) v->keys[v->n - 1] = key;
        if (!parse_value(ps, it, depth + 1)) return false;
        skip_ws(ps);
        if (ps->p >= ps->end) return fail(ps, obj ? "unterminated object" : "unterminated array"), false;
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return !obj || unique_keys(ps, v);
        }
        return fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'"), false;
    }
}

static bool literal(parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, "unexpected character"), false;
    ps->p += n;
    return true;
}

static bool parse_value(parser *ps, nb_json *v, int depth) {
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, "unexpected end"), false;
    switch (*ps->p) {
    case '{':
    case '[': return parse_container(ps, v, depth);
    case '"':
        v->kind = NB_JSON_STRING;
        v->str = parse_string(ps, &v->len);
        return v->str != NULL;
    case 't': v->kind = NB_JSON_BOOL; v->b = true; return literal(ps, "true");
    case 'f': v->kind = NB_JSON_BOOL; v->b = false; return literal(ps, "false");
    case 'n': v->kind = NB_JSON_NULL; return literal(ps, "null");
    default: return parse_number(ps, v);
    }
}

nb_json *nb_json_parse(const char *text, size_t len, const char *what) {
    parser ps = {text, text, text + len, what ? what : "JSON", false};
    nb_json *v = calloc(1, sizeof *v);
    if (!v) {
        nb_fail(NB_ENOMEM, "%s: out of memory", ps.what);
        return NULL;
    }
    if (!text) {
        fail(&ps, "no text");
        free(v);
        return NULL;
    }
    if (parse_value(&ps, v, 0)) {
        skip_ws(&ps);
        if (ps.p == ps.end) return v;
        fail(&ps, "text after the value");
    }
    nb_json_free(v);
    return NULL;
}

const nb_json *nb_json_get(const nb_json *obj, const char *key) {
    if (!obj || obj->kind != NB_JSON_OBJECT) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

void nb_json_write_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
        else if (*c == '\n') fputs("\\n", f);
        else if (*c == '\t') fputs("\\t", f);
        else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
        else fputc(*c, f);
    }
    fputc('"', f);
}
