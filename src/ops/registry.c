/* Every op, in one list: gradcheck's completeness test and the fixture test
 * walk it, so an op without a check cannot slip in. */
#include "core/internal.h"
#include "nabla/ops.h"

#define NB_OPS(X)                                                                                   \
    X(add) X(sub) X(mul) X(div) X(neg) X(pow) X(exp) X(log) X(sqrt) X(tanh) X(sigmoid) X(relu) X(abs) \
    X(scale) X(sum) X(mean) X(max) X(matmul) X(linear) X(linear_relu) X(reshape) X(permute)          \
    X(softmax) X(log_softmax) X(xent) X(mse) X(conv2d) X(max_pool2d) X(conv2d_relu_pool) X(gather)

#define DECLARE(name) extern const nb_op nb__op_##name;
NB_OPS(DECLARE)
#define ADDRESS(name) &nb__op_##name,
const nb_op *const nb__all_ops[] = {NB_OPS(ADDRESS) NULL};
