/* Semihosting on yaml-platforms/arm-virt.yaml: the program asks the host
 * (Loom, or QEMU with -semihosting) to print, to write a file and read it
 * back, for the time, and finally to end the run with exit status 0.
 * Run with semihosting on:
 *   loom run yaml-platforms/arm-virt.yaml --semihosting --firmware semihost.elf
 * Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0x40000000 -Wl,-e,start -o semihost.elf semihost.c */
#include "virt.h"

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06,
       SYS_FLEN = 0x0C, SYS_REMOVE = 0x0E, SYS_CLOCK = 0x10, SYS_EXIT = 0x18 };

/* The A32 semihosting call: SVC 0x123456, operation in r0, block in r1. */
static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static uint32_t length(const char *s)
{
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

static void say(const char *s) { semihost(SYS_WRITE0, s); }

static void say_number(uint32_t v)
{
    char buf[12], *p = buf + sizeof buf;
    *--p = 0;
    do *--p = (char)('0' + v % 10); while (v /= 10);
    say(p);
}

void main_(void)
{
    say("semihosting: hello from the guest\n");
    static const char name[] = "semihost-test.txt", text[] = "written by the guest, read back\n";
    uint32_t open_w[3] = {(uint32_t)name, 4 /* "w" */, length(name)};
    uint32_t h = semihost(SYS_OPEN, open_w);
    uint32_t wr_[3] = {h, (uint32_t)text, length(text)};
    uint32_t left = semihost(SYS_WRITE, wr_);
    semihost(SYS_CLOSE, &h);
    uint32_t open_r[3] = {(uint32_t)name, 0 /* "r" */, length(name)};
    h = semihost(SYS_OPEN, open_r);
    uint32_t size = semihost(SYS_FLEN, &h);
    static char back[64];
    uint32_t rd_[3] = {h, (uint32_t)back, sizeof back - 1};
    uint32_t unread = semihost(SYS_READ, rd_);
    semihost(SYS_CLOSE, &h);
    uint32_t rm[2] = {(uint32_t)name, length(name)};
    uint32_t removed = semihost(SYS_REMOVE, rm);
    say("wrote with ");
    say_number(left);
    say(" bytes left; the file has ");
    say_number(size);
    say(" bytes; read ");
    say_number(sizeof back - 1 - unread);
    say(": ");
    say(back);
    say(removed == 0 ? "removed it\n" : "could not remove it\n");
    uint32_t t0 = semihost(SYS_CLOCK, 0);
    say(t0 < 100 ? "the clock starts near zero\n" : "the clock is late\n");
    semihost(SYS_EXIT, (const void *)0x20026); /* ADP_Stopped_ApplicationExit */
}
