/* CSV reader: headers, ragged rows, blank lines, junk, NaN/Inf, CRLF. */
#include <math.h>

#include "fuzz.h"
#include "nabla/matrix_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb_matrix m;
    if (nb_csv_read(&m, fuzz_file(data, size)) == NB_OK) {
        /* every value needs at least one byte of text */
        if (m.rows < 1 || m.cols < 1 || (size_t)(m.rows * m.cols) > size) abort();
        for (int64_t i = 0; i < m.rows * m.cols; i++)
            if (!isfinite(m.data[i])) abort();
        nb_matrix_free(&m);
    } else if (m.data) {
        abort();
    }
    return 0;
}
