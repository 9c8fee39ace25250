#!/bin/sh
# The browser page's speed (bench/web_bench.mjs) in headless Chromium; skipped
# without Chromium, Node or playwright-core (cd tests/web && npm ci).
NABLA=${1:-build/nabla}
B=$(dirname "$NABLA")
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] || ! command -v node >/dev/null 2>&1 || [ ! -d tests/web/node_modules/playwright-core ]; then
    echo "web: skipped: no chromium (or node, or playwright-core)"; exit 0
fi
make --no-print-directory -s web "$B/web_native" B="$B" >/dev/null || exit 1
exec node bench/web_bench.mjs "$B"
