#!/usr/bin/env python3
"""Compare two state logs of a gen.py program (one from Loom, one from the
reference) and say where they first differ: which random instruction (its
index and text from the listing gen.py wrote), and which registers, flags,
FPSCR bits or data bytes, with both values.

Usage: compare.py LISTING TEST_OUTPUT REFERENCE_OUTPUT [--names loom,qemu]
Exit status 0 when the logs are identical, 1 otherwise.

The log, as the program writes it (lowest address first), is the records
newest first: each item's record is 320 bytes (d16-d31, d0-d15, APSR,
FPSCR, r0-r12, r14), and below it, after an item that stores, the 1024-byte
data buffer copied in 128-byte blocks, last block lowest. Then the data
buffer once more, as it is at the end.
"""
import argparse
import struct
import sys

RECORD = 320
DATA_SIZE = 1024
CORE = ['r%d' % i for i in range(13)] + ['lr']


def parse_listing(path):
    items = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip('\n').split('\t')
            items.append({'index': int(parts[0]), 'mem': parts[1] == 'M', 'group': parts[2], 'text': parts[3],
                          'setup': parts[4] if len(parts) > 4 else ''})
    return items


def split(log, items):
    """The records in program order: (state bytes, data bytes or None), as many
    as are complete, and the final data buffer (or None)."""
    if len(log) < DATA_SIZE:
        return [], None
    body, final = log[:-DATA_SIZE], log[-DATA_SIZE:]
    out, end = [], len(body)
    for it in items:
        if end < RECORD:
            break
        state = body[end - RECORD:end]
        end -= RECORD
        mem = None
        if it['mem']:
            if end < DATA_SIZE:
                break
            blocks = body[end - DATA_SIZE:end]
            end -= DATA_SIZE
            mem = b''.join(blocks[(7 - k) * 128:(8 - k) * 128] for k in range(8))
        out.append((state, mem))
    return out, final


def decode(state):
    """name -> value of one record."""
    v = {}
    d = struct.unpack('<32Q', state[:256])
    for i in range(16):
        v['d%d' % (16 + i)] = d[i]
        v['d%d' % i] = d[16 + i]
    v['apsr'], v['fpscr'] = struct.unpack('<2I', state[256:264])
    for name, x in zip(CORE, struct.unpack('<14I', state[264:320])):
        v[name] = x
    return v


def apsr_text(x):
    flags = ''.join(f if x >> b & 1 else f.lower() for f, b in zip('NZCVQ', (31, 30, 29, 28, 27)))
    return '%s GE=%s low=0x%03x' % (flags, format(x >> 16 & 15, '04b'), x & 0x3ff)


def fpscr_text(x):
    flags = ''.join(f if x >> b & 1 else f.lower() for f, b in zip('NZCV', (31, 30, 29, 28)))
    parts = [flags, 'RMode=%d' % (x >> 22 & 3)]
    parts += [n for n, b in (('QC', 27), ('AHP', 26), ('DN', 25), ('FZ', 24)) if x >> b & 1]
    if x >> 16 & 7 or x >> 20 & 3:
        parts.append('Len=%d Stride=%d' % (x >> 16 & 7, x >> 20 & 3))
    exc = [n for n, b in (('IDC', 7), ('IXC', 4), ('UFC', 3), ('OFC', 2), ('DZC', 1), ('IOC', 0)) if x >> b & 1]
    parts.append('exc=' + (','.join(exc) or '-'))
    if x & 0x9f00:
        parts.append('enables=0x%x' % (x & 0x9f00))
    return ' '.join(parts)


def double_text(x):
    d = struct.unpack('<d', struct.pack('<Q', x))[0]
    lo = struct.unpack('<f', struct.pack('<I', x & 0xffffffff))[0]
    hi = struct.unpack('<f', struct.pack('<I', x >> 32))[0]
    return 'f64 %r, f32 hi %r lo %r' % (d, hi, lo)


def describe(name, x):
    if name == 'apsr':
        return '0x%08x (%s)' % (x, apsr_text(x))
    if name == 'fpscr':
        return '0x%08x (%s)' % (x, fpscr_text(x))
    if name.startswith('d'):
        return '0x%016x (%s)' % (x, double_text(x))
    return '0x%08x' % x


def report_state(a, b, names):
    va, vb = decode(a), decode(b)
    lines = []
    for k in CORE + ['apsr', 'fpscr'] + ['d%d' % i for i in range(32)]:
        if va[k] != vb[k]:
            extra = ''
            if k in ('apsr', 'fpscr'):
                extra = '  (bits differing: 0x%08x)' % (va[k] ^ vb[k])
            lines.append('    %-5s %s %s\n          %s %s%s' % (k, names[0], describe(k, va[k]), names[1],
                                                                 describe(k, vb[k]), extra))
    return lines


def report_mem(a, b, names, limit=8):
    lines = []
    for off in range(0, DATA_SIZE, 4):
        if a[off:off + 4] != b[off:off + 4]:
            lines.append('    databuf+%-4d %s 0x%08x  %s 0x%08x' % (off, names[0], struct.unpack('<I', a[off:off + 4])[0],
                                                                     names[1], struct.unpack('<I', b[off:off + 4])[0]))
            if len(lines) >= limit:
                lines.append('    ...')
                break
    return lines


def item_text(items, i):
    it = items[i]
    s = 'item %d [%s]: %s' % (it['index'], it['group'], it['text'])
    if it['setup']:
        s += '\n    set-up: %s' % it['setup']
    return s


def compare(items, la, lb, names):
    """The report of the first difference, or None when identical."""
    if la == lb:
        return None
    ra, fa = split(la, items)
    rb, fb = split(lb, items)
    for i in range(min(len(ra), len(rb))):
        (sa, ma), (sb, mb) = ra[i], rb[i]
        if sa == sb and ma == mb:
            continue
        out = ['first difference after %s' % item_text(items, i)]
        if i > 0:
            out.append('  (the item before: %s)' % item_text(items, i - 1).split('\n')[0])
        out += report_state(sa, sb, names)
        if ma != mb:
            out.append('  data buffer after the item:')
            out += report_mem(ma, mb, names)
        return '\n'.join(out)
    if len(ra) != len(rb) or len(ra) != len(items):
        short = names[0] if len(ra) < len(rb) else names[1]
        n = min(len(ra), len(rb))
        where = item_text(items, n) if n < len(items) else 'the end'
        return ('the logs agree for %d records, then %s\'s log ends (%d and %d bytes): it stopped at or before %s'
                % (n, short, len(la), len(lb), where))
    if fa != fb:
        return 'every record agrees, the final data buffer does not:\n' + '\n'.join(report_mem(fa, fb, names))
    return 'the logs differ in length or framing (%d and %d bytes)' % (len(la), len(lb))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('listing')
    ap.add_argument('test')
    ap.add_argument('reference')
    ap.add_argument('--names', default='loom,qemu', help='what to call the two sides')
    a = ap.parse_args()
    with open(a.test, 'rb') as f:
        la = f.read()
    with open(a.reference, 'rb') as f:
        lb = f.read()
    if la == lb:
        return 0
    msg = compare(parse_listing(a.listing), la, lb, a.names.split(','))
    if msg is None:
        return 0
    print(msg)
    return 1


if __name__ == '__main__':
    sys.exit(main())
