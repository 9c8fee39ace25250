/* Placeholder until the train command lands: refuses to run. */
#include "cli/cli.h"

int cmd_train(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error("train", "not built yet");
}
