/* IDX reader, raw or gzipped exactly as the input is: the header's claims
 * against the file, zlib's errors, trailing bytes. */
#include <string.h>

#include "fuzz.h"
#include "nabla/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size);
    /* a raw file names its dims in byte 3; a gzipped one is tried with each */
    bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    int lo = 1, hi = 4;
    if (!gz) lo = hi = size >= 4 && data[3] >= 1 && data[3] <= 4 ? data[3] : 1;
    for (int ndim = lo; ndim <= hi; ndim++) {
        nb_idx idx;
        if (nb_idx_read(path, ndim, &idx) != NB_OK) {
            if (idx.data) abort(); /* a failed read leaves nothing behind */
            continue;
        }
        int64_t numel = 1;
        for (int i = 0; i < ndim; i++) numel *= idx.dims[i];
        if (idx.ndim != ndim || numel != idx.numel) abort();
        fuzz_touch(idx.data, (size_t)idx.numel);
        nb_idx_free(&idx);
    }
    return 0;
}
