/* Logging by category (-d) to stderr or a file (-D). */
#include <stdarg.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *name;
    unsigned bit;
    const char *doc;
} categories[] = {
    {"unimp", LOOM_LOG_UNIMP, "features the guest uses that Loom lacks"},
    {"guest_errors", LOOM_LOG_GUEST_ERRORS, "invalid accesses and programming errors by the guest"},
    {"int", LOOM_LOG_INT, "interrupts and exceptions"},
    {"mmu", LOOM_LOG_MMU, "address translation"},
    {"exec", LOOM_LOG_EXEC, "each translated block as it runs"},
    {"in_asm", LOOM_LOG_IN_ASM, "guest code as it is translated"},
    {"out_asm", LOOM_LOG_OUT_ASM, "host code generated"},
    {"op", LOOM_LOG_OP, "intermediate code after the passes"},
    {"bus", LOOM_LOG_BUS, "every transaction routed through an address space"},
    {"event", LOOM_LOG_EVENT, "events scheduled and fired"},
};

const char *loom_log_categories(void)
{
    return "unimp, guest_errors, int, mmu, exec, in_asm, out_asm, op, bus, event, all";
}

loom_err loom_log_parse(loom_sim *sim, const char *list, unsigned *mask)
{
    unsigned m = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        if (n == 3 && !strncmp(p, "all", 3)) {
            m = ~0u;
            found = true;
        }
        for (size_t i = 0; !found && i < sizeof categories / sizeof *categories; i++) {
            if (strlen(categories[i].name) == n && !strncmp(p, categories[i].name, n)) {
                m |= categories[i].bit;
                found = true;
            }
        }
        if (!found && n > 0)
            return loom_sim_error(sim, LOOM_E_INVAL,
                                  "unknown log category '%.*s' (known: %s)", (int)n, p,
                                  loom_log_categories());
        p += n;
        if (*p == ',') p++;
    }
    *mask = m;
    return LOOM_OK;
}

void loom_log_set_mask(loom_sim *sim, unsigned mask) { sim->log_mask = mask; }
unsigned loom_log_mask(const loom_sim *sim) { return sim->log_mask; }
unsigned loom__log_mask(const loom_sim *sim) { return sim->log_mask; }
void loom_log_set_file(loom_sim *sim, FILE *f) { sim->log_file = f; }
FILE *loom_log_stream(const loom_sim *sim) { return sim->log_file ? sim->log_file : stderr; }

void loom_vlog(loom_sim *sim, unsigned cat, const char *fmt, va_list ap)
{
    if (!(sim->log_mask & cat)) return;
    FILE *f = sim->log_file ? sim->log_file : stderr;
    vfprintf(f, fmt, ap);
}

void loom_log(loom_sim *sim, unsigned cat, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loom_vlog(sim, cat, fmt, ap);
    va_end(ap);
}
