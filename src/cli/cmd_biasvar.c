/* nabla biasvar: the bias-variance lab on the command line, and its figures.
 *
 * Ridge/OLS on a fixed design (the user's X, theta, Xtest, or a generated one)
 * swept over lambda, exact and Monte Carlo side by side; polynomial degree and
 * MLP width sweeps on y = sin(2 pi x) + noise, Monte Carlo only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nabla/linreg.h"
#include "nabla/matrix_io.h"
#include "nabla/plot.h"

static const char CMD[] = "biasvar";

typedef enum { MODEL_RIDGE, MODEL_POLY, MODEL_MLP } bv_model;

typedef struct bv_run {
    bv_model model;
    int64_t n, d, K;          /* training points, features, test inputs */
    double *X, *theta, *Xt;   /* ridge: n x d, d, K x d (owned) */
    double sigma;
    int64_t trials, steps;
    double lr, poly_lambda;
    uint64_t seed;
    bool user_data;
    int npts;
    double param[CLI_LIST_MAX]; /* lambda, degree or width */
    nb_biasvar mc[CLI_LIST_MAX], ex[CLI_LIST_MAX], se[CLI_LIST_MAX];
    char why[CLI_LIST_MAX][240]; /* non-empty: the row is undefined, and why */
} bv_run;

static void bv_free(bv_run *r) {
    free(r->X);
    free(r->theta);
    free(r->Xt);
    r->X = r->theta = r->Xt = NULL;
}

static const char *param_name(const bv_run *r) {
    return r->model == MODEL_RIDGE ? "lambda" : r->model == MODEL_POLY ? "degree" : "width";
}

/* A generated design: X_ij = c_j z_ij with column scales c_j falling
 * geometrically from 1 to 0.05, so the weak directions carry little signal and
 * much OLS variance, which is where ridge pays; theta and Xtest likewise. */
static int bv_generate(bv_run *r) {
    r->X = malloc((size_t)(r->n * r->d) * sizeof(double));
    r->theta = malloc((size_t)r->d * sizeof(double));
    r->Xt = malloc((size_t)(r->K * r->d) * sizeof(double));
    if (!r->X || !r->theta || !r->Xt) return cli_error(CMD, "out of memory for the design");
    nb_rng g;
    nb_rng_seed(&g, r->seed);
    double *scale = r->theta; // reuse as scratch until theta is drawn
    for (int64_t j = 0; j < r->d; j++) scale[j] = r->d > 1 ? pow(0.05, (double)j / (double)(r->d - 1)) : 1;
    for (int64_t i = 0; i < r->n * r->d; i++) r->X[i] = scale[i % r->d] * nb_rng_normal(&g);
    for (int64_t i = 0; i < r->K * r->d; i++) r->Xt[i] = scale[i % r->d] * nb_rng_normal(&g);
    for (int64_t j = 0; j < r->d; j++) r->theta[j] = nb_rng_normal(&g);
    return 0;
}

/* Reads a user matrix for flag; one line naming the flag and the file on error. */
static int read_matrix(const char *flag, const char *path, nb_matrix *m) {
    if (nb_matrix_read(m, path) != NB_OK) return cli_error(CMD, "--%s: %s", flag, nb_errmsg());
    return 0;
}

/* The generated design's limits hold for the user's too: the work is d x d
 * (the Gram matrix) and trials x (n + K + d); a file of a few KB must not
 * buy gigabytes and minutes. More features than rows is refused: the primal
 * form's d x d system is then larger than the data, and at lambda = 0
 * singular. */
static int bv_check_sizes(const bv_run *r, const char *xp, const char *xtp) {
    if (r->n > 1000000 || r->d > 10000 || r->K > 1000000)
        return cli_error(CMD, "--x %s is %lldx%lld, --xtest %s has %lld rows: too large for this lab (limits n 1e6, d 1e4, K 1e6)",
                         xp, (long long)r->n, (long long)r->d, xtp, (long long)r->K);
    if (r->d > r->n)
        return cli_error(CMD, "--x %s is %lldx%lld: more features than rows (d > n) is not supported", xp,
                         (long long)r->n, (long long)r->d);
    // the trials stream (memory does not grow with them), but their work does
    if ((double)r->trials * (double)(r->n + r->K + r->d) > 4e8)
        return cli_error(CMD, "--trials %lld: %lld trials x %lld values each is too much work for this lab",
                         (long long)r->trials, (long long)r->trials, (long long)(r->n + r->K + r->d));
    return 0;
}

