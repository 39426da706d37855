#pragma once
#include "model/common/sim.h"  // wrong: a codec includes the scheduling header
