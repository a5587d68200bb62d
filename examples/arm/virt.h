/* What the bare-metal examples share on yaml-platforms/arm-virt.yaml (QEMU's
 * virt memory map): the PL011 console and the test-control device that ends
 * the run, and the entry that sets a stack and calls main_. */
#ifndef EXAMPLES_ARM_VIRT_H
#define EXAMPLES_ARM_VIRT_H

#include <stdint.h>

void main_(void);

/* The entry: a stack at the top of RAM's second megabyte, then main_.
 * First in the file, so that with -fno-toplevel-reorder it is the first
 * code of a flash image: at address 0 it is the vector table, each
 * exception but reset a branch to itself (where QEMU's virt, which has no
 * test-control device, stops after the abort that write makes). */
__attribute__((naked, noreturn)) void start(void)
{
    __asm__ volatile("b 1f\n"
                     "b .\n" /* undefined instruction */
                     "b .\n" /* supervisor call */
                     "b .\n" /* prefetch abort */
                     "b .\n" /* data abort */
                     "b .\n"
                     "b .\n" /* IRQ */
                     "b .\n" /* FIQ */
                     "1: ldr sp, =0x40200000\n"
                     "bl main_\n"
                     "b .\n");
}

#define UART0 0x09000000u /* PL011 */
#define TESTCTL 0x090c0000u
#define RAM 0x40000000u

enum { UARTDR = 0x00, UARTFR = 0x18, UARTCR = 0x30 };
enum { FR_TXFF = 1u << 5, CR_UARTEN = 1u << 0, CR_TXE = 1u << 8 };

static inline void wr(uint32_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline uint32_t rd(uint32_t addr) { return *(volatile uint32_t *)addr; }

static inline void uart_init(void) { wr(UART0 + UARTCR, CR_UARTEN | CR_TXE); }

static inline void put(char c)
{
    while (rd(UART0 + UARTFR) & FR_TXFF) continue;
    wr(UART0 + UARTDR, (uint8_t)c);
}

static inline void print(const char *s)
{
    while (*s) put(*s++);
}

static inline void print_hex(uint32_t v)
{
    for (int k = 28; k >= 0; k -= 4) put("0123456789abcdef"[v >> k & 0xf]);
}

/* Ends the run: status 0 (QEMU's virt has no such device: there the
 * program stops at this write). */
static inline void pass(void)
{
    wr(TESTCTL, 0x5555);
    for (;;) continue;
}

#endif
