/* nabla/optim.h — first-order optimizers over one flat parameter buffer,
 * learning-rate schedules and gradient clipping.
 *
 * An optimizer updates n parameters in place from n gradients, both
 * contiguous (an nb_params' flat buffers, or any array of f32/f64):
 *
 *     nb_optim_config c = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_HANDOUT);
 *     c.lr = 0.05;                                  // every knob settable on its own
 *     nb_optim *o = nb_optim_new(&c, NB_F64, n);    // NULL + nb_errmsg on a bad knob
 *     for (...) { grad_of(theta, g); nb_optim_step(o, theta, g); }
 *     nb_optim_free(o);
 *
 * Two conventions. NB_CONV_HANDOUT, the default, is the handout's (g the
 * gradient, t counting steps from 1, every state starting at 0):
 *
 *     gd        theta <- theta - lr g
 *     momentum  v <- m v + g;  theta <- theta - lr v
 *     nesterov  v <- m v + g;  theta <- theta - lr (g + m v)
 *     rmsprop   s <- beta s + (1 - beta) g^2;  theta <- theta - lr g / sqrt(s + eps)
 *     adagrad   s <- s + beta g^2;             theta <- theta - lr g / sqrt(s + eps)
 *     adam      m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
 *               theta <- theta - lr mhat / sqrt(vhat + eps),
 *               mhat = m / (1 - beta1^t), vhat = v / (1 - beta2^t)
 *     adamw     theta <- theta (1 - lr lambda), then adam's step
 *
 * NB_CONV_TORCH: torch.optim 1.13's formulas and defaults (eps outside the
 * root, RMSprop alpha, Adagrad lr_decay and initial accumulator, SGD's first
 * momentum buffer v1 = g). The convention only picks defaults: each of its
 * differences is a field of nb_optim_config.
 *
 * t counts steps from 1. The state (moment buffers, step count, current lr)
 * is exposed as named flat arrays so a checkpoint can save it and a resumed
 * run continues bit for bit. A step allocates nothing. */
#ifndef NABLA_OPTIM_H
#define NABLA_OPTIM_H

#include "nabla/base.h"
#include "nabla/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nb_optim_kind {
    NB_OPT_GD = 0,   /* also "sgd": theta <- theta - lr g */
    NB_OPT_MOMENTUM, /* heavy ball */
    NB_OPT_NESTEROV,
    NB_OPT_RMSPROP,
    NB_OPT_ADAGRAD,
    NB_OPT_ADAM,
    NB_OPT_ADAMW,
} nb_optim_kind;
#define NB_OPT_COUNT 7

typedef enum nb_convention { NB_CONV_HANDOUT = 0, NB_CONV_TORCH } nb_convention;

typedef struct nb_optim_config {
    nb_optim_kind kind;
    nb_convention convention; /* which defaults these came from; informational */
    double lr;                /* alpha > 0 */
    double momentum;          /* m in [0,1): momentum, nesterov; RMSprop's optional momentum */
    double dampening;         /* tau in [0,1]: v <- m v + (1 - tau) g */
    bool momentum_first_grad; /* v1 = g, ignoring tau (torch); else v0 = 0 (handout) */
    double beta;              /* RMSprop decay in [0,1) (torch's alpha); Adagrad's factor > 0 */
    double beta1, beta2;      /* Adam's, each in [0,1) */
    double eps;               /* >= 0; > 0 wherever a zero gradient would divide by 0 */
    bool eps_inside;          /* sqrt(s + eps) (handout) or sqrt(s) + eps (torch) */
    double lr_decay;          /* Adagrad: lr_t = lr / (1 + (t-1) lr_decay), >= 0 */
    double initial_accumulator; /* Adagrad: s0, >= 0 */
    bool amsgrad;             /* Adam/AdamW: normalise by the running max of v */
    double weight_decay;      /* lambda >= 0 */
    bool decoupled_decay;     /* theta <- theta (1 - lr lambda) before the step (AdamW);
                                 else coupled L2: g <- g + lambda theta */
    bool maximize;            /* ascend: use -g */
    bool centered;            /* RMSprop: divide by sqrt(s - gbar^2) */
} nb_optim_config;

typedef struct nb_optim nb_optim;

/* Defaults per convention. Handout: lr 0.01, momentum 0.9,
 * RMSprop beta 0.9, Adagrad beta 1, beta1 0.9, beta2 0.999, eps 1e-8 inside
 * the root, AdamW lambda 0.01. Torch: torch.optim's defaults (RMSprop lr 0.01
 * alpha 0.99 eps 1e-8; Adagrad lr 0.01 eps 1e-10; Adam lr 1e-3; AdamW lr 1e-3
 * lambda 0.01); SGD has no default lr in torch, so 0.01, and momentum 0.9. */
nb_optim_config nb_optim_defaults(nb_optim_kind kind, nb_convention conv);
/* Checks every knob; the error message names the first bad one. */
nb_status nb_optim_validate(const nb_optim_config *cfg);

