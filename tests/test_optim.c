/* Optimizers against reference trajectories (torch.optim for the torch
 * convention, an independent Python implementation of nabla/optim.h's formulas for the
 * handout's), schedules and clipping against PyTorch, state round trips and
 * every bad knob. Fixtures: tools/gen_optim_fixtures.py. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nabla/optim.h"

#define MAXD 10
#define MAXSTEPS 100

/* Tolerances. f64: every coordinate of every step within 1e-10 relative
 * (plus 1e-13 absolute for values that pass near 0). f32 against torch's f32
 * run: 2e-4 relative + 2e-5 absolute (both round differently at every step,
 * and Rosenbrock's curved valley amplifies it). f32 against the f64 handout
 * reference: 2e-3 relative + 1e-4 absolute. */
#define RTOL64 1e-10
#define ATOL64 1e-13
#define RTOL32 2e-4
#define ATOL32 2e-5
#define RTOL32H 2e-3
#define ATOL32H 1e-4

static double A10[MAXD][MAXD], B10[MAXD], X10[MAXD];
static bool have_quad10;

static bool load_quad10(void) {
    if (have_quad10) return true;
    char path[512];
    snprintf(path, sizeof path, "%s/optim/quad10.txt", test_fixture_dir());
    FILE *fp = fopen(path, "r");
    if (!fp) return false;
    char line[256];
    if (!fgets(line, sizeof line, fp)) { fclose(fp); return false; }
    bool ok = true;
    for (int i = 0; i < MAXD && ok; i++)
        for (int j = 0; j < MAXD && ok; j++) ok = fscanf(fp, "%lf", &A10[i][j]) == 1;
    for (int i = 0; i < MAXD && ok; i++) ok = fscanf(fp, "%lf", &B10[i]) == 1;
    for (int i = 0; i < MAXD && ok; i++) ok = fscanf(fp, "%lf", &X10[i]) == 1;
    fclose(fp);
    return have_quad10 = ok;
}

/* The problems' gradients, written in the same order as the generator's. */
#define DEFINE_GRAD(T, NAME)                                                        \
    static void NAME(int problem, const T *x, T *g, T sign) {                       \
        if (problem == 0) {                                                         \
            g[0] = sign * ((T)2 * (T)0.5 * x[0]);                                   \
            g[1] = sign * ((T)2 * (T)3.0 * x[1]);                                   \
        } else if (problem == 1) {                                                  \
            T r = x[1] - x[0] * x[0];                                               \
            g[0] = sign * ((T)-2 * ((T)1 - x[0]) - (T)4 * (T)100 * x[0] * r);       \
            g[1] = sign * ((T)2 * (T)100 * r);                                      \
        } else {                                                                    \
            for (int i = 0; i < MAXD; i++) {                                        \
                T s = 0;                                                            \
                for (int j = 0; j < MAXD; j++) s = s + (T)A10[i][j] * x[j];         \
                g[i] = sign * (s - (T)B10[i]);                                      \
            }                                                                       \
        }                                                                           \
    }
DEFINE_GRAD(double, grad64)
DEFINE_GRAD(float, grad32)

typedef struct fixture {
    nb_optim_config cfg;
    int problem, d;
    bool f32;
    double sign;
    int steps;
    double x[MAXSTEPS + 1][MAXD];
} fixture;

