/* What the bare-metal examples share on yaml-platforms/arm-virt.yaml (QEMU's
 * virt memory map): the PL011 console and the test-control device that ends
 * the run, and the entry that sets a stack and calls main_. */
#ifndef EXAMPLES_ARM_VIRT_H
#define EXAMPLES_ARM_VIRT_H

#include <stdint.h>

void main_(void);

/* Exception handlers: an example that has one names it before including
 * this file (#define IRQ_HANDLER "irq_handler"; GCC's interrupt attribute
 * gives it the right entry and return). The others stop where they are, as
 * a branch to itself. */
#ifndef UNDEF_HANDLER
#define UNDEF_HANDLER "hang"
#endif
#ifndef SVC_HANDLER
#define SVC_HANDLER "hang"
#endif
#ifndef PABT_HANDLER
#define PABT_HANDLER "hang"
#endif
#ifndef DABT_HANDLER
#define DABT_HANDLER "hang"
#endif
#ifndef IRQ_HANDLER
#define IRQ_HANDLER "hang"
#endif
#ifndef FIQ_HANDLER
#define FIQ_HANDLER "hang"
#endif

/* The entry: first in the file, so that with -fno-toplevel-reorder it is
 * the first code of a flash image, where at address 0 it is the vector
 * table (VBAR points at it wherever it is). Each mode with a handler gets
 * its own stack below the top of RAM's second megabyte, then main_ runs in
 * Supervisor mode. */
__attribute__((naked, noreturn)) void start(void)
{
    __asm__ volatile("b 1f\n"
                     "ldr pc, =" UNDEF_HANDLER "\n"
                     "ldr pc, =" SVC_HANDLER "\n"
                     "ldr pc, =" PABT_HANDLER "\n"
                     "ldr pc, =" DABT_HANDLER "\n"
                     "b .\n"
                     "ldr pc, =" IRQ_HANDLER "\n"
                     "ldr pc, =" FIQ_HANDLER "\n"
                     "1: adr r0, start\n"
                     "mcr p15, 0, r0, c12, c0, 0\n" /* VBAR */
                     "cps #0x12\n ldr sp, =0x401f0000\n" /* IRQ */
                     "cps #0x17\n ldr sp, =0x401e0000\n" /* Abort */
                     "cps #0x1b\n ldr sp, =0x401d0000\n" /* Undefined */
                     "cps #0x13\n ldr sp, =0x40200000\n" /* Supervisor */
                     "bl main_\n"
                     "hang: b hang\n"
                     ".ltorg\n");
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

static inline void print_dec(uint32_t v)
{
    char buf[12], *p = buf + sizeof buf;
    *--p = 0;
    do *--p = (char)('0' + v % 10); while (v /= 10);
    print(p);
}

/* Ends the run: status 0 (QEMU's virt has no such device: there the
 * program stops at this write). */
static inline void pass(void)
{
    wr(TESTCTL, 0x5555);
    for (;;) continue;
}

#endif
