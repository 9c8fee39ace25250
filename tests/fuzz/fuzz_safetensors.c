/* safetensors reader (header length, strict JSON, dtypes, shapes, offsets
 * tiling the data), then a round trip of whatever it accepts through the
 * writer: what was read must be written and read back identically. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "nabla/checkpoint.h"

static char rt_dir[96], rt_path[128];

static void remove_dir(void) {
    unlink(rt_path);
    rmdir(rt_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    snprintf(rt_dir, sizeof rt_dir, "/dev/shm/nabla-fuzz-st-%d", (int)getpid());
    if (mkdir(rt_dir, 0700) != 0 && errno != EEXIST) snprintf(rt_dir, sizeof rt_dir, "/tmp/nabla-fuzz-st-%d", (int)getpid());
    mkdir(rt_dir, 0700);
    snprintf(rt_path, sizeof rt_path, "%s/rt.safetensors", rt_dir);
    atexit(remove_dir);
    return 0;
}

static void round_trip(const nb_safetensors *st) {
    nb_st_writer *w = nb_st_writer_new();
    if (!w) abort();
    for (int i = 0; i < st->ntensors; i++) {
        const nb_st_tensor *t = &st->tensors[i];
        if (nb_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data) != NB_OK) {
            fprintf(stderr, "round trip: %s\n", nb_errmsg());
            abort();
        }
    }
    for (int i = 0; i < st->nmeta; i++)
        if (nb_st_writer_meta(w, st->meta_keys[i], st->meta_values[i]) != NB_OK) abort();
    if (nb_st_writer_save(w, rt_path) != NB_OK) {
        fprintf(stderr, "round trip: %s\n", nb_errmsg());
        abort();
    }
    nb_st_writer_free(w);
    nb_safetensors *back = nb_st_read(rt_path);
    if (!back) {
        fprintf(stderr, "round trip: %s\n", nb_errmsg());
        abort();
    }
    if (back->ntensors != st->ntensors || back->nmeta != st->nmeta) abort();
    for (int i = 0; i < st->ntensors; i++) {
        const nb_st_tensor *a = &st->tensors[i], *b = nb_st_find(back, a->name);
        if (!b || b->dtype != a->dtype || b->ndim != a->ndim || b->nbytes != a->nbytes) abort();
        if (memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof a->shape[0]) != 0) abort();
        if (a->nbytes && memcmp(a->data, b->data, a->nbytes) != 0) abort();
    }
    for (int i = 0; i < st->nmeta; i++) {
        const char *v = nb_st_meta(back, st->meta_keys[i]);
        if (!v || strcmp(v, nb_st_meta(st, st->meta_keys[i])) != 0) abort();
    }
    nb_st_free(back);
    unlink(rt_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb_safetensors *st = nb_st_read(fuzz_file(data, size));
    if (!st) return 0;
    size_t total = 0;
    for (int i = 0; i < st->ntensors; i++) {
        const nb_st_tensor *t = &st->tensors[i];
        total += t->nbytes;
        if (nb_st_find(st, t->name) == NULL) abort();
        void *buf = malloc(t->nbytes ? t->nbytes : 1);
        if (!buf) abort();
        /* duplicate names are refused by the JSON parser, so the name finds t */
        if (nb_st_get(st, t->name, t->dtype, t->ndim, t->shape, buf) != NB_OK) abort();
        fuzz_touch(buf, t->nbytes);
        free(buf);
    }
    if (total > size) abort();
    for (int i = 0; i < st->nmeta; i++)
        if (nb_st_meta(st, st->meta_keys[i]) == NULL) abort();
    round_trip(st);
    nb_st_free(st);
    return 0;
}
