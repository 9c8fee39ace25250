/* SVG figures: panels, axes with nice ticks, series, marching-squares contours. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/io.h"
#include "nabla/plot.h"

#define PI 3.14159265358979323846

enum { ITEM_LINE, ITEM_POINTS, ITEM_REFLINE, ITEM_TEXT, ITEM_CONTOUR };

typedef struct item {
    int kind;
    int64_t n;       /* points; for a contour, segments */
    double *x, *y;   /* points; a contour keeps x0,y0,x1,y1 per segment in x */
    double *yerr;
    int *level;      /* contour: the level of each segment */
    int nlevels;
    char *label;     /* line, points, refline label; text's text */
    nb_style st;
    char rgb[32];
    double at;       /* refline position; text x, y in x[0], y[0] */
    bool vertical;
    int anchor;
} item;

struct nb_panel {
    char *title, *xlabel, *ylabel;
    bool xlog, ylog, xfix, yfix;
    double xlo, xhi, ylo, yhi;
    nb_legend_pos legend;
    double fw, fh;   /* the plot area in px (panel_frame) */
    bool xbreak;           /* x == xbreak_at drawn left of a break (nb_panel_xbreak) */
    double xbreak_at;
    char *xbreak_label;
    item *items;
    int nitems, cap, next_color;
};

struct nb_fig {
    double w, h;
    int rows, cols;
    nb_panel *panels;
    char *title;
    char **captions;
    int ncaptions;
};

static const char *palette[10] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                  "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

const char *nb_plot_color(int i) { return palette[((i - 1) % 10 + 10) % 10]; }

static char *dupstr(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static nb_status replace_str(char **dst, const char *s, const char *fn) {
    if (!s) return NB_OK;
    char *d = dupstr(s);
    if (!d) return nb_fail(NB_ENOMEM, "%s: out of memory", fn);
    free(*dst);
    *dst = d;
    return NB_OK;
}

/* ---- figures --------------------------------------------------------------- */
/* A cell of cw x ch px: its plot area's offset and size (room for the ticks,
 * labels and title). */
static void panel_frame(double cw, double ch, double *dx, double *dy, double *w, double *h) {
    *dx = 64, *dy = 28, *w = cw - 64 - 16, *h = ch - 28 - 44;
    if (*w < 10) *w = 10;
    if (*h < 10) *h = 10;
}

nb_fig *nb_fig_new(double width, double height, int rows, int cols) {
    if (!(width >= 50 && height >= 50 && width <= 1e5 && height <= 1e5)) {
        nb_fail(NB_EINVAL, "nb_fig_new: size %g x %g px is out of range [50, 1e5]", width, height);
        return NULL;
    }
    if (rows < 1 || cols < 1 || rows > 64 || cols > 64) {
        nb_fail(NB_EINVAL, "nb_fig_new: %d x %d panels, expected 1..64 each", rows, cols);
        return NULL;
    }
    nb_fig *f = calloc(1, sizeof *f);
    if (f) f->panels = calloc((size_t)(rows * cols), sizeof *f->panels);
    if (!f || !f->panels) {
        free(f);
        nb_fail(NB_ENOMEM, "nb_fig_new: out of memory");
        return NULL;
    }
    f->w = width, f->h = height, f->rows = rows, f->cols = cols;
    for (int i = 0; i < rows * cols; i++) {
        double dx, dy;
        panel_frame(width / cols, height / rows, &dx, &dy, &f->panels[i].fw, &f->panels[i].fh);
    }
    return f;
}

static void item_free(item *it) {
    free(it->x);
    free(it->y);
    free(it->yerr);
    free(it->level);
    free(it->label);
}

void nb_fig_free(nb_fig *fig) {
    if (!fig) return;
    for (int i = 0; i < fig->rows * fig->cols; i++) {
        nb_panel *p = &fig->panels[i];
        for (int j = 0; j < p->nitems; j++) item_free(&p->items[j]);
        free(p->items);
        free(p->title);
        free(p->xbreak_label);
        free(p->xlabel);
        free(p->ylabel);
    }
    for (int i = 0; i < fig->ncaptions; i++) free(fig->captions[i]);
    free(fig->captions);
    free(fig->title);
    free(fig->panels);
    free(fig);
}

nb_status nb_fig_title(nb_fig *fig, const char *title) {
    if (!fig || !title) return nb_fail(NB_EINVAL, "nb_fig_title: NULL argument");
    return replace_str(&fig->title, title, "nb_fig_title");
}

nb_status nb_fig_caption(nb_fig *fig, const char *text) {
    if (!fig || !text) return nb_fail(NB_EINVAL, "nb_fig_caption: NULL argument");
    char **c = realloc(fig->captions, (size_t)(fig->ncaptions + 1) * sizeof *c);
    if (!c) return nb_fail(NB_ENOMEM, "nb_fig_caption: out of memory");
    fig->captions = c;
    if (!(c[fig->ncaptions] = dupstr(text))) return nb_fail(NB_ENOMEM, "nb_fig_caption: out of memory");
    fig->ncaptions++;
    return NB_OK;
}

nb_panel *nb_fig_panel(nb_fig *fig, int i) {
    if (!fig || i < 0 || i >= fig->rows * fig->cols) {
        nb_fail(NB_EINVAL, "nb_fig_panel: panel %d does not exist (figure has %d)", i,
                fig ? fig->rows * fig->cols : 0);
        return NULL;
    }
    return &fig->panels[i];
}

/* ---- panels ---------------------------------------------------------------- */
nb_status nb_panel_labels(nb_panel *p, const char *title, const char *xlabel, const char *ylabel) {
    if (!p) return nb_fail(NB_EINVAL, "nb_panel_labels: NULL panel");
    nb_status s;
    if ((s = replace_str(&p->title, title, "nb_panel_labels"))) return s;
    if ((s = replace_str(&p->xlabel, xlabel, "nb_panel_labels"))) return s;
    return replace_str(&p->ylabel, ylabel, "nb_panel_labels");
}

nb_status nb_panel_scale(nb_panel *p, bool xlog, bool ylog) {
    if (!p) return nb_fail(NB_EINVAL, "nb_panel_scale: NULL panel");
    if ((xlog && p->xfix && p->xlo <= 0) || (ylog && p->yfix && p->ylo <= 0))
        return nb_fail(NB_EINVAL, "nb_panel_scale: a log axis needs positive limits");
    p->xlog = xlog, p->ylog = ylog;
    return NB_OK;
}

static nb_status set_lim(nb_panel *p, bool y, double lo, double hi) {
    const char *fn = y ? "nb_panel_ylim" : "nb_panel_xlim";
    if (!p) return nb_fail(NB_EINVAL, "%s: NULL panel", fn);
    if (!(isfinite(lo) && isfinite(hi) && lo < hi))
        return nb_fail(NB_EINVAL, "%s: limits [%g, %g] need finite lo < hi", fn, lo, hi);
    if ((y ? p->ylog : p->xlog) && lo <= 0)
        return nb_fail(NB_EINVAL, "%s: a log axis needs positive limits, got [%g, %g]", fn, lo, hi);
    if (y) p->ylo = lo, p->yhi = hi, p->yfix = true;
    else p->xlo = lo, p->xhi = hi, p->xfix = true;
    return NB_OK;
}
nb_status nb_panel_xlim(nb_panel *p, double lo, double hi) { return set_lim(p, false, lo, hi); }
nb_status nb_panel_ylim(nb_panel *p, double lo, double hi) { return set_lim(p, true, lo, hi); }

nb_status nb_panel_equal_scale(nb_panel *p, double lim[4]) {
    if (!p) return nb_fail(NB_EINVAL, "nb_panel_equal_scale: NULL panel");
    if (!p->xfix || !p->yfix || p->xlog || p->ylog)
        return nb_fail(NB_EINVAL, "nb_panel_equal_scale: needs both limits set, on linear axes");
    /* units per px on each axis; the smaller one is widened about its centre */
    double ux = (p->xhi - p->xlo) / p->fw, uy = (p->yhi - p->ylo) / p->fh;
    if (ux > uy) {
        double c = (p->ylo + p->yhi) / 2, half = ux * p->fh / 2;
        p->ylo = c - half, p->yhi = c + half;
    } else {
        double c = (p->xlo + p->xhi) / 2, half = uy * p->fw / 2;
        p->xlo = c - half, p->xhi = c + half;
    }
    if (lim) lim[0] = p->xlo, lim[1] = p->xhi, lim[2] = p->ylo, lim[3] = p->yhi;
    return NB_OK;
}

nb_status nb_panel_legend(nb_panel *p, nb_legend_pos pos) {
    if (!p || pos < NB_LEGEND_NE || pos > NB_LEGEND_NONE)
        return nb_fail(NB_EINVAL, "nb_panel_legend: bad panel or position");
    p->legend = pos;
    return NB_OK;
}

nb_status nb_panel_xbreak(nb_panel *p, double at, const char *label) {
    if (!p || !isfinite(at)) return nb_fail(NB_EINVAL, "nb_panel_xbreak: bad panel or position");
    nb_status s = replace_str(&p->xbreak_label, label ? label : "", "nb_panel_xbreak");
    if (s) return s;
    p->xbreak = true, p->xbreak_at = at;
    return NB_OK;
}

/* ---- series ---------------------------------------------------------------- */
static item *new_item(nb_panel *p, int kind, const nb_style *st, const char *label, const char *fn) {
    if (p->nitems == p->cap) {
        int cap = p->cap ? 2 * p->cap : 8;
        item *it = realloc(p->items, (size_t)cap * sizeof *it);
        if (!it) {
            nb_fail(NB_ENOMEM, "%s: out of memory", fn);
            return NULL;
        }
        p->items = it, p->cap = cap;
    }
    item *it = &p->items[p->nitems];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    if (st) it->st = *st;
    if (it->st.rgb) {
        snprintf(it->rgb, sizeof it->rgb, "%s", it->st.rgb);
        /* keep the attribute safe: a color is letters, digits and '#' only */
        for (char *c = it->rgb; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '#'))
                *c = '0';
    } else if (kind != ITEM_CONTOUR) {
        int ci = it->st.color > 0 ? it->st.color : ++p->next_color;
        snprintf(it->rgb, sizeof it->rgb, "%s", nb_plot_color(ci));
    }
    it->st.rgb = NULL;
    if (label && !(it->label = dupstr(label))) {
        nb_fail(NB_ENOMEM, "%s: out of memory", fn);
        return NULL;
    }
    return it;
}

