#!/bin/bash
# Command-line tests of tools/loom.c: the commands, their output and their
# exit statuses (64 usage, 65 board error, 66 unreadable file, 124 limit,
# the guest's own status), and that no board file, however broken, makes
# `loom describe` die of a signal.
# Usage: bash test_loom_cli.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_loom_cli.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_loom_cli.sh PATH_TO_loom SOURCE_DIR}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# A hung loom must not hang the test: give each run a generous limit.
if command -v timeout >/dev/null 2>&1; then
    LIMIT=(timeout 60)
else
    LIMIT=()
fi

failures=0
checks=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# run NAME ARGS...: run loom with ARGS; stdout in $TMP/NAME.out, stderr in
# $TMP/NAME.err, status in $status.
status=0
run() {
    local name=$1
    shift
    "${LIMIT[@]}" "$LOOM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
    status=$?
}

# expect_status NAME WANT: the last run ended with WANT.
expect_status() {
    checks=$((checks + 1))
    if [ "$status" -ne "$2" ]; then
        fail "$1: exit status $status, expected $2"
        sed 's/^/    | /' "$TMP/$1.err" | head -20
    fi
}

# expect_text NAME STREAM TEXT: $TMP/NAME.STREAM holds TEXT (fixed string).
expect_text() {
    checks=$((checks + 1))
    if ! grep -qF -- "$3" "$TMP/$1.$2"; then
        fail "$1: std$2 lacks '$3'"
        sed 's/^/    | /' "$TMP/$1.$2" | head -20
    fi
}

# expect_line NAME STREAM REGEX: a line of $TMP/NAME.STREAM matches REGEX.
expect_line() {
    checks=$((checks + 1))
    if ! grep -qE -- "$3" "$TMP/$1.$2"; then
        fail "$1: no line of std$2 matches /$3/"
        sed 's/^/    | /' "$TMP/$1.$2" | head -20
    fi
}

# ---- Help, version and models ------------------------------------------------

run version --version
expect_status version 0
expect_line version out '^loom [0-9]+\.[0-9]+\.[0-9]+$'

run help --help
expect_status help 0
expect_line help out '^  run BOARD\.yaml'
expect_line help out '^  describe BOARD\.yaml'
expect_line help out '^  models'

run noargs
expect_status noargs 64
expect_text noargs err "usage: loom COMMAND"

run models models
expect_status models 0
expect_line models out '^pl011 +uart'
# pl011's own block lists its chardev property.
checks=$((checks + 1))
if ! awk '/^[^ ]/ { in_pl011 = ($1 == "pl011") } in_pl011 && $1 == "chardev" { found = 1 } END { exit !found }' \
        "$TMP/models.out"; then
    fail "models: pl011 is listed without its chardev property"
fi
expect_line models out '^ram '
expect_line models out '^script-master '

run models_one models pl011
expect_status models_one 0
expect_line models_one out '^pl011 '
checks=$((checks + 1))
if grep -qE '^ram ' "$TMP/models_one.out"; then
    fail "models_one: 'loom models pl011' lists other types too"
fi

run models_nosuch models nosuch
expect_status models_nosuch 64
expect_text models_nosuch err "no model type 'nosuch'"

# ---- Command-line errors -------------------------------------------------------------

run badopt run --bogus "$SRC/examples/boards/devices-demo.yaml"
expect_status badopt 64
expect_text badopt err "unknown option '--bogus'"

run badcmd frobnicate
expect_status badcmd 64
expect_text badcmd err "unknown command 'frobnicate'"

run noboard run
expect_status noboard 64

run badtime run --max-time forever "$SRC/examples/boards/devices-demo.yaml"
expect_status badtime 64
expect_text badtime err "--max-time"

# ---- Describe ---------------------------------------------------------------------------

run virt describe "$SRC/yaml-platforms/arm-virt.yaml"
expect_status virt 0
expect_line virt out '^  0x09000000-0x09000fff +4 KiB +uart0 +pl011'
expect_line virt out '^  0x40000000-0x47ffffff +128 MiB +ram +ram'
expect_line virt out '^Board arm-virt$'

run virt_p describe "$SRC/yaml-platforms/arm-virt.yaml" -p ram.size=1MiB
expect_status virt_p 0
expect_line virt_p out '^  0x40000000-0x400fffff +1 MiB +ram +ram'

run virt_badp describe "$SRC/yaml-platforms/arm-virt.yaml" -p ram.size=lots
expect_status virt_badp 65
expect_text virt_badp err "error: -p ram.size=lots: 'lots' is not a size"

