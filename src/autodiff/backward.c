/* The reverse pass. The tape is in creation order, which for a define-by-run
 * graph is a topological order: one walk from the newest node back to the
 * oldest, running each node whose output received a gradient, visits every
 * node after all its consumers. No recursion, however deep the graph. */
#include "core/internal.h"
#include "nabla/autodiff.h"

static bool is_leaf(const nb_tensor *t) { return !t->node && t->requires_grad; }

bool nb__ready_by_op(nb_ctx *ctx, nb_tensor *t) {
    if (!ctx->ready || !is_leaf(t) || t->uses != 1) return false;
    t->flags |= NB_TF_READY;
    return true;
}

nb_status nb_ctx_on_grad_ready(nb_ctx *ctx, nb_grad_ready_fn fn, void *user) {
    if (!ctx) return nb_fail(NB_EINVAL, "nb_ctx_on_grad_ready: NULL context");
    ctx->ready = fn;
    ctx->ready_user = user;
    return NB_OK;
}

#ifdef NB_DEBUG
#include <stdlib.h>

typedef struct nb_poisoned {
    struct nb_poisoned *next;
    nb_tensor *t;
    int64_t lo, hi;
    _Alignas(8) unsigned char kept[];
} nb_poisoned;

void nb__ready_debug(nb_ctx *ctx, nb_tensor *t, int64_t lo, int64_t hi) {
    ctx->ready(ctx->ready_user, t, lo, hi);
    size_t es = nb_dtype_size(t->dtype), bytes = (size_t)(hi - lo) * es;
    unsigned char *g = (unsigned char *)t->grad->data + (size_t)lo * es;
    nb_poisoned *p = malloc(sizeof *p + bytes);
    if (!p) { /* the check is lost, not the result */
        nb__ctx_fail(ctx, NB_ENOMEM, "backward (debug): out of memory keeping a reported gradient block");
        return;
    }
    p->t = t, p->lo = lo, p->hi = hi;
    memcpy(p->kept, g, bytes);
    memset(g, 0xff, bytes);
    p->next = atomic_load(&ctx->poisoned);
    while (!atomic_compare_exchange_weak(&ctx->poisoned, &p->next, p)) {
    }
}

/* Every reported block still poisoned, then given back its values. */
static nb_status unpoison(nb_ctx *ctx, nb_status st) {
    nb_poisoned *p = atomic_exchange(&ctx->poisoned, NULL);
    while (p) {
        size_t es = nb_dtype_size(p->t->dtype), bytes = (size_t)(p->hi - p->lo) * es;
        unsigned char *g = (unsigned char *)p->t->grad->data + (size_t)p->lo * es;
        for (size_t i = 0; i < bytes && !st; i++)
            if (g[i] != 0xff)
                st = nb_fail(NB_ESTATE, "backward (debug): element %lld of a leaf's gradient was written after the "
                             "ready hook had it", (long long)(p->lo + (int64_t)(i / es)));
        memcpy(g, p->kept, bytes);
        nb_poisoned *next = p->next;
        free(p);
        p = next;
    }
    return st;
}
#endif

static nb_status walk(nb_ctx *ctx, nb_tensor *out, const nb_tensor *upstream, bool retain, const char *fn);

static nb_status run_backward(nb_ctx *ctx, nb_tensor *out, const nb_tensor *upstream, bool retain,
                              const char *fn) {
    nb_status st = walk(ctx, out, upstream, retain, fn);
#ifdef NB_DEBUG
    if (ctx) st = unpoison(ctx, st);
#endif
    return st;
}

