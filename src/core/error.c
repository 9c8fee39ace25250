/* The one error path: a thread-local code and message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/base.h"

static _Thread_local nb_status err_code;
static _Thread_local char err_msg[1024];

const char *nb_errmsg(void) { return err_msg; }
nb_status nb_errcode(void) { return err_code; }

void nb_clear_error(void) {
    err_code = NB_OK;
    err_msg[0] = '\0';
}

nb_status nb_fail(nb_status code, const char *fmt, ...) {
    /* Format into a copy: callers wrap the last error, passing nb_errmsg()
     * itself as an argument, and vsnprintf's output must not overlap it. */
    char msg[sizeof err_msg];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *full = n >= (int)sizeof msg ? malloc((size_t)n + 1) : NULL;
    if (full) { /* too long (a long path): cut its middle, not the reason at its end */
        va_start(ap, fmt);
        vsnprintf(full, (size_t)n + 1, fmt, ap);
        va_end(ap);
        size_t head = 200, tail = sizeof msg - head - 4;
        memcpy(msg, full, head);
        memcpy(msg + head, "...", 3);
        memcpy(msg + head + 3, full + n - tail, tail + 1);
        free(full);
    }
    memcpy(err_msg, msg, sizeof msg);
    err_code = code;
    return code;
}

size_t nb_dtype_size(nb_dtype dt) { return dt == NB_F64 ? 8 : 4; }
const char *nb_dtype_name(nb_dtype dt) { return dt == NB_F64 ? "f64" : "f32"; }
