/* Placeholder until the bench command lands: refuses to run. */
#include "cli/cli.h"

int cmd_bench(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error("bench", "not built yet");
}
