#pragma once
#include "model/common/clock.h"
