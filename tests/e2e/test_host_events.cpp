// The host events end to end (scenarios/host_events/): what each event tells the RNIC
// (events.jsonl), what it does to the frames on the wire (tshark on the captures) and the
// counters that account for it (results.json).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"

using nlohmann::json;

namespace {

constexpr int64_t kUs = 1000, kMs = 1000 * kUs, kS = 1000 * kMs;
/// The MAC's transmit queue (profile mac_tx_queue, 4 frames): frames built before an L2
/// or MTU rewrite still leave with what they were built with.
constexpr size_t kMacQueue = 4;

struct Run {
  std::string dir;
  json r;
  std::vector<std::string> lines;  ///< events.jsonl, as written
  std::vector<json> events;        ///< the same, parsed
};

Run run_scenario(const std::string& yaml, const std::string& out, const std::string& extra = "") {
  Run run;
  run.dir = std::string(RNICSIM_WORK_DIR) + "/host_events/" + out;
  std::filesystem::remove_all(run.dir);
  std::filesystem::create_directories(run.dir);
  const auto res = e2e::sh(fmt::format("{} run {} -o {} {}", RNICSIM_BIN, yaml, run.dir, extra));
  INFO(res.out);
  REQUIRE(res.status == 0);
  run.r = json::parse(e2e::slurp(run.dir + "/results.json"));
  std::istringstream in(e2e::slurp(run.dir + "/events.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    run.lines.push_back(line);
    run.events.push_back(json::parse(line));
  }
  return run;
}

std::string scenario(const std::string& name) {
  return std::string(RNICSIM_SOURCE_DIR) + "/scenarios/host_events/" + name + ".yaml";
}

/// events.jsonl lines at or after `from_ns`, as written.
std::vector<std::string> lines_from(const Run& run, int64_t from_ns) {
  std::vector<std::string> v;
  for (size_t i = 0; i < run.events.size(); ++i)
    if (run.events[i]["time_ns"].get<int64_t>() >= from_ns) v.push_back(run.lines[i]);
  return v;
}

/// frame.time_epoch as tshark prints it (seconds with 9 decimals), in ns, exactly.
int64_t ns(const std::string& t) {
  const size_t dot = t.find('.');
  std::string frac = dot == std::string::npos ? "" : t.substr(dot + 1);
  frac.resize(9, '0');
  return std::stoll(t.substr(0, dot)) * kS + std::stoll(frac);
}

/// One frame as tshark decodes it: the fields asked for, by name.
struct Frame {
  std::map<std::string, std::string> f;
  const std::string& operator[](const std::string& k) const { return f.at(k); }
  int64_t t() const { return ns(f.at("frame.time_epoch")); }
  int64_t num(const std::string& k) const { return f.at(k).empty() ? -1 : std::stoll(f.at(k)); }
};

/// Every frame of `pcap` matching `filter` (none: all), with frame.time_epoch and `fields`.
std::vector<Frame> frames(const std::string& pcap, const std::string& filter, std::vector<std::string> fields) {
  fields.insert(fields.begin(), "frame.time_epoch");
  std::string cmd = e2e::tshark() + " -r " + pcap;
  if (!filter.empty()) cmd += " -Y '" + filter + "'";
  cmd += " -T fields";
  for (const auto& f : fields) cmd += " -e " + f;
  const auto res = e2e::sh(cmd, false);
  REQUIRE(res.status == 0);
  std::vector<Frame> v;
  std::istringstream in(res.out);
  std::string line;
  while (std::getline(in, line)) {
    Frame fr;
    size_t start = 0;
    for (const auto& name : fields) {
      const size_t tab = line.find('\t', start);
      fr.f[name] = line.substr(start, tab == std::string::npos ? std::string::npos : tab - start);
      start = tab == std::string::npos ? line.size() : tab + 1;
    }
    v.push_back(std::move(fr));
  }
  return v;
}

template <typename Pred>
size_t count_if(const std::vector<Frame>& v, Pred p) {
  size_t n = 0;
  for (const auto& f : v) n += p(f) ? 1 : 0;
  return n;
}

void check_workload(const json& w, uint64_t completed, uint64_t errors, uint64_t count) {
  CHECK(w["completed"] == completed);
  CHECK(w["errors"] == errors);
  CHECK(w["completed"].get<uint64_t>() + w["errors"].get<uint64_t>() == count);
  // Nothing completed: nothing was verified, and data_intact says so with null.
  if (completed == 0) CHECK(w["data_intact"].is_null());
  else CHECK(w["data_intact"] == true);
}

const std::string kOld = "02:00:00:00:00:02", kNew = "02:00:00:00:00:22", kBcast = "ff:ff:ff:ff:ff:ff";

}  // namespace

TEST_CASE("mac_change: a gratuitous ARP and NEIGH_UPDATE turn alice's frames to bob's new MAC",
          "[host_events]") {
  const Run run = run_scenario(scenario("mac_change"), "mac_change");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 256, 0, 256);
  CHECK(r["workloads"]["w1"]["bytes"] == 64ull << 20);
  CHECK(r["connections"]["c1"]["state"] == "established");

