/* ARM and Thumb disassembly with Capstone, for the in_asm trace. Only used
 * while tracing, so a Capstone handle per call is fine. */
#include "disas.h"

#include <capstone/capstone.h>
#include <stdio.h>

unsigned arm_disas(jit_cpu *c, uint64_t pc, uint64_t flags, char *buf, size_t len)
{
    bool thumb = flags & 1;
    uint8_t code[4];
    unsigned avail = 4;
    if (!jit_debug_read(c, pc, code, 4)) {
        avail = 2;
        if (!thumb || !jit_debug_read(c, pc, code, 2)) return 0;
    }
    csh h;
    if (cs_open(CS_ARCH_ARM, thumb ? CS_MODE_THUMB : CS_MODE_ARM, &h) != CS_ERR_OK) return 0;
    cs_insn *insn = NULL;
    size_t n = cs_disasm(h, code, avail, pc, 1, &insn);
    unsigned size;
    if (n == 1) {
        snprintf(buf, len, "%-8s %s", insn->mnemonic, insn->op_str);
        size = insn->size;
        cs_free(insn, n);
    } else {
        unsigned w = thumb ? 2 : 4;
        snprintf(buf, len, ".inst 0x%0*x (undecodable)", 2 * (int)w,
                 w == 4 ? (unsigned)loom_get_le(code, 4) : (unsigned)loom_get_le(code, 2));
        size = w;
    }
    cs_close(&h);
    return size;
}
