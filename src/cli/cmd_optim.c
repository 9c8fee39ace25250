/* nabla optim: the optimizer lab on a 2-D test function, and the handout's
 * Figures 2-4 (figures_optim).
 *
 * The lab itself (functions, trajectories, rates) is the library's:
 * src/optim/lab.c.
 * Divergence: the run stops at the first step whose iterate or f is not
 * finite; the CSV keeps that row (inf/nan, which numpy and pandas read) and a
 * note goes to stderr. That is a result, not an error: exit status 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nabla/io.h"
#include "nabla/lab.h"
#include "nabla/optim.h"
#include "nabla/plot.h"

static const char CMD[] = "optim";
#define MAX_STEPS 1000000L

static double lab_f_cb(double x1, double x2, void *ud) { return nb_lab_f(ud, x1, x2); }

/* Numbers in captions and summaries are written one way: %g's digits
 * without its padded exponent (1e-8, not 1e-08); a loss, which spans many
 * decades, always as d.ddde-k. */
static char *tidy_exp(char *buf) {
    char *e = strchr(buf, 'e');
    if (e) {
        char *d = e + 1, *src = d;
        if (*src == '+') src++;
        else if (*src == '-') d++, src++;
        while (*src == '0' && src[1]) src++;
        memmove(d, src, strlen(src) + 1);
    }
    return buf;
}
static const char *num(double v, int digits, char *buf, size_t n) {
    snprintf(buf, n, "%.*g", digits, v);
    return tidy_exp(buf);
}
static const char *sci(double v, char *buf, size_t n) {
    snprintf(buf, n, "%.3e", v);
    return tidy_exp(buf);
}

static const char *knobs_str(const nb_optim_config *c, char *buf, size_t n) {
    char a[32], b[32], e[32], d[32];
    int k = snprintf(buf, n, "α=%s", num(c->lr, 6, a, sizeof a));
    num(c->eps, 6, e, sizeof e);
    switch (c->kind) {
    case NB_OPT_MOMENTUM:
    case NB_OPT_NESTEROV: k += snprintf(buf + k, n - (size_t)k, ", m=%s", num(c->momentum, 6, b, sizeof b)); break;
    case NB_OPT_RMSPROP:
    case NB_OPT_ADAGRAD: k += snprintf(buf + k, n - (size_t)k, ", β=%s, ε=%s", num(c->beta, 6, b, sizeof b), e); break;
    case NB_OPT_ADAM:
    case NB_OPT_ADAMW:
        k += snprintf(buf + k, n - (size_t)k, ", β₁=%s, β₂=%s, ε=%s", num(c->beta1, 6, b, sizeof b),
                      num(c->beta2, 6, d, sizeof d), e);
        break;
    default: break;
    }
    if (c->weight_decay > 0 && (size_t)k < n) snprintf(buf + k, n - (size_t)k, ", λ=%s", num(c->weight_decay, 6, a, sizeof a));
    return buf;
}

static const char *fn_str(const nb_lab_fn *fn, char *buf, size_t n) {
    if (fn->rosen) snprintf(buf, n, "Rosenbrock (1 - x₁)² + 100 (x₂ - x₁²)²");
    else {
        char a[32], b[32];
        snprintf(buf, n, "f = %s x₁² + %s x₂²", num(fn->a1, 6, a, sizeof a), num(fn->a2, 6, b, sizeof b));
    }
    return buf;
}

static const nb_marker markers[] = {NB_MARKER_CIRCLE, NB_MARKER_SQUARE, NB_MARKER_TRIANGLE, NB_MARKER_DIAMOND,
                                    NB_MARKER_CIRCLE, NB_MARKER_SQUARE, NB_MARKER_TRIANGLE};

/* One path on the lab's panels; a faint one is drawn thin and pale, for comparison. */
typedef struct lab_series {
    const nb_lab_traj *t;
    const char *label;
    int color; /* palette index; 0: by position */
    bool faint;
} lab_series;

/* The plot box: every point within 3 ||x0 - x*|| of the optimum (a diverging
 * path runs off the panel instead of shrinking everything else), padded. */