static double *dupd(const double *v, int64_t n) {
    double *d = malloc((size_t)(n > 0 ? n : 1) * sizeof *d);
    if (d && n > 0) memcpy(d, v, (size_t)n * sizeof *d);
    return d;
}

static nb_status add_xy(nb_panel *p, int kind, int64_t n, const double *x, const double *y,
                        const double *yerr, const char *label, const nb_style *st, const char *fn) {
    if (!p) return nb_fail(NB_EINVAL, "%s: NULL panel", fn);
    if (n < 0 || n > ((int64_t)1 << 40) || (n > 0 && (!x || !y)))
        return nb_fail(NB_EINVAL, "%s: bad point count %lld or NULL data", fn, (long long)n);
    item *it = new_item(p, kind, st, label, fn);
    if (!it) return nb_errcode();
    it->n = n;
    it->x = dupd(x, n);
    it->y = dupd(y, n);
    if (yerr) it->yerr = dupd(yerr, n);
    if (!it->x || !it->y || (yerr && !it->yerr)) {
        item_free(it);
        return nb_fail(NB_ENOMEM, "%s: out of memory", fn);
    }
    p->nitems++;
    return NB_OK;
}

nb_status nb_plot_line(nb_panel *p, int64_t n, const double *x, const double *y,
                       const char *label, const nb_style *style) {
    return add_xy(p, ITEM_LINE, n, x, y, NULL, label, style, "nb_plot_line");
}

nb_status nb_plot_points(nb_panel *p, int64_t n, const double *x, const double *y,
                         const double *yerr, const char *label, const nb_style *style) {
    nb_style st = style ? *style : (nb_style){0};
    if (st.marker == NB_MARKER_NONE) st.marker = NB_MARKER_CIRCLE;
    return add_xy(p, ITEM_POINTS, n, x, y, yerr, label, &st, "nb_plot_points");
}

