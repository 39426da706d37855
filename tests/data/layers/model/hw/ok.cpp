// Allowed: the hardware includes host memory, the codecs and SystemC.
#include <systemc>

#include "model/mem/host_memory.h"
#include "model/wire/eth.h"
