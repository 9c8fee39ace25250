/* Regression tests: one per bug found by the fuzzers and the bad-input
 * suite, each named for the bug, so that it stays fixed. Crashing inputs the
 * fuzzers found live in tests/fuzz/regress/TARGET/ and are replayed here
 * through the same public readers (and by tests/fuzz/run.sh). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nabla/checkpoint.h"
#include "nabla/data.h"
#include "nabla/matrix_io.h"
#include "io/json.h"
#include "nabla/nn.h"
#include "test.h"

/* nb_fail wrapping the previous error (nb_fail("%s: %s", path, nb_errmsg()))
 * passed its own output buffer as an argument: vsnprintf with overlapping
 * source and destination garbled the message ("b.st: b.st: n model 'rnn'"). */
TEST(regress_fail_wraps_own_message) {
    nb_fail(NB_EINVAL, "unknown model '%s' (expected mlp or cnn)", "rnn");
    nb_fail(NB_EFORMAT, "%s: %s", "ckpt.safetensors", nb_errmsg());
    CHECK_MSG(strcmp(nb_errmsg(), "ckpt.safetensors: unknown model 'rnn' (expected mlp or cnn)") == 0, "got '%s'",
              nb_errmsg());
    CHECK(nb_errcode() == NB_EFORMAT);
    /* a message past the buffer's limit is cut in the middle, not overrun,
     * and keeps its end: the reason after a long path */
    char big[1500];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nb_fail(NB_EINVAL, "%s", big);
    nb_fail(NB_EINVAL, "%s: %s", "p", nb_errmsg());
    CHECK(strncmp(nb_errmsg(), "p: xxx", 6) == 0 && strlen(nb_errmsg()) < sizeof big);
    nb_fail(NB_EIO, "%s: cannot open: %s", big, "File name too long");
    size_t n = strlen(nb_errmsg());
    CHECK(n < sizeof big && n > 20 && strcmp(nb_errmsg() + n - 20, ": File name too long") == 0);
}

/* nb_csv_read read a whole file before looking at it, so an endless device
 * (--x /dev/zero, /dev/urandom) was read until memory ran out; binary data
 * was then refused in the first block, and now any device is refused before
 * a byte is read (nb_input_open). */
TEST(regress_csv_endless_binary_device) {
    nb_matrix m;
    CHECK_ERR(nb_csv_read(&m, "/dev/zero"), NB_EIO, "/dev/zero: not a regular file (a character device)");
    CHECK(m.data == NULL);
    CHECK_ERR(nb_csv_read(&m, "/dev/urandom"), NB_EIO, "not a regular file");
}

/* ---- the fuzzers' inputs, replayed through the public readers -------------
 * tests/fuzz/regress/TARGET/ holds every input that ever crashed a fuzzer
 * or a reader (named for the bug) and the seeds of tests/fuzz/corpus
 * (seed_*). Each file goes through its reader: a success must be
 * consistent with the file, a failure must hold nothing and say why. */

/* A failed read: an error code and a message, and nothing left behind. */
static bool failed_cleanly(const char *path, const void *data) {
    CHECK_MSG(nb_errcode() != NB_OK && nb_errmsg()[0] != '\0', "%s: a failed read gave no error", path);
    CHECK_MSG(data == NULL, "%s: a failed read left data behind", path);
    return nb_errcode() != NB_OK && nb_errmsg()[0] != '\0' && data == NULL;
}

/* The file's bytes (malloc'd, NUL-terminated) and size; NULL if unreadable. */
static char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 4096 + 1 > cap) {
            char *t = realloc(buf, cap = 2 * cap + 8192);
            if (!t) break;
            buf = t;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    if (buf) buf[n] = '\0', *size = n;
    return buf;
}

/* nb_idx_read of raw bytes at path: a success is exactly the file, header then data. */
static bool check_idx(const char *path, const unsigned char *raw, size_t size, int ndim) {
    nb_idx idx;
    nb_clear_error();
    if (nb_idx_read(path, ndim, &idx) != NB_OK) return failed_cleanly(path, idx.data);
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++) numel *= idx.dims[i];
    bool ok = idx.ndim == ndim && idx.numel == numel && (size_t)(4 + 4 * ndim) + (size_t)numel == size &&
              (numel == 0 || memcmp(idx.data, raw + 4 + 4 * ndim, (size_t)numel) == 0);
    CHECK_MSG(ok, "%s: read as %d-D, the result does not match the file", path, ndim);
    nb_idx_free(&idx);
    return ok;
}
/* The IDX bytes of path: the file, or what it holds when it is gzip (as the
 * reader sees it: none when zlib refuses the stream); NULL if unreadable. */