nb_status nb_plot_refline(nb_panel *p, bool vertical, double at, const char *label,
                          const nb_style *style) {
    if (!p) return nb_fail(NB_EINVAL, "nb_plot_refline: NULL panel");
    if (!isfinite(at)) return nb_fail(NB_EINVAL, "nb_plot_refline: position %g is not finite", at);
    nb_style st = style ? *style : (nb_style){0};
    if (!style) st.dash = 1;
    item *it = new_item(p, ITEM_REFLINE, &st, label, "nb_plot_refline");
    if (!it) return nb_errcode();
    it->vertical = vertical, it->at = at;
    p->nitems++;
    return NB_OK;
}

nb_status nb_plot_text(nb_panel *p, double x, double y, const char *text, int anchor,
                       const nb_style *style) {
    if (!p || !text) return nb_fail(NB_EINVAL, "nb_plot_text: NULL argument");
    if (!isfinite(x) || !isfinite(y)) return nb_fail(NB_EINVAL, "nb_plot_text: position is not finite");
    nb_style st = style ? *style : (nb_style){0};
    if (!st.rgb && st.color == 0) st.rgb = "#222222";
    int64_t one = 1;
    nb_status s = add_xy(p, ITEM_TEXT, one, &x, &y, NULL, text, &st, "nb_plot_text");
    if (s == NB_OK) p->items[p->nitems - 1].anchor = anchor < 0 ? 0 : anchor > 2 ? 2 : anchor;
    return s;
}

nb_status nb_plot_levels(double lo, double hi, int n, bool logspace, double *out) {
    if (!out || n < 1 || !isfinite(lo) || !isfinite(hi) || lo > hi || (logspace && lo <= 0))
        return nb_fail(NB_EINVAL, "nb_plot_levels: need n >= 1 and finite lo <= hi (> 0 for log), got %d, [%g, %g]",
                       n, lo, hi);
    for (int i = 0; i < n; i++) {
        double t = n == 1 ? 0 : (double)i / (n - 1);
        out[i] = logspace ? exp(log(lo) + t * (log(hi) - log(lo))) : lo + t * (hi - lo);
    }
    return NB_OK;
}

/* Axis space: a log axis is drawn in log10 units. */
static double to_u(bool lg, double v) { return lg ? log10(v) : v; }
static double from_u(bool lg, double u) { return lg ? pow(10, u) : u; }

/* Where a contour level crosses the edge from value va to vb: the fraction t. */
static double cross(double va, double vb, double level) {
    double d = vb - va;
    return d == 0 ? 0.5 : (level - va) / d;
}

nb_status nb_plot_contour(nb_panel *p, double (*f)(double x, double y, void *ud), void *ud,
                          int nlevels, const double *levels, int grid, const nb_style *style) {
    if (!p || !f || (nlevels > 0 && !levels))
        return nb_fail(NB_EINVAL, "nb_plot_contour: NULL argument");
    if (nlevels < 1 || nlevels > 1000)
        return nb_fail(NB_EINVAL, "nb_plot_contour: %d levels, expected 1..1000", nlevels);
    if (!p->xfix || !p->yfix)
        return nb_fail(NB_EINVAL, "nb_plot_contour: set the panel's limits (nb_panel_xlim, nb_panel_ylim) first");
    if (grid == 0) grid = 160;
    if (grid < 2 || grid > 4000) return nb_fail(NB_EINVAL, "nb_plot_contour: grid %d, expected 2..4000", grid);
    int g = grid;
    double *v = malloc((size_t)(g + 1) * (size_t)(g + 1) * sizeof *v);
    double *gu = malloc((size_t)(g + 1) * sizeof *gu), *gv = malloc((size_t)(g + 1) * sizeof *gv);
    item *it = NULL;
    if (!v || !gu || !gv) goto oom;
    double u0 = to_u(p->xlog, p->xlo), u1 = to_u(p->xlog, p->xhi);
    double w0 = to_u(p->ylog, p->ylo), w1 = to_u(p->ylog, p->yhi);
    for (int i = 0; i <= g; i++) {
        gu[i] = u0 + (u1 - u0) * i / g;
        gv[i] = w0 + (w1 - w0) * i / g;
    }
    for (int j = 0; j <= g; j++)
        for (int i = 0; i <= g; i++)
            v[(size_t)j * (g + 1) + i] = f(from_u(p->xlog, gu[i]), from_u(p->ylog, gv[j]), ud);
    it = new_item(p, ITEM_CONTOUR, style, NULL, "nb_plot_contour");
    if (!it) goto fail;
    it->nlevels = nlevels;
    int64_t cap = 1024, n = 0;
    it->x = malloc((size_t)cap * 4 * sizeof *it->x);
    it->level = malloc((size_t)cap * sizeof *it->level);
    if (!it->x || !it->level) goto oom;
    /* Edges of a cell: 0 bottom (a-b), 1 right (b-c), 2 top (d-c), 3 left (a-d);
     * corners a = (i,j), b = (i+1,j), c = (i+1,j+1), d = (i,j+1). Case k and
     * 15-k cut the same edges; 5 and 10 are saddles, split by the centre value. */
    static const int seg[8][2] = {{-1, -1}, {3, 0}, {0, 1}, {3, 1}, {1, 2}, {-1, -1}, {0, 2}, {3, 2}};
    for (int l = 0; l < nlevels; l++) {
        double L = levels[l];
        if (!isfinite(L)) continue;
        for (int j = 0; j < g; j++)
            for (int i = 0; i < g; i++) {
                double va = v[(size_t)j * (g + 1) + i], vb = v[(size_t)j * (g + 1) + i + 1];
                double vd = v[(size_t)(j + 1) * (g + 1) + i], vc = v[(size_t)(j + 1) * (g + 1) + i + 1];
                if (!isfinite(va) || !isfinite(vb) || !isfinite(vc) || !isfinite(vd)) continue;
                int k = (va >= L) | (vb >= L) << 1 | (vc >= L) << 2 | (vd >= L) << 3;
                if (k == 0 || k == 15) continue;
                double ex[4], ey[4];
                double du = gu[i + 1] - gu[i], dv = gv[j + 1] - gv[j];
                ex[0] = gu[i] + cross(va, vb, L) * du, ey[0] = gv[j];
                ex[1] = gu[i + 1], ey[1] = gv[j] + cross(vb, vc, L) * dv;
                ex[2] = gu[i] + cross(vd, vc, L) * du, ey[2] = gv[j + 1];
                ex[3] = gu[i], ey[3] = gv[j] + cross(va, vd, L) * dv;
                int pairs[2][2], np = 0;
                if (k == 5 || k == 10) {
                    bool centre = (va + vb + vc + vd) / 4 >= L;
                    /* the segments cut off the two corners not joined through the centre */
                    bool around_bd = (k == 5) == centre;
                    if (around_bd) {
                        pairs[0][0] = 0, pairs[0][1] = 1, pairs[1][0] = 2, pairs[1][1] = 3;
                    } else {
                        pairs[0][0] = 3, pairs[0][1] = 0, pairs[1][0] = 1, pairs[1][1] = 2;
                    }
                    np = 2;
                } else {
                    int kk = k < 8 ? k : 15 - k;
                    pairs[0][0] = seg[kk][0], pairs[0][1] = seg[kk][1];
                    np = 1;
                }
                for (int q = 0; q < np; q++) {
                    if (n == cap) {
                        cap *= 2;
                        double *nx = realloc(it->x, (size_t)cap * 4 * sizeof *nx);
                        if (nx) it->x = nx;
                        int *nl = realloc(it->level, (size_t)cap * sizeof *nl);
                        if (nl) it->level = nl;
                        if (!nx || !nl) goto oom;
                    }
                    int e0 = pairs[q][0], e1 = pairs[q][1];
                    it->x[4 * n + 0] = from_u(p->xlog, ex[e0]);
                    it->x[4 * n + 1] = from_u(p->ylog, ey[e0]);
                    it->x[4 * n + 2] = from_u(p->xlog, ex[e1]);
                    it->x[4 * n + 3] = from_u(p->ylog, ey[e1]);
                    it->level[n] = l;
                    n++;
                }
            }
    }
    it->n = n;
    p->nitems++;
    free(v), free(gu), free(gv);
    return NB_OK;
oom:
    nb_fail(NB_ENOMEM, "nb_plot_contour: out of memory");
fail:
    if (it) item_free(it);
    free(v), free(gu), free(gv);
    return nb_errcode();
}

