// The dependency check on a tree that breaks each rule once (tests/data/layers/): every
// wrong include is found, named by file and line with the rule it breaks, and nothing
// else is (a commented-out include, an allowed one, a header that answers for itself).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/deps/layer_rules.h"

using namespace rnicsim;

TEST_CASE("every wrong include of the fixture tree, and only those", "[deps]") {
  const deps::Report r = deps::check_tree(std::string(RNICSIM_SOURCE_DIR) + "/tests/data/layers");
  const std::vector<deps::Rule>& rules = deps::project_rules();
  const std::string hw = rules[0].text, below_sim = rules[1].text, registers = rules[2].text,
                    no_systemc = rules[3].text;
  std::vector<std::string> got;
  for (const auto& v : r.violations) got.push_back(deps::to_string(v));
  const std::vector<std::string> want = {
      "firmware/wrong_block.cpp:3: includes \"model/hw/toe/toe.h\": " + registers,
      "firmware/wrong_sim.h:3: includes \"model/sim/node.h\": " + below_sim,
      "host_if/wrong_scenario.cpp:4: includes \"model/scenario/units_parse.h\": " + below_sim,
      "model/hw/link/through_cosim.h:4: includes \"model/cosim/bridge.h\", which reaches \"host_if/event_log.h\": " + hw,
      "model/hw/mac/wrong_host.h:2: includes \"host_if/host.h\": " + hw,
      "model/hw/rnic/wrong_firmware.cpp:2: includes \"firmware/firmware.h\": " + hw,
      "model/mem/through_common.h:3: includes \"model/common/timing.h\", which reaches \"model/common/sim.h\" "
      "through model/common/clock.h: " + no_systemc,
      "model/proto/wrong_systemc.h:3: includes <systemc>: " + no_systemc,
      "model/wire/wrong_sim_h.h:2: includes \"model/common/sim.h\": " + no_systemc,
  };
  CHECK(got == want);
  CHECK(r.files == 16);
}

TEST_CASE("a layer the tree lacks is skipped; includes a rule allows are not reported", "[deps]") {
  // model/stats/ is not in the fixture; its model/hw/ includes SystemC (<systemc>), the
  // host, the firmware and host memory, none of them forbidden by this rule.
  const std::vector<deps::Rule> rules = {{"test rule", {"model/hw/", "model/stats/"}, {"sysc/"}}};
  const deps::Report r = deps::check_tree(std::string(RNICSIM_SOURCE_DIR) + "/tests/data/layers", rules);
  CHECK(r.violations.empty());
  CHECK(r.files == 5);
}