  // bob's driver hears the change at 5 ms; alice's host learns it from the gratuitous ARP
  // (a broadcast request: Linux's arp_process makes the entry STALE) and its notifier tells
  // the RNIC. The ARP crosses the switch in the time alice's first request took the other
  // way (bob heard of alice at 2393 ns).
  CHECK(run.lines[2].find(R"("time_ns":2393,"host":"bob","direction":"to_rnic","kind":"neigh_update")") !=
        std::string::npos);
  const std::vector<std::string> after = {
      R"({"time_ns":5000000,"host":"bob","direction":"to_rnic","kind":"netdev_changeaddr","netdev":"eth0","mac":"02:00:00:00:00:22","old_mac":"02:00:00:00:00:02"})",
      R"({"time_ns":5002393,"host":"alice","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.2","mac":"02:00:00:00:00:22","state":"stale"})"};
  CHECK(lines_from(run, 3 * kMs) == after);
  // The port mapper's answer for its source port, and the two NEIGH_UPDATEs.
  CHECK(r["hosts"]["alice"]["host_if"]["netevents_to_rnic"] == 3);
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["l2_writes"] == 2);
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["netevents_handled"] == 2);

  // bob.pcap: one gratuitous ARP, from the new MAC, at 5 ms.
  const auto bob = frames(run.dir + "/bob.pcap", "",
                          {"eth.src", "eth.dst", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4",
                           "arp.dst.hw_mac", "arp.dst.proto_ipv4", "ip.src"});
  std::vector<Frame> garp;
  for (const auto& f : bob)
    if (!f["arp.opcode"].empty() && f["arp.src.proto_ipv4"] == f["arp.dst.proto_ipv4"]) garp.push_back(f);
  REQUIRE(garp.size() == 1);
  CHECK(garp[0].t() == 5 * kMs);
  CHECK(garp[0]["arp.opcode"] == "1");
  CHECK(garp[0]["arp.src.proto_ipv4"] == "10.0.0.2");
  CHECK(garp[0]["eth.dst"] == kBcast);
  CHECK(garp[0]["eth.src"] == kNew);
  CHECK(garp[0]["arp.src.hw_mac"] == kNew);
  CHECK(garp[0]["arp.dst.hw_mac"] == "00:00:00:00:00:00");
  // bob sends from the new MAC only; what reached its port for the old one after the change
  // is what its filter dropped, and TCP resent each of those segments once.
  // (after its firmware's NETDEV_CHANGEADDR handler, 1 us: until then its offloaded
  // frames keep the old source MAC).
  CHECK(count_if(bob, [](const Frame& f) { return f.t() > 5 * kMs + kUs && f["eth.src"] == kOld; }) == 0);
  const size_t to_old = count_if(bob, [](const Frame& f) { return f.t() >= 5 * kMs && f["eth.dst"] == kOld; });
  CHECK(to_old == 17);
  CHECK(r["hosts"]["bob"]["rnic"]["mac"]["rx_filtered"] == to_old);
  CHECK(r["connections"]["c1"]["tcp"]["retransmits"] == to_old);
  // bob took the 16 segments that came to its new MAC before the first retransmission
  // filled the hole as out of order.
  CHECK(r["connections"]["c1"]["server_tcp"]["ooo_segments_rx"] == 16);

  // alice.pcap: its TCP frames go to the old MAC, then (one switch) to the new one.
  const auto alice = frames(run.dir + "/alice.pcap", "eth.src==02:00:00:00:00:01 && tcp", {"eth.dst"});
  std::vector<std::pair<std::string, int64_t>> runs;  // destination, first frame's time
  for (const auto& f : alice)
    if (runs.empty() || runs.back().first != f["eth.dst"]) runs.emplace_back(f["eth.dst"], f.t());
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].first == kOld);
  CHECK(runs[1].first == kNew);
  CHECK(runs[1].second == 5005122);
  // The rewrite lands 300 ns (fw_neigh_update_cost) after the notification; the frames to
  // the old MAC that start later were already in the MAC's queue, built before it. One
  // was built on the stale entry in those 300 ns, after the host knew: the cost of the
  // handler's latency.
  const int64_t rewrite = 5002393 + 300;
  CHECK(count_if(alice, [&](const Frame& f) { return f.t() > rewrite && f["eth.dst"] == kOld; }) == kMacQueue);
  CHECK(r["hosts"]["alice"]["rnic"]["mac"]["stale_l2_frames"] == 1);
}

