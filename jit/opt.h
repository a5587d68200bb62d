/* IR passes. */
#ifndef LOOM_JIT_OPT_H
#define LOOM_JIT_OPT_H

#include "ir.h"

enum {
    IR_OPT_FOLD = 1u << 0,    /* constant folding and identities */
    IR_OPT_FORWARD = 1u << 1, /* guest-state forwarding and dead SETs */
    IR_OPT_ALL = IR_OPT_FOLD | IR_OPT_FORWARD,
};

/* Optimize in place; ends with ir_dce. The block stays valid for ir_verify. */
void ir_optimize(ir_block *b, unsigned flags);
/* Remove instructions no side effect needs; compute use counts. */
void ir_dce(ir_block *b);

#endif
