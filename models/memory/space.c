/* Address-space building blocks for boards: a container (a sub-space that
 * devices map into, as behind a bridge) and an alias (a window onto part of
 * another space, as boot ROM aliases are). */
#include <inttypes.h>
#include <string.h>

#include "loom/loom.h"

typedef struct container {
    loom_bus *bus;
    loom_region *region;
} container;

static loom_err container_init(loom_inst *inst, void *state)
{
    container *c = state;
    loom_sim *sim = loom_inst_sim(inst);
    uint64_t size = loom_inst_prop_u64(inst, "size");
    if (!size) return loom_inst_error(inst, LOOM_E_CONFIG, "size must not be 0");
    loom_err e = loom_bus_new(sim, loom_inst_name(inst), size, &c->bus);
    if (!e) e = loom_region_new_container(sim, loom_inst_name(inst), size, c->bus, &c->region);
    if (!e) e = loom_inst_offer_region(inst, "regs", c->region);
    return e;
}

/* The space inside a container instance, or NULL if inst is not one. */
loom_bus *loom_container_bus(const loom_inst *inst)
{
    if (strcmp(loom_inst_type(inst)->name, "container")) return NULL;
    return ((container *)loom_inst_state(inst))->bus;
}

static const loom_prop_def container_props[] = {
    {"size", LOOM_PROP_SIZE, NULL, "size of the sub-space", NULL},
};

const loom_model_type loom_model_container = {
    .name = "container",
    .kind = "memory",
    .doc = "a sub-space that devices map into with 'on:' (a bus behind a bridge)",
    .props = container_props,
    .nprops = 1,
    .state_size = sizeof(container),
    .init = container_init,
};

typedef struct alias {
    loom_region *region;
} alias;

static loom_err alias_init(loom_inst *inst, void *state)
{
    alias *a = state;
    loom_sim *sim = loom_inst_sim(inst);
    const char *target = loom_inst_prop_str(inst, "target");
    loom_bus *bus = NULL;
    if (!strcmp(target, "memory")) {
        bus = loom_sim_memory(sim);
    } else if (!strcmp(target, "io")) {
        bus = loom_sim_io(sim);
    } else {
        loom_inst *t = loom_sim_find_inst(sim, target);
        if (!t)
            return loom_inst_error(inst, LOOM_E_CONFIG,
                                   "target '%s' is not an address space: expected memory, io or "
                                   "the name of a container",
                                   target);
        bus = loom_container_bus(t);
        if (!bus)
            return loom_inst_error(inst, LOOM_E_CONFIG,
                                   "target '%s' is a %s, not a container; alias a window of "
                                   "'memory' at its address instead",
                                   target, loom_inst_type(t)->name);
    }
    uint64_t size = loom_inst_prop_u64(inst, "size");
    if (!size) return loom_inst_error(inst, LOOM_E_CONFIG, "size must not be 0");
    loom_err e = loom_region_new_alias(sim, loom_inst_name(inst), size, bus,
                                       loom_inst_prop_u64(inst, "offset"), &a->region);
    if (e) {
        char why[512];
        snprintf(why, sizeof why, "%s", loom_sim_last_error(sim));
        return loom_inst_error(inst, LOOM_E_CONFIG, "%s", why);
    }
    return loom_inst_offer_region(inst, "regs", a->region);
}

static const loom_prop_def alias_props[] = {
    {"target", LOOM_PROP_STRING, "memory", "space the window looks into: memory, io or a container", NULL},
    {"offset", LOOM_PROP_ADDR, "0", "where the window starts in the target", NULL},
    {"size", LOOM_PROP_SIZE, NULL, "size of the window", NULL},
};

const loom_model_type loom_model_alias = {
    .name = "alias",
    .kind = "memory",
    .doc = "a window onto part of another address space",
    .props = alias_props,
    .nprops = 3,
    .state_size = sizeof(alias),
    .init = alias_init,
};
