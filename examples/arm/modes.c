/* Processor modes on yaml-platforms/arm-virt.yaml: each mode's banked SP and
 * LR (and FIQ's r8-r12), the CPSR and SPSR as MRS and MSR see them, CPS,
 * SVC calls from User mode and back (MOVS pc, lr), an undefined instruction
 * (its LR and SPSR), the User registers through STM ^ and LDM ^, and SRS
 * and RFE. Build:
 *   arm-none-eabi-gcc -mcpu=cortex-a15 -marm -O2 -ffreestanding -nostdlib \
 *       -fno-toplevel-reorder -Wl,-Ttext=0x40000000 -Wl,-e,start -o modes.elf modes.c
 * Run:
 *   loom run yaml-platforms/arm-virt.yaml --firmware modes.elf */
#define SVC_HANDLER "svc_entry"
#define UNDEF_HANDLER "undef_entry"
#include "virt.h"

static volatile uint32_t svc_calls, undef_lr, undef_spsr, svc_spsr;
static uint32_t saved[4];

static inline uint32_t cpsr(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, cpsr" : "=r"(v));
    return v;
}

/* SVC: count, remember the caller's CPSR; SVC #1 returns to Supervisor
 * mode (the SPSR rewritten), any other to the caller's mode. */
__attribute__((naked)) void svc_entry(void)
{
    __asm__ volatile("push {r0-r2}\n"
                     "ldr r0, =svc_calls\n ldr r1, [r0]\n add r1, r1, #1\n str r1, [r0]\n"
                     "mrs r1, spsr\n ldr r0, =svc_spsr\n str r1, [r0]\n"
                     "ldr r0, [lr, #-4]\n bic r0, r0, #0xff000000\n cmp r0, #1\n"
                     "biceq r1, r1, #0x1f\n orreq r1, r1, #0x13\n msreq spsr_c, r1\n"
                     "pop {r0-r2}\n"
                     "movs pc, lr\n"
                     ".ltorg");
}

/* Undefined instruction: LR is the instruction + 4 (ARM state); skip it. */
__attribute__((naked)) void undef_entry(void)
{
    __asm__ volatile("push {r0, r1}\n"
                     "ldr r0, =undef_lr\n str lr, [r0]\n"
                     "mrs r1, spsr\n ldr r0, =undef_spsr\n str r1, [r0]\n"
                     "pop {r0, r1}\n"
                     "movs pc, lr\n"
                     ".ltorg");
}

static void show(const char *what, uint32_t v)
{
    print(what);
    print(": ");
    print_hex(v);
    print("\n");
}

/* Give each mode's SP and LR a value of its own, then read them all back
 * from Supervisor mode's point of view (through each mode again). */
static void banked_sp_lr(void)
{
    static const uint32_t modes[] = {0x11, 0x12, 0x17, 0x1b, 0x1f};
    uint32_t out[10];
    for (int i = 0; i < 5; i++) {
        uint32_t m = modes[i], v = 0x1000 * (i + 1);
        __asm__ volatile("mrs r2, cpsr\n"
                         "bic r3, r2, #0x1f\n orr r3, r3, %0\n msr cpsr_c, r3\n"
                         "mov r0, sp\n mov r1, lr\n"   /* keep the mode's own */
                         "mov sp, %1\n add lr, %1, #4\n"
                         "str sp, [%2]\n str lr, [%2, #4]\n"
                         "mov sp, r0\n mov lr, r1\n"
                         "msr cpsr_c, r2"
                         :
                         : "r"(m), "r"(v), "r"(&out[2 * i])
                         : "r0", "r1", "r2", "r3", "r8", "r9", "r10", "r11", "r12", "lr", "memory");
    }
    for (int i = 0; i < 5; i++) {
        print_hex(modes[i]);
        print(" sp/lr ");
        print_hex(out[2 * i]);
        print(" ");
        print_hex(out[2 * i + 1]);
        print("\n");
    }
}

