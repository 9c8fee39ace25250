/* nabla/data.h — datasets: IDX files (MNIST, Fashion-MNIST), minibatches, and
 * the toy 2-D datasets of the playground.
 *
 * A dataset directory holds the four IDX files of the MNIST layout,
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte, each raw or gzipped (".gz"; detected by the gzip
 * magic, not the name). Pixels stay uint8 in memory (a quarter of the f32
 * size) and are scaled to [0,1] f32 as a batch is gathered:
 *
 *     nb_dataset train;
 *     if (nb_dataset_load(&train, nb_dataset_dir("fashion-mnist"), "train")) error...
 *     int64_t *perm = malloc(train.n * sizeof *perm);
 *     nb_shuffle(&rng, perm, train.n);                       // one epoch's order
 *     nb_dataset_gather(&train, perm, s * B, B, NULL, x, y);  // batch s
 *
 * Every malformed file is an NB_EFORMAT or NB_EIO error naming the file. */
#ifndef NABLA_DATA_H
#define NABLA_DATA_H

#include "nabla/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NB_NUM_CLASSES 10

/* One IDX file of unsigned bytes: its dims and its data. */
typedef struct nb_idx {
    int ndim;
    int64_t dims[4];
    int64_t numel;
    uint8_t *data; /* numel bytes, malloc'd */
} nb_idx;

/* Reads an IDX file of unsigned bytes (type code 0x08) with ndim dims, raw or
 * gzipped. Checks the magic, that the header's claim fits the file before
 * allocating it, and that the file holds exactly the data it claims. */
nb_status nb_idx_read(const char *path, int ndim, nb_idx *out);
/* The same checks on an IDX file's n bytes in memory, already gunzipped (a
 * browser's file); name is what its errors call it. The bytes are copied. */
nb_status nb_idx_parse(const uint8_t *buf, size_t n, int ndim, const char *name, nb_idx *out);
void nb_idx_free(nb_idx *idx);

typedef struct nb_dataset {
    int64_t n;       /* samples */
    int rows, cols;  /* image size (28 x 28 for MNIST) */
    uint8_t *pixels; /* n * rows * cols, row-major */
    int32_t *labels; /* n, each in [0, NB_NUM_CLASSES) */
} nb_dataset;

/* "fashion-mnist" names Debian's dataset-fashion-mnist directory; anything
 * else is taken as a directory path and returned unchanged. */
const char *nb_dataset_dir(const char *name);
/* Loads split ("train" or "t10k") from dir: DIR/SPLIT-images-idx3-ubyte[.gz]
 * and DIR/SPLIT-labels-idx1-ubyte[.gz]. On failure ds is left empty. */
nb_status nb_dataset_load(nb_dataset *ds, const char *dir, const char *split);
void nb_dataset_free(nb_dataset *ds);
/* A split from its parsed images (3 dims) and labels (1 dim), checked as
 * nb_dataset_load checks them (the counts agree, every label is a class);
 * takes both: their data moves into ds or is freed, whatever the outcome.
 * The names are what the errors call the two files. */
nb_status nb_dataset_from_idx(nb_dataset *ds, nb_idx *images, nb_idx *labels, const char *images_name,
                              const char *labels_name);
/* Keeps the first n samples (n >= the size keeps them all). */
void nb_dataset_limit(nb_dataset *ds, int64_t n);

/* How pixels become inputs: x = (p / 255 - mean) / std. {0, 1} is [0,1]. */
typedef struct nb_norm {
    float mean, std;
} nb_norm;

/* Copies count samples into x (count * rows * cols f32) and y (count int32,
 * or NULL): sample i of the batch is idx[start + i], or start + i when idx is
 * NULL. norm NULL means plain [0,1] scaling. The caller keeps the indices in
 * range. */
void nb_dataset_gather(const nb_dataset *ds, const int64_t *idx, int64_t start, int64_t count,
                       const nb_norm *norm, float *x, int32_t *y);
/* A 64-bit FNV-1a hash of the sample count, the image size and every label:
 * who resumes a run can tell whether it is the same data. */
uint64_t nb_dataset_hash(const nb_dataset *ds);
/* Mean and standard deviation of the [0,1]-scaled pixels. */
nb_norm nb_dataset_stats(const nb_dataset *ds);

/* perm = a uniformly random permutation of 0..n-1 (Fisher-Yates on rng). */
void nb_shuffle(nb_rng *rng, int64_t *perm, int64_t n);

/* ---- toy 2-D datasets (the playground's; TensorFlow Playground's four) ------
 * n points in the plane (coordinates within about ±6) in two balanced
 * classes, drawn from one seed, in a shuffled order whose first ntrain rows
 * are the training set and the rest the test set:
 *   circles    class 1 within radius 2.5 of the origin, class 0 on the ring 3.5..5
 *   xor        class 1 in the first and third quadrants, class 0 in the others
 *              (each coordinate at least 0.3 from the axes, at most 5.3)
 *   gaussians  class 1 ~ N((2, 2), I), class 0 ~ N((-2, -2), I)
 *   spiral     two arms r = 5u, angle 3.5πu (+ π for class 0), u ~ U(0, 1)
 * then every coordinate jittered by N(0, noise²). The same seed gives the
 * same bits on every machine (the draws are nabla's RNG; libm's sin and cos
 * are rounded to f32). */
typedef enum nb_toy2d_kind { NB_TOY2D_CIRCLES = 0, NB_TOY2D_XOR, NB_TOY2D_GAUSSIANS, NB_TOY2D_SPIRAL } nb_toy2d_kind;
#define NB_TOY2D_COUNT 4
#define NB_TOY2D_MAX_N ((int64_t)1 << 24)
#define NB_TOY2D_MAX_NOISE 10.0

typedef struct nb_toy2d {
    int64_t n, ntrain; /* rows [0, ntrain) train, [ntrain, n) test */
    float *x;          /* n x 2, row-major, malloc'd */
    int32_t *y;        /* n labels, 0 or 1, malloc'd */
} nb_toy2d;

/* n in 2..NB_TOY2D_MAX_N, noise in [0, NB_TOY2D_MAX_NOISE], train_frac in
 * (0, 1) leaving both sets non-empty (ntrain = round(train_frac n)). On
 * failure out is left empty. */
nb_status nb_toy2d_make(nb_toy2d *out, nb_toy2d_kind kind, int64_t n, double noise, double train_frac, uint64_t seed);
void nb_toy2d_free(nb_toy2d *d);
nb_status nb_toy2d_kind_parse(const char *name, nb_toy2d_kind *kind); /* "circles", "xor", "gaussians", "spiral" */
const char *nb_toy2d_kind_name(nb_toy2d_kind kind);

#ifdef __cplusplus
}
#endif
#endif
