#pragma once
/// Loads a scenario file (scenario-format.md, version 1) into a typed Scenario and checks
/// it: unknown and duplicate keys, types and units, ranges, cross-references, rate
/// conflicts, `violate` pairs and `expect` metric paths (against the keys of results.json
/// the caller gives: the simulator's stats registry, sim::results_schema). Every error
/// found is returned, not only the first, each as `FILE:LINE:COL: error: MESSAGE`.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/scenario/scenario.h"
#include "model/stats/stats.h"

namespace rnicsim::scenario {

/// `s` with control bytes (below 0x20, and 0x7f) written as \xNN: a user's text quoted
/// on the terminal can neither move the cursor nor forge a line.
std::string escape_control(std::string_view s);

struct Diagnostic {
  Loc loc;
  std::string message;
  /// `FILE:LINE:COL: error: MESSAGE`; `FILE: error: MESSAGE` when there is no line
  /// (a file that cannot be read).
  std::string format() const;
};

/// One `--set PATH=VALUE` of the command line. Its diagnostics are located at
/// `--set:N:COL`, N the 1-based rank of this override in the list and COL the 1-based
/// column within the text `PATH=VALUE`.
struct Override {
  std::string path;   ///< as error messages write key paths: `links[0].rate`, `seed`
  std::string value;  ///< YAML scalar or flow collection, checked like the file's own value
};

struct LoadResult {
  std::optional<Scenario> scenario;  ///< set when the file parsed as YAML, even with errors
  std::vector<Diagnostic> errors;    ///< in file order; `--set` ones after the file's
  bool ok() const { return errors.empty() && scenario.has_value(); }
};

LoadResult load_scenario_file(const std::string& path, const stats::Node& results,
                              const std::vector<Override>& sets = {});
LoadResult load_scenario_string(const std::string& yaml_text, const std::string& file_name,
                                const stats::Node& results, const std::vector<Override>& sets = {});

}  // namespace rnicsim::scenario
