/* nabla figures: every figure set into one directory. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

int cmd_figures(int argc, char **argv) {
    static const cli_cmd cmd = {
        "figures", "--out DIR",
        "Writes the handout's Figures 2a-2c, 3 and 4 (fig2a.svg ... fig4.svg), all optimizers\n"
        "on the ill-conditioned quadratic (optimizers.svg), and the bias-variance curves\n"
        "(biasvar.svg, biasvar_degree.svg) into DIR, creating it if needed.\n"
        "To move their knobs yourself: `make web` writes build/web/nabla-lab.html, the same\n"
        "labs on the same C code in any browser, offline (one file; open it from disk)."};
    const char *out = NULL;
    cli_opt opts[] = {{"out", CLI_STR, &out, "DIR", "directory to write the SVG files into", false}};
    int r = cli_parse(&cmd, argc, argv, opts, 1);
    if (r != CLI_OK) return r == CLI_HELP ? 0 : r;
    if (!out) return cli_error("figures", "--out DIR is required");
    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        return cli_error("figures", "%s: cannot create directory: %s", out, strerror(errno));
    struct stat st;
    if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
        return cli_error("figures", "%s: not a directory", out);
    if ((r = figures_optim(out)) != 0) return r;
    if ((r = figures_biasvar(out)) != 0) return r;
    return 0;
}
