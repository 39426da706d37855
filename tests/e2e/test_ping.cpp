// The ping workload end to end (tests/data/ping.yaml, ping_unanswered.yaml): the echo
// request/reply pairs on the wire decoded by tshark, and every round trip results.json
// reports recomputed from the capture's timestamps.
//
// The instants: a request is sent at start + (seq - 1) x interval (ping's own send time,
// which the round trip is measured from); alice's MAC is idle then, so the capture shows
// the request leaving at that instant, except the first, which waits for ARP and leaves
// the instant ARP's reply is captured. The round trip ends when the reply is captured
// arriving at alice's MAC (the host takes it at once). Sends fall on whole nanoseconds,
// so each round trip in ns is exactly the reply's capture time minus the send time.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

using e2e::sh;
using nlohmann::json;

namespace {

const std::string kBin = RNICSIM_BIN;
const std::string kSrc = RNICSIM_SOURCE_DIR;
const std::string kWork = RNICSIM_WORK_DIR;

std::string dir_of(const std::string& name) { return kWork + "/ping/" + name; }

json run(const std::string& name) {
  const std::string dir = dir_of(name);
  std::filesystem::create_directories(dir);
  const auto r = sh(kBin + " run " + kSrc + "/tests/data/" + name + ".yaml -o " + dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  return json::parse(e2e::slurp(dir + "/results.json"));
}

int64_t epoch_ns(const std::string& s) {
  const auto dot = s.find('.');
  std::string frac = s.substr(dot + 1);
  frac.resize(9, '0');
  return std::stoll(s.substr(0, dot)) * 1000000000 + std::stoll(frac);
}

/// Rows of tab-separated tshark fields for the frames matching `filter`.
std::vector<std::vector<std::string>> rows(const std::string& file, const std::string& filter,
                                           const std::vector<std::string>& fields) {
  std::string cmd = e2e::tshark() + " -r " + file + " -Y '" + filter + "' -T fields";
  for (const auto& f : fields) cmd += " -e " + f;
  const auto r = sh(cmd, false);
  std::vector<std::vector<std::string>> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, '\t')) cols.push_back(cell);
    cols.resize(fields.size());
    out.push_back(cols);
  }
  return out;
}

int64_t nearest_rank(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

/// iputils' fill without its timestamp, as tshark prints it: bytes 0, 1, ... 55.
std::string pattern_hex(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>(i & 0xff));
    s += b;
  }
  return s;
}

}  // namespace

