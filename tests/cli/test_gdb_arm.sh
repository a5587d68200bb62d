#!/bin/bash
# The GDB stub with the real gdb-multiarch, in batch mode, on the ARM
# bare-metal examples: on arm-virt.yaml, timer.elf is started paused (-S),
# GDB breaks at main_ by name, continues, reads registers and memory (the
# vector table, against the ELF's own bytes), steps one instruction, watches
# the tick counter the interrupt handler writes, and lets the program run to
# its end (exit status 0 on both sides); on arm-virt-2cpu.yaml, smp.elf shows
# two threads and stops in CPU 1's code in thread 2. Garbage on the socket
# gets no answer that breaks the stub, and the machine runs on.
# Skips (exit 0) without gdb-multiarch or arm-none-eabi-gcc.
# Usage: bash test_gdb_arm.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_gdb_arm.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_gdb_arm.sh PATH_TO_loom SOURCE_DIR}
for tool in gdb-multiarch arm-none-eabi-gcc python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 0
    fi
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-gdb.XXXXXX") || exit 1
LOOM_PID=
trap '[ -n "$LOOM_PID" ] && kill "$LOOM_PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
scale=1
[ -n "${LOOM_SANITIZED:-}" ] && scale=10

failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
expect() { # expect FILE PATTERN WHAT
    checks=$((checks + 1))
    grep -Eq -- "$2" "$1" || fail "$3: no /$2/ in GDB's output:
$(tail -n 25 "$1")"
}

# finish NAME: wait for loom to end by itself (kill it if it does not);
# its exit status in CASE_STATUS.
finish() {
    local i
    for i in $(seq $((100 * scale))); do
        kill -0 "$LOOM_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$LOOM_PID" 2>/dev/null; then
        fail "$1: loom still runs after the debugger is done"
        kill "$LOOM_PID"
    fi
    wait "$LOOM_PID"
    CASE_STATUS=$?
    LOOM_PID=
}

# The raw clients below share this: connect to the port in argv[1].
cat >"$TMP/client.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port), 1)
        break
    except OSError:
        time.sleep(0.1)
s.settimeout(20)
def packet(body):
    return b"$" + body + b"#%02x" % (sum(body) & 0xff)
PY

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for ex in timer smp; do
    arm-none-eabi-gcc -g -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib -fno-toplevel-reorder \
        -Wl,-Ttext=0x40000000 -Wl,-e,start -o "$TMP/$ex.elf" "$SRC/examples/arm/$ex.c" || {
        fail "$ex: cannot build"
        continue
    }
done

# run_case NAME BOARD ELF GDB-COMMANDS...: the board paused under the stub,
# GDB driving it; leaves GDB's output in $TMP/NAME.gdb and loom's status.
run_case() {
    local name=$1 board=$2 elf=$3
    shift 3
    local port
    port=$(free_port)
    "$LOOM" run "$SRC/yaml-platforms/$board" --firmware "$elf" --gdb "tcp::$port" -S \
        >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
    LOOM_PID=$!
    local args=(-batch -nx -ex "set confirm off" -ex "set pagination off" -ex "file $elf"
                -ex "target remote 127.0.0.1:$port")
    for c in "$@"; do args+=(-ex "$c"); done
    # The stub says when it listens.
    for _ in $(seq $((50 * scale))); do
        grep -q "waiting for GDB" "$TMP/$name.err" && break
        sleep 0.1
    done
    timeout $((60 * scale)) gdb-multiarch "${args[@]}" >"$TMP/$name.gdb" 2>&1
    finish "$name"
}

run_case timer arm-virt.yaml "$TMP/timer.elf" \
    "break main_" "continue" "info registers pc" "print/x \$cpsr & 0x1f" "x/2xw 0x40000000" \
    "stepi" "print \$pc != (unsigned)main_" "watch ticks" "continue" "print ticks" "delete" \
    "set var \$d5 = 2.5" "print \$d5" "print/x \$fpscr" "continue"
expect "$TMP/timer.gdb" "Breakpoint 1, (0x[0-9a-f]+ in )?main_" "break at main_"
expect "$TMP/timer.gdb" '^pc +0x[0-9a-f]+ +0x[0-9a-f]+ <main_' "pc at main_"
expect "$TMP/timer.gdb" '^\$1 = 0x13$' "Supervisor mode in cpsr"
want=$(arm-none-eabi-objdump -s -j .text --start-address=0x40000000 --stop-address=0x40000008 "$TMP/timer.elf" |
       awk '/^ 40000000/ {print $2, $3}')
