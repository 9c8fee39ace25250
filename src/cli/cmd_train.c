/* nabla train: an MLP or the small CNN on Fashion-MNIST (or any MNIST-format
 * directory), with checkpoints that survive a crash and resume bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "nabla/curvature.h"
#include "nabla/io.h"
#include "nabla/nn.h"
#include "nabla/plot.h"

static const cli_cmd train_cmd = {
    "train",
    "--data fashion-mnist|DIR --model mlp|cnn [--hidden 256,256] [--opt NAME] [--lr A] [--batch B]\n"
    "       [--epochs E] [--seed S] [--threads T] [--shards S] [--save CKPT] [--resume CKPT] [--log CSV] [--svg FILE]\n"
    "       [--sharpness-every N [--sharpness-samples M]]",
    "Trains a classifier with softmax cross-entropy. One line per epoch on stdout; a progress bar on\n"
    "stderr when it is a terminal. --save writes a safetensors checkpoint after every epoch,\n"
    "atomically. --resume CKPT --epochs N continues to a total of N epochs, ending bit-identical to\n"
    "a run never interrupted; the model, optimizer and settings come from the checkpoint (flags\n"
    "that contradict it are an error). The optimizer flags are nabla optim's; the convention\n"
    "defaults to torch here, so '--opt adam' is torch.optim.Adam. A NaN or Inf loss stops\n"
    "training (exit 2) and keeps the last good checkpoint. --log columns:\n"
    "epoch,train_loss,train_acc,test_loss,test_acc,seconds,samples_per_s (seconds and samples/s\n"
    "cover the training loop only). A checkpoint also records the data (its size after --limit\n"
    "and a hash of its labels): resuming on other data, or with another --limit, is an error.\n"
    "SIGINT (Ctrl-C) or SIGTERM stops training: a checkpoint being written is finished, no\n"
    "temporary file is left, the last good checkpoint stays, and nabla exits with one line and\n"
    "status 130 (SIGINT) or 143 (SIGTERM); a second SIGINT stops at once. Limits: --batch\n"
    "1..1048576, --epochs and --warmup 0..1000000, --hidden sizes 1..1048576. Under mpirun -np P (a\n"
    "build with MPI=1) the ranks train one model data-parallel, rank 0 alone printing and writing;\n"
    "with the same --shards S, any P dividing S gives the same bits (README, \"Many processes\").\n"
    "--sharpness-every N measures, every N steps (and before the first), the sharpness: the top\n"
    "eigenvalue of the training loss's Hessian on the first M training samples (--sharpness-samples,\n"
    "default 1000 or all), by Lanczos over exact Hessian-vector products (nabla/curvature.h),\n"
    "warm-started from the last measurement. It adds the columns step,sharpness,two_over_lr to\n"
    "--log, one row per measurement (the epoch's columns empty; epoch rows give their last step and\n"
    "leave these empty), with 2/lr at the rate of the step just taken (gradient descent's stability\n"
    "limit), and a third panel to --svg. Training's bits are the same with or without it; seconds\n"
    "exclude it.",
};

typedef struct train_args {
    const char *data, *model, *opt, *convention, *save, *resume, *log, *svg, *schedule;
    cli_list hidden;
    double lr, momentum, beta, beta1, beta2, eps, weight_decay;
    long batch, epochs, seed, threads, limit, warmup, shards, sharp_every, sharp_samples;
    bool normalize, verbose;
} train_args;

/* ---- output: the per-epoch record, CSV and SVG ------------------------------- */

typedef struct epoch_row {
    long epoch;
    double train_loss, train_acc, test_loss, test_acc, seconds, samples_per_s;
    int64_t step; /* steps done at its end */
} epoch_row;

/* --sharpness-every: one measurement, after `step` steps (in `epoch`; 0 before any) */
typedef struct sharp_row {
    long epoch;
    int64_t step;
    double sharpness, two_over_lr;
} sharp_row;

typedef struct sharp_log {
    sharp_row *rows;
    int n, cap;
} sharp_log;

#define LOG_HEAD "epoch,train_loss,train_acc,test_loss,test_acc,seconds,samples_per_s"
#define LOG_SHARP ",step,sharpness,two_over_lr"

/* The epoch rows, and with sharp (even empty) the measurements among them in step order. */
static nb_status write_log(const char *path, const epoch_row *rows, int n, const sharp_log *sharp) {
    nb_outfile f;
    nb_status s = nb_outfile_open(&f, path);
    if (s) return s;
    fprintf(f.fp, "%s%s\n", LOG_HEAD, sharp ? LOG_SHARP : "");
    int j = 0;
    for (int i = 0; i < n; i++) {
        for (; sharp && j < sharp->n && sharp->rows[j].step <= rows[i].step; j++)
            fprintf(f.fp, "%ld,,,,,,,%lld,%.9g,%.9g\n", sharp->rows[j].epoch, (long long)sharp->rows[j].step,
                    sharp->rows[j].sharpness, sharp->rows[j].two_over_lr);
        fprintf(f.fp, "%ld,%.9g,%.9g,%.9g,%.9g,%.6f,%.1f", rows[i].epoch, rows[i].train_loss, rows[i].train_acc,
                rows[i].test_loss, rows[i].test_acc, rows[i].seconds, rows[i].samples_per_s);
        if (sharp) fprintf(f.fp, ",%lld,,", (long long)rows[i].step);
        fprintf(f.fp, "\n");
    }
    return nb_outfile_commit(&f, false);
}

static bool sharp_add(sharp_log *l, sharp_row r) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        sharp_row *p = realloc(l->rows, (size_t)cap * sizeof *p);
        if (!p) return false;
        l->rows = p, l->cap = cap;
    }
    l->rows[l->n++] = r;
    return true;
}

