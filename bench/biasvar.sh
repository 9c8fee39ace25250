#!/bin/sh
# The bias-variance Monte Carlo (1000 trials, n=100, d=20, 200 test inputs,
# lambda=1): `nabla biasvar` as a whole process against the numpy loop a user
# would write (../shared/peers/np_ridge.py measured 23.6 ms), both measured now.
# Target: >= 20x.
set -eu
NABLA=${1:-build/nabla}
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    echo "numpy: not installed (apt-get install python3-numpy); no ratio"
    exit 0
fi
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} /usr/bin/python3 "$(dirname "$0")/biasvar.py" "$NABLA" --reps "${REPS:-15}"
