#pragma once
// A cosim header that reaches the host (allowed for cosim itself, not for model/hw).
#include "host_if/event_log.h"
