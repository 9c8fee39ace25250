/* .npy files (NumPy's format, versions 1.0-3.0) to and from f64 matrices.
 *
 * Layout: "\x93NUMPY", major, minor, a little-endian header length (2 bytes in
 * 1.0, 4 in 2.0 and 3.0), then a Python dict literal such as
 * {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), } padded with
 * spaces and a newline, then the raw array. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nabla/io.h"
#include "nabla/matrix_io.h"

#define NPY_MAX_HEADER (1 << 20) /* far beyond any real header; bounds the read */

void nb_matrix_free(nb_matrix *m) {
    if (!m) return;
    free(m->data);
    m->data = NULL;
    m->rows = m->cols = 0;
}

nb_status nb_matrix_read(nb_matrix *m, const char *path) {
    size_t n = path ? strlen(path) : 0;
    if (n >= 4 && strcasecmp(path + n - 4, ".npy") == 0) return nb_npy_read(m, path);
    return nb_csv_read(m, path);
}

/* Finds the value after 'key': in the header dict; NULL if absent. *twice
 * is set when the key appears again (NumPy would take the last; we refuse). */
static const char *dict_value(const char *h, const char *key, bool *twice) {
    size_t kl = strlen(key);
    const char *found = NULL;
    for (const char *p = h; (p = strpbrk(p, "'\"")) != NULL; p++) {
        char q = *p;
        if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == q) {
            const char *v = p + 2 + kl;
            while (*v == ' ') v++;
            if (*v != ':') continue;
            v++;
            while (*v == ' ') v++;
            if (found) {
                *twice = true;
                return found;
            }
            found = v;
        }
    }
    return found;
}

static double rd_f4(const unsigned char *b, bool swap) {
    unsigned char t[4];
    for (int i = 0; i < 4; i++) t[i] = swap ? b[3 - i] : b[i];
    float f;
    memcpy(&f, t, 4);
    return f;
}
static double rd_f8(const unsigned char *b, bool swap) {
    unsigned char t[8];
    for (int i = 0; i < 8; i++) t[i] = swap ? b[7 - i] : b[i];
    double f;
    memcpy(&f, t, 8);
    return f;
}
static double rd_i4(const unsigned char *b, bool swap) {
    unsigned char t[4];
    for (int i = 0; i < 4; i++) t[i] = swap ? b[3 - i] : b[i];
    int32_t v;
    memcpy(&v, t, 4);
    return v;
}
static double rd_i8(const unsigned char *b, bool swap) {
    unsigned char t[8];
    for (int i = 0; i < 8; i++) t[i] = swap ? b[7 - i] : b[i];
    int64_t v;
    memcpy(&v, t, 8);
    return (double)v;
}

