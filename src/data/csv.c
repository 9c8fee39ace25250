/* CSV files to and from f64 matrices: comma-separated numbers, one row per
 * line, an optional first line of column names. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/io.h"
#include "nabla/matrix_io.h"

static const char *skip_blank(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

/* One field [p, q) as a number; false if it is not exactly one. */
static bool field_number(const char *p, const char *q, double *out) {
    p = skip_blank(p, q);
    while (q > p && (q[-1] == ' ' || q[-1] == '\t')) q--;
    if (p == q || q - p > 200) return false;
    char buf[256];
    memcpy(buf, p, (size_t)(q - p));
    buf[q - p] = '\0';
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (e == buf || *e != '\0') return false;
    *out = v;
    return true;
}

static int64_t count_fields(const char *p, const char *end) {
    int64_t n = 1;
    for (; p < end; p++) n += *p == ',';
    return n;
}

nb_status nb_csv_read(nb_matrix *m, const char *path) {
    if (!m || !path) return nb_fail(NB_EINVAL, "nb_csv_read: NULL argument");
    m->rows = m->cols = 0;
    m->data = NULL;
    FILE *fp = nb_input_fopen(path, NULL);
    if (!fp) return nb_errcode();
    // the whole file in memory: CSV matrices for this lab are small, and it
    // gives an exact row count before the values are allocated
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? 2 * cap : 65536;
            char *t = realloc(text, cap + 1);
            if (!t) {
                free(text);
                fclose(fp);
                return nb_fail(NB_ENOMEM, "%s: out of memory", path);
            }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, fp);
        // binary data is refused as it arrives: an endless device (/dev/zero,
        // /dev/urandom) would otherwise be read until memory runs out
        if (memchr(text + len, '\0', got)) {
            free(text);
            fclose(fp);
            return nb_fail(NB_EFORMAT, "%s: binary data, not CSV text", path);
        }
        len += got;
        if (got == 0) break;
    }
    bool rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        free(text);
        return nb_fail(NB_EIO, "%s: read error (a directory?)", path);
    }
    text[len] = '\0';
    nb_status s = NB_OK;
    const char *end = text + len;
    if (memchr(text, '\0', len)) {
        s = nb_fail(NB_EFORMAT, "%s: binary data, not CSV text", path);
        goto done;
    }
    // a UTF-8 byte order mark, as Excel writes one, is not part of the first field
    const char *begin = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text;
    // drop trailing blank lines
    while (end > begin && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) end--;
    if (end == begin) {
        s = nb_fail(NB_EFORMAT, "%s: empty file", path);
        goto done;
    }
    int64_t nlines = 1;
    for (const char *p = begin; p < end; p++) nlines += *p == '\n';
    const char *line = begin;
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol) eol = end;
    const char *le = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
    int64_t cols = count_fields(line, le);
    // the first line is a header when none of its fields is a number
    int nnum = 0;
    for (const char *p = line; p <= le;) {
        const char *c = memchr(p, ',', (size_t)(le - p));
        if (!c) c = le;
        double v;
        nnum += field_number(p, c, &v);
        p = c + 1;
    }
    bool header = nnum == 0; // a mix of names and numbers is reported as a bad data row below
    int64_t rows = nlines - header;
    if (rows == 0) {
        s = nb_fail(NB_EFORMAT, "%s: a header line and no data rows", path);
        goto done;
    }
    const char *first = header ? (eol < end ? eol + 1 : end) : begin;
    // every row's shape before the values are allocated: rows x cols then fits
    // in the file (each value takes at least a byte and a separator)
    line = first;
    for (int64_t r = 0; r < rows; r++) {
        int64_t lineno = r + 1 + header;
        eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        le = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
        if (skip_blank(line, le) == le) {
            s = nb_fail(NB_EFORMAT, "%s: line %lld is blank", path, (long long)lineno);
            goto done;
        }
        int64_t nf = count_fields(line, le);
        if (nf != cols) {
            s = nb_fail(NB_EFORMAT, "%s: line %lld has %lld fields, line 1 has %lld (ragged rows)", path,
                        (long long)lineno, (long long)nf, (long long)cols);
            goto done;
        }
        line = eol < end ? eol + 1 : end;
    }
    m->data = malloc((size_t)rows * (size_t)cols * sizeof(double));
    if (!m->data) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory for %lldx%lld values", path, (long long)rows, (long long)cols);
        goto done;
    }
    line = first;
    for (int64_t r = 0; r < rows; r++) {
        int64_t lineno = r + 1 + header;
        eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        le = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
        const char *p = line;
        for (int64_t c = 0; c < cols; c++) {
            const char *q = memchr(p, ',', (size_t)(le - p));
            if (!q) q = le;
            double v;
            if (!field_number(p, q, &v)) {
                const char *a = skip_blank(p, q);
                int w = (int)(q - a > 40 ? 40 : q - a);
                if (w == 0)
                    s = nb_fail(NB_EFORMAT, "%s: line %lld, column %lld is empty", path, (long long)lineno, (long long)c + 1);
                else
                    s = nb_fail(NB_EFORMAT, "%s: line %lld, column %lld: '%.*s' is not a number%s", path,
                                (long long)lineno, (long long)c + 1, w, a,
                                r == 0 && !header ? " (a header line must have no numbers)" : "");
                goto done;
            }
            if (!isfinite(v)) {
                s = nb_fail(NB_ENUM, "%s: line %lld, column %lld: %s in the data", path, (long long)lineno,
                            (long long)c + 1, isnan(v) ? "NaN" : "Inf");
                goto done;
            }
            m->data[r * cols + c] = v;
            p = q + 1;
        }
        line = eol < end ? eol + 1 : end;
    }
    m->rows = rows;
    m->cols = cols;
done:
    free(text);
    if (s) {
        free(m->data);
        m->data = NULL;
    }
    return s;
}

nb_status nb_csv_write(const char *path, const double *data, int64_t rows, int64_t cols, const char *header) {
    if (!path || !data || rows < 1 || cols < 1)
        return nb_fail(NB_EINVAL, "nb_csv_write: bad arguments (%lldx%lld)", (long long)rows, (long long)cols);
    nb_outfile f;
    nb_status s = nb_outfile_open(&f, path);
    if (s) return s;
    if (header) fprintf(f.fp, "%s\n", header);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) fprintf(f.fp, "%.17g%c", data[i * cols + j], j + 1 < cols ? ',' : '\n');
    return nb_outfile_commit(&f, false);
}