TEST_CASE("notify_modes: one MAC change learned by netevent or ARP snooping or not at all", "[host_events]") {
  const Run run = run_scenario(scenario("notify_modes"), "notify_modes");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["wa"], 400, 0, 400);
  check_workload(r["workloads"]["wc"], 400, 0, 400);
  check_workload(r["workloads"]["wd"], 43, 357, 400);
  CHECK(r["connections"]["ca"]["state"] == "established");
  CHECK(r["connections"]["cc"]["state"] == "established");
  CHECK(r["connections"]["cd"]["state"] == "error");
  CHECK(r["connections"]["cd"]["qp_state"]["client"] == "error");
  // dave's reset goes to bob's old MAC too, so bob's QP never hears of it.
  CHECK(r["connections"]["cd"]["qp_state"]["server"] == "rts");

  const json& h = r["hosts"];
  CHECK(h["alice"]["rnic"]["mac"]["stale_l2_frames"] == 0);
  CHECK(h["carol"]["rnic"]["mac"]["stale_l2_frames"] == 0);
  CHECK(h["dave"]["rnic"]["mac"]["stale_l2_frames"] == 137);
  // carol's port read two ARP frames: the reply at setup and the gratuitous one.
  CHECK(h["carol"]["rnic"]["firmware"]["arp_snooped"] == 2);
  CHECK(h["carol"]["rnic"]["firmware"]["netevents_handled"] == 0);
  CHECK(h["alice"]["rnic"]["firmware"]["netevents_handled"] == 2);
  CHECK(h["dave"]["rnic"]["firmware"]["netevents_handled"] == 0);
  CHECK(h["dave"]["rnic"]["firmware"]["l2_writes"] == 1);

  // After 5 ms only alice's RNIC is told (carol's and dave's have no notifier); dave's QP
  // goes to ERROR when its TCP gives up.
  const auto late = lines_from(run, 5 * kMs);
  REQUIRE(late.size() == 3);
  CHECK(late[0] ==
        R"({"time_ns":5000000,"host":"bob","direction":"to_rnic","kind":"netdev_changeaddr","netdev":"eth0","mac":"02:00:00:00:00:22","old_mac":"02:00:00:00:00:02"})");
  CHECK(late[1] ==
        R"({"time_ns":5002501,"host":"alice","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.2","mac":"02:00:00:00:00:22","state":"stale"})");
  const json qp_error = json::parse(late[2]);
  CHECK(qp_error["host"] == "dave");
  CHECK(qp_error["direction"] == "to_host");
  CHECK(qp_error["kind"] == "qp_error");
  CHECK(qp_error["from"] == "rts");

  // Each client's capture: the gratuitous ARP reaches all three at the same time; the frames
  // each sent to the old MAC after it are the MAC's queue (built before) plus the ones its
  // stale_l2_frames counts.
  const int64_t garp_at = 5002501;
  std::map<std::string, size_t> stale_in_pcap;
  std::vector<Frame> dave;
  for (const auto& client : std::vector<std::pair<std::string, std::string>>{
           {"alice", "02:00:00:00:00:01"}, {"carol", "02:00:00:00:00:03"}, {"dave", "02:00:00:00:00:04"}}) {
    const std::string name = client.first, mac = client.second;
    const auto v = frames(run.dir + "/" + name + ".pcap", "eth.src==" + mac + " || arp",
                          {"eth.src", "eth.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "tcp.flags.reset",
                           "tcp.len"});
    std::vector<int64_t> garps;
    for (const auto& f : v)
      if (!f["arp.src.proto_ipv4"].empty() && f["arp.src.proto_ipv4"] == f["arp.dst.proto_ipv4"])
        garps.push_back(f.t());
    CHECK(garps == std::vector<int64_t>{garp_at});
    stale_in_pcap[name] = count_if(v, [&](const Frame& f) {
      return f["eth.src"] == mac && f["eth.dst"] == kOld && f.t() > garp_at;
    });
    // Every other frame it sent after the ARP went to the new MAC; dave's none.
    CHECK(count_if(v, [&](const Frame& f) {
            return f["eth.src"] == mac && f.t() > garp_at && f["eth.dst"] != kOld && f["eth.dst"] != kNew;
          }) == 0);
    if (name == "dave") {
      CHECK(count_if(v, [&](const Frame& f) { return f["eth.dst"] == kNew; }) == 0);
      dave = v;
    }
  }
  CHECK(stale_in_pcap["alice"] == kMacQueue + 0);
  CHECK(stale_in_pcap["carol"] == kMacQueue + 0);
  CHECK(stale_in_pcap["dave"] == kMacQueue + 137);

  // dave: its last frame is the reset TCP sends when it gives up, to the old MAC, after
  // user_timeout (20 ms) since its first timeout retransmission. That retransmission comes
  // one RTO (200 ms) after bob's delayed ACK (40 ms, from the new MAC) restarted the timer.
  std::vector<Frame> dave_tx;
  for (const auto& f : dave)
    if (f["eth.src"] == "02:00:00:00:00:04" && f.t() > 6 * kMs) dave_tx.push_back(f);
  REQUIRE(dave_tx.size() == 2);
  CHECK(dave_tx[0]["tcp.len"] == "1448");
  CHECK(dave_tx[1]["tcp.flags.reset"] == "1");
  CHECK(dave_tx[1]["eth.dst"] == kOld);
  const auto bob_ack = frames(run.dir + "/dave.pcap", "eth.src==02:00:00:00:00:22 && tcp", {});
  REQUIRE(bob_ack.size() == 1);
  CHECK(bob_ack[0].t() == 45001423);  // the delayed ACK bob owed since before 5 ms
  CHECK(dave_tx[0].t() - bob_ack[0].t() == 200 * kMs + 50);  // one RTO (and 50 ns to the wire)
  // It gives up when the user timeout has passed since that retransmission (its RTO
  // clamped to it, Linux's tcp_clamp_rto_to_user_timeout): 20 ms after its timer fired
  // (50 ns before the frame reached the wire), within the engine's pipeline.
  const int64_t fired = dave_tx[0].t() - 50;
  CHECK(qp_error["time_ns"].get<int64_t>() >= fired + 20 * kMs);
  CHECK(qp_error["time_ns"].get<int64_t>() < fired + 20 * kMs + kUs);
  CHECK(dave_tx[1].t() >= qp_error["time_ns"].get<int64_t>());

  // bob's filter dropped every frame that reached it for the old MAC after 5 ms.
  const auto bob = frames(run.dir + "/bob.pcap", "eth.dst==02:00:00:00:00:02", {"ip.src"});
  std::map<std::string, size_t> per_client;
  for (const auto& f : bob)
    if (f.t() >= 5 * kMs) ++per_client[f["ip.src"]];
  CHECK(per_client["10.0.0.1"] == 7);
  CHECK(per_client["10.0.0.3"] == 7);
  CHECK(per_client["10.0.0.4"] == 144);
  CHECK(h["bob"]["rnic"]["mac"]["rx_filtered"] == 7 + 7 + 144);
}