/* Every estimate finite, or exit 2 naming the column: --noise 1e200 squares
 * to Inf, a huge lambda can leave 0 * Inf. */
static int bv_check_finite(const bv_run *r) {
    static const char *const cols[] = {"bias2", "variance", "noise", "mse", "bias2_exact", "variance_exact", "mse_exact"};
    for (int i = 0; i < r->npts; i++) {
        if (r->why[i][0]) continue; // undefined, and said so
        const nb_biasvar *m = &r->mc[i], *e = &r->ex[i];
        double v[7] = {m->bias2, m->variance, m->noise, m->mse, e->bias2, e->variance, e->mse};
        for (int c = 0; c < (r->model == MODEL_RIDGE ? 7 : 4); c++)
            if (!isfinite(v[c]))
                return cli_error(CMD, "column %s is %s at %s = %g: the inputs are too large for double precision",
                                 cols[c], isnan(v[c]) ? "NaN" : "Inf", param_name(r), r->param[i]);
    }
    return 0;
}

static int bv_load(bv_run *r, const char *xp, const char *tp, const char *xtp) {
    nb_matrix X = {0, 0, NULL}, T = {0, 0, NULL}, Xt = {0, 0, NULL};
    int rc = read_matrix("x", xp, &X);
    if (!rc) rc = read_matrix("theta", tp, &T);
    if (!rc) rc = read_matrix("xtest", xtp, &Xt);
    if (!rc && T.rows != 1 && T.cols != 1)
        rc = cli_error(CMD, "--theta: %s is %lldx%lld; theta must be one row or one column", tp, (long long)T.rows,
                       (long long)T.cols);
    if (!rc && T.rows * T.cols != X.cols)
        rc = cli_error(CMD, "--theta: %s holds %lld values but X (%s) has %lld columns", tp,
                       (long long)(T.rows * T.cols), xp, (long long)X.cols);
    if (!rc && Xt.cols != X.cols)
        rc = cli_error(CMD, "--xtest: %s has %lld columns but X (%s) has %lld", xtp, (long long)Xt.cols, xp,
                       (long long)X.cols);
    if (rc) {
        nb_matrix_free(&X), nb_matrix_free(&T), nb_matrix_free(&Xt);
        return rc;
    }
    r->n = X.rows, r->d = X.cols, r->K = Xt.rows;
    r->X = X.data, r->theta = T.data, r->Xt = Xt.data;
    return bv_check_sizes(r, xp, xtp);
}

/* The generated design as files: the README's user-data example runs on them
 * (and gives the generated run's numbers, the same design and seed). */
static int bv_write_example(const bv_run *r, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/X.npy", dir);
    if (nb_npy_write(path, r->X, r->n, r->d)) return cli_error(CMD, "--write-example: %s", nb_errmsg());
    snprintf(path, sizeof path, "%s/theta.csv", dir);
    if (nb_csv_write(path, r->theta, r->d, 1, NULL)) return cli_error(CMD, "--write-example: %s", nb_errmsg());
    snprintf(path, sizeof path, "%s/Xt.npy", dir);
    if (nb_npy_write(path, r->Xt, r->K, r->d)) return cli_error(CMD, "--write-example: %s", nb_errmsg());
    printf("wrote %s/X.npy (%lldx%lld), %s/theta.csv (%lld), %s/Xt.npy (%lldx%lld)\n", dir, (long long)r->n,
           (long long)r->d, dir, (long long)r->d, dir, (long long)r->K, (long long)r->d);
    return 0;
}

