/* Optimizers over one flat buffer: the handout's update rules and torch.optim's.
 * Each step is one pass over the contiguous parameters: this file computes
 * the step's scalars and picks a kernel copy (kernels/optim_step.h), written
 * once in kernels/step_tmpl.h for f32 and f64 and each instruction set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/tensor.h"
#include "nabla/optim.h"
#include "kernels/cpu.h"
#include "kernels/optim_step.h"

#define MAX_STATE 3

static void pick_step(nb_optim *o);

/* One step is cut into blocks this long for threads. */
#define NB_OPTIM_BLOCK 16384

struct nb_optim {
    nb_optim_config cfg;
    nb_dtype dt;
    int64_t n;
    int64_t t;
    double lr;
    int nstate;
    const char *names[MAX_STATE];
    void *state[MAX_STATE];
    step_fn step, step_scalar; /* the widest kernel copy for dt on this CPU; the scalar one */
    int64_t lanes;              /* step's vector width: fewer parameters take step_scalar */
    coef k;                     /* this step's scalars, set by nb_optim_step_begin */
    unsigned fl;                /* this step's loop shape (K_* flags) */
};

static const char *kind_names[NB_OPT_COUNT] = {"gd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"};

const char *nb_optim_kind_name(nb_optim_kind kind) {
    return (unsigned)kind < NB_OPT_COUNT ? kind_names[kind] : "unknown";
}

nb_status nb_optim_kind_parse(const char *name, nb_optim_kind *kind) {
    if (!name || !kind) return nb_fail(NB_EINVAL, "optimizer: no name given");
    if (strcmp(name, "sgd") == 0) {
        *kind = NB_OPT_GD;
        return NB_OK;
    }
    for (int i = 0; i < NB_OPT_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *kind = (nb_optim_kind)i;
            return NB_OK;
        }
    return nb_fail(NB_EINVAL, "unknown optimizer '%s' (expected gd, sgd, momentum, nesterov, rmsprop, adagrad, adam or adamw)",
                   name);
}

const char *nb_convention_name(nb_convention conv) {
    return conv == NB_CONV_TORCH ? "torch" : conv == NB_CONV_HANDOUT ? "handout" : "unknown";
}

nb_status nb_convention_parse(const char *name, nb_convention *conv) {
    if (!name || !conv) return nb_fail(NB_EINVAL, "convention: no name given");
    if (strcmp(name, "handout") == 0) *conv = NB_CONV_HANDOUT;
    else if (strcmp(name, "torch") == 0) *conv = NB_CONV_TORCH;
    else return nb_fail(NB_EINVAL, "unknown convention '%s' (expected handout or torch)", name);
    return NB_OK;
}

nb_optim_config nb_optim_defaults(nb_optim_kind kind, nb_convention conv) {
    nb_optim_config c = {0};
    c.kind = kind;
    c.convention = conv;
    c.beta1 = 0.9, c.beta2 = 0.999, c.eps = 1e-8;
    if (conv == NB_CONV_TORCH) {
        c.eps_inside = false;
        c.momentum_first_grad = true;
        switch (kind) {
        case NB_OPT_GD: c.lr = 0.01; break;
        case NB_OPT_MOMENTUM:
        case NB_OPT_NESTEROV: c.lr = 0.01, c.momentum = 0.9; break;
        case NB_OPT_RMSPROP: c.lr = 0.01, c.beta = 0.99; break;
        case NB_OPT_ADAGRAD: c.lr = 0.01, c.beta = 1, c.eps = 1e-10; break;
        case NB_OPT_ADAM: c.lr = 1e-3; break;
        case NB_OPT_ADAMW: c.lr = 1e-3, c.weight_decay = 1e-2, c.decoupled_decay = true; break;
        }
    } else {
        c.eps_inside = true;
        c.momentum_first_grad = false;
        c.lr = 0.01;
        switch (kind) {
        case NB_OPT_MOMENTUM:
        case NB_OPT_NESTEROV: c.momentum = 0.9; break;
        case NB_OPT_RMSPROP: c.beta = 0.9; break;
        case NB_OPT_ADAGRAD: c.beta = 1; break;
        case NB_OPT_ADAMW: c.weight_decay = 1e-2, c.decoupled_decay = true; break;
        default: break;
        }
    }
    return c;
}

/* v in [lo, hi) (or [lo, hi] with closed), finite. */
static bool in_range(double v, double lo, double hi, bool closed) {
    return isfinite(v) && v >= lo && (closed ? v <= hi : v < hi);
}