TEST_CASE("pmtu_update: the EMSS drops to 1228 and in-flight data is resent at the new size", "[host_events]") {
  const Run run = run_scenario(scenario("pmtu_update"), "pmtu_update");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 256, 0, 256);
  const json& c = r["connections"]["c1"];
  CHECK(c["state"] == "established");
  CHECK(c["tcp"]["mss"] == 1240);  // 1280 less 40 bytes of headers
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["mtu_changes"] == 1);
  CHECK(lines_from(run, 1 * kMs) ==
        std::vector<std::string>{
            R"({"time_ns":5000000,"host":"alice","direction":"to_rnic","kind":"pmtu_update","dst":"10.0.0.2","mtu":1280})"});

  const auto data = frames(run.dir + "/alice.pcap", "ip.src==10.0.0.1 && tcp.len>0",
                           {"tcp.len", "frame.len", "tcp.seq", "tcp.analysis.retransmission"});
  size_t first_small = 0;
  while (first_small < data.size() && data[first_small]["tcp.len"] != "1228") ++first_small;
  REQUIRE(first_small < data.size());
  const int64_t t1 = data[first_small].t();
  CHECK(t1 == 5002631);
  // Before: 1448-byte segments (1500 less 40 and 12 of timestamps), the last FPDU of each
  // 256 KiB Write 840 bytes (262144 = 183 * 1428 + 820, and 20 of MPA/DDP/RDMAP).
  std::map<int64_t, size_t> before, after;
  size_t big_after = 0, rtx = 0, rtx_small = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const auto& f = data[i];
    if (i < first_small) {
      ++before[f.num("tcp.len")];
      continue;
    }
    ++after[f.num("tcp.len")];
    big_after += f.num("frame.len") > 1280 + 14;
    if (f["tcp.analysis.retransmission"] == "1") {
      ++rtx;
      rtx_small += f.num("tcp.len") <= 1228;
    }
  }
  // The frames that still left at 1448 after the firmware's 500 ns were in the MAC's queue.
  CHECK(count_if(data, [](const Frame& f) { return f.t() > 5 * kMs + 500 && f["tcp.len"] == "1448"; }) == kMacQueue);
  CHECK(before.rbegin()->first == 1448);
  CHECK(before[1448] == 10088);
  CHECK(before[840] == 55);
  // After: no frame above 1280 + 14 bytes; new FPDUs fill 1228 (a Write's last FPDU carries
  // 262144 - 217 * 1208 = 8 bytes: 28), FPDUs framed at the old size go split 1228 + 220 (an
  // 840-byte tail rides with the 220 before it: 1060, or 288 of it with the 940 before it
  // and its last 552 alone). Every Write has one tail.
  CHECK(big_after == 0);
  CHECK(after == std::map<int64_t, size_t>{{28, 193}, {220, 1326}, {552, 1}, {1060, 7}, {1228, 43350}});
  CHECK(before[840] + after[1060] + after[552] + after[28] == 256);
  // Linux's tcp_simple_retransmit: what was in flight at 1448 goes again at once, at 1228
  // (and the 220 after it); each resent segment is counted.
  CHECK(data[first_small]["tcp.analysis.retransmission"] == "1");
  CHECK(rtx == 13);
  CHECK(rtx_small == rtx);
  CHECK(c["tcp"]["retransmits"] == rtx);
  CHECK(c["tcp"]["timeouts"] == 0);
  // bob placed every FPDU: 55 Writes framed whole at the old size (184 FPDUs each), 193
  // whole at the new (218), and 1493 FPDUs for the 8 framed across the change (the engine
  // frames at most tx_prefetch, 64 KiB, ahead of the stream), between 184 and 218 each.
  CHECK(r["hosts"]["bob"]["rnic"]["placement"]["segments"] == 55 * 184 + 193 * 218 + 1493);
}

TEST_CASE("change_mtu: segments shrink to 1228 at 3 ms and grow back to 1448 after 6 ms", "[host_events]") {
  const Run run = run_scenario(scenario("change_mtu"), "change_mtu");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 256, 0, 256);
  const json& c = r["connections"]["c1"];
  CHECK(c["state"] == "established");
  CHECK(c["tcp"]["mss"] == 1460);  // back to the peer's MSS
  CHECK(c["tcp"]["retransmits"] == 0);  // the device MTU drops nothing already sent
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["mtu_changes"] == 2);
  CHECK(lines_from(run, 1 * kMs) ==
        std::vector<std::string>{
            R"({"time_ns":3000000,"host":"alice","direction":"to_rnic","kind":"netdev_changemtu","netdev":"eth0","mtu":1280,"old_mtu":1500})",
            R"({"time_ns":6000000,"host":"alice","direction":"to_rnic","kind":"netdev_changemtu","netdev":"eth0","mtu":1500,"old_mtu":1280})"});

  const auto data = frames(run.dir + "/alice.pcap", "ip.src==10.0.0.1 && tcp.len>0", {"tcp.len", "frame.len"});
  auto first = [&](int64_t from, const char* len) {
    for (const auto& f : data)
      if (f.t() >= from && f["tcp.len"] == len) return f.t();
    return int64_t{-1};
  };
  const int64_t shrink = first(3 * kMs, "1228"), grow = first(6 * kMs, "1448");
  CHECK(shrink == 3003328);
  CHECK(grow == 6693798);
  // The firmware's handler costs 1 us (fw_netdev_cost); the 1448-byte segments that left
  // after it were the MAC's queue, built before it; what was built after fits 1228 (here a
  // Write's 840-byte tail, which left just before the first 1228).
  CHECK(count_if(data, [&](const Frame& f) { return f.t() > 3 * kMs + kUs && f.t() < shrink; }) == kMacQueue + 1);
  CHECK(count_if(data, [&](const Frame& f) {
          return f.t() > 3 * kMs + kUs && f.t() < 6 * kMs && f["tcp.len"] == "1448";
        }) == kMacQueue);
  std::set<int64_t> small, regrown, framed_small;
  size_t big = 0;
  int64_t largest_before = 0;
  for (const auto& f : data) {
    if (f.t() < 3 * kMs) largest_before = std::max(largest_before, f.num("tcp.len"));
    if (f.t() >= shrink && f.t() < 6 * kMs) {
      small.insert(f.num("tcp.len"));
      big += f.num("frame.len") > 1280 + 14;
    }
    if (f.t() >= 6 * kMs && f.t() < grow) framed_small.insert(f.num("tcp.len"));
    if (f.t() >= grow) regrown.insert(f.num("tcp.len"));
  }
  // While the MTU is 1280: no frame above 1294 bytes; FPDUs framed at 1448 split 1228 + 220.
  CHECK(largest_before == 1448);
  CHECK(big == 0);
  CHECK(small == std::set<int64_t>{28, 220, 1060, 1228});
  // After it grows back, FPDUs framed for 1228 go one a segment (a 28-byte tail with the
  // next: 1256) until the new ones, framed at 1448, follow.
  CHECK(framed_small == std::set<int64_t>{1228, 1256});
  CHECK(regrown == std::set<int64_t>{840, 1448});
}

