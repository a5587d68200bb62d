/* Bare-metal firmware for yaml-platforms/arm-virt.yaml that runs from flash,
 * as U-Boot does: it finds the board's device tree at the start of RAM,
 * where the board (firmware: dtb:) and QEMU's -bios put it, checks its
 * header and lists the devices it names. Build a raw flash image:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0 -Wl,-e,start -o fdt.elf fdt.c
 *   arm-none-eabi-objcopy -O binary fdt.elf fdt.bin
 * Run:
 *   loom run yaml-platforms/arm-virt.yaml --firmware fdt.bin */
#include "virt.h"

/* Flattened device tree tokens and header fields (big-endian words). */
enum { FDT_MAGIC = 0xd00dfeed, FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9 };

static uint32_t be32(uint32_t addr)
{
    const volatile uint8_t *p = (const volatile uint8_t *)addr;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int same(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* The devices firmware for this board looks for. */
static const char *const wanted[] = {"intc@8000000", "pl011@9000000", "pl031@9010000", "pl061@9030000",
                                     "memory@40000000", "flash@0", "chosen", 0};

void main_(void)
{
    uart_init();
    uint32_t magic = be32(RAM), size = be32(RAM + 4), structs = be32(RAM + 8);
    print("device tree magic ");
    print_hex(magic);
    print(magic == FDT_MAGIC ? " (good)\n" : " (bad)\n");
    if (magic != FDT_MAGIC || size > 0x100000) pass();
    /* Walk the structure block; report the wanted nodes under the root. */
    uint32_t at = RAM + structs;
    int depth = 0;
    int found[sizeof wanted / sizeof *wanted] = {0};
    for (;;) {
        uint32_t tok = be32(at);
        at += 4;
        if (tok == FDT_BEGIN_NODE) {
            const char *name = (const char *)at;
            if (++depth == 2)
                for (int k = 0; wanted[k]; k++) found[k] |= same(name, wanted[k]);
            uint32_t len = 0;
            while (name[len]) len++;
            at += (len + 4) & ~3u;
        } else if (tok == FDT_END_NODE) {
            depth--;
        } else if (tok == FDT_PROP) {
            uint32_t len = be32(at);
            at += 8 + ((len + 3) & ~3u);
        } else if (tok != FDT_NOP) {
            break; /* FDT_END, or something wrong */
        }
    }
    /* In this order, whatever the tree's. */
    for (int k = 0; wanted[k]; k++) {
        print(found[k] ? "found /" : "missing /");
        print(wanted[k]);
        print("\n");
    }
    pass();
}
