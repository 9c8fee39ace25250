/* Placeholder until the biasvar command lands: refuses to run. */
#include "cli/cli.h"

int cmd_biasvar(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error("biasvar", "not built yet");
}

int figures_biasvar(const char *dir) {
    (void)dir;
    return cli_error("figures", "bias-variance figures not built yet");
}
