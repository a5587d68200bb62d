#!/bin/bash
# QMP: the same commands sent to qemu-system-arm -M virt --preconfig -qmp
# and to loom run yaml-platforms/arm-virt.yaml --preconfig --qmp get replies
# of the same shape (keys and JSON types at every level, status names,
# error classes, the events between them). Then a client written from
# QEMU's protocol description alone drives Loom from --preconfig (a
# property set before the board exists) through running, stop, memory,
# stepping and time to quit, and garbage (bad JSON, binary bytes, unknown
# commands, wrong arguments) gets errors while the monitor goes on serving.
# Loom runs Debian's U-Boot for QEMU's virt (it waits at its prompt).
# Skips (exit 0) without python3, qemu-system-arm or the firmware.
# Usage: bash test_qmp.sh PATH_TO_loom SOURCE_DIR
set -u

LOOM=${1:?usage: test_qmp.sh PATH_TO_loom SOURCE_DIR}
SRC=${2:?usage: test_qmp.sh PATH_TO_loom SOURCE_DIR}
UBOOT=/usr/lib/u-boot/qemu_arm/u-boot.bin
for tool in python3 qemu-system-arm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 0
    fi
done
if [ ! -r "$UBOOT" ]; then
    echo "SKIP: $UBOOT is missing (package u-boot-qemu)"
    exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/loom-qmp.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

python3 - "$LOOM" "$SRC/yaml-platforms/arm-virt.yaml" "$UBOOT" "$TMP" <<'PY'
import json, os, socket, subprocess, sys, time

loom, board, uboot, tmp = sys.argv[1:5]
scale = 10 if os.environ.get("LOOM_SANITIZED") else 1
failures = 0
checks = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def check(ok, msg):
    global checks
    checks += 1
    if not ok:
        fail(msg)


class Client:
    """A QMP client from the protocol's description: one JSON object per
    message; events may come before a command's reply."""

    def __init__(self, path):
        for _ in range(100 * scale):
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                time.sleep(0.05)
        else:
            raise RuntimeError("cannot connect to " + path)
        self.s.settimeout(30 * scale)
        self.buf = b""
        self.events = []
        self.greeting = self.read()

    def read(self):
        dec = json.JSONDecoder()
        while True:
            text = self.buf.decode(errors="replace").lstrip()
            if text:
                try:
                    obj, end = dec.raw_decode(text)
                    self.buf = text[end:].encode()
                    return obj
                except ValueError:
                    pass
            data = self.s.recv(65536)
            if not data:
                raise EOFError("the monitor closed the connection")
            self.buf += data

    def send_raw(self, data):
        self.s.sendall(data)
        while True:
            m = self.read()
            if "event" in m:
                self.events.append(m)
                continue
            return m

    def cmd(self, name, args=None, id=None):
        m = {"execute": name}
        if args is not None:
            m["arguments"] = args
        if id is not None:
            m["id"] = id
        return self.send_raw(json.dumps(m).encode() + b"\n")

    def take_events(self):
        e = [x["event"] for x in self.events]
        self.events = []
        return e


