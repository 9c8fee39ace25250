/* IDX reading: small files the test writes itself, raw and gzipped, and every
 * broken variant. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nabla/data.h"
#include "test.h"

/* A fresh temporary directory per call (removed by the caller with rm_dir). */
static char *tmp_dir(void) {
    static char buf[64];
    snprintf(buf, sizeof buf, "/tmp/nb_data_XXXXXX");
    return mkdtemp(buf) ? buf : NULL;
}

static void rm_dir(const char *dir) {
    const char *names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte", "x"};
    char p[256];
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
        snprintf(p, sizeof p, "%s/%s.gz", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

static void write_bytes(const char *path, const uint8_t *b, size_t n, bool gz) {
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, b, (unsigned)n);
        gzclose(g);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(b, 1, n, f);
        fclose(f);
    }
}

/* An IDX image file of n images rows x cols with pixel (i, j) = (7i + j) % 256,
 * into buf; returns its size. */
static size_t make_images(uint8_t *buf, uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols) {
    uint32_t h[4] = {magic, n, rows, cols};
    size_t k = 0;
    for (int i = 0; i < 4; i++)
        for (int s = 24; s >= 0; s -= 8) buf[k++] = (uint8_t)(h[i] >> s);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < rows * cols; j++) buf[k++] = (uint8_t)((7 * i + j) % 256);
    return k;
}

static size_t make_labels(uint8_t *buf, uint32_t n, uint8_t bad_at, uint8_t bad_value) {
    uint32_t h[2] = {0x801, n};
    size_t k = 0;
    for (int i = 0; i < 2; i++)
        for (int s = 24; s >= 0; s -= 8) buf[k++] = (uint8_t)(h[i] >> s);
    for (uint32_t i = 0; i < n; i++) buf[k++] = i == bad_at ? bad_value : (uint8_t)(i % 10);
    return k;
}

static uint8_t B1[4096], B2[4096];

/* A train split of 5 images 3x4 and 5 labels. */
static void write_split(const char *dir, bool gz_images, bool gz_labels) {
    char p[256];
    size_t n = make_images(B1, 0x803, 5, 3, 4);
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte%s", dir, gz_images ? ".gz" : "");
    write_bytes(p, B1, n, gz_images);
    n = make_labels(B2, 5, 255, 0);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte%s", dir, gz_labels ? ".gz" : "");
    write_bytes(p, B2, n, gz_labels);
}

TEST(data_loads_raw_and_gzipped) {
    for (int v = 0; v < 3; v++) {
        char *dir = tmp_dir();
        CHECK_NOTNULL(dir);
        write_split(dir, v != 0, v == 2);
        nb_dataset ds;
        CHECK_OK(nb_dataset_load(&ds, dir, "train"));
        CHECK(ds.n == 5 && ds.rows == 3 && ds.cols == 4);
        if (ds.n == 5) {
            CHECK(ds.pixels[13] == (7 * 1 + 1) % 256);
            CHECK(ds.labels[3] == 3);
            float x[2 * 12];
            int32_t y[2];
            int64_t idx[] = {4, 1};
            nb_dataset_gather(&ds, idx, 0, 2, NULL, x, y);
            CHECK(y[0] == 4 && y[1] == 1);
            CHECK(x[0] == (float)28 / 255.0f && x[12 + 1] == (float)8 / 255.0f);
            nb_norm norm = {0.5f, 0.25f};
            nb_dataset_gather(&ds, NULL, 1, 1, &norm, x, NULL);
            CHECK_NEAR(x[1], (8 / 255.0 - 0.5) / 0.25, 1e-6, 0);
            nb_norm st = nb_dataset_stats(&ds);
            CHECK(st.mean > 0 && st.std > 0);
            nb_dataset_limit(&ds, 2);
            CHECK(ds.n == 2);
        }
        nb_dataset_free(&ds);
        rm_dir(dir);
    }
}

TEST(data_real_fashion_mnist_when_installed) {
    const char *dir = nb_dataset_dir("fashion-mnist");
    if (access(dir, R_OK) != 0) return;
    nb_dataset ds;
    CHECK_OK(nb_dataset_load(&ds, dir, "t10k"));
    CHECK(ds.n == 10000 && ds.rows == 28 && ds.cols == 28);
    nb_dataset_free(&ds);
}

/* Loading dir's train split fails with NB_EFORMAT/NB_EIO and a message holding substr. */
static void expect_load_error(const char *dir, nb_status code, const char *substr, int line) {
    nb_dataset ds;
    nb_clear_error();
    nb_status s = nb_dataset_load(&ds, dir, "train");
    if (s != code || !strstr(nb_errmsg(), substr))
        test_fail(__FILE__, line, "got %d '%s', expected %d containing '%s'", (int)s, nb_errmsg(), (int)code, substr);
    if (ds.pixels || ds.labels || ds.n) test_fail(__FILE__, line, "dataset not left empty");
    nb_dataset_free(&ds);
}