static bool load_fixture(const char *path, fixture *fx) {
    FILE *fp = fopen(path, "r");
    if (!fp) return false;
    char key[64], val[64];
    nb_optim_kind kind = NB_OPT_GD;
    nb_convention conv = NB_CONV_HANDOUT;
    /* first pass of the header: kind and convention, which pick the defaults */
    double kv[32];
    char keys[32][64];
    int nk = 0;
    memset(fx, 0, sizeof *fx);
    fx->sign = 1;
    bool ok = false;
    while (fscanf(fp, "%63s %63s", key, val) == 2) {
        if (strcmp(key, "steps") == 0) {
            fx->steps = atoi(val);
            ok = true;
            break;
        }
        if (strcmp(key, "kind") == 0) nb_optim_kind_parse(val, &kind);
        else if (strcmp(key, "convention") == 0) nb_convention_parse(val, &conv);
        else if (strcmp(key, "problem") == 0) fx->problem = strcmp(val, "quad2") == 0 ? 0 : strcmp(val, "rosen") == 0 ? 1 : 2;
        else if (strcmp(key, "dtype") == 0) fx->f32 = strcmp(val, "f32") == 0;
        else if (nk < 32) {
            snprintf(keys[nk], sizeof keys[nk], "%s", key);
            kv[nk++] = strtod(val, NULL);
        }
    }
    if (!ok || fx->steps > MAXSTEPS) {
        fclose(fp);
        return false;
    }
    nb_optim_config c = nb_optim_defaults(kind, conv);
    for (int i = 0; i < nk; i++) {
        const char *k = keys[i];
        double v = kv[i];
        if (!strcmp(k, "lr")) c.lr = v;
        else if (!strcmp(k, "gradsign")) fx->sign = v;
        else if (!strcmp(k, "momentum")) c.momentum = v;
        else if (!strcmp(k, "dampening")) c.dampening = v;
        else if (!strcmp(k, "beta")) c.beta = v;
        else if (!strcmp(k, "beta1")) c.beta1 = v;
        else if (!strcmp(k, "beta2")) c.beta2 = v;
        else if (!strcmp(k, "eps")) c.eps = v;
        else if (!strcmp(k, "weight_decay")) c.weight_decay = v;
        else if (!strcmp(k, "lr_decay")) c.lr_decay = v;
        else if (!strcmp(k, "initial_accumulator")) c.initial_accumulator = v;
        else if (!strcmp(k, "amsgrad")) c.amsgrad = v != 0;
        else if (!strcmp(k, "maximize")) c.maximize = v != 0;
        else if (!strcmp(k, "centered")) c.centered = v != 0;
        else {
            fclose(fp);
            return false;
        }
    }
    fx->cfg = c;
    fx->d = fx->problem == 2 ? MAXD : 2;
    for (int s = 0; s <= fx->steps && ok; s++)
        for (int i = 0; i < fx->d && ok; i++) ok = fscanf(fp, "%lf", &fx->x[s][i]) == 1;
    fclose(fp);
    return ok;
}

/* Runs the fixture's optimizer in dtype dt; returns the worst excess over the
 * tolerance (<= 1 passes) and reports the first bad step. */
static void run_fixture(const char *name, const fixture *fx, bool as_f32, double rtol, double atol, double *worst_rel) {
    nb_optim *o = nb_optim_new(&fx->cfg, as_f32 ? NB_F32 : NB_F64, fx->d);
    CHECK_MSG(o != NULL, "%s: %s", name, nb_errmsg());
    if (!o) return;
    double x[MAXD], g[MAXD];
    float xf[MAXD], gf[MAXD];
    for (int i = 0; i < fx->d; i++) x[i] = fx->x[0][i], xf[i] = (float)fx->x[0][i];
    *worst_rel = 0;
    for (int s = 1; s <= fx->steps; s++) {
        if (as_f32) {
            grad32(fx->problem, xf, gf, (float)fx->sign);
            nb_optim_step(o, xf, gf);
        } else {
            grad64(fx->problem, x, g, fx->sign);
            nb_optim_step(o, x, g);
        }
        for (int i = 0; i < fx->d; i++) {
            double got = as_f32 ? (double)xf[i] : x[i], want = fx->x[s][i];
            double err = fabs(got - want) / (atol + rtol * fabs(want));
            if (err > *worst_rel) *worst_rel = err;
            if (!(err <= 1)) {
                test_fail(__FILE__, __LINE__, "%s: step %d x[%d] = %.17g, expected %.17g", name, s, i, got, want);
                nb_optim_free(o);
                return;
            }
        }
    }
    nb_optim_free(o);
}