/* ---- rendering ------------------------------------------------------------- */
typedef struct frame {
    double x0, y0, w, h;      /* plot area in px (y0 is the top) */
    double ulo, uhi, vlo, vhi; /* limits in axis space */
    bool xlog, ylog;
    double mx0, mw;            /* where ulo..uhi is drawn: x0, w unless the x axis is broken */
    bool brk;                  /* x == brk_at is drawn at brk_px, left of the break */
    double brk_at, brk_px;
} frame;

static bool to_px(const frame *fr, double x, double y, double *px, double *py) {
    bool brk = fr->brk && x == fr->brk_at;
    if (!isfinite(x) || !isfinite(y) || (fr->xlog && x <= 0 && !brk) || (fr->ylog && y <= 0)) return false;
    *px = brk ? fr->brk_px : fr->mx0 + (to_u(fr->xlog, x) - fr->ulo) / (fr->uhi - fr->ulo) * fr->mw;
    *py = fr->y0 + fr->h - (to_u(fr->ylog, y) - fr->vlo) / (fr->vhi - fr->vlo) * fr->h;
    return isfinite(*px) && isfinite(*py);
}

/* Liang-Barsky: clips the segment to the rectangle; false if nothing is left. */
static bool clip_seg(double bx0, double by0, double bx1, double by1, double *ax, double *ay, double *cx, double *cy) {
    double t0 = 0, t1 = 1, dx = *cx - *ax, dy = *cy - *ay;
    double pp[4] = {-dx, dx, -dy, dy}, qq[4] = {*ax - bx0, bx1 - *ax, *ay - by0, by1 - *ay};
    for (int i = 0; i < 4; i++) {
        if (pp[i] == 0) {
            if (qq[i] < 0) return false;
        } else {
            double r = qq[i] / pp[i];
            if (pp[i] < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
            else { if (r < t0) return false; if (r < t1) t1 = r; }
        }
    }
    double x0 = *ax + t0 * dx, y0 = *ay + t0 * dy, x1 = *ax + t1 * dx, y1 = *ay + t1 * dy;
    *ax = x0, *ay = y0, *cx = x1, *cy = y1;
    return true;
}

/* A polyline is thinned to what the picture can show before it is written:
 * the drawn path passes within THIN_RADIAL + THIN_RDP px (a quarter pixel) of
 * every point, and every piece keeps its first and last points. A point within
 * THIN_RADIAL of the last one kept is dropped as it arrives; what is left is
 * simplified by Ramer-Douglas-Peucker with distances to the segment (not the
 * line: an oscillating path turns back on itself). Pieces are thinned in
 * chunks of at most THIN_CHUNK points, so memory stays small. */
#define THIN_RADIAL 0.1
#define THIN_RDP 0.15
#define THIN_CHUNK 8192

typedef struct pen {
    FILE *fp;
    double *x, *y;   /* the piece's points in px, THIN_CHUNK of each */
    int *stack;      /* RDP's pending ranges */
    unsigned char *keep;
    int n;
    bool held;       /* hx, hy: the last point dropped by the radial pass */
    double hx, hy;
} pen;

static double seg_dist2(double px, double py, double ax, double ay, double bx, double by) {
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, t = 0;
    if (l2 > 0) t = ((px - ax) * dx + (py - ay) * dy) / l2;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = ax + t * dx - px, ey = ay + t * dy - py;
    return ex * ex + ey * ey;
}

/* Writes the pending points (an M, then L to those RDP keeps); the last
 * stays as the start of what follows when more is coming. */
static void pen_flush(pen *pn, bool more) {
    if (pn->held) pn->x[pn->n] = pn->hx, pn->y[pn->n] = pn->hy, pn->n++, pn->held = false;
    int n = pn->n;
    if (n == 0) return;
    if (n == 1) {
        fprintf(pn->fp, "M%.2f %.2fh0.01", pn->x[0], pn->y[0]);
        pn->n = 0;
        return;
    }
    memset(pn->keep, 0, (size_t)n);
    pn->keep[0] = pn->keep[n - 1] = 1;
    int sp = 0;
    pn->stack[sp++] = 0, pn->stack[sp++] = n - 1;
    while (sp > 0) {
        int j = pn->stack[--sp], i = pn->stack[--sp], far = -1;
        double dmax = THIN_RDP * THIN_RDP;
        for (int k = i + 1; k < j; k++) {
            double d = seg_dist2(pn->x[k], pn->y[k], pn->x[i], pn->y[i], pn->x[j], pn->y[j]);
            if (d > dmax) dmax = d, far = k;
        }
        if (far < 0) continue;
        pn->keep[far] = 1;
        pn->stack[sp++] = i, pn->stack[sp++] = far;
        pn->stack[sp++] = far, pn->stack[sp++] = j;
    }
    fprintf(pn->fp, "M%.2f %.2f", pn->x[0], pn->y[0]);
    for (int k = 1; k < n; k++)
        if (pn->keep[k]) fprintf(pn->fp, "L%.2f %.2f", pn->x[k], pn->y[k]);
    pn->n = 0;
    if (more) pn->x[0] = pn->x[n - 1], pn->y[0] = pn->y[n - 1], pn->n = 1;
}

static void pen_to(pen *pn, double x, double y) {
    if (!pn->x) { /* no scratch memory: every segment as it is */
        fprintf(pn->fp, "L%.2f %.2f", x, y);
        return;
    }
    if (pn->n > 0) {
        double dx = x - pn->x[pn->n - 1], dy = y - pn->y[pn->n - 1];
        if (dx * dx + dy * dy < THIN_RADIAL * THIN_RADIAL) {
            pn->held = true, pn->hx = x, pn->hy = y;
            return;
        }
    }
    pn->held = false;
    if (pn->n >= THIN_CHUNK - 1) pen_flush(pn, true);
    pn->x[pn->n] = x, pn->y[pn->n] = y, pn->n++;
}

/* The path data of a polyline: breaks at undrawable points, clipped a little
 * outside the frame (the clip-path trims the rest), so huge values stay
 * finite; each unbroken piece is thinned (pen_flush). */
static void path_data(FILE *fp, const frame *fr, int64_t n, const double *x, const double *y, int64_t stride) {
    double m = 20, bx0 = fr->x0 - m, by0 = fr->y0 - m, bx1 = fr->x0 + fr->w + m, by1 = fr->y0 + fr->h + m;
    bool have_prev = false, down = false;
    double ppx = 0, ppy = 0, penx = 0, peny = 0;
    pen pn = {.fp = fp};
    if (n > 2) {
        pn.x = malloc(THIN_CHUNK * sizeof *pn.x);
        pn.y = malloc(THIN_CHUNK * sizeof *pn.y);
        pn.stack = malloc(4 * THIN_CHUNK * sizeof *pn.stack);
        pn.keep = malloc(THIN_CHUNK);
        if (!pn.x || !pn.y || !pn.stack || !pn.keep) {
            free(pn.x), free(pn.y), free(pn.stack), free(pn.keep);
            pn.x = pn.y = NULL;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        double px, py;
        if (!to_px(fr, x[i * stride], y[i * stride], &px, &py)) {
            have_prev = down = false;
            continue;
        }
        if (n == 1) {
            if (px >= bx0 && px <= bx1 && py >= by0 && py <= by1) fprintf(fp, "M%.2f %.2fh0.01", px, py);
            break;
        }
        if (have_prev) {
            double ax = ppx, ay = ppy, cx = px, cy = py;
            if (clip_seg(bx0, by0, bx1, by1, &ax, &ay, &cx, &cy)) {
                if (!down || fabs(ax - penx) > 1e-6 || fabs(ay - peny) > 1e-6) {
                    if (pn.x) {
                        pen_flush(&pn, false);
                        pen_to(&pn, ax, ay);
                    } else fprintf(fp, "M%.2f %.2f", ax, ay);
                }
                pen_to(&pn, cx, cy);
                down = true, penx = cx, peny = cy;
            } else down = false;
        }
        have_prev = true, ppx = px, ppy = py;
    }
    if (pn.x) {
        pen_flush(&pn, false);
        free(pn.x), free(pn.y), free(pn.stack), free(pn.keep);
    }
}

static void put_esc(FILE *fp, const char *s) {
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&apos;", fp); break;
        default:
            if (c < 0x20 && c != '\t') fputc(' ', fp); /* not allowed in XML 1.0 */
            else fputc(c, fp);
        }
    }
}