static void auto_box(const nb_lab_fn *fn, const lab_series *ss, int ns, double *box) {
    double o[2];
    nb_lab_optimum(fn, o);
    double R = 3 * hypot(ss[0].t->x1[0] - o[0], ss[0].t->x2[0] - o[1]);
    if (!(R > 0)) R = 1;
    double lo1 = o[0], hi1 = o[0], lo2 = o[1], hi2 = o[1];
    for (int k = 0; k < ns; k++)
        for (int64_t i = 0; i < ss[k].t->n; i++) {
            double a = ss[k].t->x1[i], b = ss[k].t->x2[i];
            if (!isfinite(a) || !isfinite(b) || hypot(a - o[0], b - o[1]) > R) continue;
            if (a < lo1) lo1 = a;
            if (a > hi1) hi1 = a;
            if (b < lo2) lo2 = b;
            if (b > hi2) hi2 = b;
        }
    double p1 = 0.12 * (hi1 - lo1) + 1e-3, p2 = 0.12 * (hi2 - lo2) + 1e-3;
    box[0] = lo1 - p1, box[1] = hi1 + p1, box[2] = lo2 - p2, box[3] = hi2 + p2;
}

/* The legend's corner: the one whose quarter-ish of the box holds the fewest
 * path points, and never the optimum's. */
static nb_legend_pos legend_corner(const double *box, const double *opt, const lab_series *ss, int ns) {
    static const nb_legend_pos pos[4] = {NB_LEGEND_NE, NB_LEGEND_NW, NB_LEGEND_SE, NB_LEGEND_SW};
    double best = INFINITY;
    nb_legend_pos bp = NB_LEGEND_NE;
    for (int c = 0; c < 4; c++) {
        bool east = c == 0 || c == 2, north = c < 2;
        double x0 = east ? box[1] - 0.45 * (box[1] - box[0]) : box[0], x1 = east ? box[1] : box[0] + 0.45 * (box[1] - box[0]);
        double y0 = north ? box[3] - 0.4 * (box[3] - box[2]) : box[2], y1 = north ? box[3] : box[2] + 0.4 * (box[3] - box[2]);
#define IN(a, b) ((a) >= x0 && (a) <= x1 && (b) >= y0 && (b) <= y1)
        double cost = IN(opt[0], opt[1]) ? 1e12 : 0;
        for (int k = 0; k < ns; k++)
            for (int64_t i = 0; i < ss[k].t->n; i++) cost += IN(ss[k].t->x1[i], ss[k].t->x2[i]);
#undef IN
        if (cost < best) best = cost, bp = pos[c];
    }
    return bp;
}

/* Contour panel with every path, and a log-scale loss panel, into panels p0,
 * p0+1. The contour panel has equal scales on x₁ and x₂, so each gradient
 * step looks perpendicular to its contour. */
