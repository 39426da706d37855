// The latency workloads end to end (write_lat, send_lat, read_lat of scenarios/): results
// checked exactly, the ping-pong checked on the wire with tshark (one message each way per
// iteration, strictly alternating, MSNs in order), and the reported median checked against
// the capture's own timestamps: the client posts iteration i+1 the moment iteration i ends,
// so the gap between the client's consecutive requests on the wire is one round trip.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
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

/// Runs scenarios/<name>.yaml into its own folder (`tag` keeps test cases that ctest may
/// run side by side apart).
json run(const std::string& name, const std::string& tag = "") {
  const std::string dir = kWork + "/latency/" + name + tag;
  std::filesystem::create_directories(dir);
  const auto r = sh(kBin + " run " + kSrc + "/scenarios/" + name + ".yaml -o " + dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  return json::parse(e2e::slurp(dir + "/results.json"));
}

std::string pcap(const std::string& name) { return kWork + "/latency/" + name + "/alice.pcap"; }

/// One FPDU as tshark decodes it.
struct Fpdu {
  int64_t t_ns = 0;  ///< capture time of its frame
  std::string src;   ///< ip.src
  std::string opcode, stag, msn, qn;
  bool last = false;
};

int64_t epoch_ns(const std::string& s) {
  const auto dot = s.find('.');
  std::string frac = s.substr(dot + 1);
  frac.resize(9, '0');
  return std::stoll(s.substr(0, dot)) * 1000000000 + std::stoll(frac);
}

/// Every FPDU of alice's capture, in capture order (a frame may carry several).
std::vector<Fpdu> fpdus(const std::string& file) {
  const std::vector<std::string> names = {"frame.time_epoch", "ip.src",        "iwarp_rdma.opcode", "iwarp_ddp.last_flag",
                                          "iwarp_ddp.stag",   "iwarp_ddp.msn", "iwarp_ddp.qn",      "iwarp_ddp.tagged_flag"};
  std::string cmd = e2e::tshark() + " -r " + file + " -Y iwarp_rdma.opcode -T fields -E occurrence=a -E aggregator=,";
  for (const auto& n : names) cmd += " -e " + n;
  const auto r = sh(cmd, false);
  std::vector<Fpdu> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::vector<std::string>> cols;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, '\t')) {
      std::vector<std::string> v;
      std::istringstream cs(cell);
      std::string x;
      while (std::getline(cs, x, ',')) v.push_back(x);
      cols.push_back(v);
    }
    cols.resize(names.size());
    const size_t n = cols[2].size();
    size_t tagged = 0, untagged = 0;  // stag is present only in tagged FPDUs, msn/qn only in untagged ones
    for (size_t i = 0; i < n; ++i) {
      Fpdu f;
      f.t_ns = epoch_ns(cols[0].at(0));
      f.src = cols[1].at(0);
      f.opcode = cols[2][i];
      f.last = cols[3].at(i) == "1";
      const bool is_tagged = cols[7].at(i) == "1";
      if (is_tagged) {
        f.stag = cols[4].at(tagged++);
      } else {
        f.msn = cols[5].at(untagged);
        f.qn = cols[6].at(untagged++);
      }
      out.push_back(f);
    }
  }
  return out;
}

/// tshark finds no malformed frame.
void check_clean(const std::string& file) {
  const auto mal = sh(e2e::tshark() + " -r " + file + " -Y _ws.malformed", false);
  CHECK(mal.out.empty());
}

/// The messages of the ping-pong: the FPDUs that end a message (L bit) with one of `ops`,
/// the RTR (a zero-length Write to STag 0) left out.
std::vector<Fpdu> messages(const std::vector<Fpdu>& all, const std::vector<std::string>& ops) {
  std::vector<Fpdu> m;
  for (const Fpdu& f : all)
    if (f.last && std::find(ops.begin(), ops.end(), f.opcode) != ops.end() && f.stag != "0x00000000") m.push_back(f);
  return m;
}

/// The messages alternate between the client (alice, first) and the server.
void check_alternate(const std::vector<Fpdu>& m) {
  for (size_t i = 0; i < m.size(); ++i) {
    INFO("message " << i);
    CHECK(m[i].src == (i % 2 == 0 ? "10.0.0.1" : "10.0.0.2"));
  }
}

/// Gaps between the client's consecutive requests of the first `count` iterations (the
/// first size), in ns: each is one iteration's round trip.
int64_t median_gap(const std::vector<Fpdu>& client_requests, size_t count) {
  std::vector<int64_t> gaps;
  for (size_t i = 1; i < count; ++i) gaps.push_back(client_requests[i].t_ns - client_requests[i - 1].t_ns);
  std::sort(gaps.begin(), gaps.end());
  return gaps[gaps.size() / 2];
}

