/* The trivial guest for startup time: it exits in its first three
 * instructions, with no C library, so its run time is the engine's own
 * start and stop. Built with -nostdlib -static. */
#if defined(__arm__)
__asm__(".text\n.global _start\n"
#if defined(__thumb__)
        ".thumb_func\n"
#endif
        ".type _start, %function\n"
        "_start:\n mov r0, #0\n mov r7, #1\n svc #0\n"); /* exit(0) */
#elif defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n mov $60, %eax\n xor %edi, %edi\n syscall\n"); /* exit(0) */
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n mov x0, #0\n mov x8, #93\n svc #0\n"); /* exit(0) */
#else
#error "startup.c: no _start for this architecture; add one"
#endif
