/* Bare-metal hello for yaml-platforms/arm-virt.yaml (QEMU's virt map):
 * prints through the PL011 and ends the run through the test-control
 * device, which `loom run` turns into its exit status. Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -Wl,-Ttext=0x40000000 -Wl,-e,start -o hello.elf hello.c
 * Run:
 *   loom run yaml-platforms/arm-virt.yaml --firmware hello.elf
 * An ELF firmware starts the CPU at its entry, in RAM; the stack is the
 * top of the first megabyte of RAM. */
#include <stdint.h>

#define UART0 0x09000000u /* PL011 */
#define TESTCTL 0x090c0000u

enum { UARTDR = 0x00, UARTFR = 0x18, UARTCR = 0x30 };
enum { FR_TXFF = 1u << 5, CR_UARTEN = 1u << 0, CR_TXE = 1u << 8 };

static inline void wr(uint32_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline uint32_t rd(uint32_t addr) { return *(volatile uint32_t *)addr; }

static void put(char c)
{
    while (rd(UART0 + UARTFR) & FR_TXFF) continue;
    wr(UART0 + UARTDR, (uint8_t)c);
}

static void print(const char *s)
{
    while (*s) put(*s++);
}

/* The count of 1 to n, in decimal: something computed, not only copied. */
static void print_sum(unsigned n)
{
    unsigned sum = 0;
    for (unsigned k = 1; k <= n; k++) sum += k;
    char buf[12], *p = buf + sizeof buf;
    *--p = 0;
    do *--p = (char)('0' + sum % 10); while (sum /= 10);
    print(p);
}

void main_(void)
{
    wr(UART0 + UARTCR, CR_UARTEN | CR_TXE);
    print("Hello from bare metal on the virt board\n");
    print("1 + 2 + ... + 100 = ");
    print_sum(100);
    print("\n");
    wr(TESTCTL, 0x5555); /* pass: exit status 0 */
    for (;;) continue;
}

__attribute__((naked, noreturn)) void start(void)
{
    __asm__ volatile("ldr sp, =0x40100000\n"
                     "bl main_\n"
                     "b .\n");
}