static int bv_compute(bv_run *r) {
    nb_rng g;
    nb_rng_seed(&g, r->seed + 1);
    // under mpirun the ranks share the trials, the same bits as one process (mcstats.c)
    nb_mc_config cfg = {.ranks = true};
    if (r->model == MODEL_RIDGE) {
        // a penalty with no fit (lambda = 0 with X^T X singular) leaves its row
        // undefined, with the reason; the others are computed
        int ok = 0;
        for (int i = 0; i < r->npts; i++) {
            if (!nb_biasvar_exact(r->n, r->d, r->X, r->theta, r->sigma, r->K, r->Xt, r->param[i], &r->ex[i], NULL, NULL)) {
                ok++;
                continue;
            }
            if (nb_errcode() != NB_ENUM) return cli_lib_error(CMD);
            snprintf(r->why[i], sizeof r->why[i], "%s", nb_errmsg());
            r->ex[i] = (nb_biasvar){NAN, NAN, NAN, NAN};
        }
        if (!ok) return cli_lib_error(CMD);
        // one noise draw for the whole sweep (common random numbers): the curves then
        // differ by the penalty only, not by the draw
        nb_status st[CLI_LIST_MAX];
        if (nb_biasvar_mc_sweep_ex(r->n, r->d, r->X, r->theta, r->sigma, r->K, r->Xt, r->npts, r->param, r->trials, &g,
                                   &cfg, r->mc, r->se, st))
            return cli_lib_error(CMD);
        for (int i = 0; i < r->npts; i++)
            if (r->why[i][0] && nb_dist_rank() == 0) fprintf(stderr, "nabla %s: lambda=%g is undefined: %s\n", CMD, r->param[i], r->why[i]);
        return 0;
    }
    // the network's trials are one batched model, trained at once: rank 0 alone runs it
    if (r->model == MODEL_MLP && nb_dist_rank() > 0) return 0;
    for (int i = 0; i < r->npts; i++) {
        nb_rng_seed(&g, r->seed + 1); // the same training sets for every degree/width
        nb_status s = r->model == MODEL_POLY
                          ? nb_biasvar_poly_ex((int)r->param[i], r->n, r->sigma, r->K, r->poly_lambda, r->trials, &g, &cfg,
                                               &r->mc[i], &r->se[i])
                          : nb_biasvar_mlp_ex((int)r->param[i], r->n, r->sigma, r->K, r->steps, r->lr, r->trials, &g,
                                              &r->mc[i], &r->se[i]);
        if (s) return cli_lib_error(CMD);
    }
    return 0;
}

/* The columns of old, then each Monte Carlo column's standard error, then a
 * note: empty, or why the row is undefined (its numbers are nan). */
static void bv_write_csv(const bv_run *r, FILE *fp) {
    fprintf(fp, "%s,bias2,variance,noise,mse,bias2_exact,variance_exact,mse_exact,bias2_se,variance_se,noise_se,mse_se,note\n",
            param_name(r));
    for (int i = 0; i < r->npts; i++) {
        const nb_biasvar *m = &r->mc[i], *e = &r->ex[i], *se = &r->se[i];
        fprintf(fp, "%.17g,%.17g,%.17g,%.17g,%.17g", r->param[i], m->bias2, m->variance, m->noise, m->mse);
        if (r->model == MODEL_RIDGE) fprintf(fp, ",%.17g,%.17g,%.17g", e->bias2, e->variance, e->mse);
        else fprintf(fp, ",,,");
        fprintf(fp, ",%.17g,%.17g,%.17g,%.17g,", se->bias2, se->variance, se->noise, se->mse);
        if (r->why[i][0]) {
            fputs("\"undefined: ", fp);
            for (const char *c = r->why[i]; *c; c++) {
                if (*c == '"') fputc('"', fp); // CSV doubles a quote inside quotes
                fputc(*c, fp);
            }
            fputc('"', fp);
        }
        fputc('\n', fp);
    }
}

/* The table under the CSV's column names (the exact ones for ridge only). */
static void bv_print_table(const bv_run *r, FILE *fp) {
    bool ex = r->model == MODEL_RIDGE;
    fprintf(fp, "%-10s %14s %14s %14s %14s", param_name(r), "bias2", "variance", "noise", "mse");
    if (ex) fprintf(fp, " %14s %14s %14s", "bias2_exact", "variance_exact", "mse_exact");
    fprintf(fp, " %14s %14s %14s %14s note\n", "bias2_se", "variance_se", "noise_se", "mse_se");
    for (int i = 0; i < r->npts; i++) {
        const nb_biasvar *m = &r->mc[i], *e = &r->ex[i], *se = &r->se[i];
        if (r->why[i][0]) {
            fprintf(fp, "%-10g undefined: %s\n", r->param[i], r->why[i]);
            continue;
        }
        fprintf(fp, "%-10g %14.6g %14.6g %14.6g %14.6g", r->param[i], m->bias2, m->variance, m->noise, m->mse);
        if (ex) fprintf(fp, " %14.6g %14.6g %14.6g", e->bias2, e->variance, e->mse);
        fprintf(fp, " %14.2g %14.2g %14.2g %14.2g\n", se->bias2, se->variance, se->noise, se->mse);
    }
}