# ---- Run ----------------------------------------------------------------------------------

run demo run "$SRC/examples/boards/devices-demo.yaml" -p "uart0.chardev=file:$TMP/uart.txt"
expect_status demo 0
checks=$((checks + 1))
if ! grep -qF "Hello from Loom" "$TMP/uart.txt" 2>/dev/null; then
    fail "demo: the UART output file lacks 'Hello from Loom'"
fi

cat >"$TMP/slow.yaml" <<'EOF'
devices:
  test:
    type: test-ctl
    at: 0x090c0000
  master:
    type: script-master
    commands: 1ms write32 0x090c0000 0x5555
EOF
run slow run --max-time 10us "$TMP/slow.yaml"
expect_status slow 124
expect_text slow err "time limit reached at 10 us"

run slow_q run -q --max-time 10us "$TMP/slow.yaml"
expect_status slow_q 124
checks=$((checks + 1))
[ -s "$TMP/slow_q.err" ] && fail "slow_q: -q still prints: $(cat "$TMP/slow_q.err")"

cat >"$TMP/check.yaml" <<'EOF'
devices:
  test:
    type: test-ctl
    at: 0x090c0000
  master:
    type: script-master
    commands: 1us read32 0x090c0008 expect 0x12345678; 2us exit 0
EOF
run check run "$TMP/check.yaml"
expect_status check 1
expect_text check err "read 0x4c4d5443, expected 0x12345678"

# FINISHER: (code << 16) | 0x3333 fails with status code.
cat >"$TMP/status.yaml" <<'EOF'
devices:
  test:
    type: test-ctl
    at: 0x090c0000
  master:
    type: script-master
    commands: 1us write32 0x090c0000 0x33333
EOF
run status3 run "$TMP/status.yaml"
expect_status status3 3

# ---- Board and file errors ------------------------------------------------------------

cat >"$TMP/badtype.yaml" <<'EOF'
devices:
  uart0:
    type: pl012
    at: 0x09000000
EOF
run badtype run "$TMP/badtype.yaml"
expect_status badtype 65
expect_text badtype err "$TMP/badtype.yaml:3:11: error: unknown device type 'pl012'"

# A YAML syntax error is a board error too (65), not an unreadable file.
printf 'devices:\n  ram: [1, 2\n' >"$TMP/syntax.yaml"
run syntax describe "$TMP/syntax.yaml"
expect_status syntax 65
expect_text syntax err "$TMP/syntax.yaml:3:1: error: YAML syntax"

run missing run "$TMP/nosuch.yaml"
expect_status missing 66
expect_text missing err "cannot open board file '$TMP/nosuch.yaml'"

# ---- Broken input never kills loom --------------------------------------------------------
# Deterministic: awk's rand() from a fixed seed (LC_ALL=C so %c writes one
# byte), and prefixes of fixed boards. Every file is wrong, so each must end
# in 65 (board error) or 66 (unreadable), never in a signal (>= 128) or an
# ASan report (1).

fuzz_total=0
fuzz_bad=0
fuzz() {
    local file=$1
    "${LIMIT[@]}" "$LOOM" describe "$file" >/dev/null 2>"$TMP/fuzz.err" </dev/null
    local st=$?
    fuzz_total=$((fuzz_total + 1))
    if [ "$st" -ne 65 ] && [ "$st" -ne 66 ]; then
        fuzz_bad=$((fuzz_bad + 1))
        fail "fuzz: $(basename "$file") ended with status $st; the file was:"
        od -c "$file" | head -10 | sed 's/^/    | /'
        head -5 "$TMP/fuzz.err" | sed 's/^/    | /'
    fi
}

# Random bytes (never NUL), up to 300 of them.
for seed in $(seq 1 16); do
    LC_ALL=C awk -v seed="$seed" 'BEGIN {
        srand(seed); n = int(rand() * 300)
        for (i = 0; i < n; i++) printf "%c", 1 + int(rand() * 255)
    }' >"$TMP/bytes-$seed.yaml"
    fuzz "$TMP/bytes-$seed.yaml"
done