/* "gd" (or "sgd"), "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw". */
nb_status nb_optim_kind_parse(const char *name, nb_optim_kind *kind);
const char *nb_optim_kind_name(nb_optim_kind kind);
/* "handout" or "torch". */
nb_status nb_convention_parse(const char *name, nb_convention *conv);
const char *nb_convention_name(nb_convention conv);

/* An optimizer for n parameters of dtype dt, its state zero (Adagrad: s0). */
nb_optim *nb_optim_new(const nb_optim_config *cfg, nb_dtype dt, int64_t n);
/* The same, sized for a model's parameters. */
nb_optim *nb_optim_new_params(const nb_optim_config *cfg, const nb_params *p);
void nb_optim_free(nb_optim *o);

/* One step: t <- t + 1, then param (n values) updated in place from grad. */
nb_status nb_optim_step(nb_optim *o, void *param, const void *grad);
/* One step on a model's flat buffers (dtype and size must match). */
nb_status nb_optim_step_params(nb_optim *o, nb_params *p);
/* One step split across the caller's own threads: nb_optim_step_begin once
 * (it advances t and fixes the step's scalars), then nb_optim_step_range over
 * any partition of [0, n). Elementwise, so every split gives nb_optim_step's
 * bits. */
nb_status nb_optim_step_begin(nb_optim *o);
void nb_optim_step_range(nb_optim *o, void *param, const void *grad, int64_t lo, int64_t hi);
/* Zeroes n gradients; with a flat buffer that is all zero_grad is. */
nb_status nb_optim_zero_grad(const nb_optim *o, void *grad);

const nb_optim_config *nb_optim_get_config(const nb_optim *o);
nb_dtype nb_optim_dtype(const nb_optim *o);
int64_t nb_optim_numel(const nb_optim *o);
/* The learning rate the next step uses (a schedule sets it each epoch/step). */
double nb_optim_lr(const nb_optim *o);
nb_status nb_optim_set_lr(nb_optim *o, double lr);

/* ---- state, for checkpoints ---------------------------------------------------
 * Named flat arrays of numel values of the optimizer's dtype, torch's names:
 * "momentum_buffer" (momentum, nesterov; RMSprop with momentum), "square_avg"
 * and "grad_avg" (RMSprop, the latter when centered), "sum" (Adagrad),
 * "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (Adam/AdamW, the last with
 * amsgrad). Write into nb_optim_state_data to load; set the step count too. */
int nb_optim_state_count(const nb_optim *o);
const char *nb_optim_state_name(const nb_optim *o, int i);
void *nb_optim_state_data(nb_optim *o, int i); /* NULL if i is out of range */
int64_t nb_optim_state_numel(const nb_optim *o);
int64_t nb_optim_steps(const nb_optim *o);      /* t: steps taken */
nb_status nb_optim_set_steps(nb_optim *o, int64_t t);

/* ---- learning-rate schedules: PyTorch's, in closed form ------------------------ */
typedef enum nb_sched_kind {
    NB_SCHED_CONSTANT = 0,
    NB_SCHED_STEP,        /* lr0 gamma^floor(e / step_size)                     (StepLR) */
    NB_SCHED_MULTISTEP,   /* lr0 gamma^(number of milestones <= e)              (MultiStepLR) */
    NB_SCHED_EXPONENTIAL, /* lr0 gamma^e                                        (ExponentialLR) */
    NB_SCHED_LINEAR,      /* lr0 (s + (f - s) min(e, T) / T): linear warm-up    (LinearLR) */
    NB_SCHED_COSINE,      /* eta_min + (lr0 - eta_min)(1 + cos(pi e / T)) / 2   (CosineAnnealingLR) */
} nb_sched_kind;

typedef struct nb_schedule {
    nb_sched_kind kind;
    double gamma;             /* step, multistep, exponential: > 0 */
    int64_t step_size;        /* step: >= 1 */
    const int64_t *milestones; /* multistep: nondecreasing */
    int nmilestones;
    double start_factor, end_factor; /* linear: start in (0,1], end in [0,1] (torch's ranges) */
    int64_t total;            /* linear: T >= 1 iterations; cosine: T_max >= 1 */
    double eta_min;           /* cosine: >= 0 */
} nb_schedule;

/* The learning rate at epoch (or step) e >= 0 from the base rate lr0. */
nb_status nb_schedule_lr(const nb_schedule *s, double lr0, int64_t e, double *lr);

/* ---- gradient clipping: torch.nn.utils' ---------------------------------------- */
/* total = ||g||_p (p = 2, or INFINITY for the max norm); if
 * coef = max_norm / (total + 1e-6) < 1, g <- coef g. total_out may be NULL. */
nb_status nb_clip_grad_norm(nb_dtype dt, int64_t n, void *grad, double max_norm, double p, double *total_out);
/* g <- clamp(g, -clip, clip), clip >= 0. */
nb_status nb_clip_grad_value(nb_dtype dt, int64_t n, void *grad, double clip);

#ifdef __cplusplus
}
#endif
#endif
