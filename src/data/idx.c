/* IDX files (the MNIST format), raw or gzipped, and minibatch gathering.
 *
 * IDX: bytes 0,1 are zero, byte 2 the element type (0x08 = unsigned byte),
 * byte 3 the number of dims; then each dim as a big-endian uint32; then the
 * elements, row-major. The header is hostile input until checked: what it
 * claims is compared with what the file can hold before anything is
 * allocated. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef __wasi__ /* no zlib for wasm32-wasi: the page gunzips in the browser and calls nb_idx_parse */
#include <zlib.h>
#define NB_HAVE_ZLIB 1
#endif

#include "nabla/data.h"
#include "nabla/io.h"

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---- the header, the same checks for a file and for bytes in memory ---- */

static nb_status check_magic(const char *name, const uint8_t *hdr, int64_t got, int ndim) {
    if (got < 4)
        return nb_fail(NB_EFORMAT, "%s: truncated: %lld bytes, too short for an IDX header", name, (long long)got);
    uint32_t magic = be32(hdr), want = 0x800u | (uint32_t)ndim;
    if (magic != want)
        return nb_fail(NB_EFORMAT, "%s: wrong magic 0x%08x (expected 0x%08x: IDX unsigned bytes, %d dims)", name,
                       (unsigned)magic, (unsigned)want, ndim);
    return NB_OK;
}

/* out's dims and numel from the header's ndim sizes. */
static nb_status read_dims(const char *name, const uint8_t *hdr, int ndim, nb_idx *out) {
    int64_t numel = 1;
    out->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        out->dims[i] = be32(hdr + 4 + 4 * i);
        if (out->dims[i] > 0 && numel > ((int64_t)1 << 40) / out->dims[i])
            return nb_fail(NB_EFORMAT, "%s: header claims an absurd size", name);
        numel *= out->dims[i];
    }
    out->numel = numel;
    return NB_OK;
}

static nb_status check_args(const char *fn, const char *name, int ndim, nb_idx *out) {
    if (!out) return nb_fail(NB_EINVAL, "%s: out is NULL", fn);
    memset(out, 0, sizeof *out);
    if (!name) return nb_fail(NB_EINVAL, "%s: %s is NULL", fn, strcmp(fn, "nb_idx_read") ? "name" : "path");
    if (ndim < 1 || ndim > 4) return nb_fail(NB_EINVAL, "%s: %s: ndim %d not in 1..4", fn, name, ndim);
    return NB_OK;
}

void nb_idx_free(nb_idx *idx) {
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

nb_status nb_idx_parse(const uint8_t *buf, size_t n, int ndim, const char *name, nb_idx *out) {
    nb_status s = check_args("nb_idx_parse", name, ndim, out);
    if (s) return s;
    if (!buf && n) return nb_fail(NB_EINVAL, "nb_idx_parse: %s: no bytes", name);
    int64_t hlen = 4 + 4 * (int64_t)ndim, size = (int64_t)n;
    if ((s = check_magic(name, buf, size, ndim))) return s;
    if (size < hlen) return nb_fail(NB_EFORMAT, "%s: truncated inside the IDX header", name);
    if ((s = read_dims(name, buf, ndim, out))) goto fail;
    if (out->numel > size - hlen) {
        s = nb_fail(NB_EFORMAT, "%s: truncated: header claims %lld bytes of data, the file holds %lld", name,
                    (long long)out->numel, (long long)(size - hlen));
        goto fail;
    }
    if (out->numel < size - hlen) {
        s = nb_fail(NB_EFORMAT, "%s: bytes after the %lld the header claims", name, (long long)out->numel);
        goto fail;
    }
    out->data = malloc(out->numel > 0 ? (size_t)out->numel : 1);
    if (!out->data) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory for %lld bytes", name, (long long)out->numel);
        goto fail;
    }
    if (out->numel) memcpy(out->data, buf + hlen, (size_t)out->numel);
    return NB_OK;
fail:
    nb_idx_free(out);
    return s;
}

/* ---- a file, raw or gzipped ---- */

/* Deflate cannot expand data by more than about 1032:1, so a gzip file of
 * c bytes cannot hold more than this; a header claiming more is a lie. */
static int64_t gzip_max_bytes(int64_t compressed) { return compressed * 1040 + 4096; }

/* The bytes of an IDX file, raw or gzipped. gzip is decoded here with zlib's
 * inflate rather than gzread, which skips whatever follows the last member:
 * a member may be followed only by another member. */
typedef struct src {
    int fd;
    const char *path;
    bool gz, eof;
#ifdef NB_HAVE_ZLIB
    z_stream z;
    bool z_live;
    uint8_t in[1 << 16];
#endif
} src;