/* On resume: the rows of epochs 1..upto an earlier run logged (and its
 * measurements up to step `steps`, into sharp when given), so the log and the
 * curves cover the whole run; a missing or foreign file gives none. */
static int read_log(const char *path, epoch_row *rows, int upto, int64_t steps, int64_t per_epoch, sharp_log *sharp) {
    FILE *f = nb_input_fopen(path, NULL);
    if (!f) return 0;
    char line[512];
    int n = 0;
    bool ext = false;
    if (!fgets(line, sizeof line, f) || (strcmp(line, LOG_HEAD "\n") && !(ext = !strcmp(line, LOG_HEAD LOG_SHARP "\n")))) {
        fclose(f);
        return 0;
    }
    epoch_row r;
    sharp_row m;
    long long st;
    int used;
    while (n < upto && fgets(line, sizeof line, f)) {
        if (ext && sscanf(line, "%ld,,,,,,,%lld,%lf,%lf%n", &m.epoch, &st, &m.sharpness, &m.two_over_lr, &used) == 4 &&
            line[used] == '\n') {
            m.step = st;
            if (sharp && m.step <= steps && !sharp_add(sharp, m)) break;
            continue;
        }
        if (sscanf(line, "%ld,%lf,%lf,%lf,%lf,%lf,%lf", &r.epoch, &r.train_loss, &r.train_acc, &r.test_loss, &r.test_acc,
                   &r.seconds, &r.samples_per_s) != 7 || r.epoch != n + 1)
            break;
        r.step = r.epoch * per_epoch;
        rows[n++] = r;
    }
    fclose(f);
    return n;
}

/* The per-epoch points, and the training loss within epochs (curve: x in
 * epochs, ncurve points; this run's only), so that even one epoch draws a
 * curve. Both panels span epoch 0 to the last. With sharp, a third panel:
 * the sharpness against 2/lr (a line that moves with the schedule). */
static nb_status write_svg(const char *path, const epoch_row *rows, int n, const double *cx, const double *cy,
                           int ncurve, const char *title, const sharp_log *sharp, int64_t per_epoch) {
    int ns = sharp ? sharp->n : 0;
    double *x = malloc(sizeof(double) * ((size_t)(n ? n : 1) * 5 + (size_t)ns * 3));
    if (!x) return nb_fail(NB_ENOMEM, "%s: out of memory", path);
    double *trl = x + n, *tel = x + 2 * n, *tra = x + 3 * n, *tea = x + 4 * n;
    double *sx = x + 5 * n, *sy = sx + ns, *sl = sy + ns;
    for (int i = 0; i < n; i++) {
        x[i] = (double)rows[i].epoch;
        trl[i] = rows[i].train_loss;
        tel[i] = rows[i].test_loss;
        tra[i] = rows[i].train_acc;
        tea[i] = rows[i].test_acc;
    }
    for (int i = 0; i < ns; i++) {
        sx[i] = (double)sharp->rows[i].step / (double)per_epoch;
        sy[i] = sharp->rows[i].sharpness, sl[i] = sharp->rows[i].two_over_lr;
    }
    double E = n ? x[n - 1] : 1;
    nb_status s = NB_OK;
    nb_fig *fig = sharp ? nb_fig_new(1200, 340, 1, 3) : nb_fig_new(880, 340, 1, 2);
    if (!fig) s = nb_errcode();
    double lw = n > 1 ? 0 : -1; /* one point: its marker, no line */
    if (!s) s = nb_fig_title(fig, title);
    nb_panel *pl = fig ? nb_fig_panel(fig, 0) : NULL, *pa = fig ? nb_fig_panel(fig, 1) : NULL;
    if (!s) s = nb_panel_labels(pl, "loss", "epoch", "cross-entropy");
    if (!s) s = nb_panel_xlim(pl, -0.04 * E, 1.04 * E);
    if (!s && ncurve > 0)
        s = nb_plot_line(pl, ncurve, cx, cy, "train, within epochs", &(nb_style){.color = 1, .width = 1, .opacity = 0.45});
    if (!s) s = nb_plot_line(pl, n, x, trl, "train (epoch mean)", &(nb_style){.color = 1, .marker = NB_MARKER_CIRCLE, .width = lw});
    if (!s) s = nb_plot_line(pl, n, x, tel, "test", &(nb_style){.color = 2, .marker = NB_MARKER_CIRCLE, .width = lw});
    if (!s) s = nb_panel_labels(pa, "accuracy", "epoch", "accuracy");
    if (!s) s = nb_panel_xlim(pa, -0.04 * E, 1.04 * E);
    if (!s) s = nb_panel_legend(pa, NB_LEGEND_SE);
    if (!s) s = nb_plot_line(pa, n, x, tra, "train", &(nb_style){.color = 1, .marker = NB_MARKER_CIRCLE, .width = lw});
    if (!s) s = nb_plot_line(pa, n, x, tea, "test", &(nb_style){.color = 2, .marker = NB_MARKER_CIRCLE, .width = lw});
    if (!s && sharp) {
        nb_panel *ps = nb_fig_panel(fig, 2);
        s = nb_panel_labels(ps, "sharpness", "epoch", "top Hessian eigenvalue");
        if (!s) s = nb_panel_xlim(ps, -0.04 * E, 1.04 * E);
        bool pos = true; /* log y (2/lr is often far above the sharpness) when it can be */
        for (int i = 0; i < ns; i++) pos = pos && sy[i] > 0 && sl[i] > 0;
        if (!s && pos) s = nb_panel_scale(ps, false, true);
        if (!s) s = nb_plot_line(ps, ns, sx, sy, "sharpness", &(nb_style){.color = 3, .marker = NB_MARKER_CIRCLE, .width = -1});
        if (!s) s = nb_plot_line(ps, ns, sx, sl, "2/lr", &(nb_style){.color = 4, .dash = 1, .width = 1});
    }
    if (!s) s = nb_fig_save(fig, path);
    nb_fig_free(fig);
    free(x);
    return s;
}

