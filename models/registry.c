/* The built-in model types, one immutable table for every simulation. */
#include "loom/loom.h"

extern const loom_model_type loom_model_ram, loom_model_rom, loom_model_container,
    loom_model_alias, loom_model_testctl, loom_model_script_master, loom_model_pl011,
    loom_model_ns16550a, loom_model_sp804, loom_model_gicv2, loom_model_pl031, loom_model_pl061,
    loom_model_cfi_flash;

const loom_model_type *const loom_builtin_models[] = {
    &loom_model_ram,      &loom_model_rom,   &loom_model_container,     &loom_model_alias,
    &loom_model_testctl,  &loom_model_script_master, &loom_model_pl011, &loom_model_ns16550a,
    &loom_model_sp804,    &loom_model_gicv2, &loom_model_pl031, &loom_model_pl061,
    &loom_model_cfi_flash, &loom_cpu_model_type,
};
const size_t loom_builtin_model_count = sizeof loom_builtin_models / sizeof *loom_builtin_models;
