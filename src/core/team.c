/* A team of existing threads, on C11 atomics (see team.h). */
#ifdef __linux__
#define _DEFAULT_SOURCE /* syscall */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "core/team.h"

#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <time.h>

#include "core/internal.h"

void nb__relax(unsigned *round) {
    if (++*round < 4096) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else
        sched_yield();
}

double nb__mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A window's length, and how long a solo period lasts (s): the first time,
 * and at most. A window spans many scheduler ticks, so that one member
 * descheduled for a few milliseconds (a daemon, the hypervisor) does not
 * count as a lost core: judged over 32 jobs of 40 us, such a hiccup sent a
 * quiet machine's MLP solo for a third of its epochs. */
#define PACE_WINDOW_S 0.02
#define PACE_SOLO_S 0.5
#define PACE_SOLO_MAX_S 8.0

bool nb__pace_solo(nb_pace *p, double now) {
    if (p->solo_until == 0) return false;
    if (now < p->solo_until) return true;
    p->solo_until = 0, p->tried = true;
    p->own = p->wait = 0;
    return false;
}

/* A window that is lost right after a solo period doubles the next period;
 * one that is won resets it. That trial ends as soon as it waited longer
 * than it worked by 2 ms: the core was lost a moment ago, and a trial lost
 * over its whole 20 ms, each 0.5-8 s, cost the leader 4% of its time. */
bool nb__pace_note(nb_pace *p, double own, double wait) {
    p->own += own, p->wait += wait;
    bool lost = p->wait > p->own;
    if (p->own + p->wait < PACE_WINDOW_S && !(p->tried && lost && p->wait > 2e-3)) return false;
    if (lost) {
        double s = p->tried && p->solo_s > 0 ? 2 * p->solo_s : PACE_SOLO_S;
        p->solo_s = s < PACE_SOLO_MAX_S ? s : PACE_SOLO_MAX_S;
        p->solo_until = nb__mono_s() + p->solo_s;
    }
    p->tried = false;
    p->own = p->wait = 0;
    return lost;
}

/* While the leader runs solo its members sleep: a member that yields in a
 * loop still takes a third of two cores shared with another busy process.
 * Going to sleep and waking cost a system call each, once per solo period. */
static void sleep_while_solo(_Atomic int *solo) {
#ifdef __linux__
    syscall(SYS_futex, solo, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0); /* returns at once unless *solo is 1 */
#else
    (void)solo;
    sched_yield();
#endif
}

static void set_solo(nb_team *tm, int on) {
    atomic_store_explicit(&tm->solo, on, memory_order_release);
#ifdef __linux__
    if (!on) syscall(SYS_futex, &tm->solo, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#endif
}

void nb__team_lead(nb_team *tm, int n) {
    tm->n = n;
    tm->fn = NULL;
    tm->arg = NULL;
    tm->adaptive = false;
    tm->pace = (nb_pace){0}, tm->home = NULL;
    tm->solo_jobs = 0;
    atomic_store(&tm->solo, 0);
    atomic_store(&tm->busy, 0);
}

void nb__ctx_lead(nb_ctx *ctx, nb_team *tm) {
    if (ctx) ctx->team = tm;
}

nb_pace *nb__ctx_pace(nb_ctx *ctx) { return ctx ? &ctx->pace : NULL; }

nb_team *nb__ctx_team(const nb_ctx *ctx) { return ctx ? ctx->team : NULL; }

/* Publishes fn and waits for the members; fn == NULL releases them. */
static void post(nb_team *tm, nb_team_fn fn, void *arg) {
    tm->fn = fn;
    tm->arg = arg;
    atomic_store_explicit(&tm->busy, tm->n - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&tm->job, 1, memory_order_release);
}

/* Whether an adaptive team runs solo now (a solo period just out wakes the
 * members to try the team again). */
static bool solo_now(nb_team *tm, double now) {
    bool was = tm->pace.solo_until != 0, solo = nb__pace_solo(&tm->pace, now);
    if (was && !solo) set_solo(tm, 0);
    return solo;
}

int nb__team_size(nb_team *tm) {
    if (!tm) return 1;
    return tm->n > 1 && tm->adaptive && solo_now(tm, nb__mono_s()) ? 1 : tm->n;
}

void nb__team_run(nb_team *tm, nb_team_fn fn, void *arg) {
    if (tm->n < 2) {
        fn(arg, 0, 1);
        return;
    }
    const double t0 = tm->adaptive ? nb__mono_s() : 0;
    if (tm->adaptive && solo_now(tm, t0)) { /* the whole job here, as one member */
        fn(arg, 0, 1);
        tm->solo_jobs++;
        return;
    }
    post(tm, fn, arg);
    fn(arg, 0, tm->n);
    const double t1 = tm->adaptive ? nb__mono_s() : 0;
    unsigned round = 0;
    while (atomic_load_explicit(&tm->busy, memory_order_acquire) > 0) nb__relax(&round);
    if (!tm->adaptive) return;
    if (nb__pace_note(&tm->pace, t1 - t0, nb__mono_s() - t1)) set_solo(tm, 1);
}

void nb__team_adapt(nb_team *tm, nb_pace *home) {
    tm->adaptive = true, tm->home = home;
    if (home) tm->pace = *home;
    if (tm->n > 1 && nb__pace_solo(&tm->pace, nb__mono_s())) set_solo(tm, 1);
}

void nb__team_end(nb_team *tm) {
    if (tm->home) *tm->home = tm->pace;
    if (tm->n < 2) return;
    tm->pace.solo_until = 0;
    if (atomic_load_explicit(&tm->solo, memory_order_relaxed)) set_solo(tm, 0); /* wake the members to leave */
    post(tm, NULL, NULL);
}

void nb__team_serve(nb_team *tm, int t) {
    unsigned seen = 0; /* jobs count from 0 (a zeroed team); one posted before we came is seen */
    for (;;) {
        unsigned round = 0, job;
        while ((job = atomic_load_explicit(&tm->job, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&tm->solo, memory_order_acquire))
                sleep_while_solo(&tm->solo), round = 0;
            else
                nb__relax(&round);
        }
        seen = job;
        nb_team_fn fn = tm->fn;
        if (!fn) return;
        fn(tm->arg, t, tm->n);
        atomic_fetch_sub_explicit(&tm->busy, 1, memory_order_release);
    }
}

typedef struct for_job {
    int64_t n, unit;
    void (*fn)(void *arg, int64_t lo, int64_t hi);
    void *arg;
} for_job;

static void for_part(void *arg, int t, int n) {
    for_job *j = arg;
    int64_t units = (j->n + j->unit - 1) / j->unit, lo = units * t / n * j->unit, hi = units * (t + 1) / n * j->unit;
    hi = hi < j->n ? hi : j->n;
    if (lo < hi) j->fn(j->arg, lo, hi);
}

void nb__team_for(nb_ctx *ctx, int64_t n, int64_t unit, bool share, void (*fn)(void *arg, int64_t lo, int64_t hi),
                  void *arg) {
    if (n <= 0) return;
    nb_team *tm = nb__ctx_team(ctx);
    if (!tm || tm->n < 2 || !share) {
        fn(arg, 0, n);
        return;
    }
    for_job j = {n, unit > 0 ? unit : 1, fn, arg};
    nb__team_run(tm, for_part, &j);
}
