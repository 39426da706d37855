// The stats registry seen from the command line: a figure declared in one block's Stats
// (the DMA's completion TLPs, the TOE's segments) is in `rnicsim stats`, is a path an
// `expect` may name (`check` accepts it, `run` checks it) and is in results.json with
// the value the block counted.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_util.h"

using e2e::sh;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kWork = RNICSIM_WORK_DIR;

// PCIe MPS = MRRS: every read of N bytes is ceil(N/256) requests answered by as many
// completions, so the DMA's two counters must agree exactly.
const char* kScenario = R"(name: stats_figures
hosts:
  - name: a
    ip: 10.0.0.1/24
    mac: "02:00:00:00:00:01"
    rnic: {pcie: {mps: 256B, mrrs: 256B}}
  - name: b
    ip: 10.0.0.2/24
    mac: "02:00:00:00:00:02"
    rnic: {pcie: {mps: 256B, mrrs: 256B}}
links:
  - {ends: [a, b], rate: 25Gbps, delay: 1us}
connections:
  - {id: c1, from: a, to: b, port: 7000}
workloads:
  - {id: w1, conn: c1, op: write, size: 64KiB, count: 20, depth: 4}
expect:
  - {metric: hosts.a.rnic.dma.completion_tlps, min: 1}
  - {metric: hosts.a.rnic.toe.segments_tx, min: 1}
)";

}  // namespace

TEST_CASE("stats: a block's figure is listed, expectable and written with its value") {
  const auto listing = sh(kBin + " stats", false);
  REQUIRE(listing.status == 0);
  CHECK(listing.out.find("hosts.<host>.rnic.dma.completion_tlps") != std::string::npos);
  CHECK(listing.out.find("hosts.<host>.rnic.toe.segments_tx") != std::string::npos);

  std::filesystem::create_directories(kWork + "/stats");
  const std::string file = kWork + "/stats/stats_figures.yaml";
  std::ofstream(file) << kScenario;
  const auto check = sh(kBin + " check " + file);
  INFO(check.out);
  REQUIRE(check.status == 0);

  const std::string out = kWork + "/stats/run";
  const auto run = sh(kBin + " run " + file + " -o " + out + " --pcap off");
  INFO(run.out);
  REQUIRE(run.status == 0);
  const auto r = nlohmann::json::parse(e2e::slurp(out + "/results.json"));
  const auto& dma = r["hosts"]["a"]["rnic"]["dma"];
  CHECK(dma["completion_tlps"].get<uint64_t>() > 0);
  CHECK(dma["completion_tlps"] == dma["read_tlps"]);
  // One connection: every segment the client's TOE sent is one of that connection's.
  CHECK(r["hosts"]["a"]["rnic"]["toe"]["segments_tx"] == r["connections"]["c1"]["tcp"]["segments_tx"]);
  CHECK(r["hosts"]["b"]["rnic"]["toe"]["segments_tx"] == r["connections"]["c1"]["server_tcp"]["segments_tx"]);
  REQUIRE(r["expectations"].size() == 2);
  CHECK(r["expectations"][0]["actual"] == dma["completion_tlps"]);
  CHECK(r["expectations"][0]["passed"] == true);

  // A figure no block declares is refused by check, with the group's fields.
  std::ofstream(file) << std::string(kScenario) + "  - {metric: hosts.a.rnic.dma.completions, min: 1}\n";
  const auto bad = sh(kBin + " check " + file);
  CHECK(bad.status == 2);
  CHECK(bad.out.find("hosts.a.rnic.dma has no field 'completions'") != std::string::npos);
}

TEST_CASE("stats: the host's IPv4 receive and ICMP figures are listed and written") {
  const auto listing = sh(kBin + " stats", false);
  REQUIRE(listing.status == 0);
  CHECK(listing.out.find("hosts.<host>.host_if.ip.in_receives") != std::string::npos);
  CHECK(listing.out.find("hosts.<host>.host_if.icmp.in_msgs") != std::string::npos);
  std::filesystem::create_directories(kWork + "/stats");
  const std::string file = kWork + "/stats/stats_ip.yaml";
  std::ofstream(file) << kScenario;
  const std::string out = kWork + "/stats/run_ip";
  const auto run = sh(kBin + " run " + file + " -o " + out + " --pcap off");
  INFO(run.out);
  REQUIRE(run.status == 0);
  const auto r = nlohmann::json::parse(e2e::slurp(out + "/results.json"));
  // Every IPv4 packet here is an offloaded connection's segment, which the RNIC's demux
  // claims: none reaches the host's IPv4 receive, and no ICMP is sent.
  for (const char* h : {"a", "b"}) {
    CHECK(r["hosts"][h]["host_if"]["ip"]["in_receives"] == 0);
    CHECK(r["hosts"][h]["host_if"]["ip"]["in_delivers"] == 0);
    CHECK(r["hosts"][h]["host_if"]["icmp"]["in_msgs"] == 0);
  }
}
