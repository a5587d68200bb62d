#!/bin/bash
# `loom user arm`: Linux programs built by the distribution's cross compiler
# (arm-linux-gnueabihf-gcc), run by Loom and by the reference, qemu-arm
# -cpu cortex-a15; their output and exit statuses must be the same. Also the
# command's own errors (64 usage, 66 a program it cannot load) and guests
# that die of a signal (128 + signal).
# Skips (exit 0) without the cross compiler or qemu-arm, and the runs that
# need the ARM translator while `loom user` says it is not there (status 69).
# The C programs (glibc is Thumb-2 code) are hard checks.
# Usage: bash test_loom_user.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_loom_user.sh PATH_TO_loom SOURCE_DIR}
CC=arm-linux-gnueabihf-gcc
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "SKIP: $CC is not installed"
    exit 0
fi
if ! command -v qemu-arm >/dev/null 2>&1; then
    echo "SKIP: qemu-arm is not installed"
    exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-user.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
LIMIT=(timeout 60)

failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# run NAME CMD...: stdout in $TMP/NAME.out, stderr in $TMP/NAME.err, $status.
status=0
run() {
    local name=$1
    shift
    "${LIMIT[@]}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
    status=$?
}
expect_status() {
    checks=$((checks + 1))
    [ "$status" -eq "$2" ] || fail "$1: exit status $status, expected $2; stderr: $(head -c 400 "$TMP/$1.err")"
}
expect_err() {
    checks=$((checks + 1))
    grep -q -- "$2" "$TMP/$1.err" || fail "$1: stderr lacks '$2': $(head -c 400 "$TMP/$1.err")"
}
# same NAME ARGS...: Loom (with LOOM_OPTS) and qemu-arm give the same stdout
# and status.
LOOM_OPTS=()
same() {
    local name=$1
    shift
    run "$name.qemu" qemu-arm -cpu cortex-a15 "$@"
    local want=$status
    run "$name" "$LOOM" user arm "${LOOM_OPTS[@]}" "$@"
    checks=$((checks + 1))
    if [ "$status" -ne "$want" ]; then
        fail "$name: exit status $status, qemu-arm gives $want; stderr: $(head -c 400 "$TMP/$name.err")"
    elif ! cmp -s "$TMP/$name.out" "$TMP/$name.qemu.out"; then
        fail "$name: output differs from qemu-arm: $(diff "$TMP/$name.qemu.out" "$TMP/$name.out" | head -10)"
    fi
}

# tests/guest/arm/NAME.c built in ARM state (more compiler arguments after
# the name), against qemu-arm on both back ends.
same_guest_arm() {
    local name=$1
    shift
    [ -n "${SRC:-}" ] && [ -e "$SRC/tests/guest/arm/$name.c" ] || return 0
    if "$CC" -static -O2 -marm -o "$TMP/guest-$name" "$SRC/tests/guest/arm/$name.c" "$@"; then
        same "guest-$name" "$TMP/guest-$name"
        LOOM_OPTS=(--jit=interp)
        same "guest-$name-interp" "$TMP/guest-$name"
        LOOM_OPTS=()
    else
        fail "cannot build tests/guest/arm/$name.c"
    fi
}

# ---- The command's own errors (no translator needed) ---------------------------

run noargs "$LOOM" user
expect_status noargs 64
run noprog "$LOOM" user arm
expect_status noprog 64
run badarch "$LOOM" user sparc64 /bin/true
expect_status badarch 64
expect_err badarch "sparc64"
run badopt "$LOOM" user arm --frobnicate /bin/true
expect_status badopt 64
run missing "$LOOM" user arm "$TMP/does-not-exist"
expect_status missing 66
expect_err missing "does-not-exist"
run host64 "$LOOM" user arm /bin/sh
expect_status host64 66
expect_err host64 "64-bit"
run help "$LOOM" --help
expect_status help 0
checks=$((checks + 1))
grep -q "user ARCH PROGRAM" "$TMP/help.out" || fail "loom --help does not describe the user command"