static nb_status lab_draw(nb_fig *fig, int p0, const nb_lab_fn *fn, const lab_series *ss, int ns, const double *box_in,
                          const char *title) {
    double box[4];
    if (box_in) memcpy(box, box_in, sizeof box);
    else auto_box(fn, ss, ns, box);
    nb_panel *a = nb_fig_panel(fig, p0), *b = nb_fig_panel(fig, p0 + 1);
    if (!a || !b) return nb_errcode();
    nb_status s;
    char fbuf[96];
    if ((s = nb_panel_labels(a, title ? title : fn_str(fn, fbuf, sizeof fbuf), "x₁", "x₂"))) return s;
    if ((s = nb_panel_xlim(a, box[0], box[1])) || (s = nb_panel_ylim(a, box[2], box[3]))) return s;
    if ((s = nb_panel_equal_scale(a, box))) return s;
    /* log-spaced levels from the box's corners down towards the minimum */
    double fmax = 0;
    for (int i = 0; i < 4; i++) {
        double v = nb_lab_f(fn, box[i & 1], box[2 + (i >> 1)]);
        if (v > fmax) fmax = v;
    }
    double lv[14];
    double fmin = fn->rosen ? fmax * 1e-4 : fmax * 2e-3;
    if (!(fmax > 0)) fmax = 1, fmin = 1e-3;
    if ((s = nb_plot_levels(fmin, fmax, 14, true, lv))) return s;
    if ((s = nb_plot_contour(a, lab_f_cb, (void *)fn, 14, lv, 0, NULL))) return s;
    if ((s = nb_panel_labels(b, "loss", "step", "f(x)")) || (s = nb_panel_scale(b, false, true))) return s;
    double o[2];
    nb_lab_optimum(fn, o);
    int64_t maxn = 0;
    for (int k = 0; k < ns; k++) maxn = ss[k].t->n > maxn ? ss[k].t->n : maxn;
    double *steps = malloc((size_t)maxn * sizeof *steps);
    if (!steps) return nb_fail(NB_ENOMEM, "optim figure: out of memory");
    for (int64_t i = 0; i < maxn; i++) steps[i] = (double)i;
    int nmain = 0;
    for (int k = 0; k < ns; k++) nmain += !ss[k].faint;
    /* faint paths first, under the others */
    for (int i = 0; i < 2 * ns && !s; i++) {
        int k = i % ns;
        if (ss[k].faint != (i < ns)) continue;
        const nb_lab_traj *t = ss[k].t;
        int col = ss[k].color ? ss[k].color : k + 1;
        /* markers only while they stay readable */
        nb_style st = {.color = col, .width = 1.6, .marker = t->n <= 400 ? markers[k % 7] : NB_MARKER_NONE,
                       .marker_size = nmain > 1 ? 2.4 : 2.8};
        if (ss[k].faint) st.width = 1.2, st.opacity = 0.4, st.marker_size = 2;
        s = nb_plot_line(a, t->n, t->x1, t->x2, ss[k].label, &st);
        nb_style ls = {.color = col, .width = st.width, .opacity = st.opacity};
        if (!s) s = nb_plot_line(b, t->n, steps, t->f, ss[k].label, &ls);
    }
    free(steps);
    if (s) return s;
    nb_style star = {.rgb = "#000000", .marker = NB_MARKER_STAR, .marker_size = 6};
    if ((s = nb_plot_points(a, 1, o, o + 1, NULL, "optimum", &star))) return s;
    nb_panel_legend(a, legend_corner(box, o, ss, ns));
    /* a rising loss ends in the top right corner */
    bool rises = ss[0].t->n > 1 && !(ss[0].t->f[ss[0].t->n - 1] < ss[0].t->f[0]);
    nb_panel_legend(b, ns > 3 ? NB_LEGEND_NONE : rises ? NB_LEGEND_SE : NB_LEGEND_NE);
    return NB_OK;
}

static void rate_str(double v, char *buf, size_t n) {
    if (isnan(v)) snprintf(buf, n, "n/a");
    else num(v, 4, buf, n);
}

/* A coordinate of the last iterate to the digits that still mean something:
 * down to the size of its last step (what is still moving is not converged),
 * 3 to 15 significant digits (15: what a double holds through a decimal
 * round trip, for an iterate that stopped moving). */
static const char *coord_str(double v, double moved, char *buf, size_t n) {
    int digits = 15;
    if (moved > 0 && isfinite(moved) && v != 0 && isfinite(v)) {
        digits = (int)ceil(log10(fabs(v) / moved)) + 1;
        digits = digits < 3 ? 3 : digits > 15 ? 15 : digits;
    }
    return num(v, digits, buf, n);
}

