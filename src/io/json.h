/* A small strict JSON parser: what safetensors headers need, hardened for
 * hostile input (a depth limit, UTF-8 and grammar checked, exact integers).
 * Private to the library. */
#ifndef NABLA_IO_JSON_H
#define NABLA_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum nb_json_kind {
    NB_JSON_NULL, NB_JSON_BOOL, NB_JSON_NUMBER, NB_JSON_STRING, NB_JSON_ARRAY, NB_JSON_OBJECT
} nb_json_kind;

/* 48 bytes a value: a hostile header of "0,0,0,..." costs 24 times its size. */
typedef struct nb_json {
    nb_json_kind kind;
    int n;             /* arrays and objects: n items, objects also n keys */
    bool b;
    bool is_uint;      /* a non-negative integer token that fits 64 bits ... */
    uint64_t u;        /* ... exactly */
    double num;
    union {
        struct {       /* strings: NUL-terminated UTF-8 (an escaped NUL is refused) */
            char *str;
            size_t len;
        };
        struct {       /* arrays and objects */
            struct nb_json *items;
            char **keys;
        };
    };
} nb_json;

#define NB_JSON_MAX_DEPTH 32

/* Parses text[0..len); whitespace may follow the value, nothing else. On
 * failure returns NULL and sets an NB_EFORMAT error "WHAT: bad JSON at byte N:
 * reason". Duplicate keys in an object are an error. */
nb_json *nb_json_parse(const char *text, size_t len, const char *what);
void nb_json_free(nb_json *v);
/* obj's member called key, or NULL. */
const nb_json *nb_json_get(const nb_json *obj, const char *key);
/* Writes s as a JSON string literal (quotes and escapes). */
void nb_json_write_string(FILE *f, const char *s);

#endif
