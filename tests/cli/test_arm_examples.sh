#!/bin/bash
# The bare-metal examples of examples/arm/, built with arm-none-eabi-gcc and
# run as firmware on yaml-platforms/arm-virt.yaml: each must end the run
# with status 0 (through the test-control device) on both JIT back ends,
# and print on the UART what the same program prints under qemu-system-arm
# -M virt, with -kernel for an ELF that runs from RAM and -bios for a raw
# flash image (QEMU's virt has no test-control device, so there the program
# stops at that write: its output is compared, not its end). A program whose
# comment names --semihosting runs with semihosting on in both (QEMU:
# -semihosting), and once more without it, which must stop at its first
# call.
# Skips (exit 0) without arm-none-eabi-gcc; the QEMU comparison is left out
# without qemu-system-arm.
# Usage: bash test_arm_examples.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_arm_examples.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_arm_examples.sh PATH_TO_loom SOURCE_DIR}
# Absolute: the runs happen in the scratch folder.
LOOM=$(cd "$(dirname "$LOOM")" && pwd)/$(basename "$LOOM")
SRC=$(cd "$SRC" && pwd)
CC=arm-none-eabi-gcc
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "SKIP: $CC is not installed"
    exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-examples.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
BOARD=$SRC/yaml-platforms/arm-virt.yaml

failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

for src in "$SRC"/examples/arm/*.c; do
    name=$(basename "$src" .c)
    elf=$TMP/$name.elf
    # The build lines each example's own comment gives: an ELF that runs
    # from RAM, or a raw image that runs from flash (QEMU: -bios).
    base=0x40000000 fw=$elf qemu_opt=-kernel
    if grep -q "objcopy -O binary" "$src"; then
        base=0 fw=$TMP/$name.bin qemu_opt=-bios
    fi
    # A program for the two-CPU board runs there (QEMU: -smp 2).
    board=$BOARD smp=()
    if grep -q "arm-virt-2cpu.yaml" "$src"; then
        board=$SRC/yaml-platforms/arm-virt-2cpu.yaml smp=(-smp 2)
    fi
    # A program that makes semihosting calls runs with them on (both).
    semi=() qsemi=()
    if grep -q -- "--semihosting" "$src"; then
        semi=(--semihosting) qsemi=(-semihosting)
    fi
    if ! "$CC" -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib -fno-toplevel-reorder -Wl,-Ttext=$base \
        -Wl,-e,start -o "$elf" "$src" 2>"$TMP/$name.cc"; then
        fail "$name: cannot build: $(head -c 400 "$TMP/$name.cc")"
        continue
    fi
    if [ "$fw" != "$elf" ] && ! arm-none-eabi-objcopy -O binary "$elf" "$fw" 2>"$TMP/$name.cc"; then
        fail "$name: objcopy: $(head -c 400 "$TMP/$name.cc")"
        continue
    fi
    # Run in the scratch folder: files a program makes through semihosting
    # land there.
    for jit in native interp; do
        checks=$((checks + 1))
        (cd "$TMP" && timeout 60 "$LOOM" run "$board" "${semi[@]}" --firmware "$fw" --jit=$jit --max-time 10s \
            >"$TMP/$name.$jit.out" 2>"$TMP/$name.$jit.err" </dev/null)
        status=$?
        [ "$status" -eq 0 ] || fail "$name ($jit): exit status $status: $(head -c 400 "$TMP/$name.$jit.err")"
    done
    if [ ${#semi[@]} -gt 0 ]; then
        # Semihosting is off unless asked for: the call is then an SVC the
        # firmware's own vector takes (a branch to itself there, as on QEMU
        # without -semihosting), so the run goes on to its time limit, and
        # -d int shows the exception.
        checks=$((checks + 1))
        (cd "$TMP" && timeout 60 "$LOOM" run "$board" --firmware "$fw" --max-time 10ms -d int \
            >"$TMP/$name.off.out" 2>"$TMP/$name.off.err" </dev/null)
        status=$?
        [ "$status" -eq 124 ] && grep -q "supervisor call at" "$TMP/$name.off.err" ||
            fail "$name without --semihosting: status $status, expected 124: $(head -c 300 "$TMP/$name.off.err")"
    fi
    checks=$((checks + 1))
    cmp -s "$TMP/$name.native.out" "$TMP/$name.interp.out" ||
        fail "$name: the back ends print differently: $(diff "$TMP/$name.native.out" "$TMP/$name.interp.out" | head -5)"
    if command -v qemu-system-arm >/dev/null 2>&1; then
        checks=$((checks + 1))
        # QEMU prints the semihosting console on its standard error (Loom on
        # its output); its own messages go there too, for the others.
        if [ ${#qsemi[@]} -gt 0 ]; then
            (cd "$TMP" && timeout 5 qemu-system-arm -M virt -cpu cortex-a15 "${smp[@]}" -nographic -nodefaults \
                -serial stdio "${qsemi[@]}" $qemu_opt "$fw" >"$TMP/$name.qemu.out" 2>&1 </dev/null)
        else
            (cd "$TMP" && timeout 5 qemu-system-arm -M virt -cpu cortex-a15 "${smp[@]}" -nographic -nodefaults \
                -serial stdio $qemu_opt "$fw" >"$TMP/$name.qemu.out" 2>/dev/null </dev/null)
        fi
        if [ ! -s "$TMP/$name.qemu.out" ]; then
            fail "$name: qemu-system-arm printed nothing"
        elif ! cmp -s "$TMP/$name.qemu.out" "$TMP/$name.native.out"; then
            fail "$name: output differs from qemu-system-arm's (< QEMU, > Loom):
$(diff "$TMP/$name.qemu.out" "$TMP/$name.native.out" | head -10)"
        fi
    fi
done

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