TEST_CASE("netdev_down_up: GOING_DOWN resets the QPs while the port sends and DOWN silences it until UP",
          "[host_events]") {
  const Run run = run_scenario(scenario("netdev_down_up"), "netdev_down_up");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 32, 224, 256);
  check_workload(r["workloads"]["w2"], 16, 0, 16);
  CHECK(r["connections"]["c1"]["state"] == "error");
  CHECK(r["connections"]["c1"]["qp_state"]["client"] == "error");
  CHECK(r["connections"]["c1"]["qp_state"]["server"] == "error");
  CHECK(r["connections"]["c2"]["state"] == "established");
  const json& fw = r["hosts"]["alice"]["rnic"]["firmware"];
  CHECK(fw["qps_flushed"] == 1);

  // GOING_DOWN, its handler's 1 us, alice's QP to ERROR, then DOWN; bob's QP on the RST.
  const auto late = lines_from(run, 3 * kMs);
  REQUIRE(late.size() >= 5);
  const std::vector<std::string> expect = {
      R"({"time_ns":3000000,"host":"alice","direction":"to_rnic","kind":"netdev_going_down","netdev":"eth0","state":"going_down"})",
      R"({"time_ns":3001000,"host":"alice","direction":"to_host","kind":"qp_error","qpn":0,"from":"rts"})",
      R"({"time_ns":3001000,"host":"alice","direction":"to_rnic","kind":"netdev_down","netdev":"eth0","state":"down"})",
      R"({"time_ns":3004122,"host":"bob","direction":"to_host","kind":"qp_error","qpn":0,"from":"rts"})",
      R"({"time_ns":5000000,"host":"alice","direction":"to_rnic","kind":"netdev_up","netdev":"eth0","state":"up"})"};
  CHECK(std::vector<std::string>(late.begin(), late.begin() + 5) == expect);
  const auto c2_reply = std::find_if(run.events.begin(), run.events.end(), [](const json& e) {
    return e["host"] == "alice" && e["kind"] == "connect_reply" && e["qpn"] == 1;
  });
  REQUIRE(c2_reply != run.events.end());
  CHECK((*c2_reply)["status"] == 0);
  CHECK((*c2_reply)["time_ns"].get<int64_t>() > 6 * kMs);

  const auto alice = frames(run.dir + "/alice.pcap", "", {"eth.src", "tcp.flags.reset", "tcp.flags.syn", "tcp.seq",
                                                          "tcp.len", "tcp.dstport", "frame.len"});
  std::vector<Frame> sent_after_down, rsts;
  for (const auto& f : alice) {
    if (f["eth.src"] != "02:00:00:00:00:01") continue;
    if (f["tcp.flags.reset"] == "1") rsts.push_back(f);
    if (f.t() >= 3001000 && f.t() < 6 * kMs) sent_after_down.push_back(f);
  }
  // One reset from alice, its stream's next sequence number, right after 3 ms: the frames
  // queued before DOWN drain back to back (the four the MAC held, and the reset last); then
  // nothing until c2's ARP at 6 ms.
  REQUIRE(rsts.size() == 1);
  CHECK(rsts[0].t() == 3003030);
  CHECK(rsts[0]["tcp.dstport"] == "5000");
  REQUIRE(sent_after_down.size() == kMacQueue + 1);
  CHECK(sent_after_down.back().t() == rsts[0].t());
  for (size_t i = 1; i < sent_after_down.size(); ++i) {
    const auto& p = sent_after_down[i - 1];
    // 25 Gb/s: (frame + FCS + preamble + gap) * 8 / 25 ns; the previous one ends, this starts.
    const int64_t wire = (p.num("frame.len") + 4 + 8 + 12) * 8 / 25;
    CHECK(sent_after_down[i].t() - p.t() >= wire);
    CHECK(sent_after_down[i].t() - p.t() <= wire + 1);
  }
  const auto& last_data = sent_after_down[sent_after_down.size() - 2];
  CHECK(rsts[0].num("tcp.seq") == last_data.num("tcp.seq") + last_data.num("tcp.len"));
  // Nothing reaches alice's stack while its port is down: bob's ACKs then are dropped.
  CHECK(count_if(alice, [](const Frame& f) {
          return f["eth.src"] == "02:00:00:00:00:02" && f.t() > 3001000 && f.t() < 6 * kMs;
        }) == 0);
  const auto bob_tx = frames(run.dir + "/bob.pcap", "eth.src==02:00:00:00:00:02", {});
  // bob's frames that would arrive (1 us of link later) after the port went down.
  CHECK(count_if(bob_tx, [](const Frame& f) { return f.t() + kUs > 3001000 && f.t() < 5 * kMs; }) == 4);
  CHECK(r["hosts"]["alice"]["rnic"]["mac"]["rx_dropped_down"] == 4);
  CHECK(r["hosts"]["alice"]["rnic"]["mac"]["tx_dropped_down"] == 0);
  // The reset reaches bob before its QP leaves RTS.
  const auto bob_rst = frames(run.dir + "/bob.pcap", "tcp.flags.reset==1", {});
  REQUIRE(bob_rst.size() == 1);
  CHECK(bob_rst[0].t() < 3004122);
  // c2's SYN after 6 ms, to port 5001.
  const auto syn = std::find_if(alice.begin(), alice.end(), [](const Frame& f) {
    return f["tcp.flags.syn"] == "1" && f["tcp.dstport"] == "5001";
  });
  REQUIRE(syn != alice.end());
  CHECK(syn->t() > 6 * kMs);
}

