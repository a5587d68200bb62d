#!/bin/bash
# Random-instruction differential test of the ARM translator, in the spirit
# of RISU: tests/risu/gen.py writes programs of random A32 and Thumb-2
# instructions (every group: data processing, multiplies, divides,
# saturation, parallel arithmetic, packing, bit fields, loads and stores of
# every form, LDM/STM, exclusives, MRS/MSR, conditions and IT blocks,
# branches and interworking, VFP with random FPSCR modes and special
# operands), each instruction followed by a dump of the whole state; the
# programs run under `loom user arm` and under the reference, qemu-arm -cpu
# cortex-a15, and the logs must be identical (tests/risu/compare.py names
# the first instruction that differs and how). 100,000 random instructions
# on the x86-64 back end, 10,000 on the IR interpreter. Then the MemA
# accesses (LDRD, LDM, exclusives, VLDR...) at misaligned addresses: the
# alignment fault (SIGBUS) as in qemu-arm, in both states.
#
# LOOM_RISU_SEED="7 8" runs those seeds (both states, 10,000 instructions
# each) instead of the fixed ones; LOOM_RISU_COUNT changes the count.
# Skips (exit 0) without the cross compiler, qemu-arm or python3, and when
# `loom user` says the ARM translator is not there (status 69).
# Usage: bash test_arm_random.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_arm_random.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_arm_random.sh PATH_TO_loom SOURCE_DIR}
CC=arm-linux-gnueabihf-gcc
for tool in "$CC" qemu-arm python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 0
    fi
done
GEN=$SRC/tests/risu/gen.py
COMPARE=$SRC/tests/risu/compare.py
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-risu.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
CFLAGS=(-nostdlib -static -march=armv7ve -mfpu=vfpv4 -mfloat-abi=hard)
START=$SECONDS
LIMIT=60
[ -n "${LOOM_SANITIZED:-}" ] && LIMIT=180

failures=0
checks=0
insns=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# risu MODE SEED COUNT [LOOM OPTIONS]: one random program, Loom against
# qemu-arm. Runs as a job: what it says goes to $TMP/MODE-SEED.out, its
# last line "ok COUNT", "fail" or "skip".
risu() {
    local mode=$1 seed=$2 count=$3
    shift 3
    local f="$TMP/$mode-$seed"
    local flags=("${CFLAGS[@]}")
    [ "$mode" = thumb ] && flags+=(-mthumb)
    if ! python3 "$GEN" --mode "$mode" --count "$count" --seed "$seed" -o "$f.S" ||
        ! "$CC" "${flags[@]}" -o "$f" "$f.S" 2>"$f.cc"; then
        echo "FAIL: $mode seed $seed: cannot make the program: $(head -c 400 "$f.cc" 2>/dev/null)"
        echo fail
        return
    fi
    timeout "$LIMIT" qemu-arm -cpu cortex-a15 "$f" >"$f.qemu" 2>"$f.qemu.err"
    local qs=$?
    timeout "$LIMIT" "$LOOM" user arm "$@" "$f" >"$f.loom" 2>"$f.loom.err"
    local ls=$?
    local ok=1
    if [ $ls -eq 69 ]; then
        echo "SKIP: the guest runs: $(head -c 300 "$f.loom.err")"
        echo skip
        return
    fi
    if [ $qs -ne 0 ]; then
        echo "FAIL: $mode seed $seed: qemu-arm exits with $qs: $(head -c 300 "$f.qemu.err")"
        ok=0
    elif [ $ls -ne 0 ]; then
        echo "FAIL: $mode seed $seed $*: loom exits with $ls: $(head -c 300 "$f.loom.err")"
        ok=0
    fi
    if ! cmp -s "$f.loom" "$f.qemu"; then
        echo "FAIL: $mode seed $seed $*: the state differs from qemu-arm's"
        python3 "$COMPARE" "$f.txt" "$f.loom" "$f.qemu" | head -40
        echo "  (again: python3 tests/risu/gen.py --mode $mode --seed $seed --count $count -o t.S;" \
             "$CC ${flags[*]} -o t t.S; loom user arm $* t)"
        ok=0
    fi
    rm -f "$f" "$f.S" "$f.qemu" "$f.loom"
    [ $ok -eq 1 ] && echo "ok $count" || echo fail
}

# Two programs at a time (the machine's two cores).
JOBS=()
job() {
    local out="$TMP/job${#JOBS[@]}.out"
    JOBS+=("$out")
    risu "$@" >"$out" 2>&1 &
    [ "$(jobs -rp | wc -l)" -lt 2 ] || wait -n
}

