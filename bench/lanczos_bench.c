/* The top-5 eigenvalues of a trained MLP's loss Hessian (mean softmax
 * cross-entropy, f32, every parameter) on its first N training samples, by
 * Lanczos (nb_lanczos_topk, 40 steps, full reorthogonalisation): the peer of
 * bench/lanczos_torch.py (PyHessian's power iteration with deflation).
 * usage: lanczos_bench CKPT DATA_DIR N. Prints the time, the HVPs and the
 * eigenvalues. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nabla.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct counted { nb_linop H; int calls; } counted;

static nb_status apply(void *user, const double *v, double *hv) {
    counted *c = user;
    c->calls++;
    return c->H.apply(c->H.user, v, hv);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: lanczos_bench CKPT DATA_DIR N\n");
        return 2;
    }
    nb_set_threads(1);
    nb_trainer *t = nb_checkpoint_load(argv[1]);
    nb_dataset ds;
    if (!t || nb_dataset_load(&ds, argv[2], "train")) {
        fprintf(stderr, "lanczos_bench: %s\n", nb_errmsg());
        return 1;
    }
    int64_t n = atol(argv[3]), d = (int64_t)ds.rows * ds.cols;
    nb_tensor *x = nb_tensor_new(NB_F32, NB_SHAPE(n, d));
    int32_t *y = malloc((size_t)n * sizeof *y);
    nb_dataset_gather(&ds, NULL, 0, n, &t->cfg.norm, x->data, y);
    nb_model_hessian h;
    double eig[5];
    if (nb_model_hessian_init(&h, t->model, x, y, NB_LOSS_XENT, 0)) return fprintf(stderr, "%s\n", nb_errmsg()), 1;
    counted c = {nb_model_hessian_op(&h), 0};
    nb_linop H = {c.H.n, apply, &c};
    double t0 = now();
    if (nb_lanczos_topk(&H, 5, 40, 0, eig)) return fprintf(stderr, "%s\n", nb_errmsg()), 1;
    printf("seconds %.3f hvps %d eigs %.6g %.6g %.6g %.6g %.6g\n", now() - t0, c.calls, eig[0], eig[1], eig[2], eig[3],
           eig[4]);
    nb_model_hessian_free(&h);
    nb_tensor_free(x);
    free(y);
    nb_dataset_free(&ds);
    nb_trainer_free(t);
    return 0;
}
