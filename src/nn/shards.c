/* A step cut into S fixed shards, on one process or on P MPI ranks.
 *
 * Each batch of b rows is cut into S shards (shard s: rows ceil(b s / S) up
 * to ceil(b (s+1) / S)); each shard's loss is weighted by its share of the
 * batch, so the shards' gradients add up to the batch's. They are added in
 * one fixed tree over the shard index — node (lo, l) is the sum over shards
 * [lo, lo + 2^l), made of (lo, l-1) + (lo + 2^(l-1), l-1), and a node whose
 * right half lies past S is its left half — so the sum's bits depend on S
 * alone, never on which process computed which shard.
 *
 * Rank r of P (P divides S) computes shards [S r/P, S (r+1)/P), one after
 * another, each into its own gradient buffer, and adds them up to the
 * largest whole nodes of the tree that its run of shards holds (for S = 6,
 * P = 3: one node each; for P = 2: two). The flat gradient is cut into
 * buckets (one per parameter) and each bucket into P chunks; rank q owns
 * chunk q, receives every rank's nodes for it, finishes the tree there and
 * sends the sum back to every rank (a reduce-scatter, then an allgather,
 * with the tree's order kept by the owner). Every rank then takes the same
 * optimizer step over the whole buffer.
 *
 * The exchange hides behind the backward pass: the last local shard's
 * backward runs with a ready hook (nb_ctx_on_grad_ready), which adds up a
 * finished gradient block into the rank's nodes at once, and as soon as a
 * whole parameter is in, the main thread starts its bucket with
 * non-blocking sends (and lets MPI progress the others). Only the thread
 * that started MPI calls it; the hook on a team's other threads only adds
 * and counts. What overlap leaves exposed is counted: the time a step waits
 * after its backward (nb_epoch_stats.exchange_wait_s); NABLA_OVERLAP=0
 * starts every bucket after the backward instead, which exposes all of it. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "dist/dist.h"
#include "nabla/autodiff.h"
#include "nn/train_internal.h"

enum { TILE = 512, MAXLV = 12, MAXS = 1 << MAXLV, TAG2 = 16384 };

typedef struct node {
    int lo, hi, lvl; /* shards [lo, hi) = tree node (lo, lvl) */
} node;

struct nb_shards {
    int S, P, R, L, s0, LV; /* shards, ranks, this rank, its shards [s0, s0 + L), the tree's height */
    nb_model **rep;         /* per local shard: the model with its own gradient */
    int nn, *first, kmax;   /* the nodes, rank q's at [first[q], first[q+1]) */
    node *nodes;
    float **val;            /* per node: a flat gradient (only the owned chunks of others' nodes arrive) */
    int nb;                 /* buckets: one per parameter */
    int64_t *blo;           /* bucket i: [blo[i], blo[i+1]) of the flat buffer */
    _Atomic int64_t *done;  /* per bucket: elements added into this rank's nodes */
    unsigned char *state;   /* per bucket: 0 not started, 1 nodes sent, 2 chunk summed and sent */
    int per;                /* request slots per bucket */
    nb__reqs *reqs;
    shard_result *res;      /* per shard (all S) */
    float *model_data, *grad;
    int64_t N;
    nb_status st; /* a gradient block the hook never saw (a broken promise of the autodiff) */
    bool overlap;  /* buckets start from the ready hook (NABLA_OVERLAP=0: after the backward, to measure) */
    double t_first, wait_s, span_s; /* this step's first bucket's start; the epoch's exposed wait and span */
};

int nb_train_default_shards(nb_model_kind kind, int P) {
    int own = kind == NB_MODEL_CNN ? 2 : 1;
    if (P < 1) P = 1;
    return (own + P - 1) / P * P;
}

void nb__shards_free(struct nb_shards *sh) {
    if (!sh) return;
    for (int j = 0; sh->rep && j < sh->L; j++) nb_model_free(sh->rep[j]);
    for (int g = 0; sh->val && g < sh->nn; g++) free(sh->val[g]);
    free(sh->rep), free(sh->val), free(sh->nodes), free(sh->first), free(sh->blo), free(sh->done);
    free(sh->state), free(sh->res);
    nb__reqs_free(sh->reqs);
    free(sh);
}

