/* Device models: registered types, typed properties, instances, register
 * tables and state save/restore. */
#ifndef LOOM_MODEL_H
#define LOOM_MODEL_H

#include "loom/bus.h"
#include "loom/irq.h"
#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Properties ----------------------------------------------------------- */
typedef enum loom_prop_type {
    LOOM_PROP_BOOL,   /* true/false, yes/no, on/off */
    LOOM_PROP_INT,    /* signed integer: 12, -3, 0x1f, 0b101, 1_000 */
    LOOM_PROP_SIZE,   /* bytes: 4096, 64KiB, 1MiB, 2GiB (K/M/G are binary too) */
    LOOM_PROP_FREQ,   /* hertz: 100MHz, 32768Hz */
    LOOM_PROP_TIME,   /* picoseconds: 10us, 1ms, 250ns */
    LOOM_PROP_STRING,
    LOOM_PROP_FILE,   /* a path, resolved against the board file's folder */
    LOOM_PROP_ENUM,   /* one of `choices` ("a|b|c") */
    LOOM_PROP_ADDR,   /* an address (integer without units) */
} loom_prop_type;

const char *loom_prop_type_name(loom_prop_type t);

typedef struct loom_prop_def {
    const char *name;
    loom_prop_type type;
    const char *def;     /* default as text; NULL makes the property required */
    const char *doc;     /* one line */
    const char *choices; /* LOOM_PROP_ENUM only */
} loom_prop_def;

typedef struct loom_prop_value {
    loom_prop_type type;
    bool set;       /* given by the user (not the default) */
    uint64_t u;     /* BOOL, INT (two's complement), SIZE, FREQ, TIME, ADDR, ENUM index */
    char *s;        /* STRING, FILE, ENUM text */
} loom_prop_value;

/* Parse text into a value of the given type. On failure return LOOM_E_INVAL
 * and write what was expected into err (at most errlen bytes). */
loom_err loom_prop_parse(const loom_prop_def *def, const char *text, loom_prop_value *out,
                         char *err, size_t errlen);
void loom_prop_value_clear(loom_prop_value *v);

/* ---- Save and restore ----------------------------------------------------
 * A growable byte buffer written and read in order. Values are stored
 * little-endian so a saved state moves between hosts. */
struct loom_buf {
    uint8_t *data;
    size_t len, cap, pos;
    bool bad; /* a read ran past the end or a write failed to grow */
};
void loom_buf_init(loom_buf *b);
void loom_buf_free(loom_buf *b);
void loom_buf_put(loom_buf *b, const void *p, size_t n);
void loom_buf_put_u8(loom_buf *b, uint8_t v);
void loom_buf_put_u32(loom_buf *b, uint32_t v);
void loom_buf_put_u64(loom_buf *b, uint64_t v);
void loom_buf_put_str(loom_buf *b, const char *s);
bool loom_buf_get(loom_buf *b, void *p, size_t n);
uint8_t loom_buf_get_u8(loom_buf *b);
uint32_t loom_buf_get_u32(loom_buf *b);
uint64_t loom_buf_get_u64(loom_buf *b);
/* Returns a malloc'd string, or NULL (and b->bad) on error. */
char *loom_buf_get_str(loom_buf *b);

/* ---- Model types -------------------------------------------------------- */
/* ---- Device tree ------------------------------------------------------------
 * The board's flattened device tree (`loom describe --dtb`, and what firmware
 * finds in memory): a node "<dt_name>@<address>" for every instance whose
 * type has a dt_name and a mapped region, with `compatible`, `reg` (each
 * region where it is mapped, in the order the instance offers them),
 * `interrupts` (each output line that drives an interrupt controller's
 * input, as that controller's dt_irq encodes it), and what dt_node adds
 * through these calls. */
typedef struct loom_dt loom_dt;
void loom_dt_u32(loom_dt *dt, const char *name, uint32_t v);
void loom_dt_cells(loom_dt *dt, const char *name, const uint32_t *cells, unsigned n);
void loom_dt_string(loom_dt *dt, const char *name, const char *s);
/* A list of strings (clock-names, say), NULL-terminated. */
void loom_dt_strings(loom_dt *dt, const char *name, const char *const *list);
void loom_dt_empty(loom_dt *dt, const char *name);
/* The phandle of the board's fixed 24 MHz peripheral clock, which the
 * PrimeCell bindings name apb_pclk (made on first use). */
uint32_t loom_dt_apb_clock(loom_dt *dt);