TEST(optim_trajectories_match_references) {
    CHECK_MSG(load_quad10(), "cannot read %s/optim/quad10.txt", test_fixture_dir());
    char dir[512];
    snprintf(dir, sizeof dir, "%s/optim", test_fixture_dir());
    DIR *dp = opendir(dir);
    CHECK_MSG(dp != NULL, "cannot open %s", dir);
    if (!dp) return;
    int n = 0, seen[2][NB_OPT_COUNT][2] = {{{0}}};
    double worst[3] = {0};
    static fixture fx;
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (strncmp(de->d_name, "traj_", 5) != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        bool ok = load_fixture(path, &fx);
        CHECK_MSG(ok, "cannot parse %s", path);
        if (!ok) continue;
        double w = 0;
        if (fx.f32) {
            run_fixture(de->d_name, &fx, true, RTOL32, ATOL32, &w);
            if (w > worst[1]) worst[1] = w;
            seen[fx.cfg.convention][fx.cfg.kind][1]++;
        } else {
            run_fixture(de->d_name, &fx, false, RTOL64, ATOL64, &w);
            if (w > worst[0]) worst[0] = w;
            seen[fx.cfg.convention][fx.cfg.kind][0]++;
            if (fx.cfg.convention == NB_CONV_HANDOUT) { /* f32 against the f64 reference */
                run_fixture(de->d_name, &fx, true, RTOL32H, ATOL32H, &w);
                if (w > worst[2]) worst[2] = w;
                seen[fx.cfg.convention][fx.cfg.kind][1]++;
            }
        }
        n++;
    }
    closedir(dp);
    CHECK_MSG(n >= 100, "only %d trajectory fixtures", n);
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < NB_OPT_COUNT; k++)
            for (int d = 0; d < 2; d++)
                CHECK_MSG(seen[c][k][d] > 0, "no %s %s %s trajectory", c ? "torch" : "handout",
                          nb_optim_kind_name((nb_optim_kind)k), d ? "f32" : "f64");
    if (getenv("NABLA_TEST_VERBOSE"))
        fprintf(stderr, "optim: %d fixtures; worst error / tolerance: f64 %.3g, f32 torch %.3g, f32 handout %.3g\n", n,
                worst[0], worst[1], worst[2]);
}

/* A run that is interrupted after 37 steps, its state copied into a fresh
 * optimizer, continues bit for bit as the uninterrupted one. */
TEST(optim_state_round_trip_is_exact) {
    nb_optim_config cfgs[10];
    int nc = 0;
    for (int k = 0; k < NB_OPT_COUNT; k++) cfgs[nc++] = nb_optim_defaults((nb_optim_kind)k, NB_CONV_TORCH);
    cfgs[nc] = nb_optim_defaults(NB_OPT_RMSPROP, NB_CONV_TORCH), cfgs[nc].centered = true, cfgs[nc++].momentum = 0.5;
    cfgs[nc] = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_HANDOUT), cfgs[nc++].amsgrad = true;
    cfgs[nc] = nb_optim_defaults(NB_OPT_ADAGRAD, NB_CONV_TORCH), cfgs[nc].lr_decay = 0.1, cfgs[nc++].initial_accumulator = 0.2;
    for (int dt = 0; dt < 2; dt++)
        for (int c = 0; c < nc; c++) {
            enum { N = 5 };
            double xa[N] = {1, -2, 0.5, 3, -0.25}, xb[N], g[N];
            float fa[N], fb[N], gf[N];
            nb_optim *a = nb_optim_new(&cfgs[c], dt ? NB_F32 : NB_F64, N), *b = NULL;
            CHECK_NOTNULL(a);
            if (!a) continue;
            for (int i = 0; i < N; i++) fa[i] = (float)xa[i];
            for (int s = 0; s < 80; s++) {
                if (s == 37) { /* checkpoint: copy every state array, t and lr */
                    b = nb_optim_new(&cfgs[c], dt ? NB_F32 : NB_F64, N);
                    CHECK_NOTNULL(b);
                    if (!b) break;
                    CHECK(nb_optim_state_count(a) == nb_optim_state_count(b));
                    for (int i = 0; i < nb_optim_state_count(a); i++) {
                        CHECK(strcmp(nb_optim_state_name(a, i), nb_optim_state_name(b, i)) == 0);
                        memcpy(nb_optim_state_data(b, i), nb_optim_state_data(a, i), N * nb_dtype_size(nb_optim_dtype(a)));
                    }
                    CHECK_OK(nb_optim_set_steps(b, nb_optim_steps(a)));
                    CHECK_OK(nb_optim_set_lr(b, nb_optim_lr(a)));
                    memcpy(xb, xa, sizeof xa);
                    memcpy(fb, fa, sizeof fa);
                }
                for (int i = 0; i < N; i++) g[i] = (i + 1) * xa[i] + 0.1 * (i - 2), gf[i] = (float)((i + 1) * fa[i] + 0.1 * (i - 2));
                nb_optim_step(a, dt ? (void *)fa : (void *)xa, dt ? (void *)gf : (void *)g);
                if (b) {
                    for (int i = 0; i < N; i++) g[i] = (i + 1) * xb[i] + 0.1 * (i - 2), gf[i] = (float)((i + 1) * fb[i] + 0.1 * (i - 2));
                    nb_optim_step(b, dt ? (void *)fb : (void *)xb, dt ? (void *)gf : (void *)g);
                }
            }
            if (b) {
                CHECK_MSG(dt ? memcmp(fa, fb, sizeof fa) == 0 : memcmp(xa, xb, sizeof xa) == 0,
                          "%s (config %d, %s): resumed run differs", nb_optim_kind_name(cfgs[c].kind), c, dt ? "f32" : "f64");
                CHECK(nb_optim_steps(b) == 80);
            }
            nb_optim_free(a);
            nb_optim_free(b);
        }
}

