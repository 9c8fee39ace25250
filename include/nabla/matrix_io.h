/* nabla/matrix_io.h — f64 matrices in and out of .npy and CSV files.
 *
 *     nb_matrix X;
 *     if (nb_matrix_read(&X, "X.npy") != NB_OK) fprintf(stderr, "%s\n", nb_errmsg());
 *     ... X.data[i * X.cols + j] ...
 *     nb_matrix_free(&X);
 *
 * Readers: .npy versions 1.0, 2.0 and 3.0; dtypes f4, f8, i4, i8 in either
 * byte order; C or Fortran order; 1-D (read as one row: 1 x n) or 2-D. CSV:
 * comma-separated numbers, one row per line, an optional first line of names.
 * Every value must be finite. A bad file is NB_EFORMAT (or NB_EIO when it
 * cannot be read, NB_ENUM for NaN/Inf) with one line naming the file and the
 * problem; a header that claims more data than the file holds is caught
 * before anything is allocated. Writers go through nb_outfile, so a failed
 * write never leaves a partial file. */
#ifndef NABLA_MATRIX_IO_H
#define NABLA_MATRIX_IO_H

#include "nabla/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_matrix {
    int64_t rows, cols;
    double *data; /* rows * cols, row-major, malloc'd */
} nb_matrix;

nb_status nb_npy_read(nb_matrix *m, const char *path);
nb_status nb_csv_read(nb_matrix *m, const char *path);
/* By the name: ".npy" (any case) is NumPy, anything else CSV. */
nb_status nb_matrix_read(nb_matrix *m, const char *path);
void nb_matrix_free(nb_matrix *m);

/* .npy version 1.0, little-endian f8, C order, shape (rows, cols). */
nb_status nb_npy_write(const char *path, const double *data, int64_t rows, int64_t cols);
/* CSV with %.17g numbers (exact round trip); header NULL for none, else one line of names. */
nb_status nb_csv_write(const char *path, const double *data, int64_t rows, int64_t cols, const char *header);

#ifdef __cplusplus
}
#endif
#endif
