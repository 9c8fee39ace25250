/* IDX reader behind gzip: the input is a raw IDX file, compressed here, so
 * the fuzzer explores the header checks on the gzip path (where the file's
 * size only bounds what it can hold) instead of zlib's own error paths. */
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "nabla/data.h"

static uint8_t gz[1 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1 << 19)) return 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = gz;
    z.avail_out = sizeof gz;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    size_t n = z.total_out;
    deflateEnd(&z);
    const char *path = fuzz_file(gz, n);
    int ndim = size >= 4 && data[3] >= 1 && data[3] <= 4 ? data[3] : 1;
    nb_idx idx;
    if (nb_idx_read(path, ndim, &idx) == NB_OK) {
        /* it read back exactly the input */
        if ((size_t)(4 + 4 * ndim) + (size_t)idx.numel != size) abort();
        if (memcmp(idx.data, data + 4 + 4 * ndim, (size_t)idx.numel) != 0) abort();
        nb_idx_free(&idx);
    } else if (idx.data) {
        abort();
    }
    return 0;
}
