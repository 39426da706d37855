// The TCP issue's whole-system checks: theory (Mathis et al.), fairness through a switch,
// DCTCP's queue, tshark's analysis of a lossy run, and ten thousand connections.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_util.h"

namespace {

nlohmann::json run_scenario(const std::string& rel, const std::string& out, const std::string& extra = "--pcap off") {
  const std::string dir = std::string(RNICSIM_WORK_DIR) + "/" + out;
  std::filesystem::remove_all(dir);
  const auto r = e2e::sh(fmt::format("{} run {}/{} -o {} {}", RNICSIM_BIN, RNICSIM_SOURCE_DIR, rel, dir, extra));
  INFO(r.out);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(e2e::slurp(dir + "/results.json"));
}

std::vector<std::vector<std::string>> csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(e2e::slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream ls(line);
    std::string c;
    while (std::getline(ls, c, ',')) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

/// Mathis et al.: (MSS/RTT) * sqrt(3/(2bp)), in Gb/s.
double mathis_gbps(double mss, double rtt_s, double b, double p) {
  return mss * 8 / rtt_s * std::sqrt(3.0 / (2 * b * p)) / 1e9;
}

/// Padhye, Firoiu, Towsley, Kurose (PFTK), the full model without the window limit:
/// MSS / (RTT sqrt(2bp/3) + T0 min(1, 3 sqrt(3bp/8)) p (1 + 32p^2)), in Gb/s.
double pftk_gbps(double mss, double rtt_s, double b, double p, double t0_s) {
  const double round = rtt_s * std::sqrt(2 * b * p / 3);
  const double timeouts = t0_s * std::min(1.0, 3 * std::sqrt(3 * b * p / 8)) * p * (1 + 32 * p * p);
  return mss * 8 / (round + timeouts) / 1e9;
}

}  // namespace

TEST_CASE("NewReno goodput under random loss is within 25% of Mathis et al.", "[tcp][theory]") {
  for (const char* p_text : {"0.0001", "0.001"}) {
    const double p = std::stod(p_text);
    auto r = run_scenario(fmt::format("tests/data/tcp/mathis_{}.yaml", p_text), fmt::format("mathis_{}", p_text));
    const auto& c = r["connections"]["t1"];
    const auto& w = r["workloads"]["w1"];
    CHECK(w["data_intact"] == true);
    CHECK(w["completed"] == 1);
    // b: data segments acknowledged per ACK, as the receiver actually acknowledged (its
    // segment count includes the SYN-ACK and the immediate ACKs for out-of-order data,
    // which lower b slightly and raise the model a little).
    const double b = c["tcp"]["segments_tx"].get<double>() / c["server_tcp"]["segments_tx"].get<double>();
    const double rtt = 1e-3 + 2 * (1500 + 38) * 8 / 10e9;  // 2 x 500 us + a frame each way at 10G
    const double model = mathis_gbps(1448, rtt, b, p);
    const double got = w["goodput_gbps"].get<double>();
    INFO(fmt::format("p {} b {:.3f} goodput {:.4f} Gb/s, Mathis {:.4f} Gb/s, ratio {:.3f}", p, b, got, model, got / model));
    // Measured with seed 7: b 1.979 and 1.932, ratios 1.026 and 0.946 (docs/tcp.md).
    CHECK(std::fabs(got / model - 1) <= 0.25);
    // Every loss is repaired once, without a timeout (SACK recovery).
    CHECK(c["tcp"]["retransmits"] == r["links"]["a_b"]["drops"]);
    CHECK(c["tcp"]["timeouts"] == 0);
  }
}

TEST_CASE("NewReno goodput at p = 1e-2, RTT 10 ms, is within 35% of Padhye et al. (PFTK)", "[tcp][theory]") {
  // RTT 10 ms, the top of the range: the one RTT of 1, 2, 5, 7 and 10 ms where the
  // model holds (docs/tcp.md, "Against theory", has the table and why).
  auto r = run_scenario("tests/data/tcp/pftk_0.01_rtt10ms.yaml", "pftk_0.01_rtt10ms");
  const auto& c = r["connections"]["t1"];
  const auto& w = r["workloads"]["w1"];
  CHECK(w["data_intact"] == true);
  CHECK(w["completed"] == 1);
  // The run's own figures: b as the Mathis test takes it, p the share of the sender's
  // segments the link dropped, T0 the sender's RTO (max(min_rto, SRTT + 4 RTTVAR)), RTT
  // the path's (its SRTT also holds samples stretched by the receiver's delayed ACK).
  const double b = c["tcp"]["segments_tx"].get<double>() / c["server_tcp"]["segments_tx"].get<double>();
  const double drops = r["links"]["a_b"]["drops"].get<double>();
  const double p = drops / c["tcp"]["segments_tx"].get<double>();
  const double t0 = c["tcp"]["rto_ns"].get<double>() / 1e9;
  const double rtt = 10e-3 + 2 * (1500 + 38) * 8 / 10e9;
  const double model = pftk_gbps(1448, rtt, b, p, t0);
  const double got = w["goodput_gbps"].get<double>();
  INFO(fmt::format("b {:.3f} p {:.5f} T0 {} s goodput {:.5f} Gb/s, PFTK {:.5f} Gb/s, ratio {:.3f}", b, p, t0, got, model,
                   got / model));
  CHECK(std::fabs(got / model - 1) <= 0.35);
  CHECK(t0 == 0.2);  // min_rto: SRTT + 4 RTTVAR stays below 200 ms
  // Measured with seed 7: 918 drops, each resent once, b 1.852, ratio 1.204.
  CHECK(drops == 918);
  CHECK(c["tcp"]["retransmits"].get<double>() == drops);
  CHECK(std::fabs(got / model - 1.204) < 0.001);
}

/// How far each of the receiver's (bob's) pure ACKs in alice's capture moved the window's
/// left edge, in order.
static std::vector<long> ack_steps(const std::string& dir) {
  const auto ack = e2e::sh(fmt::format("{} -r {}/alice.pcap -Y 'ip.src == 10.0.0.2 && tcp.len == 0 && "
                                       "tcp.flags.syn == 0 && tcp.ack > 1' -T fields -e tcp.ack",
                                       e2e::tshark(), dir),
                           false);
  REQUIRE(ack.status == 0);
  std::vector<long> step;
  std::istringstream ain(ack.out);
  long prev = 1;
  for (long a = 0; ain >> a; prev = a) step.push_back(a - prev);
  return step;
}

TEST_CASE("A 64 KiB host-stack bulk: the tail goes at once, the receiver quick-ACKs 16 then every second", "[tcp]") {
  // Linux's Minshall Nagle and quick-ACK mode (docs/linux-interop.md has the same transfer
  // with Linux at either end, over a TAP).
  const std::string dir = std::string(RNICSIM_WORK_DIR) + "/bulk_tail_64k";
  const auto r = run_scenario("tests/data/tcp/bulk_tail_64k.yaml", "bulk_tail_64k", "--pcap full");
  CHECK(r["workloads"]["tx"]["completed"] == 1);
  // 64 KiB in 600.9 us from the first byte to the ACK of the last (80.1 ms with RFC 896's
  // Nagle and every ACK delayed: the tail waited for one delayed ACK and its own ACK for
  // another).
  CHECK(r["workloads"]["tx"]["latency_ns"]["max"] == 600928);
  const auto seg = e2e::sh(fmt::format("{} -r {}/alice.pcap -Y 'ip.src == 10.0.0.1 && tcp.len > 0' -T fields -e "
                                       "frame.time_relative -e tcp.len",
                                       e2e::tshark(), dir),
                           false);
  REQUIRE(seg.status == 0);
  std::vector<double> at;
  std::vector<int> len;
  std::istringstream in(seg.out);
  for (double t = 0; in >> t;) {
    int l = 0;
    in >> l;
    at.push_back(t);
    len.push_back(l);
  }
  // Full-sized segments but the last: 45 x 1448 + 376.
  REQUIRE(len.size() == 46);
  for (size_t i = 0; i + 1 < len.size(); ++i) CHECK(len[i] == 1448);
  CHECK(len.back() == 376);
  // The tail right behind the last full segment: one frame time at 1 Gb/s (12.304 us).
  CHECK(std::fabs((at[45] - at[44]) - 12.304e-6) < 1e-9);
  // The receiver's ACKs: the first 16 data segments one by one (quick-ACK mode), then one
  // ACK for every second full segment, the last for the final full segment and the tail.
  const std::vector<long> step = ack_steps(dir);
  std::vector<long> want(16, 1448);
  for (int i = 0; i < 14; ++i) want.push_back(2896);
  want.push_back(1448 + 376);
  CHECK(step == want);

}

TEST_CASE("A 64 KiB host-stack bulk into a 16 KiB receive buffer: the pushed tail is acknowledged once read", "[tcp]") {
  // Five quick ACKs (16384 / (2 x 1448)), then every second full segment, which leaves the
  // 376-byte tail alone: Linux's receiver acknowledges such a short (pushed) segment as soon
  // as its reader has drained it (ICSK_ACK_PUSHED, tcp_cleanup_rbuf), where it once waited
  // 40 ms for the delayed-ACK timer (40.6 ms for the transfer).
  const std::string dir = std::string(RNICSIM_WORK_DIR) + "/bulk_tail_16k";
  const auto r = run_scenario("tests/data/tcp/bulk_tail_64k.yaml", "bulk_tail_16k",
                              "--pcap full --set hosts[1].tcp.rcvbuf=16KiB");
  CHECK(r["workloads"]["tx"]["completed"] == 1);
  CHECK(r["workloads"]["tx"]["data_intact"] == true);
  CHECK(r["workloads"]["tx"]["latency_ns"]["max"] == 600928);
  const std::vector<long> step = ack_steps(dir);
  std::vector<long> want(5, 1448);
  for (int i = 0; i < 20; ++i) want.push_back(2896);
  want.push_back(376);
  CHECK(step == want);
}

TEST_CASE("Two NewReno flows through one bottleneck share it fairly", "[tcp][switch]") {
  auto r = run_scenario("tests/data/tcp/fairness.yaml", "fairness");
  CHECK(r["workloads"]["w1"]["data_intact"] == true);
  CHECK(r["workloads"]["w2"]["data_intact"] == true);
  // Jain's index of the two flows' rates while both were sending at full speed: bytes
  // acknowledged by the last sample (timeseries.csv, one row per ms) before either flow
  // had 90% of its bytes acknowledged. (Up to the first flow's very last byte, as this
  // test once measured, the index reads 1.0 whatever the shares were: a flow whose tail
  // waited 40 ms for a delayed ACK stalled just short of the total while the other caught
  // up.)
  const auto rows = csv(std::string(RNICSIM_WORK_DIR) + "/fairness/timeseries.csv");
  REQUIRE(rows.size() > 100);
  size_t a1 = 0, a2 = 0;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    if (rows[0][i] == "f1.acked_bytes") a1 = i;
    if (rows[0][i] == "f2.acked_bytes") a2 = i;
  }
  REQUIRE(a1 > 0);
  REQUIRE(a2 > 0);
  const double total = 256.0 * 1024 * 1024;
  double x1 = 0, x2 = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const double b1 = std::stod(rows[i][a1]), b2 = std::stod(rows[i][a2]);
    if (b1 >= 0.9 * total || b2 >= 0.9 * total) break;
    x1 = b1;
    x2 = b2;
  }
  REQUIRE(x1 > 0);
  const double jain = (x1 + x2) * (x1 + x2) / (2 * (x1 * x1 + x2 * x2));
  INFO(fmt::format("bytes acknowledged while both sent: {} and {}, Jain {:.4f}", x1, x2, jain));
  CHECK(jain >= 0.99);  // measured: 0.9964 (241,396,080 and 213,872,496 bytes at 387 ms)
  // The bottleneck port was the one that dropped.
  CHECK(r["switches"]["sw0"]["ports"]["c_sw0"]["drops"].get<int>() > 0);
  CHECK(r["switches"]["sw0"]["ports"]["a_sw0"]["drops"] == 0);
}