static int utf8_len(const char *s) {
    int n = 0;
    for (; s && *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static const char *dash_attr(int dash) {
    return dash == 1 ? " stroke-dasharray=\"6 4\"" : dash == 2 ? " stroke-dasharray=\"1.5 3\"" : "";
}

static void marker(FILE *fp, nb_marker m, double x, double y, double r, const char *col) {
    switch (m) {
    case NB_MARKER_NONE: break;
    case NB_MARKER_CIRCLE: fprintf(fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"/>", x, y, r); break;
    case NB_MARKER_SQUARE:
        fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>", x - r, y - r, 2 * r, 2 * r);
        break;
    case NB_MARKER_TRIANGLE:
        fprintf(fp, "<path d=\"M%.2f %.2fL%.2f %.2fL%.2f %.2fZ\"/>", x, y - 1.2 * r, x + 1.1 * r, y + 0.8 * r,
                x - 1.1 * r, y + 0.8 * r);
        break;
    case NB_MARKER_DIAMOND:
        fprintf(fp, "<path d=\"M%.2f %.2fL%.2f %.2fL%.2f %.2fL%.2f %.2fZ\"/>", x, y - 1.3 * r, x + r, y, x,
                y + 1.3 * r, x - r, y);
        break;
    case NB_MARKER_CROSS:
        fprintf(fp, "<path d=\"M%.2f %.2fL%.2f %.2fM%.2f %.2fL%.2f %.2f\" stroke=\"%s\" stroke-width=\"1.5\"/>",
                x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r, col);
        break;
    case NB_MARKER_STAR: {
        fputs("<path d=\"", fp);
        for (int k = 0; k < 10; k++) {
            double a = -PI / 2 + k * PI / 5, rr = (k % 2 ? 0.45 : 1.25) * r;
            fprintf(fp, "%c%.2f %.2f", k ? 'L' : 'M', x + rr * cos(a), y + rr * sin(a));
        }
        fputs("Z\"/>", fp);
        break;
    }
    }
}

/* Nice ticks in axis space; for a log axis, at powers of ten (and 2, 5 within
 * a short range). Returns the count; labels are plain text or 10^k. */
typedef struct tick { double u; char label[32]; int sup; bool minor; } tick;

static int make_ticks(bool lg, double lo, double hi, tick *t, int max) {
    int n = 0;
    if (!lg) {
        double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw))), fr = raw / mag;
        double step = (fr < 1.5 ? 1 : fr < 3 ? 2 : fr < 7 ? 5 : 10) * mag;
        double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
        for (double k = k0; k <= k1 && n < max; k++) {
            double v = k * step;
            if (fabs(v) < step * 1e-9) v = 0;
            t[n].u = v, t[n].sup = 0, t[n].minor = false;
            double av = fabs(v);
            if (v == 0) snprintf(t[n].label, sizeof t[n].label, "0");
            else if (av >= 1e-3 && av < 1e6) {
                int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
                snprintf(t[n].label, sizeof t[n].label, "%.*f", dec, v);
            } else snprintf(t[n].label, sizeof t[n].label, "%.3g", v);
            n++;
        }
        return n;
    }
    int d0 = (int)floor(lo + 1e-9), d1 = (int)ceil(hi - 1e-9);
    int ndec = d1 - d0, stride = ndec > 8 ? (ndec + 7) / 8 : 1;
    int majors = 0;
    for (int d = d0; d <= d1; d++)
        if (d >= lo - 1e-9 && d <= hi + 1e-9 && d % stride == 0) majors++;
    for (int d = d0; d <= d1 && n < max; d++) {
        for (int m = 1; m <= 9 && n < max; m++) {
            double u = d + log10((double)m);
            if (u < lo - 1e-9 || u > hi + 1e-9) continue;
            if (m == 1 && d % stride == 0) {
                t[n].u = u, t[n].minor = false, t[n].sup = 1;
                snprintf(t[n].label, sizeof t[n].label, "%d", d);
                n++;
            } else if (ndec <= 6 || (m == 1 && stride > 1 && ndec <= 30)) {
                t[n].u = u, t[n].minor = true, t[n].sup = 0, t[n].label[0] = '\0';
                if (majors < 2 && (m == 2 || m == 5)) {
                    t[n].minor = false;
                    snprintf(t[n].label, sizeof t[n].label, "%g", pow(10, u));
                }
                n++;
            }
        }
    }
    return n;
}