#ifdef NB_HAVE_ZLIB
/* Keeps at least want (<= 2) compressed bytes at hand unless the file ends
 * first; returns the bytes at hand, or -1 with the error set. */
static int64_t src_fill(src *s, size_t want) {
    size_t have = s->z.avail_in;
    if (have >= want) return (int64_t)have;
    if (have) memmove(s->in, s->z.next_in, have);
    while (have < want) {
        ssize_t r = read(s->fd, s->in + have, sizeof s->in - have);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            nb_fail(NB_EIO, "%s: cannot read: %s", s->path, strerror(errno));
            return -1;
        }
        if (r == 0) break;
        have += (size_t)r;
    }
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)have;
    return (int64_t)have;
}

#endif

/* Reads up to n bytes into buf; returns the count (short only at the end of
 * the data), or -1 with the error set. */
static int64_t src_read(src *s, uint8_t *buf, int64_t n) {
    int64_t got = 0;
    if (!s->gz) {
        while (got < n) {
            size_t want = n - got > (1 << 30) ? (size_t)1 << 30 : (size_t)(n - got);
            ssize_t r = read(s->fd, buf + got, want);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                nb_fail(NB_EIO, "%s: cannot read: %s", s->path, strerror(errno));
                return -1;
            }
            if (r == 0) break;
            got += r;
        }
        return got;
    }
#ifndef NB_HAVE_ZLIB
    nb_fail(NB_EFORMAT, "%s: gzipped, and this build has no zlib (gunzip it first)", s->path);
    return -1;
#else
    while (got < n && !s->eof) {
        int64_t at = src_fill(s, 1);
        if (at < 0) return -1;
        if (at == 0) {
            nb_fail(NB_EFORMAT, "%s: corrupt gzip data (unexpected end of file)", s->path);
            return -1;
        }
        uInt want = n - got > (1 << 30) ? 1u << 30 : (uInt)(n - got);
        s->z.next_out = buf + got;
        s->z.avail_out = want;
        int zr = inflate(&s->z, Z_NO_FLUSH);
        got += want - s->z.avail_out;
        if (zr == Z_STREAM_END) { /* the member's CRC and length held; next: another member or the end */
            at = src_fill(s, 2);
            if (at < 0) return -1;
            if (at == 0) {
                s->eof = true;
                break;
            }
            if (at < 2 || s->z.next_in[0] != 0x1f || s->z.next_in[1] != 0x8b) {
                nb_fail(NB_EFORMAT, "%s: bytes after the gzip data that are not another gzip member", s->path);
                return -1;
            }
            inflateReset(&s->z);
        } else if (zr != Z_OK) {
            nb_fail(NB_EFORMAT, "%s: corrupt gzip data (%s)", s->path, s->z.msg ? s->z.msg : zError(zr));
            return -1;
        }
    }
    return got;
#endif
}

static void src_end(src *g) {
#ifdef NB_HAVE_ZLIB
    if (g->z_live) inflateEnd(&g->z);
#endif
    close(g->fd);
    free(g);
}

nb_status nb_idx_read(const char *path, int ndim, nb_idx *out) {
    nb_status s = check_args("nb_idx_read", path, ndim, out);
    if (s) return s;
    int64_t fsize = 0;
    int fd = nb_input_open(path, &fsize);
    if (fd < 0) return nb_errcode();
    src *g = calloc(1, sizeof *g);
    if (!g) {
        close(fd);
        return nb_fail(NB_ENOMEM, "%s: out of memory", path);
    }
    g->fd = fd;
    g->path = path;
    uint8_t magic2[2] = {0, 0};
    g->gz = pread(fd, magic2, 2, 0) == 2 && magic2[0] == 0x1f && magic2[1] == 0x8b;
#ifdef NB_HAVE_ZLIB
    if (g->gz) {
        if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
            s = nb_fail(NB_ENOMEM, "%s: cannot start zlib", path);
            goto fail;
        }
        g->z_live = true;
    }
