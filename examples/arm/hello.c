/* Bare-metal hello for yaml-platforms/arm-virt.yaml: prints through the
 * PL011 and ends the run through the test-control device, which `loom run`
 * turns into its exit status. Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0x40000000 -Wl,-e,start -o hello.elf hello.c
 * Run:
 *   loom run yaml-platforms/arm-virt.yaml --firmware hello.elf
 * An ELF firmware starts the CPU at its entry, in RAM. */
#include "virt.h"

/* The sum of 1 to n, in decimal: something computed, not only copied. */
static void print_sum(unsigned n)
{
    unsigned sum = 0;
    for (unsigned k = 1; k <= n; k++) sum += k;
    print_dec(sum);
}

void main_(void)
{
    uart_init();
    print("Hello from bare metal on the virt board\n");
    print("1 + 2 + ... + 100 = ");
    print_sum(100);
    print("\n");
    pass();
}
