// quickstart end to end: exact results, and tshark's decoding of the capture.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

#include "tests/e2e/e2e_util.h"

using e2e::sh;
using nlohmann::json;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kSrc = RNICSIM_SOURCE_DIR;
const std::string kWork = RNICSIM_WORK_DIR;

std::string run_quickstart(const std::string& dir, const std::string& extra = "") {
  std::filesystem::create_directories(dir);
  const auto r = sh(kBin + " run " + kSrc + "/scenarios/quickstart.yaml -o " + dir + " " + extra);
  INFO(r.out);
  REQUIRE(r.status == 0);
  return r.out;
}

uint64_t count_lines(const std::string& s) {
  uint64_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("quickstart: 64 RDMA Writes of 1 MiB complete, intact, at the wire's rate") {
  const std::string dir = kWork + "/quickstart";
  const std::string summary = run_quickstart(dir);
  CHECK(summary.find("64 completed") != std::string::npos);
  const json r = json::parse(e2e::slurp(dir + "/results.json"));
  const json& w = r["workloads"]["w1"];
  CHECK(r["passed"] == true);
  CHECK(w["completed"] == 64);
  CHECK(w["errors"] == 0);
  CHECK(w["bytes"] == 64ull * 1024 * 1024);
  CHECK(w["data_intact"] == true);
  // protocol-facts.md: MTU 1500 with timestamps carries 1428 payload bytes per 1538 wire
  // bytes, 23.21 Gb/s at 25 Gb/s; setup and the last ACK cost a little.
  CHECK(w["goodput_gbps"].get<double>() > 23.0);
  CHECK(w["goodput_gbps"].get<double>() <= 23.215);
  const json& c = r["connections"]["c1"];
  CHECK(c["state"] == "established");
  CHECK(c["tcp"]["retransmits"] == 0);
  CHECK(c["tcp"]["mss"] == 1460);
  CHECK(c["mpa"]["revision"] == 2);
  CHECK(c["mpa"]["crc"] == true);
  // 735 FPDUs per 1 MiB message (1048576 / 1428, rounded up), one per frame.
  CHECK(r["hosts"]["bob"]["rnic"]["placement"]["segments"] == 64 * 735);
  CHECK(r["hosts"]["bob"]["rnic"]["placement"]["bytes"] == 64ull * 1024 * 1024);
  CHECK(r["hosts"]["bob"]["rnic"]["placement"]["violations"] == 0);
  CHECK(r["hosts"]["alice"]["rnic"]["mac"]["fcs_errors"] == 0);

  // events.jsonl: the port mapper's answers for the two offloaded ports, each host learned
  // its neighbour by ARP and told its RNIC, the iw_cm events of one connection.
  const std::string ev = e2e::slurp(dir + "/events.jsonl");
  CHECK(count_lines(ev) == 7);
  CHECK(ev.find(R"("host":"bob","direction":"to_rnic","kind":"port_mapping","port":5000,"use":"listen","status":0)") != std::string::npos);
  CHECK(ev.find(R"("host":"alice","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.2","mac":"02:00:00:00:00:02")") != std::string::npos);
  CHECK(ev.find(R"("host":"bob","direction":"to_host","kind":"connect_request","port":5000)") != std::string::npos);
  CHECK(ev.find(R"("host":"alice","direction":"to_host","kind":"connect_reply","qpn":0,"status":0)") != std::string::npos);

  const std::string pcap = dir + "/alice.pcap";
  const std::string T = e2e::tshark();
  SECTION("tshark finds the MPA Request and Reply") {
    auto req = sh(T + " -r " + pcap + " -Y iwarp_mpa.req -T fields -e iwarp_mpa.rev -e iwarp_mpa.crc_flag", false);
    CHECK(req.status == 0);
    CHECK(req.out == "2\t1\n");  // revision 2, CRC asked for
    CHECK(count_lines(sh(T + " -r " + pcap + " -Y iwarp_mpa.rep", false).out) == 1);
  }
  SECTION("tshark decodes 64 MiB of RDMA Write payload, every CRC good") {
    auto f = sh(T + " -r " + pcap + " -Y 'iwarp_rdma.opcode == 0' -T fields -e iwarp_mpa.ulpdulength", false);
    REQUIRE(f.status == 0);
    std::istringstream in(f.out);
    uint64_t fpdus = 0, payload = 0;
    std::string len;
    while (in >> len) {
      ++fpdus;
      payload += std::stoull(len) - 14;  // tagged DDP/RDMAP header
    }
    // 735 per MiB, and the zero-length RDMA Write that is the RFC 6581 RTR (docs/mpa.md).
    CHECK(fpdus == 64 * 735 + 1);
    CHECK(payload == 64ull * 1024 * 1024);
    // tshark checks each FPDU's CRC32c (CRC was negotiated) and says Good or Bad.
    auto good = sh(T + " -r " + pcap + " -V | grep -c '(Good CRC32)'", false);
    auto bad = sh(T + " -r " + pcap + " -V | grep -c 'Bad CRC32'", false);
    CHECK(std::stoull(good.out) == fpdus);
    CHECK(std::stoull(bad.out) == 0);
  }
  SECTION("no malformed packet, no TCP analysis warning, only the two rev-2 notes") {
    CHECK(count_lines(sh(T + " -r " + pcap + " -Y _ws.malformed", false).out) == 0);
    CHECK(count_lines(sh(T + " -r " + pcap + " -Y tcp.analysis.flags", false).out) == 0);
    const auto ex = sh(T + " -r " + pcap + " -q -z expert", false);
    INFO(ex.out);
    CHECK(ex.out.find("Errors") == std::string::npos);
    CHECK(ex.out.find("Rev field is NOT set to one") != std::string::npos);
    // Warnings: exactly the two rev-2 ones (Request and Reply each).
    CHECK(ex.out.find("Warns (4)") != std::string::npos);
  }
}

TEST_CASE("quickstart: same seed, byte-identical outputs") {
  const std::string a = kWork + "/det_a", b = kWork + "/det_b";
  run_quickstart(a);
  run_quickstart(b);
  for (const char* f : {"alice.pcap", "bob.pcap", "events.jsonl"})
    CHECK(e2e::slurp(a + "/" + f) == e2e::slurp(b + "/" + f));
  json ra = json::parse(e2e::slurp(a + "/results.json"));
  json rb = json::parse(e2e::slurp(b + "/results.json"));
  ra.erase("wall_time_s");
  rb.erase("wall_time_s");
  CHECK(ra.dump() == rb.dump());
}
