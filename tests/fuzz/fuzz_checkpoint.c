/* nb_checkpoint_load: a safetensors file that must also be a nabla
 * checkpoint, so its metadata (model, sizes, optimizer knobs, step counts)
 * and its tensors' names, dtypes and shapes are hostile input too. Seeds are
 * small real checkpoints, written by nabla train on a 20-sample dataset:
 *   --model mlp --hidden 1 --opt sgd --lr 0.1 --epochs 1 --batch 10       (mlp_sgd)
 *   --hidden 1,1 --opt momentum --momentum 0.9 --lr 0.1                   (mlp_momentum)
 *   --hidden 2 --opt adam --schedule cosine --normalize                   (mlp_adam)
 * Not in the default set, as it needs the whole library built for it:
 *   sh tests/fuzz/run.sh SECONDS checkpoint */
#include "fuzz.h"
#include "nabla.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    nb_set_threads(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb_trainer *t = nb_checkpoint_load(fuzz_file(data, size));
    if (!t) return 0;
    /* what loads must be usable: a forward pass on one zero image */
    nb_ctx *ctx = nb_ctx_new();
    const nb_model_desc *d = &t->model->desc;
    nb_tensor *x = nb_zeros(ctx, NB_F32, NB_SHAPE(1, d->channels, d->height, d->width));
    if (t->model->desc.kind == NB_MODEL_MLP) x = nb_flatten(ctx, x);
    nb_tensor *y = nb_model_forward(ctx, t->model, x);
    if (!y || y->numel != d->classes) abort();
    nb_ctx_free(ctx);
    nb_trainer_free(t);
    return 0;
}
