/* Every op against PyTorch: the cases in tests/fixtures/ops (written by
 * tools/gen_op_fixtures.py) give seeded inputs, an upstream gradient, and
 * torch's forward value and input gradients, computed in float64. Each case
 * runs the nabla op in the case's dtype, then nb_vjp with the upstream, and
 * compares.
 *
 * A value passes when |got - want| <= tol * (|want| + max|WANT|), WANT being
 * the whole reference tensor: relative where the values are large, and
 * measured against the tensor's scale where a sum cancels down to a small
 * entry (an un-broadcast gradient, a matmul element). tol is per op and dtype,
 * in the one table below, sized to the op's error analysis: a few ulps for
 * elementwise ops, more for exp/log chains, and k * eps for sums of k terms
 * (reductions, matmul, conv). The references are exact to f64, so f32 cases
 * measure nabla's f32 rounding alone.
 *
 * The test fails if an op in nb__all_ops is never recorded on the tape by any
 * case: a new op needs a fixture. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "test.h"

#define FX_MAX_TENSORS 12
#define FX_MAX_ATTRS 8

typedef struct fx_tensor {
    char name[16];
    int ndim;
    int64_t shape[NB_MAX_DIMS];
    int64_t n;
    double *v;
} fx_tensor;

typedef struct fx_attr {
    char name[16];
    int n;
    double v[NB_MAX_DIMS];
} fx_attr;

typedef struct fixture {
    char file[256 + 1];
    char op[32];
    nb_dtype dt;
    fx_attr attr[FX_MAX_ATTRS];
    int nattr;
    int32_t *labels;
    int nlabels;
    fx_tensor t[FX_MAX_TENSORS];
    int nt;
} fixture;

/* ---- the tolerance table, and how each op is called ------------------------ */

typedef nb_tensor *(*fx_run)(nb_ctx *ctx, const fixture *f, nb_tensor **in, int nin);

typedef struct fx_op {
    const char *op;      /* the fixture's op name: the public function nb_<op> */
    fx_run run;
    double tol64, tol32; /* see the header comment */
} fx_op;

static const fx_attr *attr_of(const fixture *f, const char *name) {
    for (int i = 0; i < f->nattr; i++)
        if (!strcmp(f->attr[i].name, name)) return &f->attr[i];
    return NULL;
}
static double attr1(const fixture *f, const char *name) {
    const fx_attr *a = attr_of(f, name);
    return a && a->n > 0 ? a->v[0] : 0;
}

static nb_tensor *r_add(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_add(c, x[0], x[1]); }
static nb_tensor *r_sub(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_sub(c, x[0], x[1]); }
static nb_tensor *r_mul(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_mul(c, x[0], x[1]); }
static nb_tensor *r_div(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_div(c, x[0], x[1]); }
static nb_tensor *r_neg(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_neg(c, x[0]); }
static nb_tensor *r_exp(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_exp(c, x[0]); }
static nb_tensor *r_log(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_log(c, x[0]); }
static nb_tensor *r_sqrt(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_sqrt(c, x[0]); }
static nb_tensor *r_tanh(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_tanh(c, x[0]); }
static nb_tensor *r_sigmoid(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_sigmoid(c, x[0]); }
static nb_tensor *r_relu(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_relu(c, x[0]); }
static nb_tensor *r_abs(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_abs(c, x[0]); }
static nb_tensor *r_pow(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return nb_pow(c, x[0], attr1(f, "p")); }
static nb_tensor *r_scale(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return nb_scale(c, x[0], attr1(f, "s")); }

