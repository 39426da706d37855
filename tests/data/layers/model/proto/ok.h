#pragma once
// Allowed: a commented-out include, and a header of the same rule's folders (which
// answers for itself).
// #include "host_if/host.h"
#include <vector>

#include "model/proto/wrong_systemc.h"
