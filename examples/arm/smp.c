/* Two CPUs on yaml-platforms/arm-virt-2cpu.yaml: CPU 0 starts CPU 1 through
 * PSCI CPU_ON (HVC), both add 1 to a shared counter with LDREX/STREX a
 * known number of times, and they tell each other they are done with
 * software-generated interrupts through the GIC; CPU 0 checks the counts.
 * Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0x40000000 -Wl,-e,start -o smp.elf smp.c
 * Run (QEMU: -smp 2):
 *   loom run yaml-platforms/arm-virt-2cpu.yaml --firmware smp.elf */
#define IRQ_HANDLER "irq_handler"
#include "virt.h"

#define GICD 0x08000000u
#define GICC 0x08010000u
enum { GICD_CTLR = 0x000, GICD_ISENABLER = 0x100, GICD_SGIR = 0xf00 };
enum { GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_IAR = 0x0c, GICC_EOIR = 0x10 };
enum { PSCI_CPU_ON = 0x84000003u, PSCI_AFFINITY_INFO = 0x84000004u };
#define ADDS 200000u

static volatile uint32_t counter;
static volatile uint32_t sgis[2];       /* SGIs each CPU took */
static volatile uint32_t sgi_from[2];   /* and from which CPU the last came */
static volatile uint32_t cpu1_started, cpu1_done;

static inline uint32_t cpu_id(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c0, c0, 5" : "=r"(v));
    return v & 0xff;
}

static void atomic_add(volatile uint32_t *p, uint32_t n)
{
    uint32_t v, failed;
    do {
        __asm__ volatile("ldrex %0, [%2]\n"
                         "add %0, %0, %3\n"
                         "strex %1, %0, [%2]"
                         : "=&r"(v), "=&r"(failed)
                         : "r"(p), "r"(n)
                         : "memory");
    } while (failed);
}

static int32_t psci(uint32_t fn, uint32_t a, uint32_t b, uint32_t c)
{
    register uint32_t r0 __asm__("r0") = fn, r1 __asm__("r1") = a, r2 __asm__("r2") = b, r3 __asm__("r3") = c;
    __asm__ volatile(".arch_extension virt\n hvc #0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3) : "memory");
    return (int32_t)r0;
}

void __attribute__((interrupt("IRQ"))) irq_handler(void)
{
    uint32_t iar = rd(GICC + GICC_IAR), id = iar & 0x3ff, me = cpu_id();
    if (id < 16) {
        sgis[me]++;
        sgi_from[me] = iar >> 10 & 7;
    }
    if (id < 1020) wr(GICC + GICC_EOIR, iar);
}

/* Each CPU's own side of the GIC: its CPU interface, its SGIs. */
static void gic_cpu_init(void)
{
    wr(GICD + GICD_ISENABLER, 0xffff);
    wr(GICC + GICC_PMR, 0xff);
    wr(GICC + GICC_CTLR, 1);
}

static void send_sgi(uint32_t id, uint32_t cpu) { wr(GICD + GICD_SGIR, (1u << cpu) << 16 | id); }

static void secondary_main(void)
{
    __asm__ volatile("mcr p15, 0, %0, c12, c0, 0" ::"r"(start)); /* VBAR: its own */
    gic_cpu_init();
    cpu1_started = 1;
    for (uint32_t i = 0; i < ADDS; i++) atomic_add(&counter, 1);
    __asm__ volatile("dsb" ::: "memory");
    send_sgi(1, 0);
    __asm__ volatile("cpsie i");
    while (!sgis[1]) __asm__ volatile("wfi");
    cpu1_done = 1;
    for (;;) __asm__ volatile("wfi");
}

/* Where CPU_ON starts CPU 1: its stacks, then secondary_main. */
__attribute__((naked, noreturn)) static void secondary(void)
{
    __asm__ volatile("cps #0x12\n ldr sp, =0x401a0000\n"
                     "cps #0x13\n ldr sp, =0x401b0000\n"
                     "bl %c0\n"
                     ".ltorg" ::"i"(secondary_main));
}

void main_(void)
{
    uart_init();
    wr(GICD + GICD_CTLR, 1);
    gic_cpu_init();
    print("CPU ");
    print_dec(cpu_id());
    print(": CPU_ON of CPU 1 returns ");
    print_dec((uint32_t)-psci(PSCI_CPU_ON, 1, (uint32_t)secondary, 0));
    print(" (negated)\n");
    for (uint32_t i = 0; i < ADDS; i++) atomic_add(&counter, 1);
    __asm__ volatile("cpsie i");
    while (!sgis[0]) __asm__ volatile("wfi");
    send_sgi(2, 1);
    while (!cpu1_done) continue;
    print("CPU 1 started: ");
    print_dec(cpu1_started);
    print("\nCPU_ON again returns ");
    print_dec((uint32_t)-psci(PSCI_CPU_ON, 1, (uint32_t)secondary, 0));
    print(" (negated: already on)\nAFFINITY_INFO of CPU 1: ");
    print_dec((uint32_t)psci(PSCI_AFFINITY_INFO, 1, 0, 0));
    print("\ncounter: ");
    print_dec(counter);
    print(counter == 2 * ADDS ? " (2 x " : " (WRONG, not 2 x ");
    print_dec(ADDS);
    print(")\nSGIs: CPU 0 took ");
    print_dec(sgis[0]);
    print(" from CPU ");
    print_dec(sgi_from[0]);
    print(", CPU 1 took ");
    print_dec(sgis[1]);
    print(" from CPU ");
    print_dec(sgi_from[1]);
    print("\n");
    pass();
}