static nb_tensor *reduce(nb_ctx *c, const fixture *f, nb_tensor *x, bool mean) {
    const fx_attr *a = attr_of(f, "axes");
    int axes[NB_MAX_DIMS], na = a ? a->n : 0;
    for (int i = 0; i < na; i++) axes[i] = (int)a->v[i];
    bool keep = attr1(f, "keepdim") != 0;
    return mean ? nb_mean(c, x, na, na ? axes : NULL, keep) : nb_sum(c, x, na, na ? axes : NULL, keep);
}
static nb_tensor *r_sum(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return reduce(c, f, x[0], false); }
static nb_tensor *r_mean(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return reduce(c, f, x[0], true); }
static nb_tensor *r_max(nb_ctx *c, const fixture *f, nb_tensor **x, int n) {
    (void)n;
    return nb_max(c, x[0], (int)attr1(f, "axis"), attr1(f, "keepdim") != 0);
}
static nb_tensor *r_matmul(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_matmul(c, x[0], x[1]); }
static nb_tensor *r_reshape(nb_ctx *c, const fixture *f, nb_tensor **x, int n) {
    (void)n;
    const fx_attr *a = attr_of(f, "shape");
    int64_t shape[NB_MAX_DIMS];
    int nd = a ? a->n : 0;
    for (int i = 0; i < nd; i++) shape[i] = (int64_t)a->v[i];
    return nb_reshape(c, x[0], nd, shape);
}
static nb_tensor *r_permute(nb_ctx *c, const fixture *f, nb_tensor **x, int n) {
    (void)n;
    const fx_attr *a = attr_of(f, "perm");
    int perm[NB_MAX_DIMS];
    for (int i = 0; a && i < a->n; i++) perm[i] = (int)a->v[i];
    return nb_permute(c, x[0], perm);
}
static nb_tensor *r_transpose(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_transpose(c, x[0]); }
static nb_tensor *r_flatten(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_flatten(c, x[0]); }
static nb_tensor *r_softmax(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return nb_softmax(c, x[0], (int)attr1(f, "axis")); }
static nb_tensor *r_log_softmax(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return nb_log_softmax(c, x[0], (int)attr1(f, "axis")); }
static nb_tensor *r_xent(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return nb_softmax_cross_entropy(c, x[0], f->labels); }
static nb_tensor *r_mse(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_mse(c, x[0], x[1]); }
static nb_tensor *r_conv2d(nb_ctx *c, const fixture *f, nb_tensor **x, int n) {
    return nb_conv2d(c, x[0], x[1], n > 2 ? x[2] : NULL, (int)attr1(f, "stride"), (int)attr1(f, "pad"));
}
static nb_tensor *r_conv2d_relu_pool(nb_ctx *c, const fixture *f, nb_tensor **x, int n) {
    return nb_conv2d_relu_pool(c, x[0], x[1], n > 2 ? x[2] : NULL, (int)attr1(f, "stride"), (int)attr1(f, "pad"));
}
static nb_tensor *r_max_pool2d(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)n; return nb_max_pool2d(c, x[0], (int)attr1(f, "k")); }
static nb_tensor *r_linear(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_linear(c, x[0], x[1], x[2]); }
static nb_tensor *r_linear_relu(nb_ctx *c, const fixture *f, nb_tensor **x, int n) { (void)f, (void)n; return nb_linear_relu(c, x[0], x[1], x[2]); }

/* Tolerances: f64 eps = 1.1e-16, f32 eps = 6e-8. 0 where the op only copies,
 * negates or selects (its results are exact). Otherwise about 100x the
 * rounding the op's error analysis allows, so a compiler, an ISA kernel or a
 * summation order cannot trip it while any real mistake (errors of 1e-3 and
 * up) still fails by orders of magnitude:
 *   arithmetic, pow, exp, log, sqrt: an ulp or two per step, and un-broadcast
 *     sums that cancel;
 *   tanh, sigmoid: the backward's 1 - y^2 and y (1 - y) magnify an ulp of y
 *     by 1/(1 - y^2), up to ~1e3 for the inputs here;
 *   sums of k terms (reductions k <= 400, matmul/linear k <= 33, conv
 *     k = C*KH*KW <= 36, softmax k <= 10): k * eps;
 *   the softmax family at logits near 800: x - max carries ulp(800) = 1e-13. */
