// Every RNIC profile carries its line rate: a bulk RDMA Write on its defaults (the link at
// the profile's rate, the PCIe link the profile names) reaches 99.5-100% of what the wire
// can carry; a scenario's own `rnic.pcie` still overrides the profile's link.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

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
  REQUIRE(profiles.size() == 4);
  CHECK(profiles[3].first == "generic_100g 3 x16");
  for (const auto& [p, gbps] : profiles) {
    INFO(p);
    // MTU 1500 with timestamps: 1428 bytes of DDP payload in each 1538 bytes on the wire
    // (protocol-facts.md): 9.285, 23.21, 37.14 and 92.85 Gb/s.
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
