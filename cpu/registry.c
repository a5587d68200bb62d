/* The built-in guest architectures. Each guest adds itself here. */
#include "loom/cpu.h"

#include "arm/arm.h"

const loom_arch *const loom_builtin_archs[] = {&arm_arch};
const size_t loom_builtin_arch_count = sizeof loom_builtin_archs / sizeof *loom_builtin_archs;
