#pragma once
/// Builds the SystemC model of a scenario, runs it, checks `expect` and writes the outputs
/// of results-format.md. SystemC elaborates once per process: one Simulation per process.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/cosim/core.h"
#include "model/scenario/scenario.h"
#include "model/stats/stats.h"

namespace rnicsim::sim {

struct RunOptions {
  std::string out_dir;            ///< empty: traces/runs/<scenario name>
  std::string pcap = "full";      ///< full | headers | off
  std::string placement;          ///< empty: per host; else model | rtl | lockstep
  bool wave = false;
  std::string lockstep_stop = "first";
  bool verbose = false;  ///< `run --verbose`: the loop's speed after the summary
  bool realtime = false;  ///< `run --realtime`: simulated time paced to the wall clock (model/sim/realtime.h)
  /// C++ callers only (tests): the RTL placement core of every host that runs one.
  std::function<std::unique_ptr<cosim::Core>()> rtl_core;
};

/// Input the run found bad only when it tried it (a TAP device that cannot be attached):
/// exit 2, with where the scenario asked for it.
struct BadInput {
  scenario::Loc loc;
  std::string what;
};

/// The scenario's TAP ends, as `links '<name>': tap:<device>`, with where each is written.
std::vector<std::pair<scenario::Loc, std::string>> tap_ends(const scenario::Scenario& s);

/// A valid key asking for behaviour the simulator does not have yet, with where it was
/// written ("events of kind 'redirect' are not simulated yet").
struct Unsupported {
  scenario::Loc loc;
  std::string what;
};
std::vector<Unsupported> unsupported_features(const scenario::Scenario& s, const RunOptions& o);

struct RunOutcome {
  nlohmann::ordered_json results;
  bool passed = false;
  std::string out_dir;
  std::string summary;  ///< the human summary `run` prints
  /// The speed of the run's simulation loop (sc_start), OMNeT++'s figures: `run --verbose`
  /// prints them. Wall-clock figures: outside the determinism rule, in no output file.
  struct Speed {
    uint64_t events = 0;  ///< event queue items run
    uint64_t rounds = 0;  ///< results.json's events_processed
    double wall_s = 0;    ///< wall time in sc_start (results.json's wall_time_s adds the build)
    double sim_s = 0;     ///< simulated time
    std::string line() const;  ///< "events/s, simsec/s, events/simsec" as one line
  } speed;
};

/// Runs the scenario; throws std::runtime_error when the simulator itself fails.
RunOutcome run(const scenario::Scenario& s, const RunOptions& o);

/// Every key results.json can hold, from the stats registry (results.cpp): the schema of
/// `expect` paths that the scenario loader checks, and the listing of `rnicsim stats`.
stats::Node results_schema();

}  // namespace rnicsim::sim