TEST(optim_state_names_and_params) {
    nb_optim_config c = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_TORCH);
    c.amsgrad = true;
    nb_optim *o = nb_optim_new(&c, NB_F32, 3);
    CHECK(nb_optim_state_count(o) == 3);
    CHECK(strcmp(nb_optim_state_name(o, 0), "exp_avg") == 0);
    CHECK(strcmp(nb_optim_state_name(o, 2), "max_exp_avg_sq") == 0);
    CHECK(nb_optim_state_name(o, 3) == NULL);
    CHECK_ERR(nb_optim_state_data(o, 3), NB_EINVAL, "nb_optim_state_data");
    CHECK_ERR(nb_optim_set_lr(o, -1), NB_EINVAL, "lr");
    CHECK_ERR(nb_optim_set_steps(o, -1), NB_EINVAL, "step");
    float g[3] = {1, 2, 3};
    CHECK_OK(nb_optim_zero_grad(o, g));
    CHECK(g[0] == 0 && g[1] == 0 && g[2] == 0);
    nb_optim_free(o);
    c = nb_optim_defaults(NB_OPT_GD, NB_CONV_HANDOUT);
    o = nb_optim_new(&c, NB_F64, 0);
    CHECK(o && nb_optim_state_count(o) == 0);
    CHECK_OK(nb_optim_step(o, NULL, NULL)); /* nothing to do, still a step */
    CHECK(nb_optim_steps(o) == 1);
    nb_optim_free(o);
    /* on a model's flat buffers */
    nb_params *p = nb_params_new(NB_F64);
    nb_tensor *w = nb_params_add(p, "w", NB_SHAPE(2, 2));
    nb_tensor *bias = nb_params_add(p, "b", NB_SHAPE(2));
    CHECK(w && bias);
    if (w && bias) {
        int64_t n = nb_params_numel(p); /* includes alignment padding */
        for (int64_t i = 0; i < n; i++) ((double *)nb_params_data(p))[i] = (double)i, ((double *)nb_params_grad(p))[i] = 1;
        double b1 = nb_tensor_get(bias, 1), w3 = nb_tensor_get(w, 3);
        o = nb_optim_new_params(&c, p);
        CHECK(nb_optim_numel(o) == n);
        CHECK_OK(nb_optim_step_params(o, p));
        CHECK(nb_tensor_get(bias, 1) == b1 - 0.01);
        CHECK(nb_tensor_get(w, 3) == w3 - 0.01);
        nb_optim_free(o);
        c.kind = NB_OPT_GD;
        o = nb_optim_new(&c, NB_F32, n);
        CHECK_ERR(nb_optim_step_params(o, p), NB_EINVAL, "f32");
        nb_optim_free(o);
    }
    nb_params_free(p);
}