# The sanitizer build runs a fifth of the instructions.
COUNT=${LOOM_RISU_COUNT:-10000}
[ -n "${LOOM_SANITIZED:-}" ] && [ -z "${LOOM_RISU_COUNT:-}" ] && COUNT=2000
if [ -n "${LOOM_RISU_SEED:-}" ]; then
    for seed in ${LOOM_RISU_SEED//,/ }; do
        job arm "$seed" "$COUNT"
        job thumb "$seed" "$COUNT"
    done
else
    # 100,000 on the x86-64 back end, 10,000 on the interpreter.
    for seed in 1 2 3 4 5; do
        job arm "$seed" "$COUNT"
        job thumb "$seed" "$COUNT"
    done
    job arm 6 $((COUNT / 2)) --jit=interp
    job thumb 6 $((COUNT / 2)) --jit=interp
fi
wait
for out in "${JOBS[@]}"; do
    last=$(tail -n 1 "$out")
    sed '$d' "$out"
    checks=$((checks + 1))
    case $last in
    ok*) insns=$((insns + ${last#ok })) ;;
    skip) exit 0 ;;
    *) failures=$((failures + 1)) ;;
    esac
done
echo "$insns random instructions the same as qemu-arm's in $((SECONDS - START)) s"

# ---- Misaligned MemA accesses: an alignment fault, whatever SCTLR.A -------------
# (ARM ARM A3.2.1); LDR, LDRH and STR (MemU) go through. One program per
# state, the case chosen by the number of arguments; r0 is the buffer,
# r1 = r0 + 2, r5 = r0 + 4, r6 = r0 + 1.
CASES=(
    "ldrd r2, r3, [r1]"
    "strd r2, r3, [r1]"
    "ldm r1, {r2, r3}"
    "stmdb r1!, {r2, r3}"
    "ldrex r2, [r1]"
    "ldrexd r2, r3, [r5]"
    "ldrexh r2, [r6]"
    "vldr d0, [r1]"
    "vstr s0, [r1]"
    "vldmia r1, {d0-d1}"
    "vstmdb r1!, {s0-s1}"
    "mov sp, r1; push {r2, r3}"
    "ldr r2, [r1]"
    "ldrh r2, [r6]"
    "str r2, [r6]"
    "ldrexd r2, r3, [r0]; strexd r4, r2, r3, [r0]"
)
for mode in arm thumb; do
    f=$TMP/align-$mode
    {
        echo "    .syntax unified"
        echo "    .$mode"
        echo "    .global _start"
        [ "$mode" = thumb ] && echo "    .thumb_func"
        echo "_start:"
        echo "    ldr r4, [sp]"
        echo "    movw r0, #:lower16:buf"
        echo "    movt r0, #:upper16:buf"
        echo "    add r1, r0, #2"
        echo "    add r5, r0, #4"
        echo "    add r6, r0, #1"
        for i in "${!CASES[@]}"; do
            echo "    cmp r4, #$((i + 1))"
            echo "    beq c$i"
        done
        echo "    b done"
        for i in "${!CASES[@]}"; do
            echo "c$i:"
            echo "    ${CASES[$i]//; /$'\n'    }"
            echo "    b done"
        done
        echo "done:"
        echo "    mov r0, #0"
        echo "    mov r7, #1"
        echo "    svc 0"
        echo "    .data"
        echo "    .balign 8"
        echo "buf: .space 64"
    } >"$f.S"
    flags=("${CFLAGS[@]}")
    [ "$mode" = thumb ] && flags+=(-mthumb)
    if ! "$CC" "${flags[@]}" -o "$f" "$f.S" 2>"$f.cc"; then
        fail "align-$mode: cannot build: $(head -c 400 "$f.cc")"
        continue
    fi
    args=()
    for i in "${!CASES[@]}"; do
        args+=(x)
        # (The braces keep the shell from reporting each SIGBUS.)
        { qemu-arm -cpu cortex-a15 "$f" "${args[@]}" >/dev/null 2>&1; } 2>/dev/null
        want=$?
        for jit in native interp; do
            checks=$((checks + 1))
            { "$LOOM" user arm --jit=$jit "$f" "${args[@]}" >/dev/null 2>"$f.err"; } 2>/dev/null
            got=$?
            [ $got -eq $want ] ||
                fail "$mode ${CASES[$i]} (--jit=$jit): exit status $got, qemu-arm gives $want: $(head -c 200 "$f.err")"
        done
    done
done

echo "$checks checks, $failures failures, $((SECONDS - START)) s"
[ "$failures" -eq 0 ]
