/* Shared by the fuzz targets: the parsers read files by path, so each input
 * is written to an in-memory file (memfd) and handed over as
 * /proc/self/fd/N; no disk, no cleanup. */
#ifndef NABLA_FUZZ_H
#define NABLA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Replaces the memfd's contents with data[0..size); returns its path. */
static inline const char *fuzz_file(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("nabla-fuzz", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("fuzz_file");
        abort();
    }
    return path;
}

/* Reads every byte of p[0..n) so that ASan sees a buffer that is too short. */
static inline unsigned fuzz_touch(const void *p, size_t n) {
    const volatile unsigned char *b = p;
    unsigned s = 0;
    for (size_t i = 0; i < n; i++) s += b[i];
    return s;
}

/* A matrix reader's result on input of size bytes: a success is a non-empty,
 * finite matrix with at least a byte of input per value; a failure holds
 * nothing. Needs nabla/matrix_io.h included first. */
#ifdef NABLA_MATRIX_IO_H
#include <math.h>
static inline void fuzz_check_matrix(nb_status st, nb_matrix *m, size_t size) {
    if (st == NB_OK) {
        if (m->rows < 1 || m->cols < 1 || (size_t)(m->rows * m->cols) > size) abort();
        for (int64_t i = 0; i < m->rows * m->cols; i++)
            if (!isfinite(m->data[i])) abort();
        nb_matrix_free(m);
    } else if (m->data) {
        abort();
    }
}
#endif

#endif
