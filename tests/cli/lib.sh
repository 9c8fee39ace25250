# Helpers for CLI tests: source this, call the checks, then `finish`.
# NABLA is the binary under test. Each check is one test; `finish` prints the
# file's "N passed, N failed, N skipped" line and returns non-zero if any failed.
: "${NABLA:=build/nabla}"
T_PASS=0; T_FAIL=0; T_SKIP=0
T_DIR=$(mktemp -d); trap 'rm -rf "$T_DIR"' EXIT
t_ok()   { T_PASS=$((T_PASS + 1)); }
t_bad()  { T_FAIL=$((T_FAIL + 1)); echo "FAIL $T_NAME: $*" >&2; }
# exit_word RC: "exit RC", naming the signal that ended the process if one did
exit_word() {
    case $1 in 152) echo "exit 152 (SIGXCPU: over its CPU-time limit)";; 137) echo "exit 137 (SIGKILL)";;
        13[0-9]|1[4-9][0-9]) echo "exit $1 (signal $(($1 - 128)))";; *) echo "exit $1";; esac
}

# expect_error NAME PATTERN [OUTFILE] -- ARGS...: status 2, exactly one stderr
# line that matches PATTERN (grep -E), nothing on stdout, and OUTFILE (if not
# '-') neither created nor changed.
expect_error() {
    T_NAME=$1; pat=$2; outf=$3; shift 4
    before=""
    [ "$outf" != "-" ] && [ -e "$outf" ] && before=$(cksum < "$outf")
    "$NABLA" "$@" > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null; rc=$?
    lines=$(wc -l < "$T_DIR/stderr")
    if [ $rc -ne 2 ]; then t_bad "$(exit_word $rc), expected 2 ($*)"; return; fi
    if [ "$lines" -ne 1 ]; then t_bad "$lines stderr lines, expected 1: $(head -c 300 "$T_DIR/stderr")"; return; fi
    if ! grep -qE -- "$pat" "$T_DIR/stderr"; then t_bad "stderr '$(cat "$T_DIR/stderr")' does not match '$pat'"; return; fi
    if [ "$outf" != "-" ]; then
        after=""; [ -e "$outf" ] && after=$(cksum < "$outf")
        if [ "$before" != "$after" ]; then t_bad "$outf was created or changed"; return; fi
        if ls "$outf".tmp.* >/dev/null 2>&1; then t_bad "a temporary file was left beside $outf"; return; fi
    fi
    t_ok
}

# expect_ok NAME -- ARGS...: status 0.
expect_ok() {
    T_NAME=$1; shift 2
    if "$NABLA" "$@" > "$T_DIR/stdout" 2> "$T_DIR/stderr" < /dev/null; then t_ok
    else t_bad "$(exit_word $?), expected 0 ($*): $(head -c 300 "$T_DIR/stderr")"; fi
}

# skip NAME WHY: a test that cannot run in this build (counted apart, not passed).
skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP $1: $2" >&2; }

# threads_used: the thread count nabla train reported in the last run's header
# ("# ..., N threads"); 1 in a build without OpenMP whatever --threads says.
threads_used() { sed -n 's/^#.*, \([0-9]*\) threads$/\1/p' "$T_DIR/stdout" | head -1; }

# check NAME CONDITION...: one test from a shell condition.
check() { T_NAME=$1; shift; if "$@"; then t_ok; else t_bad "condition failed: $*"; fi; }

# ---- building bad inputs ----------------------------------------------------------
be32() { printf "\\$(printf %03o $(( ($1 >> 24) & 255 )))\\$(printf %03o $(( ($1 >> 16) & 255 )))\\$(printf %03o $(( ($1 >> 8) & 255 )))\\$(printf %03o $(( $1 & 255 )))"; }
# le64 N: N as 8 little-endian bytes (N < 2^32)
le64() { printf "\\$(printf %03o $(( $1 & 255 )))\\$(printf %03o $(( ($1 >> 8) & 255 )))\\$(printf %03o $(( ($1 >> 16) & 255 )))\\$(printf %03o $(( ($1 >> 24) & 255 )))\\000\\000\\000\\000"; }
# idx FILE TYPE NDIM DIM... : an IDX header
idx_header() { f=$1; t=$2; n=$3; shift 3; { printf '\000\000'; printf "\\$(printf %03o "$t")\\$(printf %03o "$n")"; for x in "$@"; do be32 "$x"; done; } > "$f"; }
zeros() { head -c "$1" /dev/zero; }
mkdata() { # a valid 20-sample MNIST-format directory
    mkdir -p "$1"
    idx_header "$1/train-images-idx3-ubyte" 8 3 20 28 28; zeros 15680 >> "$1/train-images-idx3-ubyte"
    idx_header "$1/train-labels-idx1-ubyte" 8 1 20; printf '\000\001\002\003\004\005\006\007\010\011\000\001\002\003\004\005\006\007\010\011' >> "$1/train-labels-idx1-ubyte"
    cp "$1/train-images-idx3-ubyte" "$1/t10k-images-idx3-ubyte"
    cp "$1/train-labels-idx1-ubyte" "$1/t10k-labels-idx1-ubyte"
}

finish() {
    echo "$(basename "$0" .sh): $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
    [ $T_FAIL -eq 0 ]
}
