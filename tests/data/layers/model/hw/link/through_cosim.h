#pragma once
#include <functional>

#include "model/cosim/bridge.h"  // wrong: the hardware reaches the host through it