nb_status nb_optim_validate(const nb_optim_config *c) {
    if (!c) return nb_fail(NB_EINVAL, "optimizer: NULL config");
    if ((unsigned)c->kind >= NB_OPT_COUNT) return nb_fail(NB_EINVAL, "optimizer: unknown kind %d", (int)c->kind);
    if ((unsigned)c->convention > NB_CONV_TORCH)
        return nb_fail(NB_EINVAL, "optimizer: unknown convention %d", (int)c->convention);
    const char *k = nb_optim_kind_name(c->kind);
    if (!(isfinite(c->lr) && c->lr > 0)) return nb_fail(NB_EINVAL, "%s: lr must be > 0 and finite, got %g", k, c->lr);
    if (!in_range(c->weight_decay, 0, INFINITY, false))
        return nb_fail(NB_EINVAL, "%s: weight decay must be >= 0 and finite, got %g", k, c->weight_decay);
    if (!in_range(c->eps, 0, INFINITY, false)) return nb_fail(NB_EINVAL, "%s: eps must be >= 0 and finite, got %g", k, c->eps);
    switch (c->kind) {
    case NB_OPT_GD: break;
    case NB_OPT_MOMENTUM:
    case NB_OPT_NESTEROV:
        if (!in_range(c->momentum, 0, 1, false))
            return nb_fail(NB_EINVAL, "%s: momentum must be in [0, 1), got %g", k, c->momentum);
        if (!in_range(c->dampening, 0, 1, true))
            return nb_fail(NB_EINVAL, "%s: dampening must be in [0, 1], got %g", k, c->dampening);
        if (c->kind == NB_OPT_NESTEROV && (c->momentum == 0 || c->dampening != 0))
            return nb_fail(NB_EINVAL, "nesterov: needs momentum > 0 and dampening 0, got momentum %g, dampening %g",
                           c->momentum, c->dampening);
        break;
    case NB_OPT_RMSPROP:
        if (!in_range(c->beta, 0, 1, false))
            return nb_fail(NB_EINVAL, "rmsprop: beta (torch's alpha) must be in [0, 1), got %g", c->beta);
        if (!in_range(c->momentum, 0, 1, false))
            return nb_fail(NB_EINVAL, "rmsprop: momentum must be in [0, 1), got %g", c->momentum);
        if (c->eps == 0)
            return nb_fail(NB_EINVAL, "rmsprop: eps must be > 0 (a zero gradient would divide by sqrt(s) = 0)");
        break;
    case NB_OPT_ADAGRAD:
        if (!(isfinite(c->beta) && c->beta > 0)) return nb_fail(NB_EINVAL, "adagrad: beta must be > 0 and finite, got %g", c->beta);
        if (!in_range(c->lr_decay, 0, INFINITY, false))
            return nb_fail(NB_EINVAL, "adagrad: lr_decay must be >= 0 and finite, got %g", c->lr_decay);
        if (!in_range(c->initial_accumulator, 0, INFINITY, false))
            return nb_fail(NB_EINVAL, "adagrad: initial accumulator must be >= 0 and finite, got %g", c->initial_accumulator);
        if (c->eps == 0 && c->initial_accumulator == 0)
            return nb_fail(NB_EINVAL, "adagrad: eps must be > 0 when the initial accumulator is 0 (a zero gradient would divide by 0)");
        break;
    case NB_OPT_ADAM:
    case NB_OPT_ADAMW:
        if (!in_range(c->beta1, 0, 1, false)) return nb_fail(NB_EINVAL, "%s: beta1 must be in [0, 1), got %g", k, c->beta1);
        if (!in_range(c->beta2, 0, 1, false)) return nb_fail(NB_EINVAL, "%s: beta2 must be in [0, 1), got %g", k, c->beta2);
        if (c->eps == 0) return nb_fail(NB_EINVAL, "%s: eps must be > 0 (a zero gradient would divide by sqrt(v) = 0)", k);
        break;
    }
    return NB_OK;
}

