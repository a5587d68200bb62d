#!/bin/bash
# The guest benchmarks (bench/guest/*.c) build as plain C99 with the host
# compiler, warning-free, and each, at scale 1, prints exactly one line
# "NAME checksum: VALUE", the same on a second run (no clock, no host
# randomness). Reference: the program's own first run. Speed is not measured.
# Usage: bash test_bench_programs.sh PATH_TO_loom SOURCE_DIR (loom is unused)
set -u

SRC=${2:?usage: test_bench_programs.sh PATH_TO_loom SOURCE_DIR}
CC=${CC:-gcc}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "SKIP: no C compiler ($CC)"
    exit 0
fi
if command -v timeout >/dev/null 2>&1; then
    LIMIT=(timeout 20)
else
    LIMIT=()
fi

failures=0
count=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

for src in "$SRC"/bench/guest/*.c; do
    name=$(basename "$src" .c)
    count=$((count + 1))
    if ! "$CC" -O2 -std=c99 -pedantic -Wall -Wextra -Werror -o "$TMP/$name" "$src" -lm 2>"$TMP/$name.cc"; then
        fail "$name: does not build"
        sed 's/^/    | /' "$TMP/$name.cc" | head -20
        continue
    fi
    grep -q '^#define BENCH_DEFAULT_SCALE [0-9][0-9]*$' "$src" || fail "$name: no '#define BENCH_DEFAULT_SCALE N' line for bench/run"
    for run in 1 2; do
        "${LIMIT[@]}" "$TMP/$name" 1 >"$TMP/$name.out$run" 2>"$TMP/$name.err$run"
        status=$?
        [ "$status" -eq 0 ] || fail "$name: run $run exited with $status: $(head -3 "$TMP/$name.err$run")"
    done
    lines=$(wc -l <"$TMP/$name.out1")
    if [ "$lines" -ne 1 ] || ! grep -qE "^$name checksum: [0-9a-f.e+-]+$" "$TMP/$name.out1"; then
        fail "$name: expected one line '$name checksum: VALUE', got:"
        sed 's/^/    | /' "$TMP/$name.out1" | head -5
    elif ! cmp -s "$TMP/$name.out1" "$TMP/$name.out2"; then
        fail "$name: two runs differ: '$(cat "$TMP/$name.out1")' then '$(cat "$TMP/$name.out2")'"
    fi
done

# A bad scale is refused, not taken as zero.
if [ -x "$TMP/crc32" ]; then
    "$TMP/crc32" 0 >/dev/null 2>&1
    [ $? -eq 2 ] || fail "crc32 0: a zero scale is accepted"
fi

# The runner parses and finds every program with its default scale.
if command -v python3 >/dev/null 2>&1; then
    listed=$(python3 "$SRC/bench/run" --list 2>&1 | wc -l)
    [ "$listed" -eq "$count" ] || fail "bench/run --list shows $listed programs, not $count"
fi

[ "$count" -ge 10 ] || fail "only $count benchmark programs found under $SRC/bench/guest"
if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s) in $count benchmark programs"
    exit 1
fi
echo "ok: $count benchmark programs build, print one checksum line, and repeat it"
