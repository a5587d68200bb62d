#!/bin/bash
# loom::Cpu inside a pure SystemC top level (examples/systemc/hello_top.cpp):
# examples/arm/hello.c, built with arm-none-eabi-gcc, is loaded through the
# CPU's TLM socket (transport_dbg) into a SystemC memory that grants DMI,
# runs, prints through Loom's PL011 as a SystemC target (loom::Model) and
# ends the simulation through a plain SystemC target with status 0. It must print what the same program prints on Loom's own
# virt board; with DMI, the memory sees no b_transport at all; the console
# sees the end-of-run write at the time of its instruction; and a second
# run gives the same output, counts and times.
# Skips (exit 0) without arm-none-eabi-gcc.
# Usage: bash test_cpu_hello.sh PATH_TO_loom_systemc_hello SOURCE_DIR
set -u
TOP=${1:?usage: test_cpu_hello.sh PATH_TO_loom_systemc_hello SOURCE_DIR}
SRC=${2:?usage: test_cpu_hello.sh PATH_TO_loom_systemc_hello SOURCE_DIR}
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    echo "SKIP: arm-none-eabi-gcc is not installed"
    exit 0
fi
export SC_COPYRIGHT_MESSAGE=DISABLE
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-sc.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib -fno-toplevel-reorder \
    -Wl,-Ttext=0x40000000 -Wl,-e,start -o "$TMP/hello.elf" "$SRC/examples/arm/hello.c" || {
    echo "FAIL: cannot build hello.elf"
    exit 1
}
timeout 120 "$TOP" "$TMP/hello.elf" >"$TMP/out" 2>"$TMP/err"
status=$?
[ "$status" -eq 0 ] || fail "exit status $status: $(tail -c 300 "$TMP/err")"
grep -v '^\[systemc\]' "$TMP/out" >"$TMP/prog"
# The reference: the same program on Loom's own board (loom is built next
# to the bridge's folder).
LOOM=$(cd "$(dirname "$TOP")/.." && pwd)/loom
if [ -x "$LOOM" ]; then
    "$LOOM" run "$SRC/yaml-platforms/arm-virt.yaml" --firmware "$TMP/hello.elf" >"$TMP/ref" 2>/dev/null
    cmp -s "$TMP/ref" "$TMP/prog" || fail "output differs from the virt board's:
$(diff "$TMP/ref" "$TMP/prog" | head -10)"
else
    fail "no loom next to $TOP"
fi
line=$(grep '^\[systemc\]' "$TMP/out")
mem=$(echo "$line" | sed -n 's/.*(memory: \([0-9]*\)).*/\1/p')
all=$(echo "$line" | sed -n 's/.*status [0-9-]*, \([0-9]*\) accesses.*/\1/p')
chars=$(wc -c <"$TMP/prog")
[ -n "$mem" ] && [ "$mem" -eq 0 ] || fail "memory took ${mem:-?} slow-path accesses: DMI was not used ($line)"
[ -n "$all" ] && [ "$all" -ge "$chars" ] || fail "fewer b_transport calls (${all:-?}) than characters ($chars)"
# Time: 10 ns an instruction at 100 MHz. The console saw the end-of-run
# write at its instruction's time; the CPU stopped at the end of that
# instruction's block (at most 64 instructions later).
insns=$(echo "$line" | sed -n 's/.* \([0-9]*\) instructions.*/\1/p')
ended=$(echo "$line" | sed -n 's/.*ended at \([0-9]*\) ns.*/\1/p')
[ -n "$insns" ] && [ -n "$ended" ] && [ "$insns" -gt 100 ] && [ $((ended % 10)) -eq 0 ] &&
    [ "$ended" -lt $((10 * insns)) ] && [ "$ended" -ge $((10 * (insns - 64))) ] ||
    fail "the end was seen at ${ended:-?} ns after ${insns:-?} instructions (want 10 ns each): $line"
# The same run again: the same output, counts and times.
timeout 120 "$TOP" "$TMP/hello.elf" >"$TMP/out2" 2>/dev/null
cmp -s "$TMP/out" "$TMP/out2" || fail "a second run differs: $(diff "$TMP/out" "$TMP/out2" | head -5)"
echo "$line"
[ "$failures" -eq 0 ]
