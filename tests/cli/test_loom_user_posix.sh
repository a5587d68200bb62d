#!/bin/bash
# POSIX programs under `loom user arm`: threads, signals, SysV IPC,
# processes and sockets (tests/guest/arm/{threads,signals,ipc,procs,net}.c), built by the
# distribution's cross compiler (arm-linux-gnueabihf-gcc -O2) for ARM and
# Thumb, static and dynamic (run with -L /usr/arm-linux-gnueabihf), and run
# by Loom and by the reference, qemu-arm -cpu cortex-a15; stdout and the exit
# status must be the same. On the native back end all of them, on
# --jit=interp a sample. Two references are not qemu-arm's own run:
# `procs exec-self` execs the ARM program again, which qemu-arm cannot on a
# machine without binfmt_misc, so its reference is `procs child-mode hello`
# under qemu-arm followed by the parent's line; the dying `signals` runs
# compare exit statuses (128 + signal) as well; net.c's reference is the
# same source built for the host.
# Skips (exit 0) without the cross compiler or qemu-arm, or while `loom user`
# says it cannot run ARM programs (status 69).
# Usage: bash test_loom_user_posix.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_loom_user_posix.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_loom_user_posix.sh PATH_TO_loom SOURCE_DIR}
CC=arm-linux-gnueabihf-gcc
SYSROOT=/usr/arm-linux-gnueabihf
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "SKIP: $CC is not installed"
    exit 0
fi
if ! command -v qemu-arm >/dev/null 2>&1; then
    echo "SKIP: qemu-arm is not installed"
    exit 0
fi
GUEST=$SRC/tests/guest/arm
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-posix.XXXXXX") || exit 1
IPC_LOGS=()
cleanup() {
    # SysV objects outlive a run that timed out: remove the ones ipc.c
    # reported creating (on its stderr).
    local f kind id
    for f in "${IPC_LOGS[@]}"; do
        [ -e "$f" ] || continue
        while read -r _ _ kind id; do
            case $kind in
            shm) ipcrm -m "$id" 2>/dev/null ;;
            sem) ipcrm -s "$id" 2>/dev/null ;;
            msg) ipcrm -q "$id" 2>/dev/null ;;
            esac
        done < <(grep '^ipc.c: created ' "$f")
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
ulimit -c 0 # qemu-arm dumps core for the guests that die of SIGSEGV and SIGABRT
# Time: every program ends within a second under qemu-arm. A Loom run gets
# 20 s, 5 s once a run of the same program has hung; past 100 s in all the
# remaining runs are counted as one failure, within ctest's 120 s.
LIMIT=(timeout -k 2 20)
BUDGET=100
[ "${LOOM_TEST_LEVEL:-}" = full ] && BUDGET=1500
declare -A HUNG=()
not_run=0

failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

