#!/bin/sh
# Training in the browser (bench/web_train.mjs): the MLP 784-256-256-10, batch
# 128, Adam, on random data, in headless Chromium on one thread — nabla's
# WebAssembly build against TensorFlow.js 4.x (WebAssembly backend with SIMD,
# and the plain CPU backend; bench/tfjs, `cd bench/tfjs && npm ci`), and
# against native nabla --threads 1 on the same configuration. Skipped without
# Chromium, Node, playwright-core or the wasm toolchain; the TF.js rows are
# skipped (with a line saying so) without bench/tfjs/node_modules, which it installs
# with npm ci when npm is there.
NABLA=${1:-build/nabla}
B=$(dirname "$NABLA")
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] || ! command -v node >/dev/null 2>&1 || [ ! -d tests/web/node_modules/playwright-core ]; then
    echo "web_train: skipped: no chromium (or node, or playwright-core)"; exit 0
fi
# the peer, pinned by bench/tfjs/package-lock.json: installed here when npm can
if [ ! -d bench/tfjs/node_modules/@tensorflow ] && command -v npm >/dev/null 2>&1; then
    (cd bench/tfjs && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
        echo "web_train: npm ci in bench/tfjs failed (no registry?): the TF.js rows will be skipped"
fi
if ! command -v clang-14 >/dev/null 2>&1 || [ ! -d /usr/lib/wasm32-wasi ]; then
    echo "web_train: skipped: no wasm toolchain (apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32)"; exit 0
fi
make --no-print-directory -s web "$NABLA" B="$B" >/dev/null || exit 1
exec node bench/web_train.mjs "$B"
