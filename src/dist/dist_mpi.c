/* The transport over MPI (make MPI=1). Only the thread that called
 * nb_dist_init calls MPI (MPI_THREAD_FUNNELED): the trainer's ready hook,
 * which may run on any thread of a team, leaves the sending to it. */
#ifdef NB_MPI
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"

static int g_rank, g_size = 1;
static bool g_init, g_failed;
static char g_msg[512]; /* the agreed failure */

nb_status nb_dist_init(int *argc, char ***argv) {
    int provided, flag;
    /* OpenMPI's shared-memory transport copies a large message with
     * process_vm_readv (CMA) by default; in this VM that took 49 ms for 1 MB
     * against 0.16 ms through its own buffers (bench/allreduce.c). The
     * environment, or mpirun --mca, still decides. */
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    MPI_Initialized(&flag);
    if (!flag && MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return nb_fail(NB_ESTATE, "MPI_Init_thread failed");
    g_init = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    return NB_OK;
}

void nb_dist_finalize(void) {
    if (g_init) MPI_Finalize();
    g_init = false;
}

int nb_dist_rank(void) { return g_rank; }
int nb_dist_size(void) { return g_init ? g_size : 1; }
bool nb_dist_mpi(void) { return true; }
void nb_dist_barrier(void) {
    if (nb_dist_size() > 1) MPI_Barrier(MPI_COMM_WORLD);
}
bool nb_dist_failed(void) { return g_failed; }
const char *nb_dist_failure(void) { return g_failed ? g_msg : NULL; }

nb_status nb_dist_agree(nb_status s) {
    if (nb_dist_size() == 1 || g_failed) return s;
    int mine = s ? g_rank : g_size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == g_size) return NB_OK;
    struct {
        int code;
        char msg[512];
    } m;
    memset(&m, 0, sizeof m);
    if (g_rank == first) {
        m.code = (int)s;
        strncpy(m.msg, nb_errmsg(), sizeof m.msg - 1);
    }
    MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, first, MPI_COMM_WORLD);
    g_failed = true;
    memcpy(g_msg, m.msg, sizeof g_msg);
    if (g_rank != first) nb_fail((nb_status)m.code, "%s", m.msg);
    return (nb_status)m.code;
}

struct nb__reqs {
    int n;
    MPI_Request r[];
};

nb__reqs *nb__reqs_new(int n) {
    nb__reqs *r = malloc(sizeof *r + (size_t)(n > 0 ? n : 1) * sizeof(MPI_Request));
    if (!r) return NULL;
    r->n = n;
    for (int i = 0; i < n; i++) r->r[i] = MPI_REQUEST_NULL;
    return r;
}

void nb__reqs_free(nb__reqs *r) { free(r); }

/* A message over INT_MAX bytes would need a derived type; a chunk of a
 * model's gradient is far below it (a 2 GB model would be the first). */
void nb__isend(nb__reqs *r, int i, const void *buf, size_t bytes, int peer, int tag) {
    MPI_Isend(buf, (int)(bytes < INT_MAX ? bytes : INT_MAX), MPI_BYTE, peer, tag, MPI_COMM_WORLD, &r->r[i]);
}

void nb__irecv(nb__reqs *r, int i, void *buf, size_t bytes, int peer, int tag) {
    MPI_Irecv(buf, (int)(bytes < INT_MAX ? bytes : INT_MAX), MPI_BYTE, peer, tag, MPI_COMM_WORLD, &r->r[i]);
}

bool nb__test(nb__reqs *r, int i0, int i1) {
    int done = 1;
    if (i1 > i0) MPI_Testall(i1 - i0, r->r + i0, &done, MPI_STATUSES_IGNORE);
    return done != 0;
}

void nb__wait(nb__reqs *r, int i0, int i1) {
    if (i1 > i0) MPI_Waitall(i1 - i0, r->r + i0, MPI_STATUSES_IGNORE);
}

void nb__allgather_blocks(void *buf, int64_t n, size_t item) {
    int P = g_size;
    int *cnt = malloc(2 * (size_t)P * sizeof *cnt);
    if (!cnt) MPI_Abort(MPI_COMM_WORLD, 2); /* a few bytes: the job could not go on anyway */
    for (int q = 0; q < P; q++) {
        int64_t lo = n * q / P, hi = n * (q + 1) / P;
        cnt[q] = (int)((size_t)(hi - lo) * item);
        cnt[P + q] = (int)((size_t)lo * item);
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, cnt, cnt + P, MPI_BYTE, MPI_COMM_WORLD);
    free(cnt);
}
#else
typedef int nb__dist_mpi_unused; /* ISO C: a translation unit is not empty */
#endif