got=$(grep -E '^0x40000000 <start>:' "$TMP/timer.gdb" | awk '{print $3, $4}' |
      python3 -c 'import sys
w = sys.stdin.read().split()
print(" ".join(int(x, 16).to_bytes(4, "little").hex() for x in w))')
checks=$((checks + 1))
[ -n "$want" ] && [ "$want" = "$got" ] || fail "memory at 0x40000000: GDB read '$got', the ELF has '$want'"
expect "$TMP/timer.gdb" '^\$2 = 1$' "stepi moved the pc"
expect "$TMP/timer.gdb" "Hardware watchpoint 2: ticks" "watchpoint set"
expect "$TMP/timer.gdb" "Old value = 0" "watchpoint: old value"
expect "$TMP/timer.gdb" "New value = 1" "watchpoint: new value"
expect "$TMP/timer.gdb" '^\$4 = 2.5$' "a VFP register written and read back"
expect "$TMP/timer.gdb" '^\$5 = 0x[0-9a-f]+$' "FPSCR"
expect "$TMP/timer.gdb" "exited normally|exited with code 0" "runs to its end"
checks=$((checks + 1))
[ "$CASE_STATUS" -eq 0 ] || fail "timer: loom's exit status $CASE_STATUS: $(tail -c 300 "$TMP/timer.err")"
grep -q "timer interrupts: 10" "$TMP/timer.out" || fail "timer: the program's output: $(head -c 300 "$TMP/timer.out")"

run_case smp arm-virt-2cpu.yaml "$TMP/smp.elf" \
    "info threads" "break secondary_main" "continue" "thread" "delete" "continue"
expect "$TMP/smp.gdb" 'Thread 2' "two threads"
expect "$TMP/smp.gdb" "Thread 2 .*hit Breakpoint 1, (0x[0-9a-f]+ in )?secondary_main|Breakpoint 1, .*secondary_main" \
    "break in CPU 1's code"
expect "$TMP/smp.gdb" 'Current thread is 2' "stopped in thread 2"
expect "$TMP/smp.gdb" "exited normally|exited with code 0" "runs to its end"
checks=$((checks + 1))
[ "$CASE_STATUS" -eq 0 ] || fail "smp: loom's exit status $CASE_STATUS: $(tail -c 300 "$TMP/smp.err")"

# Ctrl-C: a debugger that connects to a running machine stops it, lets it
# go, interrupts it (SIGINT's stop reply), and kills it: a clean end.
UBOOT=/usr/lib/u-boot/qemu_arm/u-boot.bin
if [ -r "$UBOOT" ]; then
    port=$(free_port)
    "$LOOM" run "$SRC/yaml-platforms/arm-virt.yaml" --firmware "$UBOOT" --gdb "tcp::$port" \
        >"$TMP/ctrlc.out" 2>"$TMP/ctrlc.err" </dev/null &
    LOOM_PID=$!
    PYTHONPATH=$TMP python3 - "$port" >"$TMP/ctrlc.py" 2>&1 <<'PY'
import time
from client import s, packet
def reply():
    data = b""
    while b"#" not in data.lstrip(b"+") or len(data.split(b"#", 1)[1]) < 2:
        data += s.recv(4096)
    return data.lstrip(b"+").split(b"#")[0][1:]
s.sendall(packet(b"QStartNoAckMode"))
assert reply() == b"OK"
s.sendall(packet(b"?"))
r = reply()
assert r.startswith(b"T05"), r
s.sendall(packet(b"c"))
time.sleep(0.5)
s.sendall(b"\x03")
r = reply()
print("after Ctrl-C:", r)
assert r.startswith(b"T02thread:"), r
s.sendall(packet(b"k"))
s.close()
PY
    ctrlc=$?
    checks=$((checks + 1))
    [ $ctrlc -eq 0 ] || fail "Ctrl-C: $(tail -5 "$TMP/ctrlc.py")"
    finish "after kill"
    checks=$((checks + 1))
    [ "$CASE_STATUS" -eq 0 ] || fail "kill: exit status $CASE_STATUS: $(tail -c 300 "$TMP/ctrlc.err")"
fi

# Garbage: bad checksums, unknown packets, a half packet, then a clean
# client: the stub answers what it can and the program still ends well.
port=$(free_port)
"$LOOM" run "$SRC/yaml-platforms/arm-virt.yaml" --firmware "$TMP/timer.elf" --gdb "tcp::$port" -S \
    >"$TMP/junk.out" 2>"$TMP/junk.err" </dev/null &
LOOM_PID=$!
PYTHONPATH=$TMP python3 - "$port" >"$TMP/junk.py" 2>&1 <<'PY'
import time
from client import s, packet
s.sendall(b"\x00\xff garbage $nonsense#zz $m40000000,4#00 ")      # bad checksums: '-'
s.sendall(packet(b"qNoSuchThing") + packet(b"Zz,,,") + packet(b"m4000000,zz") + packet(b"g"))
time.sleep(0.5)
data = s.recv(65536)
print("replies:", data[:200])
assert b"$E01#" in data or b"$#00" in data, "no error replies"
s.sendall(packet(b"c"))
s.close()   # the debugger leaves: the machine runs on
PY
garbage=$?
checks=$((checks + 1))
[ $garbage -eq 0 ] || fail "garbage on the socket: $(tail -5 "$TMP/junk.py")"
checks=$((checks + 1))
finish "after garbage and a detach"
[ "$CASE_STATUS" -eq 0 ] || fail "after garbage: exit status $CASE_STATUS: $(tail -c 300 "$TMP/junk.err")"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