cat >"$TMP/hello.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    printf("Hello, world! argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *v = getenv("LOOM_USER_TEST");
    printf("LOOM_USER_TEST=%s HOME=%s\n", v ? v : "(unset)", getenv("HOME") ? "set" : "(unset)");
    return argc > 1 ? atoi(argv[1]) : 0;
}
EOF
"$CC" -O2 -marm -o "$TMP/hello-dyn" "$TMP/hello.c" || fail "cannot build the dynamic hello"
run dyn "$LOOM" user arm "$TMP/hello-dyn"
expect_status dyn 66
expect_err dyn "-L"

# ---- Programs without a C library ------------------------------------------------

# exit(40 + argc) after writing a line: A32 only, the smallest translator test.
cat >"$TMP/exit.S" <<'EOF'
    .syntax unified
    .arm
    .global _start
_start:
    ldr r4, [sp]
    mov r0, #1
    adr r1, msg
    mov r2, #6
    mov r7, #4
    svc 0
    add r0, r4, #40
    mov r7, #248
    svc 0
msg: .ascii "hello\n"
EOF
cat >"$TMP/undef.S" <<'EOF'
    .arm
    .global _start
_start:
    .word 0xe7f000f0
EOF
cat >"$TMP/segv.S" <<'EOF'
    .arm
    .global _start
