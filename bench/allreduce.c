/* The exchange of nabla's data-parallel step (src/nn/shards.c) on its own:
 * each rank owns a chunk of n floats, receives the others' chunk, sums, and
 * sends the sum back (reduce-scatter, then allgather), non-blocking; the
 * median time of 41 runs per size, against MPI_Allreduce's. Prints one line
 * per size: "allreduce BYTES ours_us mpi_us". */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int R, P;
    MPI_Comm_rank(MPI_COMM_WORLD, &R);
    MPI_Comm_size(MPI_COMM_WORLD, &P);
    enum { REPS = 41 };
    for (long n = 256; n <= (1L << 22); n *= 4) {
        float *g = calloc((size_t)n, 4), *in = calloc((size_t)n, 4), *out = calloc((size_t)n, 4);
        MPI_Request *q = malloc(sizeof *q * 4 * (size_t)P);
        double t[2][REPS];
        for (int rep = 0; rep < REPS; rep++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            long c0 = n * R / P, c1 = n * (R + 1) / P;
            int k = 0;
            for (int p = 0; p < P; p++) {
                if (p == R) continue;
                MPI_Irecv(in + c0, (int)(c1 - c0), MPI_FLOAT, p, 0, MPI_COMM_WORLD, &q[k++]);
                MPI_Isend(g + n * p / P, (int)(n * (p + 1) / P - n * p / P), MPI_FLOAT, p, 0, MPI_COMM_WORLD, &q[k++]);
            }
            MPI_Waitall(k, q, MPI_STATUSES_IGNORE);
            for (long i = c0; i < c1; i++) g[i] += in[i];
            k = 0;
            for (int p = 0; p < P; p++) {
                if (p == R) continue;
                MPI_Irecv(g + n * p / P, (int)(n * (p + 1) / P - n * p / P), MPI_FLOAT, p, 1, MPI_COMM_WORLD, &q[k++]);
                MPI_Isend(g + c0, (int)(c1 - c0), MPI_FLOAT, p, 1, MPI_COMM_WORLD, &q[k++]);
            }
            MPI_Waitall(k, q, MPI_STATUSES_IGNORE);
            t[0][rep] = MPI_Wtime() - t0;
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            MPI_Allreduce(g, out, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            t[1][rep] = MPI_Wtime() - t0;
        }
        qsort(t[0], REPS, sizeof(double), cmp);
        qsort(t[1], REPS, sizeof(double), cmp);
        if (R == 0) printf("allreduce %ld %.1f %.1f\n", n * 4, 1e6 * t[0][REPS / 2], 1e6 * t[1][REPS / 2]);
        free(g), free(in), free(out), free(q);
    }
    MPI_Finalize();
    return 0;
}
