/* The command line's shared parts: an option table, its parser, and errors.
 *
 * Every subcommand declares its options as a table and calls cli_parse, so
 * all of them accept `--name VALUE` and `--name=VALUE` (negative numbers
 * included), print the same --help, and reject unknown flags, missing values,
 * junk after numbers and non-finite numbers with one line and status 2. */
#ifndef NABLA_CLI_H
#define NABLA_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "nabla.h"

typedef enum cli_kind {
    CLI_FLAG,    /* bool *           --verbose                      */
    CLI_INT,     /* long *           --steps 100                    */
    CLI_DOUBLE,  /* double *         --lr 0.1     (finite only)     */
    CLI_STR,     /* const char **    --csv out.csv                  */
    CLI_DOUBLES, /* cli_list *       --lambda 0.1,1,10              */
    CLI_INTS,    /* cli_list *       --hidden 256,256 (whole values) */
} cli_kind;

#define CLI_LIST_MAX 64
typedef struct cli_list {
    double v[CLI_LIST_MAX];
    int n;
} cli_list;

typedef struct cli_opt {
    const char *name; /* without the dashes */
    cli_kind kind;
    void *dst;
    const char *metavar; /* "A" in "--lr A"; NULL for flags */
    const char *help;
    bool seen;           /* set by cli_parse */
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *usage;   /* the line after "usage: nabla NAME " */
    const char *summary; /* one paragraph */
} cli_cmd;

enum { CLI_OK = 0, CLI_HELP = 1, CLI_ERR = 2 };

/* Parses argv[1..argc) (argv[0] is the subcommand). Returns CLI_OK, CLI_HELP
 * (help was printed: exit 0) or CLI_ERR (the error was printed: exit 2). */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_opt *opts, int nopts);
/* Prints "nabla CMD: message" on stderr, one line; returns CLI_ERR (2). */
int cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Under mpirun (cli_keep set by main), cli_error keeps its first line in
 * cli_kept instead of printing it: the ranks agree on one line, printed once. */
extern char cli_kept[512];
extern bool cli_keep;
/* Reports the library's last error (nb_errmsg) for cmd; returns CLI_ERR. */
int cli_lib_error(const char *cmd);
/* Finds an option by name in a table (NULL if none). */
cli_opt *cli_find(cli_opt *opts, int nopts, const char *name);

/* A file a command names: its flag ("csv", without dashes) and path (NULL
 * when not given). */
typedef struct cli_file {
    const char *flag;
    const char *path;
    const char *may_replace; /* an output: the flag of an input it may replace (train's --save over --resume) */
} cli_file;
/* Exit 2 (one line) before anything is written if two outputs are one file,
 * or an output is one of the inputs; identity is device and inode (links
 * followed), or for a file not there yet its resolved directory and name. */
int cli_check_files(const char *cmd, const cli_file *outs, int nouts, const cli_file *ins, int nins);

/* SIGINT and SIGTERM (see interrupt.c): after install, a signal ends the
 * command at once with one line, "nabla CMD: interrupted (SIGINT)" and the
 * last note, and status 130 (SIGINT) or 143 (SIGTERM); between hold and
 * release (a write) it waits for release, which then prints the line and
 * returns that status (0: no signal came). */
void cli_interrupt_install(const char *cmd);
void cli_interrupt_note(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
void cli_interrupt_hold(void);
int cli_interrupt_release(void);

/* A progress line on stderr, only when stderr is a terminal. */
bool cli_stderr_is_tty(void);

/* The subcommands: each is main() for its verb. */
int cmd_optim(int argc, char **argv);
int cmd_biasvar(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_curvature(int argc, char **argv);
int cmd_eos(int argc, char **argv);
int cmd_figures(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Figure sets, each writing its SVGs into dir; 0 or CLI_ERR. */
int figures_optim(const char *dir);
int figures_biasvar(const char *dir);

#endif