_start:
    mov r0, #0
    ldr r1, [r0, #16]
    mov r7, #1
    svc 0
EOF
# System calls from A32 code without a C library, output compared with qemu-arm.
cat >"$TMP/sys.c" <<'EOF'
/* System calls from an A32 program without a C library. */
typedef unsigned int u32;
static long sc(long n, long a, long b, long c, long d, long e, long f)
{
    register long r0 __asm__("r0") = a, r1 __asm__("r1") = b, r2 __asm__("r2") = c, r3 __asm__("r3") = d,
                  r4 __asm__("r4") = e, r5 __asm__("r5") = f, r7 __asm__("r7") = n;
    __asm__ volatile("svc 0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7) : "memory");
    return r0;
}
static u32 len(const char *s) { u32 n = 0; while (s[n]) n++; return n; }
static void out(const char *s) { sc(4, 1, (long)s, len(s), 0, 0, 0); }
static void hex(const char *what, u32 v)
{
    char b[16] = "0x00000000\n";
    for (int i = 0; i < 8; i++) b[9 - i] = "0123456789abcdef"[(v >> (4 * i)) & 15];
    out(what);
    out(b);
}
void __attribute__((noreturn)) cmain(u32 *sp)
{
    u32 argc = sp[0];
    char **argv = (char **)(sp + 1);
    hex("argc ", argc);
    for (u32 i = 0; i < argc; i++) { out(argv[i]); out("\n"); }
    char un[390];
    hex("uname ", sc(122, (long)un, 0, 0, 0, 0, 0));
    out(un + 4 * 65); out("\n");
    u32 b0 = sc(45, 0, 0, 0, 0, 0, 0);
    u32 b1 = sc(45, b0 + 100000, 0, 0, 0, 0, 0);
    hex("brk grew ", b1 - b0);
    ((char *)b0)[99999] = 1;
    char *m = (char *)sc(192, 0, 8192, 3, 0x22, -1, 0);
    m[8191] = 'x';
    hex("mmap ok ", m[8191] == 'x');
    hex("munmap ", sc(91, (long)m, 8192, 0, 0, 0, 0));
    int fd = sc(322, -100, (long)argv[1], 0, 0, 0, 0);
    char buf[64];
    long n = sc(3, fd, (long)buf, 63, 0, 0, 0);
    buf[n > 0 ? n : 0] = 0;
    out("file: "); out(buf);
    unsigned long long pos = 0;
    hex("llseek ", sc(140, fd, 0, 2, (long)&pos, 0, 0));
    hex("pos ", (u32)pos);
    hex("pread ", sc(180, fd, (long)buf, 3, 0, 4, 0));
    buf[3] = 0; out(buf); out("\n");
    char st[104];
    hex("fstat64 ", sc(197, fd, (long)st, 0, 0, 0, 0));
    hex("size ", *(u32 *)(st + 48));
    hex("close ", sc(6, fd, 0, 0, 0, 0, 0));
    hex("bad open ", sc(5, (long)"/nonexistent", 0, 0, 0, 0, 0));
    hex("set_tls ", sc(0xf0005, 0x1234, 0, 0, 0, 0, 0));
    u32 tls;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(tls));
    hex("tls ", tls);
    sc(248, 7, 0, 0, 0, 0, 0);
    for (;;) {}
}
__asm__(".global _start\n_start: mov r0, sp\n bl cmain\n");
EOF
for p in exit undef segv; do
    "$CC" -static -nostdlib -marm -o "$TMP/$p" "$TMP/$p.S" || fail "cannot build $p"
done

run probe "$LOOM" user arm "$TMP/exit"
if [ "$status" -eq 69 ]; then
    echo "SKIP: the guest runs: $(cat "$TMP/probe.err")"
    echo "$checks checks, $failures failures"
    [ "$failures" -eq 0 ]
    exit
fi

same exit "$TMP/exit" a b c
run strace "$LOOM" user arm -strace "$TMP/exit"
expect_status strace 41
expect_err strace "write(1,0x[0-9a-f]*,6) = 6"
expect_err strace "exit_group(41)"
run undef "$LOOM" user arm "$TMP/undef"
expect_status undef 132
expect_err undef "illegal instruction at 0x"
run segv "$LOOM" user arm "$TMP/segv"
expect_status segv 139
expect_err segv "segmentation fault at 0x00000010"
run interp "$LOOM" user arm --jit=interp "$TMP/exit" x
expect_status interp 42
if "$CC" -static -nostdlib -ffreestanding -fno-stack-protector -marm -O1 -o "$TMP/sys" "$TMP/sys.c"; then
    echo "the quick brown fox" >"$TMP/fox.txt"
    same sys "$TMP/sys" "$TMP/fox.txt"
    LOOM_OPTS=(--jit=interp)
    same sys-interp "$TMP/sys" "$TMP/fox.txt"
    LOOM_OPTS=()
else
    fail "cannot build sys.c"
fi

# ---- C programs (glibc, static and dynamic) -----------------------------------------

# Debian's C library is Thumb-2 code whichever state the program itself is
# built for: these need both translators.
"$CC" -static -O2 -marm -o "$TMP/hello" "$TMP/hello.c" || fail "cannot build the static hello"
"$CC" -static -O2 -o "$TMP/hello-thumb" "$TMP/hello.c" || fail "cannot build the static Thumb hello"
SRC=${2:-}
if [ -n "$SRC" ] && [ -e "$SRC/tests/guest/arm/hello.c" ]; then
    # printf formats, string functions, a loop; exit status 3.
    for state in thumb arm; do
        flags=()
        [ "$state" = arm ] && flags=(-marm)
        if "$CC" -static -O2 "${flags[@]}" -o "$TMP/guest-hello-$state" "$SRC/tests/guest/arm/hello.c"; then
            same "guest-hello-$state" "$TMP/guest-hello-$state"
            LOOM_OPTS=(--jit=interp)
            same "guest-hello-$state-interp" "$TMP/guest-hello-$state"
            LOOM_OPTS=()
        else
            fail "cannot build tests/guest/arm/hello.c ($state)"
        fi
    done
fi
same hello-thumb "$TMP/hello-thumb" 4 thumb
same hello "$TMP/hello"
same hello-args "$TMP/hello" 7 "two words" ''
same hello-env -E LOOM_USER_TEST=yes -U HOME "$TMP/hello" 3
run hello-strace "$LOOM" user arm -strace "$TMP/hello"
expect_status hello-strace 0
expect_err hello-strace "exit_group(0)"
if [ -e /usr/arm-linux-gnueabihf/lib/ld-linux-armhf.so.3 ]; then
    same hello-dyn -L /usr/arm-linux-gnueabihf "$TMP/hello-dyn" 5
fi

# VFP: float and double arithmetic, square roots, conversions, rounding
# modes and exception flags (tests/guest/arm/float.c), ARM-state code.
same_guest_arm float -lm
# Self-modifying code (tests/guest/arm/smc.c): word, byte, store-multiple
# and page-crossing stores into code that has run.
same_guest_arm smc

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
