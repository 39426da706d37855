// --set PATH=VALUE: applied to the YAML before it is read, checked like the file's own values.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace rnicsim;
using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {
using Errors = std::vector<std::string>;
}

TEST_CASE("override (--set): replaces values and records them as written", "[set]") {
  const auto r = load(kTwoHosts, {{"links[0].rate", "10Gbps"}, {"seed", "42"}, {"connections[0].port", "6000"},
                                  {"name", "renamed"}});
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Scenario& s = *r.scenario;
  CHECK(s.links[0].rate->bps == 10000000000ull);
  CHECK(s.seed == 42);
  CHECK(s.connections[0].port == 6000);
  CHECK(s.name == "renamed");
  REQUIRE(s.written.count("links[0].rate"));
  CHECK(s.written.at("links[0].rate").file == "--set");
  CHECK(s.written.at("links[0].rate").line == 1);
  CHECK(s.written.at("links[0].rate").col == 10);  // the key `rate` in `links[0].rate=10Gbps`
  CHECK(s.written.at("seed").line == 2);
  CHECK(s.written.at("connections[0].port").file == "--set");
  CHECK(s.written.at("hosts[0].name").file == "scen.yaml");
}

TEST_CASE("override (--set): of a new top-level key is an unknown key", "[set]") {
  CHECK(formatted(load(kTwoHosts, {{"sed", "3"}})) ==
        Errors{"--set:1:1: error: sed: unknown key; did you mean 'seed'?"});
  // An index into a list that the file does not have: nothing to index.
  CHECK(formatted(load(kTwoHosts, {{"workloads[0].count", "3"}})) ==
        Errors{"--set:1:10: error: workloads[0].count: workloads is not written in the scenario, so it has no [0]"});
}

TEST_CASE("override (--set): creates the maps a path needs", "[set]") {
  const auto r = load(kTwoHosts, {{"hosts[1].rnic.tcp.cc", "cubic"}, {"stop.after", "5ms"},
                                  {"hosts[0].rnic.pcie", "{gen: 4, lanes: 16}"}});
  INFO(all_errors(r));
  REQUIRE(r.ok());
  CHECK(r.scenario->hosts[1].rnic.tcp.cc == "cubic");
  CHECK(r.scenario->hosts[0].rnic.tcp.cc == "newreno");
  CHECK(r.scenario->stop_after == Duration::from_ms(5));
  CHECK(r.scenario->hosts[0].rnic.pcie.gen == 4);
  CHECK(r.scenario->hosts[0].rnic.pcie.lanes == 16);
  CHECK(r.scenario->written.count("hosts[1].rnic.tcp.cc"));
  CHECK(r.scenario->written.count("hosts[1].rnic"));
}

TEST_CASE("override (--set): can replace a whole list entry or list", "[set]") {
  const auto r = load(std::string(kTwoHosts) + "workloads: [{id: w1, conn: c1, op: write, size: 1}]\n",
                      {{"workloads[0].size", "[4KiB, 64KiB]"}, {"connections[0].mpa.server", "{reject: true}"}});
  INFO(all_errors(r));
  REQUIRE(r.ok());
  CHECK(r.scenario->workloads[0].sizes == std::vector<uint64_t>{4096, 65536});
  CHECK(r.scenario->workloads[0].size_sweep);
  CHECK(r.scenario->connections[0].mpa.server.reject);
}

TEST_CASE("override (--set): values are checked like the file's own", "[set]") {
  const auto r = load(kTwoHosts, {{"links[0].rate", "10"}, {"hosts[1].rnic.tcp.cc", "cubik"}, {"hosts[0].mtu", "99999"}});
  CHECK(formatted(r) == Errors{
                            "--set:1:15: error: links[0].rate: expected a rate (bps, Kbps, Mbps, Gbps), got '10' (a bare "
                            "number has no unit)",
                            "--set:2:22: error: hosts[1].rnic.tcp.cc: expected one of newreno | cubic | dctcp, got "
                            "'cubik'; did you mean 'cubic'?",
                            "--set:3:14: error: hosts[0].mtu: expected an integer in 576..9216, got '99999'",
                        });
}

TEST_CASE("override (--set): paths must exist in the contract", "[set]") {
  const auto r = load(kTwoHosts, {{"hosts[0].rnic.tcp.ccc", "cubic"},
                                  {"hosts[2].mtu", "1500"},
                                  {"lnks[0].rate", "1Gbps"},
                                  {"links.rate", "1Gbps"},
                                  {"name[0]", "x"},
                                  {"hosts[x].mtu", "1500"},
                                  {"", "1"},
                                  {"seed", "[1,"}});
  INFO(all_errors(r));
  CHECK(formatted(r) == Errors{
                            "--set:1:19: error: hosts[0].rnic.tcp.ccc: unknown key; did you mean 'cc'?",
                            "--set:2:6: error: hosts[2].mtu: index 2 is past the end of hosts (2 entries)",
                            "--set:3:5: error: lnks[0].rate: lnks is not written in the scenario, so it has no [0]",
                            "--set:4:7: error: links.rate: links is a list, not a mapping: it cannot hold key 'rate'",
                            "--set:5:5: error: name[0]: name is a plain value, not a list: it has no [0]",
                            "--set:6:6: error: 'hosts[x].mtu': an index is written [N] after a key, as in hosts[1]",
                            "--set:7:1: error: '': empty path; write --set PATH=VALUE, as in links[0].rate=10Gbps",
                            "--set:8:6: error: seed: value is not YAML: end of sequence flow not found",
                        });
}

TEST_CASE("override (--set): errors come after the file's, which are still all reported", "[set]") {
  const auto r = load(std::string(kTwoHosts) + "seed: x\n", {{"seed", "y"}, {"stop.after", "1"}});
  CHECK(formatted(r) == Errors{
                            "--set:1:6: error: seed: expected an integer >= 0, got 'y'",
                            "--set:2:12: error: stop.after: expected a time (ns, us, ms, s), got '1' (a bare number has "
                            "no unit)",
                        });
}

TEST_CASE("load_scenario_file applies --set too, and reports an unreadable file", "[set]") {
  const auto r = load_scenario_file(data_path("minimal.yaml"), results(), {{"workloads[0].count", "3"}});
  REQUIRE(r.ok());
  CHECK(r.scenario->workloads[0].count == 3);
  const auto missing = load_scenario_file("/nonexistent/x.yaml", results());
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].format() == "/nonexistent/x.yaml: error: cannot read the file: No such file or directory");
  CHECK_FALSE(missing.ok());
}
