#pragma once
// The register interface may include the blocks whose types it names.
#include "model/hw/toe/toe.h"