nb_optim *nb_optim_new(const nb_optim_config *cfg, nb_dtype dt, int64_t n) {
    if (nb_optim_validate(cfg) != NB_OK) return NULL;
    if (dt != NB_F32 && dt != NB_F64) {
        nb_fail(NB_EDTYPE, "nb_optim_new: dtype must be f32 or f64");
        return NULL;
    }
    if (n < 0 || (uint64_t)n > SIZE_MAX / 8 / MAX_STATE) {
        nb_fail(NB_EINVAL, "nb_optim_new: bad parameter count %lld", (long long)n);
        return NULL;
    }
    nb_optim *o = calloc(1, sizeof *o);
    if (!o) goto oom;
    o->cfg = *cfg, o->dt = dt, o->n = n, o->lr = cfg->lr;
    pick_step(o);
    switch (cfg->kind) {
    case NB_OPT_GD: break;
    case NB_OPT_MOMENTUM:
    case NB_OPT_NESTEROV: o->names[o->nstate++] = "momentum_buffer"; break;
    case NB_OPT_RMSPROP:
        o->names[o->nstate++] = "square_avg";
        if (cfg->centered) o->names[o->nstate++] = "grad_avg";
        if (cfg->momentum > 0) o->names[o->nstate++] = "momentum_buffer";
        break;
    case NB_OPT_ADAGRAD: o->names[o->nstate++] = "sum"; break;
    case NB_OPT_ADAM:
    case NB_OPT_ADAMW:
        o->names[o->nstate++] = "exp_avg";
        o->names[o->nstate++] = "exp_avg_sq";
        if (cfg->amsgrad) o->names[o->nstate++] = "max_exp_avg_sq";
        break;
    }
    /* Cache-line aligned, as nb_params' buffers are: threads that update
     * neighbouring ranges then never write the same line. */
    size_t es = nb_dtype_size(dt), bytes = ((size_t)(n > 0 ? n : 1) * es + 63) / 64 * 64;
    for (int i = 0; i < o->nstate; i++) {
        if (!(o->state[i] = aligned_alloc(64, bytes))) goto oom;
        memset(o->state[i], 0, bytes);
    }
    if (cfg->kind == NB_OPT_ADAGRAD && cfg->initial_accumulator != 0) {
        for (int64_t i = 0; i < n; i++) {
            if (dt == NB_F64) ((double *)o->state[0])[i] = cfg->initial_accumulator;
            else ((float *)o->state[0])[i] = (float)cfg->initial_accumulator;
        }
    }
    return o;
oom:
    nb_optim_free(o);
    nb_fail(NB_ENOMEM, "nb_optim_new: out of memory for %lld parameters", (long long)n);
    return NULL;
}

nb_optim *nb_optim_new_params(const nb_optim_config *cfg, const nb_params *p) {
    if (!p) {
        nb_fail(NB_EINVAL, "nb_optim_new_params: NULL params");
        return NULL;
    }
    return nb_optim_new(cfg, nb_params_dtype(p), nb_params_numel(p));
}

void nb_optim_free(nb_optim *o) {
    if (!o) return;
    for (int i = 0; i < MAX_STATE; i++) free(o->state[i]);
    free(o);
}


/* The widest copy this CPU runs. */
static void pick_step(nb_optim *o) {
    bool f64 = o->dt == NB_F64;
    o->step = o->step_scalar = f64 ? nb__optim_step_f64_scalar : nb__optim_step_f32_scalar;
    o->lanes = 1;
#if NB_X86_64
    nb_cpu_features cpu = nb__cpu();
    if (cpu.avx512) o->step = f64 ? nb__optim_step_f64_avx512 : nb__optim_step_f32_avx512, o->lanes = f64 ? 8 : 16;
    else if (cpu.sse2) o->step = f64 ? nb__optim_step_f64_sse : nb__optim_step_f32_sse, o->lanes = f64 ? 2 : 4;
#endif
}

nb_status nb_optim_step_begin(nb_optim *o) {
    if (!o) return nb_fail(NB_EINVAL, "nb_optim_step_begin: NULL optimizer");
    const nb_optim_config *c = &o->cfg;
    int64_t t = ++o->t;
    double lr = o->lr;
    coef k = {0};
    k.sign = c->maximize ? -1 : 1;
    k.wd = c->decoupled_decay ? 0 : c->weight_decay;
    k.keep = c->decoupled_decay ? 1 - lr * c->weight_decay : 1;
    k.nlr = -lr;
    k.m = c->momentum, k.damp1 = 1 - c->dampening;
    k.b = c->beta, k.omb = 1 - c->beta;
    k.b1 = c->beta1, k.omb1 = 1 - c->beta1, k.b2 = c->beta2, k.omb2 = 1 - c->beta2;
    k.bc2 = k.bc2s = 1;
    k.eps = c->eps;
    if (c->kind == NB_OPT_ADAGRAD) k.nlr = -(lr / (1 + (double)(t - 1) * c->lr_decay));
    if (c->kind == NB_OPT_ADAM || c->kind == NB_OPT_ADAMW) {
        k.nlr = -(lr / (1 - pow(c->beta1, (double)t)));
        k.bc2 = 1 - pow(c->beta2, (double)t);
        k.bc2s = sqrt(k.bc2);
    }
    o->k = k;
    o->fl = (c->eps_inside ? K_INSIDE : 0) | (c->momentum_first_grad && t == 1 ? K_FIRST : 0) |
            (c->kind == NB_OPT_NESTEROV ? K_NESTEROV : 0) | (c->centered ? K_CENTERED : 0) |
            (c->kind == NB_OPT_RMSPROP && c->momentum > 0 ? K_MOMENTUM : 0) | (c->amsgrad ? K_AMSGRAD : 0) |
            (c->decoupled_decay ? K_DECOUPLED : 0);
    return NB_OK;
}

