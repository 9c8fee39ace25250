/* web/nabla_web_fmnist.h — the Fashion-MNIST trainer's C API (the "Train a
 * network" panel's lower half, web/fashion.js, in its own worker): the four
 * IDX files as the browser gunzipped them, a trainer, steps in chunks, an
 * evaluation with its confusion matrix, and the checkpoint's bytes. */
#ifndef NABLA_WEB_FMNIST_H
#define NABLA_WEB_FMNIST_H

#include <stddef.h>
#include <stdint.h>

#include "nabla_web.h"

/* The files: 0 train images, 1 train labels, 2 test images, 3 test labels. */
enum { NBW_FM_TRAIN_IMAGES, NBW_FM_TRAIN_LABELS, NBW_FM_TEST_IMAGES, NBW_FM_TEST_LABELS, NBW_FM_NFILES };

/* The trainer's settings block: model (0 MLP 784-256-256-10, 1 CNN), then the
 * optimizer as nabla_web.h's lab block has it (kind, convention, knobs; NaN
 * keeps a knob's default), then batch, epochs, seed, and normalize (1: pixels
 * standardised by the training set's mean and std, `nabla train --normalize`). */
enum {
    NBW_FM_MODEL, NBW_FM_KIND, NBW_FM_CONV, NBW_FM_LR, NBW_FM_MOMENTUM, NBW_FM_BETA, NBW_FM_BETA1, NBW_FM_BETA2,
    NBW_FM_EPS, NBW_FM_WD, NBW_FM_BATCH, NBW_FM_EPOCHS, NBW_FM_SEED, NBW_FM_NORMALIZE, NBW_FM_LEN
};

/* nbw_fm_info(): what is loaded and where training is. */
enum {
    NBW_FMI_TRAIN_N, NBW_FMI_TEST_N, NBW_FMI_ROWS, NBW_FMI_COLS, /* 0 until the split is in */
    NBW_FMI_EPOCH, NBW_FMI_STEP, NBW_FMI_STEPS_PER_EPOCH,      /* epochs done; steps done in this epoch */
    NBW_FMI_LOSS, NBW_FMI_ACC,                                  /* running means over this epoch's steps */
    NBW_FMI_SECONDS,                                            /* training time of this epoch so far */
    NBW_FMI_TEST_LOSS, NBW_FMI_TEST_ACC, NBW_FMI_TEST_CORRECT,   /* the last nbw_fm_eval */
    NBW_FMI_BYTES,                                              /* nbw_fm_save's length */
    NBW_FMI_FILES,                                              /* bit i: file i is in */
    NBW_FMI_LEN
};
/* nbw_fm_eval keeps the predicted class of the first NBW_FM_PREDS test images. */
#define NBW_FM_PREDS 256

/* Parses file `which` (its n bytes, gunzipped; name for the errors) with the
 * library's IDX reader; once both files of a split are in, builds the split. */
NBW_EXPORT(nbw_fm_file) int nbw_fm_file(int which, const uint8_t *bytes, size_t n, const char *name);
NBW_EXPORT(nbw_fm_info) const double *nbw_fm_info(void);
/* The test images' pixels (n x rows x cols bytes), or NULL. */
NBW_EXPORT(nbw_fm_test_pixels) const uint8_t *nbw_fm_test_pixels(void);
NBW_EXPORT(nbw_fm_test_labels) const int32_t *nbw_fm_test_labels(void);
/* A fresh trainer from the settings block (the previous one goes). */
NBW_EXPORT(nbw_fm_new) int nbw_fm_new(const double *p);
/* At most `steps` steps of the current epoch (a new epoch begins, in a fresh
 * order, when none is under way); *done (may be NULL) gets the count. */
NBW_EXPORT(nbw_fm_train) int nbw_fm_train(int steps, int *done);
/* Loss, accuracy and the 10 x 10 confusion matrix (rows: true class) on the
 * test split, in batches of 256 as `nabla eval` takes them. */
NBW_EXPORT(nbw_fm_eval) int nbw_fm_eval(void);
NBW_EXPORT(nbw_fm_confusion) const double *nbw_fm_confusion(void);
NBW_EXPORT(nbw_fm_preds) const int32_t *nbw_fm_preds(void);
/* The checkpoint's bytes, as `nabla train --save` writes them; the length is
 * nbw_fm_info()[NBW_FMI_BYTES]. Valid until the next call. */
NBW_EXPORT(nbw_fm_save) const uint8_t *nbw_fm_save(void);

#endif
