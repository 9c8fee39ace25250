/* nabla/nn.h — layers, models, training, evaluation and checkpoints.
 *
 * Two models for image classification: an MLP (784-256-256-10 with ReLU by
 * default; tanh or sigmoid on request) and a small CNN (conv 1->16 3x3 pad 1, ReLU, maxpool 2; conv
 * 16->32 3x3 pad 1, ReLU, maxpool 2; linear 32*7*7 -> 10), trained with
 * softmax cross-entropy. A model's tensors live in one nb_params; a step's in
 * the trainer's nb_ctx, rewound after every step:
 *
 *     nb_model_desc d = nb_mlp_desc(2, (int64_t[]){256, 256});
 *     nb_train_config c = nb_train_defaults();
 *     c.optim = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_TORCH);
 *     nb_trainer *t = nb_trainer_new(&d, &c);
 *     for (int e = 0; e < 5; e++) {
 *         nb_epoch_stats st;
 *         if (nb_train_epoch(t, &train, &st, NULL, NULL)) error...
 *         nb_evaluate(t->model, t->ctx, &test, &t->cfg.norm, 1000, &loss, &acc);
 *         nb_checkpoint_save(t, "model.safetensors");       // atomic
 *     }
 *
 * A checkpoint is a safetensors file holding the parameters (with PyTorch's
 * names and layouts, so torch's load_state_dict takes them once the "optim."
 * and "rng." entries are left out), the optimizer state per parameter
 * ("optim.0.weight.exp_avg", ...), the RNG state ("rng.state"), and in
 * __metadata__ the model, the optimizer and its hyperparameters, the epoch
 * and the step: resuming from it continues bit for bit as if the run had
 * never stopped. */
#ifndef NABLA_NN_H
#define NABLA_NN_H

#include "nabla/checkpoint.h"
#include "nabla/data.h"
#include "nabla/optim.h"
#include "nabla/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- layers ---------------------------------------------------------------- */
/* PyTorch's default initialisation of Linear and Conv2d (Kaiming-uniform with
 * a = sqrt(5)): t ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for weights and biases
 * alike. fan_in is in_features, or in_channels * kh * kw. */
nb_status nb_init_uniform_fan_in(nb_rng *rng, nb_tensor *t, int64_t fan_in);

/* ---- models ---------------------------------------------------------------- */
typedef enum nb_model_kind { NB_MODEL_MLP = 0, NB_MODEL_CNN } nb_model_kind;
#define NB_MAX_HIDDEN 16
/* The MLP's hidden activation. ReLU is what a zeroed description holds (and
 * what a checkpoint without an "activation" entry means); the CNN's is ReLU. */
typedef enum nb_activation { NB_ACT_RELU = 0, NB_ACT_TANH, NB_ACT_SIGMOID } nb_activation;
#define NB_ACT_COUNT 3

typedef struct nb_model_desc {
    nb_model_kind kind;
    int nhidden;                   /* MLP: hidden layer sizes, each >= 1 */
    int64_t hidden[NB_MAX_HIDDEN];
    int channels, height, width;   /* the input: 1 x 28 x 28 */
    int classes;                   /* 10 */
    nb_activation activation;      /* MLP: after each hidden layer (ReLU) */
} nb_model_desc;

nb_model_desc nb_mlp_desc(int nhidden, const int64_t *hidden);
nb_model_desc nb_cnn_desc(void);
/* Checks sizes; the message names the bad one. */
nb_status nb_model_desc_validate(const nb_model_desc *d);
nb_status nb_model_kind_parse(const char *name, nb_model_kind *kind); /* "mlp", "cnn" */
const char *nb_model_kind_name(nb_model_kind kind);
nb_status nb_activation_parse(const char *name, nb_activation *act); /* "relu", "tanh", "sigmoid" */
const char *nb_activation_name(nb_activation act);
/* "mlp 784-256-256-10" (" tanh" or " sigmoid" after it for those) or
 * "cnn 1x28x28-16c3-p2-32c3-p2-10"; returns buf. */
const char *nb_model_desc_str(const nb_model_desc *d, char *buf, size_t n);
bool nb_model_desc_equal(const nb_model_desc *a, const nb_model_desc *b);
/* How many parameters the model holds, without building it; -1 (and the
 * error) for a description that nb_model_desc_validate refuses. */
int64_t nb_model_desc_numel(const nb_model_desc *d);

typedef struct nb_model {
    nb_model_desc desc;
    nb_params *params;
    int nlayers;                         /* MLP: nhidden + 1 linear; CNN: 2 conv + 1 linear */
    nb_tensor *w[NB_MAX_HIDDEN + 1], *b[NB_MAX_HIDDEN + 1];
} nb_model;

/* A model of dtype dt initialised from rng (NULL: all zeros, to be loaded). */
nb_model *nb_model_new(const nb_model_desc *d, nb_dtype dt, nb_rng *rng);
void nb_model_free(nb_model *m);
/* The same model reading m's weights, with gradients of its own (for a
 * shard of a step); m must outlive it. */
nb_model *nb_model_replica(nb_model *m);
/* Logits (N, classes) for x (N, channels*height*width) or (N, C, H, W). */
nb_tensor *nb_model_forward(nb_ctx *ctx, nb_model *m, nb_tensor *x);
/* The same, and for an MLP each hidden layer's output (after its activation):
 * hidden[i] is (N, desc.hidden[i]), i < desc.nhidden. The CNN has none to
 * give: hidden must be NULL for it. */
nb_tensor *nb_model_forward_hidden(nb_ctx *ctx, nb_model *m, nb_tensor *x, nb_tensor **hidden);

