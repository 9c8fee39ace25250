/* Internal: a team of threads that already exist (an OpenMP region's), led
 * by one of them, for work split finer than a parallel region can afford.
 *
 * The leader runs the program; the other members wait in nb__team_serve for
 * jobs. nb__team_run hands a job to every member, does its own share and
 * returns once all shares are done: a handful of atomic operations, where
 * forking a region costs a thread wake-up (tens of microseconds in a VM).
 * Waiting members spin briefly, then yield the core, so a team never starves
 * another process sharing the machine.
 *
 * A caller that leads a team for a context's work says so on the context
 * (nb__ctx_lead): its GEMMs and the elementwise parts of its ops are then
 * split across the team. */
#ifndef NABLA_TEAM_H
#define NABLA_TEAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "nabla/tensor.h"

typedef void (*nb_team_fn)(void *arg, int t, int n);

/* A lost core, told from the jobs a leader hands out: in windows of 20 ms,
 * the leader's own share against its wait for the others. A window that
 * waits longer than the leader worked makes the leader run each job alone
 * ("solo") for a while: a member of a team of two that takes more than
 * twice the leader's time for an equal share is slower than the leader
 * doing both shares. (On a quiet machine the wait is 1-9% of the work.)
 * Zero-initialised. */
typedef struct nb_pace {
    double own, wait;  /* this window's seconds */
    bool tried;        /* this window is the first after a solo period */
    double solo_until; /* monotonic seconds; 0: not solo */
    double solo_s;     /* the last solo period (0: none yet): doubles while the core stays lost */
} nb_pace;

double nb__mono_s(void);
/* Whether jobs run solo now; 0 when a solo period has just run out (the
 * next window is a trial). */
bool nb__pace_solo(nb_pace *p, double now);
/* One job's own and waiting seconds; true when they start a solo period. */
bool nb__pace_note(nb_pace *p, double own, double wait);

typedef struct nb_team {
    int n;                /* members, the leader included */
    _Atomic unsigned job; /* bumped for each job */
    _Atomic int busy;     /* members still on the current job */
    nb_team_fn fn;        /* the job; NULL tells the members to leave */
    void *arg;
    /* adaptive: the leader paces the team, and while it runs solo
     * (fn(arg, 0, 1)) its members sleep. A caller that sets it promises
     * that its jobs give the same result for any member count, or that it
     * asked nb__team_size first (as the GEMM's K cut does). */
    bool adaptive;
    nb_pace pace;
    nb_pace *home;        /* where the pace came from and goes back to, or NULL */
    _Atomic int solo;     /* 1 while solo: the members sleep on it */
    long solo_jobs;       /* jobs run solo (for tests and benchmarks) */
} nb_team;

/* One round of waiting: a pause at first, later a yield of the core. */
void nb__relax(unsigned *round);

/* The leader (member 0): starts leading tm, of n members. tm is zeroed
 * before any member serves it. */
void nb__team_lead(nb_team *tm, int n);
/* The leader: makes tm adaptive, paced from *home, which nb__team_end
 * updates (a core lost in one epoch's team is still lost in the next). */
void nb__team_adapt(nb_team *tm, nb_pace *home);
/* fn(arg, t, n) on every member t (or fn(arg, 0, 1) on the leader while it
 * runs solo); returns when all have finished. */
void nb__team_run(nb_team *tm, nb_team_fn fn, void *arg);
/* The members a job would have now: 1 while an adaptive team runs solo. */
int nb__team_size(nb_team *tm);
/* The leader: lets the members go, and stops leading. */
void nb__team_end(nb_team *tm);
/* Members 1..n-1: run the leader's jobs until nb__team_end. */
void nb__team_serve(nb_team *tm, int t);
/* ctx's work goes to tm (NULL: back to ctx's own threads). */
void nb__ctx_lead(nb_ctx *ctx, nb_team *tm);
/* ctx's pace (its own parallel regions'; a team's that it lends it). */
nb_pace *nb__ctx_pace(nb_ctx *ctx);
/* The team ctx's work goes to, or NULL. */
nb_team *nb__ctx_team(const nb_ctx *ctx);

/* fn(arg, lo, hi) over a cut of [0, n) into runs of whole units, one run per
 * member of ctx's team (all of [0, n) on this thread when it has none, or
 * when share is false: work too small to hand out). Returns when every run
 * is done. */
void nb__team_for(nb_ctx *ctx, int64_t n, int64_t unit, bool share, void (*fn)(void *arg, int64_t lo, int64_t hi),
                  void *arg);

#endif
