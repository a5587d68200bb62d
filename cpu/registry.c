/* The built-in guest architectures. Each guest adds itself here. */
#include "loom/cpu.h"

const loom_arch *const loom_builtin_archs[] = {NULL};
const size_t loom_builtin_arch_count = 0;
