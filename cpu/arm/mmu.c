/* The ARMv7-A MMU, stage 1 (ARM ARM DDI 0406C B3): the short-descriptor
 * translation tables (sections, supersections, large and small pages,
 * domains, access permissions, XN and PXN) and the long-descriptor format
 * of the Large Physical Address Extension, and the fault status codes each
 * reports. The soft TLB caches what a walk grants, per MMU index (PL1 and
 * PL0); CP15 writes that change translation flush it. */
#include "arm.h"

/* jit_fault.kind of a fault the walk found; info holds the FSR value. */
enum { ARM_FAULT_MMU = 16 };

/* Permission bits the JIT's TLB uses. */
enum { P_R = 1, P_W = 2, P_X = 4 };

#define SCTLR_M (1u << 0)
#define SCTLR_WXN (1u << 19)
#define SCTLR_AFE (1u << 29)
#define TTBCR_EAE (1u << 31)
#define FSR_LPAE (1u << 9)

static bool read_desc(arm_state *s, uint64_t pa, unsigned len, uint64_t *v)
{
    uint8_t b[8];
    if (loom_bus_debug_read(s->jc.bus, pa, b, len)) return false;
    *v = loom_get_le(b, len);
    return true;
}

/* The outcome of a walk: where and what the access may do, or the status
 * of its fault. */
typedef struct walk {
    uint64_t pa;
    unsigned prot;
    uint32_t fsr;       /* on a fault */
    uint32_t perm_fsr;  /* the status a permission fault at this entry has */
} walk;

static bool fault(walk *w, uint32_t fsr)
{
    w->fsr = fsr;
    return false;
}

/* Short-descriptor status: FS[4] at bit 10, FS[3:0] at 3:0, domain at 7:4. */
static uint32_t short_fsr(unsigned fs, unsigned domain) { return (fs & 0x10) << 6 | (fs & 0xf) | domain << 4; }

/* AP[2:0] (short) to rights; with SCTLR.AFE AP[0] is the access flag and
 * AP[2:1] the simplified model, the same as the long format's AP[2:1]. */
static unsigned simple_ap(unsigned ap21, bool pl0)
{
    switch (ap21 & 3) {
    case 0: return pl0 ? 0 : P_R | P_W;
    case 1: return P_R | P_W;
    case 2: return pl0 ? 0 : P_R;
    default: return P_R;
    }
}

static unsigned full_ap(unsigned ap, bool pl0)
{
    switch (ap & 7) {
    case 1: return pl0 ? 0 : P_R | P_W;
    case 2: return pl0 ? P_R : P_R | P_W;
    case 3: return P_R | P_W;
    case 5: return pl0 ? 0 : P_R;
    case 6: case 7: return P_R;
    default: return 0; /* 0 no access, 4 reserved */
    }
}

static unsigned with_exec(const arm_state *s, unsigned rw, bool xn, bool pxn, bool pl0)
{
    bool x = (rw & P_R) && !xn && !(pxn && !pl0);
    if ((s->sctlr & SCTLR_WXN) && (rw & P_W)) x = false;
    return rw | (x ? P_X : 0);
}

