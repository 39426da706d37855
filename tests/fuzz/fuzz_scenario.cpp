// libFuzzer target: the scenario loader and checker (model/scenario/loader.h) on an
// arbitrary text: YAML parsing, every section's keys, types, units, ranges, references
// and `expect` paths; nothing is run. The `expect` paths are checked against the
// simulator's results tree as `rnicsim stats` lists it (tests/fuzz/results_schema.txt,
// rebuilt here: the real tree comes from the SystemC model, which no fuzz target links).
// Asserts, besides no crash and no sanitizer report: every diagnostic has a location in
// the file and a message of bounded length, and a text that loads without errors has a
// scenario.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "model/scenario/loader.h"
#include "model/stats/stats.h"
#include "tests/fuzz/fuzz_check.h"

using namespace rnicsim;

namespace {

stats::Node g_schema;

/// The node at `parts` under `root`, made (as a group) when missing.
stats::Node& at(stats::Node& root, const std::vector<std::string>& parts) {
  stats::Node* n = &root;
  for (const std::string& p : parts) {
    if (p.size() > 2 && p.front() == '<') continue;  // the entry level of a keyed collection
    stats::Node* next = nullptr;
    for (auto& f : n->fields)
      if (f.name == p) next = &f;
    if (!next) {
      n->fields.emplace_back();
      next = &n->fields.back();
      next->name = p;
      next->kind = stats::Node::Kind::Group;
    }
    n = next;
  }
  return *n;
}

/// Rebuilds the results tree from its listing: one line per node, path, unit column
/// ("group", "per <key>", "record" or a figure's unit), description.
stats::Node read_schema(const std::string& file) {
  stats::Node root;
  root.kind = stats::Node::Kind::Group;
  std::ifstream in(file);
  FUZZ_CHECK(in.good());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string path, unit;
    s >> path >> unit;
    if (path.empty()) continue;
    if (unit == "per") s >> unit;
    else if (unit != "group" && unit != "record") unit = "=" + unit;
    std::vector<std::string> parts;
    std::stringstream ps(path);
    for (std::string p; std::getline(ps, p, '.');) parts.push_back(p);
    stats::Node& n = at(root, parts);
    if (unit == "group") {
      n.kind = stats::Node::Kind::Group;
    } else if (unit == "record") {
      n.kind = stats::Node::Kind::Record;
    } else if (unit[0] == '=') {
      n.kind = stats::Node::Kind::Figure;
      bool found = false;
      for (int u = 0; u <= static_cast<int>(stats::Unit::Text); ++u)
        if (unit.substr(1) == stats::unit_name(static_cast<stats::Unit>(u))) {
          n.unit = static_cast<stats::Unit>(u);
          found = true;
        }
      FUZZ_CHECK(found);
    } else {
      n.kind = stats::Node::Kind::Keyed;
      bool found = false;
      for (int k = 0; k <= static_cast<int>(stats::Key::Interface); ++k)
        if (unit == stats::key_name(static_cast<stats::Key>(k))) {
          n.key = static_cast<stats::Key>(k);
          found = true;
        }
      FUZZ_CHECK(found);
    }
  }
  FUZZ_CHECK(root.fields.size() > 5);
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_schema = read_schema(RNICSIM_FUZZ_SCHEMA);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The loader's own bounds (issue 12, deliverable 1) keep any text cheap; this keeps
  // each input small enough for many executions per second.
  if (size > 16384) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const scenario::LoadResult r = scenario::load_scenario_string(text, "fuzz.yaml", g_schema);
  for (const auto& e : r.errors) {
    const std::string f = e.format();
    FUZZ_CHECK(f.rfind("fuzz.yaml:", 0) == 0);
    FUZZ_CHECK(f.size() < 4096);
  }
  if (r.errors.empty()) FUZZ_CHECK(r.scenario.has_value());
  return 0;
}