static bool host_little(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Parses the header dict into kind ('f' or 'i'), itemsize, byte swap, order
 * and shape; a message for the caller on failure. */
static nb_status parse_header(const char *path, const char *h, char *kind, int *size, bool *swap, bool *fortran,
                              int *ndim, int64_t dims[2]) {
    static const char *const keys[] = {"descr", "fortran_order", "shape"};
    for (int k = 0; k < 3; k++) {
        bool twice = false;
        dict_value(h, keys[k], &twice);
        if (twice) return nb_fail(NB_EFORMAT, "%s: .npy header has the key '%s' twice", path, keys[k]);
    }
    bool twice = false; /* checked above */
    const char *v = dict_value(h, "descr", &twice);
    if (!v) return nb_fail(NB_EFORMAT, "%s: .npy header has no 'descr'", path);
    if (*v == '[') return nb_fail(NB_EFORMAT, "%s: structured dtype (a record array) is not supported; numbers only (f4, f8, i4, i8)", path);
    if (*v != '\'' && *v != '"') return nb_fail(NB_EFORMAT, "%s: .npy header's 'descr' is not a string", path);
    char q = *v++;
    const char *e = strchr(v, q);
    if (!e || e - v > 16) return nb_fail(NB_EFORMAT, "%s: .npy header's 'descr' is malformed", path);
    char descr[17];
    memcpy(descr, v, (size_t)(e - v));
    descr[e - v] = '\0';
    char bo = descr[0];
    const char *ty = descr;
    if (bo == '<' || bo == '>' || bo == '|' || bo == '=') ty++;
    else bo = '=';
    if (ty[0] == 'U' || ty[0] == 'S' || ty[0] == 'a' || ty[0] == 'O' || ty[0] == 'V')
        return nb_fail(NB_EFORMAT, "%s: dtype '%s' holds %s, not numbers; supported: f4, f8, i4, i8", path, descr,
                       ty[0] == 'O' ? "Python objects" : ty[0] == 'V' ? "raw bytes" : "strings");
    if (!((ty[0] == 'f' || ty[0] == 'i') && (strcmp(ty + 1, "4") == 0 || strcmp(ty + 1, "8") == 0)))
        return nb_fail(NB_EFORMAT, "%s: dtype '%s' is not supported; supported: f4, f8, i4, i8", path, descr);
    *kind = ty[0];
    *size = ty[1] - '0';
    bool little = bo == '<' || (bo != '>' && host_little());
    *swap = little != host_little();

    v = dict_value(h, "fortran_order", &twice);
    if (!v) return nb_fail(NB_EFORMAT, "%s: .npy header has no 'fortran_order'", path);
    if (strncmp(v, "True", 4) == 0) *fortran = true;
    else if (strncmp(v, "False", 5) == 0) *fortran = false;
    else return nb_fail(NB_EFORMAT, "%s: .npy header's 'fortran_order' is neither True nor False", path);

    v = dict_value(h, "shape", &twice);
    if (!v || *v != '(') return nb_fail(NB_EFORMAT, "%s: .npy header has no 'shape' tuple", path);
    v++;
    int nd = 0;
    int64_t sh[2] = {0, 0};
    for (;;) {
        while (*v == ' ') v++;
        if (*v == ')') break;
        if (!isdigit((unsigned char)*v)) return nb_fail(NB_EFORMAT, "%s: .npy header's 'shape' is malformed", path);
        errno = 0;
        char *end;
        long long x = strtoll(v, &end, 10);
        if (errno == ERANGE || x > ((int64_t)1 << 50))
            return nb_fail(NB_EFORMAT, "%s: .npy header claims a dimension of %s, more than any file holds", path,
                           errno == ERANGE ? "over 2^63" : "over 2^50");
        if (nd == 2) return nb_fail(NB_EFORMAT, "%s: arrays of 3 or more dimensions are not supported (1-D or 2-D only)", path);
        sh[nd++] = x;
        v = end;
        while (*v == ' ') v++;
        if (*v == ',') v++;
        else if (*v != ')') return nb_fail(NB_EFORMAT, "%s: .npy header's 'shape' is malformed", path);
    }
    if (nd == 0) return nb_fail(NB_EFORMAT, "%s: a 0-d array (a scalar) is not a matrix", path);
    *ndim = nd;
    dims[0] = sh[0];
    dims[1] = sh[1];
    return NB_OK;
}

nb_status nb_npy_read(nb_matrix *m, const char *path) {
    if (!m || !path) return nb_fail(NB_EINVAL, "nb_npy_read: NULL argument");
    m->rows = m->cols = 0;
    m->data = NULL;
    int64_t file_size = 0;
    FILE *fp = nb_input_fopen(path, &file_size);
    if (!fp) return nb_errcode();
    nb_status s = NB_OK;
    char *h = NULL;
    unsigned char *raw = NULL;
    long fsize = (long)file_size;
    if (fsize == 0) {
        s = nb_fail(NB_EFORMAT, "%s: empty file", path);
        goto done;
    }
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, fp);
    if (memcmp(pre, "\x93NUMPY", got < 6 ? got : 6) != 0) {
        s = nb_fail(NB_EFORMAT, "%s: not a .npy file (wrong magic; expected \\x93NUMPY)", path);
        goto done;
    }
    if (got < 10) {
        s = nb_fail(NB_EFORMAT, "%s: truncated .npy header (%zu bytes)", path, got);
        goto done;
    }
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0) {
        s = nb_fail(NB_EFORMAT, "%s: .npy version %d.%d is not supported (1.0, 2.0, 3.0)", path, major, minor);
        goto done;
    }
    int lenbytes = major == 1 ? 2 : 4;
    if ((lenbytes == 4 && fread(pre + 10, 1, 2, fp) != 2)) {
        s = nb_fail(NB_EFORMAT, "%s: truncated .npy header", path);
        goto done;
    }
    uint32_t hlen = lenbytes == 2 ? (uint32_t)pre[8] | (uint32_t)pre[9] << 8
                                  : (uint32_t)pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 |
                                        (uint32_t)pre[11] << 24;
    long offset = 8 + lenbytes + (long)hlen;
    if (hlen > NPY_MAX_HEADER || offset > fsize) {
        s = nb_fail(NB_EFORMAT, "%s: truncated .npy header (it claims %u bytes, the file has %ld)", path, hlen, fsize);
        goto done;
    }
    h = malloc(hlen + 1);
    if (!h) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(h, 1, hlen, fp) != hlen) {
        s = nb_fail(NB_EFORMAT, "%s: truncated .npy header", path);
        goto done;
    }
    h[hlen] = '\0';
    if (strlen(h) != hlen || h[0] != '{') {
        s = nb_fail(NB_EFORMAT, "%s: .npy header is not a dict literal", path);
        goto done;
    }
    char kind = 0;
    int size = 0, ndim = 0;
    bool swap = false, fortran = false;
    int64_t dims[2] = {0, 0};
    if ((s = parse_header(path, h, &kind, &size, &swap, &fortran, &ndim, dims)) != NB_OK) goto done;
    int64_t rows = ndim == 1 ? 1 : dims[0], cols = ndim == 1 ? dims[0] : dims[1];
    if (rows == 0 || cols == 0) {
        s = nb_fail(NB_EFORMAT, "%s: the array is empty (shape %lldx%lld)", path, (long long)rows, (long long)cols);
        goto done;
    }
    // both dims are <= 2^50, so compare through division: no overflow before the check
    int64_t avail = (int64_t)fsize - offset;
    if (rows > avail / size / cols) {
        s = nb_fail(NB_EFORMAT, "%s: truncated: the header claims %lldx%lld values of %d bytes, the file holds %lld bytes of data",
                    path, (long long)rows, (long long)cols, size, (long long)avail);
        goto done;
    }
    int64_t numel = rows * cols;
    if (avail != numel * size) {
        s = nb_fail(NB_EFORMAT, "%s: %lld bytes after the %lldx%lld array", path, (long long)(avail - numel * size),
                    (long long)rows, (long long)cols);
        goto done;
    }
    raw = malloc((size_t)(numel * size));
    m->data = malloc((size_t)numel * sizeof(double));
    if (!raw || !m->data) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory for %lldx%lld values", path, (long long)rows, (long long)cols);
        goto done;
    }
    if (fread(raw, (size_t)size, (size_t)numel, fp) != (size_t)numel) {
        s = nb_fail(NB_EIO, "%s: read error", path);
        goto done;
    }
    double (*rd)(const unsigned char *, bool) =
        kind == 'f' ? (size == 4 ? rd_f4 : rd_f8) : (size == 4 ? rd_i4 : rd_i8);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            int64_t src = fortran ? j * rows + i : i * cols + j;
            double v = rd(raw + src * size, swap);
            if (!isfinite(v)) {
                s = nb_fail(NB_ENUM, "%s: %s at row %lld, column %lld", path, isnan(v) ? "NaN" : "Inf",
                            (long long)i + 1, (long long)j + 1);
                goto done;
            }
            m->data[i * cols + j] = v;
        }
    m->rows = rows;
    m->cols = cols;