static nb_tensor *r_gather(nb_ctx *c, const fixture *f, nb_tensor **x, int n) {
    (void)n;
    const fx_attr *a = attr_of(f, "idx"), *s = attr_of(f, "shape");
    int64_t idx[NB_MAX_DIMS], shape[NB_MAX_DIMS];
    for (int i = 0; a && i < a->n; i++) idx[i] = (int64_t)a->v[i];
    for (int i = 0; s && i < s->n; i++) shape[i] = (int64_t)s->v[i];
    return a && s ? nb__gather(c, x[0], s->n, shape, idx) : NULL;
}

static const fx_op OPS[] = {
    /* op                      run            f64     f32 */
    {"neg",                   r_neg,         0,      0},
    {"abs",                   r_abs,         0,      0},
    {"relu",                  r_relu,        0,      0},
    {"max",                   r_max,         0,      0},
    {"max_pool2d",            r_max_pool2d,  0,      0},
    {"reshape",               r_reshape,     0,      0},
    {"permute",               r_permute,     0,      0},
    {"transpose",             r_transpose,   0,      0},
    {"flatten",               r_flatten,     0,      0},
    {"add",                   r_add,         1e-13,  1e-6},
    {"sub",                   r_sub,         1e-13,  1e-6},
    {"mul",                   r_mul,         1e-13,  1e-6},
    {"div",                   r_div,         1e-13,  1e-6},
    {"scale",                 r_scale,       1e-13,  1e-6},
    {"pow",                   r_pow,         1e-13,  1e-6},
    {"exp",                   r_exp,         1e-13,  1e-6},
    {"log",                   r_log,         1e-13,  1e-6},
    {"sqrt",                  r_sqrt,        1e-13,  1e-6},
    {"tanh",                  r_tanh,        1e-12,  1e-5},
    {"sigmoid",               r_sigmoid,     1e-12,  1e-5},
    {"sum",                   r_sum,         1e-12,  1e-5},
    {"mean",                  r_mean,        1e-12,  1e-5},
    {"matmul",                r_matmul,      1e-13,  1e-5},
    {"linear",                r_linear,      1e-13,  1e-5},
    {"linear_relu",           r_linear_relu, 1e-13,  1e-5},
    {"gather",                r_gather,      1e-13,  1e-6},
    {"conv2d",                r_conv2d,      1e-13,  1e-5},
    {"conv2d_relu_pool",      r_conv2d_relu_pool, 1e-13, 1e-5},
    {"softmax",               r_softmax,     1e-12,  1e-5},
    {"log_softmax",           r_log_softmax, 1e-12,  1e-5},
    {"softmax_cross_entropy", r_xent,        1e-12,  1e-5},
    {"mse",                   r_mse,         1e-13,  1e-5},
};
#define NOPS ((int)(sizeof OPS / sizeof OPS[0]))

/* ---- loading --------------------------------------------------------------- */

static fixture *g_fx;
static int g_nfx;
static bool g_loaded;

static char *read_all(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (cap - n < 65536) {
            char *nb = realloc(buf, cap = cap * 2 + 65536);
            if (!nb) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
    } while (got > 0);
    fclose(fp);
    buf[n] = 0;
    return buf;
}

