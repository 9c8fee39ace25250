#!/bin/sh
# The browser page's speed (bench/web_bench.mjs) in headless Chromium; skipped
# without Chromium, Node, playwright-core (cd tests/web && npm ci) or the wasm
# toolchain (clang-14, wasi-libc).
NABLA=${1:-build/nabla}
B=$(dirname "$NABLA")
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] || ! command -v node >/dev/null 2>&1 || [ ! -d tests/web/node_modules/playwright-core ]; then
    echo "web: skipped: no chromium (or node, or playwright-core)"; exit 0
fi
if ! command -v clang-14 >/dev/null 2>&1 || [ ! -d /usr/lib/wasm32-wasi ]; then
    echo "web: skipped: no wasm toolchain (apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32)"; exit 0
fi
make --no-print-directory -s web "$B/web_native" B="$B" >/dev/null || exit 1
exec node bench/web_bench.mjs "$B"
