// Every RNIC profile carries its line rate: a bulk RDMA Write on its defaults (the link at
// the profile's rate, the PCIe link the profile names) reaches 99.5-100% of what the wire
// can carry; a scenario's own `rnic.pcie` still overrides the profile's link.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <regex>
#include <sstream>

#include "tests/e2e/e2e_util.h"

using e2e::sh;
using nlohmann::json;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kWork = RNICSIM_WORK_DIR;

/// 64 x 1 MiB Writes at depth 8 between two hosts on `profile`, with `pcie` under rnic.
json run_write(const std::string& profile, const std::string& pcie = "") {
  const std::string dir = kWork + "/profiles/" + profile + (pcie.empty() ? "" : "_pcie");
  std::filesystem::create_directories(dir);
  const std::string rnic = "{profile: " + profile + (pcie.empty() ? "" : ", pcie: " + pcie) + "}";
  std::ofstream(dir + "/s.yaml") << "name: w\nhosts:\n"
                                 << "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: " << rnic << "}\n"
                                 << "  - {name: bob, ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\", rnic: " << rnic << "}\n"
                                 << "links:\n  - {ends: [alice, bob]}\n"
                                 << "connections:\n  - {id: c1, from: alice, to: bob, port: 5000}\n"
                                 << "workloads:\n  - {id: w1, conn: c1, op: write, size: 1MiB, count: 64, depth: 8}\n";
  const auto r = sh(kBin + " run --pcap off -o " + dir + "/out " + dir + "/s.yaml");
  INFO(r.out);
  REQUIRE(r.status == 0);
  return json::parse(e2e::slurp(dir + "/out/results.json"));
}

}  // namespace

TEST_CASE("profiles: each profile's bulk Write reaches 99.5-100% of its wire's limit on the profile's PCIe link") {
  // The profiles and their line rates, as `rnicsim profiles` lists them.
  const auto listing = sh(kBin + " profiles");
  REQUIRE(listing.status == 0);
  const std::regex head(R"(^(\w+): .*PCIe gen (\d) x(\d+))");
  const std::regex rate(R"(^  line_rate +(\d+)Gbps )");
  std::vector<std::pair<std::string, double>> profiles;
  std::istringstream in(listing.out);
  std::string line, name, pcie;
  for (std::smatch m; std::getline(in, line);) {
    if (std::regex_search(line, m, head)) name = m[1], pcie = m[2].str() + " x" + m[3].str();
    if (std::regex_search(line, m, rate)) profiles.emplace_back(name + " " + pcie, std::stod(m[1]));
  }
  REQUIRE(profiles.size() == 5);
  CHECK(profiles[3].first == "generic_100g 3 x16");
  CHECK(profiles[4].first == "chelsio_t5 3 x8");
  for (const auto& [p, gbps] : profiles) {
    INFO(p);
    // MTU 1500 with timestamps: 1428 bytes of DDP payload in each 1538 bytes on the wire
    // (protocol-facts.md): 9.285, 23.21, 37.14 (generic_40g and chelsio_t5) and 92.85 Gb/s.
    const double limit = gbps * 1428.0 / 1538.0;
    const json r = run_write(p.substr(0, p.find(' ')));
    const json& w = r["workloads"]["w1"];
    CHECK(w["completed"] == 64);
    CHECK(w["data_intact"] == true);
    CHECK(w["goodput_gbps"].get<double>() >= 0.995 * limit);
    CHECK(w["goodput_gbps"].get<double>() <= limit);
  }
}

TEST_CASE("profiles: rnic.pcie overrides the profile's link (generic_100g on gen 3 x8 falls behind its wire)") {
  // Gen 3 x8 carries about 58 Gb/s of the model's DMA writes: the Writes complete at TCP's
  // ACK, bounded by the wire, but the target's placement (and so its memory) lags.
  const json r = run_write("generic_100g", "{gen: 3, lanes: 8}");
  const json d = run_write("generic_100g");
  CHECK(r["workloads"]["w1"]["completed"] == 64);
  CHECK(r["hosts"]["bob"]["rnic"]["dma"]["write_bytes"] == d["hosts"]["bob"]["rnic"]["dma"]["write_bytes"]);
  CHECK(r["sim_time_ns"].get<double>() > 1.3 * d["sim_time_ns"].get<double>());
}

TEST_CASE("back-pressure: a target on PCIe gen 1 x1 slows the sender to its bus, the window shrinking") {
  const std::string dir = kWork + "/profiles/slow_bus";
  std::filesystem::create_directories(dir);
  const auto r = sh(kBin + " run --pcap off -o " + dir + " " + std::string(RNICSIM_SOURCE_DIR) +
                    "/tests/data/scenarios/slow_bus_target.yaml");
  INFO(r.out);
  REQUIRE(r.status == 0);
  const json res = json::parse(e2e::slurp(dir + "/results.json"));
  const json& w = res["workloads"]["w1"];
  CHECK(w["completed"] == 16);
  CHECK(w["data_intact"] == true);
  // Gen 1 x1: 2 Gb/s after 8b/10b, 256 of every 280 bytes payload (24-byte TLP overhead):
  // 1.83 Gb/s. The run lasts as long as the bus needs for 16 MiB; the initiator's goodput
  // exceeds the bus only by what the 256 KiB buffer let it finish early.
  const double bus = 2.0 * 256 / 280;
  CHECK(res["sim_time_ns"].get<double>() >= 16.0 * 1048576 * 8 / bus);
  CHECK(w["goodput_gbps"].get<double>() <= bus * 16.0 / (16.0 - 0.25) + 0.001);
  CHECK(w["goodput_gbps"].get<double>() >= 0.95 * bus);
  // The window bob offers, as alice holds it: most of its 256 KiB at the first sample
  // (100 us), then a few segments while the bus drains it.
  std::istringstream csv(e2e::slurp(dir + "/timeseries.csv"));
  std::string line;
  std::getline(csv, line);
  std::vector<std::string> head;
  for (std::stringstream ss(line); std::getline(ss, line, ',');) head.push_back(line);
  const auto col = std::find(head.begin(), head.end(), "c1.peer_window_bytes") - head.begin();
  REQUIRE(col < static_cast<long>(head.size()));
  double first = -1, least = 1e18;
  int rows = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    for (std::stringstream ss(line); std::getline(ss, line, ',');) f.push_back(line);
    const double v = std::stod(f[static_cast<size_t>(col)]);
    if (v > 0 && first < 0) first = v;
    if (v > 0 || first > 0) least = std::min(least, v);
    ++rows;
  }
  CHECK(rows > 700);
  CHECK(first > 128 * 1024);
  CHECK(least < 16 * 1024);
}