typedef struct loom_model_type {
    const char *name;  /* as written in YAML: "pl011" */
    const char *kind;  /* memory, uart, timer, intc, gpio, misc, cpu, test */
    const char *doc;   /* one line */
    const loom_prop_def *props;
    unsigned nprops;
    size_t state_size; /* zeroed state handed to every hook */
    /* Create regions, outputs and inputs; read properties. */
    loom_err (*init)(loom_inst *inst, void *state);
    /* Called once the whole board is built and wired. Optional. */
    loom_err (*realize)(loom_inst *inst, void *state);
    /* Put the device into its reset state. Optional. */
    void (*reset)(void *state);
    /* The whole state, hidden state included. Pending events are saved by
     * the simulation, so a model saves only its own fields. */
    void (*save)(void *state, loom_buf *b);
    loom_err (*restore)(void *state, loom_buf *b);
    void (*fini)(void *state);
    /* Device tree, all optional (see above). dt_compatible: NULL-terminated. */
    const char *dt_name;
    const char *const *dt_compatible;
    void (*dt_node)(const loom_inst *inst, loom_dt *dt);
    /* Interrupt controllers: #interrupt-cells, and the cells naming input
     * port[index]. */
    unsigned dt_irq_cells;
    void (*dt_irq)(const loom_inst *inst, const char *port, unsigned index, uint32_t *cells);
} loom_model_type;

/* Built-in types are an immutable table; a simulation may add its own (the
 * SystemC bridge does). Lookup checks the simulation's own first. */
loom_err loom_sim_register_model(loom_sim *sim, const loom_model_type *type);
const loom_model_type *loom_sim_find_model(const loom_sim *sim, const char *name);
/* All types known to the simulation, built-in ones included, sorted by name. */
size_t loom_sim_models(const loom_sim *sim, const loom_model_type **out, size_t max);
/* Set by the models library at link time (see models/registry.c). */
extern const loom_model_type *const loom_builtin_models[];
extern const size_t loom_builtin_model_count;

/* ---- Instances ------------------------------------------------------------
 * Create, set properties, init; the simulation owns the instance. */
loom_err loom_inst_create(loom_sim *sim, const loom_model_type *type, const char *name,
                          loom_inst **out);
/* Set a property from text. err receives the reason on failure. */
loom_err loom_inst_set_prop(loom_inst *inst, const char *prop, const char *text, char *err,
                            size_t errlen);
/* Fill in defaults, check required properties, call the type's init. */
loom_err loom_inst_init(loom_inst *inst);
loom_err loom_inst_realize(loom_inst *inst);
void loom_inst_reset(loom_inst *inst);
loom_inst *loom_sim_find_inst(const loom_sim *sim, const char *name);
size_t loom_sim_inst_count(const loom_sim *sim);
loom_inst *loom_sim_inst_at(const loom_sim *sim, size_t i);

const char *loom_inst_name(const loom_inst *inst);
const loom_model_type *loom_inst_type(const loom_inst *inst);
loom_sim *loom_inst_sim(const loom_inst *inst);
void *loom_inst_state(const loom_inst *inst);
/* When an access happens: simulation time plus the initiator's annotated
 * delay (a CPU running ahead), saturating at the end of time. For device
 * state that depends on exactly when it is read or written. */
loom_time loom_txn_time(const loom_sim *sim, const loom_txn *txn);
/* Set an error naming the instance: "uart0 (pl011): ...". */
loom_err loom_inst_error(const loom_inst *inst, loom_err code, const char *fmt, ...)
    LOOM_PRINTF(3, 4);
/* Log with the instance name in front. */
void loom_inst_log(const loom_inst *inst, unsigned cat, const char *fmt, ...) LOOM_PRINTF(3, 4);

/* Properties, read by init. Asking for an undeclared name aborts: it is a
 * bug in the model, not a user error. */
const loom_prop_value *loom_inst_prop(const loom_inst *inst, const char *name);
uint64_t loom_inst_prop_u64(const loom_inst *inst, const char *name);
int64_t loom_inst_prop_i64(const loom_inst *inst, const char *name);
bool loom_inst_prop_bool(const loom_inst *inst, const char *name);
const char *loom_inst_prop_str(const loom_inst *inst, const char *name);
/* Format a property's current value as text (for describe and monitors). */
void loom_inst_prop_format(const loom_inst *inst, const char *name, char *buf, size_t len);