static unsigned char *idx_bytes(const char *path, size_t *size) {
    unsigned char *raw = (unsigned char *)slurp(path, size);
    if (!raw || *size < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
    free(raw);
    gzFile gz = gzopen(path, "rb");
    if (!gz) return NULL;
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    int got = buf ? gzread(gz, buf, (unsigned)cap) : -1;
    gzclose(gz);
    /* a stream zlib refuses holds nothing the reader may accept */
    *size = got < 0 ? 0 : (size_t)got;
    return buf;
}
static bool replay_idx(const char *path) {
    size_t size;
    unsigned char *raw = idx_bytes(path, &size);
    CHECK_MSG(raw != NULL, "%s: cannot read it", path);
    if (!raw) return false;
    bool ok = true;
    for (int ndim = 1; ndim <= 4; ndim++) ok &= check_idx(path, raw, size, ndim);
    free(raw);
    return ok;
}
/* The input gzipped first (as the fuzz target does), then read. */
static bool replay_idx_gz(const char *path) {
    size_t size;
    unsigned char *raw = (unsigned char *)slurp(path, &size);
    if (!raw) return false;
    char gzpath[64];
    snprintf(gzpath, sizeof gzpath, "/tmp/nabla-regress-%d.gz", (int)getpid());
    gzFile gz = gzopen(gzpath, "wb");
    bool ok = gz && (size == 0 || gzwrite(gz, raw, (unsigned)size) == (int)size);
    if (gz) ok &= gzclose(gz) == Z_OK;
    CHECK_MSG(ok, "%s: cannot gzip it to %s", path, gzpath);
    int ndim = size >= 4 && raw[3] >= 1 && raw[3] <= 4 ? raw[3] : 1;
    if (ok) ok = check_idx(gzpath, raw, size, ndim);
    unlink(gzpath);
    free(raw);
    return ok;
}
/* A matrix: non-empty, finite, at least a byte of file per value. */
static bool check_matrix(const char *path, nb_status st, nb_matrix *m) {
    if (st != NB_OK) return failed_cleanly(path, m->data);
    struct stat sb;
    bool ok = stat(path, &sb) == 0 && m->rows >= 1 && m->cols >= 1 && m->rows * m->cols <= (int64_t)sb.st_size;
    for (int64_t i = 0; ok && i < m->rows * m->cols; i++) ok = isfinite(m->data[i]);
    CHECK_MSG(ok, "%s: a %lld x %lld matrix that the file cannot hold, or not finite", path, (long long)m->rows,
              (long long)m->cols);
    nb_matrix_free(m);
    return ok;
}
static bool replay_npy(const char *path) {
    nb_matrix m;
    nb_clear_error();
    return check_matrix(path, nb_npy_read(&m, path), &m);
}
static bool replay_csv(const char *path) {
    nb_matrix m;
    nb_clear_error();
    return check_matrix(path, nb_csv_read(&m, path), &m);
}
/* Every tensor found by its name and copied out whole; the data fits the file. */
static bool replay_safetensors(const char *path) {
    nb_clear_error();
    nb_safetensors *st = nb_st_read(path);
    if (!st) return failed_cleanly(path, st);
    size_t total = 0;
    bool ok = true;
    for (int i = 0; ok && i < st->ntensors; i++) {
        const nb_st_tensor *t = &st->tensors[i];
        int64_t numel = 1;
        for (int d = 0; d < t->ndim; d++) numel *= t->shape[d];
        total += t->nbytes;
        void *buf = malloc(t->nbytes ? t->nbytes : 1);
        ok = buf && nb_st_find(st, t->name) == t && t->numel == numel &&
             t->nbytes == (size_t)numel * nb_st_dtype_size(t->dtype) &&
             nb_st_get(st, t->name, t->dtype, t->ndim, t->shape, buf) == NB_OK &&
             (t->nbytes == 0 || memcmp(buf, t->data, t->nbytes) == 0);
        free(buf);
    }
    for (int i = 0; ok && i < st->nmeta; i++) ok = nb_st_meta(st, st->meta_keys[i]) == st->meta_values[i];
    ok &= total <= st->size;
    CHECK_MSG(ok, "%s: read, but its tensors or metadata are not consistent", path);
    nb_st_free(st);
    return ok;
}
/* The header parser alone: a value, or an error naming the byte. */
static bool replay_json(const char *path) {
    size_t size;
    char *text = slurp(path, &size);
    if (!text) return false;
    nb_clear_error();
    nb_json *v = nb_json_parse(text, size, "regress");
    bool ok = v ? v->kind <= NB_JSON_OBJECT : failed_cleanly(path, v) && strstr(nb_errmsg(), "bad JSON at byte");
    CHECK_MSG(ok, "%s: parsed to nothing sensible: '%s'", path, v ? "" : nb_errmsg());
    nb_json_free(v);
    free(text);
    return ok;
}
/* A dataset directory, split from the input as the fuzz target splits it
 * (byte 0: the labels file's length in units of 4 bytes, from the end). */
static bool replay_dataset(const char *path) {
    size_t size;
    unsigned char *data = (unsigned char *)slurp(path, &size);
    if (!data) return false;
    char dir[64], ip[128], lp[128];
    snprintf(dir, sizeof dir, "/tmp/nabla-regress-ds-%d", (int)getpid());
    snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte", dir);
    snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte", dir);
    mkdir(dir, 0700);
    size_t nl = size ? (size_t)data[0] * 4 : 0;
    if (size && nl > size - 1) nl = size - 1;
    FILE *fi = fopen(ip, "wb"), *fl = fopen(lp, "wb");
    bool ok = fi && fl;
    if (ok && size) {
        ok = fwrite(data + 1, 1, size - 1 - nl, fi) == size - 1 - nl && fwrite(data + size - nl, 1, nl, fl) == nl;
    }
    if (fi) ok &= fclose(fi) == 0;
    if (fl) ok &= fclose(fl) == 0;
    CHECK_MSG(ok, "%s: cannot write its files into %s", path, dir);
    nb_dataset ds;
    nb_clear_error();
    if (ok && nb_dataset_load(&ds, dir, "train") != NB_OK) {
        ok = failed_cleanly(path, ds.pixels) && ds.labels == NULL && ds.n == 0;
    } else if (ok) {
        ok = ds.n >= 0 && ds.rows >= 1 && ds.cols >= 1 && (size_t)(ds.n * ds.rows * ds.cols) <= size;
        for (int64_t i = 0; ok && i < ds.n; i++) ok = ds.labels[i] >= 0 && ds.labels[i] < NB_NUM_CLASSES;
        CHECK_MSG(ok, "%s: a dataset of %lld images of %dx%d that the input cannot hold, or a label out of range",
                  path, (long long)ds.n, (int)ds.rows, (int)ds.cols);
        nb_dataset_free(&ds);
    }
    unlink(ip), unlink(lp), rmdir(dir);
    free(data);
    return ok;
}
/* A checkpoint: a trainer, or an error. */
static bool replay_checkpoint(const char *path) {
    nb_clear_error();
    nb_trainer *t = nb_checkpoint_load(path);
    if (!t) return failed_cleanly(path, t);
    nb_trainer_free(t);
    return true;
}

/* Runs fn on every file in tests/fuzz/regress/TARGET/; returns the number
 * of files (0 when the folder is missing or empty, a failure). */
static int replay(const char *target, bool (*fn)(const char *)) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/../fuzz/regress/%s", test_fixture_dir(), target);
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "%s: no regression inputs", dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        CHECK_MSG(fn(path), "%s: replay failed", path);
        n++;
    }
    closedir(d);
    CHECK_MSG(n > 0, "%s: no regression inputs", dir);
    return n;
}

TEST(regress_fuzz_inputs) {
    replay("idx", replay_idx);
    replay("idx_gz", replay_idx_gz);
    replay("npy", replay_npy);
    replay("csv", replay_csv);
    replay("safetensors", replay_safetensors);
    replay("json", replay_json);
    replay("dataset", replay_dataset);
    replay("checkpoint", replay_checkpoint);
}
