#include "model/hw/rnic/registers.h"
#include "firmware/firmware.h"  // wrong: the hardware includes the firmware