void check_figures(const json& w) {
  CHECK(w["completed"] == 300);
  CHECK(w["errors"] == 0);
  CHECK(w["bytes"] == 100 * (8 + 4096 + 65536));
  CHECK(w["data_intact"] == true);
  for (const char* size : {"8", "4096", "65536"}) {
    const json& b = w["by_size"][size];
    INFO("size " << size);
    CHECK(b["completed"] == 100);
    CHECK(b["bytes"] == 100 * std::stoull(size));
    CHECK(b["data_intact"] == true);
    const json& l = b["latency_ns"];
    CHECK(l["min"].get<int64_t>() > 0);
    CHECK(l["min"].get<int64_t>() <= l["p50"].get<int64_t>());
    CHECK(l["p50"].get<int64_t>() <= l["p99"].get<int64_t>());
    CHECK(l["p99"].get<int64_t>() <= l["max"].get<int64_t>());
    CHECK(l["min"].get<double>() <= l["avg"].get<double>());
    CHECK(l["avg"].get<double>() <= l["max"].get<double>());
  }
  // A larger message takes longer.
  CHECK(w["by_size"]["8"]["latency_ns"]["p50"].get<int64_t>() < w["by_size"]["4096"]["latency_ns"]["p50"].get<int64_t>());
  CHECK(w["by_size"]["4096"]["latency_ns"]["p50"].get<int64_t>() <
        w["by_size"]["65536"]["latency_ns"]["p50"].get<int64_t>());
}

}  // namespace

TEST_CASE("latency: write_lat: one RDMA Write each way per iteration, alternating, p50 is half the round trip on the wire") {
  const json r = run("write_lat");
  CHECK(r["passed"] == true);
  const json& w = r["workloads"]["w1"];
  check_figures(w);
  const auto all = fpdus(pcap("write_lat"));
  check_clean(pcap("write_lat"));
  // Only RDMA Writes on the wire (besides the RTR): no Send, Read or Terminate.
  for (const Fpdu& f : all) CHECK(f.opcode == "0x00");
  const auto m = messages(all, {"0x00"});
  REQUIRE(m.size() == 600);
  check_alternate(m);
  // Each side writes into the other's sink: one STag per direction, the same all along.
  std::vector<Fpdu> client;
  for (size_t i = 0; i < m.size(); ++i) {
    if (i >= 2) CHECK(m[i].stag == m[i % 2].stag);  // the first two are the references
    if (i % 2 == 0) client.push_back(m[i]);
  }
  // 8 bytes: one FPDU per Write; half the round trip, as perftest reports it.
  const int64_t rtt = median_gap(client, 100);
  CHECK(w["by_size"]["8"]["latency_ns"]["p50"].get<int64_t>() == rtt / 2);
}

TEST_CASE("latency: send_lat: one Send each way per iteration, alternating, MSNs in order, p50 is half the round trip") {
  const json r = run("send_lat");
  CHECK(r["passed"] == true);
  const json& w = r["workloads"]["w1"];
  check_figures(w);
  const auto all = fpdus(pcap("send_lat"));
  check_clean(pcap("send_lat"));
  const auto m = messages(all, {"0x03"});
  REQUIRE(m.size() == 600);
  check_alternate(m);
  // Each direction's Sends on QN 0 with MSN 1, 2, ... 300.
  std::vector<Fpdu> client;
  for (size_t i = 0; i < m.size(); ++i) {
    CHECK(m[i].qn == "0");
    CHECK(m[i].msn == std::to_string(i / 2 + 1));
    if (i % 2 == 0) client.push_back(m[i]);
  }
  // No RDMA Write besides the RTR, no Read, no Terminate.
  for (const Fpdu& f : all) CHECK((f.opcode == "0x03" || (f.opcode == "0x00" && f.stag == "0x00000000")));
  const int64_t rtt = median_gap(client, 100);
  CHECK(w["by_size"]["8"]["latency_ns"]["p50"].get<int64_t>() == rtt / 2);
}

TEST_CASE("latency: read_lat: Read Request and its Response alternate, p50 is the whole Read (not halved)") {
  const json r = run("read_lat");
  CHECK(r["passed"] == true);
  const json& w = r["workloads"]["w1"];
  check_figures(w);
  const auto all = fpdus(pcap("read_lat"));
  check_clean(pcap("read_lat"));
  const auto m = messages(all, {"0x01", "0x02"});
  REQUIRE(m.size() == 600);
  check_alternate(m);
  std::vector<Fpdu> requests;
  for (size_t i = 0; i < m.size(); ++i) {
    CHECK(m[i].opcode == (i % 2 == 0 ? "0x01" : "0x02"));
    if (i % 2 == 0) {
      // Read Requests on QN 1, MSN 1, 2, ... 300.
      CHECK(m[i].qn == "1");
      CHECK(m[i].msn == std::to_string(i / 2 + 1));
      requests.push_back(m[i]);
    }
  }
  // The latency is kept in picoseconds and the capture's timestamps in nanoseconds, each
  // rounded down on its own (PCIe times are not whole nanoseconds): they agree to 1 ns.
  const int64_t rtt = median_gap(requests, 100);
  CHECK(std::abs(w["by_size"]["8"]["latency_ns"]["p50"].get<int64_t>() - rtt) <= 1);
}

TEST_CASE("latency: an 8-byte Write's half round trip is below an 8-byte Read's whole time") {
  const json wr = run("write_lat", "_cmp");
  const json rd = run("read_lat", "_cmp");
  const int64_t w = wr["workloads"]["w1"]["by_size"]["8"]["latency_ns"]["p50"].get<int64_t>();
  const int64_t r = rd["workloads"]["w1"]["by_size"]["8"]["latency_ns"]["p50"].get<int64_t>();
  CHECK(w < r);
  // A Read is one round trip with the responder's work; a write_lat iteration is two
  // one-way Writes: the Read takes less than the whole ping-pong round trip.
  CHECK(r < 2 * w);
}