static bool walk_short(arm_state *s, uint32_t va, bool pl0, walk *w)
{
    unsigned n = s->ttbcr & 7;
    uint64_t l1addr, l1, l2;
    if (n && (va >> (32 - n))) {
        if (s->ttbcr & (1u << 5)) return fault(w, short_fsr(0x05, 0)); /* PD1 */
        l1addr = ((uint32_t)s->ttbr1 & 0xffffc000u) | (va >> 20) << 2;
    } else {
        if (s->ttbcr & (1u << 4)) return fault(w, short_fsr(0x05, 0)); /* PD0 */
        l1addr = ((uint32_t)s->ttbr0 & ~((1u << (14 - n)) - 1)) | ((va << n) >> (n + 20)) << 2;
    }
    if (!read_desc(s, l1addr, 4, &l1)) return fault(w, short_fsr(0x0c, 0)); /* external abort on walk, L1 */
    unsigned domain, ap;
    bool xn, pxn, page;
    switch (l1 & 3) {
    case 0: return fault(w, short_fsr(0x05, 0));
    case 1: /* a page table */
        domain = (unsigned)(l1 >> 5) & 0xf;
        pxn = l1 >> 2 & 1;
        if (!read_desc(s, (l1 & 0xfffffc00u) | ((va >> 12) & 0xff) << 2, 4, &l2))
            return fault(w, short_fsr(0x0e, domain));
        if (!(l2 & 3)) return fault(w, short_fsr(0x07, domain));
        ap = (unsigned)((l2 >> 4 & 3) | (l2 >> 9 & 1) << 2);
        if ((l2 & 3) == 1) { /* large page, 64 KiB */
            w->pa = (l2 & 0xffff0000u) | (va & 0xffffu);
            xn = l2 >> 15 & 1;
        } else {             /* small page, 4 KiB */
            w->pa = (l2 & 0xfffff000u) | (va & 0xfffu);
            xn = l2 & 1;
        }
        page = true;
        break;
    default: /* a section or supersection; bit 0 is PXN */
        pxn = l1 & 1;
        xn = l1 >> 4 & 1;
        ap = (unsigned)((l1 >> 10 & 3) | (l1 >> 15 & 1) << 2);
        if (l1 & (1u << 18)) { /* supersection, 16 MiB, extended base in 23:20 and 8:5 */
            domain = 0;
            w->pa = (l1 & 0xff000000u) | (va & 0xffffffu) | (l1 >> 20 & 0xf) << 32 | (l1 >> 5 & 0xf) << 36;
        } else {
            domain = (unsigned)(l1 >> 5) & 0xf;
            w->pa = (l1 & 0xfff00000u) | (va & 0xfffffu);
        }
        page = false;
        break;
    }
    switch (s->dacr >> (2 * domain) & 3) {
    case 3: /* manager: no permission checks */
        w->prot = P_R | P_W | P_X;
        return true;
    case 1: break;
    default: return fault(w, short_fsr(page ? 0x0b : 0x09, domain));
    }
    if ((s->sctlr & SCTLR_AFE) && !(ap & 1)) return fault(w, short_fsr(page ? 0x06 : 0x03, domain));
    unsigned rw = (s->sctlr & SCTLR_AFE) ? simple_ap(ap >> 1, pl0) : full_ap(ap, pl0);
    w->prot = with_exec(s, rw, xn, pxn, pl0);
    w->perm_fsr = short_fsr(page ? 0x0f : 0x0d, domain);
    return true;
}

/* Long descriptors (B3.6): levels 1 to 3, 1 GiB and 2 MiB blocks, 4 KiB
 * pages; status 0b0001LL translation, 0b0010LL access flag, 0b0011LL
 * permission fault at level LL. */
