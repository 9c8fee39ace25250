/* nabla gradcheck: every op against central differences, one row each. */
#include "cli/cli.h"

int cmd_gradcheck(int argc, char **argv) {
    static const cli_cmd cmd = {
        "gradcheck", "",
        "Checks the gradient of every op in f64 against central differences (eps 1e-6;\n"
        "pass when |analytic - numeric| <= 1e-5 + 1e-3 |numeric|), with a random\n"
        "non-uniform upstream gradient, broadcast and size-1 dimensions, and inputs away\n"
        "from kinks; also that a second backward agrees and a zero upstream gives zero.\n"
        "Then the second order on the same cases, along a random direction v: the\n"
        "forward-mode JVP against central differences of the op, and the Hessian-vector\n"
        "product of <u, op> against central differences of its gradient.\n"
        "Prints one row per case and order; exits 1 if any case fails."};
    int r = cli_parse(&cmd, argc, argv, NULL, 0);
    if (r != CLI_OK) return r == CLI_HELP ? 0 : r;
    int failed = nb_gradcheck_ops(stdout);
    printf("\n");
    failed += nb_gradgradcheck_ops(stdout);
    return failed == 0 ? 0 : 1;
}
