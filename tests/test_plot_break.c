/* A broken x axis (nb_panel_xbreak): lambda = 0 drawn left of a log axis,
 * labelled, and the axis fitted to the other points. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

static char *svg_of(const nb_fig *fig) {
    FILE *fp = tmpfile();
    if (!fp) return NULL;
    char *s = NULL;
    if (nb_fig_write(fig, fp) == NB_OK) {
        long n = ftell(fp);
        rewind(fp);
        s = malloc((size_t)n + 1);
        if (s && fread(s, 1, (size_t)n, fp) != (size_t)n) free(s), s = NULL;
        if (s) s[n] = '\0';
    }
    fclose(fp);
    return s;
}

static int count(const char *s, const char *what) {
    int c = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p++) c++;
    return c;
}

/* The x coordinates of the circles, in order. */
static int circles(const char *s, double *cx, int max) {
    int n = 0;
    for (const char *p = s; n < max && (p = strstr(p, "<circle cx=\"")) != NULL; p++) cx[n++] = atof(p + 12);
    return n;
}

static char *draw(bool brk) {
    double x[5] = {0, 1e-3, 1e-1, 10, 1e3}, y[5] = {1, 2, 3, 2, 1}, e[5] = {0.1, 0.1, 0.1, 0.1, 0.1};
    nb_fig *fig = nb_fig_new(600, 300, 1, 1);
    nb_panel *p = nb_fig_panel(fig, 0);
    nb_panel_scale(p, true, false);
    if (brk) CHECK_OK(nb_panel_xbreak(p, 0, "0 (OLS)"));
    nb_style st = {.width = -1, .marker = NB_MARKER_CIRCLE};
    CHECK_OK(nb_plot_points(p, 5, x, y, e, NULL, &st)); // no legend: its marker would count
    char *s = svg_of(fig);
    nb_fig_free(fig);
    return s;
}

TEST(plot_xbreak_draws_zero_left_of_a_log_axis) {
    char *plain = draw(false), *brk = draw(true);
    CHECK(plain && brk);
    if (!plain || !brk) return;
    double a[8], b[8];
    // without the break a log axis cannot show x = 0; with it, all five points are drawn
    CHECK(circles(plain, a, 8) == 4);
    CHECK(circles(brk, b, 8) == 5);
    // the zero comes first and left of the others; the labelled slot and the break's marks
    CHECK(b[0] < b[1] && b[1] < b[2] && b[2] < b[3] && b[3] < b[4]);
    CHECK(strstr(brk, ">0 (OLS)</text>") != NULL && strstr(plain, "OLS") == NULL);
    CHECK(count(brk, "stroke-dasharray=\"3 3\"") == 1 && count(plain, "stroke-dasharray=\"3 3\"") == 0);
    // the axis proper is fitted to the positive points alone: same decades either way
    CHECK(count(brk, "font-size=\"8\">-3<") == 1 && count(plain, "font-size=\"8\">-3<") == 1);
    free(plain);
    free(brk);
    CHECK_ERR(nb_panel_xbreak(NULL, 0, "x"), NB_EINVAL, "nb_panel_xbreak");
}