TEST(optim_handout_defaults) {
    nb_optim_config c = nb_optim_defaults(NB_OPT_RMSPROP, NB_CONV_HANDOUT);
    CHECK(c.lr == 0.01 && c.beta == 0.9 && c.eps == 1e-8 && c.eps_inside);
    c = nb_optim_defaults(NB_OPT_ADAGRAD, NB_CONV_HANDOUT);
    CHECK(c.beta == 1 && c.eps_inside);
    c = nb_optim_defaults(NB_OPT_MOMENTUM, NB_CONV_HANDOUT);
    CHECK(c.momentum == 0.9 && !c.momentum_first_grad);
    c = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_HANDOUT);
    CHECK(c.beta1 == 0.9 && c.beta2 == 0.999);
    c = nb_optim_defaults(NB_OPT_RMSPROP, NB_CONV_TORCH);
    CHECK(c.beta == 0.99 && !c.eps_inside);
    c = nb_optim_defaults(NB_OPT_ADAGRAD, NB_CONV_TORCH);
    CHECK(c.eps == 1e-10 && c.lr_decay == 0 && c.initial_accumulator == 0);
    c = nb_optim_defaults(NB_OPT_ADAMW, NB_CONV_TORCH);
    CHECK(c.lr == 1e-3 && c.weight_decay == 1e-2 && c.decoupled_decay);
    nb_optim_kind k;
    CHECK_OK(nb_optim_kind_parse("sgd", &k));
    CHECK(k == NB_OPT_GD);
    CHECK_ERR(nb_optim_kind_parse("lbfgs", &k), NB_EINVAL, "lbfgs");
    nb_convention cv;
    CHECK_ERR(nb_convention_parse("keras", &cv), NB_EINVAL, "keras");
}

/* eps inside vs outside: invisible while s >> eps, large once sqrt(s) ~ sqrt(eps). */
TEST(optim_eps_placement_matters_only_near_zero) {
    for (int big = 0; big < 2; big++) {
        double x1[1] = {1}, x2[1] = {1}, g[1] = {big ? 1.0 : 1e-5};
        nb_optim_config c = nb_optim_defaults(NB_OPT_RMSPROP, NB_CONV_HANDOUT);
        c.eps = 1e-8;
        nb_optim *a = nb_optim_new(&c, NB_F64, 1);
        c.eps_inside = false;
        nb_optim *b = nb_optim_new(&c, NB_F64, 1);
        nb_optim_step(a, x1, g);
        nb_optim_step(b, x2, g);
        double d1 = 1 - x1[0], d2 = 1 - x2[0];
        if (big) CHECK_NEAR(d1, d2, 0, 1e-6);
        else CHECK(fabs(d1 - d2) > 0.1 * d2);
        nb_optim_free(a);
        nb_optim_free(b);
    }
}

