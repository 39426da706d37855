#pragma once
// Host memory gets SystemC through two common headers.
#include "model/common/timing.h"  // wrong: reaches SystemC
