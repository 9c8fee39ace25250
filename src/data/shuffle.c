/* One epoch's order: the training loops' and the toy data's (apart from the
 * IDX reader, so what needs no files needs no zlib). */
#include "nabla/data.h"

void nb_shuffle(nb_rng *rng, int64_t *perm, int64_t n) {
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)nb_rng_below(rng, (uint64_t)i + 1);
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}
