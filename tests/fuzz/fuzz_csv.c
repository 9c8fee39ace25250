/* CSV reader: headers, ragged rows, blank lines, junk, NaN/Inf, CRLF. */
#include "nabla/matrix_io.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb_matrix m;
    fuzz_check_matrix(nb_csv_read(&m, fuzz_file(data, size)), &m, size);
    return 0;
}
