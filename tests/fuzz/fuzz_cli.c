/* The command line's option parser: the input is split at NUL bytes into
 * argv (at most 32 arguments), parsed against a table with every kind of
 * option, and whatever it accepts is checked against the table's promises. */
#include <math.h>
#include <string.h>

#include "cli/cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[34] = {"train"};
    int argc = 1;
    for (size_t i = 0; i <= size && argc < 33;) {
        argv[argc++] = text + i;
        i += strlen(text + i) + 1;
    }
    argv[argc] = NULL;

    bool verbose = false;
    long steps = -7;
    double lr = -7;
    const char *csv = NULL;
    cli_list lambda = {.n = -1}, hidden = {.n = -1};
    static const cli_cmd cmd = {"train", "--steps N [options]", "A representative table."};
    cli_opt opts[] = {
        {"verbose", CLI_FLAG, &verbose, NULL, "say more", false},
        {"steps", CLI_INT, &steps, "N", "steps", false},
        {"lr", CLI_DOUBLE, &lr, "A", "learning rate", false},
        {"csv", CLI_STR, &csv, "FILE", "output", false},
        {"lambda", CLI_DOUBLES, &lambda, "L1,L2,...", "ridge strengths", false},
        {"hidden", CLI_INTS, &hidden, "H1,H2,...", "hidden sizes", false},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    int r = cli_parse(&cmd, argc, argv, opts, nopts);
    if (r != CLI_OK && r != CLI_HELP && r != CLI_ERR) abort();
    if (r == CLI_OK) {
        if (!opts[0].seen && verbose) abort();
        if (!opts[1].seen && steps != -7) abort();
        if (opts[2].seen ? !isfinite(lr) : lr != -7) abort();
        if (opts[3].seen ? !csv || !*csv : csv != NULL) abort();
        if (opts[4].seen) {
            if (lambda.n < 1 || lambda.n > CLI_LIST_MAX) abort();
            for (int i = 0; i < lambda.n; i++)
                if (!isfinite(lambda.v[i])) abort();
        }
        if (opts[5].seen) {
            if (hidden.n < 1 || hidden.n > CLI_LIST_MAX) abort();
            for (int i = 0; i < hidden.n; i++)
                if (hidden.v[i] != floor(hidden.v[i])) abort();
        }
    }
    free(text);
    return 0;
}