TEST(optim_rejects_bad_hyperparameters) {
    struct { nb_optim_kind k; const char *field; double v; const char *msg; } bad[] = {
        {NB_OPT_GD, "lr", 0, "lr"},
        {NB_OPT_GD, "lr", -0.1, "lr"},
        {NB_OPT_GD, "lr", INFINITY, "lr"},
        {NB_OPT_GD, "lr", NAN, "lr"},
        {NB_OPT_MOMENTUM, "momentum", 1, "momentum"},
        {NB_OPT_MOMENTUM, "momentum", -0.1, "momentum"},
        {NB_OPT_MOMENTUM, "dampening", 1.5, "dampening"},
        {NB_OPT_NESTEROV, "momentum", 0, "nesterov"},
        {NB_OPT_NESTEROV, "dampening", 0.1, "nesterov"},
        {NB_OPT_RMSPROP, "beta", 1, "beta"},
        {NB_OPT_RMSPROP, "beta", -0.5, "beta"},
        {NB_OPT_RMSPROP, "eps", 0, "eps"},
        {NB_OPT_RMSPROP, "momentum", 1, "momentum"},
        {NB_OPT_ADAGRAD, "beta", 0, "beta"},
        {NB_OPT_ADAGRAD, "eps", 0, "eps"},
        {NB_OPT_ADAGRAD, "lr_decay", -1, "lr_decay"},
        {NB_OPT_ADAGRAD, "initial_accumulator", -1, "initial accumulator"},
        {NB_OPT_ADAM, "beta1", 1, "beta1"},
        {NB_OPT_ADAM, "beta1", -0.1, "beta1"},
        {NB_OPT_ADAM, "beta2", 1, "beta2"},
        {NB_OPT_ADAM, "eps", 0, "eps"},
        {NB_OPT_ADAMW, "eps", -1e-8, "eps"},
        {NB_OPT_ADAMW, "weight_decay", -0.1, "weight decay"},
        {NB_OPT_GD, "weight_decay", NAN, "weight decay"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int conv = 0; conv < 2; conv++) {
            nb_optim_config c = nb_optim_defaults(bad[i].k, (nb_convention)conv);
            double *f = !strcmp(bad[i].field, "lr") ? &c.lr : !strcmp(bad[i].field, "momentum") ? &c.momentum
                      : !strcmp(bad[i].field, "dampening") ? &c.dampening : !strcmp(bad[i].field, "beta") ? &c.beta
                      : !strcmp(bad[i].field, "beta1") ? &c.beta1 : !strcmp(bad[i].field, "beta2") ? &c.beta2
                      : !strcmp(bad[i].field, "eps") ? &c.eps : !strcmp(bad[i].field, "lr_decay") ? &c.lr_decay
                      : !strcmp(bad[i].field, "initial_accumulator") ? &c.initial_accumulator : &c.weight_decay;
            *f = bad[i].v;
            CHECK_ERR(nb_optim_new(&c, NB_F64, 2), NB_EINVAL, bad[i].msg);
        }
    }
    /* eps = 0 is fine where nothing divides by it at the start */
    nb_optim_config c = nb_optim_defaults(NB_OPT_MOMENTUM, NB_CONV_HANDOUT);
    c.eps = 0;
    CHECK_OK(nb_optim_validate(&c));
    c = nb_optim_defaults(NB_OPT_ADAGRAD, NB_CONV_TORCH);
    c.eps = 0, c.initial_accumulator = 0.1;
    CHECK_OK(nb_optim_validate(&c));
    c = nb_optim_defaults(NB_OPT_ADAGRAD, NB_CONV_HANDOUT);
    c.beta = 3; /* Adagrad's beta is any positive factor */
    CHECK_OK(nb_optim_validate(&c));
    c.kind = (nb_optim_kind)99;
    CHECK_ERR(nb_optim_validate(&c), NB_EINVAL, "kind");
    CHECK_ERR(nb_optim_new(NULL, NB_F64, 1), NB_EINVAL, "NULL");
    c = nb_optim_defaults(NB_OPT_GD, NB_CONV_HANDOUT);
    CHECK_ERR(nb_optim_new(&c, NB_F64, -1), NB_EINVAL, "count");
    CHECK_ERR(nb_optim_step(NULL, NULL, NULL), NB_EINVAL, "nb_optim_step");
}

