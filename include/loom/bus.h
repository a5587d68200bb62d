/* Transactions, targets, regions and address spaces. */
#ifndef LOOM_BUS_H
#define LOOM_BUS_H

#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Transactions -------------------------------------------------------
 * Data is bytes in address order, whatever the endianness of the initiator
 * or target: each side converts by its own byte order. A transaction maps one
 * to one onto a TLM-2.0 generic payload and onto the co-simulation wire. */
typedef enum loom_cmd {
    LOOM_READ = 0,
    LOOM_WRITE = 1,
    LOOM_DEBUG_READ = 2,  /* no side effects: debugger, monitor, loaders */
    LOOM_DEBUG_WRITE = 3,
} loom_cmd;

static inline bool loom_cmd_is_write(loom_cmd c) { return (c & 1) != 0; }
static inline bool loom_cmd_is_debug(loom_cmd c) { return (c & 2) != 0; }

typedef enum loom_resp {
    LOOM_RESP_OK = 0,
    LOOM_RESP_ADDRESS_ERROR, /* nothing there, or an offset the target lacks */
    LOOM_RESP_GENERIC_ERROR, /* the target failed the access */
    LOOM_RESP_EXCL_FAIL,     /* an exclusive store lost its reservation */
} loom_resp;

const char *loom_resp_name(loom_resp r);

enum {
    LOOM_ATTR_PRIV = 1u << 0,      /* privileged access */
    LOOM_ATTR_SECURE = 1u << 1,    /* secure world */
    LOOM_ATTR_EXCLUSIVE = 1u << 2, /* part of an exclusive pair */
    LOOM_ATTR_INSN = 1u << 3,      /* instruction fetch */
};

typedef struct loom_txn {
    uint64_t addr;      /* bus address; a target sees the offset in its region */
    uint8_t *data;      /* len bytes, in address order */
    uint32_t len;
    loom_cmd cmd;
    uint32_t attrs;     /* LOOM_ATTR_* */
    uint32_t initiator; /* id of the CPU or master */
    loom_time delay;    /* annotated: local time offset of the initiator past
                         * loom_sim_now at entry; the target adds its latency */
    loom_resp resp;
    bool sync;          /* out: the target needs the initiator to stop right
                         * after this access (timer read, interrupt write) */
} loom_txn;

/* ---- Direct memory interface ------------------------------------------- */
enum { LOOM_DMI_READ = 1u << 0, LOOM_DMI_WRITE = 1u << 1 };

typedef struct loom_dmi {
    uint8_t *host;     /* host address of `start` */
    uint64_t start;    /* first address covered (region offset for a target,
                        * bus address once a bus has translated it) */
    uint64_t end;      /* last address covered, inclusive */
    unsigned rights;   /* LOOM_DMI_* */
    loom_time read_latency, write_latency; /* per access */
} loom_dmi;

/* ---- Targets and regions ------------------------------------------------ */
typedef struct loom_target_ops {
    /* Required. txn->addr is the offset within the region. Set txn->resp. */
    void (*transport)(void *opaque, loom_txn *txn);
    /* Optional: grant a host pointer around `offset`; return false to refuse. */
    bool (*get_dmi)(void *opaque, uint64_t offset, loom_dmi *dmi);
    /* Optional: access without side effects. If absent, a debug access uses
     * a DMI grant when there is one and fails otherwise. */
    void (*debug)(void *opaque, loom_txn *txn);
} loom_target_ops;

/* A region is something that can be mapped: a target (RAM, a device's
 * registers), a container holding a sub-space, or an alias window onto part
 * of another space. The simulation owns every region. */
loom_err loom_region_new(loom_sim *sim, const char *name, uint64_t size,
                         const loom_target_ops *ops, void *opaque, loom_region **out);
/* A region whose contents are another address space (a bus behind a bridge). */
loom_err loom_region_new_container(loom_sim *sim, const char *name, uint64_t size,
                                   loom_bus *inner, loom_region **out);
/* A window of `size` bytes onto `target` starting at `offset`. */
loom_err loom_region_new_alias(loom_sim *sim, const char *name, uint64_t size,
                               loom_bus *target, uint64_t offset, loom_region **out);
