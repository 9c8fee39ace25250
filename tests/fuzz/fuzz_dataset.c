/* A dataset directory: the input is split into an images file and a labels
 * file (byte 0 says where), loaded with nb_dataset_load, then used: limited,
 * its statistics taken and every sample gathered. Covers what the IDX reader
 * leaves to the loader: image sizes, counts that disagree, label range. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "nabla/data.h"

static char dir[96], ipath[160], lpath[160];

static void remove_dir(void) {
    unlink(ipath);
    unlink(lpath);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/dev/shm/nabla-fuzz-ds-%d", (int)getpid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) snprintf(dir, sizeof dir, "/tmp/nabla-fuzz-ds-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(ipath, sizeof ipath, "%s/train-images-idx3-ubyte", dir);
    snprintf(lpath, sizeof lpath, "%s/train-labels-idx1-ubyte", dir);
    atexit(remove_dir);
    return 0;
}

static void put(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    /* byte 0: the labels file's length in units of 4 bytes, from the end */
    size_t nl = (size_t)data[0] * 4;
    if (nl > size - 1) nl = size - 1;
    put(ipath, data + 1, size - 1 - nl);
    put(lpath, data + size - nl, nl);
    nb_dataset ds;
    if (nb_dataset_load(&ds, dir, "train") != NB_OK) {
        if (ds.pixels || ds.labels || ds.n) abort();
        return 0;
    }
    if (ds.n < 0 || ds.rows < 1 || ds.cols < 1 || (size_t)(ds.n * ds.rows * ds.cols) > size) abort();
    for (int64_t i = 0; i < ds.n; i++)
        if (ds.labels[i] < 0 || ds.labels[i] >= NB_NUM_CLASSES) abort();
    nb_norm norm = nb_dataset_stats(&ds);
    if (!(norm.std > 0)) abort();
    nb_dataset_limit(&ds, ds.n > 1 ? ds.n - 1 : ds.n);
    int64_t d = (int64_t)ds.rows * ds.cols;
    float *x = malloc((size_t)(ds.n ? ds.n : 1) * (size_t)d * sizeof *x);
    int32_t *y = malloc((size_t)(ds.n ? ds.n : 1) * sizeof *y);
    if (!x || !y) abort();
    nb_dataset_gather(&ds, NULL, 0, ds.n, &norm, x, y);
    for (int64_t i = 0; i < ds.n * d; i++)
        if (!(x[i] == x[i])) abort(); /* no NaN from the normalisation */
    free(x);
    free(y);
    nb_dataset_free(&ds);
    return 0;
}