def shape(v):
    """Keys and JSON types, recursively; lists by their first element (an
    empty list is a list of anything: Loom offers no QMP capabilities, QEMU
    offers out-of-band execution)."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0])] if v else "list"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "null"


def start_loom(sock, extra):
    return subprocess.Popen([loom, "run", board, "--firmware", uboot, "--qmp", f"unix:{sock},server"] + extra,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(sock + ".err", "w"))


# ---- 1. The same conversation with QEMU and with Loom ----------------------
SEQUENCE = [
    ("query-status", None, None),            # before negotiation: an error
    ("qmp_capabilities", None, 7),
    ("query-status", None, None),
    ("no-such-command", None, None),
    ("stop", None, None),                    # no machine yet
    ("query-status", {"foo": 1}, None),      # unexpected argument
    (b'{"execute": oops}\n', None, None),    # not JSON
    (b"[1, 2]\n", None, None),               # not an object
    ("x-exit-preconfig", None, None),
    ("query-status", None, None),
    ("stop", None, None),
    ("query-status", None, None),
    ("cont", None, None),
    ("query-status", None, None),
    ("query-cpus-fast", None, None),
    ("human-monitor-command", {"command-line": "info registers"}, None),
    ("system_reset", None, None),
    ("qmp_capabilities", None, None),        # negotiated already
    ("quit", None, None),
]

qsock, lsock = os.path.join(tmp, "qemu.sock"), os.path.join(tmp, "loom.sock")
qemu = subprocess.Popen(["qemu-system-arm", "-M", "virt", "-nographic", "-nodefaults", "-nic", "none", "--preconfig",
                         "-qmp", f"unix:{qsock},server=on,wait=off"], stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
lm = start_loom(lsock, ["--preconfig"])
try:
    cq, cl = Client(qsock), Client(lsock)
    gq, gl = shape(cq.greeting), shape(cl.greeting)
    gq["QMP"]["capabilities"] = gl["QMP"]["capabilities"] = "list"
    check(gq == gl, f"greeting: QEMU {cq.greeting} Loom {cl.greeting}")
    for name, args, id in SEQUENCE:
        if isinstance(name, bytes):
            rq, rl = cq.send_raw(name), cl.send_raw(name)
            what = name.decode().strip()
        else:
            rq, rl = cq.cmd(name, args, id), cl.cmd(name, args, id)
            what = name
        check(shape(rq) == shape(rl),
              f"{what}: replies differ in shape:\n  QEMU {json.dumps(rq)[:300]}\n  Loom {json.dumps(rl)[:300]}")
        if "error" in rq or "error" in rl:
            check(rq.get("error", {}).get("class") == rl.get("error", {}).get("class"),
                  f"{what}: error class: QEMU {rq} Loom {rl}")
        if isinstance(rq.get("return"), dict) and "status" in rq["return"]:
            check(rq["return"]["status"] == rl.get("return", {}).get("status"),
                  f"{what}: status: QEMU {rq['return']['status']} Loom {rl.get('return')}")
        if "id" in rq or "id" in rl:
            check(rq.get("id") == rl.get("id"), f"{what}: id: QEMU {rq.get('id')} Loom {rl.get('id')}")
        if name == "quit":
            time.sleep(0.3)
            for c in (cq, cl):
                try:
                    c.s.settimeout(2)
                    while True:
                        m = c.read()
                        if "event" in m:
                            c.events.append(m)
                except Exception:
                    pass
        eq, el = cq.take_events(), cl.take_events()
        check(eq == el, f"{what}: events: QEMU {eq} Loom {el}")
    check(qemu.wait(10) == 0, "QEMU did not end after quit")
    check(lm.wait(30 * scale) == 0, "loom did not end with status 0 after quit")
except Exception as e:
    fail(f"conversation: {type(e).__name__}: {e}")
finally:
    for p in (qemu, lm):
        if p.poll() is None:
            p.kill()
            p.wait()

# ---- 2. A client through the whole life of a Loom machine -------------------
sock = os.path.join(tmp, "drive.sock")
lm = start_loom(sock, ["--preconfig"])
try:
    c = Client(sock)
    check("QMP" in c.greeting and "capabilities" in c.greeting["QMP"], f"greeting {c.greeting}")
    check("return" in c.cmd("qmp_capabilities"), "negotiation")
    r = c.cmd("query-status")["return"]
    check(r["status"] == "prelaunch" and r["running"] is False, f"preconfig status {r}")
    r = c.cmd("loom-query-instances")
    check(r.get("error", {}).get("class") == "GenericError", f"instances before the machine: {r}")
    check(c.cmd("loom-set-property", {"instance": "ram", "property": "size", "value": "64MiB"}) == {"return": {}},
          "a property set before the machine exists")
    names = [x["name"] for x in c.cmd("query-commands")["return"]]
    check({"qmp_capabilities", "query-status", "x-exit-preconfig", "stop", "cont", "quit"} <= set(names),
          f"query-commands: {names}")
    check(c.cmd("x-exit-preconfig") == {"return": {}}, "x-exit-preconfig")
    check(c.cmd("loom-get-property", {"instance": "ram", "property": "size"}).get("return", {}).get("value")
          in ("64MiB", "67108864"), "the property set in preconfig")
    insts = {x["name"]: x for x in c.cmd("loom-query-instances")["return"]}
    check(insts.get("uart0", {}).get("type") == "pl011", f"instances: {list(insts)}")
    time.sleep(0.3)
    check(c.cmd("stop") == {"return": {}}, "stop")
    check(c.cmd("query-status")["return"]["status"] == "paused", "paused after stop")
    # The device tree at the start of RAM, through the physical address space.
    r = c.cmd("loom-read-memory", {"address": 0x40000000, "size": 4})
    check(r.get("return", {}).get("data") == "d00dfeed", f"read memory: {r}")
    check(c.cmd("loom-write-memory", {"address": 0x40800000, "data": "0badcafe"}) == {"return": {}}, "write memory")
    check(c.cmd("loom-read-memory", {"address": 0x40800000, "size": 4}).get("return", {}).get("data") == "0badcafe",
          "memory write read back")
    t0 = c.cmd("loom-query-time")["return"]["picoseconds"]
    r = c.cmd("loom-step", {"count": 10})
    check(r.get("return", {}).get("executed") == 10, f"step 10: {r}")
    r = c.cmd("loom-query-time")["return"]["picoseconds"]
    check(r == t0, f"time stands still while paused: {t0} then {r}")
    out = os.path.join(tmp, "mem.bin")
    check(c.cmd("pmemsave", {"val": 0x40000000, "size": 8, "filename": out}) == {"return": {}}, "pmemsave")
    check(open(out, "rb").read(4) == bytes.fromhex("d00dfeed"), "pmemsave's file")
    hmp = c.cmd("human-monitor-command", {"command-line": "info mtree"}).get("return", "")
    check("uart0" in hmp and "0000000009000000" in hmp, f"info mtree: {hmp[:200]}")
    check(c.cmd("cont") == {"return": {}}, "cont")
    time.sleep(0.2)
    t1 = c.cmd("loom-query-time")["return"]["picoseconds"]
    check(t1 > t0, f"time goes on after cont: {t0} then {t1}")
    # ---- 3. Garbage ----
    r = c.send_raw(b"\x00\x01\xfe garbage\n")
    check(r.get("error", {}).get("class") == "GenericError", f"binary garbage: {r}")
    r = c.send_raw(b'{"execute": "query-status", "arguments": [1]}\n')
    check(r.get("error", {}).get("class") == "GenericError", f"arguments not an object: {r}")
    r = c.cmd("loom-read-memory", {"address": "x", "size": 4})
    check(r.get("error", {}).get("class") == "GenericError", f"wrong argument type: {r}")
    r = c.cmd("loom-get-property", {"instance": "nothing", "property": "size"})
    check(r.get("error", {}).get("class") == "GenericError", f"unknown instance: {r}")
    r = c.cmd("memsave", {"val": 0, "size": 4})
    check(r.get("error", {}).get("class") == "GenericError" and "filename" in r["error"]["desc"],
          f"missing argument: {r}")
    c2 = Client(sock)  # a second client at once
    check("return" in c2.cmd("qmp_capabilities") and c2.cmd("query-status")["return"]["status"] == "running",
          "a second client")
    check(c.cmd("quit") == {"return": {}}, "quit")
    events = [e["event"] for e in c.events]
    check("STOP" in events and "RESUME" in events and "SHUTDOWN" in events, f"events: {events}")
    check(lm.wait(30 * scale) == 0, "loom's status after quit")
except Exception as e:
    fail(f"driving Loom: {type(e).__name__}: {e}")
finally:
    if lm.poll() is None:
        lm.kill()
        lm.wait()
        print(open(sock + ".err").read()[-500:])

print(f"{checks} checks, {failures} failures")
sys.exit(1 if failures else 0)
PY
