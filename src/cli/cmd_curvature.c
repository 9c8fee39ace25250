/* nabla curvature: the loss Hessian's spectrum of a trained model, through
 * Hessian-vector products (nabla/curvature.h), in f64. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "nabla/curvature.h"

static const cli_cmd curv_cmd = {
    "curvature",
    "--load CKPT --data fashion-mnist|DIR [--samples N] [--top K] [--probes M] [--density SVG] [--seed S]",
    "The Hessian of a checkpoint's mean training loss (softmax cross-entropy) on the first N\n"
    "training samples, w.r.t. all its parameters, by exact Hessian-vector products in f64: the\n"
    "top K eigenvalues (Lanczos, full reorthogonalisation), the trace and each layer's trace\n"
    "(Hutchinson, M Rademacher probes, with standard errors), and with --density the\n"
    "eigenvalue density by stochastic Lanczos quadrature (PyHessian's) as an SVG. Seeded.",
};

int cmd_curvature(int argc, char **argv) {
    const char *load = NULL, *data = NULL, *density = NULL;
    long samples = 1000, top = 5, probes = 100, seed = 0, threads = 0;
    cli_opt opts[] = {
        {"load", CLI_STR, &load, "CKPT", "a checkpoint (safetensors) from nabla train", false},
        {"data", CLI_STR, &data, "DIR", "fashion-mnist or an MNIST-format directory (its train split)", false},
        {"samples", CLI_INT, &samples, "N", "training samples the loss averages (default 1000)", false},
        {"top", CLI_INT, &top, "K", "eigenvalues to find (default 5)", false},
        {"probes", CLI_INT, &probes, "M", "Hutchinson probes (default 100)", false},
        {"density", CLI_STR, &density, "SVG", "write the eigenvalue density (SLQ) here", false},
        {"seed", CLI_INT, &seed, "S", "the probes' seed (default 0)", false},
        {"threads", CLI_INT, &threads, "T", "threads (default: all cores)", false},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    int rc = cli_parse(&curv_cmd, argc, argv, opts, nopts);
    if (rc == CLI_HELP) return 0;
    if (rc != CLI_OK) return rc;
    if (!load) return cli_error("curvature", "--load is required (a checkpoint)");
    if (!data) return cli_error("curvature", "--data is required (fashion-mnist or a directory)");
    if (samples < 1) return cli_error("curvature", "--samples %ld: must be at least 1", samples);
    if (top < 1 || top > 100) return cli_error("curvature", "--top %ld: must be in [1, 100]", top);
    if (probes < 2) return cli_error("curvature", "--probes %ld: must be at least 2", probes);
    if (seed < 0) return cli_error("curvature", "--seed %ld: must be at least 0", seed);
    if (threads < 0) return cli_error("curvature", "--threads %ld: must be at least 0 (0: all cores)", threads);
    if (threads > 0) nb_set_threads((int)threads);
    struct stat st;
    if (strcmp(data, "fashion-mnist") == 0 && stat(nb_dataset_dir(data), &st) != 0)
        return cli_error("curvature", "--data fashion-mnist: %s is missing (apt-get install dataset-fashion-mnist)",
                         nb_dataset_dir(data));

    nb_trainer *t = nb_checkpoint_load(load);
    if (!t) return cli_lib_error("curvature");
    nb_dataset train = {0};
    nb_model *m = NULL;
    nb_tensor *x = NULL;
    float *xf = NULL;
    double *nodes = NULL, *weights = NULL, *eigs = NULL, *blocks = NULL;
    int64_t *ends = NULL;
    nb_model_hessian h = {0};
    rc = CLI_ERR;
    if (nb_dataset_load(&train, nb_dataset_dir(data), "train")) {
        rc = cli_lib_error("curvature");
        goto done;
    }
    if (samples > train.n) samples = (long)train.n;
    /* the model in f64: the spectrum of an f32 Hessian would carry f32 rounding */
    if (!(m = nb_model_new(&t->model->desc, NB_F64, NULL))) goto lib_error;
    int np = nb_params_count(m->params);
    for (int i = 0; i < np; i++) {
        nb_tensor *dst = nb_params_tensor(m->params, i), *src = nb_params_tensor(t->model->params, i);
        for (int64_t j = 0; j < dst->numel; j++) nb_tensor_set(dst, j, nb_tensor_get(src, j));
    }
    int64_t d = (int64_t)train.rows * train.cols;
    xf = malloc((size_t)(samples * d) * sizeof *xf);
    if (!xf || !(x = nb_tensor_new(NB_F64, NB_SHAPE(samples, d)))) {
        rc = cli_error("curvature", "out of memory for %ld samples", samples);
        goto done;
    }
    nb_dataset_gather(&train, NULL, 0, samples, &t->cfg.norm, xf, NULL);
    for (int64_t i = 0; i < samples * d; i++) ((double *)x->data)[i] = xf[i];
    if (nb_model_hessian_init(&h, m, x, train.labels, NB_LOSS_XENT, 1000)) goto lib_error;
    nb_linop H = nb_model_hessian_op(&h);
    enum { RUNS = 4, ITERS = 60 };
    eigs = malloc((size_t)top * sizeof *eigs);
    blocks = malloc((size_t)np * sizeof *blocks);
    ends = malloc((size_t)np * sizeof *ends);
    nodes = malloc(RUNS * ITERS * sizeof *nodes);
    weights = malloc(RUNS * ITERS * sizeof *weights);
    if (!eigs || !blocks || !ends || !nodes || !weights) {
        rc = cli_error("curvature", "out of memory");
        goto done;
    }
    for (int i = 0, off = 0; i < np; i++) ends[i] = off += (int)nb_params_tensor(m->params, i)->numel;
    if (top > H.n) top = (long)H.n;
    double loss, tr, se;
    double *probe = calloc((size_t)H.n, sizeof *probe), *hp = calloc((size_t)H.n, sizeof *hp);
    nb_status s = probe && hp ? nb_model_hvp(&h, probe, hp, &loss) : nb_fail(NB_ENOMEM, "out of memory");
    free(probe), free(hp);
    if (s || nb_lanczos_topk(&H, (int)top, 0, (uint64_t)seed, eigs) ||
        nb_hutchinson(&H, (int)probes, (uint64_t)seed + 1, np, ends, &tr, &se, blocks))
        goto lib_error;
    char desc[128];
    printf("model %s  params %lld  samples %ld  loss %.6f\n", nb_model_desc_str(&m->desc, desc, sizeof desc),
           (long long)H.n, samples, loss);
    printf("top %ld eigenvalues (Lanczos):", top);
    for (int i = 0; i < top; i++) printf(" %.6g", eigs[i]);
    printf("\ntrace (Hutchinson, %ld probes): %.6g +- %.2g\n", probes, tr, se);
    for (int i = 0; i < np; i++) printf("  trace %-10s %.6g\n", nb_params_name(m->params, i), blocks[i]);
    if (density) {
        if (nb_slq(&H, RUNS, ITERS, (uint64_t)seed + 2, nodes, weights)) goto lib_error;
        double lo = nodes[0], hi = nodes[0];
        for (int i = 0; i < RUNS * ITERS; i++)
            if (weights[i] > 0) lo = nodes[i] < lo ? nodes[i] : lo, hi = nodes[i] > hi ? nodes[i] : hi;
        enum { G = 400 };
        double tt[G], dens[G], pad = 0.05 * (hi - lo) + 1e-12, sigma = (hi - lo + 2 * pad) / 200;
        for (int i = 0; i < G; i++) tt[i] = lo - pad + (hi - lo + 2 * pad) * i / (G - 1);
        nb_slq_density(RUNS, ITERS, nodes, weights, sigma, G, tt, dens);
        for (int i = 0; i < G; i++) dens[i] = dens[i] > 1e-12 ? dens[i] : 1e-12;
        nb_fig *fig = nb_fig_new(640, 360, 1, 1);
        nb_panel *p = fig ? nb_fig_panel(fig, 0) : NULL;
        char cap[160];
        snprintf(cap, sizeof cap, "SLQ: %d runs x %d Lanczos steps, Gaussian width %.3g; top eigenvalue %.4g", RUNS, ITERS,
                 sigma, eigs[0]);
        s = !p ? nb_errcode()
               : (nb_panel_labels(p, "Hessian eigenvalue density", "eigenvalue", "density"), nb_panel_scale(p, false, true),
                  nb_plot_line(p, G, tt, dens, "SLQ", NULL), nb_fig_caption(fig, cap), nb_fig_save(fig, density));
        nb_fig_free(fig);
        if (s) goto lib_error;
        printf("density: %s\n", density);
    }
    rc = 0;
    goto done;
lib_error:
    rc = cli_lib_error("curvature");
done:
    nb_model_hessian_free(&h);
    free(xf), free(eigs), free(blocks), free(ends), free(nodes), free(weights);
    nb_tensor_free(x);
    nb_model_free(m);
    nb_dataset_free(&train);
    nb_trainer_free(t);
    return rc;
}
