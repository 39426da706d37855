#pragma once
#include "host_if/host.h"  // wrong: the hardware includes the host
