/* A context's execution state: thread counts, the work plan, per-thread
 * scratch, and the first-error slot that any of its threads may set. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/internal.h"

static _Atomic int g_threads; /* 0: all cores */

void nb_set_threads(int n) { atomic_store(&g_threads, n > 0 ? n : 0); }

static int threads_for(int n) {
#ifdef _OPENMP
    /* Inside a parallel region (a shard of a training step, say) the caller
     * already has its thread: nested teams would only add overhead. */
    if (omp_in_parallel()) return 1;
    if (n <= 0) n = atomic_load(&g_threads);
    if (n <= 0) n = omp_get_num_procs();
    return n < NB_MAX_THREADS ? n : NB_MAX_THREADS;
#else
    (void)n;
    return 1;
#endif
}

int nb_get_threads(void) { return threads_for(0); }

nb_status nb_ctx_set_threads(nb_ctx *ctx, int n) {
    if (!ctx) return nb_fail(NB_EINVAL, "nb_ctx_set_threads: NULL context");
    ctx->threads = n > 0 ? n : 0;
    return NB_OK;
}

int nb_ctx_threads(const nb_ctx *ctx) { return threads_for(ctx ? ctx->threads : 0); }

nb_status nb_ctx_set_plan(nb_ctx *ctx, nb_plan plan) {
    if (!ctx) return nb_fail(NB_EINVAL, "nb_ctx_set_plan: NULL context");
    if (plan != NB_PLAN_AUTO && plan != NB_PLAN_WEIGHT_ROWS)
        return nb_fail(NB_EINVAL, "nb_ctx_set_plan: unknown plan %d", (int)plan);
    ctx->plan = plan;
    return NB_OK;
}

int nb__thread_index(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

void *nb__scratch_get(nb__scratch *s, int which, size_t bytes) {
    if (bytes == 0) bytes = 64;
    if (s->cap[which] < bytes) {
        if (bytes > SIZE_MAX - 63) return NULL;
        size_t cap = (bytes + 63) / 64 * 64; /* aligned_alloc needs a multiple of the alignment */
        void *p = aligned_alloc(64, cap);
        if (!p) return NULL;
        free(s->p[which]);
        s->p[which] = p;
        s->cap[which] = cap;
    }
    return s->p[which];
}

void nb__scratch_free(nb__scratch *s, int n) {
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            free(s[i].p[k]);
            s[i].p[k] = NULL;
            s[i].cap[k] = 0;
        }
}

nb_status nb__ctx_fail(nb_ctx *ctx, nb_status code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx) {
        int none = NB_OK;
        /* claim the slot (-1), write the message, then publish the code */
        if (atomic_compare_exchange_strong(&ctx->err, &none, -1)) {
            memcpy(ctx->errmsg, msg, sizeof msg);
            atomic_store_explicit(&ctx->err, (int)code, memory_order_release);
        }
    }
    return nb_fail(code, "%s", msg);
}

nb_status nb_ctx_status(const nb_ctx *ctx) {
    if (!ctx) return NB_OK;
    int e = atomic_load_explicit(&((nb_ctx *)ctx)->err, memory_order_acquire);
    return e < 0 ? NB_ESTATE : (nb_status)e;
}

nb_status nb__ctx_check(nb_ctx *ctx) {
    if (!ctx) return NB_OK;
    int e = atomic_load_explicit(&ctx->err, memory_order_acquire);
    if (e == NB_OK) return NB_OK;
    if (e < 0) return nb_fail(NB_ESTATE, "a worker thread is still reporting an error"); /* not after a join */
    return nb_fail((nb_status)e, "%s", ctx->errmsg);
}