TEST_CASE("DCTCP holds the bottleneck queue near its marking threshold", "[tcp][dctcp]") {
  auto r = run_scenario("tests/data/tcp/dctcp.yaml", "dctcp");
  const auto& port = r["switches"]["sw0"]["ports"]["c_sw0"];
  const double k = 64 * 1024;
  const double avg = port["queue_avg_bytes"].get<double>();
  INFO(fmt::format("queue average {} B, max {} B, threshold {} B, marks {}", avg, port["queue_max_bytes"].dump(), k,
                   port["ecn_marked"].dump()));
  CHECK(port["drops"] == 0);
  CHECK(port["ecn_marked"].get<int>() > 0);
  // Measured: 61,087 B on average, 135,102 B at most, 30,487 marks.
  CHECK(avg >= 0.5 * k);
  CHECK(avg <= 1.5 * k);
  CHECK(r["connections"]["f1"]["tcp"]["retransmits"] == 0);
  CHECK(r["connections"]["f2"]["tcp"]["retransmits"] == 0);
  CHECK(r["workloads"]["w1"]["data_intact"] == true);
  CHECK(r["workloads"]["w2"]["data_intact"] == true);
}

TEST_CASE("tshark sees retransmissions exactly where the losses were", "[tcp][tshark]") {
  auto r = run_scenario("tests/data/tcp/lossy.yaml", "lossy", "--pcap full");
  const std::string dir = std::string(RNICSIM_WORK_DIR) + "/lossy";
  CHECK(r["workloads"]["wt"]["data_intact"] == true);
  CHECK(r["workloads"]["wr"]["data_intact"] == true);
  // Data segments a sent (from a's capture) and those b received (b's capture).
  auto segments = [&](const std::string& pcap) {
    const auto out = e2e::sh(e2e::tshark() + " -r " + pcap +
                                 " -Y 'ip.src==10.0.0.1 && tcp.len>0' -T fields -e tcp.srcport -e tcp.seq_raw"
                                 " -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission -e tcp.len"
                                 " -e tcp.analysis.out_of_order",
                             false);
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(out.out);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::istringstream ls(line);
      std::string c;
      while (std::getline(ls, c, '\t')) f.push_back(c);
      f.resize(6);
      rows.push_back(f);
    }
    return rows;
  };
  const auto sent = segments(dir + "/a.pcap");
  const auto got = segments(dir + "/b.pcap");
  std::multiset<std::pair<std::string, std::string>> received;
  for (const auto& g : got) received.insert({g[0], g[1]});
  std::map<std::string, uint64_t> flagged;  // per source port
  std::set<std::pair<std::string, std::string>> lost;
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> resent;  // port -> [seq, seq+len)
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> lost_ranges;
  for (const auto& s : sent) {
    const std::pair<std::string, std::string> key{s[0], s[1]};
    // A sender never reorders its own segments: in its capture, tshark's "out-of-order"
    // is a resend sent within its RTT estimate of the original.
    if (!s[2].empty() || !s[3].empty() || !s[5].empty()) {
      ++flagged[s[0]];
      const uint64_t q = std::stoull(s[1]);
      resent[s[0]].push_back({q, q + std::stoull(s[4])});
    }
    auto it = received.find(key);
    if (it != received.end()) {
      received.erase(it);
    } else {
      lost.insert(key);
      const uint64_t q = std::stoull(s[1]);
      lost_ranges[s[0]].push_back({q, q + std::stoull(s[4])});
    }
  }
  // Each loss was followed by a retransmission of that very segment.
  for (const auto& l : lost) {
    INFO("lost " << l.first << " seq " << l.second);
    const uint64_t q = std::stoull(l.second);
    bool covered = false;
    for (const auto& [b, e] : resent[l.first]) covered = covered || (b <= q && q < e);
    CHECK(covered);
  }
  // And no retransmission without a loss: every resent segment overlaps a lost one.
  for (const auto& [port, ranges] : resent)
    for (const auto& [b, e] : ranges) {
      bool overlaps = false;
      for (const auto& [lb, le] : lost_ranges[port]) overlaps = overlaps || (b < le && lb < e);
      INFO("resent " << port << " seq " << b);
      CHECK(overlaps);
    }
  // tshark's retransmission flags match the senders' own counts.
  INFO(fmt::format("tshark flags {} + {}, lost {}", flagged["32768"], flagged["32769"], lost.size()));
  CHECK(flagged["32768"] + flagged["32769"] ==
        r["connections"]["t"]["tcp"]["retransmits"].get<uint64_t>() + r["connections"]["r"]["tcp"]["retransmits"].get<uint64_t>());
  CHECK(!lost.empty());
  // No "ACKed unseen segment" anywhere, and "previous segment not captured" at b only for
  // segments that were lost.
  for (const char* h : {"a", "b"}) {
    const auto n = e2e::sh(e2e::tshark() + " -r " + dir + "/" + h + ".pcap -Y tcp.analysis.ack_lost_segment | wc -l", false);
    CHECK(std::stoi(n.out) == 0);
  }
  const auto holes = e2e::sh(e2e::tshark() + " -r " + dir + "/b.pcap -Y 'tcp.analysis.lost_segment && ip.src==10.0.0.1' | wc -l", false);
  CHECK(static_cast<size_t>(std::stoi(holes.out)) <= lost.size());
}