/* Parses one case; false with a message on a malformed file. */
static bool parse_fixture(const char *file, char *text, fixture *f) {
    memset(f, 0, sizeof *f);
    snprintf(f->file, sizeof f->file, "%s", file);
    char *save = NULL;
    int line = 0;
    for (char *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        line++;
        char *p = ln, *end;
        char key[32], name[32];
        int used = 0;
        if (sscanf(p, "%31s%n", key, &used) != 1) continue;
        p += used;
        if (!strcmp(key, "nabla-op-fixture")) continue;
        if (!strcmp(key, "op")) {
            if (sscanf(p, "%31s", f->op) != 1) goto bad;
        } else if (!strcmp(key, "dtype")) {
            if (sscanf(p, "%31s", name) != 1) goto bad;
            if (!strcmp(name, "f32")) f->dt = NB_F32;
            else if (!strcmp(name, "f64")) f->dt = NB_F64;
            else goto bad;
        } else if (!strcmp(key, "attr")) {
            if (f->nattr == FX_MAX_ATTRS) goto bad;
            fx_attr *a = &f->attr[f->nattr++];
            if (sscanf(p, "%15s%n", a->name, &used) != 1) goto bad;
            p += used;
            for (double v = strtod(p, &end); end != p; v = strtod(p, &end)) {
                if (a->n == NB_MAX_DIMS) goto bad;
                a->v[a->n++] = v;
                p = end;
            }
        } else if (!strcmp(key, "ints")) {
            long n;
            if (sscanf(p, "%31s%n", name, &used) != 1) goto bad;
            p += used;
            n = strtol(p, &end, 10);
            if (end == p || n < 0 || n > 1000000) goto bad;
            p = end;
            f->labels = malloc((size_t)(n ? n : 1) * sizeof *f->labels);
            if (!f->labels) goto bad;
            for (long i = 0; i < n; i++) {
                f->labels[i] = (int32_t)strtol(p, &end, 10);
                if (end == p) goto bad;
                p = end;
            }
            f->nlabels = (int)n;
        } else if (!strcmp(key, "tensor")) {
            if (f->nt == FX_MAX_TENSORS) goto bad;
            fx_tensor *t = &f->t[f->nt++];
            if (sscanf(p, "%15s%n", t->name, &used) != 1) goto bad;
            p += used;
            t->ndim = (int)strtol(p, &end, 10);
            if (end == p || t->ndim < 0 || t->ndim > NB_MAX_DIMS) goto bad;
            p = end;
            t->n = 1;
            for (int d = 0; d < t->ndim; d++) {
                t->shape[d] = strtoll(p, &end, 10);
                if (end == p || t->shape[d] < 0) goto bad;
                p = end;
                t->n *= t->shape[d];
            }
            t->v = malloc((size_t)(t->n ? t->n : 1) * sizeof *t->v);
            if (!t->v) goto bad;
            for (int64_t i = 0; i < t->n; i++) {
                t->v[i] = strtod(p, &end);
                if (end == p) goto bad;
                p = end;
            }
        } else {
            goto bad;
        }
    }
    if (!f->op[0]) goto bad;
    return true;
bad:
    test_fail(__FILE__, __LINE__, "fixture %s: malformed at line %d", file, line);
    return false;
}

static int by_file(const void *a, const void *b) {
    return strcmp(((const fixture *)a)->file, ((const fixture *)b)->file);
}

static void load_all(void) {
    if (g_loaded) return;
    g_loaded = true;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ops", test_fixture_dir());
    DIR *d = opendir(dir);
    if (!d) {
        test_fail(__FILE__, __LINE__, "cannot open the fixture directory %s", dir);
        return;
    }
    int cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = read_all(path);
        if (!text) {
            test_fail(__FILE__, __LINE__, "cannot read %s", path);
            continue;
        }
        if (g_nfx == cap) {
            fixture *nf = realloc(g_fx, (size_t)(cap = cap * 2 + 64) * sizeof *g_fx);
            if (!nf) {
                free(text);
                break;
            }
            g_fx = nf;
        }
        if (parse_fixture(e->d_name, text, &g_fx[g_nfx])) g_nfx++;
        free(text);
    }
    closedir(d);
    qsort(g_fx, (size_t)g_nfx, sizeof *g_fx, by_file);
}

static const fx_tensor *tensor_of(const fixture *f, const char *name) {
    for (int i = 0; i < f->nt; i++)
        if (!strcmp(f->t[i].name, name)) return &f->t[i];
    return NULL;
}

static nb_tensor *make(nb_ctx *ctx, nb_dtype dt, const fx_tensor *t) {
    nb_tensor *x = nb_zeros(ctx, dt, t->ndim, t->shape);
    if (x)
        for (int64_t i = 0; i < t->n; i++) nb_tensor_set(x, i, t->v[i]);
    return x;
}

