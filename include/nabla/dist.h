/* nabla/dist.h — the processes of a data-parallel job.
 *
 * Built with `make MPI=1`, a program started by `mpirun -np P` is P
 * processes ("ranks") of one job; otherwise it is always one. The trainer
 * (nabla/nn.h, nb_train_config.shards) and nb_evaluate split their work
 * across the ranks by themselves; a program only brackets its run:
 *
 *     nb_dist_init(&argc, &argv);
 *     ... every rank runs the same calls (collective ones: the same order) ...
 *     nb_dist_finalize();
 *
 * Collective calls under P > 1: nb_train_epoch, nb_evaluate, nb_dist_agree. */
#ifndef NABLA_DIST_H
#define NABLA_DIST_H

#include "nabla/base.h"

#ifdef __cplusplus
extern "C" {
#endif

nb_status nb_dist_init(int *argc, char ***argv); /* MPI_Init, or nothing */
void nb_dist_finalize(void);
int nb_dist_rank(void); /* 0..size-1; 0 is the one that prints and writes */
int nb_dist_size(void);
bool nb_dist_mpi(void); /* built with MPI */
void nb_dist_barrier(void); /* collective: every rank has come this far */
/* Collective: every rank's status in, the same status out on every rank —
 * NB_OK if all were, else the lowest failing rank's code, with its message
 * in every rank's nb_errmsg(). After a failure is agreed, the ranks make no
 * further collective call: nb_dist_failed() says so. */
nb_status nb_dist_agree(nb_status s);
bool nb_dist_failed(void);
const char *nb_dist_failure(void); /* the agreed failure's message, or NULL */

#ifdef __cplusplus
}
#endif
#endif