TEST_CASE("Slow start overshooting a small switch buffer: RACK repairs every drop, no RTO", "[tcp][rack]") {
  auto r = run_scenario("tests/data/tcp/small_buffer.yaml", "small_buffer");
  const auto& w = r["workloads"]["rnic_flow"];
  const auto& c = r["connections"]["rnic_qp"]["tcp"];
  const auto drops = r["switches"]["sw0"]["ports"]["carol_sw0"]["drops"].get<uint64_t>();
  INFO(fmt::format("drops {}, retransmits {}, timeouts {}", drops, c["retransmits"].dump(), c["timeouts"].dump()));
  CHECK(w["completed"] == 64);
  CHECK(w["data_intact"] == true);
  // Every segment the port dropped (retransmissions among them) resent exactly once more,
  // all found by RACK: no timeout. 416 drops with seed 5.
  CHECK(drops == 416);
  CHECK(c["retransmits"].get<uint64_t>() == drops);
  CHECK(c["timeouts"] == 0);
  CHECK(c["rto_retransmits"] == 0);
}

TEST_CASE("Ten thousand offloaded connections each complete their Write", "[tcp][scale]") {
  auto r = run_scenario("tests/data/tcp/scale_10k.yaml", "scale_10k");
  CHECK(r["workloads"]["w"]["completed"] == 10000);
  CHECK(r["workloads"]["w"]["errors"] == 0);
  CHECK(r["workloads"]["w"]["data_intact"] == true);
  CHECK(r["connections"].size() == 10000);
  CHECK(r["connections"]["c_9999"]["state"] == "established");
}
