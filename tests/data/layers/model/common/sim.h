#pragma once
// The one SystemC header of the common layer (allowed there).
#include <systemc>