/* Regions the instance offers for mapping, in declaration order. */
loom_err loom_inst_add_region(loom_inst *inst, const char *name, uint64_t size,
                              const loom_target_ops *ops, void *opaque, loom_region **out);
/* A region created elsewhere (container, alias) offered by the instance. */
loom_err loom_inst_offer_region(loom_inst *inst, const char *name, loom_region *r);
size_t loom_inst_region_count(const loom_inst *inst);
loom_region *loom_inst_region(const loom_inst *inst, size_t i, const char **name);
loom_region *loom_inst_find_region(const loom_inst *inst, const char *name);

/* Interrupt outputs (count lines named "inst.name[i]") and inputs. */
loom_err loom_inst_add_output(loom_inst *inst, const char *name, unsigned count, loom_irq **lines);
loom_err loom_inst_add_input(loom_inst *inst, const char *name, unsigned count,
                             loom_irq_sink_fn fn, void *opaque);
typedef struct loom_port_info {
    const char *name;
    unsigned count;
    bool output;
} loom_port_info;
size_t loom_inst_port_count(const loom_inst *inst);
loom_port_info loom_inst_port(const loom_inst *inst, size_t i);
/* An output line, or NULL. */
loom_irq *loom_inst_output(const loom_inst *inst, const char *name, unsigned index);
/* Connect output line `irq` to input name[index] of inst. An input has one
 * driver: a second connection is refused, naming the first driver. */
loom_err loom_inst_connect_input(loom_inst *inst, const char *name, unsigned index, loom_irq *irq);
/* The line driving an input, or NULL. */
loom_irq *loom_inst_input_driver(const loom_inst *inst, const char *name, unsigned index);

/* Whole-simulation state: time, pending events and every instance. */
loom_err loom_sim_save(loom_sim *sim, loom_buf *b);
loom_err loom_sim_restore(loom_sim *sim, loom_buf *b);
void loom_sim_reset(loom_sim *sim);

/* ---- Register tables ------------------------------------------------------
 * A model's registers as a table, like the datasheet's. The framework decodes
 * offsets, sizes, access rights, unaligned and unmapped accesses and logs
 * them (guest_errors), once for every model. */
enum {
    LOOM_R = 1u << 0,
    LOOM_W = 1u << 1,
    LOOM_RW = LOOM_R | LOOM_W,
    LOOM_RO = LOOM_R,
    LOOM_WO = LOOM_W,
};

typedef struct loom_reg loom_reg;
typedef uint64_t (*loom_reg_read_fn)(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn);
typedef void (*loom_reg_write_fn)(void *dev, const loom_reg *r, unsigned idx, uint64_t value,
                                  loom_txn *txn);

#define LOOM_REG_NOFIELD ((size_t)-1)

struct loom_reg {
    const char *name;
    uint32_t offset;
    uint8_t bits;      /* 8, 16, 32 or 64 */
    uint64_t reset;
    unsigned access;   /* LOOM_R, LOOM_W, LOOM_RW */
    loom_reg_read_fn read;   /* NULL: read the field */
    loom_reg_write_fn write; /* NULL: write the field */
    size_t field;      /* offsetof() of a uint32_t/uint64_t in the state (by
                        * bits: <=32 uses uint32_t), or LOOM_REG_NOFIELD; an
                        * array's element i is the i-th uint32_t/uint64_t
                        * from there, whatever the stride */
    unsigned count;    /* register array length (0 or 1: single) */
    unsigned stride;   /* bytes between array elements */
};

typedef enum loom_endian { LOOM_LITTLE = 0, LOOM_BIG = 1 } loom_endian;

typedef struct loom_regmap {
    const char *device;     /* for messages */
    const loom_reg *regs;
    unsigned nregs;
    loom_endian endian;
    bool allow_narrow;      /* accesses narrower than a register read/write part of it */
} loom_regmap;

/* Serve a transaction from a register table. Debug reads of registers
 * with read hooks return the stored field (or 0) so they stay side-effect
 * free. */
void loom_regs_access(const loom_regmap *map, void *dev, const loom_inst *inst, loom_txn *txn);
/* Write every register's reset value into its field. */
void loom_regs_reset(const loom_regmap *map, void *dev);

/* Little helpers for models. */
static inline uint64_t loom_get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static inline void loom_put_le(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t loom_get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}
static inline void loom_put_be(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++) p[n - 1 - i] = (uint8_t)(v >> (8 * i));
}

#ifdef __cplusplus
}
#endif
#endif