/* ---- the command ----------------------------------------------------------- */
int cmd_optim(int argc, char **argv) {
    static const cli_cmd cmd = {
        CMD,
        "--fn quadratic --a1 A1 --a2 A2 | --fn rosenbrock  --x0 X1,X2 --opt NAME [--steps N] [options]",
        "Runs an optimizer on f = a1 x1^2 + a2 x2^2 or Rosenbrock's (1-x1)^2 + 100 (x2-x1^2)^2 from x0.\n"
        "--csv writes step,x1,x2,f (step 0 is x0; %.17g); --svg draws the contour plot with the path\n"
        "and a log-scale loss-vs-step panel. The summary goes to stdout, or to stderr when --csv or\n"
        "--svg is given (--quiet: none), as for nabla biasvar. For quadratics it also\n"
        "reports the predicted linear rate (GD: max_i |1 - alpha (2 a_i + wd)|, or |1 - alpha wd -\n"
        "2 alpha a_i| with decoupled decay; momentum and nesterov: the spectral radius of the 2x2\n"
        "iteration matrix per eigen-direction, coupled decay added to 2 a_i) next to the measured one,\n"
        "(||x_T - x*|| / ||x_T0 - x*||)^(1/(T - T0)) over the second half of the run, T0 = T/2;\n"
        "a rate above 1 diverges.\n"
        "Knobs default per --convention (handout: lr 0.01, momentum 0.9, beta 0.9 for rmsprop and 1\n"
        "for adagrad, beta1 0.9, beta2 0.999, eps 1e-8 inside the square root; torch: torch.optim's).\n"
        "If the iterates overflow to inf/nan, the run stops there: the CSV ends with that row, a note\n"
        "goes to stderr and the exit status is still 0."};
    const char *fname = NULL, *opt = NULL, *conv_s = NULL, *csv = NULL, *svg = NULL;
    double a1 = 0, a2 = 0, lr = 0, mom = 0, beta = 0, beta1 = 0, beta2 = 0, eps = 0, wd = 0;
    long steps = 100;
    bool quiet = false;
    cli_list x0 = {{0}, 0};
    cli_opt opts[] = {
        {"fn", CLI_STR, &fname, "NAME", "quadratic or rosenbrock", false},
        {"a1", CLI_DOUBLE, &a1, "A1", "quadratic: coefficient of x1^2 (> 0)", false},
        {"a2", CLI_DOUBLE, &a2, "A2", "quadratic: coefficient of x2^2 (> 0)", false},
        {"x0", CLI_DOUBLES, &x0, "X1,X2", "starting point", false},
        {"opt", CLI_STR, &opt, "NAME", "gd|sgd|momentum|nesterov|rmsprop|adagrad|adam|adamw", false},
        {"lr", CLI_DOUBLE, &lr, "A", "learning rate alpha (> 0)", false},
        {"momentum", CLI_DOUBLE, &mom, "M", "momentum, nesterov, rmsprop: m in [0,1)", false},
        {"beta", CLI_DOUBLE, &beta, "B", "rmsprop: decay in [0,1) (torch's alpha); adagrad: factor > 0", false},
        {"beta1", CLI_DOUBLE, &beta1, "B1", "adam, adamw: in [0,1)", false},
        {"beta2", CLI_DOUBLE, &beta2, "B2", "adam, adamw: in [0,1)", false},
        {"eps", CLI_DOUBLE, &eps, "E", "rmsprop, adagrad, adam, adamw: >= 0 (> 0 where it divides)", false},
        {"weight-decay", CLI_DOUBLE, &wd, "W", ">= 0; coupled L2, decoupled for adamw", false},
        {"convention", CLI_STR, &conv_s, "C", "handout (default) or torch", false},
        {"steps", CLI_INT, &steps, "N", "number of steps, 0..1000000 (default 100)", false},
        {"csv", CLI_STR, &csv, "FILE", "write the trajectory as CSV", false},
        {"svg", CLI_STR, &svg, "FILE", "write the contour plot and loss curve", false},
        {"quiet", CLI_FLAG, &quiet, NULL, "no summary", false},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    int r = cli_parse(&cmd, argc, argv, opts, nopts);
    if (r != CLI_OK) return r == CLI_HELP ? 0 : r;
#define SEEN(name) (cli_find(opts, nopts, name)->seen)
    if (!fname) return cli_error(CMD, "--fn is required (quadratic or rosenbrock)");
    nb_lab_fn fn = {0};
    if (strcmp(fname, "quadratic") == 0) {
        if (!SEEN("a1") || !SEEN("a2")) return cli_error(CMD, "--fn quadratic needs --a1 and --a2");
        if (!(a1 > 0)) return cli_error(CMD, "--a1 must be > 0, got %g", a1);
        if (!(a2 > 0)) return cli_error(CMD, "--a2 must be > 0, got %g", a2);
        fn.a1 = a1, fn.a2 = a2;
    } else if (strcmp(fname, "rosenbrock") == 0) {
        if (SEEN("a1") || SEEN("a2")) return cli_error(CMD, "--a1 and --a2 apply only to --fn quadratic");
        fn.rosen = true;
    } else return cli_error(CMD, "unknown function '%s' (expected quadratic or rosenbrock)", fname);
    if (!SEEN("x0")) return cli_error(CMD, "--x0 X1,X2 is required");
    if (x0.n != 2) return cli_error(CMD, "--x0 needs exactly two coordinates, got %d", x0.n);
    if (!opt) return cli_error(CMD, "--opt is required (gd, momentum, nesterov, rmsprop, adagrad, adam or adamw)");
    nb_optim_kind kind;
    if (nb_optim_kind_parse(opt, &kind) != NB_OK) return cli_error(CMD, "--opt: %s", nb_errmsg());
    nb_convention conv = NB_CONV_HANDOUT;
    if (conv_s && nb_convention_parse(conv_s, &conv) != NB_OK) return cli_error(CMD, "--convention: %s", nb_errmsg());
    if (steps < 0 || steps > MAX_STEPS) return cli_error(CMD, "--steps must be in [0, %ld], got %ld", MAX_STEPS, steps);
    const cli_file outs[] = {{"csv", csv, NULL}, {"svg", svg, NULL}};
    if (cli_check_files(CMD, outs, 2, NULL, 0)) return CLI_ERR;
    /* knobs that the chosen optimizer does not have are mistakes, not silently ignored */
    bool has_mom = kind == NB_OPT_MOMENTUM || kind == NB_OPT_NESTEROV || kind == NB_OPT_RMSPROP;
    bool has_beta = kind == NB_OPT_RMSPROP || kind == NB_OPT_ADAGRAD;
    bool has_adam = kind == NB_OPT_ADAM || kind == NB_OPT_ADAMW;
    bool has_eps = has_beta || has_adam;
    const char *kn = opt; /* as given: sgd stays sgd */
    if (SEEN("momentum") && !has_mom) return cli_error(CMD, "--momentum does not apply to --opt %s", kn);
    if (SEEN("beta") && !has_beta) return cli_error(CMD, "--beta does not apply to --opt %s (rmsprop, adagrad)", kn);
    if ((SEEN("beta1") || SEEN("beta2")) && !has_adam)
        return cli_error(CMD, "--beta1/--beta2 do not apply to --opt %s (adam, adamw)", kn);
    if (SEEN("eps") && !has_eps) return cli_error(CMD, "--eps does not apply to --opt %s", kn);
    nb_optim_config c = nb_optim_defaults(kind, conv);
    if (SEEN("lr")) c.lr = lr;
    if (SEEN("momentum")) c.momentum = mom;
    if (SEEN("beta")) c.beta = beta;
    if (SEEN("beta1")) c.beta1 = beta1;
    if (SEEN("beta2")) c.beta2 = beta2;
    if (SEEN("eps")) c.eps = eps;
    if (SEEN("weight-decay")) c.weight_decay = wd;
#undef SEEN
    if (nb_optim_validate(&c) != NB_OK) return cli_lib_error(CMD);

    nb_lab_traj t;
    if (nb_lab_run(&fn, &c, x0.v, steps, &t)) return cli_lib_error(CMD);
    double pred = nb_lab_predicted_rate(&fn, &c), meas = nb_lab_measured_rate(&fn, &t);
    char kb[160], fb[96], ps[48], ms[48];
    knobs_str(&c, kb, sizeof kb);
    fn_str(&fn, fb, sizeof fb);
    rate_str(pred, ps, sizeof ps);
    rate_str(meas, ms, sizeof ms);
    if (pred > 1) strcat(ps, " — diverges (rate > 1)");
    if (meas > 1) strcat(ms, " — diverges (rate > 1)");
    /* write both files to temporaries first, so an error leaves neither */
    nb_outfile fc = {0}, fs = {0};
    nb_fig *fig = NULL;
    if (csv) {
        if (nb_outfile_open(&fc, csv) != NB_OK) goto lib_fail;
        fprintf(fc.fp, "step,x1,x2,f\n");
        for (int64_t i = 0; i < t.n; i++)
            fprintf(fc.fp, "%lld,%.17g,%.17g,%.17g\n", (long long)i, t.x1[i], t.x2[i], t.f[i]);
    }
    int64_t T = t.n - 1;
    char fs_[32];
    num(t.f[T], 4, fs_, sizeof fs_);
    if (svg) {
        if (!(fig = nb_fig_new(980, 420, 1, 2))) goto lib_fail;
        char title[320], cap[320];
        snprintf(title, sizeof title, "%s (%s convention), %s, on %s", kn, nb_convention_name(conv), kb, fb);
        lab_series ser = {&t, kn, 0, false};
        if (nb_fig_title(fig, title) || lab_draw(fig, 0, &fn, &ser, 1, NULL, NULL)) goto lib_fail;
        snprintf(cap, sizeof cap, "%lld steps%s; final f = %s; rate: predicted %s, measured %s", (long long)T,
                 t.diverged ? " (diverged: stopped at the first inf/nan)" : "", fs_, ps, ms);
        if (nb_fig_caption(fig, cap)) goto lib_fail;
        if (nb_outfile_open(&fs, svg) != NB_OK) goto lib_fail;
        if (nb_fig_write(fig, fs.fp) != NB_OK) {
            nb_fail(NB_EIO, "%s: %s", svg, nb_errmsg()); /* the file and the reason */
            goto lib_fail;
        }
    }
    if (csv && nb_outfile_commit(&fc, false) != NB_OK) goto lib_fail;
    if (svg && nb_outfile_commit(&fs, false) != NB_OK) goto lib_fail;
    nb_fig_free(fig);
    /* the summary is the result without files; beside files it is a report */
    FILE *so = csv || svg ? stderr : stdout;
    if (!quiet) {
        double moved = T > 0 ? hypot(t.x1[T] - t.x1[T - 1], t.x2[T] - t.x2[T - 1]) : 0;
        char c1[40], c2[40], mv[32], x01[32], x02[32];
        fprintf(so, "optimizer  %s (%s convention): %s\n", kn, nb_convention_name(conv), kb);
        fprintf(so, "function   %s, x0 = (%s, %s)\n", fb, num(x0.v[0], 17, x01, sizeof x01), num(x0.v[1], 17, x02, sizeof x02));
        fprintf(so, "steps      %lld%s\n", (long long)T, t.diverged ? " (diverged: stopped at the first inf/nan)" : "");
        double m1 = T > 0 ? fabs(t.x1[T] - t.x1[T - 1]) : 0, m2 = T > 0 ? fabs(t.x2[T] - t.x2[T - 1]) : 0;
        fprintf(so, "final x    (%s, %s)", coord_str(t.x1[T], m1, c1, sizeof c1), coord_str(t.x2[T], m2, c2, sizeof c2));
        if (moved > 0 && isfinite(moved)) fprintf(so, "   (digits down to the last step, %s)", num(moved, 2, mv, sizeof mv));
        fprintf(so, "\nfinal f    %s\n", num(t.f[T], 6, fs_, sizeof fs_));
        if (!fn.rosen) fprintf(so, "predicted rate  %s\n", ps);
        fprintf(so, "measured rate   %s   (||x_T - x*|| / ||x_T0 - x*||)^(1/(T - T0)), T0 = floor(T/2)\n", ms);
    }
    if (t.diverged)
        fprintf(stderr, "nabla optim: note: diverged at step %lld (x = (%g, %g), f = %g); the run stops there\n",
                (long long)T, t.x1[T], t.x2[T], t.f[T]);
    nb_lab_traj_free(&t);
    return 0;
lib_fail:
    r = cli_lib_error(CMD);
    if (fc.fp) nb_outfile_abort(&fc);
    if (fs.fp) nb_outfile_abort(&fs);
    nb_fig_free(fig);
    nb_lab_traj_free(&t);
    return r;
}

/* ---- the handout's figures ------------------------------------------------- */
/* The well-conditioned problem, the ill-conditioned one, and the box they are
 * drawn in. With alpha = 0.2: GD's factors are |1 - 2 alpha a_i| = 0.6, 0.2 on
 * the first, 0.8 and 1.2 on the second (x2 flips sign and grows); alpha = 0.02
 * gives 0.98 and 0.78 (stable, slow along x1). */
static const nb_lab_fn WELL = {false, 1.0, 2.0}, ILL = {false, 0.5, 5.5};
static const double X0[2] = {-2.5, 1.0}, BOX[4] = {-3.0, 3.0, -2.0, 2.0};

typedef struct fig_spec {
    const char *file, *title;
    const nb_lab_fn *fn;
    nb_optim_kind kind;
    double lr, momentum;
    int steps;
} fig_spec;

static int write_fig(const char *dir, const char *file, nb_fig *fig) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (nb_fig_save(fig, path) != NB_OK) return cli_lib_error("figures");
    return 0;
}