const char *loom_region_name(const loom_region *r);
uint64_t loom_region_size(const loom_region *r);
/* What an alias shows (NULL if r is not an alias) and a container holds. */
loom_bus *loom_region_alias_target(const loom_region *r, uint64_t *offset);
loom_bus *loom_region_container_bus(const loom_region *r);
/* The target revokes DMI it granted for [offset, offset+len): every mapping
 * of the region forwards the revocation to every initiator listening. */
void loom_region_invalidate_dmi(loom_region *r, uint64_t offset, uint64_t len);

/* ---- Address spaces -------------------------------------------------------- */
loom_err loom_bus_new(loom_sim *sim, const char *name, uint64_t size, loom_bus **out);
const char *loom_bus_name(const loom_bus *bus);
uint64_t loom_bus_size(const loom_bus *bus); /* 0 for a full 2^64 space */
loom_sim *loom_bus_sim(const loom_bus *bus);

/* Map a region at `addr`. Regions of equal priority may not overlap (the
 * error names both regions and their ranges); a higher priority hides a lower
 * one where they overlap, as intended for boot aliases and windows. */
loom_err loom_bus_map(loom_bus *bus, loom_region *r, uint64_t addr, int priority,
                      loom_mapping **out);
loom_err loom_bus_unmap(loom_bus *bus, loom_mapping *m);
/* Move a mapping or switch it on and off at run time (firmware moving a
 * window). Initiators are told to drop translations and DMI for the old and
 * new ranges. */
loom_err loom_bus_remap(loom_bus *bus, loom_mapping *m, uint64_t new_addr);
loom_err loom_bus_set_enabled(loom_bus *bus, loom_mapping *m, bool enabled);
uint64_t loom_mapping_addr(const loom_mapping *m);
loom_region *loom_mapping_region(const loom_mapping *m);

/* Route a transaction. An access crossing regions is split. An unmapped
 * address gives LOOM_RESP_ADDRESS_ERROR. Debug commands never reach a
 * target's transport. */
void loom_bus_transport(loom_bus *bus, loom_txn *txn);
/* Ask for DMI at addr: on success dmi->start/end are bus addresses. */
bool loom_bus_get_dmi(loom_bus *bus, uint64_t addr, loom_dmi *dmi);

/* Convenience: one access with no attributes; returns LOOM_E_ADDRESS or
 * LOOM_E_BUS on an error response. */
loom_err loom_bus_read(loom_bus *bus, uint64_t addr, void *buf, uint32_t len);
loom_err loom_bus_write(loom_bus *bus, uint64_t addr, const void *buf, uint32_t len);
loom_err loom_bus_debug_read(loom_bus *bus, uint64_t addr, void *buf, uint64_t len);
loom_err loom_bus_debug_write(loom_bus *bus, uint64_t addr, const void *buf, uint64_t len);

/* Initiators (CPUs, DMA masters, bridges) listen for revocations: drop TLB
 * entries, DMI pointers and translated code in [start, end]. */
typedef void (*loom_invalidate_fn)(void *opaque, uint64_t start, uint64_t end);
loom_err loom_bus_add_listener(loom_bus *bus, loom_invalidate_fn fn, void *opaque);
void loom_bus_remove_listener(loom_bus *bus, loom_invalidate_fn fn, void *opaque);
/* Revoke [start, end] (bus addresses) in this space and in every space that
 * maps it through a container or alias. */
void loom_bus_invalidate_dmi(loom_bus *bus, uint64_t start, uint64_t end);

/* Writes that do not come from a CPU's own fast path (DMA, debuggers,
 * loaders, bus masters) are announced by the target that stores them, so
 * translated code over those bytes is dropped. [start, end] are bus
 * addresses of the listening space. */
typedef void (*loom_write_fn)(void *opaque, uint64_t start, uint64_t end);
loom_err loom_bus_add_write_listener(loom_bus *bus, loom_write_fn fn, void *opaque);
void loom_bus_remove_write_listener(loom_bus *bus, loom_write_fn fn, void *opaque);
void loom_region_notify_write(loom_region *r, uint64_t offset, uint64_t len);

/* Walk the resolved map (what an access actually reaches), in address order,
 * descending into containers. depth is 0 at the top. */
typedef void (*loom_map_visit_fn)(void *opaque, int depth, uint64_t start, uint64_t end,
                                  const loom_region *r, uint64_t region_offset, int priority);
void loom_bus_visit(const loom_bus *bus, loom_map_visit_fn fn, void *opaque);

#ifdef __cplusplus
}
#endif
#endif