TEST(optim_schedules_match_torch) {
    char path[512];
    snprintf(path, sizeof path, "%s/optim/schedules.txt", test_fixture_dir());
    FILE *fp = fopen(path, "r");
    CHECK_MSG(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    char line[8192];
    int nlines = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        char kind[32];
        double gamma, start, end, eta, base;
        long step_size, total;
        int nm, off;
        if (sscanf(line, "%31s %lf %ld %lf %lf %ld %lf %d%n", kind, &gamma, &step_size, &start, &end, &total, &eta, &nm, &off) != 8)
            continue;
        char *p = line + off;
        int64_t ms[16];
        if (nm == 0) {
            char dash[4];
            int o2;
            if (sscanf(p, "%3s%n", dash, &o2) != 1) continue;
            p += o2;
        }
        for (int i = 0; i < nm && i < 16; i++) {
            long m;
            int o2;
            if (sscanf(p, "%ld%n", &m, &o2) != 1) break;
            ms[i] = m, p += o2;
        }
        int n, o2;
        if (sscanf(p, "%lf %d : %n", &base, &n, &o2) != 2) continue;
        p += o2;
        nb_schedule s = {0};
        s.kind = !strcmp(kind, "step") ? NB_SCHED_STEP : !strcmp(kind, "multistep") ? NB_SCHED_MULTISTEP
               : !strcmp(kind, "exponential") ? NB_SCHED_EXPONENTIAL : !strcmp(kind, "linear") ? NB_SCHED_LINEAR
               : NB_SCHED_COSINE;
        s.gamma = gamma, s.step_size = step_size, s.start_factor = start, s.end_factor = end, s.total = total;
        s.eta_min = eta, s.milestones = ms, s.nmilestones = nm;
        for (int e = 0; e < n; e++) {
            double want, got = 0;
            if (sscanf(p, "%lf%n", &want, &o2) != 1) break;
            p += o2;
            CHECK_OK(nb_schedule_lr(&s, base, e, &got));
            CHECK_MSG(test_close(got, want, 1e-15, 1e-12), "%s epoch %d: lr %.17g, torch %.17g", kind, e, got, want);
        }
        nlines++;
    }
    fclose(fp);
    CHECK(nlines == 7);
    nb_schedule s = {.kind = NB_SCHED_STEP, .gamma = 0.5, .step_size = 0};
    double lr;
    CHECK_ERR(nb_schedule_lr(&s, 0.1, 1, &lr), NB_EINVAL, "step_size");
    s = (nb_schedule){.kind = NB_SCHED_EXPONENTIAL, .gamma = -1};
    CHECK_ERR(nb_schedule_lr(&s, 0.1, 1, &lr), NB_EINVAL, "gamma");
    s = (nb_schedule){.kind = NB_SCHED_COSINE, .total = 0};
    CHECK_ERR(nb_schedule_lr(&s, 0.1, 1, &lr), NB_EINVAL, "T_max");
    s = (nb_schedule){.kind = NB_SCHED_LINEAR, .start_factor = 0, .end_factor = 1, .total = 3};
    CHECK_ERR(nb_schedule_lr(&s, 0.1, 1, &lr), NB_EINVAL, "start_factor");
    s = (nb_schedule){.kind = NB_SCHED_MULTISTEP, .gamma = 0.1, .milestones = (int64_t[]){5, 2}, .nmilestones = 2};
    CHECK_ERR(nb_schedule_lr(&s, 0.1, 1, &lr), NB_EINVAL, "nondecreasing");
    s = (nb_schedule){.kind = NB_SCHED_CONSTANT};
    CHECK_ERR(nb_schedule_lr(&s, 0.1, -1, &lr), NB_EINVAL, "epoch");
}