TEST(data_rejects_missing) {
    expect_load_error("/nonexistent/nb_dir", NB_EIO, "no such data directory", __LINE__);
    char *dir = tmp_dir();
    expect_load_error(dir, NB_EIO, "missing train-images-idx3-ubyte", __LINE__);
    write_split(dir, false, false);
    char p[256];
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", dir);
    unlink(p);
    expect_load_error(dir, NB_EIO, "missing train-labels-idx1-ubyte", __LINE__);
    rm_dir(dir);
}

/* Writes images bytes b[0..n) as dir's image file (gz or raw), valid labels beside. */
static void write_images(const char *dir, const uint8_t *b, size_t n, bool gz) {
    write_split(dir, false, false);
    char p[256];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte%s", dir, gz ? ".gz" : "");
    write_bytes(p, b, n, gz);
}

TEST(data_rejects_broken_images) {
    uint8_t img[4096];
    for (int gz = 0; gz < 2; gz++) {
        char *dir = tmp_dir();
        size_t n = make_images(img, 0x803, 5, 3, 4);
        /* every truncation of the uncompressed file */
        for (size_t cut = 0; cut < n; cut++) {
            write_images(dir, img, cut, gz);
            expect_load_error(dir, NB_EFORMAT, "truncated", __LINE__);
        }
        /* trailing bytes */
        write_images(dir, img, n + 1, gz);
        expect_load_error(dir, NB_EFORMAT, "bytes after", __LINE__);
        /* wrong magics: another type code, another ndim, a labels file */
        uint32_t bad[] = {0x903, 0x802, 0x801, 0x0d03, 0x01000803};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            n = make_images(img, bad[i], 5, 3, 4);
            write_images(dir, img, n, gz);
            expect_load_error(dir, NB_EFORMAT, "wrong magic", __LINE__);
        }
        /* a header claiming 2^32-1 images: rejected before allocating them */
        n = make_images(img, 0x803, 5, 3, 4);
        img[4] = img[5] = img[6] = img[7] = 0xff;
        write_images(dir, img, n, gz);
        expect_load_error(dir, NB_EFORMAT, "header claims", __LINE__);
        img[8] = img[9] = img[10] = img[11] = 0xff;
        img[12] = img[13] = img[14] = img[15] = 0xff;
        write_images(dir, img, n, gz);
        expect_load_error(dir, NB_EFORMAT, "header claims", __LINE__);
        /* zero-sized images */
        n = make_images(img, 0x803, 0, 0, 4);
        write_images(dir, img, n, gz);
        expect_load_error(dir, NB_EFORMAT, "not usable", __LINE__);
        /* more images than labels */
        n = make_images(img, 0x803, 6, 3, 4);
        write_images(dir, img, n, gz);
        expect_load_error(dir, NB_EFORMAT, "6 images but", __LINE__);
        rm_dir(dir);
    }
}

TEST(data_rejects_corrupt_gzip) {
    char *dir = tmp_dir();
    uint8_t img[4096];
    size_t n = make_images(img, 0x803, 5, 3, 4);
    write_images(dir, img, n, true);
    char p[256];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", dir);
    uint8_t gzb[4096];
    FILE *f = fopen(p, "rb");
    size_t gn = fread(gzb, 1, sizeof gzb, f);
    fclose(f);
    CHECK(gn > 20);
    /* every truncation of the compressed file: an error, never a crash */
    for (size_t cut = 2; cut < gn; cut++) {
        write_bytes(p, gzb, cut, false);
        nb_dataset ds;
        nb_clear_error();
        CHECK(nb_dataset_load(&ds, dir, "train") == NB_EFORMAT);
        CHECK_MSG(strstr(nb_errmsg(), "train-images-idx3-ubyte.gz") != NULL, "cut %zu: %s", cut, nb_errmsg());
    }
    /* every flipped byte past the gzip header: zlib's checks or ours catch it */
    int caught = 0, total = 0;
    for (size_t i = 10; i < gn; i++) {
        uint8_t c[4096];
        memcpy(c, gzb, gn);
        c[i] ^= 0x5a;
        write_bytes(p, c, gn, false);
        nb_dataset ds;
        nb_status s = nb_dataset_load(&ds, dir, "train");
        total++;
        if (s != NB_OK) {
            caught++;
            CHECK(strstr(nb_errmsg(), dir) != NULL);
        }
        nb_dataset_free(&ds);
    }
    CHECK_MSG(caught == total, "%d of %d flipped bytes caught", caught, total);
    rm_dir(dir);
}

TEST(data_rejects_bad_labels) {
    char *dir = tmp_dir();
    write_split(dir, false, false);
    char p[256];
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", dir);
    size_t n = make_labels(B2, 5, 2, 10);
    write_bytes(p, B2, n, false);
    expect_load_error(dir, NB_EFORMAT, "label 10 of sample 2", __LINE__);
    n = make_labels(B2, 4, 255, 0);
    write_bytes(p, B2, n, false);
    expect_load_error(dir, NB_EFORMAT, "5 images but", __LINE__);
    n = make_images(B2, 0x803, 5, 1, 1); /* an images file where labels belong */
    write_bytes(p, B2, n, false);
    expect_load_error(dir, NB_EFORMAT, "wrong magic", __LINE__);
    rm_dir(dir);
}

