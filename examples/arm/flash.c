/* The second flash bank of yaml-platforms/arm-virt.yaml (QEMU virt's
 * pflash: two x16 CFI devices on a 32-bit bus), driven as a flash driver
 * does: the CFI query, the identifier, a block erase, a word program and a
 * buffered program, each checked in read-array mode. Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0x40000000 -Wl,-e,start -o flash.elf flash.c */
#include "virt.h"

#define FLASH1 0x04000000u
#define SECTOR 0x40000u /* 256 KiB across the bus */

/* A command to both devices. */
static void cmd(uint32_t off, uint8_t c) { wr(FLASH1 + off, (uint32_t)c * 0x00010001u); }
/* A byte of the CFI table (device word n), as a driver reads it. */
static uint8_t cfi(unsigned n) { return *(volatile uint8_t *)(FLASH1 + n * 4); }

static void show(const char *what, uint32_t v)
{
    print(what);
    print(" ");
    print_hex(v);
    print("\n");
}

void main_(void)
{
    uart_init();
    cmd(0x55 * 4, 0x98);
    char qry[4] = {(char)cfi(0x10), (char)cfi(0x11), (char)cfi(0x12), 0};
    print("CFI query: ");
    print(qry);
    print("\n");
    show("command set", cfi(0x13) | cfi(0x14) << 8);
    show("device size 2^n", cfi(0x27));
    show("erase regions", cfi(0x2C));
    show("region blocks-1", cfi(0x2D) | cfi(0x2E) << 8);
    show("region block/256", cfi(0x2F) | cfi(0x30) << 8);
    cmd(0, 0xFF);
    cmd(0, 0x90);
    show("manufacturer, device", rd(FLASH1) << 16 | (rd(FLASH1 + 4) & 0xFFFF));
    cmd(0, 0xFF);

    /* Erase the second block, program a word and four by the buffer. */
    cmd(SECTOR, 0x20);
    cmd(SECTOR, 0xD0);
    show("status after erase", rd(FLASH1 + SECTOR));
    cmd(SECTOR, 0xFF);
    show("erased", rd(FLASH1 + SECTOR + 0x10));
    cmd(SECTOR, 0x40);
    wr(FLASH1 + SECTOR + 0x10, 0x12345678);
    show("status after program", rd(FLASH1 + SECTOR));
    cmd(SECTOR, 0xFF);
    show("programmed", rd(FLASH1 + SECTOR + 0x10));
    cmd(SECTOR, 0xE8);
    wr(FLASH1 + SECTOR, 0x00030003); /* four words */
    for (uint32_t k = 0; k < 4; k++) wr(FLASH1 + SECTOR + 0x100 + 4 * k, 0xC0DE0000 | k);
    cmd(SECTOR, 0xD0);
    cmd(SECTOR, 0xFF);
    uint32_t sum = 0;
    for (uint32_t k = 0; k < 4; k++) sum += rd(FLASH1 + SECTOR + 0x100 + 4 * k);
    show("buffered words sum", sum);
    show("after them", rd(FLASH1 + SECTOR + 0x110));
    pass();
}
