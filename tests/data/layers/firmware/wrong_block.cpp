// The firmware drives the RNIC through its registers (allowed) and, wrongly, a block.
#include "model/hw/rnic/registers.h"
#include "model/hw/toe/toe.h"  // wrong: the firmware reaches a block itself