/* ---- training -------------------------------------------------------------- */
typedef enum nb_lr_schedule { NB_LR_CONSTANT = 0, NB_LR_COSINE } nb_lr_schedule;

/* Bounds on a run's sizes, checked wherever they come from (flags, a
 * checkpoint): they keep every product of them (steps x epochs, a batch's
 * buffers) far from overflow. */
#define NB_MAX_BATCH ((int64_t)1 << 20)
#define NB_MAX_EPOCHS ((int64_t)1000000)

/* The training data a run used: its size after --limit, the limit (0: none)
 * and a hash of its labels (nb_dataset_hash). */
typedef struct nb_data_id {
    int64_t samples, limit;
    uint64_t labels_hash;
} nb_data_id;

typedef struct nb_train_config {
    int64_t batch;            /* 1..NB_MAX_BATCH */
    int64_t epochs;           /* the planned total (a cosine schedule spans it), 0..NB_MAX_EPOCHS */
    uint64_t seed;            /* the initialisation and every epoch's order */
    nb_optim_config optim;
    nb_lr_schedule schedule;  /* per step */
    int64_t warmup;           /* epochs of linear warm-up from lr/steps to lr, 0..NB_MAX_EPOCHS */
    nb_norm norm;             /* inputs are (p/255 - mean)/std; {0, 1} by default */
    /* 0: one process splits a step its own way (see train.c), and under
     * mpirun -np P the default below. S >= 1: each batch is cut into S fixed
     * shards whose gradients are summed in one fixed tree over the shard
     * index, so that any P dividing S gives the same bits as one process. */
    int shards;
} nb_train_config;
/* The shards a config with shards = 0 takes on P processes: for the MLP 1,
 * for the CNN 2, rounded up to a multiple of P. */
int nb_train_default_shards(nb_model_kind kind, int P);

nb_train_config nb_train_defaults(void); /* batch 128, 5 epochs, seed 0, Adam (torch), constant */
nb_status nb_lr_schedule_parse(const char *name, nb_lr_schedule *s); /* "constant", "cosine" */
const char *nb_lr_schedule_name(nb_lr_schedule s);

typedef struct nb_trainer {
    nb_model *model;
    nb_optim *opt;
    nb_ctx *ctx;
    nb_train_config cfg;
    nb_rng rng;    /* the data order, after the initialisation's draws */
    int64_t epoch; /* epochs done */
    int64_t step;  /* steps done */
    nb_data_id data; /* what it trains on, kept in a checkpoint (zeros: not recorded) */
    /* private: the shards of a step (shard 0 is model itself, in ctx) */
    nb_model *replica;
    nb_ctx *shard_ctx;
    struct nb_shards *shards; /* private: --shards S and the ranks' exchange (nn/shards.c) */
    /* private: the epoch's order and the batch buffers */
    int64_t *perm, perm_n;
    nb_tensor *xb[2]; /* heap tensors: a full batch and the last, shorter one */
    int32_t *yb;
} nb_trainer;

/* A model (f32) initialised from cfg->seed, and its optimizer; NULL on a bad
 * config, the message naming the bad setting. */
nb_trainer *nb_trainer_new(const nb_model_desc *d, const nb_train_config *cfg);
void nb_trainer_free(nb_trainer *t);

typedef struct nb_epoch_stats {
    double loss, acc;       /* mean over the epoch's training samples, as trained */
    double seconds;         /* the training loop only */
    double samples_per_s;
    int64_t samples, steps;
    /* Under mpirun, this rank's gradient exchange (nn/shards.c), summed over
     * the steps: exchange_wait_s, the time a step waited after its backward
     * for the exchange to end (what overlap did not hide); exchange_s, from
     * the first bucket's start to the last one's end. 0 in one process. */
    double exchange_wait_s, exchange_s;
} nb_epoch_stats;

/* Called after each step: the step within the epoch (1-based), the epoch's
 * steps, the running mean loss, seconds since the epoch began. */
typedef void (*nb_progress_fn)(void *user, int64_t step, int64_t nsteps, double loss, double seconds);

/* One epoch over train in a fresh seeded order: per batch, forward, backward,
 * optimizer step, rewind. A NaN or Inf loss stops it with NB_ENUM and a
 * message naming the step; the parameters are then not to be trusted. */
nb_status nb_train_epoch(nb_trainer *t, const nb_dataset *train, nb_epoch_stats *st, nb_progress_fn fn,
                         void *user);
/* The learning rate of global step s (0-based) under cfg and steps_per_epoch. */
double nb_train_lr(const nb_train_config *cfg, int64_t s, int64_t steps_per_epoch);

/* Mean loss and accuracy over ds in batches, with no tape. */
nb_status nb_evaluate(nb_model *m, nb_ctx *ctx, const nb_dataset *ds, const nb_norm *norm, int64_t batch,
                      double *loss, double *acc);

/* ---- checkpoints ----------------------------------------------------------- */
/* Writes the whole training state atomically (temporary file, fsync, rename). */
nb_status nb_checkpoint_save(const nb_trainer *t, const char *path);
/* The same file's bytes in one malloc'd buffer (*out, *len bytes; free it):
 * what nb_checkpoint_save writes, for who has no files (a browser). */
nb_status nb_checkpoint_bytes(const nb_trainer *t, unsigned char **out, size_t *len);
/* A trainer in the state the checkpoint holds; NULL (and a message naming the
 * file) when it is missing, corrupt, truncated or not a nabla checkpoint. */
nb_trainer *nb_checkpoint_load(const char *path);

#ifdef __cplusplus
}
#endif
#endif