static bool walk_lpae(arm_state *s, uint32_t va, bool pl0, walk *w)
{
    unsigned t0sz = s->ttbcr & 7, t1sz = s->ttbcr >> 16 & 7, tsz;
    uint64_t ttbr;
    if (t0sz == 0 ? t1sz == 0 || va < (1ull << 32) - (1ull << (32 - t1sz)) : va < (1ull << (32 - t0sz))) {
        if (s->ttbcr & (1u << 7)) return fault(w, FSR_LPAE | 0x05); /* EPD0 */
        ttbr = s->ttbr0;
        tsz = t0sz;
    } else if (t1sz == 0 || va >= (1ull << 32) - (1ull << (32 - t1sz))) {
        if (s->ttbcr & (1u << 23)) return fault(w, FSR_LPAE | 0x05); /* EPD1 */
        ttbr = s->ttbr1;
        tsz = t1sz;
    } else {
        return fault(w, FSR_LPAE | 0x05);
    }
    unsigned level = tsz > 1 ? 2 : 1, start = level;
    unsigned x = level == 1 ? 5 - tsz : 14 - tsz;
    uint64_t base = ttbr & 0xffffffffffull & ~((1ull << x) - 1);
    bool xn_table = false, pxn_table = false;
    unsigned ap_table = 0;
    for (;;) {
        unsigned shift = level == 1 ? 30 : level == 2 ? 21 : 12;
        uint64_t idx = (uint64_t)va >> shift;
        idx &= level == start ? (1ull << (32 - tsz - shift)) - 1 : 0x1ff;
        uint64_t d;
        if (!read_desc(s, base + idx * 8, 8, &d)) return fault(w, FSR_LPAE | (0x14 + level));
        if (!(d & 1) || (level == 3 && !(d & 2))) return fault(w, FSR_LPAE | (0x04 + level));
        if ((d & 2) && level < 3) {
            pxn_table |= d >> 59 & 1;
            xn_table |= d >> 60 & 1;
            ap_table |= (unsigned)(d >> 61) & 3;
            base = d & 0xfffffff000ull;
            level++;
            continue;
        }
        uint64_t size = 1ull << shift;
        w->pa = (d & 0xffffffffffull & ~(size - 1)) | (va & (size - 1));
        if (!(d >> 10 & 1)) return fault(w, FSR_LPAE | (0x08 + level));
        unsigned rw = simple_ap((unsigned)(d >> 6) & 3, pl0);
        if ((ap_table & 1) && pl0) rw = 0;
        if (ap_table & 2) rw &= ~(unsigned)P_W;
        w->prot = with_exec(s, rw, (d >> 54 & 1) || xn_table, (d >> 53 & 1) || pxn_table, pl0);
        w->perm_fsr = FSR_LPAE | (0x0c + level);
        return true;
    }
}

static bool walk_va(arm_state *s, uint32_t va, bool pl0, walk *w)
{
    *w = (walk){0};
    return (s->ttbcr & TTBCR_EAE) ? walk_lpae(s, va, pl0, w) : walk_short(s, va, pl0, w);
}

bool arm_tlb_fill(jit_cpu *c, uint64_t vaddr, jit_access acc, unsigned mmu_idx, uint64_t *paddr, unsigned *prot,
                  jit_fault *f)
{
    arm_state *s = (arm_state *)c;
    if (!(s->sctlr & SCTLR_M)) return true; /* flat, everything allowed */
    walk w;
    if (!walk_va(s, (uint32_t)vaddr, mmu_idx == ARM_MMU_PL0, &w)) {
        f->kind = ARM_FAULT_MMU;
        f->info = w.fsr;
        return false;
    }
    unsigned need = acc == JIT_WRITE ? P_W : acc == JIT_FETCH ? P_X : P_R;
    if (!(w.prot & need)) {
        f->kind = ARM_FAULT_MMU;
        f->info = w.perm_fsr;
        return false;
    }
    *paddr = w.pa;
    *prot = w.prot;
    return true;
}

uint32_t arm_fault_status(const arm_state *s, const jit_fault *f)
{
    bool lpae = s->ttbcr & TTBCR_EAE;
    switch (f->kind) {
    case ARM_FAULT_MMU: return f->info;
    case JIT_FAULT_ALIGN: return lpae ? FSR_LPAE | 0x21 : 0x01;
    default: return lpae ? FSR_LPAE | 0x10 : 0x08; /* synchronous external abort */
    }
}

/* ATS1C{P,U}{R,W} (B4.2.6): PAR gets the address or the fault, in the
 * format of the current tables. */
uint64_t arm_ats1(arm_state *s, uint32_t va, bool pl0, bool write)
{
    bool lpae = s->ttbcr & TTBCR_EAE;
    walk w = {.pa = va, .prot = P_R | P_W | P_X};
    bool ok = !(s->sctlr & SCTLR_M) || walk_va(s, va, pl0, &w);
    if (ok && !(w.prot & (write ? P_W : P_R))) {
        ok = false;
        w.fsr = w.perm_fsr;
    }
    if (lpae) return ok ? (w.pa & 0xfffffff000ull) | 1u << 11 : 1u | (w.fsr & 0x3f) << 1 | 1u << 11;
    if (ok) return (uint32_t)w.pa & 0xfffff000u;
    return 1u | ((w.fsr & 0xf) | (w.fsr >> 6 & 0x10)) << 1;
}