#endif
    uint8_t hdr[4 + 4 * 4];
    int64_t hlen = 4 + 4 * (int64_t)ndim;
    int64_t got = src_read(g, hdr, 4);
    if (got < 0) goto fail;
    if ((s = check_magic(path, hdr, got, ndim))) goto fail;
    got = src_read(g, hdr + 4, hlen - 4);
    if (got < 0) goto fail;
    if (got < hlen - 4) {
        s = nb_fail(NB_EFORMAT, "%s: truncated inside the IDX header", path);
        goto fail;
    }
    if ((s = read_dims(path, hdr, ndim, out))) goto fail;
    int64_t numel = out->numel;
    int64_t limit = g->gz ? gzip_max_bytes(fsize) : fsize - hlen;
    if (numel > limit) {
        s = nb_fail(NB_EFORMAT, "%s: truncated: header claims %lld bytes of data, the file holds %s%lld", path,
                    (long long)numel, g->gz ? "at most " : "", (long long)(limit < 0 ? 0 : limit));
        goto fail;
    }
    out->data = malloc(numel > 0 ? (size_t)numel : 1);
    if (!out->data) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory for %lld bytes", path, (long long)numel);
        goto fail;
    }
    got = src_read(g, out->data, numel);
    if (got < 0) goto fail;
    if (got < numel) {
        s = nb_fail(NB_EFORMAT, "%s: truncated: header claims %lld bytes of data, the file holds %lld", path,
                    (long long)numel, (long long)got);
        goto fail;
    }
    uint8_t extra;
    got = src_read(g, &extra, 1); /* also runs the gzip member to its end: its CRC and length */
    if (got < 0) goto fail;
    if (got > 0) {
        s = nb_fail(NB_EFORMAT, "%s: bytes after the %lld the header claims", path, (long long)numel);
        goto fail;
    }
    src_end(g);
    return NB_OK;
fail:
    if (s == NB_OK) s = nb_errcode() != NB_OK ? nb_errcode() : NB_EFORMAT;
    src_end(g);
    nb_idx_free(out);
    return s;
}

const char *nb_dataset_dir(const char *name) {
    if (name && strcmp(name, "fashion-mnist") == 0) return "/usr/share/datasets/fashion-mnist";
    return name;
}

void nb_dataset_free(nb_dataset *ds) {
    if (!ds) return;
    free(ds->pixels);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

/* DIR/BASE.gz if it exists, else DIR/BASE; 0 if it exists. */
typedef struct { char s[4096]; } path_buf;
static int find_file(path_buf *buf, const char *dir, const char *base) {
    struct stat st;
    int n = snprintf(buf->s, sizeof buf->s, "%s/%s.gz", dir, base);
    if (n < 3 || (size_t)n >= sizeof buf->s) return -1;
    if (stat(buf->s, &st) == 0) return 0;
    buf->s[n - 3] = '\0'; /* the same name without ".gz" */
    if (stat(buf->s, &st) == 0) return 0;
    return -1;
}

nb_status nb_dataset_load(nb_dataset *ds, const char *dir, const char *split) {
    if (!ds) return nb_fail(NB_EINVAL, "nb_dataset_load: ds is NULL");
    memset(ds, 0, sizeof *ds);
    if (!dir || !*dir) return nb_fail(NB_EINVAL, "nb_dataset_load: no data directory given");
    if (!split || (strcmp(split, "train") != 0 && strcmp(split, "t10k") != 0))
        return nb_fail(NB_EINVAL, "nb_dataset_load: split must be 'train' or 't10k'");
    struct stat st;
    if (stat(dir, &st) != 0) return nb_fail(NB_EIO, "%s: no such data directory", dir);
    if (!S_ISDIR(st.st_mode)) return nb_fail(NB_EIO, "%s: not a directory", dir);
    path_buf ipb, lpb;
    const char *ipath = ipb.s, *lpath = lpb.s;
    char base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", split);
    if (find_file(&ipb, dir, base) != 0)
        return nb_fail(NB_EIO, "%s: missing %s[.gz]", dir, base);
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", split);
    if (find_file(&lpb, dir, base) != 0)
        return nb_fail(NB_EIO, "%s: missing %s[.gz]", dir, base);

    nb_idx im, lb;
    nb_status s = nb_idx_read(ipath, 3, &im);
    if (s) return s;
    s = nb_idx_read(lpath, 1, &lb);
    if (s) {
        nb_idx_free(&im);
        return s;
    }
    return nb_dataset_from_idx(ds, &im, &lb, ipath, lpath);
}

nb_status nb_dataset_from_idx(nb_dataset *ds, nb_idx *im, nb_idx *lb, const char *iname, const char *lname) {
    nb_status s = NB_OK;
    if (ds) memset(ds, 0, sizeof *ds);
    if (!iname) iname = "images";
    if (!lname) lname = "labels";
    if (!ds || !im || !lb) {
        s = nb_fail(NB_EINVAL, "nb_dataset_from_idx: NULL argument");
        goto done;
    }
    if (im->ndim != 3 || lb->ndim != 1) {
        s = nb_fail(NB_EINVAL, "nb_dataset_from_idx: %s has %d dims and %s %d (expected 3 and 1)", iname, im->ndim,
                    lname, lb->ndim);
        goto done;
    }
    if (im->dims[1] < 1 || im->dims[2] < 1 || im->dims[1] > 4096 || im->dims[2] > 4096) {
        s = nb_fail(NB_EFORMAT, "%s: image size %lldx%lld is not usable", iname, (long long)im->dims[1],
                    (long long)im->dims[2]);
        goto done;
    }
    if (im->dims[0] != lb->dims[0]) {
        s = nb_fail(NB_EFORMAT, "%s holds %lld images but %s holds %lld labels", iname, (long long)im->dims[0], lname,
                    (long long)lb->dims[0]);
        goto done;
    }
    for (int64_t i = 0; i < lb->numel; i++)
        if (lb->data[i] >= NB_NUM_CLASSES) {
            s = nb_fail(NB_EFORMAT, "%s: label %d of sample %lld is not in 0..%d", lname, lb->data[i], (long long)i,
                        NB_NUM_CLASSES - 1);
            goto done;
        }
    ds->labels = malloc((size_t)(lb->numel > 0 ? lb->numel : 1) * sizeof *ds->labels);
    if (!ds->labels) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory", lname);
        goto done;
    }
    for (int64_t i = 0; i < lb->numel; i++) ds->labels[i] = lb->data[i];
    ds->n = im->dims[0];
    ds->rows = (int)im->dims[1];
    ds->cols = (int)im->dims[2];
    ds->pixels = im->data; /* ownership moves to ds */
    im->data = NULL;
done:
    nb_idx_free(im);
    nb_idx_free(lb);
    if (s) nb_dataset_free(ds);
    return s;
}