TEST_CASE("netdev_down_up: a type-7 RNIC's firmware is charged fw_netdev_cost per netdev event", "[host_events]") {
  // The same scenario without its events section.
  const std::string dir = std::string(RNICSIM_WORK_DIR) + "/host_events/no_events";
  std::filesystem::create_directories(dir);
  std::istringstream in(e2e::slurp(scenario("netdev_down_up")));
  std::ostringstream out;
  std::string line;
  bool skip = false;
  while (std::getline(in, line)) {
    if (line.rfind("events:", 0) == 0) skip = true;
    else if (line.rfind("expect:", 0) == 0) break;
    else if (!line.empty() && line[0] != ' ') skip = false;
    if (!skip) out << line << '\n';
  }
  {
    std::ofstream f(dir + "/netdev_down_up_no_events.yaml");
    f << out.str();
  }
  const Run quiet = run_scenario(dir + "/netdev_down_up_no_events.yaml", "no_events/run", "--pcap off");
  REQUIRE(quiet.r["workloads"]["w1"]["completed"] == 256);
  const Run loud = run_scenario(scenario("netdev_down_up"), "busy_default", "--pcap off");
  const Run slow = run_scenario(scenario("netdev_down_up"), "busy_4us",
                                "--pcap off --set hosts[0].rnic.fw_netdev_cost=4us");
  const auto busy = [](const Run& r) { return r.r["hosts"]["alice"]["rnic"]["firmware"]["busy_ns"].get<int64_t>(); };
  const auto handled = [](const Run& r) {
    return r.r["hosts"]["alice"]["rnic"]["firmware"]["netevents_handled"].get<int64_t>();
  };
  // going_down, down, up: three events at 1 us each (4 us when the profile says so).
  CHECK(busy(quiet) == 16900);
  CHECK(busy(loud) - busy(quiet) == 3 * 1000);
  CHECK(busy(slow) - busy(quiet) == 3 * 4000);
  CHECK(handled(loud) - handled(quiet) == 3);
  // The handler's cost delays what follows it: alice's QP leaves RTS 4 us after GOING_DOWN.
  const auto err = std::find_if(slow.events.begin(), slow.events.end(),
                                [](const json& e) { return e["host"] == "alice" && e["kind"] == "qp_error"; });
  REQUIRE(err != slow.events.end());
  CHECK((*err)["time_ns"] == 3 * kMs + 4 * kUs);
  // bob's firmware hears no netdev event: the same time either way.
  const auto bob_busy = [](const Run& r) { return r.r["hosts"]["bob"]["rnic"]["firmware"]["busy_ns"].get<int64_t>(); };
  CHECK(bob_busy(loud) == bob_busy(quiet));
}

TEST_CASE("link_outage: the frames lost while bob's link was down are the ones TCP resent", "[host_events]") {
  const Run run = run_scenario(scenario("link_outage"), "link_outage");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 128, 0, 128);
  const json& c = r["connections"]["c1"];
  CHECK(c["state"] == "established");
  CHECK(c["tcp"]["timeouts"] == 1);
  CHECK(c["server_tcp"]["retransmits"] == 0);

  const auto alice = frames(run.dir + "/alice.pcap", "", {"eth.src", "tcp.len", "tcp.analysis.retransmission"});
  const auto bob = frames(run.dir + "/bob.pcap", "", {"eth.src"});
  const auto from = [](const std::vector<Frame>& v, const char* mac) {
    return count_if(v, [&](const Frame& f) { return f["eth.src"] == mac; });
  };
  const size_t a2b_lost = from(alice, "02:00:00:00:00:01") - from(bob, "02:00:00:00:00:01");
  const size_t b2a_lost = from(bob, "02:00:00:00:00:02") - from(alice, "02:00:00:00:00:02");
  const json& l = r["links"]["bob_sw0"];
  // Every frame lost on bob's link (none on alice's): the outage's, then the lossy spell's.
  CHECK(l["drops"] == a2b_lost + b2a_lost);
  CHECK(r["links"]["alice_sw0"]["drops"] == 0);
  CHECK(l["down_drops"] == 1319);
  CHECK(l["drops"].get<uint64_t>() - l["down_drops"].get<uint64_t>() == 97);
  // Every lost data segment went again (the timeout's go-back, then RACK in the spell).
  CHECK(c["tcp"]["retransmits"].get<uint64_t>() >= a2b_lost);
  CHECK(c["tcp"]["rto_retransmits"] == 1317);

  // The first retransmission after the outage: one RTO (200 ms, Linux's minimum) after the
  // last ACK alice heard before the link went down, re-armed by the tail loss probe that
  // followed it (RFC 8985 7.3) within the millisecond.
  int64_t last_ack = -1, first_rto = -1;
  for (const auto& f : alice)
    if (f.t() >= 5 * kMs && f["eth.src"] == "02:00:00:00:00:01") {
      first_rto = f.t();
      break;
    }
  for (const auto& f : alice)
    if (f.t() < first_rto && f["eth.src"] == "02:00:00:00:00:02") last_ack = f.t();
  CHECK(last_ack < 3 * kMs + 10 * kUs);
  CHECK(first_rto - last_ack >= 200 * kMs);
  CHECK(first_rto - last_ack < 201 * kMs);
  CHECK(c["tcp"]["rto_ns"] == 200 * kMs);
  // The link's lossy spell (205 to 210 ms) falls after the recovery: frames cross it and
  // some are lost.
  CHECK(count_if(bob, [](const Frame& f) { return f.t() >= 205 * kMs && f.t() < 210 * kMs; }) > 0);
}

