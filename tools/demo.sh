#!/bin/sh
# make demo: the whole of nabla in a few minutes. Figures go to out/.
set -eu
NABLA=${1:-build/nabla}
OUT=out
mkdir -p "$OUT"
say() { printf '\n== %s\n' "$*"; }

say "1. Matrix calculus: every op's gradient against central differences"
"$NABLA" gradcheck

say "2. Optimizers: the handout's Figures 2-4 and more, as SVG in $OUT/figures"
"$NABLA" figures --out "$OUT/figures"
ls "$OUT/figures"
"$NABLA" optim --fn quadratic --a1 1 --a2 10 --x0 -1.5,1 --opt momentum --lr 0.05 --momentum 0.9 --steps 100

say "3. Bias-variance: ridge over lambda, exact and Monte Carlo"
"$NABLA" biasvar --n 100 --d 20 --ntest 200 --noise 1 --lambda 0,0.1,1,10,100 --trials 1000 --seed 0

say "4. Training on Fashion-MNIST"
DATA=/usr/share/datasets/fashion-mnist
if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing Debian's dataset-fashion-mnist ..."
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >/dev/null
    else
        echo "Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist' and 'make demo' again" >&2
        exit 2
    fi
fi
"$NABLA" train --data fashion-mnist --model mlp --hidden 256,256 --opt adam --lr 1e-3 --batch 128 --epochs 5 \
    --seed 0 --save "$OUT/mlp.safetensors" --log "$OUT/mlp.csv" --svg "$OUT/mlp.svg"
"$NABLA" eval --load "$OUT/mlp.safetensors" --data fashion-mnist
say "done: figures in $OUT/figures, the training curve in $OUT/mlp.svg"
