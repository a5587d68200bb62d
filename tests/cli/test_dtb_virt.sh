#!/bin/bash
# The device tree of yaml-platforms/arm-virt.yaml (`loom describe --dtb`)
# against the one QEMU's virt machine writes (qemu-system-arm -machine
# virt,dumpdtb=...), read with fdtget: every device both have, at the same
# node path, must agree on what firmware and kernels read from it.
# Differences that are choices, not mistakes, are left out: QEMU maps the
# GIC's regions as 64 KiB windows (the GIC-400's are 4 and 8 KiB) and puts
# both flash banks in one node (Loom has a node per bank); phandle values.
# Skips (exit 0) without qemu-system-arm or fdtget.
# Usage: bash test_dtb_virt.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_dtb_virt.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_dtb_virt.sh PATH_TO_loom SOURCE_DIR}
for tool in qemu-system-arm fdtget dtc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 0
    fi
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-dtb.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

if ! qemu-system-arm -machine "virt,dumpdtb=$TMP/qemu.dtb" -nodefaults -nographic >"$TMP/qemu.log" 2>&1; then
    echo "FAIL: qemu-system-arm cannot write its tree: $(tail -c 300 "$TMP/qemu.log")"
    exit 1
fi
if ! "$LOOM" describe "$SRC/yaml-platforms/arm-virt.yaml" --dtb "$TMP/loom.dtb" 2>"$TMP/loom.err"; then
    echo "FAIL: loom describe --dtb: $(head -c 300 "$TMP/loom.err")"
    exit 1
fi
# A well-formed tree, by the device tree compiler's own checks.
checks=$((checks + 1))
dtc -I dtb -O dts -o /dev/null "$TMP/loom.dtb" 2>"$TMP/dtc.err"
[ -s "$TMP/dtc.err" ] && fail "dtc finds problems: $(head -c 400 "$TMP/dtc.err")"

# same NODE PROP [TYPE]: the property reads the same in both trees.
same() {
    local node=$1 prop=$2 type=${3:-}
    local opts=()
    [ -n "$type" ] && opts=(-t "$type")
    checks=$((checks + 1))
    local want got
    want=$(fdtget "${opts[@]}" "$TMP/qemu.dtb" "$node" "$prop" 2>&1) || {
        fail "QEMU's tree has no $node $prop: $want"
        return
    }
    got=$(fdtget "${opts[@]}" "$TMP/loom.dtb" "$node" "$prop" 2>&1)
    [ "$want" = "$got" ] || fail "$node $prop: QEMU has '$want', Loom '$got'"
}

for n in /pl011@9000000 /pl031@9010000 /pl061@9030000; do
    same "$n" compatible
    same "$n" reg x
    same "$n" interrupts x
    same "$n" clock-names
done
same /pl061@9030000 '#gpio-cells' x
same /memory@40000000 reg x
same /memory@40000000 device_type
same /intc@8000000 compatible
same /intc@8000000 '#interrupt-cells' x
same /flash@0 compatible
same /flash@0 bank-width x
same /chosen stdout-path
same / '#address-cells' x
same / '#size-cells' x
# The CPU, the firmware interface that starts CPUs, the CPU's timer.
same /cpus '#address-cells' x
same /cpus '#size-cells' x
same /cpus/cpu@0 compatible
same /cpus/cpu@0 device_type
same /cpus/cpu@0 reg x
for p in compatible method cpu_suspend cpu_off cpu_on migrate; do
    same /psci $p
done
same /timer compatible
same /timer interrupts x

# The two-CPU board against QEMU's virt with -smp 2: both CPUs started
# through PSCI, the timer's PPIs going to both.
if ! qemu-system-arm -machine "virt,dumpdtb=$TMP/qemu.dtb" -smp 2 -nodefaults -nographic >"$TMP/qemu.log" 2>&1 ||
   ! "$LOOM" describe "$SRC/yaml-platforms/arm-virt-2cpu.yaml" --dtb "$TMP/loom.dtb" 2>"$TMP/loom.err"; then
    fail "two CPUs: cannot write the trees: $(tail -c 300 "$TMP/qemu.log") $(head -c 300 "$TMP/loom.err")"
else
    for c in 0 1; do
        same /cpus/cpu@$c compatible
        same /cpus/cpu@$c reg x
        same /cpus/cpu@$c enable-method
    done
    same /timer interrupts x
    same /intc@8000000 compatible
fi

# The clocks: QEMU's and Loom's both name a 24 MHz fixed clock.
for t in qemu loom; do
    checks=$((checks + 1))
    ph=$(fdtget -t x "$TMP/$t.dtb" /pl011@9000000 clocks | cut -d' ' -f1)
    clk=$(fdtget -t x "$TMP/$t.dtb" /apb-pclk phandle 2>/dev/null)
    freq=$(fdtget "$TMP/$t.dtb" /apb-pclk clock-frequency 2>/dev/null)
    [ "$ph" = "$clk" ] && [ "$freq" = 24000000 ] || fail "$t: the UART's clock ($ph) is not the 24 MHz apb-pclk ($clk, $freq)"
done

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
