/* CRC-32 (IEEE 802.3, reflected, table-driven one byte at a time), the
 * check every boot loader, file format and network stack computes. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 4800
#define BUF_SIZE (64u * 1024)

static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static uint8_t buf[BUF_SIZE];
    crc32_init();
    if (crc32(0, (const uint8_t *)"123456789", 9) != 0xcbf43926u) {
        fprintf(stderr, "crc32: wrong check value\n");
        return 1;
    }
    uint32_t s = 12345;
    for (size_t i = 0; i < BUF_SIZE; i++) buf[i] = (uint8_t)xorshift32(&s);

    uint32_t sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        uint32_t c = crc32(0, buf, BUF_SIZE);
        /* Packets of assorted lengths as well as one long stream. */
        for (size_t off = 0, len = 40; off + len <= BUF_SIZE; off += len, len = 40 + (len * 7 + r) % 1460)
            c ^= crc32(c, buf + off, len);
        sum = sum * 31 + c;
        buf[(sum >> 8) % BUF_SIZE] ^= (uint8_t)c;
    }
    bench_checksum_u32("crc32", sum);
    return 0;
}