static nb_status walk(nb_ctx *ctx, nb_tensor *out, const nb_tensor *upstream, bool retain, const char *fn) {
    if (!out && nb_errcode() != NB_OK) return nb_errcode(); /* an op before failed: keep its message */
    if (!ctx || !out) return nb_fail(NB_EINVAL, "%s: NULL %s", fn, ctx ? "tensor" : "context");
    nb_status st = nb__ctx_check(ctx);
    if (st) return st; /* a failure in ctx stands until nb_ctx_reset */
    if (!out->requires_grad) return nb_fail(NB_EINVAL, "%s: the output does not depend on any tensor that requires grad", fn);
    if (out->ctx != ctx) return nb_fail(NB_EINVAL, "%s: the output was not made in this context", fn);
    if (upstream && (!nb_shape_equal(out, upstream) || upstream->dtype != out->dtype)) {
        char a[96], b[96];
        return nb_fail(NB_ESHAPE, "%s: upstream gradient %s %s does not match the output %s %s", fn,
                       nb_dtype_name(upstream->dtype), nb_shape_str(upstream, a, sizeof a),
                       nb_dtype_name(out->dtype), nb_shape_str(out, b, sizeof b));
    }
    if (!out->node) { /* a leaf: its gradient is the upstream itself, accumulated */
        void *lg = nb__grad(ctx, out);
        if (!lg) return nb_errcode();
        NB_DISPATCH(out->dtype, T, {
            T *d = lg;
            const T *u = upstream ? upstream->data : NULL;
            for (int64_t i = 0; i < out->numel; i++) d[i] += u ? u[i] : 1;
        });
        return NB_OK;
    }
    /* A graph is walked once (unless retained): its saved buffers may be
     * consumed. A new graph in the same context gets its own walk; only a
     * node that an earlier walk spent is an error. Nodes are in topological
     * order, so one pass marks what out depends on. */
    for (nb_node *n = ctx->tape; n; n = n->prev) n->reached = n == out->node;
    for (nb_node *n = out->node; n; n = n->prev) {
        if (!n->reached) continue;
        if (n->walked)
            return nb_fail(NB_ESTATE, "%s: this graph was already walked by a backward (%s) and its buffers freed; "
                           "build it again, or walk it twice with nb_vjp(..., retain = true)", fn, n->op->name);
        for (int i = 0; i < n->nin; i++)
            if (n->in[i]->node) n->in[i]->node->reached = true;
    }
    /* Intermediate gradients are per walk; only leaves accumulate. With a
     * ready hook, each leaf counts the ops still to pass it. */
    for (nb_node *n = ctx->tape; n; n = n->prev) {
        n->out->grad = NULL;
        for (int i = 0; ctx->ready && i < n->nin; i++)
            if (is_leaf(n->in[i])) n->in[i]->uses = 0, n->in[i]->flags &= ~(uint32_t)NB_TF_READY;
    }
    for (nb_node *n = ctx->tape; ctx->ready && n; n = n->prev)
        for (int i = 0; i < n->nin; i++)
            if (is_leaf(n->in[i])) n->in[i]->uses++;
    void *g = nb__grad(ctx, out);
    if (!g) return nb_errcode();
    size_t bytes = (size_t)out->numel * nb_dtype_size(out->dtype);
    if (upstream) memcpy(g, upstream->data, bytes);
    else NB_DISPATCH(out->dtype, T, {
            T *d = g;
            for (int64_t i = 0; i < out->numel; i++) d[i] = 1;
        });
    for (nb_node *n = out->node; n; n = n->prev) {
        if (n->out->grad) { /* else not on a path from out */
            n->op->backward(n);
            if (!retain) n->walked = true;
        }
        if ((st = nb__ctx_check(ctx))) return st; /* an allocation or a worker failed: no gradient is trusted */
        for (int i = 0; ctx->ready && i < n->nin; i++) {
            nb_tensor *t = n->in[i];
            if (is_leaf(t) && --t->uses == 0 && !(t->flags & NB_TF_READY) && t->grad)
                nb__ready(ctx, t, 0, t->numel);
        }
    }
    return NB_OK;
}

nb_status nb_backward(nb_ctx *ctx, nb_tensor *loss) {
    if (loss && loss->numel != 1) {
        char s[96];
        return nb_fail(NB_ESHAPE, "nb_backward: the loss must be a scalar, got shape %s (use nb_vjp with an upstream gradient)",
                       nb_shape_str(loss, s, sizeof s));
    }
    return run_backward(ctx, loss, NULL, false, "nb_backward");
}

nb_status nb_vjp(nb_ctx *ctx, nb_tensor *out, const nb_tensor *upstream, bool retain) {
    if (!upstream) return nb_fail(NB_EINVAL, "nb_vjp: NULL upstream gradient");
    return run_backward(ctx, out, upstream, retain, "nb_vjp");
}
