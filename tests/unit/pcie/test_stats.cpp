// The link's figures through the stats registry: per direction TLPs, bytes, DLLPs and
// credit stalls, and the read latency distribution, as results.json would hold them.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "model/hw/pcie/link.h"

using namespace rnicsim;
using namespace rnicsim::hw::pcie;

TEST_CASE("the stats group writes both directions and the read latency distribution") {
  Link link{PcieConfig{}};
  const uint64_t high = uint64_t{64} << 30;
  link.write(Duration{}, high, 4096);             // 16 TLPs up
  link.read(Duration::from_us(10), high, 8);      // 1 request up, 1 completion down
  link.read(Duration::from_us(20), high, 1520);   // 3 requests up, 6 completions down
  stats::Json j = stats::Json::object();
  PcieStats::group().dump(link.stats(), j);

  CHECK(j["up"]["tlps"] == 20);
  CHECK(j["up"]["posted_tlps"] == 16);
  CHECK(j["up"]["nonposted_tlps"] == 4);
  CHECK(j["up"]["payload_bytes"] == 4096);
  CHECK(j["up"]["link_bytes"] == 16 * 280 + 4 * 24);
  CHECK(j["up"]["credit_stalls"] == 0);
  CHECK(j["down"]["completion_tlps"] == 7);
  CHECK(j["down"]["payload_bytes"] == 1528);
  CHECK(j["down"]["link_bytes"] == (8 + 20) + 1520 + 6 * 20);
  CHECK(j["reads"] == 2);
  CHECK(j["writes"] == 1);
  CHECK(j["tag_stalls"] == 0);
  CHECK(j["read_latency_ns"]["count"] == 2);
  CHECK(j["read_latency_ns"]["min"].get<double>() == Approx(529.9).margin(0.1));
  CHECK(j["read_latency_ns"]["max"].get<double>() == Approx(990.3).margin(0.1));

  // The tree `check` and `rnicsim stats` read names every figure once.
  const stats::Node root = PcieStats::group().root("PCIe link");
  REQUIRE(root.field("up") != nullptr);
  CHECK(root.field("up")->field("credit_stalls") != nullptr);
  CHECK(root.field("read_latency_ns") != nullptr);
}
