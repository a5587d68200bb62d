/* Guest code that only touches RAM (DMI inside SystemC): a CRC-32 over a
 * buffer in RAM, many times; prints the result and ends the run. */
#include "../../examples/arm/virt.h"

static uint8_t buf[64 * 1024];

void main_(void)
{
    uint32_t seed = 1;
    for (uint32_t i = 0; i < sizeof buf; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (uint8_t)(seed >> 16);
    }
    uint32_t crc = 0xffffffffu;
    for (int round = 0; round < 500; round++)
        for (uint32_t i = 0; i < sizeof buf; i++) {
            crc ^= buf[i];
            for (int k = 0; k < 8; k++) crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
        }
    uart_init();
    print("crc ");
    print_hex(~crc);
    print("\n");
    pass();
}
