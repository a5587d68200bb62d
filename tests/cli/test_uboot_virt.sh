#!/bin/bash
# Debian's U-Boot for QEMU's virt machine (package u-boot-qemu,
# qemu_arm/u-boot.bin) as the firmware of yaml-platforms/arm-virt.yaml and
# of the two-CPU board: it boots to its prompt, and commands typed into the
# UART answer with what the board is: `version` repeats the boot banner,
# `bdinfo` shows the RAM, `md 0x40000000` shows the device tree that
# `loom describe --dtb` writes (its magic and its size), `mw`/`md` round
# trip, `reset` boots U-Boot again (PSCI SYSTEM_RESET) and `poweroff` ends
# the run with status 0 (PSCI SYSTEM_OFF).
# Skips (exit 0) without the firmware or python3.
# Usage: bash test_uboot_virt.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_uboot_virt.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_uboot_virt.sh PATH_TO_loom SOURCE_DIR}
UBOOT=/usr/lib/u-boot/qemu_arm/u-boot.bin
if [ ! -r "$UBOOT" ]; then
    echo "SKIP: $UBOOT is missing (package u-boot-qemu)"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 is not installed"
    exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-uboot.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

failures=0
for board in arm-virt arm-virt-2cpu; do
    yaml=$SRC/yaml-platforms/$board.yaml
    if ! "$LOOM" describe "$yaml" --dtb "$TMP/$board.dtb" 2>"$TMP/$board.err"; then
        echo "FAIL: $board: loom describe --dtb: $(head -c 300 "$TMP/$board.err")"
        failures=$((failures + 1))
        continue
    fi
    python3 - "$LOOM" "$yaml" "$UBOOT" "$TMP/$board.dtb" "$board" <<'PY' || failures=$((failures + 1))
import os, re, select, subprocess, sys, time

loom, yaml, uboot, dtb, board = sys.argv[1:6]
# The sanitizer build runs several times slower.
scale = 10 if os.environ.get("LOOM_SANITIZED") else 1
proc = subprocess.Popen([loom, "run", yaml, "--firmware", uboot], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
out = b""
failed = 0
checks = 0


def read_until(pattern, timeout):
    """Read the console until the regular expression matches what came
    since the last command; return the match or None."""
    global out
    end = time.time() + timeout * scale
    while True:
        m = re.search(pattern, out.decode(errors="replace"))
        if m:
            return m
        left = end - time.time()
        if left <= 0:
            return None
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if not ready:
            return None
        data = os.read(proc.stdout.fileno(), 65536)
        if not data:
            return None
        out += data


def check(what, ok, detail=""):
    global failed, checks
    checks += 1
    if not ok:
        failed += 1
        tail = out.decode(errors="replace")[-600:]
        print(f"FAIL: {board}: {what} {detail}\n--- console (end) ---\n{tail}\n---")


def command(line, timeout=30):
    """Type a command; return what it printed before the next prompt."""
    global out
    out = b""
    proc.stdin.write(line.encode() + b"\n")
    proc.stdin.flush()
    m = read_until(r"\n=> $", timeout)
    return None if m is None else out.decode(errors="replace")


banner = read_until(r"(U-Boot 20\d\d\.\d\d[^\r\n]*)\r?\n", 60)
check("boot banner", banner is not None)
check("prompt after boot", read_until(r"\n=> $", 120) is not None)
check("RAM size at boot", "DRAM:  128 MiB" in out.decode(errors="replace"))
if banner:
    text = command("version")
    check("version", text is not None and banner.group(1) in text, "repeats the banner")
    text = command("bdinfo") or ""
    check("bdinfo RAM start", re.search(r"start\s*=\s*0x40000000", text) is not None)
    check("bdinfo RAM size", re.search(r"size\s*=\s*0x08000000", text) is not None)
    # The device tree at the start of RAM: magic 0xd00dfeed and total size
    # (big-endian, so md's little-endian words show them byte-swapped).
    size = os.path.getsize(dtb)
    swapped = int.from_bytes(size.to_bytes(4, "big"), "little")
    text = command("md 0x40000000 10") or ""
    m = re.search(r"40000000: ([0-9a-f]{8}) ([0-9a-f]{8})", text)
    check("device tree magic", m is not None and m.group(1) == "edfe0dd0", text[:200])
    check("device tree size", m is not None and int(m.group(2), 16) == swapped,
          f"(want {size} bytes: {swapped:08x})")
    command("mw.l 0x40800000 0x12345678 4")
    text = command("md.l 0x40800000 4") or ""
    check("mw/md round trip", "40800000: 12345678 12345678 12345678 12345678" in text, text[:200])
    out = b""
    proc.stdin.write(b"reset\n")
    proc.stdin.flush()
    check("reset", read_until(r"resetting \.\.\.", 30) is not None)
    again = read_until(r"\n(U-Boot 20\d\d\.\d\d[^\r\n]*)\r?\n", 60)
    check("banner after reset", again is not None and again.group(1) == banner.group(1))
    check("prompt after reset", read_until(r"\n=> $", 120) is not None)
    out = b""
    proc.stdin.write(b"poweroff\n")
    proc.stdin.flush()
    try:
        status = proc.wait(timeout=30 * scale)
    except subprocess.TimeoutExpired:
        status = None
    check("poweroff ends the run with status 0", status == 0, f"(status {status})")
if proc.poll() is None:
    proc.kill()
    proc.wait()
print(f"{board}: {checks} checks, {failed} failures")
sys.exit(1 if failed else 0)
PY
done
exit $((failures > 0))