static void fit_axis(const nb_panel *p, bool y, double *lo, double *hi) {
    bool lg = y ? p->ylog : p->xlog;
    if (y ? p->yfix : p->xfix) {
        *lo = to_u(lg, y ? p->ylo : p->xlo), *hi = to_u(lg, y ? p->yhi : p->xhi);
        return;
    }
    double mn = INFINITY, mx = -INFINITY;
#define TAKE(v) do { double v_ = (v); if (isfinite(v_) && (!lg || v_ > 0)) { double u_ = to_u(lg, v_); if (u_ < mn) mn = u_; if (u_ > mx) mx = u_; } } while (0)
    for (int i = 0; i < p->nitems; i++) {
        const item *it = &p->items[i];
        if (it->kind == ITEM_LINE || it->kind == ITEM_POINTS || it->kind == ITEM_TEXT) {
            for (int64_t k = 0; k < it->n; k++) {
                if (!isfinite(it->x[k]) || !isfinite(it->y[k])) continue;
                if (y) {
                    TAKE(it->y[k]);
                    if (it->yerr && isfinite(it->yerr[k])) {
                        TAKE(it->y[k] - fabs(it->yerr[k]));
                        TAKE(it->y[k] + fabs(it->yerr[k]));
                    }
                } else if (!(p->xbreak && it->x[k] == p->xbreak_at)) TAKE(it->x[k]);
            }
        } else if (it->kind == ITEM_REFLINE && it->vertical != y) TAKE(it->at);
    }
#undef TAKE
    if (!(mn <= mx)) mn = 0, mx = 1;
    if (mx - mn < 1e-12 * (fabs(mx) + 1)) {
        double d = lg ? 0.5 : (fabs(mn) > 0 ? 0.1 * fabs(mn) : 1);
        mn -= d, mx += d;
    }
    double pad = 0.04 * (mx - mn);
    *lo = mn - pad, *hi = mx + pad;
}

/* A broken x axis: a slot at the left of the plot area for x == xbreak_at,
 * the axis proper to its right. */
static void frame_break(const nb_panel *p, frame *fr) {
    fr->mx0 = fr->x0, fr->mw = fr->w, fr->brk = p->xbreak, fr->brk_at = p->xbreak_at;
    if (!p->xbreak) return;
    double slot = fmin(64, 0.16 * fr->w);
    fr->brk_px = fr->x0 + slot / 2;
    fr->mx0 = fr->x0 + slot, fr->mw = fr->w - slot;
}

/* The break's marks: a faint separator, a gap in the x axis crossed by two
 * slanted strokes, and the slot's own tick and label. */
static void draw_break(FILE *fp, const nb_panel *p, const frame *fr) {
    if (!fr->brk) return;
    double xb = fr->mx0, yb = fr->y0 + fr->h;
    fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#999\" stroke-dasharray=\"3 3\"/>\n", xb,
            fr->y0, xb, yb);
    fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"8\" height=\"6\" fill=\"white\"/>\n", xb - 4, yb - 3);
    fprintf(fp, "<path stroke=\"#444\" d=\"M%.2f %.2fl4 -8M%.2f %.2fl4 -8\"/>\n", xb - 7, yb + 4, xb + 1, yb + 4);
    fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#444\"/>", fr->brk_px, yb, fr->brk_px, yb + 5);
    fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">", fr->brk_px, yb + 17);
    put_esc(fp, p->xbreak_label);
    fputs("</text>\n", fp);
}