/* Compares got with the reference; returns the worst error as a multiple of tol's unit. */
static bool compare(const fixture *f, const char *what, const nb_tensor *got, const fx_tensor *want,
                    double tol, double *worst) {
    char s1[96], s2[96];
    if (!got) {
        test_fail(__FILE__, __LINE__, "%s: %s missing", f->file, what);
        return false;
    }
    if (got->ndim != want->ndim || memcmp(got->shape, want->shape, (size_t)want->ndim * sizeof *want->shape)) {
        test_fail(__FILE__, __LINE__, "%s: %s has shape %s, torch's is %s", f->file, what,
                  nb_shape_str(got, s1, sizeof s1), nb__shape_str(want->ndim, want->shape, s2, sizeof s2));
        return false;
    }
    double scale = 0;
    for (int64_t i = 0; i < want->n; i++)
        if (fabs(want->v[i]) > scale) scale = fabs(want->v[i]);
    int64_t bad = -1;
    double bad_r = 0;
    for (int64_t i = 0; i < want->n; i++) {
        double g = nb_tensor_get(got, i), w = want->v[i];
        double unit = fabs(w) + scale;
        double err = fabs(g - w);
        double r = err == 0 ? 0 : unit > 0 ? err / unit : INFINITY;
        if (isnan(g) || isnan(r)) r = INFINITY;
        if (r > *worst) *worst = r;
        if (r > tol && r > bad_r) bad = i, bad_r = r;
    }
    if (bad >= 0) {
        test_fail(__FILE__, __LINE__, "%s: %s[%lld] = %.17g, torch %.17g (error %.3g x (|want|+max|WANT|), tol %.3g)",
                  f->file, what, (long long)bad, nb_tensor_get(got, bad), want->v[bad], bad_r, tol);
        return false;
    }
    return true;
}

/* Ops seen on some case's tape (fixtures_zz_cover_every_op). */
static const nb_op *g_seen[256];
static int g_nseen;

static void note_tape(nb_ctx *ctx) {
    for (nb_node *n = ctx->tape; n; n = n->prev) {
        bool have = false;
        for (int i = 0; i < g_nseen; i++) have |= g_seen[i] == n->op;
        if (!have && g_nseen < 256) g_seen[g_nseen++] = n->op;
    }
}

static int run_case(const fixture *f, const fx_op *op, double *worst) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *in[FX_MAX_TENSORS];
    int nin = 0;
    int ok = 1;
    for (; nin < FX_MAX_TENSORS; nin++) {
        char nm[16];
        snprintf(nm, sizeof nm, "in%d", nin);
        const fx_tensor *t = tensor_of(f, nm);
        if (!t) break;
        in[nin] = make(ctx, f->dt, t);
        snprintf(nm, sizeof nm, "grad%d", nin);
        if (in[nin] && tensor_of(f, nm)) nb_tensor_requires_grad(in[nin], true);
    }
    const fx_tensor *up_t = tensor_of(f, "up"), *out_t = tensor_of(f, "out");
    if (!up_t || !out_t || nin == 0) {
        test_fail(__FILE__, __LINE__, "%s: no inputs, up or out", f->file);
        nb_ctx_free(ctx);
        return 0;
    }
    nb_clear_error();
    nb_tensor *out = op->run(ctx, f, in, nin);
    double tol = f->dt == NB_F64 ? op->tol64 : op->tol32;
    if (!out) {
        test_fail(__FILE__, __LINE__, "%s: nb_%s failed: %s", f->file, f->op, nb_errmsg());
        nb_ctx_free(ctx);
        return 0;
    }
    ok &= compare(f, "forward", out, out_t, tol, worst);
    nb_tensor *up = make(ctx, f->dt, up_t);
    if (ok && nb_vjp(ctx, out, up, false) != NB_OK) {
        test_fail(__FILE__, __LINE__, "%s: nb_vjp failed: %s", f->file, nb_errmsg());
        ok = 0;
    }
    for (int i = 0; ok && i < nin; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "grad%d", i);
        const fx_tensor *g = tensor_of(f, nm);
        if (g) ok &= compare(f, nm, in[i]->grad, g, tol, worst);
    }
    nb_ctx_free(ctx);
    return ok;
}

static const fx_op *op_of(const char *name) {
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(OPS[i].op, name)) return &OPS[i];
    return NULL;
}

/* Runs every case of one op; NABLA_FIXTURE_REPORT=1 prints the worst error
 * (in units of the comparison above) per dtype, to size the table. */