status=0
run() { # run NAME CMD...: stdout in $TMP/NAME.out, stderr in $TMP/NAME.err, $status
    local name=$1
    shift
    # The braces take bash's report of a guest that died of a signal.
    { "${LIMIT[@]}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null; } 2>/dev/null
    status=$?
}

# loom_run PROG NAME ARGS...: `loom user arm ARGS...` as run NAME, within the
# time left; false when there is none.
loom_run() {
    local prog=$1 name=$2
    shift 2
    if [ "$SECONDS" -ge "$BUDGET" ]; then
        not_run=$((not_run + 1))
        return 1
    fi
    local limit=20
    [ -n "${HUNG[$prog]:-}" ] && limit=5
    { "${LIMIT[@]:0:3}" "$limit" "$LOOM" user arm "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null; } 2>/dev/null
    status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        HUNG[$prog]=1
        echo "timed out after $limit s" >>"$TMP/$name.err"
    fi
    return 0
}

# compare LABEL NAME WANT_STATUS: Loom's run NAME against $TMP/NAME.want.
compare() {
    local label=$1 name=$2 want=$3
    checks=$((checks + 1))
    if [ "$status" -ne "$want" ]; then
        fail "$label: exit status $status, the reference gives $want; stderr: $(grep -v '^ipc.c: created' "$TMP/$name.err" | tail -c 300)
$(diff "$TMP/$name.want" "$TMP/$name.out" | head -20)"
    elif ! cmp -s "$TMP/$name.want" "$TMP/$name.out"; then
        fail "$label: output differs from the reference (< reference, > Loom):
$(diff "$TMP/$name.want" "$TMP/$name.out" | head -20)"
    fi
}

# same PROG LABEL NAME LOOM_OPTS... -- PROGRAM ARGS...: Loom and qemu-arm.
same() {
    local prog=$1 label=$2 name=$3
    shift 3
    local opts=()
    while [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    # qemu-arm itself now and then crashes on these programs (its signal
    # handling races with the guest's threads): a death is asked again,
    # and a program that dies by design dies every time.
    local tries=0
    while :; do
        run "$name.qemu" qemu-arm -cpu cortex-a15 "${QEMU_OPTS[@]}" "$@"
        tries=$((tries + 1))
        [ "$status" -lt 128 ] || [ "$tries" -ge 3 ] && break
    done
    local want=$status
    if [ "$want" -ge 128 ] && [ -n "${PLAIN:-}" ]; then
        # A program that should end normally: the reference is unusable.
        echo "NOTE: $label: qemu-arm died $tries times (status $want), nothing to compare with"
        return 0
    fi
    cp "$TMP/$name.qemu.out" "$TMP/$name.want"
    loom_run "$prog" "$name" "${opts[@]}" "${QEMU_OPTS[@]}" "$@" || return 0
    compare "$label" "$name" "$want"
}

# ---- Builds ---------------------------------------------------------------------

# build PROG STATE LINK [EXTRA...]: $TMP/PROG-STATE-LINK from tests/guest/arm/PROG.c
build() {
    local prog=$1 state=$2 link=$3
    shift 3
    local flags=(-O2 "-m$state")
    [ "$link" = static ] && flags+=(-static)
    local out=$TMP/$prog-$state-$link
    if ! "$CC" "${flags[@]}" "$@" -o "$out" "$GUEST/$prog.c" -pthread 2>"$out.cc"; then
        fail "$prog.c ($state, $link): cannot build: $(head -c 400 "$out.cc")"
        return 1
    fi
}

PROGS=(threads signals ipc procs)
BUILDS=("arm static" "thumb static" "arm dynamic" "thumb dynamic")
for prog in "${PROGS[@]}"; do
    for b in "${BUILDS[@]}"; do
        read -r state link <<<"$b"
        build "$prog" "$state" "$link"
    done
done
# 64-bit time_t: glibc's conversions of the IPC structures and semtimedop_time64.
build ipc thumb static-time64 -static -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64

probe=$TMP/procs-arm-static
if [ -x "$probe" ]; then
    run probe "$LOOM" user arm "$probe" child-mode probe
    if [ "$status" -eq 69 ]; then
        echo "SKIP: the guest runs: $(cat "$TMP/probe.err")"
        echo "$checks checks, $failures failures"
        exit 0
    fi
fi

# run_prog PROG STATE LINK SUFFIX LOOM_OPTS...: one build, compared.
run_prog() {
    local prog=$1 state=$2 link=$3 suffix=$4
    shift 4
    local bin=$TMP/$prog-$state-$link
    [ -x "$bin" ] || return 0
    QEMU_OPTS=()
    case $link in dynamic*) QEMU_OPTS=(-L "$SYSROOT") ;; esac
    local name=$prog-$state-$link$suffix
    local label="$prog.c ($state, $link${suffix:+, ${suffix#-}})"
    [ "$prog" = ipc ] && IPC_LOGS+=("$TMP/$name.err" "$TMP/$name.qemu.err")
    PLAIN=1 same "$prog" "$label" "$name" "$@" -- "$bin"
}

# ---- Every build on the native back end, a sample on the interpreter ----------------

for prog in "${PROGS[@]}"; do
    for b in "${BUILDS[@]}"; do
        read -r state link <<<"$b"
        run_prog "$prog" "$state" "$link" ""
    done
done
run_prog ipc thumb static-time64 ""
if [ "${LOOM_TEST_LEVEL:-}" = full ]; then
    # Everything on the interpreter too.
    for prog in "${PROGS[@]}"; do
        for b in "${BUILDS[@]}"; do
            read -r state link <<<"$b"
            run_prog "$prog" "$state" "$link" -interp --jit=interp
        done
    done
else
    run_prog threads thumb static -interp --jit=interp
    run_prog signals arm static -interp --jit=interp
    run_prog ipc thumb dynamic -interp --jit=interp
    run_prog procs arm static -interp --jit=interp
fi

# ---- Death by a signal: exit status 128 + signal, as qemu-arm gives ---------------

for how in die-term die-segv die-abort die-blocked; do
    for b in "arm static" "thumb dynamic"; do
        read -r state link <<<"$b"
        bin=$TMP/signals-$state-$link
        [ -x "$bin" ] || continue
        QEMU_OPTS=()
        [ "$link" = dynamic ] && QEMU_OPTS=(-L "$SYSROOT")
        same signals "signals.c ($state, $link) $how" "signals-$how-$state-$link" -- "$bin" "$how"
    done
done

# ---- execve of the program itself ------------------------------------------------------

for b in "thumb static" "arm dynamic"; do
    read -r state link <<<"$b"
    bin=$TMP/procs-$state-$link
    [ -x "$bin" ] || continue
    QEMU_OPTS=()
    [ "$link" = dynamic ] && QEMU_OPTS=(-L "$SYSROOT")
    name=procs-exec-$state-$link
    # The reference: the exec'd program's own run, then the parent's line.
    run "$name.qemu" qemu-arm -cpu cortex-a15 "${QEMU_OPTS[@]}" "$bin" child-mode hello
    { cat "$TMP/$name.qemu.out"; echo "exec-self: child: exited $status"; } >"$TMP/$name.want"
    loom_run procs "$name" "${QEMU_OPTS[@]}" "$bin" exec-self || continue
    compare "procs.c ($state, $link) exec-self" "$name" 0
done

# ---- Sockets, epoll, eventfd and timerfd: the host kernel is the reference ----------
# tests/guest/arm/net.c prints nothing that depends on the ABI (no sizes,
# ports or descriptors), so the same source built for the host gives the
# expected output. qemu-arm is not the reference here: it does not flag
# control data cut short (MSG_CTRUNC) as the kernel does.

build net arm static
build net thumb dynamic
build net thumb static-time64 -static -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64
if cc -O2 -o "$TMP/net-native" "$GUEST/net.c" 2>"$TMP/net-native.cc"; then
    run net-native "$TMP/net-native"
    if [ "$status" -ne 0 ]; then
        echo "NOTE: net.c fails natively (status $status), nothing to compare with: $(tail -c 300 "$TMP/net-native.out")"
    else
        for b in "arm static" "thumb dynamic" "thumb static-time64" "arm static -interp --jit=interp"; do
            read -r state link suffix opts <<<"$b"
            bin=$TMP/net-$state-$link
            [ -x "$bin" ] || continue
            sysroot=()
            [ "$link" = dynamic ] && sysroot=(-L "$SYSROOT")
            name=net-$state-$link${suffix:-}
            cp "$TMP/net-native.out" "$TMP/$name.want"
            # shellcheck disable=SC2086 # opts: words on purpose
            loom_run net "$name" $opts "${sysroot[@]}" "$bin" || continue
            compare "net.c ($state, $link${suffix:+, ${suffix#-}}) against the host" "$name" 0
        done
    fi
else
    echo "NOTE: no host compiler for net.c: $(head -c 300 "$TMP/net-native.cc")"
fi

if [ "$not_run" -gt 0 ]; then
    checks=$((checks + 1))
    fail "$not_run runs not made: past the time budget of $BUDGET s (runs that hung: ${!HUNG[*]})"
fi
echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