static int imin(int a, int b) { return a < b ? a : b; }

/* The rank's run of shards [a, b) as the largest whole tree nodes, in order. */
static int decompose(int S, int LV, int a, int b, node *out) {
    int n = 0;
    for (int p = a; p < b;) {
        int l = 0;
        while (l < LV && p % (2 << l) == 0 && imin(p + (2 << l), S) <= b) l++;
        out[n++] = (node){p, imin(p + (1 << l), S), l};
        p = imin(p + (1 << l), S);
    }
    return n;
}

/* ---- the tree, over a tile [i0, i0 + len) of the flat buffer ---- */

typedef const float *(*lookup_fn)(const struct nb_shards *sh, int lo, int hi);

/* a local shard's own gradient */
static const float *leaf_of(const struct nb_shards *sh, int lo, int hi) {
    if (hi != lo + 1 || lo < sh->s0 || lo >= sh->s0 + sh->L) return NULL;
    return nb_params_grad(sh->rep[lo - sh->s0]->params);
}

/* a node some rank sent (or this rank made) */
static const float *node_of(const struct nb_shards *sh, int lo, int hi) {
    for (int g = 0; g < sh->nn; g++)
        if (sh->nodes[g].lo == lo && sh->nodes[g].hi == hi) return sh->val[g];
    return NULL;
}

/* Node (lo, lvl) over the tile: a pointer to it, in out or where it already
 * is. A node's halves go to slots[lvl-1][0] and [1]; their own halves use
 * lower levels only, so a left half's result survives its sibling's work. */
static const float *tree(const struct nb_shards *sh, lookup_fn look, int lo, int lvl, int64_t i0, int len,
                         float *slots, float *out) {
    const float *have = look(sh, lo, imin(lo + (1 << lvl), sh->S));
    if (have) return have + i0;
    if (lvl == 0) return NULL; /* cannot happen: every leaf is somewhere */
    int mid = lo + (1 << (lvl - 1));
    if (mid >= sh->S) return tree(sh, look, lo, lvl - 1, i0, len, slots, out);
    const float *a = tree(sh, look, lo, lvl - 1, i0, len, slots, slots + (size_t)(2 * (lvl - 1)) * TILE);
    const float *c = tree(sh, look, mid, lvl - 1, i0, len, slots, slots + (size_t)(2 * (lvl - 1) + 1) * TILE);
    if (!a || !c) return NULL;
    for (int i = 0; i < len; i++) out[i] = a[i] + c[i];
    return out;
}

/* Node (lo, lvl) over [i0, i1) into dst[i0, i1). */
static nb_status tree_range(const struct nb_shards *sh, lookup_fn look, int lo, int lvl, float *dst, int64_t i0,
                            int64_t i1) {
    float slots[2 * MAXLV * TILE];
    for (int64_t t = i0; t < i1; t += TILE) {
        int len = (int)(i1 - t < TILE ? i1 - t : TILE);
        const float *r = tree(sh, look, lo, lvl, t, len, slots, dst + t);
        if (!r) return nb_fail(NB_ESTATE, "shards: node [%d, %d) of the tree is nowhere", lo, lvl);
        if (r != dst + t) memcpy(dst + t, r, (size_t)len * sizeof *dst);
    }
    return NB_OK;
}

/* ---- setting up ---- */

