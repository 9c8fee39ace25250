/* nabla/io.h — files written so that nothing is ever lost.
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

#ifdef __cplusplus
}
#endif
#endif
