// A type-3 RNIC end to end (scenarios/host_events/type3.yaml): bob's RNIC has 10.0.0.12
// and 02:00:00:00:01:02 of its own beside bob's host (10.0.0.2, 02:00:00:00:00:02) on one
// port. tshark's decoding of the captures says who answered which ARP and which
// addresses the RDMA and the host-stack TCP frames carry.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/e2e_util.h"

using e2e::sh;
using nlohmann::json;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kSrc = RNICSIM_SOURCE_DIR;
const std::string kWork = RNICSIM_WORK_DIR;
const std::string kScenario = kSrc + "/scenarios/host_events/type3.yaml";

std::string run_type3(const std::string& dir) {
  std::filesystem::create_directories(dir);
  const auto r = sh(kBin + " run " + kScenario + " -o " + dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  return r.out;
}

/// tshark's fields of the frames of `pcap` that match `filter`, one line per frame.
std::string fields(const std::string& pcap, const std::string& filter, const std::string& names) {
  std::string cmd = e2e::tshark() + " -r " + pcap + " -Y '" + filter + "' -T fields";
  std::istringstream in(names);
  std::string n;
  while (in >> n) cmd += " -e " + n;
  const auto r = sh(cmd, false);
  REQUIRE(r.status == 0);
  return r.out;
}

uint64_t count_lines(const std::string& s) {
  uint64_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("type 3: RDMA to the RNIC's own address beside host TCP to the host's, each answered by its owner") {
  const std::string dir = kWork + "/type3";
  run_type3(dir);
  const json r = json::parse(e2e::slurp(dir + "/results.json"));
  CHECK(r["passed"] == true);
  CHECK(r["workloads"]["w_rdma"]["completed"] == 64);
  CHECK(r["workloads"]["w_rdma"]["bytes"] == 64ull * 256 * 1024);
  CHECK(r["workloads"]["w_rdma"]["data_intact"] == true);
  CHECK(r["workloads"]["w_tcp"]["completed"] == 1);
  CHECK(r["workloads"]["w_tcp"]["data_intact"] == true);
  const json& bob = r["hosts"]["bob"];
  // Nothing crosses from bob's host to its RNIC; the RNIC asked nobody (alice's ARP
  // request named it first), and no stale-L2 reference applies to its own table.
  CHECK(bob["host_if"]["netevents_to_rnic"] == 0);
  CHECK(bob["host_if"]["arp_requests_tx"] == 0);
  CHECK(bob["rnic"]["mac"]["stale_l2_frames"] == 0);
  CHECK(bob["rnic"]["mac"]["rx_filtered"] == 0);
  CHECK(r["hosts"]["alice"]["host_if"]["arp_requests_tx"] == 2);

  // events.jsonl: the RNIC's own netdev registered at time 0, then nothing to bob's RNIC.
  const std::string ev = e2e::slurp(dir + "/events.jsonl");
  CHECK(ev.rfind(R"({"time_ns":0,"host":"bob","direction":"to_host","kind":"netdev_register","netdev":"rnic0","ip":"10.0.0.12/24","mac":"02:00:00:00:01:02"})"
                 "\n",
                 0) == 0);
  CHECK(ev.find(R"("host":"bob","direction":"to_rnic")") == std::string::npos);
  CHECK(ev.find(R"("host":"alice","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.12","mac":"02:00:00:00:01:02","state":"reachable")") !=
        std::string::npos);

  const std::string alice = dir + "/alice.pcap", bobp = dir + "/bob.pcap";
  SECTION("alice's ARP for 10.0.0.12 is answered by the RNIC's MAC, for 10.0.0.2 by the host's") {
    CHECK(fields(alice, "arp.opcode == 1", "eth.src arp.dst.proto_ipv4") ==
          "02:00:00:00:00:01\t10.0.0.12\n02:00:00:00:00:01\t10.0.0.2\n");
    // The host answers at once, the RNIC after its firmware's ARP handler (fw_arp_cost).
    CHECK(fields(alice, "arp.opcode == 2", "arp.src.hw_mac arp.src.proto_ipv4 arp.dst.proto_ipv4 eth.dst") ==
          "02:00:00:00:00:02\t10.0.0.2\t10.0.0.1\t02:00:00:00:00:01\n"
          "02:00:00:00:01:02\t10.0.0.12\t10.0.0.1\t02:00:00:00:00:01\n");
    // Replies counted by sender, as bob's port sent them: the host none for the RNIC's
    // address, the RNIC none for the host's.
    CHECK(count_lines(fields(bobp, "arp.opcode == 2 && eth.src == 02:00:00:00:00:02", "arp.src.proto_ipv4")) == 1);
    CHECK(count_lines(fields(bobp, "arp.opcode == 2 && eth.src == 02:00:00:00:01:02", "arp.src.proto_ipv4")) == 1);
    CHECK(count_lines(fields(bobp, "arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.0.12 && eth.src != 02:00:00:00:01:02",
                             "frame.number")) == 0);
    CHECK(count_lines(fields(bobp, "arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.0.2 && eth.src != 02:00:00:00:00:02",
                             "frame.number")) == 0);
  }
  SECTION("the RDMA frames carry the RNIC's MAC and IP, the TCP connection's the host's") {
    // 64 Writes of 256 KiB: 184 FPDUs of up to 1428 bytes each, and the zero-length Write
    // that is the RFC 6581 RTR; every one to the RNIC's addresses.
    const std::string writes = fields(alice, "iwarp_rdma.opcode == 0", "eth.src ip.src eth.dst ip.dst");
    CHECK(count_lines(writes) == 64 * 184 + 1);
    std::istringstream in(writes);
    std::string line;
    uint64_t other = 0;
    while (std::getline(in, line)) other += line != "02:00:00:00:00:01\t10.0.0.1\t02:00:00:00:01:02\t10.0.0.12";
    CHECK(other == 0);
    // Every frame bob sent on either connection, by its addresses.
    CHECK(fields(bobp, "tcp.srcport == 5000 && !(eth.src == 02:00:00:00:01:02 && ip.src == 10.0.0.12)", "frame.number")
              .empty());
    CHECK(count_lines(fields(bobp, "tcp.srcport == 5000", "frame.number")) > 0);
    CHECK(fields(bobp, "tcp.srcport == 6000 && !(eth.src == 02:00:00:00:00:02 && ip.src == 10.0.0.2)", "frame.number")
              .empty());
    CHECK(count_lines(fields(bobp, "tcp.srcport == 6000", "frame.number")) > 0);
    CHECK(fields(alice, "tcp.dstport == 6000 && !(eth.dst == 02:00:00:00:00:02 && ip.dst == 10.0.0.2)", "frame.number")
              .empty());
    CHECK(count_lines(fields(alice, "_ws.malformed", "frame.number")) == 0);
  }
}

namespace {

/// Writes `yaml` as `<name>.yaml` under the work folder and runs it; returns the output folder.
std::string run_inline(const std::string& name, const std::string& yaml) {
  const std::string dir = kWork + "/" + name;
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream(path) << yaml;
  const auto r = sh(kBin + " run " + path + " -o " + dir + "/out");
  INFO(r.out);
  REQUIRE(r.status == 0);
  return dir + "/out";
}

}  // namespace

TEST_CASE("type 3: an unanswered peer ends the connect with -113 after the firmware's own 3 ARP broadcasts") {
  const std::string out = run_inline("type3_unreachable", R"(name: type3_unreachable
stop: {after: 10s}
hosts:
  - {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01", rnic: {type: 3, ip: 10.0.0.11/24, mac: "02:00:00:00:01:01"}}
  - {name: bob, ip: 10.0.0.2/24, mac: "02:00:00:00:00:02"}
switches:
  - {name: sw0}
links:
  - {ends: [alice, sw0]}
  - {ends: [bob, sw0]}
connections:
  - {id: c1, from: alice, to: bob, port: 5000}
workloads:
  - {id: w1, conn: c1, op: write, size: 64KiB, count: 10}
events:
  - {at: 0us, link: bob_sw0, kind: down}
)");
  const json r = json::parse(e2e::slurp(out + "/results.json"));
  CHECK(r["connections"]["c1"]["state"] == "unreachable");
  CHECK(r["workloads"]["w1"]["errors"] == 10);
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["unreachable"] == 1);
  CHECK(r["hosts"]["alice"]["host_if"]["arp_requests_tx"] == 0);  // the host resolved nothing for it
  // The connect command (fw_connect_cost 2 us) asks at once, then Linux's retransmission
  // time of 1 s, each timer pass after fw_arp_cost (300 ns); FAILED after the third.
  CHECK(fields(out + "/alice.pcap", "arp", "frame.time_epoch eth.src eth.dst arp.src.proto_ipv4 arp.dst.proto_ipv4") ==
        "0.000002000\t02:00:00:00:01:01\tff:ff:ff:ff:ff:ff\t10.0.0.11\t10.0.0.2\n"
        "1.000002300\t02:00:00:00:01:01\tff:ff:ff:ff:ff:ff\t10.0.0.11\t10.0.0.2\n"
        "2.000002300\t02:00:00:00:01:01\tff:ff:ff:ff:ff:ff\t10.0.0.11\t10.0.0.2\n");
  const std::string ev = e2e::slurp(out + "/events.jsonl");
  CHECK(ev.find(R"({"time_ns":3000002300,"host":"alice","direction":"to_host","kind":"connect_reply","qpn":0,"status":-113})") !=
        std::string::npos);
}

TEST_CASE("type 3 as the active side, on both ends, and toward a type-7 peer that connects back") {
  const std::string out = run_inline("type3_both", R"(name: type3_both
stop: {after: 100ms}
hosts:
  - {name: alice, ip: 10.0.0.1/24, mac: "02:00:00:00:00:01", rnic: {type: 3, ip: 10.0.0.11/24, mac: "02:00:00:00:01:01"}}
  - {name: bob, ip: 10.0.0.2/24, mac: "02:00:00:00:00:02", rnic: {type: 3, ip: 10.0.0.12/24, mac: "02:00:00:00:01:02"}}
  - {name: carol, ip: 10.0.0.3/24, mac: "02:00:00:00:00:03"}
switches:
  - {name: sw0}
links:
  - {ends: [alice, sw0]}
  - {ends: [bob, sw0]}
  - {ends: [carol, sw0]}
connections:
  - {id: c1, from: alice, to: bob, port: 5000}
  - {id: c2, from: alice, to: carol, port: 5001}
  - {id: c3, from: carol, to: alice, port: 5002}
workloads:
  - {id: w1, conn: c1, op: read, size: 64KiB, count: 16, depth: 4}
  - {id: w2, conn: c2, op: write, size: 64KiB, count: 16, depth: 4}
  - {id: w3, conn: c3, op: send, size: 4KiB, count: 16, depth: 4}
)");
  const json r = json::parse(e2e::slurp(out + "/results.json"));
  for (const char* w : {"w1", "w2", "w3"}) {
    INFO(w);
    CHECK(r["workloads"][w]["completed"] == 16);
    CHECK(r["workloads"][w]["data_intact"] == true);
  }
  // carol (type 7) learned alice's RNIC from its ARP request and told its own RNIC; the
  // type-3 hosts told theirs nothing.
  const std::string ev = e2e::slurp(out + "/events.jsonl");
  CHECK(ev.find(R"("host":"carol","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.11","mac":"02:00:00:00:01:01")") !=
        std::string::npos);
  CHECK(ev.find(R"("host":"alice","direction":"to_rnic")") == std::string::npos);
  CHECK(ev.find(R"("host":"bob","direction":"to_rnic")") == std::string::npos);
  // Every offloaded frame alice sent came from her RNIC's addresses.
  CHECK(fields(out + "/alice.pcap", "tcp && eth.src == 02:00:00:00:00:01", "frame.number").empty());
  CHECK(fields(out + "/alice.pcap", "tcp && eth.src == 02:00:00:00:01:01 && ip.src != 10.0.0.11", "frame.number").empty());
}