static void bv_describe(const bv_run *r, char *buf, size_t len) {
    if (r->model == MODEL_RIDGE)
        snprintf(buf, len, "%s X %lldx%lld, %lld test inputs, noise σ=%g, %lld trials, seed %llu",
                 r->user_data ? "user" : "generated", (long long)r->n, (long long)r->d, (long long)r->K, r->sigma,
                 (long long)r->trials, (unsigned long long)r->seed);
    else
        snprintf(buf, len, "y = sin 2πx + noise, σ=%g, %lld training points redrawn per trial, %lld test inputs, %lld trials, seed %llu",
                 r->sigma, (long long)r->n, (long long)r->K, (long long)r->trials, (unsigned long long)r->seed);
}

/* The curves: exact as lines, Monte Carlo as markers with +-2 standard-error
 * bars, one color per quantity. lambda = 0 cannot sit on a log axis: OLS is
 * drawn in a slot left of a broken axis, labelled, exact values as crosses. */
static nb_fig *bv_figure(const bv_run *r) {
    nb_fig *fig = nb_fig_new(720, 440, 1, 1);
    if (!fig) return NULL;
    nb_panel *p = nb_fig_panel(fig, 0);
    bool ridge = r->model == MODEL_RIDGE, has_zero = false, has_pos = false;
    for (int i = 0; i < r->npts; i++) has_zero |= r->param[i] == 0 && !r->why[i][0], has_pos |= r->param[i] > 0;
    bool logx = ridge && has_pos;
    char title[160];
    snprintf(title, sizeof title, "Bias–variance tradeoff: %s",
             ridge ? "ridge regression" : r->model == MODEL_POLY ? "polynomial regression" : "1-W-1 tanh network");
    nb_panel_labels(p, title, ridge ? "λ (ridge penalty)" : r->model == MODEL_POLY ? "polynomial degree" : "hidden width",
                    "error at a test input (average)");
    // polynomial and network variance spans orders of magnitude across the sweep
    nb_panel_scale(p, logx, !ridge);
    if (logx && has_zero) nb_panel_xbreak(p, 0, "0 (OLS)");
    nb_panel_legend(p, ridge ? NB_LEGEND_NW : NB_LEGEND_SW);
    const char *names[4] = {"bias²", "variance", "noise σ²", "MSE"};
    double x[CLI_LIST_MAX], ys[4][CLI_LIST_MAX], ye[4][CLI_LIST_MAX], err[4][CLI_LIST_MAX];
    double xz[CLI_LIST_MAX], yz[4][CLI_LIST_MAX]; /* the exact values at lambda > 0, for the lines */
    int nz = 0;
    for (int i = 0; i < r->npts; i++) {
        const nb_biasvar *m = &r->mc[i], *e = &r->ex[i], *se = &r->se[i];
        x[i] = r->param[i];
        ys[0][i] = m->bias2, ys[1][i] = m->variance, ys[2][i] = m->noise, ys[3][i] = m->mse;
        ye[0][i] = e->bias2, ye[1][i] = e->variance, ye[2][i] = e->noise, ye[3][i] = e->mse;
        err[0][i] = 2 * se->bias2, err[1][i] = 2 * se->variance, err[2][i] = 2 * se->noise, err[3][i] = 2 * se->mse;
        if (!logx || r->param[i] > 0) {
            xz[nz] = x[i];
            for (int q = 0; q < 4; q++) yz[q][nz] = ye[q][i];
            nz++;
        }
    }
    static const nb_marker marks[4] = {NB_MARKER_CIRCLE, NB_MARKER_SQUARE, NB_MARKER_TRIANGLE, NB_MARKER_DIAMOND};
    for (int q = 0; q < 4; q++) {
        nb_style mark = {.color = q + 1, .width = -1, .marker = marks[q], .marker_size = 3.5};
        if (ridge) {
            // one legend entry per quantity; the caption says lines are exact, markers Monte Carlo
            nb_style line = {.color = q + 1, .width = 2};
            nb_plot_line(p, nz, xz, yz[q], names[q], &line);
            nb_plot_points(p, r->npts, x, ys[q], err[q], NULL, &mark);
            if (logx && has_zero)
                for (int i = 0; i < r->npts; i++)
                    if (r->param[i] == 0) {
                        nb_style cross = {.color = q + 1, .width = -1, .marker = NB_MARKER_CROSS, .marker_size = 5};
                        nb_plot_points(p, 1, &x[i], &ye[q][i], NULL, NULL, &cross);
                    }
        } else {
            // no closed form: the Monte Carlo estimates, joined by a thin line to guide the eye
            nb_style thin = {.color = q + 1, .width = 1};
            nb_plot_line(p, r->npts, x, ys[q], NULL, &thin);
            nb_plot_points(p, r->npts, x, ys[q], err[q], names[q], &mark);
        }
    }
    if (!ridge) {
        nb_style gray = {.rgb = "#888888", .width = 1, .dash = 1};
        nb_plot_refline(p, false, r->sigma * r->sigma, NULL, &gray);
    }
    char cap[256];
    bv_describe(r, cap, sizeof cap);
    nb_fig_caption(fig, cap);
    if (ridge)
        nb_fig_caption(fig, has_zero && logx ? "lines (crosses at λ = 0): exact values; markers: Monte Carlo estimates, bars ±2 standard errors"
                                             : "lines: exact values; markers: Monte Carlo estimates, bars ±2 standard errors");
    else {
        snprintf(cap, sizeof cap, "markers: Monte Carlo (a new training set per trial), bars ±2 standard errors; "
                 "exact: noise σ² = %g (dashed)", r->sigma * r->sigma);
        nb_fig_caption(fig, cap);
        nb_fig_caption(fig, "bias² unbiased (the variance of the mean subtracted): a missing point is ≤ 0, within its noise");
    }
    return fig;
}