TEST(optim_clipping_matches_torch) {
    char path[512];
    snprintf(path, sizeof path, "%s/optim/clip.txt", test_fixture_dir());
    FILE *fp = fopen(path, "r");
    CHECK_MSG(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    char line[16384];
    int nlines = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        char mode[16], dt[8];
        double thr, total_want;
        int n, off;
        if (sscanf(line, "%15s %7s %lf %d :%n", mode, dt, &thr, &n, &off) != 4 || n > 64) continue;
        char *p = line + off;
        double g[64], want[64];
        float gf[64];
        for (int i = 0; i < n; i++) {
            int o2;
            sscanf(p, "%lf%n", &g[i], &o2);
            p += o2;
            gf[i] = (float)g[i];
        }
        int o2;
        sscanf(p, " : %lf : %n", &total_want, &o2);
        p += o2;
        for (int i = 0; i < n; i++) {
            sscanf(p, "%lf%n", &want[i], &o2);
            p += o2;
        }
        bool f32 = !strcmp(dt, "f32");
        void *buf = f32 ? (void *)gf : (void *)g;
        nb_dtype d = f32 ? NB_F32 : NB_F64;
        double total = 0, rtol = f32 ? 1e-6 : 1e-13;
        if (!strcmp(mode, "value")) CHECK_OK(nb_clip_grad_value(d, n, buf, thr));
        else {
            CHECK_OK(nb_clip_grad_norm(d, n, buf, thr, !strcmp(mode, "norm2") ? 2 : INFINITY, &total));
            CHECK_MSG(test_close(total, total_want, 0, rtol), "%s %s: total %.17g, torch %.17g", mode, dt, total, total_want);
        }
        for (int i = 0; i < n; i++) {
            double got = f32 ? gf[i] : g[i];
            CHECK_MSG(test_close(got, want[i], 1e-300, rtol), "%s %s [%d]: %.17g, torch %.17g", mode, dt, i, got, want[i]);
        }
        nlines++;
    }
    fclose(fp);
    CHECK(nlines == 8);
    double g[2] = {1e200, 1e200}, total;
    CHECK_OK(nb_clip_grad_norm(NB_F64, 2, g, 1, 2, &total)); /* no overflow to inf */
    CHECK_NEAR(total, sqrt(2) * 1e200, 0, 1e-14);
    CHECK_NEAR(g[0], 1 / sqrt(2), 0, 1e-9);
    CHECK_ERR(nb_clip_grad_norm(NB_F64, 2, g, -1, 2, NULL), NB_EINVAL, "max_norm");
    CHECK_ERR(nb_clip_grad_norm(NB_F64, 2, g, 1, 1, NULL), NB_EINVAL, "norm type");
    CHECK_ERR(nb_clip_grad_value(NB_F64, 2, g, NAN), NB_EINVAL, "clip");
}

/* The lab (nabla/lab.h): GD on the quadratic is a linear iteration whose
 * slowest mode sets the measured rate, so measured equals predicted; heavy
 * ball's predicted rate is the 2x2 iteration's spectral radius, which at
 * the optimal (lr, m) of a quadratic is (sqrt(κ) - 1)/(sqrt(κ) + 1). */
TEST(optim_lab_rates) {
    nb_lab_fn q = {false, 1.0, 10.0};
    nb_optim_config c = nb_optim_defaults(NB_OPT_GD, NB_CONV_HANDOUT);
    c.lr = 0.04;
    nb_lab_traj t;
    CHECK(nb_lab_run(&q, &c, (double[]){-1.5, 1}, 400, &t) == NB_OK);
    CHECK(t.n == 401 && !t.diverged);
    double pred = nb_lab_predicted_rate(&q, &c); /* max(|1 - .04*2|, |1 - .04*20|) = 0.92 */
    CHECK_NEAR(pred, 0.92, 0, 1e-15);
    CHECK_NEAR(nb_lab_measured_rate(&q, &t), pred, 0, 1e-9);
    nb_lab_traj_free(&t);
    double l1 = 2, l2 = 20, k = l2 / l1, lr = 4 / ((sqrt(l1) + sqrt(l2)) * (sqrt(l1) + sqrt(l2)));
    double m = (sqrt(k) - 1) / (sqrt(k) + 1);
    CHECK_NEAR(nb_lab_momentum_rate(&q, lr, m * m), m, 0, 1e-7);
    c.lr = 0.2; /* |1 - 0.2*20| = 3: diverges, and the run stops at the first non-finite point */
    CHECK(nb_lab_predicted_rate(&q, &c) > 1);
    CHECK(nb_lab_run(&q, &c, (double[]){-1.5, 1}, 5000, &t) == NB_OK);
    CHECK(t.diverged && t.n < 5001 && !isfinite(t.f[t.n - 1]));
    nb_lab_traj_free(&t);
    CHECK(nb_lab_run(&q, &c, (double[]){NAN, 1}, 5, &t) == NB_EINVAL && t.n == 0);
    CHECK(nb_lab_run(&q, &c, (double[]){0, 1}, -1, &t) == NB_EINVAL);
}