/* GD at Figure 2c's small rate: the faint comparison path of Figures 3 and 4. */
static const double GD_SLOW = 0.02;

static int one_figure(const char *dir, const fig_spec *sp) {
    nb_optim_config c = nb_optim_defaults(sp->kind, NB_CONV_HANDOUT);
    c.lr = sp->lr;
    if (sp->momentum > 0) c.momentum = sp->momentum;
    nb_optim_config g = nb_optim_defaults(NB_OPT_GD, NB_CONV_HANDOUT);
    g.lr = GD_SLOW;
    bool compare = sp->fn == &ILL && sp->kind != NB_OPT_GD;
    nb_lab_traj t, tg = {0};
    if (nb_lab_run(sp->fn, &c, X0, sp->steps, &t)) return cli_lib_error(CMD);
    if (compare && nb_lab_run(sp->fn, &g, X0, sp->steps, &tg)) {
        nb_lab_traj_free(&t);
        return cli_lib_error(CMD);
    }
    int r = 0;
    nb_fig *fig = nb_fig_new(980, 420, 1, 2);
    char kb[160], fb[96], title[400], cap[400], ps[32], ms[32], gl[64], a2[32];
    knobs_str(&c, kb, sizeof kb);
    fn_str(sp->fn, fb, sizeof fb);
    snprintf(title, sizeof title, "%s — %s, %s, on %s", sp->title, nb_optim_kind_name(sp->kind), kb, fb);
    rate_str(nb_lab_predicted_rate(sp->fn, &c), ps, sizeof ps);
    rate_str(nb_lab_measured_rate(sp->fn, &t), ms, sizeof ms);
    snprintf(gl, sizeof gl, "gd, α=%s (Figure 2c)", num(GD_SLOW, 6, a2, sizeof a2));
    lab_series ser[2] = {{&t, nb_optim_kind_name(sp->kind), 2, false}, {&tg, gl, 1, true}};
    if (!compare) ser[0].color = 1;
    nb_status s = fig ? nb_fig_title(fig, title) : nb_errcode();
    if (!s) s = lab_draw(fig, 0, sp->fn, ser, compare ? 2 : 1, BOX, NULL);
    if (!s) {
        if (sp->kind == NB_OPT_GD)
            snprintf(cap, sizeof cap, "Linear rate per step: predicted max_i |1 − 2α aᵢ| = %s; measured %s "
                     "(‖x_T‖/‖x_T₀‖)^(1/(T−T₀)), T₀ = ⌊T/2⌋, over %lld steps%s.", ps, ms, (long long)(t.n - 1),
                     t.diverged || nb_lab_predicted_rate(sp->fn, &c) > 1 ? "; diverges (rate > 1)" : "");
        else if (sp->kind == NB_OPT_MOMENTUM)
            snprintf(cap, sizeof cap, "Linear rate per step: predicted (spectral radius of the 2×2 heavy-ball "
                     "iteration, worst direction) %s; measured %s over %lld steps.", ps, ms, (long long)(t.n - 1));
        else
            snprintf(cap, sizeof cap, "RMSProp is not a linear iteration (no predicted rate); measured rate %s "
                     "over %lld steps.", ms, (long long)(t.n - 1));
        s = nb_fig_caption(fig, cap);
    }
    if (!s && compare) {
        char gp[32], gm[32], inv[32];
        rate_str(nb_lab_predicted_rate(&ILL, &g), gp, sizeof gp);
        rate_str(nb_lab_measured_rate(&ILL, &tg), gm, sizeof gm);
        snprintf(cap, sizeof cap, "Faint: GD at α = %s (Figure 2c) over the same steps, rate predicted %s, measured %s; "
                 "GD is stable only for α < 1/a₂ = %s.", a2, gp, gm, num(1 / ILL.a2, 4, inv, sizeof inv));
        s = nb_fig_caption(fig, cap);
    }
    nb_lab_traj_free(&t);
    if (compare) nb_lab_traj_free(&tg);
    if (s) {
        nb_fig_free(fig);
        return cli_lib_error("figures");
    }
    r = write_fig(dir, sp->file, fig);
    nb_fig_free(fig);
    return r;
}