/* ---- the progress bar, the loss curve, the loss warning ------------------------ */

/* A loss as a person reads it: fixed point while that is short, %g beyond
 * (a diverging run's 1.4e+10, not 14000000000.0000). */
static const char *loss_str(double v, char *buf, size_t n) {
    if (fabs(v) < 1e5) snprintf(buf, n, "%.4f", v);
    else snprintf(buf, n, "%.4g", v);
    return buf;
}

/* The terminal's width in columns (80 when it does not say). */
static int term_width(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int w = c ? atoi(c) : 0;
    return w > 0 ? w : 80;
}

typedef struct progress {
    bool on;
    long epoch, epochs;
    int64_t batch, nsamples;
    double last;
    /* the loss curve: per-batch losses averaged over windows of `window` steps */
    double prev_sum, win_sum;
    int64_t window, win_n;
    double *cx, *cy;
    int ncurve, cap;
    /* the warning on a loss that grows 100x over its start */
    double start;
    bool warned;
    /* --sharpness-every: the tracker (NULL: off), its log, time spent, a failure */
    nb_sharpness *sharp;
    const nb_trainer *t;
    int64_t sharp_every;
    sharp_log slog;
    double sharp_seconds;
    nb_status sharp_st;
} progress;

/* "epoch 2/5 [####....] 12/469  loss 0.1234  ..." with a bar of `bar` chars. */
static int bar_line(char *line, size_t n, const char *head, double frac, int bar, const char *const *fields, int nf) {
    char b[32];
    int done = (int)(bar * frac);
    for (int i = 0; i < bar; i++) b[i] = i < done ? '#' : '.';
    b[bar] = '\0';
    int k = snprintf(line, n, "%s [%s]", head, b);
    for (int i = 0; i < nf && k >= 0 && (size_t)k < n; i++) k += snprintf(line + k, n - (size_t)k, "%s%s", i ? "  " : " ", fields[i]);
    return (int)strlen(line);
}

/* The line fitted to a terminal w columns wide: whole fields go first
 * (samples/s, then the ETA, then the step count), then the bar shortens;
 * the line never reaches the last column, so the terminal never wraps it
 * and \r redraws it in place. */
static void fit_line(char *line, size_t n, int w, const char *head, double frac, const char *count, const char *loss,
                     const char *speed, const char *eta) {
    const char *sets[4][4] = {{count, loss, speed, eta}, {count, loss, eta}, {count, loss}, {loss}};
    int room = w - 1;
    for (int i = 0; i < 4; i++)
        if (bar_line(line, n, head, frac, 24, sets[i], 4 - i) <= room) return;
    int over = bar_line(line, n, head, frac, 0, sets[3], 1) - room;
    bar_line(line, n, head, frac, over < 0 ? -over : 0, sets[3], 1);
    if (room >= 0 && (size_t)room < n && (int)strlen(line) > room) line[room] = '\0';
}

