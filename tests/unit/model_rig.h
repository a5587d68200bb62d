/* Shared by the unit tests of device models: 32-bit little-endian accesses
 * through a simulation's memory bus, which must succeed. */
#ifndef LOOM_TEST_MODEL_RIG_H
#define LOOM_TEST_MODEL_RIG_H

#include "loom/loom.h"

static inline void rig_wr32(loom_sim *sim, uint64_t addr, uint32_t v)
{
    uint8_t d[4];
    loom_put_le(d, 4, v);
    assert_int_equal(loom_bus_write(loom_sim_memory(sim), addr, d, 4), LOOM_OK);
}

static inline uint32_t rig_rd32(loom_sim *sim, uint64_t addr)
{
    uint8_t d[4];
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), addr, d, 4), LOOM_OK);
    return (uint32_t)loom_get_le(d, 4);
}

#endif