/* Writes the CSV and the SVG together: both or, on an error, neither. */
static int bv_outputs(const bv_run *r, const char *csv, const char *svg) {
    nb_outfile fc = {0}, fs = {0};
    nb_fig *fig = NULL;
    int rc = 0;
    if (csv && nb_outfile_open(&fc, csv) != NB_OK) return cli_error(CMD, "--csv: %s", nb_errmsg());
    if (svg) {
        fig = bv_figure(r);
        if (!fig) rc = cli_error(CMD, "--svg: %s", nb_errmsg());
        else if (nb_outfile_open(&fs, svg) != NB_OK) rc = cli_error(CMD, "--svg: %s", nb_errmsg());
        else if (nb_fig_write(fig, fs.fp) != NB_OK) rc = cli_error(CMD, "--svg: %s: %s", svg, nb_errmsg());
    }
    if (!rc && csv) bv_write_csv(r, fc.fp);
    if (!rc && csv && nb_outfile_commit(&fc, false) != NB_OK) rc = cli_error(CMD, "--csv: %s", nb_errmsg());
    if (!rc && svg && nb_outfile_commit(&fs, false) != NB_OK) rc = cli_error(CMD, "--svg: %s", nb_errmsg());
    if (rc) {
        if (fc.fp) nb_outfile_abort(&fc);
        if (fs.fp) nb_outfile_abort(&fs);
    }
    nb_fig_free(fig);
    return rc;
}