static nb_status shards_new(nb_trainer *t, int S, struct nb_shards **out) {
    int P = nb_dist_size(), R = nb_dist_rank();
    if (S < 1 || S > MAXS) return nb_fail(NB_EINVAL, "shards %d: must be in 1..%d", S, MAXS);
    if (S % P) return nb_fail(NB_EINVAL, "shards %d: not a multiple of the %d processes", S, P);
    if (S > t->cfg.batch)
        return nb_fail(NB_EINVAL, "shards %d: more than the batch of %lld", S, (long long)t->cfg.batch);
    struct nb_shards *sh = calloc(1, sizeof *sh);
    if (!sh) return nb_fail(NB_ENOMEM, "shards: out of memory");
    *out = sh;
    sh->S = S, sh->P = P, sh->R = R, sh->L = S / P, sh->s0 = S / P * R;
    while ((1 << sh->LV) < S) sh->LV++;
    nb_params *p = t->model->params;
    sh->N = nb_params_numel(p);
    sh->model_data = nb_params_data(p);
    sh->grad = nb_params_grad(p);
    sh->nb = nb_params_count(p);
    sh->rep = calloc((size_t)sh->L, sizeof *sh->rep);
    sh->nodes = calloc((size_t)S, sizeof *sh->nodes);
    sh->first = calloc((size_t)P + 1, sizeof *sh->first);
    sh->blo = calloc((size_t)sh->nb + 1, sizeof *sh->blo);
    sh->done = calloc((size_t)sh->nb, sizeof *sh->done);
    sh->state = calloc((size_t)sh->nb, 1);
    sh->res = calloc((size_t)S, sizeof *sh->res);
    if (!sh->rep || !sh->nodes || !sh->first || !sh->blo || !sh->done || !sh->state || !sh->res)
        return nb_fail(NB_ENOMEM, "shards: out of memory");
    for (int j = 0; j < sh->L; j++)
        if (!(sh->rep[j] = nb_model_replica(t->model))) return nb_errcode();
    for (int q = 0; q < P; q++) {
        sh->first[q] = sh->nn;
        int k = decompose(S, sh->LV, S / P * q, S / P * (q + 1), sh->nodes + sh->nn);
        sh->nn += k;
        if (k > sh->kmax) sh->kmax = k;
    }
    sh->first[P] = sh->nn;
    for (int i = 0; i < sh->nb; i++) sh->blo[i] = (float *)nb_params_tensor(p, i)->data - sh->model_data;
    sh->blo[sh->nb] = sh->N;
    if (P > 1) {
        int K = sh->first[R + 1] - sh->first[R];
        if (sh->nb * sh->kmax >= TAG2 || sh->nb >= NB__TAG_MAX - TAG2)
            return nb_fail(NB_EINVAL, "shards: %d parameters are more than the exchange can tag", sh->nb);
        sh->val = calloc((size_t)sh->nn, sizeof *sh->val);
        if (!sh->val) return nb_fail(NB_ENOMEM, "shards: out of memory");
        for (int g = 0; g < sh->nn; g++)
            if (!(sh->val[g] = calloc((size_t)sh->N, sizeof(float))))
                return nb_fail(NB_ENOMEM, "shards: out of memory for %d gradient nodes", sh->nn);
        const char *ov = getenv("NABLA_OVERLAP");
        sh->overlap = !(ov && strcmp(ov, "0") == 0);
        sh->per = (sh->nn - K) + (P - 1) + (P - 1) * K + (P - 1);
        if (!(sh->reqs = nb__reqs_new(sh->per * sh->nb))) return nb_fail(NB_ENOMEM, "shards: out of memory");
    }
    return NB_OK;
}

/* ---- the exchange ---- */

static int64_t chunk_lo(const struct nb_shards *sh, int b, int q) {
    return sh->blo[b] + (sh->blo[b + 1] - sh->blo[b]) * q / sh->P;
}

/* Slots of bucket b: receives of others' nodes, receives of others' sums,
 * sends of this rank's nodes, sends of its sum. */
static int slot_recv1(const struct nb_shards *sh, int b) { return b * sh->per; }
static int slot_recv2(const struct nb_shards *sh, int b) {
    return slot_recv1(sh, b) + sh->nn - (sh->first[sh->R + 1] - sh->first[sh->R]);
}
static int slot_send1(const struct nb_shards *sh, int b) { return slot_recv2(sh, b) + sh->P - 1; }
static int slot_send2(const struct nb_shards *sh, int b) {
    return slot_send1(sh, b) + (sh->P - 1) * (sh->first[sh->R + 1] - sh->first[sh->R]);
}

