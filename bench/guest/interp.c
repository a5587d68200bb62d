/* A bytecode interpreter with switch dispatch: a small register machine,
 * as in a scripting engine, a packet filter or a protocol state machine,
 * running a program that sieves primes in its own memory, round after round. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 1900
#define MEM_WORDS 8192u /* a power of two: addresses are masked */

enum op { LI, ADD, ADDI, MUL, XOR, SHR, LD, ST, BLT, BNE, JMP, HALT };

typedef struct insn {
    uint8_t op, d, a, b;
    int32_t imm; /* immediate or branch target */
} insn;

static uint32_t run(const insn *code, uint32_t *mem, uint32_t *r)
{
    const insn *pc = code;
    for (;;) {
        const insn *i = pc++;
        switch (i->op) {
        case LI: r[i->d] = (uint32_t)i->imm; break;
        case ADD: r[i->d] = r[i->a] + r[i->b]; break;
        case ADDI: r[i->d] = r[i->a] + (uint32_t)i->imm; break;
        case MUL: r[i->d] = r[i->a] * r[i->b]; break;
        case XOR: r[i->d] = r[i->a] ^ r[i->b]; break;
        case SHR: r[i->d] = r[i->a] >> (i->imm & 31); break;
        case LD: r[i->d] = mem[r[i->a] & (MEM_WORDS - 1)]; break;
        case ST: mem[r[i->a] & (MEM_WORDS - 1)] = r[i->b]; break;
        case BLT: if (r[i->a] < r[i->b]) pc = code + i->imm; break;
        case BNE: if (r[i->a] != r[i->b]) pc = code + i->imm; break;
        case JMP: pc = code + i->imm; break;
        case HALT: return r[i->d];
        default: return 0xdeadbeefu;
        }
    }
}

/* A tiny assembler: forward branches are patched once their label is known. */
static insn prog[64];
static int pc;

static int emit(uint8_t op, uint8_t d, uint8_t a, uint8_t b, int32_t imm)
{
    prog[pc] = (insn){op, d, a, b, imm};
    return pc++;
}

static void patch(int at)
{
    prog[at].imm = pc;
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static uint32_t mem[MEM_WORDS];
    uint32_t r[16] = {0};

    /* r0 = 0, r1 = round, r2 = i, r3 = MEM_WORDS, r4 = flag, r5 = count,
     * r6 = hash, r7 = FNV prime, r8 = multiple, r9 = 1, r15 = rounds */
    emit(LI, 0, 0, 0, 0);
    emit(LI, 1, 0, 0, 0);
    emit(LI, 3, 0, 0, MEM_WORDS);
    emit(LI, 5, 0, 0, 0);
    emit(LI, 6, 0, 0, (int32_t)2166136261u);
    emit(LI, 7, 0, 0, 16777619);
    emit(LI, 9, 0, 0, 1);
    emit(LI, 15, 0, 0, (int32_t)scale);
    int outer = pc;
    emit(LI, 2, 0, 0, 0); /* clear the sieve */
    int clear = pc;
    emit(ST, 0, 2, 0, 0);
    emit(ADDI, 2, 2, 0, 1);
    emit(BLT, 0, 2, 3, clear);
    emit(LI, 2, 0, 0, 2);
    int sieve = pc;
    emit(LD, 4, 2, 0, 0);
    int to_skip = emit(BNE, 0, 4, 0, 0); /* composite */
    emit(ADDI, 5, 5, 0, 1);              /* a prime: count it, hash it */
    emit(XOR, 6, 6, 2, 0);
    emit(MUL, 6, 6, 7, 0);
    emit(ADD, 6, 6, 1, 0);
    emit(SHR, 10, 6, 0, 7);
    emit(XOR, 6, 6, 10, 0);
    emit(MUL, 8, 2, 2, 0); /* mark from i*i, if below the end */
    int to_mark = emit(BLT, 0, 8, 3, 0);
    int to_skip2 = emit(JMP, 0, 0, 0, 0);
    patch(to_mark);
    int mark = pc;
    emit(ST, 0, 8, 9, 0);
    emit(ADD, 8, 8, 2, 0);
    emit(BLT, 0, 8, 3, mark);
    patch(to_skip);
    patch(to_skip2);
    emit(ADDI, 2, 2, 0, 1);
    emit(BLT, 0, 2, 3, sieve);
    emit(ADDI, 1, 1, 0, 1);
    emit(BLT, 0, 1, 15, outer);
    emit(XOR, 5, 5, 6, 0);
    emit(HALT, 5, 0, 0, 0);

    uint32_t v = run(prog, mem, r);
    if (r[5] != v || (r[5] ^ r[6]) != scale * 1028u) { /* 1028 primes below 8192 */
        fprintf(stderr, "interp: wrong prime count %u\n", (unsigned)(r[5] ^ r[6]));
        return 1;
    }
    bench_checksum_u32("interp", v);
    return 0;
}