TEST_CASE("ping: tshark decodes ten echo request/reply pairs, and each round trip is the capture's") {
  const json r = run("ping");
  const json& p = r["workloads"]["p"];
  CHECK(p["completed"] == 10);
  CHECK(p["errors"] == 0);
  CHECK(p["bytes"] == 560);
  CHECK(p["data_intact"] == true);
  const std::string alice = dir_of("ping") + "/alice.pcap", bob = dir_of("ping") + "/bob.pcap";
  CHECK(sh(e2e::tshark() + " -r " + alice + " -Y _ws.malformed", false).out.empty());

  const std::vector<std::string> f = {"frame.time_epoch", "ip.src",      "ip.dst",     "icmp.type",
                                      "icmp.code",        "icmp.ident",  "icmp.seq",   "ip.len",
                                      "data.len",         "ip.flags.df", "ip.ttl",     "data.data",
                                      "icmp.checksum.status", "icmp.resp_to", "frame.number"};
  const auto icmp = rows(alice, "icmp", f);
  // Only the pairs to bob: the pings to alice's own address never reach the wire.
  REQUIRE(icmp.size() == 20);
  const int64_t start = 10'000, interval = 100'000;  // ns: the workload's start and interval
  std::vector<int64_t> rtts;
  for (size_t i = 0; i < icmp.size(); ++i) {
    INFO("frame " << i);
    const auto& x = icmp[i];
    const bool request = i % 2 == 0;
    const int seq = static_cast<int>(i / 2) + 1;
    CHECK(x[1] == (request ? "10.0.0.1" : "10.0.0.2"));
    CHECK(x[2] == (request ? "10.0.0.2" : "10.0.0.1"));
    CHECK(x[3] == (request ? "8" : "0"));
    CHECK(x[4] == "0");
    CHECK(x[5] == "1");  // the identifier: the workload's index + 1
    CHECK(x[6] == std::to_string(seq));
    CHECK(x[7] == "84");  // a 64-byte ICMP message in a 20-byte IPv4 header
    CHECK(x[8] == "56");
    CHECK(x[9] == "1");  // DF
    CHECK(x[10] == "64");
    CHECK(x[11] == pattern_hex(56));
    CHECK(x[12] == "1");  // checksum good
    const int64_t sent = start + (seq - 1) * interval;
    if (request) {
      if (seq > 1) CHECK(epoch_ns(x[0]) == sent);
    } else {
      CHECK(x[13] == icmp[i - 1][14]);  // tshark pairs it with the request just before
      rtts.push_back(epoch_ns(x[0]) - sent);
    }
  }
  // The first request waited for ARP: it leaves the instant the reply is captured.
  const auto arp = rows(alice, "arp.opcode == 2", {"frame.time_epoch"});
  REQUIRE(arp.size() == 1);
  CHECK(epoch_ns(icmp[0][0]) == epoch_ns(arp[0][0]));
  // Bob answers each request the instant its capture shows it arriving.
  const auto at_bob = rows(bob, "icmp", {"frame.time_epoch", "icmp.type", "icmp.seq"});
  REQUIRE(at_bob.size() == 20);
  for (size_t i = 0; i < at_bob.size(); i += 2) {
    CHECK(at_bob[i][1] == "8");
    CHECK(at_bob[i + 1][1] == "0");
    CHECK(at_bob[i][2] == at_bob[i + 1][2]);
    CHECK(epoch_ns(at_bob[i][0]) == epoch_ns(at_bob[i + 1][0]));
  }

  const json& lat = p["latency_ns"];
  double sum = 0;
  for (auto v : rtts) sum += static_cast<double>(v);
  CHECK(lat["min"] == *std::min_element(rtts.begin(), rtts.end()));
  CHECK(lat["max"] == *std::max_element(rtts.begin(), rtts.end()));
  CHECK(lat["p50"] == nearest_rank(rtts, 50));
  CHECK(lat["p99"] == nearest_rank(rtts, 99));
  CHECK(lat["avg"].get<double>() == Approx(sum / static_cast<double>(rtts.size())).margin(0.001));
  // The figures themselves: 4836 ns each, 9623 ns for the first (ARP's 4787 ns before it).
  CHECK(lat["min"] == 4836);
  CHECK(lat["max"] == 9623);

  // The loopback pings: answered at once, counted by alice's ICMP on both sides.
  const json& self = r["workloads"]["self"];
  CHECK(self["completed"] == 3);
  CHECK(self["latency_ns"]["max"] == 0);
  const json& ai = r["hosts"]["alice"]["host_if"]["icmp"];
  CHECK(ai["out_echos"] == 13);
  CHECK(ai["in_echos"] == 3);
  CHECK(ai["in_echo_reps"] == 13);
  CHECK(ai["out_echo_reps"] == 3);
  CHECK(ai["out_msgs"] == 16);
  const json& bi = r["hosts"]["bob"]["host_if"]["icmp"];
  CHECK(bi["in_echos"] == 10);
  CHECK(bi["out_echo_reps"] == 10);
  CHECK(bi["out_msgs"] == 10);
}