void nb_optim_step_range(nb_optim *o, void *param, const void *grad, int64_t lo, int64_t hi) {
    if (!o || lo >= hi || lo < 0 || hi > o->n) return;
    /* Every copy gives the same bits; below one vector the scalar one is cheapest. */
    step_fn step = hi - lo < o->lanes ? o->step_scalar : o->step;
    step(o->cfg.kind, o->fl, &o->k, lo, hi, param, grad, o->state[0], o->state[1], o->state[2]);
}

nb_status nb_optim_step(nb_optim *o, void *param, const void *grad) {
    if (!o) return nb_fail(NB_EINVAL, "nb_optim_step: NULL optimizer");
    if (o->n > 0 && (!param || !grad)) return nb_fail(NB_EINVAL, "nb_optim_step: NULL parameter or gradient buffer");
    nb_optim_step_begin(o);
    /* Elementwise, so any split gives the same bits: threads only for big buffers. */
    int64_t n = o->n, nblk = (n + NB_OPTIM_BLOCK - 1) / NB_OPTIM_BLOCK;
    if (nblk <= 4) nb_optim_step_range(o, param, grad, 0, n);
    else {
        int nt = nb_get_threads();
        (void)nt;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
#endif
        for (int64_t b = 0; b < nblk; b++)
            nb_optim_step_range(o, param, grad, b * NB_OPTIM_BLOCK,
                                b * NB_OPTIM_BLOCK + NB_OPTIM_BLOCK < n ? b * NB_OPTIM_BLOCK + NB_OPTIM_BLOCK : n);
    }
    return NB_OK;
}

nb_status nb_optim_step_params(nb_optim *o, nb_params *p) {
    if (!o || !p) return nb_fail(NB_EINVAL, "nb_optim_step_params: NULL argument");
    if (nb_params_dtype(p) != o->dt || nb_params_numel(p) != o->n)
        return nb_fail(NB_EINVAL, "nb_optim_step_params: optimizer is for %lld %s values, params hold %lld %s",
                       (long long)o->n, nb_dtype_name(o->dt), (long long)nb_params_numel(p),
                       nb_dtype_name(nb_params_dtype(p)));
    return nb_optim_step(o, nb_params_data(p), nb_params_grad(p));
}

nb_status nb_optim_zero_grad(const nb_optim *o, void *grad) {
    if (!o || (o->n > 0 && !grad)) return nb_fail(NB_EINVAL, "nb_optim_zero_grad: NULL argument");
    if (o->n > 0) memset(grad, 0, (size_t)o->n * nb_dtype_size(o->dt));
    return NB_OK;
}

const nb_optim_config *nb_optim_get_config(const nb_optim *o) { return o ? &o->cfg : NULL; }
nb_dtype nb_optim_dtype(const nb_optim *o) { return o ? o->dt : NB_F64; }
int64_t nb_optim_numel(const nb_optim *o) { return o ? o->n : 0; }
int64_t nb_optim_state_numel(const nb_optim *o) { return o ? o->n : 0; }
double nb_optim_lr(const nb_optim *o) { return o ? o->lr : 0; }

nb_status nb_optim_set_lr(nb_optim *o, double lr) {
    if (!o) return nb_fail(NB_EINVAL, "nb_optim_set_lr: NULL optimizer");
    if (!(isfinite(lr) && lr > 0)) return nb_fail(NB_EINVAL, "nb_optim_set_lr: lr must be > 0 and finite, got %g", lr);
    o->lr = lr;
    return NB_OK;
}

int nb_optim_state_count(const nb_optim *o) { return o ? o->nstate : 0; }

const char *nb_optim_state_name(const nb_optim *o, int i) {
    return o && i >= 0 && i < o->nstate ? o->names[i] : NULL;
}

void *nb_optim_state_data(nb_optim *o, int i) {
    if (!o || i < 0 || i >= o->nstate) {
        nb_fail(NB_EINVAL, "nb_optim_state_data: no state array %d", i);
        return NULL;
    }
    return o->state[i];
}

int64_t nb_optim_steps(const nb_optim *o) { return o ? o->t : 0; }

nb_status nb_optim_set_steps(nb_optim *o, int64_t t) {
    if (!o) return nb_fail(NB_EINVAL, "nb_optim_set_steps: NULL optimizer");
    if (t < 0) return nb_fail(NB_EINVAL, "nb_optim_set_steps: step count must be >= 0, got %lld", (long long)t);
    o->t = t;
    return NB_OK;
}