# YAML-shaped noise: board words, indicators and indentation in random order.
# No complete device can come out of it (no size for ram, no at for others).
for seed in $(seq 1 24); do
    LC_ALL=C awk -v seed="$seed" -v q="'" 'BEGIN {
        srand(seed)
        n = split("devices: |board: x|include: |quantum: 10us|quantum: -1|firmware: |address: 0x|type: ram|" \
                  "type: pl011|type: container|type: alias|type: ???|on: io|on: ram|priority: 99999|" \
                  "at: 0x1000|at: |irq: |irq[1]: |irq-timer: |- a.irq[0]|- |ram:|uart0:|a:|? |: |[|]|{|}|," \
                  "|&anchor |*anchor|!!binary |\"|" q "|#|%YAML 1.1|---|...|\t|\\|>|-1|0x|:|  |    |      ", tok, "|")
        m = 10 + int(rand() * 60)
        for (i = 0; i < m; i++) {
            printf "%s", tok[1 + int(rand() * n)]
            r = rand()
            if (r < 0.35) {
                printf "\n"
                for (k = int(rand() * 4); k > 0; k--) printf "  "
            }
            else if (r < 0.6) printf " "
        }
        printf "\n"
    }' >"$TMP/noise-$seed.yaml"
    fuzz "$TMP/noise-$seed.yaml"
done

# Well-formed YAML with the wrong things in it: devices whose keys and
# values are drawn at random. No device can be right: each type here needs a
# size or a file, and neither key is in the pool.
for seed in $(seq 1 24); do
    LC_ALL=C awk -v seed="$seed" 'BEGIN {
        srand(seed)
        nd = split("ram uart0 timer box win gic memory io a.b", dev, " ")
        nk = split("type at on priority irq irq[0] irq[9] irq-timer irq-timer[1] chardev clock target " \
                   "offset script commands space exit-at-end regs", key, " ")
        nv = split("ram rom container alias pl011x 0 0x1000 0xffffffffffffffff 0xf000 0x10000 64KiB 10us " \
                   "-5 5000 io memory box ram uart0.irq uart0 box.irq[1] timer.irq-timer[3] gic.x[ " \
                   "[] {} true maybe 1MHz fast null ~ nowhere.yaml \"\"", val, " ")
        if (rand() < 0.3) print "quantum: " val[1 + int(rand() * nv)]
        if (rand() < 0.2) print "include: " val[1 + int(rand() * nv)]
        print "devices:"
        n = 1 + int(rand() * 5)
        for (d = 0; d < n; d++) {
            print "  " dev[1 + int(rand() * nd)] ":"
            m = int(rand() * 7)
            for (i = 0; i < m; i++) {
                k = key[1 + int(rand() * nk)]
                r = rand()
                if (r < 0.15) {
                    print "    " k ":"
                    for (j = int(rand() * 3); j >= 0; j--) print "      - " val[1 + int(rand() * nv)]
                } else if (r < 0.25) {
                    print "    " k ":"
                    print "      " key[1 + int(rand() * nk)] ": " val[1 + int(rand() * nv)]
                } else {
                    print "    " k ": " val[1 + int(rand() * nv)]
                }
            }
        }
    }' >"$TMP/shape-$seed.yaml"
    fuzz "$TMP/shape-$seed.yaml"
done

# Every prefix of this board is wrong: uart0 and the timer name 'last',
# which only its final line makes a device; the complete board is right.
cat >"$TMP/whole.yaml" <<'EOF'
# prefixes of this board
board: prefixes
quantum: 10us
devices:
  uart0:
    irq: last.irq[0]
    type: pl011
    at: 0x09000000
    chardev: null
  timer:
    type: sp804
    at: 0x09110000
    clock: 1MHz
    irq-timer:
      - last.irq[1]
      - last.irq[2]
  mem:
    type: ram
    at: 0x40000000
    size: 64KiB
  last:
    type: script-master
EOF
run whole describe "$TMP/whole.yaml"
expect_status whole 0
len=$(wc -c <"$TMP/whole.yaml")
for ((cut = 0; cut < len - 1; cut += 9)); do
    head -c "$cut" "$TMP/whole.yaml" >"$TMP/prefix-$cut.yaml"
    fuzz "$TMP/prefix-$cut.yaml"
done

# Every proper prefix of a flow-style board lacks its closing brace.
flow='{board: flow, devices: {uart0: {type: pl011, at: 0x09000000, irq: "last.irq[0]"}, last: {type: script-master}}}'
printf '%s\n' "$flow" >"$TMP/flow.yaml"
run flow describe "$TMP/flow.yaml"
expect_status flow 0
for ((cut = 1; cut < ${#flow}; cut += 5)); do
    printf '%s' "${flow:0:cut}" >"$TMP/flow-$cut.yaml"
    fuzz "$TMP/flow-$cut.yaml"
done

checks=$((checks + fuzz_total))
echo "fuzz: $fuzz_total broken boards, $fuzz_bad not refused cleanly"

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed"
    exit 1
fi
echo "all $checks checks passed"
exit 0