/* The reader on bytes in memory (the browser's path) says exactly what the
 * file reader says, for every truncation, trailing byte and wrong magic, and
 * gives the same data when the bytes are good. */
static void expect_parse_as_read(const uint8_t *b, size_t n, int ndim, int line) {
    char *dir = tmp_dir(), p[256];
    snprintf(p, sizeof p, "%s/x", dir);
    write_bytes(p, b, n, false);
    nb_idx a, m;
    nb_status sa = nb_idx_read(p, ndim, &a);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", nb_errmsg());
    nb_clear_error();
    nb_status sm = nb_idx_parse(b, n, ndim, p, &m);
    CHECK_MSG(sa == sm, "line %d: read %d, parse %d (%s)", line, (int)sa, (int)sm, nb_errmsg());
    if (sa) CHECK_MSG(strcmp(msg, nb_errmsg()) == 0, "line %d: '%s' vs '%s'", line, msg, nb_errmsg());
    else {
        CHECK(a.ndim == m.ndim && a.numel == m.numel && memcmp(a.dims, m.dims, sizeof a.dims) == 0);
        CHECK(memcmp(a.data, m.data, (size_t)a.numel) == 0);
    }
    if (sm) CHECK(m.data == NULL && m.numel == 0);
    nb_idx_free(&a);
    nb_idx_free(&m);
    rm_dir(dir);
}

TEST(data_parse_in_memory_agrees_with_the_file_reader) {
    uint8_t img[4096];
    size_t n = make_images(img, 0x803, 5, 3, 4);
    for (size_t cut = 0; cut <= n + 1; cut++) expect_parse_as_read(img, cut, 3, __LINE__);
    expect_parse_as_read(img, n, 1, __LINE__); /* images where labels belong */
    n = make_labels(img, 5, 255, 0);
    expect_parse_as_read(img, n, 3, __LINE__); /* labels where images belong */
    expect_parse_as_read(img, n, 1, __LINE__);
    n = make_images(img, 0x803, 5, 3, 4);
    img[4] = img[5] = img[6] = img[7] = 0xff; /* claims 2^32-1 images */
    expect_parse_as_read(img, n, 3, __LINE__);
    nb_idx m;
    CHECK_ERR(nb_idx_parse(img, n, 0, "x", &m), NB_EINVAL, "ndim");
    CHECK_ERR(nb_idx_parse(NULL, 4, 3, "x", &m), NB_EINVAL, "no bytes");
}

TEST(data_split_from_parsed_files) {
    nb_idx im, lb;
    size_t n = make_images(B1, 0x803, 5, 3, 4);
    CHECK_OK(nb_idx_parse(B1, n, 3, "imgs", &im));
    n = make_labels(B2, 5, 255, 0);
    CHECK_OK(nb_idx_parse(B2, n, 1, "labs", &lb));
    nb_dataset ds;
    CHECK_OK(nb_dataset_from_idx(&ds, &im, &lb, "imgs", "labs"));
    CHECK(ds.n == 5 && ds.rows == 3 && ds.cols == 4 && ds.pixels[13] == (7 + 1) % 256 && ds.labels[4] == 4);
    CHECK(im.data == NULL && lb.data == NULL); /* taken */
    nb_dataset_free(&ds);
    n = make_images(B1, 0x803, 5, 3, 4);
    CHECK_OK(nb_idx_parse(B1, n, 3, "imgs", &im));
    n = make_labels(B2, 4, 255, 0);
    CHECK_OK(nb_idx_parse(B2, n, 1, "labs", &lb));
    CHECK_ERR(nb_dataset_from_idx(&ds, &im, &lb, "imgs", "labs"), NB_EFORMAT, "imgs holds 5 images but labs holds 4");
    CHECK(ds.n == 0 && ds.pixels == NULL && im.data == NULL && lb.data == NULL);
    n = make_labels(B2, 5, 3, 12);
    CHECK_OK(nb_idx_parse(B2, n, 1, "labs", &lb));
    CHECK_OK(nb_idx_parse(B2, n, 1, "labs2", &im));
    CHECK_ERR(nb_dataset_from_idx(&ds, &im, &lb, "imgs", "labs"), NB_EINVAL, "has 1 dims");
}

TEST(data_shuffle_is_a_seeded_permutation) {
    enum { N = 1000 };
    static int64_t a[N], b[N];
    nb_rng r1, r2;
    nb_rng_seed(&r1, 7);
    nb_rng_seed(&r2, 7);
    nb_shuffle(&r1, a, N);
    nb_shuffle(&r2, b, N);
    CHECK(memcmp(a, b, sizeof a) == 0);
    static char seen[N];
    memset(seen, 0, sizeof seen);
    int moved = 0;
    for (int i = 0; i < N; i++) {
        CHECK(a[i] >= 0 && a[i] < N);
        if (a[i] >= 0 && a[i] < N) seen[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < N; i++) CHECK(seen[i] == 1);
    CHECK(moved > N / 2);
    nb_shuffle(&r1, b, N); /* the next epoch differs */
    CHECK(memcmp(a, b, sizeof a) != 0);
}