/* FIQ mode has r8-r12 of its own. */
static void fiq_bank(void)
{
    uint32_t mine, fiqs;
    __asm__ volatile("mov r8, #0x88\n"
                     "cps #0x11\n mov r8, #0x99\n mov %1, r8\n"
                     "cps #0x13\n mov %0, r8"
                     : "=r"(mine), "=r"(fiqs)
                     :
                     : "r8", "r9", "r10", "r11", "r12", "memory");
    show("r8 in SVC after FIQ's", mine);
    show("r8 in FIQ", fiqs);
}

/* User mode, then SVC #1 back to Supervisor mode. */
static void user_round_trip(void)
{
    uint32_t in_user, cps_tried;
    __asm__ volatile("mov r0, sp\n"
                     "cps #0x1f\n mov sp, r0\n"        /* User and System share the stack */
                     "cps #0x10\n"
                     "mrs %0, cpsr\n"
                     "cps #0x13\n"                     /* a NOP in User mode */
                     "mrs %1, cpsr\n"
                     "svc #0\n"                        /* back to User mode */
                     "svc #1"                          /* back to Supervisor mode */
                     : "=r"(in_user), "=r"(cps_tried)
                     :
                     : "r0", "lr", "memory");
    show("CPSR in User mode", in_user & 0x1ff);
    show("CPSR after CPS in User mode", cps_tried & 0x1ff);
    show("SVC calls", svc_calls);
    show("SPSR of the last SVC", svc_spsr & 0x1ff);
    show("CPSR after SVC #1", cpsr() & 0x1ff);
}

static void undefined(void)
{
    uint32_t at;
    __asm__ volatile("adr %0, 1f\n"
                     "1: udf #7"
                     : "=r"(at)
                     :
                     : "memory");
    show("undefined: LR - its address", undef_lr - at);
    show("undefined: SPSR", undef_spsr & 0x1ff);
}

/* STM ^ / LDM ^: the User registers from Supervisor mode. */
static void user_registers(void)
{
    uint32_t got[2];
    __asm__ volatile("cps #0x1f\n mov r0, sp\n mov r1, lr\n"
                     "ldr sp, =0x12345678\n ldr lr, =0x9abcdef0\n"
                     "cps #0x13\n"
                     "stmia %0, {sp, lr}^\n"
                     "ldr r2, =0x0badcafe\n str r2, [%1]\n str r2, [%1, #4]\n"
                     "ldmia %1, {sp, lr}^\n"
                     "nop\n"
                     "cps #0x1f\n str sp, [%1]\n str lr, [%1, #4]\n mov sp, r0\n mov lr, r1\n cps #0x13\n"
                     "b 2f\n .ltorg\n 2:"
                     :
                     : "r"(got), "r"(saved)
                     : "r0", "r1", "r2", "lr", "memory");
    show("STM ^ User SP", got[0]);
    show("STM ^ User LR", got[1]);
    show("LDM ^ then User SP", saved[0]);
    show("LDM ^ then User LR", saved[1]);
}

/* SRS stores LR and SPSR on the System mode stack; RFE returns through
 * them, here to the label with the SPSR's mode (Supervisor). */
static void srs_rfe(void)
{
    uint32_t after, sp_before, sp_after;
    __asm__ volatile("cps #0x1f\n mov %1, sp\n cps #0x13\n"
                     "mrs r0, cpsr\n msr spsr_cxsf, r0\n"
                     "adr lr, 1f\n"
                     "srsdb sp!, #0x1f\n"
                     "cps #0x1f\n"
                     "rfeia sp!\n"
                     "nop\n"
                     "1: mrs %0, cpsr\n"
                     "cps #0x1f\n mov %2, sp\n cps #0x13"
                     : "=r"(after), "=r"(sp_before), "=r"(sp_after)
                     :
                     : "r0", "lr", "memory");
    show("after RFE", after & 0x1ff);
    show("System SP back where it was", sp_after - sp_before);
}

void main_(void)
{
    uart_init();
    show("CPSR at start", cpsr() & 0x1ff);
    banked_sp_lr();
    fiq_bank();
    user_round_trip();
    undefined();
    user_registers();
    srs_rfe();
    pass();
}