int cmd_biasvar(int argc, char **argv) {
    static const cli_cmd cmd = {
        "biasvar",
        "[--x X.npy|.csv --theta T.npy|.csv --xtest XT.npy|.csv] | [--n N --d D --ntest K]\n"
        "               --noise SIGMA --lambda L1,L2,... --trials T --seed S [--csv FILE] [--svg FILE]\n"
        "               [--model ridge|poly|mlp] [--degree P1,P2,...] [--width W1,W2,...]",
        "The bias-variance lab. Each trial draws fresh noise y = X theta + sigma eps, refits and\n"
        "predicts at the test inputs; bias^2, variance, noise (from fresh test targets) and MSE\n"
        "are estimated, each unbiased (MSE = bias^2 + variance + noise holds exactly), with their\n"
        "standard errors (the CSV's _se columns) and, for ridge/OLS (lambda = 0), beside their\n"
        "exact values; a lambda with no fit (X^T X singular) is a row marked undefined. Memory\n"
        "does not grow with --trials. --model poly sweeps the degree and --model mlp the width\n"
        "of a 1-W-1 tanh network on y = sin(2 pi x) + noise, x in [0,1], with a new training set\n"
        "per trial (Monte Carlo only; the exact columns are empty).\n"
        "The table goes to stdout, or to stderr when --csv or --svg is given (--quiet: none), as\n"
        "for nabla optim. Under mpirun (make MPI=1) the ranks share ridge's and poly's trials\n"
        "with the same results, bit for bit, as one process; rank 0 writes."};
    const char *xp = NULL, *tp = NULL, *xtp = NULL, *csv = NULL, *svg = NULL, *model = "ridge", *example = NULL;
    long n = 0, d = 20, K = 0, trials = 1000, seed = 0, steps = 1000;
    double noise = 1, lr = 0.02;
    bool quiet = false;
    cli_list lambda = {{0}, 0}, degree = {{0}, 0}, width = {{0}, 0};
    cli_opt opts[] = {
        {"x", CLI_STR, &xp, "FILE", "training inputs X, n x d (.npy or CSV)", false},
        {"theta", CLI_STR, &tp, "FILE", "true parameters, d values as a row or a column", false},
        {"xtest", CLI_STR, &xtp, "FILE", "test inputs, K x d", false},
        {"n", CLI_INT, &n, "N", "generated design: training points (default 100; poly/mlp: 30)", false},
        {"d", CLI_INT, &d, "D", "generated design: features (default 20)", false},
        {"ntest", CLI_INT, &K, "K", "test inputs (default 200; poly/mlp: 50, evenly spaced)", false},
        {"noise", CLI_DOUBLE, &noise, "SIGMA", "noise standard deviation (default 1; poly/mlp: 0.3)", false},
        {"lambda", CLI_DOUBLES, &lambda, "L1,L2,...", "ridge penalties >= 0 (default 0,1e-3,...,1e3; poly: one, default 0)", false},
        {"trials", CLI_INT, &trials, "T", "Monte Carlo trials (default 1000; mlp: 100)", false},
        {"seed", CLI_INT, &seed, "S", "seed of every random draw (default 0)", false},
        {"model", CLI_STR, &model, "ridge|poly|mlp", "the estimator (default ridge)", false},
        {"degree", CLI_INTS, &degree, "P1,P2,...", "poly: degrees to sweep (default 0..10)", false},
        {"width", CLI_INTS, &width, "W1,W2,...", "mlp: hidden widths to sweep (default 1,2,4,8,16,32)", false},
        {"steps", CLI_INT, &steps, "N", "mlp: full-batch Adam steps per fit (default 1000)", false},
        {"lr", CLI_DOUBLE, &lr, "A", "mlp: Adam learning rate (default 0.02)", false},
        {"csv", CLI_STR, &csv, "FILE", "write the table as CSV", false},
        {"svg", CLI_STR, &svg, "FILE", "write the curves as SVG", false},
        {"quiet", CLI_FLAG, &quiet, NULL, "no table", false},
        {"write-example", CLI_STR, &example, "DIR",
         "write the generated design (--n, --d, --ntest, --seed) as DIR/X.npy, DIR/theta.csv, DIR/Xt.npy for --x/--theta/--xtest, and stop",
         false},
    };
    enum { NOPTS = sizeof opts / sizeof opts[0] };
    int rc = cli_parse(&cmd, argc, argv, opts, NOPTS);
    if (rc != CLI_OK) return rc == CLI_HELP ? 0 : rc;
#define SEEN(name) (cli_find(opts, NOPTS, name)->seen)

    bv_run r;
    memset(&r, 0, sizeof r);
    if (strcmp(model, "ridge") == 0) r.model = MODEL_RIDGE;
    else if (strcmp(model, "poly") == 0) r.model = MODEL_POLY;
    else if (strcmp(model, "mlp") == 0) r.model = MODEL_MLP;
    else return cli_error(CMD, "--model: '%s' is not one of ridge, poly, mlp", model);
    bool ridge = r.model == MODEL_RIDGE;
    if (!(noise >= 0)) return cli_error(CMD, "--noise: must be >= 0, got %g", noise);
    if (trials < 1) return cli_error(CMD, "--trials: must be >= 1, got %ld", trials);
    // memory does not grow with the trials, but time does: 1e9 is minutes to hours
    if (trials > 1000000000L) return cli_error(CMD, "--trials: at most 1e9, got %ld", trials);
    if (seed < 0) return cli_error(CMD, "--seed: must be >= 0, got %ld", seed);
    for (int i = 0; i < lambda.n; i++)
        if (lambda.v[i] < 0) return cli_error(CMD, "--lambda: must be >= 0, got %g", lambda.v[i]);
    if (SEEN("degree") && r.model != MODEL_POLY) return cli_error(CMD, "--degree applies to --model poly only");
    if (SEEN("width") && r.model != MODEL_MLP) return cli_error(CMD, "--width applies to --model mlp only");
    if ((SEEN("steps") || SEEN("lr")) && r.model != MODEL_MLP)
        return cli_error(CMD, "--steps and --lr apply to --model mlp only");
    if (r.model == MODEL_MLP && SEEN("lambda")) return cli_error(CMD, "--lambda does not apply to --model mlp");
    if (r.model == MODEL_POLY && lambda.n > 1)
        return cli_error(CMD, "--lambda: --model poly takes one ridge penalty (it sweeps --degree), got %d", lambda.n);
    if (!ridge && SEEN("d")) return cli_error(CMD, "--d applies to --model ridge only (poly and mlp have one input)");
    bool user = SEEN("x") || SEEN("theta") || SEEN("xtest");
    if (example && (!ridge || user)) return cli_error(CMD, "--write-example writes a generated ridge design: give --n/--d/--ntest, not --model or --x");
    if (user && !ridge) return cli_error(CMD, "--x, --theta and --xtest apply to --model ridge only");
    if (user && (SEEN("n") || SEEN("d") || SEEN("ntest")))
        return cli_error(CMD, "give either --x/--theta/--xtest or --n/--d/--ntest, not both");
    if (user && !(xp && tp && xtp))
        return cli_error(CMD, "--%s is missing: user data needs --x, --theta and --xtest", !xp ? "x" : !tp ? "theta" : "xtest");
    if (r.model == MODEL_MLP && steps < 1) return cli_error(CMD, "--steps: must be >= 1, got %ld", steps);
    if (r.model == MODEL_MLP && !(lr > 0)) return cli_error(CMD, "--lr: must be > 0, got %g", lr);
    if (!SEEN("n")) n = ridge ? 100 : 30;
    if (!SEEN("noise")) noise = ridge ? 1 : 0.3;
    if (!SEEN("trials")) trials = r.model == MODEL_MLP ? 100 : 1000;
    if (!SEEN("ntest")) K = ridge ? 200 : 50;
    if (n < 1) return cli_error(CMD, "--n: must be >= 1, got %ld", n);
    if (d < 1) return cli_error(CMD, "--d: must be >= 1, got %ld", d);
    if (K < 1) return cli_error(CMD, "--ntest: must be >= 1, got %ld", K);
    if (n > 1000000 || d > 10000 || K > 1000000)
        return cli_error(CMD, "--n %ld, --d %ld, --ntest %ld: too large for this lab (limits 1e6, 1e4, 1e6)", n, d, K);
    if (ridge && !user && (double)(n + K) * (double)d > 5e7) /* the generated design's bytes */
        return cli_error(CMD, "--n %ld, --ntest %ld, --d %ld: (n + K) x d = %.3g values, more than this lab's 5e7", n, K,
                         d, (double)(n + K) * (double)d);
    // ridge and poly stream their trials in constant memory; the network keeps every trial's weights
    if (r.model == MODEL_MLP && (double)trials * (double)(n + K + d) > 4e8)
        return cli_error(CMD, "--trials %ld: %ld trials x %ld values each is too much memory for this lab", trials,
                         trials, n + K + d);

    if (nb_dist_rank() > 0) csv = svg = NULL, quiet = true; /* under mpirun rank 0 writes */
    const cli_file outs[] = {{"csv", csv, NULL}, {"svg", svg, NULL}};
    const cli_file ins[] = {{"x", xp, NULL}, {"theta", tp, NULL}, {"xtest", xtp, NULL}};
    if (cli_check_files(CMD, outs, 2, ins, 3)) return CLI_ERR;

    r.sigma = noise, r.trials = trials, r.seed = (uint64_t)seed, r.steps = steps, r.lr = lr;
    r.n = n, r.d = d, r.K = K, r.user_data = user;
    if (ridge) {
        static const double dflt[] = {0, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000};
        if (lambda.n == 0) {
            lambda.n = (int)(sizeof dflt / sizeof dflt[0]);
            memcpy(lambda.v, dflt, sizeof dflt);
        }
        r.npts = lambda.n;
        memcpy(r.param, lambda.v, sizeof(double) * (size_t)lambda.n);
    } else if (r.model == MODEL_POLY) {
        r.poly_lambda = lambda.n ? lambda.v[0] : 0;
        if (degree.n == 0)
            for (int p = 0; p <= 10; p++) degree.v[degree.n++] = p;
        for (int i = 0; i < degree.n; i++)
            if (degree.v[i] < 0 || degree.v[i] > 60)
                return cli_error(CMD, "--degree: must be in 0..60, got %g", degree.v[i]);
        r.npts = degree.n;
        memcpy(r.param, degree.v, sizeof(double) * (size_t)degree.n);
    } else {
        static const double dflt[] = {1, 2, 4, 8, 16, 32};
        if (width.n == 0) {
            width.n = (int)(sizeof dflt / sizeof dflt[0]);
            memcpy(width.v, dflt, sizeof dflt);
        }
        for (int i = 0; i < width.n; i++)
            if (width.v[i] < 1 || width.v[i] > 4096) return cli_error(CMD, "--width: must be in 1..4096, got %g", width.v[i]);
        r.npts = width.n;
        memcpy(r.param, width.v, sizeof(double) * (size_t)width.n);
    }
    rc = user ? bv_load(&r, xp, tp, xtp) : ridge ? bv_generate(&r) : 0;
    if (!rc && example) {
        rc = nb_dist_rank() > 0 ? 0 : bv_write_example(&r, example);
        bv_free(&r);
        return rc;
    }
    // the lab's products are small next to its random draws: below ~5e7 multiply-adds
    // per penalty a second thread only spins at the GEMM's barriers, so run on one
    if (!rc && (double)(r.n + r.K) * (double)r.d * (double)r.trials < 5e7) nb_set_threads(1);
    // under mpirun: a rank that could not read its files stops them all here, before the trials
    if (!rc && nb_dist_agree(NB_OK)) rc = CLI_ERR;
    if (!rc) rc = bv_compute(&r);
    if (!rc) rc = bv_check_finite(&r);
    if (!rc && (csv || svg)) rc = bv_outputs(&r, csv, svg);
    if (!rc && !quiet) bv_print_table(&r, csv || svg ? stderr : stdout);
    bv_free(&r);
    return rc;
#undef SEEN
}

