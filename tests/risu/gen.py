#!/usr/bin/env python3
"""Random ARMv7-A instruction sequences for differential testing, in the
spirit of RISU: an assembly program for one instruction set (A32 or Thumb-2)
that runs COUNT random instructions, each after its own operand set-up and
each followed by a dump of the whole user-visible state (r0-r12, r14, APSR,
FPSCR, d0-d31, and after a store the data buffer) into a log, then writes
the log to stdout and exits 0. Run under two implementations, the outputs
must be identical (compare.py says where they are not).

Deterministic from --seed; standard library only. Registers: r0-r12 and r14
are random operands; sp (r13) is the log pointer (the log grows down in
.bss); pc is never a destination. Encodings the ARM ARM (DDI 0406C) calls
UNPREDICTABLE are never generated: every constraint below names its rule.

Usage: gen.py --mode arm|thumb --count N --seed S -o prog.S
writes prog.S and prog.txt, the listing compare.py reads: one line per
item (0 is the initial state), `index  M|-  group  instruction  set-up`.
"""
import argparse
import random
import struct

REGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]
LOW = [0, 1, 2, 3, 4, 5, 6, 7]
CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le']
INVERT = {c: CONDS[i ^ 1] for i, c in enumerate(CONDS)}

DATA_SIZE = 1024          # the data buffer every memory access stays in
RECORD = 320              # one state dump: d16-d31, d0-d15, APSR, FPSCR, r0-r12, r14
DUMP_MACRO = """\
@ The state after an item: 14 core registers, APSR and FPSCR, d0-d31; r0
@ and r1 come back from the record, nothing else changes.
.macro dump
    stmdb sp!, {r0-r12, r14}
    mrs r0, APSR
    vmrs r1, fpscr
    stmdb sp!, {r0, r1}
    vstmdb sp!, {d0-d15}
    vstmdb sp!, {d16-d31}
    ldr r0, [sp, #264]
    ldr r1, [sp, #268]
.endm
@ After an item that stores: the data buffer, copied through d0-d15, which
@ then come back from the record (as does r0).
.macro dumpmem
    movw r0, #:lower16:databuf
    movt r0, #:upper16:databuf
    .rept 8
    vldmia r0!, {d0-d15}
    vstmdb sp!, {d0-d15}
    .endr
    add r0, sp, #1152
    vldmia r0, {d0-d15}
    ldr r0, [sp, #1288]
.endm
"""

INTERESTING = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x7fff, 0x8000, 0xffff, 0x10000,
               0xffff8000, 0x00007fff, 0x7f, 0x80, 0xff, 0x100, 0x7fff7fff, 0x80008000, 0x80808080, 0x7f7f7f7f,
               0x00ff00ff, 0xff00ff00, 0x01010101, 31, 32, 33, 63, 64, 0xffffff80, 0x55555555, 0xaaaaaaaa]

# Floating-point operands: zeros, subnormals, the normal limits, infinities,
# quiet and signalling NaNs (with payloads), values that round half-way
# when added or converted, and the edges of the integer conversions.
F32 = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
       0x00800001, 0x00ffffff, 0x7f7fffff, 0xff7fffff, 0x7f000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
       0x7fc00001, 0x7fd55555, 0xffeeeeee, 0x7f800001, 0xff800001, 0x7fa00000, 0x7fbfffff, 0xffa12345,
       0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x3f800001, 0x3f7fffff,
       0x33800000, 0x34000000, 0x33800001, 0x4b000000, 0x4b000001, 0x4b7fffff, 0x4effffff, 0x4f000000, 0xcf000000,
       0xcf000001, 0x4f7fffff, 0x4f800000, 0x477fff00, 0x477fff80, 0x46fffe00, 0x47000000, 0xc7000000, 0xc7000080,
       0x0c000000, 0x1f800000, 0x5f800000, 0x40490fdb, 0x3eaaaaab, 0x00000003, 0x3f400000, 0x3fa00000,
       0x387fc000, 0x38800000, 0x33000000, 0x477fe000, 0x477ff000, 0x7c00, 0x7e00, 0x7d00, 0x03ff0400, 0xfc000001,
       0x7bff3c00, 0x7c01fe00]
F64 = [0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x8000000000000001, 0x000fffffffffffff,
       0x0008000000000000, 0x0010000000000000, 0x8010000000000000, 0x0010000000000001, 0x7fefffffffffffff,
       0xffefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0xfff8000000000000,
       0x7ff8000000000001, 0x7ffaaaaaaaaaaaaa, 0x7ff0000000000001, 0xfff0000000000001, 0x7ff4000000000000,
       0x7ff7ffffffffffff, 0x3ff0000000000000, 0xbff0000000000000, 0x3fe0000000000000, 0x3ff8000000000000,
       0x4004000000000000, 0xc004000000000000, 0x3ff0000000000001, 0x3fefffffffffffff, 0x3ca0000000000000,
       0x3cb0000000000000, 0x41dfffffffc00000, 0x41dfffffffe00000, 0x41e0000000000000, 0xc1e0000000000000,
       0xc1e0000000100000, 0xc1e0000000200000, 0x41efffffffe00000, 0x41effffffff00000, 0x41f0000000000000,
       0x47efffffe0000000, 0x47efffffefffffff, 0x47effffff0000000, 0x47f0000000000000, 0x3810000000000000,
       0x380fffffffffffff, 0x36a0000000000000, 0x3690000000000000, 0x3698000000000000, 0x3680000000000000,
       0x400921fb54442d18, 0x3fd5555555555555, 0x40efffe000000000, 0x40effff000000000, 0x40dfffc000000000,
       0xc0e0000000000000, 0xc0e0001000000000, 0x0000000000000003, 0x3e70000000000000, 0x3ff0000010000000,
       0x3ff0000020000000, 0x3ff0000030000000, 0x2000000000000000, 0x5ff0000000000000]


def ror(v, n):
    n &= 31
    return ((v >> n) | (v << (32 - n))) & 0xffffffff if n else v


def f32_bits(x):
    try:
        return struct.unpack('<I', struct.pack('<f', x))[0]
    except OverflowError:
        return 0x7f800000 if x > 0 else 0xff800000


def f64_bits(x):
    return struct.unpack('<Q', struct.pack('<d', x))[0]


class Insn:
    """One random instruction (or IT block) with its set-up."""

    def __init__(self, code, setup=(), writes=(), addr=(), mem=False, it_ok=True, asetup=(), text=None):
        self.code = list(code) if isinstance(code, (list, tuple)) else [code]
        self.text = text or ' ; '.join(self.code)  # for the listing
        self.setup = list(setup)    # operand values, FPSCR
        self.asetup = list(asetup)  # the address registers: runs last
        self.writes = set(writes)   # core registers it writes (write-back included)
        self.addr = set(addr)       # core registers whose set-up must hold: addresses, VMSR's value
        self.mem = mem              # it stores: the dump includes the data buffer
        self.it_ok = it_ok          # may stand in an IT block


