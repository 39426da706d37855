#pragma once
// Shared by the scenario loader tests: load inline YAML as `scen.yaml`, look at errors.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/scenario/loader.h"
#include "model/sim/simulation.h"

namespace rnicsim::scenario::test {

/// The keys of results.json that `expect` paths are checked against: the simulator's.
inline const stats::Node& results() {
  static const stats::Node n = sim::results_schema();
  return n;
}

inline LoadResult load(const std::string& yaml, const std::vector<Override>& sets = {}) {
  return load_scenario_string(yaml, "scen.yaml", results(), sets);
}

inline std::vector<std::string> formatted(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.format());
  return out;
}

/// All errors, one per line: what a failing CHECK prints.
inline std::string all_errors(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.format() + "\n";
  return out;
}

/// Whether some error's formatted text contains `part`.
inline bool has_error(const LoadResult& r, const std::string& part) {
  for (const auto& e : r.errors)
    if (e.format().find(part) != std::string::npos) return true;
  return false;
}

inline std::string data_path(const std::string& name) {
  return std::string(RNICSIM_SOURCE_DIR) + "/tests/data/scenarios/" + name;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Two hosts on one wire and one RDMA connection: lines 1-8, so text appended to it starts
/// at line 9.
inline const char* kTwoHosts =
    "name: t\n"
    "hosts:\n"
    "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
    "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
    "links:\n"
    "  - {ends: [alice, bob]}\n"
    "connections:\n"
    "  - {id: c1, from: alice, to: bob, port: 5000}\n";

}  // namespace rnicsim::scenario::test