void nb_dataset_limit(nb_dataset *ds, int64_t n) {
    if (ds && n >= 0 && n < ds->n) ds->n = n;
}

void nb_dataset_gather(const nb_dataset *ds, const int64_t *idx, int64_t start, int64_t count,
                       const nb_norm *norm, float *x, int32_t *y) {
    /* p / 255 in f32, exactly as PyTorch's float32(p) / 255 does, then the
     * normalisation; written as arithmetic (not a table) so it vectorises. */
    const float mean = norm ? norm->mean : 0.0f, std = norm ? norm->std : 1.0f;
    const bool plain = !norm || (mean == 0.0f && std == 1.0f);
    int64_t d = (int64_t)ds->rows * ds->cols;
    enum { AHEAD = 4 }; /* shuffled rows are cache misses: fetch a few rows ahead */
#if defined(__GNUC__)
    for (int64_t i = 0; idx && i < AHEAD - 1 && i < count; i++)
        for (int64_t j = 0; j < d; j += 64) __builtin_prefetch(ds->pixels + idx[start + i] * d + j);
#endif
    for (int64_t i = 0; i < count; i++) {
        int64_t k = idx ? idx[start + i] : start + i;
        const uint8_t *restrict src = ds->pixels + k * d;
#if defined(__GNUC__)
        if (idx && i + AHEAD - 1 < count)
            for (int64_t j = 0; j < d; j += 64) __builtin_prefetch(ds->pixels + idx[start + i + AHEAD - 1] * d + j);
#endif
        float *restrict dst = x + i * d;
        if (plain)
            for (int64_t j = 0; j < d; j++) dst[j] = (float)src[j] / 255.0f;
        else
            for (int64_t j = 0; j < d; j++) dst[j] = ((float)src[j] / 255.0f - mean) / std;
        if (y) y[i] = ds->labels[k];
    }
}

uint64_t nb_dataset_hash(const nb_dataset *ds) {
    uint64_t h = 0xcbf29ce484222325u;
    int64_t head[3] = {ds->n, ds->rows, ds->cols};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 8; k++) h = (h ^ (uint8_t)((uint64_t)head[i] >> (8 * k))) * 0x100000001b3u;
    for (int64_t i = 0; i < ds->n; i++) h = (h ^ (uint8_t)ds->labels[i]) * 0x100000001b3u;
    return h;
}

nb_norm nb_dataset_stats(const nb_dataset *ds) {
    int64_t hist[256] = {0};
    int64_t total = ds->n * ds->rows * ds->cols;
    for (int64_t i = 0; i < total; i++) hist[ds->pixels[i]]++;
    double s = 0, s2 = 0;
    for (int p = 0; p < 256; p++) {
        double v = p / 255.0;
        s += (double)hist[p] * v;
        s2 += (double)hist[p] * v * v;
    }
    nb_norm r = {0.0f, 1.0f};
    if (total > 0) {
        double mean = s / (double)total, var = s2 / (double)total - mean * mean;
        r.mean = (float)mean;
        r.std = var > 1e-12 ? (float)sqrt(var) : 1.0f;
    }
    return r;
}
