/* nabla/plot.h — small SVG figures, no dependency.
 *
 * A figure is a grid of panels; a panel has x and y axes (linear or log) with
 * ticks, labels, a title and a legend, and holds series drawn in the order
 * they were added:
 *
 *     nb_fig *fig = nb_fig_new(800, 360, 1, 2);         // 800 x 360 px of panels
 *     nb_panel *p = nb_fig_panel(fig, 1);                // row-major index
 *     nb_panel_labels(p, "loss", "step", "f(x)");
 *     nb_panel_scale(p, false, true);                    // log y
 *     nb_plot_line(p, n, steps, loss, "GD", NULL);       // NULL: the next palette color
 *     nb_fig_caption(fig, "predicted rate 0.8, measured 0.8");
 *     nb_status s = nb_fig_save(fig, "out.svg");         // atomic: all or nothing
 *     nb_fig_free(fig);
 *
 * Data are copied when added. Non-finite points (and, on a log axis,
 * non-positive ones) are not drawn: a line breaks there. Everything is clipped
 * to its panel, so a diverging path stays inside the frame. Text is escaped;
 * UTF-8 (α, ε, ²) passes through. Errors are nb_status values (nb_errmsg). */
#ifndef NABLA_PLOT_H
#define NABLA_PLOT_H

#include <stdio.h>

#include "nabla/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_fig nb_fig;
typedef struct nb_panel nb_panel;

typedef enum nb_marker {
    NB_MARKER_NONE = 0,
    NB_MARKER_CIRCLE,
    NB_MARKER_SQUARE,
    NB_MARKER_TRIANGLE,
    NB_MARKER_DIAMOND,
    NB_MARKER_CROSS,
    NB_MARKER_STAR,
} nb_marker;

/* How a series looks. All-zero ({0} or NULL) is a 1.5 px solid line in the
 * panel's next palette color. */
typedef struct nb_style {
    int color;          /* palette index 1..10; 0: the panel's next color */
    const char *rgb;    /* "#rrggbb" or an SVG color name; overrides color */
    double width;       /* line width in px; 0: 1.5; < 0: no line (markers only) */
    nb_marker marker;   /* drawn at every point */
    double marker_size; /* marker radius in px; 0: 3 */
    int dash;           /* 0 solid, 1 dashed, 2 dotted */
    double opacity;     /* 0: opaque */
} nb_style;

typedef enum nb_legend_pos {
    NB_LEGEND_NE = 0, NB_LEGEND_NW, NB_LEGEND_SE, NB_LEGEND_SW, NB_LEGEND_NONE
} nb_legend_pos;

/* ---- figures ------------------------------------------------------------- */
/* width x height px holds rows x cols panels; a title and captions add their
 * own lines below/above. NULL (and nb_errmsg) on bad sizes. */
nb_fig *nb_fig_new(double width, double height, int rows, int cols);
void nb_fig_free(nb_fig *fig);
nb_status nb_fig_title(nb_fig *fig, const char *title);
/* Appends one caption line under the panels. */
nb_status nb_fig_caption(nb_fig *fig, const char *text);
/* Panel i (0-based, row-major); NULL if out of range. */
nb_panel *nb_fig_panel(nb_fig *fig, int i);
/* The SVG document; nb_fig_save writes it atomically (nb_outfile). */
nb_status nb_fig_write(const nb_fig *fig, FILE *fp);
nb_status nb_fig_save(const nb_fig *fig, const char *path);

/* ---- panels -------------------------------------------------------------- */
/* Any of the three may be NULL (left as it was). */
nb_status nb_panel_labels(nb_panel *p, const char *title, const char *xlabel, const char *ylabel);
/* Log scale per axis; data <= 0 on a log axis is skipped, never an error. */
nb_status nb_panel_scale(nb_panel *p, bool xlog, bool ylog);
/* Fixed limits (lo < hi, both > 0 on a log axis); otherwise the axes fit the data. */
nb_status nb_panel_xlim(nb_panel *p, double lo, double hi);
nb_status nb_panel_ylim(nb_panel *p, double lo, double hi);
/* Widens the narrower of the two fixed ranges about its centre so that one
 * unit is as many px on x as on y: a gradient step then looks perpendicular
 * to its contour. Set both limits first (linear axes); add contours after.
 * lim (may be NULL) receives the new xlo, xhi, ylo, yhi. */
nb_status nb_panel_equal_scale(nb_panel *p, double lim[4]);
nb_status nb_panel_legend(nb_panel *p, nb_legend_pos pos);
/* A broken x axis: points at x == at (such as lambda = 0, which a log axis
 * cannot show) are drawn in a slot left of the axis, behind a break mark,
 * under their own tick label; the axis fits the other points. A line is not
 * drawn across the break: plot such a point on its own. */
nb_status nb_panel_xbreak(nb_panel *p, double at, const char *label);

/* ---- series -------------------------------------------------------------- */
/* A polyline through n points (markers too if style->marker is set). */
nb_status nb_plot_line(nb_panel *p, int64_t n, const double *x, const double *y,
                       const char *label, const nb_style *style);
/* Markers only (a circle unless style->marker says otherwise), with vertical
 * error bars y ± yerr[i] when yerr is not NULL. */
nb_status nb_plot_points(nb_panel *p, int64_t n, const double *x, const double *y,
                         const double *yerr, const char *label, const nb_style *style);
/* A horizontal (vertical == false) or vertical reference line across the panel. */
nb_status nb_plot_refline(nb_panel *p, bool vertical, double at, const char *label,
                          const nb_style *style);
/* Text at data point (x, y); anchor 0 start, 1 middle, 2 end. */
nb_status nb_plot_text(nb_panel *p, double x, double y, const char *text, int anchor,
                       const nb_style *style);
/* Contour lines of f over the panel's limits (set both with nb_panel_xlim/ylim
 * first), by marching squares on a grid x grid lattice (0: 160). Each level
 * gets a color from a sequential map unless style sets one. f is called
 * during this call only. */
nb_status nb_plot_contour(nb_panel *p, double (*f)(double x, double y, void *ud), void *ud,
                          int nlevels, const double *levels, int grid, const nb_style *style);

/* ---- helpers ------------------------------------------------------------- */
/* n levels from lo to hi, evenly (log == false) or geometrically spaced. */
nb_status nb_plot_levels(double lo, double hi, int n, bool logspace, double *out);
/* The palette's i-th color (1..10, cycling), "#rrggbb". */
const char *nb_plot_color(int i);

#ifdef __cplusplus
}
#endif
#endif
