/* nabla/io.h — files read without trusting them, written so that nothing is
 * ever lost.
 *
 * Every reader opens its input with nb_input_open: a FIFO, a socket or a
 * device is refused with one line instead of blocking or being read forever.
 *
 * An nb_outfile writes to a temporary file beside its target and renames it
 * into place on commit, so a crash or an error leaves either the old file or
 * the new one, never a partial one. */
#ifndef NABLA_IO_H
#define NABLA_IO_H

#include <stdio.h>

#include "nabla/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens path read-only without blocking and accepts only a regular file;
 * returns the descriptor (blocking again) and the file's size in *size (may
 * be NULL), or -1 with an NB_EIO error naming path and what it is. */
int nb_input_open(const char *path, int64_t *size);
/* The same as a stdio stream ("rb"); NULL on failure. */
FILE *nb_input_fopen(const char *path, int64_t *size);

typedef struct nb_outfile {
    FILE *fp;         /* write here */
    char *path, *tmp; /* private */
} nb_outfile;

nb_status nb_outfile_open(nb_outfile *f, const char *path);
/* Flushes, fsyncs when sync is set (checkpoints), closes and renames into
 * place; on any failure the temporary file is removed and the target kept. */
nb_status nb_outfile_commit(nb_outfile *f, bool sync);
/* Closes and removes the temporary file; the target is untouched. */
void nb_outfile_abort(nb_outfile *f);
/* Removes the temporary file of every output still open, touching nothing
 * else: async-signal-safe, for a signal handler about to _exit. */
void nb_outfile_remove_all(void);

#ifdef __cplusplus
}
#endif
#endif
