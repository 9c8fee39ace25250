/* nabla/checkpoint.h — safetensors files: read, validate, write atomically.
 *
 * The format (readable by PyTorch's ecosystem): an 8-byte little-endian
 * header length H; H bytes of JSON,
 *     {"__metadata__": {"key": "value", ...},
 *      "name": {"dtype": "F32", "shape": [256, 784], "data_offsets": [BEGIN, END]}, ...}
 * padded with spaces; then the raw little-endian data, each tensor at
 * [BEGIN, END) of the data section. A file is read whole and checked before
 * anything it claims is trusted: the header length against the file, the
 * JSON strictly, every dtype, every offset against dtype * shape, no overlap
 * and no unclaimed bytes. Every failure is an NB_EFORMAT or NB_EIO error
 * naming the file.
 *
 *     nb_st_writer *w = nb_st_writer_new();
 *     nb_st_writer_add(w, "fc.weight", NB_ST_F32, NB_SHAPE(10, 784), data);
 *     nb_st_writer_meta(w, "epoch", "3");
 *     nb_st_writer_save(w, "model.safetensors");   // temp file, fsync, rename
 *     nb_st_writer_free(w); */
#ifndef NABLA_CHECKPOINT_H
#define NABLA_CHECKPOINT_H

#include "nabla/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nb_st_dtype {
    NB_ST_BOOL, NB_ST_U8, NB_ST_I8, NB_ST_F8_E5M2, NB_ST_F8_E4M3, NB_ST_I16, NB_ST_U16, NB_ST_F16,
    NB_ST_BF16, NB_ST_I32, NB_ST_U32, NB_ST_F32, NB_ST_F64, NB_ST_I64, NB_ST_U64, NB_ST_NDTYPES
} nb_st_dtype;

const char *nb_st_dtype_name(nb_st_dtype dt); /* "F32", ... */
size_t nb_st_dtype_size(nb_st_dtype dt);

typedef struct nb_st_tensor {
    char *name;
    nb_st_dtype dtype;
    int ndim;
    int64_t shape[NB_MAX_DIMS];
    int64_t numel;
    const void *data; /* into the file's bytes; not necessarily aligned */
    size_t nbytes;
} nb_st_tensor;

typedef struct nb_safetensors {
    char *path;
    int ntensors;
    nb_st_tensor *tensors; /* in the order of their data */
    int nmeta;
    char **meta_keys, **meta_values;
    unsigned char *bytes; /* the whole file */
    size_t size;
} nb_safetensors;

/* Reads and validates path; NULL on failure (see nb_errmsg). */
nb_safetensors *nb_st_read(const char *path);
void nb_st_free(nb_safetensors *st);
const nb_st_tensor *nb_st_find(const nb_safetensors *st, const char *name);
/* The metadata value under key, or NULL. */
const char *nb_st_meta(const nb_safetensors *st, const char *key);
/* Copies tensor name into dst after checking that it exists with dtype dt and
 * exactly the given shape; errors name the file, the tensor and both shapes. */
nb_status nb_st_get(const nb_safetensors *st, const char *name, nb_st_dtype dt, int ndim,
                    const int64_t *shape, void *dst);

typedef struct nb_st_writer nb_st_writer;
nb_st_writer *nb_st_writer_new(void);
void nb_st_writer_free(nb_st_writer *w);
/* Copies data (numel * size bytes); tensors are laid out in the order added. */
nb_status nb_st_writer_add(nb_st_writer *w, const char *name, nb_st_dtype dt, int ndim, const int64_t *shape,
                           const void *data);
nb_status nb_st_writer_meta(nb_st_writer *w, const char *key, const char *value);
/* Writes atomically (temporary file, fsync, rename): a crash leaves the old
 * file or the new one. The writer can be saved again or freed. */
nb_status nb_st_writer_save(const nb_st_writer *w, const char *path);
/* The same file's bytes in one malloc'd buffer (*out, *len), for who has no
 * files (a browser): what nb_st_writer_save writes, byte for byte. */
nb_status nb_st_writer_bytes(const nb_st_writer *w, unsigned char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
