/* nabla eval: a checkpoint's test loss and accuracy. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "nabla/nn.h"

static const cli_cmd eval_cmd = {
    "eval",
    "--load CKPT --data fashion-mnist|DIR [--batch B] [--limit N] [--threads T] [--model M --hidden H]",
    "Evaluates a checkpoint written by nabla train on the test split (t10k) of the data: prints\n"
    "test_loss and test_acc. --model/--hidden, when given, must describe the checkpoint's model.",
};

int cmd_eval(int argc, char **argv) {
    const char *load = NULL, *data = NULL, *model = NULL;
    long batch = 256, limit = 0, threads = 0;
    cli_list hidden = {0};
    cli_opt opts[] = {
        {"load", CLI_STR, &load, "CKPT", "a checkpoint (safetensors) from nabla train", false},
        {"data", CLI_STR, &data, "DIR", "fashion-mnist or an MNIST-format directory", false},
        {"batch", CLI_INT, &batch, "B", "evaluation batch (default 256)", false},
        {"limit", CLI_INT, &limit, "N", "only the first N test samples", false},
        {"threads", CLI_INT, &threads, "T", "threads (default: all cores)", false},
        {"model", CLI_STR, &model, "M", "expected model: mlp or cnn", false},
        {"hidden", CLI_INTS, &hidden, "H1,H2", "expected MLP hidden sizes", false},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    int rc = cli_parse(&eval_cmd, argc, argv, opts, nopts);
    if (rc == CLI_HELP) return 0;
    if (rc != CLI_OK) return rc;
    if (!load) return cli_error("eval", "--load is required (a checkpoint)");
    if (!data) return cli_error("eval", "--data is required (fashion-mnist or a directory)");
    if (batch < 1 || batch > NB_MAX_BATCH)
        return cli_error("eval", "--batch %ld: must be in 1..%lld", batch, (long long)NB_MAX_BATCH);
    if (opts[3].seen && limit < 1) return cli_error("eval", "--limit %ld: must be at least 1", limit);
    if (threads < 0) return cli_error("eval", "--threads %ld: must be at least 0 (0: all cores)", threads);
    if (threads > 0) nb_set_threads((int)threads);
    nb_model_kind kind = NB_MODEL_MLP;
    if (model && nb_model_kind_parse(model, &kind))
        return cli_error("eval", "--model: unknown model '%s' (expected mlp or cnn)", model);
    for (int i = 0; i < hidden.n; i++)
        if (hidden.v[i] < 1) return cli_error("eval", "--hidden: size %g is not at least 1", hidden.v[i]);

    nb_trainer *t = nb_checkpoint_load(load);
    if (!t) return cli_lib_error("eval");
    const nb_model_desc *have = &t->model->desc;
    if (model || hidden.n) {
        nb_model_desc want = *have;
        if (model) want.kind = kind;
        if (hidden.n) {
            want.nhidden = hidden.n < NB_MAX_HIDDEN ? hidden.n : NB_MAX_HIDDEN;
            for (int i = 0; i < want.nhidden; i++) want.hidden[i] = (int64_t)hidden.v[i];
        } else if (want.kind == NB_MODEL_MLP && have->kind != NB_MODEL_MLP) {
            want.nhidden = 2;
            want.hidden[0] = want.hidden[1] = 256;
        }
        if (!nb_model_desc_equal(&want, have)) {
            char a[128], b[128];
            rc = cli_error("eval", "%s holds a different model: %s, not the %s asked for", load,
                           nb_model_desc_str(have, a, sizeof a), nb_model_desc_str(&want, b, sizeof b));
            nb_trainer_free(t);
            return rc;
        }
    }
    nb_dataset test;
    struct stat st;
    if (strcmp(data, "fashion-mnist") == 0 && stat(nb_dataset_dir(data), &st) != 0) {
        nb_trainer_free(t);
        return cli_error("eval", "--data fashion-mnist: %s is missing (apt-get install dataset-fashion-mnist)",
                         nb_dataset_dir(data));
    }
    if (nb_dataset_load(&test, nb_dataset_dir(data), "t10k")) {
        nb_trainer_free(t);
        return cli_lib_error("eval");
    }
    if (limit > 0) nb_dataset_limit(&test, limit);
    double loss, acc;
    if (nb_evaluate(t->model, t->ctx, &test, &t->cfg.norm, batch, &loss, &acc)) rc = cli_lib_error("eval");
    else if (!isfinite(loss)) /* finite weights can still overflow on these inputs */
        rc = cli_error("eval", "%s: test_loss is %s on %s", load, isnan(loss) ? "NaN" : "Inf", data);
    else {
        char d[128];
        printf("model %s  epoch %lld  test_samples %lld  test_loss %.6f  test_acc %.4f\n",
               nb_model_desc_str(have, d, sizeof d), (long long)t->epoch, (long long)test.n, loss, acc);
        rc = 0;
    }
    nb_dataset_free(&test);
    nb_trainer_free(t);
    return rc;
}