static void run_op(const char *name) {
    load_all();
    const fx_op *op = op_of(name);
    int n[2] = {0, 0}, passed = 0;
    double worst[2] = {0, 0};
    for (int i = 0; i < g_nfx; i++) {
        if (strcmp(g_fx[i].op, name)) continue;
        int d = g_fx[i].dt == NB_F64;
        n[d]++;
        passed += run_case(&g_fx[i], op, &worst[d]);
    }
    CHECK_MSG(n[0] + n[1] > 0, "no fixture case for op %s", name);
    CHECK_MSG(n[1] > 0, "no f64 fixture case for op %s", name);
    if (getenv("NABLA_FIXTURE_REPORT"))
        fprintf(stderr, "fixtures %-22s f64: %2d cases worst %.3g (tol %.3g)   f32: %2d cases worst %.3g (tol %.3g)  %d/%d pass\n",
                name, n[1], worst[1], op->tol64, n[0], worst[0], op->tol32, passed, n[0] + n[1]);
}

#define FIXTURE_TEST(name) \
    TEST(fixtures_##name) { run_op(#name); }
FIXTURE_TEST(add)
FIXTURE_TEST(sub)
FIXTURE_TEST(mul)
FIXTURE_TEST(div)
FIXTURE_TEST(neg)
FIXTURE_TEST(scale)
FIXTURE_TEST(abs)
FIXTURE_TEST(relu)
FIXTURE_TEST(pow)
FIXTURE_TEST(exp)
FIXTURE_TEST(log)
FIXTURE_TEST(sqrt)
FIXTURE_TEST(tanh)
FIXTURE_TEST(sigmoid)
FIXTURE_TEST(sum)
FIXTURE_TEST(mean)
FIXTURE_TEST(max)
FIXTURE_TEST(matmul)
FIXTURE_TEST(reshape)
FIXTURE_TEST(permute)
FIXTURE_TEST(transpose)
FIXTURE_TEST(flatten)
FIXTURE_TEST(softmax)
FIXTURE_TEST(log_softmax)
FIXTURE_TEST(softmax_cross_entropy)
FIXTURE_TEST(mse)
FIXTURE_TEST(conv2d)
FIXTURE_TEST(max_pool2d)
FIXTURE_TEST(conv2d_relu_pool)
FIXTURE_TEST(linear)
FIXTURE_TEST(linear_relu)
FIXTURE_TEST(gather)

/* Every case names a known op, every op in the table has a test above (the
 * table and the list match one to one), and every op in the registry was
 * recorded on the tape by some case. Named to sort after the op tests. */
TEST(fixtures_zz_cover_every_op) {
    load_all();
    for (int i = 0; i < g_nfx; i++)
        CHECK_MSG(op_of(g_fx[i].op), "fixture %s: unknown op %s", g_fx[i].file, g_fx[i].op);
    /* forward passes alone, to see which ops each case records */
    for (int i = 0; i < g_nfx; i++) {
        const fx_op *op = op_of(g_fx[i].op);
        if (!op) continue;
        nb_ctx *ctx = nb_ctx_new();
        nb_tensor *in[FX_MAX_TENSORS];
        int nin = 0;
        for (; nin < FX_MAX_TENSORS; nin++) {
            char nm[16];
            snprintf(nm, sizeof nm, "in%d", nin);
            const fx_tensor *t = tensor_of(&g_fx[i], nm);
            if (!t) break;
            in[nin] = make(ctx, g_fx[i].dt, t);
            nb_tensor_requires_grad(in[nin], true);
        }
        if (op->run(ctx, &g_fx[i], in, nin)) note_tape(ctx);
        nb_ctx_free(ctx);
    }
    for (int i = 0; nb__all_ops[i]; i++) {
        bool seen = false;
        for (int j = 0; j < g_nseen; j++) seen |= g_seen[j] == nb__all_ops[i];
        CHECK_MSG(seen, "op %s is in nb__all_ops but no fixture case records it: add cases to tools/gen_op_fixtures.py",
                  nb__all_ops[i]->name);
    }
}
