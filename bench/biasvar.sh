#!/bin/sh
# The bias-variance Monte Carlo at scale (5 lambdas x 20,000 trials, n=100,
# d=20, 200 test inputs): `nabla biasvar` as a whole process against NumPy's
# compute alone, vectorised (all trials at once) and as a loop
# (../shared/peers/np_ridge.py's style), both measured now; and the share of
# the machine's limit (the GEMM flops at `nabla bench gemm`'s rate plus the
# normals at `nabla bench normals`' rate) that nabla reaches.
# Targets: >= 5x vectorised NumPy, >= 50x the loop.
set -eu
NABLA=${1:-build/nabla}
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    echo "numpy: not installed (apt-get install python3-numpy); no ratio"
    exit 0
fi
# OpenBLAS misdetects this CPU without the core type (see ../shared/peers/README.md)
OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX} /usr/bin/python3 "$(dirname "$0")/biasvar.py" "$NABLA" --reps "${REPS:-11}"
