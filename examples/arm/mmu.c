/* The MMU on yaml-platforms/arm-virt.yaml: translation tables in both
 * formats, and the data aborts they raise, handled. First short
 * descriptors: 1 MiB sections mapping the board one to one, one section
 * left out, one moved, one in a domain without access, and a page table
 * with a read-only small page; then the long-descriptor (LPAE) format with
 * 1 GiB and 2 MiB blocks. The data abort handler records DFSR and DFAR and
 * skips the instruction. Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0x40000000 -Wl,-e,start -o mmu.elf mmu.c
 * Run:
 *   loom run yaml-platforms/arm-virt.yaml --firmware mmu.elf */
#define DABT_HANDLER "dabt_handler"
#include "virt.h"

#define L1 0x40100000u      /* short-descriptor first level: 16 KiB, aligned */
#define L2 0x40104000u      /* a second-level table: 1 KiB */
#define LPAE_L1 0x40108000u /* long-descriptor first level: 4 entries */
#define LPAE_L2 0x40109000u /* second level for 1 GiB at 0x40000000 */
#define DATA 0x40300000u    /* a megabyte of data the tests move around */

static volatile uint32_t aborts, last_dfsr, last_dfar;

static inline uint32_t dfsr(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(v));
    return v;
}
static inline uint32_t dfar(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(v));
    return v;
}

/* Record the abort and return past the instruction (LR_abt is its
 * address + 8; the interrupt attribute returns to LR - 4). */
void __attribute__((interrupt("ABORT"))) dabt_handler(void)
{
    aborts++;
    last_dfsr = dfsr();
    last_dfar = dfar();
}

static void cp15_write(uint32_t v, int which)
{
    switch (which) {
    case 0: __asm__ volatile("mcr p15, 0, %0, c2, c0, 0" ::"r"(v)); break;  /* TTBR0 */
    case 1: __asm__ volatile("mcr p15, 0, %0, c2, c0, 2" ::"r"(v)); break;  /* TTBCR */
    case 2: __asm__ volatile("mcr p15, 0, %0, c3, c0, 0" ::"r"(v)); break;  /* DACR */
    case 3: __asm__ volatile("mcr p15, 0, %0, c10, c2, 0" ::"r"(v)); break; /* MAIR0 */
    }
    __asm__ volatile("mcr p15, 0, %0, c8, c7, 0\n dsb\n isb" ::"r"(0)); /* TLBIALL */
}

static void sctlr_m(int on)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(v));
    v = on ? v | 1 : v & ~1u;
    __asm__ volatile("mcr p15, 0, %0, c1, c0, 0\n isb" ::"r"(v));
}

static uint32_t load(uint32_t addr) { return *(volatile uint32_t *)addr; }
static void store(uint32_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

/* One access that should abort: the status and address it reports. */
static void expect_abort(const char *what, uint32_t addr, int write)
{
    uint32_t before = aborts;
    if (write) store(addr, 0x1234);
    else (void)load(addr);
    print(what);
    if (aborts != before + 1) {
        print(": no abort\n");
        return;
    }
    print(": DFSR ");
    print_hex(last_dfsr);
    print(" DFAR ");
    print_hex(last_dfar);
    print("\n");
}

static void check(const char *what, int ok)
{
    print(what);
    print(ok ? ": ok\n" : ": WRONG\n");
}

/* Short descriptors (B3.5): a section is base | AP[1:0] << 10 | domain <<
 * 5 | 0b10; AP = 0b11 full access. Devices (below 1 GiB) are XN. */
static void short_descriptors(void)
{
    volatile uint32_t *l1 = (uint32_t *)L1, *l2 = (uint32_t *)L2;
    for (uint32_t i = 0; i < 4096; i++) l1[i] = i << 20 | 3u << 10 | (i < 0x400 ? 1u << 4 : 0) | 2;
    l1[0x480] = 0;                                        /* 0x48000000: no translation */
    l1[0x500] = DATA | 3u << 10 | 2;                      /* 0x50000000 -> DATA */
    l1[0x510] = 0x45100000u | 3u << 10 | 1u << 5 | 2;     /* domain 1, which has no access */
    l1[0x520] = L2 | 1;                                   /* a page table, domain 0 */
    for (uint32_t i = 0; i < 256; i++)                    /* small pages onto DATA: read-write */
        l2[i] = (DATA + (i << 12)) | 3u << 4 | 2;
    l2[1] = (DATA + 0x1000) | 1u << 9 | 1u << 4 | 2;      /* AP = 0b101: read-only at PL1 */
    store(DATA, 0xcafe0001);
    store(DATA + 0x1000, 0xcafe0002);
    cp15_write(0, 1);            /* TTBCR: short descriptors, TTBR0 only */
    cp15_write(L1, 0);
    cp15_write(0x1, 2);          /* domain 0 client, domain 1 no access */
    sctlr_m(1);
    print("short descriptors, MMU on\n");
    check("section moved", load(0x50000000) == 0xcafe0001);
    check("small page", load(0x52001000) == 0xcafe0002);
    store(0x50000004, 0x55);
    check("store through the moved section", load(DATA + 4) == 0x55);
    expect_abort("read of an unmapped section", 0x48000010, 0);
    expect_abort("write to a read-only page", 0x52001008, 1);
    expect_abort("read in a no-access domain", 0x51000020, 0);
    cp15_write(0x3 << 2 | 1, 2); /* domain 1 manager: no checks */
    check("domain 1 as manager", load(0x51000020) == load(0x45100020));
    sctlr_m(0);
}

/* Long descriptors (B3.6): TTBCR.EAE; a block is base | AF | AP[2:1] << 6
 * | AttrIndx << 2 | 0b01, a table 0b11. */
static void long_descriptors(void)
{
    volatile uint64_t *l1 = (uint64_t *)LPAE_L1, *l2 = (uint64_t *)LPAE_L2;
    const uint64_t af = 1u << 10, dev = 1u << 2 | 1ull << 54 /* Attr1, XN */;
    l1[0] = 0x00000000u | af | dev | 1;      /* 1 GiB of devices */
    l1[1] = LPAE_L2 | 3;                     /* RAM through 2 MiB blocks */
    l1[2] = 0;
    l1[3] = 0;
    for (uint32_t i = 0; i < 512; i++) l2[i] = (0x40000000u + (i << 21)) | af | 1;
    l2[0x40] = 0;                                         /* 0x48000000: no translation */
    l2[0x41] = (0x40000000u + (0x41u << 21)) | 1;         /* access flag clear */
    l2[0x42] = (0x40000000u + (0x42u << 21)) | af | 2u << 6 | 1; /* read-only at PL1 */
    cp15_write(0xff00, 3);       /* MAIR0: Attr0 normal, Attr1 device */
    cp15_write(LPAE_L1, 0);      /* TTBR0 (low word; the high word is 0 after reset) */
    cp15_write(1u << 31, 1);     /* TTBCR.EAE, T0SZ = 0 */
    sctlr_m(1);
    print("long descriptors, MMU on\n");
    check("RAM through a 2 MiB block", load(DATA) == 0xcafe0001);
    expect_abort("read without a translation", 0x48000000, 0);
    expect_abort("read with the access flag clear", 0x48200004, 0);
    expect_abort("write to a read-only block", 0x48400008, 1);
    expect_abort("read above the tables", 0x80000000, 0);
    sctlr_m(0);
    cp15_write(0, 1);
}

void main_(void)
{
    uart_init();
    short_descriptors();
    long_descriptors();
    print("data aborts handled: ");
    print_hex(aborts);
    print("\n");
    pass();
}