static void render_panel(FILE *fp, const nb_panel *p, int idx, double cx, double cy, double cw, double ch) {
    frame fr;
    double dx, dy;
    panel_frame(cw, ch, &dx, &dy, &fr.w, &fr.h);
    fr.x0 = cx + dx, fr.y0 = cy + dy;
    fr.xlog = p->xlog, fr.ylog = p->ylog;
    frame_break(p, &fr);
    fit_axis(p, false, &fr.ulo, &fr.uhi);
    fit_axis(p, true, &fr.vlo, &fr.vhi);
    fprintf(fp, "<g>\n<clipPath id=\"clip%d\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/></clipPath>\n",
            idx, fr.x0, fr.y0, fr.w, fr.h);
    fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"white\"/>\n", fr.x0, fr.y0, fr.w, fr.h);
    /* ticks and grid */
    tick tk[128];
    for (int ax = 0; ax < 2; ax++) {
        bool lg = ax ? fr.ylog : fr.xlog;
        double lo = ax ? fr.vlo : fr.ulo, hi = ax ? fr.vhi : fr.uhi;
        int nt = make_ticks(lg, lo, hi, tk, 128);
        for (int i = 0; i < nt; i++) {
            double f = (tk[i].u - lo) / (hi - lo);
            if (ax == 0) {
                double x = fr.mx0 + f * fr.mw, yb = fr.y0 + fr.h;
                if (!tk[i].minor)
                    fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e6e6e6\"/>", x, fr.y0, x, yb);
                fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#444\"/>", x, yb, x,
                        yb + (tk[i].minor ? 3 : 5));
                if (tk[i].label[0]) {
                    fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">", x, yb + 17);
                    if (tk[i].sup) fprintf(fp, "10<tspan dy=\"-5\" font-size=\"8\">%s</tspan>", tk[i].label);
                    else put_esc(fp, tk[i].label);
                    fputs("</text>\n", fp);
                }
            } else {
                double y = fr.y0 + fr.h - f * fr.h;
                if (!tk[i].minor)
                    fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#e6e6e6\"/>", fr.x0, y,
                            fr.x0 + fr.w, y);
                fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#444\"/>",
                        fr.x0 - (tk[i].minor ? 3 : 5), y, fr.x0, y);
                if (tk[i].label[0]) {
                    fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\">", fr.x0 - 8, y + 4);
                    if (tk[i].sup) fprintf(fp, "10<tspan dy=\"-5\" font-size=\"8\">%s</tspan>", tk[i].label);
                    else put_esc(fp, tk[i].label);
                    fputs("</text>\n", fp);
                }
            }
        }
    }
    /* series, clipped to the frame */
    fprintf(fp, "<g clip-path=\"url(#clip%d)\" fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n", idx);
    for (int i = 0; i < p->nitems; i++) {
        const item *it = &p->items[i];
        const nb_style *st = &it->st;
        double lw = st->width == 0 ? 1.5 : st->width, r = st->marker_size > 0 ? st->marker_size : 3;
        double op = st->opacity > 0 && st->opacity < 1 ? st->opacity : 1;
        switch (it->kind) {
        case ITEM_CONTOUR:
            for (int l = 0; l < it->nlevels; l++) {
                const char *col = it->rgb;
                char buf[16];
                if (!col[0]) { /* a sequential map, dark (low) to light (high) */
                    static const double cm[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
                    double t = it->nlevels > 1 ? 0.9 * l / (it->nlevels - 1) : 0.5, s = t * 4;
                    int k = (int)s < 3 ? (int)s : 3;
                    double a = s - k;
                    snprintf(buf, sizeof buf, "#%02x%02x%02x", (int)(cm[k][0] + a * (cm[k + 1][0] - cm[k][0])),
                             (int)(cm[k][1] + a * (cm[k + 1][1] - cm[k][1])), (int)(cm[k][2] + a * (cm[k + 1][2] - cm[k][2])));
                    col = buf;
                }
                fprintf(fp, "<path stroke=\"%s\" stroke-width=\"%.2f\" stroke-opacity=\"%.2f\"%s d=\"", col,
                        st->width > 0 ? st->width : 1.0, st->opacity > 0 ? op : 0.85, dash_attr(st->dash));
                for (int64_t s = 0; s < it->n; s++)
                    if (it->level[s] == l) path_data(fp, &fr, 2, it->x + 4 * s, it->x + 4 * s + 1, 2);
                fputs("\"/>\n", fp);
            }
            break;
        case ITEM_LINE:
        case ITEM_POINTS:
            if (it->kind == ITEM_LINE && lw > 0) {
                fprintf(fp, "<path stroke=\"%s\" stroke-width=\"%.2f\" stroke-opacity=\"%.2f\"%s d=\"", it->rgb, lw, op,
                        dash_attr(st->dash));
                path_data(fp, &fr, it->n, it->x, it->y, 1);
                fputs("\"/>\n", fp);
            }
            if (it->yerr) {
                fprintf(fp, "<path stroke=\"%s\" stroke-width=\"1.2\" stroke-opacity=\"%.2f\" d=\"", it->rgb, op);
                for (int64_t k = 0; k < it->n; k++) {
                    double e = fabs(it->yerr[k]);
                    double xs[2] = {it->x[k], it->x[k]}, ys[2] = {it->y[k] - e, it->y[k] + e};
                    if (fr.ylog && ys[0] <= 0) ys[0] = from_u(true, fr.vlo - 1);
                    path_data(fp, &fr, 2, xs, ys, 1);
                    double px, py;
                    if (to_px(&fr, it->x[k], ys[0], &px, &py)) fprintf(fp, "M%.2f %.2fh6", px - 3, py);
                    if (to_px(&fr, it->x[k], ys[1], &px, &py)) fprintf(fp, "M%.2f %.2fh6", px - 3, py);
                }
                fputs("\"/>\n", fp);
            }
            if (st->marker != NB_MARKER_NONE) {
                fprintf(fp, "<g fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"white\" stroke-width=\"0.6\">", it->rgb, op);
                double lx = -1e9, ly = -1e9; /* a marker on top of the last one drawn adds nothing */
                for (int64_t k = 0; k < it->n; k++) {
                    double px, py;
                    if (to_px(&fr, it->x[k], it->y[k], &px, &py) && px > fr.x0 - 10 && px < fr.x0 + fr.w + 10 &&
                        py > fr.y0 - 10 && py < fr.y0 + fr.h + 10 &&
                        !(k > 0 && k < it->n - 1 && hypot(px - lx, py - ly) < 0.5)) {
                        marker(fp, st->marker, px, py, r, it->rgb);
                        lx = px, ly = py;
                    }
                }
                fputs("</g>\n", fp);
            }
            break;
        case ITEM_REFLINE: {
            double xs[2], ys[2];
            if (it->vertical) xs[0] = xs[1] = it->at, ys[0] = from_u(fr.ylog, fr.vlo), ys[1] = from_u(fr.ylog, fr.vhi);
            else ys[0] = ys[1] = it->at, xs[0] = from_u(fr.xlog, fr.ulo), xs[1] = from_u(fr.xlog, fr.uhi);
            fprintf(fp, "<path stroke=\"%s\" stroke-width=\"%.2f\" stroke-opacity=\"%.2f\"%s d=\"", it->rgb, lw > 0 ? lw : 1, op,
                    dash_attr(st->dash));
            path_data(fp, &fr, 2, xs, ys, 1);
            fputs("\"/>\n", fp);
            break;
        }
        case ITEM_TEXT: {
            double px, py;
            if (!to_px(&fr, it->x[0], it->y[0], &px, &py)) break;
            static const char *anc[3] = {"start", "middle", "end"};
            fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-size=\"11\" fill=\"%s\" stroke=\"none\">", px, py,
                    anc[it->anchor], it->rgb);
            put_esc(fp, it->label);
            fputs("</text>\n", fp);
            break;
        }
        }
    }
    fputs("</g>\n", fp);
    fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#444\"/>\n", fr.x0, fr.y0,
            fr.w, fr.h);
    draw_break(fp, p, &fr);
    /* labels */
    if (p->title) {
        fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">",
                fr.x0 + fr.w / 2, fr.y0 - 9);
        put_esc(fp, p->title);
        fputs("</text>\n", fp);
    }
    if (p->xlabel) {
        fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\">", fr.x0 + fr.w / 2, fr.y0 + fr.h + 35);
        put_esc(fp, p->xlabel);
        fputs("</text>\n", fp);
    }
    if (p->ylabel) {
        double x = cx + 14, y = fr.y0 + fr.h / 2;
        fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 %.2f %.2f)\">",
                x, y, x, y);
        put_esc(fp, p->ylabel);
        fputs("</text>\n", fp);
    }
    /* legend */
    int nl = 0, maxc = 0;
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i].label && p->items[i].kind != ITEM_TEXT && p->items[i].kind != ITEM_CONTOUR) {
            nl++;
            int c = utf8_len(p->items[i].label);
            if (c > maxc) maxc = c;
        }
    if (nl > 0 && p->legend != NB_LEGEND_NONE) {
        double lw = 40 + maxc * 6.9, lh = 8 + 16 * nl;
        bool east = p->legend == NB_LEGEND_NE || p->legend == NB_LEGEND_SE;
        bool north = p->legend == NB_LEGEND_NE || p->legend == NB_LEGEND_NW;
        double lx = east ? fr.x0 + fr.w - lw - 6 : fr.x0 + 6, ly = north ? fr.y0 + 6 : fr.y0 + fr.h - lh - 6;
        fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n",
                lx, ly, lw, lh);
        int row = 0;
        for (int i = 0; i < p->nitems; i++) {
            const item *it = &p->items[i];
            if (!it->label || it->kind == ITEM_TEXT || it->kind == ITEM_CONTOUR) continue;
            double y = ly + 12 + 16 * row++;
            double w = it->st.width == 0 ? 1.5 : it->st.width;
            if (it->kind != ITEM_POINTS && w > 0)
                fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.2f\"%s/>", lx + 6,
                        y, lx + 28, y, it->rgb, w, dash_attr(it->st.dash));
            if (it->st.marker != NB_MARKER_NONE) {
                fprintf(fp, "<g fill=\"%s\" stroke=\"white\" stroke-width=\"0.6\">", it->rgb);
                marker(fp, it->st.marker, lx + 17, y, it->st.marker_size > 0 ? it->st.marker_size : 3, it->rgb);
                fputs("</g>", fp);
            }
            fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\">", lx + 32, y + 4);
            put_esc(fp, it->label);
            fputs("</text>\n", fp);
        }
    }
    fputs("</g>\n", fp);
}