static void post_receives(struct nb_shards *sh) {
    int R = sh->R;
    for (int b = 0; b < sh->nb; b++) {
        int64_t c0 = chunk_lo(sh, b, R), c1 = chunk_lo(sh, b, R + 1);
        int i = slot_recv1(sh, b), j = slot_recv2(sh, b);
        for (int q = 0; q < sh->P; q++) {
            if (q == R) continue;
            for (int g = sh->first[q]; g < sh->first[q + 1]; g++)
                nb__irecv(sh->reqs, i++, sh->val[g] + c0, (size_t)(c1 - c0) * sizeof(float), q,
                          b * sh->kmax + (g - sh->first[q]));
            int64_t d0 = chunk_lo(sh, b, q), d1 = chunk_lo(sh, b, q + 1);
            nb__irecv(sh->reqs, j++, sh->grad + d0, (size_t)(d1 - d0) * sizeof(float), q, TAG2 + b);
        }
        sh->state[b] = 0;
        atomic_store_explicit(&sh->done[b], 0, memory_order_relaxed);
    }
}

/* This rank's nodes over [i0, i1), from its shards' gradients, which are then zeroed for the next step. */
static void make_nodes(struct nb_shards *sh, int64_t i0, int64_t i1) {
    for (int g = sh->first[sh->R]; g < sh->first[sh->R + 1]; g++) {
        nb_status s = tree_range(sh, leaf_of, sh->nodes[g].lo, sh->nodes[g].lvl, sh->val[g], i0, i1);
        if (s) sh->st = s;
    }
    for (int j = 0; j < sh->L; j++) memset((float *)nb_params_grad(sh->rep[j]->params) + i0, 0, (size_t)(i1 - i0) * 4);
}

static double now_s(void);

static void send_nodes(struct nb_shards *sh, int b) {
    int i = slot_send1(sh, b);
    if (sh->t_first == 0) sh->t_first = now_s();
    for (int q = 0; q < sh->P; q++) {
        if (q == sh->R) continue;
        int64_t c0 = chunk_lo(sh, b, q), c1 = chunk_lo(sh, b, q + 1);
        for (int g = sh->first[sh->R]; g < sh->first[sh->R + 1]; g++)
            nb__isend(sh->reqs, i++, sh->val[g] + c0, (size_t)(c1 - c0) * sizeof(float), q,
                      b * sh->kmax + (g - sh->first[sh->R]));
    }
    sh->state[b] = 1;
}

/* Every node of this rank's chunk of b is in: the tree's root there, sent to every rank. */
static void sum_chunk(struct nb_shards *sh, int b) {
    int64_t c0 = chunk_lo(sh, b, sh->R), c1 = chunk_lo(sh, b, sh->R + 1);
    nb_status s = tree_range(sh, node_of, 0, sh->LV, sh->grad, c0, c1);
    if (s) sh->st = s;
    int i = slot_send2(sh, b);
    for (int q = 0; q < sh->P; q++)
        if (q != sh->R) nb__isend(sh->reqs, i++, sh->grad + c0, (size_t)(c1 - c0) * sizeof(float), q, TAG2 + b);
    sh->state[b] = 2;
}

/* Starts every bucket whose nodes are all made, and moves the started ones on. */
static void pump(struct nb_shards *sh) {
    for (int b = sh->nb - 1; b >= 0; b--) {
        if (sh->state[b] == 0 &&
            atomic_load_explicit(&sh->done[b], memory_order_acquire) == sh->blo[b + 1] - sh->blo[b])
            send_nodes(sh, b);
        if (sh->state[b] == 1 && nb__test(sh->reqs, slot_recv1(sh, b), slot_recv2(sh, b))) sum_chunk(sh, b);
    }
}

static _Thread_local bool t_main; /* this thread may call MPI */

static void on_ready(void *user, nb_tensor *leaf, int64_t lo, int64_t hi) {
    struct nb_shards *sh = user;
    int64_t off = (float *)leaf->data - sh->model_data;
    make_nodes(sh, off + lo, off + hi);
    int b = 0;
    while (b + 1 < sh->nb && sh->blo[b + 1] <= off) b++;
    atomic_fetch_add_explicit(&sh->done[b], hi - lo, memory_order_release);
    if (t_main) pump(sh);
}

