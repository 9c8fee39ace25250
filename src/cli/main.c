/* nabla: a verb per job. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"optim", cmd_optim, "run an optimizer on a 2-D test function; CSV and contour plot"},
    {"biasvar", cmd_biasvar, "bias-variance lab: OLS and ridge, exact and Monte Carlo"},
    {"train", cmd_train, "train an MLP or CNN on Fashion-MNIST (or any MNIST-format data)"},
    {"eval", cmd_eval, "evaluate a checkpoint on a test set"},
    {"gradcheck", cmd_gradcheck, "check every op's gradient against central differences"},
    {"curvature", cmd_curvature, "the loss Hessian's top eigenvalues, trace and density of a checkpoint"},
    {"eos", cmd_eos, "the edge-of-stability lab: sharpness against 2/lr under full-batch gradient descent"},
    {"figures", cmd_figures, "write the handout's figures and more as SVG"},
    {"bench", cmd_bench, "measure GEMM throughput and the machine's FMA peak"},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
    fprintf(out, "usage: nabla COMMAND [options]   (nabla COMMAND --help for each)\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nThe labs in a browser: `make web` writes build/web/nabla-lab.html (one file, offline).\n");
}

/* Under mpirun -np P (a build with MPI=1) every rank runs the command; rank
 * 0 alone prints. An error on any rank stops them all at their next
 * agreement (nb_dist_agree: before training, each epoch, each evaluation,
 * and here), and its one line is printed once, by rank 0. */
static int run_ranks(int (*run)(int, char **), int argc, char **argv) {
    if (nb_dist_init(&argc, &argv)) {
        fprintf(stderr, "nabla: %s\n", nb_errmsg());
        return 2;
    }
    bool many = nb_dist_size() > 1;
    if (many && nb_dist_rank() > 0 && !freopen("/dev/null", "w", stdout)) fclose(stdout);
    cli_keep = many;
    int rc = run(argc, argv);
    if (many) {
        if (rc && *cli_kept) nb_fail(NB_EINVAL, "%s", cli_kept);
        else if (rc) nb_fail(NB_EINVAL, "nabla %s: failed on rank %d", argv[0], nb_dist_rank());
        if (nb_dist_agree(rc ? NB_EINVAL : NB_OK)) {
            if (nb_dist_rank() == 0) fprintf(stderr, "%s\n", nb_dist_failure());
            fflush(stderr);
            rc = 2;
            /* mpirun ends the others (SIGTERM) once one rank exits with 2: not before
             * rank 0 has said why, and then without a word of their own */
            signal(SIGTERM, SIG_DFL);
            nb_dist_barrier();
        }
    }
    fflush(stdout);
    nb_dist_finalize();
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("nabla %s\n", NB_VERSION);
        return 0;
    }
    /* A training epoch is one parallel region whose threads wait for each
     * other by spinning briefly, then yielding (core/team.c). Between
     * epochs, evaluation forks OpenMP regions, and libgomp's default is to
     * spin between them, which on a shared machine fights other processes
     * for the cores; sleeping costs a wake-up a fork. libgomp reads the
     * policy once, as it loads: so set it and start again. */
    const char *preload = getenv("LD_PRELOAD"); /* not under valgrind: it would lose the child */
    if (strcmp(argv[1], "train") == 0 && !getenv("OMP_WAIT_POLICY") && !(preload && strstr(preload, "vgpreload"))) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = '\0';
            setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
            execv(self, argv); /* on failure, carry on as we are */
        }
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return run_ranks(commands[i].run, argc - 1, argv + 1);
    fprintf(stderr, "nabla: unknown command '%s' (see nabla --help)\n", argv[1]);
    return 2;
}
