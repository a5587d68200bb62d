/* Loom's whole public C API. */
#ifndef LOOM_LOOM_H
#define LOOM_LOOM_H

#include "loom/types.h"
#include "loom/sim.h"
#include "loom/bus.h"
#include "loom/irq.h"
#include "loom/model.h"
#include "loom/chardev.h"
#include "loom/loader.h"
#include "loom/cpu.h"
#include "loom/platform.h"

#define LOOM_VERSION "0.1.0"

#endif
