#include <string.h>

#include "test.h"
#include "cli/cli.h"

TEST(cli_parses_negative_numbers_and_equals) {
    double lr = 0;
    cli_list x0 = {0};
    long steps = 0;
    cli_opt opts[] = {
        {"lr", CLI_DOUBLE, &lr, "A", "", false},
        {"x0", CLI_DOUBLES, &x0, "X1,X2", "", false},
        {"steps", CLI_INT, &steps, "N", "", false},
    };
    static const cli_cmd cmd = {"t", "", ""};
    char *argv[] = {"t", "--lr", "-0.5", "--x0=-1.5,2e-3", "--steps", "7"};
    CHECK(cli_parse(&cmd, 6, argv, opts, 3) == CLI_OK);
    CHECK(lr == -0.5);
    CHECK(x0.n == 2 && x0.v[0] == -1.5 && x0.v[1] == 2e-3);
    CHECK(steps == 7);
    CHECK(opts[0].seen && opts[1].seen && opts[2].seen);
}

TEST(cli_rejects_junk) {
    double lr = 0;
    cli_opt opts[] = {{"lr", CLI_DOUBLE, &lr, "A", "", false}};
    static const cli_cmd cmd = {"t", "", ""};
    char *bad[][3] = {{"t", "--lr", "nan"}, {"t", "--lr", "1x"}, {"t", "--lr", "inf"},
                      {"t", "--zz", "1"},   {"t", "--lr", ""},   {"t", "lr", "1"}};
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(cli_parse(&cmd, 3, bad[i], opts, 1) == CLI_ERR);
    char *missing[] = {"t", "--lr"};
    CHECK(cli_parse(&cmd, 2, missing, opts, 1) == CLI_ERR);
    fclose(stderr);
    stderr = saved;
}
