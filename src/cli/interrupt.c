/* SIGINT and SIGTERM during a long command: the write in progress is
 * finished, temporary files are removed, and the command exits with one line
 * and 128 + the signal (130 for SIGINT, 143 for SIGTERM). Outside a write
 * that happens at once, from the handler; during one, when it is done. A
 * second signal stops at once, removing the unfinished temporary file. Under
 * mpirun only rank 0 says it. */
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static volatile sig_atomic_t pending, writing;
static char head[64], tail[768];
static size_t head_len;
static int tty, silent;
static volatile size_t tail_len;
/* One line, whoever says it. timeout(1) and a shell's job control pass a
 * signal on to the process and to its group, so one kill can arrive twice:
 * the second may reach the handler (on any thread) while the main thread
 * says the first in cli_interrupt_release. The first to take the flag speaks. */
static atomic_flag said = ATOMIC_FLAG_INIT;

static void say(int sig) {
    if (silent) return;
    const char *what = sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)";
    if (tty) (void)!write(2, "\r\033[K", 4); /* over a progress bar */
    (void)!write(2, head, head_len);
    (void)!write(2, what, strlen(what));
    (void)!write(2, tail, tail_len);
    (void)!write(2, "\n", 1);
}

static void on_signal(int sig) {
    if (writing && !pending) {
        pending = sig;
        return;
    }
    if (atomic_flag_test_and_set(&said)) return; /* the main thread is saying it and will exit */
    nb_outfile_remove_all();
    say(pending ? pending : sig);
    if (silent) { /* mpirun stops forwarding output once a rank has gone: let rank 0 speak first */
        struct timespec ts = {0, 300000000};
        nanosleep(&ts, NULL);
    }
    _exit(128 + (pending ? pending : sig));
}

void cli_interrupt_install(const char *cmd) {
    tty = isatty(2);
    /* under mpirun Ctrl-C reaches every rank (as mpirun's SIGTERM): rank 0 speaks for the job */
    silent = nb_dist_rank() > 0;
    head_len = (size_t)snprintf(head, sizeof head, "nabla %s: ", cmd);
    if (head_len >= sizeof head) head_len = sizeof head - 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* a signal held while a file is written must not fail that write (EINTR): the
     * write would print its own error beside the signal's line */
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_interrupt_note(const char *fmt, ...) {
    char buf[sizeof tail];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
    /* the handler may read the note at any moment: keep it from the old text while it changes */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    memcpy(tail, buf, (size_t)n);
    tail_len = (size_t)n;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

void cli_interrupt_hold(void) { writing = 1; }

int cli_interrupt_release(void) {
    writing = 0;
    int sig = pending;
    if (sig) {
        if (atomic_flag_test_and_set(&said))
            for (;;) pause(); /* a second signal's handler is saying it and exiting */
        say(sig);
        return 128 + sig;
    }
    return 0;
}
