/* Contexts: a growable arena for a step's memory, and the tape.
 *
 * The arena is a list of chunks. When a step outgrows the first chunk a new,
 * larger one is chained on; at the next reset all chunks merge into one big
 * enough for the whole step, so a steady-state step allocates nothing. */
#include <stdlib.h>

#include "core/internal.h"

struct nb_chunk {
    nb_chunk *next;
    size_t size, used;
    _Alignas(64) unsigned char mem[];
};

enum { ARENA_ALIGN = 64, ARENA_MIN_CHUNK = 1 << 20 };

static nb_chunk *chunk_new(size_t size) {
    nb_chunk *c = aligned_alloc(ARENA_ALIGN, (sizeof(nb_chunk) + size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN);
    if (!c) return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

nb_ctx *nb_ctx_new(void) {
    nb_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        nb_fail(NB_ENOMEM, "nb_ctx_new: out of memory");
        return NULL;
    }
    ctx->grad_enabled = true;
    return ctx;
}

static void free_chunks(nb_chunk *c) {
    while (c) {
        nb_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void nb_ctx_free(nb_ctx *ctx) {
    if (!ctx) return;
    free_chunks(ctx->chunks);
    nb__scratch_free(ctx->scratch, NB_MAX_THREADS);
    free(ctx);
}

void nb_ctx_reset(nb_ctx *ctx) {
    if (!ctx) return;
    if (ctx->chunks && ctx->chunks->next) {
        size_t total = ctx->total;
        free_chunks(ctx->chunks);
        ctx->chunks = chunk_new(total);
        ctx->total = ctx->chunks ? total : 0;
    }
    if (ctx->chunks) ctx->chunks->used = 0;
    ctx->used = 0;
    ctx->tape = NULL;
    atomic_store(&ctx->err, NB_OK);
}

bool nb_ctx_set_grad(nb_ctx *ctx, bool enabled) {
    if (!ctx) return false;
    bool old = ctx->grad_enabled;
    ctx->grad_enabled = enabled;
    return old;
}

size_t nb_ctx_bytes(const nb_ctx *ctx) { return ctx ? ctx->total : 0; }
size_t nb_ctx_peak_bytes(const nb_ctx *ctx) { return ctx ? ctx->peak : 0; }

void *nb__alloc(nb_ctx *ctx, size_t bytes, bool zero) {
    size_t need = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (need < bytes) {
        nb_fail(NB_ENOMEM, "arena: %zu bytes is too large", bytes);
        return NULL;
    }
    if (nb__ctx_check(ctx)) return NULL; /* an earlier failure in ctx stands until reset */
    nb_chunk *c = ctx->chunks;
    if (!c || c->size - c->used < need) {
        size_t size = ctx->total < ARENA_MIN_CHUNK ? ARENA_MIN_CHUNK : ctx->total;
        if (size < need) size = need;
        nb_chunk *fresh = chunk_new(size);
        if (!fresh) {
            nb__ctx_fail(ctx, NB_ENOMEM, "arena: out of memory allocating %zu bytes", bytes);
            return NULL;
        }
        fresh->next = c;
        ctx->chunks = c = fresh;
        ctx->total += size;
    }
    void *p = c->mem + c->used;
    c->used += need;
    ctx->used += need;
    if (ctx->used > ctx->peak) ctx->peak = ctx->used;
    if (zero) memset(p, 0, bytes);
    return p;
}

void *nb_ctx_alloc(nb_ctx *ctx, size_t bytes) {
    if (!ctx) {
        nb_fail(NB_EINVAL, "nb_ctx_alloc: NULL context");
        return NULL;
    }
    return nb__alloc(ctx, bytes, false);
}
