/* Placeholder until the optim command lands: refuses to run. */
#include "cli/cli.h"

int cmd_optim(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error("optim", "not built yet");
}

int figures_optim(const char *dir) {
    (void)dir;
    return cli_error("figures", "optimizer figures not built yet");
}
