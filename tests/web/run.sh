#!/bin/sh
# The browser suite (tests/web/suite.mjs): needs Chromium, Node and
# playwright-core (cd tests/web && npm ci); without them it says skipped.
B=${1:-build}
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then echo "web: skipped: no chromium"; exit 0; fi
if ! command -v node >/dev/null 2>&1; then echo "web: skipped: no node"; exit 0; fi
if [ ! -d tests/web/node_modules/playwright-core ]; then
    echo "web: skipped: no playwright-core (cd tests/web && npm ci)"; exit 0
fi
if ! command -v clang-14 >/dev/null 2>&1 || [ ! -d /usr/lib/wasm32-wasi ]; then
    echo "web: skipped: no wasm toolchain (apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32)"; exit 0
fi
make --no-print-directory -s web B="$B" >/dev/null || { echo "web: make web failed"; echo "0 passed, 1 failed"; exit 1; }
exec node tests/web/suite.mjs "$B"
