/* Regression tests: one per bug found by the fuzzers and the bad-input
 * suite, each named for the bug, so that it stays fixed. Crashing inputs the
 * fuzzers found live in tests/fuzz/regress/TARGET/ and are replayed here
 * through the same public readers (and by tests/fuzz/run.sh). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nabla/checkpoint.h"
#include "nabla/data.h"
#include "nabla/matrix_io.h"
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
    /* a message at the buffer's limit is cut, not overrun */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nb_fail(NB_EINVAL, "%s", big);
    nb_fail(NB_EINVAL, "%s: %s", "p", nb_errmsg());
    CHECK(strncmp(nb_errmsg(), "p: xxx", 6) == 0 && strlen(nb_errmsg()) < sizeof big);
}

/* nb_csv_read read a whole file before looking at it, so an endless device
 * (--x /dev/zero, /dev/urandom) was read until memory ran out; binary data is
 * now refused in the first block. */
TEST(regress_csv_endless_binary_device) {
    nb_matrix m;
    CHECK_ERR(nb_csv_read(&m, "/dev/zero"), NB_EFORMAT, "/dev/zero: binary data, not CSV text");
    CHECK(m.data == NULL);
    CHECK_ERR(nb_csv_read(&m, "/dev/urandom"), NB_EFORMAT, "binary data");
}

/* ---- the fuzzers' crashing inputs, replayed through the public readers ------ */

static bool replay_idx(const char *path) {
    for (int ndim = 1; ndim <= 4; ndim++) {
        nb_idx idx;
        if (nb_idx_read(path, ndim, &idx) == NB_OK) nb_idx_free(&idx);
        else if (idx.data) return false;
    }
    return true;
}
static bool replay_npy(const char *path) {
    nb_matrix m;
    if (nb_npy_read(&m, path) == NB_OK) nb_matrix_free(&m);
    return m.data == NULL;
}
static bool replay_csv(const char *path) {
    nb_matrix m;
    if (nb_csv_read(&m, path) == NB_OK) nb_matrix_free(&m);
    return m.data == NULL;
}
static bool replay_safetensors(const char *path) {
    nb_st_free(nb_st_read(path));
    return true;
}

/* Runs fn on every file in tests/fuzz/regress/TARGET/ (none is fine); a crash
 * is the failure, fn's false another. Returns the number of files. */
static int replay(const char *target, bool (*fn)(const char *)) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/../fuzz/regress/%s", test_fixture_dir(), target);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        CHECK_MSG(fn(path), "%s: a failed read left data behind", path);
        n++;
    }
    closedir(d);
    return n;
}

TEST(regress_fuzz_inputs) {
    replay("idx", replay_idx);
    replay("idx_gz", replay_idx); /* stored uncompressed; read raw they must fail cleanly too */
    replay("npy", replay_npy);
    replay("csv", replay_csv);
    replay("safetensors", replay_safetensors);
}
