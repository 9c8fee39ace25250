#!/bin/sh
# make bench: runs every bench/*.sh (but this one) in sorted order against the
# nabla binary given as $1, then prints a summary table of their results and
# writes it, as markdown, beside the binary (build/bench-summary.md).
#
# A bench script is called as `sh bench/NAME.sh NABLA` and prints free text
# plus one line per result:
#     BENCH|<name>|<nabla figure>|<peer figure>|<ratio>|<target>|<unit>
# where the ratio is always "bigger is better for nabla": nabla/peer for
# throughputs (GFLOP/s, samples/s), peer/nabla for times (ms, us). The target
# is the ratio we aim for, written ">=0.90", or "-" for none.
set -u
NABLA=${1:-build/nabla}
[ -x "$NABLA" ] || { echo "bench/run.sh: $NABLA is not built (run make first)" >&2; exit 2; }
here=$(dirname "$0")
outdir=$(dirname "$NABLA")
summary="$outdir/bench-summary.md"
results=$(mktemp); trap 'rm -f "$results"' EXIT
status=0
# Other processes skew every figure here: say how busy the machine was.
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
for script in $(ls "$here"/*.sh | sort); do
    [ "$(basename "$script")" = run.sh ] && continue
    echo "=== $(basename "$script")"
    # Keep the script's own output visible while collecting its BENCH lines.
    if ! sh "$script" "$NABLA" | tee -a "$results"; then status=1; fi
done

model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
{
    echo "# nabla benchmark summary"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- CPU: ${model:-unknown} ($(nproc 2>/dev/null || echo '?') cores)"
    echo "- load average at start: $load0, at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') (figures are only comparable on a quiet machine)"
    echo "- nabla: $("$NABLA" --version 2>/dev/null || echo '?'), binary $NABLA"
    echo "- ratio: bigger is better for nabla (nabla/peer for throughputs, peer/nabla for times);"
    echo "  'met' compares it with the target."
    echo
    echo "| benchmark | nabla | peer | ratio | target | unit | met |"
    echo "|---|---:|---:|---:|---:|---|---|"
    grep '^BENCH|' "$results" | awk -F'|' '{
        met = "-"
        if ($6 ~ /^>=/) { t = substr($6, 3) + 0; met = ($5 + 0 >= t) ? "yes" : "no" }
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, met
    }'
} > "$summary"
echo
cat "$summary"
echo
echo "(written to $summary)"
exit $status
