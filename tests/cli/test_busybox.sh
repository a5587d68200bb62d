#!/bin/bash
# Debian's busybox-static for armhf under `loom user arm`, compared with the
# reference, qemu-arm -cpu cortex-a15: the same stdout and exit status.
# The package is fetched at test time (apt-get download busybox-static:armhf)
# into a cache beside the loom binary and unpacked with dpkg-deb; it is never
# part of the repository. Skips (exit 0) when it cannot be fetched (apt
# without the armhf architecture, which scripts/setup adds, or no network),
# without qemu-arm, or while `loom user` cannot run ARM programs (69).
# Two parts:
#  - tests/guest/arm/busybox.sh run by busybox's own sh: loops, pipes,
#    functions, expansions, awk, sort, md5sum/sha*sum, find, cut, dd,
#    hexdump, cp/mv/rm, stat... Only the applets the shell runs without
#    exec'ing busybox again: qemu-arm cannot exec an ARM program on a
#    machine without binfmt_misc.
#  - the applets that need that exec, each as its own `busybox APPLET ...`:
#    cat, wc, sed, tr, uniq, od, cmp, diff, gzip/gunzip, tar (create, list,
#    extract, gzip-compressed list), grep.
# Usage: bash test_busybox.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_busybox.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_busybox.sh PATH_TO_loom SOURCE_DIR}
SCRIPT=$SRC/tests/guest/arm/busybox.sh
for tool in qemu-arm apt-get dpkg-deb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 0
    fi
done

# ---- The package ----------------------------------------------------------------