done:
    fclose(fp);
    free(h);
    free(raw);
    if (s) {
        free(m->data);
        m->data = NULL;
    }
    return s;
}

nb_status nb_npy_write(const char *path, const double *data, int64_t rows, int64_t cols) {
    if (!path || !data || rows < 1 || cols < 1)
        return nb_fail(NB_EINVAL, "nb_npy_write: bad arguments (%lldx%lld)", (long long)rows, (long long)cols);
    char h[128];
    int len = snprintf(h, sizeof h, "{'descr': '<f8', 'fortran_order': False, 'shape': (%lld, %lld), }",
                       (long long)rows, (long long)cols);
    // pad with spaces so that the data starts on a 64-byte boundary, then the newline
    int total = 10 + len + 1;
    int pad = (64 - total % 64) % 64;
    nb_outfile f;
    nb_status s = nb_outfile_open(&f, path);
    if (s) return s;
    fwrite("\x93NUMPY\x01\x00", 1, 8, f.fp);
    unsigned hl = (unsigned)(len + pad + 1);
    fputc((int)(hl & 0xff), f.fp);
    fputc((int)(hl >> 8), f.fp);
    fwrite(h, 1, (size_t)len, f.fp);
    for (int i = 0; i < pad; i++) fputc(' ', f.fp);
    fputc('\n', f.fp);
    bool swap = !host_little();
    for (int64_t i = 0; i < rows * cols; i++) {
        unsigned char b[8], t[8];
        memcpy(b, &data[i], 8);
        for (int k = 0; k < 8; k++) t[k] = swap ? b[7 - k] : b[k];
        fwrite(t, 1, 8, f.fp);
    }
    return nb_outfile_commit(&f, false);
}
