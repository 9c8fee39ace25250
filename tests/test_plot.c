/* The SVG plotting module: well-formed XML, escaping, log axes, contours, errors. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "nabla/plot.h"

/* A small XML well-formedness check: balanced tags with matching names,
 * quoted attributes, no raw '<' or '&' outside entities/tags. Returns NULL when
 * well-formed, else a description. */
static const char *xml_check(const char *s) {
    static char err[128];
    const char *stack[512];
    size_t lens[512];
    int depth = 0, roots = 0;
    const char *p = s;
    if (strncmp(p, "<?xml", 5) == 0) {
        p = strstr(p, "?>");
        if (!p) return "unterminated declaration";
        p += 2;
    }
    while (*p) {
        if (*p == '<') {
            if (p[1] == '/') {
                const char *n = p + 2, *e = n;
                while (*e && *e != '>' && *e != ' ') e++;
                if (*e != '>') return "bad end tag";
                if (depth == 0) return "end tag without start";
                depth--;
                if ((size_t)(e - n) != lens[depth] || strncmp(n, stack[depth], lens[depth]) != 0) {
                    snprintf(err, sizeof err, "mismatched end tag </%.*s>", (int)(e - n), n);
                    return err;
                }
                p = e + 1;
                continue;
            }
            if (p[1] == '!' || p[1] == '?') return "unexpected comment/PI";
            const char *n = p + 1, *e = n;
            while (*e && (e == n ? (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') : (*e != ' ' && *e != '>' && *e != '/' && *e != '\n'))) e++;
            if (e == n) return "empty tag name";
            const char *q = e;
            for (;;) { /* attributes */
                while (*q == ' ' || *q == '\n') q++;
                if (*q == '>' || (q[0] == '/' && q[1] == '>')) break;
                const char *an = q;
                while (*q && *q != '=' && *q != ' ' && *q != '>') q++;
                if (q == an || *q != '=') return "attribute without value";
                q++;
                if (*q != '"' && *q != '\'') return "unquoted attribute";
                char quote = *q++;
                while (*q && *q != quote) {
                    if (*q == '<') return "'<' in an attribute";
                    if (*q == '&' && !strchr(q, ';')) return "bare '&' in an attribute";
                    q++;
                }
                if (!*q) return "unterminated attribute";
                q++;
            }
            if (*q == '/') {
                if (depth == 0) roots++;
                p = q + 2;
            } else {
                if (depth == 0) roots++;
                if (depth == 512) return "too deep";
                stack[depth] = n, lens[depth] = (size_t)(e - n), depth++;
                p = q + 1;
            }
            continue;
        }
        if (*p == '&') {
            const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            bool ok = false;
            for (int i = 0; i < 5; i++) ok = ok || strncmp(p, ents[i], strlen(ents[i])) == 0;
            if (!ok) return "bad entity";
        }
        if (*p == '>' && depth == 0) return "'>' outside the root";
        if (depth == 0 && !(*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) return "text outside the root";
        p++;
    }
    if (depth != 0) return "unclosed tags";
    if (roots != 1) return "not exactly one root element";
    return NULL;
}

static char *fig_text(const nb_fig *fig) {
    FILE *fp = tmpfile();
    if (!fp) return NULL;
    if (nb_fig_write(fig, fp) != NB_OK) {
        fclose(fp);
        return NULL;
    }
    long n = ftell(fp);
    rewind(fp);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, fp) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(fp);
    return s;
}

static double bowl(double x, double y, void *ud) {
    (void)ud;
    return x * x + 10 * y * y;
}

TEST(plot_xml_checker_catches_errors) {
    CHECK(xml_check("<a><b x=\"1\"/></a>") == NULL);
    CHECK(xml_check("<a><b></a>") != NULL);
    CHECK(xml_check("<a x=1></a>") != NULL);
    CHECK(xml_check("<a>1 < 2</a>") != NULL);
    CHECK(xml_check("<a>R&D</a>") != NULL);
    CHECK(xml_check("<a/><b/>") != NULL);
}

TEST(plot_figure_is_wellformed_and_escaped) {
    nb_fig *fig = nb_fig_new(700, 320, 1, 2);
    CHECK_NOTNULL(fig);
    if (!fig) return;
    CHECK_OK(nb_fig_title(fig, "a <title> & \"quotes\" α=0.1"));
    nb_panel *a = nb_fig_panel(fig, 0), *b = nb_fig_panel(fig, 1);
    CHECK(a && b);
    CHECK(nb_fig_panel(fig, 2) == NULL);
    CHECK_OK(nb_panel_labels(a, "contours <x>", "x₁", "x₂ & y"));
    CHECK_OK(nb_panel_xlim(a, -2, 2));
    CHECK_OK(nb_panel_ylim(a, -1, 1));
    double lv[8];
    CHECK_OK(nb_plot_levels(0.01, 10, 8, true, lv));
    CHECK_NEAR(lv[0], 0.01, 0, 1e-12);
    CHECK_NEAR(lv[7], 10, 0, 1e-12);
    CHECK_OK(nb_plot_contour(a, bowl, NULL, 8, lv, 60, NULL));
    double px[4] = {1.5, 1.0, 1e300, -0.5}, py[4] = {0.8, -0.6, NAN, 0.1};
    CHECK_OK(nb_plot_line(a, 4, px, py, "path <1>", &(nb_style){.marker = NB_MARKER_CIRCLE}));
    CHECK_OK(nb_plot_text(a, 0, 0, "opt'imum", 1, NULL));
    CHECK_OK(nb_plot_points(a, 1, (double[]){0}, (double[]){0}, NULL, NULL, &(nb_style){.marker = NB_MARKER_STAR, .rgb = "black"}));
    CHECK_OK(nb_panel_scale(b, false, true));
    double sx[5] = {0, 1, 2, 3, 4}, sy[5] = {10, 1, 0, -3, 1e-4}, e[5] = {1, 0.1, 0.1, 1, 1e-5};
    CHECK_OK(nb_plot_line(b, 5, sx, sy, "loss", NULL));
    CHECK_OK(nb_plot_points(b, 5, sx, sy, e, "with bars", NULL));
    CHECK_OK(nb_plot_refline(b, false, 1e-2, "target", NULL));
    CHECK_OK(nb_fig_caption(fig, "predicted 0.8 < 1 & measured 0.8"));
    char *s = fig_text(fig);
    CHECK_NOTNULL(s);
    if (s) {
        const char *err = xml_check(s);
        CHECK_MSG(err == NULL, "not well-formed: %s", err);
        CHECK(strstr(s, "a &lt;title&gt; &amp; &quot;quotes&quot; α=0.1") != NULL);
        CHECK(strstr(s, "opt&apos;imum") != NULL);
        CHECK(strstr(s, "nan") == NULL && strstr(s, "inf") == NULL);
        CHECK(strstr(s, "<tspan") != NULL); /* log ticks as 10^k */
        free(s);
    }
    nb_fig_free(fig);
}

TEST(plot_log_axis_and_bad_arguments) {
    nb_fig *fig = nb_fig_new(300, 200, 1, 1);
    nb_panel *p = nb_fig_panel(fig, 0);
    CHECK_OK(nb_panel_scale(p, true, true));
    CHECK_ERR(nb_panel_xlim(p, 0, 1), NB_EINVAL, "log axis");
    CHECK_ERR(nb_panel_ylim(p, 2, 1), NB_EINVAL, "lo < hi");
    /* only non-positive data: still a valid figure with default limits */
    double x[3] = {-1, 0, -2}, y[3] = {0, -1, -5};
    CHECK_OK(nb_plot_line(p, 3, x, y, "nothing drawable", NULL));
    CHECK_ERR(nb_plot_contour(p, bowl, NULL, 1, (double[]){1}, 0, NULL), NB_EINVAL, "limits");
    CHECK_ERR(nb_plot_line(p, -1, x, y, NULL, NULL), NB_EINVAL, "nb_plot_line");
    CHECK_ERR(nb_plot_line(p, 3, NULL, y, NULL, NULL), NB_EINVAL, "NULL");
    CHECK_ERR(nb_plot_levels(0, 1, 5, true, (double[5]){0}), NB_EINVAL, "nb_plot_levels");
    char *s = fig_text(fig);
    CHECK(s && xml_check(s) == NULL);
    free(s);
    nb_fig_free(fig);
    CHECK(nb_fig_new(0, 100, 1, 1) == NULL);
    CHECK(nb_fig_new(100, 100, 0, 1) == NULL);
    CHECK_ERR(nb_fig_save(NULL, "x.svg"), NB_EINVAL, "nb_fig_save");
}

TEST(plot_save_is_atomic) {
    nb_fig *fig = nb_fig_new(300, 200, 1, 1);
    CHECK_ERR(nb_fig_save(fig, "/nonexistent-dir/x.svg"), NB_EIO, "x.svg");
    char path[] = "/tmp/nabla_plot_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_OK(nb_fig_save(fig, path));
        FILE *fp = fopen(path, "r");
        char buf[64] = {0};
        CHECK(fp && fread(buf, 1, 20, fp) > 0 && strncmp(buf, "<?xml", 5) == 0);
        if (fp) fclose(fp);
        remove(path);
    }
    nb_fig_free(fig);
}

TEST(plot_contour_finds_the_level_set) {
    /* the level-1 set of x^2 + 10 y^2 is an ellipse: every segment end lies on it */
    nb_fig *fig = nb_fig_new(300, 300, 1, 1);
    nb_panel *p = nb_fig_panel(fig, 0);
    CHECK_OK(nb_panel_xlim(p, -2, 2));
    CHECK_OK(nb_panel_ylim(p, -1, 1));
    CHECK_OK(nb_plot_contour(p, bowl, NULL, 1, (double[]){1}, 200, &(nb_style){.rgb = "#000000"}));
    char *s = fig_text(fig);
    CHECK(s != NULL && strstr(s, "stroke=\"#000000\"") != NULL);
    free(s);
    nb_fig_free(fig);
}

/* The points of the path drawn with stroke col ("M x y" and "L x y" only). */
static int path_points(const char *svg, const char *col, double *px, double *py, int max) {
    char key[64];
    snprintf(key, sizeof key, "stroke=\"%s\"", col);
    const char *p = strstr(svg, key);
    if (!p || !(p = strstr(p, " d=\""))) return -1;
    p += 4;
    int n = 0;
    while (*p == 'M' || *p == 'L') {
        char *end;
        double x = strtod(p + 1, &end), y = strtod(end, &end);
        if (n < max) px[n] = x, py[n] = y;
        n++;
        p = end;
    }
    return *p == '"' ? n : -1;
}

static double seg_dist(double px, double py, double ax, double ay, double bx, double by) {
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, t = 0;
    if (l2 > 0) t = ((px - ax) * dx + (py - ay) * dy) / l2;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(ax + t * dx - px, ay + t * dy - py);
}

TEST(plot_thins_a_long_path_to_a_quarter_pixel) {
    /* a wiggly path of many more points than pixels, one that turns back on itself */
    enum { N = 6000, MAXP = N };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    double *qx = malloc(MAXP * sizeof *qx), *qy = malloc(MAXP * sizeof *qy);
    CHECK(x && y && qx && qy);
    if (!x || !y || !qx || !qy) goto out;
    for (int i = 0; i < N; i++) {
        double t = 10.0 * i / (N - 1);
        x[i] = i < N / 2 ? t : 10 - t + 5; /* out to 5, then back */
        y[i] = sin(3 * t) + 0.2 * sin(40 * t) + 1e-4 * (i % 7);
    }
    nb_fig *fig = nb_fig_new(400, 300, 1, 1);
    nb_panel *p = nb_fig_panel(fig, 0);
    CHECK_OK(nb_panel_xlim(p, 0, 10));
    CHECK_OK(nb_panel_ylim(p, -2, 2));
    CHECK_OK(nb_plot_line(p, N, x, y, NULL, &(nb_style){.rgb = "#123456"}));
    char *s = fig_text(fig);
    int n = s ? path_points(s, "#123456", qx, qy, MAXP) : -1;
    CHECK_MSG(n > 1 && n < N / 4, "%d points drawn for %d", n, N);
    if (n > 1 && n <= MAXP) {
        /* the plot area of a 400 x 300 figure's one panel: x from 64, 320 wide; y from 28, 228 high */
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double ux = 64 + x[i] / 10 * 320, uy = 28 + 228 - (y[i] + 2) / 4 * 228, d = INFINITY;
            for (int k = 0; k + 1 < n && d > 0.26; k++) {
                double e = seg_dist(ux, uy, qx[k], qy[k], qx[k + 1], qy[k + 1]);
                if (e < d) d = e;
            }
            if (d > worst) worst = d;
        }
        /* 0.25 px, and the 0.005 px of writing 2 decimals */
        CHECK_MSG(worst <= 0.25 + 0.01, "a point lies %.3f px from the drawn path", worst);
        CHECK_NEAR(qx[0], 64 + x[0] / 10 * 320, 0.006, 0);
        CHECK_NEAR(qy[0], 256 - (y[0] + 2) / 4 * 228, 0.006, 0);
        CHECK_NEAR(qx[n - 1], 64 + x[N - 1] / 10 * 320, 0.006, 0);
        CHECK_NEAR(qy[n - 1], 256 - (y[N - 1] + 2) / 4 * 228, 0.006, 0);
    }
    free(s);
    nb_fig_free(fig);
out:
    free(x), free(y), free(qx), free(qy);
}

TEST(plot_equal_scale_widens_the_narrow_axis) {
    nb_fig *fig = nb_fig_new(400, 300, 1, 1); /* a 320 x 228 px plot area */
    nb_panel *p = nb_fig_panel(fig, 0);
    CHECK_ERR(nb_panel_equal_scale(p, NULL), NB_EINVAL, "limits");
    CHECK_OK(nb_panel_xlim(p, -3, 3));
    CHECK_OK(nb_panel_ylim(p, -1, 1));
    double lim[4];
    CHECK_OK(nb_panel_equal_scale(p, lim));
    CHECK_NEAR(lim[0], -3, 0, 1e-15);
    CHECK_NEAR(lim[1], 3, 0, 1e-15);
    CHECK_NEAR((lim[1] - lim[0]) / 320, (lim[3] - lim[2]) / 228, 0, 1e-12);
    CHECK_NEAR(lim[2] + lim[3], 0, 1e-12, 0); /* about the centre */
    CHECK_OK(nb_panel_ylim(p, 0, 10));
    CHECK_OK(nb_panel_equal_scale(p, lim));
    CHECK_NEAR((lim[1] - lim[0]) / 320, 10.0 / 228, 0, 1e-12);
    CHECK_NEAR(lim[2], 0, 0, 1e-15);
    nb_fig_free(fig);
}
