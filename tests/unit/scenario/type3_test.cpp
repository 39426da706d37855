// A type-3 RNIC's keys across the scenario: `rnic.notify` means nothing on it.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace rnicsim::scenario;
using namespace rnicsim::scenario::test;

namespace {

/// A host `carol` whose `rnic:` mapping is `rnic` (line 6, from column 11: `notify`'s value at 71).
LoadResult carol(const std::string& rnic) {
  return load(
      "name: t\n"
      "hosts:\n"
      "  - name: carol\n"
      "    ip: 10.0.0.3/24\n"
      "    mac: 02:00:00:00:00:03\n"
      "    rnic: " +
      rnic + "\n");
}

}  // namespace

TEST_CASE("type 3: rnic.notify written is an error, whichever mode", "[type3]") {
  for (const char* mode : {"netevent", "arp_snoop", "none"}) {
    const auto r = carol(std::string("{type: 3, ip: 10.0.0.13/24, mac: 02:00:00:00:01:03, notify: ") + mode + "}");
    CHECK(formatted(r) ==
          std::vector<std::string>{"scen.yaml:6:71: error: hosts[0].rnic.notify: a type-3 RNIC runs ARP and ICMP "
                                   "itself and hears no netevents from its host: notify applies to type 7 only"});
  }
  // Unwritten, the default is no error; on type 7 every mode stays allowed.
  CHECK(carol("{type: 3, ip: 10.0.0.13/24, mac: 02:00:00:00:01:03}").ok());
  CHECK(carol("{type: 7, notify: arp_snoop}").ok());
}
