/* Timer interrupts through the GIC on yaml-platforms/arm-virt.yaml: the
 * CPU's generic timer (the physical one, PPI 30) interrupts every
 * millisecond of simulated time; the IRQ handler acknowledges it at the
 * GIC's CPU interface, counts it and sets the next one; main_ waits with
 * WFI between them. Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0x40000000 -Wl,-e,start -o timer.elf timer.c
 * Run:
 *   loom run yaml-platforms/arm-virt.yaml --firmware timer.elf */
#define IRQ_HANDLER "irq_handler"
#include "virt.h"

#define GICD 0x08000000u /* distributor */
#define GICC 0x08010000u /* CPU interface */
enum { GICD_CTLR = 0x000, GICD_ISENABLER = 0x100, GICD_IPRIORITYR = 0x400 };
enum { GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_IAR = 0x0c, GICC_EOIR = 0x10 };
#define TIMER_PPI 30u
#define TICKS 10u

static volatile unsigned ticks, spurious;
static uint32_t period; /* counter ticks in a millisecond */

static inline uint32_t cntfrq(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(v));
    return v;
}
static inline uint64_t cntpct(void)
{
    uint64_t v;
    __asm__ volatile("isb\n mrrc p15, 0, %Q0, %R0, c14" : "=r"(v));
    return v;
}
static inline void cntp_tval(uint32_t v) { __asm__ volatile("mcr p15, 0, %0, c14, c2, 0\n isb" ::"r"(v)); }
static inline void cntp_ctl(uint32_t v) { __asm__ volatile("mcr p15, 0, %0, c14, c2, 1\n isb" ::"r"(v)); }

void __attribute__((interrupt("IRQ"))) irq_handler(void)
{
    uint32_t iar = rd(GICC + GICC_IAR), id = iar & 0x3ff;
    if (id == TIMER_PPI) {
        ticks++;
        if (ticks < TICKS) cntp_tval(period);
        else cntp_ctl(0); /* enough: the timer off */
    } else {
        spurious++;
    }
    if (id < 1020) wr(GICC + GICC_EOIR, iar);
}

void main_(void)
{
    uart_init();
    uint32_t hz = cntfrq();
    period = hz / 1000;
    print("counter frequency: ");
    print_dec(hz);
    print(" Hz\n");
    /* The GIC: PPI 30 enabled at priority 0xa0, every priority let through. */
    wr(GICD + GICD_ISENABLER, 1u << TIMER_PPI);
    wr(GICD + GICD_IPRIORITYR + TIMER_PPI, 0xa0);
    wr(GICD + GICD_CTLR, 1);
    wr(GICC + GICC_PMR, 0xff);
    wr(GICC + GICC_CTLR, 1);
    uint64_t t0 = cntpct();
    cntp_tval(period);
    cntp_ctl(1); /* enabled, not masked */
    __asm__ volatile("cpsie i");
    while (ticks < TICKS) __asm__ volatile("wfi");
    __asm__ volatile("cpsid i");
    uint64_t elapsed = cntpct() - t0;
    print("timer interrupts: ");
    print_dec(ticks);
    print(", other interrupts: ");
    print_dec(spurious);
    print("\n");
    /* Ten periods at least went by, and not ten times that. */
    print(elapsed >= (uint64_t)TICKS * period && elapsed < (uint64_t)TICKS * 10 * period
              ? "elapsed time: as programmed\n" : "elapsed time: WRONG\n");
    pass();
}