static void curve_add(progress *p, double x, double y) {
    if (p->ncurve == p->cap) {
        int cap = p->cap ? 2 * p->cap : 256;
        double *cx = realloc(p->cx, (size_t)cap * sizeof *cx), *cy = cx ? realloc(p->cy, (size_t)cap * sizeof *cy) : NULL;
        if (cx) p->cx = cx;
        if (cy) p->cy = cy;
        if (!cx || !cy) return; /* a shorter curve, not a failed run */
        p->cap = cap;
    }
    p->cx[p->ncurve] = x, p->cy[p->ncurve++] = y;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A measurement after the trainer's steps so far (between steps: the weights hold still). */
static void measure_sharpness(progress *p, int64_t per_epoch) {
    if (p->sharp_st) return;
    const nb_trainer *t = p->t;
    double t0 = now_s(), top;
    nb_status st = nb_sharpness_measure(p->sharp, &top);
    double lr = nb_train_lr(&t->cfg, t->step ? t->step - 1 : 0, per_epoch);
    sharp_row r = {(long)((t->step + per_epoch - 1) / per_epoch), t->step, top, 2 / lr};
    if (!st && !sharp_add(&p->slog, r)) st = nb_fail(NB_ENOMEM, "--sharpness-every: out of memory");
    p->sharp_st = st;
    p->sharp_seconds += now_s() - t0;
}

static void on_step(void *user, int64_t step, int64_t nsteps, double loss, double seconds) {
    progress *p = user;
    if (p->sharp && p->t->step % p->sharp_every == 0) measure_sharpness(p, nsteps);
    seconds -= p->sharp_seconds; /* the epoch's training alone */
    /* the batch's own loss, from the epoch's running mean */
    int64_t seen = step < nsteps ? step * p->batch : p->nsamples;
    double sum = loss * (double)seen, bl = (sum - p->prev_sum) / (double)(seen - (step - 1) * p->batch);
    p->prev_sum = step < nsteps ? sum : 0;
    if (step == 1 && p->epoch > 0 && !(p->start > 0)) p->start = bl;
    p->win_sum += bl, p->win_n++;
    if (p->win_n == p->window || step == nsteps) {
        curve_add(p, (double)(p->epoch - 1) + (double)step / (double)nsteps, p->win_sum / (double)p->win_n);
        p->win_sum = 0, p->win_n = 0;
    }
    if (!p->warned && p->start > 0 && loss > 100 * p->start && isfinite(loss)) {
        char a[32], b[32];
        p->warned = true;
        fprintf(stderr, "%snabla train: warning: the loss grew from %s to %s (more than 100x) by step %lld of epoch %ld; "
                "the learning rate may be too large\n", p->on ? "\r\033[K" : "", loss_str(p->start, a, sizeof a),
                loss_str(loss, b, sizeof b), (long long)step, p->epoch);
    }
    if (!p->on || (seconds - p->last < 0.1 && step < nsteps)) return;
    p->last = seconds;
    char head[64], ls[48], count[48], speed[48], eta[32], lb[32], line[256];
    double rate = seconds > 0 ? (double)(step * p->batch) / seconds : 0;
    snprintf(head, sizeof head, "epoch %ld/%ld", p->epoch, p->epochs);
    snprintf(ls, sizeof ls, "loss %s", loss_str(loss, lb, sizeof lb));
    snprintf(count, sizeof count, "%lld/%lld", (long long)step, (long long)nsteps);
    snprintf(speed, sizeof speed, "%.0f samples/s", rate);
    snprintf(eta, sizeof eta, "ETA %.1fs", step > 0 ? seconds * (double)(nsteps - step) / (double)step : 0);
    fit_line(line, sizeof line, term_width(), head, (double)step / (double)nsteps, count, ls, speed, eta);
    fprintf(stderr, "\r\033[K%s", line);
    if (step == nsteps) fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

/* ---- the command ------------------------------------------------------------------ */

/* Fails now, not after an hour of training, if an output cannot be written:
 * a directory in the way, or a folder that does not exist or refuses files. */
static int check_output(const char *flag, const char *path) {
    struct stat st;
    if (!path) return CLI_OK;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return cli_error("train", "--%s: %s is a directory", flag, path);
    nb_outfile f;
    if (nb_outfile_open(&f, path)) return cli_error("train", "--%s: %s", flag, nb_errmsg());
    nb_outfile_abort(&f);
    return CLI_OK;
}

/* Two outputs on one file, or an output over an input (a data file, the
 * checkpoint resumed from unless it is --save's), before anything is written. */
static int check_files(const train_args *a) {
    const cli_file outs[] = {{"save", a->save, "resume"}, {"log", a->log, NULL}, {"svg", a->svg, NULL}};
    cli_file ins[9] = {{"resume", a->resume, NULL}};
    static const char *const names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                        "t10k-labels-idx1-ubyte"};
    char paths[8][4096];
    const char *dir = a->data ? nb_dataset_dir(a->data) : NULL;
    for (int i = 0; dir && i < 8; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s%s", dir, names[i / 2], i % 2 ? ".gz" : "");
        ins[1 + i] = (cli_file){"data", paths[i], NULL};
    }
    return cli_check_files("train", outs, 3, ins, dir ? 9 : 1);
}

/* On resume: the data must be what the checkpoint was trained on, and its
 * step count what that data gives (a forged step would run past the run). */
static int check_resume_data(const train_args *a, const nb_trainer *t, const nb_data_id *id) {
    const nb_data_id *was = &t->data;
    if (was->samples && (was->samples != id->samples || was->labels_hash != id->labels_hash))
        return cli_error("train", "--data %s: %lld training samples (labels hash %016llx), but %s was trained on %lld (labels hash %016llx)",
                         a->data, (long long)id->samples, (unsigned long long)id->labels_hash, a->resume,
                         (long long)was->samples, (unsigned long long)was->labels_hash);
    int64_t per_epoch = (id->samples + t->cfg.batch - 1) / t->cfg.batch;
    if (t->step != t->epoch * per_epoch)
        return cli_error("train", "%s: step %lld does not fit epoch %lld of %lld steps each", a->resume,
                         (long long)t->step, (long long)t->epoch, (long long)per_epoch);
    return CLI_OK;
}

static int load_data(const char *data, long limit, nb_dataset *train, nb_dataset *test) {
    const char *dir = nb_dataset_dir(data);
    struct stat st;
    if (strcmp(data, "fashion-mnist") == 0 && stat(dir, &st) != 0)
        return cli_error("train", "--data fashion-mnist: %s is missing (apt-get install dataset-fashion-mnist)", dir);
    if (nb_dataset_load(train, dir, "train")) return cli_lib_error("train");
    if (nb_dataset_load(test, dir, "t10k")) {
        nb_dataset_free(train);
        return cli_lib_error("train");
    }
    if (limit > 0) {
        nb_dataset_limit(train, limit);
        nb_dataset_limit(test, limit);
    }
    return CLI_OK;
}

/* The model the flags describe (kind from --model or, if absent, fallback). */
static int desc_from_flags(const train_args *a, cli_opt *opts, int nopts, nb_model_kind fallback, nb_model_desc *d) {
    nb_model_kind kind = fallback;
    if (cli_find(opts, nopts, "model")->seen && nb_model_kind_parse(a->model, &kind))
        return cli_error("train", "--model: unknown model '%s' (expected mlp or cnn)", a->model);
    bool hseen = cli_find(opts, nopts, "hidden")->seen;
    if (kind == NB_MODEL_CNN) {
        if (hseen) return cli_error("train", "--hidden applies to --model mlp only");
        *d = nb_cnn_desc();
        return CLI_OK;
    }
    int64_t h[NB_MAX_HIDDEN];
    int n = 2;
    h[0] = h[1] = 256;
    if (hseen) {
        if (a->hidden.n > NB_MAX_HIDDEN)
            return cli_error("train", "--hidden: %d layers, at most %d", a->hidden.n, NB_MAX_HIDDEN);
        n = a->hidden.n;
        for (int i = 0; i < n; i++) {
            if (a->hidden.v[i] < 1 || a->hidden.v[i] > (1 << 20))
                return cli_error("train", "--hidden: size %g is not in 1..%d", a->hidden.v[i], 1 << 20);
            h[i] = (int64_t)a->hidden.v[i];
        }
    }
    *d = nb_mlp_desc(n, h);
    return CLI_OK;
}

/* The optimizer the flags describe: defaults of --opt under --convention, then each knob given. */
static int optim_from_flags(const train_args *a, cli_opt *opts, int nopts, nb_optim_config *c) {
    nb_optim_kind kind = NB_OPT_ADAM;
    nb_convention conv = NB_CONV_TORCH;
    if (cli_find(opts, nopts, "opt")->seen && nb_optim_kind_parse(a->opt, &kind))
        return cli_error("train", "--opt: %s", nb_errmsg());
    if (cli_find(opts, nopts, "convention")->seen && nb_convention_parse(a->convention, &conv))
        return cli_error("train", "--convention: %s", nb_errmsg());
    /* torch.optim.SGD with momentum is the heavy ball */
    if (kind == NB_OPT_GD && cli_find(opts, nopts, "momentum")->seen && a->momentum > 0) kind = NB_OPT_MOMENTUM;
    *c = nb_optim_defaults(kind, conv);
    if (cli_find(opts, nopts, "lr")->seen) c->lr = a->lr;
    if (cli_find(opts, nopts, "momentum")->seen) c->momentum = a->momentum;
    if (cli_find(opts, nopts, "beta")->seen) c->beta = a->beta;
    if (cli_find(opts, nopts, "beta1")->seen) c->beta1 = a->beta1;
    if (cli_find(opts, nopts, "beta2")->seen) c->beta2 = a->beta2;
    if (cli_find(opts, nopts, "eps")->seen) c->eps = a->eps;
    if (cli_find(opts, nopts, "weight-decay")->seen) c->weight_decay = a->weight_decay;
    if (nb_optim_validate(c)) return cli_error("train", "%s", nb_errmsg());
    return CLI_OK;
}

/* On resume: every flag given must agree with the checkpoint. */
static int check_resume(const train_args *a, cli_opt *opts, int nopts, const nb_trainer *t) {
    const char *ck = a->resume;
    char have[128], want[128];
    const nb_model_desc *hd = &t->model->desc;
    if (cli_find(opts, nopts, "model")->seen || cli_find(opts, nopts, "hidden")->seen) {
        nb_model_desc d;
        if (desc_from_flags(a, opts, nopts, hd->kind, &d) != CLI_OK) return CLI_ERR;
        if (!nb_model_desc_equal(&d, hd))
            return cli_error("train", "%s holds a different model: %s, not the %s asked for", ck,
                             nb_model_desc_str(hd, have, sizeof have), nb_model_desc_str(&d, want, sizeof want));
    }
    const nb_optim_config *oc = nb_optim_get_config(t->opt);
    if (cli_find(opts, nopts, "opt")->seen) {
        nb_optim_kind k;
        if (nb_optim_kind_parse(a->opt, &k)) return cli_error("train", "--opt: %s", nb_errmsg());
        if (k == NB_OPT_GD && oc->kind == NB_OPT_MOMENTUM) k = NB_OPT_MOMENTUM;
        if (k != oc->kind)
            return cli_error("train", "%s was trained with %s, not --opt %s", ck, nb_optim_kind_name(oc->kind), a->opt);
    }
    const struct {
        const char *flag;
        double given, held;
    } nums[] = {
        {"lr", a->lr, oc->lr},
        {"momentum", a->momentum, oc->momentum},
        {"beta", a->beta, oc->beta},
        {"beta1", a->beta1, oc->beta1},
        {"beta2", a->beta2, oc->beta2},
        {"eps", a->eps, oc->eps},
        {"weight-decay", a->weight_decay, oc->weight_decay},
        {"batch", (double)a->batch, (double)t->cfg.batch},
        {"seed", (double)a->seed, (double)t->cfg.seed},
        {"warmup", (double)a->warmup, (double)t->cfg.warmup},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (cli_find(opts, nopts, nums[i].flag)->seen && nums[i].given != nums[i].held)
            return cli_error("train", "--%s %.17g contradicts %s, which holds %.17g", nums[i].flag, nums[i].given, ck,
                             nums[i].held);
    if (cli_find(opts, nopts, "convention")->seen && strcmp(a->convention, nb_convention_name(oc->convention)) != 0)
        return cli_error("train", "--convention %s contradicts %s, which holds %s", a->convention, ck,
                         nb_convention_name(oc->convention));
    if (cli_find(opts, nopts, "schedule")->seen && strcmp(a->schedule, nb_lr_schedule_name(t->cfg.schedule)) != 0)
        return cli_error("train", "--schedule %s contradicts %s, which holds %s", a->schedule, ck,
                         nb_lr_schedule_name(t->cfg.schedule));
    /* a cosine schedule spans the planned epochs: another total is another schedule */
    if (t->cfg.schedule == NB_LR_COSINE && cli_find(opts, nopts, "epochs")->seen && a->epochs != t->cfg.epochs)
        return cli_error("train", "--epochs %ld contradicts %s, whose cosine schedule spans %lld epochs", a->epochs, ck,
                         (long long)t->cfg.epochs);
    if (cli_find(opts, nopts, "limit")->seen && a->limit != t->data.limit) {
        if (t->data.limit) return cli_error("train", "--limit %ld contradicts %s, which holds --limit %lld", a->limit, ck,
                                            (long long)t->data.limit);
        return cli_error("train", "--limit %ld contradicts %s, which was trained on all the samples (no --limit)",
                         a->limit, ck);
    }
    if (a->normalize && t->cfg.norm.mean == 0.0f && t->cfg.norm.std == 1.0f)
        return cli_error("train", "--normalize contradicts %s, which was trained on plain [0,1] pixels", ck);
    /* S fixes the order of the gradient's sum: another S would not continue the same run */
    if (cli_find(opts, nopts, "shards")->seen && t->cfg.shards && a->shards != t->cfg.shards)
        return cli_error("train", "--shards %ld contradicts %s, which was trained with --shards %d", a->shards, ck,
                         t->cfg.shards);
    if (t->cfg.shards % nb_dist_size())
        return cli_error("train", "%s was trained with --shards %d, which %d processes cannot share: run on a number "
                         "of processes that divides it", ck, t->cfg.shards, nb_dist_size());
    return CLI_OK;
}

int cmd_train(int argc, char **argv) {
    train_args a;
    memset(&a, 0, sizeof a);
    a.batch = 128;
    a.epochs = 5;
    a.threads = 0;
    a.schedule = "constant";
    a.sharp_samples = 1000;
    cli_opt opts[] = {
        {"data", CLI_STR, &a.data, "DIR", "fashion-mnist (Debian's dataset-fashion-mnist) or an MNIST-format directory", false},
        {"model", CLI_STR, &a.model, "M", "mlp or cnn", false},
        {"hidden", CLI_INTS, &a.hidden, "H1,H2", "MLP hidden sizes (default 256,256)", false},
        {"opt", CLI_STR, &a.opt, "NAME", "gd|sgd|momentum|nesterov|rmsprop|adagrad|adam|adamw (default adam)", false},
        {"lr", CLI_DOUBLE, &a.lr, "A", "learning rate (default: the optimizer's)", false},
        {"momentum", CLI_DOUBLE, &a.momentum, "M", "momentum (sgd with --momentum > 0 is the heavy ball)", false},
        {"beta", CLI_DOUBLE, &a.beta, "B", "RMSprop decay / Adagrad factor", false},
        {"beta1", CLI_DOUBLE, &a.beta1, "B1", "Adam beta1", false},
        {"beta2", CLI_DOUBLE, &a.beta2, "B2", "Adam beta2", false},
        {"eps", CLI_DOUBLE, &a.eps, "E", "epsilon", false},
        {"weight-decay", CLI_DOUBLE, &a.weight_decay, "W", "weight decay (decoupled for adamw)", false},
        {"convention", CLI_STR, &a.convention, "C", "handout or torch (default torch)", false},
        {"batch", CLI_INT, &a.batch, "B", "minibatch size (default 128)", false},
        {"epochs", CLI_INT, &a.epochs, "E", "total epochs (default 5)", false},
        {"seed", CLI_INT, &a.seed, "S", "seed of the initialisation and the data order (default 0)", false},
        {"threads", CLI_INT, &a.threads, "T", "threads (default: all cores); results do not depend on it", false},
        {"schedule", CLI_STR, &a.schedule, "S", "learning rate per step: constant or cosine (to 0)", false},
        {"warmup", CLI_INT, &a.warmup, "E", "epochs of linear warm-up (default 0)", false},
        {"shards", CLI_INT, &a.shards, "S", "cut each batch into S shards summed in a fixed tree: the same bits on any "
         "number of processes dividing S (default: mlp 1, cnn 2, rounded up to a multiple of the processes; without "
         "it one process keeps its own split); kept in the checkpoint, and a resume keeps it", false},
        {"normalize", CLI_FLAG, &a.normalize, NULL, "standardise pixels by the training set's mean and std", false},
        {"verbose", CLI_FLAG, &a.verbose, NULL, "under mpirun: each epoch, how long rank 0's steps waited for the "
         "gradient's exchange after their backward", false},
        {"limit", CLI_INT, &a.limit, "N", "use only the first N training and N test samples", false},
        {"save", CLI_STR, &a.save, "CKPT", "write a checkpoint after every epoch (atomic)", false},
        {"resume", CLI_STR, &a.resume, "CKPT", "continue from a checkpoint to a total of --epochs", false},
        {"log", CLI_STR, &a.log, "CSV", "per-epoch CSV", false},
        {"svg", CLI_STR, &a.svg, "FILE", "learning curves", false},
        {"sharpness-every", CLI_INT, &a.sharp_every, "N", "measure the sharpness every N steps (default: never)", false},
        {"sharpness-samples", CLI_INT, &a.sharp_samples, "M", "training samples it is measured on (default 1000, or all if fewer)", false},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    int rc = cli_parse(&train_cmd, argc, argv, opts, nopts);
    if (rc == CLI_HELP) return 0;
    if (rc != CLI_OK) return rc;
    if (!a.data) return cli_error("train", "--data is required (fashion-mnist or a directory)");
    if (!a.resume && !cli_find(opts, nopts, "model")->seen) return cli_error("train", "--model is required (mlp or cnn)");
    if (a.batch < 1 || a.batch > NB_MAX_BATCH)
        return cli_error("train", "--batch %ld: must be in 1..%lld", a.batch, (long long)NB_MAX_BATCH);
    if (a.epochs < 0 || a.epochs > NB_MAX_EPOCHS)
        return cli_error("train", "--epochs %ld: must be in 0..%lld", a.epochs, (long long)NB_MAX_EPOCHS);
    if (a.seed < 0) return cli_error("train", "--seed %ld: must be at least 0", a.seed);
    if (a.threads < 0) return cli_error("train", "--threads %ld: must be at least 0 (0: all cores)", a.threads);
    if (a.warmup < 0 || a.warmup > NB_MAX_EPOCHS)
        return cli_error("train", "--warmup %ld: must be in 0..%lld", a.warmup, (long long)NB_MAX_EPOCHS);
    if (cli_find(opts, nopts, "limit")->seen && (a.limit < 1 || a.limit > (1L << 40)))
        return cli_error("train", "--limit %ld: must be in 1..%ld", a.limit, 1L << 40);
    if (cli_find(opts, nopts, "shards")->seen && (a.shards < 1 || a.shards > 4096 || a.shards % nb_dist_size()))
        return cli_error("train", "--shards %ld: must be a multiple of the %d processes in 1..4096", a.shards,
                         nb_dist_size());
    if (cli_find(opts, nopts, "sharpness-every")->seen && (a.sharp_every < 1 || a.sharp_every > 1000000000L))
        return cli_error("train", "--sharpness-every %ld: must be in 1..1000000000 (steps)", a.sharp_every);
    if (cli_find(opts, nopts, "sharpness-samples")->seen && !a.sharp_every)
        return cli_error("train", "--sharpness-samples needs --sharpness-every");
    if (a.sharp_samples < 1 || a.sharp_samples > 1000000)
        return cli_error("train", "--sharpness-samples %ld: must be in 1..1000000", a.sharp_samples);
    if (a.sharp_every && !a.log && !a.svg)
        return cli_error("train", "--sharpness-every: give --log or --svg to record it in");
    if (nb_dist_rank() > 0) a.save = a.log = a.svg = NULL, a.sharp_every = 0; /* rank 0 writes (and measures) */
    nb_lr_schedule sched;
    if (nb_lr_schedule_parse(a.schedule, &sched)) return cli_error("train", "--schedule: %s", nb_errmsg());
    if (check_files(&a) || check_output("save", a.save) || check_output("log", a.log) || check_output("svg", a.svg))
        return CLI_ERR;
    cli_interrupt_install("train");
    if (a.resume) cli_interrupt_note("; %s is as it was", a.resume);
    if (a.threads > 0) nb_set_threads((int)a.threads);

    nb_trainer *t = NULL;
    nb_train_config cfg = nb_train_defaults();
    nb_model_desc desc;
    if (a.resume) {
        t = nb_checkpoint_load(a.resume);
        if (!t) return cli_lib_error("train");
        if (check_resume(&a, opts, nopts, t) != CLI_OK) {
            nb_trainer_free(t);
            return CLI_ERR;
        }
        if (cli_find(opts, nopts, "epochs")->seen) t->cfg.epochs = a.epochs;
        if (t->cfg.epochs < t->epoch) {
            rc = cli_error("train", "%s is at epoch %lld already, past --epochs %lld", a.resume, (long long)t->epoch,
                           (long long)t->cfg.epochs);
            nb_trainer_free(t);
            return rc;
        }
    } else {
        if (desc_from_flags(&a, opts, nopts, NB_MODEL_MLP, &desc) != CLI_OK) return CLI_ERR;
        if (optim_from_flags(&a, opts, nopts, &cfg.optim) != CLI_OK) return CLI_ERR;
        cfg.batch = a.batch;
        cfg.epochs = a.epochs;
        cfg.seed = (uint64_t)a.seed;
        cfg.schedule = sched;
        cfg.warmup = a.warmup;
    }

    if (t && !cli_find(opts, nopts, "limit")->seen) a.limit = (long)t->data.limit; /* as the run began */
    nb_dataset train, test;
    if (load_data(a.data, a.limit, &train, &test) != CLI_OK) {
        nb_trainer_free(t);
        return CLI_ERR;
    }
    nb_data_id id = {train.n, a.limit, nb_dataset_hash(&train)};
    if (t && (rc = check_resume_data(&a, t, &id)) != CLI_OK) goto done;
    if (!t) {
        if (a.normalize) cfg.norm = nb_dataset_stats(&train);
        t = nb_trainer_new(&desc, &cfg);
        if (!t) {
            rc = cli_lib_error("train");
            goto done;
        }
        t->data = id;
    }
    if (!a.resume || cli_find(opts, nopts, "shards")->seen) t->cfg.shards = (int)a.shards; /* else the checkpoint's */
    char dstr[128];
    nb_model_desc_str(&t->model->desc, dstr, sizeof dstr);
    const nb_optim_config *oc = nb_optim_get_config(t->opt);
    if (train.rows != t->model->desc.height || train.cols != t->model->desc.width) {
        rc = cli_error("train", "%s: images are %dx%d, the model (%s) takes %dx%d", nb_dataset_dir(a.data), train.rows,
                       train.cols, dstr, t->model->desc.height, t->model->desc.width);
        goto done;
    }

    if (a.resume && t->epoch == t->cfg.epochs) {
        printf("# %s is at epoch %lld of %lld: nothing to train\n", a.resume, (long long)t->epoch,
               (long long)t->cfg.epochs);
        rc = 0;
        goto done;
    }
    int cap = (int)t->cfg.epochs + 1;
    epoch_row *rows = calloc((size_t)cap, sizeof *rows);
    progress pr = {.on = cli_stderr_is_tty(), .epochs = (long)t->cfg.epochs, .batch = t->cfg.batch, .nsamples = train.n,
                   .t = t, .sharp_every = a.sharp_every};
    nb_sharpness sharp = {0};
    int64_t nsteps = (train.n + t->cfg.batch - 1) / t->cfg.batch;
    int nrows = 0;
    if (!rows) {
        rc = cli_error("train", "out of memory");
        goto done;
    }
    rc = CLI_OK; /* rank 0 alone measures (the others' sharp_every is 0): a failure here is agreed below */
    if (!cli_find(opts, nopts, "sharpness-samples")->seen && a.sharp_samples > train.n) a.sharp_samples = (long)train.n;
    if (a.sharp_every && a.sharp_samples > train.n)
        rc = cli_error("train", "--sharpness-samples %ld: there are %lld training samples", a.sharp_samples,
                       (long long)train.n);
    else if (a.sharp_every && nb_sharpness_init(&sharp, t->model, &train, &t->cfg.norm, a.sharp_samples, t->cfg.seed))
        rc = cli_lib_error("train");
    else if (a.sharp_every) pr.sharp = &sharp;
    if (a.resume && a.log) nrows = read_log(a.log, rows, (int)t->epoch, t->step, nsteps, pr.sharp ? &pr.slog : NULL);
    if (nb_dist_agree(rc ? NB_EINVAL : NB_OK)) { /* a rank could not start: it says why */
        rc = CLI_ERR;
        goto free_rows;
    }
    /* the optimizer as the user named it (sgd and gd are one kind) */
    nb_optim_kind named;
    const char *oname = a.opt && !nb_optim_kind_parse(a.opt, &named) && named == oc->kind ? a.opt
                                                                                      : nb_optim_kind_name(oc->kind);
    char title[256];
    snprintf(title, sizeof title, "%s, %s lr %g, batch %lld", dstr, oname, oc->lr, (long long)t->cfg.batch);
    printf("# %s, %s (lr %g), batch %lld, %lld train / %lld test samples, epochs %lld..%lld, %d threads\n", dstr,
           oname, oc->lr, (long long)t->cfg.batch, (long long)train.n, (long long)test.n,
           (long long)t->epoch + 1, (long long)t->cfg.epochs, nb_get_threads());
    fflush(stdout);
    if (a.save && t->cfg.epochs == t->epoch && !a.resume) { /* --epochs 0: the initialised model */
        cli_interrupt_hold();
        rc = nb_checkpoint_save(t, a.save) ? cli_lib_error("train") : 0;
        int sig = cli_interrupt_release();
        if (rc || sig) {
            rc = sig ? sig : rc;
            goto free_rows;
        }
    }
    if (pr.sharp && t->step == 0) measure_sharpness(&pr, nsteps); /* where training starts */
    /* about 400 points on the loss curve of this run */
    pr.window = nsteps * (t->cfg.epochs - t->epoch) / 400;
    if (pr.window < 1) pr.window = 1;
    long saved = -1; /* the epoch this run last wrote to --save */
    while (t->epoch < t->cfg.epochs) {
        nb_epoch_stats st;
        pr.epoch = (long)t->epoch + 1;
        pr.last = -1;
        pr.prev_sum = pr.win_sum = 0, pr.win_n = 0;
        pr.sharp_seconds = 0;
        nb_status s = nb_train_epoch(t, &train, &st, on_step, &pr);
        if (!s && pr.sharp_st) { /* a measurement failed: its message */
            nb_fail(pr.sharp_st, "--sharpness-every: %s", nb_errmsg());
            rc = cli_lib_error("train");
            goto free_rows;
        }
        if (s) {
            if (pr.on) fprintf(stderr, "\r\033[K");
            /* say what the checkpoint file holds, not what we wish it held */
            if (s == NB_ENUM && a.save && saved >= 0)
                rc = cli_error("train", "%s; stopped: %s holds epoch %ld, the last good one", nb_errmsg(), a.save, saved);
            else if (s == NB_ENUM && a.save && a.resume && strcmp(a.save, a.resume) == 0)
                rc = cli_error("train", "%s; stopped: %s still holds epoch %ld, where this run resumed", nb_errmsg(),
                               a.save, pr.epoch - 1);
            else if (s == NB_ENUM && a.save)
                rc = cli_error("train", "%s; stopped before any epoch finished: no checkpoint was written to %s",
                               nb_errmsg(), a.save);
            else if (s == NB_ENUM)
                rc = cli_error("train", "%s; stopped (no --save, so no checkpoint)", nb_errmsg());
            else rc = cli_lib_error("train");
            goto free_rows;
        }
        double tl, ta;
        /* the training batch (at least 64): the arena already holds a step of that size */
        if (nb_evaluate(t->model, t->ctx, &test, &t->cfg.norm, t->cfg.batch > 64 ? t->cfg.batch : 64, &tl, &ta)) {
            rc = cli_lib_error("train");
            goto free_rows;
        }
        double secs = st.seconds - pr.sharp_seconds; /* training alone */
        epoch_row r = {(long)t->epoch, st.loss, st.acc, tl, ta, secs, pr.sharp_seconds > 0 ? (double)train.n / secs : st.samples_per_s,
                       t->step};
        rows[nrows++] = r;
        char l1[32], l2[32];
        printf("epoch %ld/%lld  train_loss %s  train_acc %.4f  test_loss %s  test_acc %.4f  %.2f s  %.0f samples/s\n",
               r.epoch, (long long)t->cfg.epochs, loss_str(r.train_loss, l1, sizeof l1), r.train_acc,
               loss_str(r.test_loss, l2, sizeof l2), r.test_acc, r.seconds, r.samples_per_s);
        if (a.verbose && st.exchange_s > 0) /* what overlap left exposed, of the exchange's whole span */
            printf("# exchange: %.3f ms/step waited after the backward, %.3f ms/step from the first bucket's start to "
                   "the last one's end\n", 1e3 * st.exchange_wait_s / (double)st.steps, 1e3 * st.exchange_s / (double)st.steps);
        fflush(stdout);
        cli_interrupt_hold(); /* a signal now waits for the files to be complete */
        const sharp_log *sl = pr.sharp ? &pr.slog : NULL;
        rc = (a.save && nb_checkpoint_save(t, a.save)) || (a.log && write_log(a.log, rows, nrows, sl)) ||
                     (a.svg && write_svg(a.svg, rows, nrows, pr.cx, pr.cy, pr.ncurve, title, sl, nsteps))
                 ? cli_lib_error("train")
                 : 0;
        if (a.save && !rc) cli_interrupt_note("; %s holds epoch %lld", a.save, (long long)t->epoch);
        int sig = cli_interrupt_release();
        if (rc || sig) {
            rc = sig ? sig : rc;
            goto free_rows;
        }
        if (a.save) saved = r.epoch;
    }
    rc = 0;
free_rows:
    free(pr.cx);
    free(pr.cy);
    free(pr.slog.rows);
    nb_sharpness_free(&sharp);
    free(rows);
done:
    nb_trainer_free(t);
    nb_dataset_free(&train);
    nb_dataset_free(&test);
    return rc;
}
