/* A glibc program for `loom user arm`: printf formats, string functions and
 * a loop; exits with status 3. Built static with the Debian armhf toolchain
 * (Thumb-2 by default) and compared with qemu-arm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned checksum(const char *s)
{
    unsigned h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

int main(int argc, char **argv)
{
    char buf[64];
    const char *greeting = "hello, loom";
    printf("%s\n", greeting);
    printf("int %d neg %d hex %#x oct %o char %c\n", 42, -17, 0xbeef, 8, 'z');
    printf("long long %lld unsigned %u padded [%8s] [%-6d]\n", -1234567890123LL, 4000000000u, "pad", 7);
    printf("double %.3f %g %e\n", 3.14159, 0.0001, 12345.678);
    size_t n = strlen(greeting);
    memcpy(buf, greeting, n + 1);
    printf("strlen %zu memcpy '%s' strcmp %d %d\n", n, buf, strcmp(buf, greeting) == 0, strcmp("abc", "abd") < 0);
    unsigned long long sum = 0;
    for (int i = 1; i <= 1000; i++) sum += (unsigned long long)i * i;
    printf("sum of squares %llu checksum %08x argc %d\n", sum, checksum(buf), argc);
    snprintf(buf, sizeof buf, "%5.2f|%x|%s", 2.5, 255u, argv[0] ? "argv" : "none");
    puts(buf);
    return 3;
}
