#!/bin/sh
# Builds every libFuzzer target with ASan + UBSan and fuzzes each for SECONDS
# (default 30) on a copy of its seed corpus, two at a time. Regression inputs
# (tests/fuzz/regress/TARGET/) are replayed first. Fails on any crash, leak,
# timeout or oversized allocation; prints executions per target and a total.
#   sh tests/fuzz/run.sh [SECONDS] [TARGET...]
# FUZZ_JOBS (default 2) targets run at once; FUZZ_BUILD (default build/fuzz)
# holds the binaries; FUZZ_WORK (default FUZZ_BUILD/run) holds each run's
# corpus, log and crashing inputs. A crash found: copy its input from
# FUZZ_WORK/TARGET/crashes/ into tests/fuzz/regress/TARGET/ (replayed here and
# by tests/test_regress.c), and add a unit test there naming the bug.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-"idx idx_gz dataset npy csv safetensors json cli ckmeta"}
CC_FUZZ=${CC_FUZZ:-clang}
B=${FUZZ_BUILD:-build/fuzz}
W=${FUZZ_WORK:-$B/run}
jobs=${FUZZ_JOBS:-2}

# The library sources the targets reach, each compiled once with coverage.
LIB="src/core/error.c src/core/rng.c src/data/idx.c src/data/npy.c src/data/csv.c
     src/io/outfile.c src/io/json.c src/io/safetensors.c src/cli/args.c"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -Iinclude -Isrc -g -O1
        -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
mkdir -p "$B/obj" "$W" || exit 1
# The checkpoint targets (checkpoint: whole files; ckmeta: a valid file's
# metadata values) reach the whole library (built single-threaded).
# (The library's OpenMP loops then run serially; warnings that only appear
# without OpenMP are not fatal here.)
case " $targets " in *" checkpoint "*|*" ckmeta "*)
    LIB=$(ls src/*/*.c | grep -v '^src/cli/'; echo src/cli/args.c)
    CFLAGS="$CFLAGS -Wno-unknown-pragmas -Wno-error" ;;
esac
objs=""; cmds=$B/obj/compile; : > "$cmds"
for s in $LIB; do
    o="$B/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')"
    objs="$objs $o"
    # The ISA kernels (arithmetic, which no target's input steers; the SAN
    # test build checks them under ASan and UBSan) are built plain: sanitized,
    # clang 14 took 6-8 min over the AVX-512 GEMM alone, plain 5 s.
    san="-fsanitize=fuzzer-no-link,address,undefined"
    case $s in
    *_avx512.c) isa="-mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mavx2 -g0 -O2" san="" ;;
    *_avx2.c) isa="-mavx2 -mfma -g0 -O2" san="" ;;
    *) isa="" ;;
    esac
    # rebuild when the source or any header is newer than the object
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find include src -name '*.h' -newer "$o" | head -1)" ]; then
        echo "$CC_FUZZ $(echo $CFLAGS) $isa $san -c $s -o $o || { echo 'fuzz: cannot build $s'; exit 1; }" >> "$cmds"
    fi
done
# FUZZ_JOBS compiles at once
xargs -d '\n' -P "$jobs" -n 1 sh -c 'eval "$1"' _ < "$cmds" || exit 1
for t in $targets; do
    h=tests/fuzz/fuzz_$t.c
    [ -f "$h" ] || { echo "fuzz: no target '$t'"; exit 1; }
    # the harnesses need memfd_create and open_memstream: GNU extensions
    $CC_FUZZ $CFLAGS -D_GNU_SOURCE -U_POSIX_C_SOURCE -fsanitize=fuzzer,address,undefined \
        "$h" $objs -lz -lm -o "$B/fuzz_$t" || { echo "fuzz: cannot build $t"; exit 1; }
done

# run_one TARGET: replay its regression inputs, then fuzz; writes W/TARGET.result
run_one() {
    t=$1; d="$W/$t"
    rm -rf "$d"; mkdir -p "$d/corpus" "$d/crashes"
    cp tests/fuzz/corpus/"$t"/* "$d/corpus/" 2>/dev/null
    dict=""; [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
    maxlen=4096; [ "$t" = checkpoint ] && maxlen=32768 # its seeds are real checkpoints
    opts="-timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=64 -max_len=$maxlen -close_fd_mask=3"
    if ls tests/fuzz/regress/"$t"/* >/dev/null 2>&1; then
        if ! ASAN_OPTIONS=detect_leaks=1 "$B/fuzz_$t" $opts tests/fuzz/regress/"$t"/* > "$d/regress.log" 2>&1; then
            echo "fail 0 regression input crashed (see $d/regress.log)" > "$W/$t.result"
            return
        fi
    fi
    # $dict is empty or one word
    # shellcheck disable=SC2086
    "$B/fuzz_$t" $opts $dict -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$d/crashes/" "$d/corpus" > "$d/log" 2>&1
    rc=$?
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)
    if [ $rc -eq 0 ]; then echo "ok ${n:-0}" > "$W/$t.result"
    else echo "fail ${n:-0} exit $rc: $(ls "$d/crashes" | head -3 | tr '\n' ' ')" > "$W/$t.result"; fi
}

set -- $targets
while [ $# -gt 0 ]; do
    pids=""
    i=0
    while [ $# -gt 0 ] && [ $i -lt "$jobs" ]; do
        run_one "$1" & pids="$pids $!"
        shift; i=$((i + 1))
    done
    for p in $pids; do wait "$p"; done
done

pass=0; fail=0
for t in $targets; do
    r=$(cat "$W/$t.result" 2>/dev/null || echo "fail 0 no result")
    set -- $r
    n=$2
    why=$(echo "$r" | cut -d' ' -f3-)
    printf 'fuzz %-12s %12s executions in %ss  %s\n' "$t" "$n" "$secs" "$1${why:+: $why}"
    if [ "$1" = ok ]; then pass=$((pass + 1))
    else
        fail=$((fail + 1))
        grep -m1 -E 'ERROR|SUMMARY|runtime error|Timeout|out-of-memory' "$W/$t/log" "$W/$t/regress.log" 2>/dev/null | head -3
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
