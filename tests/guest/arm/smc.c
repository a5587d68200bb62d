/* Self-modifying code in ARM state: a function written into an executable
 * mapping is called, rewritten and called again. The rewrites come as an
 * aligned word store, as byte stores, as a store-multiple, and as an
 * unaligned word store that starts on the page before the code and ends
 * in it. Each call must run the code as it is now. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096u

typedef int (*fn)(void);

static uint32_t mov_r0(uint32_t imm8) { return 0xe3a00000u | imm8; } /* MOV r0, #imm8 */
static const uint32_t bx_lr = 0xe12fff1eu;

static int call(uint32_t *code)
{
    __builtin___clear_cache((char *)code, (char *)(code + 2));
    return ((fn)(uintptr_t)code)();
}

/* STR of a word at an address that need not be aligned. */
static void store_word(void *p, uint32_t v)
{
    __asm__ volatile("str %1, [%0]" : : "r"(p), "r"(v) : "memory");
}

int main(void)
{
    uint8_t *map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    uint32_t *code = (uint32_t *)(map + PAGE); /* the second page */
    code[0] = mov_r0(1);
    code[1] = bx_lr;
    printf("first: %d\n", call(code));
    printf("again: %d\n", call(code));

    code[0] = mov_r0(2);
    printf("word store: %d\n", call(code));

    ((volatile uint8_t *)code)[0] = 3; /* the immediate is the low byte */
    printf("byte store: %d\n", call(code));

    uint32_t two[2] = {mov_r0(4), bx_lr};
    __asm__ volatile("ldm %0, {r2, r3}\n\tstm %1, {r2, r3}" : : "r"(two), "r"(code) : "r2", "r3", "memory");
    printf("store-multiple: %d\n", call(code));

    /* Bytes PAGE-2 .. PAGE+1: the last two of the first page (data) and
     * the low half of the instruction (immediate 5, rotation 0). */
    store_word(map + PAGE - 2, 0x0005beefu);
    printf("crossing store: %d (data 0x%02x%02x)\n", call(code), map[PAGE - 1], map[PAGE - 2]);

    /* A loop calling code it rewrites each time round. */
    int sum = 0;
    for (uint32_t k = 0; k < 50; k++) {
        code[0] = mov_r0(k);
        sum += call(code);
    }
    printf("loop: %d\n", sum);
    return 0;
}
