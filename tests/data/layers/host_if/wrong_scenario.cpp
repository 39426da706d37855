// The host formats through the scenario layer.
#include <string>

#include "model/scenario/units_parse.h"  // wrong: below model/sim
