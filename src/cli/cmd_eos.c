/* nabla eos: the edge-of-stability lab (Cohen et al. 2021, Figure 1). Full-
 * batch gradient descent on a fixed Fashion-MNIST subset with a tanh MLP and
 * the square loss; every few steps the sharpness (the loss Hessian's top
 * eigenvalue, by Lanczos over exact Hessian-vector products) against 2/lr,
 * the handout's stability limit for gradient descent on a quadratic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "nabla/curvature.h"
#include "nabla/io.h"

enum { MAXLAYER = NB_MAX_HIDDEN + 1, MAXRUN = 4 };

typedef struct eos_net {
    int nl;                     /* layers */
    nb_tensor *p[2 * MAXLAYER]; /* W1 b1 W2 b2 ..., heap leaves */
    nb_tensor *x, *y;         /* (N, 196) inputs, (N, 10) one-hot targets */
    nb_ctx *ctx;
} eos_net;

/* L = (1/N) sum_i |f(x_i) - y_i|^2, f a tanh MLP (the inputs are the parameters). */
static nb_tensor *eos_loss(nb_ctx *ctx, nb_tensor *const *p, void *user) {
    const eos_net *e = user;
    nb_tensor *h = e->x;
    for (int l = 0; l < e->nl; l++) {
        h = nb_linear(ctx, h, p[2 * l], p[2 * l + 1]);
        if (l < e->nl - 1) h = nb_tanh(ctx, h);
    }
    return nb_scale(ctx, nb_mse(ctx, h, e->y), (double)e->y->shape[1]);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int64_t eos_n(const eos_net *e) {
    int64_t n = 0;
    for (int i = 0; i < 2 * e->nl; i++) n += e->p[i]->numel;
    return n;
}

static nb_status eos_hvp(void *user, const double *v, double *hv) {
    eos_net *e = user;
    nb_ctx_reset(e->ctx);
    nb_tensor *tan[2 * MAXLAYER];
    int64_t off = 0;
    for (int i = 0; i < 2 * e->nl; i++) {
        nb_tensor *p = e->p[i];
        if (!(tan[i] = nb_zeros(e->ctx, p->dtype, p->ndim, p->shape))) return nb_errcode();
        for (int64_t j = 0; j < p->numel; j++) ((float *)tan[i]->data)[j] = (float)v[off + j];
        off += p->numel;
        nb_tensor_zero_grad(p);
    }
    nb_status st = nb_hvp(e->ctx, eos_loss, e, 2 * e->nl, e->p, tan, NULL);
    off = 0;
    for (int i = 0; !st && i < 2 * e->nl; i++) {
        const nb_tensor *g = e->p[i]->grad;
        for (int64_t j = 0; j < e->p[i]->numel; j++) hv[off + j] = g ? ((const float *)g->data)[j] : 0;
        off += e->p[i]->numel;
    }
    return st;
}

static const cli_cmd eos_cmd = {
    "eos",
    "--data fashion-mnist|DIR [--lr 0.02,0.05] [--steps N] [--every K] [--iters M] [--hidden H1,H2]\n"
    "       [--samples N] [--seed S] [--threads T] [--svg FILE] [--csv FILE]",
    "The edge-of-stability lab: full-batch gradient descent (no momentum) on the first N training\n"
    "images (downsampled to 14x14, centred, times 2), a tanh MLP and the square loss (1/N) sum |f - y|^2, for each\n"
    "learning rate; every K steps the sharpness (the top Hessian eigenvalue: M Lanczos steps over\n"
    "exact Hessian-vector products, started from the last measurement's eigenvector) next to 2/lr.\n"
    "Prints, per rate, whether the sharpness rose to 2/lr and then stayed within 15% of it.",
};

int cmd_eos(int argc, char **argv) {
    const char *data = NULL, *svg = NULL, *csv = NULL;
    long steps = 3500, every = 50, iters = 8, samples = 1000, seed = 0, threads = 0;
    cli_list lrs = {{0.02, 0.05}, 2}, hidden = {{200, 200}, 2};
    cli_opt opts[] = {
        {"data", CLI_STR, &data, "DIR", "fashion-mnist or an MNIST-format directory", false},
        {"lr", CLI_DOUBLES, &lrs, "A,B", "learning rates (default 0.02,0.05)", false},
        {"steps", CLI_INT, &steps, "N", "gradient-descent steps per rate (default 3500)", false},
        {"every", CLI_INT, &every, "K", "steps between sharpness measurements (default 50)", false},
        {"iters", CLI_INT, &iters, "M", "Lanczos steps per measurement, warm-started (default 8; the first 4M)", false},
        {"hidden", CLI_INTS, &hidden, "H1,H2", "hidden widths (default 200,200)", false},
        {"samples", CLI_INT, &samples, "N", "training images, the full batch (default 1000)", false},
        {"seed", CLI_INT, &seed, "S", "the initialisation's and the first probe's seed (default 0)", false},
        {"threads", CLI_INT, &threads, "T", "threads (default: all cores)", false},
        {"svg", CLI_STR, &svg, "FILE", "the figure: sharpness and loss against step, with the 2/lr lines", false},
        {"csv", CLI_STR, &csv, "FILE", "rows lr,step,loss,sharpness,two_over_lr", false},
    };
    int rc = cli_parse(&eos_cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]));
    if (rc == CLI_HELP) return 0;
    if (rc != CLI_OK) return rc;
    if (!data) return cli_error("eos", "--data is required (fashion-mnist or a directory)");
    if (lrs.n < 1 || lrs.n > MAXRUN) return cli_error("eos", "--lr: give 1 to %d rates", MAXRUN);
    for (int i = 0; i < lrs.n; i++)
        if (!(lrs.v[i] > 0)) return cli_error("eos", "--lr %g: must be positive", lrs.v[i]);
    if (hidden.n < 1 || hidden.n > NB_MAX_HIDDEN) return cli_error("eos", "--hidden: give 1 to %d widths", NB_MAX_HIDDEN);
    for (int i = 0; i < hidden.n; i++)
        if (hidden.v[i] < 1 || hidden.v[i] > 4096) return cli_error("eos", "--hidden %g: widths must be in 1..4096", hidden.v[i]);
    if (steps < 1 || steps > 1000000 || every < 1 || iters < 1 || iters > 1000 || samples < 1 || seed < 0 || threads < 0)
        return cli_error("eos", "--steps (1..1000000), --every, --iters (1..1000) and --samples must be at least 1, "
                                "--seed and --threads at least 0");
    if (threads > 0) nb_set_threads((int)threads);
    struct stat sst;
    if (strcmp(data, "fashion-mnist") == 0 && stat(nb_dataset_dir(data), &sst) != 0)
        return cli_error("eos", "--data fashion-mnist: %s is missing (apt-get install dataset-fashion-mnist)", nb_dataset_dir(data));
    nb_dataset ds;
    if (nb_dataset_load(&ds, nb_dataset_dir(data), "train")) return cli_lib_error("eos");
    if (samples > ds.n) samples = (long)ds.n;
    int64_t N = samples, H = ds.rows / 2, W = ds.cols / 2, D = H * W;
    eos_net e = {.nl = hidden.n + 1};
    e.x = nb_tensor_new(NB_F32, NB_SHAPE(N, D));
    e.y = nb_tensor_new(NB_F32, NB_SHAPE(N, NB_NUM_CLASSES));
    e.ctx = nb_ctx_new();
    int64_t nm = (steps / every + 2);
    double *hist = malloc((size_t)(lrs.n * nm * 3) * sizeof *hist); /* per rate: step, sharpness, loss */
    double *lossv = malloc((size_t)(lrs.n + 1) * (size_t)(steps + 1) * sizeof *lossv); /* per rate and step; then x */
    double *vec = NULL;                                              /* the last measurement's eigenvector */
    int nmeas[MAXRUN] = {0};
    nb_outfile out = {0};
    FILE *cf = NULL; /* out's stream, when --csv: committed (renamed into place) only on success */
    rc = CLI_ERR;
    if (!e.x || !e.y || !e.ctx || !hist || !lossv) goto lib_error;
    /* 2x2 means of p/255, centred by the subset's mean pixel (and scaled, below) */
    double mean = 0;
    for (int64_t i = 0; i < N; i++) {
        const uint8_t *img = ds.pixels + i * ds.rows * ds.cols;
        for (int64_t r = 0; r < H; r++)
            for (int64_t c = 0; c < W; c++) {
                double s = img[2 * r * ds.cols + 2 * c] + img[2 * r * ds.cols + 2 * c + 1] +
                           img[(2 * r + 1) * ds.cols + 2 * c] + img[(2 * r + 1) * ds.cols + 2 * c + 1];
                ((float *)e.x->data)[i * D + r * W + c] = (float)(s / (4 * 255.0));
                mean += s / (4 * 255.0);
            }
        ((float *)e.y->data)[i * NB_NUM_CLASSES + ds.labels[i]] = 1;
    }
    mean /= (double)(N * D);
    /* Scaled by 2 (a standard deviation of 0.6): progressive sharpening is then fast enough to carry
     * the sharpness to 2/0.02 = 100 within the steps, while it starts (at 25) below 2/0.05 = 40. At
     * scale 1 it reaches only 36 by step 2,000; at unit variance it starts at 39. */
    for (int64_t i = 0; i < N * D; i++) ((float *)e.x->data)[i] = 2 * (((float *)e.x->data)[i] - (float)mean);
    if (csv) {
        if (nb_outfile_open(&out, csv)) goto lib_error;
        cf = out.fp;
    }
    if (cf) fprintf(cf, "lr,step,loss,sharpness,two_over_lr\n");
    int64_t sizes[MAXLAYER + 1] = {D};
    for (int l = 0; l < hidden.n; l++) sizes[l + 1] = (int64_t)hidden.v[l];
    sizes[e.nl] = NB_NUM_CLASSES;
    double t_all = now_s();
    for (int r = 0; r < lrs.n; r++) {
        double lr = lrs.v[r], t_run = now_s();
        nb_rng rng;
        nb_rng_seed(&rng, (uint64_t)seed);
        for (int l = 0; l < e.nl; l++) {
            nb_tensor_free(e.p[2 * l]), nb_tensor_free(e.p[2 * l + 1]);
            e.p[2 * l] = nb_tensor_new(NB_F32, NB_SHAPE(sizes[l], sizes[l + 1]));
            e.p[2 * l + 1] = nb_tensor_new(NB_F32, NB_SHAPE(sizes[l + 1]));
            if (!e.p[2 * l] || !e.p[2 * l + 1] || nb_init_uniform_fan_in(&rng, e.p[2 * l], sizes[l]) ||
                nb_init_uniform_fan_in(&rng, e.p[2 * l + 1], sizes[l]))
                goto lib_error;
            nb_tensor_requires_grad(e.p[2 * l], true), nb_tensor_requires_grad(e.p[2 * l + 1], true);
        }
        nb_linop Hop = {eos_n(&e), eos_hvp, &e};
        free(vec);
        if (!(vec = malloc((size_t)Hop.n * sizeof *vec))) goto lib_error;
        nb_rng_normals(&rng, Hop.n, vec); /* the first start: a seeded random direction */
        for (long s = 0; s <= steps; s++) {
            double top = NAN;
            /* first the sharpness (the HVPs use the gradients as scratch), from the last eigenvector */
            if (s % every == 0 && nb_lanczos_warm(&Hop, s ? (int)iters : 4 * (int)iters, vec, &top)) goto lib_error;
            nb_ctx_reset(e.ctx);
            for (int i = 0; i < 2 * e.nl; i++) nb_tensor_zero_grad(e.p[i]);
            nb_tensor *L = eos_loss(e.ctx, e.p, &e);
            if (!L || nb_backward(e.ctx, L)) goto lib_error;
            double loss = nb_tensor_get(L, 0);
            if (!isfinite(loss)) {
                rc = cli_error("eos", "lr %g: the loss diverged at step %ld", lr, s);
                goto done;
            }
            lossv[(size_t)r * (size_t)(steps + 1) + (size_t)s] = loss;
            if (s % every == 0) {
                double *hrow = hist + (size_t)(r * nm + nmeas[r]++) * 3;
                hrow[0] = (double)s, hrow[1] = top, hrow[2] = loss;
                if (cf) fprintf(cf, "%g,%ld,%.6g,%.6g,%.6g\n", lr, s, loss, top, 2 / lr);
            }
            if (s == steps) break;
            for (int i = 0; i < 2 * e.nl; i++) { /* plain gradient descent */
                float *pv = e.p[i]->data;
                const float *g = e.p[i]->grad->data;
                for (int64_t j = 0; j < e.p[i]->numel; j++) pv[j] -= (float)lr * g[j];
            }
        }
        t_run = now_s() - t_run;
        /* the lab's claim: after first reaching 2/lr, the sharpness stays within 15% of it */
        int first = -1, outside = 0;
        double lo = INFINITY, hi = -INFINITY;
        for (int k = 0; k < nmeas[r]; k++) {
            double sh = hist[(size_t)(r * nm + k) * 3 + 1];
            if (first < 0 && sh >= 2 / lr) first = k;
            if (first >= 0) {
                lo = fmin(lo, sh), hi = fmax(hi, sh);
                outside += fabs(sh - 2 / lr) > 0.15 * 2 / lr;
            }
        }
        if (first < 0)
            printf("lr %g: 2/lr = %g; the sharpness rose from %.4g to %.4g and never reached 2/lr (%.1f s)\n", lr, 2 / lr,
                   hist[(size_t)(r * nm) * 3 + 1], hist[(size_t)(r * nm + nmeas[r] - 1) * 3 + 1], t_run);
        else
            printf("lr %g: 2/lr = %g; the sharpness rose from %.4g to 2/lr at step %.0f, then stayed in [%.4g, %.4g] "
                   "(%d of %d measurements outside +-15%%): %s (%.1f s)\n",
                   lr, 2 / lr, hist[(size_t)(r * nm) * 3 + 1], hist[(size_t)(r * nm + first) * 3], lo, hi, outside,
                   nmeas[r] - first, outside ? "NOT at the edge of stability" : "at the edge of stability", t_run);
    }
    printf("%d rates, %.1f s in all\n", lrs.n, now_s() - t_all);
    if (svg) {
        nb_fig *fig = nb_fig_new(860, 400, 1, 2);
        nb_status st = fig ? NB_OK : nb_errcode();
        for (int pnl = 0; !st && pnl < 2; pnl++) {
            nb_panel *p = nb_fig_panel(fig, pnl);
            st = pnl ? nb_panel_labels(p, "training loss", "step", "loss") : nb_panel_labels(p, "sharpness", "step", "top eigenvalue");
            if (!st && pnl) st = nb_panel_scale(p, false, true);
            if (!st && !pnl) st = nb_panel_legend(p, NB_LEGEND_NW); /* the top right is where the sharpness ends */
            for (int r = 0; !st && r < lrs.n; r++) {
                char label[64];
                snprintf(label, sizeof label, "lr %g", lrs.v[r]);
                nb_style sty = {.color = r + 1};
                if (pnl) { /* the loss at every step (the spikes of the edge of stability are single steps) */
                    double *xs = lossv + (size_t)lrs.n * (size_t)(steps + 1);
                    for (long k = 0; k <= steps; k++) xs[k] = (double)k;
                    st = nb_plot_line(p, (int)steps + 1, xs, lossv + (size_t)r * (size_t)(steps + 1), label, &sty);
                    continue;
                }
                double *xs = hist + (size_t)(r * nm) * 3, *ys = xs + 1; /* strided: copy */
                double *px = malloc(2 * (size_t)nmeas[r] * sizeof *px);
                if (!px) {
                    st = nb_fail(NB_ENOMEM, "eos: out of memory");
                    break;
                }
                for (int k = 0; k < nmeas[r]; k++) px[k] = xs[3 * k], px[nmeas[r] + k] = ys[3 * k];
                st = nb_plot_line(p, nmeas[r], px, px + nmeas[r], label, &sty);
                free(px);
                if (!st && !pnl) {
                    double lx[2] = {0, (double)steps}, ly[2] = {2 / lrs.v[r], 2 / lrs.v[r]};
                    nb_style dash = {.color = r + 1, .dash = 1, .width = 1};
                    snprintf(label, sizeof label, "2/lr = %g", 2 / lrs.v[r]);
                    st = nb_plot_line(p, 2, lx, ly, label, &dash);
                }
            }
        }
        char cap[256], arch[128];
        int k = snprintf(arch, sizeof arch, "%lld", (long long)D);
        for (int l = 0; l < hidden.n && k > 0 && k < (int)sizeof arch; l++)
            k += snprintf(arch + k, sizeof arch - (size_t)k, "-%g", hidden.v[l]);
        snprintf(cap, sizeof cap, "full-batch GD, %lld Fashion-MNIST images (14x14), tanh MLP %s-10, square loss; "
                 "sharpness: Lanczos on exact HVPs", (long long)N, arch);
        if (!st) st = nb_fig_caption(fig, cap);
        if (!st) st = nb_fig_save(fig, svg);
        nb_fig_free(fig);
        if (st) goto lib_error;
    }
    rc = cf && nb_outfile_commit(&out, false) ? cli_lib_error("eos") : 0;
    cf = NULL;
    goto done;
lib_error:
    rc = cli_lib_error("eos");
done:
    if (cf) nb_outfile_abort(&out);
    for (int i = 0; i < 2 * e.nl; i++) nb_tensor_free(e.p[i]);
    free(vec);
    nb_tensor_free(e.x), nb_tensor_free(e.y);
    nb_ctx_free(e.ctx);
    free(hist);
    free(lossv);
    nb_dataset_free(&ds);
    return rc;
}