TEST_CASE("ping: requests to an address nobody holds are errors, timed out or dropped when ARP gives up") {
  const json r = run("ping_unanswered");
  CHECK(r["workloads"]["lost"]["completed"] == 0);
  CHECK(r["workloads"]["lost"]["errors"] == 3);
  CHECK(r["workloads"]["unresolved"]["completed"] == 0);
  CHECK(r["workloads"]["unresolved"]["errors"] == 3);
  // The run ends when ARP for 10.0.0.78 fails, 3 s after its first request.
  CHECK(r["sim_time_ns"] == 3'000'000'000);
  const std::string alice = dir_of("ping_unanswered") + "/alice.pcap";
  // On the wire: ARP's three broadcast requests for each address, 1 s apart, and no ICMP.
  // Both workloads start at 0: the request for .78 leaves behind the one for .77, one
  // minimum frame later (84 bytes with preamble and gap at 25 Gb/s: 26.88 ns).
  CHECK(rows(alice, "icmp", {"frame.number"}).empty());
  const auto arp = rows(alice, "arp.opcode == 1", {"frame.time_epoch", "arp.dst.proto_ipv4"});
  REQUIRE(arp.size() == 6);
  for (size_t i = 0; i < arp.size(); ++i) {
    INFO("ARP request " << i);
    const bool second = i % 2 == 1;
    CHECK(epoch_ns(arp[i][0]) == static_cast<int64_t>(i / 2) * 1'000'000'000 + (second ? 26 : 0));
    CHECK(arp[i][1] == (second ? "10.0.0.78" : "10.0.0.77"));
  }
}

TEST_CASE("ping: a list of sizes runs each in turn up to the MTU; a larger one exits 4, named") {
  const std::string dir = dir_of("sizes");
  std::filesystem::create_directories(dir);
  const std::string head =
      "name: ping_sizes\n"
      "hosts:\n"
      "  - {name: a, ip: 10.0.0.1/24, mac: 02:00:00:00:00:01}\n"
      "  - {name: b, ip: 10.0.0.2/24, mac: 02:00:00:00:00:02}\n"
      "links:\n"
      "  - {ends: [a, b]}\n"
      "workloads:\n";
  {
    std::ofstream(dir + "/sizes.yaml") << head
                                       << "  - {id: p, op: ping, from: a, to: 10.0.0.2, size: [0B, 1472B], count: 2, "
                                          "interval: 10us}\n";
    const auto r = sh(kBin + " run " + dir + "/sizes.yaml -o " + dir + "/out");
    INFO(r.out);
    REQUIRE(r.status == 0);
    const json j = json::parse(e2e::slurp(dir + "/out/results.json"));
    const json& p = j["workloads"]["p"];
    CHECK(p["completed"] == 4);
    CHECK(p["bytes"] == 2 * 1472);
    CHECK(p["by_size"]["0"]["completed"] == 2);
    CHECK(p["by_size"]["1472"]["completed"] == 2);
    CHECK(p["by_size"]["1472"]["data_intact"] == true);
    // Sequence 1 and 2 carry no data, 3 and 4 fill a 1500-byte packet.
    const auto icmp = rows(dir + "/out/a.pcap", "icmp.type == 8", {"icmp.seq", "ip.len"});
    REQUIRE(icmp.size() == 4);
    CHECK(icmp[0] == std::vector<std::string>{"1", "28"});
    CHECK(icmp[1] == std::vector<std::string>{"2", "28"});
    CHECK(icmp[2] == std::vector<std::string>{"3", "1500"});
    CHECK(icmp[3] == std::vector<std::string>{"4", "1500"});
  }
  // One byte more does not fit: sent with DF and no fragmentation (ping -M do), each request
  // fails at once (EMSGSIZE), an error, and nothing goes on the wire.
  std::ofstream(dir + "/big.yaml") << head << "  - {id: p, op: ping, from: a, to: 10.0.0.2, size: 1473B, count: 3}\n";
  const auto r = sh(kBin + " run " + dir + "/big.yaml -o " + dir + "/big");
  INFO(r.out);
  CHECK(r.status == 0);
  const json big = json::parse(e2e::slurp(dir + "/big/results.json"));
  CHECK(big["workloads"]["p"]["completed"] == 0);
  CHECK(big["workloads"]["p"]["errors"] == 3);
  CHECK(rows(dir + "/big/a.pcap", "icmp", {"icmp.seq"}).empty());
}