/* After the last local backward: the buckets the hook did not see, then everything to its end. */
static void finish_exchange(struct nb_shards *sh) {
    double t0 = now_s();
    for (int b = 0; b < sh->nb; b++) {
        int64_t d = atomic_load_explicit(&sh->done[b], memory_order_acquire), len = sh->blo[b + 1] - sh->blo[b];
        if (d == 0) make_nodes(sh, sh->blo[b], sh->blo[b + 1]);
        else if (d != len) sh->st = nb_fail(NB_ESTATE, "shards: parameter %d: the ready hook saw part of it", b);
        atomic_store_explicit(&sh->done[b], len, memory_order_relaxed);
    }
    pump(sh);
    for (int b = sh->nb - 1; b >= 0; b--) {
        if (sh->state[b] == 1) {
            nb__wait(sh->reqs, slot_recv1(sh, b), slot_recv2(sh, b));
            sum_chunk(sh, b);
        }
    }
    nb__wait(sh->reqs, 0, sh->per * sh->nb);
    double t1 = now_s();
    sh->wait_s += t1 - t0;
    sh->span_s += t1 - sh->t_first;
    sh->t_first = 0;
}

/* ---- the epoch ---- */

enum { FP_MAX = 256 };

/* Subnormals flushed (train.c says why) on every thread the ops fork onto,
 * as the one-process epoch sets its own threads. The caller sets its own
 * first: LLVM's libomp hands the forking thread's mode to the workers at
 * every fork (and gives the forking thread its mode back at the join);
 * libgomp leaves each of its pool's threads as it was, from one region to the
 * next, so those are set once here. csr[i]: thread i's mode before. */
static void flush_pool(unsigned *csr, int nt) {
    nt = nt < 1 ? 1 : nt > FP_MAX ? FP_MAX : nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
    csr[omp_get_thread_num()] = nb__flush_subnormals();
#else
    csr[0] = nb__flush_subnormals();
#endif
}