nb_status nb_fig_write(const nb_fig *fig, FILE *fp) {
    if (!fig || !fp) return nb_fail(NB_EINVAL, "nb_fig_write: NULL argument");
    double top = fig->title ? 30 : 0, bottom = fig->ncaptions ? 10 + 16.0 * fig->ncaptions : 0;
    double W = fig->w, H = fig->h + top + bottom;
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    if (fig->title) {
        fprintf(fp, "<text x=\"%.2f\" y=\"21\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">", W / 2);
        put_esc(fp, fig->title);
        fputs("</text>\n", fp);
    }
    double cw = fig->w / fig->cols, ch = fig->h / fig->rows;
    for (int r = 0; r < fig->rows; r++)
        for (int c = 0; c < fig->cols; c++)
            render_panel(fp, &fig->panels[r * fig->cols + c], r * fig->cols + c, c * cw, top + r * ch, cw, ch);
    for (int i = 0; i < fig->ncaptions; i++) {
        fprintf(fp, "<text x=\"16\" y=\"%.2f\" font-size=\"12\" fill=\"#222\">", top + fig->h + 14 + 16.0 * i);
        put_esc(fp, fig->captions[i]);
        fputs("</text>\n", fp);
    }
    fputs("</svg>\n", fp);
    if (ferror(fp)) return nb_fail(NB_EIO, "cannot write: %s", strerror(errno ? errno : EIO));
    return NB_OK;
}

nb_status nb_fig_save(const nb_fig *fig, const char *path) {
    if (!fig || !path) return nb_fail(NB_EINVAL, "nb_fig_save: NULL argument");
    nb_outfile of;
    nb_status s = nb_outfile_open(&of, path);
    if (s) return s;
    if ((s = nb_fig_write(fig, of.fp))) {
        nb_fail(s, "%s: %s", path, nb_errmsg());
        nb_outfile_abort(&of);
        return s;
    }
    return nb_outfile_commit(&of, false);
}
