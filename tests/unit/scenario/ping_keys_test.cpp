// The ping workload's `timeout` key (an addition to the contract, docs/scenarios.md
// "ping"): 1 s by default, more than 0 when written, and for op: ping alone.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {
std::vector<std::string> errors_with(const std::string& more) { return formatted(load(std::string(kTwoHosts) + more)); }
}  // namespace

TEST_CASE("ping timeout: default, value and where it is allowed", "[values]") {
  const auto d = load(std::string(kTwoHosts) + "workloads: [{id: w1, op: ping, from: alice, to: 10.0.0.2}]\n");
  REQUIRE(d.ok());
  CHECK(d.scenario->workloads[0].timeout == rnicsim::Duration::from_s(1));
  const auto w = load(std::string(kTwoHosts) + "workloads: [{id: w1, op: ping, from: alice, to: 10.0.0.2, timeout: 250ms}]\n");
  REQUIRE(w.ok());
  CHECK(w.scenario->workloads[0].timeout == rnicsim::Duration::from_ms(250));
  CHECK(errors_with("workloads: [{id: w1, op: ping, from: alice, to: 10.0.0.2, timeout: 0s}]\n") ==
        std::vector<std::string>{"scen.yaml:9:68: error: workloads[0].timeout: a request waits more than 0s for its answer"});
  CHECK(errors_with("workloads: [{id: w1, conn: c1, op: send, size: 1, timeout: 1s}]\n") ==
        std::vector<std::string>{"scen.yaml:9:51: error: workloads[0].timeout: not used by op: send (only by op: ping)"});
}