static void restore_pool(const unsigned *csr, int nt) {
    nt = nt < 1 ? 1 : nt > FP_MAX ? FP_MAX : nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
    nb__restore_fp(csr[omp_get_thread_num()]);
#else
    nb__restore_fp(csr[0]);
#endif
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int64_t shard_row(int64_t b, int S, int s) { return (b * s + S - 1) / S; }

/* One step's shards on this rank, their gradients summed into the model's. */
static void step_grads(nb_trainer *t, struct nb_shards *sh, const nb_dataset *ds, int64_t k, int64_t b) {
    nb_tensor *x = t->xb[b == t->cfg.batch ? 0 : 1];
    int64_t row = x->numel / x->shape[0], r0 = shard_row(b, sh->S, sh->s0), r1 = shard_row(b, sh->S, sh->s0 + sh->L);
    if (sh->P > 1) post_receives(sh);
    nb_dataset_gather(ds, t->perm, k * t->cfg.batch + r0, r1 - r0, &t->cfg.norm, (float *)x->data + r0 * row,
                      t->yb + r0);
    for (int j = 0; j < sh->L; j++) {
        int s = sh->s0 + j;
        int64_t a = shard_row(b, sh->S, s), e = shard_row(b, sh->S, s + 1);
        memset(&sh->res[s], 0, sizeof sh->res[s]);
        if (a == e) continue;
        bool last = j == sh->L - 1 && sh->P > 1 && sh->overlap;
        if (last) nb_ctx_on_grad_ready(t->ctx, on_ready, sh);
        nb__run_shard(sh->rep[j], t->ctx, x, t->yb, a, e, b, &sh->res[s]);
        if (last) nb_ctx_on_grad_ready(t->ctx, NULL, NULL);
    }
    if (sh->P > 1) {
        finish_exchange(sh);
        nb__allgather_blocks(sh->res, sh->S, sizeof *sh->res);
    } else {
        nb_status s = tree_range(sh, leaf_of, 0, sh->LV, sh->grad, 0, sh->N);
        if (s) sh->st = s;
        for (int j = 0; j < sh->L; j++) nb_params_zero_grad(sh->rep[j]->params);
    }
}

nb_status nb__train_epoch_shards(nb_trainer *t, const nb_dataset *train, nb_epoch_stats *st, nb_progress_fn fn,
                                 void *user) {
    int S = t->cfg.shards > 0 ? t->cfg.shards : nb_train_default_shards(t->model->desc.kind, nb_dist_size());
    nb_status s = nb__check_data(&t->model->desc, train, "training");
    int64_t n = s ? 0 : train->n, B = t->cfg.batch;
    if (!s && t->shards && t->shards->S != S) nb__shards_free(t->shards), t->shards = NULL;
    if (!s && !t->shards && (s = shards_new(t, S, &t->shards))) nb__shards_free(t->shards), t->shards = NULL;
    if (!s && t->perm_n != n) {
        int64_t *p = realloc(t->perm, (size_t)n * sizeof *p);
        if (!p) s = nb_fail(NB_ENOMEM, "nb_train_epoch: out of memory");
        else t->perm = p, t->perm_n = n;
    }
    if (!s && ((n >= B && !nb__batch_tensor(&t->xb[0], &t->model->desc, B)) ||
               (n % B && !nb__batch_tensor(&t->xb[1], &t->model->desc, n % B))))
        s = nb_errcode();
    /* a rank that cannot start stops them all, here, before any exchange */
    if ((s = nb_dist_agree(s))) return s;
    struct nb_shards *sh = t->shards;
    sh->st = NB_OK;
    sh->wait_s = sh->span_s = 0;
    t_main = true;
    int64_t steps = (n + B - 1) / B, opt_t0 = nb_optim_steps(t->opt), done = 0, correct = 0;
    bool scheduled = t->cfg.schedule != NB_LR_CONSTANT || t->cfg.warmup > 0;
    double loss_sum = 0, lv = 0;
    nb_shuffle(&t->rng, t->perm, n);
    nb_params_zero_grad(t->model->params);
    for (int j = 0; j < sh->L; j++) nb_params_zero_grad(sh->rep[j]->params);
    nb_ctx_set_grad(t->ctx, true);
    unsigned fp0 = nb__flush_subnormals(), fp[FP_MAX];
    int nth = nb_ctx_threads(t->ctx);
    flush_pool(fp, nth);
    double t0 = now_s();
    for (int64_t k = 0; k < steps && !s; k++) {
        int64_t b = n - k * B < B ? n - k * B : B;
        s = scheduled ? nb_optim_set_lr(t->opt, nb_train_lr(&t->cfg, t->step, steps)) : NB_OK;
        if (!s) s = nb_optim_step_begin(t->opt);
        if (s) break;
        step_grads(t, sh, train, k, b);
        /* every rank holds every shard's result: all take the same turn */
        lv = 0;
        int64_t c = 0;
        for (int i = 0; i < sh->S; i++) {
            if (!s && sh->res[i].st) s = nb_fail(sh->res[i].st, "step %lld: %s", (long long)t->step + 1, sh->res[i].msg);
            lv += sh->res[i].loss * (double)(shard_row(b, sh->S, i + 1) - shard_row(b, sh->S, i));
            c += sh->res[i].correct;
        }
        lv /= (double)b;
        if (!s && sh->st) s = sh->st;
        if (!s && !isfinite(lv))
            s = nb_fail(NB_ENUM, "step %lld (epoch %lld, batch %lld of %lld): loss is %s", (long long)t->step + 1,
                        (long long)t->epoch + 1, (long long)k + 1, (long long)steps, isnan(lv) ? "NaN" : "Inf");
        if (s) break;
        nb_optim_step_range(t->opt, sh->model_data, sh->grad, 0, sh->N);
        loss_sum += lv * (double)b;
        correct += c;
        done = k + 1;
        t->step++;
        if (fn) fn(user, k + 1, steps, loss_sum / (double)(k * B + b), now_s() - t0);
    }
    double seconds = now_s() - t0;
    restore_pool(fp, nth);
    nb__restore_fp(fp0);
    t_main = false;
    if (s) { /* nothing of the failing step is kept */
        nb_optim_set_steps(t->opt, opt_t0 + done);
        nb_params_zero_grad(t->model->params);
        for (int j = 0; j < sh->L; j++) nb_params_zero_grad(sh->rep[j]->params);
        return s;
    }
    t->epoch++;
    if (st) {
        st->seconds = seconds;
        st->samples = n;
        st->steps = steps;
        st->loss = loss_sum / (double)n;
        st->acc = (double)correct / (double)n;
        st->samples_per_s = seconds > 0 ? (double)n / seconds : 0;
        st->exchange_wait_s = sh->wait_s;
        st->exchange_s = sh->span_s;
    }
    return NB_OK;
}
