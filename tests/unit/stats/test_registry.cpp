// The stats registry: what a group writes into results.json, the tree `check` walks and
// the listing, and the proof that one counter added inside one block's Stats struct
// reaches all three with nothing else changed.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "model/scenario/loader.h"
#include "model/scenario/metrics.h"
#include "model/stats/stats.h"

using namespace rnicsim;
using stats::Group;
using stats::Key;
using stats::Unit;

namespace {

// ------------------------------------------------------------------ a block, twice

/// A block's Stats as the blocks declare theirs: counters, and their names in group().
struct PumpStats {
  uint64_t strokes = 0;
  static Group<PumpStats> group() {
    return Group<PumpStats>().counter("strokes", &PumpStats::strokes, Unit::Count, "strokes of the pump");
  }
};

/// The same block after one counter was added: the change lies inside the struct only.
struct PumpStatsPlus {
  uint64_t strokes = 0;
  uint64_t stalls = 0;
  static Group<PumpStatsPlus> group() {
    return Group<PumpStatsPlus>()
        .counter("strokes", &PumpStatsPlus::strokes, Unit::Count, "strokes of the pump")
        .counter("stalls", &PumpStatsPlus::stalls, Unit::Events, "strokes that found the line blocked");
  }
};

template <class Block>
struct TestHost {
  std::string name;
  Block pump;
};

template <class Block>
struct TestRun {
  std::string scenario;
  std::vector<TestHost<Block>> hosts;
};

/// The results tree, written once for any version of the block (as model/sim/results.cpp
/// is written once for the real blocks).
template <class Block>
Group<TestRun<Block>> tree() {
  const auto host = Group<TestHost<Block>>().group(
      "pump", "the pump", Block::group(), [](const TestHost<Block>& h) -> const Block& { return h.pump; });
  return Group<TestRun<Block>>()
      .formula("scenario", Unit::Text, "the scenario's name", [](const TestRun<Block>& r) { return r.scenario; })
      .keyed("hosts", Key::Host, "one entry per host", host, [](const TestRun<Block>& r, const auto& visit) {
        for (const auto& h : r.hosts) visit(h.name, h);
      });
}

const char* kScenario =
    "name: t\n"
    "hosts:\n"
    "  - {name: alice, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
    "  - {name: bob, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
    "links:\n"
    "  - {ends: [alice, bob]}\n"
    "expect:\n"
    "  - {metric: hosts.bob.pump.stalls, eq: 3}\n";

bool listed(const stats::Node& root, const std::string& path, const std::string& unit) {
  for (const auto& l : stats::listing(root))
    if (l.path == path && l.unit == unit) return true;
  return false;
}

}  // namespace

TEST_CASE("a counter added in one block's Stats reaches results.json, the expect schema and the listing",
          "[stats]") {
  // Before: the block has no `stalls`.
  {
    TestRun<PumpStats> run{"t", {{"alice", {}}, {"bob", {}}}};
    nlohmann::ordered_json r = nlohmann::ordered_json::object();
    tree<PumpStats>().dump(run, r);
    CHECK_FALSE(r["hosts"]["bob"]["pump"].contains("stalls"));
    const auto lr = scenario::load_scenario_string(kScenario, "scen.yaml", tree<PumpStats>().root("results.json"));
    REQUIRE(lr.errors.size() == 1);
    CHECK(lr.errors[0].format() ==
          "scen.yaml:8:14: error: expect[0].metric: 'hosts.bob.pump.stalls' cannot be in results.json: "
          "hosts.bob.pump has no field 'stalls' (fields: strokes)");
    CHECK_FALSE(listed(tree<PumpStats>().root(""), "hosts.<host>.pump.stalls", "events"));
  }
  // After: the same tree, the block with one more counter.
  TestRun<PumpStatsPlus> run{"t", {{"alice", {}}, {"bob", {}}}};
  run.hosts[1].pump.strokes = 40;
  run.hosts[1].pump.stalls = 3;
  nlohmann::ordered_json r = nlohmann::ordered_json::object();
  tree<PumpStatsPlus>().dump(run, r);
  CHECK(r.dump() ==
        R"({"scenario":"t","hosts":{"alice":{"pump":{"strokes":0,"stalls":0}},"bob":{"pump":{"strokes":40,"stalls":3}}}})");
  const stats::Node schema = tree<PumpStatsPlus>().root("results.json");
  const auto lr = scenario::load_scenario_string(kScenario, "scen.yaml", schema);
  CHECK(lr.ok());
  CHECK(scenario::metric_path_valid(*lr.scenario, schema, "hosts.alice.pump.stalls"));
  std::string why;
  CHECK_FALSE(scenario::metric_path_valid(*lr.scenario, schema, "hosts.carol.pump.stalls", &why));
  CHECK(why == "no host 'carol' in this scenario (hosts: alice, bob)");
  CHECK(listed(schema, "hosts.<host>.pump.stalls", "events"));
  const auto lines = stats::listing(schema);
  REQUIRE(lines.size() == 5);
  CHECK(lines[4].desc == "strokes that found the line blocked");
}

