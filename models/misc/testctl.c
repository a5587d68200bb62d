/* The test-control device: firmware ends the simulation with an exit status
 * (like the test finisher of QEMU's RISC-V virt board), so a firmware test
 * reports pass or fail through the exit status of `loom run`. */
#include "loom/loom.h"

/*  0x00 FINISHER  W  0x5555: pass (status 0); (code << 16) | 0x3333: fail
 *                    with status code (1 if code is 0); 0x7777: reset
 *  0x04 EXIT      W  end with status = value & 0xff
 *  0x08 ID        R  0x4c4d5443 ("LMTC")
 *  0x0c VERSION   R  1
 *  0x10 TIME_LO   R  simulated time in ns, low word; latches TIME_HI
 *  0x14 TIME_HI   R  high word latched by the last TIME_LO read */
typedef struct testctl {
    loom_inst *inst;
    uint32_t time_hi;
} testctl;

static void finish(testctl *t, loom_txn *txn, loom_stop_reason why, int status)
{
    loom_sim *sim = loom_inst_sim(t->inst);
    loom_inst_log(t->inst, LOOM_LOG_INT, "guest ends the run with status %d\n", status);
    loom_sim_request_stop(sim, why, status);
    txn->sync = true; /* nothing after this instruction runs */
}

static void finisher_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    testctl *t = dev;
    uint32_t cmd = v & 0xffff, code = (uint32_t)(v >> 16) & 0xffff;
    if (cmd == 0x5555)
        finish(t, txn, LOOM_STOP_EXIT, 0);
    else if (cmd == 0x3333) /* a failure never looks like a pass */
        finish(t, txn, LOOM_STOP_EXIT, (code & 0xff) ? (int)(code & 0xff) : 1);
    else if (cmd == 0x7777)
        loom_sim_reset(loom_inst_sim(t->inst));
    else
        loom_inst_log(t->inst, LOOM_LOG_GUEST_ERRORS, "unknown finisher command 0x%x\n", (unsigned)v);
}

static void exit_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    finish(dev, txn, LOOM_STOP_EXIT, (int)(v & 0xff));
}

static uint64_t time_lo_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    testctl *t = dev;
    uint64_t ns = (loom_sim_now(loom_inst_sim(t->inst)) + txn->delay) / LOOM_NS;
    t->time_hi = (uint32_t)(ns >> 32);
    txn->sync = true;
    return (uint32_t)ns;
}

static uint64_t const_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn) { return r->reset; }

static const loom_reg testctl_regs[] = {
    {"FINISHER", 0x00, 32, 0, LOOM_WO, NULL, finisher_write, LOOM_REG_NOFIELD, 0, 0},
    {"EXIT", 0x04, 32, 0, LOOM_WO, NULL, exit_write, LOOM_REG_NOFIELD, 0, 0},
    {"ID", 0x08, 32, 0x4c4d5443, LOOM_RO, const_read, NULL, LOOM_REG_NOFIELD, 0, 0},
    {"VERSION", 0x0c, 32, 1, LOOM_RO, const_read, NULL, LOOM_REG_NOFIELD, 0, 0},
    {"TIME_LO", 0x10, 32, 0, LOOM_RO, time_lo_read, NULL, LOOM_REG_NOFIELD, 0, 0},
    {"TIME_HI", 0x14, 32, 0, LOOM_RO, NULL, NULL, offsetof(testctl, time_hi), 0, 0},
};

static const loom_regmap testctl_map = {
    "test-ctl", testctl_regs, sizeof testctl_regs / sizeof *testctl_regs, LOOM_LITTLE, false};

static void testctl_transport(void *opaque, loom_txn *txn)
{
    testctl *t = opaque;
    loom_regs_access(&testctl_map, t, t->inst, txn);
}

static const loom_target_ops testctl_ops = {testctl_transport, NULL, testctl_transport};

static loom_err testctl_init(loom_inst *inst, void *state)
{
    testctl *t = state;
    t->inst = inst;
    return loom_inst_add_region(inst, "regs", 0x1000, &testctl_ops, t, NULL);
}

static void testctl_save(void *state, loom_buf *b) { loom_buf_put_u32(b, ((testctl *)state)->time_hi); }

static loom_err testctl_restore(void *state, loom_buf *b)
{
    ((testctl *)state)->time_hi = loom_buf_get_u32(b);
    return LOOM_OK;
}

const loom_model_type loom_model_testctl = {
    .name = "test-ctl",
    .kind = "misc",
    .doc = "ends the simulation with the exit status the guest writes",
    .state_size = sizeof(testctl),
    .init = testctl_init,
    .save = testctl_save,
    .restore = testctl_restore,
};