TEST_CASE("unreachable: three ARP probes 1 s apart then FAILED at 3 s and EHOSTUNREACH to the host", "[host_events]") {
  const Run run = run_scenario(scenario("unreachable"), "unreachable");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 0, 10, 10);
  CHECK(r["connections"]["c1"]["state"] == "unreachable");
  CHECK(r["connections"]["c1"]["qp_state"]["client"] == "none");
  CHECK(r["hosts"]["alice"]["host_if"]["arp_requests_tx"] == 3);
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["unreachable"] == 1);
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["l2_writes"] == 0);
  // Linux's mcast_solicit 3, retrans_time 1 s: FAILED when the third probe's timer runs out;
  // the firmware's RESOLVING entry fails its open 300 ns (fw_neigh_update_cost) later.
  CHECK(run.lines == std::vector<std::string>{
                         R"({"time_ns":0,"host":"bob","direction":"to_rnic","kind":"port_mapping","port":5000,"use":"listen","status":0})",
                         R"({"time_ns":0,"host":"alice","direction":"to_rnic","kind":"port_mapping","port":32768,"use":"connect","status":0})",
                         R"({"time_ns":3000000000,"host":"alice","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.2","mac":"00:00:00:00:00:00","state":"failed"})",
                         R"({"time_ns":3000000300,"host":"alice","direction":"to_host","kind":"connect_reply","qpn":0,"status":-113})"});

  const auto a = frames(run.dir + "/alice.pcap", "",
                        {"eth.dst", "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "arp.dst.hw_mac"});
  REQUIRE(a.size() == 3);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].t() == static_cast<int64_t>(i) * kS);
    CHECK(a[i]["eth.dst"] == kBcast);
    CHECK(a[i]["arp.opcode"] == "1");
    CHECK(a[i]["arp.src.proto_ipv4"] == "10.0.0.1");
    CHECK(a[i]["arp.dst.proto_ipv4"] == "10.0.0.2");
    CHECK(a[i]["arp.dst.hw_mac"] == "00:00:00:00:00:00");
  }
  CHECK(frames(run.dir + "/bob.pcap", "", {}).empty());
  // The switch floods each broadcast toward bob, whose cut link drops it.
  CHECK(r["switches"]["sw0"]["flooded"] == 3);
  CHECK(r["links"]["bob_sw0"]["down_drops"] == 3);
}

TEST_CASE("neigh_update: alice's frames go to carol from 3 ms and back to bob from 4 ms", "[host_events]") {
  const Run run = run_scenario(scenario("neigh_update"), "neigh_update");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 64, 0, 64);
  CHECK(r["connections"]["c1"]["state"] == "established");
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["l2_writes"] == 3);
  CHECK(lines_from(run, 1 * kMs) ==
        std::vector<std::string>{
            R"({"time_ns":3000000,"host":"alice","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.2","mac":"02:00:00:00:00:03","state":"reachable"})",
            R"({"time_ns":4000000,"host":"alice","direction":"to_rnic","kind":"neigh_update","ip":"10.0.0.2","mac":"02:00:00:00:00:02","state":"reachable"})"});

  const auto a = frames(run.dir + "/alice.pcap", "eth.src==02:00:00:00:00:01 && tcp", {"eth.dst"});
  std::vector<std::pair<std::string, int64_t>> runs;
  for (const auto& f : a)
    if (runs.empty() || runs.back().first != f["eth.dst"]) runs.emplace_back(f["eth.dst"], f.t());
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].first == "02:00:00:00:00:02");
  CHECK(runs[1].first == "02:00:00:00:00:03");
  CHECK(runs[2].first == "02:00:00:00:00:02");
  CHECK(runs[1].second == 3006077);
  CHECK(runs[2].second == 4005677);
  // Each rewrite lands 300 ns (fw_neigh_update_cost) after its event; the frames to the old
  // MAC that start later were the MAC's queue.
  CHECK(count_if(a, [&](const Frame& f) {
          return f.t() > 3 * kMs + 300 && f.t() < runs[1].second && f["eth.dst"] == "02:00:00:00:00:02";
        }) == kMacQueue);
  CHECK(count_if(a, [&](const Frame& f) {
          return f.t() > 4 * kMs + 300 && f.t() < runs[2].second && f["eth.dst"] == "02:00:00:00:00:03";
        }) == kMacQueue);
  const size_t to_carol = count_if(a, [](const Frame& f) { return f["eth.dst"] == "02:00:00:00:00:03"; });
  CHECK(to_carol == 814);
  // carol's stack takes them (its MAC) and drops them (not its address: InAddrErrors, as a
  // host that does not forward does); carol never sent, so the switch flooded each one to
  // bob too, whose port filter dropped it. TCP resent every one.
  const json& carol = r["hosts"]["carol"];
  CHECK(carol["host_if"]["ip"]["in_receives"] == to_carol);
  CHECK(carol["host_if"]["ip"]["in_addr_errors"] == to_carol);
  CHECK(carol["rnic"]["mac"]["frames_tx"] == 0);
  CHECK(frames(run.dir + "/carol.pcap", "", {}).size() == to_carol + 1);  // and alice's ARP broadcast
  CHECK(r["switches"]["sw0"]["flooded"] == to_carol + 1);
  CHECK(r["hosts"]["bob"]["rnic"]["mac"]["rx_filtered"] == to_carol);
  CHECK(r["connections"]["c1"]["tcp"]["retransmits"] == to_carol);
}

TEST_CASE("type 3: the RNIC's firmware answers ping for its address, the host for its own; the RNIC runs on while the host's netdev is down", "[host_events]") {
  const Run run = run_scenario(scenario("type3_ping_netdev"), "type3_ping_netdev");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  // Each echo reply comes from the owner of the address: the RNIC's MAC for 10.0.0.12,
  // the host's for 10.0.0.2, five each.
  const auto replies = frames(run.dir + "/alice.pcap", "icmp.type==0", {"eth.src", "ip.src", "icmp.seq"});
  REQUIRE(replies.size() == 10);
  size_t rnic = 0, host = 0;
  for (const auto& f : replies) {
    if (f["ip.src"] == "10.0.0.12") {
      CHECK(f["eth.src"] == "02:00:00:00:01:02");
      ++rnic;
    } else {
      CHECK(f["ip.src"] == "10.0.0.2");
      CHECK(f["eth.src"] == "02:00:00:00:00:02");
      ++host;
    }
  }
  CHECK(rnic == 5);
  CHECK(host == 5);
  // bob's host sends nothing between its netdev's down (2 ms) and up (6 ms); its RNIC
  // keeps sending (its acknowledgements of alice's Writes).
  const auto bob_tx = frames(run.dir + "/bob.pcap", "frame.time_relative >= 0.002 && frame.time_relative < 0.006",
                             {"eth.src"});
  size_t from_host = 0, from_rnic = 0;
  for (const auto& f : bob_tx) {
    if (f["eth.src"] == "02:00:00:00:00:02") ++from_host;
    if (f["eth.src"] == "02:00:00:00:01:02") ++from_rnic;
  }
  CHECK(from_host == 0);
  CHECK(from_rnic > 0);
  CHECK(r["hosts"]["bob"]["host_if"]["netdev_down_drops"] == 44);
  CHECK(r["workloads"]["w_rdma"]["completed"] == 64);
  CHECK(r["workloads"]["w_tcp"]["completed"] == 1);
  // The host's netdev is its own: nothing of it crosses to the RNIC.
  CHECK(r["hosts"]["bob"]["host_if"]["netevents_to_rnic"] == 0);
}

