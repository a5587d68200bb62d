/* MMIO from guest code to a device: reads the PL011's flag register (in
 * examples/systemc/hello_top.cpp, Loom's PL011 through loom::Model) N
 * times, then ends the run. Every read is one b_transport. */
#include "../../examples/arm/virt.h"

#define READS 2000000u

void main_(void)
{
    uint32_t acc = 0;
    for (uint32_t i = 0; i < READS; i++) acc += rd(UART0 + UARTFR);
    uart_init();
    print(acc ? "mmio: nonzero\n" : "mmio: done\n");
    pass();
}