namespace {

struct Part {
  uint32_t depth = 0;
};

struct Thing {
  uint64_t frames = 0;
  int64_t delta_ps = -1500;
  std::vector<int64_t> waits_ns;
  std::vector<int64_t> errors_ps;
  const Part* part = nullptr;
  std::vector<std::pair<std::string, Part>> ports;
  bool has_record = false;
};

Group<Thing> thing_group() {
  const auto part = Group<Part>().counter("depth", &Part::depth, Unit::Bytes, "queue depth");
  return Group<Thing>()
      .counter("frames", &Thing::frames, Unit::Frames, "frames")
      .formula("delta_ns", Unit::Ns, "a signed figure", [](const Thing& t) { return t.delta_ps / 1000; })
      .formula("ratio", Unit::None, "a real", [](const Thing& t) { return static_cast<double>(t.frames) / 4; })
      .distribution("wait_ns", Unit::Ns, "waits", stats::Dist::Whole,
                    [](const Thing& t) -> const std::vector<int64_t>& { return t.waits_ns; })
      .distribution("error_ns", Unit::Ns, "errors", stats::Dist::Thousandths,
                    [](const Thing& t) -> const std::vector<int64_t>& { return t.errors_ps; })
      .optional_group("zeroed", "zeros when absent", part, stats::Absent::Zeros, [](const Thing& t) { return t.part; })
      .optional_group("nulled", "null when absent", part, stats::Absent::Null, [](const Thing& t) { return t.part; })
      .keyed("ports", Key::Port, "per port", part,
             [](const Thing& t, const auto& visit) {
               for (const auto& [n, p] : t.ports) visit(n, p);
             },
             stats::Empty::Omit)
      .record("note", "a record", [](const Thing& t, nlohmann::ordered_json& slot) {
        if (t.has_record) slot = {{"why", "because"}};
      });
}

}  // namespace

TEST_CASE("figures keep their JSON types; distributions, absent parts and records", "[stats]") {
  Thing t;
  nlohmann::ordered_json empty = nlohmann::ordered_json::object();
  thing_group().dump(t, empty);
  CHECK(empty.dump() ==
        R"({"frames":0,"delta_ns":-1,"ratio":0.0,"wait_ns":{"min":0,"p50":0,"p99":0,"max":0,"avg":0},)"
        R"("error_ns":{"count":0,"min":0,"p50":0,"p99":0,"max":0,"avg":0},"zeroed":{"depth":0},"nulled":null,)"
        R"("note":null})");

  const Part p{7};
  t.frames = 10;
  t.waits_ns = {30, 10, 20};
  t.errors_ps = {1500, -250};
  t.part = &p;
  t.ports = {{"l1", {3}}, {"l2", {4}}};
  t.has_record = true;
  nlohmann::ordered_json full = nlohmann::ordered_json::object();
  thing_group().dump(t, full);
  // Nearest rank: p50 of 3 samples is the 2nd, p99 the 3rd; avg to 3 decimals.
  CHECK(full.dump() ==
        R"({"frames":10,"delta_ns":-1,"ratio":2.5,"wait_ns":{"min":10,"p50":20,"p99":30,"max":30,"avg":20.0},)"
        R"("error_ns":{"count":2,"min":-0.25,"p50":-0.25,"p99":1.5,"max":1.5,"avg":0.625},"zeroed":{"depth":7},)"
        R"("nulled":{"depth":7},"ports":{"l1":{"depth":3},"l2":{"depth":4}},"note":{"why":"because"}})");

  nlohmann::ordered_json zeros = nlohmann::ordered_json::object();
  thing_group().zeros(zeros);
  CHECK(zeros.dump() ==
        R"({"frames":0,"delta_ns":0,"ratio":0,"wait_ns":{"min":0,"p50":0,"p99":0,"max":0,"avg":0},)"
        R"("error_ns":{"count":0,"min":0,"p50":0,"p99":0,"max":0,"avg":0},"zeroed":{"depth":0},"nulled":null,)"
        R"("note":null})");
}

TEST_CASE("the listing: every node depth first, keyed levels as <key>, units by name", "[stats]") {
  const auto lines = stats::listing(thing_group().root(""));
  std::vector<std::string> got;
  for (const auto& l : lines) got.push_back(l.path + " | " + l.unit + " | " + l.desc);
  CHECK(got == std::vector<std::string>{
                   "frames | frames | frames",
                   "delta_ns | ns | a signed figure",
                   "ratio | 1 | a real",
                   "wait_ns | group | waits",
                   "wait_ns.min | ns | smallest",
                   "wait_ns.p50 | ns | median (nearest rank)",
                   "wait_ns.p99 | ns | 99th percentile (nearest rank)",
                   "wait_ns.max | ns | largest",
                   "wait_ns.avg | ns | mean",
                   "error_ns | group | errors",
                   "error_ns.count | count | samples",
                   "error_ns.min | ns | smallest",
                   "error_ns.p50 | ns | median (nearest rank)",
                   "error_ns.p99 | ns | 99th percentile (nearest rank)",
                   "error_ns.max | ns | largest",
                   "error_ns.avg | ns | mean",
                   "zeroed | group | zeros when absent",
                   "zeroed.depth | bytes | queue depth",
                   "nulled | group | null when absent",
                   "nulled.depth | bytes | queue depth",
                   "ports | per port | per port",
                   "ports.<port>.depth | bytes | queue depth",
                   "note | record | a record",
               });
}