class Gen:
    def __init__(self, seed, mode):
        self.rng = random.Random(seed)
        self.arm = mode == 'arm'
        self.fpk = {}               # floating-point constants: value -> label
        self.low = False            # Thumb: this item uses r0-r7 only (the 16-bit encodings)
        self.index = 0              # of the item being made
        self.labels = 0
        self.data = []              # .data lines after the constants

    # ---- Small pieces --------------------------------------------------------------

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(seq)

    def pool(self):
        return LOW if self.low else REGS

    def reg(self, exclude=()):
        return self.pick([r for r in self.pool() if r not in exclude])

    def regs(self, n, exclude=()):
        return self.rng.sample([r for r in self.pool() if r not in exclude], n)

    def label(self):
        self.labels += 1
        return 'L%d' % self.labels

    def value(self):
        if self.chance(0.3):
            return self.pick(INTERESTING)
        if self.chance(0.2):
            return self.rng.getrandbits(8) << self.rng.randrange(0, 25)
        return self.rng.getrandbits(32)

    @staticmethod
    def mov32(r, v):
        v &= 0xffffffff
        lines = ['movw r%d, #0x%x' % (r, v & 0xffff)]
        if v >> 16:
            lines.append('movt r%d, #0x%x' % (r, v >> 16))
        return lines

    @staticmethod
    def at(r, off):
        """r = databuf + off (off may be outside the buffer: only the addresses
        the instruction forms must be inside)."""
        sym = 'databuf%+d' % off if off else 'databuf'
        return ['movw r%d, #:lower16:%s' % (r, sym), 'movt r%d, #:upper16:%s' % (r, sym)]

    def fresh(self, regs, p=0.3):
        """Set-up giving some source registers interesting values."""
        lines = []
        for r in sorted(set(regs)):
            if self.chance(p):
                lines += self.mov32(r, self.value())
        return lines

    @staticmethod
    def op(base, c='', s=False, q='', ops=''):
        """UAL: base{S}{cond}{.qualifier} operands. Inside IT AL, c is 'al'
        and the instruction takes no condition."""
        return '%s%s%s%s %s' % (base, 's' if s else '', '' if c == 'al' else c, q, ops)

    def w(self):
        """Thumb: sometimes force the 32-bit encoding."""
        return '.w' if not self.arm and not self.low and self.chance(0.3) else ''

    # ---- Operand 2 ------------------------------------------------------------------

    def shift_imm(self, allow_rrx=True):
        """A shift by an immediate as text ('' for none)."""
        k = self.rng.randrange(6 if allow_rrx else 5)
        if k == 0:
            return ''
        if k == 1:
            return ', lsl #%d' % self.rng.randrange(0, 32)
        if k == 2:
            return ', lsr #%d' % self.rng.randrange(1, 33)
        if k == 3:
            return ', asr #%d' % self.rng.randrange(1, 33)
        if k == 4:
            return ', ror #%d' % self.rng.randrange(1, 32)
        return ', rrx'

    def arm_imm(self):
        """An A32 modified immediate, written with its rotation so the carry
        out (bit 31 when the rotation is not 0) is the one tested."""
        imm8, rot = self.rng.getrandbits(8), self.rng.randrange(16) * 2
        if self.chance(0.3):
            rot = 0
        if rot == 0:
            return '#%d' % imm8, imm8
        return '#%d, %d' % (imm8, rot), ror(imm8, rot)

    def thumb_imm(self):
        """A Thumb modified immediate (ThumbExpandImm): the assembler writes it
        back in the only encoding it has."""
        if self.chance(0.5):
            imm8, kind = self.rng.getrandbits(8), self.rng.randrange(4)
            if kind and imm8 == 0:
                imm8 = 1
            v = [imm8, imm8 << 16 | imm8, imm8 << 24 | imm8 << 8, imm8 * 0x01010101][kind]
        else:
            v = ror(0x80 | self.rng.getrandbits(7), self.rng.randrange(8, 32))
        return '#0x%x' % v, v

    def imm(self):
        return self.arm_imm() if self.arm else self.thumb_imm()

    # ---- Floating-point operands -------------------------------------------------------

    def fconst(self, v):
        """The label of a constant in the table (a label each: MOVW/MOVT
        addends are 16-bit)."""
        if v not in self.fpk:
            self.fpk[v] = 'fpk%d' % len(self.fpk)
        return self.fpk[v]

    def f32_value(self):
        k = self.rng.randrange(10)
        if k < 5:
            return self.pick(F32)
        if k < 7:  # a normal value of moderate size
            return self.rng.getrandbits(1) << 31 | self.rng.randrange(100, 155) << 23 | self.rng.getrandbits(23)
        if k < 8:  # tiny: products and quotients underflow
            return self.rng.getrandbits(1) << 31 | self.rng.randrange(0, 30) << 23 | self.rng.getrandbits(23)
        if k < 9:  # near an integer: conversions round
            x = self.rng.choice([self.rng.randrange(-70000, 70000), self.rng.randrange(-2 ** 31, 2 ** 32)])
            return f32_bits(x + self.pick([0, 0.5, 0.25, 0.75, -0.5, 1.5]))
        return self.rng.getrandbits(32)

    def f64_value(self):
        k = self.rng.randrange(10)
        if k < 5:
            return self.pick(F64)
        if k < 7:
            return self.rng.getrandbits(1) << 63 | self.rng.randrange(900, 1150) << 52 | self.rng.getrandbits(52)
        if k < 8:
            return self.rng.getrandbits(1) << 63 | self.rng.randrange(0, 60) << 52 | self.rng.getrandbits(52)
        if k < 9:
            x = self.rng.choice([self.rng.randrange(-70000, 70000), self.rng.randrange(-2 ** 31, 2 ** 32)])
            return f64_bits(x + self.pick([0, 0.5, 0.25, 0.75, -0.5, 1.5, 2 ** -20]))
        return self.rng.getrandbits(64)

    def load_fp(self, scratch, vreg, dp):
        """Set-up: vreg (sN or dN number) = an interesting value, through the
        constant table and the core register scratch."""
        v = self.f64_value() if dp else self.f32_value()
        label = self.fconst(v)
        return ['movw r%d, #:lower16:%s' % (scratch, label), 'movt r%d, #:upper16:%s' % (scratch, label),
                'vldr %s%d, [r%d]' % ('d' if dp else 's', vreg, scratch)]

    def fpscr_value(self):
        """NZCV, AHP, DN, FZ, RMode and the cumulative flags; never Len,
        Stride, the trap enables or QC (RAZ/WI on a Cortex-A15 without
        Advanced SIMD in Loom, and Len/Stride make qemu refuse VFP)."""
        v = self.rng.getrandbits(4) << 28 | self.rng.getrandbits(2) << 22
        if self.chance(0.35):
            # Round to nearest, no FZ or DN, IXC set: the state where
            # Loom runs VFP arithmetic on the host's and checks the result.
            v &= ~(3 << 22)
            return v | 1 << 4 | self.rng.getrandbits(4) | self.rng.getrandbits(1) << 7 | self.rng.getrandbits(1) << 26
        if self.chance(0.3):
            v |= 1 << 24  # FZ
        if self.chance(0.3):
            v |= 1 << 25  # DN
        if self.chance(0.2):
            v |= 1 << 26  # AHP
        if self.chance(0.5):
            v |= self.rng.getrandbits(5) | self.rng.getrandbits(1) << 7
        return v

    def fp_setup(self, srcs, dp, p=0.6, core_used=()):
        """Set-up for a VFP operation: fresh values for some sources, sometimes
        a new FPSCR."""
        scratch = self.reg(exclude=core_used)
        lines = []
        for v in sorted(set(srcs)):
            if self.chance(p):
                lines += self.load_fp(scratch, v, dp)
        if self.chance(0.25):
            lines += self.mov32(scratch, self.fpscr_value()) + ['vmsr fpscr, r%d' % scratch]
        return lines

    # ---- Integer groups ---------------------------------------------------------------------

    def g_dp(self, c):
        """Data processing: register, immediate and (A32) register-shifted
        register operand 2, with and without S."""
        three = ['and', 'eor', 'sub', 'rsb', 'add', 'adc', 'sbc', 'orr', 'bic'] + (['rsc'] if self.arm else ['orn'])
        kind = self.pick(['three'] * 6 + ['move'] * 2 + ['test'] * 2)
        if kind == 'three':
            base = self.pick(three)
        elif kind == 'move':
            base = self.pick(['mov', 'mvn'])
        else:
            base = self.pick(['tst', 'teq', 'cmp', 'cmn'])
        form = self.pick(['imm', 'reg', 'reg', 'rsr'] if self.arm else ['imm', 'reg', 'reg'])
        d = self.reg()
        n = d if self.chance(0.5 if self.low else 0.3) else self.reg()
        m = self.reg()
        s = kind != 'test' and self.chance(0.5)
        srcs = [n, m] if kind != 'move' else [m]
        setup = self.fresh(srcs)
        if form == 'imm':
            if self.low and base == 'rsb':
                op2 = '#0'  # NEG, the 16-bit RSB
            elif self.low and base in ('mov', 'cmp') and self.chance(0.6):
                op2 = '#%d' % self.rng.randrange(256)
            elif not self.arm and kind == 'three' and base in ('add', 'sub') and self.chance(0.3 + 0.5 * self.low):
                if self.chance(0.5):  # the 16-bit forms: 3 and 8-bit immediates
                    op2, s = '#%d' % self.rng.randrange(0, 8 if n != d else 256), True
                else:  # ADDW / SUBW
                    return Insn(self.op(base + 'w', c, ops='r%d, r%d, #%d' % (d, n, self.rng.randrange(4096))),
                                setup, writes=[d])
            else:
                op2, _ = self.imm()
        elif form == 'reg':
            sh = '' if self.low and self.chance(0.6) else self.shift_imm()
            if not self.arm and kind == 'move' and base == 'mov' and sh:
                # Thumb's MOV with a shift is the shift instruction.
                if sh == ', rrx':
                    return Insn(self.op('rrx', c, s, self.w(), 'r%d, r%d' % (d, m)), setup, writes=[d])
                name, amt = sh[2:].split(' ')
                return Insn(self.op(name, c, s, self.w(), 'r%d, r%d, %s' % (d, m, amt)), setup, writes=[d])
            op2 = 'r%d%s' % (m, sh)
        else:  # register-shifted register: the shift amount is Rs[7:0]
            rs = self.reg()
            if self.chance(0.5):
                setup += self.mov32(rs, self.pick([0, 1, 7, 31, 32, 33, 255, 256, 0x1ff, 0xffffff20]))
            op2 = 'r%d, %s r%d' % (m, self.pick(['lsl', 'lsr', 'asr', 'ror']), rs)
        q = self.w() if form != 'rsr' else ''
        if kind == 'three':
            return Insn(self.op(base, c, s, q, 'r%d, r%d, %s' % (d, n, op2)), setup, writes=[d])
        if kind == 'move':
            return Insn(self.op(base, c, s, q, 'r%d, %s' % (d, op2)), setup, writes=[d])
        return Insn(self.op(base, c, False, q, 'r%d, %s' % (n, op2)), setup)

    def g_shift(self, c):
        """LSL/LSR/ASR/ROR by an immediate or a register, RRX."""
        d, m, rs = self.reg(), self.reg(), self.reg()
        s = self.chance(0.5)
        name = self.pick(['lsl', 'lsr', 'asr', 'ror', 'rrx'])
        if not self.arm and self.chance(0.3):
            d = m = self.pick(LOW)  # Thumb's 16-bit forms
        setup = self.fresh([m])
        if name == 'rrx':
            return Insn(self.op('rrx', c, s, self.w(), 'r%d, r%d' % (d, m)), setup, writes=[d])
        if self.chance(0.5):
            lo, hi = {'lsl': (0, 31), 'lsr': (1, 32), 'asr': (1, 32), 'ror': (1, 31)}[name]
            return Insn(self.op(name, c, s, self.w(), 'r%d, r%d, #%d' % (d, m, self.rng.randint(lo, hi))), setup,
                        writes=[d])
        if self.chance(0.5):
            setup += self.mov32(rs, self.pick([0, 1, 8, 31, 32, 33, 64, 255, 256, 0xffffff01]))
        return Insn(self.op(name, c, s, self.w(), 'r%d, r%d, r%d' % (d, m, rs)), setup, writes=[d])

    def g_movw(self, c):
        d = self.reg()
        base = self.pick(['movw', 'movt'])
        return Insn(self.op(base, c, ops='r%d, #0x%x' % (d, self.rng.getrandbits(16))), writes=[d])

    def g_mul(self, c):
        """The multiplies, 32 and 64-bit results, with accumulate; RdHi and
        RdLo differ (UNPREDICTABLE otherwise)."""
        kind = self.rng.randrange(8)
        d, n, m, a = self.reg(), self.reg(), self.reg(), self.reg()
        setup = self.fresh([n, m, a])
        if kind == 0:  # MUL MLA MLS
            base = self.pick(['mul', 'mla', 'mls'])
            if not self.arm and base == 'mul' and self.chance(0.3) and c == '':
                d, n = self.pick(LOW), self.pick(LOW)  # MULS Rdm, Rn, Rdm (16-bit)
                return Insn('muls r%d, r%d, r%d' % (d, n, d), setup, writes=[d])
            s = self.arm and base != 'mls' and self.chance(0.5)
            ops = 'r%d, r%d, r%d' % (d, n, m) + (', r%d' % a if base != 'mul' else '')
            return Insn(self.op(base, c, s, ops=ops), setup, writes=[d])
        if kind in (1, 2):  # UMULL UMLAL SMULL SMLAL UMAAL
            base = self.pick(['umull', 'umlal', 'smull', 'smlal', 'umaal'])
            lo, hi = self.regs(2)
            s = self.arm and base != 'umaal' and self.chance(0.4)
            setup += self.fresh([lo, hi])
            return Insn(self.op(base, c, s, ops='r%d, r%d, r%d, r%d' % (lo, hi, n, m)), setup, writes=[lo, hi])
        if kind == 3:  # SMLAxy SMULxy SMLAWy SMULWy
            xy = self.pick('bt') + self.pick('bt')
            base = self.pick(['smla' + xy, 'smul' + xy, 'smlaw' + xy[1], 'smulw' + xy[1]])
            ops = 'r%d, r%d, r%d' % (d, n, m) + (', r%d' % a if base.startswith('smla') else '')
            return Insn(self.op(base, c, ops=ops), setup, writes=[d])
        if kind == 4:  # SMLALxy
            lo, hi = self.regs(2)
            setup += self.fresh([lo, hi])
            base = 'smlal' + self.pick('bt') + self.pick('bt')
            return Insn(self.op(base, c, ops='r%d, r%d, r%d, r%d' % (lo, hi, n, m)), setup, writes=[lo, hi])
        if kind == 5:  # SMLAD SMLSD SMUAD SMUSD {X}
            base = self.pick(['smlad', 'smlsd', 'smuad', 'smusd']) + self.pick(['', 'x'])
            ops = 'r%d, r%d, r%d' % (d, n, m) + (', r%d' % a if base.startswith('sml') else '')
            return Insn(self.op(base, c, ops=ops), setup, writes=[d])
        if kind == 6:  # SMLALD SMLSLD {X}
            lo, hi = self.regs(2)
            setup += self.fresh([lo, hi])
            base = self.pick(['smlald', 'smlsld']) + self.pick(['', 'x'])
            return Insn(self.op(base, c, ops='r%d, r%d, r%d, r%d' % (lo, hi, n, m)), setup, writes=[lo, hi])
        base = self.pick(['smmul', 'smmla', 'smmls', 'usad8', 'usada8'])
        if base.startswith('smm'):
            base += self.pick(['', 'r'])
        ops = 'r%d, r%d, r%d' % (d, n, m) + (', r%d' % a if base[:5] in ('smmla', 'smmls', 'usada') else '')
        return Insn(self.op(base, c, ops=ops), setup, writes=[d])

    def g_div(self, c):
        d, n, m = self.reg(), self.reg(), self.reg()
        setup = self.fresh([n])
        if self.chance(0.3):
            setup += self.mov32(m, self.pick([0, 0, 1, 0xffffffff, 2, 0x80000000]))
        if self.chance(0.2):
            setup += self.mov32(n, 0x80000000)
        return Insn(self.op(self.pick(['sdiv', 'udiv']), c, ops='r%d, r%d, r%d' % (d, n, m)), setup, writes=[d])

    def g_sat(self, c):
        """QADD QSUB QDADD QDSUB, SSAT USAT (with shifts), SSAT16 USAT16."""
        d, n, m = self.reg(), self.reg(), self.reg()
        setup = self.fresh([n, m], 0.5)
        k = self.rng.randrange(4)
        if k == 0:
            return Insn(self.op(self.pick(['qadd', 'qsub', 'qdadd', 'qdsub']), c, ops='r%d, r%d, r%d' % (d, m, n)),
                        setup, writes=[d])
        if k in (1, 2):
            sign = self.chance(0.5)
            sat = self.rng.randint(1, 32) if sign else self.rng.randint(0, 31)
            sh = ''
            if self.chance(0.6):
                # ASR #32 has no Thumb encoding (sh = 1, imm 0 is SSAT16 there).
                sh = self.pick([', lsl #%d' % self.rng.randrange(32),
                                ', asr #%d' % self.rng.randint(1, 32 if self.arm else 31)])
            return Insn(self.op('ssat' if sign else 'usat', c, ops='r%d, #%d, r%d%s' % (d, sat, n, sh)), setup,
                        writes=[d])
        sign = self.chance(0.5)
        sat = self.rng.randint(1, 16) if sign else self.rng.randint(0, 15)
        return Insn(self.op('ssat16' if sign else 'usat16', c, ops='r%d, #%d, r%d' % (d, sat, n)), setup, writes=[d])

    def g_parallel(self, c):
        """The parallel add/subtract family: S Q SH U UQ UH x ADD16 ASX SAX
        SUB16 ADD8 SUB8 (S and U set GE)."""
        d, n, m = self.reg(), self.reg(), self.reg()
        base = self.pick(['s', 'q', 'sh', 'u', 'uq', 'uh']) + self.pick(['add16', 'asx', 'sax', 'sub16', 'add8',
                                                                          'sub8'])
        return Insn(self.op(base, c, ops='r%d, r%d, r%d' % (d, n, m)), self.fresh([n, m], 0.5), writes=[d])

    def g_pack(self, c):
        """PKHBT PKHTB, the sign and zero extensions with and without add."""
        d, n, m = self.reg(), self.reg(), self.reg()
        setup = self.fresh([n, m])
        k = self.rng.randrange(3)
        if k == 0:
            if self.chance(0.5):
                sh = self.pick(['', ', lsl #%d' % self.rng.randrange(32)])
                return Insn(self.op('pkhbt', c, ops='r%d, r%d, r%d%s' % (d, n, m, sh)), setup, writes=[d])
            return Insn(self.op('pkhtb', c, ops='r%d, r%d, r%d, asr #%d' % (d, n, m, self.rng.randint(1, 32))),
                        setup, writes=[d])
        rot = self.pick(['', ', ror #8', ', ror #16', ', ror #24'])
        x = self.pick(['sxt', 'uxt']) + self.pick(['b', 'h', 'b16'])
        if k == 1:
            q = self.w() if not x.endswith('16') else ''
            return Insn(self.op(x, c, q=q, ops='r%d, r%d%s' % (d, m, rot)), setup, writes=[d])
        return Insn(self.op(x[:3] + 'a' + x[3:], c, ops='r%d, r%d, r%d%s' % (d, n, m, rot)), setup, writes=[d])

    def g_bitfield(self, c):
        d, n = self.reg(), self.reg()
        lsb = self.rng.randrange(32)
        width = self.rng.randint(1, 32 - lsb)
        base = self.pick(['bfi', 'bfc', 'sbfx', 'ubfx'])
        setup = self.fresh([n, d])
        if base == 'bfc':
            return Insn(self.op(base, c, ops='r%d, #%d, #%d' % (d, lsb, width)), setup, writes=[d])
        return Insn(self.op(base, c, ops='r%d, r%d, #%d, #%d' % (d, n, lsb, width)), setup, writes=[d])

    def g_misc(self, c):
        """CLZ RBIT REV REV16 REVSH, SEL."""
        d, n, m = self.reg(), self.reg(), self.reg()
        setup = self.fresh([n, m])
        if self.chance(0.2):
            return Insn(self.op('sel', c, ops='r%d, r%d, r%d' % (d, n, m)), setup, writes=[d])
        base = self.pick(['clz', 'rbit', 'rev', 'rev16', 'revsh'])
        q = self.w() if base.startswith('rev') else ''
        return Insn(self.op(base, c, q=q, ops='r%d, r%d' % (d, m)), setup, writes=[d])

    def g_psr(self, c):
        """MRS Rd, APSR and MSR APSR_<fields>."""
        r = self.reg()
        if self.chance(0.3):
            return Insn(self.op('mrs', c, ops='r%d, APSR' % r), writes=[r])
        fields = self.pick(['nzcvq', 'g', 'nzcvqg'])
        if self.arm and self.chance(0.3):
            _, v = self.arm_imm()
            return Insn(self.op('msr', c, ops='APSR_%s, #0x%x' % (fields, v)))
        setup = self.mov32(r, self.rng.getrandbits(32)) if self.chance(0.7) else []
        return Insn(self.op('msr', c, ops='APSR_%s, r%d' % (fields, r)), setup)

    # ---- Loads and stores -----------------------------------------------------------------

    def index_value(self, shift, want):
        """A value for Rm such that Rm shifted by `shift` is `want` (or close
        to it, within 4)."""
        if not shift:
            return want & 0xffffffff
        if shift == ', rrx':
            return (want << 1 | self.rng.getrandbits(1)) & 0xffffffff  # C is cleared in the set-up
        name, amt = shift[2:].split(' #')
        amt = int(amt)
        if name == 'lsl':
            return (want >> amt) & 0xffffffff
        if name == 'lsr':
            return (want << amt | self.rng.getrandbits(amt)) & 0xffffffff if amt < 32 else self.rng.getrandbits(32)
        if name == 'asr':
            if amt == 32:
                return self.rng.getrandbits(31)  # offset 0
            return (want << amt | self.rng.getrandbits(amt)) & 0xffffffff
        return ror(want & 0xffffffff, 32 - amt)

    def shifted(self, v, shift):
        """What the A32 shifter makes of v with C = 0 (the offsets only)."""
        v &= 0xffffffff
        if not shift:
            return v
        if shift == ', rrx':
            return v >> 1
        name, amt = shift[2:].split(' #')
        amt = int(amt)
        if name == 'lsl':
            return (v << amt) & 0xffffffff
        if name == 'lsr':
            return v >> amt if amt < 32 else 0
        if name == 'asr':
            sv = v - (1 << 32) if v >> 31 else v
            return (sv >> min(amt, 31)) & 0xffffffff if amt < 32 else (0xffffffff if v >> 31 else 0)
        return ror(v, amt)

    def base_at(self, n, ea, off, m=None, mv=None):
        """Address set-up: n = databuf + ea - off, so that n + off is the
        address ea; then the index register m (if any) = mv. Offsets too
        large for a MOVW/MOVT addend go through m."""
        if m is None or -30000 < off < 30000:
            return self.at(n, ea - off) + (self.mov32(m, mv) if m is not None else [])
        return self.at(n, ea) + self.mov32(m, -off) + ['add r%d, r%d, r%d' % (n, n, m)] + self.mov32(m, mv)

    def g_ldst(self, c):
        """LDR STR LDRB STRB LDRH STRH LDRSB LDRSH LDRD STRD and the
        unprivileged (T) forms, in every addressing mode: offset, pre-indexed,
        post-indexed, register offset with a shift. Not made (UNPREDICTABLE):
        write-back with Rn == Rt or Rt2, LDRD/STRD with an odd Rt in A32,
        LDRD (register) with Rm == Rt or Rt2, Thumb LDRD with Rt == Rt2.
        Addresses stay in databuf; LDRD/STRD (MemA) are word-aligned."""
        arm = self.arm
        kind = self.pick(['word', 'word', 'byte', 'half', 'sbyte', 'shalf', 'dual', 'dual', 'unpriv'])
        load = self.chance(0.5) or kind in ('sbyte', 'shalf')
        if kind == 'unpriv':
            size = self.pick([1, 2, 4])
            base = ('ldr' if load else 'str') + {1: 'b', 2: 'h', 4: ''}[size] + 't'
            if load and size < 4 and self.chance(0.4):
                base = 'ldrs' + {1: 'b', 2: 'h'}[size] + 't'
        else:
            base = ('ldr' if load else 'str') + {'word': '', 'byte': 'b', 'half': 'h', 'sbyte': 'sb',
                                                  'shalf': 'sh', 'dual': 'd'}[kind]
        if kind == 'dual':
            ts = [self.pick([0, 2, 4, 6, 8, 10])] if arm else self.regs(2)  # A32: even, not r12 (r13 is the log)
            if arm:
                ts.append(ts[0] + 1)
        else:
            ts = [self.reg()]
        rt = ', '.join('r%d' % t for t in ts)
        if kind == 'unpriv':
            mode = 'post' if arm else 'offset'
        else:
            mode = self.pick(['offset', 'offset', 'pre', 'post'])
        wback = mode != 'offset'
        n = self.reg(exclude=ts if wback else ())
        # A32 has register offsets everywhere (shifted for words and bytes);
        # Thumb only LSL #0-3 added, without write-back.
        if arm:
            regoff = self.chance(0.4)
        else:
            regoff = mode == 'offset' and kind not in ('dual', 'unpriv') and self.chance(0.4)
        align = 4 if kind == 'dual' else 1
        ea = self.rng.randrange(0, DATA_SIZE - 64) & ~(align - 1)
        setup = self.fresh(ts) if not load else []
        writes = set(ts) if load else set()
        if wback:
            writes.add(n)
        if regoff:
            m = self.reg(exclude=[n] + (ts if kind == 'dual' and load else []))
            sub = arm and self.chance(0.4)
            shift = ''
            if base in ('ldr', 'str', 'ldrb', 'strb', 'ldrt', 'strt', 'ldrbt', 'strbt'):
                if arm:
                    shift = self.shift_imm()
                elif self.chance(0.6):
                    shift = ', lsl #%d' % self.rng.randrange(4)
            want = self.rng.randrange(-200, 200) if arm else self.rng.randrange(0, 200)
            mv = self.index_value(shift, want)
            off = self.shifted(mv, shift)
            off = -off if sub else off
            off = (off + 2 ** 31) % 2 ** 32 - 2 ** 31
            asetup = []
            if shift == ', rrx':  # C = 0, so the offset is Rm >> 1
                asetup = self.mov32(m, self.rng.getrandbits(32) & ~(1 << 29)) + ['msr APSR_nzcvq, r%d' % m]
            asetup += self.base_at(n, ea, 0 if mode == 'post' else off, m, mv)
            opstr = '%sr%d%s' % ('-' if sub else '', m, shift)
            amode = {'offset': '[r%d, %s]', 'pre': '[r%d, %s]!', 'post': '[r%d], %s'}[mode] % (n, opstr)
            return Insn(self.op(base, c, ops='%s, %s' % (rt, amode)), setup, writes, {n, m}, not load,
                        asetup=asetup)
        if kind == 'dual' and not arm:
            imm = self.rng.randrange(0, 256 if mode == 'offset' else 40) * 4
            sub = self.chance(0.4)
        elif kind == 'unpriv' and not arm:
            imm, sub = self.rng.randrange(0, 256), False
        elif self.low and mode == 'offset' and kind in ('word', 'byte', 'half') and self.chance(0.7):
            imm, sub = self.rng.randrange(32) * {'word': 4, 'byte': 1, 'half': 2}[kind], False  # 16-bit: imm5
        elif (arm and kind in ('word', 'byte')) or (not arm and mode == 'offset' and self.chance(0.5)):
            imm = self.rng.randrange(0, 4096) if self.chance(0.3) else self.rng.randrange(0, 256)
            sub = self.chance(0.4) if arm or imm < 256 else False
        else:
            imm, sub = self.rng.randrange(0, 256), self.chance(0.4)
        off = -imm if sub else imm
        txt = '#%s%d' % ('-' if sub else '', imm)
        asetup = self.base_at(n, ea, 0 if mode == 'post' else off)
        if mode == 'offset':
            amode = '[r%d, %s]' % (n, txt) if imm or sub else '[r%d]' % n
        else:
            amode = {'pre': '[r%d, %s]!', 'post': '[r%d], %s'}[mode] % (n, txt)
        q = '.w' if not arm and kind not in ('dual', 'unpriv') and mode == 'offset' and self.chance(0.3) else ''
        return Insn(self.op(base, c, q=q, ops='%s, %s' % (rt, amode)), setup, writes, {n}, not load, asetup=asetup)

    def g_ldm(self, c):
        """LDM/STM in all four modes (Thumb: IA and DB), with and without
        write-back. Not made: the base in the list with write-back
        (UNPREDICTABLE, or an UNKNOWN value stored), fewer than two registers
        in Thumb's 32-bit forms, sp or pc in the list."""
        load = self.chance(0.5)
        mode = self.pick(['ia', 'ib', 'da', 'db'] if self.arm else ['ia', 'db'])
        n = self.reg()
        wb = self.chance(0.6)
        pool = [r for r in REGS if not (wb and r == n)]
        regs = sorted(self.rng.sample(pool, self.rng.randint(1 if self.arm else 2, len(pool))))
        if not self.arm and not wb and load and n < 8 and self.chance(0.5):
            # The 16-bit LDM: low registers, the base among them.
            regs = sorted(set(r for r in regs if r < 8) | {n, (n + 1) % 8})
        count = len(regs)
        ea = self.rng.randrange(0, DATA_SIZE - 4 * count) & ~3
        lowest = {'ia': ea, 'ib': ea - 4, 'da': ea + 4 * count - 4, 'db': ea + 4 * count}[mode]
        setup = self.fresh([r for r in regs if r != n]) if not load else []
        base = ('ldm' if load else 'stm') + mode
        lst = '{%s}' % ', '.join('r%d' % r for r in regs)
        writes = set(regs) if load else set()
        if wb:
            writes.add(n)
        return Insn(self.op(base, c, ops='r%d%s, %s' % (n, '!' if wb else '', lst)), setup, writes, {n}, not load,
                    asetup=self.at(n, lowest))

    def g_excl(self, c):
        """LDREX/STREX (B, H, D): a pair at one address (which succeeds), or
        CLREX then STREX (which fails), or a lone LDREX. A lone STREX is not
        made: after an LDREX of another size or address its result is
        IMPLEMENTATION DEFINED (A3.4.5). STREX's status register is neither
        Rt(2) nor Rn; LDREXD/STREXD take an even Rt below r12 in A32, Thumb's
        LDREXD two different registers."""
        size = self.pick(['', 'b', 'h', 'd'])
        align = {'': 4, 'b': 1, 'h': 2, 'd': 8}[size]
        n = self.reg()
        ea = self.rng.randrange(0, DATA_SIZE - 8) & ~(align - 1)
        imm = 0
        if not self.arm and size == '' and self.chance(0.5):
            imm = self.rng.randrange(0, 256) * 4  # Thumb's LDREX/STREX [Rn, #imm8*4]
        amode = '[r%d, #%d]' % (n, imm) if imm else '[r%d]' % n
        asetup = self.at(n, ea - imm)

        def pair(excl):
            if size == 'd':
                if self.arm:
                    t = self.pick([r for r in [0, 2, 4, 6, 8, 10] if r not in excl and r + 1 not in excl])
                    return [t, t + 1]
                return self.regs(2, exclude=excl)
            return [self.reg(exclude=excl)]

        def text(rs):
            return ', '.join('r%d' % r for r in rs)

        lt = pair([n])
        ldrex = self.op('ldrex' + size, c, ops='%s, %s' % (text(lt), amode))
        st = pair([n])
        d = self.reg(exclude=st + [n])
        strex = self.op('strex' + size, c, ops='r%d, %s, %s' % (d, text(st), amode))
        setup = self.fresh(st, 0.5)
        k = self.rng.randrange(5)
        if k <= 2:
            if k == 0 and c == '':  # something between the two: the monitor holds
                return Insn([ldrex, 'add r%d, r%d, #1' % (lt[0], lt[0]), strex], setup, set(lt) | {d}, {n}, True,
                            False, asetup)
            return Insn([ldrex, strex], setup, set(lt) | {d}, {n}, True, False, asetup)
        if k == 3:
            return Insn(['clrex', strex], setup, {d}, {n}, True, False, asetup)
        return Insn([ldrex], [], set(lt), {n}, False, False, asetup)

    # ---- VFP ------------------------------------------------------------------------------------

    def sreg(self):
        return self.rng.randrange(32)

    def g_vfp_arith(self, c):
        """VADD VSUB VMUL VDIV VNMUL VMLA VMLS VNMLA VNMLS VFMA VFMS VFNMA VFNMS."""
        dp = self.chance(0.5)
        base = self.pick(['vadd', 'vsub', 'vmul', 'vdiv', 'vnmul', 'vmla', 'vmls', 'vnmla', 'vnmls', 'vfma', 'vfms',
                          'vfnma', 'vfnms'])
        d, n, m = self.sreg(), self.sreg(), self.sreg()
        if self.chance(0.15):
            n = m
        acc = base not in ('vadd', 'vsub', 'vmul', 'vdiv', 'vnmul')
        setup = self.fp_setup([n, m] + ([d] if acc else []), dp)
        p = 'd' if dp else 's'
        return Insn(self.op(base, c, q='.f64' if dp else '.f32', ops='%s%d, %s%d, %s%d' % (p, d, p, n, p, m)), setup)

    def g_vfp_unary(self, c):
        """VSQRT VABS VNEG VMOV (register)."""
        dp = self.chance(0.5)
        base = self.pick(['vsqrt', 'vsqrt', 'vabs', 'vneg', 'vmov'])
        d, m = self.sreg(), self.sreg()
        p = 'd' if dp else 's'
        return Insn(self.op(base, c, q='.f64' if dp else '.f32', ops='%s%d, %s%d' % (p, d, p, m)),
                    self.fp_setup([m], dp, 0.8))

    def g_vfp_cmp(self, c):
        """VCMP VCMPE (with a register or #0) and VMRS APSR_nzcv, FPSCR."""
        dp = self.chance(0.5)
        base = self.pick(['vcmp', 'vcmpe'])
        d, m = self.sreg(), self.sreg()
        p = 'd' if dp else 's'
        q = '.f64' if dp else '.f32'
        if self.chance(0.2):
            ops, srcs = '%s%d, #0' % (p, d), [d]
        else:
            ops, srcs = '%s%d, %s%d' % (p, d, p, m), [d, m]
        code = [self.op(base, c, q=q, ops=ops)]
        if self.chance(0.7):
            code.append(self.op('vmrs', c, ops='APSR_nzcv, fpscr'))
        return Insn(code, self.fp_setup(srcs, dp, 0.8), it_ok=len(code) == 1)

    def g_vfp_cvt(self, c):
        """VCVT between single and double, to and from 32-bit integers
        (rounding towards zero, or by FPSCR: VCVTR), to and from fixed point,
        to and from half precision (VCVTB, VCVTT)."""
        k = self.rng.randrange(6)
        d, m = self.sreg(), self.sreg()
        if k == 0:
            dp = self.chance(0.5)
            if dp:
                ops, q = 's%d, d%d' % (d, m), '.f32.f64'
            else:
                ops, q = 'd%d, s%d' % (d, m), '.f64.f32'
            return Insn(self.op('vcvt', c, q=q, ops=ops), self.fp_setup([m], dp, 0.8))
        if k in (1, 2):  # to integer
            dp = self.chance(0.5)
            base = self.pick(['vcvt', 'vcvtr'])
            q = self.pick(['.s32', '.u32']) + ('.f64' if dp else '.f32')
            return Insn(self.op(base, c, q=q, ops='s%d, %s%d' % (d, 'd' if dp else 's', m)),
                        self.fp_setup([m], dp, 0.8))
        if k == 3:  # from integer
            dp = self.chance(0.5)
            q = ('.f64' if dp else '.f32') + self.pick(['.s32', '.u32'])
            setup = []
            if self.chance(0.6):
                r = self.reg()
                setup = self.mov32(r, self.value()) + ['vmov s%d, r%d' % (m, r)]
            return Insn(self.op('vcvt', c, q=q, ops='%s%d, s%d' % ('d' if dp else 's', d, m)),
                        setup + self.fp_setup([], dp))
        if k == 4:  # fixed point, in place
            dp = self.chance(0.5)
            size = self.pick([16, 32])
            fbits = self.rng.randint(1, size) if self.chance(0.8) else size
            fx = self.pick(['.s', '.u']) + str(size)
            fl = '.f64' if dp else '.f32'
            p = 'd' if dp else 's'
            if self.chance(0.5):  # to fixed
                return Insn(self.op('vcvt', c, q=fx + fl, ops='%s%d, %s%d, #%d' % (p, d, p, d, fbits)),
                            self.fp_setup([d], dp, 0.8))
            setup = []
            if self.chance(0.6):
                r = self.reg()
                v = self.value()
                if dp:
                    setup = self.mov32(r, v) + ['vmov.32 d%d[0], r%d' % (d, r)]
                else:
                    setup = self.mov32(r, v) + ['vmov s%d, r%d' % (d, r)]
            return Insn(self.op('vcvt', c, q=fl + fx, ops='%s%d, %s%d, #%d' % (p, d, p, d, fbits)),
                        setup + self.fp_setup([], dp))
        base = self.pick(['vcvtb', 'vcvtt'])
        q = self.pick(['.f32.f16', '.f16.f32'])
        return Insn(self.op(base, c, q=q, ops='s%d, s%d' % (d, m)), self.fp_setup([m], False, 0.8))

    def g_vmov_imm(self, c):
        dp = self.chance(0.5)
        imm8 = self.rng.getrandbits(8)
        sign, b, cd, frac = imm8 >> 7, imm8 >> 6 & 1, imm8 >> 4 & 3, imm8 & 15
        exp = (cd - 3 if b else cd + 1)
        v = (-1) ** sign * (16 + frac) / 16 * 2.0 ** exp
        return Insn(self.op('vmov', c, q='.f64' if dp else '.f32',
                            ops='%s%d, #%r' % ('d' if dp else 's', self.sreg(), v)), self.fp_setup([], dp))

    def g_vmov_core(self, c):
        """VMOV between core registers and singles, doubles, scalars;
        VMRS/VMSR FPSCR. To core registers, Rt != Rt2 (UNPREDICTABLE)."""
        k = self.rng.randrange(7)
        t, t2 = self.regs(2)
        n = self.sreg()
        setup = self.fresh([t, t2])
        if k == 0:
            return Insn(self.op('vmov', c, ops='s%d, r%d' % (n, t)), setup)
        if k == 1:
            return Insn(self.op('vmov', c, ops='r%d, s%d' % (t, n)), writes=[t])
        if k == 2:
            if self.chance(0.5):
                return Insn(self.op('vmov', c, ops='d%d, r%d, r%d' % (n, t, t2)), setup)
            return Insn(self.op('vmov', c, ops='r%d, r%d, d%d' % (t, t2, n)), writes=[t, t2])
        if k == 3:
            n = self.rng.randrange(31)
            if self.chance(0.5):
                return Insn(self.op('vmov', c, ops='s%d, s%d, r%d, r%d' % (n, n + 1, t, t2)), setup)
            return Insn(self.op('vmov', c, ops='r%d, r%d, s%d, s%d' % (t, t2, n, n + 1)), writes=[t, t2])
        if k == 4:
            x = self.rng.randrange(2)
            if self.chance(0.5):
                return Insn(self.op('vmov', c, q='.32', ops='d%d[%d], r%d' % (n, x, t)), setup)
            return Insn(self.op('vmov', c, q='.32', ops='r%d, d%d[%d]' % (t, n, x)), writes=[t])
        if k == 5:
            return Insn(self.op('vmrs', c, ops='r%d, fpscr' % t), writes=[t])
        # The value must reach VMSR (other bits would be Len or Stride).
        return Insn(self.op('vmsr', c, ops='fpscr, r%d' % t), addr={t}, asetup=self.mov32(t, self.fpscr_value()))

    def g_vldst(self, c):
        """VLDR VSTR, VLDM VSTM IA and DB, with and without write-back; the
        lists stay in the register file (UNPREDICTABLE otherwise). Addresses
        are word-aligned (MemA)."""
        n = self.reg()
        dp = self.chance(0.5)
        p = 'd' if dp else 's'
        load = self.chance(0.5)
        if self.chance(0.5):
            imm = self.rng.randrange(0, 256) * 4
            sub = self.chance(0.4)
            ea = self.rng.randrange(0, DATA_SIZE - 8) & ~3
            d = self.sreg()
            setup = self.fp_setup([d], dp, 0.5, [n]) if not load else []
            return Insn(self.op('vldr' if load else 'vstr', c,
                                ops='%s%d, [r%d, #%s%d]' % (p, d, n, '-' if sub else '', imm)), setup, (), {n},
                        not load, asetup=self.at(n, ea + (imm if sub else -imm)))
        first = self.sreg()
        count = self.rng.randint(1, min(16 if dp else 32, 32 - first))
        size = 4 * count * (2 if dp else 1)
        mode = self.pick(['ia', 'db'])
        wb = mode == 'db' or self.chance(0.5)
        ea = self.rng.randrange(0, DATA_SIZE - size + 1) & ~3
        lst = '{%s%d-%s%d}' % (p, first, p, first + count - 1) if count > 1 else '{%s%d}' % (p, first)
        return Insn(self.op(('vldm' if load else 'vstm') + mode, c, ops='r%d%s, %s' % (n, '!' if wb else '', lst)),
                    [], [n] if wb else [], {n}, not load, asetup=self.at(n, ea if mode == 'ia' else ea + size))

    # ---- The pc and sp as operands, branches ---------------------------------------------------

    def g_stack(self, c):
        """The stack: PUSH and POP (sp is the log pointer, so every push is
        popped again in the same item, the count the same), single-register
        push and pop by pre- and post-indexing, VPUSH/VPOP, SUB/ADD sp, and
        POP {pc} as a return (interworking in Thumb). Memory below sp is the
        log's: what is pushed there is overwritten by the next dump."""
        k = self.rng.randrange(5)
        if k == 0:  # PUSH {a} ... POP {b}, as many
            pool = LOW + [14] if self.low or self.chance(0.4) else REGS
            n = self.rng.randint(1, 6)
            a = sorted(self.rng.sample(pool, n))
            b = sorted(self.rng.sample(pool, n))
            text = lambda rs: '{%s}' % ', '.join('r%d' % r for r in rs)
            setup = self.fresh(a)
            code = [self.op('push', c, ops=text(a))]
            if c == '' and self.chance(0.3):
                mid = self.filler()
                setup += mid.setup
                code += mid.code
            code.append(self.op('pop', c, ops=text(b)))
            return Insn(code, setup, writes=b, it_ok=False)
        if k == 1:  # str rX, [sp, #-4]! ; ldr rY, [sp], #4
            x, y = self.reg(), self.reg()
            return Insn([self.op('str', c, ops='r%d, [sp, #-4]!' % x), self.op('ldr', c, ops='r%d, [sp], #4' % y)],
                        self.fresh([x]), writes=[y], it_ok=False)
        if k == 2:  # VPUSH/VPOP of as many registers
            dp = self.chance(0.5)
            n = self.rng.randint(1, 8)
            first, second = self.rng.randrange(32 - n + 1), self.rng.randrange(32 - n + 1)
            p = 'd' if dp else 's'
            lst = lambda f: '{%s%d-%s%d}' % (p, f, p, f + n - 1) if n > 1 else '{%s%d}' % (p, f)
            return Insn([self.op('vpush', c, ops=lst(first)), self.op('vpop', c, ops=lst(second))], it_ok=False)
        if k == 3:  # SUB sp, then loads and stores from sp, ADD sp back
            imm = self.rng.randrange(1, 32) * 4
            x, y = self.reg(), self.reg()
            off = self.rng.randrange(0, imm // 4) * 4
            code = [self.op('sub', c, ops='sp, sp, #%d' % imm), self.op('str', c, ops='r%d, [sp, #%d]' % (x, off)),
                    self.op('ldrb', c, ops='r%d, [sp, #%d]' % (y, off + self.rng.randrange(4))),
                    self.op('add', c, ops='sp, sp, #%d' % imm)]
            return Insn(code, self.fresh([x]), writes=[y], it_ok=False)
        # POP {..., pc}: a return to the label after a filler; the pc takes
        # the highest slot, so the target is in the highest register pushed.
        lab = self.label()
        f = self.filler()
        regs = sorted(self.rng.sample(REGS, self.rng.randint(1, 3)))
        r = regs[-1]
        code = ['push {%s}' % ', '.join('r%d' % x for x in regs),
                'pop {%s}' % ', '.join(['r%d' % x for x in regs[:-1]] + ['pc'])]
        return Insn(code + f.code + [lab + ':'], f.setup, writes=regs[:-1], it_ok=False,
                    asetup=self.target(r, lab, not self.arm))

    def g_sys(self, c):
        """Hints and barriers, preloads, the thread ID registers (CP15 c13)
        and the CP15 barrier operations as Linux lets user code use them,
        SETEND LE, and (A32) SWP/SWPB."""
        r = self.reg()
        k = self.rng.randrange(7 if self.arm else 6)
        if k == 0:
            return Insn(self.op(self.pick(['nop', 'yield', 'wfe', 'sev']), c, q=self.w()))
        if k == 1:
            if c:  # DMB, DSB, ISB are unconditional in A32
                return Insn(self.op('nop', c))
            return Insn(self.pick(['dmb', 'dsb', 'isb', 'dmb ish', 'dsb sy', 'dmb ishst', 'clrex']))
        if k == 2:
            if c and self.arm:
                return Insn(self.op('nop', c))
            n = self.reg()
            form = self.pick(['[r%d]' % n, '[r%d, #%d]' % (n, self.rng.randrange(256)),
                              '[r%d, #-%d]' % (n, self.rng.randrange(256)), '[r%d, r%d]' % (n, self.reg())])
            return Insn(self.op(self.pick(['pld', 'pldw', 'pli']), c, ops=form))
        if k == 3:  # TPIDRURW: write, read back; TPIDRURO: read
            if self.chance(0.5):
                return Insn(self.op('mcr', c, ops='p15, 0, r%d, c13, c0, 2' % r), self.mov32(r, self.value()))
            return Insn(self.op('mrc', c, ops='p15, 0, r%d, c13, c0, %d' % (r, self.pick([2, 3]))), writes=[r])
        if k == 4:  # CP15DMB, CP15DSB, CP15ISB
            return Insn(self.op('mcr', c, ops='p15, 0, r%d, %s' % (r, self.pick(['c7, c10, 5', 'c7, c10, 4',
                                                                                 'c7, c5, 4']))))
        if k == 5:
            if c:
                return Insn(self.op('nop', c))
            return Insn('setend le', it_ok=False)
        # SWP/SWPB: Rn differs from Rt and Rt2 (UNPREDICTABLE); SWP is MemA.
        t, t2 = self.reg(), self.reg()
        n = self.reg(exclude=[t, t2])
        b = self.pick(['', 'b'])
        ea = self.rng.randrange(0, DATA_SIZE - 4) & (~3 if not b else ~0)
        return Insn(self.op('swp' + b, c, ops='r%d, r%d, [r%d]' % (t, t2, n)), self.fresh([t2]), writes=[t], addr={n},
                    mem=True, asetup=self.at(n, ea))

    def g_pcrel(self, c):
        """Reads of the pc (ADR, ALU operands in A32, literal loads of every
        size, VLDR) and of sp (the log pointer: its value and the records
        already written). Literal loads read the program's own code, near
        enough that it exists."""
        d = self.reg()
        arm = self.arm
        k = self.rng.randrange(6)
        if k == 0:  # ADR
            if arm:
                txt, _ = self.arm_imm()
                return Insn(self.op(self.pick(['add', 'sub']), c, ops='r%d, pc, %s' % (d, txt)), writes=[d])
            if self.low and self.chance(0.5):
                return Insn(self.op('add', c, ops='r%d, pc, #%d' % (d, self.rng.randrange(256) * 4)), writes=[d])
            return Insn(self.op(self.pick(['addw', 'subw']), c, ops='r%d, pc, #%d' % (d, self.rng.randrange(4096))),
                        writes=[d])
        if k == 1:  # the pc as an ALU operand
            if arm:
                n, m = self.reg(), self.reg()
                form = self.rng.randrange(3)
                base = self.pick(['add', 'sub', 'eor', 'and', 'orr', 'rsb', 'adc', 'bic'])
                s = self.chance(0.3)
                if form == 0:
                    return Insn(self.op(base, c, s, ops='r%d, pc, r%d%s' % (d, m, self.shift_imm())), writes=[d])
                if form == 1:
                    return Insn(self.op(base, c, s, ops='r%d, r%d, pc%s' % (d, n, self.shift_imm())), writes=[d])
                return Insn(self.op(self.pick(['mov', 'mvn']), c, s, ops='r%d, pc%s' % (d, self.shift_imm())),
                            writes=[d])
            return Insn(self.op('add', c, ops='r%d, pc' % d), writes=[d])  # ADD Rdn, pc (16-bit)
        if k in (2, 3):  # literal loads
            kind = self.pick(['ldr', 'ldr', 'ldrb', 'ldrh', 'ldrsb', 'ldrsh', 'ldrd', 'vldr'])
            if kind == 'ldrd':
                if arm:
                    d = self.pick([0, 2, 4, 6, 8, 10])
                    rt = 'r%d, r%d' % (d, d + 1)
                    imm = self.rng.randrange(64) * 4  # word-aligned: LDRD is MemA
                else:
                    rt = 'r%d, r%d' % tuple(self.regs(2))
                    imm = self.rng.randrange(64) * 4
                writes = [int(x.strip(' r')) for x in rt.split(',')]
            elif kind == 'vldr':
                rt = self.pick(['s', 'd']) + str(self.sreg())
                imm = self.rng.randrange(64) * 4
                writes = []
            else:
                rt = 'r%d' % d
                writes = [d]
                if not arm and self.low and kind == 'ldr' and self.chance(0.5):
                    return Insn(self.op('ldr', c, ops='%s, [pc, #%d]' % (rt, self.rng.randrange(256) * 4)),
                                writes=writes)
                imm = self.rng.randrange(256 if kind != 'ldr' or not arm else 1024)
            # Backwards only once there is code behind to read.
            sign = self.pick(['', '-']) if self.index > 64 else ''
            return Insn(self.op(kind, c, ops='%s, [pc, #%s%d]' % (rt, sign, imm)), writes=writes)
        # sp: its value, or the records below it
        if k == 4:
            if arm or not self.low or self.chance(0.5):
                if self.chance(0.3):
                    return Insn(self.op('mov', c, ops='r%d, sp' % d), writes=[d])
                return Insn(self.op(self.pick(['add', 'sub']), c, ops='r%d, sp, #%d' % (d, self.rng.randrange(256) * 4)),
                            writes=[d])
            if self.chance(0.5):
                return Insn(self.op('add', c, ops='r%d, sp, r%d' % (d, d)), writes=[d])
            return Insn(self.op('add', c, ops='r%d, sp, #%d' % (d, self.rng.randrange(256) * 4)), writes=[d])
        kind = self.pick(['ldr', 'ldr', 'ldrb', 'ldrh', 'ldrd'])
        if kind == 'ldrd':
            t = self.pick([0, 2, 4, 6, 8, 10]) if arm else self.regs(2)[0]
            t2 = t + 1 if arm else self.reg(exclude=[t])
            imm = self.rng.randrange(0, 64) * 4
            return Insn(self.op('ldrd', c, ops='r%d, r%d, [sp, #%d]' % (t, t2, imm)), writes=[t, t2])
        imm = self.rng.randrange(0, 256) * (4 if kind == 'ldr' else 1)
        return Insn(self.op(kind, c, ops='r%d, [sp, #%d]' % (d, imm)), writes=[d])

    def filler(self):
        """An instruction to branch over or around: data processing, no set-up
        that could disturb a branch condition."""
        saved = self.low
        self.low = False
        while True:
            ins = self.g_dp('')
            if len(ins.code) == 1:
                break
        self.low = saved
        return ins

    def target(self, r, label, thumb):
        """Set-up: r = the address of label, with bit 0 set for Thumb code."""
        return ['movw r%d, #:lower16:%s%s' % (r, label, '+1' if thumb else ''),
                'movt r%d, #:upper16:%s%s' % (r, label, '+1' if thumb else '')]

    def g_branch(self, c):
        """Branches: conditional and unconditional, BL, BX and BLX (register),
        CBZ/CBNZ and TBB/TBH (Thumb), a countdown loop, and writes to the pc
        by MOV, ADD, LDR and LDM (same-state targets here; g_interwork
        changes state). Each skips a filler instruction or not."""
        arm = self.arm
        lab = self.label()
        f = self.filler()
        setup = f.setup
        kinds = ['b', 'b', 'bl', 'bx', 'blx', 'loop', 'movpc', 'ldrpc', 'ldmpc']
        if not arm:
            kinds += ['cbz', 'tbb', 'tbh']
        k = self.pick(kinds)
        if k == 'b':
            cond = c or (self.pick(CONDS + ['']) if arm or self.chance(0.9) else '')
            q = '' if arm else self.pick(['', '.w', '.n']) if cond == '' else self.pick(['', '.w'])
            if q == '.n' and not self.low:
                q = ''
            code = ['b%s%s %s' % (cond, q, lab)] + f.code + [lab + ':']
            return Insn(code, setup, it_ok=False)
        if k == 'bl':
            return Insn(['bl%s %s' % (c, lab)] + f.code + [lab + ':'], setup, writes=[14], it_ok=False)
        r = self.reg(exclude=[14] if k == 'blx' else ())
        if k in ('bx', 'blx'):
            return Insn(['%s%s r%d' % (k, c, r)] + f.code + [lab + ':'], setup, writes=[14] if k == 'blx' else [],
                        it_ok=False, asetup=self.target(r, lab, not arm))
        if k == 'loop':  # a countdown from 1-4 around a filler that leaves the counter alone
            n = self.reg()
            while True:
                f = self.filler()
                if n not in f.writes:
                    break
            return Insn(f.setup + self.mov32(n, self.rng.randint(1, 4)) + [lab + ':'] + f.code +
                        ['subs r%d, r%d, #1' % (n, n), 'bne ' + lab], [], writes=[n] + list(f.writes), it_ok=False)
        if k == 'movpc':
            # A32: ALUWritePC, which interworks (BXWritePC); Thumb's MOV pc
            # is BranchWritePC, bit 0 ignored.
            if arm and self.chance(0.5):
                return Insn(['add%s pc, r%d, #8' % (c, r)] + f.code + [lab + ':'], setup, it_ok=False,
                            asetup=self.target(r, lab + '-8', False))
            return Insn(['mov%s pc, r%d' % (c, r)] + f.code + [lab + ':'], setup, it_ok=False,
                        asetup=self.target(r, lab, not arm and self.chance(0.5)))
        if k in ('ldrpc', 'ldmpc'):
            # LoadWritePC: the target from the data buffer.
            b = self.reg(exclude=[r])
            ea = self.rng.randrange(4, DATA_SIZE - 64) & ~3  # LDM reads the word before too
            asetup = self.target(r, lab, not arm) + self.at(b, ea) + ['str r%d, [r%d]' % (r, b)]
            if k == 'ldrpc':
                return Insn(['ldr%s pc, [r%d]' % (c, b)] + f.code + [lab + ':'], setup, mem=True, it_ok=False,
                            asetup=asetup)
            asetup = self.target(r, lab, not arm) + self.at(b, ea - 4) + ['str r%d, [r%d, #4]' % (r, b)]
            other = self.reg(exclude=[b, 14])
            wb = self.chance(0.5)
            return Insn(['ldmia%s r%d%s, {r%d, pc}' % (c, b, '!' if wb else '', other)] + f.code + [lab + ':'], setup,
                        writes=[other] + ([b] if wb else []), mem=True, it_ok=False, asetup=asetup)
        n = self.pick(LOW)
        if k == 'cbz':
            base = self.pick(['cbz', 'cbnz'])
            return Insn(['%s r%d, %s' % (base, n, lab)] + f.code + [lab + ':'], setup + self.mov32(n, self.pick([0, 1])),
                        it_ok=False)
        # TBB/TBH [pc, Rm]: a two-entry table, then the two cases.
        i = self.reg()
        l0, l1, l2 = self.label(), self.label(), self.label()
        g = self.filler()
        if k == 'tbb':
            code = ['tbb [pc, r%d]' % i, l0 + ':', '.byte (%s-%s)/2, (%s-%s)/2' % (l1, l0, l2, l0)]
        else:
            code = ['tbh [pc, r%d, lsl #1]' % i, l0 + ':', '.hword (%s-%s)/2, (%s-%s)/2' % (l1, l0, l2, l0)]
        code += [l1 + ':'] + f.code + ['b ' + lab, l2 + ':'] + g.code + [lab + ':']
        return Insn(code, setup + g.setup + self.mov32(i, self.pick([0, 1])), it_ok=False,
                    text=' ; '.join(c for c in code if not c.startswith('.')))

    def g_interwork(self, c):
        """A change of instruction set and back: BX, BLX (register and
        immediate), LDR pc, and (A32) MOV pc, with one random instruction of
        the other set in between, generated by that set's rules."""
        arm = self.arm
        there, back = self.label(), self.label()
        r = self.reg(exclude=[14])
        how = self.pick(['bx', 'blx', 'blximm', 'ldr'] + (['mov'] if arm else []))
        # One instruction in the other state.
        self.arm = not arm
        saved = self.low
        self.low = False
        while True:
            g = self.group()
            if g not in ('branch', 'interwork', 'excl'):
                ins = getattr(self, 'g_' + g)('')
                if len(ins.code) == 1:
                    break
        self.arm, self.low = arm, saved
        other = ['.thumb' if arm else '.arm', '.balign 4', there + ':'] + ins.setup + ins.asetup + ins.code
        # ... and back.
        other += self.target(r, back, not arm) + ['bx r%d' % r, '.arm' if arm else '.thumb', '.balign 4', back + ':']
        mem = ins.mem
        if how in ('bx', 'blx'):
            code = self.target(r, there, arm) + ['%s r%d' % (how, r)]
        elif how == 'blximm':
            code = ['blx ' + there]
        elif how == 'mov':
            code = self.target(r, there, True) + ['mov pc, r%d' % r]
        else:
            b = self.reg(exclude=[r])
            code = self.target(r, there, arm) + self.at(b, 0) + ['str r%d, [r%d]' % (r, b), 'ldr pc, [r%d]' % b]
            mem = True
        return Insn(code + other, [], it_ok=False, mem=mem,
                    text='%s to %s: %s' % (how, 'Thumb' if arm else 'A32', ' ; '.join(ins.code)))

    # ---- Items -----------------------------------------------------------------------------------

    GROUPS = [
        ('dp', 14), ('shift', 4), ('movw', 1), ('mul', 8), ('div', 3), ('sat', 4), ('parallel', 5), ('pack', 4),
        ('bitfield', 3), ('misc', 3), ('psr', 2), ('ldst', 10), ('ldm', 4), ('excl', 3), ('vfp_arith', 10),
        ('vfp_unary', 3), ('vfp_cmp', 3), ('vfp_cvt', 8), ('vmov_imm', 1), ('vmov_core', 3), ('vldst', 4),
        ('pcrel', 3), ('branch', 4), ('interwork', 2), ('stack', 3), ('sys', 2),
    ]

    def group(self):
        names = [g for g, _ in self.GROUPS]
        weights = [w for _, w in self.GROUPS]
        return self.rng.choices(names, weights)[0]

    def make(self, g, c):
        """An instruction of group g with condition c (Thumb: sometimes with
        low registers only, the 16-bit encodings' domain)."""
        self.low = not self.arm and self.chance(0.4)
        ins = getattr(self, 'g_' + g)(c)
        self.low = False
        return ins

    def one(self, c):
        g = self.group()
        return g, self.make(g, c)

    def seq(self):
        """Two to eight instructions with their set-ups and no dump between:
        flags and registers flow from one to the next inside a block."""
        items = [self.one('') if not self.arm else self.one(self.pick(CONDS) if self.chance(0.3) else '')
                 for _ in range(self.rng.randint(2, 8))]
        code = [l for _, i in items for l in i.setup + i.asetup + i.code]
        return 'seq:' + '+'.join(g for g, _ in items), Insn(code, mem=any(i.mem for _, i in items), it_ok=False,
                                                            text=' || '.join(i.text for _, i in items))

    def item(self):
        """One item: an instruction (A32: sometimes conditional) or, in Thumb,
        sometimes an IT block of one to four."""
        if self.chance(0.08):
            return self.seq()
        if self.arm:
            c = self.pick(CONDS) if self.chance(0.3) else ''
            return self.one(c)
        if not self.chance(0.2):
            return self.one('')
        return self.it_block()

    def it_block(self):
        """IT with 1-4 instructions of any group that may stand in one. The
        set-up of all comes before the IT, address set-ups last, so the
        instructions take their addresses from different registers and none
        writes a register a later one takes an address from."""
        n = self.rng.randint(1, 4)
        if self.chance(0.05):
            first, pattern = 'al', ['al']  # IT AL: one instruction only (UNPREDICTABLE otherwise)
        else:
            first = self.pick(CONDS)
            pattern = [first] + [self.pick([first, INVERT[first]]) for _ in range(n - 1)]
        # Sometimes the last is a branch (the only place one may stand).
        branch = first != 'al' and self.chance(0.2)
        while True:
            insns, groups = [], []
            for i, cond in enumerate(pattern):
                if branch and i == len(pattern) - 1:
                    insns.append(self.it_branch(cond))
                    groups.append('branch')
                    break
                while True:
                    g = self.group()
                    ins = self.make(g, cond)
                    if ins.it_ok and len(ins.code) == 1:
                        break
                insns.append(ins)
                groups.append(g)
            k = len(insns)
            if all(not (insns[i].writes & insns[j].addr) and not (insns[i].addr & insns[j].addr)
                   for i in range(k) for j in range(i + 1, k)):
                break
        mask = ''.join('t' if cond == first else 'e' for cond in pattern[1:])
        if first == 'al':
            # The assembler refuses IT AL: the encoding by hand, the
            # instruction assembled as if outside IT (a 16-bit flag-setting
            # encoding then does not set flags, as in any IT block).
            code = ['.inst.n 0xbfe8 @ it al'] + [ins.code[0] for ins in insns]
        else:
            code = ['it%s %s' % (mask, first)] + [ins.code[0] for ins in insns]
        if branch:
            code += insns[-1].code[1:]  # the filler the branch skips and its label
        return 'it:' + '+'.join(groups), Insn(code, [l for i in insns for l in i.setup],
                                               set().union(*(i.writes for i in insns)),
                                               set().union(*(i.addr for i in insns)), any(i.mem for i in insns),
                                               asetup=[l for i in insns for l in i.asetup])

    def it_branch(self, c):
        """The last instruction of an IT block as a branch over a filler:
        B, BL, BX, BLX, MOV pc, LDR pc (interworking: bit 0 set), with the
        condition the IT gives it."""
        lab = self.label()
        f = self.filler()
        r = self.reg(exclude=[14])
        k = self.pick(['b', 'b.w', 'bl', 'bx', 'blx', 'mov', 'ldr'])
        if k in ('b', 'b.w', 'bl'):
            return Insn([self.op(k[0:2] if k == 'bl' else 'b', c, q='.w' if k == 'b.w' else '', ops=lab)] + f.code +
                        [lab + ':'], f.setup, writes=[14] if k == 'bl' else [])
        if k in ('bx', 'blx', 'mov'):
            code = self.op(k, c, ops='r%d' % r) if k != 'mov' else self.op('mov', c, ops='pc, r%d' % r)
            return Insn([code] + f.code + [lab + ':'], f.setup, writes=[14] if k == 'blx' else [], addr={r},
                        asetup=self.target(r, lab, True))
        b = self.reg(exclude=[r, 14])
        ea = self.rng.randrange(0, DATA_SIZE - 4) & ~3
        # r is a scratch register of the address set-up: listed with the
        # addresses, so no other instruction of the block takes one from it.
        return Insn([self.op('ldr', c, ops='pc, [r%d]' % b)] + f.code + [lab + ':'], f.setup, addr={b, r}, mem=True,
                    asetup=self.target(r, lab, True) + self.at(b, ea) + ['str r%d, [r%d]' % (r, b)])

    # ---- The program -------------------------------------------------------------------------

    def init_table(self, label):
        """A start state: r0-r12, r14, APSR, FPSCR, then d0-d31."""
        words = [self.value() for _ in range(14)]
        words.append(self.rng.getrandbits(5) << 27 | self.rng.getrandbits(4) << 16)
        words.append(self.fpscr_value())
        for i in range(32):
            v = self.f64_value() if self.chance(0.5) else (self.f32_value() << 32 | self.f32_value())
            words += [v & 0xffffffff, v >> 32]
        self.data.append('%s:' % label)
        for i in range(0, len(words), 8):
            self.data.append('    .word ' + ', '.join('0x%08x' % w for w in words[i:i + 8]))

    def reinit(self, label):
        self.init_table(label)
        return ['movw r0, #:lower16:%s' % label, 'movt r0, #:upper16:%s' % label,
                'add r1, r0, #64', 'vldmia r1!, {d0-d15}', 'vldmia r1, {d16-d31}',
                'ldr r1, [r0, #56]', 'msr APSR_nzcvqg, r1', 'ldr r1, [r0, #60]', 'vmsr fpscr, r1',
                'ldm r0, {r0-r12, r14}']

    def program(self, count):
        out = ['@ Generated by tests/risu/gen.py: do not edit.', '    .syntax unified',
               '    .arm' if self.arm else '    .thumb', '    .text', DUMP_MACRO, '    .global _start']
        if not self.arm:
            out.append('    .thumb_func')
        out += ['_start:', '    movw r0, #:lower16:logtop', '    movt r0, #:upper16:logtop', '    mov sp, r0']
        listing = []
        out += ['    ' + l for l in self.reinit('init0')] + ['    dump']
        listing.append('0\t-\tinit\t(the start state)\t')
        records, mems = 1, 0
        next_reinit = self.rng.randint(20, 80)
        for i in range(1, count + 1):
            self.index = i
            setup = []
            if i == next_reinit:
                setup = self.reinit('init%d' % i)
                next_reinit = i + self.rng.randint(20, 80)
            g, ins = self.item()
            setup += ins.setup + ins.asetup
            out.append('@ %d: %s' % (i, ins.text))
            out += ['    ' + l for l in setup + ins.code]
            out.append('    dump')
            if ins.mem:
                out.append('    dumpmem')
                mems += 1
            records += 1
            listing.append('%d\t%s\t%s\t%s\t%s' % (i, 'M' if ins.mem else '-', g, ins.text,
                                                  ' ; '.join(setup)))
        out += ['@ write(1, log), write(1, databuf), exit(0)',
                '    mov r1, sp', '    movw r2, #:lower16:logtop', '    movt r2, #:upper16:logtop',
                '    sub r2, r2, r1', '    mov r0, #1', '    mov r7, #4', '    svc 0',
                '    movw r1, #:lower16:databuf', '    movt r1, #:upper16:databuf', '    mov r2, #%d' % DATA_SIZE,
                '    mov r0, #1', '    mov r7, #4', '    svc 0',
                '    mov r0, #0', '    mov r7, #1', '    svc 0',
                '@ What forward literal loads read.', '    .balign 4', '    .fill 1024, 4, 0xe7f000f0']
        out += ['', '    .data', '    .balign 8', 'databuf:']
        for i in range(0, DATA_SIZE, 32):
            out.append('    .word ' + ', '.join('0x%08x' % self.value() for _ in range(8)))
        out += ['    .balign 8'] + ['%s: .word 0x%08x, 0x%08x' % (label, v & 0xffffffff, v >> 32) for v, label in self.fpk.items()]
        out += ['    .balign 8'] + self.data
        log = records * RECORD + mems * DATA_SIZE + 64
        out += ['', '    .bss', '    .balign 8', 'logbuf:', '    .space %d' % log, 'logtop:',
                '    .space 1024 @ what loads from sp read beyond the first record', '']
        return '\n'.join(out), '\n'.join(listing) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mode', choices=['arm', 'thumb'], required=True)
    ap.add_argument('--count', type=int, default=10000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('-o', '--output', required=True, help='the assembly file; the listing goes beside it (.txt)')
    a = ap.parse_args()
    src, listing = Gen(a.seed * 2 + (a.mode == 'thumb'), a.mode).program(a.count)
    with open(a.output, 'w') as f:
        f.write(src)
    stem = a.output[:-2] if a.output.endswith('.S') or a.output.endswith('.s') else a.output
    with open(stem + '.txt', 'w') as f:
        f.write(listing)


if __name__ == '__main__':
    main()
