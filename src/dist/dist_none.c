/* One process: the transport is never asked to reach a peer. */
#ifndef NB_MPI
#include <stdlib.h>

#include "dist/dist.h"

nb_status nb_dist_init(int *argc, char ***argv) {
    (void)argc, (void)argv;
    return NB_OK;
}
void nb_dist_finalize(void) {}
int nb_dist_rank(void) { return 0; }
int nb_dist_size(void) { return 1; }
bool nb_dist_mpi(void) { return false; }
void nb_dist_barrier(void) {}
nb_status nb_dist_agree(nb_status s) { return s; }
bool nb_dist_failed(void) { return false; }
const char *nb_dist_failure(void) { return NULL; }

nb__reqs *nb__reqs_new(int n) {
    (void)n;
    return malloc(1);
}
void nb__reqs_free(nb__reqs *r) { free(r); }
void nb__isend(nb__reqs *r, int i, const void *buf, size_t bytes, int peer, int tag) {
    (void)r, (void)i, (void)buf, (void)bytes, (void)peer, (void)tag;
}
void nb__irecv(nb__reqs *r, int i, void *buf, size_t bytes, int peer, int tag) {
    (void)r, (void)i, (void)buf, (void)bytes, (void)peer, (void)tag;
}
bool nb__test(nb__reqs *r, int i0, int i1) {
    (void)r, (void)i0, (void)i1;
    return true;
}
void nb__wait(nb__reqs *r, int i0, int i1) { (void)r, (void)i0, (void)i1; }
void nb__allgather_blocks(void *buf, int64_t n, size_t item) { (void)buf, (void)n, (void)item; }
#else
typedef int nb__dist_none_unused; /* ISO C: a translation unit is not empty */
#endif
