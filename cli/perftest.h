#pragma once
/// `rnicsim perftest TEST [options]`: the two-host test of the perftest tools (ib_write_bw,
/// ib_read_lat, ...) as a scenario, run as `run` runs one, reported with perftest's banner
/// and table (docs/perftest.md). Only the scenario's text and the report are made here:
/// the simulation is the one every scenario gets.
#include <string>
#include <vector>

namespace rnicsim::cli {

/// `args`: the words after `perftest`, the test's name first. Returns the exit status of
/// scenario-format.md (2: a malformed or unknown option, 4: an option perftest has that
/// the simulator does not honour).
int cmd_perftest(const std::vector<std::string>& args);

}  // namespace rnicsim::cli
