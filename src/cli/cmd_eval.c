/* Placeholder until the eval command lands: refuses to run. */
#include "cli/cli.h"

int cmd_eval(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error("eval", "not built yet");
}
