/* The transport under nabla/dist.h: point-to-point messages that do not
 * block, and one gather. dist_mpi.c (make MPI=1) or dist_none.c (one rank,
 * where none of these is ever called with a peer). */
#ifndef NABLA_DIST_INTERNAL_H
#define NABLA_DIST_INTERNAL_H

#include <stddef.h>

#include "nabla/dist.h"

typedef struct nb__reqs nb__reqs; /* n slots, each an outstanding send or receive, or none */
nb__reqs *nb__reqs_new(int n);
void nb__reqs_free(nb__reqs *r);
void nb__isend(nb__reqs *r, int i, const void *buf, size_t bytes, int peer, int tag);
void nb__irecv(nb__reqs *r, int i, void *buf, size_t bytes, int peer, int tag);
bool nb__test(nb__reqs *r, int i0, int i1); /* slots [i0, i1) all done (and freed)? */
void nb__wait(nb__reqs *r, int i0, int i1);
/* Items [n*r/P, n*(r+1)/P) of buf are this rank's; afterwards every rank has all n. */
void nb__allgather_blocks(void *buf, int64_t n, size_t item);
/* The tags a message may carry (MPI promises at least 32767). */
enum { NB__TAG_MAX = 32767 };

#endif