int figures_biasvar(const char *dir) {
    char path[4096];
    bv_run r;
    memset(&r, 0, sizeof r);
    // n = 2d: OLS variance is large (about d/(n-d-1) sigma^2), so the U is pronounced
    r.model = MODEL_RIDGE, r.n = 40, r.d = 20, r.K = 200, r.sigma = 1, r.trials = 1000, r.seed = 0;
    static const double lam[] = {0, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    r.npts = (int)(sizeof lam / sizeof lam[0]);
    memcpy(r.param, lam, sizeof lam);
    int rc = bv_generate(&r);
    // under mpirun: a rank that could not read its files stops them all here, before the trials
    if (!rc && nb_dist_agree(NB_OK)) rc = CLI_ERR;
    if (!rc) rc = bv_compute(&r);
    snprintf(path, sizeof path, "%s/biasvar.svg", dir);
    if (!rc) rc = bv_outputs(&r, NULL, path);
    bv_free(&r);
    if (rc) return rc;

    memset(&r, 0, sizeof r);
    r.model = MODEL_POLY, r.n = 30, r.K = 50, r.sigma = 0.3, r.trials = 1000, r.seed = 0;
    for (int p = 0; p <= 10; p++) r.param[r.npts++] = p;
    rc = bv_compute(&r);
    snprintf(path, sizeof path, "%s/biasvar_degree.svg", dir);
    if (!rc) rc = bv_outputs(&r, NULL, path);
    return rc;
}
