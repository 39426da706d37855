// Routers end to end: what crosses a router, as tshark decodes the hosts' captures.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace {

nlohmann::json run(const std::string& rel, const std::string& dir) {
  std::filesystem::remove_all(dir);
  const auto r = e2e::sh(fmt::format("{} run {}/{} -o {} --pcap full", RNICSIM_BIN, RNICSIM_SOURCE_DIR, rel, dir));
  INFO(r.out);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(e2e::slurp(dir + "/results.json"));
}

/// tshark's fields (joined by ';') for the frames of `pcap` that `filter` selects: how many
/// frames show each line.
std::map<std::string, uint64_t> fields(const std::string& pcap, const std::string& filter, const std::string& f) {
  const auto out = e2e::sh(e2e::tshark() + " -o ip.check_checksum:TRUE -r " + pcap + " -Y '" + filter +
                               "' -T fields -E 'separator=;' " + f,
                           false);
  std::map<std::string, uint64_t> n;
  std::istringstream in(out.out);
  std::string line;
  while (std::getline(in, line)) ++n[line];
  return n;
}

}  // namespace

TEST_CASE("router_basic: every packet crosses the router with TTL 63, a good checksum and the router's MAC") {
  const std::string dir = std::string(RNICSIM_WORK_DIR) + "/router_basic";
  const auto r = run("tests/data/router_basic.yaml", dir);
  CHECK(r["passed"] == true);
  const auto& rt = r["routers"]["r1"];
  CHECK(rt["dropped"] == 0);
  CHECK(rt["icmp_sent"] == 0);
  // ip.checksum.status 1: good (checked); the Ethernet source is the egress interface.
  const auto to_bob = fields(dir + "/bob.pcap", "ip.src==10.0.0.1", "-e ip.ttl -e ip.checksum.status -e eth.src -e eth.dst");
  const auto to_alice =
      fields(dir + "/alice.pcap", "ip.src==10.1.0.2", "-e ip.ttl -e ip.checksum.status -e eth.src -e eth.dst");
  REQUIRE(to_bob.size() == 1);
  REQUIRE(to_alice.size() == 1);
  CHECK(to_bob.begin()->first == "63;1;02:00:00:00:fe:02;02:00:00:00:00:02");
  CHECK(to_alice.begin()->first == "63;1;02:00:00:00:fe:01;02:00:00:00:00:01");
  // Every packet forwarded reached the other host's capture.
  CHECK(to_bob.begin()->second + to_alice.begin()->second == rt["forwarded"].get<uint64_t>());
  CHECK(rt["forwarded"] == 8544);  // 5844 data segments, 2700 ACKs (16 of them quick ACKs)
  // The senders' own frames leave with TTL 64, addressed to the router.
  CHECK(fields(dir + "/alice.pcap", "ip.src==10.0.0.1", "-e ip.ttl -e eth.dst") ==
        std::map<std::string, uint64_t>{{"64;02:00:00:00:fe:01", to_bob.begin()->second}});
  CHECK(e2e::sh(e2e::tshark() + " -r " + dir + "/bob.pcap -Y _ws.malformed | wc -l", false).out == "0\n");
}

TEST_CASE("router_small_mtu: DF segments above 1280 bytes come back as fragmentation needed, MTU 1280") {
  const std::string dir = std::string(RNICSIM_WORK_DIR) + "/router_small_mtu";
  const auto r = run("tests/data/router_small_mtu.yaml", dir);
  const auto& rt = r["routers"]["r1"];
  const uint64_t refused = rt["frag_needed"].get<uint64_t>();
  CHECK(refused > 0);
  CHECK(rt["icmp_sent"] == refused);
  // Each error from the router's eth0 address, type 3 code 4, next-hop MTU 1280, a good
  // ICMP checksum, DF clear, 576 bytes, quoting alice's 1500-byte DF segment to bob.
  const auto icmp = fields(dir + "/alice.pcap", "icmp",
                           "-e ip.src -e ip.dst -e ip.flags.df -e ip.len -e icmp.type -e icmp.code -e icmp.mtu "
                           "-e icmp.checksum.status");
  CHECK(icmp == std::map<std::string, uint64_t>{
                    {"10.0.0.254,10.0.0.1;10.0.0.1,10.1.0.2;0,1;576,1500;3;4;1280;1", refused}});
  CHECK(r["hosts"]["alice"]["host_if"]["icmp"]["in_dest_unreachs"] == refused);
  // Past the router no frame exceeds 1280 + 14 bytes; every packet forwarded either way
  // is in the other host's capture.
  uint64_t frames = 0;
  for (const auto& [len, n] : fields(dir + "/bob.pcap", "ip.src==10.0.0.1", "-e frame.len")) {
    CHECK(std::stoul(len) <= 1280 + 14);
    frames += n;
  }
  CHECK(frames > 0);
  for (const auto& [line, n] : fields(dir + "/alice.pcap", "ip.src==10.1.0.2", "-e frame.len")) frames += n;
  CHECK(frames == rt["forwarded"].get<uint64_t>());
}