static int all_optimizers(const char *dir) {
    /* each with a learning rate that suits it on the ill-conditioned problem;
     * AdamW with a weight decay, or it would be Adam exactly */
    static const struct { nb_optim_kind k; double lr, m, wd; } runs[] = {
        {NB_OPT_GD, 0.08, 0, 0},      {NB_OPT_MOMENTUM, 0.08, 0.5, 0}, {NB_OPT_NESTEROV, 0.08, 0.5, 0},
        {NB_OPT_RMSPROP, 0.1, 0, 0},  {NB_OPT_ADAGRAD, 0.6, 0, 0},     {NB_OPT_ADAM, 0.15, 0, 0},
        {NB_OPT_ADAMW, 0.15, 0, 1.0},
    };
    enum { N = 7, STEPS = 60 };
    nb_lab_traj t[N];
    lab_series ser[N];
    int r = 0, done = 0;
    nb_fig *fig = nb_fig_new(1040, 460, 1, 2);
    if (!fig) return cli_lib_error("figures");
    nb_status s = nb_fig_title(fig, "All optimizers (handout convention) on the ill-conditioned f = 0.5 x₁² + 5.5 x₂²");
    for (int i = 0; i < N && !r; i++) {
        nb_optim_config c = nb_optim_defaults(runs[i].k, NB_CONV_HANDOUT);
        c.lr = runs[i].lr;
        if (runs[i].m > 0) c.momentum = runs[i].m;
        c.weight_decay = runs[i].wd;
        if (nb_lab_run(&ILL, &c, X0, STEPS, &t[i])) {
            r = cli_lib_error(CMD);
            break;
        }
        done++;
        ser[i] = (lab_series){&t[i], nb_optim_kind_name(runs[i].k), 0, false};
        char kb[160], ps[32], ms[32], fv[32];
        knobs_str(&c, kb, sizeof kb);
        rate_str(nb_lab_predicted_rate(&ILL, &c), ps, sizeof ps);
        rate_str(nb_lab_measured_rate(&ILL, &t[i]), ms, sizeof ms);
        char cap[512];
        snprintf(cap, sizeof cap, "%s (%s): rate predicted %s, measured %s; f after %d steps = %s%s",
                 nb_optim_kind_name(runs[i].k), kb, ps, ms, STEPS, sci(t[i].f[t[i].n - 1], fv, sizeof fv),
                 runs[i].k == NB_OPT_ADAMW ? " (x ← (1 − αλ) x, then Adam's step)" : "");
        if (!s) s = nb_fig_caption(fig, cap);
    }
    if (!r && !s) s = lab_draw(fig, 0, &ILL, ser, N, BOX, "iterates");
    if (!r && s) r = cli_lib_error("figures");
    if (!r) r = write_fig(dir, "optimizers.svg", fig);
    for (int i = 0; i < done; i++) nb_lab_traj_free(&t[i]);
    nb_fig_free(fig);
    return r;
}

int figures_optim(const char *dir) {
    static const fig_spec specs[] = {
        {"fig2a.svg", "Figure 2a: well-conditioned, large α: fast, steady", &WELL, NB_OPT_GD, 0.2, 0, 30},
        {"fig2b.svg", "Figure 2b: ill-conditioned, same α: oscillates and diverges along x₂", &ILL, NB_OPT_GD, 0.2, 0, 14},
        {"fig2c.svg", "Figure 2c: ill-conditioned, small α: stable, slow along x₁", &ILL, NB_OPT_GD, 0.02, 0, 60},
        {"fig3.svg", "Figure 3: momentum fixes it", &ILL, NB_OPT_MOMENTUM, 0.05, 0.7, 50},
        {"fig4.svg", "Figure 4: RMSProp fixes it", &ILL, NB_OPT_RMSPROP, 0.1, 0, 40},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        int r = one_figure(dir, &specs[i]);
        if (r) return r;
    }
    return all_optimizers(dir);
}
