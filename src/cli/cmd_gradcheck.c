/* Placeholder until the gradcheck command lands: refuses to run. */
#include "cli/cli.h"

int cmd_gradcheck(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error("gradcheck", "not built yet");
}
