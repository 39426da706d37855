#pragma once
#include <cstdint>
#include "model/common/sim.h"