TEST_CASE("redirect: r1's ICMP redirect moves alice's connection to r2 during its handshake", "[host_events]") {
  const Run run = run_scenario(scenario("redirect"), "redirect");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 256, 0, 256);
  // One redirect, type 5 code 1 (host), from r1 to alice, naming r2 as the gateway.
  const auto redir = frames(run.dir + "/alice.pcap", "icmp.type==5", {"icmp.code", "ip.src", "icmp.redir_gw"});
  REQUIRE(redir.size() == 1);
  CHECK(redir[0]["icmp.code"] == "1");
  CHECK(redir[0]["ip.src"].rfind("10.0.0.254,", 0) == 0);  // the redirect's own header, then the one it quotes
  CHECK(redir[0]["icmp.redir_gw"] == "10.0.0.253");
  // The REDIRECT line carries the real first hops, and the firmware moved one connection.
  const auto to_rnic = lines_from(run, 0);
  CHECK(std::count_if(to_rnic.begin(), to_rnic.end(), [](const std::string& l) {
          return l.find(R"("kind":"redirect","dst":"10.1.0.2","old_gateway":"10.0.0.254","new_gateway":"10.0.0.253")") !=
                 std::string::npos;
        }) == 1);
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["connections_moved"] == 1);
  // Only the SYN went through r1; every later frame of alice's goes to r2's MAC.
  CHECK(r["routers"]["r1"]["forwarded"] == 1);
  const auto tx = frames(run.dir + "/alice.pcap", "ip.src==10.0.0.1 && tcp && !icmp", {"eth.dst"});
  REQUIRE(tx.size() > 2);
  CHECK(tx[0]["eth.dst"] == "02:00:00:00:fe:01");
  CHECK(std::all_of(tx.begin() + 1, tx.end(), [](const Frame& f) { return f["eth.dst"] == "02:00:00:00:fd:01"; }));
}

TEST_CASE("redirect_live: a redirect at 5 ms moves a live 64 MiB Write stream from r1 to r2 with nothing lost", "[host_events]") {
  const Run run = run_scenario(scenario("redirect_live"), "redirect_live");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  check_workload(r["workloads"]["w1"], 256, 0, 256);
  CHECK(r["workloads"]["w1"]["bytes"] == 64ull << 20);
  const auto tx = frames(run.dir + "/alice.pcap", "ip.src==10.0.0.1 && tcp.len>0", {"eth.dst"});
  // Through r1 until the firmware's REDIRECT handler (1 us) has run, through r2 after.
  int64_t last_r1 = -1, first_r2 = -1;
  for (const auto& f : tx) {
    if (f["eth.dst"] == "02:00:00:00:fe:01") last_r1 = f.t();
    if (f["eth.dst"] == "02:00:00:00:fd:01" && first_r2 < 0) first_r2 = f.t();
  }
  CHECK(last_r1 < 5 * kMs + 10 * kUs);
  CHECK(first_r2 > 5 * kMs);
  CHECK(first_r2 < 5 * kMs + 10 * kUs);
  CHECK(last_r1 < first_r2);
  CHECK(r["routers"]["r1"]["icmp_sent"] == 0);
  CHECK(r["hosts"]["alice"]["rnic"]["firmware"]["connections_moved"] == 1);
}

TEST_CASE("pmtu_blackhole: a 1280 MTU behind a router is learned by netevent and black-holes the other modes", "[host_events]") {
  const Run run = run_scenario(scenario("pmtu_blackhole"), "pmtu_blackhole");
  const json& r = run.r;
  CHECK(r["passed"] == true);
  // Every fragmentation-needed carries the egress MTU, and no frame past r1 exceeds it.
  const auto fn = frames(run.dir + "/alice.pcap", "icmp.type==3 && icmp.code==4", {"icmp.mtu"});
  REQUIRE(!fn.empty());
  for (const auto& f : fn) CHECK(f["icmp.mtu"] == "1280");
  const auto big = frames(run.dir + "/bob.pcap", "frame.len > 1294", {});
  CHECK(big.empty());
  CHECK(r["routers"]["r1"]["frag_needed"] == r["routers"]["r1"]["icmp_sent"]);
  // alice resends at 1228 bytes once told; carol's and dave's RNICs keep 1448.
  const auto a = frames(run.dir + "/alice.pcap", "ip.src==10.0.0.1 && tcp.len>1228", {});
  const auto last_big = a.empty() ? 0 : a.back().t();
  const auto small = frames(run.dir + "/alice.pcap", "ip.src==10.0.0.1 && tcp.len==1228", {});
  REQUIRE(!small.empty());
  CHECK(small.front().t() > last_big - 10 * kUs);
  for (const char* h : {"carol", "dave"}) {
    const auto d = frames(run.dir + "/" + std::string(h) + ".pcap", "tcp.len>0", {"tcp.len"});
    for (const auto& f : d) CHECK(f["tcp.len"] != "1228");
  }
  for (const char* w : {"wa", "wc", "wd"})
    CHECK(r["workloads"][w]["completed"].get<uint64_t>() + r["workloads"][w]["errors"].get<uint64_t>() == 64);
}
