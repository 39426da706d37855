// The RNIC's PCIe link at the TLP level in a run (model/hw/pcie through hw::Dma): the
// TLPs of a known sequence counted exactly per direction, their bytes on the link, the
// read latency distribution, and a bus that carries less than the wire holding the
// goodput to what it carries.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"

using e2e::sh;
using nlohmann::json;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kWork = RNICSIM_WORK_DIR;

/// Two hosts on one 25 Gb/s link, one connection, one workload line; `pcie` under rnic.
json run(const std::string& name, const std::string& workload, const std::string& pcie = "") {
  const std::string dir = kWork + "/pcie/" + name;
  std::filesystem::create_directories(dir);
  const std::string rnic = pcie.empty() ? "{}" : "{pcie: " + pcie + "}";
  std::ofstream(dir + "/s.yaml") << "name: " << name << "\nhosts:\n"
                                 << "  - {name: alice, ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\", rnic: " << rnic << "}\n"
                                 << "  - {name: bob, ip: 10.0.0.2/24, mac: \"02:00:00:00:00:02\", rnic: " << rnic << "}\n"
                                 << "links:\n  - {ends: [alice, bob], rate: 25Gbps}\n"
                                 << "connections:\n  - {id: c1, from: alice, to: bob, port: 5000}\n"
                                 << "workloads:\n  - " << workload << "\n";
  const auto r = sh(kBin + " run --pcap off -o " + dir + "/out " + dir + "/s.yaml");
  INFO(r.out);
  REQUIRE(r.status == 0);
  return json::parse(e2e::slurp(dir + "/out/results.json"));
}

}  // namespace

TEST_CASE("pcie: one 8-byte RDMA Write's TLPs, counted exactly on both RNICs") {
  const json r = run("write8", "{id: w1, conn: c1, op: write, size: 8B, count: 1}");
  REQUIRE(r["workloads"]["w1"]["completed"] == 1);
  const json& a = r["hosts"]["alice"]["rnic"]["pcie"];
  const json& b = r["hosts"]["bob"]["rnic"]["pcie"];
  // The initiator: the doorbell (an 8-byte MMIO write, host to RNIC), the WQE fetch (a
  // 64-byte read) and the payload's read (8 bytes), each answered by one completion, and
  // the 32-byte CQE written.
  CHECK(a["host_writes"] == 1);
  CHECK(a["down"]["posted_tlps"] == 1);
  CHECK(a["reads"] == 2);
  CHECK(a["up"]["nonposted_tlps"] == 2);
  CHECK(a["down"]["completion_tlps"] == 2);
  CHECK(a["down"]["payload_bytes"] == 8 + 64 + 8);
  CHECK(a["writes"] == 1);
  CHECK(a["up"]["posted_tlps"] == 1);
  CHECK(a["up"]["payload_bytes"] == 32);
  // Host memory's pages lie above 4 GiB (model/mem/host_memory.h scatters them over the
  // first 256 GiB), so every request the RNIC makes has a 4 DW header: 8 bytes of framing
  // and 16 of header (+ payload); a completion's header is 3 DW (20 bytes with framing),
  // and the doorbell, in the BAR below 4 GiB, is a 3 DW write.
  CHECK(a["up"]["link_bytes"] == 2 * 24 + (24 + 32));
  CHECK(a["down"]["link_bytes"] == (20 + 8) + (20 + 64) + (20 + 8));
  CHECK(a["up"]["credit_stalls"] == 0);
  CHECK(a["tag_stalls"] == 0);
  // The contract's dma figures agree.
  const json& ad = r["hosts"]["alice"]["rnic"]["dma"];
  CHECK(ad["read_tlps"] == 2);
  CHECK(ad["completion_tlps"] == 2);
  CHECK(ad["write_tlps"] == 1);
  CHECK(ad["read_bytes"] == 72);
  CHECK(ad["write_bytes"] == 32);
  // The target: the 8 bytes placed by one memory write; the passive side posts nothing.
  CHECK(b["writes"] == 1);
  CHECK(b["up"]["posted_tlps"] == 1);
  CHECK(b["up"]["payload_bytes"] == 8);
  CHECK(b["up"]["link_bytes"] == 24 + 8);
  CHECK(b["reads"] == 0);
  CHECK(b["down"]["tlps"] == 0);
  // Gen 3 x8, MPS 256 carries TLPs at 57.885 Gb/s each way. The 8-byte read: its 24-byte
  // request (3.32 ns), read_latency (500 ns), its 8 bytes at the completer's 11.3 Gb/s
  // (5.66 ns), the 28-byte completion (3.87 ns): 512.85 ns. The 64-byte WQE fetch: 3.32 +
  // 500 + 45.31 + 11.61 = 560.24 ns.
  CHECK(a["read_latency_ns"]["min"].get<double>() == Approx(512.85).margin(0.01));
  CHECK(a["read_latency_ns"]["max"].get<double>() == Approx(560.24).margin(0.01));
}

TEST_CASE("pcie: 1 MiB Writes on gen 1 x1 carry what the link carries, MPS by MPS") {
  // Gen 1 x1: 2.5 GT/s, 8b/10b, less one ACK and one UpdateFC DLLP per 416 symbol times
  // (x1, MPS 256) and SKP: 2 Gb/s x (1 - 16/416 - 4/1538) = 1.9179 Gb/s of TLPs; a
  // 256-byte write costs 276 bytes: 1.7789 Gb/s of payload at most.
  const json r = run("gen1x1", "{id: w1, conn: c1, op: write, size: 1MiB, count: 4, depth: 4}", "{gen: 1, lanes: 1}");
  const json& w = r["workloads"]["w1"];
  REQUIRE(w["completed"] == 4);
  CHECK(w["data_intact"] == true);
  const json& b = r["hosts"]["bob"]["rnic"]["pcie"];
  CHECK(b["up"]["payload_bytes"] == 4 * 1048576);
  // Every FPDU's payload is cut at each 256-byte boundary of the target's addresses.
  CHECK(b["up"]["posted_tlps"].get<uint64_t>() >= 4 * 4096);
  CHECK(w["goodput_gbps"].get<double>() <= 1.7789);
  CHECK(w["goodput_gbps"].get<double>() >= 1.6);
}