CACHE=$(cd "$(dirname "$LOOM")" && pwd)/test-cache/busybox-armhf
mkdir -p "$CACHE" || exit 1
BB=$CACHE/unpacked/bin/busybox
if [ ! -x "$BB" ]; then
    rm -rf "$CACHE/unpacked" "$CACHE"/*.deb
    if ! (cd "$CACHE" && apt-get download -q busybox-static:armhf) >"$CACHE/download.log" 2>&1; then
        echo "SKIP: cannot fetch busybox-static:armhf (apt needs the armhf architecture, which scripts/setup adds, and the network):"
        grep -E '^(E|W):' "$CACHE/download.log" | head -3
        exit 0
    fi
    deb=$(ls "$CACHE"/busybox-static_*_armhf.deb 2>/dev/null | head -1)
    if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$CACHE/unpacked"; then
        echo "FAIL: cannot unpack the busybox-static package ($deb)"
        exit 1
    fi
fi
if [ "$(head -c 4 "$BB" | od -An -c | tr -d ' ')" != '177ELF' ]; then
    echo "FAIL: $BB is not an ELF file"
    exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-busybox.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
ulimit -c 0
failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# run_in DIR INPUT NAME CMD...: CMD in DIR, stdin from INPUT, stdout and stderr in
# $TMP/NAME.out and .err, the status in $status.
status=0
LIMIT=30
[ -n "${LOOM_SANITIZED:-}" ] && LIMIT=150 # the sanitizer build is several times slower
run_in() {
    local dir=$1 input=$2 name=$3
    shift 3
    (cd "$dir" && timeout -k 2 "$LIMIT" "$@" <"$input" >"$TMP/$name.out" 2>"$TMP/$name.err") 2>/dev/null
    status=$?
}

# same NAME INPUT ARGS...: `busybox ARGS` in $TMP/files under qemu-arm and
# Loom, stdin from INPUT ($TMP/files/INPUT, or /dev/null for -).
same() {
    local name=$1 input=$2
    shift 2
    [ "$input" = - ] && input=/dev/null || input=$TMP/files/$input
    run_in "$TMP/files" "$input" "$name.qemu" qemu-arm -cpu cortex-a15 "$BB" "$@"
    local want=$status
    run_in "$TMP/files" "$input" "$name" "$LOOM" user arm "$BB" "$@"
    checks=$((checks + 1))
    if [ "$status" -ne "$want" ]; then
        fail "busybox $*: exit status $status, qemu-arm gives $want; stderr: $(head -c 300 "$TMP/$name.err")"
    elif ! cmp -s "$TMP/$name.qemu.out" "$TMP/$name.out"; then
        fail "busybox $*: output differs from qemu-arm (< qemu-arm, > Loom):
$(diff -a "$TMP/$name.qemu.out" "$TMP/$name.out" | head -20)"
    fi
}

run_in "$TMP" /dev/null probe "$LOOM" user arm "$BB" true
if [ "$status" -eq 69 ]; then
    echo "SKIP: the guest runs: $(cat "$TMP/probe.err")"
    exit 0
fi

# ---- The input: text and a small tree with fixed times ------------------------------

mkdir -p "$TMP/files/tree/a/b" "$TMP/files/tree/c"
cd "$TMP/files" || exit 1
parity=(even odd odd)
for ((i = 0; i < 2000; i++)); do
    printf '%05d line %d %s\n' $(((i * 7919) % 2000)) "$i" "${parity[i % 3]}"
done >data.txt
seq 1 50 >tree/a/b/numbers
head -n 100 data.txt >tree/c/head.txt
echo one >tree/a/one
ln -s ../c/head.txt tree/a/link
: >tree/empty
find tree -exec touch -h -d @1000000000 {} +
printf 'second\nfirst\n' >other.txt
tar --sort=name --owner=0 --group=0 --numeric-owner -cf tree.tar tree
gzip -9 -n -c tree.tar >tree.tgz
gzip -9 -n -c data.txt >data.gz

# ---- Applets the script's shell cannot run here: one command each ----------------------

same version - --help
same echo - echo "hello from busybox"
same cat data.txt cat
same cat-file - cat other.txt data.txt
same wc - wc data.txt other.txt
same wc-l data.txt wc -l
same sed - sed -e 's/line/LINE/' -e '/even/d' data.txt
same sed-n - sed -n '$p;100,103p;/^00007 /p' data.txt
same sed-groups - sed -E 's/^([0-9]+) line ([0-9]+)/\2=\1/' data.txt
same tr data.txt tr 'a-z' 'A-Z'
same tr-delete data.txt tr -d '0-9\n'
same uniq - uniq -c other.txt
same od - od -A x -t x1z -N 64 data.txt
same cmp-same - cmp data.txt data.txt
same cmp-diff - cmp data.txt other.txt
same diff - diff other.txt tree/c/head.txt
same grep - grep -n 'line 1[0-9] ' data.txt
same grep-count - grep -c even data.txt
same md5sum - md5sum data.txt other.txt
same sha256sum - sha256sum data.txt
same gzip - gzip -c -9 data.txt
same gzip-stdin data.txt gzip -c
same gunzip - gunzip -c data.gz
same zcat - zcat tree.tgz
same tar-list - tar tf tree.tar
same tar-verbose - tar tvf tree.tar
same tar-gz-list - tar tzf tree.tgz
same tar-create - tar cf - tree

# The round trips: what busybox wrote is what there was.
checks=$((checks + 1))
if ! "$LOOM" user arm "$BB" gzip -c data.txt | gunzip -c | cmp -s - data.txt; then
    fail "busybox gzip under Loom: gunzip does not give back data.txt"
fi
for who in qemu loom; do
    checks=$((checks + 1))
    mkdir -p "x-$who"
    if [ "$who" = qemu ]; then
        run_in "$TMP/files" /dev/null "tar-x-$who" qemu-arm -cpu cortex-a15 "$BB" tar xf tree.tar -C "x-$who"
    else
        run_in "$TMP/files" /dev/null "tar-x-$who" "$LOOM" user arm "$BB" tar xf tree.tar -C "x-$who"
    fi
    if [ "$status" -ne 0 ]; then
        fail "busybox tar xf under $who: exit status $status: $(head -c 300 "$TMP/tar-x-$who.err")"
    elif ! diff -r --no-dereference tree "x-$who/tree" >"$TMP/tar-x-$who.diff" 2>&1; then
        fail "busybox tar xf under $who: the extracted tree differs: $(head -10 "$TMP/tar-x-$who.diff")"
    fi
done

# ---- The script: busybox's sh, its builtins and in-process applets ----------------------

mkdir -p "$TMP/sh-qemu" "$TMP/sh-loom"
run_in "$TMP/sh-qemu" /dev/null sh.qemu qemu-arm -cpu cortex-a15 "$BB" sh "$SCRIPT"
sh_qemu=$status
run_in "$TMP/sh-loom" /dev/null sh.loom "$LOOM" user arm "$BB" sh "$SCRIPT"
sh_loom=$status
checks=$((checks + 1))
if [ "$sh_loom" -ne "$sh_qemu" ]; then
    fail "busybox sh busybox.sh: exit status $sh_loom, qemu-arm gives $sh_qemu; stderr: $(head -c 300 "$TMP/sh.loom.err")
$(diff -a "$TMP/sh.qemu.out" "$TMP/sh.loom.out" | head -20)"
elif ! cmp -s "$TMP/sh.qemu.out" "$TMP/sh.loom.out"; then
    fail "busybox sh busybox.sh: output differs from qemu-arm (< qemu-arm, > Loom):
$(diff -a "$TMP/sh.qemu.out" "$TMP/sh.loom.out" | head -30)"
fi
checks=$((checks + 1))
grep -q '^done$' "$TMP/sh.qemu.out" || fail "busybox sh busybox.sh does not finish under qemu-arm either: $(head -c 300 "$TMP/sh.qemu.err")"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
