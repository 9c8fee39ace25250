/* The trainer's parts that train.c (the one-process step) and shards.c (the
 * S-shard step, over MPI ranks or not) share. */
#ifndef NABLA_TRAIN_INTERNAL_H
#define NABLA_TRAIN_INTERNAL_H

#include "nabla/nn.h"

typedef struct shard_result {
    double loss; /* the shard's mean loss */
    int64_t correct;
    nb_status st;
    char msg[256]; /* a failing shard's message, raised again on the caller's thread */
} shard_result;

/* Forward and backward of rows [r0, r1) of x, a shard of a batch of b rows:
 * its loss is weighted by its share of the batch (unless it is the whole
 * batch), so the shards' gradients add up to the batch's. Resets ctx. */
void nb__run_shard(nb_model *m, nb_ctx *ctx, const nb_tensor *x, const int32_t *y, int64_t r0, int64_t r1, int64_t b,
                   shard_result *out);
nb_tensor *nb__batch_tensor(nb_tensor **slot, const nb_model_desc *d, int64_t b);
nb_status nb__check_data(const nb_model_desc *d, const nb_dataset *ds, const char *what);
unsigned nb__flush_subnormals(void);
void nb__restore_fp(unsigned csr);

nb_status nb__train_epoch_shards(nb_trainer *t, const nb_dataset *train, nb_epoch_stats *st, nb_progress_fn fn,
                                 void *user);
void nb__shards_free(struct nb_shards *s);

#endif
