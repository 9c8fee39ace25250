/* .npy reader: magic, version, header length, the dict literal, dtypes,
 * shapes against the file's size. */
#include "nabla/matrix_io.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb_matrix m;
    fuzz_check_matrix(nb_npy_read(&m, fuzz_file(data, size)), &m, size);
    return 0;
}
