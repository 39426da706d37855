#pragma once
// The firmware is below the simulation.
#include "model/sim/node.h"  // wrong: below model/sim
