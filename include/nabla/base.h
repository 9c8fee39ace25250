/* nabla/base.h — dtypes, the error mechanism, and the library's version.
 *
 * Errors are values. A function that can fail returns an nb_status (NB_OK == 0)
 * or NULL, and leaves a one-line message, naming the function and what was
 * wrong, in a thread-local slot read with nb_errmsg(). The library never exits
 * or aborts on a caller's mistake. */
#ifndef NABLA_BASE_H
#define NABLA_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NB_VERSION "0.1.0"

typedef enum nb_dtype { NB_F32 = 0, NB_F64 = 1 } nb_dtype;

typedef enum nb_status {
    NB_OK = 0,
    NB_EINVAL,  /* a bad argument: NULL, out of range, unknown name */
    NB_ESHAPE,  /* shapes do not fit together */
    NB_EDTYPE,  /* dtypes differ or are not supported here */
    NB_ENOMEM,  /* an allocation failed */
    NB_EIO,     /* a file could not be opened, read or written */
    NB_EFORMAT, /* a file is not what it claims to be */
    NB_ESTATE,  /* the call does not fit the object's state (e.g. a freed graph) */
    NB_ENUM,    /* numerically impossible: singular matrix, NaN or Inf */
} nb_status;

/* The last error of this thread: its message ("" if none) and its code. */
const char *nb_errmsg(void);
nb_status nb_errcode(void);
void nb_clear_error(void);
/* Sets the error and returns code; used by the library and by its extensions. */
nb_status nb_fail(nb_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

size_t nb_dtype_size(nb_dtype dt);
const char *nb_dtype_name(nb_dtype dt);

#ifdef __cplusplus
}
#endif
#endif
